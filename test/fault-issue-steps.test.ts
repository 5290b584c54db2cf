// The issue side's batch (OctokitIssueSide.applySteps: one GraphQL read, one mutation document)
// when a mutation fails part-way. GitHub runs a document's mutations in order and goes on past a
// failed one; the batch throws, and the redelivery (the same steps again) must end as one clean run
// would: one comment (never two), exactly the target state label on the issue and its PR, the
// issue closed. Driven for every mutation step, through the expiry announcement the sweep makes.
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubNotifier, SWEEP_MARKER } from "../src/github/closer.js";
import type { AccessRequest } from "../src/domain/types.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";

const REPO = "acme/access";
const [owner, repo] = REPO.split("/") as [string, string];
let fake: FakeGitHub;
let notifier: GitHubNotifier;

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo({ owner, name: repo, files: { "README.md": "hi\n" } });
  for (const l of ["jit:active", "jit:expired", "jit:proposed"]) fake.ensureLabel(REPO, l);
  const octokit = new Octokit({
    auth: fake.issueInstallationToken().token,
    baseUrl: fake.url,
    request: { retries: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  notifier = new GitHubNotifier(octokit, { owner, repo, defaultBranch: "main" });
});
afterAll(async () => {
  await fake.close();
});

/** An issue and its PR, both active, as a granted request leaves them. */
function granted(): { issue: number; pr: number; event: Parameters<GitHubNotifier["closed"]>[0] } {
  const issue = fake.openIssue(REPO, { user: "alice", title: "Access request", labels: ["access-request", "jit:active"] });
  const branch = `jit/${issue}-x`;
  fake.createBranch(REPO, branch);
  fake.commitFiles(REPO, branch, { [`access-requests/prod/2026/${issue}-x.yaml`]: "x: 1\n" }, { author: "alice" });
  const pr = fake.openPull(REPO, { user: "alice", head: branch, title: "Access" });
  fake.addLabels(REPO, pr, ["jit:active"]);
  const request = {
    id: `${issue}-x`,
    requester: "alice",
    account: "123456789012",
    status: "active",
    grant: { pr, expires_at: "2026-12-02T10:00:00Z" },
  } as unknown as AccessRequest;
  return { issue, pr, event: { kind: "expired", request, at: "2026-12-02T10:05:00Z", reason: "expired", removed: ["arn:aws:iam::123456789012:policy/x"] } };
}

function expectExpired(issue: number, pr: number): void {
  expect(fake.comments(REPO, issue).filter((c) => c.body.startsWith(SWEEP_MARKER))).toHaveLength(1);
  expect(fake.labels(REPO, issue).sort()).toEqual(["access-request", "jit:expired"]);
  expect(fake.labels(REPO, pr)).toEqual(["jit:expired"]);
  expect(fake.issueState(REPO, issue).state).toBe("closed");
  expect(fake.issueState(REPO, issue).state_reason).toBe("completed");
}

describe("an expiry announcement whose mutation fails part-way, then is delivered again", () => {
  it("control: one read and one mutation document, and the end state", async () => {
    const { issue, pr, event } = granted();
    fake.clearRequests();
    await notifier.closed(event);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /graphql", "POST /graphql"]);
    expectExpired(issue, pr);
    // Delivered again: nothing more to write (one read, no mutation).
    fake.clearRequests();
    await notifier.closed(event);
    expect(fake.requests).toHaveLength(1);
    expectExpired(issue, pr);
  });

  it.each([["addComment"], ["addLabelsToLabelable"], ["removeLabelsFromLabelable"], ["closeIssue"]])(
    "%s fails: the announcement throws; again, it ends right with one comment",
    async (field) => {
      const { issue, pr, event } = granted();
      fake.graphql.faults.push({ field });
      await expect(notifier.closed(event)).rejects.toThrow();
      expect(fake.graphql.faults.every((f) => f.times === 0)).toBe(true);
      await notifier.closed(event);
      expectExpired(issue, pr);
    },
  );

  it("every step fails at once, then succeeds", async () => {
    const { issue, pr, event } = granted();
    for (const field of ["addComment", "addLabelsToLabelable", "removeLabelsFromLabelable", "closeIssue"]) fake.graphql.faults.push({ field, times: 3 });
    await expect(notifier.closed(event)).rejects.toThrow();
    expect(fake.comments(REPO, issue)).toEqual([]);
    fake.graphql.faults.length = 0;
    await notifier.closed(event);
    expectExpired(issue, pr);
  });

  it("a changed text updates the app's comment in place (updateIssueComment), never a second one", async () => {
    const { issue, pr, event } = granted();
    await notifier.closed(event);
    await notifier.closed({ ...event, removed: [] });
    expectExpired(issue, pr);
    expect(fake.comments(REPO, issue).at(-1)?.body).toMatch(/Nothing was left in AWS/);
  });

  it("a user's comment carrying the marker is not taken for the app's", async () => {
    const { issue, pr, event } = granted();
    fake.addComment(REPO, issue, { user: "mallory", body: `${SWEEP_MARKER} fake` });
    await notifier.closed(event);
    expect(fake.comments(REPO, issue).map((c) => c.user)).toEqual(["mallory", fake.app.botLogin]);
    expect(fake.labels(REPO, pr)).toEqual(["jit:expired"]);
  });

  it("a state label missing from the repository: the batch falls back to REST, which creates it", async () => {
    const { issue, pr, event } = granted();
    const labels = fake.repo(REPO).labels;
    const kept = labels.get("jit:expired")!;
    labels.delete("jit:expired");
    fake.clearRequests();
    await notifier.closed(event);
    expect(fake.requests.some((r) => r.method === "POST" && /\/labels$/.test(r.path))).toBe(true);
    expectExpired(issue, pr);
    labels.set("jit:expired", kept);
  });
});
