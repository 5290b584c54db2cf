// The jit-access GitHub Action (action.yml → dist/sweep.js, bundled by scripts/build-sweep.mjs):
// input `command` picks the expiry sweep (default; src/sweep/action.ts), `validate` of the changed
// request files, or the access `report`. validate and report run the CLI's own commands on the
// checked-out workspace, with no token and no AWS.
import { appendFileSync, lstatSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { validateCommand } from "./cli/validate.js";
import { UsageError, formatProblems, type Io } from "./cli/support.js";
import { REQUESTS_DIR } from "./domain/request.js";
import type { Problem } from "./domain/types.js";
import { reportCommand } from "./cli/report.js";
import { escape, input, runAction as sweepAction } from "./sweep/action.js";

type Env = Record<string, string | undefined>;
type Out = { write(s: string): unknown };

export const ACTION_COMMANDS = ["sweep", "validate", "report"] as const;

export async function runActionCommand(env: Env = process.env, out: Out = process.stdout): Promise<number> {
  const command = input(env, "command") || "sweep";
  switch (command) {
    case "sweep":
      return sweepAction(env, out);
    case "validate":
      return validateAction(env, out);
    case "report":
      return reportAction(env, out);
    default:
      out.write(
        `::error::${escape(`jit-access: input command ${JSON.stringify(command)} is not one of ${ACTION_COMMANDS.join(", ")}; set command: sweep, validate or report`)}\n`,
      );
      return 1;
  }
}

/** Escapes a property of a workflow command (file=…), which also ends at `:` and `,`. */
function escapeProperty(s: string): string {
  return escape(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** The largest list of changed files read (a list of paths, not the files themselves). */
export const MAX_FILE_LIST_BYTES = 1024 * 1024;

/**
 * The request files named by input `files-from`: a file of NUL-separated paths relative to the
 * workspace (`git diff -z --name-only`), so that no file name can split into extra arguments or
 * flags. Every entry must be a .yaml or .yml under access-requests/; anything else is refused
 * rather than skipped, so a list that is not what the workflow meant fails the check.
 */
export function changedRequestFiles(list: Uint8Array): { ok: true; files: string[] } | { ok: false; problems: Problem[] } {
  const entries = Buffer.from(list)
    .toString("utf8")
    .split("\0")
    .filter((e) => e !== "");
  const problems: Problem[] = [];
  for (const e of entries) {
    const segments = e.split("/");
    if (isAbsolute(e) || e.includes("\\") || segments.some((x) => x === ".." || x === "." || x === "") || segments[0] !== REQUESTS_DIR || !/\.ya?ml$/.test(e)) {
      problems.push({
        code: "cli.files-from",
        path: "files-from",
        message: `files-from: entry ${JSON.stringify(e)} is not a request file path: list only paths under ${REQUESTS_DIR}/ ending in .yaml or .yml, relative to the repository root and NUL-separated (git diff -z --name-only)`,
      });
    }
  }
  return problems.length ? { ok: false, problems } : { ok: true, files: [...new Set(entries)] };
}

function captured(): { io: { write(s: string): unknown }; text: () => string } {
  let text = "";
  return { io: { write: (s: string) => (text += s) }, text: () => text };
}

/**
 * Runs one of the CLI's commands as `jit-access <command>` would, usage errors included (they
 * become exit 2 with the message on stderr), and without the CLI's other commands in the bundle.
 */
async function cli(run: (args: string[], io: Io) => number | Promise<number>, args: string[], io: Io): Promise<number> {
  try {
    return await run(args, io);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      io.stderr.write(`jit-access: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

function workspace(env: Env): string {
  return env.GITHUB_WORKSPACE || process.cwd();
}

/** The config input as CLI arguments: the checked-out file (validate and report read the workspace). */
function configArgs(env: Env): string[] {
  const configPath = input(env, "config-path");
  return configPath ? ["--config", configPath] : [];
}

interface ValidateResult {
  file: string;
  ok: boolean;
  errors: Problem[];
}

async function validateAction(env: Env, out: Out): Promise<number> {
  const fail = (message: string) => {
    out.write(`::error::${escape(`jit-access validate: ${message}`)}\n`);
    return 1;
  };
  const listInput = input(env, "files-from");
  if (!listInput) return fail("input files-from is empty; give the file the workflow wrote with git diff -z --name-only (NUL-separated request file paths)");
  const cwd = workspace(env);
  const listFile = resolve(cwd, listInput);
  let bytes: Buffer;
  try {
    const st = lstatSync(listFile);
    if (!st.isFile()) return fail(`files-from ${JSON.stringify(listInput)} is not a regular file`);
    if (st.size > MAX_FILE_LIST_BYTES) return fail(`files-from ${JSON.stringify(listInput)} is ${st.size} bytes; the limit is ${MAX_FILE_LIST_BYTES}`);
    bytes = readFileSync(listFile);
  } catch {
    return fail(`files-from ${JSON.stringify(listInput)} does not exist; write it before this step (git diff -z --name-only … > "$RUNNER_TEMP/changed")`);
  }
  const listed = changedRequestFiles(bytes);
  if (!listed.ok) {
    for (const p of listed.problems) out.write(`::error::${escape(p.message)}\n`);
    return 1;
  }
  if (listed.files.length === 0) {
    out.write("No request files changed; nothing to validate.\n");
    return 0;
  }
  // "--" ends the options: a file named like a flag is still a file.
  const stdout = captured();
  const stderr = captured();
  const code = await cli(validateCommand, [...configArgs(env), "--json", "--", ...listed.files], { stdout: stdout.io, stderr: stderr.io, cwd });
  // A usage error (a listed file gone, no config) is the whole message: one ::error:: line.
  if (code !== 0 && code !== 1)
    return fail(
      stderr
        .text()
        .split("\n")[0]
        ?.replace(/^jit-access: /, "") || `exit ${code}`,
    );
  if (stderr.text()) out.write(stderr.text());
  const results = JSON.parse(stdout.text()) as ValidateResult[];
  for (const r of results) {
    out.write(r.ok ? `✓ ${r.file}\n` : `✗ ${r.file}\n${formatProblems(r.errors)}`);
    if (!r.ok) out.write(`::error file=${escapeProperty(r.file)}::${escape(r.errors.map((p) => p.message).join("; "))}\n`);
  }
  const bad = results.filter((r) => !r.ok).length;
  out.write(`${results.length - bad} valid, ${bad} invalid\n`);
  return code;
}

async function reportAction(env: Env, out: Out): Promise<number> {
  const stdout = captured();
  const stderr = captured();
  const code = await cli(reportCommand, ["--format", "md", ...configArgs(env)], { stdout: stdout.io, stderr: stderr.io, cwd: workspace(env) });
  const note = stderr.text().trim();
  if (note) out.write(`::${code === 0 ? "warning" : "error"}::${escape(note)}\n`);
  if (code !== 0) return code;
  if (env.GITHUB_STEP_SUMMARY) {
    appendFileSync(env.GITHUB_STEP_SUMMARY, stdout.text());
    out.write(`Wrote the access report to the job summary.\n`);
  } else out.write(stdout.text());
  return 0;
}

// The bundle (dist/sweep.js) defines this as "1" at build time, so it runs; importing this module
// (tests) runs nothing unless the variable is set. The bundle reads the IAM data it ships
// (dist/iam-data/, next to it): the Action has no node_modules.
if (process.env.JIT_ACCESS_ACTION_MAIN === "1") {
  process.env.JIT_ACCESS_IAM_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), "iam-data");
  process.exitCode = await runActionCommand();
}
