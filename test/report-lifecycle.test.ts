// The report's section on rejections (with who and why), withdrawals, requests closed unapproved
// and extensions: counted from the records' codes and grant.extensions, never from wording.
import { describe, expect, it } from "vitest";
import type { AccessRequest } from "../src/domain/types.js";
import { buildReport } from "../src/report/aggregate.js";
import { lifecycleSection } from "../src/report/lifecycle.js";
import { renderReport } from "../src/report/render.js";
import { testRequest } from "./support/fake-aws/fixtures.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const closedAs = (id: string, code: string, by?: string, reason = "a reason"): AccessRequest =>
  testRequest({ id, status: "rejected", closed: { at: "2026-11-26T10:00:00Z", reason, code, ...(by ? { by } : {}) } });
const extended = testRequest({
  id: "5-reports",
  status: "active",
  grant: {
    approved_by: ["bob"],
    merge_commit: "d".repeat(40),
    granted_at: "2026-11-27T08:00:00Z",
    expires_at: "2026-11-27T22:00:00Z",
    extensions: [
      {
        id: "5-reports-ext-1",
        approved_by: ["bob"],
        merge_commit: "e".repeat(40),
        at: "2026-11-27T09:00:00Z",
        previous_expires_at: "2026-11-27T16:00:00Z",
        expires_at: "2026-11-27T20:00:00Z",
      },
      {
        id: "5-reports-ext-2",
        approved_by: ["dave"],
        merge_commit: "f".repeat(40),
        at: "2026-11-27T10:00:00Z",
        previous_expires_at: "2026-11-27T20:00:00Z",
        expires_at: "2026-11-27T22:00:00Z",
      },
    ],
  },
});
const records = [
  closedAs("1-a", "approval.rejected", "bob", "use the replica <script>"),
  closedAs("2-b", "approval.withdrawn", "alice"),
  closedAs("3-c", "approval.expired-unapproved"),
  closedAs("4-d", "approval.self"),
  extended,
].map((request) => ({ file: `access-requests/prod/2026/${request.id}.yaml`, request }));

describe("report: rejected, withdrawn, closed unapproved, extended", () => {
  it("counts each by its code, keeps who rejected and why, sums the time extensions added", () => {
    const l = lifecycleSection(
      records.map((x) => x.request),
      undefined,
    );
    expect(l.counts).toEqual({ rejected: 1, withdrawn: 1, expired_unapproved: 1, extensions: 2, extended_grants: 1 });
    expect(l.rejected).toEqual([{ id: "1-a", requester: "alice", by: "bob", reason: "use the replica <script>", at: "2026-11-26T10:00:00Z" }]);
    expect(l.extensions).toEqual([
      {
        id: "5-reports",
        requester: "alice",
        count: 2,
        first_expires_at: "2026-11-27T16:00:00Z",
        expires_at: "2026-11-27T22:00:00Z",
        extended_seconds: 6 * 3600,
      },
    ]);
    // A refusal by a rule (approval.self) is "blocked", not a rejection with a reason.
    expect(l.rejected.map((r) => r.id)).not.toContain("4-d");
  });

  it("--since counts closings and extensions inside the period only", () => {
    const l = lifecycleSection(
      records.map((x) => x.request),
      Date.parse("2026-11-27T09:30:00Z"),
    );
    expect(l.counts).toEqual({ rejected: 0, withdrawn: 0, expired_unapproved: 0, extensions: 1, extended_grants: 1 });
  });

  it("is in the report and its renderings (user text escaped), and absent when there is nothing", () => {
    const report = buildReport({ records, commits: [], now: NOW });
    expect(report.lifecycle?.counts.rejected).toBe(1);
    const md = renderReport(report, "md");
    expect(md).toContain("### Rejected, withdrawn, closed unapproved, extended");
    expect(md).toContain("use the replica");
    expect(md).not.toContain("<script>");
    expect(renderReport(report, "html")).not.toContain("<script>");
    expect(buildReport({ records: records.filter((r) => r.request.id === "4-d"), commits: [], now: NOW }).lifecycle).toBeUndefined();
  });
});
