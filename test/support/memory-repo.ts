// In-memory stand-ins for the GitHub side, for fast use-case and handler tests: a record store
// with real compare-and-swap (a write carrying a stale blob sha is a ConflictError) and a hook to
// let a "concurrent writer" in between a read and a write; and an AccessRepo on top of it. The HTTP fake GitHub stays the stand-in
// for the end-to-end suites.
import { createHash } from "node:crypto";
import type { Review } from "../../src/domain/approvals.js";
import { applyState, type IssueState } from "../../src/domain/lifecycle.js";
import { REQUESTS_DIR } from "../../src/domain/request.js";
import type { AccessRepo, CommitInfo, Comparison, IssueComment, IssueFacts, MergeAnswer, OpenPull, PrCommit, PrFile } from "../../src/lifecycle/ports.js";
import { ConflictError, type RecordStore, type StoredFile, type WriteResult } from "../../src/store/record-store.js";

export interface MemoryCommit {
  sha: string;
  path: string;
  message: string;
}

export const blobSha = (text: string) =>
  createHash("sha1")
    .update(`blob ${Buffer.byteLength(text)}\0${text}`)
    .digest("hex");
/** Yields to other promises, so concurrent callers interleave as they do against a server. */
const tick = () => new Promise<void>((r) => setImmediate(r));

export class MemoryRecordStore implements RecordStore {
  readonly files = new Map<string, string>();
  readonly commits: MemoryCommit[] = [];
  /** Runs once before the next write is checked: a concurrent writer's chance to get in first. */
  beforeNextWrite: ((store: MemoryRecordStore) => void) | undefined;

  constructor(files: Record<string, string> = {}) {
    for (const [p, t] of Object.entries(files)) this.files.set(p, t);
  }

  async read(path: string): Promise<StoredFile | undefined> {
    await tick();
    const text = this.files.get(path);
    return text === undefined ? undefined : { path, sha: blobSha(text), text };
  }

  async list(): Promise<StoredFile[]> {
    await tick();
    return [...this.files.keys()]
      .filter((p) => p.startsWith(`${REQUESTS_DIR}/`) && p.endsWith(".yaml"))
      .sort()
      .map((p) => ({ path: p, sha: blobSha(this.files.get(p)!), text: this.files.get(p)! }));
  }

  async write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    await tick();
    const hook = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    hook?.(this);
    const current = this.files.get(path);
    if ((current === undefined ? undefined : blobSha(current)) !== opts.expectedSha) throw new ConflictError(`${path} changed since it was read`);
    return this.commitFile(path, text, opts.message);
  }

  /** A write that bypasses compare-and-swap: what another writer committed. */
  commitFile(path: string, text: string, message: string): WriteResult {
    this.files.set(path, text);
    const sha = createHash("sha1").update(`${this.commits.length} ${path} ${message}`).digest("hex");
    this.commits.push({ sha, path, message });
    return { sha: blobSha(text), commit: sha };
  }
}

export interface MemoryPull {
  number: number;
  files: PrFile[];
  commits: PrCommit[];
  reviews: Review[];
  /** Files at the merge commit (path → text), for readAt(path, mergeSha). */
  atMerge?: { sha: string; files: Record<string, string> };
}

/**
 * AccessRepo in memory: the default branch is the record store above; other refs, pull requests,
 * issues, comments, labels and teams are plain maps a test fills in and reads back.
 */
export class MemoryAccessRepo extends MemoryRecordStore implements AccessRepo {
  readonly fullName = "acme/access";
  /** Who opens the pull requests createPull makes. */
  readonly appLogin = "jit-access[bot]";
  readonly defaultBranch = "main";
  /** ref (sha or branch) → path → text. */
  readonly refs = new Map<string, Map<string, string>>();
  readonly pulls = new Map<number, MemoryPull>();
  readonly commitsBySha = new Map<string, CommitInfo>();
  readonly issues = new Map<number, IssueFacts>();
  /** issue → marker → body (the app's own comments). */
  readonly comments = new Map<number, Map<string, string>>();
  readonly issueLabels = new Map<number, string[]>();
  /** "org/team" → login → state. */
  readonly teams = new Map<string, Map<string, "active" | "pending">>();
  readonly closedIssues: Array<{ issue: number; reason: string }> = [];

  async readAt(path: string, ref: string): Promise<StoredFile | undefined> {
    // The default branch's tip is where its files are (unless a test set that commit's files itself).
    if (ref === this.defaultBranch || (ref === this.branches.get(this.defaultBranch) && !this.refs.has(ref))) return this.read(path);
    await tick();
    const text = this.refs.get(ref)?.get(path);
    return text === undefined ? undefined : { path, sha: blobSha(text), text };
  }

  /** Calls of listNames, for tests that bound the reads a handler makes. */
  listNameCalls = 0;

  async listNames(folders: readonly string[]): Promise<string[]> {
    this.listNameCalls++;
    await tick();
    const dirs = new Set(folders.map((f) => f.replace(/\/+$/, "")));
    return [...this.files.keys()].filter((p) => p.endsWith(".yaml") && dirs.has(p.slice(0, p.lastIndexOf("/")))).sort();
  }

