// jit-access command line: validate | plan. Exit codes: 0 ok, 1 invalid/blocked, 2 usage.
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { parseRequestFile } from "./domain/request.js";
import type { Problem } from "./domain/types.js";
import { UsageError, findRepoRoot, formatProblems, loadConfigFile, readBounded, repoPath, requestFiles, type Io } from "./cli-support.js";

const USAGE = `Usage: jit-access <command> [options]

Commands:
  validate [PATH...] [--config FILE] [--json]   check request files (default: access-requests/**)
  help                                          show this help
`;

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate":
        return validateCommand(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      io.stderr.write(`jit-access: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    // Anything else is our bug: say so briefly, without a stack trace for the user.
    io.stderr.write(`jit-access: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 3;
  }
}

interface FileResult {
  file: string;
  ok: boolean;
  errors: Problem[];
}

function validateCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { config: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const root = findRepoRoot(io.cwd);
  const loaded = loadConfigFile(root, io.cwd, values.config);
  const files = requestFiles(root, io.cwd, positionals);
  const results: FileResult[] = [];
  if (!loaded.ok) results.push({ file: loaded.file, ok: false, errors: loaded.problems });
  else {
    for (const abs of files) {
      const shown = relative(io.cwd, abs) || abs;
      const bytes = readBounded(abs);
      if (!bytes.ok) {
        results.push({ file: shown, ok: false, errors: bytes.problems });
        continue;
      }
      const r = parseRequestFile(bytes.data, { file: repoPath(root, abs), config: loaded.config });
      results.push({ file: shown, ok: r.ok, errors: r.ok ? [] : r.problems });
    }
  }
  if (values.json) io.stdout.write(JSON.stringify(results, null, 2) + "\n");
  else {
    for (const r of results) {
      io.stdout.write(r.ok ? `✓ ${r.file}\n` : `✗ ${r.file}\n${formatProblems(r.errors)}`);
    }
    const bad = results.filter((r) => !r.ok).length;
    io.stdout.write(`${results.length - bad} valid, ${bad} invalid\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}
