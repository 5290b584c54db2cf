// Narrowing only (policy pipeline step 2): a model's policy is intersected with the built-in
// envelope for the same request, statement by statement. An action survives only if the envelope
// grants it (exact names; a model's wildcard is expanded and cut down to the envelope's actions);
// a resource survives, for that action, only if it lies within one of the envelope's resources
// for that action (`resourceWithin`, the guardrails' own matcher). Everything else is dropped
// and reported. Pure; the answer is treated as hostile input and nothing here throws on it.
import type { PolicyDocument, Problem, ProblemCode, Statement } from "../domain/types.js";
import { show } from "../domain/text.js";
import type { Catalogue } from "./catalogue.js";
import { resourceWithin } from "./glob.js";

export interface Justification {
  sid: string;
  why: string;
}

export interface NarrowResult {
  /** The envelope's Deny statements (kept as they are) and the surviving Allow statements. */
  policy: PolicyDocument;
  /** One entry per thing dropped or changed, path into the answer (`answer.Statement[1].Action[0]`). */
  warnings: Problem[];
  justifications: Justification[];
  /** Number of Allow statements that survived; 0 means "fall back to the envelope". */
  allowStatements: number;
}

const MAX_ENTRIES = 500;
const MAX_JUSTIFICATION = 300;
const KNOWN_KEYS = new Set(["Sid", "Effect", "Action", "Resource", "Condition", "justification"]);
const INVERTING_KEYS = ["Principal", "NotPrincipal", "NotAction", "NotResource"];

