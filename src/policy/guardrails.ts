// Step 3 of the policy pipeline: the guardrails every policy passes, whoever wrote it (the
// built-in generator, a model, a person). Pure. The input is `unknown` because it may be a
// model's answer or a hand-edited file: nothing here trusts its shape, and nothing throws —
// every problem comes back as an error naming the place (`policy.Statement[2].Action[0]`), the
// value and the fix.

import type { AccessLevel, Config, PolicyDocument, Problem, ProblemCode, RiskTier, Statement } from "../domain/types.js";
import { joinPath, show } from "../domain/text.js";
import { authorizedOnlyOnStar, type ActionInfo, type Catalogue } from "./catalogue.js";
import { CATEGORY_LABEL, DANGEROUS_COMBINATIONS, dangerousAction, type DangerousAction } from "./dangerous.js";
import { destructiveReason } from "./destructive.js";
import { stampExpiry } from "./stamp.js";

export interface Verdict {
  ok: boolean;
  risk: RiskTier;
  errors: Problem[];
  warnings: Problem[];
}

export interface GuardrailContext {
  config: Config;
  /** ARN patterns the request named; undefined skips the containment check. */
  allowedResources?: string[];
  mode: "iam" | "identity-center";
}

/** AWS quotas (IAM and IAM Identity Center user guides) and our own caps on pathological input. */
export const POLICY_LIMITS = {
  /** Customer managed policy document, whitespace not counted. */
  iamManagedPolicyChars: 6144,
  /** Identity Center permission set inline policy, whitespace not counted. */
  identityCenterInlineChars: 10240,
  identityCenterInlineBytes: 32768,
  /** Ours: a JIT grant never needs more; stops pathological input before any real work. */
  maxStatements: 100,
  maxEntriesPerElement: 500,
  maxActionLength: 256,
  maxResourceLength: 2048,
  maxConditionOperators: 50,
  maxConditionKeys: 50,
  maxConditionValues: 500,
  maxProblems: 100,
} as const;

const ROOT = "policy";
const POLICY_KEYS = ["Version", "Id", "Statement"];
const STATEMENT_KEYS = ["Sid", "Effect", "Action", "Resource", "Condition"];
const LEVEL_RANK: Record<AccessLevel, number> = { list: 0, read: 0, tagging: 1, write: 1, "permissions-management": 2 };
const CONFIG_FILE = ".github/jit-access.yml";
// A timestamp of the length stampExpiry writes, to measure the stamped policy.
const SAMPLE_EXPIRY = "2099-12-31T23:59:59Z";

const CONDITION_OPERATOR =
  /^(?:(?:ForAllValues|ForAnyValue):)?(?:String(?:Not)?Equals(?:IgnoreCase)?|String(?:Not)?Like|Numeric(?:Not)?Equals|Numeric(?:Less|Greater)Than(?:Equals)?|Date(?:Not)?Equals|Date(?:Less|Greater)Than(?:Equals)?|Bool|BinaryEquals|(?:Not)?IpAddress|Arn(?:Not)?Equals|Arn(?:Not)?Like)(?:IfExists)?$|^Null$/;

// ---------------------------------------------------------------------------------------------
// Entry point

export function checkPolicy(catalogue: Catalogue, policy: unknown, ctx: GuardrailContext): Verdict {
  const run = new Run(catalogue, ctx);
  try {
    run.check(policy);
  } catch (e) {
    // A bug or a hostile object (a throwing getter, a Proxy): never a pass.
    run.error("guardrail.unreadable", "", `the policy could not be checked (${describeError(e)}); it is refused — write it as plain JSON`);
  }
  return run.verdict();
}

// ---------------------------------------------------------------------------------------------
// Small pure helpers (exported where tests want them)

/**
 * Does glob `pattern` (IAM wildcards `*`, `?`) cover every string `subject` can stand for?
 * When `subjectHasWildcards`, the subject's own `*` and `?` are wildcards too, and are covered
 * only by a `*` of the pattern (a `?` also by a `?`): a sound, conservative inclusion test.
 * Dynamic programming, O(|pattern|·|subject|): no regex backtracking on hostile input.
 */
export function globCovers(pattern: string, subject: string, subjectHasWildcards = false): boolean {
  if (pattern === "*") return true;
  if (!/[*?]/.test(pattern)) return pattern === subject;
  const m = pattern.length;
  let prev = new Uint8Array(m + 1);
  let cur = new Uint8Array(m + 1);
  prev[0] = 1;
  for (let j = 1; j <= m; j++) prev[j] = prev[j - 1] === 1 && pattern[j - 1] === "*" ? 1 : 0;
  for (let i = 1; i <= subject.length; i++) {
    const r = subject[i - 1];
    const rStar = subjectHasWildcards && r === "*";
    const rWild = subjectHasWildcards && (r === "*" || r === "?");
    cur[0] = 0;
    let any = 0;
    for (let j = 1; j <= m; j++) {
      const a = pattern[j - 1];
      let v: number;
      if (a === "*") v = cur[j - 1] === 1 || prev[j] === 1 ? 1 : 0;
      else if (a === "?") v = prev[j - 1] === 1 && !rStar ? 1 : 0;
      else v = prev[j - 1] === 1 && !rWild && r === a ? 1 : 0;
      cur[j] = v;
      any |= v;
    }
    if (!any) return false;
    [prev, cur] = [cur, prev];
  }
  return prev[m] === 1;
}

/** Can two globs match a common string? (Used only for a warning, so approximate is fine.) */
function globsIntersect(x: string, y: string): boolean {
  const n = x.length;
  const m = y.length;
  // reach[i][j]: x[i..] and y[j..] can still match; computed backwards.
  let next = new Uint8Array(m + 1);
  let cur = new Uint8Array(m + 1);
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      let v = 0;
      if (i === n && j === m) v = 1;
      else if (i < n && x[i] === "*") v = next[j] === 1 || (j < m && cur[j + 1] === 1) ? 1 : 0;
      else if (j < m && y[j] === "*") v = cur[j + 1] === 1 || (i < n && next[j] === 1) ? 1 : 0;
      else if (i < n && j < m && (x[i] === y[j] || x[i] === "?" || y[j] === "?")) v = next[j + 1] ?? 0;
      cur[j] = v;
    }
    [next, cur] = [cur, next];
  }
  return next[0] === 1;
}

/** Is `resource` (a literal ARN or an ARN pattern) within one of the `allowed` ARN patterns? */
export function resourceWithin(resource: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => typeof a === "string" && globCovers(a, resource, true));
}

/** Policy size as AWS counts it: JSON without whitespace outside strings; and UTF-8 bytes. */
export function policySize(policy: unknown): { chars: number; bytes: number } {
  const text = JSON.stringify(policy) ?? "";
  return { chars: text.length, bytes: utf8Length(text) };
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property only: `constructor`, `__proto__` and friends never come from the prototype. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function q(value: unknown, max = 80): string {
  try {
    return show(typeof value === "string" && value.length > 400 ? value.slice(0, 400) : value, max);
  } catch {
    return "(unprintable value)";
  }
}

function describeError(e: unknown): string {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 200) : "unknown error";
  } catch {
    return "unknown error";
  }
}

