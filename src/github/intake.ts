// Intake: an "AWS access request" issue becomes a request file on branch jit/<id> and a pull
// request showing the drafted policy. Edits to the issue update the same branch and PR. Only the
// author's own text is proposed, only on a branch the app made, only into a PR the app opened.
// This module gathers the facts through AccessRepo (and the drafter); intake-decision.ts decides,
// purely, the outcome and every write as effects; runEffects carries them out.
import type { ProbotOctokit } from "probot";
import { withCatalogueItems } from "../domain/access-catalogue.js";
import { eligibilityProblems } from "../lifecycle/eligibility.js";
import { ACCESS_REQUEST_LABEL, type FormTemplate } from "../domain/issue-form.js";
import { recordStatus } from "../domain/records.js";
import { checkRequest } from "../domain/request.js";
import { dumpRequest, requestPath } from "../domain/request-file.js";
import type { AccessRequest, Config, Problem } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import { runEffects, type EffectPorts } from "../lifecycle/effects.js";
import type { AccessRepo, PrFile } from "../lifecycle/ports.js";
import type { Notifier } from "../notify/types.js";
import { planRequest } from "../policy/pipeline.js";
import { requestFromIssue, type RequestInterpreter } from "../policy/plain-request.js";
import { ConflictError } from "../store/record-store.js";
import { OctokitAccessRepo } from "./access-repo.js";
import {
  branchRefusal,
  ignoredIssue,
  invalidIssue,
  isAppPull,
  otherAuthor,
  proposalEffects,
  refusedIssue,
  requestPrOf,
  withIntakeLabels,
  type BranchFacts,
  type IntakeDecision,
  type IntakeOutcome,
  type IssueEvent,
  type IssueInput,
} from "./intake-decision.js";
import { MARKER, quote } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";
import { checkPull, decidePull, rightSizeFolders, type BundleReader } from "./pr-check.js";
import type { PrRef } from "./payloads.js";
import { loadCodeowners, loadRepoConfig, loadRepoForm } from "./repo-config.js";
import { status } from "./store.js";

export { otherAuthor, proposedEffects, type IntakeDecision, type IntakeOutcome, type IssueEvent, type IssueInput } from "./intake-decision.js";

/** Lets the app swap the drafter (built-in or Gemini) without intake knowing which. */
export type Drafter = (request: AccessRequest, config: Config) => Promise<{ request: AccessRequest; warnings: Problem[] }>;

type IntakeOptions = {
  now: Date;
  appLogin: string;
  event: IssueEvent;
  drafter?: Drafter;
  /** The model that reads a request described in words; without it, the deterministic extractor. */
  interpreter?: RequestInterpreter;
  notifierFor?: (config: Config) => Notifier;
  /** Reads a catalogue bundle's content for the PR (see pr-check.ts BundleReader). */
  bundles?: BundleReader;
};

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

/** Writes that found the repository changed since intake read it (a concurrent delivery made the branch): decided again once. */
const ATTEMPTS = 2;

/**
 * Intake against any AccessRepo: decides from what is there, then carries the decision's effects
 * out. A re-delivered event finds the branch and the app's PR and updates them: no second PR.
 * The first decision takes a request branch without an open PR of the app's as absent, unread:
 * creating it is the look-up (GitHub refuses a branch that exists, and that conflict has the
 * decision made again with the branch read and vetted — not counted as one of the attempts).
 */
export async function proposeFromIssue(access: AccessRepo, issue: IssueInput, opts: IntakeOptions): Promise<IntakeOutcome> {
  let branch: BranchLookup = "assume-absent";
  for (let attempt = 1; ;) {
    const decision = await decideIssue(access, issue, opts, { branch });
    try {
      const done = await runEffects(decision.effects, intakePorts(access, decision, opts));
      if (decision.kind === "done") return decision.outcome;
      const { proposal: p } = decision;
      const pr = p.existing?.number ?? done.opened[0];
      if (pr === undefined) throw new Error(`the pull request for ${p.request.id} was not opened`);
      return { kind: p.existing ? "updated" : "opened", pr, branch: p.branch, file: p.file, plan: p.plan };
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
      if (branch === "assume-absent") branch = "read";
      else if (attempt++ >= ATTEMPTS) throw e;
    }
  }
}

