// Approval attacks through the merge delivery's GraphQL read (src/github/merge-facts.ts): the
// reviews, the merge commit and the request's issue come from one query, and must be judged
// exactly as the REST answers were. Each case also says which path read the reviews: GraphQL when
// its answer is exact, REST when it is not (more than 100 reviews, a review by a bot).
import { afterEach, describe, expect, it } from "vitest";
import { issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { expectNothingGranted, jitAttachments, lastComment, openRequest } from "./support/scenario.js";
import { pullRequestEvent } from "./support/webhooks.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Merges as `merger` and delivers pull_request.closed; answers which REST reads of the merge facts the delivery made. */
async function mergeAndDeliver(
  hh: Harness,
  pr: number,
  merger = "bob",
): Promise<{ restReviews: number; restCommit: number; restIssue: number; graphql: number }> {
  hh.github.mergePull(REPO, pr, { user: merger });
  hh.github.clearRequests();
  expect(await hh.deliver(pullRequestEvent(hh.github, REPO, pr, "closed"))).toBe(200);
  const reqs = hh.github.requests;
  return {
    restReviews: reqs.filter((r) => r.method === "GET" && /\/pulls\/\d+\/reviews$/.test(r.path)).length,
    restCommit: reqs.filter((r) => r.method === "GET" && /\/git\/commits\//.test(r.path)).length,
    restIssue: reqs.filter((r) => r.method === "GET" && /\/issues\/\d+$/.test(r.path)).length,
    graphql: reqs.filter((r) => r.path === "/graphql").length,
  };
}

describe("approvals judged on the GraphQL read of the merge", () => {
  it("control: an approval by an approver on the merged head grants, with no REST read of reviews, merge commit or issue", async () => {
    h = await startHarness();
    const { pr } = await openRequest(h, "alice", issueBody());
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    const calls = await mergeAndDeliver(h, pr!);
    expect(jitAttachments(h.aws)).toHaveLength(1);
    expect(calls).toMatchObject({ restReviews: 0, restCommit: 0, restIssue: 0 });
    expect(calls.graphql).toBeGreaterThan(0);
    expect(h.github.graphql.unmodelled).toEqual([]);
  });

  it("an approval on an older commit of the PR (a later push changed the request) does not count", async () => {
    h = await startHarness();
    const { pr, branch, file } = await openRequest(h, "alice", issueBody());
    const older = h.github.pullState(REPO, pr!).pull.headSha;
    const text = h.github.readFile(REPO, file!, branch)!;
    h.github.commitFiles(REPO, branch!, { [file!]: text.replace(/duration: \S+/, "duration: 2h") }, { author: "alice", message: "tweak" });
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED", commitId: older });
    const calls = await mergeAndDeliver(h, pr!);
    expectNothingGranted(h);
    expect(lastComment(h, pr!)).toContain("Not granted");
    expect(calls.restReviews).toBe(0);
  });

  it("the requester's own approval does not count", async () => {
    h = await startHarness();
    const { pr } = await openRequest(h, "alice", issueBody());
    h.github.addReview(REPO, pr!, { user: "alice", state: "APPROVED" });
    const calls = await mergeAndDeliver(h, pr!, "alice");
    expectNothingGranted(h);
    expect(lastComment(h, pr!)).toContain("Not granted");
    expect(calls.restReviews).toBe(0);
  });

  it("a changes-requested review after the approval blocks, as on REST", async () => {
    h = await startHarness();
    const { pr } = await openRequest(h, "alice", issueBody());
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    h.github.addReview(REPO, pr!, { user: "dave", state: "CHANGES_REQUESTED", body: "no" });
    const calls = await mergeAndDeliver(h, pr!);
    expectNothingGranted(h);
    expect(calls.restReviews).toBe(0);
  });

  it("more than 100 reviews: the GraphQL page is not judged; every review is read through REST (the approval is the 102nd)", async () => {
    h = await startHarness();
    const { pr } = await openRequest(h, "alice", issueBody());
    for (let i = 0; i < 101; i++) h.github.addReview(REPO, pr!, { user: `watcher${i}`, state: "COMMENTED", body: "+1" });
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    const calls = await mergeAndDeliver(h, pr!);
    expect(calls.restReviews).toBeGreaterThan(0);
    expect(jitAttachments(h.aws)).toHaveLength(1);
  });

  it("more than 100 reviews, a changes-requested one past the first 100: still blocks (never judged on a partial list)", async () => {
    h = await startHarness();
    const { pr } = await openRequest(h, "alice", issueBody());
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    for (let i = 0; i < 100; i++) h.github.addReview(REPO, pr!, { user: `watcher${i}`, state: "COMMENTED", body: "+1" });
    h.github.addReview(REPO, pr!, { user: "dave", state: "CHANGES_REQUESTED", body: "no" });
    await mergeAndDeliver(h, pr!);
    expectNothingGranted(h);
  });

  it("a review by a bot is read through REST (GraphQL names a bot differently)", async () => {
    h = await startHarness();
    const { pr } = await openRequest(h, "alice", issueBody());
    h.github.ensureUser("helper[bot]", "Bot");
    h.github.addReview(REPO, pr!, { user: "helper[bot]", state: "COMMENTED" });
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    const calls = await mergeAndDeliver(h, pr!);
    expect(calls.restReviews).toBe(1);
    expect(jitAttachments(h.aws)).toHaveLength(1);
  });

  it("more than 100 files in the PR: refused, the file list read in full through REST", async () => {
    h = await startHarness();
    const { pr, branch } = await openRequest(h, "alice", issueBody());
    h.github.commitFiles(REPO, branch!, Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`access-requests/junk/${i}.yaml`, "x: 1\n"])), {
      author: "alice",
    });
    h.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    await mergeAndDeliver(h, pr!);
    expectNothingGranted(h);
    expect(h.github.requests.filter((r) => /\/pulls\/\d+\/files$/.test(r.path)).length).toBeGreaterThanOrEqual(2);
  });
});
