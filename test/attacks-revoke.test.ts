// Revoke removes only what jit-access created. A request record is text in a repository; whoever
// can change it (a hand edit merged to main, a direct push) could make `grant.aws.resources` name
// `policy/ProdAdmin` or a permission set jit-access never made, and revoke, the sweep and
// reconcile used to detach and delete whatever it named. Now three layers hold:
//   1. the record is not readable unless grant.aws.resources has the shape jit-access writes
//      (schema pattern) and names this request, this account and this mode (src/domain/request.ts);
//   2. Grants.revoke accepts only the names a grant of this request creates (ownedTarget);
//   3. before anything is detached or deleted, AWS must say the policy / permission set is under
//      the jit-access path, named for the request and tagged jit-access:request=<id>.
// Refusals say what was named, what would be accepted, that nothing was removed, and the fix.
// Also run under Node 24 (NODE24 in vitest.config.ts): the git store (git subprocesses).
// @module-tag node24
import { AttachUserPolicyCommand, CreatePolicyCommand, type Tag } from "@aws-sdk/client-iam";
import { CreatePermissionSetCommand, ProvisionPermissionSetCommand } from "@aws-sdk/client-sso-admin";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { iamPolicyArn } from "../src/aws/naming.js";
import { NotOwnedError, storedAws } from "../src/aws/plan.js";
import type { Grants } from "../src/aws/types.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config, GrantRecord } from "../src/domain/types.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { runSweep } from "../src/sweep/run.js";
import { REPO, startHarness, type Harness } from "./support/app-harness.js";
import { runCli } from "./support/cli.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, OTHER, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { configOf, createGitRepo, recordPath, sweepConfigYaml, writeConfig, type GitRepo } from "./support/git-repo.js";
import { lastComment } from "./support/scenario.js";
import { issueCommentCreated } from "./support/webhooks.js";

const ID = "142-financial-reports";
const PROD_ADMIN = `arn:aws:iam::${HOME}:policy/ProdAdmin`;
const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
const DOC = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

/** An active record of `id` whose grant.aws is `aws` (as if edited by hand). */
function activeRecord(aws: NonNullable<GrantRecord["aws"]>, id = ID, expiresAt = "2026-11-27T10:00:00Z"): AccessRequest {
  return {
    ...testRequest({ id, policy: testPolicy() }),
    status: "active",
    grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T08:00:00Z", expires_at: expiresAt, aws },
  };
}

/** A customer managed policy made by someone else, attached to alice. */
async function handMadePolicy(fake: FakeAws, name: string, path = "/", tags: Tag[] = []): Promise<string> {
  const out = await fake.clients.iam.send(
    new CreatePolicyCommand({ PolicyName: name, Path: path, PolicyDocument: DOC, ...(tags.length ? { Tags: tags } : {}) }),
  );
  const arn = out.Policy!.Arn!;
  await fake.clients.iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: arn }));
  return arn;
}

/** A permission set made by someone else (no jit-access tag unless given), provisioned to HOME. */
async function handMadePermissionSet(fake: FakeAws, name: string, tags: Array<{ Key: string; Value: string }> = []): Promise<string> {
  const out = await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: name, ...(tags.length ? { Tags: tags } : {}) }));
  const arn = out.PermissionSet!.PermissionSetArn!;
  await fake.clients.ssoAdmin.send(
    new ProvisionPermissionSetCommand({ InstanceArn: INSTANCE, PermissionSetArn: arn, TargetType: "AWS_ACCOUNT", TargetId: HOME }),
  );
  fake.settle();
  return arn;
}

const policyThere = (fake: FakeAws, arn: string, account = HOME) => fake.state.accounts.get(account)?.iam.policies.has(arn) ?? false;
const aliceHolds = (fake: FakeAws, arn: string) => fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached.includes(arn);
const mutatingCalls = (fake: FakeAws) => fake.calls.filter((c) => /^(Detach|Delete|Put|Create|Attach|Tag|Untag)/.test(c.op)).map((c) => c.op);

let fake: FakeAws | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});
function useFake(): FakeAws {
  fake = createFakeAws();
  seed(fake);
  return fake;
}

