// CODEOWNERS, read the way GitHub reads it: who owns a path, by the last matching line.
// Pure: the app fetches the file (at the PR's base SHA) and passes its text in.
//
// Semantics (GitHub's documentation, cross-checked with hmarr/codeowners' pattern table):
// - blank lines and lines starting with `#` are ignored; a `#` token after the pattern starts
//   a trailing comment;
// - `pattern owner...`, owners are `@login`, `@org/team` or an e-mail address;
// - a leading `/` (or any `/` before the last character) anchors the pattern to the root; a
//   pattern without one matches at any depth;
// - a trailing `/` matches only inside a directory; a pattern whose last segment is not a lone
//   `*` also matches everything below what it names (`docs/*` matches `docs/a.md`, not
//   `docs/x/a.md`);
// - `*` and `?` never cross `/`; a `**` segment matches any number of directories;
// - `\` escapes the next character (`\ ` for a space, `\*` for a literal star);
// - the LAST matching line wins; a matching line without owners means "no owners";
// - `!` negation, `[ ]` ranges and escaping a leading `#` do not work on GitHub: such lines are
//   reported and skipped, as GitHub skips lines with invalid syntax.
// Patterns are matched segment by segment with a backtracking-free wildcard walk, never through
// a RegExp built from the pattern, so no pattern can make matching slow.

import { show } from "./text.js";
import { fail, ok, problem, type Result } from "./problems.js";

/** GitHub's search order; the first file that exists is the one GitHub uses. */
export const CODEOWNERS_LOCATIONS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] as const;

/** GitHub does not load a CODEOWNERS file of 3 MB or more. */
export const MAX_CODEOWNERS_CHARS = 3 * 1024 * 1024;
/** Bounds of our own, far above any real file; a file beyond them is not used at all. */
export const MAX_CODEOWNERS_LINES = 50_000;
export const MAX_CODEOWNERS_LINE_CHARS = 4096;
export const MAX_OWNERS_PER_LINE = 200;
/** Warnings kept per file; the rest are counted in one last warning. */
export const MAX_CODEOWNERS_WARNINGS = 50;
/** Longest path looked up (git's own limit is about 4096 bytes). */
export const MAX_PATH_CHARS = 4096;

/** One usable line of the file. */
export interface CodeownersRule {
  /** 1-based line number in the file. */
  line: number;
  /** The pattern as written (escapes included). */
  pattern: string;
  /** `@login` and `@org/team` owners, as written; empty means "no owners". */
  owners: string[];
  /** E-mail owners: valid syntax, but they cannot be tied to a GitHub account, so they never approve. */
  emails: string[];
  /** Whether the pattern matches a repository-relative path (no leading `/`). */
  matches(path: string): boolean;
}

export interface CodeownersWarning {
  /** 1-based line number; 0 for the whole file. */
  line: number;
  message: string;
}

export interface ParsedCodeowners {
  /** Where the text came from, e.g. `.github/CODEOWNERS`, when known. */
  source?: string;
  /** Usable lines in file order (the last match wins). */
  rules: CodeownersRule[];
  /** Lines GitHub would skip, e-mail owners ignored, and other things worth saying. */
  warnings: CodeownersWarning[];
  /** Set when the file as a whole cannot be used (too large, binary): then `rules` is empty. */
  error?: string;
}

/** Who owns one path. */
export interface Ownership {
  /** `@login` and `@org/team` owners of the last matching line; empty when none matched or the line has none. */
  owners: string[];
  /** Line of the last matching rule; absent when no rule matched. */
  line?: number;
  /** The winning pattern, as written. */
  pattern?: string;
  /** E-mail owners on the winning line, which were ignored. */
  ignoredEmails?: string[];
}

const USER_OWNER = /^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const TEAM_OWNER = /^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const EMAIL_OWNER = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}$/;
// Control characters (other than tab) make a line unreadable; GitHub would not match them either.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Pick the CODEOWNERS file GitHub would use: the first of {@link CODEOWNERS_LOCATIONS} that exists.
 *  `text: undefined` must mean "confirmed absent" (404); when a read failed, do not call this —
 *  falling back to a lower-priority file would use owners GitHub does not use. */
