// The PR check as data: decidePull reads and decides, writing nothing; checkPull is that decision
// carried out by runEffects. A dry run of a check is describeEffects of its decision.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { checkPull, decidePull, type PrRef } from "../src/github/pr-check.js";
import { describeEffects, runEffects } from "../src/lifecycle/effects.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const CONFIG = memoryRepoConfig(HOME);
const ID = "70-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const NOW = new Date("2026-11-27T10:00:00Z");
const APP = "jit-access[bot]";
const PROPOSED = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy() }), "proposed");
const { policy: _dropped, ...unplanned } = testRequest({ id: ID, duration: "2h" });
const NO_POLICY = dumpRequest(unplanned, "proposed");
const ACTIVE = dumpRequest({ ...testRequest({ id: ID, duration: "2h", policy: testPolicy() }), status: "active" }, "active");

function repoWith(files: Array<{ path: string; text: string }>): MemoryAccessRepo {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG });
  repo.branches.set("main", BASE);
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  const head = Object.fromEntries(files.map((f) => [f.path, f.text]));
  repo.setRef(HEAD, head);
  repo.setRef(`jit/${ID}`, head);
  repo.pulls.set(71, { number: 71, files: files.map((f) => ({ path: f.path, status: "added", previousPath: null, sha: null })), commits: [], reviews: [] });
  return repo;
}
const appPr: PrRef = {
  number: 71,
  headSha: HEAD,
  headRef: `jit/${ID}`,
  baseRef: "main",
  sameRepo: true,
  author: { login: APP, type: "Bot" },
  title: "",
  body: "",
};
const userPr: PrRef = { ...appPr, headRef: "alice/reports", author: { login: "alice", type: "User" } };

/** Everything the memory repo records as written. */
const writes = (repo: MemoryAccessRepo) => JSON.stringify({ checks: repo.checks, pulls: repo.pullUpdates, branches: [...repo.branches], refs: repo.refs.size });

const CASES: Array<{ name: string; files: Array<{ path: string; text: string }>; pr: PrRef; lines: RegExp[]; outcome: string }> = [
  {
    name: "the app's valid request PR: description, then a passing check",
    files: [{ path: FILE, text: PROPOSED }],
    pr: appPr,
    lines: [/^update PR #71 body and title$/, /^check jit-access\/validate on ccccccc: success \(/],
    outcome: "checked",
  },
  {
    name: "a user's valid request PR: the check only",
    files: [{ path: FILE, text: PROPOSED }],
    pr: userPr,
    lines: [/^check jit-access\/validate on ccccccc: success \(/],
    outcome: "checked",
  },
  {
    name: "a PR setting status: the invalid description, then a failing check",
    files: [{ path: FILE, text: ACTIVE }],
    pr: appPr,
    lines: [/^update PR #71 body$/, /^check jit-access\/validate on ccccccc: failure \(Invalid request: 1 problem\(s\)\)$/],
    outcome: "checked",
  },
  {
    name: "the app's PR without a policy: the policy committed to its branch, then a failing check",
    files: [{ path: FILE, text: NO_POLICY }],
    pr: appPr,
    lines: [
      /^write access-requests\/prod\/2026\/70-financial-reports\.yaml on jit\/70-financial-reports: jit-access: add the generated policy/,
      /: failure \(Policy generated\)$/,
    ],
    outcome: "policy-added",
  },
  {
    name: "a PR touching no request file: a neutral check",
    files: [{ path: "README.md", text: "hi" }],
    pr: userPr,
    lines: [/^check jit-access\/validate on ccccccc: neutral \(No access request in this pull request\)$/],
    outcome: "no-request",
  },
];

describe("decidePull", () => {
  it.each(CASES)("$name", async ({ files, pr, lines, outcome }) => {
    const repo = repoWith(files);
    const before = writes(repo);
    const decision = await decidePull(repo, pr, { now: NOW, appLogin: APP });
    expect(writes(repo)).toBe(before);
    expect(decision.outcome.kind).toBe(outcome);
    const printed = describeEffects(decision.effects);
    expect(printed).toHaveLength(lines.length);
    printed.forEach((line, i) => expect(line).toMatch(lines[i]!));
  });

  it("outside an access repository decides nothing", async () => {
    const repo = repoWith([{ path: "README.md", text: "hi" }]);
    repo.files.delete(CONFIG_PATH);
    expect(await decidePull(repo, userPr, { now: NOW, appLogin: APP })).toEqual({ outcome: { kind: "ignored" }, effects: [] });
  });

  it("checkPull writes exactly what its decision's effects write, for any PR shape", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CASES), fc.boolean(), fc.constantFrom("", "old body"), async (c, mine, body) => {
        const pr = { ...(mine ? appPr : userPr), body };
        const viaEffects = repoWith(c.files);
        const decision = await decidePull(viaEffects, pr, { now: NOW, appLogin: APP });
        await runEffects(decision.effects, { access: viaEffects });
        const direct = repoWith(c.files);
        const outcome = await checkPull(direct, pr, { now: NOW, appLogin: APP });
        expect(writes(direct)).toBe(writes(viaEffects));
        expect(outcome.kind).toBe(decision.outcome.kind);
        expect(direct.checks).toHaveLength(1);
      }),
      { numRuns: 30 },
    );
  });
});
