// The facts the approval rules judge, gathered once from the raw input. Each fact is read
// defensively (the input comes from GitHub and may be partial); a fact that cannot be read is
// left undefined, and the rules treat undefined as a failure, never as a pass.
import type { RiskTier } from "../types.js";
import { display, MAX_LISTED, quote, short, validSha } from "./format.js";
import { normalizeLogin, normalizeTeam } from "./logins.js";
import type { ApprovalInput, ChangedFile, Review, TeamMember } from "./types.js";

/** Who may approve, from the config and CODEOWNERS, resolved through team memberships. */
export interface Authorized {
  /** Lower-cased logins that may approve. */
  users: ReadonlySet<string>;
  /** Lower-cased logins whose only way in is a pending team membership → the teams. */
  pending: ReadonlyMap<string, string[]>;
  /** Who may approve, for messages. */
  summary: string;
}

/**
 * What a reviewer's latest decisive review amounts to. An approval counts only as `counted`; every
 * other approval verdict names the one reason it does not (checked in this order: bot, invalid
 * login, self, not authorized or pending, stale).
 */
export type Verdict = "counted" | "bot" | "invalid-login" | "self" | "pending" | "not-authorized" | "stale" | "dismissed" | "objects" | "objection-ignored";

export interface Reviewer {
  /** Lower-cased login, or `invalid:<login>` for one that is not a GitHub login. */
  key: string;
  /** The spelling of the latest review. */
  login: string;
  latest: Review;
  /** An earlier review by the same reviewer approved. */
  earlierApproval: boolean;
  verdict: Verdict;
  /** For `self`: why the reviewer may not approve. For `pending`: the teams. */
  roles: string[];
}

export interface ApprovalFacts {
  prNumber: unknown;
  /** The risk tier, when it is one. */
  tier: RiskTier | undefined;
  rawTier: unknown;
  required: number;
  headSha: string | undefined;
  rawHeadSha: unknown;
  merged: boolean;
  mergeSha: string | undefined;
  files: readonly ChangedFile[];
  changedFiles: number | undefined;
  /** The request file that was verified. */
  filePath: string;
  headBlob: string | undefined;
  mergeBlob: string | undefined;
  requester: string | undefined;
  rawRequester: unknown;
  /** The PR author's login; undefined when unknown or a bot. */
  author: string | undefined;
  authorIsBot: boolean;
  rawAuthor: unknown;
  commitsKnown: boolean;
  /** Short SHAs of commits whose author or committer is not linked to an account. */
  unlinked: { author: string[]; committer: string[] };
  authorized: Authorized;
  /** One per reviewer with a decisive review, sorted by key (so review order never matters). */
  reviewers: Reviewer[];
  /** Logins whose approvals count, sorted, distinct. */
  approvedBy: string[];
  /** What was read but ignored, and defaults taken. */
  notes: string[];
  /** The eligibility rules and the requester's team memberships, as given. */
  eligibility: ApprovalInput["eligibility"];
}

const TIERS: readonly RiskTier[] = ["low", "medium", "high"];
/** When two reviews by one reviewer tie on time and id, the more restrictive is taken as the latest. */
const STATE_RANK: Record<string, number> = { APPROVED: 0, DISMISSED: 1, CHANGES_REQUESTED: 2 };

export function gatherFacts(input: ApprovalInput): ApprovalFacts {
  const notes: string[] = [];
  const pr = input?.pr;

  const rawTier = input?.request?.risk;
  const tier = TIERS.includes(rawTier) ? rawTier : undefined;
  const configured = tier ? input.config?.required_approvals?.[tier] : undefined;
  let required = 1;
  if (!tier) required = Math.max(1, input?.config?.required_approvals?.high ?? 2);
  else if (typeof configured === "number" && Number.isInteger(configured) && configured >= 1) required = configured;
  else notes.push(`required_approvals.${tier} is ${quote(String(configured))}, not a whole number of at least 1; using ${required}`);

  const authorLogin = normalizeLogin(pr?.author?.login);
  const authorIsBot = !authorLogin && pr?.author?.type === "Bot" && typeof pr.author.login === "string" && /\[bot\]$/i.test(pr.author.login);
  if (authorIsBot) notes.push(`the pull request was opened by ${pr.author?.login}; bots never approve`);

  const commits = Array.isArray(input?.commits) ? input.commits : [];
  const { excluded, unlinked } = whoWrote(input, commits, authorLogin);
  const authorized = authorizedApprovers(input, notes);
  const headSha = validSha(pr?.headSha);
  const reviewers = judgeReviewers(input, { headSha, excluded, authorized }, notes);
  const approvedBy = reviewers
    .filter((r) => r.verdict === "counted")
    .map((r) => r.login)
    .sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));

  return {
    prNumber: pr?.number,
    tier,
    rawTier,
    required,
    headSha,
    rawHeadSha: pr?.headSha,
    merged: pr?.merged === true,
    mergeSha: validSha(pr?.mergeCommitSha),
    files: input?.files,
    changedFiles: pr?.changedFiles,
    filePath: String(input?.requestFile?.path ?? "?"),
    headBlob: validSha(input?.requestFile?.headBlobSha),
    mergeBlob: validSha(input?.requestFile?.mergeBlobSha),
    requester: normalizeLogin(input?.request?.requester),
    rawRequester: input?.request?.requester,
    author: authorLogin,
    authorIsBot,
    rawAuthor: pr?.author?.login,
    commitsKnown: commits.length > 0,
    unlinked,
    authorized,
    reviewers,
    approvedBy,
    notes,
    eligibility: input?.eligibility,
  };
}

