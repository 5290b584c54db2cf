// The GitHub side of a grant ending, for the sweep and `jit-access revoke` in API mode: a comment
// on the request's issue, the issue closed as completed, the state set to expired / revoked (one
// state label, on the issue and on the pull request that granted it).
// Idempotent: the comment carries a marker and is updated in place; labels and closing repeat safely.
import type { ProbotOctokit } from "probot";
import { EXPIRING_LABEL } from "../notify/expiring.js";
import { quote } from "../github/messages.js";
import { STATE_LABEL } from "../domain/lifecycle.js";
import { addLabels, setState, upsertComment, type RepoRef } from "../github/octokit-helpers.js";
import type { ClosedEvent, Notifier } from "./execute.js";

export const SWEEP_MARKER = "<!-- jit-access:expiry -->";
/** The state labels the end of a grant moves between, from the one table (STATE_LABEL). */
export const LABELS = { active: STATE_LABEL.active, expired: STATE_LABEL.expired, revoked: STATE_LABEL.revoked } as const;

/**
 * ProbotOctokit or @octokit/rest's Octokit. Their endpoint-method types come from different
 * plugin versions and do not unify; the helpers call only paginate and rest.issues.*, which both
 * have with the same shape, so the client is taken loosely and cast once below.
 */
export interface NotifierOctokit {
  paginate: unknown;
  rest: { issues: object };
}

export class GitHubNotifier implements Notifier {
  constructor(
    private readonly octokit: NotifierOctokit,
    private readonly repo: RepoRef,
  ) {}

  async closed(event: ClosedEvent): Promise<void> {
    const { request } = event;
    const issue = Number(request.id.split("-")[0]);
    const octokit = this.octokit as unknown as ProbotOctokit; // see NotifierOctokit
    const body = [
      SWEEP_MARKER,
      event.kind === "expired"
        ? `⌛ **Expired.** The access of ${quote(request.requester)} to account ${quote(request.account)} ended at ${quote(request.grant?.expires_at ?? event.at)}; the expiry sweep recorded it at ${event.at}.`
        : `🔒 **Revoked** at ${event.at}${event.by ? ` by ${quote(event.by)}` : ""}: ${quote(event.reason, 500)}.`,
      "",
      event.removed.length
        ? `Removed from AWS now: ${event.removed.map((r) => `\`${r.replace(/`/g, "'")}\``).join(", ")}.`
        : "Nothing was left in AWS to remove (the policy's time condition and the AWS schedule had already ended it).",
    ].join("\n");
    await upsertComment(octokit, this.repo, issue, SWEEP_MARKER, body);
    const numbers = new Set([issue, ...(request.grant?.pr ? [request.grant.pr] : [])]);
    for (const n of numbers) await setState(octokit, this.repo, n, event.kind);
    await octokit.rest.issues.update({ owner: this.repo.owner, repo: this.repo.repo, issue_number: issue, state: "closed", state_reason: "completed" });
  }

  /**
   * true once per grant: marks the request's issue with the expiring-soon label, so the next
   * sweep (or a concurrent one that reads the label afterwards) does not remind again.
   */
  async remindOnce(request: { id: string }): Promise<boolean> {
    const issue = Number(request.id.split("-")[0]);
    const octokit = this.octokit as unknown as ProbotOctokit;
    const { data } = await octokit.rest.issues.listLabelsOnIssue({ owner: this.repo.owner, repo: this.repo.repo, issue_number: issue, per_page: 100 });
    if (data.some((l) => l.name === EXPIRING_LABEL)) return false;
    await addLabels(octokit, this.repo, issue, [EXPIRING_LABEL]);
    return true;
  }
}
