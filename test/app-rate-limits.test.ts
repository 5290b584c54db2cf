// GitHub's rate limits against the real app: the fake GitHub answers the primary limit (403 at
// remaining 0, x-ratelimit-* headers, a 304 free) and the secondary limit (403 or 429 with
// retry-after), and the app's Octokit (src/github/app-octokit.ts) waits them out: a burst of
// requests is proposed in full, once each. With Probot's own throttling options a secondary limit
// fails the delivery and the request is lost — what app-octokit is for. Time is compressed: the
// fake advertises SCALE × the real waits and the clients wait 1000/SCALE ms a second.
import Bottleneck from "bottleneck";
import { Octokit as RestOctokit } from "@octokit/rest";
import { ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { appOctokit, retryAfterLimit, MAX_PRIMARY_WAIT_S, PRIMARY_RETRIES, SECONDARY_RETRIES } from "../src/github/app-octokit.js";
import { clearContentsCache } from "../src/github/contents-cache.js";
import { issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";
import { issuesOpened } from "./support/webhooks.js";

const SCALE = 1000;
const ms = 1000 / SCALE;
const groups = (id: string) => ({
  write: new Bottleneck.Group({ id: `${id}-write`, maxConcurrent: 1, minTime: ms }),
  notifications: new Bottleneck.Group({ id: `${id}-notify`, maxConcurrent: 1, minTime: 3 * ms }),
});

let h: Harness | undefined;
let fake: FakeGitHub | undefined;
afterEach(async () => {
  await h?.close();
  await fake?.close();
  h = undefined;
  fake = undefined;
});

/** Opens n requests at once under tight limits; answers what became of them. */
async function burst(Octokit: typeof ProbotOctokit, n: number, secondary = { writes: 4, windowMs: 40, points: 60 }) {
  clearContentsCache();
  h = await startHarness({ conformance: false, Octokit });
  const harness = h;
  const open = (i: number) =>
    harness.github.openIssue(REPO, {
      user: i % 2 ? "alice" : "carol",
      title: `r${i}`,
      body: issueBody({ resources: `reports-${i}` }),
      labels: ["access-request"],
    });
  expect(await harness.deliver(issuesOpened(harness.github, REPO, open(0)))).toBe(200); // labels made, app login known
  harness.github.rateLimits = { secondary, primary: { limit: 60, windowMs: 150 }, timeScale: SCALE };
  const issues = Array.from({ length: n }, (_, i) => open(i + 1));
  const codes = await Promise.all(issues.map((i) => harness.deliver(issuesOpened(harness.github, REPO, i)).catch(() => 0)));
  const prs = pulls(harness.github);
  return {
    codes,
    perIssue: issues.map((i) => prs.filter((p) => p.head.startsWith(`jit/${i}-`)).length),
    proposed: issues.map((i) => (harness.github.repo(REPO).issues.get(i)?.labels ?? []).includes("jit:proposed")),
    stats: { ...harness.github.rateLimitStats },
  };
}

describe("the app under GitHub's rate limits", () => {
  it("waits out secondary and primary limits: every request of a burst is proposed once, no delivery fails", async () => {
    const r = await burst(appOctokit({ msPerSecond: ms, throttle: groups("app") }), 6);
    expect(r.stats.secondaryRefused + r.stats.primaryRefused).toBeGreaterThan(0); // the limits were met
    expect(r.codes).toEqual(r.codes.map(() => 200));
    expect(r.perIssue).toEqual(r.perIssue.map(() => 1));
    expect(r.proposed).toEqual(r.proposed.map(() => true));
  }, 120_000);

  it("with Probot's own throttling options a secondary limit fails deliveries (the loss app-octokit prevents)", async () => {
    const Probots = ProbotOctokit.defaults((o: { throttle?: object }) => ({ ...o, throttle: { ...o.throttle, retryAfterBaseValue: ms, ...groups("probot") } }));
    // A window wide enough that the burst's writes exceed it however fast the machine runs them.
    const r = await burst(Probots, 6, { writes: 4, windowMs: 400, points: 60 });
    expect(r.stats.secondaryRefused).toBeGreaterThan(0);
    expect(r.codes.some((c) => c !== 200) || r.proposed.some((p) => !p)).toBe(true);
  }, 120_000);

  it.each([
    ["secondary", 60, 0, true],
    ["secondary", 3600, SECONDARY_RETRIES - 1, true],
    ["secondary", 1, SECONDARY_RETRIES, false],
    ["primary", 30, 0, true],
    ["primary", MAX_PRIMARY_WAIT_S, PRIMARY_RETRIES - 1, true],
    ["primary", MAX_PRIMARY_WAIT_S + 1, 0, false],
    ["primary", 1, PRIMARY_RETRIES, false],
  ] as const)("a %s limit with %i s to wait after %i retries: retry %s", (kind, wait, retries, again) => {
    expect(retryAfterLimit(kind, wait, retries)).toBe(again);
  });
});

describe("the fake GitHub's rate limits", () => {
  it("counts calls per caller in x-ratelimit-*, refuses at remaining 0 with 403, does not count a 304, and resets after the window", async () => {
    fake = await startFakeGitHub();
    fake.createRepo({ owner: "acme", name: "access", files: { "a.txt": "a\n" } });
    fake.rateLimits = { primary: { limit: 3, windowMs: 300 }, timeScale: 1 };
    const gh = new RestOctokit({
      auth: fake.issueInstallationToken().token,
      baseUrl: fake.url,
      request: { retries: 0 },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const first = await gh.rest.repos.getContent({ owner: "acme", repo: "access", path: "a.txt" });
    expect(first.headers["x-ratelimit-remaining"]).toBe("2");
    await expect(
      gh.rest.repos.getContent({ owner: "acme", repo: "access", path: "a.txt", headers: { "if-none-match": String(first.headers.etag) } }),
    ).rejects.toMatchObject({ status: 304 });
    const second = await gh.rest.repos.getContent({ owner: "acme", repo: "access", path: "a.txt" });
    expect(second.headers["x-ratelimit-remaining"]).toBe("1"); // the 304 was free
    await gh.rest.repos.getContent({ owner: "acme", repo: "access", path: "a.txt" });
    const refused = await gh.rest.repos
      .getContent({ owner: "acme", repo: "access", path: "a.txt" })
      .catch((e: { status: number; response: { headers: Record<string, string> } }) => e);
    expect(refused).toMatchObject({ status: 403, response: { headers: { "x-ratelimit-remaining": "0" } } });
    expect(Number((refused as { response: { headers: Record<string, string> } }).response.headers["x-ratelimit-reset"]) * 1000).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, 320));
    expect((await gh.rest.repos.getContent({ owner: "acme", repo: "access", path: "a.txt" })).headers["x-ratelimit-remaining"]).toBe("2");
  });

  it.each([403, 429] as const)("refuses content-creating requests over the secondary limit with %i and retry-after", async (status) => {
    fake = await startFakeGitHub();
    fake.createRepo({ owner: "acme", name: "access", files: { "a.txt": "a\n" } });
    fake.rateLimits = { secondary: { writes: 2, windowMs: 5000, status }, timeScale: 1 };
    const gh = new RestOctokit({
      auth: fake.tokenFor("alice"),
      baseUrl: fake.url,
      request: { retries: 0 },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    fake.repo("acme/access").collaborators.set("alice", "write");
    const label = (name: string) => gh.rest.issues.createLabel({ owner: "acme", repo: "access", name, color: "ffffff" });
    await label("one");
    await label("two");
    const refused = await label("three").catch((e: { status: number; message: string; response: { headers: Record<string, string> } }) => e);
    expect(refused).toMatchObject({ status, message: expect.stringMatching(/secondary rate limit/) });
    expect(Number((refused as { response: { headers: Record<string, string> } }).response.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // Reads are not content-creating.
    await gh.rest.repos.getContent({ owner: "acme", repo: "access", path: "a.txt" });
  });
});
