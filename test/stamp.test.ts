import { describe, it, expect } from "vitest";
import type { PolicyDocument } from "../src/domain/types.js";
import { expiryOf, stampExpiry } from "../src/policy/stamp.js";

const EXPIRES = "2026-11-27T10:00:00Z";

function policy(...Statement: PolicyDocument["Statement"]): PolicyDocument {
  return { Version: "2012-10-17", Statement };
}

describe("stampExpiry", () => {
  it("adds DateLessThan aws:CurrentTime to an Allow statement without conditions", () => {
    const out = stampExpiry(policy({ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }), EXPIRES);
    expect(out.Statement[0]).toEqual({
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "arn:aws:s3:::b/*",
      Condition: { DateLessThan: { "aws:CurrentTime": EXPIRES } },
    });
  });

  it("merges with other operators and with other keys of DateLessThan", () => {
    const input = policy({
      Sid: "Read",
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: ["arn:aws:s3:::b/*"],
      Condition: {
        Bool: { "aws:SecureTransport": "true" },
        DateLessThan: { "aws:TokenIssueTime": "2030-01-01T00:00:00Z" },
        DateGreaterThan: { "aws:CurrentTime": "2026-11-27T08:00:00Z" },
      },
    });
    const out = stampExpiry(input, EXPIRES);
    expect(out.Statement[0]?.Condition).toEqual({
      Bool: { "aws:SecureTransport": "true" },
      DateLessThan: { "aws:TokenIssueTime": "2030-01-01T00:00:00Z", "aws:CurrentTime": EXPIRES },
      DateGreaterThan: { "aws:CurrentTime": "2026-11-27T08:00:00Z" },
    });
    expect(out.Statement[0]?.Sid).toBe("Read");
  });

  it("keeps an existing earlier expiry (never widens)", () => {
    const earlier = "2026-11-27T09:00:00Z";
    const input = policy({
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "*",
      Condition: { DateLessThan: { "aws:CurrentTime": earlier } },
    });
    expect(stampExpiry(input, EXPIRES).Statement[0]?.Condition?.DateLessThan?.["aws:CurrentTime"]).toBe(earlier);
  });

  it("replaces an existing later expiry with the new one", () => {
    const input = policy({
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "*",
      Condition: { DateLessThan: { "aws:CurrentTime": "2027-01-01T00:00:00Z" } },
    });
    expect(stampExpiry(input, EXPIRES).Statement[0]?.Condition?.DateLessThan?.["aws:CurrentTime"]).toBe(EXPIRES);
  });

  it("reads OR'ed values as their latest, and folds a differently-cased key into one", () => {
    const input = policy({
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: "*",
      Condition: {
        // Effective bound: min(max(08:00, 09:30), 11:00) = 09:30, earlier than EXPIRES.
        DateLessThan: {
          "aws:currenttime": ["2026-11-27T08:00:00Z", "2026-11-27T09:30:00Z"],
          "AWS:CurrentTime": "2026-11-27T11:00:00Z",
        },
      },
    });
    const out = stampExpiry(input, EXPIRES);
    expect(out.Statement[0]?.Condition?.DateLessThan).toEqual({ "aws:CurrentTime": "2026-11-27T09:30:00Z" });
  });

  it("compares instants, not strings (offsets and epoch seconds)", () => {
    const input = policy(
      // 10:30+02:00 is 08:30Z: earlier, kept.
      { Effect: "Allow", Action: "a:b", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "2026-11-27T10:30:00+02:00" } } },
      // 1795000000 s is 2026-11-18: earlier, kept as written.
      { Effect: "Allow", Action: "a:b", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": 1795000000 } } },
    );
    const out = stampExpiry(input, EXPIRES);
    expect(out.Statement[0]?.Condition?.DateLessThan?.["aws:CurrentTime"]).toBe("2026-11-27T10:30:00+02:00");
    expect(out.Statement[1]?.Condition?.DateLessThan?.["aws:CurrentTime"]).toBe(1795000000);
  });

  it("leaves Deny statements untouched", () => {
    const deny = { Effect: "Deny" as const, Action: "s3:DeleteObject", Resource: "*" };
    const out = stampExpiry(policy(deny, { Effect: "Allow", Action: "s3:GetObject", Resource: "*" }), EXPIRES);
    expect(out.Statement[0]).toEqual(deny);
    expect(out.Statement[1]?.Condition).toBeDefined();
  });

  it("does not mutate its input and returns no shared objects", () => {
    const input = policy({
      Effect: "Allow",
      Action: ["s3:GetObject"],
      Resource: "*",
      Condition: { Bool: { "aws:SecureTransport": "true" } },
    });
    const snapshot = structuredClone(input);
    const out = stampExpiry(input, EXPIRES);
    expect(input).toEqual(snapshot);
    expect(out).not.toBe(input);
    expect(out.Statement[0]?.Condition).not.toBe(input.Statement[0]?.Condition);
  });

  it("keeps Version, Id and statement order", () => {
    const input: PolicyDocument = { ...policy({ Effect: "Allow", Action: "a:b", Resource: "*" }), Id: "grant-1" };
    const out = stampExpiry(input, EXPIRES);
    expect(out.Version).toBe("2012-10-17");
    expect(out.Id).toBe("grant-1");
  });

  it.each([
    "2026-11-27",
    "2026-11-27T10:00:00",
    "2026-11-27T10:00:00+01:00",
    "2026-11-27 10:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-11-27T24:00:00Z",
    "1795000000",
    "",
    "tomorrow",
  ])("rejects %j as expiresAt", (bad) => {
    expect(() => stampExpiry(policy(), bad)).toThrow(/UTC ISO-8601/);
  });

  it("accepts fractional seconds", () => {
    const out = stampExpiry(policy({ Effect: "Allow", Action: "a:b", Resource: "*" }), "2026-11-27T10:00:00.250Z");
    expect(expiryOf(out)).toBe("2026-11-27T10:00:00.250Z");
  });

  it("throws when an existing expiry is not a date (cannot tell which is earlier)", () => {
    const input = policy({
      Sid: "Bad",
      Effect: "Allow",
      Action: "a:b",
      Resource: "*",
      Condition: { DateLessThan: { "aws:CurrentTime": "soon" } },
    });
    expect(() => stampExpiry(input, EXPIRES)).toThrow(/Statement\[0\] \(Bad\).*"soon" is not a date/);
  });
});

