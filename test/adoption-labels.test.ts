// First run in a fresh access repository: the labels do not exist yet, so the issue form's
// access-request label is dropped. The app makes the labels when installed, and recognises a
// request by the form's shape — through the same strict parser and author checks as ever.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadFormTemplate, type FormTemplate } from "../src/domain/issue-form.js";
import { looksLikeRequestForm } from "../src/github/intake.js";
import { appLabels, installedRepos } from "../src/github/labels.js";
import { issueBody, pulls, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { issuesEdited, issuesOpened, type WebhookEvent } from "./support/webhooks.js";

const FORM_TEXT = readFileSync(new URL("../.github/ISSUE_TEMPLATE/access-request.yml", import.meta.url), "utf8");
const loaded = loadFormTemplate(FORM_TEXT);
if (!loaded.ok) throw new Error("bundled form does not load");
const FORM: FormTemplate = loaded.value;

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

function installation(action: "created" | "added", repos: string[]): WebhookEvent {
  const list = repos.map((r) => {
    const repo = h.github.repo(r);
    return { id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: `${repo.owner}/${repo.name}`, private: repo.private };
  });
  const installationJson = h.github.installationJson();
  const sender = h.github.userJson("acme-admin");
  return action === "created"
    ? { name: "installation", payload: { action, installation: installationJson, repositories: list, sender } }
    : {
        name: "installation_repositories",
        payload: { action, installation: installationJson, repository_selection: "selected", repositories_added: list, repositories_removed: [], sender },
      };
}

const repoLabels = (full: string) => [...h.github.repo(full).labels.values()];

describe("labels on installation", () => {
  it("installation.created makes every label, with colour and description, only in access repositories; a redelivery changes nothing", async () => {
    h.github.createRepo({ owner: "acme", name: "website", files: { "README.md": "hi\n" } });
    expect(repoLabels(REPO)).toEqual([]);
    const event = installation("created", [REPO, "acme/website"]);
    expect(await h.deliver(event)).toBe(200);
    const made = repoLabels(REPO);
    expect(made.map((l) => l.name).sort()).toEqual(
      appLabels()
        .map((l) => l.name)
        .sort(),
    );
    for (const spec of appLabels()) {
      expect(made.find((l) => l.name === spec.name)).toMatchObject({ color: spec.color, description: spec.description });
    }
    expect(repoLabels("acme/website")).toEqual([]);

    expect(await h.deliver(event)).toBe(200);
    expect(repoLabels(REPO)).toEqual(made);
  });

  it("installation_repositories.added makes the labels and keeps an admin's own colour", async () => {
    h.github.repo(REPO).labels.set("access-request", { id: 9, name: "access-request", color: "000000", description: "ours" });
    expect(await h.deliver(installation("added", [REPO]))).toBe(200);
    expect(repoLabels(REPO).find((l) => l.name === "access-request")).toMatchObject({ color: "000000", description: "ours" });
    expect(repoLabels(REPO)).toHaveLength(appLabels().length);
  });

  it("every label the code uses is in the list, and every colour and description is one GitHub accepts", () => {
    const names = appLabels().map((l) => l.name);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    for (const used of [
      "access-request",
      "jit:invalid",
      "jit:proposed",
      "jit:blocked",
      "jit:active",
      "jit:failed",
      "jit:rejected",
      "jit:expired",
      "jit:revoked",
      "jit:expiring-soon",
      "jit:break-glass",
    ]) {
      expect(names).toContain(used);
    }
    for (const l of appLabels()) {
      expect(l.color).toMatch(/^[0-9a-f]{6}$/);
      expect(l.description.length).toBeLessThanOrEqual(100);
    }
  });

  it.each([
    [{ repositories: [{ full_name: "acme/access" }] }, ["acme/access"]],
    [{ repositories_added: [{ full_name: "acme/a" }, { full_name: "acme/b" }] }, ["acme/a", "acme/b"]],
    [{ repositories: [{ full_name: "../etc" }, { full_name: 5 }, null, { name: "x" }] }, []],
    [{}, []],
  ])("installedRepos(%j)", (payload, expected) => {
    expect(installedRepos(payload).map((r) => `${r.owner}/${r.repo}`)).toEqual(expected);
  });
});

describe("the first request, when the form's label did not exist", () => {
  it("an issue opened from the form without the label gets a PR, the labels, and the access-request label", async () => {
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: issueBody(), labels: [] });
    expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
    const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
    expect(pr).toBeDefined();
    expect(h.github.labels(REPO, issue)).toEqual(expect.arrayContaining(["access-request", "jit:proposed"]));
    expect(repoLabels(REPO).find((l) => l.name === "jit:proposed")?.color).toBe(appLabels().find((l) => l.name === "jit:proposed")?.color);
  });

  it("an unrelated issue does nothing: no comment, no label, no PR, no labels made", async () => {
    const issue = h.github.openIssue(REPO, {
      user: "alice",
      title: "The README has a typo",
      body: "### Steps\n\nRead it.\n\n### Expected\n\nNo typo.",
      labels: [],
    });
    expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
    expect(pulls(h.github)).toEqual([]);
    expect(h.github.comments(REPO, issue)).toEqual([]);
    expect(h.github.labels(REPO, issue)).toEqual([]);
    expect(repoLabels(REPO)).toEqual([]);
  });

  it("a form-shaped issue in a repository without the jit-access config does nothing", async () => {
    h.github.createRepo({ owner: "acme", name: "website", files: { "README.md": "hi\n" } });
    const issue = h.github.openIssue("acme/website", { user: "alice", title: "Access request", body: issueBody(), labels: [] });
    expect(await h.deliver(issuesOpened(h.github, "acme/website", issue))).toBe(200);
    expect(h.github.comments("acme/website", issue)).toEqual([]);
    expect(repoLabels("acme/website")).toEqual([]);
  });

  it("an unlabelled form-shaped issue gets the same checks: edited by someone else, it is refused", async () => {
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body: "### Account\n\nprod\n", labels: [] });
    const changes = h.github.editIssue(REPO, issue, { body: issueBody(), by: "mallory" });
    expect(await h.deliver(issuesEdited(h.github, REPO, issue, { changes, sender: "mallory" }))).toBe(200);
    expect(pulls(h.github)).toEqual([]);
    expect(h.github.labels(REPO, issue)).toContain("jit:invalid");
  });

  it("an unlabelled form-shaped issue with a smuggled heading is refused by the strict parser", async () => {
    const body = `${issueBody()}\n\n### Account\n\nstaging`;
    const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: reports", body, labels: [] });
    expect(await h.deliver(issuesOpened(h.github, REPO, issue))).toBe(200);
    expect(pulls(h.github)).toEqual([]);
    expect(h.github.labels(REPO, issue)).toEqual(expect.arrayContaining(["access-request", "jit:invalid"]));
  });
});

