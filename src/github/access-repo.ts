// The Octokit adapter of AccessRepo (src/lifecycle/ports.ts): every GitHub call the lifecycle
// use cases make, with owner, repo and pagination spelled out here only. Records go through
// GitHubRecordStore (the contents API with compare-and-swap on the blob sha).
import type { ProbotOctokit } from "probot";
import type { Review } from "../domain/approvals.js";
import { CONFIG_PATH } from "../domain/config.js";
import type { IssueState } from "../domain/lifecycle.js";
import type { AccessRepo, IssueStep, CommitInfo, Comparison, IssueComment, IssueFacts, MergeAnswer, OpenPull, PrCommit, PrFile } from "../lifecycle/ports.js";
import type { StoredFile, WriteResult } from "../store/record-store.js";
import { ConditionalContents } from "./contents-cache.js";
import { gitBlobSha } from "./record-archive.js";
import { mergeFactsQuery, readMergeFacts, type MergeFacts } from "./merge-facts.js";
import { readSnapshot, SNAPSHOT_PATHS, snapshotParts, snapshotQuery, snapshotVariables, type RulesSnapshot } from "./rules-snapshot.js";
import { OctokitIssueSide } from "./issue-side.js";
import { ensureLabels } from "./labels.js";
import { GitHubRecordStore, status, type ContentsApi } from "./store.js";

export type { AnyOctokit } from "./issue-side.js";
import type { AnyOctokit } from "./issue-side.js";

const ISSUE_TEXT = `query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) { issue(number: $number) { body editor { login } } }
}`;

/** When each repository's state labels were last found (or made) complete, in this process. */
const labelsChecked = new Map<string, number>();
const LABELS_RECHECK_MS = 10 * 60_000;

/** A 404 as Octokit throws it, for a path the rules snapshot found absent. */
function notFound(path: string, ref: string): Error {
  return Object.assign(new Error(`Not Found: ${path} at ${ref}`), { status: 404 });
}

/** The contents API as one delivery sees it: see OctokitAccessRepo. */
class DeliveryContents implements ContentsApi {
  private readonly memo = new Map<string, Promise<{ data: unknown }>>();
  private readonly conditional: ConditionalContents;
  readonly rest: ContentsApi["rest"];
  /** The rules snapshot, asked at most once per delivery. */
  private snapshot: Promise<void> | undefined;

  constructor(
    private readonly octokit: ProbotOctokit,
    private readonly repo: { owner: string; repo: string; defaultBranch: string },
  ) {
    this.conditional = new ConditionalContents(octokit);
    this.rest = {
      repos: {
        getContent: (params) => this.get(params),
        createOrUpdateFileContents: async (params) => {
          this.forgetBranches(params.branch);
          try {
            const res = await octokit.rest.repos.createOrUpdateFileContents(params);
            this.wroteAt(params, res.data);
            return res;
          } finally {
            this.forgetBranches(params.branch);
          }
        },
      },
    };
  }

  async get(params: { owner: string; repo: string; path: string; ref?: string }): Promise<{ data: unknown }> {
    // The first read of a rule file other than the config by the default branch's name reads
    // them all in one query. The config's own read by branch name alone is a conditional request
    // (a 304 costs nothing), unless a snapshot was asked already (intake asks one with the
    // issue's text first): then it is the snapshot's answer.
    if (params.ref === this.repo.defaultBranch && SNAPSHOT_PATHS.includes(params.path)) {
      if (params.path !== CONFIG_PATH) await (this.snapshot ??= this.takeSnapshot());
      else if (this.snapshot) await this.snapshot;
    }
    return this.cached(params);
  }

  private cached(params: { owner: string; repo: string; path: string; ref?: string }): Promise<{ data: unknown }> {
    const key = JSON.stringify([params.path, params.ref ?? ""]);
    let answer = this.memo.get(key);
    if (!answer) {
      const asked = this.conditional.get(params);
      answer = asked;
      this.memo.set(key, asked);
      // A 404 is an answer (the file is absent at that ref); any other failure is read again.
      asked.catch((e: unknown) => {
        if (status(e) !== 404 && this.memo.get(key) === asked) this.memo.delete(key);
      });
    }
    return answer;
  }

