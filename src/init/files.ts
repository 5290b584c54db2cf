// The files of an access repository that `jit-access init` writes, as text. Pure: the bundled
// issue form comes in as a string.
import * as yaml from "js-yaml";
import { CONFIG_PATH } from "../domain/config.js";
import { FORM_PATH } from "../domain/issue-form.js";
import type { InitOptions } from "./options.js";

export { FORM_PATH };
export const CODEOWNERS_PATH = ".github/CODEOWNERS";
export const VALIDATE_PATH = ".github/workflows/validate.yml";
export const EXPIRE_PATH = ".github/workflows/expire.yml";
export const README_PATH = "README.md";
export const KEEP_PATH = "access-requests/.gitkeep";

/**
 * Third-party actions of the generated workflows, pinned to the same commits as this repository's
 * own workflows (test/init.test.ts compares them, so a Dependabot bump here is not missed there).
 */
export const PINNED = {
  checkout: "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
  appToken: "actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3 # v3.1.1",
  awsCredentials: "aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3",
} as const;

const q = (s: string) => JSON.stringify(s);
/** A mapping key as YAML reads it back: an alias such as 00, 1e3 or true is quoted, or it would be a number or a boolean. */
const key = (s: string) => (/^[A-Za-z][A-Za-z0-9-]*$/.test(s) && !/^(true|false|null)$/i.test(s) ? s : q(s));
const owner = (approver: string) => (approver.startsWith("@") ? approver : `@${approver}`);

/** The variable the Lambda gives the Slack secret's URL (src/secrets.ts SLACK_WEBHOOK_VARIABLE; a test keeps them equal). */
export const SLACK_VARIABLE = "JIT_SLACK_WEBHOOK";

export function configText(o: InitOptions): string {
  const width = Math.max(...o.accounts.map((a) => key(a.alias).length));
  const lines = [
    "# jit-access configuration of this access repository, written by `jit-access init`.",
    "# Format: schemas/config.schema.json in the jit-access package. The app reads this file from the",
    "# default branch; changes are reviewed by the code owners of .github/ (.github/CODEOWNERS).",
    "aws:",
    `  mode: ${o.mode}${" ".repeat(Math.max(1, 24 - o.mode.length))}# iam | identity-center`,
    `  region: ${o.region}${" ".repeat(Math.max(1, 22 - o.region.length))}# where schedules are created (and the stack is deployed)`,
    "  accounts:                     # alias -> 12-digit account id; requests name the alias",
    ...o.accounts.map((a) => `    ${key(a.alias)}:${" ".repeat(width - key(a.alias).length + 1)}${q(a.id)}`),
  ];
  if (o.identityCenter) {
    lines.push(
      "  identity_center:              # aws sso-admin list-instances",
      `    instance_arn: ${q(o.identityCenter.instanceArn)}`,
      `    identity_store_id: ${q(o.identityCenter.identityStoreId)}`,
    );
  }
  lines.push(
    o.schedulerRoleArn
      ? `  scheduler_role_arn: ${q(o.schedulerRoleArn)}`
      : "  # scheduler_role_arn: arn:aws:iam::123456789012:role/...   # the stack output SchedulerRoleArn (deploy/template.yaml)",
  );
  const example = o.mode === "iam" ? "alice: { iam_user: alice }     # or { iam_role: role-name }" : "alice: { sso_user: alice@example.com }";
  if (o.principals.length) {
    lines.push("principals:                     # GitHub login -> the AWS identity that receives the access");
    for (const p of o.principals) lines.push(`  ${key(p.login)}: { ${p.kind}: ${q(p.name)} }`);
  } else {
    lines.push("principals: {}                  # GitHub login -> the AWS identity that receives the access; add one per requester:", `#  ${example}`);
  }
  lines.push(
    `approvers: [${o.approvers.map(q).join(", ")}]   # logins or @org/team; CODEOWNERS names the same`,
    "required_approvals: { low: 1, medium: 1, high: 2 }   # distinct approvers per risk tier",
    "default_duration: 8h",
    "max_duration: 24h",
    "ai:",
    "  provider: builtin             # builtin | gemini (needs GEMINI_API_KEY in the app's environment)",
  );
  if (o.slack) {
    lines.push(
      "notifications:",
      `  slack_webhook_env: ${SLACK_VARIABLE}   # the app: stack parameter SlackSecretArn; the sweep: environment secret ${SLACK_VARIABLE}`,
    );
  }
  lines.push("");
  return lines.join("\n");
}

interface FormField {
  type: string;
  id?: string;
  attributes: Record<string, unknown>;
  validations?: Record<string, unknown>;
}

