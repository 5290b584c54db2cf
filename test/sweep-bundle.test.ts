// dist/sweep.js (what action.yml runs) and dist/iam-data/ (the IAM data it reads) must be exactly
// what scripts/build-sweep.mjs builds from the current sources: CI fails here when someone changes
// the Action and forgets `npm run build:sweep`. Then the bundle is run as the Action runs it (INPUT_*
// variables, GITHUB_WORKSPACE) on an access repository made by `jit-access init`.
// Also run under Node 24 (NODE24 in vitest.config.ts): the Action's bundle (dist/sweep.js) in subprocesses.
// @module-tag node24
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import { iamDataDir, PACKED_CATALOGUE, readCatalogue } from "../src/iam-data.js";
import type { Catalogue } from "../src/policy/catalogue.js";
import { runCli } from "./support/cli.js";

const root = join(import.meta.dirname, "..");
const run = promisify(execFile);
const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmp.push(d);
  return d;
};

/** Everything the policy engine reads of a catalogue, comparable with toEqual. */
function contentOf(c: Catalogue): unknown {
  return c.services().map((s) => ({
    s,
    actions: c.actionsOf(s).map((a) => [a.full, a.level, a.resourceTypes]),
    types: c.resourceTypesOf(s).map((r) => [r.key, r.arnFormat]),
  }));
}

describe("dist/sweep.js and dist/iam-data/", () => {
  let fresh: string;
  beforeAll(() => {
    fresh = freshDir("jit-bundle-");
    execFileSync(process.execPath, [join(root, "scripts/build-sweep.mjs"), join(fresh, "sweep.js")], { cwd: root, stdio: "pipe" });
  }, 60_000);

  it("equal a fresh build (run `npm run build:sweep` and commit dist/sweep.js and dist/iam-data/)", () => {
    const bundle = readFileSync(join(fresh, "sweep.js"));
    expect(existsSync(join(root, "dist/sweep.js")), "dist/sweep.js is missing: run npm run build:sweep").toBe(true);
    expect(readFileSync(join(root, "dist/sweep.js")).equals(bundle), "dist/sweep.js is stale: run npm run build:sweep and commit it").toBe(true);
    // The pack is compared by content: gzip's bytes may differ between zlib versions.
    const unpack = (dir: string) => gunzipSync(readFileSync(join(dir, "iam-data", PACKED_CATALOGUE))).toString("utf8");
    expect(unpack(join(root, "dist")) === unpack(fresh), "dist/iam-data/ is stale: run npm run build:sweep and commit it").toBe(true);
    expect(readFileSync(join(root, "dist/iam-data/LICENSE.txt"), "utf8")).toBe(readFileSync(join(fresh, "iam-data/LICENSE.txt"), "utf8"));
    // About 1.4 MB (the sweep, validate and report, each from its own CLI module): the bound
    // catches the IAM data or another large package slipping into the bundle.
    expect(bundle.byteLength).toBeLessThan(2_000_000);
    expect(readFileSync(join(fresh, "iam-data", PACKED_CATALOGUE)).byteLength).toBeLessThan(600_000);
    // The data stays out of the code (its descriptions would be here), and no build path leaks in.
    expect(bundle.toString("utf8")).not.toMatch(/Grants permission to|\/work\/|node_modules\//);
  });

  it("the pack reads as the same catalogue as the package's data, for every service", () => {
    const packed = readCatalogue(join(fresh, "iam-data"));
    const full = readCatalogue(iamDataDir());
    expect(packed.services().length).toBeGreaterThan(400);
    expect(contentOf(packed)).toEqual(contentOf(full));
  }, 30_000);

  it("runs as the Action: without inputs it fails with an ::error:: line, never a stack trace", () => {
    let stdout = "";
    let status = 0;
    try {
      execFileSync(process.execPath, [join(root, "dist/sweep.js")], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? "" }, stdio: "pipe" });
    } catch (e) {
      const err = e as { status: number; stdout: Buffer };
      status = err.status;
      stdout = err.stdout.toString();
    }
    expect(status).toBe(1);
    expect(stdout).toMatch(/^::error::jit-access sweep: input github-token is empty/);
  });

  it("action.yml runs it on node24 and documents every input the entry reads", () => {
    const action = yaml.load(readFileSync(join(root, "action.yml"), "utf8")) as {
      runs: { using: string; main: string };
      inputs: Record<string, { description?: string; default?: string }>;
    };
    expect(action.runs).toEqual({ using: "node24", main: "dist/sweep.js" });
    expect(Object.keys(action.inputs).sort()).toEqual(["command", "concurrency", "config-path", "dry-run", "files-from", "github-token"]);
    expect(action.inputs.command?.default).toBe("sweep");
    for (const input of Object.values(action.inputs)) expect(input.description).toBeTruthy();
    const source = ["src/action.ts", "src/sweep/action.ts"].map((f) => readFileSync(join(root, f), "utf8")).join("\n");
    for (const name of Object.keys(action.inputs)) expect(source).toContain(`"${name}"`);
  });
});

// ---- the bundle as the Action runs it, on an access repository written by init ----------------

