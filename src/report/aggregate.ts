// Access analytics from the request files and the commit history. Pure and linear in the input
// (commits are indexed once), so 10,000 requests take milliseconds.
//
// What is counted (also written into every report under `definitions`):
// - requested_at: author date of the first commit that added the request file (the app's
//   "propose" commit on the PR branch, or the requester's own commit) — close to when the PR
//   was opened. With squash merges it is the squash commit, so request→approval reads ~0.
// - approved_at: committer date of grant.merge_commit (merging is the approval).
// - granted_at: grant.granted_at from the record (when AWS returned).
// - the period (--since): a request belongs to it when requested_at (else granted_at, else
//   closed.at) is on or after since; "active now" always covers every record.
// - blocked: records with status failed or rejected, grouped by the code of the rule that closed
//   them: closed.code in the record, else the first `Rule:` trailer of the newest commit that
//   wrote the record, else `unclassified`. The English closed.reason is shown, never parsed.
// - risk: the grant commit's `Risk:` trailer (older grant commits say "risk high." in the body),
//   else derived from the policy actions (catalogue levels when given, and the curated
//   dangerous-action list), else from the access levels asked.
import { detached } from "../domain/text.js";
import { isoSeconds, parseIsoMs } from "../domain/time.js";
import { parseDuration } from "../domain/duration.js";
import { PROBLEM_CODE } from "../domain/problems.js";
import type { AccessRequest, ProblemArea, RequestStatus, RiskTier } from "../domain/types.js";
import type { HistoryCommit } from "./history.js";
import { FirstSorted, firstSorted, sortedCounts, stat, type Count, type Stat } from "./stats.js";
import { APPROVAL_POLICIES_DEFINITION, approvalPoliciesSection, type ApprovalPoliciesSection } from "./approval-policies.js";
import { lifecycleSection, type LifecycleSection } from "./lifecycle.js";
import { GRANTED, recordFacts, type FactsCatalogue, type PolicyRisk, type RecordFacts } from "./facts.js";

export interface ReportRecord {
  /** Repository path, access-requests/<account>/<YYYY>/<id>.yaml. */
  file: string;
  request: AccessRequest;
}

export interface ReportInput extends FactsCatalogue {
  /** The records, parsed; or `facts`, their facts already derived (recordFacts with the same catalogue). */
  records?: readonly ReportRecord[];
  facts?: readonly RecordFacts[];
  /** The history of access-requests/, newest first; or, already folded (a streamed log), `history`. */
  commits?: readonly HistoryCommit[];
  /** The history folded commit by commit (with its merge dates); used instead of commits and mergeDates. */
  history?: HistoryIndex;
  /** Commit dates of merge commits (git log --merges), for approved_at. */
  mergeDates?: ReadonlyMap<string, string>;
  /** What the history says of each record (by position in `facts`), already looked up; used instead of the history. */
  recorded?: { commits: number; records: readonly RecordHistory[] };
  now: Date;
  since?: Date;
  /** Files that could not be read, reported as such. */
  skipped?: ReadonlyArray<{ file: string; reason: string }>;
  notes?: string[];
  /** Where the request files were looked for, and how many example files were left out. */
  source?: { dir: string; examplesExcluded: number };
  /** How many rows the lists keep (default 10). */
  top?: number;
}

export interface ActiveRow {
  id: string;
  requester: string;
  account: string;
  granted_at: string;
  expires_at: string;
  minutes_left: number;
  risk: RiskTier;
}

/** A request approved for a later start, not started yet (status scheduled). */
export interface ScheduledRow {
  id: string;
  requester: string;
  account: string;
  starts_at: string;
  expires_at: string;
  approved_by: string[];
}

export interface RevokeRow {
  id: string;
  requester: string;
  account: string;
  asked_seconds: number;
  used_seconds: number;
  by: string | null;
  reason: string;
}

export interface BlockedRow {
  id: string;
  requester: string;
  account: string;
  status: "failed" | "rejected";
  /** The code it is counted under (`<area>.<rule>`), or `unclassified`. */
  rule: string;
  /** Where the code came from: the record's closed.code, a `Rule:` trailer, or nowhere. */
  rule_source: "record" | "commit" | "none";
  /** Every code the record's commit names (its `Rule:` trailers), else the record's code. */
  rules: string[];
  reason: string;
  at: string | null;
}

export interface RiskRow {
  id: string;
  requester: string;
  account: string;
  status: RequestStatus;
  risk: RiskTier;
  risk_source: "grant-commit" | "policy" | "request";
  score: number;
  permissions_management: string[];
  dangerous: string[];
  duration_seconds: number;
  granted_at: string;
}

/** Granted vs used for one service or account, summed over grants with a summarised activity. */
export interface UsageRow {
  key: string;
  /** Grants counted. */
  grants: number;
  /** Actions granted, summed over those grants (an action granted twice counts twice). */
  granted: number;
  /** Of those, actions called at least once during their grant. */
  used: number;
  /** used / granted; null when nothing was granted. */
  share: number | null;
  /** Denied calls the records list (a record lists at most RECORD_DENIED_MAX). */
  denied: number;
}

