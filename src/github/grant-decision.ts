// Merge → grant, the decision (pure): from the facts of a merged pull request — its files and
// commits, the rules where the default branch stood just before the merge, the records, the file at
// the merge, the issue it came from, the reviews and team memberships — the verdict and the effects
// that say it. It reads nothing: when a fact is missing it answers `need`, and the gatherer
// (grant-facts.ts) fetches exactly that and asks again; so a merge refused early costs no further
// reads, and a dry run can decide from facts made up from files on disk.
import {
  candidateTeams,
  checkChangedFiles,
  verifyApproval,
  type ApprovalDecision,
  type ApprovalInput,
  type ChangedFile,
  type PreMergeTips,
  type Review,
  type TeamMember,
} from "../domain/approvals.js";
import { ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { approvalConfigFor, bundleOf, eligibilityRules } from "../domain/access-catalogue.js";
import { CONFIG_PATH } from "../domain/config.js";
import { parseDuration } from "../domain/duration.js";
import { problem, type Result } from "../domain/problems.js";
import { recordStatus } from "../domain/records.js";
import { startsAtTiming } from "../domain/scheduled-start.js";
import { accountFolderPath } from "../domain/start-approval.js";
import { parseRequestFile } from "../domain/request.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config, Problem, ProblemCode } from "../domain/types.js";
import type { Effect } from "../lifecycle/effects.js";
import type { Eligibility } from "../lifecycle/eligibility.js";
import type { IssueFacts, PrCommit, PrFile } from "../lifecycle/ports.js";
import type { Catalogue } from "../policy/catalogue.js";
import { planRequest, type AccountPlan } from "../policy/pipeline.js";
import type { StoredFile } from "../store/record-store.js";
import { grantedEffects, refusalEffects, restoredRecord, scheduledEffects } from "./grant-announce.js";
import type { ClaimDecision, ClaimInput } from "./approval-policies.js";
import type { ApprovedGrant, MergedPr } from "./grant-types.js";

/** A file as a fact: its text and blob sha, or null when it is not there. */
type FileFact = Pick<StoredFile, "text" | "sha"> | null;

/**
 * What is known of a merge. A field left undefined has not been gathered yet; `null` means
 * gathered and absent.
 */
export interface MergeFacts {
  pr: MergedPr;
  now: Date;
  catalogue: Catalogue;
  /** The files the PR changes. */
  files?: PrFile[];
  /** The PR's commits, where the default branch stood before the merge, and the rules' fingerprint (config and CODEOWNERS blob shas) at each candidate. */
  tips?: { commits: PrCommit[]; located: PreMergeTips; fingerprints: string[] };
  /** The config at the pre-merge tip, loaded. */
  config?: Result<Config>;
  /** The request file at each candidate pre-merge tip, and on the default branch now. */
  records?: { before: FileFact[]; onMain: FileFact };
  /** The request file at the merge commit. */
  atMerge?: FileFact;
  /** The issue the request's number names. */
  origin?: IssueFacts | null;
  /** The PR's reviews, and the CODEOWNERS candidates at the pre-merge tip. */
  approvals?: { reviews: Review[]; codeowners: Array<{ path: string; text: string | undefined }> };
  /** The approving reviewers' memberships of the teams that count. */
  teams?: Record<string, TeamMember[]>;
  /** The account's and catalogue entry's eligibility rules with the requester's memberships; `null` when no rule applies. */
  eligibility?: Eligibility | null;
  /** The app's bot login: a merge it made itself carries a claim (auto-approval, break-glass). */
  appLogin?: string;
  /** That claim, verified again at the merge (approval-policies.ts judgeMergeClaim). */
  claim?: ClaimDecision;
}

/** The facts a decision asks for next, and where to read them. */
export type Need =
  | { fact: "files" }
  | { fact: "tips"; mergeSha: string }
  | { fact: "config"; at: string }
  | { fact: "records"; path: string; tips: string[] }
  | { fact: "atMerge"; path: string; mergeSha: string }
  | { fact: "origin"; issue: number }
  | { fact: "approvals"; at: string }
  | { fact: "teams"; teams: string[]; reviewers: string[] }
  | { fact: "eligibility"; config: Config; request: AccessRequest }
  | { fact: "claim"; at: string; input: ClaimInput };

export type MergeDecision =
  | { kind: "need"; need: Need }
  | { kind: "ignored"; reason: string }
  /** Replayed or duplicate: said again from the record (effects), never judged again. */
  | { kind: "already"; reason: string; effects: Effect[] }
  /**
   * Refused: the problems, and the effects that record and tell it (`config`: whose channels hear
   * of it; `rejects`: whether the effects record the proposal `rejected`).
   */
  | { kind: "blocked"; problems: Problem[]; effects: Effect[]; rejects: boolean; config?: Config }
  | { kind: "approved"; grant: ApprovedGrant };

const need = (n: Need): MergeDecision => ({ kind: "need", need: n });

/** Failures about reviews: a verified auto-approval or break-glass stands in for them, and for nothing else. */
const REVIEW_CODES: ReadonlySet<ProblemCode> = new Set([
  "approval.insufficient",
  "approval.self",
  "approval.stale-review",
  "approval.not-authorized",
  "approval.membership-pending",
  "approval.bot",
]);

/** The status and id of a request file's text. */
function recordOf(file: NonNullable<FileFact>): { text: string; status: string; id?: string } {
  const id = /^id:\s*'?([0-9]+-[a-z0-9-]+)'?\s*$/m.exec(file.text)?.[1];
  return { text: file.text, status: recordStatus(file.text), ...(id ? { id } : {}) };
}

/** The decision on what is known; `need` when a fact is missing. */
export function decideMerge(f: MergeFacts): MergeDecision {
  const { pr } = f;
  if (!pr.merged || !pr.mergeCommitSha) return { kind: "ignored", reason: "not merged" };
  const mergeSha = pr.mergeCommitSha;
  if (!f.files) return need({ fact: "files" });
  const listed = f.files;
  if (!listed.some((x) => x.path.startsWith("access-requests/"))) return { kind: "ignored", reason: "touches no request file" };

  // What a refusal can say and record grows as the merge is judged: the config, so that a refused
  // merge can be recorded; the request, so that refusals after that point are also notified.
  const about: { config?: Config; request?: AccessRequest; path?: string; record?: boolean } = {};
  const at = isoSeconds(f.now);
  const blocked = (problems: Problem[], issue?: number, before: Effect[] = []): MergeDecision => ({
    kind: "blocked",
    problems,
    // An extension request's issue is the active grant's: a refused extension is said on its PR only.
    effects: [...before, ...refusalEffects({ pr, problems, at, ...(issue && about.request?.extends === undefined ? { issue } : {}), ...about })],
    rejects: !!(about.record && about.config && about.path),
    ...(about.config ? { config: about.config } : {}),
  });

  const files: ChangedFile[] = listed.map((x) => ({ path: x.path, status: x.status, previousPath: x.previousPath }));
  const fileProblem = checkChangedFiles(files, pr.changedFiles);
  if (fileProblem) return blocked([fileProblem]);
  const path = files[0]!.path;
  const headBlobSha = listed[0]!.sha ?? "";

  // The rules (config, CODEOWNERS) and the record are judged as the default branch stood just
  // before the merge — never at the payload's base.sha, which GitHub sets when the PR was opened or
  // last updated, so rules tightened since (an approver removed, denied_actions added) would be
  // missed. preMergeTips says where that was for every merge method; when it cannot tell, or
  // names more than one candidate and they disagree, nothing is granted.
  if (!f.tips) return need({ fact: "tips", mergeSha });
  const { located, fingerprints } = f.tips;
  if (located.kind !== "tips")
    return blocked([
      problem(
        located.kind === "unknown" ? (located.code ?? "merge.tip-unknown") : "merge.tip-unknown",
        located.kind === "unknown" ? located.reason : "the default branch's commit before the merge cannot be determined",
      ),
    ]);
  const tips = located.tips;
  if (new Set(fingerprints).size > 1) {
    return blocked([
      problem(
        "merge.rules-ambiguous",
        `the merge (${located.method}) leaves ${tips.length} candidates for the default branch's commit before it (${tips.map((t) => t.slice(0, 7)).join(", ")}), and ${CONFIG_PATH} or CODEOWNERS differ between them, so the rules to judge by are ambiguous; nothing is granted — open a new pull request and merge it with a merge commit or squash`,
      ),
    ]);
  }
  const baseSha = tips[0] as string;
  if (!f.config) return need({ fact: "config", at: baseSha });
  if (!f.config.ok) return blocked(f.config.problems.map((p) => ({ ...p, path: "" })));
  const config = f.config.value;
  about.config = config;
  about.path = path;

  // A pull request that edits a request file which was already a record (active, expired,
  // revoked, …) before the merge rewrites the audit trail — e.g. someone strips status/grant from
  // another user's active request and widens it, or pushes a later expires_at while keeping status:
  // active. Records are written by the app only: refuse, and put the record as it was before the
  // merge back on the default branch (only if nothing has changed it since the merge), so records
  // and AWS agree again. Read at every candidate pre-merge tip: a multi-commit rebase must not hide
  // the record behind its own earlier commits.
  if (!f.records) return need({ fact: "records", path, tips });
  const { onMain } = f.records;
  const before = f.records.before.flatMap((b) => (b ? [recordOf(b)] : [])).find((b) => b.status !== "proposed");
  if (before) {
    const restorable = onMain?.text === before.text || (onMain !== null && onMain.sha === headBlobSha);
    const what = restorable ? "The record was restored on the default branch." : "Restore the record by hand (the file changed again after the merge).";
    return blocked(
      [
        problem(
          "record.rewritten",
          `this pull request changes ${path}, the record of a request that is already ${before.status}; status, grant and closed are written by jit-access only, and a record is never re-proposed. ${what} To extend or change access, open a new request.`,
        ),
      ],
      undefined, // said on this PR only: the owner's issue keeps its Granted comment
      restorable ? [restoredRecord(pr, path, before, headBlobSha || undefined)] : [],
    );
  }

  // A replayed merge delivery of a request the app already granted is not judged again (checked
  // after the record-rewrite guard above, so that a PR cannot claim a merge): judged after the
  // expiry, or after an approver left their team, it would say "Not granted" about access that
  // is (or was) live. The record on the default branch names the merge it was granted from.
  const recordedReq = onMain ? parseRequestFile(onMain.text, { file: path, config }) : undefined;
  const recorded = recordedReq?.ok ? recordedReq.value.request : undefined;
  if (recorded && (recorded.status ?? "proposed") !== "proposed" && recorded.scheduled?.merge_commit === mergeSha && recorded.status === "scheduled") {
    const s = recorded.scheduled;
    return {
      kind: "already",
      reason: `${recorded.id} is already scheduled`,
      effects: scheduledEffects([pr.number, Number(recorded.id.split("-")[0])], {
        requester: recorded.requester,
        account: recorded.account,
        startsAt: s.starts_at,
        expiresAt: s.expires_at,
        approvedBy: s.approved_by,
      }),
    };
  }
  if (recordedReq?.ok && (recordedReq.value.request.status ?? "proposed") !== "proposed" && recordedReq.value.request.grant?.merge_commit === mergeSha) {
    const r = recordedReq.value.request;
    const g = r.grant!;
    const schedule = g.aws?.schedule;
    // A delivery that failed after the record was written (e.g. a 5xx on the comment) is
    // redelivered: say "Granted" now, from the record, if the grant is still active.
    const effects =
      r.status === "active"
        ? grantedEffects([pr.number, Number(r.id.split("-")[0])], {
            requester: r.requester,
            account: r.account,
            expiresAt: g.expires_at,
            approvedBy: g.approved_by,
            resources: g.aws?.resources ?? [],
            ...(schedule && !schedule.startsWith("jit-access/") ? { scheduleNote: schedule } : {}),
          })
        : [];
    return { kind: "already", reason: `${r.id} is already ${r.status}`, effects };
  }

  // From here on the file on the default branch is a proposal that arrived with this merge (a
  // record rewritten by the PR was restored above): a refusal is recorded in it.
  about.record = true;
  if (f.atMerge === undefined) return need({ fact: "atMerge", path, mergeSha });
  const atMerge = f.atMerge;
  if (!atMerge) return blocked([problem("merge.file-missing", `${path} is not in the merge commit ${mergeSha.slice(0, 7)}`)]);
  const parsed = parseRequestFile(atMerge.text, { file: path, config });
  if (!parsed.ok) return blocked(parsed.problems);
  const request = parsed.value.request;
  about.request = request;
  const issueNumber = Number(request.id.split("-")[0]);
  if (parsed.value.example) return blocked([problem("merge.example", `${path} is an example; examples are never granted`)], issueNumber);
  const timing = startsAtTiming(request, f.now, "merge");
  if (timing.length) return blocked(timing, issueNumber);
  if ((request.status ?? "proposed") !== "proposed") {
    return blocked(
      [
        problem(
          "record.not-proposed",
          `${path} has status ${request.status}; only a proposed request can be granted (status and grant are written by the app)`,
        ),
      ],
      issueNumber,
    );
  }
  // A bundle entry (permission set, managed policy) is granted as it is, with no policy of its own.
  if (!request.policy && !bundleOf(config, request))
    return blocked([problem("merge.no-policy", `${path} has no policy; the pull request check adds one before review`)], issueNumber);

  // The request's number names the issue (or PR) it came from; its human author is the requester.
  if (f.origin === undefined) return need({ fact: "origin", issue: issueNumber });
  const originAuthor = f.origin?.author;
  if (!f.origin || originAuthor?.type !== "User" || originAuthor.login.toLowerCase() !== request.requester.toLowerCase()) {
    return blocked(
      [
        problem(
          "merge.requester-mismatch",
          `request ${request.id} names requester ${request.requester}, but #${issueNumber} was opened by ${originAuthor?.login ?? "nobody"}; a request is granted only to the person who asked`,
        ),
      ],
      issueNumber,
    );
  }

  const plan = planRequest(f.catalogue, { request, config, accountId: parsed.value.account.id, now: f.now, durationSeconds: parsed.value.durationSeconds });
  if (!plan.verdict.ok) return blocked(plan.verdict.errors, issueNumber);

  // Approvals: the reviews, CODEOWNERS at the pre-merge tip, and the reviewers' team memberships.
  if (!f.approvals) return need({ fact: "approvals", at: baseSha });
  const { reviews } = f.approvals;
  const picked = pickCodeowners(f.approvals.codeowners);
  const parsedOwners = picked ? parseCodeowners(picked.text, picked.path) : undefined;
  const ownersAt = (p: string) => (parsedOwners && picked ? { ...ownersOf(parsedOwners, p), source: picked.path } : undefined);
  const codeowners = ownersAt(path);
  // A request in several accounts needs the owners of every account's folder, as if it were filed
  // under each: the approval must satisfy each account's rule, never only the folder it is under.
  const otherOwners = (plan.accounts ?? []).slice(1).map((a) => ownersAt(accountFolderPath(path, a.account.alias ?? a.account.id)));
  // A catalogue entry's approvers and count replace the global ones.
  const approvalConfig = approvalConfigFor(config, request);
  const teams = [...new Set([codeowners, ...otherOwners].flatMap((c) => candidateTeams(approvalConfig, c)))];
  if (!f.teams && teams.length) {
    const reviewers = [...new Set(reviews.filter((r) => r.state === "APPROVED" && r.user?.login).map((r) => r.user!.login))];
    return need({ fact: "teams", teams, reviewers });
  }
  // Who may ask is read only when the account or the catalogue entry says who may.
  if (f.eligibility === undefined && eligibilityRules(config, request).length) return need({ fact: "eligibility", config, request });
  const prTips = f.tips;
  const approvalInput = (owners: typeof codeowners): ApprovalInput => ({
    pr: {
      number: pr.number,
      author: pr.author,
      headSha: pr.headSha,
      merged: pr.merged,
      mergeCommitSha: mergeSha,
      baseSha,
      ...(pr.changedFiles !== undefined ? { changedFiles: pr.changedFiles } : {}),
    },
    files,
    requestFile: { path, headBlobSha, mergeBlobSha: atMerge.sha },
    request: { requester: request.requester, risk: plan.verdict.risk },
    commits: prTips.commits.map((c) => ({
      sha: c.sha,
      author: c.author ? { login: c.author.login, isBot: c.author.type === "Bot" } : null,
      committer: c.committer ? { login: c.committer.login, isBot: c.committer.type === "Bot" } : null,
    })),
    reviews,
    config: approvalConfig,
    ...(owners ? { codeowners: owners } : {}),
    teamMembers: f.teams ?? {},
    ...(f.eligibility ? { eligibility: f.eligibility } : {}),
  });
  const decision = allApproved([verifyApproval(approvalInput(codeowners)), ...otherOwners.map((o) => verifyApproval(approvalInput(o)))]);
  // A merge the app made itself (auto-approval, break-glass) stands on its claim, verified again;
  // the approval rules that are not about reviews still apply to it.
  if (f.claim === undefined && pr.mergedBy && f.appLogin && pr.mergedBy.toLowerCase() === f.appLogin.toLowerCase())
    return need({
      fact: "claim",
      at: baseSha,
      input: {
        mergedBy: pr.mergedBy,
        appLogin: f.appLogin,
        mergeSha,
        config,
        request,
        path,
        risk: plan.verdict.risk,
        files,
        headBlob: headBlobSha,
        mergeBlob: atMerge.sha,
        issueAuthor: originAuthor.login,
        durationSeconds: parsed.value.durationSeconds,
        now: f.now,
      },
    });
  const claim: ClaimDecision = f.claim ?? { kind: "none" };
  const unreviewed = decision.failures.filter((x) => !REVIEW_CODES.has(x.code));
  if (claim.kind === "approved" && unreviewed.length) return blocked(unreviewed, issueNumber);
  if (claim.kind === "refused" && !decision.ok) return blocked([...claim.problems, ...decision.failures], issueNumber);
  if (claim.kind !== "approved" && !decision.ok) return blocked(decision.failures, issueNumber);

  // Deterministic across duplicate deliveries: the expiry counts from the merge, never later — or
  // from starts_at, the window the approvers saw. A start still ahead is recorded `scheduled` and
  // granted by the sweep once it has come; one that has come by now is granted at once, until its
  // approved end.
  const start = request.starts_at !== undefined ? new Date(request.starts_at) : pr.mergedAt ? new Date(pr.mergedAt) : f.now;
  const duration = parseDuration(request.duration, "merge.duration-invalid");
  if (!duration.ok) return blocked(duration.problems, issueNumber);
  const expiresAt = isoSeconds(new Date(start.getTime() + duration.value * 1000));
  const startsLater = request.starts_at !== undefined && start.getTime() > f.now.getTime();
  if (Date.parse(expiresAt) <= f.now.getTime() + 60_000)
    return blocked([problem("merge.too-late", `the request would expire at ${expiresAt}, before it could be used; open a new request`)], issueNumber);

  // Duplicate delivery: the record on the default branch already says what happened.
  if (onMain && recordStatus(onMain.text) !== "proposed")
    return { kind: "already", reason: `${request.id} is already ${recordStatus(onMain.text)}`, effects: [] };
  const policy = plan.policy;
  if (!policy) return blocked([problem("merge.no-policy", `${path} has no policy to grant`)], issueNumber);
  return {
    kind: "approved",
    grant: {
      config,
      request,
      path,
      issueNumber,
      account: { id: parsed.value.account.id, ...(parsed.value.account.alias ? { alias: parsed.value.account.alias } : {}) },
      policy,
      ...(plan.accounts && plan.accounts.length > 1 ? { accounts: grantAccounts(plan.accounts) } : {}),
      risk: plan.verdict.risk,
      approvedBy: claim.kind === "approved" ? claim.approvedBy : decision.approvedBy,
      expiresAt,
      ...(startsLater ? { startsAt: isoSeconds(start) } : {}),
      now: f.now,
      mergeSha,
      ...(claim.kind === "approved" ? { claim } : {}),
    },
  };
}

export { accountFolderPath };

/** One decision that holds only when every account's does: every failure, each said once. */
function allApproved(decisions: ApprovalDecision[]): ApprovalDecision {
  const [first, ...rest] = decisions;
  if (!first || rest.length === 0) return first as ApprovalDecision;
  const failures = decisions.flatMap((d) => d.failures).filter((f, i, all) => all.findIndex((g) => g.code === f.code && g.message === f.message) === i);
  return {
    ...first,
    ok: decisions.every((d) => d.ok),
    approvedBy: [...new Set(decisions.flatMap((d) => d.approvedBy))].sort(),
    required: Math.max(...decisions.map((d) => d.required)),
    failures,
    notes: [...new Set(decisions.flatMap((d) => d.notes))],
  };
}

/** Each account's part of an approved grant in several accounts, primary first. */
function grantAccounts(parts: AccountPlan[]): NonNullable<ApprovedGrant["accounts"]> {
  return parts.map((p) => ({
    account: { id: p.account.id, ...(p.account.alias ? { alias: p.account.alias } : {}) },
    request: p.request,
    policy: p.plan.policy,
  }));
}