  async prFiles(pr: number): Promise<PrFile[]> {
    return this.pull(pr).files;
  }

  async prCommits(pr: number): Promise<PrCommit[]> {
    return this.pull(pr).commits;
  }

  async reviews(pr: number): Promise<Review[]> {
    return this.pull(pr).reviews;
  }

  async commit(sha: string): Promise<CommitInfo> {
    const c = this.commitsBySha.get(sha);
    if (!c) throw Object.assign(new Error(`no commit ${sha}`), { status: 404 });
    return c;
  }

  async issue(number: number): Promise<IssueFacts | undefined> {
    return this.issues.get(number);
  }

  async teamMembership(org: string, team: string, login: string): Promise<"active" | "pending" | undefined> {
    return this.teams.get(`${org}/${team}`)?.get(login);
  }

  async upsertComment(issue: number, marker: string, body: string): Promise<void> {
    await tick();
    const byMarker = this.comments.get(issue) ?? new Map<string, string>();
    byMarker.set(marker, body);
    this.comments.set(issue, byMarker);
  }

  async labels(issue: number): Promise<string[]> {
    return [...(this.issueLabels.get(issue) ?? [])];
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    const have = this.issueLabels.get(issue) ?? [];
    this.issueLabels.set(issue, [...have, ...labels.filter((l) => !have.includes(l))]);
  }

