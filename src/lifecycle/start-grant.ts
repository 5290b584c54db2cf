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
import { storedAws } from "../aws/plan.js";
import type { GrantResult, Grants } from "../aws/types.js";
import { approvalConfigFor } from "../domain/access-catalogue.js";
import { describeProblem, problem } from "../domain/problems.js";
import { commitMessage, recordExpired, recordRejected, recordStarted } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import { startDecision } from "../domain/scheduled-start.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config, GrantRecord, Problem, ProblemCode, RiskTier, ScheduledRecord } from "../domain/types.js";
import type { Notifier as Alerts } from "../notify/types.js";
import type { Catalogue } from "../policy/catalogue.js";
import { planRequest } from "../policy/pipeline.js";
import { updateRecord, type RecordStore, type StoredFile } from "../store/record-store.js";
import { errorText } from "./close-grant.js";

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
}

export interface StartGrant {
  file: string;
  id?: string;
  at: Date;
  /** The Closed-By trailer of a record closed unstarted. */
  by: string;
}

export type StartStep = "check" | "grant" | "record";

export type StartOutcome =
  /** Granted and recorded `active` by this call. */
  | { kind: "started"; request: AccessRequest; expiresAt: string; resources: string[]; commit: string; told: boolean; githubError?: string }
  /** Closed without access: the window passed before it started (expired), or the rules now refuse it (rejected). */
  | { kind: "closed"; status: "expired" | "rejected"; code: ProblemCode; problems: Problem[]; commit: string }
  /** Nothing to do: not yet due, no longer scheduled, or another writer got there first. */
  | { kind: "skipped"; problem: Problem; removed: string[] }
  /** A step failed; the record stays scheduled and the next sweep tries again (until its window passes). */
  | { kind: "failed"; step: StartStep; problem: Problem };

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
): { ok: true; policy: AccessRequest["policy"] & object } | { ok: false; problems: Problem[] } {
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
  return { ok: true, policy: plan.policy };
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

    step = "grant";
    const { request, scheduled } = read.value;
    const result = await ports.grants.grant(request, rules.policy, decision.expiresAt);

    step = "record";
    const grant: GrantRecord = {
      approved_by: scheduled.approved_by,
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
      await ports.grants.revoke(result).catch(() => undefined);
      throw e;
    }
    if (written.kind === "skipped") {
      // Started by a concurrent sweep: the same grant, left as it is. Cancelled or closed
      // meanwhile: what this call attached is taken back.
      if (written.reason.startsWith("already started")) return { kind: "skipped", problem: problem("record.conflict", written.reason), removed: [] };
      const removed = (await ports.grants.revoke(result)).removed;
      return { kind: "skipped", problem: problem("record.conflict", `granted, then taken back: ${written.reason}`), removed };
    }

    const started = recordedRequest(request, grant);
    await ports.alerts?.notify({ kind: "granted", request: started, approvedBy: grant.approved_by, expiresAt: grant.expires_at, risk: scheduled.risk });
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
    const code: ProblemCode = step === "grant" ? "aws.grant-failed" : step === "record" ? "record.write-failed" : "record.read-failed";
    return { kind: "failed", step, problem: problem(code, errorText(e)) };
  }
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

/** A scheduled request closed without access: `expired` (window missed) or `rejected` (refused by the rules now). */
async function closeUnstarted(
  ports: StartGrantPorts,
  input: StartGrant,
  at: string,
  status: "expired" | "rejected",
  code: ProblemCode,
  problems: Problem[],
  scheduled: ScheduledRecord,
): Promise<StartOutcome> {
  const reasons = problems.map(describeProblem);
  const reason = shorten(
    status === "expired" ? reasons.join("; ") : `not started at ${at}: the rules as they are now refuse it (${reasons.join("; ")}); nothing was granted`,
  );
  const rules = [...new Set([code, ...problems.map((p) => p.code)])];
  let closedRequest: AccessRequest | undefined;
  const written = await updateRecord(ports.store, input.file, (file) => {
    if (!file) return { kind: "skip", reason: "the request file is gone" };
    const read = readScheduled(file.text, input.file, ports.config, input.id);
    if (!read.ok) return { kind: "skip", reason: read.problem.message };
    if (read.value.scheduled.merge_commit !== scheduled.merge_commit) return { kind: "skip", reason: "the record changed" };
    const closed = { at, reason, code };
    const next = status === "expired" ? recordExpired(read.value.request, closed) : recordRejected(read.value.request, closed);
    if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
    closedRequest = next.value;
    return {
      kind: "write",
      text: dumpRequest(next.value, "Written by jit-access."),
      message: commitMessage(`jit-access: ${status === "expired" ? "expire" : "reject"} ${read.value.request.id} unstarted`, reason, {
        "Request-Id": read.value.request.id,
        "Closed-By": input.by,
        Rule: rules,
      }),
    };
  });
  if (written.kind === "skipped") return { kind: "skipped", problem: problem("record.conflict", written.reason), removed: [] };
  if (closedRequest) {
    await ports.alerts?.notify({ kind: "rejected", request: closedRequest, code, reason });
    await ports.github?.notStarted({ request: closedRequest, at, code, reason }).catch(() => undefined);
  }
  return { kind: "closed", status, code, problems, commit: written.result.commit };
}

/** closed.reason holds at most 1000 characters (the schema's limit). */
function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 1000 ? `${flat.slice(0, 999)}…` : flat;
}
