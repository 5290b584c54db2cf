// Intake: an "AWS access request" issue becomes a request file on branch jit/<id> and a pull
// request showing the drafted policy. Edits to the issue update the same branch and PR. Only the
// author's own text is proposed, only on a branch the app made, only into a PR the app opened.
import { approvalConfigFor, withCatalogueItems } from "../domain/access-catalogue.js";
import { eligibilityProblems } from "../lifecycle/eligibility.js";
import type { ProbotOctokit } from "probot";
import { ACCESS_REQUEST_LABEL, parseIssueForm, type FormTemplate } from "../domain/issue-form.js";
import { PRE_RECORD_STATES } from "../domain/lifecycle.js";
import { recordStatus } from "../domain/records.js";
import { checkRequest } from "../domain/request.js";
import { dumpRequest, requestPath } from "../domain/request-file.js";
import type { AccessRequest, Config, Problem } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import type { Notifier } from "../notify/types.js";
import { planRequest, type Plan } from "../policy/pipeline.js";
import { intakeOpenedComment, intakeProblemsComment, intakeRefusedComment, MARKER, prTitle, quote } from "./messages.js";
import type { AccessRepo, OpenPull } from "../lifecycle/ports.js";
import { runEffects, type Effect } from "../lifecycle/effects.js";
import { OctokitAccessRepo } from "./access-repo.js";
import type { RepoRef } from "./octokit-helpers.js";
import { checkPull, sameLogin } from "./pr-check.js";
import { loadRepoConfig, loadRepoForm } from "./repo-config.js";
import { status } from "./store.js";

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
  | { kind: "refused"; reason: string }
  | { kind: "opened" | "updated"; pr: number; branch: string; file: string; plan: Plan };

type IntakeOptions = { now: Date; appLogin: string; event: IssueEvent; drafter?: Drafter; notifierFor?: (config: Config) => Notifier };

/**
 * An issue is a request when it has the access-request label or, in an access repository, when
 * its body is shaped like the repository's request form: an issue form drops a label the
 * repository does not have yet, and the first request must not be lost to that. Recognition only
 * decides whether intake looks at the issue; a recognised issue goes through the same author and
 * editor checks and the same strict parser as a labelled one, and is then labelled.
 */
export function handleAccessIssue(octokit: ProbotOctokit, repo: RepoRef, issue: IssueInput, opts: IntakeOptions): Promise<IntakeOutcome> {
  return proposeFromIssue(new OctokitAccessRepo(octokit, repo), issue, opts);
}

/** Intake against any AccessRepo. */
export async function proposeFromIssue(access: AccessRepo, issue: IssueInput, opts: IntakeOptions): Promise<IntakeOutcome> {
  const labelled = issue.labels.some((l) => l.toLowerCase() === ACCESS_REQUEST_LABEL);
  // Cheap tests first: most issues in a repository are not requests, and cost no API call.
  if (!labelled && !hasFormHeading(issue.body)) return { kind: "ignored", reason: "no access-request label and not the request form" };
  if (issue.author.type !== "User") return { kind: "ignored", reason: `author is a ${issue.author.type}` };

  const store = access;
  const accessRepo = await access.hasConfig();
  if (!labelled) {
    if (!accessRepo) return { kind: "ignored", reason: "no access-request label and no jit-access config in this repository" };
    const form = await loadRepoForm(store);
    if (!form.ok || !looksLikeRequestForm(issue.body, form.value)) return { kind: "ignored", reason: "no access-request label and not the request form" };
  }
  // Before any label is added: GitHub would otherwise create it grey and undescribed.
  if (accessRepo) await access.ensureLabels();
  const outcome = await proposeIssue(access, issue, opts);
  if (!labelled && outcome.kind !== "ignored") await access.addLabels(issue.number, [ACCESS_REQUEST_LABEL]);
  return outcome;
}

/** The form's required fields: a body is form-shaped when it has each one's heading. */
const REQUIRED_FIELDS = ["account", "service", "resources", "reason"] as const;

