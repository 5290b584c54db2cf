// The report cache's rows as columns: one JSON array per field over every row, with the values
// that repeat (requesters, accounts, statuses, durations, service lists, risks, usage) written once
// in a table and referred to by number. 100,000 records then parse into some thirty arrays of
// strings and small integers, instead of a million small arrays and objects whose garbage
// collection costs more than the parse; a row's facts are made only when asked for. Pure.
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

/** One row: a file, the blob its outcome is of ("" when the outcome is not cached), the outcome, its history values. */
export interface TableRow {
  file: string;
  sha: string;
  outcome: Outcome | undefined;
  history: HistoryEntry | undefined;
}

/** Kinds of a row's outcome. */
const FACTS = 0;
const NOTED = 1;
const SKIPPED = 2;
const NONE = 3;

type Rare = Pick<RecordFacts, "accounts" | "catalogue" | "scheduled"> & Pick<NonNullable<RecordFacts["grant"]>, "auto_approval" | "break_glass" | "extensions">;

/** The columns, as written (JSON). Every array has one entry per row; refs are into `values` (-1: none). */
interface Columns {
  values: unknown[];
  file: string[];
  /** 40 hex digits per row ("" rows: 40 zeros, never a blob's). */
  sha: string;
  kind: number[];
  id: string[];
  requester: number[];
  account: number[];
  status: number[];
  duration: number[];
  services: number[];
  grant: number[];
  granted_at: string[];
  expires_at: string[];
  merge_commit: string[];
  closed: number[];
  closed_at: string[];
  closed_reason: string[];
  closed_by: number[];
  closed_code: number[];
  risk: number[];
  usage: number[];
  /** Sparse, by row: the rare fields, the note (or the reason a file was skipped), the rules, the history's own keys. */
  rare: Record<string, Rare>;
  note: Record<string, string>;
  history: number[];
  requested: Array<number | null>;
  approved: Array<number | null>;
  history_risk: number[];
  rules: Record<string, string[]>;
  keys: Record<string, [string, string | null]>;
}

const ZERO_SHA = "0".repeat(40);

/** The columns of `rows` (rows with neither a cached outcome nor history values are left out). */
export function encodeTable(rows: readonly TableRow[]): Columns {
  const values: unknown[] = [];
  const index = new Map<string, number>();
  const ref = (v: unknown): number => {
    if (v === undefined) return -1;
    const k = JSON.stringify(v);
    let i = index.get(k);
    if (i === undefined) {
      i = values.length;
      values.push(v);
      index.set(k, i);
    }
    return i;
  };
  const c: Columns = {
    values,
    file: [],
    sha: "",
    kind: [],
    id: [],
    requester: [],
    account: [],
    status: [],
    duration: [],
    services: [],
    grant: [],
    granted_at: [],
    expires_at: [],
    merge_commit: [],
    closed: [],
    closed_at: [],
    closed_reason: [],
    closed_by: [],
    closed_code: [],
    risk: [],
    usage: [],
    rare: {},
    note: {},
    history: [],
    requested: [],
    approved: [],
    history_risk: [],
    rules: {},
    keys: {},
  };
  const shas: string[] = [];
  for (const row of rows) {
    const o = row.outcome;
    if (!o && !row.history) continue;
    const n = c.file.length;
    c.file.push(row.file);
    shas.push(o && /^[0-9a-f]{40}$/.test(row.sha) ? row.sha : ZERO_SHA);
    const f = o && "facts" in o ? o.facts : undefined;
    c.kind.push(!o ? NONE : "skipped" in o ? SKIPPED : o.note === undefined ? FACTS : NOTED);
    if (o && "skipped" in o) c.note[n] = o.skipped;
    else if (o?.note !== undefined) c.note[n] = o.note;
    const g = f?.grant;
    const cl = f?.closed;
    c.id.push(f?.id ?? "");
    c.requester.push(ref(f?.requester));
    c.account.push(ref(f?.account));
    c.status.push(ref(f?.status));
    c.duration.push(ref(f?.duration));
    c.services.push(ref(f?.services));
    c.grant.push(g ? 1 : 0);
    c.granted_at.push(g?.granted_at ?? "");
    c.expires_at.push(g?.expires_at ?? "");
    c.merge_commit.push(g?.merge_commit ?? "");
    c.closed.push(cl ? 1 : 0);
    c.closed_at.push(cl?.at ?? "");
    c.closed_reason.push(cl?.reason ?? "");
    c.closed_by.push(ref(cl?.by));
    c.closed_code.push(ref(cl?.code));
    c.risk.push(ref(f?.risk));
    c.usage.push(ref(f?.usage));
    if (f) {
      const rare: Rare = {};
      if (f.accounts) rare.accounts = f.accounts;
      if (f.catalogue !== undefined) rare.catalogue = f.catalogue;
      if (f.scheduled) rare.scheduled = f.scheduled;
      if (g?.auto_approval) rare.auto_approval = g.auto_approval;
      if (g?.break_glass) rare.break_glass = g.break_glass;
      if (g?.extensions) rare.extensions = g.extensions;
      if (Object.keys(rare).length) c.rare[n] = rare;
    }
    const h = row.history;
    c.history.push(h ? 1 : 0);
    c.requested.push(h?.values.requested ?? null);
    c.approved.push(h?.values.approved ?? null);
    c.history_risk.push(ref(h?.values.risk));
    if (h?.values.rules) c.rules[n] = h.values.rules;
    // The history's keys are the row's own facts' unless they differ (or there are no facts).
    if (h && (f?.id !== h.id || f.grant?.merge_commit !== h.merge)) c.keys[n] = [h.id, h.merge ?? null];
  }
  c.sha = shas.join("");
  return c;
}

