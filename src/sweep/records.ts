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
const HEADER = "jit-access sweep-cache 2\n";
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

/** The statuses a summary can have, by their code in the cache file. */
const STATUSES = ["proposed", "active", "expired", "revoked", "rejected", "failed"] as const;
const ACTIVE = 1;
const CODE = new Map<string, number>(STATUSES.map((w, i) => [w, i]));
const EXAMPLES = Buffer.from("access-requests/examples/");
const YAML = Buffer.from(".yaml");
const EXPIRES = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/**
 * A cache file, read in place: `HEADER`, the number of entries n (u32 LE), their blob shas (20
 * bytes each, sorted, each once), their status codes (a byte each), the end of each entry's text
 * (u32 LE each) and the texts (`<id>`, or `<id> <expires_at>` when active), then the sha-1 of
 * everything before. Opening one costs its checksum and nothing per entry: a sweep looks up
 * 100,000 blobs in it by binary search, and an entry is checked (a request id; an expiry exactly
 * when active) when it is used. A file of another version, torn or edited, is ignored whole; a
 * well-formed entry that no summary can be is never used (its file is read).
 */
class SummaryTable {
  private constructor(
    private readonly raw: Buffer,
    readonly size: number,
    private readonly codesAt: number,
    private readonly endsAt: number,
    private readonly textAt: number,
    private readonly buckets: Int32Array,
  ) {}

  static decode(raw: Buffer): SummaryTable | undefined {
    const h = HEADER.length;
    if (raw.length < h + 24 || raw.toString("latin1", 0, h) !== HEADER) return undefined;
    const body = raw.length - 20;
    if (!createHash("sha1").update(raw.subarray(0, body)).digest().equals(raw.subarray(body))) return undefined;
    const n = raw.readUInt32LE(h);
    const codesAt = h + 4 + 20 * n;
    const endsAt = codesAt + n;
    const textAt = endsAt + 4 * n;
    if (textAt > body || textAt + (n ? raw.readUInt32LE(textAt - 4) : 0) !== body) return undefined;
    // Where each first two bytes' shas begin (they are sorted): a lookup compares one or two.
    const buckets = new Int32Array(65537);
    for (let e = 0, o = h + 4; e < n; e++, o += 20) buckets[((raw[o]! << 8) | raw[o + 1]!) + 1]!++;
    for (let b = 1; b <= 65536; b++) buckets[b]! += buckets[b - 1]!;
    return new SummaryTable(raw, n, codesAt, endsAt, textAt, buckets);
  }

  /** The entry of the blob whose binary sha is shas[at, at + 20), or -1: compared in place, in the shas of its first two bytes. */
  find(shas: Buffer, at: number): number {
    const raw = this.raw;
    const b = (shas[at]! << 8) | shas[at + 1]!;
    next: for (let e = this.buckets[b]!, stop = this.buckets[b + 1]!; e < stop; e++) {
      const o = HEADER.length + 4 + 20 * e;
      for (let k = 2; k < 20; k++) if (raw[o + k] !== shas[at + k]) continue next;
      return e;
    }
    return -1;
  }

  has(sha: string): boolean {
    return /^[0-9a-f]{40}$/.test(sha) && this.find(Buffer.from(sha, "hex"), 0) >= 0;
  }

  private textStart(e: number): number {
    return this.textAt + (e === 0 ? 0 : this.raw.readUInt32LE(this.endsAt + 4 * (e - 1)));
  }

  private textEnd(e: number): number {
    return this.textAt + this.raw.readUInt32LE(this.endsAt + 4 * e);
  }

  /** The end of entry e's id, or -1 when the entry is not one a summary can be. */
  private idEnd(e: number): number {
    const code = this.raw[this.codesAt + e]!;
    const start = this.textStart(e);
    const end = this.textEnd(e);
    if (code >= STATUSES.length || end < start || end > this.raw.length - 20) return -1;
    let c = start;
    while (c < end && this.raw[c] !== 32) c++;
    if (!isId(this.raw, start, c) || (code === ACTIVE) !== c < end) return -1;
    return c;
  }

  status(e: number): RecordSummary["status"] {
    return STATUSES[this.raw[this.codesAt + e]!]!;
  }

  /** Entry e's summary (an entry usableFor took, or one idEnd found well formed). */
  summary(e: number): RecordSummary {
    const idEnd = this.idEnd(e);
    const id = this.raw.toString("latin1", this.textStart(e), idEnd);
    const status = this.status(e);
    return status === "active" ? { id, status, expires_at: this.raw.toString("latin1", idEnd + 1, this.textEnd(e)) } : { id, status };
  }

