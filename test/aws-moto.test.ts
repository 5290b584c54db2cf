// The real AWS adapter (src/aws) and the real sweep (src/sweep) against moto, an emulator of AWS
// written independently of this project: one moto server per file on a free loopback port, reset
// through /moto-api/reset before each test, reached by the real SDK clients through
// AWS_ENDPOINT_URL with fake credentials (another account through moto's AssumeRole). Skipped,
// with a notice, where python3 has no moto (install: pip install 'moto[server]').
//
// Where moto, our fake (test/support/fake-aws) and AWS's documentation disagree — found while
// writing this suite against moto 5.2.1; the documentation decides:
//  1. CreateSchedule into a schedule group that does not exist: AWS documents
//     ResourceNotFoundException ("The request references a resource which does not exist"), and
//     the fake answers so; moto answers HTTP 500 with an HTML page. moto is wrong. The grant's
//     clear message ("the schedule group jit-access does not exist … aws scheduler
//     create-schedule-group --name jit-access …") is therefore tested on the fake
//     (test/aws-iam.test.ts); here only that the grant fails and leaves nothing behind.
//  2. GetSchedule / DeleteSchedule with a missing group: moto says "Schedule group jit-access does
//     not exist." (ResourceNotFoundException); the fake said "Schedule … does not exist." The code
//     does not depend on the text; the fake now names the group, as moto does.
//  3. CreateScheduleGroup of an existing name: AWS documents ConflictException (the fake agrees);
//     moto returns success. moto is wrong; the app no longer creates the group at all.
//  4. ListEntitiesForPolicy of a policy that does not exist: AWS documents NoSuchEntityException
//     (the fake agrees); moto returns empty lists. moto is wrong; revoke first checks the policy
//     with GetPolicy (ownership check), so it does not rely on either.
//  5. DeletePolicy of a policy still attached: AWS documents DeleteConflictException (the fake
//     agrees); moto deletes it. moto is wrong; revoke detaches everyone first anyway.
//  6. CreateSchedule of an existing name: ConflictException in both, HTTP 409 in AWS's model and
//     the fake, 400 from moto. The SDK reads the error code, not the status; no change.
//  7. Identity Center permission set ARNs: AWS documents
//     arn:<partition>:sso:::permissionSet/<ins-…>/ps-<16 chars> (the fake agrees); moto makes
//     arn:aws:sso:::instance/<ins-…>/ps-<16 chars>. moto is wrong; records and revoke accept only
//     the documented form, so moto's permission sets are exercised below only through the adapter
//     functions, never through a record.
//  8. CreatePermissionSet of a name that exists: AWS answers ConflictException (the fake agrees;
//     the adapter relies on it: a grant creates first and looks for the set only on that
//     conflict); moto creates a second one.
//  9. GetPolicyVersion's Document: AWS documents it URL-encoded (RFC 3986), as the fake returns it;
//     moto returns plain JSON. moto is wrong; decoding moto's JSON broke a repeated grant whose
//     policy contains "%" (URIError). Workaround: a document that already starts with "{" is
//     taken as it is (an encoded one starts "%7B") — tested below with a "%" in a condition.
// 10. AssumeRole of a role that does not exist: AWS denies it (AccessDenied); the fake does too;
//     moto hands out credentials for any role ARN. moto is lax; nothing here relies on the denial
//     (test/aws-iam.test.ts shows the denial on the fake).
//
// Identity Center: what moto 5.2.1 does not implement, so those paths stay on the fake
// (test/aws-identity-center.test.ts, test/attacks-revoke.test.ts):
//  - ProvisionPermissionSet and DescribePermissionSetProvisioningStatus (HTTP 500): a whole
//    identity-center grant cannot succeed on moto — below it fails at provisioning and must roll back;
//  - ListTagsForResource (HTTP 500): so revoke's tag check, listManaged (listPermissionSets) and the
//    check of an existing permission set's owner;
//  - provisioning state: ListPermissionSetsProvisionedToAccount and
//    ListAccountsForProvisionedPermissionSet are always empty, so "an earlier grant of the request
//    is already there" (repeated grants) cannot be shown.
// Also run under Node 24 (NODE24 in vitest.config.ts): the AWS SDK's HTTP client against moto, and git.
// @module-tag node24
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetPolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPoliciesCommand,
  ListPolicyTagsCommand,
} from "@aws-sdk/client-iam";
import {
  CreateUserCommand as CreateIdentityStoreUserCommand,
  IdentitystoreClient,
  ListUsersCommand,
  type IdentitystoreClientConfig,
} from "@aws-sdk/client-identitystore";
import { CreateScheduleGroupCommand, GetScheduleCommand, ListSchedulesCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import {
  CreatePermissionSetCommand,
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListPermissionSetsCommand,
  SSOAdminClient,
  type SSOAdminClientConfig,
} from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClientSettings } from "../src/aws/clients.js";
import { createGrants } from "../src/aws/grants.js";
import { assignedDirectly } from "../src/aws/bundles.js";
import {
  deleteAssignment,
  ensureAssignment,
  ensurePermissionSet,
  mappedUserId,
  removePermissionSet,
  userIdOf,
  type IcContext,
} from "../src/aws/identity-center.js";
import { grantTags, iamPolicyArn, permissionSetName } from "../src/aws/naming.js";
import { NotOwnedError, policyText } from "../src/aws/plan.js";
import { Journal } from "../src/aws/runtime.js";
import type { Grants } from "../src/aws/types.js";
import { configFromObject } from "../src/domain/config.js";
import type { Config } from "../src/domain/types.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { runSweep } from "../src/sweep/run.js";
import { testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { createGitRepo, seedActive, writeConfig } from "./support/git-repo.js";
import { MOTO_ACCOUNT, motoMissing as isMotoMissing, motoSettings, startMoto, type Moto } from "./support/moto.js";

const ACCOUNT = MOTO_ACCOUNT;
const REGION = "us-east-1";
const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
const STORE = "d-1111111111";
const SCHEDULER_ROLE = `arn:aws:iam::${ACCOUNT}:role/jit-access-scheduler`;

const motoMissing = isMotoMissing("test/aws-moto.test.ts");
const settings: ClientSettings = motoSettings(REGION);
let moto: Moto | undefined;
const reset = async (): Promise<void> => moto?.reset();

function config(mode: "iam" | "identity-center"): Config {
  const r = configFromObject({
    aws: {
      mode,
      region: REGION,
      accounts: { prod: ACCOUNT },
      scheduler_role_arn: SCHEDULER_ROLE,
      ...(mode === "identity-center" ? { identity_center: { instance_arn: INSTANCE, identity_store_id: STORE } } : {}),
    },
    principals: mode === "iam" ? { alice: { iam_user: "alice" }, bob: { iam_role: "bob-role" } } : { alice: { sso_user: "alice@example.com" } },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const iam = () => new IAMClient(settings);
const scheduler = () => new SchedulerClient(settings);
const grantsFor = (c: Config): Grants =>
  createGrants(c, {
    clientSettings: settings,
    sleep: async () => undefined,
    poll: { initialMs: 1, maxMs: 1, attempts: 5 },
    conflict: { initialMs: 1, maxMs: 1, attempts: 2 },
  });
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Everything jit-access could have left in moto: policies under its path, schedules in its group, attachments. */
async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const p of (await iam().send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/jit-access/" }))).Policies ?? []) out.push(`policy ${p.Arn}`);
  for (const s of (await scheduler().send(new ListSchedulesCommand({ GroupName: "jit-access" }))).Schedules ?? []) out.push(`schedule ${s.Name}`);
  for (const a of (await iam().send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).AttachedPolicies ?? []) out.push(`alice ${a.PolicyArn}`);
  for (const a of (await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: "bob-role" }))).AttachedPolicies ?? []) out.push(`bob-role ${a.PolicyArn}`);
  return out;
}

beforeAll(async () => {
  if (motoMissing) return;
  moto = await startMoto();
  // moto loads each service on its first call (seconds for Scheduler and STS): once, here.
  await Promise.all([
    new STSClient(settings as STSClientConfig).send(new GetCallerIdentityCommand({})),
    iam().send(new ListPoliciesCommand({ Scope: "Local", MaxItems: 1 })),
    scheduler().send(new ListSchedulesCommand({ MaxResults: 1 })),
    new SSOAdminClient(settings as SSOAdminClientConfig).send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE })),
    new IdentitystoreClient(settings as IdentitystoreClientConfig).send(new ListUsersCommand({ IdentityStoreId: STORE })),
  ]);
}, 40_000);

