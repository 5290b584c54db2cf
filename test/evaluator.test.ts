import { describe, it, expect } from "vitest";
import fc from "fast-check";
import type { Condition, PolicyDocument, Statement } from "../src/domain/types.js";
import { evaluate, parseIamDate, simulate } from "../src/policy/evaluator.js";
import { stampExpiry } from "../src/policy/stamp.js";

const OBJ = "arn:aws:s3:::bucket/key";
const BUCKET = "arn:aws:s3:::bucket";
const TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table/T";
const NOW = "2026-11-27T09:00:00Z";
const EXPIRES = "2026-11-27T10:00:00Z";

function policy(...Statement: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement };
}
function allow(Action: string | string[], Resource: string | string[], Condition?: Condition): Statement {
  return Condition ? { Effect: "Allow", Action, Resource, Condition } : { Effect: "Allow", Action, Resource };
}
function deny(Action: string | string[], Resource: string | string[], Condition?: Condition): Statement {
  return Condition ? { Effect: "Deny", Action, Resource, Condition } : { Effect: "Deny", Action, Resource };
}
function decide(p: PolicyDocument, action: string, resource: string, currentTime = NOW): string {
  return evaluate(p, { action, resource, currentTime }).decision;
}

describe("evaluate: actions", () => {
  it("matches exact actions, case-insensitively (service prefix included)", () => {
    const p = policy(allow("s3:GetObject", OBJ));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "s3:getobject", OBJ)).toBe("Allow");
    expect(decide(p, "S3:GETOBJECT", OBJ)).toBe("Allow");
    expect(decide(p, "s3:GetObjectAcl", OBJ)).toBe("ImplicitDeny");
    expect(decide(p, "s3:PutObject", OBJ)).toBe("ImplicitDeny");
    expect(decide(p, "dynamodb:GetObject", OBJ)).toBe("ImplicitDeny");
  });

  it("supports * and ? wildcards", () => {
    expect(decide(policy(allow("s3:Get*", OBJ)), "s3:GetObjectAcl", OBJ)).toBe("Allow");
    expect(decide(policy(allow("s3:Get*", OBJ)), "s3:PutObject", OBJ)).toBe("ImplicitDeny");
    expect(decide(policy(allow("s3:*Object", OBJ)), "s3:DeleteObject", OBJ)).toBe("Allow");
    expect(decide(policy(allow("s3:G?tObject", OBJ)), "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(policy(allow("s3:G?tObject", OBJ)), "s3:GtObject", OBJ)).toBe("ImplicitDeny");
    expect(decide(policy(allow("*", OBJ)), "dynamodb:GetItem", OBJ)).toBe("Allow");
    expect(decide(policy(allow("s3:*", OBJ)), "s3:ListBucket", OBJ)).toBe("Allow");
    // A wildcard does not turn one service into another.
    expect(decide(policy(allow("s3:*", OBJ)), "s3x:GetObject", OBJ)).toBe("ImplicitDeny");
  });

  it("treats regex metacharacters in patterns literally", () => {
    expect(decide(policy(allow("s3:Get.bject", OBJ)), "s3:GetObject", OBJ)).toBe("ImplicitDeny");
    expect(decide(policy(allow("s3:GetObject", "arn:aws:s3:::b.cket/(k)+")), "s3:GetObject", "arn:aws:s3:::bucket/kk")).toBe("ImplicitDeny");
    expect(decide(policy(allow("s3:GetObject", "arn:aws:s3:::b.cket/(k)+")), "s3:GetObject", "arn:aws:s3:::b.cket/(k)+")).toBe("Allow");
  });

  it("accepts an array of actions (any may match); an empty list is not valid (Unknown)", () => {
    const p = policy(allow(["s3:PutObject", "s3:GetObject"], OBJ));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    // As NotAction, an empty list would match every action: no reading of it is safe.
    expect(decide(policy(allow([], OBJ)), "s3:GetObject", OBJ)).toBe("Unknown");
    expect(decide(policy(deny([], OBJ)), "s3:GetObject", OBJ)).toBe("Unknown");
  });
});

