// The merge, closed-unmerged and /revoke handlers against the in-memory AccessRepo: no HTTP, no
// Probot — the use case, its ports and nothing else. (The HTTP fake GitHub drives the same
// handlers end to end in app-scenarios and the attack suites.)
import { describe, expect, it } from "vitest";
import { iamPolicyArn } from "../src/aws/naming.js";
import type { Grants, GrantResult } from "../src/aws/types.js";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { parseTrailers, recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { revokeByComment } from "../src/github/commands.js";
import { grantMergedOnce, refusalEffects, type MergedPr } from "../src/github/grant.js";
import { describeEffects, runEffects } from "../src/lifecycle/effects.js";
import { problem } from "../src/domain/problems.js";
import { MARKER } from "../src/github/messages.js";
import { rejectUnmerged } from "../src/github/rejection.js";
import { checkPull } from "../src/github/pr-check.js";
import { proposeFromIssue } from "../src/github/intake.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { blobSha, MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const CONFIG = memoryRepoConfig(HOME);
const ID = "7-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const MERGE = "d".repeat(40);
const NOW = new Date("2026-11-27T10:00:00Z");
const PROPOSED = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy() }), "proposed");

/** Issue #7 by alice, PR #8 adding her request file, merged with a merge commit. */
function repoWithMerge(reviews: Array<{ user: string; commit?: string }>): MemoryAccessRepo {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [FILE]: PROPOSED });
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [FILE]: PROPOSED });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  repo.issueLabels.set(8, ["jit:proposed"]);
  repo.commitsBySha.set(MERGE, {
    sha: MERGE,
    parents: [BASE, HEAD],
    message: "Merge pull request #8",
    author: { name: "bob", email: "bob@example.com", date: "2026-11-27T09:59:00Z" },
  });
  repo.pulls.set(8, {
    number: 8,
    files: [{ path: FILE, status: "added", previousPath: null, sha: blobSha(PROPOSED) }],
    commits: [
      {
        sha: HEAD,
        parents: [BASE],
        message: "jit-access: propose",
        gitAuthor: { name: "jit", email: "jit@example.com", date: "2026-11-27T09:00:00Z" },
        author: { login: "jit-access[bot]", type: "Bot" },
        committer: { login: "jit-access[bot]", type: "Bot" },
      },
    ],
    reviews: reviews.map((r, i) => ({
      id: i + 1,
      user: { login: r.user, type: "User" },
      state: "APPROVED",
      commit_id: r.commit ?? HEAD,
      submitted_at: "2026-11-27T09:30:00Z",
    })),
  });
  return repo;
}

const merged: MergedPr = {
  number: 8,
  merged: true,
  mergeCommitSha: MERGE,
  mergedAt: "2026-11-27T09:59:00Z",
  headSha: HEAD,
  headRef: `jit/${ID}`,
  baseSha: BASE,
  author: { login: "jit-access[bot]", type: "Bot" },
  changedFiles: 1,
};

function stubGrants(calls: string[]): Grants {
  const arn = iamPolicyArn("aws", HOME, ID);
  return {
    grant: async (request, _policy, expiresAt): Promise<GrantResult> => {
      calls.push(`grant ${request.id}`);
      return {
        requestId: request.id,
        mode: "iam",
        accountId: HOME,
        resources: [arn],
        schedules: [],
        scheduleNote: "not scheduled in this test",
        principal: { kind: "iam_user", name: "alice" } as unknown as GrantResult["principal"],
        grantedAt: NOW.toISOString(),
        expiresAt,
        changed: true,
      };
    },
    revoke: async (target) => {
      calls.push(`revoke ${target.requestId}`);
      return { requestId: target.requestId, removed: [arn], alreadyGone: false };
    },
    listManaged: async () => [],
  };
}

