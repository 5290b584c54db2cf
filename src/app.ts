// The Probot app: webhook events → the handlers in src/github. Dependencies (AWS, clock, model)
// are injected so scenario tests run the real app against fake GitHub and AWS.
import type { ApplicationFunction, Context, Probot } from "probot";
import { createDrafter } from "./ai/gemini.js";
import { createGrants } from "./aws/grants.js";
import type { Grants } from "./aws/types.js";
import type { Config } from "./domain/types.js";
import { handleRevokeComment } from "./github/commands.js";
import { handleMergedPr } from "./github/grant.js";
import { handleAccessIssue, type Drafter } from "./github/intake.js";
import type { RepoRef } from "./github/octokit-helpers.js";
import { checkPullRequest } from "./github/pr-check.js";
import { handleClosedUnmerged } from "./github/rejection.js";
import { loadCatalogue } from "./iam-data.js";
import { draftForRequest } from "./policy/drafter.js";
import { resolveAccount } from "./domain/config.js";

export interface AppDeps {
  grantsFor: (config: Config) => Grants;
  now: () => Date;
  drafter: Drafter;
}

/** Drafting per the repository's config: Gemini when configured and keyed, else built-in. */
export function defaultDrafter(env: Readonly<Record<string, string | undefined>>): Drafter {
  return async (request, config) => {
    const account = resolveAccount(config, request.account);
    if (!account) return { request, warnings: [] };
    const { request: drafted, draft } = await draftForRequest(
      loadCatalogue(),
      request,
      { partition: config.aws.partition, region: config.aws.region, accountId: account.id },
      createDrafter(config, env),
    );
    return { request: drafted, warnings: draft?.warnings ?? [] };
  };
}

function repoOf(context: Context<"issues" | "pull_request" | "issue_comment">): RepoRef {
  const r = context.payload.repository;
  return { owner: r.owner.login, repo: r.name, defaultBranch: r.default_branch };
}

/** Refuses to run in production with Probot's fallback webhook secret. */
export function assertWebhookSecret(env: Readonly<Record<string, string | undefined>>): void {
  const secret = env.WEBHOOK_SECRET;
  if (env.NODE_ENV === "production" && (!secret || secret === "development" || secret.length < 16)) {
    throw new Error("WEBHOOK_SECRET must be set to a random secret of at least 16 characters in production (Probot would otherwise accept webhooks signed with \"development\")");
  }
}

export function jitAccess(overrides: Partial<AppDeps> = {}): ApplicationFunction {
  const deps: AppDeps = {
    grantsFor: overrides.grantsFor ?? ((config) => createGrants(config)),
    now: overrides.now ?? (() => new Date()),
    drafter: overrides.drafter ?? defaultDrafter(process.env),
  };
  return (app: Probot) => {
    assertWebhookSecret(process.env);

    app.on(["issues.opened", "issues.edited", "issues.labeled", "issues.reopened"], async (context) => {
      const issue = context.payload.issue;
      if (issue.state !== "open") return;
      const outcome = await handleAccessIssue(
        context.octokit,
        repoOf(context),
        {
          number: issue.number,
          title: issue.title,
          body: issue.body,
          author: { login: issue.user?.login ?? "", type: issue.user?.type ?? "" },
          createdAt: issue.created_at,
          labels: (issue.labels ?? []).map((l) => (typeof l === "string" ? l : (l?.name ?? ""))),
        },
        { now: deps.now(), drafter: deps.drafter },
      );
      context.log.info({ issue: issue.number, outcome: outcome.kind }, "intake");
    });

    app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"], async (context) => {
      const pr = context.payload.pull_request;
      const outcome = await checkPullRequest(
        context.octokit,
        repoOf(context),
        {
          number: pr.number,
          headSha: pr.head.sha,
          headRef: pr.head.ref,
          baseSha: pr.base.sha,
          sameRepo: pr.head.repo?.full_name === context.payload.repository.full_name,
          ...(typeof pr.changed_files === "number" ? { changedFiles: pr.changed_files } : {}),
        },
        { now: deps.now() },
      );
      context.log.info({ pr: pr.number, outcome: outcome.kind }, "check");
    });

    app.on("pull_request.closed", async (context) => {
      const pr = context.payload.pull_request;
      const repo = repoOf(context);
      if (!pr.merged) {
        const outcome = await handleClosedUnmerged(context.octokit, repo, { number: pr.number, headRef: pr.head.ref, sameRepo: pr.head.repo?.full_name === context.payload.repository.full_name });
        context.log.info({ pr: pr.number, outcome: outcome.kind }, "closed");
        return;
      }
      // Only merges into the default branch grant.
      if (pr.base.ref !== repo.defaultBranch) return;
      const outcome = await handleMergedPr(
        context.octokit,
        repo,
        {
          number: pr.number,
          merged: pr.merged,
          mergeCommitSha: pr.merge_commit_sha,
          mergedAt: pr.merged_at,
          headSha: pr.head.sha,
          headRef: pr.head.ref,
          baseSha: pr.base.sha,
          author: pr.user ? { login: pr.user.login, type: pr.user.type } : null,
          ...(typeof pr.changed_files === "number" ? { changedFiles: pr.changed_files } : {}),
          htmlUrl: pr.html_url,
        },
        deps,
      );
      context.log.info({ pr: pr.number, outcome }, "merge");
    });

    app.on("issue_comment.created", async (context) => {
      const c = context.payload.comment;
      const outcome = await handleRevokeComment(
        context.octokit,
        repoOf(context),
        { issueNumber: context.payload.issue.number, body: c.body, author: { login: c.user?.login ?? "", type: c.user?.type ?? "" } },
        deps,
      );
      if (outcome.kind !== "ignored") context.log.info({ issue: context.payload.issue.number, outcome }, "command");
    });
  };
}
