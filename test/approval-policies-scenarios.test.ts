// Auto-approval and break-glass end to end: the real app against the fake GitHub and the fake AWS.
// Scenarios (a low-risk request granted with no human; break-glass with its alert, label and
// review issue) and attacks on both paths (a forged /break-glass, break-glass on another's
// request or over its max_duration, auto-approval of a high-risk request, over its cap, with a
// config change in the same PR, of a file changed after the match, and a forged claim in a merge
// made by a person). Codes are asserted, never wording.
import { afterEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import type { NotificationEvent } from "../src/notify/types.js";
import { attachedTo, CONFIG, issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { expectNothingGranted, openRequest } from "./support/scenario.js";
import { issueCommentCreated, pullRequestEvent } from "./support/webhooks.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const RULES = `auto_approve:
  - name: prod-read
    risk: [low]
    accounts: [prod]
    requesters: ["@acme/devs"]
    max_per_day: 1
break_glass:
  users: [alice]
  max_duration: 2h
  slack_webhook_env: SECURITY_SLACK
`;

interface Sent {
  env: string | undefined;
  event: NotificationEvent;
}

async function start(config = `${CONFIG}${RULES}`): Promise<{ hh: Harness; sent: Sent[] }> {
  const sent: Sent[] = [];
  const hh = (h = await startHarness({
    config,
    notifierFor: (c) => ({ channels: ["test"], notify: async (event) => void sent.push({ env: c.notifications.slack_webhook_env, event }) }),
  }));
  hh.github.addTeam("acme", "devs", { alice: "active", carol: "active" });
  return { hh, sent };
}

const pr = (hh: Harness, n: number) => hh.github.pullState(REPO, n);
const commentWith = (hh: Harness, n: number, marker: string) => hh.github.comments(REPO, n).find((c) => c.body.startsWith(marker))?.body ?? "";
const AUTO = "<!-- jit-access:auto-approve -->";
const GLASS = "<!-- jit-access:break-glass -->";

/** Opens a request and delivers the PR's opened event, as GitHub does for the app's own PR. */
async function request(hh: Harness, user: string, body = issueBody()): Promise<{ issue: number; pr: number; file: string; branch: string }> {
  const r = await openRequest(hh, user, body);
  if (!r.pr || !r.file || !r.branch) throw new Error(`no pull request for ${user}'s request`);
  expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr, "opened"))).toBe(200);
  return { issue: r.issue, pr: r.pr, file: r.file, branch: r.branch };
}

/** Delivers pull_request.closed for a merged PR. */
const closed = (hh: Harness, n: number) => hh.deliver(pullRequestEvent(hh.github, REPO, n, "closed"));

async function comment(hh: Harness, n: number, user: string, body: string): Promise<void> {
  const c = hh.github.addComment(REPO, n, { user, body });
  expect(await hh.deliver(issueCommentCreated(hh.github, REPO, n, c))).toBe(200);
}

