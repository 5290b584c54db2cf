// Red-team regressions: variants of the fixed guardrail classes that the first attack suites did
// not cover. Each runs the pure pipeline the way `jit-access plan` and the PR check do, with the
// default repository config (the services an access repository allows out of the box).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { codesOf } from "../src/domain/problems.js";
import { defaultConfig } from "../src/domain/config.js";
import type { AccessRequest, Config, PolicyDocument, RequestItem } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { DANGEROUS_ACTIONS } from "../src/policy/dangerous.js";
import { leftOutOfLevels } from "../src/policy/destructive.js";
import { compressActions } from "../src/policy/generator.js";
import { EC2_ID_PREFIXES, checkPolicy, grantUnscoped } from "../src/policy/guardrails.js";
import { planRequest, type Plan } from "../src/policy/pipeline.js";

const catalogue = loadCatalogue();
const ACCOUNT = "123456789012";
const R = `us-east-1:${ACCOUNT}`;

function config(extra: Partial<Config> = {}): Config {
  const base = defaultConfig();
  return { ...base, aws: { ...base.aws, region: "us-east-1", accounts: { prod: ACCOUNT } }, ...extra };
}

function plan(request: RequestItem[], policy?: unknown, cfg: Config = config()): Plan {
  const req: AccessRequest = { version: 1, id: "7-redteam", requester: "mallory", account: "prod", duration: "2h", reason: "red team regression", request };
  if (policy !== undefined) req.policy = policy as PolicyDocument;
  return planRequest(catalogue, { request: req, config: cfg, accountId: ACCOUNT, now: new Date("2026-12-01T09:00:00Z"), durationSeconds: 7200 });
}

function allowPolicy(...statements: Array<{ Action: string | string[]; Resource: string | string[] }>): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements.map((s) => ({ Effect: "Allow" as const, ...s })) };
}

const text = (ps: Array<{ message: string }>) => ps.map((p) => p.message).join("\n");

describe("code execution on existing compute that the dangerous list missed", () => {
  // ssm:SendCommand is refused; a State Manager association runs the same documents
  // (AWS-RunShellScript) as root on the same instances, and keeps running on its schedule.
  const instance = `arn:aws:ec2:${R}:instance/i-0123456789abcdef0`;
  const shell = `arn:aws:ssm:us-east-1::document/AWS-RunShellScript`;
  it.each(["ssm:CreateAssociation", "ssm:CreateAssociationBatch", "ssm:UpdateAssociation"])(
    "%s (runs any command as root through an association) is refused like ssm:SendCommand",
    (action) => {
      const v = checkPolicy(catalogue, allowPolicy({ Action: action, Resource: [instance, shell] }), { config: config(), mode: "iam" });
      expect(v.ok).toBe(false);
      expect(v.risk).toBe("high");
      expect(text(v.errors)).toMatch(new RegExp(`"${action}" is a dangerous action \\(privilege escalation\\).*Source: \\S`));
      expect(codesOf(v.errors)).toContain("guardrail.dangerous-action");
    },
  );

  it("a request naming ssm:CreateAssociation on an instance is not granted at medium risk", () => {
    const p = plan([{ service: "ssm", actions: ["ssm:CreateAssociation"], resources: [instance, shell] }]);
    expect(p.verdict.ok).toBe(false);
    expect(p.verdict.risk).toBe("high");
  });

  // RunTask/StartTask take containerOverrides.command: any command runs with the task
  // definition's task role (only a taskRoleArn override needs iam:PassRole).
  const taskDef = `arn:aws:ecs:${R}:task-definition/db-migrate:42`;
  it.each(["ecs:RunTask", "ecs:StartTask"])("%s on a named task definition is risk high and said to reviewers", (action) => {
    const v = checkPolicy(catalogue, allowPolicy({ Action: action, Resource: taskDef }), { config: config(), mode: "iam" });
    expect(v.ok).toBe(true);
    expect(v.risk).toBe("high");
    expect(text(v.warnings)).toMatch(new RegExp(`"${action}" on named resources makes the request risk high: the holder .*task role`));
    expect(codesOf(v.warnings)).toContain("guardrail.dangerous-scoped");
  });

  it.each(["ecs:RunTask", "ecs:StartTask"])("%s on every task definition is refused", (action) => {
    for (const every of [`arn:aws:ecs:${R}:task-definition/*`, `arn:aws:ecs:${R}:task-definition/*:*`, `arn:aws:ecs:${R}:*`]) {
      const v = checkPolicy(catalogue, allowPolicy({ Action: action, Resource: every }), { config: config(), mode: "iam" });
      expect(v.ok, every).toBe(false);
      expect(text(v.errors), every).toMatch(/is a dangerous action \(privilege escalation\)/);
      expect(codesOf(v.errors), every).toContain("guardrail.dangerous-action");
    }
  });

  it("ecs write on a task definition (what a deploy asks for) is risk high, not medium", () => {
    const p = plan([{ service: "ecs", access: ["write"], resources: ["task-definition/api"] }]);
    expect(p.verdict.risk).toBe("high");
  });
});