describe("evaluate: resources", () => {
  it("matches resources case-sensitively", () => {
    const p = policy(allow("s3:GetObject", OBJ));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "s3:GetObject", "arn:aws:s3:::bucket/KEY")).toBe("ImplicitDeny");
    expect(decide(p, "s3:GetObject", "arn:aws:s3:::Bucket/key")).toBe("ImplicitDeny");
  });

  it("lets * span / and :, and ? match exactly one character", () => {
    expect(decide(policy(allow("s3:GetObject", "arn:aws:s3:::bucket/*")), "s3:GetObject", "arn:aws:s3:::bucket/a/b:c")).toBe("Allow");
    expect(decide(policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:*")), "dynamodb:GetItem", TABLE)).toBe("Allow");
    expect(decide(policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:*:table/?")), "dynamodb:GetItem", TABLE)).toBe("Allow");
    expect(decide(policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:*:table/?")), "dynamodb:GetItem", `${TABLE}2`)).toBe("ImplicitDeny");
    expect(decide(policy(allow("s3:GetObject", "*")), "s3:GetObject", OBJ)).toBe("Allow");
  });

  it("distinguishes a bucket from its objects", () => {
    expect(decide(policy(allow("s3:*", "arn:aws:s3:::bucket/*")), "s3:ListBucket", BUCKET)).toBe("ImplicitDeny");
    expect(decide(policy(allow("s3:*", "arn:aws:s3:::bucket")), "s3:GetObject", OBJ)).toBe("ImplicitDeny");
    expect(decide(policy(allow("s3:*", "arn:aws:s3:::bucket*")), "s3:GetObject", OBJ)).toBe("Allow");
  });

  it("accepts an array of resources", () => {
    const p = policy(allow("s3:*", [BUCKET, "arn:aws:s3:::bucket/*"]));
    expect(decide(p, "s3:ListBucket", BUCKET)).toBe("Allow");
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "s3:GetObject", "arn:aws:s3:::other/key")).toBe("ImplicitDeny");
  });
});

describe("evaluate: precedence", () => {
  it("explicit Deny wins over Allow, in either order", () => {
    expect(decide(policy(allow("s3:*", "*"), deny("s3:GetObject", OBJ)), "s3:GetObject", OBJ)).toBe("ExplicitDeny");
    expect(decide(policy(deny("s3:GetObject", OBJ), allow("s3:*", "*")), "s3:GetObject", OBJ)).toBe("ExplicitDeny");
    expect(decide(policy(allow("s3:*", "*"), deny("s3:GetObject", OBJ)), "s3:PutObject", OBJ)).toBe("Allow");
  });

  it("a Deny alone is ExplicitDeny; no statement at all is ImplicitDeny", () => {
    expect(decide(policy(deny("*", "*")), "s3:GetObject", OBJ)).toBe("ExplicitDeny");
    expect(decide(policy(), "s3:GetObject", OBJ)).toBe("ImplicitDeny");
  });

  it("names the deciding statement in the reason", () => {
    const r = evaluate(policy(allow("s3:*", "*"), { ...deny("s3:GetObject", OBJ), Sid: "NoReads" }), {
      action: "s3:GetObject",
      resource: OBJ,
      currentTime: NOW,
    });
    expect(r).toEqual({ decision: "ExplicitDeny", reason: expect.stringContaining("NoReads") });
  });
});

describe("evaluate: date conditions on aws:CurrentTime", () => {
  const at = (op: string, value: string | string[], time: string, key = "aws:CurrentTime"): string =>
    decide(policy(allow("s3:GetObject", OBJ, { [op]: { [key]: value } })), "s3:GetObject", OBJ, time);
  const T = "2026-11-27T10:00:00Z";
  const BEFORE = "2026-11-27T09:59:59Z";
  const AFTER = "2026-11-27T10:00:01Z";

  it.each([
    ["DateLessThan", [true, false, false]],
    ["DateLessThanEquals", [true, true, false]],
    ["DateGreaterThan", [false, false, true]],
    ["DateGreaterThanEquals", [false, true, true]],
    ["DateEquals", [false, true, false]],
    ["DateNotEquals", [true, false, true]],
  ] as const)("%s before / at / after the boundary", (op, expected) => {
    const got = [BEFORE, T, AFTER].map((time) => at(op, T, time) === "Allow");
    expect(got).toEqual(expected);
    // IfExists acts like the base operator: aws:CurrentTime is always present.
    expect([BEFORE, T, AFTER].map((time) => at(`${op}IfExists`, T, time) === "Allow")).toEqual(expected);
  });

  it("compares to the millisecond", () => {
    expect(at("DateLessThan", "2026-11-27T10:00:00.001Z", T)).toBe("Allow");
    expect(at("DateLessThan", "2026-11-27T10:00:00.000Z", T)).toBe("ImplicitDeny");
  });

  it("compares the key case-insensitively", () => {
    expect(at("DateLessThan", T, BEFORE, "AWS:currenttime")).toBe("Allow");
    expect(at("DateLessThan", T, AFTER, "aws:currentTime")).toBe("ImplicitDeny");
  });

  it("ORs multiple values, except DateNotEquals which must differ from all", () => {
    const values = ["2026-11-27T09:00:00Z", T];
    expect(at("DateLessThan", values, "2026-11-27T09:30:00Z")).toBe("Allow");
    expect(at("DateEquals", values, "2026-11-27T09:00:00Z")).toBe("Allow");
    expect(at("DateEquals", values, T)).toBe("Allow");
    expect(at("DateNotEquals", values, "2026-11-27T09:00:00Z")).toBe("ImplicitDeny");
    expect(at("DateNotEquals", values, "2026-11-27T09:30:00Z")).toBe("Allow");
  });

  it("ANDs operators and keys: a time window", () => {
    const p = policy(
      allow("s3:GetObject", OBJ, {
        DateGreaterThanEquals: { "aws:CurrentTime": "2026-11-27T08:00:00Z" },
        DateLessThan: { "aws:CurrentTime": T },
      }),
    );
    expect(decide(p, "s3:GetObject", OBJ, "2026-11-27T07:59:59Z")).toBe("ImplicitDeny");
    expect(decide(p, "s3:GetObject", OBJ, "2026-11-27T08:00:00Z")).toBe("Allow");
    expect(decide(p, "s3:GetObject", OBJ, T)).toBe("ImplicitDeny");
  });

  it("reads offsets, date-only values and epoch seconds", () => {
    expect(at("DateLessThan", "2026-11-27T11:00:00+01:00", BEFORE)).toBe("Allow");
    expect(at("DateLessThan", "2026-11-27T11:00:00+01:00", T)).toBe("ImplicitDeny");
    expect(at("DateLessThan", "2026-11-28", "2026-11-27T23:59:59Z")).toBe("Allow");
    expect(at("DateLessThan", "2026-11-28", "2026-11-28T00:00:00Z")).toBe("ImplicitDeny");
    const epoch = String(Date.parse(T) / 1000);
    expect(at("DateLessThan", epoch, BEFORE)).toBe("Allow");
    expect(at("DateLessThan", epoch, T)).toBe("ImplicitDeny");
  });

  it("applies a time-bound Deny only inside its window", () => {
    const p = policy(allow("s3:*", "*"), deny("s3:*", "*", { DateGreaterThan: { "aws:CurrentTime": T } }));
    expect(decide(p, "s3:GetObject", OBJ, BEFORE)).toBe("Allow");
    expect(decide(p, "s3:GetObject", OBJ, AFTER)).toBe("ExplicitDeny");
  });

  it("a request time that is not an ISO date-time with a zone gives Unknown, naming currentTime", () => {
    const p = policy(allow("*", "*"));
    for (const bad of ["2026-11-27T10:00:00", "1795000000", "yesterday", "", 1795000000, null]) {
      const r = evaluate(p, { action: "s3:GetObject", resource: OBJ, currentTime: bad as string });
      expect(r).toEqual({ decision: "Unknown", reason: expect.stringContaining("currentTime") });
    }
  });
});

describe("evaluate: conditions it cannot evaluate", () => {
  it("an unknown operator in a matching Allow gives Unknown, naming it", () => {
    const p = policy(allow("s3:GetObject", OBJ, { Bool: { "aws:SecureTransport": "true" } }));
    const r = evaluate(p, { action: "s3:GetObject", resource: OBJ, currentTime: NOW });
    expect(r.decision).toBe("Unknown");
    expect(r.reason).toContain("Bool");
  });

  it("an unknown key under a date operator gives Unknown, naming it", () => {
    const p = policy(allow("s3:GetObject", OBJ, { DateLessThan: { "aws:TokenIssueTime": EXPIRES } }));
    const r = evaluate(p, { action: "s3:GetObject", resource: OBJ, currentTime: NOW });
    expect(r.decision).toBe("Unknown");
    expect(r.reason).toContain("aws:TokenIssueTime");
  });

  it("an unparseable date value, a wrong-case operator or a set operator gives Unknown", () => {
    for (const c of [
      { DateLessThan: { "aws:CurrentTime": "next week" } },
      { DateLessThan: { "aws:CurrentTime": true } },
      { DateLessThan: { "aws:CurrentTime": "2026-11-27T10:00:00" } },
      { DateLessThan: { "aws:CurrentTime": [] } },
      { datelessthan: { "aws:CurrentTime": EXPIRES } },
      { "ForAnyValue:DateLessThan": { "aws:CurrentTime": EXPIRES } },
    ] as Condition[]) {
      expect(decide(policy(allow("s3:GetObject", OBJ, c)), "s3:GetObject", OBJ)).toBe("Unknown");
    }
  });

  it("a malformed Condition (null, non-object operator) gives Unknown rather than no condition", () => {
    for (const c of [null, { DateLessThan: "2026-11-27T10:00:00Z" }] as unknown as Condition[]) {
      const p = policy({ Effect: "Allow", Action: "s3:GetObject", Resource: OBJ, Condition: c });
      expect(decide(p, "s3:GetObject", OBJ)).toBe("Unknown");
    }
  });

  it("an unknown condition in a matching Deny gives Unknown even if something allows", () => {
    const p = policy(allow("s3:*", "*"), deny("s3:*", "*", { StringEquals: { "aws:PrincipalTag/team": "x" } }));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Unknown");
  });

  it("does not matter when the statement does not match the request", () => {
    const p = policy(allow("s3:GetObject", OBJ), allow("s3:PutObject", OBJ, { Bool: { "aws:SecureTransport": "true" } }));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "s3:DeleteObject", OBJ)).toBe("ImplicitDeny");
  });

  it("does not matter when a known date test in the same statement already fails", () => {
    const p = policy(allow("s3:GetObject", OBJ, { Bool: { "aws:SecureTransport": "true" }, DateLessThan: { "aws:CurrentTime": EXPIRES } }));
    expect(decide(p, "s3:GetObject", OBJ, NOW)).toBe("Unknown");
    expect(decide(p, "s3:GetObject", OBJ, "2026-11-27T11:00:00Z")).toBe("ImplicitDeny");
  });

  it("a certain Allow elsewhere decides even when another matching Allow is unknown", () => {
    // The unknown condition can only narrow its own statement, never the other grant.
    const p = policy(allow("s3:GetObject", OBJ, { Bool: { "aws:SecureTransport": "true" } }), allow("s3:*", "*"));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
  });
});

