// The labels jit-access puts on request issues and pull requests, created with their colours and
// descriptions in an access repository. An issue form silently drops a label the repository does
// not have, and GitHub creates a missing label grey and undescribed when one is added to an issue,
// so they are made when the app is installed and again (only the missing ones) on first use.
import type { ProbotOctokit } from "probot";
import { CONFIG_PATH } from "../domain/config.js";
import { ACCESS_REQUEST_LABEL } from "../domain/issue-form.js";
import { EXPIRING_LABEL } from "../notify/expiring.js";
import { STATE_LABEL } from "../domain/lifecycle.js";
import { BREAK_GLASS_LABEL } from "../domain/approvals/break-glass.js";
import type { RepoRef } from "./octokit-helpers.js";
import { status } from "./store.js";

export interface LabelSpec {
  name: string;
  /** Six hex digits, no "#", as the labels API takes it. */
  color: string;
  /** At most 100 characters (GitHub's limit). */
  description: string;
}

/**
 * Every label the app, the sweep and the /revoke command use. A function, not a constant: intake
 * imports this module and this module reads intake's label names, so they are read at call time.
 */
export const appLabels = (): LabelSpec[] => [
  { name: ACCESS_REQUEST_LABEL, color: "1d76db", description: "An AWS access request (jit-access issue form)" },
  { name: STATE_LABEL.proposed, color: "0e8a16", description: "jit-access: request proposed in a pull request, awaiting approval" },
  { name: STATE_LABEL.invalid, color: "e4e669", description: "jit-access: the request could not be read; see the comment to fix it" },
  { name: STATE_LABEL.blocked, color: "b60205", description: "jit-access: the check blocks the request; see the pull request" },
  { name: STATE_LABEL.scheduled, color: "bfdadc", description: "jit-access: approved for a later start; the sweep grants it when the time comes" },
  { name: STATE_LABEL.active, color: "5319e7", description: "jit-access: access granted and live" },
  { name: STATE_LABEL.failed, color: "d93f0b", description: "jit-access: the grant failed; see the comment" },
  { name: STATE_LABEL.rejected, color: "cfd3d7", description: "jit-access: the request pull request was closed without merging" },
  { name: STATE_LABEL.expired, color: "c5def5", description: "jit-access: access expired and removed" },
  { name: STATE_LABEL.revoked, color: "f9d0c4", description: "jit-access: access revoked before it expired" },
  { name: EXPIRING_LABEL, color: "fbca04", description: "jit-access: access expires soon" },
  { name: BREAK_GLASS_LABEL, color: "b60205", description: "jit-access: approved by the requester with break-glass; needs a review" },
];

/**
 * Creates whichever of {@link appLabels} the repository lacks (compared case-insensitively, as
 * GitHub compares label names). Existing labels are left as they are, so an admin's colours or
 * descriptions survive; a label created meanwhile (422 already_exists) counts as present.
 * Returns the names it created.
 */
export async function ensureLabels(octokit: ProbotOctokit, repo: Pick<RepoRef, "owner" | "repo">): Promise<string[]> {
  const existing = (await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { owner: repo.owner, repo: repo.repo, per_page: 100 })) as Array<{
    name: string;
  }>;
  const have = new Set(existing.map((l) => l.name.toLowerCase()));
  const created: string[] = [];
  for (const spec of appLabels()) {
    if (have.has(spec.name.toLowerCase())) continue;
    try {
      await octokit.rest.issues.createLabel({ owner: repo.owner, repo: repo.repo, ...spec });
      created.push(spec.name);
    } catch (e) {
      if (!alreadyExists(e)) throw e;
    }
  }
  return created;
}

function alreadyExists(e: unknown): boolean {
  if (status(e) !== 422) return false;
  const errors = (e as { response?: { data?: { errors?: Array<{ code?: string }> } } }).response?.data?.errors;
  return Array.isArray(errors) && errors.some((x) => x?.code === "already_exists");
}

/**
 * Whether a repository is an access repository: it has the jit-access config on its default
 * branch. An app installed on every repository of an organisation leaves the others alone.
 */
export async function isAccessRepo(octokit: ProbotOctokit, repo: Pick<RepoRef, "owner" | "repo">): Promise<boolean> {
  try {
    await octokit.rest.repos.getContent({ owner: repo.owner, repo: repo.repo, path: CONFIG_PATH });
    return true;
  } catch (e) {
    if (status(e) === 404) return false;
    throw e;
  }
}

/** Repositories named in an installation or installation_repositories payload ("owner/name"). */
export function installedRepos(payload: unknown): Array<{ owner: string; repo: string }> {
  const p = payload as { repositories?: unknown; repositories_added?: unknown };
  const list = Array.isArray(p.repositories_added) ? p.repositories_added : Array.isArray(p.repositories) ? p.repositories : [];
  const out: Array<{ owner: string; repo: string }> = [];
  for (const r of list as unknown[]) {
    const full = (r as { full_name?: unknown } | null)?.full_name;
    if (typeof full !== "string") continue;
    const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(full);
    if (m) out.push({ owner: m[1] as string, repo: m[2] as string });
  }
  return out;
}

/** Creates the labels in every access repository an installation event names. */
export async function labelInstalledRepos(octokit: ProbotOctokit, payload: unknown): Promise<Array<{ repo: string; created: string[] }>> {
  const out: Array<{ repo: string; created: string[] }> = [];
  for (const r of installedRepos(payload)) {
    if (!(await isAccessRepo(octokit, r))) continue;
    out.push({ repo: `${r.owner}/${r.repo}`, created: await ensureLabels(octokit, r) });
  }
  return out;
}
