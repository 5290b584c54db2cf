// The project's own identity-policy evaluator. Pure: the pipeline uses it to check a stamped
// policy without the AGPL simulator that the differential tests use (tests only, never src/).
// It evaluates a subset of IAM (Action/Resource wildcards and date conditions on
// aws:CurrentTime); anything else comes back "Unknown" so it never guesses "Allow".

import type { Condition, PolicyDocument, Statement } from "../domain/types.js";

export type Decision = "Allow" | "ImplicitDeny" | "ExplicitDeny" | "Unknown";

export interface EvaluationRequest {
  /** e.g. "s3:GetObject" */
  action: string;
  /** a resource ARN */
  resource: string;
  /** ISO-8601 with a time zone, e.g. 2026-11-27T10:00:00Z */
  currentTime: string;
}

export interface EvaluationResult {
  decision: Decision;
  reason: string;
}

export interface ActionResource {
  action: string;
  resource: string;
}

export interface SimulationFailure {
  action: string;
  resource: string;
  time: string;
  expected: "Allow" | "Deny";
  got: Decision;
  reason: string;
}

export interface SimulationReport {
  ok: boolean;
  failures: SimulationFailure[];
}

// ---------------------------------------------------------------------------------------------
// Dates

// W3C profile of ISO 8601 (what IAM documents): a date, or a date and time with a zone.
// A time without a zone is rejected rather than read in the host's local zone.
const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Milliseconds since the epoch for an IAM date value: a W3C ISO-8601 date/time or epoch seconds
 * (integer). undefined when it is neither or names a day that does not exist (2026-02-30).
 */
export function parseIamDate(value: unknown): number | undefined {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? value * 1000 : undefined;
  }
  if (typeof value !== "string") return undefined;
  if (/^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n * 1000 : undefined;
  }
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 30 February over into March; a value that rolled over was not a real day.
  const check = new Date(base);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    return undefined;
  }
  const ms = frac === "" ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let offset = 0;
  if (zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  return base + ms - offset;
}

// ---------------------------------------------------------------------------------------------
// Compilation (once per policy object)

type Tri = true | false | "unknown";

interface CompiledCondition {
  /** undefined when the statement has no condition it cannot evaluate */
  unknown?: string;
  /** every test must hold (operators and keys are AND'ed) */
  tests: Array<(now: number) => boolean>;
}

interface CompiledStatement {
  index: number;
  label: string;
  effect: "Allow" | "Deny";
  action: RegExp;
  resource: RegExp;
  condition: CompiledCondition;
}

const cache = new WeakMap<PolicyDocument, CompiledStatement[]>();

