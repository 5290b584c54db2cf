// git's index read in place (src/store/git-index.ts), over index files written here in the layout
// gitformat-index(5) gives (formats 2, 3 and 4; the real git writes them in
// sweep-records-cache-git.test.ts): the entries under a folder, with a sha exactly where git looks
// at the working tree for a merged regular file; refusals; no throw on a damaged file; and the
// walk's order of paths against JavaScript's comparison of names, folder by folder.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIndex, scanCompare, scanOrderOf } from "../src/store/git-index.js";

interface Entry {
  path: string;
  sha: string;
  mode?: number;
  stage?: number;
  assumeValid?: boolean;
  skipWorktree?: boolean;
  intentToAdd?: boolean;
}

/** An index file of `entries` (sorted by the caller as git sorts them), with `extensions` (signature, data) and its checksum. */
function writeIndex(version: 2 | 3 | 4, entries: Entry[], extensions: Array<[string, Buffer]> = []): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.write("DIRC", 0, "latin1");
  head.writeUInt32BE(version, 4);
  head.writeUInt32BE(entries.length, 8);
  parts.push(head);
  let previous = Buffer.alloc(0);
  for (const e of entries) {
    const name = Buffer.from(e.path, "utf8");
    const extended = version >= 3 && (e.skipWorktree || e.intentToAdd);
    const fixed = Buffer.alloc(62 + (extended ? 2 : 0));
    fixed.writeUInt32BE(e.mode ?? 0o100644, 24);
    Buffer.from(e.sha, "hex").copy(fixed, 40);
    const flags = (e.assumeValid ? 0x8000 : 0) | (extended ? 0x4000 : 0) | ((e.stage ?? 0) << 12) | Math.min(name.length, 0xfff);
    fixed.writeUInt16BE(flags, 60);
    if (extended) fixed.writeUInt16BE((e.skipWorktree ? 0x4000 : 0) | (e.intentToAdd ? 0x2000 : 0), 62);
    if (version === 4) {
      let common = 0;
      while (common < previous.length && common < name.length && previous[common] === name[common]) common++;
      parts.push(fixed, varint(previous.length - common), name.subarray(common), Buffer.from([0]));
      previous = name;
    } else {
      const length = fixed.length + name.length;
      parts.push(fixed, name, Buffer.alloc(8 - (length % 8)));
    }
  }
  for (const [signature, data] of extensions) {
    const h = Buffer.alloc(8);
    h.write(signature, 0, "latin1");
    h.writeUInt32BE(data.length, 4);
    parts.push(h, data);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}

/** git's offset encoding (varint.c). */
function varint(value: number): Buffer {
  const bytes = [value & 127];
  while ((value >>= 7)) bytes.unshift(128 | (--value & 127));
  return Buffer.from(bytes);
}

const sha = (n: number) => createHash("sha1").update(String(n)).digest("hex");

/** parseIndex's entries as (path, sha or undefined). */
function listed(index: Buffer, folder = "access-requests/"): Array<[string, string | undefined]> | string {
  const f = parseIndex(index, folder);
  if (typeof f === "string") return f;
  const out: Array<[string, string | undefined]> = [];
  for (let i = 0; i < f.count; i++)
    out.push([f.paths.toString("utf8", f.start[i], f.end[i]), f.shaAt[i]! >= 0 ? index.toString("hex", f.shaAt[i], f.shaAt[i]! + 20) : undefined]);
  return out;
}

const byteOrder = (a: Entry, b: Entry) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)) || (a.stage ?? 0) - (b.stage ?? 0);

