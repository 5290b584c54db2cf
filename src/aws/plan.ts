// Pure decisions of the AWS adapter: what to create, with which parameters, and what to undo.
// The adapters (iam.ts, identity-center.ts, scheduler.ts) only carry these out.

import { resolveAccount, type ResolvedAccount } from "../domain/config.js";
import type { AccessRequest, AwsMode, Config, GrantRecord, PolicyDocument } from "../domain/types.js";
import { POLICY_LIMITS } from "../policy/limits.js";
import { accountOfArn, iamPolicyArn, SCHEDULE_GROUP, scheduleName } from "./naming.js";
import type { GrantResult, PrincipalRef, RevokeTarget } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Who and where

export type Resolved<T> = { ok: true; value: T } | { ok: false; message: string };

export function resolveTarget(config: Config, request: AccessRequest): Resolved<{ account: ResolvedAccount; principal: PrincipalRef }> {
  const account = resolveAccount(config, request.account);
  if (!account) return { ok: false, message: `account ${JSON.stringify(request.account)} is not configured under aws.accounts; nothing was granted` };
  const login = request.principal ?? request.requester;
  const entry = Object.hasOwn(config.principals, login) ? config.principals[login] : undefined;
  if (!entry) return { ok: false, message: `principals.${login} is not configured, so there is no AWS identity to grant to; nothing was granted` };
  const mode = config.aws.mode;
  if (mode === "iam") {
    if ("iam_user" in entry) return { ok: true, value: { account, principal: { kind: "iam_user", name: entry.iam_user } } };
    if ("iam_role" in entry) return { ok: true, value: { account, principal: { kind: "iam_role", name: entry.iam_role } } };
    return { ok: false, message: `principals.${login} is an sso_user but aws.mode is iam; nothing was granted` };
  }
  if ("sso_user" in entry) return { ok: true, value: { account, principal: { kind: "sso_user", name: entry.sso_user } } };
  return { ok: false, message: `principals.${login} must be an sso_user in identity-center mode; nothing was granted` };
}

export type SchedulePlacement = { ok: true; roleArn: string } | { ok: false; note: string };

/**
 * Whether Scheduler can revoke this grant. A universal target acts with the scheduler role's
 * credentials, in that role's account: in iam mode the role must live in the account whose
 * policy it detaches. In identity-center mode it calls the Identity Center instance, which the
 * app's own account administers.
 */
export function schedulePlacement(config: Config, mode: AwsMode, accountId: string): SchedulePlacement {
  const roleArn = config.aws.scheduler_role_arn;
  if (!roleArn) return { ok: false, note: "not scheduled: aws.scheduler_role_arn is not configured; the policy's time condition and the sweep end this grant" };
  if (mode === "iam" && accountOfArn(roleArn) !== accountId) {
    return { ok: false, note: `not scheduled: aws.scheduler_role_arn is in account ${accountOfArn(roleArn) ?? "?"}, not ${accountId}, so it cannot detach there; the policy's time condition and the sweep end this grant` };
  }
  return { ok: true, roleArn };
}

// ---------------------------------------------------------------------------------------------
// Time

const HOUR = 3_600_000;
export const MIN_SESSION_MS = HOUR;
export const MAX_SESSION_MS = 12 * HOUR;

/**
 * Identity Center session duration (ISO-8601, whole minutes): the remaining TTL rounded down,
 * kept within AWS's 1h..12h. Below 1h the session may outlive the grant; the policy's time
 * condition still ends the access at expiry.
 */
export function sessionDuration(nowMs: number, expiresAtMs: number): string {
  const remaining = Math.floor((expiresAtMs - nowMs) / 60_000) * 60_000;
  const ms = Math.min(MAX_SESSION_MS, Math.max(MIN_SESSION_MS, remaining));
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.round((ms - hours * HOUR) / 60_000);
  return `PT${hours}H${minutes ? `${minutes}M` : ""}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, rounded down: revocation never fires after the expiry. */
export function atExpression(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${JSON.stringify(iso)}`);
  return `at(${new Date(ms).toISOString().slice(0, 19)})`;
}

