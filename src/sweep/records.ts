// The sweep's records, read with a summary cache where the store can list blob shas (a local git
// checkout). A sweep runs every 15 minutes over every record, and nearly all of them are closed
// and never change again: reading and summarizing 100,000 files costs seconds, where looking up
// their blob shas in git's index costs a fraction of one.
//
// The cache maps a git blob sha to `summarize`'s summary of exactly those bytes ({id, status,
// grant.expires_at}), so an entry can never go stale: a changed file is another blob. What a
// summary depends on besides the bytes — the file's path (the id must match its name; examples
// are never summarized) and the time (an active grant whose expiry has passed is parsed in full) —
// is checked on every use, as recordReader checks it. A file git does not vouch for (changed,
// untracked, unmerged, ...) and a blob not in the cache are read from disk as scan reads them.
// A cache that is missing, corrupt or of another version is ignored whole: then every file is
// read, never one skipped. It lives in the git directory (.git/jit-access/sweep-cache), is never
// committed, and deleting it is always safe.
import { createHash } from "node:crypto";
import type { Config } from "../domain/types.js";
import { packKnown, scanRecords, type RecordStore } from "../store/record-store.js";
import { ClosedRecords, isCacheableSummary, recordReader, type RecordSummary, type SweepRecord } from "./plan.js";

export const SUMMARY_CACHE_FILE = "sweep-cache";
const HEADER = "jit-access sweep-cache 1\n";
/** New summaries that make the cache worth rewriting (or 1% of the records, if more). */
const REWRITE_AFTER = 256;

export interface SweepRecordsStats {
  /** "cache": listed by the store and looked up; "scan": every file read (no listing, e.g. GitHub or not a git checkout). */
  via: "cache" | "scan";
  files: number;
  /** Files read from disk (every file, via scan). */
  reads: number;
  /** Why the cache was not used although the listing was, when it was not (absent or unreadable). */
  cacheIgnored?: string;
  /** Whether the cache file was written (it changed). */
  saved: boolean;
}

/**
 * Every record of the store as the sweep plans from it (recordReader's records, in scan's order):
 * the same records a scan gives, with the closed and not-yet-due ones taken from the cache.
 */
export async function readSweepRecords(store: RecordStore, config: Config, now: Date): Promise<{ records: SweepRecord[]; stats: SweepRecordsStats }> {
  return collect(store, config, now, undefined);
}

/**
 * readSweepRecords as planSweep takes it compactly (see ClosedRecords): the closed summaries —
 * nearly every record — as one number per id, the others as records. planSweep(records, …,
 * { closed }) plans as planSweep over readSweepRecords' records.
 */
export async function readSweepInput(
  store: RecordStore,
  config: Config,
  now: Date,
): Promise<{ records: SweepRecord[]; closed: ClosedRecords; stats: SweepRecordsStats }> {
  const closed = new ClosedRecords();
  return { ...(await collect(store, config, now, closed)), closed };
}

