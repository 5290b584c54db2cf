// A request PR closed without merging: the request is rejected. Nothing reached the default
// branch, so there is no record to write; the issue says so and is closed as not planned.
import type { ProbotOctokit } from "probot";
import { MARKER } from "./messages.js";
import { setState, upsertComment, type RepoRef } from "./octokit-helpers.js";

export async function handleClosedUnmerged(octokit: ProbotOctokit, repo: RepoRef, pr: { number: number; headRef: string; sameRepo: boolean }): Promise<{ kind: "ignored" } | { kind: "rejected"; issue: number }> {
  const m = /^jit\/([1-9][0-9]{0,9})-/.exec(pr.headRef);
  if (!m || !pr.sameRepo) return { kind: "ignored" };
  const issue = Number(m[1]);
  const { data } = await octokit.rest.issues.get({ owner: repo.owner, repo: repo.repo, issue_number: issue });
  if (data.pull_request || data.state === "closed") return { kind: "ignored" };
  await upsertComment(octokit, repo, issue, MARKER.grant, `${MARKER.grant}\nPull request #${pr.number} was closed without merging, so this request was **not granted**. Open a new request if access is still needed.`);
  await setState(octokit, repo, issue, "rejected");
  await octokit.rest.issues.update({ owner: repo.owner, repo: repo.repo, issue_number: issue, state: "closed", state_reason: "not_planned" });
  return { kind: "rejected", issue };
}
