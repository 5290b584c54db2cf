// Fidelity of the fake GitHub (test/support/fake-github.ts): driven with the real ProbotOctokit
// (installation auth through Probot) and @octokit/rest, plus a real Probot webhook server.
// Also run under Node 24 (NODE24 in vitest.config.ts): a subprocess (git).
// @module-tag node24
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";
import {
  issueCommentCreated,
  issuesEdited,
  issuesOpened,
  pullRequestEvent,
  pullRequestReviewSubmitted,
  sendWebhook,
  sign,
  WebhookClient,
} from "./support/webhooks.js";

// STACK.md: the object form of ProbotOctokit.defaults loses `throttle.enabled` (probot#2039);
// the function form keeps it, so requests are not spaced out by the throttling plugin.
const TestOctokit = ProbotOctokit.defaults((o: { throttle?: object }) => ({ ...o, retry: { enabled: false }, throttle: { ...o.throttle, enabled: false } }));

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
});

const REPO = "acme/access";
const [OWNER, NAME] = REPO.split("/") as [string, string];
const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: string): string => Buffer.from(s, "base64").toString("utf8");

type Gh = InstanceType<typeof TestOctokit>;
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

async function status(p: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await p;
    return { status: 0, message: "" };
  } catch (e) {
    const err = e as { status?: number; message?: string };
    return { status: err.status ?? -1, message: err.message ?? "" };
  }
}

let fake: FakeGitHub;
let probot: Probot;
let gh: Gh;
let asBob: Octokit;
let asAlice: Octokit;

beforeAll(async () => {
  fake = await startFakeGitHub();
});
afterAll(async () => {
  await fake.close();
});

beforeEach(async () => {
  fake.reset();
  fake.createRepo({
    owner: OWNER,
    name: NAME,
    files: {
      "README.md": "# access\n",
      ".github/jit-access.yml": "aws:\n  mode: iam\napprovers: [bob]\n",
      "access-requests/README.md": "requests live here\n",
      "docs/link.md": { symlink: "../README.md" },
      "docs/dangling": { symlink: "../nowhere.md" },
    },
  });
  fake.setPermission(REPO, "bob", "write");
  fake.setPermission(REPO, "alice", "write");
  probot = new Probot({ appId: fake.app.id, privateKey, secret: "s3cret", baseUrl: fake.url, Octokit: TestOctokit, logLevel: "fatal" });
  gh = await probot.auth(fake.app.installationId);
  asBob = new Octokit({ auth: fake.tokenFor("bob"), baseUrl: fake.url, log: quiet });
  asAlice = new Octokit({ auth: fake.tokenFor("alice"), baseUrl: fake.url, log: quiet });
});

describe("app authentication", () => {
  it("Probot exchanges its JWT for an installation token and acts as the bot", async () => {
    const { data } = await gh.rest.issues.create({ owner: OWNER, repo: NAME, title: "hello" });
    expect(data.user?.login).toBe("jit-access[bot]");
    expect(data.user?.type).toBe("Bot");
    const tokenReq = fake.requests.find((r) => r.path === `/app/installations/${fake.app.installationId}/access_tokens`);
    expect(tokenReq?.actor).toBe("app");
    const { data: inst } = await (await probot.auth()).rest.apps.getRepoInstallation({ owner: OWNER, repo: NAME });
    expect(inst.id).toBe(fake.app.installationId);
    expect((await status(new Octokit({ auth: "nope", baseUrl: fake.url, log: quiet }).rest.repos.get({ owner: OWNER, repo: NAME }))).status).toBe(401);
    expect((await status(new Octokit({ baseUrl: fake.url, log: quiet }).rest.repos.get({ owner: OWNER, repo: NAME }))).status).toBe(404); // private
  });

  it("the function form of ProbotOctokit.defaults disables throttling (no ~1-3 s spacing between writes)", async () => {
    const n = fake.openIssue(REPO, { user: "alice", title: "t" });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) await gh.rest.issues.createComment({ owner: OWNER, repo: NAME, issue_number: n, body: `c${i}` });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(fake.comments(REPO, n).map((c) => c.body)).toEqual(["c0", "c1", "c2", "c3", "c4"]);
  });
});

