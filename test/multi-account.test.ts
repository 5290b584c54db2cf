// Several accounts in one request, end to end on the in-memory AccessRepo and the fake AWS: one
// merge grants in every account or in none, the record lists every account's resources, and the
// sweep, the schedules and /revoke end the grant everywhere. A failure in any account, at any
// step, leaves nothing in AWS and a `failed` record.
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { iamPolicyArn } from "../src/aws/naming.js";
import { accountView, accountNames, requestAccounts, withAccountGroup } from "../src/domain/accounts.js";
import { CONFIG_PATH, parseConfig, resolveAccount } from "../src/domain/config.js";
import { recordStatus } from "../src/domain/records.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws, type Fault } from "./support/fake-aws/index.js";
import { CROSS_ROLE, HOME, OTHER, SCHEDULER_ROLE, fakeGrants, seed } from "./support/fake-aws/fixtures.js";
import { approvedMerge, blobSha, MemoryAccessRepo } from "./support/memory-repo.js";
import { jitAttachments, jitResources } from "./support/scenario.js";

const THIRD = "333333333333";
const CONFIG = `aws:
  mode: iam
  region: us-east-1
  scheduler_role_arn: ${SCHEDULER_ROLE}
  accounts:
    prod: "${HOME}"
    other: { id: "${OTHER}", role_arn: "${CROSS_ROLE}" }
    third: { id: "${THIRD}", role_arn: "arn:aws:iam::${THIRD}:role/jit-access" }
  account_groups:
    nonprod: [other, third]
principals:
  alice: { iam_user: alice }
approvers: [bob]
`;
const NOW = new Date("2026-11-27T08:00:00Z");
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const MERGE = "d".repeat(40);
const APP = "jit-access[bot]";
const catalogue = loadCatalogue();

function config(): Config {
  const r = parseConfig(CONFIG);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => resetAws());

function resetAws(): void {
  fake.reset();
  seed(fake);
  fake.addUser(THIRD, "alice");
  fake.addRole(THIRD, "jit-access");
  fake.addScheduleGroup(THIRD);
}

/** A request for `accounts` (the first is `account`, its folder), with the policy the PR check would commit. */
function requestFile(accounts: string[], n = 20): { path: string; text: string; request: AccessRequest } {
  const [primary = "prod"] = accounts;
  const request: AccessRequest = {
    version: 1,
    id: `${n}-reports`,
    requester: "alice",
    account: primary,
    ...(accounts.length > 1 || accounts[0] === "nonprod" ? { accounts } : {}),
    duration: "2h",
    reason: "Quarter-end reconciliation in every account",
    request: [{ service: "s3", access: ["read"], resources: ["reports"] }],
  };
  const plan = planRequest(catalogue, { request, config: config(), accountId: resolveAccount(config(), primary)!.id, now: NOW, durationSeconds: 7200 });
  const withPolicy = { ...request, generator: plan.generator, policy: plan.policy };
  return { path: `access-requests/${primary}/2026/${request.id}.yaml`, text: dumpRequest(withPolicy), request: withPolicy };
}

/** The file on the default branch (proposed), merged as PR n+1 with bob's approval. */
function mergedRepo(
  file: { path: string; text: string; request: AccessRequest },
  opts: { reviewers?: string[]; codeowners?: string } = {},
): { repo: MemoryAccessRepo; pr: MergedPr } {
  const n = Number(file.request.id.split("-")[0]);
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [file.path]: file.text });
  repo.branches.set("main", MERGE);
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG, ...(opts.codeowners ? { ".github/CODEOWNERS": opts.codeowners } : {}) });
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [file.path]: file.text });
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
    reviews: (opts.reviewers ?? ["bob"]).map((login, i) => ({
      id: i + 1,
      user: { login, type: "User" },
      state: "APPROVED",
      commit_id: HEAD,
      submitted_at: "2026-11-27T07:30:00Z",
    })),
  });
  const pr: MergedPr = {
    number: n + 1,
    merged: true,
    mergeCommitSha: MERGE,
    mergedAt: NOW.toISOString(),
    headSha: HEAD,
    headRef: `jit/${file.request.id}`,
    baseSha: BASE,
    author: { login: APP, type: "Bot" },
    changedFiles: 1,
  };
  return { repo, pr };
}

