// What the holder of a grant did during it, from CloudTrail's Event history (LookupEvents):
// management events of the grant's principal in the grant's window, for src/policy/activity.ts to
// summarise. Read-only (cloudtrail:LookupEvents), and it never throws into the caller: a close-out
// must complete whatever CloudTrail says, so every failure is a Result with a problem code.
//
// Who the principal is in CloudTrail, per mode:
// - IAM user: Event history's Username is the user name; events of other identities that share
//   the name (a role session called the same) are dropped by userIdentity.
// - IAM role: the grant's policy is on the role, so every session of the role that was alive in
//   the window had it. AssumeRole events of the role (from 12 hours before the window, the longest
//   a session lives) give the sessions' access keys; each session is then looked up by key.
// - Identity Center: the user signs in through the `AWSReservedSSO_<permission set>_<suffix>` role
//   with their user name as the session name; Username finds the user's sessions and the role name
//   keeps only those of this grant's permission set.
//
// Limits that are AWS's: 2 LookupEvents requests per second per account and region (a limiter
// here spaces requests, the SDK retries a ThrottlingException), 50 events a page, and only the
// last 90 days (an older window is reported as such, not queried).
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  LookupEventsCommand,
  type LookupAttributeKey,
  type DescribeTrailsCommandOutput,
  type GetEventSelectorsCommandOutput,
  type LookupEventsCommandInput,
  type LookupEventsCommandOutput,
} from "@aws-sdk/client-cloudtrail";
import { GetCallerIdentityCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import type { ActivityEvent, ActivityLookup, ActivityScope } from "../domain/activity.js";
import { resolveAccount, type ResolvedAccount } from "../domain/config.js";
import { fail, ok, problem, type Result } from "../domain/problems.js";
import type { AccessRequest, Config } from "../domain/types.js";
import { escapeRegExp } from "../policy/catalogue.js";
import { assumeRoleCredentials, lazyClients, type AwsClients, type ClientSettings } from "./clients.js";
import { accountOfArn, permissionSetName } from "./naming.js";
import { resolveTarget } from "./target.js";
import type { PrincipalRef } from "./types.js";

/** The part of a CloudTrailClient this module uses (a real client, or a test double). */
export interface LookupClient {
  send(command: LookupEventsCommand): Promise<LookupEventsCommandOutput>;
}

/** What trailFacts needs of a CloudTrailClient. */
export interface TrailClient {
  send(command: DescribeTrailsCommand): Promise<DescribeTrailsCommandOutput>;
  send(command: GetEventSelectorsCommand): Promise<GetEventSelectorsCommandOutput>;
}

export interface ActivityTarget {
  requestId: string;
  accountId: string;
  region: string;
  partition: Config["aws"]["partition"];
  principal: PrincipalRef;
  /** The grant's window (ISO): granted_at .. closed.at. */
  from: string;
  to: string;
}

export interface ActivityOptions {
  /** Added before `from` and after `to` (clock skew, CloudTrail's delivery delay). */
  paddingMs?: number;
  /** Stop after this many events of the principal (the summary says the lookup was cut short). */
  maxEvents?: number;
  /** Role mode: at most this many sessions are looked up. */
  maxSessions?: number;
  /**
   * Stop paging once this much time has passed since the lookup started (a webhook must answer
   * GitHub within 10 seconds); the summary says the lookup was cut short.
   */
  timeLimitMs?: number;
  limiter?: RateLimiter;
  now?: () => number;
}

export type { ActivityLookup } from "../domain/activity.js";

/**
 * A CloudTrail client acting in `account`: the app's own credentials, or the account's role_arn.
 * Throws (as accountClients does) when the role_arn is in another account.
 */
export function activityClient(home: Pick<AwsClients, "sts">, settings: ClientSettings, account: ResolvedAccount, requestId: string): CloudTrailClient {
  return new CloudTrailClient(accountSettings(home, settings, account, requestId));
}

function accountSettings(home: Pick<AwsClients, "sts">, settings: ClientSettings, account: ResolvedAccount, requestId: string): ClientSettings {
  if (!account.roleArn) return settings;
  if (accountOfArn(account.roleArn) !== account.id) {
    throw new Error(`the role_arn ${account.roleArn} configured for account ${account.id} is in another account; fix aws.accounts`);
  }
  return { ...settings, credentials: assumeRoleCredentials(home.sts, account.roleArn, requestId) };
}

/**
 * CloudTrail clients for the accounts of `config`, checked to be in the account asked for: an
 * account without a role_arn is read with the app's own credentials only when they are in it
 * (Identity Center grants land in member accounts, whose Event history the app's account cannot
 * read), so a lookup never reports another account's events.
 */
export function activityClients(
  config: Config,
  settings: ClientSettings,
  home: Pick<AwsClients, "sts"> = lazyClients(settings),
): (accountId: string, requestId: string) => Promise<LookupClient> {
  return async (accountId, requestId) => {
    const account = resolveAccount(config, accountId) ?? { id: accountId };
    const s = accountSettings(home, settings, account, requestId);
    const who = await new STSClient(s as STSClientConfig).send(new GetCallerIdentityCommand({}));
    if (who.Account !== accountId) {
      throw new Error(
        `the credentials for account ${accountId} are in account ${who.Account ?? "?"}; add a role_arn for ${accountId} under aws.accounts (with cloudtrail:LookupEvents) to see its activity`,
      );
    }
    return new CloudTrailClient(s);
  };
}

/** Event history keeps 90 days. */
export const HORIZON_MS = 90 * 24 * 3600_000;
/** The longest an IAM role session lives (a role's MaxSessionDuration is at most 12 hours). */
export const MAX_SESSION_MS = 12 * 3600_000;
export const DEFAULT_MAX_EVENTS = 2000;
export const DEFAULT_MAX_SESSIONS = 10;
/** LookupEvents: 2 requests per second per account and region. */
export const LOOKUP_RATE_PER_SECOND = 2;

/**
 * Spaces requests per key (account/region) at a fixed rate, across every lookup of the process,
 * so two grants closing together share the account's 2 requests per second.
 */
export interface RateLimiter {
  take(key: string): Promise<void>;
}

export function createRateLimiter(perSecond: number, clock: { now: () => number; sleep: (ms: number) => Promise<void> } = realClock): RateLimiter {
  const next = new Map<string, number>();
  const gap = 1000 / perSecond;
  return {
    async take(key) {
      const now = clock.now();
      const at = Math.max(now, next.get(key) ?? 0);
      next.set(key, at + gap);
      if (at > now) await clock.sleep(at - now);
    },
  };
}

const realClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
const sharedLimiter = createRateLimiter(LOOKUP_RATE_PER_SECOND);

interface Detail {
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  errorCode?: string;
  readOnly?: boolean;
  userIdentity?: { type?: string; arn?: string; userName?: string; accessKeyId?: string };
  requestParameters?: { roleArn?: string } | null;
  responseElements?: { credentials?: { accessKeyId?: string } } | null;
}

function parseDetail(text: string | undefined): Detail {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === "object" ? v : {};
  } catch {
    return {};
  }
}

