// Attacks on the deployment side, each reproduced against the real code or the real workflow and
// template files: anyone who can reach the webhook URL (body size, replays, a weak secret) and
// anyone who can push a branch (workflow secrets, AWS roles, unpinned actions). Each test is named
// after the finding; each has a table or property test over its family.
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { Probot, type ApplicationFunction } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLambdaHandler, type LambdaHttpEvent } from "../src/lambda.js";
import { MAX_WEBHOOK_BODY_BYTES, startWebhookServer, type WebhookServer } from "../src/server.js";

const SECRET = "a-webhook-secret-for-deploy-attacks";
let privateKey = "";

beforeAll(() => {
  privateKey = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } }).privateKey;
});

const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Sent {
  status?: number;
  body?: string;
  error?: string;
  /** Bytes the client had handed to the socket when the answer (or an error) came. */
  sent: number;
  /** Whether the client had finished the request when the answer came. */
  ended: boolean;
}

/** POSTs `total` bytes in 1 MiB chunks (or `body`), stopping as soon as an answer arrives. */
function post(url: string, o: { headers?: Record<string, string>; total?: number; body?: string; end?: boolean }): Promise<Sent> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", ...o.headers } });
    let sent = 0;
    let ended = false;
    let done = false;
    const finish = (r: Omit<Sent, "sent" | "ended">) => {
      if (done) return;
      done = true;
      resolve({ ...r, sent, ended });
      req.destroy();
    };
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => finish({ status: res.statusCode, body: text }));
      res.on("error", () => finish({ status: res.statusCode, body: text }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message }));
    if (o.body !== undefined) {
      sent = Buffer.byteLength(o.body);
      ended = true;
      req.end(o.body);
      return;
    }
    const total = o.total ?? 0;
    req.flushHeaders();
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const pump = () => {
      while (!done && sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once("drain", pump);
          return;
        }
      }
      if (!done && o.end !== false) {
        ended = true;
        req.end();
      }
    };
    pump();
  });
}

describe("the self-hosted server buffers the whole body before checking the signature", () => {
  let server: WebhookServer;
  const seen: Array<{ name: string; id: string; bytes: number }> = [];

  beforeAll(async () => {
    const app: ApplicationFunction = (probot) => {
      probot.onAny(async (context) => {
        seen.push({ name: context.name, id: context.id, bytes: JSON.stringify(context.payload).length });
      });
    };
    const probot = new Probot({ appId: 1, privateKey, secret: SECRET, logLevel: "fatal" });
    server = await startWebhookServer({ env: { WEBHOOK_SECRET: SECRET, HOST: "127.0.0.1", PORT: "0" }, probot, app });
  });
  afterAll(() => server?.close());

  const headers = (body: string, id = randomUUID()) => ({ "x-github-event": "ping", "x-github-delivery": id, "x-hub-signature-256": sign(SECRET, body) });

  it("answers 413 to a declared 26 MB body before the client has sent more than the first megabyte", async () => {
    const r = await post(server.url, { headers: { ...headers("{}"), "content-length": String(26 * 1024 * 1024) }, total: 1 << 20, end: false });
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/larger than 26214400 bytes/);
    expect(r.sent).toBe(1 << 20);
    expect(r.ended).toBe(false);
  });

  it("answers 413 to an undeclared (chunked) 26 MB body once 25 MB have passed, before the client ends it", async () => {
    const r = await post(server.url, { headers: headers("{}"), total: 26 * 1024 * 1024, end: false });
    expect(r.status).toBe(413);
    expect(r.ended).toBe(false);
    // The server stopped reading: the client could not push the whole body into the connection
    // (the kernel buffers on both sides hold a few MB at most).
    expect(r.sent).toBeGreaterThan(MAX_WEBHOOK_BODY_BYTES - (1 << 20));
  });

  it("still delivers a normal signed body to the app, and a body just under the cap", async () => {
    const id = randomUUID();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const r = await post(server.url, { headers: headers(body, id), body });
    expect(r.status).toBe(200);
    expect(seen.find((s) => s.id === id)).toMatchObject({ name: "ping" });

    const bigId = randomUUID();
    const pad = "x".repeat(MAX_WEBHOOK_BODY_BYTES - 64);
    const big = JSON.stringify({ zen: pad });
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES);
    const rb = await post(server.url, { headers: headers(big, bigId), body: big });
    expect(rb.status).toBe(200);
    expect(seen.find((s) => s.id === bigId)?.bytes).toBe(big.length);
  });

  it("refuses a forged signature (the cap does not bypass Probot's check) and answers ping and 404", async () => {
    const body = JSON.stringify({ zen: "forged" });
    const r = await post(server.url, { headers: { ...headers(body), "x-hub-signature-256": sign("development", body) }, body });
    expect(r.status).toBe(400);
    const other = await post(server.url.replace(/\/api\/github\/webhooks$/, "/elsewhere"), { body: "{}" });
    expect(other.status).toBe(404);
  });
});