describe("a new launch template version reaches instances without ModifyLaunchTemplate", () => {
  // An Auto Scaling group (or fleet) that launches `$Latest` uses a new version as soon as it is
  // created: its user data runs as root with the template's instance profile. The combination
  // with ModifyLaunchTemplate (switching `$Default`) is only one of the two ways.
  const template = `arn:aws:ec2:${R}:launch-template/lt-0123456789abcdef0`;
  it("ec2:CreateLaunchTemplateVersion on a named template is risk high and said to reviewers", () => {
    const v = checkPolicy(catalogue, allowPolicy({ Action: "ec2:CreateLaunchTemplateVersion", Resource: template }), { config: config(), mode: "iam" });
    expect(v.risk).toBe("high");
    expect(text(v.warnings)).toMatch(/"ec2:CreateLaunchTemplateVersion" on named resources makes the request risk high: the holder .*\$Latest/);
    expect(codesOf(v.warnings)).toContain("guardrail.dangerous-scoped");
  });

  it("ec2:CreateLaunchTemplateVersion on every launch template is refused", () => {
    for (const every of [`arn:aws:ec2:${R}:launch-template/*`, `arn:aws:ec2:${R}:launch-template/lt-*`]) {
      const v = checkPolicy(catalogue, allowPolicy({ Action: "ec2:CreateLaunchTemplateVersion", Resource: every }), { config: config(), mode: "iam" });
      expect(v.ok, every).toBe(false);
      expect(text(v.errors), every).toMatch(/"ec2:CreateLaunchTemplateVersion" on .* is a dangerous action \(privilege escalation\)/);
      expect(codesOf(v.errors), every).toContain("guardrail.dangerous-action");
    }
  });

  it("ec2 write on a named launch template is not medium risk", () => {
    expect(plan([{ service: "ec2", access: ["write"], resources: ["lt-0123456789abcdef0"] }]).verdict.risk).toBe("high");
  });
});

describe("data that leaves the account and stays out after the grant", () => {
  // ModifyDBSnapshotAttribute restore=all / an external account id copies the whole database out;
  // AWS files it under Write, so only the unscoped case used to be caught.
  const cases: Array<[string, string]> = [
    ["rds:ModifyDBSnapshotAttribute", `arn:aws:rds:${R}:snapshot:orders-2026-12-01`],
    ["rds:ModifyDBClusterSnapshotAttribute", `arn:aws:rds:${R}:cluster-snapshot:orders-2026-12-01`],
  ];
  it.each(cases)("%s on one named snapshot is risk high and said to reviewers", (action, snapshot) => {
    const v = checkPolicy(catalogue, allowPolicy({ Action: action, Resource: snapshot }), { config: config(), mode: "iam" });
    expect(v.risk).toBe("high");
    expect(text(v.warnings)).toMatch(new RegExp(`"${action}" on named resources makes the request risk high: the holder .*another AWS account`));
    expect(codesOf(v.warnings)).toContain("guardrail.dangerous-scoped");
  });

  it("rds write on a named snapshot is not medium risk", () => {
    const p = plan([{ service: "rds", access: ["write"], resources: [`arn:aws:rds:${R}:snapshot:orders-2026-12-01`] }]);
    expect(p.verdict.risk).toBe("high");
  });

  // Like logs:AssociateKmsKey and s3:PutEncryptionConfiguration: UpdateSecret's KmsKeyId may name
  // a key in another account, whose owner can then disable it and lock the secret away.
  it("secretsmanager write leaves out UpdateSecret (re-encryption under any key) but keeps PutSecretValue", () => {
    const level = plan([{ service: "secretsmanager", access: ["write"], resources: ["prod-db"] }]);
    const granted = level.policy.Statement.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : s.Action));
    expect(granted).toContain("secretsmanager:PutSecretValue");
    expect(granted).not.toContain("secretsmanager:UpdateSecret");
    expect(level.verdict.risk).toBe("medium");
    const named = plan([{ service: "secretsmanager", actions: ["secretsmanager:UpdateSecret"], resources: ["prod-db"] }]);
    expect(named.verdict.risk).toBe("high");
    expect(text(named.verdict.warnings)).toMatch(/secretsmanager:UpdateSecret \(.*another account.*\) is a destructive or administrative write/);
    expect(codesOf(named.verdict.warnings)).toContain("guardrail.destructive-action");
  });

  // Like logs:PutSubscriptionFilter: a subscription sends every later message to any endpoint
  // (another account's queue, an HTTPS URL, an email address) long after the grant ends.
  it("sns write on a topic leaves out sns:Subscribe; named, it is risk high", () => {
    const topic = `arn:aws:sns:${R}:orders-events`;
    const level = plan([{ service: "sns", access: ["write"], resources: [topic] }]);
    const granted = level.policy.Statement.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : s.Action));
    expect(granted).toContain("sns:Publish");
    expect(granted).not.toContain("sns:Subscribe");
    expect(level.verdict.risk).toBe("medium");
    const named = plan([{ service: "sns", actions: ["sns:Subscribe"], resources: [topic] }]);
    expect(named.verdict.risk).toBe("high");
    expect(text(named.verdict.warnings)).toMatch(/sns:Subscribe \(sends every later message .*\) is a destructive or administrative write/);
    expect(codesOf(named.verdict.warnings)).toContain("guardrail.destructive-action");
  });
});

