// The report cache's rows as columns. The small integers (kinds, flags, refs into a table of the
// values that repeat: requesters, accounts, statuses, durations, service lists, risks, usage) and
// the history's times are binary arrays read in place, the blob shas 20 bytes each; only the
// strings a row holds of its own (id, times, merge commit) are JSON, with a file's path made of a
// repeated folder and the id, and the sweep's "expired at <expires_at>" reason written as 0. 100,000
// records then read as a few arrays of strings and some typed arrays, instead of a million small
// values whose parse and garbage collection cost more than the read; a row's facts are made only
// when asked for. Pure.
import type { RiskTier } from "../domain/types.js";
import type { RecordHistory } from "./aggregate.js";
import type { RecordFacts } from "./facts.js";

/** What the report made of one file. */
export type Outcome = { facts: RecordFacts; note?: string } | { skipped: string };

/** What the history says of a record with this id and merge commit (at the cache's head). */
export interface HistoryEntry {
  id: string;
  merge: string | undefined;
  values: RecordHistory;
}

/** One row: a file, the blob its outcome is of (hex, or 20 bytes; "" when the outcome is not cached), the outcome, its history values. */
export interface TableRow {
  file: string;
  sha: string | Uint8Array;
  outcome: Outcome | undefined;
  history: HistoryEntry | undefined;
}

/** Kinds of a row's outcome. */
const FACTS = 0;
const NOTED = 1;
const SKIPPED = 2;
const NONE = 3;

type Rare = Pick<RecordFacts, "accounts" | "catalogue" | "scheduled"> & Pick<NonNullable<RecordFacts["grant"]>, "auto_approval" | "break_glass" | "extensions">;

/** The JSON part: the values refs name, and the string columns (one entry per row). */
interface Strings {
  values: unknown[];
  id: string[];
  granted_at: string[];
  expires_at: string[];
  merge_commit: string[];
  closed_at: string[];
  /** 0: `expired at <grant.expires_at>`, as the sweep writes it. */
  closed_reason: Array<string | 0>;
  /** Sparse, by row: the file's name where it is not `<id>.yaml`; the rare fields, the note (or the reason a file was skipped), the rules, the history's own keys. */
  name: Record<string, string>;
  rare: Record<string, Rare>;
  note: Record<string, string>;
  rules: Record<string, string[]>;
  keys: Record<string, [string, string | null]>;
}

/** The binary columns, in their order in the file: times (NaN: none), then integers (refs into values, -1: none). */
const TIMES = ["requested", "approved"] as const;
const INTS = [
  "folder",
  "kind",
  "requester",
  "account",
  "status",
  "duration",
  "services",
  "grant",
  "closed",
  "closed_by",
  "closed_code",
  "risk",
  "usage",
  "history",
  "history_risk",
] as const;
type Ints = Record<(typeof INTS)[number], Int32Array>;
type Times = Record<(typeof TIMES)[number], Float64Array>;
/** Bytes per row: the times, the integers and the blob sha. */
const ROW_BYTES = TIMES.length * 8 + INTS.length * 4 + 20;
const SHA_HEX = /^[0-9a-f]{40}$/;
const EXPIRED_AT = "expired at ";
const YAML = ".yaml";

/**
 * The table of `rows` as bytes, after `lead` (the caller's, whose length keeps the table's
 * alignment): a 4-byte little-endian length, that many bytes of JSON (ASCII, other
 * characters escaped), padding to a multiple of 8, then the binary columns (in this machine's byte
 * order: the cache's key names it). Rows with neither a cached outcome nor history values are left out.
 */
