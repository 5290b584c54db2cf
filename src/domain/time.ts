// Timestamps as records and policies carry them: UTC, whole seconds (2026-11-27T16:00:00Z).

export function isoSeconds(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two ASCII digits at i as a number; -1 when either is not a digit. */
function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Date.parse for the timestamps git and the records write (`2026-11-27T16:00:00Z`,
 * `2026-11-27T17:00:00+01:00`), read field by field: the report parses two per commit of a
 * 300,000-commit history, where Date.parse is a hot spot. Anything else — fractions, other
 * shapes, dates before 1970, out-of-range fields — goes to Date.parse, so the result is always
 * Date.parse's (NaN for an invalid date).
 */
export function parseIsoMs(iso: string): number {
  const n = iso.length;
  if (
    (n !== 20 && n !== 25) ||
    iso.charCodeAt(4) !== 45 ||
    iso.charCodeAt(7) !== 45 ||
    iso.charCodeAt(10) !== 84 ||
    iso.charCodeAt(13) !== 58 ||
    iso.charCodeAt(16) !== 58
  ) {
    return Date.parse(iso);
  }
  const yh = digits2(iso, 0);
  const yl = digits2(iso, 2);
  const mo = digits2(iso, 5);
  const da = digits2(iso, 8);
  const h = digits2(iso, 11);
  const mi = digits2(iso, 14);
  const sec = digits2(iso, 17);
  if (yh < 19 || yl < 0 || mo < 1 || mo > 12 || da < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return Date.parse(iso);
  const year = yh * 100 + yl;
  if (year < 1970) return Date.parse(iso);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (da > (mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] as number))) return Date.parse(iso);
  let offsetMin = 0;
  if (n === 20) {
    if (iso.charCodeAt(19) !== 90) return Date.parse(iso);
  } else {
    const sc = iso.charCodeAt(19);
    const sign = sc === 43 ? 1 : sc === 45 ? -1 : 0;
    const oh = digits2(iso, 20);
    const om = digits2(iso, 23);
    if (sign === 0 || iso.charCodeAt(22) !== 58 || oh < 0 || oh > 23 || om < 0 || om > 59) return Date.parse(iso);
    offsetMin = sign * (oh * 60 + om);
  }
  // Days since the epoch by the civil calendar (no Date object): 1970-01-01 is day 0.
  const y = mo <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + da - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return ((days * 24 + h) * 60 + mi - offsetMin) * 60_000 + sec * 1000;
}
