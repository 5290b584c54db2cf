// State of the fake GitHub: users, repos (with a git model), issues and pull requests (one number
// sequence per repo), comments, labels, reviews, check runs, teams, collaborators, the app and
// its installation. Programmatic helpers act "as a user" directly on this state (no HTTP); the
// JSON serializers produce the REST shapes, and are shared by the HTTP layer and webhooks.ts.
import { randomBytes } from "node:crypto";
import { GitStore, type CommitObject, type FileChange, type FileEntry, type FlatTree, type Signature } from "./git.js";

export type UserType = "User" | "Bot" | "Organization";
export interface UserState {
  login: string;
  id: number;
  type: UserType;
}

export interface CommentState {
  id: number;
  user: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export type ReviewStateName = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
export interface ReviewState {
  id: number;
  user: string;
  body: string;
  state: ReviewStateName;
  commit_id: string;
  submitted_at: string | undefined;
}

export interface PullState {
  headRef: string;
  baseRef: string;
  /** Follows the head branch while open; frozen when the PR closes. */
  headSha: string;
  /**
   * `base.sha` as GitHub reports it in payloads and API answers: the base branch's tip when the
   * PR was last updated (opened, head pushed, base changed, reopened). It does NOT follow the
   * base branch when only the base moves, so it is stale by the time of a merge.
   */
  baseSha: string;
  /** The base branch's actual tip: what files, commits, mergeability and merges use. Follows
   *  the base branch while open; frozen when the PR closes (for a merged PR: the pre-merge tip). */
  baseTip: string;
  merged: boolean;
  merged_at: string | null;
  merge_commit_sha: string | null;
  merged_by: string | null;
  draft: boolean;
  reviews: ReviewState[];
  requestedReviewers: string[];
  requestedTeams: string[];
}

export interface IssueState {
  id: number;
  number: number;
  title: string;
  body: string | null;
  user: string;
  state: "open" | "closed";
  state_reason: "completed" | "not_planned" | "reopened" | null;
  labels: string[];
  assignees: string[];
  comments: CommentState[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: string | null;
  pull?: PullState;
  /** Who last edited the body (GraphQL `editor`); absent while it was never edited. */
  editor?: string;
}

export interface LabelState {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface CheckRunOutput {
  title: string | null;
  summary: string | null;
  text: string | null;
}
export interface CheckRunState {
  id: number;
  name: string;
  head_sha: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: CheckRunOutput;
  details_url: string | null;
  external_id: string | null;
  app: string;
}

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface RepoState {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  private: boolean;
  git: GitStore;
  issues: Map<number, IssueState>;
  nextNumber: number;
  labels: Map<string, LabelState>;
  checkRuns: CheckRunState[];
  collaborators: Map<string, Permission>;
  created_at: string;
}

export interface TeamState {
  id: number;
  org: string;
  slug: string;
  name: string;
  members: Map<string, { state: "active" | "pending"; role: "member" | "maintainer" }>;
}

export interface AppState {
  id: number;
  slug: string;
  name: string;
  owner: string;
  installationId: number;
  botLogin: string;
}

/** Content for helper commits: text, bytes, a symlink, or null to delete. */
export type FileInput = string | Buffer | { symlink: string } | { content: string | Buffer; executable?: boolean } | null;

/** A GitHub-style error raised by helpers and routes (the HTTP layer turns it into a response). */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DOCS = "https://docs.github.com/rest";

export interface FakeStateOptions {
  /** Clock for every timestamp (commits, comments, reviews, merges). Default Date.now. */
  now?: () => number;
  app?: Partial<AppState>;
  /** Prefix for html_url fields. Default https://github.com. */
  htmlBase?: string;
}

export class FakeGitHubState {
  readonly users = new Map<string, UserState>();
  readonly repos = new Map<string, RepoState>();
  readonly teams = new Map<string, TeamState>();
  /** token → actor login ("app" for JWTs is implicit). */
  readonly tokens = new Map<string, string>();
  readonly app: AppState;
  readonly htmlBase: string;
  /** Base URL of the HTTP API once started (used in `url` fields). */
  apiBase = "http://127.0.0.1";
  /** The installation's permissions (default APP_PERMISSIONS): set to model an app registered with fewer. */
  installationPermissions: Record<string, string> | undefined;
  /**
   * Classic branch protection, keyed "owner/repo#branch" (lower case), as GET
   * /repos/{o}/{r}/branches/{b}/protection answers it; absent → 404 "Branch not protected".
   * Only reported, never enforced: merges stay allowed (see the header of fake-github.ts).
   */
  readonly branchProtection = new Map<string, Record<string, unknown>>();
  /** Ruleset rules that apply to a branch, keyed like branchProtection (GET /repos/{o}/{r}/rules/branches/{b}). */
  readonly branchRules = new Map<string, Array<Record<string, unknown>>>();
  private nextId = 1000;
  private readonly now: () => number;

  constructor(opts: FakeStateOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.htmlBase = opts.htmlBase ?? "https://github.com";
    const slug = opts.app?.slug ?? "jit-access";
    this.app = {
      id: opts.app?.id ?? 424242,
      slug,
      name: opts.app?.name ?? slug,
      owner: opts.app?.owner ?? "jit-org",
      installationId: opts.app?.installationId ?? 31337,
      botLogin: opts.app?.botLogin ?? `${slug}[bot]`,
    };
    this.ensureUser(this.app.botLogin, "Bot");
  }

  // ---------- ids, time, users ----------

  id(): number {
    return ++this.nextId;
  }

  /** ISO time at second precision, like GitHub. */
  time(): string {
    return new Date(Math.floor(this.now() / 1000) * 1000).toISOString().replace(".000Z", "Z");
  }

  ensureUser(login: string, type?: UserType): UserState {
    const key = login.toLowerCase();
    let u = this.users.get(key);
    if (!u) {
      u = { login, id: this.id(), type: type ?? (login.endsWith("[bot]") ? "Bot" : "User") };
      this.users.set(key, u);
    } else if (type) u.type = type;
    return u;
  }

  user(login: string): UserState | undefined {
    return this.users.get(login.toLowerCase());
  }

  /** A token that authenticates HTTP requests as `login` (like a personal access token). */
  tokenFor(login: string): string {
    this.ensureUser(login);
    const token = `ghp_${randomBytes(18).toString("hex")}`;
    this.tokens.set(token, login);
    return token;
  }

