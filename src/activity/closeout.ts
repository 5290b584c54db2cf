// After a grant is closed (expired or revoked) and its record written: look up what the holder
// did (src/aws/activity.ts), summarise it against the grant's policy (src/domain/activity.ts),
// add `activity:` to the closed record in a second compare-and-swap commit, and say it on the
// issue (src/notify/activity-comment.ts). It runs after the revoke and never fails it: every
// error ends as an "unavailable" record and comment, or, if even that cannot be written, in the
// returned outcome for the caller's log.
import { consoleEventsUrl, lookupActivity, type ActivityLookup, type ActivityOptions, type ActivityTarget, type LookupClient } from "../aws/activity.js";
import { resolveTarget } from "../aws/plan.js";
import type { PrincipalRef } from "../aws/types.js";
import { activityRecord, activityUnavailable, paddingMs, summariseActivity } from "../domain/activity.js";
import { fail, problem, type Result } from "../domain/problems.js";
import { commitMessage } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, ActivityRecord, Config, Problem } from "../domain/types.js";
import { activityComment } from "../notify/activity-comment.js";
import type { Catalogue } from "../policy/catalogue.js";
import { updateRecord, type RecordStore } from "../store/record-store.js";

export interface CloseoutDeps {
  config: Config;
  catalogue: Catalogue;
  store: RecordStore;
  /** A CloudTrail client for the grant's account (see activityClients); may throw. */
  clientFor: (accountId: string, requestId: string) => LookupClient | Promise<LookupClient>;
  /** Posts the comment on the request's issue; its failure is reported, not thrown. */
  post?: (issueNumber: number, body: string) => Promise<void>;
  now: () => Date;
  lookupOptions?: Omit<ActivityOptions, "paddingMs" | "now">;
}

export type CloseoutOutcome =
  | { kind: "disabled" }
  | { kind: "skipped"; reason: string }
  | { kind: "done"; record: ActivityRecord; comment: string; commit?: string; notRecorded?: string; notPosted?: string };

const CLOSED = new Set(["expired", "revoked"]);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The CloudTrail window and principal of a closed grant, or why there is none. */
function targetOf(config: Config, request: AccessRequest): Result<ActivityTarget & { principal: PrincipalRef }> {
  const grant = request.grant;
  const closed = request.closed;
  if (!grant || !closed) return fail(problem("record.activity-not-closed", `${request.id} has no grant and closed record, so there is no window to look up`));
  const resolved = resolveTarget(config, request);
  if (!resolved.ok) return fail(problem("aws.activity-principal", `${request.id}: ${resolved.message.replace(/; nothing was granted$/, "")}; its activity cannot be looked up`));
  const accountId = grant.aws?.account_id ?? resolved.value.account.id;
  return {
    ok: true,
    value: { requestId: request.id, accountId, region: config.aws.region, partition: config.aws.partition, principal: resolved.value.principal, from: grant.granted_at, to: closed.at },
  };
}

/**
 * Looks up, records and posts the activity of the closed grant recorded at `path` (which must
 * still hold request `id`, expired or revoked). Never throws.
 */
export async function closeoutActivity(deps: CloseoutDeps, path: string, id: string): Promise<CloseoutOutcome> {
  try {
    return await run(deps, path, id);
  } catch (e) {
    return { kind: "skipped", reason: `activity look-up failed unexpectedly: ${errorText(e)}` };
  }
}

