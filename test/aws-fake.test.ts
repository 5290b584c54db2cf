// The fake AWS enforces what real AWS enforces, through the real SDK clients.

import * as iam from "@aws-sdk/client-iam";
import * as scheduler from "@aws-sdk/client-scheduler";
import * as sso from "@aws-sdk/client-sso-admin";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createFakeAws } from "./support/fake-aws/index.js";
import { HOME, seed } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
const doc = (chars: number) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"b".repeat(chars)}` }] });
const reject = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected an error"),
    (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number; attempts?: number } },
  );

describe("fake IAM", () => {
  it("errors are the SDK's own exception classes, named by AWS error code", async () => {
    const e = await reject(fake.clients.iam.send(new iam.GetPolicyCommand({ PolicyArn: `arn:aws:iam::${HOME}:policy/nope` })));
    expect(e).toBeInstanceOf(iam.NoSuchEntityException);
    expect(e.name).toBe("NoSuchEntityException");
    expect(e.$metadata.attempts).toBe(1); // not retried
  });

  it("managed policy size: 6,144 characters without whitespace", async () => {
    const base = doc(0).length;
    await fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "ok", PolicyDocument: doc(6144 - base) + " ".repeat(50) }));
    const e = await reject(fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "big", PolicyDocument: doc(6145 - base) })));
    expect(e).toBeInstanceOf(iam.LimitExceededException);
    expect(e.message).toBe("Cannot exceed quota for PolicySize: 6144");
  });

  it("names: pattern and 128 characters; duplicates are EntityAlreadyExists", async () => {
    await expect(fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "x".repeat(129), PolicyDocument: doc(1) }))).rejects.toBeInstanceOf(
      iam.InvalidInputException,
    );
    await expect(fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "a b", PolicyDocument: doc(1) }))).rejects.toBeInstanceOf(
      iam.InvalidInputException,
    );
    await fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "p", PolicyDocument: doc(1) }));
    await expect(fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "p", Path: "/other/", PolicyDocument: doc(1) }))).rejects.toBeInstanceOf(
      iam.EntityAlreadyExistsException,
    );
    await expect(fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "q", PolicyDocument: "{" }))).rejects.toBeInstanceOf(
      iam.MalformedPolicyDocumentException,
    );
  });

  it("10 managed policies per user (LimitExceeded); attaching twice is a no-op; NoSuchEntity for unknown users", async () => {
    fake.addUser(
      HOME,
      "full",
      Array.from({ length: 10 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`),
    );
    const out = await fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "p", PolicyDocument: doc(1) }));
    const arn = out.Policy!.Arn!;
    const e = await reject(fake.clients.iam.send(new iam.AttachUserPolicyCommand({ UserName: "full", PolicyArn: arn })));
    expect(e).toBeInstanceOf(iam.LimitExceededException);
    expect(e.message).toBe("Cannot exceed quota for PoliciesPerUser: 10");
    // The SDK classifies LimitExceededException as throttling and retries it, as with real AWS.
    expect(e.$metadata.attempts).toBe(4);
    await fake.clients.iam.send(new iam.AttachUserPolicyCommand({ UserName: "alice", PolicyArn: arn }));
    await fake.clients.iam.send(new iam.AttachUserPolicyCommand({ UserName: "alice", PolicyArn: arn }));
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([arn]);
    await expect(fake.clients.iam.send(new iam.AttachUserPolicyCommand({ UserName: "nobody", PolicyArn: arn }))).rejects.toBeInstanceOf(
      iam.NoSuchEntityException,
    );
    await expect(fake.clients.iam.send(new iam.DetachUserPolicyCommand({ UserName: "carol", PolicyArn: arn }))).rejects.toBeInstanceOf(
      iam.NoSuchEntityException,
    );
  });

  it("DeleteConflict for an attached policy and for one with non-default versions", async () => {
    const arn = (await fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "p", PolicyDocument: doc(1) }))).Policy!.Arn!;
    await fake.clients.iam.send(new iam.AttachRolePolicyCommand({ RoleName: "bob-role", PolicyArn: arn }));
    await expect(fake.clients.iam.send(new iam.DeletePolicyCommand({ PolicyArn: arn }))).rejects.toBeInstanceOf(iam.DeleteConflictException);
    await fake.clients.iam.send(new iam.DetachRolePolicyCommand({ RoleName: "bob-role", PolicyArn: arn }));
    await fake.clients.iam.send(new iam.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(2) }));
    await expect(fake.clients.iam.send(new iam.DeletePolicyCommand({ PolicyArn: arn }))).rejects.toBeInstanceOf(iam.DeleteConflictException);
    await expect(fake.clients.iam.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }))).rejects.toBeInstanceOf(
      iam.DeleteConflictException,
    );
    await fake.clients.iam.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
    await fake.clients.iam.send(new iam.DeletePolicyCommand({ PolicyArn: arn }));
    const version = fake.clients.iam.send(new iam.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    await expect(version).rejects.toBeInstanceOf(iam.NoSuchEntityException);
  });

  it("GetPolicyVersion returns the document URL-encoded, as IAM does", async () => {
    const arn = (await fake.clients.iam.send(new iam.CreatePolicyCommand({ PolicyName: "p", PolicyDocument: doc(1) }))).Policy!.Arn!;
    const v = await fake.clients.iam.send(new iam.GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
    expect(v.PolicyVersion!.Document).toBe(encodeURIComponent(doc(1)));
  });

  it("inline policies: 2,048 characters in total per user", async () => {
    await fake.clients.iam.send(new iam.PutUserPolicyCommand({ UserName: "alice", PolicyName: "a", PolicyDocument: doc(1000) }));
    await expect(fake.clients.iam.send(new iam.PutUserPolicyCommand({ UserName: "alice", PolicyName: "b", PolicyDocument: doc(1000) }))).rejects.toBeInstanceOf(
      iam.LimitExceededException,
    );
    await fake.clients.iam.send(new iam.PutRolePolicyCommand({ RoleName: "bob-role", PolicyName: "b", PolicyDocument: doc(5000) }));
  });
});

