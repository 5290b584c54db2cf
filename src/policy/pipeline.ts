// The policy pipeline for one request: generate (when the file has no policy), hold the policy to
// the envelope of what was asked, run the guardrails, stamp the expiry and prove by simulation
// that the stamped policy allows what it says until the expiry and nothing else. Pure.
import { cidrContains, grantConditions, hasConditions, parseCidr, parseIp, type GrantConditions } from "../domain/conditions.js";
import { bundleOf, planConfigFor, riskFor, type BundleRef } from "../domain/access-catalogue.js";
import { riskRank, type BundleAnalysis } from "./bundle.js";
import { accountView, requestAccounts } from "../domain/accounts.js";
import { resolveAccount, type ResolvedAccount } from "../domain/config.js";
import { prefixMessages } from "../domain/problems.js";
import { capProblems, parseRequestFile, type RequestContext } from "../domain/request.js";
import { startsAtTiming } from "../domain/scheduled-start.js";
import type { AccessRequest, Config, PolicyDocument, Problem, RequestItem, RiskTier } from "../domain/types.js";
import { show } from "../domain/text.js";
import { isoSeconds } from "../domain/time.js";
import { wildcardToRegExp, type Catalogue } from "./catalogue.js";
import { evaluate, simulate, type ActionResource, type SimulationFailure, type SimulationReport } from "./evaluator.js";
import { explainPolicy, type Explanation } from "./explain.js";
import { GENERATOR_VERSION, compressActions, generatePolicy, type ExpandedItem, type GeneratorContext } from "./generator.js";
import { checkPolicy, type Verdict } from "./guardrails.js";
import { globCovers } from "./glob.js";
import { policySize, quotaBreaches } from "./limits.js";
import { AccountGateError, accountGatedPolicy } from "./account-gate.js";
import { pairsOutsideEnvelope, type EnvelopeItem } from "./narrow.js";
import { blockApplies, blocksOf, ConditionConflict, failingContexts, passingContext } from "./grant-conditions.js";
import { stampExpiry, stampGrant } from "./stamp.js";

export interface PlanInput {
  request: AccessRequest;
  config: Config;
  accountId: string;
  /** When the grant would start; the expiry is now + duration. */
  now: Date;
  durationSeconds: number;
  /** What the request's bundle (permission set, managed policy) allows, when the caller could read it from AWS. */
  bundleAnalysis?: BundleAnalysis;
}

export interface Plan {
  id: string;
  policy: PolicyDocument;
  /** Who wrote the policy: the file's own generator field, or builtin/<n> when generated now. */
  generator: string;
  generated: boolean;
  verdict: Verdict;
  explanation: Explanation;
  expiresAt: string;
  /** The condition blocks in force for the request's account (config `conditions:`). */
  conditions: GrantConditions;
  /**
   * The policy as it would be attached if granted now: expiry and condition blocks stamped in
   * (the grant stamps the same blocks, with the expiry of its own time). Undefined when it cannot
   * be stamped (the errors say why).
   */
  attached?: PolicyDocument;
  simulation: SimulationReport & { checked: number; outside: number };
  envelope: ExpandedItem[];
  /**
   * Set for a catalogue entry that grants an existing permission set or managed policy as it is:
   * then `policy` is empty and never written or attached, and nothing is stamped.
   */
  bundle?: { ref: BundleRef; analysis?: BundleAnalysis };
  /**
   * A request in several accounts: each account's own plan (the first is this one's account).
   * `verdict` above is then all of theirs: ok only when every account's is, the highest risk,
   * every account's errors and warnings (an other account's prefixed with its name).
   */
  accounts?: AccountPlan[];
}

/** One account's part of a request in several accounts. */
export interface AccountPlan {
  account: ResolvedAccount;
  /** The request as filed for this account alone (domain/accounts.ts accountView). */
  request: AccessRequest;
  plan: Plan;
}

const RISK_ORDER: Record<RiskTier, number> = { low: 0, medium: 1, high: 2 };

/**
 * The pipeline for a request: for one in several accounts, the pipeline for each account's view,
 * judged together — the primary account's plan, with a verdict that holds for every account.
 */
