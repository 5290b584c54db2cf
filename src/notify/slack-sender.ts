// Sends a payload to a Slack incoming webhook. The only network I/O of src/notify.
// Bounded: at most `attempts` tries, each cut off after `timeoutMs`, all within `deadlineMs`.
// Retried: HTTP 5xx, 429 (after Retry-After, capped) and connection errors. Not retried: 4xx
// (the payload or the hook is wrong; trying again cannot help) and a timeout (Slack may have
// received the message; a duplicate is worse than a late log line). Never throws.
// The webhook URL is a secret (its path is the credential): it is never logged, only its host.
import type { Log } from "./types.js";
import type { SlackPayload } from "./slack-blocks.js";
import { backoffCeiling, fullJitter, type Random } from "../backoff.js";

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface SendOptions {
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  log?: Log;
  timeoutMs?: number;
  attempts?: number;
  /** Base backoff; doubled per retry, then fully jittered (a random wait below that). */
  backoffMs?: number;
  /** Uniform in [0, 1), for the jitter (tests pin it). */
  random?: Random;
  /** Upper bound for everything, retries included. */
  deadlineMs?: number;
  now?: () => number;
}

export const SEND_DEFAULTS = { timeoutMs: 3000, attempts: 3, backoffMs: 250, deadlineMs: 8000, maxRetryAfterMs: 2000 } as const;

export type SendResult = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

export type WebhookCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Only https://hooks.slack.com/... by default. `allowLoopbackHttp` (tests only) also accepts
 * http://127.0.0.1:<port>/... ; nothing else ever.
 */
export function checkWebhookUrl(raw: string | undefined, opts: { allowLoopbackHttp?: boolean } = {}): WebhookCheck {
  if (!raw) return { ok: false, reason: "no webhook URL" };
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return { ok: false, reason: "the webhook URL is not a URL" };
  }
  if (u.username || u.password) return { ok: false, reason: "the webhook URL must not carry credentials" };
  if (u.protocol === "https:" && u.hostname === "hooks.slack.com" && (u.port === "" || u.port === "443") && u.pathname.startsWith("/"))
    return { ok: true, url: u };
  if (opts.allowLoopbackHttp && u.protocol === "http:" && u.hostname === "127.0.0.1") return { ok: true, url: u };
  return { ok: false, reason: `webhook URLs must be https://hooks.slack.com/... (got host ${JSON.stringify(u.host)}, scheme ${u.protocol.replace(":", "")})` };
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function sendSlack(url: URL, payload: SlackPayload, opts: SendOptions = {}): Promise<SendResult> {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? ((l: string) => console.warn(l));
  const timeoutMs = opts.timeoutMs ?? SEND_DEFAULTS.timeoutMs;
  const attempts = Math.max(1, Math.min(opts.attempts ?? SEND_DEFAULTS.attempts, 5));
  const backoff = opts.backoffMs ?? SEND_DEFAULTS.backoffMs;
  const deadline = now() + (opts.deadlineMs ?? SEND_DEFAULTS.deadlineMs);
  const body = JSON.stringify(payload);
  const where = `slack webhook (${url.host})`;
  let reason = "not sent";

  for (let attempt = 1; attempt <= attempts; attempt++) {
    const left = deadline - now();
    if (left <= 0) return fail(attempt - 1, `${reason}; gave up at the ${opts.deadlineMs ?? SEND_DEFAULTS.deadlineMs} ms deadline`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), Math.min(timeoutMs, left));
    let retryAfterMs: number | undefined;
    try {
      const res = await doFetch(url.href, { method: "POST", headers: { "content-type": "application/json; charset=utf-8" }, body, signal: controller.signal });
      const text = (await res.text().catch(() => "")).slice(0, 200);
      if (res.status >= 200 && res.status < 300) return { ok: true, attempts: attempt };
      reason = `HTTP ${res.status}${text ? ` ${JSON.stringify(text)}` : ""}`;
      if (res.status === 429) {
        const ra = Number(res.headers.get("retry-after"));
        retryAfterMs = Number.isFinite(ra) && ra >= 0 ? Math.min(ra * 1000, SEND_DEFAULTS.maxRetryAfterMs) : undefined;
      } else if (res.status < 500) return fail(attempt, `${reason} (not retried)`);
    } catch (e) {
      if (controller.signal.aborted) return fail(attempt, `no answer within ${Math.min(timeoutMs, left)} ms (not retried: the message may have arrived)`);
      reason = `connection failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 200);
    } finally {
      clearTimeout(timer);
    }
    if (attempt < attempts) {
      // Retry-After is Slack's own answer; only our guess is jittered (a burst of notifications
      // that failed together must not retry together).
      const wait = retryAfterMs ?? fullJitter(backoffCeiling(backoff, Number.POSITIVE_INFINITY, attempt - 1), opts.random);
      if (now() + wait >= deadline) return fail(attempt, `${reason}; no time left to retry`);
      log(`jit-access notify: ${where} attempt ${attempt}/${attempts} failed (${reason}); retrying in ${wait} ms`);
      await sleep(wait);
    }
  }
  return fail(attempts, reason);

  function fail(n: number, why: string): SendResult {
    log(`jit-access notify: ${where} not delivered after ${n} attempt(s): ${why}`);
    return { ok: false, attempts: n, reason: why };
  }
}
