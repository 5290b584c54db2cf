// Attacks on auto-approval and break-glass: the real app against the fake GitHub and the fake AWS.
// A forged /break-glass (by a user not on the list, on someone else's request), break-glass over
// its max_duration; auto-approval of a high-risk request, of a PR that changes the config, of a file
// changed after the match, and a person's merge that carries the app's claim in its message.
// Nothing is granted in any of them; codes are asserted, never wording.
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG, issueBody, REPO, type Harness } from "./support/app-harness.js";
import { AUTO, BREAK_GLASS_ONLY, closed, comment, commentWith, GLASS, pr, request, RULES, SHORT, startPolicies } from "./support/approval-policies.js";
import { expectNothingGranted, openRequest } from "./support/scenario.js";
import { pullRequestEvent } from "./support/webhooks.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const begin = async (config?: string) => {
  const started = await startPolicies(config);
  h = started.hh;
  return started;
};

describe("attacks on auto-approval", () => {
  it("a high-risk request is never auto-approved (approval.auto-high-risk), even by a rule for every risk it may hold", async () => {
    const { hh } = await begin(`${CONFIG}${RULES.replace("risk: [low]", "risk: [low, medium]")}`);
    const r = await request(hh, "alice", issueBody({ access: "read,write", actions: "s3:DeleteBucket", resources: "financial-reports" }));
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-high-risk");
    expectNothingGranted(hh);
  });
  it("a config change pushed into the request's own PR is never auto-approved (approval.auto-config-changed)", async () => {
    const { hh } = await begin(
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
    const { hh } = await begin();
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
  it("a person who merges with the app's claim in the message gets no auto-approval (approval.insufficient)", async () => {
    const { hh } = await begin(`${CONFIG}${RULES.replace('requesters: ["@acme/devs"]', "requesters: [nobody]")}`);
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

describe("attacks on break-glass", () => {
  it.each<[string, string, string]>([
    ["approval.break-glass-not-listed", "carol", "carol"],
    ["approval.break-glass-not-requester", "carol", "alice"],
  ])("forged /break-glass → %s (request of %s, command by %s)", async (code, owner, commenter) => {
    const { hh } = await begin(`${BREAK_GLASS_ONLY}`);
    const r = await request(hh, owner, SHORT);
    await comment(hh, r.pr, commenter, "/break-glass INC-9 this is an emergency, trust me");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, GLASS)).toContain(code);
    expectNothingGranted(hh);
  });
  it("over break_glass.max_duration → approval.break-glass-too-long", async () => {
    const { hh } = await begin(`${BREAK_GLASS_ONLY}`);
    const r = await request(hh, "alice", issueBody({ duration: "3h" }));
    await comment(hh, r.pr, "alice", "/break-glass INC-10 database failover stuck again");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, GLASS)).toContain("approval.break-glass-too-long");
    expectNothingGranted(hh);
  });
});
