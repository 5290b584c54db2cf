// Attacks on intake and the pull request check, by an org member who can open issues and PRs
// and push branches: the real app against the fake GitHub and the fake AWS. Each finding has a
// regression test named after it and a table over its family.
//   - rules judged at a stale commit (the check reads the base branch as it is now)
//   - the PR body goes stale (rewritten from the head commit on every push, edit and reopen)
//   - intake adopts branches and PRs it did not create
//   - request content from someone else (the issue's text must be its author's)
//   - the PR check commits to any head branch
import * as yaml from "js-yaml";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG, issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { approveAndMerge, expectNothingGranted, jitAttachments, lastComment, openRequest } from "./support/scenario.js";
import { isAppRequestPr } from "../src/github/pr-check.js";
import { otherAuthor, type IssueEvent } from "../src/github/intake.js";
import { withPolicy } from "./support/request-files.js";
import { issuesEdited, issuesEvent, issuesOpened, pullRequestEvent, type WebhookEvent } from "./support/webhooks.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const start = async (opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> => (h = await startHarness(opts));

const CHECK = "jit-access/validate";
const lastCheck = (hh: Harness, ref?: string) => hh.github.checkRuns(REPO, { name: CHECK, ...(ref ? { ref } : {}) }).at(-1);
const bodyOf = (hh: Harness, pr: number) => hh.github.issueState(REPO, pr).body ?? "";
const bot = (hh: Harness) => hh.github.app.botLogin;

/** A synchronize whose `base.sha` is the commit `baseSha`, as GitHub sends it when main moved after the PR's last push. */
function staleBase(event: WebhookEvent, baseSha: string): WebhookEvent {
  const payload = structuredClone(event.payload) as { pull_request: { base: { sha: string } } };
  payload.pull_request.base.sha = baseSha;
  return { name: event.name, payload };
}

/**
 * No pull request has a passing check on a head that changes anything but one request file —
 * "nothing reaches main with a green check".
 */
