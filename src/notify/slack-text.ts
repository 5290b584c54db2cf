// Text for Slack, made inert. Slack's rule: escape &, < and > in any text it parses — that alone
// turns <!channel>, <!here>, <@U123>, <#C123> and <https://evil|harmless> into visible text.
// Beyond the rule: control and bidi characters are dropped, bare @channel/@here cannot ping
// (a zero-width space follows each @), mrkdwn markers (* _ ~ `) are fenced with zero-width
// spaces so they cannot pair into formatting, lines are joined, and long text is cut. Pure.

const ZWSP = "\u200b";

// eslint-disable-next-line no-control-regex -- stripping control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Escapes exactly Slack's three control characters. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Cuts to `max` characters (code points), marking the cut with …. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, Math.max(0, max - 1)).join("")}…` : text;
}

/**
 * User text for a mrkdwn field: one line unless `multiline`, at most `max` characters before
 * escaping. The escaped result can be a little longer (&amp; is five characters).
 */
export function slackQuote(text: unknown, max = 300, multiline = false): string {
  const raw = typeof text === "string" ? text : String(text ?? "");
  let t = raw.replace(/\r\n?/g, "\n").replace(INVISIBLE, (c) => (c === "\n" ? c : ""));
  t = multiline ? t.replace(/\n{3,}/g, "\n\n") : t.replace(/\n+/g, " ");
  t = truncate(t.trim(), max);
  return escapeSlack(t)
    .replace(/@/g, `@${ZWSP}`)
    .replace(/[*_~`]/g, (c) => `${ZWSP}${c}${ZWSP}`)
    .replace(/^&gt;/gm, `${ZWSP}&gt;`);
}

/** Text for a plain_text object (header): no markup is parsed there, but it is kept to printable text. */
export function slackPlain(text: string, max = 150): string {
  return truncate(text.replace(/\r?\n/g, " ").replace(INVISIBLE, "").replace(/[<>&]/g, ""), max);
}

/** An https link `<url|label>`, or just the label when the URL is not a plain https URL. */
export function slackLink(url: string | undefined, label: string): string {
  const safeLabel = slackQuote(label, 80).replace(/\|/g, "¦");
  if (!url) return safeLabel;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return safeLabel;
  }
  if (u.protocol !== "https:" || u.username || u.password) return safeLabel;
  // URL serialisation percent-encodes spaces, < and > ; | must not end the URL part either.
  const href = u.href.replace(/\|/g, "%7C").replace(/&/g, "&amp;").replace(/</g, "%3C").replace(/>/g, "%3E");
  return `<${href}|${safeLabel}>`;
}
