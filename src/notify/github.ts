// The GitHub side as a notification channel. The app already comments on the issue and pull
// request for intake, grant, block, failure, expiry and revocation; the one thing it does not
// say is the expiring-soon reminder. githubMessage builds markdown for any event (quoted with
// github/messages.quote) and githubChannel posts it through a function the caller provides
// (e.g. upsertComment on the request's issue), by default only for `expiring`.
import { quote } from "../github/messages.js";
import type { NotificationChannel, NotificationEvent, NotificationKind } from "./types.js";

export const NOTIFY_MARKER = "<!-- jit-access:notify -->";

export function githubMessage(event: NotificationEvent): string {
  const r = event.request;
  // The requester's login is schema-checked (letters, digits, hyphens), so it may mention them.
  const mention = /^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$/.test(r.requester) ? `@${r.requester}` : quote(r.requester);
  const account = quote(r.accounts?.join(", ") ?? r.account);
  let text: string;
  switch (event.kind) {
    case "opened":
      text = `📝 ${quote(r.requester)} asks for ${quote(r.duration)} of access to account ${account}. Approvers: ${event.approvers.map((a) => quote(a)).join(", ") || "the CODEOWNERS"}.`;
      break;
    case "granted":
      text = `✅ ${mention}: access to account ${account} granted until **${quote(event.expiresAt)}**${event.scheduledFrom ? ` (the scheduled start from ${quote(event.scheduledFrom)})` : ""}.`;
      break;
    case "scheduled":
      text = `🕒 ${mention}: access to account ${account} approved from **${quote(event.startsAt)}** until **${quote(event.expiresAt)}**; nothing is attached until the start.`;
      break;
    case "blocked":
      text = `⛔ Not granted:\n\n${event.reasons
        .slice(0, 20)
        .map((x) => `- ${quote(x, 600)}`)
        .join("\n")}`;
      break;
    case "failed":
      text = `⚠️ The grant failed and was rolled back: ${quote(event.reason, 800)}`;
      break;
    case "expiring":
      text = `⏳ ${mention}: your access to account ${account} ends at **${quote(event.expiresAt)}** (in about 15 minutes). Need more time? Comment \`/extend <duration> <reason>\` here.`;
      break;
    case "expired":
      text = `⌛ Access of ${quote(r.requester)} to account ${account} expired at ${quote(event.expiresAt)}.`;
      break;
    case "revoked":
      text = `🔒 Access revoked at ${quote(event.at)}${event.by ? ` by ${quote(event.by)}` : ""}: ${quote(event.reason, 500)}`;
      break;
    case "break-glass":
      text = `🚨 ${quote(event.by)} approved their own access to account ${account} with break-glass (incident ${quote(event.incident, 100)}) until ${quote(event.expiresAt)}: ${quote(event.reason, 500)}`;
      break;
    case "rejected":
      text = `🚫 Not granted (${quote(event.code)})${event.by ? ` by ${quote(event.by)}` : ""}: ${quote(event.reason, 1000)}`;
      break;
    case "pending-reminder":
      text = `🔔 Still waiting for approval by ${event.approvers.map((a) => quote(a)).join(", ") || "the CODEOWNERS"}; unless approved, this request is closed at **${quote(event.closesAt)}**.`;
      break;
    case "extended":
      text = `⏩ ${mention}: access to account ${account} extended until **${quote(event.expiresAt)}** (was ${quote(event.previousExpiresAt)}).`;
      break;
  }
  return `${NOTIFY_MARKER}\n${text}`;
}

/** post(issueNumber, body): the issue number is the request id's number. */
export function githubChannel(
  post: (issue: number, body: string, event: NotificationEvent) => Promise<void>,
  kinds: readonly NotificationKind[] = ["expiring"],
): NotificationChannel {
  return {
    name: "github",
    async send(event) {
      if (!kinds.includes(event.kind)) return;
      const issue = Number(event.request.id.split("-")[0]);
      if (!Number.isSafeInteger(issue) || issue < 1) return;
      await post(issue, githubMessage(event), event);
    },
  };
}
