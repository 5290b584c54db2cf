// Intake: an "AWS access request" issue becomes a request file on branch jit/<id> and a pull
// request showing the drafted policy. Edits to the issue update the same branch and PR.
import type { ProbotOctokit } from "probot";
import { ACCESS_REQUEST_LABEL, parseIssueForm } from "../domain/issue-form.js";
import { recordStatus } from "../domain/records.js";
import { checkRequest } from "../domain/request.js";
import { dumpRequest, requestPath } from "../domain/request-file.js";
import type { AccessRequest, Config, Problem } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import type { Notifier } from "../notify/types.js";
import { planRequest, type Plan } from "../policy/pipeline.js";
import { checkSummary, intakeOpenedComment, intakeProblemsComment, MARKER, prBody, prTitle } from "./messages.js";
import { addLabels, branchHead, ensureBranch, removeLabel, upsertComment, type RepoRef } from "./octokit-helpers.js";
import { loadRepoConfig, loadRepoForm } from "./repo-config.js";
import { GitHubRecordStore } from "./store.js";

export const CHECK_NAME = "jit-access/validate";
export const LABEL = { invalid: "jit:invalid", proposed: "jit:proposed", blocked: "jit:blocked", active: "jit:active", failed: "jit:failed", rejected: "jit:rejected" } as const;

export interface IssueInput {
  number: number;
  title: string;
  body: string | null | undefined;
  author: { login: string; type: string };
  createdAt: string;
  labels: string[];
}

/** Lets the app swap the drafter (built-in or Gemini) without intake knowing which. */
export type Drafter = (request: AccessRequest, config: Config) => Promise<{ request: AccessRequest; warnings: Problem[] }>;

export type IntakeOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; problems: Problem[] }
  | { kind: "opened" | "updated"; pr: number; branch: string; file: string; plan: Plan };

