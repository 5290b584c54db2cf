// What the report reads from one request file, as a small plain object: the fields it shows, and
// what it derives from the policy and the activity record with the AWS catalogue (risk, granted vs
// used). buildReport aggregates these; the CLI caches them by blob sha (report/record-cache.ts), so
// a file that has not changed is neither read, parsed, validated nor judged again. Pure, and
// JSON-safe: a fact read back from the cache is the fact written.
import { RECORD_USED_MAX } from "../domain/activity.js";
import type { AccessLevel, AccessRequest, BreakGlassRecord, ClosedRecord, GrantExtension, PolicyDocument, RequestStatus, RiskTier } from "../domain/types.js";
import { dangerousAction } from "../policy/dangerous.js";

/** The catalogue's answers the facts are derived with (the CLI passes the catalogue's; each is optional). */
export interface FactsCatalogue {
  /** The AWS access level of an action. */
  accessLevelOf?: (action: string) => AccessLevel | undefined;
  /** Does granting the action on the resource reach every resource of its type? (the guardrails' decision) */
  grantUnscoped?: (action: string, resource: string) => boolean;
  /**
   * Every action a policy allows, wildcards expanded. Without it a grant's actions are what its
   * activity record lists, which is complete only when the record's unused list was not cut.
   */
  grantedActionsOf?: (policy: PolicyDocument) => string[];
}

/** A grant's risk as its policy and request say it, before the grant commit's own tier is looked up. */
export interface PolicyRisk {
  tier: RiskTier;
  source: "policy" | "request";
  pm: string[];
  dangerous: string[];
}

/**
 * Granted vs used for a closed grant: per service [service, granted, used, denied listed], with the
 * record's denied_total; or why it is not counted (see usageOf).
 */
export type UsageFacts = { services: Array<[string, number, number, number]>; denied_total: number } | "partial" | "unavailable" | "none";

export interface RecordFacts {
  /** Repository path, access-requests/<account>/<YYYY>/<id>.yaml. */
  file: string;
  id: string;
  requester: string;
  account: string;
  accounts?: string[];
  status: RequestStatus;
  /** As written (a few distinct strings over a whole history: parsed once each by the report). */
  duration: string;
  /** The services the request names, each once, in order. */
  services: string[];
  catalogue?: string;
  grant?: {
    granted_at: string;
    expires_at: string;
    merge_commit: string;
    auto_approval?: { rule: string };
    break_glass?: BreakGlassRecord;
    extensions?: Array<Pick<GrantExtension, "at" | "previous_expires_at" | "expires_at">>;
  };
  scheduled?: { starts_at: string; expires_at: string; approved_by: string[] };
  closed?: ClosedRecord;
  /** Records with a grant (status active, expired or revoked). */
  risk?: PolicyRisk;
  /** Closed grants (status expired or revoked). */
  usage?: UsageFacts;
}

/** The statuses of a record with a grant. */
export const GRANTED: ReadonlySet<RequestStatus> = new Set(["active", "expired", "revoked"]);

/** The facts of one record (its request as parsed; a record that does not validate today as far as it parsed). */
export function recordFacts(file: string, r: AccessRequest, catalogue: FactsCatalogue = {}): RecordFacts {
  const status: RequestStatus = r.status ?? "proposed";
  const g = r.grant;
  const out: RecordFacts = {
    file,
    id: r.id,
    requester: r.requester,
    account: r.account,
    status,
    duration: r.duration,
    services: [...new Set(r.request.map((i) => i.service))],
  };
  if (r.accounts) out.accounts = r.accounts;
  if (r.catalogue !== undefined) out.catalogue = r.catalogue;
  if (g) {
    out.grant = { granted_at: g.granted_at, expires_at: g.expires_at, merge_commit: g.merge_commit };
    if (g.auto_approval) out.grant.auto_approval = { rule: g.auto_approval.rule };
    if (g.break_glass) out.grant.break_glass = { by: g.break_glass.by, incident: g.break_glass.incident, reason: g.break_glass.reason, at: g.break_glass.at };
    if (g.extensions) out.grant.extensions = g.extensions.map((e) => ({ at: e.at, previous_expires_at: e.previous_expires_at, expires_at: e.expires_at }));
  }
  if (r.scheduled) out.scheduled = { starts_at: r.scheduled.starts_at, expires_at: r.scheduled.expires_at, approved_by: [...r.scheduled.approved_by] };
  if (r.closed) out.closed = { ...r.closed };
  if (GRANTED.has(status) && g !== undefined) {
    const { tier, source, pm, dangerous } = riskOf(r, undefined, catalogue.accessLevelOf, catalogue.grantUnscoped);
    out.risk = { tier, source: source === "grant-commit" ? "policy" : source, pm, dangerous };
    if (status === "expired" || status === "revoked") out.usage = usageFacts(r, catalogue.grantedActionsOf);
  }
  return out;
}

function usageFacts(r: AccessRequest, grantedActionsOf: FactsCatalogue["grantedActionsOf"]): UsageFacts {
  const u = usageOf(r, grantedActionsOf);
  if (u) return { services: [...u].map(([svc, x]) => [svc, x.granted, x.used, x.denied]), denied_total: r.activity?.denied_total ?? 0 };
  return r.activity?.status === "summarised" ? "partial" : r.activity ? "unavailable" : "none";
}

/**
 * Without the catalogue: `*`, or a resource part whose name (after a type keyword such as `role/`
 * or `secret:`) has no letter or digit (`role/*`, `secret:???*`; in S3 a wildcard bucket).
 */
