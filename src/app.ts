// The Probot app: webhook events → the handlers in src/github. Dependencies (AWS, clock, model)
// are injected so scenario tests run the real app against fake GitHub and AWS.
import type { ApplicationFunction, Context, Probot } from "probot";
import { activityLookups } from "./aws/activity.js";
import { defaultClientSettings } from "./aws/clients.js";
import { createGrants } from "./aws/grants.js";
import { readBundle } from "./doctor/aws-facts.js";
import { createIdentityDirectory } from "./aws/identities.js";
import type { Grants, IdentityDirectory } from "./aws/types.js";
import type { Config } from "./domain/types.js";
import type { Result } from "./domain/problems.js";
import type { ActivityLookupFn } from "./github/activity-closeout.js";
import { handleRevokeComment } from "./github/commands.js";
import { OctokitAccessRepo } from "./github/access-repo.js";
import { autoApproveAfterCheck, breakGlassByComment } from "./github/approval-policies.js";
import { grantMergedOnce } from "./github/grant.js";
import { applyMergedIdentities, type OnboardResult } from "./github/identities.js";
import { revokeGrantsOf } from "./github/offboarding.js";
import type { DesiredIdentity } from "./domain/identities-plan.js";
import { handleAccessIssue, type Drafter } from "./github/intake.js";
import { labelInstalledRepos } from "./github/labels.js";
import { bodyChanged, readClosedPr, readComment, readIssue, readPrRef, readRepo, readRerequested, readSender, unreadable } from "./github/payloads.js";
import { CHECK_NAME, checkPullRequest, isAppRequestPr, openPullsAt, sameCheckDone, type BundleReader, type CheckOutcome } from "./github/pr-check.js";
import { handleClosedUnmerged } from "./github/rejection.js";
import { loadCatalogue } from "./iam-data.js";
import { builtinDrafter, draftForRequest } from "./policy/drafter.js";
import { resolveAccount } from "./domain/config.js";
import { createNotifier } from "./notify/index.js";
import type { RequestInterpreter } from "./policy/plain-request.js";
import { createOnboarder } from "./notify/onboarding.js";
import type { Notifier } from "./notify/types.js";
import { callLogLine, countCalls } from "./github/call-log.js";

export interface AppDeps {
  grantsFor: (config: Config) => Grants;
  now: () => Date;
  drafter: Drafter;
  /** Which model reads a request described in words (none: the deterministic extractor). */
  interpreter: RequestInterpreter;
  notifierFor: (config: Config) => Notifier;
  /** The CloudTrail lookup for a revoked grant's activity; null: none (tests that do not look). */
  activityFor: ((config: Config) => ActivityLookupFn) | null;
  /** The identities of identities/ in AWS (applied on merge when identities.enabled). */
  identityDirectoryFor: (config: Config) => IdentityDirectory;
  /** Tells a new person what was created (onboarding.channel of the config). */
  onboard: (config: Config, person: DesiredIdentity, repo: string) => Promise<OnboardResult>;
  /** Reads what a catalogue permission set or managed policy allows, for its PR; null: not read. */
  bundles: BundleReader | null;
}

/**
 * A webhook must answer GitHub within 10 seconds, and the activity runs after the revoke in the
 * same delivery: a few pages at most, stopped after 5 seconds (the comment says so; the sweep and
 * the console have no such limit).
 */
const WEBHOOK_ACTIVITY = { timeLimitMs: 5000, maxEvents: 500 };

/** Drafting per the repository's config: Gemini when configured and keyed, else built-in. */
export function defaultDrafter(env: Readonly<Record<string, string | undefined>>): Drafter {
  return async (request, config) => {
    const account = resolveAccount(config, request.account);
    if (!account) return { request, warnings: [] };
    // The Gemini SDK is loaded only when a repository asks for it: it is a large share of the
    // Lambda bundle's cold start.
    const drafter = config.ai.provider === "gemini" ? (await import("./ai/gemini.js")).createDrafter(config, env) : builtinDrafter;
    const { request: drafted, draft } = await draftForRequest(
      loadCatalogue(),
      request,
      { partition: config.aws.partition, region: config.aws.region, accountId: account.id },
      drafter,
    );
    return { request: drafted, warnings: draft?.warnings ?? [] };
  };
}

