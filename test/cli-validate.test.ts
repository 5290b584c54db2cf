// `jit-access validate [PATH...] [--config FILE] [--json]`: exit 0 all valid, 1 any invalid, 2 usage.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const example142 = readFileSync(join(repoRoot, "access-requests/examples/142-financial-reports.yaml"), "utf8");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], cwd: string): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd });
  return { code, stdout, stderr };
}

type JsonResult = { file: string; ok: boolean; errors: Array<{ path: string; message: string }> };
const json = (r: Run): JsonResult[] => JSON.parse(r.stdout) as JsonResult[];

describe("validate in this repository", () => {
  it("the examples are valid (exit 0)", async () => {
    const r = await cli(["validate", "access-requests/examples/142-financial-reports.yaml", "access-requests/examples/143-orders-table-read.yaml"], repoRoot);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("2 valid, 0 invalid");
    expect(r.code).toBe(0);
  });

  it("a folder argument validates every YAML file in it", async () => {
    const r = await cli(["validate", "access-requests/examples", "--json"], repoRoot);
    expect(r.code).toBe(0);
    const results = json(r);
    expect(results.map((x) => x.file)).toEqual(["access-requests/examples/142-financial-reports.yaml", "access-requests/examples/143-orders-table-read.yaml"]);
    for (const x of results) expect(x).toEqual({ file: x.file, ok: true, errors: [] });
  });

  it("--json prints an array of { file, ok, errors }", async () => {
    const r = await cli(["validate", "access-requests/examples/143-orders-table-read.yaml", "--json"], repoRoot);
    expect(r.code).toBe(0);
    expect(json(r)).toEqual([{ file: "access-requests/examples/143-orders-table-read.yaml", ok: true, errors: [] }]);
  });

  it("works from a subfolder (finds the repository root and its config)", async () => {
    const r = await cli(["validate", "142-financial-reports.yaml", "--json"], join(repoRoot, "access-requests/examples"));
    expect(r.code).toBe(0);
    expect(json(r)).toEqual([{ file: "142-financial-reports.yaml", ok: true, errors: [] }]);
  });
});