async function merge(accounts: string[], fault?: Fault, opts: { reviewers?: string[]; codeowners?: string } = {}) {
  const file = requestFile(accounts);
  const { repo, pr } = mergedRepo(file, opts);
  const grants = fakeGrants(fake, config());
  if (fault) fake.faults.add(fault);
  const out = await grantMergedOnce(repo, pr, { grantsFor: () => grants, now: () => NOW }).catch((e: unknown) => ({ kind: "threw", error: String(e) }));
  fake.faults.clear();
  const record = repo.files.get(file.path) ?? "";
  return { out, repo, file, grants, record, parsed: parseRequestFile(record, { file: file.path, config: config() }) };
}

/** Every account id a record says holds resources, with those resources. */
function recorded(text: string, path: string): Map<string, string[]> {
  const r = parseRequestFile(text, { file: path, config: config() });
  const out = new Map<string, string[]>();
  const request = r.ok ? r.value.request : r.request;
  if (!request || request.status !== "active") return out;
  const aws = request.grant?.aws;
  for (const part of aws?.accounts ?? (aws?.account_id ? [{ account_id: aws.account_id, resources: aws.resources }] : []))
    out.set(part.account_id, part.resources ?? []);
  return out;
}

/** The accounts a jit-access resource or attachment line lives in ("<account>:…"). */
const accountsOf = (lines: string[]) => [...new Set(lines.map((l) => l.split(":")[0]))].sort();

describe("a request in several accounts (domain)", () => {
  it("expands groups, keeps account first, and refuses what is not built or not allowed", () => {
    const c = config();
    expect(accountNames(c, { account: "prod", accounts: ["prod", "nonprod", "other"] })).toEqual(["prod", "other", "third"]);
    const r = requestAccounts(c, { account: "other", accounts: ["prod", "nonprod"] });
    expect(r.ok && r.value.map((a) => a.id)).toEqual([OTHER, HOME, THIRD]);
    expect(requestAccounts(c, { account: "prod", accounts: ["nonprod"] })).toMatchObject({ ok: false, problems: [{ code: "request.accounts-primary" }] });
    const ic = { ...c, aws: { ...c.aws, mode: "identity-center" as const } };
    expect(requestAccounts(ic, { account: "prod", accounts: ["prod", "other"] })).toMatchObject({ ok: true });
  });

  it("each account's view names that account and moves the primary account's ARNs to it", () => {
    const c = config();
    const req: AccessRequest = {
      ...requestFile(["prod", "other"]).request,
      request: [{ service: "sqs", access: ["read"], resources: [`arn:aws:sqs:us-east-1:${HOME}:jobs`] }],
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sqs:ReceiveMessage", Resource: `arn:aws:sqs:us-east-1:${HOME}:jobs` }] },
    };
    const view = accountView(req, resolveAccount(c, "prod")!, resolveAccount(c, "other")!);
    expect(view.account).toBe("other");
    expect(view.accounts).toBeUndefined();
    expect(view.request[0]?.resources).toEqual([`arn:aws:sqs:us-east-1:${OTHER}:jobs`]);
    expect(view.policy?.Statement[0]?.Resource).toBe(`arn:aws:sqs:us-east-1:${OTHER}:jobs`);
  });

  it("the strictest account rules: an account's max_duration and eligibility hold for the whole request", () => {
    const strict = CONFIG.replace(`third: { id: "${THIRD}"`, `third: { max_duration: 1h, eligible: [carol], id: "${THIRD}"`);
    const c = parseConfig(strict);
    if (!c.ok) throw new Error(JSON.stringify(c.problems));
    const file = requestFile(["prod", "nonprod"]);
    const r = parseRequestFile(file.text, { file: file.path, config: c.value });
    expect(r.ok ? [] : r.problems.map((p) => p.code)).toContain("request.duration-too-long");
    expect(r.ok ? [] : r.problems.map((p) => p.message).join()).toContain("aws.accounts.third.max_duration");
  });
});