describe("parseIndex", () => {
  const entries: Entry[] = [
    { path: ".github/CODEOWNERS", sha: sha(1) },
    { path: "access-requests/a/1-a.yaml", sha: sha(2) },
    { path: "access-requests/a/2-a.yaml", sha: sha(3), mode: 0o100755 },
    { path: "access-requests/a/3-a.yaml", sha: sha(4), mode: 0o120000 }, // a link
    { path: "access-requests/a/4-a.yaml", sha: sha(5), assumeValid: true },
    { path: "access-requests/a/5-a.yaml", sha: sha(6), stage: 1 },
    { path: "access-requests/a/5-a.yaml", sha: sha(7), stage: 2 },
    { path: "access-requests/a/5-a.yaml", sha: sha(8), stage: 3 },
    { path: "access-requests/a/6-a.yaml", sha: sha(9) },
    { path: "access-requests/a/README.md", sha: sha(10) },
    { path: "access-requests/b/" + "x".repeat(5000) + ".yaml", sha: sha(11) }, // a name over the 12-bit length
    { path: "access-requests/é/7-a.yaml", sha: sha(12) },
    { path: "access-requestsX/8-a.yaml", sha: sha(13) },
    { path: "zz.yaml", sha: sha(14) },
  ].sort(byteOrder);

  it.each([2, 3, 4] as const)("lists the folder's .yaml entries of format %i, a sha only for merged regular files git looks at", (version) => {
    expect(listed(writeIndex(version, entries))).toEqual([
      ["access-requests/a/1-a.yaml", sha(2)],
      ["access-requests/a/2-a.yaml", sha(3)],
      ["access-requests/a/3-a.yaml", undefined],
      ["access-requests/a/4-a.yaml", undefined],
      ["access-requests/a/5-a.yaml", undefined],
      ["access-requests/a/6-a.yaml", sha(9)],
      ["access-requests/b/" + "x".repeat(5000) + ".yaml", sha(11)],
      ["access-requests/é/7-a.yaml", sha(12)],
    ]);
  });

  it.each([3, 4] as const)("leaves skip-worktree and intent-to-add entries without a sha (format %i)", (version) => {
    const index = writeIndex(version, [
      { path: "access-requests/a/1-a.yaml", sha: sha(1), skipWorktree: true },
      { path: "access-requests/a/2-a.yaml", sha: sha(2), intentToAdd: true },
      { path: "access-requests/a/3-a.yaml", sha: sha(3) },
    ]);
    expect(listed(index)).toEqual([
      ["access-requests/a/1-a.yaml", undefined],
      ["access-requests/a/2-a.yaml", undefined],
      ["access-requests/a/3-a.yaml", sha(3)],
    ]);
  });

  it("refuses what it cannot read as git does: another version, a submodule or sparse folder in the folder, a required extension, entries past the end", () => {
    const one: Entry[] = [{ path: "access-requests/a/1-a.yaml", sha: sha(1) }];
    const v2 = writeIndex(2, one);
    const v5 = Buffer.from(v2);
    v5.writeUInt32BE(5, 4);
    expect(listed(v5)).toBe("index format 5");
    expect(listed(writeIndex(2, [{ path: "access-requests/sub", sha: sha(1), mode: 0o160000 }]))).toBe("a submodule under the folder");
    expect(listed(writeIndex(3, [{ path: "access-requests/old/", sha: sha(1), mode: 0o040000, skipWorktree: true }]))).toBe("a sparse index");
    // A submodule elsewhere is no matter.
    expect(listed(writeIndex(2, [{ path: "vendor/x", sha: sha(1), mode: 0o160000 }, ...one]))).toEqual([["access-requests/a/1-a.yaml", sha(1)]]);
    expect(listed(writeIndex(2, one, [["link", Buffer.alloc(20)]]))).toBe("index extension link");
    expect(listed(writeIndex(2, one, [["sdir", Buffer.alloc(0)]]))).toBe("index extension sdir");
    expect(
      listed(
        writeIndex(2, one, [
          ["TREE", Buffer.from("x")],
          ["UNTR", Buffer.alloc(3)],
        ]),
      ),
    ).toEqual([["access-requests/a/1-a.yaml", sha(1)]]);
    const more = Buffer.from(v2);
    more.writeUInt32BE(2, 8);
    expect(typeof listed(more)).toBe("string");
    expect(listed(Buffer.from("not an index"))).toBe("not an index file");
  });

  it("never throws on a torn or damaged file", () => {
    const files = ([2, 3, 4] as const).map((v) =>
      writeIndex(
        v,
        Array.from({ length: 12 }, (_, n) => ({ path: `access-requests/p${n % 3}/${100 + n}-x.yaml`, sha: sha(n), skipWorktree: v > 2 && n === 4 })).sort(
          byteOrder,
        ),
        [["TREE", Buffer.alloc(5)]],
      ),
    );
    fc.assert(
      fc.property(fc.nat(2), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (which, at, delta, cut) => {
        const file = Buffer.from(files[which]!);
        const damaged = cut ? file.subarray(0, at % file.length) : file;
        if (!cut) damaged[at % file.length] = (damaged[at % file.length]! + delta) % 256;
        expect(() => listed(damaged)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the walk's order of paths", () => {
  // What the walk does: names compared as JavaScript compares strings, folder by folder.
  const walkOrder = (a: string, b: string): number => {
    const x = a.split("/");
    const y = b.split("/");
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return x.length - y.length;
  };
  const name = fc
    .array(fc.constantFrom("a", "b", "-", ".", "_", "0", "Z", "é", "\u{e000}", "\u{fffd}", "\u{1f600}", "\u{10000}", "~"), { minLength: 1, maxLength: 4 })
    .map((cs) => cs.join(""));
  const path = fc.array(name, { minLength: 1, maxLength: 3 }).map((ns) => ns.join("/"));

  it("scanCompare orders two UTF-8 paths as the walk does", () => {
    fc.assert(
      fc.property(path, path, (a, b) => {
        const bytes = Buffer.from(a + b);
        const split = Buffer.byteLength(a);
        expect(Math.sign(scanCompare(bytes, 0, split, split, bytes.length))).toBe(Math.sign(walkOrder(a, b)));
      }),
      { numRuns: 3000 },
    );
  });

  it("scanOrderOf sorts paths in byte order (git's) into the walk's", () => {
    fc.assert(
      fc.property(fc.uniqueArray(path, { maxLength: 40 }), (paths) => {
        const sorted = [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const bytes = Buffer.from(sorted.join(""));
        const start = new Int32Array(sorted.length);
        const end = new Int32Array(sorted.length);
        let at = 0;
        sorted.forEach((p, i) => {
          start[i] = at;
          at += Buffer.byteLength(p);
          end[i] = at;
        });
        const order = scanOrderOf(bytes, start, end, sorted.length);
        const got = order ? [...order].map((i) => sorted[i]!) : sorted;
        expect(got).toEqual([...paths].sort(walkOrder));
      }),
      { numRuns: 1000 },
    );
  });
});