function hasFormHeading(body: unknown): boolean {
  return typeof body === "string" && /^### \S/m.test(body);
}

/**
 * Whether a body is shaped like the request form: the heading of each required field
 * (`### Account`, `### Service`, `### Resources`, `### Reason` in the bundled form) on a line of
 * its own. Says nothing about whether the body is a valid request — the parser decides that.
 */
export function looksLikeRequestForm(body: unknown, template: FormTemplate): boolean {
  if (typeof body !== "string") return false;
  const headings = new Set(body.split(/\r\n?|\n/).flatMap((line) => (line.startsWith("### ") ? [line.slice(4).trim()] : [])));
  return REQUIRED_FIELDS.every((id) => headings.has(template.labels[id]));
}

/**
 * What intake decided for an issue, from reads only: either done — an outcome and the effects that
 * tell the requester (a comment, the state label) — or a request to propose on its branch.
 */
export type IntakeDecision = { kind: "done"; outcome: IntakeOutcome; effects: Effect[] } | ({ kind: "propose" } & Proposal);

/** A request ready to be proposed: the file on branch jit/<id>, and its pull request. */
export interface Proposal {
  request: AccessRequest;
  warnings: Problem[];
  config: Config;
  plan: Plan;
  file: string;
  fileText: string;
  branch: string;
  /** The app's open request PR of this issue, if any. */
  existing: { number: number; id: string; title: string; body: string | null } | undefined;
}

async function proposeIssue(access: AccessRepo, issue: IssueInput, opts: IntakeOptions): Promise<IntakeOutcome> {
  const decision = await decideIssue(access, issue, opts);
  if (decision.kind === "done") {
    await runEffects(decision.effects, { access });
    return decision.outcome;
  }
  return propose(access, issue, decision, opts);
}

/** The repository's owner, name and default branch, as the AccessRepo names them. */
function repoRefOf(access: AccessRepo): RepoRef {
  const [owner = "", repo = ""] = access.fullName.split("/");
  return { owner, repo, defaultBranch: access.defaultBranch };
}

/** An outcome that comments on the issue and marks it invalid. */
function toldInvalid(issue: number, outcome: IntakeOutcome, body: string): Extract<IntakeDecision, { kind: "done" }> {
  return {
    kind: "done",
    outcome,
    effects: [
      { kind: "comment", issue, marker: MARKER.intake, body },
      { kind: "state", issue, state: "invalid", onlyFrom: PRE_RECORD_STATES },
    ],
  };
}

