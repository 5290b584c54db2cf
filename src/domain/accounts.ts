// Several accounts in one request (`accounts:`): which accounts a request covers, the rules that
// hold across them, and the single-account view of the request for each one. Every per-account
// check (eligibility, max_duration, catalogue entry, policy, guardrails, conditions) runs on a
// view exactly as it would for a request filed for that account alone, so a request in several
// accounts is never judged more loosely than the strictest of its accounts. Pure.
import { knownAccountsText, resolveAccount, type ResolvedAccount } from "./config.js";
import { fail, ok, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import type { AccessRequest, Config, PolicyDocument, Problem, RequestItem, Statement } from "./types.js";

/** The most accounts one request may cover (each is a grant, a rollback and a revoke). */
export const MAX_REQUEST_ACCOUNTS = 10;

/** True when the request names `accounts:` (even a list of one). */
export function namesAccounts(request: Pick<AccessRequest, "accounts">): boolean {
  return request.accounts !== undefined;
}

/**
 * The account names a request covers, groups expanded, in order, each id once: `[account]` for a
 * request without `accounts:`. Names that resolve to nothing are kept (the checks name them).
 */
export function accountNames(config: Config, request: Pick<AccessRequest, "account" | "accounts">): string[] {
  if (!request.accounts) return [request.account];
  const groups = config.aws.account_groups ?? {};
  const out: string[] = [];
  const seen = new Set<string>();
  for (const name of request.accounts) {
    const members = Object.hasOwn(groups, name) && !Object.hasOwn(config.aws.accounts, name) ? (groups[name] ?? []) : [name];
    for (const m of members) {
      const key = resolveAccount(config, m)?.id ?? m;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(m);
    }
  }
  return out;
}

/**
 * The accounts a request covers, `account` first (it is the file's folder and is granted first),
 * or every problem with them: an unknown name, `account` not among them, too many, or a kind of
 * grant that is made in one account only.
 */
export function requestAccounts(config: Config, request: Pick<AccessRequest, "account" | "accounts" | "starts_at" | "catalogue">): Result<ResolvedAccount[]> {
  const primary = resolveAccount(config, request.account);
  if (!request.accounts) {
    return primary
      ? ok([primary])
      : fail(problem("request.unknown-account", `account ${show(request.account)} is not a known alias; use one of: ${knownAccountsText(config)}`, "account"));
  }
  const problems: Problem[] = [];
  const groups = config.aws.account_groups ?? {};
  request.accounts.forEach((name, i) => {
    if (Object.hasOwn(groups, name) || resolveAccount(config, name)) return;
    const groupNames = Object.keys(groups);
    problems.push(
      problem(
        "request.unknown-account",
        `accounts[${i}] ${show(name)} is neither a configured account nor an account group; use one of: ${knownAccountsText(config)}${groupNames.length ? ` or a group: ${groupNames.join(", ")}` : ""}`,
        `accounts[${i}]`,
      ),
    );
  });
  const resolved = accountNames(config, request)
    .map((n) => resolveAccount(config, n))
    .filter((a): a is ResolvedAccount => a !== undefined);
  if (primary && !resolved.some((a) => a.id === primary.id)) {
    problems.push(
      problem(
        "request.accounts-primary",
        `account ${show(request.account)} is not one of accounts (${request.accounts.join(", ")}); account names the folder the file is under, so it must be one of the accounts asked for — add it to accounts or set account to one of them`,
        "account",
      ),
    );
  }
  if (resolved.length > MAX_REQUEST_ACCOUNTS) {
    problems.push(
      problem(
        "request.accounts-too-many",
        `accounts covers ${resolved.length} accounts; one request may cover at most ${MAX_REQUEST_ACCOUNTS}; split it into several requests`,
        "accounts",
      ),
    );
  }
  // An existing managed policy carries no time condition: only its revocation schedule ends it, and
  // that schedule can act only in the account of aws.scheduler_role_arn (a customer managed policy
  // lives in one account besides). An existing permission set is assigned in each account.
  const entry = request.catalogue !== undefined && Object.hasOwn(config.catalogue ?? {}, request.catalogue) ? config.catalogue[request.catalogue] : undefined;
  if (resolved.length > 1 && entry?.kind === "managed_policy")
    problems.push(
      problem(
        "request.accounts-bundle",
        `accounts covers ${resolved.length} accounts, but catalogue entry ${show(request.catalogue)} attaches an existing managed policy, which is granted in one account per request (it carries no time condition, so only a revocation schedule ends it, and aws.scheduler_role_arn acts in its own account only) — open one request per account`,
        "accounts",
      ),
    );
  if (problems.length || !primary)
    return problems.length ? fail(...problems) : fail(problem("request.unknown-account", `account ${show(request.account)} is unknown`, "account"));
  return ok([primary, ...resolved.filter((a) => a.id !== primary.id)]);
}

/**
 * The request as if it had been filed for `account` alone: `account` set, `accounts` gone, and
 * every ARN of the primary account (items and policy) moved to this account. A hand-narrowed
 * policy stays exactly as narrow in every account.
 */
export function accountView(request: AccessRequest, primary: ResolvedAccount, account: ResolvedAccount): AccessRequest {
  const { accounts: _accounts, ...rest } = request;
  const name = account.alias ?? account.id;
  if (account.id === primary.id) return { ...rest, account: name };
  const move = (arn: string) => rebaseArn(arn, primary.id, account.id);
  return {
    ...rest,
    account: name,
    request: request.request.map((item): RequestItem => ({ ...item, resources: item.resources.map(move) })),
    ...(request.policy ? { policy: rebasePolicy(request.policy, primary.id, account.id) } : {}),
  };
}

/** `arn:<partition>:<service>:<region>:<from>:…` → the same ARN in account `to`; anything else unchanged. */
export function rebaseArn(arn: string, from: string, to: string): string {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn" || parts[4] !== from) return arn;
  parts[4] = to;
  return parts.join(":");
}

function rebasePolicy(policy: PolicyDocument, from: string, to: string): PolicyDocument {
  const move = (r: string | string[]) => (Array.isArray(r) ? r.map((x) => rebaseArn(x, from, to)) : rebaseArn(r, from, to));
  return { ...policy, Statement: policy.Statement.map((s): Statement => ({ ...s, Resource: move(s.Resource) })) };
}

/**
 * The form's Account field naming an account group (alone or first in a list): the request asks
 * for the group in `accounts` and is filed under the group's first account. Anything else as typed.
 */
export function withAccountGroup<T extends { account: string; accounts?: string[] }>(config: Config, fields: T): T {
  const groups = config.aws.account_groups ?? {};
  const isGroup = (name: string) => Object.hasOwn(groups, name) && !Object.hasOwn(config.aws.accounts, name);
  if (!isGroup(fields.account)) return fields;
  const first = groups[fields.account]?.[0];
  if (first === undefined) return fields;
  return { ...fields, account: first, accounts: fields.accounts ?? [fields.account] };
}
