import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertWebhookSecret, bindsToLoopback } from "../src/app.js";

const GOOD = "9f2c1e7a4b6d8f0e1a3c5b7d";
const WEAK_SECRETS: Array<string | undefined> = [undefined, "", "development", "Development", "short", "aaaaaaaaaaaaaaaaaaaaaaaa", "abababababababababab"];
const NODE_ENVS: Array<string | undefined> = [undefined, "", "development", "test", "production", "staging"];
const LOOPBACK_HOSTS: Array<string | undefined> = [undefined, "", "localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"];
const OPEN_HOSTS = [
  "0.0.0.0",
  "::",
  "[::]",
  "192.168.1.10",
  "10.0.0.5",
  "example.com",
  "localhost.example.com",
  "127.0.0.1.nip.io",
  "128.0.0.1",
  "::ffff:127.0.0.1",
];

describe("starting the app: the webhook secret", () => {
  const table = WEAK_SECRETS.flatMap((secret) => NODE_ENVS.flatMap((nodeEnv) => [...LOOPBACK_HOSTS, ...OPEN_HOSTS].map((host) => ({ secret, nodeEnv, host }))));

  it.each(table)("refuses a missing or weak secret without the development flag: %j", ({ secret, nodeEnv, host }) => {
    expect(() => assertWebhookSecret({ WEBHOOK_SECRET: secret, NODE_ENV: nodeEnv, HOST: host })).toThrow(/WEBHOOK_SECRET is unfit/);
  });

  it.each(table.filter((row) => row.nodeEnv !== "production" && !OPEN_HOSTS.includes(row.host ?? "")))(
    "allows a weak secret with JIT_ACCESS_INSECURE_DEV=1 on loopback outside production, with a warning: %j",
    ({ secret, nodeEnv, host }) => {
      const check = assertWebhookSecret({ WEBHOOK_SECRET: secret, NODE_ENV: nodeEnv, HOST: host, JIT_ACCESS_INSECURE_DEV: "1" });
      expect(check.insecureDevelopment).toBe(true);
      expect(check.warning).toMatch(/INSECURE DEVELOPMENT MODE/);
    },
  );

  it.each(table.filter((row) => OPEN_HOSTS.includes(row.host ?? "") && row.nodeEnv !== "production"))(
    "refuses the development flag on a server reachable from elsewhere: %j",
    ({ secret, nodeEnv, host }) => {
      expect(() => assertWebhookSecret({ WEBHOOK_SECRET: secret, NODE_ENV: nodeEnv, HOST: host, JIT_ACCESS_INSECURE_DEV: "1" })).toThrow(
        new RegExp(`HOST is "${host?.replace(/[[\]]/g, "\\$&")}"`),
      );
    },
  );

  it.each(LOOPBACK_HOSTS)("refuses the development flag in production, even on loopback (HOST %j)", (host) => {
    expect(() => assertWebhookSecret({ NODE_ENV: "production", HOST: host, JIT_ACCESS_INSECURE_DEV: "1" })).toThrow(/refused with NODE_ENV=production/);
  });

  it.each(["true", "yes", "on", "2", " 1"])("refuses an unclear flag value %j and names it", (flag) => {
    expect(() => assertWebhookSecret({ WEBHOOK_SECRET: GOOD, JIT_ACCESS_INSECURE_DEV: flag })).toThrow(`JIT_ACCESS_INSECURE_DEV is "${flag}"`);
  });

  it("accepts a real secret everywhere, with no warning, and the flag changes nothing then", () => {
    for (const nodeEnv of NODE_ENVS) {
      for (const host of [...LOOPBACK_HOSTS, ...OPEN_HOSTS]) {
        expect(assertWebhookSecret({ WEBHOOK_SECRET: GOOD, NODE_ENV: nodeEnv, HOST: host })).toEqual({ insecureDevelopment: false });
        expect(assertWebhookSecret({ WEBHOOK_SECRET: GOOD, NODE_ENV: nodeEnv, HOST: host, JIT_ACCESS_INSECURE_DEV: "1" })).toEqual({
          insecureDevelopment: false,
        });
      }
    }
  });

  it("property: without the flag, only secrets of 16+ characters (not the default) are accepted", () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        fc.constantFrom(...NODE_ENVS),
        fc.constantFrom(...LOOPBACK_HOSTS, ...OPEN_HOSTS),
        (secret, nodeEnv, host) => {
          let accepted = true;
          try {
            assertWebhookSecret({ WEBHOOK_SECRET: secret, NODE_ENV: nodeEnv, HOST: host });
          } catch {
            accepted = false;
          }
          if (accepted) {
            expect(secret !== undefined && secret.length >= 16 && secret.toLowerCase() !== "development").toBe(true);
          }
        },
      ),
    );
  });
});

describe("bindsToLoopback (Probot's HOST)", () => {
  it.each(LOOPBACK_HOSTS)("%j binds to loopback (unset is Probot 14's default, localhost)", (host) => expect(bindsToLoopback(host)).toBe(true));
  it.each(OPEN_HOSTS)("%j may be reachable from elsewhere", (host) => expect(bindsToLoopback(host)).toBe(false));
});
