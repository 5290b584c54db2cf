// Step 3 of the policy pipeline: the guardrails every policy passes, whoever wrote it (the
// built-in generator, a model, a person). Pure. The input is `unknown` because it may be a
// model's answer or a hand-edited file: nothing here trusts its shape, and nothing throws —
// every problem comes back as an error naming the place (`policy.Statement[2].Action[0]`), the
// value and the fix.
//
// This module only composes the checks, one module per concept:
//   grammar.ts           the document, statement, Condition, action-name and ARN syntax
//   catalogue-checks.ts  known services and actions, allowed_services, denied_actions, wildcards
//   containment.ts       ARN fields, `*` only where unavoidable, resources within the request
//   danger-checks.ts     dangerous actions and combinations, destructive writes
//   quotas.ts            the AWS size quota (limits.ts holds the numbers)
//   risk.ts              the risk tier, from the facts the checks record in findings.ts

import type { Statement } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import { catalogueAction } from "./catalogue-checks.js";
import { checkArnFields, checkContainment } from "./containment.js";
import { checkDanger, combinations } from "./danger-checks.js";
import { Check, type GuardrailContext, type ParsedAction, type ParsedResource, type Verdict } from "./findings.js";
import { actionSyntax, readDocument, readStatement, resourceSyntax } from "./grammar.js";
import { checkSize } from "./quotas.js";
import { describeError } from "./wording.js";

export type { GuardrailContext, Verdict } from "./findings.js";
// The helpers other modules and tests use, from the modules that own them.
export { globCovers, resourceWithin } from "./glob.js";
export { POLICY_LIMITS, policySize } from "./limits.js";
export { EC2_ID_PREFIXES, grantUnscoped, namesUnscoped } from "./scope.js";
export { closest } from "./wording.js";

export function checkPolicy(catalogue: Catalogue, policy: unknown, ctx: GuardrailContext): Verdict {
  const check = new Check(catalogue, ctx);
  try {
    checkDocument(check, policy);
  } catch (e) {
    // A bug or a hostile object (a throwing getter, a Proxy): never a pass.
    check.error("guardrail.unreadable", "", `the policy could not be checked (${describeError(e)}); it is refused — write it as plain JSON`);
  }
  return check.verdict();
}

function checkDocument(check: Check, policy: unknown): void {
  const doc = readDocument(check, policy);
  if (!doc) return;
  const normalized: Statement[] = [];
  for (const item of doc.items) {
    const st = readStatement(check, item.value, item.path);
    if (!st) continue;
    const actions: ParsedAction[] = [];
    for (const entry of st.actions) {
      const name = actionSyntax(check, entry.value, entry.path);
      const a = name && catalogueAction(check, name, entry.path, st.isAllow);
      if (a) actions.push(a);
    }
    const resources: ParsedResource[] = [];
    for (const entry of st.resources) {
      const r = resourceSyntax(check, entry.value, entry.path);
      if (r) resources.push(st.isAllow && r.arn ? checkArnFields(check, { ...r, arn: r.arn }) : r);
    }
    if (st.isAllow) {
      checkContainment(check, st.path, actions, resources);
      checkDanger(check, actions, resources);
    }
    if (st.normalized) normalized.push(st.normalized);
  }
  combinations(check);
  checkSize(check, normalized, doc.id);
}
