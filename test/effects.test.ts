// The effect executor and its dry run, over every kind of effect: each has a line in
// describeEffects, and runEffects carries it out on the in-memory AccessRepo. The kinds intake
// added (branch, files on it, the PR, labels, the check and what follows it) keep their guards: a
// branch made meanwhile is a conflict, "the opened PR" needs an open-pull before it, and a check
// needs the PR check to be given.
import { describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { describeEffects, runEffects, type Effect } from "../src/lifecycle/effects.js";
import { ConflictError } from "../src/store/record-store.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { MemoryAccessRepo, blobSha, memoryRepoConfig } from "./support/memory-repo.js";

const BASE = "b".repeat(40);
const FILE = "access-requests/prod/2026/12-reports.yaml";

function repo(): MemoryAccessRepo {
  const r = new MemoryAccessRepo({ [CONFIG_PATH]: memoryRepoConfig(HOME) });
  r.branches.set("main", BASE);
  return r;
}

/** One effect of each kind, with the line a dry run prints for it and what running it leaves. */
const KINDS: Array<{ effect: Effect; line: string | RegExp; after: (r: MemoryAccessRepo) => unknown; expected: unknown }> = [
  {
    effect: { kind: "record", path: FILE, summary: "write it", update: () => ({ kind: "write", text: "x\n", message: "m" }) },
    line: `record ${FILE}: write it`,
    after: (r) => r.files.get(FILE),
    expected: "x\n",
  },
  {
    effect: { kind: "comment", issue: 12, marker: "<!-- m -->", body: "hi" },
    line: "comment on #12 (<!-- m -->)",
    after: (r) => r.comments.get(12)?.get("<!-- m -->"),
    expected: "hi",
  },
  { effect: { kind: "state", issue: 12, state: "proposed" }, line: "state of #12 → proposed", after: (r) => r.issueLabels.get(12), expected: ["jit:proposed"] },
  {
    effect: { kind: "close-issue", issue: 12, reason: "not_planned" },
    line: "close #12 as not planned",
    after: (r) => r.closedIssues,
    expected: [{ issue: 12, reason: "not_planned" }],
  },
  {
    effect: { kind: "check", check: { name: "jit-access/validate", headSha: BASE, conclusion: "success", title: "ok", summary: "" } },
    line: "check jit-access/validate on bbbbbbb: success (ok)",
    after: (r) => r.checks.length,
    expected: 1,
  },
  {
    effect: { kind: "pr-update", pr: 5, update: { title: "t", body: "b" } },
    line: "update PR #5 body and title",
    after: (r) => r.pullUpdates,
    expected: [{ pr: 5, title: "t", body: "b" }],
  },
  {
    effect: { kind: "create-branch", branch: "jit/12-reports", sha: BASE },
    line: "create branch jit/12-reports at bbbbbbb",
    after: (r) => r.branches.get("jit/12-reports"),
    expected: BASE,
  },
  {
    effect: { kind: "add-labels", issue: 12, labels: ["access-request"] },
    line: "label #12 access-request",
    after: (r) => r.issueLabels.get(12),
    expected: ["access-request"],
  },
  { effect: { kind: "ensure-labels" }, line: "create the app's missing labels", after: () => "done", expected: "done" },
  {
    effect: { kind: "open-pull", head: "jit/12-reports", base: "main", title: "Access request #12", body: "b", reviewers: ["bob"], teams: ["approvers"] },
    line: "open a PR from jit/12-reports into main: Access request #12; ask bob, team approvers to review",
    after: (r) => [r.createdPulls.length, r.reviewRequests],
    expected: [1, [{ pr: 100, reviewers: ["bob"], teams: ["approvers"] }]],
  },
];

describe("every effect kind", () => {
  it("the table holds each kind once, except the two that need a branch (below)", () => {
    // A Record over the union: the type checker fails this file when a kind is added and not listed.
    const ALL: Record<Effect["kind"], true> = {
      record: true,
      comment: true,
      state: true,
      "close-issue": true,
      notify: true,
      check: true,
      "pr-update": true,
      "branch-file": true,
      "create-branch": true,
      "delete-branch-file": true,
      "open-pull": true,
      "add-labels": true,
      "ensure-labels": true,
      "check-pull": true,
      "open-checked-pull": true,
    };
    const all = Object.keys(ALL);
    const covered = new Set([...KINDS.map((k) => k.effect.kind), "notify", "branch-file", "delete-branch-file", "check-pull", "open-checked-pull"]);
    expect([...covered].sort()).toEqual([...all].sort());
  });

  it.each(KINDS)("$effect.kind: one line in a dry run, carried out by runEffects", async ({ effect, line, after, expected }) => {
    expect(describeEffects([effect])).toEqual([
      expect.stringMatching(line instanceof RegExp ? line : new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)),
    ]);
    const r = repo();
    await runEffects([effect], { access: r });
    expect(after(r)).toEqual(expected);
  });

  it("a branch, a file on it, the old file removed, the PR opened, checked, and what follows the verdict", async () => {
    const r = repo();
    const effects: Effect[] = [
      { kind: "create-branch", branch: "jit/12-reports", sha: BASE },
      {
        kind: "branch-file",
        branch: "jit/12-reports",
        path: "access-requests/dev/2026/12-reports.yaml",
        text: "old\n",
        message: "old",
        expectedSha: undefined,
      },
      { kind: "delete-branch-file", branch: "jit/12-reports", path: "access-requests/dev/2026/12-reports.yaml", sha: blobSha("old\n"), message: "move" },
      { kind: "branch-file", branch: "jit/12-reports", path: FILE, text: "new\n", message: "propose", expectedSha: undefined },
      { kind: "open-pull", head: "jit/12-reports", base: "main", title: "t", body: "b", reviewers: [], teams: [] },
      {
        kind: "check-pull",
        pull: { pr: "opened", branch: "jit/12-reports", title: "t", body: "b", warnings: [] },
        then: ({ pr, ok }) => [{ kind: "comment", issue: 12, marker: "<!-- m -->", body: `#${pr} ${ok ? "passed" : "failed"}` }],
      },
    ];
    expect(describeEffects(effects).slice(-3)).toEqual([
      "run the PR check on the opened PR at the tip of jit/12-reports",
      "  if it passes: comment on #12 (<!-- m -->)",
      "  if it fails: comment on #12 (<!-- m -->)",
    ]);
    const checked: number[] = [];
    const done = await runEffects(effects, {
      access: r,
      checkPull: async (pull) => {
        checked.push(pull.pr);
        return false;
      },
    });
    expect(checked).toEqual([100]);
    expect(done).toMatchObject({ opened: [100], checked: [{ pr: 100, ok: false }] });
    expect(done.commits).toHaveLength(2);
    expect([...(r.refs.get("jit/12-reports") ?? new Map<string, string>()).keys()].filter((p) => p.startsWith("access-requests/"))).toEqual([FILE]);
    expect(r.comments.get(12)?.get("<!-- m -->")).toBe("#100 failed");
    expect(r.reviewRequests).toEqual([]);
  });

  it("a new PR opened once checked: the port checks and opens it, and the verdict's effects follow with its number", async () => {
    const r = repo();
    const effect: Extract<Effect, { kind: "open-checked-pull" }> = {
      kind: "open-checked-pull",
      pull: { branch: "jit/12-reports", base: "main", title: "t", body: "b", warnings: [], reviewers: ["bob"], teams: [] },
      then: ({ pr, ok }) => [{ kind: "comment", issue: 12, marker: "<!-- m -->", body: `#${pr} ${ok ? "passed" : "failed"}` }],
    };
    expect(describeEffects([effect])).toEqual([
      "run the PR check at the tip of jit/12-reports, then open a PR from it into main: t; ask bob to review",
      "  if it passes: comment on #12 (<!-- m -->)",
      "  if it fails: comment on #12 (<!-- m -->)",
    ]);
    await expect(runEffects([effect], { access: r })).rejects.toThrow(/no PR check was given to open it with/);
    const asked: unknown[] = [];
    const done = await runEffects([effect], {
      access: r,
      openCheckedPull: async (pull) => {
        asked.push(pull);
        return { pr: 7, ok: true };
      },
    });
    expect(asked).toEqual([effect.pull]);
    expect(done).toMatchObject({ opened: [7], checked: [{ pr: 7, ok: true }] });
    expect(r.comments.get(12)?.get("<!-- m -->")).toBe("#7 passed");
  });

  it("guards: a branch made meanwhile is a conflict; the opened PR needs an open-pull before it; a check needs the PR check", async () => {
    const r = repo();
    r.branches.set("jit/12-reports", BASE);
    await expect(runEffects([{ kind: "create-branch", branch: "jit/12-reports", sha: BASE }], { access: r })).rejects.toBeInstanceOf(ConflictError);
    const check: Extract<Effect, { kind: "check-pull" }> = {
      kind: "check-pull",
      pull: { pr: "opened", branch: "jit/12-reports", title: "t", body: null, warnings: [] },
      then: () => [],
    };
    await expect(runEffects([check], { access: r, checkPull: async () => true })).rejects.toThrow(/no open-pull effect ran before it/);
    await expect(runEffects([{ ...check, pull: { ...check.pull, pr: 5 } }], { access: r })).rejects.toThrow(/no PR check was given/);
  });
});
