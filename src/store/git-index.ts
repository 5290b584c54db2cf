// git's index file (.git/index), read in place for the sweep's listing of request files: each
// file's path and blob sha, and the flags that say git does not look at it, without a string or an
// object per entry and without a process. `git ls-files -s` prints the same for 100,000 files in a
// few times the CPU time, and parsing its text costs more again.
//
// Formats 2, 3 and 4 (gitformat-index(5)) with SHA-1 object names (the caller asks git for the
// object format). Anything else — another version, entries that overrun the file, a split or
// sparse index (the mandatory `link` and `sdir` extensions), a submodule under the folder — is
// refused with the reason, and the caller asks git instead.
/** Entries of one folder of the index, in the index's order (paths compared byte by byte). */
export interface IndexFolder {
  /** The buffer the paths are in: the index itself (formats 2 and 3) or a copy (4, whose paths are prefix-compressed). */
  paths: Buffer;
  start: Int32Array;
  end: Int32Array;
  /** Offset of the entry's 20-byte blob sha in the index, or -1 when git does not vouch for the file (see parseIndex). */
  shaAt: Int32Array;
  count: number;
  /** The folder's .yml files (not request files: the report names them as misnamed), each once. */
  yml: string[];
}

const ASSUME_VALID = 0x8000;
const EXTENDED = 0x4000;
const SKIP_WORKTREE = 0x4000;
const INTENT_TO_ADD = 0x2000;

/**
 * The index's entries under `folder` (e.g. "access-requests/") whose names end in .yaml, one per
 * path. An entry has its sha only when the index holds it merged (stage 0), as a regular file
 * (100644 or 100755), and looks at the working tree for it (neither assume-unchanged nor
 * skip-worktree nor intent-to-add): whether the working tree still matches is the caller's to
 * ask. An unmerged path is listed once, without a sha. A string: why the index cannot be read so.
 */
export function parseIndex(index: Buffer, folder: string): IndexFolder | string {
  if (index.length < 32 || index.toString("latin1", 0, 4) !== "DIRC") return "not an index file";
  const version = index.readUInt32BE(4);
  if (version < 2 || version > 4) return `index format ${version}`;
  // The trailing checksum is not verified, as git does not verify it when it reads the index (the
  // caller makes sure git read this very file); every offset is checked against the file's end.
  const body = index.length - 20;
  const entries = index.readUInt32BE(8);
  const prefix = Buffer.from(folder, "latin1");
  const cap = Math.min(entries, Math.floor(body / 62));
  const start = new Int32Array(cap);
  const end = new Int32Array(cap);
  const shaAt = new Int32Array(cap);
  // Format 4: each path is the previous one less some bytes at its end, plus a suffix; it is built
  // in `scratch`, and the folder's paths are copied out.
  const v4 = version === 4;
  let paths = v4 ? Buffer.allocUnsafe(Math.max(1024, body)) : index;
  const scratch = v4 ? Buffer.allocUnsafe(Math.max(0, body - 12)) : index;
  let scratchLength = 0;
  let pathsUsed = 0;
  let count = 0;
  let off = 12;
  const yml = new Set<string>();
  for (let e = 0; e < entries; e++) {
    const entry = off;
    if (entry + 62 > body) return "index entries overrun the file";
    const mode = index.readUInt32BE(entry + 24);
    const flags = index.readUInt16BE(entry + 60);
    const extended = (flags & EXTENDED) !== 0;
    if (extended && version < 3) return "extended flags in an index of format 2";
    const ext = extended ? index.readUInt16BE(entry + 62) : 0;
    const nameAt = entry + 62 + (extended ? 2 : 0);
    let ps: number;
    let pe: number;
    if (v4) {
      // A varint of the bytes to drop from the previous path (gitformat-index's offset encoding).
      let at = nameAt;
      if (at >= body) return "index entries overrun the file";
      let c = index[at++]!;
      let drop = c & 127;
      while (c & 128) {
        if (at >= body || drop > 1 << 20) return "index entries overrun the file";
        c = index[at++]!;
        drop = ((drop + 1) << 7) | (c & 127);
      }
      const nul = index.indexOf(0, at);
      if (nul < 0 || nul >= body || drop > scratchLength) return "index entries overrun the file";
      scratchLength = scratchLength - drop + index.copy(scratch, scratchLength - drop, at, nul);
      ps = 0;
      pe = scratchLength;
      off = nul + 1;
    } else {
      const length = flags & 0xfff;
      ps = nameAt;
      if (length < 0xfff) pe = ps + length;
      else {
        pe = index.indexOf(0, ps);
        if (pe < 0) return "index entries overrun the file";
      }
      if (pe >= body || index[pe] !== 0) return "index entries overrun the file";
      off = entry + ((pe - entry + 8) & ~7);
    }
    const name = v4 ? scratch : index;
    // Compared in place (Buffer.compare's call costs more than these few bytes).
    if (pe - ps <= prefix.length) continue;
    let k = 0;
    while (k < prefix.length && name[ps + k] === prefix[k]) k++;
    if (k < prefix.length) continue;
    const type = mode >>> 12;
    if (type === 0o16) return "a submodule under the folder";
    if (type === 0o04) return "a sparse index";
    if (name[pe - 5] !== 0x2e || name[pe - 4] !== 0x79 || name[pe - 3] !== 0x61 || name[pe - 2] !== 0x6d || name[pe - 1] !== 0x6c) {
      if (name[pe - 4] === 0x2e && name[pe - 3] === 0x79 && name[pe - 2] === 0x6d && name[pe - 1] === 0x6c) yml.add(name.toString("utf8", ps, pe)); // .yml
      continue; // not .yaml
    }
    if (v4) {
      if (pathsUsed + scratchLength > paths.length) {
        const grown = Buffer.allocUnsafe(2 * (pathsUsed + scratchLength));
        paths.copy(grown, 0, 0, pathsUsed);
        paths = grown;
      }
      ps = pathsUsed;
      pe = ps + scratch.copy(paths, ps, 0, scratchLength);
      pathsUsed = pe;
    }
    const stage = (flags >> 12) & 3;
    if (stage !== 0 && count > 0 && paths.compare(paths, start[count - 1], end[count - 1], ps, pe) === 0) {
      if (v4) pathsUsed = ps;
      continue; // another stage of an unmerged path
    }
    start[count] = ps;
    end[count] = pe;
    const regular = mode === 0o100644 || mode === 0o100755;
    shaAt[count] = stage === 0 && regular && !(flags & ASSUME_VALID) && !(ext & (SKIP_WORKTREE | INTENT_TO_ADD)) ? entry + 40 : -1;
    count++;
  }
  // Extensions: a lowercase signature is one git requires a reader to understand.
  while (off + 8 <= body) {
    const first = index[off]!;
    if (first < 0x41 || first > 0x5a) return `index extension ${index.toString("latin1", off, off + 4)}`;
    off += 8 + index.readUInt32BE(off + 4);
  }
  if (off !== body) return "index extensions overrun the file";
  return { paths, start, end, shaAt, count, yml: [...yml] };
}

