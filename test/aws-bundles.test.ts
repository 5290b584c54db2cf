// Catalogue bundles in AWS (fake): an existing managed policy attached (iam mode), an existing
// permission set assigned (identity-center mode). Granted after the revocation schedule, revoked
// by removing only the attachment or assignment, refused when the principal already holds it
// (standing access), rolled back on failure, extended by moving the schedule, and found again by
// a revoke or reconcile that has no record.
import { CreateAccountAssignmentCommand, CreatePermissionSetCommand, ProvisionPermissionSetCommand } from "@aws-sdk/client-sso-admin";
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { GrantError, grantFailureCode } from "../src/aws/grants.js";
import { NotOwnedError } from "../src/aws/ownership.js";
import { revokeTargetOf, storedAws } from "../src/aws/plan.js";
import type { Grants, RevokeTarget } from "../src/aws/types.js";
import { parseBundleResource } from "../src/domain/bundle-resources.js";
import type { AccessRequest, CatalogueEntry, Config } from "../src/domain/types.js";
import { planSweep } from "../src/sweep/plan.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { EXPIRES, fakeGrants, HOME, NOW, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());

const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const ID = "142-read-only";

let aliceId = "";
let psArn = "";

beforeEach(async () => {
  fake.reset();
  seed(fake);
  aliceId = fake.state.sso.users.get("alice@example.com")!;
  psArn = (await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "ReadOnly" }))).PermissionSet!.PermissionSetArn!;
  fake.resetLogs();
});

function withEntry(config: Config, entry: CatalogueEntry): Config {
  return { ...config, catalogue: { ...config.catalogue, "read-only": entry } };
}

function iamConfig(): Config {
  return withEntry(testConfig("iam"), { kind: "managed_policy", description: "AWS ReadOnlyAccess", accounts: ["prod"], policy_arn: READ_ONLY });
}

function icConfig(ref = "ReadOnly"): Config {
  return withEntry(testConfig("identity-center"), { kind: "permission_set", description: "read only", accounts: ["prod"], permission_set: ref });
}

function bundleRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    version: 1,
    id: ID,
    requester: "alice",
    account: "prod",
    duration: "8h",
    reason: "incident review",
    request: [],
    catalogue: "read-only",
    ...overrides,
  };
}

const EMPTY = { Version: "2012-10-17" as const, Statement: [] };
const attachedTo = (user: string) => fake.state.accounts.get(HOME)!.iam.users.get(user)!.attached;
const assignments = () => [...fake.state.sso.assignments.values()];
const schedulesIn = (account: string) => [...fake.state.accounts.get(account)!.scheduler.schedules.keys()];

