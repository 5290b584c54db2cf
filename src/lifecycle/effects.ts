// What a lifecycle use case does to the world, as data: a use case decides and returns effects,
// one executor carries them out in order, and a dry run prints them instead. The AWS grant is not
// an effect here: its attach → record → rollback is one transaction (src/github/grant.ts).
import type { IssueState } from "../domain/lifecycle.js";
import type { Problem } from "../domain/problems.js";
import type { NotificationEvent, Notifier } from "../notify/types.js";
import { ConflictError, updateRecord, type StoredFile, type Update } from "../store/record-store.js";
import { applyIssueSteps, type AccessRepo, type IssueStep } from "./ports.js";

export type Effect =
  /** A record change on the default branch, decided again on what is there (compare-and-swap). */
  | { kind: "record"; path: string; summary: string; update: (current: StoredFile | undefined) => Update; bestEffort?: boolean }
  | { kind: "comment"; issue: number; marker: string; body: string }
  | { kind: "state"; issue: number; state: IssueState; onlyFrom?: readonly IssueState[] }
  | { kind: "close-issue"; issue: number; reason: "completed" | "not_planned" }
  | { kind: "notify"; event: NotificationEvent }
  /** A check run on a commit (the PR check's verdict). */
  | { kind: "check"; check: CheckRun }
  /** A pull request's title and/or description, rewritten. */
  | { kind: "pr-update"; pr: number; update: { title?: string; body?: string } }
  /** One file written on a branch other than the default, compare-and-swap on `expectedSha`; its commit is returned in `commits`. */
  | { kind: "branch-file"; branch: string; path: string; text: string; message: string; expectedSha: string | undefined }
  /** A new branch at a commit; a branch of that name already there is a ConflictError (another writer got in first). */
  | { kind: "create-branch"; branch: string; sha: string }
  /** One file removed from a branch other than the default, at its blob sha. */
  | { kind: "delete-branch-file"; branch: string; path: string; sha: string; message: string }
  /** The app's pull request from `head`, with reviews asked of `reviewers` and `teams`; later effects name it as "opened". */
  | { kind: "open-pull"; head: string; base: string; title: string; body: string; reviewers: string[]; teams: string[] }
  /** A label added to an issue or PR (not a state label: those are `state`). */
  | { kind: "add-labels"; issue: number; labels: string[] }
  /** The app's labels created where the repository lacks them, before any is put on an issue. */
  | { kind: "ensure-labels" }
  /**
   * The PR check run on a pull request's head as it is after the effects before it, then the
   * effects its verdict selects: `then` is pure, and a dry run lists both of its branches.
   */
  | { kind: "check-pull"; pull: PullToCheck; then: (verdict: { pr: number; ok: boolean }) => Effect[] }
  /**
   * The app's new pull request from `pull.branch`, opened once the PR check has judged the branch's
   * tip: it opens with the description the check wrote and the check run already on its head
   * (later effects name it as "opened"); then reviews are asked and `then` as for check-pull.
   */
  | { kind: "open-checked-pull"; pull: NewPullToCheck; then: (verdict: { pr: number; ok: boolean }) => Effect[] };

export type CheckRun = Parameters<AccessRepo["createCheck"]>[0];

/** A pull request by number, or the one an `open-pull` effect earlier in the same run opened. */
export type PullNumber = number | "opened";

export interface PullToCheck {
  pr: PullNumber;
  /** Its head branch: the check runs on the branch's tip once the effects before it are done. */
  branch: string;
  title: string;
  body: string | null;
  /** The drafter's warnings, shown in the description. */
  warnings: Problem[];
}

/** A pull request to open once checked: `title` and `body` stand until the check writes its own. */
export interface NewPullToCheck extends Omit<PullToCheck, "pr" | "body"> {
  body: string;
  base: string;
  reviewers: string[];
  teams: string[];
}

export interface EffectPorts {
  access: AccessRepo;
  /** Slack and other channels; absent: nothing is sent. Never throws. */
  alerts?: Notifier;
  /** The PR check use case (it decides and carries out its own effects); required by `check-pull`. Answers whether the check passed. */
  checkPull?: (pull: Omit<PullToCheck, "pr"> & { pr: number }) => Promise<boolean>;
  /** Checks the branch's tip, then opens the pull request (and asks reviews); required by `open-checked-pull`. */
  openCheckedPull?: (pull: NewPullToCheck) => Promise<{ pr: number; ok: boolean }>;
}

export interface EffectsDone {
  /** The commits of the records and branch files written, in order. */
  commits: string[];
  /** Record effects that were skipped (the record had moved on) or, best effort, failed: why. */
  skipped: string[];
  /** The numbers of the pull requests opened, in order. */
  opened: number[];
  /** The verdicts of the checks run, in order. */
  checked: Array<{ pr: number; ok: boolean }>;
}

/** Carries the effects out in order; the first failure stops the rest (and is thrown), except best-effort records. */
export async function runEffects(effects: readonly Effect[], ports: EffectPorts): Promise<EffectsDone> {
  const done: EffectsDone = { commits: [], skipped: [], opened: [], checked: [] };
  await runInto(effects, ports, done);
  return done;
}

function pullNumber(pr: PullNumber, done: EffectsDone): number {
  if (pr !== "opened") return pr;
  const opened = done.opened.at(-1);
  if (opened === undefined) throw new Error("an effect names the opened pull request, but no open-pull effect ran before it");
  return opened;
}

/** The effects that tell an issue or PR: a run of them is carried out as one batch of issue steps. */
const isIssueStep = (e: Effect): e is Effect & IssueStep => e.kind === "comment" || e.kind === "state" || e.kind === "close-issue";

