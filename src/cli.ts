// jit-access command line: validate | plan | sweep | list | revoke | report | init | doctor. Exit codes: 0 ok, 1 invalid/blocked, 2 usage.
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { setTopLevelFields } from "./domain/request-file.js";
import { loadCatalogue } from "./iam-data.js";
import { planRequest, riskLabel, validateRequestFile } from "./policy/pipeline.js";
import { draftForRequest, type Draft } from "./policy/drafter.js";
import { createDrafter } from "./ai/gemini.js";
import type { Problem } from "./domain/types.js";
import { SWEEP_USAGE, listCommand, revokeCommand, sweepCommand } from "./sweep/commands.js";
import { REPORT_USAGE, reportCommand } from "./report/command.js";
import { DOCTOR_USAGE, doctorCommand } from "./doctor/command.js";
import { UsageError, asksForHelp, commandUsages, findRepoRoot, formatProblems, loadConfigFile, noRequestFilesWarning, readBounded, repoPath, requestFiles, type Io } from "./cli-support.js";
import { packageRoot } from "./package-root.js";
import { INIT_USAGE, initCommand } from "./init/command.js";

const USAGE = `Usage: jit-access <command> [options]

Commands:
  validate [PATH...] [--config FILE] [--json]   check request files (default: access-requests/**)
  plan FILE [--config FILE] [--json] [--now ISO] [--write] [--ai builtin|gemini]
                                                draft and check the policy for one request
                                                (--ai: who drafts; default: ai.provider of the config)
${SWEEP_USAGE}${REPORT_USAGE}${INIT_USAGE}${DOCTOR_USAGE}  help                                          show this help
  --version                                     print the version

jit-access <command> --help shows one command's usage.
`;

/** Each command's own usage, for `<command> --help` and for its usage errors. */
const COMMAND_USAGE = commandUsages(USAGE);

function usageOf(command: string | undefined): string {
  const own = command === undefined ? undefined : COMMAND_USAGE.get(command);
  return own ? `Usage: jit-access ${own}\n` : USAGE;
}

