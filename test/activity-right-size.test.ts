// Right-sizing the next request from the last grant's recorded activity.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { activityRecord, grantedActions, summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import { rightSize } from "../src/policy/right-size.js";
import type { AccessRequest, PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { HOME, testRequest } from "./support/fake-aws/fixtures.js";

const catalogue = loadCatalogue();
const POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:GetBucketAcl"],
      Resource: ["arn:aws:s3:::financial-reports", "arn:aws:s3:::financial-reports/*"],
    },
    {
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:FilterLogEvents"],
      Resource: "arn:aws:logs:us-east-1:111111111111:log-group:app:*",
    },
  ],
};
const ev = (eventSource: string, eventName: string): ActivityEvent => ({ eventTime: "2026-11-30T09:00:00.000Z", eventSource, eventName });

function past(id: string, events: ActivityEvent[], over: Partial<AccessRequest> = {}, closedAt = "2026-11-30T16:00:00Z"): AccessRequest {
  const summary = summariseActivity(catalogue, POLICY, events);
  return {
    ...testRequest({
      id,
      policy: POLICY,
      request: [
        { service: "s3", access: ["read", "list"], resources: ["financial-reports"] },
        { service: "logs", access: ["read"], resources: ["app"] },
      ],
    }),
    status: "expired",
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      granted_at: "2026-11-30T08:00:00Z",
      expires_at: closedAt,
      aws: { mode: "iam", account_id: HOME },
    },
    closed: { at: closedAt, reason: "expired" },
    activity: activityRecord(summary, { lookedUpAt: closedAt, window: { from: "2026-11-30T08:00:00Z", to: closedAt } }),
    ...over,
  };
}
const next = testRequest({ id: "150-financial-reports", request: [{ service: "s3", access: ["read", "list"], resources: ["financial-reports"] }] });

describe("rightSize", () => {
  it("the last grant used 1 of 5 s3 actions: the next request is offered the narrower line", () => {
    const r = rightSize(catalogue, [past("140-financial-reports", [ev("s3.amazonaws.com", "ListObjectsV2")])], next);
    expect(r).toEqual([
      {
        service: "s3",
        resources: ["financial-reports"],
        previousId: "140-financial-reports",
        closedAt: "2026-11-30T16:00:00Z",
        granted: 5,
        unused: ["s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:GetObject"],
        line: "- { service: s3, actions: [s3:ListBucket], resources: [financial-reports] }",
      },
    ]);
  });

  it("the latest matching grant wins", () => {
    const older = past("130-financial-reports", [ev("s3.amazonaws.com", "ListObjectsV2")], {}, "2026-11-20T16:00:00Z");
    const newer = past("140-financial-reports", [ev("s3.amazonaws.com", "GetBucketPolicy")], {}, "2026-11-30T16:00:00Z");
    expect(rightSize(catalogue, [newer, older], next)[0]?.previousId).toBe("140-financial-reports");
  });

  it.each([
    ["another requester", { requester: "carol" }],
    ["another account", { account: "other" }],
    ["other resources", { request: [{ service: "s3", access: ["read" as const], resources: ["other-bucket"] }] }],
    [
      "no summarised activity",
      {
        activity: {
          status: "unavailable" as const,
          code: "aws.activity-unavailable",
          looked_up_at: "2026-11-30T16:00:00Z",
          data_events_visible: false as const,
        },
      },
    ],
  ])("no suggestion from a grant with %s", (_name, over) => {
    expect(rightSize(catalogue, [past("140-financial-reports", [ev("s3.amazonaws.com", "ListObjectsV2")], over as Partial<AccessRequest>)], next)).toEqual([]);
  });

  it("no suggestion when every action was used, or none was", () => {
    const all = ["ListObjectsV2", "GetObject", "GetBucketPolicy", "GetBucketTagging", "GetBucketAcl"].map((n) => ev("s3.amazonaws.com", n));
    expect(rightSize(catalogue, [past("140-financial-reports", all)], next)).toEqual([]);
    expect(rightSize(catalogue, [past("140-financial-reports", [])], next)).toEqual([]);
  });

  it("companions the last grant had come along (logs:GetLogEvents brings DescribeLogStreams)", () => {
    const n = testRequest({ id: "150-financial-reports", request: [{ service: "logs", access: ["read"], resources: ["app"] }] });
    const r = rightSize(catalogue, [past("140-financial-reports", [ev("logs.amazonaws.com", "GetLogEvents")])], n);
    expect(r[0]?.line).toBe("- { service: logs, actions: [logs:DescribeLogStreams, logs:GetLogEvents], resources: [app] }");
  });

  it("property: the suggestion lies within the last grant and, for s3 (no companions), names only used actions", () => {
    const ops = fc.constantFrom(
      ...["ListObjectsV2", "GetObject", "GetBucketPolicy", "GetBucketTagging", "GetBucketAcl", "PutObject"].map((n) => ev("s3.amazonaws.com", n)),
    );
    const granted = new Set(grantedActions(catalogue, POLICY));
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 12 }), (events) => {
        for (const s of rightSize(catalogue, [past("140-financial-reports", events)], next)) {
          const actions = /actions: \[([^\]]*)\]/.exec(s.line)?.[1]?.split(", ") ?? [];
          for (const a of actions) {
            expect(granted.has(a)).toBe(true);
            expect(s.unused).not.toContain(a);
          }
          expect(s.unused.length).toBeLessThan(s.granted);
        }
      }),
      { numRuns: 100 },
    );
  });
});
