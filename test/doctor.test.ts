// `jit-access doctor` against the fake GitHub and the fake AWS: one all-green installation, then
// one broken wiring per case (the named check fails with its fix, and no other check fails),
// gatherer failures (a failed check naming what could not be read, never a crash), --json and
// the exit codes.
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { doctorCommand } from "../src/cli/doctor.js";
import { CHECK_IDS, exitCode, runChecks, trusts, type CheckResult, type DoctorFacts } from "../src/doctor/checks.js";
import { roleNameOf } from "../src/doctor/aws-facts.js";
import { appLabels } from "../src/github/labels.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { HOME, OTHER } from "./support/fake-aws/fixtures.js";
import { APP_PERMISSIONS } from "./support/fake-github/state.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";
import { runCli } from "./support/cli.js";
import { ConformanceChecker } from "./support/openapi-conformance.js";

const REPO = "acme/access";
const SCHEDULER_ROLE = `arn:aws:iam::${HOME}:role/jit-access-scheduler`;
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";

const IAM_CONFIG = `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${HOME}"
    staging: { id: "${OTHER}", role_arn: "arn:aws:iam::${OTHER}:role/jit-access" }
  scheduler_role_arn: ${SCHEDULER_ROLE}
principals:
  alice: { iam_user: alice }
approvers: [bob]
`;
const SSO_CONFIG = `aws:
  mode: identity-center
  region: us-east-1
  accounts:
    prod: "${HOME}"
  scheduler_role_arn: ${SCHEDULER_ROLE}
  identity_center: { instance_arn: "${INSTANCE}", identity_store_id: d-1111111111 }
principals:
  alice: { sso_user: alice@example.com }
approvers: [bob]
`;
const CODEOWNERS = "/access-requests/prod/ @acme/approvers\n/access-requests/staging/ @acme/approvers\n";

interface Setup {
  /** undefined: no config file. */
  config: string | undefined;
  codeowners: string | undefined;
  labels: string[];
  permissions: Record<string, string>;
  protection: Record<string, unknown> | undefined;
  rules: Array<Record<string, unknown>>;
  role: { trust: string | undefined } | undefined;
  group: boolean;
  ssoUsers: string[];
  instance: boolean;
  args: string[];
  env: Record<string, string>;
  /** Runs once the fake AWS exists (e.g. to add faults). */
  withAws?: (aws: FakeAws) => void;
  /** Text output instead of --json (then `checks` is empty). */
  text?: boolean;
}

/** GET .../branches/main/protection as GitHub answers it. */
function protection(codeOwners: boolean): Record<string, unknown> {
  const url = `https://api.github.com/repos/${REPO}/branches/main/protection`;
  return {
    url,
    required_pull_request_reviews: {
      url: `${url}/required_pull_request_reviews`,
      dismiss_stale_reviews: false,
      require_code_owner_reviews: codeOwners,
      required_approving_review_count: 1,
    },
  };
}

/** A ruleset's pull_request rule as GET .../rules/branches/main answers it. */
function pullRequestRule(codeOwners: boolean): Record<string, unknown> {
  return {
    type: "pull_request",
    ruleset_source_type: "Repository",
    ruleset_source: REPO,
    ruleset_id: 42,
    parameters: {
      dismiss_stale_reviews_on_push: false,
      require_code_owner_review: codeOwners,
      require_last_push_approval: false,
      required_approving_review_count: 1,
      required_review_thread_resolution: false,
    },
  };
}

/**
 * Drops the conformance findings that are only "status N is not documented" for the injected
 * faults: GitHub answers 403 to a token without the permission even where its description lists
 * only 200 and 404.
 */
function forgetInjectedStatuses(): void {
  const keep = conformance.mismatches.filter((m) => !m.problems.every((p) => /^status \d+ is not documented/.test(p)));
  conformance.mismatches.length = 0;
  conformance.mismatches.push(...keep);
}

function green(): Setup {
  return {
    config: IAM_CONFIG,
    codeowners: CODEOWNERS,
    labels: appLabels().map((l) => l.name),
    permissions: { ...APP_PERMISSIONS },
    protection: protection(true),
    rules: [],
    role: { trust: TRUST },
    group: true,
    ssoUsers: ["alice@example.com"],
    instance: true,
    args: [],
    env: {},
  };
}

