// The project's own identity-policy evaluator. Pure: the pipeline uses it to check a stamped
// policy without the AGPL simulator that the differential tests use (tests only, never src/).
// It evaluates a subset of IAM: Action/NotAction, Resource/NotResource (wildcards, policy
// variables and their escapes), date conditions on aws:CurrentTime and, given the request
// context, String*, Bool, IpAddress/NotIpAddress and Null conditions on any key. A policy IAM would
// reject, and anything it does not model, comes back "Unknown": it never guesses "Allow", and a
// Deny it cannot rule out leaves the answer open rather than ignored.

import { cidrContains, parseCidr, parseIp } from "../domain/conditions.js";
import type { PolicyDocument } from "../domain/types.js";

export type Decision = "Allow" | "ImplicitDeny" | "ExplicitDeny" | "Unknown";

/** Values of request context keys: a string, or several for a multivalued key. */
export type RequestContext = Record<string, string | string[]>;

export interface EvaluationRequest {
  /** e.g. "s3:GetObject" */
  action: string;
  /** a resource ARN */
  resource: string;
  /** ISO-8601 with a time zone, e.g. 2026-11-27T10:00:00Z */
  currentTime: string;
  /**
   * Every context key the request carries (names compare case-insensitively); policy variables
   * such as ${aws:username} are filled from it. A key it lacks has no value. Without a context,
   * a statement that uses a variable cannot be decided (Unknown). aws:CurrentTime is always
   * present (from currentTime).
   */
  context?: RequestContext;
}

export interface EvaluationResult {
  decision: Decision;
  reason: string;
}

