// Who may ask: the eligibility rules of a request's account and catalogue entry, judged against
// the requester's team memberships read through the AccessRepo port. Used at intake (so an
// ineligible requester gets no pull request) and again at every merge (memberships change).
import { eligibilityRules, eligibilityTeams, ineligibility, type EligibilityRule } from "../domain/access-catalogue.js";
import type { AccessRequest, Config, Problem } from "../domain/types.js";
import type { AccessRepo } from "./ports.js";

export interface Eligibility {
  rules: readonly EligibilityRule[];
  /** The requester's membership of each team the rules name, keyed "@org/team" lower-cased. */
  memberships: Readonly<Record<string, "active" | "pending" | undefined>>;
}

/** The rules and memberships, or undefined when no rule applies (nothing is looked up then). */
export async function fetchEligibility(
  access: Pick<AccessRepo, "teamMembership">,
  config: Config,
  request: Pick<AccessRequest, "account" | "accounts" | "catalogue" | "requester">,
): Promise<Eligibility | undefined> {
  const rules = eligibilityRules(config, request);
  if (rules.length === 0) return undefined;
  const memberships: Record<string, "active" | "pending" | undefined> = {};
  for (const team of eligibilityTeams(rules)) {
    const [org = "", slug = ""] = team.slice(1).split("/");
    memberships[team] = await access.teamMembership(org, slug, request.requester);
  }
  return { rules, memberships };
}

/** Why the requester may not ask for this request (`approval.not-eligible`), or nothing. */
export async function eligibilityProblems(
  access: Pick<AccessRepo, "teamMembership">,
  config: Config,
  request: Pick<AccessRequest, "account" | "accounts" | "catalogue" | "requester">,
): Promise<Problem[]> {
  const e = await fetchEligibility(access, config, request);
  return e ? ineligibility(e.rules, request.requester, e.memberships) : [];
}
