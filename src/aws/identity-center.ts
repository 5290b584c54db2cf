// identity-center mode: a permission set per request with the policy inline, provisioned to the
// account and assigned to the user. Identity Center's changes are asynchronous: each is polled.

import { GetUserIdCommand, ListUsersCommand, type IdentitystoreClient } from "@aws-sdk/client-identitystore";
import {
  CreateAccountAssignmentCommand,
  CreatePermissionSetCommand,
  DeleteAccountAssignmentCommand,
  DeletePermissionSetCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  DescribePermissionSetCommand,
  DescribePermissionSetProvisioningStatusCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListPermissionSetsCommand,
  ListPermissionSetsProvisionedToAccountCommand,
  ListTagsForResourceCommand,
  ProvisionPermissionSetCommand,
  PutInlinePolicyToPermissionSetCommand,
  type SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { NAME_PREFIX, permissionSetName, tagMap, TAG_EXPIRES_AT, TAG_PR, TAG_REQUEST, type Tag } from "./naming.js";
import { NotOwnedError } from "./ownership.js";
import type { Step } from "./rollback.js";
import { sameJson } from "./policy-text.js";
import { isError, pollUntil, retryOn, type Backoff, type Journal, type Sleep } from "./runtime.js";
import { ExistingDifferentError } from "./scheduler.js";
import type { ManagedResource } from "./types.js";

export interface IcContext {
  sso: SSOAdminClient;
  instanceArn: string;
  sleep: Sleep;
  poll: Backoff;
  conflict: Backoff;
}

/** Identity Center answers ConflictException while another change of the account is running. */
function withConflictRetry<T>(ctx: IcContext, task: () => Promise<T>): Promise<T> {
  return retryOn(["ConflictException"], ctx.conflict, ctx.sleep, task);
}

export async function userIdOf(store: IdentitystoreClient, identityStoreId: string, userName: string): Promise<string> {
  try {
    const out = await store.send(
      new GetUserIdCommand({
        IdentityStoreId: identityStoreId,
        AlternateIdentifier: { UniqueAttribute: { AttributePath: "userName", AttributeValue: userName } },
      }),
    );
    if (!out.UserId) throw new Error(`identity store ${identityStoreId} returned no UserId for ${userName}`);
    return out.UserId;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) {
      throw new Error(`there is no user named ${JSON.stringify(userName)} in identity store ${identityStoreId}; fix principals in the config`);
    }
    throw error;
  }
}

/** A login that maps to no identity-store user, or to more than one: nothing is granted. */
export class IdentityMappingError extends Error {
  override name = "IdentityMappingError";
  constructor(
    readonly code: "aws.identity-unmapped" | "aws.identity-ambiguous",
    message: string,
  ) {
    super(message);
  }
}

/**
 * The UserId of the one identity-store user whose attribute equals `value` (case-insensitively,
 * as Identity Center compares user names). A user name is unique, so GetUserId answers; an
 * e-mail is not, so every user is read and the matches counted — none or several refuse.
 */
export async function mappedUserId(store: IdentitystoreClient, identityStoreId: string, attribute: "user_name" | "email", value: string): Promise<string> {
  const fix = "add the login under principals (the explicit override) or fix the user in Identity Center";
  if (attribute === "user_name") {
    try {
      return await userIdOf(store, identityStoreId, value);
    } catch (error) {
      if (error instanceof Error && /there is no user named/.test(error.message))
        throw new IdentityMappingError("aws.identity-unmapped", `no identity-store user has user name ${JSON.stringify(value)} in ${identityStoreId}; ${fix}`);
      throw error;
    }
  }
  const wanted = value.toLowerCase();
  const found: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await store.send(new ListUsersCommand({ IdentityStoreId: identityStoreId, MaxResults: 100, ...(NextToken ? { NextToken } : {}) }));
    for (const u of page.Users ?? []) {
      if (u.UserId && (u.Emails ?? []).some((e) => typeof e.Value === "string" && e.Value.toLowerCase() === wanted)) found.push(u.UserId);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  const distinct = [...new Set(found)];
  if (distinct.length === 0)
    throw new IdentityMappingError("aws.identity-unmapped", `no identity-store user has the e-mail ${JSON.stringify(value)} in ${identityStoreId}; ${fix}`);
  if (distinct.length > 1)
    throw new IdentityMappingError(
      "aws.identity-ambiguous",
      `${distinct.length} identity-store users have the e-mail ${JSON.stringify(value)} in ${identityStoreId}, so the grant cannot tell whose it is; ${fix}`,
    );
  return distinct[0] as string;
}

/** The ARN of the permission set with this exact name, or undefined. Scans the instance. */
export async function findPermissionSet(ctx: IcContext, name: string): Promise<string | undefined> {
  return firstNamed(ctx, name, (NextToken) =>
    ctx.sso.send(new ListPermissionSetsCommand({ InstanceArn: ctx.instanceArn, ...(NextToken ? { NextToken } : {}) })),
  );
}

/** Pages through permission set ARNs and returns the first whose name is `name`. */
async function firstNamed(
  ctx: IcContext,
  name: string,
  page: (token: string | undefined) => Promise<{ PermissionSets?: string[]; NextToken?: string }>,
): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const p = await page(NextToken);
    for (const arn of p.PermissionSets ?? []) {
      const d = await ctx.sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }));
      if (d.PermissionSet?.Name === name) return arn;
    }
    NextToken = p.NextToken;
  } while (NextToken);
  return undefined;
}

