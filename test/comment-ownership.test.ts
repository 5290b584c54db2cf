// The app finds the comment it keeps up to date on an issue by a marker at its start. A comment
// anyone else posts with that marker — a user, another GitHub App, a workflow's
// github-actions[bot] — must never be edited by the app, nor stand in for what the app says.
// Both paths are driven against the fake GitHub: the REST upsert (listComments, then GitHub is
// asked which bot comments are the token's own) and the GraphQL batch (viewerDidAuthor).
import { Octokit } from "@octokit/rest";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OctokitIssueSide } from "../src/github/issue-side.js";
import { startFakeGitHub, type FakeGitHub } from "./support/fake-github.js";

const REPO = "acme/access";
const [owner, repo] = REPO.split("/") as [string, string];
const MARKER = "<!-- jit-access:test -->";
let fake: FakeGitHub;
let side: OctokitIssueSide;

beforeAll(async () => {
  fake = await startFakeGitHub();
  fake.createRepo({ owner, name: repo, files: { "README.md": "hi\n" } });
  const octokit = new Octokit({
    auth: fake.issueInstallationToken().token,
    baseUrl: fake.url,
    request: { retries: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  side = new OctokitIssueSide(octokit, { owner, repo });
});
afterAll(async () => {
  await fake.close();
});

type Path = "rest" | "graphql";
const upsert = (path: Path, issue: number, body: string): Promise<void> =>
  path === "rest" ? side.upsertComment(issue, MARKER, body) : side.applySteps([{ kind: "comment", issue, marker: MARKER, body }]);

const OTHERS = ["mallory", "other-app[bot]", "github-actions[bot]"] as const;

describe("a comment with the app's marker that the app did not write", () => {
  it.each(OTHERS.flatMap((author) => (["rest", "graphql"] as const).map((path) => [author, path] as const)))(
    "by %s (%s path): left as it is, and the app posts its own once, then updates that one",
    async (author, path) => {
      const issue = fake.openIssue(REPO, { user: "alice", title: "Access request" });
      fake.addComment(REPO, issue, { user: author, body: `${MARKER}\nApproved. Access granted.` });
      await upsert(path, issue, `${MARKER}\nfirst`);
      await upsert(path, issue, `${MARKER}\nsecond`);
      expect(fake.comments(REPO, issue).map((c) => [c.user, c.body])).toEqual([
        [author, `${MARKER}\nApproved. Access granted.`],
        [fake.app.botLogin, `${MARKER}\nsecond`],
      ]);
    },
  );

  it("the app's own comment is found among others' whichever comes first (rest and graphql agree)", async () => {
    const issue = fake.openIssue(REPO, { user: "alice", title: "Access request" });
    await upsert("rest", issue, `${MARKER}\nmine`);
    fake.addComment(REPO, issue, { user: "other-app[bot]", body: `${MARKER}\nforged` });
    await upsert("graphql", issue, `${MARKER}\nmine, updated`);
    await upsert("rest", issue, `${MARKER}\nmine, updated again`);
    expect(fake.comments(REPO, issue).map((c) => [c.user, c.body])).toEqual([
      [fake.app.botLogin, `${MARKER}\nmine, updated again`],
      ["other-app[bot]", `${MARKER}\nforged`],
    ]);
  });

  it("property: any interleaving of others' marker comments and the app's upserts leaves others' untouched and one app comment with the last text", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("other" as const), author: fc.constantFrom(...OTHERS), text: fc.string({ maxLength: 8 }) }),
            fc.record({ kind: fc.constant("app" as const), path: fc.constantFrom<Path>("rest", "graphql"), text: fc.string({ maxLength: 8 }) }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        async (steps) => {
          const issue = fake.openIssue(REPO, { user: "alice", title: "Access request" });
          const others: Array<[string, string]> = [];
          let last: string | undefined;
          for (const s of steps) {
            const body = `${MARKER}\n${s.text}`;
            if (s.kind === "other") {
              fake.addComment(REPO, issue, { user: s.author, body });
              others.push([s.author, body]);
            } else {
              await upsert(s.path, issue, body);
              last = body;
            }
          }
          const comments = fake.comments(REPO, issue);
          expect(comments.filter((c) => c.user !== fake.app.botLogin).map((c) => [c.user, c.body])).toEqual(others);
          expect(comments.filter((c) => c.user === fake.app.botLogin).map((c) => c.body)).toEqual(last === undefined ? [] : [last]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