  /**
   * The rule files and the default branch's tip in one GraphQL query, kept as this delivery's
   * reads: by branch name, at the tip's sha (also for the process, as
   * any read at a sha is), and the tip itself. Any failure leaves every read to the contents API.
   */
  private async takeSnapshot(): Promise<void> {
    const generation = this.generation;
    try {
      const answer = await this.octokit.graphql(snapshotQuery(SNAPSHOT_PATHS), snapshotVariables(this.repo, this.repo.defaultBranch, SNAPSHOT_PATHS));
      this.accept(answer, generation);
    } catch {
      // Every rule file is then read through the contents API.
    }
  }

  /**
   * For a GraphQL query the delivery makes anyway (the issue's text): the snapshot's part to join
   * to it when no snapshot was asked yet, and what to do with the answer (or the failure).
   */
  joinSnapshot(): { decls: string; field: string; variables: Record<string, string>; take(answer: unknown): void; failed(): void } | undefined {
    if (this.snapshot) return undefined;
    const generation = this.generation;
    let settle = (): void => undefined;
    const asked = new Promise<void>((resolve) => (settle = resolve));
    this.snapshot = asked;
    return {
      ...snapshotParts(SNAPSHOT_PATHS),
      variables: snapshotVariables(this.repo, this.repo.defaultBranch, SNAPSHOT_PATHS),
      take: (answer) => {
        this.accept(answer, generation);
        settle();
      },
      failed: () => {
        // A later rule read asks on its own.
        if (this.snapshot === asked) this.snapshot = undefined;
        settle();
      },
    };
  }

  /**
   * Files on the default branch and its tip in one GraphQL query, kept as this delivery's reads
   * (as the rules snapshot's are): a later read of one at a commit that is the tip is then no call.
   * A failed or unclear answer leaves the reads to the contents API.
   */
  async snapshotOf(paths: readonly string[]): Promise<void> {
    const branch = this.repo.defaultBranch;
    if (paths.every((p) => this.memo.has(JSON.stringify([p, branch])))) return;
    const generation = this.generation;
    try {
      this.accept(await this.octokit.graphql(snapshotQuery(paths), snapshotVariables(this.repo, branch, paths)), generation, paths);
    } catch {
      // Read through the contents API.
    }
  }

  /** For a query that reads files on the default branch as a part (snapshotParts): keep what its answer states, as snapshotOf does. */
  joinPaths(paths: readonly string[]): (answer: unknown) => void {
    const generation = this.generation;
    return (answer) => this.accept(answer, generation, paths);
  }

  /**
   * Files at the default branch's tip and folder listings on it in one GraphQL query (the
   * snapshot's fields and listNames' fields): the files kept as snapshotOf keeps them, the
   * listings as this delivery's until it writes on the default branch. Any failure leaves both to
   * their usual calls.
   */
  async snapshotWithListings(paths: readonly string[], folders: readonly string[]): Promise<void> {
    const branch = this.repo.defaultBranch;
    const generation = this.generation;
    const { decls, field } = snapshotParts(paths);
    const listing = listingParts(folders, branch);
    try {
      const answer = await this.octokit.graphql<{ repository?: Record<string, unknown> | null }>(
        `query($owner: String!, $name: String!, ${decls}, ${listing.decls}) { repository(owner: $owner, name: $name) { ${field} ${listing.fields} } }`,
        { ...snapshotVariables(this.repo, branch, paths), ...listing.variables },
      );
      this.accept(answer, generation, paths);
      const repository = answer?.repository;
      if (repository && generation === this.generation) {
        const names = listedNames(repository, folders);
        folders.forEach((f, i) => this.listings.set(f, names[i] ?? []));
      }
    } catch {
      // Read and listed through the usual calls.
    }
  }

  /** Folder listings on the default branch by this delivery (listNames), forgotten with its reads by branch name. */
  readonly listings = new Map<string, string[]>();

