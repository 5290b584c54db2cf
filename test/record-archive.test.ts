// Reading GitHub's tarball (a `git archive` tar.gz): whatever the paths (long ones go in pax
// headers), contents and file modes, the reader gives back exactly the regular files the archive
// holds, without its top folder, and the commit its pax global header names.
import fc from "fast-check";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gitBlobSha, readTarball } from "../src/github/record-archive.js";
import { tarGz } from "./support/fake-github/archive.js";
import type { FileEntry } from "./support/fake-github/git.js";

function archive(files: Record<string, { text: string; mode?: FileEntry["mode"] }>, commit = "a".repeat(40)): Buffer {
  const blobs = new Map<string, Buffer>();
  const entries = new Map<string, FileEntry>();
  for (const [path, f] of Object.entries(files)) {
    const data = Buffer.from(f.text);
    const sha = gitBlobSha(data);
    blobs.set(sha, data);
    entries.set(path, { sha, mode: f.mode ?? "100644" });
  }
  return tarGz({ top: `acme-access-${commit.slice(0, 7)}`, commit, mtime: 1_800_000_000, files: entries, readBlob: (s) => blobs.get(s) });
}

const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,40}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join("/"));

describe("readTarball", () => {
  it("gives back every regular file of the archive and its commit, for any paths (long ones too) and contents", () => {
    fc.assert(
      fc.property(fc.dictionary(path, fc.string({ maxLength: 2000 }), { maxKeys: 20 }), fc.stringMatching(/^[0-9a-f]{40}$/), (files, commit) => {
        // A path cannot be both a file and a folder in git.
        const paths = Object.keys(files).filter((p) => !Object.keys(files).some((q) => q.startsWith(`${p}/`)));
        const kept = Object.fromEntries(paths.map((p) => [p, { text: files[p] ?? "" }]));
        const read = readTarball(archive(kept, commit), () => true);
        expect(read.commit).toBe(commit);
        expect(Object.fromEntries([...read.files].map(([p, b]) => [p, b.toString("utf8")]))).toEqual(Object.fromEntries(paths.map((p) => [p, files[p]])));
      }),
      { numRuns: 100 },
    );
  });

  it("keeps only what `keep` accepts, skips symlinks, and keeps executable files", () => {
    const read = readTarball(
      archive({
        "access-requests/prod/2026/1-a.yaml": { text: "id: 1-a\n" },
        "access-requests/prod/2026/link.yaml": { text: "1-a.yaml", mode: "120000" },
        "access-requests/run.yaml": { text: "x\n", mode: "100755" },
        "README.md": { text: "hi\n" },
      }),
      (p) => p.startsWith("access-requests/"),
    );
    expect([...read.files.keys()].sort()).toEqual(["access-requests/prod/2026/1-a.yaml", "access-requests/run.yaml"]);
  });

  it.each([
    ["not gzip", Buffer.from("plain text")],
    ["an entry cut short", gzipSync(archive({ "a.yaml": { text: "x".repeat(5000) } }).subarray(0, 0))],
  ])("throws on %s, or reads nothing from an empty archive", (_what, bytes) => {
    let files: Map<string, Buffer> | undefined;
    try {
      files = readTarball(bytes, () => true).files;
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      return;
    }
    expect(files.size).toBe(0);
  });

  it("throws when an entry's data runs past the end of the archive", () => {
    const tar = gunzipSync(archive({ "a.yaml": { text: "x".repeat(5000) } }));
    expect(() => readTarball(gzipSync(tar.subarray(0, 512 * 4)), () => true)).toThrow(/ends inside an entry/);
  });
});
