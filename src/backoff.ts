// Waits between retries: exponential, capped, with full jitter — a uniformly random wait below
// the exponential ceiling ("Exponential Backoff And Jitter", AWS Architecture Blog). Without
// jitter, callers that failed together (concurrent grants conflicting in Identity Center, the
// sweep's workers, Slack calls after one outage) retry together and collide again.

/** A source of uniform numbers in [0, 1): Math.random, or a fixed sequence in tests. */
export type Random = () => number;

/** The ceiling of the wait before retry number `attempt` (0-based): min(maxMs, initialMs·2^attempt). */
export function backoffCeiling(initialMs: number, maxMs: number, attempt: number): number {
  return Math.min(maxMs, initialMs * 2 ** attempt);
}

/** A whole number of ms, uniform in [0, ceilingMs). */
export function fullJitter(ceilingMs: number, random: Random = Math.random): number {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() returned ${r}; it must return a number in [0, 1)`);
  return Math.floor(r * Math.max(0, ceilingMs));
}
