// `jit-access plan FILE [--config FILE] [--json] [--now ISO] [--write]`: 0 ok, 1 blocked, 2 usage.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLE = "access-requests/examples/142-financial-reports.yaml";

interface PlanJson {
  id: string | null;
  policy: { Statement: Array<{ Action: string[]; Resource: string[] }> } | null;
  verdict: { ok: boolean; risk: string | null; errors: Array<{ path: string; message: string }>; warnings: unknown[] };
  explanation: { table: string; summary: string } | null;
  expires_at?: string;
}

describe("plan on the examples", () => {
  it("prints the seed's policy for Alice's S3 request (exit 0)", async () => {
    const r = await runCli(["plan", EXAMPLE, "--json", "--now", "2026-11-27T09:00:00Z"], repoRoot);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as PlanJson;
    expect(out.id).toBe("142-financial-reports");
    // The only warning: the KMS line to add should the bucket use SSE-KMS (the key is not known).
    expect(out.verdict).toEqual({
      ok: true,
      risk: "medium",
      errors: [],
      warnings: [
        { code: "request.companion-suggested", path: "request[0]", message: expect.stringContaining("to write objects to a bucket encrypted with SSE-KMS") },
      ],
    });
    expect(out.policy?.Statement.flatMap((s) => s.Action).sort()).toEqual(["s3:GetObject", "s3:ListBucket", "s3:PutObject"]);
    expect(out.policy?.Statement.flatMap((s) => s.Resource).sort()).toEqual([
      "arn:aws:s3:::financial-reports",
      "arn:aws:s3:::financial-reports/*",
      "arn:aws:s3:::financial-reports/*",
    ]);
    expect(out.explanation?.table).toContain("| s3 |");
    expect(out.expires_at).toBe("2026-11-27T17:00:00Z");
  });

  it("human output has the verdict, explanation, policy and simulation", async () => {
    const r = await runCli(["plan", "access-requests/examples/143-orders-table-read.yaml"], repoRoot);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ .*143-orders-table-read.*ok, risk low/);
    expect(r.stdout).toContain("dynamodb:GetItem");
    expect(r.stdout).toMatch(/Simulation: \d+ asked action\/resource pairs allowed before expiry and denied after/);
  });

  it.each([
    [["plan"], /exactly one request file/],
    [["plan", "a.yaml", "b.yaml"], /exactly one request file/],
    [["plan", EXAMPLE, "--now", "tomorrow"], /--now "tomorrow" is not an ISO date-time/],
    [["plan", EXAMPLE, "--now", "2026-13-45T00:00:00Z"], /not an ISO date-time/],
    [["plan", EXAMPLE, "--bogus"], /Unknown option/],
    [["plan", "nothere.yaml"], /no such file/],
  ])("usage error %j → exit 2", async (args, message) => {
    const r = await runCli(args, repoRoot);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe("plan in a scratch access repository", () => {
  let dir = "";
  const file = "access-requests/prod/2026/7-reports.yaml";
  const write = (text: string) => writeFileSync(join(dir, file), text);
  const base = [
    "# written by hand",
    "version: 1",
    "id: 7-reports",
    "requester: alice",
    "account: prod",
    "duration: 2h",
    "reason: Monthly close",
    "request:",
    "  - service: s3",
    "    access: [read]",
    "    resources: [reports]",
    "",
  ].join("\n");

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jit-plan-"));
    mkdirSync(join(dir, ".github"), { recursive: true });
    cpSync(join(repoRoot, ".github/jit-access.yml"), join(dir, ".github/jit-access.yml"));
    mkdirSync(join(dir, "access-requests/prod/2026"), { recursive: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("--write adds the generated policy, keeps comments, and is idempotent", async () => {
    write(base);
    const r1 = await runCli(["plan", file, "--write"], dir);
    expect(r1.code).toBe(0);
    const once = readFileSync(join(dir, file), "utf8");
    expect(once.startsWith("# written by hand\n")).toBe(true);
    expect(once).toContain("generator: builtin/1");
    expect(once).toContain("s3:GetObject");
    const r2 = await runCli(["plan", file, "--write"], dir);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toContain("Nothing written: the file already has a policy");
    expect(readFileSync(join(dir, file), "utf8")).toBe(once);
    const v = await runCli(["validate", file], dir);
    expect(v.code).toBe(0);
  });

  it("a hand-written policy wider than the request is blocked (exit 1)", async () => {
    write(
      base +
        [
          "policy:",
          "  Version: '2012-10-17'",
          "  Statement:",
          "    - Effect: Allow",
          "      Action: ['s3:GetObject', 's3:DeleteObject']",
          "      Resource: ['arn:aws:s3:::reports/*']",
          "",
        ].join("\n"),
    );
    const r = await runCli(["plan", file, "--json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as PlanJson;
    expect(out.verdict.ok).toBe(false);
    expect(out.verdict.errors).toContainEqual(expect.objectContaining({ path: "policy.Statement[0].Action[1]" }));
  });

  it("permissions management on a named bucket is allowed at risk high", async () => {
    write(
      base.replace("service: s3\n    access: [read]\n    resources: [reports]", "service: s3\n    actions: [s3:PutBucketPolicy]\n    resources: [reports]"),
    );
    const r = await runCli(["plan", file], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok, risk high/);
  });

  it("a service outside allowed_services is blocked with the fix", async () => {
    write(
      base.replace(
        "service: s3\n    access: [read]\n    resources: [reports]",
        'service: iam\n    actions: [iam:PassRole]\n    resources: ["arn:aws:iam::111122223333:role/deploy"]',
      ),
    );
    const r = await runCli(["plan", file, "--json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as PlanJson;
    expect(out.verdict.errors.map((e) => e.message).join("\n")).toMatch(/allowed_services/);
  });

  it("an invalid request file gives its problems, exit 1, --write changes nothing", async () => {
    write(base.replace("duration: 2h", "duration: 2 hours"));
    const before = readFileSync(join(dir, file), "utf8");
    const r = await runCli(["plan", file, "--write"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/duration/);
    expect(readFileSync(join(dir, file), "utf8")).toBe(before);
  });
});
