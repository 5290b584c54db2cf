// The approval of a scheduled start judged again on the rules at the start (domain/start-approval.ts):
// a table of what changed between the merge and the start × the outcome, and a property against a
// reference model (granted exactly when enough recorded approvers are still authorized; never
// counts anyone who was not recorded).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judgeStartApproval, startApprovalTeams, type StartApprovalInput } from "../src/domain/start-approval.js";
import type { AutoApproveRule } from "../src/domain/types.js";

const FILE = "access-requests/prod/2026/7-migration.yaml";
const AUTO: AutoApproveRule = { name: "read-only", risk: ["low"] };

/** At the merge: bob approved, bob and dave are approvers, one approval for low risk. */
function base(over: Partial<StartApprovalInput> = {}): StartApprovalInput {
  return {
    requester: "alice",
    scheduled: { approved_by: ["bob"], risk: "low" },
    risk: "low",
    config: { approvers: ["bob", "dave"], required_approvals: { low: 1, medium: 1, high: 2 } },
    policies: {},
    owners: [{ path: FILE }],
    teamMembers: {},
    ...over,
  };
}

const codeowners = (...owners: string[]) => ({ owners, line: 1, source: ".github/CODEOWNERS" });

type Row = [name: string, input: StartApprovalInput, expected: string[] | { approvedBy: string[] }];
const ROWS: Row[] = [
  ["nothing changed", base(), { approvedBy: ["bob"] }],
  [
    "the approver removed from approvers",
    base({ config: { approvers: ["dave"], required_approvals: { low: 1, medium: 1, high: 2 } } }),
    ["approval.start-approver-removed"],
  ],
  [
    "a rule now requires two approvals",
    base({ config: { approvers: ["bob", "dave"], required_approvals: { low: 2, medium: 2, high: 2 } } }),
    ["approval.start-more-approvals"],
  ],
  [
    "one of two approvers removed, one approval still enough",
    base({ scheduled: { approved_by: ["bob", "dave"], risk: "low" }, config: { approvers: ["dave"], required_approvals: { low: 1, medium: 1, high: 2 } } }),
    { approvedBy: ["dave"] },
  ],
  [
    "an approver through CODEOWNERS still owns the folder",
    base({ config: { approvers: [], required_approvals: { low: 1, medium: 1, high: 2 } }, owners: [{ path: FILE, codeowners: codeowners("@bob") }] }),
    { approvedBy: ["bob"] },
  ],
  [
    "the approver removed from CODEOWNERS",
    base({ config: { approvers: [], required_approvals: { low: 1, medium: 1, high: 2 } }, owners: [{ path: FILE, codeowners: codeowners("@carol") }] }),
    ["approval.start-approver-removed"],
  ],
  [
    "an approver through a team, still a member",
    base({
      config: { approvers: ["@acme/ops"], required_approvals: { low: 1, medium: 1, high: 2 } },
      teamMembers: { "@acme/ops": [{ login: "bob", state: "active" }] },
    }),
    { approvedBy: ["bob"] },
  ],
  [
    "the approver left the team",
    base({ config: { approvers: ["@acme/ops"], required_approvals: { low: 1, medium: 1, high: 2 } }, teamMembers: { "@acme/ops": [] } }),
    ["approval.start-approver-removed"],
  ],
  [
    "the approver's team membership is only pending",
    base({
      config: { approvers: ["@acme/ops"], required_approvals: { low: 1, medium: 1, high: 2 } },
      teamMembers: { "@acme/ops": [{ login: "bob", state: "pending" }] },
    }),
    ["approval.start-approver-removed"],
  ],
  [
    "the requester is no longer eligible",
    base({ eligibility: { rules: [{ source: "aws.accounts.prod.eligible", allowed: ["@acme/devs"] }], memberships: { "@acme/devs": undefined } } }),
    ["approval.not-eligible"],
  ],
  [
    "the requester is still eligible",
    base({ eligibility: { rules: [{ source: "aws.accounts.prod.eligible", allowed: ["@acme/devs"] }], memberships: { "@acme/devs": "active" } } }),
    { approvedBy: ["bob"] },
  ],
  [
    "a second account's folder is owned by someone else now",
    base({
      config: { approvers: [], required_approvals: { low: 1, medium: 1, high: 2 } },
      owners: [
        { path: FILE, codeowners: codeowners("@bob") },
        { path: "access-requests/staging/2026/7-migration.yaml", codeowners: codeowners("@carol") },
      ],
    }),
    ["approval.start-approver-removed"],
  ],
  [
    "an auto-approval whose rule is still there",
    base({
      scheduled: { approved_by: ["jit-access[bot]"], risk: "low", auto_approval: { rule: "read-only", config_sha: "x", matched: {} } },
      policies: { auto_approve: [AUTO] },
    }),
    { approvedBy: ["jit-access[bot]"] },
  ],
  [
    "an auto-approval whose rule was removed",
    base({
      scheduled: { approved_by: ["jit-access[bot]"], risk: "low", auto_approval: { rule: "read-only", config_sha: "x", matched: {} } },
      policies: { auto_approve: [] },
    }),
    ["approval.start-claim-withdrawn"],
  ],
  [
    "an auto-approval whose rule no longer covers the risk",
    base({
      risk: "medium",
      scheduled: { approved_by: ["jit-access[bot]"], risk: "medium", auto_approval: { rule: "read-only", config_sha: "x", matched: {} } },
      policies: { auto_approve: [AUTO] },
    }),
    ["approval.start-claim-withdrawn"],
  ],
  [
    "a break-glass approver removed from break_glass.users",
    base({
      scheduled: { approved_by: ["alice"], risk: "low", break_glass: { by: "alice", incident: "INC-1", reason: "queue down", at: "2026-11-27T10:00:00Z" } },
      policies: { break_glass: { users: ["erin"], max_duration: "1h" } },
    }),
    ["approval.start-claim-withdrawn"],
  ],
  [
    "a break-glass approver still listed",
    base({
      scheduled: { approved_by: ["alice"], risk: "low", break_glass: { by: "alice", incident: "INC-1", reason: "queue down", at: "2026-11-27T10:00:00Z" } },
      policies: { break_glass: { users: ["@alice"], max_duration: "1h" } },
    }),
    { approvedBy: ["alice"] },
  ],
];

