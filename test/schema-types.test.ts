// Keeps src/domain/types.ts in step with schemas/*.schema.json. Each `keys` object below must
// list every key of its TypeScript type (tsc fails when the type gains a key that is not listed,
// or loses one that is), and the test fails when the schema's properties differ from the list.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configFromObject, defaultConfig, parseConfig } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import { configSchema, requestSchema } from "../src/domain/schema.js";
import type {
  AccessRequest,
  AccountEntry,
  ActivityRecord,
  CatalogueEntry,
  ClosedRecord,
  Config,
  LoginMapping,
  GrantAccountRecord,
  GrantRecord,
  PolicyDocument,
  RequestItem,
  ScheduledRecord,
  Statement,
} from "../src/domain/types.js";

type Schema = { properties?: Record<string, Schema>; $defs?: Record<string, Schema>; $ref?: string };
const req = requestSchema as Schema;
const cfg = configSchema as Schema;

/** The schema node at a $defs name, or a property path, following one $ref. */
function node(root: Schema, path: string[]): Schema {
  let at: Schema = root;
  for (const key of path) {
    const next = at.properties?.[key] ?? (at === root ? root.$defs?.[key] : undefined);
    if (!next) throw new Error(`schema has no ${path.join(".")}`);
    at = next.$ref ? (root.$defs?.[next.$ref.replace("#/$defs/", "")] ?? next) : next;
  }
  return at;
}
const propertyKeys = (s: Schema): string[] => Object.keys(s.properties ?? {}).sort();
const listed = (keys: Record<string, true>): string[] => Object.keys(keys).sort();

const accessRequestKeys: Record<keyof AccessRequest, true> = {
  version: true,
  id: true,
  requester: true,
  account: true,
  accounts: true,
  principal: true,
  duration: true,
  reason: true,
  request: true,
  catalogue: true,
  description: true,
  policy: true,
  generator: true,
  proposed: true,
  status: true,
  grant: true,
  closed: true,
  activity: true,
  extends: true,
  starts_at: true,
  scheduled: true,
};
const requestItemKeys: Record<keyof RequestItem, true> = { service: true, access: true, resources: true, actions: true };
const grantKeys: Record<keyof GrantRecord, true> = {
  approved_by: true,
  merge_commit: true,
  pr: true,
  granted_at: true,
  expires_at: true,
  aws: true,
  auto_approval: true,
  break_glass: true,
  extensions: true,
};
const scheduledKeys: Record<keyof ScheduledRecord, true> = {
  approved_by: true,
  merge_commit: true,
  pr: true,
  approved_at: true,
  starts_at: true,
  expires_at: true,
  risk: true,
  auto_approval: true,
  break_glass: true,
};
const grantAwsKeys: Record<keyof NonNullable<GrantRecord["aws"]>, true> = { mode: true, account_id: true, resources: true, schedule: true, accounts: true };
const grantAccountKeys: Record<keyof GrantAccountRecord, true> = { account_id: true, resources: true, schedule: true };
const closedKeys: Record<keyof ClosedRecord, true> = { at: true, reason: true, by: true, code: true };
const policyKeys: Record<keyof PolicyDocument, true> = { Version: true, Id: true, Statement: true };
const statementKeys: Record<keyof Statement, true> = { Sid: true, Effect: true, Action: true, Resource: true, Condition: true };