  private accept(answer: unknown, generation: number, paths: readonly string[] = SNAPSHOT_PATHS): void {
    const branch = this.repo.defaultBranch;
    const snap: RulesSnapshot | undefined = readSnapshot(answer, paths);
    if (!snap) return;
    // A write since the query may have moved the branch: then only the reads at the sha are kept.
    const current = generation === this.generation;
    const at = { owner: this.repo.owner, repo: this.repo.repo };
    for (const [path, file] of snap.files) {
      const answer = (ref: string): Promise<{ data: unknown }> => {
        const p = file.kind === "file" ? Promise.resolve({ data: file.data }) : Promise.reject(notFound(path, ref));
        p.catch(() => undefined);
        return p;
      };
      // Reads already made stand.
      const byName = JSON.stringify([path, branch]);
      const bySha = JSON.stringify([path, snap.commit]);
      if (current && !this.memo.has(byName)) this.memo.set(byName, answer(branch));
      if (!this.memo.has(bySha)) this.memo.set(bySha, answer(snap.commit));
      this.conditional.remember(
        { ...at, path, ref: snap.commit },
        file.kind === "file" ? { ok: true, data: file.data } : { ok: false, error: notFound(path, snap.commit) },
      );
    }
    if (current && !this.tips.has(branch)) this.tips.set(branch, Promise.resolve(snap.commit));
  }

  /** Counts the writes that may move the default branch: a snapshot asked before one is not taken as the branch's state. */
  private generation = 0;

  /**
   * The file a write made, kept as the read of it at the commit the write made: a file at a commit
   * never changes, and the PR check reads the request file at the head the write just made. Kept
   * only when GitHub's blob sha is the hash of the bytes sent.
   */
  private wroteAt(
    params: { owner: string; repo: string; path: string; content: string; sha?: string },
    data: { content?: { sha?: string } | null; commit: { sha?: string; parents?: Array<{ sha?: string }> } },
  ): void {
    const blob = data.content?.sha;
    const commit = data.commit.sha;
    if (!blob || !commit || !/^[0-9a-f]{40}$/.test(commit)) return;
    const bytes = Buffer.from(params.content, "base64");
    if (gitBlobSha(bytes) !== blob) return;
    const parents = (data.commit.parents ?? []).map((p) => p.sha);
    if (parents.length && parents.every((p): p is string => typeof p === "string" && /^[0-9a-f]{40}$/.test(p))) {
      // A write with the blob sha it replaces changed the file; one without created it (GitHub refuses it where the file is).
      this.commits.set(commit, { parents, files: [{ path: params.path, status: params.sha ? "modified" : "added", previousPath: null, sha: blob }] });
    }
    const file = { type: "file", path: params.path, sha: blob, size: bytes.length, encoding: "base64", content: params.content };
    this.memo.set(JSON.stringify([params.path, commit]), Promise.resolve({ data: file }));
    this.conditional.remember({ owner: params.owner, repo: params.repo, path: params.path, ref: commit }, { ok: true, data: file });
  }

  /** The commits this delivery's file writes made: their parents and the one file each changed. */
  readonly commits = new Map<string, { parents: string[]; files: PrFile[] }>();

  /** Branch tips read in this delivery, forgotten with the reads by branch name. */
  readonly tips = new Map<string, Promise<string>>();

  /**
   * After a write (a file, a branch, a merge): reads by branch name may now differ; reads at a
   * commit sha cannot. A write that names a branch other than the default one moves only that
   * branch: the default branch's tip and files as read stay this delivery's (the intake's check
   * judges the rules its decision read, and the opened event checks again if the branch moved).
   */
  forgetBranches(branch?: string): void {
    const only = branch !== undefined && branch !== this.repo.defaultBranch ? branch : undefined;
    if (only === undefined) {
      this.generation++;
      this.tips.clear();
      this.listings.clear();
    } else this.tips.delete(only);
    for (const key of [...this.memo.keys()]) {
      const ref = (JSON.parse(key) as [string, string])[1];
      if (!/^[0-9a-f]{40}$/.test(ref) && (only === undefined || ref === only)) this.memo.delete(key);
    }
  }
}