describe("contents", () => {
  it("reads files, directories and symlinks like GitHub, with git blob shas", async () => {
    const { data } = await gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "README.md" });
    const file = data as { type: string; sha: string; content: string; encoding: string; path: string };
    expect(file.type).toBe("file");
    expect(file.encoding).toBe("base64");
    expect(unb64(file.content)).toBe("# access\n");
    expect(file.sha).toBe(execFileSync("git", ["hash-object", "--stdin"], { input: "# access\n" }).toString().trim());

    const { data: dir } = await gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "docs" });
    expect((dir as { name: string; type: string }[]).map((e) => [e.name, e.type])).toEqual([
      ["dangling", "symlink"],
      ["link.md", "symlink"],
    ]);
    const { data: root } = await gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "" });
    expect((root as { name: string; type: string }[]).map((e) => `${e.type}:${e.name}`)).toEqual([
      "dir:.github",
      "file:README.md",
      "dir:access-requests",
      "dir:docs",
    ]);
    // a link to a file in the repo answers with the file; any other link with the link itself
    const { data: viaLink } = await gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "docs/link.md" });
    expect((viaLink as { path: string; type: string }).path).toBe("README.md");
    const { data: dangling } = await gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "docs/dangling" });
    expect(dangling).toMatchObject({ type: "symlink", target: "../nowhere.md" });

    expect((await status(gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "nope.txt" }))).status).toBe(404);
    expect((await status(gh.rest.repos.getContent({ owner: OWNER, repo: NAME, path: "README.md", ref: "no-such-branch" }))).status).toBe(404);
    // Probot's config loader asks for the raw media type
    const { config } = await gh.config.get({ owner: OWNER, repo: NAME, path: ".github/jit-access.yml" });
    expect(config).toEqual({ aws: { mode: "iam" }, approvers: ["bob"] });
  });

  it("writes with compare-and-swap on the blob sha: 422 without sha, 409 on a stale sha", async () => {
    const path = "access-requests/prod/2026/1-x.yaml";
    const created = await gh.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: NAME,
      path,
      message: "Create 1-x\n\nRequest-Id: 1-x",
      content: b64("status: proposed\n"),
    });
    expect(created.status).toBe(201);
    const sha1 = created.data.content?.sha as string;
    expect(fake.readFile(REPO, path)).toBe("status: proposed\n");
    expect(fake.fileSha(REPO, path)).toBe(sha1);

    const missing = await status(gh.rest.repos.createOrUpdateFileContents({ owner: OWNER, repo: NAME, path, message: "m", content: b64("x") }));
    expect(missing.status).toBe(422);
    expect(missing.message).toMatch(/"sha" wasn't supplied/);

    const updated = await gh.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: NAME,
      path,
      message: "Activate 1-x\n\nRequest-Id: 1-x\nApproved-By: bob",
      content: b64("status: active\n"),
      sha: sha1,
    });
    expect(updated.status).toBe(200);
    const stale = await status(gh.rest.repos.createOrUpdateFileContents({ owner: OWNER, repo: NAME, path, message: "m", content: b64("x"), sha: sha1 }));
    expect(stale.status).toBe(409);

    const history = fake.commits(REPO, { path });
    expect(history.map((c) => c.message)).toEqual(["Activate 1-x\n\nRequest-Id: 1-x\nApproved-By: bob", "Create 1-x\n\nRequest-Id: 1-x"]);
    expect(history[0]?.author).toBe("jit-access[bot]");
    const { data: listed } = await gh.rest.repos.listCommits({ owner: OWNER, repo: NAME, path });
    expect(listed.map((c) => c.sha)).toEqual(history.map((c) => c.sha));
    expect(listed[0]?.commit.message).toContain("Approved-By: bob");

    const del = await status(gh.rest.repos.deleteFile({ owner: OWNER, repo: NAME, path, message: "rm", sha: sha1 }));
    expect(del.status).toBe(409);
    await gh.rest.repos.deleteFile({ owner: OWNER, repo: NAME, path, message: "rm", sha: updated.data.content?.sha as string });
    expect(fake.readFile(REPO, path)).toBeUndefined();
    expect(
      (await status(gh.rest.repos.createOrUpdateFileContents({ owner: OWNER, repo: NAME, path, message: "m", content: b64("x"), branch: "ghost" }))).status,
    ).toBe(404);
    // GitHub ignores a sha for a path that does not exist
    expect((await gh.rest.repos.createOrUpdateFileContents({ owner: OWNER, repo: NAME, path, message: "again", content: b64("y"), sha: sha1 })).status).toBe(
      201,
    );
  });
});

