// Timestamps as records and policies carry them: UTC, whole seconds (2026-11-27T16:00:00Z).

export function isoSeconds(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Date.parse for the timestamps git and the records write (`2026-11-27T16:00:00Z`,
 * `2026-11-27T17:00:00+01:00`), read field by field: the report parses two per commit of a
 * 300,000-commit history, where Date.parse is the hot spot. Anything else — fractions, other
 * shapes, dates before 1970, out-of-range fields — goes to Date.parse, so the result is always
 * Date.parse's (NaN for an invalid date).
 */
export function parseIsoMs(iso: string): number {
  const n = iso.length;
  if (n !== 20 && n !== 25) return Date.parse(iso);
  const c = (i: number) => iso.charCodeAt(i) - 48;
  const d2 = (i: number) => {
    const a = c(i);
    const b = c(i + 1);
    return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
  };
  const yh = d2(0);
  const yl = d2(2);
  const mo = d2(5);
  const da = d2(8);
  const h = d2(11);
  const mi = d2(14);
  const s = d2(17);
  if (iso[4] !== "-" || iso[7] !== "-" || iso[10] !== "T" || iso[13] !== ":" || iso[16] !== ":") return Date.parse(iso);
  if (yh < 19 || yl < 0 || mo < 1 || mo > 12 || da < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return Date.parse(iso);
  const year = yh * 100 + yl;
  if (year < 1970) return Date.parse(iso);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (da > (mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] as number))) return Date.parse(iso);
  let offsetMin = 0;
  if (n === 20) {
    if (iso[19] !== "Z") return Date.parse(iso);
  } else {
    const sign = iso[19] === "+" ? 1 : iso[19] === "-" ? -1 : 0;
    const oh = d2(20);
    const om = d2(23);
    if (sign === 0 || iso[22] !== ":" || oh < 0 || oh > 23 || om < 0 || om > 59) return Date.parse(iso);
    offsetMin = sign * (oh * 60 + om);
  }
  return Date.UTC(year, mo - 1, da, h, mi, s) - offsetMin * 60_000;
}