export interface Report {
  generated_at: string;
  since: string | null;
  definitions: Record<string, string>;
  totals: {
    requests: number;
    by_status: Record<RequestStatus, number>;
    grants: number;
    active_now: number;
    /** Active records past their expiry (the sweep has not recorded them yet). */
    awaiting_sweep: number;
    blocked: number;
    commits: number;
    skipped_files: number;
  };
  grants_by_service: Count[];
  grants_by_account: Count[];
  grants_by_requester: Count[];
  /** Grants per catalogue entry picked (requests that describe their own access are not counted here). */
  grants_by_catalogue: Count[];
  grants_by_risk: Record<RiskTier, number>;
  active: ActiveRow[];
  /** Requests approved for a later start that has not been granted yet, soonest first; absent when there are none. */
  scheduled?: ScheduledRow[];
  timing: { request_to_approval: Stat; approval_to_grant: Stat; request_to_grant: Stat; request_to_grant_buckets: Count[] };
  durations: {
    closed_grants: number;
    asked_seconds: number;
    used_seconds: number;
    /** used / asked over closed grants; null when there are none. */
    used_ratio: number | null;
    early_revokes: number;
    /** Median share of the asked time used by early-revoked grants. */
    early_revoke_used_ratio: Stat;
    revoked: RevokeRow[];
  };
  /** by_rule: one row per code; by_area: the same records per code area. Both total `total`. */
  blocked: { total: number; by_rule: Array<Count & { label: string }>; by_area: Array<Count & { label: string }>; recent: BlockedRow[] };
  riskiest: RiskRow[];
  granted_vs_used: {
    /** Closed grants in the period whose activity was summarised and is counted below. */
    grants: number;
    /** Summarised, but the record's action lists were cut, so granted or used is unknown: not counted. */
    partial: number;
    /** Closed grants whose activity could not be looked up (unavailable, beyond the 90-day horizon). */
    unavailable: number;
    /** Closed grants without any activity record (closed before activity was recorded, or with it off). */
    none: number;
    granted: number;
    used: number;
    share: number | null;
    /** Denied calls over the counted grants (denied_total of each record, listed or not). */
    denied: number;
    by_service: UsageRow[];
    by_account: UsageRow[];
  };
  /** Auto-approved grants and every break-glass use in the period. */
  approval_policies: ApprovalPoliciesSection;
  skipped: Array<{ file: string; reason: string }>;
  notes: string[];
  /** Why the period has no requests (so the zeros are not read as "nothing happened"); null when it has some. */
  empty: string | null;
  /** Rejections with their reasons, withdrawals, requests closed unapproved, extensions; absent when there are none. */
  lifecycle?: LifecycleSection;
}

export const DEFINITIONS: Record<string, string> = {
  period: "A request is in the period when requested_at (else granted_at, else closed.at) is on or after --since. Active now covers all records.",
  requested_at: "Author date of the first commit adding the request file (the PR's propose commit): about when the PR was opened.",
  approved_at: "Commit date of grant.merge_commit: merging the reviewed PR is the approval.",
  granted_at: "grant.granted_at in the record: when AWS confirmed the grant.",
  grants: "Records with a grant (status active, expired or revoked). Per service: once per service named in the request.",
  durations: "Closed grants only. Asked: the request's duration. Used: until closed.at for revoked grants, until expires_at for expired ones.",
  blocked:
    "Records with status failed or rejected, by the code of the rule that closed them: closed.code in the record, else the first Rule: trailer of the newest commit writing the record, else unclassified (records written before codes). Merges refused only on GitHub (no record commit) are not in git and not counted.",
  risk: "The Risk: trailer of the grant commit (older grant commits: the tier named in its message), else from the policy's actions (permissions-management or a curated dangerous action: high; write/tagging: medium), else from the access levels asked.",
  quantiles: "Median and p90 by linear interpolation between closest ranks (numpy's default).",
  approval_policies: APPROVAL_POLICIES_DEFINITION,
  riskiest: "Grants in the period ordered by tier, then dangerous actions, then permissions-management actions, then duration.",
  granted_vs_used:
    "Closed grants in the period with a summarised activity (CloudTrail management events in the grant's window). Granted: the policy's allowed actions, wildcards expanded, per service prefix; used: those called at least once. Summed over grants. Denied: calls refused with AccessDenied or UnauthorizedOperation (per service as the record lists them, at most 20 per grant; the total counts every one). Data events (S3 GetObject and the like) are not seen, so a data action can read as unused. Records whose lists were cut are counted as partial, not summed.",
};

/** What each code area means to a reader of the report; codes are `<area>.<rule>`. */
export const AREA_LABELS: Record<ProblemArea, string> = {
  yaml: "request file not valid YAML",
  schema: "request file schema",
  config: "configuration",
  request: "request rules (account, duration, requester)",
  form: "issue form",
  guardrail: "policy guardrails",
  draft: "policy draft (model output)",
  approval: "approval rules",
  merge: "merge checks",
  record: "record integrity",
  aws: "AWS grant",
  github: "GitHub",
  cli: "command line",
  identity: "identities as code",
};

/** The bucket of blocked records that carry no code (written before records had codes). */
export const UNCLASSIFIED = "unclassified";
const UNCLASSIFIED_LABEL = "unclassified: no code recorded";

/** The area of a well-formed code with a known area; undefined otherwise. */
function areaOf(code: string): ProblemArea | undefined {
  if (code.length > 80 || !PROBLEM_CODE.test(code)) return undefined;
  const area = code.slice(0, code.indexOf("."));
  return Object.hasOwn(AREA_LABELS, area) ? (area as ProblemArea) : undefined;
}

