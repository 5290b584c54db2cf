// What a lifecycle use case does to the world, as data: a use case decides and returns effects,
// one executor carries them out in order, and a dry run prints them instead. The AWS grant is not
// an effect here: its attach → record → rollback is one transaction (src/github/grant.ts).
import type { IssueState } from "../domain/lifecycle.js";
import type { NotificationEvent, Notifier } from "../notify/types.js";
import { updateRecord, type StoredFile, type Update } from "../store/record-store.js";
import type { AccessRepo } from "./ports.js";

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
  | { kind: "branch-file"; branch: string; path: string; text: string; message: string; expectedSha: string | undefined };

export type CheckRun = Parameters<AccessRepo["createCheck"]>[0];

export interface EffectPorts {
  access: AccessRepo;
  /** Slack and other channels; absent: nothing is sent. Never throws. */
  alerts?: Notifier;
}

export interface EffectsDone {
  /** The commits of the records and branch files written, in order. */
  commits: string[];
  /** Record effects that were skipped (the record had moved on) or, best effort, failed: why. */
  skipped: string[];
}

/** Carries the effects out in order; the first failure stops the rest (and is thrown), except best-effort records. */
export async function runEffects(effects: readonly Effect[], ports: EffectPorts): Promise<EffectsDone> {
  const done: EffectsDone = { commits: [], skipped: [] };
  for (const e of effects) {
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
      case "comment":
        await ports.access.upsertComment(e.issue, e.marker, e.body);
        break;
      case "state":
        await ports.access.setState(e.issue, e.state, e.onlyFrom);
        break;
      case "close-issue":
        await ports.access.closeIssue(e.issue, e.reason);
        break;
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
    }
  }
  return done;
}

/** One line per effect: what a dry run would do. */
export function describeEffects(effects: readonly Effect[]): string[] {
  return effects.map((e) => {
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
    }
  });
}
