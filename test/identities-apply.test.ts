// Merge → identities, against the in-memory AccessRepo and the fake AWS (real SDK clients, IAM's
// names and errors): a reviewed pull request adding two people and a role is applied, tagged,
// recorded as a commit with trailers; a removal revokes the person's active grant first; a bad
// file, a pull request that also edits the config, a requester adding themselves with
// AdministratorAccess, an approver approving their own identity and a name held outside
// jit-access's path are refused with nothing applied; a failure halfway is undone.
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createIdentityDirectory } from "../src/aws/identities.js";
import { createGrants } from "../src/aws/grants.js";
import { CONFIG_PATH } from "../src/domain/config.js";
import { MANAGED_TAG } from "../src/domain/identities.js";
import { parseTrailers, recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { Config } from "../src/domain/types.js";
import type { MergedPr } from "../src/github/grant.js";
import { applyMergedIdentities, IDENTITY_MARKER, type IdentityDeps } from "../src/github/identities.js";
import { revokeGrantsOf } from "../src/github/offboarding.js";
import { decidePull } from "../src/github/pr-check.js";
import { retryOnboarding } from "../src/cli/identities.js";
import { PENDING_ONBOARDING } from "../src/lifecycle/onboarding.js";
import { driftText, reconcileIdentities } from "../src/lifecycle/identity-drift.js";
import { loadCatalogue } from "../src/iam-data.js";
import { checkIdentities } from "../src/policy/identity-baseline.js";
import { createOnboarder } from "../src/notify/onboarding.js";
import { loadRepoConfig } from "../src/github/repo-config.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { fakeDeps, HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { blobSha, MemoryAccessRepo } from "./support/memory-repo.js";

const fake = createFakeAws({ homeAccount: HOME });
afterAll(() => fake.restore());
beforeEach(() => fake.reset());

const NOW = new Date("2026-11-27T10:00:00Z");
const PATH = "/jit-access-grantees/";
const CONFIG = `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${HOME}"
approvers: [bob, dave, erin]
required_approvals: { low: 1, medium: 1, high: 2 }
identities:
  enabled: true
  account: prod
  allowed_policies: [ViewOnlyAccess, team-readonly]
`;
const CODEOWNERS = "identities/ @bob @dave @erin\n";

const PEOPLE = `version: 1
people:
  - login: frank
    email: frank@example.com
    name: Frank Example
    kind: iam_user
    policies:
      - managed: ViewOnlyAccess
      - generated:
          - { service: s3, access: [read, list], resources: [reports] }
    tags: { team: data }
  - login: grace
    email: grace@example.com
    name: Grace Example
    kind: iam_user
`;
const ROLES = `version: 1
roles:
  - name: ci-deployer
    trust: { template: github-oidc, repository: acme/app, ref: refs/heads/main }
    policies:
      - customer_managed: team-readonly
`;

let n = 20;
const sha = (c: string) => c.repeat(40).slice(0, 40);

/**
 * The default branch holds `before`; PR #<n> by `author` changes it to `after` (paths → text,
 * undefined: removed), merged with a merge commit after `approvers` approved the head.
 */
function mergedPr(
  repo: MemoryAccessRepo,
  before: Record<string, string>,
  after: Record<string, string | undefined>,
  opts: { author?: string; approvers?: string[] } = {},
): MergedPr {
  const number = n++;
  const base = sha(`b${number}`);
  const head = sha(`c${number}`);
  const merge = sha(`d${number}`);
  const author = opts.author ?? "carol";
  const baseFiles = { [CONFIG_PATH]: CONFIG, CODEOWNERS, ...before };
  const mergeFiles: Record<string, string> = { ...baseFiles };
  for (const [p, t] of Object.entries(after)) {
    if (t === undefined) delete mergeFiles[p];
    else mergeFiles[p] = t;
  }
  for (const [p, t] of Object.entries(baseFiles)) if (!repo.files.has(p)) repo.files.set(p, t);
  repo.setRef(base, baseFiles);
  repo.setRef(merge, mergeFiles);
  repo.commitsBySha.set(merge, { sha: merge, parents: [base, head], message: `Merge pull request #${number}`, author: null });
  repo.pulls.set(number, {
    number,
    files: Object.entries(after).map(([p, t]) => ({
      path: p,
      status: t === undefined ? "removed" : p in baseFiles ? "modified" : "added",
      previousPath: null,
      sha: t === undefined ? null : blobSha(t),
    })),
    commits: [
      {
        sha: head,
        parents: [base],
        message: "identities",
        gitAuthor: { name: author, email: `${author}@example.com`, date: "2026-11-27T09:00:00Z" },
        author: { login: author, type: "User" },
        committer: { login: author, type: "User" },
      },
    ],
    reviews: (opts.approvers ?? ["bob", "dave"]).map((user, i) => ({
      id: i + 1,
      user: { login: user, type: "User" },
      state: "APPROVED",
      commit_id: head,
      submitted_at: "2026-11-27T09:30:00Z",
    })),
  });
  // The merge lands on the default branch.
  for (const [p, t] of Object.entries(mergeFiles)) repo.files.set(p, t);
  for (const p of Object.keys(after)) if (after[p] === undefined) repo.files.delete(p);
  return {
    number,
    merged: true,
    mergeCommitSha: merge,
    mergedAt: "2026-11-27T09:59:00Z",
    headSha: head,
    headRef: "identities",
    baseSha: base,
    author: { login: author, type: "User" },
    changedFiles: Object.keys(after).length,
  };
}

function deps(extra: Partial<IdentityDeps> = {}): IdentityDeps {
  const grants = (c: Config) => createGrants(c, fakeDeps(fake, { now: () => NOW }));
  return {
    directoryFor: (c) => createIdentityDirectory(c, { clients: fake.clients, clientSettings: fake.clientSettings }),
    revokeGrantsOf: (access, c, login, pr) => revokeGrantsOf(access, c, login, pr, { grantsFor: grants, now: () => NOW }),
    onboard: async (_c, person) => ({ login: person.login ?? "?", status: "sent" }),
    now: () => NOW,
    ...extra,
  };
}

const iam = () => fake.state.accounts.get(HOME)!.iam;

async function createTeamPolicy(): Promise<void> {
  const { CreatePolicyCommand } = await import("@aws-sdk/client-iam");
  await fake.clients.iam.send(
    new CreatePolicyCommand({
      PolicyName: "team-readonly",
      PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListAllMyBuckets", Resource: "*" }] }),
    }),
  );
}

describe("merge → identities", () => {
  it("a PR adding two people and a role, approved and merged: created under the path, tagged, e-mailed, recorded with trailers", async () => {
    await createTeamPolicy();
    const repo = new MemoryAccessRepo();
    const pr = mergedPr(repo, {}, { "identities/people.yaml": PEOPLE, "identities/roles.yaml": ROLES });
    const out = await applyMergedIdentities(repo, pr, deps());
    expect(out.kind, JSON.stringify(out)).toBe("applied");
    if (out.kind !== "applied") return;
    expect(out.onboarding.map((o) => o.login).sort()).toEqual(["frank", "grace"]);

    const frank = iam().users.get("frank")!;
    expect(frank.path).toBe(PATH);
    expect(frank.tags).toEqual(
      expect.arrayContaining([
        { Key: MANAGED_TAG, Value: "jit-access" },
        { Key: "jit-access:login", Value: "frank" },
        { Key: "team", Value: "data" },
      ]),
    );
    expect(frank.attached).toEqual(["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]);
    expect([...frank.inline.keys()]).toEqual(["jit-access-baseline-1"]);
    expect(frank.inline.get("jit-access-baseline-1")).toContain("arn:aws:s3:::reports");
    // Never a password or an access key.
    expect(frank.accessKeys ?? []).toEqual([]);
    expect(fake.calls.map((c) => c.op)).not.toContain("CreateAccessKey");
    expect(fake.calls.map((c) => c.op)).not.toContain("CreateLoginProfile");
    const role = iam().roles.get("ci-deployer")!;
    expect(role.path).toBe(PATH);
    expect(role.trust).toContain("repo:acme/app:ref:refs/heads/main");
    expect(role.attached).toEqual([`arn:aws:iam::${HOME}:policy/team-readonly`]);

    const recordText = repo.files.get(`identity-records/${pr.number}.yaml`)!;
    expect(recordText).toContain("status: applied");
    const trailers = parseTrailers(repo.commits.at(-1)!.message);
    expect(trailers["Approved-By"]).toEqual(["bob", "dave"]);
    expect(trailers["Identity-Change"]).toEqual(
      expect.arrayContaining([expect.stringMatching(/^create iam_user frank/), expect.stringMatching(/^create iam_role ci-deployer/)]),
    );
    expect(repo.comments.get(pr.number)?.get(IDENTITY_MARKER)).toContain("identities/ applied");

    // A redelivered merge changes nothing and does not record twice.
    const commits = repo.commits.length;
    const again = await applyMergedIdentities(repo, pr, deps());
    expect(again.kind === "applied" && again.outcome.applied).toEqual([]);
    expect(repo.commits.length).toBe(commits);

    // The derived principals: frank needs no principals entry to be granted to.
    const cfg = await loadRepoConfig(repo);
    expect(cfg.ok && cfg.value.principals.frank).toEqual({ iam_user: "frank" });
  });

  it("a PR removing a person with an active grant: the grant is revoked first, then the user removed", async () => {
    const repo = new MemoryAccessRepo();
    const first = mergedPr(repo, {}, { "identities/people.yaml": PEOPLE });
    expect((await applyMergedIdentities(repo, first, deps())).kind).toBe("applied");

    // frank holds an active grant, attached to his user.
    const cfg = (await loadRepoConfig(repo)) as { ok: true; value: Config };
    const request = testRequest({
      id: "30-reports",
      requester: "frank",
      policy: testPolicy("reports"),
      request: [{ service: "s3", access: ["read", "list"], resources: ["reports"] }],
    });
    const grants = createGrants(cfg.value, fakeDeps(fake, { now: () => NOW }));
    const granted = await grants.grant(request, testPolicy("reports"), "2026-11-27T18:00:00Z");
    const file = "access-requests/prod/2026/30-reports.yaml";
    repo.files.set(
      file,
      dumpRequest({
        ...request,
        status: "active",
        grant: {
          approved_by: ["bob"],
          merge_commit: sha("e"),
          pr: 31,
          granted_at: "2026-11-27T09:00:00Z",
          expires_at: "2026-11-27T18:00:00Z",
          aws: { mode: "iam", account_id: HOME, resources: granted.resources },
        },
      }),
    );
    expect(iam().users.get("frank")!.attached).toContain(granted.resources[0]);
    // An out-of-band access key must not survive the person either.
    iam().users.get("frank")!.accessKeys = ["AKIAOUTOFBAND0000000"];

    const calls = fake.calls.length;
    const onlyGrace = PEOPLE.slice(0, PEOPLE.indexOf("  - login: frank")) + PEOPLE.slice(PEOPLE.indexOf("  - login: grace"));
    const out = await applyMergedIdentities(repo, mergedPr(repo, { "identities/people.yaml": PEOPLE }, { "identities/people.yaml": onlyGrace }), deps());
    expect(out.kind, JSON.stringify(out)).toBe("applied");
    expect(out.kind === "applied" && out.outcome.revoked).toEqual(["30-reports"]);
    expect(recordStatus(repo.files.get(file)!)).toBe("revoked");
    expect(iam().users.has("frank")).toBe(false);
    expect(iam().users.has("grace")).toBe(true);
    const ops = fake.calls.slice(calls).map((c) => c.op);
    expect(ops.indexOf("DeletePolicy")).toBeGreaterThan(-1);
    expect(ops.indexOf("DeletePolicy")).toBeLessThan(ops.indexOf("DeleteUser"));
  });

  it("a removal whose grant cannot be revoked keeps the identity (retried), and says why", async () => {
    const repo = new MemoryAccessRepo();
    expect((await applyMergedIdentities(repo, mergedPr(repo, {}, { "identities/people.yaml": PEOPLE }), deps())).kind).toBe("applied");
    const onlyGrace = PEOPLE.slice(0, PEOPLE.indexOf("  - login: frank")) + PEOPLE.slice(PEOPLE.indexOf("  - login: grace"));
    const out = await applyMergedIdentities(
      repo,
      mergedPr(repo, { "identities/people.yaml": PEOPLE }, { "identities/people.yaml": onlyGrace }),
      deps({ revokeGrantsOf: async () => ({ revoked: [], failed: ["30-reports"] }) }),
    );
    expect(out.kind).toBe("applied");
    expect(out.kind === "applied" && out.outcome.problems.map((p) => p.code)).toEqual(["identity.offboard-blocked"]);
    expect(iam().users.has("frank")).toBe(true);
  });

  it("a failure halfway (a customer managed policy that does not exist) undoes every change of the merge", async () => {
    const repo = new MemoryAccessRepo();
    const before = fake.snapshot();
    const out = await applyMergedIdentities(repo, mergedPr(repo, {}, { "identities/people.yaml": PEOPLE, "identities/roles.yaml": ROLES }), deps());
    expect(out.kind).toBe("failed");
    expect(fake.snapshot().accounts.get(HOME)!.iam.users).toEqual(before.accounts.get(HOME)!.iam.users);
    expect(fake.snapshot().accounts.get(HOME)!.iam.roles).toEqual(before.accounts.get(HOME)!.iam.roles);
    const pr = n - 1;
    expect(repo.files.get(`identity-records/${pr}.yaml`)).toContain("status: failed");
    expect(parseTrailers(repo.commits.at(-1)!.message).Rule).toEqual(["identity.apply-failed"]);
  });

  // Bad files, attacks: a failing outcome naming the rule, nothing created.
  const refusals: Array<[string, Record<string, string>, { author?: string; approvers?: string[] }, string]> = [
    ["duplicate login", { "identities/people.yaml": PEOPLE.replace("login: grace", "login: Frank") }, {}, "identity.duplicate-login"],
    ["malformed e-mail", { "identities/people.yaml": PEOPLE.replace("grace@example.com", "grace@") }, {}, "identity.email-invalid"],
    ["unknown policy", { "identities/people.yaml": PEOPLE.replace("managed: ViewOnlyAccess", "managed: ReadOnlyAccess") }, {}, "identity.policy-not-allowed"],
    ["unknown trust template", { "identities/roles.yaml": ROLES.replace("github-oidc", "everyone") }, {}, "identity.trust-template-unknown"],
    [
      "the requester adds themselves with AdministratorAccess",
      {
        "identities/people.yaml": PEOPLE.replace("login: grace", "login: mallory")
          .replace("grace@", "mallory@")
          .concat("    policies: [{ managed: AdministratorAccess }]\n"),
      },
      { author: "mallory" },
      "identity.policy-privileged",
    ],
    [
      "a PR editing identities/ and the config together",
      { "identities/people.yaml": PEOPLE, [CONFIG_PATH]: CONFIG.replace("[ViewOnlyAccess, team-readonly]", "[ViewOnlyAccess, ReadOnlyAccess]") },
      {},
      "identity.extra-files",
    ],
    [
      "a PR editing identities/ and a request together",
      { "identities/people.yaml": PEOPLE, "access-requests/prod/2026/5-x.yaml": "version: 1\n" },
      {},
      "identity.extra-files",
    ],
    ["an identity file outside the two", { "identities/admins.yaml": PEOPLE }, {}, "identity.unknown-file"],
    [
      "an approver who is added by the PR",
      { "identities/people.yaml": PEOPLE.replace("login: grace", "login: dave").replace("grace@", "dave@") },
      { approvers: ["bob", "dave"] },
      "identity.subject-approval",
    ],
    ["one approval where two are needed", { "identities/people.yaml": PEOPLE }, { approvers: ["bob"] }, "approval.insufficient"],
    ["the PR author approves", { "identities/people.yaml": PEOPLE }, { author: "bob", approvers: ["bob", "dave"] }, "approval.insufficient"],
  ];
  it.each(refusals)("%s → refused, nothing applied", async (_name, after, opts, code) => {
    const repo = new MemoryAccessRepo();
    const before = fake.snapshot();
    const out = await applyMergedIdentities(repo, mergedPr(repo, {}, after, opts), deps());
    expect(out.kind, JSON.stringify(out)).toBe("refused");
    expect(out.kind === "refused" && out.problems.map((p) => p.code)).toContain(code);
    expect(fake.snapshot()).toEqual(before);
    expect(fake.calls.filter((c) => c.service === "iam").length).toBe(0);
    expect(repo.comments.get(n - 1)?.get(IDENTITY_MARKER)).toContain("not applied");
  });

  it("a name held by a user outside the jit-access path (or without its tag) is refused, never adopted", async () => {
    fake.addUser(HOME, "grace", ["arn:aws:iam::aws:policy/AdministratorAccess"]);
    const repo = new MemoryAccessRepo();
    const before = fake.snapshot();
    const out = await applyMergedIdentities(repo, mergedPr(repo, {}, { "identities/people.yaml": PEOPLE }), deps());
    expect(out.kind).toBe("failed");
    expect(out.kind === "failed" && out.outcome.problems.map((p) => p.code)).toEqual(["identity.not-owned"]);
    expect(fake.snapshot().accounts.get(HOME)!.iam.users).toEqual(before.accounts.get(HOME)!.iam.users);
  });

  it("identities.enabled off: nothing applied, said on the PR", async () => {
    const repo = new MemoryAccessRepo();
    const pr = mergedPr(repo, {}, { "identities/people.yaml": PEOPLE });
    repo.setRef(pr.baseSha, { [CONFIG_PATH]: CONFIG.replace("enabled: true", "enabled: false"), CODEOWNERS });
    const out = await applyMergedIdentities(repo, pr, deps());
    expect(out).toEqual({ kind: "ignored", reason: "identities are not enabled" });
    expect(fake.calls.length).toBe(0);
  });
});

describe("the pull request check of identities/", () => {
  async function check(after: Record<string, string>, base: Record<string, string> = {}) {
    const repo = new MemoryAccessRepo();
    const pr = mergedPr(repo, base, after);
    repo.branches.set("main", pr.baseSha);
    const decision = await decidePull(
      repo,
      {
        number: pr.number,
        headSha: pr.mergeCommitSha!,
        headRef: "identities",
        baseRef: "main",
        sameRepo: true,
        author: pr.author,
        changedFiles: pr.changedFiles!,
      },
      { now: NOW, appLogin: "jit-access[bot]" },
    );
    const c = decision.effects.find((e) => e.kind === "check");
    return c?.kind === "check" ? c.check : undefined;
  }

  it("a bad file fails the check, naming the file and field; nothing reads AWS", async () => {
    const c = await check({ "identities/people.yaml": PEOPLE.replace("grace@example.com", "grace") });
    expect(c).toMatchObject({ name: "jit-access/validate", conclusion: "failure" });
    expect(c?.summary).toContain("identities/people.yaml: people[1].email");
    expect(fake.calls.length).toBe(0);
  });

  it("identities/ with the config in one pull request fails the check", async () => {
    const c = await check({ "identities/people.yaml": PEOPLE, [CONFIG_PATH]: CONFIG.replace("enabled: true", "enabled: false") });
    expect(c?.conclusion).toBe("failure");
    expect(c?.summary).toContain(".github/jit-access.yml");
  });

  it("a valid change passes and says who and what changes", async () => {
    const c = await check({ "identities/people.yaml": PEOPLE, "identities/roles.yaml": ROLES });
    expect(c?.conclusion).toBe("success");
    expect(c?.summary).toContain("frank");
    expect(c?.summary).toContain("ci-deployer");
  });
});

describe("onboarding", () => {
  const SES_CONFIG = CONFIG.replace(
    "  allowed_policies:",
    "  onboarding: { channel: ses, sender: jit-access@acme.example, sign_in_url: https://acme.signin.aws.amazon.com/console }\n  allowed_policies:",
  );
  const onboarder = () => createOnboarder({ ses: new SESv2Client(fake.clientSettings) });

  it("SES sandbox: the verified recipient is e-mailed, the other is reported and retried by the sweep; both identities exist", async () => {
    fake.ses.verified.add("jit-access@acme.example");
    fake.ses.verified.add("frank@example.com");
    const repo = new MemoryAccessRepo();
    const pr = mergedPr(repo, {}, { "identities/people.yaml": PEOPLE });
    for (const ref of [pr.baseSha, pr.mergeCommitSha!]) repo.refs.get(ref)!.set(CONFIG_PATH, SES_CONFIG);
    repo.files.set(CONFIG_PATH, SES_CONFIG);
    const out = await applyMergedIdentities(repo, pr, deps({ onboard: onboarder() }));
    expect(out.kind).toBe("applied");
    if (out.kind !== "applied") return;
    expect(out.onboarding.find((o) => o.login === "frank")?.status).toBe("sent");
    const grace = out.onboarding.find((o) => o.login === "grace")!;
    expect(grace.status).toBe("failed");
    expect(grace.detail).toMatch(/grace@example\.com is not verified.*sandbox/);
    expect(iam().users.has("grace")).toBe(true);
    expect(fake.ses.sent.map((m) => m.to)).toEqual([["frank@example.com"]]);
    const mail = fake.ses.sent[0]!;
    expect(mail.from).toBe("jit-access@acme.example");
    expect(mail.text).toContain("https://acme.signin.aws.amazon.com/console");
    expect(mail.text).toContain("https://github.com/acme/access/issues/new/choose");
    expect(mail.text).toMatch(/never creates passwords or access keys/);
    expect(repo.files.get(`identity-records/${pr.number}.yaml`)).toMatch(/grace:\n\s+status: failed/);
    expect(repo.files.get(PENDING_ONBOARDING)).toContain("grace:");

    // The sweep retries: still in the sandbox, still pending, and no new commit.
    const cfg = (await loadRepoConfig(repo)) as { ok: true; value: Config };
    const commits = repo.commits.length;
    expect(await retryOnboarding({ store: repo, config: cfg.value }, { GITHUB_REPOSITORY: "acme/access" }, onboarder())).toMatch(/0 sent.*1 still pending/);
    expect(repo.commits.length).toBe(commits);
    // Verified now: sent, and no longer pending.
    fake.ses.verified.add("grace@example.com");
    expect(await retryOnboarding({ store: repo, config: cfg.value }, { GITHUB_REPOSITORY: "acme/access" }, onboarder())).toMatch(/1 sent \(grace\)/);
    expect(fake.ses.sent.map((m) => m.to[0])).toEqual(["frank@example.com", "grace@example.com"]);
    expect(repo.files.get(PENDING_ONBOARDING)).not.toContain("grace:");
  });

  it.each([
    ["an unverified sender", () => fake.ses.verified.add("frank@example.com"), /sender jit-access@acme\.example is not verified/],
    ["out of the sandbox, any recipient", () => ((fake.ses.production = true), fake.ses.verified.add("acme.example")), undefined],
  ] as const)("%s", async (_name, setup, detail) => {
    setup();
    const config = (await loadRepoConfig({ read: async (p) => (p === CONFIG_PATH ? { path: p, sha: "x", text: SES_CONFIG } : undefined) })) as {
      ok: true;
      value: Config;
    };
    const person = {
      kind: "iam_user" as const,
      name: "frank",
      login: "frank",
      email: "frank@example.com",
      managedPolicies: [],
      inlinePolicies: {},
      tags: {},
      groups: [],
    };
    const r = await onboarder()(config.value, person, "acme/access");
    if (detail) expect(r).toMatchObject({ status: "failed", detail: expect.stringMatching(detail) });
    else expect(r).toEqual({ login: "frank", status: "sent" });
  });

  it("Slack as the channel: the message goes to the configured webhook, without secrets", async () => {
    const posted: string[] = [];
    const onboard = createOnboarder({
      env: { JIT_SLACK: "https://hooks.slack.com/services/T/B/x" },
      slack: {
        fetch: async (_url, init) => {
          posted.push(init.body);
          return { status: 200, headers: { get: () => null }, text: async () => "ok" };
        },
      },
    });
    const text =
      CONFIG.replace("  allowed_policies:", "  onboarding: { channel: slack }\n  allowed_policies:") + "notifications: { slack_webhook_env: JIT_SLACK }\n";
    const config = (await loadRepoConfig({ read: async (p) => (p === CONFIG_PATH ? { path: p, sha: "x", text } : undefined) })) as { ok: true; value: Config };
    const person = {
      kind: "iam_user" as const,
      name: "frank",
      login: "frank",
      email: "frank@example.com",
      managedPolicies: [],
      inlinePolicies: {},
      tags: {},
      groups: [],
    };
    expect(await onboard(config.value, person, "acme/access")).toEqual({ login: "frank", status: "sent" });
    expect(posted[0]).toContain("frank");
    expect(fake.ses.sent).toEqual([]);
  });
});

describe("drift: identities reconcile", () => {
  async function applied() {
    const repo = new MemoryAccessRepo();
    expect((await applyMergedIdentities(repo, mergedPr(repo, {}, { "identities/people.yaml": PEOPLE }), deps())).kind).toBe("applied");
    const cfg = (await loadRepoConfig(repo)) as { ok: true; value: Config };
    const ids = checkIdentities(loadCatalogue(), [{ path: "identities/people.yaml", text: PEOPLE }], cfg.value);
    if (!ids.ok) throw new Error("fixture");
    return { config: cfg.value, ids: ids.value, directory: createIdentityDirectory(cfg.value, { clients: fake.clients, clientSettings: fake.clientSettings }) };
  }

  it("reports what git lists and AWS lacks, out-of-band changes and unlisted managed identities; --apply repairs the first two only", async () => {
    const { config, ids, directory } = await applied();
    expect(await reconcileIdentities(config, ids, directory, { apply: false })).toMatchObject({ ok: true, missing: [], changed: [], unlisted: [] });

    // Out of band: AdministratorAccess attached to frank, grace deleted, a tagged user added by hand.
    iam().users.get("frank")!.attached.push("arn:aws:iam::aws:policy/AdministratorAccess");
    iam().users.delete("grace");
    iam().users.set("mallory", { name: "mallory", attached: [], inline: new Map(), path: PATH, tags: [{ Key: MANAGED_TAG, Value: "jit-access" }] });

    const report = await reconcileIdentities(config, ids, directory, { apply: false });
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([expect.stringMatching(/^create iam_user grace/)]);
    expect(report.changed).toEqual([expect.stringMatching(/^update iam_user frank: detach arn:aws:iam::aws:policy\/AdministratorAccess/)]);
    expect(report.unlisted).toEqual(["remove iam_user mallory"]);
    expect(driftText(report)).toContain("changed in AWS outside jit-access");

    const fixed = await reconcileIdentities(config, ids, directory, { apply: true });
    expect(fixed.repaired).toHaveLength(2);
    expect(iam().users.get("frank")!.attached).toEqual(["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]);
    expect(iam().users.has("grace")).toBe(true);
    // Never removed by reconcile: an offboarding goes through a reviewed pull request.
    expect(iam().users.has("mallory")).toBe(true);
    expect(fixed.ok).toBe(false);
  });

  it("a git name held by an unmanaged identity is reported and nothing is repaired", async () => {
    const { config, ids, directory } = await applied();
    iam().users.get("frank")!.tags = [];
    iam().users.delete("grace");
    const r = await reconcileIdentities(config, ids, directory, { apply: true });
    expect(r.notOwned).toEqual(["refuse iam_user frank: not managed by jit-access"]);
    expect(r.repaired).toEqual([]);
    expect(iam().users.has("grace")).toBe(false);
  });
});
