// The sweep tells Slack: "expired" once per recorded expiry, and "expiring in 15 minutes" once per
// grant (remembered by a label on the request's issue), through the real notifier to a stand-in.
// Also run under Node 24 (NODE24 in vitest.config.ts): git subprocesses.
// @module-tag node24
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, expect, it } from "vitest";
import { storedAws } from "../src/aws/plan.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { EXPIRING_LABEL } from "../src/notify/expiring.js";
import { createNotifier } from "../src/notify/index.js";
import { GitHubNotifier } from "../src/github/closer.js";
import { runSweep } from "../src/sweep/run.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";
import { configOf, recordPath, sweepConfigYaml } from "./support/git-repo.js";
import { startSlackReceiver, type SlackReceiver } from "./support/slack-receiver.js";

const REPO = "acme/access";
const NOW = new Date("2026-11-27T12:00:00Z");
let gh: FakeGitHub;
let aws: FakeAws;
let slack: SlackReceiver;

beforeAll(async () => {
  gh = await startFakeGitHub({ now: () => NOW.getTime() });
  aws = createFakeAws();
  seed(aws);
  slack = await startSlackReceiver();
});
afterAll(async () => {
  await gh.close();
  await slack.close();
  aws.restore();
});

it("sends expired once and the 15-minute reminder once, across two sweeps", async () => {
  const config = configOf(sweepConfigYaml("iam"));
  const grants = fakeGrants(aws, config, { now: () => new Date("2026-11-27T04:00:00Z") });
  gh.createRepo({ owner: "acme", name: "access", files: { "README.md": "# access\n" } });
  const files: Record<string, string> = {};
  const make = async (issue: number, requester: string, expiresAt: string): Promise<void> => {
    const id = `${issue}-reports`;
    const request = testRequest({ id, requester, policy: testPolicy(`b-${id}`) });
    const result = await grants.grant(request, request.policy!, expiresAt);
    const active: AccessRequest = {
      ...request,
      status: "active",
      grant: { approved_by: ["bob"], merge_commit: "b".repeat(40), granted_at: "2026-11-27T04:00:00Z", expires_at: expiresAt, aws: storedAws(result) },
    };
    files[recordPath(id)] = dumpRequest(active, "Written by jit-access.");
  };
  const due = gh.openIssue(REPO, { user: "alice", title: "due", labels: ["jit:active"] });
  const soon = gh.openIssue(REPO, { user: "carol", title: "soon", labels: ["jit:active"] });
  const later = gh.openIssue(REPO, { user: "carol", title: "later", labels: ["jit:active"] });
  await make(due, "alice", "2026-11-27T11:00:00Z");
  await make(soon, "carol", "2026-11-27T12:10:00Z");
  await make(later, "carol", "2026-11-27T15:00:00Z");
  gh.commitFiles(REPO, "main", files, { author: "acme", message: "seed" });

  const octokit = new Octokit({
    baseUrl: gh.url,
    auth: gh.issueInstallationToken().token,
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const repo = { owner: "acme", repo: "access", defaultBranch: "main" };
  const notifier = new GitHubNotifier(octokit, repo);
  const env = {
    store: new GitHubRecordStore(octokit, { owner: "acme", repo: "access", branch: "main" }),
    config,
    grants: () => grants,
    notifier,
    alerts: createNotifier(
      { notifications: { slack_webhook_env: "SLACK" } },
      { SLACK: slack.url },
      { allowLoopbackHttp: true, sleep: async () => undefined, log: () => undefined },
    ),
    remindOnce: (r: AccessRequest) => notifier.remindOnce(r),
  };
  const first = await runSweep(env, { now: NOW, dryRun: false, reconcile: false, concurrency: 2 });
  expect(first.ok).toBe(true);
  const second = await runSweep(env, { now: new Date("2026-11-27T12:05:00Z"), dryRun: false, reconcile: false, concurrency: 2 });
  expect(second.ok).toBe(true);

  const texts = slack.received.map((r) => r.text);
  expect(texts).toHaveLength(2);
  expect(texts.filter((t) => /expired/i.test(t))).toHaveLength(1);
  expect(texts.filter((t) => new RegExp(`${soon}-reports`).test(t) && /expir/i.test(t))).toHaveLength(1);
  expect(gh.labels(REPO, soon)).toContain(EXPIRING_LABEL);
  expect(gh.labels(REPO, later)).not.toContain(EXPIRING_LABEL);
});
