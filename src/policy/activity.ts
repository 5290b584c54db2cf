// What a grant's holder did with it: CloudTrail management events of the grant's window summarised
// against the grant's policy. Calls per service and action, the resources touched, the calls AWS
// denied (the policy was too narrow, or the call reached outside it), the granted actions never
// used, and the narrower action list a next request could ask for; and the compact record of it.
// Pure: no I/O, no clock; the events come from src/aws/activity.ts (or a test) and the catalogue
// is handed in.
//
// CloudTrail names API operations (eventSource + eventName); policies name IAM actions. They are
// usually the same word, but not always (S3 `ListObjects` is authorized by `s3:ListBucket`, Lambda
// event names carry an API version suffix). The known mismatches are the reviewed tables below;
// an event whose action cannot be found in the catalogue is reported as unmapped, never guessed.
import { RECORD_DENIED_MAX, RECORD_SERVICES_MAX, RECORD_UNUSED_MAX, RECORD_USED_MAX, type ActivityEvent } from "../domain/activity.js";
import type { ActivityRecord, PolicyDocument } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import { companionsFor } from "./companions.js";

export type { ActivityEvent } from "../domain/activity.js";

export interface ActionCount {
  /** The IAM action (`s3:ListBucket`), or `service:EventName` when unmapped. */
  action: string;
  calls: number;
  denied: number;
  /** false when the event could not be mapped to an action of the catalogue. */
  mapped: boolean;
}

export interface ServiceCount {
  service: string;
  calls: number;
  denied: number;
  actions: ActionCount[];
}

export interface DeniedCall {
  at: string;
  /** The IAM action(s) the call needed, or `service:EventName` when unmapped. */
  action: string;
  errorCode: string;
  resource?: string;
}

export interface ActivitySummary {
  total: number;
  deniedTotal: number;
  /** Failed calls that were not denials (NoSuchBucket, ValidationException, ...). */
  failedTotal: number;
  /** Most calls first, then by name. */
  services: ServiceCount[];
  /** Resources named by the events, most calls first. */
  resources: Array<{ resource: string; calls: number }>;
  /** In time order. */
  denied: DeniedCall[];
  /** Every action the policy grants (wildcards expanded through the catalogue), sorted. */
  granted: string[];
  /** Granted actions called at least once (whatever the outcome), sorted. */
  used: string[];
  /** Granted actions never called, sorted. used ∪ unused = granted, disjoint. */
  unused: string[];
  /** Actions called that this grant does not grant (other permissions, or denied), sorted. */
  outside: string[];
  /** Events no known action maps to, as `eventSource eventName`, sorted. */
  unmapped: string[];
  /**
   * The narrower grant: the used actions plus the companions they need (src/policy/companions.ts),
   * per service, and only actions the grant already had — a suggestion never widens access.
   */
  suggestion: Record<string, string[]>;
}

/**
 * Error codes that mean "the caller was not authorized". Reviewed against the services' error
 * references: S3 and IAM `AccessDenied`, JSON-protocol services `AccessDeniedException`, EC2
 * `UnauthorizedOperation` (`Client.` prefixed in CloudTrail), SNS `AuthorizationError`.
 */
export const DENIED_ERROR_CODES: ReadonlySet<string> = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "Client.AccessDenied",
  "UnauthorizedOperation",
  "Client.UnauthorizedOperation",
  "AuthorizationError",
  "AuthorizationErrorException",
  "UnauthorizedAccess",
  "UnauthorizedException",
]);

export function isDenied(errorCode: string | undefined): boolean {
  return errorCode !== undefined && DENIED_ERROR_CODES.has(errorCode);
}

/** eventSource host prefixes that are not the IAM service prefix. */
export const SOURCE_SERVICE: Readonly<Record<string, string>> = {
  monitoring: "cloudwatch",
  email: "ses",
  tagging: "tag",
  "models.lex": "lex",
  "runtime.lex": "lex",
  "api.ecr": "ecr",
  "api.sagemaker": "sagemaker",
  "runtime.sagemaker": "sagemaker",
  "bedrock-runtime": "bedrock",
  "bedrock-agent": "bedrock",
  "sso-directory": "sso-directory",
  "data.iot": "iot",
};