async function collect(
  store: RecordStore,
  config: Config,
  now: Date,
  closed: ClosedRecords | undefined,
): Promise<{ records: SweepRecord[]; stats: SweepRecordsStats }> {
  const read = recordReader(config, { now });
  const records: SweepRecord[] = [];
  const keep = (r: SweepRecord): void => {
    if (closed && "summary" in r && ClosedRecords.takes(r.summary)) closed.add(r.summary.id, r.summary.status, records.length);
    else records.push(r);
  };
  // The cache is read and decoded while the store lists (git runs in other processes).
  const listing =
    store.listKnown && store.readKnown
      ? await Promise.all([store.listKnown(), store.loadPrivate?.(SUMMARY_CACHE_FILE).then((raw) => ({ raw, table: raw && SummaryTable.decode(raw) }))])
      : undefined;
  if (!listing?.[0] || !store.readKnown) {
    let files = 0;
    await scanRecords(store, (f) => {
      files++;
      const r = read(f);
      if (r) keep(r);
    });
    return { records, stats: { via: "scan", files, reads: files, saved: false } };
  }
  const [list, loaded] = listing;
  const known = Array.isArray(list) ? packKnown(list) : list;
  const raw = loaded?.raw;
  const cache = loaded?.table;
  const nowMs = now.getTime();
  const { bytes, start, end, shas, shaAt } = known;
  // A closed record's id is its file's name (usableFor checks it): made into a string only if asked.
  const nameOf = (i: number): string => bytes.toString("utf8", bytes.lastIndexOf(47, end[i]! - 1) + 1, end[i]! - 5);
  // Summaries of blobs read this run, to add to the cache.
  const added = new Map<string, RecordSummary>();
  let reads = 0;
  let hits = 0;
  // The cache's entries looked up this run: the ones a rewrite keeps.
  const hit = cache ? new Uint8Array(cache.size) : undefined;
  for (let i = 0; i < known.count; i++) {
    const at = shaAt[i]!;
    const e = at >= 0 && cache ? cache.find(shas, at) : -1;
    if (e >= 0) {
      hits++;
      hit![e] = 1;
      if (cache!.usableFor(e, bytes, start[i]!, end[i]!, nowMs)) {
        const status = cache!.status(e);
        if (closed && status !== "active") closed.addRef(i, status, records.length, nameOf);
        else records.push({ path: known.path(i), summary: cache!.summary(e) });
        continue;
      }
    }
    const f = store.readKnown(known.path(i));
    reads++;
    if (!f) continue;
    const r = read(f);
    if (r) keep(r);
    // Kept only when the bytes read are the blob git lists (or git lists none): a file git
    // converts on checkout (eol, filters) differs from its blob, and is read every time.
    if (r && "summary" in r && e < 0 && (at < 0 || shas.toString("hex", at, at + 20) === f.sha) && isCacheableSummary(r.summary) && !cache?.has(f.sha))
      added.set(f.sha, r.summary);
  }
  // Rewritten (whole: 100,000 entries are ~9 MB) only when that pays: no usable cache, many new
  // summaries, or many entries of blobs no longer listed. Until then a few changed files a run are
  // read again, which costs less than writing the file.
  let saved = false;
  const stale = (cache?.size ?? 0) - hits;
  if (store.savePrivate && (!cache || added.size > Math.max(REWRITE_AFTER, known.count / 100) || stale > cache.size / 4)) {
    try {
      await store.savePrivate(SUMMARY_CACHE_FILE, encodeCache(cache, hit, added));
      saved = true;
    } catch {
      // A cache that cannot be written costs the next run time, never a record.
    }
  }
  return {
    records,
    stats: {
      via: "cache",
      files: known.count,
      reads,
      ...(raw === undefined ? { cacheIgnored: "absent" } : cache ? {} : { cacheIgnored: "unreadable or of another version" }),
      saved,
    },
  };
}

/** The statuses a summary can have. */
const STATUSES = ["proposed", "active", "expired", "revoked", "rejected", "failed"] as const;

/** The index in STATUSES of the word raw[start, end), compared in place, or -1. */
function statusCodeAt(raw: Buffer, start: number, end: number): number {
  next: for (let code = 0; code < STATUSES.length; code++) {
    const w = STATUSES[code]!;
    if (w.length !== end - start) continue;
    for (let k = 0; k < w.length; k++) if (raw[start + k] !== w.charCodeAt(k)) continue next;
    return code;
  }
  return -1;
}
const EXAMPLES = Buffer.from("access-requests/examples/");
const EXPIRES = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 16; c++) HEX["0123456789abcdef".charCodeAt(c)] = c;

/**
 * A cache file's entries, read in place from its bytes: looked up by a binary blob sha (a listing's)
 * in an open-addressing table, so 100,000 entries cost no Map, object or string each. An entry's
 * id and expiry are strings only when its summary is taken.
 */
class SummaryTable {
  private constructor(
    private readonly text: Buffer,
    /** Entry e's line is text[line[e], line[e + 1]); its sha in binary at keys[20 e]. */
    private readonly line: Int32Array,
    private readonly keys: Buffer,
    private readonly codes: Uint8Array,
    private readonly idEnd: Int32Array,
    private readonly expiresMs: Float64Array,
    private readonly slots: Int32Array,
    readonly size: number,
  ) {}

