// The pull request check `jit-access/validate`: on every push to (or edit of) a PR touching
// access-requests/, validate the one request file at the head commit and judge its policy by the
// rules on the base branch as it is now. On the app's own request PRs the description is
// rewritten from the same head commit, so what reviewers read is what a merge would grant; a
// request file there without a policy gets one generated and committed (that push re-runs the
// check). The app writes to no other branch.
import { approvalConfigFor, bundleOf, catalogueSummary, type BundleRef } from "../domain/access-catalogue.js";
import type { BundleAnalysis } from "../policy/bundle.js";
import type { ProbotOctokit } from "probot";
import { checkChangedFiles, type ChangedFile } from "../domain/approvals.js";
import { parseRequestFile } from "../domain/request.js";
import { startsAtTiming } from "../domain/scheduled-start.js";
import { setTopLevelFields } from "../domain/request-file.js";
import type { AccessRequest, Config, Problem } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import { planRequest } from "../policy/pipeline.js";
import { readPrRef, type PrRef } from "./payloads.js";
import { checkIdentityPull } from "./identities-check.js";
import { checkSummary, prBody, prBodyInvalid, problemList, prTitle, quote } from "./messages.js";
import { rightSize, type RightSizing } from "../policy/right-size.js";
import { sameLogin, type RepoRef } from "./octokit-helpers.js";
import { loadCodeowners, loadRepoConfig } from "./repo-config.js";
import { problem } from "../domain/problems.js";
import type { AccessRepo, PrFile } from "../lifecycle/ports.js";
import { runEffects, type Effect } from "../lifecycle/effects.js";
import { OctokitAccessRepo } from "./access-repo.js";

/** The check run the app reports on every pull request; branch protection may require it. */
export const CHECK_NAME = "jit-access/validate";

export type { PrRef };

export type CheckOutcome = { kind: "ignored" } | { kind: "checked"; ok: boolean } | { kind: "policy-added"; commit: string } | { kind: "no-request" };

/**
 * A request PR of the app's own: opened by the app (its bot login — no one else can open a PR
 * as the app), from a `jit/` branch of this repository (not a fork) into the default branch.
 * Only these get their description rewritten and a generated policy committed: the app never
 * writes to a branch someone else made, such as main in a PR from main into an older branch.
 */
export function isAppRequestPr(
  pr: Pick<PrRef, "headRef" | "baseRef" | "sameRepo" | "author">,
  repo: Pick<RepoRef, "defaultBranch">,
  appLogin: string,
): boolean {
  return pr.sameRepo && pr.headRef.startsWith("jit/") && pr.baseRef === repo.defaultBranch && pr.author?.type === "Bot" && sameLogin(pr.author.login, appLogin);
}

/** The issue number a request id starts with ("12-reports" → 12), if any. */
function issueOf(id: string | undefined): number | undefined {
  const m = /^([1-9][0-9]{0,9})-/.exec(id ?? "");
  return m ? Number(m[1]) : undefined;
}

export function checkPullRequest(octokit: ProbotOctokit, repo: RepoRef, pr: PrRef, opts: CheckOptions): Promise<CheckOutcome> {
  return checkPull(new OctokitAccessRepo(octokit, repo), pr, opts);
}

/** What the check decided: its outcome and the writes that carry it out (the policy commit's hash is known only once written). */
export interface CheckDecision {
  outcome: { kind: "ignored" } | { kind: "checked"; ok: boolean } | { kind: "policy-added" } | { kind: "no-request" };
  effects: Effect[];
}

/** Reads what a catalogue bundle (permission set, managed policy) allows, for the PR; undefined or a throw: not read. */
export type BundleReader = (config: Config, ref: BundleRef) => Promise<BundleAnalysis | undefined>;

type CheckOptions = {
  now: Date;
  appLogin: string;
  warnings?: Problem[];
  bundles?: BundleReader;
  /**
   * The files the pull request changes, when the caller knows them without asking: intake's own
   * commit of one file right on the base branch's tip (see intake.ts). Otherwise they are listed.
   */
  files?: PrFile[];
};

