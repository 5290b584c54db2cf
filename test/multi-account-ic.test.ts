// Several accounts in one request in identity-center mode, end to end on the in-memory AccessRepo
// and the fake AWS: one merge provisions the request's one permission set to every account and
// assigns it in each, with a revoke schedule per account; the schedules, the sweep, reconcile and
// /extend act in every account; a failure in any account leaves nothing and a `failed` record. A
// catalogue permission set is assigned in each account the same way, and standing access in any
// account refuses them all before one is touched.
import { CreateAccountAssignmentCommand, CreatePermissionSetCommand } from "@aws-sdk/client-sso-admin";
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { permissionSetName, scheduleName } from "../src/aws/naming.js";
import { requestAccounts } from "../src/domain/accounts.js";
import { CONFIG_PATH, parseConfig, resolveAccount } from "../src/domain/config.js";
import { recordStatus } from "../src/domain/records.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config, PolicyDocument } from "../src/domain/types.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws, type Fault } from "./support/fake-aws/index.js";
import { HOME, OTHER, SCHEDULER_ROLE, fakeGrants, seed } from "./support/fake-aws/fixtures.js";
import { approvedMerge, blobSha, MemoryAccessRepo } from "./support/memory-repo.js";

const THIRD = "333333333333";
const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
const CONFIG = `aws:
  mode: identity-center
  region: us-east-1
  scheduler_role_arn: ${SCHEDULER_ROLE}
  identity_center:
    instance_arn: ${INSTANCE}
    identity_store_id: d-1111111111
  accounts:
    prod: "${HOME}"
    other: "${OTHER}"
    third: "${THIRD}"
  account_groups:
    nonprod: [other, third]
principals:
  alice: { sso_user: alice@example.com }
approvers: [bob]
catalogue:
  read-only:
    kind: permission_set
    description: read only
    permission_set: ReadOnly
    accounts: [prod, other, third]
    risk: low
`;
const NOW = new Date("2026-11-27T08:00:00Z");
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const MERGE = "d".repeat(40);
const APP = "jit-access[bot]";
const ID = "20-reports";
const catalogue = loadCatalogue();

function config(): Config {
  const r = parseConfig(CONFIG.replace("d-1111111111", fake.state.sso.identityStoreId));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}
const configText = () => CONFIG.replace("d-1111111111", fake.state.sso.identityStoreId);

const fake = createFakeAws();
afterAll(() => fake.restore());
let aliceId = "";
let readOnly = "";
beforeEach(() => resetAws());

async function resetAwsAsync(): Promise<void> {
  resetAws();
  readOnly = (await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "ReadOnly" }))).PermissionSet!.PermissionSetArn!;
}
function resetAws(): void {
  fake.reset();
  seed(fake);
  aliceId = fake.state.sso.users.get("alice@example.com")!;
}

type Kind = "policy" | "bundle";

/** A request for `accounts` (the first is `account`): the request's own policy (an SQS queue, whose ARN names the account), or the catalogue permission set. */
function requestFile(accounts: string[], kind: Kind = "policy"): { path: string; text: string; request: AccessRequest } {
  const [primary = "prod"] = accounts;
  const base: AccessRequest = {
    version: 1,
    id: ID,
    requester: "alice",
    account: primary,
    ...(accounts.length > 1 || accounts[0] === "nonprod" ? { accounts } : {}),
    duration: "2h",
    reason: "Quarter-end reconciliation in every account",
    request: [],
  };
  const path = `access-requests/${primary}/2026/${ID}.yaml`;
  if (kind === "bundle") {
    const request = { ...base, catalogue: "read-only" };
    return { path, text: dumpRequest(request), request };
  }
  const accountId = resolveAccount(config(), primary)!.id;
  const request: AccessRequest = { ...base, request: [{ service: "sqs", access: ["read"], resources: [`arn:aws:sqs:us-east-1:${accountId}:jobs`] }] };
  const plan = planRequest(catalogue, { request, config: config(), accountId, now: NOW, durationSeconds: 7200 });
  const withPolicy = { ...request, generator: plan.generator, policy: plan.policy };
  return { path, text: dumpRequest(withPolicy), request: withPolicy };
}

