// The IAM policy grammar as the guardrails accept it: the document and statement keys, Sid,
// Effect, Condition blocks, the syntax of action names and ARNs, and the characters that may
// appear in them (look-alike and invisible characters are refused, with what was meant). What a
// name means in the catalogue is judged elsewhere (catalogue-checks.ts). Pure; never throws on
// bad input — every fault is an error naming the place, the value and the fix.

import type { Statement } from "../domain/types.js";
import { joinPath } from "../domain/text.js";
import { expansionOf } from "./expansion.js";
import { isRecord, own, type Arn, type Check, type ParsedResource } from "./findings.js";
import { POLICY_LIMITS } from "./limits.js";
import { codePoint, plural, q } from "./wording.js";

export const ROOT = "policy";
const POLICY_KEYS = ["Version", "Id", "Statement"];
const STATEMENT_KEYS = ["Sid", "Effect", "Action", "Resource", "Condition"];

const CONDITION_OPERATOR =
  /^(?:(?:ForAllValues|ForAnyValue):)?(?:String(?:Not)?Equals(?:IgnoreCase)?|String(?:Not)?Like|Numeric(?:Not)?Equals|Numeric(?:Less|Greater)Than(?:Equals)?|Date(?:Not)?Equals|Date(?:Less|Greater)Than(?:Equals)?|Bool|BinaryEquals|(?:Not)?IpAddress|Arn(?:Not)?Equals|Arn(?:Not)?Like)(?:IfExists)?$|^Null$/;