describe("usage errors exit 2", () => {
  it.each([
    ["unknown flag", ["validate", "--frobnicate"], /Unknown option '--frobnicate'/],
    ["unknown short flag", ["validate", "-x"], /Unknown option '-x'/],
    ["--config without a value", ["validate", "--config"], /--config/],
    ["missing file", ["validate", "access-requests/examples/999-nope.yaml"], /999-nope\.yaml: no such file or folder/],
    ["missing config file", ["validate", "--config", "nope.yml"], /config file nope\.yml does not exist/],
    ["unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["no command", [], /Usage: jit-access/],
  ])("%s", async (_name, args, pattern) => {
    const r = await cli(args, repoRoot);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("help exits 0", async () => {
    const r = await cli(["help"], repoRoot);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("validate [PATH...]");
  });
});

describe("validate in a scratch access repository", () => {
  let dir = "";
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jit-cli-"));
    mkdirSync(join(dir, ".github"), { recursive: true });
    cpSync(join(repoRoot, ".github/jit-access.yml"), join(dir, ".github/jit-access.yml"));
    mkdirSync(join(dir, "access-requests/examples"), { recursive: true });
    mkdirSync(join(dir, "access-requests/prod/2026"), { recursive: true });
    mkdirSync(join(dir, "access-requests/staging/2026"), { recursive: true });
    cpSync(join(repoRoot, "access-requests/examples"), join(dir, "access-requests/examples"), { recursive: true });
    writeFileSync(join(dir, "access-requests/prod/2026/142-financial-reports.yaml"), example142);
    writeFileSync(
      join(dir, "access-requests/staging/2026/150-too-long.yaml"),
      example142.replace("id: 142-financial-reports", "id: 150-too-long").replace("account: prod", "account: staging").replace("duration: 8h", "duration: 3d"),
    );
    mkdirSync(join(dir, "configs"), { recursive: true });
    writeFileSync(join(dir, "configs/bad.yml"), "aws:\n  accounts:\n    prod: 111122223333\nmax_duration: 24 hours\n");
    writeFileSync(
      join(dir, "configs/short.yml"),
      'aws:\n  accounts:\n    prod: "111122223333"\n    staging: "444455556666"\nprincipals:\n  alice: { iam_user: alice }\ndefault_duration: 2h\nmax_duration: 4h\n',
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("no arguments: discovers access-requests/** (examples, accounts, years)", async () => {
    const r = await cli(["validate", "--json"], dir);
    expect(r.code).toBe(1);
    const results = json(r);
    expect(results.map((x) => x.file)).toEqual([
      "access-requests/examples/142-financial-reports.yaml",
      "access-requests/examples/143-orders-table-read.yaml",
      "access-requests/prod/2026/142-financial-reports.yaml",
      "access-requests/staging/2026/150-too-long.yaml",
    ]);
    expect(results.filter((x) => !x.ok).map((x) => x.file)).toEqual(["access-requests/staging/2026/150-too-long.yaml"]);
    expect(results[3]?.errors).toEqual([expect.objectContaining({ path: "duration", message: expect.stringContaining("longer than max_duration") })]);
  });

  it("no arguments from inside access-requests/ still discovers every request from the root", async () => {
    const r = await cli(["validate", "--json"], join(dir, "access-requests/prod"));
    expect(r.code).toBe(1);
    expect(json(r)).toHaveLength(4);
  });

  it("human output names the file, the field and the fix, and counts", async () => {
    const r = await cli(["validate"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ access-requests/staging/2026/150-too-long.yaml");
    expect(r.stdout).toMatch(/duration "3d" is longer than max_duration 24h; ask for 24h or less/);
    expect(r.stdout).toContain("3 valid, 1 invalid");
    expect(r.stderr).toBe("");
  });

  it("a folder argument validates only that folder", async () => {
    const r = await cli(["validate", "access-requests/prod", "--json"], dir);
    expect(r.code).toBe(0);
    expect(json(r).map((x) => x.file)).toEqual(["access-requests/prod/2026/142-financial-reports.yaml"]);
  });

  it("an invalid config via --config exits 1 and reports the config's problems", async () => {
    const r = await cli(["validate", "access-requests/prod", "--config", "configs/bad.yml", "--json"], dir);
    expect(r.code).toBe(1);
    const results = json(r);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ file: "configs/bad.yml", ok: false });
    const paths = results[0]?.errors.map((e) => e.path);
    expect(paths).toContain("aws.accounts.prod");
    expect(paths).toContain("max_duration");
  });

  it("an invalid config in human output", async () => {
    const r = await cli(["validate", "--config", "configs/bad.yml"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("✗ configs/bad.yml");
    expect(r.stdout).toContain('max_duration "24 hours" is not valid');
  });

  it("a valid --config is the one used", async () => {
    const r = await cli(["validate", "access-requests/prod", "--config", "configs/short.yml", "--json"], dir);
    expect(r.code).toBe(1);
    expect(json(r)[0]?.errors).toEqual([expect.objectContaining({ path: "duration", message: expect.stringContaining("max_duration 4h") })]);
  });

  it("--config pointing at a folder is an error, not a crash", async () => {
    const r = await cli(["validate", "--config", "configs", "--json"], dir);
    expect(r.code).toBe(1);
    expect(json(r)[0]?.errors[0]?.message).toContain("is not a regular file");
  });

  it("mixed valid and invalid files: exit 1, one result per file, in order", async () => {
    const r = await cli(["validate", "access-requests/staging/2026/150-too-long.yaml", "access-requests/prod/2026/142-financial-reports.yaml", "--json"], dir);
    expect(r.code).toBe(1);
    expect(json(r).map((x) => [x.file, x.ok])).toEqual([
      ["access-requests/prod/2026/142-financial-reports.yaml", true],
      ["access-requests/staging/2026/150-too-long.yaml", false],
    ]);
  });

  it("the same file named twice is reported once", async () => {
    const f = "access-requests/prod/2026/142-financial-reports.yaml";
    const r = await cli(["validate", f, `./${f}`, "--json"], dir);
    expect(json(r)).toHaveLength(1);
  });

  describe("symlinked request files", () => {
    const link = "access-requests/prod/2026/160-linked.yaml";
    let outside = "";
    beforeAll(() => {
      outside = mkdtempSync(join(tmpdir(), "jit-outside-"));
      writeFileSync(join(outside, "secret.txt"), "AWS_SECRET_ACCESS_KEY: do-not-print-me\n");
      symlinkSync(join(outside, "secret.txt"), join(dir, link));
    });
    afterAll(() => {
      rmSync(join(dir, link), { force: true });
      if (outside) rmSync(outside, { recursive: true, force: true });
    });

    // A PR that adds a symlinked request file must not pass `jit-access validate` silently.
    it("are reported by default discovery, not silently skipped", async () => {
      const r = await cli(["validate", "access-requests/prod", "--json"], dir);
      expect(json(r).map((x) => x.file)).toContain(link);
      expect(r.code).toBe(1);
    });

    // A named symlink is never followed: it could point outside the repository.
    it("are refused when named, without reading the target", async () => {
      const r = await cli(["validate", link, "--json"], dir);
      expect(r.code).toBe(1);
      expect(r.stdout).not.toContain("AWS_SECRET_ACCESS_KEY");
    });
  });
});

// `validate` is what the PR workflow runs; `plan` is what the grant runs. They share one
// validator, so a file passes validate exactly when plan accepts it.
describe("validate and plan agree", () => {
  let dir = "";
  const header = (id: string, account = "prod") =>
    `version: 1\nid: ${id}\nrequester: alice\naccount: ${account}\nduration: 2h\nreason: testing the validator\n`;
  const files: Record<string, string> = {
    "access-requests/prod/2026/201-unknown-service.yaml": `${header("201-unknown-service")}request:\n  - service: s4\n    access: [read]\n    resources: [reports]\n`,
    "access-requests/prod/2026/202-misspelt-action.yaml": `${header("202-misspelt-action")}request:\n  - service: s3\n    actions: [s3:GetObjekt]\n    resources: [reports]\n`,
    "access-requests/prod/2026/203-many-faults.yaml": `${header("203-many-faults").replace("duration: 2h", "duration: 3d")}request:\n  - service: s4\n    access: [read]\n    resources: [reports]\n  - service: s3\n    actions: [s3:GetObjekt]\n    resources: [reports]\n  - service: dynamodb\n    access: [read]\n    resources: ["arn:aws:s3:::reports"]\n`,
    "access-requests/prod/2026/204-good.yaml": `${header("204-good")}request:\n  - service: s3\n    access: [read]\n    resources: [reports]\n`,
    "access-requests/prod/2026/205-dangerous.yaml": `${header("205-dangerous")}request:\n  - service: iam\n    actions: [iam:PassRole]\n    resources: ["arn:aws:iam::111122223333:role/*"]\n`,
    "access-requests/prod/2026/206-policy-too-wide.yaml": `${header("206-policy-too-wide")}request:\n  - service: s3\n    access: [read]\n    resources: [reports]\npolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Action: [s3:DeleteObject]\n      Resource: ["arn:aws:s3:::reports/*"]\n`,
  };
  const corpusCases = (
    JSON.parse(readFileSync(join(repoRoot, "test/corpus/expected.json"), "utf8")) as Array<{
      file: string;
      virtualPath?: string;
      cli?: boolean;
      padTo?: number;
    }>
  ).filter((c) => c.file.startsWith("requests/") && c.cli !== false && c.virtualPath && !c.padTo);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jit-agree-"));
    mkdirSync(join(dir, ".github"), { recursive: true });
    cpSync(join(repoRoot, ".github/jit-access.yml"), join(dir, ".github/jit-access.yml"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function place(rel: string, data: string | Buffer): void {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }

  type PlanJson = { verdict: { ok: boolean; errors: Array<{ path: string; message: string }> } };
  async function both(rel: string): Promise<{ v: JsonResult; p: PlanJson; vCode: number; pCode: number }> {
    const vr = await cli(["validate", rel, "--json"], dir);
    const pr = await cli(["plan", rel, "--json", "--now", "2026-11-27T09:00:00Z"], dir);
    expect(vr.stderr + pr.stderr).toBe("");
    const [v] = json(vr);
    if (!v) throw new Error("no validate result");
    return { v, p: JSON.parse(pr.stdout) as PlanJson, vCode: vr.code, pCode: pr.code };
  }

  it("refuses an unknown service, suggesting the nearest", async () => {
    const rel = "access-requests/prod/2026/201-unknown-service.yaml";
    place(rel, files[rel] as string);
    const { v, vCode } = await both(rel);
    expect(vCode).toBe(1);
    expect(v.errors).toContainEqual({
      code: "request.unknown-service",
      path: "request[0].service",
      message: expect.stringMatching(/unknown AWS service "s4"; did you mean "s3"\?/),
    });
  });

  it("refuses a misspelt action, suggesting the nearest", async () => {
    const rel = "access-requests/prod/2026/202-misspelt-action.yaml";
    place(rel, files[rel] as string);
    const { v, vCode } = await both(rel);
    expect(vCode).toBe(1);
    expect(v.errors).toContainEqual({
      code: "request.unknown-action",
      path: "request[0].actions[0]",
      message: expect.stringMatching(/unknown action "s3:GetObjekt"; did you mean "s3:GetObject"\?/),
    });
  });

  it("reports every error of a file at once: file rules and pipeline", async () => {
    const rel = "access-requests/prod/2026/203-many-faults.yaml";
    place(rel, files[rel] as string);
    const { v } = await both(rel);
    expect(v.errors.map((e) => e.path).sort()).toEqual(["duration", "request[0].service", "request[1].actions[0]", "request[2].resources[0]"]);
    expect(v.errors.find((e) => e.path === "request[2].resources[0]")?.message).toMatch(
      /is a s3 bucket, and no dynamodb action authorizes on it; move it to a request item with service: s3/,
    );
  });

  it.each(Object.keys(files))("%s: same verdict and errors", async (rel) => {
    place(rel, files[rel] as string);
    const { v, p, vCode, pCode } = await both(rel);
    expect(v.ok).toBe(p.verdict.ok);
    expect(vCode).toBe(pCode);
    expect(v.errors).toEqual(p.verdict.errors);
  });

  it("same verdict for every file of the bad-input corpus", async () => {
    expect(corpusCases.length).toBeGreaterThan(40);
    for (const c of corpusCases) {
      const rel = c.virtualPath as string;
      place(rel, readFileSync(join(repoRoot, "test/corpus", c.file)));
      const { v, p, vCode, pCode } = await both(rel);
      expect([c.file, v.ok, vCode]).toEqual([c.file, p.verdict.ok, pCode]);
      expect(v.errors, c.file).toEqual(p.verdict.errors);
      rmSync(join(dir, rel), { force: true });
    }
  });
});
