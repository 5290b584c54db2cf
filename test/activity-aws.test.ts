// The CloudTrail activity adapter against the fake's LookupEvents, under the real SDK client.
// moto does not implement LookupEvents, so the fake (test/support/fake-aws/cloudtrail.ts) follows
// the API reference; the first block checks the fake itself against it.
import { CloudTrailClient, LookupEventsCommand, type CloudTrailClientConfig, type LookupEventsCommandInput } from "@aws-sdk/client-cloudtrail";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  activityClient,
  activityClients,
  activityLookups,
  consoleEventsUrl,
  dataEventTrails,
  createRateLimiter,
  lookupActivity,
  type ActivityTarget,
  type RateLimiter,
} from "../src/aws/activity.js";
import { permissionSetName } from "../src/aws/naming.js";
import { codesOf } from "../src/domain/problems.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { CROSS_ROLE, HOME, OTHER, testConfig, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());

const T0 = Date.parse("2026-11-30T08:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();
/** Virtual time shared by the fake's rate limit and the adapter's limiter: sleeping advances it. */
const clock = { t: T0, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
let limiter: RateLimiter;

beforeEach(() => {
  fake.reset();
  clock.t = Date.parse("2026-11-30T18:00:00Z");
  fake.cloudtrail.now = clock.now;
  limiter = createRateLimiter(2, clock);
});

const client = () => new CloudTrailClient(fake.clientSettings);

const target = (over: Partial<ActivityTarget> = {}): ActivityTarget => ({
  requestId: "142-financial-reports",
  accountId: HOME,
  region: "us-east-1",
  partition: "aws",
  principal: { kind: "iam_user", name: "alice" },
  from: "2026-11-30T08:00:00Z",
  to: "2026-11-30T16:00:00Z",
  ...over,
});

function userCalls(n: number, name = "alice", startMs = T0 + 60_000, account = HOME): void {
  for (let i = 0; i < n; i++) {
    fake.recordEvent({
      account,
      eventName: i % 2 ? "ListBuckets" : "GetBucketPolicy",
      eventSource: "s3.amazonaws.com",
      eventTime: new Date(startMs + i * 1000),
      identity: { type: "IAMUser", userName: name },
    });
  }
}

describe("the fake's LookupEvents follows the API reference", () => {
  const send = (input: LookupEventsCommandInput) => client().send(new LookupEventsCommand(input));

  it("more than one lookup attribute is InvalidLookupAttributesException", async () => {
    await expect(
      send({
        LookupAttributes: [
          { AttributeKey: "Username", AttributeValue: "a" },
          { AttributeKey: "EventName", AttributeValue: "b" },
        ],
      }),
    ).rejects.toMatchObject({ name: "InvalidLookupAttributesException" });
  });

  it.each([0, 51])("MaxResults %i is InvalidMaxResultsException", async (max) => {
    await expect(send({ MaxResults: max })).rejects.toMatchObject({ name: "InvalidMaxResultsException" });
  });

  it("StartTime after EndTime is InvalidTimeRangeException", async () => {
    await expect(send({ StartTime: new Date(T0 + 1000), EndTime: new Date(T0) })).rejects.toMatchObject({ name: "InvalidTimeRangeException" });
  });

  it("pages most recent first; a token is bound to its query", async () => {
    userCalls(60);
    const first = await send({ LookupAttributes: [{ AttributeKey: "Username", AttributeValue: "alice" }], MaxResults: 50 });
    expect(first.Events).toHaveLength(50);
    const times = (first.Events ?? []).map((e) => e.EventTime?.getTime() ?? 0);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(first.NextToken).toBeDefined();
    clock.t += 1000;
    await expect(send({ LookupAttributes: [{ AttributeKey: "Username", AttributeValue: "bob" }], NextToken: first.NextToken })).rejects.toMatchObject({
      name: "InvalidNextTokenException",
    });
    clock.t += 1000;
    const second = await send({ LookupAttributes: [{ AttributeKey: "Username", AttributeValue: "alice" }], MaxResults: 50, NextToken: first.NextToken });
    expect(second.Events).toHaveLength(10);
    expect(second.NextToken).toBeUndefined();
  });

  it("a third request within a second of the account is ThrottlingException", async () => {
    const settings = { ...fake.clientSettings, maxAttempts: 1 } as CloudTrailClientConfig;
    const once = new CloudTrailClient(settings);
    await once.send(new LookupEventsCommand({}));
    await once.send(new LookupEventsCommand({}));
    await expect(once.send(new LookupEventsCommand({}))).rejects.toMatchObject({ name: "ThrottlingException" });
    clock.t += 1000;
    await expect(once.send(new LookupEventsCommand({}))).resolves.toBeDefined();
  });
});

describe("lookupActivity", () => {
  it("iam user: pages through every event of the window, at most 2 requests a second, none throttled", async () => {
    userCalls(120);
    userCalls(5, "alice", T0 - 3 * 3600_000); // before the grant
    fake.recordEvent({
      account: HOME,
      eventName: "ListBuckets",
      eventSource: "s3.amazonaws.com",
      eventTime: new Date(T0 + 5000),
      identity: { type: "AssumedRole", roleName: "other", sessionName: "alice" },
    });
    const start = clock.t;
    const r = await lookupActivity(client(), target(), { limiter, now: clock.now });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.events).toHaveLength(120);
    expect(r.value.requests).toBe(3);
    expect(r.value.truncated).toBeUndefined();
    expect((r.value.events[0]?.eventTime ?? "") < (r.value.events[119]?.eventTime ?? "")).toBe(true);
    expect(fake.calls.filter((c) => c.service === "cloudtrail")).toHaveLength(3); // no retries: never throttled
    expect(clock.t - start).toBeGreaterThanOrEqual(1000); // 3 requests at 2/s
    expect(r.value.query).toEqual({ key: "Username", value: "alice" });
  });

  it("without the limiter the fake throttles and the SDK's retries run out: unavailable, not thrown", async () => {
    userCalls(300);
    const r = await lookupActivity(client(), target(), { limiter: createRateLimiter(1000, clock), now: clock.now });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(codesOf(r.problems)).toEqual(["aws.activity-unavailable"]);
  });

  it("one throttle during paging is retried by the SDK and the lookup completes", async () => {
    userCalls(70);
    fake.faults.add({ kind: "throttle", service: "cloudtrail", nth: 2 });
    const r = await lookupActivity(client(), target(), { limiter, now: clock.now });
    expect(r.ok && r.value.events.length).toBe(70);
    expect(fake.faults.fired).toHaveLength(1);
  });

  it.each([
    ["server-error", "aws.activity-unavailable"],
    ["crash", "aws.activity-unavailable"],
  ] as const)("an outage (%s on every call) is %s", async (kind, code) => {
    userCalls(3);
    fake.faults.add({ kind, service: "cloudtrail", times: 100 });
    const r = await lookupActivity(client(), target(), { limiter, now: clock.now });
    expect(r.ok ? [] : codesOf(r.problems)).toEqual([code]);
  });

  it("no permission is aws.activity-denied, naming cloudtrail:LookupEvents", async () => {
    const denying = {
      send: async () =>
        Promise.reject(Object.assign(new Error("User is not authorized to perform: cloudtrail:LookupEvents"), { name: "AccessDeniedException" })),
    };
    const r = await lookupActivity(denying, target(), { limiter, now: clock.now });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(codesOf(r.problems)).toEqual(["aws.activity-denied"]);
    expect(r.problems[0]?.message).toContain("cloudtrail:LookupEvents");
  });

  it("a window past the 90-day horizon is not queried", async () => {
    const r = await lookupActivity(client(), target({ from: "2026-08-01T08:00:00Z", to: "2026-08-01T16:00:00Z" }), { limiter, now: clock.now });
    expect(r.ok ? [] : codesOf(r.problems)).toEqual(["aws.activity-beyond-horizon"]);
    expect(fake.calls.filter((c) => c.service === "cloudtrail")).toHaveLength(0);
  });

  it("a window that starts past the horizon is cut to it and marked", async () => {
    const from = iso(clock.t - 91 * 24 * 3600_000);
    const r = await lookupActivity(client(), target({ from, to: iso(clock.t - 3600_000) }), { limiter, now: clock.now });
    expect(r.ok && r.value.truncated).toBe("horizon");
  });

  it("padding widens the window on both sides", async () => {
    userCalls(1, "alice", T0 - 5 * 60_000);
    userCalls(1, "alice", Date.parse("2026-11-30T16:05:00Z"));
    const without = await lookupActivity(client(), target(), { limiter, now: clock.now });
    const padded = await lookupActivity(client(), target(), { limiter, now: clock.now, paddingMs: 10 * 60_000 });
    expect(without.ok && without.value.events.length).toBe(0);
    expect(padded.ok && padded.value.events.length).toBe(2);
  });

  it("maxEvents cuts the lookup short and says so", async () => {
    userCalls(80);
    const r = await lookupActivity(client(), target(), { limiter, now: clock.now, maxEvents: 60 });
    expect(r.ok && r.value.events.length).toBe(60);
    expect(r.ok && r.value.truncated).toBe("max-events");
  });

  it("a time limit stops paging and says so", async () => {
    userCalls(200);
    const r = await lookupActivity(client(), target(), { limiter, now: clock.now, timeLimitMs: 1200 });
    expect(r.ok && r.value.truncated).toBe("time-limit");
    expect(r.ok && r.value.events.length).toBe(150); // pages at t+0, +0.5 s, +1 s; none after 1.2 s
  });

  it("identity center: only the user's sessions of this grant's permission set", async () => {
    const ps = permissionSetName("142-financial-reports");
    const at = (i: number) => new Date(T0 + i * 1000);
    fake.recordEvent({
      account: HOME,
      eventName: "DescribeInstances",
      eventSource: "ec2.amazonaws.com",
      eventTime: at(1),
      identity: { type: "AssumedRole", roleName: `AWSReservedSSO_${ps}_0123456789abcdef`, sessionName: "alice@example.com" },
    });
    fake.recordEvent({
      account: HOME,
      eventName: "DescribeVpcs",
      eventSource: "ec2.amazonaws.com",
      eventTime: at(2),
      identity: { type: "AssumedRole", roleName: "AWSReservedSSO_ReadOnly_0123456789abcdef", sessionName: "alice@example.com" },
    });
    fake.recordEvent({
      account: HOME,
      eventName: "DescribeVpcs",
      eventSource: "ec2.amazonaws.com",
      eventTime: at(3),
      identity: { type: "AssumedRole", roleName: `AWSReservedSSO_${ps}_0123456789abcdef`, sessionName: "bob@example.com" },
    });
    const r = await lookupActivity(client(), target({ principal: { kind: "sso_user", name: "alice@example.com" } }), { limiter, now: clock.now });
    expect(r.ok && r.value.events.map((e) => e.eventName)).toEqual(["DescribeInstances"]);
  });

  it("iam role: the sessions assumed from 12 hours before the window, each looked up by its key", async () => {
    const assume = (key: string, role: string, atMs: number) =>
      fake.recordEvent({
        account: HOME,
        eventName: "AssumeRole",
        eventSource: "sts.amazonaws.com",
        eventTime: new Date(atMs),
        identity: { type: "IAMUser", userName: "someone" },
        requestParameters: { roleArn: `arn:aws:iam::${HOME}:role/${role}`, roleSessionName: "s" },
        responseElements: { credentials: { accessKeyId: key } },
      });
    assume("ASIAEARLY", "bob-role", T0 - 2 * 3600_000); // alive when the grant started
    assume("ASIADURING", "bob-role", T0 + 3600_000);
    assume("ASIAOTHER", "other-role", T0 + 3600_000);
    const call = (key: string, atMs: number, name: string) =>
      fake.recordEvent({
        account: HOME,
        eventName: name,
        eventSource: "ec2.amazonaws.com",
        eventTime: new Date(atMs),
        accessKeyId: key,
        identity: { type: "AssumedRole", roleName: "bob-role", sessionName: "s" },
      });
    call("ASIAEARLY", T0 - 3600_000, "DescribeRegions"); // before the window: not counted
    call("ASIAEARLY", T0 + 60_000, "DescribeInstances");
    call("ASIADURING", T0 + 2 * 3600_000, "StopInstances");
    call("ASIAOTHER", T0 + 2 * 3600_000, "TerminateInstances");
    const r = await lookupActivity(client(), target({ principal: { kind: "iam_role", name: "bob-role" } }), { limiter, now: clock.now });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.sessions).toBe(2);
    expect(r.value.events.map((e) => e.eventName)).toEqual(["DescribeInstances", "StopInstances"]);
  });

  it("another account through its role_arn: the events of that account", async () => {
    fake.addRole(OTHER, "jit-access");
    userCalls(2, "alice", T0 + 1000, OTHER);
    userCalls(7, "alice", T0 + 1000, HOME);
    const c = activityClient(fake.clients, fake.clientSettings, { id: OTHER, roleArn: CROSS_ROLE }, "142-financial-reports");
    const r = await lookupActivity(c, target({ accountId: OTHER }), { limiter, now: clock.now });
    expect(r.ok && r.value.events.length).toBe(2);
  });

  it("activityClients: each account read with credentials checked to be in it", async () => {
    fake.addRole(OTHER, "jit-access");
    userCalls(1, "alice", T0 + 1000, HOME);
    userCalls(2, "alice", T0 + 1000, OTHER);
    const clients = activityClients(testConfig("iam", { aws: { allow_any_account: true } }), fake.clientSettings);
    const home = await lookupActivity(await clients(HOME, "142-financial-reports"), target(), { limiter, now: clock.now });
    const other = await lookupActivity(await clients(OTHER, "142-financial-reports"), target({ accountId: OTHER }), { limiter, now: clock.now });
    expect(home.ok && home.value.events.length).toBe(1);
    expect(other.ok && other.value.events.length).toBe(2);
    // An account without a role_arn that the app's credentials are not in: refused, not misread.
    await expect(clients("333333333333", "142-financial-reports")).rejects.toThrow(/add a role_arn for 333333333333/);
  });

  it.each([
    ["no trail", [], []],
    [
      "a management-only trail",
      [
        {
          Name: "mgmt",
          TrailARN: `arn:aws:cloudtrail:us-east-1:${HOME}:trail/mgmt`,
          EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [] }],
        },
      ],
      [],
    ],
    [
      "a trail with S3 data events",
      [
        {
          Name: "objects",
          TrailARN: `arn:aws:cloudtrail:us-east-1:${HOME}:trail/objects`,
          EventSelectors: [{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] }],
        },
      ],
      ["objects"],
    ],
    [
      "an advanced data selector",
      [
        {
          Name: "adv",
          TrailARN: `arn:aws:cloudtrail:us-east-1:${HOME}:trail/adv`,
          AdvancedEventSelectors: [
            {
              FieldSelectors: [
                { Field: "eventCategory", Equals: ["Data"] },
                { Field: "resources.type", Equals: ["AWS::S3::Object"] },
              ],
            },
          ],
        },
      ],
      ["adv"],
    ],
    ["an organization trail it may not read", [{ Name: "org", TrailARN: `arn:aws:cloudtrail:us-east-1:999999999999:trail/org` }], undefined],
    [
      "more trails than it asks about",
      Array.from({ length: 6 }, (_, i) => ({ Name: `t${i}`, TrailARN: `arn:aws:cloudtrail:us-east-1:${HOME}:trail/t${i}` })),
      undefined,
    ],
  ])("data-event trails with %s", async (_name, trails, expected) => {
    fake.cloudtrail.trails.set(HOME, trails);
    expect(await dataEventTrails(client())).toEqual(expected);
  });

  it("activityLookups: the closed request's principal, account, window and trails, and a console link", async () => {
    userCalls(3);
    fake.cloudtrail.trails.set(HOME, [
      {
        Name: "objects",
        TrailARN: `arn:aws:cloudtrail:us-east-1:${HOME}:trail/objects`,
        EventSelectors: [{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] }],
      },
    ]);
    const lookups = activityLookups(testConfig("iam"), fake.clientSettings, { now: () => new Date(clock.t), limiter, clientFor: () => client() });
    const request = {
      ...testRequest(),
      status: "revoked" as const,
      grant: {
        approved_by: ["bob"],
        merge_commit: "a".repeat(40),
        granted_at: "2026-11-30T08:00:00Z",
        expires_at: "2026-11-30T16:00:00Z",
        aws: { mode: "iam" as const, account_id: HOME },
      },
      closed: { at: "2026-11-30T16:00:00Z", reason: "done" },
    };
    const { scope, result } = await lookups(request, 0);
    expect(result.ok && result.value.events.length).toBe(3);
    expect(scope).toMatchObject({ principal: { kind: "iam_user", name: "alice" }, accountId: HOME, region: "us-east-1", dataEventTrails: ["objects"] });
    expect(scope?.consoleUrl).toContain("#/events?Username=alice&StartTime=2026-11-30T08");
    const unknown = await lookups({ ...request, requester: "nobody" }, 0);
    expect(unknown.result.ok ? [] : codesOf(unknown.result.problems)).toEqual(["aws.activity-principal"]);
  });

  it("an unparseable window is aws.activity-window, not a crash", async () => {
    const r = await lookupActivity(client(), target({ from: "yesterday" }), { limiter, now: clock.now });
    expect(r.ok ? [] : codesOf(r.problems)).toEqual(["aws.activity-window"]);
  });

  it("the console link filters like the lookup", () => {
    const url = consoleEventsUrl(
      "aws",
      "eu-west-1",
      { key: "Username", value: "alice@example.com" },
      { from: "2026-11-30T08:00:00.000Z", to: "2026-11-30T16:00:00.000Z" },
    );
    expect(url).toBe(
      "https://console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events?Username=alice%40example.com&StartTime=2026-11-30T08%3A00%3A00.000Z&EndTime=2026-11-30T16%3A00%3A00.000Z",
    );
    expect(consoleEventsUrl("aws-cn", "cn-north-1", { key: "Username", value: "a" }, { from: "x", to: "y" })).toMatch(/^https:\/\/console\.amazonaws\.cn\//);
  });
});
