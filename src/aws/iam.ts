// iam mode: a customer managed policy per request, attached to the IAM user or role.

import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type IAMClient,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyTagsCommand,
  ListPolicyVersionsCommand,
} from "@aws-sdk/client-iam";
import type { AwsClients } from "./clients.js";
import { IAM_POLICY_PATH, iamPolicyArn, iamPolicyName, tagMap, TAG_EXPIRES_AT, TAG_PR, TAG_REQUEST, type Tag } from "./naming.js";
import { attachQuotaMessage } from "./limits.js";
import { NotOwnedError } from "./ownership.js";
import { sameJson } from "./policy-text.js";
import { isError, type Journal } from "./runtime.js";
import { ExistingDifferentError } from "./scheduler.js";
import type { ManagedResource } from "./types.js";

type IamPrincipal = { kind: "iam_user" | "iam_role"; name: string };

export class QuotaError extends Error {
  override name = "QuotaError";
}

/** Creates the policy, or accepts an identical one of the same request. Returns its ARN. */
export async function ensurePolicy(
  iam: IAMClient,
  journal: Journal,
  args: { partition: "aws" | "aws-cn" | "aws-us-gov"; accountId: string; requestId: string; document: string; tags: Tag[] },
): Promise<{ arn: string; existed: boolean }> {
  const arn = iamPolicyArn(args.partition, args.accountId, args.requestId);
  return journal.record({ kind: "iam-policy", arn }, async (entry) => {
    // Look first: what exists before this call belongs to an earlier grant of the request, and a
    // rollback must leave it alone; what this call creates, a rollback removes.
    let got = await getPolicy(iam, arn);
    if (got) entry.outcome = "existed";
    else {
      try {
        entry.outcome = "unknown";
        await iam.send(
          new CreatePolicyCommand({
            PolicyName: iamPolicyName(args.requestId),
            Path: IAM_POLICY_PATH,
            PolicyDocument: args.document,
            Description: `jit-access ${args.requestId}: temporary access, revoked at expiry`,
            Tags: args.tags,
          }),
        );
        entry.outcome = "created";
        return { arn, existed: false };
      } catch (error) {
        if (isError(error, "LimitExceededException", "MalformedPolicyDocumentException", "InvalidInputException")) entry.outcome = "none";
        // Right after "no such policy", this is most likely our own create whose answer was
        // lost (the SDK retried): it stays "unknown" and is undone if the grant fails.
        if (!isError(error, "EntityAlreadyExistsException")) throw error;
      }
      got = await getPolicy(iam, arn);
      if (!got) throw new Error(`IAM policy ${arn} was reported to exist and then not found; rerun the grant`);
    }
    const version = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: got.DefaultVersionId ?? "v1" }));
    const existing = policyDocumentText(version.PolicyVersion?.Document ?? "");
    const owner = tagMap(got.Tags)[TAG_REQUEST];
    if (owner !== args.requestId || !sameJson(existing, args.document)) {
      throw new ExistingDifferentError(
        `IAM policy ${arn} already exists with a different ${owner !== args.requestId ? `owner tag (${owner ?? "none"})` : "document"}; refusing to reuse it — revoke request ${args.requestId} (or delete the policy) and grant again`,
      );
    }
    return { arn, existed: entry.outcome === "existed" };
  });
}

/**
 * IAM returns policy documents URL-encoded (RFC 3986), so an encoded JSON object starts "%7B".
 * Emulators such as moto return the JSON itself; decoding that would break on any "%" in it.
 */
export function policyDocumentText(document: string): string {
  return document.trimStart().startsWith("{") ? document : decodeURIComponent(document);
}

