// A request described in words: when the issue form leaves Service, Resources or Access levels empty
// and has a Description, the missing fields are proposed — by the model (a structured request, never
// a policy) when the configuration has one, else by the deterministic extractor — and kept within
// what the requester typed. The account, duration, reason and whose access it is are always the
// typed fields. The result is an ordinary request: the same generator and guardrails judge it, and
// the pull request says which fields were proposed. Pure: the model is reached through the
// ModelClient port.
import { withAccountGroup } from "../domain/accounts.js";
import { resolveAccount, knownAccountsText } from "../domain/config.js";
import {
  catalogueRequest,
  missingTypedFields,
  readIssueForm,
  requestFromFields,
  typedItem,
  type FormFields,
  type FormTemplate,
  type IssueContext,
} from "../domain/issue-form.js";
import { describeProblem, fail, ok, problem, type Result } from "../domain/problems.js";
import { show } from "../domain/text.js";
import type { AccessLevel, AccessRequest, Config, Problem, RequestItem } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import type { ModelChoice, ModelClient, ModelReply } from "./drafter.js";
import { EXTRACTOR, EXTRACTOR_NAME, descriptionTokens, extractFromDescription, visibleDescription } from "./extract-request.js";
import { buildRequestPrompt, parseStructuredAnswer, type ProposedItem } from "./structured-request.js";

/** How intake learns which model (if any) reads plain-language requests for a repository. */
export type RequestInterpreter = (config: Config) => Promise<ModelChoice>;

export interface ReadRequest {
  request: AccessRequest;
  /**
   * Warnings for the pull request: why the model was not used, and what was seen in the
   * description and not taken. Which fields were proposed, and by whom, is `request.proposed`.
   */
  notes: Problem[];
}

export interface PlainRequestDeps {
  config: Config;
  catalogue: Catalogue;
  /** Which model to ask, asked only when the form leaves fields to the description; none (the extractor only) when absent. */
  interpreter?: RequestInterpreter;
}

/**
 * The request of an issue. A fully typed form is read as it is (the description then only helps
 * to narrow the policy); otherwise the description proposes the empty fields, or the issue is
 * told which fields to fill in.
 */
