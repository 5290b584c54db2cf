// Carries out a sweep plan. Per due grant: re-read the record (still active and due?), revoke in
// AWS, record `expired` with compare-and-swap, tell GitHub. Then remove the drift. Bounded
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
import { isoSeconds } from "../domain/time.js";
import { commitMessage, recordExpired } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import type { AccessRequest, Config } from "../domain/types.js";
import type { Grants } from "../aws/types.js";
import { updateRecord, type RecordStore } from "../store/record-store.js";
import type { DriftReason, SweepPlan } from "./plan.js";
import { runPool } from "./pool.js";

export const DEFAULT_CONCURRENCY = 4;
export const SWEEPER = "jit-access sweep";

export interface ClosedEvent {
  kind: "expired" | "revoked";
  request: AccessRequest;
  at: string;
  reason: string;
  /** Who revoked (a GitHub login), for revocations. */
  by?: string;
  /** What AWS still held and was removed now. */
  removed: string[];
}

export type { Notifier as Alerts } from "../notify/types.js";
import type { Notifier as Alerts } from "../notify/types.js";

/** The GitHub side of a grant ending: comment, close the issue, labels. Must be idempotent. */
export interface Notifier {
  closed(event: ClosedEvent): Promise<void>;
}

export interface ExecuteDeps {
  store: RecordStore;
  config: Config;
  grants: Grants;
  /** Absent in a local checkout: nothing is said on GitHub. */
  notifier?: Notifier;
  /** Slack and other channels (src/notify): told once a grant is recorded as expired. Never throws. */
  alerts?: Alerts;
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

export interface SweepOutcome {
  due: DueOutcome[];
  drift: DriftOutcome[];
  /** Steps that failed (a grant whose notification failed counts once, as does a failed drift revoke). */
  failures: number;
}

export async function executeSweep(plan: SweepPlan, deps: ExecuteDeps): Promise<SweepOutcome> {
  const concurrency = deps.concurrency ?? DEFAULT_CONCURRENCY;
  const now = new Date(plan.now);
  const at = isoSeconds(now);

  const dueResults = await runPool(plan.due, concurrency, async (d): Promise<DueOutcome> => {
    const outcome: DueOutcome = { id: d.id, file: d.file, result: "failed", removed: [], notified: false };
    let step: Step = "check";
    try {
      // The plan may be minutes old: another sweep, /revoke or an extension may have moved on.
      const current = await deps.store.read(d.file);
      const stillDue = current ? dueState(current.text, d.file, deps.config, now) : "the request file is gone";
      if (stillDue !== true) return { ...outcome, result: "skipped", message: stillDue };

      step = "revoke";
      outcome.removed = (await deps.grants.revoke(d.target)).removed;

      step = "record";
      const written = await updateRecord(deps.store, d.file, (file) => {
        if (!file) return { kind: "skip", reason: "the request file is gone" };
        const state = dueState(file.text, d.file, deps.config, now);
        if (state !== true) return { kind: "skip", reason: state };
        const parsed = parseRequestFile(file.text, { file: d.file, config: deps.config });
        if (!parsed.ok) return { kind: "skip", reason: "the request file is invalid" };
        const next = recordExpired(parsed.request, { at, reason: `expired at ${d.expires_at}` });
        if (!next.ok) return { kind: "skip", reason: next.message };
        return {
          kind: "write",
          text: dumpRequest(next.request, "Written by jit-access."),
          message: commitMessage(
            `jit-access: expire ${d.id}`,
            `The grant expired at ${d.expires_at}. The sweep at ${at} ${outcome.removed.length ? `removed what AWS still held: ${outcome.removed.join(", ")}` : "found nothing left in AWS"}.`,
            {
              "Request-Id": d.id,
              "Expires-At": d.expires_at,
              "Aws-Resource": parsed.request.grant?.aws?.resources ?? d.target.resources ?? [],
              "Closed-By": SWEEPER,
            },
          ),
        };
      });
      if (written.kind === "skipped") return { ...outcome, result: "skipped", message: `revoked; not recorded here: ${written.reason}` };
      outcome.result = "expired";
      outcome.commit = written.result.commit;
      // Said once: only the sweep whose compare-and-swap wrote the record gets here.
      await deps.alerts?.notify({ kind: "expired", request: d.request, expiresAt: d.expires_at });

      if (deps.notifier) {
        step = "notify";
        await deps.notifier.closed({ kind: "expired", request: d.request, at, reason: `expired at ${d.expires_at}`, removed: outcome.removed });
        outcome.notified = true;
      }
      return outcome;
    } catch (e) {
      return { ...outcome, step, message: errorText(e), result: step === "notify" ? "expired" : "failed" };
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
  const due = dueResults.map((r, i) => (r.ok ? r.value : { id: plan.due[i]?.id ?? "?", file: plan.due[i]?.file ?? "?", result: "failed" as const, removed: [], notified: false, message: errorText(r.error) }));
  const drift = driftResults.map((r, i) => {
    const d = plan.drift?.[i];
    return r.ok ? r.value : { requestId: d?.requestId ?? "?", reason: d?.reason ?? ("no-record" as const), result: "failed" as const, removed: [], message: errorText(r.error) };
  });
  const failures = due.filter((o) => o.step !== undefined).length + drift.filter((o) => o.result === "failed").length;
  return { due, drift, failures };
}

/** true when the record text is still an active grant due by `now`; otherwise why not. */
function dueState(text: string, file: string, config: Config, now: Date): true | string {
  const parsed = parseRequestFile(text, { file, config });
  if (!parsed.ok) return "the request file is no longer valid";
  const r = parsed.request;
  if (r.status !== "active" || !r.grant) return `already ${r.status ?? "proposed"}`;
  if (Date.parse(r.grant.expires_at) > now.getTime()) return `extended to ${r.grant.expires_at}`;
  return true;
}


function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}` : String(e);
}
