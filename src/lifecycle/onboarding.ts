// Onboarding messages that could not be sent when a person was created (SES sandbox, an
// unverified address, Slack down) wait in identity-records/onboarding-pending.yaml on the default
// branch, and the sweep sends them again until they go through or the person is no longer listed.
// Written with compare-and-swap, like every record.
import * as yaml from "js-yaml";
import { IDENTITY_FILES, loadIdentities } from "../domain/identities.js";
import { desiredIdentities, type DesiredIdentity } from "../domain/identities-plan.js";
import { commitMessage } from "../domain/records.js";
import type { Config } from "../domain/types.js";
import { loadYamlMapping } from "../domain/yaml.js";
import { updateRecord, type RecordStore } from "../store/record-store.js";

export const PENDING_ONBOARDING = "identity-records/onboarding-pending.yaml";

export interface PendingEntry {
  pr: number;
  since: string;
  attempts: number;
  detail: string;
}

export type Onboard = (
  config: Config,
  person: DesiredIdentity,
  repo: string,
) => Promise<{ login: string; status: "sent" | "failed" | "skipped"; detail?: string }>;

function readPending(text: string | undefined): Record<string, PendingEntry> {
  if (text === undefined) return {};
  const loaded = loadYamlMapping(text, PENDING_ONBOARDING);
  if (!loaded.ok) return {};
  const pending = (loaded.value.pending ?? {}) as Record<string, PendingEntry>;
  return pending && typeof pending === "object" ? pending : {};
}

function writePending(pending: Record<string, PendingEntry>): string {
  return `# Written by jit-access: onboarding messages not sent yet; the sweep retries them.\n${yaml.dump({ version: 1, pending }, { lineWidth: 160 })}`;
}

/** Adds (or replaces) pending messages; best effort, like every record of a merge. */
export async function addPendingOnboarding(store: RecordStore, entries: Record<string, PendingEntry>): Promise<void> {
  if (!Object.keys(entries).length) return;
  await updateRecord(store, PENDING_ONBOARDING, (current) => ({
    kind: "write",
    text: writePending({ ...readPending(current?.text), ...entries }),
    message: commitMessage(`jit-access: onboarding pending for ${Object.keys(entries).join(", ")}`, undefined, {
      "Request-Id": "identities-onboarding",
    }),
  }));
}

export interface RetryOutcome {
  sent: string[];
  failed: string[];
  dropped: string[];
}

/**
 * Sends every pending message again, to the person as identities/ lists them now (a person
 * no longer listed is dropped), and records what is still pending.
 */
export async function retryPendingOnboarding(store: RecordStore, config: Config, repo: string, onboard: Onboard, accountId: string): Promise<RetryOutcome> {
  const out: RetryOutcome = { sent: [], failed: [], dropped: [] };
  const file = await store.read(PENDING_ONBOARDING);
  const pending = readPending(file?.text);
  const logins = Object.keys(pending);
  if (!logins.length) return out;
  const ids = loadIdentities(await Promise.all(IDENTITY_FILES.map(async (path) => ({ path, text: (await store.read(path))?.text }))), config);
  // Unreadable identities: keep everything pending, never drop a person by mistake.
  if (!ids.ok) return { ...out, failed: logins };
  const people = desiredIdentities({ people: ids.value.people, roles: [] }, { config, accountId, generated: new Map() });
  /** Logins whose entry goes (sent, or no longer listed). */
  const results: Record<string, undefined> = {};
  for (const login of logins) {
    const person = people.find((p) => p.login?.toLowerCase() === login.toLowerCase());
    if (!person) {
      out.dropped.push(login);
      results[login] = undefined;
      continue;
    }
    const r = await onboard(config, person, repo);
    if (r.status === "failed") out.failed.push(login);
    else {
      out.sent.push(login);
      results[login] = undefined;
    }
  }
  // Still failing is not news: the file changes (one commit) only when a message went out or a person left.
  if (!Object.keys(results).length) return out;
  await updateRecord(store, PENDING_ONBOARDING, (current) => {
    const now = readPending(current?.text);
    for (const [login, entry] of Object.entries(results)) {
      if (!entry) delete now[login];
    }
    return {
      kind: "write",
      text: writePending(now),
      message: commitMessage(`jit-access: onboarding retried (${out.sent.length} sent, ${out.failed.length} still pending)`, undefined, {
        "Request-Id": "identities-onboarding",
      }),
    };
  });
  return out;
}