describe("a grant in several accounts (fake AWS)", () => {
  it("one merge grants in every account; the record lists each account's policy; the sweep ends it everywhere", async () => {
    const { out, record, file, repo, grants } = await merge(["prod", "other"]);
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    expect(recordStatus(record)).toBe("active");
    expect(recorded(record, file.path)).toEqual(
      new Map([
        [HOME, [iamPolicyArn("aws", HOME, "20-reports")]],
        [OTHER, [iamPolicyArn("aws", OTHER, "20-reports")]],
      ]),
    );
    expect(jitAttachments(fake)).toEqual([
      `${HOME}:user/alice → ${iamPolicyArn("aws", HOME, "20-reports")}`,
      `${OTHER}:user/alice → ${iamPolicyArn("aws", OTHER, "20-reports")}`,
    ]);
    // Before the end the sweep leaves it alone, and reconcile counts both accounts' resources as the record's.
    const early = await runSweep(
      { store: repo, config: config(), grants: () => grants },
      { now: new Date("2026-11-27T09:00:00Z"), dryRun: false, reconcile: true, concurrency: 1 },
    );
    expect(early.plan.drift).toEqual([]);
    expect(jitAttachments(fake)).toHaveLength(2);

    const swept = await runSweep(
      { store: repo, config: config(), grants: () => grants },
      { now: new Date("2026-11-27T10:01:00Z"), dryRun: false, reconcile: true, concurrency: 1 },
    );
    expect(swept.outcome?.due.map((d) => [d.id, d.result])).toEqual([["20-reports", "expired"]]);
    expect(recordStatus(repo.files.get(file.path)!)).toBe("expired");
    expect(jitAttachments(fake)).toEqual([]);
    expect(jitResources(fake)).toEqual([]);
  });

  it("a group expands to its accounts; the schedule detaches where Scheduler can act, the sweep ends the rest", async () => {
    const { out, record, file, repo, grants } = await merge(["prod", "nonprod"]);
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    expect([...recorded(record, file.path).keys()]).toEqual([HOME, OTHER, THIRD]);
    expect(accountsOf(jitAttachments(fake))).toEqual([HOME, OTHER, THIRD]);
    // The scheduler role lives in the home account: only there can a schedule detach (target.ts schedulePlacement).
    const fired = fake.fireDueSchedules(new Date("2026-11-27T10:00:30Z"));
    expect(fired.filter((f) => !f.error).map((f) => f.account)).toContain(HOME);
    expect(accountsOf(jitAttachments(fake))).toEqual([OTHER, THIRD]);
    await runSweep(
      { store: repo, config: config(), grants: () => grants },
      { now: new Date("2026-11-27T10:01:00Z"), dryRun: false, reconcile: true, concurrency: 1 },
    );
    expect(recordStatus(repo.files.get(file.path)!)).toBe("expired");
    expect(jitAttachments(fake)).toEqual([]);
    expect(jitResources(fake)).toEqual([]);
  });

  it("the second account failing rolls back the first: nothing is left in AWS and the record says failed", async () => {
    const { out, record } = await merge(["prod", "other"], { kind: "crash", service: "iam", op: "AttachUserPolicy", nth: 2 });
    expect(out).toMatchObject({ kind: "failed" });
    expect(recordStatus(record)).toBe("failed");
    expect(record).toContain("in account other");
    expect(jitAttachments(fake)).toEqual([]);
    expect(jitResources(fake)).toEqual([]);
  });
});

describe("approval of a request in several accounts", () => {
  // bob approves everywhere (config approvers); carol owns only the other account's folder.
  const codeowners = "access-requests/other/ @carol\n";
  it.each([
    ["other", ["other"], ["carol"], "granted"],
    ["other+prod by the other folder's owner", ["other", "prod"], ["carol"], "blocked"],
    ["prod+other by the other folder's owner", ["prod", "other"], ["carol"], "blocked"],
    ["prod+other by a global approver", ["prod", "other"], ["bob"], "granted"],
  ])("%s → %s", async (_name, accounts, reviewers, expected) => {
    const { out } = await merge(accounts, undefined, { reviewers, codeowners });
    expect(out, JSON.stringify(out)).toMatchObject({ kind: expected });
    if (expected === "blocked") {
      expect(out).toMatchObject({ codes: expect.arrayContaining(["approval.not-authorized"]) });
      expect(jitAttachments(fake)).toEqual([]);
    }
  });
});

describe("reconcile of a grant in several accounts", () => {
  it("a record that no longer holds the grant: each account's leftovers are removed in that account", async () => {
    const { out, file, repo, grants } = await merge(["prod", "nonprod"]);
    expect(out).toMatchObject({ kind: "granted" });
    // The record is gone (as if deleted by hand): every account's policy is drift of its own.
    repo.files.delete(file.path);
    const swept = await runSweep(
      { store: repo, config: config(), grants: () => grants },
      { now: new Date("2026-11-27T09:00:00Z"), dryRun: false, reconcile: true, concurrency: 1 },
    );
    expect(swept.plan.drift?.map((d) => [d.requestId, d.reason, d.target.accountId]).sort()).toEqual(
      [HOME, OTHER, THIRD].map((a) => ["20-reports", "no-record", a]),
    );
    expect(swept.outcome?.drift.every((d) => d.result === "removed")).toBe(true);
    expect(jitAttachments(fake)).toEqual([]);
    expect(jitResources(fake)).toEqual([]);
  });
});