async function getPolicy(iam: IAMClient, arn: string) {
  try {
    return (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
  } catch (error) {
    if (isError(error, "NoSuchEntityException")) return undefined;
    throw error;
  }
}

/** Attaches the policy unless it is already attached to the principal. */
export async function ensureAttached(
  iam: IAMClient,
  journal: Journal,
  policyArn: string,
  principal: IamPrincipal,
  accountId: string,
  policyExisted: boolean,
): Promise<boolean> {
  return journal.record({ kind: "iam-attachment", policyArn, principal }, async (entry) => {
    if (policyExisted) {
      const attached = await attachedEntities(iam, policyArn);
      const mine = principal.kind === "iam_user" ? attached.users : attached.roles;
      const others = [...attached.users.map((u) => `user ${u}`), ...attached.roles.map((r) => `role ${r}`), ...attached.groups.map((g) => `group ${g}`)].filter(
        (x) => x !== `${principal.kind === "iam_user" ? "user" : "role"} ${principal.name}`,
      );
      if (others.length) {
        entry.outcome = "none";
        throw new ExistingDifferentError(
          `IAM policy ${policyArn} is also attached to ${others.join(", ")}; refusing to continue — revoke the request to clean up`,
        );
      }
      if (mine.includes(principal.name)) {
        entry.outcome = "existed";
        return false;
      }
    }
    try {
      entry.outcome = "unknown";
      if (principal.kind === "iam_user") await iam.send(new AttachUserPolicyCommand({ UserName: principal.name, PolicyArn: policyArn }));
      else await iam.send(new AttachRolePolicyCommand({ RoleName: principal.name, PolicyArn: policyArn }));
    } catch (error) {
      if (isError(error, "LimitExceededException")) {
        entry.outcome = "none";
        throw new QuotaError(attachQuotaMessage(principal, accountId, error instanceof Error ? error.message : String(error)), { cause: error });
      }
      if (isError(error, "NoSuchEntityException")) {
        entry.outcome = "none";
        throw new Error(
          `IAM ${principal.kind === "iam_user" ? "user" : "role"} ${principal.name} does not exist in account ${accountId} (${error instanceof Error ? error.message : ""}); fix principals in the config`,
          { cause: error },
        );
      }
      throw error;
    }
    entry.outcome = "created";
    return true;
  });
}

export async function attachedEntities(iam: IAMClient, policyArn: string): Promise<{ users: string[]; roles: string[]; groups: string[] }> {
  const out = { users: [] as string[], roles: [] as string[], groups: [] as string[] };
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: policyArn, ...(Marker ? { Marker } : {}) }));
    for (const u of page.PolicyUsers ?? []) if (u.UserName) out.users.push(u.UserName);
    for (const r of page.PolicyRoles ?? []) if (r.RoleName) out.roles.push(r.RoleName);
    for (const g of page.PolicyGroups ?? []) if (g.GroupName) out.groups.push(g.GroupName);
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return out;
}

export async function detach(iam: IAMClient, policyArn: string, principal: IamPrincipal): Promise<boolean> {
  try {
    if (principal.kind === "iam_user") await iam.send(new DetachUserPolicyCommand({ UserName: principal.name, PolicyArn: policyArn }));
    else await iam.send(new DetachRolePolicyCommand({ RoleName: principal.name, PolicyArn: policyArn }));
    return true;
  } catch (error) {
    if (isError(error, "NoSuchEntityException")) return false;
    throw error;
  }
}

/**
 * Whether the policy is there (false: already gone) — and, when it is, that jit-access created it
 * for this request: under the jit-access path, named for the request, tagged with its id. The
 * ARN alone is not proof: anyone who can create policies can create one of that name. Throws
 * NotOwnedError otherwise, before anything is detached.
 */