async function run(deps: CloseoutDeps, path: string, id: string): Promise<CloseoutOutcome> {
  const { config } = deps;
  if (!config.activity.enabled) return { kind: "disabled" };
  const file = await deps.store.read(path);
  if (!file) return { kind: "skipped", reason: `${path} is gone` };
  const parsed = parseRequestFile(file.text, { file: path, config });
  if (!parsed.ok) return { kind: "skipped", reason: `${path} is not a valid request file` };
  const request = parsed.request;
  if (request.id !== id) return { kind: "skipped", reason: `${path} holds ${request.id}, not ${id}` };
  if (!CLOSED.has(request.status ?? "")) return { kind: "skipped", reason: `${request.id} is ${request.status ?? "proposed"}, not closed` };
  if (request.activity?.status === "summarised") return { kind: "skipped", reason: "its activity is already recorded" };
  const lookedUpAt = isoSeconds(deps.now());
  const target = targetOf(config, request);
  let record: ActivityRecord;
  let comment: string;
  const issue = Number(request.id.split("-")[0]);
  if (!target.ok) {
    record = activityUnavailable(target.problems[0]?.code ?? "aws.activity-unavailable", lookedUpAt);
    comment = activityComment({ request, principal: { kind: "iam_user", name: request.principal ?? request.requester }, accountId: request.grant?.aws?.account_id ?? request.account, region: config.aws.region, outcome: { ok: false, problems: target.problems } });
  } else {
    const t = target.value;
    const padding = paddingMs(config.activity.lookback_padding);
    const looked = await lookup(deps, t, padding.ok ? padding.value : 0);
    const query = looked.ok ? looked.value.query : undefined;
    const consoleUrl = consoleEventsUrl(config.aws.partition, t.region, query ?? queryOf(t.principal), looked.ok ? looked.value.window : { from: t.from, to: t.to });
    const base = { request, principal: t.principal, accountId: t.accountId, region: t.region, consoleUrl };
    if (!looked.ok) {
      record = activityUnavailable(looked.problems[0]?.code ?? "aws.activity-unavailable", lookedUpAt);
      comment = activityComment({ ...base, outcome: { ok: false, problems: looked.problems } });
    } else if (!request.policy) {
      const p: Problem = problem("aws.activity-no-policy", `${request.id} has no policy in its record, so its activity cannot be compared with what was granted`);
      record = activityUnavailable("aws.activity-no-policy", lookedUpAt);
      comment = activityComment({ ...base, outcome: { ok: false, problems: [p] } });
    } else {
      const summary = summariseActivity(deps.catalogue, request.policy, looked.value.events);
      const l: ActivityLookup = looked.value;
      record = activityRecord(summary, { lookedUpAt, window: l.window, ...(l.truncated ? { truncated: l.truncated } : {}) });
      comment = activityComment({ ...base, outcome: { ok: true, summary, window: l.window, ...(l.truncated ? { truncated: l.truncated } : {}), ...(l.sessions !== undefined ? { sessions: l.sessions } : {}) } });
    }
  }

  const outcome: Extract<CloseoutOutcome, { kind: "done" }> = { kind: "done", record, comment };
  try {
    const written = await updateRecord(deps.store, path, (current) => {
      if (!current) return { kind: "skip", reason: "the request file is gone" };
      const cur = parseRequestFile(current.text, { file: path, config });
      if (!cur.ok) return { kind: "skip", reason: "the request file is no longer valid" };
      if (cur.request.id !== request.id || !CLOSED.has(cur.request.status ?? "")) return { kind: "skip", reason: `the record is ${cur.request.status ?? "proposed"}, not the closed grant looked up` };
      if (cur.request.activity?.status === "summarised") return { kind: "skip", reason: "its activity is already recorded" };
      return {
        kind: "write",
        text: dumpRequest({ ...cur.request, activity: record }, "Written by jit-access."),
        message: commitMessage(
          `jit-access: activity of ${request.id}`,
          record.status === "summarised"
            ? `CloudTrail Event history of the grant: ${record.total ?? 0} calls, ${record.denied_total ?? 0} denied, ${record.unused_total ?? 0} granted actions unused.`
            : `The grant's activity could not be summarised (${record.code ?? record.status}).`,
          { "Request-Id": request.id, ...(record.code ? { Rule: [record.code] } : {}) },
        ),
      };
    });
    if (written.kind === "written") outcome.commit = written.result.commit;
    else outcome.notRecorded = written.reason;
  } catch (e) {
    outcome.notRecorded = errorText(e);
  }
  if (deps.post && Number.isInteger(issue) && issue > 0 && outcome.notRecorded !== "its activity is already recorded") {
    try {
      await deps.post(issue, comment);
    } catch (e) {
      outcome.notPosted = errorText(e);
    }
  }
  return outcome;
}

function queryOf(p: PrincipalRef): { key: string; value: string } {
  return p.kind === "iam_role" ? { key: "EventName", value: "AssumeRole" } : { key: "Username", value: p.name };
}

async function lookup(deps: CloseoutDeps, t: ActivityTarget, padding: number) {
  let client: LookupClient;
  try {
    client = await deps.clientFor(t.accountId, t.requestId);
  } catch (e) {
    return fail<ActivityLookup>(problem("aws.activity-unavailable", `no CloudTrail client for account ${t.accountId}: ${errorText(e)}`));
  }
  return lookupActivity(client, t, { ...deps.lookupOptions, paddingMs: padding, now: () => deps.now().getTime() });
}