function list(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One envelope grant of an action: resource patterns, and the condition it carries (if any). */
interface EnvelopeGrant {
  resources: string[];
  condition?: Statement["Condition"];
}

/** What the envelope allows: lower-case action → its canonical name and the resource patterns. */
interface EnvelopeIndex {
  grants: Map<string, { full: string; resources: string[] }>;
  /** Every grant, conditional ones included (the pair check below honours their conditions). */
  all: Map<string, { full: string; grants: EnvelopeGrant[] }>;
  denies: Statement[];
  services: Set<string>;
}

function indexEnvelope(catalogue: Catalogue, envelope: PolicyDocument): EnvelopeIndex {
  const grants = new Map<string, { full: string; resources: string[] }>();
  const all = new Map<string, { full: string; grants: EnvelopeGrant[] }>();
  const denies: Statement[] = [];
  const services = new Set<string>();
  for (const st of envelope.Statement) {
    if (st.Effect === "Deny") {
      denies.push(st);
      continue;
    }
    const actions = list(st.Action).flatMap((a) => (/[*?]/.test(a) ? catalogue.expand(a).map((x) => x.full) : [catalogue.action(a)?.full ?? a]));
    for (const full of actions) {
      const key = full.toLowerCase();
      let every = all.get(key);
      if (!every) all.set(key, (every = { full, grants: [] }));
      every.grants.push(st.Condition === undefined ? { resources: list(st.Resource) } : { resources: list(st.Resource), condition: st.Condition });
      // A conditional grant of the envelope could only be reproduced with its condition; the
      // model's statements carry none, so such grants are not offered (narrower, never wider).
      if (st.Condition !== undefined) continue;
      let g = grants.get(key);
      if (!g) grants.set(key, (g = { full, resources: [] }));
      for (const r of list(st.Resource)) if (!g.resources.includes(r)) g.resources.push(r);
      services.add(key.split(":")[0] ?? "");
    }
  }
  return { grants, all, denies, services };
}

/** Strings of a `string | string[]` field, or a reason why it is not one. */
function strings(value: unknown, field: string): string[] | string {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return `${field} is ${value === undefined ? "missing" : show(value, 40)}, not a list of strings`;
  if (value.length > MAX_ENTRIES) return `${field} has ${value.length} entries (more than ${MAX_ENTRIES})`;
  const bad = value.findIndex((v) => typeof v !== "string");
  if (bad !== -1) return `${field}[${bad}] is ${show(value[bad], 40)}, not a string`;
  return value as string[];
}

function cleanSid(raw: unknown, fallback: string): string {
  const s = typeof raw === "string" ? raw.replace(/[^A-Za-z0-9]/g, "").slice(0, 64) : "";
  return s === "" ? fallback : s;
}

function cleanText(raw: unknown): string {
  if (typeof raw !== "string") return "";
  // One line of plain text: it ends up in PR bodies; control and bidi characters are removed.
  const flat = raw
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > MAX_JUSTIFICATION ? `${flat.slice(0, MAX_JUSTIFICATION)}…` : flat;
}

/**
 * Is the model's resource within the envelope's resources for one action? An envelope "*" (an
 * action without resource-level permissions) takes only "*": an ARN there grants nothing in AWS,
 * and would not be within the request's resources for the guardrails.
 */
function within(resource: string, envelopeResources: readonly string[]): boolean {
  if (resource === "*") return envelopeResources.includes("*");
  return resourceWithin(
    resource,
    envelopeResources.filter((r) => r !== "*"),
  );
}

/**
 * Intersect `answer` (the model's policy, untrusted: anything with a `Statement` array) with
 * `envelope`. The result grants no (action, resource) pair the envelope does not grant, keeps the
 * envelope's Deny statements, and carries no conditions, principals or Not* elements.
 */
export function narrowToEnvelope(catalogue: Catalogue, envelope: PolicyDocument, answer: { Statement: unknown[] }): NarrowResult {
  const env = indexEnvelope(catalogue, envelope);
  const warnings: Problem[] = [];
  const justifications: Justification[] = [];
  const allows: Statement[] = [];
  const sids = new Set<string>(env.denies.map((d) => d.Sid ?? "").filter(Boolean));
  const warn = (code: ProblemCode, path: string, message: string) => warnings.push({ code, path, message });
  const uniqueSid = (base: string): string => {
    let sid = base;
    for (let n = 2; sids.has(sid); n++) sid = `${base}${n}`;
    sids.add(sid);
    return sid;
  };

  answer.Statement.forEach((raw, i) => {
    const path = `answer.Statement[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      warn("draft.dropped", path, `dropped: the statement is ${show(raw, 40)}, not an object`);
      return;
    }
    const st = raw as Record<string, unknown>;
    const effect = own(st, "Effect");
    if (effect !== "Allow") {
      warn(
        "draft.dropped",
        `${path}.Effect`,
        effect === "Deny"
          ? "dropped: the model may only choose among the envelope's Allow statements, not add Deny statements (the envelope's own Deny statements are always kept)"
          : `dropped: Effect ${show(effect, 30)} is not "Allow"`,
      );
      return;
    }
    const inverting = INVERTING_KEYS.filter((k) => own(st, k) !== undefined);
    if (inverting.length > 0) {
      warn(
        "draft.dropped",
        `${path}.${inverting[0]}`,
        `dropped: the statement uses ${inverting.join(", ")}, which the drafter never accepts (a Principal does not belong in an identity policy; Not* elements grant everything else)`,
      );
      return;
    }
    for (const key of Object.keys(st)) {
      if (!KNOWN_KEYS.has(key) && !INVERTING_KEYS.includes(key)) warn("draft.unknown-element", `${path}`, `ignored: unknown element ${show(key, 40)}`);
    }
    if (own(st, "Condition") !== undefined) {
      warn(
        "draft.condition-dropped",
        `${path}.Condition`,
        `dropped the model's Condition ${show(own(st, "Condition"), 60)}: conditions cannot be verified as a narrowing; the expiry condition is added at grant`,
      );
    }
    const actions = strings(own(st, "Action"), "Action");
    const resources = strings(own(st, "Resource"), "Resource");
    if (typeof actions === "string" || typeof resources === "string") {
      warn("draft.dropped", path, `dropped: ${typeof actions === "string" ? actions : String(resources)}`);
      return;
    }

    // Actions: exact envelope actions; wildcards expanded and cut down to the envelope.
    const kept = new Map<string, { full: string; resources: string[] }>(); // lower-case → grant
    actions.forEach((a, j) => {
      const apath = `${path}.Action[${j}]`;
      const service = a.includes(":") ? (a.split(":")[0] ?? "").toLowerCase() : "";
      if (/[*?]/.test(a)) {
        const covered =
          a === "*"
            ? [...env.grants.keys()]
            : catalogue
                .expand(a)
                .map((x) => x.full.toLowerCase())
                .filter((x) => env.grants.has(x));
        const total = a === "*" ? Infinity : catalogue.expand(a).length;
        if (covered.length === 0) {
          warn("draft.dropped", apath, `dropped: the wildcard ${show(a, 60)} covers none of the envelope's actions`);
          return;
        }
        for (const c of covered) kept.set(c, env.grants.get(c) as { full: string; resources: string[] });
        warn(
          "draft.wildcard-replaced",
          apath,
          `the wildcard ${show(a, 60)} was replaced by the ${covered.length} envelope action(s) it covers${total > covered.length ? "; everything else it covers was dropped" : ""}`,
        );
        return;
      }
      const info = catalogue.action(a);
      const grant = info ? env.grants.get(info.full.toLowerCase()) : undefined;
      if (grant) {
        kept.set(grant.full.toLowerCase(), grant);
        return;
      }
      if (!info) warn("draft.dropped", apath, `dropped: ${show(a, 60)} is not a known IAM action`);
      else if (!env.services.has(service))
        warn(
          "draft.dropped",
          apath,
          `dropped: ${info.full} is in another service (${info.service}) than the request asks for (${[...env.services].sort(compare).join(", ") || "none"})`,
        );
      else warn("draft.dropped", apath, `dropped: ${info.full} is a new action, not in the built-in policy for this request`);
    });

    // Resources, per action: within one of the envelope's resources for that action.
    const byAction = new Map<string, string[]>(); // canonical action → kept resources
    const usedResource = new Set<number>();
    for (const grant of kept.values()) {
      const mine: string[] = [];
      resources.forEach((r, k) => {
        if (r.includes("${")) return; // policy variables: never (reported below)
        if (within(r, grant.resources)) {
          if (!mine.includes(r)) mine.push(r);
          usedResource.add(k);
        }
      });
      // A resource inside another kept one grants nothing more: keep the wider one only.
      const minimal = mine.filter(
        (r) =>
          !resourceWithin(
            r,
            mine.filter((o) => o !== r),
          ),
      );
      if (minimal.length > 0) byAction.set(grant.full, minimal);
    }
    resources.forEach((r, k) => {
      if (usedResource.has(k)) return;
      const rpath = `${path}.Resource[${k}]`;
      if (r.includes("${")) warn("draft.dropped", rpath, `dropped: ${show(r, 80)} uses a policy variable; resources must be literal ARNs`);
      else if (kept.size === 0)
        return; // said already: no action left
      else if (r === "*") warn("draft.dropped", rpath, `dropped: "*" is wider than the envelope, which names the resources for these actions`);
      else warn("draft.dropped", rpath, `dropped: ${show(r, 80)} is wider than (or outside) the envelope's resources for these actions`);
    });
    const lost = [...kept.values()].filter((g) => !byAction.has(g.full)).map((g) => g.full);
    if (lost.length > 0 && usedResource.size > 0) {
      warn(
        "draft.dropped",
        `${path}.Action`,
        `dropped: ${lost.slice(0, 5).join(", ")}${lost.length > 5 ? ` and ${lost.length - 5} more` : ""} — none of the statement's resources lies within the envelope's resources for ${lost.length === 1 ? "it" : "them"}`,
      );
    }
    if (byAction.size === 0) {
      if (kept.size > 0 || actions.length === 0) warn("draft.dropped", path, "dropped: nothing in the statement lies within the envelope");
      return;
    }

    // Group actions with the same resources into one statement each (usually exactly one).
    const groups = new Map<string, { actions: string[]; resources: string[] }>();
    for (const [action, rs] of byAction) {
      const sorted = [...rs].sort(compare);
      const key = sorted.join("\u0000");
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { actions: [], resources: sorted }));
      g.actions.push(action);
    }
    const base = cleanSid(own(st, "Sid"), `Drafted${i + 1}`);
    const why = cleanText(own(st, "justification"));
    for (const g of groups.values()) {
      const sid = uniqueSid(base);
      allows.push({ Sid: sid, Effect: "Allow", Action: [...g.actions].sort(compare), Resource: g.resources });
      if (why) justifications.push({ sid, why });
    }
  });

  return {
    policy: { Version: "2012-10-17", Statement: [...env.denies, ...allows] },
    warnings,
    justifications,
    allowStatements: allows.length,
  };
}