function mergedRepo(file: { path: string; text: string; request: AccessRequest }): { repo: MemoryAccessRepo; pr: MergedPr } {
  const n = 20;
  const text = configText();
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: text, [file.path]: file.text });
  repo.branches.set("main", MERGE);
  repo.setRef(BASE, { [CONFIG_PATH]: text });
  repo.setRef(MERGE, { [CONFIG_PATH]: text, [file.path]: file.text });
  repo.issues.set(n, { number: n, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.commitsBySha.set(MERGE, {
    sha: MERGE,
    parents: [BASE, HEAD],
    message: `Merge pull request #${n + 1}`,
    author: { name: "x", email: "x@example.com", date: "2026-11-27T08:00:00Z" },
  });
  repo.pulls.set(n + 1, {
    number: n + 1,
    files: [{ path: file.path, status: "added", previousPath: null, sha: blobSha(file.text) }],
    commits: [
      {
        sha: HEAD,
        parents: [BASE],
        message: "jit-access: propose",
        gitAuthor: { name: "jit", email: "jit@example.com", date: "2026-11-27T07:00:00Z" },
        author: { login: APP, type: "Bot" },
        committer: { login: APP, type: "Bot" },
      },
    ],
    reviews: [{ id: 1, user: { login: "bob", type: "User" }, state: "APPROVED", commit_id: HEAD, submitted_at: "2026-11-27T07:30:00Z" }],
  });
  const pr: MergedPr = {
    number: n + 1,
    merged: true,
    mergeCommitSha: MERGE,
    mergedAt: NOW.toISOString(),
    headSha: HEAD,
    headRef: `jit/${ID}`,
    baseSha: BASE,
    author: { login: APP, type: "Bot" },
    changedFiles: 1,
  };
  return { repo, pr };
}

async function merge(accounts: string[], opts: { kind?: Kind; faults?: Fault[] } = {}) {
  const file = requestFile(accounts, opts.kind);
  const { repo, pr } = mergedRepo(file);
  const grants = fakeGrants(fake, config());
  for (const f of opts.faults ?? []) fake.faults.add(f);
  const out = await grantMergedOnce(repo, pr, { grantsFor: () => grants, now: () => NOW }).catch((e: unknown) => ({ kind: "threw", error: String(e) }));
  fake.faults.clear();
  fake.settle();
  const record = repo.files.get(file.path) ?? "";
  return { out, repo, file, grants, record };
}

const sweep = (repo: MemoryAccessRepo, grants: ReturnType<typeof fakeGrants>, at: string) =>
  runSweep({ store: repo, config: config(), grants: () => grants }, { now: new Date(at), dryRun: false, reconcile: true, concurrency: 1 });

/** Each account a record says holds the grant, with its resources and schedule. */
function recorded(text: string, path: string): Map<string, { resources: string[]; schedule?: string }> {
  const r = parseRequestFile(text, { file: path, config: config() });
  const out = new Map<string, { resources: string[]; schedule?: string }>();
  const request = r.ok ? r.value.request : r.request;
  if (!request || request.status !== "active") return out;
  const aws = request.grant?.aws;
  for (const part of aws?.accounts ?? (aws?.account_id ? [{ account_id: aws.account_id, resources: aws.resources, schedule: aws.schedule }] : []))
    out.set(part.account_id, { resources: part.resources ?? [], ...(part.schedule ? { schedule: part.schedule } : {}) });
  return out;
}

/** alice's assignments: "<account> <permission set ARN>". */
const assignments = () =>
  [...fake.state.sso.assignments.values()]
    .filter((a) => a.principalId === aliceId)
    .map((a) => `${a.accountId} ${a.permissionSetArn}`)
    .sort();
/** jit-access's own permission sets (named jit-…). */
const jitSets = () => [...fake.state.sso.permissionSets.values()].filter((p) => p.name.startsWith("jit-")).map((p) => p.arn);
const schedules = () => [...fake.state.accounts.get(HOME)!.scheduler.schedules.keys()].sort();
const setOf = (name: string) => [...fake.state.sso.permissionSets.values()].find((p) => p.name === name);

describe("several accounts in identity-center mode (domain)", () => {
  it("a request's own policy and a catalogue permission set may cover several accounts; a managed policy may not", () => {
    const c = config();
    expect(requestAccounts(c, { account: "prod", accounts: ["prod", "nonprod"] })).toMatchObject({ ok: true });
    expect(requestAccounts(c, { account: "prod", accounts: ["prod", "other"], catalogue: "read-only" })).toMatchObject({ ok: true });
    const iam = parseConfig(`aws:
  mode: iam
  region: us-east-1
  scheduler_role_arn: ${SCHEDULER_ROLE}
  accounts: { prod: "${HOME}", other: "${OTHER}" }
principals: { alice: { iam_user: alice } }
catalogue:
  ro: { kind: managed_policy, description: read only, policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess", accounts: [prod, other] }
`);
    if (!iam.ok) throw new Error(JSON.stringify(iam.problems));
    expect(requestAccounts(iam.value, { account: "prod", accounts: ["prod", "other"], catalogue: "ro" })).toMatchObject({
      ok: false,
      problems: [{ code: "request.accounts-bundle" }],
    });
  });
});

describe("a grant in several accounts (identity-center mode, fake AWS)", () => {
  it("one permission set, provisioned and assigned in every account, each account's revoke schedule its own; the schedules end it, the sweep records it", async () => {
    const { out, record, file, repo, grants } = await merge(["prod", "other"]);
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    expect(recordStatus(record)).toBe("active");
    const [ps] = jitSets();
    expect(jitSets()).toHaveLength(1);
    expect(setOf(permissionSetName(ID))?.provisionedTo).toEqual(new Set([HOME, OTHER]));
    expect(assignments()).toEqual([`${HOME} ${ps}`, `${OTHER} ${ps}`]);
    expect(recorded(record, file.path)).toEqual(
      new Map([
        [HOME, { resources: [ps], schedule: `jit-access/${scheduleName(ID, "revoke")}` }],
        [OTHER, { resources: [ps], schedule: `jit-access/${scheduleName(ID, "revoke", OTHER)}` }],
      ]),
    );
    expect(schedules()).toEqual([`jit-access/jit-${ID}`, `jit-access/jit-${ID}.${OTHER}`]);

    // Before the end, reconcile counts the permission set and both schedules as the record's.
    const early = await sweep(repo, grants, "2026-11-27T09:00:00Z");
    expect(early.plan.drift).toEqual([]);
    expect(early.plan.unattributed).toEqual([]);
    expect(assignments()).toHaveLength(2);

    // The Scheduler fires at the end: each schedule removes its own account's assignment.
    const fired = fake.fireDueSchedules(new Date("2026-11-27T10:00:30Z"));
    expect(fired.map((f) => [f.input.TargetId, f.error])).toEqual([
      [HOME, undefined],
      [OTHER, undefined],
    ]);
    expect(assignments()).toEqual([]);
    const swept = await sweep(repo, grants, "2026-11-27T10:01:00Z");
    expect(swept.outcome?.due.map((d) => [d.id, d.result])).toEqual([[ID, "expired"]]);
    expect(recordStatus(repo.files.get(file.path)!)).toBe("expired");
    expect(jitSets()).toEqual([]);
    expect(schedules()).toEqual([]);
  });

  it("a later account takes the permission set the earlier one made, checked by name and tag: no listing, whatever else is provisioned", async () => {
    // Other permission sets in the instance, provisioned to every account: a listing would describe each of them.
    for (let i = 0; i < 5; i++) {
      const made = await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: `Team${i}` }));
      for (const account of [HOME, OTHER, THIRD]) fake.state.sso.permissionSets.get(made.PermissionSet!.PermissionSetArn!)!.provisionedTo.add(account);
    }
    fake.resetLogs();
    const { out } = await merge(["prod", "nonprod"]);
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    const count = (op: string) => fake.calls.filter((c) => c.op === op).length;
    expect(count("ListPermissionSets")).toBe(0);
    expect(count("ListPermissionSetsProvisionedToAccount")).toBe(0);
    // One DescribePermissionSet (and one tag read) per later account.
    expect(count("DescribePermissionSet")).toBe(2);
    expect(count("CreatePermissionSet")).toBe(1);
    expect([count("ProvisionPermissionSet"), count("CreateAccountAssignment"), count("CreateSchedule")]).toEqual([3, 3, 3]);
  });

  it("the permission set's one policy keeps each account's statements to that account", async () => {
    const { out } = await merge(["prod", "nonprod"]);
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    const policy = JSON.parse(setOf(permissionSetName(ID))!.inlinePolicy) as PolicyDocument;
    for (const account of [HOME, OTHER, THIRD]) {
      const own = policy.Statement.filter((s) => s.Condition?.StringEquals?.["aws:PrincipalAccount"] === account);
      expect(own.length, account).toBeGreaterThan(0);
      // Every ARN in an account's statements is that account's.
      const arns = own.flatMap((s) => [s.Resource].flat()).filter((r) => r.startsWith("arn:aws:sqs"));
      expect(
        arns.every((r) => r.split(":")[4] === account),
        JSON.stringify(arns),
      ).toBe(true);
    }
    // A statement without the gate names no account's queue.
    const ungated = policy.Statement.filter((s) => !s.Condition?.StringEquals?.["aws:PrincipalAccount"]);
    expect(ungated.flatMap((s) => [s.Resource].flat()).filter((r) => /:\d{12}:/.test(r))).toEqual([]);
  });

  it("when the schedules miss, the sweep ends it in every account", async () => {
    const { repo, grants, file } = await merge(["prod", "nonprod"]);
    expect(assignments()).toHaveLength(3);
    const swept = await sweep(repo, grants, "2026-11-27T10:01:00Z");
    expect(swept.outcome?.due.map((d) => d.result)).toEqual(["expired"]);
    expect(recordStatus(repo.files.get(file.path)!)).toBe("expired");
    expect(assignments()).toEqual([]);
    expect(jitSets()).toEqual([]);
    expect(schedules()).toEqual([]);
  });

  it("the second account failing rolls back the first: nothing is left in AWS and the record says failed", async () => {
    const { out, record } = await merge(["prod", "other"], { faults: [{ kind: "crash", service: "sso", op: "CreateAccountAssignment", nth: 2 }] });
    expect(out).toMatchObject({ kind: "failed" });
    expect(recordStatus(record)).toBe("failed");
    expect(record).toContain("in account other");
    expect(assignments()).toEqual([]);
    expect(jitSets()).toEqual([]);
    expect(schedules()).toEqual([]);
  });

  it("reconcile: a record that no longer holds the grant — the permission set, every assignment and every schedule are removed", async () => {
    const { out, file, repo, grants } = await merge(["prod", "nonprod"]);
    expect(out).toMatchObject({ kind: "granted" });
    repo.files.delete(file.path);
    const swept = await sweep(repo, grants, "2026-11-27T09:00:00Z");
    expect(swept.plan.unattributed).toEqual([]);
    expect(swept.plan.drift?.map((d) => [d.requestId, d.reason])).toEqual([[ID, "no-record"]]);
    expect(swept.outcome?.drift.every((d) => d.result === "removed")).toBe(true);
    expect(assignments()).toEqual([]);
    expect(jitSets()).toEqual([]);
    expect(schedules()).toEqual([]);
  });

  it.each<Kind>(["policy", "bundle"])("/extend (%s) moves the end of every account's schedule, and of the request's own permission set", async (kind) => {
    if (kind === "bundle") await resetAwsAsync();
    const { out, file, repo, grants } = await merge(["prod", "other"], { kind });
    expect(out).toMatchObject({ kind: "granted" });
    const ext: AccessRequest = { ...file.request, id: `${ID}-ext-1`, extends: ID, duration: "1h" };
    const extPath = `access-requests/prod/2026/${ID}-ext-1.yaml`;
    const extText = dumpRequest(ext);
    const active = repo.files.get(file.path)!;
    repo.files.set(extPath, extText);
    repo.setRef("e".repeat(40), { [CONFIG_PATH]: configText(), [file.path]: active });
    repo.setRef("9".repeat(40), { [CONFIG_PATH]: configText(), [file.path]: active, [extPath]: extText });
    const pr = approvedMerge(repo, {
      pr: 30,
      id: ext.id,
      file: extPath,
      text: extText,
      base: "e".repeat(40),
      head: "f".repeat(40),
      merge: "9".repeat(40),
      message: "jit-access: propose extending",
    });
    const extended = await grantMergedOnce(repo, pr, { grantsFor: () => grants, now: () => new Date("2026-11-27T09:59:30Z"), appLogin: APP });
    expect(extended, JSON.stringify(extended)).toMatchObject({ kind: "granted", expiresAt: "2026-11-27T11:00:00Z" });
    if (kind === "policy") {
      const ps = setOf(permissionSetName(ID))!;
      expect(ps.inlinePolicy).toContain("2026-11-27T11:00:00Z");
      expect(ps.inlinePolicy).not.toContain("2026-11-27T10:00:00Z");
    }
    for (const key of [`jit-access/jit-${ID}`, `jit-access/jit-${ID}.${OTHER}`])
      expect(fake.state.accounts.get(HOME)!.scheduler.schedules.get(key)?.ScheduleExpression, key).toBe("at(2026-11-27T11:00:00)");
    expect(assignments()).toHaveLength(2);
    // The old end passes: nothing fires; the new end: both accounts end.
    expect(fake.fireDueSchedules(new Date("2026-11-27T10:30:00Z"))).toEqual([]);
    expect(fake.fireDueSchedules(new Date("2026-11-27T11:00:30Z")).map((f) => f.error)).toEqual([undefined, undefined]);
    expect(assignments()).toEqual([]);
  });
});

