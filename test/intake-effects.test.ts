// Intake as data: decideIssue reads (and drafts) and decides, writing nothing; every write — the
// branch, the request file, the pull request, the check, what the issue is told, the labels — is an
// effect, and the proposal's are decided purely from the branch's facts (proposalEffects).
// proposeFromIssue carries the same decision out, and a re-delivered or concurrent event opens no
// second pull request.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { decideIssue, intakePorts, proposeFromIssue, proposedEffects, type IssueInput } from "../src/github/intake.js";
import { proposalEffects, reviewersOf, type BranchFacts, type Proposal } from "../src/github/intake-decision.js";
import { MARKER } from "../src/github/messages.js";
import type { Comparison } from "../src/lifecycle/ports.js";
import { describeEffects, runEffects, type Effect } from "../src/lifecycle/effects.js";
import { ConflictError } from "../src/store/record-store.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const CONFIG = memoryRepoConfig(HOME);
const BASE = "b".repeat(40);
const NOW = new Date("2026-11-27T10:00:00Z");
const APP = "jit-access[bot]";
const FILE = "access-requests/prod/2026/12-reports.yaml";
const BODY = [
  "### Account\n\nprod",
  "### Service\n\ns3",
  "### Resources\n\nfinancial-reports",
  "### Access levels\n\n- [X] read\n- [X] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
  "### Exact actions (optional)\n\n_No response_",
  "### Duration\n\n2h",
  "### Reason\n\nQuarter-end reconciliation",
  "### Description (optional)\n\n_No response_",
].join("\n\n");
const OPENED = { action: "opened", bodyChanged: false };

type Setup = (repo: MemoryAccessRepo) => void;
function repoWith(body: string, setup: Setup = () => {}, labels = ["access-request"]): { repo: MemoryAccessRepo; issue: IssueInput } {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG });
  repo.branches.set("main", BASE);
  repo.issueTexts.set(12, { body, editor: null });
  repo.issueLabels.set(12, ["access-request"]);
  setup(repo);
  // The default branch's files are its tip's, as on GitHub.
  repo.setRef(BASE, Object.fromEntries(repo.files));
  const issue = {
    number: 12,
    title: "Access request: reports",
    body,
    author: { login: "alice", type: "User" },
    createdAt: "2026-11-27T09:00:00Z",
    labels,
  };
  return { repo, issue };
}

/** Everything the memory repo records as written. */
const writes = (repo: MemoryAccessRepo) =>
  JSON.stringify({
    comments: [...repo.comments].map(([n, m]) => [n, [...m]]),
    labels: [...repo.issueLabels],
    branches: [...repo.branches],
    pulls: repo.createdPulls,
    reviews: repo.reviewRequests,
    updates: repo.pullUpdates,
    checks: repo.checks,
    refs: [...repo.refs].map(([ref, files]) => [ref, [...files]]),
    files: [...repo.files],
  });

const LABELS = "create the app's missing labels";
const TOLD = [LABELS, `comment on #12 (${MARKER.intake})`, "state of #12 → invalid"];
const CASES: Array<{ name: string; body: string; setup?: Setup; outcome: string; lines: string[]; codes?: string[] }> = [
  {
    name: "someone else edited the text: refused, told, invalid",
    body: BODY,
    setup: (r) => r.issueTexts.set(12, { body: BODY, editor: "mallory" }),
    outcome: "refused",
    lines: TOLD,
  },
  {
    name: "a form without an account: invalid, told",
    body: BODY.replace("### Account\n\nprod", "### Account\n\n_No response_"),
    outcome: "invalid",
    lines: TOLD,
  },
  {
    name: "the config does not parse: invalid, told",
    body: BODY,
    setup: (r) => r.files.set(CONFIG_PATH, "aws: ["),
    outcome: "invalid",
    lines: TOLD,
  },
  {
    name: "the request is already recorded: a comment only",
    body: BODY,
    setup: (r) => r.files.set(FILE, dumpRequest({ ...testRequest({ id: "12-reports", duration: "2h", policy: testPolicy() }), status: "active" }, "active")),
    outcome: "ignored",
    lines: [LABELS, `comment on #12 (${MARKER.intake})`],
  },
  {
    name: "someone else's PR is open from the branch: refused, told, invalid",
    body: BODY,
    setup: (r) =>
      r.openPullList.push({
        number: 5,
        title: "mine",
        body: null,
        user: { login: "mallory", type: "User" },
        head: { ref: "jit/12-reports", sha: "e".repeat(40), repoFullName: "acme/access" },
      }),
    outcome: "refused",
    lines: TOLD,
  },
  {
    name: "the branch has a commit the app did not make: refused, told, invalid",
    body: BODY,
    setup: (r) => {
      r.branches.set("jit/12-reports", "f".repeat(40));
      r.comparisons.set("main...jit/12-reports", {
        aheadBy: 1,
        commits: [{ sha: "f".repeat(40), author: "mallory", committer: "mallory", authorName: "Mallory" }],
        files: [{ filename: FILE, status: "added", sha: "1".repeat(40) }],
      });
    },
    outcome: "refused",
    lines: TOLD,
  },
  {
    name: "the text changed after the event: nothing",
    body: BODY,
    setup: (r) => r.issueTexts.set(12, { body: `${BODY}\n`, editor: null }),
    outcome: "ignored",
    lines: [],
  },
];