/**
 * Every file read in one delivery is read from GitHub once: OctokitAccessRepo is made per
 * delivery, and its reads of the contents API (records, config, CODEOWNERS, folders) are kept —
 * at a commit sha for the whole delivery, by branch name until the delivery writes (a file, a
 * branch). A write that meets a changed file fails its compare-and-swap and the caller reads again,
 * after the cache was cleared, so a kept read is never written over. Repeated reads across
 * deliveries are conditional requests, and reads at a commit sha are kept (contents-cache.ts).
 */
export class OctokitAccessRepo implements AccessRepo {
  private readonly octokit: ProbotOctokit;
  private readonly contents: DeliveryContents;
  private readonly main: GitHubRecordStore;
  private readonly issues: OctokitIssueSide;
  readonly fullName: string;
  readonly defaultBranch: string;

  /** The file list of the merged pull request this delivery is about: a merged PR's files no longer change. */
  private mergedFiles: { pr: number; files?: Promise<PrFile[]>; facts?: Promise<{ facts: MergeFacts; origin: number | undefined }> } | undefined;

  constructor(
    octokit: AnyOctokit,
    private readonly repo: { owner: string; repo: string; defaultBranch: string },
    opts: { mergedPr?: number } = {},
  ) {
    if (opts.mergedPr !== undefined) this.mergedFiles = { pr: opts.mergedPr };
    this.octokit = octokit as unknown as ProbotOctokit;
    this.issues = new OctokitIssueSide(octokit, repo);
    this.contents = new DeliveryContents(this.octokit, repo);
    this.main = new GitHubRecordStore(this.contents, { owner: repo.owner, repo: repo.repo, branch: repo.defaultBranch });
    this.fullName = `${repo.owner}/${repo.repo}`;
    this.defaultBranch = repo.defaultBranch;
  }

  private get at() {
    return { owner: this.repo.owner, repo: this.repo.repo };
  }

  list(): Promise<StoredFile[]> {
    return this.main.list();
  }

  async read(path: string): Promise<StoredFile | undefined> {
    // The merge delivery reads the merged record on the default branch and then at the merge
    // commit: read with the tip in one query, the second read is no call when the merge is the tip.
    const merged = this.mergedFiles?.files;
    if (merged && (await merged.catch(() => [])).some((f) => f.path === path)) await this.contents.snapshotOf([path]);
    return this.main.read(path);
  }

