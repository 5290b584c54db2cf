// Identity Center, several accounts in one request: the names each later account's revoke schedule
// gets (never another request's), what revoke and reconcile accept as the request's, and the one
// permission set a later account's grant finds and never takes for its own to roll back.
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { ensurePermissionSet, provision, type IcContext } from "../src/aws/identity-center.js";
import { LIMITS, scheduleName } from "../src/aws/naming.js";
import { ownedTarget, scheduleNames } from "../src/aws/plan.js";
import { Journal } from "../src/aws/runtime.js";
import { idFromName, planSweep } from "../src/sweep/plan.js";
import type { ManagedResource } from "../src/aws/types.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { HOME, OTHER, seed, testConfig } from "./support/fake-aws/fixtures.js";

const ID = fc
  .tuple(fc.integer({ min: 1, max: 9_999_999_999 }), fc.array(fc.stringMatching(/^[a-z0-9]{1,12}$/), { minLength: 1, maxLength: 8 }))
  .map(([n, parts]) => `${n}-${parts.join("-")}`.slice(0, 64).replace(/-$/, ""));
const ACCOUNT = fc.stringMatching(/^[0-9]{12}$/);

describe("a later account's revoke schedule", () => {
  it("is jit-<id>.<account>, and the first account's stays jit-<id>", () => {
    expect(scheduleName("20-reports", "revoke")).toBe("jit-20-reports");
    expect(scheduleName("20-reports", "revoke", OTHER)).toBe(`jit-20-reports.${OTHER}`);
    expect(scheduleNames("20-reports", "identity-center", [OTHER])).toEqual(["jit-20-reports", `jit-20-reports.${OTHER}`]);
    expect(scheduleNames("20-reports", "iam", [OTHER])).toEqual(["jit-20-reports", "jit-20-reports-delete"]);
  });

  it("property: never another request's name, within Scheduler's limit, and read back to its id", () => {
    fc.assert(
      fc.property(ID, ID, ACCOUNT, (a, b, account) => {
        const name = scheduleName(a, "revoke", account);
        expect(name.length).toBeLessThanOrEqual(LIMITS.scheduleName);
        if (a !== b) expect([scheduleName(b, "revoke"), scheduleName(b, "delete-policy")]).not.toContain(name);
        if (name.length < LIMITS.scheduleName) expect(idFromName(name, "schedule")).toBe(a);
      }),
      { numRuns: 500 },
    );
  });

  it("revoke accepts each configured account's name of the request, and no other request's", () => {
    const config = testConfig("identity-center");
    const target = (schedules: string[]) => ({ requestId: "20-reports", mode: "identity-center" as const, accountId: HOME, schedules });
    expect(ownedTarget(config, target(["jit-20-reports", `jit-20-reports.${OTHER}`]), HOME)).toMatchObject({ ok: true });
    expect(ownedTarget(config, target([`jit-20-reports.999999999999`]), HOME)).toMatchObject({ ok: false, problems: [{ code: "aws.not-owned" }] });
    expect(ownedTarget(config, target([`jit-21-reports.${OTHER}`]), HOME)).toMatchObject({ ok: false, problems: [{ code: "aws.not-owned" }] });
    // Without a record's names: the first account's and this account's.
    const derived = ownedTarget(config, { requestId: "20-reports", mode: "identity-center", accountId: OTHER }, OTHER);
    expect(derived.ok && derived.value.schedules).toEqual(["jit-20-reports", `jit-20-reports.${OTHER}`]);
  });

  it("reconcile takes a later account's schedule for the request's, even when its name was shortened", () => {
    const long = `20-${"x".repeat(50)}`;
    const schedule = (id: string, name: string): ManagedResource => ({
      kind: "schedule",
      arn: `arn:aws:scheduler:us-east-1:${HOME}:schedule/jit-access/${name}`,
      name,
      accountIds: [],
      requestId: id,
      expiresAt: "2026-11-27T10:00:00Z",
    });
    const managed = [schedule("20-reports", scheduleName("20-reports", "revoke", OTHER)), schedule(long, scheduleName(long, "revoke", OTHER))];
    const plan = planSweep([], managed, new Date("2026-11-27T09:00:00Z"), { mode: "identity-center", fallbackAccountId: HOME, accountIds: [HOME, OTHER] });
    expect(plan.unattributed).toEqual([]);
    expect(plan.drift?.map((d) => [d.requestId, d.target.schedules])).toEqual([
      ["20-reports", [`jit-20-reports.${OTHER}`]],
      [long, [scheduleName(long, "revoke", OTHER)]],
    ]);
  });
});

describe("a later account's grant finds the request's permission set", () => {
  const fake = createFakeAws();
  afterAll(() => fake.restore());
  beforeEach(() => {
    fake.reset();
    seed(fake);
  });
  const ctx = (): IcContext => ({
    sso: fake.clients.ssoAdmin,
    instanceArn: "arn:aws:sso:::instance/ssoins-1111111111111111",
    sleep: async () => undefined,
    poll: { initialMs: 1, maxMs: 1, attempts: 10 },
    conflict: { initialMs: 1, maxMs: 1, attempts: 3 },
  });
  const args = {
    requestId: "20-reports",
    document: '{"Version":"2012-10-17","Statement":[]}',
    sessionDuration: "PT2H",
    tags: [{ Key: "jit-access:request", Value: "20-reports" }],
  };

  it.each([
    ["among the accounts granted before it", [HOME]],
    ["by name, when it is provisioned to an account it was not told of", []],
  ])("%s: it is the earlier grant's (existed), never this grant's to roll back", async (_name, alsoIn) => {
    const first = await ensurePermissionSet(ctx(), new Journal(), { ...args, accountId: HOME });
    await provision(ctx(), first.arn, HOME);
    const journal = new Journal();
    const later = await ensurePermissionSet(ctx(), journal, { ...args, accountId: OTHER, alsoIn });
    expect(later).toEqual({ arn: first.arn, existed: true });
    expect(journal.entries.map((e) => e.outcome)).toEqual(["existed"]);
  });

  it("a leftover provisioned nowhere stays the grant's to roll back (unknown)", async () => {
    await ensurePermissionSet(ctx(), new Journal(), { ...args, accountId: HOME });
    const journal = new Journal();
    await ensurePermissionSet(ctx(), journal, { ...args, accountId: OTHER });
    expect(journal.entries.map((e) => e.outcome)).toEqual(["unknown"]);
  });
});