export function planRequest(catalogue: Catalogue, input: PlanInput): Plan {
  const primaryPlan = planOne(catalogue, input);
  if (!input.request.accounts) return primaryPlan;
  const accounts = requestAccounts(input.config, input.request);
  if (!accounts.ok) {
    const errors = [...primaryPlan.verdict.errors, ...accounts.problems];
    return { ...primaryPlan, verdict: { ...primaryPlan.verdict, ok: false, errors } };
  }
  const [primary, ...others] = accounts.value;
  if (!primary) return primaryPlan;
  const parts: AccountPlan[] = [{ account: primary, request: accountView(input.request, primary, primary), plan: primaryPlan }];
  for (const account of others) {
    const view = accountView(input.request, primary, account);
    parts.push({ account, request: view, plan: planOne(catalogue, { ...input, request: view, accountId: account.id }) });
  }
  const named = (part: AccountPlan, problems: Problem[]): Problem[] =>
    part === parts[0] ? problems : prefixMessages(`in account ${part.account.alias ?? part.account.id}: `, problems);
  const errors = [...parts.flatMap((p) => named(p, p.plan.verdict.errors)), ...sharedSetProblems(input.config, parts)];
  const warnings = parts.flatMap((p) => named(p, p.plan.verdict.warnings));
  const risk = parts.map((p) => p.plan.verdict.risk).reduce((a, b) => (RISK_ORDER[b] > RISK_ORDER[a] ? b : a), primaryPlan.verdict.risk);
  return { ...primaryPlan, verdict: { ok: errors.length === 0, risk, errors, warnings }, accounts: parts };
}

/**
 * Identity-center mode: the accounts share the request's one permission set, whose inline policy
 * holds every account's stamped statements, each kept to its account (account-gate.ts). It must be
 * buildable and fit the inline quota, or the merge would fail; said here, before any approval.
 */
function sharedSetProblems(config: PlanInput["config"], parts: readonly AccountPlan[]): Problem[] {
  if (config.aws.mode !== "identity-center" || parts.length < 2 || parts.some((p) => p.plan.bundle)) return [];
  const each = parts.map((p) => (p.plan.attached ? { accountId: p.account.id, policy: p.plan.attached } : undefined));
  // A part that cannot be stamped has its own errors already.
  if (each.some((e) => e === undefined)) return [];
  let shared: PolicyDocument;
  try {
    shared = accountGatedPolicy(each as Array<{ accountId: string; policy: PolicyDocument }>);
  } catch (e) {
    if (e instanceof AccountGateError) return [{ code: "guardrail.principal-account-condition", path: "policy", message: e.message }];
    throw e;
  }
  return quotaBreaches(policySize(shared), "identity-center").map((b) => ({
    code: "guardrail.policy-too-large",
    path: "policy",
    message: `the ${parts.length} accounts share the request's one permission set, whose inline policy holds every account's statements kept to that account: ${b.size.toLocaleString("en-US")} ${b.unit} once stamped, and it holds at most ${b.limit.toLocaleString("en-US")} — ask for fewer accounts per request, or drop actions or resources`,
  }));
}

