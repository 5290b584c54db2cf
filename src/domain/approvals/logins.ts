// Logins and teams compared the way GitHub compares them: ASCII, case-insensitive.
import type { Config } from "../types.js";
import { LOGIN, TEAM } from "./format.js";

/** A GitHub login, lower-cased for comparison; undefined for anything that is not a plain ASCII
 *  login (so a look-alike such as "bоb" with a Cyrillic о never equals "bob"). */
export function normalizeLogin(login: unknown): string | undefined {
  return typeof login === "string" && LOGIN.test(login) ? login.toLowerCase() : undefined;
}

/** "@org/team" lower-cased, or undefined. */
export function normalizeTeam(team: unknown): string | undefined {
  if (typeof team !== "string") return undefined;
  const m = TEAM.exec(team);
  return m ? `@${(m[1] ?? "").toLowerCase()}/${(m[2] ?? "").toLowerCase()}` : undefined;
}

/** Teams whose memberships the app must fetch: configured teams and CODEOWNERS owner teams. */
export function candidateTeams(config: Pick<Config, "approvers">, codeowners?: { owners: string[] }): string[] {
  const out = new Set<string>();
  for (const a of [...(config.approvers ?? []), ...(codeowners?.owners ?? [])]) {
    if (typeof a === "string" && a.includes("/")) {
      const t = normalizeTeam(a);
      if (t) out.add(t);
    }
  }
  return [...out].sort();
}
