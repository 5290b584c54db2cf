// Merge → identities. A merged pull request that changes identities/ is applied only after the app
// has judged it itself, as a grant is: the rules (config, CODEOWNERS) as the default branch stood
// just before the merge, the identity files at the merge commit through the same checks as the
// pull request check, and the approvals (src/domain/identities-approval.ts). Then the changes are
// planned against what AWS holds and applied (src/lifecycle/identities.ts), and the result is
// recorded as a commit on the default branch: identity-records/<pr>.yaml, with trailers.
import * as yaml from "js-yaml";
import type { ProbotOctokit } from "probot";
import type { IdentityDirectory } from "../aws/types.js";
import { candidateTeams, type ChangedFile } from "../domain/approvals.js";
import { ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { IDENTITY_FILES, loadIdentities } from "../domain/identities.js";
import { changedRoles, identityFileProblems, identitySubjects, verifyIdentityApproval } from "../domain/identities-approval.js";
import { desiredIdentities, planIdentityChanges, type DesiredIdentity } from "../domain/identities-plan.js";
import { codesOf, describeProblem, problem } from "../domain/problems.js";
import { commitMessage } from "../domain/records.js";
import { isoSeconds } from "../domain/time.js";
import type { Config, Problem } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import { applyIdentityChanges, type IdentityApplyOutcome } from "../lifecycle/identities.js";
import { addPendingOnboarding } from "../lifecycle/onboarding.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import { checkIdentities, identitiesAccountId } from "../policy/identity-baseline.js";
import { updateRecord, type StoredFile } from "../store/record-store.js";
import { OctokitAccessRepo } from "./access-repo.js";
import { locatePreMergeTips, rulesFingerprint, teamMembers as fetchTeamMembers } from "./grant-facts.js";
import type { MergedPr } from "./grant-types.js";
import { quote } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";
import { codeownersCandidates, loadRepoConfig } from "./repo-config.js";

export const IDENTITY_MARKER = "<!-- jit-access:identities -->";
export const IDENTITY_RECORDS_DIR = "identity-records";

export interface OnboardResult {
  login: string;
  status: "sent" | "failed" | "skipped";
  detail?: string;
}

export interface IdentityDeps {
  directoryFor: (config: Config) => IdentityDirectory;
  /** Ends every active grant of a login (offboarding); see revokeGrantsOf in src/github/offboarding.ts. */
  revokeGrantsOf: (access: AccessRepo, config: Config, login: string, pr: number) => Promise<{ revoked: string[]; failed: string[] }>;
  /** Tells a new person what was created; never throws (a failure is a result, retried later). */
  onboard?: (config: Config, person: DesiredIdentity, repo: string) => Promise<OnboardResult>;
  now: () => Date;
}

export type IdentityOutcome =
  | { kind: "ignored"; reason: string }
  /** A later change to identities/ is on the default branch: it carries this one, and is what gets applied. */
  | { kind: "superseded"; recorded?: string }
  | { kind: "refused"; problems: Problem[]; recorded?: string }
  | { kind: "applied"; outcome: IdentityApplyOutcome; onboarding: OnboardResult[]; recorded?: string }
  | { kind: "failed"; outcome: IdentityApplyOutcome; recorded?: string };

export function handleMergedIdentities(octokit: ProbotOctokit, repo: RepoRef, pr: MergedPr, deps: IdentityDeps): Promise<IdentityOutcome> {
  return applyMergedIdentities(new OctokitAccessRepo(octokit, repo), pr, deps);
}

const readAll = (read: (p: string) => Promise<StoredFile | undefined>) => Promise.all(IDENTITY_FILES.map(async (path) => ({ path, file: await read(path) })));

/** The merge → identities use case against any AccessRepo. */
export async function applyMergedIdentities(access: AccessRepo, pr: MergedPr, deps: IdentityDeps): Promise<IdentityOutcome> {
  if (!pr.merged || !pr.mergeCommitSha) return { kind: "ignored", reason: "not merged" };
  const mergeSha = pr.mergeCommitSha;
  const listed = await access.prFiles(pr.number);
  if (!listed.some((f) => f.path.startsWith("identities/") || f.previousPath?.startsWith("identities/")))
    return { kind: "ignored", reason: "touches no identity file" };
  const at = isoSeconds(deps.now());
  const refuse = async (problems: Problem[]): Promise<IdentityOutcome> => {
    const recorded = await record(access, pr, { status: "refused", at, problems });
    await say(access, pr.number, refusedText(problems));
    return { kind: "refused", problems, ...(recorded ? { recorded } : {}) };
  };

  // A redelivered merge is not applied again: the record says what the first delivery did.
  if (await access.read(`${IDENTITY_RECORDS_DIR}/${pr.number}.yaml`)) return { kind: "ignored", reason: "already recorded" };
  const files: ChangedFile[] = listed.map((f) => ({ path: f.path, status: f.status, previousPath: f.previousPath }));
  const fileProblems = identityFileProblems(files, pr.changedFiles);
  if (fileProblems.length) return refuse(fileProblems);

  // The rules as the default branch stood just before the merge (never the payload's base.sha).
  const prCommits = await access.prCommits(pr.number);
  const located = await locatePreMergeTips(access, mergeSha, pr.headSha, prCommits);
  if (located.kind !== "tips")
    return refuse([problem("merge.tip-unknown", located.kind === "unknown" ? located.reason : "the commit before the merge cannot be determined")]);
  const stores = located.tips.map((sha) => ({ read: (p: string) => access.readAt(p, sha) }));
  if (new Set(await Promise.all(stores.map((s) => rulesFingerprint(s)))).size > 1)
    return refuse([
      problem("merge.rules-ambiguous", "the config or CODEOWNERS differ between the candidate commits before the merge; merge with a merge commit or squash"),
    ]);
  const base = stores[0]!;
  const cfg = await loadRepoConfig(base);
  if (!cfg.ok) return refuse(cfg.problems);
  const config = cfg.value;
  if (!config.identities.enabled) {
    await say(
      access,
      pr.number,
      `${IDENTITY_MARKER}\nℹ️ identities/ changed, but \`identities.enabled\` is off in .github/jit-access.yml, so nothing was created or removed in AWS. The files still give principals.`,
    );
    return { kind: "ignored", reason: "identities are not enabled" };
  }

  // The files at the merge commit, through the pull request check's own checks.
  const merged = await readAll((p) => access.readAt(p, mergeSha));
  const checked = checkIdentities(
    loadCatalogue(),
    merged.map((m) => ({ path: m.path, text: m.file?.text })),
    config,
  );
  if (!checked.ok) return refuse(checked.problems);
  const before = await readAll((p) => base.read(p));
  const beforeIds = loadIdentities(
    before.map((b) => ({ path: b.path, text: b.file?.text })),
    config,
  );
  const subjects = identitySubjects(beforeIds.ok ? beforeIds.value : undefined, checked.value);

  // Approvals: CODEOWNERS of every identity file changed, at the pre-merge tip.
  const reviews = await access.reviews(pr.number);
  const picked = pickCodeowners(await codeownersCandidates((p) => base.read(p)));
  const identityPaths = files.map((f) => f.path);
  const ownerLists = picked ? identityPaths.map((p) => ownersOf(parseCodeowners(picked.text, picked.path), p).owners) : [];
  const owners = ownerLists.length ? ownerLists.reduce((a, b) => a.filter((o) => b.includes(o))) : [];
  const codeowners = picked ? { owners, source: picked.path } : undefined;
  const reviewers = [...new Set(reviews.filter((r) => r.state === "APPROVED" && r.user?.login).map((r) => r.user!.login))];
  const teamMembers = await fetchTeamMembers(access, candidateTeams(config, codeowners), reviewers);
  const blobs = listed.map((f) => ({ path: f.path, head: f.sha, merge: merged.find((m) => m.path === f.path)?.file?.sha ?? null }));
  const approval = verifyIdentityApproval(
    {
      pr: {
        number: pr.number,
        author: pr.author,
        headSha: pr.headSha,
        merged: pr.merged,
        mergeCommitSha: pr.mergeCommitSha,
        baseSha: located.tips[0]!,
        ...(pr.changedFiles !== undefined ? { changedFiles: pr.changedFiles } : {}),
      },
      files,
      requestFile: { path: identityPaths[0] ?? IDENTITY_FILES[0], headBlobSha: listed[0]?.sha, mergeBlobSha: blobs[0]?.merge },
      request: { requester: pr.author?.login ?? "", risk: "high" },
      commits: prCommits.map((c) => ({
        sha: c.sha,
        author: c.author ? { login: c.author.login, isBot: c.author.type === "Bot" } : null,
        committer: c.committer ? { login: c.committer.login, isBot: c.committer.type === "Bot" } : null,
      })),
      reviews,
      config,
      codeowners,
      teamMembers,
    },
    subjects,
    blobs,
  );
  if (!approval.ok) return refuse(approval.problems);

  // Only the newest state of identities/ is ever applied: a delivery that arrives after a later
  // change was merged would otherwise put back what that change removed (a person offboarded).
  const onMain = await readAll((p) => access.read(p));
  if (onMain.some((m, i) => (m.file?.sha ?? null) !== (merged[i]?.file?.sha ?? null))) {
    const recorded = await record(access, pr, { status: "superseded", at, problems: [], approvedBy: approval.approvedBy, mergeSha });
    await say(
      access,
      pr.number,
      "ℹ️ **identities/ not applied by this merge:** a later change to identities/ is already on the default branch, and it carries this one. Nothing was changed in AWS for this pull request; `jit-access identities reconcile` shows any difference.",
    );
    return { kind: "superseded", ...(recorded ? { recorded } : {}) };
  }

  // Plan against what AWS holds, then apply.
  const accountId = identitiesAccountId(config) ?? "";
  const desired = desiredIdentities(checked.value, { config, accountId, generated: checked.value.generated });
  const directory = deps.directoryFor(config);
  const actual = await directory.list(desired.map((d) => ({ kind: d.kind, name: d.name })));
  const changes = planIdentityChanges(desired, actual);
  const outcome = await applyIdentityChanges({ directory, revokeGrantsOf: (login) => deps.revokeGrantsOf(access, config, login, pr.number) }, changes);
  const failed = outcome.problems.some((p) => p.code === "identity.apply-failed" || p.code === "identity.not-owned");
  const onboarding: OnboardResult[] = [];
  if (!failed && deps.onboard)
    for (const c of outcome.done) if (c.op === "create" && c.identity.login) onboarding.push(await deps.onboard(config, c.identity, access.fullName));
  const unsent = onboarding.filter((o) => o.status === "failed");
  if (unsent.length)
    await addPendingOnboarding(
      access,
      Object.fromEntries(unsent.map((o) => [o.login, { pr: pr.number, since: at, attempts: 1, detail: o.detail ?? "failed" }])),
    ).catch(() => undefined); // the record below still says it failed
  const recorded = await record(access, pr, {
    status: failed ? "failed" : outcome.problems.length ? "partial" : "applied",
    at,
    problems: outcome.problems,
    approvedBy: approval.approvedBy,
    mergeSha,
    outcome,
    onboarding,
    roles: changedRoles(beforeIds.ok ? beforeIds.value.roles : [], checked.value.roles),
  });
  await say(access, pr.number, appliedText(outcome, onboarding));
  if (failed) return { kind: "failed", outcome, ...(recorded ? { recorded } : {}) };
  return { kind: "applied", outcome, onboarding, ...(recorded ? { recorded } : {}) };
}

async function say(access: AccessRepo, pr: number, body: string): Promise<void> {
  await access.upsertComment(pr, IDENTITY_MARKER, body.startsWith(IDENTITY_MARKER) ? body : `${IDENTITY_MARKER}\n${body}`);
}

function refusedText(problems: Problem[]): string {
  return [
    "⛔ **identities/ not applied.** The merge was not turned into AWS changes because:",
    "",
    ...problems.map((p) => `- ${quote(describeProblem(p), 600)}`),
    "",
    "Nothing was created, changed or removed in AWS. Open a new pull request once this is fixed.",
  ].join("\n");
}

function appliedText(o: IdentityApplyOutcome, onboarding: OnboardResult[]): string {
  const lines = o.applied.length ? o.applied.map((l) => `- ${quote(l, 300)}`) : ["- nothing to change: AWS already matches identities/"];
  const head = o.problems.length
    ? o.applied.length
      ? "⚠️ **identities/ applied in part.**"
      : "⚠️ **identities/ not applied.**"
    : "✅ **identities/ applied.**";
  return [
    head,
    "",
    ...lines,
    ...(o.revoked.length ? ["", `Active grants ended first: ${o.revoked.map((r) => `\`${r}\``).join(", ")}.`] : []),
    ...(o.rolledBack.length ? ["", `Undone: ${o.rolledBack.map((l) => quote(l, 200)).join("; ")}.`] : []),
    ...(o.problems.length ? ["", ...o.problems.map((p) => `- ${quote(describeProblem(p), 600)}`)] : []),
    ...(o.leftOver.length ? ["", `🛑 The undo did not finish: ${o.leftOver.map((l) => quote(l, 300)).join("; ")}. An admin must fix these by hand.`] : []),
    ...(onboarding.length
      ? ["", `Onboarding: ${onboarding.map((x) => `${quote(x.login)} ${x.status}${x.detail ? ` (${quote(x.detail, 200)})` : ""}`).join(", ")}.`]
      : []),
  ].join("\n");
}

/** The record of one merge: identity-records/<pr>.yaml, one commit with trailers. Best effort. */
async function record(
  access: AccessRepo,
  pr: MergedPr,
  r: {
    status: "applied" | "partial" | "failed" | "refused" | "superseded";
    at: string;
    problems: Problem[];
    approvedBy?: string[];
    mergeSha?: string;
    outcome?: IdentityApplyOutcome;
    onboarding?: OnboardResult[];
    roles?: string[];
  },
): Promise<string | undefined> {
  const path = `${IDENTITY_RECORDS_DIR}/${pr.number}.yaml`;
  const codes = codesOf(r.problems);
  const body = {
    version: 1,
    pr: pr.number,
    merge_commit: pr.mergeCommitSha,
    status: r.status,
    at: r.at,
    ...(r.approvedBy ? { approved_by: r.approvedBy } : {}),
    changes: r.outcome?.applied ?? [],
    ...(r.outcome?.revoked.length ? { revoked: r.outcome.revoked } : {}),
    ...(r.outcome?.rolledBack.length ? { rolled_back: r.outcome.rolledBack } : {}),
    ...(r.outcome?.leftOver.length ? { left_over: r.outcome.leftOver } : {}),
    ...(r.problems.length ? { problems: r.problems.map((p) => ({ code: p.code, message: describeProblem(p).slice(0, 1000) })) } : {}),
    ...(r.onboarding?.length
      ? { onboarding: Object.fromEntries(r.onboarding.map((o) => [o.login, o.detail ? { status: o.status, detail: o.detail } : { status: o.status }])) }
      : {}),
  };
  const text = `# Written by jit-access: what the merge of pull request #${pr.number} did to identities in AWS.\n${yaml.dump(body, { lineWidth: 160, noRefs: true })}`;
  try {
    const written = await updateRecord(access, path, (current) => {
      // A redelivered merge must not record twice, nor overwrite what the first delivery did.
      if (current) return { kind: "skip", reason: "already recorded" };
      return {
        kind: "write",
        text,
        message: commitMessage(`jit-access: identities of #${pr.number} ${r.status}`, `Merged in ${pr.mergeCommitSha ?? "?"}.`, {
          "Request-Id": `identities-${pr.number}`,
          "Identity-Change": r.outcome?.applied ?? [],
          "Approved-By": r.approvedBy ?? [],
          ...(codes.length ? { Rule: codes } : {}),
        }),
      };
    });
    return written.kind === "written" ? written.result.commit : undefined;
  } catch {
    return undefined;
  }
}