function expectNoGreenBeyondTheRequestFile(hh: Harness): void {
  for (const p of pulls(hh.github).filter((x) => x.state === "open")) {
    const head = hh.github.pullState(REPO, p.number).pull.headSha;
    const check = lastCheck(hh, head);
    const files = hh.github.pullFiles(REPO, p.number).map((f) => f.filename);
    if (check?.conclusion === "success") expect(files, `PR #${p.number} is green`).toEqual([expect.stringMatching(/^access-requests\//)]);
  }
}

describe("rules judged at a stale commit: the PR check reads the base branch as it is now", () => {
  it("a rule tightened on main after the PR was opened fails the check, though the payload's base.sha is the old commit", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody({ duration: "8h" }));
    expect(lastCheck(hh)?.conclusion).toBe("success");
    const oldMain = hh.github.branchSha(REPO, "main");
    hh.github.commitFiles(REPO, "main", { ".github/jit-access.yml": `${CONFIG}max_duration: 4h\n` }, { author: "admin", message: "shorter grants" });
    await hh.deliver(staleBase(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize"), oldMain));
    const check = lastCheck(hh);
    expect(check?.conclusion).toBe("failure");
    expect(`${check?.output?.title} ${check?.output?.summary}`).toMatch(/max_duration|4h/);
  });

  // Each row: a change on main after the PR was opened, and what the check at the same head must then say.
  const rows: Array<[string, Record<string, string>, "success" | "failure", RegExp]> = [
    ["max_duration tightened", { ".github/jit-access.yml": `${CONFIG}max_duration: 4h\n` }, "failure", /max_duration|4h/],
    ["s3:GetObject denied", { ".github/jit-access.yml": `${CONFIG}denied_actions: ["s3:GetObject"]\n` }, "failure", /s3:GetObject/],
    ["s3 no longer an allowed service", { ".github/jit-access.yml": `${CONFIG}allowed_services: [dynamodb]\n` }, "failure", /s3/],
    [
      "dave removed from approvers and CODEOWNERS",
      { ".github/jit-access.yml": CONFIG.replace("approvers: [bob, dave]", "approvers: [bob]"), ".github/CODEOWNERS": "access-requests/ @bob\n" },
      "success",
      /from `bob`\.$/m,
    ],
    [
      "erin added as the only approver",
      { ".github/jit-access.yml": CONFIG.replace("approvers: [bob, dave]", "approvers: [erin]"), ".github/CODEOWNERS": "access-requests/ @erin\n" },
      "success",
      /from `erin`\.$/m,
    ],
  ];
  it.each(rows)("%s: the check and the PR body follow main's tip", async (_name, change, conclusion, said) => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody({ duration: "8h" }));
    const oldMain = hh.github.branchSha(REPO, "main");
    hh.github.commitFiles(REPO, "main", change, { author: "admin", message: "tighten the rules" });
    const newMain = hh.github.branchSha(REPO, "main");
    await hh.deliver(staleBase(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize"), oldMain));
    const check = lastCheck(hh);
    expect(check?.conclusion).toBe(conclusion);
    expect(`${check?.output?.title}\n${check?.output?.summary}`).toMatch(said);
    if (conclusion === "success") {
      expect(check?.output?.summary).toContain(`at ${newMain.slice(0, 7)}`);
      expect(bodyOf(hh, r.pr!)).toMatch(/\*\*Approval:\*\*.*from `(bob|erin)` —/);
    }
  });
});

describe("the PR body goes stale: body and check always describe the file at the head", () => {
  /** The requester's own push of a wider request (write access) onto the app's jit/ branch. */
  function pushWider(hh: Harness, r: { branch?: string; file?: string }, opts: { keepPolicy?: boolean } = {}): string {
    const doc = yaml.load(hh.github.readFile(REPO, r.file!, r.branch)!) as Record<string, unknown>;
    doc.request = [{ service: "s3", access: ["read", "list", "write"], resources: ["financial-reports"] }];
    if (!opts.keepPolicy) {
      delete doc.policy;
      delete doc.generator;
    }
    const before = hh.github.branchSha(REPO, r.branch!);
    hh.github.commitFiles(REPO, r.branch!, { [r.file!]: yaml.dump(doc) }, { author: "alice", message: "need write too" });
    return before;
  }

  it("a requester who pushes a wider request onto the jit/ branch gets a body and check that show the new policy and risk", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    expect(bodyOf(hh, r.pr!)).toContain("**Risk tier:** low");
    expect(bodyOf(hh, r.pr!)).not.toContain("s3:PutObject");
    const before = pushWider(hh, r);
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize", { before }));
    // The app generated the policy for the wider request on its own branch; that push is checked too.
    expect(lastCheck(hh)?.output?.title).toBe("Policy generated");
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize"));
    const head = hh.github.pullState(REPO, r.pr!).pull.headSha;
    expect(lastCheck(hh)?.head_sha).toBe(head);
    expect(lastCheck(hh)?.output?.title).toMatch(/risk medium/);
    expect(bodyOf(hh, r.pr!)).toContain("**Risk tier:** medium");
    expect(bodyOf(hh, r.pr!)).toContain("s3:PutObject");
    expect(bodyOf(hh, r.pr!)).toContain(`at ${head.slice(0, 7)}`);
    expect(hh.github.issueState(REPO, r.pr!).title).toContain("s3 read/list/write");
  });

  it("an approval of the narrower head does not count for the wider one", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    hh.github.addReview(REPO, r.pr!, { user: "bob", state: "APPROVED" });
    const before = pushWider(hh, r);
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize", { before }));
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize"));
    hh.github.mergePull(REPO, r.pr!, { user: "bob" });
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "closed"));
    expectNothingGranted(hh);
    expect(lastComment(hh, r.pr!)).toContain("Not granted");
  });

  // The events that can change what a PR proposes; each must leave body and check at the head.
  const events: Array<[string, (hh: Harness, r: { pr?: number; branch?: string; file?: string }) => Promise<void>]> = [
    [
      "synchronize (policy written by hand with plan --write)",
      async (hh, r) => {
        const before = pushWider(hh, r);
        const text = hh.github.readFile(REPO, r.file!, r.branch)!;
        hh.github.commitFiles(REPO, r.branch!, { [r.file!]: withPolicy(text, r.file!) }, { author: "alice", message: "plan --write" });
        await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize", { before }));
      },
    ],
    [
      "edited (someone rewrote the description)",
      async (hh, r) => {
        pushWider(hh, r);
        await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize")); // the app commits the generated policy
        hh.github.issueState(REPO, r.pr!).body = "**Risk tier:** low. Nothing to see here, just approve.";
        await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "edited", { sender: "mallory" }));
      },
    ],
    [
      "reopened after a push",
      async (hh, r) => {
        pushWider(hh, r);
        await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize"));
        hh.github.setIssueState(REPO, r.pr!, "closed", { user: "alice" });
        hh.github.setIssueState(REPO, r.pr!, "open", { user: "alice" });
        hh.github.issueState(REPO, r.pr!).body = "stale";
        await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "reopened"));
      },
    ],
  ];
  it.each(events)("%s", async (_name, act) => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    await act(hh, r);
    const head = hh.github.pullState(REPO, r.pr!).pull.headSha;
    const check = lastCheck(hh, head);
    expect(check?.output?.title).toMatch(/risk medium/);
    expect(bodyOf(hh, r.pr!)).toContain("**Risk tier:** medium");
    expect(bodyOf(hh, r.pr!)).toContain(`at ${head.slice(0, 7)}`);
    expect(bodyOf(hh, r.pr!)).toContain("s3:PutObject");
  });

  it("the app's own description edits are not re-checked (no loop)", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    const runs = hh.github.checkRuns(REPO, { name: CHECK }).length;
    hh.github.clearRequests();
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "edited", { sender: bot(hh) }))).toBe(200);
    expect(hh.github.checkRuns(REPO, { name: CHECK })).toHaveLength(runs);
    expect(hh.github.writes()).toEqual([]);
  });
});

