// The report's approval-policy section: how many grants an auto_approve rule approved (and their
// share), and every break-glass use, from the records' grant.auto_approval and grant.break_glass.
// Pure.
import type { BreakGlassRecord, RequestStatus } from "../domain/types.js";
import { sortedCounts, type Count } from "./stats.js";

export interface BreakGlassRow {
  id: string;
  requester: string;
  account: string;
  by: string;
  incident: string;
  reason: string;
  at: string;
  status: string;
}

export interface ApprovalPoliciesSection {
  /** Grants in the period approved by an auto_approve rule. */
  auto_approved: number;
  /** auto_approved over all grants in the period; null when there are none. */
  auto_approved_share: number | null;
  /** Auto-approved grants per rule. */
  by_rule: Count[];
  /** Every break-glass grant in the period, newest first: never cut. */
  break_glass: BreakGlassRow[];
}

export const APPROVAL_POLICIES_DEFINITION =
  "Grants in the period whose record names an auto_approve rule (grant.auto_approval) or a break-glass self-approval (grant.break_glass); the share is of all grants in the period. Every break-glass use is listed.";

/** What the section reads of a record (a request, or the report's facts of one). */
export interface ApprovalFacts {
  id: string;
  requester: string;
  account: string;
  status?: RequestStatus;
  grant?: { auto_approval?: { rule: string }; break_glass?: BreakGlassRecord };
}

/** Over the grants of the period (records with a grant). */
export function approvalPoliciesSection(grants: readonly ApprovalFacts[]): ApprovalPoliciesSection {
  const byRule = new Map<string, number>();
  const breakGlass: BreakGlassRow[] = [];
  for (const r of grants) {
    const g = r.grant;
    if (!g) continue;
    if (g.auto_approval) byRule.set(g.auto_approval.rule, (byRule.get(g.auto_approval.rule) ?? 0) + 1);
    if (g.break_glass)
      breakGlass.push({
        id: r.id,
        requester: r.requester,
        account: r.account,
        by: g.break_glass.by,
        incident: g.break_glass.incident,
        reason: g.break_glass.reason,
        at: g.break_glass.at,
        status: r.status ?? "proposed",
      });
  }
  const auto = [...byRule.values()].reduce((a, b) => a + b, 0);
  breakGlass.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? -1 : 1));
  return { auto_approved: auto, auto_approved_share: grants.length ? auto / grants.length : null, by_rule: sortedCounts(byRule), break_glass: breakGlass };
}
