// The AWS adapter's pure decisions: names, times, schedule inputs, rollback planning, records.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultClientSettings } from "../src/aws/clients.js";
import { createGrants } from "../src/aws/grants.js";
import * as plan from "../src/aws/plan.js";
import { iamPolicyArn, iamPolicyName, LIMITS, permissionSetName, roleSessionName, scheduleName, shorten, grantTags, accountOfArn } from "../src/aws/naming.js";
import {
  atExpression,
  buildSchedules,
  planRollback,
  ownedTarget,
  policySizeProblem,
  resolveTarget,
  revokeTargetOf,
  sameJson,
  schedulePlacement,
  scheduleNames,
  sessionDuration,
  storedAws,
  type JournalEntry,
} from "../src/aws/plan.js";
import { KeyedMutex, pollUntil, retryOn } from "../src/aws/runtime.js";
import { describeStep, leftOverNote } from "../src/aws/rollback.js";
import { codesOf } from "../src/domain/problems.js";
import { HOME, OTHER, SCHEDULER_ROLE, testConfig, testRequest } from "./support/fake-aws/fixtures.js";

const T0 = Date.parse("2026-11-27T08:00:00Z");
const H = 3_600_000;
const ID = fc
  .tuple(fc.integer({ min: 1, max: 9_999_999_999 }), fc.array(fc.stringMatching(/^[a-z0-9]{1,12}$/), { minLength: 1, maxLength: 8 }))
  .map(([n, parts]) => `${n}-${parts.join("-")}`.slice(0, 64).replace(/-$/, ""));

describe("names", () => {
  it("keep short ids readable and shorten long ones deterministically within AWS's limits", () => {
    expect(iamPolicyName("142-financial-reports")).toBe("jit-142-financial-reports");
    expect(permissionSetName("142-financial-reports")).toBe("jit-142-financial-reports");
    expect(scheduleName("142-financial-reports", "delete-policy")).toBe("jit-142-financial-reports-delete");
    expect(roleSessionName("142-x")).toBe("jit-access-142-x");
    const long = "1234567890-" + "abcdefghij-".repeat(5) + "z";
    expect(permissionSetName(long)).toHaveLength(32);
    expect(permissionSetName(long)).toBe(permissionSetName(long));
    expect(permissionSetName(long)).not.toBe(permissionSetName(long + "y"));
  });

  it("always fit, match the services' name patterns, and never collide for distinct ids (property)", () => {
    fc.assert(
      fc.property(ID, ID, (a, b) => {
        for (const [name, max, pattern] of [
          [iamPolicyName(a), LIMITS.iamPolicyName, /^[\w+=,.@-]+$/],
          [permissionSetName(a), LIMITS.permissionSetName, /^[\w+=,.@-]+$/],
          [scheduleName(a, "revoke"), LIMITS.scheduleName, /^[0-9a-zA-Z\-_.]+$/],
          [scheduleName(a, "delete-policy"), LIMITS.scheduleName, /^[0-9a-zA-Z\-_.]+$/],
          [roleSessionName(a), LIMITS.roleSessionName, /^[\w+=,.@-]+$/],
        ] as const) {
          expect(name.length).toBeLessThanOrEqual(max);
          expect(name).toMatch(pattern);
        }
        if (a !== b) expect(permissionSetName(a)).not.toBe(permissionSetName(b));
        expect(scheduleName(a, "revoke")).not.toBe(scheduleName(a, "delete-policy"));
      }),
      { numRuns: 200 },
    );
    expect(() => shorten("x".repeat(20), 5)).toThrow();
  });

  it("tags carry the request, the expiry and a PR URL (dropped when IAM would reject it)", () => {
    expect(grantTags("1-a", "2026-11-27T16:00:00Z", "https://github.com/o/r/pull/1")).toEqual([
      { Key: "jit-access:request", Value: "1-a" },
      { Key: "jit-access:expires-at", Value: "2026-11-27T16:00:00Z" },
      { Key: "jit-access:pr", Value: "https://github.com/o/r/pull/1" },
    ]);
    expect(grantTags("1-a", "2026-11-27T16:00:00Z", "https://x/?q=<script>")).toHaveLength(2);
    expect(accountOfArn(SCHEDULER_ROLE)).toBe(HOME);
    expect(accountOfArn("arn:aws:sso:::instance/ssoins-1")).toBeUndefined();
  });
});