// The family: every account set × every position of the failing account (or none).
const SETS: string[][] = [["prod"], ["prod", "other"], ["other", "prod"], ["prod", "nonprod"]];
const ROWS = SETS.flatMap((set) => {
  const n = set.includes("nonprod") ? set.length + 1 : set.length;
  return [undefined, ...Array.from({ length: n }, (_, i) => i + 1)].map((failAt) => [set.join("+"), failAt ?? "none", set, failAt] as const);
});

describe("account sets × failure position", () => {
  it.each(ROWS)("%s, attach failing in account #%s", async (_name, _at, set, failAt) => {
    resetAws();
    const { out, record, file } = await merge([...set], failAt ? { kind: "crash", service: "iam", op: "AttachUserPolicy", nth: failAt } : undefined);
    const held = jitAttachments(fake);
    if (failAt === undefined) {
      expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
      const ids = [...recorded(record, file.path).keys()].sort();
      expect(accountsOf(held)).toEqual(ids);
      expect(ids).toHaveLength(set.includes("nonprod") ? set.length + 1 : set.length);
    } else {
      expect(out).toMatchObject({ kind: "failed" });
      expect(recordStatus(record)).toBe("failed");
      expect(held).toEqual([]);
      expect(jitResources(fake)).toEqual([]);
    }
  });
});

describe("property: no resource in AWS without a record listing it", () => {
  const OPS = ["CreatePolicy", "AttachUserPolicy", "CreateSchedule", "TagPolicy", "GetUser"];
  it("for any account set and any injected fault", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(["prod", "other", "third"], { minLength: 1 }),
        fc.constantFrom("crash", "crash-after", "throttle", "lost-response" as const),
        fc.constantFrom(...OPS),
        fc.integer({ min: 1, max: 3 }),
        async (set, kind, op, nth) => {
          resetAws();
          const { record, file } = await merge(set, { kind, service: op === "CreateSchedule" ? "scheduler" : "iam", op, nth });
          const listed = recorded(record, file.path);
          for (const line of jitAttachments(fake)) {
            const account = line.slice(0, line.indexOf(":"));
            const arn = line.split(" → ")[1] ?? "";
            expect(listed.get(account) ?? [], `${line} is held but not recorded`).toContain(arn);
          }
          for (const line of jitResources(fake).filter((l) => !l.includes(":schedule:"))) {
            const account = line.split(":")[0] ?? "";
            expect(listed.get(account) ?? [], `${line} exists but is not recorded`).toContain(line.slice(account.length + 1));
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("an account group typed in the form", () => {
  it("files the request under the group's first account and asks for the group", () => {
    expect(withAccountGroup(config(), { account: "nonprod" })).toEqual({ account: "other", accounts: ["nonprod"] });
    expect(withAccountGroup(config(), { account: "nonprod", accounts: ["nonprod", "prod"] })).toEqual({ account: "other", accounts: ["nonprod", "prod"] });
    expect(withAccountGroup(config(), { account: "prod" })).toEqual({ account: "prod" });
  });
});

describe("/extend of a grant in several accounts", () => {
  it("moves the end in every account, each with its own policy, then on the record", async () => {
    const { out, file, repo, grants } = await merge(["prod", "other"]);
    expect(out).toMatchObject({ kind: "granted" });
    const ext: AccessRequest = { ...file.request, id: "20-reports-ext-1", extends: "20-reports", duration: "1h" };
    const extPath = "access-requests/prod/2026/20-reports-ext-1.yaml";
    const extText = dumpRequest(ext);
    const active = repo.files.get(file.path)!;
    repo.files.set(extPath, extText);
    repo.setRef("e".repeat(40), { [CONFIG_PATH]: CONFIG, [file.path]: active });
    repo.setRef("9".repeat(40), { [CONFIG_PATH]: CONFIG, [file.path]: active, [extPath]: extText });
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
    const record = parseRequestFile(repo.files.get(file.path)!, { file: file.path, config: config() });
    expect(record.ok && record.value.request.grant?.expires_at).toBe("2026-11-27T11:00:00Z");
    // Both accounts' policies carry the new end, and both are still attached.
    for (const account of [HOME, OTHER]) {
      const policy = fake.state.accounts.get(account)?.iam.policies.get(iamPolicyArn("aws", account, "20-reports"));
      expect(JSON.stringify(policy?.tags ?? policy), account).toContain("2026-11-27T11:00:00Z");
    }
    expect(accountsOf(jitAttachments(fake))).toEqual([HOME, OTHER]);
  });
});
