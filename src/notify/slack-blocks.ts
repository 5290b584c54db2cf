// Slack Block Kit messages for notification events. Pure: event in, webhook payload out.
// What a message says: who, which account, how long, the access levels and services asked, and
// up to a few action names — never the policy document, never ARNs of the grant, never anything
// from the environment. Every user-written value goes through slackQuote.
import type { RequestItem } from "../domain/types.js";
import { slackLink, slackPlain, slackQuote } from "./slack-text.js";
import type { NotificationEvent, NotificationKind } from "./types.js";

export interface SlackText {
  type: "mrkdwn" | "plain_text";
  text: string;
  verbatim?: boolean;
  emoji?: boolean;
}
export type SlackBlock =
  | { type: "header"; text: SlackText }
  | { type: "section"; text?: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] }
  | { type: "divider" };

export interface SlackPayload {
  /** Fallback for notifications and clients without blocks (escaped like the blocks). */
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

/** Slack's limits: section text 3000, field 2000, header 150, at most 10 fields, 50 blocks. */
export const SLACK_LIMITS = { sectionText: 3000, field: 2000, header: 150, fields: 10, blocks: 50 } as const;

const TITLE: Record<NotificationKind, { emoji: string; verb: string }> = {
  opened: { emoji: "📝", verb: "Access requested" },
  granted: { emoji: "✅", verb: "Access granted" },
  scheduled: { emoji: "🕒", verb: "Access approved for a later start" },
  blocked: { emoji: "⛔", verb: "Request blocked" },
  failed: { emoji: "⚠️", verb: "Grant failed" },
  expiring: { emoji: "⏳", verb: "Access expires soon" },
  expired: { emoji: "⌛", verb: "Access expired" },
  revoked: { emoji: "🔒", verb: "Access revoked early" },
  "break-glass": { emoji: "🚨", verb: "Break-glass access" },
  rejected: { emoji: "🚫", verb: "Request closed without a grant" },
  "pending-reminder": { emoji: "🔔", verb: "Request waiting for approval" },
  extended: { emoji: "⏩", verb: "Access extended" },
};

const md = (text: string): SlackText => ({ type: "mrkdwn", text: cap(text, SLACK_LIMITS.sectionText), verbatim: true });
const field = (label: string, value: string): SlackText => ({ type: "mrkdwn", text: cap(`*${label}*\n${value}`, SLACK_LIMITS.field), verbatim: true });

/** Cuts already-escaped text without leaving half an entity (&am…). */
function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf("&");
  if (amp >= 0 && amp > cut.length - 6 && !cut.slice(amp).includes(";")) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** "s3: read, list (3 actions: s3:GetObject, …)"; resources are not shown (names can be sensitive). */
export function describeItems(items: RequestItem[] | undefined, maxItems = 5): string {
  if (!items?.length) return "—";
  const lines = items.slice(0, maxItems).map((i) => {
    const levels = i.access?.length ? i.access.join(", ") : "exact actions";
    const actions = i.actions?.length
      ? ` (${i.actions.length} action${i.actions.length === 1 ? "" : "s"}: ${i.actions.slice(0, 4).join(", ")}${i.actions.length > 4 ? ", …" : ""})`
      : "";
    return `• ${slackQuote(`${i.service}: ${levels}${actions}`, 200)}`;
  });
  if (items.length > maxItems) lines.push(`• … and ${items.length - maxItems} more`);
  return lines.join("\n");
}

function logins(list: string[], max = 10): string {
  if (!list.length) return "—";
  const shown = list
    .slice(0, max)
    .map((l) => slackQuote(l, 60))
    .join(", ");
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

export function buildSlackMessage(event: NotificationEvent): SlackPayload {
  const r = event.request;
  const t = TITLE[event.kind];
  const who = slackQuote(r.requester, 60);
  const account = slackQuote(r.accounts?.join(", ") ?? r.account, 80);
  const header = slackPlain(`${t.emoji} ${t.verb}: ${r.id}`, SLACK_LIMITS.header);
  const fields: SlackText[] = [field("Requester", who), field("Account", account), field("Duration", slackQuote(r.duration, 20))];
  const blocks: SlackBlock[] = [{ type: "header", text: { type: "plain_text", text: header, emoji: true } }];
  let summary: string;
  const extra: SlackBlock[] = [];

  switch (event.kind) {
    case "opened":
      summary = `*${who}* asks for *${slackQuote(r.duration, 20)}* of access to account *${account}*. Approvers, please review${event.required ? ` (${event.required} approval${event.required === 1 ? "" : "s"} needed)` : ""}.`;
      fields.push(field("Approvers", logins(event.approvers)));
      if (event.risk) fields.push(field("Risk", event.risk));
      break;
    case "granted":
      summary = `*${who}* has access to account *${account}* until *${slackQuote(event.expiresAt, 40)}*${event.scheduledFrom ? ` — the scheduled start (approved from *${slackQuote(event.scheduledFrom, 40)}*) was made by the sweep` : ""}.`;
      fields.push(field("Approved by", logins(event.approvedBy)), field("Expires", slackQuote(event.expiresAt, 40)));
      if (event.risk) fields.push(field("Risk", event.risk));
      break;
    case "scheduled":
      summary = `*${who}* was approved for access to account *${account}* from *${slackQuote(event.startsAt, 40)}* until *${slackQuote(event.expiresAt, 40)}*. Nothing is attached yet: the sweep grants it once the start has come, after checking the rules and approvals again.`;
      fields.push(
        field("Approved by", logins(event.approvedBy)),
        field("Starts", slackQuote(event.startsAt, 40)),
        field("Expires", slackQuote(event.expiresAt, 40)),
      );
      if (event.risk) fields.push(field("Risk", event.risk));
      break;
    case "blocked": {
      summary = `The request of *${who}* for account *${account}* was *not granted*:`;
      const reasons = event.reasons.slice(0, 8).map((x) => `• ${slackQuote(x, 400)}`);
      if (event.reasons.length > 8) reasons.push(`• … and ${event.reasons.length - 8} more`);
      extra.push({ type: "section", text: md(reasons.join("\n") || "• (no reason given)") });
      break;
    }
    case "failed":
      summary = `The grant for *${who}* in account *${account}* *failed* and was rolled back; no access is attached.`;
      extra.push({ type: "section", text: md(`*Reason:* ${slackQuote(event.reason, 600)}`) });
      break;
    case "expiring":
      summary = `The access of *${who}* to account *${account}* ends at *${slackQuote(event.expiresAt, 40)}* (in about 15 minutes). More time: comment /extend with a duration and a reason (e.g. /extend 2h still migrating) on the request's issue.`;
      fields.push(field("Expires", slackQuote(event.expiresAt, 40)));
      break;
    case "expired":
      summary = `The access of *${who}* to account *${account}* ended at *${slackQuote(event.expiresAt, 40)}* and was removed.`;
      break;
    case "revoked":
      summary = `The access of *${who}* to account *${account}* was revoked at *${slackQuote(event.at, 40)}*${event.by ? ` by *${slackQuote(event.by, 60)}*` : ""}.`;
      extra.push({ type: "section", text: md(`*Reason:* ${slackQuote(event.reason, 500)}`) });
      break;
    case "break-glass":
      summary = `*${slackQuote(event.by, 60)}* approved their own access to account *${account}* with *break-glass* for incident *${slackQuote(event.incident, 100)}*, until *${slackQuote(event.expiresAt, 40)}*. Nobody else approved it: review it${event.reviewIssue ? ` in issue #${event.reviewIssue}` : ""}.`;
      fields.push(field("Incident", slackQuote(event.incident, 100)), field("Expires", slackQuote(event.expiresAt, 40)));
      extra.push({ type: "section", text: md(`*Reason:* ${slackQuote(event.reason, 500)}`) });
      break;
    case "rejected": {
      const how =
        event.code === "approval.withdrawn"
          ? "was *withdrawn* by the requester"
          : event.code === "approval.expired-unapproved"
            ? "was *closed unapproved*: nobody approved it in time"
            : `was *rejected*${event.by ? ` by *${slackQuote(event.by, 60)}*` : ""}`;
      summary = `The request of *${who}* for account *${account}* ${how}; nothing was granted.`;
      fields.push(field("Code", slackQuote(event.code, 60)));
      extra.push({ type: "section", text: md(`*Reason:* ${slackQuote(event.reason, 1000)}`) });
      break;
    }
    case "pending-reminder":
      summary = `The request of *${who}* for account *${account}* is still waiting for approval; it is closed unapproved at *${slackQuote(event.closesAt, 40)}*.`;
      fields.push(field("Approvers", logins(event.approvers)), field("Closes", slackQuote(event.closesAt, 40)));
      break;
    case "extended":
      summary = `The access of *${who}* to account *${account}* was extended from *${slackQuote(event.previousExpiresAt, 40)}* to *${slackQuote(event.expiresAt, 40)}*.`;
      fields.push(field("Approved by", logins(event.approvedBy)), field("Expires", slackQuote(event.expiresAt, 40)));
      break;
  }

  blocks.push({ type: "section", text: md(summary) });
  if (r.reason !== undefined && (event.kind === "opened" || event.kind === "granted" || event.kind === "scheduled")) {
    blocks.push({ type: "section", text: md(`*Reason given:* ${slackQuote(r.reason, 500)}`) });
  }
  blocks.push({ type: "section", fields: fields.slice(0, SLACK_LIMITS.fields) });
  if (event.kind === "opened" || event.kind === "granted" || event.kind === "scheduled")
    blocks.push({ type: "section", text: md(`*Access asked*\n${describeItems(r.request)}`) });
  blocks.push(...extra);
  const links = [event.links?.pr ? slackLink(event.links.pr, "pull request") : "", event.links?.issue ? slackLink(event.links.issue, "issue") : ""].filter(
    (l) => l.startsWith("<"),
  );
  blocks.push({ type: "context", elements: [md(`jit-access · ${slackQuote(r.id, 64)}${links.length ? ` · ${links.join(" · ")}` : ""}`)] });

  return {
    text: cap(`${t.emoji} ${t.verb}: ${slackQuote(r.id, 64)} (${who} → ${account})`, 300),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
    unfurl_links: false,
    unfurl_media: false,
  };
}
