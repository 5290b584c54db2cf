// readBounded, the CLI's one reader of request and config files: a regular file's bytes up to the
// limit, and a coded refusal for anything else — a link (never followed, even dangling), a fifo
// (refused without blocking), a folder, a file over the limit — whatever the size.
// Also run under Node 24: open flags and fstat are the runtime's.
// @module-tag node24
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readBounded } from "../src/cli/support.js";

const dir = mkdtempSync(join(tmpdir(), "jit-read-bounded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MAX = 64;

describe("readBounded", () => {
  const at = (name: string) => join(dir, name);
  writeFileSync(at("secret"), "outside the repository\n");
  const cases: Array<[string, () => string, { bytes?: string; code?: string; message?: RegExp }]> = [
    ["a regular file", () => (writeFileSync(at("a.yaml"), "id: a\n"), at("a.yaml")), { bytes: "id: a\n" }],
    ["an empty file", () => (writeFileSync(at("empty.yaml"), ""), at("empty.yaml")), { bytes: "" }],
    ["a file of exactly the limit", () => (writeFileSync(at("max.yaml"), "x".repeat(MAX)), at("max.yaml")), { bytes: "x".repeat(MAX) }],
    [
      "a file one byte over the limit",
      () => (writeFileSync(at("over.yaml"), "x".repeat(MAX + 1)), at("over.yaml")),
      { code: "yaml.too-large", message: /65 bytes; the limit is 64 bytes/ },
    ],
    ["a link to a file", () => (symlinkSync(at("secret"), at("link.yaml")), at("link.yaml")), { code: "cli.symlink", message: /symbolic link/ }],
    ["a dangling link", () => (symlinkSync(at("nothing-here"), at("dangling.yaml")), at("dangling.yaml")), { code: "cli.symlink" }],
    ["a link to a folder", () => (symlinkSync(dir, at("dirlink.yaml")), at("dirlink.yaml")), { code: "cli.symlink" }],
    ["a folder", () => (mkdirSync(at("folder.yaml")), at("folder.yaml")), { code: "cli.not-a-file", message: /is not a regular file/ }],
    // No writer ever opens it: a blocking open would hang here.
    ["a fifo", () => (execFileSync("mkfifo", [at("fifo.yaml")]), at("fifo.yaml")), { code: "cli.not-a-file" }],
  ];
  it.each(cases)("%s", (_name, make, want) => {
    const r = readBounded(make(), MAX);
    if (want.bytes !== undefined) {
      expect(r.ok && Buffer.from(r.value).toString("utf8")).toBe(want.bytes);
    } else {
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.problems.map((p) => p.code)).toEqual([want.code]);
      if (want.message) expect(r.problems[0]?.message).toMatch(want.message);
      // Nothing of the link's target leaks into the refusal.
      expect(JSON.stringify(r.problems)).not.toContain("outside the repository");
    }
  });

  it("a missing file is an error for the caller, as before", () => {
    expect(() => readBounded(at("missing.yaml"), MAX)).toThrow(/ENOENT/);
  });

  it("gives exactly the file's bytes up to the limit and refuses every size over it", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: MAX * 2 }), fc.integer({ min: 0, max: MAX * 2 }), (bytes, max) => {
        const f = at("p.yaml");
        writeFileSync(f, bytes);
        const r = readBounded(f, max);
        if (bytes.length <= max) expect(r.ok && Buffer.from(r.value).equals(readFileSync(f))).toBe(true);
        else expect(!r.ok && r.problems[0]?.code).toBe("yaml.too-large");
      }),
      { numRuns: 300 },
    );
  });
});
