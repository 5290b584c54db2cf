import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, RequestStatus } from "../src/domain/types.js";
import { testConfig } from "./support/config-fixtures.js";

const config = testConfig({ aws: { accounts: { prod: "111122223333" } } });
const FILE = "access-requests/prod/2026/7-migration.yaml";

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    version: 1,
    id: "7-migration",
    requester: "alice",
    account: "prod",
    duration: "2h",
    reason: "Run tonight's schema migration",
    request: [{ service: "s3", access: ["read"], resources: ["reports"] }],
    ...overrides,
  };
}

function codes(r: AccessRequest): string[] {
  const out = parseRequestFile(dumpRequest(r), { file: FILE, config });
  return out.ok ? [] : out.problems.map((p) => p.code);
}

const GRANT = {
  granted_at: "2026-11-27T09:00:00Z",
  expires_at: "2026-11-27T11:00:00Z",
  approved_by: ["bob"],
  merge_commit: "a".repeat(40),
};

describe("scheduled start (starts_at)", () => {
  it("a request without starts_at is accepted", () => {
    expect(codes(request())).toEqual([]);
  });

  it("refuses any request still being asked for that names a start, past or future, so it cannot be granted at merge", () => {
    const when = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
    fc.assert(
      fc.property(when, fc.constantFrom<RequestStatus | undefined>(undefined, "proposed"), (startsAt, status) => {
        const r = request({ starts_at: startsAt, ...(status ? { status } : {}) });
        expect(codes(r)).toContain("request.starts-at-unsupported");
      }),
      { numRuns: 50 },
    );
  });

  it("refuses a starts_at that is not a date-time by the schema, naming the field", () => {
    for (const bad of ["tomorrow", "2026-13-01T00:00:00Z", "2026-11-27 09:00"]) {
      const out = parseRequestFile(dumpRequest(request({ starts_at: bad })), { file: FILE, config });
      expect(out.ok, bad).toBe(false);
      if (!out.ok)
        expect(
          out.problems.some((p) => p.code === "schema.format" && p.path.includes("starts_at")),
          bad,
        ).toBe(true);
    }
  });

  it("still reads records that carry starts_at once they are no longer asked for, so the sweep can end an active one", () => {
    const closed = { at: "2026-11-27T11:00:00Z", reason: "expired" };
    const table: Array<[RequestStatus, Partial<AccessRequest>]> = [
      ["active", { grant: GRANT }],
      ["expired", { grant: GRANT, closed }],
      ["revoked", { grant: GRANT, closed }],
      ["rejected", { closed: { ...closed, code: "request.starts-at-unsupported" } }],
    ];
    for (const [status, extra] of table) {
      expect(codes(request({ starts_at: "2026-11-27T09:00:00Z", status, ...extra })), status).toEqual([]);
    }
  });

  it("keeps starts_at next to duration when the file is written", () => {
    const text = dumpRequest(request({ starts_at: "2026-11-28T22:00:00Z" }));
    expect(text.indexOf("duration:")).toBeLessThan(text.indexOf("starts_at:"));
    expect(text.indexOf("starts_at:")).toBeLessThan(text.indexOf("reason:"));
  });
});
