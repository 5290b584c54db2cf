import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../src/domain/duration.js";
import { codesOf } from "../src/domain/problems.js";

const CODE = "request.duration-invalid";

describe("parseDuration", () => {
  it.each([
    ["30m", 1800],
    ["8h", 28800],
    ["1d", 86400],
    ["1h30m", 5400],
    ["1d2h3m4s", 93784],
    ["15m", 900],
  ])("%s = %i seconds", (text, seconds) => {
    expect(parseDuration(text, CODE)).toEqual({ ok: true, value: seconds });
  });

  it.each([
    ["0h", /zero/],
    ["-1h", /negative/],
    ["8 hours", /not a duration.*30m, 8h/],
    ["8", /not a duration/],
    ["h", /not a duration/],
    ["1h1h", /repeats the unit/],
    ["30m1h", /out of order/],
    ["99999999999d", /too long/],
    ["400d", /too long.*366d/],
    ["", /empty/],
    ["1.5h", /not a duration/],
    ["８h", /not a duration/],
  ])("%j is refused with the caller's code and path", (text, message) => {
    const r = parseDuration(text, "config.duration-invalid", "max_duration");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: "config.duration-invalid", path: "max_duration" });
    expect(r.problems[0]?.message).toMatch(message);
  });

  it("refuses numbers and other types with a hint", () => {
    const r = parseDuration(8, CODE, "duration");
    expect(r).toEqual({ ok: false, problems: [{ code: CODE, path: "duration", message: expect.stringMatching(/has no unit/) }] });
    expect(parseDuration(null, CODE).ok).toBe(false);
  });

  it("any input gives the one Result shape: a positive value, or exactly one problem carrying the given code", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^(\d{1,4}[smhd]){1,4}$/), fc.integer(), fc.constant(null)), (input) => {
        const r = parseDuration(input, "merge.duration-invalid");
        if (r.ok) {
          expect(Object.keys(r).sort()).toEqual(["ok", "value"]);
          expect(r.value).toBeGreaterThan(0);
        } else {
          expect(Object.keys(r).sort()).toEqual(["ok", "problems"]);
          expect(codesOf(r.problems)).toEqual(["merge.duration-invalid"]);
          expect(r.problems).toHaveLength(1);
        }
      }),
    );
  });

  it("formats canonically and round-trips", () => {
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(86400 + 60)).toBe("1d1m");
    for (const s of [60, 900, 3600, 93784]) {
      const r = parseDuration(formatDuration(s), CODE);
      expect(r).toEqual({ ok: true, value: s });
    }
  });
});
