// One permission set for a request granted in several accounts (identity-center mode): the set has
// one inline policy, provisioned to every account, yet each account's part of the request has its
// own policy (its ARNs moved to that account, that account's condition blocks). The set's policy
// keeps a statement that is the same in every account once, as it is; every other statement is kept
// once per account it belongs to, under `aws:PrincipalAccount` equal to that account — a key in
// every signed request, which in an Identity Center role session is the account the set is used
// in. So in each account the set allows exactly what that account's own policy allows, never more.
// Pure.
import type { PolicyDocument, Statement } from "../domain/types.js";

export const PRINCIPAL_ACCOUNT_KEY = "aws:PrincipalAccount";

/** A statement that already conditions on aws:PrincipalAccount: it cannot be gated without changing what it means. */
export class AccountGateError extends Error {
  override name = "AccountGateError";
}

/**
 * The one policy for every account: statements common to all parts as they are, the rest gated to
 * their account (Sids suffixed with the account id so they stay unique). One part: its policy.
 */
export function accountGatedPolicy(parts: ReadonlyArray<{ accountId: string; policy: PolicyDocument }>): PolicyDocument {
  const [first] = parts;
  if (!first) throw new Error("a policy for several accounts needs at least one account");
  if (parts.length === 1) return first.policy;
  const key = (s: Statement) => JSON.stringify(s);
  const common = new Set(first.policy.Statement.map(key).filter((k) => parts.every((p) => p.policy.Statement.some((s) => key(s) === k))));
  const out: Statement[] = first.policy.Statement.filter((s) => common.has(key(s)));
  for (const part of parts) for (const s of part.policy.Statement) if (!common.has(key(s))) out.push(gated(s, part.accountId));
  const sids = out.map((s) => s.Sid).filter((sid): sid is string => sid !== undefined);
  if (new Set(sids).size !== sids.length)
    throw new AccountGateError(`the policies of the accounts share a statement id after gating (${sids.join(", ")}); give each statement its own Sid`);
  return { ...first.policy, Statement: out };
}

function gated(s: Statement, accountId: string): Statement {
  const condition = { ...(s.Condition ?? {}) };
  for (const [operator, block] of Object.entries(condition))
    if (Object.keys(block ?? {}).some((k) => k.toLowerCase() === PRINCIPAL_ACCOUNT_KEY.toLowerCase()))
      throw new AccountGateError(
        `statement ${s.Sid ?? "(no Sid)"} already has a ${operator} condition on ${PRINCIPAL_ACCOUNT_KEY}, which the shared permission set of a request in several accounts uses to keep each account's statements to that account; remove that condition or open one request per account`,
      );
  const equals = condition.StringEquals ?? {};
  condition.StringEquals = { ...equals, [PRINCIPAL_ACCOUNT_KEY]: accountId };
  return { ...s, ...(s.Sid !== undefined ? { Sid: `${s.Sid}${accountId}` } : {}), Condition: condition };
}