  issueInstallationToken(): { token: string; expires_at: string } {
    const token = `ghs_${randomBytes(18).toString("hex")}`;
    this.tokens.set(token, this.app.botLogin);
    // real time, not the injected clock: Octokit's token cache compares with the real clock
    return { token, expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z") };
  }

  // ---------- repos and git ----------

  repo(fullName: string): RepoState {
    const r = this.repos.get(fullName.toLowerCase());
    if (!r) throw new GitHubError(404, "Not Found");
    return r;
  }

  createRepo(opts: {
    owner: string;
    name: string;
    defaultBranch?: string;
    private?: boolean;
    files?: Record<string, FileInput>;
    author?: string;
    message?: string;
  }): RepoState {
    const key = `${opts.owner}/${opts.name}`.toLowerCase();
    if (this.repos.has(key))
      throw new GitHubError(422, "Repository creation failed.", {
        errors: [{ resource: "Repository", code: "custom", field: "name", message: "name already exists on this account" }],
      });
    if (!this.user(opts.owner)) this.ensureUser(opts.owner, "Organization");
    const repo: RepoState = {
      id: this.id(),
      owner: this.user(opts.owner)?.login ?? opts.owner,
      name: opts.name,
      defaultBranch: opts.defaultBranch ?? "main",
      private: opts.private ?? true,
      git: new GitStore(),
      issues: new Map(),
      nextNumber: 1,
      labels: new Map(),
      checkRuns: [],
      collaborators: new Map(),
      created_at: this.time(),
    };
    this.repos.set(key, repo);
    const files = new Map<string, FileEntry>();
    for (const [path, input] of Object.entries(opts.files ?? {})) {
      const e = this.blobFor(repo, input);
      if (e) files.set(normalizePath(path), e);
    }
    const author = opts.author ?? repo.owner;
    const sha = this.writeCommit(repo, files, [], opts.message ?? "Initial commit", author);
    repo.git.refs.set(`heads/${repo.defaultBranch}`, sha);
    return repo;
  }

  blobFor(repo: RepoState, input: FileInput): FileEntry | undefined {
    if (input === null) return undefined;
    if (typeof input === "string" || Buffer.isBuffer(input)) return { sha: repo.git.writeBlob(input), mode: "100644" };
    if ("symlink" in input) return { sha: repo.git.writeBlob(input.symlink), mode: "120000" };
    return { sha: repo.git.writeBlob(input.content), mode: input.executable ? "100755" : "100644" };
  }

  signature(login: string, override?: { name?: string; email?: string; date?: string }): Signature {
    const u = this.ensureUser(login);
    return {
      name: override?.name ?? login,
      email: override?.email ?? `${u.id}+${login}@users.noreply.github.com`,
      date: override?.date ?? this.time(),
    };
  }

  writeCommit(repo: RepoState, files: FlatTree, parents: string[], message: string, login: string, sig?: { name?: string; email?: string }): string {
    const tree = repo.git.writeTree(files);
    const author = this.signature(login, sig);
    // GitHub's web-flow commits (contents API, merges) are committed by "GitHub"
    const committer: Signature = { name: "GitHub", email: "noreply@github.com", date: author.date };
    return repo.git.writeCommit({ tree, parents, message, author, committer, authorLogin: login, committerLogin: "web-flow" });
  }

  branchSha(fullName: string, branch: string): string {
    const sha = this.repo(fullName).git.refs.get(`heads/${branch}`);
    if (!sha) throw new GitHubError(404, `Branch not found: ${branch}`);
    return sha;
  }

  /**
   * Moves a branch; open pull requests with that head/base follow it. A push to a PR's head is
   * an update of the PR, so its reported `base.sha` becomes the base tip at that moment; a push
   * to the base alone leaves `base.sha` where it was (as GitHub does).
   */
  setBranch(repo: RepoState, branch: string, sha: string): void {
    repo.git.refs.set(`heads/${branch}`, sha);
    for (const issue of repo.issues.values()) {
      const p = issue.pull;
      if (!p || issue.state !== "open") continue;
      if (p.baseRef === branch) p.baseTip = sha;
      if (p.headRef === branch) {
        p.headSha = sha;
        p.baseSha = p.baseTip;
      }
    }
  }

  deleteBranch(repo: RepoState, branch: string): void {
    repo.git.refs.delete(`heads/${branch}`);
  }

  /** Helper: create a branch at `from` (a branch, sha; default: the default branch). */
  createBranch(fullName: string, branch: string, from?: string): string {
    const repo = this.repo(fullName);
    if (repo.git.refs.has(`heads/${branch}`)) throw new GitHubError(422, "Reference already exists");
    const sha = repo.git.resolve(from ?? repo.defaultBranch);
    if (!sha) throw new GitHubError(422, "Object does not exist");
    this.setBranch(repo, branch, sha);
    return sha;
  }

  /**
   * Helper: commit files to a branch as `author` (null deletes a file). Creates the branch from
   * `from` (default: the default branch) when it does not exist. Returns the commit sha.
   */
  commitFiles(fullName: string, branch: string, files: Record<string, FileInput>, opts: { author: string; message?: string; from?: string }): string {
    const repo = this.repo(fullName);
    let parent = repo.git.refs.get(`heads/${branch}`);
    if (!parent) parent = this.createBranch(fullName, branch, opts.from);
    const tree = new Map(repo.git.filesAt(parent));
    for (const [path, input] of Object.entries(files)) {
      const e = this.blobFor(repo, input);
      if (e) tree.set(normalizePath(path), e);
      else tree.delete(normalizePath(path));
    }
    const sha = this.writeCommit(repo, tree, [parent], opts.message ?? `Update ${Object.keys(files).join(", ")}`, opts.author);
    this.setBranch(repo, branch, sha);
    return sha;
  }

  /** Helper: a file's text at a branch, tag or sha (undefined when absent). Symlinks give their target. */
  readFile(fullName: string, path: string, ref?: string): string | undefined {
    const repo = this.repo(fullName);
    const sha = repo.git.resolve(ref ?? repo.defaultBranch);
    if (!sha) throw new GitHubError(404, `No commit found for the ref ${ref}`);
    const e = repo.git.filesAt(sha).get(normalizePath(path));
    return e ? repo.git.readBlob(e.sha)?.toString("utf8") : undefined;
  }

  /** Helper: blob sha of a file at a ref (what the contents API calls `sha`). */
  fileSha(fullName: string, path: string, ref?: string): string | undefined {
    const repo = this.repo(fullName);
    const sha = repo.git.resolve(ref ?? repo.defaultBranch);
    return sha ? repo.git.filesAt(sha).get(normalizePath(path))?.sha : undefined;
  }

  /** Helper: all file paths at a ref, optionally under a directory. */
  listFiles(fullName: string, ref?: string, dir?: string): string[] {
    const repo = this.repo(fullName);
    const sha = repo.git.resolve(ref ?? repo.defaultBranch);
    const prefix = dir ? `${normalizePath(dir)}/` : "";
    return sha ? [...repo.git.filesAt(sha).keys()].filter((p) => p.startsWith(prefix)).sort() : [];
  }

  /** Helper: history (newest first) from a ref, optionally limited to a path, with messages. */
  commits(
    fullName: string,
    opts: { ref?: string; path?: string } = {},
  ): { sha: string; message: string; author: string | undefined; parents: string[]; date: string }[] {
    const repo = this.repo(fullName);
    const from = repo.git.resolve(opts.ref ?? repo.defaultBranch);
    if (!from) return [];
    return repo.git
      .log(from, opts.path ? { path: opts.path } : {})
      .map((c) => ({ sha: c.sha, message: c.message, author: c.authorLogin, parents: c.parents, date: c.author.date }));
  }

  // ---------- issues and pull requests ----------

  issueState(fullName: string, number: number): IssueState {
    const i = this.repo(fullName).issues.get(number);
    if (!i) throw new GitHubError(404, "Not Found");
    return i;
  }

  pullState(fullName: string, number: number): IssueState & { pull: PullState } {
    const i = this.issueState(fullName, number);
    if (!i.pull) throw new GitHubError(404, "Not Found");
    return i as IssueState & { pull: PullState };
  }

  /** Helper: open an issue as `user`. Returns its number. */
  openIssue(fullName: string, opts: { user: string; title: string; body?: string | null; labels?: string[]; assignees?: string[] }): number {
    const repo = this.repo(fullName);
    this.ensureUser(opts.user);
    const now = this.time();
    const number = repo.nextNumber++;
    repo.issues.set(number, {
      id: this.id(),
      number,
      title: opts.title,
      body: opts.body ?? null,
      user: opts.user,
      state: "open",
      state_reason: null,
      labels: [],
      assignees: [...(opts.assignees ?? [])],
      comments: [],
      created_at: now,
      updated_at: now,
      closed_at: null,
      closed_by: null,
    });
    this.addLabels(fullName, number, opts.labels ?? []);
    return number;
  }

  /**
   * Helper: edit an issue's title/body (as its author would, or as `by`). Returns the webhook `changes`
   * object for issues.edited ({ body: { from }, title: { from } }).
   */
  editIssue(
    fullName: string,
    number: number,
    edit: { title?: string; body?: string | null; by?: string },
  ): { title?: { from: string }; body?: { from: string } } {
    const issue = this.issueState(fullName, number);
    if (edit.body !== undefined && edit.body !== issue.body) issue.editor = this.ensureUser(edit.by ?? issue.user).login;
    const changes: { title?: { from: string }; body?: { from: string } } = {};
    if (edit.title !== undefined && edit.title !== issue.title) {
      changes.title = { from: issue.title };
      issue.title = edit.title;
    }
    if (edit.body !== undefined && edit.body !== issue.body) {
      changes.body = { from: issue.body ?? "" };
      issue.body = edit.body;
    }
    issue.updated_at = this.time();
    return changes;
  }

  /** Helper: open a pull request as `user` from `head` into `base` (default branch). */
  openPull(fullName: string, opts: { user: string; head: string; base?: string; title: string; body?: string | null; draft?: boolean }): number {
    const repo = this.repo(fullName);
    const head = opts.head.includes(":") ? opts.head.slice(opts.head.indexOf(":") + 1) : opts.head;
    const base = opts.base ?? repo.defaultBranch;
    const headSha = repo.git.refs.get(`heads/${head}`);
    const baseSha = repo.git.refs.get(`heads/${base}`);
    if (!headSha) throw new GitHubError(422, "Validation Failed", { errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] });
    if (!baseSha) throw new GitHubError(422, "Validation Failed", { errors: [{ resource: "PullRequest", field: "base", code: "invalid" }] });
    const dup = [...repo.issues.values()].find((i) => i.pull && i.state === "open" && i.pull.headRef === head && i.pull.baseRef === base);
    if (dup)
      throw new GitHubError(422, "Validation Failed", {
        errors: [{ resource: "PullRequest", code: "custom", message: `A pull request already exists for ${repo.owner}:${head}.` }],
      });
    if (repo.git.isAncestor(headSha, baseSha))
      throw new GitHubError(422, "Validation Failed", {
        errors: [{ resource: "PullRequest", code: "custom", message: `No commits between ${base} and ${head}` }],
      });
    const number = this.openIssue(fullName, { user: opts.user, title: opts.title, body: opts.body ?? null });
    const issue = repo.issues.get(number) as IssueState;
    issue.pull = {
      headRef: head,
      baseRef: base,
      headSha,
      baseSha,
      baseTip: baseSha,
      merged: false,
      merged_at: null,
      merge_commit_sha: null,
      merged_by: null,
      draft: opts.draft ?? false,
      reviews: [],
      requestedReviewers: [],
      requestedTeams: [],
    };
    return number;
  }

