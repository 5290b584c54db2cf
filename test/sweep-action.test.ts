// The sweep as the Action runs it (src/sweep/action.ts: inputs from INPUT_* variables, records
// through the contents API, GitHub notified) against the fake GitHub on 127.0.0.1 and the fake
// AWS: the due grant's issue is commented on and closed as completed, its labels swapped; the
// record is committed on the default branch; the job summary is written; a dry run changes nothing.
// Also run under Node 24 (NODE24 in vitest.config.ts): the Action's entry point, and git.
// @module-tag node24
import { ACTIVITY_MARKER } from "../src/github/activity-comment.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, normalize } from "node:path";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storedAws } from "../src/aws/plan.js";
import { parseTrailers } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { changedRequestFiles, runActionCommand } from "../src/action.js";
import { runCli } from "./support/cli.js";
import { runAction } from "../src/sweep/action.js";
import { SWEEP_MARKER } from "../src/github/closer.js";
import { createFakeAws, type FakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";
import { configOf, recordPath, sweepConfigYaml } from "./support/git-repo.js";

const REPO = "acme/access";
const ENV_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_EC2_METADATA_DISABLED", "AWS_PROFILE"];
const saved: Record<string, string | undefined> = {};
let gh: FakeGitHub;
let aws: FakeAws;
let tmp: string;

beforeAll(async () => {
  gh = await startFakeGitHub();
  for (const k of ENV_KEYS) saved[k] = process.env[k];
});
afterAll(async () => {
  await gh.close();
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
beforeEach(() => {
  gh.reset();
  aws = createFakeAws();
  seed(aws);
  delete process.env.AWS_PROFILE;
  process.env.AWS_ACCESS_KEY_ID = aws.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = aws.credentials.secretAccessKey;
  process.env.AWS_REGION = "us-east-1";
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  tmp = mkdtempSync(join(tmpdir(), "jit-action-"));
});
afterEach(() => {
  aws.restore();
  rmSync(tmp, { recursive: true, force: true });
});

async function setup(): Promise<{ due: AccessRequest; later: AccessRequest; pr: number }> {
  const yaml = sweepConfigYaml("iam");
  const config = configOf(yaml);
  // Real time: the Action sweeps at "now". Granted three hours ago; one expired an hour ago.
  const grants = fakeGrants(aws, config, { now: () => new Date(Date.now() - 3 * 3600_000) });
  const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");
  gh.createRepo({ owner: "acme", name: "access", files: { "README.md": "# access\n" } });
  const issueDue = gh.openIssue(REPO, { user: "alice", title: "AWS access: reports", labels: ["jit:active"] });
  const issueLater = gh.openIssue(REPO, { user: "carol", title: "AWS access: later", labels: ["jit:active"] });
  const pr = gh.openIssue(REPO, { user: "alice", title: "stand-in for the granting pull request", labels: ["jit:active"] });
  const files: Record<string, string> = { ".github/jit-access.yml": yaml };
  const make = async (id: string, requester: string, expiresAt: string, prNumber?: number): Promise<AccessRequest> => {
    const request = testRequest({ id, requester, policy: testPolicy(`b-${id}`) });
    const result = await grants.grant(request, request.policy!, expiresAt);
    const active: AccessRequest = {
      ...request,
      status: "active",
      grant: {
        approved_by: ["bob"],
        merge_commit: "b".repeat(40),
        ...(prNumber ? { pr: prNumber } : {}),
        granted_at: iso(3 * 3600_000),
        expires_at: expiresAt,
        aws: storedAws(result),
      },
    };
    files[recordPath(id)] = dumpRequest(active, "Written by jit-access.");
    return active;
  };
  const due = await make(`${issueDue}-reports`, "alice", iso(3600_000), pr);
  const later = await make(`${issueLater}-later`, "carol", new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"));
  const repo = gh.repo(REPO);
  const tree = new Map(repo.git.filesAt(gh.branchSha(REPO, "main")));
  for (const [path, text] of Object.entries(files)) tree.set(path, gh.blobFor(repo, text)!);
  gh.setBranch(repo, "main", gh.writeCommit(repo, tree, [gh.branchSha(REPO, "main")], "seed records", "acme"));
  return { due, later, pr };
}

function actionEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "INPUT_GITHUB-TOKEN": gh.issueInstallationToken().token,
    "INPUT_CONFIG-PATH": "",
    "INPUT_DRY-RUN": "false",
    INPUT_CONCURRENCY: "2",
    GITHUB_REPOSITORY: REPO,
    GITHUB_API_URL: gh.url,
    GITHUB_STEP_SUMMARY: join(tmp, "summary.md"),
    ...extra,
  };
}

describe("the sweep Action", () => {
  it("dry-run input: reports the plan and changes nothing", async () => {
    const { due } = await setup();
    const head = gh.branchSha(REPO, "main");
    const before = aws.snapshot();
    let out = "";
    const code = await runAction(actionEnv({ "INPUT_DRY-RUN": "true" }), { write: (s: string) => (out += s) });
    expect(code).toBe(0);
    expect(out).toContain(`would expire ${due.id}`);
    expect(gh.branchSha(REPO, "main")).toBe(head);
    expect(aws.snapshot()).toEqual(before);
    expect(gh.issueState(REPO, 1).state).toBe("open");
    expect(readFileSync(join(tmp, "summary.md"), "utf8")).toContain("(dry run)");
  });

  it("expires the due grant: AWS cleaned, record committed on main, issue commented and closed as completed, labels swapped", async () => {
    const { due, later, pr } = await setup();
    let out = "";
    const code = await runAction(actionEnv(), { write: (s: string) => (out += s) });
    expect(out).not.toContain("::error");
    expect(code).toBe(0);

    expect([...aws.state.accounts.get(HOME)!.iam.policies.keys()]).toEqual([expect.stringContaining(later.id)]);
    const path = recordPath(due.id);
    expect(gh.readFile(REPO, path)).toMatch(/^status: expired$/m);
    const commits = gh.commits(REPO, { path });
    // Newest first: the grant's activity, then the expiry.
    expect(commits).toHaveLength(3);
    expect(commits[0]!.message).toMatch(new RegExp(`^jit-access: activity of ${due.id}\n`));
    expect(commits[1]!.author).toBe("jit-access[bot]");
    expect(parseTrailers(commits[1]!.message)).toMatchObject({ "Request-Id": [due.id], "Closed-By": ["jit-access sweep"] });

    const issue = gh.issueState(REPO, 1);
    expect([issue.state, issue.state_reason]).toEqual(["closed", "completed"]);
    expect(issue.labels).toEqual(["jit:expired"]);
    expect(issue.comments.map((c) => [c.user, c.body.split("\n")[0]])).toEqual([
      ["jit-access[bot]", SWEEP_MARKER],
      ["jit-access[bot]", ACTIVITY_MARKER],
    ]);
    expect(issue.comments[0]!.body).toContain("**Expired.**");
    expect(gh.issueState(REPO, pr).labels).toEqual(["jit:expired"]);
    expect(gh.issueState(REPO, 2)).toMatchObject({ state: "open", labels: ["jit:active"] });
    expect(readFileSync(join(tmp, "summary.md"), "utf8")).toMatch(new RegExp(`\\| ${due.id} \\| .* \\| expired \\|`));

    // A rerun has nothing to do and says nothing twice.
    const again = await runAction(actionEnv(), { write: () => undefined });
    expect(again).toBe(0);
    expect(gh.issueState(REPO, 1).comments).toHaveLength(2);
    expect(gh.commits(REPO, { path })).toHaveLength(3);
  });

  it("bad inputs fail with an ::error:: line", async () => {
    let out = "";
    expect(await runAction(actionEnv({ INPUT_CONCURRENCY: "lots" }), { write: (s: string) => (out += s) })).toBe(1);
    expect(out).toMatch(/^::error::.*concurrency/m);
    expect(await runAction(actionEnv({ "INPUT_GITHUB-TOKEN": "" }), { write: (s: string) => (out += s) })).toBe(1);
    expect(out).toMatch(/github-token is empty/);
  });
});

describe("changedRequestFiles: the files-from list of command validate", () => {
  const list = (...entries: string[]) => Buffer.from(entries.map((e) => `${e}\0`).join(""));

  it.each([
    ["a path out of the repository", "../../etc/passwd.yaml"],
    ["a .. segment inside access-requests/", "access-requests/../.github/x.yaml"],
    ["an absolute path", "/etc/hosts.yaml"],
    ["a flag as a file name", "--config=/tmp/x.yaml"],
    ["a file outside access-requests/", ".github/jit-access.yml"],
    ["a request folder, not a file", "access-requests/prod"],
    ["a non-YAML file", "access-requests/prod/2026/1-x.json"],
    ["a backslash path", "access-requests\\prod\\2026\\1-x.yaml"],
    ["an empty segment", "access-requests//prod/1-x.yaml"],
    ["a ./ segment", "access-requests/./prod/1-x.yaml"],
  ])("refuses %s, naming files-from and the entry", (_name, entry) => {
    const r = changedRequestFiles(list("access-requests/prod/2026/1-ok.yaml", entry));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toContain(`files-from: entry ${JSON.stringify(entry)}`);
  });

  it("accepts request paths with odd characters (a newline, spaces, a leading dash in the name), once each", () => {
    const odd = ["access-requests/prod/2026/1-a b.yaml", "access-requests/prod/2026/-2-x.yml", "access-requests/prod/2026/3-new\nline.yaml"];
    expect(changedRequestFiles(list(...odd, odd[0]!))).toEqual({ ok: true, files: odd });
    expect(changedRequestFiles(Buffer.alloc(0))).toEqual({ ok: true, files: [] });
  });

  it("property: a list is accepted exactly when every entry is a relative .yaml/.yml path under access-requests/ without . or .. segments", () => {
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "", "prod", "2026", "-x", "a b"),
      fc.string({ minLength: 1, maxLength: 6 }).filter((x) => !x.includes("/") && !x.includes("\0")),
    );
    const entry = fc
      .tuple(
        fc.constantFrom("access-requests", "", "/access-requests", ".github", ".."),
        fc.array(segment, { maxLength: 3 }),
        fc.constantFrom(".yaml", ".yml", ".json", ""),
      )
      .map(([head, mid, ext]) => `${[head, ...mid].join("/")}/f${ext}`);
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const r = changedRequestFiles(list(...entries));
        const good = (e: string) =>
          e.split("/")[0] === "access-requests" && !e.split("/").some((x) => x === "." || x === ".." || x === "") && !e.includes("\\") && /\.ya?ml$/.test(e);
        return (
          r.ok === entries.every(good) &&
          (!r.ok || r.files.every((f) => !isAbsolute(f) && !normalize(f).startsWith("..") && normalize(f).startsWith("access-requests/")))
        );
      }),
    );
  });
});