describe("expiryOf", () => {
  it("returns the latest expiry across Allow statements", () => {
    const input = policy(
      { Effect: "Allow", Action: "a:b", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "2026-11-27T09:00:00Z" } } },
      { Effect: "Allow", Action: "a:c", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": EXPIRES } } },
      { Effect: "Deny", Action: "a:d", Resource: "*" },
    );
    expect(expiryOf(input)).toBe(EXPIRES);
  });

  it("is undefined when any Allow statement has no expiry", () => {
    const stamped = stampExpiry(policy({ Effect: "Allow", Action: "a:b", Resource: "*" }), EXPIRES);
    expect(expiryOf(stamped)).toBe(EXPIRES);
    const mixed = policy(...stamped.Statement, { Effect: "Allow", Action: "a:c", Resource: "*" });
    expect(expiryOf(mixed)).toBeUndefined();
  });

  it("is undefined when an expiry is not a date, or there is no Allow statement", () => {
    expect(expiryOf(policy({ Effect: "Allow", Action: "a:b", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "x" } } }))).toBeUndefined();
    expect(expiryOf(policy({ Effect: "Deny", Action: "a:b", Resource: "*" }))).toBeUndefined();
  });

  it("renders epoch-second expiries as ISO", () => {
    const input = policy({ Effect: "Allow", Action: "a:b", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": 1795000000 } } });
    expect(expiryOf(input)).toBe("2026-11-18T11:06:40.000Z");
  });
});