export interface ActionResource {
  action: string;
  resource: string;
  /** The request context for this call (e.g. s3:prefix for ListBucket); see EvaluationRequest. */
  context?: RequestContext;
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
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

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

/** A condition test: true, false, or why it cannot be decided for this request. */
type ConditionTest = (req: RequestFacts) => boolean | string;

interface CompiledCondition {
  /** undefined when the statement has no condition it cannot evaluate */
  unknown?: string;
  /** every test must hold (operators and keys are AND'ed) */
  tests: ConditionTest[];
}

/** A Resource entry as IAM reads it: literal text, wildcards and policy variables. */
type Piece = { kind: "text"; text: string } | { kind: "star" } | { kind: "one" } | { kind: "variable"; key: string; name: string; fallback?: string };

interface CompiledResources {
  /** NotResource: the statement applies to resources that match none of the entries. */
  negated: boolean;
  /** The entries without variables, as one anchored alternation (undefined when there are none). */
  fixed?: RegExp;
  /** Entries with variables, resolved per request. */
  variable: Piece[][];
}

interface CompiledStatement {
  label: string;
  effect: "Allow" | "Deny";
  /** NotAction: the statement applies to actions that match none of the patterns. */
  actionNegated: boolean;
  action: RegExp;
  resources: CompiledResources;
  condition: CompiledCondition;
}

type CompiledPolicy = { statements: CompiledStatement[] } | { invalid: string };

const cache = new WeakMap<object, CompiledPolicy>();

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function globToRegexSource(pattern: string): string {
  let out = "";
  for (const ch of pattern) {
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else out += ch.replace(REGEX_SPECIAL, "\\$&");
  }
  return out;
}

/** `wildcards` false: * and ? are plain characters (StringEquals). */
function piecesToRegexSource(pieces: Piece[], resolve: (p: Extract<Piece, { kind: "variable" }>) => string, wildcards = true): string {
  let out = "";
  for (const p of pieces) {
    const text = p.kind === "star" ? "*" : p.kind === "one" ? "?" : p.kind === "text" ? p.text : resolve(p);
    if (wildcards && p.kind === "star") out += ".*";
    else if (wildcards && p.kind === "one") out += ".";
    else out += text.replace(REGEX_SPECIAL, "\\$&");
  }
  return out;
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

// String operators: *Like take the * and ? wildcards, the others compare whole strings.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
const STRING_OPERATORS: Record<string, { negated: boolean; ignoreCase: boolean; wildcards: boolean }> = {
  StringEquals: { negated: false, ignoreCase: false, wildcards: false },
  StringNotEquals: { negated: true, ignoreCase: false, wildcards: false },
  StringEqualsIgnoreCase: { negated: false, ignoreCase: true, wildcards: false },
  StringNotEqualsIgnoreCase: { negated: true, ignoreCase: true, wildcards: false },
  StringLike: { negated: false, ignoreCase: false, wildcards: true },
  StringNotLike: { negated: true, ignoreCase: false, wildcards: true },
};

const CURRENT_TIME_KEY = "aws:currenttime";

/** The value of a context key in this request: a string, several, absent, or not known at all. */
function contextValue(req: RequestFacts, key: string): string | string[] | undefined | { unknown: string } {
  if (key === CURRENT_TIME_KEY) return req.currentTime;
  if (req.context === undefined) return { unknown: `the request has no context to read ${key} from` };
  return req.context.get(key);
}

function compileDateTest(operatorName: string, base: string, key: string, raw: unknown): ConditionTest | string {
  const operator = DATE_OPERATORS[base] as (typeof DATE_OPERATORS)[string];
  if (key.toLowerCase() !== CURRENT_TIME_KEY) return `condition key ${key} (${operatorName}) is not supported by this evaluator`;
  // A policy variable (${...}) in a date value is not a date either: Unknown, not literal.
  const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  const parsed = values.map(parseIamDate);
  const bad = parsed.findIndex((t) => t === undefined);
  if (parsed.length === 0) return `${operatorName} ${key} has no values`;
  if (bad !== -1) return `${operatorName} value ${JSON.stringify(values[bad])} for ${key} is not a date`;
  const times = parsed as number[];
  const { compare, negated } = operator;
  return negated ? (req) => times.every((v) => compare(req.now, v)) : (req) => times.some((v) => compare(req.now, v));
}

/**
 * A string operator on one key. A key the request lacks matches no value (so a negated operator
 * holds) unless ...IfExists, which then holds; a multivalued key needs ForAnyValue/ForAllValues,
 * which this evaluator leaves Unknown. A value whose policy variable has no value matches nothing.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value
 */
function compileStringTest(
  operatorName: string,
  base: string,
  ifExists: boolean,
  key: string,
  raw: unknown,
  variables: boolean,
  where: string,
): ConditionTest | string {
  const { negated, ignoreCase, wildcards } = STRING_OPERATORS[base] as (typeof STRING_OPERATORS)[string];
  const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  if (values.length === 0) return `${operatorName} ${key} has no values`;
  const bad = values.find((v) => typeof v !== "string");
  if (bad !== undefined) return `${operatorName} value ${JSON.stringify(bad)} for ${key} is not a string`;
  const patterns = (values as string[]).map((v) => readPattern(v, variables, where));
  const lower = key.toLowerCase();
  return (req) => {
    const value = contextValue(req, lower);
    if (typeof value === "object" && !Array.isArray(value)) return `${operatorName} on ${key}: ${value.unknown}`;
    if (value === undefined) return ifExists || negated;
    if (Array.isArray(value)) return `${operatorName} on ${key}: the request has several values for it (a set operator would be needed)`;
    let any = false;
    for (const pieces of patterns) {
      const m = variablePatternMatches(pieces, value, req, wildcards, ignoreCase ? "is" : "s");
      if (typeof m === "string") return `${operatorName} on ${key}: ${m}`;
      if (m === true) any = true;
    }
    return negated ? !any : any;
  };
}

/** Null: "true" holds when the key is absent, "false" when it is present. */
function compileNullTest(key: string, raw: unknown): ConditionTest | string {
  const values = (Array.isArray(raw) ? (raw as unknown[]) : [raw]).map((v) => String(v).toLowerCase());
  if (values.length === 0 || values.some((v) => v !== "true" && v !== "false")) return `Null ${key} takes "true" or "false", got ${JSON.stringify(raw)}`;
  const lower = key.toLowerCase();
  return (req) => {
    const value = contextValue(req, lower);
    if (typeof value === "object" && !Array.isArray(value)) return `Null on ${key}: ${value.unknown}`;
    return values.includes(value === undefined ? "true" : "false");
  };
}

/** Bool compares "true"/"false" case-insensitively with a single-valued key. */
function compileBoolTest(ifExists: boolean, key: string, raw: unknown): ConditionTest | string {
  const values = (Array.isArray(raw) ? (raw as unknown[]) : [raw]).map((v) => String(v).toLowerCase());
  if (values.length === 0 || values.some((v) => v !== "true" && v !== "false")) return `Bool ${key} takes "true" or "false", got ${JSON.stringify(raw)}`;
  const lower = key.toLowerCase();
  return (req) => {
    const value = contextValue(req, lower);
    if (typeof value === "object" && !Array.isArray(value)) return `Bool on ${key}: ${value.unknown}`;
    if (value === undefined) return ifExists;
    if (Array.isArray(value)) return `Bool on ${key}: the request has several values for it`;
    return values.includes(value.toLowerCase());
  };
}

/**
 * IpAddress / NotIpAddress: the key's address within any (none) of the CIDR ranges or addresses.
 * A key the request lacks matches no range, so NotIpAddress holds, unless ...IfExists (holds).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IPAddress
 */
function compileIpTest(operatorName: string, negated: boolean, ifExists: boolean, key: string, raw: unknown): ConditionTest | string {
  const values = Array.isArray(raw) ? (raw as unknown[]) : [raw];
  if (values.length === 0) return `${operatorName} ${key} has no values`;
  const ranges = values.map((v) => (typeof v === "string" ? parseCidr(v) : undefined));
  const bad = ranges.findIndex((r) => r === undefined);
  if (bad !== -1) return `${operatorName} value ${JSON.stringify(values[bad])} for ${key} is not an IP address or CIDR range`;
  const lower = key.toLowerCase();
  return (req) => {
    const value = contextValue(req, lower);
    if (typeof value === "object" && !Array.isArray(value)) return `${operatorName} on ${key}: ${value.unknown}`;
    if (value === undefined) return ifExists || negated;
    if (Array.isArray(value)) return `${operatorName} on ${key}: the request has several values for it`;
    const address = parseIp(value);
    if (address === undefined) return `${operatorName} on ${key}: the request's value ${JSON.stringify(value)} is not an IP address`;
    const any = ranges.some((r) => r !== undefined && cidrContains(r, address));
    return negated ? !any : any;
  };
}

function compileCondition(condition: unknown, variables: boolean, where: string): CompiledCondition {
  const tests: ConditionTest[] = [];
  let unknown: string | undefined;
  if (condition === undefined) return { tests };
  // Malformed JSON (null, a string) never reaches IAM; do not read it as "no condition".
  if (typeof condition !== "object" || condition === null || Array.isArray(condition)) return { tests, unknown: "Condition is not an object" };
  // Keep compiling past an unknown part: a known test that fails still rules the statement out.
  for (const [operatorName, keys] of Object.entries(condition)) {
    const ifExists = operatorName.endsWith("IfExists");
    const base = ifExists ? operatorName.slice(0, -"IfExists".length) : operatorName;
    const kind = Object.hasOwn(DATE_OPERATORS, base)
      ? "date"
      : Object.hasOwn(STRING_OPERATORS, base)
        ? "string"
        : base === "Bool"
          ? "bool"
          : base === "IpAddress" || base === "NotIpAddress"
            ? "ip"
            : operatorName === "Null"
              ? "null"
              : undefined;
    if (kind === undefined) {
      unknown ??= `condition operator ${operatorName} is not supported by this evaluator`;
      continue;
    }
    if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
      unknown ??= `condition operator ${operatorName} does not hold an object of keys`;
      continue;
    }
    for (const [key, raw] of Object.entries(keys as Record<string, unknown>)) {
      const at = `${where}.${operatorName}.${key}`;
      // aws:CurrentTime is always present in a request, so a date IfExists acts as the base.
      const test =
        kind === "date"
          ? compileDateTest(operatorName, base, key, raw)
          : kind === "string"
            ? compileStringTest(operatorName, base, ifExists, key, raw, variables, at)
            : kind === "bool"
              ? compileBoolTest(ifExists, key, raw)
              : kind === "ip"
                ? compileIpTest(operatorName, base === "NotIpAddress", ifExists, key, raw)
                : compileNullTest(key, raw);
      if (typeof test === "string") unknown ??= test;
      else tests.push(test);
    }
  }
  return unknown === undefined ? { tests } : { tests, unknown };
}

class InvalidPolicy extends Error {}

const invalid = (message: string): never => {
  throw new InvalidPolicy(message);
};

/** A string or a non-empty array of strings; anything else makes the policy invalid. */
function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  // An empty list would make NotAction/NotResource match everything; IAM has no use for it.
  if (list.length === 0) invalid(`${where} is an empty list`);
  list.forEach((v, i) => {
    if (typeof v !== "string" || v === "") invalid(`${where}${Array.isArray(value) ? `[${i}]` : ""} is ${JSON.stringify(v)}, not a non-empty string`);
  });
  return list as string[];
}

