// The claim of a merge the app made itself, judged at the merge against an in-memory repository:
// only the app's own merge carries one, it must name the merged request and the rules and file
// it was checked against, and the break-glass alarm is raised even when one of its steps fails.
import { describe, expect, it } from "vitest";
import { claimMessage, type MergeClaim } from "../src/domain/approvals.js";
import { CONFIG_PATH, configFromObject } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { commitMessage } from "../src/domain/records.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { judgeMergeClaim } from "../src/github/approval-policies.js";
import type { NotificationEvent } from "../src/notify/types.js";
import { MemoryAccessRepo } from "./support/memory-repo.js";

const SHA = (c: string) => c.repeat(40);
const MERGE = SHA("m");
const PATH = "access-requests/prod/2026/7-logs.yaml";
const APP = "jit-access[bot]";
const NOW = new Date("2026-11-27T09:00:00Z");

const loaded = configFromObject({
  aws: { accounts: { prod: "111111111111" } },
  approvers: ["bob", "@acme/sec"],
  auto_approve: [{ name: "prod-read", risk: ["low"], accounts: ["prod"] }],
  break_glass: { users: ["alice"], max_duration: "1h", slack_webhook_env: "SECURITY_SLACK" },
});
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
const config: Config = loaded.value;
const request: AccessRequest = {
  version: 1,
  id: "7-logs",
  requester: "alice",
  account: "prod",
  duration: "1h",
  reason: "incident",
  request: [{ service: "s3", access: ["read"], resources: ["logs"] }],
};
const glass: MergeClaim = {
  kind: "break-glass",
  requestId: "7-logs",
  by: "alice",
  incident: "INC-1",
  reason: "db down, need logs",
  at: "2026-11-27T08:59:00Z",
  configSha: SHA("c"),
  blob: SHA("b"),
};
const rule: MergeClaim = { kind: "rule", requestId: "7-logs", rule: "prod-read", configSha: SHA("c"), blob: SHA("b") };

function judge(claim: MergeClaim, over: { mergedBy?: string; configSha?: string; blob?: string; access?: MemoryAccessRepo } = {}) {
  const access = over.access ?? new MemoryAccessRepo();
  access.commitsBySha.set(MERGE, { sha: MERGE, parents: [SHA("p")], message: `${claimMessage(claim).title}\n\n${claimMessage(claim).message}`, author: null });
  return judgeMergeClaim(access, {
    mergedBy: over.mergedBy ?? APP,
    appLogin: APP,
    mergeSha: MERGE,
    rules: { read: async (p) => (p === CONFIG_PATH ? { path: p, sha: over.configSha ?? SHA("c"), text: "" } : undefined) },
    config,
    request,
    path: PATH,
    risk: "low",
    files: [{ path: PATH }],
    headBlob: over.blob ?? SHA("b"),
    mergeBlob: over.blob ?? SHA("b"),
    issueAuthor: "alice",
    durationSeconds: 3600,
    now: NOW,
  });
}
const kindOf = async (p: ReturnType<typeof judge>) => {
  const d = await p;
  return d.kind === "refused" ? codesOf(d.problems).join(",") : d.kind;
};

