import { readFileSync } from "node:fs";
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { Config, ProblemCode } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { checkPolicy, globCovers, namesUnscoped, policySize, resourceWithin, POLICY_LIMITS, type Verdict } from "../src/policy/guardrails.js";
import { DANGEROUS_ACTIONS, DANGEROUS_COMBINATIONS, dangerousAction } from "../src/policy/dangerous.js";
import { TEST_ACCOUNT, testConfig, withServices } from "./support/config-fixtures.js";

const catalogue = loadCatalogue();
const GUARDRAIL_CODES = [...readFileSync(new URL("../docs/problem-codes.md", import.meta.url), "utf8").matchAll(/^\| `(guardrail\.[a-z-]+)` \|/gm)].map(
  (m) => m[1],
);
const ACCOUNT = TEST_ACCOUNT;
const BUCKET = "arn:aws:s3:::reports";
const OBJECTS = "arn:aws:s3:::reports/*";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app-runner`;

const WITH_IAM = testConfig(withServices("iam", "sts"));

type Stmt = Record<string, unknown>;
function policy(...Statement: Stmt[]): Record<string, unknown> {
  return { Version: "2012-10-17", Statement };
}
function allow(Action: unknown, Resource: unknown, extra: Stmt = {}): Stmt {
  return { Effect: "Allow", Action, Resource, ...extra };
}

interface Opts {
  config?: Config;
  allowedResources?: string[];
  mode?: "iam" | "identity-center";
}
function check(p: unknown, opts: Opts = {}): Verdict {
  return checkPolicy(catalogue, p, { config: opts.config ?? testConfig(), allowedResources: opts.allowedResources, mode: opts.mode ?? "iam" });
}

/** The error of `code` whose message matches, with its path. */
function errorMatching(v: Verdict, re: RegExp, code: ProblemCode): { path: string; message: string } {
  const hits = v.errors.filter((e) => e.code === code && re.test(e.message));
  expect(hits, `expected a ${code} error matching ${re}; got:\n${v.errors.map((e) => `${e.code} ${e.path}: ${e.message}`).join("\n")}`).not.toHaveLength(0);
  return hits[0] as { path: string; message: string };
}

const READ_REPORTS = policy(allow(["s3:GetObject"], OBJECTS), allow("s3:ListBucket", BUCKET));

describe("a good policy", () => {
  it("passes with no errors or warnings, risk low", () => {
    const v = check(READ_REPORTS, { allowedResources: [BUCKET, OBJECTS] });
    expect(v).toEqual({ ok: true, risk: "low", errors: [], warnings: [] });
  });
});

describe("IAM grammar", () => {
  it.each([
    ["null", null, /must be a JSON object.*got null/],
    ["a number", 42, /got a number/],
    ["a string", "{}", /got a string/],
    ["an array", [], /got an array/],
  ])("refuses %s as the policy", (_, input, re) => {
    const v = check(input);
    expect(v.ok).toBe(false);
    expect(errorMatching(v, re, "guardrail.policy-shape").path).toBe("policy");
  });

  it("requires Version 2012-10-17", () => {
    expect(errorMatching(check({ Statement: [allow("s3:GetObject", OBJECTS)] }), /Version is missing/, "guardrail.version").path).toBe("policy.Version");
    const old = check({ Version: "2008-10-17", Statement: [allow("s3:GetObject", OBJECTS)] });
    expect(errorMatching(old, /"2008-10-17" is not accepted; use "2012-10-17"/, "guardrail.version").path).toBe("policy.Version");
  });

  it("refuses unknown top-level keys and accepts Id", () => {
    const v = check({ ...READ_REPORTS, Extra: 1 });
    expect(errorMatching(v, /unknown key "Extra"/, "guardrail.unknown-key").path).toBe("policy.Extra");
    expect(check({ ...READ_REPORTS, Id: "grant-142" }).ok).toBe(true);
  });

  it("accepts a single statement object and refuses an empty list", () => {
    expect(check({ Version: "2012-10-17", Statement: allow("s3:GetObject", OBJECTS) }).ok).toBe(true);
    expect(errorMatching(check(policy()), /empty list/, "guardrail.statement-shape").path).toBe("policy.Statement");
  });

  it("requires Effect Allow or Deny, case-sensitive", () => {
    const v = check(policy({ Effect: "allow", Action: "s3:GetObject", Resource: OBJECTS }));
    expect(errorMatching(v, /Effect "allow" must be "Allow" or "Deny" \(it is case-sensitive\)/, "guardrail.effect-invalid").path).toBe(
      "policy.Statement[0].Effect",
    );
  });

  it("requires Action and Resource to be strings or non-empty lists of strings", () => {
    expect(errorMatching(check(policy(allow([], OBJECTS))), /Action is an empty list/, "guardrail.element-invalid").path).toBe("policy.Statement[0].Action");
    expect(errorMatching(check(policy(allow("s3:GetObject", { arn: 1 }))), /Resource must be a string or a list/, "guardrail.element-invalid").path).toBe(
      "policy.Statement[0].Resource",
    );
    expect(errorMatching(check(policy(allow(["s3:GetObject", 7], OBJECTS))), /must be a string.*got 7/, "guardrail.action-syntax").path).toBe(
      "policy.Statement[0].Action[1]",
    );
    expect(errorMatching(check(policy({ Effect: "Allow", Action: "s3:GetObject" })), /Resource is missing/, "guardrail.element-missing").path).toBe(
      "policy.Statement[0].Resource",
    );
  });

  it("checks Sid: letters and digits, unique", () => {
    expect(check(policy(allow("s3:GetObject", OBJECTS, { Sid: "ReadReports1" }))).ok).toBe(true);
    const spaced = check(policy(allow("s3:GetObject", OBJECTS, { Sid: "Read reports" })));
    expect(errorMatching(spaced, /Sid "Read reports" must be 1-128 letters and digits only \(character U\+0020/, "guardrail.sid-invalid").path).toBe(
      "policy.Statement[0].Sid",
    );
    const dup = check(policy(allow("s3:GetObject", OBJECTS, { Sid: "A" }), allow("s3:ListBucket", BUCKET, { Sid: "A" })));
    expect(errorMatching(dup, /also used by policy.Statement\[0\]/, "guardrail.sid-duplicate").path).toBe("policy.Statement[1].Sid");
  });

  it("refuses unknown statement keys, with a hint for wrong case", () => {
    const v = check(policy({ Effect: "Allow", action: "s3:GetObject", Action: "s3:GetObject", Resource: OBJECTS }));
    expect(errorMatching(v, /unknown key "action".*did you mean Action\?/, "guardrail.unknown-key").path).toBe("policy.Statement[0].action");
  });

  it("refuses Principal and NotPrincipal (identity policy)", () => {
    const v = check(policy(allow("s3:GetObject", OBJECTS, { Principal: { AWS: "*" } })));
    expect(errorMatching(v, /Principal is not allowed: this is an identity policy/, "guardrail.principal-element").path).toBe("policy.Statement[0].Principal");
    const n = check(policy(allow("s3:GetObject", OBJECTS, { NotPrincipal: { AWS: ACCOUNT } })));
    expect(errorMatching(n, /NotPrincipal is not allowed/, "guardrail.principal-element").path).toBe("policy.Statement[0].NotPrincipal");
  });

  it("refuses NotAction and NotResource", () => {
    const v = check(policy({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }));
    expect(errorMatching(v, /NotAction is not allowed: it grants every action not listed/, "guardrail.not-action").path).toBe("policy.Statement[0].NotAction");
    const r = check(policy({ Effect: "Allow", Action: "s3:GetObject", NotResource: OBJECTS }));
    expect(errorMatching(r, /NotResource is not allowed/, "guardrail.not-resource").path).toBe("policy.Statement[0].NotResource");
  });

  it("accepts well-formed conditions and refuses malformed ones", () => {
    const good = allow("s3:GetObject", OBJECTS, {
      Condition: {
        "ForAnyValue:StringLike": { "s3:prefix": ["a/*", "b/*"] },
        Bool: { "aws:SecureTransport": true },
        DateLessThanIfExists: { "aws:CurrentTime": "2030-01-01T00:00:00Z" },
      },
    });
    expect(check(policy(good)).ok).toBe(true);
    const badOp = check(policy(allow("s3:GetObject", OBJECTS, { Condition: { StringEqualz: { "aws:SourceIp": "x" } } })));
    expect(errorMatching(badOp, /"StringEqualz" is not an IAM condition operator/, "guardrail.condition-operator").path).toBe(
      "policy.Statement[0].Condition.StringEqualz",
    );
    const nested = check(policy(allow("s3:GetObject", OBJECTS, { Condition: { StringEquals: { "aws:SourceVpc": { deep: 1 } } } })));
    expect(errorMatching(nested, /condition values must be strings, numbers or booleans/, "guardrail.condition-value").path).toBe(
      'policy.Statement[0].Condition.StringEquals["aws:SourceVpc"]',
    );
  });

  it("grammar-checks Deny statements too, but lets them be broad", () => {
    const broadDeny = policy(allow("s3:GetObject", OBJECTS), {
      Effect: "Deny",
      Action: "*",
      Resource: "arn:aws:s3:*:*:*",
      Condition: { Bool: { "aws:SecureTransport": false } },
    });
    expect(check(broadDeny).ok).toBe(true);
    const deniedIam = policy(allow("s3:GetObject", OBJECTS), { Effect: "Deny", Action: "iam:*", Resource: "*" });
    expect(check(deniedIam).ok).toBe(true); // iam is not in allowed_services, but a Deny only narrows
    const bad = check(policy(allow("s3:GetObject", OBJECTS), { Effect: "Deny", NotAction: "s3:GetObject", Resource: "*" }));
    expect(errorMatching(bad, /NotAction is not allowed/, "guardrail.not-action").path).toBe("policy.Statement[1].NotAction");
    const typo = check(policy(allow("s3:GetObject", OBJECTS), { Effect: "Deny", Action: "s3:DeleteObjekt", Resource: OBJECTS }));
    expect(typo.ok).toBe(true);
    expect(typo.warnings.some((w) => /unknown action "s3:DeleteObjekt".*this Deny has no effect/.test(w.message))).toBe(true);
  });
});

describe("every action exists", () => {
  it("refuses an unknown action and suggests the right one", () => {
    const v = check(policy(allow("s3:GetObjet", OBJECTS)));
    expect(errorMatching(v, /unknown action "s3:GetObjet".*did you mean "s3:GetObject"\?/, "guardrail.unknown-action").path).toBe("policy.Statement[0].Action");
  });

  it("refuses an unknown service", () => {
    const v = check(policy(allow("s4:GetObject", OBJECTS)));
    expect(errorMatching(v, /unknown service "s4".*did you mean "s3"\?/, "guardrail.unknown-service").path).toBe("policy.Statement[0].Action");
  });

  it("accepts action names in any case", () => {
    expect(check(policy(allow("S3:getobject", OBJECTS))).ok).toBe(true);
  });

  it("refuses a wildcard that matches nothing", () => {
    expect(errorMatching(check(policy(allow("s3:Frobnicate*", OBJECTS))), /matches no action of s3/, "guardrail.unknown-action").path).toBe(
      "policy.Statement[0].Action",
    );
  });

  it('refuses Action "*" with the number of actions it grants', () => {
    const v = check(policy(allow("*", "*")));
    expect(v.ok).toBe(false);
    expect(v.risk).toBe("high");
    const e = errorMatching(v, /"\*" grants every AWS action: the wildcard grants [\d,]+ actions incl\. iam:/, "guardrail.wildcard-action");
    expect(e.path).toBe("policy.Statement[0].Action");
  });

  it("refuses iam:* (service wildcard)", () => {
    const v = check(policy(allow(["iam:*"], "*")), { config: WITH_IAM });
    expect(errorMatching(v, /"iam:\*" grants every iam action: the wildcard grants 1\d\d actions incl\. iam:/, "guardrail.wildcard-action").path).toBe(
      "policy.Statement[0].Action[0]",
    );
    expect(v.risk).toBe("high");
  });

  it("refuses s3:* on *", () => {
    const v = check(policy(allow("s3:*", "*")));
    expect(errorMatching(v, /"s3:\*" grants every s3 action: the wildcard grants \d+ actions incl\./, "guardrail.wildcard-action").path).toBe(
      "policy.Statement[0].Action",
    );
  });

  it("judges a narrower wildcard by what it expands to, with a warning", () => {
    const v = check(policy(allow("s3:GetObjectV*", OBJECTS)));
    expect(v.ok).toBe(true);
    expect(v.warnings[0]?.message).toMatch(/"s3:GetObjectV\*" expands to \d+ actions \(s3:GetObjectVersion/);
    // ...and its expansion is what the other rules see
    const w = check(policy(allow("s3:Delete*", OBJECTS)), { config: testConfig({ denied_actions: ["s3:DeleteObject"] }) });
    expect(errorMatching(w, /"s3:Delete\*" grants s3:DeleteObject, which is forbidden by denied_actions/, "guardrail.denied-action").path).toBe(
      "policy.Statement[0].Action",
    );
  });

  it("names a Cyrillic look-alike character (s3:GetObjеct)", () => {
    const v = check(policy(allow(["s3:GetObj\u0435ct"], OBJECTS)));
    const e = errorMatching(
      v,
      /contains non-ASCII character U\+0435 at position 10.*look-alike.*did you mean "s3:GetObject"\?/,
      "guardrail.lookalike-character",
    );
    expect(e.path).toBe("policy.Statement[0].Action[0]");
  });

  it("names a zero-width character", () => {
    const v = check(policy(allow("s3:Get\u200bObject", OBJECTS)));
    expect(errorMatching(v, /non-ASCII character U\+200B at position 7/, "guardrail.lookalike-character").message).toContain("\\u200b");
  });

  it("refuses whitespace, a wildcard service and malformed names", () => {
    expect(
      errorMatching(check(policy(allow("s3:GetObject ", OBJECTS))), /whitespace or a control character \(U\+0020\)/, "guardrail.control-character").path,
    ).toBe("policy.Statement[0].Action");
    expect(errorMatching(check(policy(allow("s*:GetObject", OBJECTS))), /wildcard in the service prefix/, "guardrail.wildcard-service").path).toBe(
      "policy.Statement[0].Action",
    );
    expect(errorMatching(check(policy(allow("GetObject", OBJECTS))), /is not an IAM action; write service:ActionName/, "guardrail.action-syntax").path).toBe(
      "policy.Statement[0].Action",
    );
  });
});

describe("allowed_services", () => {
  it("refuses a service outside allowed_services", () => {
    const v = check(policy(allow("iam:GetRole", ROLE)));
    expect(errorMatching(v, /service "iam" is not in allowed_services.*add "iam" to allowed_services/, "guardrail.service-not-allowed").path).toBe(
      "policy.Statement[0].Action",
    );
  });

  it("accepts it once the config allows the service", () => {
    const v = check(policy(allow("iam:GetRole", ROLE)), { config: WITH_IAM });
    expect(v).toMatchObject({ ok: true, risk: "low" });
  });
});

describe("denied_actions", () => {
  const config = testConfig({ denied_actions: ["s3:DeleteBucket", "s3:PutLifecycle*"] });

  it("refuses an action the config denies", () => {
    const v = check(policy(allow(["s3:GetObject", "s3:DeleteBucket"], [BUCKET, OBJECTS])), { config });
    expect(errorMatching(v, /"s3:DeleteBucket" is forbidden by denied_actions \("s3:DeleteBucket"\)/, "guardrail.denied-action").path).toBe(
      "policy.Statement[0].Action[1]",
    );
  });

  it("matches denied patterns after expansion", () => {
    const v = check(policy(allow("s3:PutLifecycleConfiguration", BUCKET)), { config });
    expect(errorMatching(v, /forbidden by denied_actions \("s3:PutLifecycle\*"\)/, "guardrail.denied-action").path).toBe("policy.Statement[0].Action");
  });

  it("accepts actions that are not denied", () => {
    expect(check(policy(allow("s3:PutObject", OBJECTS)), { config })).toMatchObject({ ok: true, risk: "medium" });
  });
});

describe("dangerous actions", () => {
  it("refuses iam:PassRole on *", () => {
    const v = check(policy(allow("iam:PassRole", "*")), { config: WITH_IAM });
    const e = errorMatching(v, /"iam:PassRole" on "\*" is a dangerous action \(privilege escalation\).*Access Analyzer/, "guardrail.dangerous-action");
    expect(e.path).toBe("policy.Statement[0].Action");
    expect(e.message).toMatch(/add "iam:PassRole" to allowed_dangerous_actions/);
    expect(v.risk).toBe("high");
  });

  it("refuses iam:PassRole on every role (role/*) but accepts it on one role", () => {
    const wide = check(policy(allow("iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/*`)), { config: WITH_IAM });
    errorMatching(wide, /"iam:PassRole" on "arn:aws:iam::123456789012:role\/\*" is a dangerous action/, "guardrail.dangerous-action");
    expect(check(policy(allow("iam:PassRole", ROLE)), { config: WITH_IAM })).toMatchObject({ ok: true, risk: "medium" });
  });

  it("refuses escalation actions whatever the resource", () => {
    const v = check(policy(allow(["iam:AttachUserPolicy"], `arn:aws:iam::${ACCOUNT}:user/alice`)), { config: WITH_IAM });
    expect(errorMatching(v, /"iam:AttachUserPolicy" is a dangerous action \(privilege escalation\).*Rhino/, "guardrail.dangerous-action").path).toBe(
      "policy.Statement[0].Action[0]",
    );
    const w = check(policy(allow("iam:Attach*Policy", `arn:aws:iam::${ACCOUNT}:user/alice`)), { config: WITH_IAM });
    errorMatching(w, /"iam:Attach\*Policy" grants iam:AttachUserPolicy, which is a dangerous action/, "guardrail.dangerous-action");
  });

  it("refuses unscoped data reads and accepts scoped ones", () => {
    errorMatching(
      check(policy(allow("s3:GetObject", "arn:aws:s3:::*/*"))),
      /"s3:GetObject" on "arn:aws:s3:::\*\/\*" is a dangerous action \(data exposure when unscoped\)/,
      "guardrail.dangerous-action",
    );
    errorMatching(
      check(policy(allow("secretsmanager:GetSecretValue", `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:*`))),
      /GetSecretValue" on .* \(data exposure when unscoped\)/,
      "guardrail.dangerous-action",
    );
    expect(check(policy(allow("secretsmanager:GetSecretValue", `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/db-AbCdEf`))).ok).toBe(true);
    expect(check(policy(allow("ssm:GetParameter", `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/*`))).ok).toBe(true);
  });

  it("refuses credentials-exposure actions", () => {
    const v = check(policy(allow("sts:GetSessionToken", "*")));
    errorMatching(v, /"sts:GetSessionToken" is a dangerous action \(credentials exposure\)/, "guardrail.dangerous-action");
  });

  // The ECR token carries only the caller's own ECR permissions: no exposure beyond the grant.
  it("does not flag ecr:GetAuthorizationToken as a credentials risk", () => {
    expect(dangerousAction("ecr:GetAuthorizationToken")).toBeUndefined();
  });

  it("refuses a permissions-management action on every resource (resource exposure)", () => {
    errorMatching(
      check(policy(allow("s3:PutBucketPolicy", "arn:aws:s3:::*"))),
      /"s3:PutBucketPolicy" on "arn:aws:s3:::\*" is a dangerous action \(resource exposure\)/,
      "guardrail.dangerous-action",
    );
    expect(check(policy(allow("s3:PutBucketPolicy", BUCKET)))).toMatchObject({ ok: true, risk: "high" });
  });

  it("refuses iam:PassRole + ec2:RunInstances in the same policy", () => {
    const p = policy(allow(["iam:PassRole"], ROLE), allow("ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`));
    const v = check(p, { config: WITH_IAM });
    const e = errorMatching(
      v,
      /iam:PassRole \+ ec2:RunInstances in the same policy \(iam:PassRole at policy.Statement\[0\].Action\[0\], ec2:RunInstances at policy.Statement\[1\].Action\) is a dangerous combination/,
      "guardrail.dangerous-combination",
    );
    expect(e.path).toBe("policy.Statement[0].Action[0]");
    expect(e.message).toMatch(/add "iam:PassRole" and "ec2:RunInstances" to allowed_dangerous_actions/);
    expect(v.risk).toBe("high");
    // either alone is fine
    expect(check(policy(allow("ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`))).ok).toBe(true);
  });

  it("accepts a combination only when every member is allowed", () => {
    const p = policy(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], [ROLE, `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f`]));
    const half = check(p, { config: { ...WITH_IAM, allowed_dangerous_actions: ["iam:PassRole"] } });
    errorMatching(half, /dangerous combination \(privilege escalation, PassExistingRoleToNewLambdaThenInvoke\)/, "guardrail.dangerous-combination");
    const all = check(p, { config: { ...WITH_IAM, allowed_dangerous_actions: ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"] } });
    expect(all.ok).toBe(true);
    expect(all.risk).toBe("high");
    expect(all.warnings.some((w) => /dangerous combination.*Accepted by allowed_dangerous_actions/.test(w.message))).toBe(true);
  });

  it("allowed_dangerous_actions turns the error into a warning with risk high", () => {
    const p = policy(allow("iam:CreateAccessKey", `arn:aws:iam::${ACCOUNT}:user/ci-bot`));
    const blocked = check(p, { config: WITH_IAM });
    expect(blocked.ok).toBe(false);
    const allowed = check(p, { config: { ...WITH_IAM, allowed_dangerous_actions: ["iam:CreateAccessKey"] } });
    expect(allowed.ok).toBe(true);
    expect(allowed.risk).toBe("high");
    expect(allowed.warnings).toHaveLength(1);
    expect(allowed.warnings[0]).toMatchObject({ path: "policy.Statement[0].Action" });
    expect(allowed.warnings[0]?.message).toMatch(
      /"iam:CreateAccessKey" is a dangerous action.*Accepted by allowed_dangerous_actions "iam:CreateAccessKey".*risk high/,
    );
  });

  it("does not let allowed_dangerous_actions excuse a resource rule", () => {
    const v = check(policy(allow("iam:PassRole", "*")), { config: { ...WITH_IAM, allowed_dangerous_actions: ["iam:PassRole"] } });
    expect(v.ok).toBe(false);
    errorMatching(v, /Resource "\*" is used with an action that supports resource-level permissions: iam:PassRole/, "guardrail.unscoped-resource");
  });
});

describe("resources", () => {
  it("refuses values that are not ARNs", () => {
    expect(errorMatching(check(policy(allow("s3:GetObject", "reports/*"))), /"reports\/\*" is not an ARN/, "guardrail.resource-syntax").path).toBe(
      "policy.Statement[0].Resource",
    );
    errorMatching(check(policy(allow("s3:GetObject", "arn:aws:s3"))), /not a complete ARN/, "guardrail.resource-syntax");
    errorMatching(check(policy(allow("s3:GetObject", "arn:aws:s3:::reports/${aws:username}"))), /policy variable/, "guardrail.policy-variable");
  });

  it('refuses "*" for actions with resource-level support, naming them and an ARN format', () => {
    const v = check(policy(allow(["s3:GetObject", "s3:ListAllMyBuckets"], "*")));
    const e = errorMatching(
      v,
      /Resource "\*" is used with an action that supports resource-level permissions: s3:GetObject; name the resources instead \(e\.g\. arn:aws:s3:::\$\{BucketName\}\/\$\{ObjectName\}/,
      "guardrail.unscoped-resource",
    );
    expect(e.path).toBe("policy.Statement[0].Resource");
    expect(e.message).toMatch(/statement of their own/);
  });

  it('accepts "*" for actions without resource-level support', () => {
    expect(check(policy(allow("s3:ListAllMyBuckets", "*")), { allowedResources: [BUCKET] })).toMatchObject({ ok: true, risk: "low" });
  });

  it("refuses a wildcard account or region", () => {
    const v = check(policy(allow("s3:GetObject", "arn:aws:s3:*:*:reports/*")));
    errorMatching(v, /wildcard in the region field/, "guardrail.resource-wildcard-field");
    expect(errorMatching(v, /wildcard in the account field \("\*"\), which covers every AWS account/, "guardrail.resource-wildcard-field").path).toBe(
      "policy.Statement[0].Resource",
    );
    const table = `arn:aws:dynamodb:us-east-1:*:table/orders`;
    errorMatching(check(policy(allow("dynamodb:GetItem", table))), /wildcard in the account field/, "guardrail.resource-wildcard-field");
    expect(check(policy(allow("dynamodb:GetItem", `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`))).ok).toBe(true);
  });

  it("refuses another partition", () => {
    errorMatching(
      check(policy(allow("s3:GetObject", "arn:aws-cn:s3:::reports/*"))),
      /partition "aws-cn"; this repository's AWS partition is "aws"/,
      "guardrail.resource-partition",
    );
  });

  it("warns about actions that apply to none of the statement's resources", () => {
    const v = check(policy(allow(["s3:GetObject", "s3:ListBucket"], BUCKET)));
    expect(v.ok).toBe(true);
    expect(v.warnings[0]?.message).toMatch(/s3:GetObject applies to none of this statement's resources/);
  });

  describe("containment in the request", () => {
    const asked = [BUCKET, OBJECTS];
    it("accepts equal and narrower resources", () => {
      expect(check(policy(allow("s3:GetObject", ["arn:aws:s3:::reports/2026/q3.csv", "arn:aws:s3:::reports/2026/*"])), { allowedResources: asked }).ok).toBe(
        true,
      );
    });

    it("refuses a resource wider than the request", () => {
      const v = check(policy(allow("s3:GetObject", ["arn:aws:s3:::reports/*", "arn:aws:s3:::*"])), { allowedResources: asked });
      expect(errorMatching(v, /"arn:aws:s3:::\*" is wider than the request/, "guardrail.resource-outside-request").path).toBe(
        "policy.Statement[0].Resource[1]",
      );
    });

    it("refuses another resource", () => {
      const v = check(policy(allow("s3:GetObject", "arn:aws:s3:::payroll/*")), { allowedResources: asked });
      errorMatching(v, /wider than the request: it is not within any requested resource \("arn:aws:s3:::reports"/, "guardrail.resource-outside-request");
    });

    it("skips containment when no resources are given, and refuses everything for an empty list", () => {
      expect(check(policy(allow("s3:GetObject", "arn:aws:s3:::payroll/*"))).ok).toBe(true);
      expect(check(policy(allow("s3:GetObject", OBJECTS)), { allowedResources: [] }).ok).toBe(false);
    });

    it("tests inclusion conservatively, wildcards against wildcards", () => {
      expect(resourceWithin("arn:aws:s3:::b/*", ["arn:aws:s3:::b/*"])).toBe(true);
      expect(resourceWithin("arn:aws:s3:::b/x/*", ["arn:aws:s3:::b/*"])).toBe(true);
      expect(resourceWithin("arn:aws:s3:::b/?", ["arn:aws:s3:::b/*"])).toBe(true);
      expect(resourceWithin("arn:aws:s3:::b/**", ["arn:aws:s3:::b/*"])).toBe(true);
      expect(resourceWithin("arn:aws:s3:::b/x", ["arn:aws:s3:::b/?"])).toBe(true);
      expect(resourceWithin("arn:aws:s3:::b/*", ["arn:aws:s3:::b/?"])).toBe(false);
      expect(resourceWithin("arn:aws:s3:::b*", ["arn:aws:s3:::b/*"])).toBe(false);
      expect(resourceWithin("arn:aws:s3:::b/*", ["arn:aws:s3:::b/*/x"])).toBe(false);
      expect(resourceWithin("arn:aws:s3:::b/*", ["arn:aws:s3:::b"])).toBe(false);
      expect(resourceWithin("arn:aws:s3:::B/x", ["arn:aws:s3:::b/*"])).toBe(false);
      expect(resourceWithin("*", ["arn:aws:s3:::b/*"])).toBe(false);
      expect(resourceWithin("anything", ["*"])).toBe(true);
    });

    it("agrees with a brute-force check on literal resources", () => {
      const alphabet = fc.constantFrom("a", "b", "/", "*", "?");
      fc.assert(
        fc.property(fc.array(alphabet, { maxLength: 6 }), fc.array(fc.constantFrom("a", "b", "/"), { maxLength: 6 }), (p, s) => {
          const pattern = p.join("");
          const subject = s.join("");
          const re = new RegExp(`^${pattern.replace(/[/]/g, "\\/").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "s");
          expect(globCovers(pattern, subject)).toBe(re.test(subject));
        }),
      );
    });

    it("is sound on patterns: whatever it accepts, every instance is covered", () => {
      const chars = fc.constantFrom("a", "b", "*", "?");
      fc.assert(
        fc.property(
          fc.array(chars, { maxLength: 5 }),
          fc.array(chars, { maxLength: 5 }),
          fc.array(fc.constantFrom("", "a", "b", "ab", "ba"), { minLength: 5, maxLength: 5 }),
          (a, r, fills) => {
            const allowed = a.join("");
            const resource = r.join("");
            if (!globCovers(allowed, resource, true)) return;
            let k = 0;
            const instance = resource.replace(/[*?]/g, (c) => (c === "?" ? "a" : (fills[k++ % fills.length] ?? "")));
            expect(globCovers(allowed, instance)).toBe(true);
          },
        ),
      );
    });

    it("stays fast on hostile patterns (no regex backtracking)", () => {
      const allowed = `arn:aws:s3:::${"*a".repeat(500)}*b`;
      const t = performance.now();
      expect(resourceWithin(`arn:aws:s3:::${"a".repeat(1900)}`, [allowed])).toBe(false);
      expect(performance.now() - t).toBeLessThan(500);
    });
  });
});

describe("size within AWS quotas", () => {
  // A valid policy of about `chars` characters: one statement, many object ARNs.
  function bigPolicy(chars: number): Record<string, unknown> {
    const resources: string[] = [];
    while (JSON.stringify(resources).length < chars - 100) resources.push(`arn:aws:s3:::reports/${String(resources.length).padStart(30, "0")}`);
    return policy(allow("s3:GetObject", resources));
  }

  it("refuses a 7,000-character policy as an IAM managed policy", () => {
    const p = bigPolicy(7000);
    expect(policySize(p).chars).toBeGreaterThan(6900);
    const v = check(p);
    expect(
      errorMatching(v, /the policy is [\d,]+ characters without whitespace .* an IAM managed policy holds at most 6,144/, "guardrail.policy-too-large").path,
    ).toBe("policy");
  });

  it("accepts the same policy in Identity Center mode (10,240), and refuses a bigger one", () => {
    expect(check(bigPolicy(7000), { mode: "identity-center" }).ok).toBe(true);
    errorMatching(
      check(bigPolicy(11000), { mode: "identity-center" }),
      /Identity Center permission set's inline policy holds at most 10,240/,
      "guardrail.policy-too-large",
    );
  });

  it("counts the expiry condition added at grant", () => {
    // Under the quota as written, over it once every Allow statement is stamped.
    const statements: Stmt[] = [];
    for (let i = 0; policySize(policy(...statements)).chars < 6144 - 140; i++) statements.push(allow("s3:GetObject", `arn:aws:s3:::reports/k${i}`));
    const p = policy(...statements);
    expect(policySize(p).chars).toBeLessThanOrEqual(6144);
    errorMatching(check(p), /once the expiry condition is added at grant\); an IAM managed policy holds at most 6,144/, "guardrail.policy-too-large");
  });

  it("refuses a policy with 500 statements, and one with 101 small ones", () => {
    const many = policy(...Array.from({ length: 500 }, (_, i) => allow("s3:GetObject", `arn:aws:s3:::reports/${i}`)));
    const v = check(many);
    expect(v.errors).toEqual([
      {
        code: "guardrail.too-many-statements",
        path: "policy.Statement",
        message: expect.stringMatching(/the policy has 500 statements; at most 100 are accepted/),
      },
    ]);
    errorMatching(check(policy(...Array.from({ length: 101 }, () => allow("s3:GetObject", OBJECTS)))), /101 statements/, "guardrail.too-many-statements");
  });

  it("accepts a small policy", () => {
    expect(check(READ_REPORTS).errors).toEqual([]);
  });
});

describe("risk tier", () => {
  it("is low for read and list only", () => {
    expect(check(READ_REPORTS).risk).toBe("low");
  });
  it("is medium for write or tagging", () => {
    expect(check(policy(allow("s3:PutObject", OBJECTS))).risk).toBe("medium");
    expect(check(policy(allow("s3:PutObjectTagging", OBJECTS))).risk).toBe("medium");
  });
  it("is high for permissions management", () => {
    expect(check(policy(allow("s3:PutBucketPolicy", BUCKET)))).toMatchObject({ ok: true, risk: "high" });
  });
  it("ignores Deny statements", () => {
    expect(check(policy(allow("s3:GetObject", OBJECTS), { Effect: "Deny", Action: "s3:PutBucketPolicy", Resource: BUCKET })).risk).toBe("low");
  });
});

describe("never throws", () => {
  function deep(n: number): unknown {
    let v: unknown = "x";
    for (let i = 0; i < n; i++) v = [v];
    return v;
  }
  const circular: Record<string, unknown> = { Version: "2012-10-17" };
  circular.Statement = [circular];
  const hostile = new Proxy(
    {},
    {
      ownKeys: () => {
        throw new Error("boom");
      },
    },
  );
  const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, policy(allow("s3:GetObject", OBJECTS)));

  const garbage: Array<[string, unknown]> = [
    ["undefined", undefined],
    ["true", true],
    ["NaN", Number.NaN],
    ["a bigint", 10n],
    ["a symbol", Symbol("x")],
    ["a function", () => 1],
    ["a Date", new Date()],
    [
      "__proto__ keys",
      JSON.parse(
        '{"__proto__": {"Statement": []}, "Version": "2012-10-17", "Statement": [{"__proto__": {"Effect": "Allow"}, "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}',
      ),
    ],
    [
      "constructor keys",
      { Version: "2012-10-17", constructor: 1, Statement: [{ constructor: { prototype: 1 }, Effect: "Allow", Action: "s3:GetObject", Resource: OBJECTS }] },
    ],
    ["no Statement but a prototype with one", Object.create({ Version: "2012-10-17", Statement: [allow("s3:GetObject", OBJECTS)] })],
    ["deep nesting in a condition", policy(allow("s3:GetObject", OBJECTS, { Condition: { StringEquals: { "aws:x": deep(100000) } } }))],
    ["deep nesting as a statement", { Version: "2012-10-17", Statement: [deep(100000)] }],
    ["a huge Statement array", { Version: "2012-10-17", Statement: new Array(1_000_000).fill(0) }],
    ["a huge Action array", policy(allow(new Array(1_000_000).fill("s3:GetObject"), OBJECTS))],
    ["a huge string", policy(allow("s3:" + "A".repeat(5_000_000), "arn:aws:s3:::" + "b".repeat(5_000_000)))],
    ["a circular policy", circular],
    ["a hostile proxy", hostile],
    ["numbers everywhere", { Version: 2012, Statement: [{ Effect: 1, Action: [1, 2], Resource: [3], Sid: 4, Condition: 5 }] }],
    ["many unknown keys", Object.fromEntries(Array.from({ length: 10000 }, (_, i) => [`k${i}`, i]))],
  ];

  it.each(garbage)("returns errors for %s", (_, input) => {
    const t = performance.now();
    let v: Verdict | undefined;
    expect(() => (v = check(input))).not.toThrow();
    expect(v?.ok).toBe(false);
    expect(v?.errors.length).toBeGreaterThan(0);
    expect(v?.errors.length).toBeLessThanOrEqual(POLICY_LIMITS.maxProblems + 1);
    for (const e of v?.errors ?? []) expect(typeof e.message).toBe("string");
    for (const e of v?.errors ?? []) expect(e.code).toMatch(/^guardrail\./);
    expect(performance.now() - t).toBeLessThan(3000);
  });

  it("judges a null-prototype object like any other", () => {
    const v = check(nullProto);
    expect(v.errors).toEqual([]);
  });

  it("never throws on arbitrary values, policies or statements", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withSet: true }), (x) => {
        check(x);
        check({ Version: "2012-10-17", Statement: x });
        check(policy({ Effect: "Allow", Action: x, Resource: x, Condition: x, Sid: x }));
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on random policy-shaped JSON", () => {
    const stmt = fc.record(
      {
        Effect: fc.constantFrom("Allow", "Deny", "allow", 1),
        Action: fc.oneof(fc.constantFrom("*", "s3:*", "iam:PassRole", "s3:Get*", "ec2:RunInstances", "s3:GetObject"), fc.string(), fc.array(fc.string())),
        Resource: fc.oneof(fc.constantFrom("*", OBJECTS, "arn:aws:s3:::*", "arn:aws:iam::*:role/*"), fc.string(), fc.array(fc.string())),
        Condition: fc.jsonValue(),
        Sid: fc.string(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(stmt, { maxLength: 5 }), (s) => {
        const v = check({ Version: "2012-10-17", Statement: s }, { allowedResources: [OBJECTS] });
        expect(["low", "medium", "high"]).toContain(v.risk);
        expect(v.ok).toBe(v.errors.length === 0);
        // Every finding names its rule, one of the documented guardrail codes.
        for (const p of [...v.errors, ...v.warnings]) expect(GUARDRAIL_CODES).toContain(p.code);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the dangerous list", () => {
  it("names only actions that exist, once each", () => {
    const missing = DANGEROUS_ACTIONS.filter((d) => !catalogue.action(d.action)).map((d) => d.action);
    expect(missing).toEqual([]);
    expect(new Set(DANGEROUS_ACTIONS.map((d) => d.action.toLowerCase())).size).toBe(DANGEROUS_ACTIONS.length);
    const missingCombo = DANGEROUS_COMBINATIONS.flatMap((c) => c.actions).filter((a) => !catalogue.action(a));
    expect(missingCombo).toEqual([]);
    for (const d of DANGEROUS_ACTIONS) expect(catalogue.action(d.action)?.full).toBe(d.action); // spelled as AWS does
  });

  it("covers code execution and session actions of the default services, each accepted only by allowed_dangerous_actions (table)", () => {
    const table: Array<[string, string]> = [
      ["ssm:SendCommand", `arn:aws:ssm:us-east-1:${ACCOUNT}:document/AWS-RunShellScript`],
      ["ssm:StartSession", `arn:aws:ssm:us-east-1:${ACCOUNT}:document/SSM-SessionManagerRunShell`],
      ["ecs:ExecuteCommand", `arn:aws:ecs:us-east-1:${ACCOUNT}:task/default/abc`],
      ["lambda:UpdateFunctionConfiguration", `arn:aws:lambda:us-east-1:${ACCOUNT}:function:f`],
      ["states:UpdateStateMachine", `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:m`],
      ["rds:ModifyDBInstance", `arn:aws:rds:us-east-1:${ACCOUNT}:db:orders`],
      ["rds:ModifyDBCluster", `arn:aws:rds:us-east-1:${ACCOUNT}:cluster:orders`],
    ];
    for (const [action, resource] of table) {
      expect(dangerousAction(action)?.scope, action).toBe("always");
      expect(testConfig().allowed_services).toContain(action.split(":")[0]);
      const refused = check(policy(allow(action, resource)));
      errorMatching(refused, new RegExp(`"${action}" is a dangerous action \\(privilege escalation\\)`), "guardrail.dangerous-action");
      const accepted = check(policy(allow(action, resource)), { config: testConfig({ allowed_dangerous_actions: [action] }) });
      expect(accepted.errors, action).toEqual([]);
      expect(accepted.risk, action).toBe("high");
    }
  });

  it("covers the actions of POLICY-NOTES.md", () => {
    for (const a of [
      "iam:CreateAccessKey",
      "iam:CreateLoginProfile",
      "iam:UpdateLoginProfile",
      "iam:AddUserToGroup",
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:AttachUserPolicy",
      "iam:AttachGroupPolicy",
      "iam:AttachRolePolicy",
      "iam:PutUserPolicy",
      "iam:PutGroupPolicy",
      "iam:PutRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "glue:UpdateDevEndpoint",
      "lambda:UpdateFunctionCode",
      "iam:PassRole",
      "s3:GetObject",
      "ssm:GetParameter",
      "ssm:GetParameters",
      "ssm:GetParametersByPath",
      "secretsmanager:GetSecretValue",
      "sts:GetFederationToken",
      "redshift:GetClusterCredentials",
      "rds-db:connect",
    ]) {
      expect(dangerousAction(a), a).toBeDefined();
    }
    const combos = DANGEROUS_COMBINATIONS.map((c) => c.actions.join("+"));
    for (const c of [
      "iam:PassRole+ec2:RunInstances",
      "iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction",
      "iam:PassRole+lambda:CreateFunction+lambda:CreateEventSourceMapping",
      "iam:PassRole+glue:CreateDevEndpoint",
      "iam:PassRole+cloudformation:CreateStack",
      "iam:PassRole+datapipeline:CreatePipeline",
    ]) {
      expect(combos).toContain(c);
    }
  });
});

describe("speed", () => {
  it("checks a typical policy quickly when warm", () => {
    const p = policy(
      allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [OBJECTS]),
      allow(["s3:ListBucket", "s3:GetBucketLocation"], BUCKET),
      allow(["s3:ListAllMyBuckets"], "*"),
    );
    const ctx = { config: testConfig(), allowedResources: [BUCKET, OBJECTS], mode: "iam" as const };
    checkPolicy(catalogue, p, ctx);
    const t = performance.now();
    for (let i = 0; i < 2000; i++) checkPolicy(catalogue, p, ctx);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe("wildcard names that cover every resource are unscoped (a decision, not a sample)", () => {
  const SECRET_FORMAT = "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}";
  const FIELDS = { partition: "aws", region: "us-east-1", account: ACCOUNT };
  const SECRETS = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:`;
  const wildName = fc.array(fc.constantFrom("*", "?"), { minLength: 1, maxLength: 8 }).map((a) => a.join(""));
  const literal = fc.constantFrom("a", "p", "Z", "0", "9");
  const separators = fc.array(fc.constantFrom("*", "?", "-", "/", ".", "_"), { minLength: 1, maxLength: 8 }).map((a) => a.join(""));
  const anyTail = fc.array(fc.constantFrom("a", "/", "-", "*", "?"), { maxLength: 8 }).map((a) => a.join(""));

  it.each([
    ["secret:???*", SECRETS + "???*", SECRET_FORMAT, true],
    ["secret:*", SECRETS + "*", SECRET_FORMAT, true],
    ["secret:prod/*", SECRETS + "prod/*", SECRET_FORMAT, false],
    ["secret:*-?????? (every secret: AWS adds a dash and six characters)", SECRETS + "*-??????", SECRET_FORMAT, true],
    ["secret:prod-??????", SECRETS + "prod-??????", SECRET_FORMAT, false],
    ["a literal ARN", SECRETS + "-", SECRET_FORMAT, false],
    [
      "parameter/???*",
      `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/???*`,
      "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}",
      true,
    ],
    ["key/???*", `arn:aws:kms:us-east-1:${ACCOUNT}:key/???*`, "arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}", true],
    ["role/???*", `arn:aws:iam::${ACCOUNT}:role/???*`, "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", true],
    ["role/*", `arn:aws:iam::${ACCOUNT}:role/*`, "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", true],
    ["role/app-*", `arn:aws:iam::${ACCOUNT}:role/app-*`, "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", false],
    ["s3 object *", "arn:aws:s3:::*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", true],
    ["s3 object */*", "arn:aws:s3:::*/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", true],
    ["s3 object ???*", "arn:aws:s3:::???*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", true],
    ["s3 object reports/*", "arn:aws:s3:::reports/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", false],
    ["s3 bucket ???*", "arn:aws:s3:::???*", "arn:${Partition}:s3:::${BucketName}", true],
    ["s3 bucket reports", "arn:aws:s3:::reports", "arn:${Partition}:s3:::${BucketName}", false],
  ])("%s", (_, pattern, format, unscoped) => {
    const region = format.includes("${Region}") ? "us-east-1" : "";
    const account = format.includes("${Account}") ? ACCOUNT : "";
    expect(namesUnscoped(pattern, format, { partition: "aws", region, account })).toBe(unscoped);
  });

  it("a name part of only * and ? is unscoped, whatever its shape (property)", () => {
    fc.assert(
      fc.property(wildName, (name) => {
        expect(namesUnscoped(SECRETS + name, SECRET_FORMAT, FIELDS)).toBe(true);
      }),
    );
  });

  it("a name part of wildcards and separators only (*-??????, */*) is unscoped (property)", () => {
    fc.assert(
      fc.property(separators, (name) => {
        expect(namesUnscoped(SECRETS + name, SECRET_FORMAT, FIELDS)).toBe(/[*?]/.test(name));
      }),
    );
  });

  it("a name part that starts with a letter or digit is scoped (property)", () => {
    fc.assert(
      fc.property(literal, anyTail, (first, tail) => {
        expect(namesUnscoped(SECRETS + first + tail, SECRET_FORMAT, FIELDS)).toBe(false);
      }),
    );
  });

  it("an unscoped name gets the verdict of `*` (property over actions and generated names)", () => {
    const cases = [
      { action: "secretsmanager:GetSecretValue", base: SECRETS, config: testConfig() },
      { action: "ssm:GetParameter", base: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/`, config: testConfig() },
      { action: "kms:PutKeyPolicy", base: `arn:aws:kms:us-east-1:${ACCOUNT}:key/`, config: testConfig() },
      { action: "iam:PassRole", base: `arn:aws:iam::${ACCOUNT}:role/`, config: WITH_IAM },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...cases), wildName, (c, name) => {
        const star = check(policy(allow(c.action, `${c.base}*`)), { config: c.config });
        const wild = check(policy(allow(c.action, c.base + name)), { config: c.config });
        expect(star.ok).toBe(false);
        expect({ ok: wild.ok, risk: wild.risk }).toEqual({ ok: star.ok, risk: star.risk });
        expect(wild.errors.map((e) => e.message).join("\n")).toMatch(/is a dangerous action/);
      }),
      { numRuns: 60 },
    );
  });
});
