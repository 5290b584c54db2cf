// Merge → grant. A merged pull request that adds one request file is granted only after the app
// has re-read the file at the merge commit, re-run the pipeline and verified the approvals itself
// (branch protection is not trusted alone). The grant is recorded as a commit on the default
// branch; if the record cannot be written the grant is rolled back, so no access exists in AWS
// without a record in git.
import { backoffCeiling, fullJitter } from "../backoff.js";
import { isoSeconds } from "../domain/time.js";
import type { ProbotOctokit } from "probot";
import {
  candidateTeams,
  checkChangedFiles,
  preMergeTips,
  verifyApproval,
  type ChangedFile,
  type CommitFacts,
  type PreMergeTips,
  type Review,
  type TeamMember,
} from "../domain/approvals.js";
import { CONFIG_PATH } from "../domain/config.js";
import { CODEOWNERS_LOCATIONS, ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { parseDuration } from "../domain/duration.js";
import { commitMessage, recordGrant, recordGrantFailed, recordRejected as recordRejectedRecord, recordStatus } from "../domain/records.js";
import { codesOf, describeProblem, ok, problem, type Result } from "../domain/problems.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import type { AccessRequest, Config, GrantRecord, Problem, ProblemCode, RiskTier } from "../domain/types.js";
import { storedAws } from "../aws/plan.js";
import { GrantError } from "../aws/grants.js";
import type { Grants } from "../aws/types.js";
import { loadCatalogue } from "../iam-data.js";
import type { Notifier } from "../notify/types.js";
import { planRequest } from "../policy/pipeline.js";
import { updateRecord } from "../store/record-store.js";
import { MARKER, quote } from "./messages.js";
import { runEffects, type Effect, type EffectPorts } from "../lifecycle/effects.js";
import type { AccessRepo, PrCommit } from "../lifecycle/ports.js";
import type { StoredFile } from "../store/record-store.js";
import { OctokitAccessRepo } from "./access-repo.js";
import type { RepoRef } from "./octokit-helpers.js";
import { loadRepoConfig } from "./repo-config.js";

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
}

export interface GrantDeps {
  grantsFor: (config: Config) => Grants;
  now: () => Date;
  notifierFor?: (config: Config) => Notifier;
}

export type GrantOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "already"; reason: string }
  | { kind: "blocked"; reasons: string[]; codes: ProblemCode[]; recorded?: string }
  | { kind: "failed"; reason: string; recorded?: string }
  | { kind: "granted"; id: string; expiresAt: string; resources: string[] };

/** Reads files at one commit. */
type FileReader = { read(path: string): Promise<StoredFile | undefined> };

// One grant per request at a time within this process; the record's compare-and-swap covers the rest.
const inFlight = new Map<string, Promise<GrantOutcome>>();

