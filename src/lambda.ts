// AWS Lambda entry for GitHub webhooks through a Function URL or an HTTP API (payload format 2.0).
//
// Probot's Lambda adapter targets Probot 13 (CommonJS), so this is the thin handler on Probot 14's
// own `webhooks.verifyAndReceive`. One Probot instance per container, made at cold start with the
// secrets from Secrets Manager (src/secrets.ts). Status codes:
//   200 handled (or a replay of a signed body already handled by this container)
//   413 a body over 25 MB (GitHub's own cap; Function URLs stop at 6 MB before this runs)
//   401 missing or wrong x-hub-signature-256 — no handler runs
//   400 missing x-github-event / x-github-delivery, or a signed body that is not JSON
//   405 not POST · 415 not application/json
//   500 a handler failed (GitHub shows the delivery as failed; "Redeliver" retries it)
//   503 the app could not start (secret unreadable, weak webhook secret) — see the logs
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Probot, type ApplicationFunction, type Options as ProbotOptions } from "probot";
import { assertWebhookSecret, defaultDrafter, defaultInterpreter, jitAccess, MAX_WEBHOOK_BODY_BYTES } from "./app.js";
import { createNotifier } from "./notify/index.js";
import { SLACK_WEBHOOK_VARIABLE, secretSourceFromEnv, type AppSecrets, type SecretSource } from "./secrets.js";

/** The parts of an API Gateway v2 / Function URL event we read. */
export interface LambdaHttpEvent {
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: { http?: { method?: string } };
  /** Payload format 1.0 (REST API), accepted as well. */
  httpMethod?: string;
}

export interface LambdaHttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface LambdaHandlerOptions {
  secrets: SecretSource;
  /** The app function given the loaded secrets; default: jitAccess with Gemini keyed by the secret. */
  app?: (secrets: AppSecrets) => ApplicationFunction;
  /** Extra Probot options (tests: baseUrl, Octokit, log). */
  probot?: Partial<ProbotOptions>;
  /** Signed bodies (by hash) remembered per container to drop replays (0 turns it off). */
  recentDeliveries?: number;
  env?: Readonly<Record<string, string | undefined>>;
}

export type LambdaHandler = ((event: LambdaHttpEvent) => Promise<LambdaHttpResult>) & {
  /** Starts (once) and resolves to the container's Probot; retried after a failure. */
  ready(): Promise<Probot>;
};

const JSON_TYPE = /^\s*application\/json\s*(?:;|$)/i;