let github: FakeGitHub;
let aws: FakeAws | undefined;
let token: string;
/** Every request doctor sends, and every answer the fake gives, checked against GitHub's OpenAPI description. */
const conformance = new ConformanceChecker();

beforeAll(async () => {
  github = await startFakeGitHub({ app: { owner: "acme" } });
});
afterAll(() => github.close());
beforeEach(() => github.reset());
afterEach(() => {
  aws?.restore();
  aws = undefined;
  conformance.assertClean();
});

async function doctor(s: Setup): Promise<{ code: number; stdout: string; stderr: string; checks: CheckResult[] }> {
  github.createRepo({
    owner: "acme",
    name: "access",
    files: {
      ...(s.config === undefined ? {} : { ".github/jit-access.yml": s.config }),
      ...(s.codeowners === undefined ? {} : { ".github/CODEOWNERS": s.codeowners }),
      "README.md": "access\n",
    },
  });
  for (const l of s.labels) github.ensureLabel(REPO, l);
  github.installationPermissions = s.permissions;
  github.branchProtection.clear();
  github.branchRules.clear();
  if (s.protection) github.branchProtection.set(`${REPO}#main`, s.protection);
  if (s.rules.length) github.branchRules.set(`${REPO}#main`, s.rules);
  token = github.tokenFor("octo-admin");
  aws = createFakeAws();
  if (s.role) {
    aws.addRole(HOME, "jit-access-scheduler");
    const role = aws.account(HOME).iam.roles.get("jit-access-scheduler");
    if (role && s.role.trust !== undefined) role.trust = s.role.trust;
  }
  if (s.group) aws.addScheduleGroup(HOME);
  for (const u of s.ssoUsers) aws.addSsoUser(u);
  if (!s.instance) aws.state.sso.instanceArn = "";
  s.withAws?.(aws);
  const settings = aws.clientSettings;
  let stdout = "";
  let stderr = "";
  const io = { stdout: { write: (x: string) => (stdout += x) }, stderr: { write: (x: string) => (stderr += x) }, cwd: process.cwd() };
  const code = await doctorCommand(["--repo", REPO, ...(s.text ? [] : ["--json"]), ...s.args], io, {
    env: { GITHUB_TOKEN: token, GITHUB_API_URL: github.url, ...s.env },
    awsSettings: () => settings,
    onOctokit: (o) => conformance.plugin(o),
  });
  const checks = s.text ? [] : (JSON.parse(stdout) as { checks: CheckResult[] }).checks;
  return { code, stdout, stderr, checks };
}

const byId = (checks: CheckResult[], id: string) => checks.find((c) => c.id === id);

