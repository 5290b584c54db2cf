// The GitHub App's secrets for the Lambda deployment, read once per container at cold start.
//
// One AWS Secrets Manager secret holds a JSON object with the same names as Probot's .env:
//   { "APP_ID": "123456", "PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\n…",
//     "WEBHOOK_SECRET": "…", "GEMINI_API_KEY": "…" }          (GEMINI_API_KEY optional)
// The function's environment names the secret (JIT_SECRET_ID), never its values.
// Credentials come from the Lambda execution role through the SDK's default provider chain.
import { GetSecretValueCommand, SecretsManagerClient, type SecretsManagerClientConfig } from "@aws-sdk/client-secrets-manager";

export interface AppSecrets {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  geminiApiKey?: string;
}

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

/** SHA-256 / HMAC-SHA256 for the signer, from node:crypto. */
export interface SecretsManagerOptions {
  /** Name or ARN of the secret. */
  secretId: string;
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
  return {
    async load() {
      let out;
      try {
        out = await client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
      } catch (e) {
        // AWS errors carry a name and a message, never the secret.
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        throw new SecretConfigError(`GetSecretValue ${options.secretId} failed${status ? ` with HTTP ${status}` : ""}: ${(e as Error).name} ${(e as Error).message}`.trim());
      }
      const secretString = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString("utf8") : undefined);
      if (!secretString) throw new SecretConfigError(`secret ${options.secretId} has no value`);
      return parseAppSecrets(secretString, options.env ?? {});
    },
  };
}

/** The deployed configuration: JIT_SECRET_ID names the secret; AWS_REGION is set by Lambda. */
export function secretSourceFromEnv(env: Env = process.env): SecretSource {
  const secretId = env.JIT_SECRET_ID;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!secretId) throw new SecretConfigError("JIT_SECRET_ID is not set; it names the Secrets Manager secret with APP_ID, PRIVATE_KEY and WEBHOOK_SECRET");
  if (!region) throw new SecretConfigError("AWS_REGION is not set");
  return secretsManagerSource({ secretId, region, env, ...(env.JIT_SECRETS_ENDPOINT ? { endpoint: env.JIT_SECRETS_ENDPOINT } : {}) });
}
