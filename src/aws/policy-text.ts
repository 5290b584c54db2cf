// Policy documents as text: what is attached, and when two JSON texts are the same document
// (an existing policy or schedule input is reused only when it is). Pure.
import type { PolicyDocument } from "../domain/types.js";

/** JSON texts equal as values (key order and whitespace ignored); false when either is not JSON. */
export function sameJson(a: string, b: string): boolean {
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Compact JSON: what we attach, and what size limits count. */
export function policyText(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}
