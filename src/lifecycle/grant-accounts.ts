import { GrantError } from "../aws/grants.js";
import type { GrantMeta, GrantResult, Grants } from "../aws/types.js";
import type { AccessRequest, PolicyDocument } from "../domain/types.js";

// A grant in several accounts: one account after another, and if any fails, every account granted
// before it is revoked again, so the request holds access in all of its accounts or in none.
// Names derive from the request id in each account (iam mode), so the accounts' resources never
// collide; in identity-center mode the accounts share the request's one permission set, and each
// later account's revoke schedule is named for it (aws/naming.ts scheduleName).

/** One account's part: the request as filed for that account alone, and its policy. */
export interface AccountPart {
  request: AccessRequest;
  policy: PolicyDocument;
}

/**
 * Grants every part in order. On a failure, revokes the parts already granted (last first) and
 * throws a GrantError whose `leftOver` lists what neither the failing account's rollback nor
 * those revokes removed (normally nothing). The result is the first account's, with every
 * account's resources and each account's own result in `accounts`.
 */
export async function grantInAccounts(grants: Grants, parts: readonly AccountPart[], expiresAt: string, meta: GrantMeta = {}): Promise<GrantResult> {
  const done: GrantResult[] = [];
  // Every part goes with each account's grant: identity-center mode grants one permission set for all of them.
  const withParts: GrantMeta = parts.length > 1 ? { ...meta, parts } : meta;
  // What any account would refuse up front (standing access) refuses them all before one is touched.
  if (grants.preflight && parts.length > 1)
    for (const part of parts) {
      try {
        await grants.preflight(part.request, expiresAt, withParts);
      } catch (error) {
        throw new GrantError(`in account ${part.request.account}: ${errorText(error)}; nothing was granted in any account`, error, []);
      }
    }
  for (const part of parts) {
    try {
      done.push(await grants.grant(part.request, part.policy, expiresAt, done.length ? { ...withParts, earlier: [...done] } : withParts));
    } catch (error) {
      const leftOver: GrantError["leftOver"] = error instanceof GrantError ? [...error.leftOver] : [];
      const notes: string[] = [];
      for (const granted of [...done].reverse()) {
        try {
          await grants.revoke(granted);
        } catch (revokeError) {
          leftOver.push(...granted.resources.map((arn): GrantError["leftOver"][number] => ({ kind: "iam-policy", arn })));
          notes.push(`revoking account ${granted.accountId} again failed: ${errorText(revokeError)}`);
        }
      }
      const account = part.request.account;
      const undone = done.length
        ? notes.length
          ? `; ${notes.join("; ")} (its policy still expires at ${expiresAt}; rerun revoke or the sweep to remove it)`
          : `; the ${done.length === 1 ? "account" : "accounts"} granted before it (${done.map((d) => d.accountId).join(", ")}) ${done.length === 1 ? "was" : "were"} revoked again`
        : "";
      throw new GrantError(`in account ${account}: ${errorText(error)}${undone}`, error instanceof GrantError ? error.cause : error, leftOver);
    }
  }
  return combined(done);
}

/** The first account's result standing for all: every resource and schedule, each account's own result. */
export function combined(results: readonly GrantResult[]): GrantResult {
  const [first] = results;
  if (!first) throw new Error("a grant in several accounts needs at least one account");
  if (results.length === 1) return first;
  const notes = results.filter((r) => r.scheduleNote).map((r) => `${r.accountId}: ${r.scheduleNote}`);
  return {
    ...first,
    resources: results.flatMap((r) => r.resources),
    schedules: results.flatMap((r) => r.schedules),
    ...(notes.length ? { scheduleNote: notes.join("; ") } : {}),
    changed: results.some((r) => r.changed),
    accounts: [...results],
  };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
