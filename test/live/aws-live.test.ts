// Opt-in: one grant + revoke per mode against a real sandbox account. Skipped unless AWS
// credentials and JIT_LIVE_CONFIG (a path to a .github/jit-access.yml for the sandbox) are set.
// Optional: JIT_LIVE_REQUESTER (a login under principals; default the first one),
// JIT_LIVE_ACCOUNT (default the first alias). Run: npx vitest run test/live/

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createGrants } from "../../src/aws/grants.js";
import { parseConfig } from "../../src/domain/config.js";
import type { AccessRequest, Config } from "../../src/domain/types.js";

const env = process.env;
const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI);
const configPath = env.JIT_LIVE_CONFIG;

function loadConfig(): Config {
  const parsed = parseConfig(readFileSync(configPath ?? "", "utf8"));
  if (!parsed.ok) throw new Error(`JIT_LIVE_CONFIG does not validate: ${JSON.stringify(parsed.problems)}`);
  return parsed.value;
}

describe.skipIf(!hasCredentials || !configPath)("live AWS (sandbox)", () => {
  it("grants and revokes once in the configured mode, leaving nothing behind", async () => {
    const config = loadConfig();
    const requester = env.JIT_LIVE_REQUESTER ?? Object.keys(config.principals)[0] ?? "";
    const account = env.JIT_LIVE_ACCOUNT ?? Object.keys(config.aws.accounts)[0] ?? "";
    const id = `${Math.floor(Date.now() / 1000)}-jit-live`;
    const request: AccessRequest = {
      version: 1,
      id,
      requester,
      account,
      duration: "1h",
      reason: "jit-access live test",
      request: [{ service: "sts", actions: ["sts:GetCallerIdentity"], resources: ["*"] }],
    };
    const policy = { Version: "2012-10-17" as const, Statement: [{ Effect: "Allow" as const, Action: "sts:GetCallerIdentity", Resource: "*" }] };
    const grants = createGrants(config);
    const expiresAt = new Date(Date.now() + 2 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const result = await grants.grant(request, policy, expiresAt, { prUrl: "https://github.com/example/live/pull/1" });
    try {
      expect(result.resources.length).toBe(1);
      const again = await grants.grant(request, policy, expiresAt);
      expect(again.changed).toBe(false);
      const managed = await grants.listManaged();
      expect(managed.some((m) => m.requestId === id)).toBe(true);
    } finally {
      await grants.revoke(result);
    }
    expect((await grants.revoke(result)).alreadyGone).toBe(true);
    expect((await grants.listManaged()).some((m) => m.requestId === id)).toBe(false);
  }, 600_000);
});
