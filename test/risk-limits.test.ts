// The risk-tier rule and the policy limits are defined once (src/policy/risk.ts, limits.ts) and
// every reader uses those definitions: no copy of a quota elsewhere in src/, the tier decided by
// one function.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MANAGED_POLICY_MAX_CHARS, PERMISSION_SET_INLINE_MAX_BYTES, PERMISSION_SET_INLINE_MAX_CHARS, policySizeProblem } from "../src/aws/plan.js";
import { defaultConfig } from "../src/domain/config.js";
import { ACCESS_LEVELS, type AccessLevel, type RiskTier } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { checkPolicy } from "../src/policy/guardrails.js";
import { POLICY_LIMITS, policySize, quotaBreaches } from "../src/policy/limits.js";
import { LEVEL_RANK, RISK_TIER_RANK, higherLevel, riskLabel, riskTier } from "../src/policy/risk.js";

const ROOT = new URL("..", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("the risk tier", () => {
  const LEVELS: Array<AccessLevel | undefined> = [undefined, ...ACCESS_LEVELS];

  it("is decided by one rule, for every combination of facts", () => {
    for (const maxLevel of LEVELS) {
      for (const dangerous of [false, true]) {
        for (const destructive of [false, true]) {
          const expected: RiskTier =
            dangerous || destructive || maxLevel === "permissions-management" ? "high" : maxLevel === "write" || maxLevel === "tagging" ? "medium" : "low";
          expect(riskTier({ maxLevel, dangerous, destructive }), JSON.stringify({ maxLevel, dangerous, destructive })).toBe(expected);
        }
      }
    }
  });

  it("never falls when a fact is added (monotone in level, danger and destruction)", () => {
    for (const a of LEVELS) {
      for (const b of LEVELS) {
        const hi = higherLevel(a, b);
        for (const dangerous of [false, true]) {
          for (const destructive of [false, true]) {
            const base = RISK_TIER_RANK[riskTier({ maxLevel: a, dangerous, destructive })];
            expect(RISK_TIER_RANK[riskTier({ maxLevel: hi, dangerous, destructive })]).toBeGreaterThanOrEqual(base);
            expect(RISK_TIER_RANK[riskTier({ maxLevel: a, dangerous: true, destructive })]).toBeGreaterThanOrEqual(base);
            expect(RISK_TIER_RANK[riskTier({ maxLevel: a, dangerous, destructive: true })]).toBeGreaterThanOrEqual(base);
          }
        }
      }
    }
  });

  it("higherLevel is the higher of two levels by rank, whichever comes first", () => {
    for (const a of LEVELS) {
      for (const b of LEVELS) {
        const hi = higherLevel(a, b);
        expect([a, b]).toContain(hi);
        if (a !== undefined && b !== undefined && hi !== undefined) expect(LEVEL_RANK[hi]).toBe(Math.max(LEVEL_RANK[a], LEVEL_RANK[b]));
        if (hi !== undefined && higherLevel(b, a) !== undefined) expect(LEVEL_RANK[higherLevel(b, a) as AccessLevel]).toBe(LEVEL_RANK[hi]);
      }
    }
  });

  it("a label for each tier", () => {
    for (const tier of ["low", "medium", "high"] as const) expect(riskLabel(tier)).toMatch(new RegExp(`^${tier} \\(`));
  });

  it("the guardrails' verdict uses it: write is medium, a destructive write high", () => {
    const catalogue = loadCatalogue();
    const config = { ...defaultConfig(), allowed_services: [...defaultConfig().allowed_services, "dynamodb"] };
    const table = "arn:aws:dynamodb:us-east-1:111122223333:table/t";
    const tier = (action: string) =>
      checkPolicy(catalogue, { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: table }] }, { config, mode: "iam" }).risk;
    expect(tier("dynamodb:GetItem")).toBe("low");
    expect(tier("dynamodb:PutItem")).toBe("medium");
    expect(tier("dynamodb:UpdateTable")).toBe("high");
  });
});

describe("policy limits", () => {
  it("no quota number is copied outside src/policy/limits.ts", () => {
    const quotas = [POLICY_LIMITS.iamManagedPolicyChars, POLICY_LIMITS.identityCenterInlineChars, POLICY_LIMITS.identityCenterInlineBytes];
    const copies: string[] = [];
    for (const file of sourceFiles(join(ROOT, "src"))) {
      if (file.endsWith("src/policy/limits.ts")) continue;
      const text = readFileSync(file, "utf8");
      for (const n of quotas) {
        // 6144, 6_144, 10240, 10_240 …: a literal of the number in any spelling.
        const spelled = new RegExp(`\\b${String(n).replace(/\B(?=(\d{3})+$)/g, "_?")}\\b`);
        if (spelled.test(text)) copies.push(`${file.slice(ROOT.length)}: ${n}`);
      }
    }
    expect(copies).toEqual([]);
  });

  it("AWS planning reads the same quotas", () => {
    expect([MANAGED_POLICY_MAX_CHARS, PERMISSION_SET_INLINE_MAX_CHARS, PERMISSION_SET_INLINE_MAX_BYTES]).toEqual([
      POLICY_LIMITS.iamManagedPolicyChars,
      POLICY_LIMITS.identityCenterInlineChars,
      POLICY_LIMITS.identityCenterInlineBytes,
    ]);
  });

  it.each([
    ["iam", 6144, 6144, []],
    ["iam", 6145, 6145, [["iam-managed-policy", "characters"]]],
    ["iam", 6000, 40000, []],
    ["identity-center", 10240, 32768, []],
    ["identity-center", 10241, 10241, [["identity-center-inline", "characters"]]],
    ["identity-center", 10000, 32769, [["identity-center-inline", "bytes"]]],
    [
      "identity-center",
      10241,
      32769,
      [
        ["identity-center-inline", "characters"],
        ["identity-center-inline", "bytes"],
      ],
    ],
  ] as const)("%s, %i characters and %i bytes: breaches %j", (mode, chars, bytes, expected) => {
    expect(quotaBreaches({ chars, bytes }, mode).map((b) => [b.quota, b.unit])).toEqual(expected);
  });

  it("the guardrails, the pipeline's fit test and AWS planning agree on where the IAM quota lies", () => {
    // A document of exactly n characters without whitespace (one resource padded to length).
    const doc = (n: number) => {
      const base = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" }] };
      const pad = n - policySize(base).chars;
      return { ...base, Statement: [{ ...base.Statement[0], Resource: `arn:aws:s3:::b/${"x".repeat(pad)}` }] };
    };
    fc.assert(
      fc.property(fc.integer({ min: POLICY_LIMITS.iamManagedPolicyChars - 50, max: POLICY_LIMITS.iamManagedPolicyChars + 50 }), (n) => {
        const d = doc(n);
        expect(policySize(d).chars).toBe(n);
        const over = n > POLICY_LIMITS.iamManagedPolicyChars;
        expect(quotaBreaches(policySize(d), "iam").length > 0).toBe(over);
        expect(policySizeProblem(JSON.stringify(d), "iam") !== undefined).toBe(over);
      }),
      { numRuns: 40 },
    );
  });
});
