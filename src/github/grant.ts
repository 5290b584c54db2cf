// Merge → grant. A merged pull request that adds one request file is granted only after the app
// has re-read the file at the merge commit, re-run the pipeline and verified the approvals itself
// (branch protection is not trusted alone). The grant is recorded as a commit on the default
// branch; if the record cannot be written the grant is rolled back, so no access exists in AWS
// without a record in git.
//
// The use case, in four modules: grant-facts.ts gathers the facts through AccessRepo,
// grant-decision.ts decides (pure: the verdict and the effects that say it), grant-execute.ts
// carries out the AWS transaction, grant-announce.ts decides what each ending records and tells.
import type { ProbotOctokit } from "probot";
import { codesOf, describeProblem } from "../domain/problems.js";
import type { Config } from "../domain/types.js";
import { runEffects, type EffectPorts } from "../lifecycle/effects.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import { OctokitAccessRepo } from "./access-repo.js";
import { applyExtension } from "./extend.js";
import { executeGrant, scheduleGrant } from "./grant-execute.js";
import { judgeMerge } from "./grant-facts.js";
import type { GrantDeps, GrantOutcome, MergedPr } from "./grant-types.js";
import type { RepoRef } from "./octokit-helpers.js";

export { refusalEffects } from "./grant-announce.js";
export type { GrantDeps, GrantOutcome, MergedPr } from "./grant-types.js";

// One grant per request at a time within this process; the record's compare-and-swap covers the rest.
const inFlight = new Map<string, Promise<GrantOutcome>>();

export function handleMergedPr(octokit: ProbotOctokit, repo: RepoRef, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome> {
  return grantMergedOnce(new OctokitAccessRepo(octokit, repo), pr, deps);
}

/** The merge → grant use case against any AccessRepo, one at a time per pull request. */
export function grantMergedOnce(access: AccessRepo, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome> {
  const key = `${access.fullName}#${pr.number}`;
  const running = inFlight.get(key);
  if (running) return running.then(() => ({ kind: "already", reason: "a concurrent delivery handled this merge" }) as const);
  const p = grantMerged(access, pr, deps).finally(() => inFlight.delete(key));
  inFlight.set(key, p);
  return p;
}

/** Gather the facts and decide; a refusal or a replay is carried out as effects, an approval by the grant's transaction. */
async function grantMerged(access: AccessRepo, pr: MergedPr, deps: GrantDeps): Promise<GrantOutcome> {
  const ports = (config?: Config): EffectPorts => ({ access, ...(config && deps.notifierFor ? { alerts: deps.notifierFor(config) } : {}) });
  const decision = await judgeMerge(access, pr, deps.now(), deps.appLogin);
  switch (decision.kind) {
    case "ignored":
      return decision;
    case "already":
      await runEffects(decision.effects, ports());
      return { kind: "already", reason: decision.reason };
    case "blocked": {
      const done = await runEffects(decision.effects, ports(decision.config));
      const { problems } = decision;
      return {
        kind: "blocked",
        reasons: problems.map(describeProblem),
        codes: codesOf(problems),
        ...(decision.rejects && done.commits[0] ? { recorded: done.commits[0] } : {}),
      };
    }
    case "approved": {
      const g = decision.grant;
      // An extension request moves the end of the grant it names instead of granting (extend.ts);
      // a start still ahead is recorded `scheduled`, and the sweep grants it when it comes.
      if (g.request.extends !== undefined) return applyExtension(access, pr, deps, g);
      if (g.startsAt !== undefined) return scheduleGrant(pr, deps, { ...g, startsAt: g.startsAt }, ports);
      return executeGrant(pr, deps, g, ports);
    }
  }
}