export function unscopedByShape(_action: string, resource: string): boolean {
  if (resource === "*") return true;
  const fields = resource.split(":");
  const part = fields.slice(5).join(":");
  if (fields[2] === "s3") return !/^[A-Za-z0-9]/.test(part) && /[*?]/.test(part.split("/")[0] ?? "");
  const name = part.replace(/^[A-Za-z0-9-]+[/:]/, "");
  return /[*?]/.test(name) && !/[A-Za-z0-9]/.test(name);
}

/** The strings of a policy's Action or Resource field (a string, or an array of which only the strings count). */
function strings(v: unknown): readonly string[] {
  if (typeof v === "string") return [v];
  if (!Array.isArray(v)) return [];
  for (const x of v) if (typeof x !== "string") return v.filter((y): y is string => typeof y === "string");
  return v as string[];
}

/** Sorted, without duplicates (the order of `[...new Set(xs)].sort()`). */
function sortedUnique(xs: string[]): string[] {
  return xs.length < 2 ? xs : [...new Set(xs)].sort();
}

/** What `[].flatMap((i) => i[key] ?? [])` gives over the request's items: their lists joined (a non-list value joins as itself). */
function itemValues<K extends "access" | "actions">(r: AccessRequest, key: K): unknown[] {
  const out: unknown[] = [];
  for (const i of r.request) {
    const v: unknown = i[key] ?? [];
    if (Array.isArray(v)) for (const x of v) out.push(x);
    else out.push(v);
  }
  return out;
}

/**
 * A grant's risk tier with the permissions-management and dangerous actions behind it. Called for
 * every grant of the history, so it makes no per-action objects, and asks whether an action is
 * granted unscoped only for the curated actions whose danger depends on it (`unscopedFor` is a
 * pure decision: asking it less changes nothing).
 */
export function riskOf(
  r: AccessRequest,
  fromCommit: RiskTier | undefined,
  levelOf: FactsCatalogue["accessLevelOf"],
  unscopedFor: FactsCatalogue["grantUnscoped"],
): { tier: RiskTier; source: "grant-commit" | "policy" | "request"; pm: string[]; dangerous: string[] } {
  const unscoped = unscopedFor ?? unscopedByShape;
  // The policy's Allow actions, in order, duplicates kept.
  const actions: string[] = [];
  const dangerousFound: string[] = [];
  for (const s of r.policy?.Statement ?? []) {
    if (s.Effect !== "Allow") continue;
    const before = actions.length;
    for (const action of strings(s.Action)) actions.push(action);
    for (let k = before; k < actions.length; k++) {
      const action = actions[k] as string;
      const d = dangerousAction(action);
      if (d === undefined) continue;
      if (d.scope === "always" || strings(s.Resource).some((res) => unscoped(action, res))) dangerousFound.push(action);
    }
  }
  const asked = itemValues(r, "actions") as string[];
  for (const a of asked) if (dangerousAction(a)?.scope === "always") dangerousFound.push(a);
  const dangerous = sortedUnique(dangerousFound);
  const levels = new Set(itemValues(r, "access") as AccessLevel[]);
  let pm: string[] = [];
  if (levelOf) {
    for (const a of new Set([...actions, ...asked])) if (levelOf(a) === "permissions-management") pm.push(a);
    pm.sort();
  }
  if (!pm.length && levels.has("permissions-management")) {
    pm = r.request.filter((i) => i.access?.includes("permissions-management")).map((i) => `${i.service}:(permissions-management)`);
  }
  if (fromCommit) return { tier: fromCommit, source: "grant-commit", pm, dangerous };
  if (actions.length && levelOf) {
    const lv = new Set(actions.map((a) => levelOf(a)));
    const tier: RiskTier = pm.length || dangerous.length ? "high" : lv.has("write") || lv.has("tagging") ? "medium" : "low";
    return { tier, source: "policy", pm, dangerous };
  }
  const tier: RiskTier =
    levels.has("permissions-management") || dangerous.length
      ? "high"
      : levels.has("write") || levels.has("tagging") || (asked.length > 0 && levels.size === 0)
        ? "medium"
        : "low";
  return { tier, source: "request", pm, dangerous };
}

const serviceOf = (action: string) => action.slice(0, Math.max(0, action.indexOf(":"))).toLowerCase();

/**
 * Per service of one grant: actions granted, of them used, and the denied calls listed. Undefined
 * when the record cannot say (its used list was cut, or without the catalogue its unused list was).
 */
function usageOf(
  r: AccessRequest,
  grantedActionsOf: FactsCatalogue["grantedActionsOf"],
): Map<string, { granted: number; used: number; denied: number }> | undefined {
  const a = r.activity;
  if (!a || a.status !== "summarised" || !r.policy) return undefined;
  const usedList = a.used ?? [];
  const unusedList = a.unused ?? [];
  if (usedList.length >= RECORD_USED_MAX) return undefined;
  let granted: string[];
  if (grantedActionsOf) granted = grantedActionsOf(r.policy);
  else if (unusedList.length === (a.unused_total ?? unusedList.length)) granted = [...usedList, ...unusedList];
  else return undefined;
  const used = new Set(usedList.map((x) => x.toLowerCase()));
  const out = new Map<string, { granted: number; used: number; denied: number }>();
  const row = (svc: string) => {
    let x = out.get(svc);
    if (!x) out.set(svc, (x = { granted: 0, used: 0, denied: 0 }));
    return x;
  };
  // Granted is a set: the same action in two statements is granted once.
  for (const action of new Set(granted.map((g) => g.toLowerCase()))) {
    const x = row(serviceOf(action));
    x.granted++;
    if (used.has(action)) x.used++;
  }
  for (const d of a.denied ?? []) row(serviceOf(d.action)).denied++;
  return out;
}
