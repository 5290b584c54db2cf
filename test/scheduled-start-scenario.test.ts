// Scenario: a request with a later start (`starts_at`), from the merge to the grant, on the
// in-memory AccessRepo (the record store with real compare-and-swap) and createGrants over the
// in-memory fake AWS (real SDK clients). The merge records `scheduled` and attaches nothing; sweeps
// before the start leave it; the first sweep after the start grants it until the approved end; a
// rerun or a concurrent start grants nothing more; a config that now refuses it, a window missed
// and a /revoke before the start each close it with nothing attached. Plus the never-early
// property over random clocks and starts, against a recording Grants.
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { isoSeconds } from "../src/domain/time.js";
import type { AccessRequest, Config, PolicyDocument } from "../src/domain/types.js";
import { announceClosed, announceNotStarted, announceStarted } from "../src/github/closer.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { loadCatalogue } from "../src/iam-data.js";
import { closeGrant } from "../src/lifecycle/close-grant.js";
import { startScheduled, type StartGrantPorts } from "../src/lifecycle/start-grant.js";
import type { GrantResult, Grants } from "../src/aws/types.js";
import { expiryOf } from "../src/policy/stamp.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { approvedMerge, MemoryAccessRepo, MemoryRecordStore, memoryRepoConfig } from "./support/memory-repo.js";

const CONFIG = memoryRepoConfig(HOME);
const ID = "7-migration";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
const MERGED_AT = new Date("2026-11-27T10:00:00Z");
const STARTS = "2026-11-28T09:00:00Z";
const END = "2026-11-28T11:00:00Z";
const at = (iso: string) => new Date(iso);
const catalogue = loadCatalogue();