function planOne(catalogue: Catalogue, input: PlanInput): Plan {
  const { request } = input;
  const bundle = bundleOf(input.config, request);
  if (bundle) return planBundle(input, bundle);
  const config = planConfigFor(input.config, request);
  const genCtx: GeneratorContext = { partition: config.aws.partition, region: config.aws.region, accountId: input.accountId };
  const gen = generatePolicy(catalogue, request.request, genCtx);
  const generated = request.policy === undefined;
  const expiresAt = isoSeconds(input.now.getTime() + input.durationSeconds * 1000);
  const conditions = grantConditions(config, resolveAccount(config, request.account)?.alias);
  let policy = request.policy ?? gen.policy;
  // A generated policy that does not fit the quota once stamped is written with wildcards that
  // match exactly its actions today; the guardrails still measure the result after stamping.
  const compressed = generated && !fitsQuota(policy, expiresAt, config.aws.mode, conditions) ? compressActions(catalogue, policy) : undefined;
  if (compressed) policy = compressed;
  // When the request itself cannot be expanded, nothing is "within the request": every resource
  // of a hand-written policy is then refused rather than waved through.
  const allowedResources = gen.problems.length ? [] : gen.resources.flatMap((r) => r.resources);
  const guard = checkPolicy(catalogue, policy, { config, allowedResources, mode: config.aws.mode, conditions });

  // A generated policy left empty by the request's own faults has nothing for the guardrails to
  // judge; their "no statements" would only repeat those faults.
  const emptyFromFaults = generated && gen.problems.length > 0 && policy.Statement.length === 0;
  const errors: Problem[] = [...gen.problems, ...(emptyFromFaults ? [] : guard.errors)];
  // The compression's own wildcards are announced once below, not once per wildcard.
  const ours = compressed ? wildcardPaths(compressed) : new Set<string>();
  const warnings: Problem[] = [...guard.warnings.filter((w) => !(ours.has(w.path) && w.code === "guardrail.wildcard-expands")), ...gen.notes];
  // A wildcard inside a name is allowed (the approver sees it) but must not pass unnoticed.
  request.request.forEach((item, i) =>
    item.resources.forEach((r, j) => {
      if (/[*?]/.test(r)) {
        warnings.push({
          code: "request.resource-pattern",
          path: `request[${i}].resources[${j}]`,
          message: `${show(r)} is a pattern: it covers every ${item.service} resource whose name matches it, including ones created later; name the resources instead if you can`,
        });
      }
    }),
  );
  if (!generated && gen.problems.length === 0) {
    errors.push(...outsideEnvelope(catalogue, policy, request, genCtx), ...listPrefixProblems(catalogue, policy, gen.policy));
  }

  if (compressed) {
    const wildcards = policy.Statement.flatMap((st) => (typeof st.Action === "string" ? [st.Action] : st.Action)).filter((a) => /[*?]/.test(a));
    if (wildcards.length > 0) {
      warnings.push({
        code: "guardrail.wildcard-compacted",
        path: "policy",
        message: `the exact action list does not fit the policy size quota, so ${wildcards.join(", ")} stand for exactly the actions asked for (each matches nothing else today; actions AWS adds later under these names would match too)`,
      });
    }
  }
  const attached = stampOrExplain(policy, expiresAt, conditions, errors);
  const simulation =
    errors.length === 0 && attached ? simulatePlan(catalogue, policy, attached, conditions, expiresAt, input.now, gen.resources) : emptySimulation();
  for (const f of simulation.failures) {
    const problem: Problem = {
      code: f.got === "Unknown" ? "guardrail.simulation-unknown" : "guardrail.simulation-mismatch",
      path: "policy",
      message: `simulation: ${f.action} on ${f.resource} at ${f.time} was ${f.got}, expected ${f.expected} (${f.reason})`,
    };
    // What the evaluator cannot decide (e.g. a tag condition) is reported, never assumed allowed.
    if (f.got === "Unknown") warnings.push(problem);
    else errors.push(problem);
  }

  // A catalogue entry may set its tier (e.g. a reviewed admin bundle); otherwise the derived one.
  const verdict: Verdict = { ok: errors.length === 0, risk: riskFor(input.config, request, guard.risk), errors, warnings };
  return {
    id: request.id,
    policy,
    generator: generated ? GENERATOR_VERSION : (request.generator ?? "manual"),
    generated,
    verdict,
    explanation: explainPolicy(catalogue, policy, { risk: verdict.risk, conditions }),
    expiresAt,
    conditions,
    ...(attached ? { attached } : {}),
    simulation,
    envelope: gen.resources,
  };
}

export interface FileVerdict {
  /** Whether the file passes the file rules and the pipeline: what validate and the PR check say. */
  ok: boolean;
  /** Every error, file rules first. */
  problems: Problem[];
  /** The file as read, when the file rules pass (the pipeline may still block it). */
  parsed?: { request: AccessRequest; account: ResolvedAccount; durationSeconds: number };
  /** The pipeline's plan, whenever the items and the account were usable. */
  plan?: Plan;
}

/** Duration used to plan a file whose own duration is invalid (only the expiry depends on it). */
const FALLBACK_PLAN_SECONDS = 3600;

/**
 * The one validator of a request file, used by `validate` and `plan`: the file rules (schema,
 * path, account, duration, status) and then the whole policy pipeline, so a file passes
 * validation exactly when plan would accept it. Every problem is reported at once: the pipeline
 * runs even when a file rule failed, as long as the items and the account are usable.
 */
