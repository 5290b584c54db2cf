// Drift reconcile against the fake AWS: orphaned policies, permission sets and schedules are found
// and removed; grants in flight, live grants and resources that cannot be attributed are left alone.
// Plus the pure planner's decisions.
// Also run under Node 24 (NODE24 in vitest.config.ts): the git store (git subprocesses).
// @module-tag node24
import { CreatePolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Grants, ManagedResource } from "../src/aws/types.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { Config } from "../src/domain/types.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { planSweep, type SweepRecord } from "../src/sweep/plan.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { configOf, createGitRepo, seedActive, sweepConfigYaml, writeConfig, type GitRepo } from "./support/git-repo.js";

const T = (hhmm: string) => `2026-11-27T${hhmm}:00Z`;
let fake: FakeAws;
let repo: GitRepo;

function setup(mode: "iam" | "identity-center"): { config: Config; grants: Grants } {
  const yaml = sweepConfigYaml(mode);
  writeConfig(repo, yaml);
  const config = configOf(yaml);
  return { config, grants: fakeGrants(fake, config) };
}
const sweep = (config: Config, grants: Grants, now: string, dryRun = false) =>
  runSweep({ store: new GitRecordStore(repo.dir), config, grants: () => grants }, { now: new Date(now), dryRun, reconcile: true, concurrency: 4 });

beforeEach(() => {
  fake = createFakeAws({ maxAttempts: 6 });
  seed(fake);
  repo = createGitRepo("jit-reconcile-");
});
afterEach(() => {
  fake.restore();
  repo.cleanup();
});

