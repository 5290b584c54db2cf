// Attack scenarios: the real app against the fake GitHub and the fake AWS. Each asserts that
// nothing was granted in AWS and that the attacker (or the approver they tried to fool) got a
// clear message. This file holds the first review's scenarios; the index below names every
// attack regression by finding, with the file and describe block that holds it and its family
// (table or property) test.
//
// Approvals, intake, webhooks and deployment (the security review):
//   1  the app's private key readable by every writer   attacks-deploy  "the GitHub App private key is readable by every repository writer"
//                                                          (table over every job; trust pinned to the environment; token permissions = what the sweep calls)
//   2  rules judged at a stale commit (merge)            attacks-merge   "rules tightened on the default branch after the PR was opened…" (table: merge methods × rule changes)
//      rules judged at a stale commit (PR check)         attacks-intake  "rules judged at a stale commit: the PR check reads the base branch as it is now" (table)
//   3  the PR body goes stale                            attacks-intake  "the PR body goes stale: body and check always describe the file at the head" (table over events)
//   4  intake adopts branches and PRs it did not make    attacks-intake  "intake adopts branches and PRs it did not create" (table of eight starting states)
//   5  webhook secret fails open outside production      attacks-deploy  "the webhook secret fails open outside production"; app-start (secrets × NODE_ENV × HOST, property)
//   6  multi-commit rebase merge past the record guard   attacks-merge   "the record before the merge is read at the real pre-merge tip, for every merge method",
//                                                                         "when the pre-merge tip is ambiguous, nothing is granted"; approvals (preMergeTips table + property)
//   7  only the last commit's author excluded            attacks-merge   "nobody who wrote or pushed a commit of the PR approves it"; approvals (property over commit lists)
//   8  request content from someone else                 attacks-intake  "request content from someone else: the issue's text must be its author's" (table + exhaustive rule)
//   9  server buffers the whole body                     attacks-deploy  "the self-hosted server buffers the whole body…", "body cap family…" (table + property)
//  10  Lambda replay keyed on the unsigned delivery id   attacks-deploy  "the Lambda replay protection keys on the unsigned delivery id" (property over interleavings)
//  11  the PR check commits to any head branch           attacks-intake  "the PR check commits to any head branch: it writes only to jit/ branches the app made" (table)
//  12  revoke removes whatever a record names            attacks-revoke  "a record that names a policy jit-access did not create (policy/ProdAdmin)", "family: …" (property + table)
//  13  deploy template: tag takeover, unbounded accounts attacks-deploy / deploy-template (invariants; policies evaluated by iam-simulate in three partitions)
//  14  report and npm ci next to AWS credentials         attacks-deploy  "expire.yml runs npm ci and the report with the sweep role's AWS credentials" (table over jobs)
//  +   actions used by mutable tags                      attacks-deploy  "GitHub Actions are used by mutable tags"
//  +   a stranger's PR from jit/<issue>-x closes a request  attacks-intake "an attacker PR from jit/<alice's issue>-x, closed unmerged, does not reject alice's request"
//  +   rollback that cannot finish answered as done      fault-injection "counterexample: a grant whose rollback cannot finish fails the delivery…"
//
// Policy engine (guardrail holes):
//   1  wildcard names that cover everything              attacks-policy  "wildcard names that cover every resource"; guardrails (table + fast-check); report (unscoped grants)
//   2  policies checked per action and per resource      attacks-policy  "a hand-written policy is checked per (action, resource) pair"; narrow (property, evaluator as oracle)
//   3  code execution and session actions                attacks-policy  "code execution and session actions are dangerous in the default services" (table)
//   4  destructive writes at medium risk                 destructive (every destructive action of the default services: out of `write`, high when named)
//  11  evaluator answers Allow on what it cannot read    evaluator, evaluator-oracle (families against iam-simulate)
//   and the task corpus (test/tasks): 71 tasks, 19 services, allowed and denied calls by our evaluator and iam-simulate.
//
// Covered elsewhere by the first review: self-approval, stale SHA, non-owner approval, PR touching
// other files, forged active record via PR, request for another user, forged signature, prompt
// injection, high risk needs two (test/app-scenarios.test.ts, test/app-pr-scenarios.test.ts).
import * as yaml from "js-yaml";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG, issueBody, pulls, REPO, SECRET, startHarness, type Harness } from "./support/app-harness.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { withPolicy } from "./support/request-files.js";
import { approveAndMerge, expectNothingGranted, handPr, jitAttachments, jitResources, lastComment, openRequest, sweepVia } from "./support/scenario.js";
import { issueCommentCreated, issuesEdited, issuesEvent, pullRequestEvent, sendWebhook } from "./support/webhooks.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const start = async (opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> => (h = await startHarness(opts));