export function validateRequestFile(catalogue: Catalogue, input: string | Uint8Array, ctx: RequestContext & { now: Date }): FileVerdict {
  const read = parseRequestFile(input, ctx);
  if (read.ok) {
    const parsed = { request: read.value.request, account: read.value.account, durationSeconds: read.value.durationSeconds };
    const plan = planRequest(catalogue, {
      request: read.value.request,
      config: ctx.config,
      accountId: read.value.account.id,
      now: ctx.now,
      durationSeconds: read.value.durationSeconds,
    });
    // A start asked for must be ahead and not too far: judged here, where the clock is known.
    const timing = startsAtTiming(read.value.request, ctx.now, "ask");
    return { ok: plan.verdict.ok && !timing.length, problems: capProblems([...timing, ...plan.verdict.errors]), parsed, plan };
  }
  const account = read.request ? resolveAccount(ctx.config, read.request.account) : undefined;
  if (!read.request || !account) return { ok: false, problems: read.problems };
  const plan = planRequest(catalogue, {
    request: read.request,
    config: ctx.config,
    accountId: account.id,
    now: ctx.now,
    durationSeconds: FALLBACK_PLAN_SECONDS,
  });
  // The file rules and the generator may both catch the same field; the file rule's words win.
  const flagged = new Set(read.problems.map((p) => p.path));
  const more = plan.verdict.errors.filter((p) => !flagged.has(p.path));
  return { ok: false, problems: capProblems([...read.problems, ...more]), plan };
}

/**
 * A policy written by hand (or edited in the PR) may be narrower than what the built-in generator
 * would grant for the same request, never wider: every (action, resource) pair must be one that
 * some request item grants on its own.
 */
function outsideEnvelope(catalogue: Catalogue, policy: PolicyDocument, request: AccessRequest, ctx: GeneratorContext): Problem[] {
  const items: EnvelopeItem[] = request.request.map((item, i) => ({
    label: itemLabel(item, i),
    policy: generatePolicy(catalogue, [item], ctx).policy,
  }));
  return pairsOutsideEnvelope(catalogue, items, policy);
}

function itemLabel(item: RequestItem, i: number): string {
  const what = [item.access?.join("/"), item.actions ? `${item.actions.length} named action${item.actions.length === 1 ? "" : "s"}` : undefined]
    .filter(Boolean)
    .join(" + ");
  const on = (item.resources ?? [])
    .slice(0, 3)
    .map((r) => show(r, 60))
    .join(", ");
  return `request[${i}] (${show(item.service, 30).replace(/^"|"$/g, "")} ${what} on ${on}${(item.resources ?? []).length > 3 ? ", …" : ""})`;
}

/**
 * Where the request lists a bucket only under prefixes (the generated policy puts `s3:prefix`
 * on the listing), a hand-written policy must keep that limit: a statement granting such a
 * listing on that bucket needs an `s3:prefix` condition (StringLike or StringEquals) whose every
 * value lies within the request's prefixes.
 */
function listPrefixProblems(catalogue: Catalogue, policy: PolicyDocument, generated: PolicyDocument): Problem[] {
  const limits = new Map<string, { action: string; arn: string; prefixes: string[] | null }>();
  for (const st of generated.Statement) {
    if (st.Effect !== "Allow") continue;
    const values = prefixValues(st.Condition);
    for (const a of typeof st.Action === "string" ? [st.Action] : st.Action) {
      for (const arn of typeof st.Resource === "string" ? [st.Resource] : st.Resource) {
        const key = `${a.toLowerCase()}\u0000${arn}`;
        const known = limits.get(key);
        if (!values) limits.set(key, { action: a, arn, prefixes: null });
        else if (!known) limits.set(key, { action: a, arn, prefixes: [...values] });
        else if (known.prefixes) known.prefixes.push(...values);
      }
    }
  }
  const limited = [...limits.values()].filter((l) => l.prefixes !== null);
  if (limited.length === 0) return [];
  const out: Problem[] = [];
  policy.Statement.forEach((st, i) => {
    if (st.Effect !== "Allow") return;
    const actions = new Set(
      (typeof st.Action === "string" ? [st.Action] : st.Action)
        .flatMap((a) => (/[*?]/.test(a) ? catalogue.expand(a).map((x) => x.full) : [a]))
        .map((a) => a.toLowerCase()),
    );
    const resources = typeof st.Resource === "string" ? [st.Resource] : st.Resource;
    const values = prefixValues(st.Condition);
    for (const l of limited) {
      if (!actions.has(l.action.toLowerCase()) || !resources.some((r) => globCovers(r, l.arn))) continue;
      const allowed = l.prefixes ?? [];
      if (values && values.length > 0 && values.every((v) => allowed.some((g) => globCovers(g, v, true)))) continue;
      out.push({
        code: "guardrail.prefix-outside-request",
        path: `policy.Statement[${i}]`,
        message: `grants ${l.action} on ${l.arn} beyond the prefixes the request names; add Condition StringLike s3:prefix ${JSON.stringify([...new Set(allowed)].sort())} (or values within them)`,
      });
    }
  });
  return out;
}