describe("intake adopts branches and PRs it did not create", () => {
  const EVIL_CONFIG = CONFIG.replace("approvers: [bob, dave]", "approvers: [mallory]");

  it("an attacker who pre-creates jit/<next-issue>-<slug> with a config change gets a refusal, not a green PR", async () => {
    const hh = await start();
    const next = hh.github.repo(REPO).nextNumber;
    const branch = `jit/${next}-reports`;
    hh.github.commitFiles(REPO, branch, { ".github/jit-access.yml": EVIL_CONFIG }, { author: "mallory", message: "tidy" });
    const mainBefore = hh.github.branchSha(REPO, "main");
    const r = await openRequest(hh, "alice", issueBody());
    expect(r.issue).toBe(next);
    expect(r.pr).toBeUndefined();
    expect(pulls(hh.github)).toEqual([]);
    expect(lastComment(hh, r.issue)).toMatch(
      /Branch `jit\/\d+-reports` already exists and it has 1 commit\(s\) that jit-access did not make \([0-9a-f]{7} by mallory\)/,
    );
    expect(hh.github.checkRuns(REPO, { name: CHECK })).toEqual([]);
    expect(hh.github.readFile(REPO, ".github/jit-access.yml", branch)).toBe(EVIL_CONFIG); // not written to either
    expect(hh.github.branchSha(REPO, "main")).toBe(mainBefore);
  });

  type Setup = (hh: Harness, n: number) => number | undefined;
  // [state before alice's issue n is handled, whether it opens a PR (taking a number first), how it
  //  is set up, expected: the app's own PR opened | refused, and what the refusal says]
  const states: Array<[string, boolean, Setup, "opened" | "refused", RegExp?]> = [
    ["no branch, no PR", false, () => undefined, "opened"],
    [
      "a branch the app made earlier (its PR was closed)",
      false,
      (hh, n) => {
        hh.github.commitFiles(
          REPO,
          `jit/${n}-reports`,
          { [`access-requests/prod/2026/${n}-reports.yaml`]: "old: proposal\n" },
          { author: bot(hh), message: "jit-access: propose" },
        );
        return undefined;
      },
      "opened",
    ],
    [
      "a branch the app made, in another account's folder (issue edited)",
      false,
      (hh, n) => {
        hh.github.commitFiles(
          REPO,
          `jit/${n}-reports`,
          { [`access-requests/dev/2026/${n}-reports.yaml`]: "old: proposal\n" },
          { author: bot(hh), message: "jit-access: propose" },
        );
        return undefined;
      },
      "opened",
    ],
    [
      "a branch the app made holding another request's file",
      false,
      (hh, n) => {
        hh.github.commitFiles(
          REPO,
          `jit/${n}-reports`,
          { "access-requests/prod/2026/1-other.yaml": "x: 1\n" },
          { author: bot(hh), message: "jit-access: propose" },
        );
        return undefined;
      },
      "refused",
      /changes files other than this request's/,
    ],
    [
      "a branch with attacker commits",
      false,
      (hh, n) => {
        hh.github.commitFiles(REPO, `jit/${n}-reports`, { ".github/jit-access.yml": EVIL_CONFIG }, { author: "mallory", message: "tidy" });
        return undefined;
      },
      "refused",
      /did not make/,
    ],
    [
      "a branch with an attacker commit that only touches the request file",
      false,
      (hh, n) => {
        hh.github.commitFiles(
          REPO,
          `jit/${n}-reports`,
          { [`access-requests/prod/2026/${n}-reports.yaml`]: "x: 1\n" },
          { author: "mallory", message: "prefill" },
        );
        return undefined;
      },
      "refused",
      /did not make/,
    ],
    [
      "an attacker PR from jit/<n>-<other slug>",
      true,
      (hh, n) => {
        hh.github.commitFiles(REPO, `jit/${n}-x`, { ".github/jit-access.yml": EVIL_CONFIG }, { author: "mallory", message: "tidy" });
        return hh.github.openPull(REPO, { user: "mallory", head: `jit/${n}-x`, title: "Access request" });
      },
      "opened",
    ],
    [
      "an attacker PR from the very branch the app would use",
      true,
      (hh, n) => {
        hh.github.commitFiles(REPO, `jit/${n}-reports`, { ".github/jit-access.yml": EVIL_CONFIG }, { author: "mallory", message: "tidy" });
        return hh.github.openPull(REPO, { user: "mallory", head: `jit/${n}-reports`, title: "Access request" });
      },
      "refused",
      /jit-access did not open|did not make/,
    ],
  ];
  it.each(states)("%s → %s", async (_name, opensPr, setup, expected, said) => {
    const hh = await start();
    const n = hh.github.repo(REPO).nextNumber + (opensPr ? 1 : 0);
    const attackerPr = setup(hh, n);
    // The attacker's PR, if any, is checked like any other (GitHub sends pull_request.opened).
    if (attackerPr) await hh.deliver(pullRequestEvent(hh.github, REPO, attackerPr, "opened"));
    const issue = hh.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: issueBody(), labels: ["access-request"] });
    expect(issue).toBe(n);
    expect(await hh.deliver(issuesOpened(hh.github, REPO, issue))).toBe(200);
    const mine = pulls(hh.github).filter((p) => hh.github.pullState(REPO, p.number).user === bot(hh));
    if (expected === "opened") {
      expect(mine).toHaveLength(1);
      expect(hh.github.pullFiles(REPO, mine[0]!.number).map((f) => f.filename)).toEqual([`access-requests/prod/2026/${issue}-reports.yaml`]);
      expect(lastCheck(hh, mine[0]!.head)?.conclusion).toBe("success");
    } else {
      expect(mine).toEqual([]);
      expect(lastComment(hh, issue)).toMatch(said!);
      expect(hh.github.labels(REPO, issue)).toContain("jit:invalid");
    }
    if (attackerPr) expect(hh.github.pullState(REPO, attackerPr).user).toBe("mallory"); // never adopted
    expectNoGreenBeyondTheRequestFile(hh);
    expect(hh.github.readFile(REPO, ".github/jit-access.yml", "main")).toBe(CONFIG);
  });

  it("an attacker PR from jit/<alice's issue>-x, closed unmerged, does not reject alice's request", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    hh.github.commitFiles(REPO, `jit/${r.issue}-x`, { "README.md": "x\n" }, { author: "mallory", message: "x" });
    const evil = hh.github.openPull(REPO, { user: "mallory", head: `jit/${r.issue}-x`, title: "x" });
    hh.github.setIssueState(REPO, evil, "closed", { user: "mallory" });
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, evil, "closed"))).toBe(200);
    expect(hh.github.issueState(REPO, r.issue).state).toBe("open");
    expect(hh.github.labels(REPO, r.issue)).not.toContain("jit:rejected");
    // control: the app's own PR closed unmerged does reject it
    hh.github.setIssueState(REPO, r.pr!, "closed", { user: "bob" });
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "closed"));
    expect(hh.github.labels(REPO, r.issue)).toContain("jit:rejected");
  });

  it("an app PR with an extra attacker commit: the edit is refused and no check at that head passes", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    const before = hh.github.branchSha(REPO, r.branch!);
    hh.github.commitFiles(REPO, r.branch!, { ".github/jit-access.yml": EVIL_CONFIG }, { author: "mallory", message: "tidy" });
    await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr!, "synchronize", { before }));
    const head = hh.github.branchSha(REPO, r.branch!);
    expect(lastCheck(hh, head)?.conclusion).toBe("failure");
    expect(lastCheck(hh, head)?.output?.summary).toContain("one-request-file");
    expect(bodyOf(hh, r.pr!)).toMatch(/not valid/);
    // alice edits her issue: intake must not write on top of mallory's commit and report it green
    const changes = hh.github.editIssue(REPO, r.issue, { body: issueBody({ duration: "4h" }) });
    expect(await hh.deliver(issuesEdited(hh.github, REPO, r.issue, { changes }))).toBe(200);
    expect(hh.github.branchSha(REPO, r.branch!)).toBe(head);
    expect(lastComment(hh, r.issue)).toMatch(/did not make \([0-9a-f]{7} by mallory\)/);
    expect(hh.github.checkRuns(REPO, { name: CHECK, ref: head }).every((c) => c.conclusion === "failure")).toBe(true);
    await approveAndMerge(hh, r.pr!, ["bob"]);
    expectNothingGranted(hh);
  });
});

