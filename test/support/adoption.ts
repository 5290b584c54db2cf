// Steps of docs/install.md done against the fakes, shared by the adoption scenarios: what a person
// does in GitHub's and AWS's consoles (install the app, protect the branch, deploy the scheduler
// role) and running `jit-access doctor` / `jit-access init` in-process.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { expect } from "vitest";
import { doctorCommand } from "../../src/cli/doctor.js";
import type { CheckResult } from "../../src/doctor/checks.js";
import { attachedTo, REPO, type Harness } from "./app-harness.js";
import { runCli } from "./cli.js";
import { approveAndMerge, jitAttachments, sweepVia } from "./scenario.js";
import type { WebhookEvent } from "./webhooks.js";

const SCHEDULER_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/** Step 6: the `installation` event GitHub sends when the app is installed on the access repository. */
export function installationCreated(h: Harness): WebhookEvent {
  const repo = h.github.repo(REPO);
  const list = [{ id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: REPO, private: repo.private }];
  return {
    name: "installation",
    payload: { action: "created", installation: h.github.installationJson(), repositories: list, sender: h.github.userJson("acme-admin") },
  };
}

/** Step 8: branch protection on main requiring a code-owner review and dismissing stale approvals. */
export function protectDefaultBranch(h: Harness): void {
  const base = `https://api.github.com/repos/${REPO}/branches/main/protection`;
  h.github.branchProtection.set(`${REPO}#main`.toLowerCase(), {
    url: base,
    required_pull_request_reviews: {
      url: `${base}/required_pull_request_reviews`,
      dismiss_stale_reviews: true,
      require_code_owner_reviews: true,
      required_approving_review_count: 1,
    },
  });
}

/** Step 3's stack, as far as doctor reads it: the scheduler role, trusted by EventBridge Scheduler. */
export function deploySchedulerRole(h: Harness, account: string, name = "jit-access-scheduler"): void {
  h.aws.addRole(account, name);
  const role = h.aws.account(account).iam.roles.get(name);
  if (role) role.trust = SCHEDULER_TRUST;
}

/** `jit-access doctor --repo acme/access --json` with an organisation owner's token, against the fakes. */
export async function runDoctor(h: Harness): Promise<{ code: number; checks: CheckResult[] }> {
  let out = "";
  const io = { stdout: { write: (x: string) => (out += x) }, stderr: { write: () => true }, cwd: process.cwd() };
  const settings = h.aws.clientSettings;
  const code = await doctorCommand(["--repo", REPO, "--json"], io, {
    env: { GITHUB_TOKEN: h.github.tokenFor("acme-admin"), GITHUB_API_URL: h.github.url },
    awsSettings: () => settings,
  });
  return { code, checks: (JSON.parse(out) as { checks: CheckResult[] }).checks };
}

export const failingChecks = (checks: CheckResult[]): string[] => checks.filter((c) => c.status !== "ok").map((c) => c.id);

/** Every file under `root`, relative to it. */
export function walkFiles(root: string, at = root): string[] {
  return readdirSync(at).flatMap((name) => {
    const abs = join(at, name);
    return statSync(abs).isDirectory() ? walkFiles(root, abs) : [relative(root, abs)];
  });
}

/** Step 5: `jit-access init . <args>` in `dir`; returns what it wrote, path → text. */
export async function initAccessRepo(dir: string, args: string[]): Promise<Record<string, string>> {
  const r = await runCli(["init", ".", ...args], dir);
  if (r.code !== 0) throw new Error(`jit-access init exited ${r.code}: ${r.stderr}`);
  return Object.fromEntries(walkFiles(dir).map((p) => [p, readFileSync(join(dir, p), "utf8")]));
}

/**
 * Step 10's end: bob (a code owner and approver in init's files) approves and merges the app's
 * pull request, alice's grant is attached, and the sweep run past the expiry removes it.
 */
export async function expectGrantedThenExpired(h: Harness, pr: number, issue: number, configText: string): Promise<void> {
  expect(await approveAndMerge(h, pr, ["bob"], "bob")).toBe(200);
  expect(attachedTo(h.aws, "alice").some((arn) => arn.includes(":policy/jit-access/"))).toBe(true);
  expect(h.github.labels(REPO, issue)).toContain("jit:active");

  h.clock.now = new Date(h.clock.now.getTime() + 9 * 3600_000);
  const report = await sweepVia(h, configText);
  expect(report.ok).toBe(true);
  expect(jitAttachments(h.aws)).toEqual([]);
  expect(h.github.labels(REPO, issue)).toContain("jit:expired");
}
