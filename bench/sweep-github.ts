// Bench: the GitHub API calls of the Action's sweep against the fake GitHub, counted, not timed.
// 1. Listing: a dry run over 1,000 and 10,000 records (BENCH_SWEEP_LIST, comma-separated), none
//    due, once with the records read through the contents API (one call per file and folder) and
//    once as the Action reads them (the branch's tarball and git tree, record-archive.ts). Prints
//    `bench sweep-github records=… calls=… contents_calls=… budget_share=…` (the share of an
//    installation's 5,000 calls an hour the listing spends).
// 2. Expiry: one sweep that expires N grants (BENCH_SWEEP_GH, default 1,000): listing the records,
//    reading each due record again before its write (the second read is conditional, answered
//    304), one record commit per grant, and the issue's comment, state labels and close. AWS is
//    the fake without a rate limit (bench/sweep.ts measures AWS's); the client does not throttle.
//    Prints `bench sweep-revoke-github n=… github_calls=… per_expiry=… not_modified=… record_commits=…`.
import { Octokit } from "@octokit/rest";
import { storedAws } from "../src/aws/plan.js";
import { configFromObject } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { GitHubNotifier } from "../src/github/closer.js";
import { ConditionalContents } from "../src/github/contents-cache.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { runSweep } from "../src/sweep/run.js";
import { CONFIG } from "../test/support/app-harness.js";
import { createFakeAws } from "../test/support/fake-aws/index.js";
import { fakeGrants, HOME, SCHEDULER_ROLE, seed, testPolicy, testRequest } from "../test/support/fake-aws/fixtures.js";
import { startFakeGitHub } from "../test/support/fake-github.js";

