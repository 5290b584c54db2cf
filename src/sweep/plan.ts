// The expiry sweep's decisions. Pure: given the request records, what AWS says jit-access
// manages (or undefined: reconcile skipped) and the time, it says which grants are due, which
// stay active, which files cannot be read, and which AWS resources are drift. The executor
// (execute.ts) carries the plan out; `--dry-run` prints it.
import { iamPolicyName, LIMITS, permissionSetName, scheduleName } from "../aws/naming.js";
import { revokeTargetsOf } from "../aws/plan.js";
import type { ManagedResource, RevokeTarget } from "../aws/types.js";
import { parseRequestFile } from "../domain/request.js";
import { startDecision } from "../domain/scheduled-start.js";
import { detached } from "../domain/text.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, AwsMode, Config, Problem, RequestStatus } from "../domain/types.js";

/**
 * A request file as the sweep sees it: parsed and validated; or the problems that stop it being
 * read; or only summarized (see `summarize`) — a record the sweep will not act on.
 */
export type SweepRecord =
  | { path: string; request: AccessRequest }
  | { path: string; problems: Problem[]; id?: string; status?: RequestStatus; startsAt?: string }
  | { path: string; summary: RecordSummary };

/** What the top-level lines of a record say, read without YAML: enough to know it is not due. */
export interface RecordSummary {
  id: string;
  status: RequestStatus;
  /** grant.expires_at, for active records. */
  expires_at?: string;
}

export interface DueGrant {
  id: string;
  file: string;
  expires_at: string;
  request: AccessRequest;
  /** What to revoke, from the file's grant.aws. */
  target: RevokeTarget;
}

/** A scheduled request whose start has come (or whose window has passed): the executor starts or closes it. */
export interface StartDue {
  id: string;
  file: string;
  starts_at: string;
}

/** A scheduled request still waiting for its start. */
export interface ScheduledGrant {
  id: string;
  file: string;
  starts_at: string;
  expires_at: string;
}

export interface ActiveGrant {
  id: string;
  file: string;
  expires_at: string;
}

export interface RecordError {
  file: string;
  id?: string;
  problems: Problem[];
}

export type DriftReason =
  /** No request file has this id. */
  | "no-record"
  /** The request is expired, revoked, rejected or failed, yet AWS still holds its resources. */
  | "not-active"
  /** The resource's jit-access:expires-at tag has passed (whatever the record says). */
  | "expiry-tag-passed";

export interface Drift {
  requestId: string;
  reason: DriftReason;
  /** The record's status, when there is a record. */
  status?: RequestStatus;
  resources: ManagedResource[];
  target: RevokeTarget;
}

/** A resource reconcile cannot attribute to a request: reported, never touched. */
export interface Unattributed {
  resource: ManagedResource;
  message: string;
}

export interface SweepPlan {
  now: string;
  due: DueGrant[];
  active: ActiveGrant[];
  /** Scheduled requests whose start has come: started (or closed unstarted) before the expiries. */
  starts: StartDue[];
  /** Scheduled requests still waiting for their start. */
  scheduled: ScheduledGrant[];
  errors: RecordError[];
  /** undefined when reconcile was skipped (no AWS listing). */
  drift: Drift[] | undefined;
  unattributed: Unattributed[];
  /** Grants in flight (record still proposed or scheduled, expiry tag not passed): left alone. */
  pending: string[];
  /** Proposed requests waiting for approval: reminded at half pending_ttl, closed after it (see planUnapproved). */
  unapproved?: UnapprovedAction[];
}

/** An open request pull request of the app, waiting for approval. */
export interface PendingPull {
  pr: number;
  /** The issue the request came from (jit/<n>-…). */
  issue: number;
  headSha: string;
  /** When the pull request was opened. */
  createdAt: string;
  /** Whether the approvers were reminded already (the reminder label is on the pull request). */
  reminded: boolean;
}

export interface UnapprovedAction {
  kind: "remind-unapproved" | "expire-unapproved";
  pull: PendingPull;
  /** When the request is (or was) due to be closed unapproved. */
  closesAt: string;
}

/**
 * Pending requests: one reminder once half of pending_ttl has passed, closed once all of it has.
 * Pure; a pull request without a readable opening time is left alone.
 */