/** A request file as a person writes it by hand (no policy: the PR check adds it). */
function handRequest(id: string, requester = "carol", extra: string[] = []): string {
  return [
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
    ...extra,
    "",
  ].join("\n");
}

const successfulAttaches = (hh: Harness) => hh.aws.calls.filter((c) => c.op === "AttachUserPolicy" && !c.fault).length;

describe("approvals that must not count", () => {
  const TEAM_CONFIG = CONFIG.replace("approvers: [bob, dave]", 'approvers: ["@acme/approvers"]');
  const TEAM_FILES = { ".github/CODEOWNERS": "access-requests/ @acme/approvers\n" };

  it("a team member whose membership was removed before the merge", async () => {
    const hh = await start({ config: TEAM_CONFIG, files: TEAM_FILES });
    hh.github.addTeam("acme", "approvers", { erin: "active" });
    const { issue, pr } = await openRequest(hh, "alice", issueBody());
    hh.github.addReview(REPO, pr!, { user: "erin", state: "APPROVED" });
    hh.github.setTeamMembership("acme", "approvers", "erin", null); // removed after approving, before merge
    hh.github.mergePull(REPO, pr!, { user: "erin" });
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, pr!, "closed"))).toBe(200);
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toContain("Not granted");
    expect(lastComment(hh, pr!)).toMatch(/erin approved but is not an authorized approver/);
    expect(hh.github.labels(REPO, issue)).toContain("jit:blocked");
  });

  it("a team member whose membership is only pending", async () => {
    const hh = await start({ config: TEAM_CONFIG, files: TEAM_FILES });
    hh.github.addTeam("acme", "approvers", { erin: "pending" });
    const { pr } = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, pr!, ["erin"], "erin");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/erin's membership of @\u200b?acme\/approvers is pending, not active/);
  });

  it("the same team member, active, does count (control)", async () => {
    const hh = await start({ config: TEAM_CONFIG, files: TEAM_FILES });
    hh.github.addTeam("acme", "approvers", { erin: "active" });
    const { pr } = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, pr!, ["erin"], "erin");
    expect(jitAttachments(hh.aws)).toHaveLength(1);
  });

  it("a look-alike approver login (bоb with a Cyrillic о) matches no approver", async () => {
    const hh = await start();
    const { pr } = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, pr!, ["b\u043eb"], "bob");
    expectNothingGranted(hh);
    expect(lastComment(hh, pr!)).toMatch(/not a valid GitHub login \\\(it contains non-ASCII U\\?\+043E/);
    expect(lastComment(hh, pr!)).toContain("insufficient-approvals");
  });
});

describe("requesters that are not who they claim", () => {
  it("a look-alike requester login (аlice, Cyrillic а) cannot receive alice's principal", async () => {
    const hh = await start();
    const r = await openRequest(hh, "\u0430lice", issueBody());
    expect(r.pr).toBeUndefined();
    expectNothingGranted(hh);
    expect(lastComment(hh, r.issue)).toMatch(/requester/);
    expect(hh.github.labels(REPO, r.issue)).toContain("jit:invalid");
  });

  it("a hand PR by a look-alike account naming requester alice is refused at merge", async () => {
    const hh = await start();
    const next = hh.github.repo(REPO).nextNumber;
    const file = `access-requests/prod/2026/${next}-orders-read.yaml`;
    const pr = await handPr(hh, "\u0430lice", "x/lookalike", { [file]: withPolicy(handRequest(`${next}-orders-read`, "alice"), file) });
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr, "synchronize"));
    await approveAndMerge(hh, pr);
    expectNothingGranted(hh);
    expect(lastComment(hh, pr)).toContain("granted only to the person who asked");
  });
});

