// The closing comment about a grant's activity: golden text for the common case, and the
// properties every variant must keep (blind spot stated, link present, CloudTrail text quoted).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import { problem } from "../src/domain/problems.js";
import type { PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { ACTIVITY_MARKER, activityComment, type ActivityCommentInput } from "../src/github/activity-comment.js";

const catalogue = loadCatalogue();
const URL_ = "https://console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events?Username=alice";
const policy: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketTagging"],
      Resource: ["arn:aws:s3:::financial-reports", "arn:aws:s3:::financial-reports/*"],
    },
    {
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:FilterLogEvents"],
      Resource: "arn:aws:logs:us-east-1:111111111111:log-group:app:*",
    },
  ],
};
const request = {
  request: [
    { service: "s3", access: ["read" as const, "list" as const], resources: ["financial-reports"] },
    { service: "logs", access: ["read" as const], resources: ["app"] },
  ],
};
const at = (m: number) => `2026-11-30T${String(9 + Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}:00.000Z`;
const events: ActivityEvent[] = [
  { eventTime: at(1), eventSource: "s3.amazonaws.com", eventName: "ListObjectsV2", resources: ["arn:aws:s3:::financial-reports"] },
  { eventTime: at(2), eventSource: "s3.amazonaws.com", eventName: "ListObjectsV2", resources: ["arn:aws:s3:::financial-reports"] },
  { eventTime: at(3), eventSource: "logs.amazonaws.com", eventName: "GetLogEvents", resources: ["app"] },
  {
    eventTime: at(7),
    eventSource: "s3.amazonaws.com",
    eventName: "PutObject",
    errorCode: "AccessDenied",
    resources: ["arn:aws:s3:::financial-reports/q4.csv"],
  },
  { eventTime: at(0), eventSource: "signin.amazonaws.com", eventName: "ConsoleLogin" },
];
const base = (outcome: ActivityCommentInput["outcome"]): ActivityCommentInput => ({
  request,
  principal: { kind: "iam_user", name: "alice" },
  accountId: "111111111111",
  region: "us-east-1",
  consoleUrl: URL_,
  outcome,
});
const window = { from: "2026-11-30T08:55:00.000Z", to: "2026-11-30T17:05:00.000Z" };

describe("activityComment", () => {
  it("golden: used 2 of 7 actions, one denied call", async () => {
    const text = activityComment(base({ ok: true, summary: summariseActivity(catalogue, policy, events), window }));
    await expect(text).toMatchFileSnapshot("golden/activity-comment.md");
    expect(text.startsWith(ACTIVITY_MARKER)).toBe(true);
    expect(text).toContain("**5 calls** to 3 services, **1 denied**");
    expect(text).toContain("2026-11-30 09:07 UTC `s3:PutObject` on `arn:aws:s3:::financial-reports/q4.csv` (AccessDenied)");
    expect(text).toContain("**Granted but never used**: 5 of 7 actions");
    expect(text).toContain("- { service: logs, actions: [logs:DescribeLogStreams, logs:GetLogEvents], resources: [app] }");
    expect(text).toContain("- { service: s3, actions: [s3:ListBucket], resources: [financial-reports] }");
    expect(text).toContain(`[the CloudTrail console](${URL_})`);
    expect(text).toContain("management events only");
  });

  it("an outage: says activity is unavailable, that the grant was closed, and links the console", () => {
    const text = activityComment(
      base({
        ok: false,
        problems: [problem("aws.activity-unavailable", "CloudTrail LookupEvents failed in account 111111111111 (InternalServerException: boom)")],
      }),
    );
    expect(text).toContain("**Activity unavailable**");
    expect(text).toContain("The grant was closed all the same.");
    expect(text).toContain("`aws.activity-unavailable`");
    expect(text).toContain(URL_);
  });

  it("beyond the horizon says so instead of 'unavailable'", () => {
    const text = activityComment(base({ ok: false, problems: [problem("aws.activity-beyond-horizon", "older than 90 days")] }));
    expect(text).toContain("more than 90 days ago");
    expect(text).not.toContain("Activity unavailable");
  });

  it("nothing used: asks whether the access was needed, offers no narrower line", () => {
    const text = activityComment(base({ ok: true, summary: summariseActivity(catalogue, policy, []), window }));
    expect(text).toContain("**no calls**");
    expect(text).toContain("was this access needed?");
    expect(text).not.toContain("```yaml");
  });

  it("role mode names the sessions and says whoever opened them is counted", () => {
    const text = activityComment({
      ...base({ ok: true, summary: summariseActivity(catalogue, policy, events), window, sessions: 2 }),
      principal: { kind: "iam_role", name: "bob-role" },
    });
    expect(text).toContain("sessions of IAM role `bob-role` — 2 sessions, whoever opened them");
  });

  it.each([
    ["max-events", "event limit"],
    ["max-sessions", "more sessions"],
    ["horizon", "last 90 days"],
    ["time-limit", "time limit"],
  ] as const)("truncated %s is said", (truncated, words) => {
    expect(activityComment(base({ ok: true, summary: summariseActivity(catalogue, policy, events), window, truncated }))).toContain(words);
  });

  it.each([
    [undefined, "could not be read"],
    [[], "No trail of this account records data events"],
    [["objects"], "The trail `objects` records data events"],
    [["a", "b"], "The trails `a`, `b` record data events"],
  ])("data-event trails %j are said", (trails, words) => {
    const text = activityComment({
      ...base({ ok: true, summary: summariseActivity(catalogue, policy, events), window }),
      ...(trails ? { dataEventTrails: trails } : {}),
    });
    expect(text).toContain(words);
  });

  it("property: CloudTrail text cannot mention people, break out of code spans or add HTML", () => {
    const hostile = fc.constantFrom("@octocat", "<img src=x>", "a`b`c", "#1 closes #2", "x\ny", "[link](http://e)", "](x)");
    fc.assert(
      fc.property(hostile, hostile, hostile, (resource, errorCode, name) => {
        const evs: ActivityEvent[] = [
          { eventTime: at(1), eventSource: "s3.amazonaws.com", eventName: name, errorCode: `AccessDenied${errorCode}`, resources: [resource] },
          { eventTime: at(2), eventSource: "s3.amazonaws.com", eventName: "GetObject", errorCode: "AccessDenied", resources: [resource] },
        ];
        const text = activityComment(base({ ok: true, summary: summariseActivity(catalogue, policy, evs), window }));
        const body = text.split("\n").filter((l) => !l.startsWith(ACTIVITY_MARKER));
        for (const line of body) {
          const outside = line.replace(/`[^`\n]*`/g, "");
          expect(outside).not.toMatch(/(^|[^\\])@(?!\u200b)\w/);
          expect(outside).not.toMatch(/(^|[^\\])<img/);
        }
        expect((text.match(/```/g) ?? []).length % 2).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
