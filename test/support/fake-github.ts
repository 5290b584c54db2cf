/**
 * A stateful, faithful fake of the GitHub REST API on 127.0.0.1, for scenario tests that run the
 * real Probot / Octokit clients against it (`new Probot({ baseUrl: fake.url, ... })`).
 *
 * Modelled (behaviour as GitHub documents / answers it):
 * - Git: blobs, trees and commits hashed exactly like git (blob sha = sha1("blob <len>\0<data>"),
 *   so contents-API shas equal `git hash-object`); branches/tags as refs; ancestry, merge bases,
 *   fast-forward checks; symlinks (mode 120000); exact-content rename detection.
 * - Contents API: GET file (base64, wrapped at 60 columns) / directory (array) / symlink (a link to
 *   a file in the repo answers with that file, otherwise `type: "symlink"` + target, as documented)
 *   / raw media type (what Probot's config loader asks for); PUT/DELETE with compare-and-swap on
 *   the blob sha: existing file without `sha` → 422 "\"sha\" wasn't supplied.", stale sha → 409,
 *   a `sha` for a path that does not exist is ignored (201), missing branch → 404 (checked
 *   first); each write is a commit (author = the caller, committer "GitHub").
 * - Git data API: refs (get/matching/create 422-if-exists/update fast-forward-or-force/delete),
 *   commits, trees (recursive, `truncated` past `fake.treeLimit` entries), blobs (base64).
 * - Archives: GET tarball/{ref} answers 302 to a codeload URL carrying a token; the download is a
 *   `git archive` tar.gz (pax global header `comment=<commit>`, top folder `<owner>-<repo>-<sha7>/`,
 *   pax `path` for long names, root .gitattributes `export-ignore` honoured), recorded in
 *   `fake.downloads`, not in `fake.requests` (codeload is not the API and not rate limited). Commits API: list with `sha`, `path` (git's default history
 *   simplification), `author`, `since`, `until`; single commit with files/stats; compare.
 * - Pulls: create (422 on missing branches, on no commits between, and on a duplicate open PR for
 *   the head), get/list (`state`, `head=owner:branch`, `base`), update, files (head vs merge base,
 *   status added/modified/removed/renamed, `previous_filename`, `sha` = blob sha, line counts and a
 *   rough patch), commits, reviews (list/get/create/dismiss; PENDING visible to its author only;
 *   self-approval → 422), requested reviewers (author or non-collaborator → 422), merge (405
 *   when closed/conflicting, 405 draft, 409 when `sha` is not the head). `mergeable` is computed
 *   synchronously (GitHub computes it lazily and may answer null first).
 * - `pull_request.base.sha` as GitHub sends it: the base tip at the PR's last update (opened, head
 *   pushed, base changed, reopened) — NOT the base branch's current tip, which moves on without
 *   the PR. Files, commits, mergeability and merges use the base branch's actual tip; the head
 *   follows its branch while open; both freeze when the PR closes.
 * - Merge methods and `merge_commit_sha` as documented for "Get a pull request": merge → a merge
 *   commit with parents [base tip, head]; squash → one commit whose only parent is the base tip;
 *   rebase → each PR commit replayed onto the base tip with its author (name, e-mail, date) and
 *   message kept, committer GitHub, new SHAs; `merge_commit_sha` is the last replayed commit, so
 *   its first parent is the previous replayed commit and only the first replayed commit's parent
 *   is the pre-merge tip. A rebase that would give another tree than a merge is refused (405).
 *   Merging into the default branch closes issues named with closing keywords ("Closes #3") in
 *   the PR body, as GitHub does.
 * - Issues: create/get/list/update with `state_reason` (completed | not_planned | reopened),
 *   comments (list/create/get/update/delete), labels (add creates missing repo labels; remove
 *   404 when absent; set; repo labels create 422 already_exists). PRs are issues: one number
 *   sequence per repo, and the issues endpoints work on PRs.
 * - Check runs: create (app installations only, like GitHub) / update / get / list for a ref
 *   (`check_name`, `status`, `filter=latest` default).
 * - Teams: get, members (active only), membership (`state` active | pending, `role`) or 404.
 *   Collaborator permission (owner → admin; else as set; private repo → none).
 * - App auth: any well-formed JWT is "the app" (signatures are not checked) and may only call
 *   /app* and /repos/:o/:r/installation; `POST /app/installations/:id/access_tokens` issues a
 *   token acting as `<slug>[bot]`; `fake.tokenFor(login)` issues a token acting as any user;
 *   unknown tokens → 401; anonymous callers may only GET public repos.
 * - Pagination (`per_page`, `page`, Link header), GitHub error bodies
 *   `{ message, documentation_url, status }`, `/api/v3` prefix (GHE_HOST) accepted.
 * - Conditional requests: every GET answered 200 carries `etag: W/"<sha1 of the body>"`; the same
 *   GET with `If-None-Match` naming it is answered 304 Not Modified without a body.
 * - Rate limits, when switched on (`fake.rateLimits = { primary, secondary, timeScale }`): the
 *   primary limit per caller with `x-ratelimit-*` headers and 403 at remaining 0 (a 304 is free),
 *   and the secondary limit on content-creating requests: 403 or 429 with `retry-after`.
 * - Fault injection (`fake.faults.failNext`) and request recording (`fake.requests`).
 *
 * Usage (see test/fake-github.test.ts):
 *   const fake = await startFakeGitHub({ now: () => clock.now() });
 *   fake.createRepo({ owner: "acme", name: "access", files: { ".github/jit-access.yml": "..." } });
 *   const Octokit = ProbotOctokit.defaults((o: { throttle?: object }) =>
 *     ({ ...o, retry: { enabled: false }, throttle: { ...o.throttle, enabled: false } }));
 *   const probot = new Probot({ appId: fake.app.id, privateKey, secret, baseUrl: fake.url, Octokit, logLevel: "fatal" });
 *   const middleware = await createNodeMiddleware(app, { probot });   // on your own node:http server
 *   await new WebhookClient(url, secret).send(issuesOpened(fake, "acme/access", n));  // ./webhooks.ts
 *   fake.comments("acme/access", n); fake.commits("acme/access", { path }); fake.requests; ...
 *
 * Not modelled: forks and cross-repo PRs; branch protection / rulesets (merges are always
 * allowed when clean — the app must verify approvals itself, which is the point); CODEOWNERS
 * auto-review requests; "dismiss stale approvals" (use `dismissReview`); webhooks are not sent
 * automatically (build them with ./webhooks.ts); permissions of the installation token;
 * GraphQL fields other than those fake-github/graphql.ts models (every document is validated
 * against GitHub's published schema; an unmodelled field is an error naming it, listed in
 * `fake.graphql.unmodelled`; `editor` is set by PATCH or `editIssue(..., { body, by })`,
 * userContentEdits are not modelled; GraphQL's point budget is not counted); line-level
 * merges (conflicts are per file) and similarity-based renames; files > 1 MB; review comments,
 * reactions, assignee validation, locking, milestones; timestamps have second precision.
 * Merges, not modelled: the test merge commit (`merge_commit_sha` of an open PR is null here,
 * GitHub fills it with refs/pull/N/merge); merge queues; the squash commit's author (here the
 * merger; GitHub may credit the PR author with Co-authored-by trailers); commit signing; which
 * exact events refresh `base.sha` is not documented by GitHub (modelled: open, head push, base
 * change, reopen); a rebase of a PR containing merge commits drops them like `git rebase` (GitHub's
 * exact behaviour was not verified); "Update branch"; the commit → pull requests association API.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeGitHubHttp, type Faults, type RateLimits, type RateLimitStats, type RecordedRequest } from "./fake-github/http.js";
import { githubSchema, type FakeGraphQL } from "./fake-github/graphql.js";
import { FakeGitHubState, type FakeStateOptions } from "./fake-github/state.js";

export { GitHubError, type FileInput, type Permission, type CheckRunState, type IssueState, type PullState, type RepoState } from "./fake-github/state.js";
export type { RecordedRequest } from "./fake-github/http.js";

export class FakeGitHub extends FakeGitHubState {
  /** Base URL for Octokit/Probot `baseUrl`, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url = "";
  port = 0;
  private readonly http: FakeGitHubHttp;
  private server: Server | undefined;

  constructor(opts: FakeStateOptions = {}) {
    super(opts);
    this.http = new FakeGitHubHttp(this);
  }

  /** Every HTTP request answered so far (including injected failures), oldest first. */
  get requests(): RecordedRequest[] {
    return this.http.requests;
  }

  /** Archive downloads from the (fake) codeload host: not API calls. */
  get downloads(): Array<{ path: string; status: number }> {
    return this.http.downloads;
  }

  /** Entries a recursive git tree lists before it is truncated (GitHub: 100,000). */
  set treeLimit(n: number) {
    this.http.treeLimit = n;
  }

  get faults(): Faults {
    return this.http.faults;
  }

  /** The GraphQL endpoint: mutation faults (`graphql.faults`) and the fields asked that it does not model (`graphql.unmodelled`). */
  get graphql(): FakeGraphQL {
    return this.http.graphql;
  }

  /** GitHub's primary and secondary rate limits, off by default (see RateLimits in ./fake-github/http.ts). */
  get rateLimits(): RateLimits | undefined {
    return this.http.rateLimits;
  }

  set rateLimits(limits: RateLimits | undefined) {
    this.http.rateLimits = limits;
  }

  get rateLimitStats(): RateLimitStats {
    return this.http.rateLimitStats;
  }

  /** Requests other than GET (what the app changed), as "METHOD /path". */
  writes(): string[] {
    return this.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`);
  }

  clearRequests(): void {
    this.http.requests.length = 0;
    this.http.downloads.length = 0;
  }

  /** Forgets repos, teams, faults and recorded requests (users, tokens and the app stay). */
  reset(): void {
    this.repos.clear();
    this.teams.clear();
    this.http.faults.clear();
    this.clearRequests();
  }

  /** Listens on 127.0.0.1 on a free port. */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      void this.http.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.apiBase = this.url;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Creates and starts a fake GitHub. */
export async function startFakeGitHub(opts: FakeStateOptions = {}): Promise<FakeGitHub> {
  // GitHub's GraphQL schema is built here, not inside the first delivery that queries.
  githubSchema();
  return new FakeGitHub(opts).start();
}
