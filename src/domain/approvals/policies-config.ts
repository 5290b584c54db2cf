// The config's approval policies (`auto_approve:`, `break_glass:`) beyond their schema: what a
// schema cannot say (names unique, accounts known, caps consistent, break-glass no longer than
// any request may be). Pure.
import { parseDuration } from "../duration.js";
import { problem } from "../problems.js";
import { show } from "../text.js";
import type { Config, Problem } from "../types.js";

/** Whether a rule's account is an alias or id of aws.accounts (or any id, when allow_any_account). */
function knownAccount(config: Pick<Config, "aws">, account: string): boolean {
  if (Object.hasOwn(config.aws.accounts, account)) return true;
  if (!/^\d{12}$/.test(account)) return false;
  return config.aws.allow_any_account || Object.values(config.aws.accounts).some((e) => (typeof e === "string" ? e : e.id) === account);
}

export function approvalPolicyConfigProblems(config: Pick<Config, "aws" | "auto_approve" | "break_glass" | "max_duration">): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  (config.auto_approve ?? []).forEach((rule, i) => {
    const at = `auto_approve[${i}]`;
    if (seen.has(rule.name))
      out.push(
        problem(
          "config.auto-approve-duplicate",
          `auto_approve rule name ${show(rule.name)} is used twice; records name the rule that approved a grant, so give each rule its own name`,
          `${at}.name`,
        ),
      );
    seen.add(rule.name);
    for (const [j, account] of (rule.accounts ?? []).entries()) {
      if (!knownAccount(config, account))
        out.push(
          problem(
            "config.auto-approve-account",
            `auto_approve rule ${show(rule.name)} names account ${show(account)}, which is not in aws.accounts; use one of its aliases (${Object.keys(config.aws.accounts).join(", ") || "none configured"})`,
            `${at}.accounts[${j}]`,
          ),
        );
    }
    if (rule.max_per_day !== undefined && rule.max_per_week !== undefined && rule.max_per_week < rule.max_per_day)
      out.push(
        problem(
          "config.auto-approve-caps",
          `auto_approve rule ${show(rule.name)} allows ${rule.max_per_day} grants a day but only ${rule.max_per_week} a week; raise max_per_week to at least ${rule.max_per_day} or lower max_per_day`,
          `${at}.max_per_week`,
        ),
      );
  });
  const bg = config.break_glass;
  if (bg) {
    const d = parseDuration(bg.max_duration, "config.break-glass-duration", "break_glass.max_duration");
    const max = parseDuration(config.max_duration, "config.break-glass-duration", "max_duration");
    if (!d.ok) out.push(...d.problems.map((p) => ({ ...p, message: `break_glass.max_duration: ${p.message}` })));
    else if (max.ok && d.value > max.value)
      out.push(
        problem(
          "config.break-glass-duration",
          `break_glass.max_duration ${show(bg.max_duration)} is longer than max_duration ${show(config.max_duration)}; break-glass is for short emergencies — lower it`,
          "break_glass.max_duration",
        ),
      );
  }
  return out;
}
