// Extensions, pure: the /extend command, the extension request it proposes, what may be extended
// (the family of refusals), and the original's record once applied.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configFromObject } from "../src/domain/config.js";
import { extendedExpiry, extensionId, extensionProblems, extensionRequest, parseExtend, recordExtended } from "../src/domain/extension.js";
import { codesOf } from "../src/domain/problems.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const NOW = new Date("2026-11-27T12:00:00Z");
function config(extra: Record<string, unknown> = {}): Config {
  const r = configFromObject({ aws: { mode: "iam", region: "us-east-1", accounts: { prod: HOME } }, principals: { alice: { iam_user: "alice" } }, ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}
const active = (over: Partial<AccessRequest> = {}): AccessRequest =>
  testRequest({
    id: "7-reports",
    status: "active",
    grant: { approved_by: ["bob"], merge_commit: "d".repeat(40), granted_at: "2026-11-27T08:00:00Z", expires_at: "2026-11-27T16:00:00Z" },
    ...over,
  });
const cmd = (duration: string, seconds: number) => ({ duration, seconds, reason: "still running" });

describe("/extend", () => {
  it.each([
    ["/extend 2h the migration is still running", { duration: "2h", seconds: 7200, reason: "the migration is still running" }],
    ["/extend 1h30m   more time\nsecond line ignored", { duration: "1h30m", seconds: 5400, reason: "more time" }],
  ])("%j", (body, want) => {
    expect(parseExtend(body)).toEqual({ ok: true, value: want });
  });
  it.each(["/extend", "/extend 2h", "/extend 2h ok", "/extend two hours please", "/extend 5m too short", "/extend -2h negative"])(
    "%j is refused with github.extend-invalid",
    (body) => {
      const r = parseExtend(body);
      expect(r?.ok).toBe(false);
      expect(r && !r.ok && codesOf(r.problems)).toEqual(["github.extend-invalid"]);
    },
  );
  it.each(["/revoke", "please /extend 2h later", "/extended 2h x", ""])("%j is not an /extend", (body) => {
    expect(parseExtend(body)).toBeUndefined();
  });
});

describe("the extension request", () => {
  it("copies the original's access exactly and links it", () => {
    const ext = extensionRequest(active(), cmd("2h", 7200), 1);
    expect(ext).toMatchObject({ id: "7-reports-ext-1", extends: "7-reports", duration: "2h", reason: "still running", requester: "alice", account: "prod" });
    expect(ext.policy).toEqual(testPolicy());
    expect(ext.status).toBeUndefined();
    expect(ext.grant).toBeUndefined();
  });
  it("ids stay valid however long the original's", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_999_999_999 }), fc.stringMatching(/^[a-z0-9]+(-[a-z0-9]+)*$/), fc.integer({ min: 1, max: 99 }), (n, slug, k) => {
        const id = `${n}-${slug}`.slice(0, 64).replace(/-+$/, "");
        const ext = extensionId(id, k);
        expect(ext.length).toBeLessThanOrEqual(64);
        expect(ext).toMatch(/^[1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(ext.endsWith(`-ext-${k}`)).toBe(true);
        expect(ext.split("-")[0]).toBe(String(n));
      }),
    );
  });
});

describe("what may be extended (the family)", () => {
  const ext = (over: Partial<AccessRequest> = {}, seconds = 7200) => ({ ...extensionRequest(active(), cmd("2h", seconds), 1), ...over });
  it.each<[string, () => Parameters<typeof extensionProblems>[0], string[]]>([
    ["an active grant, within the cap", () => ({ original: active(), extension: ext(), config: config(), now: NOW, seconds: 7200 }), []],
    ["no original", () => ({ original: undefined, extension: ext(), config: config(), now: NOW, seconds: 7200 }), ["merge.extension-target-invalid"]],
    [
      "a revoked original",
      () => ({ original: active({ status: "revoked" }), extension: ext(), config: config(), now: NOW, seconds: 7200 }),
      ["record.not-active"],
    ],
    [
      "an expired original",
      () => ({ original: active({ status: "expired" }), extension: ext(), config: config(), now: NOW, seconds: 7200 }),
      ["record.not-active"],
    ],
    [
      "an active record past its end",
      () => ({ original: active(), extension: ext(), config: config(), now: new Date("2026-11-27T16:00:00Z"), seconds: 7200 }),
      ["record.not-active"],
    ],
    [
      "another requester",
      () => ({ original: active(), extension: ext({ requester: "mallory" }), config: config(), now: NOW, seconds: 7200 }),
      ["merge.extension-target-invalid"],
    ],
    [
      "another account",
      () => ({ original: active(), extension: ext({ account: "222222222222" }), config: config(), now: NOW, seconds: 7200 }),
      ["merge.extension-target-invalid"],
    ],
    [
      "a wider policy",
      () => ({ original: active(), extension: ext({ policy: testPolicy("other-bucket") }), config: config(), now: NOW, seconds: 7200 }),
      ["merge.extension-scope-changed"],
    ],
    [
      "other items",
      () => ({
        original: active(),
        extension: ext({ request: [{ service: "s3", access: ["write"], resources: ["financial-reports"] }] }),
        config: config(),
        now: NOW,
        seconds: 7200,
      }),
      ["merge.extension-scope-changed"],
    ],
    // 08:00 → 16:00 + 17h = 09:00 next day: 25h > max_duration 24h (the default cap).
    [
      "over the default cap (max_duration)",
      () => ({ original: active(), extension: ext({}, 17 * 3600), config: config(), now: NOW, seconds: 17 * 3600 }),
      ["merge.extension-too-long"],
    ],
    [
      "within a larger max_total_duration",
      () => ({ original: active(), extension: ext(), config: config({ max_total_duration: "3d" }), now: NOW, seconds: 17 * 3600 }),
      [],
    ],
    [
      "over a smaller max_total_duration",
      () => ({ original: active(), extension: ext(), config: config({ max_total_duration: "9h" }), now: NOW, seconds: 7200 }),
      ["merge.extension-too-long"],
    ],
  ])("%s", (_name, args, codes) => {
    expect(codesOf(extensionProblems(args()))).toEqual(codes);
  });

  it("the chain is never allowed past max_total_duration, whatever the steps", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 900, max: 12 * 3600 }), { maxLength: 8 }), fc.integer({ min: 1, max: 72 }), (steps, capH) => {
        const cfg = config({ max_total_duration: `${capH}h`, max_duration: "24h" });
        let original = active();
        for (const [i, seconds] of steps.entries()) {
          const extension = { ...extensionRequest(original, cmd(`${seconds}s`, seconds), i + 1) };
          if (extensionProblems({ original, extension, config: cfg, now: NOW, seconds }).length) continue;
          const to = extendedExpiry(original, seconds)!;
          const next = recordExtended(original, {
            id: extension.id,
            approved_by: ["bob"],
            merge_commit: "e".repeat(40),
            at: NOW.toISOString(),
            previous_expires_at: original.grant!.expires_at,
            expires_at: to,
          });
          expect(next.ok).toBe(true);
          if (next.ok) original = next.value;
        }
        const total = (Date.parse(original.grant!.expires_at) - Date.parse(original.grant!.granted_at)) / 1000;
        expect(total <= Math.max(capH * 3600, 8 * 3600)).toBe(true);
        expect(original.grant!.extensions?.length ?? 0).toBeLessThanOrEqual(steps.length);
      }),
    );
  });
});