// ---------------------------------------------------------------------------------------------
// The same intersection as a check: a hand-written or stored policy against the request

/** One request item and the policy the built-in generator makes for it alone. */
export interface EnvelopeItem {
  /** How messages name the item, e.g. `request[1] (s3 write on "scratch/tmp/")`. */
  label: string;
  policy: PolicyDocument;
}

const MAX_PAIR_PROBLEMS = 50;

/** Does `outer` hold every operator, key and value of `inner`? (Then it is at least as narrow.) */
function conditionIncludes(outer: unknown, inner: Statement["Condition"]): boolean {
  if (inner === undefined) return true;
  if (typeof outer !== "object" || outer === null) return false;
  for (const [op, block] of Object.entries(inner)) {
    const theirs = own(outer as Record<string, unknown>, op);
    if (typeof theirs !== "object" || theirs === null) return false;
    for (const [key, value] of Object.entries(block)) {
      const mine = list(value as string | string[]).map(String);
      const got = own(theirs as Record<string, unknown>, key);
      const values = (Array.isArray(got) ? got : got === undefined ? [] : [got]).map(String);
      // Fewer values under one key narrows too (every operator here is "any of these values").
      if (values.length === 0 || !values.every((v) => mine.includes(v))) return false;
    }
  }
  return true;
}

