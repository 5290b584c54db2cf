import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIsoMs } from "../src/domain/time.js";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
const same = (s: string) => expect(Object.is(parseIsoMs(s), Date.parse(s)), s).toBe(true);

describe("parseIsoMs", () => {
  it.each([
    "2026-11-27T16:00:00Z",
    "2026-11-27T17:00:00+01:00",
    "2026-11-27T11:30:00-04:30",
    "2024-02-29T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2100-02-29T00:00:00Z",
    "2000-02-29T23:59:59Z",
    "2026-04-31T00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-00-10T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T23:60:00Z",
    "2026-01-01T23:00:60Z",
    "1969-12-31T23:59:59Z",
    "0099-01-01T00:00:00Z",
    "2026-11-27T16:00:00.123Z",
    "2026-11-27 16:00:00Z",
    "2026-11-27T16:00:00z",
    "2026-11-27T16:00:00+0100",
    "2026-11-27T16:00:00+24:00",
    "2026-11-27T16:00:00+01:60",
    "2026-11-27",
    "2026-1a-27T16:00:00Z",
    "",
    "not a date",
  ])("agrees with Date.parse on %j", (s) => same(s));

  it("agrees with Date.parse on timestamps in and around the fast shape", () => {
    const field = (min: number, max: number, w = 2) => fc.integer({ min, max }).map((n) => pad(n, w));
    const tz = fc.oneof(
      fc.constant("Z"),
      fc.tuple(fc.constantFrom("+", "-", "~"), field(0, 25), fc.constantFrom(":", "-"), field(0, 61)).map((p) => p.join("")),
      fc.constantFrom("z", "", ".5Z", "+01", "+0100"),
    );
    const stamp = fc
      .tuple(field(1890, 2200, 4), field(0, 13), field(0, 32), fc.constantFrom("T", "T", "T", " "), field(0, 25), field(0, 61), field(0, 61), tz)
      .map(([y, mo, d, t, h, mi, s, z]) => `${y}-${mo}-${d}${t}${h}:${mi}:${s}${z}`);
    fc.assert(
      fc.property(stamp, (s) => Object.is(parseIsoMs(s), Date.parse(s))),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 18, maxLength: 26 }), (s) => Object.is(parseIsoMs(s), Date.parse(s))),
      { numRuns: 2000 },
    );
  });

  it("agrees with Date.parse on every second written by toISOString", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444800 }), (sec) => {
        const s = new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
        return parseIsoMs(s) === Date.parse(s);
      }),
      { numRuns: 5000 },
    );
  });
});
