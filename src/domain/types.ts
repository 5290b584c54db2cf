// The domain model. schemas/*.schema.json define the file formats; these types are kept in step
// with them (test/schema-types.test.ts fails when a property is added to one and not the other).

export type AccessLevel = "read" | "list" | "write" | "tagging" | "permissions-management";
export const ACCESS_LEVELS: readonly AccessLevel[] = ["read", "list", "write", "tagging", "permissions-management"];

export type RequestStatus = "proposed" | "active" | "expired" | "revoked" | "rejected" | "failed";

export interface RequestItem {
  service: string;
  access?: AccessLevel[];
  resources: string[];
  actions?: string[];
}

export type Condition = Record<string, Record<string, string | boolean | number | Array<string | boolean | number>>>;

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Condition;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Id?: string;
  Statement: Statement[];
}

export interface GrantRecord {
  approved_by: string[];
  merge_commit: string;
  pr?: number;
  granted_at: string;
  expires_at: string;
  aws?: {
    mode?: "iam" | "identity-center";
    account_id?: string;
    resources?: string[];
    schedule?: string;
  };
}

export interface ClosedRecord {
  at: string;
  reason: string;
  by?: string;
  /** The stable code of what closed it (a ProblemCode for refusals), read by the report. */
  code?: string;
}

/** A request file as stored under access-requests/. */
export interface AccessRequest {
  version: 1;
  id: string;
  requester: string;
  account: string;
  principal?: string;
  duration: string;
  reason: string;
  request: RequestItem[];
  description?: string;
  policy?: PolicyDocument;
  generator?: string;
  status?: RequestStatus;
  grant?: GrantRecord;
  closed?: ClosedRecord;
  activity?: ActivityRecord;
}

export type AwsMode = "iam" | "identity-center";

export type Principal = { iam_user: string } | { iam_role: string } | { sso_user: string };

export interface AccountEntry {
  id: string;
  role_arn?: string;
}

/** .github/jit-access.yml after defaults are applied. */
export interface Config {
  aws: {
    mode: AwsMode;
    region: string;
    partition: "aws" | "aws-cn" | "aws-us-gov";
    accounts: Record<string, string | AccountEntry>;
    allow_any_account: boolean;
    scheduler_role_arn?: string;
    identity_center?: { instance_arn: string; identity_store_id: string };
  };
  principals: Record<string, Principal>;
  approvers: string[];
  required_approvals: { low: number; medium: number; high: number };
  allowed_services: string[];
  denied_actions: string[];
  allowed_dangerous_actions: string[];
  default_duration: string;
  max_duration: string;
  ai: { provider: "builtin" | "gemini"; model: string; timeout_seconds: number };
  notifications: { slack_webhook_env?: string };
  activity: ActivityConfig;
  identities: IdentitiesConfig;
}

export type RiskTier = "low" | "medium" | "high";

/** One thing wrong with an input, said so a person can fix it. */
export interface Problem {
  /**
   * Stable, machine-readable: `<area>.<rule>` (see src/domain/problems.ts). Tests, the report and
   * record commits use the code; the message is for people and may be reworded.
   */
  code: ProblemCode;
  /** Field path in the input, e.g. `request[0].duration`; "" for the whole input. */
  path: string;
  /** What is wrong, naming the value, and how to fix it. */
  message: string;
}

/** `<area>.<rule>`, lower-case kebab parts: `approval.self`, `guardrail.dangerous-action`. */
export type ProblemCode = `${ProblemArea}.${string}`;

export type ProblemArea =
  "yaml" | "schema" | "config" | "request" | "form" | "guardrail" | "draft" | "approval" | "merge" | "record" | "aws" | "github" | "cli" | "identity";

// --- Activity during a grant (CloudTrail Event history, summarised at close-out) -------------

/** `activity:` in the config. */
export interface ActivityConfig {
  enabled: boolean;
  /** A duration (5m, 1h) or "0": added before granted_at and after closed.at. */
  lookback_padding: string;
}

/** `activity:` in a request file: the compact summary src/policy/activity.ts computes. */
export interface ActivityRecord {
  status: "summarised" | "unavailable" | "beyond-horizon";
  /** Why there is no summary (a ProblemCode). */
  code?: string;
  looked_up_at: string;
  window?: { from: string; to: string };
  truncated?: "max-events" | "max-sessions" | "horizon" | "time-limit";
  total?: number;
  denied_total?: number;
  /** Calls per service prefix. */
  services?: Record<string, number>;
  denied?: Array<{ at: string; action: string; error: string; resource?: string }>;
  used?: string[];
  unused?: string[];
  unused_total?: number;
  /** Always false: Event history has management events only (no S3 GetObject and the like). */
  data_events_visible: false;
}

// --- Identities as code (identities/*.yaml, src/domain/identities.ts) --------------------------

/** `identities:` in the config. */
export interface IdentitiesConfig {
  enabled: boolean;
  /** Alias or id of the account where IAM users and roles are created. */
  account?: string;
  /** The IAM path of every user and role jit-access creates. */
  path: string;
  /** Policy names an identity may have as a baseline. */
  allowed_policies: string[];
  onboarding: { channel: "ses" | "slack" | "none"; sender?: string; region?: string; sign_in_url?: string };
}
