// The "AWS access request" issue form (.github/ISSUE_TEMPLATE/access-request.yml): rendered
// issue body → an AccessRequest draft. The body is untrusted and editable, so before handing it
// to @github/issue-parser we insist that every `###` is one of the form's own headings, each
// once: a requester cannot smuggle in a second "### Account" (the parser keeps the last one).
import { parseIssue, parseTemplate } from "@github/issue-parser";
import { fail, ok, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import type { AccessLevel, AccessRequest, Problem, RequestItem } from "./types.js";
import { ACCESS_LEVELS } from "./types.js";

/** Where an access repository keeps its request form (the package ships one at the same path). */
export const FORM_PATH = ".github/ISSUE_TEMPLATE/access-request.yml";

export const ACCESS_REQUEST_LABEL = "access-request";
/** GitHub caps issue bodies at 65,536 characters. */
export const MAX_ISSUE_BODY = 65_536;

/** Field ids the form must have, and whether the form must mark them required. */
const FIELDS = {
  account: true,
  service: true,
  resources: true,
  access: false,
  actions: false,
  duration: false,
  reason: true,
  description: false,
} as const;
/** Fields a form may have; an older form without them still works. */
const OPTIONAL_FIELDS = ["catalogue"] as const;
type FieldId = keyof typeof FIELDS | (typeof OPTIONAL_FIELDS)[number];

/** The catalogue dropdown's option for "no entry: I describe the access myself". */
export const NO_CATALOGUE_OPTION = "none";

export interface IssueContext {
  number: number;
  title: string;
  /** The issue author's login, from the webhook — never from the body. */
  author: string;
  defaultDuration: string;
}

export interface FormTemplate {
  text: string;
  labels: Record<keyof typeof FIELDS, string> & Partial<Record<(typeof OPTIONAL_FIELDS)[number], string>>;
}

/** Reads the form template once and checks it still has the fields this parser relies on. */
export function loadFormTemplate(text: string): Result<FormTemplate> {
  let fields: ReturnType<typeof parseTemplate>;
  try {
    fields = parseTemplate(text);
  } catch (e) {
    return fail(problem("form.template-invalid", `the issue form template is not valid YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`));
  }
  const labels: Partial<Record<FieldId, string>> = {};
  const problems: Problem[] = [];
  for (const id of OPTIONAL_FIELDS) {
    const f = fields[id];
    if (f) labels[id] = f.label;
  }
  for (const id of Object.keys(FIELDS) as Array<keyof typeof FIELDS>) {
    const f = fields[id];
    if (!f)
      problems.push({
        code: "form.template-field-missing",
        path: id,
        message: `the issue form template has no field with id ${show(id)}; restore it from the jit-access template`,
      });
    else labels[id] = f.label;
  }
  return problems.length ? fail(...problems) : ok({ text, labels: labels as FormTemplate["labels"] });
}

export function parseIssueForm(body: unknown, template: FormTemplate, ctx: IssueContext): Result<AccessRequest> {
  if (typeof body !== "string" || body.trim() === "") {
    return fail(problem("form.body-empty", 'the issue body is empty; open the issue with the "AWS access request" form'));
  }
  if (body.length > MAX_ISSUE_BODY) return fail(problem("form.body-too-large", `the issue body is ${body.length} characters; the limit is ${MAX_ISSUE_BODY}`));
  const text = body.replace(/\r\n?/g, "\n");

  const headingProblems = checkHeadings(text, template);
  if (headingProblems.length) return fail(...headingProblems);

  let parsed: Record<string, unknown>;
  try {
    parsed = parseIssue(text, template.text);
  } catch {
    return fail(problem("form.unreadable", "the issue body could not be read as the access request form; re-open it with the form"));
  }

  const problems: Problem[] = [];
  const str = (id: FieldId): string | undefined => {
    let v = parsed[id];
    if (v === undefined) return undefined;
    // A dropdown (the Account field of a form written by `jit-access init`) arrives as the list of
    // its selected options; a single-choice one has at most one.
    if (Array.isArray(v) && v.length <= 1 && v.every((x) => typeof x === "string")) v = v[0] ?? "";
    if (typeof v !== "string") {
      problems.push({ code: "form.field-format", path: id, message: `"${template.labels[id] ?? id}" has an unexpected format; edit the issue with the form` });
      return undefined;
    }
    const t = v.trim();
    return t === "" ? undefined : t;
  };

  const account = str("account");
  const service = str("service")?.toLowerCase();
  const resources = splitList(str("resources"));
  const actions = splitList(str("actions"));
  const duration = str("duration") ?? ctx.defaultDuration;
  const reason = str("reason");
  const description = str("description");
  const access = checkedLevels(parsed.access, template.labels.access, problems);
  // A catalogue entry stands for service, resources and access: the app fills them in from the
  // entry (domain/access-catalogue.ts), and whatever was typed there is not used.
  const picked = template.labels.catalogue ? str("catalogue") : undefined;
  const catalogue = picked && picked.toLowerCase() !== NO_CATALOGUE_OPTION ? picked : undefined;
  if (catalogue !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(catalogue))
    problems.push({
      code: "form.unknown-option",
      path: "catalogue",
      message: `"${template.labels.catalogue}" has an unknown option ${show(catalogue)}; pick one from the list`,
    });

  for (const id of catalogue ? (["account", "reason"] as const) : (["account", "service", "reason"] as const)) {
    if (!str(id)) problems.push({ code: "form.field-empty", path: id, message: `"${template.labels[id]}" is empty; fill it in (edit the issue)` });
  }
  if (catalogue !== undefined) {
    if (problems.length) return fail(...problems);
    const request: AccessRequest = {
      version: 1,
      id: requestId(ctx.number, ctx.title, catalogue, []),
      requester: ctx.author,
      account: account as string,
      duration,
      reason: reason as string,
      catalogue,
      request: [],
    };
    if (description) request.description = description;
    return ok(request);
  }
  if (resources.length === 0)
    problems.push({ code: "form.field-empty", path: "resources", message: `"${template.labels.resources}" is empty; list one resource name or ARN per line` });
  if (access.length === 0 && actions.length === 0) {
    problems.push({
      code: "form.no-access",
      path: "access",
      message: `tick at least one box under "${template.labels.access}" or list "${template.labels.actions}"`,
    });
  }
  if (problems.length) return fail(...problems);

  const item: RequestItem = { service: service as string, resources };
  if (access.length) item.access = access;
  if (actions.length) item.actions = actions;
  const request: AccessRequest = {
    version: 1,
    id: requestId(ctx.number, ctx.title, service as string, resources),
    requester: ctx.author,
    account: account as string,
    duration,
    reason: reason as string,
    request: [item],
  };
  if (description) request.description = description;
  return ok(request);
}

function checkHeadings(text: string, template: FormTemplate): Problem[] {
  const labels = new Set(Object.values(template.labels));
  const seen = new Map<string, number>();
  const problems: Problem[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (!line.includes("###")) return;
    const m = /^### (.+?)\s*$/.exec(line);
    const label = m?.[1];
    if (!label || !labels.has(label)) {
      problems.push({
        code: "form.heading-forged",
        path: "",
        message: `line ${i + 1} ${show(line, 50)} contains "###", which only the form's own headings may use; remove it (use **bold** for emphasis)`,
      });
      return;
    }
    seen.set(label, (seen.get(label) ?? 0) + 1);
  });
  for (const [label, n] of seen) {
    if (n > 1)
      problems.push({
        code: "form.heading-repeated",
        path: "",
        message: `the heading "### ${label}" appears ${n} times; each form field may appear once — edit the issue and remove the extra one`,
      });
  }
  return problems;
}

