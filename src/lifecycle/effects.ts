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
  | { kind: "notify"; event: NotificationEvent };

export interface EffectPorts {
  access: AccessRepo;
  /** Slack and other channels; absent: nothing is sent. Never throws. */
  alerts?: Notifier;
}

export interface EffectsDone {
  /** The commits of the records written, in order. */
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
    }
  });
}
