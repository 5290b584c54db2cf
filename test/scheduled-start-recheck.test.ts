// Scenario: what changes between a scheduled request's merge and its start, on the in-memory
// AccessRepo and createGrants over the fake AWS. The approval is judged again on the rules at the
// start (approvers, CODEOWNERS, teams, the number of approvals): a change that leaves the recorded
// approvals short records `rejected` with the rule that changed and grants nothing; a read that
// fails grants nothing and retries, until the window passes (`expired`, record.start-missed). A
// grant AWS refuses is classed: retryable faults leave it scheduled for the next sweep; permanent
// ones (the principal gone, a quota, a non-retryable error) roll back and record `failed` with the
// AWS error named.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { announceClosed, announceNotStarted, announceStarted } from "../src/github/closer.js";
import { grantMergedOnce } from "../src/github/grant.js";
import { loadCatalogue } from "../src/iam-data.js";
import { grantErrorClass } from "../src/lifecycle/start-grant.js";
import type { AccessRepo } from "../src/lifecycle/ports.js";
import type { NotificationEvent, Notifier } from "../src/notify/types.js";
import { runSweep } from "../src/sweep/run.js";
import { awsError, type Service } from "./support/fake-aws/errors.js";
import { createFakeAws, type FaultKind } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { approvedMerge, MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const ID = "7-migration";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
const MERGED_AT = new Date("2026-11-27T10:00:00Z");
const START = new Date("2026-11-28T09:05:00Z");
const AFTER_WINDOW = new Date("2026-11-28T11:00:00Z");
const catalogue = loadCatalogue();

function configOf(text: string): Config {
  const parsed = parseConfig(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

/** A request merged (approved by bob) under `text` as the config, and `extra` files on the default branch. */
async function scheduledUnder(
  text: string,
  extra: Record<string, string> = {},
  teams: Record<string, Record<string, "active">> = {},
): Promise<MemoryAccessRepo> {
  const request = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy(), starts_at: "2026-11-28T09:00:00Z" }), "proposed");
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: text, [FILE]: request, ...extra });
  repo.setRef(BASE, { [CONFIG_PATH]: text, ...extra });
  repo.setRef(MERGE, { [CONFIG_PATH]: text, [FILE]: request, ...extra });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  for (const [team, members] of Object.entries(teams)) repo.teams.set(team, new Map(Object.entries(members)));
  const merged = approvedMerge(repo, { pr: 8, id: ID, file: FILE, text: request, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
  const out = await grantMergedOnce(repo, merged, { grantsFor: (c) => fakeGrants(fake, c, { now: () => MERGED_AT }), now: () => MERGED_AT });
  expect(out, JSON.stringify(out)).toMatchObject({ kind: "scheduled", id: ID });
  return repo;
}

/** `teams`: the repository's memberships unless given; null: no team reader at all (a local checkout). */
function sweepAt(repo: MemoryAccessRepo, now: Date, config: Config, teams: Pick<AccessRepo, "teamMembership"> | null = repo) {
  return runSweep(
    {
      store: repo,
      config,
      grants: () => fakeGrants(fake, config, { now: () => now }),
      catalogue: () => catalogue,
      ...(teams ? { teams } : {}),
      notifier: { closed: (e) => announceClosed(repo, e), started: (e) => announceStarted(repo, e), notStarted: (e) => announceNotStarted(repo, e) },
    },
    { now, dryRun: false, reconcile: true, concurrency: 2 },
  );
}

function record(repo: MemoryAccessRepo, config: Config): AccessRequest {
  const r = parseRequestFile(repo.files.get(FILE)!, { file: FILE, config });
  if (!r.ok && !r.request) throw new Error(JSON.stringify(r));
  return r.ok ? r.value.request : r.request!;
}

const attachedToAlice = () => fake.state.accounts.get(HOME)!.iam.users.get("alice")?.attached ?? [];
const ourPolicies = () => [...fake.state.accounts.get(HOME)!.iam.policies.keys()].filter((arn) => arn.includes("jit-access"));

const PLAIN = memoryRepoConfig(HOME);
const TEAMS = PLAIN.replace("approvers: [bob, dave]", 'approvers: ["@acme/ops"]');
const OWNERS = PLAIN.replace("approvers: [bob, dave]", "approvers: []");

// Each: the rules at the merge, what changed by the start, and the rule that refuses it.
type Change = {
  name: string;
  merge: string;
  files?: Record<string, string>;
  teams?: Record<string, Record<string, "active">>;
  start: (repo: MemoryAccessRepo) => string;
  code: string;
};
const CHANGES: Change[] = [
  {
    name: "bob removed from approvers",
    merge: PLAIN,
    start: () => PLAIN.replace("approvers: [bob, dave]", "approvers: [dave]"),
    code: "approval.start-approver-removed",
  },
  { name: "low risk now needs two approvals", merge: PLAIN, start: () => PLAIN.replace("low: 1", "low: 2"), code: "approval.start-more-approvals" },
  {
    name: "bob left @acme/ops",
    merge: TEAMS,
    teams: { "acme/ops": { bob: "active" } },
    start: (repo) => {
      repo.teams.get("acme/ops")!.delete("bob");
      return TEAMS;
    },
    code: "approval.start-approver-removed",
  },
  {
    name: "bob no longer owns the folder in CODEOWNERS",
    merge: OWNERS,
    files: { ".github/CODEOWNERS": "access-requests/ @bob\n" },
    start: (repo) => {
      repo.commitFile(".github/CODEOWNERS", "access-requests/ @carol\n", "owners change");
      return OWNERS;
    },
    code: "approval.start-approver-removed",
  },
  {
    name: "alice no longer eligible for prod",
    merge: PLAIN,
    start: () => PLAIN.replace(`prod: "${HOME}"`, `prod: { id: "${HOME}", eligible: [carol] }`),
    code: "approval.not-eligible",
  },
];

describe("a scheduled start judges its approval again", () => {
  it.each(CHANGES)("$name: recorded rejected with its rule, nothing granted, the requester told how to go on", async (c) => {
    const repo = await scheduledUnder(c.merge, c.files, c.teams);
    const before = fake.snapshot();
    const config = configOf(c.start(repo));
    const report = await sweepAt(repo, START, config);
    expect(report.outcome?.starts, JSON.stringify(report.outcome?.starts)).toMatchObject([{ id: ID, result: "rejected", code: "record.start-refused" }]);
    expect(record(repo, config)).toMatchObject({ status: "rejected", closed: { code: "record.start-refused" } });
    expect(record(repo, config).grant).toBeUndefined();
    expect(repo.commits.at(-1)?.message).toContain(`Rule: ${c.code}`);
    expect(repo.issueLabels.get(7)).toContain("jit:rejected");
    expect([...(repo.comments.get(7)?.values() ?? [])].join("\n")).toMatch(/Not started[\s\S]*(new request|may ask)/);
    expect(fake.snapshot()).toEqual(before);
  });

  it("unchanged rules start it, with the approvers that still count recorded", async () => {
    const repo = await scheduledUnder(TEAMS, {}, { "acme/ops": { bob: "active" } });
    const report = await sweepAt(repo, START, configOf(TEAMS));
    expect(report.outcome?.starts).toMatchObject([{ id: ID, result: "started" }]);
    expect(record(repo, configOf(TEAMS)).grant?.approved_by).toEqual(["bob"]);
    expect(attachedToAlice()).toHaveLength(1);
  });

  it("a team that cannot be read grants nothing and waits; once the window passes it is expired (record.start-missed)", async () => {
    const repo = await scheduledUnder(TEAMS, {}, { "acme/ops": { bob: "active" } });
    const before = fake.snapshot();
    const config = configOf(TEAMS);
    const unreadable = { teamMembership: () => Promise.reject(new Error("team @acme/ops cannot be read (HTTP 404)")) };
    for (const now of [START, new Date("2026-11-28T10:00:00Z")]) {
      const report = await sweepAt(repo, now, config, unreadable);
      expect(report.ok).toBe(false);
      expect(report.outcome?.starts).toMatchObject([
        { id: ID, result: "failed", step: "approval", message: expect.stringContaining("cannot be read") as unknown },
      ]);
      expect(record(repo, config).status).toBe("scheduled");
    }
    // Without any team reader (a local checkout) the same: nothing is assumed.
    const local = await sweepAt(repo, START, config, null);
    expect(local.outcome?.starts).toMatchObject([{ result: "failed", step: "approval" }]);
    expect(fake.snapshot()).toEqual(before);
    const missed = await sweepAt(repo, AFTER_WINDOW, config, unreadable);
    expect(missed.outcome?.starts).toMatchObject([{ id: ID, result: "expired", code: "record.start-missed" }]);
    expect(fake.snapshot()).toEqual(before);
  });
});

describe("the channels hear of a scheduled start", () => {
  it("Slack is told at the merge that it is approved for a later start, and at the start that it started", async () => {
    const events: NotificationEvent[] = [];
    const alerts: Notifier = { channels: ["recording"], notify: async (e) => void events.push(e) };
    const request = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy(), starts_at: "2026-11-28T09:00:00Z" }), "proposed");
    const repo = new MemoryAccessRepo({ [CONFIG_PATH]: PLAIN, [FILE]: request });
    repo.setRef(BASE, { [CONFIG_PATH]: PLAIN });
    repo.setRef(MERGE, { [CONFIG_PATH]: PLAIN, [FILE]: request });
    repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
    const merged = approvedMerge(repo, { pr: 8, id: ID, file: FILE, text: request, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
    await grantMergedOnce(repo, merged, { grantsFor: (c) => fakeGrants(fake, c, { now: () => MERGED_AT }), now: () => MERGED_AT, notifierFor: () => alerts });
    expect(events).toMatchObject([
      { kind: "scheduled", approvedBy: ["bob"], startsAt: "2026-11-28T09:00:00Z", expiresAt: "2026-11-28T11:00:00Z", risk: "low" },
    ]);
    expect([...(repo.comments.get(7)?.values() ?? [])].join("\n")).toContain("Approved for a later start");

    const config = configOf(PLAIN);
    await runSweep(
      { store: repo, config, grants: () => fakeGrants(fake, config, { now: () => START }), catalogue: () => catalogue, teams: repo, alerts },
      { now: START, dryRun: false, reconcile: true, concurrency: 1 },
    );
    expect(events.slice(1)).toMatchObject([{ kind: "granted", approvedBy: ["bob"], expiresAt: "2026-11-28T11:00:00Z", scheduledFrom: "2026-11-28T09:00:00Z" }]);
  });
});

