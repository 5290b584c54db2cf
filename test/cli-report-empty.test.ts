// The report's empty state says why it is empty — no files, only examples, unreadable files, or
// nothing in the period — instead of a page of zeros; grants live now are still shown.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccessRequest } from "../src/domain/types.js";
import { buildReport, type ReportInput } from "../src/report/aggregate.js";
import { renderReport } from "../src/report/render.js";
import { runCli } from "./support/cli.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const active: AccessRequest = {
  version: 1,
  id: "3-gamma",
  requester: "alice",
  account: "prod",
  duration: "2h",
  reason: "r",
  request: [{ service: "s3", access: ["read"], resources: ["b"] }],
  status: "active",
  grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T10:10:30Z", expires_at: "2026-11-27T12:10:00Z" },
};
const base: ReportInput = { records: [], commits: [], now: NOW };

describe("the empty state names its cause", () => {
  it.each<[string, Partial<ReportInput>, RegExp]>([
    [
      "no files at all",
      { source: { dir: "access-requests", examplesExcluded: 0 } },
      /^no request files found under access-requests\/ \(access-requests\/examples\/ is excluded\)/,
    ],
    [
      "only examples",
      { source: { dir: "access-requests", examplesExcluded: 2 } },
      /^no request files found under access-requests\/ \(2 example file\(s\) in access-requests\/examples\/ are excluded\)/,
    ],
    [
      "every file unreadable",
      { skipped: [{ file: "access-requests/prod/x.yaml", reason: "bad" }] },
      /^none of the 1 request file\(s\) under access-requests\/ could be read/,
    ],
    [
      "nothing since --since",
      { records: [{ file: "access-requests/prod/2026/3-gamma.yaml", request: active }], since: new Date("2026-12-01T00:00:00Z") },
      /^none of the 1 recorded request\(s\) was made since 2026-12-01T00:00:00Z; run the report without --since/,
    ],
  ])("%s", (_name, input, reason) => {
    const report = buildReport({ ...base, ...input });
    expect(report.totals.requests).toBe(0);
    expect(report.empty).toMatch(reason);
    const md = renderReport(report, "md");
    expect(md).toContain(`**Nothing to report: ${report.empty}.**`);
    // No tables of zeros.
    expect(md).not.toContain("### Time to access");
    expect(md).not.toContain("| proposed | active");
    const html = renderReport(report, "html");
    expect(html).toContain("<b>Nothing to report:</b>");
    expect(html).not.toContain("Requests by status");
    expect(html.trimEnd().endsWith("</html>")).toBe(true);
    expect(JSON.parse(renderReport(report, "json")).empty).toBe(report.empty);
  });

  it("a grant live now is shown even when the period is empty", () => {
    const report = buildReport({
      ...base,
      records: [{ file: "access-requests/prod/2026/3-gamma.yaml", request: active }],
      since: new Date("2026-12-01T00:00:00Z"),
    });
    expect(report.empty).not.toBeNull();
    expect(renderReport(report, "md")).toContain("`3-gamma`");
    expect(renderReport(report, "html")).toContain("<code>3-gamma</code>");
  });

  it("a report with requests has no empty state and keeps its tables", () => {
    const report = buildReport({ ...base, records: [{ file: "access-requests/prod/2026/3-gamma.yaml", request: active }] });
    expect(report.empty).toBeNull();
    expect(renderReport(report, "md")).toContain("### Time to access");
    expect(renderReport(report, "md")).not.toContain("Nothing to report");
  });
});

describe("jit-access report in a repository without requests", () => {
  let dir: string;
  const repoRoot = fileURLToPath(new URL("..", import.meta.url));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "jit-report-empty-"));
    mkdirSync(join(dir, ".git"));
    mkdirSync(join(dir, ".github"));
    writeFileSync(
      join(dir, ".github/jit-access.yml"),
      'aws:\n  mode: iam\n  region: us-east-1\n  accounts:\n    prod: "111111111111"\n  scheduler_role_arn: arn:aws:iam::111111111111:role/s\nprincipals: {}\napprovers: [bob]\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("no access-requests/: the report says why, and a warning names where it looked", async () => {
    const r = await runCli(["report"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Nothing to report: no request files found under access-requests/");
    expect(r.stderr).toMatch(/warning: no request files .* found in access-requests\//);
  });

  it("only the shipped examples: they are counted as excluded", async () => {
    cpSync(join(repoRoot, "access-requests/examples"), join(dir, "access-requests/examples"), { recursive: true });
    const r = await runCli(["report", "--format", "json"], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).empty).toMatch(/\(\d+ example file\(s\) in access-requests\/examples\/ are excluded\)/);
    expect(r.stderr).toContain("examples/ is excluded");
  });
});
