// The access catalogue (`catalogue:` in the config) and the per-account limits (`aws.accounts.<alias>.
// max_duration`, `.eligible`): what an entry grants, who may ask for it, for how long, and who
// approves it. Pure. A broken entry is reported by validate/doctor and refuses only the requests
// that pick it; the rest of the config keeps working.
import { accountNames } from "./accounts.js";
import { resolveAccount, type ResolvedAccount } from "./config.js";
import { accountEntry } from "./config.js";
import { parseDuration } from "./duration.js";
import { normalizeLogin, normalizeTeam } from "./approvals/logins.js";
import { fail, ok, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import type { AccessRequest, CatalogueEntry, CatalogueKind, Config, Problem, RequestItem, RiskTier } from "./types.js";

/** The field each kind needs; every other kind's field is refused on it. */
export const KIND_FIELD: Record<CatalogueKind, "permission_set" | "role" | "policy_arn" | "request"> = {
  permission_set: "permission_set",
  role: "role",
  managed_policy: "policy_arn",
  template: "request",
};

/** The placeholders a template may use, filled in per request. */
export const PLACEHOLDERS = ["account_id", "region", "partition", "requester"] as const;

/** Kinds whose grant is a jit policy written by the generator (and so stamped with its expiry). */
const GENERATED_KINDS: ReadonlySet<CatalogueKind> = new Set(["role", "template"]);

/**
 * Kinds granted as they exist in AWS: the permission set is assigned, the managed policy attached.
 * jit-access writes no policy for them, so no time condition can be stamped: the access ends when
 * the EventBridge Scheduler schedule removes the assignment or attachment, or the sweep does.
 */
export const BUNDLE_KINDS: ReadonlySet<CatalogueKind> = new Set(["permission_set", "managed_policy"]);

/** What a bundle entry grants: an existing managed policy (iam mode) or permission set (identity-center mode). */
export type BundleRef = { kind: "managed_policy"; entry: string; policyArn: string } | { kind: "permission_set"; entry: string; permissionSet: string };

/** The bundle a request's catalogue entry grants, or undefined (no entry, or a role or template). */
export function bundleOf(config: Config, request: Pick<AccessRequest, "catalogue">): BundleRef | undefined {
  const entry = pickedEntry(config, request);
  const name = request.catalogue;
  if (!entry || name === undefined) return undefined;
  if (entry.kind === "managed_policy" && entry.policy_arn) return { kind: "managed_policy", entry: name, policyArn: entry.policy_arn };
  if (entry.kind === "permission_set" && entry.permission_set) return { kind: "permission_set", entry: name, permissionSet: entry.permission_set };
  return undefined;
}

/** The path under which jit-access creates its own policies, and the prefix of its own permission sets. */
const JIT_POLICY_PATH = ":policy/jit-access/";
const JIT_NAME_PREFIX = "jit-";

/** What is wrong with one entry, without I/O (an unknown team or permission set is doctor's to find). */
export function entryProblems(config: Config, name: string, entry: CatalogueEntry): Problem[] {
  const at = `catalogue.${name}`;
  const out: Problem[] = [];
  const need = KIND_FIELD[entry.kind];
  if (entry[need] === undefined)
    out.push(problem("config.catalogue-kind-field", `${at} is of kind ${entry.kind} but has no ${need}; add ${need}`, `${at}.${need}`));
  for (const [kind, field] of Object.entries(KIND_FIELD)) {
    if (field !== need && entry[field] !== undefined)
      out.push(problem("config.catalogue-kind-field", `${at}.${field} belongs to kind ${kind}, not ${entry.kind}; remove it or change kind`, `${at}.${field}`));
  }
  entry.accounts.forEach((alias, i) => {
    if (!Object.hasOwn(config.aws.accounts, alias))
      out.push(
        problem(
          "config.catalogue-unknown-account",
          `${at}.accounts[${i}] ${show(alias)} is not an alias under aws.accounts; list the account there first or remove it from the entry`,
          `${at}.accounts[${i}]`,
        ),
      );
  });
  if (entry.kind === "permission_set" && config.aws.mode !== "identity-center")
    out.push(problem("config.catalogue-mode", `${at} is a permission set, which needs aws.mode: identity-center (it is ${config.aws.mode})`, `${at}.kind`));
  if (entry.kind === "managed_policy" && config.aws.mode !== "iam")
    out.push(problem("config.catalogue-mode", `${at} attaches a managed policy, which needs aws.mode: iam (it is ${config.aws.mode})`, `${at}.kind`));
  out.push(...bundleEntryProblems(config, at, entry));
  if (entry.max_duration !== undefined) {
    const d = parseDuration(entry.max_duration, "config.duration-invalid", `${at}.max_duration`);
    if (!d.ok) out.push(...d.problems.map((p) => ({ ...p, message: `${at}.max_duration: ${p.message}` })));
  }
  entry.request?.forEach((item, i) =>
    item.resources.forEach((r, j) => {
      for (const m of r.matchAll(/\{([^{}]*)\}/g)) {
        const key = m[1] ?? "";
        if (!(PLACEHOLDERS as readonly string[]).includes(key))
          out.push(
            problem(
              "config.catalogue-placeholder",
              `${at}.request[${i}].resources[${j}] ${show(r)} uses {${key}}; the placeholders are ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`,
              `${at}.request[${i}].resources[${j}]`,
            ),
          );
      }
    }),
  );
  return out;
}

/**
 * What keeps a bundle entry from being granted safely. jit-access never takes over what it does
 * not own: a policy under its own path or a permission set named like its own per-request ones is
 * refused. A customer managed policy lives in one account, so every account of the entry must be
 * that one. And with no time condition in the bundle, the Scheduler schedule is the only expiry
 * in AWS (and what tells a rerun's own attachment from standing access), so it must be usable.
 */
function bundleEntryProblems(config: Config, at: string, entry: CatalogueEntry): Problem[] {
  if (!BUNDLE_KINDS.has(entry.kind)) return [];
  const out: Problem[] = [];
  const arn = entry.kind === "managed_policy" ? entry.policy_arn : undefined;
  if (arn !== undefined) {
    if (arn.includes(JIT_POLICY_PATH))
      out.push(
        problem(
          "config.catalogue-jit-resource",
          `${at}.policy_arn ${show(arn)} is under /jit-access/, where jit-access keeps the policies it creates per request; name a policy of your own`,
          `${at}.policy_arn`,
        ),
      );
    const owner = arn.split(":")[4];
    if (owner !== undefined && owner !== "aws")
      entry.accounts.forEach((alias, i) => {
        const id = resolveAccount(config, alias)?.id;
        if (id !== undefined && id !== owner)
          out.push(
            problem(
              "config.catalogue-policy-account",
              `${at}.accounts[${i}] ${show(alias)} is account ${id}, but the customer managed policy ${show(arn)} lives in ${owner} and can be attached only there; make one entry per account`,
              `${at}.accounts[${i}]`,
            ),
          );
      });
  }
  const ps = entry.kind === "permission_set" ? entry.permission_set : undefined;
  if (ps !== undefined && !ps.startsWith("arn:") && ps.startsWith(JIT_NAME_PREFIX))
    out.push(
      problem(
        "config.catalogue-jit-resource",
        `${at}.permission_set ${show(ps)} is named like the permission sets jit-access creates per request (jit-…); name a permission set of your own`,
        `${at}.permission_set`,
      ),
    );
  const role = config.aws.scheduler_role_arn;
  const kindText = entry.kind === "managed_policy" ? "a managed policy" : "a permission set";
  if (!role)
    out.push(
      problem(
        "config.catalogue-needs-scheduler",
        `${at} grants ${kindText} as it is, which carries no time condition: only an EventBridge Scheduler schedule ends it in AWS; set aws.scheduler_role_arn (see docs/expiry.md)`,
        `${at}.kind`,
      ),
    );
  else if (config.aws.mode === "iam") {
    const roleAccount = role.split(":")[4];
    entry.accounts.forEach((alias, i) => {
      const id = resolveAccount(config, alias)?.id;
      if (id !== undefined && id !== roleAccount)
        out.push(
          problem(
            "config.catalogue-needs-scheduler",
            `${at}.accounts[${i}] ${show(alias)} is account ${id}, but aws.scheduler_role_arn is in ${roleAccount ?? "?"}, so no schedule can detach ${kindText} there, and it carries no time condition; grant it only in ${roleAccount ?? "the scheduler role's account"}`,
            `${at}.accounts[${i}]`,
          ),
        );
    });
  }
  return out;
}

/** Everything validate/doctor report about the catalogue and the per-account limits. */
export function catalogueProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  for (const [name, entry] of Object.entries(config.catalogue ?? {})) out.push(...entryProblems(config, name, entry));
  for (const [alias, raw] of Object.entries(config.aws.accounts)) {
    const e = accountEntry(raw);
    if (e.max_duration !== undefined) {
      const d = parseDuration(e.max_duration, "config.duration-invalid", `aws.accounts.${alias}.max_duration`);
      if (!d.ok) out.push(...d.problems.map((p) => ({ ...p, message: `aws.accounts.${alias}.max_duration: ${p.message}` })));
    }
  }
  return out;
}

