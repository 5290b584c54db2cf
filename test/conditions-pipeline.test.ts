// Condition blocks through the pipeline and the grant: the plan proves each block bites, the size
// is measured after stamping, the explanation lists the blocks, `plan --json` shows the policy as
// attached, and the grant attaches exactly that (in-memory fake AWS under the real SDK).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { defaultConfig } from "../src/domain/config.js";
import { grantConditions } from "../src/domain/conditions.js";
import type { AccessRequest, Config, ConditionsConfig, PolicyDocument, RequestItem } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { CONDITION_SIDS } from "../src/policy/grant-conditions.js";
import { planRequest } from "../src/policy/pipeline.js";
import { stampGrant } from "../src/policy/stamp.js";
import { prBody } from "../src/github/messages.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { CROSS_ROLE, EXPIRES, fakeGrants, HOME, OTHER, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { goldenCases } from "./support/golden.js";

const catalogue = loadCatalogue();
const ACCOUNT = "111122223333";
const NOW = new Date("2026-11-27T09:00:00Z");
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ALL: ConditionsConfig = {
  secure_transport: true,
  source_ip: ["203.0.113.0/24"],
  source_vpc: ["vpc-0a1b2c3d"],
  source_vpce: ["vpce-0a1b2c3d"],
  mfa: true,
  s3_encryption: { kms_key_arn: KEY },
  region: ["eu-west-1"],
};

function config(conditions?: ConditionsConfig, accounts: Config["aws"]["accounts"] = { prod: ACCOUNT }): Config {
  const base = defaultConfig();
  return {
    ...base,
    aws: { ...base.aws, region: "eu-west-1", accounts },
    allowed_services: [...base.allowed_services, "events", "iam"],
    ...(conditions ? { conditions } : {}),
  };
}

function request(items: RequestItem[], policy?: PolicyDocument): AccessRequest {
  return { version: 1, id: "1-test", requester: "alice", account: "prod", duration: "8h", reason: "testing", request: items, ...(policy ? { policy } : {}) };
}

const plan = (items: RequestItem[], cfg: Config, policy?: PolicyDocument) =>
  planRequest(catalogue, { request: request(items, policy), config: cfg, accountId: ACCOUNT, now: NOW, durationSeconds: 8 * 3600 });

