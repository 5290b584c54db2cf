// Fake IAM Identity Center (SSO admin) and identity store. Provisioning and assignment changes
// are asynchronous: they answer IN_PROGRESS and take effect after a number of status polls (or
// when any other call arrives, as time passes), ending SUCCEEDED, or FAILED when told to.

import { fail } from "./errors.js";
import { checkTags } from "./iam.js";
import { assignmentKey, type Assignment, type SsoState } from "./state.js";

type Input = Record<string, unknown>;

const PS_NAME = /^[\w+=,.@-]{1,32}$/;
const DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/;
const INLINE_CHARS = 10_240;
const INLINE_BYTES = 32_768;
const MAX_PERMISSION_SETS = 2000;
const MAX_PENDING_CREATIONS = 10;

export interface PendingOp {
  kind: "provision" | "create-assignment" | "delete-assignment";
  requestId: string;
  pollsLeft: number;
  status: "IN_PROGRESS" | "SUCCEEDED" | "FAILED";
  failureReason?: string;
  apply: () => void;
  view: Record<string, unknown>;
}

export interface SsoRuntime {
  ops: Map<string, PendingOp>;
  /** Status polls before an operation completes. */
  polls: number;
  /** The next operations of this kind end FAILED with this reason. */
  failNext: Map<PendingOp["kind"], string>;
  counter: number;
}

function str(input: Input, key: string): string {
  const v = input[key];
  if (typeof v !== "string" || v === "")
    fail("ValidationException", `1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must not be null`);
  return v;
}