  /** Files of a PR: head vs the merge base of head and base (GitHub's three-dot diff). */
  pullFiles(fullName: string, number: number): FileChange[] {
    const repo = this.repo(fullName);
    const p = this.pullState(fullName, number).pull;
    const base = repo.git.mergeBase(p.baseTip, p.headSha);
    return repo.git.diff(base ? repo.git.filesAt(base) : new Map(), repo.git.filesAt(p.headSha));
  }

  pullCommits(fullName: string, number: number): CommitObject[] {
    const repo = this.repo(fullName);
    const p = this.pullState(fullName, number).pull;
    return repo.git.range(p.baseTip, p.headSha);
  }

  mergeability(fullName: string, number: number): { mergeable: boolean; conflicts: string[] } {
    const repo = this.repo(fullName);
    const issue = this.pullState(fullName, number);
    if (issue.state !== "open") return { mergeable: false, conflicts: [] };
    const p = issue.pull;
    const { conflicts } = repo.git.merge(repo.git.mergeBase(p.baseTip, p.headSha), p.baseTip, p.headSha);
    return { mergeable: conflicts.length === 0, conflicts };
  }

  /** Helper: submit a review as `user` (default on the PR's current head). GitHub refuses self-approval. */
  addReview(
    fullName: string,
    number: number,
    opts: { user: string; state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "PENDING"; commitId?: string; body?: string },
  ): number {
    const issue = this.pullState(fullName, number);
    this.ensureUser(opts.user);
    if (issue.user.toLowerCase() === opts.user.toLowerCase() && (opts.state === "APPROVED" || opts.state === "CHANGES_REQUESTED"))
      throw new GitHubError(422, "Unprocessable Entity", {
        errors: [opts.state === "APPROVED" ? "Can not approve your own pull request" : "Can not request changes on your own pull request"],
      });
    if (issue.state !== "open" && opts.state !== "COMMENTED")
      throw new GitHubError(422, "Unprocessable Entity", { errors: ["Can not review a closed pull request"] });
    const commitId = opts.commitId ?? issue.pull.headSha;
    if (!this.repo(fullName).git.commit(commitId)) throw new GitHubError(422, "Unprocessable Entity", { errors: [`No commit found for SHA: ${commitId}`] });
    const review: ReviewState = {
      id: this.id(),
      user: this.user(opts.user)?.login ?? opts.user,
      body: opts.body ?? "",
      state: opts.state,
      commit_id: commitId,
      submitted_at: opts.state === "PENDING" ? undefined : this.time(),
    };
    issue.pull.reviews.push(review);
    issue.pull.requestedReviewers = issue.pull.requestedReviewers.filter((r) => r.toLowerCase() !== opts.user.toLowerCase());
    issue.updated_at = this.time();
    return review.id;
  }

