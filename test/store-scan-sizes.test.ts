// GitRecordStore's scan reads a file with one read and no fstat when that read is 1 to
// MAX_YAML_BYTES bytes, and falls back on fstat's checks otherwise. Either way it hands over what
// read() returns, or fails with read()'s message: at the size limit and around it, for an empty
// file, and multi-byte text cut at the limit.
// Also run under Node 24 (NODE24 in vitest.config.ts): the git store.
// @module-tag node24
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_YAML_BYTES } from "../src/domain/yaml.js";
import { GitRecordStore } from "../src/store/git-store.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "jit-scan-sizes-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const PATH = "access-requests/prod/2026/1-a.yaml";
function put(path: string, data: string | Buffer): void {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), data);
}

/** What scan() hands over for the one file, or the message it fails with. */
async function scanned(store: GitRecordStore): Promise<{ text: string } | { error: string }> {
  const out: string[] = [];
  try {
    await store.scan((f) => out.push(f.text));
  } catch (e) {
    return { error: (e as Error).message };
  }
  return { text: out.join("|") };
}
async function readBack(store: GitRecordStore, path: string): Promise<{ text: string } | { error: string }> {
  try {
    return { text: (await store.read(path))?.text ?? "" };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe("GitRecordStore scan at the size limit", () => {
  it.each([
    ["empty", 0],
    ["one byte", 1],
    ["one under the limit", MAX_YAML_BYTES - 1],
    ["at the limit", MAX_YAML_BYTES],
    ["one over the limit", MAX_YAML_BYTES + 1],
    ["far over the limit", 3 * MAX_YAML_BYTES],
  ])("%s: the same text as read(), or read()'s message", async (_name, size) => {
    put(PATH, "y".repeat(size));
    const store = new GitRecordStore(dir);
    const got = await scanned(store);
    expect(got).toEqual(await readBack(store, PATH));
    if (size > MAX_YAML_BYTES) expect(got).toEqual({ error: `${PATH} is ${size} bytes, over the ${MAX_YAML_BYTES}-byte limit` });
    else expect(got).toEqual({ text: "y".repeat(size) });
  });

  it("files of any size around the limit, multi-byte text included, one after another in one buffer", async () => {
    const store = new GitRecordStore(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: -8, max: 8 }), fc.constantFrom("a", "é", "€", "😀")), { minLength: 1, maxLength: 4 }),
        async (specs) => {
          rmSync(join(dir, "access-requests"), { recursive: true, force: true });
          // Bytes: MAX_YAML_BYTES + delta, filled with the character and cut to that many bytes.
          const files = specs.map(([delta, ch], i) => {
            const bytes = Math.max(0, MAX_YAML_BYTES + delta);
            const data = Buffer.from(ch.repeat(Math.ceil(bytes / Buffer.byteLength(ch)))).subarray(0, bytes);
            const path = `access-requests/prod/2026/${i + 10}-p.yaml`;
            put(path, data);
            return { path, bytes };
          });
          const texts: string[] = [];
          let error: string | undefined;
          await store.scan((f) => texts.push(f.text)).catch((e: Error) => (error = e.message));
          const expected: string[] = [];
          let expectedError: string | undefined;
          for (const f of files) {
            const r = await readBack(store, f.path);
            if ("error" in r) {
              expectedError = r.error;
              break;
            }
            expected.push(r.text);
          }
          expect(error).toBe(expectedError);
          expect(texts).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });
});
