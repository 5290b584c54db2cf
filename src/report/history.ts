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
  // A 100,000-request history is ~300,000 commits and ~2 million tokens: no regex or copy per
  // token where a character test does, since the report's time goes mostly to the allocator.
  const tokens = text.split("\0");
  const out: HistoryCommit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const head = stripNewlines(tokens[i] ?? "");
    if (head.charCodeAt(0) !== 0x1e) {
      i++;
      continue;
    }
    const sha = head.slice(1);
    const parentsText = tokens[i + 1] ?? "";
    const parents = parentsText === "" ? [] : parentsText.split(" ").filter(Boolean);
    const authorDate = tokens[i + 2] ?? "";
    const commitDate = tokens[i + 3] ?? "";
    const raw = tokens[i + 4] ?? "";
    const message = raw.includes("\r") ? raw.replace(/\r/g, "") : raw;
    i += 5;
    const files: FileChange[] = [];
    while (i < tokens.length) {
      const t = stripNewlines(tokens[i] ?? "");
      if (!isStatus(t)) break;
      const path = tokens[i + 1];
      if (path === undefined) break;
      files.push({ status: t.charAt(0), path });
      i += 2;
    }
    if (!SHA.test(sha)) continue;
    const trimmed = message.trimEnd();
    const nl = trimmed.indexOf("\n");
    out.push({
      sha,
      parents,
      authorDate,
      commitDate,
      subject: nl < 0 ? trimmed : trimmed.slice(0, nl),
      body: trimmed,
      trailers: parseTrailers(trimmed),
      files,
    });
  }
  return out;
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