describe("fake Identity Center", () => {
  it("permission set names ≤ 32 characters; session duration PT1H..PT12H; duplicates ConflictException", async () => {
    const create = (Name: string, SessionDuration?: string) =>
      fake.clients.ssoAdmin.send(new sso.CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name, ...(SessionDuration ? { SessionDuration } : {}) }));
    await expect(create("x".repeat(33))).rejects.toBeInstanceOf(sso.ValidationException);
    await expect(create("a", "PT30M")).rejects.toBeInstanceOf(sso.ValidationException);
    await expect(create("a", "PT13H")).rejects.toBeInstanceOf(sso.ValidationException);
    await expect(create("a", "8h")).rejects.toBeInstanceOf(sso.ValidationException);
    await create("x".repeat(32), "PT12H");
    await expect(create("x".repeat(32), "PT8H")).rejects.toBeInstanceOf(sso.ConflictException);
  });

  it("inline policy limit: 10,240 characters without whitespace", async () => {
    const arn = (await fake.clients.ssoAdmin.send(new sso.CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "p" }))).PermissionSet!.PermissionSetArn!;
    const put = (d: string) =>
      fake.clients.ssoAdmin.send(new sso.PutInlinePolicyToPermissionSetCommand({ InstanceArn: INSTANCE, PermissionSetArn: arn, InlinePolicy: d }));
    await put(doc(10_240 - doc(0).length));
    await expect(put(doc(10_241 - doc(0).length))).rejects.toBeInstanceOf(sso.ValidationException);
  });

  it("assignments are asynchronous: IN_PROGRESS, then SUCCEEDED after the configured polls", async () => {
    const arn = (await fake.clients.ssoAdmin.send(new sso.CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "p" }))).PermissionSet!.PermissionSetArn!;
    const userId = fake.state.sso.users.get("alice@example.com")!;
    const started = await fake.clients.ssoAdmin.send(
      new sso.CreateAccountAssignmentCommand({
        InstanceArn: INSTANCE,
        PermissionSetArn: arn,
        TargetId: HOME,
        TargetType: "AWS_ACCOUNT",
        PrincipalType: "USER",
        PrincipalId: userId,
      }),
    );
    const id = started.AccountAssignmentCreationStatus!.RequestId!;
    expect(started.AccountAssignmentCreationStatus!.Status).toBe("IN_PROGRESS");
    const poll = async () =>
      (
        await fake.clients.ssoAdmin.send(
          new sso.DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: INSTANCE, AccountAssignmentCreationRequestId: id }),
        )
      ).AccountAssignmentCreationStatus!.Status;
    expect(await poll()).toBe("IN_PROGRESS");
    expect(fake.state.sso.assignments.size).toBe(0);
    expect(await poll()).toBe("SUCCEEDED");
    expect(fake.state.sso.assignments.size).toBe(1);
    await expect(fake.clients.ssoAdmin.send(new sso.DeletePermissionSetCommand({ InstanceArn: INSTANCE, PermissionSetArn: arn }))).rejects.toBeInstanceOf(
      sso.ConflictException,
    );
  });

  it("an unknown principal is ResourceNotFound; the admin API refuses other accounts' credentials", async () => {
    const arn = (await fake.clients.ssoAdmin.send(new sso.CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "p" }))).PermissionSet!.PermissionSetArn!;
    await expect(
      fake.clients.ssoAdmin.send(
        new sso.CreateAccountAssignmentCommand({
          InstanceArn: INSTANCE,
          PermissionSetArn: arn,
          TargetId: HOME,
          TargetType: "AWS_ACCOUNT",
          PrincipalType: "USER",
          PrincipalId: "nobody",
        }),
      ),
    ).rejects.toBeInstanceOf(sso.ResourceNotFoundException);
  });
});