export function planUnapproved(pending: readonly PendingPull[], now: Date, ttlSeconds: number): UnapprovedAction[] {
  const out: UnapprovedAction[] = [];
  const nowMs = now.getTime();
  for (const pull of pending) {
    const opened = Date.parse(pull.createdAt);
    if (Number.isNaN(opened) || !(ttlSeconds > 0)) continue;
    const closesMs = opened + ttlSeconds * 1000;
    const closesAt = isoSeconds(closesMs);
    if (nowMs >= closesMs) out.push({ kind: "expire-unapproved", pull, closesAt });
    else if (!pull.reminded && nowMs >= opened + (ttlSeconds * 1000) / 2) out.push({ kind: "remind-unapproved", pull, closesAt });
  }
  return out.sort((a, b) => a.closesAt.localeCompare(b.closesAt) || a.pull.pr - b.pull.pr);
}

export interface PlanOptions {
  /** aws.mode of the config: the mode of records whose grant.aws has none, and of drift revokes. */
  mode?: AwsMode;
  /** Accounts to fall back on when a resource does not say where it lives (IC schedules). */
  fallbackAccountId?: string;
  /** The configured account ids: an Identity Center revoke schedule named for one (even shortened) is the request's. */
  accountIds?: readonly string[];
  /**
   * Closed and proposed summaries left out of `records` (see ClosedRecords): the sweep counts on
   * 100,000 of them, which it needs only to tell drift from live grants, and one object each
   * costs it more than all its planning.
   */
  closed?: ClosedRecords;
}

/** The summarized statuses a ClosedRecords keeps, by their code (its index here). */
const CLOSED_STATUSES: readonly RequestStatus[] = ["proposed", "expired", "revoked", "rejected", "failed"];
const CLOSED_CODE = new Map(CLOSED_STATUSES.map((s, i) => [s, i]));

/**
 * The summaries of a record list that planSweep uses only for its ids' statuses (every summary but
 * an active one), kept as one number per id instead of a record each: the first summary of the
 * highest rank, and how many of the other records came before it (`at`), which decides a tie
 * with a record of the same id, as the order of the records does. planSweep given the other
 * records and this plans exactly as given all of them (compactRecords; a property test checks).
 */
export class ClosedRecords {
  private readonly ids = new Map<string, number>();
  // Adds in order, applied when byId is first read (a sweep without reconcile never reads it): a
  // ref >= 0 is an id `nameOf` gives (the caller's listing, so no string is made per record
  // until then), a ref < 0 the id at -ref - 1 of `named`.
  private refs = new Int32Array(1024);
  private codes = new Uint8Array(1024);
  private ats = new Float64Array(1024);
  private pending = 0;
  private readonly named: string[] = [];
  private nameOf: ((ref: number) => string) | undefined;

  /** Whether `summary` goes here (else it stays a record): every summarized status but active. */
  static takes(summary: RecordSummary): boolean {
    return summary.status !== "active" && CLOSED_CODE.has(summary.status);
  }

  /** id → at * 8 + the status's code. */
  get byId(): ReadonlyMap<string, number> {
    for (let k = 0; k < this.pending; k++) {
      const ref = this.refs[k]!;
      this.apply(ref < 0 ? this.named[-ref - 1]! : this.nameOf!(ref), this.codes[k]!, this.ats[k]!);
    }
    this.pending = 0;
    this.named.length = 0;
    return this.ids;
  }

  /** A summary that came after `at` of the other records. */
  add(id: string, status: RequestStatus, at: number): void {
    this.named.push(id);
    this.push(-this.named.length, status, at);
  }

  /** add(nameOf(ref), status, at), with the id made only when byId is read. */
  addRef(ref: number, status: RequestStatus, at: number, nameOf: (ref: number) => string): void {
    if (this.nameOf !== undefined && this.nameOf !== nameOf) void this.byId; // another source: apply the earlier adds first
    this.nameOf = nameOf;
    this.push(ref, status, at);
  }

