// Every shell block of README.md and docs/*.md is either run here or says why it is not. A
// ```sh block is marked on its fence line (```sh runnable, ```sh not-runnable: REASON) or by an
// HTML comment on the line before it (<!-- runnable -->, <!-- not-runnable: REASON -->). The
// runnable blocks of a page run in order, from one fresh folder (a page is a walkthrough: a block
// starts where the one before ended), with bash -e and the repository's own CLI as `jit-access`
// and `npx jit-access` — built from src/ once, with no network, no AWS and no GitHub credentials
// in the environment.
// Also run under Node 24 (NODE24 in vitest.config.ts): the CLI bundle and git in subprocesses.
// @module-tag node24
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const SHELLS = new Set(["sh", "bash", "shell", "console", "zsh"]);

export interface Block {
  file: string;
  line: number;
  lang: string;
  /** "runnable", "not-runnable", or undefined when the block is not marked. */
  mark?: "runnable" | "not-runnable";
  reason?: string;
  code: string;
}

/** The fenced code blocks of a markdown text, with their marks. Indented fences (in lists) are un-indented. */
export function fencedBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([^`\s]*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent = "", fence = "", lang = "", rest = ""] = open;
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^\\s*${fence}\\s*$`).test(lines[j]!)) j++;
    const code = lines
      .slice(i + 1, j)
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
      .join("\n");
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === "") prev--;
    const comment = prev >= 0 ? /^\s*<!--\s*(runnable|not-runnable)\s*(?::\s*(.*?))?\s*-->\s*$/.exec(lines[prev]!) : null;
    const inline = /^(runnable|not-runnable)\s*(?::\s*(.*))?$/.exec(rest.trim());
    const m = inline ?? comment;
    out.push({ file, line: i + 1, lang, code, ...(m ? { mark: m[1] as Block["mark"], ...(m[2]?.trim() ? { reason: m[2].trim() } : {}) } : {}) });
    i = j;
  }
  return out;
}

const blocks = PAGES.flatMap((p) => fencedBlocks(p, readFileSync(join(ROOT, p), "utf8")));
const shellBlocks = blocks.filter((b) => SHELLS.has(b.lang));

describe("fencedBlocks", () => {
  it.each([
    ["a fence mark", "```sh runnable\necho hi\n```\n", { mark: "runnable", code: "echo hi" }],
    ["a fence mark with a reason", "```sh not-runnable: needs AWS\naws s3 ls\n```\n", { mark: "not-runnable", reason: "needs AWS" }],
    ["a comment mark, blank line between", "<!-- not-runnable: needs GitHub -->\n\n```sh\nx\n```\n", { mark: "not-runnable", reason: "needs GitHub" }],
    ["an indented block in a list", "- step\n\n  <!-- runnable -->\n  ```sh\n  a \\\n    b\n  ```\n", { mark: "runnable", code: "a \\\n  b" }],
    ["no mark", "text\n```sh\nx\n```\n", { mark: undefined }],
    ["a not-runnable mark without a reason", "```sh not-runnable\nx\n```\n", { mark: "not-runnable", reason: undefined }],
    ["a comment that is not right before the block", "<!-- runnable -->\ntext\n```sh\nx\n```\n", { mark: undefined }],
  ] as const)("%s", (_name, text, want) => {
    const [b] = fencedBlocks("x.md", text);
    expect(b).toMatchObject({ lang: "sh", ...Object.fromEntries(Object.entries(want).filter(([, v]) => v !== undefined)) });
    if (!("mark" in want) || want.mark === undefined) expect(b!.mark).toBeUndefined();
    if ("reason" in want && want.reason === undefined) expect(b!.reason).toBeUndefined();
  });
});

describe("every shell block in README.md and docs/ is marked", () => {
  it("there are shell blocks, and some run", () => {
    expect(shellBlocks.length).toBeGreaterThan(10);
    expect(shellBlocks.filter((b) => b.mark === "runnable").length).toBeGreaterThanOrEqual(2);
  });

  it.each(shellBlocks.map((b) => [`${b.file}:${b.line}`, b] as const))("%s is runnable or not-runnable with a reason", (_where, b) => {
    expect(b.mark, `${b.file}:${b.line}: mark the block \`\`\`${b.lang} runnable, or \`\`\`${b.lang} not-runnable: REASON`).toBeDefined();
    if (b.mark === "not-runnable") expect(b.reason, `${b.file}:${b.line}: say why it is not run (not-runnable: REASON)`).toBeTruthy();
  });
});

// ---- running them ---------------------------------------------------------------------------

const run = promisify(execFile);
let bin: string;
let work: string;

beforeAll(async () => {
  // The CLI from src/, bundled with its packages left external: it sits under node_modules/ so
  // they resolve, and below the repository so packageRoot() finds jit-access's package.json.
  const out = join(ROOT, "node_modules", ".cache", "jit-access-docs", "cli.mjs");
  mkdirSync(dirname(out), { recursive: true });
  await build({
    stdin: {
      contents: `import { main } from "./src/cli/main.ts";\nprocess.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });\n`,
      resolveDir: ROOT,
      loader: "ts",
      sourcefile: "docs-cli-entry.ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    packages: "external",
    outfile: out,
    logLevel: "error",
  });
  work = mkdtempSync(join(tmpdir(), "jit-docs-"));
  bin = join(work, "bin");
  mkdirSync(bin);
  const shim = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  shim("jit-access", `exec "${process.execPath}" "${out}" "$@"`);
  // npx runs only jit-access (from the clone, as the docs say); anything else would need the registry.
  shim(
    "npx",
    `while [ "$1" = "--yes" ] || [ "$1" = "-y" ] || [ "$1" = "--no-install" ]; do shift; done\nif [ "$1" = "jit-access" ]; then shift; exec jit-access "$@"; fi\necho "npx $1: not available in the docs test (no registry)" >&2; exit 127`,
  );
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const runnablePages = PAGES.filter((p) => shellBlocks.some((b) => b.file === p && b.mark === "runnable"));

describe.each(runnablePages)("the runnable blocks of %s", (page) => {
  it("run in order, each exiting 0", async () => {
    const dir = mkdtempSync(join(work, "page-"));
    const home = mkdtempSync(join(work, "home-"));
    // No credentials of any kind, and git with an identity, as a fresh machine would need.
    const env: Record<string, string> = {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: home,
      LANG: "C.UTF-8",
      AWS_EC2_METADATA_DISABLED: "true",
      GIT_AUTHOR_NAME: "Docs Test",
      GIT_AUTHOR_EMAIL: "docs@example.com",
      GIT_COMMITTER_NAME: "Docs Test",
      GIT_COMMITTER_EMAIL: "docs@example.com",
    };
    // The folder a block ends in is where the next one starts, as in the reader's shell.
    const state = join(home, "cwd");
    writeFileSync(state, dir);
    for (const b of shellBlocks.filter((x) => x.file === page && x.mark === "runnable")) {
      // The timeout only stops a hanging block; it is no speed check, and a loaded machine runs several times slower.
      try {
        await run("bash", ["-e", "-o", "pipefail", "-c", `cd "$(cat '${state}')"\n${b.code}\npwd > '${state}'`], { cwd: dir, env, timeout: 60_000 });
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        expect.fail(`${b.file}:${b.line} failed (exit ${err.code}):\n${b.code}\n--- stdout\n${err.stdout ?? ""}\n--- stderr\n${err.stderr ?? ""}`);
      }
    }
  }, 240_000);
});
