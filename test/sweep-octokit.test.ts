// The sweep's GitHub client (src/sweep/octokit.ts) retries like the app's: server errors and
// secondary rate limits are retried, a primary limit that resets far away is not waited for, and
// requests that cannot succeed (404, 422) are not repeated. Waits are shrunk (msPerSecond: 1).
// Also run under Node 24 (NODE24 in vitest.config.ts): the sweep's Octokit over fetch, with retries.
// @module-tag node24
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSweepOctokit, MAX_RATE_LIMIT_WAIT_S, RATE_LIMIT_RETRIES, retryRateLimited } from "../src/sweep/octokit.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";

const REPO = "acme/access";
let gh: FakeGitHub;
const warnings: string[] = [];
const client = () => createSweepOctokit({ token: gh.issueInstallationToken().token, baseUrl: gh.url, msPerSecond: 1, warn: (m) => warnings.push(m) });
const gets = () => gh.requests.filter((r) => r.method === "GET" && r.path === `/repos/${REPO}`);

beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => {
  gh.reset();
  warnings.length = 0;
  gh.createRepo({ owner: "acme", name: "access", files: { "README.md": "x\n" } });
});

describe("the sweep's Octokit", () => {
  it.each([500, 502, 503])("retries a %d and succeeds", async (status) => {
    gh.faults.failNext("GET", `/repos/${REPO}`, status, 2);
    const { data } = await client().rest.repos.get({ owner: "acme", repo: "access" });
    expect(data.default_branch).toBe("main");
    expect(gets().map((r) => r.status)).toEqual([status, status, 200]);
  });

  it.each([404, 422, 401])("does not repeat a %d", async (status) => {
    gh.faults.failNext("GET", `/repos/${REPO}`, status, 1);
    await expect(client().rest.repos.get({ owner: "acme", repo: "access" })).rejects.toMatchObject({ status });
    expect(gets()).toHaveLength(1);
  });

  it("waits out a secondary rate limit and retries", async () => {
    gh.faults.failNext("GET", `/repos/${REPO}`, 403, 1, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
    await expect(client().rest.repos.get({ owner: "acme", repo: "access" })).resolves.toMatchObject({ status: 200 });
    expect(gets().map((r) => r.status)).toEqual([403, 200]);
    expect(warnings.join("\n")).toMatch(/secondary rate limit on GET .*retrying in 60 s/);
  });

  it("does not wait an hour for the primary limit: fails fast, saying so", async () => {
    let calls = 0;
    const server: Server = createServer((_req, res) => {
      calls++;
      res.writeHead(403, {
        "content-type": "application/json",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      });
      res.end(JSON.stringify({ message: "API rate limit exceeded for installation ID 1." }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const octokit = createSweepOctokit({
        token: "t",
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        msPerSecond: 1,
        warn: (m) => warnings.push(m),
      });
      await expect(octokit.rest.repos.get({ owner: "acme", repo: "access" })).rejects.toMatchObject({ status: 403 });
      expect(calls).toBe(1);
      expect(warnings.join("\n")).toMatch(/primary rate limit on GET .*giving up/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("retries a rate limit only a bounded number of times and only for a bounded wait", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7200 }), fc.integer({ min: 0, max: 10 }), (after, count) => {
        expect(retryRateLimited(after, count)).toBe(count < RATE_LIMIT_RETRIES && after <= MAX_RATE_LIMIT_WAIT_S);
      }),
    );
  });
});
