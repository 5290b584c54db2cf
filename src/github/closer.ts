// The GitHub side of a grant ending, for closeGrant's callers (the sweep, `/revoke`, `jit-access
// revoke` in API mode): a comment
// on the request's issue, the issue closed as completed, the state set to expired / revoked (one
// state label, on the issue and on the pull request that granted it).
// Idempotent: the comment carries a marker and is updated in place; labels and closing repeat safely.
import { EXPIRING_LABEL } from "../notify/expiring.js";
import { quote } from "./messages.js";
import { STATE_LABEL } from "../domain/lifecycle.js";
import type { ClosedEvent, GrantCloser } from "../lifecycle/close-grant.js";
import { OctokitIssueSide, type AnyOctokit } from "./issue-side.js";
import type { RepoRef } from "./octokit-helpers.js";
import { applyIssueSteps, type IssueSide } from "../lifecycle/ports.js";
import type { NotStartedEvent, StartAnnouncer, StartedEvent } from "../lifecycle/start-grant.js";

export const SWEEP_MARKER = "<!-- jit-access:expiry -->";
/** The state labels the end of a grant moves between, from the one table (STATE_LABEL). */
export const LABELS = { active: STATE_LABEL.active, expired: STATE_LABEL.expired, revoked: STATE_LABEL.revoked } as const;

/** ProbotOctokit or @octokit/rest's Octokit (see AnyOctokit). */
export type NotifierOctokit = AnyOctokit;

/** The GitHub side of a grant ending, on any repository's issue side. Idempotent. */
export async function announceClosed(access: IssueSide, event: ClosedEvent): Promise<void> {
  const { request } = event;
  const issue = Number(request.id.split("-")[0]);
  const body = [
    SWEEP_MARKER,
    event.kind === "expired"
      ? `⌛ **Expired.** The access of ${quote(request.requester)} to ${request.accounts ? "accounts" : "account"} ${quote(request.accounts?.join(", ") ?? request.account)} ended at ${quote(request.grant?.expires_at ?? event.at)}; the expiry sweep recorded it at ${event.at}.`
      : `🔒 **Revoked** at ${event.at}${event.by ? ` by ${quote(event.by)}` : ""}: ${quote(event.reason, 500)}.`,
    "",
    event.removed.length
      ? `Removed from AWS now: ${event.removed.map((r) => `\`${r.replace(/`/g, "'")}\``).join(", ")}.`
      : request.status === "scheduled"
        ? "It was cancelled before its scheduled start: nothing had been attached in AWS."
        : "Nothing was left in AWS to remove (the policy's time condition and the AWS schedule had already ended it).",
  ].join("\n");
  const pr = request.grant?.pr ?? request.scheduled?.pr;
  await applyIssueSteps(access, [
    { kind: "comment", issue, marker: SWEEP_MARKER, body },
    ...[...new Set([issue, ...(pr ? [pr] : [])])].map((n) => ({ kind: "state", issue: n, state: event.kind }) as const),
    { kind: "close-issue", issue, reason: "completed" },
  ]);
}

/** A scheduled request started by the sweep: "Granted" on its issue and pull request, state active. Idempotent. */
export async function announceStarted(access: IssueSide, event: StartedEvent): Promise<void> {
  const { request } = event;
  const issue = Number(request.id.split("-")[0]);
  const body = [
    START_MARKER,
    `✅ **Granted** at its scheduled start (${event.at}) to ${quote(request.requester)} in account ${quote(request.account)} until **${quote(event.expiresAt)}**.`,
    "",
    `AWS resources: ${event.resources.map((r) => `\`${r.replace(/`/g, "'")}\``).join(", ")}. \`/revoke\` ends it earlier.`,
  ].join("\n");
  const pr = request.grant?.pr ?? request.scheduled?.pr;
  await applyIssueSteps(access, [
    { kind: "comment", issue, marker: START_MARKER, body },
    ...[...new Set([issue, ...(pr ? [pr] : [])])].map((n) => ({ kind: "state", issue: n, state: "active" }) as const),
  ]);
}

/** A scheduled request closed without access at its start: why, on its issue and pull request. Idempotent. */
export async function announceNotStarted(access: IssueSide, event: NotStartedEvent): Promise<void> {
  const { request } = event;
  const issue = Number(request.id.split("-")[0]);
  const body = [START_MARKER, `⛔ **Not started** (${event.code}): ${quote(event.reason, 800)}`, "", "Nothing was attached in AWS."].join("\n");
  const state = request.status === "expired" || request.status === "failed" ? request.status : "rejected";
  await applyIssueSteps(access, [
    { kind: "comment", issue, marker: START_MARKER, body },
    ...[...new Set([issue, ...(request.scheduled?.pr ? [request.scheduled.pr] : [])])].map((n) => ({ kind: "state", issue: n, state }) as const),
    { kind: "close-issue", issue, reason: "not_planned" },
  ]);
}

export const START_MARKER = "<!-- jit-access:start -->";

export class GitHubNotifier implements GrantCloser, StartAnnouncer {
  private readonly access: IssueSide;

  constructor(octokit: NotifierOctokit, repo: RepoRef) {
    this.access = new OctokitIssueSide(octokit, repo);
  }

  closed(event: ClosedEvent): Promise<void> {
    return announceClosed(this.access, event);
  }

  started(event: StartedEvent): Promise<void> {
    return announceStarted(this.access, event);
  }

  notStarted(event: NotStartedEvent): Promise<void> {
    return announceNotStarted(this.access, event);
  }

  /**
   * true once per grant: marks the request's issue with the expiring-soon label, so the next
   * sweep (or a concurrent one that reads the label afterwards) does not remind again.
   */
  async remindOnce(request: { id: string }): Promise<boolean> {
    const issue = Number(request.id.split("-")[0]);
    if ((await this.access.labels(issue)).includes(EXPIRING_LABEL)) return false;
    await this.access.addLabels(issue, [EXPIRING_LABEL]);
    return true;
  }
}
