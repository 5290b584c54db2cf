// `activity:` in the request file and `activity:` in the config: shape, caps, defaults, and who may write it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activityUnavailable, paddingMs, RECORD_DENIED_MAX, RECORD_UNUSED_MAX } from "../src/domain/activity.js";
import { activityRecord, summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import { configFromObject, defaultConfig } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { checkRequest, parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { validateRequestShape } from "../src/domain/schema.js";
import type { AccessRequest, ActivityRecord } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { HOME, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const catalogue = loadCatalogue();
const FILE = "access-requests/prod/2026/142-financial-reports.yaml";

function closedRequest(activity?: ActivityRecord, status: AccessRequest["status"] = "expired"): AccessRequest {
  return {
    ...testRequest(),
    status,
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      granted_at: "2026-11-30T08:00:00Z",
      expires_at: "2026-11-30T16:00:00Z",
      aws: { mode: "iam", account_id: HOME },
    },
    ...(status === "expired" || status === "revoked" ? { closed: { at: "2026-11-30T16:00:00Z", reason: "expired" } } : {}),
    ...(activity ? { activity } : {}),
  };
}

const facts = { lookedUpAt: "2026-11-30T16:01:00Z", window: { from: "2026-11-30T07:55:00.000Z", to: "2026-11-30T16:05:00.000Z" } };

describe("the activity record", () => {
  const ops: Array<[string, string]> = [
    ["s3.amazonaws.com", "ListObjectsV2"],
    ["s3.amazonaws.com", "GetBucketPolicy"],
    ["s3.amazonaws.com", "PutObject"],
    ["ec2.amazonaws.com", "DescribeInstances"],
    ["signin.amazonaws.com", "ConsoleLogin"],
  ];
  const events = fc.array(
    fc.record({
      op: fc.constantFrom(...ops),
      denied: fc.boolean(),
      second: fc.integer({ min: 0, max: 28_000 }),
      resource: fc.option(fc.constantFrom("arn:aws:s3:::financial-reports", "i-0123"), { nil: undefined }),
    }),
    { maxLength: 80 },
  );

  it("property: a record from any summary validates, is capped, and keeps the full totals", () => {
    fc.assert(
      fc.property(events, fc.boolean(), (raw, wide) => {
        const evs: ActivityEvent[] = raw.map((r) => ({
          eventTime: new Date(Date.parse("2026-11-30T08:00:00Z") + r.second * 1000).toISOString(),
          eventSource: r.op[0],
          eventName: r.op[1],
          ...(r.denied ? { errorCode: "AccessDenied" } : {}),
          ...(r.resource ? { resources: [r.resource] } : {}),
        }));
        const policy = wide
          ? { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: ["s3:*", "ec2:Describe*"], Resource: "*" }] }
          : testPolicy();
        const summary = summariseActivity(catalogue, policy, evs);
        const record = activityRecord(summary, facts);
        expect(validateRequestShape(closedRequest(record))).toEqual([]);
        expect(record.total).toBe(evs.length);
        expect(Object.values(record.services ?? {}).reduce((a, b) => a + b, 0)).toBe(evs.length);
        expect(record.denied_total).toBe(evs.filter((e) => e.errorCode).length);
        expect(record.denied?.length).toBe(Math.min(RECORD_DENIED_MAX, record.denied_total ?? 0));
        expect(record.unused_total).toBe(summary.unused.length);
        expect(record.unused?.length).toBe(Math.min(RECORD_UNUSED_MAX, summary.unused.length));
        expect(record.data_events_visible).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it.each([
    ["aws.activity-unavailable", "unavailable"],
    ["aws.activity-denied", "unavailable"],
    ["aws.activity-beyond-horizon", "beyond-horizon"],
  ] as const)("%s is recorded as %s, and validates", (code, status) => {
    const r = activityUnavailable(code, facts.lookedUpAt);
    expect(r).toEqual({ status, code, looked_up_at: facts.lookedUpAt, data_events_visible: false });
    expect(validateRequestShape(closedRequest(r))).toEqual([]);
  });

  it.each([
    ["data_events_visible true", { data_events_visible: true }],
    ["an unknown field", { extra: 1 }],
    ["a negative total", { total: -1 }],
    ["21 denied calls", { denied: Array.from({ length: 21 }, () => ({ at: "2026-11-30T09:00:00Z", action: "s3:PutObject", error: "AccessDenied" })) }],
    ["an unknown status", { status: "fine" }],
  ])("the schema refuses %s", (_name, patch) => {
    const record = { ...activityUnavailable("aws.activity-unavailable", facts.lookedUpAt), ...patch } as unknown as ActivityRecord;
    expect(validateRequestShape(closedRequest(record)).length).toBeGreaterThan(0);
  });

  it("dumpRequest keeps activity (after closed) and the file parses back", () => {
    const summary = summariseActivity(catalogue, testPolicy(), [
      { eventTime: "2026-11-30T09:00:00.000Z", eventSource: "s3.amazonaws.com", eventName: "ListObjectsV2" },
    ]);
    const request = closedRequest(activityRecord(summary, facts));
    const text = dumpRequest(request);
    expect(text.indexOf("\nactivity:")).toBeGreaterThan(text.indexOf("\nclosed:"));
    const parsed = parseRequestFile(text, { file: FILE, config: testConfig("iam") });
    expect(parsed.ok ? parsed.value.request.activity : parsed.problems).toEqual(request.activity);
  });

  it.each(["proposed", "active"] as const)("a %s request cannot carry activity (it is written by the app at close-out)", (status) => {
    const r = checkRequest(closedRequest(activityUnavailable("aws.activity-unavailable", facts.lookedUpAt), status), { file: FILE, config: testConfig("iam") });
    expect(r.ok ? [] : codesOf(r.problems)).toContain("record.activity-not-closed");
  });
});

describe("activity config", () => {
  it("defaults: enabled, 5m padding", () => {
    expect(defaultConfig().activity).toEqual({ enabled: true, lookback_padding: "5m" });
  });

  it.each([
    ["0", 0],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["24h", 86_400_000],
  ])("lookback_padding %s is %i ms", (text, ms) => {
    expect(paddingMs(text)).toEqual({ ok: true, value: ms });
    expect(configFromObject({ activity: { lookback_padding: text } }).ok).toBe(true);
  });

  it.each(["25h", "2d", "soon", "-5m"])("lookback_padding %s is refused, naming the field", (text) => {
    const r = configFromObject({ activity: { lookback_padding: text } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.some((p) => p.path.includes("lookback_padding") || p.message.includes("lookback_padding"))).toBe(true);
  });

  it("a padding over 24h is config.activity-padding", () => {
    const r = configFromObject({ activity: { lookback_padding: "25h" } });
    expect(r.ok ? [] : codesOf(r.problems)).toEqual(["config.activity-padding"]);
  });

  it("activity can be turned off", () => {
    const r = configFromObject({ activity: { enabled: false } });
    expect(r.ok && r.value.activity).toEqual({ enabled: false, lookback_padding: "5m" });
  });
});
