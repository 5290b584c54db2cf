// Small idempotent building blocks over the GitHub API for the handlers not yet written against
// AccessRepo (intake, the PR check); each one is the adapter's (src/github/access-repo.ts).
import type { ProbotOctokit } from "probot";
import type { IssueState } from "../domain/lifecycle.js";
import { OctokitAccessRepo } from "./access-repo.js";

export interface RepoRef {
  owner: string;
  repo: string;
  defaultBranch: string;
}

const on = (octokit: ProbotOctokit, repo: Pick<RepoRef, "owner" | "repo">) => new OctokitAccessRepo(octokit, { owner: repo.owner, repo: repo.repo, defaultBranch: "" });

/** Creates or updates the app's own comment carrying `marker`, so reruns do not pile up comments. */
export function upsertComment(octokit: ProbotOctokit, repo: RepoRef, issueNumber: number, marker: string, body: string): Promise<void> {
  return on(octokit, repo).upsertComment(issueNumber, marker, body);
}

export function addLabels(octokit: ProbotOctokit, repo: RepoRef, issueNumber: number, labels: string[]): Promise<void> {
  return on(octokit, repo).addLabels(issueNumber, labels);
}

/**
 * Puts an issue or pull request in `state`: adds the state's label and removes every other state
 * label (the table is STATE_LABEL), leaving other labels alone. See applyState for `onlyFrom`.
 */
export function setState(octokit: ProbotOctokit, repo: Pick<RepoRef, "owner" | "repo">, issueNumber: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void> {
  return on(octokit, repo).setState(issueNumber, state, onlyFrom);
}

export async function branchHead(octokit: ProbotOctokit, repo: RepoRef, branch: string): Promise<string> {
  const { data } = await octokit.rest.git.getRef({ owner: repo.owner, repo: repo.repo, ref: `heads/${branch}` });
  return data.object.sha;
}
