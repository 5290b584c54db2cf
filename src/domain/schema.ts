// ajv validation against schemas/*.schema.json, with ajv's errors rewritten for people: each
// problem names the field path, the bad value and how to fix it.
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsImport from "ajv-formats";
import requestSchema from "../../schemas/access-request.schema.json" with { type: "json" };
import configSchema from "../../schemas/config.schema.json" with { type: "json" };
import structuredRequestSchema from "../../schemas/structured-request.schema.json" with { type: "json" };
import identitiesSchema from "../../schemas/identities.schema.json" with { type: "json" };
import { joinPath, pointerToPath, show } from "./text.js";
import type { Problem, ProblemCode } from "./types.js";

export { requestSchema, configSchema, structuredRequestSchema, identitiesSchema };

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsImport as unknown as { default?: unknown }).default ?? addFormatsImport) as unknown as (ajv: Ajv2020) => void;

function makeAjv(useDefaults: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true, useDefaults, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

let requestValidator: ValidateFunction | undefined;
let configValidator: ValidateFunction | undefined;
let structuredValidator: ValidateFunction | undefined;

export function validateRequestShape(value: unknown): Problem[] {
  requestValidator ??= makeAjv(false).compile(requestSchema);
  return requestValidator(value) ? [] : humanize(requestValidator.errors ?? [], value);
}

/** A model's structured request (schemas/structured-request.schema.json): items only, never a policy. */
export function validateStructuredRequestShape(value: unknown): Problem[] {
  structuredValidator ??= makeAjv(false).compile(structuredRequestSchema);
  return structuredValidator(value) ? [] : humanize(structuredValidator.errors ?? [], value);
}

/** Validates and fills in defaults (mutates `value`). */
export function validateConfigShape(value: unknown): Problem[] {
  configValidator ??= makeAjv(true).compile(configSchema);
  return configValidator(value) ? [] : humanize(configValidator.errors ?? [], value);
}

let identitiesValidator: ValidateFunction | undefined;

/** An identities file (identities/*.yaml); its generated policies use the request schema's items. */
export function validateIdentitiesShape(value: unknown): Problem[] {
  identitiesValidator ??= makeAjv(false).addSchema(requestSchema).compile(identitiesSchema);
  return identitiesValidator(value) ? [] : humanize(identitiesValidator.errors ?? [], value);
}

const SCHEMA_INVALID: ProblemCode = "schema.invalid";

/** One code per ajv keyword, so a refusal says which schema rule the value broke. */
const SCHEMA_CODES: Readonly<Record<string, ProblemCode>> = {
  additionalProperties: "schema.unknown-field",
  required: "schema.required",
  type: "schema.type",
  pattern: "schema.pattern",
  format: "schema.format",
  enum: "schema.enum",
  const: "schema.const",
  minItems: "schema.too-few-items",
  maxItems: "schema.too-many-items",
  minLength: "schema.too-short",
  maxLength: "schema.too-long",
  minimum: "schema.too-small",
  maximum: "schema.too-large",
  uniqueItems: "schema.duplicate-item",
  minProperties: "schema.exactly-one",
  maxProperties: "schema.exactly-one",
  propertyNames: "schema.key-not-allowed",
  oneOf: "schema.shape",
  anyOf: "schema.shape",
};

function humanize(errors: ErrorObject[], _root: unknown): Problem[] {
  // oneOf/anyOf report every branch's failure too; keep one message per alternative set.
  // An if/then/else reports its branch's own failure; the "if" wrapper says nothing more.
  errors = errors.filter((e) => e.keyword !== "if");
  const alternatives = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf");
  const kept = errors.filter(
    (e) =>
      e.keyword === "oneOf" ||
      e.keyword === "anyOf" ||
      !alternatives.some((a) => e.schemaPath.startsWith(a.schemaPath.replace(/\/(oneOf|anyOf)$/, "/$1/")) && e.instancePath.startsWith(a.instancePath)),
  );
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    const p = bounded(describeSchemaError(e));
    const key = `${p.path}\u0000${p.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(p);
    }
  }
  return out;
}

/** Paths and messages stay readable even when a key or value is huge. */
function bounded(p: Problem): Problem {
  const path = p.path.length > 120 ? `${p.path.slice(0, 120)}…` : p.path;
  let message = p.path.length > 120 ? p.message.split(p.path).join(path) : p.message;
  if (message.length > 360) message = `${message.slice(0, 360)}…`;
  return { code: p.code ?? SCHEMA_INVALID, path, message };
}

/** One ajv error as a Problem: the keyword's code, the field path, the value and the fix. */
export function describeSchemaError(e: ErrorObject): Problem {
  return { code: SCHEMA_CODES[e.keyword] ?? SCHEMA_INVALID, ...describeText(e) };
}

function describeText(e: ErrorObject): Omit<Problem, "code"> {
  const path = pointerToPath(e.instancePath);
  const field = path === "" ? "the file" : path;
  const hint = typeof e.parentSchema?.description === "string" ? ` (${e.parentSchema.description})` : "";
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      return {
        path: joinPath(path, extra),
        message: `unknown field ${show(extra)}${path ? ` in ${path}` : ""}; remove it${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`,
      };
    }
    case "required":
      return {
        path: joinPath(path, String(params.missingProperty)),
        message: `missing required field ${show(params.missingProperty)}${path ? ` in ${path}` : ""}; add it`,
      };
    case "type": {
      const expected = String(params.type);
      const got = e.data === null ? "null" : Array.isArray(e.data) ? "a list" : typeof e.data;
      let fix = "";
      if (expected.includes("string") && typeof e.data === "number") fix = numberFix(path, e.data);
      else if (expected === "array") fix = " — write it as a list, e.g. [a, b] or one '- item' per line";
      return { path, message: `${field} must be ${article(expected)}, but it is ${got} ${show(e.data)}${fix}` };
    }
    case "pattern":
    case "format":
      return {
        path,
        message: `${field} ${show(e.data)} is not valid${hint || ` (expected ${e.keyword === "format" ? `a ${String(params.format)}, e.g. 2026-01-31T09:00:00Z` : `to match ${String(params.pattern)}`})`}`,
      };
    case "enum":
      return { path, message: `${field} ${show(e.data)} is not allowed; use one of: ${(params.allowedValues as unknown[]).map((v) => String(v)).join(", ")}` };
    case "const":
      return { path, message: `${field} must be ${show(params.allowedValue)}, not ${show(e.data)}` };
    case "minItems":
      return { path, message: `${field} needs at least ${String(params.limit)} item(s)` };
    case "maxItems":
      return { path, message: `${field} has more than ${String(params.limit)} items; split the request or narrow it` };
    case "minLength":
      return { path, message: `${field} is too short (at least ${String(params.limit)} characters)` };
    case "maxLength":
      return { path, message: `${field} is too long (at most ${String(params.limit)} characters); shorten it` };
    case "minimum":
    case "maximum":
      return { path, message: `${field} ${show(e.data)} must be ${e.keyword === "minimum" ? "at least" : "at most"} ${String(params.limit)}` };
    case "uniqueItems":
      return { path, message: `${field} lists the same value twice (items ${String(params.j)} and ${String(params.i)}); remove the duplicate` };
    case "minProperties":
    case "maxProperties":
      return { path, message: `${field} must set exactly one of: ${Object.keys((e.parentSchema?.properties as object | undefined) ?? {}).join(", ")}` };
    case "propertyNames":
      return { path, message: `${field} has a key that is not allowed: ${show(params.propertyName)}` };
    case "oneOf":
    case "anyOf":
      if (typeof e.data === "number") return { path, message: `${field} must be text, but it is the number ${show(e.data)}${numberFix(path, e.data)}` };
      return { path, message: `${field} ${show(e.data)} has the wrong shape${hint || ""}; ${alternativesText(e)}` };
    default:
      return { path, message: `${field} ${show(e.data)} is not valid: ${e.message ?? e.keyword}` };
  }
}

/** A number where text was expected: say what the author most likely meant. */
function numberFix(path: string, n: number): string {
  if (/(^|\.)(duration|default_duration|max_duration)$/.test(path)) return ` — add a unit, e.g. "${n}m" or "${n}h"`;
  if (Number.isInteger(n) && n >= 0 && n < 1e12 && /(^|\.)account$|^aws\.accounts\./.test(path)) {
    // YAML reads an unquoted 012345678901 as a number and drops the leading zero.
    return ` — put the 12-digit account id in quotes, e.g. "${String(n).padStart(12, "0")}"`;
  }
  return ` — put it in quotes, e.g. "${String(n)}"`;
}

function article(type: string): string {
  const t = type.replace(/,/g, " or ");
  if (t === "array") return "a list";
  if (t === "object") return "a mapping (key: value)";
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function alternativesText(e: ErrorObject): string {
  const branches = (e.schema as Array<Record<string, unknown>> | undefined) ?? [];
  const kinds = branches.map((b) => (b.type === "array" ? "a list" : b.type === "object" ? "a mapping" : `a ${String(b.type ?? "value")}`));
  return kinds.length ? `expected ${kinds.join(" or ")}` : "see the schema";
}
