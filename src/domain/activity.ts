// A grant's activity as data: the CloudTrail events a lookup returns, what a lookup reports
// besides them, the record's caps, the "no summary" record, and the config's padding. Pure. The
// summary itself (events against the policy, through the IAM catalogue) is src/policy/activity.ts;
// the lookup is src/aws/activity.ts.
import { parseDuration } from "./duration.js";
import { fail, ok, prefixMessages, problem, type Result } from "./problems.js";
import type { ActivityRecord, Config, Problem, ProblemCode } from "./types.js";

/** One CloudTrail event as the summary needs it (a subset of LookupEvents' Event + CloudTrailEvent). */
export interface ActivityEvent {
  /** ISO 8601. */
  eventTime: string;
  /** e.g. `s3.amazonaws.com`. */
  eventSource: string;
  /** e.g. `ListBuckets`. */
  eventName: string;
  /** Set when the call failed, e.g. `AccessDenied`. */
  errorCode?: string;
  /** Resource names or ARNs the event names. */
  resources?: string[];
  readOnly?: boolean;
}

/** Who a lookup looked for (the shape of the AWS adapter's PrincipalRef). */
export interface ActivityPrincipal {
  kind: "iam_user" | "iam_role" | "sso_user";
  name: string;
}

/** What a CloudTrail lookup found for a grant. */
export interface ActivityLookup {
  /** The window actually looked up (ISO), padding included. */
  window: { from: string; to: string };
  events: ActivityEvent[];
  /** LookupEvents requests made. */
  requests: number;
  /** Why the list may be incomplete; absent when it is complete. */
  truncated?: NonNullable<ActivityRecord["truncated"]>;
  /** Role mode: sessions found in the window. */
  sessions?: number;
  /** How to find the same events in the CloudTrail console (attribute and value). */
  query: { key: string; value: string };
}

/** Where a grant's activity was looked up, for the comment; known even when the lookup failed. */
export interface ActivityScope {
  principal: ActivityPrincipal;
  accountId: string;
  region: string;
  /** The CloudTrail console's Event history, filtered like the lookup. */
  consoleUrl?: string;
  /** Trails of the account that log data events (by name); undefined when that could not be read. */
  dataEventTrails?: string[];
}

// --- The compact record (`activity:` in the request file) ----------------------------------

/** Caps of the record: the comment and the console link carry the rest. */
export const RECORD_DENIED_MAX = 20;
export const RECORD_UNUSED_MAX = 50;
export const RECORD_USED_MAX = 200;
export const RECORD_SERVICES_MAX = 100;
export const MAX_PADDING_SECONDS = 24 * 3600;

/** The record when there is no summary: the lookup failed, or the window is past the horizon. */
export function activityUnavailable(code: ProblemCode, lookedUpAt: string): ActivityRecord {
  return { status: code === "aws.activity-beyond-horizon" ? "beyond-horizon" : "unavailable", code, looked_up_at: lookedUpAt, data_events_visible: false };
}

/** `activity.lookback_padding` in milliseconds ("0" is none), or a problem naming the field. */
export function paddingMs(text: string): Result<number> {
  if (text === "0") return ok(0);
  const d = parseDuration(text, "config.activity-padding", "activity.lookback_padding");
  if (!d.ok) return fail(...prefixMessages(`activity.lookback_padding ${JSON.stringify(text)}: `, d.problems));
  if (d.value > MAX_PADDING_SECONDS) {
    return fail(
      problem(
        "config.activity-padding",
        `activity.lookback_padding ${JSON.stringify(text)} is longer than 24h; CloudTrail delivers events within minutes, so 5m to 15m is enough`,
        "activity.lookback_padding",
      ),
    );
  }
  return ok(d.value * 1000);
}

export function activityConfigProblems(config: Pick<Config, "activity">): Problem[] {
  const r = paddingMs(config.activity.lookback_padding);
  return r.ok ? [] : r.problems;
}
