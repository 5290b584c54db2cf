// A request PR closed without merging: the request is rejected. Nothing reached the default
// branch, so there is no record to write; the issue says so and is closed as not planned.
import type { ProbotOctokit } from "probot";
import type { AccessRepo } from "../lifecycle/ports.js";
import { OctokitAccessRepo } from "./access-repo.js";
import { MARKER } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";

export type RejectOutcome = { kind: "ignored" } | { kind: "rejected"; issue: number };

export function handleClosedUnmerged(octokit: ProbotOctokit, repo: RepoRef, pr: { number: number; headRef: string; sameRepo: boolean }): Promise<RejectOutcome> {
  return rejectUnmerged(new OctokitAccessRepo(octokit, repo), pr);
}

export async function rejectUnmerged(access: AccessRepo, pr: { number: number; headRef: string; sameRepo: boolean }): Promise<RejectOutcome> {
  const m = /^jit\/([1-9][0-9]{0,9})-/.exec(pr.headRef);
  if (!m || !pr.sameRepo) return { kind: "ignored" };
  const issue = Number(m[1]);
  const facts = await access.issue(issue);
  if (!facts || facts.isPull || facts.state === "closed") return { kind: "ignored" };
  await access.upsertComment(issue, MARKER.grant, `${MARKER.grant}\nPull request #${pr.number} was closed without merging, so this request was **not granted**. Open a new request if access is still needed.`);
  await access.setState(issue, "rejected");
  await access.closeIssue(issue, "not_planned");
  return { kind: "rejected", issue };
}
