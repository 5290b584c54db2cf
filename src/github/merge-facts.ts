// What the merge → grant decision reads about a merged pull request, in one GraphQL query instead
// of a REST call each: the merge commit and its first parents (where the default branch stood
// before the merge), the reviews, the issue the request names, and the request's record with the
// default branch's tip (rules-snapshot.ts's part). The app verifies approvals itself, so a fact is
// taken from the answer only when it is exactly what the REST API would say; anything else is read
// through REST as before:
// - reviews: every one read (totalCount equal to those listed, at most 100), each by a User (a bot
//   or a deleted account is told apart only by REST), with its database id and commit;
// - commits: a parent list only when complete; the author's date in UTC as REST gives it;
// - the issue: only when its author is a User (REST says "User"; a bot's login differs in GraphQL).
// The PR's files and commits stay on REST: GraphQL gives no blob sha or previous path for a file,
// and no account for a commit made by a bot (the app's own), which the approval check needs.
import type { Review } from "../domain/approvals.js";
import type { CommitInfo, IssueFacts } from "../lifecycle/ports.js";
import { snapshotParts } from "./rules-snapshot.js";

/** First parents read with the merge commit: a merge or squash needs one, a rebase of n commits n. */
const PARENTS = 4;

const COMMIT = `oid message author { name email date } parents(first: ${PARENTS}) { totalCount nodes { oid } }`;
const ACTOR = `author { __typename login }`;

/** The query, its variables, and how to read its answer. `origin` is the issue the request's file names, when known. */
export function mergeFactsQuery(
  repo: { owner: string; repo: string },
  branch: string,
  pr: number,
  opts: { origin?: number; record?: string },
): { query: string; variables: Record<string, unknown> } {
  const snap = opts.record ? snapshotParts([opts.record]) : undefined;
  const decls = ["$owner: String!", "$name: String!", "$pr: Int!", ...(opts.origin !== undefined ? ["$origin: Int!"] : []), ...(snap ? [snap.decls] : [])];
  // Each of the merge commit's first parents with its own commit fields, PARENTS deep along the first-parent chain.
  let chain = "";
  for (let i = 0; i < PARENTS; i++) chain = `first: parents(first: 1) { nodes { ${COMMIT} ${chain} } }`;
  const origin =
    opts.origin !== undefined
      ? `origin: issueOrPullRequest(number: $origin) { __typename ... on Issue { number issueState: state ${ACTOR} } ... on PullRequest { number pullState: state ${ACTOR} } }`
      : "";
  const query = `query(${decls.join(", ")}) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $pr) {
      mergeCommit { ${COMMIT} ${chain} }
      reviews(first: 100) { totalCount nodes { databaseId state body submittedAt commit { oid } ${ACTOR} } }
    }
    ${origin}
    ${snap?.field ?? ""}
  }
}`;
  const variables: Record<string, unknown> = { owner: repo.owner, name: repo.repo, pr };
  if (opts.origin !== undefined) variables.origin = opts.origin;
  if (opts.record) Object.assign(variables, { qualified: `refs/heads/${branch}`, p0: opts.record });
  return { query, variables };
}

export interface MergeFacts {
  /** Commits read exactly (the merge commit and first parents), by sha. */
  commits: Map<string, CommitInfo>;
  /** The reviews, when every one was read exactly. */
  reviews?: Review[];
  /** The issue the request names, when read exactly. */
  origin?: IssueFacts;
}

type GqlCommit = {
  oid?: unknown;
  message?: unknown;
  author?: { name?: unknown; email?: unknown; date?: unknown } | null;
  parents?: { totalCount?: unknown; nodes?: Array<{ oid?: unknown } | null> | null } | null;
  first?: { nodes?: GqlCommit[] | null } | null;
};
type GqlActor = { __typename?: unknown; login?: unknown } | null | undefined;

const SHA = /^[0-9a-f]{40}$/;

