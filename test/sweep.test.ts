// Expiry sweep scenarios on a real temporary git repository and the fake AWS: due grants only,
// not early and not twice; a crash between revoke and record, then a rerun; two sweeps at once;
// a throttling storm; one failure never stops the others; dry run changes nothing.
// Also run under Node 24 (NODE24 in vitest.config.ts): the git store (git subprocesses).
// @module-tag node24
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Grants } from "../src/aws/types.js";
import { parseTrailers } from "../src/domain/records.js";
import type { Config } from "../src/domain/types.js";
import { GitRecordStore } from "../src/store/git-store.js";
import type { RecordStore } from "../src/store/record-store.js";
import { runPool } from "../src/sweep/pool.js";
import { runSweep, type SweepEnv } from "../src/sweep/run.js";
import type { ClosedEvent, Notifier } from "../src/sweep/execute.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { configOf, createGitRepo, seedActive, sweepConfigYaml, writeConfig, type GitRepo, type Seeded } from "./support/git-repo.js";

const T = (hhmm: string) => `2026-11-27T${hhmm}:00Z`;

let fake: FakeAws;
let repo: GitRepo;
let config: Config;
let grants: Grants;

function policies(): string[] {
  return [...(fake.state.accounts.get(HOME)?.iam.policies.keys() ?? [])].sort();
}
function schedules(): string[] {
  return [...(fake.state.accounts.get(HOME)?.scheduler.schedules.keys() ?? [])].sort();
}
function env(store: RecordStore = new GitRecordStore(repo.dir), notifier?: Notifier): SweepEnv {
  return {
    store,
    config,
    grants: () => grants,
    ...(notifier ? { notifier } : {}),
    ...(store instanceof GitRecordStore ? { uncommitted: () => store.uncommitted() } : {}),
  };
}
const sweep = (now: string, opts: { dryRun?: boolean; reconcile?: boolean; concurrency?: number; store?: RecordStore; notifier?: Notifier } = {}) =>
  runSweep(env(opts.store, opts.notifier), {
    now: new Date(now),
    dryRun: opts.dryRun ?? false,
    reconcile: opts.reconcile ?? true,
    concurrency: opts.concurrency ?? 4,
  });
const statusOf = (s: Seeded) => /^status: (\w+)$/m.exec(readFileSync(join(repo.dir, s.path), "utf8"))?.[1];

async function seedMany(specs: Array<{ id: string; expiresAt: string; requester?: string }>): Promise<Seeded[]> {
  const out: Seeded[] = [];
  for (const s of specs) out.push(await seedActive(repo, grants, s));
  repo.commitAll("seed grants");
  return out;
}

beforeEach(() => {
  fake = createFakeAws({ maxAttempts: 10 });
  seed(fake);
  for (let i = 1; i <= 12; i++) fake.addUser(HOME, `u${i}`);
  repo = createGitRepo();
  const yaml = sweepConfigYaml("iam", 12);
  writeConfig(repo, yaml);
  config = configOf(yaml);
  grants = fakeGrants(fake, config);
});
afterEach(() => {
  fake.restore();
  repo.cleanup();
});