describe("drift reconcile (iam)", () => {
  it("removes orphaned policies and schedules, leaves grants in flight and live ones alone", async () => {
    const { config, grants } = setup("iam");
    const iam = () => fake.state.accounts.get(HOME)!.iam;
    const scheduleKeys = () => [...fake.state.accounts.get(HOME)!.scheduler.schedules.keys()].sort();

    // 101: in AWS, no request file at all.
    await grants.grant(testRequest({ id: "101-orphan" }), testPolicy("a"), T("16:00"));
    // 102: revoked in git, but AWS still holds it (a /revoke whose AWS call half failed).
    const revoked = await seedActive(repo, grants, { id: "102-revoked", expiresAt: T("16:00"), requester: "carol" });
    repo.write(revoked.path, dumpRequest({ ...revoked.request, status: "revoked", closed: { at: T("09:00"), reason: "done" } }));
    // 103: expired in git; its policy is gone but its schedules are left.
    const leftover = await seedActive(repo, grants, { id: "103-schedules", expiresAt: T("16:00"), requester: "bob" });
    repo.write(leftover.path, dumpRequest({ ...leftover.request, status: "expired", closed: { at: T("09:00"), reason: "expired" } }));
    iam().policies.delete(leftover.resources[0]!);
    iam().roles.get("bob-role")!.attached = [];
    // 104: merged and being granted: the record is still proposed.
    await grants.grant(testRequest({ id: "104-inflight" }), testPolicy("b"), T("16:00"));
    repo.write("access-requests/prod/2026/104-inflight.yaml", dumpRequest(testRequest({ id: "104-inflight" })));
    // 105: the record says 16:00 but AWS's expiry tag says 10:00 (the policy no longer works).
    const tagged = await seedActive(repo, grants, { id: "105-tag", expiresAt: T("10:00") });
    repo.write(tagged.path, dumpRequest({ ...tagged.request, grant: { ...tagged.request.grant!, expires_at: T("16:00") } }));
    // 106: live.
    const live = await seedActive(repo, grants, { id: "106-live", expiresAt: T("16:00") });
    // A policy under /jit-access/ that names no request: reported, never touched.
    await new IAMClient(fake.clientSettings).send(
      new CreatePolicyCommand({ PolicyName: "hand-made", Path: "/jit-access/", PolicyDocument: JSON.stringify(testPolicy("c")) }),
    );
    repo.commitAll("seed");

    const dry = await sweep(config, grants, T("11:00"), true);
    expect(
      dry.plan.drift?.map((d) => [
        d.requestId,
        d.reason,
        d.resources
          .map((r) => r.kind)
          .sort()
          .join("+"),
      ]),
    ).toEqual([
      ["101-orphan", "no-record", "iam-policy+schedule+schedule"],
      ["102-revoked", "not-active", "iam-policy+schedule+schedule"],
      ["103-schedules", "not-active", "schedule+schedule"],
      ["105-tag", "expiry-tag-passed", "iam-policy+schedule+schedule"],
    ]);
    expect(dry.plan.pending).toEqual(["104-inflight"]);
    expect(dry.warnings).toEqual([expect.stringContaining("hand-made")]);

    const r = await sweep(config, grants, T("11:00"));
    expect(r.outcome?.drift.map((d) => [d.requestId, d.result])).toEqual([
      ["101-orphan", "removed"],
      ["102-revoked", "removed"],
      ["103-schedules", "removed"],
      ["105-tag", "removed"],
    ]);
    expect(r.outcome?.drift[2]?.removed.sort()).toEqual(["schedule:jit-103-schedules", "schedule:jit-103-schedules-delete"]);
    expect(r.ok).toBe(true);
    const left = [...iam().policies.keys()].map((a) => a.split("/").pop()).sort();
    expect(left).toEqual(["hand-made", "jit-104-inflight", "jit-106-live"]);
    expect(scheduleKeys().every((k) => /104-inflight|106-live/.test(k))).toBe(true);
    expect(iam().users.get("alice")!.attached.sort()).toEqual([live.resources[0], expect.stringContaining("jit-104-inflight")].sort());

    // Nothing left to do: a second run finds no drift.
    const again = await sweep(config, grants, T("11:05"));
    expect(again.plan.drift).toEqual([]);
  });

  it("a failed AWS listing skips reconcile and fails the run, but due grants still expire", async () => {
    const { config, grants } = setup("iam");
    await seedActive(repo, grants, { id: "110-due", expiresAt: T("10:00") });
    await grants.grant(testRequest({ id: "111-orphan", requester: "carol" }), testPolicy("x"), T("16:00"));
    repo.commitAll("seed");
    fake.faults.add({ kind: "crash", service: "iam", op: "ListPolicies" });
    const r = await sweep(config, grants, T("11:00"));
    expect(r.plan.drift).toBeUndefined();
    expect(r.failures).toEqual([expect.stringContaining("reconcile skipped")]);
    expect(r.outcome?.due.map((o) => o.result)).toEqual(["expired"]);
    expect(r.ok).toBe(false);
    expect(fake.state.accounts.get(HOME)!.iam.policies.size).toBe(1); // the orphan waits for the next run
  });
});

describe("drift reconcile (identity-center)", () => {
  it("removes an orphaned permission set with its assignment and schedule, and expires a due grant", async () => {
    const { config, grants } = setup("identity-center");
    await grants.grant(testRequest({ id: "201-orphan" }), testPolicy("a"), T("16:00"));
    const due = await seedActive(repo, grants, { id: "202-due", expiresAt: T("10:00"), requester: "bob" });
    const live = await seedActive(repo, grants, { id: "203-live", expiresAt: T("16:00") });
    repo.commitAll("seed");
    const sso = fake.state.sso;
    expect(sso.permissionSets.size).toBe(3);
    expect(sso.assignments.size).toBe(3);

    const r = await sweep(config, grants, T("11:00"));
    expect(r.ok).toBe(true);
    expect(r.outcome?.due.map((o) => [o.id, o.result])).toEqual([["202-due", "expired"]]);
    expect(r.outcome?.drift.map((d) => [d.requestId, d.reason, d.result])).toEqual([["201-orphan", "no-record", "removed"]]);
    expect(r.outcome?.drift[0]?.removed).toEqual(expect.arrayContaining(["schedule:jit-201-orphan", expect.stringMatching(/^assignment:/)]));
    expect([...sso.permissionSets.values()].map((p) => p.name)).toEqual(["jit-203-live"]);
    expect([...sso.assignments.values()].map((a) => a.permissionSetArn)).toEqual([live.resources[0]]);
    expect(due.resources[0]).not.toBe(live.resources[0]);
    expect([...fake.state.accounts.get(HOME)!.scheduler.schedules.keys()]).toEqual([expect.stringContaining("203-live")]);
  });
});