describe("concurrency and time", () => {
  it("lets exactly one of two concurrent writers with the same sha win", async () => {
    const sha = fake.fileSha(REPO, "README.md") as string;
    const write = (text: string) =>
      gh.rest.repos.createOrUpdateFileContents({ owner: OWNER, repo: NAME, path: "README.md", message: text, content: b64(text), sha });
    const results = await Promise.allSettled([write("one"), write("two")]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value.status : (r.reason as { status: number }).status)).sort()).toEqual([200, 409]);
    expect(fake.commits(REPO, { path: "README.md" })).toHaveLength(2);
  });

  it("stamps commits, comments and reviews with the injected clock", async () => {
    let now = Date.parse("2026-03-01T09:00:00Z");
    const timed = await startFakeGitHub({ now: () => now });
    try {
      timed.createRepo({ owner: "o", name: "r", files: { a: "1" } });
      const n = timed.openIssue("o/r", { user: "alice", title: "t", body: "old" });
      now += 3_600_000;
      timed.addComment("o/r", n, { user: "bob", body: "hi" });
      const sha = timed.commitFiles("o/r", "main", { a: "2" }, { author: "alice" });
      expect(timed.comments("o/r", n)[0]?.created_at).toBe("2026-03-01T10:00:00Z");
      expect(timed.commits("o/r")[0]).toMatchObject({ sha, date: "2026-03-01T10:00:00Z" });
      const changes = timed.editIssue("o/r", n, { body: "new" });
      expect(changes).toEqual({ body: { from: "old" } });
      const edited = issuesEdited(timed, "o/r", n, { changes });
      expect(edited.payload).toMatchObject({
        action: "edited",
        changes: { body: { from: "old" } },
        issue: { body: "new", updated_at: "2026-03-01T10:00:00Z" },
      });
    } finally {
      await timed.close();
    }
  });
});

