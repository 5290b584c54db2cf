// Attacks on the merge → grant step: the real app against the fake GitHub (which sends
// `pull_request.base.sha` as GitHub does — the base tip at the PR's last update, not at the
// merge — and merges with GitHub's parents for each method) and the fake AWS.
// - Rules judged at a stale commit: rules tightened on the default branch after the PR was
//   opened (an approver removed, max_duration, required_approvals, denied_actions) must apply.
// - A multi-commit rebase merge must not get past the "already a record" guard: an expired request
//   granted again, or another user's active record made to vanish from the default branch.
// - Every human who wrote or committed any commit of the PR is barred from approving it.
import * as yaml from "js-yaml";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG, issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { approveAndMerge, expectNothingGranted, jitAttachments, lastComment, openRequest, sweepVia } from "./support/scenario.js";
import { pullRequestEvent } from "./support/webhooks.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const start = async (opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> => (h = await startHarness(opts));

type Method = "merge" | "squash" | "rebase";
const MINUTE = 60_000;
const tick = (hh: Harness, ms = MINUTE) => (hh.clock.now = new Date(hh.clock.now.getTime() + ms));

/** An admin changes the rules on the default branch (a commit straight to main). */
function onMain(hh: Harness, files: Record<string, string>): string {
  tick(hh);
  return hh.github.commitFiles(REPO, "main", files, { author: "admin", message: "tighten the rules" });
}

/** Approves on the head, merges with `method` and delivers pull_request.closed (as GitHub sends it). */
async function approveAndMergeWith(hh: Harness, pr: number, method: Method, approvers = ["bob"], merger = "bob"): Promise<number> {
  tick(hh);
  for (const a of approvers) hh.github.addReview(REPO, pr, { user: a, state: "APPROVED" });
  tick(hh);
  hh.github.mergePull(REPO, pr, { user: merger, method });
  return hh.deliver(pullRequestEvent(hh.github, REPO, pr, "closed"));
}

/** The closed payload's base.sha is the stale one (the tip when the PR was opened), as on GitHub. */
function expectStaleBaseSha(hh: Harness, pr: number, openedAt: string): void {
  const payload = pullRequestEvent(hh.github, REPO, pr, "closed").payload as { pull_request: { base: { sha: string } } };
  expect(payload.pull_request.base.sha).toBe(openedAt);
  expect(hh.github.branchSha(REPO, "main")).not.toBe(openedAt);
}

const APPROVER_REMOVED = {
  ".github/jit-access.yml": CONFIG.replace("approvers: [bob, dave]", "approvers: [dave]"),
  ".github/CODEOWNERS": "access-requests/ @dave\n",
};