describe("the pipeline with condition blocks", () => {
  const readWrite: RequestItem[] = [{ service: "s3", access: ["read", "write"], resources: ["reports"] }];

  it("every golden request still passes with all blocks on, and the simulation adds a denied call per block's failing context", () => {
    for (const g of goldenCases()) {
      const cfg: Config = {
        ...config(ALL, { prod: g.ctx.accountId }),
        aws: { ...config().aws, partition: g.ctx.partition as Config["aws"]["partition"], region: g.ctx.region, accounts: { prod: g.ctx.accountId } },
      };
      const plain = planRequest(catalogue, {
        request: request(g.request),
        config: { ...cfg, conditions: {} },
        accountId: g.ctx.accountId,
        now: NOW,
        durationSeconds: 3600,
      });
      const stamped = planRequest(catalogue, { request: request(g.request), config: cfg, accountId: g.ctx.accountId, now: NOW, durationSeconds: 3600 });
      expect({ name: g.name, errors: stamped.verdict.errors }).toEqual({ name: g.name, errors: plain.verdict.errors });
      if (!plain.verdict.ok) continue;
      expect(stamped.simulation.ok).toBe(true);
      // TLS 1, network 2, MFA 2, region 1 — and encryption 3 when the grant can upload.
      const uploads = stamped.attached?.Statement.some((s) => s.Sid === CONDITION_SIDS.encryption) ? 3 : 0;
      expect({ name: g.name, extra: stamped.simulation.outside - plain.simulation.outside }).toEqual({ name: g.name, extra: 6 + uploads });
    }
  });

  it("the plan carries the policy as attached, which is the stamp of its policy with the account's blocks", () => {
    const p = plan(readWrite, config(ALL));
    expect(p.verdict.errors).toEqual([]);
    expect(p.attached).toEqual(stampGrant(p.policy, p.expiresAt, grantConditions(config(ALL), "prod")));
    expect(p.attached?.Statement.map((s) => s.Sid)).toEqual(
      expect.arrayContaining([CONDITION_SIDS.network, CONDITION_SIDS.encryption, CONDITION_SIDS.encryptionKey]),
    );
    expect(p.policy.Statement.some((s) => s.Effect === "Deny")).toBe(false);
  });

  it("an account's own blocks replace the repository's", () => {
    const cfg = config(
      { region: ["eu-west-1"], source_ip: ["203.0.113.0/24"] },
      { prod: { id: ACCOUNT, conditions: { region: ["us-east-2"], source_ip: false } } },
    );
    const p = plan(readWrite, cfg);
    expect(p.conditions.regions).toEqual(["us-east-2"]);
    expect(p.attached?.Statement.some((s) => s.Sid === CONDITION_SIDS.network)).toBe(false);
    expect(JSON.stringify(p.attached)).toContain('"aws:RequestedRegion":"us-east-2"');
  });

  it("the size quota is measured after stamping the blocks", () => {
    // Many buckets: fits as a plain grant, not once the network Deny repeats its actions and resources.
    const buckets = Array.from({ length: 40 }, (_, i) => `reports-archive-${String(i).padStart(3, "0")}-eu`);
    const items: RequestItem[] = [{ service: "s3", access: ["read"], resources: buckets }];
    const plain = plan(items, config());
    expect(plain.verdict.errors.map((e) => e.code)).not.toContain("guardrail.policy-too-large");
    const stamped = plan(items, config(ALL));
    const size = stamped.verdict.errors.find((e) => e.code === "guardrail.policy-too-large");
    expect(size?.message).toMatch(/configured conditions/);
  });

  it("a hand-written condition that contradicts a block is refused with its code", () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*", Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } } },
      ],
    };
    const p = plan([{ service: "s3", access: ["read"], resources: ["reports"] }], config({ region: ["eu-west-1"] }), policy);
    expect(p.verdict.errors.map((e) => e.code)).toEqual(["guardrail.condition-conflict"]);
    expect(p.attached).toBeUndefined();
  });

  it("a hand-written policy's own condition stays a warning (undecided), as without the blocks", () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*", Condition: { StringEquals: { "aws:PrincipalTag/team": "finance" } } },
      ],
    };
    const items: RequestItem[] = [{ service: "s3", access: ["read"], resources: ["reports"] }];
    const codes = (cfg: Config) => {
      const v = plan(items, cfg, policy).verdict;
      return { errors: v.errors.map((e) => e.code), warnings: v.warnings.map((w) => w.code).filter((c) => c.startsWith("guardrail.simulation")) };
    };
    expect(codes(config())).toEqual({ errors: [], warnings: ["guardrail.simulation-unknown"] });
    expect(codes(config({ secure_transport: true, source_ip: ["203.0.113.0/24"] }))).toEqual({ errors: [], warnings: ["guardrail.simulation-unknown"] });
  });

  it("the explanation lists every block in plain words, and says when one does not apply", () => {
    const p = plan(readWrite, config(ALL));
    expect(p.explanation.conditions).toHaveLength(5);
    expect(p.explanation.conditions.join("\n")).toMatch(/encrypted connections[\s\S]*trusted networks[\s\S]*MFA[\s\S]*SSE-KMS[\s\S]*region/);
    expect(p.explanation.summary).toContain("Every call under this grant must also meet these conditions");
    const read = plan([{ service: "s3", access: ["read"], resources: ["reports"] }], config({ s3_encryption: true }));
    expect(read.explanation.conditions).toEqual([expect.stringContaining("does not apply here")]);
    const none = plan(readWrite, config());
    expect(none.explanation.conditions).toEqual([]);
    expect(none.explanation.summary).not.toContain("conditions");
  });

  it("the PR shows the policy as attached when blocks are on, and only then", () => {
    const body = (cfg: Config) => {
      const p = plan(readWrite, cfg);
      return prBody({ request: request(readWrite), plan: p, issueNumber: 1, file: "access-requests/prod/1-test.yaml", required: 1, approvers: ["bob"] });
    };
    expect(body(config(ALL))).toContain("Policy JSON as attached");
    expect(body(config(ALL))).toContain(CONDITION_SIDS.network);
    expect(body(config())).not.toContain("Policy JSON as attached");
  });
});

