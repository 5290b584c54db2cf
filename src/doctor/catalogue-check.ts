// doctor's catalogue check, pure: what validate says about the catalogue (kinds, accounts,
// placeholders, durations), plus what only a live installation can tell — teams named by
// eligibility or entry approvers that do not exist, permission sets that do not exist, and an
// issue form whose dropdown is out of step with the config. Its failures block nothing else.
import { catalogueFormOptions, catalogueProblems, catalogueTeams, formCatalogueOptions } from "../domain/access-catalogue.js";
import { FORM_PATH } from "../domain/issue-form.js";
import { riskRank, type BundleAnalysis } from "../policy/bundle.js";
import type { Config } from "../domain/types.js";
import type { CheckResult, Read } from "./checks.js";

export interface CatalogueFacts {
  /** The repository's issue form, parsed; undefined value when the repository has none. */
  form?: Read<unknown>;
  /** Each "@org/team" that eligibility or entry approvers name → whether it exists. */
  teams?: Read<Record<string, boolean>>;
  /** The instance's permission sets, by name and ARN (identity-center mode with permission-set entries). */
  permissionSets?: Read<Array<{ arn: string; name: string }>>;
  /** The guardrails' judgement of each managed-policy and permission-set entry's content. */
  bundles?: Read<Record<string, BundleAnalysis>>;
}

export function catalogueCheck(config: Config | undefined, facts: CatalogueFacts): CheckResult {
  const id = "catalogue" as const;
  if (!config) return { id, status: "warn", message: "not checked: no valid config to read", fix: "fix the config first" };
  const names = Object.keys(config.catalogue ?? {});
  const wrong: string[] = catalogueProblems(config).map((p) => p.message);
  const cannot: string[] = [];

  const teams = catalogueTeams(config);
  if (teams.length) {
    if (!facts.teams) cannot.push("the teams were not looked up");
    else if (!facts.teams.ok) cannot.push(`could not read the teams (${facts.teams.error})`);
    else
      for (const t of teams)
        if (facts.teams.value[t] !== true) wrong.push(`team ${t} (named by eligible or approvers) does not exist or is not visible to the token`);
  }

  const wanted = Object.entries(config.catalogue ?? {}).filter(([, e]) => e.kind === "permission_set" && e.permission_set);
  if (wanted.length && config.aws.mode === "identity-center") {
    if (!facts.permissionSets) cannot.push("the permission sets were not listed");
    else if (!facts.permissionSets.ok) cannot.push(`could not list the permission sets (${facts.permissionSets.error})`);
    else {
      const have = facts.permissionSets.value;
      for (const [name, e] of wanted) {
        const ref = e.permission_set as string;
        if (!have.some((p) => p.arn === ref || p.name === ref))
          wrong.push(`catalogue.${name}: there is no permission set ${JSON.stringify(ref)} in the instance`);
      }
    }
  }

  // A bundle's tier: AdministratorAccess-like content is high unless the entry says otherwise, and
  // an entry that says otherwise is shown (a warning), so nobody lowers it by accident.
  const notes: string[] = [];
  let lowered = false;
  const bundled = Object.entries(config.catalogue ?? {}).filter(([, e]) => e.kind === "managed_policy" || e.kind === "permission_set");
  if (bundled.length) {
    if (!facts.bundles) cannot.push("the managed policies and permission sets were not read");
    else if (!facts.bundles.ok) cannot.push(`could not read what the bundles allow (${facts.bundles.error})`);
    else
      for (const [name, e] of bundled) {
        const a = facts.bundles.value[name];
        if (!a) continue;
        // The deploy template grants a bundle only once its ARN is listed in the stack parameter, so
        // an administrator bundle there is a deployer's privilege decision: said next to the finding.
        const parameter = e.kind === "managed_policy" ? "CatalogueManagedPolicyArns" : "CataloguePermissionSetArns";
        const admin = `AdministratorAccess-like access (listing it in the deploy stack's ${parameter} is a privilege decision: every approved request holds it until expiry)`;
        const what = `catalogue.${name} allows ${a.adminLike ? admin : `${a.risk}-risk access`}${a.codes.length ? ` (${a.codes.join(", ")})` : ""}`;
        if (e.risk && riskRank(e.risk) < riskRank(a.risk)) {
          lowered = true;
          notes.push(`${what}, but its risk is set to ${e.risk}`);
        } else notes.push(`${what}: risk ${e.risk ?? a.risk}`);
      }
  }

  let formFix: string | undefined;
  if (facts.form) {
    if (!facts.form.ok) cannot.push(`could not read ${FORM_PATH} (${facts.form.error})`);
    else if (facts.form.value !== undefined || names.length) {
      const want = catalogueFormOptions(config);
      const have = facts.form.value === undefined ? undefined : formCatalogueOptions(facts.form.value);
      if (names.length && have === undefined) {
        wrong.push(`${FORM_PATH} has no catalogue dropdown, so entries cannot be picked from the form`);
        formFix = `add the dropdown (id: catalogue) from the jit-access form with options ${JSON.stringify(want)}`;
      } else if (have !== undefined && JSON.stringify(have) !== JSON.stringify(want)) {
        wrong.push(`the catalogue dropdown of ${FORM_PATH} offers ${JSON.stringify(have)}, the config has ${JSON.stringify(want)}`);
        formFix = `set the dropdown's options to ${JSON.stringify(want)}`;
      }
    }
  }

  if (wrong.length)
    return {
      id,
      status: "fail",
      message: `catalogue: ${wrong.join("; ")} (only requests that pick a broken entry are refused)`,
      fix: [formFix, "fix the entries in the config (jit-access validate lists the config's own problems)"].filter(Boolean).join("; "),
    };
  if (lowered)
    return {
      id,
      status: "warn",
      message: `catalogue: ${notes.join("; ")}`,
      fix: "confirm the lower risk is meant (it needs fewer approvals), or remove risk from the entry",
    };
  if (cannot.length)
    return {
      id,
      status: "warn",
      message: `catalogue not fully checked: ${cannot.join("; ")}`,
      fix: "give the token read access to the organisation's teams and the AWS role sso:ListPermissionSets",
    };
  const summary = names.length ? `${names.length} catalogue entr${names.length === 1 ? "y" : "ies"}, all usable` : "no catalogue entries";
  return { id, status: "ok", message: notes.length ? `${summary}; ${notes.join("; ")}` : summary };
}
