// The "AWS access request" issue form (.github/ISSUE_TEMPLATE/access-request.yml): rendered
// issue body → an AccessRequest draft. The body is untrusted and editable, so before handing it
// to @github/issue-parser we insist that every `###` is one of the form's own headings, each
// once: a requester cannot smuggle in a second "### Account" (the parser keeps the last one).
import { parseIssue, parseTemplate } from "@github/issue-parser";
import { fail, ok, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import { isoSeconds } from "./time.js";
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
  // Optional on the form: a request may be described in words instead (the parser still needs
  // them, or a description, on every issue).
  service: false,
  resources: false,
  access: false,
  actions: false,
  duration: false,
  reason: true,
  description: false,
} as const;
/** Fields a form may have; an older form without them still works. */
const OPTIONAL_FIELDS = ["catalogue", "starts_at"] as const;
type FieldId = keyof typeof FIELDS | (typeof OPTIONAL_FIELDS)[number];

/** A date-time as the form accepts it: date, hours and minutes (seconds optional), and a zone. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

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
  /** The Account field is a single-choice dropdown: a body naming several of its options was edited by hand. */
  singleAccount?: boolean;
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
  const account = fields.account as { type?: string; multiple?: boolean } | undefined;
  const singleAccount = account?.type === "dropdown" && account.multiple !== true;
  return problems.length ? fail(...problems) : ok({ text, labels: labels as FormTemplate["labels"], ...(singleAccount ? { singleAccount } : {}) });
}

/**
 * The form's fields as typed. Service, Resources and Access may be left empty when a Description
 * is given: src/policy/plain-request.ts then proposes them from it (never Account or Reason).
 */
export interface FormFields {
  account: string;
  /** Several accounts typed ("prod, staging") or picked: `account` is the first. */
  accounts?: string[];
  service?: string;
  resources: string[];
  access: AccessLevel[];
  actions: string[];
  duration: string;
  reason: string;
  description?: string;
  /** A catalogue entry picked in the form: it stands for service, resources and access. */
  catalogue?: string;
  /** A later start, as UTC to the second (the form takes any ISO 8601 date-time with a time zone). */
  starts_at?: string;
}

/**
 * Reads the form: its headings, each field's shape, and the fields a request always needs. Without
 * a description, service, resources and access must be typed (as {@link parseIssueForm} needs).
 */
export function readIssueForm(body: unknown, template: FormTemplate, defaultDuration: string): Result<FormFields> {
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

  // Several accounts: typed as a list ("prod, staging", one per line) or picked in a multi-select dropdown.
  const accountList = accountsOf(parsed.account);
  if (accountList.length > 1 && template.singleAccount) {
    problems.push({
      code: "form.field-format",
      path: "account",
      message: `"${template.labels.account}" is a single-choice list but names ${accountList.length} accounts (${accountList.map(show).join(", ")}); pick one (edit the issue with the form), or ask for several in one request with a multi-select Account field or an account group`,
    });
    parsed.account = undefined;
  } else if (accountList.length > 1) parsed.account = accountList[0];
  const account = str("account");
  const service = str("service")?.toLowerCase();
  const resources = splitList(str("resources"));
  const actions = splitList(str("actions"));
  const duration = str("duration") ?? defaultDuration;
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

  const startsAt = template.labels.starts_at ? str("starts_at") : undefined;
  const startsAtMs = startsAt === undefined ? undefined : Date.parse(startsAt);
  if (startsAt !== undefined && (!ISO_WITH_ZONE.test(startsAt) || Number.isNaN(startsAtMs)))
    problems.push({
      code: "form.field-format",
      path: "starts_at",
      message: `"${template.labels.starts_at}" ${show(startsAt)} is not a date-time with a time zone; write it like 2026-11-28T09:00Z or 2026-11-28T10:00+01:00, or leave it empty to start at the merge`,
    });

  for (const id of ["account", "reason"] as const) {
    if (!str(id) && !problems.some((p) => p.path === id))
      problems.push({ code: "form.field-empty", path: id, message: `"${template.labels[id]}" is empty; fill it in (edit the issue)` });
  }
  const fields: FormFields = { account: account ?? "", resources, access, actions, duration, reason: reason ?? "" };
  if (accountList.length > 1) fields.accounts = accountList;
  if (service) fields.service = service;
  if (description) fields.description = description;
  if (startsAtMs !== undefined && !Number.isNaN(startsAtMs) && ISO_WITH_ZONE.test(startsAt ?? "")) fields.starts_at = isoSeconds(startsAtMs);
  if (catalogue !== undefined) fields.catalogue = catalogue;
  else if (!description) problems.push(...missingTypedFields(fields, template));
  // Keep the problems in the order of the form's fields.
  const order = Object.keys(FIELDS);
  problems.sort((a, b) => order.indexOf(a.path) - order.indexOf(b.path));
  return problems.length ? fail(...problems) : ok(fields);
}

