// The policy pipeline for one request: generate (when the file has no policy), hold the policy to
// the envelope of what was asked, run the guardrails, stamp the expiry and prove by simulation
// that the stamped policy allows what it says until the expiry and nothing else. Pure.
import type { AccessRequest, Config, PolicyDocument, Problem, RequestItem, RiskTier } from "../domain/types.js";
import { show } from "../domain/text.js";
import { isoSeconds } from "../domain/time.js";
import { wildcardToRegExp, type Catalogue } from "./catalogue.js";
import { simulate, type ActionResource, type SimulationReport } from "./evaluator.js";
import { explainPolicy, type Explanation } from "./explain.js";
import { GENERATOR_VERSION, generatePolicy, type ExpandedItem, type GeneratorContext } from "./generator.js";
import { checkPolicy, type Verdict } from "./guardrails.js";
import { pairsOutsideEnvelope, type EnvelopeItem } from "./narrow.js";
import { stampExpiry } from "./stamp.js";

export interface PlanInput {
  request: AccessRequest;
  config: Config;
  accountId: string;
  /** When the grant would start; the expiry is now + duration. */
  now: Date;
  durationSeconds: number;
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
  simulation: SimulationReport & { checked: number; outside: number };
  envelope: ExpandedItem[];
}

export function planRequest(catalogue: Catalogue, input: PlanInput): Plan {
  const { request, config } = input;
  const genCtx: GeneratorContext = { partition: config.aws.partition, region: config.aws.region, accountId: input.accountId };
  const gen = generatePolicy(catalogue, request.request, genCtx);
  const generated = request.policy === undefined;
  const policy = request.policy ?? gen.policy;
  // When the request itself cannot be expanded, nothing is "within the request": every resource
  // of a hand-written policy is then refused rather than waved through.
  const allowedResources = gen.problems.length ? [] : gen.resources.flatMap((r) => r.resources);
  const guard = checkPolicy(catalogue, policy, { config, allowedResources, mode: config.aws.mode });

  const errors: Problem[] = [...gen.problems, ...guard.errors];
  const warnings: Problem[] = [...guard.warnings];
  // A wildcard inside a name is allowed (the approver sees it) but must not pass unnoticed.
  request.request.forEach((item, i) =>
    item.resources.forEach((r, j) => {
      if (/[*?]/.test(r)) {
        warnings.push({ path: `request[${i}].resources[${j}]`, message: `${show(r)} is a pattern: it covers every ${item.service} resource whose name matches it, including ones created later; name the resources instead if you can` });
      }
    }),
  );
  if (!generated && gen.problems.length === 0) errors.push(...outsideEnvelope(catalogue, policy, request, genCtx));

  const expiresAt = isoSeconds(input.now.getTime() + input.durationSeconds * 1000);
  const simulation = errors.length === 0 ? simulatePlan(catalogue, policy, expiresAt, input.now, gen.resources) : emptySimulation();
  for (const f of simulation.failures) {
    const problem = {
      path: "policy",
      message: `simulation: ${f.action} on ${f.resource} at ${f.time} was ${f.got}, expected ${f.expected} (${f.reason})`,
    };
    // What the evaluator cannot decide (e.g. a tag condition) is reported, never assumed allowed.
    if (f.got === "Unknown") warnings.push(problem);
    else errors.push(problem);
  }

  const verdict: Verdict = { ok: errors.length === 0, risk: guard.risk, errors, warnings };
  return {
    id: request.id,
    policy,
    generator: generated ? GENERATOR_VERSION : (request.generator ?? "manual"),
    generated,
    verdict,
    explanation: explainPolicy(catalogue, policy, { risk: verdict.risk }),
    expiresAt,
    simulation,
    envelope: gen.resources,
  };
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
  const what = [item.access?.join("/"), item.actions ? `${item.actions.length} named action${item.actions.length === 1 ? "" : "s"}` : undefined].filter(Boolean).join(" + ");
  const on = (item.resources ?? []).slice(0, 3).map((r) => show(r, 60)).join(", ");
  return `request[${i}] (${show(item.service, 30).replace(/^"|"$/g, "")} ${what} on ${on}${(item.resources ?? []).length > 3 ? ", …" : ""})`;
}

function emptySimulation(): SimulationReport & { checked: number; outside: number } {
  return { ok: true, failures: [], checked: 0, outside: 0 };
}

/** A concrete resource standing for an ARN pattern (wildcards filled in). */
function sample(resource: string): string {
  return resource.replace(/\*/g, "jit-sample").replace(/\?/g, "x");
}

function simulatePlan(catalogue: Catalogue, policy: PolicyDocument, expiresAt: string, now: Date, envelope: ExpandedItem[]) {
  const checks: ActionResource[] = [];
  const outside: ActionResource[] = [];
  const inPolicy = new Set<string>();
  const patterns = policy.Statement.filter((st) => st.Effect === "Allow")
    .flatMap((st) => (typeof st.Resource === "string" ? [st.Resource] : st.Resource))
    .map((r) => wildcardToRegExp(r));
  for (const st of policy.Statement) {
    if (st.Effect !== "Allow") continue;
    const actions = (typeof st.Action === "string" ? [st.Action] : st.Action).filter((a) => !/[*?]/.test(a));
    const resources = typeof st.Resource === "string" ? [st.Resource] : st.Resource;
    for (const a of actions) {
      inPolicy.add(a.toLowerCase());
      for (const r of resources) checks.push({ action: a, resource: sample(r) });
    }
    // The same actions on a neighbouring resource (another bucket, table, queue...) are denied,
    // unless some resource pattern of the policy itself covers that neighbour.
    const first = actions[0];
    for (const r of resources) {
      if (!first || r === "*" || /[*?]/.test(r)) continue;
      const neighbour = `${r}-jit-outside`;
      if (!patterns.some((p) => p.test(neighbour))) outside.push({ action: first, resource: neighbour });
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
    for (const a of others) outside.push({ action: a, resource: sample(target) });
  }
  const before = now.toISOString();
  const after = new Date(Date.parse(expiresAt) + 1000).toISOString();
  const stamped = stampExpiry(policy, expiresAt);
  const report = simulate(stamped, checks, { before, after }, outside);
  return { ...report, checked: checks.length, outside: outside.length };
}

export function riskLabel(risk: RiskTier): string {
  return { low: "low (read/list only)", medium: "medium (changes data)", high: "high (permissions, destructive, or escalation-capable actions)" }[risk];
}
