// Config, requests and a Grants wired to the fake, for the AWS tests and scenario tests.

import type { AccessRequest, Config, PolicyDocument } from "../../../src/domain/types.js";
import { createGrants, type GrantsDeps } from "../../../src/aws/grants.js";
import type { FakeAws } from "./index.js";
import { testConfig as sharedTestConfig } from "../config-fixtures.js";

export const HOME = "111111111111";
export const OTHER = "222222222222";
export const NOW = new Date("2026-11-27T08:00:00Z");
export const EXPIRES = "2026-11-27T16:00:00Z";
export const SCHEDULER_ROLE = `arn:aws:iam::${HOME}:role/jit-access-scheduler`;
export const CROSS_ROLE = `arn:aws:iam::${OTHER}:role/jit-access`;

export function testConfig(mode: "iam" | "identity-center", extra: { aws?: Record<string, unknown>; principals?: Record<string, unknown> } = {}): Config {
  const principals =
    mode === "iam"
      ? { alice: { iam_user: "alice" }, bob: { iam_role: "bob-role" }, carol: { iam_user: "carol" } }
      : { alice: { sso_user: "alice@example.com" }, bob: { sso_user: "bob@example.com" } };
  return sharedTestConfig({
    aws: {
      mode,
      region: "us-east-1",
      accounts: { prod: HOME, other: { id: OTHER, role_arn: CROSS_ROLE } },
      scheduler_role_arn: SCHEDULER_ROLE,
      ...(mode === "identity-center"
        ? { identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id: "d-1111111111" } }
        : {}),
      ...(extra.aws as Partial<Config["aws"]>),
    },
    // `extra` is loosely typed; the loader validates the result.
    principals: { ...principals, ...extra.principals } as Config["principals"],
  });
}

export function testPolicy(bucket = "financial-reports"): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "S3ReadObject", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucket}/*`] },
      { Sid: "S3ListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [`arn:aws:s3:::${bucket}`] },
    ],
  };
}

export function testRequest(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    version: 1,
    id: "142-financial-reports",
    requester: "alice",
    account: "prod",
    duration: "8h",
    reason: "Quarter-end reconciliation",
    request: [{ service: "s3", access: ["read", "list"], resources: ["financial-reports"] }],
    policy: testPolicy(),
    ...overrides,
  };
}

/** Deps that make a Grants talk to the fake with no real waiting. */
export function fakeDeps(fake: FakeAws, extra: Partial<GrantsDeps> = {}): GrantsDeps {
  return {
    clients: fake.clients,
    clientSettings: fake.clientSettings,
    sleep: async () => undefined,
    now: () => NOW,
    poll: { initialMs: 1, maxMs: 1, attempts: 10 },
    conflict: { initialMs: 1, maxMs: 1, attempts: 5 },
    ...extra,
  };
}

export function fakeGrants(fake: FakeAws, config: Config, extra: Partial<GrantsDeps> = {}) {
  return createGrants(config, fakeDeps(fake, extra));
}

/** The usual seed: users and roles in both accounts, the cross-account role, SSO users, the schedule group. */
export function seed(fake: FakeAws): void {
  for (const account of [HOME, OTHER]) {
    fake.addUser(account, "alice");
    fake.addUser(account, "carol");
    fake.addRole(account, "bob-role");
    fake.addScheduleGroup(account);
  }
  fake.addRole(OTHER, "jit-access");
  fake.addSsoUser("alice@example.com");
  fake.addSsoUser("bob@example.com");
}
