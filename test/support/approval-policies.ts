// Shared steps of the approval-policy scenario and attack suites: the harness with auto_approve
// rules and break-glass configured (alerts captured per Slack webhook variable), a request whose
// PR the app opened, and comments delivered as issue_comment.created.
import { expect } from "vitest";
import type { NotificationEvent } from "../../src/notify/types.js";
import { CONFIG, issueBody, REPO, startHarness, type Harness } from "./app-harness.js";
import { openRequest } from "./scenario.js";
import { issueCommentCreated, pullRequestEvent } from "./webhooks.js";

export const RULES = `auto_approve:
  - name: prod-read
    risk: [low]
    accounts: [prod]
    requesters: ["@acme/devs"]
    max_per_day: 1
break_glass:
  users: [alice]
  max_duration: 2h
  slack_webhook_env: SECURITY_SLACK
`;
/** The config with break-glass and no auto_approve rules. */
export const BREAK_GLASS_ONLY = `${CONFIG}${RULES.replace(/auto_approve:[\s\S]*?break_glass/, "break_glass")}`;

export interface Sent {
  env: string | undefined;
  event: NotificationEvent;
}

/** The harness with `config`; alice and carol are active members of @acme/devs. */
export async function startPolicies(config = `${CONFIG}${RULES}`): Promise<{ hh: Harness; sent: Sent[] }> {
  const sent: Sent[] = [];
  const hh = await startHarness({
    config,
    notifierFor: (c) => ({ channels: ["test"], notify: async (event) => void sent.push({ env: c.notifications.slack_webhook_env, event }) }),
  });
  hh.github.addTeam("acme", "devs", { alice: "active", carol: "active" });
  return { hh, sent };
}

export const pr = (hh: Harness, n: number) => hh.github.pullState(REPO, n);
export const commentWith = (hh: Harness, n: number, marker: string) => hh.github.comments(REPO, n).find((c) => c.body.startsWith(marker))?.body ?? "";
export const AUTO = "<!-- jit-access:auto-approve -->";
export const GLASS = "<!-- jit-access:break-glass -->";
export const SHORT = issueBody({ duration: "1h" });

/** Opens a request and delivers the PR's opened event, as GitHub does for the app's own PR. */
export async function request(hh: Harness, user: string, body = issueBody()): Promise<{ issue: number; pr: number; file: string; branch: string }> {
  const r = await openRequest(hh, user, body);
  if (!r.pr || !r.file || !r.branch) throw new Error(`no pull request for ${user}'s request`);
  expect(await hh.deliver(pullRequestEvent(hh.github, REPO, r.pr, "opened"))).toBe(200);
  return { issue: r.issue, pr: r.pr, file: r.file, branch: r.branch };
}

/** Delivers pull_request.closed for a merged PR. */
export const closed = (hh: Harness, n: number) => hh.deliver(pullRequestEvent(hh.github, REPO, n, "closed"));

export async function comment(hh: Harness, n: number, user: string, body: string): Promise<void> {
  const c = hh.github.addComment(REPO, n, { user, body });
  expect(await hh.deliver(issueCommentCreated(hh.github, REPO, n, c))).toBe(200);
}