/** A code the report counts under its own name: well formed, of a known area. */
export function isReportableCode(code: unknown): code is string {
  return typeof code === "string" && areaOf(code) !== undefined;
}

/** `policy guardrails: dangerous-action` for `guardrail.dangerous-action`. */
export function codeLabel(code: string): string {
  const area = areaOf(code);
  return area ? `${AREA_LABELS[area]}: ${code.slice(area.length + 1)}` : UNCLASSIFIED_LABEL;
}

function areaLabel(key: string): string {
  return Object.hasOwn(AREA_LABELS, key) ? AREA_LABELS[key as ProblemArea] : UNCLASSIFIED_LABEL;
}

const TIER_RANK: Record<RiskTier, number> = { low: 1, medium: 2, high: 3 };

interface PathDates {
  added: number | undefined;
  touched: number;
}

/**
 * What buildReport looks up for the record at position `i` of its input (with that record's file,
 * id or merge commit, which decide when the index was not built for these records).
 */
interface Indexed {
  /** The earliest author date (ms) of a commit adding the file, else of any commit touching it. */
  requestedAt(i: number, file: string): number | undefined;
  /** The commit date of the merge commit: `git log --merges`' date, else the date of the commit of that sha. */
  approvedAt(i: number, sha: string): number | undefined;
  /** The risk tier named by the request's grant commit. */
  grantRisk(i: number, id: string): RiskTier | undefined;
  /** `path NUL Request-Id` → the `Rule:` codes of the newest commit writing that record with any. */
  rules: Map<string, string[]>;
}

const TIERS: ReadonlySet<string> = new Set<RiskTier>(["low", "medium", "high"]);
/** More codes than this on one commit is not something the app writes; the rest are ignored. */
const MAX_RULES = 20;

function ms(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = parseIsoMs(iso);
  return Number.isFinite(t) ? t : undefined;
}

/** The grant.merge_commit of every record: the only commit dates the report looks up. */
export function mergeCommitsOf(records: readonly ReportRecord[]): Set<string> {
  const out = new Set<string>();
  for (const { request } of records) if (request.grant?.merge_commit) out.add(request.grant.merge_commit);
  return out;
}

/** What the history says of one record, as buildReport looks it up: kept per record by the report's cache. */
export interface RecordHistory {
  /** requested_at (ms): the earliest author date of a commit adding the file, else of any touching it. */
  requested?: number;
  /** approved_at (ms): the merge commit's date. */
  approved?: number;
  /** The risk tier its grant commit names. */
  risk?: RiskTier;
  /** The Rule: codes of the newest commit writing the record with any. */
  rules?: string[];
}

/** Each record's history values from a fold of the history (made for these records or not), by position. */
export function recordHistories(history: HistoryIndex, facts: readonly RecordFacts[]): RecordHistory[] {
  const idx = history.indexed();
  return facts.map((f, i) => {
    const h: RecordHistory = {};
    const requested = idx.requestedAt(i, f.file);
    const approved = f.grant ? idx.approvedAt(i, f.grant.merge_commit) : undefined;
    const risk = idx.grantRisk(i, f.id);
    const rules = idx.rules.get(`${f.file}\0${f.id}`);
    if (requested !== undefined) h.requested = requested;
    if (approved !== undefined) h.approved = approved;
    if (risk !== undefined) h.risk = risk;
    if (rules !== undefined) h.rules = rules;
    return h;
  });
}

/** buildReport's lookups over history values already looked up per record (`records[i]` is facts[i]'s). */
function recordedIndexed(facts: readonly RecordFacts[], records: readonly RecordHistory[]): Indexed {
  const rules = new Map<string, string[]>();
  records.forEach((h, i) => {
    const f = facts[i];
    if (h.rules && f) rules.set(`${f.file}\0${f.id}`, h.rules);
  });
  return {
    requestedAt: (i, file) => (facts[i]?.file === file ? records[i]?.requested : undefined),
    approvedAt: (i, sha) => (facts[i]?.grant?.merge_commit === sha ? records[i]?.approved : undefined),
    grantRisk: (i, id) => (facts[i]?.id === id ? records[i]?.risk : undefined),
    rules,
  };
}

function indexHistory(commits: readonly HistoryCommit[], mergeDates: ReadonlyMap<string, string> | undefined): Indexed {
  const index = new HistoryIndex();
  for (const c of commits) index.add(c);
  for (const [sha, iso] of mergeDates ?? []) index.addMergeDate(sha, iso);
  return index.indexed();
}

/**
 * The records' keys, known before the log is read (the CLI reads the records first): each record
 * file, request id and merge commit gets a slot, and the fold keeps dates and tiers in arrays by
 * slot instead of maps of everything the history names. buildReport then reads a record's slot by
 * its position, without a lookup by a long string (most of its time on 100,000 records).
 */
/** What the history is looked up by for a record: its file, its id and its merge commit (RecordFacts has them). */
export interface HistoryKeys {
  file: string;
  id: string;
  grant?: { merge_commit: string };
}