function grantsPair(grant: { grants: EnvelopeGrant[] } | undefined, resource: string, condition: unknown): boolean {
  return grant !== undefined && grant.grants.some((g) => within(resource, g.resources) && conditionIncludes(condition, g.condition));
}

/**
 * Every (action, resource) pair an Allow statement of `policy` grants must be granted by one of
 * the request's items (its own built-in policy), with the item's conditions. Checking actions and
 * resources separately is not enough: `s3 read reports` + `s3 write scratch/tmp/` must not accept
 * PutObject on `reports/*`. A wildcard action is expanded; `*` is within only where the item
 * grants the action on `*`. Returns one problem per offending (action entry, resource entry).
 */
export function pairsOutsideEnvelope(catalogue: Catalogue, items: readonly EnvelopeItem[], policy: PolicyDocument): Problem[] {
  const indexes = items.map((it) => ({ label: it.label, index: indexEnvelope(catalogue, it.policy) }));
  const out: Problem[] = [];
  let more = 0;
  const push = (path: string, message: string) => {
    if (out.length < MAX_PAIR_PROBLEMS) out.push({ code: "guardrail.pair-outside-request", path, message });
    else more++;
  };
  const statements: unknown[] = Array.isArray(policy.Statement) ? policy.Statement : [];
  statements.forEach((raw, i) => {
    if (typeof raw !== "object" || raw === null || own(raw as Record<string, unknown>, "Effect") !== "Allow") return;
    const st = raw as Record<string, unknown>;
    const actionField = own(st, "Action");
    const resourceField = own(st, "Resource");
    const actions = strings(actionField, "Action");
    const resources = strings(resourceField, "Resource");
    if (typeof actions === "string" || typeof resources === "string") return; // the guardrails say why
    const condition = own(st, "Condition");
    const at = (field: string, value: unknown, k: number) => `policy.Statement[${i}].${field}${typeof value === "string" ? "" : `[${k}]`}`;
    actions.forEach((a, j) => {
      const expanded = /[*?]/.test(a) ? catalogue.expand(a).map((x) => x.full) : [catalogue.action(a)?.full ?? a];
      const asked = expanded.filter((x) => indexes.some((e) => e.index.all.has(x.toLowerCase())));
      const extra = expanded.filter((x) => !asked.includes(x));
      if (extra.length > 0) {
        push(
          at("Action", actionField, j),
          `${show(a)} grants ${extra.slice(0, 3).join(", ")}${extra.length > 3 ? ` and ${extra.length - 3} more` : ""}, beyond the access the request asks for; remove it or add the access level / action to request`,
        );
      }
      resources.forEach((r, k) => {
        const failing = asked.filter((x) => !indexes.some((e) => grantsPair(e.index.all.get(x.toLowerCase()), r, condition)));
        const first = failing[0];
        if (first === undefined) return;
        const key = first.toLowerCase();
        const granting = indexes
          .filter((e) => e.index.all.has(key))
          .map((e) => {
            const g = e.index.all.get(key);
            const where = [...new Set(g?.grants.flatMap((x) => x.resources) ?? [])];
            const conditional = g?.grants.some((x) => x.condition !== undefined && within(r, x.resources)) ? " (with a Condition this statement lacks)" : "";
            return `${e.label} grants ${first} only on ${where
              .slice(0, 3)
              .map((w) => show(w, 100))
              .join(", ")}${where.length > 3 ? ` and ${where.length - 3} more` : ""}${conditional}`;
          });
        const naming = indexes
          .filter((e) => !e.index.all.has(key) && [...e.index.all.values()].some((g) => g.grants.some((x) => within(r, x.resources))))
          .map((e) => e.label);
        const also =
          failing.length > 1
            ? ` (and ${failing.length - 1} more of the statement's actions: ${failing.slice(1, 4).join(", ")}${failing.length > 4 ? ", …" : ""})`
            : "";
        push(
          at("Resource", resourceField, k),
          `the pair ${first} on ${show(r, 100)}${also} is beyond the request: ${granting.join("; ")}${naming.length > 0 ? `; ${naming.join(", ")} ${naming.length === 1 ? "names" : "name"} that resource but not ${first}` : ""} — split the statement so each action has only the resources its request item grants, or ask for that access on that resource in the request`,
        );
      });
    });
  });
  if (more > 0) out.push({ code: "guardrail.too-many-problems", path: "policy", message: `… and ${more} more (action, resource) pairs beyond the request` });
  return out;
}