/** The check against any AccessRepo: decides, then carries the decision's effects out in order. */
export async function checkPull(access: AccessRepo, pr: PrRef, opts: CheckOptions): Promise<CheckOutcome> {
  const decision = await decidePull(access, pr, opts);
  const done = await runEffects(decision.effects, { access });
  if (decision.outcome.kind !== "policy-added") return decision.outcome;
  const commit = done.commits[0];
  if (!commit) throw new Error(`the generated policy for pull request #${pr.number} was not committed`);
  return { kind: "policy-added", commit };
}

/** The check's decision for a pull request: reads only, writes nothing; a dry run prints its effects. */
export async function decidePull(access: AccessRepo, pr: PrRef, opts: CheckOptions): Promise<CheckDecision> {
  const mine = isAppRequestPr(pr, access, opts.appLogin);
  const listed = opts.files ?? (await access.prFiles(pr.number));
  // The app's own request PRs are always judged: a push that drops the request file and changes
  // something else must fail the check, not go unchecked.
  if (
    !mine &&
    !touchesRequests(
      listed.map((f) => ({ filename: f.path, ...(f.previousPath ? { previous_filename: f.previousPath } : {}) })),
      pr.changedFiles,
    )
  ) {
    const files = listed.map((f): ChangedFile => ({ path: f.path, status: f.status, previousPath: f.previousPath }));
    if (files.some((f) => f.path.startsWith("identities/") || f.previousPath?.startsWith("identities/"))) {
      const check = await checkIdentityPull(access, pr, files);
      return {
        outcome: { kind: "checked", ok: check.conclusion === "success" },
        effects: [{ kind: "check", check: { name: CHECK_NAME, headSha: pr.headSha, ...check } }],
      };
    }
    return reportNoRequest(access, pr);
  }

  const describe = (body: string, title?: string): Effect[] => {
    if (!mine) return [];
    const update = { ...(body !== pr.body ? { body } : {}), ...(title !== undefined && title !== pr.title ? { title } : {}) };
    return Object.keys(update).length ? [{ kind: "pr-update", pr: pr.number, update }] : [];
  };
  const checkRun = (conclusion: "success" | "failure", title: string, summary: string): Effect => ({
    kind: "check",
    check: { name: CHECK_NAME, headSha: pr.headSha, conclusion, title, summary },
  });
  const report = (ok: boolean, title: string, summary: string, before: Effect[] = []): CheckDecision => ({
    outcome: { kind: "checked", ok },
    effects: [...before, checkRun(ok ? "success" : "failure", title, summary)],
  });
  const issueFromBranch = issueOf(pr.headRef.slice("jit/".length));
  const invalid = (problems: Problem[]): CheckDecision =>
    report(
      false,
      `Invalid request: ${problems.length} problem(s)`,
      problemList(problems),
      issueFromBranch ? describe(prBodyInvalid({ issueNumber: issueFromBranch, headSha: pr.headSha, problems })) : [],
    );

  const files: ChangedFile[] = listed.map((f) => ({ path: f.path, status: f.status, previousPath: f.previousPath }));
  const fileProblem = checkChangedFiles(files, pr.changedFiles);
  if (fileProblem) return invalid([problem(fileProblem.code, fileProblem.message)]);
  const path = files[0]!.path;

  // The rules come from the base branch as it is now: a PR cannot relax the config it is judged
  // by, and rules tightened after the PR was opened apply to it.
  const rulesSha = await access.branchTip(pr.baseRef);
  const rulesStore = { read: (p: string) => access.readAt(p, rulesSha) };
  const cfg = await loadRepoConfig(rulesStore);
  if (!cfg.ok) return invalid(cfg.problems);
  const config = cfg.value;
  const file = await access.readAt(path, pr.headSha);
  if (!file) return invalid([problem("merge.file-missing", `${path} is not in the head commit`)]);
  const parsed = parseRequestFile(file.text, { file: path, config });
  if (!parsed.ok) return invalid(parsed.problems);
  if ((parsed.value.request.status ?? "proposed") !== "proposed") {
    return invalid([
      problem(
        "record.not-proposed",
        `status ${parsed.value.request.status}: a pull request may only propose a request; status, grant and closed are written by the app`,
        "status",
      ),
    ]);
  }
  const timing = startsAtTiming(parsed.value.request, opts.now, "ask");
  if (timing.length) return invalid(timing);
  if (parsed.value.example)
    return invalid([problem("merge.example", `${path} is an example; examples are never granted — put the request under access-requests/<account>/<YYYY>/`)]);
  if (mine && issueOf(parsed.value.request.id) !== issueFromBranch) {
    return invalid([
      problem(
        "github.branch-id-mismatch",
        `the request id ${parsed.value.request.id} does not belong to branch ${pr.headRef}; the request of issue #${issueFromBranch} must keep its id`,
        "id",
      ),
    ]);
  }

  // A bundle's content is read for the approvers when a reader is wired; a failed read only leaves it unread.
  const ref = bundleOf(config, parsed.value.request);
  const bundleAnalysis = ref && opts.bundles ? await opts.bundles(config, ref).catch(() => undefined) : undefined;
  const plan = planRequest(loadCatalogue(), {
    request: parsed.value.request,
    config,
    accountId: parsed.value.account.id,
    now: opts.now,
    durationSeconds: parsed.value.durationSeconds,
    ...(bundleAnalysis ? { bundleAnalysis } : {}),
  });
  if (plan.generated && plan.verdict.ok && mine) {
    // Commit the generated policy to the app's own branch so reviewers approve exactly what is granted.
    const current = await access.readAt(path, pr.headRef);
    if (current && current.sha === file.sha) {
      const text = setTopLevelFields(current.text, { generator: plan.generator, policy: plan.policy });
      return {
        outcome: { kind: "policy-added" },
        effects: [
          {
            kind: "branch-file",
            branch: pr.headRef,
            path,
            text,
            message: `jit-access: add the generated policy to ${parsed.value.request.id}`,
            expectedSha: current.sha,
          },
          checkRun("failure", "Policy generated", "The app added the generated policy to the request file; the check runs again on that commit."),
        ],
      };
    }
  }
  if (plan.generated) {
    return invalid([
      problem(
        "merge.no-policy",
        "the request file has no policy; run `npx jit-access plan --write` on it and push, so reviewers approve the exact policy",
        "policy",
      ),
    ]);
  }

  // A catalogue entry's approvers and count replace the global ones (as the merge counts them).
  const approval = approvalConfigFor(config, parsed.value.request);
  const entrySummary = catalogueSummary(config, parsed.value.request);
  const required = approval.required_approvals[plan.verdict.risk];
  const codeowners = (await loadCodeowners(rulesStore, path))?.owners ?? [];
  const described: Effect[] = [];
  if (mine && issueFromBranch) {
    const catalogue = loadCatalogue();
    const earlier = await earlierGrants(access, path, parsed.value.request, config, opts.now);
    const section = rightSizingSection(rightSize(catalogue, earlier, parsed.value.request));
    described.push(
      ...describe(
        withSection(
          prBody({
            issueNumber: issueFromBranch,
            request: parsed.value.request,
            plan,
            file: path,
            approvers: approval.approvers,
            required,
            codeowners,
            headSha: pr.headSha,
            ...(entrySummary ? { catalogue: entrySummary } : {}),
            ...(opts.warnings ? { warnings: opts.warnings } : {}),
          }),
          section,
        ),
        prTitle(issueFromBranch, parsed.value.request),
      ),
    );
  }
  const s = checkSummary(plan, { branch: pr.baseRef, sha: rulesSha, required, approvers: approval.approvers, codeowners });
  const judged = report(plan.verdict.ok, s.title, s.summary, described);
  // Only a full judgement names its inputs: a run that stopped early is never taken as done.
  return { ...judged, effects: judged.effects.map((e) => (e.kind === "check" ? { ...e, check: { ...e.check, inputs: checkInputs(rulesSha) } } : e)) };
}

