// The sweep's summary cache in a real git checkout: GitRecordStore.listKnown (one git ls-files)
// stands in for the walk of access-requests/, and whatever git and the working tree do between two
// sweeps — commits, renames, deletes, uncommitted, staged, untracked and racy edits, files git is
// told not to look at, folders named like records, links, a damaged cache file — the records read
// with the cache are exactly the ones a scan of every file gives.
// Also run under Node 24 (NODE24 in vitest.config.ts): the git store (git subprocesses).
// @module-tag node24
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { configFromObject } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { parseRecords, planSweep } from "../src/sweep/plan.js";
import { readSweepRecords, SUMMARY_CACHE_FILE } from "../src/sweep/records.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { createGitRepo, type GitRepo } from "./support/git-repo.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const config: Config = (() => {
  const r = configFromObject({ aws: { mode: "iam", region: "us-east-1", accounts: { prod: HOME } }, principals: { alice: { iam_user: "alice" } } });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
})();

type Kind = "proposed" | "due" | "active" | "expired" | "revoked";
const KINDS: Kind[] = ["proposed", "due", "active", "expired", "revoked"];

function recordText(n: number, kind: Kind): string {
  const id = `${100 + n}-git`;
  const base = testRequest({ id, requester: "alice", policy: testPolicy(`b-${n}`) });
  if (kind === "proposed") return dumpRequest(base);
  const expires = kind === "due" ? "2026-11-27T11:00:00Z" : kind === "active" ? "2026-11-27T13:00:00Z" : "2026-11-26T12:00:00Z";
  const grant = {
    approved_by: ["bob"],
    merge_commit: "c".repeat(40),
    granted_at: "2026-11-26T04:00:00Z",
    expires_at: expires,
    aws: { mode: "iam" as const, account_id: HOME, resources: [`arn:aws:iam::${HOME}:policy/jit-access/jit-${id}`] },
  };
  const r: AccessRequest = {
    ...base,
    status: kind === "due" ? "active" : kind,
    grant,
    ...(kind === "due" || kind === "active" ? {} : { closed: { at: expires, reason: kind } }),
  };
  return dumpRequest(r);
}

const pathOf = (n: number, folder = "prod/2026") => `access-requests/${folder}/${100 + n}-git.yaml`;

let repo: GitRepo | undefined;
afterEach(() => {
  repo?.cleanup();
  repo = undefined;
});

/** readSweepRecords' records and those of a scan of every file (what the sweep read before the cache), or the error each throws. */
async function compare(dir: string): Promise<{ reads: number; saved: boolean }> {
  const store = new GitRecordStore(dir);
  const scanned: Array<{ path: string; text: string }> = [];
  const full = await store
    .scan((f) => scanned.push(f))
    .then(
      () => ({ records: parseRecords(scanned, config, { now: NOW }) }),
      (e: Error) => ({ error: e.message }),
    );
  const cached = await readSweepRecords(store, config, NOW).then(
    (r) => ({ records: r.records, stats: r.stats }),
    (e: Error) => ({ error: e.message, stats: undefined }),
  );
  expect("error" in cached ? { error: cached.error } : { records: cached.records }).toEqual(full);
  if ("records" in full && "records" in cached) expect(planSweep(cached.records, [], NOW)).toEqual(planSweep(full.records, [], NOW));
  return { reads: cached.stats?.reads ?? -1, saved: cached.stats?.saved ?? false };
}