describe("handlers on the in-memory AccessRepo", () => {
  it("merge → grant: record active with trailers, Granted comment, one state label; /revoke by alice ends it", async () => {
    const repo = repoWithMerge([{ user: "bob" }]);
    const calls: string[] = [];
    const deps = { grantsFor: () => stubGrants(calls), now: () => NOW };
    const out = await grantMergedOnce(repo, merged, deps);
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted", id: ID });
    expect(calls).toEqual([`grant ${ID}`]);
    expect(recordStatus(repo.files.get(FILE)!)).toBe("active");
    expect(parseTrailers(repo.commits.at(-1)!.message)).toMatchObject({ "Request-Id": [ID], "Approved-By": ["bob"], Risk: [expect.any(String)] });
    expect(repo.comments.get(7)?.get(MARKER.grant)).toContain("Granted");
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:active"]);

    // Refusals carry codes: a stranger, then the PR number of a grant that is not there.
    expect(await revokeByComment(repo, { issueNumber: 7, body: "/revoke", author: { login: "mallory", type: "User" } }, deps)).toMatchObject({
      kind: "refused",
      code: "github.revoke-not-authorized",
    });
    expect(await revokeByComment(repo, { issueNumber: 99, body: "/revoke", author: { login: "alice", type: "User" } }, deps)).toMatchObject({
      kind: "refused",
      code: "record.not-active",
    });
    expect(recordStatus(repo.files.get(FILE)!)).toBe("active");
    const revoked = await revokeByComment(repo, { issueNumber: 7, body: "/revoke done", author: { login: "alice", type: "User" } }, deps);
    expect(revoked).toEqual({ kind: "revoked", id: ID });
    expect(recordStatus(repo.files.get(FILE)!)).toBe("revoked");
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:revoked"]);
    expect(repo.closedIssues).toEqual([{ issue: 7, reason: "completed" }]);
  });

  it("merge refused (an approval on an older commit): nothing granted, record rejected with its code, state blocked", async () => {
    const repo = repoWithMerge([{ user: "bob", commit: "e".repeat(40) }]);
    const calls: string[] = [];
    const out = await grantMergedOnce(repo, merged, { grantsFor: () => stubGrants(calls), now: () => NOW });
    expect(out.kind).toBe("blocked");
    expect(out.kind === "blocked" && out.codes.every((c) => c.startsWith("approval."))).toBe(true);
    expect(calls).toEqual([]);
    expect(recordStatus(repo.files.get(FILE)!)).toBe("rejected");
    expect(parseTrailers(repo.commits.at(-1)!.message).Rule).toEqual(out.kind === "blocked" ? out.codes : []);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:blocked"]);
    expect(repo.issueLabels.get(8)).toEqual(["jit:blocked"]);
  });

  it("a request PR closed unmerged: the issue is rejected (one state label) and closed as not planned", async () => {
    const repo = repoWithMerge([]);
    expect(await rejectUnmerged(repo, { number: 8, headRef: `jit/${ID}`, sameRepo: true })).toEqual({ kind: "rejected", issue: 7, code: "approval.rejected" });
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:rejected"]);
    expect(repo.closedIssues).toEqual([{ issue: 7, reason: "not_planned" }]);
    // A fork's branch of the same name, or the closed issue again, changes nothing.
    expect(await rejectUnmerged(repo, { number: 9, headRef: `jit/${ID}`, sameRepo: false })).toEqual({ kind: "ignored" });
    expect(await rejectUnmerged(repo, { number: 8, headRef: `jit/${ID}`, sameRepo: true })).toEqual({ kind: "ignored" });
  });

  it("a refusal is decided as effects: a dry run lists them, the executor carries them out in order", async () => {
    const parsed = parseConfig(CONFIG);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const config = parsed.value;
    const request = testRequest({ id: ID });
    const problems = [problem("approval.self", "alice approved her own request"), problem("approval.insufficient", "0 of 1 approvals")];
    const at = "2026-11-27T10:00:00Z";
    const before = refusalEffects({ pr: { number: 8 }, problems, at });
    expect(describeEffects(before)).toEqual([`comment on #8 (${MARKER.grant})`, "state of #8 → blocked"]);
    const effects = refusalEffects({ pr: { number: 8 }, problems, issue: 7, at, config, request, path: FILE, record: true });
    expect(describeEffects(effects)).toEqual([
      `record ${FILE}: reject (approval.self, approval.insufficient)`,
      `notify: blocked ${ID}`,
      `comment on #8 (${MARKER.grant})`,
      "state of #8 → blocked",
      `comment on #7 (${MARKER.grant})`,
      "state of #7 → blocked",
    ]);
    const repo = repoWithMerge([]);
    const sent: string[] = [];
    const done = await runEffects(effects, { access: repo, alerts: { channels: ["t"], notify: async (e) => void sent.push(e.kind) } });
    expect(done.commits).toHaveLength(1);
    expect(parseTrailers(repo.commits[0]!.message).Rule).toEqual(["approval.self", "approval.insufficient"]);
    expect(repo.files.get(FILE)).toMatch(/^ {2}code: approval\.self$/m);
    expect(sent).toEqual(["blocked"]);
    // Run again: the record has moved on, so it is skipped (said, not thrown); the rest repeats idempotently.
    const again = await runEffects(effects, { access: repo });
    expect(again).toMatchObject({ commits: [], skipped: [expect.stringMatching(/already rejected/)] });
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:blocked"]);
  });

  it("a merge that rewrote an active record: restored and said on the PR; a restore that cannot be written fails the delivery, and the redelivery restores it", async () => {
    const active = dumpRequest(
      {
        ...testRequest({ id: ID, duration: "2h", policy: testPolicy() }),
        status: "active",
        grant: { approved_by: ["bob"], merge_commit: "f".repeat(40), pr: 3, granted_at: "2026-11-27T09:00:00Z", expires_at: "2026-11-27T11:00:00Z" },
      },
      "active",
    );
    const repo = repoWithMerge([{ user: "bob" }]);
    // Before the merge the file was alice's active record; the merged PR replaced it with a proposal.
    repo.setRef(BASE, { [CONFIG_PATH]: CONFIG, [FILE]: active });
    const calls: string[] = [];
    const deps = { grantsFor: () => stubGrants(calls), now: () => NOW };
    repo.beforeNextWrite = () => {
      throw new Error("503 from the contents API");
    };
    await expect(grantMergedOnce(repo, merged, deps)).rejects.toThrow(/503/);
    expect(repo.files.get(FILE)).toBe(PROPOSED);
    expect(repo.comments.get(8)).toBeUndefined();

    const out = await grantMergedOnce(repo, merged, deps);
    expect(out).toMatchObject({ kind: "blocked", codes: ["record.rewritten"] });
    expect(out.kind === "blocked" ? out.recorded : "not blocked").toBeUndefined();
    expect(repo.files.get(FILE)).toBe(active);
    expect(repo.comments.get(8)?.get(MARKER.grant)).toContain("The record was restored on the default branch.");
    expect(repo.comments.get(7)).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it("the PR check on the app's own PR: passes at the head, describes the PR; a status written by hand fails it", async () => {
    const repo = repoWithMerge([]);
    repo.branches.set("main", BASE);
    repo.setRef(HEAD, { [FILE]: PROPOSED });
    const pr = {
      number: 8,
      headSha: HEAD,
      headRef: `jit/${ID}`,
      baseRef: "main",
      sameRepo: true,
      author: { login: "jit-access[bot]", type: "Bot" },
      title: "",
      body: "",
    };
    expect(await checkPull(repo, pr, { now: NOW, appLogin: "jit-access[bot]" })).toEqual({ kind: "checked", ok: true });
    expect(repo.checks.at(-1)).toMatchObject({ name: "jit-access/validate", headSha: HEAD, conclusion: "success" });
    expect(repo.pullUpdates.at(-1)?.body).toContain("Refs issue #7");

    repo.setRef(HEAD, { [FILE]: PROPOSED.replace(/^id: /m, "status: active\nid: ") });
    expect(await checkPull(repo, pr, { now: NOW, appLogin: "jit-access[bot]" })).toEqual({ kind: "checked", ok: false });
    expect(repo.checks.at(-1)).toMatchObject({ conclusion: "failure" });
  });

  it("intake: an issue becomes a branch with the request file and the app's PR, checked, the issue proposed", async () => {
    const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG });
    repo.branches.set("main", BASE);
    repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
    const body = [
      "### Account\n\nprod",
      "### Service\n\ns3",
      "### Resources\n\nfinancial-reports",
      "### Access levels\n\n- [X] read\n- [X] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
      "### Exact actions (optional)\n\n_No response_",
      "### Duration\n\n2h",
      "### Reason\n\nQuarter-end reconciliation",
      "### Description (optional)\n\n_No response_",
    ].join("\n\n");
    repo.issueTexts.set(12, { body, editor: null });
    repo.issueLabels.set(12, ["access-request", "jit:invalid"]);
    const issue = {
      number: 12,
      title: "Access request: reports",
      body,
      author: { login: "alice", type: "User" },
      createdAt: "2026-11-27T09:00:00Z",
      labels: ["access-request"],
    };
    const out = await proposeFromIssue(repo, issue, { now: NOW, appLogin: "jit-access[bot]", event: { action: "opened", bodyChanged: false } });
    expect(out).toMatchObject({ kind: "opened", pr: 100, branch: "jit/12-reports" });
    const file = out.kind === "opened" ? out.file : "";
    expect(repo.refs.get("jit/12-reports")?.get(file)).toContain("generator: builtin/1");
    expect(repo.createdPulls).toEqual([expect.objectContaining({ head: "jit/12-reports", base: "main" })]);
    expect(repo.reviewRequests).toEqual([{ pr: 100, reviewers: ["bob", "dave"], teams: [] }]);
    expect(repo.issueLabels.get(12)).toEqual(["access-request", "jit:proposed"]);

    // Someone else's edit of the text is refused; a granted issue would keep its state.
    repo.issueTexts.set(12, { body, editor: "mallory" });
    expect(
      await proposeFromIssue(repo, issue, {
        now: NOW,
        appLogin: "jit-access[bot]",
        event: { action: "edited", bodyChanged: true, sender: { login: "mallory", type: "User" } },
      }),
    ).toMatchObject({ kind: "refused" });
    expect(repo.issueLabels.get(12)).toEqual(["access-request", "jit:invalid"]);
  });
});
