import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Test tiers. A file's tier follows from what it does (test/test-tiers.test.ts checks it):
// - unit: in-process only: the pure core, adapters over in-memory fakes, the CLI in-process on
//   temporary folders. No server, subprocess, git, moto or fake HTTP service. Runs in seconds.
// - e2e: the app and the CLI against the fake GitHub/AWS/Slack/Gemini HTTP services, moto, git,
//   subprocesses and bundles; the live suites (skipped without credentials).
// - faults: fault injection into the fakes, the app and the sweep (throttles, crashes, lost
//   responses, conflicts).
// Every test file not listed under e2e or faults is a unit test.
const E2E = [
  "test/approval-policies-scenarios.test.ts",
  "test/activity-scenario.test.ts",
  "test/adoption-check.test.ts",
  "test/adoption-labels.test.ts",
  "test/app-notify.test.ts",
  "test/app-pr-scenarios.test.ts",
  "test/app-rate-limits.test.ts",
  "test/app-scenarios.test.ts",
  "test/attacks-approval-policies.test.ts",
  "test/attacks-deploy.test.ts",
  "test/attacks-intake.test.ts",
  "test/attacks-merge.test.ts",
  "test/attacks-merge-graphql.test.ts",
  "test/attacks-revoke.test.ts",
  "test/attacks.test.ts",
  "test/comment-ownership.test.ts",
  "test/cli-read-bounded.test.ts",
  "test/aws-moto.test.ts",
  "test/identities-moto.test.ts",
  "test/identities-app.test.ts",
  "test/demo.test.ts",
  "test/deploy-template.test.ts",
  "test/docs-runnable.test.ts",
  "test/doctor-moto.test.ts",
  "test/doctor-scenario.test.ts",
  "test/doctor.test.ts",
  "test/drafter-cli.test.ts",
  "test/drafter.test.ts",
  "test/fake-github.test.ts",
  "test/fake-github-graphql.test.ts",
  "test/init-scenario.test.ts",
  "test/init.test.ts",
  "test/install-scenario.test.ts",
  "test/lambda.test.ts",
  "test/lifecycle-policies-scenarios.test.ts",
  "test/live/aws-live.test.ts",
  "test/live/gemini-live.test.ts",
  "test/notify.test.ts",
  "test/openapi-conformance.test.ts",
  "test/plain-request-scenario.test.ts",
  "test/platform.test.ts",
  "test/records-every-outcome.test.ts",
  "test/report-cli.test.ts",
  "test/report-cache.test.ts",
  "test/github-calls.test.ts",
  "test/github-rules-snapshot.test.ts",
  "test/store-git.test.ts",
  "test/store-scan-sizes.test.ts",
  "test/sweep-action.test.ts",
  "test/sweep-alerts.test.ts",
  "test/sweep-bundle.test.ts",
  "test/sweep-cli.test.ts",
  "test/sweep-github-listing.test.ts",
  "test/sweep-octokit.test.ts",
  "test/sweep-reconcile.test.ts",
  "test/sweep-records-cache-git.test.ts",
  "test/sweep.test.ts",
  "test/webhook-corpus.test.ts",
  "test/webhook-examples.test.ts",
  "test/attacks-new-paths-claims.test.ts",
];

const FAULTS = [
  "test/aws-faults.test.ts",
  "test/fault-injection.test.ts",
  "test/fault-issue-steps.test.ts",
  "test/multi-account.test.ts",
  "test/multi-account-ic.test.ts",
  "test/scheduled-start-ic.test.ts",
];

const allTestFiles = readdirSync(fileURLToPath(new URL("test", import.meta.url)), { recursive: true, encoding: "utf8" })
  .map((f) => `test/${f.split("\\").join("/")}`)
  .filter((f) => f.endsWith(".test.ts"))
  .sort();

export const TIERS = {
  unit: allTestFiles.filter((f) => !E2E.includes(f) && !FAULTS.includes(f)),
  e2e: E2E,
  faults: FAULTS,
};

// Unit files share a worker's module cache (isolate: false): they hold no global state, and
// loading the IAM catalogue and the SDK once per worker instead of once per file halves the
// tier's CPU time.
export const UNIT_PROJECT = { extends: true, test: { name: "unit", include: TIERS.unit, isolate: false } };

/** The line that puts a test file in the Node 24 run (vitest's own file tag, so --tags-filter=node24 selects it too). */
export const NODE24_TAG = /^\/\/ @module-tag node24$/m;

// The Node 24 run of CI (.ci/run, vitest.node24.config.ts): the Action and the Lambda function run
// on Node 24, the rest of the suite's code is the same under either. It runs the unit tier whole
// (cheap, and it holds the language and ICU behaviour of the core: sorting, number and date
// formatting, regular expressions) and every e2e or faults file tagged node24: those that cross
// a runtime boundary of what ships (subprocesses, bundles, git, the entry points, the AWS SDK over
// HTTP; test/test-tiers.test.ts requires the tag there), and one file per other runtime surface
// (the app over HTTP, fetch to Slack and to Gemini, the sweep's Octokit). The many further
// scenarios over those same surfaces differ in logic only, which the Node 22 run covers.
export const NODE24 = [
  ...TIERS.unit,
  ...[...TIERS.e2e, ...TIERS.faults].filter((f) => NODE24_TAG.test(readFileSync(fileURLToPath(new URL(f, import.meta.url)), "utf8"))).sort(),
];

export default defineConfig({
  test: {
    pool: "threads",
    // One worker per core: vitest's default keeps a core back for itself, which on CI's two
    // cores leaves one idle while a single worker runs the files one after another.
    maxWorkers: "100%",
    testTimeout: 20000,
    tags: [{ name: "node24", description: "also run under Node 24, the runtime of the Action and the Lambda function (vitest.node24.config.ts)" }],
    projects: [UNIT_PROJECT, { extends: true, test: { name: "e2e", include: TIERS.e2e } }, { extends: true, test: { name: "faults", include: TIERS.faults } }],
  },
});
