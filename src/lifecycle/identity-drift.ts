// Drift between identities/ and AWS: identities git lists that AWS lacks, managed identities whose
// policies, tags, trust or groups were changed out of band, managed identities git no longer
// lists, and names held by identities jit-access does not manage. `apply` repairs what is safe —
// re-creating what git lists and putting changed identities back as git says (which only ever
// removes what was added by hand) — and never removes an identity: a person missing from git is
// an offboarding, which goes through a reviewed pull request so that their grants are revoked first.
import type { IdentityDirectory } from "../aws/types.js";
import { describeIdentityChange, desiredIdentities, planIdentityChanges, type IdentityChange } from "../domain/identities-plan.js";
import type { Config } from "../domain/types.js";
import { identitiesAccountId, type CheckedIdentities } from "../policy/identity-baseline.js";
import { applyIdentityChanges } from "./identities.js";

export interface DriftReport {
  ok: boolean;
  /** Listed in git, absent in AWS. */
  missing: string[];
  /** Managed in AWS, changed out of band. */
  changed: string[];
  /** Managed in AWS (tagged), not listed in git. */
  unlisted: string[];
  /** Names in git held in AWS by identities jit-access does not manage. */
  notOwned: string[];
  /** What --apply repaired, and what it could not. */
  repaired: string[];
  failed: string[];
}

export async function reconcileIdentities(
  config: Config,
  ids: CheckedIdentities,
  directory: IdentityDirectory,
  opts: { apply: boolean },
): Promise<DriftReport> {
  const desired = desiredIdentities(ids, { config, accountId: identitiesAccountId(config) ?? "", generated: ids.generated });
  const actual = await directory.list(desired.map((d) => ({ kind: d.kind, name: d.name })));
  const plan = planIdentityChanges(desired, actual);
  const of = (op: IdentityChange["op"]) => plan.filter((c) => c.op === op);
  const report: DriftReport = {
    ok: true,
    missing: of("create").map(describeIdentityChange),
    changed: of("update").map(describeIdentityChange),
    unlisted: of("remove").map(describeIdentityChange),
    notOwned: of("refuse").map(describeIdentityChange),
    repaired: [],
    failed: [],
  };
  if (opts.apply && !report.notOwned.length) {
    const safe = plan.filter((c) => c.op === "create" || c.op === "update");
    const done = await applyIdentityChanges({ directory, revokeGrantsOf: async () => ({ revoked: [], failed: [] }) }, safe);
    report.repaired = done.applied;
    report.failed = [...done.problems.map((p) => p.message), ...done.leftOver];
  }
  const fixed = opts.apply && report.failed.length === 0 && !report.notOwned.length;
  report.ok = report.unlisted.length === 0 && report.notOwned.length === 0 && (fixed || (report.missing.length === 0 && report.changed.length === 0));
  return report;
}

export function driftText(r: DriftReport): string {
  const section = (title: string, lines: string[]) => (lines.length ? [`${title}:`, ...lines.map((l) => `  ${l}`)] : []);
  const out = [
    ...section("listed in identities/ but missing in AWS", r.missing),
    ...section("changed in AWS outside jit-access", r.changed),
    ...section("managed by jit-access in AWS but not listed in identities/ (remove them through a pull request, or by hand)", r.unlisted),
    ...section("held in AWS by an identity jit-access does not manage (rename, or remove the other one)", r.notOwned),
    ...section("repaired", r.repaired),
    ...section("not repaired", r.failed),
  ];
  if (!out.length) out.push("identities/ and AWS agree");
  return `${out.join("\n")}\n`;
}
