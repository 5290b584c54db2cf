// `jit-access report` end to end: a real git repository (temp folder) with a request proposed on
// a branch, merged with --no-ff, granted and revoked, with fixed commit dates; then the CLI reads
// the files and `git log` and prints the numbers.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitMessage } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { runCli } from "./support/cli.js";

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
  const granted: AccessRequest = { ...base, status: "active", grant: { approved_by: ["bob"], merge_commit: merge, pr: 13, granted_at: "2026-11-20T09:45:30Z", expires_at: "2026-11-20T11:45:00Z" } };
  write(FILE, dumpRequest(granted, "granted"));
  git(["add", "-A"]);
  git(["commit", "--quiet", "-m", commitMessage("jit-access: grant 12-logs until 2026-11-20T11:45:00Z", `Merged in ${merge}; risk low.`, { "Request-Id": "12-logs", "Approved-By": ["bob"], "Expires-At": "2026-11-20T11:45:00Z" })], "2026-11-20T09:45:31Z");
  write(FILE, dumpRequest({ ...granted, status: "revoked", closed: { at: "2026-11-20T10:15:30Z", reason: "done", by: "alice" } }, "revoked"));
  git(["add", "-A"]);
  git(["commit", "--quiet", "-m", commitMessage("jit-access: revoke 12-logs", "Revoked early by alice: done", { "Request-Id": "12-logs", "Closed-By": "alice" })], "2026-11-20T10:15:31Z");
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
    for (const args of [["report", "--format", "pdf"], ["report", "--since", "yesterday"], ["report", "--bogus"], ["report", "extra"]]) {
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