describe("iam mode: an existing managed policy", () => {
  it("is attached after its one revocation schedule, recorded as the attachment, and revoke detaches only that", async () => {
    const grants = fakeGrants(fake, iamConfig());
    const policiesBefore = [...fake.state.accounts.get(HOME)!.iam.policies.keys()];
    const result = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    expect(result).toMatchObject({ mode: "iam", accountId: HOME, resources: [`attached:user/alice:${READ_ONLY}`], schedules: [`jit-${ID}`], changed: true });
    expect(attachedTo("alice")).toEqual([READ_ONLY]);
    // Scheduled before attached; no clean-up schedule: the policy is not jit-access's to delete.
    const ops = fake.calls.filter((c) => c.op === "CreateSchedule" || c.op === "AttachUserPolicy").map((c) => c.op);
    expect(ops).toEqual(["CreateSchedule", "AttachUserPolicy"]);
    const created = fake.calls.find((c) => c.op === "CreateSchedule")!.input as { Target: { Arn: string; Input: string }; Description: string };
    expect(created.Target.Arn).toBe("arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy");
    expect(JSON.parse(created.Target.Input)).toEqual({ UserName: "alice", PolicyArn: READ_ONLY });
    // Nothing was created or stamped: there is no jit policy.
    expect([...fake.state.accounts.get(HOME)!.iam.policies.keys()]).toEqual(policiesBefore);

    const stored = storedAws(result);
    const revoked = await grants.revoke(revokeTargetOf(ID, stored, "iam"));
    expect(revoked.removed).toEqual([`attached:user/alice:${READ_ONLY}`, `schedule:jit-${ID}`]);
    expect(attachedTo("alice")).toEqual([]);
    expect(fake.calls.some((c) => c.op === "DeletePolicy")).toBe(false);
    // A rerun finds nothing left.
    expect(await grants.revoke(revokeTargetOf(ID, stored, "iam"))).toMatchObject({ removed: [], alreadyGone: true });
  });

  it("ends at the expiry through the schedule, in AWS; the sweep's revoke then has nothing left", async () => {
    const grants = fakeGrants(fake, iamConfig());
    const result = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    expect(fake.fireDueSchedules(new Date(Date.parse(EXPIRES) - 1000))).toEqual([]);
    const fired = fake.fireDueSchedules(new Date(EXPIRES));
    expect(fired.map((f) => [f.target, f.error])).toEqual([["arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy", undefined]]);
    expect(attachedTo("alice")).toEqual([]);
    expect(await grants.revoke(result)).toMatchObject({ alreadyGone: true });
  });

  it("refuses standing access: a policy attached before the grant is never recorded as ours nor detached", async () => {
    fake.addUser(HOME, "alice", [READ_ONLY]);
    const before = fake.snapshot();
    const grants = fakeGrants(fake, iamConfig());
    const error = await grants.grant(bundleRequest(), EMPTY, EXPIRES).catch((e: unknown) => e);
    expect(grantFailureCode(error)).toBe("aws.standing-access");
    expect(String(error)).toMatch(/already has arn:aws:iam::aws:policy\/ReadOnlyAccess attached.*standing access/);
    expect(fake.snapshot()).toEqual(before);
    // The failed grant's clean-up (a revoke with no record resources) leaves the standing attachment alone.
    await grants.revoke({ requestId: ID, mode: "iam", accountId: HOME });
    expect(attachedTo("alice")).toEqual([READ_ONLY]);
  });

  it("a rerun of the same grant finds its own schedule and attachment: the same result, nothing changed", async () => {
    const grants = fakeGrants(fake, iamConfig());
    const first = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    const second = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    expect(second).toEqual({ ...first, changed: false });
    expect(attachedTo("alice")).toEqual([READ_ONLY]);
  });

  it("rolls back the schedule when the attach fails, and leaves nothing", async () => {
    const before = fake.snapshot();
    fake.faults.add({ kind: "crash", service: "iam", op: "AttachUserPolicy" });
    const grants = fakeGrants(fake, iamConfig());
    const error = await grants.grant(bundleRequest(), EMPTY, EXPIRES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrantError);
    expect((error as GrantError).leftOver).toEqual([]);
    expect(fake.snapshot()).toEqual(before);
  });

  it("a crash after the attach took effect is rolled back too (the attachment was ours: its schedule had just been made)", async () => {
    const before = fake.snapshot();
    fake.faults.add({ kind: "crash-after", service: "iam", op: "AttachUserPolicy" });
    const grants = fakeGrants(fake, iamConfig());
    await expect(grants.grant(bundleRequest(), EMPTY, EXPIRES)).rejects.toBeInstanceOf(GrantError);
    expect(fake.snapshot()).toEqual(before);
  });

  it("a revoke without a record (a failed grant's clean-up, a reconcile) reads the attachment back from the request's schedule", async () => {
    const grants = fakeGrants(fake, iamConfig());
    await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    const r = await grants.revoke({ requestId: ID, mode: "iam", accountId: HOME });
    expect(r.removed).toEqual([`attached:user/alice:${READ_ONLY}`, `schedule:jit-${ID}`]);
    expect(attachedTo("alice")).toEqual([]);
  });

  it("reconcile: a bundle schedule whose request is not active is drift, and its revoke removes the attachment first", async () => {
    const grants = fakeGrants(fake, iamConfig());
    await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    const managed = await grants.listManaged();
    const failed = { path: `access-requests/prod/2026/${ID}.yaml`, summary: { id: ID, status: "failed" as const } };
    const plan = planSweep([failed], managed, NOW, { mode: "iam" });
    expect(plan.drift?.map((d) => [d.requestId, d.reason])).toEqual([[ID, "not-active"]]);
    const r = await grants.revoke(plan.drift![0]!.target);
    expect(r.removed).toContain(`attached:user/alice:${READ_ONLY}`);
    expect(attachedTo("alice")).toEqual([]);
    expect(schedulesIn(HOME)).toEqual([]);
  });

  it("a record naming an attachment nothing backs (no catalogue entry, no schedule) is refused, and nothing is detached", async () => {
    fake.addUser(HOME, "carol", ["arn:aws:iam::aws:policy/AdministratorAccess"]);
    const grants = fakeGrants(fake, iamConfig());
    const forged: RevokeTarget = {
      requestId: ID,
      mode: "iam",
      accountId: HOME,
      resources: ["attached:user/carol:arn:aws:iam::aws:policy/AdministratorAccess"],
    };
    await expect(grants.revoke(forged)).rejects.toBeInstanceOf(NotOwnedError);
    expect(attachedTo("carol")).toEqual(["arn:aws:iam::aws:policy/AdministratorAccess"]);
    // A jit-access policy is never taken for a bundle.
    const own = { ...forged, resources: [`attached:user/alice:arn:aws:iam::${HOME}:policy/jit-access/jit-${ID}`] };
    await expect(grants.revoke(own)).rejects.toBeInstanceOf(NotOwnedError);
  });

  it("extension moves the schedule and nothing else", async () => {
    const grants = fakeGrants(fake, iamConfig());
    const result = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    fake.resetLogs();
    const later = "2026-11-27T20:00:00Z";
    const out = await grants.extend!(bundleRequest(), result, EMPTY, later);
    expect(out).toEqual({ requestId: ID, expiresAt: later, schedules: [`jit-${ID}`] });
    expect(fake.calls.filter((c) => c.service === "iam" && !c.op.startsWith("List")).map((c) => c.op)).toEqual([]);
    expect(fake.state.accounts.get(HOME)!.scheduler.schedules.get(`jit-access/jit-${ID}`)?.ScheduleExpression).toBe("at(2026-11-27T20:00:00)");
    expect(attachedTo("alice")).toEqual([READ_ONLY]);
    expect(fake.fireDueSchedules(new Date(EXPIRES))).toEqual([]);
    expect(attachedTo("alice")).toEqual([READ_ONLY]);
  });
});

