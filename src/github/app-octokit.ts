// The app's Octokit class (for Probot's `Octokit` option in the composition roots). Probot's own
// throttling options give up on a secondary rate limit at once (a 403/429 "secondary rate limit"
// fails the webhook delivery, and GitHub does not redeliver it: the request is lost), and wait
// out a primary limit however long its reset is. Here both are waited out, a bounded number of
// times and for a bounded time, with a warning in the log each time: under a burst the app slows
// down and says so rather than failing. Writes stay spaced by the throttling plugin (one a second
// per installation, GitHub's guidance against secondary limits).
import { ProbotOctokit } from "probot";

/** Retries of one request after a secondary rate limit (each waits the retry-after GitHub gives). */
export const SECONDARY_RETRIES = 6;
/** Retries of one request after the primary limit ran out. */
export const PRIMARY_RETRIES = 2;
/**
 * The longest wait for the primary limit's reset, in seconds: a webhook handler that waits longer
 * outlives a Lambda invocation (15 minutes at most); past it the delivery fails and says why.
 */
export const MAX_PRIMARY_WAIT_S = 10 * 60;

export interface AppOctokitOptions {
  /** ms per second of the waits the throttling plugin computes, and its write spacing (tests and the bench shrink it). Default 1000. */
  msPerSecond?: number;
  /** More throttling options, last (the bench gives its own write spacing at its time scale). */
  throttle?: Record<string, unknown>;
}

type Limited = (retryAfter: number, options: { method?: string; url?: string }, octokit: { log: { warn(m: string): void } }, retryCount: number) => boolean;

/** Whether to retry after a rate limit of `kind`, after `retryCount` retries, given GitHub's wait in seconds. */
export function retryAfterLimit(kind: "primary" | "secondary", retryAfterS: number, retryCount: number): boolean {
  return kind === "secondary" ? retryCount < SECONDARY_RETRIES : retryCount < PRIMARY_RETRIES && retryAfterS <= MAX_PRIMARY_WAIT_S;
}

export function appOctokit(opts: AppOctokitOptions = {}): typeof ProbotOctokit {
  const msPerSecond = opts.msPerSecond ?? 1000;
  const limited =
    (kind: "primary" | "secondary"): Limited =>
    (retryAfter, options, octokit, retryCount) => {
      const again = retryAfterLimit(kind, retryAfter, retryCount);
      octokit.log.warn(
        `GitHub ${kind} rate limit on ${options.method ?? ""} ${options.url ?? ""}: ${again ? `waiting ${retryAfter} s, then retrying (retry ${retryCount + 1})` : "giving up: the delivery fails"}`,
      );
      return again;
    };
  const Octokit: typeof ProbotOctokit = ProbotOctokit.defaults((o: { throttle?: Record<string, unknown> }) => ({
    ...o,
    throttle: {
      ...o.throttle,
      ...(msPerSecond !== 1000 ? { retryAfterBaseValue: msPerSecond } : {}),
      onRateLimit: limited("primary"),
      onSecondaryRateLimit: limited("secondary"),
      ...opts.throttle,
    },
  }));
  return Octokit;
}
