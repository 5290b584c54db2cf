// The task corpus (test/tasks/tasks.ts): requests engineers really write, each with the API calls
// the task needs (must be allowed) and neighbouring calls (must be denied). Each request file goes
// through the real pipeline (parse, plan), the policy is stamped with its expiry, and every call
// is decided by the project's evaluator AND by iam-simulate (AGPL, tests only), inside the window
// and after it (then everything is denied).
//
// A task marked `pending` fails today because of a known gap owned elsewhere; its test asserts
// that it still fails that way, so it turns red (and the mark must go) once the gap is closed.
import { describe, expect, it } from "vitest";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { Simulation } from "@cloud-copilot/iam-simulate";
import { parseConfig } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import type { Config, PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { evaluate, type Decision } from "../src/policy/evaluator.js";
import { planRequest } from "../src/policy/pipeline.js";
import { stampExpiry } from "../src/policy/stamp.js";
import { ACCOUNT, CONFIG_YAML, TASKS, type Call, type Task } from "./tasks/tasks.js";

const catalogue = loadCatalogue();
const NOW = new Date("2026-11-27T09:00:00Z");
const config: Config = (() => {
  const r = parseConfig(CONFIG_YAML);
  if (!r.ok) throw new Error(`task config does not load: ${JSON.stringify(r.problems)}`);
  return r.value;
})();
const configOf = (task: Task): Config =>
  task.allowedDangerous ? { ...config, allowed_dangerous_actions: [...config.allowed_dangerous_actions, ...task.allowedDangerous] } : config;

// A KMS key is usable only if its key policy lets the account's IAM policies decide; the default
// key policy does. https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
const DEFAULT_KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [{ Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }],
};

async function oracle(policy: PolicyDocument, call: Call, currentTime: string): Promise<Decision | string> {
  const simulation: Simulation = {
    ...(/^arn:aws:kms:[^:]*:\d{12}:key\//.test(call.resource) ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
    identityPolicies: [{ name: "grant", policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:user/alice`,
      action: call.action,
      resource: { resource: call.resource, accountId: ACCOUNT },
      contextVariables: { ...call.context, "aws:CurrentTime": currentTime },
    },
  };
  const result = await runSimulation(simulation, {});
  // A request on "*" for an action AWS authorizes only on "*" comes back as a wildcard result with
  // at most one simulation (none when no statement matches).
  if (result.resultType === "wildcard" && call.resource === "*" && result.results.length <= 1) {
    return ({ Allowed: "Allow", ExplicitlyDenied: "ExplicitDeny", ImplicitlyDenied: "ImplicitDeny" } as const)[result.overallResult];
  }
  if (result.resultType !== "single") return `oracle error: ${JSON.stringify(result.resultType === "error" ? result.errors : result.resultType).slice(0, 300)}`;
  return ({ Allowed: "Allow", ExplicitlyDenied: "ExplicitDeny", ImplicitlyDenied: "ImplicitDeny" } as const)[result.overallResult];
}

const isDenied = (d: Decision | string): boolean => d === "ImplicitDeny" || d === "ExplicitDeny";
const show = (c: Call): string => `${c.action} on ${c.resource}${c.context ? ` ${JSON.stringify(c.context)}` : ""}`;

/** Every way the task is not met, in words; [] when it is. */
async function check(task: Task): Promise<string[]> {
  const idMatch = /^id:\s*(\S+)\s*$/m.exec(task.request);
  const file = `access-requests/prod/2026/${idMatch?.[1] ?? "missing-id"}.yaml`;
  const config = configOf(task);
  const parsed = parseRequestFile(task.request, { file, config });
  if (!parsed.ok) return parsed.problems.map((p) => `request file: ${p.path}: ${p.message}`);
  const plan = planRequest(catalogue, {
    request: parsed.value.request,
    config,
    accountId: parsed.value.account.id,
    now: NOW,
    durationSeconds: parsed.value.durationSeconds,
  });
  const problems: string[] = [];
  const { verdict } = plan;
  if (task.refused) {
    // A task that must not be granted as asked (or only as high risk, for two approvers).
    if (verdict.ok && verdict.risk !== "high") problems.push(`plan accepted at risk ${verdict.risk}; expected refused or high risk`);
    return problems;
  }
  if (!verdict.ok) return verdict.errors.map((e) => `plan refused: ${e.path}: ${e.message}`);
  if (task.risk && verdict.risk !== task.risk) problems.push(`risk ${verdict.risk}, expected ${task.risk}`);
  const stamped = stampExpiry(plan.policy, plan.expiresAt);
  const within = NOW.toISOString();
  const after = new Date(Date.parse(plan.expiresAt) + 1000).toISOString();
  const judge = async (call: Call, time: string, want: "Allow" | "Deny"): Promise<void> => {
    const context = { ...call.context };
    const mine = evaluate(stamped, { action: call.action, resource: call.resource, currentTime: time, context });
    const theirs = await oracle(stamped, call, time);
    const ok = (d: Decision | string): boolean => (want === "Allow" ? d === "Allow" : isDenied(d));
    if (!ok(mine.decision)) problems.push(`${show(call)} at ${time}: evaluator ${mine.decision}, expected ${want} (${mine.reason})`);
    if (task.oracleBlind) {
      if (!task.oracleBlind.errors.test(theirs)) problems.push(`${show(call)}: iam-simulate now answers ${theirs}; remove oracleBlind from the task`);
    } else if (!ok(theirs)) problems.push(`${show(call)} at ${time}: iam-simulate ${theirs}, expected ${want}`);
  };
  for (const call of task.allow) {
    await judge(call, within, "Allow");
    await judge(call, after, "Deny");
  }
  for (const call of task.deny) {
    await judge(call, within, "Deny");
    await judge(call, after, "Deny");
  }
  return problems;
}

describe("task corpus", () => {
  it("covers at least 60 tasks across at least 15 services", () => {
    expect(TASKS.length).toBeGreaterThanOrEqual(60);
    const services = new Set(TASKS.flatMap((t) => [...t.allow, ...t.deny].map((c) => c.action.split(":")[0])));
    expect(services.size).toBeGreaterThanOrEqual(15);
    expect(new Set(TASKS.map((t) => t.name)).size).toBe(TASKS.length);
    for (const t of TASKS) expect(t.refused || t.allow.length > 0, t.name).toBe(true);
  });

  for (const task of TASKS) {
    if (task.pending === undefined) {
      it(task.name, async () => {
        expect(await check(task)).toEqual([]);
      });
    } else {
      const { item, fails } = task.pending;
      it(`${task.name} — pending item ${item}: still fails as known`, async () => {
        const problems = await check(task);
        // When this fails, the gap is closed: remove `pending` from the task.
        expect(problems.length, `the task now passes: remove pending (item ${item}) from ${task.name}`).toBeGreaterThan(0);
        expect(
          problems.some((p) => fails.test(p)),
          `fails differently than recorded: ${JSON.stringify(problems.slice(0, 4))}`,
        ).toBe(true);
      });
    }
  }
});
