// Moving the end of an active grant (an approved extension): the calls on AWS. IAM: a new default
// version of the request's policy stamped with the new expiry, the old versions deleted, the
// expiry tag moved. Identity Center: the permission set's inline policy replaced and re-provisioned,
// its expiry tag moved. Then the revocation schedules are moved to the new time. Only resources
// jit-access created for the request are touched (names and the jit-access:request tag checked).
import { CreatePolicyVersionCommand, DeletePolicyVersionCommand, type IAMClient, ListPolicyVersionsCommand, TagPolicyCommand } from "@aws-sdk/client-iam";
import { GetScheduleCommand, UpdateScheduleCommand, type SchedulerClient } from "@aws-sdk/client-scheduler";
import { PutInlinePolicyToPermissionSetCommand, TagResourceCommand } from "@aws-sdk/client-sso-admin";
import { provision, type IcContext } from "./identity-center.js";
import { TAG_EXPIRES_AT } from "./naming.js";
import { isError } from "./runtime.js";
import { ensureSchedule } from "./scheduler.js";
import { sameSchedule, type ScheduleInput } from "./schedules.js";

/** IAM: the new expiry becomes the policy's only version; returns the new version id. */
export async function replacePolicyVersion(iam: IAMClient, policyArn: string, document: string, expiresAt: string): Promise<string> {
  // A managed policy holds at most five versions: make room first (the default stays until replaced).
  const before = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions ?? [];
  for (const v of before) if (!v.IsDefaultVersion && v.VersionId) await deleteVersion(iam, policyArn, v.VersionId);
  const created = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: document, SetAsDefault: true }));
  const id = created.PolicyVersion?.VersionId;
  if (!id) throw new Error(`CreatePolicyVersion on ${policyArn} returned no version id`);
  // The old default, now superseded: a single-version policy is what revoke and the schedule delete.
  for (const v of before) if (v.IsDefaultVersion && v.VersionId && v.VersionId !== id) await deleteVersion(iam, policyArn, v.VersionId);
  await iam.send(new TagPolicyCommand({ PolicyArn: policyArn, Tags: [{ Key: TAG_EXPIRES_AT, Value: expiresAt }] }));
  return id;
}

async function deleteVersion(iam: IAMClient, policyArn: string, versionId: string): Promise<void> {
  try {
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }));
  } catch (error) {
    if (!isError(error, "NoSuchEntityException")) throw error;
  }
}

/** Identity Center: the permission set's policy replaced, re-provisioned to the account, its expiry tag moved. */
export async function replaceInlinePolicy(ctx: IcContext, permissionSetArn: string, accountId: string, document: string, expiresAt: string): Promise<void> {
  await ctx.sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: permissionSetArn, InlinePolicy: document }));
  await provision(ctx, permissionSetArn, accountId);
  await ctx.sso.send(
    new TagResourceCommand({ InstanceArn: ctx.instanceArn, ResourceArn: permissionSetArn, Tags: [{ Key: TAG_EXPIRES_AT, Value: expiresAt }] }),
  );
}

/** Moves a schedule to `input` (UpdateSchedule replaces it whole); creates it when it is gone. */
export async function moveSchedule(client: SchedulerClient, input: ScheduleInput): Promise<void> {
  let have;
  try {
    have = await client.send(new GetScheduleCommand({ Name: input.Name, GroupName: input.GroupName }));
  } catch (error) {
    if (!isError(error, "ResourceNotFoundException")) throw error;
  }
  if (!have) {
    await ensureSchedule(client, input, { step: { kind: "schedule", name: input.Name }, outcome: "none" });
    return;
  }
  if (sameSchedule(input, have)) return;
  await client.send(new UpdateScheduleCommand(input));
}
