// Every outcome of a merge is recorded in git: a refused merge makes the proposal `rejected`
// (closed.code and one Rule: trailer per code), a grant rolled back makes it `failed`
// (aws.grant-failed), a grant carries a Risk: trailer. The issue shows one state label; `list`,
// the sweep and the records agree. The real app against the fake GitHub and fake AWS.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ALL_STATES, applyState, STATE_LABEL, type IssueState } from "../src/domain/lifecycle.js";
import { parseTrailers, recordStatus } from "../src/domain/records.js";
import { parseConfig } from "../src/domain/config.js";
import { listCommand } from "../src/cli/sweep.js";
import { parseRecords, planSweep } from "../src/sweep/plan.js";
import { attachedTo, CONFIG, issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { issuesOpened, pullRequestEvent } from "./support/webhooks.js";

const stateLabels = (labels: string[]) => labels.filter((l) => ALL_STATES.some((s) => STATE_LABEL[s] === l));

describe("state labels: one table, mutually exclusive", () => {
  it("property: after any sequence of outcomes an issue carries exactly one state label, other labels untouched", () => {
    const state = fc.constantFrom(...ALL_STATES);
    fc.assert(
      fc.property(fc.subarray(ALL_STATES.map((s) => STATE_LABEL[s])), fc.array(state, { minLength: 1, maxLength: 12 }), (start, steps) => {
        let labels = ["access-request", "jit:expiring-soon", ...start];
        for (const s of steps) {
          const { add, remove } = applyState(labels, s);
          labels = [...labels.filter((l) => !remove.includes(l)), ...add];
        }
        expect(stateLabels(labels)).toEqual([STATE_LABEL[steps.at(-1)!]]);
        expect(labels).toEqual(expect.arrayContaining(["access-request", "jit:expiring-soon"]));
      }),
    );
  });

  it("onlyFrom: an edit of a recorded request's issue does not relabel it; a pre-record state moves", () => {
    const pre: IssueState[] = ["invalid", "proposed", "blocked"];
    expect(applyState(["jit:active"], "invalid", pre)).toEqual({ add: [], remove: [] });
    expect(applyState(["jit:proposed"], "invalid", pre)).toEqual({ add: ["jit:invalid"], remove: ["jit:proposed"] });
    expect(applyState([], "invalid", pre)).toEqual({ add: ["jit:invalid"], remove: [] });
    expect(applyState(["JIT:Blocked", "jit:proposed"], "blocked")).toEqual({ add: [], remove: ["jit:proposed"] });
  });
});

describe("a merge's outcome is recorded on the default branch", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  async function openRequest(): Promise<{ issue: number; pr: number; file: string }> {
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: issueBody(), labels: ["access-request"] });
    expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!;
    return { issue, pr: pr.number, file: h.github.pullFiles(REPO, pr.number)[0]!.filename };
  }
  const appCommits = (file: string, verb: string) =>
    h.github.commits(REPO, { path: file, ref: "main" }).filter((c) => c.message.startsWith(`jit-access: ${verb} `));

  it("a refused merge (self-approval) is recorded rejected with its rule codes; the issue is blocked, not also proposed; list and the sweep agree", async () => {
    const { issue, pr, file } = await openRequest();
    expect(h.github.labels(REPO, issue)).toContain("jit:proposed");
    h.github.addReview(REPO, pr, { user: "alice", state: "APPROVED" });
    h.github.mergePull(REPO, pr, { user: "bob" });
    const event = pullRequestEvent(h.github, REPO, pr, "closed");
    expect(await h.deliver(event)).toBe(200);
    expect(attachedTo(h.aws, "alice")).toEqual([]);

    const record = h.github.readFile(REPO, file, "main")!;
    expect(recordStatus(record)).toBe("rejected");
    expect(record).toMatch(/^ {2}code: approval\./m);
    const [commit] = appCommits(file, "reject");
    const trailers = parseTrailers(commit!.message);
    expect(trailers["Rule"]?.length).toBeGreaterThan(0);
    expect(trailers["Rule"]!.every((r) => r.startsWith("approval."))).toBe(true);
    expect(stateLabels(h.github.labels(REPO, issue))).toEqual(["jit:blocked"]);
    expect(stateLabels(h.github.labels(REPO, pr))).toEqual(["jit:blocked"]);

    // A redelivery says the same and writes nothing more.
    expect(await h.deliver(event)).toBe(200);
    expect(appCommits(file, "reject")).toHaveLength(1);

    // `jit-access list` (GitHub mode) shows it rejected; the sweep neither expires nor reconciles it.
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, cwd: process.cwd() };
    const code = await listCommand(["--json"], io, {
      GITHUB_TOKEN: h.github.issueInstallationToken().token,
      GITHUB_REPOSITORY: REPO,
      GITHUB_API_URL: h.github.url,
    });
    expect(code).toBe(0);
    expect((JSON.parse(out) as { requests: Array<{ id: string; status: string }> }).requests.map((r) => r.status)).toEqual(["rejected"]);
    const config = parseConfig(CONFIG);
    if (!config.ok) throw new Error("config");
    const now = new Date("2027-01-01T00:00:00Z");
    const plan = planSweep(parseRecords([{ path: file, text: record }], config.value, { now }), [], now, { mode: "iam" });
    expect([plan.due, plan.active, plan.errors, plan.drift, plan.pending]).toEqual([[], [], [], [], []]);
  });

  it("a grant rolled back is recorded failed (aws.grant-failed); a redelivery does not grant it later", async () => {
    const { issue, pr, file } = await openRequest();
    h.aws.faults.add({ kind: "crash-after", service: "iam", op: "AttachUserPolicy" });
    h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    h.github.mergePull(REPO, pr, { user: "bob" });
    const event = pullRequestEvent(h.github, REPO, pr, "closed");
    expect(await h.deliver(event)).toBe(200);
    const record = h.github.readFile(REPO, file, "main")!;
    expect(recordStatus(record)).toBe("failed");
    expect(record).toMatch(/^ {2}code: aws\.grant-failed$/m);
    const trailers = parseTrailers(appCommits(file, "fail")[0]!.message);
    expect(trailers).toMatchObject({ Rule: ["aws.grant-failed"], Risk: [expect.stringMatching(/^(low|medium|high)$/)] });
    expect(stateLabels(h.github.labels(REPO, issue))).toEqual(["jit:failed"]);

    h.aws.faults.clear();
    expect(await h.deliver(event)).toBe(200);
    expect(attachedTo(h.aws, "alice")).toEqual([]);
    expect(recordStatus(h.github.readFile(REPO, file, "main")!)).toBe("failed");
    expect(appCommits(file, "grant")).toHaveLength(0);
  });

  it("a failed grant is recorded only with nothing left in AWS, even what an earlier crashed delivery attached", async () => {
    const { pr, file } = await openRequest();
    h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    h.github.mergePull(REPO, pr, { user: "bob" });
    const event = pullRequestEvent(h.github, REPO, pr, "closed");
    // First delivery: attached, then the call fails and the rollback cannot detach → 500, left over.
    h.aws.faults.add({ kind: "crash-after", service: "iam", op: "AttachUserPolicy" });
    h.aws.faults.add({ kind: "crash", service: "iam", op: "DetachUserPolicy", times: 20 });
    expect(await h.deliver(event)).toBe(500);
    expect(attachedTo(h.aws, "alice")).toHaveLength(1);
    expect(recordStatus(h.github.readFile(REPO, file, "main")!)).toBe("proposed");
    // Redelivery: this grant fails cleanly (the schedules the first one kept cannot be read).
    h.aws.faults.clear();
    h.aws.faults.add({ kind: "crash", service: "scheduler", op: "GetSchedule" });
    expect(await h.deliver(event)).toBe(200);
    expect(recordStatus(h.github.readFile(REPO, file, "main")!)).toBe("failed");
    expect(attachedTo(h.aws, "alice")).toEqual([]);
  });

  it("a grant's record commit carries its risk tier; the issue and the PR show only jit:active", async () => {
    const { issue, pr, file } = await openRequest();
    h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    h.github.mergePull(REPO, pr, { user: "bob" });
    expect(await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"))).toBe(200);
    expect(parseTrailers(appCommits(file, "grant")[0]!.message).Risk).toEqual([expect.stringMatching(/^(low|medium|high)$/)]);
    expect(stateLabels(h.github.labels(REPO, issue))).toEqual(["jit:active"]);
    expect(stateLabels(h.github.labels(REPO, pr))).toEqual(["jit:active"]);
  });
});