describe("looksLikeRequestForm", () => {
  const full = issueBody();
  it.each<[string, unknown, boolean]>([
    ["the rendered form", full, true],
    ["the rendered form with CRLF line ends", full.replace(/\n/g, "\r\n"), true],
    ["only the required headings", "### Account\n\nprod\n\n### Service\n\ns3\n\n### Resources\n\nx\n\n### Reason\n\nwhy", true],
    ["required headings, empty answers (the parser reports them)", "### Account\n\n### Service\n\n### Resources\n\n### Reason\n", true],
    ["missing Reason", full.replace("### Reason", "### Why"), false],
    ["headings as bold text", full.replace(/### (\w+)/g, "**$1**"), false],
    ["headings indented (a code block)", full.replace(/^### /gm, "    ### "), false],
    ["h2 headings", full.replace(/^### /gm, "## "), false],
    ["a bug report", "### Steps\n\n1. run\n\n### Expected\n\nok", false],
    ["empty", "", false],
    ["null", null, false],
    ["not a string", { body: full }, false],
  ])("%s → %s", (_name, body, expected) => {
    expect(looksLikeRequestForm(body, FORM)).toBe(expected);
  });

  it("follows the repository's own form labels, not the bundled ones", () => {
    const renamed: FormTemplate = { ...FORM, labels: { ...FORM.labels, account: "AWS account" } };
    expect(looksLikeRequestForm(full, renamed)).toBe(false);
    expect(looksLikeRequestForm(full.replace("### Account", "### AWS account"), renamed)).toBe(true);
  });
});

describe("looksLikeRequestForm, property", () => {
  const required = [FORM.labels.account, FORM.labels.service, FORM.labels.resources, FORM.labels.reason];
  const filler = fc
    .array(
      fc.string({ maxLength: 30 }).filter((s) => !s.includes("\n")),
      { maxLength: 4 },
    )
    .map((lines) => lines.join("\n"));
  it("recognised exactly when every required heading is on a line of its own, whatever surrounds them", () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(required, { minLength: 0 }), fc.array(filler, { minLength: 5, maxLength: 5 }), (present, gaps) => {
        const body = [gaps[0], ...present.flatMap((label, i) => [`### ${label}`, gaps[i + 1] ?? ""])].join("\n");
        // A filler line could itself be a heading only by starting with "### ": then it may add, never remove.
        const expected = present.length === required.length;
        const got = looksLikeRequestForm(body, FORM);
        if (expected) expect(got).toBe(true);
        else if (!gaps.some((g) => /^### /m.test(g ?? ""))) expect(got).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
