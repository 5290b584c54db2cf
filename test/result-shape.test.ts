// Every parse and decision of the pure core (domain and policy), and the small readers around it (CODEOWNERS
// patterns, webhook payloads, the setup notice, the CLI's file readers), answers in the one Result shape:
// `{ ok: true, value }` or `{ ok: false, problems }` with at least one coded problem — never a shape of its own.
import fc from "fast-check";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfigFile, readBounded } from "../src/cli/support.js";
import { configFromObject, parseConfig } from "../src/domain/config.js";
import { parseDuration } from "../src/domain/duration.js";
import { loadFormTemplate, parseIssueForm, readIssueForm } from "../src/domain/issue-form.js";
import { PROBLEM_CODE, codesOf, type Result } from "../src/domain/problems.js";
import { checkRequest, parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { parseAnswer } from "../src/policy/prompt.js";
import { parseStructuredAnswer } from "../src/policy/structured-request.js";
import { openRecords } from "../src/sweep/env.js";
import { testConfig } from "./support/config-fixtures.js";
import { compilePattern } from "../src/domain/codeowners.js";
import { readClosedPr, readComment, readIssue, readPrRef, readRepo, readRerequested } from "../src/github/payloads.js";
import { setupNotice } from "../src/setup-notice.js";

/** `extras`: the explicit, documented fields a failure may carry besides its problems. */
function expectOneShape(r: Result<unknown>, extras: string[] = []): void {
  if (r.ok) {
    expect(Object.keys(r).sort()).toEqual(["ok", "value"]);
    expect(r.value).toBeDefined();
  } else {
    expect(
      Object.keys(r)
        .filter((k) => !extras.includes(k))
        .sort(),
    ).toEqual(["ok", "problems"]);
    expect(r.problems.length).toBeGreaterThan(0);
    for (const p of r.problems) expect(p.code).toMatch(PROBLEM_CODE);
  }
}

const form = loadFormTemplate(readFileSync(new URL("../.github/ISSUE_TEMPLATE/access-request.yml", import.meta.url), "utf8"));
if (!form.ok) throw new Error("the shipped form template does not load");
const template = form.value;

const config = testConfig();
const FILE = "access-requests/prod/2026/1-x.yaml";

/** Each parser of the core, fed one arbitrary input, with the extra fields its failure may carry. */
const PARSERS: [string, (input: unknown) => Result<unknown>, string[]][] = [
  ["parseRequestFile", (input) => parseRequestFile(typeof input === "string" ? input : String(JSON.stringify(input)), { file: FILE, config }), ["request"]],
  ["checkRequest", (input) => checkRequest(input, { file: FILE, config }), ["request"]],
  ["parseAnswer", (input) => parseAnswer(typeof input === "string" ? input : String(JSON.stringify(input))), []],
  ["parseDuration", (input) => parseDuration(input, "request.duration-invalid", "duration"), []],
  ["parseConfig", (input) => parseConfig(typeof input === "string" ? input : JSON.stringify(input)), []],
  ["configFromObject", (input) => configFromObject(input), []],
  ["loadFormTemplate", (input) => loadFormTemplate(String(input)), []],
  ["parseIssueForm", (input) => parseIssueForm(input, template, { number: 1, title: "Access request: x", author: "alice", defaultDuration: "8h" }), []],
  ["compilePattern", (input) => compilePattern(typeof input === "string" ? input : String(JSON.stringify(input))), []],
  ["setupNotice", (input) => setupNotice({ GH_ORG: typeof input === "string" ? input : undefined }), []],
  ["readRepo", readRepo, []],
  ["readIssue", readIssue, []],
  ["readPrRef", readPrRef, []],
  ["readClosedPr", readClosedPr, []],
  ["readComment", readComment, []],
  ["readRerequested", (input) => readRerequested("check_suite.rerequested", input), []],
  ["readIssueForm", (input) => readIssueForm(input, template, "8h"), []],
  ["parseStructuredAnswer", (input) => parseStructuredAnswer(typeof input === "string" ? input : String(JSON.stringify(input))), []],
];

const INPUTS: unknown[] = [
  undefined,
  null,
  "",
  "8h",
  "{}",
  "aws: {}",
  "approvers: [alice]\nmax_duration: 0h",
  { max_duration: "nope" },
  { default_duration: "1d", max_duration: "8h" },
  {},
  42,
  "### Account\n\nprod\n\n### Service\n\ns3",
];

describe("the one Result shape", () => {
  it.each(PARSERS)("%s answers every sample input with a value or coded problems", (_name, parse, extras) => {
    for (const input of INPUTS) expectOneShape(parse(input), extras);
  });

  it.each(PARSERS)("%s keeps the shape for arbitrary input", (_name, parse, extras) => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.jsonValue()), (input) => expectOneShape(parse(input), extras)),
      { numRuns: 60 },
    );
  });

  it("a valid request file's value carries the request, its account, its duration and whether it is an example", () => {
    const request = {
      version: 1,
      id: "1-x",
      requester: "alice",
      account: "prod",
      duration: "1h30m",
      reason: "quarter-end reconciliation",
      request: [{ service: "s3", access: ["read"], resources: ["reports"] }],
    };
    const r = parseRequestFile(dumpRequest(request as never), { file: FILE, config });
    expect(r.ok ? [] : r.problems).toEqual([]);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ request: { id: "1-x" }, durationSeconds: 5400, example: false });
    expect(r.value.account.id).toMatch(/^\d{12}$/);
    const refused = checkRequest({ ...request, duration: "400d" }, { file: FILE, config });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.request?.id).toBe("1-x");
  });

  it("the config's success value is the config itself", () => {
    const r = parseConfig(undefined);
    expect(r.ok && r.value.max_duration).toBeTruthy();
  });

  it("the CLI's and the sweep's file readers answer in the same shape; the config loaders add only the file they read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-result-"));
    try {
      writeFileSync(join(dir, "ok.yml"), "approvers: [alice]\n");
      writeFileSync(join(dir, "bad.yml"), "max_duration: forever\n");
      symlinkSync(join(dir, "ok.yml"), join(dir, "link.yml"));
      expectOneShape(readBounded(join(dir, "ok.yml")));
      expectOneShape(readBounded(join(dir, "link.yml")));
      expectOneShape(readBounded(join(dir, "ok.yml"), 1));
      for (const name of ["ok.yml", "bad.yml", "link.yml"]) {
        const loaded = loadConfigFile(dir, dir, name);
        expect(loaded.file).toBe(name);
        const { file: _file, ...rest } = loaded;
        expectOneShape(rest);
      }
      const good = loadConfigFile(dir, dir, "ok.yml");
      expect(good.ok && good.value.approvers).toEqual(["alice"]);
      const opened = await openRecords({ cwd: dir, env: {}, configPath: "bad.yml" });
      expect(opened.ok ? [] : [opened.file, ...codesOf(opened.problems)]).toEqual(["bad.yml", "schema.pattern"]);
      const { file: _where, ...openedRest } = opened.ok ? { ...opened, file: "" } : opened;
      expectOneShape(openedRest);
      const local = await openRecords({ cwd: dir, env: {}, configPath: "ok.yml" });
      expectOneShape(local);
      expect(local.ok && local.value.config.approvers).toEqual(["alice"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
