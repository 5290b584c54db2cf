// Where the records are and how to reach AWS, for the CLI commands and the Action: a local git
// checkout by default; the GitHub contents API when a token and a repository are given (like the
// app: the Action, or a CLI run with GITHUB_TOKEN and GITHUB_REPOSITORY set).
import { CONFIG_PATH, parseConfig } from "../domain/config.js";
import type { Config, Problem } from "../domain/types.js";
import { createGrants, type ClientSettings, type Grants } from "../aws/index.js";
import { findRepoRoot, loadConfigFile } from "../cli/support.js";
import { ConditionalContents } from "../github/contents-cache.js";
import { GitHubRecordStore } from "../github/store.js";
import { GitRecordStore } from "../store/git-store.js";
import type { RecordStore } from "../store/record-store.js";
import type { Alerts, Notifier } from "./execute.js";
import { createNotifier } from "../notify/index.js";
import type { AccessRequest } from "../domain/types.js";
import { GitHubNotifier } from "../github/closer.js";
import { activityLookups } from "../aws/activity.js";
import { defaultClientSettings } from "../aws/clients.js";
import { OctokitIssueSide } from "../github/issue-side.js";
import { activityPort } from "../github/activity-closeout.js";
import { createSweepOctokit } from "./octokit.js";
import { SweepRequestsRepo } from "../github/sweep-requests.js";
import type { AccessRepo, UnapprovedRepo } from "../lifecycle/ports.js";
import { teamReader } from "../github/team-reader.js";
import { loadCatalogue } from "../iam-data.js";
import type { Catalogue } from "../policy/catalogue.js";

/**
 * The sweep's SDK clients retry in "standard" mode (exponential backoff with jitter), not the
 * app's "adaptive": the sweep is a batch that pushes against AWS's rate limit with bounded
 * concurrency, and adaptive mode's per-client CUBIC limiter, once throttled, held it to ~70% of
 * the limit in bench/sweep.ts while standard mode kept ≥ 90% — both with zero failures. The
 * concurrency bound (default 4) is what keeps the pressure on AWS bounded.
 */
export const SWEEP_CLIENT_SETTINGS: ClientSettings = { retryMode: "standard", maxAttempts: 8 };

export interface Records {
  kind: "git" | "github";
  /** For messages: the checkout folder or owner/repo@branch. */
  where: string;
  store: RecordStore;
  config: Config;
  notifier?: Notifier;
  alerts?: Alerts;
  remindOnce?: (request: AccessRequest) => Promise<boolean>;
  uncommitted?: () => Promise<string[]>;
  grants: () => Grants;
  /** The IAM catalogue a scheduled start is judged with again (loaded on first use). */
  catalogue?: () => Catalogue;
  /** Team memberships, to judge a scheduled start's approval again (GitHub mode only). */
  teams?: Pick<AccessRepo, "teamMembership">;
  /** The web address of a request's pull request (GitHub mode only). */
  pullUrl?: (pr: number) => string;
  /** A closed grant's activity (closeGrant's port); absent when the config turns it off. */
  activity?: (file: string, id: string) => Promise<unknown>;
  /** The access repository on GitHub (GitHub mode only): its open request pull requests expire after pending_ttl. */
  requests?: UnapprovedRepo;
}

/** The one Result shape; a failure also names the config file it could not use. */
export type OpenResult = { ok: true; value: Records } | { ok: false; problems: Problem[]; file: string };

export interface OpenOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** --config: a file in the checkout (git) or a path in the repository (GitHub). */
  configPath?: string;
  /** Overrides GITHUB_TOKEN (the Action's github-token input). */
  token?: string;
}

export async function openRecords(opts: OpenOptions): Promise<OpenResult> {
  const token = opts.token || opts.env.GITHUB_TOKEN;
  const repository = opts.env.GITHUB_REPOSITORY;
  let lazyGrants: Grants | undefined;
  const grantsFor = (config: Config) => () => (lazyGrants ??= createGrants(config, { clientSettings: SWEEP_CLIENT_SETTINGS }));

  if (token && repository) {
    const [owner, repo] = repository.split("/");
    if (!owner || !repo) throw new Error(`GITHUB_REPOSITORY ${JSON.stringify(repository)} is not owner/repo`);
    const octokit = createSweepOctokit({ token, ...(opts.env.GITHUB_API_URL ? { baseUrl: opts.env.GITHUB_API_URL } : {}) });
    const { data } = await octokit.rest.repos.get({ owner, repo });
    const branch = data.default_branch;
    // Conditional reads: a record read before is answered 304 when unchanged.
    // The listing takes the branch's tarball and tree: two calls for any number of records.
    const store = new GitHubRecordStore(new ConditionalContents(octokit), { owner, repo, branch }, { archive: octokit });
    const path = opts.configPath ?? CONFIG_PATH;
    const file = await store.read(path);
    if (!file && opts.configPath)
      return { ok: false, file: path, problems: [{ code: "cli.config-missing", path: "", message: `${path} does not exist in ${owner}/${repo}@${branch}` }] };
    const parsed = parseConfig(file?.text);
    if (!parsed.ok) return { ok: false, file: path, problems: parsed.problems };
    const notifier = new GitHubNotifier(octokit, { owner, repo, defaultBranch: branch });
    return {
      ok: true,
      value: {
        kind: "github",
        where: `${owner}/${repo}@${branch}`,
        store,
        config: parsed.value,
        notifier,
        alerts: createNotifier(parsed.value, opts.env),
        remindOnce: (request) => notifier.remindOnce(request),
        grants: grantsFor(parsed.value),
        catalogue: loadCatalogue,
        teams: teamReader(octokit),
        pullUrl: (pr) => `${data.html_url}/pull/${pr}`,
        ...activityOf(parsed.value, store, new OctokitIssueSide(octokit, { owner, repo })),
        requests: new SweepRequestsRepo(octokit, { owner, repo, defaultBranch: branch }),
      },
    };
  }

  const root = findRepoRoot(opts.cwd);
  const loaded = loadConfigFile(root, opts.cwd, opts.configPath);
  if (!loaded.ok) return { ok: false, file: loaded.file, problems: loaded.problems };
  const store = new GitRecordStore(root);
  // A local checkout has no place to remember reminders, so it sends none; expiries are still told.
  return {
    ok: true,
    value: {
      kind: "git",
      where: root,
      store,
      config: loaded.value,
      alerts: createNotifier(loaded.value, opts.env),
      uncommitted: () => store.uncommitted(),
      grants: grantsFor(loaded.value),
      catalogue: loadCatalogue,
      ...activityOf(loaded.value, store),
    },
  };
}

/**
 * The activity of what the sweep or `revoke` closes: looked up with the sweep's AWS settings, the
 * comment upserted on the issue when the records are on GitHub (a local checkout only commits it).
 */
function activityOf(config: Config, store: RecordStore, github?: OctokitIssueSide): { activity?: (file: string, id: string) => Promise<unknown> } {
  const now = () => new Date();
  const lookup = activityLookups(config, { ...defaultClientSettings(config.aws.region), ...SWEEP_CLIENT_SETTINGS }, { now });
  const port = activityPort({ config, store, lookup, now, ...(github ? { github } : {}) });
  return port ? { activity: port } : {};
}
