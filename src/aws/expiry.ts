// When a grant ends, in the form each AWS service takes it: an Identity Center session length,
// a Scheduler at() expression. Pure.

const HOUR = 3_600_000;
export const MIN_SESSION_MS = HOUR;
export const MAX_SESSION_MS = 12 * HOUR;

/**
 * Identity Center session duration (ISO-8601, whole minutes): the remaining TTL rounded down,
 * kept within AWS's 1h..12h. Below 1h the session may outlive the grant; the policy's time
 * condition still ends the access at expiry.
 */
export function sessionDuration(nowMs: number, expiresAtMs: number): string {
  const remaining = Math.floor((expiresAtMs - nowMs) / 60_000) * 60_000;
  const ms = Math.min(MAX_SESSION_MS, Math.max(MIN_SESSION_MS, remaining));
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.round((ms - hours * HOUR) / 60_000);
  return `PT${hours}H${minutes ? `${minutes}M` : ""}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded down: revocation never fires after the expiry. */
export function atExpression(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${JSON.stringify(iso)}`);
  return `at(${new Date(ms).toISOString().slice(0, 19)})`;
}

/** The iam-mode clean-up schedule deletes the policy this long after the detach. */
export const DELETE_POLICY_DELAY_MS = 10 * 60_000;

export function assertFutureExpiry(nowMs: number, expiresAt: string): number {
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw new Error(`expiresAt ${JSON.stringify(expiresAt)} is not a timestamp`);
  if (ms <= nowMs) throw new Error(`expiresAt ${expiresAt} is not in the future; nothing was granted`);
  return ms;
}