/** The teams named by eligibility rules and entry approvers, "@org/team" lower-cased: doctor checks they exist. */
export function catalogueTeams(config: Config): string[] {
  const out = new Set<string>();
  const add = (list: readonly string[] | undefined) => list?.forEach((a) => a.includes("/") && out.add(normalizeTeam(a) ?? a));
  for (const entry of Object.values(config.catalogue ?? {})) {
    add(entry.eligible);
    add(entry.approvers);
  }
  for (const raw of Object.values(config.aws.accounts)) add(accountEntry(raw).eligible);
  return [...out].sort();
}

/** The entry a request picks, or undefined for a request that describes its own access. */
export function pickedEntry(config: Config, request: Pick<AccessRequest, "catalogue">): CatalogueEntry | undefined {
  const name = request.catalogue;
  return name !== undefined && Object.hasOwn(config.catalogue ?? {}, name) ? config.catalogue[name] : undefined;
}

/** The role ARN a role entry grants in one account. */
export function roleArnOf(config: Config, entry: CatalogueEntry, accountId: string): string {
  const role = (entry.role ?? "").replace(/^\/+/, "");
  return `arn:${config.aws.partition}:iam::${accountId}:role/${role}`;
}

/**
 * What an entry grants in one account, as request items for the generator: a role is
 * `sts:AssumeRole` on that role's ARN, a template its items with the placeholders filled in.
 * Permission sets and managed policies are not granted through the generator: they have no items.
 */
