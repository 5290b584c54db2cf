// `jit-access identities import|validate`: identities as code from the command line. `import`
// converts the user-provisioning CSV into an identities file for review; `validate` checks
// identities/ as the pull request check and the merge do.
import { existsSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { IDENTITY_FILES } from "../domain/identities.js";
import { importUsersCsv, MAX_CSV_BYTES } from "../domain/identities-csv.js";
import type { Config } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import { retryPendingOnboarding, type Onboard } from "../lifecycle/onboarding.js";
import { createOnboarder } from "../notify/onboarding.js";
import type { RecordStore } from "../store/record-store.js";
import { checkIdentities, identitiesAccountId, type CheckedIdentities } from "../policy/identity-baseline.js";
import { createIdentityDirectory } from "../aws/identities.js";
import type { IdentityDirectory } from "../aws/types.js";
import { driftText, reconcileIdentities } from "../lifecycle/identity-drift.js";
import { findRepoRoot, formatProblems, loadConfigFile, readBounded, UsageError, type Io } from "./support.js";

export const IDENTITIES_USAGE = `  identities import CSV [--kind K] [--out FILE]  convert a users CSV into an identities file for review
             validate [--config FILE]           check identities/people.yaml and identities/roles.yaml
             reconcile [--apply] [--json] [--config FILE]  compare identities/ with AWS; --apply repairs what is safe
`;

export async function identitiesCommand(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "import":
      return importCommand(rest, io);
    case "validate":
      return validateIdentitiesCommand(rest, io);
    case "reconcile":
      return reconcileCommand(rest, io);
    case undefined:
    default:
      throw new UsageError(
        sub === undefined ? "identities needs a subcommand: import, validate or reconcile" : `unknown identities subcommand ${JSON.stringify(sub)}`,
      );
  }
}

function importCommand(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { kind: { type: "string", default: "iam_user" }, out: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("identities import takes one CSV file");
  const kind = values.kind;
  if (kind !== "iam_user" && kind !== "sso_user") throw new UsageError(`--kind ${JSON.stringify(kind)} must be iam_user or sso_user`);
  const csv = resolve(io.cwd, positionals[0] as string);
  if (!existsSync(csv)) throw new UsageError(`${positionals[0]}: no such file`);
  const bytes = readBounded(csv, MAX_CSV_BYTES);
  if (!bytes.ok) {
    io.stderr.write(formatProblems(bytes.problems));
    return 1;
  }
  const r = importUsersCsv(new TextDecoder().decode(bytes.value), { kind, source: relative(io.cwd, csv) || csv });
  if (!r.ok) {
    io.stderr.write(`✗ ${positionals[0]}\n${formatProblems(r.problems)}`);
    return 1;
  }
  if (values.out === undefined) {
    io.stdout.write(r.value.text);
    return 0;
  }
  const out = resolve(io.cwd, values.out);
  // Never overwrite reviewed identities: merging two lists is a person's job, in a pull request.
  if (existsSync(out)) throw new UsageError(`${values.out} exists; write to a new file and merge the entries by hand`);
  writeFileSync(out, r.value.text, { flag: "wx" });
  io.stdout.write(`wrote ${values.out}: ${r.value.file.people?.length ?? 0} people; review it and open a pull request\n`);
  return 0;
}

/** The config and the checked identity files of the local checkout, or the exit code after saying why not. */
function localIdentities(io: Io, configPath: string | undefined): { config: Config; ids: CheckedIdentities } | number {
  const root = findRepoRoot(io.cwd);
  const loaded = loadConfigFile(root, io.cwd, configPath);
  if (!loaded.ok) {
    io.stdout.write(`✗ ${loaded.file}\n${formatProblems(loaded.problems)}`);
    return 1;
  }
  const files = [];
  for (const path of IDENTITY_FILES) {
    const abs = join(root, path);
    if (!existsSync(abs)) {
      files.push({ path, text: undefined });
      continue;
    }
    const bytes = readBounded(abs);
    if (!bytes.ok) {
      io.stdout.write(`✗ ${path}\n${formatProblems(bytes.problems)}`);
      return 1;
    }
    files.push({ path, text: bytes.value });
  }
  const r = checkIdentities(loadCatalogue(), files, loaded.value);
  if (!r.ok) {
    io.stdout.write(`✗ identities/\n${formatProblems(r.problems)}`);
    return 1;
  }
  return { config: loaded.value, ids: r.value };
}

function validateIdentitiesCommand(args: string[], io: Io): number {
  const { values } = parseArgs({ args, strict: true, options: { config: { type: "string" } } });
  const local = localIdentities(io, values.config);
  if (typeof local === "number") return local;
  io.stdout.write(`✓ identities/: ${local.ids.people.length} people, ${local.ids.roles.length} roles\n`);
  return 0;
}

async function reconcileCommand(
  args: string[],
  io: Io,
  directoryFor: (config: Config) => IdentityDirectory = (c) => createIdentityDirectory(c),
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { config: { type: "string" }, apply: { type: "boolean", default: false }, json: { type: "boolean", default: false } },
  });
  if (positionals.length) throw new UsageError(`identities reconcile takes no arguments (got ${positionals.join(" ")})`);
  const local = localIdentities(io, values.config);
  if (typeof local === "number") return local;
  const report = await reconcileIdentities(local.config, local.ids, directoryFor(local.config), { apply: values.apply });
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : driftText(report));
  return report.ok ? 0 : 1;
}

/**
 * The sweep's part of onboarding: messages that could not be sent when a person was created are
 * sent again. Never fails the sweep; says what happened (one line), or nothing when nothing waits.
 */
export async function retryOnboarding(
  records: { store: RecordStore; config: Config },
  env: Readonly<Record<string, string | undefined>>,
  onboard: Onboard = createOnboarder({ env }),
): Promise<string> {
  const config = records.config;
  if (!config.identities.enabled || config.identities.onboarding.channel === "none") return "";
  try {
    const r = await retryPendingOnboarding(records.store, config, env.GITHUB_REPOSITORY ?? "the access repository", onboard, identitiesAccountId(config) ?? "");
    if (!r.sent.length && !r.failed.length && !r.dropped.length) return "";
    return `onboarding: ${r.sent.length} sent (${r.sent.join(", ") || "-"}), ${r.failed.length} still pending (${r.failed.join(", ") || "-"}), ${r.dropped.length} no longer listed\n`;
  } catch (e) {
    return `onboarding: the retry failed (${e instanceof Error ? e.message : String(e)}); the next sweep tries again\n`;
  }
}