/**
 * The bundled issue form with its Account field turned into a dropdown of the configured
 * aliases: a requester picks instead of typing. With several accounts it takes several options
 * (`multiple: true`): GitHub writes the picked ones comma-separated, which the app's parser
 * (src/domain/issue-form.ts) reads as a request in several accounts. The field keeps its id and
 * label, so the parser reads it as before.
 */
export function issueFormText(bundled: string, o: InitOptions): string {
  const form = yaml.load(bundled, { schema: yaml.CORE_SCHEMA }) as { body?: FormField[] };
  if (!form || !Array.isArray(form.body)) throw new Error(`the bundled ${FORM_PATH} has no body`);
  const i = form.body.findIndex((f) => f.id === "account");
  const account = form.body[i];
  if (!account) throw new Error(`the bundled ${FORM_PATH} has no account field`);
  form.body[i] = {
    type: "dropdown",
    id: "account",
    attributes: {
      label: account.attributes.label,
      description:
        o.accounts.length > 1
          ? "The AWS account (its alias in .github/jit-access.yml); pick several for the same access in each of them."
          : "The AWS account (its alias in .github/jit-access.yml).",
      ...(o.accounts.length > 1 ? { multiple: true } : {}),
      options: o.accounts.map((a) => a.alias),
    },
    validations: { required: true },
  };
  const header =
    "# The access request form, written by `jit-access init`: the Account options are the aliases of\n# .github/jit-access.yml. Field ids and labels are what the app reads; keep them.\n";
  return header + yaml.dump(form, { schema: yaml.CORE_SCHEMA, lineWidth: 100, noRefs: true });
}

export function codeownersText(o: InitOptions): string {
  const owners = o.approvers.map(owner).join(" ");
  return [
    '# Written by `jit-access init`. With branch protection\'s "Require review from Code Owners", a',
    "# request under access-requests/<alias>/ needs a review from that account's owners, and the",
    "# config, form, workflows and this file need one from the owners of .github/.",
    "# The last matching line wins: give an account its own approvers on its line.",
    `/.github/ ${owners}`,
    ...o.accounts.map((a) => `/access-requests/${a.alias}/ ${owners}`),
    "",
  ].join("\n");
}

function actionUses(o: InitOptions): string {
  const sha = /^[0-9a-f]{40}$/.test(o.actionRef);
  return `${o.action}@${o.actionRef}${sha ? ` # v${o.cliVersion}` : ""}`;
}

export function validateWorkflowText(o: InitOptions): string {
  return `# Checks request files in pull requests, also before the GitHub App is installed (the app reports
# the required check jit-access/validate on every pull request once it is). Written by
# \`jit-access init\`. It runs the jit-access action ${o.action}@${o.actionRef} (command: validate,
# its committed bundle: nothing is installed), with no secret and a read-only token.
name: validate access requests
on:
  pull_request:
    paths: ["access-requests/**"]
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: ${PINNED.checkout}
        with:
          fetch-depth: 0
          persist-credentials: false
      - name: List the changed request files
        env:
          BASE_SHA: \${{ github.event.pull_request.base.sha }}
        run: |
          # NUL-separated so that odd file names cannot split into extra arguments; the action
          # refuses any entry that is not a .yaml or .yml under access-requests/.
          git diff -z --name-only --diff-filter=ACMR "$BASE_SHA"...HEAD -- 'access-requests/*.yaml' 'access-requests/*.yml' > "$RUNNER_TEMP/changed-requests"
      - uses: ${actionUses(o)}
        with:
          command: validate
          files-from: \${{ runner.temp }}/changed-requests
          config-path: ${CONFIG_PATH}
`;
}