describe("request content from someone else: the issue's text must be its author's", () => {
  it("an issue body rewritten by someone else (wider access) is refused and the PR keeps the author's request", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    const text = hh.github.readFile(REPO, r.file!, r.branch);
    const changes = hh.github.editIssue(REPO, r.issue, { body: issueBody({ access: "read,list,write", duration: "24h" }), by: "mallory" });
    expect(await hh.deliver(issuesEdited(hh.github, REPO, r.issue, { changes, sender: "mallory" }))).toBe(200);
    expect(lastComment(hh, r.issue)).toContain("last edited by mallory, not by alice");
    expect(hh.github.readFile(REPO, r.file!, r.branch)).toBe(text);
    // labelled again by a triager: still the other person's text, still refused
    expect(await hh.deliver(issuesEvent(hh.github, REPO, r.issue, "labeled", { sender: "bob", label: "access-request" }))).toBe(200);
    expect(hh.github.readFile(REPO, r.file!, r.branch)).toBe(text);
    // alice saves the text herself: now it is her request
    const mine = hh.github.editIssue(REPO, r.issue, { body: issueBody({ access: "read,list,write", duration: "12h" }), by: "alice" });
    await hh.deliver(issuesEdited(hh.github, REPO, r.issue, { changes: mine }));
    expect(hh.github.readFile(REPO, r.file!, r.branch)).toContain("duration: 12h");
  });

  type Who = "author" | "other";
  const cases: Array<[string, Who, "none" | Who]> = [];
  for (const event of ["opened", "edited", "labeled"])
    for (const sender of ["author", "other"] as const) for (const editedBy of ["none", "author", "other"] as const) cases.push([event, sender, editedBy]);
  it.each(cases)("%s by %s, body last edited by %s", async (event, sender, editedBy) => {
    const hh = await start();
    const login = (w: Who) => (w === "author" ? "alice" : "mallory");
    const issue = hh.github.openIssue(REPO, {
      user: "alice",
      title: "Access request: reports",
      body: issueBody(),
      labels: event === "labeled" ? [] : ["access-request"],
    });
    let changes: ReturnType<typeof hh.github.editIssue> = {};
    if (editedBy !== "none") changes = hh.github.editIssue(REPO, issue, { body: issueBody({ duration: "4h" }), by: login(editedBy) });
    let payload: WebhookEvent;
    if (event === "opened") payload = issuesOpened(hh.github, REPO, issue, { sender: login(sender) });
    else if (event === "labeled") {
      hh.github.addLabels(REPO, issue, ["access-request"]);
      payload = issuesEvent(hh.github, REPO, issue, "labeled", { sender: login(sender), label: "access-request" });
    } else {
      // The edit this event reports: the body edit when the sender made it, else a retitle by the sender.
      if (editedBy !== sender) changes = hh.github.editIssue(REPO, issue, { title: "Access request: reports (again)" });
      payload = issuesEdited(hh.github, REPO, issue, { changes, sender: login(sender) });
    }
    expect(await hh.deliver(payload)).toBe(200);
    const proposed = pulls(hh.github).length === 1;
    expect(proposed).toBe(editedBy !== "other");
    if (!proposed) {
      expect(lastComment(hh, issue)).toContain("last edited by mallory, not by alice");
      expect(hh.github.labels(REPO, issue)).toContain("jit:invalid");
    }
  });

  it("the rule over every event, sender, body change and last editor (pure)", () => {
    const who = ["alice", "ALICE", "mallory", undefined] as const;
    for (const action of ["opened", "edited", "labeled", "reopened"]) {
      for (const s of who) {
        for (const bodyChanged of [false, true]) {
          for (const editor of ["alice", "Alice", "mallory", null] as const) {
            const event: IssueEvent = { action, bodyChanged, ...(s ? { sender: { login: s, type: "User" } } : {}) };
            const got = otherAuthor("alice", event, editor);
            const bySender = action === "edited" && bodyChanged && s === "mallory";
            const byEditor = editor === "mallory";
            expect(got, JSON.stringify({ action, s, bodyChanged, editor })).toBe(bySender || byEditor ? "mallory" : undefined);
          }
        }
      }
    }
  });
});