/** What a full check judged besides the head commit: the rules' commit (config, identities, CODEOWNERS, records). */
export function checkInputs(rulesSha: string): string {
  return `rules:${rulesSha}`;
}

/** How old the app's own run may be and still stand for a check now (the check reads the clock). */
export const CHECK_REUSE_MS = 5 * 60_000;

/**
 * The pull_request.opened GitHub sends for a request PR the app just opened and checked: when the
 * app's own run of the check is on that head, judged on the base branch's tip as it is now, and
 * recent, checking again would write the same run — its conclusion is taken instead. Anything
 * else (another app's run with the same name, a moved base, an early failure without inputs, an
 * old run) returns undefined and the PR is checked.
 */
export async function sameCheckDone(access: OctokitAccessRepo, pr: PrRef, opts: { now: Date; appLogin: string }): Promise<{ ok: boolean } | undefined> {
  if (!isAppRequestPr(pr, access, opts.appLogin)) return undefined;
  const run = await access.latestCheck(CHECK_NAME, pr.headSha);
  if (!run || run.appSlug === undefined || !sameLogin(`${run.appSlug}[bot]`, opts.appLogin)) return undefined;
  if (run.conclusion !== "success" && run.conclusion !== "failure") return undefined;
  const at = Date.parse(run.completedAt ?? "");
  if (!Number.isFinite(at) || Math.abs(opts.now.getTime() - at) > CHECK_REUSE_MS) return undefined;
  if (run.inputs !== checkInputs(await access.branchTip(pr.baseRef))) return undefined;
  return { ok: run.conclusion === "success" };
}

