// The report's risk of a grant (riskOf) against the plain form it replaces: every Allow action
// paired with whether it is granted unscoped, then filtered, de-duplicated and sorted. riskOf asks
// the unscoped question only for curated actions whose danger depends on it; on random policies,
// requests, access levels and unscoped decisions both give the same tier, source and lists.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessLevel, AccessRequest, RiskTier } from "../src/domain/types.js";
import { DANGEROUS_ACTIONS, dangerousAction } from "../src/policy/dangerous.js";
import { riskOf, unscopedByShape } from "../src/report/facts.js";

type LevelOf = ((action: string) => AccessLevel | undefined) | undefined;
type UnscopedFor = ((action: string, resource: string) => boolean) | undefined;

function referenceRisk(r: AccessRequest, fromCommit: RiskTier | undefined, levelOf: LevelOf, unscopedFor: UnscopedFor) {
  const policy: Array<{ action: string; unscoped: boolean }> = [];
  for (const s of r.policy?.Statement ?? []) {
    if (s.Effect !== "Allow") continue;
    const resources = (typeof s.Resource === "string" ? [s.Resource] : Array.isArray(s.Resource) ? s.Resource : []).filter(
      (x): x is string => typeof x === "string",
    );
    const a = s.Action;
    const acts = typeof a === "string" ? [a] : Array.isArray(a) ? a.filter((x): x is string => typeof x === "string") : [];
    for (const action of acts) policy.push({ action, unscoped: resources.some((res) => (unscopedFor ?? unscopedByShape)(action, res)) });
  }
  const isDangerous = (action: string, unscoped: boolean) => {
    const d = dangerousAction(action);
    return d !== undefined && (d.scope === "always" || unscoped);
  };
  const actions = policy.map((p) => p.action);
  const asked = r.request.flatMap((i) => i.actions ?? []);
  const all = [...new Set([...actions, ...asked])];
  const dangerous = [
    ...new Set([...policy.filter((p) => isDangerous(p.action, p.unscoped)).map((p) => p.action), ...asked.filter((a) => isDangerous(a, false))]),
  ].sort();
  let pm: string[] = levelOf ? all.filter((a) => levelOf(a) === "permissions-management").sort() : [];
  const levels = new Set<AccessLevel>(r.request.flatMap((i) => i.access ?? []));
  if (!pm.length && levels.has("permissions-management")) {
    pm = r.request.filter((i) => i.access?.includes("permissions-management")).map((i) => `${i.service}:(permissions-management)`);
  }
  if (fromCommit) return { tier: fromCommit, source: "grant-commit", pm, dangerous };
  if (actions.length && levelOf) {
    const lv = new Set(actions.map((a) => levelOf(a)));
    const tier: RiskTier = pm.length || dangerous.length ? "high" : lv.has("write") || lv.has("tagging") ? "medium" : "low";
    return { tier, source: "policy", pm, dangerous };
  }
  const tier: RiskTier =
    levels.has("permissions-management") || dangerous.length
      ? "high"
      : levels.has("write") || levels.has("tagging") || (asked.length > 0 && levels.size === 0)
        ? "medium"
        : "low";
  return { tier, source: "request", pm, dangerous };
}

const always = DANGEROUS_ACTIONS.filter((d) => d.scope === "always").map((d) => d.action);
const unscopedOnly = DANGEROUS_ACTIONS.filter((d) => d.scope === "unscoped").map((d) => d.action);
const LEVELS: AccessLevel[] = ["read", "list", "write", "tagging", "permissions-management"];
const action = fc.oneof(
  fc.constantFrom(...always.slice(0, 6), ...unscopedOnly.slice(0, 6)),
  fc.constantFrom("s3:GetObject", "s3:ListBucket", "dynamodb:PutItem", "ec2:CreateTags", "iam:GetRole", "S3:GETOBJECT"),
  fc.constantFrom(...always.slice(0, 2).map((a) => a.toUpperCase())),
);
const resource = fc.constantFrom(
  "*",
  "arn:aws:s3:::*",
  "arn:aws:s3:::bucket/*",
  "arn:aws:iam::123456789012:role/*",
  "arn:aws:iam::123456789012:role/app",
  "arn:aws:kms:eu-west-1:1:key/???*",
);
const statement = fc.record({
  Effect: fc.constantFrom("Allow", "Deny"),
  Action: fc.oneof(action, fc.array(fc.oneof(action, fc.constant(7 as unknown as string)), { maxLength: 4 })),
  Resource: fc.oneof(resource, fc.array(resource, { maxLength: 3 }), fc.constant(undefined as unknown as string)),
});
const item = fc.record(
  {
    service: fc.constantFrom("s3", "iam", "ec2"),
    access: fc.array(fc.constantFrom(...LEVELS), { maxLength: 3 }),
    actions: fc.array(action, { maxLength: 3 }),
    resources: fc.constant<string[]>(["r"]),
  },
  { requiredKeys: ["service", "resources"] },
);

describe("riskOf", () => {
  it("gives what the plain per-action form gives, for any policy, request, levels and unscoped decision", () => {
    fc.assert(
      fc.property(
        fc.array(statement, { maxLength: 4 }),
        fc.boolean(),
        fc.array(item, { minLength: 1, maxLength: 3 }),
        fc.option(fc.constantFrom<RiskTier>("low", "medium", "high"), { nil: undefined }),
        fc.option(fc.func(fc.option(fc.constantFrom(...LEVELS), { nil: undefined })), { nil: undefined }),
        fc.option(fc.func(fc.boolean()), { nil: undefined }),
        (statements, withPolicy, items, fromCommit, levelOf, unscopedFor) => {
          const r = {
            version: 1,
            id: "1-r",
            requester: "alice",
            account: "prod",
            duration: "1h",
            reason: "r",
            request: items,
            ...(withPolicy ? { policy: { Version: "2012-10-17", Statement: statements } } : {}),
          } as AccessRequest;
          expect(riskOf(r, fromCommit, levelOf, unscopedFor)).toEqual(referenceRisk(r, fromCommit, levelOf, unscopedFor));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