  /** The entries of a cache file, or undefined when it is not one this version wrote whole (see encodeSummaryCache). */
  static decode(raw: Buffer): SummaryTable | undefined {
    const header = HEADER.length;
    if (raw.length < header + 41 || raw.toString("latin1", 0, header) !== HEADER || raw[raw.length - 1] !== 10) return undefined;
    const last = raw.lastIndexOf(10, raw.length - 2);
    if (last < header - 1) return undefined;
    const bodyEnd = last + 1;
    if (raw.length - bodyEnd !== 41 || createHash("sha1").update(raw.subarray(0, bodyEnd)).digest("hex") !== raw.toString("latin1", bodyEnd, raw.length - 1))
      return undefined;
    // Lines are 50 bytes at least: a bound on their number.
    const cap = Math.ceil((bodyEnd - header) / 50) + 1;
    const line = new Int32Array(cap + 1);
    const keys = Buffer.allocUnsafe(20 * cap);
    const codes = new Uint8Array(cap);
    const idEnd = new Int32Array(cap);
    const expiresMs = new Float64Array(cap);
    let n = 0;
    for (let start = header; start < bodyEnd; n++) {
      // `<sha> <status> <id>[ <expires_at>]`
      const end = raw.indexOf(10, start);
      if (n >= cap || end < start + 44 || raw[start + 40] !== 32) return undefined;
      for (let k = 0; k < 20; k++) {
        const hi = HEX[raw[start + 2 * k]!]!;
        const lo = HEX[raw[start + 2 * k + 1]!]!;
        if (hi < 0 || lo < 0) return undefined;
        keys[20 * n + k] = (hi << 4) | lo;
      }
      const b = raw.indexOf(32, start + 41);
      if (b < 0 || b > end) return undefined;
      const code = statusCodeAt(raw, start + 41, b);
      if (code < 0) return undefined;
      let c = raw.indexOf(32, b + 1);
      if (c < 0 || c > end) c = end;
      if (!isId(raw, b + 1, c)) return undefined;
      // Active exactly when it has an expiry, one timestamp (isCacheableSummary).
      if ((STATUSES[code] === "active") !== c < end) return undefined;
      if (c < end) {
        const expires = raw.toString("latin1", c + 1, end);
        if (!EXPIRES.test(expires)) return undefined;
        expiresMs[n] = Date.parse(expires);
      }
      line[n] = start;
      codes[n] = code;
      idEnd[n] = c;
      start = end + 1;
    }
    line[n] = bodyEnd;
    let size = 1;
    while (size < 2 * n) size *= 2;
    const slots = new Int32Array(Math.max(size, 2)).fill(-1);
    const mask = slots.length - 1;
    for (let e = 0; e < n; e++) {
      const o = 20 * e;
      let h = ((keys[o]! << 24) | (keys[o + 1]! << 16) | (keys[o + 2]! << 8) | keys[o + 3]!) & mask;
      while (slots[h] !== -1) h = (h + 1) & mask;
      slots[h] = e;
    }
    return new SummaryTable(raw, line, keys, codes, idEnd, expiresMs, slots, n);
  }

  /** The entry of the blob whose binary sha is shas[at, at + 20), or -1. The first of two lines of one sha. */
  find(shas: Buffer, at: number): number {
    const mask = this.slots.length - 1;
    const keys = this.keys;
    probe: for (let h = ((shas[at]! << 24) | (shas[at + 1]! << 16) | (shas[at + 2]! << 8) | shas[at + 3]!) & mask; ; h = (h + 1) & mask) {
      const e = this.slots[h]!;
      if (e === -1) return -1;
      // Compared in place: Buffer.compare's call costs more than 20 bytes compared here.
      for (let k = 0, o = 20 * e; k < 20; k++) if (keys[o + k] !== shas[at + k]) continue probe;
      return e;
    }
  }

  has(sha: string): boolean {
    return /^[0-9a-f]{40}$/.test(sha) && this.find(Buffer.from(sha, "hex"), 0) >= 0;
  }

  status(e: number): RecordSummary["status"] {
    return STATUSES[this.codes[e]!]!;
  }

  summary(e: number): RecordSummary {
    const start = this.line[e]! + 41 + STATUSES[this.codes[e]!]!.length + 1;
    const id = this.text.toString("latin1", start, this.idEnd[e]);
    const status = this.status(e);
    return status === "active" ? { id, status, expires_at: this.text.toString("latin1", this.idEnd[e]! + 1, this.line[e + 1]! - 1) } : { id, status };
  }