describe("parseIamDate", () => {
  it.each([
    ["2026-11-27T10:00:00Z", Date.UTC(2026, 10, 27, 10)],
    ["2026-11-27T10:00Z", Date.UTC(2026, 10, 27, 10)],
    ["2026-11-27T10:00:00.5Z", Date.UTC(2026, 10, 27, 10, 0, 0, 500)],
    ["2026-11-27T12:00:00+02:00", Date.UTC(2026, 10, 27, 10)],
    ["2026-11-27", Date.UTC(2026, 10, 27)],
    ["1795000000", 1795000000000],
    [1795000000, 1795000000000],
  ] as const)("%j", (value, ms) => {
    expect(parseIamDate(value)).toBe(ms);
  });

  it.each(["2026-02-29", "2026-13-01T00:00:00Z", "2026-11-27T10:00:00", "2026-11-27T10:60:00Z", "x", "", true, 1.5])("rejects %j", (value) => {
    expect(parseIamDate(value)).toBeUndefined();
  });
});

describe("simulate", () => {
  const base = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/*"), allow("s3:ListBucket", BUCKET));
  const checks = [
    { action: "s3:GetObject", resource: OBJ },
    { action: "s3:ListBucket", resource: BUCKET },
  ];
  const outside = [
    { action: "s3:PutObject", resource: OBJ },
    { action: "s3:GetObject", resource: "arn:aws:s3:::other/key" },
  ];
  const times = { before: "2026-11-27T09:59:59Z", after: EXPIRES };

  it("passes a stamped policy", () => {
    expect(simulate(stampExpiry(base, EXPIRES), checks, times, outside)).toEqual({ ok: true, failures: [] });
  });

  it("fails an unstamped policy after expiry", () => {
    const report = simulate(base, checks, times, outside);
    expect(report.ok).toBe(false);
    expect(report.failures).toHaveLength(2);
    expect(report.failures[0]).toMatchObject({ action: "s3:GetObject", time: EXPIRES, expected: "Deny", got: "Allow" });
  });

  it("fails an action that is not granted, and one granted outside the ask", () => {
    const stamped = stampExpiry(policy(allow("s3:*", "arn:aws:s3:::bucket/*")), EXPIRES);
    const report = simulate(stamped, checks, times, outside);
    expect(report.failures.map((f) => [f.action, f.resource, f.expected, f.got])).toEqual([
      ["s3:ListBucket", BUCKET, "Allow", "ImplicitDeny"],
      ["s3:PutObject", OBJ, "Deny", "Allow"],
    ]);
  });

  it("counts Unknown as a failure", () => {
    const p = stampExpiry(policy(allow("s3:GetObject", OBJ, { Bool: { "aws:SecureTransport": "true" } })), EXPIRES);
    const report = simulate(p, [{ action: "s3:GetObject", resource: OBJ }], times, []);
    expect(report.failures).toEqual([expect.objectContaining({ time: times.before, expected: "Allow", got: "Unknown" })]);
  });

  it("accepts an explicit Deny as denied", () => {
    const p = stampExpiry(policy(allow("s3:*", "*"), deny("s3:PutObject", "*")), EXPIRES);
    expect(simulate(p, [{ action: "s3:GetObject", resource: OBJ }], times, [{ action: "s3:PutObject", resource: OBJ }]).ok).toBe(true);
  });

  it("rejects bad times", () => {
    expect(() => simulate(base, checks, { before: "soon", after: EXPIRES }, [])).toThrow(/currentTime/);
  });

  it("is fast on a reused policy (compiled once)", () => {
    const stamped = stampExpiry(base, EXPIRES);
    const start = performance.now();
    for (let i = 0; i < 10_000; i++) simulate(stamped, checks, times, outside);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe("evaluate: NotAction and NotResource", () => {
  it("NotAction with Allow grants every action but the listed ones, on the Resource", () => {
    const p = policy({ Effect: "Allow", NotAction: ["s3:DeleteBucket", "iam:*"], Resource: "*" } as unknown as Statement);
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "dynamodb:GetItem", TABLE)).toBe("Allow");
    expect(decide(p, "s3:DeleteBucket", BUCKET)).toBe("ImplicitDeny");
    expect(decide(p, "s3:deletebucket", BUCKET)).toBe("ImplicitDeny");
    expect(decide(p, "iam:CreateUser", "arn:aws:iam::111122223333:user/x")).toBe("ImplicitDeny");
  });

  it("NotAction with Deny denies everything but the listed actions", () => {
    const p = policy(allow("*", "*"), { Effect: "Deny", NotAction: "s3:Get*", Resource: "*" } as unknown as Statement);
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "s3:PutObject", OBJ)).toBe("ExplicitDeny");
  });

  it("NotResource with Allow and with Deny", () => {
    const p = policy({ Effect: "Allow", Action: "s3:*", NotResource: ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"] } as unknown as Statement);
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(p, "s3:GetObject", "arn:aws:s3:::secret/k")).toBe("ImplicitDeny");
    const d = policy(allow("s3:*", "*"), { Effect: "Deny", Action: "s3:*", NotResource: "arn:aws:s3:::bucket/*" } as unknown as Statement);
    expect(decide(d, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(d, "s3:GetObject", "arn:aws:s3:::other/k")).toBe("ExplicitDeny");
  });

  it("NotAction and NotResource together, with a condition", () => {
    const p = policy(
      {
        Effect: "Deny",
        NotAction: "s3:GetObject",
        NotResource: "arn:aws:s3:::public/*",
        Condition: { DateGreaterThan: { "aws:CurrentTime": EXPIRES } },
      } as unknown as Statement,
      allow("*", "*"),
    );
    expect(decide(p, "s3:PutObject", OBJ, "2026-11-27T11:00:00Z")).toBe("ExplicitDeny");
    expect(decide(p, "s3:PutObject", OBJ, NOW)).toBe("Allow");
    expect(decide(p, "s3:GetObject", OBJ, "2026-11-27T11:00:00Z")).toBe("Allow");
    expect(decide(p, "s3:PutObject", "arn:aws:s3:::public/k", "2026-11-27T11:00:00Z")).toBe("Allow");
  });
});

describe("evaluate: policies IAM would reject give Unknown for every request", () => {
  const bad: Array<[string, unknown]> = [
    ["a lower-case Deny", { Effect: "deny", Action: "s3:*", Resource: "*" }],
    ["an upper-case ALLOW", { Effect: "ALLOW", Action: "s3:*", Resource: "*" }],
    ["no Effect", { Action: "s3:*", Resource: "*" }],
    ["an action without a colon", { Effect: "Allow", Action: "s3*", Resource: "*" }],
    ["a bare action name", { Effect: "Deny", Action: "GetObject", Resource: "*" }],
    ["a wildcard in the service prefix", { Effect: "Allow", Action: "s*:GetObject", Resource: "*" }],
    ["an empty action name", { Effect: "Allow", Action: "s3:", Resource: "*" }],
    ["whitespace in an action", { Effect: "Allow", Action: "s3:Get Object", Resource: "*" }],
    ["Action and NotAction", { Effect: "Allow", Action: "s3:*", NotAction: "s3:Delete*", Resource: "*" }],
    ["neither Action nor NotAction", { Effect: "Allow", Resource: "*" }],
    ["Resource and NotResource", { Effect: "Allow", Action: "s3:*", Resource: "*", NotResource: OBJ }],
    ["no Resource", { Effect: "Allow", Action: "s3:*" }],
    ["a resource that is not an ARN", { Effect: "Allow", Action: "s3:*", Resource: "bucket/*" }],
    ["a non-string action", { Effect: "Allow", Action: ["s3:GetObject", 7], Resource: "*" }],
    ["an empty NotResource", { Effect: "Deny", Action: "s3:*", NotResource: [] }],
    ["a Principal", { Effect: "Allow", Principal: "*", Action: "s3:*", Resource: "*" }],
    ["an unknown element", { Effect: "Allow", Action: "s3:*", Resource: "*", Resources: OBJ }],
    ["an unclosed variable", { Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::${aws:username/*" }],
    ["an unreadable variable", { Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::${}/*" }],
  ];
  it.each(bad)("%s", (_name, st) => {
    // Beside a plain Allow: an invalid policy is not "the valid part of it".
    const p = { Version: "2012-10-17", Statement: [allow("*", "*"), st] } as unknown as PolicyDocument;
    for (const [action, resource] of [
      ["s3:GetObject", OBJ],
      ["dynamodb:GetItem", TABLE],
    ] as const) {
      const r = evaluate(p, { action, resource, currentTime: NOW });
      expect(r.decision).toBe("Unknown");
      expect(r.reason).toContain("Statement[1]");
    }
  });

  it.each([
    ["not an object", null],
    ["an unknown Version", { Version: "2012-10-18", Statement: [allow("*", "*")] }],
    ["no Statement", { Version: "2012-10-17" }],
    ["an unknown top-level element", { Version: "2012-10-17", Statement: [allow("*", "*")], Statements: [] }],
    ["a statement that is not an object", { Version: "2012-10-17", Statement: ["Allow"] }],
  ])("a policy with %s", (_name, p) => {
    expect(decide(p as unknown as PolicyDocument, "s3:GetObject", OBJ)).toBe("Unknown");
  });

  it("accepts a single statement object, as IAM does", () => {
    const p = { Version: "2012-10-17", Statement: allow("s3:GetObject", OBJ) } as unknown as PolicyDocument;
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
  });

  it("a request action that is not service:Action, or a malformed context, gives Unknown", () => {
    const p = policy(allow("*", "*"));
    for (const a of ["GetObject", "s3:", "s3:Get*", ""]) expect(decide(p, a, OBJ)).toBe("Unknown");
    const r = evaluate(p, { action: "s3:GetObject", resource: OBJ, currentTime: NOW, context: { "aws:username": 7 } as never });
    expect(r).toEqual({ decision: "Unknown", reason: expect.stringContaining("aws:username") });
  });

  it("never throws and never allows under an invalid Deny (property over generated statements)", () => {
    const junk = fc.oneof(
      fc.constant(undefined),
      fc.string({ maxLength: 6 }),
      fc.constantFrom("*", "s3:*", "arn:aws:s3:::bucket/*", "${aws:username}", "deny", "Allow", "Deny"),
      fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
      fc.integer(),
      fc.constant(null),
    );
    const statementArb = fc.record(
      {
        Effect: junk,
        Action: junk,
        NotAction: junk,
        Resource: junk,
        NotResource: junk,
        Condition: fc.oneof(fc.constant(undefined), fc.object({ maxDepth: 2 })),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(statementArb, { maxLength: 3 }), fc.constantFrom("2012-10-17", "2008-10-17", undefined, "x"), (statements, Version) => {
        const p = { Version, Statement: statements } as unknown as PolicyDocument;
        const r = evaluate(p, { action: "s3:GetObject", resource: OBJ, currentTime: NOW, context: { "aws:username": "alice" } });
        expect(["Allow", "ImplicitDeny", "ExplicitDeny", "Unknown"]).toContain(r.decision);
        // Adding a Deny of everything can only move the answer to ExplicitDeny or Unknown.
        const withDeny = { Version, Statement: [...statements, deny("*", "*")] } as unknown as PolicyDocument;
        expect(["ExplicitDeny", "Unknown"]).toContain(decide(withDeny, "s3:GetObject", OBJ));
      }),
      { numRuns: 300 },
    );
  });
});

describe("evaluate: policy variables", () => {
  const HOME = "arn:aws:s3:::home/${aws:username}/*";
  const ctx = { "aws:username": "alice", "aws:PrincipalTag/team": "blue", "aws:SourceVpce": ["a", "b"] };
  const at = (p: PolicyDocument, resource: string, context?: Record<string, string | string[]>): string =>
    evaluate(p, context ? { action: "s3:GetObject", resource, currentTime: NOW, context } : { action: "s3:GetObject", resource, currentTime: NOW }).decision;

  it("fills a variable from the request context (key case-insensitive)", () => {
    const p = policy(allow("s3:GetObject", HOME));
    expect(at(p, "arn:aws:s3:::home/alice/x", ctx)).toBe("Allow");
    expect(at(p, "arn:aws:s3:::home/bob/x", ctx)).toBe("ImplicitDeny");
    expect(at(p, "arn:aws:s3:::home/${aws:username}/x", ctx)).toBe("ImplicitDeny");
    expect(at(policy(allow("s3:GetObject", "arn:aws:s3:::t/${AWS:PrincipalTag/Team}/*")), "arn:aws:s3:::t/blue/x", ctx)).toBe("Allow");
  });

  it("a Deny with a variable is not skipped: it applies to the filled-in resource", () => {
    const p = policy(allow("s3:*", "*"), deny("s3:*", HOME));
    expect(at(p, "arn:aws:s3:::home/alice/x", ctx)).toBe("ExplicitDeny");
    expect(at(p, "arn:aws:s3:::home/bob/x", ctx)).toBe("Allow");
  });

  it("a key with no value (absent or multivalued) makes that Resource entry match nothing; a default fills it", () => {
    expect(at(policy(allow("s3:GetObject", HOME)), "arn:aws:s3:::home/alice/x", {})).toBe("ImplicitDeny");
    expect(at(policy(allow("s3:*", "*"), deny("s3:*", HOME)), "arn:aws:s3:::home/alice/x", {})).toBe("Allow");
    expect(at(policy(allow("s3:GetObject", "arn:aws:s3:::v/${aws:SourceVpce}/*")), "arn:aws:s3:::v/a/x", ctx)).toBe("ImplicitDeny");
    const withDefault = policy(allow("s3:GetObject", "arn:aws:s3:::home/${aws:username, 'shared'}/*"));
    expect(at(withDefault, "arn:aws:s3:::home/shared/x", {})).toBe("Allow");
    expect(at(withDefault, "arn:aws:s3:::home/alice/x", ctx)).toBe("Allow");
    expect(at(withDefault, "arn:aws:s3:::home/shared/x", ctx)).toBe("ImplicitDeny");
  });

  it("without a context a variable cannot be decided: Unknown, for Deny and Allow alike", () => {
    expect(at(policy(allow("s3:*", "*"), deny("s3:*", HOME)), "arn:aws:s3:::home/alice/x")).toBe("Unknown");
    expect(at(policy(allow("s3:GetObject", HOME)), "arn:aws:s3:::home/alice/x")).toBe("Unknown");
    // A certain Allow elsewhere still decides, and a Deny that cannot match is no obstacle.
    expect(at(policy(allow("s3:GetObject", HOME), allow("s3:*", "*")), "arn:aws:s3:::home/alice/x")).toBe("Allow");
  });

  it("a variable with no value in a Deny's NotResource is Unknown (the exclusion cannot be read)", () => {
    const p = policy(allow("s3:*", "*"), { Effect: "Deny", Action: "s3:*", NotResource: HOME } as unknown as Statement);
    expect(at(p, "arn:aws:s3:::home/alice/x", {})).toBe("Unknown");
    expect(at(p, "arn:aws:s3:::home/alice/x", ctx)).toBe("Allow");
    expect(at(p, "arn:aws:s3:::home/bob/x", ctx)).toBe("ExplicitDeny");
  });

  it("a filled-in value with a wildcard character is Unknown rather than read either way", () => {
    const p = policy(allow("s3:*", "*"), deny("s3:*", HOME));
    expect(at(p, "arn:aws:s3:::home/bob/x", { "aws:username": "*" })).toBe("Unknown");
  });

  it("${*} ${?} ${$} are a literal *, ? and $", () => {
    const p = policy(allow("s3:*", "*"), deny("s3:*", "arn:aws:s3:::b/${*}${?}${$}"));
    expect(at(p, "arn:aws:s3:::b/*?$", ctx)).toBe("ExplicitDeny");
    expect(at(p, "arn:aws:s3:::b/ab$", ctx)).toBe("Allow");
    // The escapes need no context.
    expect(at(p, "arn:aws:s3:::b/*?$")).toBe("ExplicitDeny");
  });

  it("in a 2008-10-17 policy (or one without Version) variables and escapes are literal text", () => {
    for (const Version of ["2008-10-17", undefined]) {
      const p = { Version, Statement: [allow("s3:*", "*"), deny("s3:*", HOME)] } as unknown as PolicyDocument;
      expect(at(p, "arn:aws:s3:::home/alice/x", ctx)).toBe("Allow");
      expect(at(p, "arn:aws:s3:::home/${aws:username}/x", ctx)).toBe("ExplicitDeny");
    }
  });

  it("${aws:CurrentTime} is always filled, from currentTime", () => {
    const p = policy(allow("s3:GetObject", "arn:aws:s3:::b/${aws:CurrentTime}"));
    expect(at(p, `arn:aws:s3:::b/${NOW}`)).toBe("Allow");
  });
});

describe("evaluate: String, Bool and Null conditions from the request context", () => {
  const LIST = (c: Condition): PolicyDocument => policy(allow("s3:ListBucket", BUCKET, c));
  const list = (p: PolicyDocument, context?: Record<string, string | string[]>): string =>
    evaluate(
      p,
      context ? { action: "s3:ListBucket", resource: BUCKET, currentTime: NOW, context } : { action: "s3:ListBucket", resource: BUCKET, currentTime: NOW },
    ).decision;

  it("StringLike with wildcards; a missing key matches no value", () => {
    const p = LIST({ StringLike: { "s3:prefix": ["2026/11/*", "shared/"] } });
    expect(list(p, { "s3:prefix": "2026/11/27/" })).toBe("Allow");
    expect(list(p, { "s3:prefix": "shared/" })).toBe("Allow");
    expect(list(p, { "s3:prefix": "2026/10/" })).toBe("ImplicitDeny");
    expect(list(p, {})).toBe("ImplicitDeny");
    expect(list(LIST({ StringLikeIfExists: { "s3:prefix": "2026/*" } }), {})).toBe("Allow");
  });

  it("StringEquals takes * literally, is case-sensitive unless IgnoreCase, and reads the key case-insensitively", () => {
    expect(list(LIST({ StringEquals: { "s3:prefix": "a*" } }), { "s3:prefix": "abc" })).toBe("ImplicitDeny");
    expect(list(LIST({ StringEquals: { "s3:prefix": "a*" } }), { "s3:prefix": "a*" })).toBe("Allow");
    expect(list(LIST({ StringEquals: { "S3:Prefix": "Docs/" } }), { "s3:prefix": "docs/" })).toBe("ImplicitDeny");
    expect(list(LIST({ StringEqualsIgnoreCase: { "s3:prefix": "Docs/" } }), { "s3:prefix": "docs/" })).toBe("Allow");
  });

  it("negated operators hold when no value matches, and when the key is missing", () => {
    const p = LIST({ StringNotEquals: { "aws:PrincipalTag/team": ["red", "blue"] } });
    expect(list(p, { "aws:PrincipalTag/team": "green" })).toBe("Allow");
    expect(list(p, { "aws:PrincipalTag/team": "blue" })).toBe("ImplicitDeny");
    expect(list(p, {})).toBe("Allow");
    expect(list(LIST({ StringNotLike: { "s3:prefix": "private/*" } }), { "s3:prefix": "private/x" })).toBe("ImplicitDeny");
  });

  it("a policy variable in a value is filled from the context; one with no value matches nothing", () => {
    const p = LIST({ StringLike: { "s3:prefix": "home/${aws:username}/*" } });
    expect(list(p, { "s3:prefix": "home/alice/docs/", "aws:username": "alice" })).toBe("Allow");
    expect(list(p, { "s3:prefix": "home/bob/docs/", "aws:username": "alice" })).toBe("ImplicitDeny");
    expect(list(p, { "s3:prefix": "home/alice/docs/" })).toBe("ImplicitDeny");
    const q = LIST({ StringNotEquals: { "s3:prefix": "${aws:username}" } });
    expect(list(q, { "s3:prefix": "x" })).toBe("Allow");
  });

  it("Bool and Null", () => {
    const secure = LIST({ Bool: { "aws:SecureTransport": "true" } });
    expect(list(secure, { "aws:SecureTransport": "true" })).toBe("Allow");
    expect(list(secure, { "aws:SecureTransport": "false" })).toBe("ImplicitDeny");
    expect(list(secure, {})).toBe("ImplicitDeny");
    expect(list(LIST({ BoolIfExists: { "aws:MultiFactorAuthPresent": true } }), {})).toBe("Allow");
    expect(list(LIST({ Null: { "aws:TokenIssueTime": "true" } }), {})).toBe("Allow");
    expect(list(LIST({ Null: { "aws:TokenIssueTime": "true" } }), { "aws:TokenIssueTime": NOW })).toBe("ImplicitDeny");
    expect(list(LIST({ Null: { "aws:TokenIssueTime": "maybe" } }), {})).toBe("Unknown");
  });

  it("without a context, or with a multivalued key, the condition is Unknown; a Deny then leaves the answer open", () => {
    const p = LIST({ StringLike: { "s3:prefix": "2026/*" } });
    const r = evaluate(p, { action: "s3:ListBucket", resource: BUCKET, currentTime: NOW });
    expect(r).toEqual({ decision: "Unknown", reason: expect.stringContaining("StringLike on s3:prefix") });
    expect(list(p, { "s3:prefix": ["2026/", "2025/"] })).toBe("Unknown");
    const d = policy(allow("s3:*", "*"), deny("s3:*", "*", { StringNotEquals: { "aws:RequestedRegion": "eu-west-1" } }));
    expect(list(d)).toBe("Unknown");
    expect(list(d, { "aws:RequestedRegion": "us-east-1" })).toBe("ExplicitDeny");
    expect(list(d, { "aws:RequestedRegion": "eu-west-1" })).toBe("Allow");
  });

  it("a non-string value for a String operator is Unknown", () => {
    expect(list(LIST({ StringEquals: { "s3:prefix": 7 } }), { "s3:prefix": "7" })).toBe("Unknown");
    expect(list(LIST({ StringEquals: { "s3:prefix": [] } }), { "s3:prefix": "7" })).toBe("Unknown");
  });

  it("simulate passes a check's context on", () => {
    const p = stampExpiry(LIST({ StringLike: { "s3:prefix": "2026/*" } }), EXPIRES);
    const times = { before: NOW, after: "2026-11-27T10:00:01Z" };
    expect(
      simulate(p, [{ action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "2026/11/" } }], times, [
        { action: "s3:ListBucket", resource: BUCKET, context: { "s3:prefix": "2025/" } },
      ]).ok,
    ).toBe(true);
    expect(simulate(p, [{ action: "s3:ListBucket", resource: BUCKET }], times, []).failures[0]?.got).toBe("Unknown");
  });
});
