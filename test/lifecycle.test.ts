import { describe, expect, it } from "vitest";
import { ALL_EVENTS, ALL_STATUSES, isFinal, transition } from "../src/domain/lifecycle.js";
import { codesOf } from "../src/domain/problems.js";
import type { RequestStatus } from "../src/domain/types.js";

const LEGAL: Array<[RequestStatus, string, RequestStatus]> = [
  ["proposed", "approve-and-grant", "active"],
  ["proposed", "grant-failed", "failed"],
  ["proposed", "reject", "rejected"],
  ["proposed", "apply-extension", "expired"],
  ["proposed", "approve-and-schedule", "scheduled"],
  ["scheduled", "start", "active"],
  ["scheduled", "grant-failed", "failed"],
  ["scheduled", "reject", "rejected"],
  ["scheduled", "expire", "expired"],
  ["scheduled", "revoke", "revoked"],
  ["active", "expire", "expired"],
  ["active", "revoke", "revoked"],
];

describe("lifecycle", () => {
  it.each(LEGAL)("%s --%s--> %s", (from, event, to) => {
    expect(transition(from, event as never)).toEqual({ ok: true, value: to });
  });

  const illegal = ALL_STATUSES.flatMap((from) => ALL_EVENTS.filter((ev) => !LEGAL.some(([f, e]) => f === from && e === ev)).map((ev) => [from, ev] as const));
  it.each(illegal)("%s cannot %s", (from, event) => {
    const r = transition(from, event);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(codesOf(r.problems)).toEqual(["record.illegal-transition"]);
    expect(r.problems[0]).toMatchObject({ path: "status", message: expect.stringContaining(`a ${from} request cannot`) });
  });

  it("covers every illegal pair", () => {
    expect(illegal.length).toBe(ALL_STATUSES.length * ALL_EVENTS.length - LEGAL.length);
  });

  it("a failed revoke is not a state: active stays active until expire/revoke succeed", () => {
    expect(ALL_STATUSES).not.toContain("failed-to-revoke");
    expect(isFinal("active")).toBe(false);
    for (const s of ["expired", "revoked", "rejected", "failed"] as const) expect(isFinal(s)).toBe(true);
  });
});
