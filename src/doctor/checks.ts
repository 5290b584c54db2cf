// `jit-access doctor`, the pure part: facts gathered from a live installation (by ./github-facts.ts
// and ./aws-facts.ts) become one result per check, each with the fix when it is not ok.
// No I/O here: every fact is passed in, and a fact that could not be read is a failed check
// naming what could not be read — never an assumption that it is fine.
import { parseCodeowners, ownersOf } from "../domain/codeowners.js";
import { CONFIG_PATH, accountEntry, parseConfig } from "../domain/config.js";
import { REQUESTS_DIR } from "../domain/request.js";
import { catalogueCheck, type CatalogueFacts } from "./catalogue-check.js";
import { issueFormCheck } from "./form-check.js";
import { show } from "../domain/text.js";
import type { Config, Problem } from "../domain/types.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface CheckResult {
  id: CheckId;
  status: CheckStatus;
  message: string;
  /** What to do; present unless the check passed. */
  fix?: string;
}

export const CHECK_IDS = [
  "config",
  "principals",
  "codeowners",
  "labels",
  "app-installation",
  "branch-protection",
  "aws-account",
  "scheduler-role",
  "schedule-group",
  "identity-center",
  "identity-store",
  "slack",
  "catalogue",
  "issue-form",
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** A fact that was read, or why it could not be. */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface GitHubFacts {
  /** "owner/name". */
  repo: string;
  defaultBranch: Read<string>;
  /** The config's text on the default branch; undefined when the file does not exist. */
  config: Read<string | undefined>;
  /** The CODEOWNERS file GitHub uses; undefined when there is none. */
  codeowners: Read<{ path: string; text: string } | undefined>;
  /** Names of the repository's labels. */
  labels: Read<string[]>;
  /** The app's installation on the repository's owner; undefined when it is not installed there. */
  installation: Read<{ permissions: Record<string, string>; suspended: boolean; repositories: "all" | "selected" } | undefined>;
  /** Whether the default branch requires a code-owner review, and by which mechanism. */
  codeOwnerReview: Read<{ required: boolean; by?: string }>;
  /** The issue form and the teams the catalogue names (./catalogue-check.ts). */
  form?: CatalogueFacts["form"];
  teams?: CatalogueFacts["teams"];
}

export interface AwsFacts {
  caller: Read<{ account: string; arn: string }>;
  /** GetRole of aws.scheduler_role_arn; undefined value when the role does not exist. Absent when not configured. */
  schedulerRole?: Read<{ arn: string; trust: string | undefined } | undefined>;
  /** GetScheduleGroup jit-access; undefined value when the group does not exist. */
  scheduleGroup?: Read<{ state: string } | undefined>;
  /** ListInstances (identity-center mode). */
  instances?: Read<Array<{ instanceArn: string; identityStoreId: string }>>;
  /** Identity store: each sso_user principal → found or not (identity-center mode). */
  identityStore?: Read<{ users: Record<string, boolean> }>;
  /** The instance's permission sets, when a catalogue entry names one. */
  permissionSets?: CatalogueFacts["permissionSets"];
  /** What the catalogue's managed-policy and permission-set entries allow. */
  bundles?: CatalogueFacts["bundles"];
}

export interface SlackFacts {
  /** The environment variable the config names (notifications.slack_webhook_env). */
  envName?: string;
  /** Whether that variable is set where doctor runs, and whether it is a Slack webhook URL. */
  value?: { set: false } | { set: true; valid: true } | { set: true; valid: false; reason: string };
}

export interface DoctorFacts {
  github: GitHubFacts;
  /** Absent when the config could not be read (nothing to compare AWS with). */
  aws?: AwsFacts;
  slack: SlackFacts;
  /** The labels the app uses (src/github/labels.ts). */
  wantedLabels: readonly string[];
  /** app.yml's default_permissions. */
  wantedPermissions: Record<string, string>;
  /** The app's slug on GitHub (for messages). */
  appSlug: string;
  /** --aws-account: the account the app runs in, when the operator names it. */
  expectedAccount?: string;
}

export const SCHEDULER_SERVICE = "scheduler.amazonaws.com";

const ok = (id: CheckId, message: string): CheckResult => ({ id, status: "ok", message });
const warn = (id: CheckId, message: string, fix: string): CheckResult => ({ id, status: "warn", message, fix });
const fail = (id: CheckId, message: string, fix: string): CheckResult => ({ id, status: "fail", message, fix });
const notRead = (id: CheckId, what: string, error: string, fix: string): CheckResult => fail(id, `could not read ${what}: ${error}`, fix);
const notChecked = (id: CheckId, why: string, fix: string): CheckResult => warn(id, `not checked: ${why}`, fix);

/** The parsed config when the facts hold a valid one (what the AWS gatherer needs). */
export function configOf(facts: Pick<GitHubFacts, "config">): Config | undefined {
  if (!facts.config.ok) return undefined;
  const r = parseConfig(facts.config.value);
  return r.ok ? r.value : undefined;
}

/** Every check, in a fixed order (CHECK_IDS). */
export function runChecks(facts: DoctorFacts): CheckResult[] {
  const g = facts.github;
  const out: CheckResult[] = [];
  const parsed = g.config.ok && g.config.value !== undefined ? parseConfig(g.config.value) : undefined;
  const config = parsed?.ok ? parsed.value : undefined;
  const configFix = `fix ${CONFIG_PATH} on the default branch, then run \`jit-access validate\` in a checkout to see every problem`;

  // config / principals: the principals' problems are reported under their own check.
  const isPrincipal = (p: Problem) =>
    p.path === "principals" || p.path.startsWith("principals.") || p.path.startsWith("principals/") || p.path.startsWith("/principals");
  if (!g.config.ok) out.push(notRead("config", CONFIG_PATH, g.config.error, "give the token read access to the repository's contents (and check --repo)"));
  else if (g.config.value === undefined)
    out.push(
      fail("config", `${CONFIG_PATH} does not exist on the default branch`, "create it (`jit-access init` writes one) and merge it into the default branch"),
    );
  else if (parsed && !parsed.ok) {
    const other = parsed.problems.filter((p) => !isPrincipal(p));
    out.push(
      other.length
        ? fail("config", `${CONFIG_PATH} is invalid: ${problemsText(other)}`, configFix)
        : ok("config", `${CONFIG_PATH} is valid apart from principals`),
    );
  } else out.push(ok("config", `${CONFIG_PATH} is valid`));

  if (parsed && !parsed.ok) {
    const bad = parsed.problems.filter(isPrincipal);
    if (bad.length)
      out.push(
        fail(
          "principals",
          `principals: ${problemsText(bad)}`,
          "write each entry as `<github-login>: { iam_user: <name> }`, `{ iam_role: <name> }` or, in identity-center mode, `{ sso_user: <user name> }`",
        ),
      );
    else if (parsed.problems.some((p) => p.path === "")) out.push(notChecked("principals", "the config could not be read as YAML", configFix));
    else out.push(ok("principals", "every principals entry is well-formed"));
  } else if (config) {
    const n = Object.keys(config.principals).length;
    out.push(
      n
        ? ok("principals", `${n} principals entr${n === 1 ? "y" : "ies"}, all well-formed`)
        : warn(
            "principals",
            "principals is empty: nobody can be granted access",
            "add `<github-login>: { iam_user: <name> }` (or iam_role / sso_user) under principals",
          ),
    );
  } else out.push(notChecked("principals", "no config to read", configFix));

  out.push(codeownersCheck(g, config));
  out.push(labelsCheck(g, facts.wantedLabels));
  out.push(installationCheck(g, facts.wantedPermissions, facts.appSlug));
  out.push(protectionCheck(g));
  out.push(...awsChecks(facts, config));
  out.push(slackCheck(facts.slack, config));
  out.push(
    catalogueCheck(config, {
      ...(g.form ? { form: g.form } : {}),
      ...(g.teams ? { teams: g.teams } : {}),
      ...(facts.aws?.permissionSets ? { permissionSets: facts.aws.permissionSets } : {}),
      ...(facts.aws?.bundles ? { bundles: facts.aws.bundles } : {}),
    }),
  );
  out.push(issueFormCheck(config, g.form));
  return out;
}

function problemsText(problems: Problem[]): string {
  return problems.map((p) => (p.path && !p.message.startsWith(p.path) ? `${p.path}: ${p.message}` : p.message)).join("; ");
}

function codeownersCheck(g: GitHubFacts, config: Config | undefined): CheckResult {
  const id = "codeowners";
  if (!g.codeowners.ok) return notRead(id, "CODEOWNERS", g.codeowners.error, "give the token read access to the repository's contents");
  const aliases = config ? Object.keys(config.aws.accounts) : [];
  const lineFor = (alias: string) => `/${REQUESTS_DIR}/${alias}/ @<org>/<approvers-team>`;
  if (!g.codeowners.value) {
    return fail(
      id,
      "no CODEOWNERS file (.github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS)",
      `create .github/CODEOWNERS with ${aliases.length ? aliases.map((a) => `\`${lineFor(a)}\``).join(", ") : `\`/${REQUESTS_DIR}/ @<org>/<approvers-team>\``}`,
    );
  }
  if (!config) return notChecked(id, "no valid config to list the accounts", "fix the config first");
  if (!aliases.length) return warn(id, "aws.accounts is empty: no account folder to check", "add accounts under aws.accounts, then an owner line per account");
  const parsed = parseCodeowners(g.codeowners.value.text, g.codeowners.value.path);
  if (parsed.error) return fail(id, `${g.codeowners.value.path} cannot be used: ${parsed.error}`, `rewrite ${g.codeowners.value.path}`);
  const missing = aliases.filter((alias) => ownersOf(parsed, `${REQUESTS_DIR}/${alias}/request.yaml`).owners.length === 0);
  if (missing.length) {
    return fail(
      id,
      `${g.codeowners.value.path} gives no owner to ${missing.map((a) => `${REQUESTS_DIR}/${a}/`).join(", ")}: requests there need no code-owner approval`,
      `add ${missing.map((a) => `\`${lineFor(a)}\``).join(", ")} to ${g.codeowners.value.path}`,
    );
  }
  return ok(id, `${g.codeowners.value.path} gives an owner to ${aliases.map((a) => `${REQUESTS_DIR}/${a}/`).join(", ")}`);
}

function labelsCheck(g: GitHubFacts, wanted: readonly string[]): CheckResult {
  const id = "labels";
  if (!g.labels.ok) return notRead(id, "the repository's labels", g.labels.error, "give the token read access to the repository's issues");
  const have = new Set(g.labels.value.map((l) => l.toLowerCase()));
  const missing = wanted.filter((l) => !have.has(l.toLowerCase()));
  if (missing.length) {
    return fail(
      id,
      `missing label${missing.length === 1 ? "" : "s"} ${missing.map((x) => show(x)).join(", ")}: issue forms drop labels that do not exist`,
      `reinstall the app on ${g.repo} (it creates them on install), or create ${missing.map((x) => show(x)).join(", ")} under Issues → Labels`,
    );
  }
  return ok(id, `all ${wanted.length} labels the app uses exist`);
}

/** GitHub's permission levels, weakest first; "admin" covers "write" covers "read". */
const LEVELS = ["read", "write", "admin"];

function installationCheck(g: GitHubFacts, wanted: Record<string, string>, slug: string): CheckResult {
  const id = "app-installation";
  const owner = g.repo.split("/")[0] ?? g.repo;
  if (!g.installation.ok)
    return notRead(
      id,
      `the installations of ${owner}`,
      g.installation.error,
      `use a token of an organisation owner (classic scope read:org, or fine-grained "Administration: read" on the organisation); a repository owned by a user, not an organisation, cannot be checked this way — check the app under ${owner}'s Settings → Applications → Installed GitHub Apps`,
    );
  const inst = g.installation.value;
  if (!inst)
    return fail(
      id,
      `the app ${show(slug)} is not installed on ${owner}`,
      `install it: https://github.com/apps/${slug}/installations/new (choose ${g.repo}); pass --app-slug if it has another name`,
    );
  if (inst.suspended)
    return fail(id, `the app ${show(slug)} is installed on ${owner} but suspended`, `unsuspend it in ${owner}'s Settings → GitHub Apps → ${slug} → Configure`);
  const short: string[] = [];
  for (const [name, level] of Object.entries(wanted)) {
    const have = inst.permissions[name];
    if (have === undefined || LEVELS.indexOf(have) < LEVELS.indexOf(level)) short.push(`${name}: ${level} (has ${have ?? "none"})`);
  }
  if (short.length) {
    return fail(
      id,
      `the installation lacks permissions app.yml asks for: ${short.join(", ")}`,
      `in the app's settings → Permissions & events, grant ${short.map((s) => s.split(" (")[0]).join(", ")}; then accept the new permissions in ${owner}'s Settings → GitHub Apps`,
    );
  }
  return ok(
    id,
    `the app ${show(slug)} is installed on ${owner} with every permission app.yml asks for${inst.repositories === "selected" ? ` (on selected repositories: make sure ${g.repo} is one)` : ""}`,
  );
}

