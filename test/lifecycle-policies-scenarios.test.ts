// The request lifecycle beyond grant and revoke, end to end: the real app against the fake GitHub,
// the fake AWS and a Slack stand-in — a rejection that says why, a stale request expired after its
// reminder, and an extension that moves the AWS policy's time condition and its schedules.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { createNotifier } from "../src/notify/index.js";
import { issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { openRequest } from "./support/scenario.js";
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