/**
 * How intake learns whether the request's branch exists when no PR of the app's is open from it:
 * read it (GET the ref; a dry run's decision), or take it as absent and let creating it answer.
 */
export type BranchLookup = "read" | "assume-absent";

/** The executor's ports: the PR check on the branch's tip as the app's own PR, and the approvers' channels for a new PR. */
export function intakePorts(access: AccessRepo, decision: IntakeDecision, opts: IntakeOptions): EffectPorts {
  const checkOpts = { now: opts.now, appLogin: opts.appLogin, ...(opts.bundles ? { bundles: opts.bundles } : {}) };
  const asApp = (pr: number, head: string, pull: { branch: string; title: string; body: string | null }): PrRef => ({
    number: pr,
    headSha: head,
    headRef: pull.branch,
    baseRef: access.defaultBranch,
    sameRepo: true,
    author: { login: opts.appLogin, type: "Bot" },
    title: pull.title,
    body: pull.body,
  });
  const ports: EffectPorts = {
    access,
    checkPull: async (pull) => {
      const head = await access.branchTip(pull.branch);
      const outcome = await checkPull(access, asApp(pull.pr, head, pull), { ...checkOpts, warnings: pull.warnings });
      return outcome.kind === "checked" && outcome.ok;
    },
    openCheckedPull: async (pull) => {
      const head = await access.branchTip(pull.branch);
      const files = ownChange(access, head, await access.branchTip(access.defaultBranch));
      const open = async (title: string, body: string): Promise<number> => {
        const pr = await access.createPull({ head: pull.branch, base: pull.base, title, body });
        if (pull.reviewers.length || pull.teams.length) await access.requestReviewers(pr, pull.reviewers, pull.teams);
        return pr;
      };
      if (!files) {
        // A head intake did not make on the base's tip alone: its files are the PR's to list, so the PR opens first.
        const pr = await open(pull.title, pull.body);
        const outcome = await checkPull(access, asApp(pr, head, pull), { ...checkOpts, warnings: pull.warnings });
        return { pr, ok: outcome.kind === "checked" && outcome.ok };
      }
      // Checked before it exists: the description the check writes is the one the PR opens with,
      // and its run is on the head before GitHub announces the PR.
      const checked = await decidePull(access, asApp(0, head, pull), { ...checkOpts, warnings: pull.warnings, files });
      const described = checked.effects.flatMap((e) => (e.kind === "pr-update" ? [e.update] : []));
      await runEffects(
        checked.effects.filter((e) => e.kind !== "pr-update"),
        { access },
      );
      const update = Object.assign({}, ...described) as { title?: string; body?: string };
      const pr = await open(update.title ?? pull.title, update.body ?? pull.body);
      return { pr, ok: checked.outcome.kind === "checked" && checked.outcome.ok };
    },
  };
  if (decision.kind === "propose" && opts.notifierFor) ports.alerts = opts.notifierFor(decision.proposal.config);
  return ports;
}

/**
 * The files a pull request from `head` into a base at `baseTip` changes, when intake knows them
 * without asking: `head` is a commit this delivery made by writing one file, straight on `baseTip`.
 * The PR's diff is then that one file (its merge base is `baseTip`); anything else — a commit on
 * top of someone else's push, a base that moved, a head intake did not write — is undefined.
 */
