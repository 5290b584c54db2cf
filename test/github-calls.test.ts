// Against the fake GitHub with the real app: no delivery reads a file twice (the same path at the
// same ref), whatever the delivery; a second request's reads of the rules by branch name are
// conditional requests answered 304, and its reads at a commit sha already read are not repeated.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearContentsCache } from "../src/github/contents-cache.js";
import { issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { issuesOpened, pullRequestEvent, pullRequestReviewSubmitted } from "./support/webhooks.js";

let h: Harness;
beforeEach(async () => {
  clearContentsCache();
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** The GET contents requests of one delivery, as "path@ref". */
async function contentReads(deliver: () => Promise<unknown>): Promise<string[]> {
  h.github.clearRequests();
  await deliver();
  return h.github.requests
    .filter((r) => r.method === "GET" && /\/contents\//.test(r.path))
    .map((r) => `${r.path.replace(/^.*\/contents\//, "")}@${r.query.ref ?? ""} ${r.status}`);
}

const twice = (reads: string[]) => {
  const keys = reads.map((r) => r.split(" ")[0]);
  return keys.filter((k, i) => keys.indexOf(k) !== i);
};

async function lifecycle(user: string, resources: string): Promise<string[][]> {
  const reads: string[][] = [];
  const issue = h.github.openIssue(REPO, { user, title: `Access request: ${resources}`, body: issueBody({ resources }), labels: ["access-request"] });
  reads.push(await contentReads(() => h.deliver(issuesOpened(h.github, REPO, issue))));
  const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!.number;
  reads.push(await contentReads(() => h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"))));
  const review = h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
  reads.push(await contentReads(() => h.deliver(pullRequestReviewSubmitted(h.github, REPO, pr, review))));
  h.github.mergePull(REPO, pr, { user: "bob" });
  reads.push(await contentReads(() => h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"))));
  expect(h.github.repo(REPO).issues.get(issue)?.labels).toContain("jit:active");
  return reads;
}

describe("GitHub calls per delivery", () => {
  it("no delivery of a request's lifecycle reads a file twice; the second request's rule reads are 304 or not made", async () => {
    const first = await lifecycle("alice", "financial-reports");
    for (const d of first) expect(twice(d)).toEqual([]);
    const second = await lifecycle("carol", "audit-logs");
    for (const d of second) expect(twice(d)).toEqual([]);
    // The config by branch name: asked again, and answered 304 Not Modified.
    expect(second.flat().filter((r) => r.startsWith(".github/jit-access.yml@main"))).toEqual(expect.arrayContaining([".github/jit-access.yml@main 304"]));
    expect(second.flat().filter((r) => r.startsWith(".github/jit-access.yml@main 200"))).toEqual([]);
  });
});