const N = Number(process.env.BENCH_SWEEP_GH ?? 1000);
const LIST_SIZES = (process.env.BENCH_SWEEP_LIST ?? "1000,10000").split(",").filter(Boolean).map(Number);
const NOW = new Date("2026-11-27T12:00:00Z");
// One IAM user per 9 grants (IAM allows 10 managed policies a user).
const USERS = Math.max(1, Math.ceil(N / 9));
const principals: Record<string, unknown> = {};
for (let i = 1; i <= USERS; i++) principals[`u${i}`] = { iam_user: `u${i}` };
const parsed = configFromObject({ aws: { mode: "iam", region: "us-east-1", accounts: { prod: HOME }, scheduler_role_arn: SCHEDULER_ROLE }, principals });
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const config = parsed.value;
const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The calls of a dry-run sweep's listing over `records` records, through the contents API or the archive. */
async function listing(records: number): Promise<{ archive: number; contents: number; blobReads: number; downloads: number }> {
  const gh = await startFakeGitHub({ now: () => NOW.getTime() });
  try {
    gh.createRepo({ owner: "acme", name: "access", files: { ".github/jit-access.yml": CONFIG } });
    const files: Record<string, string> = {};
    const later = new Date(NOW.getTime() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    for (let i = 0; i < records; i++) {
      const id = `${i + 1}-listed`;
      const request: AccessRequest = {
        ...testRequest({ id, requester: "u1", policy: testPolicy(`l-${i}`) }),
        status: "active",
        grant: {
          approved_by: ["bob"],
          merge_commit: "c".repeat(40),
          granted_at: NOW.toISOString(),
          expires_at: later,
          aws: { kind: "iam", policy_arns: [] } as never,
        },
      };
      files[`access-requests/prod/${2024 + (i % 3)}/${id}.yaml`] = dumpRequest(request, "Written by jit-access.");
    }
    gh.commitFiles("acme/access", "main", files, { author: "jit-access[bot]", message: "seed" });
    const octokit = new Octokit({ auth: gh.issueInstallationToken().token, baseUrl: gh.url, request: { retries: 0 }, log: quietLog });
    const run = async (store: GitHubRecordStore) => {
      gh.clearRequests();
      const report = await runSweep(
        { store, config, grants: () => fakeGrants(aws, config, { now: () => NOW }) },
        { now: NOW, dryRun: true, reconcile: false, concurrency: 4 },
      );
      if (report.plan.active.length + report.plan.errors.length !== records)
        throw new Error(`the listing saw ${report.plan.active.length} records, not ${records}`);
      return gh.requests.filter((r) => !r.path.startsWith("/app")).length;
    };
    const repo = { owner: "acme", repo: "access", branch: "main" };
    const viaArchive = new GitHubRecordStore(new ConditionalContents(octokit), repo, { archive: octokit });
    const archive = await run(viaArchive);
    const downloads = gh.downloads.length;
    const contents = await run(new GitHubRecordStore(octokit, repo));
    return { archive, contents, blobReads: viaArchive.lastListing?.blobReads ?? -1, downloads };
  } finally {
    await gh.close();
  }
}

const aws = createFakeAws();
for (const records of LIST_SIZES) {
  const r = await listing(records);
  console.log(
    `sweep listing of ${records} records: ${r.archive} GitHub API calls through the tarball and git tree (${r.downloads} codeload download, not an API call; ${r.blobReads} records read as blobs), ${r.contents} through the contents API (${((r.contents / 5000) * 100).toFixed(0)}% of an installation's 5,000-an-hour budget)`,
  );
  console.log(
    `bench sweep-github records=${records} calls=${r.archive} contents_calls=${r.contents} blob_reads=${r.blobReads} budget_share=${(r.archive / 5000).toFixed(4)}`,
  );
}

const github = await startFakeGitHub({ now: () => NOW.getTime() });
try {
  seed(aws);
  for (let i = 1; i <= USERS; i++) aws.addUser(HOME, `u${i}`);
  const grants = fakeGrants(aws, config, { now: () => new Date(NOW.getTime() - 9 * 3_600_000) });
  github.createRepo({ owner: "acme", name: "access", files: { ".github/jit-access.yml": CONFIG } });
  const files: Record<string, string> = {};
  const expires = new Date(NOW.getTime() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  for (let i = 0; i < N; i++) {
    const issue = github.openIssue("acme/access", { user: "alice", title: `request ${i}`, labels: ["access-request", "jit:active"] });
    const id = `${issue}-bench`;
    const request = testRequest({ id, requester: `u${(i % USERS) + 1}`, policy: testPolicy(`b-${i}`) });
    const result = await grants.grant(request, request.policy!, expires);
    const active: AccessRequest = {
      ...request,
      status: "active",
      grant: { approved_by: ["bob"], merge_commit: "c".repeat(40), granted_at: result.grantedAt, expires_at: expires, aws: storedAws(result) },
    };
    files[`access-requests/prod/2026/${id}.yaml`] = dumpRequest(active, "Written by jit-access.");
  }
  github.commitFiles("acme/access", "main", files, { author: "jit-access[bot]", message: "seed" });
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const octokit = new Octokit({ auth: github.issueInstallationToken().token, baseUrl: github.url, request: { retries: 0 }, log: quiet });
  github.clearRequests();
  const t0 = performance.now();
  const report = await runSweep(
    {
      store: new GitHubRecordStore(new ConditionalContents(octokit), { owner: "acme", repo: "access", branch: "main" }, { archive: octokit }),
      config,
      grants: () => fakeGrants(aws, config, { now: () => NOW }),
      notifier: new GitHubNotifier(octokit, { owner: "acme", repo: "access", defaultBranch: "main" }),
    },
    { now: NOW, dryRun: false, reconcile: true, concurrency: 4 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const expired = report.outcome?.due.filter((d) => d.result === "expired").length ?? 0;
  const failures = (report.outcome?.failures ?? 0) + (N - expired);
  const calls = github.requests.filter((r) => !r.path.startsWith("/app"));
  const notModified = calls.filter((r) => r.status === 304).length;
  const commits = calls.filter((r) => r.method === "PUT" && r.path.includes("/contents/")).length;
  const listing = calls.filter((r) => r.method === "GET" && /\/contents\/access-requests(\/[^/]+){0,2}$/.test(r.path) && !r.path.endsWith(".yaml")).length;
  const counted = calls.length - notModified;
  console.log(
    `sweep of ${N} due grants (records listed through the tarball and tree, written through the contents API): ${calls.length} GitHub calls (${(calls.length / N).toFixed(1)} per expiry; ${notModified} answered 304, not counted by GitHub; ${listing} folder listings; ${commits} record commits), ${expired} expired, ${failures} failures, in ${seconds.toFixed(1)} s without throttling; ${counted} counted calls is ${(counted / 5000).toFixed(1)} hours of an installation's 5,000-an-hour budget`,
  );
  console.log(
    `bench sweep-revoke-github n=${N} github_calls=${calls.length} per_expiry=${(calls.length / N).toFixed(1)} not_modified=${notModified} record_commits=${commits} failures=${failures}`,
  );
  if (failures) process.exitCode = 1;
} finally {
  await github.close();
  aws.restore();
}
