// A scheduled start's approval, judged again at the start. The merge verified the reviews on the
// rules of the merge; by the start, approvers may have left CODEOWNERS or a team, a rule may ask
// for more approvals, the requester may no longer be eligible, an auto-approval rule or the
// break-glass list may be gone. The approvals recorded in `scheduled.approved_by` are judged on
// the rules as they are at the start: the grant goes ahead only if they still suffice. Pure: the
// adapter reads CODEOWNERS and team memberships (startApprovalTeams says which) and passes them in.
import { ineligibility, type EligibilityRule } from "./access-catalogue.js";
import { authorizedApprovers, candidateTeams, normalizeLogin, normalizeTeam, type TeamMember } from "./approvals.js";
import { problem } from "./problems.js";
import type { Config, Problem, RiskTier, ScheduledRecord } from "./types.js";

/** What a start's approval is judged with: the record's approval and the rules at the start. */
export interface StartApprovalInput {
  requester: string;
  scheduled: Pick<ScheduledRecord, "approved_by" | "risk" | "auto_approval" | "break_glass">;
  /** The risk tier the request is judged at the start. */
  risk: RiskTier;
  /** The approval rules at the start (access-catalogue approvalConfigFor). */
  config: Pick<Config, "approvers" | "required_approvals">;
  /** The auto-approval rules and break-glass list at the start; a claim is judged against them. */
  policies: { auto_approve?: Config["auto_approve"]; break_glass?: Config["break_glass"] | undefined };
  /** The request file's path in each account's folder, with its CODEOWNERS owners (undefined: no CODEOWNERS file). */
  owners: ReadonlyArray<{ path: string; codeowners?: { owners: string[]; line?: number; source?: string } | undefined }>;
  /** Memberships of the teams startApprovalTeams names, keyed "@org/team"; each approver's state, absent when not a member. */
  teamMembers: Readonly<Record<string, TeamMember[]>>;
  /** The eligibility rules at the start and the requester's memberships; absent: no rule applies. */
  eligibility?: { rules: readonly EligibilityRule[]; memberships: Readonly<Record<string, "active" | "pending" | undefined>> } | undefined;
}

export type StartApproval = { ok: true; approvedBy: string[] } | { ok: false; problems: Problem[] };

/** The teams whose memberships of the recorded approvers must be read to judge the start. */
export function startApprovalTeams(input: Pick<StartApprovalInput, "config" | "owners" | "scheduled">): string[] {
  if (input.scheduled.auto_approval || input.scheduled.break_glass) return [];
  return [...new Set(input.owners.flatMap((o) => candidateTeams(input.config, o.codeowners)))].sort();
}

const NEW_REQUEST = "open a new request to have it approved under the rules as they are now";

/**
 * Whether the approvals recorded at the merge still satisfy the rules at the start. Every account's
 * folder must be satisfied, as at the merge; the approvers that still count are returned.
 */
export function judgeStartApproval(input: StartApprovalInput): StartApproval {
  const problems: Problem[] = [];
  if (input.eligibility) {
    for (const p of ineligibility(input.eligibility.rules, input.requester, input.eligibility.memberships))
      problems.push({ ...p, message: `at the start: ${p.message}; nothing was granted — ${NEW_REQUEST} once ${input.requester} may ask` });
  }
  const { scheduled } = input;
  if (scheduled.auto_approval) {
    const rule = (input.policies.auto_approve ?? []).find((r) => r.name === scheduled.auto_approval!.rule);
    if (!rule)
      problems.push(
        problem(
          "approval.start-claim-withdrawn",
          `auto-approval rule ${JSON.stringify(scheduled.auto_approval.rule)} that approved it is no longer configured; ${NEW_REQUEST}`,
        ),
      );
    else if (!(rule.risk as RiskTier[]).includes(input.risk))
      problems.push(
        problem(
          "approval.start-claim-withdrawn",
          `auto-approval rule ${JSON.stringify(rule.name)} now covers ${rule.risk.join(", ")} risk, not ${input.risk}; ${NEW_REQUEST}`,
        ),
      );
    return problems.length ? { ok: false, problems } : { ok: true, approvedBy: [...scheduled.approved_by] };
  }
  if (scheduled.break_glass) {
    const by = normalizeLogin(scheduled.break_glass.by);
    const users = (input.policies.break_glass?.users ?? []).map((u) => normalizeLogin(u.replace(/^@/, "")));
    if (!by || !users.includes(by))
      problems.push(
        problem(
          "approval.start-claim-withdrawn",
          `${scheduled.break_glass.by} approved it with /break-glass, but is no longer in break_glass.users; ${NEW_REQUEST}`,
        ),
      );
    return problems.length ? { ok: false, problems } : { ok: true, approvedBy: [...scheduled.approved_by] };
  }

  const required = requiredApprovals(input.config, input.risk);
  const requester = normalizeLogin(input.requester);
  const counted = new Map<string, string>();
  for (const owners of input.owners) {
    const authorized = authorizedApprovers(
      {
        config: input.config,
        codeowners: owners.codeowners,
        requestFile: { path: owners.path, headBlobSha: null, mergeBlobSha: null },
        teamMembers: teamMap(input.teamMembers),
      },
      [],
    );
    const still: string[] = [];
    const gone: string[] = [];
    for (const login of scheduled.approved_by) {
      const key = normalizeLogin(login);
      if (key && key !== requester && authorized.users.has(key)) still.push(login);
      else gone.push(authorized.pending.has(key ?? "") ? `${login} (team membership pending)` : login);
    }
    for (const login of still) counted.set(normalizeLogin(login)!, login);
    if (still.length >= required) continue;
    const where = input.owners.length > 1 ? ` for ${owners.path}` : "";
    if (gone.length)
      problems.push(
        problem(
          "approval.start-approver-removed",
          `approved at the merge by ${scheduled.approved_by.join(", ")}, but ${gone.join(", ")} may no longer approve${where} (approvers: ${authorized.summary}); ${still.length} of ${required} approval(s) still count — nothing was granted; ${NEW_REQUEST}`,
        ),
      );
    else
      problems.push(
        problem(
          "approval.start-more-approvals",
          `approved by ${scheduled.approved_by.join(", ")} (${still.length}), but ${input.risk} risk now needs ${required} approval(s)${where} — nothing was granted; ${NEW_REQUEST}`,
        ),
      );
  }
  if (problems.length) return { ok: false, problems: dedupe(problems) };
  return { ok: true, approvedBy: [...counted.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())) };
}

/** required_approvals for the tier, read as the merge reads it: a value that is not a whole number ≥ 1 counts as 1. */
function requiredApprovals(config: Pick<Config, "required_approvals">, risk: RiskTier): number {
  const n = config.required_approvals?.[risk];
  return typeof n === "number" && Number.isInteger(n) && n >= 1 ? n : 1;
}

function teamMap(members: Readonly<Record<string, TeamMember[]>>): Record<string, TeamMember[]> {
  const out: Record<string, TeamMember[]> = {};
  for (const [team, list] of Object.entries(members)) {
    const key = normalizeTeam(team);
    if (key) out[key] = [...(out[key] ?? []), ...list];
  }
  return out;
}

function dedupe(problems: Problem[]): Problem[] {
  return problems.filter((p, i) => problems.findIndex((q) => q.code === p.code && q.message === p.message) === i);
}

/** The request file's path as if it were filed under another account's folder (for its CODEOWNERS). */
export function accountFolderPath(path: string, folder: string): string {
  const parts = path.split("/");
  return parts.length === 4 ? [parts[0], folder, parts[2], parts[3]].join("/") : path;
}
