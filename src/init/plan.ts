// What `jit-access init` writes, given its options and what the directory already holds. Pure:
// the caller reads the existing files and writes the planned ones (src/cli/init.ts).
import { parseConfig } from "../domain/config.js";
import { loadFormTemplate } from "../domain/issue-form.js";
import { fail, ok, prefixMessages, type Result } from "../domain/problems.js";
import type { Problem } from "../domain/types.js";
import { CONFIG_PATH } from "../domain/config.js";
import {
  CODEOWNERS_PATH,
  EXPIRE_PATH,
  FORM_PATH,
  KEEP_PATH,
  README_PATH,
  VALIDATE_PATH,
  codeownersText,
  configText,
  expireWorkflowText,
  issueFormText,
  readmeText,
  validateWorkflowText,
} from "./files.js";
import type { InitOptions } from "./options.js";

/**
 * write: the file is new; unchanged: it already has this content; keep: it differs and stays as
 * it is (no --force); overwrite: it differs and --force replaces it.
 */
export type FileAction = "write" | "unchanged" | "keep" | "overwrite";

export interface PlannedFile {
  path: string;
  content: string;
  action: FileAction;
}

/** The files, in the order they are written and reported. */
export function desiredFiles(o: InitOptions, bundledForm: string): Array<{ path: string; content: string }> {
  return [
    { path: CONFIG_PATH, content: configText(o) },
    { path: FORM_PATH, content: issueFormText(bundledForm, o) },
    { path: CODEOWNERS_PATH, content: codeownersText(o) },
    { path: VALIDATE_PATH, content: validateWorkflowText(o) },
    { path: EXPIRE_PATH, content: expireWorkflowText(o) },
    { path: README_PATH, content: readmeText(o) },
    { path: KEEP_PATH, content: "" },
  ];
}

/**
 * `existing` maps a path to its current text, or undefined when there is no file. The generated
 * config and form are checked with the app's own parsers first: init never writes a file the app
 * would refuse.
 */
export function planInit(o: InitOptions, bundledForm: string, existing: (path: string) => string | undefined, force: boolean): Result<PlannedFile[]> {
  const files = desiredFiles(o, bundledForm);
  const problems: Problem[] = [];
  const config = parseConfig(files[0]!.content);
  if (!config.ok) problems.push(...prefixMessages(`${CONFIG_PATH}: `, config.problems));
  const form = loadFormTemplate(files[1]!.content);
  if (!form.ok) problems.push(...prefixMessages(`${FORM_PATH}: `, form.problems));
  if (problems.length) return fail(...problems);
  return ok(
    files.map((f) => {
      const now = existing(f.path);
      const action: FileAction = now === undefined ? "write" : now === f.content ? "unchanged" : force ? "overwrite" : "keep";
      return { ...f, action };
    }),
  );
}
