// In-memory stand-ins for the GitHub side, for fast use-case and handler tests: a record store
// with real compare-and-swap (a write carrying a stale blob sha is a ConflictError), and hooks to
// let a "concurrent writer" in between a read and a write. The HTTP fake GitHub stays the stand-in
// for the end-to-end suites.
import { createHash } from "node:crypto";
import { REQUESTS_DIR } from "../../src/domain/request.js";
import { ConflictError, type RecordStore, type StoredFile, type WriteResult } from "../../src/store/record-store.js";

export interface MemoryCommit {
  sha: string;
  path: string;
  message: string;
}

const blobSha = (text: string) => createHash("sha1").update(`blob ${Buffer.byteLength(text)}\0${text}`).digest("hex");
/** Yields to other promises, so concurrent callers interleave as they do against a server. */
const tick = () => new Promise<void>((r) => setImmediate(r));

export class MemoryRecordStore implements RecordStore {
  readonly files = new Map<string, string>();
  readonly commits: MemoryCommit[] = [];
  /** Runs once before the next write is checked: a concurrent writer's chance to get in first. */
  beforeNextWrite: ((store: MemoryRecordStore) => void) | undefined;

  constructor(files: Record<string, string> = {}) {
    for (const [p, t] of Object.entries(files)) this.files.set(p, t);
  }

  async read(path: string): Promise<StoredFile | undefined> {
    await tick();
    const text = this.files.get(path);
    return text === undefined ? undefined : { path, sha: blobSha(text), text };
  }

  async list(): Promise<StoredFile[]> {
    await tick();
    return [...this.files.keys()]
      .filter((p) => p.startsWith(`${REQUESTS_DIR}/`) && p.endsWith(".yaml"))
      .sort()
      .map((p) => ({ path: p, sha: blobSha(this.files.get(p)!), text: this.files.get(p)! }));
  }

  async write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    await tick();
    const hook = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    hook?.(this);
    const current = this.files.get(path);
    if ((current === undefined ? undefined : blobSha(current)) !== opts.expectedSha) throw new ConflictError(`${path} changed since it was read`);
    return this.commit(path, text, opts.message);
  }

  /** A write that bypasses compare-and-swap: what another writer committed. */
  commit(path: string, text: string, message: string): WriteResult {
    this.files.set(path, text);
    const sha = createHash("sha1").update(`${this.commits.length} ${path} ${message}`).digest("hex");
    this.commits.push({ sha, path, message });
    return { sha: blobSha(text), commit: sha };
  }
}