describe("a merge's claim, judged at the merge", () => {
  it.each<[string, MergeClaim, Parameters<typeof judge>[1], string]>([
    ["auto-approval merged by the app", rule, {}, "approved"],
    ["break-glass merged by the app (login case aside)", glass, { mergedBy: "Jit-Access[bot]" }, "approved"],
    ["merged by a person: no claim, whatever the message", glass, { mergedBy: "bob" }, "none"],
    ["merged by another app", rule, { mergedBy: "other[bot]" }, "none"],
    ["another request's claim", { ...glass, requestId: "8-other" }, {}, "approval.break-glass-changed"],
    ["the config changed since the command", glass, { configSha: SHA("d") }, "approval.break-glass-changed"],
    ["the file changed since the match", rule, { blob: SHA("e") }, "approval.auto-changed"],
    ["a user since removed from break_glass.users", { ...glass, by: "mallory" }, {}, "approval.break-glass-not-listed,approval.break-glass-not-requester"],
  ])("%s → %s", async (_n, claim, over, expected) => {
    expect(await kindOf(judge(claim, over))).toBe(expected);
  });

  it("caps are counted from the grant commits' trailers on the default branch: the requester's, by this rule, never this request", async () => {
    const capped = configFromObject({ aws: { accounts: { prod: "111111111111" } }, auto_approve: [{ name: "prod-read", risk: ["low"], max_per_day: 1 }] });
    if (!capped.ok) throw new Error("config");
    const grantCommit = (id: string, requester: string, rule = "prod-read") =>
      commitMessage(`jit-access: grant ${id}`, "granted", {
        "Request-Id": id,
        "Approved-By": [`rule:${rule}`],
        "Auto-Approve-Rule": rule,
        Requester: requester,
      });
    const judgeWith = async (history: string[]) => {
      const access = new MemoryAccessRepo();
      history.forEach((m, i) => access.commitFile(`access-requests/prod/2026/${i + 1}-x.yaml`, `x${i}`, m));
      access.commitsBySha.set(MERGE, { sha: MERGE, parents: [SHA("p")], message: claimMessage(rule).message, author: null });
      const d = await judgeMergeClaim(access, {
        mergedBy: APP,
        appLogin: APP,
        mergeSha: MERGE,
        rules: { read: async (p) => (p === CONFIG_PATH ? { path: p, sha: SHA("c"), text: "" } : undefined) },
        config: capped.value,
        request,
        path: PATH,
        risk: "low",
        files: [{ path: PATH }],
        headBlob: SHA("b"),
        mergeBlob: SHA("b"),
        issueAuthor: "alice",
        durationSeconds: 3600,
        now: NOW,
      });
      return d.kind === "refused" ? codesOf(d.problems).join(",") : d.kind;
    };
    expect(await judgeWith([])).toBe("approved");
    expect(await judgeWith([grantCommit("6-x", "Alice")])).toBe("approval.auto-cap");
    expect(await judgeWith([grantCommit("6-x", "bob"), grantCommit("5-y", "alice", "other"), grantCommit("7-logs", "alice")])).toBe("approved");
  });

  it("the break-glass alarm: label, review issue for the approvers, security alert — and a failed step is said, not thrown", async () => {
    const access = new MemoryAccessRepo();
    access.addLabels = () => Promise.reject(new Error("label API down"));
    const d = await judge(glass, { access });
    if (d.kind !== "approved" || !d.after) throw new Error(`expected an approved break-glass, got ${d.kind}`);
    expect(d.approvedBy).toEqual(["alice"]);
    expect(d.grant.break_glass).toEqual({ by: "alice", incident: "INC-1", reason: "db down, need logs", at: "2026-11-27T08:59:00Z" });
    const sent: Array<{ env: string | undefined; event: NotificationEvent }> = [];
    await d.after({
      access,
      expiresAt: "2026-11-27T10:00:00Z",
      prNumber: 20,
      notifierFor: (c) => ({ channels: ["t"], notify: async (event) => void sent.push({ env: c.notifications.slack_webhook_env, event }) }),
    });
    expect(access.createdIssues).toHaveLength(1);
    expect(access.createdIssues[0]).toMatchObject({ assignees: ["bob"], labels: ["jit:break-glass"] });
    expect(access.createdIssues[0]?.body).toContain("@acme/sec".replace("@", "@\u200b"));
    expect(sent).toEqual([
      { env: "SECURITY_SLACK", event: expect.objectContaining({ kind: "break-glass", incident: "INC-1", reviewIssue: access.createdIssues[0]?.number }) },
    ]);
    expect([...(access.comments.get(20)?.values() ?? [])].join("\n")).toContain("label API down");
  });
});
