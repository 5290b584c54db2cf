// A small but real git object model: blobs, trees and commits hashed exactly like git
// (sha1 of "<type> <len>\0<body>"), refs, ancestry, merge bases, path-limited history,
// tree diffs (with exact-content rename detection) and three-way merges at file level.
import { createHash } from "node:crypto";

export type FileMode = "100644" | "100755" | "120000";
/** One file in a flattened tree: blob sha and git mode (120000 = symlink, blob = target path). */
export interface FileEntry {
  sha: string;
  mode: FileMode;
}
export type FlatTree = Map<string, FileEntry>;

export interface Signature {
  name: string;
  email: string;
  /** ISO 8601, second precision, UTC (as GitHub returns it). */
  date: string;
}

export interface CommitObject {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: Signature;
  committer: Signature;
  /** GitHub user behind the author/committer (GitHub derives it from the e-mail; we store it). */
  authorLogin: string | undefined;
  committerLogin: string | undefined;
  /** Creation order; breaks ties between commits made in the same second. */
  seq: number;
}

interface TreeEntry {
  mode: FileMode | "40000";
  name: string;
  sha: string;
}

export interface FileChange {
  filename: string;
  status: "added" | "modified" | "removed" | "renamed";
  previous_filename?: string;
  /** Blob sha on the new side (the old side's for a removal), as GitHub's pulls/files does. */
  sha: string;
  old?: FileEntry;
  new?: FileEntry;
}

export function gitHash(type: "blob" | "tree" | "commit", body: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
    .digest("hex");
}

export const isSha = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);

export class GitStore {
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, TreeEntry[]>();
  readonly commits = new Map<string, CommitObject>();
  /** "heads/main", "tags/v1" → commit sha. */
  readonly refs = new Map<string, string>();
  private seq = 0;
  private readonly flatCache = new Map<string, FlatTree>();

  writeBlob(content: Buffer | string): string {
    const buf = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const sha = gitHash("blob", buf);
    this.blobs.set(sha, buf);
    return sha;
  }

  readBlob(sha: string): Buffer | undefined {
    return this.blobs.get(sha);
  }

