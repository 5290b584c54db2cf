// The identities adapter (src/aws/identities.ts) and the SES onboarding (src/notify/onboarding.ts)
// against moto, an emulator of AWS written independently of this project: IAM users and roles
// created under the path with their tags, policies and trust, updated, drift repaired, removed
// (with a hand-made access key); Identity Store users with group memberships; SES v2 SendEmail.
// Skipped, with a notice, where python3 has no moto.
//
// Where moto, the fake (test/support/fake-aws) and AWS's documentation disagree (moto 5.2.1):
//  1. SES v2 SendEmail from an unverified sender: AWS answers MessageRejected ("Email address is
//     not verified…"), as the fake does; moto answers MessageRejected too — agreed.
//  2. The SES sandbox: AWS refuses unverified recipients while the account is in the sandbox (the
//     fake does); moto does not model the sandbox and delivers to anyone. The sandbox message is
//     therefore tested on the fake (test/identities-apply.test.ts).
//  3. Identity Store users have no tags in AWS or moto; jit-access marks its users by UserType
//     "jit-access", which moto keeps. The fake's Identity Store does not model creating users, so
//     sso_user provisioning is tested here only.
//  4. AWS managed policies: moto knows none unless MOTO_IAM_LOAD_MANAGED_POLICIES is set (AttachUserPolicy
//     of arn:aws:iam::aws:policy/… is NoSuchEntity); AWS and the fake have them. The baselines here
//     are customer managed; AWS managed ones are tested on the fake.
// Also run under Node 24 (NODE24 in vitest.config.ts): the AWS SDK's HTTP client against moto.
// @module-tag node24
import { CreatePolicyCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateGroupCommand, IdentitystoreClient, ListGroupMembershipsCommand, ListUsersCommand } from "@aws-sdk/client-identitystore";
import { CreateEmailIdentityCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ClientSettings } from "../src/aws/clients.js";
import { createIdentityDirectory, STORE_USER_TYPE } from "../src/aws/identities.js";
import { configFromObject } from "../src/domain/config.js";
import { MANAGED_TAG } from "../src/domain/identities.js";
import { desiredIdentities, planIdentityChanges, type DesiredIdentity } from "../src/domain/identities-plan.js";
import type { Config } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { applyIdentityChanges } from "../src/lifecycle/identities.js";
import { reconcileIdentities } from "../src/lifecycle/identity-drift.js";
import { createOnboarder } from "../src/notify/onboarding.js";
import { checkIdentities } from "../src/policy/identity-baseline.js";
import { MOTO_ACCOUNT, motoMissing as isMotoMissing, motoSettings, startMoto, type Moto } from "./support/moto.js";

const REGION = "us-east-1";
const STORE = "d-1111111111";
const motoMissing = isMotoMissing("test/identities-moto.test.ts");
const settings: ClientSettings = motoSettings(REGION);
let moto: Moto | undefined;

beforeAll(async () => {
  if (!motoMissing) moto = await startMoto();
}, 30_000);
afterAll(() => moto?.stop());
beforeEach(async () => moto?.reset());