describe("revoke without a Scheduler", () => {
  it("a grant's revoke in a config without aws.scheduler_role_arn never reads the Scheduler (it may not be readable there)", async () => {
    const config = structuredClone(testConfig("iam"));
    delete config.aws.scheduler_role_arn;
    const grants = fakeGrants(fake, config);
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    fake.resetLogs();
    expect((await grants.revoke(result)).alreadyGone).toBe(false);
    expect(fake.calls.filter((c) => c.service === "scheduler")).toEqual([]);
  });
});

describe("identity-center mode: an existing permission set", () => {
  it("is provisioned if needed and assigned after its schedule; revoke removes only the assignment, never the permission set", async () => {
    const grants = fakeGrants(fake, icConfig());
    const result = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    expect(result).toMatchObject({ mode: "identity-center", resources: [`assigned:user/${aliceId}:${psArn}`], schedules: [`jit-${ID}`], changed: true });
    expect(assignments()).toEqual([{ accountId: HOME, permissionSetArn: psArn, principalType: "USER", principalId: aliceId }]);
    expect([...fake.state.sso.permissionSets.get(psArn)!.provisionedTo]).toEqual([HOME]);
    // Nothing of the permission set itself changed: no inline policy, no tags, no new set.
    expect(fake.calls.filter((c) => /PutInline|TagResource|CreatePermissionSet|DeletePermissionSet/.test(c.op)).map((c) => c.op)).toEqual([]);

    const revoked = await grants.revoke(revokeTargetOf(ID, storedAws(result), "identity-center"));
    expect(revoked.removed).toEqual([`assigned:user/${aliceId}:${psArn}`, `schedule:jit-${ID}`]);
    expect(assignments()).toEqual([]);
    expect(fake.state.sso.permissionSets.has(psArn)).toBe(true);
  });

  it("does not provision a permission set already provisioned to the account (that would push its edits to every assignment)", async () => {
    await fake.clients.ssoAdmin.send(
      new ProvisionPermissionSetCommand({ InstanceArn: INSTANCE, PermissionSetArn: psArn, TargetType: "AWS_ACCOUNT", TargetId: HOME }),
    );
    fake.settle();
    fake.resetLogs();
    await fakeGrants(fake, icConfig(psArn)).grant(bundleRequest(), EMPTY, EXPIRES);
    expect(fake.calls.filter((c) => c.op === "ProvisionPermissionSet")).toEqual([]);
  });

  it("ends through the schedule at the expiry", async () => {
    const grants = fakeGrants(fake, icConfig());
    await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    const fired = fake.fireDueSchedules(new Date(EXPIRES));
    expect(fired.map((f) => f.error)).toEqual([undefined]);
    fake.settle();
    expect(assignments()).toEqual([]);
  });

  it("refuses standing access: an assignment made before the grant stays, and nothing is created", async () => {
    await fake.clients.ssoAdmin.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: INSTANCE,
        TargetId: HOME,
        TargetType: "AWS_ACCOUNT",
        PermissionSetArn: psArn,
        PrincipalType: "USER",
        PrincipalId: aliceId,
      }),
    );
    fake.settle();
    const before = fake.snapshot();
    const grants = fakeGrants(fake, icConfig());
    const error = await grants.grant(bundleRequest(), EMPTY, EXPIRES).catch((e: unknown) => e);
    expect(grantFailureCode(error)).toBe("aws.standing-access");
    expect(fake.snapshot()).toEqual(before);
    await grants.revoke({ requestId: ID, mode: "identity-center", accountId: HOME });
    expect(assignments()).toHaveLength(1);
  });

  it("rolls back the schedule when the assignment fails", async () => {
    const before = fake.snapshot();
    fake.faults.add({ kind: "crash", service: "sso", op: "CreateAccountAssignment" });
    const grants = fakeGrants(fake, icConfig());
    await expect(grants.grant(bundleRequest(), EMPTY, EXPIRES)).rejects.toBeInstanceOf(GrantError);
    fake.settle();
    const after = fake.snapshot();
    // Provisioning to the account is not undone (it grants nothing by itself).
    expect({ ...after, sso: { ...after.sso, permissionSets: undefined } }).toEqual({ ...before, sso: { ...before.sso, permissionSets: undefined } });
    expect(assignments()).toEqual([]);
  });

  it("never assigns a permission set jit-access made for a request", async () => {
    const own = (
      await fake.clients.ssoAdmin.send(
        new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "jit-9-other", Tags: [{ Key: "jit-access:request", Value: "9-other" }] }),
      )
    ).PermissionSet!.PermissionSetArn!;
    await expect(fakeGrants(fake, icConfig(own)).grant(bundleRequest(), EMPTY, EXPIRES)).rejects.toThrow(/creates per request/);
    expect(assignments()).toEqual([]);
  });

  it("extension moves the schedule and nothing else", async () => {
    const grants = fakeGrants(fake, icConfig());
    const result = await grants.grant(bundleRequest(), EMPTY, EXPIRES);
    fake.resetLogs();
    await grants.extend!(bundleRequest(), result, EMPTY, "2026-11-27T20:00:00Z");
    expect(fake.calls.filter((c) => c.service === "sso" && !/^(List|Describe)/.test(c.op)).map((c) => c.op)).toEqual([]);
    expect(fake.fireDueSchedules(new Date(EXPIRES))).toEqual([]);
    expect(assignments()).toHaveLength(1);
  });
});

