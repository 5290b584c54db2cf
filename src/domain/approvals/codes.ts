// The codes of every way a merged pull request can fail to grant access, one line each. Codes are
// the stable contract (tests, records, the report); messages are for people and may be reworded.
import type { Problem } from "../types.js";

/** Every approval and merge code with its meaning. */
export const APPROVAL_CODES = {
  "merge.not-merged": "the pull request is not merged, or GitHub reports no merge commit for it",
  "merge.unknown-head": "the pull request's head SHA is missing or malformed, so no approval can be tied to it",
  "merge.no-files": "the pull request changes no files",
  "merge.files-incomplete": "GitHub listed fewer files than the pull request's changed_files, so its contents cannot be checked",
  "merge.extra-files": "the pull request changes more than one file (several request files, or files besides the request)",
  "merge.not-request-file": "the one file changed is not at access-requests/<account>/<YYYY>/<number>-<slug>.yaml",
  "merge.renamed": "the pull request renames a request file",
  "merge.deleted": "the pull request deletes a request file",
  "merge.file-status": "the request file is neither added nor modified (copied, changed, unchanged or unknown)",
  "merge.file-mismatch": "the file the pull request changes is not the request file that was verified",
  "merge.unknown-blob": "the request file's blob at the approved head or at the merge commit is unknown",
  "merge.blob-changed": "the request file at the merge commit differs from the approved head",
  "merge.tip-unknown": "the default branch's commit before the merge cannot be determined (preMergeTips)",
  "approval.unknown-risk": "the request's risk tier is not low, medium or high",
  "approval.unknown-requester": "the request's requester is not a GitHub login",
  "approval.unknown-author": "the pull request's author is unknown and not a bot, so self-approval cannot be ruled out",
  "approval.unknown-commits": "the pull request's commits are unknown, so who wrote them cannot be told",
  "approval.unlinked-commit": "a commit's author or committer is not linked to a GitHub account",
  "approval.self": "an approval by the requester, the pull request author, or an author, committer or pusher of its commits",
  "approval.stale-review": "an approval on an older commit than the final head, or on no commit",
  "approval.not-authorized": "an approval by someone who is not a configured approver, an active member of an approver team, or a code owner",
  "approval.membership-pending": "an approval by someone whose approver-team membership is pending, not active",
  "approval.bot": "an approval by a bot or other non-user account",
  "approval.changes-requested": "an authorized approver's latest review requests changes",
  "approval.insufficient": "fewer distinct authorized approvals on the final head than the risk tier requires",
  "approval.not-eligible": "the requester is not eligible for the request's account or catalogue entry",
} as const;

export type ApprovalCode = keyof typeof APPROVAL_CODES;

/**
 * The words that start each failure's message. People, the README's troubleshooting table and
 * older records know failures by these, so they stay while the codes are the contract.
 */
export type ApprovalRule =
  | "one-request-file"
  | "request-file-status"
  | "not-merged"
  | "missing-data"
  | "unknown-commit-author"
  | "blob-changed"
  | "self-approval"
  | "stale-approval"
  | "not-authorized"
  | "bot-approval"
  | "changes-requested"
  | "insufficient-approvals"
  | "not-eligible";

const LABEL: Record<Exclude<ApprovalCode, "merge.tip-unknown">, ApprovalRule> = {
  "merge.not-merged": "not-merged",
  "merge.unknown-head": "missing-data",
  "merge.no-files": "one-request-file",
  "merge.files-incomplete": "one-request-file",
  "merge.extra-files": "one-request-file",
  "merge.not-request-file": "one-request-file",
  "merge.renamed": "request-file-status",
  "merge.deleted": "request-file-status",
  "merge.file-status": "request-file-status",
  "merge.file-mismatch": "one-request-file",
  "merge.unknown-blob": "missing-data",
  "merge.blob-changed": "blob-changed",
  "approval.unknown-risk": "missing-data",
  "approval.unknown-requester": "missing-data",
  "approval.unknown-author": "missing-data",
  "approval.unknown-commits": "missing-data",
  "approval.unlinked-commit": "unknown-commit-author",
  "approval.self": "self-approval",
  "approval.stale-review": "stale-approval",
  "approval.not-authorized": "not-authorized",
  "approval.membership-pending": "not-authorized",
  "approval.bot": "bot-approval",
  "approval.changes-requested": "changes-requested",
  "approval.insufficient": "insufficient-approvals",
  "approval.not-eligible": "not-eligible",
};

/** A reason the merge grants nothing: a Problem whose code is an approval or merge code. */
export interface ApprovalFailure extends Problem {
  code: ApprovalCode;
  /** The words that start `message` (see {@link ApprovalRule}). */
  rule: ApprovalRule;
}

/** A failure whose message starts with its rule's words, e.g. "self-approval: bob approved but…". */
export function approvalFailure(code: Exclude<ApprovalCode, "merge.tip-unknown">, path: string, message: string): ApprovalFailure {
  const rule = LABEL[code];
  return { code, path, message: `${rule}: ${message}`, rule };
}
