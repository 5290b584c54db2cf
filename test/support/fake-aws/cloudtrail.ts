// CloudTrail LookupEvents (Event history) for the fake AWS. moto does not implement LookupEvents,
// so there is no second implementation to check against: this follows the API reference
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):
// - LookupAttributes: at most one attribute (InvalidLookupAttributesException otherwise), keys
//   EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId;
//   values 1..2000 characters.
// - StartTime ≤ EndTime (InvalidTimeRangeException); events at or after StartTime and at or
//   before EndTime; EndTime defaults to now; only the last 90 days exist.
// - MaxResults 1..50, default 50 (InvalidMaxResultsException).
// - NextToken is opaque and valid only with the same attributes and times (InvalidNextTokenException).
// - Most recent first.
// - 2 requests per second per account and region; over that, ThrottlingException.
// Events are put here by the test (`record`), as CloudTrail would have recorded the holder's calls.
// DescribeTrails and GetEventSelectors answer from the trails a test adds (`trails`): a trail of
// another account (an organization trail) cannot be read, as GetEventSelectors refuses it.
import { fail } from "./errors.js";

export interface TrailEvent {
  EventId: string;
  EventName: string;
  ReadOnly: "true" | "false";
  AccessKeyId?: string;
  EventTime: Date;
  EventSource: string;
  Username?: string;
  Resources: Array<{ ResourceType?: string; ResourceName: string }>;
  CloudTrailEvent: string;
}

export interface RecordInput {
  account: string;
  eventName: string;
  eventSource: string;
  eventTime: string | Date;
  /** The caller: an IAM user, or an assumed-role session (role name + session name). */
  identity: { type: "IAMUser"; userName: string } | { type: "AssumedRole"; roleName: string; sessionName: string };
  accessKeyId?: string;
  errorCode?: string;
  readOnly?: boolean;
  resources?: Array<{ ResourceType?: string; ResourceName: string }>;
  requestParameters?: Record<string, unknown>;
  responseElements?: Record<string, unknown>;
}

export interface CloudTrailState {
  /** Per account: every event recorded, any order. */
  events: Map<string, TrailEvent[]>;
  /** Accepted LookupEvents times per account, for the rate limit. */
  accepted: Map<string, number[]>;
  /** The fake's clock (ms); tests with a virtual clock replace it. */
  now: () => number;
  /** Requests per second per account (AWS: 2). */
  rate: number;
  counter: number;
  /** Per account: its trails, as DescribeTrails lists them, with their selectors. */
  trails: Map<string, FakeTrail[]>;
}

export interface FakeTrail {
  Name: string;
  TrailARN: string;
  EventSelectors?: Array<{ ReadWriteType?: string; IncludeManagementEvents?: boolean; DataResources?: Array<{ Type: string; Values: string[] }> }>;
  AdvancedEventSelectors?: Array<{ Name?: string; FieldSelectors: Array<{ Field: string; Equals?: string[] }> }>;
}

