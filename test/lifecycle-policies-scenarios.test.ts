// The request lifecycle beyond grant and revoke, end to end: the real app against the fake GitHub,
// the fake AWS and a Slack stand-in — a rejection that says why, a stale request expired after its
// reminder, and an extension that moves the AWS policy's time condition and its schedules.
import { Octokit } from "@octokit/rest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { SweepRequestsRepo } from "../src/github/sweep-requests.js";
import { GitHubNotifier } from "../src/github/closer.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { createNotifier } from "../src/notify/index.js";
import { runSweep } from "../src/sweep/run.js";
import { CONFIG, issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { fakeGrants } from "./support/fake-aws/fixtures.js";
import { configOfText, openRequest } from "./support/scenario.js";
import { startSlackReceiver, type SlackReceiver } from "./support/slack-receiver.js";
import { issueCommentCreated, pullRequestEvent } from "./support/webhooks.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { approveAndMerge, handPr, jitAttachments } from "./support/scenario.js";
import { pulls } from "./support/app-harness.js";
import type { AccessRequest, PolicyDocument } from "../src/domain/types.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { loadYamlMapping } from "../src/domain/yaml.js";
import { expiryOf } from "../src/policy/stamp.js";

let h: Harness;
let slack: SlackReceiver;
beforeEach(async () => {
  slack = await startSlackReceiver();
  h = await startHarness({
    config: CONFIG + "max_total_duration: 14h\n",
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
      requests: new SweepRequestsRepo(octokit, { owner, repo, defaultBranch: "main" }),
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

/** The grant's policy in the fake IAM: its versions' expiry, its expiry tag; and its schedules. */
function awsState(id: string) {
  const account = h.aws.state.accounts.get(HOME)!;
  const policy = [...account.iam.policies.values()].find((p) => p.name === `jit-${id}`);
  return {
    versions: policy ? [...policy.versions.values()].map((v) => expiryOf(JSON.parse(v.document) as PolicyDocument)) : [],
    tag: policy?.tags.find((t) => t.Key === "jit-access:expires-at")?.Value,
    schedules: Object.fromEntries(
      [...account.scheduler.schedules.values()].filter((s) => s.Name.startsWith(`jit-${id}`)).map((s) => [s.Name, s.ScheduleExpression]),
    ),
  };
}

/** The app's reply to /extend on an issue (one comment, updated). */
const extendReply = (n: number) => h.github.comments(REPO, n).find((c) => c.body.startsWith("<!-- jit-access:extend -->"))?.body ?? "";

async function comment(n: number, user: string, body: string): Promise<void> {
  const c = h.github.addComment(REPO, n, { user, body });
  expect(await h.deliver(issueCommentCreated(h.github, REPO, n, c))).toBe(200);
}

async function grantedRequest(): Promise<{ issue: number; id: string; file: string }> {
  const { issue, pr, file } = await openRequest(h, "alice", issueBody());
  expect(await approveAndMerge(h, pr!)).toBe(200);
  const id = /([^/]+)\.yaml$/.exec(file!)![1]!;
  expect(h.github.readFile(REPO, file!, "main")).toMatch(/^status: active$/m);
  return { issue, id, file: file! };
}

describe("extension", () => {
  it("/extend by the requester → a linked extension PR → approved and merged: policy version, expiry tag, schedules and record all moved; one over the total cap is refused", async () => {
    const { issue, id, file } = await grantedRequest();
    expect(awsState(id)).toEqual({
      versions: ["2026-11-27T16:00:00Z"],
      tag: "2026-11-27T16:00:00Z",
      schedules: { [`jit-${id}`]: "at(2026-11-27T16:00:00)", [`jit-${id}-delete`]: "at(2026-11-27T16:10:00)" },
    });

    // Two extensions asked while the grant ends at 16:00: each fits the 14h cap on its own.
    await comment(issue, "alice", "/extend 4h the reconciliation is still running");
    await comment(issue, "alice", "/extend 4h and the audit after it");
    expect(slackText()).toContain(`${id}-ext-1`); // the approvers are told, as of any request
    const extPrs = pulls(h.github).filter((p) => p.head.startsWith(`jit/${id}-ext-`));
    expect(extPrs.map((p) => p.head)).toEqual([`jit/${id}-ext-1`, `jit/${id}-ext-2`]);
    const [first, second] = extPrs.map((p) => p.number) as [number, number];
    const extFile = h.github.pullFiles(REPO, first)[0]!.filename;
    expect(h.github.readFile(REPO, extFile, `jit/${id}-ext-1`)).toMatch(new RegExp(`^extends: ${id}$`, "m"));
    await h.deliver(pullRequestEvent(h.github, REPO, first, "opened"));
    // The check judges the extension like any request: valid, same policy, green.
    const check = h.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1);
    expect([check?.conclusion, check?.output?.title]).toEqual(["success", expect.any(String)]);
    expect(pulls(h.github).find((p) => p.number === first)?.body).toContain(`asks to extend **${id}** by **4h**`);

    // alice cannot approve her own extension; bob can.
    expect(await approveAndMerge(h, first)).toBe(200);
    expect(awsState(id)).toEqual({
      versions: ["2026-11-27T20:00:00Z"],
      tag: "2026-11-27T20:00:00Z",
      schedules: { [`jit-${id}`]: "at(2026-11-27T20:00:00)", [`jit-${id}-delete`]: "at(2026-11-27T20:10:00)" },
    });
    expect(jitAttachments(h.aws)).toHaveLength(1);
    const record = h.github.readFile(REPO, file, "main") ?? "";
    expect(record).toMatch(/^ {2}expires_at: '?2026-11-27T20:00:00Z'?$/m);
    expect(record).toContain(`id: ${id}-ext-1`);
    expect(record).toMatch(/previous_expires_at: '?2026-11-27T16:00:00Z'?/);
    const extendCommit = h.github.commits(REPO).find((c) => c.message.startsWith(`jit-access: extend ${id}`));
    expect(parseTrailers(extendCommit?.message ?? "")).toMatchObject({ "Request-Id": [id], "Approved-By": ["bob"], "Expires-At": ["2026-11-27T20:00:00Z"] });
    expect(h.github.readFile(REPO, extFile, "main")).toMatch(/^status: expired$/m);
    expect(
      h.github
        .comments(REPO, issue)
        .map((c) => c.body)
        .join("\n"),
    ).toContain("now ends at **2026-11-27T20:00:00Z**");
    expect(slackText()).toContain("Access extended");
    expect(h.github.issueState(REPO, issue)).toMatchObject({ state: "open" });

    // The second would end at 00:00, 16h after the grant: over max_total_duration 14h.
    expect(await approveAndMerge(h, second)).toBe(200);
    expect(awsState(id).versions).toEqual(["2026-11-27T20:00:00Z"]);
    expect(awsState(id).schedules[`jit-${id}`]).toBe("at(2026-11-27T20:00:00)");
    expect(h.github.readFile(REPO, file, "main")).toMatch(/^ {2}expires_at: '?2026-11-27T20:00:00Z'?$/m);
    const ext2 = h.github.readFile(REPO, h.github.pullFiles(REPO, second)[0]!.filename, "main") ?? "";
    expect(ext2).toMatch(/^status: rejected$/m);
    expect(ext2).toMatch(/^ {2}code: merge\.extension-too-long$/m);
    expect(h.github.comments(REPO, second).at(-1)?.body).toContain("Not extended");
    // The original's issue still says granted and active.
    expect(h.github.labels(REPO, issue)).toContain("jit:active");

    // Asked directly over the cap: refused at once, no pull request.
    await comment(issue, "alice", "/extend 3h one more time");
    expect(extendReply(issue)).toContain("merge.extension-too-long");
    expect(pulls(h.github).filter((p) => p.head.startsWith(`jit/${id}-ext-`))).toHaveLength(2);
  });
});

describe("attacks on /extend", () => {
  it("by someone other than the requester: refused with its code, nothing opened", async () => {
    const { issue, id } = await grantedRequest();
    await comment(issue, "mallory", "/extend 2h let me keep it");
    expect(extendReply(issue)).toContain("github.extend-not-requester");
    // The approver is not the requester either.
    await comment(issue, "alice", "just a note");
    await comment(issue, "bob", "/extend 2h on alice's behalf");
    expect(extendReply(issue)).toContain("github.extend-not-requester");
    expect(extendReply(issue)).toContain("only the requester");
    expect(pulls(h.github).filter((p) => p.head.startsWith(`jit/${id}-ext-`))).toEqual([]);
  });

  it("of a revoked request, and of an expired one: refused (record.not-active)", async () => {
    const a = await grantedRequest();
    await comment(a.issue, "alice", "/revoke done");
    await comment(a.issue, "alice", "/extend 2h actually not done");
    expect(
      h.github
        .comments(REPO, a.issue)
        .map((c) => c.body)
        .join("\n"),
    ).toContain("record.not-active");

    const b = await grantedRequest();
    h.clock.now = new Date(Date.parse("2026-11-27T16:00:01Z"));
    await comment(b.issue, "alice", "/extend 2h too late");
    expect(extendReply(b.issue)).toContain("record.not-active");
    expect(pulls(h.github).filter((p) => p.head.includes("-ext-"))).toEqual([]);
  });

  it("a hand-made extension PR that widens the access: merged, refused with its code, AWS and the original record unchanged", async () => {
    const { id, file } = await grantedRequest();
    const original = h.github.readFile(REPO, file, "main") ?? "";
    const before = awsState(id);
    // carol's PR: extends alice's grant, as alice, with a wider policy.
    const loaded = loadYamlMapping(original, "record");
    if (!loaded.ok) throw new Error("the record does not load");
    const { status: _s, grant: _g, ...proposal } = loaded.value as unknown as AccessRequest;
    const policy = structuredClone(proposal.policy!);
    policy.Statement[0]!.Action = ["s3:PutObject", "s3:GetObject"];
    const wider = dumpRequest({ ...proposal, id: `${id}-ext-9`, extends: id, duration: "2h", policy }, "a wider extension");
    const pr = await handPr(h, "alice", "extend-wide", { [file.replace(`${id}.yaml`, `${id}-ext-9.yaml`)]: wider });
    expect(await approveAndMerge(h, pr)).toBe(200);
    expect(awsState(id)).toEqual(before);
    expect(h.github.readFile(REPO, file, "main")).toBe(original);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toMatch(/Not (granted|extended)/);
    expect(h.github.readFile(REPO, file.replace(`${id}.yaml`, `${id}-ext-9.yaml`), "main")).toMatch(
      /^ {2}code: (merge\.extension-scope-changed|guardrail\.[a-z-]+)$/m,
    );
  });
});

describe("attacks on extension pull requests", () => {
  it("someone else's hand-made extension of alice's grant (as alice, same access): approved and merged, still refused", async () => {
    const { id, file } = await grantedRequest();
    const original = h.github.readFile(REPO, file, "main") ?? "";
    const before = awsState(id);
    const loaded = loadYamlMapping(original, "record");
    if (!loaded.ok) throw new Error("the record does not load");
    const { status: _s, grant: _g, ...proposal } = loaded.value as unknown as AccessRequest;
    const extPath = file.replace(`${id}.yaml`, `${id}-ext-8.yaml`);
    const pr = await handPr(h, "carol", "carol-extends", { [extPath]: dumpRequest({ ...proposal, id: `${id}-ext-8`, extends: id, duration: "2h" }, "x") });
    expect(await approveAndMerge(h, pr)).toBe(200);
    expect(awsState(id)).toEqual(before);
    expect(h.github.readFile(REPO, file, "main")).toBe(original);
    expect(h.github.readFile(REPO, extPath, "main")).toMatch(/^ {2}code: merge\.extension-target-invalid$/m);
  });
});