class Slots {
  readonly path = new Map<string, number>();
  readonly id = new Map<string, number>();
  readonly sha = new Map<string, number>();
  /** Per record position: its slots (-1 for no merge commit), and the keys they were made for. Slots are record positions. */
  readonly pathAt: Int32Array;
  readonly idAt: Int32Array;
  readonly shaAt: Int32Array;
  readonly fileOf: string[] = [];
  readonly idOf: string[] = [];
  readonly shaOf: string[] = [];
  /** Per path slot; NaN for none. Every array by slot has one entry per record. */
  readonly added: Float64Array;
  readonly touched: Float64Array;
  /** Per id slot: the Risk: trailer of its newest grant commit with one, and the tier its newest grant commit's message names. */
  readonly trailerRisk: Array<RiskTier | undefined>;
  readonly messageRisk: Array<RiskTier | undefined>;
  /** Per merge-commit slot; NaN for none. */
  readonly commitDate: Float64Array;
  readonly mergeDate: Float64Array;
  /**
   * One bit per value of shaBits over the merge commits: a commit whose bit is clear is none of
   * them, known without a lookup in `sha` (most commits of a long history are no merge commit).
   */
  private readonly shaFilter = new Int32Array(1 << (SHA_BITS - 5));

  constructor(records: readonly HistoryKeys[]) {
    const n = records.length;
    const shas: number[] = [];
    // A key's slot is the position of the last record with it (later ones overwrite): one set per
    // record. Only when some key repeats are the positions looked up again, to share its slot.
    for (let i = 0; i < n; i++) {
      const { file, id, grant } = records[i] as HistoryKeys;
      this.fileOf.push(file);
      this.idOf.push(id);
      this.path.set(file, i);
      this.id.set(id, i);
      const sha = grant?.merge_commit;
      this.shaOf.push(sha ?? "");
      if (sha) {
        this.sha.set(sha, i);
        shas.push(i);
        const b = shaBits(sha);
        this.shaFilter[b >>> 5] = (this.shaFilter[b >>> 5] as number) | (1 << (b & 31));
      }
    }
    const at = (m: Map<string, number>, keys: string[], unique: boolean) => {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = unique ? i : (m.get(keys[i] as string) as number);
      return out;
    };
    this.pathAt = at(this.path, this.fileOf, this.path.size === n);
    this.idAt = at(this.id, this.idOf, this.id.size === n);
    this.shaAt = new Int32Array(n).fill(-1);
    const shaUnique = this.sha.size === shas.length;
    for (const i of shas) this.shaAt[i] = shaUnique ? i : (this.sha.get(this.shaOf[i] as string) as number);
    this.added = new Float64Array(n).fill(NaN);
    this.touched = new Float64Array(n).fill(NaN);
    this.trailerRisk = new Array<RiskTier | undefined>(n).fill(undefined);
    this.messageRisk = new Array<RiskTier | undefined>(n).fill(undefined);
    this.commitDate = new Float64Array(n).fill(NaN);
    this.mergeDate = new Float64Array(n).fill(NaN);
  }

  /** The id slot of a grant commit's Request-Id, found through the record at the path it writes when that is the request's own file. */
  idSlot(id: string, pathSlot: number | undefined): number | undefined {
    return pathSlot !== undefined && this.idOf[pathSlot] === id ? this.idAt[pathSlot] : this.id.get(id);
  }

  /** The slot of a merge commit; undefined for any other sha. */
  shaSlot(sha: string): number | undefined {
    const b = shaBits(sha);
    return ((this.shaFilter[b >>> 5] as number) & (1 << (b & 31))) === 0 ? undefined : this.sha.get(sha);
  }

  indexed(rules: Map<string, string[]>): Indexed {
    const num = (t: number | undefined) => (t === undefined || Number.isNaN(t) ? undefined : t);
    return {
      requestedAt: (i, file) => {
        const p = this.fileOf[i] === file ? this.pathAt[i] : this.path.get(file);
        return p === undefined ? undefined : (num(this.added[p]) ?? num(this.touched[p]));
      },
      approvedAt: (i, sha) => {
        const k = this.shaOf[i] === sha ? this.shaAt[i] : this.sha.get(sha);
        return k === undefined || k < 0 ? undefined : (num(this.mergeDate[k]) ?? num(this.commitDate[k]));
      },
      grantRisk: (i, id) => {
        const k = this.idOf[i] === id ? this.idAt[i] : this.id.get(id);
        return k === undefined ? undefined : (this.trailerRisk[k] ?? this.messageRisk[k]);
      },
      rules,
    };
  }
}

const SHA_BITS = 22;

/** SHA_BITS bits of a string, read from its first characters (any string: equal strings give equal bits). */
function shaBits(s: string): number {
  let h = 0;
  for (let k = 0; k < SHA_BITS / 4; k++) h = (h << 4) | (s.charCodeAt(k) & 15);
  return h & ((1 << SHA_BITS) - 1);
}

/** The tier constant for a tier name (so a kept tier does not hold on to the log text it was read from). */
const TIER_OF: ReadonlyMap<string, RiskTier> = new Map<string, RiskTier>([
  ["low", "low"],
  ["medium", "medium"],
  ["high", "high"],
]);

/**
 * What the report needs from the history, folded in one commit at a time (newest first, as git
 * log prints them) so a streamed log is never held: buildReport takes it as `history`.
 */
export class HistoryIndex {
  /** How many commits were added. */
  commits = 0;
  private readonly paths = new Map<string, PathDates>();
  private readonly commitDate = new Map<string, number>();
  private readonly grantRisk = new Map<string, RiskTier>();
  private readonly trailerRisk = new Map<string, RiskTier>();
  private readonly rules = new Map<string, string[]>();
  private readonly mergeDates = new Map<string, number>();
  private readonly slots: Slots | undefined;
  private done = false;

