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
import { scanRecords, type RecordStore } from "../store/record-store.js";
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
  const listing = store.listKnown && store.readKnown ? await Promise.all([store.listKnown(), store.loadPrivate?.(SUMMARY_CACHE_FILE)]) : undefined;
  if (!listing?.[0] || !store.readKnown) {
    let files = 0;
    await scanRecords(store, (f) => {
      files++;
      const r = read(f);
      if (r) keep(r);
    });
    return { records, stats: { via: "scan", files, reads: files, saved: false } };
  }
  const [known, raw] = listing;
  const cache = raw ? decodeSummaryCache(raw) : undefined;
  const nowMs = now.getTime();
  // Summaries of blobs read this run, to add to the cache.
  const added = new Map<string, RecordSummary>();
  let reads = 0;
  let hits = 0;
  for (const k of known) {
    const hit = k.sha !== undefined ? cache?.get(k.sha) : undefined;
    if (hit) hits++;
    if (hit && usableFor(hit, k.path, nowMs)) {
      if (closed && ClosedRecords.takes(hit)) closed.add(hit.id, hit.status, records.length);
      else records.push({ path: k.path, summary: hit });
      continue;
    }
    const f = store.readKnown(k.path);
    reads++;
    if (!f) continue;
    const r = read(f);
    if (r) keep(r);
    // Kept only when the bytes read are the blob git lists (or git lists none): a file git
    // converts on checkout (eol, filters) differs from its blob, and is read every time.
    if (r && "summary" in r && !hit && (k.sha === undefined || k.sha === f.sha) && isCacheableSummary(r.summary)) added.set(f.sha, r.summary);
  }
  // Rewritten (whole: 100,000 entries are ~9 MB) only when that pays: no usable cache, many new
  // summaries, or many entries of blobs no longer listed. Until then a few changed files a run are
  // read again, which costs less than writing the file.
  let saved = false;
  const stale = (cache?.size ?? 0) - hits;
  if (store.savePrivate && (!cache || added.size > Math.max(REWRITE_AFTER, known.length / 100) || stale > cache.size / 4)) {
    const next = new Map<string, RecordSummary>();
    for (const k of known) {
      const s = k.sha !== undefined ? cache?.get(k.sha) : undefined;
      if (s) next.set(k.sha as string, s);
    }
    for (const [sha, s] of added) next.set(sha, s);
    try {
      await store.savePrivate(SUMMARY_CACHE_FILE, encodeSummaryCache(next));
      saved = true;
    } catch {
      // A cache that cannot be written costs the next run time, never a record.
    }
  }
  return {
    records,
    stats: {
      via: "cache",
      files: known.length,
      reads,
      ...(raw === undefined ? { cacheIgnored: "absent" } : cache ? {} : { cacheIgnored: "unreadable or of another version" }),
      saved,
    },
  };
}

/** The statuses a summary can have, each one string (an entry's status is not a slice of the file). */
const STATUSES = ["proposed", "active", "expired", "revoked", "rejected", "failed"] as const;

/** The status `text` holds from `start` to `end`, compared in place (no slice per cache entry), or undefined. */
function statusAt(text: string, start: number, end: number): RecordSummary["status"] | undefined {
  for (const s of STATUSES) if (s.length === end - start && text.startsWith(s, start)) return s;
  return undefined;
}

/** Whether recordReader would take this summary for a file at `path` at `nowMs` (else it parses the file). */
function usableFor(s: RecordSummary, path: string, nowMs: number): boolean {
  // path ends with `/${s.id}.yaml`, compared in place: this runs for every record on every sweep.
  const at = path.length - 5 - s.id.length;
  if (path.startsWith("access-requests/examples/") || !path.endsWith(".yaml") || path.charCodeAt(at - 1) !== 47 /* / */ || !path.startsWith(s.id, at))
    return false;
  return !(s.status === "active" && !(Date.parse(s.expires_at ?? "") > nowMs));
}

/**
 * The cache file: a header line, one `sha status id [expires_at]` line per blob, and a last line
 * with the sha-1 of everything before it, so a torn or edited file is seen as one.
 */
export function encodeSummaryCache(entries: ReadonlyMap<string, RecordSummary>): string {
  const lines = [HEADER];
  for (const [sha, s] of entries) lines.push(`${sha} ${s.status} ${s.id}${s.expires_at !== undefined ? ` ${s.expires_at}` : ""}\n`);
  const body = lines.join("");
  return `${body}${createHash("sha1").update(body).digest("hex")}\n`;
}

/** The entries of a cache file, or undefined when it is not one this version wrote whole. */
export function decodeSummaryCache(raw: Buffer | string): Map<string, RecordSummary> | undefined {
  const text = typeof raw === "string" ? raw : raw.toString("utf8");
  if (!text.startsWith(HEADER) || !text.endsWith("\n")) return undefined;
  const last = text.lastIndexOf("\n", text.length - 2);
  if (last < 0) return undefined;
  const body = text.slice(0, last + 1);
  if (createHash("sha1").update(body).digest("hex") !== text.slice(last + 1, -1)) return undefined;
  const out = new Map<string, RecordSummary>();
  for (let start = HEADER.length; start < body.length;) {
    const end = body.indexOf("\n", start);
    // `<sha> <status> <id>[ <expires_at>]`, read in place: this runs over every entry on every sweep.
    const a = start + 40;
    const b = body.indexOf(" ", a + 1);
    if (a >= end || body.charCodeAt(a) !== 32 || b < 0 || b > end) return undefined;
    const status = statusAt(body, a + 1, b);
    const c = body.indexOf(" ", b + 1);
    const idEnd = c < 0 || c > end ? end : c;
    const id = body.slice(b + 1, idEnd);
    const summary: RecordSummary = idEnd < end ? { id, status: status!, expires_at: body.slice(idEnd + 1, end) } : { id, status: status! };
    if (!status || !isCacheableSummary(summary)) return undefined;
    out.set(body.slice(start, a), summary);
    start = end + 1;
  }
  return out;
}
