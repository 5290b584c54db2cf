// The report's approval-policy section: the auto-approved share and every break-glass use, from
// the records (grant.auto_approval, grant.break_glass).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessRequest } from "../src/domain/types.js";
import { buildReport } from "../src/report/aggregate.js";
import { approvalPoliciesSection } from "../src/report/approval-policies.js";
import { renderReport } from "../src/report/render.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const sha = (n: number) => n.toString(16).padStart(40, "0");

function granted(id: string, extra: Partial<NonNullable<AccessRequest["grant"]>> = {}): AccessRequest {
  return {
    version: 1,
    id,
    requester: "alice",
    account: "prod",
    duration: "1h",
    reason: "r",
    request: [{ service: "s3", access: ["read"], resources: ["b"] }],
    status: "expired",
    grant: {
      approved_by: ["bob"],
      merge_commit: sha(Number(id.split("-")[0])),
      granted_at: "2026-11-20T09:00:00Z",
      expires_at: "2026-11-20T10:00:00Z",
      ...extra,
    },
    closed: { at: "2026-11-20T10:00:00Z", reason: "expired" },
  };
}
const auto = (rule: string) => ({ approved_by: [`rule:${rule}`], auto_approval: { rule, config_sha: sha(9), matched: { risk: "low" } } });
const glass = (incident: string, at: string) => ({ approved_by: ["alice"], break_glass: { by: "alice", incident, reason: "db down, need to look", at } });

describe("the report's approval policies", () => {
  it("counts auto-approved grants per rule with their share, and lists every break-glass use, newest first", () => {
    const records = [
      granted("1-a", auto("prod-read")),
      granted("2-b", auto("prod-read")),
      granted("3-c", auto("staging")),
      granted("4-d", glass("INC-1", "2026-11-20T08:00:00Z")),
      granted("5-e", glass("INC-2", "2026-11-21T08:00:00Z")),
      granted("6-f"),
    ];
    const report = buildReport({ records: records.map((r) => ({ file: `access-requests/prod/2026/${r.id}.yaml`, request: r })), commits: [], now: NOW });
    expect(report.approval_policies).toMatchObject({
      auto_approved: 3,
      auto_approved_share: 0.5,
      by_rule: [
        { key: "prod-read", count: 2 },
        { key: "staging", count: 1 },
      ],
    });
    expect(report.approval_policies.break_glass.map((b) => [b.id, b.incident])).toEqual([
      ["5-e", "INC-2"],
      ["4-d", "INC-1"],
    ]);
    const md = renderReport(report, "md");
    expect(md).toContain("### Approval policies");
    expect(md).toMatch(/Break-glass uses \(2\)/);
    expect(renderReport(report, "html")).toContain("INC-2");
  });

  it("no section when the period has neither", () => {
    const report = buildReport({ records: [{ file: "access-requests/prod/2026/6-f.yaml", request: granted("6-f") }], commits: [], now: NOW });
    expect(report.approval_policies).toEqual({ auto_approved: 0, auto_approved_share: 0, by_rule: [], break_glass: [] });
    expect(renderReport(report, "md")).not.toContain("Approval policies");
  });

  it("property: every break-glass grant is listed, never cut, and the share is auto / grants", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("auto", "glass", "people"), { maxLength: 40 }), (kinds) => {
        const grants = kinds.map((k, i) => granted(`${i + 1}-x`, k === "auto" ? auto("r") : k === "glass" ? glass(`INC-${i}`, "2026-11-20T08:00:00Z") : {}));
        const s = approvalPoliciesSection(grants);
        expect(s.break_glass).toHaveLength(kinds.filter((k) => k === "glass").length);
        expect(s.auto_approved).toBe(kinds.filter((k) => k === "auto").length);
        expect(s.auto_approved_share).toBe(kinds.length ? s.auto_approved / kinds.length : null);
      }),
    );
  });
});
