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
    if (!cur || !SHA.test(cur.sha)) return;
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

const SHA = /^[0-9a-f]{40,64}$/;
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

/** `git log --merges --format=%H%x00%cI%x00`: merge commit → commit date. */
export function parseMergeDates(text: string): Map<string, string> {
  const t = text.split("\0").map((s) => s.replace(/^\n+/, ""));
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < t.length; i += 2) {
    const sha = t[i] ?? "";
    if (/^[0-9a-f]{40,64}$/.test(sha)) out.set(sha, t[i + 1] ?? "");
  }
  return out;
}