function checkedLevels(value: unknown, label: string, problems: Problem[]): AccessLevel[] {
  if (value === undefined) return [];
  const selected = (value as { selected?: unknown }).selected;
  if (!Array.isArray(selected)) return [];
  const out: AccessLevel[] = [];
  for (const s of selected) {
    const level = String(s).trim() as AccessLevel;
    if (!ACCESS_LEVELS.includes(level)) {
      problems.push({
        code: "form.unknown-option",
        path: "access",
        message: `"${label}" has an unknown option ${show(s)}; tick only: ${ACCESS_LEVELS.join(", ")}`,
      });
    } else if (!out.includes(level)) out.push(level);
  }
  return out;
}

/** One value per line (or comma-separated), ignoring list bullets and code backticks. */
function splitList(value: string | undefined): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const raw of value.split(/[\n,]/)) {
    const v = raw
      .trim()
      .replace(/^[-*]\s+/, "")
      .replace(/^`+|`+$/g, "")
      .trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

/** `<number>-<slug>`: the slug from the title (minus the form's prefix), else the ask itself. */
export function requestId(number: number, title: string, service: string, resources: string[]): string {
  const cleaned = title.replace(/^\s*access request\s*:?\s*/i, "");
  const base = slugify(cleaned) || slugify(`${service} ${resources[0] ?? ""}`) || "request";
  const room = 64 - String(number).length - 1;
  return `${number}-${base.slice(0, Math.min(room, 40)).replace(/-+$/, "")}`;
}

export function slugify(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/[^ -~]/g, "")
    .toLowerCase()
    .replace(/arn:[^\s]*/g, (a) => a.split(/[:/]/).pop() ?? "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}
