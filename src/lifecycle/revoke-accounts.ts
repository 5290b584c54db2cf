// Ending a grant in every account it holds, over the Grants port: a single-account grant is one
// target, a grant in several accounts one target per account (grant.aws.accounts).
import type { GrantResult, Grants, RevokeResult, RevokeTarget } from "../aws/types.js";

/** What to revoke for a result or a record: one target per account. */
export function targetsOf(target: RevokeTarget | GrantResult): RevokeTarget[] {
  return "accounts" in target && target.accounts?.length ? target.accounts : [target];
}

/**
 * Revokes a grant in every account it holds. Every account is tried even when one fails; then the
 * first failure is thrown, so nothing is reported revoked that is not.
 */
export async function revokeInAccounts(grants: Pick<Grants, "revoke">, targets: readonly RevokeTarget[]): Promise<RevokeResult> {
  const removed: string[] = [];
  let alreadyGone = true;
  let failure: unknown;
  for (const target of targets) {
    try {
      const r = await grants.revoke(target);
      removed.push(...r.removed);
      alreadyGone &&= r.alreadyGone;
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure !== undefined) throw failure;
  return { requestId: targets[0]?.requestId ?? "", removed, alreadyGone };
}
