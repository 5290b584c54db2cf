// The record store in a local git checkout (the CLI): request files in the working tree under
// access-requests/, each write one commit of that one path. The compare-and-swap token is the
// file's git blob sha — the same value `git hash-object --no-filters <file>` prints and the
// contents API returns — computed in-process, so listing 10,000 files spawns no processes.
//
// A write holds two locks: an in-process one per checkout (two stores or two sweeps in one
// process serialize) and a lock file in the git directory (two processes on one checkout
// serialize). Under them it compares the current blob sha with the expected one, writes the
// file and commits exactly that path (`git commit --only`), so other staged changes stay staged.
// git runs through execFile with argument arrays — never a shell.
import { execFile } from "node:child_process";
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync } from "node:fs";
import type { BigIntStats } from "node:fs";
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { REQUESTS_DIR } from "../domain/request.js";
import { MAX_YAML_BYTES } from "../domain/yaml.js";
import { type IndexFolder, parseIndex, scanOrderOf } from "./git-index.js";
import {
  ConflictError,
  gitBlobSha,
  type KnownFile,
  type KnownListing,
  type RecordStore,
  type ScannedFile,
  type StoredFile,
  type WriteResult,
} from "./record-store.js";

const run = promisify(execFile);

export { gitBlobSha } from "./record-store.js";

export interface GitRecordStoreOptions {
  /** The git executable (default "git" on PATH). */
  git?: string;
  /** How long to wait for another process's lock before giving up (ms, default 60 s). */
  lockTimeoutMs?: number;
  /** A lock file older than this is taken to be left by a crashed process (ms, default 10 min). */
  staleLockMs?: number;
}

interface Where {
  gitDir: string;
  indexPath: string;
  objectFormat: string;
  prefix: string;
}

let listBuffer = Buffer.alloc(0);

const inProcess = new Map<string, Promise<unknown>>();

export class GitRecordStore implements RecordStore {
  readonly root: string;
  private readonly git: string;
  private readonly lockTimeoutMs: number;
  private readonly staleLockMs: number;
  private gitDir: string | undefined;
  private whereP: Promise<Where> | undefined;
  /** realFolder's answers for the current listing. */
  private readonly realFolders = new Map<string, boolean>();

  constructor(root: string, opts: GitRecordStoreOptions = {}) {
    this.root = resolve(root);
    this.git = opts.git ?? "git";
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 60_000;
    this.staleLockMs = opts.staleLockMs ?? 600_000;
  }

  async list(): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    await this.walk((path, bytes) => out.push({ path, sha: gitBlobSha(bytes), text: bytes.toString("utf8") }));
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Every request file's path and text, one at a time, in path order within each folder; nothing
   * is kept and no blob sha is computed. Holding 100,000 texts (as list() does) costs more in
   * garbage collection than reading them.
   */
  async scan(visit: (file: ScannedFile) => void): Promise<void> {
    await this.walk((path, bytes) => visit({ path, text: bytes.toString("utf8") }));
  }

  /**
   * Every request file `scan` would read, in its order, listed from git without opening any: each
   * tracked file's blob sha from the index, git's comparison of each tracked file's stat with the
   * index's record of it (as `git status` does, content compared where the stat is too recent to
   * trust), and the untracked files — from the index file read in place and two git commands
   * (listIndexed), or one `git ls-files` where the index cannot be read so (listByLsFiles). A file
   * has its sha only when the index holds it once, regular, merged, neither changed nor deleted in
   * the working tree, nor marked assume-unchanged, skip-worktree or intent-to-add: every other file
   * is read from disk by the caller. undefined when git cannot stand in for the walk: not a git
   * checkout, access-requests/ is a link, or it holds a nested repository or a submodule.
   */
  async listKnown(): Promise<KnownListing | KnownFile[] | undefined> {
    this.realFolders.clear();
    try {
      if (!(await lstat(join(this.root, REQUESTS_DIR))).isDirectory()) return undefined;
    } catch (e) {
      if (code(e) === "ENOENT") return [];
      throw e;
    }
    const indexed = await this.listIndexed().catch(() => undefined);
    return typeof indexed === "object" ? indexed : indexed === "scan" ? undefined : this.listByLsFiles();
  }

