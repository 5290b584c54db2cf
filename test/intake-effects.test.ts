// Intake as data: decideIssue reads (and drafts) and decides, writing nothing; what it tells the
// issue is a list of effects, and a request to propose names its branch and file. proposeFromIssue
// carries the same decision out.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { decideIssue, proposeFromIssue, proposedEffects, type IssueInput } from "../src/github/intake.js";
import { describeEffects, runEffects } from "../src/lifecycle/effects.js";
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
function repoWith(body: string, setup: Setup = () => {}): { repo: MemoryAccessRepo; issue: IssueInput } {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG });
  repo.branches.set("main", BASE);
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.issueTexts.set(12, { body, editor: null });
  repo.issueLabels.set(12, ["access-request"]);
  setup(repo);
  const issue = {
    number: 12,
    title: "Access request: reports",
    body,
    author: { login: "alice", type: "User" },
    createdAt: "2026-11-27T09:00:00Z",
    labels: ["access-request"],
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
    checks: repo.checks,
    refs: repo.refs.size,
    files: [...repo.files],
  });

const TOLD = ["comment on #12 (<!-- jit-access:intake -->)", "state of #12 → invalid"];
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
    lines: ["comment on #12 (<!-- jit-access:intake -->)"],
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
    name: "the text changed after the event: nothing",
    body: BODY,
    setup: (r) => r.issueTexts.set(12, { body: `${BODY}\n`, editor: null }),
    outcome: "ignored",
    lines: [],
  },
];

describe("decideIssue", () => {
  it.each(CASES)("$name", async ({ body, setup, outcome, lines }) => {
    const { repo, issue } = repoWith(body, setup);
    const before = writes(repo);
    const decision = await decideIssue(repo, issue, { now: NOW, appLogin: APP, event: OPENED });
    expect(writes(repo)).toBe(before);
    expect(decision.kind).toBe("done");
    if (decision.kind !== "done") return;
    expect(decision.outcome.kind).toBe(outcome);
    expect(describeEffects(decision.effects)).toEqual(lines);
  });

  it("an invalid form's problems carry codes", async () => {
    const { repo, issue } = repoWith(BODY.replace("### Duration\n\n2h", "### Duration\n\nforever"));
    const decision = await decideIssue(repo, issue, { now: NOW, appLogin: APP, event: OPENED });
    expect(decision.kind === "done" && decision.outcome.kind === "invalid" ? codesOf(decision.outcome.problems).length : 0).toBeGreaterThan(0);
  });

  it("a valid issue is a proposal of its branch and file, with nothing written yet", async () => {
    const { repo, issue } = repoWith(BODY);
    const before = writes(repo);
    const decision = await decideIssue(repo, issue, { now: NOW, appLogin: APP, event: OPENED });
    expect(writes(repo)).toBe(before);
    expect(decision).toMatchObject({ kind: "propose", branch: "jit/12-reports", file: FILE, existing: undefined });
    expect(decision.kind === "propose" ? decision.fileText : "").toContain("generator: builtin/1");
  });

  it("proposeFromIssue writes exactly what a done decision's effects write", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CASES), async (c) => {
        const a = repoWith(c.body, c.setup);
        const decision = await decideIssue(a.repo, a.issue, { now: NOW, appLogin: APP, event: OPENED });
        if (decision.kind === "done") await runEffects(decision.effects, { access: a.repo });
        const b = repoWith(c.body, c.setup);
        const outcome = await proposeFromIssue(b.repo, b.issue, { now: NOW, appLogin: APP, event: OPENED });
        expect(outcome.kind).toBe(c.outcome);
        expect(writes(b.repo)).toBe(writes(a.repo));
      }),
      { numRuns: 12 },
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
