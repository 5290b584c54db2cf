import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { GrantError } from "../src/aws/grants.js";
import { iamPolicyArn } from "../src/aws/naming.js";
import { policyDocumentText } from "../src/aws/iam.js";
import { revokeTargetOf, storedAws } from "../src/aws/plan.js";
import { expiryOf } from "../src/policy/stamp.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { CROSS_ROLE, EXPIRES, fakeGrants, HOME, OTHER, SCHEDULER_ROLE, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());

const POLICY_ARN = `arn:aws:iam::${HOME}:policy/jit-access/jit-142-financial-reports`;

beforeEach(() => {
  fake.reset();
  seed(fake);
});

describe("iam mode", () => {
  it("grants a stamped, tagged policy under /jit-access/ and attaches it to the user; revoke leaves the account as it was", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES, { prUrl: "https://github.com/acme/access/pull/142" });

    expect(result).toMatchObject({
      mode: "iam",
      requestId: "142-financial-reports",
      accountId: HOME,
      resources: [POLICY_ARN],
      schedules: ["jit-142-financial-reports", "jit-142-financial-reports-delete"],
      principal: { kind: "iam_user", name: "alice" },
      grantedAt: "2026-11-27T08:00:00.000Z",
      expiresAt: EXPIRES,
      changed: true,
    });
    const iam = fake.state.accounts.get(HOME)!.iam;
    expect(iam.users.get("alice")!.attached).toEqual([POLICY_ARN]);
    const policy = iam.policies.get(POLICY_ARN)!;
    expect(policy.path).toBe("/jit-access/");
    expect(policy.tags).toEqual([
      { Key: "jit-access:request", Value: "142-financial-reports" },
      { Key: "jit-access:expires-at", Value: EXPIRES },
      { Key: "jit-access:pr", Value: "https://github.com/acme/access/pull/142" },
    ]);
    const attached = JSON.parse(policy.versions.get("v1")!.document);
    expect(expiryOf(attached)).toBe(EXPIRES);

    const revoked = await grants.revoke(result);
    expect(revoked.alreadyGone).toBe(false);
    expect(revoked.removed).toEqual(["attachment:user/alice", POLICY_ARN, "schedule:jit-142-financial-reports", "schedule:jit-142-financial-reports-delete"]);
    expect(fake.snapshot()).toEqual(before);
  });

  it("works the same for an IAM role, with detachRolePolicy as the scheduled target", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    const result = await grants.grant(testRequest({ id: "7-bob", requester: "bob" }), testPolicy(), EXPIRES);
    expect(fake.state.accounts.get(HOME)!.iam.roles.get("bob-role")!.attached).toEqual([result.resources[0]]);
    const schedule = fake.state.accounts.get(HOME)!.scheduler.schedules.get("jit-access/jit-7-bob")!;
    expect(schedule.Target).toEqual({
      Arn: "arn:aws:scheduler:::aws-sdk:iam:detachRolePolicy",
      RoleArn: SCHEDULER_ROLE,
      Input: JSON.stringify({ RoleName: "bob-role", PolicyArn: `arn:aws:iam::${HOME}:policy/jit-access/jit-7-bob` }),
    });
    await grants.revoke(result);
    expect(fake.snapshot()).toEqual(before);
  });

  it("creates the schedules exactly as the universal targets expect", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    await grants.grant(testRequest(), testPolicy(), "2026-11-27T16:00:00.250Z");
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
        Description: "jit-access 142-financial-reports: detach its policy at expiry",
        Target: { Arn: "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy", RoleArn: SCHEDULER_ROLE, Input: `{"UserName":"alice","PolicyArn":"${POLICY_ARN}"}` },
      },
      {
        Name: "jit-142-financial-reports-delete",
        GroupName: "jit-access",
        ScheduleExpression: "at(2026-11-27T16:10:00)",
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
        State: "ENABLED",
        Description: "jit-access 142-financial-reports: delete its detached policy",
        Target: { Arn: "arn:aws:scheduler:::aws-sdk:iam:deletePolicy", RoleArn: SCHEDULER_ROLE, Input: `{"PolicyArn":"${POLICY_ARN}"}` },
      },
    ]);
  });

  it("when the schedules fire, AWS itself detaches and deletes the policy, and revoke then finds nothing", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    expect(fake.fireDueSchedules(new Date("2026-11-27T15:59:59Z"))).toEqual([]);
    const first = fake.fireDueSchedules(new Date(EXPIRES));
    expect(first.map((i) => i.error)).toEqual([undefined]);
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([]);
    const second = fake.fireDueSchedules(new Date("2026-11-27T16:10:00Z"));
    expect(second.map((i) => i.error)).toEqual([undefined]);
    expect(fake.snapshot()).toEqual(before);
    expect(await grants.revoke(result)).toEqual({ requestId: result.requestId, removed: [], alreadyGone: true });
  });

  it("a second grant of the same request is a no-op, and so is a second revoke", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    const first = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const afterFirst = fake.snapshot();
    const mark = fake.calls.length;
    const second = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    expect(second.changed).toBe(false);
    expect({ ...second, changed: true }).toEqual(first);
    expect(fake.snapshot()).toEqual(afterFirst);
    // Creates are answered "already exists"; nothing is attached, detached or deleted.
    expect(fake.calls.slice(mark).filter((c) => /^(Attach|Delete|Detach|Put)/.test(c.op))).toEqual([]);

    await grants.revoke(first);
    const afterRevoke = fake.snapshot();
    const again = await grants.revoke(first);
    expect(again).toEqual({ requestId: first.requestId, removed: [], alreadyGone: true });
    expect(fake.snapshot()).toEqual(afterRevoke);
  });

  it("revokes from what the request file stores (grant.aws)", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const stored = storedAws(result);
    expect(stored).toEqual({
      mode: "iam",
      account_id: HOME,
      resources: [POLICY_ARN],
      schedule: "jit-access/jit-142-financial-reports jit-access/jit-142-financial-reports-delete",
    });
    await grants.revoke(revokeTargetOf(result.requestId, stored, "iam"));
    expect(fake.snapshot()).toEqual(before);
  });

  it("refuses to reuse an existing policy of the same name with a different document", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const before = fake.snapshot();
    const error = await grants.grant(testRequest(), testPolicy("other-bucket"), EXPIRES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrantError);
    expect(String(error)).toMatch(/already exists with a different document; refusing to reuse it/);
    // The existing (recorded) grant is left exactly as it was.
    expect(fake.snapshot()).toEqual(before);
  });

  it("refuses a policy of the request's name that someone else made (no owner tag)", async () => {
    const before = fake.snapshot();
    await fake.clients.iam.send(
      new (await import("@aws-sdk/client-iam")).CreatePolicyCommand({
        PolicyName: "jit-142-financial-reports",
        Path: "/jit-access/",
        PolicyDocument: JSON.stringify(testPolicy()),
      }),
    );
    const grants = fakeGrants(fake, testConfig("iam"));
    await expect(grants.grant(testRequest(), testPolicy(), EXPIRES)).rejects.toThrow(/different owner tag/);
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([]);
    expect(fake.state.accounts.get(HOME)!.scheduler.schedules.size).toBe(0);
    expect(before.accounts.get(HOME)!.iam.policies.size).toBe(0);
  });

  it("at the attached-policies quota: a clear error naming the quota and the fix, and nothing attached or left", async () => {
    const managed = Array.from({ length: 10 }, (_, i) => `arn:aws:iam::aws:policy/Managed${i}`);
    fake.addUser(HOME, "alice", managed);
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    const error = await grants.grant(testRequest(), testPolicy(), EXPIRES).then(
      () => new Error("granted"),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(GrantError);
    expect(error.message).toContain('IAM quota "Managed policies per user"');
    expect(error.message).toContain("Cannot exceed quota for PoliciesPerUser: 10");
    expect(error.message).toContain("raise the quota in Service Quotas");
    expect(error.message).toContain("aws.mode: identity-center");
    expect(error.message).toContain("Nothing was attached");
    expect(error.message).toContain("rolled back, nothing is attached");
    expect(fake.snapshot()).toEqual(before);
  });

  // Each refusal the adapter rewrites for people keeps AWS's own error as its cause: the failure a
  // scheduled start records names it, and the retry decision (grantErrorClass) reads the chain.
  it.each([
    [
      "the attached-policies quota",
      "LimitExceededException",
      () =>
        fake.addUser(
          HOME,
          "alice",
          Array.from({ length: 10 }, (_, i) => `arn:aws:iam::aws:policy/M${i}`),
        ),
    ],
    ["a principal that does not exist", "NoSuchEntityException", () => fake.state.accounts.get(HOME)!.iam.users.delete("alice")],
    ["a missing schedule group", "ResourceNotFoundException", () => fake.state.accounts.get(HOME)!.scheduler.groups.clear()],
  ])("%s: the error's cause chain holds AWS's %s", async (_case, awsName, arrange) => {
    arrange();
    const error = await fakeGrants(fake, testConfig("iam"))
      .grant(testRequest(), testPolicy(), EXPIRES)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const names: string[] = [];
    for (let e = error as { name?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) names.push(String(e.name));
    expect(names[0]).toBe("GrantError");
    expect(names).toContain(awsName);
    expect(fake.state.accounts.get(HOME)!.iam.policies.size).toBe(0);
  });

  it("when the rollback itself fails, the error lists what is left, and nothing stays attached", async () => {
    fake.faults.add({ kind: "crash-after", service: "iam", op: "AttachUserPolicy" });
    fake.faults.add({ kind: "crash", service: "iam", op: "DeletePolicy", times: 100 });
    const grants = fakeGrants(fake, testConfig("iam"));
    const error = await grants.grant(testRequest(), testPolicy(), EXPIRES).then(
      () => new Error("granted"),
      (e: unknown) => e as GrantError,
    );
    expect(error).toBeInstanceOf(GrantError);
    expect(error.message).toMatch(
      /rollback left policy arn:aws:iam::111111111111:policy\/jit-access\/jit-142-financial-reports \(it gives no access: nothing is attached or assigned; rerun revoke/,
    );
    expect((error as GrantError).leftOver).toEqual([{ kind: "iam-policy", arn: POLICY_ARN }]);
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([]);
    expect(fake.state.accounts.get(HOME)!.scheduler.schedules.size).toBe(0);
    // A revoke (the sweep's, or a rerun) removes the rest.
    fake.faults.clear();
    await grants.revoke({ requestId: "142-financial-reports", mode: "iam", accountId: HOME });
    expect(fake.state.accounts.get(HOME)!.iam.policies.size).toBe(0);
  });

  it("when the rollback cannot detach the policy, it keeps the revocation schedules that end the attachment", async () => {
    fake.faults.add({ kind: "crash-after", service: "iam", op: "AttachUserPolicy" });
    fake.faults.add({ kind: "crash", service: "iam", op: "DetachUserPolicy", times: 100 });
    const grants = fakeGrants(fake, testConfig("iam"));
    const error = await grants.grant(testRequest(), testPolicy(), EXPIRES).then(
      () => new Error("granted"),
      (e: unknown) => e as GrantError,
    );
    expect(error).toBeInstanceOf(GrantError);
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([POLICY_ARN]);
    expect(fake.state.accounts.get(HOME)!.scheduler.schedules.size).toBeGreaterThan(0);
    expect((error as GrantError).leftOver.filter((s) => s.kind === "schedule")).toHaveLength(fake.state.accounts.get(HOME)!.scheduler.schedules.size);
    fake.faults.clear();
    await grants.revoke({ requestId: "142-financial-reports", mode: "iam", accountId: HOME });
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([]);
    expect(fake.state.accounts.get(HOME)!.scheduler.schedules.size).toBe(0);
  });

  it("cross-account: assumes the configured role, and acts in that account with its credentials", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam", { aws: { scheduler_role_arn: `arn:aws:iam::${OTHER}:role/jit-access-scheduler` } }));
    const result = await grants.grant(testRequest({ id: "9-cross", account: "other" }), testPolicy(), EXPIRES);
    expect(fake.assumeRoleCalls).toHaveLength(1);
    expect(fake.assumeRoleCalls[0]).toMatchObject({ RoleArn: CROSS_ROLE, RoleSessionName: "jit-access-9-cross", caller: HOME });
    const assumedKey = fake.assumeRoleCalls[0]!.accessKeyId;
    const acting = fake.calls.filter((c) => c.service === "iam" || c.service === "scheduler" || c.op === "GetCallerIdentity");
    expect(acting.length).toBeGreaterThan(3);
    for (const call of acting) expect({ op: call.op, key: call.accessKeyId, account: call.account }).toEqual({ op: call.op, key: assumedKey, account: OTHER });
    expect(result.resources).toEqual([`arn:aws:iam::${OTHER}:policy/jit-access/jit-9-cross`]);
    expect(fake.state.accounts.get(OTHER)!.iam.users.get("alice")!.attached).toEqual(result.resources);
    expect(fake.state.accounts.get(OTHER)!.scheduler.schedules.size).toBe(2);
    expect(fake.state.accounts.get(HOME)!.iam.policies.size).toBe(0);

    await grants.revoke(result);
    expect(fake.snapshot()).toEqual(before);
  });

  it("cross-account: a role_arn that cannot be assumed (no such role) is denied, and nothing is created anywhere", async () => {
    fake.state.accounts.get(OTHER)!.iam.roles.delete("jit-access");
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    await expect(grants.grant(testRequest({ id: "9-cross", account: "other" }), testPolicy(), EXPIRES)).rejects.toThrow(
      /not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role\/jit-access/,
    );
    expect(fake.snapshot()).toEqual(before);
  });

  it("cross-account without a scheduler role in that account: no schedule, and the record says why", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    const result = await grants.grant(testRequest({ id: "9-cross", account: "other" }), testPolicy(), EXPIRES);
    expect(result.schedules).toEqual([]);
    expect(result.scheduleNote).toMatch(/not scheduled: aws.scheduler_role_arn is in account 111111111111, not 222222222222/);
    expect(storedAws(result).schedule).toBe(result.scheduleNote);
  });

  it("without aws.scheduler_role_arn: no schedule, and the record says so", async () => {
    const config = testConfig("iam");
    delete config.aws.scheduler_role_arn;
    const grants = fakeGrants(fake, config);
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    expect(result.scheduleNote).toMatch(/not scheduled: aws.scheduler_role_arn is not configured/);
    expect(fake.calls.some((c) => c.service === "scheduler")).toBe(false);
  });

  it("refuses to act when the credentials are in another account than the configured id", async () => {
    const grants = fakeGrants(fake, testConfig("iam", { aws: { accounts: { prod: "333333333333" } } }));
    await expect(grants.grant(testRequest(), testPolicy(), EXPIRES)).rejects.toThrow(
      /credentials for account 333333333333 are in account 111111111111 .*; refusing to act/,
    );
    expect(fake.calls.map((c) => c.op)).toEqual(["GetCallerIdentity"]);
  });

  it("refuses an expiry that is not in the future, and a principal that is not configured", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    await expect(grants.grant(testRequest(), testPolicy(), "2026-11-27T07:00:00Z")).rejects.toThrow(/not in the future/);
    await expect(grants.grant(testRequest({ requester: "mallory" }), testPolicy(), EXPIRES)).rejects.toThrow(/principals.mallory is not configured/);
    expect(fake.calls).toEqual([]);
  });

  it("refuses a policy over IAM's 6,144-character limit before calling AWS", async () => {
    const big = testPolicy();
    big.Statement[0]!.Resource = Array.from({ length: 200 }, (_, i) => `arn:aws:s3:::financial-reports/prefix-${i}/*`);
    const grants = fakeGrants(fake, testConfig("iam"));
    await expect(grants.grant(testRequest(), big, EXPIRES)).rejects.toThrow(/IAM allows 6144 per managed policy/);
    expect(fake.calls).toEqual([]);
  });

  it("revoke detaches the policy from everyone who holds it and deletes its extra versions", async () => {
    const before = fake.snapshot();
    const grants = fakeGrants(fake, testConfig("iam"));
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const iam = await import("@aws-sdk/client-iam");
    await fake.clients.iam.send(new iam.AttachUserPolicyCommand({ UserName: "carol", PolicyArn: POLICY_ARN }));
    await fake.clients.iam.send(
      new iam.CreatePolicyVersionCommand({ PolicyArn: POLICY_ARN, PolicyDocument: JSON.stringify(testPolicy("x")), SetAsDefault: false }),
    );
    const revoked = await grants.revoke(result);
    expect(revoked.removed).toContain("attachment:user/carol");
    expect(fake.snapshot()).toEqual(before);
  });

  it("lists what it manages, with the request id, expiry and PR from the tags", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    await grants.grant(testRequest(), testPolicy(), EXPIRES, { prUrl: "https://github.com/acme/access/pull/142" });
    const managed = await grants.listManaged();
    expect(managed).toEqual([
      {
        kind: "iam-policy",
        arn: iamPolicyArn("aws", HOME, "142-financial-reports"),
        name: "jit-142-financial-reports",
        accountIds: [HOME],
        attachments: 1,
        requestId: "142-financial-reports",
        expiresAt: EXPIRES,
        pr: "https://github.com/acme/access/pull/142",
      },
      expect.objectContaining({ kind: "schedule", name: "jit-142-financial-reports", requestId: "142-financial-reports", accountIds: [HOME] }),
      expect.objectContaining({ kind: "schedule", name: "jit-142-financial-reports-delete", requestId: "142-financial-reports", accountIds: [HOME] }),
    ]);
  });

  it("fails clearly when the jit-access schedule group is missing: names it and how to create it; nothing is attached or left", async () => {
    // Both modes keep their schedules in the group; neither makes it (the deployment does).
    for (const mode of ["iam", "identity-center"] as const) {
      fake.reset();
      seed(fake);
      fake.state.accounts.get(HOME)!.scheduler.groups.clear();
      const before = fake.snapshot();
      const grants = fakeGrants(fake, testConfig(mode));
      const failed = grants.grant(testRequest(), testPolicy(), EXPIRES);
      await expect(failed).rejects.toThrow(
        /the EventBridge Scheduler schedule group jit-access does not exist \(region us-east-1, in the account that runs the schedules\); create it once — aws scheduler create-schedule-group --name jit-access --region us-east-1, or deploy deploy\/template.yaml, which makes it — then retry; AWS said: Schedule group jit-access does not exist\.; rolled back, nothing is attached/,
      );
      await expect(failed).rejects.toMatchObject({ cause: { name: "ScheduleGroupMissingError" } });
      expect(fake.calls.filter((c) => c.op === "CreateScheduleGroup" || /^(Attach|CreateAccountAssignment)/.test(c.op))).toEqual([]);
      fake.settle();
      expect(fake.snapshot()).toEqual(before);
    }
  });
});

describe("policyDocumentText", () => {
  it.each([
    ["IAM's URL-encoded JSON", encodeURIComponent('{"a":"100%/*"}'), '{"a":"100%/*"}'],
    ["plain JSON with a %, as moto returns it", '{"a":"100%/*"}', '{"a":"100%/*"}'],
    ["plain JSON with what looks like an escape", '{"a":"%41"}', '{"a":"%41"}'],
    ["encoded JSON with an encoded escape", encodeURIComponent('{"a":"%41"}'), '{"a":"%41"}'],
  ])("%s", (_label, given, want) => {
    expect(policyDocumentText(given)).toBe(want);
  });
});