// IAM's grammar: "*" or <service>:<action>, wildcards only in the action part. A pattern without
// a colon ("s3*", "GetObject") is rejected by IAM; reading it as a glob could match every service.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
const ACTION_PATTERN = /^(?:\*|[A-Za-z0-9-]+:[A-Za-z0-9_.*?-]+)$/;
/** An action as a request names it (no wildcards). */
const REQUEST_ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9_.-]+$/;

function compileActions(patterns: string[], where: string): RegExp {
  patterns.forEach((a, i) => {
    if (!ACTION_PATTERN.test(a)) {
      invalid(`${where}${patterns.length > 1 ? `[${i}]` : ""} ${JSON.stringify(a)} is not "*" or service:Action (e.g. s3:GetObject)`);
    }
  });
  // Actions are case-insensitive in IAM (service prefix included).
  return new RegExp(`^(?:${patterns.map(globToRegexSource).join("|")})$`, "i");
}

/**
 * Reads ${...} in a Resource entry or a condition value (policy language 2012-10-17 only): a
 * variable filled from the request context, optionally with a default (${aws:username, 'none'}),
 * or one of the escapes ${*} ${?} ${$} for a literal *, ? or $.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
function readPattern(entry: string, variables: boolean, where: string): Piece[] {
  const pieces: Piece[] = [];
  let text = "";
  const flush = (): void => {
    if (text !== "") pieces.push({ kind: "text", text });
    text = "";
  };
  for (let i = 0; i < entry.length; i++) {
    const ch = entry.charAt(i);
    if (ch === "*" || ch === "?") {
      flush();
      pieces.push(ch === "*" ? { kind: "star" } : { kind: "one" });
    } else if (variables && ch === "$" && entry.charAt(i + 1) === "{") {
      const close = entry.indexOf("}", i + 2);
      if (close === -1) invalid(`${where} ${JSON.stringify(entry)} opens a policy variable with "\${" but never closes it with "}"`);
      const inner = entry.slice(i + 2, close);
      if (inner === "*" || inner === "?" || inner === "$") text += inner;
      else {
        const m = /^\s*([^\s,'{}$*?]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
        if (!m) invalid(`${where} ${JSON.stringify(entry)} has a policy variable \${${inner}} this evaluator cannot read`);
        const [, name = "", fallback] = m as RegExpExecArray;
        flush();
        pieces.push(
          fallback === undefined ? { kind: "variable", key: name.toLowerCase(), name } : { kind: "variable", key: name.toLowerCase(), name, fallback },
        );
      }
      i = close;
    } else text += ch;
  }
  flush();
  return pieces;
}

function compileResources(entries: string[], negated: boolean, variables: boolean, where: string): CompiledResources {
  const fixed: string[] = [];
  const variable: Piece[][] = [];
  entries.forEach((entry, i) => {
    const at = entries.length > 1 ? `${where}[${i}]` : where;
    // IAM takes "*" or an ARN; a bare name is rejected ("Resource must be in ARN format or *").
    if (entry !== "*" && !entry.startsWith("arn:")) invalid(`${at} ${JSON.stringify(entry)} is not "*" or an ARN`);
    const pieces = readPattern(entry, variables, at);
    if (pieces.some((p) => p.kind === "variable")) variable.push(pieces);
    else fixed.push(piecesToRegexSource(pieces, () => ""));
  });
  // Resources are case-sensitive; "s" lets * span a newline like any other character.
  const out: CompiledResources = { negated, variable };
  if (fixed.length) out.fixed = new RegExp(`^(?:${fixed.join("|")})$`, "s");
  return out;
}

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"]);
const POLICY_KEYS = new Set(["Version", "Id", "Statement"]);

function compileStatement(raw: unknown, index: number, variables: boolean): CompiledStatement {
  const at = `Statement[${index}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return invalid(`${at} is not an object`);
  const st = raw as Record<string, unknown>;
  for (const key of Object.keys(st)) {
    if (key === "Principal" || key === "NotPrincipal") invalid(`${at}.${key}: an identity policy cannot name a principal`);
    if (!STATEMENT_KEYS.has(key)) invalid(`${at} has an element ${JSON.stringify(key)} that IAM does not know`);
  }
  // "The Effect value is case sensitive": "deny" is not a Deny, and not an Allow either.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_effect.html
  const effect = st.Effect;
  if (effect !== "Allow" && effect !== "Deny") return invalid(`${at}.Effect ${JSON.stringify(effect)} is not "Allow" or "Deny" (the value is case-sensitive)`);
  if (st.Sid !== undefined && typeof st.Sid !== "string") invalid(`${at}.Sid is not a string`);
  // Exactly one of Action/NotAction and one of Resource/NotResource.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
  const pick = (a: string, b: string): string => {
    const has = [a, b].filter((k) => st[k] !== undefined);
    if (has.length !== 1) invalid(`${at} must have exactly one of ${a} or ${b}${has.length ? `, not both` : ""}`);
    return has[0] as string;
  };
  const actionKey = pick("Action", "NotAction");
  const resourceKey = pick("Resource", "NotResource");
  const label = typeof st.Sid === "string" && st.Sid ? `statement ${index} (${st.Sid})` : `statement ${index}`;
  return {
    label,
    effect,
    // NotAction/NotResource match what the list does not: with Allow that grants everything
    // else the Resource allows, with Deny it denies everything else.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
    actionNegated: actionKey === "NotAction",
    action: compileActions(stringList(st[actionKey], `${at}.${actionKey}`), `${at}.${actionKey}`),
    resources: compileResources(stringList(st[resourceKey], `${at}.${resourceKey}`), resourceKey === "NotResource", variables, `${at}.${resourceKey}`),
    condition: compileCondition(st.Condition, variables, `${at}.Condition`),
  };
}

function compileUncached(policy: Record<string, unknown>): CompiledPolicy {
  try {
    for (const key of Object.keys(policy)) if (!POLICY_KEYS.has(key)) invalid(`the policy has an element ${JSON.stringify(key)} that IAM does not know`);
    // Without a Version, IAM reads the policy as 2008-10-17, where ${aws:username} is literal text.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
    const version = policy.Version;
    if (version !== undefined && version !== "2012-10-17" && version !== "2008-10-17") {
      invalid(`Version ${JSON.stringify(version)} is not "2012-10-17"`);
    }
    const raw = policy.Statement;
    if (raw === undefined) invalid("the policy has no Statement");
    // IAM accepts a single statement object as well as a list.
    const list = Array.isArray(raw) ? (raw as unknown[]) : [raw];
    return { statements: list.map((st, i) => compileStatement(st, i, version === "2012-10-17")) };
  } catch (e) {
    if (e instanceof InvalidPolicy) return { invalid: e.message };
    throw e;
  }
}

// Policies are treated as immutable once evaluated: the cache is keyed by object identity.
function compile(policy: unknown): CompiledPolicy {
  if (typeof policy !== "object" || policy === null || Array.isArray(policy)) return { invalid: "the policy is not a JSON object" };
  let compiled = cache.get(policy);
  if (compiled === undefined) {
    compiled = compileUncached(policy as Record<string, unknown>);
    cache.set(policy, compiled);
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

interface RequestFacts {
  action: string;
  resource: string;
  now: number;
  /** Lower-cased keys; undefined when the caller gave no context. */
  context?: Map<string, string | string[]>;
  currentTime: string;
}

