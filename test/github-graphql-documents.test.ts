// Every GraphQL document the app can send validates against GitHub's published schema
// (@octokit/graphql-schema): the documents are captured from the real adapter (OctokitAccessRepo)
// driven through each path that queries, over several shapes of input, and a scan of src/ holds
// every caller of `.graphql(` to the list driven here, so a new query cannot skip this test.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { OctokitAccessRepo, type AnyOctokit } from "../src/github/access-repo.js";
import { mergeFactsQuery } from "../src/github/merge-facts.js";
import { SNAPSHOT_PATHS, snapshotQuery } from "../src/github/rules-snapshot.js";
import { githubSchema } from "./support/fake-github/graphql.js";

const REPO = { owner: "acme", repo: "access", defaultBranch: "main" };

/** An Octokit that records each GraphQL document and fails every call (the adapter then falls back, or throws). */
function capturing(
  files: Array<{ filename: string; status: string }> = [],
  answer?: (query: string) => unknown,
): {
  octokit: AnyOctokit;
  documents: Array<{ query: string; variables: Record<string, unknown> }>;
} {
  const documents: Array<{ query: string; variables: Record<string, unknown> }> = [];
  const fail = () => Promise.reject(Object.assign(new Error("offline"), { status: 500 }));
  const methods = (): Record<string, unknown> => ({});
  const namespaces: Record<string, Record<string, unknown>> = {};
  const octokit = {
    graphql: (query: string, variables: Record<string, unknown>) => {
      documents.push({ query, variables });
      const data = answer?.(query);
      return data ? Promise.resolve(data) : fail();
    },
    paginate: (fn: unknown) => (fn === octokit.rest.pulls.listFiles ? Promise.resolve(files) : fail()),
    rest: new Proxy(namespaces, { get: (t, ns: string) => (t[ns] ??= new Proxy(methods(), { get: (u, m: string) => (u[m] ??= fail) })) }),
  } as unknown as AnyOctokit & { rest: { pulls: { listFiles: unknown } } };
  return { octokit, documents };
}

const settle = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );

