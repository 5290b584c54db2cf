// The rules snapshot (one GraphQL query for the rule files at the default branch's tip) is used
// only where its answer states a file exactly: a regular file whose text hashes to its blob id,
// or nothing at the path. Everything else is left to the contents API — never guessed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gitBlobSha } from "../src/github/record-archive.js";
import { readSnapshot, SNAPSHOT_PATHS, snapshotQuery } from "../src/github/rules-snapshot.js";

const TIP = "a".repeat(40);
const PATHS = ["one.yml", "two.yml"];
const entry = (text: string, over: Record<string, unknown> = {}, blob: Record<string, unknown> = {}) => ({
  mode: 0o100644,
  oid: gitBlobSha(Buffer.from(text)),
  object: { byteSize: Buffer.byteLength(text), isBinary: false, isTruncated: false, text, ...blob },
  ...over,
});
const answer = (f0: unknown, f1: unknown = null, oid: unknown = TIP) => ({ repository: { ref: { target: { oid, f0, f1 } } } });

describe("readSnapshot", () => {
  it("gives a regular file as the contents API would, and a null entry as absent", () => {
    const snap = readSnapshot(answer(entry("a: 1\n")), PATHS);
    expect(snap?.commit).toBe(TIP);
    expect(snap?.files.get("one.yml")).toEqual({
      kind: "file",
      data: {
        type: "file",
        path: "one.yml",
        sha: gitBlobSha(Buffer.from("a: 1\n")),
        size: 5,
        encoding: "base64",
        content: Buffer.from("a: 1\n").toString("base64"),
      },
    });
    expect(snap?.files.get("two.yml")).toEqual({ kind: "absent" });
  });

  it.each<[string, unknown]>([
    ["a symlink", entry("target.yml", { mode: 0o120000 })],
    ["a folder", { mode: 0o40000, oid: "b".repeat(40), object: {} }],
    ["a submodule", { mode: 0o160000, oid: "b".repeat(40), object: null }],
    ["a binary blob", entry("x", {}, { isBinary: true, text: null })],
    ["a truncated text", entry("x", {}, { isTruncated: true })],
    ["text that is not the blob's bytes", entry("x", { oid: "c".repeat(40) })],
    ["a size that is not the text's", entry("x", {}, { byteSize: 2 })],
    ["no mode", entry("x", { mode: undefined })],
    ["no object", entry("x", { object: undefined })],
  ])("leaves out %s", (_what, f0) => {
    const snap = readSnapshot(answer(f0), PATHS);
    expect(snap?.files.has("one.yml")).toBe(false);
    expect(snap?.files.get("two.yml")).toEqual({ kind: "absent" });
  });

  it.each<[string, unknown]>([
    ["no repository", { repository: null }],
    ["no branch", { repository: { ref: null } }],
    ["a tip that is not a sha", answer(null, null, "main")],
    ["nothing", undefined],
  ])("is no snapshot with %s", (_what, a) => {
    expect(readSnapshot(a, PATHS)).toBeUndefined();
  });

  it("a path the answer does not mention is left out, not taken as absent", () => {
    const snap = readSnapshot({ repository: { ref: { target: { oid: TIP, f0: null } } } }, PATHS);
    expect([...(snap?.files.keys() ?? [])]).toEqual(["one.yml"]);
  });

  it("for any text, a file it gives decodes to exactly the bytes its blob id names", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.boolean(), (text, lie) => {
        const e = entry(text, lie ? { oid: gitBlobSha(Buffer.from(`${text}!`)) } : {});
        const f = readSnapshot(answer(e), PATHS)?.files.get("one.yml");
        if (lie) expect(f).toBeUndefined();
        else {
          expect(f?.kind).toBe("file");
          if (f?.kind === "file") expect(gitBlobSha(Buffer.from(f.data.content, "base64"))).toBe(f.data.sha);
        }
      }),
    );
  });

  it("asks for every rule path through variables (no path is spliced into the query)", () => {
    const q = snapshotQuery(SNAPSHOT_PATHS);
    for (const p of SNAPSHOT_PATHS) expect(q).not.toContain(p);
    expect(q.match(/file\(path: \$p\d+\)/g)).toHaveLength(SNAPSHOT_PATHS.length);
  });
});