/** Whether the condition holds; "unknown" with the reason when some part cannot be decided. */
function conditionHolds(condition: CompiledCondition, req: RequestFacts): { holds: Tri; why?: string } {
  // A known test that fails makes the statement inapplicable whatever the unknown part says.
  let why = condition.unknown;
  for (const test of condition.tests) {
    const r = test(req);
    if (r === false) return { holds: false };
    if (typeof r === "string") why ??= r;
  }
  return why === undefined ? { holds: true } : { holds: "unknown", why };
}

type EntryMatch = { match: Tri; why?: string; noValue?: string };

/**
 * Matches `subject` against a pattern with its variables filled in from the request. A key with
 * no value (absent, or multivalued, which cannot fill a variable) and no default makes the
 * pattern match nothing ({ noValue }); a string says why it cannot be decided.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value
 */
function variablePatternMatches(
  pieces: Piece[],
  subject: string,
  req: RequestFacts,
  wildcards: boolean,
  flags: string,
): boolean | string | { noValue: string } {
  let missing: string | undefined;
  let unknown: string | undefined;
  const source = piecesToRegexSource(
    pieces,
    (v) => {
      const value = contextValue(req, v.key);
      if (typeof value === "object" && !Array.isArray(value)) {
        unknown ??= `it uses \${${v.name}} and ${value.unknown}`;
        return "";
      }
      const filled = typeof value === "string" ? value : v.fallback;
      if (filled === undefined) {
        missing ??= v.name;
        return "";
      }
      // Whether IAM reads a wildcard inside a filled-in value as a wildcard is not documented.
      if (wildcards && /[*?]/.test(filled)) unknown ??= `\${${v.name}} is ${JSON.stringify(filled)}, which contains a wildcard character`;
      return filled;
    },
    wildcards,
  );
  if (unknown !== undefined) return unknown;
  if (missing !== undefined) return { noValue: missing };
  return new RegExp(`^(?:${source})$`, flags).test(subject);
}