/** Intake's decision for an issue: reads (and the drafter) only; nothing is written. */
export async function decideIssue(access: AccessRepo, issue: IssueInput, opts: IntakeOptions): Promise<IntakeDecision> {
  const store = access;
  const repo = repoRefOf(access);
  const invalid = (problems: Problem[]): IntakeDecision => toldInvalid(issue.number, { kind: "invalid", problems }, intakeProblemsComment(problems));
  const refuse = (reason: string): IntakeDecision => toldInvalid(issue.number, { kind: "refused", reason }, intakeRefusedComment(reason));
  const ignore = (reason: string): IntakeDecision => ({ kind: "done", outcome: { kind: "ignored", reason }, effects: [] });

  // The requester is the issue's author, so the text must be theirs too.
  const text = await access.issueText(issue.number);
  if (!text) return ignore(`issue #${issue.number} was not found`);
  // The event's text is used only while it is still the issue's text, whose editor was just
  // checked; a later edit has its own event, which is judged by who made it.
  if ((issue.body ?? "") !== text.body) return ignore("the issue's text changed after this event");
  const editor = otherAuthor(issue.author.login, opts.event, text.editor);
  if (editor) {
    return refuse(
      `The text of this issue was last edited by ${quote(editor)}, not by ${quote(issue.author.login)} who opened it. A request is proposed only as its requester wrote it, so nothing was proposed or changed. ${quote(issue.author.login)}: check the text and save it yourself (edit the issue), or open a new issue.`,
    );
  }

  const cfg = await loadRepoConfig(store);
  if (!cfg.ok) return invalid(cfg.problems);
  const config = cfg.value;
  const form = await loadRepoForm(store);
  if (!form.ok) return invalid(form.problems);
  const parsed = parseIssueForm(issue.body, form.value, {
    number: issue.number,
    title: issue.title,
    author: issue.author.login,
    defaultDuration: config.default_duration,
  });
  if (!parsed.ok) return invalid(parsed.problems);

  // An edited issue keeps its first id (and so its branch and PR), even if the title changed.
  const open = await access.openPulls();
  const existing = requestPrOf(open, repo, issue.number, opts.appLogin);
  const filled = withCatalogueItems(config, parsed.value);
  if (!filled.ok) return invalid(filled.problems);
  let request: AccessRequest = filled.value;
  if (existing) request = { ...request, id: existing.id };
  const file = requestPath(request, new Date(issue.createdAt));
  const checked = checkRequest(structuredClone(request), { file, config });
  if (!checked.ok) return invalid(checked.problems);
  const ineligible = await eligibilityProblems(access, config, request);
  if (ineligible.length) return invalid(ineligible);
  // An issue edited or reopened after its request was merged does not propose the file again:
  // that pull request would rewrite the record (active, expired, …) on the default branch. The
  // merge handler refuses such a PR too; here it is never opened.
  const onMain = existing ? undefined : await store.read(file);
  const recordedStatus = onMain ? recordStatus(onMain.text) : undefined;
  if (recordedStatus && recordedStatus !== "proposed") {
    return {
      kind: "done",
      outcome: { kind: "ignored", reason: `${request.id} is already ${recordedStatus}` },
      effects: [
        {
          kind: "comment",
          issue: issue.number,
          marker: MARKER.intake,
          body: `${MARKER.intake}\nRequest ${request.id} is already ${recordedStatus}; its record is not changed by editing or reopening this issue. Open a new issue to ask for access again.`,
        },
      ],
    };
  }

  let warnings: Problem[] = [];
  // A catalogue entry's items are the admin's, not a draft to narrow.
  if (opts.drafter && request.catalogue === undefined) ({ request, warnings } = await opts.drafter(request, config));
  const plan = planRequest(loadCatalogue(), {
    request,
    config,
    accountId: checked.value.account.id,
    now: opts.now,
    durationSeconds: checked.value.durationSeconds,
  });
  const stored: AccessRequest = { ...request, generator: plan.generator, policy: plan.policy };
  const fileText = dumpRequest(stored, `Written by jit-access from issue #${issue.number}. Merging this file's pull request grants the policy below.`);

  // The branch is the app's alone: made here from the default branch, or made earlier by the app
  // and holding only this request's file. Anything else was pushed by someone else — a pull
  // request from it would carry their changes to the default branch under this request's name.
  const branch = `jit/${request.id}`;
  const foreignPr = open.find((p) => p.head.ref === branch && !isAppPull(p, opts.appLogin));
  if (foreignPr)
    return refuse(branchRefusal(branch, `pull request #${foreignPr.number}, which jit-access did not open, is already open from it`, repo.defaultBranch));
  return { kind: "propose", request, warnings, config, plan, file, fileText, branch, existing };
}

/**
 * Proposes the decided request: the branch, its one file and the pull request are written here in
 * order, as one step — each depends on the one before (the branch's state, the PR's number) — then
 * the same check as every push runs, and what it found is told on the issue as effects.
 */