  /** Helper: dismiss a review (as GitHub does on "dismiss stale approvals" or by a maintainer). */
  dismissReview(fullName: string, number: number, reviewId: number): void {
    const r = this.pullState(fullName, number).pull.reviews.find((x) => x.id === reviewId);
    if (!r) throw new GitHubError(404, "Not Found");
    if (r.state === "PENDING") throw new GitHubError(422, "Can not dismiss a pending review");
    r.state = "DISMISSED";
  }

  /**
   * Helper (and the merge endpoint): merge a PR as `user`, always onto the base branch's actual
   * tip (never the reported `base.sha`), as GitHub documents the three methods:
   * - "merge": a merge commit (`--no-ff`) with parents [base tip, head];
   * - "squash": one commit with the base tip as only parent;
   * - "rebase": each PR commit replayed onto the base tip, keeping its author (name, e-mail,
   *   date) and message, committed by GitHub with new SHAs ("Rebase and merge on GitHub will always
   *   update the committer information and create new commit SHAs"); merge commits in the PR are
   *   dropped as `git rebase` does, and a rebase whose result differs from what a merge would give
   *   is refused as GitHub refuses an "unsafe" rebase. `merge_commit_sha` is the last replayed
   *   commit: "the commit that the base branch was updated to", whose first parent is the previous
   *   replayed commit, not the pre-merge tip.
   * Closes issues referenced with closing keywords when merged into the default branch.
   */
  mergePull(
    fullName: string,
    number: number,
    opts: { user: string; method?: "merge" | "squash" | "rebase"; title?: string; message?: string; sha?: string },
  ): string {
    const repo = this.repo(fullName);
    const issue = this.pullState(fullName, number);
    const p = issue.pull;
    if (issue.state !== "open") throw new GitHubError(405, "Pull Request is not mergeable");
    if (p.draft) throw new GitHubError(405, "Pull Request is still a draft");
    if (opts.sha && opts.sha !== p.headSha) throw new GitHubError(409, "Head branch was modified. Review and try the merge again.");
    const tip = p.baseTip;
    const base = repo.git.mergeBase(tip, p.headSha);
    const { files, conflicts } = repo.git.merge(base, tip, p.headSha);
    if (conflicts.length) throw new GitHubError(405, "Pull Request is not mergeable");
    const method = opts.method ?? "merge";
    let sha: string;
    if (method === "merge") {
      const msg = `${opts.title ?? `Merge pull request #${number} from ${repo.owner}/${p.headRef}`}\n\n${opts.message ?? issue.title}`;
      sha = this.writeCommit(repo, files, [tip, p.headSha], msg, opts.user);
    } else if (method === "squash") {
      const msg = `${opts.title ?? `${issue.title} (#${number})`}\n\n${
        opts.message ??
        this.pullCommits(fullName, number)
          .map((c) => `* ${c.message}`)
          .join("\n\n")
      }`;
      sha = this.writeCommit(repo, files, [tip], msg.trimEnd(), opts.user);
    } else {
      sha = tip;
      const committer: Signature = { name: "GitHub", email: "noreply@github.com", date: this.time() };
      for (const c of this.pullCommits(fullName, number)) {
        if (c.parents.length > 1) continue;
        const parent = c.parents[0];
        const change = repo.git.diff(parent ? repo.git.filesAt(parent) : new Map(), repo.git.flatten(c.tree));
        const tree = new Map(repo.git.filesAt(sha));
        for (const ch of change) {
          if (ch.previous_filename) tree.delete(ch.previous_filename);
          if (ch.new) tree.set(ch.filename, ch.new);
          else tree.delete(ch.filename);
        }
        sha = repo.git.writeCommit({
          tree: repo.git.writeTree(tree),
          parents: [sha],
          message: c.message,
          author: c.author,
          committer,
          authorLogin: c.authorLogin,
          committerLogin: "web-flow",
        });
      }
      if (repo.git.commit(sha)?.tree !== repo.git.writeTree(files)) throw new GitHubError(405, "This branch can't be rebased");
    }
    const now = this.time();
    // The PR freezes at the pre-merge tip (its files still show the PR's own diff); its reported
    // base.sha stays at its last update.
    this.setBranch(repo, p.baseRef, sha);
    p.baseTip = tip;
    Object.assign(p, { merged: true, merged_at: now, merge_commit_sha: sha, merged_by: opts.user });
    Object.assign(issue, { state: "closed", closed_at: now, updated_at: now, closed_by: opts.user });
    if (p.baseRef === repo.defaultBranch) {
      for (const n of closingReferences(issue.body ?? "")) {
        const target = repo.issues.get(n);
        if (target && !target.pull && target.state === "open")
          Object.assign(target, { state: "closed", state_reason: "completed", closed_at: now, updated_at: now, closed_by: opts.user });
      }
    }
    return sha;
  }

  /** Helper/endpoint: close or reopen an issue or PR. */
  setIssueState(
    fullName: string,
    number: number,
    state: "open" | "closed",
    opts: { user: string; reason?: "completed" | "not_planned" | "reopened" | null },
  ): void {
    const repo = this.repo(fullName);
    const issue = this.issueState(fullName, number);
    const now = this.time();
    if (state === issue.state) {
      if (state === "closed" && opts.reason && !issue.pull) issue.state_reason = opts.reason;
      return;
    }
    if (state === "closed") {
      Object.assign(issue, { state, closed_at: now, closed_by: opts.user, updated_at: now, state_reason: issue.pull ? null : (opts.reason ?? "completed") });
    } else {
      if (issue.pull) {
        if (issue.pull.merged)
          throw new GitHubError(422, "Validation Failed", {
            errors: [{ resource: "PullRequest", code: "custom", message: "Cannot reopen a merged pull request" }],
          });
        const head = repo.git.refs.get(`heads/${issue.pull.headRef}`);
        const base = repo.git.refs.get(`heads/${issue.pull.baseRef}`);
        if (!head || !base)
          throw new GitHubError(422, "Validation Failed", {
            errors: [{ resource: "PullRequest", code: "custom", message: "state cannot be changed. The head branch was deleted." }],
          });
        issue.pull.headSha = head;
        issue.pull.baseSha = base;
        issue.pull.baseTip = base;
      }
      Object.assign(issue, { state, closed_at: null, closed_by: null, updated_at: now, state_reason: issue.pull ? null : "reopened" });
    }
  }

  /** Helper: comment on an issue or PR as `user`. Returns the comment id. */
  addComment(fullName: string, number: number, opts: { user: string; body: string }): number {
    const issue = this.issueState(fullName, number);
    this.ensureUser(opts.user);
    const now = this.time();
    const c: CommentState = { id: this.id(), user: this.user(opts.user)?.login ?? opts.user, body: opts.body, created_at: now, updated_at: now };
    issue.comments.push(c);
    issue.updated_at = now;
    return c.id;
  }

  /** Helper: comments on an issue or PR (oldest first). */
  comments(fullName: string, number: number): { id: number; user: string; body: string; created_at: string }[] {
    return this.issueState(fullName, number).comments.map((c) => ({ id: c.id, user: c.user, body: c.body, created_at: c.created_at }));
  }

  findComment(repo: RepoState, id: number): { issue: IssueState; comment: CommentState } | undefined {
    for (const issue of repo.issues.values()) {
      const comment = issue.comments.find((c) => c.id === id);
      if (comment) return { issue, comment };
    }
    return undefined;
  }

  ensureLabel(fullName: string, name: string): LabelState {
    const repo = this.repo(fullName);
    let l = repo.labels.get(name.toLowerCase());
    if (!l) {
      l = { id: this.id(), name, color: "ededed", description: null };
      repo.labels.set(name.toLowerCase(), l);
    }
    return l;
  }

  /** Adds labels (creating missing repo labels, as GitHub does). */
  addLabels(fullName: string, number: number, names: string[]): void {
    const issue = this.issueState(fullName, number);
    for (const n of names) {
      const l = this.ensureLabel(fullName, n);
      if (!issue.labels.some((x) => x.toLowerCase() === l.name.toLowerCase())) issue.labels.push(l.name);
    }
  }

  /** Helper: label names on an issue or PR. */
  labels(fullName: string, number: number): string[] {
    return [...this.issueState(fullName, number).labels];
  }

  // ---------- checks, teams, collaborators ----------

  /** Helper: check runs (optionally for one head sha / ref and name), oldest first. */
  checkRuns(fullName: string, opts: { ref?: string; name?: string } = {}): CheckRunState[] {
    const repo = this.repo(fullName);
    const sha = opts.ref ? repo.git.resolve(opts.ref) : undefined;
    return repo.checkRuns.filter((c) => (!opts.ref || c.head_sha === sha) && (!opts.name || c.name === opts.name));
  }

  addTeam(
    org: string,
    slug: string,
    members: Record<string, "active" | "pending" | { state: "active" | "pending"; role: "member" | "maintainer" }> = {},
  ): TeamState {
    if (!this.user(org)) this.ensureUser(org, "Organization");
    const key = `${org}/${slug}`.toLowerCase();
    const team: TeamState = this.teams.get(key) ?? { id: this.id(), org, slug, name: slug, members: new Map() };
    this.teams.set(key, team);
    for (const [login, m] of Object.entries(members)) this.setTeamMembership(org, slug, login, m);
    return team;
  }

  setTeamMembership(
    org: string,
    slug: string,
    login: string,
    m: "active" | "pending" | { state: "active" | "pending"; role: "member" | "maintainer" } | null,
  ): void {
    const team = this.teams.get(`${org}/${slug}`.toLowerCase());
    if (!team) throw new GitHubError(404, "Not Found");
    this.ensureUser(login);
    if (m === null) team.members.delete(login.toLowerCase());
    else team.members.set(login.toLowerCase(), typeof m === "string" ? { state: m, role: "member" } : m);
  }

  setPermission(fullName: string, login: string, permission: Permission): void {
    this.ensureUser(login);
    this.repo(fullName).collaborators.set(login.toLowerCase(), permission);
  }

  permission(repo: RepoState, login: string): Permission {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return "admin";
    return repo.collaborators.get(login.toLowerCase()) ?? (repo.private ? "none" : "read");
  }

  // ---------- JSON serializers (REST shapes) ----------

  userJson(login: string | null | undefined): Record<string, unknown> | null {
    if (!login) return null;
    const u = this.ensureUser(login);
    return {
      login: u.login,
      id: u.id,
      node_id: nodeId(u.type === "Bot" ? "BOT" : u.type === "Organization" ? "O" : "U", u.id),
      avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      gravatar_id: "",
      url: `${this.apiBase}/users/${encodeURIComponent(u.login)}`,
      html_url: `${this.htmlBase}/${u.type === "Bot" ? `apps/${encodeURIComponent(u.login.replace(/\[bot\]$/, ""))}` : encodeURIComponent(u.login)}`,
      ...userUrls(`${this.apiBase}/users/${encodeURIComponent(u.login)}`),
      type: u.type,
      site_admin: false,
    };
  }

  repoJson(repo: RepoState): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: repo.id,
      node_id: nodeId("R", repo.id),
      name: repo.name,
      full_name: full,
      private: repo.private,
      visibility: repo.private ? "private" : "public",
      owner: this.userJson(repo.owner),
      html_url: `${this.htmlBase}/${full}`,
      description: null,
      fork: false,
      url: `${this.apiBase}/repos/${full}`,
      ...repoUrls(`${this.apiBase}/repos/${full}`, `${this.htmlBase}/${full}`),
      homepage: null,
      language: null,
      license: null,
      mirror_url: null,
      size: 0,
      forks: 0,
      forks_count: 0,
      stargazers_count: 0,
      watchers: 0,
      watchers_count: 0,
      open_issues: [...repo.issues.values()].filter((i) => i.state === "open").length,
      open_issues_count: [...repo.issues.values()].filter((i) => i.state === "open").length,
      has_downloads: true,
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_discussions: false,
      // full-repository (GET /repos/{owner}/{repo}) only on GitHub; harmless elsewhere.
      network_count: 0,
      subscribers_count: 0,
      default_branch: repo.defaultBranch,
      archived: false,
      disabled: false,
      created_at: repo.created_at,
      updated_at: repo.created_at,
      pushed_at: repo.created_at,
    };
  }

  labelJson(repo: RepoState, name: string): Record<string, unknown> {
    const l = repo.labels.get(name.toLowerCase()) ?? { id: 0, name, color: "ededed", description: null };
    return {
      id: l.id,
      node_id: nodeId("LA", l.id),
      url: `${this.apiBase}/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      color: l.color,
      description: l.description,
      default: false,
    };
  }

