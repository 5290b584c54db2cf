// `jit-access init` options: command-line values → checked InitOptions. Pure: no I/O. Every
// refusal names the flag, the value and the fix; the CLI turns it into exit 2.

export type Mode = "iam" | "identity-center";
export type PrincipalKind = "iam_user" | "iam_role" | "sso_user";

export interface InitOptions {
  mode: Mode;
  region: string;
  /** alias → 12-digit account id, in the order given. */
  accounts: Array<{ alias: string; id: string }>;
  /** Config form: a login or @org/team. */
  approvers: string[];
  principals: Array<{ login: string; kind: PrincipalKind; name: string }>;
  identityCenter?: { instanceArn: string; identityStoreId: string };
  schedulerRoleArn?: string;
  /** The jit-access action repository, owner/name. */
  action: string;
  /** Tag or commit SHA of that action. */
  actionRef: string;
  /** The jit-access version init belongs to (the comment next to a SHA-pinned action). */
  cliVersion: string;
  /** Slack on: the config names JIT_SLACK_WEBHOOK and expire.yml passes the environment secret of that name. */
  slack: boolean;
}

export interface RawInitFlags {
  account?: readonly string[];
  approver?: readonly string[];
  principal?: readonly string[];
  mode?: string;
  region?: string;
  "instance-arn"?: string;
  "identity-store-id"?: string;
  "scheduler-role-arn"?: string;
  action?: string;
  "action-ref"?: string;
  slack?: boolean;
}

export class InitFlagError extends Error {}

export const DEFAULT_ACTION = "jit-access/jit-access";

const ALIAS = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ACCOUNT_ID = /^[0-9]{12}$/;
const LOGIN = /^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$/;
const TEAM = /^@[A-Za-z0-9](-?[A-Za-z0-9]){0,38}\/[A-Za-z0-9._-]{1,100}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;
const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
const INSTANCE_ARN = /^arn:aws(-cn|-us-gov)?:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/;
const STORE_ID = /^d-[0-9a-f]{10}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
const REPO = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;
/**
 * What `uses:` may name the action at: a full commit SHA, or a release tag vN, vN.N or vN.N.N. A
 * branch (or anything else) is refused: it moves, so the code that runs would change unreviewed.
 */
const SHA = /^[0-9a-f]{40}$/;
const TAG = /^v[0-9]+(\.[0-9]+){0,2}$/;

const q = (s: string) => JSON.stringify(s);

