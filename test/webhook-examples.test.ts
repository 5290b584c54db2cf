// GitHub's own webhook payloads (@octokit/webhooks-examples: payloads GitHub sent, collected by
// Octokit) through the real app with a valid signature. Our own payload builders
// (./support/webhooks.ts) only prove the app agrees with our reading of GitHub; these are the
// independent reference. For every example of the events app.yml subscribes to, and the first
// example of every other event:
// - the app answers 200, or passes on the status of a GitHub API call that failed (the fake does
//   not know the example's repository, installation or pull request) — never a 5xx of its own;
// - what the app does not handle (other actions, other events, payloads without an installation)
//   makes no GitHub call at all.
// Then each example of the handled actions is re-homed onto the fake's repository (repository and
// installation swapped, everything else as GitHub sent it) to check the intended reaction: the
// examples' issues carry no access-request label and their comments no /revoke, so nothing is
// written; with the label, a request body and a known issue number the same payload opens a pull
// request; a pull request the fake does not know fails on GitHub's 404 without writing; with a
// known pull request that touches access-requests/ the check run is created.
import examples from "@octokit/webhooks-examples" with { type: "json" };
import { readFileSync } from "node:fs";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";

type Payload = Record<string, unknown>;
interface Definition {
  name: string;
  examples: Payload[];
}
const definitions = examples as unknown as Definition[];

const app = yaml.load(readFileSync(new URL("../app.yml", import.meta.url), "utf8")) as { default_events: string[] };
const SUBSCRIBED = new Set(app.default_events);
// What src/app.ts registers (app.on): everything else must be ignored without a GitHub call.
const HANDLED = new Set([
  "issues.opened",
  "issues.edited",
  "issues.labeled",
  "issues.reopened",
  "pull_request.opened",
  "pull_request.synchronize",
  "pull_request.reopened",
  "pull_request.closed",
  "issue_comment.created",
  "pull_request.edited",
  "check_run.rerequested",
  "check_suite.rerequested",
  "installation.created",
  "installation_repositories.added",
]);

/** Handled actions @octokit/webhooks-examples has no example of (their handling is tested in the scenario suites). */
const NO_EXAMPLE = new Set(["pull_request.edited"]);

const key = (name: string, p: Payload) => (typeof p.action === "string" ? `${name}.${p.action}` : name);
const hasInstallation = (p: Payload) => typeof (p.installation as { id?: unknown } | undefined)?.id === "number";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.github.clearRequests();
});

/** Delivers and returns the answer with the GitHub calls the app made for it. */
async function deliver(name: string, payload: Payload) {
  h.github.clearRequests();
  const r = await h.webhooks.send({ name, payload });
  const calls = h.github.requests.filter((q) => !q.path.startsWith("/app/installations/"));
  return { status: r.status, body: r.body, calls, upstream: h.github.requests.filter((q) => q.status >= 400).map((q) => q.status) };
}

/** A non-200 answer is only allowed when it is the status of a GitHub call that failed. */
function expectAnswered(d: Awaited<ReturnType<typeof deliver>>, what: string): void {
  if (d.status === 200) return;
  expect(d.upstream, `${what}: answered ${d.status} (${d.body.slice(0, 200)}) without a failed GitHub call`).toContain(d.status);
  expect(d.status, `${what}: a 5xx of the app's own`).toBeLessThan(500);
}

const rehome = (p: Payload): Payload => ({ ...p, repository: h.github.repoJson(h.github.repo(REPO)), installation: { id: h.github.app.installationId } });

describe("GitHub's example payloads", () => {
  it("the examples cover every event and handled action the app subscribes to", () => {
    const names = new Set(definitions.map((d) => d.name));
    for (const event of SUBSCRIBED) expect(names, event).toContain(event);
    const keys = new Set(definitions.flatMap((d) => d.examples.map((p) => key(d.name, p))));
    for (const k of HANDLED) if (!NO_EXAMPLE.has(k)) expect(keys, k).toContain(k);
    for (const k of NO_EXAMPLE) expect(keys, `${k} has an example now: drop it from NO_EXAMPLE`).not.toContain(k);
    // Installation events reach every app without a subscription.
    for (const k of HANDLED) if (!k.startsWith("installation")) expect(SUBSCRIBED, k).toContain(k.split(".")[0]);
  });

  const subscribed = definitions
    .filter((d) => SUBSCRIBED.has(d.name))
    .flatMap((d) => d.examples.map((p, i) => [`${key(d.name, p)} #${i}`, d.name, p] as const));
  it.each(subscribed)("%s as GitHub sent it", async (label, name, payload) => {
    const d = await deliver(name, payload);
    expectAnswered(d, label);
    if (!HANDLED.has(key(name, payload)) || !hasInstallation(payload))
      expect(
        d.calls.map((c) => `${c.method} ${c.path}`),
        label,
      ).toEqual([]);
  });

  const others = definitions.filter((d) => !SUBSCRIBED.has(d.name) && d.examples.length > 0).map((d) => [d.name, d.examples[0]!] as const);
  it("others: one example of each of the other events is answered 200 and ignored", async () => {
    expect(others.length).toBeGreaterThan(30);
    for (const [name, payload] of others) {
      const d = await deliver(name, payload);
      expect(d.status, `${name}: ${d.body.slice(0, 200)}`).toBe(200);
      expect(
        d.calls.map((c) => `${c.method} ${c.path}`),
        name,
      ).toEqual([]);
    }
  });
});