describe("records that only the app may write", () => {
  async function grantedForAlice(hh: Harness): Promise<{ issue: number; pr: number; file: string; branch: string; record: string }> {
    const r = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, r.pr!);
    expect(jitAttachments(hh.aws)).toHaveLength(1);
    return { issue: r.issue, pr: r.pr!, file: r.file!, branch: r.branch!, record: hh.github.readFile(REPO, r.file!, "main")! };
  }

  it("a PR that edits another user's active request (status stripped, policy widened) grants nothing and the record is restored", async () => {
    const hh = await start();
    const alice = await grantedForAlice(hh);
    const before = jitResources(hh.aws);
    const policyBefore = [...hh.aws.state.accounts.get(HOME)!.iam.policies.values()].map((p) => [...p.versions.values()].map((v) => v.document));
    // Mallory rewrites alice's record as a fresh proposal with a wider bucket and more time.
    const doc = yaml.load(alice.record) as Record<string, unknown>;
    delete doc.status;
    delete doc.grant;
    delete doc.policy;
    delete doc.generator;
    doc.duration = "24h";
    doc.request = [{ service: "s3", access: ["read", "list", "write"], resources: ["financial-reports", "payroll"] }];
    const pr = await handPr(hh, "mallory", "mallory/extend", { [alice.file]: yaml.dump(doc) });
    await hh.deliver(pullRequestEvent(hh.github, REPO, pr, "synchronize"));
    expect(await approveAndMerge(hh, pr)).toBe(200);

    expect(jitResources(hh.aws)).toEqual(before);
    const policyAfter = [...hh.aws.state.accounts.get(HOME)!.iam.policies.values()].map((p) => [...p.versions.values()].map((v) => v.document));
    expect(policyAfter).toEqual(policyBefore);
    expect(hh.aws.calls.filter((c) => /^(Attach|Create)/.test(c.op) && !c.fault).length).toBe(4); // the original grant only: policy, 2 schedules, attach
    expect(lastComment(hh, pr)).toMatch(/already active/);
    // The audit record of alice's grant is back on the default branch, unchanged.
    expect(hh.github.readFile(REPO, alice.file, "main")).toBe(alice.record);
  });

  it("a PR that edits an active record but keeps status: active (a forged extension) is refused and the record restored", async () => {
    const hh = await start();
    const alice = await grantedForAlice(hh);
    const forged = alice.record.replace(/expires_at: '?2026-11-27T16:00:00Z'?/, "expires_at: '2026-12-31T00:00:00Z'");
    expect(forged).not.toBe(alice.record);
    const pr = await handPr(hh, "mallory", "mallory/forever", { [alice.file]: forged });
    await approveAndMerge(hh, pr);
    expect(jitAttachments(hh.aws)).toHaveLength(1);
    expect(lastComment(hh, pr)).toContain("Not granted");
    expect(hh.github.readFile(REPO, alice.file, "main")).toBe(alice.record);
  });

  it("a direct push of an active record to the default branch grants nothing, and the sweep creates nothing", async () => {
    const hh = await start();
    const next = hh.github.repo(REPO).nextNumber;
    const issue = hh.github.openIssue(REPO, { user: "mallory", title: "Access request: orders", body: issueBody() });
    expect(issue).toBe(next);
    const id = `${issue}-orders-read`;
    const file = `access-requests/prod/2026/${id}.yaml`;
    const record = handRequest(id, "alice", [
      "status: active",
      "grant:",
      "  approved_by: [bob]",
      `  merge_commit: ${"a".repeat(40)}`,
      "  granted_at: '2026-11-27T08:00:00Z'",
      "  expires_at: '2026-11-27T10:00:00Z'",
      "  aws:",
      "    mode: iam",
      `    account_id: '${HOME}'`,
      `    resources: ['arn:aws:iam::${HOME}:policy/jit-access/jit-${id}']`,
    ]);
    const sha = hh.github.commitFiles(REPO, "main", { [file]: record }, { author: "mallory", message: "grant myself" });
    // Whatever GitHub would send next: the push itself (not subscribed), an edit of the issue,
    // a comment, and a merged-looking close of an unrelated PR.
    const push = {
      ref: "refs/heads/main",
      after: sha,
      commits: [{ id: sha, added: [file] }],
      repository: hh.github.repoJson(hh.github.repo(REPO)),
      sender: hh.github.userJson("mallory"),
      installation: { id: hh.github.app.installationId },
    };
    expect((await sendWebhook(hh.url, SECRET, "push", push)).status).toBe(200);
    await hh.deliver(issuesEvent(hh.github, REPO, issue, "labeled", { label: "access-request" }));
    const c = hh.github.addComment(REPO, issue, { user: "mallory", body: "/revoke" });
    await hh.deliver(issueCommentCreated(hh.github, REPO, issue, c));
    expectNothingGranted(hh);
    expect(hh.aws.calls.filter((x) => /^(Attach|Create|Put)/.test(x.op))).toEqual([]);

    const before = await sweepVia(hh, CONFIG); // not due yet: reconcile runs, nothing to do
    expect(before.plan.active.map((a) => a.id)).toEqual([id]);
    expectNothingGranted(hh);
    hh.clock.now = new Date("2026-11-27T11:00:00Z");
    const after = await sweepVia(hh, CONFIG);
    expect(after.outcome?.due.map((d) => d.result)).toEqual(["expired"]);
    expect(jitResources(hh.aws)).toEqual([]);
    expect(hh.aws.calls.filter((x) => /^(Attach|Create|Put|Tag)/.test(x.op))).toEqual([]);
  });
});