export async function handleAccessIssue(octokit: ProbotOctokit, repo: RepoRef, issue: IssueInput, opts: { now: Date; drafter?: Drafter; notifierFor?: (config: Config) => Notifier }): Promise<IntakeOutcome> {
  if (!issue.labels.includes(ACCESS_REQUEST_LABEL)) return { kind: "ignored", reason: "no access-request label" };
  if (issue.author.type !== "User") return { kind: "ignored", reason: `author is a ${issue.author.type}` };

  const store = new GitHubRecordStore(octokit, { owner: repo.owner, repo: repo.repo, branch: repo.defaultBranch });
  const invalid = async (problems: Problem[]): Promise<IntakeOutcome> => {
    await upsertComment(octokit, repo, issue.number, MARKER.intake, intakeProblemsComment(problems));
    await addLabels(octokit, repo, issue.number, [LABEL.invalid]);
    return { kind: "invalid", problems };
  };

  const cfg = await loadRepoConfig(store);
  if (!cfg.ok) return invalid(cfg.problems);
  const config = cfg.config;
  const form = await loadRepoForm(store);
  if (!form.ok) return invalid(form.problems);
  const parsed = parseIssueForm(issue.body, form.template, {
    number: issue.number,
    title: issue.title,
    author: issue.author.login,
    defaultDuration: config.default_duration,
  });
  if (!parsed.ok) return invalid(parsed.problems);

  // An edited issue keeps its first id (and so its branch and PR), even if the title changed.
  const existing = await findRequestPr(octokit, repo, issue.number);
  let request: AccessRequest = parsed.request;
  if (existing) request = { ...request, id: existing.id };
  const file = requestPath(request, new Date(issue.createdAt));
  const checked = checkRequest(structuredClone(request), { file, config });
  if (!checked.ok) return invalid(checked.problems);
  // Issue 10 (attack suite): an issue edited or reopened after its request was merged must not
  // propose the file again — that pull request would rewrite the record (active, expired, …)
  // on the default branch. The merge handler refuses such a PR too; here it is never opened.
  const onMain = existing ? undefined : await store.read(file);
  const recordedStatus = onMain ? recordStatus(onMain.text) : undefined;
  if (recordedStatus && recordedStatus !== "proposed") {
    await upsertComment(octokit, repo, issue.number, MARKER.intake, `${MARKER.intake}\nRequest ${request.id} is already ${recordedStatus}; its record is not changed by editing or reopening this issue. Open a new issue to ask for access again.`);
    return { kind: "ignored", reason: `${request.id} is already ${recordedStatus}` };
  }

  let warnings: Problem[] = [];
  if (opts.drafter) ({ request, warnings } = await opts.drafter(request, config));
  const plan = planRequest(loadCatalogue(), { request, config, accountId: checked.account.id, now: opts.now, durationSeconds: checked.durationSeconds });
  const stored: AccessRequest = { ...request, generator: plan.generator, policy: plan.policy };
  const text = dumpRequest(stored, `Written by jit-access from issue #${issue.number}. Merging this file's pull request grants the policy below.`);

  const branch = `jit/${request.id}`;
  await ensureBranch(octokit, repo, branch, repo.defaultBranch);
  const branchStore = new GitHubRecordStore(octokit, { owner: repo.owner, repo: repo.repo, branch });
  const current = await branchStore.read(file);
  if (current?.text !== text) {
    await branchStore.write(file, text, { message: `jit-access: propose ${request.id} (issue #${issue.number})`, expectedSha: current?.sha });
  }

  const required = config.required_approvals[plan.verdict.risk];
  const body = prBody({ issueNumber: issue.number, request, plan, file, approvers: config.approvers, required, warnings });
  const title = prTitle(issue.number, request);
  let pr: number;
  if (existing) {
    pr = existing.number;
    await octokit.rest.pulls.update({ owner: repo.owner, repo: repo.repo, pull_number: pr, title, body });
  } else {
    const { data } = await octokit.rest.pulls.create({ owner: repo.owner, repo: repo.repo, head: branch, base: repo.defaultBranch, title, body });
    pr = data.number;
    await requestReviews(octokit, repo, pr, config, request.requester);
  }

  const head = await branchHead(octokit, repo, branch);
  const summary = checkSummary(plan);
  await octokit.rest.checks.create({
    owner: repo.owner,
    repo: repo.repo,
    name: CHECK_NAME,
    head_sha: head,
    status: "completed",
    conclusion: plan.verdict.ok ? "success" : "failure",
    output: summary,
  });
  await upsertComment(octokit, repo, issue.number, MARKER.intake, intakeOpenedComment(pr, !plan.verdict.ok));
  await removeLabel(octokit, repo, issue.number, LABEL.invalid);
  await addLabels(octokit, repo, issue.number, [plan.verdict.ok ? LABEL.proposed : LABEL.blocked]);
  if (plan.verdict.ok) await removeLabel(octokit, repo, issue.number, LABEL.blocked);
  // Approvers hear about a request once, when its pull request is opened (not on every edit).
  if (!existing && opts.notifierFor) {
    await opts.notifierFor(config).notify({ kind: "opened", request, approvers: config.approvers, required, risk: plan.verdict.risk });
  }
  return { kind: existing ? "updated" : "opened", pr, branch, file, plan };
}

/** The open PR on a jit/<number>-… branch of this repository, if any. */
export async function findRequestPr(octokit: ProbotOctokit, repo: RepoRef, issueNumber: number): Promise<{ number: number; id: string } | undefined> {
  const pulls = await octokit.paginate(octokit.rest.pulls.list, { owner: repo.owner, repo: repo.repo, state: "open", per_page: 100 });
  const prefix = `jit/${issueNumber}-`;
  const pr = pulls.find((p) => p.head.ref.startsWith(prefix) && p.head.repo?.full_name === `${repo.owner}/${repo.repo}`);
  return pr ? { number: pr.number, id: pr.head.ref.slice("jit/".length) } : undefined;
}

async function requestReviews(octokit: ProbotOctokit, repo: RepoRef, pr: number, config: Config, requester: string): Promise<void> {
  const reviewers = config.approvers.filter((a) => !a.startsWith("@") && a.toLowerCase() !== requester.toLowerCase());
  const teams = config.approvers.filter((a) => a.startsWith(`@${repo.owner}/`)).map((a) => a.split("/")[1] as string);
  if (!reviewers.length && !teams.length) return;
  try {
    await octokit.rest.pulls.requestReviewers({ owner: repo.owner, repo: repo.repo, pull_number: pr, reviewers, team_reviewers: teams });
  } catch {
    // A reviewer who is not a collaborator makes GitHub refuse the whole call; CODEOWNERS review
    // requests still apply, and the PR body names the approvers. Not worth failing intake for.
  }
}
