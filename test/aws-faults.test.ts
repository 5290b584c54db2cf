// Every injected fault at every step of a grant or a revoke: the grant either completes (the
// SDK's retry gets through) or rolls back with nothing attached and nothing left; a revoke that
// fails can be rerun to completion.

import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { Grants, GrantResult } from "../src/aws/types.js";
import { createFakeAws, type FakeAws, type FaultKind } from "./support/fake-aws/index.js";
import { EXPIRES, fakeGrants, HOME, OTHER, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());

type Scenario = "iam-user" | "iam-role" | "iam-cross" | "identity-center";
const SCENARIOS: Scenario[] = ["iam-user", "iam-role", "iam-cross", "identity-center"];
const KINDS: FaultKind[] = ["throttle", "server-error", "lost-response", "crash", "crash-after", "conflict"];

function setUp(scenario: Scenario): { grants: Grants; grant: () => Promise<GrantResult> } {
  fake.reset();
  seed(fake);
  const cross = scenario === "iam-cross";
  const config = testConfig(
    scenario === "identity-center" ? "identity-center" : "iam",
    cross ? { aws: { scheduler_role_arn: `arn:aws:iam::${OTHER}:role/s` } } : {},
  );
  const grants = fakeGrants(fake, config);
  const request = testRequest({ requester: scenario === "iam-role" ? "bob" : "alice", account: cross ? "other" : "prod" });
  return { grants, grant: () => grants.grant(request, testPolicy(), EXPIRES) };
}

/** Where the grant put access: attachments of our policies and Identity Center assignments. */
function access(f: FakeAws): string[] {
  const out: string[] = [];
  for (const [id, a] of f.state.accounts) {
    for (const map of [a.iam.users, a.iam.roles]) for (const e of map.values()) for (const p of e.attached) out.push(`${id}:${e.name}:${p}`);
  }
  for (const a of f.state.sso.assignments.values()) out.push(`sso:${a.principalId}:${a.permissionSetArn}`);
  return out;
}

/** Number of calls a clean grant makes, per scenario: the steps a fault can hit. */
const steps = new Map<Scenario, { grant: number; revoke: number }>();
async function stepsOf(scenario: Scenario): Promise<{ grant: number; revoke: number }> {
  const known = steps.get(scenario);
  if (known) return known;
  const { grants, grant } = setUp(scenario);
  const result = await grant();
  const grantCalls = fake.calls.length;
  await grants.revoke(result);
  const counted = { grant: grantCalls, revoke: fake.calls.length - grantCalls };
  steps.set(scenario, counted);
  return counted;
}

/** Retryable faults (fired once) must not fail a grant; non-retryable ones must roll it back. */
const EXPECTED: Partial<Record<FaultKind, "completed" | "rolled-back">> = {
  throttle: "completed",
  "server-error": "completed",
  "lost-response": "completed",
  crash: "rolled-back",
  "crash-after": "rolled-back",
};

async function grantWithFault(scenario: Scenario, kind: FaultKind, atCall: number): Promise<void> {
  const { grants, grant } = setUp(scenario);
  const before = fake.snapshot();
  fake.faults.add({ kind, atCall });
  let result: GrantResult | undefined;
  try {
    result = await grant();
  } catch (error) {
    expect(String(error)).not.toMatch(/rollback left/);
  }
  fake.faults.clear();
  fake.settle(); // whatever AWS was still doing finishes
  const expected = EXPECTED[kind];
  if (expected) expect({ scenario, kind, atCall, outcome: result ? "completed" : "rolled-back" }).toEqual({ scenario, kind, atCall, outcome: expected });
  if (result) {
    // Completed: access is in place together with its scheduled revocation.
    expect(access(fake)).toHaveLength(1);
    const schedules = [...fake.state.accounts.values()].reduce((n, a) => n + a.scheduler.schedules.size, 0);
    expect(schedules).toBe(scenario === "identity-center" ? 1 : 2);
    await grants.revoke(result);
  }
  // Either way, after the grant's rollback (or its revoke) nothing is attached and nothing is left.
  expect(access(fake)).toEqual([]);
  expect(fake.snapshot()).toEqual(before);
}

