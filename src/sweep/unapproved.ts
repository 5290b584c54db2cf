// Requests that wait too long for approval. The sweep lists the app's open request pull requests,
// plans (planUnapproved, pure) one reminder to the approvers at half of pending_ttl and the close
// after it, and carries that out through the AccessRepo port: the proposal recorded `rejected`
// with code approval.expired-unapproved on the default branch, the issue told and closed, the pull
// request closed. An extension request (`extends:`) closes only its own pull request: the grant it
// would extend stays as it is.
import { CLOSING_CODES } from "../domain/closing.js";
import { pendingTtlSeconds } from "../domain/lifecycle-config.js";
import { recordStatus } from "../domain/records.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config } from "../domain/types.js";
import { rejectedRecord, requestAtHead } from "../lifecycle/close-proposal.js";
import type { Effect } from "../lifecycle/effects.js";
import type { UnapprovedRepo } from "../lifecycle/ports.js";
import { updateRecord } from "../store/record-store.js";
import type { Notifier } from "../notify/types.js";
import { planUnapproved, type PendingPull, type UnapprovedAction } from "./plan.js";

/** On a pull request whose approvers were reminded: the reminder is sent once. */
export const REMINDED_LABEL = "jit:approval-reminded";
export const PENDING_MARKER = "<!-- jit-access:pending -->";

export interface UnapprovedOutcome {
  kind: UnapprovedAction["kind"];
  pr: number;
  issue: number;
  id?: string;
  result: "done" | "skipped" | "failed";
  commit?: string;
  message?: string;
}

/** The app's open request pull requests (a bot's, from a jit/<n>-… branch of this repository). */
export async function pendingPulls(access: UnapprovedRepo): Promise<PendingPull[]> {
  const out: PendingPull[] = [];
  for (const p of await access.openPulls()) {
    const m = /^jit\/([1-9][0-9]{0,9})-/.exec(p.head.ref);
    if (!m || p.head.repoFullName?.toLowerCase() !== access.fullName.toLowerCase() || p.user?.type !== "Bot" || !p.createdAt) continue;
    out.push({ pr: p.number, issue: Number(m[1]), headSha: p.head.sha, createdAt: p.createdAt, reminded: (p.labels ?? []).includes(REMINDED_LABEL) });
  }
  return out;
}

export interface UnapprovedDeps {
  access: UnapprovedRepo;
  config: Config;
  now: Date;
  alerts?: Notifier;
  dryRun?: boolean;
}