/**
 * Two UTF-8 paths of `bytes` in the order a walk of the folders lists them (names compared folder
 * by folder, as JavaScript compares strings: by UTF-16 code unit): byte order, except that "/"
 * sorts below every byte, as a folder's name ends there, and that a character beyond U+FFFF
 * (4 bytes, lead byte F0-F4; a surrogate pair in UTF-16) sorts below U+E000-U+FFFF (lead byte EE
 * or EF). Where the first difference is not a lead byte the characters differ past equal lead
 * bytes, so they are of one length, and UTF-8, code points and UTF-16 agree.
 */
export function scanCompare(bytes: Buffer, a: number, aEnd: number, b: number, bEnd: number): number {
  const n = Math.min(aEnd - a, bEnd - b);
  for (let i = 0; i < n; i++) {
    const x = bytes[a + i]!;
    const y = bytes[b + i]!;
    if (x !== y) {
      if (x === 47) return -1;
      if (y === 47) return 1;
      if (x >= 0xf0 && (y === 0xee || y === 0xef)) return -1;
      if (y >= 0xf0 && (x === 0xee || x === 0xef)) return 1;
      return x - y;
    }
  }
  return aEnd - a - (bEnd - b);
}

/**
 * The permutation that puts paths 0..count-1 in scan order (undefined: they are in it already): a natural merge sort, one pass of
 * comparisons when they are in order already (git's byte order differs only where a name is
 * another's prefix followed by a byte below "/", like "prod" and "prod-eu").
 */
export function scanOrderOf(bytes: Buffer, start: Int32Array, end: Int32Array, count: number): Int32Array | undefined {
  let order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const cmp = (i: number, j: number) => scanCompare(bytes, start[i]!, end[i]!, start[j]!, end[j]!);
  let runs: number[] = [0];
  for (let i = 1; i < count; i++) if (cmp(i - 1, i) > 0) runs.push(i);
  runs.push(count);
  if (runs.length <= 2) return undefined; // in order already
  let other = new Int32Array(count);
  while (runs.length > 2) {
    const next: number[] = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const lo = runs[r]!;
      const mid = runs[r + 1]!;
      const hi = r + 2 < runs.length ? runs[r + 2]! : mid;
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) other[k++] = cmp(order[i]!, order[j]!) <= 0 ? order[i++]! : order[j++]!;
      while (i < mid) other[k++] = order[i++]!;
      while (j < hi) other[k++] = order[j++]!;
      next.push(hi);
    }
    if (next[next.length - 1] !== count) next.push(count);
    [order, other] = [other, order];
    runs = next;
  }
  return order;
}