describe("expiry sweep", () => {
  it("expires due grants only: not early, not twice; AWS cleaned, one record commit each with trailers", async () => {
    const [a, b, c] = await seedMany([
      { id: "11-early", expiresAt: T("10:00") },
      { id: "12-exact", expiresAt: T("12:00") },
      { id: "13-later", expiresAt: T("16:00") },
    ]);
    expect(policies()).toHaveLength(3);

    const early = await sweep(T("09:59"));
    expect(early.plan.due).toEqual([]);
    expect(early.ok).toBe(true);
    expect(policies()).toHaveLength(3);

    const r = await sweep(T("12:00"));
    expect(r.ok).toBe(true);
    expect(r.outcome?.due.map((o) => [o.id, o.result])).toEqual([
      ["11-early", "expired"],
      ["12-exact", "expired"],
    ]);
    expect(r.outcome?.due[0]?.removed).toEqual(expect.arrayContaining([a!.resources[0], "attachment:user/alice", "schedule:jit-11-early"]));
    expect(r.plan.active.map((x) => x.id)).toEqual(["13-later"]);
    expect(r.plan.drift).toEqual([]);
    expect(policies()).toEqual([c!.resources[0]]);
    expect(schedules().every((k) => k.includes("13-later"))).toBe(true);
    expect(fake.state.accounts.get(HOME)?.iam.users.get("alice")?.attached).toEqual([c!.resources[0]]);
    expect([statusOf(a!), statusOf(b!), statusOf(c!)]).toEqual(["expired", "expired", "active"]);

    const log = repo.git("log", "-1", "--format=%B", "--", a!.path);
    expect(parseTrailers(log)).toEqual({
      "Request-Id": ["11-early"],
      "Expires-At": [T("10:00")],
      "Aws-Resource": [a!.resources[0]],
      "Closed-By": ["jit-access sweep"],
    });
    expect(readFileSync(join(repo.dir, a!.path), "utf8")).toMatch(/closed:\n {2}at: '?2026-11-27T12:00:00Z'?\n {2}reason: expired at 2026-11-27T10:00:00Z/);

    const again = await sweep(T("12:30"));
    expect(again.plan.due).toEqual([]);
    for (const s of [a!, b!]) expect(repo.commitsTouching(s.path)).toHaveLength(2); // seed + expire
    expect(repo.commitsTouching(c!.path)).toHaveLength(1);
    expect(await new GitRecordStore(repo.dir).uncommitted()).toEqual([]);
  });

  it("a crash between revoke and record: the rerun completes it, with one record commit", async () => {
    const [a, b] = await seedMany([
      { id: "21-crash", expiresAt: T("10:00") },
      { id: "22-fine", expiresAt: T("10:00"), requester: "carol" },
    ]);
    const real = new GitRecordStore(repo.dir);
    // The process "dies" right after AWS revoked 21-crash: its record write never happens.
    const crashing: RecordStore = {
      list: () => real.list(),
      read: (p) => real.read(p),
      write: (p, t, o) => (p === a!.path ? Promise.reject(new Error("process killed")) : real.write(p, t, o)),
    };
    const first = await sweep(T("11:00"), { store: crashing });
    expect(first.ok).toBe(false);
    expect(first.outcome?.due.find((o) => o.id === "21-crash")).toMatchObject({ result: "failed", step: "record", message: "process killed" });
    expect(first.outcome?.due.find((o) => o.id === "22-fine")).toMatchObject({ result: "expired" });
    expect(policies()).toEqual([]); // revoked in AWS…
    expect(statusOf(a!)).toBe("active"); // …but not recorded

    const rerun = await sweep(T("11:15"));
    expect(rerun.ok).toBe(true);
    expect(rerun.outcome?.due).toEqual([expect.objectContaining({ id: "21-crash", result: "expired", removed: [] })]);
    expect(statusOf(a!)).toBe("expired");
    expect(repo.commitsTouching(a!.path)).toHaveLength(2);
    expect(repo.commitsTouching(b!.path)).toHaveLength(2);
  });

  it("a crash inside the AWS revoke (after the detach): reported, the others go on, the rerun finishes", async () => {
    await seedMany([
      { id: "31-a", expiresAt: T("10:00") },
      { id: "32-b", expiresAt: T("10:00"), requester: "carol" },
      { id: "33-c", expiresAt: T("10:00"), requester: "u1" },
    ]);
    fake.faults.add({ kind: "crash", service: "iam", op: "DeletePolicy", nth: 1 });
    const first = await sweep(T("11:00"), { concurrency: 1 });
    expect(first.ok).toBe(false);
    expect(first.outcome?.due.map((o) => o.result)).toEqual(["failed", "expired", "expired"]);
    expect(first.outcome?.due[0]).toMatchObject({ step: "revoke", message: expect.stringContaining("InjectedCrash") });
    expect(policies()).toHaveLength(1); // detached, not deleted
    const rerun = await sweep(T("11:15"));
    expect(rerun.ok).toBe(true);
    expect(rerun.outcome?.due).toEqual([expect.objectContaining({ id: "31-a", result: "expired" })]);
    expect(policies()).toEqual([]);
  });

  it("two sweeps at once: each grant revoked once and recorded once", async () => {
    const seeded = await seedMany(Array.from({ length: 8 }, (_, i) => ({ id: `${40 + i}-both`, expiresAt: T("10:00"), requester: `u${i + 1}` })));
    fake.faults.add({ kind: "latency", latencyMs: 5, times: 1000 });
    const [x, y] = await Promise.all([sweep(T("11:00")), sweep(T("11:00"))]);
    expect(x.ok && y.ok).toBe(true);
    for (const s of seeded) {
      const outcomes = [...x.outcome!.due, ...y.outcome!.due].filter((o) => o.id === s.id);
      expect(outcomes.filter((o) => o.result === "expired")).toHaveLength(1);
      expect(outcomes.filter((o) => o.removed.includes(s.resources[0]!))).toHaveLength(1);
      expect(repo.commitsTouching(s.path)).toHaveLength(2);
      expect(statusOf(s)).toBe("expired");
    }
    expect(policies()).toEqual([]);
    expect(fake.calls.filter((c) => c.op === "DeletePolicy").length).toBeGreaterThanOrEqual(8);
  });

  it("survives a throttling storm (the SDK retries) and reports nothing failed", async () => {
    const seeded = await seedMany(Array.from({ length: 12 }, (_, i) => ({ id: `${60 + i}-storm`, expiresAt: T("10:00"), requester: `u${i + 1}` })));
    fake.resetLogs();
    // Bursts of consecutive throttles (each shorter than the SDK's 10 attempts here), spread over
    // the listing, the detaches and the deletes, plus server errors on the deletes.
    for (const nth of [1, 15, 30, 45, 60]) fake.faults.add({ kind: "throttle", service: "iam", nth, times: 8 });
    fake.faults.add({ kind: "throttle", service: "scheduler", times: 6 });
    fake.faults.add({ kind: "server-error", service: "iam", op: "DeletePolicy", nth: 3, times: 2 });
    const r = await sweep(T("11:00"), { concurrency: 4 });
    expect(r.outcome?.due.filter((o) => o.result !== "expired")).toEqual([]);
    expect([r.failures, r.plan.errors, r.warnings]).toEqual([[], [], []]);
    expect(r.ok).toBe(true);
    expect(fake.faults.fired.length).toBeGreaterThanOrEqual(40);
    expect(policies()).toEqual([]);
    for (const s of seeded) expect(statusOf(s)).toBe("expired");
  });

  it("dry run: plans, prints the due list and drift, and changes nothing in git or AWS", async () => {
    await seedMany([
      { id: "71-due", expiresAt: T("10:00") },
      { id: "72-not", expiresAt: T("16:00") },
    ]);
    await grants.grant(testRequest({ id: "73-orphan", requester: "carol" }), testPolicy("o"), T("16:00"));
    const head = repo.head();
    const before = fake.snapshot();
    const r = await sweep(T("11:00"), { dryRun: true });
    expect(r.outcome).toBeUndefined();
    expect(r.plan.due.map((d) => d.id)).toEqual(["71-due"]);
    expect(r.plan.drift?.map((d) => [d.requestId, d.reason])).toEqual([["73-orphan", "no-record"]]);
    expect(fake.snapshot()).toEqual(before);
    expect(repo.head()).toBe(head);
    expect(repo.git("status", "--porcelain")).toBe("");
  });

  it("notifies through the port once per expiry, never for a skipped one; a notify failure fails the run but keeps the record", async () => {
    await seedMany([
      { id: "81-n", expiresAt: T("10:00") },
      { id: "82-n", expiresAt: T("10:00"), requester: "carol" },
    ]);
    const events: ClosedEvent[] = [];
    const notifier: Notifier = {
      closed: async (e) => {
        if (e.request.id === "82-n") throw new Error("GitHub 502");
        events.push(e);
      },
    };
    const r = await sweep(T("11:00"), { notifier });
    expect(events.map((e) => [e.kind, e.request.id, e.at])).toEqual([["expired", "81-n", "2026-11-27T11:00:00Z"]]);
    expect(r.outcome?.due[1]).toMatchObject({ id: "82-n", result: "expired", step: "notify", message: "GitHub 502", notified: false });
    expect(r.ok).toBe(false);
    const again = await sweep(T("11:15"), { notifier });
    expect(again.plan.due).toEqual([]);
    expect(events).toHaveLength(1);
  });

  it("an unreadable record is reported and fails the run; its live AWS resources are not drift, expired ones are", async () => {
    const [a, b] = await seedMany([
      { id: "91-broken", expiresAt: T("16:00") },
      { id: "92-due-invalid", expiresAt: T("10:00"), requester: "carol" },
    ]);
    repo.write(a!.path, readFileSync(join(repo.dir, a!.path), "utf8").replace("reason: Quarter-end reconciliation", "reason: 'never closed"));
    // Schema-invalid but plainly due: due candidates are always validated in full, never acted on blindly.
    repo.write(b!.path, readFileSync(join(repo.dir, b!.path), "utf8").replace("requester: carol", "requester: 5"));
    repo.commitAll("break them");
    const r = await sweep(T("11:00"));
    expect(r.ok).toBe(false);
    expect(r.plan.errors.map((e) => [e.file, e.id])).toEqual([
      [a!.path, "91-broken"],
      [b!.path, "92-due-invalid"],
    ]);
    expect(r.plan.due).toEqual([]);
    // The live grant behind the unreadable record is not drift; the one whose AWS expiry tag has
    // passed is removed anyway — a broken record never keeps expired access alive.
    expect(r.plan.drift?.map((d) => [d.requestId, d.reason])).toEqual([["92-due-invalid", "expiry-tag-passed"]]);
    expect(policies()).toEqual([a!.resources[0]]);
  });

  it("summarizes records it will not act on without parsing them, and parses every due candidate", async () => {
    const [a] = await seedMany([{ id: "95-later", expiresAt: T("16:00") }]);
    // Schema-invalid but plainly not due: counted as active (validate reports it), never touched.
    repo.write(a!.path, readFileSync(join(repo.dir, a!.path), "utf8").replace("requester: alice", "requester: 5"));
    repo.commitAll("edit");
    const r = await sweep(T("11:00"));
    expect(r.plan.active.map((x) => x.id)).toEqual(["95-later"]);
    expect(r.plan.errors).toEqual([]);
    expect(policies()).toHaveLength(1);
    const { summarize } = await import("../src/sweep/plan.js");
    const text = readFileSync(join(repo.dir, a!.path), "utf8");
    expect(summarize(a!.path, text)).toEqual({ id: "95-later", status: "active", expires_at: T("16:00") });
    for (const bad of [
      text.replace("status: active", "status: active\nstatus: expired"),
      text.replace("reason: ", "reason: &x "),
      text.replace("reason: Quarter-end reconciliation", "reason: 'a\nstatus: expired'"),
      `${text}---\n`,
      text.replace(/^id: .*$/m, "id: 96-other"),
    ]) {
      expect(summarize(a!.path, bad)).toBeUndefined();
    }
  });
});

describe("runPool", () => {
  it("keeps at most N running, isolates failures and keeps input order", async () => {
    let running = 0;
    let peak = 0;
    const out = await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5 + (n % 3)));
      running--;
      if (n === 4) throw new Error("four");
      return n * 10;
    });
    expect(peak).toBe(3);
    expect(out.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual([10, 20, 30, "four", 50, 60, 70]);
    await expect(runPool([1], 0, async () => 1)).rejects.toThrow(/concurrency/);
  });
});
