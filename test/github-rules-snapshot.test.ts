// The rule files a delivery reads through the one GraphQL snapshot are what the contents API
// gives for them, whatever is at their paths (absent, text, executable, symlink, folder, binary,
// bytes that are not UTF-8), by branch name and at the tip's sha; the snapshot spares the REST
// calls only for what it states exactly. Against the fake GitHub, checked against GitHub's REST
// description and GraphQL's envelope.
import { Octokit } from "@octokit/rest";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { OctokitAccessRepo } from "../src/github/access-repo.js";
import { clearContentsCache } from "../src/github/contents-cache.js";
import { SNAPSHOT_PATHS } from "../src/github/rules-snapshot.js";
import { GitHubRecordStore } from "../src/github/store.js";
import { ConformanceChecker } from "./support/openapi-conformance.js";
import { startFakeGitHub, type FakeGitHub, type FileInput } from "./support/fake-github.js";

let gh: FakeGitHub;
const checker = new ConformanceChecker();
beforeAll(async () => {
  gh = await startFakeGitHub();
});
afterAll(async () => {
  await gh.close();
  checker.assertClean("the snapshot's calls");
});

const octokit = () =>
  new (Octokit.plugin(checker.plugin))({
    auth: gh.issueInstallationToken().token,
    baseUrl: gh.url,
    request: { retries: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });

type State = "absent" | "text" | "executable" | "symlink" | "folder" | "binary" | "latin1";
const STATES: State[] = ["absent", "text", "executable", "symlink", "folder", "binary", "latin1"];

function filesFor(path: string, state: State): Record<string, FileInput> {
  switch (state) {
    case "absent":
      return {};
    case "text":
      return { [path]: `# ${path}\nkey: value\n` };
    case "executable":
      return { [path]: { content: "x: 1\n", executable: true } };
    case "symlink":
      return { [path]: { symlink: "target.yml" } };
    case "folder":
      return { [`${path}/inner.yml`]: "inner: 1\n" };
    case "binary":
      return { [path]: Buffer.from([0, 1, 2, 3]) };
    case "latin1":
      return { [path]: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) };
  }
}

const settle = (p: Promise<unknown>) =>
  p.then(
    (v) => ({ ok: v }),
    (e: unknown) => ({ error: (e as { status?: number }).status ?? (e instanceof Error ? e.message.replace(/ at [0-9a-f]{40}$/, "") : String(e)) }),
  );

