// The app tells Slack what happened: request opened, granted, revoked — through the real notifier
// against a Slack stand-in on 127.0.0.1.
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNotifier } from "../src/notify/index.js";
import { attachedTo, issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { startSlackReceiver, type SlackReceiver } from "./support/slack-receiver.js";
import { issueCommentCreated, issuesOpened, pullRequestEvent } from "./support/webhooks.js";

let h: Harness;
let slack: SlackReceiver;
beforeAll(async () => {
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
afterAll(async () => {
  await h.close();
  await slack.close();
});

it("sends opened, granted and revoked, with user text neutralised", async () => {
  const issue = h.github.openIssue(REPO, {
    user: "alice",
    title: "Access request: reports",
    body: issueBody({ reason: "close <!channel> now" }),
    labels: ["access-request"],
  });
  await h.deliver(issuesOpened(h.github, REPO, issue));
  const pr = pulls(h.github)[0]!.number;
  h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
  h.github.mergePull(REPO, pr, { user: "bob" });
  await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
  expect(attachedTo(h.aws, "alice")).toHaveLength(1);
  const c = h.github.addComment(REPO, issue, { user: "alice", body: "/revoke finished" });
  await h.deliver(issueCommentCreated(h.github, REPO, issue, c));
  const texts = slack.received.map((r) => r.text);
  expect(texts).toHaveLength(3);
  expect(texts[0]).toMatch(/opened|request/i);
  expect(texts[1]).toMatch(/granted/i);
  expect(texts[2]).toMatch(/revoked/i);
  expect(texts.join("")).not.toContain("<!channel>");
});
