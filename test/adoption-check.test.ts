// The required check: `jit-access/validate` is reported on every pull request of an access
// repository (neutral when no request file is touched), and "Re-run" checks again.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { touchesRequests } from "../src/github/pr-check.js";
import { CONFIG, REPO, issueBody, pulls, startHarness, type Harness } from "./support/app-harness.js";
import { handPr, openRequest } from "./support/scenario.js";
import { pullRequestEvent, type WebhookEvent } from "./support/webhooks.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const CHECK = "jit-access/validate";
const headOf = (pr: number, full = REPO) => h.github.pullState(full, pr).pull.headSha;
const runsAt = (sha: string, full = REPO) => h.github.checkRuns(full, { ref: sha, name: CHECK });

function rerequested(kind: "check_run" | "check_suite", sha: string, full = REPO, name = CHECK): WebhookEvent {
  const repo = h.github.repo(full);
  const envelope = { repository: h.github.repoJson(repo), sender: h.github.userJson("bob"), installation: { id: h.github.app.installationId } };
  return kind === "check_run"
    ? {
        name: "check_run",
        payload: {
          action: "rerequested",
          check_run: { id: 1, name, head_sha: sha, status: "completed", conclusion: "failure", pull_requests: [] },
          ...envelope,
        },
      }
    : {
        name: "check_suite",
        payload: { action: "rerequested", check_suite: { id: 1, head_sha: sha, status: "completed", conclusion: "failure", pull_requests: [] }, ...envelope },
      };
}

describe("the check on pull requests without a request file", () => {
  it("a PR that changes only the README gets a neutral jit-access/validate check", async () => {
    const pr = await handPr(h, "carol", "docs", { "README.md": "better docs\n" });
    const runs = runsAt(headOf(pr));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(runs[0]?.output.title).toBe("No access request in this pull request");
  });

  it("a PR touching a request file is still judged in full (a request without its policy fails)", async () => {
    const pr = await handPr(h, "carol", "req", {
      "access-requests/prod/2026/9-x.yaml":
        "version: 1\nid: 9-x\nrequester: carol\naccount: prod\nduration: 1h\nreason: r\nrequest:\n  - service: s3\n    access: [read]\n    resources: [b]\n",
    });
    expect(runsAt(headOf(pr)).at(-1)?.conclusion).toBe("failure");
  });

  it("a repository without the jit-access config gets no check at all", async () => {
    h.github.createRepo({ owner: "acme", name: "website", files: { "README.md": "hi\n" } });
    h.github.createBranch("acme/website", "docs");
    h.github.commitFiles("acme/website", "docs", { "README.md": "more\n" }, { author: "carol", message: "docs" });
    const pr = h.github.openPull("acme/website", { user: "carol", head: "docs", title: "docs" });
    expect(await h.deliver(pullRequestEvent(h.github, "acme/website", pr, "opened"))).toBe(200);
    expect(runsAt(headOf(pr, "acme/website"), "acme/website")).toEqual([]);
  });

  it.each<[string, Array<{ filename: string; previous_filename?: string }>, number | undefined, boolean]>([
    ["README only", [{ filename: "README.md" }], 1, false],
    ["config only", [{ filename: ".github/jit-access.yml" }], 1, false],
    ["a request file", [{ filename: "access-requests/prod/2026/1-a.yaml" }], 1, true],
    ["a request file moved out", [{ filename: "old/1-a.yaml", previous_filename: "access-requests/prod/2026/1-a.yaml" }], 1, true],
    ["a folder named like it, elsewhere", [{ filename: "docs/access-requests/x.yaml" }], 1, false],
    ["the list cut short by GitHub", [{ filename: "README.md" }], 3001, true],
    ["no count given", [{ filename: "README.md" }], undefined, false],
  ])("touchesRequests: %s → %s", (_name, files, changed, expected) => {
    expect(touchesRequests(files, changed)).toBe(expected);
  });
});

describe("re-running the check", () => {
  it("check_run.rerequested re-checks the PR by the rules on main now", async () => {
    const { pr } = await openRequest(h, "alice", issueBody());
    const sha = headOf(pr!);
    expect(runsAt(sha).at(-1)?.conclusion).toBe("success");
    // The rules change on main: alice loses her principal, so her request can no longer be granted.
    h.github.commitFiles(
      REPO,
      "main",
      { ".github/jit-access.yml": CONFIG.replace("  alice: { iam_user: alice }\n", "") },
      { author: "bob", message: "tighten" },
    );
    expect(await h.deliver(rerequested("check_run", sha))).toBe(200);
    expect(runsAt(sha)).toHaveLength(2);
    expect(runsAt(sha).at(-1)?.conclusion).toBe("failure");
  });

  it("check_suite.rerequested re-checks too, including the neutral check of other PRs", async () => {
    const pr = await handPr(h, "carol", "docs", { "README.md": "better docs\n" });
    const sha = headOf(pr);
    expect(await h.deliver(rerequested("check_suite", sha))).toBe(200);
    expect(runsAt(sha).map((r) => r.conclusion)).toEqual(["neutral", "neutral"]);
  });

  it("a re-run of another app's check, or of a commit with no open PR, does nothing", async () => {
    const pr = await handPr(h, "carol", "docs", { "README.md": "better docs\n" });
    const sha = headOf(pr);
    expect(await h.deliver(rerequested("check_run", sha, REPO, "ci/test"))).toBe(200);
    expect(await h.deliver(rerequested("check_run", "f".repeat(40)))).toBe(200);
    expect(runsAt(sha)).toHaveLength(1);
    expect(pulls(h.github)).toHaveLength(1);
  });

  it("a malformed re-run payload is answered without a check", async () => {
    const event = rerequested("check_run", "not-a-sha");
    expect(await h.deliver(event)).toBe(200);
    expect(h.github.checkRuns(REPO, { name: CHECK })).toEqual([]);
  });
});

describe("app.yml subscribes to what the app handles", () => {
  it("every event src/app.ts registers a handler for is in default_events (installation events are sent unasked)", async () => {
    const { readFileSync } = await import("node:fs");
    const yaml = await import("js-yaml");
    const manifest = yaml.load(readFileSync(new URL("../app.yml", import.meta.url), "utf8")) as { default_events: string[] };
    const source = readFileSync(new URL("../src/app.ts", import.meta.url), "utf8");
    const handled = new Set(
      [...source.matchAll(/app\.on\(\s*(\[[^\]]*\]|"[^"]*")/g)].flatMap((m) => [...(m[1] as string).matchAll(/"([a-z_]+)\./g)].map((x) => x[1] as string)),
    );
    expect(handled).toContain("check_run");
    expect(handled).toContain("installation");
    const unasked = new Set(["installation", "installation_repositories"]);
    for (const event of handled) if (!unasked.has(event)) expect(manifest.default_events).toContain(event);
    for (const event of unasked) expect(manifest.default_events).not.toContain(event);
  });
});