/** The model that reads plain-language requests, per the repository's config (the same `ai:` as drafting). */
export function defaultInterpreter(env: Readonly<Record<string, string | undefined>>): RequestInterpreter {
  // Loaded only when a repository asks for Gemini, as for drafting.
  return async (config) => (config.ai.provider === "gemini" ? (await import("./ai/gemini.js")).requestModel(config, env) : { kind: "none" });
}

/** GitHub caps webhook payloads at 25 MB and does not deliver larger ones; both entries refuse more. */
export const MAX_WEBHOOK_BODY_BYTES = 25 * 1024 * 1024;

/** The environment variable that allows Probot's "development" webhook secret on a loopback address. */
export const INSECURE_DEV_FLAG = "JIT_ACCESS_INSECURE_DEV";

/** Probot's own fallback when WEBHOOK_SECRET is unset: anyone who knows it can sign deliveries. */
const PROBOT_DEFAULT_SECRET = "development";

/**
 * Whether HOST (as Probot's server reads it) binds to the loopback interface only. Unset or empty
 * means "localhost" in Probot 14 (its Server's default); "0.0.0.0", "::" and any other name or
 * address may be reachable from elsewhere.
 */
export function bindsToLoopback(host: string | undefined): boolean {
  const h = (host ?? "")
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "" || h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^127\.(?:\d{1,3})\.(?:\d{1,3})\.(?:\d{1,3})$/.test(h) && h.split(".").every((part) => Number(part) <= 255);
}

/** Why a webhook secret is unfit, or undefined when it is fit. */
function secretWeakness(secret: string | undefined): string | undefined {
  if (secret === undefined || secret === "") return "it is not set";
  if (secret.toLowerCase() === PROBOT_DEFAULT_SECRET) return `it is Probot's public default "${PROBOT_DEFAULT_SECRET}"`;
  if (secret.length < 16) return `it has ${secret.length} characters, fewer than 16`;
  if (new Set(secret).size < 4) return "it repeats fewer than 4 distinct characters";
  return undefined;
}

export interface WebhookSecretCheck {
  /** True only when the insecure development flag is in effect; the caller must log `warning`. */
  insecureDevelopment: boolean;
  warning?: string;
}

/**
 * Refuses to receive webhooks without a real secret, whatever NODE_ENV says: a missing or weak
 * WEBHOOK_SECRET makes Probot accept deliveries signed with "development", i.e. by anyone who can
 * reach the URL. The one exception is an explicit JIT_ACCESS_INSECURE_DEV=1 outside production on a
 * server bound to loopback (HOST unset, localhost, 127.x.x.x or ::1), and it comes with a warning.
 */
export function assertWebhookSecret(env: Readonly<Record<string, string | undefined>>): WebhookSecretCheck {
  const weakness = secretWeakness(env.WEBHOOK_SECRET);
  const flag = env[INSECURE_DEV_FLAG];
  if (flag !== undefined && flag !== "" && flag !== "1" && flag !== "0") {
    throw new Error(`${INSECURE_DEV_FLAG} is "${flag}"; set it to 1 (insecure local development only) or leave it unset`);
  }
  if (weakness === undefined) return { insecureDevelopment: false };
  const fix = "set WEBHOOK_SECRET to a random secret of at least 16 characters (openssl rand -hex 32) and the same value in the GitHub App's webhook settings";
  if (flag !== "1") {
    throw new Error(
      `WEBHOOK_SECRET is unfit: ${weakness}, so anyone who can reach the webhook URL could sign deliveries; ${fix}. For local development only, ${INSECURE_DEV_FLAG}=1 allows it on a server bound to localhost`,
    );
  }
  if (env.NODE_ENV === "production") {
    throw new Error(`${INSECURE_DEV_FLAG}=1 is refused with NODE_ENV=production; ${fix}`);
  }
  if (!bindsToLoopback(env.HOST)) {
    throw new Error(
      `${INSECURE_DEV_FLAG}=1 is refused because HOST is "${env.HOST}", which is reachable from other machines; unset HOST (localhost), set it to 127.0.0.1 or ::1, or ${fix}`,
    );
  }
  return {
    insecureDevelopment: true,
    warning: `INSECURE DEVELOPMENT MODE (${INSECURE_DEV_FLAG}=1): WEBHOOK_SECRET is unfit (${weakness}); deliveries signed with a guessable secret are accepted on ${env.HOST || "localhost"}. Never use this where anyone else can reach the server.`,
  };
}