describe("times", () => {
  it("session duration: the remaining TTL in whole minutes, at least 1h, at most 12h", () => {
    expect(sessionDuration(T0, T0 + 8 * H)).toBe("PT8H");
    expect(sessionDuration(T0, T0 + 15 * 60_000)).toBe("PT1H");
    expect(sessionDuration(T0, T0 + 30 * H)).toBe("PT12H");
    expect(sessionDuration(T0, T0 + 2 * H + 45 * 60_000 + 59_000)).toBe("PT2H45M");
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 48 * 3600 }), (s) => {
        const d = sessionDuration(T0, T0 + s * 1000);
        const m = /^PT(\d+)H(?:(\d+)M)?$/.exec(d)!;
        const ms = Number(m[1]) * H + Number(m[2] ?? 0) * 60_000;
        expect(ms).toBeGreaterThanOrEqual(H);
        expect(ms).toBeLessThanOrEqual(12 * H);
        if (s * 1000 >= H) expect(ms).toBeLessThanOrEqual(s * 1000);
      }),
    );
  });

  it("at() is UTC without zone or fraction, rounded down", () => {
    expect(atExpression("2026-11-27T16:00:00Z")).toBe("at(2026-11-27T16:00:00)");
    expect(atExpression("2026-11-27T16:00:00.999Z")).toBe("at(2026-11-27T16:00:00)");
    expect(atExpression("2026-11-27T18:00:00+02:00")).toBe("at(2026-11-27T16:00:00)");
    expect(() => atExpression("tomorrow")).toThrow();
  });
});

describe("schedules", () => {
  it("iam user: detachUserPolicy at expiry, then deletePolicy ten minutes later", () => {
    const [detach, del] = buildSchedules({
      partition: "aws",
      requestId: "1-a",
      expiresAt: "2026-11-27T16:00:00Z",
      roleArn: SCHEDULER_ROLE,
      action: { kind: "iam-detach", principal: { kind: "iam_user", name: "alice" }, policyArn: "arn:aws:iam::111111111111:policy/jit-access/jit-1-a" },
    });
    expect(detach?.Target).toEqual({
      Arn: "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy",
      RoleArn: SCHEDULER_ROLE,
      Input: '{"UserName":"alice","PolicyArn":"arn:aws:iam::111111111111:policy/jit-access/jit-1-a"}',
    });
    expect(del?.ScheduleExpression).toBe("at(2026-11-27T16:10:00)");
    expect(del?.Target.Arn).toBe("arn:aws:scheduler:::aws-sdk:iam:deletePolicy");
    for (const s of [detach, del])
      expect(s).toMatchObject({
        GroupName: "jit-access",
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
      });
  });

  it("other partitions get their own universal target ARNs", () => {
    const [s] = buildSchedules({
      partition: "aws-us-gov",
      requestId: "1-a",
      expiresAt: "2026-11-27T16:00:00Z",
      roleArn: "arn:aws-us-gov:iam::111111111111:role/s",
      action: { kind: "iam-detach", principal: { kind: "iam_role", name: "r" }, policyArn: "p" },
    });
    expect(s?.Target.Arn).toBe("arn:aws-us-gov:scheduler:::aws-sdk:iam:detachRolePolicy");
  });

  it("placement: needs a scheduler role, in iam mode in the account it acts on", () => {
    const config = testConfig("iam");
    expect(schedulePlacement(config, "iam", HOME)).toEqual({ ok: true, roleArn: SCHEDULER_ROLE });
    expect(schedulePlacement(config, "iam", OTHER)).toMatchObject({ ok: false });
    expect(schedulePlacement(config, "identity-center", OTHER)).toEqual({ ok: true, roleArn: SCHEDULER_ROLE });
    delete config.aws.scheduler_role_arn;
    expect(schedulePlacement(config, "iam", HOME)).toMatchObject({ ok: false, note: expect.stringContaining("not configured") });
  });
});

