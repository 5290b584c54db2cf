// Onboarding: the message a new person gets when identities/ creates them — what was created, how
// to sign in, how to ask for temporary access — through Amazon SES v2 or Slack. It carries no
// secret: jit-access creates no password or access key (a secret in an e-mail or a chat message is
// neither one-time nor expiring). Never throws: a failure is a result, recorded and retried; the
// identity is created either way.
import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import type { DesiredIdentity } from "../domain/identities-plan.js";
import type { Config } from "../domain/types.js";
import { checkWebhookUrl, sendSlack, type SendOptions } from "./slack-sender.js";
import { escapeSlack } from "./slack-text.js";

export interface OnboardOutcome {
  login: string;
  status: "sent" | "failed" | "skipped";
  detail?: string;
}

export interface OnboardingText {
  subject: string;
  text: string;
}

/** The message, as plain text (no markup an e-mail client or Slack could turn into a link to elsewhere). */
export function onboardingText(person: DesiredIdentity, config: Config, repo: string): OnboardingText {
  const signIn = config.identities.onboarding.sign_in_url;
  const what =
    person.kind === "sso_user"
      ? `an AWS IAM Identity Center user "${person.name}"${person.groups.length ? ` in the groups ${person.groups.join(", ")}` : ""}`
      : `an AWS IAM user "${person.name}" in account ${config.identities.account ?? "?"}${person.managedPolicies.length || Object.keys(person.inlinePolicies).length ? ` with the baseline policies ${[...person.managedPolicies.map((a) => a.split("/").pop() ?? a), ...Object.keys(person.inlinePolicies)].join(", ")}` : " with no standing permissions"}`;
  const lines = [
    `Hello ${person.displayName ?? person.login ?? person.name},`,
    "",
    `jit-access created ${what} for your GitHub account ${person.login ?? "?"}, as reviewed in ${repo}.`,
    "",
    "How to sign in:",
    signIn ? `  ${signIn}` : "  Ask your AWS administrator for the sign-in address.",
    person.kind === "sso_user"
      ? "  IAM Identity Center sends its own invitation to set your password."
      : "  jit-access never creates passwords or access keys and never sends them; your administrator sets up your first sign-in.",
    "",
    "How to get more access, for a while:",
    `  Open an issue with the "AWS access request" form in https://github.com/${repo}/issues/new/choose`,
    "  Say what you need and why; once it is approved and merged, the access is granted and ends by itself.",
  ];
  return { subject: `Your AWS access through jit-access (${person.name})`, text: lines.join("\n") };
}

export interface OnboarderDeps {
  /** SES v2 client (tests: the fake or moto); made for onboarding.region when absent. */
  ses?: SESv2Client;
  env?: Readonly<Record<string, string | undefined>>;
  slack?: SendOptions & { allowLoopbackHttp?: boolean };
}

/** Sends the onboarding message on the channel the config names. */
export function createOnboarder(deps: OnboarderDeps = {}) {
  return async (config: Config, person: DesiredIdentity, repo: string): Promise<OnboardOutcome> => {
    const login = person.login ?? person.name;
    const o = config.identities.onboarding;
    const message = onboardingText(person, config, repo);
    if (o.channel === "none") return { login, status: "skipped", detail: "identities.onboarding.channel is none" };
    if (o.channel === "slack") {
      const name = config.notifications.slack_webhook_env;
      const url = checkWebhookUrl(name ? deps.env?.[name] : undefined, { allowLoopbackHttp: deps.slack?.allowLoopbackHttp ?? false });
      if (!url.ok) return { login, status: "failed", detail: `Slack: ${url.reason} (notifications.slack_webhook_env)` };
      const text = escapeSlack(`*${message.subject}* (for ${login})\n${message.text}`);
      const r = await sendSlack(
        url.url,
        { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: text.slice(0, 2900) } }], unfurl_links: false, unfurl_media: false },
        deps.slack,
      );
      return r.ok ? { login, status: "sent" } : { login, status: "failed", detail: `Slack: ${r.reason}` };
    }
    if (!person.email) return { login, status: "failed", detail: "no e-mail address" };
    const ses = deps.ses ?? new SESv2Client({ region: o.region ?? config.aws.region });
    try {
      await ses.send(
        new SendEmailCommand({
          FromEmailAddress: o.sender,
          Destination: { ToAddresses: [person.email] },
          Content: { Simple: { Subject: { Data: message.subject, Charset: "UTF-8" }, Body: { Text: { Data: message.text, Charset: "UTF-8" } } } },
        }),
      );
      return { login, status: "sent" };
    } catch (e) {
      return { login, status: "failed", detail: sesFailure(e, person.email, o.sender ?? "?") };
    }
  };
}

/** What an SES refusal means and what to do about it. */
export function sesFailure(e: unknown, to: string, from: string): string {
  const name = e instanceof Error ? e.name : "";
  const message = e instanceof Error ? e.message : String(e);
  if (name === "MessageRejected" && /not verified/i.test(message)) {
    return /sandbox|recipient|to address/i.test(message) || !message.includes(from)
      ? `SES refused: ${to} is not verified and the account is in the SES sandbox; verify the address in SES, or request production access — the identity was created, the message is retried`
      : `SES refused: the sender ${from} is not verified; verify it (or its domain) in SES — the identity was created, the message is retried`;
  }
  if (name === "MailFromDomainNotVerifiedException")
    return `SES refused: the sender's MAIL FROM domain is not verified — the identity was created, the message is retried`;
  if (name === "AccountSuspendedException" || name === "SendingPausedException")
    return `SES refused: sending is paused for this account (${name}) — the identity was created, the message is retried`;
  return `SES failed: ${name ? `${name}: ` : ""}${message.slice(0, 300)} — the identity was created, the message is retried`;
}
