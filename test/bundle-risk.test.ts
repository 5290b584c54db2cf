// Bundles (managed policies, permission sets) judged by the guardrails for their risk tier:
// AdministratorAccess-like content is always high; an empty or unreadable bundle is never low.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../src/domain/config.js";
import { loadCatalogue } from "../src/iam-data.js";
import { analyseBundle } from "../src/policy/bundle.js";

const catalogue = loadCatalogue();
const config = defaultConfig();
const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });
const allow = (Action: unknown, Resource: unknown = "*") => ({ Effect: "Allow", Action, Resource });

describe("analyseBundle", () => {
  it.each([
    ["AdministratorAccess", [doc(allow("*"))], "high", true],
    ["IAMFullAccess", [doc(allow(["iam:*", "organizations:DescribeOrganization"]))], "high", true],
    ["*:* in a second document", [doc(allow("s3:GetObject", "arn:aws:s3:::b/*")), doc(allow("*:*"))], "high", true],
    ["one object read", [doc(allow("s3:GetObject", "arn:aws:s3:::b/*"))], "low", false],
    ["ReadOnly-like reads of every bucket", [doc(allow(["s3:Get*", "s3:List*"]))], "high", false],
    ["nothing readable", [], "high", false],
  ] as const)("%s → %s (admin-like %s)", (_n, docs, risk, admin) => {
    const a = analyseBundle(catalogue, docs, config);
    expect(a.risk).toBe(risk);
    expect(a.adminLike).toBe(admin);
  });

  it("a conditioned or Deny * is not admin-like", () => {
    expect(analyseBundle(catalogue, [doc({ Effect: "Deny", Action: "*", Resource: "*" })], config).adminLike).toBe(false);
    expect(analyseBundle(catalogue, [doc({ ...allow("*"), Condition: { Bool: { "aws:MultiFactorAuthPresent": true } } })], config).adminLike).toBe(false);
  });

  it("adding a document never lowers the tier (property)", () => {
    const docs = fc.constantFrom(doc(allow("*")), doc(allow("s3:GetObject", "arn:aws:s3:::b/*")), doc(allow(["ec2:Describe*"])), doc(allow("iam:PassRole")));
    fc.assert(
      fc.property(fc.array(docs, { minLength: 1, maxLength: 3 }), docs, (some, extra) => {
        const rank = { low: 0, medium: 1, high: 2 };
        expect(rank[analyseBundle(catalogue, [...some, extra], config).risk]).toBeGreaterThanOrEqual(rank[analyseBundle(catalogue, some, config).risk]);
      }),
      { numRuns: 30 },
    );
  });
});
