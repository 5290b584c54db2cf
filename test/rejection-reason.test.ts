// A request PR closed without merging: rejected (by whom, with the reason they gave) or withdrawn
// (by its requester), into the record, the issue's comment and the Slack notice.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { CLOSING_CODES, closingOf } from "../src/domain/closing.js";
import { parseTrailers, recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { loadYamlMapping } from "../src/domain/yaml.js";
import { MARKER } from "../src/github/messages.js";
import { rejectUnmerged } from "../src/github/rejection.js";
import type { NotificationEvent } from "../src/notify/types.js";
import { buildSlackMessage } from "../src/notify/slack-blocks.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { MemoryAccessRepo, memoryRepoConfig, blobSha } from "./support/memory-repo.js";

const ID = "7-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const HEAD = "c".repeat(40);
const PROPOSED = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy() }), "proposed");
const NOW = new Date("2026-11-28T10:00:00Z");
const user = (login: string) => ({ login, type: "User" });

function repoWithPr(): { repo: MemoryAccessRepo; sent: NotificationEvent[] } {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: memoryRepoConfig(HOME) });
  repo.setRef(HEAD, { [CONFIG_PATH]: memoryRepoConfig(HOME), [FILE]: PROPOSED });
  repo.issues.set(7, { number: 7, author: user("alice"), state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  repo.pulls.set(8, { number: 8, files: [{ path: FILE, status: "added", previousPath: null, sha: blobSha(PROPOSED) }], commits: [], reviews: [] });
  return { repo, sent: [] };
}

const closePr = (repo: MemoryAccessRepo, sent: NotificationEvent[], closer: string | null) =>
  rejectUnmerged(
    repo,
    { number: 8, headRef: `jit/${ID}`, headSha: HEAD, sameRepo: true, closedBy: closer ? user(closer) : null },
    { now: () => NOW, notifierFor: () => ({ channels: ["slack"], notify: async (e) => void sent.push(e) }) },
  );

function closedOf(repo: MemoryAccessRepo): Record<string, unknown> {
  const loaded = loadYamlMapping(repo.files.get(FILE)!, "record");
  if (!loaded.ok) throw new Error("record does not load");
  return loaded.value.closed as Record<string, unknown>;
}

describe("rejection with a reason", () => {
  it("an approver's 'changes requested' review, then closing: the reason is in the record, the comment and Slack", async () => {
    const { repo, sent } = repoWithPr();
    repo.pulls.get(8)!.reviews.push({
      id: 1,
      user: user("bob"),
      state: "CHANGES_REQUESTED",
      commit_id: HEAD,
      submitted_at: "2026-11-28T09:00:00Z",
      body: "Use the read-only replica @everyone, not prod",
    });
    const out = await closePr(repo, sent, "bob");
    expect(out).toMatchObject({ kind: "rejected", issue: 7, code: "approval.rejected", recorded: expect.any(String) });
    // The record: on the default branch, rejected, by bob, with his reason and the code.
    expect(recordStatus(repo.files.get(FILE)!)).toBe("rejected");
    expect(closedOf(repo)).toEqual({
      at: "2026-11-28T10:00:00Z",
      by: "bob",
      code: "approval.rejected",
      reason: "Use the read-only replica @everyone, not prod",
    });
    expect(parseTrailers(repo.commits.at(-1)!.message)).toEqual({ "Request-Id": [ID], "Closed-By": ["bob"], Rule: ["approval.rejected"] });
    // The comment quotes it inertly (no mention).
    const comment = repo.comments.get(7)?.get(MARKER.grant) ?? "";
    expect(comment).toContain("Rejected");
    expect(comment).toContain("read-only replica");
    expect(comment).not.toMatch(/@everyone/);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:rejected"]);
    expect(repo.closedIssues).toEqual([{ issue: 7, reason: "not_planned" }]);
    // Slack: the event carries it, and the message shows it.
    expect(sent).toEqual([expect.objectContaining({ kind: "rejected", code: "approval.rejected", by: "bob", reason: closedOf(repo).reason })]);
    expect(JSON.stringify(buildSlackMessage(sent[0]!))).toContain("read-only replica");
  });

  it("the approver's closing comment is the reason; closed by the requester is withdrawn, not rejected", async () => {
    const a = repoWithPr();
    a.repo.commentList.set(8, [{ author: user("dave"), body: "Not needed: the report job already has access.", createdAt: "2026-11-28T09:59:00Z" }]);
    expect(await closePr(a.repo, a.sent, "dave")).toMatchObject({ code: "approval.rejected" });
    expect(closedOf(a.repo)).toMatchObject({ by: "dave", reason: "Not needed: the report job already has access." });

    const b = repoWithPr();
    b.repo.commentList.set(7, [{ author: user("alice"), body: "Found another way", createdAt: "2026-11-28T09:59:00Z" }]);
    expect(await closePr(b.repo, b.sent, "alice")).toMatchObject({ code: "approval.withdrawn" });
    expect(closedOf(b.repo)).toMatchObject({ by: "alice", code: "approval.withdrawn", reason: "withdrawn by the requester: Found another way" });
    expect(parseTrailers(b.repo.commits.at(-1)!.message).Rule).toEqual(["approval.withdrawn"]);
    expect(b.repo.comments.get(7)?.get(MARKER.grant)).toContain("Withdrawn");
    expect(b.sent.map((e) => e.kind === "rejected" && e.code)).toEqual(["approval.withdrawn"]);
  });

  it("a rejected record is final: closing the same PR again changes nothing; a record that moved on is left alone", async () => {
    const { repo, sent } = repoWithPr();
    await closePr(repo, sent, "bob");
    const commits = repo.commits.length;
    expect(await closePr(repo, sent, "bob")).toEqual({ kind: "ignored" }); // the issue is closed
    repo.issues.set(7, { number: 7, author: user("alice"), state: "open", isPull: false });
    expect(await closePr(repo, sent, "dave")).toMatchObject({ kind: "rejected" });
    expect(repo.commits.length).toBe(commits);
    expect(closedOf(repo)).toMatchObject({ by: "bob" });
  });

  it("a head file that names another issue is not recorded (the issue is still told and closed)", async () => {
    const { repo, sent } = repoWithPr();
    const other = dumpRequest(testRequest({ id: "9-financial-reports" }), "x");
    repo.setRef(HEAD, { [`access-requests/prod/2026/9-financial-reports.yaml`]: other });
    repo.pulls.get(8)!.files = [{ path: `access-requests/prod/2026/9-financial-reports.yaml`, status: "added", previousPath: null, sha: blobSha(other) }];
    expect(await closePr(repo, sent, "bob")).toMatchObject({ kind: "rejected", code: "approval.rejected" });
    expect(repo.commits).toEqual([]);
    expect(repo.closedIssues).toEqual([{ issue: 7, reason: "not_planned" }]);
  });
});

describe("closing an extension request unmerged", () => {
  it("records and says it on the extension PR only: the active grant's issue stays open, labelled and unchanged", async () => {
    const { repo, sent } = repoWithPr();
    const EXT = `${ID}-ext-1`;
    const EXT_FILE = `access-requests/prod/2026/${EXT}.yaml`;
    const text = dumpRequest(testRequest({ id: EXT, extends: ID, duration: "2h", policy: testPolicy() }), "extension");
    repo.setRef(HEAD, { [EXT_FILE]: text });
    repo.pulls.get(8)!.files = [{ path: EXT_FILE, status: "added", previousPath: null, sha: blobSha(text) }];
    repo.issueLabels.set(7, ["access-request", "jit:active"]);
    const out = await rejectUnmerged(
      repo,
      { number: 8, headRef: `jit/${EXT}`, headSha: HEAD, sameRepo: true, closedBy: user("bob") },
      { now: () => NOW, notifierFor: () => ({ channels: ["slack"], notify: async (e) => void sent.push(e) }) },
    );
    expect(out).toMatchObject({ kind: "rejected", code: "approval.rejected" });
    expect(recordStatus(repo.files.get(EXT_FILE)!)).toBe("rejected");
    expect(repo.closedIssues).toEqual([]);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:active"]);
    expect(repo.comments.get(7)).toBeUndefined();
    expect(repo.comments.get(8)?.get(MARKER.grant)).toContain("unchanged");
  });
});

describe("closingOf (the family)", () => {
  const login = fc.constantFrom("alice", "Alice", "bob", "dave", "mallory");
  const text = fc.record({
    author: fc.option(fc.record({ login, type: fc.constantFrom("User", "Bot") }), { nil: null }),
    body: fc.oneof(fc.string({ maxLength: 40 }), fc.constant("/revoke"), fc.string({ minLength: 1200, maxLength: 1300 })),
    at: fc.integer({ min: 0, max: 10_000 }).map((s) => new Date(Date.UTC(2026, 10, 28) + s * 1000).toISOString()),
    review: fc.option(fc.constantFrom("CHANGES_REQUESTED", "APPROVED", "COMMENTED"), { nil: undefined }),
  });
  it("withdrawn exactly when the requester closed it; the reason fits the schema; never a bot's or a command's text", () => {
    fc.assert(
      fc.property(fc.option(fc.record({ login, type: fc.constantFrom("User", "Bot") }), { nil: null }), fc.array(text, { maxLength: 6 }), (closer, texts) => {
        const c = closingOf({ requester: "alice", closer, texts, at: "2026-11-28T12:00:00Z" });
        const byRequester = closer?.type === "User" && closer.login.toLowerCase() === "alice";
        expect(c.code).toBe(byRequester ? CLOSING_CODES.withdrawn : CLOSING_CODES.rejected);
        expect(c.reason.length).toBeGreaterThan(0);
        expect(c.reason.length).toBeLessThanOrEqual(1000);
        expect(c.reason).not.toMatch(/[\r\n]/);
        if (c.by !== undefined) expect(c.by).toBe(closer?.login);
        for (const t of texts)
          if ((t.author?.type === "Bot" || t.body.trim().startsWith("/")) && t.body.trim().length > 3 && !texts.some((u) => u !== t && u.body === t.body))
            expect(c.reason.endsWith(t.body.replace(/\s+/g, " ").trim())).toBe(false);
      }),
    );
  });

  it.each([
    [
      "closer's comment wins over an older review",
      "bob",
      [
        ["bob", "too wide", "09:00", "CHANGES_REQUESTED"],
        ["bob", "closing: too wide", "09:30"],
      ],
      "closing: too wide",
    ],
    [
      "someone else's review when the closer said nothing",
      "bob",
      [["dave", "wrong account", "09:00", "CHANGES_REQUESTED"]],
      "changes requested by dave: wrong account",
    ],
    ["an approval is not a reason", "bob", [["dave", "lgtm", "09:00", "APPROVED"]], "closed without a reason"],
    ["the requester's own review is not a rejection reason", "bob", [["alice", "please", "09:00", "CHANGES_REQUESTED"]], "closed without a reason"],
  ] as const)("%s", (_name, closer, texts, reason) => {
    const c = closingOf({
      requester: "alice",
      closer: { login: closer, type: "User" },
      texts: texts.map(([who, body, at, review]) => ({
        author: { login: who, type: "User" },
        body,
        at: `2026-11-28T${at}:00Z`,
        ...(review ? { review } : {}),
      })),
      at: "2026-11-28T10:00:00Z",
    });
    expect(c).toMatchObject({ code: "approval.rejected", by: closer, reason });
  });
});