afterAll(() => {
  moto?.stop();
});

describe.skipIf(motoMissing)("the AWS adapter against moto: IAM mode, Scheduler, the sweep", () => {
  beforeEach(async () => {
    await reset();
    await iam().send(new CreateUserCommand({ UserName: "alice" }));
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }],
    });
    await iam().send(new CreateRoleCommand({ RoleName: "bob-role", AssumeRolePolicyDocument: trust }));
    await scheduler().send(new CreateScheduleGroupCommand({ Name: "jit-access" }));
  });

  it("grants to a user: a tagged policy under /jit-access/, both schedules in group jit-access, attached; a repeated grant changes nothing", async () => {
    const grants = grantsFor(config("iam"));
    const expiresAt = inAnHour();
    const request = testRequest({ id: "142-financial-reports" });
    const first = await grants.grant(request, testPolicy(), expiresAt, { prUrl: "https://github.com/acme/access/pull/7" });
    const arn = iamPolicyArn("aws", ACCOUNT, request.id);
    expect(first).toMatchObject({
      mode: "iam",
      accountId: ACCOUNT,
      resources: [arn],
      schedules: ["jit-142-financial-reports", "jit-142-financial-reports-delete"],
      changed: true,
    });

    const policy = (await iam().send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    expect([policy?.Path, policy?.PolicyName]).toEqual(["/jit-access/", "jit-142-financial-reports"]);
    const tags = (await iam().send(new ListPolicyTagsCommand({ PolicyArn: arn }))).Tags;
    expect(tags).toEqual(expect.arrayContaining(grantTags(request.id, expiresAt, "https://github.com/acme/access/pull/7")));
    expect((await iam().send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([arn]);
    const revoke = await scheduler().send(new GetScheduleCommand({ Name: "jit-142-financial-reports", GroupName: "jit-access" }));
    expect(revoke.ScheduleExpression).toBe(`at(${expiresAt.slice(0, 19)})`);
    expect([revoke.Target?.Arn, revoke.Target?.RoleArn, JSON.parse(revoke.Target?.Input ?? "{}")]).toEqual([
      "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy",
      SCHEDULER_ROLE,
      { UserName: "alice", PolicyArn: arn },
    ]);

    const again = await grants.grant(request, testPolicy(), expiresAt);
    expect(again).toMatchObject({ resources: [arn], schedules: first.schedules, changed: false });
    expect((await leftovers()).length).toBe(4); // one policy, two schedules, one attachment
  });

  it('a repeated grant of a policy with a "%" in it is still recognised as the same (moto returns documents unencoded)', async () => {
    const grants = grantsFor(config("iam"));
    const expiresAt = inAnHour();
    const policy = testPolicy();
    policy.Statement[1] = { ...policy.Statement[1]!, Condition: { StringLike: { "s3:prefix": ["100%/*"] } } };
    const request = testRequest({ id: "143-percent" });
    expect((await grants.grant(request, policy, expiresAt)).changed).toBe(true);
    expect((await grants.grant(request, policy, expiresAt)).changed).toBe(false);
  });

  it("grants to a role, lists both grants as managed, revokes each: nothing left, and a second revoke finds nothing", async () => {
    const grants = grantsFor(config("iam"));
    const expiresAt = inAnHour();
    await grants.grant(testRequest({ id: "1-alice" }), testPolicy("a"), expiresAt);
    await grants.grant(testRequest({ id: "2-bob", requester: "bob" }), testPolicy("b"), expiresAt);
    expect((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: "bob-role" }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([
      iamPolicyArn("aws", ACCOUNT, "2-bob"),
    ]);

    const managed = await grants.listManaged();
    expect(managed.map((m) => [m.kind, m.name, m.requestId, m.expiresAt]).sort()).toEqual(
      [
        ["iam-policy", "jit-1-alice", "1-alice", expiresAt],
        ["iam-policy", "jit-2-bob", "2-bob", expiresAt],
        ["schedule", "jit-1-alice", "1-alice", expiresAt],
        ["schedule", "jit-1-alice-delete", "1-alice", new Date(Date.parse(expiresAt) + 600_000).toISOString().replace(/\.\d{3}Z$/, "Z")],
        ["schedule", "jit-2-bob", "2-bob", expiresAt],
        ["schedule", "jit-2-bob-delete", "2-bob", new Date(Date.parse(expiresAt) + 600_000).toISOString().replace(/\.\d{3}Z$/, "Z")],
      ].sort(),
    );

    for (const id of ["1-alice", "2-bob"]) {
      const r = await grants.revoke({ requestId: id, mode: "iam", accountId: ACCOUNT });
      expect(r.removed).toEqual(expect.arrayContaining([iamPolicyArn("aws", ACCOUNT, id), `schedule:jit-${id}`, `schedule:jit-${id}-delete`]));
      expect(await grants.revoke({ requestId: id, mode: "iam", accountId: ACCOUNT })).toMatchObject({ removed: [], alreadyGone: true });
    }
    expect(await leftovers()).toEqual([]);
    expect(await grants.listManaged()).toEqual([]);
  });

  it("grants in another account through its role_arn (moto's STS maps the assumed role's keys to that account), and refuses an account the credentials are not in", async () => {
    const OTHER = "222222222222";
    const roleArn = `arn:aws:iam::${OTHER}:role/jit-access`;
    const assumed = await new STSClient(settings as STSClientConfig).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "setup" }));
    const otherIam = new IAMClient({
      ...settings,
      credentials: {
        accessKeyId: assumed.Credentials!.AccessKeyId!,
        secretAccessKey: assumed.Credentials!.SecretAccessKey!,
        sessionToken: assumed.Credentials!.SessionToken!,
      },
    });
    await otherIam.send(new CreateUserCommand({ UserName: "alice" }));
    const base = config("iam");
    const c: Config = { ...base, aws: { ...base.aws, accounts: { ...base.aws.accounts, other: { id: OTHER, role_arn: roleArn }, wrong: "333333333333" } } };
    const grants = grantsFor(c);

    const r = await grants.grant(testRequest({ id: "10-cross", account: "other" }), testPolicy(), inAnHour());
    const arn = iamPolicyArn("aws", OTHER, "10-cross");
    expect([r.accountId, r.resources, r.schedules]).toEqual([OTHER, [arn], []]);
    expect(r.scheduleNote).toMatch(/not scheduled: aws.scheduler_role_arn is in account 123456789012, not 222222222222/);
    expect((await otherIam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([arn]);
    expect(await leftovers()).toEqual([]); // nothing in the home account
    expect((await grants.revoke({ requestId: "10-cross", mode: "iam", accountId: OTHER })).removed).toEqual(expect.arrayContaining([arn]));
    expect((await otherIam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).AttachedPolicies).toEqual([]);

    await expect(grants.grant(testRequest({ id: "11-wrong", account: "wrong" }), testPolicy(), inAnHour())).rejects.toThrow(
      /the AWS credentials for account 333333333333 are in account 123456789012 .*refusing to act/,
    );
    expect(await leftovers()).toEqual([]);
  });

  it("the sweep expires a due grant and reconciles an orphan; nothing is left behind", async () => {
    const c = config("iam");
    const grants = grantsFor(c);
    const repo = createGitRepo("jit-moto-");
    try {
      writeConfig(
        repo,
        `aws:\n  mode: iam\n  region: ${REGION}\n  accounts: { prod: "${ACCOUNT}" }\n  scheduler_role_arn: ${SCHEDULER_ROLE}\nprincipals:\n  alice: { iam_user: alice }\n  bob: { iam_role: bob-role }\n`,
      );
      const expiresAt = inAnHour();
      const due = await seedActive(repo, grants, { id: "7-due", expiresAt });
      repo.commitAll("seed");
      // In AWS without any request file: an orphan (a grant whose record was never written).
      // It expires later than the sweep below, so it is drift because it has no record.
      await grants.grant(testRequest({ id: "8-orphan", requester: "bob" }), testPolicy("o"), new Date(Date.parse(expiresAt) + 3_600_000).toISOString());
      const later = new Date(Date.parse(expiresAt) + 60_000);

      const report = await runSweep(
        { store: new GitRecordStore(repo.dir), config: c, grants: () => grants },
        { now: later, dryRun: false, reconcile: true, concurrency: 2 },
      );
      expect(report.failures).toEqual([]);
      expect(report.outcome?.due.map((d) => [d.id, d.result])).toEqual([["7-due", "expired"]]);
      expect(report.outcome?.due[0]?.removed).toEqual(expect.arrayContaining([due.resources[0], "attachment:user/alice"]));
      expect(report.outcome?.drift.map((d) => [d.requestId, d.reason, d.result])).toEqual([["8-orphan", "no-record", "removed"]]);
      expect(report.ok).toBe(true);
      expect(repo.git("show", `HEAD:${due.path}`)).toMatch(/^status: expired$/m);
      expect(await leftovers()).toEqual([]);

      const rerun = await runSweep(
        { store: new GitRecordStore(repo.dir), config: c, grants: () => grants },
        { now: later, dryRun: false, reconcile: true, concurrency: 2 },
      );
      expect([rerun.ok, rerun.plan.due.length, rerun.plan.drift?.length]).toEqual([true, 0, 0]);
    } finally {
      repo.cleanup();
    }
  });

  it("revoke leaves a policy jit-access did not create alone: ProdAdmin by name, an untagged jit-<id> by its tags", async () => {
    const grants = grantsFor(config("iam"));
    const doc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    const prodAdmin = (await iam().send(new CreatePolicyCommand({ PolicyName: "ProdAdmin", PolicyDocument: doc }))).Policy!.Arn!;
    const lookAlike = (await iam().send(new CreatePolicyCommand({ PolicyName: "jit-5-look-alike", Path: "/jit-access/", PolicyDocument: doc }))).Policy!.Arn!;
    for (const arn of [prodAdmin, lookAlike]) await iam().send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: arn }));

    await expect(grants.revoke({ requestId: "5-look-alike", mode: "iam", accountId: ACCOUNT, resources: [prodAdmin] })).rejects.toThrow(
      /the record names the resource .*ProdAdmin.*nothing was removed/,
    );
    await expect(grants.revoke({ requestId: "5-look-alike", mode: "iam", accountId: ACCOUNT })).rejects.toThrow(NotOwnedError);
    expect((await iam().send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual(
      [lookAlike, prodAdmin].sort(),
    );
    // Reconcile reports the untagged look-alike and leaves it.
    const report = await runSweep(
      {
        store: { list: async () => [], read: async () => undefined, write: async () => Promise.reject(new Error("no writes")) },
        config: config("iam"),
        grants: () => grants,
      },
      { now: new Date(), dryRun: false, reconcile: true, concurrency: 1 },
    );
    expect(report.plan.drift).toEqual([]);
    expect(report.warnings).toEqual([expect.stringContaining(`iam-policy ${lookAlike} carries no jit-access:request tag; jit-access did not create it`)]);
    expect((await iam().send(new GetPolicyCommand({ PolicyArn: lookAlike }))).Policy?.Arn).toBe(lookAlike);
  });

  it("without the jit-access schedule group the grant fails and leaves nothing (moto answers 500, not ResourceNotFoundException: see the top)", async () => {
    await reset();
    await iam().send(new CreateUserCommand({ UserName: "alice" }));
    await iam().send(new CreateRoleCommand({ RoleName: "bob-role", AssumeRolePolicyDocument: "{}" }));
    const grants = grantsFor(config("iam"));
    await expect(grants.grant(testRequest({ id: "9-no-group" }), testPolicy(), inAnHour())).rejects.toThrow(
      /^grant of 9-no-group failed: .*; rolled back, nothing is attached$/s,
    );
    expect(
      await leftovers().catch(async () => (await iam().send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: "/jit-access/" }))).Policies ?? []),
    ).toEqual([]);
  });
});

