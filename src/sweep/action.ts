// The expiry sweep of the jit-access GitHub Action (command: sweep; src/action.ts dispatches, and
// scripts/build-sweep.mjs bundles it into dist/sweep.js). Inputs arrive as INPUT_<NAME> environment
// variables (GitHub upper-cases the name and keeps its hyphens), so no @actions/core is needed.
// Records go through the contents API with the given token; AWS credentials come from the
// environment (OIDC, set up by aws-actions/configure-aws-credentials before this step).
import { appendFileSync } from "node:fs";
import { retryOnboarding } from "../cli/identities.js";
import { formatProblems } from "../cli/support.js";
import { openRecords } from "./env.js";
import { DEFAULT_CONCURRENCY } from "./execute.js";
import { reportMarkdown, reportText, runSweep } from "./run.js";

type Env = Record<string, string | undefined>;

export function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

function bool(env: Env, name: string): boolean {
  const v = input(env, name).toLowerCase();
  if (v === "" || v === "false") return false;
  if (v === "true") return true;
  throw new Error(`input ${name} must be true or false, not ${JSON.stringify(v)}`);
}

/** Escapes for workflow commands (::error::), as @actions/core does. */
export function escape(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export async function runAction(env: Env = process.env, out: { write(s: string): unknown } = process.stdout): Promise<number> {
  try {
    const dryRun = bool(env, "dry-run");
    const concurrencyText = input(env, "concurrency");
    const concurrency = concurrencyText ? Number(concurrencyText) : DEFAULT_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
      throw new Error(`input concurrency must be a whole number from 1 to 64, not ${JSON.stringify(concurrencyText)}`);
    const token = input(env, "github-token");
    const configPath = input(env, "config-path");
    if (!token) throw new Error("input github-token is empty; pass the app's token from actions/create-github-app-token");
    if (!env.GITHUB_REPOSITORY) throw new Error("GITHUB_REPOSITORY is not set; this runs inside GitHub Actions");
    const opened = await openRecords({ cwd: env.GITHUB_WORKSPACE ?? process.cwd(), env, token, ...(configPath ? { configPath } : {}) });
    if (!opened.ok) {
      out.write(`::error::${escape(`${opened.file}: ${formatProblems(opened.problems)}`)}\n`);
      return 1;
    }
    const report = await runSweep(opened.value, { now: new Date(), dryRun, reconcile: true, concurrency });
    out.write(reportText(report));
    if (!dryRun) out.write(await retryOnboarding(opened.value, env));
    for (const o of report.outcome?.due ?? []) if (o.step) out.write(`::error::${escape(`${o.id}: ${o.step} failed: ${o.message ?? ""}`)}\n`);
    for (const o of report.outcome?.drift ?? []) if (o.result === "failed") out.write(`::error::${escape(`drift of ${o.requestId}: ${o.message ?? ""}`)}\n`);
    for (const e of report.plan.errors) out.write(`::error file=${escape(e.file)}::${escape(e.problems.map((p) => p.message).join("; "))}\n`);
    for (const f of report.failures) out.write(`::error::${escape(f)}\n`);
    for (const w of report.warnings) out.write(`::warning::${escape(w)}\n`);
    if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, reportMarkdown(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    out.write(`::error::${escape(`jit-access sweep: ${e instanceof Error ? e.message : String(e)}`)}\n`);
    return 1;
  }
}