/** The `s3:prefix` values of a StringLike or StringEquals condition, if any. */
function prefixValues(condition: PolicyDocument["Statement"][number]["Condition"]): string[] | undefined {
  for (const operator of ["StringLike", "StringEquals"]) {
    for (const [key, raw] of Object.entries(condition?.[operator] ?? {})) {
      if (key.toLowerCase() === "s3:prefix") return (Array.isArray(raw) ? raw : [raw]).map(String);
    }
  }
  return undefined;
}

/** The time-condition warning every bundle grant carries, in the PR and the plan. */
export function bundleExpiryWarning(ref: BundleRef): Problem {
  const what = ref.kind === "managed_policy" ? `the managed policy ${ref.policyArn}` : `the permission set ${ref.permissionSet}`;
  return {
    code: "request.catalogue-no-time-condition",
    path: "catalogue",
    message: `${what} is granted as it is: jit-access cannot stamp a time condition into it, so the access ends only when the EventBridge Scheduler schedule removes the ${ref.kind === "managed_policy" ? "attachment" : "assignment"} at the expiry, or when the expiry sweep runs after it${ref.kind === "permission_set" ? "; sessions already issued last until their session duration runs out" : ""}`,
  };
}

/**
 * The plan of a bundle grant: nothing is generated, narrowed, stamped or simulated (jit-access
 * writes no policy); the tier is the entry's, else what was read of the bundle, else high.
 */
function planBundle(input: PlanInput, ref: BundleRef): Plan {
  const { request } = input;
  const errors: Problem[] = [];
  if (request.policy !== undefined)
    errors.push({
      code: "request.catalogue-bundle-policy",
      path: "policy",
      message: `catalogue entry ${show(ref.entry)} grants ${ref.kind === "managed_policy" ? "a managed policy" : "a permission set"} as it is, so the request file must have no policy; remove policy (and generator)`,
    });
  const analysis = input.bundleAnalysis;
  const entryRisk = input.config.catalogue[ref.entry]?.risk;
  // The tier (and so the approvals) is the entry's, else high — never what was read here, which
  // the merge does not read again: the PR and the merge must count the same approvals.
  const risk = entryRisk ?? "high";
  const warnings: Problem[] = [bundleExpiryWarning(ref)];
  if (analysis && riskRank(analysis.risk) > riskRank(risk))
    warnings.push({
      code: "request.catalogue-bundle-riskier",
      path: "catalogue",
      message: `${ref.kind === "managed_policy" ? ref.policyArn : ref.permissionSet} allows ${analysis.adminLike ? "AdministratorAccess-like" : analysis.risk}-risk access, but catalogue entry ${show(ref.entry)} sets risk ${risk}; the approvals counted are the entry's — judge the bundle by what it allows`,
    });
  if (!analysis)
    warnings.push({
      code: "request.catalogue-bundle-unread",
      path: "catalogue",
      message: `what ${ref.kind === "managed_policy" ? ref.policyArn : ref.permissionSet} allows was not read here; the tier is ${entryRisk ? `the entry's (${entryRisk})` : "high (the entry sets none)"} — jit-access doctor reads it and says which tier it has`,
    });
  const what = ref.kind === "managed_policy" ? `attaches the managed policy \`${ref.policyArn}\`` : `assigns the permission set \`${ref.permissionSet}\``;
  const read = analysis
    ? ` Read from AWS, it allows ${analysis.adminLike ? "**AdministratorAccess-like** access" : `${analysis.risk}-risk access`}${analysis.codes.length ? ` (guardrail findings: ${analysis.codes.map((c) => `\`${c}\``).join(", ")})` : ""}.`
    : "";
  return {
    id: request.id,
    policy: { Version: "2012-10-17", Statement: [] },
    generator: `catalogue/${ref.kind}`,
    generated: false,
    verdict: { ok: errors.length === 0, risk, errors, warnings },
    explanation: { summary: `This grant ${what} as it is, until the expiry.${read}`, table: "", conditions: [] },
    expiresAt: isoSeconds(input.now.getTime() + input.durationSeconds * 1000),
    conditions: grantConditions(input.config, resolveAccount(input.config, request.account)?.alias),
    simulation: emptySimulation(),
    envelope: [],
    bundle: { ref, ...(analysis ? { analysis } : {}) },
  };
}

