// The EventBridge Scheduler schedules that end a grant at expiry: their inputs, their names, and
// when an existing schedule already does what is wanted. Pure.
import type { AwsMode, Config } from "../domain/types.js";
import { atExpression, DELETE_POLICY_DELAY_MS } from "./expiry.js";
import { SCHEDULE_GROUP, scheduleName } from "./naming.js";
import { sameJson } from "./policy-text.js";

/** What the revoke schedule does when it fires. */
export type RevokeAction =
  | { kind: "iam-detach"; principal: { kind: "iam_user" | "iam_role"; name: string }; policyArn: string; bundle?: boolean }
  | { kind: "sso-delete-assignment"; instanceArn: string; accountId: string; permissionSetArn: string; principalId: string; bundle?: boolean };

/**
 * How a bundle grant's revocation schedule is described (after "jit-access <id>: "): a reconcile
 * reads its target back as the attachment or assignment to remove (bundles.ts bundleOfSchedule).
 */
export const BUNDLE_SCHEDULE_NOTE = "remove its catalogue";

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
  /** The account whose revoke schedule this is, when it is not the request's first account (scheduleName). */
  scheduleAccount?: string;
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
    const input = isUser ? { UserName: action.principal.name, PolicyArn: action.policyArn } : { RoleName: action.principal.name, PolicyArn: action.policyArn };
    const deleteAt = new Date(Date.parse(expiresAt) + DELETE_POLICY_DELAY_MS).toISOString();
    // A catalogue policy is not jit-access's: it is detached at expiry and never deleted.
    if (action.bundle)
      return [
        {
          ...common,
          Name: scheduleName(requestId, "revoke"),
          ScheduleExpression: atExpression(expiresAt),
          Description: `jit-access ${requestId}: ${BUNDLE_SCHEDULE_NOTE} attachment at expiry`,
          Target: {
            Arn: universalTargetArn(partition, "iam", isUser ? "detachUserPolicy" : "detachRolePolicy"),
            RoleArn: roleArn,
            Input: JSON.stringify(input),
          },
        },
      ];
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
      Name: scheduleName(requestId, "revoke", args.scheduleAccount),
      ScheduleExpression: atExpression(expiresAt),
      Description: action.bundle
        ? `jit-access ${requestId}: ${BUNDLE_SCHEDULE_NOTE} assignment at expiry`
        : `jit-access ${requestId}: delete its account assignment at expiry`,
      Target: { Arn: universalTargetArn(partition, "ssoadmin", "deleteAccountAssignment"), RoleArn: roleArn, Input: JSON.stringify(input) },
    },
  ];
}

/**
 * Every schedule name a grant of this mode may have created (for revoke and the sweep): in
 * identity-center mode also the revoke schedule of each of `accountIds` (a grant in several accounts).
 */
export function scheduleNames(requestId: string, mode: AwsMode, accountIds: readonly string[] = []): string[] {
  return mode === "iam"
    ? [scheduleName(requestId, "revoke"), scheduleName(requestId, "delete-policy")]
    : [scheduleName(requestId, "revoke"), ...accountIds.map((a) => scheduleName(requestId, "revoke", a))];
}

/** Two schedules are the same when everything they would do is the same. */
export function sameSchedule(
  want: ScheduleInput,
  have: {
    ScheduleExpression?: string | undefined;
    ScheduleExpressionTimezone?: string | undefined;
    Target?: { Arn?: string | undefined; RoleArn?: string | undefined; Input?: string | undefined } | undefined;
  },
): boolean {
  return (
    have.ScheduleExpression === want.ScheduleExpression &&
    (have.ScheduleExpressionTimezone ?? "UTC") === want.ScheduleExpressionTimezone &&
    have.Target?.Arn === want.Target.Arn &&
    have.Target?.RoleArn === want.Target.RoleArn &&
    sameJson(have.Target?.Input ?? "", want.Target.Input)
  );
}