export async function requestFromIssue(body: unknown, template: FormTemplate, ctx: IssueContext, deps: PlainRequestDeps): Promise<Result<ReadRequest>> {
  const read = readIssueForm(body, template, ctx.defaultDuration);
  if (!read.ok) return read;
  const fields = withAccountGroup(deps.config, read.value);
  // A catalogue entry stands for service, resources and access: the entry's items are filled in
  // by intake (domain/access-catalogue.ts), never proposed from the description.
  if (fields.catalogue !== undefined) {
    return ok({ request: catalogueRequest(fields, fields.catalogue, ctx), notes: [] });
  }
  const missing = missingTypedFields(fields, template);
  if (missing.length === 0) return ok({ request: requestFromFields(fields, [typedItem(fields)], ctx), notes: [] });

  const account = resolveAccount(deps.config, fields.account);
  if (!account) {
    return fail(
      problem(
        "request.unknown-account",
        `account ${show(fields.account)} is not a known alias; use one of: ${knownAccountsText(deps.config)} (or a listed 12-digit id) — the description is read once the account is known`,
        "account",
      ),
    );
  }
  const description = visibleDescription(fields.description ?? "");
  const bounds: Bounds = {
    accountId: account.id,
    partition: deps.config.aws.partition,
    words: new Set([...descriptionTokens(description), ...fields.resources]),
  };
  // Typed ARNs are read too: with Service left empty, a typed full ARN states the service.
  const extracted = extractFromDescription([description, ...fields.resources.filter((r) => r.startsWith("arn:"))].join("\n"), {
    config: deps.config,
    accountId: account.id,
    accountAlias: account.alias ?? fields.account,
    catalogue: deps.catalogue,
  });
  // Catalogue entries open to this account, which a description may ask for by name.
  const alias = account.alias ?? fields.account;
  const entries = Object.entries(deps.config.catalogue ?? {})
    .filter(([, e]) => e.accounts.includes(alias))
    .map(([name, e]) => ({ name, description: e.description }));
  // Whoever reads the description, reviewers hear when it names another account.
  const notes: Problem[] = extracted.notes.filter((n) => n.code === "form.description-other-account");

  const model: ModelChoice = deps.interpreter ? await deps.interpreter(deps.config) : { kind: "none" };
  if (model.kind === "unavailable") notes.push(fallbackNote(model.reason));
  if (model.kind === "model") {
    const reply = await ask(model.client, model.timeoutMs, fields, description, deps.config, entries);
    if (!reply.ok) notes.push(fallbackNote(reply.reason));
    else {
      const parsed = parseStructuredAnswer(reply.text);
      if (!parsed.ok) notes.push(fallbackNote(`${model.client.generator}: ${parsed.problems.map(describeProblem).join("; ")}`));
      else {
        const picked = parsed.value.catalogue;
        if (picked !== undefined) {
          const why = entryFault(picked, fields, entries);
          if (!why) return ok(entryProposed(fields, picked, model.client.generator, notes, ctx));
          notes.push({ code: "form.proposal-dropped", path: "description", message: `the catalogue entry ${show(picked)} ${why}` });
        }
        const kept = withinTyped(fields, parsed.value.items, bounds, deps.catalogue);
        if (kept.items.length > 0) return ok(proposed(fields, kept, model.client.generator, notes, ctx));
        notes.push(...kept.notes, fallbackNote(`${model.client.generator} proposed no complete request item`));
      }
    }
  }

  // An entry named exactly, and only one: a name the description shows, never a guess among several.
  const named = entries.filter((e) => bounds.words.has(e.name)).map((e) => e.name);
  if (named.length === 1 && named[0] !== undefined && !entryFault(named[0], fields, entries)) return ok(entryProposed(fields, named[0], EXTRACTOR, notes, ctx));
  if (named.length > 1)
    notes.push({
      code: "form.proposal-dropped",
      path: "description",
      message: `the description names ${named.length} catalogue entries (${named.join(", ")}); pick one under "${template.labels.catalogue ?? "Catalogue entry"}"`,
    });
  const kept = withinTyped(fields, extracted.items, bounds, deps.catalogue);
  notes.push(...extracted.notes.filter((n) => n.code !== "form.description-other-account"));
  if (kept.items.length > 0) return ok(proposed(fields, kept, EXTRACTOR, notes, ctx));
  notes.push(...kept.notes);
  return fail(...unresolved(template, missing), ...notes);
}

async function ask(
  client: ModelClient,
  timeoutMs: number,
  fields: FormFields,
  description: string,
  config: Config,
  entries: Array<{ name: string; description: string }>,
): Promise<ModelReply> {
  const prompt = buildRequestPrompt({
    description,
    reason: fields.reason,
    typed: {
      account: fields.account,
      ...(fields.service ? { service: fields.service } : {}),
      resources: fields.resources,
      access: fields.access,
      actions: fields.actions,
    },
    accounts: Object.keys(config.aws.accounts),
    services: config.allowed_services,
    catalogue: entries,
  });
  try {
    return await client.generate(prompt, { timeoutMs });
  } catch (e) {
    // The port promises not to throw; if it does anyway, that is still only a fallback.
    return { ok: false, reason: `${client.generator} failed (${e instanceof Error ? e.message.slice(0, 200) : "unknown error"})` };
  }
}

function fallbackNote(reason: string): Problem {
  return {
    code: "draft.request-fallback",
    path: "description",
    message: `${reason}; the description was read by ${EXTRACTOR_NAME} instead (full ARNs and exact action names only)`,
  };
}

