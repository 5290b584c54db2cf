import { describe, expect, it } from "vitest";
import { codesOf } from "../src/domain/problems.js";
import type { AccessRequest, Config, PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { stampExpiry } from "../src/policy/stamp.js";
import { goldenCases, type GoldenCase } from "./support/golden.js";
import { testConfig, withServices } from "./support/config-fixtures.js";

const catalogue = loadCatalogue();
const NOW = new Date("2026-11-27T09:00:00Z");

function configFor(c: GoldenCase["ctx"], extra: Partial<Config> = {}): Config {
  return testConfig({
    ...extra,
    ...withServices("events"),
    aws: { partition: c.partition as Config["aws"]["partition"], region: c.region, accounts: { main: c.accountId } },
  });
}

function requestOf(items: AccessRequest["request"], policy?: PolicyDocument): AccessRequest {
  return { version: 1, id: "1-test", requester: "alice", account: "main", duration: "8h", reason: "testing", request: items, ...(policy ? { policy } : {}) };
}

describe("policy pipeline on the golden set", () => {
  for (const g of goldenCases()) {
    it(`${g.name}: simulation proves it before and after expiry`, () => {
      const plan = planRequest(catalogue, {
        request: requestOf(g.request),
        config: configFor(g.ctx),
        accountId: g.ctx.accountId,
        now: NOW,
        durationSeconds: 8 * 3600,
      });
      // Some goldens are deliberately blocked by a guardrail (size, dangerous actions); the
      // simulation must still hold for every one that is not.
      if (plan.verdict.ok) {
        expect(plan.simulation.ok, JSON.stringify(plan.simulation.failures.slice(0, 3))).toBe(true);
        expect(plan.simulation.checked).toBeGreaterThan(0);
        expect(plan.simulation.outside).toBeGreaterThan(0);
      } else {
        expect(plan.verdict.errors.length).toBeGreaterThan(0);
      }
      expect(plan.expiresAt).toBe("2026-11-27T17:00:00Z");
    });
  }

  it("no golden is blocked (EC2 list fits once compressed; an ECR pull's token is no credentials risk)", () => {
    const blocked = goldenCases().filter(
      (g) =>
        !planRequest(catalogue, { request: requestOf(g.request), config: configFor(g.ctx), accountId: g.ctx.accountId, now: NOW, durationSeconds: 3600 })
          .verdict.ok,
    );
    expect(blocked.map((g) => g.name)).toEqual([]);
  });
});

describe("policies over the size quota", () => {
  const ctx = { partition: "aws", region: "us-east-1", accountId: "111122223333" };
  const planOf = (items: AccessRequest["request"], extra: Partial<Config> = {}) =>
    planRequest(catalogue, { request: requestOf(items), config: configFor(ctx, extra), accountId: ctx.accountId, now: NOW, durationSeconds: 3600 });

  it("EC2 list fits once compressed with exact wildcards, and the simulation checks every action", () => {
    const p = planOf([{ service: "ec2", access: ["list"], resources: ["vol-0abc1234"] }]);
    expect(p.verdict.errors).toEqual([]);
    expect(p.verdict.ok).toBe(true);
    const actions = p.policy.Statement.flatMap((st) => st.Action as string[]);
    expect(actions.some((a) => a.endsWith("*"))).toBe(true);
    expect(p.verdict.warnings).toContainEqual({
      code: "guardrail.wildcard-compacted",
      path: "policy",
      message: expect.stringContaining("the exact action list does not fit the policy size quota"),
    });
    // One warning for the compression, not one per wildcard.
    expect(codesOf(p.verdict.warnings)).not.toContain("guardrail.wildcard-expands");
    expect(JSON.stringify(stampExpiry(p.policy, p.expiresAt)).length).toBeLessThanOrEqual(6144);
    expect(p.simulation.checked).toBeGreaterThan(150);
    expect(p.simulation.ok).toBe(true);
  });

  it("a policy that fits is never compressed", () => {
    const p = planOf([{ service: "ec2", access: ["read", "write"], resources: ["i-0abc1234def567890"] }]);
    expect(p.policy.Statement.flatMap((st) => st.Action as string[]).some((a) => /[*?]/.test(a))).toBe(false);
  });

  it("the size check still holds after compression and stamping", () => {
    const ids = Array.from({ length: 60 }, (_, k) => `i-0abc1234def5${String(k).padStart(5, "0")}`);
    const p = planOf([{ service: "ec2", access: ["list", "read", "write", "tagging"], resources: ids }]);
    expect(p.verdict.ok).toBe(false);
    expect(p.verdict.errors).toContainEqual({
      code: "guardrail.policy-too-large",
      path: expect.any(String),
      message: expect.stringMatching(/once the expiry condition is added at grant.*an IAM managed policy holds at most 6,144/),
    });
  });
});

describe("prefix requests", () => {
  const ctx = { partition: "aws", region: "us-east-1", accountId: "111122223333" };
  it("plan the s3:prefix condition without simulation warnings, proving expiry and neighbours", () => {
    const p = planRequest(catalogue, {
      request: requestOf([{ service: "s3", access: ["read", "list"], resources: ["data-lake/incoming/"] }]),
      config: configFor(ctx),
      accountId: ctx.accountId,
      now: NOW,
      durationSeconds: 3600,
    });
    expect(p.verdict.errors).toEqual([]);
    expect(p.verdict.warnings.filter((w) => w.message.startsWith("simulation"))).toEqual([]);
    expect(p.simulation.ok).toBe(true);
    expect(p.policy.Statement.find((st) => st.Condition)?.Condition).toEqual({ StringLike: { "s3:prefix": ["incoming/", "incoming/*"] } });
  });

  // A hand-written policy may not drop or widen the prefix limit of the listing.
  const handWritten = (resource: string, condition?: Record<string, Record<string, string[]>>) =>
    planRequest(catalogue, {
      request: requestOf([{ service: "s3", access: ["read", "list"], resources: [resource] }], {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::data-lake"], ...(condition ? { Condition: condition } : {}) }],
      }),
      config: configFor(ctx),
      accountId: ctx.accountId,
      now: NOW,
      durationSeconds: 3600,
    });
  it.each([
    ["no condition", undefined, false],
    ["a wider prefix", { StringLike: { "s3:prefix": ["*"] } }, false],
    ["another prefix", { StringLike: { "s3:prefix": ["outgoing/*"] } }, false],
    ["the request's prefix", { StringLike: { "s3:prefix": ["incoming/*"] } }, true],
    ["a narrower prefix, StringEquals", { StringEquals: { "s3:prefix": ["incoming/2026/"] } }, true],
  ])("a hand-written ListBucket on a prefix request with %s", (_name, condition, ok) => {
    const p = handWritten("data-lake/incoming/", condition);
    const refused = p.verdict.errors.filter((e) => e.message.includes("beyond the prefixes the request names"));
    expect(refused.length === 0).toBe(ok);
    if (!ok) expect(refused[0]?.message).toContain('add Condition StringLike s3:prefix ["incoming/","incoming/*"]');
  });

  it("a hand-written ListBucket without condition is fine when the whole bucket is asked for", () => {
    expect(handWritten("data-lake").verdict.errors).toEqual([]);
  });
});

describe("hand-written policies are held to the request", () => {
  const ctx = { partition: "aws", region: "us-east-1", accountId: "111122223333" };
  const items: AccessRequest["request"] = [{ service: "s3", access: ["read"], resources: ["reports"] }];
  const plan = (policy: PolicyDocument) =>
    planRequest(catalogue, { request: requestOf(items, policy), config: configFor(ctx), accountId: ctx.accountId, now: NOW, durationSeconds: 3600 });

  it("accepts a narrower policy", () => {
    const p = plan({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::reports/2026/*"] }] });
    expect(p.verdict.errors).toEqual([]);
    expect(p.generated).toBe(false);
    expect(p.generator).toBe("manual");
    expect(p.simulation.ok).toBe(true);
  });

  it("refuses an action beyond the asked access levels", () => {
    const p = plan({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:DeleteObject"], Resource: ["arn:aws:s3:::reports/*"] }],
    });
    expect(p.verdict.ok).toBe(false);
    expect(p.verdict.errors).toContainEqual(
      expect.objectContaining({
        code: "guardrail.pair-outside-request",
        path: "policy.Statement[0].Action[1]",
        message: expect.stringContaining("beyond the access the request asks for"),
      }),
    );
  });

  it("refuses a resource beyond the named ones", () => {
    const p = plan({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::other-bucket/*"] }] });
    expect(p.verdict.ok).toBe(false);
  });

  it("reports conditions it cannot evaluate as warnings, never as allowed", () => {
    const p = plan({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::reports/*"],
          Condition: { StringEquals: { "aws:PrincipalTag/team": "finance" } },
        },
      ],
    });
    expect(p.verdict.warnings.some((w) => w.message.includes("Unknown"))).toBe(true);
  });

  it("refuses everything when the request itself cannot be expanded", () => {
    const p = planRequest(catalogue, {
      request: requestOf([{ service: "nosuchservice", access: ["read"], resources: ["x"] }], {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::x/*" }],
      }),
      config: configFor(ctx),
      accountId: ctx.accountId,
      now: NOW,
      durationSeconds: 3600,
    });
    expect(p.verdict.ok).toBe(false);
  });
});

describe("simulation samples", () => {
  it("does not count a neighbour the policy's own wildcard covers as outside", () => {
    const ctx = { partition: "aws", region: "us-east-1", accountId: "111122223333" };
    const table = "arn:aws:dynamodb:us-east-1:111122223333:table/orders";
    const p = planRequest(catalogue, {
      request: requestOf([{ service: "dynamodb", access: ["read"], resources: ["orders"] }], {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["dynamodb:Query"], Resource: [`${table}/index/*`, `${table}/index/by-date`] }],
      }),
      config: configFor(ctx),
      accountId: ctx.accountId,
      now: NOW,
      durationSeconds: 3600,
    });
    expect(p.verdict.errors).toEqual([]);
    expect(p.simulation.ok).toBe(true);
  });
});

describe("wildcards in resource names", () => {
  it("are allowed but always reported to the reviewer", () => {
    const ctx = { partition: "aws", region: "us-east-1", accountId: "111122223333" };
    const p = planRequest(catalogue, {
      request: requestOf([{ service: "s3", access: ["read"], resources: ["financial-*"] }]),
      config: configFor(ctx),
      accountId: ctx.accountId,
      now: NOW,
      durationSeconds: 3600,
    });
    expect(p.verdict.warnings).toContainEqual(
      expect.objectContaining({ code: "request.resource-pattern", path: "request[0].resources[0]", message: expect.stringContaining("is a pattern") }),
    );
  });
});
