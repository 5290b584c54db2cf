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
import type { Result } from "../domain/problems.js";
import { parseRequestFile, REQUESTS_DIR } from "../domain/request.js";
import type { Config, RiskTier } from "../domain/types.js";
import { gitBlobSha, packKnown, type KnownListing, type RecordStore } from "../store/record-store.js";
import type { RecordHistory } from "./aggregate.js";
import { isPackedFacts, packFacts, recordFacts, unpackFacts, type FactsCatalogue, type PackedFacts, type RecordFacts } from "./facts.js";

export const REPORT_CACHE_FILE = "report-cache";
/** Changes whenever what a record's facts hold, or how they are made, changes. */
const FACTS_FORMAT = 1;
/** Example requests shipped with jit-access: never counted as real requests. */
export const EXAMPLES_DIR = `${REQUESTS_DIR}/examples`;

/** What the report made of one file. */
type Outcome = { facts: RecordFacts; note?: string } | { skipped: string };

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
  /** The .yml files git lists (listKnown lists .yaml only); undefined when git cannot say. */
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
  /** The commit the history is read at; without one no history values are taken from the cache. */
  head?: string | undefined;
}

/** The facts of every request file under access-requests/ (examples excluded). */
export async function readReportRecords(store: RecordStore, disk: ReportDisk, opts: ReportRecordsOptions): Promise<ReportRecords> {
  const key = createHash("sha1")
    .update(JSON.stringify({ format: FACTS_FORMAT, version: opts.version, catalogue: opts.catalogueStamp, config: opts.config }, plain))
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
    store.listKnown?.().catch(() => undefined),
    disk.listYml(),
    store.loadPrivate?.(REPORT_CACHE_FILE).then((raw) => (raw ? decodeCache(raw, key) : undefined)),
  ]).catch(() => undefined);
  const found: Array<{ file: string; outcome: Outcome; entry: CacheEntry }> = [];
  const stats: ReportRecords["stats"] = { via: "walk", files: 0, reads: 0 };
  let examplesExcluded = 0;
  const cache = listed?.[2];
  let changed = cache === undefined || cache === null;
  if (!listed?.[0] || !listed[1]) {
    // Not a checkout git can list: every file is read, as found on disk; nothing is cached.
    for (const file of disk.walk()) {
      stats.files++;
      if (file.startsWith(`${EXAMPLES_DIR}/`)) {
        examplesExcluded++;
        continue;
      }
      stats.reads++;
      const bytes = disk.read(file);
      const outcome = bytes.ok ? judge(file, bytes.value) : { skipped: bytes.problems[0]?.message ?? "unreadable" };
      found.push({ file, outcome, entry: { file, sha: "", outcome: undefined, history: undefined } });
    }
    return result(found, examplesExcluded, stats, undefined, async () => false);
  }
  const [list, yml] = listed;
  const known: KnownListing = Array.isArray(list) ? packKnown(list) : list;
  stats.via = "cache";
  if (!cache) stats.cacheIgnored = cache === undefined ? "absent" : "unreadable, or of another config, catalogue or version";
  let hits = 0;
  const visit = (file: string, sha: string | undefined) => {
    stats.files++;
    if (file.startsWith(`${EXAMPLES_DIR}/`)) {
      examplesExcluded++;
      return;
    }
    const old = cache?.entries.get(file);
    if (old?.outcome && sha !== undefined && old.sha === sha) {
      hits++;
      found.push({ file, outcome: old.outcome, entry: old });
      return;
    }
    // A file git lists without vouching for it: what the walk would find there, or nothing (deleted,
    // under a folder that is now a link, no longer a file or a link).
    if (sha === undefined && !disk.found(file)) return;
    stats.reads++;
    changed = true;
    const bytes = disk.read(file);
    if (!bytes.ok) {
      found.push({ file, outcome: { skipped: bytes.problems[0]?.message ?? "unreadable" }, entry: { file, sha: "", outcome: undefined, history: undefined } });
      return;
    }
    const outcome = judge(file, bytes.value);
    // Kept only when the bytes read are the blob git lists (a file git converts on checkout, for eol
    // or a filter, differs from its blob and is read every time), and pack and unpack keep it whole.
    const cacheable = sha !== undefined && gitBlobSha(bytes.value) === sha && packable(outcome);
    // The history values of the record's previous blob stay good while its keys are the same.
    found.push({ file, outcome, entry: { file, sha: cacheable ? sha : "", outcome: cacheable ? outcome : undefined, history: old?.history } });
  };
  for (let i = 0; i < known.count; i++) {
    const at = known.shaAt[i]!;
    visit(known.path(i), at >= 0 ? known.shas.toString("hex", at, at + 20) : undefined);
  }
  for (const file of yml) visit(file, undefined);
  if (cache && hits !== cache.entries.size) changed = true;
  found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));

  const out = result(found, examplesExcluded, stats, undefined, async (history) => {
    if (!store.savePrivate || (!changed && history === undefined)) return false;
    // history.records are by position among the facts (the skipped files have none).
    let k = 0;
    const entries = found.map(({ outcome, entry }): CacheEntry => {
      const facts = "facts" in outcome ? outcome.facts : undefined;
      const h = facts ? history?.records[k++] : undefined;
      return { ...entry, history: facts && h ? { id: facts.id, merge: facts.grant?.merge_commit, values: h } : history ? undefined : entry.history };
    });
    try {
      await store.savePrivate(REPORT_CACHE_FILE, encodeCache(key, history ? { head: history.head, commits: history.commits } : cache?.head, entries));
      return true;
    } catch {
      // A cache that cannot be written costs the next report time, never a record.
      return false;
    }
  });
  // The history values, when the cache has every record's for HEAD.
  if (cache?.head && opts.head !== undefined && cache.head.head === opts.head) {
    const records: RecordHistory[] = [];
    for (const f of out.facts) {
      const h = cache.entries.get(f.file)?.history;
      if (!h || h.id !== f.id || h.merge !== f.grant?.merge_commit) break;
      records.push(h.values);
    }
    if (records.length === out.facts.length) out.recorded = { head: cache.head.head, commits: cache.head.commits, records };
  }
  return out;
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
  recorded: RecordedHistory | undefined,
  save: ReportRecords["save"],
): ReportRecords {
  const out: ReportRecords = { facts: [], skipped: [], notes: [], examplesExcluded, stats, save, ...(recorded ? { recorded } : {}) };
  for (const { file, outcome } of found) {
    if ("skipped" in outcome) out.skipped.push({ file, reason: outcome.skipped });
    else {
      out.facts.push(outcome.facts);
      if (outcome.note !== undefined) out.notes.push(outcome.note);
    }
  }
  return out;
}

