// The approval rules, one pure function each from the gathered facts to the failures it finds.
// verifyApproval runs every rule and reports every failure; a rule never looks at another
// rule's result, only at the facts.
import { ineligibility } from "../access-catalogue.js";
import { changedFileProblems } from "./changed-files.js";
import { approvalFailure, type ApprovalCode, type ApprovalFailure } from "./codes.js";
import { commitList, type ApprovalFacts, type Reviewer, type Verdict } from "./facts.js";
import { display, nonAsciiNote, quote, short, validSha } from "./format.js";

export interface ApprovalRuleSpec {
  /** A short name for people, e.g. in a dry-run listing. */
  name: string;
  /** The codes this rule can produce. */
  codes: readonly ApprovalCode[];
  check(facts: ApprovalFacts): ApprovalFailure[];
}

/** Whether the counted approvals reach the risk tier's count. Discounted approvals fail the
 *  merge only when they are missed; otherwise they are explained in notes. */
export function enoughApprovals(f: ApprovalFacts): boolean {
  return f.approvedBy.length >= f.required;
}

const riskKnown: ApprovalRuleSpec = {
  name: "the risk tier is known",
  codes: ["approval.unknown-risk"],
  check: (f) =>
    f.tier
      ? []
      : [
          approvalFailure(
            "approval.unknown-risk",
            "request.risk",
            `the request's risk tier ${quote(String(f.rawTier))} is unknown; re-run the policy check so the tier is computed`,
          ),
        ],
};

const headKnown: ApprovalRuleSpec = {
  name: "the head commit is known",
  codes: ["merge.unknown-head"],
  check: (f) =>
    f.headSha
      ? []
      : [
          approvalFailure(
            "merge.unknown-head",
            "pr.headSha",
            `the pull request's head SHA ${quote(String(f.rawHeadSha))} is missing or malformed, so no approval can be tied to it; retry once GitHub reports it`,
          ),
        ],
};

const merged: ApprovalRuleSpec = {
  name: "the pull request is merged",
  codes: ["merge.not-merged"],
  check: (f) => {
    if (!f.merged)
      return [
        approvalFailure(
          "merge.not-merged",
          "pr.merged",
          `pull request #${String(f.prNumber)} is not merged; access is granted only when an approved pull request is merged`,
        ),
      ];
    if (!f.mergeSha)
      return [
        approvalFailure(
          "merge.not-merged",
          "pr.mergeCommitSha",
          `pull request #${String(f.prNumber)} has no merge commit SHA, so the merged file cannot be checked; retry once GitHub reports it`,
        ),
      ];
    return [];
  },
};

const oneRequestFile: ApprovalRuleSpec = {
  name: "exactly one request file, the one verified",
  codes: [
    "merge.no-files",
    "merge.files-incomplete",
    "merge.extra-files",
    "merge.not-request-file",
    "merge.renamed",
    "merge.deleted",
    "merge.file-status",
    "merge.file-mismatch",
  ],
  check: (f) => {
    const problems = changedFileProblems(f.files, f.changedFiles);
    if (problems.length) return problems;
    const changed = f.files[0]?.path;
    if (changed !== f.filePath)
      return [
        approvalFailure(
          "merge.file-mismatch",
          "requestFile.path",
          `the pull request changes ${quote(String(changed))} but the file verified is ${quote(f.filePath)}; they must be the same file`,
        ),
      ];
    return [];
  },
};

