// Webhook payloads with missing or wrong fields: the app must answer without crashing, call
// nothing in AWS, and write nothing on GitHub.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { issueCommentCreated, issuesOpened, pullRequestEvent, type WebhookEvent } from "./support/webhooks.js";

let h: Harness;
let issue = 0;
let pr = 0;
let comment = 0;
beforeAll(async () => {
  h = await startHarness();
  issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: x", body: issueBody(), labels: ["access-request"] });
  h.github.createBranch(REPO, "feature");
  h.github.commitFiles(REPO, "feature", { "README.md": "x\n" }, { author: "carol", message: "x" });
  pr = h.github.openPull(REPO, { user: "carol", head: "feature", title: "x" });
  comment = h.github.addComment(REPO, issue, { user: "alice", body: "/revoke" });
});
afterAll(async () => {
  await h.close();
});

type Mutation = [string, (p: Record<string, unknown>) => void];

function without(path: string): Mutation {
  return [
    `without ${path}`,
    (p) => {
      const keys = path.split(".");
      let o: Record<string, unknown> | undefined = p;
      for (const k of keys.slice(0, -1)) o = o?.[k] as Record<string, unknown> | undefined;
      if (o) delete o[keys[keys.length - 1] as string];
    },
  ];
}
function set(path: string, value: unknown): Mutation {
  return [
    `${path} = ${JSON.stringify(value)}`,
    (p) => {
      const keys = path.split(".");
      let o: Record<string, unknown> | undefined = p;
      for (const k of keys.slice(0, -1)) o = o?.[k] as Record<string, unknown> | undefined;
      if (o) o[keys[keys.length - 1] as string] = value;
    },
  ];
}

const ISSUE_MUTATIONS: Mutation[] = [
  without("issue"),
  without("issue.user"),
  without("issue.body"),
  without("issue.labels"),
  without("issue.number"),
  without("issue.title"),
  without("repository"),
  without("repository.owner"),
  without("repository.default_branch"),
  without("installation"),
  set("issue.body", null),
  set("issue.body", 42),
  set("issue.labels", "access-request"),
  set("issue.labels", [null, 3, { name: null }]),
  set("issue.number", "1; rm -rf /"),
  set("issue.number", -1),
  set("issue.user", null),
  set("issue.user.type", "Bot"),
  set("issue.created_at", "yesterday"),
  set("issue.title", null),
  set("issue", []),
];
const PR_MUTATIONS: Mutation[] = [
  without("pull_request"),
  without("pull_request.head"),
  without("pull_request.base"),
  without("pull_request.head.sha"),
  without("pull_request.user"),
  set("pull_request.merged", "yes"),
  set("pull_request.merged", true),
  set("pull_request.merge_commit_sha", null),
  set("pull_request.head.repo", null),
  set("pull_request.number", 0),
  set("pull_request.changed_files", "many"),
  set("pull_request.merged_at", "not a date"),
];
const COMMENT_MUTATIONS: Mutation[] = [
  without("comment"),
  without("comment.body"),
  without("comment.user"),
  set("comment.body", null),
  set("comment.body", { x: 1 }),
  set("comment.user", null),
  without("issue"),
  set("issue.number", null),
];

function cases(): Array<[string, () => WebhookEvent, Mutation]> {
  return [
    ...ISSUE_MUTATIONS.map((m) => [`issues.opened ${m[0]}`, () => issuesOpened(h.github, REPO, issue), m] as [string, () => WebhookEvent, Mutation]),
    ...PR_MUTATIONS.flatMap((m) =>
      (["opened", "synchronize", "closed"] as const).map(
        (a) => [`pull_request.${a} ${m[0]}`, () => pullRequestEvent(h.github, REPO, pr, a), m] as [string, () => WebhookEvent, Mutation],
      ),
    ),
    ...COMMENT_MUTATIONS.map(
      (m) => [`issue_comment.created ${m[0]}`, () => issueCommentCreated(h.github, REPO, issue, comment), m] as [string, () => WebhookEvent, Mutation],
    ),
  ];
}

describe("malformed webhook payloads", () => {
  it("has a broad corpus", () => {
    expect(cases().length).toBeGreaterThanOrEqual(60);
  });

  it("none crashes the app, reaches AWS or writes to GitHub", async () => {
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on("unhandledRejection", onRejection);
    try {
      for (const [name, build, [, mutate]] of cases()) {
        const event = build();
        const payload = structuredClone<Record<string, unknown>>(event.payload);
        mutate(payload);
        const awsBefore = h.aws.calls.length;
        const writesBefore = h.github.writes().length;
        const status = await h.deliver({ name: event.name, payload });
        expect([200, 400], name).toContain(status);
        expect(h.aws.calls.length, name).toBe(awsBefore);
        // Writes that only add the app's own explanatory comment/label on a real issue are fine;
        // nothing may create branches, files, PRs or records.
        const newWrites = h.github
          .writes()
          .slice(writesBefore)
          .filter((w) => /contents|git\/refs|\/pulls$/.test(w));
        expect(newWrites, name).toEqual([]);
      }
    } finally {
      process.off("unhandledRejection", onRejection);
    }
    expect(rejections).toEqual([]);
  });
});