const TITLE = "Access request #12: alice → prod (s3 read/list, 2h)";
/** What a new request's proposal does, in order; the check's verdict picks the issue's state. */
const PROPOSE_NEW = [
  LABELS,
  `create branch jit/12-reports at ${BASE.slice(0, 7)}`,
  `write ${FILE} on jit/12-reports: jit-access: propose 12-reports (issue #12)`,
  `run the PR check at the tip of jit/12-reports, then open a PR from it into main: ${TITLE}; ask bob, dave to review`,
  `  if it passes: comment on #12 (${MARKER.intake})`,
  "  if it passes: state of #12 → proposed",
  "  if it passes: notify: opened 12-reports",
  `  if it fails: comment on #12 (${MARKER.intake})`,
  "  if it fails: state of #12 → blocked",
  "  if it fails: notify: opened 12-reports",
];

const decide = (repo: MemoryAccessRepo, issue: IssueInput) => decideIssue(repo, issue, { now: NOW, appLogin: APP, event: OPENED });
const propose = (repo: MemoryAccessRepo, issue: IssueInput) => proposeFromIssue(repo, issue, { now: NOW, appLogin: APP, event: OPENED });

describe("decideIssue", () => {
  it.each(CASES)("$name", async ({ body, setup, outcome, lines }) => {
    const { repo, issue } = repoWith(body, setup);
    const before = writes(repo);
    const decision = await decide(repo, issue);
    expect(writes(repo)).toBe(before);
    expect(decision.kind).toBe("done");
    if (decision.kind !== "done") return;
    expect(decision.outcome.kind).toBe(outcome);
    expect(describeEffects(decision.effects)).toEqual(lines);
  });

  it("an invalid form's problems carry codes", async () => {
    const { repo, issue } = repoWith(BODY.replace("### Duration\n\n2h", "### Duration\n\nforever"));
    const decision = await decide(repo, issue);
    expect(decision.kind === "done" && decision.outcome.kind === "invalid" ? codesOf(decision.outcome.problems).length : 0).toBeGreaterThan(0);
  });

  it("a valid issue is the whole proposal as effects — branch, file, PR, check, what the issue is told — with nothing written yet", async () => {
    const { repo, issue } = repoWith(BODY);
    const before = writes(repo);
    const decision = await decide(repo, issue);
    expect(writes(repo)).toBe(before);
    expect(decision).toMatchObject({ kind: "propose", proposal: { branch: "jit/12-reports", file: FILE, existing: undefined } });
    expect(decision.kind === "propose" ? decision.proposal.fileText : "").toContain("generator: builtin/1");
    expect(describeEffects(decision.effects)).toEqual(PROPOSE_NEW);
  });

  it("an issue recognised by its form alone is labelled last", async () => {
    const { repo, issue } = repoWith(BODY, () => {}, []);
    const decision = await decide(repo, issue);
    expect(describeEffects(decision.effects)).toEqual([...PROPOSE_NEW, "label #12 access-request"]);
    const refused = repoWith(BODY, (r) => r.issueTexts.set(12, { body: BODY, editor: "mallory" }), []);
    expect(describeEffects((await decide(refused.repo, refused.issue)).effects)).toEqual([...TOLD, "label #12 access-request"]);
  });

  it("proposeFromIssue writes exactly what the decision's effects write, for every case and a proposal", async () => {
    const all: typeof CASES = [...CASES, { name: "valid", body: BODY, outcome: "opened", lines: [] }];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...all), async (c) => {
        const opts = { now: NOW, appLogin: APP, event: OPENED };
        const a = repoWith(c.body, c.setup);
        const decision = await decideIssue(a.repo, a.issue, opts);
        await runEffects(decision.effects, intakePorts(a.repo, decision, opts));
        const b = repoWith(c.body, c.setup);
        const outcome = await proposeFromIssue(b.repo, b.issue, opts);
        expect(outcome.kind).toBe(c.outcome);
        expect(writes(b.repo)).toBe(writes(a.repo));
      }),
      { numRuns: 16 },
    );
  });
});