/** What any proposal stays within besides the typed fields: the request's account and partition, and the words the description shows. */
export interface Bounds {
  accountId: string;
  partition: string;
  /** A proposed resource must be one of these, written as the requester wrote it: never invented, never from hidden text. */
  words: ReadonlySet<string>;
}

interface Kept {
  items: RequestItem[];
  /** Per kept item, the fields that came from the description. */
  proposedFields: Array<Array<"service" | "resources" | "access" | "actions">>;
  notes: Problem[];
}

/**
 * A proposal held to the typed fields: a typed service is the only service, typed resources,
 * levels and actions are upper bounds; a proposed resource is never a pattern, nor in another
 * account or partition; an action belongs to its item's service and levels. What does not fit is
 * dropped with a note, and an item left without a resource or an access is not kept — so the
 * result is never wider than what the typed fields allow.
 */
export function withinTyped(fields: FormFields, proposal: readonly ProposedItem[], bounds: Bounds, catalogue: Catalogue): Kept {
  const out: Kept = { items: [], proposedFields: [], notes: [] };
  const dropped = (message: string) => out.notes.push({ code: "form.proposal-dropped", path: "description", message });
  const typedLevels = fields.access.length > 0 || fields.actions.length > 0;

  proposal.forEach((p, i) => {
    const service = p.service.toLowerCase();
    if (fields.service && service !== fields.service) {
      dropped(`item ${i + 1} proposed service ${show(service)}, but "Service" says ${show(fields.service)}`);
      return;
    }
    const from: Kept["proposedFields"][number] = fields.service ? [] : ["service"];

    let resources = p.resources.filter((r) => {
      const why = resourceFault(r, service, bounds);
      if (why) dropped(`${show(r, 80)} ${why}`);
      return !why;
    });
    if (fields.resources.length > 0) {
      const outside = resources.filter((r) => !fields.resources.includes(r));
      if (outside.length) dropped(`${outside.map((r) => show(r, 60)).join(", ")} ${outside.length === 1 ? "is" : "are"} not among the typed "Resources"`);
      resources = resources.filter((r) => fields.resources.includes(r));
      if (resources.length === 0) resources = [...fields.resources];
    } else if (resources.length > 0) from.push("resources");

    let access: AccessLevel[] = [...new Set(p.access)];
    let actions: string[] = [];
    for (const a of p.actions ?? []) {
      const info = catalogue.action(a);
      if (!info || info.service !== service) dropped(`the action ${show(a)} is not an action of ${service}`);
      else if (!actions.includes(info.full)) actions.push(info.full);
    }
    if (typedLevels) {
      if (fields.access.length > 0) {
        const outside = access.filter((l) => !fields.access.includes(l));
        if (outside.length)
          dropped(`the access level${outside.length === 1 ? "" : "s"} ${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} not ticked`);
        access = access.filter((l) => fields.access.includes(l));
        if (access.length === 0) access = [...fields.access];
      } else access = [];
      if (fields.actions.length > 0) {
        const typed = new Set(fields.actions.map((a) => a.toLowerCase()));
        const outside = actions.filter((a) => !typed.has(a.toLowerCase()));
        if (outside.length) dropped(`${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} not among the typed "Exact actions"`);
        actions = actions.filter((a) => typed.has(a.toLowerCase()));
        if (actions.length === 0) actions = [...fields.actions];
      }
    } else {
      if (access.length > 0) from.push("access");
      if (actions.length > 0) from.push("actions");
    }
    // With levels, exact actions narrow them: an action of another level would be refused.
    if (access.length > 0 && actions.length > 0) {
      const outside = actions.filter((a) => !access.includes(catalogue.action(a)?.level as AccessLevel));
      if (outside.length) dropped(`${outside.join(", ")} ${outside.length === 1 ? "is" : "are"} outside the access levels ${access.join(", ")}`);
      actions = actions.filter((a) => !outside.includes(a));
    }
    // Typed exact actions are the upper bound: with none of them left, the levels alone would be wider.
    if (fields.actions.length > 0 && actions.length === 0) {
      dropped(`item ${i + 1} (${service}) keeps none of the typed "Exact actions"`);
      return;
    }

    if (resources.length === 0 || (access.length === 0 && actions.length === 0)) {
      const lacks = [resources.length === 0 ? "resources" : "", access.length === 0 && actions.length === 0 ? "access levels" : ""]
        .filter(Boolean)
        .join(" and ");
      dropped(
        `item ${i + 1} (${service}${resources.length ? ` on ${resources.map((r) => show(r, 60)).join(", ")}` : ""}) has no ${lacks} the description states for certain`,
      );
      return;
    }
    const item: RequestItem = { service, resources };
    if (access.length) item.access = access;
    if (actions.length) item.actions = actions;
    out.items.push(item);
    out.proposedFields.push(from);
  });
  return out;
}

