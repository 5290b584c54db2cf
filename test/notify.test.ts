// Notifications: Block Kit payloads (pure), Slack escaping, the webhook sender against a real
// HTTP receiver on 127.0.0.1 (success, 500 retried, 4xx not retried, 429, timeout, refused),
// createNotifier's configuration rules, and the expiring-soon helper.
// Also run under Node 24 (NODE24 in vitest.config.ts): fetch to a Slack receiver, with time-outs.
// @module-tag node24
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../src/domain/config.js";
import type { AccessRequest } from "../src/domain/types.js";
import {
  EXPIRING_LABEL,
  buildSlackMessage,
  checkWebhookUrl,
  createNotifier,
  escapeSlack,
  expiringKey,
  expiringSoon,
  githubChannel,
  githubMessage,
  sendSlack,
  slackQuote,
  type NotificationEvent,
} from "../src/notify/index.js";
import type { SlackPayload } from "../src/notify/slack-blocks.js";
import { startSlackReceiver, type SlackReceiver } from "./support/slack-receiver.js";

const request: AccessRequest = {
  version: 1,
  id: "142-financial-reports",
  requester: "alice",
  account: "prod",
  duration: "8h",
  reason: "Quarter-end reconciliation",
  request: [{ service: "s3", access: ["read", "list", "write"], resources: ["financial-reports"], actions: ["s3:GetObject", "s3:PutObject"] }],
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::financial-reports/*"] }] },
};

const EVENTS: NotificationEvent[] = [
  {
    kind: "opened",
    request,
    approvers: ["bob", "@acme/prod-approvers"],
    required: 1,
    risk: "medium",
    links: { pr: "https://github.com/acme/access/pull/143" },
  },
  { kind: "granted", request, approvedBy: ["bob"], expiresAt: "2026-11-27T17:00:00Z", risk: "medium" },
  { kind: "blocked", request, reasons: ["insufficient-approvals: 0 of 1", "s3:DeleteBucket is forbidden by denied_actions"] },
  { kind: "failed", request, reason: "the grant in AWS failed and was rolled back: AccessDenied" },
  { kind: "expiring", request, expiresAt: "2026-11-27T17:00:00Z" },
  { kind: "expired", request, expiresAt: "2026-11-27T17:00:00Z" },
  { kind: "revoked", request, at: "2026-11-27T12:00:00Z", by: "bob", reason: "done" },
  { kind: "scheduled", request, approvedBy: ["bob"], startsAt: "2026-11-28T09:00:00Z", expiresAt: "2026-11-28T11:00:00Z", risk: "low" },
  { kind: "granted", request, approvedBy: ["bob"], expiresAt: "2026-11-28T11:00:00Z", scheduledFrom: "2026-11-28T09:00:00Z" },
];

/** Every string in a payload, for "appears nowhere" assertions. */
function allText(p: SlackPayload): string {
  return JSON.stringify(p);
}

/** What remains of Slack control sequences once our own links are taken out. */
function controlSequences(p: SlackPayload): string[] {
  const texts: string[] = [p.text];
  for (const b of p.blocks) {
    if ("text" in b && b.text) texts.push(b.text.text);
    if ("fields" in b && b.fields) texts.push(...b.fields.map((f) => f.text));
    if ("elements" in b) texts.push(...b.elements.map((e) => e.text));
  }
  return texts.flatMap((t) => t.match(/<[^>]*>?/g) ?? []).filter((s) => !/^<https:\/\/[^|<>\s]*\|(pull request|issue)>$/.test(s));
}

describe("Slack messages (pure)", () => {
  it("builds a Block Kit payload for every event, with no policy document and unfurling off", () => {
    for (const ev of EVENTS) {
      const p = buildSlackMessage(ev);
      expect(p.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
      expect(p.blocks.at(-1)).toMatchObject({ type: "context" });
      expect(p.unfurl_links).toBe(false);
      expect(p.unfurl_media).toBe(false);
      expect(p.text).toContain("142-financial-reports");
      expect(allText(p)).not.toContain("2012-10-17");
      expect(allText(p)).not.toContain("arn:aws:s3");
      expect(controlSequences(p)).toEqual([]);
    }
  });

  it("says what each event means", () => {
    const [opened, granted, blocked, failed, expiring, expired, revoked] = EVENTS.map((e) => allText(buildSlackMessage(e)));
    expect(opened).toContain("Approvers, please review (1 approval needed)");
    expect(opened).toContain("bob, @\u200bacme/prod-approvers");
    expect(opened).toContain("<https://github.com/acme/access/pull/143|pull request>");
    expect(opened).toContain("s3: read, list, write (2 actions: s3:GetObject, s3:PutObject)");
    expect(granted).toContain("until *2026-11-27T17:00:00Z*");
    expect(blocked).toContain("denied\u200b_\u200bactions");
    expect(failed).toContain("rolled back");
    expect(expiring).toContain("in about 15 minutes");
    expect(expired).toContain("ended at");
    expect(revoked).toContain("revoked at *2026-11-27T12:00:00Z* by *bob*");
  });

  it("says when a request is approved for a later start, and when the sweep starts it", () => {
    const [scheduled, started] = EVENTS.slice(7).map((e) => buildSlackMessage(e));
    expect(scheduled?.text).toContain("Access approved for a later start");
    expect(allText(scheduled!)).toContain("from *2026-11-28T09:00:00Z* until *2026-11-28T11:00:00Z*. Nothing is attached yet");
    expect(allText(scheduled!)).toContain("*Starts*");
    expect(allText(started!)).toContain("the scheduled start (approved from *2026-11-28T09:00:00Z*) was made by the sweep");
    expect(githubMessage(EVENTS[7]!)).toContain("approved from **2026-11-28T09:00:00Z** until **2026-11-28T11:00:00Z**");
  });

  it("neutralises mention and link injection in every user field", () => {
    const evil = "<!channel> <!here> <!everyone> <@U123ABC> <#C042> <!subteam^S1> <https://evil.example|click me> @channel @here &lt;!channel&gt;";
    const hostile: AccessRequest = { ...request, reason: evil, requester: "mallory", account: "<!here>", duration: "<@U1>" };
    const events: NotificationEvent[] = [
      { kind: "opened", request: hostile, approvers: [evil] },
      { kind: "blocked", request: hostile, reasons: [evil, evil] },
      { kind: "failed", request: hostile, reason: evil },
      { kind: "revoked", request: hostile, at: evil, by: evil, reason: evil },
      { kind: "granted", request: hostile, approvedBy: [evil], expiresAt: evil, links: { pr: "javascript:alert(1)", issue: "http://plain.example/x" } },
    ];
    for (const ev of events) {
      const p = buildSlackMessage(ev);
      expect(controlSequences(p)).toEqual([]);
      const json = allText(p);
      expect(json).not.toMatch(/<!|<@|<#|<https?:\/\/evil/);
      expect(json).toContain("&lt;!channel&gt;");
      // Already-escaped text is escaped again, so it shows literally instead of becoming a mention.
      expect(json).toContain("&amp;lt;!channel&amp;gt;");
      expect(json).not.toMatch(/@channel|@here/);
      expect(json).not.toContain("javascript:");
      expect(json).not.toContain("plain.example");
    }
    // Links come from the app, not the requester; an https one is kept, its label fixed and its
    // URL percent-encoded so it cannot end the link early or open a mention.
    const granted = buildSlackMessage({ kind: "expired", request, expiresAt: "2026-11-27T17:00:00Z", links: { issue: "https://evil.example/x|<!channel>" } });
    expect(controlSequences(granted)).toEqual([]);
    expect(allText(granted)).toContain("<https://evil.example/x%7C%3C!channel%3E|issue>");
  });

  it("escapes exactly &, < and > and fences formatting and control characters", () => {
    expect(escapeSlack("a & b < c > d")).toBe("a &amp; b &lt; c &gt; d");
    expect(slackQuote("*bold* _it_ ~s~ `code`")).toBe(
      "\u200b*\u200bbold\u200b*\u200b \u200b_\u200bit\u200b_\u200b \u200b~\u200bs\u200b~\u200b \u200b`\u200bcode\u200b`\u200b",
    );
    expect(slackQuote("line1\nline2\u202e\u0000x")).toBe("line1 line2x");
    expect(slackQuote("> quoted", 50, true)).toBe("\u200b&gt; quoted");
  });

  it("truncates long text within Slack's limits", () => {
    const long = "x".repeat(10_000);
    const p = buildSlackMessage({ kind: "failed", request: { ...request, reason: long, account: "a".repeat(500) }, reason: "&".repeat(5000) });
    for (const b of p.blocks) {
      if (b.type === "section" && b.text) expect(b.text.text.length).toBeLessThanOrEqual(3000);
      if (b.type === "section" && b.fields) for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(2000);
      if (b.type === "header") expect(b.text.text.length).toBeLessThanOrEqual(150);
    }
    expect(allText(p)).toContain("…");
    // A cut never leaves half an entity behind.
    expect(allText(p)).not.toMatch(/&(a|am|amp)?…/);
  });
});

describe("webhook URL rules", () => {
  it("accepts only https://hooks.slack.com by default", () => {
    expect(checkWebhookUrl("https://hooks.slack.com/services/T0/B0/abc").ok).toBe(true);
    for (const bad of [
      "http://hooks.slack.com/services/x",
      "https://hooks.slack.com.evil.com/x",
      "https://evil.com/hooks.slack.com",
      "https://user:pw@hooks.slack.com/x",
      "https://hooks.slack.com:8443/x",
      "http://127.0.0.1:9/x",
      "not a url",
      "",
      undefined,
    ]) {
      expect(checkWebhookUrl(bad).ok, String(bad)).toBe(false);
    }
  });
  it("accepts http://127.0.0.1 only with the explicit test option, and never other hosts over http", () => {
    expect(checkWebhookUrl("http://127.0.0.1:9/x", { allowLoopbackHttp: true }).ok).toBe(true);
    expect(checkWebhookUrl("http://localhost:9/x", { allowLoopbackHttp: true }).ok).toBe(false);
    expect(checkWebhookUrl("http://10.0.0.1/x", { allowLoopbackHttp: true }).ok).toBe(false);
  });
});

describe("delivery to a Slack receiver on 127.0.0.1", () => {
  let rx: SlackReceiver;
  let logs: string[];
  const config = { notifications: { slack_webhook_env: "JIT_SLACK_WEBHOOK" } };
  const fast = { sleep: async () => {}, allowLoopbackHttp: true, log: (l: string) => logs.push(l) };

  beforeAll(async () => {
    rx = await startSlackReceiver();
  });
  afterAll(async () => {
    await rx.close();
  });
  beforeEach(() => {
    rx.received.length = 0;
    rx.script();
    logs = [];
  });

  it("posts the Block Kit payload as JSON", async () => {
    const n = createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, fast);
    expect(n.channels).toEqual(["slack"]);
    await n.notify(EVENTS[1] as NotificationEvent);
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0]!;
    expect(got.method).toBe("POST");
    expect(got.path).toBe("/services/T000/B000/secret-token-xyz");
    expect(got.headers["content-type"]).toMatch(/^application\/json/);
    expect(got.json).toEqual(buildSlackMessage(EVENTS[1] as NotificationEvent));
    expect(logs).toEqual([]);
  });

  it("retries a 500 and delivers on the next attempt", async () => {
    rx.script({ status: 500, body: "internal_error" });
    const waits: number[] = [];
    // random() pinned at 0.5: half of the 250 ms ceiling (full jitter, test/backoff.test.ts).
    const n = createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, { ...fast, sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
    await n.notify(EVENTS[0] as NotificationEvent);
    expect(rx.received).toHaveLength(2);
    expect(rx.received[1]!.text).toBe(rx.received[0]!.text);
    expect(waits).toEqual([125]);
    expect(logs.join("\n")).toContain("attempt 1/3 failed (HTTP 500");
  });

  it("gives up after a bounded number of 500s, logs, and never throws", async () => {
    rx.script({ status: 500 }, { status: 502 }, { status: 503 }, { status: 500 });
    const waits: number[] = [];
    const n = createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, { ...fast, sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
    await expect(n.notify(EVENTS[2] as NotificationEvent)).resolves.toBeUndefined();
    expect(rx.received).toHaveLength(3);
    expect(waits).toEqual([125, 250]);
    expect(logs.at(-1)).toMatch(/not delivered after 3 attempt\(s\): HTTP 503/);
    // The webhook path is the secret: it is never logged.
    expect(logs.join("\n")).not.toContain("secret-token-xyz");
    expect(logs.join("\n")).toContain("127.0.0.1");
  });

  it("does not retry a 4xx", async () => {
    rx.script({ status: 400, body: "invalid_payload" });
    await createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, fast).notify(EVENTS[3] as NotificationEvent);
    expect(rx.received).toHaveLength(1);
    expect(logs.join("\n")).toContain('HTTP 400 "invalid_payload" (not retried)');
  });

  it("waits Retry-After (capped) on a 429", async () => {
    rx.script({ status: 429, retryAfter: "30" });
    const waits: number[] = [];
    await createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, { ...fast, sleep: async (ms) => void waits.push(ms) }).notify(EVENTS[4] as NotificationEvent);
    expect(rx.received).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it("gives up quickly on a timeout, without retrying and without throwing", async () => {
    rx.script({ hang: true }, { hang: true });
    const n = createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, { ...fast, timeoutMs: 150 });
    const t0 = Date.now();
    await expect(n.notify(EVENTS[5] as NotificationEvent)).resolves.toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(rx.received).toHaveLength(1);
    expect(logs.join("\n")).toMatch(/no answer within 150 ms \(not retried/);
  });

  it("stays within the overall deadline when answers are slow", async () => {
    rx.script({ status: 500, delayMs: 100 }, { status: 500, delayMs: 100 }, { status: 500, delayMs: 100 });
    const t0 = Date.now();
    // The jittered wait at its longest (just under 100 ms): two slow answers and the wait leave
    // no time for a third attempt.
    const r = await sendSlack(new URL(rx.url), buildSlackMessage(EVENTS[6] as NotificationEvent), {
      log: (l) => logs.push(l),
      deadlineMs: 250,
      backoffMs: 100,
      random: () => 0.99,
    });
    expect(r.ok).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.attempts).toBeLessThanOrEqual(2);
  });

  it("stays within the overall deadline whatever the jitter draws", async () => {
    for (const draw of [0, 0.5]) {
      rx.script({ status: 500, delayMs: 100 }, { status: 500, delayMs: 100 }, { status: 500, delayMs: 100 });
      const t0 = Date.now();
      const r = await sendSlack(new URL(rx.url), buildSlackMessage(EVENTS[6] as NotificationEvent), {
        log: (l) => logs.push(l),
        deadlineMs: 250,
        backoffMs: 100,
        random: () => draw,
      });
      expect(r.ok).toBe(false);
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(r.attempts).toBeLessThanOrEqual(3);
    }
  });

  it("retries a refused connection a bounded number of times", async () => {
    const dead = await startSlackReceiver();
    const url = dead.url;
    await dead.close();
    const r = await sendSlack(new URL(url), buildSlackMessage(EVENTS[6] as NotificationEvent), { sleep: async () => {}, log: (l) => logs.push(l) });
    expect(r).toMatchObject({ ok: false, attempts: 3 });
    expect(r.ok ? "" : r.reason).toMatch(/connection failed/);
  });

  it("is off, saying why without printing the value, when the variable is missing or not a Slack URL", async () => {
    expect(createNotifier(config, {}, fast).channels).toEqual([]);
    expect(logs.at(-1)).toContain("the environment variable JIT_SLACK_WEBHOOK is not set");
    const n = createNotifier(config, { JIT_SLACK_WEBHOOK: "https://evil.example/hook/secret-value-123" }, { ...fast, allowLoopbackHttp: false });
    expect(n.channels).toEqual([]);
    expect(logs.at(-1)).toContain("JIT_SLACK_WEBHOOK is not usable");
    expect(logs.join("\n")).not.toContain("secret-value-123");
    // Without the test option a loopback receiver is refused too.
    expect(createNotifier(config, { JIT_SLACK_WEBHOOK: rx.url }, { log: fast.log }).channels).toEqual([]);
    // No slack_webhook_env in the config: nothing is read, nothing is logged.
    logs = [];
    expect(createNotifier(defaultConfig(), { JIT_SLACK_WEBHOOK: rx.url }, fast).channels).toEqual([]);
    expect(logs).toEqual([]);
    await n.notify(EVENTS[0] as NotificationEvent);
    expect(rx.received).toHaveLength(0);
  });

  it("contains a channel that throws or hangs", async () => {
    const n = createNotifier(
      config,
      { JIT_SLACK_WEBHOOK: rx.url },
      {
        ...fast,
        deadlineMs: 100,
        channels: [
          { name: "boom", send: async () => Promise.reject(new Error("kaboom")) },
          { name: "stuck", send: () => new Promise<void>(() => {}) },
        ],
      },
    );
    const t0 = Date.now();
    await n.notify(EVENTS[0] as NotificationEvent);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(rx.received).toHaveLength(1);
    expect(logs.join("\n")).toContain("boom failed for opened 142-financial-reports: kaboom");
    expect(logs.join("\n")).toContain("stuck did not finish opened");
  });
});

describe("expiring-soon reminders", () => {
  const now = new Date("2026-11-27T12:00:00Z");
  const active = (id: string, expires: string, status: AccessRequest["status"] = "active"): AccessRequest => ({
    ...request,
    id,
    status,
    grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T04:00:00Z", expires_at: expires },
  });
  const records = [
    active("1-in-window", "2026-11-27T12:10:00Z"),
    active("2-edge", "2026-11-27T12:15:00Z"),
    active("3-later", "2026-11-27T12:15:01Z"),
    active("4-past", "2026-11-27T12:00:00Z"),
    active("5-expired", "2026-11-27T12:05:00Z", "expired"),
    active("6-soonest", "2026-11-27T12:01:00Z"),
    { ...request, id: "7-proposed" },
  ];

  it("picks active grants ending within 15 minutes, soonest first", () => {
    const got = expiringSoon(records, now, new Set());
    expect(got.map((g) => [g.id, g.minutesLeft])).toEqual([
      ["6-soonest", 1],
      ["1-in-window", 10],
      ["2-edge", 15],
    ]);
    expect(got[0]?.key).toBe("6-soonest@2026-11-27T12:01:00Z");
  });

  it("is idempotent given what was already sent (by key or by id)", () => {
    const sent = new Set(expiringSoon(records, now, new Set()).map((g) => g.key));
    expect(expiringSoon(records, now, sent)).toEqual([]);
    expect(expiringSoon(records, now, new Set(["1-in-window"])).map((g) => g.id)).toEqual(["6-soonest", "2-edge"]);
    // An extended grant (new expiry) is a new key: reminded again.
    const extended = [active("1-in-window", "2026-11-27T12:12:00Z")];
    expect(expiringSoon(extended, now, new Set([expiringKey(records[0] as AccessRequest)])).map((g) => g.id)).toEqual(["1-in-window"]);
    expect(EXPIRING_LABEL).toBe("jit:expiring-soon");
  });

  it("accepts { file, request } records as the sweep holds them", () => {
    const got = expiringSoon(
      [{ path: "access-requests/prod/2026/1-in-window.yaml", request: records[0] as AccessRequest }, { path: "x", problems: [] } as never],
      now,
      new Set(),
    );
    expect(got).toHaveLength(1);
    expect(got[0]?.file).toBe("access-requests/prod/2026/1-in-window.yaml");
  });
});

describe("GitHub channel", () => {
  it("quotes user text with the markdown-safe quote and mentions only the requester", () => {
    const md = githubMessage({
      kind: "revoked",
      request: { ...request, account: "@acme/admins" },
      at: "2026-11-27T12:00:00Z",
      by: "@evil",
      reason: "closes #1 <script>",
    });
    expect(md).toContain("@\u200bevil");
    expect(md).toContain("\\#1 \\<script\\>");
    expect(githubMessage({ kind: "expiring", request, expiresAt: "2026-11-27T12:15:00Z" })).toContain("@alice: your access");
  });

  it("posts only the expiring reminder by default, on the request's issue", async () => {
    const posted: Array<[number, string]> = [];
    const ch = githubChannel(async (n, body) => void posted.push([n, body]));
    for (const ev of EVENTS) await ch.send(ev);
    expect(posted.map(([n]) => n)).toEqual([142]);
    expect(posted[0]?.[1]).toContain("in about 15 minutes");
  });
});
