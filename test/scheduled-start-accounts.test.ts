// A scheduled start in several accounts, on the in-memory AccessRepo and the fake AWS: the merge
// records `scheduled` and attaches nothing anywhere; the sweep at the start grants in every account
// (all or none, as a merge does), records each account's resources, and the sweep at the end takes
// them all back. A failure in a later account at the start leaves nothing in any account: a
// permanent one records `failed`, a retryable one stays scheduled and the next sweep starts it.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { iamPolicyArn } from "../src/aws/naming.js";
import { CONFIG_PATH, parseConfig, resolveAccount } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws, type Fault } from "./support/fake-aws/index.js";
import { CROSS_ROLE, HOME, OTHER, SCHEDULER_ROLE, fakeGrants, seed } from "./support/fake-aws/fixtures.js";
import { approvedMerge, MemoryAccessRepo } from "./support/memory-repo.js";

const CONFIG = `aws:
  mode: iam
  region: us-east-1
  scheduler_role_arn: ${SCHEDULER_ROLE}
  accounts:
    prod: "${HOME}"
    other: { id: "${OTHER}", role_arn: "${CROSS_ROLE}" }
principals:
  alice: { iam_user: alice }
approvers: [bob]
`;
const ID = "20-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const MERGED_AT = new Date("2026-11-27T08:00:00Z");
const STARTS = "2026-11-28T09:00:00Z";
const START = new Date("2026-11-28T09:05:00Z");
const END = "2026-11-28T11:00:00Z";
const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
const catalogue = loadCatalogue();

function config(): Config {
  const r = parseConfig(CONFIG);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

/** A request for prod and other starting at STARTS, merged with bob's approval: recorded scheduled. */
async function scheduled(): Promise<MemoryAccessRepo> {
  const request: AccessRequest = {
    version: 1,
    id: ID,
    requester: "alice",
    account: "prod",
    accounts: ["prod", "other"],
    duration: "2h",
    starts_at: STARTS,
    reason: "Quarter-end reconciliation in every account",
    request: [{ service: "s3", access: ["read"], resources: ["reports"] }],
  };
  const plan = planRequest(catalogue, { request, config: config(), accountId: resolveAccount(config(), "prod")!.id, now: MERGED_AT, durationSeconds: 7200 });
  expect(plan.verdict.ok, JSON.stringify(plan.verdict)).toBe(true);
  const text = dumpRequest({ ...request, generator: plan.generator, policy: plan.policy });
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [FILE]: text });
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [FILE]: text });
  repo.issues.set(20, { number: 20, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  const merged: MergedPr = approvedMerge(repo, { pr: 21, id: ID, file: FILE, text, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
  const before = fake.snapshot();
  const out = await grantMergedOnce(repo, merged, { grantsFor: (c) => fakeGrants(fake, c, { now: () => MERGED_AT }), now: () => MERGED_AT });
  expect(out, JSON.stringify(out)).toMatchObject({ kind: "scheduled", id: ID });
  expect(fake.snapshot()).toEqual(before);
  return repo;
}

function sweepAt(repo: MemoryAccessRepo, now: Date) {
  return runSweep(
    { store: repo, config: config(), grants: () => fakeGrants(fake, config(), { now: () => now }), catalogue: () => catalogue, teams: repo },
    { now, dryRun: false, reconcile: true, concurrency: 1 },
  );
}

/** Every jit-access policy attached to a user, as "<account>:user/<name> → <arn>". */
function jitAttachments(aws: typeof fake): string[] {
  const out: string[] = [];
  for (const [account, a] of aws.state.accounts)
    for (const e of a.iam.users.values()) for (const arn of e.attached) if (arn.includes("/jit-access/")) out.push(`${account}:user/${e.name} → ${arn}`);
  return out.sort();
}

/** Every jit-access policy and schedule left in any account. */
function jitResources(aws: typeof fake): string[] {
  const out: string[] = [];
  for (const [account, a] of aws.state.accounts) {
    for (const p of a.iam.policies.values()) if (p.path === "/jit-access/") out.push(`${account}:${p.arn}`);
    for (const [key, s] of a.scheduler.schedules) if (s.GroupName === "jit-access") out.push(`${account}:schedule:${key}`);
  }
  return out.sort();
}

function record(repo: MemoryAccessRepo): AccessRequest {
  const r = parseRequestFile(repo.files.get(FILE)!, { file: FILE, config: config() });
  if (!r.ok && !r.request) throw new Error(JSON.stringify(r));
  return r.ok ? r.value.request : r.request!;
}

describe("a scheduled start in several accounts", () => {
  it("the sweep starts it in every account, records each, and ends it in every account", async () => {
    const repo = await scheduled();
    const started = await sweepAt(repo, START);
    expect(started.outcome?.starts, JSON.stringify(started.outcome?.starts)).toMatchObject([{ id: ID, result: "started", expires_at: END }]);
    const r = record(repo);
    expect(r.status).toBe("active");
    expect(r.grant?.aws?.accounts?.map((a) => [a.account_id, a.resources])).toEqual([
      [HOME, [iamPolicyArn("aws", HOME, ID)]],
      [OTHER, [iamPolicyArn("aws", OTHER, ID)]],
    ]);
    expect(jitAttachments(fake)).toEqual([`${HOME}:user/alice → ${iamPolicyArn("aws", HOME, ID)}`, `${OTHER}:user/alice → ${iamPolicyArn("aws", OTHER, ID)}`]);
    // Reconcile counts both accounts' resources as the record's.
    const middle = await sweepAt(repo, new Date("2026-11-28T10:00:00Z"));
    expect(middle.plan.drift).toEqual([]);
    expect(jitAttachments(fake)).toHaveLength(2);

    const ended = await sweepAt(repo, new Date("2026-11-28T11:00:30Z"));
    expect(ended.outcome?.due.map((d) => [d.id, d.result])).toEqual([[ID, "expired"]]);
    expect(record(repo).status).toBe("expired");
    expect(jitAttachments(fake)).toEqual([]);
    expect(jitResources(fake)).toEqual([]);
  });

  const SECOND_ACCOUNT: Array<[string, Fault, "failed" | "scheduled"]> = [
    ["a non-retryable error attaching in the second account", { kind: "crash", service: "iam", op: "AttachUserPolicy", nth: 2 }, "failed"],
    ["throttling on every call in the second account", { kind: "throttle", service: "iam", op: "AttachUserPolicy", nth: 2, times: 1_000 }, "scheduled"],
  ];
  it.each(SECOND_ACCOUNT)("%s: nothing left in any account", async (_name, fault, status) => {
    const repo = await scheduled();
    fake.faults.add(fault);
    const report = await sweepAt(repo, START);
    fake.faults.clear();
    expect(report.outcome?.starts?.[0]?.result, JSON.stringify(report.outcome?.starts)).toBe("failed");
    expect(record(repo).status).toBe(status);
    if (status === "failed") expect(record(repo).closed?.reason).toMatch(/in account other/);
    expect(jitAttachments(fake)).toEqual([]);
    expect(jitResources(fake)).toEqual([]);
    const next = await sweepAt(repo, new Date("2026-11-28T09:20:00Z"));
    if (status === "scheduled") {
      expect(next.outcome?.starts).toMatchObject([{ id: ID, result: "started" }]);
      expect(jitAttachments(fake)).toHaveLength(2);
    } else {
      expect(next.plan.starts).toEqual([]);
      expect(jitAttachments(fake)).toEqual([]);
    }
  });
});