const configKeys: Record<keyof Config, true> = {
  aws: true,
  principals: true,
  approvers: true,
  required_approvals: true,
  allowed_services: true,
  denied_actions: true,
  allowed_dangerous_actions: true,
  default_duration: true,
  max_duration: true,
  ai: true,
  notifications: true,
  activity: true,
  auto_approve: true,
  break_glass: true,
  conditions: true,
  catalogue: true,
  pending_ttl: true,
  max_total_duration: true,
  identities: true,
};
const configAwsKeys: Record<keyof Config["aws"], true> = {
  mode: true,
  region: true,
  partition: true,
  accounts: true,
  account_groups: true,
  allow_any_account: true,
  scheduler_role_arn: true,
  identity_center: true,
};
const identityCenterKeys: Record<keyof NonNullable<Config["aws"]["identity_center"]>, true> = {
  instance_arn: true,
  identity_store_id: true,
  map_logins: true,
};
const loginMappingKeys: Record<keyof LoginMapping, true> = { attribute: true, format: true };
const catalogueEntryKeys: Record<keyof CatalogueEntry, true> = {
  kind: true,
  description: true,
  accounts: true,
  permission_set: true,
  role: true,
  policy_arn: true,
  request: true,
  risk: true,
  max_duration: true,
  approvers: true,
  required_approvals: true,
  eligible: true,
};
const approvalsKeys: Record<keyof Config["required_approvals"], true> = { low: true, medium: true, high: true };
const aiKeys: Record<keyof Config["ai"], true> = { provider: true, model: true, timeout_seconds: true };
const notificationsKeys: Record<keyof Config["notifications"], true> = { slack_webhook_env: true };
const conditionsKeys: Record<keyof NonNullable<Config["conditions"]>, true> = {
  secure_transport: true,
  source_ip: true,
  source_vpc: true,
  source_vpce: true,
  mfa: true,
  s3_encryption: true,
  region: true,
};
const accountEntryKeys: Record<keyof AccountEntry, true> = { id: true, role_arn: true, conditions: true, max_duration: true, eligible: true };
const activityConfigKeys: Record<keyof Config["activity"], true> = { enabled: true, lookback_padding: true };
const identitiesConfigKeys: Record<keyof Config["identities"], true> = { enabled: true, account: true, path: true, allowed_policies: true, onboarding: true };
const onboardingKeys: Record<keyof Config["identities"]["onboarding"], true> = { channel: true, sender: true, region: true, sign_in_url: true };
const activityKeys: Record<keyof ActivityRecord, true> = {
  status: true,
  code: true,
  looked_up_at: true,
  window: true,
  truncated: true,
  total: true,
  denied_total: true,
  services: true,
  denied: true,
  used: true,
  unused: true,
  unused_total: true,
  data_events_visible: true,
};
const activityDeniedKeys: Record<keyof NonNullable<ActivityRecord["denied"]>[number], true> = { at: true, action: true, error: true, resource: true };

