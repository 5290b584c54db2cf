// Where request records live: a repository's default branch. Two implementations — the GitHub
// contents API (the app, the Action) and a local git checkout (the CLI) — behind one interface.
// Writes are compare-and-swap on the file's blob sha, so two writers never lose each other's change.
import { createHash } from "node:crypto";

/** git's blob id of `data`: sha1 of "blob <length>\0" + data (what the index, the tree and the contents API call a file's sha). */
export function gitBlobSha(data: Uint8Array): string {
  return createHash("sha1").update(`blob ${data.byteLength}\0`).update(data).digest("hex");
}

export interface StoredFile {
  path: string;
  /** Git blob sha of the content read; the compare-and-swap token for the next write. */
  sha: string;
  text: string;
}

/** A request file as a scan hands it over: no blob sha, because nothing is written from a scan. */
export interface ScannedFile {
  path: string;
  text: string;
}

/** A request file as `listKnown` lists it: sha set only when the file is known to hold that git blob. */
export interface KnownFile {
  path: string;
  sha?: string;
}

/**
 * listKnown's files packed for a pass over 100,000 of them without an object or string each: file
 * i's path is the UTF-8 bytes `bytes[start[i], end[i])`, and its blob sha, where the store knows
 * the file holds exactly that blob, the 20 bytes at `shaAt[i]` of `shas` (-1: no sha, read it).
 * Files are in scan order.
 */
export interface KnownListing {
  readonly count: number;
  readonly bytes: Buffer;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly shas: Buffer;
  readonly shaAt: Int32Array;
  /**
   * The .yml files under access-requests/, tracked or not (not request files, so not listed above:
   * the report names them as misnamed). Absent when the store did not look.
   */
  readonly yml?: readonly string[];
  /** File i's path as a string. */
  path(i: number): string;
}

/** A KnownListing of listed files (in scan order already). */
export function packKnown(files: readonly KnownFile[]): KnownListing {
  const start = new Int32Array(files.length);
  const end = new Int32Array(files.length);
  const shaAt = new Int32Array(files.length).fill(-1);
  const parts: Buffer[] = [];
  const shas = Buffer.alloc(20 * files.length);
  let at = 0;
  files.forEach((f, i) => {
    const b = Buffer.from(f.path, "utf8");
    parts.push(b);
    start[i] = at;
    at += b.length;
    end[i] = at;
    if (f.sha !== undefined && /^[0-9a-f]{40}$/.test(f.sha)) {
      shas.write(f.sha, 20 * i, "hex");
      shaAt[i] = 20 * i;
    }
  });
  const paths = files.map((f) => f.path);
  return { count: files.length, bytes: Buffer.concat(parts), start, end, shas, shaAt, path: (i) => paths[i]! };
}

export interface WriteResult {
  sha: string;
  commit: string;
}

/** Thrown by `write` when the file changed since it was read (or appeared / vanished). */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
}

export interface RecordStore {
  /** Every request file under access-requests/ on the default branch. */
  list(): Promise<StoredFile[]>;
  /**
   * Every request file, handed to `visit` one at a time and not kept: for a pass over every record
   * that keeps only a little of each (the sweep's plan), so 100,000 texts are never held at once.
   * Optional: `scanRecords` falls back on `list()`.
   */
  scan?(visit: (file: ScannedFile) => void): Promise<void>;
  read(path: string): Promise<StoredFile | undefined>;
  /**
   * Every request file's path, in scan order, without reading any, and its git blob sha where the
   * store knows the file holds exactly that blob (a local checkout: a file git's index says is
   * unchanged); undefined when the store cannot list so (then `scan` it). Optional, with `readKnown`.
   */
  listKnown?(): Promise<KnownListing | KnownFile[] | undefined>;
  /** One file of `listKnown` read now, as `scan` reads it (undefined: it is gone), with the blob sha of the bytes read. */
  readKnown?(path: string): StoredFile | undefined;
  /** A private file of the store's (never committed, e.g. under .git), for caches: undefined when absent or unreadable. */
  loadPrivate?(name: string): Promise<Buffer | undefined>;
  savePrivate?(name: string, data: string | Uint8Array): Promise<void>;
  /** `expectedSha` undefined means "create; fail if it exists". */
  write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult>;
}

export type Update = { kind: "write"; text: string; message: string } | { kind: "skip"; reason: string };

export type UpdateOutcome = { kind: "written"; result: WriteResult; attempts: number } | { kind: "skipped"; reason: string; attempts: number };

/**
 * Read-decide-write with compare-and-swap: on a conflict the file is read again and `decide` runs
 * again on what is there now, so a decision is never applied to a stale record. A caller that has
 * just read the file may pass that read as `known`: the first attempt decides from it instead of
 * reading again. A stale `known` costs nothing in safety — its sha is the compare-and-swap token,
 * so a file that changed since fails the write, and the next attempt reads it; a skip decided on it
 * is decided again on a fresh read.
 */
export async function updateRecord(
  store: RecordStore,
  path: string,
  decide: (current: StoredFile | undefined) => Update,
  maxAttempts = 5,
  known?: { file: StoredFile | undefined },
): Promise<UpdateOutcome> {
  for (let attempt = 1; ; attempt++) {
    let current: StoredFile | undefined;
    let update: Update | undefined;
    if (attempt === 1 && known) {
      // Only a write is taken from the known read (its compare-and-swap checks it); a skip is
      // decided on a fresh read, as a skip writes nothing that could find the file changed.
      update = decide(known.file);
      current = known.file;
      if (update.kind === "skip") update = undefined;
    }
    if (!update) {
      current = await store.read(path);
      update = decide(current);
    }
    if (update.kind === "skip") return { kind: "skipped", reason: update.reason, attempts: attempt };
    try {
      const result = await store.write(path, update.text, { message: update.message, expectedSha: current?.sha });
      return { kind: "written", result, attempts: attempt };
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= maxAttempts) throw e;
    }
  }
}

/** Hands every request file of the store to `visit`: through `scan` when the store streams, else from `list()`. */
export async function scanRecords(store: RecordStore, visit: (file: ScannedFile) => void): Promise<void> {
  if (store.scan) return store.scan(visit);
  for (const f of await store.list()) visit(f);
}