  /**
   * listKnown from the index file, read in place (see git-index.ts), and two git commands run at
   * once, each on its own core: `git diff-files` (tracked files whose working-tree copy differs
   * from the index: changed, deleted, of another type; it compares the stat git recorded, and the
   * content where that stat is too recent to trust) and `git ls-files -o` (untracked files,
   * ignored ones too, as scan reads them). A file keeps the index's sha only when neither lists it.
   * The index must be the same file before and after both ran, or git is asked again the slower
   * way (one command, one consistent view). "scan": git cannot stand in for the walk (a nested
   * repository); a string: this way does not apply (listByLsFiles does).
   */
  private async listIndexed(): Promise<KnownListing | "scan" | "fallback"> {
    const { indexPath, prefix, objectFormat } = await this.where();
    // The store's root is not the top of the checkout, or object names are not SHA-1.
    if (prefix !== "" || objectFormat !== "sha1") return "fallback";
    // The index as it is before git starts: the file read, and the same file after both commands,
    // or nothing is trusted (git replaces the index by renaming a new file over it).
    const before = await stat(indexPath, { bigint: true }).catch(() => undefined);
    if (!before) return "fallback";
    const changedP = this.gitRunBytes(["diff-files", "--name-only", "-z", "--", REQUESTS_DIR]);
    const untrackedP = this.gitRunBytes(["ls-files", "-z", "-o", "--", REQUESTS_DIR]);
    // Read and parsed while git runs.
    const indexP = (async () => {
      const handle = await open(indexPath, "r");
      try {
        const read = await handle.stat({ bigint: true });
        const index = await handle.readFile();
        return { read, index, folder: parseIndex(index, `${REQUESTS_DIR}/`) };
      } finally {
        await handle.close();
      }
    })();
    // Settled together, so no command is left running unobserved when one fails.
    const [c, u, i] = await Promise.allSettled([changedP, untrackedP, indexP]);
    if (c.status === "rejected" || u.status === "rejected" || i.status === "rejected") return "fallback";
    const after = await stat(indexPath, { bigint: true }).catch(() => undefined);
    if (!after || !sameFile(before, i.value.read) || !sameFile(before, after) || BigInt(i.value.index.length) !== after.size) return "fallback";
    return listingOf(i.value.index, i.value.folder, c.value, u.value);
  }

  /** The git directory, the index file, the object format and the store's root within the checkout (one git process, shared). */
  private where(): Promise<Where> {
    this.whereP ??= this.gitRun(["rev-parse", "--absolute-git-dir", "--git-path", "index", "--show-object-format", "--show-prefix"]).then((out) => {
      const [gitDir = "", indexPath = "", objectFormat = "", prefix = ""] = out.split("\n");
      return { gitDir, indexPath: resolve(this.root, indexPath), objectFormat, prefix };
    });
    this.whereP.catch(() => {
      this.whereP = undefined;
    });
    return this.whereP;
  }