describe("types.ts and the schemas have the same fields", () => {
  it.each([
    ["AccessRequest", accessRequestKeys, req],
    ["RequestItem", requestItemKeys, node(req, ["requestItem"])],
    ["GrantRecord", grantKeys, node(req, ["grant"])],
    ["GrantRecord.aws", grantAwsKeys, node(req, ["grant", "aws"])],
    ["ScheduledRecord", scheduledKeys, node(req, ["scheduled"])],
    ["GrantRecord.aws.accounts[]", grantAccountKeys, (node(req, ["grant", "aws", "accounts"]) as { items: Schema }).items],
    ["ClosedRecord", closedKeys, node(req, ["closed"])],
    ["PolicyDocument", policyKeys, node(req, ["policy"])],
    ["Statement", statementKeys, node(req, ["statement"])],
    ["Config", configKeys, cfg],
    ["Config.aws", configAwsKeys, node(cfg, ["aws"])],
    ["Config.aws.identity_center", identityCenterKeys, node(cfg, ["aws", "identity_center"])],
    ["Config.aws.identity_center.map_logins", loginMappingKeys, node(cfg, ["aws", "identity_center", "map_logins"])],
    ["Config.catalogue.*", catalogueEntryKeys, (node(cfg, ["catalogue"]) as { additionalProperties: Schema }).additionalProperties],
    [
      "Config.aws.accounts.* (object)",
      accountEntryKeys,
      (node(cfg, ["aws", "accounts"]) as { additionalProperties: { oneOf: Schema[] } }).additionalProperties.oneOf[1]!,
    ],
    ["Config.required_approvals", approvalsKeys, node(cfg, ["required_approvals"])],
    ["Config.ai", aiKeys, node(cfg, ["ai"])],
    ["Config.notifications", notificationsKeys, node(cfg, ["notifications"])],
    ["Config.activity", activityConfigKeys, node(cfg, ["activity"])],
    ["Config.conditions", conditionsKeys, node(cfg, ["conditions"])],
    [
      "Config.aws.accounts.<alias>",
      accountEntryKeys,
      (node(cfg, ["aws", "accounts"]) as { additionalProperties: { oneOf: Schema[] } }).additionalProperties.oneOf[1] as Schema,
    ],
    ["Config.identities", identitiesConfigKeys, node(cfg, ["identities"])],
    ["Config.identities.onboarding", onboardingKeys, node(cfg, ["identities", "onboarding"])],
    ["ActivityRecord", activityKeys, node(req, ["activity"])],
    ["ActivityRecord.denied[]", activityDeniedKeys, (node(req, ["activity", "denied"]) as { items: Schema }).items],
  ] as const)("%s", (_name, keys, schema) => {
    expect(listed(keys)).toEqual(propertyKeys(schema));
  });

  it("the request schema's required fields are the type's non-optional ones", () => {
    // Optional in the type ⇔ not required in the schema (checked for the top level).
    const required: Array<keyof AccessRequest> = ["version", "id", "requester", "account", "duration", "reason", "request"];
    expect([...((requestSchema as { required?: string[] }).required ?? [])].sort()).toEqual([...required].sort());
  });

  it("the schema enums match the type unions", () => {
    const levels: Record<NonNullable<RequestItem["access"]>[number], true> = {
      read: true,
      list: true,
      write: true,
      tagging: true,
      "permissions-management": true,
    };
    const statuses: Record<NonNullable<AccessRequest["status"]>, true> = {
      proposed: true,
      scheduled: true,
      active: true,
      expired: true,
      revoked: true,
      rejected: true,
      failed: true,
    };
    const modes: Record<Config["aws"]["mode"], true> = { iam: true, "identity-center": true };
    const enumOf = (s: Schema): string[] => [...((s as { enum?: string[] }).enum ?? [])].sort();
    expect(enumOf(node(req, ["accessLevel"]))).toEqual(listed(levels));
    expect(enumOf(node(req, ["status"]))).toEqual(listed(statuses));
    expect(enumOf(node(cfg, ["aws", "mode"]))).toEqual(listed(modes));
    const activityStatuses: Record<ActivityRecord["status"], true> = { summarised: true, unavailable: true, "beyond-horizon": true };
    const truncations: Record<NonNullable<ActivityRecord["truncated"]>, true> = { "max-events": true, "max-sessions": true, horizon: true, "time-limit": true };
    expect(enumOf(node(req, ["activity", "status"]))).toEqual(listed(activityStatuses));
    expect(enumOf(node(req, ["activity", "truncated"]))).toEqual(listed(truncations));
  });
});

describe("examples and defaults", () => {
  const root = new URL("..", import.meta.url);
  const config = (() => {
    const r = parseConfig(readFileSync(new URL(".github/jit-access.yml", root)));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value;
  })();

  const examples = readdirSync(new URL("access-requests/examples/", root)).filter((f) => f.endsWith(".yaml"));
  it("there are example requests", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });
  it.each(examples)("access-requests/examples/%s validates against the example config", (name) => {
    const file = `access-requests/examples/${name}`;
    const r = parseRequestFile(readFileSync(fileURLToPath(new URL(file, root))), { file, config });
    expect(r.ok ? [] : r.problems).toEqual([]);
    expect(r.ok && r.value.example).toBe(true);
  });

  it("the example config loads", () => {
    expect(Object.keys(config.aws.accounts).sort()).toEqual(["prod", "staging"]);
    expect(Object.keys(config.principals).sort()).toEqual(["alice", "carol"]);
  });

  it("an empty config means default_duration 8h and max_duration 24h", () => {
    for (const r of [parseConfig(undefined), parseConfig("{}\n"), configFromObject({})]) {
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.value.default_duration).toBe("8h");
      expect(r.value.max_duration).toBe("24h");
      expect(r.value.required_approvals).toEqual({ low: 1, medium: 1, high: 2 });
      expect(r.value.aws.mode).toBe("iam");
      expect(r.value.aws.accounts).toEqual({});
    }
    expect(defaultConfig().default_duration).toBe("8h");
    expect(defaultConfig().max_duration).toBe("24h");
  });

  it("filling in defaults leaves the caller's object alone", () => {
    const raw = { aws: { region: "eu-west-1" } };
    const r = configFromObject(raw);
    expect(r.ok).toBe(true);
    expect(raw).toEqual({ aws: { region: "eu-west-1" } });
  });
});
