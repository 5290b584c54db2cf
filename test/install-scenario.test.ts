// docs/install.md followed top to bottom against the fakes, from an empty access repository to an
// expired grant. Each block is one of the guide's steps; the steps a person does in a console
// (register the app, deploy the stack, install the app, protect the branch) are done to the fakes
// the way those consoles would leave them. Nothing here is outside the guide.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { HOME, SCHEDULER_ROLE } from "./support/fake-aws/fixtures.js";
import { issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import {
  deploySchedulerRole,
  failingChecks,
  expectGrantedThenExpired,
  initAccessRepo,
  installationCreated,
  protectDefaultBranch,
  runDoctor,
} from "./support/adoption.js";
import { issuesOpened } from "./support/webhooks.js";

let dir: string;
let h: Harness;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "jit-install-scenario-"));
  // The app is registered under the organisation (step 1), so its installation is acme's.
  h = await startHarness({ appOwner: "acme" });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("docs/install.md against the fake GitHub and the fake AWS", () => {
  it("empty repository → init → install → protect → doctor green → first request granted and expired", async () => {
    // Step 3: the stack's scheduler role (its ARN is the SchedulerRoleArn output init is given).
    deploySchedulerRole(h, HOME);

    // Step 5: create the repository (empty) and write its files with init; commit and push them.
    // (The harness seeds a repository; emptying it stands for creating a new one.)
    h.github.commitFiles(REPO, "main", Object.fromEntries(h.github.listFiles(REPO, "main").map((p) => [p, null])), { author: "acme-admin", message: "empty" });
    expect(h.github.listFiles(REPO, "main")).toEqual([]);
    const files = await initAccessRepo(dir, [
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
    h.github.commitFiles(REPO, "main", files, { author: "acme-admin", message: "jit-access init" });
    expect(h.github.listFiles(REPO, "main").sort()).toEqual(Object.keys(files).sort());

    // Step 6: install the app; it makes its labels.
    expect(await h.deliver(installationCreated(h))).toBe(200);
    expect([...h.github.repo(REPO).labels.keys()]).toEqual(expect.arrayContaining(["access-request", "jit:proposed", "jit:active", "jit:expired"]));

    // Step 8: protect the default branch (code-owner review).
    protectDefaultBranch(h);

    // Step 9: jit-access doctor reports every check green.
    const doctor = await runDoctor(h);
    expect(failingChecks(doctor.checks), JSON.stringify(doctor.checks.filter((c) => c.status !== "ok"))).toEqual([]);
    expect(doctor.code).toBe(0);

    // Step 10: the first request from the issue form: proposed, approved, merged, granted.
    const issue = h.github.openIssue(REPO, {
      user: "alice",
      title: "Access request: reports",
      body: issueBody({ account: "prod" }),
      labels: ["access-request"],
    });
    expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
    expect(pr, "the app opened no pull request").toBeDefined();
    expect(h.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1)?.conclusion).toBe("success");
    // Approved and merged, granted; at its expiry the sweep (step 7's workflow) ends it.
    await expectGrantedThenExpired(h, pr!.number, issue, files[CONFIG_PATH]!);
  });
});