describe("a record that names a policy jit-access did not create (policy/ProdAdmin)", () => {
  const ENV_KEYS = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_EC2_METADATA_DISABLED",
    "GITHUB_ACTOR",
    "GITHUB_TOKEN",
    "GITHUB_REPOSITORY",
  ];
  const saved: Record<string, string | undefined> = {};
  let repo: GitRepo;
  let config: Config;
  beforeEach(() => {
    for (const k of ENV_KEYS) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
    repo = createGitRepo("jit-attack-revoke-");
    const yaml = sweepConfigYaml("iam");
    writeConfig(repo, yaml);
    config = configOf(yaml);
  });
  afterEach(() => {
    repo.cleanup();
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  const tampered = () => activeRecord({ mode: "iam", account_id: HOME, resources: [PROD_ADMIN], schedule: `jit-access/jit-${ID} jit-access/jit-${ID}-delete` });

  it("is not a readable record: the field, the value and the fix are named", () => {
    const r = parseRequestFile(dumpRequest(tampered()), { file: recordPath(ID), config });
    expect(r.ok).toBe(false);
    const problem = !r.ok ? r.problems.find((p) => p.path === "grant.aws.resources[0]") : undefined;
    expect(problem?.message).toContain(JSON.stringify(PROD_ADMIN));
    expect(problem?.message).toMatch(/policy\/jit-access\/jit-<id>.*jit-access never removes anything else — restore grant\.aws from the git history/);
  });

  it("CLI revoke refuses with a clear message; ProdAdmin stays, still attached", async () => {
    const aws = useFake();
    const prodAdmin = await handMadePolicy(aws, "ProdAdmin");
    repo.write(recordPath(ID), dumpRequest(tampered()));
    repo.commitAll("tampered record");
    process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
    process.env.AWS_REGION = "us-east-1";
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    aws.resetLogs();
    const r = await runCli(["revoke", ID, "--reason", "done"], repo.dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✗ refusing to revoke ${ID}: ${recordPath(ID)} cannot be read, so nothing was removed`);
    expect(r.stdout).toContain("grant.aws.resources[0]");
    expect(policyThere(aws, prodAdmin) && aliceHolds(aws, prodAdmin)).toBe(true);
    expect(mutatingCalls(aws)).toEqual([]);
  });

  it("the sweep reports the record as an error and never touches ProdAdmin, with or without reconcile", async () => {
    const aws = useFake();
    const prodAdmin = await handMadePolicy(aws, "ProdAdmin");
    repo.write(recordPath(ID), dumpRequest(tampered()));
    repo.commitAll("tampered record");
    const grants = fakeGrants(aws, config);
    aws.resetLogs();
    for (const reconcile of [true, false]) {
      const report = await runSweep(
        { store: new GitRecordStore(repo.dir), config, grants: () => grants },
        { now: new Date("2026-11-27T11:00:00Z"), dryRun: false, reconcile, concurrency: 2 },
      );
      expect(report.ok).toBe(false);
      expect(report.plan.due).toEqual([]);
      expect(report.plan.errors.map((e) => [e.file, e.problems.some((p) => p.path === "grant.aws.resources[0]")])).toEqual([[recordPath(ID), true]]);
    }
    expect(policyThere(aws, prodAdmin) && aliceHolds(aws, prodAdmin)).toBe(true);
    expect(mutatingCalls(aws)).toEqual([]);
  });

  it("Grants.revoke refuses ProdAdmin before any AWS call, naming what it would accept", async () => {
    const aws = useFake();
    const prodAdmin = await handMadePolicy(aws, "ProdAdmin");
    const grants = fakeGrants(aws, config);
    aws.resetLogs();
    const refused = grants.revoke({ requestId: ID, mode: "iam", accountId: HOME, resources: [prodAdmin] });
    await expect(refused).rejects.toBeInstanceOf(NotOwnedError);
    await expect(refused).rejects.toThrow(
      `refusing to revoke ${ID}: the record names the resource "${PROD_ADMIN}", which jit-access did not create for this request (it removes only ${iamPolicyArn("aws", HOME, ID)}); nothing was removed`,
    );
    expect(aws.calls).toEqual([]);
    expect(policyThere(aws, prodAdmin) && aliceHolds(aws, prodAdmin)).toBe(true);
  });
});

describe("a permission set jit-access did not create", () => {
  it("Grants.revoke refuses a record naming it, and refuses one named jit-<id> that carries no jit-access tag", async () => {
    const aws = useFake();
    const config = configOf(sweepConfigYaml("identity-center"));
    const grants = fakeGrants(aws, config);
    const admin = await handMadePermissionSet(aws, "AdministratorAccess");
    const lookAlike = await handMadePermissionSet(aws, `jit-${ID}`.slice(0, 32));
    aws.resetLogs();
    // Named in the record: it is a permission set of the instance, but not named for the request.
    await expect(grants.revoke({ requestId: ID, mode: "identity-center", accountId: HOME, resources: [admin] })).rejects.toThrow(
      /refusing to revoke 142-financial-reports: permission set .*ps-\S+ \(AdministratorAccess\) carries no jit-access:request tag, so jit-access did not create it for this request; nothing was unassigned or deleted/,
    );
    // Found by name (the record names nothing): the name alone is not enough.
    await expect(grants.revoke({ requestId: ID, mode: "identity-center", accountId: HOME })).rejects.toThrow(
      /\(jit-142-financial-reports\) carries no jit-access:request tag/,
    );
    expect(mutatingCalls(aws)).toEqual([]);
    expect([...aws.state.sso.permissionSets.keys()].sort()).toEqual([admin, lookAlike].sort());
  });

  it("a record naming it is not readable in iam mode, and another instance's ARN is refused before any call", async () => {
    const aws = useFake();
    const config = configOf(sweepConfigYaml("identity-center"));
    const other = "arn:aws:sso:::permissionSet/ssoins-2222222222222222/ps-0000000000000001";
    const r = parseRequestFile(dumpRequest(activeRecord({ mode: "iam", account_id: HOME, resources: [other] })), { file: recordPath(ID), config });
    expect(!r.ok && r.problems.map((p) => p.message)).toEqual([expect.stringContaining("is a permission set but grant.aws.mode is iam")]);
    aws.resetLogs();
    await expect(fakeGrants(aws, config).revoke({ requestId: ID, mode: "identity-center", accountId: HOME, resources: [other] })).rejects.toThrow(
      /the record names the resource ".*ssoins-2222222222222222.*", which jit-access did not create for this request \(it removes only a permission set arn:aws:sso:::permissionSet\/ssoins-1111111111111111\/ps-… named jit-142-financial-reports\)/,
    );
    expect(aws.calls).toEqual([]);
  });
});

describe("the AWS side: the right name is not enough", () => {
  it("an untagged policy at the request's exact ARN, or one tagged for another request, is refused and left attached", async () => {
    const aws = useFake();
    const config = configOf(sweepConfigYaml("iam"));
    const grants = fakeGrants(aws, config);
    for (const tags of [[], [{ Key: "jit-access:request", Value: "7-other" }]]) {
      aws.reset();
      seed(aws);
      const arn = await handMadePolicy(aws, `jit-${ID}`, "/jit-access/", tags);
      expect(arn).toBe(iamPolicyArn("aws", HOME, ID));
      aws.resetLogs();
      await expect(grants.revoke({ requestId: ID, mode: "iam", accountId: HOME, resources: [arn] })).rejects.toThrow(
        tags.length
          ? /IAM policy .* is tagged for request "7-other", so jit-access did not create it for this request; nothing was detached or deleted/
          : /IAM policy .* carries no jit-access:request tag/,
      );
      expect(mutatingCalls(aws)).toEqual([]);
      expect(policyThere(aws, arn) && aliceHolds(aws, arn)).toBe(true);
    }
  });

  it("CLI revoke of a well-formed record says the AWS policy is not jit-access's and that rerunning will not help", async () => {
    const aws = useFake();
    const repo = createGitRepo("jit-attack-revoke-");
    const keys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_EC2_METADATA_DISABLED"] as const;
    const saved = keys.map((k) => process.env[k]);
    try {
      const yaml = sweepConfigYaml("iam");
      writeConfig(repo, yaml);
      const arn = await handMadePolicy(aws, `jit-${ID}`, "/jit-access/");
      repo.write(recordPath(ID), dumpRequest(activeRecord({ mode: "iam", account_id: HOME, resources: [arn] }, ID, "2026-12-31T00:00:00Z")));
      repo.commitAll("record");
      Object.assign(process.env, {
        AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
        AWS_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
      });
      const r = await runCli(["revoke", ID, "--reason", "done", "--json"], repo.dir);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ id: ID, ok: false, error: "refused", message: expect.stringMatching(/carries no jit-access:request tag/) });
      expect(policyThere(aws, arn) && aliceHolds(aws, arn)).toBe(true);
      expect(repo.git("show", `HEAD:${recordPath(ID)}`)).toMatch(/^status: active$/m);
    } finally {
      keys.forEach((k, i) => (saved[i] === undefined ? delete process.env[k] : (process.env[k] = saved[i])));
      repo.cleanup();
    }
  });
});

describe("/revoke on GitHub", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("refuses a record naming ProdAdmin with a clear reply, and ProdAdmin stays attached", async () => {
    h = await startHarness();
    const prodAdmin = await handMadePolicy(h.aws, "ProdAdmin");
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports" });
    const id = `${issue}-reports`;
    const record = activeRecord({ mode: "iam", account_id: HOME, resources: [prodAdmin] }, id, "2026-11-27T16:00:00Z");
    h.github.commitFiles(REPO, "main", { [recordPath(id)]: dumpRequest(record) }, { author: "mallory", message: "edit grant.aws" });
    h.aws.resetLogs();
    const c = h.github.addComment(REPO, issue, { user: "alice", body: "/revoke done" });
    expect(await h.deliver(issueCommentCreated(h.github, REPO, issue, c))).toBe(200);
    const reply = lastComment(h, issue);
    expect(reply).toContain(`Cannot revoke: the record ${recordPath(id)} cannot be read, so nothing was removed`);
    expect(reply).toContain("grant.aws.resources\\[0\\]");
    expect(reply).not.toMatch(/Revoked by/);
    expect(mutatingCalls(h.aws)).toEqual([]);
    expect(policyThere(h.aws, prodAdmin) && aliceHolds(h.aws, prodAdmin)).toBe(true);
  });

  it("refuses when AWS says the policy at the recorded ARN is not jit-access's; the record stays active", async () => {
    h = await startHarness();
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports" });
    const id = `${issue}-reports`;
    const arn = await handMadePolicy(h.aws, `jit-${id}`, "/jit-access/", [{ Key: "jit-access:request", Value: "9-someone-else" }]);
    const record = activeRecord({ mode: "iam", account_id: HOME, resources: [arn] }, id, "2026-11-27T16:00:00Z");
    h.github.commitFiles(REPO, "main", { [recordPath(id)]: dumpRequest(record) }, { author: "app", message: "record" });
    const c = h.github.addComment(REPO, issue, { user: "alice", body: "/revoke" });
    expect(await h.deliver(issueCommentCreated(h.github, REPO, issue, c))).toBe(200);
    expect(lastComment(h, issue)).toMatch(/🛑 Not revoked: refusing to revoke .* is tagged for request "9-someone-else".*Trying again will not change this/);
    expect(policyThere(h.aws, arn) && aliceHolds(h.aws, arn)).toBe(true);
    expect(h.github.readFile(REPO, recordPath(id), "main")).toMatch(/^status: active$/m);
  });
});

// ---------------------------------------------------------------------------------------------
// The family: every way a name can differ from what jit-access creates.

const PARTITIONS = ["aws", "aws-cn", "aws-us-gov"] as const;
const PATHS = ["/jit-access/", "/", "/jit-access/nested/", "/other/", "/jit-accessx/"] as const;
const TAGS = ["mine", "other", "none"] as const;

describe("family: IAM policy names × tags (property)", () => {
  it("only arn:aws:iam::<account>:policy/jit-access/jit-<id> tagged <id> is ever detached or deleted; the record is readable only in that shape", async () => {
    const aws = useFake();
    const config = configOf(sweepConfigYaml("iam"));
    const grants: Grants = fakeGrants(aws, config);
    const name = fc.oneof(
      fc.constant(`jit-${ID}`),
      fc.constant("ProdAdmin"),
      fc.constant("jit-7-other"),
      fc.constant(`jit-${ID}x`),
      fc.constant(`JIT-${ID}`),
      fc.constant(`jit-${ID}-delete`),
      fc.stringMatching(/^[A-Za-z0-9+=,.@_-]{1,40}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          partition: fc.constantFrom(...PARTITIONS),
          account: fc.constantFrom(HOME, OTHER, "333333333333"),
          path: fc.constantFrom(...PATHS),
          name,
          tag: fc.constantFrom(...TAGS),
        }),
        async ({ partition, account, path, name, tag }) => {
          aws.reset();
          seed(aws);
          const tags = tag === "none" ? [] : [{ Key: "jit-access:request", Value: tag === "mine" ? ID : "7-other" }];
          const real = await handMadePolicy(aws, name, path, tags); // always in HOME, partition aws
          const named = `arn:${partition}:iam::${account}:policy${path}${name}`;
          const exact = partition === "aws" && account === HOME && path === "/jit-access/" && name === `jit-${ID}`;

          // The record: readable only when the name has the jit-access shape for this id and account.
          const parsed = parseRequestFile(dumpRequest(activeRecord({ mode: "iam", account_id: HOME, resources: [named] })), { file: recordPath(ID), config });
          expect(parsed.ok).toBe(path === "/jit-access/" && name === `jit-${ID}` && account === HOME);

          aws.resetLogs();
          const outcome = await grants.revoke({ requestId: ID, mode: "iam", accountId: HOME, resources: [named] }).then(
            (r) => ({ removed: r.removed }),
            (e: unknown) => ({ error: e }),
          );
          const removedIt = !policyThere(aws, real);
          expect(removedIt).toBe(exact && tag === "mine");
          if (!(exact && tag === "mine")) {
            expect("error" in outcome && outcome.error).toBeInstanceOf(NotOwnedError);
            expect(mutatingCalls(aws)).toEqual([]);
            expect(aliceHolds(aws, real)).toBe(true);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

describe("family: Identity Center and schedules (table)", () => {
  const PS = (instance: string, ps = "ps-0000000000000001", partition = "aws") => `arn:${partition}:sso:::permissionSet/${instance}/${ps}`;
  const rows: Array<[string, (mine: string) => Partial<Parameters<Grants["revoke"]>[0]>, "removed" | RegExp]> = [
    ["the grant's own permission set", (mine) => ({ resources: [mine] }), "removed"],
    ["found by name (record names nothing)", () => ({}), "removed"],
    ["another instance", () => ({ resources: [PS("ssoins-2222222222222222")] }), /did not create for this request/],
    ["another partition", (mine) => ({ resources: [mine.replace("arn:aws:", "arn:aws-us-gov:")] }), /did not create for this request/],
    ["not a permission set ARN", () => ({ resources: [PROD_ADMIN] }), /did not create for this request/],
    ["two permission sets", (mine) => ({ resources: [mine, mine.replace(/.$/, "9")] }), /more than one resource/],
    ["a schedule of another request", () => ({ schedules: ["jit-7-other"] }), /the schedule "jit-access\/jit-7-other"/],
    [
      "a schedule not named for the request",
      () => ({ schedules: ["ProdSchedule"] }),
      /the schedule "jit-access\/ProdSchedule".*it removes only jit-access\/jit-142-financial-reports\)/,
    ],
  ];
  it.each(rows)("%s", async (_label, target, expected) => {
    const aws = useFake();
    const config = configOf(sweepConfigYaml("identity-center"));
    const grants = fakeGrants(aws, config);
    const granted = await grants.grant(testRequest({ id: ID }), testPolicy(), "2026-11-27T16:00:00Z");
    const mine = granted.resources[0]!;
    expect(storedAws(granted).resources).toEqual([mine]);
    aws.resetLogs();
    const revoke = grants.revoke({ requestId: ID, mode: "identity-center", accountId: HOME, ...target(mine) });
    if (expected === "removed") {
      expect((await revoke).removed).toContain(mine);
      expect(aws.state.sso.permissionSets.size).toBe(0);
    } else {
      await expect(revoke).rejects.toThrow(expected);
      expect(aws.calls).toEqual([]);
      expect(aws.state.sso.permissionSets.has(mine)).toBe(true);
    }
  });
});
