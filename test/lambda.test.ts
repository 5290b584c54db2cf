// The Lambda handler (src/lambda.ts) with signed webhooks against a stubbed app function, and the
// Secrets Manager source (src/secrets.ts) against a local HTTP server. No network.
// Also run under Node 24 (NODE24 in vitest.config.ts): the Lambda function's entry point and its bundle in a fresh process.
// @module-tag node24
import { execFileSync, spawnSync } from "node:child_process";
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ApplicationFunction } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createLambdaHandler, notifierEnv, RecentIds, type LambdaHttpEvent } from "../src/lambda.js";
import { createNotifier } from "../src/notify/index.js";
import {
  normalizePrivateKey,
  parseAppSecrets,
  parseSlackSecret,
  SecretConfigError,
  secretsManagerSource,
  SLACK_WEBHOOK_VARIABLE,
  type AppSecrets,
  type SecretSource,
} from "../src/secrets.js";

const SECRET = "a-webhook-secret-for-lambda-tests";
let privateKey = "";

beforeAll(() => {
  privateKey = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
});

function secrets(over: Partial<AppSecrets> = {}): AppSecrets {
  return { appId: "12345", privateKey, webhookSecret: SECRET, ...over };
}

function source(values: () => AppSecrets | Promise<AppSecrets>): SecretSource & { loads: number } {
  const s = {
    loads: 0,
    async load() {
      s.loads++;
      return values();
    },
  };
  return s;
}

const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Delivery {
  name?: string;
  payload?: unknown;
  body?: string;
  secret?: string;
  id?: string;
  base64?: boolean;
  headerCase?: (h: string) => string;
  signature?: string | null;
  method?: string;
  contentType?: string;
}

function event(d: Delivery = {}): LambdaHttpEvent {
  // Distinct deliveries carry distinct bodies, as GitHub's do (replays are recognised by the body).
  const body = d.body ?? JSON.stringify(d.payload ?? { action: "opened", issue: { number: 7 }, installation: { id: 1 }, test_nonce: randomUUID() });
  const hc = d.headerCase ?? ((h: string) => h);
  const headers: Record<string, string> = {
    [hc("content-type")]: d.contentType ?? "application/json",
    [hc("x-github-event")]: d.name ?? "issues",
    [hc("x-github-delivery")]: d.id ?? randomUUID(),
    [hc("user-agent")]: "GitHub-Hookshot/test",
  };
  if (d.signature !== null) headers[hc("x-hub-signature-256")] = d.signature ?? sign(d.secret ?? SECRET, body);
  return {
    headers,
    body: d.base64 ? Buffer.from(body, "utf8").toString("base64") : body,
    isBase64Encoded: d.base64 ?? false,
    requestContext: { http: { method: d.method ?? "POST" } },
  };
}

/** A stub app: counts issues.opened events; throws when told to. */
function stubApp() {
  const seen: Array<{ id: string; number: unknown }> = [];
  const state = { fail: undefined as Error | undefined };
  const app: ApplicationFunction = (probot) => {
    probot.on("issues.opened", async (context) => {
      if (state.fail) throw state.fail;
      seen.push({ id: context.id, number: context.payload.issue.number });
    });
  };
  return { seen, state, app: () => app };
}

function makeHandler(over: { secrets?: SecretSource; recentDeliveries?: number } = {}) {
  const stub = stubApp();
  const src = source(() => secrets());
  const handler = createLambdaHandler({
    secrets: over.secrets ?? src,
    app: stub.app,
    probot: { logLevel: "fatal" },
    recentDeliveries: over.recentDeliveries ?? 100,
    env: {},
  });
  return { handler, stub, src };
}