/** The folders earlierGrants lists for a request file: its account folder's this year and last year; none for a path of another shape. */
export function rightSizeFolders(file: string, now: Date): string[] {
  const parts = file.split("/");
  if (parts.length !== 4) return [];
  const folder = parts.slice(0, 2).join("/");
  const year = now.getUTCFullYear();
  return [`${folder}/${year}`, `${folder}/${year - 1}`];
}

/** At most this many earlier records are read to right-size one request. */
export const RIGHT_SIZE_MAX_READS = 20;

/**
 * The earlier records of the same requester in the same account folder, this year's and last
 * year's, that carry a summarised activity: one listing of names, then at most
 * RIGHT_SIZE_MAX_READS files read, newest request number first. Advisory only: a record that does
 * not parse is skipped, and a failed read leaves the description without the section rather than
 * failing the check.
 */
export async function earlierGrants(access: AccessRepo, file: string, request: AccessRequest, config: Config, now: Date): Promise<AccessRequest[]> {
  const folders = rightSizeFolders(file, now);
  if (!folders.length) return [];
  try {
    const names = await access.listNames(folders);
    const newest = names
      .filter((p) => p !== file)
      .map((p) => ({ p, n: issueOf(p.slice(p.lastIndexOf("/") + 1)) }))
      .filter((x): x is { p: string; n: number } => x.n !== undefined)
      .sort((a, b) => b.n - a.n || a.p.localeCompare(b.p))
      .slice(0, RIGHT_SIZE_MAX_READS);
    const out: AccessRequest[] = [];
    for (const { p } of newest) {
      const f = await access.read(p);
      if (!f) continue;
      const r = parseRequestFile(f.text, { file: p, config });
      if (r.ok && !r.value.example && r.value.request.requester === request.requester && r.value.request.activity?.status === "summarised")
        out.push(r.value.request);
    }
    return out;
  } catch {
    return [];
  }
}