async function tagsOf(ctx: IcContext, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let NextToken: string | undefined;
  do {
    const page = await ctx.sso.send(new ListTagsForResourceCommand({ InstanceArn: ctx.instanceArn, ResourceArn: arn, ...(NextToken ? { NextToken } : {}) }));
    Object.assign(tags, tagMap(page.Tags));
    NextToken = page.NextToken;
  } while (NextToken);
  return tags;
}

/**
 * Whether the permission set is there (false: already gone) — and, when it is, that jit-access
 * created it for this request: named for the request and tagged with its id. Throws
 * NotOwnedError otherwise, before any assignment is removed.
 */
export async function ownedPermissionSet(ctx: IcContext, arn: string, requestId: string): Promise<boolean> {
  let name: string | undefined;
  let owner: string | undefined;
  try {
    name = (await ctx.sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }))).PermissionSet?.Name;
    owner = (await tagsOf(ctx, arn))[TAG_REQUEST];
  } catch (error) {
    // Gone, or deleted between the two reads (a concurrent revoke): gone is gone.
    if (isError(error, "ResourceNotFoundException")) return false;
    throw error;
  }
  if (name !== permissionSetName(requestId) || owner !== requestId) {
    throw new NotOwnedError(
      `refusing to revoke ${requestId}: permission set ${arn} (${name ?? "no name"}) ${owner === undefined ? "carries no jit-access:request tag" : owner !== requestId ? `is tagged for request ${JSON.stringify(owner)}` : `is not named ${permissionSetName(requestId)}`}, so jit-access did not create it for this request; nothing was unassigned or deleted — find out who made it, and remove it by hand if it must go`,
    );
  }
  return true;
}

/** ownedPermissionSet with a set that is not jit-access's for this request as false rather than NotOwnedError. */
export async function isRequestsPermissionSet(ctx: IcContext, arn: string, requestId: string): Promise<boolean> {
  try {
    return await ownedPermissionSet(ctx, arn, requestId);
  } catch (error) {
    if (error instanceof NotOwnedError) return false;
    throw error;
  }
}

/** Whether the permission set is gone from the instance (DescribePermissionSet answers ResourceNotFoundException). */
export async function permissionSetGone(ctx: IcContext, arn: string): Promise<boolean> {
  try {
    await ctx.sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }));
    return false;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return true;
    throw error;
  }
}

/** The ARN of the permission set of this name provisioned to the account, or undefined. */
async function findProvisioned(ctx: IcContext, accountId: string, name: string): Promise<string | undefined> {
  return firstNamed(ctx, name, (NextToken) =>
    ctx.sso.send(
      new ListPermissionSetsProvisionedToAccountCommand({ InstanceArn: ctx.instanceArn, AccountId: accountId, ...(NextToken ? { NextToken } : {}) }),
    ),
  );
}

/**
 * Creates the permission set with its inline policy, or accepts the request's own one when its
 * policy is the same. Identity Center refuses a second permission set of a name
 * (ConflictException "PermissionSet with name … already exists"), so a first grant creates
 * straight away: one call, where a search first would describe every permission set provisioned
 * to the account — hundreds where many grants are active. A later account of a request in several
 * accounts takes the set the earlier account's grant holds (`known`), once it is confirmed as this
 * request's. The set is looked for among the request's accounts' provisioned sets (an earlier
 * grant of the request rests on it, so a rollback never removes it) in a later account whose
 * known set is not confirmed, and after a create that conflicted or failed midway; the whole
 * instance is scanned only after a conflict, for a set provisioned nowhere.
 */