export const HORIZON_MS = 90 * 24 * 3600_000;
const KEYS = ["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];

export function emptyCloudTrail(): CloudTrailState {
  return { events: new Map(), accepted: new Map(), now: () => Date.now(), rate: 2, counter: 0, trails: new Map() };
}

/** Records one event as CloudTrail would (the identity as userIdentity, Username as Event history shows it). */
export function recordEvent(state: CloudTrailState, region: string, input: RecordInput): TrailEvent {
  const id = `00000000-0000-4000-8000-${String(++state.counter).padStart(12, "0")}`;
  const time = input.eventTime instanceof Date ? input.eventTime : new Date(input.eventTime);
  const accessKeyId = input.accessKeyId ?? (input.identity.type === "IAMUser" ? "AKIAFAKEUSER0000000" : "ASIAFAKESESSION0000");
  const userIdentity =
    input.identity.type === "IAMUser"
      ? {
          type: "IAMUser",
          principalId: "AIDAFAKE",
          arn: `arn:aws:iam::${input.account}:user/${input.identity.userName}`,
          accountId: input.account,
          accessKeyId,
          userName: input.identity.userName,
        }
      : {
          type: "AssumedRole",
          principalId: `AROAFAKE:${input.identity.sessionName}`,
          arn: `arn:aws:sts::${input.account}:assumed-role/${input.identity.roleName}/${input.identity.sessionName}`,
          accountId: input.account,
          accessKeyId,
          sessionContext: {
            sessionIssuer: { type: "Role", arn: `arn:aws:iam::${input.account}:role/${input.identity.roleName}`, userName: input.identity.roleName },
          },
        };
  const readOnly = input.readOnly ?? /^(Get|List|Describe|Head|Lookup)/.test(input.eventName);
  const detail: Record<string, unknown> = {
    eventVersion: "1.09",
    userIdentity,
    eventTime: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: input.eventSource,
    eventName: input.eventName,
    awsRegion: region,
    requestParameters: input.requestParameters ?? null,
    responseElements: input.responseElements ?? null,
    eventID: id,
    readOnly,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: input.account,
  };
  if (input.errorCode) {
    detail.errorCode = input.errorCode;
    detail.errorMessage = `${input.errorCode} (fake)`;
  }
  const event: TrailEvent = {
    EventId: id,
    EventName: input.eventName,
    ReadOnly: readOnly ? "true" : "false",
    AccessKeyId: accessKeyId,
    EventTime: time,
    EventSource: input.eventSource,
    Username: input.identity.type === "IAMUser" ? input.identity.userName : input.identity.sessionName,
    Resources: input.resources ?? [],
    CloudTrailEvent: JSON.stringify(detail),
  };
  let list = state.events.get(input.account);
  if (!list) state.events.set(input.account, (list = []));
  list.push(event);
  return event;
}

function matches(e: TrailEvent, key: string, value: string): boolean {
  switch (key) {
    case "EventId":
      return e.EventId === value;
    case "EventName":
      return e.EventName === value;
    case "ReadOnly":
      return e.ReadOnly === value;
    case "Username":
      return e.Username === value;
    case "ResourceType":
      return e.Resources.some((r) => r.ResourceType === value);
    case "ResourceName":
      return e.Resources.some((r) => r.ResourceName === value);
    case "EventSource":
      return e.EventSource === value;
    case "AccessKeyId":
      return e.AccessKeyId === value;
    default:
      return false;
  }
}

function time(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" ? value * 1000 : Date.parse(String(value));
  if (!Number.isFinite(ms)) fail("InvalidTimeRangeException", `${field} is not a time`);
  return ms;
}

export function handleCloudTrail(state: CloudTrailState, account: string, op: string, input: Record<string, unknown>): Record<string, unknown> {
  if (op === "DescribeTrails") return { trailList: (state.trails.get(account) ?? []).map((t) => ({ Name: t.Name, TrailARN: t.TrailARN })) };
  if (op === "GetEventSelectors") {
    const name = String(input.TrailName ?? "");
    const trail = (state.trails.get(account) ?? []).find((t) => t.TrailARN === name || t.Name === name);
    if (!trail) fail("TrailNotFoundException", `Unknown trail: ${name} for the user`);
    if (trail.TrailARN.split(":")[4] !== account) fail("AccessDeniedException", `${trail.TrailARN} belongs to another account`);
    return {
      TrailARN: trail.TrailARN,
      ...(trail.EventSelectors ? { EventSelectors: trail.EventSelectors } : {}),
      ...(trail.AdvancedEventSelectors ? { AdvancedEventSelectors: trail.AdvancedEventSelectors } : {}),
    };
  }
  if (op !== "LookupEvents") fail("UnsupportedOperationException", `The fake CloudTrail does not implement ${op}`);
  // The rate limit counts requests before they are validated, as a front door does.
  const now = state.now();
  const recent = (state.accepted.get(account) ?? []).filter((t) => t > now - 1000);
  if (recent.length >= state.rate) {
    state.accepted.set(account, recent);
    fail("ThrottlingException", "Rate exceeded");
  }
  recent.push(now);
  state.accepted.set(account, recent);

  const attrs = (input.LookupAttributes ?? []) as Array<{ AttributeKey?: string; AttributeValue?: string }>;
  if (!Array.isArray(attrs) || attrs.length > 1) fail("InvalidLookupAttributesException", "You can specify at most one lookup attribute.");
  const attr = attrs[0];
  if (attr) {
    if (!KEYS.includes(String(attr.AttributeKey))) fail("InvalidLookupAttributesException", `Invalid AttributeKey ${String(attr.AttributeKey)}`);
    const v = attr.AttributeValue;
    if (typeof v !== "string" || v.length < 1 || v.length > 2000) fail("InvalidLookupAttributesException", "AttributeValue must be 1 to 2000 characters");
  }
  const start = time(input.StartTime, "StartTime");
  const end = time(input.EndTime, "EndTime") ?? now;
  if (start !== undefined && start > end) fail("InvalidTimeRangeException", "StartTime must be before EndTime");
  const max = input.MaxResults === undefined ? 50 : Number(input.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > 50) fail("InvalidMaxResultsException", "MaxResults must be between 1 and 50");

  const query = JSON.stringify([attr?.AttributeKey ?? "", attr?.AttributeValue ?? "", start ?? null, input.EndTime === undefined ? null : end]);
  let offset = 0;
  if (input.NextToken !== undefined) {
    try {
      const t = JSON.parse(Buffer.from(String(input.NextToken), "base64url").toString("utf8")) as { o: number; q: string };
      if (t.q !== query || !Number.isInteger(t.o) || t.o < 0) throw new Error("mismatch");
      offset = t.o;
    } catch {
      fail("InvalidNextTokenException", "Invalid NextToken: it belongs to another query or is malformed");
    }
  }
  const floor = Math.max(start ?? 0, now - HORIZON_MS);
  const found = (state.events.get(account) ?? [])
    .filter(
      (e) => e.EventTime.getTime() >= floor && e.EventTime.getTime() <= end && (!attr || matches(e, String(attr.AttributeKey), String(attr.AttributeValue))),
    )
    .sort((a, b) => b.EventTime.getTime() - a.EventTime.getTime() || (a.EventId < b.EventId ? 1 : -1));
  const page = found.slice(offset, offset + max);
  const out: Record<string, unknown> = { Events: page };
  if (offset + max < found.length) out.NextToken = Buffer.from(JSON.stringify({ o: offset + max, q: query })).toString("base64url");
  return out;
}
