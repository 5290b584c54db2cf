// Problem codes: every code the source can produce is documented in docs/problem-codes.md, every
// documented code is produced somewhere, and for each code of the input and policy layers one
// input produces it (the table below is also the regression family of the codes).
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ErrorObject } from "ajv";
import { readBounded } from "../src/cli/support.js";
import { catalogueProblems } from "../src/domain/access-catalogue.js";
import { configFromObject, defaultConfig, parseConfig } from "../src/domain/config.js";
import { loadFormTemplate, parseIssueForm, type FormTemplate } from "../src/domain/issue-form.js";
import { PROBLEM_CODE, codesOf } from "../src/domain/problems.js";
import { capProblems, parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { describeSchemaError, validateConfigShape, validateRequestShape } from "../src/domain/schema.js";
import type { AccessRequest, Config, PolicyDocument, Problem, RequestItem } from "../src/domain/types.js";
import { loadYamlMapping } from "../src/domain/yaml.js";
import { loadRepoConfig } from "../src/github/repo-config.js";
import type { GitHubRecordStore } from "../src/github/store.js";
import { loadCatalogue } from "../src/iam-data.js";
import { fallback } from "../src/policy/drafter.js";
import { checkPolicy } from "../src/policy/guardrails.js";
import { narrowToEnvelope } from "../src/policy/narrow.js";
import { parseAnswer } from "../src/policy/prompt.js";
import type { ModelChoice } from "../src/policy/drafter.js";
import { requestFromIssue } from "../src/policy/plain-request.js";
import { parseStructuredAnswer } from "../src/policy/structured-request.js";
import { planRequest, validateRequestFile } from "../src/policy/pipeline.js";

const ROOT = new URL("..", import.meta.url).pathname;
const DOC = readFileSync(join(ROOT, "docs/problem-codes.md"), "utf8");
const AREAS = /export type ProblemArea =\s*([^;]+);/.exec(readFileSync(join(ROOT, "src/domain/types.ts"), "utf8"))?.[1]?.match(/[a-z]+/g) ?? [];
/** Literals that have the shape of a code but are not one (a host; field paths of approval facts). */
const NOT_CODES = new Set(["github.com", "request.requester", "request.risk"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/**
 * Every double-quoted literal in src/ of the form `<area>.<rule>`, except field paths that share
 * the shape (`request.risk`): those after `path:`, or right after a code in an argument list.
 */
function codesInSource(): Set<string> {
  const code = `(?:${AREAS.join("|")})\\.[a-z0-9][a-z0-9.-]*`;
  const literal = new RegExp(`(?<!path:\\s*)(?<!"${code}",\\s*)"(${code})"`, "g");
  const out = new Set<string>();
  for (const file of sourceFiles(join(ROOT, "src"))) {
    for (const m of readFileSync(file, "utf8").matchAll(literal)) if (!NOT_CODES.has(m[1] ?? "")) out.add(m[1] ?? "");
  }
  return out;
}

/** The codes of the doc's tables: the first column, in backticks. */
function codesInDoc(): string[] {
  return [...DOC.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] ?? "");
}

describe("the problem-code catalogue (docs/problem-codes.md)", () => {
  it("lists every code the source produces, and nothing else", () => {
    const src = codesInSource();
    const doc = new Set(codesInDoc());
    expect(AREAS.length).toBeGreaterThan(5);
    expect(src.size).toBeGreaterThan(100);
    expect([...src].filter((c) => !doc.has(c)).sort(), "produced in src/ but missing from docs/problem-codes.md").toEqual([]);
    expect([...doc].filter((c) => !src.has(c)).sort(), "listed in docs/problem-codes.md but produced nowhere in src/").toEqual([]);
  });

  it("lists each code once, each of the code grammar, each with a meaning", () => {
    const doc = codesInDoc();
    expect(doc.length).toBe(new Set(doc).size);
    for (const c of doc) expect(c).toMatch(PROBLEM_CODE);
    for (const line of DOC.split("\n").filter((l) => /^\| `/.test(l))) expect(line).toMatch(/^\| `[^`]+` \| \S.{8,} \|$/);
  });
});

// ---------------------------------------------------------------------------------------------
// One input per code

const catalogue = loadCatalogue();
const NOW = new Date("2026-11-27T09:00:00Z");
const ACCOUNT = "111122223333";
const FILE = "access-requests/prod/2026/1-test.yaml";
const BUCKET = "arn:aws:s3:::reports";
const OBJECTS = "arn:aws:s3:::reports/*";

function config(overrides: Partial<Config> = {}): Config {
  const base = defaultConfig();
  return {
    ...base,
    aws: { ...base.aws, accounts: { prod: ACCOUNT } },
    allowed_services: [...base.allowed_services, "iam", "ec2", "ecs", "dynamodb"].filter((s, i, all) => all.indexOf(s) === i),
    ...overrides,
  };
}

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    version: 1,
    id: "1-test",
    requester: "alice",
    account: "prod",
    duration: "8h",
    reason: "testing",
    request: [{ service: "s3", access: ["read"], resources: ["reports"] }],
    ...overrides,
  };
}

/** A request file through the file rules and the whole pipeline, as `validate` runs it. */
function file(overrides: Partial<AccessRequest> = {}, opts: { path?: string; config?: Config } = {}): Problem[] {
  const r = validateRequestFile(catalogue, dumpRequest(request(overrides)), { file: opts.path ?? FILE, config: opts.config ?? config(), now: NOW });
  return [...r.problems, ...(r.plan?.verdict.warnings ?? [])];
}

/** The config with a second account, dev. */
function twoAccounts(): Config {
  return config({ aws: { ...config().aws, accounts: { prod: ACCOUNT, dev: "444455556666" } } });
}

/** Two accounts in identity-center mode: they share a request's one permission set. */
function identityCenterAccounts(): Config {
  return config({
    aws: {
      ...twoAccounts().aws,
      mode: "identity-center",
      identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef", identity_store_id: "d-1234567890" },
    },
    principals: { alice: { sso_user: "alice" } },
  });
}

function items(...request: RequestItem[]): Problem[] {
  return file({ request });
}

/** A hand-written policy for a request, through the pipeline. */
function plan(requestItems: RequestItem[], policy?: PolicyDocument): Problem[] {
  const v = planRequest(catalogue, {
    request: request({ request: requestItems, ...(policy ? { policy } : {}) }),
    config: config(),
    accountId: ACCOUNT,
    now: NOW,
    durationSeconds: 3600,
  }).verdict;
  return [...v.errors, ...v.warnings];
}

type Stmt = Record<string, unknown>;
const allow = (Action: unknown, Resource: unknown, extra: Stmt = {}): Stmt => ({ Effect: "Allow", Action, Resource, ...extra });
const doc = (...Statement: Stmt[]) => ({ Version: "2012-10-17", Statement });

function guard(policy: unknown, opts: { config?: Config; allowedResources?: string[] } = {}): Problem[] {
  const v = checkPolicy(catalogue, policy, { config: opts.config ?? config(), allowedResources: opts.allowedResources, mode: "iam" });
  return [...v.errors, ...v.warnings];
}

const yamlOf = (text: string | Uint8Array) => {
  const r = loadYamlMapping(text, "request file");
  return r.ok ? [] : r.problems;
};
const shapeOf = (overrides: Record<string, unknown>) => validateRequestShape({ ...request(), ...overrides });
const configShape = (value: Record<string, unknown>) => validateConfigShape(value);
const configOf = (value: Record<string, unknown>) => {
  const r = configFromObject(value);
  return r.ok ? [] : r.problems;
};

/** The catalogue problems validate/doctor report for a config with one entry. */
const readOnlyEntry = () =>
  withEntry({ kind: "managed_policy", description: "read only", accounts: ["prod"], policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
const catalogued = (entry: Record<string, unknown>) => catalogueProblems(withEntry(entry));
function withEntry(entry: Record<string, unknown>): Config {
  const r = configFromObject({
    aws: { accounts: { prod: ACCOUNT, staging: "444455556666" }, scheduler_role_arn: `arn:aws:iam::${ACCOUNT}:role/jit-access-scheduler` },
    catalogue: { dba: entry },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return { ...config(), aws: r.value.aws, catalogue: r.value.catalogue };
}

const formText = readFileSync(join(ROOT, ".github/ISSUE_TEMPLATE/access-request.yml"), "utf8");
const loadedForm = loadFormTemplate(formText);
if (!loadedForm.ok) throw new Error("the bundled issue form does not load");
const form: FormTemplate = loadedForm.value;
function issue(fields: Record<string, string | undefined> = {}, raw?: string): Problem[] {
  const f: Record<string, string | undefined> = {
    Account: "prod",
    Service: "s3",
    Resources: "reports",
    "Access levels": "- [x] read\n- [ ] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
    "Exact actions (optional)": "_No response_",
    Duration: "8h",
    Reason: "Quarter-end reconciliation",
    "Description (optional)": "_No response_",
    ...fields,
  };
  const body =
    raw ??
    Object.entries(f)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `### ${k}\n\n${v}`)
      .join("\n\n");
  const r = parseIssueForm(body, form, { number: 1, title: "Access request: reports", author: "alice", defaultDuration: "8h" });
  return r.ok ? [] : r.problems;
}

/** A request described in words (Service, Resources and Access left empty), read as intake reads it. */
async function described(fields: Record<string, string>, opts: { model?: ModelChoice; config?: Config } = {}): Promise<Problem[]> {
  const f: Record<string, string> = {
    Account: "prod",
    Service: "_No response_",
    Resources: "_No response_",
    "Access levels": "- [ ] read\n- [ ] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
    "Exact actions (optional)": "_No response_",
    Duration: "8h",
    Reason: "Quarter-end reconciliation",
    ...fields,
  };
  const body = Object.entries(f)
    .map(([k, v]) => `### ${k}\n\n${v}`)
    .join("\n\n");
  const model = opts.model ?? { kind: "none" };
  const r = await requestFromIssue(
    body,
    form,
    { number: 1, title: "Access request: reports", author: "alice", defaultDuration: "8h" },
    { config: opts.config ?? config(), catalogue, interpreter: async () => model },
  );
  return r.ok ? r.value.notes : r.problems;
}
const READ_ONLY = "- [x] read\n- [ ] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management";

const ENVELOPE: PolicyDocument = { Version: "2012-10-17", Statement: [{ Sid: "Read", Effect: "Allow", Action: ["s3:GetObject"], Resource: [OBJECTS] }] };
const narrowed = (...Statement: unknown[]) => narrowToEnvelope(catalogue, ENVELOPE, { Statement }).warnings;

const hostile = new Proxy(
  {},
  {
    ownKeys: () => {
      throw new Error("boom");
    },
  },
);
const many = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const ROLE = `arn:aws:iam::${ACCOUNT}:role/app`;

/** Codes that guard against a library failing in a way no known input triggers. */
const DEFENSIVE: Record<string, string> = {
  "form.unreadable": "@github/issue-parser throwing on a body whose headings already passed our own check",
};

const CASES: Record<string, () => Problem[] | Promise<Problem[]>> = {
  // yaml
  "yaml.too-large": () => yamlOf(`a: "${"x".repeat(70_000)}"`),
  "yaml.not-utf8": () => yamlOf(new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0xfe])),
  "yaml.binary": () => yamlOf("a: 1\u0000"),
  "yaml.empty": () => yamlOf("# nothing here\n"),
  "yaml.tab-indent": () => yamlOf("a:\n\tb: 1"),
  "yaml.syntax": () => yamlOf("a: [1, 2"),
  "yaml.alias": () => yamlOf("a: &x 1\nb: *x"),
  "yaml.duplicate-key": () => yamlOf("a: 1\na: 2"),
  "yaml.custom-tag": () => yamlOf("a: !foo 1"),
  "yaml.multiple-documents": () => yamlOf("a: 1\n---\nb: 2"),
  "yaml.too-deep": () => yamlOf(`${many(40, (i) => `${"  ".repeat(i)}k:`).join("\n")} 1`),
  "yaml.not-mapping": () => yamlOf("- a\n- b"),
  // schema
  "schema.unknown-field": () => shapeOf({ colour: "blue" }),
  "schema.required": () => validateRequestShape({ ...request(), reason: undefined }),
  "schema.type": () => shapeOf({ reason: 5 }),
  "schema.pattern": () => shapeOf({ id: "Not An Id" }),
  "schema.format": () => shapeOf({ status: "rejected", closed: { at: "yesterday", reason: "no" } }),
  "schema.enum": () => shapeOf({ status: "paused" }),
  "schema.const": () => shapeOf({ version: 2 }),
  "schema.too-few-items": () => shapeOf({ request: [] }),
  "schema.too-many-items": () => shapeOf({ request: many(21, () => ({ service: "s3", access: ["read"], resources: ["reports"] })) }),
  "schema.too-short": () => shapeOf({ reason: "no" }),
  "schema.too-long": () => shapeOf({ reason: "x".repeat(1001) }),
  "schema.too-small": () => configShape({ required_approvals: { low: 0 } }),
  "schema.too-large": () => configShape({ required_approvals: { low: 11 } }),
  "schema.duplicate-item": () => configShape({ approvers: ["alice", "alice"] }),
  "schema.exactly-one": () => configShape({ principals: { alice: {} } }),
  "schema.key-not-allowed": () => configShape({ aws: { accounts: { "Bad Alias": ACCOUNT } } }),
  "schema.shape": () => configShape({ aws: { accounts: { prod: 5 } } }),
  "schema.invalid": () => [describeSchemaError({ keyword: "not", instancePath: "/reason", schemaPath: "#/not", params: {}, data: "x" } as ErrorObject)],
  // config
  "config.unreadable": async () => {
    const store = { read: () => Promise.reject(new Error("EISDIR: a directory")) } as unknown as GitHubRecordStore;
    const r = await loadRepoConfig(store);
    return r.ok ? [] : r.problems;
  },
  "config.duration-invalid": () => configOf({ max_duration: "30m2h" }),
  "config.duration-too-short": () => configOf({ default_duration: "5m" }),
  "config.default-exceeds-max": () => configOf({ default_duration: "2d", max_duration: "1d" }),
  "config.reserved-alias": () => configOf({ aws: { accounts: { examples: ACCOUNT } } }),
  "config.duplicate-account": () => configOf({ aws: { accounts: { prod: ACCOUNT, live: ACCOUNT } } }),
  "config.account-group-invalid": () => configOf({ aws: { accounts: { prod: ACCOUNT }, account_groups: { live: ["prod", "dev"] } } }),
  "config.identity-center-missing": () => configOf({ aws: { mode: "identity-center" } }),
  "config.principal-mode": () => configOf({ principals: { alice: { sso_user: "alice" } } }),
  "config.identities-privileged-policy": () => configOf({ identities: { allowed_policies: ["AdministratorAccess"] } }),
  "config.identities-sender": () => configOf({ identities: { onboarding: { channel: "ses", sender: "not-an-address" } } }),
  "config.activity-padding": () => configOf({ activity: { lookback_padding: "25h" } }),
  "config.auto-approve-duplicate": () =>
    configOf({
      aws: { accounts: { prod: ACCOUNT } },
      auto_approve: [
        { name: "a", risk: ["low"] },
        { name: "a", risk: ["medium"] },
      ],
    }),
  "config.auto-approve-account": () => configOf({ aws: { accounts: { prod: ACCOUNT } }, auto_approve: [{ name: "a", risk: ["low"], accounts: ["staging"] }] }),
  "config.auto-approve-catalogue": () => configOf({ auto_approve: [{ name: "a", risk: ["low"], catalogue: ["logs-read"] }] }),
  "config.auto-approve-caps": () => configOf({ auto_approve: [{ name: "a", risk: ["low"], max_per_day: 5, max_per_week: 2 }] }),
  "config.break-glass-duration": () => configOf({ max_duration: "8h", break_glass: { users: ["alice"], max_duration: "1d" } }),
  "guardrail.condition-conflict": () => {
    const v = planRequest(catalogue, {
      request: request({
        policy: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: OBJECTS, Condition: { Bool: { "aws:SecureTransport": "false" } } }],
        },
      }),
      config: config({ conditions: { secure_transport: true } }),
      accountId: ACCOUNT,
      now: NOW,
      durationSeconds: 3600,
    }).verdict;
    return v.errors;
  },
  "config.condition-source-ip": () => configOf({ conditions: { source_ip: ["10.0.0.0/8"] } }),
  "config.condition-vpc": () => configOf({ conditions: { source_vpc: ["vpc-xyz"] } }),
  "config.condition-region": () => configOf({ conditions: { region: ["Europe"] } }),
  "config.condition-kms-key": () => configOf({ conditions: { s3_encryption: { kms_key_arn: "alias/reports" } } }),
  "config.condition-mfa-mode": () =>
    configOf({
      aws: { mode: "identity-center", identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef", identity_store_id: "d-1234567890" } },
      conditions: { mfa: true },
    }),
  "config.catalogue-kind-field": () => catalogued({ kind: "role", description: "dba role", accounts: ["prod"] }),
  "config.catalogue-unknown-account": () => catalogued({ kind: "role", description: "dba role", accounts: ["dev"], role: "dba" }),
  "config.catalogue-mode": () => catalogued({ kind: "permission_set", description: "read only", accounts: ["prod"], permission_set: "ReadOnly" }),
  "config.catalogue-jit-resource": () =>
    catalogued({ kind: "managed_policy", description: "own", accounts: ["prod"], policy_arn: `arn:aws:iam::${ACCOUNT}:policy/jit-access/jit-1-test` }),
  "config.catalogue-policy-account": () =>
    catalogued({ kind: "managed_policy", description: "reports", accounts: ["staging"], policy_arn: `arn:aws:iam::${ACCOUNT}:policy/Reports` }),
  "config.catalogue-needs-scheduler": () => {
    const c = withEntry({ kind: "managed_policy", description: "read only", accounts: ["prod"], policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    return catalogueProblems({ ...c, aws: { ...c.aws, scheduler_role_arn: undefined } });
  },
  "config.catalogue-placeholder": () =>
    catalogued({ kind: "template", description: "reports", accounts: ["prod"], request: [{ service: "s3", access: ["read"], resources: ["{bucket}"] }] }),
  // request: the file rules
  "request.path-invalid": () => file({}, { path: "access-requests/../x/1-test.yaml" }),
  "request.path-location": () => file({}, { path: "elsewhere/prod/2026/1-test.yaml" }),
  "request.file-name": () => file({}, { path: "access-requests/prod/2026/Test.yaml" }),
  "request.id-mismatch": () => file({ id: "2-other" }),
  "request.unknown-account": () => file({ account: "staging" }),
  "request.accounts-primary": () => file({ accounts: ["dev"] }, { config: twoAccounts() }),
  "request.accounts-too-many": () =>
    file(
      { accounts: ["prod", "many"] },
      {
        config: config({
          aws: {
            ...config().aws,
            accounts: { prod: ACCOUNT, ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, `5555000000${10 + i}`])) },
            account_groups: { many: Array.from({ length: 10 }, (_, i) => `a${i}`) },
          },
        }),
      },
    ),
  "request.accounts-bundle": () => {
    const c = readOnlyEntry();
    return file(
      { accounts: ["prod", "staging"], catalogue: "dba", request: [] },
      { config: { ...c, catalogue: { dba: { ...c.catalogue.dba!, accounts: ["prod", "staging"] } } } },
    );
  },
  "request.account-folder": () =>
    file({}, { path: "access-requests/dev/2026/1-test.yaml", config: config({ aws: { ...config().aws, accounts: { prod: ACCOUNT, dev: "444455556666" } } }) }),
  "request.duration-invalid": () => file({ duration: "1h1h" }),
  "request.duration-too-short": () => file({ duration: "5m" }),
  "request.duration-too-long": () => file({ duration: "30d" }),
  "request.principal-not-requester": () => file({ principal: "bob" }),
  "request.no-principal": () => file({}, { config: config({ principals: { bob: { iam_user: "bob" } } }) }),
  "request.catalogue-unknown": () => file({ catalogue: "dba" }),
  "request.catalogue-entry-invalid": () =>
    file({ catalogue: "dba" }, { config: config({ catalogue: { dba: { kind: "role", description: "dba role", accounts: ["dev"], role: "dba" } } }) }),
  "request.catalogue-account": () =>
    file({ catalogue: "dba" }, { config: withEntry({ kind: "role", description: "dba role", accounts: ["staging"], role: "dba" }) }),
  "request.catalogue-items": () =>
    file({ catalogue: "dba" }, { config: withEntry({ kind: "role", description: "dba role", accounts: ["prod"], role: "dba" }) }),
  "request.catalogue-bundle-policy": () =>
    file(
      { catalogue: "dba", request: [], policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: BUCKET }] } },
      { config: readOnlyEntry() },
    ),
  "request.catalogue-no-time-condition": () => file({ catalogue: "dba", request: [] }, { config: readOnlyEntry() }),
  "request.catalogue-bundle-unread": () => file({ catalogue: "dba", request: [] }, { config: readOnlyEntry() }),
  "request.catalogue-bundle-riskier": () =>
    planRequest(catalogue, {
      request: request({ catalogue: "dba", request: [] }),
      config: { ...readOnlyEntry(), catalogue: { dba: { ...readOnlyEntry().catalogue.dba!, risk: "low" } } },
      accountId: ACCOUNT,
      now: NOW,
      durationSeconds: 3600,
      bundleAnalysis: { risk: "high", adminLike: true, codes: [] },
    }).verdict.warnings,
  // A leap second passes the schema's date-time format, but no clock reads it.
  "request.starts-at-invalid": () => file({ starts_at: "2026-11-27T23:59:60Z" }),
  "request.starts-at-past": () => file({ starts_at: "2026-11-27T08:00:00Z" }),
  "request.starts-at-too-far": () => file({ starts_at: "2027-01-27T09:00:00Z" }),
  "request.starts-at-extension": () => file({ starts_at: "2026-11-28T09:00:00Z", extends: "2-original" }),
  "request.status-scheduled": () => file({ status: "scheduled", starts_at: "2026-11-28T09:00:00Z" }),
  "request.no-access": () => items({ service: "s3", resources: ["reports"] }),
  "request.action-service-mismatch": () => items({ service: "s3", actions: ["dynamodb:GetItem"], resources: ["reports"] }),
  "request.resource-invalid": () => items({ service: "s3", access: ["read"], resources: ["arn:aws:s3"] }),
  "request.resource-too-wide": () => items({ service: "s3", access: ["read"], resources: ["*"] }),
  "request.resource-other-account": () => items({ service: "sqs", access: ["read"], resources: ["arn:aws:sqs:us-east-1:999999999999:q"] }),
  "request.example-status": () =>
    file(
      {
        status: "active",
        grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T09:00:00Z", expires_at: "2026-11-27T17:00:00Z" },
      },
      { path: "access-requests/examples/1-test.yaml" },
    ),
  "request.status-grant": () => file({ status: "active" }),
  "request.status-closed": () => file({ status: "rejected" }),
  "request.grant-times": () =>
    file({
      status: "active",
      grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T09:00:00Z", expires_at: "2026-11-27T08:00:00Z" },
    }),
  "request.grant-resource": () =>
    file({
      status: "active",
      grant: {
        approved_by: ["bob"],
        merge_commit: "a".repeat(40),
        granted_at: "2026-11-27T09:00:00Z",
        expires_at: "2026-11-27T17:00:00Z",
        aws: { mode: "iam", account_id: ACCOUNT, resources: [`arn:aws:iam::${ACCOUNT}:policy/jit-access/jit-2-other`] },
      },
    }),
  "request.too-many-problems": () => capProblems(many(60, (i) => ({ code: "request.no-access", path: `request[${i}]`, message: "x" }))),
  // request: what the generator makes of the items
  "request.account-id": () =>
    planRequest(catalogue, { request: request(), config: config(), accountId: "12345", now: NOW, durationSeconds: 3600 }).verdict.errors,
  "request.unknown-service": () => items({ service: "s4", access: ["read"], resources: ["reports"] }),
  "request.unknown-access-level": () => plan([{ service: "s3", access: ["admin" as "read"], resources: ["reports"] }]),
  "request.no-resources": () => plan([{ service: "s3", access: ["read"], resources: [] }]),
  "request.resource-unmapped": () => items({ service: "s3", access: ["read"], resources: ["Bad_Bucket"] }),
  "request.resource-wrong-service": () => items({ service: "s3", access: ["read"], resources: [`arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`] }),
  "request.resource-unused": () => items({ service: "kms", access: ["read"], resources: ["1234abcd-12ab-34cd-56ef-1234567890ab", "alias/app"] }),
  "request.resource-pattern": () => items({ service: "s3", access: ["read"], resources: ["reports/q*"] }),
  "request.action-wildcard": () => items({ service: "s3", actions: ["s3:Get*"], resources: ["reports"] }),
  "request.unknown-action": () => items({ service: "s3", actions: ["s3:GetObjekt"], resources: ["reports"] }),
  "request.action-level-mismatch": () => items({ service: "s3", access: ["read"], actions: ["s3:PutObject"], resources: ["reports"] }),
  "request.action-no-resource": () => items({ service: "ecs", actions: ["ecs:StopTask"], resources: ["task-definition/api"] }),
  "request.no-actions": () => items({ service: "kms", access: ["read"], resources: ["alias/app"] }),
  "request.companion-suggested": () => items({ service: "ecs", access: ["read"], resources: ["service/prod/web"] }),
  // form
  "form.template-invalid": () => {
    const r = loadFormTemplate("body: [");
    return r.ok ? [] : r.problems;
  },
  "form.template-field-missing": () => {
    const r = loadFormTemplate("name: x\nbody:\n  - type: input\n    id: account\n    attributes:\n      label: Account\n");
    return r.ok ? [] : r.problems;
  },
  "form.body-empty": () => issue({}, "  "),
  "form.body-too-large": () => issue({}, "x".repeat(70_000)),
  "form.heading-forged": () => issue({ Reason: "### Approved\n\nyes" }),
  "form.heading-repeated": () => issue({}, `### Account\n\nprod\n\n### Account\n\nstaging`),
  "form.field-format": () => {
    // A dropdown that allows several choices gives a list where one value is needed (Account takes several).
    const text = formText.replace(
      "  - type: input\n    id: service\n    attributes:",
      "  - type: dropdown\n    id: service\n    attributes:\n      multiple: true\n      options: [s3, ec2]",
    );
    const t = loadFormTemplate(text);
    if (!t.ok) return t.problems;
    const r = parseIssueForm("### Account\n\nprod\n\n### Service\n\ns3, ec2", t.value, { number: 1, title: "x", author: "alice", defaultDuration: "8h" });
    return r.ok ? [] : r.problems;
  },
  "form.field-empty": () => issue({ Reason: "_No response_" }),
  "form.no-access": () => issue({ "Access levels": "- [ ] read\n- [ ] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management" }),
  "form.unknown-option": () => issue({ "Access levels": "- [x] admin" }),
  "form.description-unresolved": () => described({ "Description (optional)": "the quarterly reports, please" }),
  "form.proposal-dropped": () => described({ "Access levels": READ_ONLY, "Description (optional)": "read arn:aws:s3:::* (all buckets)" }),
  "form.description-other-account": () =>
    described(
      { "Access levels": READ_ONLY, "Description (optional)": "read arn:aws:s3:::reports, and the same in staging" },
      { config: config({ aws: { ...config().aws, accounts: { prod: ACCOUNT, staging: "444455556666" } } }) },
    ),
  // guardrail: grammar
  "guardrail.unreadable": () => guard(hostile),
  "guardrail.policy-shape": () => guard(null),
  "guardrail.unknown-key": () => guard({ ...doc(allow("s3:GetObject", OBJECTS)), Colour: "blue" }),
  "guardrail.version": () => guard({ Statement: [allow("s3:GetObject", OBJECTS)] }),
  "guardrail.id-invalid": () => guard({ ...doc(allow("s3:GetObject", OBJECTS)), Id: 5 }),
  "guardrail.statement-shape": () => guard(doc()),
  "guardrail.principal-element": () => guard(doc(allow("s3:GetObject", OBJECTS, { Principal: "*" }))),
  "guardrail.not-action": () => guard(doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" })),
  "guardrail.not-resource": () => guard(doc({ Effect: "Allow", Action: "s3:GetObject", NotResource: OBJECTS })),
  "guardrail.sid-invalid": () => guard(doc(allow("s3:GetObject", OBJECTS, { Sid: "read-reports" }))),
  "guardrail.sid-duplicate": () => guard(doc(allow("s3:GetObject", OBJECTS, { Sid: "A" }), allow("s3:ListBucket", BUCKET, { Sid: "A" }))),
  "guardrail.effect-invalid": () => guard(doc({ Effect: "allow", Action: "s3:GetObject", Resource: OBJECTS })),
  "guardrail.element-missing": () => guard(doc({ Effect: "Allow", Action: "s3:GetObject" })),
  "guardrail.element-invalid": () => guard(doc(allow(5, OBJECTS))),
  "guardrail.condition-invalid": () => guard(doc(allow("s3:GetObject", OBJECTS, { Condition: {} }))),
  "guardrail.condition-operator": () => guard(doc(allow("s3:GetObject", OBJECTS, { Condition: { StringEqualz: { "aws:SourceIp": "x" } } }))),
  "guardrail.condition-key": () => guard(doc(allow("s3:GetObject", OBJECTS, { Condition: { StringEquals: { nocolon: "x" } } }))),
  "guardrail.condition-value": () => guard(doc(allow("s3:GetObject", OBJECTS, { Condition: { StringEquals: { "aws:SourceVpc": { nested: true } } } }))),
  "guardrail.action-syntax": () => guard(doc(allow("s3GetObject", OBJECTS))),
  "guardrail.wildcard-service": () => guard(doc(allow("s*:GetObject", OBJECTS))),
  "guardrail.resource-syntax": () => guard(doc(allow("s3:GetObject", "reports"))),
  "guardrail.policy-variable": () => guard(doc(allow("s3:GetObject", "arn:aws:s3:::reports/${aws:username}/*"))),
  "guardrail.lookalike-character": () => guard(doc(allow("s3:Get\u041ebject", OBJECTS))),
  "guardrail.control-character": () => guard(doc(allow("s3:Get Object", OBJECTS))),
  "guardrail.non-ascii-resource": () => guard(doc(allow("s3:GetObject", "arn:aws:s3:::reports/caf\u00e9/*"))),
  // guardrail: catalogue and configuration
  "guardrail.unknown-service": () => guard(doc(allow("s4:GetObject", OBJECTS))),
  "guardrail.unknown-action": () => guard(doc(allow("s3:GetObjekt", OBJECTS))),
  "guardrail.service-not-allowed": () =>
    guard(doc(allow("dynamodb:GetItem", `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`)), { config: config({ allowed_services: ["s3"] }) }),
  "guardrail.denied-action": () => guard(doc(allow("s3:DeleteObject", OBJECTS)), { config: config({ denied_actions: ["s3:Delete*"] }) }),
  "guardrail.wildcard-action": () => guard(doc(allow("s3:*", OBJECTS))),
  "guardrail.wildcard-expands": () => guard(doc(allow("s3:GetObjectV*", OBJECTS))),
  "guardrail.wildcard-compacted": () => plan([{ service: "ec2", access: ["list"], resources: ["vol-0abc1234"] }]),
  "guardrail.action-resource-mismatch": () => guard(doc(allow("s3:GetObject", BUCKET))),
  // guardrail: resource containment
  "guardrail.resource-partition": () => guard(doc(allow("s3:GetObject", "arn:aws-cn:s3:::reports/*"))),
  "guardrail.resource-wildcard-field": () => guard(doc(allow("sqs:ReceiveMessage", `arn:aws:sqs:*:${ACCOUNT}:q`))),
  "guardrail.resource-account": () => guard(doc(allow("sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:12345:q"))),
  "guardrail.unscoped-resource": () => guard(doc(allow("s3:GetObject", "*"))),
  "guardrail.resource-outside-request": () => guard(doc(allow("s3:GetObject", "arn:aws:s3:::other/*")), { allowedResources: [OBJECTS] }),
  "guardrail.pair-outside-request": () =>
    plan([{ service: "s3", access: ["read"], resources: ["reports"] }], doc(allow(["s3:PutObject"], OBJECTS)) as unknown as PolicyDocument),
  "guardrail.prefix-outside-request": () =>
    plan([{ service: "s3", access: ["read", "list"], resources: ["reports/q3/"] }], doc(allow(["s3:ListBucket"], BUCKET)) as unknown as PolicyDocument),
  // guardrail: dangerous and destructive actions
  "guardrail.dangerous-action": () => guard(doc(allow("iam:CreateAccessKey", `arn:aws:iam::${ACCOUNT}:user/ci`))),
  "guardrail.dangerous-accepted": () =>
    guard(doc(allow("iam:CreateAccessKey", `arn:aws:iam::${ACCOUNT}:user/ci`)), { config: config({ allowed_dangerous_actions: ["iam:CreateAccessKey"] }) }),
  "guardrail.dangerous-scoped": () => guard(doc(allow("ecs:RunTask", `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/app:1`))),
  "guardrail.dangerous-combination": () => guard(doc(allow("iam:PassRole", ROLE), allow("ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`))),
  "guardrail.dangerous-combination-accepted": () =>
    guard(doc(allow("iam:PassRole", ROLE), allow("ec2:RunInstances", `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/*`)), {
      config: config({ allowed_dangerous_actions: ["iam:PassRole", "ec2:RunInstances"] }),
    }),
  "guardrail.destructive-action": () => guard(doc(allow("dynamodb:UpdateTable", `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/t`))),
  // guardrail: quotas and simulation
  "guardrail.policy-too-large": () =>
    guard(
      doc(
        allow(
          "s3:GetObject",
          many(150, (i) => `arn:aws:s3:::reports/a-fairly-long-prefix-for-the-size-test-${i}/*`),
        ),
      ),
    ),
  "guardrail.principal-account-condition": () =>
    file(
      {
        accounts: ["prod", "dev"],
        request: [{ service: "sqs", access: ["read"], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`] }],
        policy: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: "sqs:ReceiveMessage",
              Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`,
              Condition: { StringEquals: { "aws:PrincipalAccount": ACCOUNT } },
            },
          ],
        },
      },
      { config: identityCenterAccounts() },
    ),
  "guardrail.too-many-statements": () => guard(doc(...many(101, () => allow("s3:GetObject", OBJECTS)))),
  "guardrail.too-many-entries": () =>
    guard(
      doc(
        allow(
          many(501, () => "s3:GetObject"),
          OBJECTS,
        ),
      ),
    ),
  "guardrail.condition-too-large": () => guard(doc(allow("s3:GetObject", OBJECTS, { Condition: Object.fromEntries(many(51, (i) => [`Op${i}`, {}])) }))),
  "guardrail.too-many-problems": () =>
    guard(
      doc(
        allow(
          many(150, (i) => `s3:Nope${i}`),
          OBJECTS,
        ),
      ),
    ),
  "guardrail.simulation-mismatch": () =>
    plan(
      [{ service: "s3", access: ["read"], resources: ["reports/"] }],
      doc(allow("s3:GetObject", OBJECTS), { Effect: "Deny", Action: "s3:GetObject", Resource: OBJECTS }) as unknown as PolicyDocument,
    ),
  "guardrail.simulation-unknown": () =>
    plan(
      [{ service: "s3", access: ["read"], resources: ["reports/"] }],
      doc(allow("s3:GetObject", OBJECTS, { Condition: { StringEquals: { "aws:ResourceTag/team": "data" } } })) as unknown as PolicyDocument,
    ),
  // draft
  "draft.answer-invalid": () => {
    const r = parseAnswer('{"Statement": "s3:*"}');
    return r.ok ? [] : r.problems;
  },
  "draft.dropped": () => narrowed(allow("iam:PassRole", "*")),
  "draft.unknown-element": () => narrowed(allow("s3:GetObject", OBJECTS, { Colour: "blue" })),
  "draft.condition-dropped": () => narrowed(allow("s3:GetObject", OBJECTS, { Condition: { Bool: { "aws:SecureTransport": true } } })),
  "draft.wildcard-replaced": () => narrowed(allow("s3:Get*", OBJECTS)),
  "draft.fallback": () => fallback(ENVELOPE, "the model is unavailable").warnings,
  "draft.request-answer-invalid": () => {
    const r = parseStructuredAnswer('{"items": [{"service": "s3", "access": ["read"], "resources": ["reports"], "account": "999988887777"}]}');
    return r.ok ? [] : r.problems;
  },
  "draft.request-fallback": () =>
    described({ "Access levels": READ_ONLY, "Description (optional)": "read arn:aws:s3:::reports" }, { model: { kind: "unavailable", reason: "no key" } }),
};

describe("each code has an input that produces it", () => {
  it("the table covers every documented code of the input, policy and draft layers", () => {
    const mine = codesInDoc().filter((c) => /^(yaml|schema|config|request|form|guardrail|draft)\./.test(c));
    expect(Object.keys(CASES).sort()).toEqual(mine.filter((c) => !(c in DEFENSIVE)).sort());
    for (const c of Object.keys(DEFENSIVE)) expect(codesInSource()).toContain(c);
  });

  it.each(Object.entries(CASES))("%s", async (code, produce) => {
    const problems = await produce();
    expect(
      codesOf(problems),
      JSON.stringify(
        problems.map((p) => [p.code, p.path, p.message.slice(0, 120)]),
        null,
        1,
      ),
    ).toContain(code);
    // A problem always names what is wrong; the code never stands alone.
    for (const p of problems) expect(p.message.length).toBeGreaterThan(0);
  });
});

describe("the command line's own codes", () => {
  it.each([
    [
      "cli.symlink",
      (dir: string) => {
        writeFileSync(join(dir, "real.yaml"), "a: 1\n");
        symlinkSync(join(dir, "real.yaml"), join(dir, "link.yaml"));
        return join(dir, "link.yaml");
      },
    ],
    ["cli.not-a-file", (dir: string) => dir],
    [
      "yaml.too-large",
      (dir: string) => {
        writeFileSync(join(dir, "big.yaml"), `a: "${"x".repeat(70_000)}"\n`);
        return join(dir, "big.yaml");
      },
    ],
  ] as const)("%s", (code, make) => {
    const dir = mkdtempSync(join(tmpdir(), "jit-codes-"));
    try {
      const r = readBounded(make(dir));
      expect(r.ok ? [] : codesOf(r.problems)).toEqual([code]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("parsers and checks give every problem a code", () => {
  it("request files, config files and policies", () => {
    const all = [...Object.values(CASES)]
      .map((f) => f())
      .filter((r): r is Problem[] => Array.isArray(r))
      .flat();
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((p) => p.code === undefined)).toEqual([]);
  });

  it("a config text is parsed with the same codes as its object", () => {
    const r = parseConfig("default_duration: 5m\n");
    expect(r.ok ? [] : codesOf(r.problems)).toEqual(["config.duration-too-short"]);
  });

  it("a request text too", () => {
    const r = parseRequestFile("version: 1\n", { file: FILE, config: config() });
    expect(r.ok ? [] : codesOf(r.problems)).toContain("schema.required");
  });
});
