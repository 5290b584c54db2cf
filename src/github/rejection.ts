// A request PR closed without merging: the request is rejected — or withdrawn, when its requester
// closed it. Who closed it and the reason they gave (their closing comment, or a "changes
// requested" review) go into a `rejected` record on the default branch (closed.code says which),
// the issue's comment and the Slack notice; the issue is closed as not planned.
import type { ProbotOctokit } from "probot";
import { CLOSING_CODES, closingOf, type ClosingText } from "../domain/closing.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, ClosedRecord, Config } from "../domain/types.js";
import { rejectedRecord, requestAtHead } from "../lifecycle/close-proposal.js";
import { runEffects, type Effect } from "../lifecycle/effects.js";
import type { AccessRepo, Actor } from "../lifecycle/ports.js";
import type { Notifier } from "../notify/types.js";
import { OctokitAccessRepo } from "./access-repo.js";
import { MARKER, quote } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";
import { loadRepoConfig } from "./repo-config.js";

export type RejectOutcome = { kind: "ignored" } | { kind: "rejected"; issue: number; code: string; recorded?: string };

export interface ClosedPull {
  number: number;
  headRef: string;
  sameRepo: boolean;
  /** The head commit: where the request file is read from. */
  headSha?: string;
  /** Who closed it (the webhook's sender). */
  closedBy?: Actor | null;
  htmlUrl?: string;
}

export interface RejectDeps {
  now?: () => Date;
  notifierFor?: (config: Config) => Notifier;
}

export function handleClosedUnmerged(octokit: ProbotOctokit, repo: RepoRef, pr: ClosedPull, deps: RejectDeps = {}): Promise<RejectOutcome> {
  return rejectUnmerged(new OctokitAccessRepo(octokit, repo), pr, deps);
}

export async function rejectUnmerged(access: AccessRepo, pr: ClosedPull, deps: RejectDeps = {}): Promise<RejectOutcome> {
  const m = /^jit\/([1-9][0-9]{0,9})-/.exec(pr.headRef);
  if (!m || !pr.sameRepo) return { kind: "ignored" };
  const issue = Number(m[1]);
  const facts = await access.issue(issue);
  if (!facts || facts.isPull || facts.state === "closed") return { kind: "ignored" };
  const at = isoSeconds((deps.now ?? (() => new Date()))());

  const cfg = await loadRepoConfig(access);
  const config = cfg.ok ? cfg.value : undefined;
  const found = config && pr.headSha ? await requestAtHead(access, pr.number, pr.headSha, config, issue) : undefined;
  const [prComments, issueComments, reviews] = await Promise.all([access.issueComments(pr.number), access.issueComments(issue), access.reviews(pr.number)]);
  const texts: ClosingText[] = [
    ...[...prComments, ...issueComments].map((c) => ({ author: c.author, body: c.body, at: c.createdAt })),
    ...reviews.map((r) => ({ author: r.user, body: r.body ?? "", at: r.submitted_at ?? "", review: r.state })),
  ];
  // The requester is who opened the issue, as for a grant: not what the file at the head says.
  const closed = closingOf({ requester: facts.author?.login ?? found?.request.requester ?? "", closer: pr.closedBy ?? null, texts, at });
  const done = await runEffects(
    rejectionEffects(issue, pr.number, {
      closed,
      ...(found ? { request: found.request, path: found.path } : {}),
      htmlUrl: pr.htmlUrl,
      // An extension request's issue is its active grant's: closing the extension leaves the grant alone.
      extension: found?.request.extends !== undefined || /-ext-[0-9]+$/.test(pr.headRef),
    }),
    {
      access,
      ...(config && deps.notifierFor ? { alerts: deps.notifierFor(config) } : {}),
    },
  );
  return { kind: "rejected", issue, code: closed.code, ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
}

/**
 * What closing a request PR unmerged does. Pure. With the request, its proposal is recorded
 * `rejected` on the default branch (created there, or closed if a proposal of the same id is
 * there); a record that has moved on is left alone.
 */
export function rejectionEffects(
  issue: number,
  pr: number,
  r: { closed?: ClosedRecord & { code: string }; request?: AccessRequest; path?: string; htmlUrl?: string | undefined; extension?: boolean } = {},
): Effect[] {
  const closed = r.closed;
  const withdrawn = closed?.code === CLOSING_CODES.withdrawn;
  const headline = !closed
    ? `Pull request #${pr} was closed without merging, so this request was **not granted**.`
    : withdrawn
      ? `↩️ **Withdrawn** by the requester: pull request #${pr} was closed without merging, so nothing was granted.`
      : `⛔ **Rejected**${closed.by ? ` by ${quote(closed.by)}` : ""}: pull request #${pr} was closed without merging, so nothing was granted.`;
  const reason = closed && !withdrawn ? `\n\n> Reason: ${quote(closed.reason, 1000)}` : "";
  const out: Effect[] = [];
  if (closed && r.request && r.path) out.push(rejectedRecord(r.request, r.path, closed));
  if (r.extension)
    out.push(
      { kind: "comment", issue: pr, marker: MARKER.grant, body: `${MARKER.grant}\n${headline}${reason}\n\nThe grant it would have extended is unchanged.` },
      { kind: "state", issue: pr, state: "rejected" },
    );
  else
    out.push(
      { kind: "comment", issue, marker: MARKER.grant, body: `${MARKER.grant}\n${headline}${reason}\n\nOpen a new request if access is still needed.` },
      { kind: "state", issue, state: "rejected" },
      { kind: "close-issue", issue, reason: "not_planned" },
    );
  if (closed && r.request) {
    const links = r.htmlUrl ? { links: { pr: r.htmlUrl } } : {};
    out.push({
      kind: "notify",
      event: { kind: "rejected", request: r.request, code: closed.code, reason: closed.reason, ...(closed.by ? { by: closed.by } : {}), ...links },
    });
  }
  return out;
}