describe("compression writes wildcards only where a later AWS action is harmless", () => {
  // `ecs:Update*`, `rds:Create*`, `lambda:Invoke*` match every such action today, but a write AWS
  // adds later under the prefix (a new code-execution or export action) would be granted without
  // the dangerous and destructive lists ever seeing it. List and read wildcards stay.
  const SERVICES = ["ec2", "s3", "rds", "ssm", "lambda", "dynamodb", "ecs", "kms", "logs", "sns", "secretsmanager", "states", "ecr", "cloudwatch"];
  const levelPolicy = (service: string, level: string): PolicyDocument => ({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: catalogue
          .actionsOf(service)
          .filter((a) => a.level === level && !leftOutOfLevels(a))
          .map((a) => a.full),
        Resource: `arn:aws:${service}:${R}:x`,
      },
    ],
  });
  const wildcards = (p: PolicyDocument) => p.Statement.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : s.Action)).filter((a) => /[*?]/.test(a));

  it("a whole write level is never compressed (ecs:Update*, rds:Create* …)", () => {
    expect(wildcards(compressActions(catalogue, levelPolicy("ecs", "write")))).toEqual([]);
    expect(wildcards(compressActions(catalogue, levelPolicy("rds", "write")))).toEqual([]);
  });

  it("property: a statement holding any action above read keeps its exact list; list-only statements still compress", () => {
    expect(wildcards(compressActions(catalogue, levelPolicy("ec2", "list"))).length).toBeGreaterThan(0);
    const arb = fc.tuple(fc.constantFrom(...SERVICES), fc.subarray(["list", "read", "write", "tagging", "permissions-management"], { minLength: 1 }));
    fc.assert(
      fc.property(arb, ([service, levels]) => {
        const actions = catalogue
          .actionsOf(service)
          .filter((a) => levels.includes(a.level) && !leftOutOfLevels(a))
          .map((a) => a.full);
        fc.pre(actions.length > 0);
        const out = compressActions(catalogue, {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: actions, Resource: `arn:aws:${service}:${R}:x` }],
        });
        const upper = actions.some((a) => !["list", "read"].includes(catalogue.action(a)?.level ?? ""));
        if (upper) expect(out.Statement[0]?.Action).toEqual(actions);
      }),
      { numRuns: 150 },
    );
  });
});

describe("an EC2 id prefix is part of every name, not a narrowing", () => {
  // Every snapshot id starts with snap-, every instance id with i-: `snapshot/snap-*` is
  // `snapshot/*`. A hex digit after the prefix does narrow.
  const snapshots = (name: string) => `arn:aws:ec2:us-east-1::snapshot/${name}`;
  it("ec2:ModifySnapshotAttribute on snapshot/snap-* is refused like snapshot/*", () => {
    for (const name of ["*", "snap-*", "snap*", "s*", "sna?-*", "snap-?*"]) {
      const v = checkPolicy(catalogue, allowPolicy({ Action: "ec2:ModifySnapshotAttribute", Resource: snapshots(name) }), { config: config(), mode: "iam" });
      expect(v.ok, name).toBe(false);
      expect(text(v.errors), name).toMatch(/"ec2:ModifySnapshotAttribute" on .* is a dangerous action \(resource exposure\)/);
      expect(codesOf(v.errors), name).toContain("guardrail.dangerous-action");
    }
    expect(grantUnscoped(catalogue, "ec2:ModifySnapshotAttribute", snapshots("snap-0abc*"))).toBe(false);
    expect(grantUnscoped(catalogue, "ec2:ModifySnapshotAttribute", snapshots("snap-0123456789abcdef0"))).toBe(false);
  });

  it("table: for every EC2 id type, <prefix>-* is unscoped and <prefix>-0* is not", () => {
    const formats = new Map(catalogue.resourceTypesOf("ec2").map((t) => [t.key, t.arnFormat]));
    const checked: string[] = [];
    for (const [placeholder, prefix] of Object.entries(EC2_ID_PREFIXES)) {
      const entry = [...formats].find(([, f]) => f.endsWith(`/\${${placeholder}}`) && f.includes(":ec2:"));
      expect(entry, placeholder).toBeDefined();
      const [type, format] = entry as [string, string];
      const action = catalogue.actionsOf("ec2").find((a) => a.resourceTypes.length === 1 && a.resourceTypes[0]?.name.toLowerCase() === type);
      if (!action) continue;
      const arn = (name: string) =>
        format.replace("${Partition}", "aws").replace("${Region}", "us-east-1").replace("${Account}", ACCOUNT).replace(`\${${placeholder}}`, name);
      expect(grantUnscoped(catalogue, action.full, arn(`${prefix}-*`)), `${action.full} ${arn(`${prefix}-*`)}`).toBe(true);
      expect(grantUnscoped(catalogue, action.full, arn(`${prefix}-0*`)), `${action.full} ${arn(`${prefix}-0*`)}`).toBe(false);
      checked.push(type);
    }
    expect(checked.length).toBeGreaterThan(10);
  });
});