describe("a catalogue permission set in several accounts", () => {
  beforeEach(async () => resetAwsAsync());

  it("is assigned in every account with a schedule each; the schedules end it; the set itself stays", async () => {
    const { out, record, file, repo, grants } = await merge(["prod", "nonprod"], { kind: "bundle" });
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    const text = `assigned:user/${aliceId}:${readOnly}`;
    expect([...recorded(record, file.path)].map(([a, p]) => [a, p.resources])).toEqual([HOME, OTHER, THIRD].map((a) => [a, [text]]));
    expect(assignments()).toEqual([HOME, OTHER, THIRD].map((a) => `${a} ${readOnly}`));
    expect(schedules()).toEqual([`jit-access/jit-${ID}`, `jit-access/jit-${ID}.${OTHER}`, `jit-access/jit-${ID}.${THIRD}`]);
    expect((await sweep(repo, grants, "2026-11-27T09:00:00Z")).plan.drift).toEqual([]);
    expect(fake.fireDueSchedules(new Date("2026-11-27T10:00:30Z")).map((f) => f.error)).toEqual([undefined, undefined, undefined]);
    expect(assignments()).toEqual([]);
    await sweep(repo, grants, "2026-11-27T10:01:00Z");
    expect(recordStatus(repo.files.get(file.path)!)).toBe("expired");
    expect(fake.state.sso.permissionSets.has(readOnly)).toBe(true);
  });

  it("the sweep ends it in every account when the schedules miss; reconcile removes every account's when the record is gone", async () => {
    const first = await merge(["prod", "other"], { kind: "bundle" });
    await sweep(first.repo, first.grants, "2026-11-27T10:05:00Z");
    expect(recordStatus(first.repo.files.get(first.file.path)!)).toBe("expired");
    expect(assignments()).toEqual([]);
    expect(schedules()).toEqual([]);

    await resetAwsAsync();
    const second = await merge(["prod", "other"], { kind: "bundle" });
    expect(assignments()).toHaveLength(2);
    second.repo.files.delete(second.file.path);
    const swept = await sweep(second.repo, second.grants, "2026-11-27T09:00:00Z");
    expect(swept.plan.unattributed).toEqual([]);
    expect(swept.outcome?.drift.every((d) => d.result === "removed")).toBe(true);
    expect(assignments()).toEqual([]);
    expect(schedules()).toEqual([]);
  });

  it.each([
    ["the first", HOME],
    ["a later", OTHER],
  ])("standing access in %s account refuses every account before one is touched", async (_name, standing) => {
    await fake.clients.ssoAdmin.send(
      new CreateAccountAssignmentCommand({
        InstanceArn: INSTANCE,
        TargetId: standing,
        TargetType: "AWS_ACCOUNT",
        PermissionSetArn: readOnly,
        PrincipalType: "USER",
        PrincipalId: aliceId,
      }),
    );
    fake.settle();
    fake.resetLogs();
    const { out, record } = await merge(["prod", "other"], { kind: "bundle" });
    expect(out).toMatchObject({ kind: "failed" });
    expect(record).toContain("aws.standing-access");
    expect(assignments()).toEqual([`${standing} ${readOnly}`]);
    expect(schedules()).toEqual([]);
    // Nothing was created anywhere, not even for a moment (the failed grant's clean-up finds nothing to delete).
    expect(fake.calls.filter((c) => /^(Create|Provision|Put|DeleteAccountAssignment)/.test(c.op)).map((c) => c.op)).toEqual([]);
  });
});

