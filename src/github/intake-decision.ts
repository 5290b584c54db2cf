// Intake's decision, pure: from the facts intake gathered (the issue, the parsed request, its
// drafted policy, the branch and pull request already there), the outcome and every write that
// carries it out — the branch, its one request file, the pull request, the check, and what the issue
// is told — as effects for runEffects. Nothing here reads or writes; src/github/intake.ts gathers.
import { approvalConfigFor } from "../domain/access-catalogue.js";
import { ACCESS_REQUEST_LABEL } from "../domain/issue-form.js";
import { PRE_RECORD_STATES } from "../domain/lifecycle.js";
import type { AccessRequest, Config, Problem } from "../domain/types.js";
import type { Effect } from "../lifecycle/effects.js";
import type { Comparison, OpenPull } from "../lifecycle/ports.js";
import type { Plan } from "../policy/pipeline.js";
import { sameLogin } from "./octokit-helpers.js";
import { intakeOpenedComment, intakeProblemsComment, intakeRefusedComment, MARKER, prTitle, quote } from "./messages.js";

export interface IssueInput {
  number: number;
  title: string;
  body: string | null | undefined;
  author: { login: string; type: string };
  createdAt: string;
  labels: string[];
}

export type IntakeOutcome =
  | { kind: "ignored"; reason: string }
  | { kind: "invalid"; problems: Problem[] }
  | { kind: "refused"; reason: string }
  | { kind: "opened" | "updated"; pr: number; branch: string; file: string; plan: Plan };

/**
 * What intake decided for an issue: either done — an outcome and the effects that tell the
 * requester — or a proposal, whose effects write the branch, the file and the PR, run the check and
 * tell the issue (the PR's number, when new, is known only once opened).
 */
export type IntakeDecision = { kind: "done"; outcome: IntakeOutcome; effects: Effect[] } | { kind: "propose"; proposal: Proposal; effects: Effect[] };

/** An app's request PR of the issue that is open now. */
export interface ExistingPull {
  number: number;
  id: string;
  title: string;
  body: string | null;
}

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
  existing: ExistingPull | undefined;
}

/** The proposal's branch as it is now. */
export type BranchFacts =
  /** No such branch: it is made at `base`, the default branch's tip, where the file reads as `current`. */
  | { kind: "absent"; base: string; current: CurrentFile }
  /** The branch exists; `comparison` is what it has beyond the default branch; `current` the file on it. */
  | { kind: "present"; comparison: Comparison; current: CurrentFile };

type CurrentFile = { text: string; sha: string } | undefined;

/** An outcome that comments on the issue and marks it invalid. */
export function toldInvalid(issue: number, outcome: IntakeOutcome, body: string): Extract<IntakeDecision, { kind: "done" }> {
  return {
    kind: "done",
    outcome,
    effects: [
      { kind: "comment", issue, marker: MARKER.intake, body },
      { kind: "state", issue, state: "invalid", onlyFrom: PRE_RECORD_STATES },
    ],
  };
}

export const invalidIssue = (issue: number, problems: Problem[]): IntakeDecision =>
  toldInvalid(issue, { kind: "invalid", problems }, intakeProblemsComment(problems));

export const refusedIssue = (issue: number, reason: string): IntakeDecision => toldInvalid(issue, { kind: "refused", reason }, intakeRefusedComment(reason));

export const ignoredIssue = (reason: string): IntakeDecision => ({ kind: "done", outcome: { kind: "ignored", reason }, effects: [] });

/**
 * The proposal's writes, in the order each needs the one before: the branch (made from the default
 * branch's tip, or vetted as the app's own), earlier versions of the file in other account folders
 * removed, the file written when it differs, then the same check as every push on the branch's new
 * tip — on the existing PR, or before a new PR opens with the description it wrote and reviews
 * asked of the approvers GitHub does not ask itself — and what the issue is told by its verdict.
 * A branch that is not the app's is refused, and nothing is written.
 */