  async write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    return this.wrote(this.defaultBranch, await this.main.write(path, text, opts));
  }

  /** The commit a write made is its branch's tip as this delivery knows it (as a tip read just after would be). */
  private wrote(branch: string, result: WriteResult): WriteResult {
    this.contents.tips.set(branch, Promise.resolve(result.commit));
    return result;
  }

  readAt(path: string, ref: string): Promise<StoredFile | undefined> {
    return this.main.read(path, ref);
  }

  /**
   * The .yaml files in each folder on the default branch: one GraphQL query for all the folders
   * (the contents API takes one call per folder, a 404 for each one that is absent). Listed as the
   * contents API lists them: regular files only (not symlinks or submodules); nothing for a folder
   * that is absent or is a file. A failed query falls back to the contents API.
   */
  async listNames(folders: readonly string[]): Promise<string[]> {
    if (!folders.length) return [];
    const kept = this.contents.listings;
    if (folders.every((f) => kept.has(f))) return folders.flatMap((f) => kept.get(f) ?? []);
    const listing = listingParts(folders, this.defaultBranch);
    let repository: Record<string, unknown> | null | undefined;
    try {
      ({ repository } = await this.octokit.graphql<{ repository: typeof repository }>(
        `query($owner: String!, $name: String!, ${listing.decls}) { repository(owner: $owner, name: $name) { ${listing.fields} } }`,
        { owner: this.repo.owner, name: this.repo.repo, ...listing.variables },
      ));
    } catch {
      return this.listNamesByContents(folders);
    }
    if (!repository) return this.listNamesByContents(folders);
    return listedNames(repository, folders).flat();
  }

  /**
   * A hint before reads that follow: `paths` at the default branch's tip and the listings of
   * `folders` on it, in one GraphQL query (intake's record look-up and the right-sizing listing of
   * its check). A failure or a tip that moved leaves them to their usual calls.
   */
  prefetch(paths: readonly string[], folders: readonly string[]): Promise<void> {
    return this.contents.snapshotWithListings(paths, folders);
  }

  private async listNamesByContents(folders: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for (const folder of folders) {
      let data: unknown;
      try {
        ({ data } = await this.contents.get({ ...this.at, path: folder, ref: this.defaultBranch }));
      } catch (e) {
        if (status(e) === 404) continue;
        throw e;
      }
      // A file where a folder was expected lists nothing.
      if (!Array.isArray(data)) continue;
      for (const e of data as Array<{ type: string; path: string }>) if (e.type === "file" && e.path.endsWith(".yaml")) out.push(e.path);
    }
    return out;
  }

  prFiles(pr: number): Promise<PrFile[]> {
    const merged = this.mergedFiles;
    if (merged?.pr !== pr) return this.listPrFiles(pr);
    const asked = (merged.files ??= this.listPrFiles(pr));
    asked.catch(() => {
      if (merged.files === asked) delete merged.files;
    });
    return asked;
  }

  private async listPrFiles(pr: number): Promise<PrFile[]> {
    const listed = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, { ...this.at, pull_number: pr, per_page: 100 });
    return listed.map((f) => ({ path: f.filename, status: f.status, previousPath: f.previous_filename ?? null, sha: f.sha ?? null }));
  }

  /**
   * The merged PR's other facts in one GraphQL query (merge-facts.ts), asked when its commits are
   * (the decision's next need after the files): what it states exactly is this delivery's answer
   * for the merge commit and first parents, the reviews, the issue the request names and the record
   * on the default branch; the rest is read through REST.
   */
  private mergeFacts(pr: number): Promise<{ facts: MergeFacts; origin: number | undefined }> | undefined {
    const merged = this.mergedFiles;
    if (merged?.pr !== pr || !merged.files) return undefined;
    const files = merged.files;
    return (merged.facts ??= (async () => {
      const record = (await files.catch(() => [] as PrFile[])).find((f) => f.path.startsWith("access-requests/") && f.status !== "removed")?.path;
      const n = record ? /^(\d+)-/.exec(record.split("/").pop() ?? "")?.[1] : undefined;
      const origin = n !== undefined && Number(n) > 0 && Number(n) < 2 ** 31 ? Number(n) : undefined;
      const { query, variables } = mergeFactsQuery(this.at, this.defaultBranch, pr, {
        ...(origin !== undefined ? { origin } : {}),
        ...(record ? { record } : {}),
      });
      const take = record ? this.contents.joinPaths([record]) : undefined;
      let data: unknown;
      try {
        data = await this.octokit.graphql(query, variables);
      } catch (e) {
        // GitHub answers an error beside the data it could read (e.g. no issue of that number): that data stands.
        data = (e as { data?: unknown }).data;
      }
      if (data) take?.(data);
      return { facts: readMergeFacts(data, origin), origin };
    })());
  }

  private async mergeFact<T>(pick: (f: MergeFacts, origin: number | undefined) => T | undefined): Promise<T | undefined> {
    const asked = this.mergedFiles?.facts;
    if (!asked) return undefined;
    const { facts, origin } = await asked;
    return pick(facts, origin);
  }

  async prCommits(pr: number): Promise<PrCommit[]> {
    void this.mergeFacts(pr);
    const listed = await this.octokit.paginate(this.octokit.rest.pulls.listCommits, { ...this.at, pull_number: pr, per_page: 100 });
    const actor = (a: unknown) =>
      a && typeof a === "object" && "login" in a && typeof a.login === "string" ? { login: a.login, type: String((a as { type?: unknown }).type ?? "") } : null;
    return listed.map((c) => ({
      sha: c.sha,
      parents: c.parents.map((p) => p.sha),
      message: c.commit.message,
      gitAuthor: gitAuthor(c.commit.author),
      author: actor(c.author),
      committer: actor(c.committer),
    }));
  }

  async reviews(pr: number): Promise<Review[]> {
    const read = this.mergedFiles?.pr === pr ? await this.mergeFact((f) => f.reviews) : undefined;
    if (read) return read;
    return await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...this.at, pull_number: pr, per_page: 100 });
  }

  async commit(sha: string): Promise<CommitInfo> {
    const read = await this.mergeFact((f) => f.commits.get(sha));
    if (read) return read;
    const { data } = await this.octokit.rest.git.getCommit({ ...this.at, commit_sha: sha });
    return { sha: data.sha, parents: data.parents.map((p) => p.sha), message: data.message, author: gitAuthor(data.author) };
  }

  async issue(number: number): Promise<IssueFacts | undefined> {
    const read = await this.mergeFact((f, origin) => (origin === number ? f.origin : undefined));
    if (read) return read;
    try {
      const { data } = await this.octokit.rest.issues.get({ ...this.at, issue_number: number });
      return {
        number,
        author: data.user ? { login: data.user.login, type: data.user.type } : null,
        state: data.state === "closed" ? "closed" : "open",
        isPull: Boolean(data.pull_request),
      };
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
  }

  async teamMembership(org: string, team: string, login: string): Promise<"active" | "pending" | undefined> {
    try {
      const { data } = await this.octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username: login });
      return data.state === "active" ? "active" : "pending";
    } catch (e) {
      if (status(e) === 404) return undefined; // not a member
      throw e;
    }
  }

  upsertComment(issue: number, marker: string, body: string): Promise<void> {
    return this.issues.upsertComment(issue, marker, body);
  }

  labels(issue: number): Promise<string[]> {
    return this.issues.labels(issue);
  }

  addLabels(issue: number, labels: string[]): Promise<void> {
    return this.issues.addLabels(issue, labels);
  }

  setState(issue: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void> {
    return this.issues.setState(issue, state, onlyFrom);
  }

  closeIssue(issue: number, reason: "completed" | "not_planned"): Promise<void> {
    return this.issues.closeIssue(issue, reason);
  }

  applySteps(steps: readonly IssueStep[]): Promise<void> {
    return this.issues.applySteps(steps);
  }

  /**
   * The commit a branch points at now. Rules are read there: a webhook payload's shas are as old
   * as the event (a pull request's `base.sha` is from its last push), and rules tightened since
   * then must apply. Resolved once, so the config and CODEOWNERS come from the same commit.
   */
  /** Read once per delivery until it writes (as reads by branch name are); a failed read is not kept. */
  branchTip(branch: string): Promise<string> {
    const kept = this.contents.tips.get(branch);
    if (kept) return kept;
    const asked = this.octokit.rest.git.getRef({ ...this.at, ref: `heads/${branch}` }).then(({ data }) => data.object.sha);
    this.contents.tips.set(branch, asked);
    asked.catch(() => {
      if (this.contents.tips.get(branch) === asked) this.contents.tips.delete(branch);
    });
    return asked;
  }

  async writeAt(branch: string, path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    return this.wrote(branch, await new GitHubRecordStore(this.contents, { ...this.at, branch }).write(path, text, opts));
  }

  async updatePull(pr: number, update: { title?: string; body?: string }): Promise<void> {
    await this.octokit.rest.pulls.update({ ...this.at, pull_number: pr, ...update });
  }

  async createCheck(check: {
    name: string;
    headSha: string;
    conclusion: "success" | "failure" | "neutral";
    title: string;
    summary: string;
    inputs?: string;
  }): Promise<void> {
    await this.octokit.rest.checks.create({
      ...this.at,
      name: check.name,
      head_sha: check.headSha,
      status: "completed",
      conclusion: check.conclusion,
      output: { title: check.title, summary: check.summary.slice(0, 65_000) },
      ...(check.inputs !== undefined ? { external_id: check.inputs } : {}),
    });
  }

  /** The latest completed run named `name` on `headSha`: its app, conclusion, external_id and completion time. */
  async latestCheck(
    name: string,
    headSha: string,
  ): Promise<{ appSlug: string | undefined; conclusion: string | null; inputs: string | null; completedAt: string | null } | undefined> {
    const { data } = await this.octokit.rest.checks.listForRef({
      ...this.at,
      ref: headSha,
      check_name: name,
      filter: "latest",
      status: "completed",
      per_page: 100,
    });
    const run = data.check_runs.find((r) => r.head_sha === headSha);
    if (!run) return undefined;
    return { appSlug: run.app?.slug, conclusion: run.conclusion, inputs: run.external_id, completedAt: run.completed_at };
  }

  async ensureLabels(): Promise<string[]> {
    // Listing the repository's labels on every request costs a call each time; once they were
    // all there, they are taken to stay for a while (one deleted meanwhile comes back grey when
    // added to an issue, as GitHub does, and is recreated with its colour at the next check).
    const key = this.fullName.toLowerCase();
    const at = labelsChecked.get(key);
    if (at !== undefined && Date.now() - at < LABELS_RECHECK_MS) return [];
    const created = await ensureLabels(this.octokit, this.repo);
    labelsChecked.set(key, Date.now());
    return created;
  }

  async issueText(issue: number): Promise<{ body: string; editor: string | null } | undefined> {
    // Intake reads the rules next: their snapshot rides along in the same query (one call, not two).
    const join = this.contents.joinSnapshot();
    const query = join
      ? `query($owner: String!, $name: String!, $number: Int!, ${join.decls}) {
  repository(owner: $owner, name: $name) { issue(number: $number) { body editor { login } } ${join.field} }
}`
      : ISSUE_TEXT;
    let data: { repository: { issue: { body: string; editor: { login: string } | null } | null } | null };
    try {
      data = await this.octokit.graphql(query, { owner: this.repo.owner, name: this.repo.repo, number: issue, ...join?.variables });
    } catch (e) {
      join?.failed();
      throw e;
    }
    join?.take(data);
    const i = data.repository?.issue;
    return i ? { body: i.body, editor: i.editor?.login ?? null } : undefined;
  }

  async openPulls(): Promise<OpenPull[]> {
    const open = await this.octokit.paginate(this.octokit.rest.pulls.list, { ...this.at, state: "open", per_page: 100 });
    return open.map((p) => ({
      number: p.number,
      title: p.title,
      body: p.body,
      user: p.user ? { login: p.user.login, type: p.user.type } : null,
      head: { ref: p.head.ref, sha: p.head.sha, repoFullName: p.head.repo?.full_name ?? null },
      createdAt: p.created_at,
      labels: p.labels.map((l) => l.name),
    }));
  }

  async pullPayload(pr: number): Promise<unknown> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.at, pull_number: pr });
    return data;
  }

  ownCommit(sha: string): { parents: string[]; files: PrFile[] } | undefined {
    const c = this.contents.commits.get(sha);
    return c && { parents: [...c.parents], files: c.files.map((f) => ({ ...f })) };
  }

  async createBranch(branch: string, sha: string): Promise<boolean> {
    this.contents.forgetBranches(branch);
    try {
      await this.octokit.rest.git.createRef({ ...this.at, ref: `refs/heads/${branch}`, sha });
      return true;
    } catch (e) {
      if (status(e) === 422) return false;
      throw e;
    }
  }

  async compare(base: string, head: string): Promise<Comparison> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.at, basehead: `${base}...${head}`, per_page: 100 });
    return {
      aheadBy: data.ahead_by,
      commits: data.commits.map((c) => ({ sha: c.sha, author: c.author?.login, committer: c.committer?.login, authorName: c.commit.author?.name })),
      files: (data.files ?? []).map((f) => ({
        filename: f.filename,
        ...(f.previous_filename !== undefined ? { previousFilename: f.previous_filename } : {}),
        status: f.status,
        ...(f.sha ? { sha: f.sha } : {}),
      })),
    };
  }

  async deleteFileAt(branch: string, path: string, sha: string, message: string): Promise<void> {
    this.contents.forgetBranches(branch);
    try {
      await this.octokit.rest.repos.deleteFile({ ...this.at, path, sha, branch, message });
    } finally {
      this.contents.forgetBranches(branch);
    }
  }

  async createPull(pull: { head: string; base: string; title: string; body: string }): Promise<number> {
    const { data } = await this.octokit.rest.pulls.create({ ...this.at, ...pull });
    return data.number;
  }

  async requestReviewers(pr: number, reviewers: string[], teams: string[]): Promise<void> {
    try {
      await this.octokit.rest.pulls.requestReviewers({ ...this.at, pull_number: pr, reviewers, team_reviewers: teams });
    } catch {
      // A reviewer who is not a collaborator makes GitHub refuse the whole call; CODEOWNERS review
      // requests still apply, and the PR body names the approvers. Not worth failing intake for.
    }
  }

  async mergePull(pr: number, merge: { sha: string; method: "merge" | "squash"; title: string; message: string }): Promise<MergeAnswer> {
    this.contents.forgetBranches();
    try {
      const { data } = await this.octokit.rest.pulls.merge({
        ...this.at,
        pull_number: pr,
        sha: merge.sha,
        merge_method: merge.method,
        commit_title: merge.title,
        commit_message: merge.message,
      });
      return { kind: "merged", sha: data.sha };
    } catch (e) {
      // 405 not mergeable (protection, conflicts), 409 head moved, 422 invalid: answers, not faults.
      const code = status(e);
      if (code === 405 || code === 409 || code === 422) return { kind: "refused", status: code, reason: e instanceof Error ? e.message : String(e) };
      throw e;
    } finally {
      this.contents.forgetBranches();
    }
  }

  async commitsSince(path: string, since: string): Promise<Array<{ sha: string; date: string; message: string }>> {
    const list = await this.octokit.paginate(this.octokit.rest.repos.listCommits, { ...this.at, sha: this.defaultBranch, path, since, per_page: 100 });
    return list.map((c) => ({ sha: c.sha, date: c.commit.committer?.date ?? "", message: c.commit.message }));
  }

  async createIssue(issue: { title: string; body: string; labels: string[]; assignees: string[] }): Promise<number> {
    try {
      const { data } = await this.octokit.rest.issues.create({ ...this.at, ...issue });
      return data.number;
    } catch (e) {
      // An assignee without access to the repository makes GitHub refuse the issue: open it unassigned.
      if (status(e) !== 422 || !issue.assignees.length) throw e;
      const { data } = await this.octokit.rest.issues.create({ ...this.at, ...issue, assignees: [] });
      return data.number;
    }
  }

  async issueComments(issue: number): Promise<IssueComment[]> {
    const list = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.at, issue_number: issue, per_page: 100 });
    return list.map((c) => ({ author: c.user ? { login: c.user.login, type: c.user.type } : null, body: c.body ?? "", createdAt: c.created_at }));
  }

  async hasConfig(): Promise<boolean> {
    try {
      // The same read as the config's own (store.read of CONFIG_PATH on the default branch).
      await this.contents.get({ ...this.at, path: CONFIG_PATH, ref: this.defaultBranch });
      return true;
    } catch (e) {
      if (status(e) === 404) return false;
      throw e;
    }
  }
}

