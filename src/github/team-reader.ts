// Team memberships for the sweep, where "cannot tell" must never read as "not a member": GitHub
// answers 404 both for a user who is not in a team and for a team the token cannot see (or that
// is gone). A 404 is taken as "not a member" only once the team itself reads; otherwise it throws,
// and the caller grants nothing (a scheduled start waits for the next sweep).
import type { ProbotOctokit } from "probot";
import type { AccessRepo } from "../lifecycle/ports.js";
import type { AnyOctokit } from "./issue-side.js";
import { status } from "./store.js";

export function teamReader(client: AnyOctokit): Pick<AccessRepo, "teamMembership"> {
  const octokit = client as unknown as ProbotOctokit;
  const visible = new Map<string, Promise<void>>();
  const teamVisible = (org: string, team: string): Promise<void> => {
    const key = `${org}/${team}`.toLowerCase();
    let known = visible.get(key);
    if (!known) {
      known = octokit.rest.teams.getByName({ org, team_slug: team }).then(
        () => undefined,
        (e: unknown) => {
          visible.delete(key);
          throw new Error(
            `team @${org}/${team} cannot be read (HTTP ${status(e) ?? "error"}): it is gone, or the token may not read the organization's teams (members: read)`,
            { cause: e },
          );
        },
      );
      visible.set(key, known);
    }
    return known;
  };
  return {
    async teamMembership(org, team, login) {
      try {
        const { data } = await octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username: login });
        return data.state === "active" ? "active" : "pending";
      } catch (e) {
        if (status(e) !== 404) throw e;
        await teamVisible(org, team);
        return undefined;
      }
    },
  };
}