describe("a failed AWS grant at the start", () => {
  const config = configOf(PLAIN);

  it.each<FaultKind>(["throttle", "server-error", "lost-response"])(
    "%s on every call: stays scheduled, nothing left attached; the next sweep starts it",
    async (kind) => {
      const repo = await scheduledUnder(PLAIN);
      fake.faults.add({ kind, service: "iam", times: 1_000 });
      const report = await sweepAt(repo, START, config);
      fake.faults.clear();
      expect(report.outcome?.starts).toMatchObject([{ id: ID, result: "failed", step: "grant", message: expect.stringContaining("tried again") as unknown }]);
      expect(record(repo, config).status).toBe("scheduled");
      expect(attachedToAlice()).toEqual([]);
      const next = await sweepAt(repo, new Date("2026-11-28T09:10:00Z"), config);
      expect(next.outcome?.starts).toMatchObject([{ id: ID, result: "started" }]);
      expect(attachedToAlice()).toHaveLength(1);
    },
  );

  const PERMANENT: Array<[string, () => void, RegExp]> = [
    ["the principal is gone (NoSuchEntity)", () => fake.state.accounts.get(HOME)!.iam.users.delete("alice"), /alice does not exist .*cannot be found/],
    ["the user's policy quota is full (LimitExceeded)", () => (fake.state.accounts.get(HOME)!.iam.quotas.policiesPerUser = 0), /quota for PoliciesPerUser/],
    ["a non-retryable error on the attach", () => fake.faults.add({ kind: "crash", service: "iam", op: "AttachUserPolicy" }), /InjectedCrash/],
  ];
  it.each(PERMANENT)("%s: rolled back, recorded failed naming the AWS error, nothing left", async (_name, breakIt, named) => {
    const repo = await scheduledUnder(PLAIN);
    breakIt();
    const report = await sweepAt(repo, START, config);
    fake.faults.clear();
    expect(report.outcome?.starts, JSON.stringify(report.outcome?.starts)).toMatchObject([{ id: ID, result: "failed", code: "aws.grant-failed" }]);
    expect(report.outcome?.starts?.[0]?.step).toBeUndefined();
    const r = record(repo, config);
    expect(r).toMatchObject({ status: "failed", closed: { code: "aws.grant-failed" } });
    expect(r.closed?.reason).toMatch(named);
    expect(r.closed?.reason).toMatch(/rolled back/);
    expect(r.grant).toBeUndefined();
    expect(repo.commits.at(-1)?.message).toMatch(/^jit-access: fail 7-migration unstarted/);
    expect(repo.issueLabels.get(7)).toContain("jit:failed");
    expect(attachedToAlice()).toEqual([]);
    expect(ourPolicies()).toEqual([]);
    // Final: a later sweep does nothing more.
    const later = await sweepAt(repo, new Date("2026-11-28T09:30:00Z"), config);
    expect(later.plan.starts).toEqual([]);
  });
});

