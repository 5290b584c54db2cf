// Every request record on a branch in a fixed number of API calls, whatever their count: the
// contents API answers one file a call (10,000 records would be two hours of an installation's
// 5,000-an-hour budget), so the records are taken from
// - the repository's tarball (GET /repos/{o}/{r}/tarball/{ref}: one API call, redirected to
//   codeload.github.com, whose download is not an API call), and
// - the git tree of the commit the tarball was made from (GET /git/trees/{sha}?recursive=1: one
//   call), which is what is on the branch: each record's path and blob sha.
// The tree decides which records exist and which bytes are theirs: an archive entry is used only
// when its git blob sha is the tree's, because an archive can differ from the tree (a
// .gitattributes `export-ignore` leaves files out, `export-subst` rewrites them). A record the
// archive lacks or has otherwise is read as a blob (one call each); so is every record when the
// archive cannot be had. A tree GitHub truncates (over 100,000 entries or 7 MB) is walked one
// folder at a time, as GitHub advises.
import { gunzipSync } from "node:zlib";
import { REQUESTS_DIR } from "../domain/request.js";
import { MAX_YAML_BYTES } from "../domain/yaml.js";
import { gitBlobSha, type StoredFile } from "../store/record-store.js";

/** The Octokit calls this needs (@octokit/rest and ProbotOctokit have them). */
export interface GitArchiveApi {
  rest: {
    repos: {
      downloadTarballArchive(params: { owner: string; repo: string; ref: string }): Promise<{ data: unknown }>;
    };
    git: {
      getTree(params: { owner: string; repo: string; tree_sha: string; recursive?: string }): Promise<{
        data: { sha: string; truncated: boolean; tree: Array<{ path?: string; mode?: string; type?: string; sha?: string; size?: number }> };
      }>;
      getBlob(params: { owner: string; repo: string; file_sha: string }): Promise<{ data: { content: string; encoding: string; size?: number | null } }>;
    };
  };
}

export { gitBlobSha } from "../store/record-store.js";

const BLOCK = 512;

/** The string of a NUL-terminated header field. */
function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString("utf8");
}

function paxRecords(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    if (space === -1) break;
    const len = Number(data.subarray(at, space).toString("ascii"));
    if (!Number.isInteger(len) || len <= 0) break;
    const record = data.subarray(space + 1, at + len - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    at += len;
  }
  return out;
}

/**
 * The regular files of a `git archive` tar.gz (what GitHub's tarball endpoint serves) whose path,
 * without the archive's top folder, `keep` accepts; and the commit sha of the pax global header's
 * `comment`, which git archive writes. Throws on a malformed archive.
 */
export function readTarball(gz: Uint8Array, keep: (path: string) => boolean): { commit?: string; files: Map<string, Buffer> } {
  const tar = gunzipSync(gz);
  const files = new Map<string, Buffer>();
  let commit: string | undefined;
  let nextPath: string | undefined;
  for (let at = 0; at + BLOCK <= tar.length;) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const sizeField = field(h, 124, 12).trim();
    const size = parseInt(sizeField || "0", 8);
    if (!Number.isFinite(size) || size < 0) throw new Error(`the tarball has an entry with a malformed size ${JSON.stringify(sizeField)}`);
    const type = String.fromCharCode(h[156] ?? 0);
    const data = tar.subarray(at + BLOCK, at + BLOCK + size);
    if (data.length < size) throw new Error("the tarball ends inside an entry");
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === "g") {
      const c = paxRecords(data).get("comment");
      if (c && /^[0-9a-f]{40}$/.test(c)) commit = c;
      continue;
    }
    if (type === "x") {
      nextPath = paxRecords(data).get("path");
      continue;
    }
    const prefix = field(h, 345, 155);
    const name = nextPath ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    nextPath = undefined;
    if (type !== "0" && type !== "\0") continue;
    const path = name.slice(name.indexOf("/") + 1);
    if (keep(path)) files.set(path, Buffer.from(data));
  }
  return { ...(commit ? { commit } : {}), files };
}

type TreeEntry = { path: string; sha: string; size?: number };

const isRecord = (path: string) => path.startsWith(`${REQUESTS_DIR}/`) && path.endsWith(".yaml");