/** One Resource entry with variables. */
function variableEntryMatches(pieces: Piece[], req: RequestFacts): EntryMatch {
  const m = variablePatternMatches(pieces, req.resource, req, true, "s");
  if (typeof m === "string") return { match: "unknown", why: m };
  if (typeof m === "object") return { match: false, noValue: m.noValue };
  return { match: m };
}

function resourcesMatch(r: CompiledResources, req: RequestFacts): EntryMatch {
  let any = r.fixed?.test(req.resource) ?? false;
  let why: string | undefined;
  let noValue: string | undefined;
  for (const pieces of r.variable) {
    if (any) break;
    const m = variableEntryMatches(pieces, req);
    if (m.match === true) any = true;
    else if (m.match === "unknown") why ??= m.why;
    else if (m.noValue !== undefined) noValue ??= m.noValue;
  }
  if (!r.negated) {
    if (any) return { match: true };
    return why === undefined ? { match: false } : { match: "unknown", why };
  }
  if (any) return { match: false };
  if (why !== undefined) return { match: "unknown", why };
  // AWS documents what a variable with no value does in Resource (no match), not what it does
  // in NotResource, where "excluded nothing" would widen the statement: undecided.
  if (noValue !== undefined) return { match: "unknown", why: `NotResource uses \${${noValue}}, which has no value in this request` };
  return { match: true };
}

