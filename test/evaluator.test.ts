import { describe, it, expect } from "vitest";
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
    expect(decide(policy(allow("s3:GetObject", "arn:aws:s3:::b.cket/(k)+")), "s3:GetObject", "arn:aws:s3:::bucket/kk")).toBe(
      "ImplicitDeny",
    );
    expect(decide(policy(allow("s3:GetObject", "arn:aws:s3:::b.cket/(k)+")), "s3:GetObject", "arn:aws:s3:::b.cket/(k)+")).toBe(
      "Allow",
    );
  });

  it("accepts an array of actions (any may match) and matches nothing for an empty array", () => {
    const p = policy(allow(["s3:PutObject", "s3:GetObject"], OBJ));
    expect(decide(p, "s3:GetObject", OBJ)).toBe("Allow");
    expect(decide(policy(allow([], OBJ)), "s3:GetObject", OBJ)).toBe("ImplicitDeny");
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
    expect(decide(policy(allow("s3:GetObject", "arn:aws:s3:::bucket/*")), "s3:GetObject", "arn:aws:s3:::bucket/a/b:c")).toBe(
      "Allow",
    );
    expect(decide(policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:*")), "dynamodb:GetItem", TABLE)).toBe("Allow");
    expect(decide(policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:*:table/?")), "dynamodb:GetItem", TABLE)).toBe(
      "Allow",
    );
    expect(decide(policy(allow("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:*:table/?")), "dynamodb:GetItem", `${TABLE}2`)).toBe(
      "ImplicitDeny",
    );
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

  it("rejects a request time that is not an ISO date-time with a zone", () => {
    const p = policy(allow("*", "*"));
    for (const bad of ["2026-11-27T10:00:00", "1795000000", "yesterday", ""]) {
      expect(() => decide(p, "s3:GetObject", OBJ, bad)).toThrow(/currentTime/);
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
    const p = policy(
      allow("s3:GetObject", OBJ, { Bool: { "aws:SecureTransport": "true" }, DateLessThan: { "aws:CurrentTime": EXPIRES } }),
    );
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

  it.each(["2026-02-29", "2026-13-01T00:00:00Z", "2026-11-27T10:00:00", "2026-11-27T10:60:00Z", "x", "", true, 1.5])(
    "rejects %j",
    (value) => {
      expect(parseIamDate(value)).toBeUndefined();
    },
  );
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
    expect(simulate(p, [{ action: "s3:GetObject", resource: OBJ }], times, [{ action: "s3:PutObject", resource: OBJ }]).ok).toBe(
      true,
    );
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
