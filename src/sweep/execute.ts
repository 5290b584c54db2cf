// Carries out a sweep plan. Per due grant: closeGrant (re-read the record — still active and due? —
// revoke in AWS, record `expired` with compare-and-swap, alert, tell GitHub). Then remove the drift. Bounded
// concurrency; one failure never stops the others; every outcome is reported.
//
// One commit per request, not one per batch: each record changes by its own compare-and-swap
// (a batch would need a multi-file CAS the contents API does not have, and one conflicting file
// would hold up or retry the whole batch), a crash loses at most the one in flight, and the audit
// trail keeps exactly one record commit per state change, each naming its request in trailers.
//
// Safe to run twice at once: AWS revoke is idempotent, and the record's compare-and-swap lets only
// one sweep write `expired` — the other re-reads, sees it is no longer active and skips (without
// notifying again). Safe to crash anywhere: until the record says `expired` the grant stays due,
// and the next run revokes (finding nothing or what is left) and records it.
import type { Config } from "../domain/types.js";
import type { Grants } from "../aws/types.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import { closeGrant, errorText, type Alerts, type GrantCloser } from "../lifecycle/close-grant.js";
import { startScheduled, type StartAnnouncer, type StartStep } from "../lifecycle/start-grant.js";
import type { Catalogue } from "../policy/catalogue.js";
import type { RecordStore } from "../store/record-store.js";
import type { DriftReason, SweepPlan } from "./plan.js";
import { runPool } from "./pool.js";

export type { Alerts, ClosedEvent } from "../lifecycle/close-grant.js";
/** The GitHub side of a grant ending (see GrantCloser), and of a scheduled start when it can tell one. */
export type Notifier = GrantCloser & Partial<StartAnnouncer>;

export const DEFAULT_CONCURRENCY = 4;
export const SWEEPER = "jit-access sweep";

export interface ExecuteDeps {
  store: RecordStore;
  config: Config;
  grants: Grants;
  /** Absent in a local checkout: nothing is said on GitHub. */
  notifier?: Notifier;
  /** Slack and other channels (src/notify): told once a grant is recorded as expired. Never throws. */
  alerts?: Alerts;
  /** A closed grant's activity (closeGrant's port); absent: not looked up. */
  activity?: (file: string, id: string) => Promise<unknown>;
  /** The IAM catalogue a scheduled start is judged with again; absent: due starts fail and wait. */
  catalogue?: () => Catalogue;
  /** Team memberships, to judge a scheduled start's approval again; absent: a start whose rules name a team waits. */
  teams?: Pick<AccessRepo, "teamMembership">;
  /** The web address of a request's pull request; absent (a local checkout): a scheduled grant is tagged without it. */
  pullUrl?: (pr: number) => string;
  concurrency?: number;
}

export type Step = "check" | "revoke" | "record" | "notify";

export interface DueOutcome {
  id: string;
  file: string;
  /** expired: revoked and recorded now; skipped: nothing to do any more (see message); failed: see step. */
  result: "expired" | "skipped" | "failed";
  removed: string[];
  commit?: string;
  notified: boolean;
  step?: Step;
  message?: string;
}

export interface DriftOutcome {
  requestId: string;
  reason: DriftReason;
  result: "removed" | "failed";
  removed: string[];
  message?: string;
}

export interface StartOutcome {
  id: string;
  file: string;
  /**
   * started: granted and recorded active now; expired / rejected: closed without access; failed with
   * a code and no step: AWS refused the grant, rolled back and recorded `failed`; skipped / failed with a step: see message.
   */
  result: "started" | "expired" | "rejected" | "skipped" | "failed";
  expires_at?: string;
  resources: string[];
  commit?: string;
  code?: string;
  step?: StartStep | "notify";
  message?: string;
}

export interface SweepOutcome {
  /** Scheduled requests whose start had come; absent when there were none. */
  starts?: StartOutcome[];
  due: DueOutcome[];
  drift: DriftOutcome[];
  /** Steps that failed (a grant whose notification failed counts once, as does a failed drift revoke). */
  failures: number;
}

