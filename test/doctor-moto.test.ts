// doctor's AWS reads (src/doctor/aws-facts.ts) against moto, an AWS emulator written independently
// of this project, so that "missing" and "present" are read from real service answers and not
// only from our fake (test/doctor.test.ts). Skipped, with a notice, where python3 has no moto.
//
// Where moto 5.2.1 and AWS's documentation disagree (the documentation decides):
//  - ListInstances: moto makes up an instance whose IdentityStoreId (e.g. "d-zxpkx6vssq") is not
//    of the documented form d-[0-9a-f]{10}, so a config cannot name it (the config schema follows
//    the documentation); the identity store's answers are tested on the fake only.
//  - identitystore ListUsers answers an empty list for any IdentityStoreId; AWS (and the fake)
//    refuse a store that does not exist.
// Also run under Node 24 (NODE24 in vitest.config.ts): the AWS SDK's HTTP client against moto.
// @module-tag node24
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { ListInstancesCommand, SSOAdminClient, type SSOAdminClientConfig } from "@aws-sdk/client-sso-admin";
import { CreateScheduleGroupCommand, SchedulerClient, type SchedulerClientConfig } from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClientSettings } from "../src/aws/clients.js";
import { configFromObject } from "../src/domain/config.js";
import type { Config } from "../src/domain/types.js";
import { gatherAwsFacts } from "../src/doctor/aws-facts.js";
import { runChecks, type DoctorFacts } from "../src/doctor/checks.js";
import { MOTO_ACCOUNT, motoMissing as isMotoMissing, motoSettings, startMoto, type Moto } from "./support/moto.js";

const ACCOUNT = MOTO_ACCOUNT;
const REGION = "us-east-1";
const SCHEDULER_ROLE = `arn:aws:iam::${ACCOUNT}:role/jit-access-scheduler`;
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

const motoMissing = isMotoMissing("test/doctor-moto.test.ts");
const settings: ClientSettings = motoSettings(REGION);
let moto: Moto | undefined;
const reset = async (): Promise<void> => moto?.reset();

beforeAll(async () => {
  if (motoMissing) return;
  moto = await startMoto();
}, 40_000);

afterAll(() => {
  moto?.stop();
});

beforeEach(async () => {
  if (!motoMissing) await reset();
});

function configObject(ic?: { instance_arn: string; identity_store_id: string }, ssoUser = "alice@example.com"): Record<string, unknown> {
  return ic
    ? {
        aws: { mode: "identity-center", region: REGION, accounts: { prod: ACCOUNT }, scheduler_role_arn: SCHEDULER_ROLE, identity_center: ic },
        principals: { alice: { sso_user: ssoUser } },
      }
    : { aws: { mode: "iam", region: REGION, accounts: { prod: ACCOUNT }, scheduler_role_arn: SCHEDULER_ROLE }, principals: { alice: { iam_user: "alice" } } };
}

function config(raw: Record<string, unknown>): Config {
  const r = configFromObject(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

async function awsChecks(expectedAccount?: string, raw = configObject()) {
  const aws = await gatherAwsFacts(config(raw), settings);
  const facts: DoctorFacts = {
    github: {
      repo: "acme/access",
      defaultBranch: { ok: true, value: "main" },
      config: { ok: true, value: JSON.stringify(raw) },
      codeowners: { ok: true, value: undefined },
      labels: { ok: true, value: [] },
      installation: { ok: true, value: undefined },
      codeOwnerReview: { ok: true, value: { required: false } },
    },
    aws,
    slack: {},
    wantedLabels: [],
    wantedPermissions: {},
    appSlug: "jit-access",
    ...(expectedAccount ? { expectedAccount } : {}),
  };
  return Object.fromEntries(runChecks(facts).map((c) => [c.id, c]));
}

describe.skipIf(motoMissing)("doctor's AWS reads against moto", () => {
  it("nothing deployed: the role and the group are reported missing (not unreadable)", async () => {
    const c = await awsChecks();
    expect(c["aws-account"]).toMatchObject({ status: "ok" });
    expect(c["scheduler-role"]).toMatchObject({ status: "fail", message: `the role ${SCHEDULER_ROLE} does not exist` });
    expect(c["schedule-group"]).toMatchObject({ status: "fail", message: expect.stringMatching(/schedule group jit-access does not exist/) });
  });

  it("deployed: the role trusts the scheduler and the group is ACTIVE", async () => {
    await new IAMClient(settings).send(new CreateRoleCommand({ RoleName: "jit-access-scheduler", AssumeRolePolicyDocument: TRUST }));
    await new SchedulerClient(settings as SchedulerClientConfig).send(new CreateScheduleGroupCommand({ Name: "jit-access" }));
    const c = await awsChecks();
    expect(c["scheduler-role"]).toMatchObject({ status: "ok" });
    expect(c["schedule-group"]).toMatchObject({ status: "ok" });
  });

  it("a role that trusts another service fails; credentials of another account fail", async () => {
    await new IAMClient(settings).send(
      new CreateRoleCommand({ RoleName: "jit-access-scheduler", AssumeRolePolicyDocument: TRUST.replace("scheduler.", "lambda.") }),
    );
    const c = await awsChecks("222222222222");
    expect(c["scheduler-role"]).toMatchObject({ status: "fail", message: expect.stringMatching(/does not trust scheduler\.amazonaws\.com/) });
    expect(c["aws-account"]).toMatchObject({ status: "fail", message: expect.stringMatching(new RegExp(`account ${ACCOUNT} .*not 222222222222`)) });
  });

  it("Identity Center: a config naming another instance, or another identity store, fails with the fix naming moto's", async () => {
    const instances = (await new SSOAdminClient(settings as SSOAdminClientConfig).send(new ListInstancesCommand({}))).Instances ?? [];
    const arn = instances[0]?.InstanceArn ?? "?";
    const store = instances[0]?.IdentityStoreId ?? "?";
    const other = await awsChecks(
      undefined,
      configObject({ instance_arn: "arn:aws:sso:::instance/ssoins-0000000000000000", identity_store_id: "d-1111111111" }),
    );
    expect(other["identity-center"]).toMatchObject({ status: "fail", fix: `set aws.identity_center.instance_arn to ${arn}` });
    // moto's store id is not of AWS's documented form (see the header), so the config cannot name it.
    const wrongStore = await awsChecks(undefined, configObject({ instance_arn: arn, identity_store_id: "d-1111111111" }));
    expect(wrongStore["identity-center"]).toMatchObject({ status: "fail", fix: `set aws.identity_center.identity_store_id to ${store}` });
    expect(wrongStore["identity-store"]?.status).not.toBe("ok");
  });
});
