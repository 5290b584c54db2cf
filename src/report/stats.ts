// Small numeric helpers for the report. Pure.

export interface Stat {
  /** How many values were measured. */
  count: number;
  /** Seconds; null when count is 0. */
  median: number | null;
  p90: number | null;
  min: number | null;
  max: number | null;
}

/**
 * Quantile by linear interpolation between closest ranks (numpy's default, R type 7):
 * position h = (n − 1)·q over the sorted values; the result lies between values ⌊h⌋ and ⌈h⌉.
 * The median of [1, 2, 3, 4] is 2.5; the p90 of 1..10 is 9.1.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, n - 1)] as number;
  return a + (h - lo) * (b - a);
}

export function stat(values: readonly number[]): Stat {
  // Read from the typed array: copying it back into an array boxes every fractional value.
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return {
    count: n,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    min: n ? (sorted[0] as number) : null,
    max: n ? (sorted[n - 1] as number) : null,
  };
}

/** 90 → "1m 30s", 7200 → "2h", 93600 → "1d 2h"; at most two units. */
export function humanSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return "—";
  const neg = s < 0;
  let v = Math.round(Math.abs(s));
  if (v === 0) return "0s";
  const units: Array<[string, number]> = [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  const parts: string[] = [];
  for (const [u, size] of units) {
    if (v >= size && parts.length < 2) {
      parts.push(`${Math.floor(v / size)}${u}`);
      v %= size;
    } else if (parts.length) break;
  }
  return `${neg ? "-" : ""}${parts.join(" ")}`;
}

export interface Count {
  key: string;
  count: number;
}

/** Counts, largest first, ties by key. */
export function sortedCounts(m: Map<string, number>): Count[] {
  return [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The first k items of `items` stably sorted by `cmp` (what `[...items].sort(cmp).slice(0, k)`
 * gives), kept in a k-long buffer: the report lists the top 10 of up to 100,000 rows, and sorting
 * them all is most of its sorting time. `cmp` must be a consistent order (0 only for ties).
 */
export function firstSorted<T>(items: readonly T[], k: number, cmp: (a: T, b: T) => number): T[] {
  const best = new FirstSorted(k, cmp);
  for (const item of items) best.add(item);
  return best.items();
}

/** firstSorted fed one item at a time, so that an item it would not keep need not be made (see `last`). */
export class FirstSorted<T> {
  private readonly best: T[] = [];
  constructor(
    private readonly k: number,
    private readonly cmp: (a: T, b: T) => number,
  ) {}

  /** When k items are kept, the last of them: an item that does not sort before it is not kept. */
  last(): T | undefined {
    return this.k > 0 && this.best.length === this.k ? this.best[this.k - 1] : undefined;
  }

  add(item: T): void {
    const { best, k, cmp } = this;
    if (k <= 0) return;
    if (best.length === k && cmp(item, best[k - 1] as T) >= 0) return;
    // After every item it does not sort before: equal items keep their input order.
    let j = best.length;
    while (j > 0 && cmp(item, best[j - 1] as T) < 0) j--;
    best.splice(j, 0, item);
    if (best.length > k) best.pop();
  }

  items(): T[] {
    return this.best;
  }
}
