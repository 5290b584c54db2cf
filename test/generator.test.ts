import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RequestItem, Statement } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import {
  COARSE_LEVEL_EXCLUSIONS,
  GENERATOR_VERSION,
  compressActions,
  generatePolicy,
  isCoarseLevelExclusion,
  resourceNaming,
  servicesWithNames,
  type GeneratorContext,
} from "../src/policy/generator.js";
import { explainPolicy } from "../src/policy/explain.js";
import { COMPANIONS } from "../src/policy/companions.js";
import { planRequest } from "../src/policy/pipeline.js";
import * as yaml from "js-yaml";
import { testConfig } from "./support/config-fixtures.js";

const catalogue = loadCatalogue();
const GOLDEN = join(fileURLToPath(new URL(".", import.meta.url)), "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const ctx: GeneratorContext = { partition: "aws", region: "eu-west-1", accountId: "123456789012" };
const ACCOUNT = ctx.accountId;

interface GoldenRequest {
  ctx: GeneratorContext;
  request: RequestItem[];
}

const goldenNames = readdirSync(GOLDEN)
  .filter((f) => f.endsWith(".request.json"))
  .map((f) => f.slice(0, -".request.json".length))
  .sort();

function gen(items: RequestItem[], c: GeneratorContext = ctx) {
  return generatePolicy(catalogue, items, c);
}

function statement(policy: { Statement: Statement[] }, sid: string): Statement {
  const s = policy.Statement.find((x) => x.Sid === sid);
  if (!s) throw new Error(`no statement ${sid} in ${policy.Statement.map((x) => x.Sid).join(", ")}`);
  return s;
}

function allActions(policy: { Statement: Statement[] }): string[] {
  return policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

describe("golden policies", () => {
  it("has at least 25 requests covering every service with name rules", () => {
    expect(goldenNames.length).toBeGreaterThanOrEqual(25);
    const services = new Set<string>();
    for (const name of goldenNames) {
      const req = JSON.parse(readFileSync(join(GOLDEN, `${name}.request.json`), "utf8")) as GoldenRequest;
      for (const item of req.request) services.add(item.service);
    }
    for (const s of servicesWithNames()) expect(services, s).toContain(s);
  });

  for (const name of goldenNames) {
    it(name, () => {
      const req = JSON.parse(readFileSync(join(GOLDEN, `${name}.request.json`), "utf8")) as GoldenRequest;
      const result = generatePolicy(catalogue, req.request, req.ctx);
      expect(result.problems).toEqual([]);
      const actual = `${JSON.stringify(result.policy, null, 2)}\n`;
      const file = join(GOLDEN, `${name}.policy.json`);
      if (UPDATE) writeFileSync(file, actual);
      expect(actual).toBe(readFileSync(file, "utf8"));
      // Every statement is canonical: sorted, unique, no wildcard actions, alphanumeric Sids.
      for (const s of result.policy.Statement) {
        expect(s.Sid).toMatch(/^[A-Za-z0-9]+$/);
        const actions = s.Action as string[];
        expect(actions).toEqual([...new Set(actions)].sort());
        for (const a of actions) expect(a).not.toMatch(/[*?]/);
        if (s.Resource !== "*") expect(s.Resource).toEqual([...new Set(s.Resource as string[])].sort());
      }
      const sids = result.policy.Statement.map((s) => s.Sid);
      expect(new Set(sids).size).toBe(sids.length);
      // Resources lie within what the request expanded to.
      const envelope = new Set(result.resources.flatMap((r) => r.resources));
      for (const s of result.policy.Statement) {
        if (s.Resource === "*") continue;
        for (const r of s.Resource as string[]) expect(envelope, r).toContain(r);
      }
    });
  }
});

describe("generatePolicy", () => {
  it("reports its version", () => {
    expect(GENERATOR_VERSION).toBe("builtin/1");
  });

  it("is deterministic: shuffled items and resources give byte-identical output", () => {
    const items: RequestItem[] = [
      { service: "s3", access: ["read", "list"], resources: ["b-one", "b-two/logs/"] },
      { service: "dynamodb", access: ["write", "read"], resources: ["orders", "customers"] },
      { service: "kms", actions: ["kms:Decrypt", "kms:DescribeKey"], resources: ["1234abcd-12ab-34cd-56ef-1234567890ab"] },
      { service: "s3", access: ["write"], resources: ["b-two"] },
    ];
    const base = JSON.stringify(gen(items).policy);
    const shuffled: RequestItem[] = [
      { service: "s3", access: ["write"], resources: ["b-two"] },
      { service: "kms", actions: ["kms:DescribeKey", "kms:Decrypt"], resources: ["1234abcd-12ab-34cd-56ef-1234567890ab"] },
      { service: "dynamodb", access: ["read", "write"], resources: ["customers", "orders"] },
      { service: "s3", access: ["list", "read"], resources: ["b-two/logs/", "b-one"] },
    ];
    expect(JSON.stringify(gen(shuffled).policy)).toBe(base);
    expect(JSON.stringify(gen(items).policy)).toBe(base);
  });

  it("expands S3 names: bucket, prefix and object key", () => {
    const r = gen([{ service: "s3", access: ["read", "list", "write"], resources: ["a-bucket", "b-bucket/in/", "c-bucket/k.csv"] }]);
    expect(r.problems).toEqual([]);
    expect(r.resources[0]?.byResource).toEqual([
      { input: "a-bucket", arns: ["arn:aws:s3:::a-bucket", "arn:aws:s3:::a-bucket/*"] },
      { input: "b-bucket/in/", arns: ["arn:aws:s3:::b-bucket", "arn:aws:s3:::b-bucket/in/*"] },
      { input: "c-bucket/k.csv", arns: ["arn:aws:s3:::c-bucket", "arn:aws:s3:::c-bucket/k.csv"] },
    ]);
    // A prefix or key never lets anyone reconfigure or delete the bucket itself.
    expect(statement(r.policy, "S3WriteBucket").Resource).toEqual(["arn:aws:s3:::a-bucket"]);
    expect(statement(r.policy, "S3ReadBucket").Resource).toEqual(["arn:aws:s3:::a-bucket"]);
    // Every bucket can be listed, but listing keys is limited to the prefix or key asked for; the whole bucket lists freely.
    expect(r.policy.Statement.filter((st) => st.Condition)).toEqual([
      {
        Sid: "S3ListBucketPrefix",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:ListBucketVersions"],
        Resource: ["arn:aws:s3:::b-bucket"],
        Condition: { StringLike: { "s3:prefix": ["in/", "in/*"] } },
      },
      {
        Sid: "S3ListBucketPrefix2",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:ListBucketVersions"],
        Resource: ["arn:aws:s3:::c-bucket"],
        Condition: { StringLike: { "s3:prefix": ["k.csv"] } },
      },
    ]);
    const unconditioned = r.policy.Statement.filter((st) => !st.Condition && (st.Action as string[]).includes("s3:ListBucket"));
    expect(unconditioned.flatMap((st) => st.Resource)).toEqual(["arn:aws:s3:::a-bucket"]);
  });

  it("expands names of every service in the table to ARNs of the intended resource types", () => {
    const cases: Array<[string, string, string[]]> = [
      [
        "dynamodb",
        "orders",
        [
          `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders`,
          `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders/index/*`,
          `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/orders/stream/*`,
        ],
      ],
      ["ec2", "i-0abc1234def567890", [`arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0abc1234def567890`]],
      ["ec2", "ami-0abc1234", ["arn:aws:ec2:eu-west-1::image/ami-0abc1234"]],
      ["ec2", "vpce-0abc1234", [`arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc-endpoint/vpce-0abc1234`]],
      ["rds", "orders-db", [`arn:aws:rds:eu-west-1:${ACCOUNT}:db:orders-db`]],
      ["rds", "cluster:aurora", [`arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:aurora`]],
      ["lambda", "fn", [`arn:aws:lambda:eu-west-1:${ACCOUNT}:function:fn`, `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:fn:*`]],
      ["sqs", "q.fifo", [`arn:aws:sqs:eu-west-1:${ACCOUNT}:q.fifo`]],
      ["sns", "t", [`arn:aws:sns:eu-west-1:${ACCOUNT}:t`]],
      [
        "logs",
        "/aws/x",
        [
          `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/x`,
          `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/x:*`,
          `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/x:log-stream:*`,
        ],
      ],
      ["cloudwatch", "dashboard/ops", [`arn:aws:cloudwatch::${ACCOUNT}:dashboard/ops`]],
      ["cloudwatch", "cpu", [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:cpu`]],
      ["kms", "alias/app", [`arn:aws:kms:eu-west-1:${ACCOUNT}:alias/app`]],
      ["secretsmanager", "prod/db", [`arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-??????`]],
      ["ssm", "/a/b", [`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/a/b`]],
      ["ssm", "/a/b/", [`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/a/b`, `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/a/b/*`]],
      ["ssm", "plain", [`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/plain`]],
      ["ecr", "team/api", [`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team/api`]],
      [
        "ecs",
        "service/web",
        [
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-deployment/default/web/*`,
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-revision/default/web/*`,
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/default/web`,
        ],
      ],
      ["ecs", "task-definition/api:7", [`arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`]],
      [
        "ecs",
        "cluster/prod",
        [
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:container-instance/prod/*`,
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/*`,
          `arn:aws:ecs:eu-west-1:${ACCOUNT}:task/prod/*`,
        ],
      ],
      [
        "states",
        "etl",
        [
          `arn:aws:states:eu-west-1:${ACCOUNT}:execution:etl:*`,
          `arn:aws:states:eu-west-1:${ACCOUNT}:express:etl:*:*`,
          `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:etl`,
        ],
      ],
      ["states", "activity:approve", [`arn:aws:states:eu-west-1:${ACCOUNT}:activity:approve`]],
    ];
    for (const [service, name, arns] of cases) {
      const r = gen([{ service, access: ["read", "write", "list", "tagging"], resources: [name] }]);
      expect(r.resources[0]?.resources, `${service} ${name}`).toEqual(arns);
      // Each generated ARN really is of a resource type of the service.
      for (const arn of arns) expect(catalogue.matchResourceTypes(service, arn).length, arn).toBeGreaterThan(0);
    }
  });

  // Names people write for everyday resources that had no form: each maps to the resource type
  // AWS authorizes on, and the ARN reads back as that type.
  it.each([
    ["rds", "snapshot:rds:orders-db-2026-11-27-03-10", `arn:aws:rds:eu-west-1:${ACCOUNT}:snapshot:rds:orders-db-2026-11-27-03-10`, "snapshot"],
    [
      "rds",
      "cluster-snapshot:rds:aurora-2026-11-27-03-10",
      `arn:aws:rds:eu-west-1:${ACCOUNT}:cluster-snapshot:rds:aurora-2026-11-27-03-10`,
      "cluster-snapshot",
    ],
    ["lambda", "resize:prod", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:resize:prod`, "function alias"],
    ["lambda", "resize:7", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:resize:7`, "function version"],
    ["lambda", "resize:$LATEST", `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:resize:$LATEST`, "function version"],
    ["ecs", "api:7", `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`, "task-definition"],
    ["ecs", "task-definition/api", `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:*`, "task-definition"],
    ["ssm", "i-0abc1234def567890", `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0abc1234def567890`, "instance"],
    ["ssm", "mi-0123456789abcdef0", `arn:aws:ssm:eu-west-1:${ACCOUNT}:managed-instance/mi-0123456789abcdef0`, "managed-instance"],
  ])("names %s %s", (service, name, arn, type) => {
    const r = gen([{ service, access: ["read", "write"], resources: [name] }]);
    expect(r.problems).toEqual([]);
    expect(r.resources[0]?.resources).toEqual([arn]);
    expect(catalogue.matchResourceTypes(service, arn).map((t) => t.key)).toContain(type);
  });

  it("a parameter named like an instance id is written with its leading slash", () => {
    const r = gen([{ service: "ssm", access: ["read"], resources: ["/i-0abc1234def567890"] }]);
    expect(r.resources[0]?.resources).toEqual([`arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/i-0abc1234def567890`]);
  });

  it("Session Manager on a bare instance id grants the session on the instance", () => {
    const r = gen([{ service: "ssm", actions: ["ssm:StartSession"], resources: ["i-0abc1234def567890"] }]);
    expect(r.problems).toEqual([]);
    expect(r.policy.Statement).toEqual([
      { Sid: "SSMWriteInstance", Effect: "Allow", Action: ["ssm:StartSession"], Resource: [`arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0abc1234def567890`] },
    ]);
  });

  it("names only resource types that exist in the data", () => {
    for (const { service, forms } of resourceNaming()) {
      expect(catalogue.hasService(service), service).toBe(true);
      for (const form of forms) {
        for (const type of form.types) expect(catalogue.resourceType(service, type), `${service} ${type}`).toBeDefined();
      }
    }
  });

  it("accepts full ARNs of the request's account as they are", () => {
    const arn = `arn:aws:sqs:us-east-1:${ACCOUNT}:other-region-queue`;
    const r = gen([{ service: "sqs", actions: ["sqs:SendMessage"], resources: [arn] }]);
    expect(r.problems).toEqual([]);
    expect(r.policy.Statement).toEqual([{ Sid: "SQSWriteQueue", Effect: "Allow", Action: ["sqs:SendMessage"], Resource: [arn] }]);
  });

  it("puts actions without resource-level support on * only when list is asked", () => {
    const withList = gen([{ service: "s3", access: ["list"], resources: ["b"] }]);
    const star = statement(withList.policy, "S3ListAllResources");
    expect(star.Resource).toBe("*");
    expect(star.Action).toContain("s3:ListAllMyBuckets");
    expect(withList.resources[0]?.unscopedActions).toContain("s3:ListAllMyBuckets");
    for (const a of star.Action as string[]) expect(catalogue.action(a)?.resourceTypes.length).toBe(0);

    for (const level of ["read", "write", "tagging", "permissions-management"] as const) {
      const r = gen([{ service: "s3", access: [level], resources: ["b"] }]);
      expect(
        r.policy.Statement.filter((s) => s.Resource === "*"),
        level,
      ).toEqual([]);
    }
  });

  it("puts an exactly named action without resource-level support on *", () => {
    const r = gen([{ service: "ecr", actions: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"], resources: ["repo"] }]);
    expect(r.problems).toEqual([]);
    expect(statement(r.policy, "ECRReadAllResources")).toEqual({
      Sid: "ECRReadAllResources",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken"],
      Resource: "*",
    });
  });

  it("narrows access levels with actions", () => {
    const wide = gen([{ service: "dynamodb", access: ["read"], resources: ["t"] }]);
    const narrow = gen([{ service: "dynamodb", access: ["read"], actions: ["dynamodb:GetItem", "dynamodb:Query"], resources: ["t"] }]);
    expect(narrow.problems).toEqual([]);
    expect(allActions(wide.policy).length).toBeGreaterThan(5);
    expect(new Set(allActions(narrow.policy))).toEqual(new Set(["dynamodb:GetItem", "dynamodb:Query"]));
    expect(statement(narrow.policy, "DynamoDBReadIndexTable").Action).toEqual(["dynamodb:Query"]);
    expect(statement(narrow.policy, "DynamoDBReadIndexTable").Resource).toEqual([
      `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t`,
      `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t/index/*`,
    ]);
  });

  it("replaces access levels with actions when access is absent, exclusions included", () => {
    const r = gen([{ service: "s3", actions: ["s3:GetObjectAcl", "s3:PutObject"], resources: ["b"] }]);
    expect(r.problems).toEqual([]);
    expect(r.policy.Statement).toEqual([
      { Sid: "S3ReadObject", Effect: "Allow", Action: ["s3:GetObjectAcl"], Resource: ["arn:aws:s3:::b/*"] },
      { Sid: "S3WriteObject", Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::b/*"] },
    ]);
  });

  it("leaves the coarse-level exclusions out of access levels", () => {
    const r = gen([{ service: "s3", access: ["read", "write", "permissions-management"], resources: ["b"] }]);
    const granted = new Set(allActions(r.policy));
    for (const a of ["s3:GetObjectAcl", "s3:GetObjectTorrent", "s3:GetObjectLegalHold", "s3:PutObjectRetention", "s3:ReplicateObject"]) {
      expect(granted, a).not.toContain(a);
    }
    expect(granted).toContain("s3:GetObject");
    expect(granted).toContain("s3:PutBucketPolicy");
    // Every listed exclusion names a real action.
    for (const group of COARSE_LEVEL_EXCLUSIONS) {
      for (const a of group.actions) {
        expect(catalogue.action(a)?.full, a).toBe(a);
        expect(isCoarseLevelExclusion(a.toLowerCase())).toBe(true);
      }
    }
  });

  it("keeps DynamoDB streams to read access", () => {
    const read = gen([{ service: "dynamodb", access: ["read"], resources: ["t"] }]);
    expect(JSON.stringify(read.policy)).toContain("table/t/stream/*");
    const write = gen([{ service: "dynamodb", access: ["write", "tagging", "permissions-management"], resources: ["t"] }]);
    expect(JSON.stringify(write.policy)).not.toContain("stream");
  });

  it("numbers statements that would share a Sid", () => {
    const r = gen([
      { service: "dynamodb", access: ["read"], resources: ["a"] },
      { service: "dynamodb", actions: ["dynamodb:GetItem"], resources: ["b"] },
    ]);
    const sids = r.policy.Statement.map((s) => s.Sid);
    expect(sids).toContain("DynamoDBReadTable");
    expect(sids).toContain("DynamoDBReadTable2");
    expect(new Set(sids).size).toBe(sids.length);
  });

  describe("problems", () => {
    function problemsOf(items: RequestItem[], c: GeneratorContext = ctx) {
      return gen(items, c).problems;
    }

    it("unknown service", () => {
      const p = problemsOf([{ service: "s4", access: ["read"], resources: ["b"] }]);
      expect(p).toEqual([{ code: "request.unknown-service", path: "request[0].service", message: expect.stringContaining('unknown AWS service "s4"') }]);
    });

    it("a name that cannot be mapped, with the accepted forms", () => {
      const p = problemsOf([{ service: "s3", access: ["read"], resources: ["Bad_Bucket"] }]);
      expect(p).toHaveLength(1);
      expect(p[0]?.path).toBe("request[0].resources[0]");
      expect(p[0]?.message).toContain('cannot map "Bad_Bucket"');
      expect(p[0]?.message).toContain("bucket/prefix/");
    });

    it("a name for a service without name rules", () => {
      const p = problemsOf([{ service: "events", access: ["read"], resources: ["nightly"] }]);
      expect(p).toEqual([{ code: "request.resource-unmapped", path: "request[0].resources[0]", message: expect.stringContaining("give the full ARN") }]);
    });

    it("* as a resource, and wildcard-only names", () => {
      const p = problemsOf([{ service: "s3", access: ["read"], resources: ["*", "ok-bucket", "*/logs/", "arn:aws:s3:::*"] }]);
      expect(p.map((x) => x.path)).toEqual(["request[0].resources[0]", "request[0].resources[2]", "request[0].resources[3]"]);
      expect(p[0]?.message).toContain("every s3 resource");
      expect(p[2]?.message).toContain("names every resource");
    });

    it("an ARN with a wildcard account", () => {
      const p = problemsOf([{ service: "sqs", access: ["write"], resources: ["arn:aws:sqs:eu-west-1:*:q"] }]);
      expect(p).toEqual([{ code: "request.resource-too-wide", path: "request[0].resources[0]", message: expect.stringContaining("wildcard account") }]);
    });

    it("an ARN of another account", () => {
      const p = problemsOf([{ service: "sqs", access: ["write"], resources: ["arn:aws:sqs:eu-west-1:999999999999:q"] }]);
      expect(p).toHaveLength(1);
      expect(p[0]?.path).toBe("request[0].resources[0]");
      expect(p[0]?.message).toContain('"999999999999"');
      expect(p[0]?.message).toContain(ACCOUNT);
    });

    it("an ARN of another partition", () => {
      const p = problemsOf([{ service: "s3", access: ["read"], resources: ["arn:aws-cn:s3:::b"] }]);
      expect(p).toEqual([{ code: "request.resource-invalid", path: "request[0].resources[0]", message: expect.stringContaining('partition "aws-cn"') }]);
    });

    it("an ARN that is no resource type of the service", () => {
      const p = problemsOf([{ service: "s3", access: ["read"], resources: [`arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t`] }]);
      expect(p).toEqual([
        {
          code: "request.resource-wrong-service",
          path: "request[0].resources[0]",
          message: expect.stringContaining("is a dynamodb table, and no s3 action authorizes on it; move it to a request item with service: dynamodb"),
        },
      ]);
      const o = problemsOf([{ service: "s3", access: ["read"], resources: [`arn:aws:nosuch:eu-west-1:${ACCOUNT}:thing/t`] }]);
      expect(o).toEqual([
        { code: "request.resource-wrong-service", path: "request[0].resources[0]", message: expect.stringContaining("is not a s3 resource type") },
      ]);
      const q = problemsOf([{ service: "s3", access: ["read"], resources: ["arn:aws:s3"] }]);
      expect(q[0]?.message).toContain("not a valid ARN");
    });

    it("an action with a wildcard", () => {
      const p = problemsOf([{ service: "s3", actions: ["s3:Get*"], resources: ["b"] }]);
      expect(p[0]).toEqual({ code: "request.action-wildcard", path: "request[0].actions[0]", message: expect.stringContaining("wildcard") });
    });

    it("an unknown action", () => {
      const p = problemsOf([{ service: "s3", actions: ["s3:GetObjekt", "s3:GetObject"], resources: ["b"] }]);
      expect(p).toEqual([{ code: "request.unknown-action", path: "request[0].actions[0]", message: expect.stringContaining('unknown action "s3:GetObjekt"') }]);
    });

    it("an action of another service", () => {
      const p = problemsOf([{ service: "s3", actions: ["s3:GetObject", "dynamodb:GetItem"], resources: ["b"] }]);
      expect(p).toEqual([
        { code: "request.action-service-mismatch", path: "request[0].actions[1]", message: expect.stringContaining("belongs to dynamodb, not s3") },
      ]);
    });

    it("an action outside the asked levels", () => {
      const p = problemsOf([{ service: "s3", access: ["read"], actions: ["s3:GetObject", "s3:PutObject"], resources: ["b"] }]);
      expect(p).toEqual([
        { code: "request.action-level-mismatch", path: "request[0].actions[1]", message: expect.stringContaining("s3:PutObject is a write action") },
      ]);
    });

    it("an action that applies to none of the resources", () => {
      const p = problemsOf([{ service: "s3", actions: ["s3:GetObject"], resources: ["b/"] }]);
      expect(p).toEqual([]);
      const q = problemsOf([{ service: "sqs", actions: ["sqs:SendMessage", "sns:Publish"], resources: ["q"] }]);
      expect(q.map((x) => x.path)).toEqual(["request[0].actions[1]"]);
      const r = problemsOf([{ service: "ecs", actions: ["ecs:StopTask"], resources: ["task-definition/api"] }]);
      // The item-level "yields no actions" would only repeat the action's fault.
      expect(r.map((x) => x.path)).toEqual(["request[0].actions[0]"]);
      expect(r[0]?.message).toContain("ecs:StopTask applies to task resources");
    });

    it("an item yielding no actions", () => {
      const p = problemsOf([{ service: "kms", access: ["read"], resources: ["alias/app"] }]);
      expect(p).toEqual([{ code: "request.no-actions", path: "request[0]", message: expect.stringContaining("yields no actions") }]);
    });

    it("a resource no asked action applies to", () => {
      const p = problemsOf([{ service: "kms", access: ["read"], resources: ["1234abcd-12ab-34cd-56ef-1234567890ab", "alias/app"] }]);
      expect(p).toEqual([{ code: "request.resource-unused", path: "request[0].resources[1]", message: expect.stringContaining('"alias/app"') }]);
    });

    it("neither access nor actions", () => {
      const p = problemsOf([{ service: "s3", resources: ["b"] }]);
      expect(p).toEqual([{ code: "request.no-access", path: "request[0]", message: expect.stringContaining('give "access"') }]);
    });

    it("an unknown access level", () => {
      const p = problemsOf([{ service: "s3", access: ["read", "admin" as never], resources: ["b"] }]);
      expect(p).toEqual([
        { code: "request.unknown-access-level", path: "request[0].access[1]", message: expect.stringContaining('unknown access level "admin"') },
      ]);
    });

    it("keeps going after a problem, and paths name the item", () => {
      const r = gen([
        { service: "s3", access: ["read"], resources: ["good"] },
        { service: "nope", access: ["read"], resources: ["x"] },
        { service: "sqs", access: ["write"], resources: ["q", "*"] },
      ]);
      expect(r.problems.map((p) => p.path)).toEqual(["request[1].service", "request[2].resources[1]"]);
      expect(r.resources.map((x) => x.item)).toEqual([0, 1, 2]);
      expect(r.policy.Statement.length).toBeGreaterThan(0);
    });
  });

  it("is fast after warm-up", () => {
    const requests = goldenNames.map((name) => JSON.parse(readFileSync(join(GOLDEN, `${name}.request.json`), "utf8")) as GoldenRequest);
    for (const r of requests) generatePolicy(catalogue, r.request, r.ctx);
    const rounds = 20;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) for (const r of requests) generatePolicy(catalogue, r.request, r.ctx);
    const perRequest = (performance.now() - start) / (rounds * requests.length);
    expect(perRequest).toBeLessThan(5);
  });
});

describe("ARNs of another service's namespace", () => {
  const instance = `arn:aws:ec2:eu-west-1:${ACCOUNT}:instance/i-0abc1234def567890`;
  // Everyday tasks whose resource lives in another namespace than the action's service.
  it.each([
    [
      "Session Manager on an instance",
      { service: "ssm", actions: ["ssm:StartSession"], resources: [instance, `arn:aws:ssm:eu-west-1:${ACCOUNT}:document/SSM-SessionManagerRunShell`] },
      "ssm:StartSession",
      [instance, `arn:aws:ssm:eu-west-1:${ACCOUNT}:document/SSM-SessionManagerRunShell`],
    ],
    [
      "Session Manager port forwarding with an AWS-owned document",
      { service: "ssm", actions: ["ssm:StartSession"], resources: [instance, "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession"] },
      "ssm:StartSession",
      [instance, "arn:aws:ssm:eu-west-1::document/AWS-StartPortForwardingSession"],
    ],
    [
      "EC2 Instance Connect",
      { service: "ec2-instance-connect", actions: ["ec2-instance-connect:SendSSHPublicKey"], resources: [instance] },
      "ec2-instance-connect:SendSSHPublicKey",
      [instance],
    ],
    [
      "the RDS Data API on a cluster",
      { service: "rds-data", actions: ["rds-data:ExecuteStatement"], resources: [`arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:orders`] },
      "rds-data:ExecuteStatement",
      [`arn:aws:rds:eu-west-1:${ACCOUNT}:cluster:orders`],
    ],
    [
      "sts:AssumeRole on a role",
      { service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${ACCOUNT}:role/deploy`] },
      "sts:AssumeRole",
      [`arn:aws:iam::${ACCOUNT}:role/deploy`],
    ],
  ] as const)("%s", (_name, item, action, arns) => {
    const r = gen([item as unknown as RequestItem]);
    expect(r.problems).toEqual([]);
    const granted = r.policy.Statement.filter((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]).includes(action)).flatMap((st) =>
      Array.isArray(st.Resource) ? st.Resource : [st.Resource],
    );
    expect([...granted].sort()).toEqual([...arns].sort());
  });

  // The family: every resource type a service lists under another namespace, named with an
  // action of that service that authorizes on it, is accepted by the generator.
  it("accepts every foreign-namespace resource type some action of the service authorizes on", () => {
    const fill = (format: string) =>
      format.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, k: string) => (k === "Partition" ? "aws" : k === "Region" ? "eu-west-1" : k === "Account" ? ACCOUNT : "x1"));
    let checked = 0;
    for (const service of [
      "ssm",
      "ec2-instance-connect",
      "rds-data",
      "sts",
      "ecs",
      "lambda",
      "states",
      "logs",
      "cloudwatch",
      "kms",
      "secretsmanager",
      "iam",
      "glue",
      "athena",
    ]) {
      for (const rt of catalogue.resourceTypesOf(service)) {
        const namespace = rt.arnFormat.split(":")[2];
        if (namespace === service) continue;
        const arn = fill(rt.arnFormat);
        // Another resource type of the same service may match the same ARN more specifically.
        if (!catalogue.matchResourceTypes(service, arn).some((m) => m.key === rt.key)) continue;
        const action = catalogue.actionsOf(service).find((a) => a.resourceTypes.some((t) => t.name === rt.key));
        if (!action) continue;
        const r = gen([{ service, actions: [action.full], resources: [arn] }]);
        expect(r.problems, `${service} ${rt.key} ${arn} ${action.full}`).toEqual([]);
        expect(JSON.stringify(r.policy), `${service} ${rt.key}`).toContain(arn);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("refuses a foreign ARN that no asked action can use, naming the item and the fix", () => {
    const p = gen([{ service: "ec2-instance-connect", access: ["read"], resources: [instance] }]).problems;
    expect(p).toEqual([
      {
        code: "request.no-actions",
        path: "request[0]",
        message: expect.stringContaining("read access on these ec2-instance-connect resources yields no actions"),
      },
    ]);
    const q = gen([{ service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:s3:::reports`] }]).problems;
    expect(q).toEqual([
      {
        code: "request.resource-wrong-service",
        path: "request[0].resources[0]",
        message: expect.stringContaining("is a s3 bucket, and no sts action authorizes on it; move it to a request item with service: s3"),
      },
    ]);
  });
});