describe("fake Scheduler", () => {
  const input = (Name: string, extra: Partial<scheduler.CreateScheduleCommandInput> = {}): scheduler.CreateScheduleCommandInput => ({
    Name,
    GroupName: "jit-access",
    ScheduleExpression: "at(2026-11-27T16:00:00)",
    FlexibleTimeWindow: { Mode: "OFF" },
    Target: { Arn: "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy", RoleArn: `arn:aws:iam::${HOME}:role/s`, Input: "{}" },
    ...extra,
  });

  it("names ≤ 64 characters; duplicates ConflictException; missing group ResourceNotFound; read-only universal targets refused", async () => {
    await expect(fake.clients.scheduler.send(new scheduler.CreateScheduleCommand(input("x".repeat(65))))).rejects.toBeInstanceOf(scheduler.ValidationException);
    await fake.clients.scheduler.send(new scheduler.CreateScheduleCommand(input("x".repeat(64))));
    await expect(fake.clients.scheduler.send(new scheduler.CreateScheduleCommand(input("x".repeat(64))))).rejects.toBeInstanceOf(scheduler.ConflictException);
    await expect(fake.clients.scheduler.send(new scheduler.CreateScheduleCommand(input("g", { GroupName: "nope" })))).rejects.toBeInstanceOf(
      scheduler.ResourceNotFoundException,
    );
    await expect(
      fake.clients.scheduler.send(
        new scheduler.CreateScheduleCommand(
          input("r", { Target: { Arn: "arn:aws:scheduler:::aws-sdk:iam:listPolicies", RoleArn: `arn:aws:iam::${HOME}:role/s` } }),
        ),
      ),
    ).rejects.toThrow(/read-only/);
    await expect(fake.clients.scheduler.send(new scheduler.CreateScheduleCommand(input("e", { ScheduleExpression: "at(tomorrow)" })))).rejects.toBeInstanceOf(
      scheduler.ValidationException,
    );
  });

  it("a fired universal target with wrong parameter names fails like the API would", async () => {
    await fake.clients.scheduler.send(
      new scheduler.CreateScheduleCommand(
        input("camel", {
          Target: { Arn: "arn:aws:scheduler:::aws-sdk:iam:detachUserPolicy", RoleArn: `arn:aws:iam::${HOME}:role/s`, Input: '{"userName":"alice"}' },
        }),
      ),
    );
    const [inv] = fake.fireDueSchedules(new Date("2026-11-27T16:00:00Z"));
    expect(inv?.error).toMatch(/InvalidInputException/);
    expect(fake.state.accounts.get(HOME)!.scheduler.schedules.size).toBe(1); // ActionAfterCompletion NONE
  });
});

describe("fake plumbing", () => {
  it("injected throttling is retried by the SDK's retry middleware; a crash is not", async () => {
    fake.faults.add({ kind: "throttle", service: "iam", op: "ListPolicies", times: 2 });
    const out = await fake.clients.iam.send(new iam.ListPoliciesCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    fake.faults.add({ kind: "server-error", service: "iam", op: "ListPolicies" });
    expect((await fake.clients.iam.send(new iam.ListPoliciesCommand({}))).$metadata.attempts).toBe(2);
    fake.faults.add({ kind: "crash", service: "iam", op: "ListPolicies" });
    const e = await reject(fake.clients.iam.send(new iam.ListPoliciesCommand({})));
    expect(e.name).toBe("InjectedCrash");
    expect(e.$metadata.attempts).toBe(1);
  });

  it("any new client of the patched classes is faked, and unknown credentials are refused", async () => {
    const client = new STSClient({ ...fake.clientSettings, credentials: { accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" } });
    await expect(client.send(new GetCallerIdentityCommand({}))).rejects.toThrow(/security token included in the request is invalid/);
    const known = new STSClient(fake.clientSettings);
    expect((await known.send(new GetCallerIdentityCommand({}))).Account).toBe(HOME);
  });
});
