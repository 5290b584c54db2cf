// The app's reads of the contents API spend as little of the rate limit as they can without
// deciding on a stale file: within a delivery a file is read once (by branch name until the
// delivery writes; at a commit sha for good), across deliveries a read by branch name is a
// conditional request (304 costs nothing) and a read at a commit sha is not repeated. Checked
// against a model of GitHub that counts the calls, over arbitrary sequences of reads and writes.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { OctokitAccessRepo } from "../src/github/access-repo.js";
import { callLogLine, countCalls } from "../src/github/call-log.js";
import { clearContentsCache, ConditionalContents } from "../src/github/contents-cache.js";
import { ConflictError, updateRecord } from "../src/store/record-store.js";

/** git's blob id (as GitHub's contents API reports it), without importing the git store (which runs git). */
const gitBlobSha = (data: Buffer): string => createHash("sha1").update(`blob ${data.byteLength}\0`).update(data).digest("hex");

const REPO = { owner: "acme", repo: "access", defaultBranch: "main" };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly response: { headers: Record<string, string> } = { headers: {} },
  ) {
    super(`HTTP ${status}`);
  }
}

/** A tiny GitHub: branch main with files, commits by sha, ETags over the content, call counting. */
function fakeGitHub() {
  const main = new Map<string, string>();
  const commits = new Map<string, Map<string, string>>();
  const calls: Array<{ op: string; path: string; ref?: string; status: number }> = [];
  let failNext: number | undefined;
  const entry = (path: string, text: string) => ({
    type: "file",
    path,
    sha: gitBlobSha(Buffer.from(text)),
    size: text.length,
    encoding: "base64",
    content: Buffer.from(text).toString("base64"),
  });
  const octokit = {
    rest: {
      repos: {
        async getContent(p: { path: string; ref?: string; headers?: Record<string, string> }) {
          const files = p.ref === undefined || p.ref === "main" ? main : commits.get(p.ref);
          const text = files?.get(p.path);
          if (failNext !== undefined) {
            const s = failNext;
            failNext = undefined;
            calls.push({ op: "get", path: p.path, ...(p.ref ? { ref: p.ref } : {}), status: s });
            throw new HttpError(s);
          }
          if (text === undefined) {
            calls.push({ op: "get", path: p.path, ...(p.ref ? { ref: p.ref } : {}), status: 404 });
            throw new HttpError(404);
          }
          const etag = `W/"${gitBlobSha(Buffer.from(`${p.ref ?? ""}:${text}`))}"`;
          if (p.headers?.["if-none-match"] === etag) {
            calls.push({ op: "get", path: p.path, ...(p.ref ? { ref: p.ref } : {}), status: 304 });
            throw new HttpError(304, { headers: { etag } });
          }
          calls.push({ op: "get", path: p.path, ...(p.ref ? { ref: p.ref } : {}), status: 200 });
          return { data: entry(p.path, text), headers: { etag } };
        },
        async createOrUpdateFileContents(p: { path: string; content: string; sha?: string; branch?: string }) {
          const cur = main.get(p.path);
          const curSha = cur === undefined ? undefined : gitBlobSha(Buffer.from(cur));
          if (cur !== undefined && p.sha !== curSha) {
            calls.push({ op: "put", path: p.path, status: 409 });
            throw new HttpError(409);
          }
          const text = Buffer.from(p.content, "base64").toString("utf8");
          main.set(p.path, text);
          calls.push({ op: "put", path: p.path, status: 200 });
          return { data: { content: { sha: gitBlobSha(Buffer.from(text)) }, commit: { sha: "c".repeat(40) } } };
        },
      },
    },
    hook: { after: () => undefined, error: () => undefined },
  };
  return {
    main,
    commits,
    calls,
    failNextWith: (s: number) => (failNext = s),
    repo: () => new OctokitAccessRepo(octokit as never, REPO),
    octokit,
  };
}

beforeEach(() => clearContentsCache());

describe("one delivery's reads", () => {
  it("reads a file once per delivery, again after the delivery writes, and a 404 once", async () => {
    const gh = fakeGitHub();
    gh.main.set("a.yaml", "one\n");
    const r = gh.repo();
    expect((await r.read("a.yaml"))?.text).toBe("one\n");
    expect((await r.read("a.yaml"))?.text).toBe("one\n");
    expect(await r.read("b.yaml")).toBeUndefined();
    expect(await r.read("b.yaml")).toBeUndefined();
    expect(gh.calls.filter((c) => c.op === "get")).toHaveLength(2);
    await r.write("a.yaml", "two\n", { message: "m", expectedSha: gitBlobSha(Buffer.from("one\n")) });
    expect((await r.read("a.yaml"))?.text).toBe("two\n");
    expect(await r.hasConfig()).toBe(false);
  });

  it("a read kept from before someone else's write fails the compare-and-swap, and updateRecord then reads the file as it is", async () => {
    const gh = fakeGitHub();
    gh.main.set("a.yaml", "one\n");
    const r = gh.repo();
    await r.read("a.yaml");
    gh.main.set("a.yaml", "someone else's\n"); // a concurrent writer, after this delivery's read
    const seen: Array<string | undefined> = [];
    const out = await updateRecord(r, "a.yaml", (cur) => {
      seen.push(cur?.text);
      return { kind: "write", text: `${cur?.text ?? ""}+mine\n`, message: "m" };
    });
    expect(out).toMatchObject({ kind: "written", attempts: 2 });
    expect(seen).toEqual(["one\n", "someone else's\n"]);
    expect(gh.main.get("a.yaml")).toBe("someone else's\n+mine\n");
  });

  it("does not keep a failure other than 404", async () => {
    const gh = fakeGitHub();
    gh.main.set("a.yaml", "one\n");
    const r = gh.repo();
    gh.failNextWith(502);
    await expect(r.read("a.yaml")).rejects.toMatchObject({ status: 502 });
    expect((await r.read("a.yaml"))?.text).toBe("one\n");
  });

  it("over any sequence of reads and writes, answers what GitHub holds at that moment for its own writes, with at most GitHub's calls", async () => {
    const paths = ["a.yaml", "b.yaml"];
    const op = fc.oneof(
      fc.record({ kind: fc.constant("read" as const), path: fc.constantFrom(...paths) }),
      fc.record({ kind: fc.constant("readAt" as const), path: fc.constantFrom(...paths) }),
      fc.record({ kind: fc.constant("write" as const), path: fc.constantFrom(...paths), text: fc.constantFrom("x\n", "y\n", "z\n") }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        clearContentsCache();
        const gh = fakeGitHub();
        gh.main.set("a.yaml", "start\n");
        gh.commits.set("1".repeat(40), new Map([["a.yaml", "old\n"]]));
        const r = gh.repo();
        let naive = 0;
        for (const o of ops) {
          if (o.kind === "write") {
            const cur = await r.read(o.path);
            try {
              await r.write(o.path, o.text, { message: "m", expectedSha: cur?.sha });
            } catch (e) {
              if (!(e instanceof ConflictError)) throw e;
            }
            naive += 2;
            continue;
          }
          naive++;
          const got = o.kind === "read" ? await r.read(o.path) : await r.readAt(o.path, "1".repeat(40));
          const truth = o.kind === "read" ? gh.main.get(o.path) : gh.commits.get("1".repeat(40))?.get(o.path);
          expect(got?.text).toBe(truth);
        }
        expect(gh.calls.length).toBeLessThanOrEqual(naive);
      }),
      { numRuns: 150 },
    );
  });
});

