// The request lifecycle. A failed revoke is not a state: the request stays active and the sweep
// retries. `failed` is a grant that could not be completed (and was rolled back).
import type { RequestStatus } from "./types.js";

export type LifecycleEvent = "approve-and-grant" | "grant-failed" | "reject" | "expire" | "revoke";

const TRANSITIONS: Record<RequestStatus, Partial<Record<LifecycleEvent, RequestStatus>>> = {
  proposed: { "approve-and-grant": "active", "grant-failed": "failed", reject: "rejected" },
  active: { expire: "expired", revoke: "revoked" },
  expired: {},
  revoked: {},
  rejected: {},
  failed: {},
};

export type Transition = { ok: true; to: RequestStatus } | { ok: false; message: string };

export function transition(from: RequestStatus, event: LifecycleEvent): Transition {
  const to = TRANSITIONS[from]?.[event];
  if (to) return { ok: true, to };
  const allowed = Object.keys(TRANSITIONS[from] ?? {});
  return {
    ok: false,
    message: `a ${from} request cannot ${event.replace(/-/g, " ")}${allowed.length ? ` (possible: ${allowed.join(", ")})` : ` (${from} is final)`}`,
  };
}

export function isFinal(status: RequestStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}

export const ALL_STATUSES = Object.keys(TRANSITIONS) as RequestStatus[];
export const ALL_EVENTS: LifecycleEvent[] = ["approve-and-grant", "grant-failed", "reject", "expire", "revoke"];
