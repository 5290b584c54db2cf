// The limits a policy must fit: AWS's quotas on policy size (IAM and IAM Identity Center user
// guides) and our own caps on pathological input. Defined here once; the guardrails, AWS planning
// and the report all read them from this module. Pure.
import type { AwsMode } from "../domain/types.js";

export const POLICY_LIMITS = {
  /** Customer managed policy document, whitespace not counted. */
  iamManagedPolicyChars: 6144,
  /** Identity Center permission set inline policy, whitespace not counted. */
  identityCenterInlineChars: 10240,
  identityCenterInlineBytes: 32768,
  /** Ours: a JIT grant never needs more; stops pathological input before any real work. */
  maxStatements: 100,
  maxEntriesPerElement: 500,
  maxActionLength: 256,
  maxResourceLength: 2048,
  maxConditionOperators: 50,
  maxConditionKeys: 50,
  maxConditionValues: 500,
  maxProblems: 100,
} as const;

/** Policy size as AWS counts it: JSON without whitespace outside strings; and UTF-8 bytes. */
export function policySize(policy: unknown): { chars: number; bytes: number } {
  const text = JSON.stringify(policy) ?? "";
  return { chars: text.length, bytes: utf8Length(text) };
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** A size quota a policy breaks: which quota, in which unit, its limit and the policy's size. */
export interface QuotaBreach {
  quota: "iam-managed-policy" | "identity-center-inline";
  unit: "characters" | "bytes";
  limit: number;
  size: number;
}

/** Every AWS size quota a policy of `size` breaks in `mode`; empty when it fits. */
export function quotaBreaches(size: { chars: number; bytes: number }, mode: AwsMode): QuotaBreach[] {
  const out: QuotaBreach[] = [];
  if (mode === "iam") {
    if (size.chars > POLICY_LIMITS.iamManagedPolicyChars)
      out.push({ quota: "iam-managed-policy", unit: "characters", limit: POLICY_LIMITS.iamManagedPolicyChars, size: size.chars });
    return out;
  }
  if (size.chars > POLICY_LIMITS.identityCenterInlineChars)
    out.push({ quota: "identity-center-inline", unit: "characters", limit: POLICY_LIMITS.identityCenterInlineChars, size: size.chars });
  if (size.bytes > POLICY_LIMITS.identityCenterInlineBytes)
    out.push({ quota: "identity-center-inline", unit: "bytes", limit: POLICY_LIMITS.identityCenterInlineBytes, size: size.bytes });
  return out;
}