function protectionCheck(g: GitHubFacts): CheckResult {
  const id = "branch-protection";
  const branch = g.defaultBranch.ok ? g.defaultBranch.value : "the default branch";
  const fix = `in ${g.repo} Settings → Branches (or Rules), protect ${branch} with "Require a pull request before merging" and "Require review from Code Owners"`;
  if (!g.codeOwnerReview.ok)
    return notRead(
      id,
      `the protection of ${branch}`,
      g.codeOwnerReview.error,
      `use a token with admin (or "Administration: read") on ${g.repo}; otherwise check by hand: ${fix}`,
    );
  if (!g.codeOwnerReview.value.required)
    return fail(id, `${branch} does not require a code-owner review: a request could be merged without its approvers`, fix);
  return ok(id, `${branch} requires a code-owner review (${g.codeOwnerReview.value.by ?? "protection"})`);
}

function awsChecks(facts: DoctorFacts, config: Config | undefined): CheckResult[] {
  const skipped = (id: CheckId) => notChecked(id, "no valid config", "fix the config first");
  if (!config || !facts.aws) {
    const ids: CheckId[] = ["aws-account", "scheduler-role", "schedule-group", "identity-center", "identity-store"];
    return ids.map(skipped);
  }
  const aws = facts.aws;
  const out: CheckResult[] = [];

  // aws-account: the operator's credentials must be in the app's home account.
  const roleAccount = config.aws.scheduler_role_arn ? /^arn:[^:]+:iam::(\d{12}):/.exec(config.aws.scheduler_role_arn)?.[1] : undefined;
  const direct = Object.values(config.aws.accounts)
    .map(accountEntry)
    .filter((e) => !e.role_arn)
    .map((e) => e.id);
  const expected = facts.expectedAccount ? [facts.expectedAccount] : roleAccount ? [roleAccount] : direct;
  const why = facts.expectedAccount
    ? "--aws-account"
    : roleAccount
      ? "the account of aws.scheduler_role_arn"
      : "the accounts of aws.accounts without a role_arn (the app acts in them directly)";
  let callerAccount: string | undefined;
  if (!aws.caller.ok)
    out.push(
      notRead(
        "aws-account",
        "the caller identity (sts:GetCallerIdentity)",
        aws.caller.error,
        "configure AWS credentials for the app's account (AWS_PROFILE, or `aws sso login`)",
      ),
    );
  else {
    callerAccount = aws.caller.value.account;
    if (!expected.length)
      out.push(
        warn(
          "aws-account",
          `credentials are for account ${callerAccount}; the config does not say which account the app runs in`,
          "pass --aws-account <12 digits> to check it",
        ),
      );
    else if (!expected.includes(callerAccount))
      out.push(
        fail(
          "aws-account",
          `credentials are for account ${callerAccount} (${aws.caller.value.arn}), not ${expected.join(" or ")} (${why})`,
          `use credentials for account ${expected.join(" or ")} (e.g. AWS_PROFILE=<profile of that account>), or fix aws.accounts / aws.scheduler_role_arn`,
        ),
      );
    else out.push(ok("aws-account", `credentials are for account ${callerAccount} (${why})`));
  }

  // scheduler-role / schedule-group
  const roleArn = config.aws.scheduler_role_arn;
  if (!roleArn) {
    const fix =
      "set aws.scheduler_role_arn to the role the deploy stack creates (output SchedulerRoleArn) so grants are also ended on time by EventBridge Scheduler";
    out.push(warn("scheduler-role", "aws.scheduler_role_arn is not set: grants end by the policy's time condition and the sweep only", fix));
    out.push(warn("schedule-group", "not needed: no aws.scheduler_role_arn", fix));
  } else {
    const r = aws.schedulerRole;
    // GetRole looks in the caller's account: a role elsewhere would read as missing.
    if (callerAccount && roleAccount && roleAccount !== callerAccount)
      out.push(
        notChecked(
          "scheduler-role",
          `the role is in account ${roleAccount}, the credentials in ${callerAccount}`,
          `run doctor with credentials of account ${roleAccount}`,
        ),
      );
    else if (!r) out.push(notChecked("scheduler-role", "the role was not read", "rerun doctor"));
    else if (!r.ok)
      out.push(
        notRead("scheduler-role", `the role ${roleArn} (iam:GetRole)`, r.error, "run doctor with credentials that may call iam:GetRole in the role's account"),
      );
    else if (!r.value)
      out.push(
        fail(
          "scheduler-role",
          `the role ${roleArn} does not exist`,
          "deploy the stack (deploy/) or fix aws.scheduler_role_arn to the stack's SchedulerRoleArn output",
        ),
      );
    else if (r.value.trust === undefined || !trusts(r.value.trust, SCHEDULER_SERVICE))
      out.push(
        fail(
          "scheduler-role",
          `the role ${roleArn} does not trust ${SCHEDULER_SERVICE}: schedules cannot use it`,
          `add ${SCHEDULER_SERVICE} as a trusted service principal in the role's trust policy`,
        ),
      );
    else out.push(ok("scheduler-role", `the role ${roleArn} exists and trusts ${SCHEDULER_SERVICE}`));

    const group = aws.scheduleGroup;
    const createFix = `create it: aws scheduler create-schedule-group --name jit-access --region ${config.aws.region} (the deploy stack does this)`;
    if (!group) out.push(notChecked("schedule-group", "the group was not read", "rerun doctor"));
    else if (!group.ok)
      out.push(
        notRead(
          "schedule-group",
          "the schedule group jit-access (scheduler:GetScheduleGroup)",
          group.error,
          "run doctor with credentials that may call scheduler:GetScheduleGroup",
        ),
      );
    else if (!group.value)
      out.push(
        fail(
          "schedule-group",
          `the EventBridge Scheduler schedule group jit-access does not exist in ${config.aws.region}${callerAccount ? ` (account ${callerAccount})` : ""}`,
          createFix,
        ),
      );
    else if (group.value.state !== "ACTIVE") out.push(fail("schedule-group", `the schedule group jit-access is ${group.value.state}, not ACTIVE`, createFix));
    else out.push(ok("schedule-group", `the schedule group jit-access exists in ${config.aws.region} and is ACTIVE`));
  }

  // identity-center / identity-store
  if (config.aws.mode !== "identity-center" || !config.aws.identity_center) {
    out.push(ok("identity-center", "not used (aws.mode: iam)"));
    out.push(ok("identity-store", "not used (aws.mode: iam)"));
    return out;
  }
  const ic = config.aws.identity_center;
  const inst = aws.instances;
  let instanceOk = false;
  if (!inst) out.push(notChecked("identity-center", "the instances were not read", "rerun doctor"));
  else if (!inst.ok)
    out.push(
      notRead(
        "identity-center",
        "the Identity Center instances (sso:ListInstances)",
        inst.error,
        `run doctor with credentials of the Identity Center administrator account, in region ${config.aws.region}`,
      ),
    );
  else if (inst.value.length === 0)
    out.push(
      fail(
        "identity-center",
        `no IAM Identity Center instance is visible in ${config.aws.region}`,
        `enable IAM Identity Center (in the organisation's management or delegated administrator account), or set aws.region to the region it runs in`,
      ),
    );
  else {
    const found = inst.value.find((i) => i.instanceArn === ic.instance_arn);
    if (!found)
      out.push(
        fail(
          "identity-center",
          `aws.identity_center.instance_arn ${ic.instance_arn} is not an instance here; visible: ${inst.value.map((i) => i.instanceArn).join(", ")}`,
          `set aws.identity_center.instance_arn to ${inst.value[0]?.instanceArn ?? "the instance's ARN"}`,
        ),
      );
    else if (found.identityStoreId !== ic.identity_store_id)
      out.push(
        fail(
          "identity-center",
          `aws.identity_center.identity_store_id is ${ic.identity_store_id} but the instance's identity store is ${found.identityStoreId}`,
          `set aws.identity_center.identity_store_id to ${found.identityStoreId}`,
        ),
      );
    else {
      instanceOk = true;
      out.push(ok("identity-center", `the instance ${ic.instance_arn} is reachable (identity store ${found.identityStoreId})`));
    }
  }
  const store = aws.identityStore;
  if (!instanceOk && (!store || !store.ok))
    out.push(notChecked("identity-store", "the Identity Center instance is not usable", "fix the identity-center check first"));
  else if (!store) out.push(notChecked("identity-store", "the identity store was not read", "rerun doctor"));
  else if (!store.ok)
    out.push(
      notRead(
        "identity-store",
        `the identity store ${ic.identity_store_id} (identitystore:ListUsers / GetUserId)`,
        store.error,
        "run doctor with credentials of the Identity Center administrator account",
      ),
    );
  else {
    const missing = Object.entries(store.value.users)
      .filter(([, found]) => !found)
      .map(([u]) => u);
    if (missing.length)
      out.push(
        fail(
          "identity-store",
          `no user named ${missing.map((x) => show(x)).join(", ")} in the identity store ${ic.identity_store_id}: those principals cannot be granted`,
          "fix their sso_user under principals to the user name shown in Identity Center → Users",
        ),
      );
    else
      out.push(
        ok("identity-store", `the identity store ${ic.identity_store_id} is reachable; ${Object.keys(store.value.users).length} sso_user principals found`),
      );
  }
  return out;
}