describe("rules tightened on the default branch after the PR was opened are the rules judged at the merge", () => {
  it("an approver removed from approvers and CODEOWNERS, who then approves and merges, is not counted", async () => {
    const hh = await start();
    const openedAt = hh.github.branchSha(REPO, "main");
    const { issue, pr } = await openRequest(hh, "alice", issueBody());
    onMain(hh, APPROVER_REMOVED);
    expect(await approveAndMergeWith(hh, pr!, "merge", ["bob"], "bob")).toBe(200);
    expectStaleBaseSha(hh, pr!, openedAt);
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/bob approved but is not an authorized approver/);
    expect(hh.github.labels(REPO, issue)).toContain("jit:blocked");
  });

  it("max_duration lowered below the request's duration", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody({ duration: "8h" }));
    onMain(hh, { ".github/jit-access.yml": `${CONFIG}default_duration: 1h\nmax_duration: 4h\n` });
    await approveAndMergeWith(hh, pr!, "squash");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/max\\?_duration/);
  });

  it("required_approvals raised: one approval no longer suffices", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    onMain(hh, {
      ".github/jit-access.yml": CONFIG.replace("required_approvals: { low: 1, medium: 1, high: 2 }", "required_approvals: { low: 2, medium: 2, high: 2 }"),
    });
    await approveAndMergeWith(hh, pr!, "merge");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/needs 2 approvals/);
  });

  it("denied_actions added for an action the policy grants", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    onMain(hh, { ".github/jit-access.yml": `${CONFIG}denied_actions: ["s3:GetObject"]\n` });
    await approveAndMergeWith(hh, pr!, "rebase");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/forbidden by denied\\?_actions/);
  });

  it("the requester's principal removed from principals", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    onMain(hh, { ".github/jit-access.yml": CONFIG.replace("  alice: { iam_user: alice }\n", "") });
    await approveAndMergeWith(hh, pr!, "merge");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toContain("Not granted");
  });

  // Every merge method × every tightening: never granted; and the control (an unrelated commit on
  // main) is granted under every method, so the refusals are the rules' doing.
  const CHANGES: Array<[string, (hh: Harness) => void, RegExp | undefined]> = [
    ["nothing that matters (control)", (hh) => void onMain(hh, { "README.md": "moved on\n" }), undefined],
    ["approver removed", (hh) => void onMain(hh, APPROVER_REMOVED), /bob approved but is not an authorized approver/],
    ["max_duration lowered", (hh) => void onMain(hh, { ".github/jit-access.yml": `${CONFIG}default_duration: 1h\nmax_duration: 4h\n` }), /max\\?_duration/],
    ["required_approvals raised", (hh) => void onMain(hh, { ".github/jit-access.yml": CONFIG.replace("low: 1", "low: 2") }), /needs 2 approvals/],
    [
      "denied_actions added",
      (hh) => void onMain(hh, { ".github/jit-access.yml": `${CONFIG}denied_actions: ["s3:GetObject"]\n` }),
      /forbidden by denied\\?_actions/,
    ],
    ["allowed_services narrowed", (hh) => void onMain(hh, { ".github/jit-access.yml": `${CONFIG}allowed_services: [dynamodb]\n` }), /allowed\\?_services/],
  ];
  const TABLE = (["merge", "squash", "rebase"] as const).flatMap((m) => CHANGES.map(([name, change, says]) => [m, name, change, says] as const));
  it.each(TABLE)("%s merge, rules changed on main after the PR opened: %s", async (method, _name, change, says) => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    // a second commit on the PR (the requester fixes the reason), so a rebase replays several
    tick(hh);
    const branch = hh.github.pullState(REPO, pr!).pull.headRef;
    const file = hh.github.pullFiles(REPO, pr!)[0]!.filename;
    hh.github.commitFiles(
      REPO,
      branch,
      { [file]: hh.github.readFile(REPO, file, branch)!.replace(/^reason: .*$/m, "reason: Quarter-end reconciliation, ledger export") },
      { author: "alice", message: "reason" },
    );
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr!, "synchronize"));
    change(hh);
    await approveAndMergeWith(hh, pr!, method);
    if (!says) {
      expect(lastComment(hh, pr!)).toContain("Granted");
      expect(jitAttachments(hh.aws)).toHaveLength(1);
    } else {
      expectNothingGranted(hh);
      expect(lastComment(hh, pr!)).toMatch(says);
    }
  });
});

describe("the record before the merge is read at the real pre-merge tip, for every merge method", () => {
  /** Alice's request granted and then expired by the sweep; returns the expired record. */
  async function expiredForAlice(hh: Harness): Promise<{ file: string; record: string; issue: number }> {
    const r = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, r.pr!);
    expect(jitAttachments(hh.aws)).toHaveLength(1);
    tick(hh, 9 * 3600_000);
    await sweepVia(hh, CONFIG);
    expect(jitAttachments(hh.aws)).toHaveLength(0);
    const record = hh.github.readFile(REPO, r.file!, "main")!;
    expect(record).toMatch(/status: expired/);
    return { file: r.file!, record, issue: r.issue };
  }

  /** A two-commit PR by `user` that turns `record` back into a proposal (then touches it again). */
  async function reproposePr(
    hh: Harness,
    user: string,
    file: string,
    record: string,
    edit: (doc: Record<string, unknown>) => void = () => undefined,
  ): Promise<number> {
    const doc = yaml.load(record) as Record<string, unknown>;
    delete doc.status;
    delete doc.grant;
    delete doc.closed;
    edit(doc);
    const branch = `${user}/again`;
    tick(hh);
    hh.github.commitFiles(REPO, branch, { [file]: yaml.dump(doc) }, { author: user, message: "propose again" });
    tick(hh);
    hh.github.commitFiles(REPO, branch, { [file]: yaml.dump({ ...doc, reason: `${String(doc.reason)} (again)` }) }, { author: user, message: "reword" });
    const pr = hh.github.openPull(REPO, { user, head: branch, title: "again" });
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr, "opened"));
    return pr;
  }

  it("a rebase merge of a multi-commit PR does not grant an expired request again, and the record is restored", async () => {
    const hh = await start();
    const alice = await expiredForAlice(hh);
    const pr = await reproposePr(hh, "alice", alice.file, alice.record);
    expect(hh.github.pullCommits(REPO, pr).length).toBeGreaterThanOrEqual(2);
    await approveAndMergeWith(hh, pr, "rebase");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr)).toMatch(/already expired/);
    expect(hh.github.readFile(REPO, alice.file, "main")).toBe(alice.record);
  });

  it("a rebase merge of a multi-commit PR does not make another user's active record vanish from the default branch", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, r.pr!);
    const active = hh.github.readFile(REPO, r.file!, "main")!;
    const pr = await reproposePr(hh, "mallory", r.file!, active, (doc) => {
      doc.duration = "24h";
    });
    await approveAndMergeWith(hh, pr, "rebase");
    expect(jitAttachments(hh.aws)).toHaveLength(1); // alice's original grant, nothing more
    expect(lastComment(hh, pr)).toMatch(/already active/);
    expect(hh.github.readFile(REPO, r.file!, "main")).toBe(active);
  });

  it.each(["merge", "squash", "rebase"] as const)("%s merge: an expired request is never granted again", async (method) => {
    const hh = await start();
    const alice = await expiredForAlice(hh);
    const pr = await reproposePr(hh, "alice", alice.file, alice.record);
    await approveAndMergeWith(hh, pr, method);
    expectNothingGranted(hh);
    expect(lastComment(hh, pr)).toMatch(/already expired/);
    expect(hh.github.readFile(REPO, alice.file, "main")).toBe(alice.record);
  });
});