/** The columns with one entry per row. */
const COLUMNS: ReadonlyArray<keyof Columns> = [
  ...(["file", "id", "granted_at", "expires_at", "merge_commit", "closed_at", "closed_reason"] as const),
  ...(["requester", "account", "status", "duration", "services", "closed_by", "closed_code", "risk", "usage", "history_risk"] as const),
  ...(["kind", "grant", "closed", "history", "requested", "approved"] as const),
];
const TIERS: ReadonlySet<unknown> = new Set<RiskTier>(["low", "medium", "high"]);

/** The rows of a cache, read from its columns; each row's outcome and history are made when asked for. */
export class FactsTable {
  readonly size: number;
  private readonly rowOf = new Map<string, number>();
  private readonly shas: Buffer;
  // The sparse columns by row (a few rows each): looked up for every row.
  private readonly rare: Map<number, Rare>;
  private readonly note: Map<number, string>;
  private readonly rules: Map<number, string[]>;
  private readonly keys: Map<number, [string, string | null]>;
  /** Per entry of `values`: 1 a string, 2 an array of strings, 0 anything else (a row's refs are checked by these). */
  private readonly kinds: Uint8Array;

  private constructor(private readonly c: Columns) {
    this.size = c.file.length;
    this.shas = Buffer.from(c.sha, "hex");
    for (let i = 0; i < this.size; i++) this.rowOf.set(c.file[i]!, i);
    const byRow = <T>(o: Record<string, T>) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v]));
    this.rare = byRow(c.rare);
    this.note = byRow(c.note);
    this.rules = byRow(c.rules);
    this.keys = byRow(c.keys);
    this.kinds = Uint8Array.from(c.values, (v) => (typeof v === "string" ? 1 : isStrings(v) ? 2 : 0));
  }

  /**
   * The table of columns parsed from JSON, or undefined when it is not of their shape: every column
   * of one length. The values are not checked one by one (the caller checks the file was written
   * whole, by this version); a row whose refs do not name values of their kind has no outcome.
   */
  static from(parsed: unknown): FactsTable | undefined {
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const c = parsed as Columns;
    if (!Array.isArray(c.values) || !Array.isArray(c.file) || typeof c.sha !== "string") return undefined;
    const n = c.file.length;
    if (c.sha.length !== 40 * n) return undefined;
    for (const k of COLUMNS) if (!Array.isArray(c[k]) || (c[k] as unknown[]).length !== n) return undefined;
    for (const k of ["rare", "note", "rules", "keys"] as const) if (typeof c[k] !== "object" || c[k] === null || Array.isArray(c[k])) return undefined;
    return new FactsTable(c);
  }

  /** The row of `file`, or -1. */
  row(file: string): number {
    return this.rowOf.get(file) ?? -1;
  }

  /**
   * Row r when its file is the path bytes[start, end) (ASCII, compared in place), else -1. Rows are
   * written in path order, which is nearly the order git lists files in: the caller tries the row
   * after the last one it found before asking row(), and makes no string for a file found so.
   */
  rowIfAt(r: number, bytes: Buffer, start: number, end: number): number {
    const file = this.c.file[r];
    if (file === undefined || file.length !== end - start) return -1;
    for (let k = 0; k < file.length; k++) if (file.charCodeAt(k) !== bytes[start + k]) return -1;
    return r;
  }

  /** Row r's file. */
  file(r: number): string {
    return this.c.file[r]!;
  }

  /** Whether row r holds a cached outcome of the blob whose binary sha is shas[at, at + 20). */
  holds(r: number, shas: Buffer, at: number): boolean {
    return this.c.kind[r] !== NONE && this.shas.compare(shas, at, at + 20, 20 * r, 20 * r + 20) === 0;
  }

  sha(r: number): string {
    return this.c.kind[r] === NONE ? "" : this.c.sha.slice(40 * r, 40 * r + 40);
  }

  /** Row r's outcome for `file`; undefined when it has none, or holds a value of the wrong type. */
  outcome(r: number, file: string): Outcome | undefined {
    const c = this.c;
    const kind = c.kind[r];
    const note = this.note.get(r);
    if (kind === SKIPPED) return typeof note === "string" ? { skipped: note } : undefined;
    if (kind !== FACTS && kind !== NOTED) return undefined;
    const v = c.values;
    const kinds = this.kinds;
    const requester = c.requester[r]!;
    const account = c.account[r]!;
    const status = c.status[r]!;
    const duration = c.duration[r]!;
    const services = c.services[r]!;
    if (kinds[requester] !== 1 || kinds[account] !== 1 || kinds[status] !== 1 || kinds[duration] !== 1 || kinds[services] !== 2) return undefined;
    const f: RecordFacts = {
      file,
      id: c.id[r]!,
      requester: v[requester] as string,
      account: v[account] as string,
      status: v[status] as RecordFacts["status"],
      duration: v[duration] as string,
      services: v[services] as string[],
    };
    const rare = this.rare.get(r);
    if (rare?.accounts) f.accounts = rare.accounts;
    if (rare?.catalogue !== undefined) f.catalogue = rare.catalogue;
    if (c.grant[r]) {
      f.grant = { granted_at: c.granted_at[r]!, expires_at: c.expires_at[r]!, merge_commit: c.merge_commit[r]! };
      if (rare?.auto_approval) f.grant.auto_approval = rare.auto_approval;
      if (rare?.break_glass) f.grant.break_glass = rare.break_glass;
      if (rare?.extensions) f.grant.extensions = rare.extensions;
    }
    if (rare?.scheduled) f.scheduled = rare.scheduled;
    if (c.closed[r]) {
      f.closed = { at: c.closed_at[r]!, reason: c.closed_reason[r]! };
      const by = c.closed_by[r]!;
      const code = c.closed_code[r]!;
      if (by >= 0) {
        if (kinds[by] !== 1) return undefined;
        f.closed.by = v[by] as string;
      }
      if (code >= 0) {
        if (kinds[code] !== 1) return undefined;
        f.closed.code = v[code] as string;
      }
    }
    const risk = c.risk[r]!;
    if (risk >= 0) f.risk = v[risk] as NonNullable<RecordFacts["risk"]>;
    const usage = c.usage[r]!;
    if (usage >= 0) f.usage = v[usage] as NonNullable<RecordFacts["usage"]>;
    if (kind === NOTED) return typeof note === "string" ? { facts: f, note } : undefined;
    return { facts: f };
  }

  /** Row r's history values, with the keys they are for (`own`: the row's facts, whose keys they are unless the row names others). */
  history(r: number, own: RecordFacts | undefined): HistoryEntry | undefined {
    const c = this.c;
    if (!c.history[r]) return undefined;
    const keys = this.keys.get(r);
    const id = keys ? keys[0] : own?.id;
    const merge = keys ? (keys[1] ?? undefined) : own?.grant?.merge_commit;
    if (typeof id !== "string" || (merge !== undefined && typeof merge !== "string")) return undefined;
    const values: RecordHistory = {};
    const requested = c.requested[r];
    const approved = c.approved[r];
    const risk = c.history_risk[r]!;
    const rules = this.rules.get(r);
    if (requested !== null && requested !== undefined) values.requested = requested;
    if (approved !== null && approved !== undefined) values.approved = approved;
    if (risk >= 0) {
      if (!TIERS.has(c.values[risk])) return undefined;
      values.risk = c.values[risk] as RiskTier;
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