function config(mode: "iam" | "identity-center", onboarding: Record<string, unknown> = {}): Config {
  const r = configFromObject({
    aws: {
      mode,
      region: REGION,
      accounts: { prod: MOTO_ACCOUNT },
      ...(mode === "identity-center" ? { identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id: STORE } } : {}),
    },
    identities: { enabled: true, account: "prod", allowed_policies: ["ViewOnlyAccess", "team-readonly"], onboarding },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const PEOPLE = `version: 1
people:
  - login: frank
    email: frank@example.com
    name: Frank Example
    kind: iam_user
    policies:
      - customer_managed: team-readonly
      - generated:
          - { service: s3, access: [read], resources: [reports] }
`;
const ROLES = `version: 1
roles:
  - name: ci-deployer
    trust: { template: github-oidc, repository: acme/app, environment: prod }
`;

function desired(cfg: Config, people: string | undefined, roles?: string): DesiredIdentity[] {
  const r = checkIdentities(
    loadCatalogue(),
    [
      { path: "identities/people.yaml", text: people },
      { path: "identities/roles.yaml", text: roles },
    ],
    cfg,
  );
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return desiredIdentities(r.value, { config: cfg, accountId: MOTO_ACCOUNT, generated: r.value.generated });
}

const none = async () => ({ revoked: [], failed: [] });

describe.skipIf(motoMissing)("identities on moto", () => {
  it("IAM: create under the path with tags, policies and trust; update; drift repaired; remove (with a hand-made access key)", async () => {
    const cfg = config("iam");
    const iam = new IAMClient(settings);
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: "team-readonly",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }] }),
      }),
    );
    const directory = createIdentityDirectory(cfg, { clientSettings: settings });
    const want = desired(cfg, PEOPLE, ROLES);
    const created = await applyIdentityChanges({ directory, revokeGrantsOf: none }, planIdentityChanges(want, await directory.list(want)));
    expect(created.problems).toEqual([]);
    expect(created.applied.map((l) => l.split(" ").slice(0, 3).join(" "))).toEqual(["create iam_user frank", "create iam_role ci-deployer"]);

    const actual = await directory.list(want);
    const frank = actual.find((a) => a.name === "frank")!;
    expect(frank).toMatchObject({
      kind: "iam_user",
      path: "/jit-access-grantees/",
      managed: true,
      managedPolicies: [`arn:aws:iam::${MOTO_ACCOUNT}:policy/team-readonly`],
    });
    expect(frank.tags[MANAGED_TAG]).toBe("jit-access");
    expect(Object.keys(frank.inlinePolicies)).toEqual(["jit-access-baseline-1"]);
    const role = actual.find((a) => a.name === "ci-deployer")!;
    expect(role.trust).toContain("repo:acme/app:environment:prod");
    // Once applied, the plan is empty: moto answers what the adapter wrote in the form it reads.
    expect(planIdentityChanges(want, actual)).toEqual([]);

    // Drift: a policy attached by hand is taken off again by reconcile --apply.
    const { AttachUserPolicyCommand, CreateAccessKeyCommand } = await import("@aws-sdk/client-iam");
    const handMade = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "hand-made-admin",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: "frank", PolicyArn: handMade.Policy!.Arn! }));
    const ids = checkIdentities(
      loadCatalogue(),
      [
        { path: "identities/people.yaml", text: PEOPLE },
        { path: "identities/roles.yaml", text: ROLES },
      ],
      cfg,
    );
    if (!ids.ok) throw new Error("fixture");
    const drift = await reconcileIdentities(cfg, ids.value, directory, { apply: true });
    expect(drift.changed).toEqual([expect.stringContaining(`detach arn:aws:iam::${MOTO_ACCOUNT}:policy/hand-made-admin`)]);
    expect((await directory.list(want)).find((a) => a.name === "frank")!.managedPolicies).toEqual([`arn:aws:iam::${MOTO_ACCOUNT}:policy/team-readonly`]);

    // Removal: everything jit-access attached, the key someone made by hand, then the user.
    await iam.send(new CreateAccessKeyCommand({ UserName: "frank" }));
    const removed = await applyIdentityChanges({ directory, revokeGrantsOf: none }, planIdentityChanges([], await directory.list([])));
    expect(removed.problems).toEqual([]);
    expect(removed.applied.sort()).toEqual(["remove iam_role ci-deployer", "remove iam_user frank"]);
    expect(await directory.list(want)).toEqual([]);
  });

  it("IAM: a user of the same name outside the path is refused, never adopted or removed", async () => {
    const cfg = config("iam");
    await new IAMClient(settings).send(new CreateUserCommand({ UserName: "frank" }));
    const directory = createIdentityDirectory(cfg, { clientSettings: settings });
    const want = desired(cfg, PEOPLE.replace("      - customer_managed: team-readonly\n", ""));
    const plan = planIdentityChanges(want, await directory.list(want));
    expect(plan.map((c) => c.op)).toEqual(["refuse"]);
    const out = await applyIdentityChanges({ directory, revokeGrantsOf: none }, plan);
    expect(out.problems.map((p) => p.code)).toEqual(["identity.not-owned"]);
    await expect(directory.remove({ ...want[0]!, path: "/", managed: true })).rejects.toThrow(/not managed by jit-access/);
  });

  it("Identity Store: an sso_user with its group, marked by its user type; removed with its membership", async () => {
    const cfg = config("identity-center");
    const store = new IdentitystoreClient(settings);
    await store.send(new CreateGroupCommand({ IdentityStoreId: STORE, DisplayName: "developers" }));
    const directory = createIdentityDirectory(cfg, { clientSettings: settings });
    const want = desired(cfg, "version: 1\npeople:\n  - { login: dave, email: dave@example.com, name: Dave Example, kind: sso_user, groups: [developers] }\n");
    const out = await applyIdentityChanges({ directory, revokeGrantsOf: none }, planIdentityChanges(want, await directory.list(want)));
    expect(out.problems).toEqual([]);
    const users = (await store.send(new ListUsersCommand({ IdentityStoreId: STORE }))).Users ?? [];
    expect(users.map((u) => [u.UserName, u.UserType, u.DisplayName])).toEqual([["dave", STORE_USER_TYPE, "Dave Example"]]);
    const listed = await directory.list(want);
    expect(listed[0]).toMatchObject({ kind: "sso_user", name: "dave", managed: true, groups: ["developers"] });
    expect(planIdentityChanges(want, listed)).toEqual([]);

    await applyIdentityChanges({ directory, revokeGrantsOf: none }, planIdentityChanges([], listed));
    expect((await store.send(new ListUsersCommand({ IdentityStoreId: STORE }))).Users ?? []).toEqual([]);
    const groupId = (
      await store.send(
        new (await import("@aws-sdk/client-identitystore")).GetGroupIdCommand({
          IdentityStoreId: STORE,
          AlternateIdentifier: { UniqueAttribute: { AttributePath: "displayName", AttributeValue: "developers" } },
        }),
      )
    ).GroupId;
    expect((await store.send(new ListGroupMembershipsCommand({ IdentityStoreId: STORE, GroupId: groupId }))).GroupMemberships ?? []).toEqual([]);
  });

  it("SES v2: the onboarding e-mail from a verified sender is sent; an unverified sender is reported", async () => {
    const ses = new SESv2Client(settings);
    const person = desired(config("iam"), PEOPLE)[0]!;
    const unverified = await createOnboarder({ ses })(config("iam", { channel: "ses", sender: "jit@acme.example" }), person, "acme/access");
    expect(unverified).toMatchObject({ status: "failed", detail: expect.stringMatching(/not verified/) });
    await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: "jit@acme.example" }));
    const sent = await createOnboarder({ ses })(config("iam", { channel: "ses", sender: "jit@acme.example" }), person, "acme/access");
    expect(sent).toEqual({ login: "frank", status: "sent" });
  });
});