describe("rollback planning", () => {
  it("undoes what this call created or may have created, newest first, and never what existed before", () => {
    const journal: JournalEntry[] = [
      { step: { kind: "iam-policy", arn: "p" }, outcome: "existed" },
      { step: { kind: "schedule", name: "s1" }, outcome: "created" },
      { step: { kind: "schedule", name: "s2" }, outcome: "none" },
      { step: { kind: "iam-attachment", policyArn: "p", principal: { kind: "iam_user", name: "alice" } }, outcome: "unknown" },
    ];
    expect(planRollback(journal)).toEqual([journal[3]!.step, journal[1]!.step]);
    expect(planRollback([])).toEqual([]);
  });
});

describe("policy documents", () => {
  it("size: IAM counts 6,144 characters without whitespace; Identity Center 10,240", () => {
    const doc = (n: number) => JSON.stringify({ a: "x".repeat(n - 8) });
    expect(doc(6144).length).toBe(6144);
    expect(policySizeProblem(doc(6144), "iam")).toBeUndefined();
    expect(policySizeProblem(doc(6145), "iam")).toMatch(/6145 characters without whitespace; IAM allows 6144/);
    expect(policySizeProblem(`${doc(6144)}${" ".repeat(100)}`, "iam")).toBeUndefined();
    expect(policySizeProblem(doc(10_240), "identity-center")).toBeUndefined();
    expect(policySizeProblem(doc(10_241), "identity-center")).toMatch(/allows 10240/);
  });

  it("sameJson ignores key order and whitespace, not values or array order", () => {
    expect(sameJson('{"a":1,"b":[1,2]}', '{ "b": [1, 2], "a": 1 }')).toBe(true);
    expect(sameJson('{"a":1}', '{"a":2}')).toBe(false);
    expect(sameJson('{"b":[1,2]}', '{"b":[2,1]}')).toBe(false);
    expect(sameJson("not json", "not json")).toBe(false);
  });
});

describe("records", () => {
  it("storedAws → revokeTargetOf round-trips what revoke needs", () => {
    const result = {
      mode: "iam" as const,
      requestId: "1-a",
      accountId: HOME,
      resources: ["arn:aws:iam::111111111111:policy/jit-access/jit-1-a"],
      schedules: ["jit-1-a", "jit-1-a-delete"],
      principal: { kind: "iam_user" as const, name: "alice" },
      grantedAt: "2026-11-27T08:00:00.000Z",
      expiresAt: "2026-11-27T16:00:00Z",
      changed: true,
    };
    const stored = storedAws(result);
    expect(revokeTargetOf("1-a", stored, "iam")).toEqual({
      requestId: "1-a",
      mode: "iam",
      accountId: HOME,
      resources: result.resources,
      schedules: result.schedules,
    });
    const unscheduled = storedAws({ ...result, schedules: [], scheduleNote: "not scheduled: because" });
    expect(unscheduled.schedule).toBe("not scheduled: because");
    expect(revokeTargetOf("1-a", unscheduled, "iam").schedules).toBeUndefined();
    expect(() => revokeTargetOf("1-a", {}, "iam")).toThrow(/account_id is missing/);
  });

  it("resolveTarget: the principal comes from config and must suit the mode", () => {
    expect(resolveTarget(testConfig("iam"), testRequest())).toMatchObject({
      ok: true,
      value: { account: { id: HOME }, principal: { kind: "iam_user", name: "alice" } },
    });
    for (const [config, request] of [
      [testConfig("iam"), testRequest({ account: "nope" })],
      [testConfig("iam"), testRequest({ requester: "nobody" })],
    ] as const) {
      const r = resolveTarget(config, request);
      expect(r.ok ? [] : codesOf(r.problems)).toEqual(["aws.target-unresolved"]);
    }
    expect(resolveTarget(testConfig("identity-center"), testRequest())).toMatchObject({
      ok: true,
      value: { principal: { kind: "sso_user", name: "alice@example.com" } },
    });
  });
});

