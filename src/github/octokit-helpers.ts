// Small idempotent building blocks over the GitHub API used by the handlers.
import type { ProbotOctokit } from "probot";
import { applyState, type IssueState } from "../domain/lifecycle.js";
import { status } from "./store.js";

export interface RepoRef {
  owner: string;
  repo: string;
  defaultBranch: string;
}

/** Creates or updates the app's own comment carrying `marker`, so reruns do not pile up comments. */
export async function upsertComment(octokit: ProbotOctokit, repo: RepoRef, issueNumber: number, marker: string, body: string): Promise<void> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner: repo.owner, repo: repo.repo, issue_number: issueNumber, per_page: 100 });
  // Only bot comments count: a user pasting the marker must not redirect our updates.
  const mine = comments.find((c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(marker));
  if (mine) {
    if (mine.body !== body) await octokit.rest.issues.updateComment({ owner: repo.owner, repo: repo.repo, comment_id: mine.id, body });
  } else {
    await octokit.rest.issues.createComment({ owner: repo.owner, repo: repo.repo, issue_number: issueNumber, body });
  }
}

export async function addLabels(octokit: ProbotOctokit, repo: RepoRef, issueNumber: number, labels: string[]): Promise<void> {
  await octokit.rest.issues.addLabels({ owner: repo.owner, repo: repo.repo, issue_number: issueNumber, labels });
}

export async function removeLabel(octokit: ProbotOctokit, repo: RepoRef, issueNumber: number, label: string): Promise<void> {
  try {
    await octokit.rest.issues.removeLabel({ owner: repo.owner, repo: repo.repo, issue_number: issueNumber, name: label });
  } catch (e) {
    if (status(e) !== 404) throw e; // already gone
  }
}

export async function branchHead(octokit: ProbotOctokit, repo: RepoRef, branch: string): Promise<string> {
  const { data } = await octokit.rest.git.getRef({ owner: repo.owner, repo: repo.repo, ref: `heads/${branch}` });
  return data.object.sha;
}

/**
 * Puts an issue or pull request in `state`: adds the state's label and removes every other state
 * label (the table is STATE_LABEL), leaving other labels alone. See applyState for `onlyFrom`.
 */
export async function setState(octokit: ProbotOctokit, repo: Pick<RepoRef, "owner" | "repo">, issueNumber: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void> {
  const labels = (await octokit.paginate(octokit.rest.issues.listLabelsOnIssue, { owner: repo.owner, repo: repo.repo, issue_number: issueNumber, per_page: 100 })) as Array<{ name: string }>;
  const { add, remove } = applyState(labels.map((l) => l.name), state, onlyFrom);
  for (const name of remove) await removeLabel(octokit, repo as RepoRef, issueNumber, name);
  if (add.length) await addLabels(octokit, repo as RepoRef, issueNumber, add);
}