export function entryItems(config: Config, name: string, account: ResolvedAccount, requester: string): Result<RequestItem[]> {
  const entry = Object.hasOwn(config.catalogue ?? {}, name) ? config.catalogue[name] : undefined;
  if (!entry) return fail(unknownEntry(config, name));
  if (BUNDLE_KINDS.has(entry.kind)) return ok([]);
  if (entry.kind === "role") return ok([{ service: "sts", actions: ["sts:AssumeRole"], resources: [roleArnOf(config, entry, account.id)] }]);
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    account_id: account.id,
    region: config.aws.region,
    partition: config.aws.partition,
    requester: requester.toLowerCase(),
  };
  const fill = (r: string) => r.replace(/\{(account_id|region|partition|requester)\}/g, (_m, k: keyof typeof values) => values[k]);
  return ok((entry.request ?? []).map((item) => ({ ...structuredClone(item), resources: item.resources.map(fill) })));
}

function unknownEntry(config: Config, name: string): Problem {
  const known = Object.keys(config.catalogue ?? {});
  return problem(
    "request.catalogue-unknown",
    `catalogue entry ${show(name)} is not in catalogue of .github/jit-access.yml; pick one of: ${known.length ? known.join(", ") : "none configured"}`,
    "catalogue",
  );
}

/** Request items compared as data: key order never matters, item and list order do. */
function canonical(items: readonly RequestItem[]): string {
  return JSON.stringify(items.map((i) => ({ service: i.service, access: i.access ?? null, resources: i.resources, actions: i.actions ?? null })));
}