/** Whether a trust policy (JSON, possibly URL-encoded as IAM returns it) lets `service` assume the role. */
export function trusts(document: string, service: string): boolean {
  let text = document;
  if (!text.trimStart().startsWith("{")) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return false;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return false;
  }
  const statements = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  return list.some((s) => {
    const st = s as { Effect?: unknown; Action?: unknown; Principal?: { Service?: unknown } };
    const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
    const services = Array.isArray(st.Principal?.Service) ? st.Principal.Service : [st.Principal?.Service];
    return st.Effect === "Allow" && actions.includes("sts:AssumeRole") && services.includes(service);
  });
}

function slackCheck(slack: SlackFacts, config: Config | undefined): CheckResult {
  const id = "slack";
  if (!config) return notChecked(id, "no valid config", "fix the config first");
  if (!slack.envName) return ok(id, "not configured (notifications.slack_webhook_env is not set)");
  const v = slack.value;
  if (!v || !v.set)
    return warn(
      id,
      `notifications.slack_webhook_env names ${slack.envName}, which is not set here, so its URL was not checked`,
      `set ${slack.envName} in this shell to the webhook URL the app uses to check its form; make sure the deployment has it too`,
    );
  if (!v.valid)
    return fail(
      id,
      `${slack.envName} is not a Slack webhook URL: ${v.reason}`,
      `set ${slack.envName} to the https://hooks.slack.com/services/... URL of an incoming webhook`,
    );
  // Posting is the only way to know a webhook works, and it would show a message in the channel.
  return ok(id, `${slack.envName} is a https://hooks.slack.com/ webhook URL; configured, not probed (a probe would post a message)`);
}

/** One line per check (its fix on the same line), then a summary line. */
export function formatResults(results: readonly CheckResult[]): string {
  const mark = { ok: "✓", warn: "!", fail: "✗" } as const;
  const lines = results.map((r) => `${mark[r.status]} ${r.id}: ${r.message}${r.fix ? ` — fix: ${r.fix}` : ""}`);
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(`${count("ok")} ok, ${count("warn")} warnings, ${count("fail")} failed`);
  return lines.join("\n") + "\n";
}

/** 0 when no check failed (warnings pass), else 1. */
export function exitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.status === "fail") ? 1 : 0;
}