describe("command validate, in-process: what the CLI refuses becomes one ::error:: line", () => {
  it.each([
    [
      "a listed file that is not there",
      [".github/jit-access.yml"],
      "access-requests/prod/2026/9-gone.yaml",
      /^::error::jit-access validate: access-requests\/prod\/2026\/9-gone\.yaml: no such file or folder\n$/,
    ],
    [
      "no config at config-path",
      [],
      "access-requests/prod/2026/1-x.yaml",
      /^::error::jit-access validate: config file \.github\/jit-access\.yml does not exist\n$/,
    ],
  ])("%s: exit 1", async (_name, keep, listed, message) => {
    const repo = mkdtempSync(join(tmpdir(), "jit-action-validate-"));
    try {
      const r = await runCli(["init", ".", "--account", "prod=111122223333", "--region", "us-east-1", "--approver", "bob"], repo);
      expect(r.code, r.stderr).toBe(0);
      if (!keep.includes(".github/jit-access.yml")) rmSync(join(repo, ".github/jit-access.yml"));
      mkdirSync(join(repo, "access-requests/prod/2026"), { recursive: true });
      writeFileSync(join(repo, "access-requests/prod/2026/1-x.yaml"), "version: 1\n");
      writeFileSync(join(repo, "list"), `${listed}\0`);
      let out = "";
      const code = await runActionCommand(
        { INPUT_COMMAND: "validate", "INPUT_FILES-FROM": "list", "INPUT_CONFIG-PATH": ".github/jit-access.yml", GITHUB_WORKSPACE: repo },
        { write: (s: string) => (out += s) },
      );
      expect(code).toBe(1);
      expect(out).toMatch(message);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
