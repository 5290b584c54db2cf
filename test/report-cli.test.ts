// `jit-access report` end to end: a real git repository (temp folder) with a request proposed on
// a branch, merged with --no-ff, granted and revoked, with fixed commit dates; then the CLI reads
// the files and `git log` and prints the numbers.
// Also run under Node 24 (NODE24 in vitest.config.ts): the CLI and git in subprocesses.
// @module-tag node24
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitMessage, recordGrant, recordGrantFailed, recordRejected } from "../src/domain/records.js";
import { describeProblem } from "../src/domain/problems.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { runCli } from "./support/cli.js";
import { createGitRepo, recordPath, type GitRepo } from "./support/git-repo.js";

let dir: string;
const FILE = "access-requests/prod/2026/12-logs.yaml";

function git(args: string[], date?: string): string {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: "0", ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) };
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", env });
}
function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

const base: AccessRequest = {
  version: 1,
  id: "12-logs",
  requester: "alice",
  account: "prod",
  duration: "2h",
  reason: "Read the logs <!channel>",
  request: [{ service: "logs", access: ["read"], resources: ["app"] }],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jit-report-"));
  git(["init", "--quiet", "--initial-branch=main"]);
  git(["config", "user.name", "Report Test"]);
  git(["config", "user.email", "report@example.com"]);
  git(["config", "commit.gpgsign", "false"]);
  write(".github/jit-access.yml", 'aws:\n  accounts:\n    prod: "111122223333"\n');
  write("access-requests/README.md", "records\n");
  git(["add", "-A"]);
  git(["commit", "--quiet", "-m", "init"], "2026-11-01T00:00:00Z");
  git(["checkout", "--quiet", "-b", "jit/12-logs"]);
  write(FILE, dumpRequest(base, "proposed"));
  git(["add", "-A"]);
  git(["commit", "--quiet", "-m", "jit-access: propose 12-logs (issue #12)"], "2026-11-20T09:00:00Z");
  git(["checkout", "--quiet", "main"]);
  git(["merge", "--quiet", "--no-ff", "-m", "Merge pull request #13 from acme/jit/12-logs", "jit/12-logs"], "2026-11-20T09:45:00Z");
  const merge = git(["rev-parse", "HEAD"]).trim();
  const granted: AccessRequest = {
    ...base,
    status: "active",
    grant: { approved_by: ["bob"], merge_commit: merge, pr: 13, granted_at: "2026-11-20T09:45:30Z", expires_at: "2026-11-20T11:45:00Z" },
  };
  write(FILE, dumpRequest(granted, "granted"));
  git(["add", "-A"]);
  git(
    [
      "commit",
      "--quiet",
      "-m",
      commitMessage("jit-access: grant 12-logs until 2026-11-20T11:45:00Z", `Merged in ${merge}; risk low.`, {
        "Request-Id": "12-logs",
        "Approved-By": ["bob"],
        "Expires-At": "2026-11-20T11:45:00Z",
      }),
    ],
    "2026-11-20T09:45:31Z",
  );
  write(FILE, dumpRequest({ ...granted, status: "revoked", closed: { at: "2026-11-20T10:15:30Z", reason: "done", by: "alice" } }, "revoked"));
  git(["add", "-A"]);
  git(
    ["commit", "--quiet", "-m", commitMessage("jit-access: revoke 12-logs", "Revoked early by alice: done", { "Request-Id": "12-logs", "Closed-By": "alice" })],
    "2026-11-20T10:15:31Z",
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("jit-access report", () => {
  it("reads the files and git history (json)", async () => {
    const r = await runCli(["report", "--format", "json"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.totals).toMatchObject({ requests: 1, grants: 1, active_now: 0, by_status: { revoked: 1 } });
    // Proposed 09:00 (branch commit), merged 09:45 (the merge commit), granted 09:45:30.
    expect(report.timing.request_to_approval).toMatchObject({ count: 1, median: 2700 });
    expect(report.timing.approval_to_grant).toMatchObject({ count: 1, median: 30 });
    expect(report.durations).toMatchObject({ early_revokes: 1, asked_seconds: 7200, used_seconds: 1800 });
    expect(report.riskiest[0]).toMatchObject({ id: "12-logs", risk: "low", risk_source: "grant-commit" });
    expect(report.notes).toEqual([]);
  });

  it("writes html to --out and filters by --since", async () => {
    const r = await runCli(["report", "--format", "html", "--out", "report.html", "--since", "2026-12-01"], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("wrote the html report (0 requests, 0 grants) to report.html");
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("requests since 2026-12-01T00:00:00Z");
    expect(html).not.toMatch(/<script|<link/);
  });

  it("prints markdown by default", async () => {
    const r = await runCli(["report"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("## jit-access report");
    expect(r.stdout).toContain("| request → approval | 45m | 45m | 1 |");
  });

  it("rejects bad options with exit 2", async () => {
    for (const args of [
      ["report", "--format", "pdf"],
      ["report", "--since", "yesterday"],
      ["report", "--bogus"],
      ["report", "extra"],
    ]) {
      const r = await runCli(args, dir);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("Usage: jit-access");
    }
  });

  it("still reports without git history, and says so", async () => {
    const plain = mkdtempSync(join(tmpdir(), "jit-report-nogit-"));
    try {
      mkdirSync(join(plain, "access-requests/prod/2026"), { recursive: true });
      writeFileSync(join(plain, FILE), dumpRequest(base, "proposed"));
      const r = await runCli(["report", "--format", "json", "--config", join(dir, ".github/jit-access.yml")], plain);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.totals.requests).toBe(1);
      expect(report.notes.join(" ")).toContain("git history unavailable");
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});

// Outcomes written the way the app writes them: a proposed record, then one commit per outcome
// through the git record store — closed.code in the record, one Rule: trailer per code, and the
// grant commit's Risk: trailer.
describe("jit-access report on records with codes", () => {
  let repo: GitRepo;
  const outcomes: Array<{ id: string; status: "failed" | "rejected"; code?: string; rules: string[] }> = [
    { id: "30-a", status: "failed", code: "guardrail.dangerous-action", rules: ["guardrail.dangerous-action"] },
    { id: "31-b", status: "failed", code: "guardrail.dangerous-action", rules: ["guardrail.dangerous-action"] },
    { id: "32-c", status: "rejected", code: "approval.self", rules: ["approval.self", "approval.stale-review"] },
    { id: "33-d", status: "failed", code: "aws.grant-failed", rules: ["aws.grant-failed"] },
    { id: "34-e", status: "rejected", code: "merge.not-merged", rules: ["merge.not-merged"] },
    // No code in the record, but its commit names the rule.
    { id: "35-f", status: "failed", rules: ["approval.insufficient"] },
    // An older record: no code anywhere, and a reason that names a guardrail in English.
    { id: "36-g", status: "rejected", rules: [] },
  ];

  beforeAll(async () => {
    repo = createGitRepo("jit-report-codes-");
    repo.write(".github/jit-access.yml", 'aws:\n  accounts:\n    prod: "111122223333"\n');
    repo.commitAll("init");
    const store = new GitRecordStore(repo.dir);
    const propose = async (id: string) => {
      const request: AccessRequest = { ...base, id };
      const path = recordPath(id);
      const w = await store.write(path, dumpRequest(request), { message: `jit-access: propose ${id} (issue #${id.split("-")[0]})`, expectedSha: undefined });
      return { request, path, sha: w.sha };
    };
    for (const o of outcomes) {
      const { request, path, sha } = await propose(o.id);
      const closed = { at: "2026-11-20T10:00:00Z", reason: "s3:DeleteBucket is forbidden by denied_actions", ...(o.code ? { code: o.code } : {}) };
      const moved = o.status === "failed" ? recordGrantFailed(request, closed) : recordRejected(request, closed);
      if (!moved.ok) throw new Error(moved.problems.map(describeProblem).join("; "));
      await store.write(path, dumpRequest(moved.value), {
        message: commitMessage(`jit-access: ${o.status === "failed" ? "fail" : "reject"} ${o.id}`, closed.reason, {
          "Request-Id": o.id,
          ...(o.rules.length ? { Rule: o.rules } : {}),
        }),
        expectedSha: sha,
      });
    }
    // A read-only grant the app judged high risk: the trailer, not the policy, gives the tier.
    const { request, path, sha } = await propose("37-h");
    const granted = recordGrant(request, {
      approved_by: ["bob"],
      merge_commit: "b".repeat(40),
      granted_at: "2026-11-20T10:00:00Z",
      expires_at: "2099-01-01T00:00:00Z",
    });
    if (!granted.ok) throw new Error(granted.problems.map(describeProblem).join("; "));
    await store.write(path, dumpRequest(granted.value), {
      message: commitMessage("jit-access: grant 37-h until 2099-01-01T00:00:00Z", `Merged in ${"b".repeat(40)}.`, { "Request-Id": "37-h", Risk: "high" }),
      expectedSha: sha,
    });
  });

  afterAll(() => repo.cleanup());

  it("the blocked-by-rule panel shows the real counts from the records", async () => {
    const r = await runCli(["report", "--format", "json"], repo.dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.totals).toMatchObject({ requests: 8, blocked: 7, by_status: { failed: 4, rejected: 3, active: 1 } });
    expect(report.blocked.by_rule.map((b: { key: string; count: number }) => [b.key, b.count])).toEqual([
      ["guardrail.dangerous-action", 2],
      ["approval.insufficient", 1],
      ["approval.self", 1],
      ["aws.grant-failed", 1],
      ["merge.not-merged", 1],
      ["unclassified", 1],
    ]);
    expect(report.blocked.by_area.map((b: { key: string; count: number }) => [b.key, b.count])).toEqual([
      ["approval", 2],
      ["guardrail", 2],
      ["aws", 1],
      ["merge", 1],
      ["unclassified", 1],
    ]);
    expect(report.blocked.recent.find((b: { id: string }) => b.id === "32-c")).toMatchObject({
      rule: "approval.self",
      rule_source: "record",
      rules: ["approval.self", "approval.stale-review"],
    });
    expect(report.blocked.recent.find((b: { id: string }) => b.id === "35-f")).toMatchObject({ rule: "approval.insufficient", rule_source: "commit" });
    expect(report.riskiest).toEqual([expect.objectContaining({ id: "37-h", risk: "high", risk_source: "grant-commit" })]);
  });

  it("prints the panel in markdown with a label per code area", async () => {
    const r = await runCli(["report"], repo.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("### Blocked (7)");
    expect(r.stdout).toContain("| policy guardrails: dangerous-action | guardrail.dangerous-action | 2 |");
    expect(r.stdout).toContain("| unclassified: no code recorded | unclassified | 1 |");
  });
});
