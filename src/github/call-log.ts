// How many GitHub API calls one webhook delivery made, and how much of the installation's rate
// limit is left, logged at debug when the delivery ends (at warn when the budget is low: the
// throttling plugin then slows the app down, waiting for the limit's reset rather than failing).
// A 304 Not Modified (a conditional read of an unchanged file) is counted apart: GitHub does not
// count it against the limit.

/** The part of Octokit's hook API used here (ProbotOctokit has it). */
export interface HookedOctokit {
  hook: {
    after(name: "request", hook: (response: { status: number; headers: Record<string, unknown> }) => void): void;
    error(name: "request", hook: (error: unknown) => unknown): void;
  };
}

export interface CallCount {
  calls: number;
  notModified: number;
  /** x-ratelimit-remaining of the last answer that carried it. */
  remaining?: number;
  limit?: number;
  reset?: number;
}

/** A share of the limit below which the delivery's log line is a warning. */
export const LOW_BUDGET_SHARE = 0.1;

/** Counts the calls made through `octokit` from now on (Octokit's hooks stay on that instance, which Probot makes per delivery). */
export function countCalls(octokit: HookedOctokit): CallCount {
  const count: CallCount = { calls: 0, notModified: 0 };
  const seen = (headers: Record<string, unknown> | undefined): void => {
    const n = (name: string) => {
      const v = Number(headers?.[name]);
      return Number.isFinite(v) && headers?.[name] !== undefined && headers?.[name] !== "" ? v : undefined;
    };
    const remaining = n("x-ratelimit-remaining");
    if (remaining === undefined) return;
    count.remaining = remaining;
    const limit = n("x-ratelimit-limit");
    const reset = n("x-ratelimit-reset");
    if (limit !== undefined) count.limit = limit;
    if (reset !== undefined) count.reset = reset;
  };
  octokit.hook.after("request", (response) => {
    count.calls++;
    seen(response.headers);
  });
  octokit.hook.error("request", (error) => {
    count.calls++;
    const response = (error as { status?: number; response?: { headers?: Record<string, unknown> } } | null)?.response;
    if ((error as { status?: number } | null)?.status === 304) count.notModified++;
    seen(response?.headers);
    throw error;
  });
  return count;
}

/** The log line of a delivery's count: level and fields. */
export function callLogLine(count: CallCount): { level: "debug" | "warn"; fields: Record<string, unknown>; message: string } {
  const low = count.remaining !== undefined && count.limit !== undefined && count.limit > 0 && count.remaining < count.limit * LOW_BUDGET_SHARE;
  const fields = {
    github_calls: count.calls,
    not_modified: count.notModified,
    ...(count.remaining !== undefined ? { rate_limit_remaining: count.remaining } : {}),
    ...(count.limit !== undefined ? { rate_limit: count.limit } : {}),
    ...(count.reset !== undefined ? { rate_limit_reset: new Date(count.reset * 1000).toISOString() } : {}),
  };
  return low
    ? {
        level: "warn",
        fields,
        message: `GitHub API budget low: ${count.remaining} of ${count.limit} calls left until ${fields.rate_limit_reset ?? "the reset"}; requests over the limit wait for the reset instead of failing`,
      }
    : { level: "debug", fields, message: "github calls" };
}
