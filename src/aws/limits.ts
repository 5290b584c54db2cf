// AWS quotas a grant can hit, checked before the call (the policy document's size) or explained
// after it (managed policies per principal). The numbers are the guardrails' (POLICY_LIMITS), so a
// policy the checks accept fits what is attached. Pure.
import type { AwsMode } from "../domain/types.js";
import { POLICY_LIMITS } from "../policy/limits.js";
import type { PrincipalRef } from "./types.js";

export const MANAGED_POLICY_MAX_CHARS = POLICY_LIMITS.iamManagedPolicyChars;
export const PERMISSION_SET_INLINE_MAX_CHARS = POLICY_LIMITS.identityCenterInlineChars;
export const PERMISSION_SET_INLINE_MAX_BYTES = POLICY_LIMITS.identityCenterInlineBytes;

export function nonWhitespaceLength(text: string): number {
  return text.replace(/\s/g, "").length;
}

/** A problem with the document's size for this mode, or undefined when it fits. */
export function policySizeProblem(document: string, mode: AwsMode): string | undefined {
  const chars = nonWhitespaceLength(document);
  if (mode === "iam" && chars > MANAGED_POLICY_MAX_CHARS) {
    return `the stamped policy has ${chars} characters without whitespace; IAM allows ${MANAGED_POLICY_MAX_CHARS} per managed policy — narrow the request or split it`;
  }
  if (mode === "identity-center") {
    if (chars > PERMISSION_SET_INLINE_MAX_CHARS)
      return `the stamped policy has ${chars} characters without whitespace; a permission set's inline policy allows ${PERMISSION_SET_INLINE_MAX_CHARS} — narrow the request or split it`;
    const bytes = Buffer.byteLength(document, "utf8");
    if (bytes > PERMISSION_SET_INLINE_MAX_BYTES)
      return `the stamped policy is ${bytes} bytes; a permission set's inline policy allows ${PERMISSION_SET_INLINE_MAX_BYTES}`;
  }
  return undefined;
}

export function attachQuotaMessage(principal: PrincipalRef, accountId: string, awsMessage: string): string {
  const what = principal.kind === "iam_role" ? "role" : "user";
  const quota = principal.kind === "iam_role" ? "Managed policies per role" : "Managed policies per user";
  return (
    `IAM ${what} ${principal.name} in account ${accountId} already has the maximum number of managed policies attached ` +
    `(IAM quota "${quota}", default 10, adjustable up to 20; AWS said: ${awsMessage}). Nothing was attached. ` +
    `Fix: raise the quota in Service Quotas (IAM → "${quota}"), detach a policy from the ${what}, or switch to aws.mode: identity-center.`
  );
}
