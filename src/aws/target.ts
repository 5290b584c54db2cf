// Who and where a grant goes: the configured account and the principal of the requester, and
// whether EventBridge Scheduler can act there. Pure.
import { resolveAccount, type ResolvedAccount } from "../domain/config.js";
import { fail, ok, problem, type Result } from "../domain/problems.js";
import type { AccessRequest, AwsMode, Config, LoginMapping } from "../domain/types.js";
import { accountOfArn } from "./naming.js";
import type { PrincipalRef } from "./types.js";

export function resolveTarget(config: Config, request: AccessRequest): Result<{ account: ResolvedAccount; principal: PrincipalRef }> {
  const account = resolveAccount(config, request.account);
  if (!account)
    return fail(problem("aws.target-unresolved", `account ${JSON.stringify(request.account)} is not configured under aws.accounts; nothing was granted`));
  const login = request.principal ?? request.requester;
  const entry = Object.hasOwn(config.principals, login) ? config.principals[login] : undefined;
  // principals is the explicit override; without an entry, identity-center mode may map the login.
  const mapping = config.aws.mode === "identity-center" ? config.aws.identity_center?.map_logins : undefined;
  if (!entry && mapping) return ok({ account, principal: { kind: "sso_user", name: mappedValue(mapping, login), match: mapping.attribute } });
  if (!entry)
    return fail(problem("aws.target-unresolved", `principals.${login} is not configured, so there is no AWS identity to grant to; nothing was granted`));
  const mode = config.aws.mode;
  if (mode === "iam") {
    if ("iam_user" in entry) return ok({ account, principal: { kind: "iam_user", name: entry.iam_user } });
    if ("iam_role" in entry) return ok({ account, principal: { kind: "iam_role", name: entry.iam_role } });
    return fail(problem("aws.target-unresolved", `principals.${login} is an sso_user but aws.mode is iam; nothing was granted`));
  }
  if ("sso_user" in entry) return ok({ account, principal: { kind: "sso_user", name: entry.sso_user } });
  return fail(problem("aws.target-unresolved", `principals.${login} must be an sso_user in identity-center mode; nothing was granted`));
}

/** What the identity-store attribute must equal for a login: the format with {login} (lower case) filled in. */
export function mappedValue(mapping: LoginMapping, login: string): string {
  return (mapping.format ?? "{login}").replace("{login}", login.toLowerCase());
}

export type SchedulePlacement = { ok: true; roleArn: string } | { ok: false; note: string };

/**
 * Whether Scheduler can revoke this grant. A universal target acts with the scheduler role's
 * credentials, in that role's account: in iam mode the role must live in the account whose
 * policy it detaches. In identity-center mode it calls the Identity Center instance, which the
 * app's own account administers.
 */
export function schedulePlacement(config: Config, mode: AwsMode, accountId: string): SchedulePlacement {
  const roleArn = config.aws.scheduler_role_arn;
  if (!roleArn) return { ok: false, note: "not scheduled: aws.scheduler_role_arn is not configured; the policy's time condition and the sweep end this grant" };
  if (mode === "iam" && accountOfArn(roleArn) !== accountId) {
    return {
      ok: false,
      note: `not scheduled: aws.scheduler_role_arn is in account ${accountOfArn(roleArn) ?? "?"}, not ${accountId}, so it cannot detach there; the policy's time condition and the sweep end this grant`,
    };
  }
  return { ok: true, roleArn };
}
