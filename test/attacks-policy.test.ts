// Security regressions of the policy engine: policies and requests that once slipped past the
// guardrails. Each runs the whole pure pipeline (generate, envelope, guardrails, simulate) the way
// `jit-access plan` and the PR check do, with the default repository config.
import { describe, expect, it } from "vitest";
import { defaultConfig } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import type { AccessRequest, Config, PolicyDocument, RequestItem } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { explainPolicy } from "../src/policy/explain.js";
import { checkPolicy } from "../src/policy/guardrails.js";
import { planRequest, type Plan } from "../src/policy/pipeline.js";

const catalogue = loadCatalogue();
const ACCOUNT = "123456789012";

function config(extra: Partial<Config> = {}): Config {
  const base = defaultConfig();
  return { ...base, aws: { ...base.aws, region: "us-east-1", accounts: { prod: ACCOUNT } }, ...extra };
}

function plan(request: RequestItem[], policy?: PolicyDocument, cfg: Config = config()): Plan {
  const req: AccessRequest = { version: 1, id: "7-attack", requester: "mallory", account: "prod", duration: "2h", reason: "attack regression", request };
  if (policy) req.policy = policy;
  return planRequest(catalogue, { request: req, config: cfg, accountId: ACCOUNT, now: new Date("2026-12-01T09:00:00Z"), durationSeconds: 7200 });
}

function allowPolicy(...statements: Array<{ Action: string | string[]; Resource: string | string[] }>): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow" as const, ...s })) };
}

const messages = (p: Plan) => p.verdict.errors.map((e) => `${e.path}: ${e.message}`).join("\n");

describe("wildcard names that cover every resource", () => {
  it("GetSecretValue on secret:???* is not low risk: it reads every secret", () => {
    const secrets = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:???*`;
    const p = plan([{ service: "secretsmanager", actions: ["secretsmanager:GetSecretValue"], resources: [secrets] }]);
    expect(p.verdict.ok).toBe(false);
    expect(p.verdict.risk).toBe("high");
    expect(messages(p)).toMatch(/GetSecretValue" on ".*secret:\?\?\?\*" is a dangerous action \(data exposure when unscoped\)/);
    expect(codesOf(p.verdict.errors)).toContain("guardrail.dangerous-action");
  });

  it("GetSecretValue on secret:*-?????? (every secret's shape) is not low risk", () => {
    const secrets = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:*-??????`;
    const p = plan([{ service: "secretsmanager", actions: ["secretsmanager:GetSecretValue"], resources: [secrets] }]);
    expect(p.verdict.risk).toBe("high");
    expect(messages(p)).toMatch(/is a dangerous action \(data exposure when unscoped\)/);
    expect(codesOf(p.verdict.errors)).toContain("guardrail.dangerous-action");
  });

  it("PassRole on role/???* is refused like role/*", () => {
    const cfg = config({ allowed_services: [...config().allowed_services, "iam"] });
    for (const name of ["*", "???*", "?*?"]) {
      const role = `arn:aws:iam::${ACCOUNT}:role/${name}`;
      const p = plan([{ service: "iam", actions: ["iam:PassRole"], resources: [role] }], allowPolicy({ Action: "iam:PassRole", Resource: role }), cfg);
      expect(p.verdict.ok, name).toBe(false);
      expect(messages(p)).toMatch(/"iam:PassRole" on ".*role\/.*" is a dangerous action \(privilege escalation\)/);
      expect(codesOf(p.verdict.errors)).toContain("guardrail.dangerous-action");
    }
  });

  it("GetParameter on parameter/???* and kms:PutKeyPolicy on key/???* are unscoped", () => {
    const params = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/???*`;
    const p = plan([{ service: "ssm", actions: ["ssm:GetParameter"], resources: [params] }]);
    expect(messages(p)).toMatch(/"ssm:GetParameter" on .* is a dangerous action/);
    expect(codesOf(p.verdict.errors)).toContain("guardrail.dangerous-action");
    const keys = `arn:aws:kms:us-east-1:${ACCOUNT}:key/???*`;
    const k = plan([{ service: "kms", actions: ["kms:PutKeyPolicy"], resources: [keys] }]);
    expect(messages(k)).toMatch(/"kms:PutKeyPolicy" on .* is a dangerous action \(resource exposure\)/);
    expect(codesOf(k.verdict.errors)).toContain("guardrail.dangerous-action");
  });
});

describe("a hand-written policy is checked per (action, resource) pair", () => {
  it("read on one bucket + write on another does not allow writes on the first", () => {
    const request: RequestItem[] = [
      { service: "s3", access: ["read"], resources: ["reports-bucket"] },
      { service: "s3", access: ["write"], resources: ["scratch-bucket/tmp/"] },
    ];
    const p = plan(request, allowPolicy({ Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: ["arn:aws:s3:::reports-bucket/*"] }));
    expect(p.verdict.ok).toBe(false);
    const e = p.verdict.errors.find((x) => /the pair s3:PutObject on "arn:aws:s3:::reports-bucket\/\*"/.test(x.message));
    expect(e, messages(p)).toBeDefined();
    expect(e?.path).toBe("policy.Statement[0].Resource[0]");
    expect(e?.message).toMatch(/request\[1\] \(s3 write on "scratch-bucket\/tmp\/"\) grants s3:PutObject only on "arn:aws:s3:::scratch-bucket\/tmp\/\*"/);
    expect(e?.message).toMatch(/request\[0\] \(s3 read on "reports-bucket"\) names that resource but not s3:PutObject/);
    expect(messages(p)).toMatch(/the pair s3:DeleteObject on "arn:aws:s3:::reports-bucket\/\*" is beyond the request/);
    expect(codesOf(p.verdict.errors)).toContain("guardrail.pair-outside-request");
    expect(messages(p)).not.toMatch(/the pair s3:GetObject/);
    // A wildcard names the first offending action and counts the others.
    const wild = plan(request, allowPolicy({ Action: ["s3:GetObject", "s3:*Object"], Resource: ["arn:aws:s3:::reports-bucket/*"] }));
    expect(messages(wild)).toMatch(/the pair s3:\w+Object on "arn:aws:s3:::reports-bucket\/\*" \(and \d+ more of the statement's actions: /);
    expect(codesOf(wild.verdict.errors)).toContain("guardrail.pair-outside-request");
    // The same actions split onto the resources their items grant are accepted.
    const ok = plan(
      request,
      allowPolicy(
        { Action: "s3:GetObject", Resource: "arn:aws:s3:::reports-bucket/*" },
        { Action: ["s3:PutObject", "s3:DeleteObject"], Resource: "arn:aws:s3:::scratch-bucket/tmp/*" },
      ),
    );
    expect(ok.verdict.errors).toEqual([]);
  });

  it("read on one table + write on another does not allow writes on the first", () => {
    const request: RequestItem[] = [
      { service: "dynamodb", access: ["read"], resources: ["orders"] },
      { service: "dynamodb", access: ["write"], resources: ["scratch"] },
    ];
    const orders = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`;
    const p = plan(request, allowPolicy({ Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], Resource: orders }));
    expect(p.verdict.ok).toBe(false);
    expect(messages(p)).toMatch(
      /the pair dynamodb:PutItem on ".*table\/orders" .*is beyond the request: request\[1\] \(dynamodb write on "scratch"\) grants dynamodb:PutItem only on/,
    );
    expect(codesOf(p.verdict.errors)).toContain("guardrail.pair-outside-request");
  });
});