describe("branches, pull requests, reviews, merge", () => {
  it("runs the request workflow: branch, commit, PR, files, reviews, merge", async () => {
    const main = fake.branchSha(REPO, "main");
    const { data: ref } = await gh.rest.git.createRef({ owner: OWNER, repo: NAME, ref: "refs/heads/jit/1-x", sha: main });
    expect(ref.object.sha).toBe(main);
    expect((await status(gh.rest.git.createRef({ owner: OWNER, repo: NAME, ref: "refs/heads/jit/1-x", sha: main }))).status).toBe(422);
    expect((await gh.rest.git.getRef({ owner: OWNER, repo: NAME, ref: "heads/jit/1-x" })).data.object.sha).toBe(main);

    const reqPath = "access-requests/prod/2026/1-x.yaml";
    await gh.rest.repos.createOrUpdateFileContents({
      owner: OWNER,
      repo: NAME,
      path: reqPath,
      branch: "jit/1-x",
      message: "Propose 1-x",
      content: b64("v: 1\n"),
    });
    fake.commitFiles(
      REPO,
      "jit/1-x",
      { "README.md": "# access (edited)\n", "docs/dangling": null, "access-requests/NOTES.md": "requests live here\n", "access-requests/README.md": null },
      { author: "mallory", message: "sneak" },
    );
    const issueNo = fake.openIssue(REPO, { user: "alice", title: "Access please" });

    const { data: pr } = await gh.rest.pulls.create({
      owner: OWNER,
      repo: NAME,
      head: "jit/1-x",
      base: "main",
      title: "Access request #1",
      body: `For #${issueNo} (not closing it)\n\nCloses #${issueNo}`,
    });
    expect(pr.number).toBe(issueNo + 1); // issues and PRs share the number sequence
    expect(pr).toMatchObject({
      state: "open",
      merged: false,
      mergeable: true,
      head: { ref: "jit/1-x", sha: fake.branchSha(REPO, "jit/1-x") },
      base: { ref: "main", sha: main },
    });
    const dup = await status(gh.rest.pulls.create({ owner: OWNER, repo: NAME, head: "jit/1-x", base: "main", title: "again" }));
    expect(dup.status).toBe(422);
    expect(dup.message).toMatch(/A pull request already exists for acme:jit\/1-x/);
    expect((await gh.rest.pulls.list({ owner: OWNER, repo: NAME, head: `${OWNER}:jit/1-x` })).data.map((p) => p.number)).toEqual([pr.number]);
    expect((await gh.rest.pulls.list({ owner: OWNER, repo: NAME, head: `${OWNER}:other` })).data).toEqual([]);

    const { data: files } = await gh.rest.pulls.listFiles({ owner: OWNER, repo: NAME, pull_number: pr.number });
    expect(files.map((f) => [f.filename, f.status, f.previous_filename])).toEqual([
      ["README.md", "modified", undefined],
      ["access-requests/NOTES.md", "renamed", "access-requests/README.md"],
      ["access-requests/prod/2026/1-x.yaml", "added", undefined],
      ["docs/dangling", "removed", undefined],
    ]);
    expect(files.find((f) => f.status === "added")?.sha).toBe(fake.fileSha(REPO, reqPath, "jit/1-x"));

    await gh.rest.pulls.requestReviewers({ owner: OWNER, repo: NAME, pull_number: pr.number, reviewers: ["bob"] });
    expect((await status(gh.rest.pulls.requestReviewers({ owner: OWNER, repo: NAME, pull_number: pr.number, reviewers: ["jit-access[bot]"] }))).status).toBe(
      422,
    );
    const oldHead = pr.head.sha;
    await asBob.rest.pulls.createReview({ owner: OWNER, repo: NAME, pull_number: pr.number, event: "APPROVE" });
    fake.commitFiles(REPO, "jit/1-x", { [reqPath]: "v: 2\n" }, { author: "alice", message: "widen" });
    const newHead = fake.branchSha(REPO, "jit/1-x");
    fake.addReview(REPO, pr.number, { user: "carol", state: "CHANGES_REQUESTED", body: "no" });
    // the PR's author is the bot: it cannot approve its own PR
    expect((await status(gh.rest.pulls.createReview({ owner: OWNER, repo: NAME, pull_number: pr.number, event: "APPROVE" }))).status).toBe(422);
    const { data: reviews } = await gh.rest.pulls.listReviews({ owner: OWNER, repo: NAME, pull_number: pr.number });
    expect(reviews.map((r) => [r.user?.login, r.user?.type, r.state, r.commit_id])).toEqual([
      ["bob", "User", "APPROVED", oldHead],
      ["carol", "User", "CHANGES_REQUESTED", newHead],
    ]);
    expect(reviews[0]?.submitted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect((await gh.rest.pulls.get({ owner: OWNER, repo: NAME, pull_number: pr.number })).data.head.sha).toBe(newHead);

    expect((await status(asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr.number, sha: oldHead }))).status).toBe(409);
    const { data: merged } = await asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr.number });
    expect(merged.merged).toBe(true);
    const { data: mergeCommit } = await gh.rest.repos.getCommit({ owner: OWNER, repo: NAME, ref: merged.sha });
    expect(mergeCommit.parents.map((p) => p.sha)).toEqual([main, newHead]);
    expect(fake.branchSha(REPO, "main")).toBe(merged.sha);
    expect(fake.readFile(REPO, reqPath, merged.sha)).toBe("v: 2\n");
    const { data: after } = await gh.rest.pulls.get({ owner: OWNER, repo: NAME, pull_number: pr.number });
    expect(after).toMatchObject({ state: "closed", merged: true, merge_commit_sha: merged.sha, merged_by: { login: "bob" } });
    expect((await status(asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: pr.number }))).status).toBe(405);
    // GitHub closes issues named with closing keywords when the PR merges into the default branch
    expect(fake.issueState(REPO, issueNo)).toMatchObject({ state: "closed", state_reason: "completed" });

    // path history follows git: the branch commits, not the merge (treesame to its second parent)
    expect(fake.commits(REPO, { path: reqPath }).map((c) => c.message)).toEqual(["widen", "Propose 1-x"]);
    expect((await gh.rest.git.updateRef({ owner: OWNER, repo: NAME, ref: "heads/jit/1-x", sha: main }).catch((e: { status: number }) => e)).status).toBe(422);
    await gh.rest.git.updateRef({ owner: OWNER, repo: NAME, ref: "heads/jit/1-x", sha: main, force: true });
    await gh.rest.git.deleteRef({ owner: OWNER, repo: NAME, ref: "heads/jit/1-x" });
    expect((await status(gh.rest.git.getRef({ owner: OWNER, repo: NAME, ref: "heads/jit/1-x" }))).status).toBe(404);
  });

  it("refuses conflicting merges, PRs without commits and reopening merged PRs; squash has one parent", async () => {
    expect((await status(gh.rest.pulls.create({ owner: OWNER, repo: NAME, head: "main", base: "main", title: "x" }))).status).toBe(422);
    fake.commitFiles(REPO, "a", { "README.md": "A\n" }, { author: "alice" });
    fake.commitFiles(REPO, "b", { "README.md": "B\n" }, { author: "alice" });
    const a = fake.openPull(REPO, { user: "alice", head: "a", title: "a" });
    const b = fake.openPull(REPO, { user: "alice", head: "b", title: "b" });
    const sha = fake.mergePull(REPO, a, { user: "bob", method: "squash" });
    expect(fake.commits(REPO)[0]).toMatchObject({ sha, parents: [expect.any(String)], message: expect.stringMatching(/^a \(#\d+\)/) });
    const { data } = await gh.rest.pulls.get({ owner: OWNER, repo: NAME, pull_number: b });
    expect(data).toMatchObject({ mergeable: false, mergeable_state: "dirty" });
    expect((await status(asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: b }))).status).toBe(405);
    await gh.rest.pulls.update({ owner: OWNER, repo: NAME, pull_number: b, state: "closed" });
    expect((await gh.rest.pulls.get({ owner: OWNER, repo: NAME, pull_number: b })).data).toMatchObject({ state: "closed", merged: false });
    expect((await status(gh.rest.pulls.update({ owner: OWNER, repo: NAME, pull_number: a, state: "open" }))).status).toBe(422);
    fake.commitFiles(REPO, "c", { "c1.txt": "1" }, { author: "alice", message: "first" });
    fake.commitFiles(REPO, "c", { "c2.txt": "2" }, { author: "alice", message: "second" });
    const c = fake.openPull(REPO, { user: "alice", head: "c", title: "c" });
    const before = fake.branchSha(REPO, "main");
    await asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: c, merge_method: "rebase" });
    const [second, first] = fake.commits(REPO);
    expect([second?.message, first?.message, first?.parents]).toEqual(["second", "first", [before]]);
    expect(fake.listFiles(REPO, "main")).toEqual(expect.arrayContaining(["c1.txt", "c2.txt"]));
  });
});

