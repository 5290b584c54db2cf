// After a grant is closed (expired or revoked) and its record written: look up what the holder
// did (the lookup is injected: src/aws/activity.ts activityLookups), summarise it against the
// grant's policy (src/policy/activity.ts), add `activity:` to the closed record in a second
// compare-and-swap commit, and say it on the issue (activity-comment.ts). It runs after the revoke
// and never fails it: every error ends as an "unavailable" record and comment, or, if even that
// cannot be written, in the returned outcome for the caller's log.
import { activityUnavailable, paddingMs, type ActivityLookup, type ActivityScope } from "../domain/activity.js";
import { problem, type Result } from "../domain/problems.js";
import { commitMessage } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, ActivityRecord, Config } from "../domain/types.js";
import { activityRecord, summariseActivity } from "../policy/activity.js";
import type { Catalogue } from "../policy/catalogue.js";
import { loadCatalogue } from "../iam-data.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import { updateRecord, type RecordStore } from "../store/record-store.js";
import { ACTIVITY_MARKER, activityComment } from "./activity-comment.js";

/** Looks up a closed request's activity; `scope` says where, when that is known. Never throws. */
export type ActivityLookupFn = (request: AccessRequest, paddingMs: number) => Promise<{ scope?: ActivityScope; result: Result<ActivityLookup> }>;

export interface CloseoutDeps {
  config: Config;
  catalogue: Catalogue;
  store: RecordStore;
  lookup: ActivityLookupFn;
  /** Posts the comment on the request's issue; its failure is reported, not thrown. */
  post?: (issueNumber: number, body: string) => Promise<void>;
  now: () => Date;
}

export type CloseoutOutcome =
  | { kind: "disabled" }
  | { kind: "skipped"; reason: string }
  | { kind: "done"; record: ActivityRecord; comment: string; commit?: string; notRecorded?: string; notPosted?: string };

const CLOSED = new Set(["expired", "revoked"]);

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
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
  const request = parsed.value.request;
  if (request.id !== id) return { kind: "skipped", reason: `${path} holds ${request.id}, not ${id}` };
  if (!CLOSED.has(request.status ?? "")) return { kind: "skipped", reason: `${request.id} is ${request.status ?? "proposed"}, not closed` };
  if (request.activity?.status === "summarised") return { kind: "skipped", reason: "its activity is already recorded" };

  const lookedUpAt = isoSeconds(deps.now());
  const padding = paddingMs(config.activity.lookback_padding);
  const { scope, result } = await deps.lookup(request, padding.ok ? padding.value : 0);
  const where = scope ?? {
    principal: { kind: "iam_user" as const, name: request.principal ?? request.requester },
    accountId: request.grant?.aws?.account_id ?? request.account,
    region: config.aws.region,
  };
  const base = {
    request,
    principal: where.principal,
    accountId: where.accountId,
    region: where.region,
    ...(where.consoleUrl ? { consoleUrl: where.consoleUrl } : {}),
    ...("dataEventTrails" in where && where.dataEventTrails ? { dataEventTrails: where.dataEventTrails } : {}),
  };
  let record: ActivityRecord;
  let comment: string;
  if (!result.ok) {
    record = activityUnavailable(result.problems[0]?.code ?? "aws.activity-unavailable", lookedUpAt);
    comment = activityComment({ ...base, outcome: { ok: false, problems: result.problems } });
  } else if (!request.policy) {
    record = activityUnavailable("aws.activity-no-policy", lookedUpAt);
    comment = activityComment({
      ...base,
      outcome: {
        ok: false,
        problems: [problem("aws.activity-no-policy", `${request.id} has no policy in its record, so its activity cannot be compared with what was granted`)],
      },
    });
  } else {
    const l = result.value;
    const summary = summariseActivity(deps.catalogue, request.policy, l.events);
    record = activityRecord(summary, { lookedUpAt, window: l.window, ...(l.truncated ? { truncated: l.truncated } : {}) });
    comment = activityComment({
      ...base,
      outcome: {
        ok: true,
        summary,
        window: l.window,
        ...(l.truncated ? { truncated: l.truncated } : {}),
        ...(l.sessions !== undefined ? { sessions: l.sessions } : {}),
      },
    });
  }

  const outcome: Extract<CloseoutOutcome, { kind: "done" }> = { kind: "done", record, comment };
  try {
    const written = await updateRecord(deps.store, path, (current) => {
      if (!current) return { kind: "skip", reason: "the request file is gone" };
      const cur = parseRequestFile(current.text, { file: path, config });
      if (!cur.ok) return { kind: "skip", reason: "the request file is no longer valid" };
      if (cur.value.request.id !== request.id || !CLOSED.has(cur.value.request.status ?? ""))
        return { kind: "skip", reason: `the record is ${cur.value.request.status ?? "proposed"}, not the closed grant looked up` };
      if (cur.value.request.activity?.status === "summarised") return { kind: "skip", reason: "its activity is already recorded" };
      return {
        kind: "write",
        text: dumpRequest({ ...cur.value.request, activity: record }, "Written by jit-access."),
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
  // Said once: a concurrent close-out that recorded first also posted.
  const issue = Number(request.id.split("-")[0]);
  if (deps.post && Number.isInteger(issue) && issue > 0 && outcome.notRecorded !== "its activity is already recorded") {
    try {
      await deps.post(issue, comment);
    } catch (e) {
      outcome.notPosted = errorText(e);
    }
  }
  return outcome;
}

/**
 * closeGrant's `activity` port: the close-out on `store`, its comment upserted on the request's
 * issue through `github` (absent in a local checkout). Undefined when the config turns it off.
 */
export function activityPort(o: {
  config: Config;
  store: RecordStore;
  lookup: ActivityLookupFn;
  now: () => Date;
  github?: Pick<AccessRepo, "upsertComment">;
}): ((file: string, id: string) => Promise<CloseoutOutcome>) | undefined {
  if (!o.config.activity.enabled) return undefined;
  const github = o.github;
  const deps: CloseoutDeps = {
    config: o.config,
    catalogue: loadCatalogue(),
    store: o.store,
    lookup: o.lookup,
    now: o.now,
    ...(github ? { post: (issue: number, body: string) => github.upsertComment(issue, ACTIVITY_MARKER, body) } : {}),
  };
  return (file, id) => closeoutActivity(deps, file, id);
}
