// The CLI commands sweep, list and revoke in a real temporary checkout: the dry run's JSON shape
// without any AWS credentials, a full sweep and a revoke against the fake AWS (reached through the
// SDK's default credential chain, as in real use), and usage errors (exit 2).
// Also run under Node 24 (NODE24 in vitest.config.ts): git subprocesses.
// @module-tag node24
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { runCli } from "./support/cli.js";
import { configOf, createGitRepo, recordPath, seedActive, sweepConfigYaml, writeConfig, writeRecord, type GitRepo } from "./support/git-repo.js";

const T = (hhmm: string) => `2026-11-27T${hhmm}:00Z`;
const ENV_KEYS = [
  "GITHUB_TOKEN",
  "GITHUB_REPOSITORY",
  "GITHUB_ACTOR",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_PROFILE",
  "AWS_EC2_METADATA_DISABLED",
];
const saved: Record<string, string | undefined> = {};
let repo: GitRepo;
let fake: FakeAws | undefined;

beforeAll(() => {
  for (const k of ENV_KEYS) saved[k] = process.env[k];
});
afterAll(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
beforeEach(async () => {
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  repo = createGitRepo("jit-cli-");
  const yaml = sweepConfigYaml("iam");
  writeConfig(repo, yaml);
  // Seeded through a fake that is removed again: the dry run below runs with no AWS at all.
  const seeding = createFakeAws();
  seed(seeding);
  const grants = fakeGrants(seeding, configOf(yaml));
  await seedActive(repo, grants, { id: "7-due", expiresAt: T("10:00") });
  await seedActive(repo, grants, { id: "8-later", expiresAt: T("16:00"), requester: "carol" });
  writeRecord(repo, testRequest({ id: "9-proposed" }));
  repo.write("access-requests/prod/2026/10-broken.yaml", 'version: 1\nid: 10-broken\nreason: "never closed\n');
  repo.commitAll("seed");
  seeding.restore();
});
afterEach(() => {
  fake?.restore();
  fake = undefined;
  repo.cleanup();
});

function useFakeAws(): FakeAws {
  fake = createFakeAws();
  seed(fake);
  process.env.AWS_ACCESS_KEY_ID = fake.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = fake.credentials.secretAccessKey;
  process.env.AWS_REGION = "us-east-1";
  return fake;
}

describe("jit-access sweep", () => {
  it("--dry-run --no-reconcile --json: exactly { now, due, active, errors }, from the records alone", async () => {
    const head = repo.head();
    const r = await runCli(["sweep", "--dry-run", "--no-reconcile", "--json", "--now", T("11:00")], repo.dir);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["now", "due", "active", "errors"]);
    expect(out).toEqual({
      now: "2026-11-27T11:00:00.000Z",
      due: [{ id: "7-due", expires_at: T("10:00"), file: recordPath("7-due") }],
      active: 1,
      errors: [
        { file: "access-requests/prod/2026/10-broken.yaml", problems: expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]) },
      ],
    });
    expect(r.code).toBe(1); // an unreadable record is a failure to look at
    expect(repo.head()).toBe(head);

    repo.git("rm", "--quiet", "access-requests/prod/2026/10-broken.yaml");
    repo.commitAll("drop broken");
    const clean = await runCli(["sweep", "--dry-run", "--no-reconcile", "--now", T("11:00")], repo.dir);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("would expire 7-due (expired at 2026-11-27T10:00:00Z)");
  });

  it("sweeps for real against AWS: revokes, commits, reports JSON; exit 0, then nothing to do", async () => {
    repo.git("rm", "--quiet", "access-requests/prod/2026/10-broken.yaml");
    repo.commitAll("drop broken");
    const aws = useFakeAws();
    // The fake was reset: re-grant the two active records' resources in this one.
    const grants = fakeGrants(aws, configOf(sweepConfigYaml("iam")));
    await grants.grant(testRequest({ id: "7-due" }), testPolicy("bucket-7-due"), T("10:00"));
    await grants.grant(testRequest({ id: "8-later", requester: "carol" }), testPolicy("bucket-8-later"), T("16:00"));
    const r = await runCli(["sweep", "--json", "--now", T("11:00"), "--concurrency", "2"], repo.dir);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { due: Array<Record<string, unknown>>; drift: unknown[]; ok: boolean; active: number };
    expect(out.ok).toBe(true);
    // The expiry's commit, then the grant's activity on top of it.
    expect(out.due).toEqual([expect.objectContaining({ id: "7-due", result: "expired", notified: false, commit: repo.git("rev-parse", "HEAD~1").trim() })]);
    expect(repo.git("log", "-1", "--format=%s").trim()).toBe("jit-access: activity of 7-due");
    expect(out.drift).toEqual([]);
    expect(out.active).toBe(1);
    expect(r.code).toBe(0);
    expect([...aws.state.accounts.get(HOME)!.iam.policies.keys()]).toEqual([expect.stringContaining("jit-8-later")]);
    const again = await runCli(["sweep", "--now", T("11:05")], repo.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("0 due, 1 active, 0 unreadable, 0 drift");
  });

  it("usage errors exit 2", async () => {
    for (const args of [
      ["sweep", "--concurrency", "0"],
      ["sweep", "--now", "yesterday"],
      ["sweep", "--bogus"],
      ["sweep", "extra"],
      ["list", "--status", "gone"],
      ["revoke", "7-due"],
      ["revoke", "--reason", "x"],
    ]) {
      const r = await runCli(args, repo.dir);
      expect([args, r.code]).toEqual([args, 2]);
    }
  });
});

