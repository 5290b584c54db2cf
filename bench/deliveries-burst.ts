// Bench: a burst of issue deliveries against the fake GitHub with GitHub's rate limits switched on
// (test/support/fake-github: the primary limit, 5,000 calls an hour for the installation, and the
// secondary limits, 80 content-creating requests and 900 points a minute (GET 1, others 5),
// answered 403 — or 429 with BENCH_BURST_SECONDARY_STATUS=429 — with retry-after), through the app's own Octokit (src/github/app-octokit.ts: the throttling plugin
// spacing writes a second apart and waiting out both limits). N different requests are opened
// within a minute; every one must end with exactly one pull request, none lost, none twice, and
// no delivery failed.
//
// Time runs SCALE times faster than GitHub's (BENCH_BURST_SCALE, default 100): the fake's windows
// are divided by SCALE and what it advertises (retry-after, the reset) multiplied back, and the
// app's Octokit waits 1000/SCALE ms per advertised second and spaces writes as much. p95_ms is
// the bench's own wall time from a delivery to its answer; p95_github_s the same at GitHub's pace.
// A warm-up request first (the state labels exist from installation on, as in production).
// Env: BENCH_BURST_N (200), BENCH_BURST_SCALE (100), BENCH_BURST_SECONDARY_STATUS (403 default | 429), BENCH_BURST_DEADLINE_MS (600000).
import Bottleneck from "bottleneck";
import { appOctokit } from "../src/github/app-octokit.js";
import { issueBody, pulls, REPO, startHarness } from "../test/support/app-harness.js";
import { issuesOpened } from "../test/support/webhooks.js";

const N = Number(process.env.BENCH_BURST_N ?? 200);
const SCALE = Number(process.env.BENCH_BURST_SCALE ?? 100);
const msPerSecond = 1000 / SCALE;
const Octokit = appOctokit({
  msPerSecond,
  // The throttling plugin's spacing at the bench's pace: writes a second apart, writes that notify
  // people (issues, comments, pull requests) three seconds apart, as the plugin does for GitHub.
  throttle: {
    write: new Bottleneck.Group({ id: "bench-write", maxConcurrent: 1, minTime: msPerSecond }),
    notifications: new Bottleneck.Group({ id: "bench-notifications", maxConcurrent: 1, minTime: 3 * msPerSecond }),
  },
});
const h = await startHarness({ conformance: false, Octokit });
try {
  const open = (i: number) =>
    h.github.openIssue(REPO, {
      user: i % 2 ? "alice" : "carol",
      title: `Access request ${i}`,
      body: issueBody({ resources: `reports-${i}`, reason: `Burst request ${i}` }),
      labels: ["access-request"],
    });
  // Warm-up: labels made, the app's login known.
  const warm = open(0);
  if ((await h.deliver(issuesOpened(h.github, REPO, warm))) !== 200) throw new Error("the warm-up delivery failed");

  const status = process.env.BENCH_BURST_SECONDARY_STATUS;
  h.github.rateLimits = {
    primary: { limit: 5000, windowMs: 3_600_000 / SCALE },
    secondary: { writes: 80, points: 900, windowMs: 60_000 / SCALE, ...(status === "429" ? { status: 429 as const } : {}) },
    timeScale: SCALE,
  };
  const issues = Array.from({ length: N }, (_, i) => open(i + 1));
  const t0 = performance.now();
  const minute = 60_000 / SCALE;
  // A request is proposed when its issue has its pull request and the proposed label (intake's
  // last step). The webhook answer comes earlier when handling takes over 9 s: Probot's middleware
  // then answers 202 and goes on, so the time that counts is the time to "proposed".
  const proposedAt = new Map<number, number>();
  const sentAt = new Map<number, number>();
  const isProposed = (issue: number) =>
    (h.github.repo(REPO).issues.get(issue)?.labels ?? []).includes("jit:proposed") && pulls(h.github).some((p) => p.head.startsWith(`jit/${issue}-`));
  const deadline = t0 + Number(process.env.BENCH_BURST_DEADLINE_MS ?? 600_000);
  const watcher = (async () => {
    while (proposedAt.size < N && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      for (const issue of issues) if (!proposedAt.has(issue) && sentAt.has(issue) && isProposed(issue)) proposedAt.set(issue, performance.now());
    }
  })();
  const answers = await Promise.all(
    issues.map(async (issue, i) => {
      await new Promise((r) => setTimeout(r, (i / N) * minute)); // N deliveries spread over a minute
      sentAt.set(issue, performance.now());
      return h.deliver(issuesOpened(h.github, REPO, issue)).catch(() => 0);
    }),
  );
  await watcher;
  const wallMs = performance.now() - t0;
  const refused = answers.filter((code) => code !== 200 && code !== 202).length;
  const prs = pulls(h.github);
  const per = issues.map((issue) => prs.filter((p) => p.head.startsWith(`jit/${issue}-`)).length);
  const lost = per.filter((n) => n === 0).length;
  const duplicates = per.filter((n) => n > 1).length;
  const errors = refused + issues.filter((issue) => !proposedAt.has(issue)).length;
  const sorted = issues.map((issue) => (proposedAt.get(issue) ?? Infinity) - (sentAt.get(issue) ?? 0)).sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? NaN;
  const stats = h.github.rateLimitStats;
  console.log(
    `burst of ${N} requests within a minute (time ×${SCALE}), rate limits on: ${N - lost} proposed, ${lost} lost, ${duplicates} with more than one PR, ${errors} failed deliveries; p95 ${p95.toFixed(0)} ms (${((p95 * SCALE) / 1000).toFixed(0)} s at GitHub's pace), all done in ${wallMs.toFixed(0)} ms; GitHub refused ${stats.secondaryRefused} for the secondary limit and ${stats.primaryRefused} for the primary, each waited out and retried`,
  );
  console.log(
    `bench deliveries-burst n=${N} p95_ms=${p95.toFixed(0)} p95_github_s=${((p95 * SCALE) / 1000).toFixed(0)} errors=${errors} lost=${lost} duplicates=${duplicates} secondary_refused=${stats.secondaryRefused} primary_refused=${stats.primaryRefused}`,
  );
  if (errors || lost || duplicates) process.exitCode = 1;
} finally {
  await h.close();
}