  /**
   * Whether recordReader would take entry e's summary for the file whose path is bytes[ps, pe) at
   * `nowMs` (else it parses the file): the entry is well formed, the path ends with `/<id>.yaml`
   * and is not an example's, and an active grant's expiry has not passed.
   */
  usableFor(e: number, bytes: Buffer, ps: number, pe: number, nowMs: number): boolean {
    // The file's name, byte by byte, in place: this runs for every record on every sweep. A closed
    // entry's text is its id; an active one's ends with a space and the expiry.
    const raw = this.raw;
    const code = raw[this.codesAt + e]!;
    const idStart = this.textStart(e);
    const idEnd = code === ACTIVE ? this.idEnd(e) : this.textEnd(e);
    if (idEnd < idStart || code >= STATUSES.length || idEnd > raw.length - 20) return false;
    const at = pe - 5 - (idEnd - idStart);
    if (at - 1 < ps || bytes[at - 1] !== 47 /* / */) return false;
    for (let k = idStart; k < idEnd; k++) if (bytes[at + k - idStart] !== raw[k]) return false;
    if (!isId(raw, idStart, idEnd)) return false;
    for (let k = 0; k < 5; k++) if (bytes[pe - 5 + k] !== YAML[k]) return false;
    if (pe - ps >= EXAMPLES.length) {
      let k = 0;
      while (k < EXAMPLES.length && bytes[ps + k] === EXAMPLES[k]) k++;
      if (k === EXAMPLES.length) return false;
    }
    if (code !== ACTIVE) return true;
    const expires = raw.toString("latin1", idEnd + 1, this.textEnd(e));
    return EXPIRES.test(expires) && Date.parse(expires) > nowMs;
  }

  /** Entry e as the writer takes it: its sha, code and text, as they are (nothing decoded). */
  entry(e: number): CacheEntry {
    const keys = HEADER.length + 4;
    return {
      sha: this.raw.subarray(keys + 20 * e, keys + 20 * e + 20),
      code: this.raw[this.codesAt + e]!,
      text: this.raw.subarray(this.textStart(e), this.textEnd(e)),
    };
  }

  /** The well-formed entries, as decodeSummaryCache gives them; undefined if any is not. */
  entries(): Map<string, RecordSummary> | undefined {
    const out = new Map<string, RecordSummary>();
    const keys = HEADER.length + 4;
    for (let e = 0; e < this.size; e++) {
      if (e > 0 && this.raw.compare(this.raw, keys + 20 * e, keys + 20 * e + 20, keys + 20 * (e - 1), keys + 20 * e) >= 0) return undefined;
      if (this.idEnd(e) < 0) return undefined;
      const s = this.summary(e);
      if (!isCacheableSummary(s)) return undefined;
      out.set(this.raw.toString("hex", keys + 20 * e, keys + 20 * e + 20), s);
    }
    return out;
  }
}

interface CacheEntry {
  sha: Buffer;
  code: number;
  text: Buffer;
}

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
  const entries: CacheEntry[] = [];
  if (cache && hit) for (let e = 0; e < cache.size; e++) if (hit[e]) entries.push(cache.entry(e));
  for (const [sha, s] of added)
    entries.push({
      sha: Buffer.from(sha, "hex"),
      code: CODE.get(s.status)!,
      text: Buffer.from(s.expires_at !== undefined ? `${s.id} ${s.expires_at}` : s.id, "latin1"),
    });
  return writeCache(entries);
}

function writeCache(entries: CacheEntry[]): Buffer {
  const sorted = entries.sort((a, b) => a.sha.compare(b.sha)).filter((x, i, all) => i === 0 || !x.sha.equals(all[i - 1]!.sha));
  const n = sorted.length;
  const head = Buffer.alloc(HEADER.length + 4 + 21 * n + 4 * n);
  head.write(HEADER, 0, "latin1");
  head.writeUInt32LE(n, HEADER.length);
  let textLength = 0;
  sorted.forEach((x, e) => {
    x.sha.copy(head, HEADER.length + 4 + 20 * e);
    head[HEADER.length + 4 + 20 * n + e] = x.code;
    textLength += x.text.length;
    head.writeUInt32LE(textLength, HEADER.length + 4 + 21 * n + 4 * e);
  });
  const body = Buffer.concat([head, ...sorted.map((x) => x.text)]);
  return Buffer.concat([body, createHash("sha1").update(body).digest()]);
}

/** The cache file of `entries` (blob sha → summary; see SummaryTable). */
export function encodeSummaryCache(entries: ReadonlyMap<string, RecordSummary>): Buffer {
  return encodeCache(undefined, undefined, entries);
}

/** The entries of a cache file, or undefined when it is not one this version wrote whole, or holds an entry no summary can be. */
export function decodeSummaryCache(raw: Buffer): Map<string, RecordSummary> | undefined {
  return SummaryTable.decode(raw)?.entries();
}
