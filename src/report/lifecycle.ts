// The report's section on requests that ended without a grant of their own, and on extensions:
// rejections with who rejected and why, withdrawals, requests closed unapproved after pending_ttl,
// and the grants whose end approved extensions moved. Read from the records (closed.code,
// closed.by, closed.reason, grant.extensions), never from commit wording. Pure.
import { CLOSING_CODES } from "../domain/closing.js";
import type { ClosedRecord, GrantExtension, RequestStatus } from "../domain/types.js";

export interface LifecycleSection {
  rejected: Array<{ id: string; requester: string; by: string | null; reason: string; at: string }>;
  withdrawn: Array<{ id: string; requester: string; at: string }>;
  expired_unapproved: Array<{ id: string; requester: string; at: string }>;
  extensions: Array<{ id: string; requester: string; count: number; first_expires_at: string; expires_at: string; extended_seconds: number }>;
  /** Rows per list at most (the counts are the lists' lengths before the cut). */
  counts: { rejected: number; withdrawn: number; expired_unapproved: number; extensions: number; extended_grants: number };
}

/** What the section reads of a record (a request, or the report's facts of one). */
export interface LifecycleFacts {
  id: string;
  requester: string;
  status?: RequestStatus;
  closed?: ClosedRecord;
  grant?: { extensions?: ReadonlyArray<Pick<GrantExtension, "at" | "previous_expires_at" | "expires_at">> };
}

/** Closings counted by closed.at, extensions by their own `at`, on or after `sinceMs` when given. */
export function lifecycleSection(records: readonly LifecycleFacts[], sinceMs: number | undefined, top = 10): LifecycleSection {
  const inPeriod = (at: string | undefined) => sinceMs === undefined || (at !== undefined && Date.parse(at) >= sinceMs);
  const out: LifecycleSection = {
    rejected: [],
    withdrawn: [],
    expired_unapproved: [],
    extensions: [],
    counts: { rejected: 0, withdrawn: 0, expired_unapproved: 0, extensions: 0, extended_grants: 0 },
  };
  for (const r of records) {
    const c = r.closed;
    if (r.status === "rejected" && c && inPeriod(c.at)) {
      if (c.code === CLOSING_CODES.rejected) out.rejected.push({ id: r.id, requester: r.requester, by: c.by ?? null, reason: c.reason, at: c.at });
      else if (c.code === CLOSING_CODES.withdrawn) out.withdrawn.push({ id: r.id, requester: r.requester, at: c.at });
      else if (c.code === CLOSING_CODES.expiredUnapproved) out.expired_unapproved.push({ id: r.id, requester: r.requester, at: c.at });
    }
    const exts = (r.grant?.extensions ?? []).filter((e) => inPeriod(e.at));
    if (exts.length) {
      const first = exts[0]!;
      const last = exts[exts.length - 1]!;
      out.counts.extensions += exts.length;
      out.extensions.push({
        id: r.id,
        requester: r.requester,
        count: exts.length,
        first_expires_at: first.previous_expires_at,
        expires_at: last.expires_at,
        extended_seconds: Math.max(0, (Date.parse(last.expires_at) - Date.parse(first.previous_expires_at)) / 1000),
      });
    }
  }
  const newest = <T extends { at: string }>(a: T, b: T) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0);
  out.counts.rejected = out.rejected.length;
  out.counts.withdrawn = out.withdrawn.length;
  out.counts.expired_unapproved = out.expired_unapproved.length;
  out.counts.extended_grants = out.extensions.length;
  out.rejected = out.rejected.sort(newest).slice(0, top);
  out.withdrawn = out.withdrawn.sort(newest).slice(0, top);
  out.expired_unapproved = out.expired_unapproved.sort(newest).slice(0, top);
  out.extensions = out.extensions.sort((a, b) => b.extended_seconds - a.extended_seconds || (a.id < b.id ? -1 : 1)).slice(0, top);
  return out;
}
