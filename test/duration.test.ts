import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../src/domain/duration.js";

describe("parseDuration", () => {
  it.each([
    ["30m", 1800],
    ["8h", 28800],
    ["1d", 86400],
    ["1h30m", 5400],
    ["1d2h3m4s", 93784],
    ["15m", 900],
  ])("%s = %i seconds", (text, seconds) => {
    expect(parseDuration(text)).toEqual({ ok: true, seconds });
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
  ])("%j is refused", (text, message) => {
    const r = parseDuration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it("refuses numbers and other types with a hint", () => {
    const r = parseDuration(8);
    expect(r).toEqual({ ok: false, message: expect.stringMatching(/has no unit/) });
    expect(parseDuration(null).ok).toBe(false);
  });

  it("formats canonically and round-trips", () => {
    expect(formatDuration(5400)).toBe("1h30m");
    expect(formatDuration(86400 + 60)).toBe("1d1m");
    for (const s of [60, 900, 3600, 93784]) {
      const r = parseDuration(formatDuration(s));
      expect(r).toEqual({ ok: true, seconds: s });
    }
  });
});