/** Unused actions named in the section; the rest are counted. */
const SECTION_UNUSED_SHOWN = 15;

/** What the last grant like this one did not use, and the narrower request item; "" when nothing to say. */
export function rightSizingSection(sizings: readonly RightSizing[]): string {
  if (!sizings.length) return "";
  const lines = ["### Right-sizing from the last grant", ""];
  for (const r of sizings) {
    const shown = r.unused.slice(0, SECTION_UNUSED_SHOWN).map((a) => `\`${a}\``);
    const more = r.unused.length > shown.length ? ` and ${r.unused.length - shown.length} more` : "";
    lines.push(
      `**${quote(r.service, 40)}** on ${r.resources.map((x) => quote(x, 100)).join(", ")}: request ${quote(r.previousId, 80)} (closed ${r.closedAt.slice(0, 10)}) ` +
        `never used ${r.unused.length} of its ${r.granted} action(s): ${shown.join(", ")}${more}. The narrower request item:`,
      "",
      "```yaml",
      // The line repeats the request's own resources; nothing in it may close the code block.
      r.line.replace(/[`\r\n]/g, ""),
      "```",
      "",
    );
  }
  lines.push("A suggestion only: this pull request grants the policy above, unchanged. To take it, edit the issue or push the narrower request file.");
  return lines.join("\n");
}

/** The section goes before the policy JSON, so a cut for length cuts the JSON, not the section. */
function withSection(body: string, section: string): string {
  if (!section) return body;
  const at = body.indexOf("\n\n<details><summary>Policy JSON</summary>");
  const joined = at < 0 ? `${body}\n\n${section}` : `${body.slice(0, at)}\n\n${section}${body.slice(at)}`;
  return joined.slice(0, 65_000);
}

/**
 * Whether a pull request may touch a request file: a file added, changed, removed or renamed to
 * or from access-requests/, or a file list shorter than the PR's (GitHub lists at most 3,000
 * files), which cannot rule it out.
 */
export function touchesRequests(listed: ReadonlyArray<{ filename: string; previous_filename?: string }>, changedFiles: number | undefined): boolean {
  if (changedFiles !== undefined && listed.length < changedFiles) return true;
  return listed.some((f) => f.filename.startsWith("access-requests/") || (f.previous_filename ?? "").startsWith("access-requests/"));
}

/**
 * A pull request that changes no request file still gets the check, as neutral (which passes a
 * required check), so that requiring `jit-access/validate` on the default branch does not block
 * every other pull request. Only in an access repository: an app installed on every repository
 * of an organisation reports nothing elsewhere.
 */
async function reportNoRequest(access: AccessRepo, pr: PrRef): Promise<CheckDecision> {
  if (!(await access.hasConfig())) return { outcome: { kind: "ignored" }, effects: [] };
  const check = {
    name: CHECK_NAME,
    headSha: pr.headSha,
    conclusion: "neutral",
    title: "No access request in this pull request",
    summary:
      "This pull request changes no request file (nothing under `access-requests/`), so jit-access has nothing to check. Changes to the config, CODEOWNERS and workflows are reviewed by their code owners, not by this check.",
  } as const;
  return { outcome: { kind: "no-request" }, effects: [{ kind: "check", check }] };
}

/**
 * The open pull requests whose head is `headSha`, read fresh (a re-run checks the PR as it is
 * now). Listed rather than taken from the event's `pull_requests`, which omits PRs from forks.
 */
export async function openPullsAt(octokit: ProbotOctokit, repo: RepoRef, headSha: string): Promise<PrRef[]> {
  const access = new OctokitAccessRepo(octokit, repo);
  const out: PrRef[] = [];
  for (const listed of (await access.openPulls()).filter((p) => p.head.sha === headSha)) {
    const pr = readPrRef({ pull_request: await access.pullPayload(listed.number), repository: { full_name: access.fullName } });
    if (pr.ok && pr.value.headSha === headSha) out.push(pr.value);
  }
  return out;
}