describe("code execution and session actions are dangerous in the default services", () => {
  const R = `us-east-1:${ACCOUNT}`;
  const cases: Array<[string, string[]]> = [
    ["ssm:SendCommand", [`arn:aws:ssm:${R}:document/AWS-RunShellScript`, `arn:aws:ec2:${R}:instance/i-0123456789abcdef0`]],
    ["ssm:StartSession", [`arn:aws:ec2:${R}:instance/i-0123456789abcdef0`]],
    ["ecs:ExecuteCommand", [`arn:aws:ecs:${R}:task/default/0123456789abcdef0123456789abcdef`]],
    ["lambda:UpdateFunctionConfiguration", [`arn:aws:lambda:${R}:function:resize-images`]],
    ["states:UpdateStateMachine", [`arn:aws:states:${R}:stateMachine:nightly-export`]],
    ["rds:ModifyDBInstance", [`arn:aws:rds:${R}:db:orders`]],
  ];

  it.each(cases)("%s on one named resource is refused by default, with its source", (action, resources) => {
    const v = checkPolicy(catalogue, allowPolicy({ Action: action, Resource: resources }), { config: config(), mode: "iam" });
    expect(v.ok).toBe(false);
    expect(v.risk).toBe("high");
    const e = v.errors.find((x) => x.message.includes(`"${action}" is a dangerous action (privilege escalation)`));
    expect(e?.message, v.errors.map((x) => x.message).join("\n")).toMatch(/Source: \S/);
  });

  it("ecs:ExecuteCommand is refused on its own, without ecs:DescribeTasks", () => {
    const v = checkPolicy(catalogue, allowPolicy({ Action: "ecs:ExecuteCommand", Resource: `arn:aws:ecs:${R}:task/default/*` }), {
      config: config(),
      mode: "iam",
    });
    expect(v.errors.map((x) => x.message).join("\n")).toMatch(/"ecs:ExecuteCommand" is a dangerous action/);
  });

  it("sts:AssumeRole on one named role is high risk and said to reviewers; on every role it is refused", () => {
    const cfg = config({ allowed_services: [...config().allowed_services, "sts"] });
    const named = checkPolicy(catalogue, allowPolicy({ Action: "sts:AssumeRole", Resource: `arn:aws:iam::${ACCOUNT}:role/deploy` }), {
      config: cfg,
      mode: "iam",
    });
    expect(named.ok).toBe(true);
    expect(named.risk).toBe("high");
    expect(named.warnings.map((w) => w.message).join("\n")).toMatch(
      /"sts:AssumeRole" on named resources makes the request risk high: the holder receives the named role's credentials/,
    );
    const every = checkPolicy(catalogue, allowPolicy({ Action: "sts:AssumeRole", Resource: `arn:aws:iam::${ACCOUNT}:role/???*` }), {
      config: cfg,
      mode: "iam",
    });
    expect(every.ok).toBe(false);
  });

  it("the explanation says that sessions and commands outlive the expiry and that the sweep does not end them", () => {
    const p = allowPolicy({ Action: ["ssm:StartSession", "ecs:ExecuteCommand"], Resource: `arn:aws:ec2:${R}:instance/i-0123456789abcdef0` });
    const summary = explainPolicy(catalogue, p).summary;
    expect(summary).toMatch(/A session or command started with ecs:ExecuteCommand and ssm:StartSession before the expiry keeps running after it/);
    expect(summary).toMatch(/neither the scheduled revocation nor the sweep ends sessions or commands/);
    expect(explainPolicy(catalogue, allowPolicy({ Action: "ssm:GetParameter", Resource: `arn:aws:ssm:${R}:parameter/app` })).summary).not.toMatch(
      /keeps running/,
    );
  });
});