describe("proposeFromIssue: idempotent and safe under concurrent deliveries", () => {
  it("a re-delivered event updates the same PR: no second PR, no second notification, the file not rewritten", async () => {
    const { repo, issue } = repoWith(BODY);
    const first = await propose(repo, issue);
    expect(first).toMatchObject({ kind: "opened", pr: 100, branch: "jit/12-reports", file: FILE });
    expect(repo.issueLabels.get(12)).toEqual(["access-request", "jit:proposed"]);
    const tip = repo.branches.get("jit/12-reports");
    const again = await decide(repo, issue);
    expect(describeEffects(again.effects)).toEqual([
      LABELS,
      "run the PR check on PR #100 at the tip of jit/12-reports",
      `  if it passes: comment on #12 (${MARKER.intake})`,
      "  if it passes: state of #12 → proposed",
      `  if it fails: comment on #12 (${MARKER.intake})`,
      "  if it fails: state of #12 → blocked",
    ]);
    expect(await propose(repo, issue)).toMatchObject({ kind: "updated", pr: 100 });
    expect(repo.createdPulls).toHaveLength(1);
    expect(repo.branches.get("jit/12-reports")).toBe(tip);
    expect(repo.issueLabels.get(12)).toEqual(["access-request", "jit:proposed"]);
  });

  it("a delivery that finds the branch made meanwhile (by a concurrent delivery, with its PR) decides again and updates that PR", async () => {
    const { repo, issue } = repoWith(BODY);
    const create = repo.createBranch.bind(repo);
    let raced = 0;
    repo.createBranch = async (branch, sha) => {
      if (raced++ === 0) {
        // The other delivery gets in first: the branch, the file, its PR.
        await propose(repo, issue);
      }
      return create(branch, sha);
    };
    const out = await propose(repo, issue);
    expect(out).toMatchObject({ kind: "updated", pr: 100 });
    expect(repo.createdPulls).toHaveLength(1);
  });

  it("a conflict that persists is thrown after the second attempt with the branch read, not retried for ever", async () => {
    const { repo, issue } = repoWith(BODY);
    let attempts = 0;
    const reads: string[] = [];
    const tip = repo.branchTip.bind(repo);
    repo.branchTip = (branch) => (reads.push(branch), tip(branch));
    repo.createBranch = async () => {
      attempts++;
      return false;
    };
    await expect(propose(repo, issue)).rejects.toBeInstanceOf(ConflictError);
    // The first creation stood for the look-up; two more attempts read the branch first.
    expect(attempts).toBe(3);
    expect(reads.filter((b) => b === "jit/12-reports")).toHaveLength(2);
    expect(repo.createdPulls).toEqual([]);
  });

  it("a new request's branch is not read before it is made: creating it is the look-up", async () => {
    const { repo, issue } = repoWith(BODY);
    const calls: string[] = [];
    const tip = repo.branchTip.bind(repo);
    repo.branchTip = (branch) => (calls.push(`read ${branch}`), tip(branch));
    const create = repo.createBranch.bind(repo);
    repo.createBranch = (branch, sha) => (calls.push(`create ${branch}`), create(branch, sha));
    expect(await propose(repo, issue)).toMatchObject({ kind: "opened", pr: 100 });
    expect(calls.slice(0, calls.indexOf("create jit/12-reports"))).not.toContain("read jit/12-reports");
  });

  it("a delivery that failed after making the branch and writing the file, before the PR, is redelivered: one branch, the file kept, one PR", async () => {
    const { repo, issue } = repoWith(BODY);
    const create = repo.createPull.bind(repo);
    let crash = true;
    repo.createPull = async (pull) => {
      if (crash) {
        crash = false;
        throw Object.assign(new Error("Bad Gateway"), { status: 502 });
      }
      return create(pull);
    };
    await expect(propose(repo, issue)).rejects.toThrow("Bad Gateway");
    expect(repo.createdPulls).toEqual([]);
    const tip = repo.branches.get("jit/12-reports");
    expect(tip).toBeDefined();
    const file = repo.refs.get("jit/12-reports")?.get(FILE);
    expect(file).toContain("12-reports");
    // The redelivery: creating the branch is refused (it exists), so it is read, vetted and used.
    expect(await propose(repo, issue)).toMatchObject({ kind: "opened", pr: 100, branch: "jit/12-reports" });
    expect(repo.createdPulls).toHaveLength(1);
    expect(repo.branches.get("jit/12-reports")).toBe(tip);
    expect(repo.refs.get("jit/12-reports")?.get(FILE)).toBe(file);
    expect(repo.issueLabels.get(12)).toEqual(["access-request", "jit:proposed"]);
  });
});

