// What a revoke may touch: only the names a grant of that request creates, decided from the
// record and the config before any AWS call. Pure.
import { resolveAccount } from "../domain/config.js";
import type { Config } from "../domain/types.js";
import { iamPolicyArn, SCHEDULE_GROUP } from "./naming.js";
import { scheduleNames } from "./schedules.js";
import { fail, ok, problem, type Result } from "../domain/problems.js";
import type { RevokeTarget } from "./types.js";
import { looksLikeBundleResource, parseBundleResource, type BundleResource } from "../domain/bundle-resources.js";

/**
 * A revoke or reconcile refused because the target names something jit-access did not create
 * (another policy, another request's permission set, an untagged look-alike). Nothing was removed.
 */
export class NotOwnedError extends Error {
  override name = "NotOwnedError";
}

/** arn:<partition>:sso:::permissionSet/<instance id>/<permission set id>, as AWS documents it. */
const PERMISSION_SET_ARN = /^arn:(aws|aws-cn|aws-us-gov):sso:::permissionSet\/((?:sso)?ins-[a-zA-Z0-9-.]{16})\/ps-[a-zA-Z0-9-./]{16}$/;

export interface OwnedTarget {
  /** iam mode: the request's own policy ARN (derived, or the record's when it is exactly that). */
  policyArn?: string;
  /** identity-center mode: the record's permission set ARN, when it names one. */
  permissionSetArn?: string;
  /** Schedule names in the jit-access group, all of them this request's. */
  schedules: string[];
  /**
   * Attachments of existing managed policies / assignments of existing permission sets the record
   * names (catalogue bundles). Well formed and in this account and instance; the adapter checks
   * the rest in AWS (bundles.ts bundleRemovable) before removing one.
   */
  bundles: BundleResource[];
}

/**
 * What a revoke of `target` may touch, decided before any AWS call: only the names a grant of
 * this request creates. A record is text anyone with write access can change; a revoke that
 * deleted whatever it names would delete any policy the app can reach. Anything else is refused
 * with the name, what would be accepted, and the fix. (The AWS-side tag check follows in the
 * adapter: a right name is not enough.)
 */
export function ownedTarget(config: Config, target: RevokeTarget, accountId: string): Result<OwnedTarget> {
  const id = target.requestId;
  const refuse = (what: string, value: string, expected: string): Result<OwnedTarget> =>
    fail(
      problem(
        "aws.not-owned",
        `refusing to revoke ${id}: the record names ${what} ${JSON.stringify(value)}, which jit-access did not create for this request ` +
          `(it removes only ${expected}); nothing was removed — correct grant.aws in the record, and remove that resource by hand if it really must go`,
        "grant.aws",
      ),
    );
  const out: OwnedTarget = { schedules: [], bundles: [] };
  const instance = config.aws.identity_center?.instance_arn.split("/")[1];
  for (const r of target.resources ?? []) {
    if (!looksLikeBundleResource(r)) continue;
    const b = parseBundleResource(r);
    const expected =
      target.mode === "iam"
        ? `attached:user|role/<name>:<a policy ARN of this partition, AWS managed or in account ${accountId}>`
        : `assigned:user/<UserId>:<a permission set ARN of instance ${instance ?? "<instance>"}>`;
    if (!b) return refuse("the resource", r, expected);
    if (b.kind === "attached") {
      const [, partition, , , owner] = b.policyArn.split(":");
      if (
        target.mode !== "iam" ||
        partition !== config.aws.partition ||
        (owner !== "aws" && owner !== accountId) ||
        b.policyArn.includes(":policy/jit-access/")
      )
        return refuse("the resource", r, expected);
    } else {
      const m = PERMISSION_SET_ARN.exec(b.permissionSetArn);
      if (target.mode !== "identity-center" || !m || m[1] !== config.aws.partition || m[2] !== instance) return refuse("the resource", r, expected);
    }
    out.bundles.push(b);
  }
  const resources = (target.resources ?? []).filter((r) => !looksLikeBundleResource(r));
  if (target.mode === "iam") {
    const expected = iamPolicyArn(config.aws.partition, accountId, id);
    for (const r of resources) if (r !== expected) return refuse("the resource", r, expected);
    out.policyArn = expected;
  } else {
    const expected = `a permission set arn:${config.aws.partition}:sso:::permissionSet/${instance ?? "<instance>"}/ps-… named jit-${id}`;
    if (resources.length > 1) return refuse("more than one resource:", resources.join(" "), expected);
    for (const r of resources) {
      const m = PERMISSION_SET_ARN.exec(r);
      if (!m || m[1] !== config.aws.partition || m[2] !== instance) return refuse("the resource", r, expected);
      out.permissionSetArn = r;
    }
  }
  // Identity Center: a grant in several accounts has a revoke schedule per account (naming.ts
  // scheduleName), each a name of this request; without a record this account's and the first's.
  const configured = [...new Set(Object.keys(config.aws.accounts).map((alias) => resolveAccount(config, alias)?.id ?? ""))].filter(Boolean);
  const allowed = scheduleNames(id, target.mode, configured.includes(accountId) ? configured : [...configured, accountId]);
  for (const name of target.schedules ?? [])
    if (!allowed.includes(name))
      return refuse(
        "the schedule",
        `${SCHEDULE_GROUP}/${name}`,
        scheduleNames(id, target.mode)
          .map((n) => `${SCHEDULE_GROUP}/${n}`)
          .join(" and "),
      );
  out.schedules = target.schedules?.length ? [...target.schedules] : scheduleNames(id, target.mode, [accountId]);
  return ok(out);
}