const sameBlob: ApprovalRuleSpec = {
  name: "the merged file is the approved file",
  codes: ["merge.unknown-blob", "merge.blob-changed"],
  check: (f) => {
    if (!f.headBlob || !f.mergeBlob) {
      const missing = [!f.headBlob ? `at the approved head ${short(f.headSha)}` : "", !f.mergeBlob ? `at the merge commit ${short(f.mergeSha)}` : ""]
        .filter(Boolean)
        .join(" and ");
      return [
        approvalFailure(
          "merge.unknown-blob",
          "requestFile",
          `the blob of ${quote(f.filePath)} ${missing} is unknown, so the app cannot prove the merged file is the approved one; nothing is granted — retry, or open a new pull request`,
        ),
      ];
    }
    if (f.headBlob !== f.mergeBlob) {
      return [
        approvalFailure(
          "merge.blob-changed",
          "requestFile.mergeBlobSha",
          `${quote(f.filePath)} at merge commit ${short(f.mergeSha)} (blob ${short(f.mergeBlob)}) differs from the approved head ${short(f.headSha)} (blob ${short(f.headBlob)}); the merge changed the approved file — open a new pull request with the final content and have it approved`,
        ),
      ];
    }
    return [];
  },
};

const requesterKnown: ApprovalRuleSpec = {
  name: "the requester is known",
  codes: ["approval.unknown-requester"],
  check: (f) =>
    f.requester
      ? []
      : [
          approvalFailure(
            "approval.unknown-requester",
            "request.requester",
            `the request's requester ${quote(String(f.rawRequester))} is not a GitHub login; fix requester in the request file`,
          ),
        ],
};

const requesterEligible: ApprovalRuleSpec = {
  name: "the requester is eligible for the account and catalogue entry",
  codes: ["approval.not-eligible"],
  check: (f) => {
    const e = f.eligibility;
    if (!e || e.rules.length === 0) return [];
    return ineligibility(e.rules, typeof f.rawRequester === "string" ? f.rawRequester : "", e.memberships).map((p) =>
      approvalFailure("approval.not-eligible", "request.requester", p.message),
    );
  },
};

const authorKnown: ApprovalRuleSpec = {
  name: "the pull request author is known",
  codes: ["approval.unknown-author"],
  check: (f) =>
    f.author || f.authorIsBot
      ? []
      : [
          approvalFailure(
            "approval.unknown-author",
            "pr.author",
            `the author of pull request #${String(f.prNumber)} is unknown (${quote(String(f.rawAuthor))}), so a self-approval cannot be ruled out`,
          ),
        ],
};

const commitsKnown: ApprovalRuleSpec = {
  name: "the commits are known",
  codes: ["approval.unknown-commits"],
  check: (f) =>
    f.commitsKnown
      ? []
      : [
          approvalFailure(
            "approval.unknown-commits",
            "commits",
            `the commits of pull request #${String(f.prNumber)} are unknown, so the app cannot tell who wrote them; retry once GitHub lists them`,
          ),
        ],
};

const commitsLinked: ApprovalRuleSpec = {
  name: "every commit's author and committer is an account",
  codes: ["approval.unlinked-commit"],
  check: (f) =>
    (["author", "committer"] as const)
      .filter((role) => f.unlinked[role].length > 0)
      .map((role) =>
        approvalFailure(
          "approval.unlinked-commit",
          "commits",
          `the ${role} of ${commitList(f.unlinked[role])} in the pull request is not linked to a GitHub account, so the app cannot tell whether an approver wrote it; push from an account whose e-mail is verified on GitHub (or amend those commits), then get approval again`,
        ),
      ),
};

const noObjection: ApprovalRuleSpec = {
  name: "no authorized approver requests changes",
  codes: ["approval.changes-requested"],
  check: (f) =>
    f.reviewers
      .filter((r) => r.verdict === "objects")
      .map((r) => {
        const who = display(r.login);
        return approvalFailure(
          "approval.changes-requested",
          "reviews",
          `${who}${r.earlierApproval ? " approved earlier but then" : ""} requested changes (review ${r.latest.id} on ${short(validSha(r.latest.commit_id))}), and that is their latest review; an authorized approver's objection blocks the grant — address it and ask ${who} to approve head ${short(f.headSha)}`,
        );
      }),
};

/** The codes of approvals that were given but do not count. */
type DiscountCode = "approval.self" | "approval.stale-review" | "approval.not-authorized" | "approval.membership-pending" | "approval.bot";