export async function executeSweep(plan: SweepPlan, deps: ExecuteDeps): Promise<SweepOutcome> {
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const now = new Date(plan.now);

  // Starts first: a start is never early (the record is re-read and judged at this clock) and
  // each ends at its own approved expiry, so doing them before the expiries costs nothing.
  const startResults = await runPool(plan.starts, concurrency, async (s): Promise<StartOutcome> => {
    const base: StartOutcome = { id: s.id, file: s.file, result: "failed", resources: [] };
    if (!deps.catalogue) return { ...base, step: "check", message: "this sweep was built without the IAM catalogue, so scheduled starts cannot be judged" };
    const github = deps.notifier?.started && deps.notifier.notStarted ? (deps.notifier as StartAnnouncer) : undefined;
    const r = await startScheduled(
      {
        store: deps.store,
        config: deps.config,
        grants: deps.grants,
        catalogue: deps.catalogue(),
        ...(deps.alerts ? { alerts: deps.alerts } : {}),
        ...(github ? { github } : {}),
        ...(deps.teams ? { teams: deps.teams } : {}),
        ...(deps.pullUrl ? { pullUrl: deps.pullUrl } : {}),
      },
      { file: s.file, id: s.id, at: now, by: SWEEPER },
    );
    switch (r.kind) {
      case "started":
        return {
          ...base,
          result: "started",
          expires_at: r.expiresAt,
          resources: r.resources,
          commit: r.commit,
          ...(r.githubError !== undefined ? { step: "notify" as const, message: r.githubError } : {}),
        };
      case "closed":
        return { ...base, result: r.status, code: r.code, commit: r.commit, message: r.problems.map((p) => p.message).join("; ") };
      case "skipped":
        return { ...base, result: "skipped", resources: r.removed, message: r.problem.message };
      case "failed":
        return { ...base, step: r.step, message: r.problem.message };
    }
  });
  const starts = startResults.map((r, i) =>
    r.ok
      ? r.value
      : { id: plan.starts[i]?.id ?? "?", file: plan.starts[i]?.file ?? "?", result: "failed" as const, resources: [], message: errorText(r.error) },
  );

  const dueResults = await runPool(plan.due, concurrency, async (d): Promise<DueOutcome> => {
    const outcome: DueOutcome = { id: d.id, file: d.file, result: "failed", removed: [], notified: false };
    const r = await closeGrant(
      {
        store: deps.store,
        config: deps.config,
        grants: deps.grants,
        ...(deps.notifier ? { github: deps.notifier } : {}),
        ...(deps.alerts ? { alerts: deps.alerts } : {}),
        ...(deps.activity ? { activity: deps.activity } : {}),
      },
      { kind: "expired", file: d.file, id: d.id, at: now, reason: `expired at ${d.expires_at}`, closedBy: SWEEPER },
    );
    switch (r.kind) {
      case "closed":
        return {
          ...outcome,
          result: "expired",
          removed: r.removed,
          commit: r.commit,
          notified: r.told,
          ...(r.githubError !== undefined ? { step: "notify" as const, message: r.githubError } : {}),
        };
      case "skipped":
        return { ...outcome, result: "skipped", removed: r.removed, message: r.problem.message };
      case "refused":
        return { ...outcome, step: "revoke", message: r.problem.message };
      case "failed":
        return { ...outcome, removed: r.removed, step: r.step, message: r.problem.message };
    }
  });

  const driftResults = await runPool(plan.drift ?? [], concurrency, async (d): Promise<DriftOutcome> => {
    try {
      const r = await deps.grants.revoke(d.target);
      return { requestId: d.requestId, reason: d.reason, result: "removed", removed: r.removed };
    } catch (e) {
      return { requestId: d.requestId, reason: d.reason, result: "failed", removed: [], message: errorText(e) };
    }
  });

  // runPool catches, and the tasks above catch too: every slot is { ok: true }.
  const due = dueResults.map((r, i) =>
    r.ok
      ? r.value
      : { id: plan.due[i]?.id ?? "?", file: plan.due[i]?.file ?? "?", result: "failed" as const, removed: [], notified: false, message: errorText(r.error) },
  );
  const drift = driftResults.map((r, i) => {
    const d = plan.drift?.[i];
    return r.ok
      ? r.value
      : { requestId: d?.requestId ?? "?", reason: d?.reason ?? ("no-record" as const), result: "failed" as const, removed: [], message: errorText(r.error) };
  });
  const failures =
    due.filter((o) => o.step !== undefined).length + drift.filter((o) => o.result === "failed").length + starts.filter((o) => o.step !== undefined).length;
  return { ...(starts.length ? { starts } : {}), due, drift, failures };
}
