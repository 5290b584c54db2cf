// The fake's durable state: what a real account would still hold after the calls. Plain Maps and
// objects, so that a snapshot is structuredClone and "unchanged" is a deep equality.

export interface PolicyVersion {
  document: string;
  isDefault: boolean;
}

export interface ManagedPolicy {
  name: string;
  path: string;
  arn: string;
  id: string;
  description: string;
  tags: Array<{ Key: string; Value: string }>;
  versions: Map<string, PolicyVersion>;
  nextVersion: number;
}

export interface IamEntity {
  name: string;
  /** ARNs of attached managed policies (AWS managed ones count towards the quota too). */
  attached: string[];
  inline: Map<string, string>;
  /** Roles: the trust policy (JSON); GetRole answers it URL-encoded, as IAM does. */
  trust?: string;
  /** IAM path; "/" when absent. */
  path?: string;
  tags?: Array<{ Key: string; Value: string }>;
  /** Users: access key ids and whether a console password exists (made out of band in tests). */
  accessKeys?: string[];
  loginProfile?: boolean;
}

export interface IamState {
  users: Map<string, IamEntity>;
  roles: Map<string, IamEntity>;
  groups: Map<string, IamEntity>;
  policies: Map<string, ManagedPolicy>;
  quotas: { policiesPerUser: number; policiesPerRole: number };
}

export interface Schedule {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  ActionAfterCompletion: string;
  State: string;
  Description?: string;
  Target: { Arn: string; RoleArn: string; Input?: string };
  ClientToken?: string;
}

export interface SchedulerState {
  groups: Set<string>;
  schedules: Map<string, Schedule>;
}

export interface AccountState {
  iam: IamState;
  scheduler: SchedulerState;
}

export interface PermissionSet {
  name: string;
  arn: string;
  description?: string;
  sessionDuration: string;
  inlinePolicy: string;
  tags: Array<{ Key: string; Value: string }>;
  provisionedTo: Set<string>;
  /** ARNs of the AWS managed policies attached (AttachManagedPolicyToPermissionSet). */
  managedPolicies?: string[];
}

export interface Assignment {
  accountId: string;
  permissionSetArn: string;
  principalType: "USER" | "GROUP";
  principalId: string;
}

export interface SsoState {
  instanceArn: string;
  identityStoreId: string;
  permissionSets: Map<string, PermissionSet>;
  /** key: `${accountId}|${permissionSetArn}|${principalType}|${principalId}` */
  assignments: Map<string, Assignment>;
  /** userName → UserId */
  users: Map<string, string>;
  /** UserName → its e-mail addresses (ListUsers returns them as Emails). */
  emails?: Map<string, string[]>;
}

export function assignmentKey(a: Assignment): string {
  return `${a.accountId}|${a.permissionSetArn}|${a.principalType}|${a.principalId}`;
}

export function emptyAccount(): AccountState {
  return {
    iam: { users: new Map(), roles: new Map(), groups: new Map(), policies: new Map(), quotas: { policiesPerUser: 10, policiesPerRole: 10 } },
    scheduler: { groups: new Set(), schedules: new Map() },
  };
}

export interface FakeState {
  accounts: Map<string, AccountState>;
  sso: SsoState;
}