export function checkInitFlags(flags: RawInitFlags, packageVersion: string): InitOptions {
  const missing = (flag: string, example: string) => new InitFlagError(`${flag} is required, e.g. ${flag} ${example}`);
  const mode = flags.mode ?? "iam";
  if (mode !== "iam" && mode !== "identity-center") throw new InitFlagError(`--mode ${q(mode)}: use iam or identity-center`);
  if (flags.region === undefined) throw missing("--region", "us-east-1");
  if (!REGION.test(flags.region)) throw new InitFlagError(`--region ${q(flags.region)} is not an AWS region such as us-east-1`);
  if (!flags.account?.length) throw missing("--account", "prod=123456789012 (repeat it for each account)");
  if (!flags.approver?.length) throw missing("--approver", "alice or --approver @your-org/aws-approvers (repeatable)");

  const accounts: InitOptions["accounts"] = [];
  for (const a of flags.account) {
    const m = /^([^=]*)=(.*)$/.exec(a);
    const alias = m?.[1]?.trim() ?? "";
    const id = m?.[2]?.trim() ?? "";
    if (!m) throw new InitFlagError(`--account ${q(a)}: write alias=account-id, e.g. prod=123456789012`);
    if (!ALIAS.test(alias)) throw new InitFlagError(`--account ${q(a)}: the alias ${q(alias)} must be lower-case letters, digits and hyphens, e.g. prod`);
    if (alias === "examples") throw new InitFlagError(`--account ${q(a)}: the alias "examples" is reserved (access-requests/examples/); pick another`);
    if (!ACCOUNT_ID.test(id)) throw new InitFlagError(`--account ${q(a)}: the account id ${q(id)} must be 12 digits`);
    const twice = accounts.find((x) => x.alias === alias || x.id === id);
    if (twice)
      throw new InitFlagError(`--account ${q(a)}: ${twice.alias === alias ? `alias ${q(alias)}` : `account ${id}`} is given twice; give each account once`);
    accounts.push({ alias, id });
  }

  const approvers: string[] = [];
  for (const raw of flags.approver) {
    const a = raw.trim();
    if (!LOGIN.test(a) && !TEAM.test(a)) throw new InitFlagError(`--approver ${q(raw)}: give a GitHub login (alice) or a team (@your-org/aws-approvers)`);
    if (!approvers.includes(a)) approvers.push(a);
  }

  const principals: InitOptions["principals"] = [];
  for (const p of flags.principal ?? []) {
    const m = /^([^=]*)=(?:(iam_user|iam_role|sso_user):)?(.+)$/.exec(p);
    const login = m?.[1]?.trim() ?? "";
    if (!m || !LOGIN.test(login)) throw new InitFlagError(`--principal ${q(p)}: write github-login=aws-name (or login=iam_role:name), e.g. alice=alice`);
    const kind = (m[2] ?? (mode === "iam" ? "iam_user" : "sso_user")) as PrincipalKind;
    const name = (m[3] ?? "").trim();
    if ((mode === "iam") !== (kind !== "sso_user"))
      throw new InitFlagError(
        `--principal ${q(p)}: ${kind} does not fit --mode ${mode}; use ${mode === "iam" ? "iam_user or iam_role" : "sso_user (the default)"}`,
      );
    if (kind === "sso_user" ? name.length < 1 || name.length > 128 : !IAM_NAME.test(name))
      throw new InitFlagError(`--principal ${q(p)}: ${q(name)} is not a valid ${kind} name`);
    if (principals.some((x) => x.login === login)) throw new InitFlagError(`--principal ${q(p)}: ${login} is given twice`);
    principals.push({ login, kind, name });
  }

  let identityCenter: InitOptions["identityCenter"];
  if (mode === "identity-center") {
    const instanceArn = flags["instance-arn"];
    const identityStoreId = flags["identity-store-id"];
    if (instanceArn === undefined) throw missing("--instance-arn", "arn:aws:sso:::instance/ssoins-1234567890abcdef (aws sso-admin list-instances)");
    if (identityStoreId === undefined) throw missing("--identity-store-id", "d-1234567890 (aws sso-admin list-instances)");
    if (!INSTANCE_ARN.test(instanceArn))
      throw new InitFlagError(`--instance-arn ${q(instanceArn)} is not an Identity Center instance ARN such as arn:aws:sso:::instance/ssoins-1234567890abcdef`);
    if (!STORE_ID.test(identityStoreId)) throw new InitFlagError(`--identity-store-id ${q(identityStoreId)} is not an identity store id such as d-1234567890`);
    identityCenter = { instanceArn, identityStoreId };
  } else {
    for (const f of ["instance-arn", "identity-store-id"] as const) {
      if (flags[f] !== undefined) throw new InitFlagError(`--${f} is only for --mode identity-center`);
    }
  }

  const schedulerRoleArn = flags["scheduler-role-arn"];
  if (schedulerRoleArn !== undefined && !ROLE_ARN.test(schedulerRoleArn))
    throw new InitFlagError(`--scheduler-role-arn ${q(schedulerRoleArn)} is not an IAM role ARN such as arn:aws:iam::123456789012:role/jit-access-scheduler`);

  const { action, actionRef } = checkActionRef(flags.action, flags["action-ref"], packageVersion);

  return {
    mode,
    region: flags.region,
    accounts,
    approvers,
    principals,
    ...(identityCenter ? { identityCenter } : {}),
    ...(schedulerRoleArn ? { schedulerRoleArn } : {}),
    action,
    actionRef,
    cliVersion: packageVersion,
    slack: flags.slack === true,
  };
}

/**
 * The action's repository and ref from --action and --action-ref. --action-ref is a 40-character
 * commit SHA or a release tag (v1, v1.2, v1.2.3), optionally as owner/repo@REF (or @REF); the
 * default is the tag of this release, v<package version>.
 */
export function checkActionRef(actionFlag: string | undefined, refFlag: string | undefined, packageVersion: string): { action: string; actionRef: string } {
  if (actionFlag !== undefined && !REPO.test(actionFlag))
    throw new InitFlagError(`--action ${q(actionFlag)}: give the action's repository as owner/name, e.g. ${DEFAULT_ACTION}`);
  if (refFlag === undefined) return { action: actionFlag ?? DEFAULT_ACTION, actionRef: `v${packageVersion}` };
  const fix = `give a 40-character commit SHA or a release tag such as v${packageVersion}, optionally as owner/repo@REF (a branch is refused: it moves)`;
  const at = refFlag.lastIndexOf("@");
  const repo = at > 0 ? refFlag.slice(0, at) : undefined;
  const ref = at >= 0 ? refFlag.slice(at + 1) : refFlag;
  if (repo !== undefined && !REPO.test(repo)) throw new InitFlagError(`--action-ref ${q(refFlag)}: ${q(repo)} is not a repository owner/name; ${fix}`);
  if (repo !== undefined && actionFlag !== undefined && repo !== actionFlag)
    throw new InitFlagError(`--action-ref ${q(refFlag)} names ${repo} but --action names ${actionFlag}; give the repository once`);
  if (!SHA.test(ref) && !TAG.test(ref)) throw new InitFlagError(`--action-ref ${q(refFlag)}: ${fix}`);
  return { action: repo ?? actionFlag ?? DEFAULT_ACTION, actionRef: ref };
}