// An explicit Deny in any matching statement wins; otherwise an Allow; otherwise implicit deny.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
function decide(compiled: CompiledPolicy, req: RequestFacts): EvaluationResult {
  if ("invalid" in compiled) return { decision: "Unknown", reason: `the policy is not valid IAM: ${compiled.invalid}` };
  const { action, resource } = req;
  let allow: CompiledStatement | undefined;
  let unknownAllow: { s: CompiledStatement; why: string } | undefined;
  let unknownDeny: { s: CompiledStatement; why: string } | undefined;
  for (const s of compiled.statements) {
    if (s.action.test(action) === s.actionNegated) continue;
    const res = resourcesMatch(s.resources, req);
    if (res.match === false) continue;
    const cond = conditionHolds(s.condition, req);
    if (cond.holds === false) continue;
    const why = res.match === "unknown" ? res.why : cond.why;
    if (s.effect === "Deny") {
      if (why === undefined) {
        return { decision: "ExplicitDeny", reason: `${s.label} denies ${action} on ${resource}` };
      }
      unknownDeny ??= { s, why };
    } else if (why === undefined) {
      allow ??= s;
    } else {
      unknownAllow ??= { s, why };
    }
  }
  // A Deny that might apply leaves the outcome open: explicit deny or whatever the Allows say.
  if (unknownDeny !== undefined) {
    return { decision: "Unknown", reason: `${unknownDeny.s.label} (Deny) matches but ${unknownDeny.why}` };
  }
  if (allow !== undefined) {
    return { decision: "Allow", reason: `${allow.label} allows ${action} on ${resource}` };
  }
  if (unknownAllow !== undefined) {
    return { decision: "Unknown", reason: `${unknownAllow.s.label} (Allow) matches but ${unknownAllow.why}` };
  }
  return { decision: "ImplicitDeny", reason: `no statement allows ${action} on ${resource}` };
}