/**
 * The catalogue and per-account rules of one request file: the entry exists and is sound, the
 * account is one of the entry's, the items are exactly what the entry grants (so a request under
 * an entry's approvers never asks for more than the entry), and the duration fits the entry's and
 * the account's max_duration.
 */
export function catalogueRequestProblems(config: Config, request: AccessRequest, account: ResolvedAccount | undefined, durationSeconds: number): Problem[] {
  const out: Problem[] = [];
  const limits: Array<{ max: string; field: string }> = [];
  const accountRaw = account?.alias !== undefined ? config.aws.accounts[account.alias] : undefined;
  const accountMax = accountRaw !== undefined ? accountEntry(accountRaw).max_duration : undefined;
  if (accountMax !== undefined && account?.alias !== undefined) limits.push({ max: accountMax, field: `aws.accounts.${account.alias}.max_duration` });

  const name = request.catalogue;
  if (name !== undefined) {
    const entry = pickedEntry(config, request);
    if (!entry) return [unknownEntry(config, name)];
    const broken = entryProblems(config, name, entry);
    if (broken.length)
      return [
        problem(
          "request.catalogue-entry-invalid",
          `catalogue entry ${show(name)} is misconfigured, so nothing is granted through it until an admin fixes it: ${broken.map((p) => p.message).join("; ")}`,
          "catalogue",
        ),
      ];
    if (account && !entry.accounts.some((a) => resolveAccount(config, a)?.id === account.id))
      out.push(
        problem(
          "request.catalogue-account",
          `catalogue entry ${show(name)} applies to ${entry.accounts.join(", ")}, not to account ${show(request.account)}; pick one of those accounts or another entry`,
          "account",
        ),
      );
    else if (account) {
      const items = entryItems(config, name, account, request.requester);
      if (!items.ok) out.push(...items.problems);
      else if (canonical(items.value) !== canonical(request.request))
        out.push(
          problem(
            "request.catalogue-items",
            `request does not match what catalogue entry ${show(name)} grants in ${request.account}; set request to exactly ${JSON.stringify(items.value)}, or remove catalogue and describe the access (then the global approvers apply)`,
            "request",
          ),
        );
    }
    if (entry.max_duration !== undefined) limits.push({ max: entry.max_duration, field: `catalogue.${name}.max_duration` });
  }
  for (const l of limits) {
    const max = parseDuration(l.max, "config.duration-invalid", l.field);
    if (!max.ok) {
      // Fail closed: a limit that cannot be read cannot be shown to hold.
      out.push(
        problem(
          "request.duration-too-long",
          `${l.field} ${show(l.max)} is not a duration, so no duration can be checked against it; ask an admin to fix it`,
          "duration",
        ),
      );
    } else if (durationSeconds > max.value)
      out.push(
        problem("request.duration-too-long", `duration ${show(request.duration)} is longer than ${l.field} ${l.max}; ask for ${l.max} or less`, "duration"),
      );
  }
  return out;
}

/** One eligibility rule a requester must pass: who may ask, and where the rule is configured. */
export interface EligibilityRule {
  source: string;
  allowed: readonly string[];
}