  private push(ref: number, status: RequestStatus, at: number): void {
    const code = CLOSED_CODE.get(status);
    if (code === undefined) throw new Error(`a ${status} record is not a closed summary`);
    if (this.pending === this.refs.length) {
      const grow = <T extends Int32Array | Uint8Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
      this.refs = grow(this.refs, new Int32Array(2 * this.pending));
      this.codes = grow(this.codes, new Uint8Array(2 * this.pending));
      this.ats = grow(this.ats, new Float64Array(2 * this.pending));
    }
    this.refs[this.pending] = ref;
    this.codes[this.pending] = code;
    this.ats[this.pending++] = at;
  }

  private apply(id: string, code: number, at: number): void {
    const previous = this.ids.get(id);
    if (previous === undefined || rank(CLOSED_STATUSES[code]!) > rank(CLOSED_STATUSES[previous & 7]!)) this.ids.set(id, at * 8 + code);
  }
}

/** `records` split as planSweep takes them: the closed summaries in a ClosedRecords, the others in order. */
export function compactRecords(records: readonly SweepRecord[]): { records: SweepRecord[]; closed: ClosedRecords } {
  const rest: SweepRecord[] = [];
  const closed = new ClosedRecords();
  for (const r of records) {
    if ("summary" in r && ClosedRecords.takes(r.summary)) closed.add(r.summary.id, r.summary.status, rest.length);
    else rest.push(r);
  }
  return { records: rest, closed };
}