  /**
   * listKnown from one `git ls-files` of every index entry, changed, deleted and untracked file (one
   * consistent view, single-threaded): for what the index file cannot be read for.
   */
  private async listByLsFiles(): Promise<KnownFile[] | undefined> {
    // -c every index entry (H, or S / h / s when git does not look at the working tree for it),
    // -m changed (C), -d deleted (R), -o untracked (?) — ignored ones too, as scan reads them.
    let out: string;
    try {
      out = await this.gitRun(["ls-files", "-z", "-t", "-v", "-s", "-c", "-m", "-d", "-o", "--", REQUESTS_DIR]);
    } catch {
      return undefined; // not a checkout git can read (or no git): scan reads every file
    }
    // Read in place (this runs over every record on every sweep): a line is `? <path>` or
    // `<tag> <mode> <sha> <stage>\t<path>`; only the path and a clean file's sha are copied out.
    const files: KnownFile[] = [];
    // Changed or deleted paths (C / R lines, besides their H line), and unmerged ones (one M line per stage).
    const again = new Set<string>();
    const unmerged = new Set<string>();
    const prefix = `${REQUESTS_DIR}/`;
    for (let start = 0; start < out.length;) {
      const nul = out.indexOf("\0", start);
      const stop = nul < 0 ? out.length : nul;
      const line = start;
      start = stop + 1;
      if (stop === line) continue;
      const tag = out.charCodeAt(line);
      let path: string;
      let sha: string | undefined;
      if (tag === 63 /* ? */) {
        path = out.slice(line + 2, stop);
        if (path.endsWith("/")) return undefined; // a nested repository: scan walks into it
      } else {
        const tab = out.indexOf("\t", line);
        if (tab < 0 || tab > stop) return undefined;
        if (tag === 75 /* K */) return undefined;
        path = out.slice(tab + 1, stop);
        // A submodule: scan walks into its folder, whose files the index does not list.
        if (out.startsWith(" 160000 ", line + 1) && path.startsWith(prefix)) return undefined;
        if (!path.startsWith(prefix) || !path.endsWith(".yaml")) continue;
        if (tag === 67 /* C */ || tag === 82 /* R */) {
          again.add(path); // changed or deleted: its H line is listed too
          continue;
        }
        if (tag === 77 /* M */) {
          if (unmerged.has(path)) continue; // one line per stage
          unmerged.add(path);
        } else if (
          // "H 100644 <sha> 0\t" or "H 100755 <sha> 0\t": tracked, a regular file, merged, looked at (not S, h, s).
          tag === 72 /* H */ &&
          tab === line + 51 &&
          (out.startsWith(" 100644 ", line + 1) || out.startsWith(" 100755 ", line + 1)) &&
          out.startsWith(" 0", line + 49)
        )
          sha = out.slice(line + 9, line + 49);
      }
      if (!path.startsWith(prefix) || !path.endsWith(".yaml")) continue;
      files.push(sha ? { path, sha } : { path });
    }
    const known = again.size ? files.map((f) => (f.sha && again.has(f.path) ? { path: f.path } : f)) : files;
    // scan's order: names compared within each folder, i.e. paths compared with "/" below every
    // character (git lists in byte order, where "/" sorts after "-" and "."). Mostly sorted already.
    for (let i = 1; i < known.length; i++) if (scanOrder(known[i - 1]!.path, known[i]!.path) > 0) return known.sort((a, b) => scanOrder(a.path, b.path));
    return known;
  }

  /**
   * A file of listKnown, read as scan reads it, with the blob sha of the bytes read. A path that is
   * no longer a regular file (gone, a folder whose files listKnown lists, a fifo) is undefined, as
   * scan passes those by; a link is refused as scan refuses it.
   */
  readKnown(path: string): StoredFile | undefined {
    this.resolvePath(path);
    // O_NOFOLLOW guards the file's own name only: a folder on the way that became a link (git
    // lists its tracked files as deleted) would be followed where scan never goes.
    if (!this.realFolder(path.slice(0, path.lastIndexOf("/")))) return undefined;
    const bytes = this.readListed(path, path.slice(path.lastIndexOf("/") + 1), true);
    return bytes && { path, sha: gitBlobSha(bytes), text: bytes.toString("utf8") };
  }

  /** Whether `dir` and every folder above it are folders, not links (scan enters no link). Asked once per folder per listing. */
  private realFolder(dir: string): boolean {
    const known = this.realFolders.get(dir);
    if (known !== undefined) return known;
    const cut = dir.lastIndexOf("/");
    let real = cut < 0 || this.realFolder(dir.slice(0, cut));
    if (real) {
      try {
        real = lstatSync(join(this.root, dir)).isDirectory();
      } catch {
        real = false;
      }
    }
    this.realFolders.set(dir, real);
    return real;
  }

  /** `<git dir>/jit-access/<name>`: private to this checkout, never committed. */
  async loadPrivate(name: string): Promise<Buffer | undefined> {
    try {
      const file = await this.privatePath(name);
      // In one read: a cache of tens of megabytes read by readFile's chunks waits for the event loop
      // once per chunk, behind the listing's work.
      return readFileSync(file);
    } catch {
      return undefined;
    }
  }

