import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CreatePermissionSetCommand } from "@aws-sdk/client-sso-admin";
import { GrantError } from "../src/aws/grants.js";
import { revokeTargetOf, storedAws } from "../src/aws/plan.js";
import { expiryOf } from "../src/policy/stamp.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { EXPIRES, fakeGrants, HOME, OTHER, SCHEDULER_ROLE, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());

const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
let aliceId = "";

beforeEach(() => {
  fake.reset();
  seed(fake);
  aliceId = fake.state.sso.users.get("alice@example.com")!;
});

describe("identity-center mode", () => {
  it("creates a tagged permission set with the stamped policy inline, provisions and assigns it; revoke leaves everything as it was", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const result = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES, { prUrl: "https://github.com/acme/access/pull/142" });

    expect(result).toMatchObject({
      mode: "identity-center",
      accountId: OTHER,
      principal: { kind: "sso_user", name: "alice@example.com", id: aliceId },
      schedules: ["jit-142-financial-reports"],
      instanceArn: INSTANCE,
      changed: true,
    });
    const ps = fake.state.sso.permissionSets.get(result.resources[0]!)!;
    expect(ps.name).toBe("jit-142-financial-reports");
    expect(ps.sessionDuration).toBe("PT8H");
    expect(expiryOf(JSON.parse(ps.inlinePolicy))).toBe(EXPIRES);
    expect(ps.tags.map((t) => t.Key)).toEqual(["jit-access:request", "jit-access:expires-at", "jit-access:pr"]);
    expect([...ps.provisionedTo]).toEqual([OTHER]);
    expect([...fake.state.sso.assignments.values()]).toEqual([{ accountId: OTHER, permissionSetArn: ps.arn, principalType: "USER", principalId: aliceId }]);
    // Identity Center is administered with the app's own credentials: no role is assumed.
    expect(fake.assumeRoleCalls).toEqual([]);
    // Every asynchronous operation was polled to completion.
    expect([...fake.sso.ops.values()].map((o) => o.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);

    const revoked = await grants.revoke(result);
    expect(revoked.removed).toEqual([`assignment:${OTHER}/${aliceId}`, ps.arn, "schedule:jit-142-financial-reports"]);
    expect(fake.snapshot()).toEqual(before);
  });

  it("schedules deleteAccountAssignment with the API's own parameter names", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const result = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const create = fake.calls.filter((c) => c.op === "CreateSchedule").map((c) => c.input);
    expect(create).toEqual([
      {
        Name: "jit-142-financial-reports",
        GroupName: "jit-access",
        ScheduleExpression: "at(2026-11-27T16:00:00)",
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
        State: "ENABLED",
        Description: "jit-access 142-financial-reports: delete its account assignment at expiry",
        Target: {
          Arn: "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment",
          RoleArn: SCHEDULER_ROLE,
          Input: JSON.stringify({
            InstanceArn: INSTANCE,
            TargetId: OTHER,
            TargetType: "AWS_ACCOUNT",
            PermissionSetArn: result.resources[0],
            PrincipalType: "USER",
            PrincipalId: aliceId,
          }),
        },
      },
    ]);
    // The schedule lives with Identity Center (the app's account) and, fired, removes the assignment.
    const fired = fake.fireDueSchedules(new Date(EXPIRES));
    expect(fired.map((f) => [f.account, f.error])).toEqual([[HOME, undefined]]);
    expect(fake.state.sso.assignments.size).toBe(0);
  });

  it("sets the session duration to the remaining TTL, within 1h..12h", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    await grants.grant(testRequest({ id: "1-short" }), testPolicy(), "2026-11-27T08:30:00Z");
    await grants.grant(testRequest({ id: "2-long" }), testPolicy(), "2026-11-28T08:00:00Z");
    await grants.grant(testRequest({ id: "3-mixed" }), testPolicy(), "2026-11-27T10:45:30Z");
    const durations = Object.fromEntries([...fake.state.sso.permissionSets.values()].map((p) => [p.name, p.sessionDuration]));
    expect(durations).toEqual({ "jit-1-short": "PT1H", "jit-2-long": "PT12H", "jit-3-mixed": "PT2H45M" });
  });

  it("shortens a long id to a 32-character permission set name, deterministically", async () => {
    const id = "1234-a-very-long-request-slug-that-does-not-fit";
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const result = await grants.grant(testRequest({ id }), testPolicy(), EXPIRES);
    const name = fake.state.sso.permissionSets.get(result.resources[0]!)!.name;
    expect(name).toHaveLength(32);
    expect(name).toMatch(/^jit-1234-a-very-long-re-[0-9a-f]{8}$/);
    await grants.revoke({ requestId: id, mode: "identity-center", accountId: HOME });
    expect(fake.state.sso.permissionSets.size).toBe(0);
  });

  it("a second grant is a no-op and a second revoke too; revoke from the stored record works", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const before = fake.snapshot();
    const first = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const afterFirst = fake.snapshot();
    const mark = fake.calls.length;
    const second = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    expect({ ...second, changed: true }).toEqual(first);
    expect(second.changed).toBe(false);
    expect(fake.snapshot()).toEqual(afterFirst);
    expect(fake.calls.slice(mark).filter((c) => /^(CreateAccountAssignment|Delete|Put)/.test(c.op))).toEqual([]);

    await grants.revoke(revokeTargetOf(first.requestId, storedAws(first), "identity-center"));
    expect(fake.snapshot()).toEqual(before);
    expect(await grants.revoke(first)).toEqual({ requestId: first.requestId, removed: [], alreadyGone: true });
  });

  // Identity Center answers a second permission set of a name with ConflictException (what real
  // AWS does; moto creates a duplicate), so the create says whether one exists: the permission sets
  // other grants hold in the account are never described.
  it.each([0, 3, 40])("a new grant's Identity Center calls do not grow with %i other grants active in the account", async (others) => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    for (let i = 0; i < others; i++) await grants.grant(testRequest({ account: "other", id: `${900 + i}-other` }), testPolicy(), EXPIRES);
    const mark = fake.calls.length;
    const result = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const ops = fake.calls
      .slice(mark)
      .filter((c) => c.service === "sso")
      .map((c) => c.op);
    expect(result.changed).toBe(true);
    expect(ops.filter((op) => /^(DescribePermissionSet|ListPermissionSets)/.test(op) && op !== "DescribePermissionSetProvisioningStatus")).toEqual([]);
    expect(ops.filter((op) => op === "CreatePermissionSet")).toEqual(["CreatePermissionSet"]);
    expect(ops.length).toBeLessThanOrEqual(8);
  });

  it("a grant in a second account finds the request's permission set through the first account, and its rollback leaves it", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const parts = ["other", "prod"].map((account) => ({ request: testRequest({ account }), policy: testPolicy() }));
    const first = await grants.grant(parts[0]!.request, testPolicy(), EXPIRES, { parts });
    const ps = fake.state.sso.permissionSets.get(first.resources[0]!)!;
    const afterAssignments = [...fake.state.sso.assignments.values()].map((a) => ({ ...a }));
    const mark = fake.calls.length;
    // The second account's assignment fails: the rollback must not take the set the first grant rests on.
    fake.sso.failNext.set("create-assignment", "Received a 404 status error: Not supported account");
    await expect(grants.grant(parts[1]!.request, testPolicy(), EXPIRES, { parts })).rejects.toThrow(GrantError);
    const ops = fake.calls.slice(mark).map((c) => c.op);
    expect(ops).not.toContain("DeletePermissionSet");
    // Found among the first account's provisioned sets: the instance is not scanned.
    expect(ops).not.toContain("ListPermissionSets");
    expect(fake.state.sso.permissionSets.get(ps.arn)?.provisionedTo.has(OTHER)).toBe(true);
    // The first account's grant is whole: its set, policy and assignment as they were.
    expect(fake.state.sso.permissionSets.get(ps.arn)?.inlinePolicy).toBe(ps.inlinePolicy);
    expect([...fake.state.sso.assignments.values()]).toEqual(afterAssignments);
  });

  // A permission set of the request's name that jit-access did not make (no jit-access:request tag
  // for it): a grant refuses it or fails, and its rollback never removes it or anyone's assignment.
  describe("a set of the request's name that jit-access did not make is never removed by a rollback", () => {
    const handMade = (where: "nowhere" | "other" | "own") => {
      const arn = `${INSTANCE.replace(":instance/", ":permissionSet/")}/ps-handmade00000001`;
      const provisionedTo = new Set<string>(where === "nowhere" ? [] : [where === "other" ? OTHER : HOME]);
      fake.state.sso.permissionSets.set(arn, {
        name: "jit-142-financial-reports",
        arn,
        sessionDuration: "PT1H",
        inlinePolicy: "",
        tags: [],
        provisionedTo,
      });
      for (const accountId of provisionedTo) {
        const a = { accountId, permissionSetArn: arn, principalType: "USER" as const, principalId: "someone-else" };
        fake.state.sso.assignments.set(`${accountId}|${arn}|USER|someone-else`, a);
      }
      return arn;
    };
    const cases = (["nowhere", "other", "own"] as const).flatMap((where) => (["refused", "create answer lost"] as const).map((how) => [where, how] as const));
    it.each(cases)("provisioned %s, %s", async (where, how) => {
      const arn = handMade(where);
      const before = fake.snapshot();
      if (how === "create answer lost") fake.faults.add({ kind: "crash-after", service: "sso", op: "CreatePermissionSet" });
      const grants = fakeGrants(fake, testConfig("identity-center"));
      await expect(grants.grant(testRequest(), testPolicy(), EXPIRES)).rejects.toThrow();
      fake.faults.clear();
      fake.settle();
      expect(fake.state.sso.permissionSets.has(arn)).toBe(true);
      expect(fake.snapshot()).toEqual(before);
    });

    it("while the grant's own set, made by a create whose answer was lost, is removed", async () => {
      const before = fake.snapshot();
      fake.faults.add({ kind: "crash-after", service: "sso", op: "CreatePermissionSet" });
      const grants = fakeGrants(fake, testConfig("identity-center"));
      const outcome = await grants.grant(testRequest(), testPolicy(), EXPIRES).then(
        () => "granted",
        () => "failed",
      );
      fake.faults.clear();
      fake.settle();
      // Either the retry found and used its own set, or the rollback removed it: nothing stray.
      if (outcome === "failed") expect(fake.snapshot()).toEqual(before);
      else expect([...fake.state.sso.permissionSets.values()].map((p) => p.name)).toEqual(["jit-142-financial-reports"]);
    });
  });

  it("surfaces a FAILED assignment with AWS's reason and rolls back", async () => {
    const before = fake.snapshot();
    fake.sso.failNext.set("create-assignment", "Received a 404 status error: Not supported account");
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const error = await grants.grant(testRequest(), testPolicy(), EXPIRES).then(
      () => new Error("granted"),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(GrantError);
    expect(error.message).toMatch(/assigning .* failed: Received a 404 status error: Not supported account; rolled back, nothing is attached/);
    expect(fake.snapshot()).toEqual(before);
  });

  it("a retry after a rollback that could not delete its schedule replaces that schedule once its permission set is gone, and grants", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    fake.faults.add({ kind: "crash", service: "sso", op: "CreateAccountAssignment" });
    fake.faults.add({ kind: "crash", service: "scheduler", op: "DeleteSchedule", times: 10 });
    const first = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES).then(
      () => undefined,
      (e: unknown) => e as GrantError,
    );
    expect(first).toBeInstanceOf(GrantError);
    const leftover = [...fake.state.accounts.get(HOME)!.scheduler.schedules.values()];
    expect(leftover.length).toBeGreaterThan(0);
    expect(fake.state.sso.permissionSets.size).toBe(0);
    fake.faults.clear();
    const result = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const ps = result.resources[0]!;
    const schedules = [...fake.state.accounts.get(HOME)!.scheduler.schedules.values()];
    expect(schedules.map((x) => x.Name).sort()).toEqual(leftover.map((x) => x.Name).sort());
    for (const x of schedules) expect(JSON.parse(x.Target.Input ?? "{}")).toMatchObject({ PermissionSetArn: ps });
    await grants.revoke(revokeTargetOf(result.requestId, storedAws(result), "identity-center"));
    fake.settle();
    expect([...fake.state.accounts.get(HOME)!.scheduler.schedules.values()]).toEqual([]);
  });

  it("a leftover schedule whose permission set still exists is never replaced: the grant is refused and rolled back", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const first = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const before = [...fake.state.accounts.get(HOME)!.scheduler.schedules.values()].map((x) => structuredClone(x));
    // The request's permission set is taken out of the way by hand (renamed), so a grant makes another.
    fake.state.sso.permissionSets.get(first.resources[0]!)!.name = "hand-renamed";
    const error = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/already exists with a different time or target/);
    expect([...fake.state.accounts.get(HOME)!.scheduler.schedules.values()]).toEqual(before);
  });

  // A leftover schedule of the request's name is replaced only when it can remove nothing: it is a
  // deleteAccountAssignment schedule whose permission set is gone. Anything else refuses the grant
  // and leaves the schedule as it was.
  it.each([
    ["its permission set is gone", (x: { Target: { Arn: string; Input?: string } }) => x, true],
    ["its permission set still exists", (x: { Target: { Arn: string; Input?: string } }, live: string) => retarget(x, live), false],
    ["its input is not JSON", (x: { Target: { Arn: string; Input?: string } }) => ({ ...x, Target: { ...x.Target, Input: "not json" } }), false],
    [
      "its target is another API",
      (x: { Target: { Arn: string; Input?: string } }) => ({ ...x, Target: { ...x.Target, Arn: "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy" } }),
      false,
    ],
  ] as const)("a leftover schedule whose %s: replaced = %s", async (_case, leftover, replaced) => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const first = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const schedules = fake.state.accounts.get(HOME)!.scheduler.schedules;
    const kept = [...schedules.entries()].map(([k, v]) => [k, structuredClone(v)] as const);
    await grants.revoke(revokeTargetOf(first.requestId, storedAws(first), "identity-center"));
    fake.settle();
    const live = (await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "HandMade" }))).PermissionSet!
      .PermissionSetArn!;
    for (const [k, v] of kept) schedules.set(k, leftover(v, live) as typeof v);
    const before = structuredClone([...schedules.values()]);
    const outcome = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES).then(
      (r) => r,
      (e: unknown) => e as Error,
    );
    if (replaced) {
      expect(outcome).not.toBeInstanceOf(Error);
      const ps = (outcome as { resources: string[] }).resources[0]!;
      for (const x of schedules.values()) expect(JSON.parse(x.Target.Input ?? "{}")).toMatchObject({ PermissionSetArn: ps });
    } else {
      expect((outcome as Error).message).toMatch(/already exists with a different time or target/);
      expect([...schedules.values()]).toEqual(before);
      expect(fake.state.sso.assignments.size).toBe(0);
    }
  });

  it("surfaces a FAILED provisioning with AWS's reason and rolls back", async () => {
    const before = fake.snapshot();
    fake.sso.failNext.set("provision", "Role jit-142 already exists in account");
    const grants = fakeGrants(fake, testConfig("identity-center"));
    await expect(grants.grant(testRequest(), testPolicy(), EXPIRES)).rejects.toThrow(/provisioning .* failed: Role jit-142 already exists in account/);
    expect(fake.snapshot()).toEqual(before);
  });

  it("retries ConflictException (another change of the account in progress)", async () => {
    fake.faults.add({ kind: "conflict", service: "sso", op: "ProvisionPermissionSet", times: 2 });
    fake.faults.add({ kind: "conflict", service: "sso", op: "CreateAccountAssignment" });
    const grants = fakeGrants(fake, testConfig("identity-center"));
    await grants.grant(testRequest(), testPolicy(), EXPIRES);
    expect(fake.faults.fired).toHaveLength(3);
    expect(fake.state.sso.assignments.size).toBe(1);
  });

  it("serializes changes per account: concurrent grants never overlap in the same account", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const ids = ["11-a", "12-b", "13-c"];
    await Promise.all(ids.map((id) => grants.grant(testRequest({ id }), testPolicy(), EXPIRES)));
    // Each grant's SSO calls form one contiguous run: the next grant starts after the previous ended.
    const order = fake.calls.filter((c) => c.service === "sso" && c.op === "CreatePermissionSet").map((c) => c.index);
    const assigns = fake.calls.filter((c) => c.op === "DescribeAccountAssignmentCreationStatus").map((c) => c.index);
    expect(order).toHaveLength(3);
    for (let i = 1; i < order.length; i++) expect(order[i]!).toBeGreaterThan(assigns[(i - 1) * 2 + 1] ?? assigns[i - 1]!);
    expect(fake.state.sso.assignments.size).toBe(3);
  });

  it("refuses an existing permission set of the request's name with a different inline policy", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const before = fake.snapshot();
    await expect(grants.grant(testRequest(), testPolicy("other-bucket"), EXPIRES)).rejects.toThrow(
      /already exists with a different inline policy; refusing to reuse it/,
    );
    expect(fake.snapshot()).toEqual(before);
  });

  it("names an unknown identity store user", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center", { principals: { alice: { sso_user: "nobody@example.com" } } }));
    await expect(grants.grant(testRequest(), testPolicy(), EXPIRES)).rejects.toThrow(/no user named "nobody@example.com" in identity store d-1111111111/);
  });

  it("lists its permission sets (tagged jit-…) and schedules, not hand-made ones", async () => {
    const sso = await import("@aws-sdk/client-sso-admin");
    await fake.clients.ssoAdmin.send(new sso.CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "jit-handmade" }));
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const result = await grants.grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const managed = await grants.listManaged();
    expect(managed).toEqual([
      {
        kind: "permission-set",
        arn: result.resources[0],
        name: "jit-142-financial-reports",
        accountIds: [OTHER],
        requestId: "142-financial-reports",
        expiresAt: EXPIRES,
      },
      expect.objectContaining({ kind: "schedule", name: "jit-142-financial-reports", requestId: "142-financial-reports" }),
    ]);
  });
});

/** A schedule whose deleteAccountAssignment input names another permission set. */
function retarget<T extends { Target: { Arn: string; Input?: string } }>(x: T, permissionSetArn: string): T {
  return { ...x, Target: { ...x.Target, Input: JSON.stringify({ ...(JSON.parse(x.Target.Input ?? "{}") as object), PermissionSetArn: permissionSetArn }) } };
}