describe("a prefix request lists keys only under its prefix", () => {
  // ListBucketMultipartUploads returns the keys of in-progress uploads anywhere in the bucket and
  // takes no s3:prefix condition, so a prefix (or one-object) request must not get it from a level.
  const actionsOn = (p: Plan, arn: string) =>
    p.policy.Statement.filter((s) => (typeof s.Resource === "string" ? [s.Resource] : s.Resource).includes(arn)).flatMap((s) =>
      typeof s.Action === "string" ? [s.Action] : s.Action,
    );
  it.each([["data-lake/incoming/"], ["data-lake/incoming/2026/"], ["data-lake/reports/summary.csv"]])("%s: no bucket-wide key listing", (resource) => {
    const p = plan([{ service: "s3", access: ["read", "write", "list"], resources: [resource] }]);
    expect(p.verdict.ok, text(p.verdict.errors)).toBe(true);
    const onBucket = actionsOn(p, "arn:aws:s3:::data-lake");
    expect(onBucket).toContain("s3:ListBucket");
    expect(onBucket).not.toContain("s3:ListBucketMultipartUploads");
    expect(
      p.policy.Statement.filter((s) => (typeof s.Action === "string" ? [s.Action] : s.Action).includes("s3:ListBucket")).every(
        (s) => s.Condition !== undefined,
      ),
    ).toBe(true);
  });

  it("the whole bucket still lists its uploads", () => {
    expect(actionsOn(plan([{ service: "s3", access: ["list"], resources: ["data-lake"] }]), "arn:aws:s3:::data-lake")).toContain(
      "s3:ListBucketMultipartUploads",
    );
  });
});

describe("IAM action names are case-insensitive: no spelling escapes the lists", () => {
  // AWS matches action names without regard to case, so `SSM:sendcommand` is ssm:SendCommand.
  const always = DANGEROUS_ACTIONS.filter((d) => d.scope === "always" && config().allowed_services.includes(d.action.split(":")[0] ?? ""));
  const recase = (name: string, flips: boolean[]) => [...name].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c.toLowerCase())).join("");

  it("property: every refused-always action of the default services is refused in any letter case", () => {
    expect(always.length).toBeGreaterThan(8);
    fc.assert(
      fc.property(fc.constantFrom(...always), fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), (d, flips) => {
        const spelled = recase(d.action, flips);
        const v = checkPolicy(catalogue, allowPolicy({ Action: spelled, Resource: `arn:aws:ec2:${R}:instance/i-0123456789abcdef0` }), {
          config: config(),
          mode: "iam",
        });
        expect(v.ok, spelled).toBe(false);
        expect(v.risk, spelled).toBe("high");
        expect(text(v.errors), spelled).toMatch(new RegExp(`${d.action.replace(":", ".*")}.* is a dangerous action`, "i"));
        expect(codesOf(v.errors), spelled).toContain("guardrail.dangerous-action");
      }),
      { numRuns: 100 },
    );
  });

  it("a request naming a dangerous action in odd case is refused, and a destructive one is risk high", () => {
    const shell = plan([{ service: "ssm", actions: ["SSM:sendCOMMAND"], resources: ["i-0123456789abcdef0"] }]);
    expect(shell.verdict.ok).toBe(false);
    const drop = plan([{ service: "dynamodb", actions: ["DynamoDB:deletetable"], resources: ["orders"] }]);
    expect(drop.verdict.risk).toBe("high");
  });
});
