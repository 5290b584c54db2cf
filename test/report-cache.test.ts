// The report's cache (.git/jit-access/report-cache: each record's facts by path and blob sha, and
// its history values at HEAD) never changes a report: after any sequence of edits, commits,
// history rewrites, config changes and damage to the cache itself, the report made with the cache
// as it stands equals the report made with no cache at all. A table pins the cases one by one; a
// property mixes them.
// Also run under Node 24: the CLI's report with git in subprocesses.
// @module-tag node24
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportCommand } from "../src/cli/report.js";
import { commitMessage } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import type { ReportRecords } from "../src/report/records.js";
import { syntheticHistory } from "../src/report/synthetic.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const CONFIG = 'aws:\n  accounts:\n    prod: "111122223333"\n    dev: "222233334444"\n    data: "333344445555"\n    sandbox: "444455556666"\n';
const { records } = syntheticHistory(24, 7, NOW);
let dir: string;
let clock = Date.parse("2026-10-01T00:00:00Z");

function git(args: string[]): string {
  clock += 3_600_000;
  const date = new Date(clock).toISOString();
  return execFileSync("git", args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_TERMINAL_PROMPT: "0" },
  });
}
function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
const cacheFile = () => join(dir, ".git", "jit-access", "report-cache");

async function report(): Promise<{ text: string; stats: ReportRecords["stats"] | undefined }> {
  let out = "";
  let stats: ReportRecords["stats"] | undefined;
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => undefined }, cwd: dir };
  const code = await reportCommand(["--format", "json"], io, { now: () => NOW, records: (s) => (stats = s) });
  expect(code).toBe(0);
  return { text: out, stats };
}

/** The report with the cache as it stands, and with none (the cache left as it was found). */
async function bothWays(): Promise<{ cached: string; fresh: string; stats: ReportRecords["stats"] | undefined }> {
  const saved = existsSync(cacheFile()) ? readFileSync(cacheFile()) : undefined;
  const { text: cached, stats } = await report();
  const after = existsSync(cacheFile()) ? readFileSync(cacheFile()) : undefined;
  rmSync(cacheFile(), { force: true });
  const { text: fresh } = await report();
  // The next step starts from the cache the cached run left (or, had it written none, the one it found).
  if (after ?? saved) writeFileSync(cacheFile(), (after ?? saved)!);
  else rmSync(cacheFile(), { force: true });
  return { cached, fresh, stats };
}

const grantCommit = (r: AccessRequest, tier: string) => `jit-access: grant ${r.id}\n\nGranted.\n\nRequest-Id: ${r.id}\nRisk: ${tier}\n`;

