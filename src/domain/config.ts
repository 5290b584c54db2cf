// The repository config (.github/jit-access.yml): parsed, validated, defaults applied.
import { activityConfigProblems } from "./activity.js";
import { approvalPolicyConfigProblems } from "./approvals/policies-config.js";
import { conditionsConfigProblems } from "./conditions.js";
import { lifecycleConfigProblems } from "./lifecycle-config.js";
import { parseDuration } from "./duration.js";
import { identitiesConfigProblems } from "./identities.js";
import { validateConfigShape } from "./schema.js";
import { fail, ok, prefixMessages, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import type { AccountEntry, Config, Problem } from "./types.js";
import { isBlank, loadYamlMapping } from "./yaml.js";

export const CONFIG_PATH = ".github/jit-access.yml";

/** Folder names under access-requests/ that are not accounts. */
export const RESERVED_FOLDERS = ["examples"];

export function defaultConfig(): Config {
  const result = configFromObject({});
  if (!result.ok) throw new Error("the built-in config defaults do not validate"); // a bug, not input
  return result.value;
}

/** From YAML text; `undefined` (no file) means all defaults. */
export function parseConfig(text: string | Uint8Array | undefined): Result<Config> {
  // No file, or a file with everything commented out, means all defaults.
  if (text === undefined) return configFromObject({});
  const asText = typeof text === "string" ? text : decodeUtf8(text);
  if (asText !== undefined && isBlank(asText)) return configFromObject({});
  const loaded = loadYamlMapping(text, "config file");
  if (!loaded.ok) return loaded;
  return configFromObject(loaded.value);
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined; // loadYamlMapping reports it
  }
}

export function configFromObject(raw: unknown): Result<Config> {
  // Defaults are filled in by ajv on a copy; the caller's object is left alone.
  const value: unknown = raw && typeof raw === "object" ? structuredClone(raw) : raw;
  const problems = validateConfigShape(value);
  if (problems.length) return fail(...problems);
  const config = value as Config;
  problems.push(...semanticProblems(config));
  return problems.length ? fail(...problems) : ok(config);
}

function semanticProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  const def = parseDuration(config.default_duration, "config.duration-invalid", "default_duration");
  const max = parseDuration(config.max_duration, "config.duration-invalid", "max_duration");
  if (!def.ok) out.push(...prefixMessages("default_duration: ", def.problems));
  if (!max.ok) out.push(...prefixMessages("max_duration: ", max.problems));
  if (def.ok && max.ok && def.value > max.value) {
    out.push(
      problem(
        "config.default-exceeds-max",
        `default_duration ${show(config.default_duration)} is longer than max_duration ${show(config.max_duration)}; lower it or raise max_duration`,
        "default_duration",
      ),
    );
  }
  if (def.ok && def.value < 15 * 60)
    out.push(problem("config.duration-too-short", `default_duration ${show(config.default_duration)} is shorter than the 15m minimum`, "default_duration"));
  if (max.ok && max.value < 15 * 60)
    out.push(problem("config.duration-too-short", `max_duration ${show(config.max_duration)} is shorter than the 15m minimum`, "max_duration"));
  out.push(...activityConfigProblems(config));
  out.push(...approvalPolicyConfigProblems(config));
  out.push(...conditionsConfigProblems(config));
  out.push(...lifecycleConfigProblems(config));
  out.push(...identitiesConfigProblems(config));
  out.push(...accountGroupProblems(config));
  for (const alias of Object.keys(config.aws.accounts)) {
    if (RESERVED_FOLDERS.includes(alias))
      out.push(
        problem(
          "config.reserved-alias",
          `account alias ${show(alias)} is reserved (access-requests/${alias}/ holds examples); pick another alias`,
          `aws.accounts.${alias}`,
        ),
      );
  }
  const seenIds = new Map<string, string>();
  for (const [alias, entry] of Object.entries(config.aws.accounts)) {
    const id = accountEntry(entry).id;
    const other = seenIds.get(id);
    if (other)
      out.push(
        problem(
          "config.duplicate-account",
          `account id ${id} is listed twice (as ${show(other)} and ${show(alias)}); keep one alias per account`,
          `aws.accounts.${alias}`,
        ),
      );
    seenIds.set(id, alias);
  }
  if (config.aws.mode === "identity-center") {
    if (!config.aws.identity_center) {
      out.push(
        problem(
          "config.identity-center-missing",
          `aws.mode is identity-center but aws.identity_center is missing; add instance_arn and identity_store_id`,
          "aws.identity_center",
        ),
      );
    }
    for (const [login, p] of Object.entries(config.principals)) {
      if (!("sso_user" in p))
        out.push(problem("config.principal-mode", `principals.${login} must be { sso_user: <user name> } in identity-center mode`, `principals.${login}`));
    }
  } else {
    for (const [login, p] of Object.entries(config.principals)) {
      if ("sso_user" in p)
        out.push(
          problem(
            "config.principal-mode",
            `principals.${login} is an sso_user but aws.mode is iam; use iam_user or iam_role, or set aws.mode: identity-center`,
            `principals.${login}`,
          ),
        );
    }
  }
  return out;
}

export function accountEntry(entry: string | AccountEntry): AccountEntry {
  return typeof entry === "string" ? { id: entry } : entry;
}

export interface ResolvedAccount {
  id: string;
  alias?: string;
  roleArn?: string;
}

/** An alias or 12-digit id → the account, or undefined when the config does not allow it. */
export function resolveAccount(config: Config, account: string): ResolvedAccount | undefined {
  const direct = Object.hasOwn(config.aws.accounts, account) ? config.aws.accounts[account] : undefined;
  if (direct !== undefined) {
    const e = accountEntry(direct);
    return { id: e.id, alias: account, ...(e.role_arn ? { roleArn: e.role_arn } : {}) };
  }
  if (/^\d{12}$/.test(account)) {
    for (const [alias, entry] of Object.entries(config.aws.accounts)) {
      const e = accountEntry(entry);
      if (e.id === account) return { id: e.id, alias, ...(e.role_arn ? { roleArn: e.role_arn } : {}) };
    }
    if (config.aws.allow_any_account) return { id: account };
  }
  return undefined;
}

export function knownAccountsText(config: Config): string {
  const aliases = Object.keys(config.aws.accounts);
  return aliases.length ? aliases.join(", ") : "none configured — add aws.accounts to .github/jit-access.yml";
}

/** The config's account groups that name an unknown alias or shadow an alias. */
export function accountGroupProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  for (const [group, members] of Object.entries(config.aws.account_groups ?? {})) {
    if (Object.hasOwn(config.aws.accounts, group))
      out.push(
        problem(
          "config.account-group-invalid",
          `account group ${show(group)} has the name of an account alias; rename the group so that ${show(group)} means one thing`,
          `aws.account_groups.${group}`,
        ),
      );
    members.forEach((m, i) => {
      if (!Object.hasOwn(config.aws.accounts, m))
        out.push(
          problem(
            "config.account-group-invalid",
            `aws.account_groups.${group}[${i}] ${show(m)} is not an alias under aws.accounts; use one of: ${knownAccountsText(config)}`,
            `aws.account_groups.${group}[${i}]`,
          ),
        );
    });
  }
  return out;
}
