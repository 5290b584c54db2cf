// Reads an access repository's own files from its default branch: the config and the issue form.
// Read raw and parsed by our safe loader (not Probot's config loader, which follows `_extends`
// into other repositories and uses a permissive YAML parser).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_PATH, parseConfig, type ConfigResult } from "../domain/config.js";
import { loadFormTemplate, type FormTemplate } from "../domain/issue-form.js";
import type { Problem } from "../domain/types.js";
import { packageRoot } from "../package-root.js";
import { status, type GitHubRecordStore } from "./store.js";

export const FORM_PATH = ".github/ISSUE_TEMPLATE/access-request.yml";

export async function loadRepoConfig(store: GitHubRecordStore): Promise<ConfigResult> {
  let file;
  try {
    file = await store.read(CONFIG_PATH);
  } catch (e) {
    // Issue 10 (fault injection): a GitHub error (502, 409, …) is not a broken config. Reported
    // as one, the delivery answered 200 and the requester was told to fix the issue (jit:invalid),
    // an approved merge was "Not granted" (jit:blocked), /revoke refused — none of it retried.
    // Thrown, the delivery fails and can be redelivered. A file that is not a readable file
    // (a directory, over the size limit) is still the config's problem.
    if (status(e) !== undefined) throw e;
    return { ok: false, problems: [{ path: "", message: `${CONFIG_PATH} could not be read: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  const result = parseConfig(file?.text);
  if (!result.ok) return { ok: false, problems: result.problems.map((p) => ({ path: p.path, message: `${CONFIG_PATH}: ${p.message}` })) };
  return result;
}

let bundledForm: string | undefined;

/** The repository's form, or the one shipped with jit-access when the repository has none. */
export async function loadRepoForm(store: GitHubRecordStore): Promise<{ ok: true; template: FormTemplate } | { ok: false; problems: Problem[] }> {
  // A GitHub error must not silently swap the repository's form for the bundled one (issue 10).
  const file = await store.read(FORM_PATH).catch((e: unknown) => (status(e) === undefined ? undefined : Promise.reject(e)));
  bundledForm ??= readFileSync(join(packageRoot(), FORM_PATH), "utf8");
  return loadFormTemplate(file?.text ?? bundledForm);
}