  /**
   * `records`: the records the report is for, when known before the log is read (the CLI reads
   * them first): only what they look up is kept, by slot (see Slots); a report over other records
   * finds nothing for theirs. `mergeCommits` (without `records`): the shas the records name as
   * grant.merge_commit; only their commit dates are kept. Without either, everything is kept.
   */
  constructor(private readonly opts: { mergeCommits?: ReadonlySet<string>; records?: readonly HistoryKeys[] } = {}) {
    this.slots = opts.records ? new Slots(opts.records) : undefined;
  }

  add(c: HistoryCommit): void {
    if (this.done) throw new Error("HistoryIndex.add after the report was built from it");
    this.commits++;
    const at = ms(c.authorDate);
    const slots = this.slots;
    if (slots) this.addToSlots(slots, c, at);
    else {
      // Keys are detached copies: the commit's strings are views of a chunk of the streamed log.
      // The commit date is parsed only for the commits it is kept for (few of a long history).
      if (this.opts.mergeCommits === undefined || this.opts.mergeCommits.has(c.sha)) {
        const cd = ms(c.commitDate);
        if (cd !== undefined) this.commitDate.set(detached(c.sha), cd);
      }
      if (at !== undefined) {
        for (const f of c.files) {
          const added = f.status === "A" ? at : undefined;
          const p = this.paths.get(f.path);
          if (p === undefined) this.paths.set(detached(f.path), { added, touched: at });
          else {
            if (at < p.touched) p.touched = at;
            if (added !== undefined && (p.added === undefined || added < p.added)) p.added = added;
          }
        }
      }
    }
    const id = c.trailers["Request-Id"]?.[0];
    if (!id) return;
    if (!slots && c.subject.startsWith("jit-access: grant ")) {
      // Newest first: the first grant commit seen for an id is its latest grant.
      const tier = c.trailers["Risk"]?.[0];
      if (tier !== undefined && TIERS.has(tier) && !this.trailerRisk.has(id)) this.trailerRisk.set(detached(id), detached(tier) as RiskTier);
      const m = /\brisk (low|medium|high)\b/.exec(c.body);
      if (m && !this.grantRisk.has(id)) this.grantRisk.set(detached(id), detached(m[1] as string) as RiskTier);
    }
    const ruleTrailers = c.trailers["Rule"];
    if (ruleTrailers === undefined) return;
    const codes = ruleTrailers.slice(0, MAX_RULES).filter(isReportableCode);
    if (codes.length) for (const f of c.files) if (!this.rules.has(`${f.path}\0${id}`)) this.rules.set(detached(`${f.path}\0${id}`), codes.map(detached));
  }

  /** add() for the records' slots: the same earliest dates, latest tiers and commit dates, kept only for the records' keys. */
  private addToSlots(slots: Slots, c: HistoryCommit, at: number | undefined): void {
    if (slots.sha.size) {
      const k = slots.shaSlot(c.sha);
      if (k !== undefined) {
        const cd = ms(c.commitDate);
        if (cd !== undefined) slots.commitDate[k] = cd;
      }
    }
    // The last of the commit's files that is a record's (a grant commit writes its request's file).
    let written: number | undefined;
    if (at !== undefined) {
      for (const f of c.files) {
        const p = slots.path.get(f.path);
        if (p === undefined) continue;
        written = p;
        if (!(at >= (slots.touched[p] as number))) slots.touched[p] = at;
        if (f.status === "A" && !(at >= (slots.added[p] as number))) slots.added[p] = at;
      }
    }
    if (!c.subject.startsWith("jit-access: grant ")) return;
    const id = c.trailers["Request-Id"]?.[0];
    if (!id) return;
    const k = slots.idSlot(id, written);
    // Newest first: the first grant commit seen for an id is its latest grant; a Risk: trailer
    // (of any of its grant commits) wins over a tier named in a message.
    if (k === undefined || slots.trailerRisk[k] !== undefined) return;
    const tier = c.trailers["Risk"]?.[0];
    const fromTrailer = tier === undefined ? undefined : TIER_OF.get(tier);
    if (fromTrailer !== undefined) slots.trailerRisk[k] = fromTrailer;
    else if (slots.messageRisk[k] === undefined) {
      const m = /\brisk (low|medium|high)\b/.exec(c.body);
      if (m) slots.messageRisk[k] = TIER_OF.get(m[1] as string);
    }
  }

  /** A merge commit's committer date (git log --merges), which wins over the date of a commit of the same sha. */
  addMergeDate(sha: string, iso: string): void {
    if (this.done) throw new Error("HistoryIndex.addMergeDate after the report was built from it");
    const slots = this.slots;
    if (slots) {
      const k = slots.shaSlot(sha);
      const t = k === undefined ? undefined : ms(iso);
      if (k !== undefined && t !== undefined) slots.mergeDate[k] = t;
      return;
    }
    if (this.opts.mergeCommits !== undefined && !this.opts.mergeCommits.has(sha)) return;
    const t = ms(iso);
    if (t !== undefined) this.mergeDates.set(detached(sha), t);
  }

