// Fidelity of the fake GitHub's GraphQL endpoint (test/support/fake-github/graphql.ts): documents
// are validated against GitHub's published schema and answered as GitHub answers (HTTP 200 with
// `errors`), node ids are the REST answers' `node_id`, and the mutations jit-access may send act on
// the same state the REST API shows.
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";

const REPO = "acme/access";
const [owner, repo] = REPO.split("/") as [string, string];
let fake: FakeGitHub;
let gh: Octokit;

/** The raw answer: status and body, as GitHub sends them. */
async function post(
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; type?: string }> } }> {
  const res = await fetch(`${fake.url}/graphql`, {
    method: "POST",
    headers: { authorization: `token ${fake.issueInstallationToken().token}`, "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: Array<{ message: string; type?: string }> } };
}

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo({ owner, name: repo, files: { "README.md": "hi\n" } });
  gh = new Octokit({ auth: fake.issueInstallationToken().token, baseUrl: fake.url, request: { retries: 0 } });
});
afterAll(async () => {
  await fake.close();
});

describe("documents GitHub would refuse", () => {
  it.each([
    ["an unknown field", `query { repository(owner: "acme", name: "access") { nope } }`, /Cannot query field "nope" on type "Repository"/],
    ["a missing required argument", `query { repository(owner: "acme") { id } }`, /argument "name" of type "String!" is required/],
    ["an undeclared variable", `query { repository(owner: $o, name: "access") { id } }`, /Variable "\$o" is not defined/],
    ["a wrong argument type", `query { repository(owner: "acme", name: "access") { issue(number: "1") { id } } }`, /Int cannot represent/],
    ["a syntax error", `query { repository(owner: "acme", name: "access") { id }`, /Syntax Error/],
    [
      "a fragment on an impossible type",
      `query { repository(owner: "acme", name: "access") { ref(qualifiedName: "main") { target { ... on Issue { id } } } } }`,
      /can never be of type "Issue"/,
    ],
    [
      "a field of a union without a fragment",
      `query { repository(owner: "acme", name: "access") { issueOrPullRequest(number: 1) { id } } }`,
      /Cannot query field "id"/,
    ],
  ])("%s: HTTP 200 with errors and no data", async (_name, query, message) => {
    const { status, body } = await post(query);
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors?.map((e) => e.message).join("\n")).toMatch(message);
  });

  it("a connection without first or last is refused (GitHub's MISSING_PAGINATION_BOUNDARIES)", async () => {
    const n = fake.openIssue(REPO, { user: "alice", title: "t" });
    const { body } = await post(`query($n: Int!) { repository(owner: "acme", name: "access") { issue(number: $n) { labels { totalCount } } } }`, { n });
    expect(body.errors?.[0]).toMatchObject({ type: "MISSING_PAGINATION_BOUNDARIES" });
  });

  it("a field the fake does not model is an error naming it, never a silent null", async () => {
    const before = fake.graphql.unmodelled.length;
    const { body } = await post(`query { repository(owner: "acme", name: "access") { stargazerCount } }`);
    expect(body.errors?.[0]?.message).toMatch(/does not model Repository\.stargazerCount/);
    expect(fake.graphql.unmodelled.slice(before)).toEqual(["Repository.stargazerCount"]);
  });

  it("an absent issue is NOT_FOUND with data, as GitHub answers", async () => {
    const { body } = await post(`query { repository(owner: "acme", name: "access") { issue(number: 999) { id } } }`);
    expect(body.data).toEqual({ repository: { issue: null } });
    expect(body.errors?.[0]).toMatchObject({ type: "NOT_FOUND" });
  });
});