describe("reads across deliveries", () => {
  it("a repeated read by branch name is a conditional request answered 304; a changed file is read anew", async () => {
    const gh = fakeGitHub();
    gh.main.set(".github/jit-access.yml", "v1\n");
    expect((await gh.repo().read(".github/jit-access.yml"))?.text).toBe("v1\n");
    expect((await gh.repo().read(".github/jit-access.yml"))?.text).toBe("v1\n");
    gh.main.set(".github/jit-access.yml", "v2\n");
    expect((await gh.repo().read(".github/jit-access.yml"))?.text).toBe("v2\n");
    expect(gh.calls.map((c) => c.status)).toEqual([200, 304, 200]);
  });

  it("a read at a commit sha (or its 404) is not asked again; a read by a branch called like a short sha is", async () => {
    const gh = fakeGitHub();
    const sha = "2".repeat(40);
    gh.commits.set(sha, new Map([[".github/CODEOWNERS", "* @bob\n"]]));
    gh.commits.set("abc1234", new Map([["x.yaml", "x\n"]]));
    for (let i = 0; i < 3; i++) {
      expect((await gh.repo().readAt(".github/CODEOWNERS", sha))?.text).toBe("* @bob\n");
      expect(await gh.repo().readAt("CODEOWNERS", sha)).toBeUndefined();
      await gh.repo().readAt("x.yaml", "abc1234");
    }
    expect(gh.calls.filter((c) => c.ref === sha)).toHaveLength(2);
    expect(gh.calls.filter((c) => c.ref === "abc1234").map((c) => c.status)).toEqual([200, 304, 304]);
  });

  it("the sweep's store reads through the same conditional requests", async () => {
    const gh = fakeGitHub();
    gh.main.set("r.yaml", "r\n");
    const c = new ConditionalContents(gh.octokit);
    await c.get({ owner: "acme", repo: "access", path: "r.yaml", ref: "main" });
    await c.get({ owner: "acme", repo: "access", path: "r.yaml", ref: "main" });
    expect(gh.calls.map((x) => x.status)).toEqual([200, 304]);
  });
});

describe("the per-delivery call log", () => {
  type Hook = (x: unknown) => unknown;
  function hooked() {
    const after: Hook[] = [];
    const error: Hook[] = [];
    return {
      octokit: { hook: { after: (_n: "request", h: Hook) => after.push(h), error: (_n: "request", h: Hook) => error.push(h) } },
      answer: (status: number, headers: Record<string, string>) => {
        if (status < 300) for (const h of after) h({ status, headers });
        else for (const h of error) expect(() => h({ status, response: { headers } })).toThrow();
      },
    };
  }

  it("counts calls and 304s, keeps the last rate-limit figures, and warns when under a tenth of the limit is left", () => {
    const { octokit, answer } = hooked();
    const count = countCalls(octokit as never);
    answer(200, { "x-ratelimit-remaining": "4000", "x-ratelimit-limit": "5000", "x-ratelimit-reset": "1800000000" });
    answer(304, { "x-ratelimit-remaining": "4000", "x-ratelimit-limit": "5000" });
    answer(404, {});
    expect(count).toMatchObject({ calls: 3, notModified: 1, remaining: 4000, limit: 5000 });
    expect(callLogLine(count)).toMatchObject({ level: "debug", fields: { github_calls: 3, not_modified: 1, rate_limit_remaining: 4000 } });
    answer(200, { "x-ratelimit-remaining": "499", "x-ratelimit-limit": "5000" });
    expect(callLogLine(count).level).toBe("warn");
  });

  it.each([
    [5000, 5000, "debug"],
    [500, 5000, "debug"],
    [499, 5000, "warn"],
    [0, 5000, "warn"],
    [0, 0, "debug"],
  ] as const)("remaining %i of %i is logged at %s", (remaining, limit, level) => {
    expect(callLogLine({ calls: 1, notModified: 0, remaining, limit }).level).toBe(level);
  });
});