  issueJson(repo: RepoState, issue: IssueState): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: issue.id,
      node_id: nodeId(issue.pull ? "PR" : "I", issue.id),
      url: `${this.apiBase}/repos/${full}/issues/${issue.number}`,
      repository_url: `${this.apiBase}/repos/${full}`,
      comments_url: `${this.apiBase}/repos/${full}/issues/${issue.number}/comments`,
      events_url: `${this.apiBase}/repos/${full}/issues/${issue.number}/events`,
      labels_url: `${this.apiBase}/repos/${full}/issues/${issue.number}/labels{/name}`,
      html_url: `${this.htmlBase}/${full}/${issue.pull ? "pull" : "issues"}/${issue.number}`,
      number: issue.number,
      state: issue.state,
      state_reason: issue.state_reason,
      title: issue.title,
      body: issue.body,
      user: this.userJson(issue.user),
      labels: issue.labels.map((l) => this.labelJson(repo, l)),
      assignee: this.userJson(issue.assignees[0]),
      assignees: issue.assignees.map((a) => this.userJson(a)),
      locked: false,
      milestone: null,
      comments: issue.comments.length,
      created_at: issue.created_at,
      updated_at: issue.updated_at,
      closed_at: issue.closed_at,
      closed_by: issue.state === "closed" ? this.userJson(issue.closed_by) : null,
      author_association: this.association(repo, issue.user),
      ...(issue.pull
        ? {
            pull_request: {
              url: `${this.apiBase}/repos/${full}/pulls/${issue.number}`,
              html_url: `${this.htmlBase}/${full}/pull/${issue.number}`,
              diff_url: `${this.htmlBase}/${full}/pull/${issue.number}.diff`,
              patch_url: `${this.htmlBase}/${full}/pull/${issue.number}.patch`,
              merged_at: issue.pull.merged_at,
            },
          }
        : {}),
    };
  }

