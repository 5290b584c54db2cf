// Catalogue bundles granted as they exist in AWS: an existing managed policy attached to the IAM
// user or role (iam mode), an existing permission set assigned to the Identity Center user in the
// account (identity-center mode). jit-access creates only the attachment or assignment and its
// revocation schedule; it never creates, changes or deletes the policy or permission set.
//
// Standing access: when the principal already holds that attachment or assignment before the
// grant, it is not jit-access's, and removing it at expiry would take away access somebody else
// gave. The grant is then refused before anything is created (StandingAccessError). The one
// exception is a rerun of the same grant: the request's own revocation schedule, targeting
// exactly that attachment, is what a grant creates just before it attaches — so when that
// schedule is there, the attachment is this grant's own from an earlier delivery.
import { ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand, type IAMClient } from "@aws-sdk/client-iam";
import { GetScheduleCommand, type SchedulerClient } from "@aws-sdk/client-scheduler";
import { DescribePermissionSetCommand, ListTagsForResourceCommand } from "@aws-sdk/client-sso-admin";
import type { BundleResource } from "../domain/bundle-resources.js";
import type { Config } from "../domain/types.js";
import { findPermissionSet, hasAssignment, provisionedAccounts, type IcContext } from "./identity-center.js";
import { NAME_PREFIX, SCHEDULE_GROUP, TAG_REQUEST, scheduleName } from "./naming.js";
import { NotOwnedError } from "./ownership.js";
import { isError } from "./runtime.js";
import { BUNDLE_SCHEDULE_NOTE, sameSchedule, type ScheduleInput } from "./schedules.js";

type IamPrincipal = { kind: "iam_user" | "iam_role"; name: string };

/** The principal already holds the bundle, and not through this request: nothing was granted. */
export class StandingAccessError extends Error {
  override name = "StandingAccessError";
}

/** Whether the policy is attached directly to the user or role (groups do not count: detaching ours never touches theirs). */
export async function attachedDirectly(iam: IAMClient, principal: IamPrincipal, policyArn: string): Promise<boolean> {
  let Marker: string | undefined;
  do {
    const page =
      principal.kind === "iam_user"
        ? await iam.send(new ListAttachedUserPoliciesCommand({ UserName: principal.name, ...(Marker ? { Marker } : {}) }))
        : await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: principal.name, ...(Marker ? { Marker } : {}) }));
    if ((page.AttachedPolicies ?? []).some((p) => p.PolicyArn === policyArn)) return true;
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return false;
}

/** Whether the user holds an assignment of the permission set in the account (a group's does not count). */
export async function assignedDirectly(ctx: IcContext, permissionSetArn: string, accountId: string, principalId: string): Promise<boolean> {
  return hasAssignment(ctx, permissionSetArn, accountId, principalId);
}

/** Whether the permission set is provisioned to the account (then it is not provisioned again: that would push its latest edits to every assignment there). */
export async function provisionedTo(ctx: IcContext, permissionSetArn: string, accountId: string): Promise<boolean> {
  return (await provisionedAccounts(ctx, permissionSetArn)).includes(accountId);
}

/** Whether the request's revocation schedule exists and does exactly what `want` does (then the bundle it revokes is this grant's own). */
export async function ownSchedule(client: SchedulerClient, want: ScheduleInput): Promise<boolean> {
  try {
    return sameSchedule(want, await client.send(new GetScheduleCommand({ Name: want.Name, GroupName: SCHEDULE_GROUP })));
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return false;
    throw error;
  }
}

/**
 * The bundle grant the request's revocation schedule would remove, read back from its target, or
 * undefined (no such schedule, or not a bundle grant's). This is how a revoke without a record
 * (a failed grant's clean-up, a reconcile) still finds an attachment jit-access made.
 */
