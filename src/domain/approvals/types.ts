// What the app gathers from GitHub for one merged pull request, and the decision made from it.
import type { EligibilityRule } from "../access-catalogue.js";
import type { Config, RiskTier } from "../types.js";
import type { ApprovalFailure } from "./codes.js";

/** GitHub's pull request file statuses (pulls.listFiles). */
export type ChangedFileStatus = "added" | "modified" | "removed" | "renamed" | "copied" | "changed" | "unchanged";

export interface ChangedFile {
  path: string;
  status: ChangedFileStatus;
  /** Set for renamed (and copied) files. */
  previousPath?: string | null;
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

/** A pull request review as GitHub returns it (pulls.listReviews), fields as named there. */
export interface Review {
  id: number;
  /** null for a deleted account ("ghost"). */
  user: { login: string; type: "User" | "Bot" | (string & {}) } | null;
  state: ReviewState | (string & {});
  /** The head commit the review was made on; null or absent is never counted as an approval. */
  commit_id?: string | null;
  /** Absent on PENDING reviews. */
  submitted_at?: string | null;
  /** What the reviewer wrote (a "changes requested" review's reason). */
  body?: string | null;
}

/** An author or committer of a commit as GitHub maps it to an account. */
export interface CommitIdentity {
  /** null when the commit e-mail is not linked to a GitHub account. */
  login: string | null;
  isBot?: boolean;
}

export interface TeamMember {
  login: string;
  state: "active" | "pending";
}

export interface ApprovalInput {
  pr: {
    number: number;
    /** null for a deleted account. */
    author: { login: string; type: "User" | "Bot" | (string & {}) } | null;
    /** The PR's final head SHA: approvals must be on it. */
    headSha: string;
    merged: boolean;
    mergeCommitSha: string | null;
    /** The SHA CODEOWNERS was read at: the pre-merge tip of the default branch. */
    baseSha: string;
    /** The PR's `changed_files` count, when known: a file list shorter than it is incomplete. */
    changedFiles?: number;
  };
  files: ChangedFile[];
  requestFile: {
    path: string;
    /** Blob sha of the request file at `pr.headSha`. */
    headBlobSha: string | null | undefined;
    /** Blob sha of the request file at `pr.mergeCommitSha`. */
    mergeBlobSha: string | null | undefined;
  };
  /** From the policy pipeline: who asks, and the risk tier of the policy. */
  request: { requester: string; risk: RiskTier };
  /** Every commit of the pull request (pulls.listCommits), not only the last: whoever wrote or
   *  committed any of them never approves, and a later commit (e.g. the app's) hides nobody. */
  commits: ReadonlyArray<{ sha?: string; author: CommitIdentity | null; committer: CommitIdentity | null }>;
  /** Logins that pushed to the head branch (e.g. `synchronize` senders), when the app knows them. */
  pushedBy?: string[];
  reviews: Review[];
  config: Pick<Config, "approvers" | "required_approvals">;
  /** CODEOWNERS owners of the request file (codeowners.ts `ownersOf`); undefined when there is no CODEOWNERS file. */
  codeowners?: { owners: string[]; line?: number; source?: string } | undefined;
  /** Memberships of the teams among the candidate approvers, keyed "@org/team" (see candidateTeams). */
  teamMembers: Record<string, TeamMember[]>;
  /**
   * Who may ask for this request (domain/access-catalogue.ts `eligibilityRules`) and the
   * requester's membership of the teams those rules name, keyed "@org/team" lower-cased.
   * Absent: no eligibility rule applies.
   */
  eligibility?: { rules: readonly EligibilityRule[]; memberships: Readonly<Record<string, "active" | "pending" | undefined>> };
}

export interface ApprovalDecision {
  ok: boolean;
  /** Logins whose approvals counted, sorted, distinct (case-insensitively). */
  approvedBy: string[];
  /** Approvals required for the request's risk tier. */
  required: number;
  /** Every rule that failed, in rule order; empty exactly when `ok`. */
  failures: ApprovalFailure[];
  /** Every rule in order and whether it passed, to show how the decision was reached. */
  rules: Array<{ name: string; passed: boolean }>;
  /** What was discounted and why, who may approve, and anything ignored. */
  notes: string[];
}
