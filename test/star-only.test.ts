// Actions AWS authorizes only on "*" (src/policy/catalogue.ts authorizedOnlyOnStar): grantable on
// "*" by the generator and the guardrails alike, and explained as such; everything else the data
// marks with only optional resource types stays scoped.
import { describe, expect, it } from "vitest";
import type { AccessRequest, Config, PolicyDocument, RequestItem } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { authorizedOnlyOnStar, OPTIONAL_RESOURCE_ON_STAR } from "../src/policy/catalogue.js";
import { codesOf } from "../src/domain/problems.js";
import { checkPolicy } from "../src/policy/guardrails.js";
import { planRequest } from "../src/policy/pipeline.js";
import { TEST_ACCOUNT, testConfig } from "./support/config-fixtures.js";

const catalogue = loadCatalogue();
const ACCOUNT = TEST_ACCOUNT;
const SERVICES = testConfig().allowed_services;

function config(): Config {
  return testConfig();
}
function plan(request: RequestItem[]) {
  const req: AccessRequest = { version: 1, id: "9-metrics", requester: "alice", account: "prod", duration: "2h", reason: "dashboards", request };
  return planRequest(catalogue, { request: req, config: config(), accountId: ACCOUNT, now: new Date("2026-12-01T09:00:00Z"), durationSeconds: 7200 });
}
const onStar = (action: string): PolicyDocument => ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] });

describe("actions AWS authorizes only on *", () => {
  it("each reviewed entry is in a default service and has only optional resource types in the data", () => {
    for (const a of OPTIONAL_RESOURCE_ON_STAR) {
      const info = catalogue.action(a);
      expect(info?.full, a).toBe(a);
      expect(SERVICES).toContain(a.split(":")[0]);
      expect(info?.resourceTypes.length, a).toBeGreaterThan(0);
      expect(
        info?.resourceTypes.every((r) => !r.required),
        a,
      ).toBe(true);
      expect(authorizedOnlyOnStar(info!), a).toBe(true);
    }
  });

  it.each(OPTIONAL_RESOURCE_ON_STAR)("%s passes the guardrails on *", (action) => {
    const v = checkPolicy(catalogue, onStar(action), { config: config(), mode: "iam" });
    expect(v.errors).toEqual([]);
  });

  it("actions the data marks with only optional types, but that act on a named resource, stay refused on * (table)", () => {
    const optionalOnly = SERVICES.flatMap((s) => catalogue.actionsOf(s)).filter((a) => a.resourceTypes.length > 0 && a.resourceTypes.every((r) => !r.required));
    expect(optionalOnly.length).toBeGreaterThan(OPTIONAL_RESOURCE_ON_STAR.length);
    for (const a of ["s3:GetObject", "s3:PutObject", "sns:Unsubscribe", "ec2:ReleaseAddress", "rds:DescribeDBInstances", "ssm:StartSession"]) {
      expect(
        optionalOnly.map((x) => x.full),
        a,
      ).toContain(a);
      const v = checkPolicy(catalogue, onStar(a), { config: config(), mode: "iam" });
      expect(codesOf(v.errors), a).toContain("guardrail.unscoped-resource");
    }
    for (const a of optionalOnly) expect(authorizedOnlyOnStar(a), a.full).toBe(OPTIONAL_RESOURCE_ON_STAR.includes(a.full));
  });

  it("cloudwatch:GetMetricData, ListMetrics and PutMetricData can be requested: granted on * and explained as such", () => {
    const p = plan([
      {
        service: "cloudwatch",
        actions: ["cloudwatch:DescribeAlarms", "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:PutMetricData"],
        resources: ["high-cpu"],
      },
    ]);
    expect(p.verdict.errors).toEqual([]);
    const onAll = p.policy.Statement.filter((s) => [s.Resource].flat().includes("*")).flatMap((s) => [s.Action].flat());
    expect(onAll.sort()).toEqual(["cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "cloudwatch:PutMetricData"]);
    expect(p.explanation.summary).toMatch(/AWS authorizes cloudwatch:GetMetricData, cloudwatch:ListMetrics and cloudwatch:PutMetricData only on all resources/);
  });

  it("the list level includes the reviewed list actions on * (dynamodb:ListExports)", () => {
    const p = plan([{ service: "dynamodb", access: ["read", "list"], resources: ["orders"] }]);
    expect(p.verdict.errors).toEqual([]);
    const onAll = p.policy.Statement.filter((s) => [s.Resource].flat().includes("*")).flatMap((s) => [s.Action].flat());
    expect(onAll).toEqual(expect.arrayContaining(["dynamodb:ListExports", "dynamodb:ListImports"]));
  });
});
