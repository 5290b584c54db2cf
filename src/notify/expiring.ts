// Which active grants should get the "expires in 15 minutes" reminder now. Pure.
//
// Idempotency: the sweep sends the reminder once per grant. It passes `alreadyNotified`, the keys
// of grants already reminded, and after sending records the key where the next sweep run can see
// it — the label EXPIRING_LABEL on the request's issue (one grant per request: the label alone
// says "reminded"), or any store the caller prefers, keyed by expiringKey (id@expires_at: a
// grant whose expiry moved is reminded again). An entry matches either form.
import type { AccessRequest } from "../domain/types.js";

export const EXPIRING_WINDOW_MS = 15 * 60 * 1000;
export const EXPIRING_LABEL = "jit:expiring-soon";

export interface ExpiringGrant {
  id: string;
  file?: string;
  expiresAt: string;
  minutesLeft: number;
  key: string;
  request: AccessRequest;
}

export function expiringKey(request: Pick<AccessRequest, "id" | "grant">): string {
  return `${request.id}@${request.grant?.expires_at ?? ""}`;
}

/**
 * Active grants whose expiry lies in (now, now + window], minus those already reminded.
 * Records may be bare requests or { file, request } pairs (the sweep's SweepRecord works).
 */
export function expiringSoon(
  records: ReadonlyArray<AccessRequest | { file?: string; path?: string; request?: AccessRequest }>,
  now: Date,
  alreadyNotified: ReadonlySet<string>,
  windowMs = EXPIRING_WINDOW_MS,
): ExpiringGrant[] {
  const t = now.getTime();
  const out: ExpiringGrant[] = [];
  for (const rec of records) {
    const request = "version" in rec ? rec : (rec as { request?: AccessRequest }).request;
    if (!request || request.status !== "active" || !request.grant) continue;
    const exp = Date.parse(request.grant.expires_at);
    if (!Number.isFinite(exp) || exp <= t || exp > t + windowMs) continue;
    const key = expiringKey(request);
    if (alreadyNotified.has(key) || alreadyNotified.has(request.id)) continue;
    const file = "version" in rec ? undefined : ((rec as { file?: string }).file ?? (rec as { path?: string }).path);
    out.push({ id: request.id, ...(file ? { file } : {}), expiresAt: request.grant.expires_at, minutesLeft: Math.ceil((exp - t) / 60_000), key, request });
  }
  return out.sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id));
}