/** "commit 1234567" or "commits 1234567, 89abcde and 2 more". */
export function commitList(shas: string[]): string {
  return `commit${shas.length === 1 ? "" : "s"} ${shas.slice(0, 3).join(", ")}${shas.length > 3 ? ` and ${shas.length - 3} more` : ""}`;
}

/** Who may not approve (the requester, the PR author, every author, committer and pusher of its
 *  commits, lower-cased → their roles), and commits whose people cannot be told. */
function whoWrote(input: ApprovalInput, commits: ApprovalInput["commits"], author: string | undefined) {
  const excluded = new Map<string, string[]>();
  const exclude = (login: string, role: string) => excluded.set(login, [...(excluded.get(login) ?? []), role]);
  const requester = normalizeLogin(input?.request?.requester);
  if (requester) exclude(requester, "the requester");
  if (author) exclude(author, "the pull request author");
  const wrote = new Map<string, { author: string[]; committer: string[] }>();
  const unlinked = { author: [] as string[], committer: [] as string[] };
  for (const c of commits) {
    const sha = short(validSha(c?.sha));
    for (const role of ["author", "committer"] as const) {
      const who = c?.[role];
      const login = normalizeLogin(who?.login);
      if (login) {
        const w = wrote.get(login) ?? { author: [], committer: [] };
        if (!w[role].includes(sha)) w[role].push(sha);
        wrote.set(login, w);
      } else if (who?.isBot === true && typeof who.login === "string" && who.login !== "") {
        // Bot accounts ("app[bot]") never approve anyway.
      } else if (!unlinked[role].includes(sha)) unlinked[role].push(sha);
    }
  }
  for (const [login, w] of wrote) {
    if (w.author.length) exclude(login, `the author of ${commitList(w.author)}`);
    if (w.committer.length) exclude(login, `the committer of ${commitList(w.committer)}`);
  }
  for (const p of Array.isArray(input?.pushedBy) ? input.pushedBy : []) {
    const login = normalizeLogin(p);
    if (login) exclude(login, "a pusher to the branch");
  }
  return { excluded, unlinked };
}

interface Entry {
  review: Review;
  at: number;
  order: number;
}

/** Each reviewer's latest decisive review (approve, request changes, dismissed) and its verdict. */
function judgeReviewers(
  input: ApprovalInput,
  ctx: { headSha: string | undefined; excluded: ReadonlyMap<string, string[]>; authorized: Authorized },
  notes: string[],
): Reviewer[] {
  const byReviewer = new Map<string, { bot: boolean; entries: Entry[] }>();
  (Array.isArray(input?.reviews) ? input.reviews : []).forEach((review, order) => {
    const login = review?.user?.login;
    if (!review || !review.user || typeof login !== "string" || login === "") {
      notes.push(`review ${review?.id ?? "?"} has no user (deleted account?); ignored`);
      return;
    }
    const state = review.state;
    if (state === "PENDING" || state === "COMMENTED") return;
    if (state !== "APPROVED" && state !== "CHANGES_REQUESTED" && state !== "DISMISSED") {
      notes.push(`review ${review.id} by ${display(login)} has unknown state ${quote(String(state))}; ignored`);
      return;
    }
    const parsed = typeof review.submitted_at === "string" ? Date.parse(review.submitted_at) : NaN;
    let at = parsed;
    if (Number.isNaN(parsed)) {
      if (state === "APPROVED") {
        notes.push(`approval ${review.id} by ${display(login)} has no valid submitted_at, so its order is unknown; it is not counted`);
        return;
      }
      at = Number.POSITIVE_INFINITY; // an objection of unknown time is taken as the latest word
    }
    const key = normalizeLogin(login) ?? `invalid:${login}`;
    const slot = byReviewer.get(key) ?? { bot: false, entries: [] };
    slot.bot ||= review.user.type !== "User" || /\[bot\]$/i.test(login);
    slot.entries.push({ review, at, order });
    byReviewer.set(key, slot);
  });

  const out: Reviewer[] = [];
  for (const [key, slot] of [...byReviewer].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const entries = [...slot.entries].sort(
      (a, b) =>
        a.at - b.at ||
        (a.review.id ?? 0) - (b.review.id ?? 0) ||
        (STATE_RANK[a.review.state] ?? 0) - (STATE_RANK[b.review.state] ?? 0) ||
        (a.review.user?.login ?? "").localeCompare(b.review.user?.login ?? "") ||
        a.order - b.order,
    );
    const latest = entries[entries.length - 1];
    if (!latest) continue;
    const login = latest.review.user?.login ?? key;
    const reviewer: Reviewer = {
      key,
      login,
      latest: latest.review,
      earlierApproval: entries.slice(0, -1).some((e) => e.review.state === "APPROVED"),
      verdict: "counted",
      roles: [],
    };
    const invalid = key.startsWith("invalid:");
    const { authorized, excluded, headSha } = ctx;
    if (latest.review.state === "DISMISSED") reviewer.verdict = "dismissed";
    else if (latest.review.state === "CHANGES_REQUESTED")
      reviewer.verdict = !slot.bot && !invalid && authorized.users.has(key) ? "objects" : "objection-ignored";
    else if (slot.bot) reviewer.verdict = "bot";
    else if (invalid) reviewer.verdict = "invalid-login";
    else if (excluded.has(key)) {
      reviewer.verdict = "self";
      reviewer.roles = excluded.get(key) ?? [];
    } else if (!authorized.users.has(key)) {
      const pending = authorized.pending.get(key);
      reviewer.verdict = pending ? "pending" : "not-authorized";
      reviewer.roles = pending ?? [];
    } else {
      const commit = validSha(latest.review.commit_id);
      reviewer.verdict = !commit || !headSha || commit !== headSha ? "stale" : "counted";
    }
    out.push(reviewer);
  }
  return out;
}

