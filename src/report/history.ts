// The commit history of access-requests/ as the report reads it. Parsing is pure; the git call
// lives in git.ts. Format: `git log -z --name-status --no-renames --format=<LOG_FORMAT>`:
// a record separator, then sha, parents, author date, committer date and the raw message, NUL
// separated (git refuses NUL in messages, so a message cannot forge a field), then NUL-separated
// status/path pairs.
import { parseTrailers } from "../domain/records.js";

export const LOG_FORMAT = "%x1e%H%x00%P%x00%aI%x00%cI%x00%B";

export interface FileChange {
  /** A, M, D, T (git's letters; renames are off). */
  status: string;
  path: string;
}

export interface HistoryCommit {
  sha: string;
  parents: string[];
  authorDate: string;
  commitDate: string;
  subject: string;
  body: string;
  trailers: Record<string, string[]>;
  files: FileChange[];
}

export function parseGitLog(text: string): HistoryCommit[] {
  const out: HistoryCommit[] = [];
  const parser = new GitLogParser((c) => out.push(c));
  parser.push(text);
  parser.end();
  return out;
}

/**
 * parseGitLog over a stream: push() the log text in chunks cut anywhere, then end(); each commit
 * goes to `onCommit` as soon as it is complete, so a 100,000-request history (~300,000 commits,
 * ~75 MB of log) is never held, as text or as commits. A commit is: its head token (record
 * separator and sha), four fields (parents, author date, committer date, message), then
 * status/path pairs; a token that is no status letter ends it.
 */
export class GitLogParser {
  private partial = "";
  private current: { sha: string; fields: string[]; files: FileChange[] } | undefined;
  private status: string | undefined;

  constructor(private readonly onCommit: (commit: HistoryCommit) => void) {}

  push(chunk: string): void {
    const tokens = (this.partial + chunk).split("\0");
    this.partial = tokens.pop() ?? "";
    for (const t of tokens) this.token(t);
  }

  end(): void {
    this.token(this.partial);
    this.partial = "";
    this.finish();
  }

  private token(t: string): void {
    const cur = this.current;
    if (cur) {
      if (cur.fields.length < 4) {
        cur.fields.push(t);
        return;
      }
      if (this.status !== undefined) {
        cur.files.push({ status: this.status, path: t });
        this.status = undefined;
        return;
      }
      const s = stripNewlines(t);
      if (isStatus(s)) {
        this.status = s.charAt(0);
        return;
      }
      this.finish();
    }
    const head = stripNewlines(t);
    if (head.charCodeAt(0) === 0x1e) this.current = { sha: head.slice(1), fields: [], files: [] };
  }

  private finish(): void {
    const cur = this.current;
    this.current = undefined;
    // A status whose path never came (the log was cut) is dropped.
    this.status = undefined;
    if (!cur || !isSha(cur.sha)) return;
    const [parentsText = "", authorDate = "", commitDate = "", raw = ""] = cur.fields;
    const parents = parentsText === "" ? [] : parentsText.split(" ").filter(Boolean);
    const message = raw.includes("\r") ? raw.replace(/\r/g, "") : raw;
    const trimmed = message.trimEnd();
    const nl = trimmed.indexOf("\n");
    this.onCommit({
      sha: cur.sha,
      parents,
      authorDate,
      commitDate,
      subject: nl < 0 ? trimmed : trimmed.slice(0, nl),
      body: trimmed,
      trailers: parseTrailers(trimmed),
      files: cur.files,
    });
  }
}

/** /^[0-9a-f]{40,64}$/, without a regular expression (it runs for every commit of a long history). */
export function isSha(s: string): boolean {
  const n = s.length;
  if (n < 40 || n > 64) return false;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
const STATUS_LETTERS = "ACDMRTUXB";

function stripNewlines(t: string): string {
  if (t.charCodeAt(0) !== 10) return t;
  let k = 1;
  while (t.charCodeAt(k) === 10) k++;
  return t.slice(k);
}

/** git's status letter, with a score for copies and renames: /^[ACDMRTUXB][0-9]*$/. */
function isStatus(t: string): boolean {
  if (t.length === 0 || !STATUS_LETTERS.includes(t.charAt(0))) return false;
  for (let k = 1; k < t.length; k++) {
    const c = t.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * `git log --merges --format=%H%x00%cI%x00`: merge commit → commit date. NUL-separated fields,
 * each without its leading newlines, taken in pairs; a pair whose first field is no sha is skipped.
 * Scanned in place: one line per merge commit of the whole repository.
 */
export function parseMergeDates(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let start = 0;
  let sha: string | undefined;
  for (;;) {
    const found = text.indexOf("\0", start);
    // The text after the last NUL is a field too (as in split("\0")): it can complete a pair.
    const end = found < 0 ? text.length : found;
    if (found < 0 && sha === undefined) return out;
    let from = start;
    while (from < end && text.charCodeAt(from) === 10) from++;
    const field = text.slice(from, end);
    if (sha === undefined) sha = field;
    else {
      if (isSha(sha)) out.set(sha, field);
      sha = undefined;
    }
    if (found < 0) return out;
    start = end + 1;
  }
}