const ID = /^[1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Reads request files into sweep records (pure). Examples are left out.
 *
 * With `now`, only the records the sweep may act on are fully parsed and validated (YAML + schema
 * + rules, ~0.2 ms a file): active grants whose expires_at has passed, and every file whose top
 * lines are not plain. The others — proposed, final, or active and not yet due — are summarized
 * from their top-level `id:`, `status:` and `grant.expires_at` lines: the sweep only counts them
 * and uses their ids to tell drift from live grants. So 10,000 files plan in well under a second;
 * `jit-access validate` (and the PR check) is what validates every file.
 */
export function parseRecords(files: ReadonlyArray<{ path: string; text: string }>, config: Config, opts: { now?: Date } = {}): SweepRecord[] {
  const read = recordReader(config, opts);
  const out: SweepRecord[] = [];
  for (const f of files) {
    const r = read(f);
    if (r) out.push(r);
  }
  return out;
}

/**
 * parseRecords for one file at a time (undefined: an example, left out), so a caller that streams
 * the files (`scanRecords`) keeps only the sweep record, never the text of a summarized one.
 */
export function recordReader(config: Config, opts: { now?: Date } = {}): (file: { path: string; text: string }) => SweepRecord | undefined {
  const nowMs = opts.now?.getTime();
  return (f) => {
    if (nowMs !== undefined && !f.path.startsWith("access-requests/examples/")) {
      const summary = summarize(f.path, f.text);
      if (summary && !(summary.status === "active" && !(Date.parse(summary.expires_at ?? "") > nowMs))) return { path: f.path, summary };
    }
    const r = parseRequestFile(f.text, { file: f.path, config });
    if (r.ok) return r.value.example ? undefined : { path: f.path, request: r.value.request };
    if (/^access-requests\/examples\//.test(f.path)) return undefined;
    const fromName = /([^/]+)\.yaml$/.exec(f.path)?.[1];
    const id = r.request?.id ?? (fromName && ID.test(fromName) ? fromName : undefined);
    return {
      path: f.path,
      problems: r.problems,
      ...(id ? { id } : {}),
      ...(r.request?.status ? { status: r.request.status } : {}),
      ...(r.request?.status === "scheduled" && r.request.starts_at ? { startsAt: r.request.starts_at } : {}),
    };
  };
}

// `scheduled` is left out on purpose: a scheduled record is always parsed in full, since the sweep
// decides its start from it (there are few of them).
const STATUSES: readonly RequestStatus[] = ["proposed", "active", "expired", "revoked", "rejected", "failed"];
// A top-level line is TOP_KEY = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/ — its key, and its value
// after `: ` (further spaces kept) — and a value that opens with a quote or a bracket closes it
// (CLOSE: " → ", ' → ', [ → ], { → }). summarize reads both without regular expressions.
const TIMESTAMP = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z`;
/** grant.expires_at as jit-access writes it: plain, or in a pair of single quotes. */
const GRANT_EXPIRES = new RegExp(`^ {2}expires_at: (?:'(${TIMESTAMP})'|(${TIMESTAMP}))$`, "gm");

/**
 * The id, status and (for active records) grant.expires_at of a record in the block style that
 * jit-access writes, or undefined when anything about it is not plain: then the caller parses it
 * fully. Exactly one top-level line each; the id equals the file name; no document markers, tabs,
 * anchors, tags or flow mappings at the top level.
 */
export function summarize(path: string, text: string): RecordSummary | undefined {
  if (text.length > 65_536 || text.includes("\t") || text.includes("\r")) return undefined;
  // Every line at column 0 must be a comment or a simple `key: value` whose value is plain, or
  // quoted / a flow collection closed on the same line: then no multi-line construct can put a
  // line that looks like `status: …` at the top level, and only real keys start there. One pass
  // over the text, looking only at lines that start at column 0 (most lines are indented): this
  // runs on every record on every sweep.
  let ids = 0;
  let statuses = 0;
  let idValue = "";
  let statusValue = "";
  let idEnd = 0;
  let statusEnd = 0;
  // TOP_KEY's `.` stops at U+2028 and U+2029: only a text with one has to be looked at for them.
  const separators = text.includes("\u2028") || text.includes("\u2029");
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    const first = text.charCodeAt(start);
    if (end > start && first !== 32 /* space */ && first !== 35 /* # */) {
      // TOP_KEY and the checks on its value, read in place: no slice, match or trimmed copy per line.
      if (!isKeyStart(first)) return undefined; // ^[A-Za-z_]
      let colon = start + 1;
      while (colon < end && isKeyChar(text.charCodeAt(colon))) colon++; // [A-Za-z0-9_]*
      if (colon === end || text.charCodeAt(colon) !== 58 /* : */) return undefined;
      // (?: (.*))?$ — nothing after the colon, or a space and the rest of the line.
      let valueStart = end;
      if (colon + 1 < end) {
        if (text.charCodeAt(colon + 1) !== 32) return undefined;
        valueStart = colon + 2;
        if (separators) for (let k = valueStart; k < end; k++) if (isSeparator(text.charCodeAt(k))) return undefined;
      }
      // v = value.trim(): its first and last characters.
      let a = valueStart;
      let b = end;
      while (a < b && isTrimSpace(text.charCodeAt(a))) a++;
      while (b > a && isTrimSpace(text.charCodeAt(b - 1))) b--;
      if (a < b) {
        const c = text.charCodeAt(a);
        if (c === 38 || c === 33 || c === 42 || c === 37 || c === 64 || c === 96) return undefined; // /^[&!*%@`]/: anchors, tags, aliases, reserved
        const want = c === 34 ? 34 : c === 39 ? 39 : c === 91 ? 93 : c === 123 ? 125 : 0; // CLOSE
        if (want && (b - a < 2 || text.charCodeAt(b - 1) !== want)) return undefined;
      }
      const keyLength = colon - start;
      if (keyLength === 2 && text.startsWith("id", start)) {
        ids++;
        idValue = text.slice(valueStart, end);
        idEnd = end;
      } else if (keyLength === 6 && text.startsWith("status", start)) {
        statuses++;
        statusValue = text.slice(valueStart, end);
        statusEnd = end;
      }
    }
    start = end + 1;
  }
  const value = (raw: string): string => raw.replace(/ +#.*$/, "").trim();
  const id = ids === 1 ? value(idValue) : undefined;
  const status = statuses === 1 ? value(statusValue) : statuses === 0 ? "proposed" : undefined;
  if (!id || !ID.test(id) || !path.endsWith(`/${id}.yaml`) || !status || !STATUSES.includes(status as RequestStatus)) return undefined;
  // A more indented line after a plain value continues it (`status: active` + `  - x` is the
  // string "active - x" to YAML): then the line does not say what the parser reads.
  if (continues(text, idEnd, 0) || (statuses === 1 && continues(text, statusEnd, 0))) return undefined;
  // The summary's strings are copied out of the text: a slice of it would keep the whole text alive
  // (V8 slices share their parent), and the sweep keeps a summary of every record.
  if (status !== "active") return { id: detached(id), status: status as RequestStatus };
  const grantAt = text.search(/^grant:$/m);
  const expires = [...text.matchAll(GRANT_EXPIRES)].filter((m) => (m.index ?? 0) > grantAt && grantAt >= 0);
  const next = grantAt >= 0 ? text.slice(grantAt + 7).search(/^\S/m) : -1;
  const inGrant = expires.filter((m) => next < 0 || (m.index ?? 0) < grantAt + 7 + next);
  const only = inGrant.length === 1 ? inGrant[0] : undefined;
  if (!only || continues(text, (only.index ?? 0) + only[0].length, 2)) return undefined;
  return { id: detached(id), status: "active", expires_at: detached((only[1] ?? only[2]) as string) };
}

