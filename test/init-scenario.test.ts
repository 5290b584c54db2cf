// From `jit-access init` to an expired grant: the files init writes are the whole access
// repository in the fake GitHub (no config, form or CODEOWNERS of the test harness), the app is
// installed, and a request from the generated form is proposed, approved, granted and expired.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { HOME, SCHEDULER_ROLE } from "./support/fake-aws/fixtures.js";
import { issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { expectGrantedThenExpired, initAccessRepo, installationCreated } from "./support/adoption.js";
import { issuesOpened } from "./support/webhooks.js";

let dir: string;
let files: Record<string, string>;
let h: Harness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "jit-init-scenario-"));
  files = await initAccessRepo(dir, [
    "--account",
    `prod=${HOME}`,
    "--region",
    "us-east-1",
    "--approver",
    "bob",
    "--approver",
    "dave",
    "--principal",
    "alice=alice",
    "--scheduler-role-arn",
    SCHEDULER_ROLE,
  ]);
  h = await startHarness({ config: files[CONFIG_PATH], files });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an access repository made by jit-access init", () => {
  it("holds exactly init's files, and the app grants and the sweep expires a request from its form", async () => {
    // The harness's own README is replaced; everything else in the repository came from init.
    const inRepo = Object.keys(files).sort();
    expect(inRepo).toEqual([
      ".github/CODEOWNERS",
      ".github/ISSUE_TEMPLATE/access-request.yml",
      ".github/jit-access.yml",
      ".github/workflows/expire.yml",
      ".github/workflows/validate.yml",
      "README.md",
      "access-requests/.gitkeep",
    ]);
    expect(h.github.listFiles(REPO, "main").sort()).toEqual(inRepo);
    for (const [p, text] of Object.entries(files)) expect(h.github.readFile(REPO, p, "main"), p).toBe(text);

    // Installing the app makes the labels the form and the app use.
    const repo = h.github.repo(REPO);
    expect(await h.deliver(installationCreated(h))).toBe(200);
    expect([...repo.labels.keys()]).toEqual(expect.arrayContaining(["access-request", "jit:proposed", "jit:active", "jit:expired"]));

    // Opened without the label, as when a form's label is dropped: recognised by its shape.
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: issueBody({ account: "prod" }), labels: [] });
    expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
    expect(pr, "the app opened no pull request").toBeDefined();
    expect(h.github.labels(REPO, issue)).toEqual(expect.arrayContaining(["access-request", "jit:proposed"]));
    const file = h.github.pullFiles(REPO, pr!.number)[0]?.filename;
    expect(file).toMatch(/^access-requests\/prod\//);
    expect(h.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1)?.conclusion).toBe("success");

    // bob is a code owner of access-requests/prod/ (init's CODEOWNERS) and an approver (init's config).
    // Approved and merged, granted; at its expiry the sweep (step 7's workflow) ends it.
    await expectGrantedThenExpired(h, pr!.number, issue, files[CONFIG_PATH]!);
  });
});
