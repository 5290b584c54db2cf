// A Slack incoming-webhook stand-in on 127.0.0.1 (node:http): records each POST and answers
// with the next scripted reply (status, body, delay, Retry-After, or hang: never answer).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Reply {
  status?: number;
  body?: string;
  delayMs?: number;
  retryAfter?: string;
  /** Never answer (the client must time out). */
  hang?: boolean;
}

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface SlackReceiver {
  /** e.g. http://127.0.0.1:54321/services/T000/B000/secret-token */
  url: string;
  received: Received[];
  /** Replies used in order; when they run out, 200 "ok". */
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<SlackReceiver> {
  const received: Received[] = [];
  let replies: Reply[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let json: unknown = undefined;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, text, json });
      const reply = replies.shift() ?? {};
      if (reply.hang) {
        hanging.add(res);
        return;
      }
      const send = () => {
        const headers: Record<string, string> = { "content-type": "text/plain" };
        if (reply.retryAfter !== undefined) headers["retry-after"] = reply.retryAfter;
        res.writeHead(reply.status ?? 200, headers);
        res.end(reply.body ?? "ok");
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/secret-token-xyz`,
    received,
    script(...r) {
      replies = [...r];
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