describe("when the pre-merge tip is ambiguous, nothing is granted", () => {
  it("a rebase merge of a PR that merged the default branch in (a rebase drops merge commits) → refused, the tip is unknown", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    const branch = hh.github.pullState(REPO, pr!).pull.headRef;
    const main = onMain(hh, { "README.md": "moved on\n" });
    // "Update branch": a merge commit of main into the PR's head, by alice
    tick(hh);
    const repo = hh.github.repo(REPO);
    const tree = new Map(repo.git.filesAt(hh.github.branchSha(REPO, branch)));
    tree.set("README.md", repo.git.filesAt(main).get("README.md")!);
    hh.github.setBranch(repo, branch, hh.github.writeCommit(repo, tree, [hh.github.branchSha(REPO, branch), main], "Merge branch 'main'", "alice"));
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr!, "synchronize"));
    await approveAndMergeWith(hh, pr!, "rebase");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/commit before the merge cannot be determined: .*contains merge commits/);
  });

  it("a rebase whose own commits change the config and change it back leaves two candidate tips with different rules → refused", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    const branch = hh.github.pullState(REPO, pr!).pull.headRef;
    tick(hh);
    hh.github.commitFiles(
      REPO,
      branch,
      { ".github/jit-access.yml": CONFIG.replace("approvers: [bob, dave]", "approvers: [bob, dave, mallory]") },
      { author: "alice", message: "widen" },
    );
    tick(hh);
    hh.github.commitFiles(REPO, branch, { ".github/jit-access.yml": CONFIG }, { author: "alice", message: "undo" });
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr!, "synchronize"));
    expect(hh.github.pullFiles(REPO, pr!).map((f) => f.filename)).toHaveLength(1); // the net change is the request only
    await approveAndMergeWith(hh, pr!, "rebase");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/rules to judge by are ambiguous/);
  });
});

describe("nobody who wrote or pushed a commit of the PR approves it", () => {
  it("an approver's own earlier commit, hidden behind the app's later policy commit, bars their approval", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    const branch = hh.github.pullState(REPO, pr!).pull.headRef;
    const file = hh.github.pullFiles(REPO, pr!)[0]!.filename;
    // bob (an approver) widens the request on alice's branch; the PR check then re-plans and
    // commits the policy as the app, so bob's commit is no longer the last one.
    tick(hh);
    hh.github.commitFiles(
      REPO,
      branch,
      { [file]: hh.github.readFile(REPO, file, branch)!.replace(/^reason: .*$/m, "reason: bob was here") },
      { author: "bob", message: "tweak" },
    );
    tick(hh);
    hh.github.commitFiles(
      REPO,
      branch,
      { [file]: `${hh.github.readFile(REPO, file, branch)!}# reviewed\n` },
      { author: hh.github.app.botLogin, message: "jit-access: policy" },
    );
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr!, "synchronize"));
    await approveAndMergeWith(hh, pr!, "merge", ["bob"], "bob");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/bob approved but is the author of commit/);
  });
});