  /** buildReport's view, which ends the fold: a Risk: trailer wins over the tier named in a message, a merge date over a commit's. */
  indexed(): Indexed {
    this.done = true;
    if (this.slots) return this.slots.indexed(this.rules);
    for (const [id, tier] of this.trailerRisk) this.grantRisk.set(id, tier);
    for (const [sha, t] of this.mergeDates) this.commitDate.set(sha, t);
    return mapIndexed(this.paths, this.commitDate, this.grantRisk, this.rules);
  }
}

function mapIndexed(paths: Map<string, PathDates>, commitDate: Map<string, number>, grantRisk: Map<string, RiskTier>, rules: Map<string, string[]>): Indexed {
  return {
    requestedAt: (_i, file) => {
      const dates = paths.get(file);
      return dates === undefined ? undefined : (dates.added ?? dates.touched);
    },
    approvedAt: (_i, sha) => commitDate.get(sha),
    grantRisk: (_i, id) => grantRisk.get(id),
    rules,
  };
}

/** Upper bounds (seconds) of the request→grant histogram; the last bucket is open. */
export const WAIT_BUCKETS: Array<[string, number]> = [
  ["< 15m", 900],
  ["15m–1h", 3600],
  ["1h–4h", 14400],
  ["4h–1d", 86400],
  ["≥ 1d", Infinity],
];

function buckets(values: readonly number[]): Count[] {
  const counts = WAIT_BUCKETS.map(([key]) => ({ key, count: 0 }));
  for (const v of values) {
    const i = WAIT_BUCKETS.findIndex(([, max]) => v < max);
    const slot = counts[i < 0 ? counts.length - 1 : i];
    if (slot) slot.count++;
  }
  return counts;
}

/**
 * The code a blocked record is counted under. The record is the source of truth; the `Rule:`
 * trailers count from a commit that wrote this file and names this request. Nothing is read from
 * the English reason.
 */
function blockedRule(r: RecordFacts, commitCodes: readonly string[]): { rule: string; source: BlockedRow["rule_source"]; rules: string[] } {
  const own = r.closed?.code;
  if (isReportableCode(own)) return { rule: own, source: "record", rules: commitCodes.length ? [...commitCodes] : [own] };
  const first = commitCodes[0];
  if (first !== undefined) return { rule: first, source: "commit", rules: [...commitCodes] };
  return { rule: UNCLASSIFIED, source: "none", rules: [] };
}