describe("proposalEffects (pure): the branch's facts decide the writes", () => {
  const cfg = parseConfig(CONFIG);
  if (!cfg.ok) throw new Error("test config");
  const request = testRequest({ id: "12-reports", duration: "2h" });
  const plan = planRequest(loadCatalogue(), { request, config: cfg.value, accountId: HOME, now: NOW, durationSeconds: 7200 });
  const TEXT = "the request file\n";
  const proposal = (existing: boolean): Proposal => ({
    request,
    warnings: [],
    config: cfg.value,
    plan,
    file: FILE,
    fileText: TEXT,
    branch: "jit/12-reports",
    existing: existing ? { number: 100, id: "12-reports", title: "t", body: null } : undefined,
  });
  const OPTS = { appLogin: APP, owner: "acme", defaultBranch: "main" };
  const byApp = { sha: "a".repeat(40), author: APP, committer: APP, authorName: undefined };
  const compared = (commits: Comparison["commits"], files: Comparison["files"], aheadBy = commits.length): Comparison => ({ aheadBy, commits, files });
  const mine = (path = FILE) => ({ filename: path, status: "added", sha: "1".repeat(40) });
  const kinds = (effects: Effect[]) => effects.map((e) => e.kind);
  const isCheck = (k: string) => k === "check-pull" || k === "open-checked-pull";

  const TABLE: Array<{ name: string; branch: BranchFacts; existing: boolean; kinds: string[] }> = [
    {
      name: "no branch, no file",
      branch: { kind: "absent", base: BASE, current: undefined },
      existing: false,
      kinds: ["create-branch", "branch-file", "open-checked-pull"],
    },
    {
      name: "no branch, the same file on the default branch",
      branch: { kind: "absent", base: BASE, current: { text: TEXT, sha: "1".repeat(40) } },
      existing: false,
      kinds: ["create-branch", "open-checked-pull"],
    },
    {
      name: "the app's branch and PR, same file",
      branch: { kind: "present", comparison: compared([byApp], [mine()]), current: { text: TEXT, sha: "1".repeat(40) } },
      existing: true,
      kinds: ["check-pull"],
    },
    {
      name: "the app's branch and PR, edited file",
      branch: { kind: "present", comparison: compared([byApp], [mine()]), current: { text: "older\n", sha: "1".repeat(40) } },
      existing: true,
      kinds: ["branch-file", "check-pull"],
    },
    {
      name: "the app's branch, no PR (a delivery that failed after the file)",
      branch: { kind: "present", comparison: compared([byApp], [mine()]), current: { text: TEXT, sha: "1".repeat(40) } },
      existing: false,
      kinds: ["open-checked-pull"],
    },
    {
      name: "the app's branch with the request in another account's folder",
      branch: { kind: "present", comparison: compared([byApp], [mine("access-requests/dev/2026/12-reports.yaml")]), current: undefined },
      existing: true,
      kinds: ["delete-branch-file", "branch-file", "check-pull"],
    },
    {
      name: "a commit by someone else",
      branch: { kind: "present", comparison: compared([{ ...byApp, author: "mallory" }], [mine()]), current: undefined },
      existing: true,
      kinds: ["comment", "state"],
    },
    {
      name: "committed through the web by someone else",
      branch: { kind: "present", comparison: compared([{ ...byApp, author: "mallory", committer: "web-flow" }], [mine()]), current: undefined },
      existing: false,
      kinds: ["comment", "state"],
    },
    {
      name: "another file changed",
      branch: {
        kind: "present",
        comparison: compared([byApp], [mine(), { filename: ".github/jit-access.yml", status: "modified", sha: "2".repeat(40) }]),
        current: undefined,
      },
      existing: true,
      kinds: ["comment", "state"],
    },
    {
      name: "more commits than listed",
      branch: { kind: "present", comparison: compared([byApp], [mine()], 300), current: undefined },
      existing: true,
      kinds: ["comment", "state"],
    },
  ];

  it.each(TABLE)("$name → $kinds", ({ branch, existing, kinds: expected }) => {
    const decision = proposalEffects(12, proposal(existing), branch, OPTS);
    expect(kinds(decision.effects)).toEqual(expected);
    expect(decision.kind).toBe(expected.some(isCheck) ? "propose" : "done");
  });

  const login = fc.constantFrom(APP, "JIT-ACCESS[BOT]", "mallory", undefined);
  const file = fc.constantFrom(
    FILE,
    "access-requests/dev/2026/12-reports.yaml",
    "access-requests/prod/2026/13-other.yaml",
    ".github/jit-access.yml",
    "README.md",
  );
  const comparison = fc
    .record({
      commits: fc.array(
        fc.record({
          sha: fc.constant("a".repeat(40)),
          author: login,
          committer: fc.constantFrom(APP, "web-flow", "mallory", undefined),
          authorName: fc.constant(undefined),
        }),
        { maxLength: 3 },
      ),
      files: fc.array(fc.record({ filename: file, status: fc.constantFrom("added", "modified", "removed", "renamed"), sha: fc.constant("3".repeat(40)) }), {
        maxLength: 3,
      }),
      extra: fc.nat(2),
    })
    .map(({ commits, files, extra }): Comparison => ({ aheadBy: commits.length + extra, commits, files }));
  const facts: fc.Arbitrary<BranchFacts> = fc.oneof(
    fc.record({
      kind: fc.constant("absent" as const),
      base: fc.constant(BASE),
      current: fc.option(fc.record({ text: fc.constantFrom(TEXT, "x\n"), sha: fc.constant("1".repeat(40)) }), { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant("present" as const),
      comparison,
      current: fc.option(fc.record({ text: fc.constantFrom(TEXT, "x\n"), sha: fc.constant("1".repeat(40)) }), { nil: undefined }),
    }),
  );

  it("over any branch: refused with nothing written, or the writes in order on the request's branch only, one check last", () => {
    fc.assert(
      fc.property(facts, fc.boolean(), (branch, existing) => {
        const decision = proposalEffects(12, proposal(existing), branch, OPTS);
        const ks = kinds(decision.effects);
        if (decision.kind === "done") {
          expect(ks).toEqual(["comment", "state"]);
          expect(branch.kind).toBe("present");
          return;
        }
        // A branch someone else touched is never proposed from.
        if (branch.kind === "present") {
          const c = branch.comparison;
          expect(c.aheadBy).toBe(c.commits.length);
          expect(c.commits.every((x) => x.author?.toLowerCase() === APP && x.committer !== "mallory" && x.committer !== undefined)).toBe(true);
          expect(c.files.every((f) => f.filename.endsWith("/12-reports.yaml"))).toBe(true);
        }
        const order = ["create-branch", "delete-branch-file", "branch-file", "check-pull", "open-checked-pull"];
        expect([...ks].sort((a, b) => order.indexOf(a) - order.indexOf(b))).toEqual(ks);
        // One check, last: on the existing PR, or before the new PR opens.
        expect(ks.at(-1)).toBe(existing ? "check-pull" : "open-checked-pull");
        expect(ks.filter(isCheck)).toHaveLength(1);
        expect(ks.includes("create-branch")).toBe(branch.kind === "absent");
        expect(ks.includes("open-pull")).toBe(false);
        expect(ks.includes("branch-file")).toBe(branch.current?.text !== TEXT);
        for (const e of decision.effects) {
          if (e.kind === "create-branch" || e.kind === "branch-file" || e.kind === "delete-branch-file") expect(e.branch).toBe("jit/12-reports");
          if (e.kind === "delete-branch-file") expect(e.path).not.toBe(FILE);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("proposedEffects", () => {
  const cfg = parseConfig(CONFIG);
  if (!cfg.ok) throw new Error("test config");
  const request = testRequest({ id: "12-reports", duration: "2h" });
  const plan = planRequest(loadCatalogue(), { request, config: cfg.value, accountId: HOME, now: NOW, durationSeconds: 7200 });
  it.each([
    { ok: true, existing: false, lines: ["comment on #12 (<!-- jit-access:intake -->)", "state of #12 → proposed", "notify: opened 12-reports"] },
    { ok: false, existing: false, lines: ["comment on #12 (<!-- jit-access:intake -->)", "state of #12 → blocked", "notify: opened 12-reports"] },
    { ok: true, existing: true, lines: ["comment on #12 (<!-- jit-access:intake -->)", "state of #12 → proposed"] },
    { ok: false, existing: true, lines: ["comment on #12 (<!-- jit-access:intake -->)", "state of #12 → blocked"] },
  ])("check ok $ok, PR existing $existing: approvers are told only of a new PR", ({ ok, existing, lines }) => {
    const effects = proposedEffects(12, 100, ok, {
      request,
      config: cfg.value,
      plan,
      existing: existing ? { number: 100, id: "12-reports", title: "", body: null } : undefined,
    });
    expect(describeEffects(effects)).toEqual(lines);
  });
});

describe("reviewersOf: who a new request PR asks for a review", () => {
  const approvers = ["bob", "Dave", "@acme/security", "@other-org/team", "erin"];
  it.each([
    { codeowners: [], reviewers: ["bob", "Dave", "erin"], teams: ["security"] },
    { codeowners: ["@bob", "@dave"], reviewers: ["erin"], teams: ["security"] },
    { codeowners: ["@BOB", "@Acme/Security"], reviewers: ["Dave", "erin"], teams: [] },
    { codeowners: ["@bob", "@dave", "@erin", "@acme/security"], reviewers: [], teams: [] },
  ])("code owners $codeowners are asked by GitHub itself, not again", ({ codeowners, reviewers, teams }) => {
    expect(reviewersOf({ approvers }, "alice", "acme", codeowners)).toEqual({ reviewers, teams });
  });

  it("over any approvers and code owners: never the requester, never a code owner, every other approver of the owner's org", () => {
    const login = fc.constantFrom("alice", "ALICE", "bob", "Bob", "dave", "erin");
    const team = fc.constantFrom("@acme/sec", "@ACME/ops", "@other/sec");
    fc.assert(
      fc.property(
        fc.array(fc.oneof(login, team), { maxLength: 6 }),
        fc.array(
          fc.oneof(
            login.map((l) => `@${l}`),
            team,
          ),
          { maxLength: 4 },
        ),
        (apps, owners) => {
          const { reviewers, teams } = reviewersOf({ approvers: apps }, "alice", "acme", owners);
          const owned = new Set(owners.map((o) => o.slice(1).toLowerCase()));
          for (const r of reviewers) {
            expect(r.toLowerCase()).not.toBe("alice");
            expect(owned.has(r.toLowerCase())).toBe(false);
          }
          for (const t of teams) expect(owned.has(`acme/${t}`.toLowerCase())).toBe(false);
          for (const a of apps) {
            if (!a.startsWith("@") && a.toLowerCase() !== "alice" && !owned.has(a.toLowerCase())) expect(reviewers).toContain(a);
            if (a.startsWith("@acme/") && !owned.has(a.slice(1).toLowerCase())) expect(teams).toContain(a.split("/")[1]);
          }
        },
      ),
    );
  });
});