describe("base.sha and merge methods, as GitHub reports them", () => {
  const pr = async (n: number) => (await gh.rest.pulls.get({ owner: OWNER, repo: NAME, pull_number: n })).data;
  const gitCommit = async (sha: string) => (await gh.rest.git.getCommit({ owner: OWNER, repo: NAME, commit_sha: sha })).data;

  it("base.sha stays at the PR's last update when only the base moves; a head push or base change refreshes it", async () => {
    fake.commitFiles(REPO, "f", { "f.txt": "1" }, { author: "alice" });
    const opened = fake.branchSha(REPO, "main");
    const n = fake.openPull(REPO, { user: "alice", head: "f", title: "f" });
    const moved = fake.commitFiles(REPO, "main", { "other.txt": "x" }, { author: "bob" });
    expect((await pr(n)).base.sha).toBe(opened);
    expect(pullRequestEvent(fake, REPO, n, "closed").payload).toMatchObject({ pull_request: { base: { sha: opened } } });
    // files and commits are still against the base branch's actual tip
    expect((await gh.rest.pulls.listFiles({ owner: OWNER, repo: NAME, pull_number: n })).data.map((f) => f.filename)).toEqual(["f.txt"]);
    fake.commitFiles(REPO, "f", { "f.txt": "2" }, { author: "alice" });
    expect((await pr(n)).base.sha).toBe(moved);
    const later = fake.commitFiles(REPO, "main", { "other.txt": "y" }, { author: "bob" });
    fake.createBranch(REPO, "rel", "main");
    await gh.rest.pulls.update({ owner: OWNER, repo: NAME, pull_number: n, base: "rel" });
    expect((await pr(n)).base.sha).toBe(later);
  });

  it("merge: a merge commit onto the actual tip with parents [tip, head]; base.sha stays stale", async () => {
    fake.commitFiles(REPO, "f", { "f.txt": "1" }, { author: "alice" });
    const n = fake.openPull(REPO, { user: "alice", head: "f", title: "f" });
    const opened = (await pr(n)).base.sha;
    const tip = fake.commitFiles(REPO, "main", { "other.txt": "x" }, { author: "bob" });
    const head = fake.branchSha(REPO, "f");
    const { data } = await asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: n, merge_method: "merge" });
    const after = await pr(n);
    expect(after).toMatchObject({ merged: true, merge_commit_sha: data.sha, base: { sha: opened } });
    expect((await gitCommit(data.sha)).parents.map((p) => p.sha)).toEqual([tip, head]);
    expect(fake.branchSha(REPO, "main")).toBe(data.sha);
  });

  it("squash: one commit whose only parent is the actual tip", async () => {
    fake.commitFiles(REPO, "f", { "f.txt": "1" }, { author: "alice", message: "one" });
    fake.commitFiles(REPO, "f", { "f.txt": "2" }, { author: "alice", message: "two" });
    const n = fake.openPull(REPO, { user: "alice", head: "f", title: "f" });
    const tip = fake.commitFiles(REPO, "main", { "other.txt": "x" }, { author: "bob" });
    const { data } = await asBob.rest.pulls.merge({ owner: OWNER, repo: NAME, pull_number: n, merge_method: "squash" });
    expect((await gitCommit(data.sha)).parents.map((p) => p.sha)).toEqual([tip]);
    expect((await pr(n)).merge_commit_sha).toBe(data.sha);
  });

  it("rebase: each commit replayed onto the actual tip with its author and message, committed by GitHub; merge_commit_sha is the last", async () => {
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    let now = t0;
    const timed = await startFakeGitHub({ now: () => now });
    try {
      timed.createRepo({ owner: OWNER, name: NAME, files: { "README.md": "r\n" } });
      const c1 = timed.commitFiles(REPO, "f", { "f.txt": "1" }, { author: "alice", message: "one" });
      now += 60_000;
      const c2 = timed.commitFiles(REPO, "f", { "f.txt": "2", "g.txt": "g" }, { author: "carol", message: "two" });
      const n = timed.openPull(REPO, { user: "alice", head: "f", title: "f" });
      now += 60_000;
      const tip = timed.commitFiles(REPO, "main", { "other.txt": "x" }, { author: "bob" });
      now += 60_000;
      const merged = timed.mergePull(REPO, n, { user: "bob", method: "rebase" });
      const git = timed.repo(REPO).git;
      const last = git.commit(merged)!;
      const first = git.commit(last.parents[0]!)!;
      expect(first.parents).toEqual([tip]);
      for (const [replayed, original] of [
        [first, git.commit(c1)!],
        [last, git.commit(c2)!],
      ] as const) {
        expect(replayed.sha).not.toBe(original.sha);
        expect(replayed.author).toEqual(original.author);
        expect(replayed.message).toBe(original.message);
        expect(replayed.committer).toMatchObject({ name: "GitHub", date: "2026-01-01T00:03:00Z" });
      }
      expect(timed.pullState(REPO, n).pull.merge_commit_sha).toBe(merged);
      expect(timed.readFile(REPO, "f.txt")).toBe("2");
    } finally {
      await timed.close();
    }
  });

  it("rebase refuses a PR whose replay would give another tree than a merge", async () => {
    fake.commitFiles(REPO, "f", { "f.txt": "1" }, { author: "alice", message: "add" });
    fake.commitFiles(REPO, "f", { "f.txt": null }, { author: "alice", message: "remove" });
    fake.commitFiles(REPO, "f", { "g.txt": "g" }, { author: "alice", message: "other" });
    const n = fake.openPull(REPO, { user: "alice", head: "f", title: "f" });
    fake.commitFiles(REPO, "main", { "f.txt": "main's" }, { author: "bob" });
    // merging keeps main's f.txt (the PR's net change does not touch it); replaying "remove" would delete it
    expect(() => fake.mergePull(REPO, n, { user: "bob", method: "rebase" })).toThrow(/can't be rebased/);
  });
});