/** Why a proposed resource is not taken, or undefined. */
function resourceFault(r: string, service: string, bounds: Bounds): string | undefined {
  if (/[*?]/.test(r)) return 'is a pattern; a pattern is never taken from the description — list it under "Resources" if you need it';
  if (!/^[!-~]+$/.test(r)) return "is not plain ASCII";
  if (!bounds.words.has(r)) return "is not written as such in the description; a resource is taken only as the requester wrote it";
  if (!r.startsWith("arn:")) return undefined;
  const [, partition = "", arnService = "", , account = ""] = r.split(":");
  if (partition !== bounds.partition) return `is in partition ${partition}, not ${bounds.partition}`;
  if (arnService !== service) return `is an ARN of ${arnService}, not ${service}`;
  if (/^\d{12}$/.test(account) && account !== bounds.accountId)
    return `is in account ${account}, not the request's account ${bounds.accountId}; the account is only ever the Account field`;
  return undefined;
}

function proposed(fields: FormFields, kept: Kept, by: string, notes: Problem[], ctx: IssueContext): ReadRequest {
  const request = requestFromFields(fields, kept.items, ctx);
  // Recorded in the file, so every rewrite of the pull request (and the record) still says it.
  const said = kept.items.flatMap((_, i) => (kept.proposedFields[i] ?? []).map((field) => `request[${i}].${field}`));
  if (said.length) request.proposed = { by, fields: said };
  return { request, notes: [...notes, ...kept.notes] };
}

/**
 * Why a catalogue entry is not taken from the description, or undefined: it must be one open to
 * the request's account, and nothing may be typed that it would replace (the entry's items are
 * not bounded by typed fields, so with any typed the entry would not be narrower).
 */
function entryFault(name: string, fields: FormFields, entries: ReadonlyArray<{ name: string }>): string | undefined {
  if (!entries.some((e) => e.name === name)) return "is not an entry of the catalogue open to this account";
  if (fields.service || fields.resources.length || fields.access.length || fields.actions.length)
    return "is not taken while Service, Resources, Access levels or Exact actions are typed; pick it under the catalogue field instead";
  return undefined;
}

function entryProposed(fields: FormFields, name: string, by: string, notes: Problem[], ctx: IssueContext): ReadRequest {
  const request = catalogueRequest(fields, name, ctx);
  request.proposed = { by, fields: ["catalogue"] };
  return { request, notes };
}

/** The fields to fill in, when the description does not state them for certain. */
function unresolved(template: FormTemplate, missing: Problem[]): Problem[] {
  return missing.map((m) => {
    const label =
      m.path === "access" ? `${template.labels.access}" or "${template.labels.actions}` : (template.labels[m.path as keyof FormTemplate["labels"]] ?? m.path);
    return {
      code: "form.description-unresolved",
      path: m.path,
      message: `"${label}" is empty and the description does not state it for certain; fill it in (edit the issue)`,
    };
  });
}