export function pickCodeowners(files: ReadonlyArray<{ path: string; text: string | undefined }>): { path: string; text: string } | undefined {
  for (const location of CODEOWNERS_LOCATIONS) {
    const found = files.find((f) => f.path.replace(/^\/+/, "") === location && typeof f.text === "string");
    if (found && typeof found.text === "string") return { path: location, text: found.text };
  }
  return undefined;
}

/** Parse a CODEOWNERS file. Never throws; what GitHub would skip is skipped and reported. */
export function parseCodeowners(text: unknown, source?: string): ParsedCodeowners {
  const base = source === undefined ? {} : { source };
  const unusable = (error: string): ParsedCodeowners => ({ ...base, rules: [], warnings: [{ line: 0, message: error }], error });
  if (typeof text !== "string") return unusable("CODEOWNERS is not text; no code owners apply");
  if (text.length >= MAX_CODEOWNERS_CHARS) {
    return unusable(`CODEOWNERS is ${text.length} characters; GitHub ignores files of 3 MB or more, so no code owners apply — split it or shorten it`);
  }
  if (text.includes("\u0000")) return unusable("CODEOWNERS contains NUL bytes (a binary file?); no code owners apply");
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (lines.length > MAX_CODEOWNERS_LINES) {
    return unusable(`CODEOWNERS has ${lines.length} lines, more than the ${MAX_CODEOWNERS_LINES} this app reads; no code owners apply — shorten it`);
  }
  const rules: CodeownersRule[] = [];
  const warnings: CodeownersWarning[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? "").replace(/\r$/, "");
    if (raw.length > MAX_CODEOWNERS_LINE_CHARS) {
      // Skipping an over-long line could hand its paths to an earlier, wider line; refuse the file instead.
      return unusable(
        `CODEOWNERS line ${lineNo} is ${raw.length} characters, more than the ${MAX_CODEOWNERS_LINE_CHARS} this app reads; no code owners apply — shorten it`,
      );
    }
    const parsed = parseLine(raw);
    if (parsed.kind === "skip") continue;
    if (parsed.kind === "invalid") {
      warnings.push({ line: lineNo, message: `line ${lineNo} skipped (GitHub ignores invalid lines): ${parsed.message}` });
      continue;
    }
    if (parsed.owners.length > MAX_OWNERS_PER_LINE) {
      return unusable(
        `CODEOWNERS line ${lineNo} names ${parsed.owners.length} owners, more than the ${MAX_OWNERS_PER_LINE} this app reads; no code owners apply — use a team`,
      );
    }
    const owners: string[] = [];
    const emails: string[] = [];
    let badOwner: string | undefined;
    for (const o of parsed.owners) {
      if (USER_OWNER.test(o) || TEAM_OWNER.test(o)) owners.push(o);
      else if (EMAIL_OWNER.test(o)) emails.push(o);
      else {
        badOwner = o;
        break;
      }
    }
    if (badOwner !== undefined) {
      warnings.push({
        line: lineNo,
        message: `line ${lineNo} skipped (GitHub ignores invalid lines): owner ${quote(badOwner)} is not @login, @org/team or an e-mail address`,
      });
      continue;
    }
    const compiled = compilePattern(parsed.pattern);
    if (!compiled.ok) {
      warnings.push({
        line: lineNo,
        message: `line ${lineNo} skipped (GitHub ignores invalid lines): pattern ${quote(parsed.pattern)} ${compiled.problems.map((p) => p.message).join("; ")}`,
      });
      continue;
    }
    if (emails.length) {
      warnings.push({
        line: lineNo,
        message: `line ${lineNo}: e-mail owner${emails.length > 1 ? "s" : ""} ${emails.join(", ")} ignored — an e-mail cannot be tied to a reviewing account; use @login or @org/team`,
      });
    }
    if (parsed.comment) {
      warnings.push({
        line: lineNo,
        message: `line ${lineNo}: the trailing comment was ignored; GitHub documents comments only on their own line, so move it to a line starting with #`,
      });
    }
    rules.push({ line: lineNo, pattern: parsed.pattern, owners, emails, matches: compiled.value });
  }
  return { ...base, rules, warnings: capWarnings(warnings) };
}

