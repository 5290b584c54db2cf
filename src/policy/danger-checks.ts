// Dangerous and destructive actions: the curated list (dangerous.ts) and combinations that
// escalate privilege are refused unless allowed_dangerous_actions accepts them (then risk high);
// destructive writes (destructive.ts) are shown to reviewers and make the request risk high. Pure.

import { CONFIG_PATH } from "../domain/config.js";
import { authorizedOnlyOnStar, type ActionInfo } from "./catalogue.js";
import { CATEGORY_LABEL, DANGEROUS_COMBINATIONS, dangerousAction, type DangerousAction } from "./dangerous.js";
import { destructiveReason } from "./destructive.js";
import type { Check, Granted, ParsedAction, ParsedResource } from "./findings.js";
import { globCovers } from "./glob.js";
import { grantUnscoped } from "./scope.js";
import { listSome, q } from "./wording.js";

/** The dangerous and destructive actions an Allow statement grants; notes every grant for combinations. */
export function checkDanger(check: Check, actions: ParsedAction[], resources: ParsedResource[]): void {
  // Dangerous actions, and the set of everything granted (for combinations).
  for (const a of actions) {
    const destructive: string[] = [];
    for (const info of a.expansion.actions) {
      const lower = info.full.toLowerCase();
      if (!check.granted.has(lower)) check.granted.set(lower, { path: a.path, full: info.full });
      const reason = destructiveReason(info);
      if (reason !== undefined) destructive.push(`${info.full} (${reason})`);
      const entry = dangerousAction(info.full);
      const needsScope = entry?.scope === "unscoped" || (!entry && info.level === "permissions-management");
      if (!entry && !needsScope) continue;
      let wide: ParsedResource | undefined;
      if (needsScope) {
        wide = resources.find((r) => unscoped(check, info, r));
        if (!wide) {
          if (entry?.scopedWhy) scopedDanger(check, a, info, entry.scopedWhy);
          continue;
        }
      }
      const danger: DangerousAction = entry ?? {
        action: info.full,
        category: "resource-exposure",
        scope: "unscoped",
        why: "changes permissions (a permissions-management action) on every resource of its type",
        source: "cloudsplaining ResourceExposure: Permissions-management actions without resource constraints",
      };
      dangerFinding(check, a, info, danger, wide);
    }
    if (destructive.length > 0) {
      check.destructive = true;
      const one = destructive.length === 1;
      const what =
        one && a.expansion.actions.length === 1
          ? `${destructive[0]} is a destructive or administrative write: it is`
          : `${q(a.raw)} grants destructive or administrative writes: ${listSome(destructive, 3)}; they are`;
      check.warn(
        "guardrail.destructive-action",
        a.path,
        `${what} left out of the write access level and make${one ? "s" : ""} the request risk high; reviewers: make sure the task needs ${one ? "it" : "them"}.`,
      );
    }
  }
}

function dangerFinding(check: Check, a: ParsedAction, info: ActionInfo, danger: DangerousAction, wide: ParsedResource | undefined): void {
  check.dangerous = true;
  const subject = a.raw.toLowerCase() === info.full.toLowerCase() ? q(info.full) : `${q(a.raw)} grants ${info.full}, which`;
  const where = wide ? ` on ${q(wide.raw)}` : "";
  const what = `${subject}${where} is a dangerous action (${CATEGORY_LABEL[danger.category]}): the holder ${danger.why}. Source: ${danger.source}.`;
  const accepted = check.cfg.allowedDangerous.find(([, p]) => globCovers(p, info.full.toLowerCase()));
  if (accepted !== undefined) {
    check.warn(
      "guardrail.dangerous-accepted",
      a.path,
      `${what} Accepted by allowed_dangerous_actions ${q(accepted[0])} in ${CONFIG_PATH}; the request is risk high.`,
    );
    return;
  }
  const scopeFix = wide ? `name the specific resources instead of ${q(wide.raw)}, or ` : "";
  check.error(
    "guardrail.dangerous-action",
    a.path,
    `${what} Remove it, ${scopeFix}if this repository accepts the risk add "${info.full}" to allowed_dangerous_actions in ${CONFIG_PATH} (approval then needs the high-risk number of approvers).`,
  );
}

/** An action that is needed on named resources but is risk high there: a warning for reviewers. */
function scopedDanger(check: Check, a: ParsedAction, info: ActionInfo, why: string): void {
  check.dangerous = true;
  const subject = a.raw.toLowerCase() === info.full.toLowerCase() ? q(info.full) : `${q(a.raw)} grants ${info.full}, which`;
  check.warn("guardrail.dangerous-scoped", a.path, `${subject} on named resources makes the request risk high: the holder ${why}.`);
}

/** Actions that together escalate privilege, anywhere in the policy; called once all statements are read. */
export function combinations(check: Check): void {
  const fired: string[][] = [];
  for (const combo of DANGEROUS_COMBINATIONS) {
    const members = combo.actions.map((x) => x.toLowerCase());
    if (!members.every((x) => check.granted.has(x))) continue;
    if (fired.some((f) => f.every((x) => members.includes(x)))) continue; // a smaller set already said it
    fired.push(members);
    check.dangerous = true;
    const grants = members.map((x) => check.granted.get(x)).filter((g): g is Granted => g !== undefined);
    const first = grants[0];
    if (!first) continue;
    const names = grants.map((g) => g.full);
    const where = grants.map((g) => `${g.full} at ${g.path}`).join(", ");
    const what = `${names.join(" + ")} in the same policy (${where}) is a dangerous combination (${CATEGORY_LABEL[combo.category]}, ${combo.name}): the holder ${combo.why}. Source: ${combo.source}.`;
    const allAccepted = names.every((n) => check.cfg.allowedDangerous.some(([, p]) => globCovers(p, n.toLowerCase())));
    if (allAccepted)
      check.warn(
        "guardrail.dangerous-combination-accepted",
        first.path,
        `${what} Accepted by allowed_dangerous_actions in ${CONFIG_PATH}; the request is risk high.`,
      );
    else {
      check.error(
        "guardrail.dangerous-combination",
        first.path,
        `${what} Remove one of them; if this repository accepts the risk add ${names.map((n) => `"${n}"`).join(" and ")} to allowed_dangerous_actions in ${CONFIG_PATH}.`,
      );
    }
  }
}

/** Does `r` leave the name of a resource of `action`'s types unscoped (e.g. `role/*`, `role/???*`)? */
function unscoped(check: Check, action: ActionInfo, r: ParsedResource): boolean {
  if (r.star || authorizedOnlyOnStar(action)) return true;
  if (!r.arn) return false; // already an error
  return grantUnscoped(check.catalogue, action.full, r.raw);
}
