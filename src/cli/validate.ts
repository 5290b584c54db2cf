// `jit-access validate [PATH...] [--config FILE] [--json]`: the file rules and the policy pipeline
// over request files, the same judgement `plan` makes.
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { catalogueProblems } from "../domain/access-catalogue.js";
import { loadCatalogue } from "../iam-data.js";
import { validateRequestFile } from "../policy/pipeline.js";
import type { Problem } from "../domain/types.js";
import { findRepoRoot, formatProblems, loadConfigFile, noRequestFilesWarning, readBounded, repoPath, requestFiles, type Io } from "./support.js";

export const VALIDATE_USAGE = `  validate [PATH...] [--config FILE] [--json]   check request files (default: access-requests/**)
`;

interface FileResult {
  file: string;
  ok: boolean;
  errors: Problem[];
}

export function validateCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { config: { type: "string" }, json: { type: "boolean", default: false } },
  });
  const root = findRepoRoot(io.cwd);
  const loaded = loadConfigFile(root, io.cwd, values.config);
  const files = requestFiles(root, io.cwd, positionals);
  // A broken config is the report then; the warning is for a run that had nothing to check.
  if (files.length === 0 && loaded.ok) io.stderr.write(noRequestFilesWarning(root, io.cwd, positionals, "nothing was validated"));
  const results: FileResult[] = [];
  if (!loaded.ok) results.push({ file: loaded.file, ok: false, errors: loaded.problems });
  else {
    // A broken catalogue entry is reported here and refuses only the requests that pick it.
    const entries = catalogueProblems(loaded.value);
    if (entries.length) results.push({ file: loaded.file, ok: false, errors: entries });
    const catalogue = loadCatalogue();
    const now = new Date();
    for (const abs of files) {
      const shown = relative(io.cwd, abs) || abs;
      const bytes = readBounded(abs);
      if (!bytes.ok) {
        results.push({ file: shown, ok: false, errors: bytes.problems });
        continue;
      }
      // The same validator as plan: a file is valid exactly when plan would accept it.
      const r = validateRequestFile(catalogue, bytes.value, { file: repoPath(root, abs), config: loaded.value, now });
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