/** The record blobs (path, sha) under access-requests/ in the tree `sha`; a truncated listing is walked folder by folder. */
async function recordBlobs(api: GitArchiveApi, at: { owner: string; repo: string }, sha: string): Promise<TreeEntry[]> {
  const blobs = (tree: Array<{ path?: string; mode?: string; type?: string; sha?: string; size?: number }>, prefix: string): TreeEntry[] =>
    tree.flatMap((e) =>
      // A symlink (120000) or a submodule is not a record, as the contents API's listing skips them.
      e.type === "blob" && e.mode !== "120000" && e.path && e.sha && isRecord(`${prefix}${e.path}`)
        ? [{ path: `${prefix}${e.path}`, sha: e.sha, ...(e.size != null ? { size: e.size } : {}) }]
        : [],
    );
  const { data } = await api.rest.git.getTree({ ...at, tree_sha: sha, recursive: "1" });
  if (!data.truncated) return blobs(data.tree, "");
  const out: TreeEntry[] = [];
  const walk = async (treeSha: string, prefix: string): Promise<void> => {
    const { data: level } = await api.rest.git.getTree({ ...at, tree_sha: treeSha });
    // A folder GitHub cannot list whole would lose records silently: the listing fails instead.
    if (level.truncated) throw new Error(`GitHub truncated the listing of ${prefix || "the repository's root"}; the records cannot all be listed`);
    out.push(...blobs(level.tree, prefix));
    for (const e of level.tree) if (e.type === "tree" && e.path && e.sha) await walk(e.sha, `${prefix}${e.path}/`);
  };
  // The root's own listing (not recursive) is never truncated at a repository's size; only access-requests/ is walked.
  const { data: root } = await api.rest.git.getTree({ ...at, tree_sha: sha });
  const dir = root.tree.find((e) => e.path === REQUESTS_DIR && e.type === "tree");
  if (dir?.sha) await walk(dir.sha, `${REQUESTS_DIR}/`);
  return out;
}

/** What a listing cost, for the caller's log and the bench. */
export interface ArchiveListingStats {
  records: number;
  /** Records read as blobs: not in the archive as the tree has them, or no archive. */
  blobReads: number;
  /** Why the archive was not used, when it was not. */
  archiveFailure?: string;
}

/**
 * Hands every record on `branch` to `visit` (in path order), with its blob sha: the archive's bytes
 * where they hash to the tree's blob, else the blob read from the API.
 */
export async function scanRecordArchive(
  api: GitArchiveApi,
  repo: { owner: string; repo: string; branch: string },
  visit: (file: StoredFile) => void,
): Promise<ArchiveListingStats> {
  const at = { owner: repo.owner, repo: repo.repo };
  let archive: { commit?: string; files: Map<string, Buffer> } | undefined;
  let archiveFailure: string | undefined;
  try {
    const { data } = await api.rest.repos.downloadTarballArchive({ ...at, ref: repo.branch });
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) throw new Error("the tarball endpoint answered no archive");
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    archive = readTarball(bytes, isRecord);
  } catch (e) {
    // Not fatal: every record is then read as a blob, which the tree makes exact.
    archiveFailure = e instanceof Error ? e.message : String(e);
  }
  // The tree of the archive's own commit, so both describe one commit; without it (an archive not
  // written by git archive), the branch's, and any record that differs is read as a blob.
  const entries = await recordBlobs(api, at, archive?.commit ?? repo.branch);
  entries.sort((a, b) => a.path.localeCompare(b.path));
  let blobReads = 0;
  for (const e of entries) {
    if ((e.size ?? 0) > MAX_YAML_BYTES) throw new Error(`${e.path} is ${e.size} bytes, over the ${MAX_YAML_BYTES}-byte limit`);
    let bytes = archive?.files.get(e.path);
    if (!bytes || gitBlobSha(bytes) !== e.sha) {
      blobReads++;
      const { data } = await api.rest.git.getBlob({ ...at, file_sha: e.sha });
      bytes = Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8");
    }
    visit({ path: e.path, sha: e.sha, text: bytes.toString("utf8") });
  }
  return { records: entries.length, blobReads, ...(archiveFailure !== undefined ? { archiveFailure } : {}) };
}
