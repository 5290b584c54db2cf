// The report's records, as facts (report/facts.ts), read with a cache where the checkout lets git
// list the request files' blob shas. Every report reads every record and the whole history, and
// nearly all records are closed and never change again: reading, parsing, validating and judging
// 100,000 files, and folding 300,000 commits, costs seconds, where listing the files' shas from
// git's index (GitRecordStore.listKnown, as the sweep does) and looking them up costs a fraction.
//
// The cache maps a path and the git blob sha of its bytes to what the report made of them: the
// facts, the facts with a note (a record that does not validate today), or why it was skipped.
// That depends on the bytes, the path, the config, the catalogue and this code: the last three are
// the cache's key, so a cache of another config, catalogue or version is ignored whole, and an
// entry is used only for the path and blob it was made from. Beside each record it keeps what the
// history says of it (when requested, approved, the grant commit's risk tier, the Rule: codes) for
// its keys (path, id, merge commit) as of one commit: used only when HEAD is still that commit and
// the record's keys are the same; otherwise the history is read and folded whole, and the cache
// rewritten. A file git does not vouch for (changed, untracked, ...) is read as the walk reads it.
// A cache that is missing, unreadable or of another key costs time, never a record. It lives in
// the git directory (.git/jit-access/report-cache), is never committed, and deleting it is always
// safe.
import { createHash } from "node:crypto";
import { endianness } from "node:os";
import { crc32 } from "node:zlib";
import type { Result } from "../domain/problems.js";
import { parseRequestFile, REQUESTS_DIR } from "../domain/request.js";
import type { Config } from "../domain/types.js";
import { gitBlobSha, packKnown, type KnownListing, type RecordStore } from "../store/record-store.js";
import type { RecordHistory } from "./aggregate.js";
import { recordFacts, type FactsCatalogue, type RecordFacts } from "./facts.js";
import { asciiJson, encodeTable, FactsTable, type HistoryEntry, type Outcome, type TableRow } from "./facts-table.js";

export const REPORT_CACHE_FILE = "report-cache";
/** Changes whenever what a record's facts hold, or how they are made, changes. */
const FACTS_FORMAT = 2;
/** Example requests shipped with jit-access: never counted as real requests. */
export const EXAMPLES_DIR = `${REQUESTS_DIR}/examples`;
const EXAMPLES_PREFIX = `${EXAMPLES_DIR}/`;

/** The records' history values as of one commit (HEAD), with how many commits that history has. */
export interface RecordedHistory {
  head: string;
  commits: number;
  /** By position in `facts`. */
  records: RecordHistory[];
}

export interface ReportRecords {
  /** In path order, as the walk lists them. */
  facts: RecordFacts[];
  skipped: Array<{ file: string; reason: string }>;
  /** Records that do not validate today, counted as recorded. */
  notes: string[];
  examplesExcluded: number;
  /** Every record's history values, when the cache has them for HEAD (`opts.head`) and the records' keys. */
  recorded?: RecordedHistory;
  /** Writes the cache when it changed: with `history` (read whole for these records), or keeping what it had. */
  save(history?: RecordedHistory): Promise<boolean>;
  stats: {
    /** "cache": listed by git, facts looked up; "walk": every file read (not a git checkout git can list). */
    via: "cache" | "walk";
    files: number;
    reads: number;
    cacheIgnored?: string;
  };
}

/** The request files on disk, as the CLI's walk finds and reads them. */
export interface ReportDisk {
  /** Every request file the walk finds (.yaml and .yml, links too), for when the store cannot list them. */
  walk(): string[];
  /** The .yml files git lists, when the store's listing does not name them; undefined when git cannot say. */
  listYml(): Promise<string[] | undefined>;
  /** Whether the walk finds `file`: its folders are folders, not links, and it is a file or a link. */
  found(file: string): boolean;
  /** A file's bytes, or why they cannot be read (a link, too large, not a file). */
  read(file: string): Result<Uint8Array>;
}

export interface ReportRecordsOptions {
  config: Config;
  catalogue: FactsCatalogue;
  /** Names the catalogue's data (its package version, say): facts derived from another are not reused. */
  catalogueStamp: string;
  /** The jit-access version: facts made by another are not reused. */
  version: string;
  /** The commit the history is read at (asked while the files are listed); without one no history values are taken from the cache. */
  head?: Promise<string | undefined>;
}