const EXPIRES = new RegExp(`^${TIMESTAMP}$`);

/**
 * Whether `s` is a summary `summarize` can return: an id, a status it summarizes, and
 * grant.expires_at (a timestamp, no spaces) exactly when active. What the summary cache
 * (records.ts) keeps and takes back.
 */
export function isCacheableSummary(s: RecordSummary): boolean {
  if (!ID.test(s.id) || !STATUSES.includes(s.status)) return false;
  return s.status === "active" ? s.expires_at !== undefined && EXPIRES.test(s.expires_at) : s.expires_at === undefined;
}

const isKeyStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isKeyChar = (c: number): boolean => isKeyStart(c) || (c >= 48 && c <= 57);
const isSeparator = (c: number): boolean => c === 0x2028 || c === 0x2029;
/** What String.prototype.trim removes: ECMAScript's WhiteSpace and LineTerminator code units. */
export function isTrimSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Whether the next line after `end` (a line's end) that is not blank is indented more than `indent` spaces. */
function continues(text: string, end: number, indent: number): boolean {
  for (let start = end + 1; start < text.length;) {
    const nl = text.indexOf("\n", start);
    const stop = nl < 0 ? text.length : nl;
    let spaces = 0;
    while (start + spaces < stop && text.charCodeAt(start + spaces) === 32) spaces++;
    if (start + spaces < stop) return spaces > indent;
    start = stop + 1;
  }
  return false;
}

export function planSweep(records: readonly SweepRecord[], managed: readonly ManagedResource[] | undefined, now: Date, opts: PlanOptions = {}): SweepPlan {
  const mode = opts.mode ?? "iam";
  const nowMs = now.getTime();
  const due: DueGrant[] = [];
  const active: ActiveGrant[] = [];
  const starts: StartDue[] = [];
  const scheduled: ScheduledGrant[] = [];
  const errors: RecordError[] = [];
  const byId = new Map<string, { status: RequestStatus | "unreadable"; account?: string }>();
  // With opts.closed: the index of the record that set each id's entry by rank, and the ids a
  // record that could not be read set (no summary outranks those: see the merge after the loop).
  const closed = opts.closed;
  const setAt = closed ? new Map<string, number>() : undefined;
  const forced = closed ? new Set<string>() : undefined;

  for (let index = 0; index < records.length; index++) {
    const rec = records[index]!;
    if ("summary" in rec) {
      const { id, status, expires_at } = rec.summary;
      const previous = byId.get(id);
      if (!previous || rank(status) > rank(previous.status)) {
        byId.set(id, { status });
        setAt?.set(id, index);
      }
      if (status === "active" && expires_at) active.push({ id, file: rec.path, expires_at });
      continue;
    }
    if ("problems" in rec) {
      // A scheduled record the rules no longer accept is closed at its start (the executor judges
      // it again then); until then it is reported, so someone can look before it is refused.
      if (rec.status === "scheduled" && rec.id && rec.startsAt && Date.parse(rec.startsAt) <= nowMs) {
        starts.push({ id: rec.id, file: rec.path, starts_at: rec.startsAt });
        byId.set(rec.id, { status: "scheduled" });
        forced?.add(rec.id);
        continue;
      }
      errors.push({ file: rec.path, ...(rec.id ? { id: rec.id } : {}), problems: rec.problems });
      // An unreadable record may be an active grant: its resources are never drift by absence.
      if (rec.id) {
        byId.set(rec.id, { status: "unreadable" });
        forced?.add(rec.id);
      }
      continue;
    }
    const r = rec.request;
    const status = r.status ?? "proposed";
    const previous = byId.get(r.id);
    // Two files with one id: the more alive one protects the resources (active > proposed > rest).
    if (!previous || rank(status) > rank(previous.status)) {
      byId.set(r.id, { status, ...(r.grant?.aws?.account_id ? { account: r.grant.aws.account_id } : {}) });
      setAt?.set(r.id, index);
    }
    if (status === "scheduled" && r.scheduled) {
      const d = startDecision({ ...r, scheduled: r.scheduled }, now);
      if (d.kind === "wait") scheduled.push({ id: r.id, file: rec.path, starts_at: d.startsAt, expires_at: r.scheduled.expires_at });
      else starts.push({ id: r.id, file: rec.path, starts_at: r.scheduled.starts_at });
      continue;
    }
    if (status !== "active" || !r.grant) continue;
    const expiresMs = Date.parse(r.grant.expires_at);
    if (Number.isNaN(expiresMs)) {
      errors.push({
        file: rec.path,
        id: r.id,
        problems: [
          { code: "record.expiry-invalid", path: "grant.expires_at", message: `grant.expires_at ${JSON.stringify(r.grant.expires_at)} is not a timestamp` },
        ],
      });
      continue;
    }
    if (expiresMs > nowMs) {
      active.push({ id: r.id, file: rec.path, expires_at: r.grant.expires_at });
      continue;
    }
    try {
      // Every account's part is read here, so a bad one is an error now; closeGrant revokes in each.
      const [target] = revokeTargetsOf(r.id, r.grant.aws ?? {}, mode);
      if (target) due.push({ id: r.id, file: rec.path, expires_at: r.grant.expires_at, request: r, target });
    } catch (e) {
      errors.push({
        file: rec.path,
        id: r.id,
        problems: [{ code: "record.aws-invalid", path: "grant.aws", message: e instanceof Error ? e.message : String(e) }],
      });
    }
  }
  const byExpiry = (a: { expires_at: string; id: string }, b: { expires_at: string; id: string }) =>
    a.expires_at.localeCompare(b.expires_at) || a.id.localeCompare(b.id);
  due.sort(byExpiry);
  active.sort(byExpiry);
  const byStart = (a: { starts_at: string; id: string }, b: { starts_at: string; id: string }) =>
    a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id);
  starts.sort(byStart);
  scheduled.sort(byStart);
  errors.sort((a, b) => a.file.localeCompare(b.file));

  const plan: SweepPlan = { now: now.toISOString(), due, active, starts, scheduled, errors, drift: undefined, unattributed: [], pending: [] };
  if (!managed) return plan;
  // Only reconcile reads byId. The closed summaries, merged as if they stood in the records where they were: an entry a
  // record that could not be read set is final for them (it is set whatever came before, and
  // ranks at least as high as any summary they could be); otherwise the higher rank wins, and of
  // two of one rank the one that came first.
  if (closed && setAt && forced) {
    for (const [id, v] of closed.byId) {
      if (forced.has(id)) continue;
      const status = CLOSED_STATUSES[v & 7]!;
      const previous = byId.get(id);
      if (!previous || rank(status) > rank(previous.status) || (rank(status) === rank(previous.status) && Math.floor(v / 8) <= setAt.get(id)!))
        byId.set(id, { status });
    }
  }

  // Reconcile: group AWS resources by request, then decide per request.
  const dueIds = new Set(due.map((d) => d.id));
  // One group per request (and, in iam mode, per account: a grant in several accounts is removed
  // in each account with that account's own resources, as a revoke acts in one account).
  const groups = new Map<string, { id: string; resources: ManagedResource[] }>();
  for (const res of managed) {
    const owner = ownerOf(res, opts.accountIds);
    if (!owner.ok) {
      plan.unattributed.push({ resource: res, message: owner.message });
      continue;
    }
    const id = owner.id;
    // In identity-center mode a request's permission set and schedule live with the instance, one group.
    const key = mode === "iam" ? `${id} ${res.accountIds[0] ?? ""}` : id;
    const group = groups.get(key) ?? { id, resources: [] };
    group.resources.push(res);
    groups.set(key, group);
  }
  const drift: Drift[] = [];
  for (const { id, resources } of [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g)) {
    if (dueIds.has(id)) continue; // revoked as a due grant above
    const record = byId.get(id);
    const tagPassed = resources.some((r) => r.expiresAt !== undefined && !(Date.parse(r.expiresAt) > nowMs));
    let reason: DriftReason | undefined;
    if (tagPassed) reason = "expiry-tag-passed";
    else if (!record) reason = "no-record";
    else if (record.status === "proposed" || record.status === "scheduled")
      plan.pending.push(id); // a grant (or a start) in flight: its record follows
    else if (record.status !== "active" && record.status !== "unreadable") reason = "not-active";
    if (!reason) continue;
    const accountId = resources.flatMap((r) => r.accountIds)[0] ?? record?.account ?? opts.fallbackAccountId;
    if (!accountId) {
      for (const resource of resources)
        plan.unattributed.push({
          resource,
          message: `${resource.kind} ${resource.arn} (request ${id}) does not say which account it belongs to; remove it by hand`,
        });
      continue;
    }
    const arns = resources.filter((r) => r.kind !== "schedule").map((r) => r.arn);
    const schedules = resources.filter((r) => r.kind === "schedule").map((r) => r.name);
    drift.push({
      requestId: id,
      reason,
      ...(record && record.status !== "unreadable" ? { status: record.status } : {}),
      resources,
      target: { requestId: id, mode, accountId, ...(arns.length ? { resources: arns } : {}), ...(schedules.length ? { schedules } : {}) },
    });
  }
  plan.drift = drift;
  return plan;
}