type Page = NonNullable<LookupEventsCommandOutput["Events"]>[number];

function toActivityEvent(e: Page, d: Detail): ActivityEvent {
  const out: ActivityEvent = {
    eventTime: e.EventTime ? e.EventTime.toISOString() : (d.eventTime ?? ""),
    eventSource: e.EventSource ?? d.eventSource ?? "",
    eventName: e.EventName ?? d.eventName ?? "",
    resources: (e.Resources ?? []).map((r) => r.ResourceName ?? "").filter((r) => r !== ""),
  };
  if (d.errorCode) out.errorCode = d.errorCode;
  const ro = e.ReadOnly ?? (d.readOnly === undefined ? undefined : String(d.readOnly));
  if (ro !== undefined) out.readOnly = ro === "true";
  return out;
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/** The console's Event history filtered like the lookup (the full log, beyond the summary). */
export function consoleEventsUrl(
  partition: Config["aws"]["partition"],
  region: string,
  query: { key: string; value: string },
  window: { from: string; to: string },
): string {
  const host = partition === "aws-cn" ? "console.amazonaws.cn" : partition === "aws-us-gov" ? "console.amazonaws-us-gov.com" : "console.aws.amazon.com";
  const params = new URLSearchParams({ [query.key]: query.value, StartTime: window.from, EndTime: window.to });
  return `https://${host}/cloudtrailv2/home?region=${encodeURIComponent(region)}#/events?${params.toString()}`;
}

/**
 * Looks up the principal's events in the grant's window. Never throws: an outage, a missing
 * permission or a window past the horizon is a failed Result with an `aws.activity-*` code.
 */
export async function lookupActivity(client: LookupClient, target: ActivityTarget, options: ActivityOptions = {}): Promise<Result<ActivityLookup>> {
  try {
    return await lookup(client, target, options);
  } catch (error) {
    const e = describeError(error);
    if (/AccessDenied|UnauthorizedOperation|NotAuthorized/.test(e.name)) {
      return fail(
        problem(
          "aws.activity-denied",
          `CloudTrail refused LookupEvents in account ${target.accountId} (${e.name}: ${e.message}); grant cloudtrail:LookupEvents to the role that closes grants (deploy/template.yaml does)`,
        ),
      );
    }
    return fail(
      problem(
        "aws.activity-unavailable",
        `CloudTrail LookupEvents failed in account ${target.accountId}, ${target.region} (${e.name}: ${e.message}); the grant was closed all the same — see the CloudTrail console for its activity`,
      ),
    );
  }
}

async function lookup(client: LookupClient, target: ActivityTarget, options: ActivityOptions): Promise<Result<ActivityLookup>> {
  const clock = options.now ?? Date.now;
  const now = clock();
  const deadline = options.timeLimitMs === undefined ? Infinity : now + options.timeLimitMs;
  const padding = options.paddingMs ?? 0;
  const fromMs = Date.parse(target.from);
  const toMs = Date.parse(target.to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs > toMs) {
    return fail(
      problem(
        "aws.activity-window",
        `the grant's window ${JSON.stringify(target.from)} .. ${JSON.stringify(target.to)} is not a time range; check grant.granted_at and closed.at in the request file`,
      ),
    );
  }
  const horizon = now - HORIZON_MS;
  let start = fromMs - padding;
  const end = Math.min(toMs + padding, now);
  let truncated: ActivityLookup["truncated"];
  if (end < horizon) {
    return fail(
      problem(
        "aws.activity-beyond-horizon",
        `the grant ended ${target.to}, older than the 90 days CloudTrail's Event history keeps; its activity can only be read from a trail`,
      ),
    );
  }
  if (start < horizon) {
    start = horizon;
    truncated = "horizon";
  }
  const window = { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
  const limiter = options.limiter ?? sharedLimiter;
  const key = `${target.accountId}/${target.region}`;
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  let requests = 0;

  /**
   * Pages through one attribute's events; `keep` filters, `limit` says how many kept are enough.
   * `cut` says why it stopped before the last page.
   */
  async function pages(
    attr: { key: LookupAttributeKey; value: string },
    s: number,
    e: number,
    keep: (p: Page, d: Detail) => boolean,
    limit: number,
  ): Promise<{ kept: Array<[Page, Detail]>; cut?: "max-events" | "time-limit" }> {
    const kept: Array<[Page, Detail]> = [];
    let token: string | undefined;
    do {
      await limiter.take(key);
      if (clock() > deadline) return { kept, cut: "time-limit" };
      requests++;
      const input: LookupEventsCommandInput = {
        LookupAttributes: [{ AttributeKey: attr.key, AttributeValue: attr.value }],
        StartTime: new Date(s),
        EndTime: new Date(e),
        MaxResults: 50,
        ...(token ? { NextToken: token } : {}),
      };
      const out = await client.send(new LookupEventsCommand(input));
      for (const ev of out.Events ?? []) {
        const d = parseDetail(ev.CloudTrailEvent);
        if (!keep(ev, d)) continue;
        kept.push([ev, d]);
        if (kept.length >= limit) return { kept, cut: "max-events" };
      }
      token = out.NextToken;
    } while (token);
    return { kept };
  }

  const p = target.principal;
  let found: Array<[Page, Detail]> = [];
  let sessions: number | undefined;
  let query: { key: LookupAttributeKey; value: string };
  if (p.kind === "iam_user") {
    query = { key: "Username", value: p.name };
    const r = await pages(query, start, end, (_e, d) => d.userIdentity?.type === "IAMUser" && d.userIdentity.userName === p.name, maxEvents);
    found = r.kept;
    truncated = r.cut ?? truncated;
  } else if (p.kind === "sso_user") {
    query = { key: "Username", value: p.name };
    const role = new RegExp(`:assumed-role/AWSReservedSSO_${escapeRegExp(permissionSetName(target.requestId))}_[0-9a-fA-F]+/`);
    const r = await pages(query, start, end, (_e, d) => role.test(d.userIdentity?.arn ?? ""), maxEvents);
    found = r.kept;
    truncated = r.cut ?? truncated;
  } else {
    query = { key: "EventName", value: "AssumeRole" };
    const roleArn = new RegExp(`^arn:[a-z-]+:iam::${target.accountId}:role/(?:[^:]*/)?${escapeRegExp(p.name)}$`);
    const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    const assumed = await pages(
      query,
      Math.max(start - MAX_SESSION_MS, horizon),
      end,
      (_e, d) => !d.errorCode && roleArn.test(d.requestParameters?.roleArn ?? "") && !!d.responseElements?.credentials?.accessKeyId,
      10_000,
    );
    const keys = [...new Set(assumed.kept.map(([, d]) => d.responseElements?.credentials?.accessKeyId ?? ""))];
    sessions = keys.length;
    truncated = assumed.cut ?? truncated;
    if (keys.length > maxSessions) truncated = "max-sessions";
    for (const accessKey of keys.slice(0, maxSessions)) {
      const r = await pages({ key: "AccessKeyId", value: accessKey }, start, end, () => true, maxEvents - found.length);
      found.push(...r.kept);
      if (r.cut) {
        truncated = r.cut;
        break;
      }
    }
  }
  const events = found.map(([e, d]) => toActivityEvent(e, d)).sort((a, b) => (a.eventTime < b.eventTime ? -1 : a.eventTime > b.eventTime ? 1 : 0));
  return ok({ window, events, requests, query, ...(truncated ? { truncated } : {}), ...(sessions !== undefined ? { sessions } : {}) });
}

export interface ActivityLookupsOptions extends Omit<ActivityOptions, "paddingMs" | "now"> {
  now: () => Date;
  /** Defaults to activityClients(config, settings). */
  clientFor?: (accountId: string, requestId: string) => LookupClient | Promise<LookupClient>;
}

/**
 * The lookup a close-out needs, for one config: the closed request's principal and account (as
 * the grant resolved them), a client checked to be in that account, the lookup, and the console
 * link. Never throws.
 */
export function activityLookups(
  config: Config,
  settings: ClientSettings,
  options: ActivityLookupsOptions,
): (request: AccessRequest, paddingMs: number) => Promise<{ scope?: ActivityScope; result: Result<ActivityLookup> }> {
  const { now, clientFor: given, ...lookupOptions } = options;
  const clientFor = given ?? activityClients(config, settings);
  return async (request, paddingMs) => {
    const grant = request.grant;
    const closed = request.closed;
    if (!grant || !closed)
      return { result: fail(problem("aws.activity-window", `${request.id} has no grant and closed record, so there is no window to look up`)) };
    const resolved = resolveTarget(config, request);
    if (!resolved.ok)
      return {
        result: fail(
          problem(
            "aws.activity-principal",
            `${request.id}: ${resolved.problems.map((p) => p.message.replace(/; nothing was granted$/, "")).join("; ")}; its activity cannot be looked up`,
          ),
        ),
      };
    const accountId = grant.aws?.account_id ?? resolved.value.account.id;
    const principal = resolved.value.principal;
    const target: ActivityTarget = {
      requestId: request.id,
      accountId,
      region: config.aws.region,
      partition: config.aws.partition,
      principal,
      from: grant.granted_at,
      to: closed.at,
    };
    const scope: ActivityScope = { principal: { kind: principal.kind, name: principal.name }, accountId, region: config.aws.region };
    let client: LookupClient;
    try {
      client = await clientFor(accountId, request.id);
    } catch (e) {
      scope.consoleUrl = consoleEventsUrl(config.aws.partition, config.aws.region, consoleQuery(principal), { from: target.from, to: target.to });
      return { scope, result: fail(problem("aws.activity-unavailable", `no CloudTrail access in account ${accountId}: ${describeError(e).message}`)) };
    }
    const result = await lookupActivity(client, target, { ...lookupOptions, paddingMs, now: () => now().getTime() });
    if (result.ok && isTrailClient(client)) {
      const trails = await dataEventTrails(client);
      if (trails) scope.dataEventTrails = trails;
    }
    scope.consoleUrl = consoleEventsUrl(
      config.aws.partition,
      config.aws.region,
      result.ok ? result.value.query : consoleQuery(principal),
      result.ok ? result.value.window : { from: target.from, to: target.to },
    );
    return { scope, result };
  };
}

/** The console filter for a principal when no lookup result says which one was used. */
function consoleQuery(p: PrincipalRef): { key: string; value: string } {
  return p.kind === "iam_role" ? { key: "EventName", value: "AssumeRole" } : { key: "Username", value: p.name };
}

function isTrailClient(c: LookupClient): c is LookupClient & TrailClient {
  return c instanceof CloudTrailClient;
}

/** At most this many trails are asked for their event selectors. */
const MAX_TRAILS = 5;

/**
 * The names of the account's trails (in the region, organization trails included) that log data
 * events, so the comment can say where object reads and the like were recorded. Undefined when it
 * cannot tell (no permission, an organization trail it may not read): never guessed as "none".
 */
export async function dataEventTrails(client: TrailClient): Promise<string[] | undefined> {
  try {
    const { trailList = [] } = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
    if (trailList.length > MAX_TRAILS) return undefined;
    const out: string[] = [];
    for (const t of trailList) {
      if (!t.TrailARN) return undefined;
      const sel = await client.send(new GetEventSelectorsCommand({ TrailName: t.TrailARN }));
      const classic = (sel.EventSelectors ?? []).some((e) => (e.DataResources ?? []).some((d) => (d.Values ?? []).length > 0));
      const advanced = (sel.AdvancedEventSelectors ?? []).some((a) =>
        (a.FieldSelectors ?? []).some((f) => f.Field === "eventCategory" && (f.Equals ?? []).includes("Data")),
      );
      if (classic || advanced) out.push(t.Name ?? t.TrailARN);
    }
    return out;
  } catch {
    return undefined;
  }
}