export async function ownedPolicy(iam: IAMClient, policyArn: string, requestId: string): Promise<boolean> {
  const got = await getPolicy(iam, policyArn);
  if (!got) return false;
  let tags: Record<string, string>;
  try {
    tags = await listAllPolicyTags(iam, policyArn);
  } catch (error) {
    // Deleted between the two reads (a concurrent revoke): gone is gone.
    if (isError(error, "NoSuchEntityException")) return false;
    throw error;
  }
  const owner = tags[TAG_REQUEST];
  if (got.Path !== IAM_POLICY_PATH || got.PolicyName !== iamPolicyName(requestId) || owner !== requestId) {
    throw new NotOwnedError(
      `refusing to revoke ${requestId}: IAM policy ${policyArn} ${owner === undefined ? "carries no jit-access:request tag" : owner !== requestId ? `is tagged for request ${JSON.stringify(owner)}` : `has path ${got.Path ?? "?"} and name ${got.PolicyName ?? "?"}`}, so jit-access did not create it for this request; nothing was detached or deleted — find out who made it, and remove it by hand if it must go`,
    );
  }
  return true;
}

/**
 * Detaches the policy from everyone (not only the recorded principal: whoever holds it holds
 * this request's access), deletes its non-default versions, then the policy. Returns what it
 * removed; an already-deleted policy removes nothing.
 */
export async function removePolicy(iam: IAMClient, policyArn: string): Promise<string[]> {
  const removed: string[] = [];
  // A concurrent attach between our detach and delete shows as DeleteConflict: go round again.
  for (let round = 0; round < 3; round++) {
    let attached;
    try {
      attached = await attachedEntities(iam, policyArn);
    } catch (error) {
      if (isError(error, "NoSuchEntityException")) return removed;
      throw error;
    }
    for (const name of attached.users) if (await detach(iam, policyArn, { kind: "iam_user", name })) removed.push(`attachment:user/${name}`);
    for (const name of attached.roles) if (await detach(iam, policyArn, { kind: "iam_role", name })) removed.push(`attachment:role/${name}`);
    for (const name of attached.groups) {
      try {
        await iam.send(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: policyArn }));
        removed.push(`attachment:group/${name}`);
      } catch (error) {
        if (!isError(error, "NoSuchEntityException")) throw error;
      }
    }
    try {
      const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
      for (const v of versions.Versions ?? []) {
        if (v.IsDefaultVersion || !v.VersionId) continue;
        try {
          await iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: v.VersionId }));
        } catch (error) {
          if (!isError(error, "NoSuchEntityException")) throw error;
        }
      }
      await iam.send(new DeletePolicyCommand({ PolicyArn: policyArn }));
      removed.push(policyArn);
      return removed;
    } catch (error) {
      if (isError(error, "NoSuchEntityException")) return removed;
      if (!isError(error, "DeleteConflictException") || round === 2) throw error;
    }
  }
  return removed;
}

export async function listPolicies(clients: AwsClients, accountId: string): Promise<ManagedResource[]> {
  const out: ManagedResource[] = [];
  let Marker: string | undefined;
  do {
    const page = await clients.iam.send(new ListPoliciesCommand({ Scope: "Local", PathPrefix: IAM_POLICY_PATH, ...(Marker ? { Marker } : {}) }));
    for (const p of page.Policies ?? []) {
      if (!p.Arn || !p.PolicyName) continue;
      const tags = await listAllPolicyTags(clients.iam, p.Arn);
      out.push({
        kind: "iam-policy",
        arn: p.Arn,
        name: p.PolicyName,
        accountIds: [accountId],
        attachments: p.AttachmentCount ?? 0,
        ...(tags[TAG_REQUEST] ? { requestId: tags[TAG_REQUEST] } : {}),
        ...(tags[TAG_EXPIRES_AT] ? { expiresAt: tags[TAG_EXPIRES_AT] } : {}),
        ...(tags[TAG_PR] ? { pr: tags[TAG_PR] } : {}),
      });
    }
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return out;
}

async function listAllPolicyTags(iam: IAMClient, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let Marker: string | undefined;
  do {
    const page = await iam.send(new ListPolicyTagsCommand({ PolicyArn: arn, ...(Marker ? { Marker } : {}) }));
    Object.assign(tags, tagMap(page.Tags));
    Marker = page.IsTruncated ? page.Marker : undefined;
  } while (Marker);
  return tags;
}