/** Every eligibility rule that applies to a request: each of its accounts' and its entry's (all must pass). */
export function eligibilityRules(config: Config, request: Pick<AccessRequest, "account" | "accounts" | "catalogue">): EligibilityRule[] {
  const out: EligibilityRule[] = [];
  for (const name of accountNames(config, request)) {
    const account = resolveAccount(config, name);
    const raw = account?.alias !== undefined ? config.aws.accounts[account.alias] : undefined;
    const eligible = raw !== undefined ? accountEntry(raw).eligible : undefined;
    if (eligible && account?.alias) out.push({ source: `aws.accounts.${account.alias}.eligible`, allowed: eligible });
  }
  const entry = pickedEntry(config, request);
  if (entry?.eligible && request.catalogue) out.push({ source: `catalogue.${request.catalogue}.eligible`, allowed: entry.eligible });
  return out;
}

/** The teams ("@org/team", lower-cased) whose membership of the requester must be looked up. */
export function eligibilityTeams(rules: readonly EligibilityRule[]): string[] {
  return [...new Set(rules.flatMap((r) => r.allowed.filter((a) => a.includes("/")).map((a) => normalizeTeam(a) ?? a)))].sort();
}

/**
 * The rules the requester fails. `memberships` holds the requester's membership of each team
 * (keyed "@org/team" lower-cased); a team not looked up, or a pending membership, does not admit.
 */
export function ineligibility(
  rules: readonly EligibilityRule[],
  requester: string,
  memberships: Readonly<Record<string, "active" | "pending" | undefined>>,
): Problem[] {
  const who = normalizeLogin(requester);
  return rules
    .filter(
      (rule) =>
        !who ||
        !rule.allowed.some((a) => {
          if (!a.includes("/")) return normalizeLogin(a) === who;
          const team = normalizeTeam(a);
          return team !== undefined && Object.hasOwn(memberships, team) && memberships[team] === "active";
        }),
    )
    .map((rule) =>
      problem(
        "approval.not-eligible",
        `${show(requester)} may not request this: ${rule.source} allows only ${rule.allowed.join(", ")} (team members must be active); ask an admin to add you, or ask one of them`,
        "requester",
      ),
    );
}

/** Who approves a request and how many approvals it needs: the entry's, where it sets them. */
export function approvalConfigFor(config: Config, request: Pick<AccessRequest, "catalogue">): Pick<Config, "approvers" | "required_approvals"> {
  const entry = pickedEntry(config, request);
  const approvers = entry?.approvers ?? config.approvers;
  const n = entry?.required_approvals;
  return { approvers, required_approvals: n === undefined ? config.required_approvals : { low: n, medium: n, high: n } };
}

/**
 * The risk tier an entry sets, else the one derived from its policy — except for a role, whose
 * own permissions the policy does not show: without a `risk` it is high (doctor reads what it can
 * of a bundle's content and says which tier it has).
 */
export function riskFor(config: Config, request: Pick<AccessRequest, "catalogue">, derived: RiskTier): RiskTier {
  const entry = pickedEntry(config, request);
  if (entry?.risk) return entry.risk;
  return entry && entry.kind !== "template" ? "high" : derived;
}

/**
 * The config the policy pipeline judges a catalogue request by: the services of the entry's own
 * items are allowed (the admin chose them by writing the entry); everything else is unchanged.
 */
export function planConfigFor(config: Config, request: Pick<AccessRequest, "catalogue" | "request">): Config {
  const entry = pickedEntry(config, request);
  if (!entry || !GENERATED_KINDS.has(entry.kind)) return config;
  const services = entry.kind === "role" ? ["sts"] : (entry.request ?? []).map((i) => i.service);
  const missing = services.filter((s) => !config.allowed_services.includes(s));
  return missing.length ? { ...config, allowed_services: [...config.allowed_services, ...new Set(missing)] } : config;
}

/**
 * A request drafted from the issue form with a catalogue entry picked: its items become what the
 * entry grants in its account. A request without an entry is returned as it is.
 */