describe("doctor: a healthy installation", () => {
  it.each([
    ["IAM mode", (s: Setup) => s],
    ["Identity Center mode", (s: Setup) => ({ ...s, config: SSO_CONFIG, codeowners: "/access-requests/ @acme/approvers\n" })],
    ["code-owner review required by a ruleset", (s: Setup) => ({ ...s, protection: undefined, rules: [pullRequestRule(true)] })],
    [
      "Slack configured with a webhook URL",
      (s: Setup) => ({
        ...s,
        config: `${s.config ?? ""}notifications: { slack_webhook_env: SLACK_URL }\n`,
        env: { SLACK_URL: "https://hooks.slack.com/services/T0/B0/x" },
      }),
    ],
  ])("%s: every check passes, exit 0, and nothing was written", async (_name, tweak) => {
    const r = await doctor(tweak(green()));
    expect(r.checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(r.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    // read-only: no GitHub write, and only reads in AWS
    expect(github.writes()).toEqual([]);
    expect(aws?.calls.map((c) => c.op).filter((op) => !/^(Get|List|Describe)/.test(op))).toEqual([]);
  });

  it("Slack configured: says it was not probed (no message is posted)", async () => {
    const s = green();
    const r = await doctor({
      ...s,
      config: `${s.config ?? ""}notifications: { slack_webhook_env: SLACK_URL }\n`,
      env: { SLACK_URL: "https://hooks.slack.com/services/T0/B0/x" },
    });
    expect(byId(r.checks, "slack")?.message).toMatch(/not probed/);
  });
});

interface Broken {
  name: string;
  tweak: (s: Setup) => Setup;
  check: string;
  status?: "fail" | "warn";
  message: RegExp;
  fix: RegExp;
}

const BROKEN: Broken[] = [
  {
    name: "config invalid",
    tweak: (s) => ({ ...s, config: `${s.config}default_duration: 30h\nmax_duration: 8h\n` }),
    check: "config",
    message: /default_duration "?30h"? is longer than max_duration/,
    fix: /fix \.github\/jit-access\.yml.*jit-access validate/,
  },
  {
    name: "config missing",
    tweak: (s) => ({ ...s, config: undefined }),
    check: "config",
    message: /\.github\/jit-access\.yml does not exist on the default branch/,
    fix: /jit-access init/,
  },
  {
    name: "principal malformed",
    tweak: (s) => ({ ...s, config: IAM_CONFIG.replace("alice: { iam_user: alice }", 'alice: { iam_user: "alice smith" }') }),
    check: "principals",
    message: /principals/,
    fix: /<github-login>: \{ iam_user: <name> \}/,
  },
  {
    name: "principal login malformed",
    tweak: (s) => ({ ...s, config: IAM_CONFIG.replace("alice: { iam_user: alice }", '"not a login!": { iam_user: alice }') }),
    check: "principals",
    message: /principals/,
    fix: /<github-login>/,
  },
  {
    name: "sso principal in IAM mode",
    tweak: (s) => ({ ...s, config: IAM_CONFIG.replace("alice: { iam_user: alice }", "alice: { sso_user: alice }") }),
    check: "principals",
    message: /principals\.alice is an sso_user but aws\.mode is iam/,
    fix: /iam_user/,
  },
  {
    name: "CODEOWNERS missing an account",
    tweak: (s) => ({ ...s, codeowners: "/access-requests/prod/ @acme/approvers\n" }),
    check: "codeowners",
    message: /no owner to access-requests\/staging\//,
    fix: /add `\/access-requests\/staging\/ @<org>\/<approvers-team>`/,
  },
  {
    name: "no CODEOWNERS file",
    tweak: (s) => ({ ...s, codeowners: undefined }),
    check: "codeowners",
    message: /no CODEOWNERS file/,
    fix: /create \.github\/CODEOWNERS with `\/access-requests\/prod\/ .*`\/access-requests\/staging\//,
  },
  {
    name: "a label missing",
    tweak: (s) => ({ ...s, labels: s.labels.filter((l) => l !== "access-request") }),
    check: "labels",
    message: /missing label "access-request"/,
    fix: /reinstall the app on acme\/access .*create "access-request"/,
  },
  {
    name: "app permissions missing",
    tweak: (s) => ({ ...s, permissions: { ...s.permissions, checks: "read", members: undefined as unknown as string } }),
    check: "app-installation",
    message: /checks: write \(has read\), members: read \(has none\)/,
    fix: /grant checks: write, members: read; then accept the new permissions/,
  },
  {
    name: "app not installed (another slug)",
    tweak: (s) => ({ ...s, args: ["--app-slug", "other-app"] }),
    check: "app-installation",
    message: /"other-app" is not installed on acme/,
    fix: /apps\/other-app\/installations\/new/,
  },
  {
    name: "no code-owner review required",
    tweak: (s) => ({ ...s, protection: protection(false) }),
    check: "branch-protection",
    message: /main does not require a code-owner review/,
    fix: /Require review from Code Owners/,
  },
  {
    name: "a ruleset without code-owner review",
    tweak: (s) => ({ ...s, protection: undefined, rules: [pullRequestRule(false)] }),
    check: "branch-protection",
    message: /main does not require a code-owner review/,
    fix: /Require review from Code Owners/,
  },
  {
    name: "default branch not protected",
    tweak: (s) => ({ ...s, protection: undefined }),
    check: "branch-protection",
    message: /does not require a code-owner review/,
    fix: /protect main/,
  },
  {
    name: "wrong AWS account",
    tweak: (s) => ({ ...s, args: ["--aws-account", OTHER] }),
    check: "aws-account",
    message: new RegExp(`account ${HOME} .* not ${OTHER}`),
    fix: new RegExp(`use credentials for account ${OTHER}`),
  },
  { name: "scheduler role missing", tweak: (s) => ({ ...s, role: undefined }), check: "scheduler-role", message: /does not exist/, fix: /SchedulerRoleArn/ },
  {
    name: "scheduler role does not trust the scheduler",
    tweak: (s) => ({ ...s, role: { trust: TRUST.replace("scheduler.amazonaws.com", "lambda.amazonaws.com") } }),
    check: "scheduler-role",
    message: /does not trust scheduler\.amazonaws\.com/,
    fix: /trust policy/,
  },
  {
    name: "schedule group missing",
    tweak: (s) => ({ ...s, group: false }),
    check: "schedule-group",
    message: /schedule group jit-access does not exist in us-east-1/,
    fix: /aws scheduler create-schedule-group --name jit-access --region us-east-1/,
  },
  {
    name: "no Identity Center instance",
    tweak: (s) => ({ ...s, config: SSO_CONFIG, codeowners: CODEOWNERS, instance: false }),
    check: "identity-center",
    message: /no IAM Identity Center instance is visible in us-east-1/,
    fix: /enable IAM Identity Center/,
  },
  {
    name: "wrong Identity Center instance",
    tweak: (s) => ({ ...s, config: SSO_CONFIG.replace(INSTANCE, "arn:aws:sso:::instance/ssoins-2222222222222222") }),
    check: "identity-center",
    message: /is not an instance here/,
    fix: new RegExp(`set aws\\.identity_center\\.instance_arn to ${INSTANCE}`),
  },
  {
    name: "sso_user not in the identity store",
    tweak: (s) => ({ ...s, config: SSO_CONFIG, ssoUsers: [] }),
    check: "identity-store",
    message: /no user named "alice@example\.com"/,
    fix: /sso_user/,
  },
  {
    name: "Slack URL is not a Slack webhook",
    tweak: (s) => ({ ...s, config: `${s.config ?? ""}notifications: { slack_webhook_env: SLACK_URL }\n`, env: { SLACK_URL: "https://example.com/hook" } }),
    check: "slack",
    message: /SLACK_URL is not a Slack webhook URL/,
    fix: /hooks\.slack\.com/,
  },
  {
    name: "Slack variable not set here",
    tweak: (s) => ({ ...s, config: `${s.config ?? ""}notifications: { slack_webhook_env: SLACK_URL }\n` }),
    check: "slack",
    status: "warn",
    message: /SLACK_URL, which is not set here/,
    fix: /set SLACK_URL/,
  },
];

describe("doctor: each broken wiring is reported by its check with the fix", () => {
  it.each(BROKEN)("$name → $check", async ({ tweak, check, status = "fail", message, fix }) => {
    const r = await doctor(tweak(green()));
    const c = byId(r.checks, check);
    expect(c?.status).toBe(status);
    expect(c?.message).toMatch(message);
    expect(c?.fix).toMatch(fix);
    // The broken wiring is the only failure (others may only be "not checked" warnings).
    expect(r.checks.filter((x) => x.status === "fail").map((x) => x.id)).toEqual(status === "fail" ? [check] : []);
    expect(r.code).toBe(status === "fail" ? 1 : 0);
  });
});

describe("doctor: a read that fails is a failed check naming what could not be read", () => {
  it.each([
    ["labels", "/repos/acme/access/labels", 403, /could not read the repository's labels: HTTP 403/],
    ["app-installation", "/orgs/acme/installations", 403, /could not read the installations of acme: HTTP 403/],
    ["branch-protection", "/repos/acme/access/branches/main/protection", 403, /could not read the protection of main: HTTP 403/],
    // A non-admin asking about a private repository's protection gets 404 Not Found, not "Branch not protected".
    ["branch-protection", "/repos/acme/access/branches/main/protection", 404, /could not read the protection of main: HTTP 404/],
    ["config", "/repos/acme/access/contents/*", 403, /could not read \.github\/jit-access\.yml: HTTP 403/],
  ])("GitHub %s unreadable (GET %s → %i)", async (check, path, status, message) => {
    github.faults.failNext("GET", path, status, 1, status === 404 ? "Not Found" : "Resource not accessible by personal access token");
    const r = await doctor(green());
    forgetInjectedStatuses();
    expect(byId(r.checks, check)).toMatchObject({ status: "fail", message: expect.stringMatching(message) });
    expect(r.code).toBe(1);
  });

  it("the repository itself unreadable: every GitHub check fails, nothing crashes", async () => {
    github.faults.failNext("GET", "/repos/acme/access", 404, 1);
    const r = await doctor(green());
    for (const id of ["config", "codeowners", "branch-protection"]) expect(byId(r.checks, id)?.status).toBe("fail");
    expect(byId(r.checks, "config")?.message).toMatch(/could not read .*the repository acme\/access \(HTTP 404/);
    expect(r.code).toBe(1);
  });

  it.each([
    ["sts", "GetCallerIdentity", "aws-account", /could not read the caller identity \(sts:GetCallerIdentity\)/],
    ["scheduler", "GetScheduleGroup", "schedule-group", /could not read the schedule group jit-access/],
    ["iam", "GetRole", "scheduler-role", /could not read the role .*iam:GetRole/],
    ["sso", "ListInstances", "identity-center", /could not read the Identity Center instances \(sso:ListInstances\)/],
    ["identitystore", "ListUsers", "identity-store", /could not read the identity store d-1111111111/],
  ] as const)("AWS %s:%s refused", async (service, op, check, message) => {
    const r = await doctor({ ...green(), config: SSO_CONFIG, codeowners: CODEOWNERS, withAws: (fake) => fake.faults.add({ kind: "crash", service, op }) });
    expect(byId(r.checks, check)).toMatchObject({ status: "fail", message: expect.stringMatching(message) });
    expect(r.code).toBe(1);
  });
});

describe("doctor: output and exit codes", () => {
  it("--json: { repo, ok, checks: [{ id, status, message, fix? }] } in CHECK_IDS order", async () => {
    const s = green();
    const r = await doctor({ ...s, group: false });
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["repo", "ok", "checks"]);
    expect(parsed).toMatchObject({ repo: REPO, ok: false });
    expect(r.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const c of r.checks) {
      expect(["ok", "warn", "fail"]).toContain(c.status);
      expect(c.message).toEqual(expect.any(String));
      expect(Object.keys(c).sort()).toEqual(c.status === "ok" ? ["id", "message", "status"] : ["fix", "id", "message", "status"]);
    }
  });

  it("text: one line per check (fix on the same line) and a summary", async () => {
    const r = await doctor({ ...green(), group: false, text: true });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(CHECK_IDS.length + 1);
    expect(lines.find((l) => l.startsWith("✗ schedule-group:"))).toMatch(/ — fix: create it: aws scheduler create-schedule-group/);
    expect(lines.at(-1)).toMatch(/^\d+ ok, \d+ warnings, 1 failed$/);
  });

  it.each([
    [["doctor"], /doctor needs --repo OWNER\/NAME/],
    [["doctor", "--repo", "not a repo"], /--repo "not a repo" is not OWNER\/NAME/],
    [["doctor", "--repo", REPO], /doctor needs a GitHub token/],
    [["doctor", "--repo", REPO, "--github-token", "x", "--aws-account", "12"], /--aws-account "12" is not a 12-digit/],
    [["doctor", "--repo", REPO, "--github-token", "x", "--app-slug", "no/slug"], /--app-slug "no\/slug"/],
    [["doctor", "--repo", REPO, "extra"], /doctor takes no operands/],
    [["doctor", "--no-such-flag"], /no-such-flag/],
  ])("usage error %j → exit 2 with doctor's usage", async (args, message) => {
    vi.stubEnv("GITHUB_TOKEN", "");
    vi.stubEnv("GITHUB_REPOSITORY", "");
    try {
      const r = await runCli(args, process.cwd());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("Usage: jit-access doctor");
      expect(r.stdout).toBe("");
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("doctor's pure parts", () => {
  const base = (): DoctorFacts => ({
    github: {
      repo: REPO,
      defaultBranch: { ok: true, value: "main" },
      config: { ok: true, value: IAM_CONFIG },
      codeowners: { ok: true, value: { path: ".github/CODEOWNERS", text: CODEOWNERS } },
      labels: { ok: true, value: appLabels().map((l) => l.name) },
      installation: { ok: true, value: { permissions: { ...APP_PERMISSIONS }, suspended: false, repositories: "all" } },
      codeOwnerReview: { ok: true, value: { required: true, by: "branch protection" } },
      form: { ok: true, value: undefined },
    },
    aws: {
      caller: { ok: true, value: { account: HOME, arn: `arn:aws:sts::${HOME}:assumed-role/admin/me` } },
      schedulerRole: { ok: true, value: { arn: SCHEDULER_ROLE, trust: TRUST } },
      scheduleGroup: { ok: true, value: { state: "ACTIVE" } },
    },
    slack: {},
    wantedLabels: appLabels().map((l) => l.name),
    wantedPermissions: { ...APP_PERMISSIONS },
    appSlug: "jit-access",
  });

  it("the base facts pass every check", () => {
    expect(runChecks(base()).filter((c) => c.status !== "ok")).toEqual([]);
  });

  // Every fact a gatherer reads, made unreadable: its check fails, says "could not read", and has a fix.
  const FACTS: Array<[string, string, (f: DoctorFacts) => void]> = [
    ["github.config", "config", (f) => (f.github.config = { ok: false, error: "boom" })],
    ["github.codeowners", "codeowners", (f) => (f.github.codeowners = { ok: false, error: "boom" })],
    ["github.labels", "labels", (f) => (f.github.labels = { ok: false, error: "boom" })],
    ["github.installation", "app-installation", (f) => (f.github.installation = { ok: false, error: "boom" })],
    ["github.codeOwnerReview", "branch-protection", (f) => (f.github.codeOwnerReview = { ok: false, error: "boom" })],
    ["github.form", "issue-form", (f) => (f.github.form = { ok: false, error: "boom" })],
    ["aws.caller", "aws-account", (f) => f.aws && (f.aws.caller = { ok: false, error: "boom" })],
    ["aws.schedulerRole", "scheduler-role", (f) => f.aws && (f.aws.schedulerRole = { ok: false, error: "boom" })],
    ["aws.scheduleGroup", "schedule-group", (f) => f.aws && (f.aws.scheduleGroup = { ok: false, error: "boom" })],
  ];
  it.each(FACTS)("%s unreadable → %s fails naming what could not be read", (_fact, check, breakIt) => {
    const facts = base();
    breakIt(facts);
    const results = runChecks(facts);
    expect(results.map((r) => r.id)).toEqual([...CHECK_IDS]);
    const c = byId(results, check);
    expect(c?.status).toBe("fail");
    expect(c?.message).toMatch(/^could not read .*: boom$/);
    expect(c?.fix).toEqual(expect.any(String));
  });

  it("property: any mix of unreadable facts, configs and Slack states gives every check once, in order, a fix for each non-ok, and exit 1 exactly when one failed", () => {
    const read = <T>(value: T) => fc.oneof(fc.constant({ ok: true as const, value }), fc.constant({ ok: false as const, error: "boom" }));
    const configs = [
      IAM_CONFIG,
      SSO_CONFIG,
      `${IAM_CONFIG}max_duration: 1m\n`,
      "aws: [",
      "principals: { alice: { iam_user: 'a b' } }\n",
      undefined,
      `${IAM_CONFIG}notifications: { slack_webhook_env: S }\n`,
    ];
    const arb = fc.record({
      config: fc.oneof(
        fc.constantFrom(...configs).map((value) => ({ ok: true as const, value })),
        fc.constant({ ok: false as const, error: "boom" }),
      ),
      codeowners: read<{ path: string; text: string } | undefined>({ path: ".github/CODEOWNERS", text: CODEOWNERS }),
      labels: read(appLabels().map((l) => l.name)),
      installation: read<{ permissions: Record<string, string>; suspended: boolean; repositories: "all" | "selected" } | undefined>({
        permissions: { ...APP_PERMISSIONS },
        suspended: false,
        repositories: "all",
      }),
      codeOwnerReview: read({ required: true }),
      withAws: fc.boolean(),
      caller: read({ account: HOME, arn: "arn" }),
      role: fc.option(read<{ arn: string; trust: string | undefined } | undefined>({ arn: SCHEDULER_ROLE, trust: TRUST }), { nil: undefined }),
      group: fc.option(read<{ state: string } | undefined>({ state: "ACTIVE" }), { nil: undefined }),
      instances: fc.option(read([{ instanceArn: INSTANCE, identityStoreId: "d-1111111111" }]), { nil: undefined }),
      store: fc.option(read({ users: { "alice@example.com": true } }), { nil: undefined }),
      slack: fc.constantFrom<DoctorFacts["slack"]>(
        {},
        { envName: "S" },
        { envName: "S", value: { set: false } },
        { envName: "S", value: { set: true, valid: true } },
        { envName: "S", value: { set: true, valid: false, reason: "bad" } },
      ),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const facts = base();
        Object.assign(facts.github, {
          config: a.config,
          codeowners: a.codeowners,
          labels: a.labels,
          installation: a.installation,
          codeOwnerReview: a.codeOwnerReview,
        });
        if (a.withAws) {
          facts.aws = { caller: a.caller };
          if (a.role) facts.aws.schedulerRole = a.role;
          if (a.group) facts.aws.scheduleGroup = a.group;
          if (a.instances) facts.aws.instances = a.instances;
          if (a.store) facts.aws.identityStore = a.store;
        } else delete facts.aws;
        facts.slack = a.slack;
        const results = runChecks(facts);
        expect(results.map((r) => r.id)).toEqual([...CHECK_IDS]);
        for (const r of results) if (r.status !== "ok") expect(r.fix).toMatch(/\S/);
        for (const [key, id] of [
          ["labels", "labels"],
          ["installation", "app-installation"],
          ["codeOwnerReview", "branch-protection"],
          ["config", "config"],
        ] as const) {
          if (!a[key].ok) expect(byId(results, id)).toMatchObject({ status: "fail", message: expect.stringMatching(/^could not read /) });
        }
        expect(exitCode(results)).toBe(results.some((r) => r.status === "fail") ? 1 : 0);
      }),
      { numRuns: 300 },
    );
  });

  it("a scheduler role in another account than the credentials is not checked (GetRole would read it as missing)", () => {
    const facts = base();
    if (facts.aws) {
      facts.aws.caller = { ok: true, value: { account: OTHER, arn: `arn:aws:sts::${OTHER}:assumed-role/admin/me` } };
      facts.aws.schedulerRole = { ok: true, value: undefined };
    }
    const results = runChecks(facts);
    expect(byId(results, "aws-account")?.status).toBe("fail");
    expect(byId(results, "scheduler-role")).toMatchObject({
      status: "warn",
      message: `not checked: the role is in account ${HOME}, the credentials in ${OTHER}`,
    });
  });

  it.each<[string, Record<string, string>, boolean]>([
    ["write covers read", { ...APP_PERMISSIONS, members: "write" }, true],
    ["admin covers write", { ...APP_PERMISSIONS, contents: "admin" }, true],
    ["read does not cover write", { ...APP_PERMISSIONS, issues: "read" }, false],
    ["absent is none", Object.fromEntries(Object.entries(APP_PERMISSIONS).filter(([k]) => k !== "metadata")), false],
  ])("permission levels: %s", (_name, permissions, passes) => {
    const facts = base();
    facts.github.installation = { ok: true, value: { permissions, suspended: false, repositories: "all" } };
    expect(byId(runChecks(facts), "app-installation")?.status).toBe(passes ? "ok" : "fail");
  });

  it.each<[string, string, boolean]>([
    ["plain JSON", TRUST, true],
    ["URL-encoded, as IAM returns it", encodeURIComponent(TRUST), true],
    [
      "service in a list",
      JSON.stringify({
        Statement: [{ Effect: "Allow", Principal: { Service: ["lambda.amazonaws.com", "scheduler.amazonaws.com"] }, Action: ["sts:AssumeRole"] }],
      }),
      true,
    ],
    ["Deny", TRUST.replace('"Allow"', '"Deny"'), false],
    ["another service", TRUST.replace("scheduler.", "lambda."), false],
    ["another action", TRUST.replace("sts:AssumeRole", "sts:TagSession"), false],
    ["not JSON", "%E0%A4%A", false],
  ])("trusts(): %s", (_name, doc, expected) => {
    expect(trusts(doc, "scheduler.amazonaws.com")).toBe(expected);
  });

  it.each<[string, string | undefined]>([
    [`arn:aws:iam::${HOME}:role/jit-access-scheduler`, "jit-access-scheduler"],
    [`arn:aws:iam::${HOME}:role/service-role/path/x`, "x"],
    [`arn:aws-cn:iam::${HOME}:role/r`, "r"],
    [`arn:aws:iam::${HOME}:user/u`, undefined],
    ["not-an-arn", undefined],
  ])("roleNameOf(%s) = %s", (arn, name) => {
    expect(roleNameOf(arn)).toBe(name);
  });
});
