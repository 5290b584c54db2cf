// Request files as a person writes them by hand and then runs `npx jit-access plan --write` on:
// the pull request check no longer commits to branches it did not make, so hand-written PRs
// carry their own policy.
import { parseConfig } from "../../src/domain/config.js";
import { parseRequestFile } from "../../src/domain/request.js";
import { setTopLevelFields } from "../../src/domain/request-file.js";
import { loadCatalogue } from "../../src/iam-data.js";
import { planRequest } from "../../src/policy/pipeline.js";
import { CONFIG } from "./app-harness.js";

/** `text` with the generated policy and generator added, as `plan --write` does. */
export function withPolicy(text: string, file: string, opts: { config?: string; now?: Date } = {}): string {
  const cfg = parseConfig(opts.config ?? CONFIG);
  if (!cfg.ok) throw new Error(`config does not load: ${JSON.stringify(cfg.problems)}`);
  const parsed = parseRequestFile(text, { file, config: cfg.value });
  if (!parsed.ok) throw new Error(`${file} does not parse: ${JSON.stringify(parsed.problems)}`);
  const plan = planRequest(loadCatalogue(), {
    request: parsed.value.request,
    config: cfg.value,
    accountId: parsed.value.account.id,
    now: opts.now ?? new Date("2026-11-27T08:00:00Z"),
    durationSeconds: parsed.value.durationSeconds,
  });
  if (!plan.verdict.ok) throw new Error(`${file} is blocked: ${JSON.stringify(plan.verdict.errors)}`);
  return setTopLevelFields(text, { generator: plan.generator, policy: plan.policy });
}