describe("deliveries", () => {
  it("a replayed delivery (same delivery id twice) grants once and records once", async () => {
    const hh = await start();
    const { pr, file } = await openRequest(hh, "alice", issueBody());
    hh.github.addReview(REPO, pr!, { user: "bob", state: "APPROVED" });
    hh.github.mergePull(REPO, pr!, { user: "bob" });
    const event = pullRequestEvent(hh.github, REPO, pr!, "closed");
    expect(await hh.deliver(event, "11111111-2222-3333-4444-555555555555")).toBe(200);
    expect(await hh.deliver(event, "11111111-2222-3333-4444-555555555555")).toBe(200);
    expect(successfulAttaches(hh)).toBe(1);
    expect(hh.github.commits(REPO, { path: file!, ref: "main" })).toHaveLength(2); // merge (propose) + grant
    expect(lastComment(hh, pr!)).toContain("Granted");
  });

  it("a replay after the expiry does not overwrite the Granted comment with a misleading 'Not granted'", async () => {
    const hh = await start();
    const { issue, pr } = await openRequest(hh, "alice", issueBody({ duration: "1h" }));
    await approveAndMerge(hh, pr!);
    expect(jitAttachments(hh.aws)).toHaveLength(1);
    hh.clock.now = new Date("2026-11-27T12:00:00Z");
    // bob left the approvers meanwhile; the replayed merge must not re-judge a finished grant
    expect(await hh.deliver(pullRequestEvent(hh.github, REPO, pr!, "closed"))).toBe(200);
    expect(lastComment(hh, pr!)).toContain("Granted");
    expect(hh.github.labels(REPO, issue)).not.toContain("jit:blocked");
  });
});

describe("what the issue form may ask for", () => {
  it.each([
    ["iam:PassRole", { service: "iam", resources: `arn:aws:iam::${HOME}:role/admin`, access: "write", actions: "iam:PassRole" }],
    [
      "iam:CreatePolicyVersion",
      { service: "iam", resources: `arn:aws:iam::${HOME}:policy/any`, access: "permissions-management", actions: "iam:CreatePolicyVersion" },
    ],
    ["s3 wildcard resource *", { service: "s3", resources: "*", access: "read,list" }],
    ["a full-ARN wildcard", { service: "s3", resources: "arn:aws:s3:::*", access: "read" }],
    ["a disallowed account", { account: "staging" }],
    ["an unlisted 12-digit account", { account: "999999999999" }],
    ["duration beyond max_duration", { duration: "48h" }],
    ["duration far beyond", { duration: "9999d" }],
  ])("%s: nothing granted, even when approved and merged", async (_name, fields) => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody(fields));
    if (r.pr) {
      expect(hh.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1)?.conclusion).toBe("failure");
      await approveAndMerge(hh, r.pr, ["bob", "dave"]);
      expect(lastComment(hh, r.pr)).toContain("Not granted");
    } else {
      expect(hh.github.labels(REPO, r.issue)).toContain("jit:invalid");
      expect(lastComment(hh, r.issue)).toMatch(/✗|problem|not|must/i);
    }
    expectNothingGranted(hh);
    expect(jitResources(hh.aws)).toEqual([]);
  });

  it("an oversized issue body is refused with a message and no PR", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody({ description: "A".repeat(300_000) }));
    expect(r.status).toBe(200);
    expect(r.pr).toBeUndefined();
    expect(lastComment(hh, r.issue)).toMatch(/too long|limit|characters|bytes/i);
    expect(pulls(hh.github)).toHaveLength(0);
    expectNothingGranted(hh);
  });
});