describe("Lambda webhook handler", () => {
  it("runs the handler for a correctly signed delivery and answers 200", async () => {
    const { handler, stub } = makeHandler();
    const res = await handler(event({ id: "d-1" }));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
    expect(stub.seen).toEqual([{ id: "d-1", number: 7 }]);
  });

  it("refuses a forged or missing signature with 401 and runs nothing", async () => {
    const { handler, stub } = makeHandler();
    const forged = await handler(event({ secret: "not-the-secret-but-long-enough" }));
    const garbage = await handler(event({ signature: "sha256=00" }));
    const sha1 = await handler(event({ signature: "sha1=abc" }));
    const missing = await handler(event({ signature: null }));
    // A signature over another body does not cover this one.
    const swapped = event({
      body: JSON.stringify({ action: "opened", issue: { number: 8 } }),
      signature: sign(SECRET, '{"action":"opened","issue":{"number":7}}'),
    });
    const tampered = await handler(swapped);
    for (const r of [forged, garbage, sha1, missing, tampered]) expect(r.statusCode).toBe(401);
    expect(stub.seen).toEqual([]);
  });

  it("decodes base64 bodies and reads headers in any case", async () => {
    const { handler, stub } = makeHandler();
    const upper = (h: string) => h.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
    expect((await handler(event({ base64: true, id: "b64" }))).statusCode).toBe(200);
    expect((await handler(event({ headerCase: upper, id: "Upper" }))).statusCode).toBe(200);
    expect((await handler(event({ headerCase: (h) => h.toUpperCase(), base64: true, id: "UPPER-B64" }))).statusCode).toBe(200);
    // Non-ASCII survives base64 → UTF-8 → HMAC.
    expect(
      (await handler(event({ base64: true, payload: { action: "opened", issue: { number: 9, title: "Zugriff für Jörg ✓" } }, id: "utf8" }))).statusCode,
    ).toBe(200);
    expect(stub.seen.map((s) => s.id)).toEqual(["b64", "Upper", "UPPER-B64", "utf8"]);
  });

  it("answers 400 for a signed body that is not JSON, and for missing event headers", async () => {
    const { handler, stub } = makeHandler();
    expect((await handler(event({ body: "{not json" }))).statusCode).toBe(400);
    const noName = event();
    delete noName.headers?.["x-github-event"];
    expect((await handler(noName)).statusCode).toBe(400);
    const noId = event();
    delete noId.headers?.["x-github-delivery"];
    expect((await handler(noId)).statusCode).toBe(400);
    expect(stub.seen).toEqual([]);
  });

  it("answers 405 to other methods and 415 to form-encoded webhooks", async () => {
    const { handler } = makeHandler();
    const get = await handler(event({ method: "GET" }));
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe("POST");
    expect((await handler(event({ contentType: "application/x-www-form-urlencoded" }))).statusCode).toBe(415);
    expect((await handler(event({ contentType: "application/json; charset=utf-8" }))).statusCode).toBe(200);
  });

  it("answers 500 when a handler fails, even for an error that carries another status", async () => {
    const { handler, stub } = makeHandler();
    stub.state.fail = Object.assign(new Error("Not Found"), { status: 404 });
    const res = await handler(event({ id: "fails" }));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("Not Found");
    expect(JSON.parse(res.body)).toMatchObject({ delivery: "fails" });
  });

  it("drops a replay of a handled signed body, but lets a failed one be redelivered", async () => {
    const { handler, stub } = makeHandler();
    const first = event({ id: "same" });
    expect((await handler(first)).statusCode).toBe(200);
    const again = await handler(first);
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toEqual({ ok: true, duplicate: true });
    expect(stub.seen).toHaveLength(1);

    stub.state.fail = new Error("boom");
    const failing = event({ id: "retry-me" });
    expect((await handler(failing)).statusCode).toBe(500);
    stub.state.fail = undefined;
    expect((await handler(failing)).statusCode).toBe(200);
    expect(stub.seen.map((s) => s.id)).toEqual(["same", "retry-me"]);

    // A forged copy of a known id is still a 401, not a "duplicate" 200.
    expect((await handler(event({ id: "same", secret: "wrong-secret-wrong-secret" }))).statusCode).toBe(401);
  });

  it("treats concurrent copies of one delivery as duplicates", async () => {
    const { handler, stub } = makeHandler();
    const e = event({ id: "parallel" });
    const [a, b] = await Promise.all([handler(e), handler(e)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(stub.seen).toHaveLength(1);
  });

  it("loads the secrets once per container", async () => {
    const { handler, src } = makeHandler();
    await Promise.all([handler(event()), handler(event()), handler(event())]);
    await handler(event());
    expect(src.loads).toBe(1);
  });

  it("answers 413 to a body over GitHub's 25 MB cap without starting the app", async () => {
    const { handler, stub, src } = makeHandler();
    const big = JSON.stringify({ action: "opened", issue: { number: 7 }, pad: "x".repeat(25 * 1024 * 1024) });
    for (const base64 of [false, true]) {
      const res = await handler(event({ body: big, base64 }));
      expect(res.statusCode).toBe(413);
    }
    expect(src.loads).toBe(0);
    expect(stub.seen).toEqual([]);
  });

  it("refuses to start with a weak webhook secret (503, nothing runs)", async () => {
    for (const weak of ["development", "short"]) {
      const src = source(() => secrets({ webhookSecret: weak }));
      const stub = stubApp();
      const handler = createLambdaHandler({ secrets: src, app: stub.app, probot: { logLevel: "fatal" }, env: {} });
      const res = await handler(event({ secret: weak }));
      expect(res.statusCode).toBe(503);
      expect(res.body).not.toContain(weak);
      expect(stub.seen).toEqual([]);
    }
  });

  it("retries the start after a failed secret read", async () => {
    let calls = 0;
    const src = source(() => {
      if (++calls === 1) throw new SecretConfigError("GetSecretValue failed with HTTP 400: ThrottlingException");
      return secrets();
    });
    const { handler } = makeHandler({ secrets: src });
    expect((await handler(event())).statusCode).toBe(503);
    expect((await handler(event())).statusCode).toBe(200);
    expect(src.loads).toBe(2);
  });

  it("loads the real jit-access app by default (a ping is answered 200)", async () => {
    const handler = createLambdaHandler({ secrets: source(() => secrets()), probot: { logLevel: "fatal" }, env: {} });
    const res = await handler(event({ name: "ping", payload: { zen: "Keep it logically awesome.", hook_id: 1 } }));
    expect(res.statusCode).toBe(200);
  });

  it("remembers a bounded number of delivery ids", () => {
    const ids = new RecentIds(2);
    ids.add("a");
    ids.add("b");
    ids.add("c");
    expect([ids.has("a"), ids.has("b"), ids.has("c")]).toEqual([false, true, true]);
    const off = new RecentIds(0);
    off.add("a");
    expect(off.has("a")).toBe(false);
  });
});

describe("app secrets", () => {
  it("parses the secret's JSON, with the key's newlines escaped or base64", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----";
    expect(parseAppSecrets(JSON.stringify({ APP_ID: 42, PRIVATE_KEY: pem.replace(/\n/g, "\\n"), WEBHOOK_SECRET: SECRET }))).toEqual({
      appId: "42",
      privateKey: pem,
      webhookSecret: SECRET,
    });
    expect(normalizePrivateKey(Buffer.from(pem).toString("base64"))).toBe(pem);
    expect(parseAppSecrets(JSON.stringify({ PRIVATE_KEY: pem, WEBHOOK_SECRET: SECRET, GEMINI_API_KEY: "g" }), { APP_ID: "7" })).toMatchObject({
      appId: "7",
      geminiApiKey: "g",
    });
  });

  it("names missing keys without echoing any value", () => {
    expect(() => parseAppSecrets(JSON.stringify({ APP_ID: "1", PRIVATE_KEY: "k" }))).toThrow(/lacks WEBHOOK_SECRET/);
    expect(() => parseAppSecrets("not json with hunter2")).toThrow(SecretConfigError);
    try {
      parseAppSecrets("not json with hunter2");
    } catch (e) {
      expect(String(e)).not.toContain("hunter2");
    }
    expect(() => parseAppSecrets(JSON.stringify({ APP_ID: "abc", PRIVATE_KEY: "k", WEBHOOK_SECRET: SECRET }))).toThrow(/numeric/);
  });
});

describe("the Slack webhook secret", () => {
  const HOOK = "https://hooks.slack.com/services/T000/B000/XXXXXXXX";

  it("is the URL as plain text or as the JIT_SLACK_WEBHOOK of a JSON object", () => {
    const table: Array<[string, string]> = [
      [HOOK, HOOK],
      [`  ${HOOK}\n`, HOOK],
      [JSON.stringify({ JIT_SLACK_WEBHOOK: HOOK }), HOOK],
      [JSON.stringify({ JIT_SLACK_WEBHOOK: HOOK, other: 1 }), HOOK],
    ];
    for (const [stored, url] of table) expect(parseSlackSecret(stored), stored).toBe(url);
  });

  it("refuses an empty value or a JSON object without the key, naming the shape and never the value", () => {
    for (const bad of ["", "  ", "{not json hunter2", JSON.stringify({ SLACK: "hunter2" }), JSON.stringify({ JIT_SLACK_WEBHOOK: 7 }), '{"hunter2"]']) {
      let error: unknown;
      try {
        parseSlackSecret(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(SecretConfigError);
      expect(String(error)).not.toContain("hunter2");
      expect(String(error)).toMatch(/Slack secret/);
    }
    fc.assert(
      fc.property(
        fc.string({ minLength: 8 }).filter((x) => x.trim().startsWith("{")),
        (junk) => {
          try {
            parseSlackSecret(junk);
          } catch (e) {
            expect(e).toBeInstanceOf(SecretConfigError);
            expect(String(e)).not.toContain(junk.trim());
          }
        },
      ),
    );
  });

  it("switches the notifier's Slack channel on only for a config naming JIT_SLACK_WEBHOOK, when the deployment has the secret", () => {
    const logs: string[] = [];
    const log = (l: string) => logs.push(l);
    const named = { notifications: { slack_webhook_env: SLACK_WEBHOOK_VARIABLE } };
    expect(createNotifier(named, notifierEnv({}, secrets({ slackWebhookUrl: HOOK })), { log }).channels).toEqual(["slack"]);
    // No Slack secret: off, and the log says which variable is missing.
    expect(createNotifier(named, notifierEnv({}, secrets()), { log }).channels).toEqual([]);
    expect(logs.join("\n")).toContain(`the environment variable ${SLACK_WEBHOOK_VARIABLE} is not set`);
    // The secret does not turn Slack on for a config that does not ask for it.
    expect(createNotifier({ notifications: {} }, notifierEnv({}, secrets({ slackWebhookUrl: HOOK })), { log }).channels).toEqual([]);
    // The secret wins over a variable of the same name in the function's environment.
    expect(notifierEnv({ [SLACK_WEBHOOK_VARIABLE]: "https://hooks.slack.com/services/old" }, secrets({ slackWebhookUrl: HOOK }))[SLACK_WEBHOOK_VARIABLE]).toBe(
      HOOK,
    );
  });
});

describe("Secrets Manager source", () => {
  let server: Server;
  let url = "";
  const seen: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  let respond: (body: string) => { status: number; body: unknown } = () => ({ status: 200, body: {} });

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => {
        seen.push({ headers: req.headers, body });
        const r = respond(body);
        res.writeHead(r.status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(r.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token" };

  it("sends a signed GetSecretValue through the SDK client and parses the JSON secret", async () => {
    seen.length = 0;
    respond = () => ({
      status: 200,
      body: {
        ARN: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:jit-abc",
        SecretString: JSON.stringify({ APP_ID: "9", PRIVATE_KEY: "-----BEGIN X-----\\nk\\n-----END X-----", WEBHOOK_SECRET: SECRET }),
      },
    });
    const got = await secretsManagerSource({ secretId: "jit-access/app", region: "eu-west-1", endpoint: url, credentials }).load();
    expect(got).toEqual({ appId: "9", privateKey: "-----BEGIN X-----\nk\n-----END X-----", webhookSecret: SECRET });
    const req = seen[0];
    expect(req?.headers["x-amz-target"]).toBe("secretsmanager.GetSecretValue");
    expect(req?.headers["content-type"]).toBe("application/x-amz-json-1.1");
    expect(req?.headers["x-amz-security-token"]).toBe("session-token");
    expect(req?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(req?.body ?? "")).toEqual({ SecretId: "jit-access/app" });
  });

  it("reads the Slack secret named by JIT_SLACK_SECRET_ID next to the app's, and fails the start when it cannot", async () => {
    const HOOK = "https://hooks.slack.com/services/T1/B1/Y";
    const app = { SecretString: JSON.stringify({ APP_ID: "9", PRIVATE_KEY: "k", WEBHOOK_SECRET: SECRET }) };
    seen.length = 0;
    respond = (body) => ({ status: 200, body: (JSON.parse(body) as { SecretId: string }).SecretId === "jit-access/slack" ? { SecretString: HOOK } : app });
    const withSlack = await secretsManagerSource({
      secretId: "jit-access/app",
      slackSecretId: "jit-access/slack",
      region: "eu-west-1",
      endpoint: url,
      credentials,
    }).load();
    expect(withSlack).toMatchObject({ appId: "9", slackWebhookUrl: HOOK });
    expect(seen.map((r) => (JSON.parse(r.body) as { SecretId: string }).SecretId).sort()).toEqual(["jit-access/app", "jit-access/slack"]);
    // Without JIT_SLACK_SECRET_ID only the app's secret is read.
    seen.length = 0;
    expect(await secretsManagerSource({ secretId: "jit-access/app", region: "eu-west-1", endpoint: url, credentials }).load()).not.toHaveProperty(
      "slackWebhookUrl",
    );
    expect(seen).toHaveLength(1);
    respond = (body) =>
      (JSON.parse(body) as { SecretId: string }).SecretId === "jit-access/slack"
        ? { status: 400, body: { __type: "AccessDeniedException", message: "not allowed" } }
        : { status: 200, body: app };
    await expect(
      secretsManagerSource({ secretId: "jit-access/app", slackSecretId: "jit-access/slack", region: "eu-west-1", endpoint: url, credentials }).load(),
    ).rejects.toThrow(/GetSecretValue jit-access\/slack failed with HTTP 400: AccessDeniedException/);
  });

  it("reports AWS errors by type, retrying throttling", async () => {
    seen.length = 0;
    respond = () => ({ status: 400, body: { __type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." } });
    await expect(secretsManagerSource({ secretId: "missing", region: "eu-west-1", endpoint: url, credentials }).load()).rejects.toThrow(
      /HTTP 400: ResourceNotFoundException/,
    );
    expect(seen).toHaveLength(1);
    seen.length = 0;
    let n = 0;
    respond = () =>
      ++n < 2
        ? { status: 400, body: { __type: "ThrottlingException", message: "Rate exceeded" } }
        : { status: 200, body: { SecretString: JSON.stringify({ APP_ID: "1", PRIVATE_KEY: "k", WEBHOOK_SECRET: SECRET }) } };
    await expect(secretsManagerSource({ secretId: "x", region: "eu-west-1", endpoint: url, credentials }).load()).resolves.toMatchObject({ appId: "1" });
    expect(seen).toHaveLength(2);
  });
});

describe("the esbuild bundle (scripts/build-lambda.mjs)", () => {
  it("builds, loads in a fresh node, answers a signed ping, refuses a forged one, and finds its IAM data", () => {
    const out = join(mkdtempSync(join(tmpdir(), "jit-lambda-")), "lambda");
    try {
      execFileSync(process.execPath, [fileURLToPath(new URL("../scripts/build-lambda.mjs", import.meta.url)), out], { stdio: "pipe" });
      expect(existsSync(join(out, "iam-data", "services.json"))).toBe(true);
      expect(existsSync(join(out, "iam-data", "actions", "iam.json"))).toBe(true);
      const script = `
        import { createHmac } from "node:crypto";
        const m = await import(${JSON.stringify(pathToFileURL(join(out, "index.mjs")).href)});
        const secret = ${JSON.stringify(SECRET)};
        const h = m.createLambdaHandler({ secrets: { load: async () => ({ appId: "1", privateKey: process.env.KEY, webhookSecret: secret }) }, probot: { logLevel: "fatal" } });
        const body = JSON.stringify({ zen: "Approachable is better than simple.", hook_id: 1 });
        const ev = (sig) => ({ headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "x" + sig.length, "x-hub-signature-256": sig }, body: Buffer.from(body).toString("base64"), isBase64Encoded: true, requestContext: { http: { method: "POST" } } });
        const ok = await h(ev("sha256=" + createHmac("sha256", secret).update(body).digest("hex")));
        const forged = await h(ev("sha256=" + createHmac("sha256", "another-secret-entirely").update(body).digest("hex") + "0"));
        const deployed = await m.handler({ requestContext: { http: { method: "GET" } } });
        console.log(JSON.stringify({ ok: ok.statusCode, forged: forged.statusCode, get: deployed.statusCode, data: process.env.JIT_ACCESS_IAM_DATA_DIR }));
      `;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        env: { PATH: process.env.PATH, KEY: privateKey },
        encoding: "utf8",
        timeout: 20000,
      });
      expect(r.stderr).toBe("");
      expect(JSON.parse(r.stdout.trim())).toEqual({ ok: 200, forged: 401, get: 405, data: join(out, "iam-data") });
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
});