  /** Writes the trees for a flat path → entry map and returns the root tree sha. */
  writeTree(files: FlatTree): string {
    interface Dir {
      files: Map<string, FileEntry>;
      dirs: Map<string, Dir>;
    }
    const root: Dir = { files: new Map(), dirs: new Map() };
    for (const [path, entry] of files) {
      const parts = path.split("/");
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        let next = dir.dirs.get(part);
        if (!next) dir.dirs.set(part, (next = { files: new Map(), dirs: new Map() }));
        dir = next;
      }
      dir.files.set(parts[parts.length - 1] ?? path, entry);
    }
    const write = (dir: Dir): string => {
      const entries: TreeEntry[] = [];
      for (const [name, e] of dir.files) entries.push({ mode: e.mode, name, sha: e.sha });
      for (const [name, d] of dir.dirs) entries.push({ mode: "40000", name, sha: write(d) });
      // git orders tree entries by name, comparing a directory as if its name ended in "/"
      const key = (e: TreeEntry): string => (e.mode === "40000" ? `${e.name}/` : e.name);
      entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      const body = Buffer.concat(entries.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.sha, "hex")])));
      const sha = gitHash("tree", body);
      this.trees.set(sha, entries);
      return sha;
    };
    return write(root);
  }

  /** Lists one tree object's entries (for the git trees API). */
  treeEntries(sha: string): { mode: string; name: string; sha: string; type: "blob" | "tree" }[] | undefined {
    return this.trees.get(sha)?.map((e) => ({ ...e, type: e.mode === "40000" ? "tree" : "blob" }));
  }

  flatten(treeSha: string): FlatTree {
    const cached = this.flatCache.get(treeSha);
    if (cached) return cached;
    const out: FlatTree = new Map();
    const walk = (sha: string, prefix: string): void => {
      for (const e of this.trees.get(sha) ?? []) {
        if (e.mode === "40000") walk(e.sha, `${prefix}${e.name}/`);
        else out.set(`${prefix}${e.name}`, { sha: e.sha, mode: e.mode });
      }
    };
    walk(treeSha, "");
    this.flatCache.set(treeSha, out);
    return out;
  }

  /** Sha of the sub-tree at a directory path (for directory entries in the contents API). */
  subtreeSha(treeSha: string, dir: string): string | undefined {
    let sha: string | undefined = treeSha;
    for (const part of dir.split("/").filter(Boolean)) {
      const entry: TreeEntry | undefined = this.trees.get(sha ?? "")?.find((e) => e.name === part && e.mode === "40000");
      sha = entry?.sha;
      if (!sha) return undefined;
    }
    return sha;
  }

  writeCommit(c: {
    tree: string;
    parents: string[];
    message: string;
    author: Signature;
    committer?: Signature;
    authorLogin?: string | undefined;
    committerLogin?: string | undefined;
  }): string {
    const committer = c.committer ?? c.author;
    const sig = (s: Signature): string => `${s.name} <${s.email}> ${Math.floor(Date.parse(s.date) / 1000)} +0000`;
    const text =
      `tree ${c.tree}\n` +
      c.parents.map((p) => `parent ${p}\n`).join("") +
      `author ${sig(c.author)}\ncommitter ${sig(committer)}\n\n${c.message}${c.message.endsWith("\n") ? "" : "\n"}`;
    const sha = gitHash("commit", Buffer.from(text, "utf8"));
    if (!this.commits.has(sha)) {
      this.commits.set(sha, {
        sha,
        tree: c.tree,
        parents: [...c.parents],
        message: c.message,
        author: c.author,
        committer,
        authorLogin: c.authorLogin,
        committerLogin: c.committerLogin ?? c.authorLogin,
        seq: ++this.seq,
      });
    }
    return sha;
  }

  commit(sha: string): CommitObject | undefined {
    return this.commits.get(sha);
  }

  filesAt(commitSha: string): FlatTree {
    const c = this.commits.get(commitSha);
    return c ? this.flatten(c.tree) : new Map();
  }

  /**
   * Resolves a ref the way GitHub's `ref`/`sha` parameters do: a full or abbreviated (≥ 7) commit
   * sha, a branch name, a tag name, "heads/x", "refs/heads/x".
   */
  resolve(ref: string): string | undefined {
    if (isSha(ref) && this.commits.has(ref)) return ref;
    const r = ref.replace(/^refs\//, "");
    for (const candidate of [r, `heads/${r}`, `tags/${r}`]) {
      const sha = this.refs.get(candidate);
      if (sha) return sha;
    }
    if (/^[0-9a-f]{7,39}$/.test(ref)) {
      const hits = [...this.commits.keys()].filter((s) => s.startsWith(ref));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length) {
      const s = stack.pop() as string;
      if (seen.has(s)) continue;
      seen.add(s);
      stack.push(...(this.commits.get(s)?.parents ?? []));
    }
    return seen;
  }

  isAncestor(ancestor: string, of: string): boolean {
    return this.ancestors(of).has(ancestor);
  }

  /** The best common ancestor (the newest common ancestor not reachable from another one). */
  mergeBase(a: string, b: string): string | undefined {
    const ofA = this.ancestors(a);
    const common = [...this.ancestors(b)].filter((s) => ofA.has(s));
    const best = common.filter((c) => !common.some((o) => o !== c && this.ancestors(o).has(c)));
    best.sort((x, y) => this.order(y, x));
    return best[0];
  }

  /** Commits reachable from `head` but not from `base` (oldest first), like `git log base..head`. */
  range(base: string | undefined, head: string): CommitObject[] {
    const exclude = base ? this.ancestors(base) : new Set<string>();
    return this.log(head)
      .filter((c) => !exclude.has(c.sha))
      .reverse();
  }

  private order(a: string, b: string): number {
    const ca = this.commits.get(a);
    const cb = this.commits.get(b);
    if (!ca || !cb) return 0;
    const d = Date.parse(ca.committer.date) - Date.parse(cb.committer.date);
    return d !== 0 ? d : ca.seq - cb.seq;
  }

  private entryAt(files: FlatTree, path: string): string {
    // a fingerprint of everything under `path` (a file or a directory)
    if (!path) return "*";
    const exact = files.get(path);
    if (exact) return `${exact.mode}:${exact.sha}`;
    const prefix = `${path.replace(/\/$/, "")}/`;
    return [...files]
      .filter(([p]) => p.startsWith(prefix))
      .map(([p, e]) => `${p}:${e.mode}:${e.sha}`)
      .join("|");
  }

  /**
   * Reverse-chronological history from `from` (git log order: newest committer date first).
   * With `path`, git's default history simplification: a commit is shown when it changes the
   * path relative to its parent(s); a merge that is TREESAME to one parent is hidden and only
   * that parent is followed.
   */
  log(from: string, opts: { path?: string } = {}): CommitObject[] {
    const path = opts.path?.replace(/^\/+|\/+$/g, "") ?? "";
    const out: CommitObject[] = [];
    const seen = new Set<string>();
    const queue: string[] = [from];
    while (queue.length) {
      queue.sort((a, b) => this.order(b, a));
      const sha = queue.shift() as string;
      if (seen.has(sha)) continue;
      seen.add(sha);
      const c = this.commits.get(sha);
      if (!c) continue;
      if (!path) {
        out.push(c);
        queue.push(...c.parents);
        continue;
      }
      const mine = this.entryAt(this.flatten(c.tree), path);
      if (c.parents.length === 0) {
        if (mine !== "") out.push(c);
        continue;
      }
      const same = c.parents.find((p) => this.entryAt(this.filesAt(p), path) === mine);
      if (same !== undefined) {
        queue.push(same);
      } else {
        out.push(c);
        queue.push(...c.parents);
      }
    }
    return out;
  }

  /** File-level diff of two trees; a removal and an addition with the same blob become a rename. */
  diff(from: FlatTree, to: FlatTree): FileChange[] {
    const changes: FileChange[] = [];
    const added: FileChange[] = [];
    const removed: FileChange[] = [];
    for (const [path, e] of to) {
      const old = from.get(path);
      if (!old) added.push({ filename: path, status: "added", sha: e.sha, new: e });
      else if (old.sha !== e.sha || old.mode !== e.mode) changes.push({ filename: path, status: "modified", sha: e.sha, old, new: e });
    }
    for (const [path, e] of from) if (!to.has(path)) removed.push({ filename: path, status: "removed", sha: e.sha, old: e });
    for (const a of added) {
      const i = removed.findIndex((r) => r.sha === a.sha);
      const r = removed[i];
      if (r) {
        removed.splice(i, 1);
        changes.push({ filename: a.filename, status: "renamed", previous_filename: r.filename, sha: a.sha, old: r.old, new: a.new });
      } else changes.push(a);
    }
    changes.push(...removed);
    return changes.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  }

  /** Three-way merge at file granularity; a path changed differently on both sides conflicts. */
  merge(base: string | undefined, ours: string, theirs: string): { files: FlatTree; conflicts: string[] } {
    const b = base ? this.filesAt(base) : new Map<string, FileEntry>();
    const o = this.filesAt(ours);
    const t = this.filesAt(theirs);
    const key = (e: FileEntry | undefined): string => (e ? `${e.mode}:${e.sha}` : "");
    const files: FlatTree = new Map();
    const conflicts: string[] = [];
    for (const path of new Set([...b.keys(), ...o.keys(), ...t.keys()])) {
      const [eb, eo, et] = [b.get(path), o.get(path), t.get(path)];
      let pick: FileEntry | undefined;
      if (key(eo) === key(et)) pick = eo;
      else if (key(eo) === key(eb)) pick = et;
      else if (key(et) === key(eb)) pick = eo;
      else {
        conflicts.push(path);
        continue;
      }
      if (pick) files.set(path, pick);
    }
    return { files, conflicts };
  }
}