/** Owners of `path` (repository-relative): the last matching rule wins. */
export function ownersOf(parsed: ParsedCodeowners, path: string): Ownership {
  if (typeof path !== "string" || path.length === 0 || path.length > MAX_PATH_CHARS) return { owners: [] };
  const p = path.replace(/^\/+/, "");
  for (let i = parsed.rules.length - 1; i >= 0; i--) {
    const rule = parsed.rules[i];
    if (!rule || !rule.matches(p)) continue;
    const out: Ownership = { owners: [...rule.owners], line: rule.line, pattern: rule.pattern };
    if (rule.emails.length) out.ignoredEmails = [...rule.emails];
    return out;
  }
  return { owners: [] };
}

type LineResult = { kind: "skip" } | { kind: "invalid"; message: string } | { kind: "rule"; pattern: string; owners: string[]; comment: boolean };

function parseLine(line: string): LineResult {
  const trimmed = line.replace(/^[ \t]+/, "");
  if (trimmed === "") return { kind: "skip" };
  if (trimmed.startsWith("#")) return { kind: "skip" };
  if (CONTROL.test(trimmed)) return { kind: "invalid", message: "it contains control characters" };
  if (trimmed.startsWith("\\#")) return { kind: "invalid", message: "escaping a leading # with \\ does not work on GitHub" };
  // The pattern runs to the first unescaped space or tab.
  let i = 0;
  let pattern = "";
  while (i < trimmed.length) {
    const c = trimmed[i] as string;
    if (c === "\\") {
      const next = trimmed[i + 1];
      if (next === undefined) return { kind: "invalid", message: "the pattern ends with a lone \\" };
      pattern += c + next;
      i += 2;
      continue;
    }
    if (c === " " || c === "\t") break;
    pattern += c;
    i++;
  }
  const owners: string[] = [];
  let comment = false;
  for (const token of trimmed.slice(i).split(/[ \t]+/)) {
    if (token === "") continue;
    if (token.startsWith("#")) {
      comment = true;
      break;
    }
    owners.push(token);
  }
  return { kind: "rule", pattern, owners, comment };
}

// ---------------------------------------------------------------------------------------------
// Patterns

/** One path segment pattern: `*` and `?` wildcards over literal characters. */
type CharToken = { kind: "lit"; ch: string } | { kind: "one" } | { kind: "star" };
/** A pattern over path segments. `globstar`: zero or more segments; `segment`: exactly one. */
type SegToken = { kind: "globstar" } | { kind: "segment"; chars: CharToken[]; nonEmpty: boolean };

/** A pattern GitHub ignores: the line is skipped, said with what is wrong after the pattern ("is empty"). */
const badPattern = (why: string): Result<never> => fail(problem("approval.codeowners-pattern", why));

/** Compile a CODEOWNERS pattern into its matcher over repository paths. Exported for tests and for explaining decisions. */
export function compilePattern(pattern: string): Result<(path: string) => boolean> {
  if (pattern === "") return badPattern("is empty");
  if (pattern.startsWith("!")) return badPattern("negates with !, which does not work on GitHub; list the paths that should have owners instead");
  // Split on unescaped `/`, keeping escapes for the segment parser.
  const rawSegs: string[] = [];
  let cur = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "\\") {
      const next = pattern[i + 1];
      if (next === undefined) return badPattern("ends with a lone \\");
      cur += c + next;
      i++;
      continue;
    }
    if (c === "[" || c === "]") return badPattern("uses [ ], and character ranges do not work on GitHub; spell the paths out");
    if (c === "/") {
      rawSegs.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  rawSegs.push(cur);

  if (pattern === "/") return ok(() => false);
  let segs = rawSegs;
  const anchoredByLeadingSlash = segs[0] === "";
  if (anchoredByLeadingSlash) segs = segs.slice(1);
  const trailingSlash = segs.length > 1 && segs[segs.length - 1] === "";
  if (trailingSlash) segs = segs.slice(0, -1);
  if (segs.some((s) => s === "")) return badPattern("has an empty path segment (//)");
  if (segs.some((s) => s.includes("***"))) return badPattern("has three or more consecutive *; use * or **");
  // A pattern with no `/` except a trailing one matches at any depth.
  if (!anchoredByLeadingSlash && segs.length === 1 && segs[0] !== "**") segs = ["**", ...segs];

  const tokens: SegToken[] = [];
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === "**") {
      if (i === 0 && last) {
        // `**` alone: every path (one or more segments).
        tokens.push(anySegment(), { kind: "globstar" });
      } else if (last) {
        tokens.push(anySegment(), { kind: "globstar" }); // `dir/**`: something inside dir
      } else tokens.push({ kind: "globstar" });
      return;
    }
    tokens.push(segmentToken(seg));
    if (last && trailingSlash)
      tokens.push(anySegment(), { kind: "globstar" }); // only inside the directory
    else if (last && seg !== "*") tokens.push({ kind: "globstar" }); // the file, or anything below the directory
  });
  const compact = collapseGlobstars(tokens);
  return ok((path: string) => matchSegments(compact, path.split("/")));
}

