// Errors as data. Every refusal the product makes is a Problem with a stable code (`<area>.<rule>`),
// a field path and a message for people. Decisions return one Result shape; callers branch on
// `ok` and codes, never on wording. Pure.
import type { Problem, ProblemCode } from "./types.js";

export type { Problem, ProblemCode, ProblemArea } from "./types.js";

/** The one result shape of a decision or a parse: a value, or the problems that stop it. */
export type Result<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** The grammar of a code: an area and a rule, lower-case words joined by hyphens (dots nest). */
export const PROBLEM_CODE = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9.-]*$/;

export function problem(code: ProblemCode, message: string, path = ""): Problem {
  return { code, path, message };
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(...problems: Problem[]): Result<T> {
  return { ok: false, problems };
}

/** The distinct codes of some problems, in order of first appearance. */
export function codesOf(problems: readonly Problem[]): ProblemCode[] {
  return [...new Set(problems.map((p) => p.code).filter((c): c is ProblemCode => c !== undefined))];
}

/** `path: message` — how a problem is shown in a comment, a check or a CLI line. */
export function describeProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** The same problems with `prefix` before each message, e.g. the field a nested parse was reading. */
export function prefixMessages(prefix: string, problems: readonly Problem[]): Problem[] {
  return problems.map((p) => ({ ...p, message: `${prefix}${p.message}` }));
}