describe("auto-approval", () => {
  it("a low-risk request in the rule's account by a team member is merged by the app and granted with no human", async () => {
    const { hh, sent } = await start();
    const r = await request(hh, "alice");
    const merged = pr(hh, r.pr);
    expect(merged.pull.merged).toBe(true);
    expect(merged.pull.merged_by).toBe("jit-access[bot]");
    expect(merged.pull.reviews).toEqual([]);
    expect(commentWith(hh, r.pr, AUTO)).toContain("prod-read");

    expect(await closed(hh, r.pr)).toBe(200);
    expect(attachedTo(hh.aws, "alice")).toHaveLength(1);
    const record = hh.github.readFile(REPO, r.file, "main") ?? "";
    expect(record).toContain("status: active");
    expect(record).toMatch(/approved_by:\n\s+- rule:prod-read/);
    expect(record).toMatch(/auto_approval:\n\s+rule: prod-read\n\s+config_sha: '?[0-9a-f]{40}/);
    const trailers = parseTrailers(hh.github.commits(REPO, { path: r.file, ref: "main" })[0]?.message ?? "");
    expect(trailers).toMatchObject({ "Approved-By": ["rule:prod-read"], "Auto-Approve-Rule": ["prod-read"], Risk: ["low"] });
    expect(trailers["Matched"]).toEqual(expect.arrayContaining(["risk=low", "account=prod", "requester=alice", "via=@acme/devs"]));
    expect(trailers["Config-Sha"]?.[0]).toBe(hh.github.fileSha(REPO, ".github/jit-access.yml", "main"));
    expect(sent.find((s) => s.event.kind === "granted")?.event).toMatchObject({ approvedBy: ["rule:prod-read"] });
  });

  it("over the cap: the second request the same day waits for people (approval.auto-cap), counted from the records", async () => {
    const { hh } = await start();
    const first = await request(hh, "alice");
    await closed(hh, first.pr);
    const second = await request(hh, "alice", issueBody({ resources: "other-reports" }));
    expect(pr(hh, second.pr).pull.merged).toBe(false);
    expect(commentWith(hh, second.pr, AUTO)).toContain("approval.auto-cap");
  });

  it("a high-risk request is never auto-approved (approval.auto-high-risk), even by a rule for every risk it may hold", async () => {
    const { hh } = await start(`${CONFIG}${RULES.replace("risk: [low]", "risk: [low, medium]")}`);
    const r = await request(hh, "alice", issueBody({ access: "read,write", actions: "s3:DeleteBucket", resources: "financial-reports" }));
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-high-risk");
    expectNothingGranted(hh);
  });

  it("a request for an account the rule does not cover waits for people (approval.auto-no-match)", async () => {
    const { hh } = await start(
      `${CONFIG.replace(`prod: "111111111111"`, `prod: "111111111111"\n    staging: "222222222222"`)}${RULES.replace("accounts: [prod]", "accounts: [staging]")}`,
    );
    const r = await request(hh, "alice");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-no-match");
  });

  it("an objection blocks the rule: changes requested, then a push re-checks it (approval.changes-requested)", async () => {
    const { hh } = await start(`${CONFIG}${RULES.replace('requesters: ["@acme/devs"]', "requesters: [nobody]")}`);
    const r = await request(hh, "alice");
    hh.github.addReview(REPO, r.pr, { user: "dave", state: "CHANGES_REQUESTED" });
    // The rule now covers alice (an admin widened it on main); the objection still stands.
    hh.github.commitFiles(REPO, "main", { ".github/jit-access.yml": `${CONFIG}${RULES}` }, { author: "admin", message: "widen" });
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr, "reopened"))).toBe(200);
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.changes-requested");
  });

  it("a requester outside the rule's team waits for people (approval.auto-no-match)", async () => {
    const { hh } = await start(`${CONFIG.replace("alice: { iam_user: alice }", "alice: { iam_user: alice }\n  erin: { iam_user: erin }")}${RULES}`);
    const r = await request(hh, "erin");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-no-match");
  });

  it("a config change pushed into the request's own PR is never auto-approved (approval.auto-config-changed)", async () => {
    const { hh } = await start(
      `${CONFIG}${RULES.replace(/auto_approve:[\s\S]*?break_glass/, "auto_approve:\n  - name: none\n    risk: [low]\n    accounts: [prod]\n    requesters: [nobody]\nbreak_glass")}`,
    );
    const r = await request(hh, "alice");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    // The requester widens the rule in the same PR: the rules are read at the default branch, and
    // a PR touching the config is refused for auto-approval whatever it says.
    hh.github.commitFiles(REPO, r.branch, { ".github/jit-access.yml": `${CONFIG}${RULES}` }, { author: "alice", message: "widen" });
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr, "synchronize"))).toBe(200);
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-config-changed");
    expectNothingGranted(hh);
  });

  it("a file changed after the match is not merged on the old match (approval.auto-changed)", async () => {
    const { hh } = await start();
    const r = await openRequest(hh, "alice", issueBody());
    // The opened event is delivered late: the requester has pushed since (a wider request).
    const stale = pullRequestEvent(hh.github, REPO, r.pr!, "opened");
    const text = hh.github.readFile(REPO, r.file!, r.branch) ?? "";
    hh.github.commitFiles(REPO, r.branch!, { [r.file!]: text.replace("duration: 8h", "duration: 7h") }, { author: "alice", message: "shorter" });
    expect(await hh.deliver(stale)).toBe(200);
    expect(pr(hh, r.pr!).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr!, AUTO)).toContain("approval.auto-changed");
    expectNothingGranted(hh);
  });

  it("GitHub refusing the app's merge (branch protection) leaves the request to people (github.merge-refused)", async () => {
    const { hh } = await start();
    const r = await openRequest(hh, "alice", issueBody());
    hh.github.faults.failNext("PUT", /\/pulls\/\d+\/merge$/, 405, 1);
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "opened"))).toBe(200);
    expect(pr(hh, r.pr!).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr!, AUTO)).toContain("github.merge-refused");
    expectNothingGranted(hh);
  });

  it("a person who merges with the app's claim in the message gets no auto-approval (approval.insufficient)", async () => {
    const { hh } = await start(`${CONFIG}${RULES.replace('requesters: ["@acme/devs"]', "requesters: [nobody]")}`);
    const r = await request(hh, "alice");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    const sha = hh.github.fileSha(REPO, ".github/jit-access.yml", "main") ?? "0".repeat(40);
    hh.github.mergePull(REPO, r.pr, {
      user: "bob",
      method: "squash",
      title: "jit-access: auto-approve",
      message: `Jit-Approval: rule\nRequest-Id: ${r.issue}-financial-reports\nApproved-By: rule:prod-read\nConfig-Sha: ${sha}\nRequest-Blob: ${"a".repeat(40)}`,
    });
    expect(await closed(hh, r.pr)).toBe(200);
    expectNothingGranted(hh);
    expect(hh.github.readFile(REPO, r.file, "main")).toContain("code: approval.insufficient");
  });
});

