// Safe YAML reading for untrusted files: bounded size, no aliases (no "billion laughs"),
// YAML 1.2 core schema only (no custom tags, no timestamps), duplicate keys refused.
import * as yaml from "js-yaml";
import { problem, type ProblemCode, type Result } from "./problems.js";

export const MAX_YAML_BYTES = 64 * 1024;

export type YamlResult = Result<Record<string, unknown>>;

const fail = (code: ProblemCode, message: string): YamlResult => ({ ok: false, problems: [problem(code, message)] });

export function loadYamlMapping(input: string | Uint8Array, what = "file", maxBytes = MAX_YAML_BYTES): YamlResult {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > maxBytes) {
    return fail("yaml.too-large", `the ${what} is ${size} bytes; the limit is ${maxBytes} bytes. Keep requests small: move long text out of the file`);
  }
  let text: string;
  if (typeof input === "string") text = input;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch {
      return fail("yaml.not-utf8", `the ${what} is not valid UTF-8 text; save it as UTF-8`);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes("\u0000")) return fail("yaml.binary", `the ${what} contains NUL bytes (binary data?); it must be a YAML text file`);
  if (isBlank(text)) return fail("yaml.empty", `the ${what} is empty; it must be a YAML mapping (see access-requests/examples/)`);

  let value: unknown;
  try {
    value = yaml.load(text, { schema: yaml.CORE_SCHEMA, maxAliases: 0, maxDepth: 32 });
  } catch (e) {
    const tabLine = text.split("\n").findIndex((l) => /^ *\t/.test(l));
    if (tabLine >= 0) return fail("yaml.tab-indent", `the ${what} is not valid YAML: line ${tabLine + 1} is indented with a tab; indent with spaces`);
    const d = describeYamlError(e, what);
    return fail(d.code, d.message);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "empty" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    return fail("yaml.not-mapping", `the ${what} must be a YAML mapping of fields (key: value), but it is ${kind}`);
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function describeYamlError(e: unknown, what: string): { code: ProblemCode; message: string } {
  if (!(e instanceof yaml.YAMLException)) return { code: "yaml.syntax", message: `the ${what} could not be read as YAML` };
  const reason = e.reason || "invalid YAML";
  const where = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
  let code: ProblemCode = "yaml.syntax";
  let fix = "check the indentation and quoting";
  if (/maxAliases/.test(reason)) [code, fix] = ["yaml.alias", "YAML anchors and aliases (&name / *name) are not allowed; write the values out"];
  else if (/duplicated mapping key/.test(reason)) [code, fix] = ["yaml.duplicate-key", "each field may appear only once; remove the duplicate"];
  else if (/unknown .*tag/.test(reason)) [code, fix] = ["yaml.custom-tag", "custom YAML tags (!!something) are not allowed; write plain values"];
  else if (/single document/.test(reason)) [code, fix] = ["yaml.multiple-documents", "the file must hold one YAML document; remove the extra '---' sections"];
  else if (/maxDepth|nesting/.test(reason)) [code, fix] = ["yaml.too-deep", "the file is nested too deeply"];
  else if (/\t/.test(reason) || /tab/i.test(reason)) [code, fix] = ["yaml.tab-indent", "indent with spaces, not tabs"];
  return { code, message: `the ${what} is not valid YAML${where}: ${reason}; ${fix}` };
}

/** Empty, whitespace or comments only. */
export function isBlank(text: string): boolean {
  return text.split("\n").every((l) => /^\s*(#.*)?$/.test(l));
}