describe("the grant attaches what the plan showed", () => {
  const fake = createFakeAws();
  afterAll(() => fake.restore());
  beforeEach(() => {
    fake.reset();
    seed(fake);
  });

  it("iam mode: the stored policy document is the plan's stamped policy, blocks included", async () => {
    const cfg: Config = { ...testConfig("iam"), conditions: { secure_transport: true, source_ip: ["203.0.113.0/24"], region: ["us-east-1"] } };
    const grants = fakeGrants(fake, cfg);
    const result = await grants.grant(testRequest(), testPolicy(), EXPIRES);
    const stored = fake.state.accounts.get(HOME)!.iam.policies.get(result.resources[0]!)!;
    const attached = JSON.parse(stored.versions.get("v1")!.document) as PolicyDocument;
    expect(attached).toEqual(stampGrant(testPolicy(), EXPIRES, grantConditions(cfg, "prod")));
    expect(attached.Statement.find((s) => s.Sid === CONDITION_SIDS.network)?.Condition?.NotIpAddress).toEqual({ "aws:SourceIp": "203.0.113.0/24" });
  });

  it("identity-center mode: the permission set's inline policy carries the account's blocks (the account's own replacing the repository's)", async () => {
    const base = testConfig("identity-center");
    const cfg: Config = {
      ...base,
      aws: { ...base.aws, accounts: { ...base.aws.accounts, other: { id: OTHER, role_arn: CROSS_ROLE, conditions: { region: ["eu-west-1"] } } } },
      conditions: { secure_transport: true, region: ["us-east-1"] },
    };
    const result = await fakeGrants(fake, cfg).grant(testRequest({ account: "other" }), testPolicy(), EXPIRES);
    const inline = JSON.parse(fake.state.sso.permissionSets.get(result.resources[0]!)!.inlinePolicy) as PolicyDocument;
    expect(inline).toEqual(stampGrant(testPolicy(), EXPIRES, grantConditions(cfg, "other")));
    expect(JSON.stringify(inline)).toContain('"aws:RequestedRegion":"eu-west-1"');
    expect(JSON.stringify(inline)).toContain('"aws:SecureTransport":"true"');
  });
});

describe("plan shows the policy as attached", () => {
  let dir = "";
  const file = "access-requests/prod/2026/7-reports.yaml";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jit-conditions-"));
    mkdirSync(join(dir, ".github"), { recursive: true });
    const example = readFileSync(fileURLToPath(new URL("../.github/jit-access.yml", import.meta.url)), "utf8");
    writeFileSync(join(dir, ".github/jit-access.yml"), `${example}\nconditions:\n  secure_transport: true\n  source_ip: [203.0.113.0/24]\n`);
    cpSync(fileURLToPath(new URL("../.github/jit-access.yml", import.meta.url)), join(dir, "example.yml"));
    mkdirSync(join(dir, "access-requests/prod/2026"), { recursive: true });
    writeFileSync(
      join(dir, file),
      [
        "version: 1",
        "id: 7-reports",
        "requester: alice",
        "account: prod",
        "duration: 2h",
        "reason: Monthly close",
        "request:",
        "  - service: s3",
        "    access: [read]",
        "    resources: [reports]",
        "",
      ].join("\n"),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("--json: attached_policy is the stamped policy, blocks and expiry included", async () => {
    const r = await runCli(["plan", file, "--json", "--now", "2026-11-27T09:00:00Z"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { policy: PolicyDocument; attached_policy: PolicyDocument; expires_at: string; explanation: { conditions: string[] } };
    expect(out.attached_policy).toEqual(
      stampGrant(out.policy, out.expires_at, { ...grantConditions(config({ secure_transport: true, source_ip: ["203.0.113.0/24"] }), "prod") }),
    );
    expect(out.attached_policy.Statement.map((s) => s.Sid)).toContain(CONDITION_SIDS.network);
    expect(out.explanation.conditions).toHaveLength(2);
  });

  it("text: the conditions in words and the policy as attached", async () => {
    const r = await runCli(["plan", file, "--now", "2026-11-27T09:00:00Z"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Every call under this grant must also meet these conditions");
    expect(r.stdout).toContain("Policy as attached if granted now");
  });

  it("without conditions, attached_policy is the policy with its expiry only", async () => {
    const r = await runCli(["plan", file, "--json", "--config", "example.yml", "--now", "2026-11-27T09:00:00Z"], dir);
    const out = JSON.parse(r.stdout) as { policy: PolicyDocument; attached_policy: PolicyDocument; expires_at: string };
    expect(out.attached_policy.Statement).toHaveLength(out.policy.Statement.length);
    expect(out.attached_policy.Statement.every((s) => Object.keys(s.Condition ?? {}).includes("DateLessThan"))).toBe(true);
  });
});
