// The pull request check `jit-access/validate`: on every push to a PR touching access-requests/,
// validate the one request file and judge its policy. A same-repository PR whose file has no
// policy gets one generated and committed to its branch (that push re-runs the check).
import type { ProbotOctokit } from "probot";
import { checkChangedFiles, type ChangedFile } from "../domain/approvals.js";
import { parseRequestFile } from "../domain/request.js";
import { setTopLevelFields } from "../domain/request-file.js";
import type { Problem } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import { planRequest } from "../policy/pipeline.js";
import { CHECK_NAME } from "./intake.js";
import { checkSummary, problemList } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";
import { loadRepoConfig } from "./repo-config.js";
import { GitHubRecordStore } from "./store.js";

export interface PrRef {
  number: number;
  headSha: string;
  headRef: string;
  baseSha: string;
  sameRepo: boolean;
  changedFiles?: number;
}

export type CheckOutcome = { kind: "ignored" } | { kind: "checked"; ok: boolean } | { kind: "policy-added"; commit: string };

export async function checkPullRequest(octokit: ProbotOctokit, repo: RepoRef, pr: PrRef, opts: { now: Date }): Promise<CheckOutcome> {
  const { owner, repo: name } = repo;
  const listed = await octokit.paginate(octokit.rest.pulls.listFiles, { owner, repo: name, pull_number: pr.number, per_page: 100 });
  if (!listed.some((f) => f.filename.startsWith("access-requests/"))) return { kind: "ignored" };
  const report = async (ok: boolean, title: string, summary: string): Promise<CheckOutcome> => {
    await octokit.rest.checks.create({ owner, repo: name, name: CHECK_NAME, head_sha: pr.headSha, status: "completed", conclusion: ok ? "success" : "failure", output: { title, summary: summary.slice(0, 65_000) } });
    return { kind: "checked", ok };
  };
  const invalid = (problems: Problem[]) => report(false, `Invalid request: ${problems.length} problem(s)`, problemList(problems));

  const files: ChangedFile[] = listed.map((f) => ({ path: f.filename, status: f.status as ChangedFile["status"], previousPath: f.previous_filename ?? null }));
  const fileProblem = checkChangedFiles(files, pr.changedFiles);
  if (fileProblem) return invalid([{ path: "", message: fileProblem.message }]);
  const path = files[0]!.path;

  // The rules come from the base branch: a PR cannot relax the config it is judged by.
  const cfg = await loadRepoConfig(new GitHubRecordStore(octokit, { owner, repo: name, branch: pr.baseSha }));
  if (!cfg.ok) return invalid(cfg.problems);
  const headStore = new GitHubRecordStore(octokit, { owner, repo: name, branch: pr.headSha });
  const file = await headStore.read(path);
  if (!file) return invalid([{ path: "", message: `${path} is not in the head commit` }]);
  const parsed = parseRequestFile(file.text, { file: path, config: cfg.config });
  if (!parsed.ok) return invalid(parsed.problems);
  if ((parsed.request.status ?? "proposed") !== "proposed") {
    return invalid([{ path: "status", message: `status ${parsed.request.status}: a pull request may only propose a request; status, grant and closed are written by the app` }]);
  }
  if (parsed.example) return invalid([{ path: "", message: `${path} is an example; examples are never granted — put the request under access-requests/<account>/<YYYY>/` }]);

  const plan = planRequest(loadCatalogue(), { request: parsed.request, config: cfg.config, accountId: parsed.account.id, now: opts.now, durationSeconds: parsed.durationSeconds });
  if (plan.generated && plan.verdict.ok && pr.sameRepo) {
    // Commit the generated policy to the PR branch so reviewers approve exactly what is granted.
    const branchStore = new GitHubRecordStore(octokit, { owner, repo: name, branch: pr.headRef });
    const current = await branchStore.read(path);
    if (current && current.sha === file.sha) {
      const text = setTopLevelFields(current.text, { generator: plan.generator, policy: plan.policy });
      const written = await branchStore.write(path, text, { message: `jit-access: add the generated policy to ${parsed.request.id}`, expectedSha: current.sha });
      await report(false, "Policy generated", "The app added the generated policy to the request file; the check runs again on that commit.");
      return { kind: "policy-added", commit: written.commit };
    }
  }
  if (plan.generated) {
    return invalid([{ path: "policy", message: "the request file has no policy; run `npx jit-access plan --write` on it and push, so reviewers approve the exact policy" }]);
  }
  const s = checkSummary(plan);
  return report(plan.verdict.ok, s.title, s.summary);
}