/** git's author date as REST gives it: UTC, seconds, "Z". */
function utc(date: unknown): string | undefined {
  if (typeof date !== "string") return undefined;
  const t = Date.parse(date);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function commitInfo(c: GqlCommit | null | undefined): CommitInfo | undefined {
  if (!c || typeof c.oid !== "string" || !SHA.test(c.oid) || typeof c.message !== "string") return undefined;
  const nodes = c.parents?.nodes;
  if (!Array.isArray(nodes) || c.parents?.totalCount !== nodes.length) return undefined;
  const parents = nodes.map((n) => n?.oid);
  if (!parents.every((p): p is string => typeof p === "string" && SHA.test(p))) return undefined;
  const a = c.author;
  const date = utc(a?.date);
  const author = a && typeof a.name === "string" && typeof a.email === "string" && date ? { name: a.name, email: a.email, date } : null;
  // REST gives no author only when git has none; an incomplete one here is not that.
  if (a && !author) return undefined;
  return { sha: c.oid, parents, message: c.message, author };
}

/** A User as REST names it; undefined for anything REST would describe differently. */
function user(a: GqlActor): { login: string; type: "User" } | undefined {
  return a?.__typename === "User" && typeof a.login === "string" && a.login ? { login: a.login, type: "User" } : undefined;
}

/** The facts the answer states exactly; `data` may be partial (an error beside it, e.g. no such origin). */
export function readMergeFacts(data: unknown, origin: number | undefined): MergeFacts {
  const facts: MergeFacts = { commits: new Map() };
  const repository = (data as { repository?: Record<string, unknown> | null } | null)?.repository;
  const pull = repository?.pullRequest as
    { mergeCommit?: GqlCommit | null; reviews?: { totalCount?: unknown; nodes?: unknown[] | null } | null } | null | undefined;
  // The first-parent chain, each link read exactly or the chain stops there.
  let c: GqlCommit | null | undefined = pull?.mergeCommit;
  while (c) {
    const info = commitInfo(c);
    if (!info) break;
    facts.commits.set(info.sha, info);
    const next: GqlCommit | undefined = c.first?.nodes?.[0];
    if (next && next.oid !== info.parents[0]) break;
    c = next;
  }
  const reviews = pull?.reviews;
  if (reviews && Array.isArray(reviews.nodes) && reviews.totalCount === reviews.nodes.length && reviews.nodes.length <= 100) {
    const read: Review[] = [];
    for (const n of reviews.nodes as Array<{
      databaseId?: unknown;
      state?: unknown;
      body?: unknown;
      submittedAt?: unknown;
      commit?: { oid?: unknown } | null;
      author?: GqlActor;
    } | null>) {
      const u = user(n?.author);
      const oid = n?.commit?.oid;
      if (!n || !u || typeof n.databaseId !== "number" || typeof n.state !== "string" || typeof oid !== "string" || !SHA.test(oid)) return facts;
      read.push({
        id: n.databaseId,
        user: u,
        state: n.state,
        commit_id: oid,
        submitted_at: typeof n.submittedAt === "string" ? utc(n.submittedAt) : null,
        body: typeof n.body === "string" ? n.body : null,
      });
    }
    facts.reviews = read;
  }
  if (origin !== undefined && repository && "origin" in repository) {
    // null (no such number, or an error there) is left to REST, whose 404 is the exact answer.
    const o = repository.origin as { __typename?: unknown; number?: unknown; issueState?: unknown; pullState?: unknown; author?: GqlActor } | null;
    const author = user(o?.author);
    const state = o?.__typename === "Issue" ? o.issueState : o?.__typename === "PullRequest" ? o.pullState : undefined;
    if (o && author && o.number === origin && (state === "OPEN" || state === "CLOSED" || state === "MERGED"))
      facts.origin = { number: origin, author, state: state === "OPEN" ? "open" : "closed", isPull: o.__typename === "PullRequest" };
  }
  return facts;
}