// Characters that look like ASCII letters, and invisible ones: used to suggest what was meant.
const LOOKALIKES: Record<string, string> = {
  а: "a",
  е: "e",
  к: "k",
  о: "o",
  р: "p",
  с: "c",
  у: "y",
  х: "x",
  і: "i",
  ј: "j",
  ѕ: "s",
  ԁ: "d",
  ԛ: "q",
  ԝ: "w",
  һ: "h",
  ӏ: "l",
  ɡ: "g",
  А: "A",
  В: "B",
  Е: "E",
  К: "K",
  М: "M",
  Н: "H",
  О: "O",
  Р: "P",
  С: "C",
  Т: "T",
  Х: "X",
  У: "Y",
  Ѕ: "S",
  І: "I",
  Ј: "J",
  α: "a",
  ο: "o",
  ν: "v",
  ρ: "p",
  ι: "i",
  κ: "k",
  τ: "t",
  υ: "u",
  Α: "A",
  Β: "B",
  Ε: "E",
  Ζ: "Z",
  Η: "H",
  Ι: "I",
  Κ: "K",
  Μ: "M",
  Ν: "N",
  Ο: "O",
  Ρ: "P",
  Τ: "T",
  Υ: "Y",
  Χ: "X",
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

/** The document level: the policy object, Version, Id and the list of statements. */
export function readDocument(check: Check, policy: unknown): { items: Array<{ value: unknown; path: string }>; id: unknown } | undefined {
  if (!isRecord(policy)) {
    const what = policy === null ? "null" : Array.isArray(policy) ? "an array" : `a ${typeof policy}`;
    check.error("guardrail.policy-shape", ROOT, `the policy must be a JSON object { "Version": "2012-10-17", "Statement": [...] }, got ${what}`);
    return undefined;
  }
  const keys = Object.keys(policy);
  const unknown = keys.filter((k) => !POLICY_KEYS.includes(k));
  for (const k of unknown.slice(0, 10)) {
    check.error("guardrail.unknown-key", joinPath(ROOT, k), `unknown key ${q(k)} in the policy; allowed keys are Version, Id and Statement — remove it`);
  }
  if (unknown.length > 10)
    check.error("guardrail.unknown-key", ROOT, `the policy has ${plural(unknown.length, "unknown key")}; allowed keys are Version, Id and Statement`);

  const version = own(policy, "Version");
  if (version === undefined) check.error("guardrail.version", `${ROOT}.Version`, `Version is missing; add "Version": "2012-10-17"`);
  else if (version !== "2012-10-17") {
    check.error("guardrail.version", `${ROOT}.Version`, `Version ${q(version)} is not accepted; use "2012-10-17" (the current policy language version)`);
  }
  const id = own(policy, "Id");
  if (id !== undefined && (typeof id !== "string" || id.length > 128)) {
    check.error("guardrail.id-invalid", `${ROOT}.Id`, `Id must be a string of at most 128 characters, got ${q(id)}; remove it or shorten it`);
  }

  const raw = own(policy, "Statement");
  const base = `${ROOT}.Statement`;
  let items: Array<{ value: unknown; path: string }>;
  if (raw === undefined) {
    check.error(
      "guardrail.statement-shape",
      base,
      `Statement is missing; add a list of statements such as [{ "Effect": "Allow", "Action": [...], "Resource": [...] }]`,
    );
    return undefined;
  } else if (Array.isArray(raw)) {
    if (raw.length === 0) {
      check.error("guardrail.statement-shape", base, `Statement is an empty list; a policy needs at least one statement`);
      return undefined;
    }
    if (raw.length > POLICY_LIMITS.maxStatements) {
      check.error(
        "guardrail.too-many-statements",
        base,
        `the policy has ${plural(raw.length, "statement")}; at most ${POLICY_LIMITS.maxStatements} are accepted — merge statements that share resources, or split the request`,
      );
      return undefined;
    }
    items = raw.map((value, i) => ({ value, path: `${base}[${i}]` }));
  } else if (isRecord(raw)) {
    items = [{ value: raw, path: base }];
  } else {
    check.error("guardrail.statement-shape", base, `Statement must be a list of statement objects, got ${q(raw)}`);
    return undefined;
  }

  return { items, id };
}

/** A statement read for its grammar; `normalized` only when Effect, Action and Resource are usable. */
export interface StatementEntries {
  path: string;
  isAllow: boolean;
  actions: Array<{ value: unknown; path: string }>;
  resources: Array<{ value: unknown; path: string }>;
  normalized: Statement | undefined;
}

/** One statement: its keys, Sid, Effect, Condition, and the Action and Resource entries (not yet judged). */
export function readStatement(check: Check, value: unknown, path: string): StatementEntries | undefined {
  if (!isRecord(value)) {
    check.error("guardrail.statement-shape", path, `a statement must be an object with Effect, Action and Resource, got ${q(value)}`);
    return undefined;
  }
  const keys = Object.keys(value);
  let extra = 0;
  for (const k of keys) {
    if (STATEMENT_KEYS.includes(k)) continue;
    if (++extra > 10) continue;
    const p = joinPath(path, k);
    if (k === "Principal" || k === "NotPrincipal") {
      check.error("guardrail.principal-element", p, `${k} is not allowed: this is an identity policy, attached to the requester's principal — remove ${k}`);
    } else if (k === "NotAction") {
      check.error(
        "guardrail.not-action",
        p,
        `NotAction is not allowed: it grants every action not listed (thousands, including future ones); list the actions in Action instead`,
      );
    } else if (k === "NotResource") {
      check.error("guardrail.not-resource", p, `NotResource is not allowed: it grants every resource not listed; list the resources in Resource instead`);
    } else {
      const hint = STATEMENT_KEYS.find((s) => s.toLowerCase() === k.toLowerCase());
      check.error(
        "guardrail.unknown-key",
        p,
        `unknown key ${q(k)} in a statement${hint ? `; did you mean ${hint}? (keys are case-sensitive)` : ""}; allowed keys are ${STATEMENT_KEYS.join(", ")}`,
      );
    }
  }
  if (extra > 10)
    check.error("guardrail.unknown-key", path, `the statement has ${plural(extra, "unknown key")}; allowed keys are ${STATEMENT_KEYS.join(", ")}`);

  // Sid
  const sid = own(value, "Sid");
  if (sid !== undefined) {
    if (typeof sid !== "string" || !/^[A-Za-z0-9]{1,128}$/.test(sid)) {
      const bad = typeof sid === "string" ? sid.split("").findIndex((c) => !/[A-Za-z0-9]/.test(c)) : -1;
      const detail = typeof sid === "string" && bad >= 0 ? ` (character ${codePoint(sid, bad)} at position ${bad + 1})` : "";
      check.error("guardrail.sid-invalid", `${path}.Sid`, `Sid ${q(sid)} must be 1-128 letters and digits only${detail}; e.g. "ReadReports"`);
    } else {
      const other = check.sids.get(sid);
      if (other) check.error("guardrail.sid-duplicate", `${path}.Sid`, `Sid ${q(sid)} is also used by ${other}; Sids must be unique within a policy`);
      else check.sids.set(sid, path);
    }
  }

  // Effect
  const effectRaw = own(value, "Effect");
  let effect: "Allow" | "Deny" | undefined;
  if (effectRaw === "Allow" || effectRaw === "Deny") effect = effectRaw;
  else if (effectRaw === undefined) check.error("guardrail.effect-invalid", `${path}.Effect`, `Effect is missing; add "Effect": "Allow" (or "Deny")`);
  else {
    const hint = typeof effectRaw === "string" && /^(allow|deny)$/i.test(effectRaw) ? ` (it is case-sensitive)` : "";
    check.error("guardrail.effect-invalid", `${path}.Effect`, `Effect ${q(effectRaw)} must be "Allow" or "Deny"${hint}`);
  }

  const condition = readCondition(check, own(value, "Condition"), `${path}.Condition`);
  const actionList = readList(check, value, "Action", path, 'an action such as "s3:GetObject"');
  const resourceList = readList(check, value, "Resource", path, 'an ARN such as "arn:aws:s3:::my-bucket/*", or "*"');

  const normalized: Statement | undefined =
    effect && actionList && resourceList ? { Effect: effect, Action: actionList.original, Resource: resourceList.original } : undefined;
  if (normalized && typeof sid === "string") normalized.Sid = sid;
  if (normalized && condition) normalized.Condition = condition;
  return { path, isAllow: effect === "Allow", actions: actionList?.entries ?? [], resources: resourceList?.entries ?? [], normalized };
}

/** Action / Resource: a string or a non-empty list of strings. */
function readList(
  check: Check,
  statement: Record<string, unknown>,
  key: "Action" | "Resource",
  path: string,
  example: string,
): { entries: Array<{ value: unknown; path: string }>; original: string | string[] } | undefined {
  const value = own(statement, key);
  const p = `${path}.${key}`;
  if (value === undefined) {
    // NotAction / NotResource already got their own error; still say what is missing.
    check.error("guardrail.element-missing", p, `${key} is missing; add ${example}`);
    return undefined;
  }
  if (typeof value === "string") return { entries: [{ value, path: p }], original: value };
  if (!Array.isArray(value)) {
    check.error("guardrail.element-invalid", p, `${key} must be a string or a list of strings (${example}), got ${q(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    check.error("guardrail.element-invalid", p, `${key} is an empty list; add ${example}`);
    return undefined;
  }
  if (value.length > POLICY_LIMITS.maxEntriesPerElement) {
    check.error(
      "guardrail.too-many-entries",
      p,
      `${key} has ${plural(value.length, "entry")}; at most ${POLICY_LIMITS.maxEntriesPerElement} are accepted in one statement`,
    );
    return undefined;
  }
  const entries = value.map((v, i) => ({ value: v as unknown, path: `${p}[${i}]` }));
  const original = value.filter((v): v is string => typeof v === "string");
  return { entries, original };
}

function readCondition(check: Check, value: unknown, path: string): Statement["Condition"] | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    check.error("guardrail.condition-invalid", path, `Condition must be an object { "<operator>": { "<key>": <value or values> } }, got ${q(value)}`);
    return undefined;
  }
  const operators = Object.keys(value);
  if (operators.length === 0) {
    check.error("guardrail.condition-invalid", path, `Condition is empty; remove it or add an operator such as "StringEquals"`);
    return undefined;
  }
  if (operators.length > POLICY_LIMITS.maxConditionOperators) {
    check.error(
      "guardrail.condition-too-large",
      path,
      `Condition has ${plural(operators.length, "operator")}; at most ${POLICY_LIMITS.maxConditionOperators} are accepted`,
    );
    return undefined;
  }
  let ok = true;
  for (const op of operators) {
    const opPath = joinPath(path, op);
    if (!CONDITION_OPERATOR.test(op)) {
      check.error(
        "guardrail.condition-operator",
        opPath,
        `${q(op)} is not an IAM condition operator; use e.g. StringEquals, StringLike, ArnLike, DateLessThan, Bool, IpAddress (optionally ForAnyValue:/ForAllValues: and …IfExists)`,
      );
      ok = false;
      continue;
    }
    const block = own(value, op);
    if (!isRecord(block)) {
      check.error("guardrail.condition-invalid", opPath, `${op} must map condition keys to values, e.g. { "aws:ResourceTag/team": "data" }, got ${q(block)}`);
      ok = false;
      continue;
    }
    const keys = Object.keys(block);
    if (keys.length === 0 || keys.length > POLICY_LIMITS.maxConditionKeys) {
      check.error(
        keys.length === 0 ? "guardrail.condition-invalid" : "guardrail.condition-too-large",
        opPath,
        `${op} must name 1-${POLICY_LIMITS.maxConditionKeys} condition keys, got ${keys.length}`,
      );
      ok = false;
      continue;
    }
    for (const key of keys) {
      const keyPath = joinPath(opPath, key);
      if (key.length === 0 || key.length > 256 || !key.includes(":") || INVISIBLE_OR_CONTROL.test(key)) {
        check.error("guardrail.condition-key", keyPath, `${q(key)} is not a condition key; keys look like "aws:SourceIp" or "s3:prefix"`);
        ok = false;
        continue;
      }
      const v = own(block, key);
      const values = Array.isArray(v) ? v : [v];
      if (values.length === 0 || values.length > POLICY_LIMITS.maxConditionValues) {
        check.error(
          values.length === 0 ? "guardrail.condition-invalid" : "guardrail.condition-too-large",
          keyPath,
          `${key} needs 1-${POLICY_LIMITS.maxConditionValues} values, got ${values.length}`,
        );
        ok = false;
        continue;
      }
      const bad = values.findIndex((x) => !(typeof x === "string" || typeof x === "boolean" || (typeof x === "number" && Number.isFinite(x))));
      if (bad >= 0) {
        check.error(
          "guardrail.condition-value",
          Array.isArray(v) ? `${keyPath}[${bad}]` : keyPath,
          `condition values must be strings, numbers or booleans, got ${q(values[bad])}`,
        );
        ok = false;
      }
    }
  }
  return ok ? (value as Statement["Condition"]) : undefined;
}

/** An action as written: a string of the form service:Name (or `*`), plain ASCII. */
export interface ActionName {
  raw: string;
  /** Lower-case service prefix; "*" for the action `*`. */
  service: string;
  name: string;
}

/** The syntax of one action entry; undefined (with an error) when it is not an IAM action name. */
export function actionSyntax(check: Check, value: unknown, path: string): ActionName | undefined {
  if (typeof value !== "string") {
    check.error("guardrail.action-syntax", path, `an action must be a string such as "s3:GetObject", got ${q(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    check.error("guardrail.action-syntax", path, `the action is an empty string; write one such as "s3:GetObject"`);
    return undefined;
  }
  if (value.length > POLICY_LIMITS.maxActionLength) {
    check.error("guardrail.action-syntax", path, `the action ${q(value)} is ${value.length} characters long; AWS action names are far shorter — check it`);
    return undefined;
  }
  const odd = firstOddChar(value);
  if (odd >= 0) {
    const cp = codePoint(value, odd);
    if (value.charCodeAt(odd) > 0x7f) {
      const folded = foldLookalikes(value);
      const meant = folded !== value && /^[\x21-\x7e]+$/.test(folded) ? expansionOf(check.catalogue, folded).actions[0]?.full : undefined;
      check.error(
        "guardrail.lookalike-character",
        path,
        `the action ${q(value)} contains non-ASCII character ${cp} at position ${odd + 1}; AWS action names are plain ASCII, so this is a look-alike or invisible character — retype the name${meant ? ` (did you mean "${meant}"?)` : ""}`,
      );
    } else {
      check.error(
        "guardrail.control-character",
        path,
        `the action ${q(value)} contains whitespace or a control character (${cp}) at position ${odd + 1}; remove it`,
      );
    }
    return undefined;
  }
  if (value === "*") return { raw: value, service: "*", name: "*" };
  const m = /^([A-Za-z0-9*?-]+):([A-Za-z0-9*?]+)$/.exec(value);
  if (!m) {
    check.error(
      "guardrail.action-syntax",
      path,
      `${q(value)} is not an IAM action; write service:ActionName, e.g. "s3:GetObject" (letters and digits; the wildcards * and ? are allowed in the name)`,
    );
    return undefined;
  }
  const service = (m[1] ?? "").toLowerCase();
  if (/[*?]/.test(service)) {
    check.error("guardrail.wildcard-service", path, `${q(value)} has a wildcard in the service prefix; name the service in full, e.g. "s3:GetObject"`);
    return undefined;
  }
  return { raw: value, service, name: m[2] ?? "" };
}

/** The syntax of one resource entry: `*` or a complete ARN of plain-ASCII fields. */
export function resourceSyntax(check: Check, value: unknown, path: string): ParsedResource | undefined {
  if (typeof value !== "string") {
    check.error("guardrail.resource-syntax", path, `a resource must be an ARN string such as "arn:aws:s3:::my-bucket/*", got ${q(value)}`);
    return undefined;
  }
  if (value.length === 0) {
    check.error("guardrail.resource-syntax", path, `the resource is an empty string; write an ARN such as "arn:aws:s3:::my-bucket/*"`);
    return undefined;
  }
  if (value.length > POLICY_LIMITS.maxResourceLength) {
    check.error(
      "guardrail.resource-syntax",
      path,
      `the resource ${q(value)} is ${value.length} characters long; ARNs are at most ${POLICY_LIMITS.maxResourceLength}`,
    );
    return undefined;
  }
  const inv = INVISIBLE_OR_CONTROL.exec(value);
  if (inv) {
    check.error(
      "guardrail.control-character",
      path,
      `the resource ${q(value)} contains an invisible or control character ${codePoint(value, inv.index)} at position ${inv.index + 1}; retype it`,
    );
    return undefined;
  }
  if (value.trim() !== value) {
    check.error("guardrail.resource-syntax", path, `the resource ${q(value)} has leading or trailing spaces; remove them`);
    return undefined;
  }
  if (value.includes("${")) {
    check.error(
      "guardrail.policy-variable",
      path,
      `the resource ${q(value)} uses a policy variable; variables are not supported here — write the ARN literally`,
    );
    return undefined;
  }
  if (value === "*") return { path, raw: value, star: true };
  if (!value.startsWith("arn:")) {
    check.error(
      "guardrail.resource-syntax",
      path,
      `the resource ${q(value)} is not an ARN; write arn:<partition>:<service>:<region>:<account>:<resource>, e.g. "arn:aws:s3:::my-bucket/*"`,
    );
    return undefined;
  }
  const parts = value.split(":");
  if (parts.length < 6 || parts.slice(5).join(":") === "") {
    check.error(
      "guardrail.resource-syntax",
      path,
      `the resource ${q(value)} is not a complete ARN; it needs six fields, arn:<partition>:<service>:<region>:<account>:<resource>`,
    );
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
    check.error(
      "guardrail.lookalike-character",
      path,
      `the resource ${q(value)} contains character ${codePoint(head, odd)} at position ${odd + 1}, in a field that is plain ASCII; a look-alike character names a different resource — retype it`,
    );
    return undefined;
  }
  const oddTail = /[^\x20-\x7e]/.exec(arn.resource);
  if (oddTail) {
    check.warn(
      "guardrail.non-ascii-resource",
      path,
      `the resource ${q(value)} contains non-ASCII character ${codePoint(arn.resource, oddTail.index)}; make sure it is intended (look-alike characters can disguise a different resource)`,
    );
  }
  return { path, raw: value, star: false, arn };
}
