// Against the fake GitHub with the real app: no delivery reads a file twice (the same path at the
// same ref), whatever the delivery; a second request's reads of the rules by branch name are
// conditional requests answered 304, and its reads at a commit sha already read are not repeated.
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Octokit } from "@octokit/rest";
import { ALL_STATES, STATE_LABEL } from "../src/domain/lifecycle.js";
import { clearContentsCache } from "../src/github/contents-cache.js";
import { OctokitAccessRepo } from "../src/github/access-repo.js";
import { ownChange } from "../src/github/intake.js";
import { OctokitIssueSide } from "../src/github/issue-side.js";
import { CONFIG, issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { issuesOpened, pullRequestEvent, pullRequestReviewSubmitted } from "./support/webhooks.js";

let h: Harness;
beforeEach(async () => {
  clearContentsCache();
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** The GET contents requests of one delivery, as "path@ref". */
async function contentReads(deliver: () => Promise<unknown>): Promise<string[]> {
  h.github.clearRequests();
  await deliver();
  return h.github.requests
    .filter((r) => r.method === "GET" && /\/contents\//.test(r.path))
    .map((r) => `${r.path.replace(/^.*\/contents\//, "")}@${r.query.ref ?? ""} ${r.status}`);
}

const twice = (reads: string[]) => {
  const keys = reads.map((r) => r.split(" ")[0]);
  return keys.filter((k, i) => keys.indexOf(k) !== i);
};

async function lifecycle(user: string, resources: string): Promise<string[][]> {
  const reads: string[][] = [];
  const issue = h.github.openIssue(REPO, { user, title: `Access request: ${resources}`, body: issueBody({ resources }), labels: ["access-request"] });
  reads.push(await contentReads(() => h.deliver(issuesOpened(h.github, REPO, issue))));
  const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!.number;
  reads.push(await contentReads(() => h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"))));
  const review = h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
  reads.push(await contentReads(() => h.deliver(pullRequestReviewSubmitted(h.github, REPO, pr, review))));
  h.github.mergePull(REPO, pr, { user: "bob" });
  reads.push(await contentReads(() => h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"))));
  expect(h.github.repo(REPO).issues.get(issue)?.labels).toContain("jit:active");
  return reads;
}

describe("GitHub calls per delivery", () => {
  it("no delivery of a request's lifecycle reads a file twice; the second request's rule reads are 304 or not made", async () => {
    const first = await lifecycle("alice", "financial-reports");
    for (const d of first) expect(twice(d)).toEqual([]);
    const second = await lifecycle("carol", "audit-logs");
    for (const d of second) expect(twice(d)).toEqual([]);
    // The config by branch name: never read in full again (a 304 where asked alone; intake takes it from the rules snapshot).
    expect(second.flat().filter((r) => r.startsWith(".github/jit-access.yml@main 200"))).toEqual([]);
    expect(second[0]!.filter((r) => r.startsWith(".github/jit-access.yml@"))).toEqual([]);
  });
});

describe("the intake delivery", () => {
  it("reads the new request's file with the right-sizing folders in one query, at the commit the branch is made at: no contents call for it", async () => {
    await lifecycle("alice", "financial-reports");
    const issue = h.github.openIssue(REPO, {
      user: "carol",
      title: "Access request: audit-logs",
      body: issueBody({ resources: "audit-logs" }),
      labels: ["access-request"],
    });
    const reads = await contentReads(() => h.deliver(issuesOpened(h.github, REPO, issue)));
    expect(reads.filter((r) => r.startsWith(`access-requests/prod/2026/${issue}-`))).toEqual([]);
    // The earlier record the listing found is read (by the check's right-sizing), once.
    expect(reads.filter((r) => r.startsWith("access-requests/prod/2026/1-"))).toHaveLength(1);
  });

  it("an issue opened again after its request was granted is told so: no branch, no second PR (the record read in that query)", async () => {
    await lifecycle("alice", "financial-reports");
    const before = pulls(h.github).length;
    h.github.clearRequests();
    await h.deliver(issuesOpened(h.github, REPO, 1));
    expect(pulls(h.github)).toHaveLength(before);
    expect(h.github.requests.filter((r) => r.method === "POST" && r.path.endsWith("/git/refs"))).toEqual([]);
    const told = h.github
      .repo(REPO)
      .issues.get(1)!
      .comments.filter((c) => c.body.includes("jit-access:intake"));
    expect(told.at(-1)?.body).toContain("is already active");
  });

  it("the record and listings query failing leaves the reads to the contents API, with the same answers", async () => {
    const access = new OctokitAccessRepo(
      new Octokit({
        auth: h.github.issueInstallationToken().token,
        baseUrl: h.github.url,
        request: { retries: 0 },
        log: { debug() {}, info() {}, warn() {}, error() {} },
      }),
      { owner: "acme", repo: "access", defaultBranch: "main" },
    );
    h.github.commitFiles(REPO, "main", { "access-requests/prod/2026/7-old.yaml": "id: 7-old\n" }, { author: "root" });
    const tip = await access.branchTip("main");
    h.conformance?.ignoreStatuses.add(502);
    h.github.faults.failNext("POST", "/graphql", 502);
    h.github.clearRequests();
    await access.prefetch(["access-requests/prod/2026/7-old.yaml"], ["access-requests/prod/2026"]);
    expect((await access.readAt("access-requests/prod/2026/7-old.yaml", tip))?.text).toBe("id: 7-old\n");
    expect(await access.listNames(["access-requests/prod/2026"])).toEqual(["access-requests/prod/2026/7-old.yaml"]);
    expect(h.github.requests.filter((r) => r.path.includes("/contents/access-requests/prod/2026/7-old.yaml"))).toHaveLength(1);
  });
});

/** Opens a request; returns the PR the app opened and checked inline, before GitHub's pull_request.opened for it is delivered. */
async function openedByApp(user = "alice", resources = "financial-reports"): Promise<{ issue: number; pr: number }> {
  const issue = h.github.openIssue(REPO, { user, title: `Access request: ${resources}`, body: issueBody({ resources }), labels: ["access-request"] });
  await h.deliver(issuesOpened(h.github, REPO, issue));
  const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!.number;
  return { issue, pr };
}

/** The opened delivery's check-run writes and PR file listings. */
async function openedCalls(pr: number): Promise<{ checks: number; fileLists: number }> {
  h.github.clearRequests();
  await h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"));
  const calls = h.github.requests;
  return {
    checks: calls.filter((r) => r.method === "POST" && r.path.endsWith("/check-runs")).length,
    fileLists: calls.filter((r) => r.method === "GET" && /\/pulls\/\d+\/files$/.test(r.path)).length,
  };
}

describe("the opened event of the app's own request PR", () => {
  it("is not checked again when the app's run at that head judged the same rules moments ago; the inline run stands", async () => {
    const { pr } = await openedByApp();
    const before = h.github.checkRuns(REPO, { name: "jit-access/validate" });
    expect(before).toHaveLength(1);
    expect(await openedCalls(pr)).toEqual({ checks: 0, fileLists: 0 });
    expect(h.github.checkRuns(REPO, { name: "jit-access/validate" })).toEqual(before);
    expect(before[0]?.conclusion).toBe("success");
  });

  // Each row moves one thing the check judged (or may not trust) between the inline check and the
  // opened event: the PR is checked again, fully.
  const changes: Array<[string, (pr: number) => void]> = [
    [
      "the config changed on the base branch",
      () => h.github.commitFiles(REPO, "main", { ".github/jit-access.yml": `${CONFIG}\n# tightened\n` }, { author: "root" }),
    ],
    ["another file changed on the base branch", () => h.github.commitFiles(REPO, "main", { "README.md": "moved on\n" }, { author: "root" })],
    [
      "the request file changed on the branch (a new head)",
      (pr) => {
        const p = pulls(h.github).find((x) => x.number === pr)!;
        const file = h.github.pullFiles(REPO, pr)[0]!.filename;
        h.github.commitFiles(REPO, p.head, { [file]: `${h.github.readFile(REPO, file, p.head)}\n# edited\n` }, { author: "alice" });
      },
    ],
    ["the app's run is older than the reuse window", () => void (h.clock.now = new Date(h.clock.now.getTime() + 6 * 60_000))],
    [
      "another app's run with the same name and inputs is the latest",
      (pr) => {
        const mine = h.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1)!;
        const state = h.github.repo(REPO);
        state.checkRuns.push({ ...state.checkRuns.find((c) => c.head_sha === mine.head_sha)!, id: 9_999_999 + pr, app: "impostor", conclusion: "success" });
      },
    ],
  ];
  it.each(changes)("is checked again when %s", async (_what, change) => {
    const { pr } = await openedByApp();
    change(pr);
    expect(await openedCalls(pr)).toEqual({ checks: 1, fileLists: 1 });
  });
});

describe("CODEOWNERS reads", () => {
  it("the lifecycle reads every CODEOWNERS candidate in the rules snapshot (no contents call), and uses the one GitHub uses (.github/CODEOWNERS first)", async () => {
    // A root CODEOWNERS comes after .github/CODEOWNERS in GitHub's order: never used.
    h.github.commitFiles(REPO, "main", { CODEOWNERS: "access-requests/ @mallory\n" }, { author: "root" });
    const reads = (await lifecycle("alice", "financial-reports")).flat();
    expect(reads.filter((r) => /CODEOWNERS@/.test(r))).toEqual([]);
    const runs = h.github.checkRuns(REPO, { name: "jit-access/validate" });
    expect(runs.length).toBeGreaterThan(0);
    for (const run of runs) {
      expect(JSON.stringify(run)).toContain("bob");
      expect(JSON.stringify(run)).not.toContain("mallory");
    }
  });
});

describe("setting an issue's state label", () => {
  it("ends with exactly the target state label and the other labels kept, in one call plus one per other state label, without listing first", async () => {
    const side = new OctokitIssueSide(
      new Octokit({
        auth: h.github.issueInstallationToken().token,
        baseUrl: h.github.url,
        request: { retries: 0 },
        log: { debug() {}, info() {}, warn() {}, error() {} },
      }),
      { owner: REPO.split("/")[0]!, repo: REPO.split("/")[1]! },
    );
    const labels = Object.values(STATE_LABEL);
    for (const state of ALL_STATES) {
      const target = STATE_LABEL[state];
      const others = labels.filter((l) => l !== target);
      const starts = [[], [target], [others[0]!], [others[0]!, target], [others[1]!, others[2]!, "bug"], [target.toUpperCase(), "bug"]];
      for (const start of starts) {
        const issue = h.github.openIssue(REPO, { user: "alice", title: "t", body: "b", labels: start });
        h.github.clearRequests();
        await side.setState(issue, state);
        const after = h.github.repo(REPO).issues.get(issue)!.labels;
        const kept = start.filter((l) => !labels.some((s) => s.toLowerCase() === l.toLowerCase()));
        expect(after.filter((l) => labels.some((s) => s.toLowerCase() === l.toLowerCase())).map((l) => l.toLowerCase())).toEqual([target]);
        expect(after.filter((l) => kept.includes(l)).sort()).toEqual(kept.sort());
        const calls = h.github.requests.filter((r) => !r.path.startsWith("/app/"));
        expect(calls.filter((r) => r.method === "GET")).toEqual([]);
        const stale = start.filter((l) => others.some((o) => o.toLowerCase() === l.toLowerCase())).length;
        expect(calls.length).toBe(1 + stale);
      }
    }
  });
});

describe("branch tips within one delivery", () => {
  it("are read once until the delivery writes there; a write on the default branch or a merge makes the next read ask GitHub again, a write on another branch does not", async () => {
    const access = new OctokitAccessRepo(
      new Octokit({
        auth: h.github.issueInstallationToken().token,
        baseUrl: h.github.url,
        request: { retries: 0 },
        log: { debug() {}, info() {}, warn() {}, error() {} },
      }),
      { owner: REPO.split("/")[0]!, repo: REPO.split("/")[1]!, defaultBranch: "main" },
    );
    const refReads = () => h.github.requests.filter((r) => r.method === "GET" && r.path.endsWith("/git/ref/heads/main")).length;
    h.github.clearRequests();
    const first = await access.branchTip("main");
    expect(await access.branchTip("main")).toBe(first);
    expect(refReads()).toBe(1);
    // Moved outside the delivery: still the delivery's reading until it writes (the check judged that one).
    const moved = h.github.commitFiles(REPO, "main", { "README.md": "x\n" }, { author: "root" });
    expect(await access.branchTip("main")).toBe(first);
    const moveMain = () => h.github.commitFiles(REPO, "main", { "README.md": `${Math.random()}\n` }, { author: "root" });
    const writes: Array<[string, () => Promise<unknown>, "main" | "other"]> = [
      ["a file on main", () => access.write("notes/a.txt", "a\n", { message: "a", expectedSha: undefined }), "main"],
      ["a branch", () => access.createBranch("scratch", moved), "other"],
      ["a file on a branch", () => access.writeAt("scratch", "notes/b.txt", "b\n", { message: "b", expectedSha: undefined }), "other"],
      [
        "a file removed from a branch",
        async () => {
          const file = await access.readAt("notes/b.txt", "scratch");
          await access.deleteFileAt("scratch", "notes/b.txt", file!.sha, "rm");
        },
        "other",
      ],
      ["a refused merge", () => access.mergePull(999_999, { sha: moved, method: "squash", title: "t", message: "m" }).catch(() => undefined), "main"],
    ];
    for (const [, write, where] of writes) {
      const known = await access.branchTip("main");
      const before = refReads();
      moveMain();
      await write();
      const tip = await access.branchTip("main");
      if (where === "main") {
        // Current again: read from GitHub, or the commit the write itself made on main.
        expect(refReads()).toBeLessThanOrEqual(before + 1);
        expect(tip).toBe(h.github.repo(REPO).git.resolve("main"));
      } else {
        // A write on another branch does not move the default branch: its reading stands, unasked.
        expect(refReads()).toBe(before);
        expect(tip).toBe(known);
      }
    }
    // The other branch itself is read anew (or known from the write).
    expect(await access.branchTip("scratch")).toBe(h.github.repo(REPO).git.resolve("scratch"));
  });

  it("a file written on a branch makes its commit the branch's tip without reading the ref", async () => {
    const access = new OctokitAccessRepo(
      new Octokit({
        auth: h.github.issueInstallationToken().token,
        baseUrl: h.github.url,
        request: { retries: 0 },
        log: { debug() {}, info() {}, warn() {}, error() {} },
      }),
      { owner: REPO.split("/")[0]!, repo: REPO.split("/")[1]!, defaultBranch: "main" },
    );
    for (const [branch, write] of [
      ["main", () => access.write("notes/c.txt", "c\n", { message: "c", expectedSha: undefined })],
      ["main", () => access.writeAt("main", "notes/d.txt", "d\n", { message: "d", expectedSha: undefined })],
    ] as const) {
      const written = await write();
      h.github.clearRequests();
      expect(await access.branchTip(branch)).toBe(written.commit);
      expect(written.commit).toBe(h.github.repo(REPO).git.resolve(branch));
      expect(h.github.requests.filter((r) => r.path.includes("/git/ref/"))).toEqual([]);
    }
  });
});

describe("the merge delivery", () => {
  it("lists the merged PR's files once for the grant and the identities use cases", async () => {
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: issueBody(), labels: ["access-request"] });
    await h.deliver(issuesOpened(h.github, REPO, issue));
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!.number;
    await h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"));
    h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
    h.github.mergePull(REPO, pr, { user: "bob" });
    h.github.clearRequests();
    await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
    expect(h.github.repo(REPO).issues.get(issue)?.labels).toContain("jit:active");
    expect(h.github.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/pulls/${pr}/files`))).toHaveLength(1);
  });

  it.each([
    { moved: false, reads: 0 },
    { moved: true, reads: 1 },
  ])(
    "reads the merged record on the default branch and at the merge commit in one query, and once more only when the branch moved on (moved: $moved)",
    async ({ moved, reads }) => {
      const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: issueBody(), labels: ["access-request"] });
      await h.deliver(issuesOpened(h.github, REPO, issue));
      const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!.number;
      await h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"));
      h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
      h.github.mergePull(REPO, pr, { user: "bob" });
      // Another commit on the default branch before the merge is delivered: the tip is not the merge.
      if (moved) h.github.commitFiles(REPO, "main", { "docs/notes.md": "later\n" }, { author: "carol", message: "docs" });
      h.github.clearRequests();
      await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
      expect(h.github.repo(REPO).issues.get(issue)?.labels).toContain("jit:active");
      const recordReads = h.github.requests.filter((r) => r.method === "GET" && r.path.includes(`/contents/access-requests/`));
      expect(recordReads).toHaveLength(reads);
    },
  );
});

describe("a new request's intake: the calls it leaves out, and what they guarded", () => {
  /** The issues.opened delivery's calls, as "METHOD path". */
  async function intakeCalls(issue: number): Promise<string[]> {
    h.github.clearRequests();
    await h.deliver(issuesOpened(h.github, REPO, issue));
    return h.github.requests.filter((r) => !r.path.startsWith("/app")).map((r) => `${r.method} ${r.path.replace(/^\/repos\/acme\/access/, "")}`);
  }
  const open = (user = "alice", resources = "financial-reports") =>
    h.github.openIssue(REPO, { user, title: `Access request: ${resources}`, body: issueBody({ resources }), labels: ["access-request"] });

  it("opens the PR with its final description and the check run already on its head: no update, no file listing, no branch or config look-up", async () => {
    const issue = open();
    const calls = await intakeCalls(issue);
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!;
    const head = h.github.repo(REPO).git.resolve(pr.head) as string;
    expect(calls.filter((c) => /^PATCH \/pulls\/|\/pulls\/\d+\/files$|\/git\/ref\/heads\/jit\/|\/contents\/\.github\/jit-access\.yml$/.test(c))).toEqual([]);
    // What the check writes names the head commit it judged; the placeholder never shows.
    expect(pr.body).toContain(head.slice(0, 7));
    expect(pr.body).not.toContain("Checking the request");
    const runs = h.github.checkRuns(REPO, { name: "jit-access/validate" });
    expect(runs.map((r) => [r.head_sha, r.conclusion])).toEqual([[head, "success"]]);
    expect(calls.indexOf("POST /check-runs")).toBeLessThan(calls.indexOf("POST /pulls"));
    // The opened event finds that run and stands by it.
    expect(await openedCalls(pr.number)).toEqual({ checks: 0, fileLists: 0 });
  });

  it("redelivered after failing between the branch and the PR: one branch, its file kept, one PR with its description; a further redelivery changes nothing", async () => {
    const issue = open();
    h.conformance?.ignoreStatuses.add(422);
    h.github.faults.failNext("POST", "/repos/acme/access/pulls", 502);
    await h.deliver(issuesOpened(h.github, REPO, issue));
    expect(pulls(h.github)).toEqual([]);
    const branch = [...h.github.repo(REPO).git.refs.keys()].find((r) => r.startsWith(`heads/jit/${issue}-`))!.slice("heads/".length);
    const tip = h.github.repo(REPO).git.resolve(branch);
    const calls = await intakeCalls(issue);
    // Creating the branch is the look-up: refused as existing, it is then read and vetted.
    expect(calls.filter((c) => c.startsWith("POST /git/refs") || c.startsWith("GET /git/ref/heads/jit/"))).toEqual([
      "POST /git/refs",
      `GET /git/ref/heads/${branch}`,
    ]);
    expect(h.github.repo(REPO).git.resolve(branch)).toBe(tip);
    const [pr, ...more] = pulls(h.github);
    expect(more).toEqual([]);
    expect(pr!.body).toContain((tip as string).slice(0, 7));
    expect(h.github.repo(REPO).issues.get(issue)?.labels).toContain("jit:proposed");
    await h.deliver(issuesOpened(h.github, REPO, issue));
    expect(pulls(h.github)).toHaveLength(1);
    expect(h.github.repo(REPO).git.resolve(branch)).toBe(tip);
    const comments = h.github
      .repo(REPO)
      .issues.get(issue)!
      .comments.filter((c) => c.body.includes("jit-access:intake"));
    expect(comments).toHaveLength(1);
  });

  it("asks a review only of the approvers GitHub does not ask itself (the request file's code owners)", async () => {
    h.github.commitFiles(
      REPO,
      "main",
      { ".github/jit-access.yml": CONFIG.replace("approvers: [bob, dave]", "approvers: [bob, dave, erin]") },
      { author: "root" },
    );
    h.github.setPermission(REPO, "erin", "write");
    const issue = open();
    const calls = await intakeCalls(issue);
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`))!;
    expect(calls.filter((c) => c.endsWith("/requested_reviewers"))).toEqual([`POST /pulls/${pr.number}/requested_reviewers`]);
    expect(h.github.repo(REPO).issues.get(pr.number)?.pull?.requestedReviewers).toEqual(["erin"]);
  });
});

describe("ownChange: the files of a PR from intake's own commit, known without listing them", () => {
  it("over any interleaving of intake's writes with pushes to the branch and to the default branch: undefined, or exactly what GitHub compares", async () => {
    const octokit = new Octokit({
      auth: h.github.issueInstallationToken().token,
      baseUrl: h.github.url,
      request: { retries: 0 },
      log: { debug() {}, info() {}, warn() {}, error() {} },
    });
    let n = 0;
    const seen = { known: 0, unknown: 0 };
    const step = fc.constantFrom("own new file", "own edit", "foreign push to the branch", "main moves");
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
        const access = new OctokitAccessRepo(octokit, { owner: "acme", repo: "access", defaultBranch: "main" });
        const branch = `jit/${900 + ++n}-own`;
        const file = `access-requests/prod/2026/${900 + n}-own.yaml`;
        const base = await access.branchTip("main");
        expect(await access.createBranch(branch, base)).toBe(true);
        let known = 0;
        for (const s of steps) {
          if (s === "foreign push to the branch") h.github.commitFiles(REPO, branch, { [`notes/${n}.txt`]: `${Math.random()}\n` }, { author: "mallory" });
          else if (s === "main moves") h.github.commitFiles(REPO, "main", { "README.md": `${Math.random()}\n` }, { author: "root" });
          else {
            const current = await access.readAt(file, branch);
            if (s === "own edit" && !current) continue;
            const written = await access.writeAt(branch, file, `id: ${900 + n}\nn: ${Math.random()}\n`, { message: "m", expectedSha: current?.sha });
            const own = ownChange(access, written.commit, base);
            const compared = await access.compare("main", branch);
            if (!own) seen.unknown++;
            if (own) {
              known++;
              seen.known++;
              expect(own.map((f) => ({ filename: f.path, status: f.status, sha: f.sha }))).toEqual(compared.files);
            }
          }
        }
        // Only a first write straight on the base's tip is known.
        expect(known).toBeLessThanOrEqual(1);
      }),
      { numRuns: 12, examples: [[["own new file", "own edit"]], [["foreign push to the branch", "own new file"]], [["main moves", "own new file"]]] },
    );
    expect(seen.known).toBeGreaterThan(0);
    expect(seen.unknown).toBeGreaterThan(0);
  });
});