function gitAuthor(a: { name?: string; email?: string; date?: string } | null | undefined): { name: string; email: string; date: string } | null {
  return a?.name !== undefined && a.email !== undefined && a.date !== undefined ? { name: a.name, email: a.email, date: a.date } : null;
}

/** The GraphQL variable declarations, fields and variables that list `folders` on `branch` (one Tree each). */
function listingParts(folders: readonly string[], branch: string): { decls: string; fields: string; variables: Record<string, string> } {
  return {
    decls: folders.map((_, i) => `$e${i}: String!`).join(", "),
    fields: folders.map((_, i) => `d${i}: object(expression: $e${i}) { ... on Tree { entries { name type mode } } }`).join(" "),
    variables: Object.fromEntries(folders.map((f, i) => [`e${i}`, `${branch}:${f}`])),
  };
}

/**
 * The .yaml files of each listed folder, as the contents API lists them: regular files only (not
 * symlinks or submodules); nothing for a folder that is absent or is a file.
 */
function listedNames(repository: Record<string, unknown>, folders: readonly string[]): string[][] {
  return folders.map((folder, i) => {
    const entries = (repository[`d${i}`] as { entries?: Array<{ name?: unknown; type?: unknown; mode?: unknown }> } | null | undefined)?.entries;
    if (!Array.isArray(entries)) return [];
    return entries.flatMap((e) =>
      e.type === "blob" && (e.mode === 0o100644 || e.mode === 0o100755) && typeof e.name === "string" && e.name.endsWith(".yaml")
        ? [`${folder}/${e.name}`]
        : [],
    );
  });
}