export function encodeTable(rows: readonly TableRow[], lead: Uint8Array = new Uint8Array()): Buffer {
  const values: unknown[] = [];
  // A value's ref: strings by value, other values by identity, then by their JSON (facts read
  // from a cache share their values, and JSON.stringify per value per row is most of the encoding).
  const strings = new Map<string, number>();
  const objects = new Map<unknown, number>();
  const index = new Map<string, number>();
  const ref = (v: unknown): number => {
    if (v === undefined) return -1;
    const seen = typeof v === "string" ? strings.get(v) : objects.get(v);
    if (seen !== undefined) return seen;
    const k = JSON.stringify(v);
    let i = index.get(k);
    if (i === undefined) {
      i = values.length;
      values.push(v);
      index.set(k, i);
    }
    if (typeof v === "string") strings.set(v, i);
    else objects.set(v, i);
    return i;
  };
  const kept = rows.filter((row) => row.outcome || row.history);
  const n = kept.length;
  const s: Strings = {
    values,
    id: [],
    granted_at: [],
    expires_at: [],
    merge_commit: [],
    closed_at: [],
    closed_reason: [],
    name: {},
    rare: {},
    note: {},
    rules: {},
    keys: {},
  };
  const binary = new ArrayBuffer(n * ROW_BYTES);
  const col = columns(binary, n);
  const shas = new Uint8Array(binary, n * (ROW_BYTES - 20), n * 20);
  const shaBuffer = Buffer.from(shas.buffer, shas.byteOffset, shas.byteLength);
  kept.forEach((row, r) => {
    const o = row.outcome;
    if (o && typeof row.sha !== "string" && row.sha.length === 20) shas.set(row.sha, 20 * r);
    else if (o && typeof row.sha === "string" && SHA_HEX.test(row.sha)) shaBuffer.write(row.sha, 20 * r, "hex");
    const f = o && "facts" in o ? o.facts : undefined;
    const slash = row.file.lastIndexOf("/") + 1;
    const id = f?.id ?? "";
    col.folder[r] = ref(row.file.slice(0, slash));
    if (row.file.slice(slash) !== `${id}${YAML}`) s.name[r] = row.file.slice(slash);
    col.kind[r] = !o ? NONE : "skipped" in o ? SKIPPED : o.note === undefined ? FACTS : NOTED;
    if (o && "skipped" in o) s.note[r] = o.skipped;
    else if (o?.note !== undefined) s.note[r] = o.note;
    const g = f?.grant;
    const cl = f?.closed;
    s.id.push(id);
    col.requester[r] = ref(f?.requester);
    col.account[r] = ref(f?.account);
    col.status[r] = ref(f?.status);
    col.duration[r] = ref(f?.duration);
    col.services[r] = ref(f?.services);
    col.grant[r] = g ? 1 : 0;
    s.granted_at.push(g?.granted_at ?? "");
    s.expires_at.push(g?.expires_at ?? "");
    s.merge_commit.push(g?.merge_commit ?? "");
    col.closed[r] = cl ? 1 : 0;
    s.closed_at.push(cl?.at ?? "");
    s.closed_reason.push(cl && g && cl.reason === `${EXPIRED_AT}${g.expires_at}` ? 0 : (cl?.reason ?? ""));
    col.closed_by[r] = ref(cl?.by);
    col.closed_code[r] = ref(cl?.code);
    col.risk[r] = ref(f?.risk);
    col.usage[r] = ref(f?.usage);
    if (f && (f.accounts || f.catalogue !== undefined || f.scheduled || g?.auto_approval || g?.break_glass || g?.extensions)) {
      const rare: Rare = {};
      if (f.accounts) rare.accounts = f.accounts;
      if (f.catalogue !== undefined) rare.catalogue = f.catalogue;
      if (f.scheduled) rare.scheduled = f.scheduled;
      if (g?.auto_approval) rare.auto_approval = g.auto_approval;
      if (g?.break_glass) rare.break_glass = g.break_glass;
      if (g?.extensions) rare.extensions = g.extensions;
      s.rare[r] = rare;
    }
    const h = row.history;
    col.history[r] = h ? 1 : 0;
    col.requested[r] = h?.values.requested ?? NaN;
    col.approved[r] = h?.values.approved ?? NaN;
    col.history_risk[r] = ref(h?.values.risk);
    if (h?.values.rules) s.rules[r] = h.values.rules;
    // The history's keys are the row's own facts' unless they differ (or there are no facts).
    if (h && (f?.id !== h.id || f.grant?.merge_commit !== h.merge)) s.keys[r] = [h.id, h.merge ?? null];
  });
  const json = Buffer.from(asciiJson(s), "latin1");
  const start = lead.length + binaryStart(json.length);
  const out = Buffer.allocUnsafe(start + binary.byteLength);
  out.set(lead, 0);
  out.writeUInt32LE(json.length, lead.length);
  json.copy(out, lead.length + 4);
  out.fill(0x20, lead.length + 4 + json.length, start);
  out.set(new Uint8Array(binary), start);
  return out;
}