  async setState(issue: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void> {
    await tick();
    const { add, remove } = applyState(await this.labels(issue), state, onlyFrom);
    this.issueLabels.set(issue, [...(this.issueLabels.get(issue) ?? []).filter((l) => !remove.includes(l)), ...add]);
  }

  async closeIssue(issue: number, reason: "completed" | "not_planned"): Promise<void> {
    await tick();
    this.closedIssues.push({ issue, reason });
    const facts = this.issues.get(issue);
    if (facts) this.issues.set(issue, { ...facts, state: "closed" });
  }

  readonly branches = new Map<string, string>();
  readonly checks: Array<{ name: string; headSha: string; conclusion: string; title: string; summary: string }> = [];
  readonly pullUpdates: Array<{ pr: number; title?: string; body?: string }> = [];

  async branchTip(branch: string): Promise<string> {
    const sha = this.branches.get(branch);
    if (!sha) throw Object.assign(new Error(`no branch ${branch}`), { status: 404 });
    return sha;
  }

  async writeAt(branch: string, path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    if (branch === this.defaultBranch) return this.write(path, text, opts);
    const files = this.refs.get(branch) ?? new Map<string, string>();
    const current = files.get(path);
    if ((current === undefined ? undefined : blobSha(current)) !== opts.expectedSha) throw new ConflictError(`${path} changed since it was read`);
    files.set(path, text);
    this.refs.set(branch, files);
    // A new commit on the branch: its tip moves, and the files are readable at the commit too.
    const commit = createHash("sha1").update(`${branch} ${path} ${opts.message} ${text}`).digest("hex");
    this.branches.set(branch, commit);
    this.refs.set(commit, new Map(files));
    return { sha: blobSha(text), commit };
  }

  async updatePull(pr: number, update: { title?: string; body?: string }): Promise<void> {
    this.pullUpdates.push({ pr, ...update });
  }

  async createCheck(check: { name: string; headSha: string; conclusion: "success" | "failure" | "neutral"; title: string; summary: string }): Promise<void> {
    this.checks.push(check);
  }

  async hasConfig(): Promise<boolean> {
    return this.files.has(".github/jit-access.yml");
  }

  readonly issueTexts = new Map<number, { body: string; editor: string | null }>();
  readonly openPullList: OpenPull[] = [];
  readonly comparisons = new Map<string, Comparison>();
  readonly createdPulls: Array<{ number: number; head: string; base: string; title: string; body: string }> = [];
  readonly reviewRequests: Array<{ pr: number; reviewers: string[]; teams: string[] }> = [];

  async ensureLabels(): Promise<string[]> {
    return [];
  }

  async issueText(issue: number): Promise<{ body: string; editor: string | null } | undefined> {
    return this.issueTexts.get(issue);
  }

  async openPulls(): Promise<OpenPull[]> {
    return [...this.openPullList];
  }

  async pullPayload(pr: number): Promise<unknown> {
    return this.openPullList.find((p) => p.number === pr);
  }

  async createBranch(branch: string, sha: string): Promise<boolean> {
    if (this.branches.has(branch)) return false;
    this.branches.set(branch, sha);
    this.refs.set(branch, new Map(this.files));
    return true;
  }

  async compare(base: string, head: string): Promise<Comparison> {
    return this.comparisons.get(`${base}...${head}`) ?? { aheadBy: 0, commits: [], files: [] };
  }

  async deleteFileAt(branch: string, path: string): Promise<void> {
    this.refs.get(branch)?.delete(path);
  }

  async createPull(pull: { head: string; base: string; title: string; body: string }): Promise<number> {
    const number = 100 + this.createdPulls.length;
    this.createdPulls.push({ number, ...pull });
    // Its files: what the head branch adds or changes against the default branch.
    const files: PrFile[] = [...(this.refs.get(pull.head) ?? new Map<string, string>())]
      .filter(([path, text]) => this.files.get(path) !== text)
      .map(([path, text]) => ({ path, status: this.files.has(path) ? "modified" : "added", previousPath: null, sha: blobSha(text) }));
    this.pulls.set(number, { number, files, commits: [], reviews: [] });
    // Open from now on, as the app's (the only caller that opens pull requests).
    this.openPullList.push({
      number,
      title: pull.title,
      body: pull.body,
      user: { login: this.appLogin, type: "Bot" },
      head: { ref: pull.head, sha: this.branches.get(pull.head) ?? "", repoFullName: this.fullName },
    });
    return number;
  }

  async requestReviewers(pr: number, reviewers: string[], teams: string[]): Promise<void> {
    this.reviewRequests.push({ pr, reviewers, teams });
  }

  readonly merges: Array<{ pr: number; sha: string; method: string; title: string; message: string }> = [];
  readonly createdIssues: Array<{ number: number; title: string; body: string; labels: string[]; assignees: string[] }> = [];

  async mergePull(pr: number, merge: { sha: string; method: "merge" | "squash"; title: string; message: string }): Promise<MergeAnswer> {
    this.pull(pr);
    this.merges.push({ pr, ...merge });
    return { kind: "merged", sha: createHash("sha1").update(`merge ${pr} ${merge.sha}`).digest("hex") };
  }

  /** The record store's commits keep no dates: every one is returned, undated (counted as recent). */
  async commitsSince(path: string): Promise<Array<{ sha: string; date: string; message: string }>> {
    return this.commits.filter((c) => c.path === path || c.path.startsWith(`${path}/`)).map((c) => ({ sha: c.sha, date: "", message: c.message }));
  }

  async createIssue(issue: { title: string; body: string; labels: string[]; assignees: string[] }): Promise<number> {
    const number = 500 + this.createdIssues.length;
    this.createdIssues.push({ number, ...issue });
    return number;
  }

  /** Comments written by people (the app's own are in `comments`), by issue or PR number. */
  readonly commentList = new Map<number, IssueComment[]>();

  async issueComments(issue: number): Promise<IssueComment[]> {
    return [...(this.commentList.get(issue) ?? [])];
  }

  /** Sets files at a ref (a sha or a branch other than the default). */
  setRef(ref: string, files: Record<string, string>): void {
    this.refs.set(ref, new Map(Object.entries(files)));
  }

  private pull(pr: number): MemoryPull {
    const p = this.pulls.get(pr);
    if (!p) throw Object.assign(new Error(`no pull request #${pr}`), { status: 404 });
    return p;
  }
}

/**
 * The access repository's config the in-memory handler tests share: IAM mode, account `prod`
 * (the fake AWS's home account), approvers bob and dave; `principals` lists alice and any others.
 */
export function memoryRepoConfig(home: string, principals: readonly string[] = ["alice"]): string {
  return `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${home}"
principals:
${principals.map((p) => `  ${p}: { iam_user: ${p} }`).join("\n")}
approvers: [bob, dave]
required_approvals: { low: 1, medium: 1, high: 2 }
`;
}

/**
 * A request PR merged with a merge commit: one commit by the app on `base`, approved by bob on
 * that head. Sets the PR, its merge commit and returns the merge as the webhook gives it.
 */
export function approvedMerge(
  repo: MemoryAccessRepo,
  m: { pr: number; id: string; file: string; text: string; base: string; head: string; merge: string; message: string },
): {
  number: number;
  merged: true;
  mergeCommitSha: string;
  mergedAt: string;
  headSha: string;
  headRef: string;
  baseSha: string;
  author: { login: string; type: string };
  changedFiles: number;
} {
  const app = { login: "jit-access[bot]", type: "Bot" };
  repo.commitsBySha.set(m.merge, {
    sha: m.merge,
    parents: [m.base, m.head],
    message: `Merge pull request #${m.pr}`,
    author: { name: "bob", email: "bob@example.com", date: "2026-11-27T09:59:00Z" },
  });
  repo.pulls.set(m.pr, {
    number: m.pr,
    files: [{ path: m.file, status: "added", previousPath: null, sha: blobSha(m.text) }],
    commits: [
      {
        sha: m.head,
        parents: [m.base],
        message: m.message,
        gitAuthor: { name: "jit", email: "jit@example.com", date: "2026-11-27T09:00:00Z" },
        author: app,
        committer: app,
      },
    ],
    reviews: [{ id: 1, user: { login: "bob", type: "User" }, state: "APPROVED", commit_id: m.head, submitted_at: "2026-11-27T09:30:00Z" }],
  });
  return {
    number: m.pr,
    merged: true,
    mergeCommitSha: m.merge,
    mergedAt: "2026-11-27T09:59:00Z",
    headSha: m.head,
    headRef: `jit/${m.id}`,
    baseSha: m.base,
    author: app,
    changedFiles: 1,
  };
}