function configOf(text: string): Config {
  const parsed = parseConfig(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}
const config = configOf(CONFIG);

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

function world(startsAt = STARTS): { repo: MemoryAccessRepo; merged: MergedPr } {
  const text = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy(), starts_at: startsAt }), "proposed");
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [FILE]: text });
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [FILE]: text });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  repo.issueLabels.set(8, ["jit:proposed"]);
  const merged = approvedMerge(repo, { pr: 8, id: ID, file: FILE, text, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
  return { repo, merged };
}

async function mergedWorld(startsAt = STARTS): Promise<MemoryAccessRepo> {
  const { repo, merged } = world(startsAt);
  const out = await grantMergedOnce(repo, merged, { grantsFor: (c) => fakeGrants(fake, c, { now: () => MERGED_AT }), now: () => MERGED_AT });
  expect(out, JSON.stringify(out)).toMatchObject({ kind: "scheduled", id: ID });
  return repo;
}

function record(repo: MemoryRecordStore): AccessRequest {
  const r = parseRequestFile(repo.files.get(FILE)!, { file: FILE, config });
  if (!r.ok && !r.request) throw new Error(JSON.stringify(r));
  return r.ok ? r.value.request : r.request!;
}

function sweepAt(repo: MemoryAccessRepo, now: Date, cfg: Config = config) {
  return runSweep(
    {
      store: repo,
      config: cfg,
      grants: () => fakeGrants(fake, cfg, { now: () => now }),
      catalogue: () => catalogue,
      pullUrl: (pr) => `https://github.com/acme/access/pull/${pr}`,
      notifier: { closed: (e) => announceClosed(repo, e), started: (e) => announceStarted(repo, e), notStarted: (e) => announceNotStarted(repo, e) },
    },
    { now, dryRun: false, reconcile: true, concurrency: 2 },
  );
}

/** The policies attached to alice in the home account, with the expiry each is stamped with. */
function attached(): Array<{ arn: string; expires: string | undefined }> {
  const iam = fake.state.accounts.get(HOME)!.iam;
  return iam.users.get("alice")!.attached.map((arn) => {
    const p = iam.policies.get(arn)!;
    const doc = JSON.parse(p.versions.get("v1")!.document) as PolicyDocument;
    return { arn, expires: expiryOf(doc) };
  });
}

describe("a scheduled start, merge to grant", () => {
  it("the merge records the approval and attaches nothing; sweeps before the start leave it; the first after grants until the approved end; a rerun changes nothing", async () => {
    const before = fake.snapshot();
    const repo = await mergedWorld();
    const scheduled = record(repo);
    expect(scheduled.status).toBe("scheduled");
    expect(scheduled.scheduled).toMatchObject({ approved_by: ["bob"], merge_commit: MERGE, pr: 8, starts_at: STARTS, expires_at: END, risk: "low" });
    expect(scheduled.grant).toBeUndefined();
    expect(fake.snapshot()).toEqual(before);
    expect(repo.issueLabels.get(7)).toContain("jit:scheduled");
    expect(repo.commits.at(-1)?.message).toMatch(
      /^jit-access: schedule 7-migration from 2026-11-28T09:00:00Z until 2026-11-28T11:00:00Z[\s\S]*Starts-At: 2026-11-28T09:00:00Z/,
    );

    // A redelivered merge says "scheduled" again and changes nothing.
    const { merged } = world();
    const commits = repo.commits.length;
    expect(await grantMergedOnce(repo, merged, { grantsFor: (c) => fakeGrants(fake, c), now: () => MERGED_AT })).toMatchObject({ kind: "already" });
    expect(repo.commits.length).toBe(commits);

    for (const early of ["2026-11-27T12:00:00Z", "2026-11-28T08:59:59Z"]) {
      const report = await sweepAt(repo, at(early));
      expect(report.ok, JSON.stringify(report)).toBe(true);
      expect(report.plan.starts).toEqual([]);
      expect(report.plan.scheduled.map((s) => s.id)).toEqual([ID]);
      expect(report.plan.drift).toEqual([]);
      expect(fake.snapshot()).toEqual(before);
      expect(record(repo).status).toBe("scheduled");
    }

    const report = await sweepAt(repo, at("2026-11-28T09:05:00Z"));
    expect(report.ok, JSON.stringify(report.outcome)).toBe(true);
    expect(report.outcome?.starts).toMatchObject([{ id: ID, result: "started", expires_at: END }]);
    const started = record(repo);
    expect(started.status).toBe("active");
    expect(started.grant).toMatchObject({ approved_by: ["bob"], merge_commit: MERGE, pr: 8, expires_at: END });
    expect(Date.parse(started.grant!.granted_at)).toBe(Date.parse("2026-11-28T09:05:00Z"));
    expect(attached()).toEqual([{ arn: expect.stringContaining(`policy/jit-access/jit-${ID}`) as unknown, expires: END }]);
    // Tagged with its pull request, as a grant at the merge is.
    const policy = [...fake.state.accounts.get(HOME)!.iam.policies.values()][0]!;
    expect(policy.tags).toContainEqual({ Key: "jit-access:pr", Value: "https://github.com/acme/access/pull/8" });
    expect(repo.issueLabels.get(7)).toContain("jit:active");

    const afterStart = { commits: repo.commits.length, aws: fake.snapshot() };
    const rerun = await sweepAt(repo, at("2026-11-28T09:06:00Z"));
    expect(rerun.plan.starts).toEqual([]);
    expect(repo.commits.length).toBe(afterStart.commits);
    expect(fake.snapshot()).toEqual(afterStart.aws);

    // And it ends at the approved end like any grant.
    const expiry = await sweepAt(repo, at("2026-11-28T11:00:30Z"));
    expect(expiry.outcome?.due.map((d) => d.result)).toEqual(["expired"]);
    expect(attached()).toEqual([]);
  });

  it("a start merged after its time has come is granted at the merge, until the approved end", async () => {
    const { repo, merged } = world("2026-11-27T09:30:00Z");
    const out = await grantMergedOnce(repo, merged, { grantsFor: (c) => fakeGrants(fake, c, { now: () => MERGED_AT }), now: () => MERGED_AT });
    expect(out).toMatchObject({ kind: "granted", expiresAt: "2026-11-27T11:30:00Z" });
    expect(attached()).toEqual([{ arn: expect.any(String) as unknown, expires: "2026-11-27T11:30:00Z" }]);
  });

  it("a sweep that first runs after the window is over closes it without granting", async () => {
    const repo = await mergedWorld();
    const before = fake.snapshot();
    const report = await sweepAt(repo, at("2026-11-28T11:00:00Z"));
    expect(report.outcome?.starts).toMatchObject([{ id: ID, result: "expired", code: "record.start-missed" }]);
    expect(record(repo)).toMatchObject({ status: "expired", closed: { code: "record.start-missed" } });
    expect(record(repo).grant).toBeUndefined();
    expect(fake.snapshot()).toEqual(before);
    expect(repo.commits.at(-1)?.message).toMatch(/Rule: record\.start-missed/);
  });

  // Each a config change made after the approval that refuses the request at its start.
  const CHANGES: Array<[string, string, string]> = [
    ["s3:GetObject denied", "denied_actions: [s3:GetObject]\n", "guardrail.denied-action"],
    ["s3 no longer an allowed service", "allowed_services: [dynamodb]\n", "guardrail.service-not-allowed"],
    ["max_duration lowered below the request", "max_duration: 1h\ndefault_duration: 1h\n", "request.duration-too-long"],
    ["the account removed", "", "request.unknown-account"],
  ];
  it.each(CHANGES)("config changed since the approval (%s): not started, recorded rejected with its rule, nothing attached", async (_name, extra, code) => {
    const repo = await mergedWorld();
    const before = fake.snapshot();
    const changed = configOf(
      extra ? `${CONFIG}${extra}` : CONFIG.replace(`prod: "${HOME}"`, `staging: "${HOME}"`).replace("accounts:", 'accounts:\n    other: "333333333333"'),
    );
    const report = await sweepAt(repo, at("2026-11-28T09:05:00Z"), changed);
    expect(report.outcome?.starts, JSON.stringify(report.outcome?.starts)).toMatchObject([{ id: ID, result: "rejected", code: "record.start-refused" }]);
    const r = parseRequestFile(repo.files.get(FILE)!, { file: FILE, config: changed });
    const closed = r.ok ? r.value.request : r.request!;
    expect(closed).toMatchObject({ status: "rejected", closed: { code: "record.start-refused" } });
    expect(closed.grant).toBeUndefined();
    expect(repo.commits.at(-1)?.message).toContain(`Rule: ${code}`);
    expect(repo.issueLabels.get(7)).toContain("jit:rejected");
    expect(fake.snapshot()).toEqual(before);
  });

  it("two starts at once (two sweeps, or a sweep and its rerun) grant once: one record commit, one policy, nothing taken back", async () => {
    const repo = await mergedWorld();
    const now = at("2026-11-28T09:05:00Z");
    const ports: StartGrantPorts = { store: repo, config, grants: fakeGrants(fake, config, { now: () => now }), catalogue };
    const input = { file: FILE, id: ID, at: now, by: "jit-access sweep" };
    const commits = repo.commits.length;
    const outcomes = await Promise.all([startScheduled(ports, input), startScheduled(ports, input), startScheduled(ports, input)]);
    expect(outcomes.map((o) => o.kind).sort()).toEqual(["skipped", "skipped", "started"]);
    expect(repo.commits.length).toBe(commits + 1);
    expect(record(repo).status).toBe("active");
    expect(attached()).toEqual([{ arn: expect.any(String) as unknown, expires: END }]);
  });

  it("a /revoke before the start cancels it; a start racing with the cancel takes back what it attached", async () => {
    const repo = await mergedWorld();
    const grants = fakeGrants(fake, config, { now: () => at("2026-11-28T08:00:00Z") });
    const closed = await closeGrant(
      { store: repo, config, grants },
      { kind: "revoked", file: FILE, id: ID, at: at("2026-11-28T08:00:00Z"), reason: "not needed", by: "alice", closedBy: "alice" },
    );
    expect(closed.kind).toBe("closed");
    expect(record(repo).status).toBe("revoked");
    const report = await sweepAt(repo, at("2026-11-28T09:05:00Z"));
    expect(report.plan.starts).toEqual([]);
    expect(attached()).toEqual([]);

    // The race: the cancel lands between the start's grant in AWS and its record.
    const raced = await mergedWorld();
    const now = at("2026-11-28T09:05:00Z");
    raced.beforeNextWrite = (store) => {
      const r = record(store);
      store.commitFile(FILE, dumpRequest({ ...r, status: "revoked", closed: { at: isoSeconds(now), reason: "cancelled", by: "alice" } }), "revoke");
    };
    const out = await startScheduled(
      { store: raced, config, grants: fakeGrants(fake, config, { now: () => now }), catalogue },
      { file: FILE, id: ID, at: now, by: "sweep" },
    );
    expect(out.kind).toBe("skipped");
    expect(out.kind === "skipped" && out.removed.length).toBeGreaterThan(0);
    expect(attached()).toEqual([]);
  });
});

describe("never early", () => {
  /** A Grants that records what it is asked to grant. */
  function recordingGrants(calls: Array<{ expiresAt: string }>, clock: () => Date): Grants {
    return {
      grant: async (request, _policy, expiresAt) => {
        calls.push({ expiresAt });
        const result: GrantResult = {
          requestId: request.id,
          mode: "iam",
          accountId: HOME,
          resources: [`arn:aws:iam::${HOME}:policy/jit-access/jit-${request.id}`],
          schedules: [],
          scheduleNote: "not scheduled",
          principal: { kind: "iam_user", name: "alice" } as unknown as GrantResult["principal"],
          grantedAt: clock().toISOString(),
          expiresAt,
          changed: true,
        };
        return result;
      },
      revoke: async (t) => ({ requestId: t.requestId, removed: [] }) as unknown as Awaited<ReturnType<Grants["revoke"]>>,
      listManaged: async () => [],
    };
  }

  function scheduledText(startsAt: string, expiresAt: string, policy: PolicyDocument = testPolicy(), items?: AccessRequest["request"]): string {
    return dumpRequest(
      testRequest({
        id: ID,
        duration: "2h",
        policy,
        ...(items ? { request: items } : {}),
        starts_at: startsAt,
        status: "scheduled",
        scheduled: {
          approved_by: ["bob"],
          merge_commit: MERGE,
          pr: 8,
          approved_at: "2026-11-01T00:00:00Z",
          starts_at: startsAt,
          expires_at: expiresAt,
          risk: "low",
        },
      }),
    );
  }

  it("over random starts and clocks, a scheduled record is granted only once its start has come, never past its approved end, and always until exactly that end", async () => {
    const hour = 3_600_000;
    const base = Date.parse("2026-11-28T00:00:00Z");
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 48 * hour }), fc.integer({ min: -4 * hour, max: 6 * hour }), async (startOffset, clockOffset) => {
        const startMs = Math.floor((base + startOffset) / 1000) * 1000;
        const startsAt = isoSeconds(startMs);
        const expiresAt = isoSeconds(startMs + 2 * hour);
        const nowMs = startMs + clockOffset;
        const now = new Date(nowMs);
        const store = new MemoryRecordStore({ [FILE]: scheduledText(startsAt, expiresAt) });
        const calls: Array<{ expiresAt: string }> = [];
        const ports: StartGrantPorts = { store, config, grants: recordingGrants(calls, () => now), catalogue };
        const out = await startScheduled(ports, { file: FILE, id: ID, at: now, by: "sweep" });
        const due = nowMs >= startMs;
        const usable = startMs + 2 * hour > nowMs + 60_000;
        expect(calls.length).toBe(due && usable ? 1 : 0);
        for (const c of calls) expect(c.expiresAt).toBe(expiresAt);
        expect(out.kind).toBe(!due ? "skipped" : usable ? "started" : "closed");
        const status = record(store).status;
        expect(status).toBe(!due ? "scheduled" : usable ? "active" : "expired");
      }),
      { numRuns: 60 },
    );
  });

  it("a start judged riskier now than it was approved is refused, nothing granted", async () => {
    const now = at("2026-11-28T09:05:00Z");
    const writes: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "S3Write", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: ["arn:aws:s3:::financial-reports/*"] },
      ],
    };
    const store = new MemoryRecordStore({
      [FILE]: scheduledText("2026-11-28T09:00:00Z", "2026-11-28T11:00:00Z", writes, [
        { service: "s3", access: ["read", "write"], resources: ["financial-reports"] },
      ]),
    });
    const calls: Array<{ expiresAt: string }> = [];
    const out = await startScheduled({ store, config, grants: recordingGrants(calls, () => now), catalogue }, { file: FILE, id: ID, at: now, by: "sweep" });
    expect(calls).toEqual([]);
    expect(out).toMatchObject({ kind: "closed", status: "rejected", code: "record.start-refused" });
    expect(out.kind === "closed" && out.problems.map((p) => p.code)).toEqual(["approval.start-risk-raised"]);
  });

  it("the sweep's plan lists a scheduled record to start only once its start has come", async () => {
    const hour = 3_600_000;
    const base = Date.parse("2026-11-28T00:00:00Z");
    const { planSweep, parseRecords } = await import("../src/sweep/plan.js");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 48 * hour }), fc.integer({ min: -4 * hour, max: 6 * hour }), (startOffset, clockOffset) => {
        const startMs = Math.floor((base + startOffset) / 1000) * 1000;
        const now = new Date(startMs + clockOffset);
        const files = [{ path: FILE, text: scheduledText(isoSeconds(startMs), isoSeconds(startMs + 2 * hour)) }];
        const plan = planSweep(parseRecords(files, config, { now }), [], now);
        expect(plan.starts.length).toBe(now.getTime() >= startMs ? 1 : 0);
        expect(plan.scheduled.length).toBe(now.getTime() >= startMs ? 0 : 1);
        expect(plan.errors).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
