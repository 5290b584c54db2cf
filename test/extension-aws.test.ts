// Grants.extend against the fake AWS: the time condition, the expiry tag and the schedules move to
// the new expiry; nothing that jit-access did not create for the request is touched.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { storedAws, revokeTargetOf } from "../src/aws/plan.js";
import { expiryOf, stampGrant } from "../src/policy/stamp.js";
import { grantConditions } from "../src/domain/conditions.js";
import { resolveAccount } from "../src/domain/config.js";
import type { PolicyDocument } from "../src/domain/types.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { EXPIRES, fakeGrants, HOME, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

const LATER = "2026-11-27T20:00:00Z";
const request = testRequest({ id: "142-financial-reports" });
const schedulesOf = (account = HOME) =>
  Object.fromEntries([...(fake.state.accounts.get(account)?.scheduler.schedules.values() ?? [])].map((s) => [s.Name, s.ScheduleExpression]));

describe("Grants.extend", () => {
  it("iam: one policy version stamped with the new expiry, the expiry tag and both schedules moved, still attached", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    const granted = await grants.grant(request, testPolicy(), EXPIRES);
    expect(schedulesOf()).toEqual({ "jit-142-financial-reports": "at(2026-11-27T16:00:00)", "jit-142-financial-reports-delete": "at(2026-11-27T16:10:00)" });
    const target = revokeTargetOf(request.id, storedAws(granted), "iam");
    for (let i = 0; i < 6; i++) await grants.extend!(request, target, testPolicy(), LATER); // idempotent, and never over 5 versions
    const policy = fake.state.accounts.get(HOME)!.iam.policies.get(granted.resources[0]!)!;
    expect(policy.versions.size).toBe(1);
    const doc = JSON.parse([...policy.versions.values()][0]!.document) as PolicyDocument;
    expect(expiryOf(doc)).toBe(LATER);
    expect(policy.tags).toContainEqual({ Key: "jit-access:expires-at", Value: LATER });
    expect(schedulesOf()).toEqual({ "jit-142-financial-reports": "at(2026-11-27T20:00:00)", "jit-142-financial-reports-delete": "at(2026-11-27T20:10:00)" });
    expect(fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached).toEqual([granted.resources[0]]);
    // The revoke still removes everything (a single-version policy).
    await grants.revoke(target);
    expect(fake.state.accounts.get(HOME)!.iam.policies.size).toBe(0);
    expect(schedulesOf()).toEqual({});
  });

  it("identity-center: the permission set's policy replaced and re-provisioned, its tag and schedule moved", async () => {
    const grants = fakeGrants(fake, testConfig("identity-center"));
    const granted = await grants.grant(request, testPolicy(), EXPIRES);
    const target = revokeTargetOf(request.id, storedAws(granted), "identity-center");
    await grants.extend!(request, target, testPolicy(), LATER);
    const ps = fake.state.sso.permissionSets.get(granted.resources[0]!)!;
    expect(expiryOf(JSON.parse(ps.inlinePolicy) as PolicyDocument)).toBe(LATER);
    expect(ps.tags).toContainEqual({ Key: "jit-access:expires-at", Value: LATER });
    expect(Object.values(schedulesOf())).toEqual(["at(2026-11-27T20:00:00)"]);
  });

  it("refuses a grant that is gone, a target of another request, and an expiry in the past", async () => {
    const grants = fakeGrants(fake, testConfig("iam"));
    const granted = await grants.grant(request, testPolicy(), EXPIRES);
    const target = revokeTargetOf(request.id, storedAws(granted), "iam");
    await expect(grants.extend!(testRequest({ id: "143-other" }), target, testPolicy(), LATER)).rejects.toThrow(/not request/);
    await expect(grants.extend!(request, target, testPolicy(), "2026-11-01T00:00:00Z")).rejects.toThrow(/past|future|passed/i);
    await grants.revoke(target);
    await expect(grants.extend!(request, target, testPolicy(), LATER)).rejects.toThrow(/gone/);
    expect(fake.state.accounts.get(HOME)!.iam.policies.size).toBe(0);
  });
});

describe("Grants.extend stamps what a grant stamps", () => {
  // An extension is the same grant with a later end: the attached policy must carry the config's
  // condition blocks exactly as a fresh grant would, never the bare time condition.
  const BLOCKS = [
    { secure_transport: true },
    { source_ip: ["203.0.113.0/24"] },
    { region: ["eu-west-1"] },
    { s3_encryption: true },
    { secure_transport: true, source_vpce: ["vpce-0a1b2c3d4e5f60718"], region: ["eu-west-1", "us-east-1"] },
  ];
  it.each(["iam", "identity-center"] as const)("%s: for every condition config, the extended policy is the grant's stamp at the new end", async (mode) => {
    for (const conditions of BLOCKS) {
      fake.reset();
      seed(fake);
      const config = { ...testConfig(mode), conditions };
      const grants = fakeGrants(fake, config);
      const granted = await grants.grant(request, testPolicy(), EXPIRES);
      await grants.extend!(request, revokeTargetOf(request.id, storedAws(granted), mode), testPolicy(), LATER);
      const attached =
        mode === "iam"
          ? [...fake.state.accounts.get(HOME)!.iam.policies.get(granted.resources[0]!)!.versions.values()][0]!.document
          : fake.state.sso.permissionSets.get(granted.resources[0]!)!.inlinePolicy;
      const expected = stampGrant(testPolicy(), LATER, grantConditions(config, resolveAccount(config, request.account)?.alias));
      expect(JSON.parse(attached), JSON.stringify(conditions)).toEqual(expected);
    }
  });
});