/** The grant's risk: the tier its grant commit names wins over the one its policy gives (the actions behind it stay). */
function withCommitRisk(
  risk: PolicyRisk | undefined,
  fromCommit: RiskTier | undefined,
): { tier: RiskTier; source: RiskRow["risk_source"]; pm: string[]; dangerous: string[] } | undefined {
  return risk && fromCommit ? { ...risk, tier: fromCommit, source: "grant-commit" } : risk;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The riskiest grants first: by score, then the latest granted, then by id. */
const riskiestFirst = (a: Pick<RiskRow, "score" | "granted_at" | "id">, b: Pick<RiskRow, "score" | "granted_at" | "id">) =>
  b.score - a.score || (b.granted_at < a.granted_at ? -1 : b.granted_at > a.granted_at ? 1 : byId(a, b));

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function addUsage(into: Map<string, UsageRow>, key: string, u: { granted: number; used: number; denied: number }, newGrant: boolean): void {
  let row = into.get(key);
  if (!row) into.set(key, (row = { key, grants: 0, granted: 0, used: 0, share: null, denied: 0 }));
  if (newGrant) row.grants++;
  row.granted += u.granted;
  row.used += u.used;
  row.denied += u.denied;
}

function usageRows(m: Map<string, UsageRow>): UsageRow[] {
  return [...m.values()]
    .map((r) => ({ ...r, share: r.granted > 0 ? r.used / r.granted : null }))
    .sort((a, b) => b.granted - a.granted || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export function buildReport(input: ReportInput): Report {
  const now = input.now.getTime();
  const since = input.since?.getTime();
  const top = input.top ?? 10;
  const facts = input.facts ?? (input.records ?? []).map((x) => recordFacts(x.file, x.request, input));
  const idx = input.recorded
    ? recordedIndexed(facts, input.recorded.records)
    : input.history
      ? input.history.indexed()
      : indexHistory(input.commits ?? [], input.mergeDates);

  const byStatus: Record<RequestStatus, number> = { proposed: 0, scheduled: 0, active: 0, expired: 0, revoked: 0, rejected: 0, failed: 0 };
  const byService = new Map<string, number>();
  const byAccount = new Map<string, number>();
  const byCatalogue = new Map<string, number>();
  const byRequester = new Map<string, number>();
  const byRisk: Record<RiskTier, number> = { low: 0, medium: 0, high: 0 };
  const active: ActiveRow[] = [];
  const scheduled: ScheduledRow[] = [];
  let awaitingSweep = 0;
  const reqToApproval: number[] = [];
  const approvalToGrant: number[] = [];
  const reqToGrant: number[] = [];
  let closed = 0;
  let asked = 0;
  let used = 0;
  const revoked: RevokeRow[] = [];
  const revokeRatios: number[] = [];
  const blockedRules = new Map<string, number>();
  const blockedAreas = new Map<string, number>();
  const blocked: BlockedRow[] = [];
  // Only the first `top` are shown: a grant that would not be among them is not made into a row.
  const risky = new FirstSorted<RiskRow>(top, riskiestFirst);
  let inPeriod = 0;
  let grants = 0;
  const usage = { grants: 0, partial: 0, unavailable: 0, none: 0, granted: 0, used: 0, denied: 0 };
  const usageByService = new Map<string, UsageRow>();
  const usageByAccount = new Map<string, UsageRow>();
  const grantedInPeriod: RecordFacts[] = [];
  // A few distinct durations ("1h", "8h") over every grant: each string is parsed once.
  const durations = new Map<string, number | undefined>();
  const durationSeconds = (d: unknown): number | undefined => {
    if (typeof d === "string" && durations.has(d)) return durations.get(d);
    const p = parseDuration(d, "request.duration-invalid", "duration");
    const v = p.ok ? p.value : undefined;
    if (typeof d === "string") durations.set(d, v);
    return v;
  };

  for (let i = 0; i < facts.length; i++) {
    const r = facts[i] as RecordFacts;
    const { file, status } = r;
    const g = r.grant;
    const grantedAt = ms(g?.granted_at);
    const expiresAt = ms(g?.expires_at);
    const granted = GRANTED.has(status) && g !== undefined;
    const risk = granted ? withCommitRisk(r.risk, idx.grantRisk(i, r.id)) : undefined;

    // Active now: every record, whatever the period.
    if (status === "active" && g && expiresAt !== undefined) {
      if (expiresAt > now) {
        active.push({
          id: r.id,
          requester: r.requester,
          account: accountLabel(r),
          granted_at: g.granted_at,
          expires_at: g.expires_at,
          minutes_left: Math.ceil((expiresAt - now) / 60_000),
          risk: risk?.tier ?? "low",
        });
      } else awaitingSweep++;
    }
    // Scheduled starts to come: every record, whatever the period, like the active grants.
    if (status === "scheduled" && r.scheduled) {
      const s = r.scheduled;
      scheduled.push({
        id: r.id,
        requester: r.requester,
        account: r.account,
        starts_at: s.starts_at,
        expires_at: s.expires_at,
        approved_by: [...s.approved_by],
      });
    }

    const requestedAt = idx.requestedAt(i, file);
    const when = requestedAt ?? grantedAt ?? ms(r.closed?.at);
    if (since !== undefined && (when === undefined || when < since)) continue;
    inPeriod++;
    byStatus[status]++;

    if (granted && g && risk) {
      grants++;
      grantedInPeriod.push(r);
      for (const s of r.services) bump(byService, s);
      // A grant in several accounts counts once in each account it names.
      for (const a of r.accounts ?? [r.account]) bump(byAccount, a);
      bump(byRequester, r.requester);
      if (r.catalogue !== undefined) bump(byCatalogue, r.catalogue);
      byRisk[risk.tier]++;

      const approvedAt = idx.approvedAt(i, g.merge_commit);
      if (requestedAt !== undefined && approvedAt !== undefined && approvedAt >= requestedAt) reqToApproval.push((approvedAt - requestedAt) / 1000);
      // A grant with a scheduled start waits for it by design: its wait is not how slow granting is.
      const waited = r.scheduled !== undefined;
      if (!waited && approvedAt !== undefined && grantedAt !== undefined && grantedAt >= approvedAt) approvalToGrant.push((grantedAt - approvedAt) / 1000);
      if (!waited && requestedAt !== undefined && grantedAt !== undefined && grantedAt >= requestedAt) reqToGrant.push((grantedAt - requestedAt) / 1000);

      const askedSeconds = durationSeconds(r.duration);
      const askedS = askedSeconds !== undefined ? askedSeconds : grantedAt !== undefined && expiresAt !== undefined ? (expiresAt - grantedAt) / 1000 : 0;
      const closedAt = ms(r.closed?.at);
      if ((status === "expired" || status === "revoked") && grantedAt !== undefined) {
        const end = status === "revoked" && closedAt !== undefined ? closedAt : (expiresAt ?? closedAt ?? grantedAt);
        const usedS = Math.max(0, Math.min(askedS, (Math.min(end, expiresAt ?? end) - grantedAt) / 1000));
        closed++;
        asked += askedS;
        used += usedS;
        if (status === "revoked") {
          revoked.push({
            id: r.id,
            requester: r.requester,
            account: accountLabel(r),
            asked_seconds: askedS,
            used_seconds: usedS,
            by: r.closed?.by ?? null,
            reason: r.closed?.reason ?? "",
          });
          if (askedS > 0) revokeRatios.push(usedS / askedS);
        }
      }

      if (status === "expired" || status === "revoked") {
        const u = r.usage ?? "none";
        if (typeof u === "object") {
          usage.grants++;
          usage.denied += u.denied_total;
          const total = { granted: 0, used: 0, denied: 0 };
          for (const [svc, granted, used, denied] of u.services) {
            addUsage(usageByService, svc, { granted, used, denied }, true);
            total.granted += granted;
            total.used += used;
            total.denied += denied;
          }
          usage.granted += total.granted;
          usage.used += total.used;
          addUsage(usageByAccount, r.account, total, true);
        } else usage[u]++;
      }

      const score =
        TIER_RANK[risk.tier] * 1_000_000 +
        Math.min(risk.dangerous.length, 99) * 10_000 +
        Math.min(risk.pm.length, 99) * 100 +
        Math.min(Math.round(askedS / 3600), 99);
      const last = risky.last();
      if (last === undefined || riskiestFirst({ score, granted_at: g.granted_at, id: r.id }, last) < 0)
        risky.add({
          id: r.id,
          requester: r.requester,
          account: accountLabel(r),
          status,
          risk: risk.tier,
          risk_source: risk.source,
          score,
          permissions_management: risk.pm,
          dangerous: risk.dangerous,
          duration_seconds: askedS,
          granted_at: g.granted_at,
        });
    }

    if (status === "failed" || status === "rejected") {
      const { rule, source, rules } = blockedRule(r, idx.rules.get(`${file}\0${r.id}`) ?? []);
      bump(blockedRules, rule);
      bump(blockedAreas, areaOf(rule) ?? UNCLASSIFIED);
      blocked.push({
        id: r.id,
        requester: r.requester,
        account: accountLabel(r),
        status,
        rule,
        rule_source: source,
        rules,
        reason: r.closed?.reason ?? "",
        at: r.closed?.at ?? null,
      });
    }
  }

  active.sort((a, b) => (a.expires_at < b.expires_at ? -1 : a.expires_at > b.expires_at ? 1 : a.id < b.id ? -1 : 1));
  // Only the first `top` rows of these lists are shown: select them rather than sort every row.
  const topRevoked = firstSorted(revoked, top, (a, b) => b.asked_seconds - b.used_seconds - (a.asked_seconds - a.used_seconds) || byId(a, b));
  const recentBlocked = firstSorted(blocked, top, (a, b) => ((b.at ?? "") < (a.at ?? "") ? -1 : (b.at ?? "") > (a.at ?? "") ? 1 : byId(a, b)));
  const riskiest = risky.items();

  return {
    generated_at: isoSeconds(now),
    since: input.since ? isoSeconds(input.since) : null,
    definitions: DEFINITIONS,
    totals: {
      requests: inPeriod,
      by_status: byStatus,
      grants,
      active_now: active.length,
      awaiting_sweep: awaitingSweep,
      blocked: blocked.length,
      commits: input.recorded ? input.recorded.commits : input.history ? input.history.commits : (input.commits?.length ?? 0),
      skipped_files: input.skipped?.length ?? 0,
    },
    grants_by_service: sortedCounts(byService),
    grants_by_account: sortedCounts(byAccount),
    grants_by_requester: sortedCounts(byRequester),
    grants_by_catalogue: sortedCounts(byCatalogue),
    grants_by_risk: byRisk,
    active,
    ...(scheduled.length ? { scheduled: scheduled.sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id)) } : {}),
    timing: {
      request_to_approval: stat(reqToApproval),
      approval_to_grant: stat(approvalToGrant),
      request_to_grant: stat(reqToGrant),
      request_to_grant_buckets: buckets(reqToGrant),
    },
    durations: {
      closed_grants: closed,
      asked_seconds: asked,
      used_seconds: used,
      used_ratio: asked > 0 ? used / asked : null,
      early_revokes: revoked.length,
      early_revoke_used_ratio: stat(revokeRatios),
      revoked: topRevoked,
    },
    blocked: {
      total: blocked.length,
      by_rule: sortedCounts(blockedRules).map((c) => ({ ...c, label: codeLabel(c.key) })),
      by_area: sortedCounts(blockedAreas).map((c) => ({ ...c, label: areaLabel(c.key) })),
      recent: recentBlocked,
    },
    riskiest,
    granted_vs_used: {
      ...usage,
      share: usage.granted > 0 ? usage.used / usage.granted : null,
      by_service: usageRows(usageByService),
      by_account: usageRows(usageByAccount),
    },
    approval_policies: approvalPoliciesSection(grantedInPeriod),
    skipped: [...(input.skipped ?? [])],
    notes: [...(input.notes ?? [])],
    empty: inPeriod > 0 ? null : emptyReason({ ...input, records: facts.length }),
    ...lifecycleOf(facts, since, top),
  };
}

function lifecycleOf(records: readonly RecordFacts[], since: number | undefined, top: number): { lifecycle?: LifecycleSection } {
  const l = lifecycleSection(records, since, top);
  return Object.values(l.counts).some((n) => n > 0) ? { lifecycle: l } : {};
}

/** Why there is nothing to report: no files, no readable files, or none in the period. */
function emptyReason(input: Pick<ReportInput, "skipped" | "since" | "source"> & { records: number }): string {
  const dir = (input.source?.dir ?? "access-requests").replace(/\/+$/, "");
  const excluded = input.source?.examplesExcluded ?? 0;
  if (input.records > 0 && input.since) {
    return `none of the ${input.records} recorded request(s) was made since ${isoSeconds(input.since)}; run the report without --since, or with an earlier date`;
  }
  const skipped = input.skipped?.length ?? 0;
  if (skipped > 0) return `none of the ${skipped} request file(s) under ${dir}/ could be read (see the notes)`;
  const examples = excluded > 0 ? `${excluded} example file(s) in ${dir}/examples/ are excluded` : `${dir}/examples/ is excluded`;
  return `no request files found under ${dir}/ (${examples}); run the report in the access repository, where requests are recorded as ${dir}/<account>/<year>/<id>.yaml`;
}

/** The account a record is for, or every account it names (a request in several accounts). */
function accountLabel(r: Pick<AccessRequest, "account" | "accounts">): string {
  return r.accounts ? r.accounts.join(", ") : r.account;
}
