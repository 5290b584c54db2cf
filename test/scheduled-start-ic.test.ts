// A scheduled start in several accounts in identity-center mode, on the in-memory AccessRepo and
// the fake AWS: the merge records `scheduled` and touches nothing; a sweep before the start grants
// nothing; the sweep at the start provisions the request's one permission set (or assigns the
// catalogue's) in every account with each account's revoke schedule and records `active` listing
// them all; the schedules or the sweep at the end take everything back. A failure in a later
// account at the start, or standing access in any account, leaves nothing in AWS.
import { CreateAccountAssignmentCommand, CreatePermissionSetCommand } from "@aws-sdk/client-sso-admin";
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { permissionSetName, scheduleName } from "../src/aws/naming.js";
import { CONFIG_PATH, parseConfig, resolveAccount } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { grantMergedOnce } from "../src/github/grant.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws, type Fault } from "./support/fake-aws/index.js";
import { HOME, OTHER, SCHEDULER_ROLE, fakeGrants, seed } from "./support/fake-aws/fixtures.js";
import { approvedMerge, MemoryAccessRepo } from "./support/memory-repo.js";

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
principals:
  alice: { sso_user: alice@example.com }
approvers: [bob]
catalogue:
  read-only:
    kind: permission_set
    description: read only
    permission_set: ReadOnly
    accounts: [prod, other]
    risk: low
