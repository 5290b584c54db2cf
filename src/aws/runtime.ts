// Small runtime helpers: error names, a per-key mutex, bounded retries of conflicts and polling.

import type { JournalEntry, Step } from "./rollback.js";
import { backoffCeiling, fullJitter, type Random } from "../backoff.js";

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The AWS error code of an SDK error (SDK v3 puts it in `name`), or "" for anything else. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

export function isError(error: unknown, ...names: string[]): boolean {
  return names.includes(errorName(error));
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs tasks one at a time per key, in arrival order. Identity Center accepts one permission-set
 * change per account at a time; serializing our own calls avoids most ConflictExceptions.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    try {
      return await result;
    } finally {
      // Forget the key once nobody queued behind us, so the map does not grow forever.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export interface Backoff {
  /** First delay, ms. */
  initialMs: number;
  /** Longest delay, ms. */
  maxMs: number;
  /** Attempts in all (retries + 1) or polls in all. */
  attempts: number;
}

export function backoffDelay(backoff: Backoff, attempt: number): number {
  return backoffCeiling(backoff.initialMs, backoff.maxMs, attempt);
}

/**
 * Retries `task` while it fails with one of `names` (e.g. ConflictException, which the SDK does
 * not retry), with exponential backoff and full jitter (concurrent grants that conflicted must
 * not retry in step); other errors and the last failure are rethrown.
 */
export async function retryOn<T>(names: string[], backoff: Backoff, sleep: Sleep, task: () => Promise<T>, random: Random = Math.random): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (!isError(error, ...names) || attempt + 1 >= backoff.attempts) throw error;
      await sleep(fullJitter(backoffDelay(backoff, attempt), random));
    }
  }
}

export type PollState<T> = { done: true; value: T } | { done: false };

/**
 * Calls `check` until it reports done, sleeping with backoff in between; throws on timeout.
 * Not jittered: it waits on one operation's status, contends with nobody, and its attempt budget
 * is sized for the full exponential schedule.
 */
export async function pollUntil<T>(what: string, backoff: Backoff, sleep: Sleep, check: () => Promise<PollState<T>>): Promise<T> {
  for (let attempt = 0; attempt < backoff.attempts; attempt++) {
    const state = await check();
    if (state.done) return state.value;
    await sleep(backoffDelay(backoff, attempt));
  }
  throw new Error(`${what} did not finish after ${backoff.attempts} status checks; it may still complete in AWS — rerun to continue`);
}

/** The steps of one grant and their outcomes, for planRollback. */
export class Journal {
  readonly entries: JournalEntry[] = [];

  /**
   * Runs one step. The entry starts as "none"; `fn` marks it "unknown" right before its
   * mutating call (so a failure there is undone) and then "created" or "existed".
   */
  async record<T>(step: Step, fn: (entry: JournalEntry) => Promise<T>): Promise<T> {
    const entry: JournalEntry = { step, outcome: "none" };
    this.entries.push(entry);
    return fn(entry);
  }
}