/** Why an approval did not count, for each verdict that discounts one. */
export const DISCOUNTS: ReadonlyArray<{ verdict: Verdict; code: DiscountCode; detail: (r: Reviewer, f: ApprovalFacts) => string }> = [
  {
    verdict: "self",
    code: "approval.self",
    detail: (r) => `${display(r.login)} approved but is ${r.roles.join(" and ")}; nobody approves their own access or their own change`,
  },
  {
    verdict: "stale",
    code: "approval.stale-review",
    detail: (r, f) => {
      const who = display(r.login);
      const commit = validSha(r.latest.commit_id);
      return commit
        ? `${who} approved ${short(commit)}, not the final head ${short(f.headSha)} (commits were pushed after the approval) — ${who} must review and approve again at ${short(f.headSha)}`
        : `${who}'s approval ${r.latest.id} names no commit, so it cannot be tied to the final head ${short(f.headSha)} — ${who} must approve again`;
    },
  },
  {
    verdict: "not-authorized",
    code: "approval.not-authorized",
    detail: (r, f) =>
      `${display(r.login)} approved but is not an authorized approver for ${quote(f.filePath)}: not in approvers of .github/jit-access.yml, not an active member of an approver team, and not a code owner of the file`,
  },
  {
    verdict: "invalid-login",
    code: "approval.not-authorized",
    detail: (r) => `${display(r.login)} is not a valid GitHub login${nonAsciiNote(r.login)} and matches no approver`,
  },
  {
    verdict: "pending",
    code: "approval.membership-pending",
    detail: (r) => `${display(r.login)}'s membership of ${r.roles.join(", ")} is pending, not active — accept the team invitation, then approve again`,
  },
  {
    verdict: "bot",
    code: "approval.bot",
    detail: (r) =>
      r.latest.user?.type === "Bot" || /\[bot\]$/i.test(r.login)
        ? `${display(r.login)} is a bot account; bots never approve access`
        : `${display(r.login)} is a ${quote(String(r.latest.user?.type))} account, not a user; only people approve access`,
  },
];

function discountRule(name: string, code: DiscountCode): ApprovalRuleSpec {
  const kinds = DISCOUNTS.filter((d) => d.code === code);
  return {
    name,
    codes: [code],
    check: (f) => {
      if (enoughApprovals(f)) return [];
      return kinds.flatMap((d) => f.reviewers.filter((r) => r.verdict === d.verdict).map((r) => approvalFailure(code, "reviews", d.detail(r, f))));
    },
  };
}

const enough: ApprovalRuleSpec = {
  name: "enough distinct authorized approvals on the head",
  codes: ["approval.insufficient"],
  check: (f) => {
    if (enoughApprovals(f)) return [];
    const n = f.approvedBy.length;
    const have = n ? `${n} (${f.approvedBy.join(", ")})` : "none";
    const more = f.required - n === 1 ? "one" : String(f.required - n);
    return [
      approvalFailure(
        "approval.insufficient",
        "reviews",
        `a ${String(f.tier ?? f.rawTier)}-risk request needs ${f.required} approval${f.required === 1 ? "" : "s"} from distinct authorized approvers on head ${short(f.headSha)}; it has ${have}. Ask ${more} more of: ${f.authorized.summary}`,
      ),
    ];
  },
};

/** Every rule, in the order their failures are reported. */
export const APPROVAL_RULES: readonly ApprovalRuleSpec[] = [
  riskKnown,
  headKnown,
  merged,
  oneRequestFile,
  sameBlob,
  requesterKnown,
  requesterEligible,
  authorKnown,
  commitsKnown,
  commitsLinked,
  noObjection,
  discountRule("no self-approval", "approval.self"),
  discountRule("approvals are on the final head", "approval.stale-review"),
  discountRule("approvers are authorized", "approval.not-authorized"),
  discountRule("approver team memberships are active", "approval.membership-pending"),
  discountRule("approvers are people", "approval.bot"),
  enough,
];