function globToRegexSource(pattern: string): string {
  let out = "";
  for (const ch of pattern) {
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}

function toList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

// One anchored alternation per element: a single RegExp test per statement per request.
function compilePatterns(patterns: string[], flags: string): RegExp {
  if (patterns.length === 0) return /(?!)/;
  return new RegExp(`^(?:${patterns.map(globToRegexSource).join("|")})$`, flags);
}

const DATE_OPERATORS: Record<string, { compare: (now: number, value: number) => boolean; negated: boolean }> = {
  DateLessThan: { compare: (now, v) => now < v, negated: false },
  DateLessThanEquals: { compare: (now, v) => now <= v, negated: false },
  DateGreaterThan: { compare: (now, v) => now > v, negated: false },
  DateGreaterThanEquals: { compare: (now, v) => now >= v, negated: false },
  DateEquals: { compare: (now, v) => now === v, negated: false },
  // Negated operators hold only when the key matches none of the values (IAM semantics), so
  // they are compiled as "not equal to every value" rather than OR'ed.
  DateNotEquals: { compare: (now, v) => now !== v, negated: true },
};

function compileCondition(condition: Condition | undefined): CompiledCondition {
  const tests: CompiledCondition["tests"] = [];
  let unknown: string | undefined;
  if (condition === undefined) return { tests };
  // Malformed JSON (null, a string) never reaches IAM; do not read it as "no condition".
  if (typeof condition !== "object" || condition === null) return { tests, unknown: "Condition is not an object" };
  // Keep compiling past an unknown part: a known test that fails still rules the statement out.
  for (const [operatorName, keys] of Object.entries(condition)) {
    // aws:CurrentTime is always present in a request, so an IfExists variant acts as the base.
    const base = operatorName.endsWith("IfExists") ? operatorName.slice(0, -"IfExists".length) : operatorName;
    const operator = Object.hasOwn(DATE_OPERATORS, base) ? DATE_OPERATORS[base] : undefined;
    if (operator === undefined) {
      unknown ??= `condition operator ${operatorName} is not supported by this evaluator`;
      continue;
    }
    if (typeof keys !== "object" || keys === null) {
      unknown ??= `condition operator ${operatorName} does not hold an object of keys`;
      continue;
    }
    for (const [key, raw] of Object.entries(keys)) {
      if (key.toLowerCase() !== "aws:currenttime") {
        unknown ??= `condition key ${key} (${operatorName}) is not supported by this evaluator`;
        continue;
      }
      const values = Array.isArray(raw) ? raw : [raw];
      const parsed = values.map(parseIamDate);
      const bad = parsed.findIndex((t) => t === undefined);
      if (parsed.length === 0) {
        unknown ??= `${operatorName} ${key} has no values`;
        continue;
      }
      if (bad !== -1) {
        unknown ??= `${operatorName} value ${JSON.stringify(values[bad])} for ${key} is not a date`;
        continue;
      }
      const times = parsed as number[];
      const { compare, negated } = operator;
      tests.push(
        negated ? (now) => times.every((v) => compare(now, v)) : (now) => times.some((v) => compare(now, v)),
      );
    }
  }
  return unknown === undefined ? { tests } : { tests, unknown };
}

function compileStatement(statement: Statement, index: number): CompiledStatement {
  return {
    index,
    label: statement.Sid ? `statement ${index} (${statement.Sid})` : `statement ${index}`,
    effect: statement.Effect,
    // Actions are case-insensitive in IAM (service prefix included); resources are not.
    action: compilePatterns(toList(statement.Action), "i"),
    resource: compilePatterns(toList(statement.Resource), "s"),
    condition: compileCondition(statement.Condition),
  };
}

// Policies are treated as immutable once evaluated: the cache is keyed by object identity.
function compile(policy: PolicyDocument): CompiledStatement[] {
  let compiled = cache.get(policy);
  if (compiled === undefined) {
    compiled = policy.Statement.map(compileStatement);
    cache.set(policy, compiled);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function conditionHolds(condition: CompiledCondition, now: number): Tri {
  // A known test that fails makes the statement inapplicable whatever the unknown part says.
  for (const test of condition.tests) if (!test(now)) return false;
  return condition.unknown === undefined ? true : "unknown";
}

function parseRequestTime(currentTime: string): number {
  const now = typeof currentTime === "string" && !/^-?\d+$/.test(currentTime) ? parseIamDate(currentTime) : undefined;
  if (now === undefined) {
    throw new Error(`currentTime must be an ISO-8601 date-time with a zone (e.g. 2026-11-27T10:00:00Z), got ${JSON.stringify(currentTime)}`);
  }
  return now;
}

function evaluateAt(policy: PolicyDocument, action: string, resource: string, now: number): EvaluationResult {
  let allow: CompiledStatement | undefined;
  let unknownAllow: CompiledStatement | undefined;
  let unknownDeny: CompiledStatement | undefined;
  for (const s of compile(policy)) {
    if (!s.action.test(action) || !s.resource.test(resource)) continue;
    const holds = conditionHolds(s.condition, now);
    if (holds === false) continue;
    if (s.effect === "Deny") {
      if (holds === true) {
        return { decision: "ExplicitDeny", reason: `${s.label} denies ${action} on ${resource}` };
      }
      unknownDeny ??= s;
    } else if (holds === true) {
      allow ??= s;
    } else {
      unknownAllow ??= s;
    }
  }
  // A Deny that might apply leaves the outcome open: explicit deny or whatever the Allows say.
  if (unknownDeny !== undefined) {
    return { decision: "Unknown", reason: `${unknownDeny.label} (Deny) matches but ${unknownDeny.condition.unknown}` };
  }
  if (allow !== undefined) {
    return { decision: "Allow", reason: `${allow.label} allows ${action} on ${resource}` };
  }
  if (unknownAllow !== undefined) {
    return { decision: "Unknown", reason: `${unknownAllow.label} (Allow) matches but ${unknownAllow.condition.unknown}` };
  }
  return { decision: "ImplicitDeny", reason: `no statement allows ${action} on ${resource}` };
}

/** Decide one request against an identity policy. Throws if currentTime is not an ISO date-time. */
export function evaluate(policy: PolicyDocument, req: EvaluationRequest): EvaluationResult {
  return evaluateAt(policy, req.action, req.resource, parseRequestTime(req.currentTime));
}

/**
 * Check a stamped policy: each `checks` pair is allowed at `times.before` and not allowed at
 * `times.after`; each `outside` pair is not allowed at `times.before`. Unknown is a failure.
 */
export function simulate(
  policy: PolicyDocument,
  checks: ActionResource[],
  times: { before: string; after: string },
  outside: ActionResource[],
): SimulationReport {
  const before = parseRequestTime(times.before);
  const after = parseRequestTime(times.after);
  const failures: SimulationFailure[] = [];
  const expect = (pair: ActionResource, time: string, now: number, expected: "Allow" | "Deny"): void => {
    const { decision, reason } = evaluateAt(policy, pair.action, pair.resource, now);
    const ok = expected === "Allow" ? decision === "Allow" : decision === "ImplicitDeny" || decision === "ExplicitDeny";
    if (!ok) failures.push({ action: pair.action, resource: pair.resource, time, expected, got: decision, reason });
  };
  for (const pair of checks) {
    expect(pair, times.before, before, "Allow");
    expect(pair, times.after, after, "Deny");
  }
  for (const pair of outside) expect(pair, times.before, before, "Deny");
  return { ok: failures.length === 0, failures };
}