describe("the PR check commits to any head branch: it writes only to jit/ branches the app made", () => {
  /** A request file as a person writes it, without a policy: the case where the check would generate one. */
  const policyless = (id: string, requester = "carol") =>
    [
      "version: 1",
      `id: ${id}`,
      `requester: ${requester}`,
      "account: prod",
      "duration: 2h",
      "reason: Debug the nightly export",
      "request:",
      "  - service: dynamodb",
      "    access: [read]",
      "    resources: [orders]",
      "",
    ].join("\n");

  type Case = (hh: Harness) => Promise<{ pr: number; head: string; event?: (e: WebhookEvent) => WebhookEvent }>;
  const heads: Array<[string, Case]> = [
    [
      "main, in a PR from main into an older branch",
      async (hh) => {
        hh.github.createBranch(REPO, "release/1");
        const n = hh.github.repo(REPO).nextNumber;
        hh.github.commitFiles(
          REPO,
          "main",
          { [`access-requests/prod/2026/${n}-orders-read.yaml`]: policyless(`${n}-orders-read`) },
          { author: "carol", message: "request" },
        );
        return { pr: hh.github.openPull(REPO, { user: "carol", head: "main", base: "release/1", title: "backport" }), head: "main" };
      },
    ],
    [
      "release/x",
      async (hh) => {
        const n = hh.github.repo(REPO).nextNumber;
        hh.github.commitFiles(
          REPO,
          "release/x",
          { [`access-requests/prod/2026/${n}-orders-read.yaml`]: policyless(`${n}-orders-read`) },
          { author: "carol", message: "request" },
        );
        return { pr: hh.github.openPull(REPO, { user: "carol", head: "release/x", title: "request" }), head: "release/x" };
      },
    ],
    [
      "jit/… made by someone else",
      async (hh) => {
        const n = hh.github.repo(REPO).nextNumber;
        hh.github.commitFiles(
          REPO,
          `jit/${n}-orders-read`,
          { [`access-requests/prod/2026/${n}-orders-read.yaml`]: policyless(`${n}-orders-read`) },
          { author: "carol", message: "request" },
        );
        return { pr: hh.github.openPull(REPO, { user: "carol", head: `jit/${n}-orders-read`, title: "request" }), head: `jit/${n}-orders-read` };
      },
    ],
    [
      "jit/… made by the app, from a fork",
      async (hh) => {
        const r = await openRequest(hh, "alice", issueBody());
        const doc = yaml.load(hh.github.readFile(REPO, r.file!, r.branch)!) as Record<string, unknown>;
        delete doc.policy;
        hh.github.commitFiles(REPO, r.branch!, { [r.file!]: yaml.dump(doc) }, { author: "alice", message: "regenerate please" });
        const fork = (e: WebhookEvent): WebhookEvent => {
          const payload = structuredClone(e.payload) as { pull_request: { head: { repo: { full_name: string } } } };
          payload.pull_request.head.repo.full_name = "mallory/access";
          return { name: e.name, payload };
        };
        return { pr: r.pr!, head: r.branch!, event: fork };
      },
    ],
    [
      "jit/… made by the app",
      async (hh) => {
        const r = await openRequest(hh, "alice", issueBody());
        const doc = yaml.load(hh.github.readFile(REPO, r.file!, r.branch)!) as Record<string, unknown>;
        delete doc.policy;
        delete doc.generator;
        hh.github.commitFiles(REPO, r.branch!, { [r.file!]: yaml.dump(doc) }, { author: "alice", message: "regenerate please" });
        return { pr: r.pr!, head: r.branch! };
      },
    ],
  ];
  it.each(heads.map(([name, setup]) => [name, setup, name === "jit/… made by the app"] as const))("%s", async (_name, setup, appWrites) => {
    const hh = await start();
    const { pr, head, event } = await setup(hh);
    const before = hh.github.branchSha(REPO, head);
    const e = pullRequestEvent(hh.github, REPO, pr, "synchronize");
    expect(await hh.deliver(event ? event(e) : e)).toBe(200);
    const after = hh.github.branchSha(REPO, head);
    if (appWrites) {
      expect(after).not.toBe(before);
      expect(hh.github.commits(REPO, { ref: head })[0]?.author).toBe(bot(hh));
      expect(lastCheck(hh)?.output?.title).toBe("Policy generated");
    } else {
      expect(after).toBe(before);
      expect(lastCheck(hh)?.conclusion).toBe("failure");
      expect(lastCheck(hh)?.output?.summary).toContain("plan --write");
    }
    expect(jitAttachments(hh.aws)).toEqual([]);
  });

  it("isAppRequestPr over head, base, repository and author", () => {
    const app = "jit-access[bot]";
    const repo = { defaultBranch: "main" };
    const botUser = { login: app, type: "Bot" };
    const base = { headRef: "jit/5-reports", baseRef: "main", sameRepo: true, author: botUser };
    expect(isAppRequestPr(base, repo, app)).toBe(true);
    expect(isAppRequestPr({ ...base, author: { login: "JIT-ACCESS[bot]", type: "Bot" } }, repo, app)).toBe(true);
    for (const [name, pr] of [
      ["head main", { ...base, headRef: "main", baseRef: "release/1" }],
      ["head release/x", { ...base, headRef: "release/x" }],
      ["jit/ by a person", { ...base, author: { login: "mallory", type: "User" } }],
      ["jit/ by a user named like the bot", { ...base, author: { login: app, type: "User" } }],
      ["jit/ by another app", { ...base, author: { login: "other[bot]", type: "Bot" } }],
      ["no author", { ...base, author: null }],
      ["fork", { ...base, sameRepo: false }],
      ["into another base", { ...base, baseRef: "release/1" }],
      ["jit without slash", { ...base, headRef: "jitx/5-reports" }],
    ] as const) {
      expect(isAppRequestPr(pr, repo, app), name).toBe(false);
    }
  });
});

describe("control: the ordinary flow still works end to end", () => {
  it("alice's request is proposed, approved, merged and granted", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    expect(lastCheck(hh)?.conclusion).toBe("success");
    expect(bodyOf(hh, r.pr!)).toContain("**Risk tier:** low");
    await approveAndMerge(hh, r.pr!);
    expect(jitAttachments(hh.aws)).toHaveLength(1);
  });
});