describe.skipIf(motoMissing)("Identity Center against moto: what moto implements", () => {
  const ctx = (): IcContext => ({
    sso: new SSOAdminClient(settings),
    instanceArn: INSTANCE,
    sleep: async () => undefined,
    poll: { initialMs: 1, maxMs: 1, attempts: 5 },
    conflict: { initialMs: 1, maxMs: 1, attempts: 2 },
  });
  const ids = () => new IdentitystoreClient(settings);
  beforeEach(reset);

  it("finds the user in the identity store by userName, and says clearly when there is none", async () => {
    const made = await ids().send(
      new CreateIdentityStoreUserCommand({
        IdentityStoreId: STORE,
        UserName: "alice@example.com",
        DisplayName: "Alice",
        Name: { GivenName: "Alice", FamilyName: "A" },
      }),
    );
    expect(await userIdOf(ids(), STORE, "alice@example.com")).toBe(made.UserId);
    await expect(userIdOf(ids(), STORE, "nobody@example.com")).rejects.toThrow(
      `there is no user named "nobody@example.com" in identity store ${STORE}; fix principals in the config`,
    );
  });

  it("maps a login by e-mail to the one user with it; none or several refuse with their codes (map_logins)", async () => {
    const user = (UserName: string, email: string) =>
      ids().send(
        new CreateIdentityStoreUserCommand({
          IdentityStoreId: STORE,
          UserName,
          DisplayName: UserName,
          Name: { GivenName: UserName, FamilyName: "X" },
          Emails: [{ Value: email, Type: "work", Primary: true }],
        }),
      );
    const dana = await user("dana.smith", "dana@example.com");
    await user("erin1", "erin@example.com");
    await user("erin2", "Erin@Example.com");
    expect(await mappedUserId(ids(), STORE, "email", "dana@example.com")).toBe(dana.UserId);
    await expect(mappedUserId(ids(), STORE, "email", "erin@example.com")).rejects.toMatchObject({ code: "aws.identity-ambiguous" });
    await expect(mappedUserId(ids(), STORE, "email", "nobody@example.com")).rejects.toMatchObject({ code: "aws.identity-unmapped" });
    expect(await mappedUserId(ids(), STORE, "user_name", "dana.smith")).toBe(dana.UserId);
    await expect(mappedUserId(ids(), STORE, "user_name", "nobody")).rejects.toMatchObject({ code: "aws.identity-unmapped" });
  });

  it("creates the request's permission set with its inline policy, assigns and unassigns it, and removes it", async () => {
    const c = ctx();
    const journal = new Journal();
    const document = policyText(testPolicy());
    const ps = await ensurePermissionSet(c, journal, {
      requestId: "3-ic",
      accountId: ACCOUNT,
      document,
      sessionDuration: "PT2H",
      tags: grantTags("3-ic", inAnHour()),
    });
    expect([ps.existed, journal.entries.map((e) => e.outcome)]).toEqual([false, ["created"]]);
    const described = (await c.sso.send(new DescribePermissionSetCommand({ InstanceArn: INSTANCE, PermissionSetArn: ps.arn }))).PermissionSet;
    expect([described?.Name, described?.SessionDuration]).toEqual([permissionSetName("3-ic"), "PT2H"]);
    expect(
      JSON.parse((await c.sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: INSTANCE, PermissionSetArn: ps.arn }))).InlinePolicy ?? ""),
    ).toEqual(testPolicy());

    const userId = "90671234-aaaa-bbbb-cccc-dddddddddddd";
    expect(await ensureAssignment(c, journal, ps.arn, ACCOUNT, userId, false)).toBe(true);
    expect(await deleteAssignment(c, ps.arn, ACCOUNT, userId)).toBe(true);
    expect(await removePermissionSet(c, ps.arn, ACCOUNT)).toEqual([ps.arn]);
    expect((await c.sso.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE }))).PermissionSets ?? []).toEqual([]);
  });

  it("standing access to a catalogue permission set: an existing user assignment is seen, another user's or none is not (a whole bundle grant needs provisioning and tags, which moto lacks)", async () => {
    const c = ctx();
    const ps = (await c.sso.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "ReadOnly" }))).PermissionSet!.PermissionSetArn!;
    const alice = "90671234-aaaa-bbbb-cccc-dddddddddddd";
    const bob = "90675678-aaaa-bbbb-cccc-dddddddddddd";
    expect(await assignedDirectly(c, ps, ACCOUNT, alice)).toBe(false);
    expect(await ensureAssignment(c, new Journal(), ps, ACCOUNT, alice, false)).toBe(true);
    expect(await assignedDirectly(c, ps, ACCOUNT, alice)).toBe(true);
    expect(await assignedDirectly(c, ps, ACCOUNT, bob)).toBe(false);
    expect(await deleteAssignment(c, ps, ACCOUNT, alice)).toBe(true);
    expect(await assignedDirectly(c, ps, ACCOUNT, alice)).toBe(false);
  });

  it("a whole grant fails at provisioning (moto does not implement it) and rolls back: no permission set is left", async () => {
    await ids().send(
      new CreateIdentityStoreUserCommand({
        IdentityStoreId: STORE,
        UserName: "alice@example.com",
        DisplayName: "Alice",
        Name: { GivenName: "Alice", FamilyName: "A" },
      }),
    );
    await scheduler().send(new CreateScheduleGroupCommand({ Name: "jit-access" }));
    const grants = grantsFor(config("identity-center"));
    await expect(grants.grant(testRequest({ id: "4-ic" }), testPolicy(), inAnHour())).rejects.toThrow(
      /^grant of 4-ic failed: .*; rolled back, nothing is attached$/s,
    );
    expect((await ctx().sso.send(new ListPermissionSetsCommand({ InstanceArn: INSTANCE }))).PermissionSets ?? []).toEqual([]);
  });
});

