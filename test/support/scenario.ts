// Shared steps for the attack and fault-injection suites: open a request, a hand-written PR,
// approve and merge, run the expiry sweep through the contents API (as the Action does), and
// look at what jit-access holds in the fake AWS.
import { Octokit } from "@octokit/rest";
import { expect } from "vitest";
import { parseConfig } from "../../src/domain/config.js";
import type { Config } from "../../src/domain/types.js";
import { GitHubRecordStore } from "../../src/github/store.js";
import { GitHubNotifier } from "../../src/github/closer.js";
import { runSweep, type SweepReport } from "../../src/sweep/run.js";
import { REPO, pulls, type Harness } from "./app-harness.js";
import type { FakeAws } from "./fake-aws/index.js";
import { fakeGrants } from "./fake-aws/fixtures.js";
import { issuesOpened, pullRequestEvent } from "./webhooks.js";

export const JIT_PATH = ":policy/jit-access/";

/** Every attachment of a jit-access policy, in every account, as "account:kind/name → arn". */
export function jitAttachments(aws: FakeAws): string[] {
  const out: string[] = [];
  for (const [account, a] of aws.state.accounts) {
    for (const [kind, map] of [
      ["user", a.iam.users],
      ["role", a.iam.roles],
      ["group", a.iam.groups],
    ] as const) {
      for (const e of map.values()) for (const arn of e.attached) if (arn.includes(JIT_PATH)) out.push(`${account}:${kind}/${e.name} → ${arn}`);
    }
  }
  return out.sort();
}

/** jit-access policies (path /jit-access/) and schedules (group jit-access), in every account. */
export function jitResources(aws: FakeAws): string[] {
  const out: string[] = [];
  for (const [account, a] of aws.state.accounts) {
    for (const p of a.iam.policies.values()) if (p.path === "/jit-access/") out.push(`${account}:${p.arn}`);
    for (const [key, s] of a.scheduler.schedules) if (s.GroupName === "jit-access") out.push(`${account}:schedule:${key}`);
  }
  for (const ps of aws.state.sso.permissionSets.values()) out.push(`sso:${ps.arn}`);
  return out.sort();
}

/** The request id an attachment or resource line belongs to (jit-<id>). */
export function requestIdOf(line: string): string | undefined {
  return /jit-(\d+-[a-z0-9-]+?)(?:-delete)?$/.exec(line)?.[1];
}

export function configOfText(text: string): Config {
  const r = parseConfig(text);
  if (!r.ok) throw new Error(`config does not load: ${JSON.stringify(r.problems)}`);
  return r.value;
}

/** Opens an access-request issue and delivers issues.opened; returns the PR the app opened. */
export async function openRequest(
  h: Harness,
  user: string,
  body: string,
  title = "Access request: reports",
): Promise<{ issue: number; pr?: number; branch?: string; file?: string; status: number }> {
  const issue = h.github.openIssue(REPO, { user, title, body, labels: ["access-request"] });
  const status = await h.deliver(issuesOpened(h.github, REPO, issue));
  const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
  if (!pr) return { issue, status };
  const file = h.github.pullFiles(REPO, pr.number)[0]?.filename;
  return { issue, pr: pr.number, branch: pr.head, status, ...(file ? { file } : {}) };
}

/** A pull request written by hand: one commit of `files` on `branch` by `user`, opened and checked. */
export async function handPr(h: Harness, user: string, branch: string, files: Record<string, string | null>): Promise<number> {
  h.github.createBranch(REPO, branch);
  h.github.commitFiles(REPO, branch, files, { author: user, message: "request" });
  const pr = h.github.openPull(REPO, { user, head: branch, title: `request from ${user}` });
  await h.deliver(pullRequestEvent(h.github, REPO, pr, "opened"));
  return pr;
}

/** Approves (by each of `approvers`), merges as `merger` and delivers pull_request.closed. */
export async function approveAndMerge(h: Harness, pr: number, approvers: string[] = ["bob"], merger = "bob"): Promise<number> {
  for (const a of approvers) h.github.addReview(REPO, pr, { user: a, state: "APPROVED" });
  h.github.mergePull(REPO, pr, { user: merger });
  return h.deliver(pullRequestEvent(h.github, REPO, pr, "closed"));
}

/** The last comment on an issue or PR. */
export function lastComment(h: Harness, n: number): string {
  return h.github.comments(REPO, n).at(-1)?.body ?? "";
}

/**
 * The expiry sweep as the Action runs it: records through the contents API with an installation
 * token, GitHub notified, grants on the fake AWS at the harness clock.
 */
export async function sweepVia(h: Harness, configText: string, opts: { now?: Date; reconcile?: boolean; concurrency?: number } = {}): Promise<SweepReport> {
  const config = configOfText(configText);
  const octokit = new Octokit({
    auth: h.github.issueInstallationToken().token,
    baseUrl: h.github.url,
    request: { retries: 0 },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const [owner, repo] = REPO.split("/") as [string, string];
  const now = opts.now ?? h.clock.now;
  const store = new GitHubRecordStore(octokit, { owner, repo, branch: "main" });
  const grants = fakeGrants(h.aws, config, { now: () => now });
  return runSweep(
    { store, config, grants: () => grants, notifier: new GitHubNotifier(octokit, { owner, repo, defaultBranch: "main" }) },
    { now, dryRun: false, reconcile: opts.reconcile ?? true, concurrency: opts.concurrency ?? 4 },
  );
}

/** Nothing of jit-access is attached anywhere in the fake AWS. */
export function expectNothingGranted(h: Harness): void {
  expect(jitAttachments(h.aws)).toEqual([]);
}