/**
 * Event names that are authorized by a differently named action, per IAM service prefix; one call
 * can need several actions (S3 CopyObject reads one object and writes another). Sources: the S3
 * "Actions, resources, and condition keys" page (operation → permission column) and the services'
 * CloudTrail logging pages.
 */
export const EVENT_ACTIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  s3: {
    ListBuckets: ["ListAllMyBuckets"],
    ListObjects: ["ListBucket"],
    ListObjectsV2: ["ListBucket"],
    ListObjectVersions: ["ListBucketVersions"],
    HeadBucket: ["ListBucket"],
    HeadObject: ["GetObject"],
    CopyObject: ["GetObject", "PutObject"],
    UploadPart: ["PutObject"],
    UploadPartCopy: ["GetObject", "PutObject"],
    CreateMultipartUpload: ["PutObject"],
    CompleteMultipartUpload: ["PutObject"],
    DeleteObjects: ["DeleteObject"],
    ListParts: ["ListMultipartUploadParts"],
    ListMultipartUploads: ["ListBucketMultipartUploads"],
    GetBucketEncryption: ["GetEncryptionConfiguration"],
    PutBucketEncryption: ["PutEncryptionConfiguration"],
    DeleteBucketEncryption: ["PutEncryptionConfiguration"],
    GetBucketLifecycle: ["GetLifecycleConfiguration"],
    GetBucketLifecycleConfiguration: ["GetLifecycleConfiguration"],
    PutBucketLifecycle: ["PutLifecycleConfiguration"],
    PutBucketLifecycleConfiguration: ["PutLifecycleConfiguration"],
    DeleteBucketLifecycle: ["PutLifecycleConfiguration"],
    GetBucketReplication: ["GetReplicationConfiguration"],
    PutBucketReplication: ["PutReplicationConfiguration"],
    DeleteBucketReplication: ["PutReplicationConfiguration"],
    GetBucketNotificationConfiguration: ["GetBucketNotification"],
    PutBucketNotificationConfiguration: ["PutBucketNotification"],
    DeleteBucketCors: ["PutBucketCORS"],
    DeleteBucketTagging: ["PutBucketTagging"],
    DeleteBucketOwnershipControls: ["PutBucketOwnershipControls"],
    DeletePublicAccessBlock: ["PutBucketPublicAccessBlock"],
    GetPublicAccessBlock: ["GetBucketPublicAccessBlock"],
    PutPublicAccessBlock: ["PutBucketPublicAccessBlock"],
    GetObjectLockConfiguration: ["GetBucketObjectLockConfiguration"],
    PutObjectLockConfiguration: ["PutBucketObjectLockConfiguration"],
    GetBucketAnalyticsConfiguration: ["GetAnalyticsConfiguration"],
    ListBucketAnalyticsConfigurations: ["GetAnalyticsConfiguration"],
    GetBucketInventoryConfiguration: ["GetInventoryConfiguration"],
    ListBucketInventoryConfigurations: ["GetInventoryConfiguration"],
    GetBucketMetricsConfiguration: ["GetMetricsConfiguration"],
    ListBucketMetricsConfigurations: ["GetMetricsConfiguration"],
    GetBucketIntelligentTieringConfiguration: ["GetIntelligentTieringConfiguration"],
    ListBucketIntelligentTieringConfigurations: ["GetIntelligentTieringConfiguration"],
    GetBucketAccelerateConfiguration: ["GetAccelerateConfiguration"],
    PutBucketAccelerateConfiguration: ["PutAccelerateConfiguration"],
  },
};

/** Lambda (and a few older APIs) log `GetFunction20150331v2`: the operation plus its API version. */
const VERSION_SUFFIX = /(\d{8}(v\d+)?)$/;

/** The IAM service prefix of an eventSource such as `s3.amazonaws.com`. */
export function serviceOfSource(eventSource: string): string {
  const host = eventSource.toLowerCase().replace(/\.amazonaws\.com(\.cn)?$/, "");
  return SOURCE_SERVICE[host] ?? host;
}

