// Backoff with full jitter (src/backoff.ts) and its users: the AWS conflict retries
// (src/aws/runtime.ts retryOn) and the Slack sender. The random source is injected, so the waits
// are checked exactly, and over every random value for the bounds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffCeiling, fullJitter } from "../src/backoff.js";
import { retryOn } from "../src/aws/runtime.js";
import { sendSlack, type FetchLike } from "../src/notify/slack-sender.js";

const conflict = Object.assign(new Error("busy"), { name: "ConflictException" });
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("fullJitter", () => {
  it("is a whole number of ms in [0, ceiling) for every random value and ceiling", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3_600_000 }), unit, (ceiling, r) => {
        const wait = fullJitter(ceiling, () => r);
        expect(Number.isInteger(wait)).toBe(true);
        expect(wait).toBeGreaterThanOrEqual(0);
        expect(wait).toBeLessThan(ceiling);
      }),
    );
  });

  it.each([
    [1000, 0, 0],
    [1000, 0.5, 500],
    [1000, 0.9999, 999],
    [0, 0.7, 0],
  ])("ceiling %d with random %d waits %d ms", (ceiling, r, wait) => {
    expect(fullJitter(ceiling, () => r)).toBe(wait);
  });

  it.each([1, -0.1, Number.NaN])("refuses a random source that returned %d, naming the value", (r) => {
    expect(() => fullJitter(100, () => r)).toThrow(new RegExp(`random\\(\\) returned ${r}; it must return a number in \\[0, 1\\)`));
  });

  it("spreads callers that failed together: different random draws, different waits", () => {
    const waits = new Set([0.1, 0.4, 0.7, 0.95].map((r) => fullJitter(backoffCeiling(1000, 15_000, 3), () => r)));
    expect(waits.size).toBe(4);
  });

  it("the ceiling doubles per attempt up to the cap", () => {
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffCeiling(1000, 15_000, a))).toEqual([1000, 2000, 4000, 8000, 15_000, 15_000]);
  });
});

describe("retryOn (AWS conflicts)", () => {
  it("sleeps a jittered share of each exponential ceiling", async () => {
    const delays: number[] = [];
    const draws = [0.25, 0.75, 0.5];
    let n = 0;
    await retryOn(
      ["ConflictException"],
      { initialMs: 1000, maxMs: 15_000, attempts: 5 },
      async (ms) => void delays.push(ms),
      async () => (++n < 4 ? Promise.reject(conflict) : n),
      () => draws.shift()!,
    );
    expect(delays).toEqual([250, 1500, 2000]);
  });

  it("never sleeps as long as the ceiling, whatever the draws", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(unit, { minLength: 7, maxLength: 7 }), async (rs) => {
        const delays: number[] = [];
        const backoff = { initialMs: 1000, maxMs: 15_000, attempts: 8 };
        await expect(
          retryOn(
            ["ConflictException"],
            backoff,
            async (ms) => void delays.push(ms),
            async () => Promise.reject(conflict),
            () => rs[delays.length]!,
          ),
        ).rejects.toThrow("busy");
        expect(delays).toHaveLength(7);
        delays.forEach((d, i) => expect(d).toBeLessThan(backoffCeiling(1000, 15_000, i)));
      }),
      { numRuns: 50 },
    );
  });
});

describe("sendSlack", () => {
  const fetch500: FetchLike = async () => ({ status: 500, headers: { get: () => null }, text: async () => "" });
  const payload = { text: "hello" } as Parameters<typeof sendSlack>[1];

  it("jitters its own backoff", async () => {
    const waits: number[] = [];
    const r = await sendSlack(new URL("https://hooks.slack.com/services/x"), payload, {
      fetch: fetch500,
      sleep: async (ms) => void waits.push(ms),
      log: () => undefined,
      backoffMs: 100,
      random: () => 0.5,
    });
    expect(r).toMatchObject({ ok: false, attempts: 3 });
    expect(waits).toEqual([50, 100]);
  });

  it("waits exactly what Retry-After says (not jittered, capped)", async () => {
    const waits: number[] = [];
    const fetch429: FetchLike = async () => ({ status: 429, headers: { get: (h) => (h === "retry-after" ? "1" : null) }, text: async () => "" });
    await sendSlack(new URL("https://hooks.slack.com/services/x"), payload, {
      fetch: fetch429,
      sleep: async (ms) => void waits.push(ms),
      log: () => undefined,
      random: () => 0,
    });
    expect(waits).toEqual([1000, 1000]);
  });
});
