// `jit-access doctor`: what it reads from GitHub, with the operator's token. Read-only (GET only);
// each read that fails becomes a Read { ok: false } naming the error, never an exception.
import type { Octokit } from "@octokit/rest";
import { CODEOWNERS_LOCATIONS, pickCodeowners } from "../domain/codeowners.js";
import * as yaml from "js-yaml";
import { catalogueTeams } from "../domain/access-catalogue.js";
import { CONFIG_PATH, parseConfig } from "../domain/config.js";
import { FORM_PATH } from "../domain/issue-form.js";
import type { GitHubFacts, Read } from "./checks.js";

function status(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

function why(e: unknown): string {
  const s = status(e);
  const m = e instanceof Error ? e.message : String(e);
  return s === undefined ? m : `HTTP ${s}: ${m}`;
}

async function read<T>(f: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    return { ok: false, error: why(e) };
  }
}

/** A file's text on a ref, or undefined when GitHub answers 404. */
async function fileText(octokit: Octokit, owner: string, repo: string, path: string, ref: string): Promise<string | undefined> {
  try {
    const r = await octokit.rest.repos.getContent({ owner, repo, path, ref });
    const d = r.data as { type?: string; content?: string; encoding?: string };
    if (d.type !== "file" || typeof d.content !== "string") throw new Error(`${path} is not a file`);
    return Buffer.from(d.content, d.encoding === "base64" ? "base64" : "utf8").toString("utf8");
  } catch (e) {
    if (status(e) === 404) return undefined;
    throw e;
  }
}

export async function gatherGitHubFacts(octokit: Octokit, fullName: string, appSlug: string): Promise<GitHubFacts> {
  const [owner = "", repo = ""] = fullName.split("/");
  const defaultBranch = await read(async () => (await octokit.rest.repos.get({ owner, repo })).data.default_branch);
  const branchError = defaultBranch.ok ? undefined : `the repository ${fullName} (${defaultBranch.error})`;
  const onBranch = async <T>(f: (branch: string) => Promise<T>): Promise<Read<T>> =>
    defaultBranch.ok ? read(() => f(defaultBranch.value)) : { ok: false, error: branchError ?? "" };

  const config = await onBranch((b) => fileText(octokit, owner, repo, CONFIG_PATH, b));
  const codeowners = await onBranch(async (b) => {
    // In GitHub's order; stop at the first that exists, since only that one is used.
    const files: Array<{ path: string; text: string | undefined }> = [];
    for (const path of CODEOWNERS_LOCATIONS) {
      const text = await fileText(octokit, owner, repo, path, b);
      files.push({ path, text });
      if (text !== undefined) break;
    }
    return pickCodeowners(files);
  });
  const labels = await read(async () => {
    const list = (await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { owner, repo, per_page: 100 })) as Array<{ name: string }>;
    return list.map((l) => l.name);
  });
  const installation = await read(async () => {
    const list = (await octokit.paginate("GET /orgs/{org}/installations", { org: owner, per_page: 100 })) as Array<{
      app_slug?: string;
      permissions?: Record<string, string>;
      suspended_at?: string | null;
      repository_selection?: string;
    }>;
    const found = list.find((i) => i.app_slug?.toLowerCase() === appSlug.toLowerCase());
    if (!found) return undefined;
    return {
      permissions: found.permissions ?? {},
      suspended: Boolean(found.suspended_at),
      repositories: found.repository_selection === "selected" ? ("selected" as const) : ("all" as const),
    };
  });
  const codeOwnerReview = await onBranch(async (branch) => {
    let classic = false;
    try {
      const p = await octokit.request("GET /repos/{owner}/{repo}/branches/{branch}/protection", { owner, repo, branch });
      classic =
        (p.data as { required_pull_request_reviews?: { require_code_owner_reviews?: boolean } }).required_pull_request_reviews?.require_code_owner_reviews ===
        true;
    } catch (e) {
      // 404 "Branch not protected" is an answer; any other error is not — a token without admin
      // rights gets 403, or on a private repository 404 "Not Found".
      if (!(status(e) === 404 && /Branch not protected/i.test(e instanceof Error ? e.message : ""))) throw e;
    }
    if (classic) return { required: true, by: "branch protection" };
    const rules = (await octokit.paginate("GET /repos/{owner}/{repo}/rules/branches/{branch}", { owner, repo, branch, per_page: 100 })) as Array<{
      type?: string;
      parameters?: { require_code_owner_review?: boolean };
    }>;
    const byRule = rules.some((r) => r.type === "pull_request" && r.parameters?.require_code_owner_review === true);
    return byRule ? { required: true, by: "a ruleset" } : { required: false };
  });
  const form = await onBranch(async (b) => {
    const text = await fileText(octokit, owner, repo, FORM_PATH, b);
    return text === undefined ? undefined : yaml.load(text, { schema: yaml.CORE_SCHEMA });
  });
  const parsedConfig = config.ok && config.value !== undefined ? parseConfig(config.value) : undefined;
  const catalogueTeamList = parsedConfig?.ok ? catalogueTeams(parsedConfig.value) : [];
  const teams = catalogueTeamList.length
    ? await read(async () => {
        const found: Record<string, boolean> = {};
        for (const t of catalogueTeamList) {
          const [org = "", slug = ""] = t.slice(1).split("/");
          try {
            await octokit.request("GET /orgs/{org}/teams/{team_slug}", { org, team_slug: slug });
            found[t] = true;
          } catch (e) {
            if (status(e) !== 404) throw e;
            found[t] = false;
          }
        }
        return found;
      })
    : undefined;
  return { repo: fullName, defaultBranch, config, codeowners, labels, installation, codeOwnerReview, form, ...(teams ? { teams } : {}) };
}