function anySegment(): SegToken {
  return { kind: "segment", chars: [{ kind: "star" }], nonEmpty: true };
}

function segmentToken(seg: string): SegToken {
  const chars: CharToken[] = [];
  const cps = Array.from(seg); // code points, so `?` is one character even outside the BMP
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as string;
    if (c === "\\") {
      chars.push({ kind: "lit", ch: cps[i + 1] ?? "" });
      i++;
    } else if (c === "*") {
      // `**` inside a segment is an ordinary `*` (gitignore); consecutive stars are one star.
      if (chars[chars.length - 1]?.kind !== "star") chars.push({ kind: "star" });
    } else if (c === "?") chars.push({ kind: "one" });
    else chars.push({ kind: "lit", ch: c });
  }
  // A lone `*` segment names something, so it needs at least one character.
  return { kind: "segment", chars, nonEmpty: seg === "*" };
}

function collapseGlobstars(tokens: SegToken[]): SegToken[] {
  const out: SegToken[] = [];
  for (const t of tokens) {
    if (t.kind === "globstar" && out[out.length - 1]?.kind === "globstar") continue;
    out.push(t);
  }
  return out;
}

/**
 * Wildcard matching where `globstar` matches any run of segments and every other token matches
 * exactly one. The greedy walk with a single backtrack point is exact for such patterns and takes
 * at most O(tokens × segments) token tests; the same walk matches characters inside a segment.
 */
function matchSegments(tokens: SegToken[], segs: string[]): boolean {
  let t = 0;
  let s = 0;
  let starT = -1;
  let starS = 0;
  while (s < segs.length) {
    const tok = tokens[t];
    if (tok && tok.kind === "globstar") {
      starT = t++;
      starS = s;
      continue;
    }
    if (tok && matchSegment(tok, segs[s] as string)) {
      t++;
      s++;
      continue;
    }
    if (starT < 0) return false;
    t = starT + 1;
    s = ++starS;
  }
  while (t < tokens.length && tokens[t]?.kind === "globstar") t++;
  return t === tokens.length;
}

function matchSegment(tok: Extract<SegToken, { kind: "segment" }>, segment: string): boolean {
  if (tok.nonEmpty && segment.length === 0) return false;
  const p = tok.chars;
  const seg = /^[\x20-\x7e]*$/.test(segment) ? segment : Array.from(segment);
  let i = 0;
  let j = 0;
  let starI = -1;
  let starJ = 0;
  while (j < seg.length) {
    const c = p[i];
    if (c && c.kind === "star") {
      starI = i++;
      starJ = j;
      continue;
    }
    if (c && (c.kind === "one" || c.ch === seg[j])) {
      i++;
      j++;
      continue;
    }
    if (starI < 0) return false;
    i = starI + 1;
    j = ++starJ;
  }
  while (i < p.length && p[i]?.kind === "star") i++;
  return i === p.length;
}

function capWarnings(warnings: CodeownersWarning[]): CodeownersWarning[] {
  if (warnings.length <= MAX_CODEOWNERS_WARNINGS) return warnings;
  return [...warnings.slice(0, MAX_CODEOWNERS_WARNINGS), { line: 0, message: `and ${warnings.length - MAX_CODEOWNERS_WARNINGS} more warnings` }];
}

function quote(s: string): string {
  return show(s, 60);
}
