// Auto-approval and break-glass end to end: the real app against the fake GitHub and the fake AWS.
// A low-risk request granted with no human; the same request left to people when one condition
// fails (account, team, cap, an objection, GitHub refusing the merge); break-glass with its alert,
// label and review issue. The attacks on both paths are in attacks-approval-policies.test.ts.
// Codes are asserted, never wording.
import { afterEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { attachedTo, CONFIG, issueBody, REPO, type Harness } from "./support/app-harness.js";
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

describe("auto-approval", () => {
  it("a low-risk request in the rule's account by a team member is merged by the app and granted with no human", async () => {
    const { hh, sent } = await begin();
    const r = await request(hh, "alice");
    const merged = pr(hh, r.pr);
    expect(merged.pull.merged).toBe(true);
    expect(merged.pull.merged_by).toBe("jit-access[bot]");
    expect(merged.pull.reviews).toEqual([]);
    expect(commentWith(hh, r.pr, AUTO)).toContain("prod-read");

    expect(await closed(hh, r.pr)).toBe(200);
    expect(attachedTo(hh.aws, "alice")).toHaveLength(1);
    const record = hh.github.readFile(REPO, r.file, "main") ?? "";
    expect(record).toContain("status: active");
    expect(record).toMatch(/approved_by:\n\s+- rule:prod-read/);
    expect(record).toMatch(/auto_approval:\n\s+rule: prod-read\n\s+config_sha: '?[0-9a-f]{40}/);
    const trailers = parseTrailers(hh.github.commits(REPO, { path: r.file, ref: "main" })[0]?.message ?? "");
    expect(trailers).toMatchObject({ "Approved-By": ["rule:prod-read"], "Auto-Approve-Rule": ["prod-read"], Risk: ["low"] });
    expect(trailers["Matched"]).toEqual(expect.arrayContaining(["risk=low", "account=prod", "requester=alice", "via=@acme/devs"]));
    expect(trailers["Config-Sha"]?.[0]).toBe(hh.github.fileSha(REPO, ".github/jit-access.yml", "main"));
    expect(sent.find((s) => s.event.kind === "granted")?.event).toMatchObject({ approvedBy: ["rule:prod-read"] });
  });
  it("over the cap: the second request the same day waits for people (approval.auto-cap), counted from the records", async () => {
    const { hh } = await begin();
    const first = await request(hh, "alice");
    await closed(hh, first.pr);
    const second = await request(hh, "alice", issueBody({ resources: "other-reports" }));
    expect(pr(hh, second.pr).pull.merged).toBe(false);
    expect(commentWith(hh, second.pr, AUTO)).toContain("approval.auto-cap");
  });
  it("a request for an account the rule does not cover waits for people (approval.auto-no-match)", async () => {
    const { hh } = await begin(
      `${CONFIG.replace(`prod: "111111111111"`, `prod: "111111111111"\n    staging: "222222222222"`)}${RULES.replace("accounts: [prod]", "accounts: [staging]")}`,
    );
    const r = await request(hh, "alice");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-no-match");
  });
  it("an objection blocks the rule: changes requested, then a push re-checks it (approval.changes-requested)", async () => {
    const { hh } = await begin(`${CONFIG}${RULES.replace('requesters: ["@acme/devs"]', "requesters: [nobody]")}`);
    const r = await request(hh, "alice");
    hh.github.addReview(REPO, r.pr, { user: "dave", state: "CHANGES_REQUESTED" });
    // The rule now covers alice (an admin widened it on main); the objection still stands.
    hh.github.commitFiles(REPO, "main", { ".github/jit-access.yml": `${CONFIG}${RULES}` }, { author: "admin", message: "widen" });
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr, "reopened"))).toBe(200);
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.changes-requested");
  });
  it("a requester outside the rule's team waits for people (approval.auto-no-match)", async () => {
    const { hh } = await begin(`${CONFIG.replace("alice: { iam_user: alice }", "alice: { iam_user: alice }\n  erin: { iam_user: erin }")}${RULES}`);
    const r = await request(hh, "erin");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, AUTO)).toContain("approval.auto-no-match");
  });
  it("GitHub refusing the app's merge (branch protection) leaves the request to people (github.merge-refused)", async () => {
    const { hh } = await begin();
    const r = await openRequest(hh, "alice", issueBody());
    hh.github.faults.failNext("PUT", /\/pulls\/\d+\/merge$/, 405, 1);
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "opened"))).toBe(200);
    expect(pr(hh, r.pr!).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr!, AUTO)).toContain("github.merge-refused");
    expectNothingGranted(hh);
  });
});

describe("break-glass", () => {
  it("end to end: the listed requester approves their own request; merged, granted, labelled, alerted, review issue opened", async () => {
    const { hh, sent } = await begin(`${BREAK_GLASS_ONLY}`);
    const r = await request(hh, "alice", SHORT);
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    await comment(hh, r.pr, "alice", "/break-glass INC-7 database failover stuck, need to read the reports bucket");
    expect(pr(hh, r.pr).pull.merged_by).toBe("jit-access[bot]");
    expect(await closed(hh, r.pr)).toBe(200);

    expect(attachedTo(hh.aws, "alice")).toHaveLength(1);
    const record = hh.github.readFile(REPO, r.file, "main") ?? "";
    expect(record).toMatch(/break_glass:\n\s+by: alice\n\s+incident: INC-7/);
    const trailers = parseTrailers(hh.github.commits(REPO, { path: r.file, ref: "main" })[0]?.message ?? "");
    expect(trailers).toMatchObject({ "Approved-By": ["alice"], "Break-Glass-By": ["alice"], "Break-Glass-Incident": ["INC-7"] });

    for (const n of [r.pr, r.issue]) expect(hh.github.labels(REPO, n)).toContain("jit:break-glass");
    const review = [...hh.github.repo(REPO).issues.values()].find((i) => i.title.startsWith("Break-glass review"));
    expect(review?.assignees.sort()).toEqual(["bob", "dave"]);
    expect(review?.labels).toContain("jit:break-glass");
    const alert = sent.find((s) => s.event.kind === "break-glass");
    expect(alert?.env).toBe("SECURITY_SLACK");
    expect(alert?.event).toMatchObject({ by: "alice", incident: "INC-7", reviewIssue: review?.number });
  });
  it("given on the request's issue, it acts on the app's pull request for that issue", async () => {
    const { hh, sent } = await begin(BREAK_GLASS_ONLY);
    const r = await request(hh, "alice", SHORT);
    await comment(hh, r.issue, "alice", "/break-glass INC-8 queue stuck, need to read the reports bucket");
    expect(pr(hh, r.pr).pull.merged_by).toBe("jit-access[bot]");
    expect(await closed(hh, r.pr)).toBe(200);
    expect(attachedTo(hh.aws, "alice")).toHaveLength(1);
    expect(sent.some((s) => s.event.kind === "break-glass")).toBe(true);
  });

  it("off unless configured", async () => {
    const { hh } = await begin(CONFIG);
    const r = await request(hh, "alice", SHORT);
    await comment(hh, r.pr, "alice", "/break-glass INC-11 database failover stuck again");
    expect(pr(hh, r.pr).pull.merged).toBe(false);
    expect(commentWith(hh, r.pr, GLASS)).toContain("approval.break-glass-off");
  });
});