/** The version in jit-access's package.json. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && COMMAND_USAGE.has(command) && command !== "help" && asksForHelp(rest)) {
      io.stdout.write(usageOf(command));
      return 0;
    }
    switch (command) {
      case "validate":
        return validateCommand(rest, io);
      case "plan":
        return await planCommand(rest, io);
      case "sweep":
        return await sweepCommand(rest, io);
      case "revoke":
        return await revokeCommand(rest, io);
      case "list": {
        const code = await listCommand(rest, io);
        warnIfNoLocalRequests(io, "nothing to list");
        return code;
      }
      case "report":
        return await reportCommand(rest, io);
      case "init":
        return initCommand(rest, io, version());
      case "doctor":
        return await doctorCommand(rest, io);
      case "--version":
      case "-V":
        io.stdout.write(`${version()}\n`);
        return 0;
      case "help":
        if (rest[0] !== undefined && COMMAND_USAGE.has(rest[0]) && rest[0] !== "help") {
          io.stdout.write(usageOf(rest[0]));
          return 0;
        }
        io.stdout.write(USAGE);
        return 0;
      case undefined:
      case "--help":
      case "-h":
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      io.stderr.write(`jit-access: ${e.message}\n\n${usageOf(command)}`);
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
      const r = validateRequestFile(catalogue, bytes.data, { file: repoPath(root, abs), config: loaded.config, now });
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

async function planCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      json: { type: "boolean", default: false },
      now: { type: "string" },
      write: { type: "boolean", default: false },
      ai: { type: "string" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("plan takes exactly one request file");
  if (values.ai !== undefined && values.ai !== "builtin" && values.ai !== "gemini") {
    throw new UsageError(`--ai ${JSON.stringify(values.ai)}: use builtin or gemini`);
  }
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (values.now !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.now) || Number.isNaN(now.getTime()))) {
    throw new UsageError(`--now ${JSON.stringify(values.now)} is not an ISO date-time such as 2026-11-27T09:00:00Z`);
  }
  const root = findRepoRoot(io.cwd);
  const loaded = loadConfigFile(root, io.cwd, values.config);
  const [abs] = requestFiles(root, io.cwd, positionals);
  if (!abs) throw new UsageError(`${positionals[0]}: no request file there`);
  const shown = relative(io.cwd, abs) || abs;
  const fail = (errors: Problem[], file: string): number => {
    if (values.json) io.stdout.write(JSON.stringify({ id: null, policy: null, verdict: { ok: false, risk: null, errors, warnings: [] }, explanation: null }, null, 2) + "\n");
    else io.stdout.write(`✗ ${file}\n${formatProblems(errors)}`);
    return 1;
  };
  if (!loaded.ok) return fail(loaded.problems, loaded.file);
  const bytes = readBounded(abs);
  if (!bytes.ok) return fail(bytes.problems, shown);
  const catalogue = loadCatalogue();
  const checked = validateRequestFile(catalogue, bytes.data, { file: repoPath(root, abs), config: loaded.config, now });
  // A file the file rules refuse has no plan to show (every error is listed); one that only the
  // pipeline blocks is planned and shown below, with the same errors.
  if (!checked.parsed) return fail(checked.problems, shown);
  const file = checked.parsed;

  // Step 2 (optional): a model drafts a narrowing of the built-in envelope; the pipeline below
  // judges the draft like any policy. A file that already has a policy is judged as it is.
  let request = file.request;
  let draft: Draft | undefined;
  const ai = values.ai ?? loaded.config.ai.provider;
  if (ai === "gemini") {
    const drafter = createDrafter({ ...loaded.config, ai: { ...loaded.config.ai, provider: "gemini" } }, process.env);
    ({ request, draft } = await draftForRequest(catalogue, request, { partition: loaded.config.aws.partition, region: loaded.config.aws.region, accountId: file.account.id }, drafter));
  }
  const drafted = draft !== undefined && draft.fellBack === undefined;

  const plan = !draft && checked.plan ? checked.plan : planRequest(catalogue, {
    request,
    config: loaded.config,
    accountId: file.account.id,
    now,
    durationSeconds: file.durationSeconds,
  });
  const { verdict } = plan;

  if (values.write && (plan.generated || drafted) && verdict.ok) {
    const text = Buffer.from(bytes.data).toString("utf8");
    writeFileSync(abs, setTopLevelFields(text, { generator: plan.generator, policy: plan.policy }));
  }

  if (values.json) {
    const drafting = draft ? { draft: { generator: draft.generator, fell_back: draft.fellBack ?? null, warnings: draft.warnings, justifications: draft.justifications ?? [] } } : {};
    io.stdout.write(JSON.stringify({ id: plan.id, policy: plan.policy, verdict, explanation: plan.explanation, generator: plan.generator, expires_at: plan.expiresAt, ...drafting }, null, 2) + "\n");
  } else {
    const out: string[] = [];
    out.push(`${verdict.ok ? "✓" : "✗"} ${shown} — ${plan.id}: ${verdict.ok ? "ok" : "blocked"}, risk ${riskLabel(verdict.risk)}`);
    out.push("", plan.explanation.summary, "", plan.explanation.table.trimEnd(), "");
    out.push(`Policy (${plan.generated ? `generated by ${plan.generator}` : drafted ? `drafted by ${plan.generator}, narrowed to the built-in policy` : `from the file, ${plan.generator}`}; at grant every Allow gets DateLessThan aws:CurrentTime ${plan.expiresAt} if granted now):`);
    out.push(JSON.stringify(plan.policy, null, 2), "");
    out.push(`Simulation: ${plan.simulation.checked} asked action/resource pairs allowed before expiry and denied after; ${plan.simulation.outside} outside samples denied${plan.simulation.ok ? "" : " — FAILED"}.`);
    if (verdict.errors.length) out.push("", "Errors (the request cannot be granted):", formatProblems(verdict.errors).trimEnd());
    if (verdict.warnings.length) out.push("", "Warnings:", formatProblems(verdict.warnings).trimEnd());
    if (draft?.justifications?.length) out.push("", `Why (${draft.generator}, untrusted):`, ...draft.justifications.map((j) => `  ${j.sid}: ${j.why}`));
    if (draft?.warnings.length) out.push("", `Drafting warnings (${draft.fellBack === undefined ? draft.generator : "fell back to the built-in policy"}):`, formatProblems(draft.warnings).trimEnd());
    if (values.write) out.push("", (plan.generated || drafted) && verdict.ok ? `Wrote policy and generator into ${shown}.` : `Nothing written: ${plan.generated || drafted ? "the policy is blocked" : "the file already has a policy"}.`);
    io.stdout.write(out.join("\n") + "\n");
  }
  return verdict.ok ? 0 : 1;
}

/**
 * `list` reads the local checkout's records unless GITHUB_TOKEN and GITHUB_REPOSITORY point it at
 * the GitHub API; locally, an empty or missing access-requests/ usually means the wrong folder.
 */
function warnIfNoLocalRequests(io: Io, what: string): void {
  if (process.env.GITHUB_TOKEN && process.env.GITHUB_REPOSITORY) return;
  const root = findRepoRoot(io.cwd);
  if (requestFiles(root, io.cwd, []).length === 0) io.stderr.write(noRequestFilesWarning(root, io.cwd, [], what));
}
