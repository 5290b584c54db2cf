// What a merge's outcome tells and records, as effects (pure): "Granted", "Not granted" and
// "Grant failed" on the PR and the issue with their state label, the channels' events, and the
// record changes on the default branch — `active`, `rejected` with the rules' codes, `failed`.
import { codesOf, describeProblem, ok, type Result } from "../domain/problems.js";
import { commitMessage, recordGrant, recordGrantFailed, recordRejected, recordScheduled } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import type { AccessRequest, Config, GrantRecord, Problem, ProblemCode, ScheduledRecord } from "../domain/types.js";
import type { Effect } from "../lifecycle/effects.js";
import type { GrantResult } from "../aws/types.js";
import { storedAws } from "../aws/plan.js";
import type { ApprovedGrant, MergedPr } from "./grant-types.js";
import { MARKER, quote } from "./messages.js";
import { isoSeconds } from "../domain/time.js";

/**
 * The grant's record: the proposal on the default branch becomes `active`, with who approved, the
 * merge, the expiry and the AWS resources, and `Risk:` among its trailers. Decided again on what is
 * there (compare-and-swap); a record that moved on is skipped ("already …").
 */
export function activeRecord(pr: Pick<MergedPr, "number" | "mergeCommitSha">, g: ApprovedGrant, result: GrantResult): Extract<Effect, { kind: "record" }> {
  const { config, path, request, expiresAt } = g;
  const grant: GrantRecord = {
    approved_by: g.approvedBy,
    merge_commit: g.mergeSha,
    pr: pr.number,
    granted_at: result.grantedAt,
    expires_at: expiresAt,
    aws: storedAws(result),
    ...g.claim?.grant,
  };
  return {
    kind: "record",
    path,
    summary: `grant until ${expiresAt}`,
    update: (current) => {
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
          ...g.claim?.trailers,
        }),
      };
    },
  };
}

/**
 * A merge approved for a later start: the proposal becomes `scheduled`, with who approved, the
 * merge and the window; nothing is attached. Compare-and-swap like the grant's record.
 */
export function scheduledRecord(pr: Pick<MergedPr, "number" | "mergeCommitSha">, g: ApprovedGrant & { startsAt: string }): Extract<Effect, { kind: "record" }> {
  const { config, path, request, expiresAt, startsAt } = g;
  const scheduled: ScheduledRecord = {
    approved_by: g.approvedBy,
    merge_commit: g.mergeSha,
    pr: pr.number,
    approved_at: isoSeconds(g.now),
    starts_at: startsAt,
    expires_at: expiresAt,
    risk: g.risk,
    ...g.claim?.grant,
  };
  return {
    kind: "record",
    path,
    summary: `schedule from ${startsAt} until ${expiresAt}`,
    update: (current) => {
      if (!current) return { kind: "skip", reason: "the request file is not on the default branch" };
      const cur = parseRequestFile(current.text, { file: path, config });
      if (!cur.ok) return { kind: "skip", reason: "the request file on the default branch is invalid" };
      if ((cur.value.request.status ?? "proposed") !== "proposed") return { kind: "skip", reason: `already ${cur.value.request.status}` };
      const next = recordScheduled(cur.value.request, scheduled);
      if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
      return {
        kind: "write",
        text: dumpRequest(next.value, `Written by jit-access. Approved in pull request #${pr.number}; the sweep grants it at ${startsAt}.`),
        message: commitMessage(
          `jit-access: schedule ${request.id} from ${startsAt} until ${expiresAt}`,
          `Merged in ${pr.mergeCommitSha}; risk ${g.risk}. Nothing is attached until the start.`,
          {
            "Request-Id": request.id,
            "Approved-By": g.approvedBy,
            "Starts-At": startsAt,
            "Expires-At": expiresAt,
            Risk: g.risk,
            ...g.claim?.trailers,
          },
        ),
      };
    },
  };
}