function rank(status: RequestStatus | "unreadable"): number {
  return status === "active" || status === "unreadable" ? 2 : status === "proposed" || status === "scheduled" ? 1 : 0;
}

/**
 * The request a listed resource belongs to, when jit-access made it: policies and permission sets
 * carry the jit-access:request tag (set atomically at creation) and the name derived from it;
 * schedules carry no tags, so their id comes from the description or the name, and the name must
 * be one a grant of that id creates. Anything else — untagged, or named for another request — is
 * reported and never touched.
 */
function ownerOf(res: ManagedResource, accountIds?: readonly string[]): { ok: true; id: string } | { ok: false; message: string } {
  const leave = "jit-access did not create it, so reconcile leaves it alone; find out who made it and remove it by hand if it is not needed";
  if (res.kind === "schedule") {
    const id = res.requestId ?? idFromName(res.name, res.kind);
    if (!id) return { ok: false, message: `schedule ${res.arn} names no request in its description or name; ${leave}` };
    // Identity Center: a request in several accounts has a revoke schedule per later account, `jit-<id>.<account>`.
    const account = /\.(\d{12})$/.exec(res.name)?.[1];
    const names = [
      scheduleName(id, "revoke"),
      scheduleName(id, "delete-policy"),
      ...[account, ...(accountIds ?? [])].map((a) => a && scheduleName(id, "revoke", a)),
    ];
    if (!names.includes(res.name)) {
      return { ok: false, message: `schedule ${res.arn} says it is request ${id}'s but is not named ${scheduleName(id, "revoke")}; ${leave}` };
    }
    return { ok: true, id };
  }
  const id = res.requestId;
  if (!id) return { ok: false, message: `${res.kind} ${res.arn} carries no jit-access:request tag; ${leave}` };
  const expected = res.kind === "iam-policy" ? iamPolicyName(id) : permissionSetName(id);
  if (!ID.test(id) || res.name !== expected)
    return { ok: false, message: `${res.kind} ${res.arn} is tagged for request ${JSON.stringify(id)} but is not named ${expected}; ${leave}` };
  return { ok: true, id };
}

/** `jit-<id>` (and `jit-<id>-delete` for schedules) back to the id, when the name was not shortened. */
export function idFromName(name: string, kind: ManagedResource["kind"]): string | undefined {
  if (!name.startsWith("jit-")) return undefined;
  // A name at its length limit may have been shortened with a hash: it no longer spells the id.
  const limit = kind === "schedule" ? LIMITS.scheduleName : kind === "permission-set" ? LIMITS.permissionSetName : LIMITS.iamPolicyName;
  if (name.length >= limit) return undefined;
  let id = name.slice(4);
  if (kind === "schedule" && id.endsWith("-delete")) id = id.slice(0, -"-delete".length);
  if (kind === "schedule") id = id.replace(/\.\d{12}$/, "");
  return ID.test(id) ? id : undefined;
}