// The property: whatever fails, no jit-access assignment (and no permission set of the request)
// exists in AWS without an active record listing it in that account.
describe("property: no assignment without a record listing it (identity-center mode)", () => {
  const OPS: Array<[Fault["service"], string]> = [
    ["sso", "CreatePermissionSet"],
    // A later account's check of the set the earlier one holds, and the lookups.
    ["sso", "DescribePermissionSet"],
    ["sso", "ListTagsForResource"],
    ["sso", "ListPermissionSetsProvisionedToAccount"],
    ["sso", "PutInlinePolicyToPermissionSet"],
    ["sso", "ProvisionPermissionSet"],
    ["sso", "CreateAccountAssignment"],
    ["sso", "DescribeAccountAssignmentCreationStatus"],
    ["sso", "ListAccountAssignments"],
    ["scheduler", "CreateSchedule"],
    ["identitystore", "GetUserId"],
  ];
  it("for any account set, either kind of grant and any injected fault", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(["prod", "other", "third"], { minLength: 1 }),
        fc.constantFrom<Kind>("policy", "bundle"),
        fc.constantFrom("crash", "crash-after", "throttle", "lost-response" as const),
        fc.constantFrom(...OPS),
        fc.integer({ min: 1, max: 3 }),
        async (set, kind, faultKind, [service, op], nth) => {
          await resetAwsAsync();
          const { record, file } = await merge(set, { kind, faults: [{ kind: faultKind, service, op, nth }] });
          const listed = recorded(record, file.path);
          for (const a of [...fake.state.sso.assignments.values()].filter((x) => x.principalId === aliceId)) {
            const part = listed.get(a.accountId);
            const names = kind === "bundle" ? `assigned:user/${aliceId}:${a.permissionSetArn}` : a.permissionSetArn;
            expect(part?.resources ?? [], `${a.accountId} ${a.permissionSetArn} is assigned but not recorded`).toContain(names);
          }
          if (!listed.size) expect(jitSets(), "a permission set without an active record").toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });
});