  association(repo: RepoState, login: string): string {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
    const p = repo.collaborators.get(login.toLowerCase());
    if (p && p !== "none") return "COLLABORATOR";
    return "NONE";
  }

  pullJson(repo: RepoState, issue: IssueState): Record<string, unknown> {
    const p = issue.pull;
    if (!p) throw new GitHubError(404, "Not Found");
    const full = `${repo.owner}/${repo.name}`;
    const files = this.pullFiles(full, issue.number);
    const { mergeable } = this.mergeability(full, issue.number);
    const lines = files.reduce(
      (acc, f) => {
        const d = this.lineStats(repo, f);
        return { additions: acc.additions + d.additions, deletions: acc.deletions + d.deletions };
      },
      { additions: 0, deletions: 0 },
    );
    const side = (ref: string, sha: string): Record<string, unknown> => ({
      label: `${repo.owner}:${ref}`,
      ref,
      sha,
      user: this.userJson(repo.owner),
      repo: this.repoJson(repo),
    });
    return {
      ...this.issueJson(repo, issue),
      id: issue.id,
      node_id: nodeId("PR", issue.id),
      url: `${this.apiBase}/repos/${full}/pulls/${issue.number}`,
      issue_url: `${this.apiBase}/repos/${full}/issues/${issue.number}`,
      html_url: `${this.htmlBase}/${full}/pull/${issue.number}`,
      diff_url: `${this.htmlBase}/${full}/pull/${issue.number}.diff`,
      patch_url: `${this.htmlBase}/${full}/pull/${issue.number}.patch`,
      commits_url: `${this.apiBase}/repos/${full}/pulls/${issue.number}/commits`,
      review_comments_url: `${this.apiBase}/repos/${full}/pulls/${issue.number}/comments`,
      review_comment_url: `${this.apiBase}/repos/${full}/pulls/comments{/number}`,
      statuses_url: `${this.apiBase}/repos/${full}/statuses/${p.headSha}`,
      _links: {
        self: { href: `${this.apiBase}/repos/${full}/pulls/${issue.number}` },
        html: { href: `${this.htmlBase}/${full}/pull/${issue.number}` },
        issue: { href: `${this.apiBase}/repos/${full}/issues/${issue.number}` },
        comments: { href: `${this.apiBase}/repos/${full}/issues/${issue.number}/comments` },
        review_comments: { href: `${this.apiBase}/repos/${full}/pulls/${issue.number}/comments` },
        review_comment: { href: `${this.apiBase}/repos/${full}/pulls/comments{/number}` },
        commits: { href: `${this.apiBase}/repos/${full}/pulls/${issue.number}/commits` },
        statuses: { href: `${this.apiBase}/repos/${full}/statuses/${p.headSha}` },
      },
      auto_merge: null,
      pull_request: undefined,
      state_reason: undefined,
      closed_by: undefined,
      head: side(p.headRef, p.headSha),
      base: side(p.baseRef, p.baseSha),
      draft: p.draft,
      merged: p.merged,
      mergeable: issue.state === "open" ? mergeable : null,
      mergeable_state: issue.state !== "open" ? "unknown" : p.draft ? "draft" : mergeable ? "clean" : "dirty",
      rebaseable: issue.state === "open" ? mergeable : null,
      merged_at: p.merged_at,
      merge_commit_sha: p.merge_commit_sha,
      merged_by: this.userJson(p.merged_by),
      requested_reviewers: p.requestedReviewers.map((r) => this.userJson(r)),
      requested_teams: p.requestedTeams.map((t) =>
        this.teamJson(this.teams.get(`${repo.owner}/${t}`.toLowerCase()) ?? { id: 0, org: repo.owner, slug: t, name: t, members: new Map() }),
      ),
      commits: this.pullCommits(full, issue.number).length,
      additions: lines.additions,
      deletions: lines.deletions,
      changed_files: files.length,
      review_comments: 0,
      maintainer_can_modify: false,
    };
  }

