// The domain model. schemas/*.schema.json define the file formats; these types are kept in step
// with them (test/schema-types.test.ts fails when a property is added to one and not the other).

export type AccessLevel = "read" | "list" | "write" | "tagging" | "permissions-management";
export const ACCESS_LEVELS: readonly AccessLevel[] = ["read", "list", "write", "tagging", "permissions-management"];

/** `scheduled`: approved with a later start (`starts_at`); nothing is attached until the sweep starts it. */
export type RequestStatus = "proposed" | "scheduled" | "active" | "expired" | "revoked" | "rejected" | "failed";

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
    /** A grant in several accounts: every account's part, the first also in the fields above. */
    accounts?: GrantAccountRecord[];
  };
  /** The approved extensions that moved expires_at, oldest first (written by the app). */
  extensions?: GrantExtension[];
  /** Set when a configured rule approved the grant instead of people (see auto_approve in the config). */
  auto_approval?: AutoApprovalRecord;
  /** Set when the requester approved their own request through break-glass. */
  break_glass?: BreakGlassRecord;
}

/** One account's part of a grant in several accounts (`grant.aws.accounts[]`). */
export interface GrantAccountRecord {
  account_id: string;
  resources?: string[];
  schedule?: string;
}

/** Which auto_approve rule approved a grant, at which config, on which facts. */
export interface AutoApprovalRecord {
  rule: string;
  /** The blob sha of .github/jit-access.yml on the default branch the rule was read from. */
  config_sha: string;
  /** The facts the rule matched, e.g. risk, account, requester, team. */
  matched: Record<string, string>;
  /** The requester's grants by this rule counted against its caps, this one included. */
  counted?: { day: number; week: number };
}

/** A break-glass self-approval: who, for which incident, why. */
export interface BreakGlassRecord {
  by: string;
  incident: string;
  reason: string;
  at: string;
}

/** One approved extension of a grant, as the original request's record keeps it. */
export interface GrantExtension {
  /** The extension request's id. */
  id: string;
  pr?: number;
  approved_by: string[];
  merge_commit: string;
  at: string;
  previous_expires_at: string;
  expires_at: string;
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
  /** Several accounts in one request (aliases, ids, aws.account_groups names); `account` is one of them. */
  accounts?: string[];
  principal?: string;
  duration: string;
  reason: string;
  request: RequestItem[];
  /** The catalogue entry picked; `request` then holds what the entry grants (see domain/access-catalogue.ts). */
  catalogue?: string;
  description?: string;
  policy?: PolicyDocument;
  generator?: string;
  /** Fields of `request` proposed from the description, not typed (a request asked for in words). */
  proposed?: ProposedFields;
  status?: RequestStatus;
  grant?: GrantRecord;
  closed?: ClosedRecord;
  activity?: ActivityRecord;
  /** An extension request: the id of the active request whose expiry it moves by `duration`. */
  extends?: string;
  /** A scheduled start (ISO date-time): approved at the merge, granted by the sweep once it has come (domain/scheduled-start.ts). */
  starts_at?: string;
  /** The approval of a request with a later start, as the merge recorded it (status scheduled, and kept once started). */
  scheduled?: ScheduledRecord;
}

/** What a merge approved for a later start: who, at which merge, and the window (written by the app). */
export interface ScheduledRecord {
  approved_by: string[];
  merge_commit: string;
  pr?: number;
  approved_at: string;
  starts_at: string;
  /** starts_at + duration: the grant never outlasts it, however late it starts. */
  expires_at: string;
  /** The risk tier the merge judged; a start that is judged riskier now is refused. */
  risk: RiskTier;
  auto_approval?: AutoApprovalRecord;
  break_glass?: BreakGlassRecord;
}

export type AwsMode = "iam" | "identity-center";

export type Principal = { iam_user: string } | { iam_role: string } | { sso_user: string };

export interface AccountEntry {
  id: string;
  role_arn?: string;
  /** Overrides the repository's `conditions:` block by block for grants in this account. */
  conditions?: ConditionsConfig;
  /** The longest grant in this account; the global max_duration applies too. */
  max_duration?: string;
  /** Who may request access here (logins, @org/team); absent: everyone. */
  eligible?: string[];
}

