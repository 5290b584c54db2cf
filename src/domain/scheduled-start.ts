// A scheduled start (`starts_at`): approved at the merge, granted later. The merge verifies the
// approval as for any request but attaches nothing: it records `scheduled` with the approval and
// the window (starts_at, and expires_at = starts_at + duration). The sweep grants it once
// starts_at has come — never before — and the grant never outlasts the approved expires_at, so a
// late start shortens the access rather than moving it. Pure: the clock is an argument.
import { show } from "./text.js";
import { isoSeconds } from "./time.js";
import type { AccessRequest, Problem, ScheduledRecord } from "./types.js";

/** How far ahead a start may be asked for: approvals are given on the rules of today. */
export const MAX_START_AHEAD_DAYS = 30;
const MAX_START_AHEAD_MS = MAX_START_AHEAD_DAYS * 86_400_000;

/**
 * What a record with `starts_at` must hold for its status. Read without a clock, so every record
 * is judged the same whenever it is read: the timing of a start is judged where the clock is known
 * (startsAtTiming, at the pull request check and at the merge).
 */
export function startsAtProblems(r: AccessRequest): Problem[] {
  const status = r.status ?? "proposed";
  const out: Problem[] = [];
  if (r.starts_at !== undefined && r.extends !== undefined && status === "proposed")
    out.push({
      code: "request.starts-at-extension",
      path: "starts_at",
      message: `starts_at ${show(r.starts_at)} on an extension request: an extension moves the end of a live grant and cannot start later; remove starts_at`,
    });
  if (status === "scheduled") {
    if (!r.scheduled || r.starts_at === undefined)
      out.push({
        code: "request.status-scheduled",
        path: "scheduled",
        message: `status scheduled needs starts_at and the scheduled approval record; status and scheduled are written by the app — restore them from the git history of this file`,
      });
  } else if (r.scheduled && status === "proposed")
    // A `failed` record may carry it: a scheduled start whose grant AWS refused keeps its approval.
    out.push({
      code: "request.status-scheduled",
      path: "scheduled",
      message: `a ${status} request cannot carry scheduled; remove it (it is written by the app)`,
    });
  if (r.scheduled) {
    const s = Date.parse(r.scheduled.starts_at);
    const e = Date.parse(r.scheduled.expires_at);
    if (!(e > s))
      out.push({
        code: "request.status-scheduled",
        path: "scheduled.expires_at",
        message: `scheduled.expires_at ${show(r.scheduled.expires_at)} must be after scheduled.starts_at ${show(r.scheduled.starts_at)}; restore the record from the git history of this file`,
      });
    if (r.starts_at !== undefined && Date.parse(r.starts_at) !== s)
      out.push({
        code: "request.status-scheduled",
        path: "scheduled.starts_at",
        message: `scheduled.starts_at ${show(r.scheduled.starts_at)} is not the request's starts_at ${show(r.starts_at)}; restore the record from the git history of this file`,
      });
  }
  return out;
}

/**
 * A start's timing against the clock (a proposed request's only). `ask` (the pull request check): a start that is not in the
 * future, or further ahead than MAX_START_AHEAD_DAYS, is refused. `merge`: only a start too far
 * ahead of the merge is; one that has come by the merge is granted at once, until the approved
 * end (starts_at + duration), which is what the approvers saw.
 */
export function startsAtTiming(r: Pick<AccessRequest, "starts_at" | "status">, now: Date, when: "ask" | "merge"): Problem[] {
  // Only a start still being asked for: a record's start was judged when it was approved.
  if (r.starts_at === undefined || (r.status ?? "proposed") !== "proposed") return [];
  const at = Date.parse(r.starts_at);
  if (Number.isNaN(at))
    return [
      {
        code: "request.starts-at-invalid",
        path: "starts_at",
        message: `starts_at ${show(r.starts_at)} is not a date-time; write it as ISO 8601 with a time zone, e.g. ${isoSeconds(now.getTime() + 86_400_000)}`,
      },
    ];
  const nowMs = now.getTime();
  if (at > nowMs + MAX_START_AHEAD_MS)
    return [
      {
        code: "request.starts-at-too-far",
        path: "starts_at",
        message: `starts_at ${show(r.starts_at)} is more than ${MAX_START_AHEAD_DAYS} days ahead (latest ${isoSeconds(nowMs + MAX_START_AHEAD_MS)}); ask for a start within ${MAX_START_AHEAD_DAYS} days, or open the request later`,
      },
    ];
  if (when === "ask" && at <= nowMs)
    return [
      {
        code: "request.starts-at-past",
        path: "starts_at",
        message: `starts_at ${show(r.starts_at)} is not in the future (it is ${isoSeconds(nowMs)} now); remove starts_at to start at the merge, or set a later time`,
      },
    ];
  return [];
}

/** The approved end of a scheduled start: starts_at + duration, to the second. */
export function scheduledExpiry(startsAt: string, durationSeconds: number): string {
  return isoSeconds(Date.parse(startsAt) + durationSeconds * 1000);
}

/** What the sweep does with a scheduled record at `now`. */
export type StartDecision =
  /** Not yet: starts_at is still ahead. */
  | { kind: "wait"; startsAt: string }
  /** Grant now, until the approved end. */
  | { kind: "start"; expiresAt: string }
  /** The window passed (or is about to) before it was started: closed without access. */
  | { kind: "missed"; expiresAt: string };

/** A grant that would end within this margin is not started: it could not be used. */
export const START_MARGIN_MS = 60_000;

/**
 * When a scheduled record is granted: never before its start — the later of `starts_at` and the
 * approval's own `scheduled.starts_at`, so an edit to either cannot move it earlier — and never
 * past the approved end.
 */
export function startDecision(r: Pick<AccessRequest, "starts_at"> & { scheduled: ScheduledRecord }, now: Date): StartDecision {
  const s = r.scheduled;
  const startMs = Math.max(Date.parse(s.starts_at), Date.parse(r.starts_at ?? s.starts_at));
  const nowMs = now.getTime();
  if (Number.isNaN(startMs)) return { kind: "wait", startsAt: s.starts_at };
  if (nowMs < startMs) return { kind: "wait", startsAt: isoSeconds(startMs) };
  if (!(Date.parse(s.expires_at) > nowMs + START_MARGIN_MS)) return { kind: "missed", expiresAt: s.expires_at };
  return { kind: "start", expiresAt: s.expires_at };
}