/** The accounts of the Account field: one, or several one per line or separated by commas, each once. */
function accountsOf(value: unknown): string[] {
  const parts = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  if (!parts.every((p) => typeof p === "string")) return [];
  return [...new Set(parts.flatMap((p) => splitList(p)))];
}

/** What a typed request lacks: service, resources, and an access level or an exact action. */
export function missingTypedFields(fields: FormFields, template: FormTemplate): Problem[] {
  const problems: Problem[] = [];
  if (!fields.service)
    problems.push({ code: "form.field-empty", path: "service", message: `"${template.labels.service}" is empty; fill it in (edit the issue)` });
  if (fields.resources.length === 0)
    problems.push({ code: "form.field-empty", path: "resources", message: `"${template.labels.resources}" is empty; list one resource name or ARN per line` });
  if (fields.access.length === 0 && fields.actions.length === 0) {
    problems.push({
      code: "form.no-access",
      path: "access",
      message: `tick at least one box under "${template.labels.access}" or list "${template.labels.actions}"`,
    });
  }
  return problems;
}

/** The one request item the typed fields describe (call only when {@link missingTypedFields} is empty). */
export function typedItem(fields: FormFields): RequestItem {
  const item: RequestItem = { service: fields.service ?? "", resources: [...fields.resources] };
  if (fields.access.length) item.access = [...fields.access];
  if (fields.actions.length) item.actions = [...fields.actions];
  return item;
}

/** The request of an issue: the account, duration and reason always as typed; the items given. */
export function requestFromFields(fields: FormFields, items: RequestItem[], ctx: IssueContext): AccessRequest {
  const first = items[0];
  const request: AccessRequest = {
    version: 1,
    id: requestId(ctx.number, ctx.title, first?.service ?? "", first?.resources ?? []),
    requester: ctx.author,
    account: fields.account,
    ...(fields.accounts ? { accounts: [...fields.accounts] } : {}),
    duration: fields.duration,
    reason: fields.reason,
    request: items,
  };
  if (fields.description) request.description = fields.description;
  if (fields.starts_at) request.starts_at = fields.starts_at;
  return request;
}

/** The request of an issue that picks a catalogue entry: its items are filled in from the entry later. */
export function catalogueRequest(fields: FormFields, catalogue: string, ctx: IssueContext): AccessRequest {
  const request = requestFromFields(fields, [], ctx);
  request.id = requestId(ctx.number, ctx.title, catalogue, []);
  request.catalogue = catalogue;
  return request;
}

/** The typed request of an issue: every field filled in on the form (the description only narrows). */
export function parseIssueForm(body: unknown, template: FormTemplate, ctx: IssueContext): Result<AccessRequest> {
  const read = readIssueForm(body, template, ctx.defaultDuration);
  if (!read.ok) return read;
  if (read.value.catalogue !== undefined) {
    // The app fills the entry's items in (domain/access-catalogue.ts); whatever was typed is not used.
    return ok(catalogueRequest(read.value, read.value.catalogue, ctx));
  }
  const missing = missingTypedFields(read.value, template);
  if (missing.length) return fail(...missing);
  return ok(requestFromFields(read.value, [typedItem(read.value)], ctx));
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

/** The Account field of an issue form (its `body` entry with id `account`): its type, whether it takes several options, and its options. */
export function formAccountField(form: unknown): { type: string; multiple: boolean; options?: string[] } | undefined {
  const body = (form as { body?: unknown } | undefined)?.body;
  if (!Array.isArray(body)) return undefined;
  const field = body.find((f: unknown) => (f as { id?: unknown })?.id === "account") as
    { type?: unknown; attributes?: { options?: unknown; multiple?: unknown } } | undefined;
  if (!field) return undefined;
  const options = field.attributes?.options;
  return {
    type: String(field.type ?? ""),
    multiple: field.attributes?.multiple === true,
    ...(Array.isArray(options) ? { options: options.map(String) } : {}),
  };
}

/**
 * How a form's Account dropdown is out of step with the config: options that name no account or
 * group (`unknown`, refused at intake), accounts or groups it does not offer (`missing`), and
 * whether it should take several (`single`: the config has several accounts or groups but the
 * dropdown lets a requester pick one). A typed field (input, textarea) takes anything: nothing to say.
 */
export function accountFieldDrift(
  config: { aws: { accounts: Record<string, unknown>; account_groups?: Record<string, string[]> } },
  field: NonNullable<ReturnType<typeof formAccountField>>,
): { unknown: string[]; missing: string[]; single: boolean } {
  if (field.type !== "dropdown") return { unknown: [], missing: [], single: false };
  const want = [...Object.keys(config.aws.accounts), ...Object.keys(config.aws.account_groups ?? {})];
  const have = field.options ?? [];
  return {
    unknown: have.filter((o) => !want.includes(o)),
    missing: want.filter((w) => !have.includes(w)),
    single: want.length > 1 && !field.multiple,
  };
}
