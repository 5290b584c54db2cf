// The pure activity summary: CloudTrail events against the grant's policy.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionsOfEvent, EVENT_ACTIONS, grantedActions, isDenied, serviceOfSource, summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import type { PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";

const catalogue = loadCatalogue();

const policy = (actions: string[], extra: PolicyDocument["Statement"] = []): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "Grant", Effect: "Allow", Action: actions, Resource: "*" }, ...extra],
});

const ev = (eventName: string, eventSource = "s3.amazonaws.com", more: Partial<ActivityEvent> = {}): ActivityEvent => ({
  eventTime: "2026-11-30T10:00:00Z",
  eventSource,
  eventName,
  ...more,
});

describe("event → IAM action", () => {
  it.each([
    ["s3.amazonaws.com", "ListBuckets", ["s3:ListAllMyBuckets"]],
    ["s3.amazonaws.com", "ListObjects", ["s3:ListBucket"]],
    ["s3.amazonaws.com", "ListObjectsV2", ["s3:ListBucket"]],
    ["s3.amazonaws.com", "HeadObject", ["s3:GetObject"]],
    ["s3.amazonaws.com", "CopyObject", ["s3:GetObject", "s3:PutObject"]],
    ["s3.amazonaws.com", "GetBucketEncryption", ["s3:GetEncryptionConfiguration"]],
    ["s3.amazonaws.com", "GetBucketPolicy", ["s3:GetBucketPolicy"]],
    ["lambda.amazonaws.com", "GetFunction20150331v2", ["lambda:GetFunction"]],
    ["lambda.amazonaws.com", "ListFunctions20150331", ["lambda:ListFunctions"]],
    ["monitoring.amazonaws.com", "GetMetricData", ["cloudwatch:GetMetricData"]],
    ["email.amazonaws.com", "SendEmail", ["ses:SendEmail"]],
    ["ec2.amazonaws.com", "DescribeInstances", ["ec2:DescribeInstances"]],
    ["logs.amazonaws.com", "FilterLogEvents", ["logs:FilterLogEvents"]],
    ["iam.amazonaws.com", "ListRoles", ["iam:ListRoles"]],
  ])("%s %s → %j", (source, name, actions) => {
    expect(actionsOfEvent(catalogue, source, name)).toEqual(actions);
  });

  it.each([
    ["signin.amazonaws.com", "ConsoleLogin"],
    ["s3.amazonaws.com", "NotARealOperation"],
    ["nosuchservice.amazonaws.com", "DoThing"],
  ])("%s %s is unmapped, not guessed", (source, name) => {
    expect(actionsOfEvent(catalogue, source, name)).toBeUndefined();
  });

  it("every action the reviewed table names exists in the catalogue", () => {
    for (const [service, table] of Object.entries(EVENT_ACTIONS)) {
      for (const [event, actions] of Object.entries(table)) {
        for (const a of actions) expect(catalogue.action(`${service}:${a}`), `${service} ${event} → ${a}`).toBeDefined();
      }
    }
  });

  it("eventSource → service prefix", () => {
    expect(serviceOfSource("s3.amazonaws.com")).toBe("s3");
    expect(serviceOfSource("monitoring.amazonaws.com")).toBe("cloudwatch");
    expect(serviceOfSource("ec2.amazonaws.com.cn")).toBe("ec2");
  });

  it.each([
    ["AccessDenied", true],
    ["AccessDeniedException", true],
    ["Client.UnauthorizedOperation", true],
    ["UnauthorizedOperation", true],
    ["AuthorizationError", true],
    ["NoSuchBucket", false],
    ["ThrottlingException", false],
    [undefined, false],
  ])("isDenied(%s) = %s", (code, expected) => {
    expect(isDenied(code)).toBe(expected);
  });
});

