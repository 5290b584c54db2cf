// The pull request check of a change to identities/: the same file rules and checks as the merge
// (identities/ only, the two identity files, schema, the rules a schema cannot say, generated
// baselines through the policy pipeline), judged by the base branch's rules as they are now. It
// reads no AWS: what would change there is decided at the merge, against what AWS holds then.
import type { ChangedFile } from "../domain/approvals.js";
import { IDENTITY_FILES, loadIdentities } from "../domain/identities.js";
import { changedRoles, identityFileProblems, identitySubjects } from "../domain/identities-approval.js";
import { loadCatalogue } from "../iam-data.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import { checkIdentities } from "../policy/identity-baseline.js";
import { problemList, quote } from "./messages.js";
import { loadRepoConfig } from "./repo-config.js";

export interface IdentityCheck {
  conclusion: "success" | "failure";
  title: string;
  summary: string;
}

export async function checkIdentityPull(
  access: AccessRepo,
  pr: { headSha: string; baseRef: string; changedFiles?: number },
  files: readonly ChangedFile[],
): Promise<IdentityCheck> {
  const failed = (problems: Parameters<typeof problemList>[0]): IdentityCheck => ({
    conclusion: "failure",
    title: `Invalid identities: ${problems.length} problem(s)`,
    summary: `${problemList(problems)}\n\nNothing is created in AWS until a valid change is approved and merged.`,
  });
  const fileProblems = identityFileProblems(files, pr.changedFiles);
  if (fileProblems.length) return failed(fileProblems);
  const rulesSha = await access.branchTip(pr.baseRef);
  const rules = { read: (p: string) => access.readAt(p, rulesSha) };
  const cfg = await loadRepoConfig(rules);
  if (!cfg.ok) return failed(cfg.problems);
  const read = (ref: string) => Promise.all(IDENTITY_FILES.map(async (path) => ({ path, text: (await access.readAt(path, ref))?.text })));
  const head = checkIdentities(loadCatalogue(), await read(pr.headSha), cfg.value);
  if (!head.ok) return failed(head.problems);
  const before = loadIdentities(await read(rulesSha), cfg.value);
  const people = identitySubjects(before.ok ? before.value : undefined, head.value);
  const roles = changedRoles(before.ok ? before.value.roles : [], head.value.roles);
  return {
    conclusion: "success",
    title: `Identities valid: ${people.length} person(s), ${roles.length} role(s) change`,
    summary: [
      people.length ? `People added, changed or removed: ${people.map((l) => quote(l)).join(", ")}.` : "No person changes.",
      roles.length ? `Roles added, changed or removed: ${roles.map((r) => quote(r)).join(", ")}.` : "No role changes.",
      "",
      `Merging applies it in AWS${cfg.value.identities.enabled ? "" : " once `identities.enabled` is on"} after the app checks the approvals again: ${cfg.value.required_approvals.high} approval(s) (the high tier) from authorized approvers whose own identity this does not change.`,
    ].join("\n"),
  };
}