describe("hand-written request files", () => {
  const traversal: Array<[string, (n: number) => string]> = [
    ["../ in the path", (n) => `access-requests/prod/2026/../../../.github/${n}-orders-read.yaml`],
    ["../ into another account folder", (n) => `access-requests/dev/../prod/2026/${n}-orders-read.yaml`],
    ["backslashes", (n) => `access-requests\\prod\\2026\\..\\..\\${n}-orders-read.yaml`],
    ["unicode look-alike in the file name", (n) => `access-requests/prod/2026/${n}-\uff4frders-read.yaml`],
    ["unicode folder", (n) => `access-requests/pr\u043ed/2026/${n}-orders-read.yaml`],
    ["a folder that is not a year", (n) => `access-requests/prod/..2026/${n}-orders-read.yaml`],
  ];
  it.each(traversal)("path traversal: %s", async (_name, pathOf) => {
    const hh = await start();
    const n = hh.github.repo(REPO).nextNumber;
    const pr = await handPr(hh, "carol", "carol/path", { [pathOf(n)]: handRequest(`${n}-orders-read`) });
    const check = hh.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1);
    await approveAndMerge(hh, pr);
    expectNothingGranted(hh);
    // Either the app never treated it as a request file (nothing said, nothing done), or it said why.
    const said = [check?.output?.summary ?? "", lastComment(hh, pr)].join("\n");
    if (said.trim()) expect(said).toMatch(/request file|path|folder|not a|must/i);
  });

  it.each([
    ["../ in the id", (n: number) => `../../${n}-orders-read`],
    ["absolute id", (n: number) => `/etc/${n}-orders-read`],
    ["unicode id", (n: number) => `${n}-\uff4frders-read`],
  ])("traversal in the id: %s", async (_name, idOf) => {
    const hh = await start();
    const n = hh.github.repo(REPO).nextNumber;
    const pr = await handPr(hh, "carol", "carol/id", { [`access-requests/prod/2026/${n}-orders-read.yaml`]: handRequest(idOf(n)) });
    expect(hh.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1)?.conclusion).toBe("failure");
    await approveAndMerge(hh, pr);
    expectNothingGranted(hh);
    expect(lastComment(hh, pr)).toMatch(/id/);
  });

  it("a YAML bomb in a request file PR: refused quickly, nothing granted", async () => {
    const hh = await start();
    const n = hh.github.repo(REPO).nextNumber;
    const bomb = [
      "version: 1",
      `id: ${n}-orders-read`,
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
      "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
      "reason: *g",
    ].join("\n");
    const t0 = Date.now();
    const pr = await handPr(hh, "carol", "carol/bomb", { [`access-requests/prod/2026/${n}-orders-read.yaml`]: bomb });
    expect(hh.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1)?.output?.summary).toMatch(/alias|anchor/i);
    await approveAndMerge(hh, pr);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expectNothingGranted(hh);
    expect(lastComment(hh, pr)).toMatch(/alias|anchor/i);
  });
});

describe("an issue edited after its request was granted", () => {
  it("does not open a pull request that would rewrite the active record", async () => {
    const hh = await start();
    const r = await openRequest(hh, "alice", issueBody());
    await approveAndMerge(hh, r.pr!);
    const record = hh.github.readFile(REPO, r.file!, "main");
    const changes = hh.github.editIssue(REPO, r.issue, { body: issueBody({ access: "read,list,write", duration: "24h" }) });
    expect(await hh.deliver(issuesEdited(hh.github, REPO, r.issue, { changes }))).toBe(200);
    expect(pulls(hh.github).filter((p) => p.state === "open")).toEqual([]);
    expect(hh.github.comments(REPO, r.issue).some((c) => c.body.includes("is already active"))).toBe(true);
    expect(hh.github.readFile(REPO, r.file!, "main")).toBe(record);
    expect(jitAttachments(hh.aws)).toHaveLength(1);
  });
});