`;
const ID = "20-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const MERGED_AT = new Date("2026-11-27T08:00:00Z");
const STARTS = "2026-11-28T09:00:00Z";
const BEFORE = new Date("2026-11-28T08:30:00Z");
const START = new Date("2026-11-28T09:05:00Z");
const MIDDLE = new Date("2026-11-28T10:00:00Z");
const END = "2026-11-28T11:00:00Z";
const AFTER = new Date("2026-11-28T11:00:30Z");
const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
const catalogue = loadCatalogue();

type Kind = "policy" | "bundle";

const fake = createFakeAws();
afterAll(() => fake.restore());
let aliceId = "";
let readOnly = "";
beforeEach(async () => resetAws());

async function resetAws(): Promise<void> {
  fake.reset();
  seed(fake);
  aliceId = fake.state.sso.users.get("alice@example.com")!;
  readOnly = (await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "ReadOnly" }))).PermissionSet!.PermissionSetArn!;
}

const configText = () => CONFIG.replace("d-1111111111", fake.state.sso.identityStoreId);
function config(): Config {
  const r = parseConfig(configText());
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

/** A request for prod and other starting at STARTS, merged with bob's approval: recorded `scheduled`, nothing in AWS. */
async function scheduled(kind: Kind): Promise<MemoryAccessRepo> {
  const base: AccessRequest = {
    version: 1,
    id: ID,
    requester: "alice",
    account: "prod",
    accounts: ["prod", "other"],
    duration: "2h",
    starts_at: STARTS,
    reason: "Quarter-end reconciliation in every account",
    request: [],
  };
  let request: AccessRequest;
  if (kind === "bundle") request = { ...base, catalogue: "read-only" };
  else {
    const own: AccessRequest = { ...base, request: [{ service: "sqs", access: ["read"], resources: [`arn:aws:sqs:us-east-1:${HOME}:jobs`] }] };
    const plan = planRequest(catalogue, {
      request: own,
      config: config(),
      accountId: resolveAccount(config(), "prod")!.id,
      now: MERGED_AT,
      durationSeconds: 7200,
    });
    expect(plan.verdict.ok, JSON.stringify(plan.verdict)).toBe(true);
    request = { ...own, generator: plan.generator, policy: plan.policy };
  }
  const text = dumpRequest(request);
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: configText(), [FILE]: text });
  repo.setRef(BASE, { [CONFIG_PATH]: configText() });
  repo.setRef(MERGE, { [CONFIG_PATH]: configText(), [FILE]: text });
  repo.issues.set(20, { number: 20, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  const merged = approvedMerge(repo, { pr: 21, id: ID, file: FILE, text, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
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

function record(repo: MemoryAccessRepo): AccessRequest {
  const r = parseRequestFile(repo.files.get(FILE)!, { file: FILE, config: config() });
  if (!r.ok && !r.request) throw new Error(JSON.stringify(r));
  return r.ok ? r.value.request : r.request!;
}

/** Each account an `active` record lists, with its resources and schedule. */
function recorded(repo: MemoryAccessRepo): Map<string, { resources: string[]; schedule?: string }> {
  const out = new Map<string, { resources: string[]; schedule?: string }>();
  const request = record(repo);
  if (request.status !== "active") return out;
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
const jitSets = () => [...fake.state.sso.permissionSets.values()].filter((p) => p.name.startsWith("jit-")).map((p) => p.arn);
const schedules = () => [...fake.state.accounts.get(HOME)!.scheduler.schedules.keys()].sort();
const setOf = (name: string) => [...fake.state.sso.permissionSets.values()].find((p) => p.name === name);
const SCHEDULES = [`jit-access/jit-${ID}`, `jit-access/jit-${ID}.${OTHER}`];

describe("a scheduled start in several accounts (identity-center mode)", () => {
  it.each<Kind>(["policy", "bundle"])(
    "%s: nothing before the start; at the start every account, recorded; the sweep at the end removes everything",
    async (kind) => {
      const repo = await scheduled(kind);
      const early = await sweepAt(repo, BEFORE);
      expect(early.plan.starts).toEqual([]);
      expect(record(repo).status).toBe("scheduled");
      expect([assignments(), jitSets(), schedules()]).toEqual([[], [], []]);

      const started = await sweepAt(repo, START);
      expect(started.outcome?.starts, JSON.stringify(started.outcome?.starts)).toMatchObject([{ id: ID, result: "started", expires_at: END }]);
      expect(record(repo).status).toBe("active");
      const ps = kind === "policy" ? setOf(permissionSetName(ID))!.arn : readOnly;
      if (kind === "policy") {
        expect(jitSets()).toEqual([ps]);
        expect(setOf(permissionSetName(ID))?.provisionedTo).toEqual(new Set([HOME, OTHER]));
        // The permission set's policy ends at the approved end, not the merge's end.
        expect(setOf(permissionSetName(ID))!.inlinePolicy).toContain(END);
      } else expect(jitSets()).toEqual([]);
      expect(assignments()).toEqual([`${HOME} ${ps}`, `${OTHER} ${ps}`]);
      expect(schedules()).toEqual(SCHEDULES);
      const resource = kind === "policy" ? ps : `assigned:user/${aliceId}:${ps}`;
      expect(recorded(repo)).toEqual(
        new Map([
          [HOME, { resources: [resource], schedule: `jit-access/${scheduleName(ID, "revoke")}` }],
          [OTHER, { resources: [resource], schedule: `jit-access/${scheduleName(ID, "revoke", OTHER)}` }],
        ]),
      );
      for (const key of SCHEDULES) expect(fake.state.accounts.get(HOME)!.scheduler.schedules.get(key)?.ScheduleExpression, key).toBe("at(2026-11-28T11:00:00)");

      // Reconcile in the window counts the permission set, both assignments and both schedules as the record's.
      const middle = await sweepAt(repo, MIDDLE);
      expect(middle.plan.drift).toEqual([]);
      expect(middle.plan.unattributed).toEqual([]);
      expect(assignments()).toHaveLength(2);

      const ended = await sweepAt(repo, AFTER);
      expect(ended.outcome?.due.map((d) => [d.id, d.result])).toEqual([[ID, "expired"]]);
      expect(record(repo).status).toBe("expired");
      expect([assignments(), jitSets(), schedules()]).toEqual([[], [], []]);
      if (kind === "bundle") expect(fake.state.sso.permissionSets.has(readOnly)).toBe(true);
    },
  );

  it.each<Kind>(["policy", "bundle"])("%s: the Scheduler firing at the end removes every account's assignment; the sweep records it", async (kind) => {
    const repo = await scheduled(kind);
    await sweepAt(repo, START);
    expect(assignments()).toHaveLength(2);
    const fired = fake.fireDueSchedules(AFTER);
    expect(fired.map((f) => [f.input.TargetId, f.error])).toEqual([
      [HOME, undefined],
      [OTHER, undefined],
    ]);
    expect(assignments()).toEqual([]);
    await sweepAt(repo, new Date("2026-11-28T11:01:00Z"));
    expect(record(repo).status).toBe("expired");
    expect([assignments(), jitSets(), schedules()]).toEqual([[], [], []]);
  });

  const SECOND_ACCOUNT: Array<[string, Fault, "failed" | "scheduled"]> = [
    ["a non-retryable error assigning in the second account", { kind: "crash", service: "sso", op: "CreateAccountAssignment", nth: 2 }, "failed"],
    [
      "throttling on every assignment in the second account",
      { kind: "throttle", service: "sso", op: "CreateAccountAssignment", nth: 2, times: 1_000 },
      "scheduled",
    ],
    ["a non-retryable error on the second account's schedule", { kind: "crash", service: "scheduler", op: "CreateSchedule", nth: 2 }, "failed"],
  ];
  for (const kind of ["policy", "bundle"] as const)
    it.each(SECOND_ACCOUNT)(`${kind}: %s at the start: nothing left in AWS`, async (_name, fault, status) => {
      const repo = await scheduled(kind);
      fake.faults.add(fault);
      const report = await sweepAt(repo, START);
      fake.faults.clear();
      fake.settle();
      expect(report.outcome?.starts?.[0]?.result, JSON.stringify(report.outcome?.starts)).toBe("failed");
      expect(record(repo).status).toBe(status);
      if (status === "failed") expect(record(repo).closed?.reason).toMatch(/in account other/);
      expect([assignments(), jitSets(), schedules()]).toEqual([[], [], []]);
      const next = await sweepAt(repo, new Date("2026-11-28T09:20:00Z"));
      if (status === "scheduled") {
        expect(next.outcome?.starts).toMatchObject([{ id: ID, result: "started" }]);
        expect(assignments()).toHaveLength(2);
        expect(schedules()).toEqual(SCHEDULES);
      } else {
        expect(next.plan.starts).toEqual([]);
        expect([assignments(), jitSets(), schedules()]).toEqual([[], [], []]);
      }
    });

  it.each([
    ["the first", HOME],
    ["a later", OTHER],
  ])("catalogue: standing access in %s account at the start refuses every account before one is touched", async (_name, standing) => {
    const repo = await scheduled("bundle");
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
    const report = await sweepAt(repo, START);
    expect(report.outcome?.starts?.[0]?.result, JSON.stringify(report.outcome?.starts)).toBe("failed");
    expect(record(repo).status).toBe("failed");
    expect(repo.files.get(FILE)).toContain("aws.standing-access");
    expect(assignments()).toEqual([`${standing} ${readOnly}`]);
    expect(schedules()).toEqual([]);
    expect(fake.calls.filter((c) => /^(Create|Provision|Put|DeleteAccountAssignment)/.test(c.op)).map((c) => c.op)).toEqual([]);
  });
});

// An assignment the rollback cannot remove keeps its revocation schedule: it still ends at expiry,
// and the next start finds it as this request's own (not standing access) and goes on.
describe("a rollback that cannot remove an assignment at the start keeps its schedule", () => {
  const CASES: Array<[Kind, Fault, Fault]> = [];
  for (const kind of ["bundle", "policy"] as const)
    for (const nth of [1, 2])
      for (const undo of ["crash", "throttle"] as const)
        CASES.push([
          kind,
          { kind: "crash-after", service: "sso", op: "CreateAccountAssignment", nth },
          { kind: undo, service: "sso", op: "DeleteAccountAssignment", nth: 1, times: 1_000 },
        ]);
  it.each(CASES)("%s: %j, then %j", async (kind, grantFault, undoFault) => {
    const repo = await scheduled(kind);
    fake.faults.add(grantFault);
    fake.faults.add(undoFault);
    const first = await sweepAt(repo, START);
    fake.faults.clear();
    fake.settle();
    expect(first.outcome?.starts?.[0]?.result).toBe("failed");
    expect(record(repo).status).toBe("scheduled");
    // Whatever assignment is left has its account's revocation schedule.
    for (const a of assignments()) {
      const account = a.split(" ")[0]!;
      expect(schedules(), a).toContain(account === HOME ? `jit-access/jit-${ID}` : `jit-access/jit-${ID}.${OTHER}`);
    }
    const next = await sweepAt(repo, new Date("2026-11-28T09:20:00Z"));
    expect(next.outcome?.starts, JSON.stringify(next.outcome?.starts)).toMatchObject([{ id: ID, result: "started" }]);
    expect(recorded(repo).size).toBe(2);
    expect(assignments()).toHaveLength(2);
    expect(schedules()).toEqual(SCHEDULES);
    await sweepAt(repo, AFTER);
    fake.settle();
    expect(record(repo).status).toBe("expired");
    expect([assignments(), jitSets(), schedules()]).toEqual([[], [], []]);
  });
});

// The property of multi-account-ic.test.ts, for a start made by the sweep: whatever fails, no
// assignment (and no permission set of the request) exists without an active record listing it.
describe("property: no assignment without a record listing it (scheduled start, identity-center mode)", () => {
  const OPS: Array<[Fault["service"], string]> = [
    ["sso", "CreatePermissionSet"],
    ["sso", "PutInlinePolicyToPermissionSet"],
    ["sso", "ProvisionPermissionSet"],
    ["sso", "CreateAccountAssignment"],
    ["sso", "DescribeAccountAssignmentCreationStatus"],
    ["sso", "ListAccountAssignments"],
    ["scheduler", "CreateSchedule"],
    ["identitystore", "GetUserId"],
  ];
  it("for either kind of grant and any injected fault at the start", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Kind>("policy", "bundle"),
        fc.constantFrom("crash", "crash-after", "throttle", "lost-response" as const),
        fc.constantFrom(...OPS),
        fc.integer({ min: 1, max: 3 }),
        async (kind, faultKind, [service, op], nth) => {
          await resetAws();
          const repo = await scheduled(kind);
          fake.faults.add({ kind: faultKind, service, op, nth });
          await sweepAt(repo, START);
          fake.faults.clear();
          fake.settle();
          const listed = recorded(repo);
          for (const a of [...fake.state.sso.assignments.values()].filter((x) => x.principalId === aliceId)) {
            const names = kind === "bundle" ? `assigned:user/${aliceId}:${a.permissionSetArn}` : a.permissionSetArn;
            expect(listed.get(a.accountId)?.resources ?? [], `${a.accountId} ${a.permissionSetArn} is assigned but not recorded`).toContain(names);
          }
          if (!listed.size) expect(jitSets(), "a permission set without an active record").toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });
});

// When the rollback at the start fails too, something may be left for a moment; the next sweep
// (starting it again or closing it) and the sweep at the end must still leave nothing unrecorded.
describe("property: a failed rollback at the start is cleaned up by the later sweeps (identity-center mode)", () => {
  const GRANT_OPS: Array<[Fault["service"], string]> = [
    ["sso", "CreateAccountAssignment"],
    ["sso", "ProvisionPermissionSet"],
    ["scheduler", "CreateSchedule"],
  ];
  const UNDO_OPS: Array<[Fault["service"], string]> = [
    ["sso", "DeleteAccountAssignment"],
    ["sso", "DeletePermissionSet"],
    ["sso", "DeleteInlinePolicyFromPermissionSet"],
    ["scheduler", "DeleteSchedule"],
  ];
  it("for either kind of grant, a fault granting and a fault undoing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Kind>("policy", "bundle"),
        fc.constantFrom("crash", "crash-after", "throttle" as const),
        fc.constantFrom(...GRANT_OPS),
        fc.integer({ min: 1, max: 2 }),
        fc.constantFrom("crash", "throttle" as const),
        fc.constantFrom(...UNDO_OPS),
        async (kind, grantFault, [gs, gop], nth, undoFault, [us, uop]) => {
          await resetAws();
          const repo = await scheduled(kind);
          fake.faults.add({ kind: grantFault, service: gs, op: gop, nth });
          fake.faults.add({ kind: undoFault, service: us, op: uop, nth: 1, times: 1_000 });
          await sweepAt(repo, START);
          fake.faults.clear();
          fake.settle();
          await sweepAt(repo, new Date("2026-11-28T09:20:00Z"));
          fake.settle();
          const listed = recorded(repo);
          for (const a of [...fake.state.sso.assignments.values()].filter((x) => x.principalId === aliceId)) {
            const names = kind === "bundle" ? `assigned:user/${aliceId}:${a.permissionSetArn}` : a.permissionSetArn;
            expect(
              listed.get(a.accountId)?.resources ?? [],
              `${a.accountId} ${a.permissionSetArn} is assigned but not recorded (${record(repo).status})`,
            ).toContain(names);
          }
          if (!listed.size) expect(jitSets(), `a permission set without an active record (${record(repo).status})`).toEqual([]);
          await sweepAt(repo, AFTER);
          fake.settle();
          expect([assignments(), jitSets(), schedules()], record(repo).status ?? "").toEqual([[], [], []]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
