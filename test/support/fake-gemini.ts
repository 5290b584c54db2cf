// A fake Gemini `generateContent` endpoint on 127.0.0.1, reached through the SDK's base-URL
// option. Each test scripts the replies (a function of the request, so a fake can "obey" the
// prompt) and reads back what the SDK sent: method, URL, headers and body.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

export type FakeReply =
  | { kind: "json"; status?: number; body: unknown }
  | { kind: "text"; status: number; body: string; contentType?: string }
  /** Accept the request and never answer (until the server closes). */
  | { kind: "hang" };

export type Responder = (req: RecordedRequest) => FakeReply;

export interface FakeGemini {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replies for the next requests, in order; then `otherwise` (default: HTTP 500). */
  script(...replies: Array<FakeReply | Responder>): void;
  otherwise(responder: Responder): void;
  close(): Promise<void>;
}

/** The body Gemini sends for a model answer whose text is `text` (or the JSON of `value`). */
export function answer(value: unknown, finishReason = "STOP"): FakeReply {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return {
    kind: "json",
    body: {
      candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason, index: 0 }],
      usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
      modelVersion: "fake",
    },
  };
}

/** Gemini's error body for an HTTP error. */
export function apiError(status: number, message: string, statusText = "ERROR"): FakeReply {
  return { kind: "json", status, body: { error: { code: status, message, status: statusText } } };
}

export async function startFakeGemini(): Promise<FakeGemini> {
  const requests: RecordedRequest[] = [];
  const queue: Array<FakeReply | Responder> = [];
  let fallbackResponder: Responder = () => apiError(500, "fake-gemini: no reply scripted", "INTERNAL");
  const hanging = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, json };
      requests.push(recorded);
      const next = queue.shift() ?? fallbackResponder;
      const reply = typeof next === "function" ? next(recorded) : next;
      switch (reply.kind) {
        case "hang":
          hanging.add(res);
          return;
        case "json":
          res.writeHead(reply.status ?? 200, { "content-type": "application/json; charset=UTF-8" });
          res.end(JSON.stringify(reply.body));
          return;
        case "text":
          res.writeHead(reply.status, { "content-type": reply.contentType ?? "text/plain" });
          res.end(reply.body);
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    script: (...replies) => {
      queue.push(...replies);
    },
    otherwise: (responder) => {
      fallbackResponder = responder;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The text of the user turn the SDK sent (the prompt), or "" if the body has another shape. */
export function promptText(req: RecordedRequest): string {
  const body = req.json as { contents?: Array<{ parts?: Array<{ text?: string }> }> } | undefined;
  return (body?.contents ?? [])
    .flatMap((c) => c.parts ?? [])
    .map((p) => p.text ?? "")
    .join("");
}