describe("prefix requests list only under the prefix", () => {
  const LISTS = ["s3:ListBucket", "s3:ListBucketVersions"];
  const listGrants = (policy: { Statement: Statement[] }, bucket: string) => {
    const arn = `arn:aws:s3:::${bucket}`;
    return policy.Statement.filter((st) => (st.Action as string[]).some((a) => LISTS.includes(a)) && (st.Resource as string[]).includes(arn));
  };

  it("a prefix request gets StringLike s3:prefix on ListBucket", () => {
    const r = gen([{ service: "s3", access: ["read", "list"], resources: ["data-lake/incoming/2026/"] }]);
    expect(listGrants(r.policy, "data-lake")).toEqual([
      {
        Sid: "S3ListBucketPrefix",
        Effect: "Allow",
        Action: LISTS,
        Resource: ["arn:aws:s3:::data-lake"],
        Condition: { StringLike: { "s3:prefix": ["incoming/2026/", "incoming/2026/*"] } },
      },
    ]);
  });

  it("the whole bucket named anywhere in the request lists without a condition", () => {
    const r = gen([
      { service: "s3", access: ["list"], resources: ["data-lake/incoming/"] },
      { service: "s3", access: ["read", "list"], resources: ["data-lake"] },
    ]);
    const grants = listGrants(r.policy, "data-lake");
    expect(grants.map((g) => g.Condition)).toEqual([undefined]);
  });

  it("`bucket/` and `bucket/*` mean every key: no condition", () => {
    for (const name of ["data-lake/", "data-lake/*"]) {
      expect(listGrants(gen([{ service: "s3", access: ["list"], resources: [name] }]).policy, "data-lake").map((g) => g.Condition)).toEqual([undefined]);
    }
  });

  // The family: any mix of whole buckets, prefixes and keys over a few buckets. Listing a bucket
  // is unconditioned exactly when the whole bucket was asked for; otherwise it is conditioned on
  // exactly the asked prefixes and keys, and the other actions are as without conditions.
  it("property: list conditions are exactly the asked prefixes and keys", () => {
    const arbResource = fc.tuple(
      fc.constantFrom("alpha", "beta", "gamma"),
      fc.oneof(
        fc.constant({ kind: "bucket" as const, path: "" }),
        fc
          .array(fc.constantFrom("a", "b", "2026", "x-y"), { minLength: 1, maxLength: 3 })
          .map((parts) => ({ kind: "prefix" as const, path: `${parts.join("/")}/` })),
        fc.array(fc.constantFrom("a", "b", "k.csv"), { minLength: 1, maxLength: 3 }).map((parts) => ({ kind: "key" as const, path: parts.join("/") })),
      ),
    );
    fc.assert(
      fc.property(
        fc.array(arbResource, { minLength: 1, maxLength: 6 }),
        fc.subarray(["read", "list", "write"] as const, { minLength: 1 }),
        (resources, access) => {
          const names = resources.map(([b, r]) => (r.kind === "bucket" ? b : `${b}/${r.path}`));
          const r = gen([{ service: "s3", access: [...access], resources: names }]);
          expect(r.problems).toEqual([]);
          for (const bucket of new Set(resources.map(([b]) => b))) {
            const mine = resources.filter(([b]) => b === bucket).map(([, x]) => x);
            const grants = listGrants(r.policy, bucket);
            if (!access.includes("list")) {
              expect(grants).toEqual([]);
              continue;
            }
            if (mine.some((x) => x.kind === "bucket")) {
              expect(grants.map((g) => g.Condition)).toEqual([undefined]);
            } else {
              const expected = [...new Set(mine.flatMap((x) => (x.kind === "prefix" ? [x.path, `${x.path}*`] : [x.path])))].sort();
              expect(grants).toHaveLength(1);
              expect(grants[0]?.Condition).toEqual({ StringLike: { "s3:prefix": expected } });
              expect(grants[0]?.Action).toEqual(LISTS);
            }
          }
          // Only the listing actions ever carry the condition.
          for (const st of r.policy.Statement.filter((x) => x.Condition)) expect(st.Action).toEqual(LISTS);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("compressActions", () => {
  const grantsOf = (actions: readonly string[]): string[] =>
    [...new Set(actions.flatMap((a) => (/[*?]/.test(a) ? catalogue.expand(a).map((x) => x.full.toLowerCase()) : [a.toLowerCase()])))].sort();
  const doc = (actions: string[]) => ({ Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: actions, Resource: "*" }] });

  it("writes EC2's list level on * with wildcards that match exactly the same actions", () => {
    const r = gen([{ service: "ec2", access: ["list"], resources: ["vol-0abc1234"] }]);
    const all = statement(r.policy, "EC2ListAllResources").Action as string[];
    expect(all.length).toBeGreaterThan(150);
    const compressed = compressActions(catalogue, r.policy);
    const after = statement(compressed, "EC2ListAllResources").Action as string[];
    expect(after.length).toBeLessThan(all.length / 1.5);
    expect(grantsOf(after)).toEqual(grantsOf(all));
    // ec2:Describe* alone would also grant Describe actions of other levels and resource types.
    expect(after).not.toContain("ec2:Describe*");
    expect(JSON.stringify(compressed).length).toBeLessThan(JSON.stringify(r.policy).length);
  });

  it("keeps statements with wildcards, Deny statements and short lists as they are", () => {
    expect(compressActions(catalogue, doc(["s3:GetObject", "s3:PutObject"]))).toEqual(doc(["s3:GetObject", "s3:PutObject"]));
    const deny = {
      Version: "2012-10-17" as const,
      Statement: [{ Effect: "Deny" as const, Action: catalogue.expand("ec2:DescribeVpn*").map((a) => a.full), Resource: "*" }],
    };
    expect(compressActions(catalogue, deny)).toEqual(deny);
  });

  // The family: any set of actions of a service (random, or whole access levels, which is where
  // wildcards fit) compresses to entries that grant exactly the same actions over the whole
  // catalogue, and never to a service-wide `svc:*`.
  it("property: the compressed policy grants exactly the same actions", () => {
    const services = ["ec2", "s3", "iam", "dynamodb", "lambda", "ssm", "kms", "rds", "ecs", "logs", "cloudwatch", "sqs"];
    const arb = fc.constantFrom(...services).chain((service) => {
      const actions = catalogue.actionsOf(service);
      const byLevel = fc
        .subarray(["read", "list", "write", "tagging", "permissions-management"])
        .map((levels) => actions.filter((a) => levels.includes(a.level)).map((a) => a.full));
      return fc.tuple(
        fc.constant(service),
        fc.oneof(
          fc.subarray(actions.map((a) => a.full)),
          byLevel,
          byLevel.chain((xs) => fc.subarray(xs, { minLength: Math.floor(xs.length * 0.8) })),
        ),
      );
    });
    fc.assert(
      fc.property(arb, ([service, actions]) => {
        fc.pre(actions.length > 0);
        const out = compressActions(catalogue, doc([...actions]));
        const after = out.Statement[0]?.Action as string[];
        expect(grantsOf(after)).toEqual(grantsOf(actions));
        expect(after).not.toContain(`${service}:*`);
        expect(after.length).toBeLessThanOrEqual(actions.length);
      }),
      { numRuns: 200 },
    );
  });
});

describe("companion permissions", () => {
  const config = testConfig({ aws: { accounts: { main: ACCOUNT }, region: "eu-west-1" } });
  const plan = (items: RequestItem[]) =>
    planRequest(catalogue, {
      request: { version: 1, id: "1-t", requester: "alice", account: "main", duration: "1h", reason: "testing companions", request: items },
      config,
      accountId: ACCOUNT,
      now: new Date("2026-11-27T09:00:00Z"),
      durationSeconds: 3600,
    });
  const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
  const grantedOn = (policy: { Statement: Statement[] }, action: string) =>
    policy.Statement.filter((st) => (st.Action as string[]).includes(action)).flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]));

  it("an ECR pull includes ecr:GetAuthorizationToken, and it is no credentials risk", () => {
    const p = plan([
      { service: "ecr", actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], resources: ["team/api"] },
    ]);
    expect(p.verdict.errors).toEqual([]);
    expect(p.verdict.risk).toBe("low");
    expect(grantedOn(p.policy, "ecr:GetAuthorizationToken")).toEqual(["*"]);
  });

  it("a log read includes logs:DescribeLogStreams on the same log group only", () => {
    const r = gen([{ service: "logs", access: ["read"], resources: ["/aws/lambda/resize"] }]);
    expect(grantedOn(r.policy, "logs:DescribeLogStreams")).toEqual([
      `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/resize`,
      `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:/aws/lambda/resize:*`,
    ]);
  });

  it("a named ECS service warns with the exact line, cluster filled in", () => {
    const r = gen([{ service: "ecs", access: ["read"], resources: ["service/prod/web"] }]);
    expect(r.notes).toEqual([
      {
        code: "request.companion-suggested",
        path: "request[0]",
        message: expect.stringContaining(
          "add to request: - { service: ecs, actions: [ecs:ListTasks, ecs:DescribeTasks, ecs:DescribeTaskDefinition], resources: [prod] }",
        ),
      },
    ]);
    expect(grantedOn(r.policy, "ecs:DescribeTasks")).toEqual([]);
  });

  it("SSE-KMS writes, encrypted queues and topics warn with the kms line (the key is not known)", () => {
    for (const item of [
      { service: "s3", access: ["write"], resources: ["reports"] },
      { service: "sqs", actions: ["sqs:SendMessage"], resources: ["jobs"] },
      { service: "sns", actions: ["sns:Publish"], resources: ["alerts"] },
    ] as RequestItem[]) {
      const r = gen([item]);
      expect(r.notes.map((n) => n.message).join("\n"), item.service).toContain(
        "add to request: - { service: kms, actions: [kms:GenerateDataKey, kms:Decrypt], resources: [KEY_ID] } — KEY_ID is the key's id",
      );
      expect(grantedOn(r.policy, "kms:GenerateDataKey")).toEqual([]);
    }
  });

  it("says nothing once the request grants the companion itself", () => {
    const r = gen([
      { service: "s3", actions: ["s3:PutObject"], resources: ["reports"] },
      { service: "kms", actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [KEY] },
    ]);
    expect(r.notes).toEqual([]);
  });

  // The family: every companion in the table. An included one never reaches a resource the item
  // does not already act on (only "*" for an action AWS authorizes only there); a warned one's
  // line, with its placeholders filled in, is a request item that plans without errors and grants
  // exactly the companion's actions.
  const triggers: Record<string, RequestItem> = {
    "pull an image from ECR (docker login, then docker pull)": { service: "ecr", actions: ["ecr:BatchGetImage"], resources: ["team/api"] },
    "read a log group's events": { service: "logs", access: ["read"], resources: ["/app/api"] },
    "look into a named ECS service's tasks": { service: "ecs", access: ["read"], resources: ["service/prod/web"] },
    "write objects to a bucket encrypted with SSE-KMS": { service: "s3", actions: ["s3:PutObject"], resources: ["reports"] },
    "send to an encrypted SQS queue": { service: "sqs", actions: ["sqs:SendMessage"], resources: ["jobs"] },
    "receive from an encrypted SQS queue": { service: "sqs", actions: ["sqs:ReceiveMessage"], resources: ["jobs"] },
    "publish to an encrypted SNS topic": { service: "sns", actions: ["sns:Publish"], resources: ["alerts"] },
  };
  it("covers every companion of the table", () => {
    expect(Object.keys(triggers).sort()).toEqual(COMPANIONS.map((c) => c.task).sort());
  });
  for (const c of COMPANIONS) {
    it(`${c.kind}: ${c.task}`, () => {
      for (const a of [...c.when, ...c.actions]) expect(catalogue.action(a), a).toBeDefined();
      const item = triggers[c.task] as RequestItem;
      const r = gen([item]);
      expect(r.problems).toEqual([]);
      if (c.kind === "include") {
        const itemArns = new Set(r.policy.Statement.filter((st) => !(st.Action as string[]).some((a) => c.actions.includes(a))).flatMap((st) => st.Resource));
        for (const a of c.actions) {
          const on = grantedOn(r.policy, a);
          expect(on.length, a).toBeGreaterThan(0);
          const info = catalogue.action(a);
          for (const arn of on) {
            if (arn === "*") expect(info?.resourceTypes ?? [], `${a} on *`).toEqual([]);
            else expect(itemArns.has(arn), `${a} on ${arn}`).toBe(true);
          }
          expect(["read", "list"]).toContain(info?.level);
        }
        expect(r.notes).toEqual([]);
      } else {
        const note = r.notes.find((n) => n.message.includes(`to ${c.task}:`));
        expect(note).toBeDefined();
        const line = (note?.message ?? "").split("add to request: ")[1]?.split(" — ")[0] ?? "";
        const added = (yaml.load(line.replace(/\bKEY_ID\b/g, KEY)) as RequestItem[])[0] as RequestItem;
        const p = plan([item, added]);
        expect(p.verdict.errors, line).toEqual([]);
        for (const a of c.actions) expect(grantedOn(p.policy, a).length, a).toBeGreaterThan(0);
        expect(p.verdict.warnings.filter((w) => w.message.includes(`to ${c.task}:`))).toEqual([]);
      }
    });
  }
});

describe("explainPolicy", () => {
  it("tabulates statements and summarises them", () => {
    const { policy } = gen([
      { service: "s3", access: ["read", "list"], resources: ["financial-reports"] },
      { service: "sqs", actions: ["sqs:SendMessage"], resources: ["jobs"] },
    ]);
    const { table, summary } = explainPolicy(catalogue, policy, { risk: "low" });
    const lines = table.split("\n");
    expect(lines[0]).toBe("| Service | Access level | Actions | Resources |");
    expect(lines[1]).toBe("|---|---|---|---|");
    expect(lines).toHaveLength(2 + policy.Statement.length);
    expect(table).toContain("| s3 | Read | 8: GetObject, GetObjectAnnotation,");
    expect(table).toContain("and 4 more");
    expect(table).toContain("all resources");
    expect(table).toContain("| sqs | Write | 1: SendMessage |");
    expect(summary).toContain("Risk tier: low");
    expect(summary).toContain("s3");
    expect(summary).toContain("s3:GetObjectAcl"); // mentions what the coarse levels leave out
    expect(summary).not.toContain("\n");
  });

  it("escapes | and markdown in user-derived text", () => {
    const { table, summary } = explainPolicy(catalogue, {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b|x/*_[evil](http://x)<b>" },
        { Effect: "Deny", Action: ["s3:Get*", "bogus:Thing|"], Resource: ["*"] },
      ],
    });
    expect(table).toContain("b\\|x/\\*\\_\\[evil\\]\\(http://x\\)\\<b\\>");
    expect(table).toContain("| bogus | **Deny** unknown | 1: Thing\\| |");
    expect(table).toContain("Deny");
    for (const line of table.split("\n").slice(2)) {
      // Exactly 5 unescaped pipes per row: 4 columns.
      expect(line.replace(/\\\|/g, "").split("|").length - 1).toBe(5);
    }
    expect(summary).toContain("explicitly denies 2 actions");
    expect(summary).not.toContain("<b>");
  });
});