async function revokeWithFault(scenario: Scenario, kind: FaultKind, atCall: number): Promise<void> {
  const { grants, grant } = setUp(scenario);
  const before = fake.snapshot();
  const result = await grant();
  fake.resetLogs();
  fake.faults.add({ kind, atCall });
  await grants.revoke(result).catch(() => undefined);
  fake.faults.clear();
  fake.settle();
  // Rerunning completes it, whatever the first attempt managed.
  await grants.revoke(result);
  expect(access(fake)).toEqual([]);
  expect(fake.snapshot()).toEqual(before);
  expect((await grants.revoke(result)).alreadyGone).toBe(true);
}

describe("faults", () => {
  it("a fault at any step of a grant: completes on retry, or rolls back to exactly where it started (property)", async () => {
    for (const s of SCENARIOS) await stepsOf(s);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SCENARIOS), fc.constantFrom(...KINDS), fc.nat(), async (scenario, kind, k) => {
        const n = steps.get(scenario)!.grant;
        await grantWithFault(scenario, kind, 1 + (k % n));
      }),
      { numRuns: 100 },
    );
  });

  it("every kind of fault at every single step of a grant, in every scenario (exhaustive)", async () => {
    for (const scenario of SCENARIOS) {
      const n = (await stepsOf(scenario)).grant;
      for (let k = 1; k <= n; k++) for (const kind of KINDS) await grantWithFault(scenario, kind, k);
    }
  });

  it("every kind of fault at every single step of a revoke, in every scenario (exhaustive)", async () => {
    for (const scenario of SCENARIOS) {
      const n = (await stepsOf(scenario)).revoke;
      for (let k = 1; k <= n; k++) for (const kind of KINDS) await revokeWithFault(scenario, kind, k);
    }
  });

  it("a fault at any step of a revoke: a rerun completes it (property)", async () => {
    for (const s of SCENARIOS) await stepsOf(s);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...SCENARIOS), fc.constantFrom(...KINDS), fc.nat(), async (scenario, kind, k) => {
        const n = steps.get(scenario)!.revoke;
        await revokeWithFault(scenario, kind, 1 + (k % n));
      }),
      { numRuns: 100 },
    );
  });

  it("a repeated grant that fails at any step never takes away the grant already in place", async () => {
    for (const scenario of ["iam-user", "identity-center"] as const) {
      const n = (await stepsOf(scenario)).grant;
      for (let k = 1; k <= n; k++) {
        const { grant } = setUp(scenario);
        await grant();
        const granted = fake.snapshot();
        fake.resetLogs();
        fake.faults.add({ kind: "crash", atCall: k });
        await grant().catch(() => undefined);
        fake.faults.clear();
        fake.settle();
        expect(fake.snapshot(), `${scenario}, crash at call ${k} (${fake.calls[k - 1]?.op})`).toEqual(granted);
      }
    }
  });

  it("throttling is retried by the SDK (adaptive retry in production) without the caller noticing", async () => {
    const { grant } = setUp("iam-user");
    fake.faults.add({ kind: "throttle", service: "iam", op: "AttachUserPolicy", times: 2 });
    await grant();
    const attaches = fake.calls.filter((c) => c.op === "AttachUserPolicy");
    expect(attaches.map((c) => c.fault)).toEqual(["throttle", "throttle", undefined]);
    expect(access(fake)).toEqual([`${HOME}:alice:arn:aws:iam::${HOME}:policy/jit-access/jit-142-financial-reports`]);
  });

  it("gives up after the bounded number of attempts and rolls back", async () => {
    const { grant } = setUp("iam-user");
    const before = fake.snapshot();
    fake.faults.add({ kind: "throttle", service: "iam", op: "AttachUserPolicy", times: 100 });
    await expect(grant()).rejects.toThrow(/Throttling: Rate exceeded; rolled back, nothing is attached/);
    expect(fake.calls.filter((c) => c.op === "AttachUserPolicy")).toHaveLength(4);
    expect(fake.snapshot()).toEqual(before);
  });

  it("latency does not change the outcome", async () => {
    const { grant } = setUp("identity-center");
    fake.faults.add({ kind: "latency", service: "sso", op: "CreateAccountAssignment", latencyMs: 20 });
    await grant();
    expect(access(fake)).toHaveLength(1);
  });
});
