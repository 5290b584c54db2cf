// The access repository as the sweep sees it when it closes requests nobody approved: records
// (contents), the issue side (issues), and the open request pull requests with their files
// (pulls). No more than that, so the sweep's app token needs contents, issues and pull-requests
// only (test/attacks-deploy.test.ts checks the token against the calls).
import type { ProbotOctokit } from "probot";
import type { IssueState } from "../domain/lifecycle.js";
import type { OpenPull, PrFile, UnapprovedRepo } from "../lifecycle/ports.js";
import type { StoredFile, WriteResult } from "../store/record-store.js";
import { OctokitIssueSide, type AnyOctokit } from "./issue-side.js";
import { GitHubRecordStore } from "./store.js";

export class SweepRequestsRepo implements UnapprovedRepo {
  readonly fullName: string;
  private readonly octokit: ProbotOctokit;
  private readonly main: GitHubRecordStore;
  private readonly issues: OctokitIssueSide;

  constructor(
    octokit: AnyOctokit,
    private readonly repo: { owner: string; repo: string; defaultBranch: string },
  ) {
    this.octokit = octokit as unknown as ProbotOctokit;
    this.fullName = `${repo.owner}/${repo.repo}`;
    this.main = new GitHubRecordStore(this.octokit, { owner: repo.owner, repo: repo.repo, branch: repo.defaultBranch });
    this.issues = new OctokitIssueSide(octokit, repo);
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
    return new GitHubRecordStore(this.octokit, { owner: this.repo.owner, repo: this.repo.repo, branch: ref }).read(path);
  }

  async openPulls(): Promise<OpenPull[]> {
    const open = await this.octokit.paginate(this.octokit.rest.pulls.list, {
      owner: this.repo.owner,
      repo: this.repo.repo,
      state: "open",
      per_page: 100,
    });
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

  async prFiles(pr: number): Promise<PrFile[]> {
    const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
      owner: this.repo.owner,
      repo: this.repo.repo,
      pull_number: pr,
      per_page: 100,
    });
    return files.map((f) => ({ path: f.filename, status: f.status, previousPath: f.previous_filename ?? null, sha: f.sha ?? null }));
  }

  upsertComment(issue: number, marker: string, body: string): Promise<void> {
    return this.issues.upsertComment(issue, marker, body);
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
}