  /**
   * Whether recordReader would take entry e's summary for the file whose path is bytes[ps, pe) at
   * `nowMs` (else it parses the file): the path ends with `/<id>.yaml` and is not an example's, and
   * an active grant's expiry has not passed.
   */
  usableFor(e: number, bytes: Buffer, ps: number, pe: number, nowMs: number): boolean {
    const idStart = this.line[e]! + 41 + STATUSES[this.codes[e]!]!.length + 1;
    const idLength = this.idEnd[e]! - idStart;
    const at = pe - 5 - idLength;
    // In place, byte by byte: this runs for every record on every sweep.
    if (at - 1 < ps || bytes[at - 1] !== 47 /* / */) return false;
    const text = this.text;
    for (let k = 0; k < idLength; k++) if (bytes[at + k] !== text[idStart + k]) return false;
    for (let k = 0; k < 5; k++) if (bytes[pe - 5 + k] !== YAML[k]) return false;
    if (pe - ps >= EXAMPLES.length) {
      let k = 0;
      while (k < EXAMPLES.length && bytes[ps + k] === EXAMPLES[k]) k++;
      if (k === EXAMPLES.length) return false;
    }
    return !(this.codes[e] === 1 /* active */ && !(this.expiresMs[e]! > nowMs));
  }

  /** The file's lines whose entries are in `keep` (by entry), as they are: no entry is decoded to write it again. */
  lines(keep: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    for (let e = 0; e < this.size; e++) if (keep[e]) out.push(this.text.subarray(this.line[e]!, this.line[e + 1]!));
    return out;
  }

  /** Every entry, as decodeSummaryCache gives them. */
  entries(): Map<string, RecordSummary> {
    const out = new Map<string, RecordSummary>();
    for (let e = 0; e < this.size; e++) {
      const sha = this.keys.toString("hex", 20 * e, 20 * e + 20);
      if (!out.has(sha)) out.set(sha, this.summary(e));
    }
    return out;
  }
}
const YAML = Buffer.from(".yaml");

/** Whether raw[start, end) is a request id (plan.ts's ID: [1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*), read in place. */
function isId(raw: Buffer, start: number, end: number): boolean {
  let i = start;
  if (i >= end || raw[i]! < 0x31 || raw[i]! > 0x39) return false;
  for (i++; i < end && raw[i]! >= 0x30 && raw[i]! <= 0x39; i++) if (i - start >= 10) return false;
  if (i >= end || raw[i] !== 0x2d) return false;
  let run = 0;
  for (i++; i < end; i++) {
    const c = raw[i]!;
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a)) run++;
    else if (c === 0x2d && run > 0) run = 0;
    else return false;
  }
  return run > 0;
}

/** The cache file to write: the entries of `cache` that were looked up this run, and `added`. */
function encodeCache(cache: SummaryTable | undefined, hit: Uint8Array | undefined, added: ReadonlyMap<string, RecordSummary>): Buffer {
  const body = Buffer.concat([Buffer.from(HEADER), ...(cache && hit ? cache.lines(hit) : []), Buffer.from(entryLines(added))]);
  return Buffer.concat([body, Buffer.from(`${createHash("sha1").update(body).digest("hex")}\n`)]);
}

function entryLines(entries: ReadonlyMap<string, RecordSummary>): string {
  const lines: string[] = [];
  for (const [sha, s] of entries) lines.push(`${sha} ${s.status} ${s.id}${s.expires_at !== undefined ? ` ${s.expires_at}` : ""}\n`);
  return lines.join("");
}

/**
 * The cache file: a header line, one `sha status id [expires_at]` line per blob, and a last line
 * with the sha-1 of everything before it, so a torn or edited file is seen as one.
 */
export function encodeSummaryCache(entries: ReadonlyMap<string, RecordSummary>): string {
  const body = HEADER + entryLines(entries);
  return `${body}${createHash("sha1").update(body).digest("hex")}\n`;
}

/** The entries of a cache file, or undefined when it is not one this version wrote whole. */
export function decodeSummaryCache(raw: Buffer | string): Map<string, RecordSummary> | undefined {
  return SummaryTable.decode(typeof raw === "string" ? Buffer.from(raw, "utf8") : raw)?.entries();
}
