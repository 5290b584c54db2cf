// End to end: a grant's CloudTrail activity when `/revoke` ends it — the real app against the fake
// GitHub and the fake AWS, whose LookupEvents (moto does not implement it) serves the events the
// test puts there as the holder's calls.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRequestFile } from "../src/domain/request.js";
import { ACTIVITY_MARKER } from "../src/github/activity-comment.js";
import { approveAndMerge, configOfText, openRequest } from "./support/scenario.js";
import { attachedTo, CONFIG, issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { issueCommentCreated } from "./support/webhooks.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ activity: true });
});
afterEach(async () => {
  await h.close();
});

const alice = { type: "IAMUser" as const, userName: "alice" };
const bucket = [{ ResourceType: "AWS::S3::Bucket", ResourceName: "financial-reports" }];

async function grantAndUse(): Promise<{ issue: number; file: string }> {
  const opened = await openRequest(h, "alice", issueBody());
  if (!opened.pr || !opened.file) throw new Error("no PR");
  expect(await approveAndMerge(h, opened.pr)).toBe(200);
  expect(attachedTo(h.aws, "alice")).toHaveLength(1);
  const at = (m: number) => new Date(h.clock.now.getTime() + m * 60_000);
  h.aws.recordEvent({ account: HOME, eventName: "ListObjectsV2", eventSource: "s3.amazonaws.com", eventTime: at(5), identity: alice, resources: bucket });
  h.aws.recordEvent({ account: HOME, eventName: "ListObjectsV2", eventSource: "s3.amazonaws.com", eventTime: at(6), identity: alice, resources: bucket });
  h.aws.recordEvent({ account: HOME, eventName: "GetBucketLocation", eventSource: "s3.amazonaws.com", eventTime: at(7), identity: alice, resources: bucket });
  h.aws.recordEvent({ account: HOME, eventName: "GetBucketTagging", eventSource: "s3.amazonaws.com", eventTime: at(8), identity: alice, resources: bucket });
  h.aws.recordEvent({
    account: HOME,
    eventName: "DeleteBucket",
    eventSource: "s3.amazonaws.com",
    eventTime: at(9),
    identity: alice,
    errorCode: "AccessDenied",
    resources: bucket,
  });
  h.clock.now = at(60);
  return { issue: opened.issue, file: opened.file };
}

async function revoke(issue: number): Promise<void> {
  const c = h.github.addComment(REPO, issue, { user: "alice", body: "/revoke done early" });
  expect(await h.deliver(issueCommentCreated(h.github, REPO, issue, c))).toBe(200);
}

describe("/revoke with activity", () => {
  it("the holder used 3 granted actions and hit one AccessDenied: the closing comment and the record's activity", async () => {
    const { issue, file } = await grantAndUse();
    await revoke(issue);
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    const text = h.github.readFile(REPO, file, "main") ?? "";
    const parsed = parseRequestFile(text, { file, config: configOfText(CONFIG) });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const r = parsed.value.request;
    expect(r.status).toBe("revoked");
    expect(r.activity).toMatchObject({
      status: "summarised",
      total: 5,
      denied_total: 1,
      services: { s3: 5 },
      used: ["s3:GetBucketLocation", "s3:GetBucketTagging", "s3:ListBucket"],
      data_events_visible: false,
    });
    expect(r.activity?.denied).toEqual([
      { at: expect.stringMatching(/^2026-11-27T08:09/), action: "s3:DeleteBucket", error: "AccessDenied", resource: "financial-reports" },
    ]);
    const granted = (r.activity?.used?.length ?? 0) + (r.activity?.unused_total ?? 0);
    expect(granted).toBeGreaterThan(3);
    const commits = h.github.commits(REPO, { path: file, ref: "main" }).map((c) => c.message.split("\n")[0]);
    expect(commits.slice(0, 2)).toEqual([`jit-access: activity of ${r.id}`, `jit-access: revoke ${r.id}`]);
    const comment = h.github.comments(REPO, issue).find((c) => c.body.startsWith(ACTIVITY_MARKER))?.body ?? "";
    expect(comment).toContain("IAM user `alice`");
    expect(comment).toContain("**5 calls** to 1 service, **1 denied**");
    expect(comment).toContain("`s3:DeleteBucket` on `financial-reports` (AccessDenied)");
    expect(comment).toContain(`**Granted but never used**: ${granted - 3} of ${granted} actions`);
    expect(comment).toContain("- { service: s3, actions: [s3:GetBucketLocation, s3:GetBucketTagging, s3:ListBucket], resources: [financial-reports] }");
    expect(comment).toContain("management events only");
    // The revoke itself was said as before, and last.
    expect(h.github.comments(REPO, issue).at(-1)?.body).toContain("Revoked by alice");
  });

  it("a CloudTrail outage: the revoke completes and the comment says the activity is unavailable", async () => {
    const { issue, file } = await grantAndUse();
    h.aws.faults.add({ kind: "server-error", service: "cloudtrail", times: 1000 });
    await revoke(issue);
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    const text = h.github.readFile(REPO, file, "main") ?? "";
    expect(text).toContain("status: revoked");
    expect(text).toMatch(/activity:\n\s+status: unavailable\n\s+code: aws\.activity-unavailable/);
    const comment = h.github.comments(REPO, issue).find((c) => c.body.startsWith(ACTIVITY_MARKER))?.body ?? "";
    expect(comment).toContain("**Activity unavailable**");
    expect(comment).toContain("The grant was closed all the same.");
    expect(h.github.issueState(REPO, issue)).toMatchObject({ state: "closed", state_reason: "completed" });
  });
});
