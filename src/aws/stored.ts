// The request file's grant.aws, both ways: written from a grant's result, read back as what a
// revoke needs. The schedule field is "<group>/<name> <group>/<name>" or, when nothing was
// scheduled, the note saying why. Pure.
import type { AwsMode, GrantRecord } from "../domain/types.js";
import { SCHEDULE_GROUP } from "./naming.js";
import type { GrantResult, RevokeTarget } from "./types.js";

/**
 * The request file's `grant.aws`, from a grant's result. A grant in several accounts keeps its
 * first account in the single-account fields (so a reader of one account still finds it) and
 * every account, the first included, in `accounts`.
 */
export function storedAws(result: GrantResult): NonNullable<GrantRecord["aws"]> {
  const parts = result.accounts;
  if (parts && parts.length > 1) {
    const [first, ...rest] = parts.map(storedAws);
    if (first) {
      const each = [first, ...rest].map((p) => ({
        account_id: p.account_id ?? "",
        resources: p.resources ?? [],
        ...(p.schedule ? { schedule: p.schedule } : {}),
      }));
      return { ...first, accounts: each };
    }
  }
  const schedule = result.schedules.length ? result.schedules.map((n) => `${SCHEDULE_GROUP}/${n}`).join(" ") : (result.scheduleNote ?? "not scheduled");
  return { mode: result.mode, account_id: result.accountId, resources: [...result.resources], schedule };
}

/**
 * What revoke needs in each account a request file's grant holds: one target for a
 * single-account record, one per `grant.aws.accounts[]` entry otherwise.
 */
export function revokeTargetsOf(requestId: string, aws: NonNullable<GrantRecord["aws"]>, fallbackMode: AwsMode): RevokeTarget[] {
  if (!aws.accounts?.length) return [revokeTargetOf(requestId, aws, fallbackMode)];
  return aws.accounts.map((a) => revokeTargetOf(requestId, { ...(aws.mode ? { mode: aws.mode } : {}), ...a }, fallbackMode));
}

/** What revoke needs, from a request file (id + grant.aws). */
export function revokeTargetOf(requestId: string, aws: NonNullable<GrantRecord["aws"]>, fallbackMode: AwsMode): RevokeTarget {
  if (!aws.account_id) throw new Error(`request ${requestId}: grant.aws.account_id is missing; cannot tell which account to revoke in`);
  const schedules = aws.schedule?.startsWith(`${SCHEDULE_GROUP}/`) ? aws.schedule.split(" ").map((s) => s.slice(SCHEDULE_GROUP.length + 1)) : undefined;
  return {
    requestId,
    mode: aws.mode ?? fallbackMode,
    accountId: aws.account_id,
    ...(aws.resources ? { resources: [...aws.resources] } : {}),
    ...(schedules ? { schedules } : {}),
  };
}