export async function ensurePermissionSet(
  ctx: IcContext,
  journal: Journal,
  args: {
    requestId: string;
    accountId: string;
    document: string;
    sessionDuration: string;
    tags: Tag[];
    /** The request's accounts granted before this one (a request in several accounts shares one permission set): looked in after `accountId`. */
    alsoIn?: readonly string[];
    /** The set an earlier account's grant of the request holds: used when it is this request's (name and tag), else looked for. */
    known?: string;
  },
): Promise<{ arn: string; existed: boolean }> {
  const name = permissionSetName(args.requestId);
  const step: Extract<Step, { kind: "permission-set" }> = { kind: "permission-set", name };
  const accounts = [args.accountId, ...(args.alsoIn ?? []).filter((a) => a !== args.accountId)];
  const provisionedToRequest = async (): Promise<string | undefined> => {
    for (const account of accounts) {
      const arn = await findProvisioned(ctx, account, name);
      if (arn) return arn;
    }
    return undefined;
  };
  return journal.record(step, async (entry) => {
    // Two calls to confirm the set an earlier account's grant holds, where a lookup describes
    // every set provisioned to the account. A known set that is not this request's is looked for.
    let arn = args.known && (await isRequestsPermissionSet(ctx, args.known, args.requestId).catch(() => false)) ? args.known : undefined;
    if (!arn && args.alsoIn?.length) arn = await provisionedToRequest();
    if (arn) entry.outcome = "existed";
    for (let attempt = 0; arn === undefined; attempt++) {
      try {
        entry.outcome = "unknown";
        const out = await ctx.sso.send(
          new CreatePermissionSetCommand({
            InstanceArn: ctx.instanceArn,
            Name: name,
            Description: `jit-access ${args.requestId}: temporary access, revoked at expiry`,
            SessionDuration: args.sessionDuration,
            Tags: args.tags,
          }),
        );
        arn = out.PermissionSet?.PermissionSetArn;
        if (!arn) throw new Error(`CreatePermissionSet ${name} returned no ARN`);
        entry.outcome = "created";
        step.made = true;
      } catch (error) {
        if (isError(error, "ValidationException", "ServiceQuotaExceededException")) {
          entry.outcome = "none";
          throw error;
        }
        if (!isError(error, "ConflictException")) {
          // Whether it was made is unknown, and an earlier grant of the request may rest on a set
          // of this name: the rollback may remove it only when it is provisioned to none of the
          // request's accounts, and when that cannot be told, it is left (it gives no access).
          entry.outcome = await provisionedToRequest().then(
            (found) => (found ? "existed" : "unknown"),
            () => "existed" as const,
          );
          throw error;
        }
        // ConflictException is both "the name exists" and "another change is running". Until the
        // lookups below say otherwise, a set of this name is an earlier grant's: one that fails
        // leaves it to the rollback.
        entry.outcome = "existed";
        arn = await provisionedToRequest();
        if (arn) break;
        // Not provisioned to the request's accounts: a leftover of an interrupted grant, or our
        // own create answered late. Unless another account's grant holds it, it is "unknown":
        // undone if this grant fails.
        arn = await findPermissionSet(ctx, name);
        if (arn === undefined) {
          entry.outcome = "none";
          if (attempt + 1 >= ctx.conflict.attempts) throw error;
          await ctx.sleep(ctx.conflict.initialMs * 2 ** attempt);
        } else if (!(await provisionedAccounts(ctx, arn)).length) {
          entry.outcome = "unknown";
        }
      }
    }
    step.arn = arn;
    let inline = "";
    if (entry.outcome !== "created") {
      const owner = (await tagsOf(ctx, arn))[TAG_REQUEST];
      inline = (await ctx.sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }))).InlinePolicy ?? "";
      if (owner !== args.requestId || (inline !== "" && !sameJson(inline, args.document))) {
        throw new ExistingDifferentError(
          `permission set ${name} (${arn}) already exists with a different ${owner !== args.requestId ? `owner tag (${owner ?? "none"})` : "inline policy"}; refusing to reuse it — revoke request ${args.requestId} and grant again`,
        );
      }
    }
    const psArn = arn;
    if (inline === "") {
      await withConflictRetry(ctx, () =>
        ctx.sso.send(new PutInlinePolicyToPermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: psArn, InlinePolicy: args.document })),
      );
    }
    return { arn, existed: entry.outcome === "existed" };
  });
}

