// Quotas: the policy as it will be attached (with the expiry condition and the config's condition
// blocks stamped in) must fit the AWS size quota of the mode. The limits themselves are in
// limits.ts. Pure.

import type { PolicyDocument, Statement } from "../domain/types.js";
import type { Check } from "./findings.js";
import { ROOT } from "./grammar.js";
import { policySize, quotaBreaches } from "./limits.js";
import { hasConditions, noConditions } from "../domain/conditions.js";
import { stampGrant } from "./stamp.js";
import { plural } from "./wording.js";

// A timestamp of the length stampExpiry writes, to measure the stamped policy.
const SAMPLE_EXPIRY = "2099-12-31T23:59:59Z";

/** The policy, stamped with an expiry as it will be at grant, fits the AWS size quota of the mode. */
export function checkSize(check: Check, statements: Statement[], id: unknown): void {
  if (statements.length === 0) return;
  const doc: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  if (typeof id === "string") doc.Id = id;
  const plain = policySize(doc);
  let stamped = plain;
  try {
    stamped = policySize(stampGrant(doc, SAMPLE_EXPIRY, check.conditions ?? noConditions()));
  } catch {
    // A DateLessThan aws:CurrentTime value that is not a date, or a condition that contradicts a
    // block: stamping refuses it (the pipeline says why); the size is then estimated.
    const allows = statements.filter((s) => s.Effect === "Allow").length;
    stamped = { chars: plain.chars + 72 * allows, bytes: plain.bytes + 72 * allows };
  }
  const measured = `the policy is ${plural(plain.chars, "character")} without whitespace (${stamped.chars.toLocaleString("en-US")} once the expiry${check.conditions && hasConditions(check.conditions) ? " and the configured conditions are" : " condition is"} added at grant)`;
  const fix = "drop actions or resources, merge statements, or split the request into smaller ones";
  for (const breach of quotaBreaches(stamped, check.mode)) {
    const limit = breach.limit.toLocaleString("en-US");
    if (breach.unit === "bytes") {
      check.error(
        "guardrail.policy-too-large",
        ROOT,
        `the policy is ${plural(breach.size, "byte")} of UTF-8 once stamped; an Identity Center inline policy holds at most ${limit} bytes — ${fix}`,
      );
    } else {
      const holder = breach.quota === "iam-managed-policy" ? "an IAM managed policy" : "an Identity Center permission set's inline policy";
      check.error("guardrail.policy-too-large", ROOT, `${measured}; ${holder} holds at most ${limit} — ${fix}`);
    }
  }
}