describe("every kind × (held before, absent) × (grant, revoke, rerun)", () => {
  type Kind = "managed_policy" | "permission_set";
  const held = async (kind: Kind): Promise<boolean> =>
    kind === "managed_policy" ? attachedTo("alice").includes(READ_ONLY) : assignments().some((a) => a.principalId === aliceId && a.permissionSetArn === psArn);
  const giveStanding = async (kind: Kind) => {
    if (kind === "managed_policy") fake.addUser(HOME, "alice", [READ_ONLY]);
    else {
      await fake.clients.ssoAdmin.send(
        new CreateAccountAssignmentCommand({
          InstanceArn: INSTANCE,
          TargetId: HOME,
          TargetType: "AWS_ACCOUNT",
          PermissionSetArn: psArn,
          PrincipalType: "USER",
          PrincipalId: aliceId,
        }),
      );
      fake.settle();
    }
  };
  const cases: Array<[Kind, boolean]> = [
    ["managed_policy", false],
    ["managed_policy", true],
    ["permission_set", false],
    ["permission_set", true],
  ];

  it.each(cases)("%s, held before: %s", async (kind, before) => {
    if (before) await giveStanding(kind);
    const grants: Grants = fakeGrants(fake, kind === "managed_policy" ? iamConfig() : icConfig());
    const mode = kind === "managed_policy" ? "iam" : "identity-center";
    const granted = await grants.grant(bundleRequest(), EMPTY, EXPIRES).catch((e: unknown) => e);
    if (before) {
      // Standing access: refused, nothing recorded as ours; still held after every revoke and rerun.
      expect(grantFailureCode(granted)).toBe("aws.standing-access");
      for (let i = 0; i < 2; i++) await grants.revoke({ requestId: ID, mode, accountId: HOME });
      expect(await held(kind)).toBe(true);
      expect(grantFailureCode(await grants.grant(bundleRequest(), EMPTY, EXPIRES).catch((e: unknown) => e))).toBe("aws.standing-access");
      expect(await held(kind)).toBe(true);
      return;
    }
    if (granted instanceof Error) throw granted;
    expect(await held(kind)).toBe(true);
    // Rerun of the grant: the same, nothing new.
    expect(await grants.grant(bundleRequest(), EMPTY, EXPIRES)).toMatchObject({ resources: (granted as { resources: string[] }).resources, changed: false });
    const target = revokeTargetOf(ID, storedAws(granted as never), mode);
    expect((await grants.revoke(target)).alreadyGone).toBe(false);
    expect(await held(kind)).toBe(false);
    // Rerun of the revoke: nothing left, nothing else touched.
    expect(await grants.revoke(target)).toMatchObject({ alreadyGone: true });
    expect(await held(kind)).toBe(false);
  });
});

describe("the record's resource string", () => {
  it("property: written and read back exactly, for any principal and policy name", () => {
    const name = fc.stringMatching(/^[\w+=,.@-]{1,64}$/);
    fc.assert(
      fc.property(fc.constantFrom("iam_user" as const, "iam_role" as const), name, name, (kind, who, policy) => {
        const arn = `arn:aws:iam::aws:policy/${policy}`;
        const text = kind === "iam_user" ? `attached:user/${who}:${arn}` : `attached:role/${who}:${arn}`;
        expect(parseBundleResource(text)).toEqual({ kind: "attached", principal: { kind, name: who }, policyArn: arn });
      }),
    );
  });
});