/** Whether the outcome survives the cache whole (a record that does not validate may hold values of other types). */
function packable(o: Outcome): boolean {
  return "skipped" in o || isPackedFacts(packFacts(o.facts));
}

interface CacheEntry {
  file: string;
  /** "" with no outcome: the facts are not cached (only the history values are). */
  sha: string;
  outcome: Outcome | undefined;
  /** What the history says of the record with this id and merge commit, at the cache's head. */
  history: { id: string; merge: string | undefined; values: RecordHistory } | undefined;
}

interface CacheHead {
  head: string;
  commits: number;
}

const HEADER = "jit-access report-cache";

type PackedOutcome = [0, PackedFacts] | [1, PackedFacts, string] | [2, string] | 0;
type PackedHistory = [requested: number | null, approved: number | null, risk: RiskTier | 0, rules: string[] | 0, id?: string, merge?: string | 0] | 0;

/**
 * The cache file: a header line with the key, then one JSON array of the head and one array per
 * entry, an entry to a line (parsed in one JSON.parse, without joining lines first). An entry's
 * history values name their keys (id, merge commit) only when its facts are not cached: else they
 * are the cached facts' keys.
 */
function encodeCache(key: string, head: CacheHead | undefined, entries: readonly CacheEntry[]): string {
  const lines = [JSON.stringify(head ?? null)];
  for (const e of entries) {
    if (!e.outcome && !e.history) continue;
    const o = e.outcome;
    const outcome: PackedOutcome = !o ? 0 : "skipped" in o ? [2, o.skipped] : o.note === undefined ? [0, packFacts(o.facts)] : [1, packFacts(o.facts), o.note];
    const h = e.history;
    const v = h?.values;
    let history: PackedHistory = 0;
    if (h && v) {
      history = [v.requested ?? null, v.approved ?? null, v.risk ?? 0, v.rules ?? 0];
      const own = o && "facts" in o ? o.facts : undefined;
      if (own?.id !== h.id || own.grant?.merge_commit !== h.merge) history.push(h.id, h.merge ?? 0);
    }
    lines.push(JSON.stringify([e.file, e.sha, outcome, history]));
  }
  const body = `[${lines.join(",\n")}]\n`;
  return `${HEADER} ${key} ${createHash("sha1").update(body).digest("hex")}\n${body}`;
}

