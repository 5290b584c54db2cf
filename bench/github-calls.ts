// Bench: GitHub API calls per request lifecycle, counted against the fake GitHub (test/support/
// fake-github) with the real Probot app: intake (issues.opened, then the pull_request.opened GitHub
// sends for the app's PR), grant (an approval's pull_request_review.submitted, then the merge's
// pull_request.closed) and expire (the sweep through the GitHub API, as the Action runs it, over
// a repository holding this one request). Token exchanges (POST /app/installations/:id/access_tokens)
// are counted separately: Probot caches the installation token, so they are per hour, not per delivery.
// The expire phase lists the records from the tarball (its codeload download is not an API call).
// Prints `bench github-calls intake=… grant=… expire=… total=… goal=25 counted=…` (counted: without
// the 304s, which GitHub does not count) and, with BENCH_GITHUB_CALLS_LIST=1, every call.
// Run: npx tsx bench/github-calls.ts (part of npm run bench)
import { Octokit } from "@octokit/rest";
import { parseConfig } from "../src/domain/config.js";
import { GitHubNotifier } from "../src/github/closer.js";
import { ConditionalContents } from "../src/github/contents-cache.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { runSweep } from "../src/sweep/run.js";
import { CONFIG, issueBody, pulls, REPO, startHarness } from "../test/support/app-harness.js";
import { fakeGrants } from "../test/support/fake-aws/fixtures.js";
import { issuesOpened, pullRequestEvent, pullRequestReviewSubmitted } from "../test/support/webhooks.js";

const LIST = Boolean(process.env.BENCH_GITHUB_CALLS_LIST);
/** Calls of one request's lifecycle, all three phases (issue 22). */
const GOAL = 25;
const h = await startHarness({ conformance: false });
try {
  const calls = (): Array<{ method: string; path: string; status: number }> =>
    h.github.requests.map((r) => ({ method: r.method, path: r.query.ref ? `${r.path}?ref=${r.query.ref.slice(0, 12)}` : r.path, status: r.status }));
  const phase = async (name: string, run: () => Promise<void>) => {
    h.github.clearRequests();
    await run();
    const all = calls();
    const tokens = all.filter((c) => c.path.startsWith("/app/"));
    const api = all.filter((c) => !c.path.startsWith("/app/"));
    if (LIST) for (const c of api) console.log(`  ${name}: ${c.method} ${c.path} → ${c.status}`);
    return {
      api: api.length,
      tokens: tokens.length,
      notModified: api.filter((c) => c.status === 304).length,
      graphql: api.filter((c) => c.path === "/graphql").length,
    };
  };

  /** One request from issue to expiry; the sweep runs after its expiry on the harness clock. */
  const lifecycle = async (user: string, resources: string) => {
    let pr = 0;
    const intake = await phase("intake", async () => {
      const issue = h.github.openIssue(REPO, { user, title: `Access request: ${resources}`, body: issueBody({ resources }), labels: ["access-request"] });
      await h.deliver(issuesOpened(h.github, REPO, issue));
      const opened = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
      if (!opened) throw new Error("the app opened no pull request");
      pr = opened.number;
      await h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"));
    });
    const grant = await phase("grant", async () => {
      const review = h.github.addReview(REPO, pr, { user: "bob", state: "APPROVED" });
      await h.deliver(pullRequestReviewSubmitted(h.github, REPO, pr, review));
      h.github.mergePull(REPO, pr, { user: "bob" });
      await h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
    });
    h.clock.now = new Date(h.clock.now.getTime() + 9 * 3_600_000);
    const expire = await phase("expire", async () => {
      const parsed = parseConfig(CONFIG);
      if (!parsed.ok) throw new Error("config");
      const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
      const octokit = new Octokit({ auth: h.github.issueInstallationToken().token, baseUrl: h.github.url, request: { retries: 0 }, log: quiet });
      const [owner, repo] = REPO.split("/") as [string, string];
      const now = h.clock.now;
      const report = await runSweep(
        {
          store: new GitHubRecordStore(new ConditionalContents(octokit), { owner, repo, branch: "main" }, { archive: octokit }),
          config: parsed.value,
          grants: () => fakeGrants(h.aws, parsed.value, { now: () => now }),
          notifier: new GitHubNotifier(octokit, { owner, repo, defaultBranch: "main" }),
        },
        { now, dryRun: false, reconcile: true, concurrency: 4 },
      );
      const expired = report.outcome?.due.filter((d) => d.result === "expired").length;
      if (expired !== 1) throw new Error(`the sweep did not expire the grant: ${JSON.stringify(report.outcome)}`);
    });
    return { intake, grant, expire, total: intake.api + grant.api + expire.api };
  };

  // The first request also pays what happens once per app start and repository (GET /app, the
  // state labels); the second is the steady state, and the figure.
  const first = await lifecycle("alice", "financial-reports");
  const { intake, grant, expire, total } = await lifecycle("carol", "audit-logs");
  const notModified = intake.notModified + grant.notModified + expire.notModified;
  const graphql = intake.graphql + grant.graphql + expire.graphql;
  console.log(
    `GitHub API calls of one request's lifecycle against the fake GitHub: intake ${intake.api}, grant ${grant.api}, expire ${expire.api}, total ${total} (goal ≤ ${GOAL}: ${total <= GOAL ? "met" : "not met"}; ${graphql} of them GraphQL queries, 1 point each of GraphQL's own budget), of which ${notModified} answered 304 Not Modified (not counted against the rate limit by GitHub); the first request after start ${first.total}; installation-token exchanges ${intake.tokens + grant.tokens + expire.tokens}`,
  );
  console.log(
    `bench github-calls intake=${intake.api} grant=${grant.api} expire=${expire.api} total=${total} goal=${GOAL} counted=${total - notModified} not_modified=${notModified} graphql=${graphql} first=${first.total}`,
  );
} finally {
  await h.close();
}