  lineStats(repo: RepoState, f: FileChange): { additions: number; deletions: number; patch: string } {
    const lines = (e: FileEntry | undefined): string[] => {
      if (!e) return [];
      const text = repo.git.readBlob(e.sha)?.toString("utf8") ?? "";
      return text === "" ? [] : text.replace(/\n$/, "").split("\n");
    };
    const a = lines(f.old);
    const b = lines(f.new);
    // line multiset difference: good enough for counts and a readable patch
    const remaining = new Map<string, number>();
    for (const l of b) remaining.set(l, (remaining.get(l) ?? 0) + 1);
    const removed: string[] = [];
    for (const l of a) {
      const n = remaining.get(l) ?? 0;
      if (n > 0) remaining.set(l, n - 1);
      else removed.push(l);
    }
    const leftover = new Map<string, number>();
    for (const l of a) leftover.set(l, (leftover.get(l) ?? 0) + 1);
    const added = b.filter((l) => {
      const n = leftover.get(l) ?? 0;
      if (n > 0) {
        leftover.set(l, n - 1);
        return false;
      }
      return true;
    });
    const patch = `@@ -1,${a.length} +1,${b.length} @@\n${[...removed.map((l) => `-${l}`), ...added.map((l) => `+${l}`)].join("\n")}`;
    return { additions: added.length, deletions: removed.length, patch };
  }

  fileChangeJson(repo: RepoState, f: FileChange, ref: string): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    const { additions, deletions, patch } = this.lineStats(repo, f);
    return {
      sha: f.sha,
      filename: f.filename,
      status: f.status,
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${this.htmlBase}/${full}/blob/${ref}/${encodePath(f.filename)}`,
      raw_url: `${this.htmlBase}/${full}/raw/${ref}/${encodePath(f.filename)}`,
      contents_url: `${this.apiBase}/repos/${full}/contents/${encodePath(f.filename)}?ref=${ref}`,
      patch,
      ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
    };
  }

  reviewJson(repo: RepoState, issue: IssueState, r: ReviewState): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: r.id,
      node_id: nodeId("PRR", r.id),
      user: this.userJson(r.user),
      body: r.body,
      state: r.state,
      html_url: `${this.htmlBase}/${full}/pull/${issue.number}#pullrequestreview-${r.id}`,
      pull_request_url: `${this.apiBase}/repos/${full}/pulls/${issue.number}`,
      commit_id: r.commit_id,
      _links: {
        html: { href: `${this.htmlBase}/${full}/pull/${issue.number}#pullrequestreview-${r.id}` },
        pull_request: { href: `${this.apiBase}/repos/${full}/pulls/${issue.number}` },
      },
      author_association: this.association(repo, r.user),
      ...(r.submitted_at ? { submitted_at: r.submitted_at } : {}),
    };
  }

