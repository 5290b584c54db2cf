// Approvals: whether a merged pull request may grant access. Pure; see verify.ts.
export { APPROVAL_CODES, approvalFailure, type ApprovalCode, type ApprovalFailure, type ApprovalRule } from "./codes.js";
export { changedFileProblems, checkChangedFiles, isRequestFilePath } from "./changed-files.js";
export { authorizedApprovers, gatherFacts, type ApprovalFacts, type Authorized, type Reviewer, type Verdict } from "./facts.js";
export { candidateTeams, normalizeLogin, normalizeTeam } from "./logins.js";
export { MAX_PR_COMMITS, preMergeTips, type CommitFacts, type PreMergeTips } from "./merge-tips.js";
export { APPROVAL_RULES, type ApprovalRuleSpec } from "./rules.js";
export type { ApprovalDecision, ApprovalInput, ChangedFile, ChangedFileStatus, CommitIdentity, Review, ReviewState, TeamMember } from "./types.js";
export { verifyApproval } from "./verify.js";
export {
  autoApproveTeams,
  countGrants,
  matchAutoApproval,
  verifyAutoApproval,
  type AutoApproveFacts,
  type AutoMatch,
  type AutoMergeFacts,
} from "./auto-approve.js";
export { BREAK_GLASS_LABEL, BREAK_GLASS_USAGE, breakGlassProblems, parseBreakGlass, verifyBreakGlass, type BreakGlassFacts } from "./break-glass.js";
export { claimMessage, readClaim, trailerValue, type MergeClaim } from "./claims.js";