function parseRequestTime(currentTime: unknown): number | undefined {
  return typeof currentTime === "string" && !/^-?\d+$/.test(currentTime) ? parseIamDate(currentTime) : undefined;
}

const BAD_TIME = (currentTime: unknown): string =>
  `currentTime must be an ISO-8601 date-time with a zone (e.g. 2026-11-27T10:00:00Z), got ${JSON.stringify(currentTime)}`;

function readContext(context: unknown): Map<string, string | string[]> | string | undefined {
  if (context === undefined) return undefined;
  if (typeof context !== "object" || context === null || Array.isArray(context)) return "context must be an object of key → string or string[]";
  const out = new Map<string, string | string[]>();
  for (const [key, value] of Object.entries(context)) {
    const ok = typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"));
    if (!ok) return `context key ${key} must be a string or a list of strings, got ${JSON.stringify(value)}`;
    out.set(key.toLowerCase(), value);
  }
  return out;
}

/**
 * Decide one request against an identity policy. Never throws: a policy IAM would reject, a
 * malformed request or an unreadable time gives Unknown with the reason.
 */
export function evaluate(policy: PolicyDocument, req: EvaluationRequest): EvaluationResult {
  const { action, resource, currentTime } = req;
  const now = parseRequestTime(currentTime);
  if (now === undefined) return { decision: "Unknown", reason: BAD_TIME(currentTime) };
  if (typeof action !== "string" || !REQUEST_ACTION.test(action)) {
    return { decision: "Unknown", reason: `action ${JSON.stringify(action)} is not service:Action (e.g. s3:GetObject)` };
  }
  if (typeof resource !== "string") return { decision: "Unknown", reason: `resource ${JSON.stringify(resource)} is not a string` };
  const context = readContext(req.context);
  if (typeof context === "string") return { decision: "Unknown", reason: context };
  return decide(compile(policy), context === undefined ? { action, resource, now, currentTime } : { action, resource, now, currentTime, context });
}

/**
 * Check a stamped policy: each `checks` pair is allowed at `times.before` and not allowed at
 * `times.after`; each `outside` pair is not allowed at `times.before`. Unknown is a failure.
 * Throws if a time is not an ISO date-time: the times come from the caller, not from input.
 */
export function simulate(
  policy: PolicyDocument,
  checks: ActionResource[],
  times: { before: string; after: string },
  outside: ActionResource[],
): SimulationReport {
  for (const t of [times.before, times.after]) if (parseRequestTime(t) === undefined) throw new Error(BAD_TIME(t));
  const failures: SimulationFailure[] = [];
  const expect = (pair: ActionResource, time: string, expected: "Allow" | "Deny"): void => {
    const req: EvaluationRequest = { action: pair.action, resource: pair.resource, currentTime: time };
    if (pair.context !== undefined) req.context = pair.context;
    const { decision, reason } = evaluate(policy, req);
    const ok = expected === "Allow" ? decision === "Allow" : decision === "ImplicitDeny" || decision === "ExplicitDeny";
    if (!ok) failures.push({ action: pair.action, resource: pair.resource, time, expected, got: decision, reason });
  };
  for (const pair of checks) {
    expect(pair, times.before, "Allow");
    expect(pair, times.after, "Deny");
  }
  for (const pair of outside) expect(pair, times.before, "Deny");
  return { ok: failures.length === 0, failures };
}
