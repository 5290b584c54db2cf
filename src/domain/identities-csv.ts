// `jit-access identities import users.csv`: the user-provisioning CSV of the founding document
// (one row per user, a user name, an e-mail and the policies to attach) → an identities file for
// review. Nothing is created from the CSV itself: the file goes through a pull request like any
// change to identities/. Pure.
import * as yaml from "js-yaml";
import { isEmail, parseIdentitiesFile, type BaselinePolicy, type IdentitiesFile, type Person } from "./identities.js";
import { fail, ok, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import type { Problem } from "./types.js";

export const MAX_CSV_BYTES = 256 * 1024;

/** Header names accepted for each field (lower case, spaces and hyphens read as underscores). */
const COLUMNS: Record<string, readonly string[]> = {
  login: ["login", "github", "github_login"],
  user_name: ["username", "user_name", "iam_user", "user"],
  email: ["email", "e_mail", "mail", "email_address"],
  name: ["name", "full_name", "display_name"],
  first_name: ["first_name", "given_name", "firstname"],
  last_name: ["last_name", "family_name", "surname", "lastname"],
  policies: ["policy", "policies", "policy_arn", "policy_arns", "policy_name", "managed_policies"],
  groups: ["group", "groups"],
};

const LOGIN = /^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$/;
const AWS_NAME = /^[\w+=,.@-]{1,64}$/;
const MANAGED_ARN = /^arn:aws(-cn|-us-gov)?:iam::aws:policy\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,128})$/;
const CUSTOMER_ARN = /^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:policy\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,128})$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): Result<string[][]> {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < src.length) {
    const c = src[i] as string;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i += 2;
      } else {
        if (c === '"') quoted = false;
        else field += c;
        i++;
      }
      continue;
    }
    if (c === "\n" || c === "\r") {
      row.push(field);
      field = "";
      if (row.some((f) => f.trim() !== "")) rows.push(row);
      row = [];
      i += c === "\r" && src[i + 1] === "\n" ? 2 : 1;
      continue;
    }
    if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else field += c;
    i++;
  }
  if (quoted) return fail(problem("identity.csv-syntax", 'a quoted field is not closed; close the quotes ("…")'));
  row.push(field);
  if (row.some((f) => f.trim() !== "")) rows.push(row);
  return ok(rows);
}

export interface CsvImport {
  file: IdentitiesFile;
  /** The file as YAML, with a header comment saying it came from a CSV and needs review. */
  text: string;
}

/** The CSV → an identities file of people of `kind`; every bad cell is a problem naming its row and column. */
export function importUsersCsv(input: string, opts: { kind: Person["kind"]; source: string }): Result<CsvImport> {
  if (Buffer.byteLength(input, "utf8") > MAX_CSV_BYTES)
    return fail(problem("identity.csv-syntax", `the CSV is over ${MAX_CSV_BYTES} bytes; split it into smaller files`));
  const parsed = parseCsv(input);
  if (!parsed.ok) return parsed;
  const [header, ...rows] = parsed.value;
  if (!header) return fail(problem("identity.csv-header", "the CSV is empty; its first line must name the columns, e.g. username,email,policy"));
  const names = header.map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, "_"),
  );
  const index: Partial<Record<keyof typeof COLUMNS, number>> = {};
  const problems: Problem[] = [];
  names.forEach((n, i) => {
    const field = Object.keys(COLUMNS).find((k) => COLUMNS[k]?.includes(n));
    if (!field)
      problems.push(
        problem(
          "identity.csv-header",
          `column ${show(header[i])} is not known; use: ${Object.values(COLUMNS)
            .map((a) => a[0])
            .join(", ")}`,
          `column ${i + 1}`,
        ),
      );
    else if (index[field] !== undefined)
      problems.push(problem("identity.csv-header", `column ${show(header[i])} repeats ${field}; keep one`, `column ${i + 1}`));
    else index[field] = i;
  });
  if (index.email === undefined) problems.push(problem("identity.csv-header", "the CSV has no email column; add one", "header"));
  if (index.login === undefined && index.user_name === undefined)
    problems.push(problem("identity.csv-header", "the CSV has no login or username column; add one (the GitHub login of each person)", "header"));
  if (problems.length) return fail(...problems);

  const people: Person[] = [];
  rows.forEach((cells, r) => {
    const line = r + 2;
    const cell = (k: keyof typeof COLUMNS): string => (index[k] === undefined ? "" : (cells[index[k]] ?? "").trim());
    const at = (k: string) => `row ${line}.${k}`;
    if (cells.length > header.length)
      problems.push(
        problem("identity.csv-row", `row ${line} has ${cells.length} cells but the header names ${header.length}; quote cells that hold commas`, `row ${line}`),
      );
    const userName = cell("user_name");
    const login = cell("login") || userName;
    if (!LOGIN.test(login))
      problems.push(
        problem(
          "identity.csv-row",
          `${show(login)} is not a GitHub login; add a login column with each person's GitHub login${cell("login") ? "" : " (the username column is used when there is none)"}`,
          at("login"),
        ),
      );
    if (userName && !AWS_NAME.test(userName))
      problems.push(problem("identity.csv-row", `user name ${show(userName)} is not a valid IAM user name`, at("username")));
    const email = cell("email");
    if (!isEmail(email)) problems.push(problem("identity.email-invalid", `e-mail ${show(email)} is not an address such as alice@example.com`, at("email")));
    const name = cell("name") || [cell("first_name"), cell("last_name")].filter(Boolean).join(" ") || login;
    const policies: BaselinePolicy[] = [];
    for (const raw of splitList(cell("policies"))) {
      const managed = MANAGED_ARN.exec(raw)?.[2];
      const customer = CUSTOMER_ARN.exec(raw)?.[2];
      if (managed) policies.push({ managed });
      else if (customer) policies.push({ customer_managed: customer });
      else if (POLICY_NAME.test(raw)) policies.push({ managed: raw });
      else problems.push(problem("identity.csv-row", `policy ${show(raw)} is neither a policy ARN nor a policy name`, at("policy")));
    }
    const groups = splitList(cell("groups"), /[;|]+/);
    const person: Person = {
      login,
      email,
      name,
      kind: opts.kind,
      ...(userName && userName !== login ? { user_name: userName } : {}),
      ...(groups.length ? { groups } : {}),
      ...(policies.length ? { policies } : {}),
    };
    people.push(person);
  });
  if (problems.length) return fail(...problems);
  const file: IdentitiesFile = { version: 1, people };
  const text = [
    `# Imported from ${opts.source} by jit-access identities import. Review every entry (logins, e-mails,`,
    `# policies) before opening the pull request: nothing is created until it is approved and merged.`,
    yaml.dump(file, { lineWidth: 160, noRefs: true }),
  ].join("\n");
  // The output must be a file jit-access accepts in shape: the import and the schema never disagree.
  const back = parseIdentitiesFile(text, "identities/people.yaml");
  if (!back.ok) return back;
  return ok({ file, text });
}

/** A cell holding several values: separated by ";", "|" or (policies) whitespace. */
function splitList(cell: string, separators = /[;|\s]+/): string[] {
  return cell
    .split(separators)
    .map((s) => s.trim())
    .filter(Boolean);
}
