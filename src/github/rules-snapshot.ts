// The repository's rule files at a branch's tip in one GraphQL query: the tip's commit sha and,
// at that same commit, the config, the identities files, the issue form and the CODEOWNERS candidates. Through the contents
// API that is one call per file, a second time at the tip's sha when the PR check reads the rules
// there, plus one to resolve the tip; a GraphQL query without
// connections costs one point of a separate budget (docs.github.com/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api).
// Only what the answer states exactly is used: a regular file whose text hashes to its blob id,
// or a path with nothing there. A symlink, a folder, a binary or truncated blob, or any field
// missing is left out, and that file is read through the contents API as before.
import { CODEOWNERS_LOCATIONS } from "../domain/codeowners.js";
import { CONFIG_PATH } from "../domain/config.js";
import { IDENTITY_FILES } from "../domain/identities.js";
import { FORM_PATH } from "../domain/issue-form.js";
import { gitBlobSha } from "./record-archive.js";

// Every CODEOWNERS candidate is in it: in one query the later locations cost nothing, and the PR
// check and intake's review requests read the file GitHub uses from the same commit as the config.
export const SNAPSHOT_PATHS: readonly string[] = [CONFIG_PATH, ...IDENTITY_FILES, FORM_PATH, ...CODEOWNERS_LOCATIONS];

/** A file as the contents API answers it (GitHubRecordStore reads these fields), or absent. */
export type SnapshotFile =
  { kind: "file"; data: { type: "file"; path: string; sha: string; size: number; encoding: "base64"; content: string } } | { kind: "absent" };

export interface RulesSnapshot {
  /** The branch's tip when the query ran. */
  commit: string;
  /** Only the paths the answer settles exactly. */
  files: Map<string, SnapshotFile>;
}

/** git's file modes as GraphQL gives them (decimal). */
const REGULAR = new Set([0o100644, 0o100755]);

/** The query's variable declarations and the repository-level field that reads the files, to join with another query's. */
export function snapshotParts(paths: readonly string[]): { decls: string; field: string } {
  const files = paths.map((_, i) => `f${i}: file(path: $p${i}) { mode oid object { ... on Blob { byteSize isBinary isTruncated text } } }`).join(" ");
  return {
    decls: ["$qualified: String!", ...paths.map((_, i) => `$p${i}: String!`)].join(", "),
    field: `ref(qualifiedName: $qualified) { target { ... on Commit { oid ${files} } } }`,
  };
}

export function snapshotQuery(paths: readonly string[]): string {
  const { decls, field } = snapshotParts(paths);
  return `query($owner: String!, $name: String!, ${decls}) { repository(owner: $owner, name: $name) { ${field} } }`;
}

export function snapshotVariables(repo: { owner: string; repo: string }, branch: string, paths: readonly string[]): Record<string, string> {
  return { owner: repo.owner, name: repo.repo, qualified: `refs/heads/${branch}`, ...Object.fromEntries(paths.map((p, i) => [`p${i}`, p])) };
}

type Entry =
  { mode?: unknown; oid?: unknown; object?: { byteSize?: unknown; isBinary?: unknown; isTruncated?: unknown; text?: unknown } | null } | null | undefined;

/** The snapshot an answer states, or undefined when it does not name the tip commit. */
export function readSnapshot(answer: unknown, paths: readonly string[]): RulesSnapshot | undefined {
  const target = (answer as { repository?: { ref?: { target?: Record<string, unknown> } | null } | null } | null)?.repository?.ref?.target;
  const commit = target?.oid;
  if (typeof commit !== "string" || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
  const files = new Map<string, SnapshotFile>();
  paths.forEach((path, i) => {
    const alias = `f${i}`;
    if (!target || !(alias in target)) return;
    const e = target[alias] as Entry;
    if (e === null) {
      files.set(path, { kind: "absent" });
      return;
    }
    const blob = e?.object;
    if (!e || typeof e.oid !== "string" || typeof e.mode !== "number" || !REGULAR.has(e.mode) || !blob) return;
    if (blob.isBinary !== false || blob.isTruncated !== false || typeof blob.text !== "string" || typeof blob.byteSize !== "number") return;
    const bytes = Buffer.from(blob.text, "utf8");
    // Text that is not the blob's bytes (not UTF-8) is not used.
    if (gitBlobSha(bytes) !== e.oid || bytes.length !== blob.byteSize) return;
    files.set(path, { kind: "file", data: { type: "file", path, sha: e.oid, size: blob.byteSize, encoding: "base64", content: bytes.toString("base64") } });
  });
  return { commit, files };
}
