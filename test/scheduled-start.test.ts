import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseRequestFile } from "../src/domain/request.js";
import { MAX_START_AHEAD_DAYS, startsAtTiming } from "../src/domain/scheduled-start.js";
import { isoSeconds } from "../src/domain/time.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest, validateRequestFile } from "../src/policy/pipeline.js";
import { prBody } from "../src/github/messages.js";
import { buildReport } from "../src/report/aggregate.js";
import { renderHtml, renderMarkdown } from "../src/report/render.js";
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

  it("judges the timing of a start being asked for: ahead and within 30 days at the check, within 30 days of the merge at the merge", () => {
    const now = new Date("2026-11-27T09:00:00Z");
    const table: Array<[string, "ask" | "merge", string[]]> = [
      ["2026-11-28T09:00:00Z", "ask", []],
      ["2026-12-27T09:00:00Z", "ask", []], // exactly 30 days ahead
      ["2026-12-27T09:00:01Z", "ask", ["request.starts-at-too-far"]],
      ["2026-11-27T09:00:00Z", "ask", ["request.starts-at-past"]],
      ["2026-11-20T09:00:00Z", "ask", ["request.starts-at-past"]],
      ["2026-11-27T23:59:60Z", "ask", ["request.starts-at-invalid"]],
      ["2026-11-20T09:00:00Z", "merge", []], // merged after its start: granted at once, until the approved end
      ["2027-01-01T00:00:00Z", "merge", ["request.starts-at-too-far"]],
    ];
    for (const [startsAt, when, want] of table) {
      const problems = startsAtTiming({ starts_at: startsAt }, now, when);
      expect(
        problems.map((p) => p.code),
        `${when} ${startsAt}`,
      ).toEqual(want);
      for (const p of problems) {
        expect(p.path).toBe("starts_at");
        expect(p.message).toContain(startsAt);
      }
    }
    // Only a request still being asked for: a record's start was judged when it was approved.
    expect(startsAtTiming({ starts_at: "2026-11-20T09:00:00Z", status: "scheduled" }, now, "ask")).toEqual([]);
  });

  it("at the check, a start is refused exactly when it is not ahead or more than MAX_START_AHEAD_DAYS ahead, for any clock", () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse("2020-01-01T00:00:00Z"), max: Date.parse("2090-01-01T00:00:00Z") }),
        fc.integer({ min: -40 * day, max: 40 * day }),
        (nowMs, offset) => {
          const startsAt = isoSeconds(nowMs + offset);
          const startMs = Date.parse(startsAt);
          const codes = startsAtTiming({ starts_at: startsAt }, new Date(nowMs), "ask").map((p) => p.code);
          const want = startMs <= nowMs ? ["request.starts-at-past"] : startMs > nowMs + MAX_START_AHEAD_DAYS * day ? ["request.starts-at-too-far"] : [];
          expect(codes).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the PR check's own reading (validate) refuses a past or too-far start with the field, the value and a fix", () => {
    const now = new Date("2026-11-27T09:00:00Z");
    const past = validateRequestFile(loadCatalogue(), dumpRequest(request({ starts_at: "2026-11-26T09:00:00Z" })), { file: FILE, config, now });
    expect(past.ok).toBe(false);
    expect(past.problems.find((p) => p.code === "request.starts-at-past")?.message).toMatch(/starts_at "2026-11-26T09:00:00Z".*remove starts_at/);
    const ahead = validateRequestFile(loadCatalogue(), dumpRequest(request({ starts_at: "2026-11-28T22:00:00Z" })), { file: FILE, config, now });
    expect(ahead.problems.map((p) => p.code)).toEqual([]);
  });

  it("a scheduled record must carry its approval and no grant; one closed before it started carries none", () => {
    const scheduled = {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      pr: 8,
      approved_at: "2026-11-27T08:00:00Z",
      starts_at: "2026-11-27T09:00:00Z",
      expires_at: "2026-11-27T11:00:00Z",
      risk: "low" as const,
    };
    const closed = { at: "2026-11-27T12:00:00Z", reason: "missed", code: "record.start-missed" };
    const s = { starts_at: "2026-11-27T09:00:00Z" };
    const table: Array<[string, Partial<AccessRequest>, string[]]> = [
      ["scheduled with its approval", { ...s, status: "scheduled", scheduled }, []],
      ["scheduled without it", { ...s, status: "scheduled" }, ["request.status-scheduled"]],
      ["scheduled with a grant", { ...s, status: "scheduled", scheduled, grant: GRANT }, ["request.status-grant"]],
      [
        "scheduled, window reversed",
        { ...s, status: "scheduled", scheduled: { ...scheduled, expires_at: "2026-11-27T08:00:00Z" } },
        ["request.status-scheduled"],
      ],
      ["scheduled, start moved", { starts_at: "2026-11-27T08:00:00Z", status: "scheduled", scheduled }, ["request.status-scheduled"]],
      ["started", { ...s, status: "active", scheduled, grant: GRANT }, []],
      ["missed", { ...s, status: "expired", scheduled, closed }, []],
      ["cancelled", { ...s, status: "revoked", scheduled, closed: { ...closed, code: undefined } }, []],
      ["refused at the start", { ...s, status: "rejected", scheduled, closed: { ...closed, code: "record.start-refused" } }, []],
      ["proposed carrying an approval", { ...s, scheduled }, ["request.status-scheduled"]],
      ["an extension that starts later", { ...s, extends: "3-original" }, ["request.starts-at-extension"]],
    ];
    for (const [name, extra, want] of table) {
      const r = JSON.parse(JSON.stringify(request(extra))) as AccessRequest;
      expect(codes(r), name).toEqual(want);
    }
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
      ["rejected", { closed: { ...closed, code: "request.starts-at-past" } }],
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

describe("scheduled requests in the report", () => {
  const scheduled = {
    approved_by: ["bob"],
    merge_commit: "a".repeat(40),
    approved_at: "2026-11-27T08:00:00Z",
    starts_at: "2026-11-29T09:00:00Z",
    expires_at: "2026-11-29T11:00:00Z",
    risk: "low" as const,
  };
  const closed = { at: "2026-11-30T00:00:00Z", reason: "window missed", code: "record.start-missed" };
  const records = [
    { file: "access-requests/prod/2026/7-migration.yaml", request: request({ starts_at: scheduled.starts_at, status: "scheduled", scheduled }) },
    {
      file: "access-requests/prod/2026/8-later.yaml",
      request: request({
        id: "8-later",
        starts_at: "2026-11-28T09:00:00Z",
        status: "scheduled",
        scheduled: { ...scheduled, starts_at: "2026-11-28T09:00:00Z", expires_at: "2026-11-28T11:00:00Z" },
      }),
    },
    {
      file: "access-requests/prod/2026/9-missed.yaml",
      request: request({ id: "9-missed", starts_at: scheduled.starts_at, status: "expired", scheduled, closed }),
    },
  ];

  it("lists the starts to come, soonest first, counts them by status, and never counts one closed unstarted as a grant", () => {
    const report = buildReport({ records, commits: [], now: new Date("2026-11-27T12:00:00Z") });
    expect(report.totals.by_status).toMatchObject({ scheduled: 2, expired: 1 });
    expect(report.totals.grants).toBe(0);
    expect(report.scheduled?.map((s) => [s.id, s.starts_at])).toEqual([
      ["8-later", "2026-11-28T09:00:00Z"],
      ["7-migration", "2026-11-29T09:00:00Z"],
    ]);
    const md = renderMarkdown(report);
    expect(md).toContain("### Scheduled to start (2)");
    expect(md).toContain("| `8-later` | alice | prod | 2026-11-28T09:00:00Z | 2026-11-28T11:00:00Z | bob |");
    expect(renderHtml(report)).toContain("Scheduled to start (2)");
    // Started: a grant like any other, but its wait for the start is not counted as time to grant.
    const started = {
      file: "access-requests/prod/2026/10-started.yaml",
      request: request({
        id: "10-started",
        starts_at: scheduled.starts_at,
        status: "active",
        scheduled,
        grant: { ...GRANT, granted_at: "2026-11-29T09:05:00Z", expires_at: "2026-11-29T11:00:00Z" },
      }),
    };
    const twin = {
      file: "access-requests/prod/2026/11-now.yaml",
      request: request({ id: "11-now", status: "active", grant: { ...GRANT, granted_at: "2026-11-27T10:00:30Z", expires_at: "2026-11-27T12:00:00Z" } }),
    };
    const commit = (sha: string, date: string, paths: string[]) => ({
      sha,
      parents: [],
      authorDate: date,
      commitDate: date,
      subject: "x",
      body: "x",
      trailers: {},
      files: paths.map((path) => ({ status: "A", path })),
    });
    const history = [commit("a".repeat(40), "2026-11-27T10:00:00Z", []), commit("e".repeat(40), "2026-11-27T08:00:00Z", [started.file, twin.file])];
    const withStarted = buildReport({ records: [started, twin], commits: history, now: new Date("2026-11-29T10:00:00Z") });
    expect(withStarted.totals.grants).toBe(2);
    expect(withStarted.timing.request_to_grant.count).toBe(1);
    expect(withStarted.timing.approval_to_grant.count).toBe(1);
    expect(withStarted.timing.approval_to_grant.median).toBe(30);
    // None scheduled: no section, no key (the report's JSON stays as it was).
    const none = buildReport({ records: records.slice(2), commits: [], now: new Date("2026-11-27T12:00:00Z") });
    expect(none.scheduled).toBeUndefined();
    expect(renderMarkdown(none)).not.toContain("Scheduled to start");
  });
});

describe("the request pull request's description", () => {
  it("tells the approvers the start and that the end counts from it; without a start, from the merge", () => {
    const catalogue = loadCatalogue();
    const body = (r: AccessRequest) =>
      prBody({
        request: r,
        plan: planRequest(catalogue, { request: r, config, accountId: "111122223333", now: new Date("2026-11-27T09:00:00Z"), durationSeconds: 7200 }),
        issueNumber: 7,
        file: FILE,
        required: 1,
        approvers: ["bob"],
      });
    const later = body(request({ starts_at: "2026-11-28T22:00:00Z" }));
    expect(later).toContain("asks for **2h** of access to account **prod**, starting **2026-11-28T22:00:00Z**.");
    expect(later).toContain("**Start and expiry:** merging approves it but attaches nothing");
    const now = body(request());
    expect(now).toContain("**Expiry:** the grant ends 2h after the merge");
    expect(now).not.toContain("starting");
  });
});