/** The facts of every request file under access-requests/ (examples excluded). */
export async function readReportRecords(store: RecordStore, disk: ReportDisk, opts: ReportRecordsOptions): Promise<ReportRecords> {
  const key = createHash("sha1")
    .update(
      JSON.stringify({ format: FACTS_FORMAT, endianness: endianness(), version: opts.version, catalogue: opts.catalogueStamp, config: opts.config }, plain),
    )
    .digest("hex");
  const judge = (file: string, bytes: Uint8Array): Outcome => {
    const parsed = parseRequestFile(bytes, { file, config: opts.config });
    // A record that breaks a rule the schema cannot express (an account since removed from the
    // config, say) still happened: it is counted, and listed as a note.
    if (parsed.ok) return { facts: recordFacts(file, parsed.value.request, opts.catalogue) };
    if (parsed.request)
      return {
        facts: recordFacts(file, parsed.request, opts.catalogue),
        note: `${file} does not validate today (${parsed.problems[0]?.message ?? "invalid"}); counted as recorded`,
      };
    return { skipped: parsed.problems[0]?.message ?? "invalid" };
  };
  const listed = await Promise.all([
    store.listKnown?.().then(
      // The .yml files the walk would find too: from the listing, else from git (a second look at the tree).
      async (list) => (list === undefined ? undefined : { list, yml: Array.isArray(list) || !list.yml ? await disk.listYml() : list.yml }),
      () => undefined,
    ),
    store.loadPrivate?.(REPORT_CACHE_FILE).then((raw) => (raw ? decodeCache(raw, key) : undefined)),
  ]).catch(() => undefined);
  // Each file: its outcome, and what the cache is to keep of it (the blob sha, or the old row to copy it from).
  const found: Array<{ file: string; outcome: Outcome; sha: string | number; keep: boolean; history: HistoryEntry | undefined }> = [];
  const stats: ReportRecords["stats"] = { via: "walk", files: 0, reads: 0 };
  let examplesExcluded = 0;
  const cache = listed?.[1];
  let changed = cache === undefined || cache === null;
  if (!listed?.[0]?.yml) {
    // Not a checkout git can list: every file is read, as found on disk; nothing is cached.
    for (const file of disk.walk()) {
      stats.files++;
      if (file.startsWith(EXAMPLES_PREFIX)) {
        examplesExcluded++;
        continue;
      }
      stats.reads++;
      const bytes = disk.read(file);
      const outcome = bytes.ok ? judge(file, bytes.value) : { skipped: bytes.problems[0]?.message ?? "unreadable" };
      found.push({ file, outcome, sha: "", keep: false, history: undefined });
    }
    return result(found, examplesExcluded, stats, async () => false);
  }
  const { list, yml } = listed[0];
  const known: KnownListing = Array.isArray(list) ? packKnown(list) : list;
  stats.via = "cache";
  if (!cache) stats.cacheIgnored = cache === undefined ? "absent" : "unreadable, or of another config, catalogue or version";
  let hits = 0;
  /** `at`: where the listing holds the file's blob sha (-1: git does not vouch for the file). */
  /** `row`: the cache's row of the file, or -1. */
  const visit = (file: string, at: number, row: number) => {
    stats.files++;
    if (file.startsWith(EXAMPLES_PREFIX)) {
      examplesExcluded++;
      return;
    }
    if (cache && row >= 0 && at >= 0 && cache.holds(row, known.shas, at)) {
      const outcome = cache.outcome(row, file);
      if (outcome) {
        hits++;
        found.push({ file, outcome, sha: row, keep: true, history: cache.history(row, "facts" in outcome ? outcome.facts : undefined) });
        return;
      }
    }
    // A file git lists without vouching for it: what the walk would find there, or nothing (deleted,
    // under a folder that is now a link, no longer a file or a link).
    if (at < 0 && !disk.found(file)) return;
    stats.reads++;
    changed = true;
    const bytes = disk.read(file);
    if (!bytes.ok) {
      found.push({ file, outcome: { skipped: bytes.problems[0]?.message ?? "unreadable" }, sha: "", keep: false, history: undefined });
      return;
    }
    const outcome = judge(file, bytes.value);
    // Kept only when the bytes read are the blob git lists: a file git converts on checkout (eol, a
    // filter) differs from its blob, and is read every time.
    const sha = at >= 0 ? known.shas.toString("hex", at, at + 20) : "";
    const keep = sha !== "" && gitBlobSha(bytes.value) === sha;
    // The history values of the record's previous blob stay good while its keys are the same.
    const old = cache && row >= 0 ? (cache.history(row, undefined) ?? cache.history(row, facts(cache.outcome(row, file)))) : undefined;
    found.push({ file, outcome, sha, keep, history: old });
  };
  let next = 0;
  for (let i = 0; i < known.count; i++) {
    let row = cache ? cache.rowIfAt(next, known.bytes, known.start[i]!, known.end[i]!) : -1;
    let file: string;
    if (row >= 0) file = cache!.file(row);
    else {
      file = known.path(i);
      row = cache ? cache.row(file) : -1;
    }
    if (row >= 0) next = row + 1;
    visit(file, known.shaAt[i]!, row);
  }
  for (const file of yml) visit(file, -1, cache ? cache.row(file) : -1);
  if (cache && hits !== cache.size) changed = true;
  found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

  const out = result(found, examplesExcluded, stats, async (history) => {
    if (!store.savePrivate || (!changed && history === undefined)) return false;
    // history.records are by position among the facts (the skipped files have none).
    let k = 0;
    const rows = found.map(({ file, outcome, sha, keep, history: had }): TableRow => {
      const f = facts(outcome);
      const h = f ? history?.records[k++] : undefined;
      return {
        file,
        sha: typeof sha === "number" ? (cache?.shaBytes(sha) ?? "") : sha,
        outcome: keep ? outcome : undefined,
        history: f && h ? { id: f.id, merge: f.grant?.merge_commit, values: h } : history ? undefined : had,
      };
    });
    const head = history ? { head: history.head, commits: history.commits } : cache?.head;
    try {
      await store.savePrivate(REPORT_CACHE_FILE, encodeCache(key, head, rows));
      return true;
    } catch {
      // A cache that cannot be written costs the next report time, never a record.
      return false;
    }
  });
  // The history values, when the cache has every record's for HEAD.
  const head = await opts.head;
  if (cache?.head && head !== undefined && cache.head.head === head) {
    const records: RecordHistory[] = [];
    for (const { outcome, history: h } of found) {
      const f = facts(outcome);
      if (!f) continue;
      if (!h || h.id !== f.id || h.merge !== f.grant?.merge_commit) break;
      records.push(h.values);
    }
    if (records.length === out.facts.length) out.recorded = { head: cache.head.head, commits: cache.head.commits, records };
  }
  return out;
}

