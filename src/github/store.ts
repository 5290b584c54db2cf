// The record store on GitHub: request files on the default branch through the contents API.
// The blob sha is the compare-and-swap token (GitHub answers 409 on a stale sha, 422 when a sha
// is missing for an existing file) — both become ConflictError so updateRecord retries.
import { REQUESTS_DIR } from "../domain/request.js";
import { MAX_YAML_BYTES } from "../domain/yaml.js";
import { ConflictError, type RecordStore, type ScannedFile, type StoredFile, type WriteResult } from "../store/record-store.js";
import { scanRecordArchive, type ArchiveListingStats, type GitArchiveApi } from "./record-archive.js";

/** The few Octokit calls the store needs; both ProbotOctokit and @octokit/rest satisfy it. */
export interface ContentsApi {
  rest: {
    repos: {
      getContent(params: { owner: string; repo: string; path: string; ref?: string }): Promise<{ data: unknown }>;
      createOrUpdateFileContents(params: {
        owner: string;
        repo: string;
        path: string;
        message: string;
        content: string;
        branch?: string;
        sha?: string;
      }): Promise<{ data: { content?: { sha?: string } | null; commit: { sha?: string; parents?: Array<{ sha?: string }> } } }>;
    };
  };
}

interface ContentEntry {
  type: string;
  path: string;
  sha: string;
  size?: number;
  content?: string;
  encoding?: string;
}

export class GitHubRecordStore implements RecordStore {
  /** What the last listing through the archive cost (see record-archive.ts). */
  lastListing: ArchiveListingStats | undefined;

  /**
   * With `archive`, list and scan take every record from the branch's tarball and git tree (two
   * API calls, whatever the number of records) instead of one contents call per file and folder.
   */
  constructor(
    private readonly api: ContentsApi,
    private readonly repo: { owner: string; repo: string; branch: string },
    private readonly opts: { archive?: GitArchiveApi } = {},
  ) {}

  async scan(visit: (file: ScannedFile) => void): Promise<void> {
    if (this.opts.archive) {
      this.lastListing = await scanRecordArchive(this.opts.archive, this.repo, visit);
      return;
    }
    for (const f of await this.list()) visit(f);
  }

  async read(path: string, ref = this.repo.branch): Promise<StoredFile | undefined> {
    let data: unknown;
    try {
      ({ data } = await this.api.rest.repos.getContent({ owner: this.repo.owner, repo: this.repo.repo, path, ref }));
    } catch (e) {
      if (status(e) === 404) return undefined;
      throw e;
    }
    const entry = data as ContentEntry;
    if (Array.isArray(data) || entry.type !== "file") throw new Error(`${path} is a ${Array.isArray(data) ? "directory" : entry.type}, not a file`);
    if ((entry.size ?? 0) > MAX_YAML_BYTES) throw new Error(`${path} is ${entry.size} bytes, over the ${MAX_YAML_BYTES}-byte limit`);
    const text = Buffer.from(entry.content ?? "", (entry.encoding as BufferEncoding | undefined) ?? "base64").toString("utf8");
    return { path, sha: entry.sha, text };
  }

  async list(): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    if (this.opts.archive) {
      this.lastListing = await scanRecordArchive(this.opts.archive, this.repo, (f) => out.push(f));
      return out;
    }
    const walk = async (dir: string): Promise<void> => {
      let data: unknown;
      try {
        ({ data } = await this.api.rest.repos.getContent({ owner: this.repo.owner, repo: this.repo.repo, path: dir, ref: this.repo.branch }));
      } catch (e) {
        if (status(e) === 404) return;
        throw e;
      }
      if (!Array.isArray(data)) return;
      for (const e of data as ContentEntry[]) {
        if (e.type === "dir") await walk(e.path);
        else if (e.type === "file" && e.path.endsWith(".yaml")) {
          const f = await this.read(e.path);
          if (f) out.push(f);
        }
      }
    };
    await walk(REQUESTS_DIR);
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    try {
      const { data } = await this.api.rest.repos.createOrUpdateFileContents({
        owner: this.repo.owner,
        repo: this.repo.repo,
        path,
        branch: this.repo.branch,
        message: opts.message,
        content: Buffer.from(text, "utf8").toString("base64"),
        ...(opts.expectedSha ? { sha: opts.expectedSha } : {}),
      });
      return { sha: data.content?.sha ?? "", commit: data.commit.sha ?? "" };
    } catch (e) {
      const s = status(e);
      // 409: stale sha. 422 "sha wasn't supplied": the file appeared since it was read.
      if (s === 409 || (s === 422 && /sha/i.test(String((e as Error).message)))) throw new ConflictError(`${path} changed since it was read (GitHub ${s})`);
      throw e;
    }
  }
}

export function status(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}