/**
 * The head and the entries by path; null when the file is not a cache of this key written whole:
 * the header names the key and the sha-1 of the rest, so a file torn or edited anywhere (a changed
 * byte inside a string still parses) is ignored whole.
 */
function decodeCache(raw: Buffer, key: string): { head: CacheHead | undefined; entries: Map<string, CacheEntry> } | null {
  const first = raw.indexOf(10);
  if (first < 0) return null;
  const header = raw.toString("latin1", 0, first).split(" ");
  if (header.length !== 4 || `${header[0]} ${header[1]}` !== HEADER || header[2] !== key) return null;
  if (
    createHash("sha1")
      .update(raw.subarray(first + 1))
      .digest("hex") !== header[3]
  )
    return null;
  let rows: unknown;
  try {
    rows = JSON.parse(raw.toString("utf8", first + 1));
  } catch {
    return null;
  }
  if (!Array.isArray(rows) || rows.length === 0) return null;
  const [head, ...list] = rows as unknown[];
  if (head !== null && !(typeof head === "object" && typeof (head as CacheHead).head === "string" && Number.isSafeInteger((head as CacheHead).commits)))
    return null;
  const entries = new Map<string, CacheEntry>();
  for (const row of list) {
    if (!Array.isArray(row) || row.length !== 4) return null;
    const [file, sha, o, h] = row as [unknown, unknown, unknown, unknown];
    if (typeof file !== "string" || typeof sha !== "string") return null;
    const outcome = unpackOutcome(file, o);
    const history = unpackHistory(h, outcome && "facts" in outcome ? outcome.facts : undefined);
    if (outcome === null || history === null) return null;
    entries.set(file, { file, sha, outcome, history });
  }
  return { head: (head as CacheHead | null) ?? undefined, entries };
}

function unpackOutcome(file: string, o: unknown): Outcome | undefined | null {
  if (o === 0) return undefined;
  if (!Array.isArray(o)) return null;
  if (o[0] === 2 && o.length === 2 && typeof o[1] === "string") return { skipped: o[1] };
  if (o[0] === 0 && o.length === 2 && isPackedFacts(o[1])) return { facts: unpackFacts(file, o[1]) };
  if (o[0] === 1 && o.length === 3 && isPackedFacts(o[1]) && typeof o[2] === "string") return { facts: unpackFacts(file, o[1]), note: o[2] };
  return null;
}

function unpackHistory(h: unknown, own: RecordFacts | undefined): CacheEntry["history"] | null {
  if (h === 0) return undefined;
  if (!Array.isArray(h) || (h.length !== 6 && !(h.length === 4 && own))) return null;
  const [requested, approved, risk, rules, id = own?.id, merge = own?.grant?.merge_commit ?? 0] = h as unknown[];
  const num = (x: unknown) => x === null || (typeof x === "number" && Number.isFinite(x));
  if (typeof id !== "string" || (merge !== 0 && typeof merge !== "string") || !num(requested) || !num(approved)) return null;
  if (risk !== 0 && risk !== "low" && risk !== "medium" && risk !== "high") return null;
  if (rules !== 0 && !(Array.isArray(rules) && rules.every((r) => typeof r === "string"))) return null;
  const values: RecordHistory = {};
  if (requested !== null) values.requested = requested as number;
  if (approved !== null) values.approved = approved as number;
  if (risk !== 0) values.risk = risk;
  if (rules !== 0) values.rules = rules;
  return { id, merge: merge === 0 ? undefined : merge, values };
}