describe("GitHub's example payloads, re-homed onto the fake's repository", () => {
  const of = (k: string) => definitions.flatMap((d) => d.examples.filter((p) => key(d.name, p) === k).map((p) => [d.name, p] as const));
  const issueExamples = ["issues.opened", "issues.edited", "issues.labeled", "issues.reopened"].flatMap(of);
  const commentExamples = of("issue_comment.created");
  const prExamples = ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"].flatMap(of);

  it("issues without the access-request label: read, nothing written", async () => {
    expect(issueExamples.length).toBeGreaterThanOrEqual(4);
    for (const [name, payload] of issueExamples) {
      const labels = ((payload.issue as { labels?: Array<{ name: string }> }).labels ?? []).map((l) => l.name);
      expect(labels).not.toContain("access-request");
      const d = await deliver(name, rehome(payload));
      expect(d.status).toBe(200);
      expect(d.calls.filter((c) => c.method !== "GET")).toEqual([]);
    }
  });

  it("the same issue payloads with the label, a request body and a known number open a pull request", async () => {
    for (const [name, payload] of issueExamples.filter(([, p]) => p.action === "opened" || p.action === "labeled")) {
      const number = h.github.openIssue(REPO, { user: "alice", title: "AWS access", body: issueBody(), labels: ["access-request"] });
      const issue = {
        ...(payload.issue as Payload),
        number,
        body: issueBody(),
        state: "open",
        labels: [{ id: 1, node_id: "L", url: "", name: "access-request", color: "ededed", default: false, description: null }],
        user: { ...((payload.issue as Payload).user as Payload), login: "alice", type: "User" },
      };
      const d = await deliver(name, { ...rehome(payload), issue });
      expect(d.status, d.body).toBe(200);
      expect(d.calls.map((c) => `${c.method} ${c.path}`)).toContain("POST /repos/acme/access/pulls");
    }
  });

  it("comments that are not /revoke: nothing written", async () => {
    expect(commentExamples.length).toBeGreaterThanOrEqual(4);
    for (const [name, payload] of commentExamples) {
      expect(String((payload.comment as { body: string }).body)).not.toMatch(/^\/revoke/);
      const d = await deliver(name, rehome(payload));
      expect(d.status).toBe(200);
      expect(d.calls.filter((c) => c.method !== "GET")).toEqual([]);
    }
  });

  it("a pull request the fake does not know: GitHub's 404 is passed on, nothing written", async () => {
    expect(prExamples.length).toBeGreaterThanOrEqual(3);
    for (const [name, payload] of prExamples) {
      // A number no issue or pull request of the fake has (other tests here open some).
      const d = await deliver(name, { ...rehome(payload), number: 9999, pull_request: { ...(payload.pull_request as Payload), number: 9999 } });
      expect(d.status, JSON.stringify(d.calls.map((c) => `${c.method} ${c.path} ${c.status}`))).toBe(404);
      expect(d.upstream).toContain(404);
      expect(d.calls.filter((c) => c.method !== "GET")).toEqual([]);
    }
  });

  it("the same pull request payloads for a known pull request touching access-requests/ get the check", async () => {
    for (const [name, payload] of prExamples) {
      const branch = `hand-${Math.random().toString(36).slice(2, 8)}`;
      h.github.commitFiles(REPO, branch, { "access-requests/prod/2026/note.yaml": "not: a request\n" }, { author: "alice" });
      const number = h.github.openPull(REPO, { user: "alice", head: branch, title: "by hand" });
      const real = h.github.pullJson(h.github.repo(REPO), h.github.pullState(REPO, number)) as Payload;
      const pr = { ...(payload.pull_request as Payload), number, head: real.head, base: real.base, changed_files: 1 };
      const d = await deliver(name, { ...rehome(payload), pull_request: pr, number });
      expect(d.status, d.body).toBe(200);
      const checks = d.calls.filter((c) => c.method === "POST" && c.path === "/repos/acme/access/check-runs");
      expect(checks).toHaveLength(1);
      expect(checks[0]!.body).toMatchObject({ name: "jit-access/validate", conclusion: "failure", head_sha: (real.head as { sha: string }).sha });
    }
  });
});