export function seconds(duration: string): number | undefined {
  const m = DURATION.exec(duration);
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function checkInline(doc: string): void {
  try {
    JSON.parse(doc);
  } catch {
    fail("ValidationException", "The inline policy is not valid JSON");
  }
  if (doc.replace(/\s/g, "").length > INLINE_CHARS || Buffer.byteLength(doc) > INLINE_BYTES) {
    fail("ValidationException", `The inline policy exceeds the maximum size of ${INLINE_CHARS} characters`);
  }
}

/** Completes every operation still in progress (time passes between calls). */
export function settle(rt: SsoRuntime): void {
  for (const op of rt.ops.values()) if (op.status === "IN_PROGRESS") complete(rt, op);
}

function complete(rt: SsoRuntime, op: PendingOp): void {
  const reason = rt.failNext.get(op.kind);
  if (reason !== undefined) {
    rt.failNext.delete(op.kind);
    op.status = "FAILED";
    op.failureReason = reason;
    return;
  }
  op.apply();
  op.status = "SUCCEEDED";
}

function statusView(op: PendingOp): Record<string, unknown> {
  return { ...op.view, Status: op.status, RequestId: op.requestId, ...(op.failureReason ? { FailureReason: op.failureReason } : {}), CreatedDate: new Date(0) };
}

function page<T>(items: T[], input: Input): { items: T[]; NextToken?: string } {
  const max = typeof input.MaxResults === "number" ? input.MaxResults : 100;
  const start = typeof input.NextToken === "string" ? Number(input.NextToken) : 0;
  const more = start + max < items.length;
  return { items: items.slice(start, start + max), ...(more ? { NextToken: String(start + max) } : {}) };
}

export function handleSso(state: SsoState, rt: SsoRuntime, op: string, input: Input): Record<string, unknown> {
  if (!op.startsWith("Describe") || !op.endsWith("Status")) settle(rt);
  // An empty instanceArn models an organisation without Identity Center enabled.
  if (op === "ListInstances")
    return { Instances: state.instanceArn ? [{ InstanceArn: state.instanceArn, IdentityStoreId: state.identityStoreId, Status: "ACTIVE" }] : [] };
  if (str(input, "InstanceArn") !== state.instanceArn) fail("ResourceNotFoundException", `Instance ${String(input.InstanceArn)} does not exist`);
  const psOf = (arn: string) => {
    const ps = state.permissionSets.get(arn);
    if (!ps) fail("ResourceNotFoundException", `Could not find PermissionSet with ARN ${arn}`);
    return ps;
  };
  const startOp = (kind: PendingOp["kind"], apply: () => void, view: Record<string, unknown>): PendingOp => {
    const requestId = `${kind}-${String(++rt.counter).padStart(8, "0")}`;
    const pending: PendingOp = { kind, requestId, pollsLeft: rt.polls, status: "IN_PROGRESS", apply, view };
    rt.ops.set(requestId, pending);
    return pending;
  };
  const poll = (requestId: string, kind: PendingOp["kind"]): PendingOp => {
    const pending = rt.ops.get(requestId);
    if (!pending || pending.kind !== kind) fail("ResourceNotFoundException", `Request ${requestId} does not exist`);
    if (pending.status === "IN_PROGRESS" && --pending.pollsLeft <= 0) complete(rt, pending);
    return pending;
  };

  switch (op) {
    case "CreatePermissionSet": {
      const name = str(input, "Name");
      if (!PS_NAME.test(name))
        fail(
          "ValidationException",
          `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32 and satisfy regular expression pattern: [\\w+=,.@-]+`,
        );
      const duration = typeof input.SessionDuration === "string" ? input.SessionDuration : "PT1H";
      const s = seconds(duration);
      if (s === undefined || s < 3600 || s > 12 * 3600)
        fail("ValidationException", `SessionDuration ${duration} must be an ISO-8601 duration between PT1H and PT12H`);
      const tags = checkTags(input.Tags);
      for (const ps of state.permissionSets.values()) if (ps.name === name) fail("ConflictException", `PermissionSet with name ${name} already exists.`);
      if (state.permissionSets.size >= MAX_PERMISSION_SETS) fail("ServiceQuotaExceededException", "The number of permission sets exceeds the quota");
      const suffix = String(++rt.counter).padStart(16, "0");
      const arn = `${state.instanceArn.replace(":instance/", ":permissionSet/")}/ps-${suffix}`;
      state.permissionSets.set(arn, {
        name,
        arn,
        ...(typeof input.Description === "string" ? { description: input.Description } : {}),
        sessionDuration: duration,
        inlinePolicy: "",
        tags,
        provisionedTo: new Set(),
      });
      return { PermissionSet: { Name: name, PermissionSetArn: arn, SessionDuration: duration, CreatedDate: new Date(0) } };
    }
    case "DescribePermissionSet": {
      const ps = psOf(str(input, "PermissionSetArn"));
      return {
        PermissionSet: { Name: ps.name, PermissionSetArn: ps.arn, SessionDuration: ps.sessionDuration, Description: ps.description, CreatedDate: new Date(0) },
      };
    }
    case "ListPermissionSets": {
      const { items, NextToken } = page([...state.permissionSets.keys()], input);
      return { PermissionSets: items, ...(NextToken ? { NextToken } : {}) };
    }
    case "TagResource": {
      const ps = psOf(str(input, "ResourceArn"));
      for (const t of Array.isArray(input.Tags) ? (input.Tags as Array<{ Key: string; Value: string }>) : []) {
        const have = ps.tags.find((x) => x.Key === t.Key);
        if (have) have.Value = t.Value;
        else ps.tags.push({ Key: t.Key, Value: t.Value });
      }
      return {};
    }
    case "ListTagsForResource": {
      const ps = psOf(str(input, "ResourceArn"));
      return { Tags: ps.tags.map((t) => ({ ...t })) };
    }
    case "PutInlinePolicyToPermissionSet": {
      const ps = psOf(str(input, "PermissionSetArn"));
      const doc = str(input, "InlinePolicy");
      checkInline(doc);
      ps.inlinePolicy = doc;
      return {};
    }
    case "ListManagedPoliciesInPermissionSet":
      return {
        AttachedManagedPolicies: (psOf(str(input, "PermissionSetArn")).managedPolicies ?? []).map((Arn) => ({ Arn, Name: Arn.split("/").pop() })),
      };
    case "GetInlinePolicyForPermissionSet":
      return { InlinePolicy: psOf(str(input, "PermissionSetArn")).inlinePolicy };
    case "DeleteInlinePolicyFromPermissionSet":
      psOf(str(input, "PermissionSetArn")).inlinePolicy = "";
      return {};
    case "ProvisionPermissionSet": {
      const ps = psOf(str(input, "PermissionSetArn"));
      const targetType = str(input, "TargetType");
      const account = targetType === "AWS_ACCOUNT" ? str(input, "TargetId") : "";
      if (targetType === "AWS_ACCOUNT" && !/^\d{12}$/.test(account)) fail("ValidationException", `TargetId ${account} is not an account id`);
      const pending = startOp("provision", () => void ps.provisionedTo.add(account), { AccountId: account, PermissionSetArn: ps.arn });
      return { PermissionSetProvisioningStatus: statusView(pending) };
    }
    case "DescribePermissionSetProvisioningStatus":
      return { PermissionSetProvisioningStatus: statusView(poll(str(input, "ProvisionPermissionSetRequestId"), "provision")) };
    case "CreateAccountAssignment":
    case "DeleteAccountAssignment": {
      const ps = psOf(str(input, "PermissionSetArn"));
      if (str(input, "TargetType") !== "AWS_ACCOUNT") fail("ValidationException", "TargetType must be AWS_ACCOUNT");
      const accountId = str(input, "TargetId");
      if (!/^\d{12}$/.test(accountId)) fail("ValidationException", `TargetId ${accountId} is not an account id`);
      const principalType = str(input, "PrincipalType");
      if (principalType !== "USER" && principalType !== "GROUP") fail("ValidationException", "PrincipalType must be USER or GROUP");
      const principalId = str(input, "PrincipalId");
      const a: Assignment = { accountId, permissionSetArn: ps.arn, principalType, principalId };
      const view = { TargetId: accountId, TargetType: "AWS_ACCOUNT", PermissionSetArn: ps.arn, PrincipalType: principalType, PrincipalId: principalId };
      if (op === "CreateAccountAssignment") {
        if (principalType === "USER" && ![...state.users.values()].includes(principalId))
          fail("ResourceNotFoundException", `Principal ${principalId} does not exist in the identity store`);
        const inFlight = [...rt.ops.values()].filter((o) => o.kind === "create-assignment" && o.status === "IN_PROGRESS").length;
        if (inFlight >= MAX_PENDING_CREATIONS) fail("ThrottlingException", "Too many account assignment creations in progress");
        const pending = startOp(
          "create-assignment",
          () => {
            state.assignments.set(assignmentKey(a), a);
            ps.provisionedTo.add(accountId);
          },
          view,
        );
        return { AccountAssignmentCreationStatus: statusView(pending) };
      }
      if (!state.assignments.has(assignmentKey(a)))
        fail("ResourceNotFoundException", `Account assignment for ${principalId} with ${ps.arn} in ${accountId} does not exist`);
      const pending = startOp("delete-assignment", () => void state.assignments.delete(assignmentKey(a)), view);
      return { AccountAssignmentDeletionStatus: statusView(pending) };
    }
    case "DescribeAccountAssignmentCreationStatus":
      return { AccountAssignmentCreationStatus: statusView(poll(str(input, "AccountAssignmentCreationRequestId"), "create-assignment")) };
    case "DescribeAccountAssignmentDeletionStatus":
      return { AccountAssignmentDeletionStatus: statusView(poll(str(input, "AccountAssignmentDeletionRequestId"), "delete-assignment")) };
    case "ListAccountAssignments": {
      const accountId = str(input, "AccountId");
      const psArn = str(input, "PermissionSetArn");
      psOf(psArn);
      const all = [...state.assignments.values()]
        .filter((a) => a.accountId === accountId && a.permissionSetArn === psArn)
        .map((a) => ({ AccountId: a.accountId, PermissionSetArn: a.permissionSetArn, PrincipalType: a.principalType, PrincipalId: a.principalId }));
      const { items, NextToken } = page(all, input);
      return { AccountAssignments: items, ...(NextToken ? { NextToken } : {}) };
    }
    case "ListAccountsForProvisionedPermissionSet": {
      const ps = psOf(str(input, "PermissionSetArn"));
      return { AccountIds: [...ps.provisionedTo] };
    }
    case "ListPermissionSetsProvisionedToAccount": {
      const accountId = str(input, "AccountId");
      return { PermissionSets: [...state.permissionSets.values()].filter((p) => p.provisionedTo.has(accountId)).map((p) => p.arn) };
    }
    case "DeletePermissionSet": {
      const ps = psOf(str(input, "PermissionSetArn"));
      if ([...state.assignments.values()].some((a) => a.permissionSetArn === ps.arn)) {
        fail("ConflictException", `PermissionSet ${ps.arn} has account assignments; delete them first`);
      }
      state.permissionSets.delete(ps.arn);
      return {};
    }
    default:
      return fail("UnknownOperationException", `The fake SSO admin does not implement ${op}`);
  }
}

export function handleIdentityStore(state: SsoState, op: string, input: Input): Record<string, unknown> {
  if (op !== "GetUserId" && op !== "ListUsers") fail("UnknownOperationException", `The fake identity store does not implement ${op}`);
  if (input.IdentityStoreId !== state.identityStoreId) fail("ResourceNotFoundException", `Identity store ${String(input.IdentityStoreId)} does not exist`);
  if (op === "ListUsers") {
    const max = typeof input.MaxResults === "number" ? input.MaxResults : 100;
    if (input.Filters !== undefined) fail("ValidationException", "The fake identity store does not implement the deprecated ListUsers Filters");
    // Pages, as AWS does: NextToken is the index of the next user.
    const start = typeof input.NextToken === "string" ? Number(input.NextToken) : 0;
    if (!Number.isInteger(start) || start < 0) fail("ValidationException", `Invalid NextToken ${String(input.NextToken)}`);
    const all = [...state.users];
    const page = all.slice(start, start + max).map(([UserName, UserId]) => ({
      UserName,
      UserId,
      IdentityStoreId: state.identityStoreId,
      ...(state.emails?.get(UserName) ? { Emails: state.emails.get(UserName)!.map((Value) => ({ Value, Type: "work" })) } : {}),
    }));
    return { Users: page, ...(start + max < all.length ? { NextToken: String(start + max) } : {}) };
  }
  const alt = input.AlternateIdentifier as { UniqueAttribute?: { AttributePath?: string; AttributeValue?: unknown } } | undefined;
  const path = alt?.UniqueAttribute?.AttributePath;
  if (path?.toLowerCase() !== "username") fail("ValidationException", `Unsupported attribute path ${String(path)}`);
  const value = alt?.UniqueAttribute?.AttributeValue;
  const id = typeof value === "string" ? state.users.get(value) : undefined;
  if (!id) fail("ResourceNotFoundException", `USER not found`);
  return { IdentityStoreId: state.identityStoreId, UserId: id };
}