/** The repository's edits the cache must follow. */
const OPS = {
  editUncommitted: (k: number) => {
    const r = records[k % records.length]!;
    write(r.file, dumpRequest({ ...r.request, reason: `changed ${k}` }, "edited"));
  },
  // The record's keys change without a commit: its history values must be looked up again.
  remerge: (k: number) => {
    const r = records.filter((x) => x.request.grant)[k % 5]!;
    const sha = git(["rev-list", "--max-count=1", "--skip=1", "HEAD"]).trim() || git(["rev-parse", "HEAD"]).trim();
    write(r.file, dumpRequest({ ...r.request, grant: { ...r.request.grant!, merge_commit: sha } }, "merged elsewhere"));
  },
  commitAll: () => {
    git(["add", "-A"]);
    git(["commit", "--quiet", "--allow-empty", "--no-verify", "-m", "records"]);
  },
  grantCommit: (k: number) => {
    const r = records[k % records.length]!;
    write(r.file, dumpRequest({ ...r.request, reason: `granted ${k}` }, "granted"));
    git(["add", "--", r.file]);
    git(["commit", "--quiet", "--no-verify", "-m", grantCommit(r.request, ["low", "medium", "high"][k % 3]!)]);
  },
  ruleCommit: (k: number) => {
    const r = records[k % records.length]!;
    write(r.file, dumpRequest({ ...r.request, status: "rejected", closed: { at: "2026-11-02T00:00:00Z", reason: "no" } }, "rejected"));
    git(["add", "--", r.file]);
    git([
      "commit",
      "--quiet",
      "--no-verify",
      "-m",
      commitMessage(`jit-access: reject ${r.request.id}`, "Refused.", { "Request-Id": r.request.id, Rule: ["guardrail.dangerous-action"] }),
    ]);
  },
  amendDate: () => git(["commit", "--quiet", "--amend", "--no-edit", "--allow-empty", "--no-verify", "--reset-author"]),
  remove: (k: number) => rmSync(join(dir, records[k % records.length]!.file), { force: true }),
  restore: () => git(["checkout", "--quiet", "--", "access-requests"]),
  invalidFile: (k: number) => write(`access-requests/prod/2026/${900 + k}-broken.yaml`, k % 2 ? "id: [unclosed\n" : "version: 1\nid: nope\n"),
  ymlFile: (k: number) => write(`access-requests/dev/2026/${800 + k}-other.yml`, "version: 1\n"),
  linkFile: (k: number) => {
    const p = join(dir, `access-requests/data/2026/${700 + k}-link.yaml`);
    mkdirSync(dirname(p), { recursive: true });
    if (!existsSync(p)) symlinkSync(join(dir, records[0]!.file), p);
  },
  dropAccount: () => write(".github/jit-access.yml", 'aws:\n  accounts:\n    prod: "111122223333"\n    dev: "222233334444"\n'),
  restoreConfig: () => write(".github/jit-access.yml", CONFIG),
  truncateCache: () => {
    if (existsSync(cacheFile())) writeFileSync(cacheFile(), readFileSync(cacheFile()).subarray(0, 200));
  },
  garbleCache: () => {
    if (!existsSync(cacheFile())) return;
    const b = readFileSync(cacheFile());
    b[Math.floor(b.length / 2)] = 0x7b;
    writeFileSync(cacheFile(), b);
  },
  resetHard: () => {
    git(["reset", "--quiet", "--hard", "HEAD~1"]);
    git(["clean", "-fdq", "--", "access-requests"]);
  },
} satisfies Record<string, (k: number) => unknown>;
type Op = keyof typeof OPS;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jit-report-cache-"));
  execFileSync("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  for (const [k, v] of [
    ["user.name", "Report Cache"],
    ["user.email", "cache@example.com"],
    ["commit.gpgsign", "false"],
    ["gc.auto", "0"],
  ])
    execFileSync("git", ["config", k!, v!], { cwd: dir });
  write(".github/jit-access.yml", CONFIG);
  git(["add", "-A"]);
  git(["commit", "--quiet", "-m", "init"]);
  records.forEach((r, i) => {
    write(r.file, dumpRequest(r.request, "recorded"));
    if (i % 6 === 5) OPS.commitAll();
  });
  OPS.commitAll();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("report cache", () => {
  it("a second report reads no file and no history, and says the same", async () => {
    rmSync(cacheFile(), { force: true });
    const first = await report();
    expect(first.stats).toMatchObject({ via: "cache", reads: records.length, cacheIgnored: "absent" });
    const second = await report();
    expect(second.stats).toMatchObject({ via: "cache", reads: 0 });
    expect(second.text).toBe(first.text);
  });

  // Each edit alone, from a warm cache: the cached report equals the fresh one.
  it.each(Object.keys(OPS) as Op[])("%s", async (op) => {
    await report(); // warm
    OPS[op](3);
    const { cached, fresh } = await bothWays();
    expect(JSON.parse(cached)).toEqual(JSON.parse(fresh));
    OPS.restoreConfig();
  });

  it("an access repository in a folder of a larger checkout (git lists its files the slower way): the same report, .yml files named", async () => {
    const outer = mkdtempSync(join(tmpdir(), "jit-report-cache-outer-"));
    try {
      execFileSync("git", ["init", "--quiet"], { cwd: outer });
      const inner = join(outer, "access");
      mkdirSync(join(inner, ".github"), { recursive: true });
      writeFileSync(join(inner, ".github", "jit-access.yml"), CONFIG);
      for (const r of records.slice(0, 6)) {
        mkdirSync(dirname(join(inner, r.file)), { recursive: true });
        writeFileSync(join(inner, r.file), dumpRequest(r.request, "recorded"));
      }
      mkdirSync(join(inner, "access-requests/dev/2026"), { recursive: true });
      writeFileSync(join(inner, "access-requests/dev/2026/5-misnamed.yml"), "version: 1\n");
      const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
      execFileSync("git", ["add", "-A"], { cwd: outer });
      execFileSync("git", ["-c", "commit.gpgsign=false", "commit", "--quiet", "-m", "records"], { cwd: outer, env });
      const run = async () => {
        let out = "";
        let stats: ReportRecords["stats"] | undefined;
        const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => undefined }, cwd: inner };
        expect(await reportCommand(["--format", "json"], io, { now: () => NOW, records: (x) => (stats = x) })).toBe(0);
        return { report: JSON.parse(out) as { skipped: Array<{ file: string }> }, stats };
      };
      const first = await run();
      const second = await run();
      expect(first.stats?.via).toBe("cache");
      expect(second.stats?.reads).toBe(1); // the .yml file, never cached
      expect(second.report).toEqual(first.report);
      expect(first.report.skipped.map((x) => x.file)).toContain("access-requests/dev/2026/5-misnamed.yml");
    } finally {
      rmSync(outer, { recursive: true, force: true });
    }
  });

  it("a file renamed to the name whose UTF-8 bytes are its old name's characters (Ã© → é) is reported at its new path", async () => {
    const r = records[1]!;
    const from = "access-requests/dev/2026/\u00c3\u00a9.yaml";
    write(from, dumpRequest({ ...r.request, account: "dev" }, "recorded"));
    OPS.commitAll();
    await report(); // the cache holds the old name
    git(["mv", "--", from, "access-requests/dev/2026/\u00e9.yaml"]);
    OPS.commitAll();
    const { cached, fresh } = await bothWays();
    expect(JSON.parse(cached)).toEqual(JSON.parse(fresh));
    expect(cached).toContain("access-requests/dev/2026/\u00e9.yaml");
    expect(cached).not.toContain("\u00c3");
    git(["rm", "--quiet", "--", "access-requests/dev/2026/\u00e9.yaml"]);
    OPS.commitAll();
  });

  it("any sequence of edits, commits, history rewrites and damage to the cache", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...(Object.keys(OPS) as Op[])), fc.nat(40)), { minLength: 1, maxLength: 5 }), async (ops) => {
        for (const [op, k] of ops) {
          try {
            OPS[op](k);
          } catch {
            continue; // an edit that does not apply here (nothing to reset to, say)
          }
          const { cached, fresh } = await bothWays();
          expect(JSON.parse(cached)).toEqual(JSON.parse(fresh));
        }
      }),
      { numRuns: 10 },
    );
    // Each edit runs two reports and some git commands: seconds in all, more on a loaded machine.
  }, 180_000);
});
