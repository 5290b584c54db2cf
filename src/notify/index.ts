// The notifier the app and the sweep call: createNotifier(config, env, options).notify(event).
// Channels: Slack (when notifications.slack_webhook_env names an environment variable holding a
// https://hooks.slack.com/... URL) plus any the caller adds (githubChannel). notify() never
// throws, runs the channels side by side and returns within the send deadline (default 8 s), so
// a slow or broken Slack never blocks or rolls back a grant, an expiry or a revocation.
import type { Config } from "../domain/types.js";
import { buildSlackMessage } from "./slack-blocks.js";
import { SEND_DEFAULTS, checkWebhookUrl, sendSlack, type SendOptions } from "./slack-sender.js";
import type { Log, NotificationChannel, NotificationEvent, Notifier } from "./types.js";

export type { NotificationChannel, NotificationEvent, Notifier, RequestSummary, Links } from "./types.js";
export { buildSlackMessage } from "./slack-blocks.js";
export { checkWebhookUrl, sendSlack } from "./slack-sender.js";
export { escapeSlack, slackQuote } from "./slack-text.js";
export { EXPIRING_LABEL, EXPIRING_WINDOW_MS, expiringKey, expiringSoon, type ExpiringGrant } from "./expiring.js";
export { githubChannel, githubMessage } from "./github.js";

export interface NotifierOptions extends SendOptions {
  /** Tests only: accept http://127.0.0.1:<port>/ webhook URLs. */
  allowLoopbackHttp?: boolean;
  /** More channels, e.g. githubChannel(...). */
  channels?: NotificationChannel[];
}

export function slackChannel(url: URL, opts: SendOptions = {}): NotificationChannel {
  return {
    name: "slack",
    async send(event) {
      await sendSlack(url, buildSlackMessage(event), opts);
    },
  };
}

export function createNotifier(config: Pick<Config, "notifications">, env: Readonly<Record<string, string | undefined>>, opts: NotifierOptions = {}): Notifier {
  const log: Log = opts.log ?? ((l: string) => console.warn(l));
  const channels: NotificationChannel[] = [];
  const envName = config.notifications?.slack_webhook_env;
  if (envName) {
    const raw = Object.hasOwn(env, envName) ? env[envName] : undefined;
    const checked = checkWebhookUrl(raw, { allowLoopbackHttp: opts.allowLoopbackHttp === true });
    // The variable's value is never printed: only its name and why it is not used.
    if (checked.ok) channels.push(slackChannel(checked.url, { ...opts, log }));
    else
      log(
        `jit-access notify: Slack notifications are off: ${raw ? `${envName} is not usable (${checked.reason})` : `the environment variable ${envName} is not set`}`,
      );
  }
  channels.push(...(opts.channels ?? []));
  const guardMs = (opts.deadlineMs ?? SEND_DEFAULTS.deadlineMs) + 1000;

  return {
    channels: channels.map((c) => c.name),
    async notify(event: NotificationEvent): Promise<void> {
      await Promise.all(
        channels.map(async (c) => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          try {
            const guard = new Promise<"late">((resolve) => {
              timer = setTimeout(() => resolve("late"), guardMs);
            });
            const r = await Promise.race([c.send(event).then(() => "done" as const), guard]);
            if (r === "late") log(`jit-access notify: ${c.name} did not finish ${event.kind} ${event.request.id} within ${guardMs} ms; not waiting`);
          } catch (e) {
            log(`jit-access notify: ${c.name} failed for ${event.kind} ${event.request.id}: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500));
          } finally {
            clearTimeout(timer);
          }
        }),
      );
    },
  };
}