export function expireWorkflowText(o: InitOptions): string {
  return `# The expiry sweep, written by \`jit-access init\`: the backstop behind the policy's own time
# condition and the AWS Scheduler schedule. Every 15 minutes, off the hour, and on demand.
# Records are written with the GitHub App's token; AWS is reached through OIDC with a role.
#
# Set up (docs/install.md of jit-access): an environment \`jit-access-sweep\` whose deployment
# branches are the default branch only, holding the secret JIT_ACCESS_APP_PRIVATE_KEY and the
# variables JIT_ACCESS_APP_CLIENT_ID, JIT_ACCESS_SWEEP_ROLE_ARN (the stack output SweepRoleArn) and
# AWS_REGION. The role trusts only repo:<owner>/<repo>:environment:jit-access-sweep.
#
# The sweep and the report are the jit-access action at ${o.action}@${o.actionRef}: its committed
# bundle (dist/sweep.js) runs as is, with nothing installed. init's default ref is the release tag
# of the jit-access that ran it (v${o.cliVersion}); a tag can be moved, so pin the release's commit
# SHA with \`jit-access init --force --action-ref <40-character SHA>\` (or edit the uses: lines).
name: expire
on:
  schedule:
    - cron: "7,22,37,52 * * * *"
  workflow_dispatch:
    inputs:
      dry-run:
        description: Only show what would be done
        type: boolean
        default: false
concurrency:
  group: jit-access-sweep
  cancel-in-progress: false
# Nothing by default: each job asks for what it uses.
permissions: {}
jobs:
  sweep:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    environment: jit-access-sweep
    permissions:
      id-token: write # the OIDC token for the sweep role; nothing is checked out
    steps:
      - id: app-token
        uses: ${PINNED.appToken}
        with:
          client-id: \${{ vars.JIT_ACCESS_APP_CLIENT_ID }}
          private-key: \${{ secrets.JIT_ACCESS_APP_PRIVATE_KEY }}
          # Only what the sweep calls: read the config and commit records (contents), comment on,
          # label and close the request's issue (issues), remind on and close request pull
          # requests nobody approved within pending_ttl (pull-requests).
          permission-contents: write
          permission-issues: write
          permission-pull-requests: write
          # Read an approving team's members again when a scheduled request starts.
          permission-members: read
      - uses: ${PINNED.awsCredentials}
        with:
          role-to-assume: \${{ vars.JIT_ACCESS_SWEEP_ROLE_ARN }}
          role-session-name: jit-access-sweep-\${{ github.run_id }}
          aws-region: \${{ vars.AWS_REGION || '${o.region}' }}
      - uses: ${actionUses(o)}${
        o.slack
          ? `
        env:
          # The Slack webhook URL, from the environment secret of that name (config: notifications).
          ${SLACK_VARIABLE}: \${{ secrets.${SLACK_VARIABLE} }}`
          : ""
      }
        with:
          command: sweep
          github-token: \${{ steps.app-token.outputs.token }}
          config-path: ${CONFIG_PATH}
          dry-run: \${{ inputs.dry-run || false }}
          concurrency: "4"

  # The access report in the job summary: a job of its own, after the sweep, with no AWS
  # credentials, no app key and a read-only token.
  report:
    needs: sweep
    if: \${{ !cancelled() }}
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read
    steps:
      - uses: ${PINNED.checkout}
        with:
          ref: \${{ github.event.repository.default_branch }} # the tip, with the records the sweep just wrote
          fetch-depth: 0 # the report reads the records' history
          persist-credentials: false
      - name: Access report
        continue-on-error: true
        uses: ${actionUses(o)}
        with:
          command: report
          config-path: ${CONFIG_PATH}
`;
}

export function readmeText(o: InitOptions): string {
  const accounts = o.accounts.map((a) => `| \`${a.alias}\` | ${a.id} |`).join("\n");
  const approvers = o.approvers.map((a) => `\`${owner(a)}\``).join(", ");
  const identity = o.mode === "iam" ? "an IAM policy attached to your IAM user or role" : "a permission set assigned to your Identity Center user";
  return `# AWS access requests

Temporary, least-privilege AWS access through pull requests ([jit-access](https://github.com/${o.action})).
Access is granted as ${identity} and removed when its time is up.

## Ask for access

1. **New issue → "AWS access request".** Pick the account, name the service (\`s3\`, \`dynamodb\`, …),
   list the resources, tick the access levels you need, give a duration (default 8h, at most 24h)
   and a reason. Do not paste secrets.
2. The app opens a pull request with the request file under \`access-requests/<account>/\`, the
   policy it drafted, a plain-language table of what it allows, the risk tier and the expiry.
   If something is wrong, it comments on your issue; edit the issue and it tries again.
3. An approver (${approvers}) reviews and approves the pull request; high-risk requests need two.
   You cannot approve your own request.
4. When the pull request is merged, the access is granted and the issue says until when.

You can also open the pull request yourself: add a file under \`access-requests/<account>/\`
(\`jit-access plan --write FILE\` of the [jit-access CLI](https://github.com/${o.action}/blob/${o.actionRef}/docs/cli.md)
adds the policy) and open a pull request.

## Accounts

| Alias | Account |
| --- | --- |
${accounts}

## End it early

Comment \`/revoke\` (optionally with a reason) on the issue or pull request. The access also ends
by itself at the expiry; the \`expire\` workflow is the backstop.

## For approvers

Approve only what the table and the reason justify. A change to the file after your approval
dismisses it. Configuration: \`.github/jit-access.yml\`; who approves what: \`.github/CODEOWNERS\`.
`;
}