function emptySimulation(): SimulationReport & { checked: number; outside: number } {
  return { ok: true, failures: [], checked: 0, outside: 0 };
}

/** A concrete resource standing for an ARN pattern (wildcards filled in). */
function sample(resource: string): string {
  return resource.replace(/\*/g, "jit-sample").replace(/\?/g, "x");
}

/**
 * The policy as attached; undefined, with the reason added to `errors`, when a statement's own
 * condition contradicts a block (or its expiry cannot be read, which the guardrails report).
 */
function stampOrExplain(policy: PolicyDocument, expiresAt: string, conditions: GrantConditions, errors: Problem[]): PolicyDocument | undefined {
  try {
    return stampGrant(policy, expiresAt, conditions);
  } catch (e) {
    if (e instanceof ConditionConflict) {
      errors.push({
        code: "guardrail.condition-conflict",
        path: "policy",
        message: `${e.message} (the repository's conditions: are stamped into every grant)`,
      });
    }
    return undefined;
  }
}

function simulatePlan(
  catalogue: Catalogue,
  policy: PolicyDocument,
  stamped: PolicyDocument,
  conditions: GrantConditions,
  expiresAt: string,
  now: Date,
  envelope: ExpandedItem[],
) {
  // With condition blocks on, every call is made with a context that meets them all.
  const blocks = hasConditions(conditions) ? passingContext(conditions) : undefined;
  const withBlocks = (own: Record<string, string> | undefined): { context?: Record<string, string> } =>
    blocks || own ? { context: { ...blocks, ...own } } : {};
  const checks: ActionResource[] = [];
  const outside: ActionResource[] = [];
  const inPolicy = new Set<string>();
  const patterns = policy.Statement.filter((st) => st.Effect === "Allow")
    .flatMap((st) => (typeof st.Resource === "string" ? [st.Resource] : st.Resource))
    .map((r) => wildcardToRegExp(r));
  for (const st of policy.Statement) {
    if (st.Effect !== "Allow") continue;
    // A wildcard stands for the actions it matches today; each is checked by name.
    const actions = (typeof st.Action === "string" ? [st.Action] : st.Action).flatMap((a) => (/[*?]/.test(a) ? catalogue.expand(a).map((x) => x.full) : [a]));
    const resources = typeof st.Resource === "string" ? [st.Resource] : st.Resource;
    // A listing limited to prefixes is checked with a prefix it allows, and a listing of the
    // bucket root is denied unless another statement grants it unconditioned.
    const prefixes = prefixValues(st.Condition);
    const context = withBlocks(prefixes?.[0] !== undefined ? { "s3:prefix": sample(prefixes[0]) } : undefined);
    for (const a of actions) {
      inPolicy.add(a.toLowerCase());
      for (const r of resources) {
        checks.push({ action: a, resource: sample(r), ...context });
        if (prefixes && !/[*?]/.test(r) && !grantsUnconditioned(policy, a, r)) outside.push({ action: a, resource: r, ...withBlocks({ "s3:prefix": "" }) });
      }
    }
    // The same actions on a neighbouring resource (another bucket, table, queue...) are denied,
    // unless some resource pattern of the policy itself covers that neighbour.
    const first = actions[0];
    for (const r of resources) {
      if (!first || r === "*" || /[*?]/.test(r)) continue;
      const neighbour = `${r}-jit-outside`;
      if (!patterns.some((p) => p.test(neighbour))) outside.push({ action: first, resource: neighbour, ...withBlocks(undefined) });
      break;
    }
  }
  // Actions of the same services that the policy does not grant are denied on its resources.
  for (const e of envelope) {
    const target = e.resources.find((r) => !/[*?]/.test(r)) ?? e.resources[0];
    if (!target) continue;
    const others = catalogue
      .actionsOf(e.service)
      .map((a) => a.full)
      .filter((a) => !inPolicy.has(a.toLowerCase()))
      .sort()
      .slice(0, 3);
    for (const a of others) outside.push({ action: a, resource: sample(target), ...withBlocks(undefined) });
  }
  // Each condition block bites: the first asked call it applies to, made without its context, is denied.
  const ranges = conditions.sourceIp.map((c) => parseCidr(c)).filter((c) => c !== undefined);
  const inRange = (address: string) => {
    const ip = parseIp(address);
    return ip !== undefined && ranges.some((r) => cidrContains(r, ip));
  };
  for (const block of blocksOf(conditions)) {
    const call = checks.find((c) => blockApplies(block, c.action));
    if (!call) continue;
    const prefix = call.context?.["s3:prefix"];
    const extra: Record<string, string | string[]> = prefix !== undefined ? { "s3:prefix": prefix } : {};
    for (const context of failingContexts(conditions, block, inRange))
      outside.push({ action: call.action, resource: call.resource, context: { ...context, ...extra } });
  }
  const before = now.toISOString();
  const after = new Date(Date.parse(expiresAt) + 1000).toISOString();
  const report = simulate(stamped, checks, { before, after }, outside);
  if (blocks && report.failures.length > 0) report.failures = report.failures.map((f) => ownConditionFailure(policy, expiresAt, f, checks));
  return { ...report, ok: report.failures.length === 0, checked: checks.length, outside: outside.length };
}

