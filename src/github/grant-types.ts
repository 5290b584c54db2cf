// The merge → grant use case's data, shared by its modules: the merged pull request as the
// payload says it, what a merge judged grantable carries, and the outcome.
import type { AccessRequest, Config, PolicyDocument, ProblemCode, RiskTier } from "../domain/types.js";
import type { Grants } from "../aws/types.js";
import type { Notifier } from "../notify/types.js";
import type { ClaimDecision } from "./approval-policies.js";

export interface MergedPr {
  number: number;
  merged: boolean;
  mergeCommitSha: string | null;
  mergedAt: string | null;
  headSha: string;
  headRef: string;
  /** As the payload says it: the base tip when the PR was last updated. Never used to judge. */
  baseSha: string;
  author: { login: string; type: string } | null;
  changedFiles?: number;
  htmlUrl?: string;
  /** Who merged it (the payload's merged_by): only a merge by the app itself may carry an auto-approval or break-glass claim. */
  mergedBy?: string | null;
}

export interface GrantDeps {
  grantsFor: (config: Config) => Grants;
  now: () => Date;
  notifierFor?: (config: Config) => Notifier;
  /** The app's bot login, to recognise the merges it made itself. */
  appLogin?: string;
}

export type GrantOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "already"; reason: string }
  | { kind: "blocked"; reasons: string[]; codes: ProblemCode[]; recorded?: string }
  | { kind: "failed"; reason: string; recorded?: string }
  | { kind: "granted"; id: string; expiresAt: string; resources: string[] }
  | { kind: "scheduled"; id: string; startsAt: string; expiresAt: string };

/** A merge judged grantable: everything the grant, its record and its announcement need. */
export interface ApprovedGrant {
  config: Config;
  request: AccessRequest;
  path: string;
  issueNumber: number;
  account: { id: string; alias?: string };
  policy: NonNullable<AccessRequest["policy"]>;
  /**
   * A request in several accounts: each account's view and policy, the primary (`account`,
   * `policy`) first. The grant is made in all of them or in none.
   */
  accounts?: Array<{ account: { id: string; alias?: string }; request: AccessRequest; policy: PolicyDocument }>;
  risk: RiskTier;
  approvedBy: string[];
  expiresAt: string;
  /** A start still ahead at the merge: recorded `scheduled`, granted by the sweep once it has come. */
  startsAt?: string;
  now: Date;
  mergeSha: string;
  /** An auto-approval or break-glass merge the app made itself, verified again (approval-policies.ts). */
  claim?: Extract<ClaimDecision, { kind: "approved" }>;
}