describe.skipIf(motoMissing)("catalogue managed policy against moto: attach, schedule, standing access, detach only", () => {
  const POLICY = `arn:aws:iam::${ACCOUNT}:policy/ReadReports`;
  const ID = "5-read-reports";
  const bundleConfig = (): Config => ({
    ...config("iam"),
    catalogue: { "read-reports": { kind: "managed_policy", description: "read the reports", accounts: ["prod"], policy_arn: POLICY } },
  });
  const request = () => testRequest({ id: ID, catalogue: "read-reports", request: [], policy: undefined as never });
  const empty = { Version: "2012-10-17" as const, Statement: [] };
  const attached = async () => ((await iam().send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }))).AttachedPolicies ?? []).map((p) => p.PolicyArn);

  beforeEach(async () => {
    await reset();
    await iam().send(new CreateUserCommand({ UserName: "alice" }));
    await scheduler().send(new CreateScheduleGroupCommand({ Name: "jit-access" }));
    const document = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*" }] });
    await iam().send(new CreatePolicyCommand({ PolicyName: "ReadReports", PolicyDocument: document }));
  });

  it("attaches the existing policy after a detach-only schedule; revoke detaches it and never deletes the policy", async () => {
    const grants = grantsFor(bundleConfig());
    const expiresAt = inAnHour();
    const r = await grants.grant(request(), empty, expiresAt);
    expect(r).toMatchObject({ resources: [`attached:user/alice:${POLICY}`], schedules: [`jit-${ID}`], changed: true });
    expect(await attached()).toEqual([POLICY]);
    const s = await scheduler().send(new GetScheduleCommand({ Name: `jit-${ID}`, GroupName: "jit-access" }));
    expect([s.Target?.Arn, JSON.parse(s.Target?.Input ?? "{}")]).toEqual([
      "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy",
      { UserName: "alice", PolicyArn: POLICY },
    ]);
    // A rerun finds its own schedule and attachment.
    expect(await grants.grant(request(), empty, expiresAt)).toMatchObject({ changed: false });
    // A revoke without the record reads the attachment back from the schedule.
    const revoked = await grants.revoke({ requestId: ID, mode: "iam", accountId: ACCOUNT });
    expect(revoked.removed).toEqual([`attached:user/alice:${POLICY}`, `schedule:jit-${ID}`]);
    expect(await attached()).toEqual([]);
    expect((await iam().send(new GetPolicyCommand({ PolicyArn: POLICY }))).Policy?.Arn).toBe(POLICY);
    expect((await scheduler().send(new ListSchedulesCommand({ GroupName: "jit-access" }))).Schedules ?? []).toEqual([]);
  });

  it("standing access: an attachment made before the grant is refused and stays", async () => {
    await iam().send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: POLICY }));
    const grants = grantsFor(bundleConfig());
    await expect(grants.grant(request(), empty, inAnHour())).rejects.toThrow(/standing access/);
    await grants.revoke({ requestId: ID, mode: "iam", accountId: ACCOUNT });
    expect(await attached()).toEqual([POLICY]);
    expect((await scheduler().send(new ListSchedulesCommand({ GroupName: "jit-access" }))).Schedules ?? []).toEqual([]);
  });
});
