// The conformance checker (test/support/openapi-conformance.ts) must catch what it is there to
// catch, or the scenario suites' silence means nothing: a table of exchanges that break GitHub's
// description in one way each, next to the conforming ones, plus the route matching.
import { describe, expect, it } from "vitest";
import { ConformanceChecker, findOperation, type Exchange } from "./support/openapi-conformance.js";
import { startFakeGitHub } from "./support/fake-github.js";

const API = "http://127.0.0.1:1";
const base: Exchange = {
  method: "GET",
  url: `${API}/repos/acme/access/issues/1/comments`,
  requestBody: undefined,
  status: 200,
  contentType: "application/json; charset=utf-8",
  responseBody: [],
};
const label = { id: 1, node_id: "LA_1", url: `${API}/repos/acme/access/labels/x`, name: "x", color: "ededed", default: false, description: null };

describe("route matching", () => {
  it.each([
    ["GET", "/repos/acme/access/contents/access-requests/prod/2026/1-x.yaml", "repos/get-content", { path: "access-requests/prod/2026/1-x.yaml" }],
    ["GET", "/repos/acme/access/git/ref/heads/jit/1-x", "git/get-ref", { ref: "heads/jit/1-x" }],
    ["PATCH", "/repos/acme/access/git/refs/heads/main", "git/update-ref", { ref: "heads/main" }],
    ["GET", "/repos/acme/access/pulls/2/files", "pulls/list-files", { pull_number: "2" }],
    ["POST", "/repos/acme/access/check-runs", "checks/create", {}],
    ["DELETE", "/repos/acme/access/issues/1/labels/jit:invalid", "issues/remove-label", { name: "jit:invalid" }],
    ["GET", "/orgs/acme/teams/admins/memberships/bob", "teams/get-membership-for-user-in-org", { username: "bob" }],
  ])("%s %s → %s", (method, path, id, params) => {
    const hit = findOperation(method, path);
    expect(hit?.entry.id).toBe(id);
    expect(hit?.params).toMatchObject(params);
  });

  it("nothing for a path GitHub does not have", () => {
    expect(findOperation("GET", "/repos/acme/access/no-such-thing")).toBeUndefined();
  });
});

describe("the checker", () => {
  it.each<[string, Partial<Exchange>, RegExp | null]>([
    ["a conforming list", {}, null],
    [
      "a conforming label set",
      { method: "POST", url: `${API}/repos/acme/access/issues/1/labels`, requestBody: { labels: ["x"] }, responseBody: [label] },
      null,
    ],
    [
      "an answer missing a required field",
      { method: "POST", url: `${API}/repos/acme/access/issues/1/labels`, requestBody: { labels: ["x"] }, responseBody: [{ ...label, name: undefined }] },
      /response 200[\s\S]*\/0 must have required property 'name'/,
    ],
    ["an answer of the wrong type", { responseBody: { not: "a list" } }, /response 200[\s\S]*\(root\) must be array/],
    [
      "a request body of the wrong type",
      {
        method: "POST",
        url: `${API}/repos/acme/access/issues/1/comments`,
        requestBody: { body: 42 },
        status: 422,
        responseBody: { message: "Validation Failed" },
      },
      /request[\s\S]*body \/body must be string/,
    ],
    [
      "a required request field left out",
      { method: "POST", url: `${API}/repos/acme/access/check-runs`, requestBody: { name: "x" }, status: 422, responseBody: { message: "Validation Failed" } },
      /body \(root\) must have required property 'head_sha'/,
    ],
    [
      "a query parameter of the wrong type",
      { url: `${API}/repos/acme/access/issues/1/comments?per_page=many` },
      /query parameter per_page="many": .*must be integer/,
    ],
    ["an undocumented query parameter", { url: `${API}/repos/acme/access/issues/1/comments?colour=red` }, /query parameter colour is not documented/],
    ["a status the operation does not list", { status: 418, responseBody: { message: "teapot" } }, /status 418 is not documented/],
    ["a path GitHub does not have", { url: `${API}/repos/acme/access/no-such-thing` }, /no operation in GitHub's REST API description/],
    ["a 404 on any operation is GitHub's own answer", { status: 404, responseBody: { message: "Not Found" } }, null],
    [
      "an answer through a redirect the operation documents (the tarball's 302 to codeload)",
      {
        url: `${API}/repos/acme/access/tarball/main`,
        redirectedTo: `${API}/_codeload/acme/access/legacy.tar.gz/main`,
        contentType: "application/x-gzip",
        responseBody: "",
      },
      null,
    ],
    [
      "an answer through a redirect the operation does not document",
      { redirectedTo: `${API}/elsewhere` },
      /followed a redirect the operation does not document/,
    ],
    [
      "a raw (non-JSON) answer is not checked as JSON",
      { url: `${API}/repos/acme/access/contents/README.md`, contentType: "application/vnd.github.raw; charset=utf-8", responseBody: "text" },
      null,
    ],
  ])("%s", (_name, change, expected) => {
    const checker = new ConformanceChecker();
    checker.check({ ...base, ...change });
    if (expected === null) expect(checker.mismatches).toEqual([]);
    else expect(() => checker.assertClean("case")).toThrow(expected);
  });

  it("assertClean names each exchange and forgets what it reported", () => {
    const checker = new ConformanceChecker();
    checker.check({ ...base, responseBody: { not: "a list" } });
    expect(() => checker.assertClean("delivering issues.opened")).toThrow(
      /^delivering issues\.opened: 1 exchange\(s\) do not conform .*\n- GET \/repos\/acme\/access\/issues\/1\/comments \(issues\/list-comments, response 200\)/,
    );
    expect(() => checker.assertClean()).not.toThrow();
  });

  it("as an Octokit plugin it sees what the client sends and what the fake answers", async () => {
    const gh = await startFakeGitHub();
    try {
      gh.createRepo({ owner: "acme", name: "access", files: { "README.md": "x\n" } });
      const checker = new ConformanceChecker();
      const { Octokit } = await import("@octokit/rest");
      const octokit = new (Octokit.plugin(checker.plugin))({ auth: gh.issueInstallationToken().token, baseUrl: gh.url });
      await octokit.rest.repos.get({ owner: "acme", repo: "access" });
      await octokit.request("GET /repos/{owner}/{repo}/issues", { owner: "acme", repo: "access", colour: "red" });
      expect(checker.seen.get("repos/get")).toBe(1);
      expect(checker.mismatches.map((m) => `${m.operation} ${m.part}: ${m.problems.join()}`)).toEqual([
        "issues/list-for-repo request: query parameter colour is not documented",
      ]);
    } finally {
      await gh.close();
    }
  });
});
