// What the app writes into the message of a merge it makes itself (auto-approval, break-glass),
// and reads back when that merge is granted. The message is trusted only on a merge the app made
// (the payload's merged_by is the app): nobody else can merge as the app, so a message written by
// a person who merged is never read as a claim.
import { validSha } from "./format.js";

export type MergeClaim =
  | { kind: "rule"; requestId: string; rule: string; configSha: string; blob: string }
  | { kind: "break-glass"; requestId: string; by: string; incident: string; reason: string; at: string; configSha: string; blob: string };

/** One line, no control characters: what may go into a trailer. */
export function trailerValue(text: string, max: number): string {
  const flat = [...text]
    .map((c) => ((c.codePointAt(0) ?? 0) < 0x20 || c === "\u007f" ? " " : c))
    .join("")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The commit title and message (with trailers) for the app's own merge. */
export function claimMessage(claim: MergeClaim): { title: string; message: string } {
  if (claim.kind === "rule")
    return {
      title: `jit-access: auto-approve ${claim.requestId} by rule ${claim.rule}`,
      message: [
        `The request matched the auto_approve rule ${claim.rule} of the default branch's config.`,
        "",
        `Jit-Approval: rule`,
        `Request-Id: ${claim.requestId}`,
        `Approved-By: rule:${claim.rule}`,
        `Config-Sha: ${claim.configSha}`,
        `Request-Blob: ${claim.blob}`,
      ].join("\n"),
    };
  return {
    title: `jit-access: break-glass ${claim.requestId} by ${claim.by} (${trailerValue(claim.incident, 100)})`,
    message: [
      `${claim.by} approved their own request with /break-glass.`,
      "",
      `Jit-Approval: break-glass`,
      `Request-Id: ${claim.requestId}`,
      `Break-Glass-By: ${claim.by}`,
      `Break-Glass-Incident: ${trailerValue(claim.incident, 100)}`,
      `Break-Glass-Reason: ${trailerValue(claim.reason, 500)}`,
      `Break-Glass-At: ${claim.at}`,
      `Config-Sha: ${claim.configSha}`,
      `Request-Blob: ${claim.blob}`,
    ].join("\n"),
  };
}

/** The claim in a merge commit's message; undefined when there is none or it is not well formed. */
export function readClaim(message: string): MergeClaim | undefined {
  const fields = new Map<string, string>();
  for (const line of message.replace(/\r/g, "").split("\n")) {
    const m = /^([A-Z][A-Za-z-]+): (.+)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    // A key given twice is ambiguous: no claim.
    if (fields.has(key)) return undefined;
    fields.set(key, (m[2] as string).trim());
  }
  const kind = fields.get("Jit-Approval");
  const requestId = fields.get("Request-Id");
  const configSha = validSha(fields.get("Config-Sha"));
  const blob = validSha(fields.get("Request-Blob"));
  if (!requestId || !configSha || !blob) return undefined;
  if (kind === "rule") {
    const rule = /^rule:([a-z0-9][a-z0-9-]{0,62})$/.exec(fields.get("Approved-By") ?? "")?.[1];
    return rule ? { kind, requestId, rule, configSha, blob } : undefined;
  }
  if (kind === "break-glass") {
    const by = fields.get("Break-Glass-By");
    const incident = fields.get("Break-Glass-Incident");
    const reason = fields.get("Break-Glass-Reason");
    const at = fields.get("Break-Glass-At");
    if (!by || !incident || !reason || !at || Number.isNaN(Date.parse(at))) return undefined;
    return { kind, requestId, by, incident, reason, at, configSha, blob };
  }
  return undefined;
}