/** Who may approve the request file: configured approvers and its CODEOWNERS owners, through the team memberships given. */
export function authorizedApprovers(input: Pick<ApprovalInput, "config" | "codeowners" | "requestFile" | "teamMembers">, notes: string[]): Authorized {
  const users = new Set<string>();
  const pending = new Map<string, string[]>();
  const named: string[] = [];
  const teams = new Set<string>();
  const approvers = Array.isArray(input?.config?.approvers) ? input.config.approvers : [];
  for (const a of approvers) {
    if (typeof a === "string" && a.includes("/")) {
      const t = normalizeTeam(a);
      if (t) {
        teams.add(t);
        named.push(a);
      } else notes.push(`configured approver ${quote(a)} is not @org/team; ignored`);
      continue;
    }
    const login = normalizeLogin(typeof a === "string" ? a.replace(/^@/, "") : a);
    if (login) {
      users.add(login);
      named.push(String(a).replace(/^@/, ""));
    } else notes.push(`configured approver ${quote(String(a))} is not a GitHub login; ignored`);
  }

  const co = input?.codeowners;
  const filePath = String(input?.requestFile?.path ?? "?");
  if (!co) notes.push(`no CODEOWNERS file; only configured approvers may approve`);
  else if (co.line === undefined) notes.push(`no line of ${co.source ?? "CODEOWNERS"} matches ${quote(filePath)}; only configured approvers may approve`);
  else if (!co.owners.length)
    notes.push(`${co.source ?? "CODEOWNERS"} line ${co.line} gives ${quote(filePath)} no owners; only configured approvers may approve`);
  for (const o of co?.owners ?? []) {
    if (typeof o === "string" && o.includes("/")) {
      const t = normalizeTeam(o);
      if (t) {
        teams.add(t);
        named.push(`${o} (CODEOWNERS)`);
        continue;
      }
    } else if (typeof o === "string" && o.startsWith("@")) {
      const login = normalizeLogin(o.slice(1));
      if (login) {
        users.add(login);
        named.push(`${o.slice(1)} (CODEOWNERS)`);
        continue;
      }
    }
    notes.push(`CODEOWNERS owner ${quote(String(o))} is not @login or @org/team (e-mail owners cannot be verified); ignored`);
  }

  const members = new Map<string, TeamMember[]>();
  for (const [k, v] of Object.entries(input?.teamMembers ?? {})) {
    const t = normalizeTeam(k);
    if (t && Array.isArray(v)) members.set(t, [...(members.get(t) ?? []), ...v]);
  }
  for (const team of [...teams].sort()) {
    const list = members.get(team);
    if (!list) {
      notes.push(`the members of ${team} were not provided; nobody counts as an approver through that team`);
      continue;
    }
    for (const m of list) {
      const login = normalizeLogin(m?.login);
      if (!login) continue;
      if (m.state === "active") users.add(login);
      else pending.set(login, [...(pending.get(login) ?? []), team]);
    }
  }
  for (const login of users) pending.delete(login);
  const summary = named.length
    ? named.slice(0, MAX_LISTED).join(", ") + (named.length > MAX_LISTED ? ` and ${named.length - MAX_LISTED} more` : "")
    : "nobody (add approvers to .github/jit-access.yml or a CODEOWNERS line for access-requests/)";
  return { users, pending, summary };
}