async function runInto(effects: readonly Effect[], ports: EffectPorts, done: EffectsDone): Promise<void> {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (isIssueStep(e)) {
      // Consecutive comments, state labels and closings go together (one read and one write on GitHub).
      const run: IssueStep[] = [];
      while (i < effects.length && isIssueStep(effects[i]!)) run.push(effects[i++]! as IssueStep);
      i--;
      await applyIssueSteps(ports.access, run);
      continue;
    }
    switch (e.kind) {
      case "record": {
        try {
          const r = await updateRecord(ports.access, e.path, e.update);
          if (r.kind === "written") done.commits.push(r.result.commit);
          else done.skipped.push(`${e.summary}: ${r.reason}`);
        } catch (err) {
          if (!e.bestEffort) throw err;
          done.skipped.push(`${e.summary}: ${err instanceof Error ? err.message : String(err)}`);
        }
        break;
      }
      case "notify":
        await ports.alerts?.notify(e.event);
        break;
      case "check":
        await ports.access.createCheck(e.check);
        break;
      case "pr-update":
        await ports.access.updatePull(e.pr, e.update);
        break;
      case "branch-file": {
        const r = await ports.access.writeAt(e.branch, e.path, e.text, { message: e.message, expectedSha: e.expectedSha });
        done.commits.push(r.commit);
        break;
      }
      case "create-branch":
        if (!(await ports.access.createBranch(e.branch, e.sha))) throw new ConflictError(`branch ${e.branch} was created since it was looked up`);
        break;
      case "delete-branch-file":
        await ports.access.deleteFileAt(e.branch, e.path, e.sha, e.message);
        break;
      case "open-pull": {
        const pr = await ports.access.createPull({ head: e.head, base: e.base, title: e.title, body: e.body });
        done.opened.push(pr);
        if (e.reviewers.length || e.teams.length) await ports.access.requestReviewers(pr, e.reviewers, e.teams);
        break;
      }
      case "add-labels":
        await ports.access.addLabels(e.issue, e.labels);
        break;
      case "ensure-labels":
        await ports.access.ensureLabels();
        break;
      case "check-pull": {
        if (!ports.checkPull) throw new Error(`a check of ${e.pull.branch} was decided, but no PR check was given to carry it out`);
        const pr = pullNumber(e.pull.pr, done);
        const ok = await ports.checkPull({ ...e.pull, pr });
        done.checked.push({ pr, ok });
        await runInto(e.then({ pr, ok }), ports, done);
        break;
      }
      case "open-checked-pull": {
        if (!ports.openCheckedPull) throw new Error(`a pull request from ${e.pull.branch} was decided, but no PR check was given to open it with`);
        const verdict = await ports.openCheckedPull(e.pull);
        done.opened.push(verdict.pr);
        done.checked.push(verdict);
        await runInto(e.then(verdict), ports, done);
        break;
      }
    }
  }
}

/**
 * One line per effect: what a dry run would do. A check's follow-ups are listed under it for each
 * verdict, indented; a pull request not opened yet is "the opened PR".
 */
export function describeEffects(effects: readonly Effect[]): string[] {
  return effects.flatMap((e): string[] => {
    if (e.kind === "check-pull") {
      const pr = e.pull.pr === "opened" ? 0 : e.pull.pr;
      const branch = (ok: boolean) => describeEffects(e.then({ pr, ok })).map((line) => `  if ${ok ? "it passes" : "it fails"}: ${line}`);
      return [`run the PR check on ${pullName(e.pull.pr)} at the tip of ${e.pull.branch}`, ...branch(true), ...branch(false)];
    }
    if (e.kind === "open-checked-pull") {
      const branch = (ok: boolean) => describeEffects(e.then({ pr: 0, ok })).map((line) => `  if ${ok ? "it passes" : "it fails"}: ${line}`);
      const asked = [...e.pull.reviewers, ...e.pull.teams.map((t) => `team ${t}`)];
      return [
        `run the PR check at the tip of ${e.pull.branch}, then open a PR from it into ${e.pull.base}: ${e.pull.title}${asked.length ? `; ask ${asked.join(", ")} to review` : ""}`,
        ...branch(true),
        ...branch(false),
      ];
    }
    return [describeOne(e)];
  });
}

const pullName = (pr: PullNumber): string => (pr === "opened" ? "the opened PR" : `PR #${pr}`);

function describeOne(e: Exclude<Effect, { kind: "check-pull" | "open-checked-pull" }>): string {
  switch (e.kind) {
    case "record":
      return `record ${e.path}: ${e.summary}`;
    case "comment":
      return `comment on #${e.issue} (${e.marker})`;
    case "state":
      return `state of #${e.issue} → ${e.state}`;
    case "close-issue":
      return `close #${e.issue} as ${e.reason.replace("_", " ")}`;
    case "notify":
      return `notify: ${e.event.kind} ${e.event.request.id}`;
    case "check":
      return `check ${e.check.name} on ${e.check.headSha.slice(0, 7)}: ${e.check.conclusion} (${e.check.title})`;
    case "pr-update":
      return `update PR #${e.pr} ${Object.keys(e.update).sort().join(" and ")}`;
    case "branch-file":
      return `write ${e.path} on ${e.branch}: ${e.message}`;
    case "create-branch":
      return `create branch ${e.branch} at ${e.sha.slice(0, 7)}`;
    case "delete-branch-file":
      return `delete ${e.path} on ${e.branch}: ${e.message}`;
    case "open-pull": {
      const asked = [...e.reviewers, ...e.teams.map((t) => `team ${t}`)];
      return `open a PR from ${e.head} into ${e.base}: ${e.title}${asked.length ? `; ask ${asked.join(", ")} to review` : ""}`;
    }
    case "add-labels":
      return `label #${e.issue} ${e.labels.join(", ")}`;
    case "ensure-labels":
      return "create the app's missing labels";
  }
}