  /** Written whole or not at all (a temporary file renamed over it), so a reader never sees half of one. */
  async savePrivate(name: string, data: string | Uint8Array): Promise<void> {
    const file = await this.privatePath(name);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, data);
      await rename(tmp, file);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async privatePath(name: string): Promise<string> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`${JSON.stringify(name)} is not a private file name`);
    this.gitDir ??= (await this.where()).gitDir;
    return join(this.gitDir, "jit-access", name);
  }

  /** Reads each request file under access-requests/ into one reused buffer and hands it to `visit`, which must copy what it keeps. */
  private async walk(visit: (path: string, bytes: Buffer) => void): Promise<void> {
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, dir), { withFileTypes: true });
      } catch (e) {
        if (code(e) === "ENOENT") return;
        throw e;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const path = `${dir}/${e.name}`;
        // git never lists a folder named .git (nor can it track one): neither does the walk.
        if (e.name === ".git") continue;
        if (e.isDirectory()) await walk(path);
        // Links are opened (and refused), never followed.
        else if ((e.isFile() || e.isSymbolicLink()) && e.name.endsWith(".yaml")) {
          const bytes = this.readListed(path, e.name);
          if (bytes) visit(path, bytes);
        }
      }
    };
    await walk(REQUESTS_DIR);
  }

  async read(path: string): Promise<StoredFile | undefined> {
    const abs = this.resolvePath(path);
    let info;
    try {
      info = await lstat(abs);
    } catch (e) {
      if (code(e) === "ENOENT") return undefined;
      throw e;
    }
    if (info.isSymbolicLink()) throw new Error(`${path} is a symbolic link; request files must be regular files`);
    if (!info.isFile()) throw new Error(`${path} is not a regular file`);
    if (info.size > MAX_YAML_BYTES) throw new Error(`${path} is ${info.size} bytes, over the ${MAX_YAML_BYTES}-byte limit`);
    const data = await readFile(abs);
    return { path, sha: gitBlobSha(data), text: data.toString("utf8") };
  }

  /**
   * read()'s checks and bytes, synchronously and in one open: the sweep reads every record on
   * every run, and 100,000 promise-based lstat + readFile calls take seconds where these take a
   * fraction of one. O_NOFOLLOW refuses a link at open time, so nothing can swap one in between
   * check and read. The bytes are a view of one buffer reused for every file (100,000 short-lived
   * buffers cost more in GC than the reads): valid until the next call.
   *
   * One read of up to one byte over the limit, and no fstat, when that read says enough: a read of
   * a regular file returns less than asked only at its end, so 1 to MAX_YAML_BYTES bytes are the
   * whole file. Nothing read, more than the limit, or a read that fails (a directory) is checked
   * with fstat as read() checks, so an empty file, an oversized one and one that is not a regular
   * file are told apart with read()'s messages. (fstat on every file costs an eighth of the scan.)
   */
  private readListed(path: string, name: string, known = false): Buffer | undefined {
    // The path is built from a directory listing, so only a backslash can make it one resolvePath refuses.
    const abs = name.includes("\\") ? this.resolvePath(path) : `${this.root}/${path}`;
    let fd: number;
    try {
      // A path from git's listing may name a fifo, which scan passes by: never block opening one.
      fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW | (known ? constants.O_NONBLOCK : 0));
    } catch (e) {
      // ENOTDIR: a listed file whose folder is now a file (the walk does not find it either).
      if (code(e) === "ENOENT" || (known && code(e) === "ENOTDIR")) return undefined;
      if (code(e) === "ELOOP") throw new Error(`${path} is a symbolic link; request files must be regular files`);
      throw e;
    }
    try {
      if (listBuffer.length <= MAX_YAML_BYTES) listBuffer = Buffer.allocUnsafe(MAX_YAML_BYTES + 1);
      let first = 0;
      try {
        first = readSync(fd, listBuffer, 0, MAX_YAML_BYTES + 1, 0);
      } catch {
        first = 0; // checked below
      }
      if (first > 0 && first <= MAX_YAML_BYTES) return listBuffer.subarray(0, first);
      const info = fstatSync(fd);
      if (known && !info.isFile()) return undefined;
      if (!info.isFile()) throw new Error(`${path} is not a regular file`);
      if (info.size > MAX_YAML_BYTES) throw new Error(`${path} is ${info.size} bytes, over the ${MAX_YAML_BYTES}-byte limit`);
      let got = 0;
      while (got < info.size) {
        const n = readSync(fd, listBuffer, got, info.size - got, got);
        if (n === 0) break;
        got += n;
      }
      return listBuffer.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  async write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult> {
    const abs = this.resolvePath(path);
    return this.locked(async () => {
      const current = await this.read(path);
      if (opts.expectedSha === undefined ? current !== undefined : current?.sha !== opts.expectedSha) {
        throw new ConflictError(`${path} changed since it was read (expected ${opts.expectedSha ?? "no file"}, found ${current?.sha ?? "no file"})`);
      }
      const data = Buffer.from(text, "utf8");
      await mkdir(dirname(abs), { recursive: true });
      const tmp = `${abs}.jit-access-tmp`;
      await writeFile(tmp, data);
      await rename(tmp, abs);
      try {
        await this.gitRun(["add", "--", path]);
        // --no-verify: a record is machine-written; a local pre-commit hook (linters, formatters)
        // must not turn a revoke into an unrecorded one.
        await this.gitRun(["commit", "--quiet", "--no-verify", "--only", "-F", "-", "--", path], opts.message);
      } catch (e) {
        // Put the file back as it was, so the working tree never shows an unrecorded change.
        await this.restore(path, abs, current).catch(() => undefined);
        throw e;
      }
      const commit = (await this.gitRun(["rev-parse", "HEAD"])).trim();
      return { sha: gitBlobSha(data), commit };
    });
  }

  /**
   * Request files with a change not committed: staged or not, untracked or ignored. A process killed
   * between writing a record and committing it leaves one; the sweep reports them rather than
   * trusting them.
   */
  async uncommitted(): Promise<string[]> {
    // Without --no-renames a rename or copy is "XY new\0old\0": the old path has no "XY " prefix.
    // As a delete and an add, every entry is "XY path" and both paths of a move are reported.
    // --ignored: an ignored request file is read by the sweep all the same ("!! path").
    const out = await this.gitRun(["status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--ignored", "--", REQUESTS_DIR]);
    return [
      ...new Set(
        out
          .split("\0")
          .filter((l) => l.length > 3)
          .map((l) => l.slice(3))
          .filter((p) => p.endsWith(".yaml")),
      ),
    ].sort();
  }

  /** Commits that touched `path`, newest first (the audit trail of one request). */
  async history(path: string): Promise<Array<{ commit: string; message: string }>> {
    const out = await this.gitRun(["log", "--format=%H%x00%B%x1e", "--", path]);
    return out
      .split("\x1e")
      .map((s) => s.replace(/^\n/, ""))
      .filter((s) => s.includes("\0"))
      .map((s) => {
        const [commit = "", message = ""] = s.split("\0");
        return { commit, message };
      });
  }

  private resolvePath(path: string): string {
    const parts = path.split("/");
    if (
      parts[0] !== REQUESTS_DIR ||
      parts.length < 2 ||
      parts.some((p) => p === "" || p === "." || p === "..") ||
      path.includes("\\") ||
      !path.endsWith(".yaml")
    ) {
      throw new Error(`${JSON.stringify(path)} is not a request file path under ${REQUESTS_DIR}/`);
    }
    return join(this.root, ...parts);
  }

  private async restore(path: string, abs: string, previous: StoredFile | undefined): Promise<void> {
    if (previous) await writeFile(abs, previous.text);
    else await rm(abs, { force: true });
    await this.gitRun(["reset", "--quiet", "--", path]).catch(() => undefined);
  }

  /** A read-only git command's output as bytes (paths are bytes to git). */
  private gitRunBytes(args: string[]): Promise<Buffer> {
    return new Promise((done, fail) => {
      execFile(
        this.git,
        args,
        { cwd: this.root, encoding: "buffer", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } },
        (error, stdout) => (error ? fail(error) : done(stdout)),
      );
    });
  }

  private async gitRun(args: string[], input?: string): Promise<string> {
    // git's own index.lock may be held briefly by a user's git command: retry a few times.
    for (let attempt = 0; ; attempt++) {
      try {
        const child = run(this.git, args, { cwd: this.root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
        if (input !== undefined) {
          child.child.stdin?.end(input);
        }
        const { stdout } = await child;
        return stdout;
      } catch (e) {
        const stderr = String((e as { stderr?: unknown }).stderr ?? "");
        if (/index\.lock/.test(stderr) && attempt < 20) {
          await sleep(50 + attempt * 50);
          continue;
        }
        throw new Error(`git ${args[0]} failed: ${stderr.trim() || (e instanceof Error ? e.message : String(e))}`);
      }
    }
  }

  private async locked<T>(task: () => Promise<T>): Promise<T> {
    const previous = inProcess.get(this.root) ?? Promise.resolve();
    const result = previous.then(() => this.withLockFile(task));
    const tail = result.catch(() => undefined);
    inProcess.set(this.root, tail);
    try {
      return await result;
    } finally {
      if (inProcess.get(this.root) === tail) inProcess.delete(this.root);
    }
  }

  private async withLockFile<T>(task: () => Promise<T>): Promise<T> {
    this.gitDir ??= (await this.gitRun(["rev-parse", "--absolute-git-dir"])).trim();
    const lock = join(this.gitDir, "jit-access-records.lock");
    const deadline = Date.now() + this.lockTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(lock, "wx");
        await handle.writeFile(`${process.pid}\n`);
        await handle.close();
        break;
      } catch (e) {
        if (code(e) !== "EEXIST") throw e;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > this.staleLockMs) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`another process holds ${lock}; if none is running, delete the file`);
        await sleep(Math.min(200, 10 + attempt * 10));
      }
    }
    try {
      return await task();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

/**
 * listIndexed's listing: the index's request files (git-index.ts), less the sha of each that
 * `git diff-files` listed (`changed`), and the untracked files `git ls-files -o` listed, in scan order.
 */
function listingOf(index: Buffer, folder: IndexFolder | string, changed: Buffer, untracked: Buffer): KnownListing | "scan" | "fallback" {
  if (typeof folder === "string") return "fallback";
  const { paths, count } = folder;
  const shaAt = folder.shaAt;
  for (const [s, e] of nulSeparated(changed)) {
    // Binary search in the index's order (byte order, as Buffer.compare).
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = paths.compare(changed, s, e, folder.start[mid], folder.end[mid]);
      if (c === 0) {
        shaAt[mid] = -1;
        break;
      }
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
  }
  const extra: Array<[number, number]> = [];
  const prefix = `${REQUESTS_DIR}/`;
  const yml = new Set(folder.yml);
  for (const [s, e] of nulSeparated(untracked)) {
    if (untracked[e - 1] === 47 /* / */) return "scan"; // a nested repository: scan walks into it
    if (untracked.toString("latin1", s, s + prefix.length) !== prefix) continue;
    if (untracked.toString("latin1", e - 5, e) !== ".yaml") {
      if (untracked.toString("latin1", e - 4, e) === ".yml") yml.add(untracked.toString("utf8", s, e));
      continue;
    }
    extra.push([s, e]);
  }
  const n = count + extra.length;
  let bytes = paths;
  let start = folder.start.subarray(0, count);
  let end = folder.end.subarray(0, count);
  let sha = shaAt.subarray(0, count);
  if (extra.length) {
    bytes = Buffer.concat([paths, untracked]);
    start = new Int32Array(n);
    end = new Int32Array(n);
    sha = new Int32Array(n).fill(-1);
    start.set(folder.start.subarray(0, count));
    end.set(folder.end.subarray(0, count));
    sha.set(shaAt.subarray(0, count));
    extra.forEach(([s, e], k) => {
      start[count + k] = paths.length + s;
      end[count + k] = paths.length + e;
    });
  }
  const order = scanOrderOf(bytes, start, end, n);
  if (order) {
    const [s0, e0, h0] = [start, end, sha];
    start = new Int32Array(n);
    end = new Int32Array(n);
    sha = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      start[i] = s0[j]!;
      end[i] = e0[j]!;
      sha[i] = h0[j]!;
    }
  }
  const [st, en] = [start, end];
  return { count: n, bytes, start: st, end: en, shas: index, shaAt: sha, yml: [...yml], path: (i) => bytes.toString("utf8", st[i], en[i]) };
}

/** The [start, end) of each NUL-terminated item of git's -z output. */
function* nulSeparated(out: Buffer): Generator<[number, number]> {
  for (let s = 0; s < out.length;) {
    let e = out.indexOf(0, s);
    if (e < 0) e = out.length;
    if (e > s) yield [s, e];
    s = e + 1;
  }
}

/** Whether two stats are of one file, unchanged: git replaces the index by renaming a new one over it. */
function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** The walk's order of two paths: names compared (as JavaScript compares strings) folder by folder, so "/" sorts before every character. */
function scanOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x === 47 ? -1 : y === 47 ? 1 : x - y;
  }
  return a.length - b.length;
}

function code(e: unknown): string | undefined {
  return (e as { code?: string } | null)?.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
