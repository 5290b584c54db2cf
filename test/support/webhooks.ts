// Webhook payloads built from the fake GitHub's state (the same JSON shapes its REST API returns),
// and delivery to a Probot server signed with the real HMAC-SHA256 (x-hub-signature-256).
import { createHmac, randomUUID } from "node:crypto";
import type { FakeGitHub } from "./fake-github.js";

export interface WebhookEvent {
  /** The event name (x-github-event), e.g. "issues", "pull_request". */
  name: string;
  payload: Record<string, unknown>;
}

export interface WebhookResponse {
  status: number;
  body: string;
  deliveryId: string;
}

function envelope(fake: FakeGitHub, repoName: string, sender: string): Record<string, unknown> {
  const repo = fake.repo(repoName);
  const owner = fake.user(repo.owner);
  return {
    repository: fake.repoJson(repo),
    sender: fake.userJson(sender),
    installation: { id: fake.app.installationId, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${fake.app.installationId}` },
    ...(owner?.type === "Organization"
      ? { organization: { login: owner.login, id: owner.id, node_id: `O_${owner.id}`, url: `${fake.apiBase}/orgs/${owner.login}`, description: null } }
      : {}),
  };
}

/** issues.opened (sender defaults to the issue's author). */
export function issuesOpened(fake: FakeGitHub, repo: string, number: number, opts: { sender?: string } = {}): WebhookEvent {
  const issue = fake.issueState(repo, number);
  return { name: "issues", payload: { action: "opened", issue: fake.issueJson(fake.repo(repo), issue), ...envelope(fake, repo, opts.sender ?? issue.user) } };
}

/**
 * issues.edited: change the issue in the fake first — `const changes = fake.editIssue(r, n, { body })`
 * — then pass those `changes` ({ body: { from } } / { title: { from } }).
 */
export function issuesEdited(
  fake: FakeGitHub,
  repo: string,
  number: number,
  opts: { sender?: string; changes?: { body?: { from: string }; title?: { from: string } } } = {},
): WebhookEvent {
  const issue = fake.issueState(repo, number);
  return {
    name: "issues",
    payload: {
      action: "edited",
      issue: fake.issueJson(fake.repo(repo), issue),
      changes: opts.changes ?? {},
      ...envelope(fake, repo, opts.sender ?? issue.user),
    },
  };
}

/** issues.labeled / closed / reopened and other issue actions without extra fields. */
export function issuesEvent(fake: FakeGitHub, repo: string, number: number, action: string, opts: { sender?: string; label?: string } = {}): WebhookEvent {
  const r = fake.repo(repo);
  const issue = fake.issueState(repo, number);
  return {
    name: "issues",
    payload: {
      action,
      issue: fake.issueJson(r, issue),
      ...(opts.label ? { label: fake.labelJson(r, opts.label) } : {}),
      ...envelope(fake, repo, opts.sender ?? issue.user),
    },
  };
}

/**
 * pull_request.<action> from the PR's current state: "opened", "reopened", "edited",
 * "synchronize" (give `before`, the previous head sha), "closed" (merged or not — whatever the
 * fake says: merge with `fake.mergePull` or close with `fake.setIssueState` first).
 * Sender defaults to the PR author, or the merger for a merged close.
 */
export function pullRequestEvent(
  fake: FakeGitHub,
  repo: string,
  number: number,
  action: "opened" | "reopened" | "edited" | "synchronize" | "closed" | "ready_for_review" | "labeled",
  opts: { sender?: string; before?: string } = {},
): WebhookEvent {
  const r = fake.repo(repo);
  const issue = fake.pullState(repo, number);
  const pull = fake.pullJson(r, issue);
  const sender = opts.sender ?? (action === "closed" ? (issue.pull.merged_by ?? issue.closed_by ?? issue.user) : issue.user);
  return {
    name: "pull_request",
    payload: {
      action,
      number,
      pull_request: pull,
      ...(action === "synchronize" ? { before: opts.before ?? null, after: issue.pull.headSha } : {}),
      ...envelope(fake, repo, sender),
    },
  };
}

/** pull_request_review.submitted for a review in the fake (sender = the reviewer). */
export function pullRequestReviewSubmitted(
  fake: FakeGitHub,
  repo: string,
  number: number,
  reviewId: number,
  opts: { sender?: string; action?: "submitted" | "dismissed" | "edited" } = {},
): WebhookEvent {
  const r = fake.repo(repo);
  const issue = fake.pullState(repo, number);
  const review = issue.pull.reviews.find((x) => x.id === reviewId);
  if (!review) throw new Error(`no review ${reviewId} on ${repo}#${number}`);
  const json = fake.reviewJson(r, issue, review);
  // webhook reviews carry the state in lower case ("approved"), unlike the REST API
  return {
    name: "pull_request_review",
    payload: {
      action: opts.action ?? "submitted",
      review: { ...json, state: review.state.toLowerCase() },
      pull_request: fake.pullJson(r, issue),
      ...envelope(fake, repo, opts.sender ?? review.user),
    },
  };
}

/** issue_comment.created for a comment in the fake (sender = the comment's author). */
export function issueCommentCreated(fake: FakeGitHub, repo: string, number: number, commentId: number, opts: { sender?: string } = {}): WebhookEvent {
  const r = fake.repo(repo);
  const issue = fake.issueState(repo, number);
  const comment = issue.comments.find((c) => c.id === commentId);
  if (!comment) throw new Error(`no comment ${commentId} on ${repo}#${number}`);
  return {
    name: "issue_comment",
    payload: {
      action: "created",
      issue: fake.issueJson(r, issue),
      comment: fake.commentJson(r, issue, comment),
      ...envelope(fake, repo, opts.sender ?? comment.user),
    },
  };
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * POSTs a webhook like GitHub does: JSON body, x-github-event, x-github-delivery and
 * x-hub-signature-256 = HMAC-SHA256 of the exact body with `secret`.
 */
export async function sendWebhook(url: string, secret: string, name: string, payload: unknown, deliveryId: string = randomUUID()): Promise<WebhookResponse> {
  const body = JSON.stringify(payload);
  const installation = (payload as { installation?: { id?: number } } | null)?.installation?.id;
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": name,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": sign(secret, body),
      ...(installation ? { "x-github-hook-installation-target-type": "integration", "x-github-hook-installation-target-id": String(installation) } : {}),
    },
    body,
  });
  return { status: res.status, body: await res.text(), deliveryId };
}

/** Binds a webhook URL and secret: `await hooks.send(issuesOpened(fake, repo, 1))`. */
export class WebhookClient {
  constructor(
    readonly url: string,
    readonly secret: string,
  ) {}

  send(event: WebhookEvent, deliveryId?: string): Promise<WebhookResponse> {
    return sendWebhook(this.url, this.secret, event.name, event.payload, deliveryId);
  }
}