describe("the summary cache in a git checkout", () => {
  it("reads only what git cannot vouch for, and gives a scan's records through every kind of change", { timeout: 60_000 }, async () => {
    repo = createGitRepo("jit-sweep-cache-");
    const r = repo;
    KINDS.forEach((k, n) => r.write(pathOf(n), recordText(n, k)));
    for (let n = 5; n < 12; n++) r.write(pathOf(n, "prod/2025"), recordText(n, "expired"));
    r.commitAll("records");

    expect(await compare(r.dir)).toEqual({ reads: 12, saved: true });
    // Warm: only the due grant is read (it is parsed in full every time).
    expect(await compare(r.dir)).toEqual({ reads: 1, saved: false });

    // A committed rename (a closed record moved under another folder): same blob, new path.
    mkdirSync(join(r.dir, "access-requests/archive"));
    r.git("mv", pathOf(5, "prod/2025"), pathOf(5, "archive"));
    r.commitAll("move");
    expect((await compare(r.dir)).reads).toBe(1);

    // Uncommitted, staged, untracked, deleted: each read from disk.
    writeFileSync(join(r.dir, pathOf(6, "prod/2025")), recordText(6, "due"));
    r.write(pathOf(7, "prod/2025"), recordText(7, "active"));
    r.git("add", pathOf(7, "prod/2025"));
    r.write(pathOf(20), recordText(20, "revoked"));
    rmSync(join(r.dir, pathOf(8, "prod/2025")));
    expect((await compare(r.dir)).reads).toBe(5);

    // A file git is told not to look at: its edit is still seen.
    r.commitAll("settle");
    r.git("update-index", "--assume-unchanged", pathOf(9, "prod/2025"));
    writeFileSync(join(r.dir, pathOf(9, "prod/2025")), recordText(9, "due"));
    await compare(r.dir);
    r.git("update-index", "--no-assume-unchanged", pathOf(9, "prod/2025"));

    // A racy edit: same size, right after the commit that recorded the file's stat.
    r.write(pathOf(10, "prod/2025"), recordText(10, "expired"));
    r.commitAll("racy");
    const before = readFileSync(join(r.dir, pathOf(10, "prod/2025")), "utf8");
    writeFileSync(join(r.dir, pathOf(10, "prod/2025")), before.replace("status: expired", "status: revoked"));
    expect(before.length).toBe(before.replace("status: expired", "status: revoked").length);
    await compare(r.dir);

    // A mode change and an executable record; a folder named like a record holding one.
    chmodSync(join(r.dir, pathOf(11, "prod/2025")), 0o755);
    r.commitAll("mode");
    mkdirSync(join(r.dir, "access-requests/odd/300-git.yaml"), { recursive: true });
    r.write("access-requests/odd/300-git.yaml/301-git.yaml", recordText(201, "expired"));
    await compare(r.dir);
    r.commitAll("odd");
    await compare(r.dir);

    // A damaged cache file is ignored whole (every file read), then written again.
    const cacheFile = join(r.git("rev-parse", "--absolute-git-dir").trim(), "jit-access", SUMMARY_CACHE_FILE);
    const bytes = readFileSync(cacheFile);
    bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 1;
    writeFileSync(cacheFile, bytes);
    const damaged = await compare(r.dir);
    expect(damaged.saved).toBe(true);

    // A link is refused as the scan refuses it.
    symlinkSync("101-git.yaml", join(r.dir, "access-requests/prod/2026/400-git.yaml"));
    await compare(r.dir);
    r.commitAll("link");
    await compare(r.dir);
  });

  // Folder-level and index-level changes between two sweeps, each from a warm cache: the records
  // are a scan's, and the index file is read in place (`fast`) unless git's own listing is needed.
  const folders = ["prod/2025", "prod/2026", "prod-eu", "prod.old"];
  /** Record n of a case's checkout, in folder n % 4. */
  const at = (n: number) => pathOf(n, folders[n % folders.length]);
  const cases: Array<[string, (r: GitRepo) => void, boolean]> = [
    ["a changed file in an otherwise unchanged folder", (r) => writeFileSync(join(r.dir, at(1)), recordText(1, "due")), true],
    ["a new folder, untracked", (r) => r.write(pathOf(40, "prod/2027"), recordText(40, "due")), true],
    ["a new folder, committed", (r) => (r.write(pathOf(40, "prod/2027"), recordText(40, "active")), r.commitAll("new")), true],
    ["a removed folder, not committed", (r) => rmSync(join(r.dir, "access-requests/prod/2026"), { recursive: true }), true],
    ["a removed folder, committed", (r) => (r.git("rm", "-r", "-q", "access-requests/prod/2026"), r.commitAll("rm")), true],
    ["a folder renamed", (r) => (r.git("mv", "access-requests/prod/2025", "access-requests/prod/2024"), r.commitAll("mv")), true],
    ["a folder renamed, not staged", (r) => renameSync(join(r.dir, "access-requests/prod-eu"), join(r.dir, "access-requests/prod/eu")), true],
    ["a file moved between folders", (r) => r.git("mv", at(2), pathOf(2, "prod/2026")), true],
    [
      "a folder replaced by a file",
      (r) => (rmSync(join(r.dir, "access-requests/prod.old"), { recursive: true }), r.write("access-requests/prod.old", "x")),
      true,
    ],
    ["an ignored file", (r) => (r.write(".gitignore", "*.tmp.yaml\n"), r.write("access-requests/prod/2026/900-x.tmp.yaml", recordText(41, "due"))), true],
    ["an ignored record", (r) => (r.write(".gitignore", "access-requests/prod/2026/\n"), r.write(pathOf(42, "prod/2026"), recordText(42, "due"))), true],
    ["intent to add", (r) => (r.write(pathOf(43, "prod/2026"), recordText(43, "due")), r.git("add", "-N", pathOf(43, "prod/2026"))), true],
    ["skip-worktree, changed", (r) => (r.git("update-index", "--skip-worktree", at(3)), writeFileSync(join(r.dir, at(3)), recordText(3, "due"))), true],
    ["assume-unchanged, changed", (r) => (r.git("update-index", "--assume-unchanged", at(4)), writeFileSync(join(r.dir, at(4)), recordText(4, "due"))), true],
    ["index format 4", (r) => (r.git("update-index", "--index-version", "4"), writeFileSync(join(r.dir, at(5)), recordText(5, "due"))), true],
    ["index format 3", (r) => (r.git("update-index", "--index-version", "3"), r.git("update-index", "--skip-worktree", at(6))), true],
    ["a split index (git lists)", (r) => (r.git("update-index", "--split-index"), writeFileSync(join(r.dir, at(7)), recordText(7, "due"))), false],
    [
      "an unmerged file",
      (r) => {
        r.git("checkout", "-q", "-b", "side");
        writeFileSync(join(r.dir, at(8)), recordText(8, "revoked"));
        r.commitAll("side");
        r.git("checkout", "-q", "main");
        writeFileSync(join(r.dir, at(8)), recordText(8, "due"));
        r.commitAll("main");
        try {
          r.git("merge", "-q", "side");
        } catch {
          // the conflict is the point
        }
      },
      true,
    ],
    ["a nested repository (scan)", (r) => execFileSync("git", ["init", "-q", join(r.dir, "access-requests/prod/nested")]), true],
    ["a link to a record", (r) => symlinkSync("100-git.yaml", join(r.dir, "access-requests/prod-eu/500-git.yaml")), true],
    // git lists the folder's tracked files as deleted; opening them by path would follow the link.
    [
      "a tracked folder replaced by a link to a folder outside the checkout holding a due grant of the same name",
      (r) => {
        const outside = mkdtempSync(join(tmpdir(), "jit-outside-"));
        writeFileSync(join(outside, "101-git.yaml"), recordText(1, "due")); // at(1) is in prod/2026
        rmSync(join(r.dir, "access-requests/prod/2026"), { recursive: true });
        symlinkSync(outside, join(r.dir, "access-requests/prod/2026"));
      },
      true,
    ],
    [
      "a tracked folder replaced by a link to a sibling folder",
      (r) => (rmSync(join(r.dir, "access-requests/prod/2025"), { recursive: true }), symlinkSync("2026", join(r.dir, "access-requests/prod/2025"))),
      true,
    ],
    [
      "a tracked folder's parent replaced by a link",
      (r) => (renameSync(join(r.dir, "access-requests/prod"), join(r.dir, "prod-real")), symlinkSync("../prod-real", join(r.dir, "access-requests/prod"))),
      true,
    ],
    ["a plain folder named .git, not a repository (git never lists one)", (r) => r.write("access-requests/.git/106-git.yaml", recordText(6, "due")), true],
  ];

  it.each(cases)("%s: a scan's records", { timeout: 60_000 }, async (_name, change, fast) => {
    repo = createGitRepo("jit-sweep-cache-case-");
    const r = repo;
    for (let n = 0; n < 12; n++) r.write(at(n), recordText(n, KINDS[n % KINDS.length]!));
    r.commitAll("records");
    await compare(r.dir);
    change(r);
    const listing = await new GitRecordStore(r.dir).listKnown().catch(() => "throws");
    if (listing !== undefined && listing !== "throws") expect(Array.isArray(listing)).toBe(!fast);
    await compare(r.dir);
    await compare(r.dir);
  });

  it("reads every file when the folder is not a git checkout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-sweep-nogit-"));
    try {
      mkdirSync(join(dir, "access-requests/prod"), { recursive: true });
      writeFileSync(join(dir, pathOf(0, "prod")), recordText(0, "expired"));
      const r = await readSweepRecords(new GitRecordStore(dir), config, NOW);
      expect(r.stats).toEqual({ via: "scan", files: 1, reads: 1, saved: false });
      expect(r.records).toEqual(parseRecords([{ path: pathOf(0, "prod"), text: recordText(0, "expired") }], config, { now: NOW }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives a scan's records over random commits, renames, deletes and working-tree edits", async () => {
    const FOLDERS = ["prod/2025", "prod/2026", "prod-eu", "examples"];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.record({
              op: fc.constantFrom("write" as const, "move" as const, "delete" as const),
              n: fc.nat(6),
              kind: fc.constantFrom(...KINDS),
              folder: fc.nat(FOLDERS.length - 1),
              commit: fc.boolean(),
            }),
            { maxLength: 5 },
          ),
          { minLength: 1, maxLength: 4 },
        ),
        async (rounds) => {
          const r = createGitRepo("jit-sweep-cache-prop-");
          try {
            for (let n = 0; n < 5; n++) r.write(pathOf(n), recordText(n, KINDS[n]!));
            r.commitAll("records");
            for (const ops of [[], ...rounds]) {
              for (const o of ops) {
                const to = pathOf(o.n, FOLDERS[o.folder]);
                const existing = r.git("ls-files", "--", `access-requests/*/${100 + o.n}-git.yaml`, `access-requests/*/*/${100 + o.n}-git.yaml`).split("\n")[0];
                if (o.op === "write") r.write(to, recordText(o.n, o.kind));
                // git mv needs the file in the working tree: one deleted there (not committed) is not moved.
                else if (o.op === "move" && existing && existing !== to && existsSync(join(r.dir, existing))) {
                  mkdirSync(join(r.dir, to, ".."), { recursive: true });
                  r.git("mv", "-f", existing, to);
                } else if (o.op === "delete" && existing) rmSync(join(r.dir, existing), { force: true });
                if (o.commit) r.commitAll("change");
              }
              await compare(r.dir);
            }
          } finally {
            r.cleanup();
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 180_000);
});
