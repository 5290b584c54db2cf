// Fake SES v2 SendEmail: verified identities (addresses or domains), the sandbox (recipients must
// be verified too) and the messages sent, with SES's error codes.

import { fail } from "./errors.js";

export interface SesState {
  /** Out of the sandbox: any recipient. New accounts start in it. */
  production: boolean;
  /** Verified addresses and domains, lower case. */
  verified: Set<string>;
  sent: Array<{ from: string; to: string[]; subject: string; text: string }>;
}

export function emptySes(): SesState {
  return { production: false, verified: new Set(), sent: [] };
}

function verified(state: SesState, address: string): boolean {
  const a = address.toLowerCase();
  return state.verified.has(a) || state.verified.has(a.split("@")[1] ?? "");
}

export function handleSes(state: SesState, region: string, op: string, input: Record<string, unknown>): Record<string, unknown> {
  if (op !== "SendEmail") fail("BadRequestException", `The fake SES v2 does not implement ${op}`);
  const from = typeof input.FromEmailAddress === "string" ? input.FromEmailAddress : "";
  if (!from) fail("BadRequestException", "FromEmailAddress is required");
  const to = ((input.Destination as { ToAddresses?: string[] } | undefined)?.ToAddresses ?? []).filter((x) => typeof x === "string");
  if (!to.length) fail("BadRequestException", "Destination is required");
  // SES's wording: "Email address is not verified. The following identities failed the check in region …".
  const failed = [from, ...(state.production ? [] : to)].filter((a) => !verified(state, a));
  if (failed.length)
    fail("MessageRejected", `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${failed.join(", ")}`);
  const simple = (input.Content as { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string } } } } | undefined)?.Simple;
  state.sent.push({ from, to, subject: simple?.Subject?.Data ?? "", text: simple?.Body?.Text?.Data ?? "" });
  return { MessageId: `fake-${state.sent.length}` };
}
