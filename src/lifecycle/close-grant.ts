// Ending a grant, the one path for the sweep (expiry), `/revoke` and `jit-access revoke`:
// re-read the record (still active, and due for an expiry?), revoke in AWS (only what jit-access
// created for the request), record `expired`/`revoked` with compare-and-swap, then — only the
// writer of the record, so a grant is announced once however many callers race — alert the
// channels and tell GitHub.
//
// Safe to run twice at once: the AWS revoke is idempotent and the compare-and-swap lets one
// writer win; the other re-reads, sees the record closed and stops without alerting. Safe to crash
// anywhere: until the record is closed the grant stays active (and due), and the next attempt
// revokes what is left and records it.
import { NotOwnedError, revokeTargetsOf } from "../aws/plan.js";
import { revokeInAccounts } from "./revoke-accounts.js";
import type { Grants, RevokeTarget } from "../aws/types.js";
import { resolveAccount } from "../domain/config.js";
import { describeProblem, fail, ok, problem, type Result } from "../domain/problems.js";
import { commitMessage, recordExpired, recordRevoked } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config, Problem, ProblemCode } from "../domain/types.js";
import type { Notifier as Alerts } from "../notify/types.js";
import { updateRecord, type RecordStore } from "../store/record-store.js";

export type { Alerts };

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

/** The GitHub side of a grant ending: comment, state label, close the issue. Must be idempotent. */
export interface GrantCloser {
  closed(event: ClosedEvent): Promise<void>;
}

export interface CloseGrantPorts {
  store: RecordStore;
  config: Config;
  grants: Grants;
  /** Absent in a local checkout: nothing is said on GitHub. */
  github?: GrantCloser;
  /** Slack and other channels; never throws (src/notify). */
  alerts?: Alerts;
  /**
   * After the record is written and GitHub told: what the holder did during the grant
   * (src/github/activity-closeout.ts). Never fails the close: its errors are its own to report.
   */
  activity?: (file: string, id: string) => Promise<unknown>;
}

export interface CloseGrant {
  kind: "expired" | "revoked";
  /** The record's path under access-requests/. */
  file: string;
  /** When given, the record must still carry this id. */
  id?: string;
  at: Date;
  reason: string;
  /** A GitHub login: written to closed.by and said in the alert. */
  by?: string;
  /** The Closed-By trailer: a login, the local user, or the sweep. */
  closedBy: string;
}

export type CloseStep = "check" | "revoke" | "record" | "notify";

export type CloseOutcome =
  /** Revoked and recorded by this call; `githubError` when GitHub could not be told. */
  | { kind: "closed"; request: AccessRequest; removed: string[]; commit: string; alerted: boolean; told: boolean; githubError?: string }
  /** Nothing to do (no longer active, not yet due, gone), or another writer recorded it first. */
  | { kind: "skipped"; problem: Problem; removed: string[] }
  /** The record names AWS resources jit-access did not create for it: nothing removed, retrying will not help. */
  | { kind: "refused"; problem: Problem; request: AccessRequest }
  /** A step failed; the record stays active and the grant is retried (by the sweep at the latest). */
  | { kind: "failed"; step: CloseStep; problem: Problem; removed: string[] };

/** The record's request when it is an active grant (due by `at`, for an expiry); otherwise why not, as one coded problem. */
function closable(text: string, input: CloseGrant, config: Config): Result<AccessRequest> {
  const parsed = parseRequestFile(text, { file: input.file, config });
  if (!parsed.ok) return fail(problem("record.invalid", `${input.file} is no longer valid: ${parsed.problems.map((p) => p.message).join("; ")}`));
  const r = parsed.value.request;
  if (input.id !== undefined && r.id !== input.id) return fail(problem("record.id-mismatch", `${input.file} now holds ${r.id}, not ${input.id}`));
  // A scheduled request not yet started is cancelled by a revoke: nothing should be in AWS, and
  // whatever a start in flight attached is removed by the request's id.
  if (input.kind === "revoked" && r.status === "scheduled" && r.scheduled) return ok(r);
  if (r.status !== "active" || !r.grant) return fail(problem("record.not-active", `already ${r.status ?? "proposed"}`));
  if (input.kind === "expired" && Date.parse(r.grant.expires_at) > input.at.getTime())
    return fail(problem("record.not-due", `extended to ${r.grant.expires_at}`));
  return ok(r);
}