export function proposalEffects(
  issue: number,
  p: Proposal,
  branch: BranchFacts,
  opts: { appLogin: string; owner: string; defaultBranch: string; codeowners?: readonly string[] },
): IntakeDecision {
  const effects: Effect[] = [];
  if (branch.kind === "absent") {
    effects.push({ kind: "create-branch", branch: p.branch, sha: branch.base });
  } else {
    const vetted = vetBranch(branch.comparison, { appLogin: opts.appLogin, file: p.file, id: p.request.id, defaultBranch: opts.defaultBranch });
    if (!vetted.ok) return refusedIssue(issue, branchRefusal(p.branch, vetted.reason, opts.defaultBranch));
    // An earlier version of this request in another account's folder (the issue's account was
    // edited): the PR must hold one request file.
    for (const old of vetted.stale) {
      effects.push({ kind: "delete-branch-file", branch: p.branch, path: old.path, sha: old.sha, message: `jit-access: move ${p.request.id} to ${p.file}` });
    }
  }
  if (branch.current?.text !== p.fileText) {
    effects.push({
      kind: "branch-file",
      branch: p.branch,
      path: p.file,
      text: p.fileText,
      message: `jit-access: propose ${p.request.id} (issue #${issue})`,
      expectedSha: branch.current?.sha,
    });
  }
  // The check writes a request PR's description from the file at the head commit: a new PR is
  // opened once checked, with that description (and its check run already on the head).
  const then = ({ pr, ok }: { pr: number; ok: boolean }) => proposedEffects(issue, pr, ok, p);
  if (p.existing) {
    const pull = { pr: p.existing.number, title: p.existing.title, body: p.existing.body, branch: p.branch, warnings: p.warnings };
    effects.push({ kind: "check-pull", pull, then });
  } else {
    effects.push({
      kind: "open-checked-pull",
      pull: {
        branch: p.branch,
        base: opts.defaultBranch,
        title: prTitle(issue, p.request),
        body: `${MARKER.intake}\nRefs issue #${issue}. Checking the request…`,
        warnings: p.warnings,
        ...reviewersOf(approvalConfigFor(p.config, p.request), p.request.requester, opts.owner, opts.codeowners),
      },
      then,
    });
  }
  return { kind: "propose", proposal: p, effects };
}