/** Plans and (unless a dry run) carries out the reminders and closes; one failure does not stop the rest. */
export async function sweepUnapproved(deps: UnapprovedDeps): Promise<{ actions: UnapprovedAction[]; outcomes: UnapprovedOutcome[] }> {
  const actions = planUnapproved(await pendingPulls(deps.access), deps.now, pendingTtlSeconds(deps.config));
  const outcomes: UnapprovedOutcome[] = [];
  if (deps.dryRun) return { actions, outcomes };
  for (const a of actions) {
    const base = { kind: a.kind, pr: a.pull.pr, issue: a.pull.issue };
    try {
      const found = await requestAtHead(deps.access, a.pull.pr, a.pull.headSha, deps.config, a.pull.issue);
      if (!found) {
        outcomes.push({ ...base, result: "skipped", message: "the pull request holds no readable proposal of its issue" });
        continue;
      }
      // A pull request GitHub still lists as open whose request is already a record on the default
      // branch (approved for a later start, granted, closed) is not waiting for anyone: closing it
      // would tell the issue it was rejected.
      const onMain = await deps.access.read(found.path);
      const status = onMain ? recordStatus(onMain.text) : "proposed";
      if (status !== "proposed") {
        outcomes.push({ ...base, id: found.request.id, result: "skipped", message: `${found.request.id} is already ${status}` });
        continue;
      }
      const effects = a.kind === "remind-unapproved" ? reminderEffects(a, found.request, deps.config) : expiryEffects(a, found, deps.now, deps.config);
      if (a.kind === "remind-unapproved") {
        await run(effects.slice(0, 1), deps);
        await deps.access.addLabels(a.pull.pr, [REMINDED_LABEL]);
        await run(effects.slice(1), deps);
        outcomes.push({ ...base, id: found.request.id, result: "done" });
      } else {
        const commits = await run(effects, deps);
        outcomes.push({ ...base, id: found.request.id, result: "done", ...(commits[0] ? { commit: commits[0] } : {}) });
      }
    } catch (e) {
      outcomes.push({ ...base, result: "failed", message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { actions, outcomes };
}

/** Carries out the few effect kinds planned here, in order, on the narrow port; returns the record commits. */
async function run(effects: readonly Effect[], deps: UnapprovedDeps): Promise<string[]> {
  const commits: string[] = [];
  for (const e of effects) {
    if (e.kind === "record") {
      const r = await updateRecord(deps.access, e.path, e.update).catch((err: unknown) => {
        if (!e.bestEffort) throw err;
        return undefined;
      });
      if (r?.kind === "written") commits.push(r.result.commit);
    } else if (e.kind === "comment") await deps.access.upsertComment(e.issue, e.marker, e.body);
    else if (e.kind === "state") await deps.access.setState(e.issue, e.state, e.onlyFrom);
    else if (e.kind === "close-issue") await deps.access.closeIssue(e.issue, e.reason);
    else if (e.kind === "notify") await deps.alerts?.notify(e.event);
    else throw new Error(`the sweep does not carry out ${e.kind} effects`);
  }
  return commits;
}

/** The approvers as they may be mentioned: logins and @org/team from the config (trusted text). */
function mentions(config: Config): string[] {
  return config.approvers.map((a) => (a.startsWith("@") ? a : `@${a}`)).filter((a) => /^@[A-Za-z0-9][A-Za-z0-9-]*(\/[A-Za-z0-9._-]+)?$/.test(a));
}

/** The one reminder: a comment on the pull request naming the approvers, then Slack. Pure. */
export function reminderEffects(a: UnapprovedAction, request: AccessRequest, config: Config): Effect[] {
  const who = mentions(config);
  return [
    {
      kind: "comment",
      issue: a.pull.pr,
      marker: PENDING_MARKER,
      body: `${PENDING_MARKER}\n🔔 This request is still waiting for approval${who.length ? ` — ${who.join(", ")}, please review` : " by the CODEOWNERS"}. Unless it is approved and merged, it is closed unapproved at **${a.closesAt}** (pending_ttl ${config.pending_ttl}).`,
    },
    { kind: "notify", event: { kind: "pending-reminder", request, approvers: config.approvers, closesAt: a.closesAt } },
  ];
}

/** Closing it unapproved: the record, the comments, the state, the issue and the pull request closed, Slack. Pure. */
export function expiryEffects(a: UnapprovedAction, found: { request: AccessRequest; path: string }, now: Date, config: Config): Effect[] {
  const closed = {
    at: isoSeconds(now),
    code: CLOSING_CODES.expiredUnapproved,
    reason: `not approved within pending_ttl ${config.pending_ttl}: the pull request was opened at ${a.pull.createdAt} and was due to close at ${a.closesAt}`,
  };
  const extension = found.request.extends !== undefined;
  const body = `${PENDING_MARKER}\n⌛ **Closed unapproved**: nobody approved this ${extension ? "extension " : ""}request within ${config.pending_ttl} (pending_ttl), so nothing was granted${extension ? " and the grant it would extend is unchanged" : ""}. Open a new request if access is still needed.`;
  const out: Effect[] = [rejectedRecord(found.request, found.path, closed)];
  const told = extension ? [a.pull.pr] : [a.pull.issue, a.pull.pr];
  for (const n of told) out.push({ kind: "comment", issue: n, marker: PENDING_MARKER, body }, { kind: "state", issue: n, state: "rejected" });
  if (!extension) out.push({ kind: "close-issue", issue: a.pull.issue, reason: "not_planned" });
  out.push(
    { kind: "close-issue", issue: a.pull.pr, reason: "not_planned" },
    { kind: "notify", event: { kind: "rejected", request: found.request, code: closed.code, reason: closed.reason } },
  );
  return out;
}
