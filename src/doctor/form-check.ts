// doctor's issue-form check, pure: the form's Account field against the config — a dropdown whose
// options name accounts that are gone, or leave accounts or groups out, or that takes one option
// while the config has several accounts or groups (a request in several accounts could then only
// be typed by editing the issue).
import { accountFieldDrift, formAccountField, FORM_PATH } from "../domain/issue-form.js";
import type { Config } from "../domain/types.js";
import type { CheckResult, Read } from "./checks.js";

export function issueFormCheck(config: Config | undefined, form: Read<unknown> | undefined): CheckResult {
  const id = "issue-form" as const;
  if (!config) return { id, status: "warn", message: "not checked: no valid config to read", fix: "fix the config first" };
  if (!form) return { id, status: "warn", message: `not checked: ${FORM_PATH} was not read`, fix: "run doctor with a token that can read the repository" };
  if (!form.ok) return { id, status: "fail", message: `could not read ${FORM_PATH}: ${form.error}`, fix: "give the token read access to the repository" };
  if (form.value === undefined) return { id, status: "ok", message: `no ${FORM_PATH}: requests are opened without the form` };
  const field = formAccountField(form.value);
  if (!field)
    return {
      id,
      status: "fail",
      message: `${FORM_PATH} has no Account field (id: account), which the app reads`,
      fix: "restore the field from the jit-access form (jit-access init writes it)",
    };
  const drift = accountFieldDrift(config, field);
  const dropdown = `the Account dropdown of ${FORM_PATH}`;
  if (drift.unknown.length)
    return {
      id,
      status: "fail",
      message: `${dropdown} offers ${JSON.stringify(drift.unknown)}, which are not accounts or account groups of the config: requests that pick them are refused`,
      fix: `set its options to the aliases and groups of aws.accounts and aws.account_groups (or rerun jit-access init)`,
    };
  const notes: string[] = [];
  if (drift.missing.length) notes.push(`${dropdown} does not offer ${JSON.stringify(drift.missing)}`);
  if (drift.single)
    notes.push(`${dropdown} takes one option, but the config has several accounts or groups, so a request in several accounts cannot be picked`);
  if (notes.length)
    return {
      id,
      status: "warn",
      message: notes.join("; "),
      fix: [
        drift.missing.length ? `add ${JSON.stringify(drift.missing)} to its options` : "",
        drift.single
          ? "set multiple: true under its attributes (GitHub writes the picked options comma-separated; the app reads them as several accounts)"
          : "",
      ]
        .filter(Boolean)
        .join("; "),
    };
  return {
    id,
    status: "ok",
    message:
      field.type === "dropdown"
        ? `${dropdown} offers every account${field.multiple ? " and takes several" : ""}`
        : `the Account field of ${FORM_PATH} is typed`,
  };
}
