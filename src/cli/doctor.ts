// `jit-access doctor`: reads a live installation (GitHub with a token, AWS with the default
// credential chain), runs the checks of src/doctor/checks.ts and prints one line per check.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as yaml from "js-yaml";
import { defaultClientSettings, type ClientSettings } from "../aws/clients.js";
import { UsageError, type Io } from "./support.js";
import { appLabels } from "../github/labels.js";
import { checkWebhookUrl } from "../notify/slack-sender.js";
import { packageRoot } from "../package-root.js";
import { createSweepOctokit, type SweepOctokit } from "../sweep/octokit.js";
import { configOf, exitCode, formatResults, runChecks, type SlackFacts } from "../doctor/checks.js";
import { gatherAwsFacts } from "../doctor/aws-facts.js";
import { gatherGitHubFacts } from "../doctor/github-facts.js";

export const DOCTOR_USAGE = `  doctor --repo OWNER/NAME [--github-token TOKEN] [--app-slug SLUG] [--aws-account ID] [--json]
                                                check a live installation: config, CODEOWNERS, labels,
                                                the app, branch protection, AWS, Slack (read-only;
                                                token from GITHUB_TOKEN, AWS from the default chain)
`;

export interface DoctorOptions {
  /** Environment (default process.env): GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY, the Slack variable. */
  env?: NodeJS.ProcessEnv;
  /** AWS client settings (default: the config's region, default credential chain). */
  awsSettings?: (region: string) => ClientSettings;
  /** Called with the GitHub client before any request (tests check its exchanges). */
  onOctokit?: (octokit: SweepOctokit) => void;
}

/** app.yml's default_permissions: what the installation must have. */
export function wantedPermissions(): Record<string, string> {
  const manifest = yaml.load(readFileSync(join(packageRoot(), "app.yml"), "utf8")) as { default_permissions?: Record<string, string> };
  return manifest.default_permissions ?? {};
}

export async function doctorCommand(args: string[], io: Io, opts: DoctorOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      repo: { type: "string" },
      "github-token": { type: "string" },
      "app-slug": { type: "string", default: "jit-access" },
      "aws-account": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals.length) throw new UsageError(`doctor takes no operands (got ${JSON.stringify(positionals[0])})`);
  const repo = values.repo ?? env.GITHUB_REPOSITORY;
  if (!repo) throw new UsageError("doctor needs --repo OWNER/NAME (or GITHUB_REPOSITORY)");
  if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repo)) throw new UsageError(`--repo ${JSON.stringify(repo)} is not OWNER/NAME, e.g. acme/access`);
  const token = values["github-token"] ?? env.GITHUB_TOKEN;
  if (!token) throw new UsageError("doctor needs a GitHub token: --github-token TOKEN or GITHUB_TOKEN (an organisation owner's token reads every check)");
  const account = values["aws-account"];
  if (account !== undefined && !/^\d{12}$/.test(account)) throw new UsageError(`--aws-account ${JSON.stringify(account)} is not a 12-digit AWS account id`);
  const slug = values["app-slug"];
  if (!/^[a-z0-9][a-z0-9-]{0,33}$/i.test(slug)) throw new UsageError(`--app-slug ${JSON.stringify(slug)} is not a GitHub App slug such as jit-access`);

  const octokit = createSweepOctokit({
    token,
    ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
    warn: (m) => io.stderr.write(`jit-access: ${m}\n`),
  });
  opts.onOctokit?.(octokit);
  const github = await gatherGitHubFacts(octokit, repo, slug);
  const config = configOf(github);
  const aws = config ? await gatherAwsFacts(config, (opts.awsSettings ?? defaultClientSettings)(config.aws.region)) : undefined;
  const slack: SlackFacts = {};
  const envName = config?.notifications.slack_webhook_env;
  if (envName) {
    slack.envName = envName;
    const raw = env[envName];
    if (!raw) slack.value = { set: false };
    else {
      const checked = checkWebhookUrl(raw);
      slack.value = checked.ok ? { set: true, valid: true } : { set: true, valid: false, reason: checked.reason };
    }
  }
  const results = runChecks({
    github,
    ...(aws ? { aws } : {}),
    slack,
    wantedLabels: appLabels().map((l) => l.name),
    wantedPermissions: wantedPermissions(),
    appSlug: slug,
    ...(account ? { expectedAccount: account } : {}),
  });
  if (values.json) io.stdout.write(JSON.stringify({ repo, ok: exitCode(results) === 0, checks: results }, null, 2) + "\n");
  else io.stdout.write(formatResults(results));
  return exitCode(results);
}
