// Durations as people write them in requests and config: 30m, 8h, 1d, 1h30m.
import { fail, ok, problem, type ProblemCode, type Result } from "./problems.js";

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
type Unit = keyof typeof UNIT_SECONDS;

/** Larger than any sane grant (a year) and far below Number.MAX_SAFE_INTEGER: stops overflow. */
export const MAX_DURATION_SECONDS = 366 * 86400;

const HINT = "write it like 30m, 8h, 1d or 1h30m (units s, m, h, d; no spaces)";

/**
 * Seconds, or one problem with the caller's `code` and `path`: a duration is always some field's value,
 * so the field decides the code (`config.duration-invalid`, `request.duration-invalid`, ...).
 */
export function parseDuration(input: unknown, code: ProblemCode, path = ""): Result<number> {
  const refuse = (message: string): Result<number> => fail(problem(code, message, path));
  if (typeof input === "number") {
    return refuse(`${input} has no unit; ${HINT}`);
  }
  if (typeof input !== "string") return refuse(`expected a duration string; ${HINT}`);
  const text = input.trim();
  if (text === "") return refuse(`the duration is empty; ${HINT}`);
  if (text.startsWith("-")) return refuse(`"${text}" is negative; ${HINT}`);
  if (!/^(\d+[smhd])+$/.test(text)) return refuse(`"${truncate(text)}" is not a duration; ${HINT}`);
  let seconds = 0;
  const seen = new Set<string>();
  let lastRank = -1;
  const ranks: Record<Unit, number> = { d: 0, h: 1, m: 2, s: 3 };
  for (const m of text.matchAll(/(\d+)([smhd])/g)) {
    const digits = m[1] ?? "";
    const unit = (m[2] ?? "s") as Unit;
    if (seen.has(unit)) return refuse(`"${text}" repeats the unit "${unit}"; ${HINT}`);
    if (ranks[unit] < lastRank) return refuse(`"${text}" lists units out of order; write the largest first, like 1d2h30m`);
    seen.add(unit);
    lastRank = ranks[unit];
    if (digits.length > 9) return refuse(`"${truncate(text)}" is too long; the maximum is 366d`);
    seconds += Number(digits) * UNIT_SECONDS[unit];
  }
  if (seconds === 0) return refuse(`"${text}" is zero; ${HINT}`);
  if (seconds > MAX_DURATION_SECONDS) return refuse(`"${truncate(text)}" is too long; the maximum is 366d`);
  return ok(seconds);
}

/** Seconds → the shortest canonical form, e.g. 5400 → "1h30m". */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return "0s";
  let rest = Math.floor(seconds);
  let out = "";
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

function truncate(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