/** The "Scheduled" comment and state on the PR and the issue; idempotent (upserted by marker). */
export function scheduledEffects(
  numbers: number[],
  s: { requester: string; account: string; startsAt: string; expiresAt: string; approvedBy: string[] },
): Effect[] {
  const body = [
    MARKER.grant,
    `🕒 **Approved for a later start** for ${quote(s.requester)} in account ${s.account}: from **${s.startsAt}** until **${s.expiresAt}** (approved by ${s.approvedBy.map((a) => quote(a)).join(", ")}).`,
    "",
    "Nothing is attached yet. The expiry sweep grants it once the start has come (on its first run after it) and it ends at the time above however late it starts; the rules and the approvals are checked again at the start. `/revoke` cancels it.",
  ].join("\n");
  return [...new Set(numbers)].flatMap((n): Effect[] => [
    { kind: "comment", issue: n, marker: MARKER.grant, body },
    { kind: "state", issue: n, state: "scheduled" },
  ]);
}

/** What a grant recorded `active` tells: "Granted" on the PR and the issue, and the channels. */
export function grantAnnouncement(
  pr: Pick<MergedPr, "number" | "htmlUrl">,
  g: ApprovedGrant,
  result: Pick<GrantResult, "resources" | "scheduleNote">,
): Effect[] {
  return [
    ...grantedEffects([pr.number, g.issueNumber], {
      requester: g.request.requester,
      account: (g.accounts ?? [g]).map((a) => a.account.alias ?? a.account.id).join(", "),
      expiresAt: g.expiresAt,
      approvedBy: g.approvedBy,
      resources: result.resources,
      ...(result.scheduleNote ? { scheduleNote: result.scheduleNote } : {}),
    }),
    {
      kind: "notify",
      event: {
        kind: "granted",
        request: g.request,
        approvedBy: g.approvedBy,
        expiresAt: g.expiresAt,
        risk: g.risk,
        ...(pr.htmlUrl ? { links: { pr: pr.htmlUrl } } : {}),
      },
    },
  ];
}

/**
 * A record a pull request rewrote, put back on the default branch as it was before the merge —
 * only while the file is still what the merge left (`mergedSha`), so a later change is not undone.
 * Not best effort: a restore that cannot be written fails the delivery, which is redelivered.
 */
export function restoredRecord(
  pr: Pick<MergedPr, "number">,
  path: string,
  before: { text: string; status: string; id?: string },
  mergedSha: string | undefined,
): Effect {
  return {
    kind: "record",
    path,
    summary: `restore the ${before.status} record`,
    update: (current) => {
      if (current?.text === before.text) return { kind: "skip", reason: "already restored" };
      if (!current || current.sha !== mergedSha) return { kind: "skip", reason: "the file changed again after the merge" };
      return {
        kind: "write",
        text: before.text,
        message: commitMessage(
          `jit-access: restore the record of ${before.id ?? path}`,
          `Pull request #${pr.number} changed the ${before.status} record; records are written by jit-access only.`,
          { "Request-Id": before.id ?? path },
        ),
      };
    },
  };
}

/** The "Granted" comment and state on the PR and the issue; idempotent (upserted by marker). */
export function grantedEffects(
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
export function failedEffects(numbers: number[], reason: string): Effect[] {
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

/**
 * A refused merge's record: the proposal becomes `rejected`, with the reasons and the first
 * rule's code in `closed`, and one `Rule:` trailer per code. Only a proposed, readable file is
 * changed; a failure to write does not stop the refusal being said (best effort).
 */
export function rejectedRecord(pr: Pick<MergedPr, "number">, r: { config: Config; path: string; at: string; reasons: string[]; codes: ProblemCode[] }): Effect {
  const reason = shorten(`Pull request #${pr.number} was merged but not granted: ${r.reasons.join("; ")}`);
  return closeProposal(r.config, r.path, `reject (${r.codes.join(", ") || "no code"})`, (request) => {
    const next = recordRejected(request, { at: r.at, reason, ...(r.codes[0] ? { code: r.codes[0] } : {}) });
    if (!next.ok) return next;
    return ok({
      request: next.value,
      message: commitMessage(`jit-access: reject ${request.id}`, reason, { "Request-Id": request.id, "Closed-By": "jit-access", Rule: r.codes }),
    });
  });
}

/** A grant that failed and was rolled back: `failed`, with the code of the failure. */
export function failedRecord(
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