/** JSON of `value` in ASCII only (other characters escaped), so that it decodes as latin1: a copy, where UTF-8 is checked. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Where the binary columns start: after the length and the JSON, at a multiple of 8. */
function binaryStart(jsonLength: number): number {
  return Math.ceil((4 + jsonLength) / 8) * 8;
}

/** The binary columns of n rows, over `buffer` from `offset` (a multiple of 8). */
function columns(buffer: ArrayBuffer, n: number, offset = 0): Ints & Times {
  const out = {} as Ints & Times;
  let at = offset;
  for (const k of TIMES) {
    out[k] = new Float64Array(buffer, at, n);
    at += 8 * n;
  }
  for (const k of INTS) {
    out[k] = new Int32Array(buffer, at, n);
    at += 4 * n;
  }
  return out;
}

const TIERS: ReadonlySet<unknown> = new Set<RiskTier>(["low", "medium", "high"]);
const STRING_COLUMNS = ["id", "granted_at", "expires_at", "merge_commit", "closed_at", "closed_reason"] as const;

/** The rows of a cache, read from its columns; each row's outcome and history are made when asked for. */
export class FactsTable {
  readonly size: number;
  private rowOf: Map<string, number> | undefined;
  private readonly shas: Uint8Array;
  // The sparse columns by row (a few rows each): looked up for every row.
  private readonly name: Map<number, string>;
  private readonly rare: Map<number, Rare>;
  private readonly note: Map<number, string>;
  private readonly rules: Map<number, string[]>;
  private readonly keys: Map<number, [string, string | null]>;
  /** Per entry of `values`: 1 a string, 2 an array of strings, 0 anything else (a row's refs are checked by these). */
  private readonly kinds: Uint8Array;

