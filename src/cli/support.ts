// Shared plumbing of the CLI commands: locating the repository, the config and request files.
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { CONFIG_PATH, parseConfig } from "../domain/config.js";
import { deriveIdentityPrincipals, IDENTITY_FILES } from "../domain/identities.js";
import { fail, ok, problem, type Result } from "../domain/problems.js";
import { REQUESTS_DIR } from "../domain/request.js";
import { MAX_YAML_BYTES } from "../domain/yaml.js";
import type { Config, Problem } from "../domain/types.js";

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  cwd: string;
}

export class UsageError extends Error {}

/** The nearest ancestor holding access-requests/ or .git; else the working directory. */
export function findRepoRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, REQUESTS_DIR)) || existsSync(join(dir, ".git"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(start);
    dir = parent;
  }
}

/** The config, or why not, with the file it came from (shown in every message about it). */
export type LoadedConfig = Result<Config> & { file: string };

export function loadConfigFile(root: string, cwd: string, explicit: string | undefined): LoadedConfig {
  const file = explicit ? resolve(cwd, explicit) : join(root, CONFIG_PATH);
  const shown = relative(cwd, file) || file;
  if (!existsSync(file)) {
    if (explicit) throw new UsageError(`config file ${explicit} does not exist`);
    return { ...parseConfig(undefined), file: "(defaults)" };
  }
  const bytes = readBounded(file);
  const parsed = bytes.ok ? parseConfig(bytes.value) : bytes;
  if (!parsed.ok) return { ...parsed, file: shown };
  // A login listed in identities/ needs no principals entry (as the app reads it).
  const identities = IDENTITY_FILES.map((path) => {
    const abs = join(root, path);
    const read = existsSync(abs) ? readBounded(abs) : undefined;
    return { path, text: read?.ok ? read.value : undefined };
  });
  return { ...ok(deriveIdentityPrincipals(parsed.value, identities)), file: shown };
}

/**
 * Reads a file unless it is larger than a request may be (then it is not read at all). One open
 * with O_NOFOLLOW refuses a link at open time, so nothing can swap one in between the check and
 * the read, and O_NONBLOCK keeps a fifo from blocking the open; fstat then checks the file that
 * was opened. (Also a third fewer system calls than lstat + readFileSync, which counts over
 * 100,000 records.)
 */
export function readBounded(file: string, max = MAX_YAML_BYTES): Result<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ELOOP")
      return fail(problem("cli.symlink", "the file is a symbolic link; request files must be regular files — replace the link with the file itself"));
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return fail(problem("cli.not-a-file", `${file} is not a regular file`));
    if (st.size > max) return fail(problem("yaml.too-large", `the file is ${st.size} bytes; the limit is ${max} bytes`));
    // Up to one byte over the limit: a file that grew since fstat is refused, not cut short.
    const buf = Buffer.allocUnsafe(Math.min(st.size, max) + 1);
    let got = 0;
    for (let n; got < buf.length && (n = readSync(fd, buf, got, buf.length - got, got)) > 0;) got += n;
    if (got > max) return fail(problem("yaml.too-large", `the file is over ${max} bytes (the limit)`));
    return ok(buf.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

/** Request files named on the command line (files or folders), or all under access-requests/. */
export function requestFiles(root: string, cwd: string, args: string[]): string[] {
  const targets = args.length ? args.map((a) => resolve(cwd, a)) : [join(root, REQUESTS_DIR)];
  const out: string[] = [];
  for (const t of targets) {
    if (!existsSync(t)) {
      if (args.length) throw new UsageError(`${relative(cwd, t) || t}: no such file or folder`);
      continue;
    }
    if (lstatSync(t).isDirectory()) out.push(...walkYaml(t));
    else out.push(t);
  }
  return [...new Set(out)].sort();
}

function walkYaml(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walkYaml(p));
    // Links are listed too, so that readBounded reports them instead of skipping them silently.
    else if ((e.isFile() || e.isSymbolicLink()) && /\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The path a request file is judged by: relative to the repository root, with forward slashes. */
export function repoPath(root: string, file: string): string {
  return relative(root, file).split(sep).join("/");
}

export function formatProblems(problems: Problem[]): string {
  // Messages usually start with the field already; only prefix the path when they do not.
  return problems.map((p) => `  ✗ ${p.path && !p.message.startsWith(p.path) ? `${p.path}: ` : ""}${p.message}`).join("\n") + "\n";
}

/**
 * The usage text of each command, cut from a help text whose commands are listed as lines
 * indented by exactly two spaces (continuation lines are indented further). Keyed by the
 * command's first word.
 */
export function commandUsages(help: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | undefined;
  for (const line of help.split("\n")) {
    const m = /^ {2}([a-z][a-z-]*)\b/.exec(line);
    if (m) {
      current = m[1] ?? "";
      out.set(current, line.slice(2).trimEnd());
    } else if (current && /^ {3,}\S/.test(line)) out.set(current, `${out.get(current)}\n${line.trimEnd()}`);
    else current = undefined;
  }
  return out;
}

/** Whether the arguments ask for help: --help or -h before any "--" (after it, they are operands). */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

/**
 * The warning printed when a command finds no request file to work on: `where` is what was
 * searched (the folders named, or access-requests/ of the repository found from `cwd`).
 */
export function noRequestFilesWarning(root: string, cwd: string, named: readonly string[], what: string): string {
  const where = named.length ? named.join(", ") : `${relative(cwd, join(root, REQUESTS_DIR)) || REQUESTS_DIR}/`;
  return `jit-access: warning: no request files (*.yaml, *.yml) found in ${where}; ${what}. Run it in the access repository (or a folder in it), or name the files.\n`;
}