describe("planSweep (pure)", () => {
  const base = testRequest({ id: "1-a" });
  const active = (id: string, expires: string, account = HOME): SweepRecord => ({
    path: `access-requests/prod/2026/${id}.yaml`,
    request: {
      ...base,
      id,
      status: "active",
      grant: {
        approved_by: ["bob"],
        merge_commit: "a".repeat(40),
        granted_at: T("08:00"),
        expires_at: expires,
        aws: { mode: "iam", account_id: account, resources: [`arn:aws:iam::${account}:policy/jit-access/jit-${id}`], schedule: `jit-access/jit-${id}` },
      },
    },
  });
  const policy = (id: string | undefined, name: string, expiresAt?: string): ManagedResource => ({
    kind: "iam-policy",
    arn: `arn:aws:iam::${HOME}:policy/jit-access/${name}`,
    name,
    accountIds: [HOME],
    ...(id ? { requestId: id } : {}),
    ...(expiresAt ? { expiresAt } : {}),
  });

  it("selects active grants with expires_at <= now, sorted by expiry; skips reconcile without a listing", () => {
    const plan = planSweep([active("3-c", T("12:00")), active("1-a", T("10:00")), active("2-b", T("12:01"))], undefined, new Date(T("12:00")));
    expect(plan.due.map((d) => d.id)).toEqual(["1-a", "3-c"]);
    expect(plan.due[0]?.target).toEqual({
      requestId: "1-a",
      mode: "iam",
      accountId: HOME,
      resources: [`arn:aws:iam::${HOME}:policy/jit-access/jit-1-a`],
      schedules: ["jit-1-a"],
    });
    expect(plan.active.map((a) => a.id)).toEqual(["2-b"]);
    expect(plan.drift).toBeUndefined();
  });

  it("never calls a due or unreadable request's resources drift; leaves untagged or misnamed policies alone; groups by request", () => {
    const records: SweepRecord[] = [
      active("1-a", T("10:00")),
      { path: "access-requests/prod/2026/2-b.yaml", id: "2-b", problems: [{ code: "schema.type", path: "", message: "bad" }] },
    ];
    const managed = [
      policy("1-a", "jit-1-a"),
      policy("2-b", "jit-2-b"),
      policy("3-c", "jit-3-c"),
      { kind: "schedule" as const, arn: "arn:s/jit-3-c-delete", name: "jit-3-c-delete", accountIds: [HOME] },
      policy(undefined, "jit-4-d"), // untagged look-alike: not made by jit-access
      policy("5-e", "jit-6-f"), // tagged for one request, named for another
      policy(undefined, "other"),
    ];
    const plan = planSweep(records, managed, new Date(T("11:00")));
    expect(plan.due.map((d) => d.id)).toEqual(["1-a"]);
    expect(plan.drift?.map((d) => [d.requestId, d.reason, d.target.schedules ?? [], d.target.resources ?? []])).toEqual([
      ["3-c", "no-record", ["jit-3-c-delete"], [`arn:aws:iam::${HOME}:policy/jit-access/jit-3-c`]],
    ]);
    expect(plan.unattributed.map((u) => u.resource.name)).toEqual(["jit-4-d", "jit-6-f", "other"]);
    expect(plan.unattributed[0]?.message).toMatch(/carries no jit-access:request tag; jit-access did not create it, so reconcile leaves it alone/);
    expect(plan.unattributed[1]?.message).toMatch(/is tagged for request "5-e" but is not named jit-5-e/);
    expect(plan.errors.map((e) => e.id)).toEqual(["2-b"]);
  });
});
