// The GitHub App's secrets for the Lambda deployment, read once per container at cold start.
//
// One AWS Secrets Manager secret holds a JSON object with the same names as Probot's .env:
//   { "APP_ID": "123456", "PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\n…",
//     "WEBHOOK_SECRET": "…", "GEMINI_API_KEY": "…" }          (GEMINI_API_KEY optional)
// The function's environment names the secret (JIT_SECRET_ID), never its values.
// Optionally a second secret (JIT_SLACK_SECRET_ID) holds the Slack incoming-webhook URL, as plain
// text or as {"JIT_SLACK_WEBHOOK": "https://hooks.slack.com/..."}; the app sees it as the variable
// JIT_SLACK_WEBHOOK (SLACK_WEBHOOK_VARIABLE), which the config names in notifications.slack_webhook_env.
// Credentials come from the Lambda execution role through the SDK's default provider chain.
import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";

export interface AppSecrets {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  geminiApiKey?: string;
  /** From the Slack secret, when the deployment names one; checked by the notifier, not here. */
  slackWebhookUrl?: string;
}

/** The variable under which the Lambda offers the Slack secret's URL to the notifier. */
export const SLACK_WEBHOOK_VARIABLE = "JIT_SLACK_WEBHOOK";

/** Where the secrets come from: Secrets Manager in Lambda, a stub in tests. */
export interface SecretSource {
  load(): Promise<AppSecrets>;
}

type Env = Readonly<Record<string, string | undefined>>;

export class SecretConfigError extends Error {
  override name = "SecretConfigError";
}

/** A PEM key as stored: real newlines, `\n` escapes (as in .env files) or base64 of the PEM. */
export function normalizePrivateKey(value: string): string {
  let key = value.trim();
  if (!key.includes("-----BEGIN") && /^[A-Za-z0-9+/=\s]+$/.test(key)) {
    const decoded = Buffer.from(key, "base64").toString("utf8");
    if (decoded.includes("-----BEGIN")) key = decoded.trim();
  }
  if (!key.includes("\n") && key.includes("\\n")) key = key.replace(/\\n/g, "\n");
  return key;
}

/**
 * The secret's JSON → AppSecrets. APP_ID may instead come from the environment (it is not a
 * secret). Never echoes values in its errors, only key names.
 */
export function parseAppSecrets(secretString: string, env: Env = {}): AppSecrets {
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    throw new SecretConfigError('the secret is not JSON; store {"APP_ID", "PRIVATE_KEY", "WEBHOOK_SECRET", optional "GEMINI_API_KEY"} as a JSON object');
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new SecretConfigError("the secret must be a JSON object");
  const obj = raw as Record<string, unknown>;
  const text = (key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "number" && key === "APP_ID") return String(v);
    if (typeof v !== "string") throw new SecretConfigError(`${key} in the secret must be a string`);
    return v;
  };
  const appId = text("APP_ID") ?? env.APP_ID;
  const privateKey = text("PRIVATE_KEY");
  const webhookSecret = text("WEBHOOK_SECRET");
  const missing = [!appId && "APP_ID", !privateKey && "PRIVATE_KEY", !webhookSecret && "WEBHOOK_SECRET"].filter(Boolean);
  if (missing.length || !appId || !privateKey || !webhookSecret) throw new SecretConfigError(`the secret lacks ${missing.join(", ")}`);
  if (!/^[1-9][0-9]*$/.test(appId)) throw new SecretConfigError("APP_ID must be the GitHub App's numeric id");
  const geminiApiKey = text("GEMINI_API_KEY");
  return { appId, privateKey: normalizePrivateKey(privateKey), webhookSecret, ...(geminiApiKey ? { geminiApiKey } : {}) };
}

/**
 * The Slack secret's value → the webhook URL: the text itself, or the JIT_SLACK_WEBHOOK string of
 * a JSON object. Errors name the shape expected, never the value.
 */
export function parseSlackSecret(secretString: string): string {
  const text = secretString.trim();
  if (!text.startsWith("{")) {
    if (!text) throw new SecretConfigError("the Slack secret is empty; store the webhook URL (https://hooks.slack.com/...) as its value");
    return text;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SecretConfigError(
      `the Slack secret starts with "{" but is not JSON; store the webhook URL as plain text or as {"${SLACK_WEBHOOK_VARIABLE}": "https://hooks.slack.com/..."}`,
    );
  }
  const v = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>)[SLACK_WEBHOOK_VARIABLE] : undefined;
  if (typeof v !== "string" || !v.trim())
    throw new SecretConfigError(
      `the Slack secret is a JSON object without a string ${SLACK_WEBHOOK_VARIABLE}; store {"${SLACK_WEBHOOK_VARIABLE}": "https://hooks.slack.com/..."} or the URL as plain text`,
    );
  return v.trim();
}

export interface SecretsManagerOptions {
  /** Name or ARN of the secret. */
  secretId: string;
  /** Name or ARN of the Slack webhook's secret (optional). */
  slackSecretId?: string;
  region: string;
  /** Default https://secretsmanager.<region>.amazonaws.com (".com.cn" in China regions). */
  endpoint?: string;
  credentials?: SecretsManagerClientConfig["credentials"];
  env?: Env;
  /** Per attempt; the whole load retries throttling and 5xx twice. */
  timeoutMs?: number;
}

/** Secrets Manager GetSecretValue through the AWS SDK client (adaptive retries, bounded). */
export function secretsManagerSource(options: SecretsManagerOptions): SecretSource {
  const client = new SecretsManagerClient({
    region: options.region,
    retryMode: "adaptive",
    maxAttempts: 3,
    requestHandler: { requestTimeout: options.timeoutMs ?? 5000 },
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  async function read(secretId: string): Promise<string> {
    let out;
    try {
      out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (e) {
      // AWS errors carry a name and a message, never the secret.
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new SecretConfigError(
        `GetSecretValue ${secretId} failed${status ? ` with HTTP ${status}` : ""}: ${(e as Error).name} ${(e as Error).message}`.trim(),
      );
    }
    const secretString = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString("utf8") : undefined);
    if (!secretString) throw new SecretConfigError(`secret ${secretId} has no value`);
    return secretString;
  }
  return {
    async load() {
      // A named Slack secret that cannot be read fails the start like the app's own secret: the
      // deployment asked for it, and the next invocation retries (a throttled read, say).
      const [app, slack] = await Promise.all([read(options.secretId), options.slackSecretId ? read(options.slackSecretId) : undefined]);
      const secrets = parseAppSecrets(app, options.env ?? {});
      return slack === undefined ? secrets : { ...secrets, slackWebhookUrl: parseSlackSecret(slack) };
    },
  };
}

/** The deployed configuration: JIT_SECRET_ID (and optionally JIT_SLACK_SECRET_ID) name the secrets; AWS_REGION is set by Lambda. */
export function secretSourceFromEnv(env: Env = process.env): SecretSource {
  const secretId = env.JIT_SECRET_ID;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!secretId) throw new SecretConfigError("JIT_SECRET_ID is not set; it names the Secrets Manager secret with APP_ID, PRIVATE_KEY and WEBHOOK_SECRET");
  if (!region) throw new SecretConfigError("AWS_REGION is not set");
  return secretsManagerSource({
    secretId,
    region,
    env,
    ...(env.JIT_SLACK_SECRET_ID ? { slackSecretId: env.JIT_SLACK_SECRET_ID } : {}),
    ...(env.JIT_SECRETS_ENDPOINT ? { endpoint: env.JIT_SECRETS_ENDPOINT } : {}),
  });
}