/**
 * With condition blocks on, every asked call is simulated with a context that meets them; a call
 * the policy's own conditions decide (its own aws:SourceIp range, a tag) then comes out denied,
 * where without the blocks it was undecided. Such a failure is reported as Unknown (a warning, as
 * without the blocks), never as a proof that the blocks broke the grant.
 */
function ownConditionFailure(policy: PolicyDocument, expiresAt: string, f: SimulationFailure, checks: ActionResource[]): SimulationFailure {
  if (f.expected !== "Allow" || f.got !== "ImplicitDeny") return f;
  const check = checks.find((c) => c.action === f.action && c.resource === f.resource);
  const prefix = check?.context?.["s3:prefix"];
  const own = evaluate(stampExpiry(policy, expiresAt), {
    action: f.action,
    resource: f.resource,
    currentTime: f.time,
    ...(prefix !== undefined ? { context: { "s3:prefix": prefix } } : {}),
  });
  return own.decision === "Unknown" ? { ...f, got: "Unknown", reason: `${own.reason} (the policy's own condition; the configured conditions were met)` } : f;
}

/** The paths (`policy.Statement[i].Action[j]`) of the wildcard actions of a policy. */
function wildcardPaths(policy: PolicyDocument): Set<string> {
  const out = new Set<string>();
  policy.Statement.forEach((st, i) => {
    if (typeof st.Action === "string") {
      if (/[*?]/.test(st.Action)) out.add(`policy.Statement[${i}].Action`);
    } else st.Action.forEach((a, j) => /[*?]/.test(a) && out.add(`policy.Statement[${i}].Action[${j}]`));
  });
  return out;
}

function fitsQuota(policy: PolicyDocument, expiresAt: string, mode: Config["aws"]["mode"], conditions: GrantConditions): boolean {
  try {
    return quotaBreaches(policySize(stampGrant(policy, expiresAt, conditions)), mode).length === 0;
  } catch {
    return true; // what cannot be stamped is reported by the pipeline, not compressed
  }
}

/** Whether an Allow statement without an `s3:prefix` condition grants `action` on `resource`. */
function grantsUnconditioned(policy: PolicyDocument, action: string, resource: string): boolean {
  return policy.Statement.some((st) => {
    if (st.Effect !== "Allow" || prefixValues(st.Condition)) return false;
    const actions = typeof st.Action === "string" ? [st.Action] : st.Action;
    const resources = typeof st.Resource === "string" ? [st.Resource] : st.Resource;
    return actions.some((x) => globCovers(x.toLowerCase(), action.toLowerCase())) && resources.some((r) => globCovers(r, resource));
  });
}

export { riskLabel } from "./risk.js";