describe("issues, comments, labels", () => {
  it("comments, labels and closes with a state reason", async () => {
    const n = fake.openIssue(REPO, { user: "alice", title: "Access request", body: "### Account\n\nprod", labels: ["access-request"] });
    const { data: issue } = await gh.rest.issues.get({ owner: OWNER, repo: NAME, issue_number: n });
    expect(issue).toMatchObject({ number: n, state: "open", state_reason: null, user: { login: "alice" }, labels: [{ name: "access-request" }] });
    expect(issue.pull_request).toBeUndefined();

    await gh.rest.issues.createComment({ owner: OWNER, repo: NAME, issue_number: n, body: "PR opened" });
    expect((await status(gh.rest.issues.createComment({ owner: OWNER, repo: NAME, issue_number: n, body: "" }))).status).toBe(422);
    const { data: labels } = await gh.rest.issues.addLabels({ owner: OWNER, repo: NAME, issue_number: n, labels: ["jit:active"] });
    expect(labels.map((l) => l.name)).toEqual(["access-request", "jit:active"]);
    await gh.rest.issues.removeLabel({ owner: OWNER, repo: NAME, issue_number: n, name: "access-request" });
    expect((await status(gh.rest.issues.removeLabel({ owner: OWNER, repo: NAME, issue_number: n, name: "access-request" }))).status).toBe(404);
    expect(fake.labels(REPO, n)).toEqual(["jit:active"]);
    // adding a label created it on the repo; creating it again is a validation error
    const dup = await status(gh.rest.issues.createLabel({ owner: OWNER, repo: NAME, name: "jit:active", color: "00ff00" }));
    expect(dup.status).toBe(422);
    await gh.rest.issues.createLabel({ owner: OWNER, repo: NAME, name: "jit:blocked", color: "ff0000" });

    const { data: closed } = await gh.rest.issues.update({ owner: OWNER, repo: NAME, issue_number: n, state: "closed", state_reason: "not_planned" });
    expect(closed).toMatchObject({ state: "closed", state_reason: "not_planned", closed_by: { login: "jit-access[bot]" } });
    const { data: reopened } = await asAlice.rest.issues.update({ owner: OWNER, repo: NAME, issue_number: n, state: "open" });
    expect(reopened).toMatchObject({ state: "open", state_reason: "reopened" });
    expect((await gh.rest.issues.update({ owner: OWNER, repo: NAME, issue_number: n, state: "closed" })).data.state_reason).toBe("completed");

    expect(fake.comments(REPO, n)).toEqual([expect.objectContaining({ user: "jit-access[bot]", body: "PR opened" })]);
    for (let i = 0; i < 4; i++) fake.addComment(REPO, n, { user: "bob", body: `b${i}` });
    const all = await gh.paginate(gh.rest.issues.listComments, { owner: OWNER, repo: NAME, issue_number: n, per_page: 2 });
    expect(all.map((c) => c.body)).toEqual(["PR opened", "b0", "b1", "b2", "b3"]);
    expect(fake.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/issues/${n}/comments`))).toHaveLength(3);
  });
});

describe("check runs, teams, permissions", () => {
  it("creates, updates and lists check runs (apps only)", async () => {
    const head = fake.branchSha(REPO, "main");
    const { data: run } = await gh.rest.checks.create({ owner: OWNER, repo: NAME, name: "jit-access/validate", head_sha: head, status: "in_progress" });
    expect(run).toMatchObject({ status: "in_progress", conclusion: null, app: { slug: "jit-access" } });
    await gh.rest.checks.update({
      owner: OWNER,
      repo: NAME,
      check_run_id: run.id,
      conclusion: "failure",
      output: { title: "Blocked", summary: "iam:PassRole on *", text: "details" },
    });
    const { data: list } = await gh.rest.checks.listForRef({ owner: OWNER, repo: NAME, ref: "main" });
    expect(list.total_count).toBe(1);
    expect(list.check_runs[0]).toMatchObject({
      name: "jit-access/validate",
      status: "completed",
      conclusion: "failure",
      output: { title: "Blocked", summary: "iam:PassRole on *", text: "details" },
    });
    expect(fake.checkRuns(REPO, { ref: head })[0]?.conclusion).toBe("failure");
    expect((await status(gh.rest.checks.create({ owner: OWNER, repo: NAME, name: "x", head_sha: "0".repeat(40) }))).status).toBe(422);
    expect((await status(asBob.rest.checks.create({ owner: OWNER, repo: NAME, name: "x", head_sha: head }))).status).toBe(403);
  });

  it("answers team memberships and collaborator permissions", async () => {
    fake.addTeam(OWNER, "prod-approvers", { bob: "active", carol: "pending", dave: { state: "active", role: "maintainer" } });
    const m = (username: string) => gh.rest.teams.getMembershipForUserInOrg({ org: OWNER, team_slug: "prod-approvers", username });
    expect((await m("bob")).data).toMatchObject({ state: "active", role: "member" });
    expect((await m("carol")).data.state).toBe("pending");
    expect((await m("dave")).data.role).toBe("maintainer");
    expect((await status(m("mallory"))).status).toBe(404);
    expect((await status(gh.rest.teams.getMembershipForUserInOrg({ org: OWNER, team_slug: "nope", username: "bob" }))).status).toBe(404);
    const members = await gh.rest.teams.listMembersInOrg({ org: OWNER, team_slug: "prod-approvers" });
    expect(members.data.map((u) => u.login)).toEqual(["bob", "dave"]);
    const p = await gh.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: NAME, username: "bob" });
    expect(p.data.permission).toBe("write");
    fake.ensureUser("eve");
    expect((await gh.rest.repos.getCollaboratorPermissionLevel({ owner: OWNER, repo: NAME, username: "eve" })).data.permission).toBe("none");
  });
});

describe("fault injection and recording", () => {
  it("fails the next matching requests, then recovers; requests are recorded", async () => {
    fake.faults.failNext("PUT", "/repos/{owner}/{repo}/contents/*", 409, 1);
    fake.faults.failNext("GET", /\/pulls$/, 502, 2);
    const put = () => gh.rest.repos.createOrUpdateFileContents({ owner: OWNER, repo: NAME, path: "x.txt", message: "m", content: b64("x") });
    expect((await status(put())).status).toBe(409);
    expect(fake.readFile(REPO, "x.txt")).toBeUndefined();
    expect((await put()).status).toBe(201);
    expect((await status(gh.rest.pulls.list({ owner: OWNER, repo: NAME }))).status).toBe(502);
    expect((await status(gh.rest.pulls.list({ owner: OWNER, repo: NAME }))).status).toBe(502);
    expect((await gh.rest.pulls.list({ owner: OWNER, repo: NAME })).status).toBe(200);
    expect(fake.faults.pending).toBe(0);
    expect(fake.writes().filter((w) => w.startsWith("PUT"))).toEqual(["PUT /repos/acme/access/contents/x.txt", "PUT /repos/acme/access/contents/x.txt"]);
    const last = fake.requests.filter((r) => r.method === "PUT").at(-1);
    expect(last).toMatchObject({ status: 201, actor: "jit-access[bot]", body: { message: "m", content: b64("x") } });
  });

  it("accepts the GHE /api/v3 prefix", async () => {
    const ghe = new Octokit({ auth: fake.tokenFor("bob"), baseUrl: `${fake.url}/api/v3` });
    expect((await ghe.rest.repos.get({ owner: OWNER, repo: NAME })).data.default_branch).toBe("main");
  });
});

describe("webhooks into a real Probot server", () => {
  let server: Server;
  let url: string;
  let handled: string[];

  beforeEach(async () => {
    handled = [];
    const app = new Probot({ appId: fake.app.id, privateKey, secret: "s3cret", baseUrl: fake.url, Octokit: TestOctokit, logLevel: "fatal" });
    const middleware = await createNodeMiddleware(
      (p: Probot) => {
        p.on("issues.opened", async (context) => {
          handled.push(context.name);
          await context.octokit.rest.issues.createComment(context.issue({ body: `Thanks @${context.payload.sender.login}` }));
        });
        p.on(["pull_request.closed", "pull_request_review.submitted", "issue_comment.created"], async (context) => {
          handled.push(`${context.name}:${JSON.stringify(context.payload).length > 0}`);
        });
      },
      { probot: app },
    );
    server = createServer((req, res) => {
      void middleware(req, res, () => res.writeHead(404).end());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it("handles a signed webhook and calls the fake; a forged one is refused and changes nothing", async () => {
    const n = fake.openIssue(REPO, { user: "alice", title: "Access request", labels: ["access-request"] });
    const event = issuesOpened(fake, REPO, n);
    const ok = await sendWebhook(url, "s3cret", event.name, event.payload, "delivery-1");
    expect(ok.status).toBe(200);
    expect(handled).toEqual(["issues"]);
    expect(fake.comments(REPO, n)).toEqual([expect.objectContaining({ user: "jit-access[bot]", body: "Thanks @alice" })]);

    fake.clearRequests();
    const forged = await sendWebhook(url, "wrong-secret", event.name, event.payload, "delivery-2");
    expect(forged.status).toBe(400);
    expect(handled).toEqual(["issues"]);
    expect(fake.requests).toEqual([]);
    expect(fake.comments(REPO, n)).toHaveLength(1);
    expect(sign("s3cret", "{}")).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("builds pull_request, review and comment payloads from the fake's state", async () => {
    fake.commitFiles(REPO, "jit/2-y", { "access-requests/prod/2026/2-y.yaml": "v: 1\n" }, { author: "jit-access[bot]" });
    const pr = fake.openPull(REPO, { user: "jit-access[bot]", head: "jit/2-y", title: "Access request #1" });
    const reviewId = fake.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    const review = pullRequestReviewSubmitted(fake, REPO, pr, reviewId);
    expect(review.payload).toMatchObject({
      action: "submitted",
      review: { state: "approved", user: { login: "bob" } },
      installation: { id: fake.app.installationId },
      sender: { login: "bob" },
    });
    const mergeSha = fake.mergePull(REPO, pr, { user: "bob" });
    const closed = pullRequestEvent(fake, REPO, pr, "closed");
    expect(closed.payload).toMatchObject({
      action: "closed",
      number: pr,
      pull_request: { merged: true, merge_commit_sha: mergeSha, head: { ref: "jit/2-y" } },
      sender: { login: "bob" },
      organization: { login: OWNER },
    });
    const commentId = fake.addComment(REPO, pr, { user: "alice", body: "/revoke" });
    const comment = issueCommentCreated(fake, REPO, pr, commentId);
    expect(comment.payload).toMatchObject({
      issue: { number: pr, pull_request: { merged_at: expect.any(String) } },
      comment: { body: "/revoke", user: { login: "alice" } },
    });
    const hooks = new WebhookClient(url, "s3cret");
    for (const e of [review, closed, comment]) expect((await hooks.send(e)).status).toBe(200);
    expect(handled).toEqual(["pull_request_review:true", "pull_request:true", "issue_comment:true"]);
  });
});