export function handleMergedPr(octokit: ProbotOctokit, repo: RepoRef, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome> {
  return grantMergedOnce(new OctokitAccessRepo(octokit, repo), pr, deps);
}

/** The merge → grant use case against any AccessRepo, one at a time per pull request. */
export function grantMergedOnce(access: AccessRepo, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome> {
  const key = `${access.fullName}#${pr.number}`;
  const running = inFlight.get(key);
  if (running) return running.then(() => ({ kind: "already", reason: "a concurrent delivery handled this merge" }) as const);
  const p = grantMerged(access, pr, deps).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** A merge judged grantable: everything the grant, its record and its announcement need. */
interface ApprovedGrant {
  config: Config;
  request: AccessRequest;
  path: string;
  issueNumber: number;
  account: { id: string; alias?: string };
  policy: NonNullable<AccessRequest["policy"]>;
  risk: RiskTier;
  approvedBy: string[];
  expiresAt: string;
  now: Date;
  mergeSha: string;
}

/** Gather the facts, decide (src/domain, src/policy), execute the grant, announce it. */
async function grantMerged(access: AccessRepo, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome> {
  const judged = await judgeMerge(access, pr, deps);
  return judged.kind === "approved" ? executeGrant(access, pr, deps, judged.grant) : judged;
}

const portsFor = (access: AccessRepo, deps: GrantDeps, config?: Config): EffectPorts => ({
  access,
  ...(config && deps.notifierFor ? { alerts: deps.notifierFor(config) } : {}),
});

/**
 * Gathers the facts of a merge through the port and decides with the pure core; a refusal (or a
 * replay) is said and recorded here, through effects. "approved" carries what the grant needs.
 */
async function judgeMerge(access: AccessRepo, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome | { kind: "approved"; grant: ApprovedGrant }> {
  if (!pr.merged || !pr.mergeCommitSha) return { kind: "ignored", reason: "not merged" };
  const mergeSha = pr.mergeCommitSha;
  const listed = await access.prFiles(pr.number);
  if (!listed.some((f) => f.path.startsWith("access-requests/"))) return { kind: "ignored", reason: "touches no request file" };

  // Filled in as the merge is judged: the config, so that a refused merge can be recorded, and
  // the request, so that refusals after that point are also notified.
  const about: { config?: Config; request?: AccessRequest; path?: string; record?: boolean } = {};
  const ports = (config?: Config): EffectPorts => portsFor(access, deps, config);
  const blocked = async (problems: Problem[], issue?: number): Promise<GrantOutcome> => {
    const done = await runEffects(refusalEffects({ pr, problems, at: isoSeconds(deps.now()), ...(issue ? { issue } : {}), ...about }), ports(about.config));
    return { kind: "blocked", reasons: problems.map(describeProblem), codes: codesOf(problems), ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  };

  const files: ChangedFile[] = listed.map((f) => ({ path: f.path, status: f.status, previousPath: f.previousPath }));
  const fileProblem = checkChangedFiles(files, pr.changedFiles);
  if (fileProblem) return blocked([fileProblem]);
  const path = files[0]!.path;
  const headBlobSha = listed[0]!.sha ?? "";

  // The rules (config, CODEOWNERS) and the record are judged as the default branch stood just
  // before the merge — never at the payload's base.sha, which GitHub sets when the PR was opened or
  // last updated, so rules tightened since (an approver removed, denied_actions added) would be
  // missed. preMergeTips says where that was for every merge method; when it cannot tell, or
  // names more than one candidate and they disagree, nothing is granted.
  const prCommits = await access.prCommits(pr.number);
  const located = await locatePreMergeTips(access, mergeSha, pr.headSha, prCommits);
  if (located.kind !== "tips")
    return blocked([
      problem(
        located.kind === "unknown" ? (located.code ?? "merge.tip-unknown") : "merge.tip-unknown",
        located.kind === "unknown" ? located.reason : "the default branch's commit before the merge cannot be determined",
      ),
    ]);
  const tips = located.tips;
  const tipStores = tips.map((sha): FileReader => ({ read: (p) => access.readAt(p, sha) }));
  const fingerprints = await Promise.all(tipStores.map((st) => rulesFingerprint(st)));
  if (new Set(fingerprints).size > 1) {
    return blocked([
      problem(
        "merge.rules-ambiguous",
        `the merge (${located.method}) leaves ${tips.length} candidates for the default branch's commit before it (${tips.map((t) => t.slice(0, 7)).join(", ")}), and ${CONFIG_PATH} or CODEOWNERS differ between them, so the rules to judge by are ambiguous; nothing is granted — open a new pull request and merge it with a merge commit or squash`,
      ),
    ]);
  }
  const baseSha = tips[0] as string;
  const baseStore = tipStores[0] as FileReader;
  const cfg = await loadRepoConfig(baseStore);
  if (!cfg.ok) return blocked(cfg.problems.map((p) => ({ ...p, path: "" })));
  const config = cfg.value;
  about.config = config;
  about.path = path;
  const mainStore = access;

  // A pull request that edits a request file which was already a record
  // (active, expired, revoked, …) before the merge rewrites the audit trail — e.g. someone strips
  // status/grant from another user's active request and widens it, or pushes a later expires_at
  // while keeping status: active. Records are written by the app only: refuse, and put the record
  // as it was before the merge back on the default branch (compare-and-swap: only if nothing has
  // changed it since the merge), so records and AWS agree again. Read at every candidate
  // pre-merge tip: a multi-commit rebase must not hide the record behind its own earlier commits.
  const befores = await Promise.all(tipStores.map((st) => recordAt(st, path)));
  const before = befores.find((b) => b !== undefined && b.status !== "proposed");
  if (before) {
    const restored = await updateRecord(mainStore, path, (current) => {
      if (current?.text === before.text) return { kind: "skip", reason: "already restored" };
      if (!current || current.sha !== atMergeSha(listed)) return { kind: "skip", reason: "the file changed again after the merge" };
      return {
        kind: "write",
        text: before.text,
        message: commitMessage(
          `jit-access: restore the record of ${before.id ?? path}`,
          `Pull request #${pr.number} changed the ${before.status} record; records are written by jit-access only.`,
          { "Request-Id": before.id ?? path },
        ),
      };
    }).catch((e: unknown) => ({ kind: "skipped" as const, reason: e instanceof Error ? e.message : String(e) }));
    const what =
      restored.kind === "written" || restored.reason === "already restored"
        ? "The record was restored on the default branch."
        : `Restore the record by hand (${restored.reason}).`;
    return blocked([
      problem(
        "record.rewritten",
        `this pull request changes ${path}, the record of a request that is already ${before.status}; status, grant and closed are written by jit-access only, and a record is never re-proposed. ${what} To extend or change access, open a new request.`,
      ),
    ]); // said on this PR only: the owner's issue keeps its Granted comment
  }

  // A replayed merge delivery of a request the app already granted is not judged again (checked
  // after the record-rewrite guard above, so that a PR cannot claim a merge): judged after the
  // expiry, or after an approver left their team, it would say "Not granted" about access that
  // is (or was) live. The record on the default branch names the merge it was granted from.
  const recorded = await mainStore.read(path);
  const recordedReq = recorded ? parseRequestFile(recorded.text, { file: path, config }) : undefined;
  if (
    recordedReq?.ok &&
    (recordedReq.value.request.status ?? "proposed") !== "proposed" &&
    recordedReq.value.request.grant?.merge_commit === pr.mergeCommitSha
  ) {
    const r = recordedReq.value.request;
    const g = r.grant!;
    // A delivery that failed after the record was written (e.g. a 5xx on the comment) is
    // redelivered: say "Granted" now, from the record, if the grant is still active.
    if (r.status === "active") {
      const schedule = g.aws?.schedule;
      await runEffects(
        grantedEffects([pr.number, Number(r.id.split("-")[0])], {
          requester: r.requester,
          account: r.account,
          expiresAt: g.expires_at,
          approvedBy: g.approved_by,
          resources: g.aws?.resources ?? [],
          ...(schedule && !schedule.startsWith("jit-access/") ? { scheduleNote: schedule } : {}),
        }),
        ports(),
      );
    }
    return { kind: "already", reason: `${r.id} is already ${r.status}` };
  }

  // From here on the file on the default branch is a proposal that arrived with this merge (a
  // record rewritten by the PR was restored above): a refusal is recorded in it.
  about.record = true;
  const atMerge = await access.readAt(path, mergeSha);
  if (!atMerge) return blocked([problem("merge.file-missing", `${path} is not in the merge commit ${pr.mergeCommitSha.slice(0, 7)}`)]);
  const parsed = parseRequestFile(atMerge.text, { file: path, config });
  if (!parsed.ok) return blocked(parsed.problems);
  const request = parsed.value.request;
  Object.assign(about, { config, request });
  const issueNumber = Number(request.id.split("-")[0]);
  if (parsed.value.example) return blocked([problem("merge.example", `${path} is an example; examples are never granted`)], issueNumber);
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
  if (!request.policy) return blocked([problem("merge.no-policy", `${path} has no policy; the pull request check adds one before review`)], issueNumber);

  // The request's number names the issue (or PR) it came from; its human author is the requester.
  const origin = await access.issue(issueNumber);
  const originAuthor = origin?.author;
  if (!origin || originAuthor?.type !== "User" || originAuthor.login.toLowerCase() !== request.requester.toLowerCase()) {
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

  const now = deps.now();
  const plan = planRequest(loadCatalogue(), { request, config, accountId: parsed.value.account.id, now, durationSeconds: parsed.value.durationSeconds });
  if (!plan.verdict.ok) return blocked(plan.verdict.errors, issueNumber);

  // Approvals, with the data fetched here and the decision made in src/domain/approvals.ts.
  const reviews = await access.reviews(pr.number);
  const codeownersFiles = await Promise.all(CODEOWNERS_LOCATIONS.map(async (p) => ({ path: p, text: (await baseStore.read(p))?.text })));
  const picked = pickCodeowners(codeownersFiles);
  const codeowners = picked ? { ...ownersOf(parseCodeowners(picked.text, picked.path), path), source: picked.path } : undefined;
  const teamMembers = await fetchTeamMembers(access, candidateTeams(config, codeowners), reviews);
  const decision = verifyApproval({
    pr: {
      number: pr.number,
      author: pr.author,
      headSha: pr.headSha,
      merged: pr.merged,
      mergeCommitSha: pr.mergeCommitSha,
      baseSha,
      ...(pr.changedFiles !== undefined ? { changedFiles: pr.changedFiles } : {}),
    },
    files,
    requestFile: { path, headBlobSha, mergeBlobSha: atMerge.sha },
    request: { requester: request.requester, risk: plan.verdict.risk },
    commits: prCommits.map((c) => ({
      sha: c.sha,
      author: c.author ? { login: c.author.login, isBot: c.author.type === "Bot" } : null,
      committer: c.committer ? { login: c.committer.login, isBot: c.committer.type === "Bot" } : null,
    })),
    reviews,
    config,
    codeowners,
    teamMembers,
  });
  if (!decision.ok) return blocked(decision.failures, issueNumber);

  // Deterministic across duplicate deliveries: the expiry counts from the merge, never later.
  const start = pr.mergedAt ? new Date(pr.mergedAt) : now;
  const duration = parseDuration(request.duration, "merge.duration-invalid");
  if (!duration.ok) return blocked(duration.problems, issueNumber);
  const expiresAt = isoSeconds(new Date(start.getTime() + duration.value * 1000));
  if (Date.parse(expiresAt) <= now.getTime() + 60_000)
    return blocked([problem("merge.too-late", `the request would expire at ${expiresAt}, before it could be used; open a new request`)], issueNumber);

  // Duplicate delivery: the record on the default branch already says what happened.
  const onMain = await mainStore.read(path);
  if (onMain && recordStatus(onMain.text) !== "proposed") return { kind: "already", reason: `${request.id} is already ${recordStatus(onMain.text)}` };
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
      risk: plan.verdict.risk,
      approvedBy: decision.approvedBy,
      expiresAt,
      now,
      mergeSha,
    },
  };
}

/**
 * The grant, one transaction: attach in AWS, then record `active` with compare-and-swap; if the
 * record cannot be written, take the grant back. Then the announcement, as effects.
 */
async function executeGrant(access: AccessRepo, pr: MergedPr, deps: GrantDeps, g: ApprovedGrant): Promise<GrantOutcome> {
  const { config, request, path, issueNumber, expiresAt, now } = g;
  const mainStore = access;
  const ports = (c?: Config): EffectPorts => portsFor(access, deps, c);
  const grants = deps.grantsFor(config);
  let result;
  try {
    result = await grants.grant(request, g.policy, expiresAt, pr.htmlUrl ? { prUrl: pr.htmlUrl } : {});
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (e instanceof GrantError && e.leftOver.length) {
      // The rollback could not remove everything: access may exist without a record. Never answer
      // that as done: the delivery fails, so a redelivery grants and records (or rolls back again),
      // and meanwhile the policy's own expiry and the sweep's reconcile bound what is left.
      await runEffects(failedEffects([pr.number, issueNumber], `the grant in AWS failed and its rollback did not finish: ${reason}`), ports());
      throw new Error(`grant of ${request.id} failed and its rollback left resources in AWS: ${reason}`, { cause: e });
    }
    // Rolled back cleanly: the record says `failed`, final. A redelivery of this merge then
    // answers "already failed" instead of granting: the approvals were given for a grant at the
    // merge, and a failed record that a later delivery could still turn active would let access be
    // attached long after, under rules that may have changed. Once the cause is fixed, a new
    // request (and new approvals) grants it.
    // The rollback undoes only what this call created; an earlier delivery that crashed midway
    // may have left the request's policy attached. A final `failed` must mean nothing in AWS, so
    // everything of this request is removed first — and if that fails, nothing is recorded and the
    // delivery fails, to be redelivered (as when the rollback itself did not finish).
    try {
      await retried(() => grants.revoke({ requestId: request.id, mode: config.aws.mode, accountId: g.account.id }), 3);
    } catch (cleanup) {
      await runEffects(
        failedEffects([pr.number, issueNumber], `the grant in AWS failed and removing what earlier attempts left did not finish: ${reason}`),
        ports(),
      );
      throw new Error(`grant of ${request.id} failed and what earlier attempts left in AWS could not be removed: ${reason}`, { cause: cleanup });
    }
    const done = await runEffects(
      [
        failedRecord(pr, {
          config,
          path,
          at: isoSeconds(now),
          reason: `the grant in AWS failed and was rolled back: ${reason}`,
          code: "aws.grant-failed",
          risk: g.risk,
        }),
        ...failedEffects([pr.number, issueNumber], `the grant in AWS failed and was rolled back: ${reason}`),
        { kind: "notify", event: { kind: "failed", request, reason: "the grant in AWS failed and was rolled back" } },
      ],
      ports(config),
    );
    return { kind: "failed", reason, ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  }

  const grant: GrantRecord = {
    approved_by: g.approvedBy,
    merge_commit: g.mergeSha,
    pr: pr.number,
    granted_at: result.grantedAt,
    expires_at: expiresAt,
    aws: storedAws(result),
  };
  try {
    await updateRecord(mainStore, path, (current) => {
      if (!current) return { kind: "skip", reason: "the request file is not on the default branch" };
      const cur = parseRequestFile(current.text, { file: path, config });
      if (!cur.ok) return { kind: "skip", reason: "the request file on the default branch is invalid" };
      if ((cur.value.request.status ?? "proposed") !== "proposed") return { kind: "skip", reason: `already ${cur.value.request.status}` };
      const next = recordGrant(cur.value.request, grant);
      if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
      return {
        kind: "write",
        text: dumpRequest(next.value, `Written by jit-access. Granted from pull request #${pr.number}.`),
        message: commitMessage(`jit-access: grant ${request.id} until ${expiresAt}`, `Merged in ${pr.mergeCommitSha}; risk ${g.risk}.`, {
          "Request-Id": request.id,
          "Approved-By": g.approvedBy,
          "Expires-At": expiresAt,
          "Aws-Resource": result.resources,
          Risk: g.risk,
        }),
      };
    }).then((o) => {
      if (o.kind === "skipped" && !o.reason.startsWith("already")) throw new Error(o.reason);
    });
  } catch (e) {
    // No record, no access: take the grant back before saying anything. The revoke is retried, so
    // one throttling burst outlasting the SDK's retries does not leave the policy attached with the
    // record still `proposed`.
    await retried(() => grants.revoke(result), 3);
    const reason = `the grant could not be recorded (${e instanceof Error ? e.message : String(e)}), so it was revoked again`;
    // Best effort: the store that refused the grant's record may accept this one.
    const done = await runEffects(
      [
        failedRecord(pr, { config, path, at: isoSeconds(now), reason, code: "record.write-failed", risk: g.risk }),
        ...failedEffects([pr.number, issueNumber], reason),
        { kind: "notify", event: { kind: "failed", request, reason: "the grant could not be recorded and was revoked" } },
      ],
      ports(config),
    );
    return { kind: "failed", reason, ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  }

  await runEffects(
    [
      ...grantedEffects([pr.number, issueNumber], {
        requester: request.requester,
        account: g.account.alias ?? g.account.id,
        expiresAt,
        approvedBy: g.approvedBy,
        resources: result.resources,
        ...(result.scheduleNote ? { scheduleNote: result.scheduleNote } : {}),
      }),
      {
        kind: "notify",
        event: { kind: "granted", request, approvedBy: g.approvedBy, expiresAt, risk: g.risk, ...(pr.htmlUrl ? { links: { pr: pr.htmlUrl } } : {}) },
      },
    ],
    ports(config),
  );
  return { kind: "granted", id: request.id, expiresAt, resources: result.resources };
}

/** The "Granted" comment and state on the PR and the issue; idempotent (upserted by marker). */
function grantedEffects(
  numbers: number[],
  g: { requester: string; account: string; expiresAt: string; approvedBy: string[]; resources: string[]; scheduleNote?: string },
): Effect[] {
  const body = [
    MARKER.grant,
    `✅ **Granted** to ${quote(g.requester)} in account ${g.account} until **${g.expiresAt}** (approved by ${g.approvedBy.map((a) => quote(a)).join(", ")}).`,
    "",
    `AWS resources: ${g.resources.map((r) => `\`${r}\``).join(", ")}.`,
    g.scheduleNote ? `\nNote: ${quote(g.scheduleNote, 500)}` : `\nAn EventBridge Scheduler schedule removes it at the expiry; \`/revoke\` ends it earlier.`,
  ].join("\n");
  return [...new Set(numbers)].flatMap((n): Effect[] => [
    { kind: "comment", issue: n, marker: MARKER.grant, body },
    { kind: "state", issue: n, state: "active" },
  ]);
}

/** The "Grant failed" comment and state on the PR and the issue. */
function failedEffects(numbers: number[], reason: string): Effect[] {
  const body = [
    MARKER.grant,
    `⚠️ **Grant failed.** ${quote(reason, 800)}`,
    "",
    "No access is attached. Fix the cause and open a new request; this one is recorded as failed.",
  ].join("\n");
  return [...new Set(numbers)].flatMap((n): Effect[] => [
    { kind: "comment", issue: n, marker: MARKER.grant, body },
    { kind: "state", issue: n, state: "failed" },
  ]);
}

/**
 * A refused merge, decided: the proposal on the default branch recorded `rejected` (when it reached
 * it as a proposal: otherwise it would stay `proposed` there forever), the channels told (once the
 * request is known), and "Not granted" with the state `blocked` on the PR and the issue. Pure.
 */
export function refusalEffects(r: {
  pr: Pick<MergedPr, "number">;
  problems: Problem[];
  issue?: number;
  at: string;
  config?: Config;
  request?: AccessRequest;
  path?: string;
  record?: boolean;
}): Effect[] {
  const reasons = r.problems.map(describeProblem);
  const codes = codesOf(r.problems);
  const out: Effect[] = [];
  if (r.record && r.config && r.path) out.push(rejectedRecord(r.pr, { config: r.config, path: r.path, at: r.at, reasons, codes }));
  if (r.config && r.request) out.push({ kind: "notify", event: { kind: "blocked", request: r.request, reasons } });
  const body = [
    MARKER.grant,
    "⛔ **Not granted.** The merge was not turned into access because:",
    "",
    ...reasons.map((x) => `- ${quote(x, 600)}`),
    "",
    "Nothing was attached in AWS. Open a new request once this is fixed.",
  ].join("\n");
  for (const n of new Set([r.pr.number, ...(r.issue ? [r.issue] : [])])) {
    out.push({ kind: "comment", issue: n, marker: MARKER.grant, body }, { kind: "state", issue: n, state: "blocked" });
  }
  return out;
}

/** Team memberships for the reviewers only: that is all verifyApproval needs to know. */
export async function fetchTeamMembers(access: AccessRepo, teams: string[], reviews: Review[]): Promise<Record<string, TeamMember[]>> {
  const reviewers = [...new Set(reviews.filter((r) => r.state === "APPROVED" && r.user?.login).map((r) => r.user!.login))];
  const out: Record<string, TeamMember[]> = {};
  for (const team of teams) {
    const [org, slug] = team.slice(1).split("/") as [string, string];
    out[team] = [];
    for (const login of reviewers) {
      const state = await access.teamMembership(org, slug, login);
      if (state) out[team].push({ login, state });
    }
  }
  return out;
}

async function retried<T>(fn: () => Promise<T>, attempts: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      // Jittered: concurrent deliveries rolling back after one throttling burst do not retry in step.
      await new Promise((r) => setTimeout(r, fullJitter(backoffCeiling(200, 2_000, i - 1))));
    }
  }
}

/** The request file at a commit, with its status and id (undefined when absent). */
async function recordAt(store: FileReader, path: string): Promise<{ text: string; status: string; id?: string } | undefined> {
  const file = await store.read(path);
  if (!file) return undefined;
  const id = /^id:\s*'?([0-9]+-[a-z0-9-]+)'?\s*$/m.exec(file.text)?.[1];
  return { text: file.text, status: recordStatus(file.text), ...(id ? { id } : {}) };
}

/** Blob shas of the config and every CODEOWNERS location at a commit: equal means the same rules. */
export async function rulesFingerprint(store: FileReader): Promise<string> {
  const files = await Promise.all([CONFIG_PATH, ...CODEOWNERS_LOCATIONS].map(async (p) => (await store.read(p))?.sha ?? "-"));
  return files.join(" ");
}

/** Fetches what {@link preMergeTips} asks for: the merge commit, then first parents as needed. */
export async function locatePreMergeTips(access: AccessRepo, mergeSha: string, headSha: string, listed: PrCommit[]): Promise<PreMergeTips> {
  const prCommits: CommitFacts[] = listed.map((c) => ({ sha: c.sha, parents: c.parents, message: c.message, author: c.gitAuthor }));
  const chain: CommitFacts[] = [];
  for (;;) {
    const r = preMergeTips({ mergeSha, headSha, prCommits, firstParents: chain });
    if (r.kind !== "more") return r;
    const had = chain.length;
    while (chain.length < r.need) {
      const next = chain.length === 0 ? mergeSha : chain[chain.length - 1]?.parents[0];
      if (!next) break;
      chain.push(await access.commit(next));
    }
    if (chain.length === had)
      return {
        kind: "unknown",
        reason: `the default branch's history before merge commit ${mergeSha.slice(0, 7)} ends too early to find the commit before the merge; nothing is granted`,
      };
  }
}

/** The blob sha of the PR's one request file at its head (equal at the merge when nothing slipped in). */
function atMergeSha(listed: ReadonlyArray<{ sha: string | null }>): string | undefined {
  return listed[0]?.sha ?? undefined;
}

/**
 * A refused merge's record: the proposal becomes `rejected`, with the reasons and the first
 * rule's code in `closed`, and one `Rule:` trailer per code. Only a proposed, readable file is
 * changed; a failure to write does not stop the refusal being said (best effort).
 */
function rejectedRecord(pr: Pick<MergedPr, "number">, r: { config: Config; path: string; at: string; reasons: string[]; codes: ProblemCode[] }): Effect {
  const reason = shorten(`Pull request #${pr.number} was merged but not granted: ${r.reasons.join("; ")}`);
  return closeProposal(r.config, r.path, `reject (${r.codes.join(", ") || "no code"})`, (request) => {
    const next = recordRejectedRecord(request, { at: r.at, reason, ...(r.codes[0] ? { code: r.codes[0] } : {}) });
    if (!next.ok) return next;
    return ok({
      request: next.value,
      message: commitMessage(`jit-access: reject ${request.id}`, reason, { "Request-Id": request.id, "Closed-By": "jit-access", Rule: r.codes }),
    });
  });
}

/** A grant that failed and was rolled back: `failed`, with the code of the failure. */
function failedRecord(
  pr: Pick<MergedPr, "mergeCommitSha">,
  r: { config: Config; path: string; at: string; reason: string; code: ProblemCode; risk: string },
): Effect {
  const reason = shorten(r.reason);
  return closeProposal(r.config, r.path, `fail (${r.code})`, (request) => {
    const next = recordGrantFailed(request, { at: r.at, reason, code: r.code });
    if (!next.ok) return next;
    return ok({
      request: next.value,
      message: commitMessage(`jit-access: fail ${request.id}`, `Merged in ${pr.mergeCommitSha}. ${reason}`, {
        "Request-Id": request.id,
        "Closed-By": "jit-access",
        Risk: r.risk,
        Rule: [r.code],
      }),
    });
  });
}

function closeProposal(
  config: Config,
  path: string,
  summary: string,
  close: (request: AccessRequest) => Result<{ request: AccessRequest; message: string }>,
): Effect {
  return {
    kind: "record",
    path,
    summary,
    bestEffort: true,
    update: (current) => {
      if (!current) return { kind: "skip", reason: "the request file is not on the default branch" };
      const cur = parseRequestFile(current.text, { file: path, config });
      if (!cur.ok || cur.value.example) return { kind: "skip", reason: "the request file on the default branch is not a readable request" };
      if ((cur.value.request.status ?? "proposed") !== "proposed") return { kind: "skip", reason: `already ${cur.value.request.status}` };
      const next = close(cur.value.request);
      if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
      return { kind: "write", text: dumpRequest(next.value.request, "Written by jit-access."), message: next.value.message };
    },
  };
}

/** closed.reason holds at most 1000 characters (the schema's limit). */
function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 1000 ? `${flat.slice(0, 999)}…` : flat;
}