describe("body cap family: every size and framing around the limit", () => {
  const CAP = 4096;
  let server: WebhookServer;
  let delivered = 0;

  beforeAll(async () => {
    const probot = new Probot({ appId: 1, privateKey, secret: SECRET, logLevel: "fatal" });
    server = await startWebhookServer({ env: { WEBHOOK_SECRET: SECRET, HOST: "127.0.0.1", PORT: "0" }, probot, app: (p) => void p.onAny(async () => void delivered++), maxBodyBytes: CAP });
  });
  afterAll(() => server?.close());

  it.each([
    [CAP - 1, "declared"],
    [CAP, "declared"],
    [CAP + 1, "declared"],
    [CAP - 1, "chunked"],
    [CAP, "chunked"],
    [CAP + 1, "chunked"],
    [CAP * 10, "chunked"],
  ] as const)("a %i-byte body, %s: 413 exactly when it passes the cap, else it reaches the app", async (size, framing) => {
    const before = delivered;
    const body = JSON.stringify({ zen: "y".repeat(size - 10) });
    expect(Buffer.byteLength(body)).toBe(size);
    const h = { "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(SECRET, body) };
    const r =
      framing === "declared"
        ? await post(server.url, { headers: { ...h, "content-length": String(size) }, body })
        : await post(server.url, { headers: { ...h, "transfer-encoding": "chunked" }, body });
    expect(r.status).toBe(size > CAP ? 413 : 200);
    expect(delivered - before).toBe(size > CAP ? 0 : 1);
  });

  it("property: a declared length over the cap is refused whatever is actually sent", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: CAP + 1, max: CAP * 1000 }), fc.integer({ min: 0, max: CAP }), async (declared, actual) => {
        const r = await post(server.url, { headers: { "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha256=00", "content-length": String(declared) }, total: actual, end: false });
        expect(r.status).toBe(413);
      }),
      { numRuns: 15 },
    );
  });
});

describe("the Lambda replay protection keys on the unsigned delivery id", () => {
  function lambda() {
    const seen: Array<{ id: string; n: unknown }> = [];
    const handler = createLambdaHandler({
      secrets: { load: async () => ({ appId: "1", privateKey, webhookSecret: SECRET }) },
      app: () => (probot) => void probot.onAny(async (context) => void seen.push({ id: context.id, n: (context.payload as { n?: unknown }).n })),
      probot: { logLevel: "fatal" },
      recentDeliveries: 1000,
      env: {},
    });
    return { handler, seen };
  }
  const delivery = (body: string, id: string, name = "issues"): LambdaHttpEvent => ({
    headers: { "content-type": "application/json", "x-github-event": name, "x-github-delivery": id, "x-hub-signature-256": sign(SECRET, body) },
    body,
    requestContext: { http: { method: "POST" } },
  });

  it("processes two different signed bodies that reuse one delivery id", async () => {
    const { handler, seen } = lambda();
    expect((await handler(delivery(JSON.stringify({ action: "opened", n: 1 }), "same-id"))).body).toBe(JSON.stringify({ ok: true }));
    expect((await handler(delivery(JSON.stringify({ action: "opened", n: 2 }), "same-id"))).body).toBe(JSON.stringify({ ok: true }));
    expect(seen.map((s) => s.n)).toEqual([1, 2]);
  });

  it("refuses a captured signed body replayed under a new delivery id or another event name", async () => {
    const { handler, seen } = lambda();
    const body = JSON.stringify({ action: "opened", n: 1 });
    expect((await handler(delivery(body, "original"))).statusCode).toBe(200);
    for (const replay of [delivery(body, randomUUID()), delivery(body, "original"), delivery(body, randomUUID(), "pull_request")]) {
      const res = await handler(replay);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ ok: true, duplicate: true });
    }
    expect(seen).toHaveLength(1);
  });

  it("property: over any interleaving of bodies and delivery ids, each signed body runs the app exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom("a", "b", "c", "d")), { minLength: 1, maxLength: 25 }), async (sequence) => {
        const { handler, seen } = lambda();
        for (const [n, id] of sequence) expect((await handler(delivery(JSON.stringify({ n }), id))).statusCode).toBe(200);
        expect(seen.map((s) => s.n).sort()).toEqual([...new Set(sequence.map(([n]) => n))].sort());
      }),
      { numRuns: 30 },
    );
  });
});
