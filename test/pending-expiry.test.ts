// Proposed requests that nobody approves: one reminder to the approvers at half of pending_ttl,
// closed as expired-unapproved (recorded, told, closed) once it has passed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { parseTrailers, recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { Config } from "../src/domain/types.js";
import type { NotificationEvent } from "../src/notify/types.js";
import { planUnapproved, type PendingPull } from "../src/sweep/plan.js";
import { PENDING_MARKER, REMINDED_LABEL, sweepUnapproved } from "../src/sweep/unapproved.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { blobSha, MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const DAY = 86400_000;
const OPENED = "2026-11-20T10:00:00Z";
const at = (days: number) => new Date(Date.parse(OPENED) + days * DAY);
const pull = (over: Partial<PendingPull> = {}): PendingPull => ({ pr: 8, issue: 7, headSha: "c".repeat(40), createdAt: OPENED, reminded: false, ...over });

describe("planUnapproved (pure)", () => {
  it("reminds once from half time, closes from full time, never both, never before half time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 30 * 86400 }), fc.integer({ min: -86400, max: 60 * 86400 }), fc.boolean(), (ttl, ageS, reminded) => {
        const now = new Date(Date.parse(OPENED) + ageS * 1000);
        const actions = planUnapproved([pull({ reminded })], now, ttl);
        expect(actions.length).toBeLessThanOrEqual(1);
        const kind = actions[0]?.kind;
        if (ageS >= ttl) expect(kind).toBe("expire-unapproved");
        else if (ageS * 2 >= ttl && !reminded) expect(kind).toBe("remind-unapproved");
        else expect(kind).toBeUndefined();
        if (actions[0]) expect(Date.parse(actions[0].closesAt)).toBe(Date.parse(OPENED) + ttl * 1000);
      }),
    );
  });

  it.each([
    ["no opening time", { createdAt: "yesterday" }],
    ["an opening time in the future", { createdAt: "2027-01-01T00:00:00Z" }],
  ])("leaves a pull request with %s alone", (_n, over) => {
    expect(planUnapproved([pull(over)], at(30), 7 * 86400)).toEqual([]);
  });
});

const ID = "7-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const HEAD = "c".repeat(40);

function config(extra = ""): Config {
  const r = parseConfig(memoryRepoConfig(HOME) + extra);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function repoWithPending(opts: { extends?: string; author?: string } = {}): MemoryAccessRepo {
  const text = dumpRequest(testRequest({ id: ID, policy: testPolicy(), ...(opts.extends ? { extends: opts.extends } : {}) }), "proposed");
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: memoryRepoConfig(HOME) });
  repo.setRef(HEAD, { [FILE]: text });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issues.set(8, { number: 8, author: { login: "jit-access[bot]", type: "Bot" }, state: "open", isPull: true });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  repo.issueLabels.set(8, ["jit:proposed"]);
  repo.pulls.set(8, { number: 8, files: [{ path: FILE, status: "added", previousPath: null, sha: blobSha(text) }], commits: [], reviews: [] });
  repo.openPullList.push({
    number: 8,
    title: "Access request #7",
    body: "",
    user: { login: opts.author ?? "jit-access[bot]", type: opts.author ? "User" : "Bot" },
    head: { ref: `jit/${ID}`, sha: HEAD, repoFullName: repo.fullName },
    createdAt: OPENED,
    labels: ["jit:proposed"],
  });
  return repo;
}

/** The memory repo's open pull requests follow its labels and closes (as GitHub's list would). */
function relist(repo: MemoryAccessRepo): void {
  for (const p of repo.openPullList) p.labels = repo.issueLabels.get(p.number) ?? [];
  repo.openPullList.splice(0, repo.openPullList.length, ...repo.openPullList.filter((p) => repo.issues.get(p.number)?.state !== "closed"));
}

