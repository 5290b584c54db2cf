// The request lifecycle. A failed revoke is not a state: the request stays active and the sweep
// retries. `failed` is a grant that could not be completed (and was rolled back).
import { fail, ok, problem, type Result } from "./problems.js";
import type { RequestStatus } from "./types.js";

export type LifecycleEvent = "approve-and-grant" | "approve-and-schedule" | "start" | "grant-failed" | "reject" | "expire" | "revoke" | "apply-extension";

const TRANSITIONS: Record<RequestStatus, Partial<Record<LifecycleEvent, RequestStatus>>> = {
  // An approved extension request is spent once it has moved its grant's expiry: it has no grant of its own.
  proposed: {
    "approve-and-grant": "active",
    "approve-and-schedule": "scheduled",
    "grant-failed": "failed",
    reject: "rejected",
    "apply-extension": "expired",
  },
  // Approved for a later start: the sweep starts it, or closes it without access — refused by the
  // rules as they are at the start (reject), its window passed before it was started (expire), or
  // cancelled by /revoke before it started (revoke).
  scheduled: { start: "active", "grant-failed": "failed", reject: "rejected", expire: "expired", revoke: "revoked" },
  active: { expire: "expired", revoke: "revoked" },
  expired: {},
  revoked: {},
  rejected: {},
  failed: {},
};

/** The status `event` moves `from` to, or `record.illegal-transition`. */
export function transition(from: RequestStatus, event: LifecycleEvent): Result<RequestStatus> {
  const to = TRANSITIONS[from]?.[event];
  if (to) return ok(to);
  const allowed = Object.keys(TRANSITIONS[from] ?? {});
  return fail(
    problem(
      "record.illegal-transition",
      `a ${from} request cannot ${event.replace(/-/g, " ")}${allowed.length ? ` (possible: ${allowed.join(", ")})` : ` (${from} is final)`}`,
      "status",
    ),
  );
}

export function isFinal(status: RequestStatus): boolean {
  return Object.keys(TRANSITIONS[status]).length === 0;
}

export const ALL_STATUSES = Object.keys(TRANSITIONS) as RequestStatus[];
export const ALL_EVENTS: LifecycleEvent[] = [
  "approve-and-grant",
  "approve-and-schedule",
  "start",
  "grant-failed",
  "reject",
  "expire",
  "revoke",
  "apply-extension",
];

/**
 * The state an issue or a request pull request shows: a record's status, or one of the states
 * before a record exists — `invalid` (the issue cannot be read) and `blocked` (the check or the
 * merge said no; a merge refused is recorded `rejected` with its rule codes, and shows `blocked`).
 */
export type IssueState = RequestStatus | "invalid" | "blocked";

/** One label per state; an issue carries exactly one of them (see applyState). */
export const STATE_LABEL: Readonly<Record<IssueState, string>> = {
  invalid: "jit:invalid",
  proposed: "jit:proposed",
  blocked: "jit:blocked",
  scheduled: "jit:scheduled",
  active: "jit:active",
  failed: "jit:failed",
  rejected: "jit:rejected",
  expired: "jit:expired",
  revoked: "jit:revoked",
};

export const ALL_STATES = Object.keys(STATE_LABEL) as IssueState[];

/** The states an issue is in before its request is recorded on the default branch. */
export const PRE_RECORD_STATES: readonly IssueState[] = ["invalid", "proposed", "blocked"];

/**
 * The label changes that put an issue carrying `labels` in `state`: its label added unless
 * present, every other state label removed, other labels untouched (names compare
 * case-insensitively, as GitHub's do). With `onlyFrom`, nothing changes unless the issue is in one
 * of those states or in none: an edit to a granted request's issue must not relabel it `invalid`.
 */
export function applyState(labels: readonly string[], state: IssueState, onlyFrom?: readonly IssueState[]): { add: string[]; remove: string[] } {
  const byLabel = new Map(ALL_STATES.map((s) => [STATE_LABEL[s].toLowerCase(), s]));
  const current = labels.filter((l) => byLabel.has(l.toLowerCase()));
  if (onlyFrom && current.length && !current.some((l) => onlyFrom.includes(byLabel.get(l.toLowerCase())!))) return { add: [], remove: [] };
  const want = STATE_LABEL[state].toLowerCase();
  return {
    add: current.some((l) => l.toLowerCase() === want) ? [] : [STATE_LABEL[state]],
    remove: current.filter((l) => l.toLowerCase() !== want),
  };
}
