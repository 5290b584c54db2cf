// The Octokit adapter of AccessRepo (src/lifecycle/ports.ts): every GitHub call the lifecycle
// use cases make, with owner, repo and pagination spelled out here only. Records go through
// GitHubRecordStore (the contents API with compare-and-swap on the blob sha).
import type { ProbotOctokit } from "probot";
import type { Review } from "../domain/approvals.js";
import { CONFIG_PATH } from "../domain/config.js";
import { applyState, type IssueState } from "../domain/lifecycle.js";
import type { AccessRepo, CommitInfo, IssueFacts, PrCommit, PrFile } from "../lifecycle/ports.js";
import type { StoredFile, WriteResult } from "../store/record-store.js";
import { GitHubRecordStore, status } from "./store.js";

/**
 * ProbotOctokit or @octokit/rest's Octokit (the sweep's). Their endpoint-method types come from
 * different plugin versions and do not unify; both have the same REST shape for the calls made
 * here, so the client is taken loosely and cast once.
 */
export interface AnyOctokit {
  paginate: unknown;
  rest: object;
}

export class OctokitAccessRepo implements AccessRepo {
  private readonly octokit: ProbotOctokit;
  private readonly main: GitHubRecordStore;
  readonly fullName: string;
  readonly defaultBranch: string;

  constructor(
    octokit: AnyOctokit,
    private readonly repo: { owner: string; repo: string; defaultBranch: string },
  ) {
    this.octokit = octokit as unknown as ProbotOctokit;
    this.main = new GitHubRecordStore(this.octokit, { owner: repo.owner, repo: repo.repo, branch: repo.defaultBranch });
    this.fullName = `${repo.owner}/${repo.repo}`;
    this.defaultBranch = repo.defaultBranch;
  }

  private get at() {
    return { owner: this.repo.owner, repo: this.repo.repo };
  }

  list(): Promise<StoredFile[]> {
    return this.main.list();
  }

  read(path: string): Promise<StoredFile | undefined> {
    return this.main.read(path);
  }

  write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    return this.main.write(path, text, opts);
  }

  readAt(path: string, ref: string): Promise<StoredFile | undefined> {
    return this.main.read(path, ref);
  }

  async prFiles(pr: number): Promise<PrFile[]> {
    const listed = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, { ...this.at, pull_number: pr, per_page: 100 });
    return listed.map((f) => ({ path: f.filename, status: f.status, previousPath: f.previous_filename ?? null, sha: f.sha ?? null }));
  }

  async prCommits(pr: number): Promise<PrCommit[]> {
    const listed = await this.octokit.paginate(this.octokit.rest.pulls.listCommits, { ...this.at, pull_number: pr, per_page: 100 });
    const actor = (a: unknown) => (a && typeof a === "object" && "login" in a && typeof a.login === "string" ? { login: a.login, type: String((a as { type?: unknown }).type ?? "") } : null);
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
    return await this.octokit.paginate(this.octokit.rest.pulls.listReviews, { ...this.at, pull_number: pr, per_page: 100 });
  }

  async commit(sha: string): Promise<CommitInfo> {
    const { data } = await this.octokit.rest.git.getCommit({ ...this.at, commit_sha: sha });
    return { sha: data.sha, parents: data.parents.map((p) => p.sha), message: data.message, author: gitAuthor(data.author) };
  }

  async issue(number: number): Promise<IssueFacts | undefined> {
    try {
      const { data } = await this.octokit.rest.issues.get({ ...this.at, issue_number: number });
      return { number, author: data.user ? { login: data.user.login, type: data.user.type } : null, state: data.state === "closed" ? "closed" : "open", isPull: Boolean(data.pull_request) };
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

  async upsertComment(issue: number, marker: string, body: string): Promise<void> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.at, issue_number: issue, per_page: 100 });
    // Only bot comments count: a user pasting the marker must not redirect our updates.
    const mine = comments.find((c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(marker));
    if (mine) {
      if (mine.body !== body) await this.octokit.rest.issues.updateComment({ ...this.at, comment_id: mine.id, body });
    } else {
      await this.octokit.rest.issues.createComment({ ...this.at, issue_number: issue, body });
    }
  }

  async labels(issue: number): Promise<string[]> {
    const labels = (await this.octokit.paginate(this.octokit.rest.issues.listLabelsOnIssue, { ...this.at, issue_number: issue, per_page: 100 })) as Array<{ name: string }>;
    return labels.map((l) => l.name);
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    await this.octokit.rest.issues.addLabels({ ...this.at, issue_number: issue, labels });
  }

  async removeLabel(issue: number, label: string): Promise<void> {
    try {
      await this.octokit.rest.issues.removeLabel({ ...this.at, issue_number: issue, name: label });
    } catch (e) {
      if (status(e) !== 404) throw e; // already gone
    }
  }

  async setState(issue: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void> {
    const { add, remove } = applyState(await this.labels(issue), state, onlyFrom);
    for (const name of remove) await this.removeLabel(issue, name);
    if (add.length) await this.addLabels(issue, add);
  }

  async closeIssue(issue: number, reason: "completed" | "not_planned"): Promise<void> {
    await this.octokit.rest.issues.update({ ...this.at, issue_number: issue, state: "closed", state_reason: reason });
  }

  async branchTip(branch: string): Promise<string> {
    const { data } = await this.octokit.rest.git.getRef({ ...this.at, ref: `heads/${branch}` });
    return data.object.sha;
  }

  writeAt(branch: string, path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    return new GitHubRecordStore(this.octokit, { ...this.at, branch }).write(path, text, opts);
  }

  async updatePull(pr: number, update: { title?: string; body?: string }): Promise<void> {
    await this.octokit.rest.pulls.update({ ...this.at, pull_number: pr, ...update });
  }

  async createCheck(check: { name: string; headSha: string; conclusion: "success" | "failure" | "neutral"; title: string; summary: string }): Promise<void> {
    await this.octokit.rest.checks.create({ ...this.at, name: check.name, head_sha: check.headSha, status: "completed", conclusion: check.conclusion, output: { title: check.title, summary: check.summary.slice(0, 65_000) } });
  }

  async hasConfig(): Promise<boolean> {
    try {
      await this.octokit.rest.repos.getContent({ ...this.at, path: CONFIG_PATH });
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