const GOOD = (id: string, account = "prod") => `version: 1
id: ${id}
requester: carol
account: ${account}
duration: 2h
reason: Investigate incident INC-2041 (missing order confirmations)
request:
  - service: dynamodb
    access: [read]
    resources: [orders]
`;

describe("the bundle as the Action: command validate and report", () => {
  let repo: string;
  let lists: string;
  const year = String(new Date().getUTCFullYear());
  const good = `access-requests/prod/${year}/1-orders-read.yaml`;
  const badAccount = `access-requests/prod/${year}/2-nowhere.yaml`;
  const misplaced = `access-requests/prod/3-misplaced.yaml`;

  beforeAll(async () => {
    repo = freshDir("jit-action-repo-");
    const r = await runCli(["init", ".", "--account", "prod=111122223333", "--region", "us-east-1", "--approver", "bob", "--principal", "carol=carol"], repo);
    expect(r.code, r.stderr).toBe(0);
    mkdirSync(join(repo, `access-requests/prod/${year}`), { recursive: true });
    writeFileSync(join(repo, good), GOOD("1-orders-read"));
    writeFileSync(join(repo, badAccount), GOOD("2-nowhere", "nowhere"));
    writeFileSync(join(repo, misplaced), GOOD("3-misplaced"));
    lists = freshDir("jit-action-lists-");
  });

  /** Runs dist/sweep.js with the inputs as the runner passes them, the list of paths NUL-separated. */
  async function action(inputs: Record<string, string>, files?: string[]): Promise<{ code: number; stdout: string; stderr: string; summary: string }> {
    const id = Math.random().toString(36).slice(2);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      GITHUB_WORKSPACE: repo,
      GITHUB_STEP_SUMMARY: join(lists, `${id}.md`),
      RUNNER_TEMP: lists,
    };
    for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
    if (files) {
      writeFileSync(join(lists, id), files.map((f) => `${f}\0`).join(""));
      env["INPUT_FILES-FROM"] = join(lists, id);
    }
    const summary = () => (existsSync(env.GITHUB_STEP_SUMMARY!) ? readFileSync(env.GITHUB_STEP_SUMMARY!, "utf8") : "");
    try {
      const r = await run(process.execPath, [join(root, "dist/sweep.js")], { cwd: tmpdir(), env });
      return { code: 0, stdout: r.stdout, stderr: r.stderr, summary: summary() };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr, summary: summary() };
    }
  }

  it("a valid changed request file: exit 0", async () => {
    const r = await action({ command: "validate", "config-path": ".github/jit-access.yml" }, [good]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`✓ ${good}\n`);
    expect(r.stdout).toContain("1 valid, 0 invalid");
    expect(r.stdout).not.toContain("::error");
  }, 30_000);

  it("invalid files: exit 1, the CLI's own messages, and one ::error file=… annotation per bad file", async () => {
    const r = await action({ command: "validate" }, [good, badAccount, misplaced]);
    expect(r.code).toBe(1);
    // What `jit-access validate` prints for the same files, line for line.
    const cli = await runCli(["validate", good, badAccount, misplaced], repo);
    expect(cli.code).toBe(1);
    for (const line of cli.stdout.trimEnd().split("\n")) expect(r.stdout).toContain(line);
    expect(r.stdout).toMatch(/account "nowhere" is not a known alias/);
    const annotations = r.stdout.split("\n").filter((l) => l.startsWith("::error"));
    expect(annotations.map((l) => /^::error file=([^:]*)::/.exec(l)?.[1])).toEqual([badAccount, misplaced]);
  }, 30_000);

  it("no changed request file: exit 0, nothing validated", async () => {
    const r = await action({ command: "validate" }, []);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("No request files changed; nothing to validate.\n");
  }, 30_000);

  it("files-from naming a path out of the repository: exit 1 naming files-from, nothing validated", async () => {
    // Every kind of bad entry: test/sweep-action.test.ts (changedRequestFiles).
    const r = await action({ command: "validate" }, [good, "../../etc/passwd.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error::files-from: entry "\.\.\/\.\.\/etc\/passwd\.yaml" is not a request file path/m);
    expect(r.stdout).not.toContain("valid,");
  }, 30_000);

  it("validate without files-from, or an unknown command: exit 1 with an ::error:: saying what to set", async () => {
    const none = await action({ command: "validate" });
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/^::error::jit-access validate: input files-from is empty/);
    const bogus = await action({ command: "deploy" });
    expect(bogus.code).toBe(1);
    expect(bogus.stdout).toMatch(/^::error::jit-access: input command "deploy" is not one of sweep, validate, report/);
  }, 30_000);

  it("report: writes the CLI's markdown report to the job summary, exit 0", async () => {
    const r = await action({ command: "report", "config-path": ".github/jit-access.yml" });
    expect(r.code, r.stdout).toBe(0);
    const cli = await runCli(["report", "--format", "md"], repo);
    expect(r.summary).toMatch(/^## jit-access report/);
    // The same report but for the time it was generated.
    const untimed = (s: string) => s.replace(/Generated \S+/g, "Generated …");
    expect(untimed(r.summary)).toBe(untimed(cli.stdout));
  }, 30_000);
});
