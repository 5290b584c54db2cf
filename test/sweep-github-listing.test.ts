// The Action's sweep lists the records from the branch's tarball and git tree (record-archive.ts):
// against the fake GitHub (checked against GitHub's REST description), the listing is exactly
// what the contents API gives file by file — paths, texts and blob shas — in two API calls, and
// stays exact where the archive is not the tree (export-ignore, a failed download) and where
// GitHub truncates the tree, at the cost of one call per record or folder it must read apart.
import { Octokit } from "@octokit/rest";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHubRecordStore } from "../src/github/store.js";
import { ConformanceChecker } from "./support/openapi-conformance.js";
import { startFakeGitHub, type FakeGitHub, type FileInput } from "./support/fake-github.js";

let gh: FakeGitHub;
const checker = new ConformanceChecker();
beforeEach(async () => {
  gh = await startFakeGitHub();
  gh.createRepo({ owner: "acme", name: "access", files: { ".github/jit-access.yml": "aws: {}\n", "README.md": "records\n" } });
});
afterEach(async () => {
  await gh.close();
  checker.assertClean("the listing's calls");
});

const REPO = { owner: "acme", repo: "access", branch: "main" };
const octokit = () =>
  new (Octokit.plugin(checker.plugin))({
    auth: gh.issueInstallationToken().token,
    baseUrl: gh.url,
    request: { retries: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });

/** The listing both ways, and the API calls of the archive's. */
async function both() {
  const o = octokit();
  const archive = new GitHubRecordStore(o, REPO, { archive: o });
  gh.clearRequests();
  const viaArchive = await archive.list();
  const calls = gh.requests.filter((r) => !r.path.startsWith("/app")).map((r) => `${r.method} ${r.path.replace(/[0-9a-f]{40}/g, "<sha>")} ${r.status}`);
  const downloads = gh.downloads.length;
  const viaContents = await new GitHubRecordStore(o, REPO).list();
  return { viaArchive, viaContents, calls, downloads, stats: archive.lastListing };
}

const record = (id: string) => `id: ${id}\nstatus: active\nrequester: alice\n`;

describe("the sweep's listing from the tarball and the tree", () => {
  it("is the contents API's listing, in two API calls and one download, skipping symlinks and files that are not records", async () => {
    gh.commitFiles(
      "acme/access",
      "main",
      {
        "access-requests/prod/2026/1-a.yaml": record("1-a"),
        "access-requests/prod/2026/2-b.yaml": record("2-b"),
        "access-requests/dev/2025/3-c.yaml": record("3-c"),
        "access-requests/dev/2025/notes.txt": "not a record\n",
        "access-requests/dev/2025/link.yaml": { symlink: "3-c.yaml" },
        [`access-requests/${"long-folder-name-".repeat(8)}/2026/4-d.yaml`]: record("4-d"),
        "elsewhere/5-e.yaml": record("5-e"),
      },
      { author: "root" },
    );
    const { viaArchive, viaContents, calls, downloads, stats } = await both();
    expect(viaArchive.map((f) => f.path)).toEqual([
      "access-requests/dev/2025/3-c.yaml",
      `access-requests/${"long-folder-name-".repeat(8)}/2026/4-d.yaml`,
      "access-requests/prod/2026/1-a.yaml",
      "access-requests/prod/2026/2-b.yaml",
    ]);
    expect(viaArchive).toEqual(viaContents);
    expect(calls).toEqual(["GET /repos/acme/access/tarball/main 302", "GET /repos/acme/access/git/trees/<sha> 200"]);
    expect(downloads).toBe(1);
    expect(stats).toEqual({ records: 4, blobReads: 0 });
  });

  it("reads as blobs the records an export-ignore leaves out of the archive", async () => {
    gh.commitFiles(
      "acme/access",
      "main",
      {
        ".gitattributes": "access-requests/prod export-ignore\n",
        "access-requests/prod/2026/1-a.yaml": record("1-a"),
        "access-requests/dev/2026/2-b.yaml": record("2-b"),
      },
      { author: "root" },
    );
    const { viaArchive, viaContents, calls, stats } = await both();
    expect(viaArchive).toEqual(viaContents);
    expect(viaArchive).toHaveLength(2);
    expect(stats).toEqual({ records: 2, blobReads: 1 });
    expect(calls.filter((c) => c.includes("/git/blobs/"))).toEqual(["GET /repos/acme/access/git/blobs/<sha> 200"]);
  });

  it.each([502, 403])("reads every record as a blob when the tarball answers %i", async (code) => {
    gh.commitFiles(
      "acme/access",
      "main",
      { "access-requests/prod/2026/1-a.yaml": record("1-a"), "access-requests/prod/2026/2-b.yaml": record("2-b") },
      { author: "root" },
    );
    checker.ignoreStatuses.add(code);
    gh.faults.failNext("GET", "/repos/{owner}/{repo}/tarball/*", code);
    const { viaArchive, viaContents, stats } = await both();
    checker.ignoreStatuses.delete(code);
    expect(viaArchive).toEqual(viaContents);
    expect(stats).toMatchObject({ records: 2, blobReads: 2, archiveFailure: expect.any(String) });
  });

  it("walks a truncated tree folder by folder and lists every record", async () => {
    const files: Record<string, FileInput> = {};
    for (let i = 0; i < 30; i++) files[`access-requests/${["prod", "dev", "audit"][i % 3]}/${2024 + (i % 2)}/${i + 1}-r.yaml`] = record(`${i + 1}-r`);
    gh.commitFiles("acme/access", "main", files, { author: "root" });
    gh.treeLimit = 10;
    const { viaArchive, viaContents, calls, stats } = await both();
    expect(viaArchive).toEqual(viaContents);
    expect(viaArchive).toHaveLength(30);
    expect(stats).toEqual({ records: 30, blobReads: 0 });
    // tarball, the truncated recursive tree, the root, access-requests/, 3 accounts and 6 year folders.
    expect(calls).toHaveLength(2 + 1 + 1 + 3 + 6);
  });

  it("an empty repository has no records, and none is read", async () => {
    const { viaArchive, viaContents, calls } = await both();
    expect(viaArchive).toEqual([]);
    expect(viaContents).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it("over random sets of records, export-ignored folders and tree limits, equals the contents listing", async () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.constantFrom("prod", "dev"), fc.constantFrom("2025", "2026"), name, fc.string({ maxLength: 200 })), {
          maxLength: 12,
          selector: (t) => `${t[0]}/${t[1]}/${t[2]}`,
        }),
        fc.option(fc.constantFrom("access-requests/prod", "access-requests/*/2025", "access-requests"), { nil: undefined }),
        fc.constantFrom(3, 100_000),
        async (records, ignored, limit) => {
          const fresh = await startFakeGitHub();
          const saved = gh;
          gh = fresh;
          try {
            gh.createRepo({
              owner: "acme",
              name: "access",
              files: { "README.md": "x\n", ...(ignored ? { ".gitattributes": `${ignored} export-ignore\n` } : {}) },
            });
            if (records.length)
              gh.commitFiles("acme/access", "main", Object.fromEntries(records.map(([a, y, n, t]) => [`access-requests/${a}/${y}/${n}.yaml`, t])), {
                author: "root",
              });
            gh.treeLimit = limit;
            const { viaArchive, viaContents } = await both();
            expect(viaArchive).toEqual(viaContents);
          } finally {
            gh = saved;
            await fresh.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