export async function closeGrant(ports: CloseGrantPorts, input: CloseGrant): Promise<CloseOutcome> {
  const at = isoSeconds(input.at);
  let step: CloseStep = "check";
  let removed: string[] = [];
  try {
    // The caller's view may be minutes old: another sweep, a /revoke or a CLI run may have moved on.
    const current = await ports.store.read(input.file);
    if (!current) return { kind: "skipped", problem: problem("record.missing", "the request file is gone"), removed };
    const state = closable(current.text, input, ports.config);
    if (!state.ok) return { kind: "skipped", problem: state.problems[0]!, removed };
    const request = state.value;

    step = "revoke";
    try {
      // Every account the grant holds (one, or each of grant.aws.accounts).
      removed = (await revokeInAccounts(ports.grants, revokeTargets(request, ports.config))).removed;
    } catch (e) {
      if (e instanceof NotOwnedError) return { kind: "refused", problem: problem("aws.not-owned", e.message), request };
      throw e;
    }

    step = "record";
    const written = await updateRecord(
      ports.store,
      input.file,
      (file) => {
        if (!file) return { kind: "skip", reason: "the request file is gone" };
        const now = closable(file.text, input, ports.config);
        if (!now.ok) return { kind: "skip", reason: now.problems.map((p) => p.message).join("; ") };
        const closed = { at, reason: input.reason, ...(input.by ? { by: input.by } : {}) };
        const next = input.kind === "expired" ? recordExpired(now.value, closed) : recordRevoked(now.value, closed);
        if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
        return { kind: "write", text: dumpRequest(next.value, "Written by jit-access."), message: closeMessage(input, now.value, at, removed) };
      },
      // The check's read is the first attempt's: a record changed during the revoke fails the
      // compare-and-swap on its sha, and is read again.
      5,
      { file: current },
    );
    if (written.kind === "skipped")
      return { kind: "skipped", problem: problem("record.conflict", `revoked in AWS; recorded by someone else: ${written.reason}`), removed };

    // Said once: only the caller whose compare-and-swap wrote the record gets here.
    let alerted = false;
    if (ports.alerts) {
      await ports.alerts.notify(
        input.kind === "expired"
          ? { kind: "expired", request, expiresAt: request.grant!.expires_at }
          : { kind: "revoked", request, at, reason: input.reason, ...(input.by ? { by: input.by } : {}) },
      );
      alerted = true;
    }
    const outcome: CloseOutcome = { kind: "closed", request, removed, commit: written.result.commit, alerted, told: false };
    if (ports.github) {
      step = "notify";
      try {
        await ports.github.closed({ kind: input.kind, request, at, reason: input.reason, ...(input.by ? { by: input.by } : {}), removed });
        outcome.told = true;
      } catch (e) {
        outcome.githubError = errorText(e);
      }
    }
    if (ports.activity) await ports.activity(input.file, request.id).catch(() => undefined);
    return outcome;
  } catch (e) {
    const code: ProblemCode = step === "revoke" ? "aws.revoke-failed" : step === "record" ? "record.write-failed" : "record.read-failed";
    return { kind: "failed", step, problem: problem(code, errorText(e)), removed };
  }
}

/** What to revoke: the grant's own record, or for a scheduled request not yet started, everything of its id in its account. */
function revokeTargets(request: AccessRequest, config: Config): RevokeTarget[] {
  if (request.status !== "scheduled") return revokeTargetsOf(request.id, request.grant?.aws ?? {}, config.aws.mode);
  const account = resolveAccount(config, request.account);
  if (!account) throw new Error(`request ${request.id}: account ${request.account} is not in the config; cannot tell which account to revoke in`);
  return [{ requestId: request.id, mode: config.aws.mode, accountId: account.id }];
}

function closeMessage(input: CloseGrant, request: AccessRequest, at: string, removed: string[]): string {
  const resources = request.grant?.aws?.resources ?? [];
  if (input.kind === "expired") {
    const expiresAt = request.grant?.expires_at ?? at;
    return commitMessage(
      `jit-access: expire ${request.id}`,
      `The grant expired at ${expiresAt}. ${input.closedBy} at ${at} ${removed.length ? `removed what AWS still held: ${removed.join(", ")}` : "found nothing left in AWS"}.`,
      { "Request-Id": request.id, "Expires-At": expiresAt, "Aws-Resource": resources, "Closed-By": input.closedBy },
    );
  }
  return commitMessage(`jit-access: revoke ${request.id}`, `Revoked early by ${input.closedBy}: ${input.reason}`, {
    "Request-Id": request.id,
    "Aws-Resource": resources,
    "Closed-By": input.closedBy,
  });
}

export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}` : String(e);
}