/** .github/jit-access.yml after defaults are applied. */
export interface Config {
  aws: {
    mode: AwsMode;
    region: string;
    partition: "aws" | "aws-cn" | "aws-us-gov";
    accounts: Record<string, string | AccountEntry>;
    /** Named sets of account aliases a request may name in `accounts:`. */
    account_groups?: Record<string, string[]>;
    allow_any_account: boolean;
    scheduler_role_arn?: string;
    identity_center?: { instance_arn: string; identity_store_id: string; map_logins?: LoginMapping };
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
  /** How long a proposed request may wait for approval (a duration; default 7d). */
  pending_ttl: string;
  /** The cap on a grant's whole chain of extensions (a duration); absent: max_duration. */
  max_total_duration?: string;
  /** Rules that approve a matching request without a human; empty: every request needs people. */
  auto_approve: AutoApproveRule[];
  /** Who may approve their own urgent request, for how long; absent: break-glass is off. */
  break_glass?: BreakGlassConfig;
  /** Conditions stamped into every grant (src/domain/conditions.ts, src/policy/grant-conditions.ts). */
  conditions?: ConditionsConfig;
  catalogue: Record<string, CatalogueEntry>;
}

/** One `auto_approve:` rule: every condition given must hold. */
export interface AutoApproveRule {
  name: string;
  /** Risk tiers it covers; never high. */
  risk: Array<"low" | "medium">;
  /** Account aliases or ids; absent: any account. */
  accounts?: string[];
  /** Requesters: GitHub logins or @org/team; absent: anyone. */
  requesters?: string[];
  /** Catalogue entries the request must name; absent: any. */
  catalogue?: string[];
  /** Grants by this rule per requester in any 24 hours / 7 days, counted from the records. */
  max_per_day?: number;
  max_per_week?: number;
}

/** `break_glass:` in the config. */
export interface BreakGlassConfig {
  /** GitHub logins that may approve their own request with /break-glass. */
  users: string[];
  /** The longest request break-glass approves, e.g. 1h. */
  max_duration: string;
  /** The environment variable holding the security channel's Slack webhook; absent: notifications.slack_webhook_env. */
  slack_webhook_env?: string;
}

/** `conditions:` in the config (and under an account): `false` or absent turns a block off. */
export interface ConditionsConfig {
  secure_transport?: boolean;
  source_ip?: string[] | false;
  source_vpc?: string[] | false;
  source_vpce?: string[] | false;
  mfa?: boolean;
  s3_encryption?: boolean | { kms_key_arn?: string };
  region?: string[] | false;
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

/** `proposed:` in a request file: which fields the description gave, and who read it. */
export interface ProposedFields {
  /** `builtin/extractor` or `gemini/<model>`. */
  by: string;
  /** Paths such as `request[0].service`. */
  fields: string[];
}

// --- Access catalogue (`catalogue:` in the config; checked by domain/access-catalogue.ts) -----

export type CatalogueKind = "permission_set" | "role" | "managed_policy" | "template";

/** A named bundle a requester picks instead of describing actions. */
export interface CatalogueEntry {
  kind: CatalogueKind;
  description: string;
  /** Aliases from aws.accounts. */
  accounts: string[];
  /** kind permission_set: an existing permission set's name or ARN. */
  permission_set?: string;
  /** kind role: an existing IAM role's name (with path) in each account. */
  role?: string;
  /** kind managed_policy: an AWS or customer managed policy ARN. */
  policy_arn?: string;
  /** kind template: request items with {account_id}, {region}, {partition} placeholders. */
  request?: RequestItem[];
  risk?: RiskTier;
  max_duration?: string;
  approvers?: string[];
  required_approvals?: number;
  eligible?: string[];
}

/** `aws.identity_center.map_logins`: how a GitHub login without a principals entry finds its identity-store user. */
export interface LoginMapping {
  attribute: "user_name" | "email";
  /** With {login}; defaults to "{login}". */
  format: string;
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