/**
 * The IAM actions (canonical `service:Name`) that authorize one event, or undefined when none
 * of the candidates is in the catalogue (unmapped: said so, never guessed).
 */
export function actionsOfEvent(catalogue: Catalogue, eventSource: string, eventName: string): string[] | undefined {
  const service = serviceOfSource(eventSource);
  const table = EVENT_ACTIONS[service];
  const names = (table && Object.hasOwn(table, eventName) ? table[eventName] : undefined) ?? [eventName.replace(VERSION_SUFFIX, "")];
  const out: string[] = [];
  for (const n of names) {
    const info = catalogue.action(`${service}:${n}`);
    if (!info) return undefined;
    out.push(info.full);
  }
  return out;
}

function list(v: string | string[]): string[] {
  return Array.isArray(v) ? v : [v];
}

/**
 * The actions a policy grants, canonical and sorted: Allow statements' actions, wildcards expanded
 * through the catalogue, less those an unconditional Deny on every resource takes away. Conditional
 * and resource-scoped Allows still count: the action was granted somewhere.
 */
export function grantedActions(catalogue: Catalogue, policy: PolicyDocument): string[] {
  const resolve = (a: string): string[] => (/[*?]/.test(a) ? catalogue.expand(a).map((x) => x.full) : [catalogue.action(a)?.full ?? a]);
  const allowed = new Set<string>();
  const denied = new Set<string>();
  for (const st of policy.Statement) {
    const actions = list(st.Action).flatMap(resolve);
    if (st.Effect === "Allow") for (const a of actions) allowed.add(a);
    else if (st.Condition === undefined && list(st.Resource).includes("*")) for (const a of actions) denied.add(a.toLowerCase());
  }
  return [...allowed].filter((a) => !denied.has(a.toLowerCase())).sort(compare);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byCallsThenName<T extends { calls: number }>(name: (t: T) => string): (a: T, b: T) => number {
  return (a, b) => b.calls - a.calls || compare(name(a), name(b));
}

/** Summarise `events` against the grant's `policy`. Linear in the events; the catalogue is looked up once per distinct operation. */
export function summariseActivity(catalogue: Catalogue, policy: PolicyDocument, events: readonly ActivityEvent[]): ActivitySummary {
  const granted = grantedActions(catalogue, policy);
  const grantedLower = new Map(granted.map((a) => [a.toLowerCase(), a]));
  // One entry per distinct operation, holding its counters: the loop below does two map look-ups
  // per event and no string building.
  interface Op {
    service: string;
    actions: string[] | undefined;
    label: string;
    svc: { calls: number; denied: number; actions: Map<string, ActionCount> };
    count: ActionCount;
    source: string;
    name: string;
  }
  const ops = new Map<string, Map<string, Op>>();
  const services = new Map<string, { calls: number; denied: number; actions: Map<string, ActionCount> }>();
  const resources = new Map<string, number>();
  const denied: DeniedCall[] = [];
  let deniedTotal = 0;
  let failedTotal = 0;

  const opOf = (source: string, name: string): Op => {
    let byName = ops.get(source);
    if (!byName) ops.set(source, (byName = new Map()));
    let op = byName.get(name);
    if (op) return op;
    const service = serviceOfSource(source);
    const actions = actionsOfEvent(catalogue, source, name);
    // A call that needs several actions is counted once, under its first (the table lists the
    // one the operation is named for first); every action it needed counts as used.
    const label = actions?.[0] ?? `${service}:${name}`;
    let svc = services.get(service);
    if (!svc) services.set(service, (svc = { calls: 0, denied: 0, actions: new Map() }));
    let count = svc.actions.get(label);
    if (!count) svc.actions.set(label, (count = { action: label, calls: 0, denied: 0, mapped: actions !== undefined }));
    op = { service, actions, label, svc, count, source, name };
    byName.set(name, op);
    return op;
  };

  for (const e of events) {
    const op = opOf(e.eventSource, e.eventName);
    op.svc.calls++;
    op.count.calls++;
    const code = e.errorCode;
    if (code !== undefined && code !== "") {
      if (DENIED_ERROR_CODES.has(code)) {
        deniedTotal++;
        op.svc.denied++;
        op.count.denied++;
        const d: DeniedCall = { at: e.eventTime, action: op.actions ? op.actions.join("+") : op.label, errorCode: code };
        const first = e.resources?.[0];
        if (first !== undefined) d.resource = first;
        denied.push(d);
      } else failedTotal++;
    }
    const rs = e.resources;
    if (rs) for (const r of rs) resources.set(r, (resources.get(r) ?? 0) + 1);
  }

  const called = new Set<string>();
  const unmapped = new Set<string>();
  for (const byName of ops.values()) {
    for (const op of byName.values()) {
      if (op.actions) for (const a of op.actions) called.add(a);
      else unmapped.add(`${op.source} ${op.name}`);
    }
  }
  const used = new Set<string>();
  const outside = new Set<string>();
  for (const a of called) {
    const g = grantedLower.get(a.toLowerCase());
    if (g) used.add(g);
    else outside.add(a);
  }
  const usedSorted = [...used].sort(compare);
  return {
    total: events.length,
    deniedTotal,
    failedTotal,
    services: [...services]
      .map(([service, s]) => ({ service, calls: s.calls, denied: s.denied, actions: [...s.actions.values()].sort(byCallsThenName((x) => x.action)) }))
      .sort(byCallsThenName((x) => x.service)),
    resources: [...resources].map(([resource, calls]) => ({ resource, calls })).sort(byCallsThenName((x) => x.resource)),
    denied: denied.sort((a, b) => compare(a.at, b.at)),
    granted,
    used: usedSorted,
    unused: granted.filter((a) => !used.has(a)),
    outside: [...outside].sort(compare),
    unmapped: [...unmapped].sort(compare),
    suggestion: narrowerSuggestion(usedSorted, grantedLower),
  };
}

/** Used actions plus their `include` companions, per service, kept within the grant. */
export function narrowerSuggestion(used: readonly string[], granted: ReadonlyMap<string, string>): Record<string, string[]> {
  const byService = new Map<string, Set<string>>();
  for (const a of used) {
    const service = a.slice(0, a.indexOf(":")).toLowerCase();
    let s = byService.get(service);
    if (!s) byService.set(service, (s = new Set()));
    s.add(a);
  }
  const out: Record<string, string[]> = {};
  for (const [service, actions] of [...byService].sort((a, b) => compare(a[0], b[0]))) {
    const lower = new Set([...actions].map((a) => a.toLowerCase()));
    for (const c of companionsFor(service, lower)) {
      if (c.kind !== "include") continue;
      for (const extra of c.actions) {
        const g = granted.get(extra.toLowerCase());
        if (g) actions.add(g);
      }
    }
    out[service] = [...actions].sort(compare);
  }
  return out;
}

// --- The compact record (`activity:` in the request file) ----------------------------------

export interface LookupFacts {
  lookedUpAt: string;
  window: { from: string; to: string };
  truncated?: ActivityRecord["truncated"];
}

/** The summary as the request file stores it: totals, per-service counts, capped lists. */
export function activityRecord(summary: ActivitySummary, facts: LookupFacts): ActivityRecord {
  const services: Record<string, number> = {};
  for (const s of summary.services.slice(0, RECORD_SERVICES_MAX)) services[s.service] = s.calls;
  const record: ActivityRecord = {
    status: "summarised",
    looked_up_at: facts.lookedUpAt,
    window: facts.window,
    total: summary.total,
    denied_total: summary.deniedTotal,
    services,
    denied: summary.denied.slice(0, RECORD_DENIED_MAX).map((d) => ({
      at: d.at,
      action: d.action.slice(0, 200),
      error: d.errorCode.slice(0, 100),
      ...(d.resource !== undefined ? { resource: d.resource.slice(0, 2048) } : {}),
    })),
    used: summary.used.slice(0, RECORD_USED_MAX),
    unused: summary.unused.slice(0, RECORD_UNUSED_MAX),
    unused_total: summary.unused.length,
    data_events_visible: false,
  };
  if (facts.truncated) record.truncated = facts.truncated;
  return record;
}