describe("grant.aws written by one module, trusted by another", () => {
  const id = fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.stringMatching(/^[a-z0-9]{1,20}(-[a-z0-9]{1,8}){0,3}$/)).map(([n, slug]) => `${n}-${slug}`);
  const resultOf = (requestId: string, scheduled: boolean) => ({
    mode: "iam" as const,
    requestId,
    accountId: HOME,
    resources: [iamPolicyArn("aws", HOME, requestId)],
    schedules: scheduled ? scheduleNames(requestId, "iam") : [],
    ...(scheduled ? {} : { scheduleNote: "not scheduled: aws.scheduler_role_arn is not configured" }),
    principal: { kind: "iam_user" as const, name: "alice" },
    grantedAt: "2026-11-27T08:00:00.000Z",
    expiresAt: "2026-11-27T16:00:00Z",
    changed: true,
  });

  it("property: what storedAws records of a grant, ownedTarget lets that request's revoke remove — and no other request's", () => {
    const config = testConfig("iam");
    fc.assert(
      fc.property(id, id, fc.boolean(), (a, b, scheduled) => {
        const stored = storedAws(resultOf(a, scheduled));
        const own = ownedTarget(config, revokeTargetOf(a, stored, "iam"), HOME);
        expect(own).toEqual({ ok: true, value: { policyArn: iamPolicyArn("aws", HOME, a), schedules: scheduleNames(a, "iam"), bundles: [] } });
        if (iamPolicyName(a) !== iamPolicyName(b)) {
          const other = ownedTarget(config, revokeTargetOf(b, stored, "iam"), HOME);
          expect(other.ok ? [] : codesOf(other.problems)).toEqual(["aws.not-owned"]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("module layout", () => {
  const CONCERNS = ["target", "expiry", "schedules", "limits", "policy-text", "ownership", "rollback", "stored"];

  it("plan.ts gathers every export of the concern modules, and nothing else (a name two modules export would vanish from it)", async () => {
    const barrel = readFileSync(new URL("../src/aws/plan.ts", import.meta.url), "utf8");
    expect([...barrel.matchAll(/^export \* from "\.\/([a-z-]+)\.js";$/gm)].map((x) => x[1])).toEqual(CONCERNS);
    const modules = await Promise.all(CONCERNS.map((m) => import(`../src/aws/${m}.ts`) as Promise<Record<string, unknown>>));
    const union = modules.flatMap((m) => Object.keys(m)).sort();
    expect(new Set(union).size).toBe(union.length);
    expect(Object.keys(plan).sort()).toEqual(union);
  });

  it.each(CONCERNS)("src/aws/%s.ts is a pure decision: no node: I/O, no AWS SDK, no adapter", (m) => {
    const text = readFileSync(new URL(`../src/aws/${m}.ts`, import.meta.url), "utf8");
    const specifiers = [...text.matchAll(/^import\b[^;]*?from\s+"([^"]+)"/gms)].map((x) => x[1] as string);
    expect(specifiers.length, "every import line was read").toBe(text.match(/^import\b/gm)?.length ?? 0);
    const adapters = ["./iam.js", "./identity-center.js", "./scheduler.js", "./grants.js", "./clients.js", "./runtime.js", "./index.js", "./plan.js"];
    expect(specifiers.filter((x) => x.startsWith("node:") || x.startsWith("@aws-sdk/") || adapters.includes(x))).toEqual([]);
  });
});

describe("runtime", () => {
  it("KeyedMutex runs tasks of one key one at a time, other keys concurrently", async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (key: string, name: string) =>
      mutex.run(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`end ${name}`);
      });
    await Promise.all([task("a", "a1"), task("a", "a2"), task("b", "b1")]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    await expect(mutex.run("a", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(mutex.run("a", async () => 1)).resolves.toBe(1);
  });

  it("retryOn retries only the named errors, with growing delays, boundedly", async () => {
    const delays: number[] = [];
    const sleep = async (ms: number) => void delays.push(ms);
    let n = 0;
    const conflict = Object.assign(new Error("busy"), { name: "ConflictException" });
    // Full jitter: half of each ceiling (10, 20) with random() = 0.5; see test/backoff.test.ts.
    await expect(
      retryOn(
        ["ConflictException"],
        { initialMs: 10, maxMs: 25, attempts: 4 },
        sleep,
        async () => (++n < 3 ? Promise.reject(conflict) : n),
        () => 0.5,
      ),
    ).resolves.toBe(3);
    expect(delays).toEqual([5, 10]);
    await expect(retryOn(["ConflictException"], { initialMs: 1, maxMs: 1, attempts: 2 }, sleep, async () => Promise.reject(conflict))).rejects.toThrow("busy");
    await expect(
      retryOn(["ConflictException"], { initialMs: 1, maxMs: 1, attempts: 5 }, sleep, async () => Promise.reject(new Error("other"))),
    ).rejects.toThrow("other");
  });

  it("pollUntil gives up with a message that says to rerun", async () => {
    await expect(
      pollUntil(
        "thing",
        { initialMs: 1, maxMs: 1, attempts: 3 },
        async () => undefined,
        async () => ({ done: false }),
      ),
    ).rejects.toThrow(/thing did not finish after 3 status checks.*rerun/);
  });

  it("clients made by createGrants use the SDK's adaptive retry with bounded attempts", async () => {
    expect(defaultClientSettings("eu-west-1")).toEqual({ region: "eu-west-1", retryMode: "adaptive", maxAttempts: 6 });
    const { lazyClients } = await import("../src/aws/clients.js");
    const clients = lazyClients(defaultClientSettings("eu-west-1"));
    const strategy = (await clients.iam.config.retryStrategy()) as { mode: string };
    expect(strategy.mode).toBe("adaptive");
    expect(await clients.scheduler.config.maxAttempts()).toBe(6);
    expect(typeof createGrants(testConfig("iam")).grant).toBe("function");
  });
});

describe("a failed grant's rollback note", () => {
  const step = fc.oneof(
    fc.constant({ kind: "iam-policy" as const, arn: "arn:aws:iam::111111111111:policy/jit-access/jit-1-a" }),
    fc.constant({
      kind: "iam-attachment" as const,
      policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
      principal: { kind: "iam_user" as const, name: "alice" },
    }),
    fc.constant({ kind: "schedule" as const, name: "jit-1-a" }),
    fc.constant({ kind: "permission-set" as const, name: "jit-1-a", arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1" }),
    fc.constant({ kind: "assignment" as const, permissionSetArn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1", accountId: "222222222222", principalId: "u-1" }),
  );
  it("names every step left, says access is left exactly when an attachment or assignment is, and what ends it", () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 5 }), fc.constantFrom("policy" as const, "schedule" as const), (left, endedBy) => {
        const note = leftOverNote(left, "2026-12-02T10:00:00Z", endedBy);
        if (!left.length) {
          expect(note).toBe("; rolled back, nothing is attached");
          return;
        }
        for (const s of left) expect(note).toContain(describeStep(s));
        const access = left.some((s) => s.kind === "iam-attachment" || s.kind === "assignment");
        expect(note.includes("it gives no access")).toBe(!access);
        expect(note.includes("2026-12-02T10:00:00Z")).toBe(access);
        if (access) expect(note).toContain(endedBy === "policy" ? "its policy still expires" : "its schedule still removes it");
      }),
    );
  });
});
