// The expiry half of the demo: AWS's own schedule fires at the expiry, then the expiry sweep —
// the same runSweep the Action runs — records it through the contents API and closes the issue.
import { Octokit } from "@octokit/rest";
import { parseConfig } from "../src/domain/config.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { GitHubNotifier } from "../src/github/closer.js";
import { reportText, runSweep } from "../src/sweep/run.js";
import { fakeGrants } from "../test/support/fake-aws/fixtures.js";
import { attachedTo, CONFIG, REPO, type Harness } from "../test/support/app-harness.js";

export async function runDemoExpiry(
  h: Harness,
  io: { file: string; issue: number; step: (n: number, t: string) => void; indent: (s: string, max?: number) => string },
): Promise<void> {
  h.clock.now = new Date("2026-11-27T17:20:01Z");
  io.step(6, `${h.clock.now.toISOString()} The expiry passes: the EventBridge Scheduler schedule fires in AWS`);
  for (const inv of h.aws.fireDueSchedules(h.clock.now)) console.log(`   schedule ${inv.schedule} → ${inv.target}${inv.error ? ` (error: ${inv.error})` : ""}`);
  console.log(`   → policies attached to IAM user alice: ${attachedTo(h.aws, "alice").join(", ") || "none"}`);

  h.clock.now = new Date("2026-11-27T17:22:00Z");
  io.step(7, `${h.clock.now.toISOString()} The scheduled expiry sweep (expire.yml) runs`);
  const parsed = parseConfig(CONFIG);
  if (!parsed.ok) throw new Error("demo config is invalid");
  const octokit = new Octokit({
    baseUrl: h.github.url,
    auth: h.github.issueInstallationToken().token,
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  const repo = { owner: "acme", repo: "access", defaultBranch: "main" };
  const report = await runSweep(
    {
      store: new GitHubRecordStore(octokit, { owner: repo.owner, repo: repo.repo, branch: repo.defaultBranch }),
      config: parsed.value,
      grants: () => fakeGrants(h.aws, parsed.value, { now: () => h.clock.now }),
      notifier: new GitHubNotifier(octokit, repo),
    },
    { now: h.clock.now, dryRun: false, reconcile: true, concurrency: 4 },
  );
  console.log(io.indent(reportText(report).trimEnd(), 20));
  const record = h.github.readFile(REPO, io.file, "main") ?? "";
  console.log(
    `   record: ${record.match(/^status: .*$/m)?.[0] ?? "?"}; issue #${io.issue}: ${h.github.issueState(REPO, io.issue).state} (${h.github.issueState(REPO, io.issue).state_reason ?? ""})`,
  );
  console.log(`   jit-access resources left in AWS: ${h.aws.state.accounts.get("111111111111")?.iam.policies.size ?? 0} policies`);
}
