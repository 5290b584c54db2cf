// GitRecordStore over a real temporary repository: blob shas equal git's, compare-and-swap,
// one commit per write touching one path, serialized writers, locks, and no shell.
// Also run under Node 24 (NODE24 in vitest.config.ts): the git store (git subprocesses).
// @module-tag node24
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, updateRecord } from "../src/store/record-store.js";
import { GitRecordStore, gitBlobSha } from "../src/store/git-store.js";
import { createGitRepo, type GitRepo } from "./support/git-repo.js";

const A = "access-requests/prod/2026/1-a.yaml";
const B = "access-requests/prod/2026/2-b.yaml";
let repo: GitRepo;

beforeEach(() => {
  repo = createGitRepo("jit-store-");
  repo.write(A, "id: 1-a\n");
  repo.write("README.md", "hello\n");
  repo.commitAll("seed");
});
afterEach(() => repo.cleanup());

describe("GitRecordStore", () => {
  it("lists request files with git's own blob shas, sorted, and reads one", async () => {
    repo.write(B, "id: 2-b\n");
    repo.write("access-requests/README.md", "not a record\n");
    const store = new GitRecordStore(repo.dir);
    const files = await store.list();
    expect(files.map((f) => f.path)).toEqual([A, B]);
    for (const f of files) expect(f.sha).toBe(repo.git("hash-object", "--no-filters", f.path).trim());
    expect(gitBlobSha(Buffer.from(""))).toBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    expect(await store.read(A)).toMatchObject({ path: A, text: "id: 1-a\n" });
    expect(await store.read("access-requests/prod/2026/9-none.yaml")).toBeUndefined();
  });

  it("writes with compare-and-swap: one commit of that one path with the message; stale or unexpected shas conflict", async () => {
    const store = new GitRecordStore(repo.dir);
    const before = (await store.read(A))!;
    repo.write("README.md", "staged by the user\n");
    repo.git("add", "README.md");
    const r = await store.write(A, "id: 1-a\nstatus: x\n", { message: "jit-access: expire 1-a\n\nRequest-Id: 1-a\n", expectedSha: before.sha });
    expect(r.commit).toBe(repo.head());
    expect(r.sha).toBe(repo.git("rev-parse", `HEAD:${A}`).trim());
    expect(repo.git("show", "--name-only", "--format=%B", "HEAD")).toBe(`jit-access: expire 1-a\n\nRequest-Id: 1-a\n\n\n${A}\n`);
    // The user's staged change stays staged, not committed.
    expect(repo.git("diff", "--cached", "--name-only").trim()).toBe("README.md");

    await expect(store.write(A, "x\n", { message: "m", expectedSha: before.sha })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.write(A, "x\n", { message: "m", expectedSha: undefined })).rejects.toBeInstanceOf(ConflictError);
    await expect(store.write(B, "x\n", { message: "m", expectedSha: before.sha })).rejects.toBeInstanceOf(ConflictError);
    const created = await store.write(B, "id: 2-b\n", { message: "create", expectedSha: undefined });
    expect(repo.git("log", "-1", "--format=%s").trim()).toBe("create");
    expect(created.sha).toBe(gitBlobSha(Buffer.from("id: 2-b\n")));
    expect(repo.commitsTouching(A)).toHaveLength(2);
  });

  it("refuses paths outside access-requests/, traversal, links and oversize files", async () => {
    const store = new GitRecordStore(repo.dir);
    for (const p of ["README.md", "access-requests/../README.md", "/etc/passwd.yaml", "access-requests/a\\b.yaml", "access-requests/x.txt"]) {
      await expect(store.write(p, "x", { message: "m", expectedSha: undefined })).rejects.toThrow(/not a request file path/);
    }
    execFileSync("ln", ["-s", "../../../README.md", join(repo.dir, "access-requests/prod/2026/3-link.yaml")]);
    await expect(store.read("access-requests/prod/2026/3-link.yaml")).rejects.toThrow(/symbolic link/);
    repo.write(B, "x".repeat(70_000));
    await expect(store.read(B)).rejects.toThrow(/over the/);
  });

  it("lists exactly what read() returns for each file, and refuses a link or an oversize file in the listing too", async () => {
    const store = new GitRecordStore(repo.dir);
    // Sizes up and down (the listing reuses one buffer), multi-byte text, an empty file.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit: "grapheme", maxLength: 3000 }), { minLength: 1, maxLength: 6 }), async (texts) => {
        const paths = texts.map((_, i) => `access-requests/prop/2026/${i + 10}-p.yaml`);
        texts.forEach((t, i) => repo.write(paths[i]!, t));
        const listed = await store.list();
        for (const p of paths) expect(listed.find((f) => f.path === p)).toEqual(await store.read(p));
        // The streamed scan hands over the same paths and texts (no sha), each as its own copy.
        const scanned: Array<{ path: string; text: string }> = [];
        await store.scan((f) => scanned.push(f));
        expect(scanned).toEqual(listed.map(({ path, text }) => ({ path, text })));
        execFileSync("rm", ["-rf", join(repo.dir, "access-requests/prop")]);
      }),
      { numRuns: 25 },
    );
    execFileSync("ln", ["-s", "../../../README.md", join(repo.dir, "access-requests/prod/2026/3-link.yaml")]);
    await expect(store.list()).rejects.toThrow(/3-link.yaml is a symbolic link/);
    await expect(store.scan(() => undefined)).rejects.toThrow(/3-link.yaml is a symbolic link/);
    execFileSync("rm", [join(repo.dir, "access-requests/prod/2026/3-link.yaml")]);
    repo.write(B, "x".repeat(70_000));
    await expect(store.list()).rejects.toThrow(/2-b.yaml is 70000 bytes, over the/);
    await expect(store.scan(() => undefined)).rejects.toThrow(/2-b.yaml is 70000 bytes, over the/);
  });

  it("serializes writers in one process: concurrent updateRecord calls on one file each land once, in turn", async () => {
    const stores = [new GitRecordStore(repo.dir), new GitRecordStore(repo.dir)];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        updateRecord(stores[i % 2]!, A, (cur) => ({ kind: "write", text: `${cur?.text ?? ""}line ${i}\n`, message: `add ${i}` }), 10),
      ),
    );
    const text = readFileSync(join(repo.dir, A), "utf8");
    expect(text.split("\n").filter((l) => l.startsWith("line"))).toHaveLength(6);
    expect(repo.commitsTouching(A)).toHaveLength(7);
    expect(await stores[0]!.uncommitted()).toEqual([]);
  });

  it("waits for another process's lock file, takes over a stale one, and restores the file when the commit fails", async () => {
    const gitDir = repo.git("rev-parse", "--absolute-git-dir").trim();
    const lock = join(gitDir, "jit-access-records.lock");
    writeFileSync(lock, "12345\n");
    const store = new GitRecordStore(repo.dir, { lockTimeoutMs: 5_000 });
    const cur = (await store.read(A))!;
    let done = false;
    const p = store.write(A, "id: 1-a\nv: 2\n", { message: "after lock", expectedSha: cur.sha }).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(done).toBe(false);
    execFileSync("rm", [lock]);
    await p;
    expect(existsSync(lock)).toBe(false);

    writeFileSync(lock, "stale\n");
    const stale = new GitRecordStore(repo.dir, { staleLockMs: 0 });
    const now = (await stale.read(A))!;
    await stale.write(A, "id: 1-a\nv: 3\n", { message: "stale lock taken", expectedSha: now.sha });
    expect(repo.git("log", "-1", "--format=%s").trim()).toBe("stale lock taken");

    // A commit that cannot happen (no git at that path) leaves the working tree as it was.
    const broken = new GitRecordStore(repo.dir, { git: join(repo.dir, "no-such-git") });
    const latest = (await store.read(A))!;
    await expect(broken.write(A, "changed\n", { message: "m", expectedSha: latest.sha })).rejects.toThrow();
    expect(readFileSync(join(repo.dir, A), "utf8")).toBe(latest.text);
  });

  it("reports request files with uncommitted changes (an interrupted write or a hand edit)", async () => {
    const store = new GitRecordStore(repo.dir);
    repo.write(A, "id: 1-a\nedited: true\n");
    repo.write(B, "new\n");
    expect(await store.uncommitted()).toEqual([A, B]);
    expect((await store.history(A)).map((h) => h.message.trim())).toEqual(["seed"]);
  });
});

