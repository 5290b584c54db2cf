// A request PR closed without merging: the request is rejected. Nothing reached the default
// branch, so there is no record to write; the issue says so and is closed as not planned.
import type { ProbotOctokit } from "probot";
import { runEffects, type Effect } from "../lifecycle/effects.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import { OctokitAccessRepo } from "./access-repo.js";
import { MARKER } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";

export type RejectOutcome = { kind: "ignored" } | { kind: "rejected"; issue: number };

export function handleClosedUnmerged(
  octokit: ProbotOctokit,
  repo: RepoRef,
  pr: { number: number; headRef: string; sameRepo: boolean },
): Promise<RejectOutcome> {
  return rejectUnmerged(new OctokitAccessRepo(octokit, repo), pr);
}

export async function rejectUnmerged(access: AccessRepo, pr: { number: number; headRef: string; sameRepo: boolean }): Promise<RejectOutcome> {
  const m = /^jit\/([1-9][0-9]{0,9})-/.exec(pr.headRef);
  if (!m || !pr.sameRepo) return { kind: "ignored" };
  const issue = Number(m[1]);
  const facts = await access.issue(issue);
  if (!facts || facts.isPull || facts.state === "closed") return { kind: "ignored" };
  await runEffects(rejectionEffects(issue, pr.number), { access });
  return { kind: "rejected", issue };
}

/** What closing a request PR unmerged does to its open issue. Pure. */
export function rejectionEffects(issue: number, pr: number): Effect[] {
  return [
    {
      kind: "comment",
      issue,
      marker: MARKER.grant,
      body: `${MARKER.grant}\nPull request #${pr} was closed without merging, so this request was **not granted**. Open a new request if access is still needed.`,
    },
    { kind: "state", issue, state: "rejected" },
    { kind: "close-issue", issue, reason: "not_planned" },
  ];
}