describe("break-glass", () => {
  const SHORT = issueBody({ duration: "1h" });

  it("end to end: the listed requester approves their own request; merged, granted, labelled, alerted, review issue opened", async () => {
    const { hh, sent } = await start(`${CONFIG}${RULES.replace(/auto_approve:[\s\S]*?break_glass/, "break_glass")}`);
    const r = await request(hh, "alice", SHORT);
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    await comment(hh, r.pr, "alice", "/break-glass INC-7 database failover stuck, need to read the reports bucket");
    expect(pr(hh, r.pr).pull.merged_by).toBe("jit-access[bot]");
    expect(await closed(hh, r.pr)).toBe(200);

    expect(attachedTo(hh.aws, "alice")).toHaveLength(1);
    const record = hh.github.readFile(REPO, r.file, "main") ?? "";
    expect(record).toMatch(/break_glass:\n\s+by: alice\n\s+incident: INC-7/);
    const trailers = parseTrailers(hh.github.commits(REPO, { path: r.file, ref: "main" })[0]?.message ?? "");
    expect(trailers).toMatchObject({ "Approved-By": ["alice"], "Break-Glass-By": ["alice"], "Break-Glass-Incident": ["INC-7"] });

    for (const n of [r.pr, r.issue]) expect(hh.github.labels(REPO, n)).toContain("jit:break-glass");
    const review = [...hh.github.repo(REPO).issues.values()].find((i) => i.title.startsWith("Break-glass review"));
    expect(review?.assignees.sort()).toEqual(["bob", "dave"]);
    expect(review?.labels).toContain("jit:break-glass");
    const alert = sent.find((s) => s.event.kind === "break-glass");
    expect(alert?.env).toBe("SECURITY_SLACK");
    expect(alert?.event).toMatchObject({ by: "alice", incident: "INC-7", reviewIssue: review?.number });
  });

  it.each<[string, string, string]>([
    ["approval.break-glass-not-listed", "carol", "carol"],
    ["approval.break-glass-not-requester", "carol", "alice"],
  ])("forged /break-glass → %s (request of %s, command by %s)", async (code, owner, commenter) => {
    const { hh } = await start(`${CONFIG}${RULES.replace(/auto_approve:[\s\S]*?break_glass/, "break_glass")}`);
    const r = await request(hh, owner, SHORT);
    await comment(hh, r.pr, commenter, "/break-glass INC-9 this is an emergency, trust me");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, GLASS)).toContain(code);
    expectNothingGranted(hh);
  });

  it("over break_glass.max_duration → approval.break-glass-too-long", async () => {
    const { hh } = await start(`${CONFIG}${RULES.replace(/auto_approve:[\s\S]*?break_glass/, "break_glass")}`);
    const r = await request(hh, "alice", issueBody({ duration: "3h" }));
    await comment(hh, r.pr, "alice", "/break-glass INC-10 database failover stuck again");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, GLASS)).toContain("approval.break-glass-too-long");
    expectNothingGranted(hh);
  });

  it("off unless configured", async () => {
    const { hh } = await start(CONFIG);
    const r = await request(hh, "alice", SHORT);
    await comment(hh, r.pr, "alice", "/break-glass INC-11 database failover stuck again");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, GLASS)).toContain("approval.break-glass-off");
  });
});