export async function provision(ctx: IcContext, permissionSetArn: string, accountId: string): Promise<void> {
  const started = await withConflictRetry(ctx, () =>
    ctx.sso.send(
      new ProvisionPermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: permissionSetArn, TargetType: "AWS_ACCOUNT", TargetId: accountId }),
    ),
  );
  let status = started.PermissionSetProvisioningStatus;
  const requestId = status?.RequestId;
  if (!requestId) throw new Error(`ProvisionPermissionSet ${permissionSetArn} returned no request id`);
  status = await pollUntil(`provisioning ${permissionSetArn} to ${accountId}`, ctx.poll, ctx.sleep, async () => {
    if (status?.Status && status.Status !== "IN_PROGRESS") return { done: true, value: status };
    const out = await ctx.sso.send(
      new DescribePermissionSetProvisioningStatusCommand({ InstanceArn: ctx.instanceArn, ProvisionPermissionSetRequestId: requestId }),
    );
    status = out.PermissionSetProvisioningStatus;
    return status?.Status && status.Status !== "IN_PROGRESS" ? { done: true, value: status } : { done: false };
  });
  if (status?.Status !== "SUCCEEDED")
    throw new Error(`provisioning ${permissionSetArn} to account ${accountId} failed: ${status?.FailureReason ?? "no reason given"}`);
}