describe("node ids and state", () => {
  it("issues, pull requests, labels and comments have the REST answers' node_id as GraphQL id", async () => {
    const issue = fake.openIssue(REPO, { user: "alice", title: "Access", labels: ["jit:proposed"] });
    const comment = fake.addComment(REPO, issue, { user: "bob", body: "hello" });
    fake.createBranch(REPO, "feature");
    fake.commitFiles(REPO, "feature", { "a.txt": "a\n" }, { author: "alice" });
    const pr = fake.openPull(REPO, { user: "alice", head: "feature", title: "PR" });
    const rest = {
      issue: (await gh.rest.issues.get({ owner, repo, issue_number: issue })).data.node_id,
      pr: (await gh.rest.pulls.get({ owner, repo, pull_number: pr })).data.node_id,
      label: (await gh.rest.issues.getLabel({ owner, repo, name: "jit:proposed" })).data.node_id,
      comment: (await gh.rest.issues.getComment({ owner, repo, comment_id: comment })).data.node_id,
    };
    const { body } = await post(
      `query($i: Int!, $p: Int!) { repository(owner: "acme", name: "access") {
        issue(number: $i) { id labels(first: 10) { nodes { id name } } comments(first: 10) { nodes { id body } } }
        pullRequest(number: $p) { id } } }`,
      { i: issue, p: pr },
    );
    const r = (
      body.data as {
        repository: {
          issue: { id: string; labels: { nodes: Array<{ id: string }> }; comments: { nodes: Array<{ id: string }> } };
          pullRequest: { id: string };
        };
      }
    ).repository;
    expect(body.errors).toBeUndefined();
    expect({ issue: r.issue.id, pr: r.pullRequest.id, label: r.issue.labels.nodes[0]?.id, comment: r.issue.comments.nodes[0]?.id }).toEqual(rest);
  });

  it("mutations act on the state REST shows: a comment, labels added and removed, the issue closed, a label created", async () => {
    const issue = fake.openIssue(REPO, { user: "alice", title: "Access", labels: ["jit:proposed"] });
    fake.ensureLabel(REPO, "jit:active");
    const ids = (
      await post(
        `query($i: Int!) { repository(owner: "acme", name: "access") { id issue(number: $i) { id } a: label(name: "jit:active") { id } p: label(name: "jit:proposed") { id } } }`,
        { i: issue },
      )
    ).body.data as { repository: { id: string; issue: { id: string }; a: { id: string }; p: { id: string } } };
    const r = ids.repository;
    const { body } = await post(
      `mutation($s: ID!, $a: [ID!]!, $p: [ID!]!, $repo: ID!) {
        c: addComment(input: { subjectId: $s, body: "granted" }) { commentEdge { node { id } } }
        add: addLabelsToLabelable(input: { labelableId: $s, labelIds: $a }) { clientMutationId }
        rm: removeLabelsFromLabelable(input: { labelableId: $s, labelIds: $p }) { clientMutationId }
        close: closeIssue(input: { issueId: $s, stateReason: COMPLETED }) { issue { state } }
        made: createLabel(input: { repositoryId: $repo, name: "jit:new", color: "0e8a16" }) { label { id name } }
      }`,
      { s: r.issue.id, a: [r.a.id], p: [r.p.id], repo: r.id },
    );
    expect(body.errors).toBeUndefined();
    const got = (await gh.rest.issues.get({ owner, repo, issue_number: issue })).data;
    expect(got.labels.map((l) => (typeof l === "string" ? l : l.name))).toEqual(["jit:active"]);
    expect(got.state).toBe("closed");
    expect(got.state_reason).toBe("completed");
    expect(fake.comments(REPO, issue).map((c) => c.body)).toEqual(["granted"]);
    expect((await gh.rest.issues.getLabel({ owner, repo, name: "jit:new" })).data.color).toBe("0e8a16");
  });

  it("a failing mutation step answers null and an error for that field; the steps before and after it run (GitHub runs them in order)", async () => {
    const issue = fake.openIssue(REPO, { user: "alice", title: "Access" });
    const id = (
      (await post(`query($i: Int!) { repository(owner: "acme", name: "access") { issue(number: $i) { id } } }`, { i: issue })).body.data as {
        repository: { issue: { id: string } };
      }
    ).repository.issue.id;
    fake.graphql.faults.push({ field: "addComment" });
    const { body } = await post(
      `mutation($s: ID!) { a: addComment(input: { subjectId: $s, body: "one" }) { clientMutationId } b: closeIssue(input: { issueId: $s }) { issue { state } } }`,
      { s: id },
    );
    expect(body.data).toEqual({ a: null, b: { issue: { state: "CLOSED" } } });
    expect(body.errors).toHaveLength(1);
    expect(fake.comments(REPO, issue)).toEqual([]);
  });
});