export async function bundleOfSchedule(
  client: SchedulerClient,
  requestId: string,
  name = scheduleName(requestId, "revoke"),
): Promise<{ bundle: BundleResource; accountId?: string } | undefined> {
  let got;
  try {
    got = await client.send(new GetScheduleCommand({ Name: name, GroupName: SCHEDULE_GROUP }));
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
  if (!(got.Description ?? "").startsWith(`jit-access ${requestId}: ${BUNDLE_SCHEDULE_NOTE}`)) return undefined;
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(got.Target?.Input ?? "") as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const str = (k: string) => (typeof input[k] === "string" ? input[k] : undefined);
  const arn = got.Target?.Arn ?? "";
  const policyArn = str("PolicyArn");
  if (arn.endsWith(":iam:detachUserPolicy") && policyArn && str("UserName"))
    return { bundle: { kind: "attached", principal: { kind: "iam_user", name: str("UserName") as string }, policyArn } };
  if (arn.endsWith(":iam:detachRolePolicy") && policyArn && str("RoleName"))
    return { bundle: { kind: "attached", principal: { kind: "iam_role", name: str("RoleName") as string }, policyArn } };
  if (arn.endsWith(":ssoadmin:deleteAccountAssignment") && str("PermissionSetArn") && str("PrincipalId") && str("PrincipalType") === "USER")
    return {
      bundle: { kind: "assigned", permissionSetArn: str("PermissionSetArn") as string, principalId: str("PrincipalId") as string },
      ...(str("TargetId") ? { accountId: str("TargetId") as string } : {}),
    };
  return undefined;
}

/**
 * The ARN of a permission_set entry's permission set (by ARN, or found by name), checked to be
 * one jit-access may assign: it exists and is not one of jit-access's own per-request sets.
 */
export async function catalogueSetArn(ctx: IcContext, ref: string): Promise<string> {
  const arn = ref.startsWith("arn:") ? ref : await findPermissionSet(ctx, ref);
  if (!arn)
    throw new Error(
      `there is no permission set named ${JSON.stringify(ref)} in ${ctx.instanceArn}; fix the catalogue entry (jit-access doctor lists them); nothing was granted`,
    );
  await assertCatalogueSet(ctx, arn);
  return arn;
}

/** Throws NotOwnedError when the permission set is one jit-access creates per request (it is never assigned or unassigned as a bundle). */
async function assertCatalogueSet(ctx: IcContext, arn: string): Promise<string | undefined> {
  let name: string | undefined;
  try {
    name = (await ctx.sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }))).PermissionSet?.Name;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException"))
      throw new Error(`permission set ${arn} does not exist in ${ctx.instanceArn}; fix the catalogue entry`, { cause: error });
    throw error;
  }
  const tags = await ctx.sso.send(new ListTagsForResourceCommand({ InstanceArn: ctx.instanceArn, ResourceArn: arn }));
  if ((name ?? "").startsWith(NAME_PREFIX) || (tags.Tags ?? []).some((t) => t.Key === TAG_REQUEST))
    throw new NotOwnedError(
      `permission set ${arn} (${name ?? "no name"}) is one jit-access creates per request, not a catalogue permission set; nothing was assigned or removed`,
    );
  return name;
}

/**
 * Whether a revoke may remove this attachment or assignment. The record (or schedule) that names it
 * is text; what backs it is either the request's own revocation schedule targeting exactly it
 * (made by the grant, in AWS), or the reviewed config: a catalogue entry of the right kind names
 * the policy or permission set. A policy or permission set jit-access creates per request is never
 * taken for a bundle. Pure; `setName` is the permission set's name, read by the caller.
 */
export function bundleRemovable(config: Config, b: BundleResource, scheduled: BundleResource | undefined, setName?: string): string | undefined {
  if (scheduled && JSON.stringify(scheduled) === JSON.stringify(b)) return undefined;
  const entries = Object.values(config.catalogue ?? {});
  if (b.kind === "attached") {
    if (b.policyArn.includes(":policy/jit-access/")) return `${b.policyArn} is a policy jit-access creates per request, not a catalogue policy`;
    if (entries.some((e) => e.kind === "managed_policy" && e.policy_arn === b.policyArn)) return undefined;
    return `no managed_policy entry of the catalogue names ${b.policyArn} and the request's revocation schedule does not target it, so nothing shows jit-access attached it`;
  }
  if ((setName ?? "").startsWith(NAME_PREFIX))
    return `${b.permissionSetArn} (${setName ?? ""}) is a permission set jit-access creates per request, not a catalogue one`;
  const refs = entries.filter((e) => e.kind === "permission_set" && e.permission_set).map((e) => e.permission_set as string);
  if (refs.includes(b.permissionSetArn) || (setName !== undefined && refs.includes(setName))) return undefined;
  return `no permission_set entry of the catalogue names ${b.permissionSetArn} (${setName ?? "name unknown"}) and the request's revocation schedule does not target it, so nothing shows jit-access assigned it`;
}

/** The name of a permission set, or undefined when it is gone. */
export async function permissionSetNameOf(ctx: IcContext, arn: string): Promise<string | undefined> {
  try {
    return (await ctx.sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }))).PermissionSet?.Name;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}