  private constructor(
    private readonly s: Strings,
    private readonly b: Ints & Times,
    shas: Uint8Array,
  ) {
    this.size = s.id.length;
    this.shas = shas;
    const byRow = <T>(o: Record<string, T>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
    this.name = byRow(s.name);
    this.rare = byRow(s.rare);
    this.note = byRow(s.note);
    this.rules = byRow(s.rules);
    this.keys = byRow(s.keys);
    this.kinds = Uint8Array.from(s.values, (v) => (typeof v === "string" ? 1 : isStrings(v) ? 2 : 0));
  }

  /**
   * The table encodeTable wrote, or undefined when the bytes are not of its shape: every column of
   * one length, every row's folder, id and name strings. The values are not checked one by one (the caller
   * checks the bytes were written whole, by this version); a row whose refs do not name values of
   * their kind has no outcome.
   */
  static from(bytes: Uint8Array): FactsTable | undefined {
    if (bytes.length < 4) return undefined;
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const length = buf.readUInt32LE(0);
    const start = binaryStart(length);
    if (start > buf.length) return undefined;
    let s: Strings;
    try {
      s = JSON.parse(buf.toString("latin1", 4, 4 + length)) as Strings;
    } catch {
      return undefined;
    }
    if (typeof s !== "object" || s === null || !Array.isArray(s.values) || !Array.isArray(s.id)) return undefined;
    const n = s.id.length;
    for (const k of STRING_COLUMNS) if (!Array.isArray(s[k]) || s[k].length !== n) return undefined;
    for (const k of ["name", "rare", "note", "rules", "keys"] as const) if (typeof s[k] !== "object" || s[k] === null || Array.isArray(s[k])) return undefined;
    if (buf.length - start !== n * ROW_BYTES) return undefined;
    // Typed arrays read in place where the bytes are aligned for them, else from a copy.
    let binary = buf.subarray(start);
    if (binary.byteOffset % 8 !== 0) binary = Buffer.from(binary);
    const b = columns(binary.buffer as ArrayBuffer, n, binary.byteOffset);
    const table = new FactsTable(s, b, new Uint8Array(binary.buffer, binary.byteOffset + n * (ROW_BYTES - 20), n * 20));
    for (let r = 0; r < n; r++) if (table.kinds[b.folder[r]!] !== 1 || typeof s.id[r] !== "string") return undefined;
    for (const v of table.name.values()) if (typeof v !== "string") return undefined;
    return table;
  }

  /** The row of `file`, or -1. */
  row(file: string): number {
    if (!this.rowOf) {
      this.rowOf = new Map();
      for (let r = 0; r < this.size; r++) this.rowOf.set(this.file(r), r);
    }
    return this.rowOf.get(file) ?? -1;
  }

  /**
   * Row r when its file is the path bytes[start, end), compared in place while ASCII (any other
   * character is -1: the caller looks the path up by row()), else -1. Rows are
   * written in path order, which is nearly the order git lists files in: the caller tries the row
   * after the last one it found before asking row(), and makes no string for a file found so.
   */
  rowIfAt(r: number, bytes: Uint8Array, start: number, end: number): number {
    if (r >= this.size) return -1;
    const folder = this.s.values[this.b.folder[r]!] as string;
    const name = this.name.get(r);
    const id = this.s.id[r]!;
    if (folder.length + (name === undefined ? id.length + YAML.length : name.length) !== end - start) return -1;
    let at = start;
    // A character past ASCII is never its own UTF-8 byte ("é" is C3 A9, the bytes of "Ã©"): such a path is looked up by row().
    for (let k = 0; k < folder.length; k++) {
      const c = folder.charCodeAt(k);
      if (c > 0x7f || c !== bytes[at++]) return -1;
    }
    // `<id>.yaml`, compared a part at a time (no string made for it).
    const first = name ?? id;
    for (let k = 0; k < first.length; k++) {
      const c = first.charCodeAt(k);
      if (c > 0x7f || c !== bytes[at++]) return -1;
    }
    if (name === undefined) for (let k = 0; k < YAML.length; k++) if (YAML.charCodeAt(k) !== bytes[at++]) return -1;
    return r;
  }

  /** Row r's file. */
  file(r: number): string {
    return `${this.s.values[this.b.folder[r]!] as string}${this.name.get(r) ?? `${this.s.id[r]!}${YAML}`}`;
  }

  /** Whether row r holds a cached outcome of the blob whose binary sha is shas[at, at + 20). */
  holds(r: number, shas: Uint8Array, at: number): boolean {
    if (this.b.kind[r] === NONE) return false;
    const mine = this.shas;
    const o = 20 * r;
    for (let k = 0; k < 20; k++) if (mine[o + k] !== shas[at + k]) return false;
    return true;
  }

  sha(r: number): string {
    const bytes = this.shaBytes(r);
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, 20).toString("hex") : "";
  }

  /** Row r's blob sha as 20 bytes (a view of the table's), or undefined when the row holds no outcome. */
  shaBytes(r: number): Uint8Array | undefined {
    return this.b.kind[r] === NONE ? undefined : this.shas.subarray(20 * r, 20 * r + 20);
  }