/** Each path of the adapter that sends a GraphQL document, driven over inputs of several shapes. */
async function sentDocuments(): Promise<Array<{ name: string; query: string; variables: Record<string, unknown> }>> {
  const out: Array<{ name: string; query: string; variables: Record<string, unknown> }> = [];
  const run = async (
    name: string,
    drive: (repo: OctokitAccessRepo) => Promise<unknown>,
    opts: { mergedPr?: number; files?: Array<{ filename: string; status: string }> } = {},
  ) => {
    const { octokit, documents } = capturing(opts.files);
    await settle(drive(new OctokitAccessRepo(octokit, REPO, opts.mergedPr !== undefined ? { mergedPr: opts.mergedPr } : {})));
    out.push(...documents.map((d, i) => ({ name: `${name} #${i + 1}`, ...d })));
  };
  await run("issue text with the rules snapshot joined", (r) => r.issueText(7));
  await run("issue text alone", async (r) => {
    await settle(r.read(".github/CODEOWNERS").catch(() => undefined));
    await settle(r.readAt(SNAPSHOT_PATHS[1]!, "main"));
    return r.issueText(7);
  });
  await run("rules snapshot on a rule read", (r) => r.readAt(SNAPSHOT_PATHS[1]!, "main"));
  for (const folders of [["access-requests/prod"], ["a", "b/c", "d e/f"]]) await run(`folder listing ${folders.length}`, (r) => r.listNames(folders));
  for (const files of [
    [{ filename: "access-requests/prod/2026/12-x.yaml", status: "added" }],
    [{ filename: "access-requests/prod/2026/no-number.yaml", status: "added" }],
    [{ filename: "README.md", status: "modified" }],
  ])
    await run(
      `merge facts for ${files[0]!.filename}`,
      async (r) => {
        await r.prFiles(5);
        await settle(r.prCommits(5));
        return r.commit("0".repeat(40));
      },
      { mergedPr: 5, files },
    );
  await run(
    "merged record on the default branch",
    async (r) => {
      await r.prFiles(5);
      return r.read("access-requests/prod/2026/12-x.yaml");
    },
    { mergedPr: 5, files: [{ filename: "access-requests/prod/2026/12-x.yaml", status: "added" }] },
  );
  // The issue steps: a read, then a mutation document with every kind of step (an earlier comment of the app's to update, a new one on the PR).
  const node = (typename: string, id: string, labels: string[], comments: Array<{ body: string }>) => ({
    __typename: typename,
    id,
    [typename === "Issue" ? "issueState" : "pullState"]: "OPEN",
    labels: { totalCount: labels.length, nodes: labels.map((name, i) => ({ id: `LA_${i}`, name })) },
    comments: { totalCount: comments.length, nodes: comments.map((c, i) => ({ id: `IC_${i}`, body: c.body, viewerDidAuthor: true })) },
  });
  const read = (query: string) =>
    query.startsWith("query")
      ? {
          repository: {
            i0: node("Issue", "I_1", ["jit:active", "access-request"], [{ body: "<!-- m --> old" }]),
            i1: node("PullRequest", "PR_2", ["jit:active"], []),
            l0: { id: "LA_9", name: "jit:expired" },
          },
        }
      : { m0: null };
  {
    const { octokit, documents } = capturing([], read);
    await new OctokitAccessRepo(octokit, REPO).applySteps([
      { kind: "comment", issue: 1, marker: "<!-- m -->", body: "<!-- m --> new" },
      { kind: "comment", issue: 2, marker: "<!-- m -->", body: "<!-- m --> new" },
      { kind: "state", issue: 1, state: "expired" },
      { kind: "state", issue: 2, state: "expired" },
      { kind: "close-issue", issue: 1, reason: "completed" },
    ]);
    out.push(...documents.map((d, i) => ({ name: `issue steps #${i + 1}`, ...d })));
  }
  // The REST comment upsert asks GitHub which of the bot comments with the marker are the app's own.
  {
    const { octokit, documents } = capturing([], () => ({ nodes: [{ id: "IC_1", viewerDidAuthor: true }, null] }));
    const bot = (id: number) => ({ id, node_id: `IC_${id}`, user: { login: "other[bot]", type: "Bot" }, body: "<!-- m --> old" });
    (octokit as unknown as { paginate: unknown }).paginate = () => Promise.resolve([bot(1), bot(2)]);
    await settle(new OctokitAccessRepo(octokit, REPO).upsertComment(1, "<!-- m -->", "<!-- m --> new"));
    out.push(...documents.map((d, i) => ({ name: `issue comment upsert #${i + 1}`, ...d })));
  }
  // The builders themselves, over the inputs the adapter does not reach above.
  out.push({ name: "snapshot of many paths", query: snapshotQuery(Array.from({ length: 12 }, (_, i) => `p/${i}.yaml`)), variables: {} });
  out.push({ name: "merge facts without origin or record", ...mergeFactsQuery(REPO, "main", 1, {}) });
  return out;
}

describe("every GraphQL document the app sends", async () => {
  const documents = await sentDocuments();

  it("covers each query path (issue text, rules snapshot, folder listing, merge facts)", () => {
    const kinds = new Set(documents.map((d) => d.name.split(" ")[0]));
    expect([...kinds].sort()).toEqual(["folder", "issue", "merge", "merged", "rules", "snapshot"]);
    const steps = documents.filter((d) => d.name.startsWith("issue steps"));
    expect(steps.map((d) => d.query.split(/[ (]/)[0])).toEqual(["query", "mutation"]);
    expect(documents.filter((d) => d.name.startsWith("issue comment upsert")).map((d) => d.query)).toEqual([expect.stringContaining("viewerDidAuthor")]);
    for (const m of ["updateIssueComment", "addComment", "addLabelsToLabelable", "removeLabelsFromLabelable", "closeIssue"])
      expect(steps[1]?.query).toContain(`${m}(`);
  });

  it.each(documents.map((d) => [d.name, d] as const))("%s validates against GitHub's schema", (_name, d) => {
    expect(validate(githubSchema(), parse(d.query)).map((e) => e.message)).toEqual([]);
  });

  it("the adapter and its issue side are the only modules that send GraphQL (so the paths driven above are all of them)", () => {
    const callers: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts") && /\bgraphql\b\s*[<(]|\.graphql\b/.test(readFileSync(p, "utf8"))) callers.push(p);
      }
    };
    walk("src");
    expect(callers.sort()).toEqual([join("src", "github", "access-repo.ts"), join("src", "github", "issue-side.ts")]);
  });
});