function codePoint(s: string, index: number): string {
  return `U+${(s.codePointAt(index) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

function listSome(items: readonly string[], max = 5): string {
  const head = items.slice(0, max).join(", ");
  return items.length > max ? `${head} (+${items.length - max} more)` : head;
}

// Characters that look like ASCII letters, and invisible ones: used to suggest what was meant.
const LOOKALIKES: Record<string, string> = {
  а: "a", е: "e", к: "k", о: "o", р: "p", с: "c", у: "y", х: "x",
  і: "i", ј: "j", ѕ: "s", ԁ: "d", ԛ: "q", ԝ: "w", һ: "h", ӏ: "l", ɡ: "g",
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", Х: "X", У: "Y",
  Ѕ: "S", І: "I", Ј: "J",
  α: "a", ο: "o", ν: "v", ρ: "p", ι: "i", κ: "k", τ: "t", υ: "u",
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T", Υ: "Y", Χ: "X",
};
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;

function foldLookalikes(s: string): string {
  return s
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(/[\u0080-\uffff]/g, (c) => LOOKALIKES[c] ?? c);
}

/** First character that is not printable ASCII (or is a space): its index, or -1. */
function firstOddChar(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return i;
  }
  return -1;
}

// Control, format (zero-width, bidi) and non-space separator characters.
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|(?! )\p{Zs}/u;

function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length] ?? limit + 1;
}

/** The candidate nearest to `word` by edit distance (case-insensitive), if any is close enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  if (word.length > 100) return undefined;
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 4)));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const dist = editDistance(lower, c.toLowerCase(), limit);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Caches, per catalogue (a benchmark runs the guardrails thousands of times)

interface Expansion {
  actions: readonly ActionInfo[];
  maxLevel: AccessLevel | undefined;
  /** `*`, `s3:*`, or a pattern that covers every action of its service. */
  serviceWide: boolean;
  /** Computed on first use by `sample`. */
  sample?: string;
}

interface CatalogueCache {
  expansions: Map<string, Expansion>;
  /** `${action.full}\n${resource}` → does the resource cover an arbitrary resource of the action? */
  unscoped: Map<string, boolean>;
  /** `${action.full}\n${resource}` → can the resource be one the action applies to? */
  applies: Map<string, boolean>;
  serviceNames?: string[];
}

const CACHE_LIMIT = 20000;
const caches = new WeakMap<Catalogue, CatalogueCache>();

function cacheOf(catalogue: Catalogue): CatalogueCache {
  let c = caches.get(catalogue);
  if (!c) {
    c = { expansions: new Map(), unscoped: new Map(), applies: new Map() };
    caches.set(catalogue, c);
  }
  return c;
}

function remember<V>(map: Map<string, V>, key: string, compute: () => V): V {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const value = compute();
  if (map.size >= CACHE_LIMIT) map.clear(); // input-driven keys: keep memory bounded
  map.set(key, value);
  return value;
}

function expansionOf(catalogue: Catalogue, pattern: string): Expansion {
  return remember(cacheOf(catalogue).expansions, pattern.toLowerCase(), () => {
    const wildcard = /[*?]/.test(pattern);
    let actions: ActionInfo[];
    if (!wildcard) {
      const a = catalogue.action(pattern);
      actions = a ? [a] : [];
    } else actions = catalogue.expand(pattern);
    let maxLevel: AccessLevel | undefined;
    for (const a of actions) if (maxLevel === undefined || LEVEL_RANK[a.level] > LEVEL_RANK[maxLevel]) maxLevel = a.level;
    let serviceWide = pattern === "*";
    if (!serviceWide && wildcard) {
      const colon = pattern.indexOf(":");
      const name = pattern.slice(colon + 1);
      serviceWide =
        (/^[*?]+$/.test(name) && name.includes("*")) ||
        (actions.length > 1 && actions.length === catalogue.actionsOf(pattern.slice(0, colon)).length);
    }
    return { actions, maxLevel, serviceWide };
  });
}

/**
 * Does granting `action` on `resource` reach every resource of its types (`*`, `role/*`,
 * `secret:???*`)? The same decision the guardrails make, for readers outside a policy check (the
 * access report). An action AWS authorizes only on `*` is unscoped by nature; an unknown action or
 * a resource that is not an ARN counts as unscoped, so a doubtful case is never shown as narrow.
 */
export function grantUnscoped(catalogue: Catalogue, action: string, resource: string): boolean {
  if (resource === "*") return true;
  const info = catalogue.action(action);
  const parts = resource.split(":");
  if (!info || !resource.startsWith("arn:") || parts.length < 6) return true;
  if (authorizedOnlyOnStar(info)) return true;
  const fields = { partition: parts[1] ?? "", region: parts[3] ?? "", account: parts[4] ?? "" };
  return remember(cacheOf(catalogue).unscoped, `${info.full}\n${resource}`, () => {
    for (const t of info.resourceTypes) {
      const rt = catalogue.resourceType(info.service, t.name.toLowerCase());
      if (rt && namesUnscoped(resource, rt.arnFormat, fields)) return true;
    }
    return /^[*?/:]+$/.test(parts.slice(5).join(":"));
  });
}

/**
 * EC2 resource ids begin with a fixed prefix and a dash (`i-`, `snap-`): placeholder of the EC2
 * ARN format → prefix. The prefix is part of every name, so `snapshot/snap-*` covers every
 * snapshot; the generator reads bare ids with the same table.
 */
export const EC2_ID_PREFIXES: Readonly<Record<string, string>> = {
  InstanceId: "i",
  VolumeId: "vol",
  SecurityGroupId: "sg",
  VpcId: "vpc",
  SubnetId: "subnet",
  ImageId: "ami",
  SnapshotId: "snap",
  NetworkInterfaceId: "eni",
  RouteTableId: "rtb",
  InternetGatewayId: "igw",
  NatGatewayId: "nat",
  LaunchTemplateId: "lt",
  NaclId: "acl",
  AllocationId: "eipalloc",
  VpcEndpointId: "vpce",
  VpcPeeringConnectionId: "pcx",
  TransitGatewayId: "tgw",
  DhcpOptionsId: "dopt",
};

/** Characters that separate the parts of a name (paths, suffixes): no narrowing on their own. */
const SEPARATOR = new Set(["-", "/", ".", "_", ":"]);

/**
 * Does the ARN pattern `pattern` leave the name unscoped for resource type `format` (an ARN format
 * such as `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`)? It does when the pattern
 * can be lined up with the format so that every literal character of the pattern falls on a
 * literal character of the format, and every name placeholder is covered by wildcards and
 * separators only (`role/*`, `secret:???*`, `secret:*-??????`, `arn:aws:s3:::*` for an object). A
 * decision, not a sample: `???*` covers every name but the shortest, and a name of wildcards and
 * separators (`-`, `/`, `.`, `_`, `:`) fits the usual shape of every name (a secret's ARN ends
 * in `-` and six characters), so each is as wide as `*`. A letter or digit in the name scopes it,
 * except an EC2 id's own prefix (`snap-*` is every snapshot: EC2_ID_PREFIXES).
 * A pattern without wildcards names one resource. Partition, region and account are
 * filled from `fields` (they are checked to be wildcard-free elsewhere). Literal characters are
 * compared case-insensitively, so a doubtful case counts as unscoped. O(|pattern|·|format|).
 */
export function namesUnscoped(pattern: string, format: string, fields: { partition: string; region: string; account: string }): boolean {
  // The format as tokens: a literal character, or PH (a name placeholder).
  const PH = null;
  const tokens: Array<string | null> = [];
  const ec2 = format.startsWith("arn:${Partition}:ec2:");
  let last = 0;
  for (const m of format.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
    for (const ch of format.slice(last, m.index).toLowerCase()) tokens.push(ch);
    const name = m[1] ?? "";
    const fixed = name === "Partition" ? fields.partition : name === "Region" ? fields.region : name === "Account" ? fields.account : undefined;
    const idPrefix = ec2 ? EC2_ID_PREFIXES[name] : undefined;
    if (idPrefix !== undefined) for (const ch of `${idPrefix}-`) tokens.push(ch);
    if (fixed === undefined) tokens.push(PH);
    else for (const ch of fixed.toLowerCase()) tokens.push(ch);
    last = (m.index ?? 0) + m[0].length;
  }
  for (const ch of format.slice(last).toLowerCase()) tokens.push(ch);
  if (!tokens.includes(PH)) return false; // a singleton type (e.g. the account's settings): nothing to scope
  if (!/[*?]/.test(pattern)) return false; // a literal ARN
  const p = pattern.toLowerCase();
  const n = p.length;
  const m = tokens.length;
  // State (i, j, k): pattern[0..i) lined up with tokens[0..j); k = 1 when token j is a placeholder
  // already partly covered by wildcards. Forward reachability, one pattern position at a time.
  let cur = new Uint8Array(2 * (m + 1));
  let next = new Uint8Array(2 * (m + 1));
  cur[0] = 1;
  for (let i = 0; i <= n; i++) {
    const c = p[i];
    // A `*` may also cover whole tokens without moving on in the pattern (closure over j).
    if (c === "*") {
      for (let j = 0; j < m; j++) {
        if (cur[2 * j] || cur[2 * j + 1]) cur[2 * (j + 1)] = 1;
      }
    }
    if (i === n) return cur[2 * m] === 1;
    next.fill(0);
    let any = false;
    for (let j = 0; j <= m; j++) {
      const t = tokens[j];
      for (let k = 0; k < 2; k++) {
        if (!cur[2 * j + k]) continue;
        if (c === "*") {
          next[2 * j + k] = 1; // the star ends here, covering nothing more
          any = true;
        } else if (c === "?" || SEPARATOR.has(c ?? "")) {
          // A separator is a literal: it covers itself, or a character inside a name.
          if (SEPARATOR.has(c ?? "") && k === 0 && j < m && t !== PH && t === c) {
            next[2 * (j + 1)] = 1;
            any = true;
          }
          if (j < m && t === PH) {
            next[2 * j + 1] = 1; // part of the name, more may follow
            next[2 * (j + 1)] = 1; // the rest of the name
            any = true;
          } else if (c === "?" && j < m && k === 0) {
            next[2 * (j + 1)] = 1;
            any = true;
          }
        } else if (k === 0 && j < m && t !== PH && t === c) {
          next[2 * (j + 1)] = 1;
          any = true;
        }
      }
    }
    if (!any) return false;
    [cur, next] = [next, cur];
  }
  return false;
}

function formatToGlob(format: string): string {
  return format.replace(/\$\{[A-Za-z0-9]+\}/g, "*");
}

// ---------------------------------------------------------------------------------------------
// The check

interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

interface ParsedAction {
  path: string;
  raw: string;
  expansion: Expansion;
}

interface ParsedResource {
  path: string;
  raw: string;
  star: boolean;
  arn?: Arn;
}

interface CompiledConfig {
  services: Set<string>;
  /** [as written, lower-case] */
  denied: Array<[string, string]>;
  allowedDangerous: Array<[string, string]>;
  partition: string;
}

interface Granted {
  path: string;
  full: string;
}

class Run {
  private readonly errors: Problem[] = [];
  private readonly warnings: Problem[] = [];
  private readonly seen = new Set<string>();
  private dropped = { errors: 0, warnings: 0 };
  private maxLevel: AccessLevel | undefined;
  private dangerous = false;
  private destructive = false;
  private readonly granted = new Map<string, Granted>(); // lower-case action → first grant
  private readonly sids = new Map<string, string>();
  private readonly cfg: CompiledConfig;
  private readonly allowed: string[] | undefined;
  private readonly mode: "iam" | "identity-center";

  constructor(
    private readonly catalogue: Catalogue,
    ctx: GuardrailContext,
  ) {
    const config = (isRecord(ctx) && isRecord(ctx.config) ? ctx.config : {}) as Partial<Config>;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    this.cfg = {
      services: new Set(strings(config.allowed_services).map((s) => s.toLowerCase())),
      denied: strings(config.denied_actions).map((s) => [s, s.toLowerCase()]),
      allowedDangerous: strings(config.allowed_dangerous_actions).map((s) => [s, s.toLowerCase()]),
      partition: isRecord(config.aws) && typeof config.aws.partition === "string" ? config.aws.partition : "aws",
    };
    this.allowed = isRecord(ctx) && Array.isArray(ctx.allowedResources) ? strings(ctx.allowedResources) : undefined;
    this.mode = isRecord(ctx) && ctx.mode === "identity-center" ? "identity-center" : "iam";
  }

  error(code: ProblemCode, path: string, message: string): void {
    this.push(this.errors, "errors", code, path, message);
  }

  warn(code: ProblemCode, path: string, message: string): void {
    this.push(this.warnings, "warnings", code, path, message);
  }

  private push(list: Problem[], kind: "errors" | "warnings", code: ProblemCode, path: string, message: string): void {
    const key = `${kind}\n${path}\n${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (list.length >= POLICY_LIMITS.maxProblems) {
      this.dropped[kind]++;
      return;
    }
    list.push({ code, path, message });
  }

  verdict(): Verdict {
    const errors = [...this.errors];
    const warnings = [...this.warnings];
    if (this.dropped.errors) errors.push({ code: "guardrail.too-many-problems", path: "", message: `… and ${plural(this.dropped.errors, "more error")} not shown` });
    if (this.dropped.warnings) warnings.push({ code: "guardrail.too-many-problems", path: "", message: `… and ${plural(this.dropped.warnings, "more warning")} not shown` });
    const risk: RiskTier =
      this.dangerous || this.destructive || this.maxLevel === "permissions-management"
        ? "high"
        : this.maxLevel === "write" || this.maxLevel === "tagging"
          ? "medium"
          : "low";
    return { ok: errors.length === 0, risk, errors, warnings };
  }

  private noteLevel(level: AccessLevel | undefined): void {
    if (level !== undefined && (this.maxLevel === undefined || LEVEL_RANK[level] > LEVEL_RANK[this.maxLevel])) this.maxLevel = level;
  }

  // --- the document ------------------------------------------------------------------------

  check(policy: unknown): void {
    if (!isRecord(policy)) {
      const what = policy === null ? "null" : Array.isArray(policy) ? "an array" : `a ${typeof policy}`;
      this.error("guardrail.policy-shape", ROOT, `the policy must be a JSON object { "Version": "2012-10-17", "Statement": [...] }, got ${what}`);
      return;
    }
    const keys = Object.keys(policy);
    const unknown = keys.filter((k) => !POLICY_KEYS.includes(k));
    for (const k of unknown.slice(0, 10)) {
      this.error("guardrail.unknown-key", joinPath(ROOT, k), `unknown key ${q(k)} in the policy; allowed keys are Version, Id and Statement — remove it`);
    }
    if (unknown.length > 10) this.error("guardrail.unknown-key", ROOT, `the policy has ${plural(unknown.length, "unknown key")}; allowed keys are Version, Id and Statement`);

    const version = own(policy, "Version");
    if (version === undefined) this.error("guardrail.version", `${ROOT}.Version`, `Version is missing; add "Version": "2012-10-17"`);
    else if (version !== "2012-10-17") {
      this.error("guardrail.version", `${ROOT}.Version`, `Version ${q(version)} is not accepted; use "2012-10-17" (the current policy language version)`);
    }
    const id = own(policy, "Id");
    if (id !== undefined && (typeof id !== "string" || id.length > 128)) {
      this.error("guardrail.id-invalid", `${ROOT}.Id`, `Id must be a string of at most 128 characters, got ${q(id)}; remove it or shorten it`);
    }

    const raw = own(policy, "Statement");
    const base = `${ROOT}.Statement`;
    let items: Array<{ value: unknown; path: string }>;
    if (raw === undefined) {
      this.error("guardrail.statement-shape", base, `Statement is missing; add a list of statements such as [{ "Effect": "Allow", "Action": [...], "Resource": [...] }]`);
      return;
    } else if (Array.isArray(raw)) {
      if (raw.length === 0) {
        this.error("guardrail.statement-shape", base, `Statement is an empty list; a policy needs at least one statement`);
        return;
      }
      if (raw.length > POLICY_LIMITS.maxStatements) {
        this.error(
          "guardrail.too-many-statements",
          base,
          `the policy has ${plural(raw.length, "statement")}; at most ${POLICY_LIMITS.maxStatements} are accepted — merge statements that share resources, or split the request`,
        );
        return;
      }
      items = raw.map((value, i) => ({ value, path: `${base}[${i}]` }));
    } else if (isRecord(raw)) {
      items = [{ value: raw, path: base }];
    } else {
      this.error("guardrail.statement-shape", base, `Statement must be a list of statement objects, got ${q(raw)}`);
      return;
    }

    const normalized: Statement[] = [];
    for (const item of items) {
      const s = this.statement(item.value, item.path);
      if (s) normalized.push(s);
    }
    this.combinations();
    this.size(normalized, id);
  }

  // --- one statement -----------------------------------------------------------------------

  private statement(value: unknown, path: string): Statement | undefined {
    if (!isRecord(value)) {
      this.error("guardrail.statement-shape", path, `a statement must be an object with Effect, Action and Resource, got ${q(value)}`);
      return undefined;
    }
    const keys = Object.keys(value);
    let extra = 0;
    for (const k of keys) {
      if (STATEMENT_KEYS.includes(k)) continue;
      if (++extra > 10) continue;
      const p = joinPath(path, k);
      if (k === "Principal" || k === "NotPrincipal") {
        this.error("guardrail.principal-element", p, `${k} is not allowed: this is an identity policy, attached to the requester's principal — remove ${k}`);
      } else if (k === "NotAction") {
        this.error("guardrail.not-action", p, `NotAction is not allowed: it grants every action not listed (thousands, including future ones); list the actions in Action instead`);
      } else if (k === "NotResource") {
        this.error("guardrail.not-resource", p, `NotResource is not allowed: it grants every resource not listed; list the resources in Resource instead`);
      } else {
        const hint = STATEMENT_KEYS.find((s) => s.toLowerCase() === k.toLowerCase());
        this.error("guardrail.unknown-key", p, `unknown key ${q(k)} in a statement${hint ? `; did you mean ${hint}? (keys are case-sensitive)` : ""}; allowed keys are ${STATEMENT_KEYS.join(", ")}`);
      }
    }
    if (extra > 10) this.error("guardrail.unknown-key", path, `the statement has ${plural(extra, "unknown key")}; allowed keys are ${STATEMENT_KEYS.join(", ")}`);

    // Sid
    const sid = own(value, "Sid");
    if (sid !== undefined) {
      if (typeof sid !== "string" || !/^[A-Za-z0-9]{1,128}$/.test(sid)) {
        const bad = typeof sid === "string" ? sid.split("").findIndex((c) => !/[A-Za-z0-9]/.test(c)) : -1;
        const detail = typeof sid === "string" && bad >= 0 ? ` (character ${codePoint(sid, bad)} at position ${bad + 1})` : "";
        this.error("guardrail.sid-invalid", `${path}.Sid`, `Sid ${q(sid)} must be 1-128 letters and digits only${detail}; e.g. "ReadReports"`);
      } else {
        const other = this.sids.get(sid);
        if (other) this.error("guardrail.sid-duplicate", `${path}.Sid`, `Sid ${q(sid)} is also used by ${other}; Sids must be unique within a policy`);
        else this.sids.set(sid, path);
      }
    }

    // Effect
    const effectRaw = own(value, "Effect");
    let effect: "Allow" | "Deny" | undefined;
    if (effectRaw === "Allow" || effectRaw === "Deny") effect = effectRaw;
    else if (effectRaw === undefined) this.error("guardrail.effect-invalid", `${path}.Effect`, `Effect is missing; add "Effect": "Allow" (or "Deny")`);
    else {
      const hint = typeof effectRaw === "string" && /^(allow|deny)$/i.test(effectRaw) ? ` (it is case-sensitive)` : "";
      this.error("guardrail.effect-invalid", `${path}.Effect`, `Effect ${q(effectRaw)} must be "Allow" or "Deny"${hint}`);
    }

    const condition = this.condition(own(value, "Condition"), `${path}.Condition`);
    const actionList = this.list(value, "Action", path, "an action such as \"s3:GetObject\"");
    const resourceList = this.list(value, "Resource", path, "an ARN such as \"arn:aws:s3:::my-bucket/*\", or \"*\"");

    const isAllow = effect === "Allow";
    const actions: ParsedAction[] = [];
    for (const entry of actionList?.entries ?? []) {
      const a = this.action(entry.value, entry.path, isAllow);
      if (a) actions.push(a);
    }
    const resources: ParsedResource[] = [];
    for (const entry of resourceList?.entries ?? []) {
      const r = this.resource(entry.value, entry.path, isAllow);
      if (r) resources.push(r);
    }

    if (isAllow) this.allowStatement(path, actions, resources);

    if (!effect || !actionList || !resourceList) return undefined;
    const out: Statement = { Effect: effect, Action: actionList.original, Resource: resourceList.original };
    if (typeof sid === "string") out.Sid = sid;
    if (condition) out.Condition = condition;
    return out;
  }

  /** Action / Resource: a string or a non-empty list of strings. */
  private list(
    statement: Record<string, unknown>,
    key: "Action" | "Resource",
    path: string,
    example: string,
  ): { entries: Array<{ value: unknown; path: string }>; original: string | string[] } | undefined {
    const value = own(statement, key);
    const p = `${path}.${key}`;
    if (value === undefined) {
      // NotAction / NotResource already got their own error; still say what is missing.
      this.error("guardrail.element-missing", p, `${key} is missing; add ${example}`);
      return undefined;
    }
    if (typeof value === "string") return { entries: [{ value, path: p }], original: value };
    if (!Array.isArray(value)) {
      this.error("guardrail.element-invalid", p, `${key} must be a string or a list of strings (${example}), got ${q(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.error("guardrail.element-invalid", p, `${key} is an empty list; add ${example}`);
      return undefined;
    }
    if (value.length > POLICY_LIMITS.maxEntriesPerElement) {
      this.error("guardrail.too-many-entries", p, `${key} has ${plural(value.length, "entry")}; at most ${POLICY_LIMITS.maxEntriesPerElement} are accepted in one statement`);
      return undefined;
    }
    const entries = value.map((v, i) => ({ value: v as unknown, path: `${p}[${i}]` }));
    const original = value.filter((v): v is string => typeof v === "string");
    return { entries, original };
  }

  private condition(value: unknown, path: string): Statement["Condition"] | undefined {
    if (value === undefined) return undefined;
    if (!isRecord(value)) {
      this.error("guardrail.condition-invalid", path, `Condition must be an object { "<operator>": { "<key>": <value or values> } }, got ${q(value)}`);
      return undefined;
    }
    const operators = Object.keys(value);
    if (operators.length === 0) {
      this.error("guardrail.condition-invalid", path, `Condition is empty; remove it or add an operator such as "StringEquals"`);
      return undefined;
    }
    if (operators.length > POLICY_LIMITS.maxConditionOperators) {
      this.error("guardrail.condition-too-large", path, `Condition has ${plural(operators.length, "operator")}; at most ${POLICY_LIMITS.maxConditionOperators} are accepted`);
      return undefined;
    }
    let ok = true;
    for (const op of operators) {
      const opPath = joinPath(path, op);
      if (!CONDITION_OPERATOR.test(op)) {
        this.error("guardrail.condition-operator", opPath, `${q(op)} is not an IAM condition operator; use e.g. StringEquals, StringLike, ArnLike, DateLessThan, Bool, IpAddress (optionally ForAnyValue:/ForAllValues: and …IfExists)`);
        ok = false;
        continue;
      }
      const block = own(value, op);
      if (!isRecord(block)) {
        this.error("guardrail.condition-invalid", opPath, `${op} must map condition keys to values, e.g. { "aws:ResourceTag/team": "data" }, got ${q(block)}`);
        ok = false;
        continue;
      }
      const keys = Object.keys(block);
      if (keys.length === 0 || keys.length > POLICY_LIMITS.maxConditionKeys) {
        this.error(keys.length === 0 ? "guardrail.condition-invalid" : "guardrail.condition-too-large", opPath, `${op} must name 1-${POLICY_LIMITS.maxConditionKeys} condition keys, got ${keys.length}`);
        ok = false;
        continue;
      }
      for (const key of keys) {
        const keyPath = joinPath(opPath, key);
        if (key.length === 0 || key.length > 256 || !key.includes(":") || INVISIBLE_OR_CONTROL.test(key)) {
          this.error("guardrail.condition-key", keyPath, `${q(key)} is not a condition key; keys look like "aws:SourceIp" or "s3:prefix"`);
          ok = false;
          continue;
        }
        const v = own(block, key);
        const values = Array.isArray(v) ? v : [v];
        if (values.length === 0 || values.length > POLICY_LIMITS.maxConditionValues) {
          this.error(values.length === 0 ? "guardrail.condition-invalid" : "guardrail.condition-too-large", keyPath, `${key} needs 1-${POLICY_LIMITS.maxConditionValues} values, got ${values.length}`);
          ok = false;
          continue;
        }
        const bad = values.findIndex(
          (x) => !(typeof x === "string" || typeof x === "boolean" || (typeof x === "number" && Number.isFinite(x))),
        );
        if (bad >= 0) {
          this.error("guardrail.condition-value", Array.isArray(v) ? `${keyPath}[${bad}]` : keyPath, `condition values must be strings, numbers or booleans, got ${q(values[bad])}`);
          ok = false;
        }
      }
    }
    return ok ? (value as Statement["Condition"]) : undefined;
  }

  // --- actions -----------------------------------------------------------------------------

  private action(value: unknown, path: string, isAllow: boolean): ParsedAction | undefined {
    if (typeof value !== "string") {
      this.error("guardrail.action-syntax", path, `an action must be a string such as "s3:GetObject", got ${q(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.error("guardrail.action-syntax", path, `the action is an empty string; write one such as "s3:GetObject"`);
      return undefined;
    }
    if (value.length > POLICY_LIMITS.maxActionLength) {
      this.error("guardrail.action-syntax", path, `the action ${q(value)} is ${value.length} characters long; AWS action names are far shorter — check it`);
      return undefined;
    }
    const odd = firstOddChar(value);
    if (odd >= 0) {
      const cp = codePoint(value, odd);
      if (value.charCodeAt(odd) > 0x7f) {
        const folded = foldLookalikes(value);
        const meant = folded !== value && /^[\x21-\x7e]+$/.test(folded) ? expansionOf(this.catalogue, folded).actions[0]?.full : undefined;
        this.error(
          "guardrail.lookalike-character",
          path,
          `the action ${q(value)} contains non-ASCII character ${cp} at position ${odd + 1}; AWS action names are plain ASCII, so this is a look-alike or invisible character — retype the name${meant ? ` (did you mean "${meant}"?)` : ""}`,
        );
      } else {
        this.error("guardrail.control-character", path, `the action ${q(value)} contains whitespace or a control character (${cp}) at position ${odd + 1}; remove it`);
      }
      return undefined;
    }
    if (value === "*") {
      if (!isAllow) return undefined; // Deny "*" only narrows
      const all = expansionOf(this.catalogue, "*");
      this.noteLevel(all.maxLevel);
      this.dangerous = true;
      this.error(
        "guardrail.wildcard-action",
        path,
        `"*" grants every AWS action: the wildcard grants ${plural(all.actions.length, "action")} incl. ${sampleOf(all)}; list only the actions you need`,
      );
      return undefined;
    }
    const m = /^([A-Za-z0-9*?-]+):([A-Za-z0-9*?]+)$/.exec(value);
    if (!m) {
      this.error("guardrail.action-syntax", path, `${q(value)} is not an IAM action; write service:ActionName, e.g. "s3:GetObject" (letters and digits; the wildcards * and ? are allowed in the name)`);
      return undefined;
    }
    const service = (m[1] ?? "").toLowerCase();
    if (/[*?]/.test(service)) {
      this.error("guardrail.wildcard-service", path, `${q(value)} has a wildcard in the service prefix; name the service in full, e.g. "s3:GetObject"`);
      return undefined;
    }
    if (!this.catalogue.hasService(service)) {
      const cache = cacheOf(this.catalogue);
      cache.serviceNames ??= this.catalogue.services();
      const guess = closest(service, cache.serviceNames);
      (isAllow ? this.error : this.warn).call(this, "guardrail.unknown-service", path, `unknown service ${q(service)} in ${q(value)}${guess ? `; did you mean "${guess}"?` : ""} — use a service prefix from the AWS Service Authorization Reference`);
      return undefined;
    }
    if (isAllow && !this.cfg.services.has(service)) {
      this.error(
        "guardrail.service-not-allowed",
        path,
        `${q(value)}: service "${service}" is not in allowed_services (${listSome([...this.cfg.services], 20) || "none"}); remove the action, or ask an admin to add "${service}" to allowed_services in ${CONFIG_FILE}`,
      );
    }
    const expansion = expansionOf(this.catalogue, value);
    const wildcard = /[*?]/.test(value);
    if (expansion.actions.length === 0) {
      const guess = wildcard ? undefined : closest(m[2] ?? "", this.catalogue.actionsOf(service).map((a) => a.name));
      const msg = wildcard
        ? `the wildcard ${q(value)} matches no action of ${service}; check the spelling`
        : `unknown action ${q(value)}: ${service} has no action named ${q(m[2])}${guess ? `; did you mean "${service}:${guess}"?` : ""}`;
      if (isAllow) this.error("guardrail.unknown-action", path, msg);
      else this.warn("guardrail.unknown-action", path, `${msg} (this Deny has no effect for it)`);
      return undefined;
    }
    if (!isAllow) return { path, raw: value, expansion };
    this.noteLevel(expansion.maxLevel);
    if (expansion.serviceWide) {
      if (expansion.actions.some((a) => dangerousAction(a.full))) this.dangerous = true;
      this.error(
        "guardrail.wildcard-action",
        path,
        `${q(value)} grants every ${service} action: the wildcard grants ${plural(expansion.actions.length, "action")} incl. ${sampleOf(expansion)}; list only the actions you need`,
      );
      return undefined;
    }
    if (wildcard) {
      this.warn(
        "guardrail.wildcard-expands",
        path,
        `${q(value)} expands to ${plural(expansion.actions.length, "action")} (${listSome(expansion.actions.map((a) => a.full), 6)}); AWS actions added later that match it would be granted too — prefer listing the actions`,
      );
    }
    this.denied(path, value, expansion);
    return { path, raw: value, expansion };
  }

  private denied(path: string, raw: string, expansion: Expansion): void {
    if (this.cfg.denied.length === 0) return;
    const hits: string[] = [];
    const patterns = new Set<string>();
    for (const a of expansion.actions) {
      const lower = a.full.toLowerCase();
      const p = this.cfg.denied.find(([, d]) => globCovers(d, lower));
      if (p !== undefined) {
        hits.push(a.full);
        patterns.add(p[0]);
      }
    }
    if (hits.length === 0) return;
    const what = hits.length === 1 && hits[0]?.toLowerCase() === raw.toLowerCase() ? q(raw) : `${q(raw)} grants ${listSome(hits)}, which`;
    this.error("guardrail.denied-action", path, `${what} is forbidden by denied_actions (${[...patterns].map((p) => q(p)).join(", ")}) in ${CONFIG_FILE}; remove it`);
  }

  // --- resources ---------------------------------------------------------------------------

  private resource(value: unknown, path: string, isAllow: boolean): ParsedResource | undefined {
    if (typeof value !== "string") {
      this.error("guardrail.resource-syntax", path, `a resource must be an ARN string such as "arn:aws:s3:::my-bucket/*", got ${q(value)}`);
      return undefined;
    }
    if (value.length === 0) {
      this.error("guardrail.resource-syntax", path, `the resource is an empty string; write an ARN such as "arn:aws:s3:::my-bucket/*"`);
      return undefined;
    }
    if (value.length > POLICY_LIMITS.maxResourceLength) {
      this.error("guardrail.resource-syntax", path, `the resource ${q(value)} is ${value.length} characters long; ARNs are at most ${POLICY_LIMITS.maxResourceLength}`);
      return undefined;
    }
    const inv = INVISIBLE_OR_CONTROL.exec(value);
    if (inv) {
      this.error("guardrail.control-character", path, `the resource ${q(value)} contains an invisible or control character ${codePoint(value, inv.index)} at position ${inv.index + 1}; retype it`);
      return undefined;
    }
    if (value.trim() !== value) {
      this.error("guardrail.resource-syntax", path, `the resource ${q(value)} has leading or trailing spaces; remove them`);
      return undefined;
    }
    if (value.includes("${")) {
      this.error("guardrail.policy-variable", path, `the resource ${q(value)} uses a policy variable; variables are not supported here — write the ARN literally`);
      return undefined;
    }
    if (value === "*") return { path, raw: value, star: true };
    if (!value.startsWith("arn:")) {
      this.error("guardrail.resource-syntax", path, `the resource ${q(value)} is not an ARN; write arn:<partition>:<service>:<region>:<account>:<resource>, e.g. "arn:aws:s3:::my-bucket/*"`);
      return undefined;
    }
    const parts = value.split(":");
    if (parts.length < 6 || (parts.slice(5).join(":") === "")) {
      this.error("guardrail.resource-syntax", path, `the resource ${q(value)} is not a complete ARN; it needs six fields, arn:<partition>:<service>:<region>:<account>:<resource>`);
      return undefined;
    }
    const arn: Arn = {
      partition: parts[1] ?? "",
      service: parts[2] ?? "",
      region: parts[3] ?? "",
      account: parts[4] ?? "",
      resource: parts.slice(5).join(":"),
    };
    const head = parts.slice(0, 5).join(":");
    const odd = firstOddChar(head);
    if (odd >= 0) {
      this.error("guardrail.lookalike-character", path, `the resource ${q(value)} contains character ${codePoint(head, odd)} at position ${odd + 1}, in a field that is plain ASCII; a look-alike character names a different resource — retype it`);
      return undefined;
    }
    const oddTail = /[^\x20-\x7e]/.exec(arn.resource);
    if (oddTail) {
      this.warn("guardrail.non-ascii-resource", path, `the resource ${q(value)} contains non-ASCII character ${codePoint(arn.resource, oddTail.index)}; make sure it is intended (look-alike characters can disguise a different resource)`);
    }
    if (!isAllow) return { path, raw: value, star: false, arn };

    const wild = (s: string) => /[*?]/.test(s);
    let ok = true;
    if (wild(arn.partition) || arn.partition !== this.cfg.partition) {
      this.error("guardrail.resource-partition", path, `the resource ${q(value)} has partition ${q(arn.partition)}; this repository's AWS partition is "${this.cfg.partition}" — write arn:${this.cfg.partition}:…`);
      ok = false;
    }
    if (arn.service === "" || wild(arn.service)) {
      this.error("guardrail.resource-wildcard-field", path, `the resource ${q(value)} has ${arn.service === "" ? "no service" : `a wildcard in the service field (${q(arn.service)})`}; name the service, e.g. arn:aws:s3:::my-bucket`);
      ok = false;
    }
    if (wild(arn.region)) {
      this.error("guardrail.resource-wildcard-field", path, `the resource ${q(value)} has a wildcard in the region field (${q(arn.region)}), which covers every region; name the region (e.g. "us-east-1"), or leave the field empty where the ARN format has none (S3 buckets, IAM)`);
      ok = false;
    }
    if (wild(arn.account)) {
      this.error("guardrail.resource-wildcard-field", path, `the resource ${q(value)} has a wildcard in the account field (${q(arn.account)}), which covers every AWS account, including other organisations'; write the 12-digit account id`);
      ok = false;
    } else if (arn.account !== "" && arn.account !== "aws" && !/^\d{12}$/.test(arn.account)) {
      this.warn("guardrail.resource-account", path, `the resource ${q(value)} has account ${q(arn.account)}; account ids are 12 digits`);
    }
    return ok ? { path, raw: value, star: false, arn } : { path, raw: value, star: false };
  }

  // --- what an Allow statement grants ------------------------------------------------------

  private allowStatement(path: string, actions: ParsedAction[], resources: ParsedResource[]): void {
    const star = resources.find((r) => r.star);

    // "*" only for actions that cannot be scoped to resources.
    if (star) {
      const scopable: ActionInfo[] = [];
      for (const a of actions) for (const info of a.expansion.actions) if (!authorizedOnlyOnStar(info)) scopable.push(info);
      if (scopable.length > 0) {
        const names = [...new Set(scopable.map((a) => a.full))];
        const first = scopable[0];
        // The simplest ARN format of the first such action makes the example.
        let rt: ReturnType<Catalogue["resourceType"]>;
        for (const t of first?.resourceTypes ?? []) {
          const candidate = first ? this.catalogue.resourceType(first.service, t.name.toLowerCase()) : undefined;
          if (candidate && (!rt || candidate.arnFormat.length < rt.arnFormat.length)) rt = candidate;
        }
        const example = rt ? ` (e.g. ${rt.arnFormat.replace("${Partition}", this.cfg.partition)} for ${first?.full})` : "";
        const hint = scopable.length < actions.reduce((n, a) => n + a.expansion.actions.length, 0) ? `; keep the actions without resource-level support in a statement of their own on "*"` : "";
        this.error(
          "guardrail.unscoped-resource",
          star.path,
          `Resource "*" is used with ${names.length === 1 ? "an action that supports" : `${plural(names.length, "action")} that support`} resource-level permissions: ${listSome(names)}; name the resources instead${example}${hint}`,
        );
      }
    }

    // Within the request.
    if (this.allowed) {
      for (const r of resources) {
        if (r.star) continue; // only reachable for actions without resource-level support (checked above)
        if (!resourceWithin(r.raw, this.allowed)) {
          this.error(
            "guardrail.resource-outside-request",
            r.path,
            `the resource ${q(r.raw)} is wider than the request: it is not within any requested resource (${listSome(this.allowed.map((a) => q(a)), 4) || "none"}); narrow it, or ask for it in the request`,
          );
        }
      }
    }

    // Actions that apply to none of the statement's resources (granted on nothing: a mistake).
    const arns = resources.filter((r) => !r.star && r.arn);
    if (arns.length > 0 && !star) {
      const useless: string[] = [];
      for (const a of actions) {
        for (const info of a.expansion.actions) {
          if (authorizedOnlyOnStar(info)) continue;
          if (!arns.some((r) => this.applies(info, r.raw))) useless.push(info.full);
        }
      }
      if (useless.length > 0) {
        this.warn(
          "guardrail.action-resource-mismatch",
          `${path}.Resource`,
          `${listSome([...new Set(useless)])} ${useless.length === 1 ? "applies" : "apply"} to none of this statement's resources (${listSome(arns.map((r) => q(r.raw)), 3)}), so ${useless.length === 1 ? "it grants" : "they grant"} nothing here; move them to a statement with matching ARNs or drop them`,
        );
      }
    }

    // Dangerous actions, and the set of everything granted (for combinations).
    for (const a of actions) {
      const destructive: string[] = [];
      for (const info of a.expansion.actions) {
        const lower = info.full.toLowerCase();
        if (!this.granted.has(lower)) this.granted.set(lower, { path: a.path, full: info.full });
        const reason = destructiveReason(info);
        if (reason !== undefined) destructive.push(`${info.full} (${reason})`);
        const entry = dangerousAction(info.full);
        const needsScope = entry?.scope === "unscoped" || (!entry && info.level === "permissions-management");
        if (!entry && !needsScope) continue;
        let wide: ParsedResource | undefined;
        if (needsScope) {
          wide = resources.find((r) => this.unscoped(info, r));
          if (!wide) {
            if (entry?.scopedWhy) this.scopedDanger(a, info, entry.scopedWhy);
            continue;
          }
        }
        const danger: DangerousAction = entry ?? {
          action: info.full,
          category: "resource-exposure",
          scope: "unscoped",
          why: "changes permissions (a permissions-management action) on every resource of its type",
          source: "cloudsplaining ResourceExposure: Permissions-management actions without resource constraints",
        };
        this.dangerFinding(a, info, danger, wide);
      }
      if (destructive.length > 0) {
        this.destructive = true;
        const one = destructive.length === 1;
        const what = one && a.expansion.actions.length === 1 ? `${destructive[0]} is a destructive or administrative write: it is` : `${q(a.raw)} grants destructive or administrative writes: ${listSome(destructive, 3)}; they are`;
        this.warn("guardrail.destructive-action", a.path, `${what} left out of the write access level and make${one ? "s" : ""} the request risk high; reviewers: make sure the task needs ${one ? "it" : "them"}.`);
      }
    }
  }

  private dangerFinding(a: ParsedAction, info: ActionInfo, danger: DangerousAction, wide: ParsedResource | undefined): void {
    this.dangerous = true;
    const subject = a.raw.toLowerCase() === info.full.toLowerCase() ? q(info.full) : `${q(a.raw)} grants ${info.full}, which`;
    const where = wide ? ` on ${q(wide.raw)}` : "";
    const what = `${subject}${where} is a dangerous action (${CATEGORY_LABEL[danger.category]}): the holder ${danger.why}. Source: ${danger.source}.`;
    const accepted = this.cfg.allowedDangerous.find(([, p]) => globCovers(p, info.full.toLowerCase()));
    if (accepted !== undefined) {
      this.warn("guardrail.dangerous-accepted", a.path, `${what} Accepted by allowed_dangerous_actions ${q(accepted[0])} in ${CONFIG_FILE}; the request is risk high.`);
      return;
    }
    const scopeFix = wide ? `name the specific resources instead of ${q(wide.raw)}, or ` : "";
    this.error("guardrail.dangerous-action", a.path, `${what} Remove it, ${scopeFix}if this repository accepts the risk add "${info.full}" to allowed_dangerous_actions in ${CONFIG_FILE} (approval then needs the high-risk number of approvers).`);
  }

  /** An action that is needed on named resources but is risk high there: a warning for reviewers. */
  private scopedDanger(a: ParsedAction, info: ActionInfo, why: string): void {
    this.dangerous = true;
    const subject = a.raw.toLowerCase() === info.full.toLowerCase() ? q(info.full) : `${q(a.raw)} grants ${info.full}, which`;
    this.warn("guardrail.dangerous-scoped", a.path, `${subject} on named resources makes the request risk high: the holder ${why}.`);
  }

  private combinations(): void {
    const fired: string[][] = [];
    for (const combo of DANGEROUS_COMBINATIONS) {
      const members = combo.actions.map((x) => x.toLowerCase());
      if (!members.every((x) => this.granted.has(x))) continue;
      if (fired.some((f) => f.every((x) => members.includes(x)))) continue; // a smaller set already said it
      fired.push(members);
      this.dangerous = true;
      const grants = members.map((x) => this.granted.get(x)).filter((g): g is Granted => g !== undefined);
      const first = grants[0];
      if (!first) continue;
      const names = grants.map((g) => g.full);
      const where = grants.map((g) => `${g.full} at ${g.path}`).join(", ");
      const what = `${names.join(" + ")} in the same policy (${where}) is a dangerous combination (${CATEGORY_LABEL[combo.category]}, ${combo.name}): the holder ${combo.why}. Source: ${combo.source}.`;
      const allAccepted = names.every((n) => this.cfg.allowedDangerous.some(([, p]) => globCovers(p, n.toLowerCase())));
      if (allAccepted) this.warn("guardrail.dangerous-combination-accepted", first.path, `${what} Accepted by allowed_dangerous_actions in ${CONFIG_FILE}; the request is risk high.`);
      else {
        this.error(
          "guardrail.dangerous-combination",
          first.path,
          `${what} Remove one of them; if this repository accepts the risk add ${names.map((n) => `"${n}"`).join(" and ")} to allowed_dangerous_actions in ${CONFIG_FILE}.`,
        );
      }
    }
  }

  /** Does `r` leave the name of a resource of `action`'s types unscoped (e.g. `role/*`, `role/???*`)? */
  private unscoped(action: ActionInfo, r: ParsedResource): boolean {
    if (r.star || authorizedOnlyOnStar(action)) return true;
    if (!r.arn) return false; // already an error
    return grantUnscoped(this.catalogue, action.full, r.raw);
  }

  private applies(action: ActionInfo, raw: string): boolean {
    return remember(cacheOf(this.catalogue).applies, `${action.full}\n${raw}`, () => {
      const names = new Set(action.resourceTypes.map((t) => t.name.toLowerCase()));
      if (!/[*?]/.test(raw)) {
        // A literal ARN: the catalogue's own classification (the most specific ARN format).
        const types = this.catalogue.matchResourceTypes(action.service, raw);
        return types.length === 0 ? !this.catalogue.resourceTypesOf(action.service).length : types.some((t) => names.has(t.key.toLowerCase()));
      }
      // A pattern: can it match any ARN of the action's types? (Lenient: it rarely warns.)
      let known = 0;
      for (const t of action.resourceTypes) {
        const rt = this.catalogue.resourceType(action.service, t.name.toLowerCase());
        if (!rt) continue;
        known++;
        if (globsIntersect(raw, formatToGlob(rt.arnFormat))) return true;
      }
      return known === 0; // no data to judge by: do not warn
    });
  }

  // --- size --------------------------------------------------------------------------------

  private size(statements: Statement[], id: unknown): void {
    if (statements.length === 0) return;
    const doc: PolicyDocument = { Version: "2012-10-17", Statement: statements };
    if (typeof id === "string") doc.Id = id;
    const plain = policySize(doc);
    let stamped = plain;
    try {
      stamped = policySize(stampExpiry(doc, SAMPLE_EXPIRY));
    } catch {
      // A DateLessThan aws:CurrentTime value that is not a date: stamping will refuse it at grant.
      const allows = statements.filter((s) => s.Effect === "Allow").length;
      stamped = { chars: plain.chars + 72 * allows, bytes: plain.bytes + 72 * allows };
    }
    const measured = `the policy is ${plural(plain.chars, "character")} without whitespace (${stamped.chars.toLocaleString("en-US")} once the expiry condition is added at grant)`;
    const fix = "drop actions or resources, merge statements, or split the request into smaller ones";
    if (this.mode === "iam") {
      if (stamped.chars > POLICY_LIMITS.iamManagedPolicyChars) {
        this.error("guardrail.policy-too-large", ROOT, `${measured}; an IAM managed policy holds at most ${POLICY_LIMITS.iamManagedPolicyChars.toLocaleString("en-US")} — ${fix}`);
      }
    } else {
      if (stamped.chars > POLICY_LIMITS.identityCenterInlineChars) {
        this.error("guardrail.policy-too-large", ROOT, `${measured}; an Identity Center permission set's inline policy holds at most ${POLICY_LIMITS.identityCenterInlineChars.toLocaleString("en-US")} — ${fix}`);
      }
      if (stamped.bytes > POLICY_LIMITS.identityCenterInlineBytes) {
        this.error("guardrail.policy-too-large", ROOT, `the policy is ${plural(stamped.bytes, "byte")} of UTF-8 once stamped; an Identity Center inline policy holds at most ${POLICY_LIMITS.identityCenterInlineBytes.toLocaleString("en-US")} bytes — ${fix}`);
      }
    }
  }
}

function sampleOf(e: Expansion): string {
  return (e.sample ??= sample(e.actions));
}

/** A few of the actions, the most consequential first, to say what a wildcard really grants. */
function sample(actions: readonly ActionInfo[]): string {
  const score = (a: ActionInfo) => {
    const d = dangerousAction(a.full);
    return (d ? (d.category === "privilege-escalation" ? 5 : 3) : 0) + LEVEL_RANK[a.level];
  };
  let picked: ActionInfo[] = [];
  // Partial selection: no full sort of 20,000 actions.
  for (const a of actions) {
    if (picked.length < 4) picked.push(a);
    else {
      let low = 0;
      for (let i = 1; i < picked.length; i++) if (score(picked[i] as ActionInfo) < score(picked[low] as ActionInfo)) low = i;
      if (score(a) > score(picked[low] as ActionInfo)) picked[low] = a;
    }
  }
  picked = picked.sort((x, y) => score(y) - score(x) || x.full.localeCompare(y.full));
  return `${picked.map((a) => a.full).join(", ")}${actions.length > picked.length ? ", …" : ""}`;
}
