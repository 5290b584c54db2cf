// Starting a scheduled grant, the one path for the sweep: re-read the record (still scheduled, and
// has its start come?), judge it again on the rules as they are now, grant in AWS through the same
// Grants port as a merge (the policy stamped with the approved expiry), then record `active` with
// compare-and-swap — and only the writer of the record tells anyone.
//
// Never early: the start is decided on the record as re-read, by startDecision (the later of the
// request's starts_at and the approval's), at the caller's clock; the AWS grant ends at the
// approved expires_at whenever it starts. Safe to run twice at once (two sweeps, a rerun): the
// grant in AWS is idempotent (one policy or permission set per request, by name), and the
// compare-and-swap lets one writer record `active`; the other finds it started and leaves what is
// attached alone, since it is the same grant. A record cancelled (`/revoke`) or closed between the
// grant and the write has what was attached taken back. Safe to crash anywhere: until the record
// says `active` it stays scheduled and the next sweep starts it again (finding the grant there).
//
// The approval is judged again too (domain/start-approval.ts): the approvers recorded at the merge
// must still be approvers under CODEOWNERS, the config and the teams as they are now, enough of
// them for the rules now, and the requester still eligible. What cannot be read (a team lookup, a
// CODEOWNERS read) grants nothing this sweep: it stays scheduled, and a window that passes meanwhile
// ends `expired` (record.start-missed). A grant AWS refuses for good (the principal is gone, access
// denied, a quota) is rolled back and recorded `failed`; one AWS may still accept (throttled, a 5xx,
// a lost response) is tried again by the next sweep, within the window.
import { storedAws } from "../aws/plan.js";
import type { GrantResult, Grants } from "../aws/types.js";
import { approvalConfigFor, eligibilityRules } from "../domain/access-catalogue.js";
import { CODEOWNERS_LOCATIONS, ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { describeProblem, problem } from "../domain/problems.js";
import { commitMessage, recordExpired, recordGrantFailed, recordRejected, recordStarted } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import { startDecision } from "../domain/scheduled-start.js";
import { accountFolderPath, judgeStartApproval, startApprovalTeams, type StartApprovalInput } from "../domain/start-approval.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config, GrantRecord, Problem, ProblemCode, RiskTier, ScheduledRecord } from "../domain/types.js";
import type { Notifier as Alerts } from "../notify/types.js";
import type { Catalogue } from "../policy/catalogue.js";
import { planRequest, type AccountPlan } from "../policy/pipeline.js";
import { updateRecord, type RecordStore, type StoredFile } from "../store/record-store.js";
import { errorText } from "./close-grant.js";
import { fetchEligibility } from "./eligibility.js";
import type { AccessRepo } from "./ports.js";
import { revokeInAccounts, targetsOf } from "./revoke-accounts.js";
import { grantInAccounts } from "./grant-accounts.js";

/** What GitHub is told when a scheduled request starts or is closed unstarted. Must be idempotent. */
export interface StartAnnouncer {
  started(event: StartedEvent): Promise<void>;
  notStarted(event: NotStartedEvent): Promise<void>;
}

export interface StartedEvent {
  request: AccessRequest;
  at: string;
  expiresAt: string;
  resources: string[];
}

export interface NotStartedEvent {
  request: AccessRequest;
  at: string;
  code: ProblemCode;
  reason: string;
}

export interface StartGrantPorts {
  store: RecordStore;
  config: Config;
  grants: Grants;
  /** The IAM catalogue the rules are judged with (iam-data's loadCatalogue). */
  catalogue: Catalogue;
  alerts?: Alerts;
  github?: StartAnnouncer;
  /**
   * Team memberships, to judge the approval again at the start. Throws when it cannot tell (a
   * team that cannot be read); absent: a start whose rules name a team is not started (retried).
   */
  teams?: Pick<AccessRepo, "teamMembership">;
  /** The web address of the request's pull request, tagged on what the grant creates (as at the merge). */
  pullUrl?: (pr: number) => string;
}

export interface StartGrant {
  file: string;
  id?: string;
  at: Date;
  /** The Closed-By trailer of a record closed unstarted. */
  by: string;
}

export type StartStep = "check" | "approval" | "grant" | "record";

export type StartOutcome =
  /** Granted and recorded `active` by this call. */
  | { kind: "started"; request: AccessRequest; expiresAt: string; resources: string[]; commit: string; told: boolean; githubError?: string }
  /**
   * Closed without access: the window passed before it started (expired), the rules now refuse it
   * (rejected), or AWS refused the grant for good and it was rolled back (failed).
   */
  | { kind: "closed"; status: "expired" | "rejected" | "failed"; code: ProblemCode; problems: Problem[]; commit: string }
  /** Nothing to do: not yet due, no longer scheduled, or another writer got there first. */
  | { kind: "skipped"; problem: Problem; removed: string[] }
  /** A step failed; the record stays scheduled and the next sweep tries again (until its window passes). */
  | { kind: "failed"; step: StartStep; problem: Problem };

/** The code of a start not made because the approval could not be judged again (a read failed); retried. */
export const START_UNVERIFIED: ProblemCode = "approval.start-unverified";

/** The code a scheduled request is closed with when the rules at its start refuse it. */
export const START_REFUSED: ProblemCode = "record.start-refused";
/** The code a scheduled request is closed with when its window passed before it was started. */
export const START_MISSED: ProblemCode = "record.start-missed";

const TIER: Record<RiskTier, number> = { low: 1, medium: 2, high: 3 };

/** A record read for a start: the request as written, and what the rules as they are now say about it. */
interface Read {
  request: AccessRequest;
  scheduled: ScheduledRecord;
  /** The rules' problems with the file as it is now (config changed since the approval, or an edited record). */
  problems: Problem[];
  accountId?: string;
  durationSeconds?: number;
}

function readScheduled(text: string, file: string, config: Config, id: string | undefined): { ok: true; value: Read } | { ok: false; problem: Problem } {
  const parsed = parseRequestFile(text, { file, config });
  const request = parsed.ok ? parsed.value.request : parsed.request;
  if (!request)
    return { ok: false, problem: problem("record.invalid", `${file} cannot be read: ${parsed.ok ? "" : parsed.problems.map((p) => p.message).join("; ")}`) };
  if (id !== undefined && request.id !== id) return { ok: false, problem: problem("record.id-mismatch", `${file} now holds ${request.id}, not ${id}`) };
  if (request.status !== "scheduled") return { ok: false, problem: problem("record.not-scheduled", `already ${request.status ?? "proposed"}`) };
  if (!request.scheduled) return { ok: false, problem: problem("record.not-scheduled", `${file} is scheduled but has no scheduled approval`) };
  return {
    ok: true,
    value: {
      request,
      scheduled: request.scheduled,
      problems: parsed.ok ? [] : parsed.problems,
      ...(parsed.ok ? { accountId: parsed.value.account.id, durationSeconds: parsed.value.durationSeconds } : {}),
    },
  };
}

/**
 * The rules as they are at the start: the file read with today's config, the pipeline (guardrails,
 * allowed services, denied actions, the account's limits), and the risk — a start judged riskier
 * than the approval was is refused, since fewer approvals may have been given than it now needs.
 */
function rulesAtStart(
  r: Read,
  ports: StartGrantPorts,
  at: Date,
  expiresAt: string,
): { ok: true; policy: AccessRequest["policy"] & object; risk: RiskTier; accounts: AccountPlan[]; accountIds: string[] } | { ok: false; problems: Problem[] } {
  if (r.problems.length || r.accountId === undefined || r.durationSeconds === undefined) return { ok: false, problems: r.problems };
  const remaining = Math.max(1, Math.floor((Date.parse(expiresAt) - at.getTime()) / 1000));
  const plan = planRequest(ports.catalogue, { request: r.request, config: ports.config, accountId: r.accountId, now: at, durationSeconds: remaining });
  if (!plan.verdict.ok) return { ok: false, problems: plan.verdict.errors };
  const risk = plan.verdict.risk;
  if (TIER[risk] > TIER[r.scheduled.risk]) {
    const needed = approvalConfigFor(ports.config, r.request).required_approvals[risk];
    return {
      ok: false,
      problems: [
        problem(
          "approval.start-risk-raised",
          `the request is judged ${risk} risk at its start, but was approved as ${r.scheduled.risk} (${r.scheduled.approved_by.join(", ")}); ${risk} needs ${needed} approval(s) under the rules now — open a new request`,
        ),
      ],
    };
  }
  const accounts = plan.accounts ?? [];
  return { ok: true, policy: plan.policy, risk, accounts, accountIds: accounts.length > 1 ? accounts.map((a) => a.account.id) : [r.accountId] };
}

export async function startScheduled(ports: StartGrantPorts, input: StartGrant): Promise<StartOutcome> {
  const at = isoSeconds(input.at);
  let step: StartStep = "check";
  try {
    const current = await ports.store.read(input.file);
    if (!current) return { kind: "skipped", problem: problem("record.missing", "the request file is gone"), removed: [] };
    const read = readScheduled(current.text, input.file, ports.config, input.id);
    if (!read.ok) return { kind: "skipped", problem: read.problem, removed: [] };
    const decision = startDecision({ ...read.value.request, scheduled: read.value.scheduled }, input.at);
    if (decision.kind === "wait") return { kind: "skipped", problem: problem("record.not-due", `starts at ${decision.startsAt}`), removed: [] };

    if (decision.kind === "missed") {
      const reason = `the approved window (${read.value.scheduled.starts_at} to ${decision.expiresAt}) passed before the sweep started it; nothing was granted — open a new request if the access is still needed`;
      return closeUnstarted(ports, input, at, "expired", START_MISSED, [problem(START_MISSED, reason)], read.value.scheduled);
    }

    const rules = rulesAtStart(read.value, ports, input.at, decision.expiresAt);
    if (!rules.ok) return closeUnstarted(ports, input, at, "rejected", START_REFUSED, rules.problems, read.value.scheduled);

    step = "approval";
    const approval = await approvalAtStart(ports, input.file, read.value, rules);
    if (!approval.ok) return closeUnstarted(ports, input, at, "rejected", START_REFUSED, approval.problems, read.value.scheduled);

    step = "grant";
    const { request, scheduled } = read.value;
    let result: GrantResult;
    try {
      // Several accounts: all of them or none, as at the merge (grantInAccounts revokes the accounts
      // granted before a failing one).
      const parts = rules.accounts.length > 1 ? rules.accounts.map((p) => ({ request: p.request, policy: p.plan.policy })) : undefined;
      const meta = scheduled.pr !== undefined && ports.pullUrl ? { prUrl: ports.pullUrl(scheduled.pr) } : {};
      result = parts
        ? await grantInAccounts(ports.grants, parts, decision.expiresAt, meta)
        : await ports.grants.grant(request, rules.policy, decision.expiresAt, meta);
    } catch (e) {
      return await grantFailed(ports, input, at, read.value, rules.accountIds, decision.expiresAt, e);
    }

    step = "record";
    const grant: GrantRecord = {
      approved_by: approval.approvedBy,
      merge_commit: scheduled.merge_commit,
      ...(scheduled.pr !== undefined ? { pr: scheduled.pr } : {}),
      granted_at: result.grantedAt,
      expires_at: decision.expiresAt,
      aws: storedAws(result),
      ...(scheduled.auto_approval ? { auto_approval: scheduled.auto_approval } : {}),
      ...(scheduled.break_glass ? { break_glass: scheduled.break_glass } : {}),
    };
    let written;
    try {
      written = await updateRecord(ports.store, input.file, (file) => startUpdate(file, input, ports.config, scheduled, grant, result));
    } catch (e) {
      // No record, no access: take the grant back; the record stays scheduled and is started again.
      await revokeInAccounts(ports.grants, targetsOf(result)).catch(() => undefined);
      throw e;
    }
    if (written.kind === "skipped") {
      // Started by a concurrent sweep: the same grant, left as it is. Cancelled or closed
      // meanwhile: what this call attached is taken back.
      if (written.reason.startsWith("already started")) return { kind: "skipped", problem: problem("record.conflict", written.reason), removed: [] };
      const removed = (await revokeInAccounts(ports.grants, targetsOf(result))).removed;
      return { kind: "skipped", problem: problem("record.conflict", `granted, then taken back: ${written.reason}`), removed };
    }

    const started = recordedRequest(request, grant);
    await ports.alerts?.notify({
      kind: "granted",
      request: started,
      approvedBy: grant.approved_by,
      expiresAt: grant.expires_at,
      risk: scheduled.risk,
      scheduledFrom: scheduled.starts_at,
    });
    const outcome: StartOutcome = {
      kind: "started",
      request: started,
      expiresAt: decision.expiresAt,
      resources: result.resources,
      commit: written.result.commit,
      told: false,
    };
    if (ports.github) {
      try {
        await ports.github.started({ request: started, at, expiresAt: decision.expiresAt, resources: result.resources });
        outcome.told = true;
      } catch (e) {
        outcome.githubError = errorText(e);
      }
    }
    return outcome;
  } catch (e) {
    const code: ProblemCode =
      step === "grant" ? "aws.grant-failed" : step === "record" ? "record.write-failed" : step === "approval" ? START_UNVERIFIED : "record.read-failed";
    return { kind: "failed", step, problem: problem(code, errorText(e)) };
  }
}

/**
 * The approval recorded at the merge, judged on the rules at the start: CODEOWNERS on the default
 * branch now (for every account's folder), the approvers' team memberships now, the requester's
 * eligibility now. Throws when any of it cannot be read: nothing is granted this sweep.
 */
async function approvalAtStart(
  ports: StartGrantPorts,
  file: string,
  r: Read,
  rules: { risk: RiskTier; accounts: AccountPlan[] },
): Promise<{ ok: true; approvedBy: string[] } | { ok: false; problems: Problem[] }> {
  const { request, scheduled } = r;
  const teams: Pick<AccessRepo, "teamMembership"> = ports.teams ?? {
    teamMembership: (org, team) =>
      Promise.reject(new Error(`@${org}/${team}'s members cannot be read by this sweep (run it with a GitHub token that may read the organization's teams)`)),
  };
  const candidates: Array<{ path: string; text: string | undefined }> = [];
  for (const path of CODEOWNERS_LOCATIONS) {
    const text = (await ports.store.read(path))?.text;
    candidates.push({ path, text });
    if (text !== undefined) break;
  }
  const picked = pickCodeowners(candidates);
  const parsed = picked ? parseCodeowners(picked.text, picked.path) : undefined;
  const paths = [file, ...rules.accounts.slice(1).map((a) => accountFolderPath(file, a.account.alias ?? a.account.id))];
  const owners = paths.map((path) => ({ path, codeowners: parsed && picked ? { ...ownersOf(parsed, path), source: picked.path } : undefined }));
  const base: Omit<StartApprovalInput, "teamMembers" | "eligibility"> = {
    requester: request.requester,
    scheduled,
    risk: rules.risk,
    config: approvalConfigFor(ports.config, request),
    policies: ports.config,
    owners,
  };
  const teamMembers: Record<string, Array<{ login: string; state: "active" | "pending" }>> = {};
  for (const team of startApprovalTeams(base)) {
    const [org = "", slug = ""] = team.slice(1).split("/");
    const members: Array<{ login: string; state: "active" | "pending" }> = [];
    for (const login of scheduled.approved_by) {
      const state = await teams.teamMembership(org, slug, login);
      if (state) members.push({ login, state });
    }
    teamMembers[team] = members;
  }
  const eligibility = eligibilityRules(ports.config, request).length ? await fetchEligibility(teams, ports.config, request) : undefined;
  return judgeStartApproval({ ...base, teamMembers, ...(eligibility ? { eligibility } : {}) });
}

/** How a grant AWS refused is handled: tried again next sweep, or closed `failed`. */
export type GrantErrorClass = "retryable" | "permanent";

/** AWS error names that say the call may succeed if made again. */
const RETRYABLE_NAMES = new Set([
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "ServiceFailure",
  "ServiceFailureException",
  "InternalFailure",
  "InternalServerException",
  "InternalError",
  "ConflictException",
  "ConcurrentModification",
  "ConcurrentModificationException",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Whether a grant that failed may succeed on another sweep: throttling, a 5xx, a lost response or a
 * dropped connection may; anything else (NoSuchEntity, AccessDenied, LimitExceeded, an unmapped
 * identity, standing access) will not until someone changes something. A rollback that did not
 * finish is retryable: the record must not say `failed` while access may be left.
 */
export function grantErrorClass(error: unknown): GrantErrorClass {
  if (error && typeof error === "object" && "leftOver" in error && Array.isArray(error.leftOver) && error.leftOver.length) return "retryable";
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === "object" && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const x = e as { name?: unknown; code?: unknown; $retryable?: unknown; $metadata?: { httpStatusCode?: unknown }; $fault?: unknown };
    if (x.$retryable) return "retryable";
    if (typeof x.name === "string" && RETRYABLE_NAMES.has(x.name)) return "retryable";
    if (typeof x.code === "string" && RETRYABLE_NAMES.has(x.code)) return "retryable";
    const status = x.$metadata?.httpStatusCode;
    if (typeof status === "number" && (status >= 500 || status === 429)) return "retryable";
    if (x.$fault === "server") return "retryable";
  }
  return "permanent";
}

/** The code a failed grant is recorded with: the identity mapping's own, standing access, else aws.grant-failed. */
function failureCode(error: unknown): ProblemCode {
  for (let e: unknown = error, i = 0; e && typeof e === "object" && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const x = e as { name?: unknown; code?: unknown };
    if (x.name === "StandingAccessError") return "aws.standing-access";
    if (x.name === "IdentityMappingError" && typeof x.code === "string" && x.code.startsWith("aws.")) return x.code as ProblemCode;
  }
  return "aws.grant-failed";
}

/** The error's message, naming the AWS error it came from (e.g. NoSuchEntityException) when the message does not. */
function awsErrorText(error: unknown): string {
  const text = errorText(error);
  const seen = new Set<unknown>();
  for (let e: unknown = error; e && typeof e === "object" && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const x = e as { name?: unknown; $metadata?: unknown };
    if (x.$metadata !== undefined && typeof x.name === "string" && x.name !== "Error") return text.includes(x.name) ? text : `${text} (AWS error ${x.name})`;
  }
  return text;
}

/**
 * A grant AWS refused at the start. Retryable: stays scheduled for the next sweep. Permanent:
 * everything of the request is removed (an earlier attempt may have attached something), then the
 * record says `failed` naming the AWS error; if the removal fails, it stays scheduled instead, so a
 * `failed` record always means nothing in AWS.
 */
async function grantFailed(
  ports: StartGrantPorts,
  input: StartGrant,
  at: string,
  r: Read,
  accountIds: string[],
  expiresAt: string,
  error: unknown,
): Promise<StartOutcome> {
  const reason = awsErrorText(error);
  if (grantErrorClass(error) === "retryable")
    return {
      kind: "failed",
      step: "grant",
      problem: problem("aws.grant-failed", `${reason}; tried again at the next sweep, while the window lasts (until ${expiresAt})`),
    };
  try {
    await revokeInAccounts(
      ports.grants,
      accountIds.map((accountId) => ({ requestId: r.request.id, mode: ports.config.aws.mode, accountId })),
    );
  } catch (cleanup) {
    return {
      kind: "failed",
      step: "grant",
      problem: problem(
        "aws.grant-failed",
        `${reason}; removing what the attempt left did not finish (${errorText(cleanup)}), so it stays scheduled and is tried again`,
      ),
    };
  }
  const code = failureCode(error);
  const text = `not started at ${at}: the grant in AWS failed and was rolled back (${reason}); fix the cause and open a new request`;
  return closeUnstarted(ports, input, at, "failed", code, [problem(code, text)], r.scheduled);
}

function recordedRequest(request: AccessRequest, grant: GrantRecord): AccessRequest {
  return { ...request, status: "active", grant };
}

/** The `active` record, decided again on what is there (compare-and-swap). */
function startUpdate(file: StoredFile | undefined, input: StartGrant, config: Config, scheduled: ScheduledRecord, grant: GrantRecord, result: GrantResult) {
  if (!file) return { kind: "skip" as const, reason: "the request file is gone" };
  const parsed = parseRequestFile(file.text, { file: input.file, config });
  const now = parsed.ok ? parsed.value.request : parsed.request;
  if (!now) return { kind: "skip" as const, reason: "the request file can no longer be read" };
  if (now.status === "active" && now.grant?.merge_commit === scheduled.merge_commit) return { kind: "skip" as const, reason: "already started by another run" };
  if (now.status !== "scheduled" || now.scheduled?.merge_commit !== scheduled.merge_commit)
    return { kind: "skip" as const, reason: `the record is ${now.status ?? "proposed"} now` };
  if (!parsed.ok) return { kind: "skip" as const, reason: `the record changed: ${parsed.problems.map(describeProblem).join("; ")}` };
  const next = recordStarted(now, grant);
  if (!next.ok) return { kind: "skip" as const, reason: next.problems.map(describeProblem).join("; ") };
  return {
    kind: "write" as const,
    text: dumpRequest(next.value, "Written by jit-access. Started by the sweep at its scheduled time."),
    message: commitMessage(
      `jit-access: start ${now.id} until ${grant.expires_at}`,
      `Scheduled from ${scheduled.starts_at}, approved in ${scheduled.merge_commit}; started by ${input.by} at ${grant.granted_at}.`,
      {
        "Request-Id": now.id,
        "Approved-By": grant.approved_by,
        "Starts-At": scheduled.starts_at,
        "Expires-At": grant.expires_at,
        "Aws-Resource": result.resources,
        Risk: scheduled.risk,
      },
    ),
  };
}

/** A scheduled request closed without access: `expired` (window missed), `rejected` (refused by the rules now) or `failed` (AWS refused the grant). */
async function closeUnstarted(
  ports: StartGrantPorts,
  input: StartGrant,
  at: string,
  status: "expired" | "rejected" | "failed",
  code: ProblemCode,
  problems: Problem[],
  scheduled: ScheduledRecord,
): Promise<StartOutcome> {
  const reasons = problems.map(describeProblem);
  const reason = shorten(
    status === "rejected" ? `not started at ${at}: the rules as they are now refuse it (${reasons.join("; ")}); nothing was granted` : reasons.join("; "),
  );
  const rules = [...new Set([code, ...problems.map((p) => p.code)])];
  let closedRequest: AccessRequest | undefined;
  const written = await updateRecord(ports.store, input.file, (file) => {
    if (!file) return { kind: "skip", reason: "the request file is gone" };
    const read = readScheduled(file.text, input.file, ports.config, input.id);
    if (!read.ok) return { kind: "skip", reason: read.problem.message };
    if (read.value.scheduled.merge_commit !== scheduled.merge_commit) return { kind: "skip", reason: "the record changed" };
    const closed = { at, reason, code };
    const next = (status === "expired" ? recordExpired : status === "failed" ? recordGrantFailed : recordRejected)(read.value.request, closed);
    if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
    closedRequest = next.value;
    return {
      kind: "write",
      text: dumpRequest(next.value, "Written by jit-access."),
      message: commitMessage(
        `jit-access: ${status === "expired" ? "expire" : status === "failed" ? "fail" : "reject"} ${read.value.request.id} unstarted`,
        reason,
        {
          "Request-Id": read.value.request.id,
          "Closed-By": input.by,
          Rule: rules,
        },
      ),
    };
  });
  if (written.kind === "skipped") return { kind: "skipped", problem: problem("record.conflict", written.reason), removed: [] };
  if (closedRequest) {
    await ports.alerts?.notify(
      status === "failed" ? { kind: "failed", request: closedRequest, reason } : { kind: "rejected", request: closedRequest, code, reason },
    );
    await ports.github?.notStarted({ request: closedRequest, at, code, reason }).catch(() => undefined);
  }
  return { kind: "closed", status, code, problems, commit: written.result.commit };
}

/** closed.reason holds at most 1000 characters (the schema's limit). */
function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 1000 ? `${flat.slice(0, 999)}…` : flat;
}