/** What the issue is told once its request is proposed and checked; approvers hear of it once, when its PR is opened (not on every edit). */
export function proposedEffects(issue: number, pr: number, ok: boolean, p: Pick<Proposal, "request" | "config" | "plan" | "existing">): Effect[] {
  // A catalogue entry's approvers and count replace the global ones (as the merge counts them).
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

/**
 * Who is asked to review a new request PR: the approvers other than the requester, and the
 * approver teams of the repository's owner — except the request file's code owners (`codeowners`,
 * from the CODEOWNERS file of the default branch): GitHub requests their review itself when the PR
 * is opened, and asking again is a call that adds nothing (or is refused with 422, as for anyone
 * who cannot review).
 */
export function reviewersOf(
  config: Pick<Config, "approvers">,
  requester: string,
  owner: string,
  codeowners: readonly string[] = [],
): { reviewers: string[]; teams: string[] } {
  const owned = new Set(codeowners.map((o) => o.replace(/^@/, "").toLowerCase()));
  return {
    reviewers: config.approvers.filter((a) => !a.startsWith("@") && a.toLowerCase() !== requester.toLowerCase() && !owned.has(a.toLowerCase())),
    teams: config.approvers.filter((a) => a.startsWith(`@${owner}/`) && !owned.has(a.slice(1).toLowerCase())).map((a) => a.split("/")[1] as string),
  };
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

export const isAppPull = (p: OpenPull, appLogin: string): boolean => p.user?.type === "Bot" && sameLogin(p.user.login, appLogin);

/**
 * The open request PR of an issue: opened by the app, from a jit/<number>-… branch of this
 * repository. A PR someone else opened from such a branch is never adopted.
 */
export function requestPrOf(pulls: readonly OpenPull[], fullName: string, issueNumber: number, appLogin: string): ExistingPull | undefined {
  const prefix = `jit/${issueNumber}-`;
  const pr = pulls.find((p) => p.head.ref.startsWith(prefix) && p.head.repoFullName === fullName && isAppPull(p, appLogin));
  return pr ? { number: pr.number, id: pr.head.ref.slice("jit/".length), title: pr.title, body: pr.body } : undefined;
}

type Vetted = { ok: true; stale: Array<{ path: string; sha: string }> } | { ok: false; reason: string };

/**
 * An existing branch is the app's when every commit on it (beyond the default branch) was made by
 * the app and it changes only this request's file (in any account folder: an edited issue may
 * have moved it). Authorship is what GitHub reports, which a pusher can spoof with the app's
 * noreply email; the file rule cannot be spoofed, and the check applies it again at every head.
 * Its files other than this one are `stale`: earlier versions of this request to remove.
 */
export function vetBranch(data: Comparison, own: { appLogin: string; file: string; id: string; defaultBranch: string }): Vetted {
  if (data.commits.length < data.aheadBy)
    return { ok: false, reason: `it is ${data.aheadBy} commits ahead of ${own.defaultBranch}, more than jit-access can check` };
  const byApp = (login: string | undefined) => sameLogin(login, own.appLogin);
  const foreign = data.commits.filter((c) => !byApp(c.author) || !(c.committer === "web-flow" || byApp(c.committer)));
  if (foreign.length) {
    const named = foreign.slice(0, 5).map((c) => `${c.sha.slice(0, 7)} by ${quote(c.author ?? c.authorName ?? "an unknown author")}`);
    return { ok: false, reason: `it has ${foreign.length} commit(s) that jit-access did not make (${named.join(", ")}${foreign.length > 5 ? ", …" : ""})` };
  }
  const mine = (p: string | undefined) => !!p && p.startsWith("access-requests/") && p.endsWith(`/${own.id}.yaml`);
  const others = data.files.filter((f) => !mine(f.filename) || (f.previousFilename !== undefined && !mine(f.previousFilename)));
  if (others.length)
    return {
      ok: false,
      reason: `it changes files other than this request's (${others
        .slice(0, 5)
        .map((f) => quote(f.filename))
        .join(", ")})`,
    };
  return { ok: true, stale: data.files.flatMap((f) => (f.filename !== own.file && f.status !== "removed" && f.sha ? [{ path: f.filename, sha: f.sha }] : [])) };
}

export function branchRefusal(branch: string, reason: string, defaultBranch: string): string {
  return `Branch \`${branch}\` already exists and ${reason}. jit-access proposes a request only on a branch it made itself from ${defaultBranch}, so nothing was proposed. An admin can delete that branch (which closes any pull request from it); then edit this issue to propose the request again.`;
}

/**
 * The labels intake puts around its effects: the app's labels created first when the repository is
 * an access repository (GitHub would otherwise create them grey and undescribed), and the request
 * label last on an issue recognised by its form alone.
 */
export function withIntakeLabels(decision: IntakeDecision, issue: number, opts: { accessRepo: boolean; labelled: boolean }): IntakeDecision {
  if (decision.kind === "done" && decision.outcome.kind === "ignored" && !decision.effects.length) return decision;
  const effects: Effect[] = [
    ...(opts.accessRepo ? [{ kind: "ensure-labels" } satisfies Effect] : []),
    ...decision.effects,
    ...(opts.labelled || (decision.kind === "done" && decision.outcome.kind === "ignored")
      ? []
      : [{ kind: "add-labels", issue, labels: [ACCESS_REQUEST_LABEL] } satisfies Effect]),
  ];
  return { ...decision, effects };
}
