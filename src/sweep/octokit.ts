// The sweep's GitHub client: @octokit/rest with the retry and throttling plugins the app gets
// from Probot. The sweep is a batch that writes records, comments and labels one grant after
// another: the throttling plugin spaces those writes (GitHub's guidance against secondary rate
// limits), waits out a secondary limit and retries server errors, so one 502 or one burst does
// not leave a grant expired in AWS but unrecorded until the next run.
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";

export const SweepOctokit = Octokit.plugin(retry, throttling);
export type SweepOctokit = InstanceType<typeof SweepOctokit>;

export interface SweepOctokitOptions {
  token: string;
  /** GITHUB_API_URL (GitHub Enterprise Server, or a fake in tests). */
  baseUrl?: string;
  /** ms per second of the waits the plugins compute (tests shrink it). Default 1000. */
  msPerSecond?: number;
  /** Where the plugins' warnings go. Default: stderr (the Action's log). */
  warn?: (message: string) => void;
}

/** Retries after a rate limit, each, before the request fails. */
export const RATE_LIMIT_RETRIES = 2;
/**
 * The longest wait for a rate limit the sweep accepts, in seconds. The primary limit resets
 * hourly: waiting that long would hold the scheduled job, and the next run (plus the AWS schedule
 * and the policy's own expiry condition) covers what this one leaves.
 */
export const MAX_RATE_LIMIT_WAIT_S = 120;

/** Whether to retry a request that hit a rate limit: a bounded number of times, a bounded wait. */
export function retryRateLimited(retryAfterS: number, retryCount: number): boolean {
  return retryCount < RATE_LIMIT_RETRIES && retryAfterS <= MAX_RATE_LIMIT_WAIT_S;
}

export function createSweepOctokit(opts: SweepOctokitOptions): SweepOctokit {
  const msPerSecond = opts.msPerSecond ?? 1000;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number): boolean => {
      const again = retryRateLimited(retryAfter, retryCount);
      warn(`GitHub ${kind} rate limit on ${options.method ?? ""} ${options.url ?? ""}: ${again ? `retrying in ${retryAfter} s` : "giving up"}`);
      return again;
    };
  return new SweepOctokit({
    auth: opts.token,
    userAgent: "jit-access-sweep",
    ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    retry: { retryAfterBaseValue: msPerSecond },
    throttle: { onRateLimit: onLimit("primary"), onSecondaryRateLimit: onLimit("secondary"), retryAfterBaseValue: msPerSecond },
  });
}