let n = 0;
describe("reads through the rules snapshot", () => {
  it("equal the contents API's answers for every path and state, at the branch and at its tip", async () => {
    const others = SNAPSHOT_PATHS.filter((p) => p !== CONFIG_PATH);
    await fc.assert(
      fc.asyncProperty(fc.tuple(...others.map(() => fc.constantFrom(...STATES))), async (states) => {
        clearContentsCache();
        const name = `rules-${++n}`;
        const files: Record<string, FileInput> = { [CONFIG_PATH]: "aws: {}\n", "target.yml": "linked: 1\n" };
        others.forEach((p, i) => Object.assign(files, filesFor(p, states[i] as State)));
        gh.createRepo({ owner: "acme", name, files });
        const o = octokit();
        const repo = { owner: "acme", repo: name, defaultBranch: "main" };
        const plain = new GitHubRecordStore(o, { owner: "acme", repo: name, branch: "main" });
        const tip = gh.repo(`acme/${name}`).git.resolve("main") as string;
        const expected = await Promise.all(others.flatMap((p) => [settle(plain.read(p)), settle(plain.read(p, tip))]));

        const access = new OctokitAccessRepo(o, repo);
        gh.clearRequests();
        const got: unknown[] = [];
        for (const p of others) got.push(await settle(access.read(p)), await settle(access.readAt(p, tip)));
        expect(got).toEqual(expected);
        expect(await access.branchTip("main")).toBe(tip);
        // One query, and contents calls only for what it could not state exactly.
        const rest = gh.requests.filter((r) => !r.path.startsWith("/app"));
        expect(rest.filter((r) => r.path === "/graphql")).toHaveLength(1);
        const exact = (s: State) => s === "absent" || s === "text" || s === "executable";
        const unsettled = others.filter((_, i) => !exact(states[i] as State)).length;
        expect(rest.filter((r) => r.path.includes("/contents/")).length).toBeLessThanOrEqual(unsettled * 2);
        expect(rest.filter((r) => r.path.includes("/git/ref/"))).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("a write in the delivery before the answer arrives keeps only the reads at the sha", async () => {
    clearContentsCache();
    gh.createRepo({ owner: "acme", name: "moving", files: { [CONFIG_PATH]: "aws: {}\n", "identities/people.yaml": "people: []\n" } });
    const o = octokit();
    const access = new OctokitAccessRepo(o, { owner: "acme", repo: "moving", defaultBranch: "main" });
    const reading = access.read("identities/people.yaml");
    await access.write("identities/people.yaml", "people: [alice]\n", { message: "m", expectedSha: (await reading)?.sha });
    expect((await access.read("identities/people.yaml"))?.text).toBe("people: [alice]\n");
  });

  it("a rule file changed between deliveries is read anew by the next delivery", async () => {
    clearContentsCache();
    gh.createRepo({ owner: "acme", name: "changing", files: { [CONFIG_PATH]: "aws: {}\n", "identities/roles.yaml": "roles: {}\n" } });
    const o = octokit();
    const repo = { owner: "acme", repo: "changing", defaultBranch: "main" };
    expect((await new OctokitAccessRepo(o, repo).read("identities/roles.yaml"))?.text).toBe("roles: {}\n");
    gh.commitFiles("acme/changing", "main", { "identities/roles.yaml": "roles: { admin: [] }\n" }, { author: "root" });
    expect((await new OctokitAccessRepo(o, repo).read("identities/roles.yaml"))?.text).toBe("roles: { admin: [] }\n");
  });
});

describe("folder listings through GraphQL", () => {
  const contentsListing = (access: OctokitAccessRepo, folders: string[]) =>
    (access as unknown as { listNamesByContents(f: readonly string[]): Promise<string[]> }).listNamesByContents(folders);

  it("equal the contents API's for any mix of folders, files, symlinks, submodule-free trees and absent folders, in one query", async () => {
    const kinds = ["records", "absent", "a file", "mixed"] as const;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...kinds), { minLength: 1, maxLength: 4 }), async (picked) => {
        const name = `folders-${++n}`;
        const files: Record<string, FileInput> = { "README.md": "x\n" };
        const folders = picked.map((kind, i) => {
          const folder = `access-requests/prod/${2020 + i}`;
          if (kind === "records") Object.assign(files, { [`${folder}/${i}-a.yaml`]: "a\n", [`${folder}/${i}-b.yaml`]: "b\n" });
          if (kind === "a file") files[folder] = "not a folder\n";
          if (kind === "mixed")
            Object.assign(files, {
              [`${folder}/${i}-c.yaml`]: { content: "c\n", executable: true },
              [`${folder}/link.yaml`]: { symlink: `${i}-c.yaml` },
              [`${folder}/notes.txt`]: "n\n",
              [`${folder}/sub/${i}-d.yaml`]: "d\n",
            });
          return folder;
        });
        gh.createRepo({ owner: "acme", name, files });
        const access = new OctokitAccessRepo(octokit(), { owner: "acme", repo: name, defaultBranch: "main" });
        gh.clearRequests();
        const got = await access.listNames(folders);
        expect(gh.requests.filter((r) => !r.path.startsWith("/app")).map((r) => r.path)).toEqual(["/graphql"]);
        expect(got).toEqual(await contentsListing(access, folders));
      }),
      { numRuns: 30 },
    );
  });

  it("falls back to the contents API when the query fails", async () => {
    gh.createRepo({ owner: "acme", name: "fallback", files: { "access-requests/prod/2026/1-a.yaml": "a\n" } });
    const access = new OctokitAccessRepo(octokit(), { owner: "acme", repo: "fallback", defaultBranch: "main" });
    checker.ignoreStatuses.add(502);
    gh.faults.failNext("POST", "/graphql", 502);
    expect(await access.listNames(["access-requests/prod/2026", "access-requests/prod/2025"])).toEqual(["access-requests/prod/2026/1-a.yaml"]);
    checker.ignoreStatuses.delete(502);
  });
});
