// The self-hosted webhook server (npm start). It is `probot run` plus a cap on the request body:
// Probot's middleware reads the whole body into memory before it checks the signature, so anyone
// who can reach the URL could make the process hold hundreds of megabytes. Here a body is refused
// with 413 as soon as its declared length, or the bytes actually received, pass the cap, and
// what was read is handed to Probot as a string (its middleware then reads nothing more).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, createProbot, type ApplicationFunction, type Probot } from "probot";
import { appOctokit } from "./github/app-octokit.js";
import { assertWebhookSecret, jitAccess, MAX_WEBHOOK_BODY_BYTES } from "./app.js";

export { MAX_WEBHOOK_BODY_BYTES };

export const DEFAULT_WEBHOOK_PATH = "/api/github/webhooks";

export interface WebhookServerOptions {
  /** Environment as `probot run` reads it: APP_ID, PRIVATE_KEY(_PATH), WEBHOOK_SECRET, HOST, PORT, WEBHOOK_PATH, LOG_LEVEL, GHE_HOST. */
  env?: Readonly<Record<string, string | undefined>>;
  app?: ApplicationFunction;
  /** A ready Probot (tests); default: createProbot from env. */
  probot?: Probot;
  maxBodyBytes?: number;
}

export interface WebhookServer {
  server: Server;
  probot: Probot;
  /** The URL of the webhook endpoint, with the port actually bound. */
  url: string;
  close(): Promise<void>;
}

type NodeMiddleware = Awaited<ReturnType<typeof createNodeMiddleware>>;

type ReadResult = { ok: true; body: string } | { ok: false; received: number } | { ok: false; aborted: true };

/** Reads the body, stopping (paused, nothing more buffered) once it passes `max` bytes. */
export function readBodyCapped(req: IncomingMessage, max: number): Promise<ReadResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > max) {
        req.off("data", onData);
        req.off("end", onEnd);
        req.pause();
        chunks.length = 0;
        resolve({ ok: false, received });
        return;
      }
      chunks.push(chunk);
    };
    let ended = false;
    const onEnd = () => {
      ended = true;
      resolve({ ok: true, body: Buffer.concat(chunks).toString("utf8") });
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", reject);
    // A sender that hangs up mid-body: drop what was read (resolve is a no-op once settled).
    req.on("close", () => {
      if (ended) return;
      chunks.length = 0;
      resolve({ ok: false, aborted: true });
    });
  });
}

/** How long a refused connection may linger before it is cut (lets the 413 reach the client). */
const REFUSED_LINGER_MS = 1000;

function tooLarge(req: IncomingMessage, res: ServerResponse, max: number): void {
  // Stop reading: a paused stream with a consumer attached fills at most its high-water mark, and
  // Node does not drain (read and discard) the rest of a body someone is consuming.
  req.pause();
  req.on("readable", () => undefined);
  res.writeHead(413, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify({ error: `request body larger than ${max} bytes (GitHub sends at most 25 MB)` }), () => {
    // The write side is closed after the answer (connection: close); a sender that keeps the
    // connection open is cut shortly after, so the answer is not lost to an early reset.
    setTimeout(() => req.socket.destroy(), REFUSED_LINGER_MS).unref();
  });
}

/** The request listener: ping, the body cap, then Probot's webhook middleware, else 404. */
export function webhookListener(middleware: NodeMiddleware, maxBodyBytes: number) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === "GET" && req.url === "/ping") {
      res.writeHead(200, { "content-type": "text/plain" }).end("PONG");
      return;
    }
    if (req.method === "POST") {
      const declared = req.headers["content-length"];
      if (declared !== undefined && Number(declared) > maxBodyBytes) return tooLarge(req, res, maxBodyBytes);
      const read = await readBodyCapped(req, maxBodyBytes).catch(() => undefined);
      if (!read) {
        if (!res.headersSent) res.writeHead(400).end();
        return;
      }
      if (!read.ok) {
        if ("aborted" in read) return;
        return tooLarge(req, res, maxBodyBytes);
      }
      // @octokit/webhooks' getPayload takes a string body as the payload and reads no stream.
      (req as IncomingMessage & { body?: string }).body = read.body;
    }
    try {
      await middleware(req, res, () => {
        if (!res.headersSent) res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "not found" }));
      });
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  };
}

/**
 * Starts the server on HOST (default localhost, as Probot) and PORT (default 3000; 0 picks a free
 * one). Refuses to start without a real webhook secret (assertWebhookSecret).
 */
export async function startWebhookServer(options: WebhookServerOptions = {}): Promise<WebhookServer> {
  const env = options.env ?? process.env;
  const check = assertWebhookSecret(env);
  // appOctokit: rate limits (primary and secondary) are waited out, not failed on.
  const probot = options.probot ?? createProbot({ env: { ...env }, overrides: { Octokit: appOctokit() } });
  await probot.ready(); // Probot creates its logger here
  if (check.warning) {
    probot.log.warn(check.warning);
    console.warn(`\n*** ${check.warning} ***\n`);
  }
  const webhooksPath = env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH;
  const middleware = await createNodeMiddleware(options.app ?? jitAccess(), { probot, webhooksPath });
  const server = createHttpServer();
  const listener = webhookListener(middleware, options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES);
  // The listener answers its own errors; one that escapes still ends the response, never unhandled.
  server.on("request", (req, res) => void listener(req, res).catch(() => res.headersSent || res.writeHead(500).end()));
  const host = env.HOST || "localhost";
  const port = env.PORT === undefined || env.PORT === "" ? 3000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT is "${env.PORT}"; set it to a port number (0–65535)`);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const printable = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${printable}:${address.port}${webhooksPath}`;
  probot.log.info(`jit-access listening on ${url}`);
  return {
    server,
    probot,
    url,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