/** The iam-mode clean-up schedule deletes the policy this long after the detach. */
export const DELETE_POLICY_DELAY_MS = 10 * 60_000;

export function assertFutureExpiry(nowMs: number, expiresAt: string): number {
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw new Error(`expiresAt ${JSON.stringify(expiresAt)} is not a timestamp`);
  if (ms <= nowMs) throw new Error(`expiresAt ${expiresAt} is not in the future; nothing was granted`);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Schedules

/** What the revoke schedule does when it fires. */
export type RevokeAction =
  | { kind: "iam-detach"; principal: { kind: "iam_user" | "iam_role"; name: string }; policyArn: string }
  | { kind: "sso-delete-assignment"; instanceArn: string; accountId: string; permissionSetArn: string; principalId: string };

/** The CreateSchedule input, as sent (a subset of CreateScheduleCommandInput). */
export interface ScheduleInput {
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: "UTC";
  FlexibleTimeWindow: { Mode: "OFF" };
  ActionAfterCompletion: "DELETE";
  State: "ENABLED";
  Description: string;
  Target: { Arn: string; RoleArn: string; Input: string };
}

/** `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>` — a universal target calls one API. */
export function universalTargetArn(partition: Config["aws"]["partition"], service: string, action: string): string {
  return `arn:${partition}:scheduler:::aws-sdk:${service}:${action}`;
}

/**
 * The schedules of a grant: one that revokes at expiry and, in iam mode, one that deletes the
 * (then detached, single-version) policy a little later. Input keys are the API's own
 * PascalCase parameter names, which universal targets pass through unchanged.
 */
export function buildSchedules(args: {
  partition: Config["aws"]["partition"];
  requestId: string;
  expiresAt: string;
  roleArn: string;
  action: RevokeAction;
}): ScheduleInput[] {
  const { partition, requestId, expiresAt, roleArn, action } = args;
  const common = {
    GroupName: SCHEDULE_GROUP,
    ScheduleExpressionTimezone: "UTC" as const,
    FlexibleTimeWindow: { Mode: "OFF" as const },
    ActionAfterCompletion: "DELETE" as const,
    State: "ENABLED" as const,
  };
  if (action.kind === "iam-detach") {
    const isUser = action.principal.kind === "iam_user";
    const input = isUser
      ? { UserName: action.principal.name, PolicyArn: action.policyArn }
      : { RoleName: action.principal.name, PolicyArn: action.policyArn };
    const deleteAt = new Date(Date.parse(expiresAt) + DELETE_POLICY_DELAY_MS).toISOString();
    return [
      {
        ...common,
        Name: scheduleName(requestId, "revoke"),
        ScheduleExpression: atExpression(expiresAt),
        Description: `jit-access ${requestId}: detach its policy at expiry`,
        Target: { Arn: universalTargetArn(partition, "iam", isUser ? "detachUserPolicy" : "detachRolePolicy"), RoleArn: roleArn, Input: JSON.stringify(input) },
      },
      {
        ...common,
        Name: scheduleName(requestId, "delete-policy"),
        ScheduleExpression: atExpression(deleteAt),
        Description: `jit-access ${requestId}: delete its detached policy`,
        Target: { Arn: universalTargetArn(partition, "iam", "deletePolicy"), RoleArn: roleArn, Input: JSON.stringify({ PolicyArn: action.policyArn }) },
      },
    ];
  }
  const input = {
    InstanceArn: action.instanceArn,
    TargetId: action.accountId,
    TargetType: "AWS_ACCOUNT",
    PermissionSetArn: action.permissionSetArn,
    PrincipalType: "USER",
    PrincipalId: action.principalId,
  };
  return [
    {
      ...common,
      Name: scheduleName(requestId, "revoke"),
      ScheduleExpression: atExpression(expiresAt),
      Description: `jit-access ${requestId}: delete its account assignment at expiry`,
      Target: { Arn: universalTargetArn(partition, "ssoadmin", "deleteAccountAssignment"), RoleArn: roleArn, Input: JSON.stringify(input) },
    },
  ];
}

/** Every schedule name a grant of this mode may have created (for revoke and the sweep). */
export function scheduleNames(requestId: string, mode: AwsMode): string[] {
  return mode === "iam" ? [scheduleName(requestId, "revoke"), scheduleName(requestId, "delete-policy")] : [scheduleName(requestId, "revoke")];
}

/** Two schedules are the same when everything they would do is the same. */
export function sameSchedule(
  want: ScheduleInput,
  have: { ScheduleExpression?: string | undefined; ScheduleExpressionTimezone?: string | undefined; Target?: { Arn?: string | undefined; RoleArn?: string | undefined; Input?: string | undefined } | undefined },
): boolean {
  return (
    have.ScheduleExpression === want.ScheduleExpression &&
    (have.ScheduleExpressionTimezone ?? "UTC") === want.ScheduleExpressionTimezone &&
    have.Target?.Arn === want.Target.Arn &&
    have.Target?.RoleArn === want.Target.RoleArn &&
    sameJson(have.Target?.Input ?? "", want.Target.Input)
  );
}

// ---------------------------------------------------------------------------------------------
// Policy documents

// The quotas are defined once, in src/policy/limits.ts.
export const MANAGED_POLICY_MAX_CHARS = POLICY_LIMITS.iamManagedPolicyChars;
export const PERMISSION_SET_INLINE_MAX_CHARS = POLICY_LIMITS.identityCenterInlineChars;
export const PERMISSION_SET_INLINE_MAX_BYTES = POLICY_LIMITS.identityCenterInlineBytes;

export function nonWhitespaceLength(text: string): number {
  return text.replace(/\s/g, "").length;
}

/** A problem with the document's size for this mode, or undefined when it fits. */
export function policySizeProblem(document: string, mode: AwsMode): string | undefined {
  const chars = nonWhitespaceLength(document);
  if (mode === "iam" && chars > MANAGED_POLICY_MAX_CHARS) {
    return `the stamped policy has ${chars} characters without whitespace; IAM allows ${MANAGED_POLICY_MAX_CHARS} per managed policy — narrow the request or split it`;
  }
  if (mode === "identity-center") {
    if (chars > PERMISSION_SET_INLINE_MAX_CHARS) return `the stamped policy has ${chars} characters without whitespace; a permission set's inline policy allows ${PERMISSION_SET_INLINE_MAX_CHARS} — narrow the request or split it`;
    const bytes = Buffer.byteLength(document, "utf8");
    if (bytes > PERMISSION_SET_INLINE_MAX_BYTES) return `the stamped policy is ${bytes} bytes; a permission set's inline policy allows ${PERMISSION_SET_INLINE_MAX_BYTES}`;
  }
  return undefined;
}

/** JSON texts equal as values (key order and whitespace ignored); false when either is not JSON. */
export function sameJson(a: string, b: string): boolean {
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Compact JSON: what we attach, and what size limits count. */
export function policyText(policy: PolicyDocument): string {
  return JSON.stringify(policy);
}

// ---------------------------------------------------------------------------------------------
// Errors worth a clear message

export function attachQuotaMessage(principal: PrincipalRef, accountId: string, awsMessage: string): string {
  const what = principal.kind === "iam_role" ? "role" : "user";
  const quota = principal.kind === "iam_role" ? "Managed policies per role" : "Managed policies per user";
  return (
    `IAM ${what} ${principal.name} in account ${accountId} already has the maximum number of managed policies attached ` +
    `(IAM quota "${quota}", default 10, adjustable up to 20; AWS said: ${awsMessage}). Nothing was attached. ` +
    `Fix: raise the quota in Service Quotas (IAM → "${quota}"), detach a policy from the ${what}, or switch to aws.mode: identity-center.`
  );
}

// ---------------------------------------------------------------------------------------------
// What revoke may touch

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
}

/**
 * What a revoke of `target` may touch, decided before any AWS call: only the names a grant of
 * this request creates. A record is text anyone with write access can change; a revoke that
 * deleted whatever it names would delete any policy the app can reach. Anything else is refused
 * with the name, what would be accepted, and the fix. (The AWS-side tag check follows in the
 * adapter: a right name is not enough.)
 */
export function ownedTarget(config: Config, target: RevokeTarget, accountId: string): Resolved<OwnedTarget> {
  const id = target.requestId;
  const refuse = (what: string, value: string, expected: string): Resolved<OwnedTarget> => ({
    ok: false,
    message:
      `refusing to revoke ${id}: the record names ${what} ${JSON.stringify(value)}, which jit-access did not create for this request ` +
      `(it removes only ${expected}); nothing was removed — correct grant.aws in the record, and remove that resource by hand if it really must go`,
  });
  const resources = target.resources ?? [];
  const out: OwnedTarget = { schedules: [] };
  if (target.mode === "iam") {
    const expected = iamPolicyArn(config.aws.partition, accountId, id);
    for (const r of resources) if (r !== expected) return refuse("the resource", r, expected);
    out.policyArn = expected;
  } else {
    const instance = config.aws.identity_center?.instance_arn.split("/")[1];
    const expected = `a permission set arn:${config.aws.partition}:sso:::permissionSet/${instance ?? "<instance>"}/ps-… named jit-${id}`;
    if (resources.length > 1) return refuse("more than one resource:", resources.join(" "), expected);
    for (const r of resources) {
      const m = PERMISSION_SET_ARN.exec(r);
      if (!m || m[1] !== config.aws.partition || m[2] !== instance) return refuse("the resource", r, expected);
      out.permissionSetArn = r;
    }
  }
  const allowed = scheduleNames(id, target.mode);
  for (const name of target.schedules ?? []) if (!allowed.includes(name)) return refuse("the schedule", `${SCHEDULE_GROUP}/${name}`, allowed.map((n) => `${SCHEDULE_GROUP}/${n}`).join(" and "));
  out.schedules = target.schedules?.length ? [...target.schedules] : allowed;
  return { ok: true, value: out };
}

// ---------------------------------------------------------------------------------------------
// Rollback

/** A step of a grant, as the journal records it. */
export type Step =
  | { kind: "iam-policy"; arn: string }
  | { kind: "iam-attachment"; policyArn: string; principal: { kind: "iam_user" | "iam_role"; name: string } }
  | { kind: "schedule"; name: string }
  | { kind: "permission-set"; name: string; arn?: string }
  | { kind: "assignment"; permissionSetArn: string; accountId: string; principalId: string };

/**
 * created: this call made it; existed: it was there before; none: the step made nothing (a
 * definite refusal); unknown: the call failed midway and may or may not have made it.
 */
export type Outcome = "created" | "existed" | "none" | "unknown";

export interface JournalEntry {
  step: Step;
  outcome: Outcome;
}

/**
 * What to undo after a failed grant, in reverse order: whatever this call created or may have
 * created. What existed before is left alone — it may belong to an earlier, recorded grant of
 * the same request, and taking it away would turn a retried grant into a revoke.
 */
export function planRollback(journal: readonly JournalEntry[]): Step[] {
  return journal.filter((e) => e.outcome === "created" || e.outcome === "unknown").map((e) => e.step).reverse();
}

// ---------------------------------------------------------------------------------------------
// The request file

/** The request file's `grant.aws`, from a grant's result. */
export function storedAws(result: GrantResult): NonNullable<GrantRecord["aws"]> {
  const schedule = result.schedules.length ? result.schedules.map((n) => `${SCHEDULE_GROUP}/${n}`).join(" ") : (result.scheduleNote ?? "not scheduled");
  return { mode: result.mode, account_id: result.accountId, resources: [...result.resources], schedule };
}

/** What revoke needs, from a request file (id + grant.aws). */
export function revokeTargetOf(requestId: string, aws: NonNullable<GrantRecord["aws"]>, fallbackMode: AwsMode): RevokeTarget {
  if (!aws.account_id) throw new Error(`request ${requestId}: grant.aws.account_id is missing; cannot tell which account to revoke in`);
  const schedules = aws.schedule?.startsWith(`${SCHEDULE_GROUP}/`)
    ? aws.schedule.split(" ").map((s) => s.slice(SCHEDULE_GROUP.length + 1))
    : undefined;
  return {
    requestId,
    mode: aws.mode ?? fallbackMode,
    accountId: aws.account_id,
    ...(aws.resources ? { resources: [...aws.resources] } : {}),
    ...(schedules ? { schedules } : {}),
  };
}
