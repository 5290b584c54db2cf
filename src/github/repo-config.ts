// Reads an access repository's own files: the config, CODEOWNERS and the issue form. Read raw and
// parsed by our safe loader (not Probot's config loader, which follows `_extends` into other
// repositories and uses a permissive YAML parser).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CODEOWNERS_LOCATIONS, ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { CONFIG_PATH, parseConfig } from "../domain/config.js";
import { deriveIdentityPrincipals, IDENTITY_FILES } from "../domain/identities.js";
import { FORM_PATH, loadFormTemplate, type FormTemplate } from "../domain/issue-form.js";
import { fail, ok, prefixMessages, problem, type Result } from "../domain/problems.js";
import type { Config } from "../domain/types.js";
import { packageRoot } from "../package-root.js";
import { status, type GitHubRecordStore } from "./store.js";

export async function loadRepoConfig(store: Pick<GitHubRecordStore, "read">): Promise<Result<Config>> {
  let file;
  try {
    file = await store.read(CONFIG_PATH);
  } catch (e) {
    // A GitHub error (502, 409, …) is not a broken config: reported as one, the requester would be
    // told to fix the issue and an approved merge would be "Not granted", with nothing retried.
    // Thrown, the delivery fails and can be redelivered. A file that is not a readable file
    // (a directory, over the size limit) is still the config's problem.
    if (status(e) !== undefined) throw e;
    return fail(problem("config.unreadable", `${CONFIG_PATH} could not be read: ${e instanceof Error ? e.message : String(e)}`));
  }
  const result = parseConfig(file?.text);
  if (!result.ok) return fail(...prefixMessages(`${CONFIG_PATH}: `, result.problems));
  // A login listed in identities/ (at the same commit) needs no principals entry.
  const identities = await Promise.all(IDENTITY_FILES.map(async (path) => ({ path, text: (await store.read(path))?.text })));
  return ok(deriveIdentityPrincipals(result.value, identities));
}

let bundledForm: string | undefined;

/** The repository's form, or the one shipped with jit-access when the repository has none. */
export async function loadRepoForm(store: Pick<GitHubRecordStore, "read">): Promise<Result<FormTemplate>> {
  // A GitHub error must not silently swap the repository's form for the bundled one.
  const file = await store.read(FORM_PATH).catch((e: unknown) => (status(e) === undefined ? undefined : Promise.reject(e)));
  bundledForm ??= readFileSync(join(packageRoot(), FORM_PATH), "utf8");
  return loadFormTemplate(file?.text ?? bundledForm);
}

/**
 * The CODEOWNERS candidates read in GitHub's order, stopping at the first file found: the ones after
 * it are never used, so they are not read (one call where the file is in .github/). A failed read
 * throws (never "absent"): falling back to a lower-priority file would use owners GitHub does not use.
 */
export async function codeownersCandidates(
  read: (path: string) => Promise<{ text: string } | undefined>,
): Promise<Array<{ path: string; text: string | undefined }>> {
  const files: Array<{ path: string; text: string | undefined }> = [];
  for (const path of CODEOWNERS_LOCATIONS) {
    const text = (await read(path))?.text;
    files.push({ path, text });
    if (text !== undefined) break;
  }
  return files;
}

/** The owners of `path` in the CODEOWNERS file GitHub would use at the store's ref; undefined when there is none. */
export async function loadCodeowners(
  store: Pick<GitHubRecordStore, "read">,
  path: string,
): Promise<{ owners: string[]; line?: number; source: string } | undefined> {
  const picked = pickCodeowners(await codeownersCandidates((p) => store.read(p)));
  return picked ? { ...ownersOf(parseCodeowners(picked.text, picked.path), path), source: picked.path } : undefined;
}
