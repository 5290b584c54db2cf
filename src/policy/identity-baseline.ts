// The generated baseline policies of identities/: the same generator and guardrails as a grant,
// without an expiry (a baseline stands until the identity is changed), and with the risk tier
// capped: a standing policy may not be high risk. Pure.
import { resolveAccount } from "../domain/config.js";
import { loadIdentities, type Identities, type Person, type RoleIdentity } from "../domain/identities.js";
import { fail, ok, prefixMessages, problem, type Result } from "../domain/problems.js";
import type { Config, PolicyDocument, Problem, RequestItem } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import { generatePolicy } from "./generator.js";
import { checkPolicy } from "./guardrails.js";

export interface CheckedIdentities extends Identities {
  /** The generated policy of each `generated` baseline, keyed by identity then index in `policies`. */
  generated: Map<Person | RoleIdentity, Map<number, PolicyDocument>>;
}

/** The account identities live in; undefined when the config names none it knows. */
export function identitiesAccountId(config: Config): string | undefined {
  const alias = config.identities.account;
  return alias === undefined ? undefined : resolveAccount(config, alias)?.id;
}

/** One generated baseline: the policy, or the generator's and guardrails' problems (high risk refused). */
export function baselinePolicy(catalogue: Catalogue, items: RequestItem[], config: Config, accountId: string): Result<PolicyDocument> {
  const gen = generatePolicy(catalogue, items, { partition: config.aws.partition, region: config.aws.region, accountId });
  if (gen.problems.length) return fail(...gen.problems);
  const verdict = checkPolicy(catalogue, gen.policy, { config, allowedResources: gen.resources.flatMap((r) => r.resources), mode: "iam" });
  if (!verdict.ok) return fail(...verdict.errors);
  if (verdict.risk === "high")
    return fail(
      problem(
        "identity.baseline-high-risk",
        "the generated policy is high risk (permissions management or a dangerous action), which is never standing access; ask for it as temporary access instead",
      ),
    );
  return ok(gen.policy);
}

/**
 * Every identity file of a commit, through the file rules and, for generated baselines, the policy
 * pipeline: what the pull request check, `jit-access identities validate` and the merge use.
 */
export function checkIdentities(
  catalogue: Catalogue,
  files: ReadonlyArray<{ path: string; text: string | Uint8Array | undefined }>,
  config: Config,
): Result<CheckedIdentities> {
  const loaded = loadIdentities(files, config);
  if (!loaded.ok) return loaded;
  const ids = loaded.value;
  const generated: CheckedIdentities["generated"] = new Map();
  const problems: Problem[] = [];
  const accountId = identitiesAccountId(config);
  for (const entry of [...ids.people, ...ids.roles]) {
    (entry.policies ?? []).forEach((p, i) => {
      if (!("generated" in p)) return;
      const where = `${ids.where.get(entry) ?? "?"}.policies[${i}].generated`;
      if (accountId === undefined) {
        problems.push(
          problem(
            "identity.account-unknown",
            "a generated baseline needs identities.account in .github/jit-access.yml (an alias of aws.accounts) to name its resources",
            where,
          ),
        );
        return;
      }
      const r = baselinePolicy(catalogue, p.generated, config, accountId);
      if (!r.ok) problems.push(...prefixMessages(`${where}: `, r.problems).map((x) => ({ ...x, path: x.path ? `${where}.${x.path}` : where })));
      else {
        const byIndex = generated.get(entry) ?? new Map<number, PolicyDocument>();
        byIndex.set(i, r.value);
        generated.set(entry, byIndex);
      }
    });
  }
  return problems.length ? fail(...problems) : ok({ ...ids, generated });
}