describe("granted actions", () => {
  it("expands wildcards through the catalogue and canonicalises case", () => {
    const g = grantedActions(catalogue, policy(["s3:getobject", "logs:Describe*"]));
    expect(g).toContain("s3:GetObject");
    expect(g).toContain("logs:DescribeLogGroups");
    expect(g.every((a) => a.startsWith("s3:") || a.startsWith("logs:Describe"))).toBe(true);
  });

  it("an unconditional Deny on * takes actions away; a conditional one does not", () => {
    const g = grantedActions(
      catalogue,
      policy(
        ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        [
          { Effect: "Deny", Action: "s3:PutObject", Resource: "*" },
          { Effect: "Deny", Action: "s3:ListBucket", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      ),
    );
    expect(g).toEqual(["s3:GetObject", "s3:ListBucket"]);
  });
});

describe("summariseActivity", () => {
  it("3 of 25 granted actions used, one AccessDenied, one call outside the grant", () => {
    const ecr = grantedActions(catalogue, policy(["ecr:*"])).filter((a) => a !== "ecr:GetAuthorizationToken");
    const granted = ["ecr:GetAuthorizationToken", ...ecr.slice(0, 21), "logs:GetLogEvents", "logs:DescribeLogStreams", "s3:ListBucket"];
    expect(granted).toHaveLength(25);
    const events: ActivityEvent[] = [
      ev("ListObjectsV2", "s3.amazonaws.com", { resources: ["arn:aws:s3:::logs-bucket"] }),
      ev("ListObjects", "s3.amazonaws.com", { resources: ["arn:aws:s3:::logs-bucket"] }),
      ev("GetLogEvents", "logs.amazonaws.com", { resources: ["app"] }),
      ev("GetAuthorizationToken", "ecr.amazonaws.com"),
      ev("PutObject", "s3.amazonaws.com", { eventTime: "2026-11-30T10:05:00Z", errorCode: "AccessDenied", resources: ["arn:aws:s3:::logs-bucket/x"] }),
      ev("ConsoleLogin", "signin.amazonaws.com"),
    ];
    const s = summariseActivity(catalogue, policy(granted), events);
    expect(s.total).toBe(6);
    expect(s.deniedTotal).toBe(1);
    expect(s.used).toEqual(["ecr:GetAuthorizationToken", "logs:GetLogEvents", "s3:ListBucket"]);
    expect(s.unused).toHaveLength(22);
    expect(s.used.length + s.unused.length).toBe(s.granted.length);
    expect(s.denied).toEqual([{ at: "2026-11-30T10:05:00Z", action: "s3:PutObject", errorCode: "AccessDenied", resource: "arn:aws:s3:::logs-bucket/x" }]);
    expect(s.outside).toEqual(["s3:PutObject"]);
    expect(s.unmapped).toEqual(["signin.amazonaws.com ConsoleLogin"]);
    expect(s.services[0]).toMatchObject({ service: "s3", calls: 3, denied: 1 });
    expect(s.services[0]?.actions[0]).toEqual({ action: "s3:ListBucket", calls: 2, denied: 0, mapped: true });
    expect(s.resources[0]).toEqual({ resource: "arn:aws:s3:::logs-bucket", calls: 2 });
    // GetLogEvents brings its granted companion DescribeLogStreams; the denied PutObject is not added.
    expect(s.suggestion.logs).toEqual(["logs:DescribeLogStreams", "logs:GetLogEvents"]);
    expect(s.suggestion.s3).toEqual(["s3:ListBucket"]);
  });

  it("a companion the grant does not have is not suggested (the suggestion never widens)", () => {
    const s = summariseActivity(catalogue, policy(["logs:GetLogEvents"]), [ev("GetLogEvents", "logs.amazonaws.com")]);
    expect(s.suggestion).toEqual({ logs: ["logs:GetLogEvents"] });
  });

  it("no events: everything granted is unused, nothing suggested", () => {
    const s = summariseActivity(catalogue, policy(["s3:GetObject", "s3:ListBucket"]), []);
    expect(s).toMatchObject({ total: 0, used: [], unused: ["s3:GetObject", "s3:ListBucket"], suggestion: {}, services: [] });
  });

  it("failed calls that are not denials are counted apart", () => {
    const s = summariseActivity(catalogue, policy(["s3:GetBucketPolicy"]), [ev("GetBucketPolicy", "s3.amazonaws.com", { errorCode: "NoSuchBucketPolicy" })]);
    expect(s).toMatchObject({ deniedTotal: 0, failedTotal: 1, denied: [], used: ["s3:GetBucketPolicy"] });
  });

  const known: Array<[string, string]> = [
    ["s3.amazonaws.com", "ListBuckets"],
    ["s3.amazonaws.com", "GetBucketPolicy"],
    ["s3.amazonaws.com", "CopyObject"],
    ["s3.amazonaws.com", "ListObjectsV2"],
    ["ec2.amazonaws.com", "DescribeInstances"],
    ["ec2.amazonaws.com", "StartInstances"],
    ["logs.amazonaws.com", "GetLogEvents"],
    ["lambda.amazonaws.com", "GetFunction20150331v2"],
    ["signin.amazonaws.com", "ConsoleLogin"],
    ["sts.amazonaws.com", "GetCallerIdentity"],
  ];
  const grantable = [
    "s3:ListAllMyBuckets",
    "s3:GetBucketPolicy",
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "ec2:DescribeInstances",
    "ec2:StartInstances",
    "logs:GetLogEvents",
    "logs:DescribeLogStreams",
    "lambda:GetFunction",
    "ecr:GetAuthorizationToken",
  ];
  const event = fc.record({
    op: fc.constantFrom(...known),
    errorCode: fc.option(fc.constantFrom("AccessDenied", "Client.UnauthorizedOperation", "NoSuchBucket"), { nil: undefined }),
    minute: fc.integer({ min: 0, max: 59 }),
    resources: fc.array(fc.constantFrom("a", "b", "arn:aws:s3:::c"), { maxLength: 2 }),
  });

  it("property: used ∪ unused = granted (disjoint), counts sum to the events, suggestion ⊆ granted", () => {
    fc.assert(
      fc.property(fc.subarray(grantable, { minLength: 1 }), fc.array(event, { maxLength: 40 }), (actions, raw) => {
        const events: ActivityEvent[] = raw.map((r) => ({
          eventTime: `2026-11-30T10:${String(r.minute).padStart(2, "0")}:00Z`,
          eventSource: r.op[0],
          eventName: r.op[1],
          resources: r.resources,
          ...(r.errorCode ? { errorCode: r.errorCode } : {}),
        }));
        const s = summariseActivity(catalogue, policy(actions), events);
        expect([...s.used, ...s.unused].sort()).toEqual(s.granted);
        expect(s.used.filter((a) => s.unused.includes(a))).toEqual([]);
        expect(s.services.reduce((n, x) => n + x.calls, 0)).toBe(events.length);
        for (const x of s.services) expect(x.actions.reduce((n, a) => n + a.calls, 0)).toBe(x.calls);
        expect(s.deniedTotal).toBe(s.denied.length);
        expect(s.deniedTotal + s.failedTotal).toBe(events.filter((e) => e.errorCode).length);
        const grantedSet = new Set(s.granted);
        for (const list of Object.values(s.suggestion)) for (const a of list) expect(grantedSet.has(a)).toBe(true);
        for (const a of s.used) expect(Object.values(s.suggestion).flat()).toContain(a);
        expect(s.outside.filter((a) => grantedSet.has(a))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
