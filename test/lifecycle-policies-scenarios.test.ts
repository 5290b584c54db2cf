// The request lifecycle beyond grant and revoke, end to end: the real app against the fake GitHub,
// the fake AWS and a Slack stand-in — a rejection that says why, a stale request expired after its
// reminder, and an extension that moves the AWS policy's time condition and its schedules.
import { Octokit } from "@octokit/rest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { OctokitAccessRepo } from "../src/github/access-repo.js";
import { GitHubNotifier } from "../src/github/closer.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { createNotifier } from "../src/notify/index.js";
import { runSweep } from "../src/sweep/run.js";
import { CONFIG, issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { fakeGrants } from "./support/fake-aws/fixtures.js";
import { configOfText, openRequest } from "./support/scenario.js";
import { startSlackReceiver, type SlackReceiver } from "./support/slack-receiver.js";
import { pullRequestEvent } from "./support/webhooks.js";

let h: Harness;
let slack: SlackReceiver;
beforeEach(async () => {
  slack = await startSlackReceiver();
  h = await startHarness({
    notifierFor: (config) =>
      createNotifier(
        { ...config, notifications: { slack_webhook_env: "SLACK_URL" } },
        { SLACK_URL: slack.url },
        { allowLoopbackHttp: true, sleep: async () => undefined, log: () => undefined },
      ),
  });
});
afterEach(async () => {
  await h.close();
  await slack.close();
});

const slackText = () => JSON.stringify(slack.received);

describe("rejection with a reason", () => {
  it("bob requests changes and closes the PR: the reason is in the record on main, the issue's comment and Slack", async () => {
    const { issue, pr, file } = await openRequest(h, "alice", issueBody());
    h.github.addReview(REPO, pr!, { user: "bob", state: "CHANGES_REQUESTED", body: "Ask for the reporting replica instead <!channel>" });
    h.github.setIssueState(REPO, pr!, "closed", { user: "bob", reason: "not_planned" });
    expect(await h.deliver(pullRequestEvent(h.github, REPO, pr!, "closed"))).toBe(200);

    const record = h.github.readFile(REPO, file!, "main") ?? "";
    expect(record).toMatch(/^status: rejected$/m);
    expect(record).toMatch(/^ {2}by: bob$/m);
    expect(record).toMatch(/^ {2}code: approval\.rejected$/m);
    expect(record).toContain("Ask for the reporting replica instead");
    const commit = h.github.commits(REPO).find((c) => c.message.includes(`reject ${issue}-`));
    expect(parseTrailers(commit?.message ?? "")).toMatchObject({ "Closed-By": ["bob"], Rule: ["approval.rejected"] });

    const comment = h.github.comments(REPO, issue).at(-1)?.body ?? "";
    expect(comment).toContain("Rejected");
    expect(comment).toContain("reporting replica");
    expect(h.github.labels(REPO, issue)).toContain("jit:rejected");
    expect(h.github.issueState(REPO, issue)).toMatchObject({ state: "closed", state_reason: "not_planned" });

    expect(slackText()).toContain("reporting replica");
    expect(slackText()).toContain("approval.rejected");
    expect(slackText()).not.toContain("<!channel>");
  });

  it("alice closes her own PR: withdrawn, not rejected", async () => {
    const { issue, pr, file } = await openRequest(h, "alice", issueBody());
    h.github.setIssueState(REPO, pr!, "closed", { user: "alice" });
    expect(await h.deliver(pullRequestEvent(h.github, REPO, pr!, "closed"))).toBe(200);
    const record = h.github.readFile(REPO, file!, "main") ?? "";
    expect(record).toMatch(/^ {2}code: approval\.withdrawn$/m);
    expect(record).toMatch(/^ {2}by: alice$/m);
    expect(h.github.comments(REPO, issue).at(-1)?.body).toContain("Withdrawn");
  });
});

/** The sweep as the Action runs it, with the access repository's open pull requests and Slack. */
async function sweepAt(now: Date, configText = CONFIG) {
  const config = configOfText(configText);
  const octokit = new Octokit({
    auth: h.github.issueInstallationToken().token,
    baseUrl: h.github.url,
    request: { retries: 0 },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const [owner, repo] = REPO.split("/") as [string, string];
  const alerts = createNotifier(
    { ...config, notifications: { slack_webhook_env: "SLACK_URL" } },
    { SLACK_URL: slack.url },
    { allowLoopbackHttp: true, sleep: async () => undefined, log: () => undefined },
  );
  return runSweep(
    {
      store: new GitHubRecordStore(octokit, { owner, repo, branch: "main" }),
      config,
      grants: () => fakeGrants(h.aws, config, { now: () => now }),
      notifier: new GitHubNotifier(octokit, { owner, repo, defaultBranch: "main" }),
      alerts,
      requests: new OctokitAccessRepo(octokit, { owner, repo, defaultBranch: "main" }),
    },
    { now, dryRun: false, reconcile: false, concurrency: 2 },
  );
}

describe("a stale request expires", () => {
  it("nobody approves: reminded once at half pending_ttl, closed expired-unapproved after it, with a record on main", async () => {
    const { issue, pr, file } = await openRequest(h, "alice", issueBody());
    const opened = h.clock.now.getTime();
    const day = 86400_000;

    const early = await sweepAt(new Date(opened + 2 * day));
    expect(early.unapproved?.actions).toEqual([]);
    const half = await sweepAt(new Date(opened + 3.6 * day));
    expect(half.unapproved?.outcomes.map((o) => [o.kind, o.result])).toEqual([["remind-unapproved", "done"]]);
    expect(h.github.comments(REPO, pr!).at(-1)?.body).toMatch(/still waiting for approval — @bob, @dave, please review/);
    expect(h.github.labels(REPO, pr!)).toContain("jit:approval-reminded");
    expect(slackText()).toContain("waiting for approval");
    const again = await sweepAt(new Date(opened + 5 * day));
    expect(again.unapproved?.actions).toEqual([]);
    expect(h.github.comments(REPO, pr!).filter((c) => c.body.includes("still waiting for approval"))).toHaveLength(1);

    const late = await sweepAt(new Date(opened + 7 * day + 60_000));
    expect(late.ok, JSON.stringify(late.failures)).toBe(true);
    expect(late.unapproved?.outcomes.map((o) => [o.kind, o.result])).toEqual([["expire-unapproved", "done"]]);
    const record = h.github.readFile(REPO, file!, "main") ?? "";
    expect(record).toMatch(/^status: rejected$/m);
    expect(record).toMatch(/^ {2}code: approval\.expired-unapproved$/m);
    expect(h.github.issueState(REPO, issue)).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(h.github.issueState(REPO, pr!)).toMatchObject({ state: "closed" });
    expect(h.github.labels(REPO, issue)).toContain("jit:rejected");
    expect(h.github.comments(REPO, issue).at(-1)?.body).toContain("Closed unapproved");
    expect(slackText()).toContain("approval.expired-unapproved");

    // GitHub then tells the app the PR was closed (by the app): nothing more happens.
    const commits = h.github.commits(REPO).length;
    expect(await h.deliver(pullRequestEvent(h.github, REPO, pr!, "closed"))).toBe(200);
    expect(h.github.commits(REPO).length).toBe(commits);
    expect((await sweepAt(new Date(opened + 9 * day))).unapproved?.actions).toEqual([]);
  });
});
