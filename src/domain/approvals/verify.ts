// Approval verification: may this merged pull request grant access? Pure — the app fetches the
// pull request, its files, reviews, all its commits, CODEOWNERS (at the default branch's tip just
// before the merge, see preMergeTips) and team memberships, and passes them in. Every rule runs
// and every failure is reported with what to do about it; missing or ambiguous data never approves.
import type { ApprovalFailure } from "./codes.js";
import { gatherFacts, type ApprovalFacts } from "./facts.js";
import { display, quote, short } from "./format.js";
import { APPROVAL_RULES, DISCOUNTS, enoughApprovals } from "./rules.js";
import type { ApprovalDecision, ApprovalInput } from "./types.js";

/** Decide whether a merged pull request's approvals allow the grant. Never throws on bad data. */
export function verifyApproval(input: ApprovalInput): ApprovalDecision {
  const facts = gatherFacts(input);
  const results = APPROVAL_RULES.map((rule) => ({ name: rule.name, failures: rule.check(facts) }));
  const failures: ApprovalFailure[] = results.flatMap((r) => r.failures);
  const rules = results.map((r) => ({ name: r.name, passed: r.failures.length === 0 }));
  return { ok: failures.length === 0, approvedBy: facts.approvedBy, required: facts.required, failures, rules, notes: explain(facts) };
}

/** What the decision rests on, for people: reviews that did not count and why, and who may approve. */
function explain(f: ApprovalFacts): string[] {
  const notes = [...f.notes];
  for (const r of f.reviewers) {
    const who = display(r.login);
    if (r.verdict === "dismissed")
      notes.push(`${who}'s latest review (${r.latest.id}) was dismissed; ${r.earlierApproval ? "their earlier approval" : "it"} does not count`);
    if (r.verdict === "objection-ignored") notes.push(`${who} requested changes but is not an authorized approver; that review does not block`);
  }
  if (enoughApprovals(f)) {
    for (const d of DISCOUNTS) for (const r of f.reviewers.filter((x) => x.verdict === d.verdict)) notes.push(`not counted (${d.code}): ${d.detail(r, f)}`);
  }
  if (f.approvedBy.length) notes.push(`approved by ${f.approvedBy.join(", ")} at head ${short(f.headSha)} (${f.approvedBy.length} of ${f.required} required)`);
  notes.push(`authorized approvers for ${quote(f.filePath)}: ${f.authorized.summary}`);
  return notes;
}
