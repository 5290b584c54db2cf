// How the policy checks quote values, count things and suggest names in their messages. Pure.
import { show } from "../domain/text.js";

/** A value quoted for a message: long strings cut, and never a throw (a hostile object prints as a placeholder). */
export function q(value: unknown, max = 80): string {
  try {
    return show(typeof value === "string" && value.length > 400 ? value.slice(0, 400) : value, max);
  } catch {
    return "(unprintable value)";
  }
}

/** An error's name and message, bounded, for a message that says why a check could not run. */
export function describeError(e: unknown): string {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 200) : "unknown error";
  } catch {
    return "unknown error";
  }
}

/** The character at `index` as `U+XXXX`, so an invisible or look-alike character can be named. */
export function codePoint(s: string, index: number): string {
  return `U+${(s.codePointAt(index) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** `1 action`, `1,234 actions`. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

/** The first `max` items, and how many more there are. */
export function listSome(items: readonly string[], max = 5): string {
  const head = items.slice(0, max).join(", ");
  return items.length > max ? `${head} (+${items.length - max} more)` : head;
}

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length] ?? limit + 1;
}

/** The candidate nearest to `word` by edit distance (case-insensitive), if any is close enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 100) return undefined;
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 4)));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const dist = editDistance(lower, c.toLowerCase(), limit);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best;
}