function reply(statusCode: number, body: Record<string, unknown>): LambdaHttpResult {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

function lowerCaseHeaders(headers: LambdaHttpEvent["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (typeof v === "string") out[k.toLowerCase()] = v;
  return out;
}

/** Insertion-ordered set with a size cap: the oldest id goes first. */
export class RecentIds {
  readonly #ids = new Set<string>();
  constructor(readonly capacity: number) {}
  has(id: string): boolean {
    return this.#ids.has(id);
  }
  add(id: string): void {
    if (this.capacity <= 0) return;
    this.#ids.delete(id);
    this.#ids.add(id);
    while (this.#ids.size > this.capacity) {
      const oldest = this.#ids.values().next().value;
      if (oldest === undefined) break;
      this.#ids.delete(oldest);
    }
  }
  delete(id: string): void {
    this.#ids.delete(id);
  }
}

/** The notifier's environment: the function's, with the Slack secret's URL (if any) as JIT_SLACK_WEBHOOK. */
export function notifierEnv(env: Readonly<Record<string, string | undefined>>, secrets: AppSecrets): Readonly<Record<string, string | undefined>> {
  return secrets.slackWebhookUrl ? { ...env, [SLACK_WEBHOOK_VARIABLE]: secrets.slackWebhookUrl } : env;
}

/** The production app: Gemini's key and the Slack webhook come from the secrets, not from the environment. */
function defaultApp(env: Readonly<Record<string, string | undefined>>): (secrets: AppSecrets) => ApplicationFunction {
  return (secrets) => {
    const notify = notifierEnv(env, secrets);
    const keyed = { ...env, GEMINI_API_KEY: secrets.geminiApiKey };
    return jitAccess({ drafter: defaultDrafter(keyed), interpreter: defaultInterpreter(keyed), notifierFor: (config) => createNotifier(config, notify) });
  };
}

export function createLambdaHandler(options: LambdaHandlerOptions): LambdaHandler {
  const env = options.env ?? process.env;
  const makeApp = options.app ?? defaultApp(env);
  // Hashes of handled (200) signed bodies; in flight ones are refused as duplicates too.
  const done = new RecentIds(options.recentDeliveries ?? 1000);
  const inFlight = new Set<string>();
  let starting: Promise<Probot> | undefined;

  async function start(): Promise<Probot> {
    const secrets = await options.secrets.load();
    // The Lambda is always production: refuse Probot's "development" fallback and short secrets.
    assertWebhookSecret({ NODE_ENV: "production", WEBHOOK_SECRET: secrets.webhookSecret });
    const probot = new Probot({
      appId: secrets.appId,
      privateKey: secrets.privateKey,
      secret: secrets.webhookSecret,
      logFormat: "json",
      logLevel: (env.LOG_LEVEL as ProbotOptions["logLevel"]) ?? "info",
      ...(env.GHE_HOST ? { baseUrl: `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3` } : {}),
      ...options.probot,
    });
    await probot.load(makeApp(secrets), {
      cwd: process.cwd(),
      addHandler: () => {
        throw new Error("HTTP handlers are not available in the Lambda deployment");
      },
    });
    return probot;
  }

  const ready = (): Promise<Probot> => {
    starting ??= start().catch((error: unknown) => {
      starting = undefined; // the next invocation tries again (a throttled secret read, say)
      throw error;
    });
    return starting;
  };

  const handler = async (event: LambdaHttpEvent): Promise<LambdaHttpResult> => {
    const method = (event.requestContext?.http?.method ?? event.httpMethod ?? "POST").toUpperCase();
    if (method !== "POST") return { ...reply(405, { error: "only POST (GitHub webhooks)" }), headers: { "content-type": "application/json", allow: "POST" } };

    const headers = lowerCaseHeaders(event.headers);
    const contentType = headers["content-type"];
    if (contentType !== undefined && !JSON_TYPE.test(contentType))
      return reply(415, { error: 'content type must be "application/json" (set the webhook content type to JSON)' });
    const name = headers["x-github-event"];
    const id = headers["x-github-delivery"];
    const signature = headers["x-hub-signature-256"];
    if (!signature) return reply(401, { error: "missing x-hub-signature-256" });
    if (!name || !id) return reply(400, { error: `missing ${[!name && "x-github-event", !id && "x-github-delivery"].filter(Boolean).join(", ")}` });

    const payload = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body) : "";
    if (Buffer.byteLength(payload) > MAX_WEBHOOK_BODY_BYTES)
      return reply(413, { error: `body larger than ${MAX_WEBHOOK_BODY_BYTES} bytes (GitHub sends at most 25 MB)` });

    let probot: Probot;
    try {
      probot = await ready();
    } catch (error) {
      console.error(JSON.stringify({ level: "error", msg: "jit-access could not start", err: error instanceof Error ? error.message : String(error) }));
      return reply(503, { error: "jit-access could not start; see the function's logs" });
    }

    // Checked here first only to answer 401 rather than the 400 verifyAndReceive gives both for a
    // bad signature and for bad JSON; verifyAndReceive checks again and stays the authority.
    if (!(await probot.webhooks.verify(payload, signature).catch(() => false))) {
      probot.log.warn({ id, name }, "webhook signature does not match; ignored");
      return reply(401, { error: "signature does not match" });
    }
    try {
      JSON.parse(payload);
    } catch {
      return reply(400, { error: "body is not JSON" });
    }
    // GitHub does not sign a timestamp, so a captured delivery could be replayed; Probot does not
    // dedupe. Replays are recognised by what the signature covers — the body — never by the
    // delivery id or event name, which anyone can change on a copy. Each container remembers the
    // bodies it handled. Best effort (containers do not share it): the grant path is idempotent
    // anyway (same request id → same resources, "existed").
    const key = createHash("sha256").update(payload, "utf8").digest("hex");
    if (done.has(key) || inFlight.has(key)) {
      probot.log.info({ id, name }, "replayed delivery (a signed body already handled); ignored");
      return reply(200, { ok: true, duplicate: true });
    }

    inFlight.add(key);
    try {
      await probot.webhooks.verifyAndReceive({ id, name, payload, signature });
      done.add(key);
      return reply(200, { ok: true });
    } catch (error) {
      // Signature and JSON were checked above: what fails now is a handler (its errors may carry
      // an Octokit status such as 404, which must not become ours). Defensive: a webhook-layer
      // 400 is still reported as such.
      const errors = error instanceof AggregateError ? (error.errors as Array<{ status?: unknown; message?: unknown }>) : [];
      const layer = errors[0]?.status === 400 && /signature|Invalid JSON/.test(String(errors[0]?.message ?? ""));
      if (layer) return reply(400, { error: String(errors[0]?.message) });
      probot.log.error({ id, name, err: error }, "webhook handler failed");
      return reply(500, { error: "handler failed; see the function's logs", delivery: id });
    } finally {
      inFlight.delete(key);
    }
  };
  return Object.assign(handler, { ready });
}

/** The bundle ships the IAM data next to itself (scripts/build-lambda.mjs); the template sets it too. */
function defaultIamDataDir(): void {
  if (process.env.JIT_ACCESS_IAM_DATA_DIR) return;
  const dir = join(dirname(fileURLToPath(import.meta.url)), "iam-data");
  if (existsSync(join(dir, "services.json"))) process.env.JIT_ACCESS_IAM_DATA_DIR = dir;
}

let deployed: LambdaHandler | undefined;

function deployedHandler(): LambdaHandler {
  if (!deployed) {
    defaultIamDataDir();
    // A missing JIT_SECRET_ID surfaces as a failed start (503 and a log line), not a crash.
    deployed = createLambdaHandler({ secrets: { load: () => secretSourceFromEnv(process.env).load() } });
  }
  return deployed;
}

/** The Lambda entry (`index.handler` in the bundle). Reads the secret named by JIT_SECRET_ID. */
export const handler = (event: LambdaHttpEvent): Promise<LambdaHttpResult> => deployedHandler()(event);

// In Lambda, start during the init phase (module load) so the secret read and Probot's setup
// overlap with the runtime's start; a failure is retried by the first invocation (503 if again).
if (process.env.AWS_LAMBDA_FUNCTION_NAME)
  deployedHandler()
    .ready()
    .catch(() => undefined);