  commentJson(repo: RepoState, issue: IssueState, c: CommentState): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: c.id,
      node_id: nodeId("IC", c.id),
      url: `${this.apiBase}/repos/${full}/issues/comments/${c.id}`,
      html_url: `${this.htmlBase}/${full}/${issue.pull ? "pull" : "issues"}/${issue.number}#issuecomment-${c.id}`,
      issue_url: `${this.apiBase}/repos/${full}/issues/${issue.number}`,
      body: c.body,
      user: this.userJson(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: this.association(repo, c.user),
    };
  }

  commitJson(repo: RepoState, c: CommitObject, withFiles = false): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    const base: Record<string, unknown> = {
      sha: c.sha,
      node_id: nodeId("C", c.seq),
      url: `${this.apiBase}/repos/${full}/commits/${c.sha}`,
      html_url: `${this.htmlBase}/${full}/commit/${c.sha}`,
      comments_url: `${this.apiBase}/repos/${full}/commits/${c.sha}/comments`,
      commit: {
        message: c.message,
        author: c.author,
        committer: c.committer,
        tree: { sha: c.tree, url: `${this.apiBase}/repos/${full}/git/trees/${c.tree}` },
        url: `${this.apiBase}/repos/${full}/git/commits/${c.sha}`,
        comment_count: 0,
        verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
      },
      author: this.userJson(c.authorLogin),
      committer: c.committerLogin === "web-flow" ? this.userJson("web-flow") : this.userJson(c.committerLogin),
      parents: c.parents.map((p) => ({ sha: p, url: `${this.apiBase}/repos/${full}/commits/${p}`, html_url: `${this.htmlBase}/${full}/commit/${p}` })),
    };
    if (withFiles) {
      const parent = c.parents[0];
      const files = repo.git.diff(parent ? repo.git.filesAt(parent) : new Map(), repo.git.flatten(c.tree)).map((f) => this.fileChangeJson(repo, f, c.sha));
      const additions = files.reduce((n, f) => n + Number(f.additions), 0);
      const deletions = files.reduce((n, f) => n + Number(f.deletions), 0);
      base.stats = { total: additions + deletions, additions, deletions };
      base.files = files;
    }
    return base;
  }

  gitCommitJson(repo: RepoState, c: CommitObject): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      sha: c.sha,
      node_id: nodeId("C", c.seq),
      url: `${this.apiBase}/repos/${full}/git/commits/${c.sha}`,
      html_url: `${this.htmlBase}/${full}/commit/${c.sha}`,
      message: c.message,
      author: c.author,
      committer: c.committer,
      tree: { sha: c.tree, url: `${this.apiBase}/repos/${full}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({ sha: p, url: `${this.apiBase}/repos/${full}/git/commits/${p}`, html_url: `${this.htmlBase}/${full}/commit/${p}` })),
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    };
  }

  checkRunJson(repo: RepoState, c: CheckRunState): Record<string, unknown> {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: c.id,
      node_id: nodeId("CR", c.id),
      head_sha: c.head_sha,
      external_id: c.external_id,
      url: `${this.apiBase}/repos/${full}/check-runs/${c.id}`,
      html_url: `${this.htmlBase}/${full}/runs/${c.id}`,
      details_url: c.details_url,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.started_at,
      completed_at: c.completed_at,
      output: { ...c.output, annotations_count: 0, annotations_url: `${this.apiBase}/repos/${full}/check-runs/${c.id}/annotations` },
      name: c.name,
      check_suite: { id: c.id },
      // The app that created the run (GitHub's check runs name their app; another app may use the same name).
      app:
        c.app === this.app.slug ? this.appJson() : { ...this.appJson(), id: this.app.id + 1, slug: c.app, name: c.app, node_id: nodeId("A", this.app.id + 1) },
      pull_requests: [...repo.issues.values()]
        .filter((i) => i.pull && i.state === "open" && i.pull.headSha === c.head_sha)
        .map((i) => ({
          number: i.number,
          id: i.id,
          url: `${this.apiBase}/repos/${full}/pulls/${i.number}`,
          head: { ref: i.pull?.headRef, sha: i.pull?.headSha, repo: { id: repo.id, url: `${this.apiBase}/repos/${full}`, name: repo.name } },
          base: { ref: i.pull?.baseRef, sha: i.pull?.baseSha, repo: { id: repo.id, url: `${this.apiBase}/repos/${full}`, name: repo.name } },
        })),
    };
  }

  teamJson(t: TeamState): Record<string, unknown> {
    return {
      id: t.id,
      node_id: nodeId("T", t.id),
      name: t.name,
      slug: t.slug,
      url: `${this.apiBase}/orgs/${t.org}/teams/${t.slug}`,
      html_url: `${this.htmlBase}/orgs/${t.org}/teams/${t.slug}`,
      members_url: `${this.apiBase}/orgs/${t.org}/teams/${t.slug}/members{/member}`,
      repositories_url: `${this.apiBase}/orgs/${t.org}/teams/${t.slug}/repos`,
      description: null,
      parent: null,
      type: "organization",
      privacy: "closed",
      permission: "pull",
    };
  }

  appJson(): Record<string, unknown> {
    return {
      id: this.app.id,
      slug: this.app.slug,
      node_id: nodeId("A", this.app.id),
      owner: this.userJson(this.app.owner),
      name: this.app.name,
      description: "",
      external_url: `${this.htmlBase}/apps/${this.app.slug}`,
      html_url: `${this.htmlBase}/apps/${this.app.slug}`,
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      permissions: APP_PERMISSIONS,
      events: ["issues", "issue_comment", "pull_request", "pull_request_review"],
    };
  }

  installationJson(): Record<string, unknown> {
    return {
      id: this.app.installationId,
      account: this.userJson(this.app.owner),
      app_id: this.app.id,
      app_slug: this.app.slug,
      target_type: "Organization",
      repository_selection: "all",
      permissions: this.installationPermissions ?? APP_PERMISSIONS,
      events: ["issues", "issue_comment", "pull_request", "pull_request_review"],
      access_tokens_url: `${this.apiBase}/app/installations/${this.app.installationId}/access_tokens`,
      repositories_url: `${this.apiBase}/installation/repositories`,
      created_at: "2024-01-01T00:00:00Z",
      updated_at: "2024-01-01T00:00:00Z",
      suspended_at: null,
      suspended_by: null,
      target_id: this.user(this.app.owner)?.id ?? 0,
      single_file_name: null,
      html_url: `${this.htmlBase}/organizations/${this.app.owner}/settings/installations/${this.app.installationId}`,
    };
  }

  error(status: number, message: string): never {
    throw new GitHubError(status, message);
  }

  static readonly docs = DOCS;
}

export const APP_PERMISSIONS = { contents: "write", issues: "write", pull_requests: "write", checks: "write", members: "read", metadata: "read" };

export function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(`fake:${id}`).toString("base64url")}`;
}

export function normalizePath(p: string): string {
  return p.replace(/^\/+|\/+$/g, "");
}

/** Issue numbers referenced with GitHub's closing keywords ("Closes #12", "fixes #3", ...). */
export function closingReferences(text: string): number[] {
  const out: number[] = [];
  const re = /\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+#(\d+)\b/gi;
  for (const m of text.matchAll(re)) out.push(Number(m[1]));
  return out;
}

/** The URL fields GitHub puts in every user object (simple-user). */
function userUrls(api: string): Record<string, string> {
  return {
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
  };
}

/** The URL fields GitHub puts in every repository object (repository / minimal-repository). */
function repoUrls(api: string, html: string): Record<string, string> {
  const t = (path: string) => `${api}/${path}`;
  return {
    forks_url: t("forks"),
    keys_url: t("keys{/key_id}"),
    collaborators_url: t("collaborators{/collaborator}"),
    teams_url: t("teams"),
    hooks_url: t("hooks"),
    issue_events_url: t("issues/events{/number}"),
    events_url: t("events"),
    assignees_url: t("assignees{/user}"),
    branches_url: t("branches{/branch}"),
    tags_url: t("tags"),
    blobs_url: t("git/blobs{/sha}"),
    git_tags_url: t("git/tags{/sha}"),
    git_refs_url: t("git/refs{/sha}"),
    trees_url: t("git/trees{/sha}"),
    statuses_url: t("statuses/{sha}"),
    languages_url: t("languages"),
    stargazers_url: t("stargazers"),
    contributors_url: t("contributors"),
    subscribers_url: t("subscribers"),
    subscription_url: t("subscription"),
    commits_url: t("commits{/sha}"),
    git_commits_url: t("git/commits{/sha}"),
    comments_url: t("comments{/number}"),
    issue_comment_url: t("issues/comments{/number}"),
    contents_url: t("contents/{+path}"),
    compare_url: t("compare/{base}...{head}"),
    merges_url: t("merges"),
    archive_url: t("{archive_format}{/ref}"),
    downloads_url: t("downloads"),
    issues_url: t("issues{/number}"),
    pulls_url: t("pulls{/number}"),
    milestones_url: t("milestones{/number}"),
    notifications_url: t("notifications{?since,all,participating}"),
    labels_url: t("labels{/name}"),
    releases_url: t("releases{/id}"),
    deployments_url: t("deployments"),
    git_url: `${html.replace(/^https?:/, "git:")}.git`,
    ssh_url: `git@${new URL(html).host}:${new URL(html).pathname.slice(1)}.git`,
    clone_url: `${html}.git`,
    svn_url: html,
  };
}

/** A repository path for a URL: each segment percent-encoded, the slashes kept. */
function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}