export function ownChange(access: Pick<AccessRepo, "ownCommit">, head: string, baseTip: string): PrFile[] | undefined {
  const own = access.ownCommit?.(head);
  if (!own || own.parents.length !== 1 || own.parents[0] !== baseTip || own.files.length !== 1) return undefined;
  return own.files;
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
 * Intake's whole decision for an issue — whether it is a request, the outcome, and every write as
 * effects — from reads (and the drafter) only: nothing is written.
 */
export async function decideIssue(
  access: AccessRepo,
  issue: IssueInput,
  opts: IntakeOptions,
  how: { branch: BranchLookup } = { branch: "read" },
): Promise<IntakeDecision> {
  const labelled = issue.labels.some((l) => l.toLowerCase() === ACCESS_REQUEST_LABEL);
  // Cheap tests first: most issues in a repository are not requests, and cost no API call.
  if (!labelled && !hasFormHeading(issue.body)) return ignoredIssue("no access-request label and not the request form");
  if (issue.author.type !== "User") return ignoredIssue(`author is a ${issue.author.type}`);
  // The issue's text first: the rules' snapshot rides in its query, and whether this is an access
  // repository (the config on the default branch) is then no call of its own.
  const text = await access.issueText(issue.number);
  const accessRepo = await access.hasConfig();
  if (!labelled) {
    if (!accessRepo) return ignoredIssue("no access-request label and no jit-access config in this repository");
    const form = await loadRepoForm(access);
    if (!form.ok || !looksLikeRequestForm(issue.body, form.value)) return ignoredIssue("no access-request label and not the request form");
  }
  return withIntakeLabels(await decideRequest(access, issue, text, opts, how.branch), issue.number, { accessRepo, labelled });
}

/** The decision for an issue intake looks at: its author's text, parsed, checked, drafted and proposed on the app's branch. */
async function decideRequest(
  access: AccessRepo,
  issue: IssueInput,
  text: { body: string; editor: string | null } | undefined,
  opts: IntakeOptions,
  lookup: BranchLookup,
): Promise<IntakeDecision> {
  // The requester is the issue's author, so the text must be theirs too.
  if (!text) return ignoredIssue(`issue #${issue.number} was not found`);
  // The event's text is used only while it is still the issue's text, whose editor was just
  // checked; a later edit has its own event, which is judged by who made it.
  if ((issue.body ?? "") !== text.body) return ignoredIssue("the issue's text changed after this event");
  const editor = otherAuthor(issue.author.login, opts.event, text.editor);
  if (editor) {
    return refusedIssue(
      issue.number,
      `The text of this issue was last edited by ${quote(editor)}, not by ${quote(issue.author.login)} who opened it. A request is proposed only as its requester wrote it, so nothing was proposed or changed. ${quote(issue.author.login)}: check the text and save it yourself (edit the issue), or open a new issue.`,
    );
  }

  const cfg = await loadRepoConfig(access);
  if (!cfg.ok) return invalidIssue(issue.number, cfg.problems);
  const config = cfg.value;
  const form = await loadRepoForm(access);
  if (!form.ok) return invalidIssue(issue.number, form.problems);
  const parsed = await requestFromIssue(
    issue.body,
    form.value,
    { number: issue.number, title: issue.title, author: issue.author.login, defaultDuration: config.default_duration },
    { config, catalogue: loadCatalogue(), ...(opts.interpreter ? { interpreter: opts.interpreter } : {}) },
  );
  if (!parsed.ok) return invalidIssue(issue.number, parsed.problems);

  // An edited issue keeps its first id (and so its branch and PR), even if the title changed.
  const open = await access.openPulls();
  const existing = requestPrOf(open, access.fullName, issue.number, opts.appLogin);
  const filled = withCatalogueItems(config, parsed.value.request);
  if (!filled.ok) return invalidIssue(issue.number, filled.problems);
  let request: AccessRequest = filled.value;
  if (existing) request = { ...request, id: existing.id };
  const file = requestPath(request, new Date(issue.createdAt));
  const checked = checkRequest(structuredClone(request), { file, config });
  if (!checked.ok) return invalidIssue(issue.number, checked.problems);
  const ineligible = await eligibilityProblems(access, config, request);
  if (ineligible.length) return invalidIssue(issue.number, ineligible);
  // An issue edited or reopened after its request was merged does not propose the file again:
  // that pull request would rewrite the record (active, expired, …) on the default branch. The
  // merge handler refuses such a PR too; here it is never opened. Read at the default branch's tip
  // as this delivery knows it (the rules' commit): the same read the new branch's file is, as the
  // branch is made there.
  // With the folders the check lists to right-size the request, in one query where the adapter can.
  const tip = await access.branchTip(access.defaultBranch);
  if (!existing) await access.prefetch?.([file], rightSizeFolders(file, opts.now));
  const onMain = existing ? undefined : await access.readAt(file, tip);
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

  // What was proposed from the description is said in the pull request, with the drafter's warnings.
  let warnings: Problem[] = parsed.value.notes;
  // A catalogue entry's items are the admin's, not a draft to narrow.
  if (opts.drafter && request.catalogue === undefined) {
    const drafted = await opts.drafter(request, config);
    request = drafted.request;
    warnings = [...warnings, ...drafted.warnings];
  }
  const plan = planRequest(loadCatalogue(), {
    request,
    config,
    accountId: checked.value.account.id,
    now: opts.now,
    durationSeconds: checked.value.durationSeconds,
  });
  // A bundle (permission set, managed policy) is granted as it is: the file carries no policy.
  const stored: AccessRequest = plan.bundle ? request : { ...request, generator: plan.generator, policy: plan.policy };
  const fileText = dumpRequest(stored, `Written by jit-access from issue #${issue.number}. Merging this file's pull request grants the policy below.`);

  // The branch is the app's alone: made here from the default branch, or made earlier by the app
  // and holding only this request's file. Anything else was pushed by someone else — a pull
  // request from it would carry their changes to the default branch under this request's name.
  const branch = `jit/${request.id}`;
  const foreignPr = open.find((p) => p.head.ref === branch && !isAppPull(p, opts.appLogin));
  if (foreignPr)
    return refusedIssue(
      issue.number,
      branchRefusal(branch, `pull request #${foreignPr.number}, which jit-access did not open, is already open from it`, access.defaultBranch),
    );
  const proposal = { request, warnings, config, plan, file, fileText, branch, existing };
  const [owner = ""] = access.fullName.split("/");
  // The file's code owners at the rules' commit (the snapshot's): GitHub asks them for a review itself.
  const rulesSha = await access.branchTip(access.defaultBranch);
  const codeowners = existing ? [] : ((await loadCodeowners({ read: (p) => access.readAt(p, rulesSha) }, file))?.owners ?? []);
  return proposalEffects(issue.number, proposal, await branchFacts(access, branch, file, existing || lookup === "read" ? "read" : "assume-absent"), {
    appLogin: opts.appLogin,
    owner,
    defaultBranch: access.defaultBranch,
    codeowners,
  });
}

/**
 * The branch as it is now: absent (then the default branch's tip it would be made at), or what it
 * has beyond the default branch; and the file on it. Taken as absent without reading when asked
 * (see proposeFromIssue): a branch that does exist then fails its creation, and nothing is written.
 */
async function branchFacts(access: AccessRepo, branch: string, file: string, lookup: BranchLookup): Promise<BranchFacts> {
  const absent = async (): Promise<BranchFacts> => {
    const base = await access.branchTip(access.defaultBranch);
    return { kind: "absent", base, current: await access.readAt(file, base) };
  };
  if (lookup === "assume-absent") return absent();
  try {
    await access.branchTip(branch);
  } catch (e) {
    if (status(e) !== 404) throw e;
    return absent();
  }
  const comparison = await access.compare(access.defaultBranch, branch);
  return { kind: "present", comparison, current: await access.readAt(file, branch) };
}