describe("the sweep closes stale requests", () => {
  it("half time: one reminder naming the approvers (comment, label, Slack); full time: recorded expired-unapproved, told, both closed", async () => {
    const repo = repoWithPending();
    const sent: NotificationEvent[] = [];
    const alerts = { channels: ["slack"], notify: async (e: NotificationEvent) => void sent.push(e) };
    const run = async (days: number) => {
      const r = await sweepUnapproved({ access: repo, config: config(), now: at(days), alerts });
      relist(repo);
      return r;
    };

    expect((await run(3)).actions).toEqual([]);
    const reminded = await run(3.5);
    expect(reminded.outcomes).toEqual([{ kind: "remind-unapproved", pr: 8, issue: 7, id: ID, result: "done" }]);
    expect(repo.comments.get(8)?.get(PENDING_MARKER)).toMatch(/@bob, @dave, please review.*2026-11-27T10:00:00Z/);
    expect(repo.issueLabels.get(8)).toContain(REMINDED_LABEL);
    expect(sent.map((e) => e.kind)).toEqual(["pending-reminder"]);
    // Idempotent: the next runs before the deadline remind no one again.
    expect((await run(4)).actions).toEqual([]);
    expect((await run(6.9)).actions).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(repo.commits).toEqual([]);

    const closed = await run(7);
    expect(closed.outcomes).toEqual([{ kind: "expire-unapproved", pr: 8, issue: 7, id: ID, result: "done", commit: expect.any(String) }]);
    expect(recordStatus(repo.files.get(FILE)!)).toBe("rejected");
    expect(repo.files.get(FILE)).toMatch(/^ {2}code: approval\.expired-unapproved$/m);
    expect(parseTrailers(repo.commits.at(-1)!.message)).toEqual({ "Request-Id": [ID], "Closed-By": ["jit-access"], Rule: ["approval.expired-unapproved"] });
    expect(repo.comments.get(7)?.get(PENDING_MARKER)).toContain("Closed unapproved");
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:rejected"]);
    expect(repo.closedIssues).toEqual([
      { issue: 7, reason: "not_planned" },
      { issue: 8, reason: "not_planned" },
    ]);
    expect(sent.map((e) => (e.kind === "rejected" ? e.code : e.kind))).toEqual(["pending-reminder", "approval.expired-unapproved"]);
    // Closed: nothing left to do.
    expect((await run(8)).actions).toEqual([]);
  });

  it("pending_ttl comes from the config; a dry run plans without writing", async () => {
    const repo = repoWithPending();
    const plan = await sweepUnapproved({ access: repo, config: config("pending_ttl: 2d\n"), now: at(2), dryRun: true });
    expect(plan.actions.map((a) => [a.kind, a.closesAt])).toEqual([["expire-unapproved", "2026-11-22T10:00:00Z"]]);
    expect(plan.outcomes).toEqual([]);
    expect(repo.commits).toEqual([]);
    expect(repo.closedIssues).toEqual([]);
  });

  it("an unapproved extension closes only its own pull request: the issue of the active grant stays open", async () => {
    const repo = repoWithPending({ extends: "5-financial-reports" });
    await sweepUnapproved({ access: repo, config: config(), now: at(8) });
    expect(repo.closedIssues).toEqual([{ issue: 8, reason: "not_planned" }]);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:proposed"]);
  });

  const SCHEDULED = {
    approved_by: ["bob"],
    merge_commit: "d".repeat(40),
    pr: 8,
    approved_at: "2026-11-21T10:00:00Z",
    starts_at: "2026-11-29T09:00:00Z",
    expires_at: "2026-11-29T17:00:00Z",
    risk: "low" as const,
  };
  const GRANT = { approved_by: ["bob"], merge_commit: "d".repeat(40), pr: 8, granted_at: "2026-11-21T10:00:00Z", expires_at: "2026-11-21T18:00:00Z" };
  it.each([
    ["scheduled (approved for a later start)", { status: "scheduled" as const, starts_at: SCHEDULED.starts_at, scheduled: SCHEDULED }],
    ["active", { status: "active" as const, grant: GRANT }],
  ])("a pull request still listed open whose request is already %s on the default branch is neither reminded nor closed", async (_n, record) => {
    const repo = repoWithPending();
    repo.commitFile(FILE, dumpRequest(testRequest({ id: ID, policy: testPolicy(), ...record })), "jit-access: record");
    const commits = repo.commits.length;
    for (const days of [3.5, 8]) {
      const r = await sweepUnapproved({ access: repo, config: config(), now: at(days) });
      expect(r.outcomes.map((o) => [o.result, o.message])).toEqual([["skipped", `${ID} is already ${record.status}`]]);
    }
    expect(repo.commits.length).toBe(commits);
    expect(repo.closedIssues).toEqual([]);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:proposed"]);
    expect(repo.comments.get(7)?.get(PENDING_MARKER)).toBeUndefined();
  });

  it("a pull request from a jit/ branch that a person opened is not the app's: never closed by the sweep", async () => {
    const repo = repoWithPending({ author: "mallory" });
    expect((await sweepUnapproved({ access: repo, config: config(), now: at(30) })).actions).toEqual([]);
    expect(repo.closedIssues).toEqual([]);
  });

  it("pending_ttl must be a duration", () => {
    const r = parseConfig(memoryRepoConfig(HOME) + "pending_ttl: 7 days\n");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems.map((p) => p.path)).toContain("pending_ttl");
  });
});