function facts(o: Outcome | undefined): RecordFacts | undefined {
  return o && "facts" in o ? o.facts : undefined;
}

/** JSON.stringify's replacer that writes a Map or a Set (the config holds some) as its entries, not as {}. */
function plain(_key: string, value: unknown): unknown {
  if (value instanceof Map) return { map: [...value] };
  if (value instanceof Set) return { set: [...value] };
  return value;
}

function result(
  found: ReadonlyArray<{ file: string; outcome: Outcome }>,
  examplesExcluded: number,
  stats: ReportRecords["stats"],
  save: ReportRecords["save"],
): ReportRecords {
  const out: ReportRecords = { facts: [], skipped: [], notes: [], examplesExcluded, stats, save };
  for (const { file, outcome } of found) {
    if ("skipped" in outcome) out.skipped.push({ file, reason: outcome.skipped });
    else {
      out.facts.push(outcome.facts);
      if (outcome.note !== undefined) out.notes.push(outcome.note);
    }
  }
  return out;
}

interface CacheHead {
  head: string;
  commits: number;
}

const HEADER = "jit-access report-cache";

/**
 * The cache file: a header line (the key, and the CRC-32 of the rest), a line of JSON naming the
 * head the history values are for (padded so that what follows starts at a multiple of 8), then
 * the rows as columns (facts-table.ts).
 */
function encodeCache(key: string, head: CacheHead | undefined, rows: readonly TableRow[]): Buffer {
  const line = asciiJson({ head: head ?? null });
  // The checksum's place is kept in the header, filled in once the rest is written.
  const header = `${HEADER} ${key} ${"0".repeat(8)}\n`;
  const pad = (8 - ((header.length + line.length + 1) % 8)) % 8;
  const out = encodeTable(rows, Buffer.from(`${header}${line}${" ".repeat(pad)}\n`, "latin1"));
  out.write(checksum(out.subarray(header.length)), header.length - 9, "latin1");
  return out;
}

/** CRC-32 of the bytes, in hex: against a torn or damaged file (the cache is trusted like the working tree, not against an attacker). */
function checksum(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).padStart(8, "0");
}

/**
 * The head and the rows; null when the file is not a cache of this key written whole: the header
 * names the key and the CRC-32 of the rest, so a file torn or edited anywhere (a changed byte inside
 * a string still parses) is ignored whole.
 */
function decodeCache(raw: Buffer, key: string): (FactsTable & { head: CacheHead | undefined }) | null {
  const first = raw.indexOf(10);
  if (first < 0) return null;
  const header = raw.toString("latin1", 0, first).split(" ");
  if (header.length !== 4 || `${header[0]} ${header[1]}` !== HEADER || header[2] !== key) return null;
  if (checksum(raw.subarray(first + 1)) !== header[3]) return null;
  const second = raw.indexOf(10, first + 1);
  if (second < 0) return null;
  let parsed: { head?: unknown };
  try {
    parsed = JSON.parse(raw.toString("latin1", first + 1, second)) as { head?: unknown };
  } catch {
    return null;
  }
  const h = parsed.head as CacheHead | null | undefined;
  if (h !== null && !(typeof h === "object" && typeof h.head === "string" && Number.isSafeInteger(h.commits))) return null;
  const table = FactsTable.from(raw.subarray(second + 1));
  return table ? Object.assign(table, { head: h ?? undefined }) : null;
}