describe("GitRecordStore.uncommitted: every request file path with a change not committed, staged or not", () => {
  const C = "access-requests/prod/2026/3-c.yaml";
  const ODD = 'access-requests/prod/2026/4-a b\u00e9\t"q".yaml';
  const move = (from: string, to: string) => {
    mkdirSync(dirname(join(repo.dir, to)), { recursive: true });
    renameSync(join(repo.dir, from), join(repo.dir, to));
  };
  const cases: Array<[string, () => void, string[]]> = [
    ["nothing changed", () => {}, []],
    ["a staged rename: both the old and the new path", () => repo.git("mv", A, C), [A, C]],
    ["a rename on disk, unstaged: the deleted and the untracked path", () => move(A, C), [A, C]],
    ["a staged rename with an edit on top", () => (repo.git("mv", A, C), repo.write(C, "id: 3-c\n")), [A, C]],
    ["a rename out of access-requests/: the old path only", () => (mkdirSync(join(repo.dir, "elsewhere")), repo.git("mv", A, "elsewhere/1-a.yaml")), [A]],
    [
      "a rename into access-requests/: the new path only",
      () => (repo.write("elsewhere/x.yaml", "x\n"), repo.commitAll("x"), repo.git("mv", "elsewhere/x.yaml", C)),
      [C],
    ],
    ["a staged delete", () => repo.git("rm", "--quiet", A), [A]],
    ["an unstaged delete", () => rmSync(join(repo.dir, A)), [A]],
    [
      "an ignored record: the sweep reads it all the same",
      () => (repo.write(".gitignore", "*.tmp.yaml\n"), repo.commitAll("ignore"), repo.write("access-requests/prod/2026/9-x.tmp.yaml", "x\n")),
      ["access-requests/prod/2026/9-x.tmp.yaml"],
    ],
    ["a staged add, then deleted from disk: staged, so not committed", () => (repo.write(C, "new\n"), repo.git("add", C), rmSync(join(repo.dir, C))), [C]],
    ["a staged add, then edited", () => (repo.write(C, "new\n"), repo.git("add", C), repo.write(C, "newer\n")), [C]],
    ["a name with a space, an accent, a tab and quotes (git quotes such names without -z)", () => repo.write(ODD, "odd\n"), [ODD]],
    ["a staged rename to that name", () => repo.git("mv", A, ODD), [A, ODD].sort()],
    [
      "not request files: other extensions and other folders",
      () => (repo.write("access-requests/prod/notes.md", "n\n"), repo.write("other/5-e.yaml", "e\n")),
      [],
    ],
  ];
  it.each(cases)("%s", async (_name, change, expected) => {
    change();
    expect(await new GitRecordStore(repo.dir).uncommitted()).toEqual(expected);
  });

  // Reference: git's own listings, renames not detected: staged (HEAD against the index), not
  // staged (the index against the working tree) and untracked, ignored ones too. A file staged and then deleted
  // from disk is in the first: an uncommitted change, though HEAD and the working tree lack it.
  const reference = () =>
    [
      ...new Set(
        [
          repo.git("diff", "--cached", "--no-renames", "--name-only", "-z", "HEAD", "--", "access-requests"),
          repo.git("diff", "--no-renames", "--name-only", "-z", "--", "access-requests"),
          repo.git("ls-files", "-o", "-z", "--", "access-requests"),
        ]
          .join("\0")
          .split("\0")
          .filter((p) => p.endsWith(".yaml")),
      ),
    ].sort();

  it("equals git diff --cached, git diff and the untracked files after any mix of edits, moves, deletes, staging and ignores", async () => {
    const names = [A, B, C, ODD, "access-requests/dev/2026/6-f.yaml"];
    repo.write(B, "id: 2-b\n");
    repo.commitAll("two records");
    const op = fc.tuple(fc.constantFrom("edit", "mv", "git-mv", "rm", "git-rm", "add", "stage", "ignore"), fc.nat(names.length - 1), fc.nat(names.length - 1));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 6 }), async (ops) => {
        // Back to the seed commit, index and working tree alike (two git calls, not a new repository).
        repo.git("reset", "--quiet", "--hard");
        repo.git("clean", "-qfdx");
        const exists = (p: string) => existsSync(join(repo.dir, p));
        const tracked = (p: string) => repo.git("ls-files", "--", p).trim() !== "";
        for (const [kind, i, j] of ops) {
          const from = names[i] as string;
          const to = names[j] as string;
          if (kind === "edit") repo.write(from, `edit ${Math.random()}\n`);
          else if (kind === "add") repo.write(from, "added\n");
          else if (kind === "stage") repo.git("add", "-A");
          else if (kind === "ignore") repo.write(".gitignore", `${from.slice(from.lastIndexOf("/") + 1)}\n`);
          else if (!exists(from) || (from === to && kind !== "rm" && kind !== "git-rm")) continue;
          else if (kind === "mv" && !exists(to)) move(from, to);
          else if (kind === "git-mv" && tracked(from) && !exists(to)) {
            mkdirSync(dirname(join(repo.dir, to)), { recursive: true });
            repo.git("mv", from, to);
          } else if (kind === "rm") rmSync(join(repo.dir, from));
          else if (kind === "git-rm" && tracked(from)) repo.git("rm", "--quiet", "--force", "--", from);
        }
        expect(await new GitRecordStore(repo.dir).uncommitted()).toEqual(reference());
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