describe("a scheduled start's approval, judged again", () => {
  it.each(ROWS)("%s", (_name, input, expected) => {
    const out = judgeStartApproval(input);
    if (Array.isArray(expected)) {
      expect(out.ok).toBe(false);
      if (!out.ok) {
        expect([...new Set(out.problems.map((p) => p.code))]).toEqual(expected);
        // Every refusal tells the requester how to go on.
        for (const p of out.problems) expect(p.message).toMatch(/new request|once .* may ask/);
      }
    } else expect(out).toEqual({ ok: true, ...expected });
  });

  it("names who may no longer approve and who may", () => {
    const out = judgeStartApproval(base({ config: { approvers: ["dave"], required_approvals: { low: 1, medium: 1, high: 2 } } }));
    expect(out.ok || out.problems[0]?.message).toMatch(/bob may no longer approve \(approvers: dave\); 0 of 1 approval\(s\) still count/);
  });

  it("asks for the teams of the rules and CODEOWNERS, and none for a claim", () => {
    const input = base({
      config: { approvers: ["@Acme/Ops", "bob"], required_approvals: { low: 1, medium: 1, high: 2 } },
      owners: [{ path: FILE, codeowners: codeowners("@acme/sec") }],
    });
    expect(startApprovalTeams(input)).toEqual(["@acme/ops", "@acme/sec"]);
    expect(startApprovalTeams({ ...input, scheduled: { ...input.scheduled, break_glass: { by: "a", incident: "i", reason: "r", at: "t" } } })).toEqual([]);
  });

  it("matches the reference model over random approvers, approvals, memberships and counts", () => {
    const logins = ["alice", "bob", "carol", "dave", "erin"];
    fc.assert(
      fc.property(
        fc.subarray(logins),
        fc.subarray(logins, { minLength: 1 }),
        fc.subarray(logins),
        fc.subarray(logins),
        fc.integer({ min: 1, max: 3 }),
        (approvers, approvedBy, teamActive, owners, required) => {
          const input = base({
            scheduled: { approved_by: approvedBy, risk: "low" },
            config: { approvers: [...approvers, "@acme/ops"], required_approvals: { low: required, medium: required, high: required } },
            owners: [{ path: FILE, codeowners: codeowners(...owners.map((o) => `@${o}`)) }],
            teamMembers: { "@acme/ops": teamActive.map((login) => ({ login, state: "active" as const })) },
          });
          const authorized = new Set([...approvers, ...teamActive, ...owners]);
          const still = approvedBy.filter((l) => l !== "alice" && authorized.has(l));
          const out = judgeStartApproval(input);
          expect(out.ok).toBe(still.length >= required);
          if (out.ok) {
            expect(out.approvedBy).toEqual([...still].sort());
            for (const l of out.approvedBy) expect(approvedBy).toContain(l);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