  /** Row r's outcome for `file`; undefined when it has none, or holds a value of the wrong type. */
  outcome(r: number, file: string): Outcome | undefined {
    const { s, b } = this;
    const kind = b.kind[r];
    const note = this.note.get(r);
    if (kind === SKIPPED) return typeof note === "string" ? { skipped: note } : undefined;
    if (kind !== FACTS && kind !== NOTED) return undefined;
    const v = s.values;
    const kinds = this.kinds;
    const requester = b.requester[r]!;
    const account = b.account[r]!;
    const status = b.status[r]!;
    const duration = b.duration[r]!;
    const services = b.services[r]!;
    if (kinds[requester] !== 1 || kinds[account] !== 1 || kinds[status] !== 1 || kinds[duration] !== 1 || kinds[services] !== 2) return undefined;
    // Every field written, undefined where absent: facts read from the cache then share one shape,
    // and the report's reads of them stay monomorphic.
    const rare = this.rare.get(r);
    const grant = b.grant[r]
      ? {
          granted_at: s.granted_at[r]!,
          expires_at: s.expires_at[r]!,
          merge_commit: s.merge_commit[r]!,
          auto_approval: rare?.auto_approval,
          break_glass: rare?.break_glass,
          extensions: rare?.extensions,
        }
      : undefined;
    let closed: RecordFacts["closed"];
    if (b.closed[r]) {
      const reason = s.closed_reason[r];
      if (reason === 0 && !grant) return undefined;
      const by = b.closed_by[r]!;
      const code = b.closed_code[r]!;
      if ((by >= 0 && kinds[by] !== 1) || (code >= 0 && kinds[code] !== 1)) return undefined;
      closed = {
        at: s.closed_at[r]!,
        reason: reason === 0 ? `${EXPIRED_AT}${grant!.expires_at}` : reason!,
        by: by >= 0 ? (v[by] as string) : undefined,
        code: code >= 0 ? (v[code] as string) : undefined,
      };
    }
    const risk = b.risk[r]!;
    const usage = b.usage[r]!;
    const f: RecordFacts = {
      file,
      id: s.id[r]!,
      requester: v[requester] as string,
      account: v[account] as string,
      accounts: rare?.accounts,
      status: v[status] as RecordFacts["status"],
      duration: v[duration] as string,
      services: v[services] as string[],
      catalogue: rare?.catalogue,
      grant,
      scheduled: rare?.scheduled,
      closed,
      risk: risk >= 0 ? (v[risk] as NonNullable<RecordFacts["risk"]>) : undefined,
      usage: usage >= 0 ? (v[usage] as NonNullable<RecordFacts["usage"]>) : undefined,
    };
    if (kind === NOTED) return typeof note === "string" ? { facts: f, note } : undefined;
    return { facts: f };
  }

  /** Row r's history values, with the keys they are for (`own`: the row's facts, whose keys they are unless the row names others). */
  history(r: number, own: RecordFacts | undefined): HistoryEntry | undefined {
    const b = this.b;
    if (!b.history[r]) return undefined;
    const keys = this.keys.get(r);
    const id = keys ? keys[0] : own?.id;
    const merge = keys ? (keys[1] ?? undefined) : own?.grant?.merge_commit;
    if (typeof id !== "string" || (merge !== undefined && typeof merge !== "string")) return undefined;
    const values: RecordHistory = {};
    const requested = b.requested[r]!;
    const approved = b.approved[r]!;
    const risk = b.history_risk[r]!;
    const rules = this.rules.get(r);
    if (!Number.isNaN(requested)) values.requested = requested;
    if (!Number.isNaN(approved)) values.approved = approved;
    if (risk >= 0) {
      if (!TIERS.has(this.s.values[risk])) return undefined;
      values.risk = this.s.values[risk] as RiskTier;
    }
    if (rules !== undefined) {
      if (!isStrings(rules)) return undefined;
      values.rules = rules;
    }
    return { id, merge, values };
  }
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === "string");
}
