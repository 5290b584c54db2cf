// Moving the end of an active grant (an approved extension): the calls on AWS. IAM: the request's
// policy is replaced by one stamped with the new expiry — detached, deleted, created again under
// the same name with the same tags and the new expiry tag, attached again — because the app's
// role may not create policy versions (the deploy template's boundary denies it everywhere: a new
// version is a way to change a policy in place). Identity Center: the permission set's inline
// policy replaced and re-provisioned, its expiry tag moved. Then the revocation schedules are
// moved to the new time (deleted and created again). Only resources jit-access created for the
// request are touched (names and the jit-access:request tag checked by the caller).
import { GetPolicyCommand, GetPolicyVersionCommand, type IAMClient } from "@aws-sdk/client-iam";
import { GetScheduleCommand, type SchedulerClient } from "@aws-sdk/client-scheduler";
import { PutInlinePolicyToPermissionSetCommand, TagResourceCommand } from "@aws-sdk/client-sso-admin";
import { provision, type IcContext } from "./identity-center.js";
import { ensureAttached, ensurePolicy, policyDocumentText, removePolicy } from "./iam.js";
import { TAG_EXPIRES_AT, type Tag } from "./naming.js";
import { sameJson } from "./policy-text.js";
import { isError, Journal } from "./runtime.js";
import { deleteSchedule, ensureSchedule } from "./scheduler.js";
import { sameSchedule, type ScheduleInput } from "./schedules.js";

type IamPrincipal = { kind: "iam_user" | "iam_role"; name: string };

/** The policy's current document, or undefined when it is gone. */
async function currentDocument(iam: IAMClient, policyArn: string): Promise<string | undefined> {
  try {
    const got = (await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy;
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: got?.DefaultVersionId ?? "v1" }));
    return policyDocumentText(v.PolicyVersion?.Document ?? "");
  } catch (error) {
    if (isError(error, "NoSuchEntityException")) return undefined;
    throw error;
  }
}

/**
 * IAM: the request's policy, replaced by `document` (idempotent: an equal document is left as it
 * is). The access pauses for the few calls in between. If the new policy cannot be created or
 * attached, the old one is put back (best effort) and the error thrown; either way nothing is
 * attached beyond the recorded end.
 */
export async function replaceIamPolicy(
  iam: IAMClient,
  args: {
    partition: "aws" | "aws-cn" | "aws-us-gov";
    accountId: string;
    requestId: string;
    policyArn: string;
    principal: IamPrincipal;
    document: string;
    tags: Tag[];
  },
): Promise<void> {
  const old = await currentDocument(iam, args.policyArn);
  if (old === undefined) throw new Error(`IAM policy ${args.policyArn} is gone: the grant has ended; nothing was extended`);
  if (sameJson(old, args.document)) return;
  await removePolicy(iam, args.policyArn);
  const put = async (document: string) => {
    const journal = new Journal();
    const created = await ensurePolicy(iam, journal, {
      partition: args.partition,
      accountId: args.accountId,
      requestId: args.requestId,
      document,
      tags: args.tags,
    });
    await ensureAttached(iam, journal, created.arn, args.principal, args.accountId, created.existed);
  };
  try {
    await put(args.document);
  } catch (error) {
    await removePolicy(iam, args.policyArn).catch(() => undefined);
    await put(old).catch(() => undefined);
    throw error;
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

/** Moves a schedule to `input`: an equal one is kept; a different one is deleted and created again. */
export async function moveSchedule(client: SchedulerClient, input: ScheduleInput): Promise<void> {
  let have;
  try {
    have = await client.send(new GetScheduleCommand({ Name: input.Name, GroupName: input.GroupName }));
  } catch (error) {
    if (!isError(error, "ResourceNotFoundException")) throw error;
  }
  if (have && sameSchedule(input, have)) return;
  if (have) await deleteSchedule(client, input.Name);
  await ensureSchedule(client, input, { step: { kind: "schedule", name: input.Name }, outcome: "none" });
}