/** The accounts the permission set is provisioned to. */
export async function provisionedAccounts(ctx: IcContext, permissionSetArn: string): Promise<string[]> {
  const out: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.sso.send(
      new ListAccountsForProvisionedPermissionSetCommand({
        InstanceArn: ctx.instanceArn,
        PermissionSetArn: permissionSetArn,
        ...(NextToken ? { NextToken } : {}),
      }),
    );
    out.push(...(page.AccountIds ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** Whether the user holds an assignment of the permission set in the account (a group's does not count). */
export async function hasAssignment(ctx: IcContext, permissionSetArn: string, accountId: string, principalId: string): Promise<boolean> {
  return (await assignmentsOf(ctx, permissionSetArn, accountId)).includes(principalId);
}

async function assignmentsOf(ctx: IcContext, permissionSetArn: string, accountId: string): Promise<string[]> {
  const out: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.sso.send(
      new ListAccountAssignmentsCommand({
        InstanceArn: ctx.instanceArn,
        AccountId: accountId,
        PermissionSetArn: permissionSetArn,
        ...(NextToken ? { NextToken } : {}),
      }),
    );
    for (const a of page.AccountAssignments ?? []) if (a.PrincipalType === "USER" && a.PrincipalId) out.push(a.PrincipalId);
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

export async function ensureAssignment(
  ctx: IcContext,
  journal: Journal,
  permissionSetArn: string,
  accountId: string,
  principalId: string,
  permissionSetExisted: boolean,
): Promise<boolean> {
  return journal.record({ kind: "assignment", permissionSetArn, accountId, principalId }, async (entry) => {
    if (permissionSetExisted && (await hasAssignment(ctx, permissionSetArn, accountId, principalId))) {
      entry.outcome = "existed";
      return false;
    }
    entry.outcome = "unknown";
    const started = await withConflictRetry(ctx, () =>
      ctx.sso.send(
        new CreateAccountAssignmentCommand({
          InstanceArn: ctx.instanceArn,
          TargetId: accountId,
          TargetType: "AWS_ACCOUNT",
          PermissionSetArn: permissionSetArn,
          PrincipalType: "USER",
          PrincipalId: principalId,
        }),
      ),
    );
    const status = await pollAssignment(ctx, "creation", started.AccountAssignmentCreationStatus);
    if (status.Status !== "SUCCEEDED")
      throw new Error(`assigning ${permissionSetArn} in account ${accountId} failed: ${status.FailureReason ?? "no reason given"}`);
    entry.outcome = "created";
    return true;
  });
}

type OperationStatus = { Status?: string | undefined; RequestId?: string | undefined; FailureReason?: string | undefined };

async function pollAssignment(ctx: IcContext, kind: "creation" | "deletion", first: OperationStatus | undefined): Promise<OperationStatus> {
  const requestId = first?.RequestId;
  if (!requestId) throw new Error(`account assignment ${kind} returned no request id`);
  let status: OperationStatus | undefined = first;
  return pollUntil<OperationStatus>(`account assignment ${kind} ${requestId}`, ctx.poll, ctx.sleep, async () => {
    if (status?.Status && status.Status !== "IN_PROGRESS") return { done: true, value: status };
    status =
      kind === "creation"
        ? (
            await ctx.sso.send(
              new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: ctx.instanceArn, AccountAssignmentCreationRequestId: requestId }),
            )
          ).AccountAssignmentCreationStatus
        : (
            await ctx.sso.send(
              new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: ctx.instanceArn, AccountAssignmentDeletionRequestId: requestId }),
            )
          ).AccountAssignmentDeletionStatus;
    const now = status;
    return now?.Status && now.Status !== "IN_PROGRESS" ? { done: true, value: now } : { done: false };
  });
}

export async function deleteAssignment(ctx: IcContext, permissionSetArn: string, accountId: string, principalId: string): Promise<boolean> {
  let started;
  try {
    started = await withConflictRetry(ctx, () =>
      ctx.sso.send(
        new DeleteAccountAssignmentCommand({
          InstanceArn: ctx.instanceArn,
          TargetId: accountId,
          TargetType: "AWS_ACCOUNT",
          PermissionSetArn: permissionSetArn,
          PrincipalType: "USER",
          PrincipalId: principalId,
        }),
      ),
    );
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return false;
    throw error;
  }
  const status = await pollAssignment(ctx, "deletion", started.AccountAssignmentDeletionStatus);
  if (status.Status !== "SUCCEEDED")
    throw new Error(
      `removing the assignment of ${permissionSetArn} in account ${accountId} failed: ${status.FailureReason ?? "no reason given"}; rerun revoke`,
    );
  return true;
}

/**
 * Deletes every assignment of the permission set (in every account it is provisioned to, and in
 * `accountId`), then the permission set. Returns what it removed.
 */
export async function removePermissionSet(ctx: IcContext, permissionSetArn: string, accountId: string): Promise<string[]> {
  const removed: string[] = [];
  let accounts: string[];
  try {
    accounts = [accountId];
    for (const a of await provisionedAccounts(ctx, permissionSetArn)) if (!accounts.includes(a)) accounts.push(a);
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return removed;
    throw error;
  }
  for (const account of accounts) {
    for (const principalId of await assignmentsOf(ctx, permissionSetArn, account)) {
      if (await deleteAssignment(ctx, permissionSetArn, account, principalId)) removed.push(`assignment:${account}/${principalId}`);
    }
  }
  try {
    await withConflictRetry(ctx, () => ctx.sso.send(new DeletePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: permissionSetArn })));
    removed.push(permissionSetArn);
  } catch (error) {
    if (!isError(error, "ResourceNotFoundException")) throw error;
  }
  return removed;
}

export async function listPermissionSets(ctx: IcContext): Promise<ManagedResource[]> {
  const out: ManagedResource[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.sso.send(new ListPermissionSetsCommand({ InstanceArn: ctx.instanceArn, ...(NextToken ? { NextToken } : {}) }));
    for (const arn of page.PermissionSets ?? []) {
      const d = await ctx.sso.send(new DescribePermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }));
      const name = d.PermissionSet?.Name ?? "";
      if (!name.startsWith(NAME_PREFIX)) continue;
      const tags = await tagsOf(ctx, arn);
      // Only ours: a hand-made "jit-…" permission set without our tag is left alone.
      if (!tags[TAG_REQUEST]) continue;
      const accounts = await ctx.sso.send(new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn: ctx.instanceArn, PermissionSetArn: arn }));
      out.push({
        kind: "permission-set",
        arn,
        name,
        accountIds: accounts.AccountIds ?? [],
        requestId: tags[TAG_REQUEST],
        ...(tags[TAG_EXPIRES_AT] ? { expiresAt: tags[TAG_EXPIRES_AT] } : {}),
        ...(tags[TAG_PR] ? { pr: tags[TAG_PR] } : {}),
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}