export function withCatalogueItems(config: Config, request: AccessRequest): Result<AccessRequest> {
  if (request.catalogue === undefined) return ok(request);
  const account = resolveAccount(config, request.account);
  if (!account)
    return fail(
      problem(
        "request.unknown-account",
        `account ${show(request.account)} is not a known alias; use one of: ${Object.keys(config.aws.accounts).join(", ") || "none configured"}`,
        "account",
      ),
    );
  const items = entryItems(config, request.catalogue, account, request.requester);
  return items.ok ? ok({ ...request, request: items.value }) : items;
}

/** The issue form's catalogue dropdown as it should be: "none", then every entry name, sorted. */
export function catalogueFormOptions(config: Config): string[] {
  return ["none", ...Object.keys(config.catalogue ?? {}).sort()];
}

/**
 * The options of the form's `catalogue` dropdown, or why they cannot be read: undefined when the
 * form has no such field (an older form: catalogue entries cannot be picked from it).
 */
export function formCatalogueOptions(form: unknown): string[] | undefined {
  const body = (form as { body?: unknown } | undefined)?.body;
  if (!Array.isArray(body)) return undefined;
  const field = body.find((f: unknown) => (f as { id?: unknown })?.id === "catalogue") as { attributes?: { options?: unknown } } | undefined;
  const options = field?.attributes?.options;
  return Array.isArray(options) ? options.map(String) : undefined;
}

/**
 * What the pull request says about the entry a request picked (Markdown, one paragraph), or
 * undefined. Config text, not requester text — but quoted as text all the same.
 */
export function catalogueSummary(config: Config, request: Pick<AccessRequest, "catalogue">): string | undefined {
  const entry = pickedEntry(config, request);
  if (!entry || request.catalogue === undefined) return undefined;
  const text = (s: string) => s.replace(/[`*_<>[\]|\\]/g, (c) => `\\${c}`).replace(/\s+/g, " ");
  const what =
    entry.kind === "role"
      ? `assume the existing role \`${text(entry.role ?? "")}\`. The policy below allows only \`sts:AssumeRole\` on it; **what the role itself may do is not shown here** — judge it by the entry, whose risk is ${entry.risk ?? "high (not set in the entry)"}`
      : entry.kind === "managed_policy"
        ? `attach the existing managed policy \`${text(entry.policy_arn ?? "")}\` to the requester's principal, as it is`
        : entry.kind === "permission_set"
          ? `assign the existing permission set \`${text(entry.permission_set ?? "")}\` to the requester in the account, as it is`
          : `a saved request: its items are the entry's, filled in for this account`;
  return `**Catalogue entry:** \`${request.catalogue}\` — ${text(entry.description)} (${entry.kind}): ${what}.`;
}

/**
 * The tightest of the account's and the catalogue entry's max_duration for a request, in seconds
 * with the field it comes from: a grant (an extended one included) never lasts longer. Undefined
 * when neither is set; a limit that cannot be read counts as 0 (nothing may extend past it).
 */
export function narrowestLimit(
  config: Config,
  request: Pick<AccessRequest, "account" | "accounts" | "catalogue">,
): { seconds: number; field: string; max: string } | undefined {
  const out: Array<{ seconds: number; field: string; max: string }> = [];
  for (const name of accountNames(config, request)) {
    const account = resolveAccount(config, name);
    const raw = account?.alias !== undefined ? config.aws.accounts[account.alias] : undefined;
    const accountMax = raw !== undefined ? accountEntry(raw).max_duration : undefined;
    if (accountMax !== undefined && account?.alias) out.push(limitOf(accountMax, `aws.accounts.${account.alias}.max_duration`));
  }
  const entry = pickedEntry(config, request);
  if (entry?.max_duration !== undefined && request.catalogue) out.push(limitOf(entry.max_duration, `catalogue.${request.catalogue}.max_duration`));
  return out.sort((a, b) => a.seconds - b.seconds)[0];
}

function limitOf(max: string, field: string): { seconds: number; field: string; max: string } {
  const d = parseDuration(max, "config.duration-invalid", field);
  return { seconds: d.ok ? d.value : 0, field, max };
}