export function jitAccess(overrides: Partial<AppDeps> = {}): ApplicationFunction {
  const deps: AppDeps = {
    grantsFor: overrides.grantsFor ?? ((config) => createGrants(config)),
    now: overrides.now ?? (() => new Date()),
    drafter: overrides.drafter ?? defaultDrafter(process.env),
    interpreter: overrides.interpreter ?? defaultInterpreter(process.env),
    notifierFor: overrides.notifierFor ?? ((config) => createNotifier(config, process.env)),
    bundles: overrides.bundles !== undefined ? overrides.bundles : (config, ref) => readBundle(config, ref, defaultClientSettings(config.aws.region)),
    activityFor:
      overrides.activityFor !== undefined
        ? overrides.activityFor
        : (config) => activityLookups(config, defaultClientSettings(config.aws.region), { now: () => deps.now(), ...WEBHOOK_ACTIVITY }),
    identityDirectoryFor: overrides.identityDirectoryFor ?? ((config) => createIdentityDirectory(config)),
    onboard: overrides.onboard ?? createOnboarder({ env: process.env }),
  };
  // The webhook secret is checked by the entries that own it (src/server.ts, src/index.ts for
  // `probot run`, src/lambda.ts); scenario tests load this function with their own secret.
  return (probot: Probot) => {
    // Each delivery's GitHub calls and the rate limit left, logged when its handler ends.
    const app = {
      auth: probot.auth.bind(probot),
      on: ((events: Parameters<Probot["on"]>[0], handler: (context: Context) => Promise<void>) =>
        probot.on(events, async (context: Context) => {
          const count = countCalls(context.octokit);
          try {
            await handler(context);
          } finally {
            const line = callLogLine(count);
            context.log[line.level]({ event: context.name, ...line.fields }, line.message);
          }
        })) as unknown as Probot["on"],
    };
    // The app's bot login ("<slug>[bot]"): what it wrote (branches, commits, PRs) is told apart
    // from what others wrote by it. Asked once (with the app's JWT); a failure is retried next time.
    let login: Promise<string> | undefined;
    const appLogin = (): Promise<string> =>
      (login ??= app
        .auth()
        .then((gh) => gh.rest.apps.getAuthenticated())
        .then(({ data }) => {
          if (!data?.slug) throw new Error("GET /app answered without the app's slug");
          return `${data.slug}[bot]`;
        })
        .catch((e: unknown) => {
          login = undefined;
          throw e;
        }));

    // Malformed payloads are answered (200) and logged, never thrown on: see payloads.ts.
    const skip = (context: Context, ...reads: Array<Result<unknown>>) =>
      context.log.warn({ event: context.name, reason: unreadable(...reads) }, "ignored malformed webhook payload");

    app.on(["issues.opened", "issues.edited", "issues.labeled", "issues.reopened"], async (context) => {
      const repo = readRepo(context.payload);
      const issue = readIssue(context.payload);
      if (!repo.ok || !issue.ok) return skip(context, repo, issue);
      if (issue.value.state !== "open") return;
      const event = { action: String(context.payload.action), sender: readSender(context.payload), bodyChanged: bodyChanged(context.payload) };
      const outcome = await handleAccessIssue(context.octokit, repo.value, issue.value, {
        now: deps.now(),
        appLogin: await appLogin(),
        event,
        drafter: deps.drafter,
        interpreter: deps.interpreter,
        notifierFor: deps.notifierFor,
        ...(deps.bundles ? { bundles: deps.bundles } : {}),
      });
      context.log.info({ issue: issue.value.number, outcome: outcome.kind }, "intake");
    });

    // Every change to what a PR proposes or where it goes (a push, a new base, a reopen) is
    // checked again at its head, and the app's own request PRs get their description rewritten.
    app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.edited"], async (context) => {
      const repo = readRepo(context.payload);
      const pr = readPrRef(context.payload);
      if (!repo.ok || !pr.ok) return skip(context, repo, pr);
      const self = await appLogin();
      // The app's own edits of a description come back as pull_request.edited: nothing to redo.
      if (context.payload.action === "edited" && readSender(context.payload)?.login.toLowerCase() === self.toLowerCase()) return;
      // The app checked its own new PR inline, at this head: the opened event re-checks only when something it judged moved.
      const access = new OctokitAccessRepo(context.octokit, repo.value);
      const done = context.payload.action === "opened" ? await sameCheckDone(access, pr.value, { now: deps.now(), appLogin: self }) : undefined;
      const outcome: CheckOutcome = done
        ? { kind: "checked", ok: done.ok }
        : await checkPullRequest(context.octokit, repo.value, pr.value, {
            now: deps.now(),
            appLogin: self,
            ...(deps.bundles ? { bundles: deps.bundles } : {}),
          });
      context.log.info({ pr: pr.value.number, outcome: outcome.kind, ...(done ? { reused: true } : {}) }, "check");
      // A request PR of the app's own may be approved by an auto_approve rule (merged only when the check passed).
      if (outcome.kind === "checked") {
        const auto = await autoApproveAfterCheck(done ? access : new OctokitAccessRepo(context.octokit, repo.value), pr.value, {
          now: deps.now(),
          appLogin: self,
          checkPassed: outcome.ok,
        });
        if (auto.kind !== "ignored") context.log.info({ pr: pr.value.number, outcome: auto.kind }, "auto-approve");
      }
    });

    // "Re-run" on the check (one run, or the whole suite) checks every open PR at that commit
    // again, exactly as a push would.
    app.on(["check_run.rerequested", "check_suite.rerequested"], async (context) => {
      const repo = readRepo(context.payload);
      if (!repo.ok) return skip(context, repo);
      const rerun = readRerequested(context.name, context.payload);
      if (!rerun.ok) return skip(context, rerun);
      if (rerun.value.name !== undefined && rerun.value.name !== CHECK_NAME) return;
      const self = await appLogin();
      for (const pr of await openPullsAt(context.octokit, repo.value, rerun.value.headSha)) {
        const outcome = await checkPullRequest(context.octokit, repo.value, pr, {
          now: deps.now(),
          appLogin: self,
          ...(deps.bundles ? { bundles: deps.bundles } : {}),
        });
        context.log.info({ pr: pr.number, outcome: outcome.kind }, "check re-run");
      }
    });

    app.on("pull_request.closed", async (context) => {
      const repo = readRepo(context.payload);
      const pr = readClosedPr(context.payload);
      if (!repo.ok || !pr.ok) return skip(context, repo, pr);
      if (!pr.value.merged) {
        // Closing a request PR rejects (and closes) its issue: only the app's own request PRs
        // count, or anyone could close someone's request by opening and closing a PR from jit/<n>-….
        if (!isAppRequestPr(pr.value, repo.value, await appLogin())) return;
        const outcome = await handleClosedUnmerged(context.octokit, repo.value, { ...pr.value, closedBy: readSender(context.payload) ?? null }, deps);
        context.log.info({ pr: pr.value.number, outcome: outcome.kind }, "closed");
        return;
      }
      // Only merges into the default branch grant.
      if (pr.value.baseRef !== repo.value.defaultBranch) return;
      // One view of the merged PR for both use cases: its file list is read once.
      const merged = new OctokitAccessRepo(context.octokit, repo.value, { mergedPr: pr.value.number });
      const outcome = await grantMergedOnce(merged, pr.value, { ...deps, appLogin: await appLogin() });
      context.log.info({ pr: pr.value.number, outcome }, "merge");
      const identities = await applyMergedIdentities(merged, pr.value, {
        directoryFor: deps.identityDirectoryFor,
        revokeGrantsOf: (access, config, login, number) => revokeGrantsOf(access, config, login, number, deps),
        onboard: deps.onboard,
        now: deps.now,
      });
      if (identities.kind !== "ignored") context.log.info({ pr: pr.value.number, outcome: identities.kind }, "identities");
    });

    // Installed on repositories (a new installation, or repositories added to one): the labels
    // are created in those that hold the jit-access config, before the first request needs them.
    // An installation on every repository of an organisation leaves the others untouched.
    app.on(["installation.created", "installation_repositories.added"], async (context) => {
      const labelled = await labelInstalledRepos(context.octokit, context.payload);
      context.log.info({ event: context.name, labelled }, "labels");
    });

    app.on("issue_comment.created", async (context) => {
      const repo = readRepo(context.payload);
      const comment = readComment(context.payload);
      if (!repo.ok || !comment.ok) return skip(context, repo, comment);
      const outcome = await handleRevokeComment(context.octokit, repo.value, comment.value, deps);
      if (outcome.kind !== "ignored") context.log.info({ issue: comment.value.issueNumber, outcome }, "command");
      const glass = await breakGlassByComment(new OctokitAccessRepo(context.octokit, repo.value), comment.value, {
        now: deps.now(),
        appLogin: await appLogin(),
      });
      if (glass.kind !== "ignored") context.log.info({ issue: comment.value.issueNumber, outcome: glass }, "break-glass");
    });
  };
}