async function propose(access: AccessRepo, issue: IssueInput, p: Proposal, opts: IntakeOptions): Promise<IntakeOutcome> {
  const { request, config, plan, file, fileText, branch, existing } = p;
  const repo = repoRefOf(access);
  const prepared = await prepareBranch(access, branch, { appLogin: opts.appLogin, file, id: request.id });
  if (!prepared.ok) {
    const reason = branchRefusal(branch, prepared.reason, repo.defaultBranch);
    const refused = toldInvalid(issue.number, { kind: "refused", reason }, intakeRefusedComment(reason));
    await runEffects(refused.effects, { access });
    return refused.outcome;
  }
  // An earlier version of this request in another account's folder (the issue's account was
  // edited): the PR must hold one request file.
  for (const old of prepared.stale) {
    await access.deleteFileAt(branch, old.path, old.sha, `jit-access: move ${request.id} to ${file}`);
  }
  const current = await access.readAt(file, branch);
  if (current?.text !== fileText) {
    await access.writeAt(branch, file, fileText, { message: `jit-access: propose ${request.id} (issue #${issue.number})`, expectedSha: current?.sha });
  }

  const title = prTitle(issue.number, request);
  let pr: { number: number; title: string; body: string | null };
  if (existing) {
    pr = existing;
  } else {
    // The check below writes the description from the file at the head commit.
    const body = `${MARKER.intake}\nRefs issue #${issue.number}. Checking the request…`;
    pr = { number: await access.createPull({ head: branch, base: repo.defaultBranch, title, body }), title, body };
    await requestReviews(access, repo, pr.number, approvalConfigFor(config, request), request.requester);
  }

  // The same check as every push: the changed-files rule, the file at the head, the rules on the
  // default branch now. Nothing is reported as passing without it.
  const head = await access.branchTip(branch);
  const outcome = await checkPull(
    access,
    {
      number: pr.number,
      headSha: head,
      headRef: branch,
      baseRef: repo.defaultBranch,
      sameRepo: true,
      author: { login: opts.appLogin, type: "Bot" },
      title: pr.title,
      body: pr.body,
    },
    { now: opts.now, appLogin: opts.appLogin, warnings: p.warnings },
  );
  const ok = outcome.kind === "checked" && outcome.ok;
  await runEffects(proposedEffects(issue.number, pr.number, ok, p), opts.notifierFor && !existing ? { access, alerts: opts.notifierFor(config) } : { access });
  return { kind: existing ? "updated" : "opened", pr: pr.number, branch, file, plan };
}

/** What the issue is told once its request is proposed and checked; approvers hear of it once, when its PR is opened (not on every edit). */
export function proposedEffects(issue: number, pr: number, ok: boolean, p: Pick<Proposal, "request" | "config" | "plan" | "existing">): Effect[] {
  const approval = approvalConfigFor(p.config, p.request);
  const required = approval.required_approvals[p.plan.verdict.risk];
  return [
    { kind: "comment", issue, marker: MARKER.intake, body: intakeOpenedComment(pr, !ok) },
    { kind: "state", issue, state: ok ? "proposed" : "blocked", onlyFrom: PRE_RECORD_STATES },
    ...(p.existing
      ? []
      : [
          {
            kind: "notify",
            event: { kind: "opened", request: p.request, approvers: approval.approvers, required, risk: p.plan.verdict.risk },
          } as const satisfies Effect,
        ]),
  ];
}

/** What an issues event says about who changed the issue. */
export interface IssueEvent {
  action: string;
  sender?: { login: string; type: string } | undefined;
  /** issues.edited with `changes.body`. */
  bodyChanged: boolean;
}

/**
 * Someone other than the author who wrote the issue's current text, if anyone: the sender of an
 * edit of the body, or the last editor of the body that GitHub reports. Checked on every event —
 * an issue labelled or reopened by someone else, or retitled by its author, still carries the
 * body as it was last edited.
 */
export function otherAuthor(author: string, event: IssueEvent, lastEditor: string | null): string | undefined {
  if (event.action === "edited" && event.bodyChanged && event.sender && !sameLogin(event.sender.login, author)) return event.sender.login;
  if (lastEditor !== null && !sameLogin(lastEditor, author)) return lastEditor;
  return undefined;
}

const isAppPull = (p: OpenPull, appLogin: string): boolean => p.user?.type === "Bot" && sameLogin(p.user.login, appLogin);

/**
 * The open request PR of an issue: opened by the app, from a jit/<number>-… branch of this
 * repository. A PR someone else opened from such a branch is never adopted.
 */
