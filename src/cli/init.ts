// `jit-access init [DIR]`: reads what DIR holds, plans (src/init/plan.ts) and writes.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { UsageError, formatProblems, type Io } from "./support.js";
import { packageRoot } from "../package-root.js";
import { FORM_PATH } from "../init/files.js";
import { InitFlagError, checkInitFlags, DEFAULT_ACTION } from "../init/options.js";
import { planInit, type FileAction } from "../init/plan.js";

export const INIT_USAGE = `  init [DIR] --account ALIAS=ID... --region REGION --approver LOGIN|@ORG/TEAM...
       [--mode iam|identity-center] [--instance-arn ARN --identity-store-id ID]
       [--principal LOGIN=[iam_user:|iam_role:|sso_user:]NAME...] [--scheduler-role-arn ARN]
       [--action OWNER/REPO] [--action-ref REF] [--slack] [--force] [--dry-run]
                                                write an access repository into DIR (default .):
                                                config, issue form, CODEOWNERS, workflows, README
                                                (--action default ${DEFAULT_ACTION}; --action-ref:
                                                a 40-character commit SHA or a tag vN[.N[.N]],
                                                or OWNER/REPO@REF, default v<this version>;
                                                --slack: Slack through JIT_SLACK_WEBHOOK; changed
                                                files are kept unless --force)
`;

const SAID: Record<FileAction, [string, string]> = {
  write: ["wrote", "would write"],
  unchanged: ["unchanged", "unchanged"],
  keep: ["kept (it differs; --force overwrites it)", "would keep (it differs; --force overwrites it)"],
  overwrite: ["overwrote", "would overwrite"],
};

export function initCommand(args: string[], io: Io, packageVersion: string): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      account: { type: "string", multiple: true },
      approver: { type: "string", multiple: true },
      principal: { type: "string", multiple: true },
      mode: { type: "string" },
      region: { type: "string" },
      "instance-arn": { type: "string" },
      "identity-store-id": { type: "string" },
      "scheduler-role-arn": { type: "string" },
      action: { type: "string" },
      "action-ref": { type: "string" },
      slack: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
    },
  });
  if (positionals.length > 1) throw new UsageError("init takes at most one directory");
  let options;
  try {
    options = checkInitFlags(values, packageVersion);
  } catch (e) {
    if (e instanceof InitFlagError) throw new UsageError(e.message);
    throw e;
  }
  const dir = resolve(io.cwd, positionals[0] ?? ".");
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${positionals[0]} is not a directory`);
  const bundledForm = readFileSync(join(packageRoot(), FORM_PATH), "utf8");

  const notFiles: string[] = [];
  const existing = (path: string): string | undefined => {
    const abs = join(dir, path);
    if (!existsSync(abs)) return undefined;
    if (!statSync(abs).isFile()) {
      notFiles.push(path);
      return "";
    }
    return readFileSync(abs, "utf8");
  };
  const plan = planInit(options, bundledForm, existing, values.force);
  if (!plan.ok) {
    io.stderr.write(`jit-access init: the generated files would not be accepted:\n${formatProblems(plan.problems)}`);
    return 1;
  }
  if (notFiles.length) {
    io.stderr.write(
      `jit-access init: ${notFiles.join(", ")} ${notFiles.length === 1 ? "is" : "are"} not a file; move ${notFiles.length === 1 ? "it" : "them"} away and run init again\n`,
    );
    return 1;
  }
  const dry = values["dry-run"];
  const shownDir = positionals[0] ?? ".";
  for (const f of plan.value) {
    if (!dry && (f.action === "write" || f.action === "overwrite")) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    io.stdout.write(`${SAID[f.action][dry ? 1 : 0]}: ${f.path}\n`);
  }
  const kept = plan.value.filter((f) => f.action === "keep").length;
  const written = plan.value.filter((f) => f.action === "write" || f.action === "overwrite").length;
  io.stdout.write(
    `${dry ? "Dry run: nothing written" : `${written} written`}, ${kept} kept in ${shownDir}.` +
      ` Next: commit and push, then follow docs/install.md of jit-access (environment jit-access-sweep, branch protection).\n`,
  );
  return 0;
}
