// The AWS adapter's contract: what a grant creates, what revoke needs, what listManaged reports.

import type { ActualIdentity, DesiredIdentity, IdentityKind, IdentityUpdate } from "../domain/identities-plan.js";
import type { AccessRequest, AwsMode, PolicyDocument } from "../domain/types.js";

export type PrincipalRef =
  | { kind: "iam_user"; name: string }
  | { kind: "iam_role"; name: string }
  /** `id` is the identity store UserId, looked up at grant time. */
  | {
      kind: "sso_user";
      name: string;
      id?: string;
      /** Set when the user was not configured under principals but mapped from the login (aws.identity_center.map_logins): `name` is the value to match. */
      match?: "user_name" | "email";
    };

/** Everything revoke needs; a GrantResult is one, and so is what the request file stores. */
export interface RevokeTarget {
  requestId: string;
  mode: AwsMode;
  accountId: string;
  /** Policy or permission set ARNs. Optional: names are derived from the request id anyway. */
  resources?: string[];
  /** Schedule names in the jit-access group; derived from the request id when absent. */
  schedules?: string[];
}

/** The result of a grant: the file's `grant.aws` plus what the audit and sweep want to know. */
export interface GrantResult extends RevokeTarget {
  resources: string[];
  schedules: string[];
  principal: PrincipalRef;
  /** Why there is no schedule (Scheduler not configured or not usable for this account). */
  scheduleNote?: string;
  grantedAt: string;
  expiresAt: string;
  instanceArn?: string;
  /** false when everything already existed exactly so (a repeated grant). */
  changed: boolean;
  /** A grant in several accounts (lifecycle/grant-accounts.ts): each account's own result, this one's account first. */
  accounts?: GrantResult[];
}

export interface RevokeResult {
  requestId: string;
  /** What was removed now (ARNs, `attachment:<principal>`, `schedule:<name>`); empty on a rerun. */
  removed: string[];
  /** true when nothing was left to remove. */
  alreadyGone: boolean;
}

export interface ManagedResource {
  kind: "iam-policy" | "permission-set" | "schedule";
  arn: string;
  name: string;
  /** Account the resource lives in (for permission sets: the accounts it is provisioned to). */
  accountIds: string[];
  requestId?: string;
  expiresAt?: string;
  pr?: string;
  /** IAM: how many principals the policy is attached to. */
  attachments?: number;
}

export interface GrantMeta {
  prUrl?: string;
  /**
   * A request granted in several accounts: every account's part, the first account first (each
   * grant call is one of them). Identity-center mode grants one permission set for all of them,
   * whose policy keeps each part's statements to its account (policy/account-gate.ts), and names
   * each later account's revoke schedule for that account.
   */
  parts?: readonly AccountGrantPart[];
  /** In a grant in several accounts, the results of the accounts granted before this one (identity-center mode: where the shared permission set is). */
  earlier?: readonly GrantResult[];
}

/** One account's part of a request in several accounts: the request as filed for that account alone, and its policy. */
export interface AccountGrantPart {
  request: AccessRequest;
  policy: PolicyDocument;
}

/** Grant and revoke temporary access in AWS. Every method is idempotent and safe to rerun. */
export interface Grants {
  /**
   * Creates the request's policy (stamped with `expiresAt`), schedules its revocation and only
   * then attaches it. On failure, undoes what this call created and rethrows.
   */
  grant(request: AccessRequest, policy: PolicyDocument, expiresAt: string, meta?: GrantMeta): Promise<GrantResult>;
  /**
   * Refuses, reading only, what `grant` of this request would refuse before creating anything
   * (standing access to a catalogue bundle). A grant in several accounts runs it for every account
   * before granting any. Absent: nothing is checked ahead.
   */
  preflight?(request: AccessRequest, expiresAt: string, meta?: GrantMeta): Promise<void>;
  /** Removes access first, then the policy or permission set, then the schedules. */
  revoke(target: RevokeTarget): Promise<RevokeResult>;
  /** Everything jit-access manages, for drift reconcile. Throws rather than under-report. */
  listManaged(): Promise<ManagedResource[]>;
  /**
   * Moves the end of the request's active grant to `expiresAt`: its policy stamped anew (a new
   * policy version, or the permission set's policy re-provisioned), its expiry tag and its
   * revocation schedules. Touches only what jit-access created for the request; idempotent.
   * Absent: this Grants cannot extend, and extensions are refused.
   */
  extend?(request: AccessRequest, target: RevokeTarget, policy: PolicyDocument, expiresAt: string, meta?: GrantMeta): Promise<ExtendResult>;
}

export interface ExtendResult {
  requestId: string;
  expiresAt: string;
  /** The schedules now set for the new expiry (empty when Scheduler is not configured). */
  schedules: string[];
  scheduleNote?: string;
}

/**
 * The people and machine roles of identities/ in AWS (src/aws/identities.ts): IAM users and roles
 * under identities.path, or Identity Store users. Never creates access keys or passwords.
 */
export interface IdentityDirectory {
  /**
   * Every identity jit-access manages, and any identity holding one of `names` whether managed or
   * not (so that a name taken out of band is refused, never adopted). Throws rather than under-report.
   */
  list(names: ReadonlyArray<{ kind: IdentityKind; name: string }>): Promise<ActualIdentity[]>;
  create(identity: DesiredIdentity): Promise<void>;
  update(identity: DesiredIdentity, update: IdentityUpdate): Promise<void>;
  /** Removes what jit-access attached and the identity; an identity already gone is success. */
  remove(actual: ActualIdentity): Promise<void>;
}