function requestPrOf(
  pulls: OpenPull[],
  repo: RepoRef,
  issueNumber: number,
  appLogin: string,
): { number: number; id: string; title: string; body: string | null } | undefined {
  const prefix = `jit/${issueNumber}-`;
  const pr = pulls.find((p) => p.head.ref.startsWith(prefix) && p.head.repoFullName === `${repo.owner}/${repo.repo}` && isAppPull(p, appLogin));
  return pr ? { number: pr.number, id: pr.head.ref.slice("jit/".length), title: pr.title, body: pr.body } : undefined;
}

type Prepared = { ok: true; stale: Array<{ path: string; sha: string }> } | { ok: false; reason: string };

/** Creates the branch from the default branch's tip, or vets the one that exists (see {@link vetBranch}). */
async function prepareBranch(access: AccessRepo, branch: string, own: { appLogin: string; file: string; id: string }): Promise<Prepared> {
  try {
    await access.branchTip(branch);
    return vetBranch(access, branch, own);
  } catch (e) {
    if (status(e) !== 404) throw e;
  }
  const tip = await access.branchTip(access.defaultBranch);
  if (await access.createBranch(branch, tip)) return { ok: true, stale: [] };
  return vetBranch(access, branch, own); // created meanwhile: by a concurrent delivery, or by someone else
}

/**
 * An existing branch is the app's when every commit on it (beyond the default branch) was made by
 * the app and it changes only this request's file (in any account folder: an edited issue may
 * have moved it). Authorship is what GitHub reports, which a pusher can spoof with the app's
 * noreply email; the file rule cannot be spoofed, and the check applies it again at every head.
 */
async function vetBranch(access: AccessRepo, branch: string, own: { appLogin: string; file: string; id: string }): Promise<Prepared> {
  const data = await access.compare(access.defaultBranch, branch);
  if (data.commits.length < data.aheadBy)
    return { ok: false, reason: `it is ${data.aheadBy} commits ahead of ${access.defaultBranch}, more than jit-access can check` };
  const byApp = (login: string | undefined) => sameLogin(login, own.appLogin);
  const foreign = data.commits.filter((c) => !byApp(c.author) || !(c.committer === "web-flow" || byApp(c.committer)));
  if (foreign.length) {
    const named = foreign.slice(0, 5).map((c) => `${c.sha.slice(0, 7)} by ${quote(c.author ?? c.authorName ?? "an unknown author")}`);
    return { ok: false, reason: `it has ${foreign.length} commit(s) that jit-access did not make (${named.join(", ")}${foreign.length > 5 ? ", …" : ""})` };
  }
  const mine = (p: string | undefined) => !!p && p.startsWith("access-requests/") && p.endsWith(`/${own.id}.yaml`);
  const files = data.files;
  const others = files.filter((f) => !mine(f.filename) || (f.previousFilename !== undefined && !mine(f.previousFilename)));
  if (others.length)
    return {
      ok: false,
      reason: `it changes files other than this request's (${others
        .slice(0, 5)
        .map((f) => quote(f.filename))
        .join(", ")})`,
    };
  return { ok: true, stale: files.flatMap((f) => (f.filename !== own.file && f.status !== "removed" && f.sha ? [{ path: f.filename, sha: f.sha }] : [])) };
}

function branchRefusal(branch: string, reason: string, defaultBranch: string): string {
  return `Branch \`${branch}\` already exists and ${reason}. jit-access proposes a request only on a branch it made itself from ${defaultBranch}, so nothing was proposed. An admin can delete that branch (which closes any pull request from it); then edit this issue to propose the request again.`;
}

async function requestReviews(access: AccessRepo, repo: RepoRef, pr: number, config: Pick<Config, "approvers">, requester: string): Promise<void> {
  const reviewers = config.approvers.filter((a) => !a.startsWith("@") && a.toLowerCase() !== requester.toLowerCase());
  const teams = config.approvers.filter((a) => a.startsWith(`@${repo.owner}/`)).map((a) => a.split("/")[1] as string);
  if (!reviewers.length && !teams.length) return;
  await access.requestReviewers(pr, reviewers, teams);
}
