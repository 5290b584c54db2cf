// Scenario tests: the real Probot app against the fake GitHub and fake AWS, driven by signed
// webhooks — the seed's Alice/Bob story end to end, and the ways it must refuse.
// Also run under Node 24 (NODE24 in vitest.config.ts): the app over HTTP: webhook signatures, the app's JWT, Octokit over fetch (one file for the scenario suites).
// @module-tag node24
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { attachedTo, issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { issueCommentCreated, issuesOpened, pullRequestEvent, sendWebhook } from "./support/webhooks.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function openRequest(
  user = "alice",
  body = issueBody(),
  title = "Access request: financial reports",
): Promise<{ issue: number; pr: number; branch: string; file: string }> {
  const issue = h.github.openIssue(REPO, { user, title, body, labels: ["access-request"] });
  expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
  const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
  if (!pr) throw new Error(`no PR for issue ${issue}: ${JSON.stringify(h.github.comments(REPO, issue).map((c) => c.body))}`);
  const files = h.github.pullFiles(REPO, pr.number);
  return { issue, pr: pr.number, branch: pr.head, file: files[0]!.filename };
}

async function approveAndMerge(pr: number, approver = "bob", merger = approver): Promise<void> {
  h.github.addReview(REPO, pr, { user: approver, state: "APPROVED" });
  h.github.mergePull(REPO, pr, { user: merger });
  expect(await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"))).toBe(200);
}

describe("Alice asks, Bob approves", () => {
  it("issue → PR with policy → approval → merge → policy attached → record with trailers → comments", async () => {
    const { issue, pr, file } = await openRequest();
    expect(file).toBe(`access-requests/prod/2026/${issue}-financial-reports.yaml`);
    const proposed = h.github.readFile(REPO, file, `jit/${issue}-financial-reports`);
    expect(proposed).toContain("generator: builtin/1");
    expect(proposed).toContain("arn:aws:s3:::financial-reports");
    const check = h.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1);
    expect(check?.conclusion).toBe("success");
    const prBody = h.github.pullState(REPO, pr).body ?? "";
    expect(prBody).toContain(`Refs issue #${issue}`);
    expect(prBody).not.toMatch(/(close|fix|resolve)[sd]? #/i);
    expect(h.github.comments(REPO, issue).at(-1)?.body).toContain(`Pull request #${pr}`);

    await approveAndMerge(pr);

    const attached = attachedTo(h.aws, "alice");
    expect(attached).toEqual([`arn:aws:iam::111111111111:policy/jit-access/jit-${issue}-financial-reports`]);
    const record = h.github.readFile(REPO, file, "main") ?? "";
    expect(record).toContain("status: active");
    expect(record).toMatch(/expires_at: '?2026-11-27T16:00:00Z'?/);
    const recordCommit = h.github.commits(REPO, { path: file, ref: "main" })[0];
    expect(parseTrailers(recordCommit?.message ?? "")).toMatchObject({
      "Request-Id": [`${issue}-financial-reports`],
      "Approved-By": ["bob"],
      "Expires-At": ["2026-11-27T16:00:00Z"],
    });
    expect(h.github.labels(REPO, issue)).toContain("jit:active");
    expect(h.github.comments(REPO, issue).some((c) => c.body.includes("Granted"))).toBe(true);
    expect(h.github.issueState(REPO, issue).state).toBe("open");
  });

  it("a duplicate merge delivery grants once and records once", async () => {
    const { pr, file } = await openRequest();
    await approveAndMerge(pr);
    const commitsBefore = h.github.commits(REPO, { path: file, ref: "main" }).length;
    expect(await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"))).toBe(200);
    expect(h.github.commits(REPO, { path: file, ref: "main" }).length).toBe(commitsBefore);
    expect(attachedTo(h.aws, "alice")).toHaveLength(1);
  });

  it("a merge delivery that fails after the record is written says Granted when redelivered", async () => {
    const { issue, pr, file } = await openRequest();
    h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    h.github.mergePull(REPO, pr, { user: "bob" });
    // The first comment write after the record fails: the delivery errors out.
    h.github.faults.failNext("POST", /\/issues\/\d+\/comments$/, 502, 1);
    const event = pullRequestEvent(h.github, REPO, pr, "closed");
    expect(await h.deliver(event)).toBeGreaterThanOrEqual(500);
    expect(h.github.readFile(REPO, file, "main")).toContain("status: active");
    expect(await h.deliver(event)).toBe(200);
    expect(h.github.comments(REPO, issue).some((c) => c.body.includes("Granted"))).toBe(true);
    expect(h.github.comments(REPO, pr).some((c) => c.body.includes("Granted"))).toBe(true);
    expect(h.github.commits(REPO, { path: file, ref: "main" }).filter((c) => c.message.startsWith("jit-access: grant"))).toHaveLength(1);
    expect(attachedTo(h.aws, "alice")).toHaveLength(1);
  });

  it("/revoke by a stranger is refused; by the requester it revokes and closes the issue", async () => {
    const { issue, pr, file } = await openRequest();
    await approveAndMerge(pr);
    const stranger = h.github.addComment(REPO, issue, { user: "mallory", body: "/revoke" });
    await h.deliver(issueCommentCreated(h.github, REPO, issue, stranger));
    expect(attachedTo(h.aws, "alice")).toHaveLength(1);
    expect(h.github.comments(REPO, issue).at(-1)?.body).toContain("only the requester or an approver");

    const mine = h.github.addComment(REPO, issue, { user: "alice", body: "/revoke done early" });
    await h.deliver(issueCommentCreated(h.github, REPO, issue, mine));
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.readFile(REPO, file, "main")).toContain("status: revoked");
    expect(h.github.issueState(REPO, issue)).toMatchObject({ state: "closed", state_reason: "completed" });
  });

  it("a PR closed without merging rejects the request and closes the issue as not planned", async () => {
    const { issue, pr } = await openRequest();
    h.github.setIssueState(REPO, pr, "closed", { user: "bob", reason: "not_planned" });
    await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
    expect(h.github.issueState(REPO, issue)).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(h.github.labels(REPO, issue)).toContain("jit:rejected");
    expect(attachedTo(h.aws, "alice")).toEqual([]);
  });
});

describe("refusals: nothing is granted", () => {
  it("invalid issue input gets a comment listing every problem and no PR", async () => {
    const issue = h.github.openIssue(REPO, {
      user: "alice",
      title: "Access request: x",
      body: issueBody({ account: "nope", duration: "8 hours" }),
      labels: ["access-request"],
    });
    await h.deliver(issuesOpened(h.github, REPO, issue));
    expect(pulls(h.github)).toHaveLength(0);
    const body = h.github.comments(REPO, issue).at(-1)?.body ?? "";
    expect(body).toContain("account");
    expect(body).toContain("duration");
    expect(h.github.labels(REPO, issue)).toContain("jit:invalid");
  });

  it("self-approval by the requester does not count", async () => {
    const { issue, pr } = await openRequest("alice");
    // alice cannot approve her own PR on GitHub only if she authored it; the PR is the app's.
    await approveAndMerge(pr, "alice", "bob");
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toContain("Not granted");
    expect(h.github.labels(REPO, issue)).toContain("jit:blocked");
  });

  it("an approval on an older commit does not count after a push", async () => {
    const { pr, branch, file } = await openRequest();
    h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    const text = h.github.readFile(REPO, file, branch) ?? "";
    h.github.commitFiles(
      REPO,
      branch,
      { [file]: text.replace("reason: Quarter-end reconciliation", "reason: Quarter-end reconciliation (edited)") },
      { author: "carol", message: "edit" },
    );
    h.github.mergePull(REPO, pr, { user: "bob" });
    await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toMatch(/stale-approval|insufficient-approvals/);
  });

  it("an approval by someone who is neither approver nor code owner does not count", async () => {
    const { pr } = await openRequest();
    await approveAndMerge(pr, "mallory", "bob");
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toMatch(/not-authorized|insufficient-approvals/);
  });

  it("a PR that changes a request file and anything else is blocked", async () => {
    const { pr, branch } = await openRequest();
    h.github.commitFiles(REPO, branch, { "README.md": "changed\n" }, { author: "alice", message: "sneak" });
    await approveAndMerge(pr);
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toContain("one-request-file");
  });

  it("high risk needs two approvers", async () => {
    const { pr } = await openRequest("alice", issueBody({ access: "permissions-management", actions: "s3:PutBucketPolicy" }));
    await approveAndMerge(pr, "bob");
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toContain("insufficient-approvals");
  });

  it("a forged webhook signature is refused with 4xx and nothing happens", async () => {
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: x", body: issueBody(), labels: ["access-request"] });
    const event = issuesOpened(h.github, REPO, issue);
    const before = h.github.requests.length;
    const r = await sendWebhook(h.url, "wrong-secret", event.name, event.payload);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(h.github.requests.length).toBe(before);
    expect(pulls(h.github)).toHaveLength(0);
  });

  it("a grant failure in AWS leaves nothing attached and says so", async () => {
    const { pr } = await openRequest();
    h.aws.faults.add({ kind: "crash-after", service: "iam", op: "AttachUserPolicy" });
    await approveAndMerge(pr);
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(h.github.comments(REPO, pr).at(-1)?.body).toContain("Grant failed");
  });
});