describe("the requester's identity at the start", () => {
  it("a principal removed from the config since the approval: recorded rejected naming it, nothing granted", async () => {
    const repo = await scheduledUnder(PLAIN);
    const before = fake.snapshot();
    const config = configOf(PLAIN.replace("  alice: { iam_user: alice }", "  carol: { iam_user: carol }"));
    const report = await sweepAt(repo, START, config);
    const start = report.outcome?.starts?.[0];
    expect(start, JSON.stringify(start)).toMatchObject({ result: "rejected", code: "record.start-refused" });
    expect(start?.message).toMatch(/"alice" has no entry under principals/);
    expect(record(repo, config).status).toBe("rejected");
    expect(fake.snapshot()).toEqual(before);
  });
});

describe("grantErrorClass", () => {
  const ROWS: Array<[Service, string, "retryable" | "permanent"]> = [
    ["iam", "Throttling", "retryable"],
    ["sso", "ThrottlingException", "retryable"],
    ["iam", "ServiceFailureException", "retryable"],
    ["sso", "InternalServerException", "retryable"],
    ["sts", "InternalFailure", "retryable"],
    ["sso", "ConflictException", "retryable"],
    ["iam", "ConcurrentModificationException", "retryable"],
    ["iam", "NoSuchEntityException", "permanent"],
    ["iam", "LimitExceededException", "permanent"],
    ["iam", "MalformedPolicyDocumentException", "permanent"],
    ["sts", "AccessDenied", "permanent"],
    ["sso", "AccessDeniedException", "permanent"],
    ["sso", "ResourceNotFoundException", "permanent"],
    ["sso", "ServiceQuotaExceededException", "permanent"],
    ["sso", "ValidationException", "permanent"],
    ["iam", "InjectedCrash", "permanent"],
  ];
  it.each(ROWS)("%s %s is %s, directly and as a grant error's cause", (service, code, expected) => {
    const e = awsError(service, code, "m");
    expect(grantErrorClass(e)).toBe(expected);
    expect(grantErrorClass(Object.assign(new Error("in account prod: m", { cause: e }), { leftOver: [] }))).toBe(expected);
  });

  it("a lost connection is retryable; a rollback that left resources is retryable (never recorded failed with access left)", () => {
    for (const code of ["ECONNRESET", "ETIMEDOUT", "EAI_AGAIN"]) expect(grantErrorClass(Object.assign(new Error("socket"), { code }))).toBe("retryable");
    expect(grantErrorClass(Object.assign(new Error("t"), { name: "TimeoutError" }))).toBe("retryable");
    const noSuch = awsError("iam", "NoSuchEntityException", "gone");
    expect(grantErrorClass(Object.assign(new Error("x", { cause: noSuch }), { leftOver: [{ kind: "iam-policy", arn: "a" }] }))).toBe("retryable");
    expect(grantErrorClass(new Error("identity alice is not mapped"))).toBe("permanent");
  });
});