describe("jit-access list", () => {
  it("lists requests with their state, filters by status, and reports unreadable files", async () => {
    const all = await runCli(["list", "--json"], repo.dir);
    const out = JSON.parse(all.stdout) as { requests: Array<{ id: string; status: string; expires_at: string | null }>; errors: Array<{ file: string }> };
    expect(out.requests.map((r) => [r.id, r.status, r.expires_at])).toEqual([
      ["7-due", "active", T("10:00")],
      ["8-later", "active", T("16:00")],
      ["9-proposed", "proposed", null],
    ]);
    expect(out.errors.map((e) => e.file)).toEqual(["access-requests/prod/2026/10-broken.yaml"]);
    expect(all.code).toBe(1);
    const proposed = await runCli(["list", "--status", "proposed"], repo.dir);
    expect(proposed.stdout).toMatch(/^proposed +9-proposed {2}alice → prod {2}access-requests\/prod\/2026\/9-proposed\.yaml$/m);
    expect(proposed.stdout).not.toContain("7-due");
  });
});

describe("jit-access revoke", () => {
  it("revokes an active grant in AWS and records it with trailers; refuses what is not active", async () => {
    const aws = useFakeAws();
    process.env.GITHUB_ACTOR = "bob";
    const grants = fakeGrants(aws, configOf(sweepConfigYaml("iam")));
    await grants.grant(testRequest({ id: "8-later", requester: "carol" }), testPolicy("bucket-8-later"), T("16:00"));
    const r = await runCli(["revoke", "8-later", "--reason", "done early", "--json"], repo.dir);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: "8-later", ok: true, status: "revoked", removed: expect.arrayContaining(["attachment:user/carol"]) });
    expect(r.code).toBe(0);
    expect(aws.state.accounts.get(HOME)!.iam.policies.size).toBe(0);
    const text = readFileSync(join(repo.dir, recordPath("8-later")), "utf8");
    expect(text).toMatch(/^status: revoked$/m);
    expect(text).toMatch(/reason: done early\n {2}by: bob/);
    expect(parseTrailers(repo.git("log", "-1", "--skip=1", "--format=%B"))).toMatchObject({ "Request-Id": ["8-later"], "Closed-By": ["bob"] });
    expect(text).toMatch(/^activity:\n {2}status: summarised$/m);

    const twice = await runCli(["revoke", "8-later", "--reason", "again"], repo.dir);
    expect([twice.code, twice.stdout]).toEqual([1, "✗ 8-later is revoked, not active; nothing to revoke\n"]);
    const none = await runCli(["revoke", "99-none", "--reason", "x"], repo.dir);
    expect(none.code).toBe(1);
  });

  it("--all (break-glass) revokes every active grant, each with its record, and removes orphans", async () => {
    repo.git("rm", "--quiet", "access-requests/prod/2026/10-broken.yaml");
    repo.commitAll("drop broken");
    const aws = useFakeAws();
    const grants = fakeGrants(aws, configOf(sweepConfigYaml("iam")));
    await grants.grant(testRequest({ id: "7-due" }), testPolicy("bucket-7-due"), T("10:00"));
    await grants.grant(testRequest({ id: "8-later", requester: "carol" }), testPolicy("bucket-8-later"), T("16:00"));
    // An orphan: a jit-access policy in AWS with no record at all.
    await grants.grant(testRequest({ id: "77-orphan" }), testPolicy("bucket-orphan"), T("16:00"));
    const r = await runCli(["revoke", "--all", "--reason", "incident 42: break glass", "--json"], repo.dir);
    const out = JSON.parse(r.stdout) as { ok: boolean; revoked: Array<{ id: string; ok: boolean }>; drift: Array<{ requestId: string }> };
    expect(out.revoked.map((x) => [x.id, x.ok])).toEqual([
      ["7-due", true],
      ["8-later", true],
    ]);
    expect(out.drift.map((d) => d.requestId)).toContain("77-orphan");
    expect(out.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(aws.state.accounts.get(HOME)!.iam.policies.size).toBe(0);
    for (const id of ["7-due", "8-later"]) expect(readFileSync(join(repo.dir, recordPath(id)), "utf8")).toMatch(/^status: revoked$/m);
    expect((await runCli(["revoke", "--all", "7-due", "--reason", "x"], repo.dir)).code).toBe(2);
  });
});
