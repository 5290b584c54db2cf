// Safe YAML reading for untrusted files: bounded size, no aliases (no "billion laughs"),
// YAML 1.2 core schema only (no custom tags, no timestamps), duplicate keys refused.
import * as yaml from "js-yaml";
import type { Problem } from "./types.js";

export const MAX_YAML_BYTES = 64 * 1024;

export type YamlResult = { ok: true; value: Record<string, unknown> } | { ok: false; problems: Problem[] };

const fail = (message: string): YamlResult => ({ ok: false, problems: [{ path: "", message }] });

export function loadYamlMapping(input: string | Uint8Array, what = "file", maxBytes = MAX_YAML_BYTES): YamlResult {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > maxBytes) {
    return fail(`the ${what} is ${size} bytes; the limit is ${maxBytes} bytes. Keep requests small: move long text out of the file`);
  }
  let text: string;
  if (typeof input === "string") text = input;
  else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(input);
    } catch {
      return fail(`the ${what} is not valid UTF-8 text; save it as UTF-8`);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.includes("\u0000")) return fail(`the ${what} contains NUL bytes (binary data?); it must be a YAML text file`);
  if (isBlank(text)) return fail(`the ${what} is empty; it must be a YAML mapping (see access-requests/examples/)`);

  let value: unknown;
  try {
    value = yaml.load(text, { schema: yaml.CORE_SCHEMA, maxAliases: 0, maxDepth: 32 });
  } catch (e) {
    const tabLine = text.split("\n").findIndex((l) => /^ *\t/.test(l));
    if (tabLine >= 0) return fail(`the ${what} is not valid YAML: line ${tabLine + 1} is indented with a tab; indent with spaces`);
    return fail(describeYamlError(e, what));
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const kind = value === null ? "empty" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    return fail(`the ${what} must be a YAML mapping of fields (key: value), but it is ${kind}`);
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function describeYamlError(e: unknown, what: string): string {
  if (!(e instanceof yaml.YAMLException)) return `the ${what} could not be read as YAML`;
  const reason = e.reason || "invalid YAML";
  const where = e.mark ? ` at line ${e.mark.line + 1}, column ${e.mark.column + 1}` : "";
  let fix = "check the indentation and quoting";
  if (/maxAliases/.test(reason)) fix = "YAML anchors and aliases (&name / *name) are not allowed; write the values out";
  else if (/duplicated mapping key/.test(reason)) fix = "each field may appear only once; remove the duplicate";
  else if (/unknown .*tag/.test(reason)) fix = "custom YAML tags (!!something) are not allowed; write plain values";
  else if (/single document/.test(reason)) fix = "the file must hold one YAML document; remove the extra '---' sections";
  else if (/maxDepth|nesting/.test(reason)) fix = "the file is nested too deeply";
  else if (/\t/.test(reason) || /tab/i.test(reason)) fix = "indent with spaces, not tabs";
  return `the ${what} is not valid YAML${where}: ${reason}; ${fix}`;
}

/** Empty, whitespace or comments only. */
export function isBlank(text: string): boolean {
  return text.split("\n").every((l) => /^\s*(#.*)?$/.test(l));
}
