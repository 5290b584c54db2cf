// The import graph of src/ (eslint/layering.js) and the pure core's ban on the clock, checked
// through the project's real ESLint configuration on probe files placed in each area. Type-aware
// parsing is switched off here: these rules read syntax only, and a probe needs no program.
import { builtinModules } from "node:module";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({
  cwd: new URL("..", import.meta.url).pathname,
  overrideConfig: [tseslint.configs.disableTypeChecked, { languageOptions: { parserOptions: { projectService: false, project: null } } }],
});

const LAYERING = new Set(["layering/imports", "no-restricted-syntax"]);

/** Lints `lines` as the file `path`; returns, per line, the layering/clock messages on it. */
async function lintProbe(path: string, lines: string[]): Promise<string[][]> {
  const code = lines.map((l, i) => `${l} // ${i}`).join("\n") + "\n";
  const [result] = await eslint.lintText(code, { filePath: path });
  const perLine: string[][] = lines.map(() => []);
  for (const m of result?.messages ?? []) {
    if (m.fatal) throw new Error(`${path}:${m.line}: ${m.message}`);
    if (m.ruleId && LAYERING.has(m.ruleId)) perLine[m.line - 1]?.push(m.message);
  }
  return perLine;
}

const ADAPTERS = [
  "../aws/grants.js",
  "../aws/plan.js",
  "../github/store.js",
  "../github/messages.js",
  "../sweep/run.js",
  "../store/git-store.js",
  "../store/record-store.js",
  "../notify/index.js",
  "../notify/types.js",
  "../ai/gemini.js",
  "../report/render.js",
  "../doctor/checks.js",
  "../init/plan.js",
  "../cli/main.js",
  "../cli/support.js",
  "../app.js",
  "../lambda.js",
  "../server.js",
  "../iam-data.js",
  "../secrets.js",
];
const IO_PACKAGES = [
  "node:fs",
  "node:fs/promises",
  "node:child_process",
  "node:net",
  "node:http",
  "node:https",
  "fs",
  "@aws-sdk/client-iam",
  "@octokit/rest",
  "probot",
  "@google/genai",
];
const CLOCK = ["Date.now()", "new Date()", "Date()", "performance.now()"];

describe.each(["src/domain/probe.ts", "src/policy/probe.ts"])("the pure core: %s", (path) => {
  it("may not import an adapter, an entry point or an I/O package", async () => {
    const lines = [...ADAPTERS, ...IO_PACKAGES].map((m) => `import "${m}";`);
    const found = await lintProbe(path, lines);
    expect(
      lines.filter((_, i) => found[i]?.length === 0),
      "imports that lint let through",
    ).toEqual([]);
  });

  it("may not read the clock, but may build a date from a value", async () => {
    const lines = [...CLOCK.map((c) => `export const t = ${c};`), "export const u = new Date(0);", "export const v = Date.parse('2026-01-01');"];
    const found = await lintProbe(path, lines);
    expect(found.map((m) => m.length > 0)).toEqual([true, true, true, true, false, false]);
    expect(found[0]?.[0]).toMatch(/take `now` as an argument/);
  });

  it("may import the core and its parsing packages", async () => {
    const lines = [
      "import type { Config } from '../domain/types.js';",
      "import * as yaml from 'js-yaml';",
      "import 'ajv/dist/2020.js';",
      "import './sibling.js';",
    ];
    expect((await lintProbe(path, lines)).flat()).toEqual([]);
  });

  it("refuses every node: built-in (the whole family, exhaustively)", async () => {
    const lines = builtinModules.filter((b) => !b.startsWith("_")).map((b) => `import "node:${b}";`);
    const found = await lintProbe(path, lines);
    expect(lines.filter((_, i) => !found[i]?.some((m) => /does no I\/O/.test(m)))).toEqual([]);
  });
});

describe("adapters reach each other only through ports", () => {
  const table: Array<[string, string, boolean]> = [
    ["src/aws/probe.ts", "../github/messages.js", false],
    ["src/aws/probe.ts", "../sweep/run.js", false],
    ["src/aws/probe.ts", "../notify/index.js", false],
    ["src/aws/probe.ts", "../store/git-store.js", false],
    ["src/aws/probe.ts", "../policy/stamp.js", true],
    ["src/aws/probe.ts", "../backoff.js", true],
    ["src/github/probe.ts", "../aws/grants.js", false],
    ["src/github/probe.ts", "../sweep/run.js", false],
    ["src/github/probe.ts", "../notify/index.js", false],
    ["src/github/probe.ts", "../aws/types.js", true],
    ["src/github/probe.ts", "../notify/types.js", true],
    ["src/github/probe.ts", "../store/record-store.js", true],
    ["src/sweep/probe.ts", "../aws/grants.js", false],
    ["src/sweep/probe.ts", "../github/store.js", false],
    ["src/sweep/probe.ts", "../aws/types.js", true],
    ["src/notify/probe.ts", "../aws/grants.js", false],
    ["src/notify/probe.ts", "../github/octokit-helpers.js", false],
    ["src/store/probe.ts", "../github/store.js", false],
    ["src/report/probe.ts", "../sweep/run.js", false],
    // A composition root wires adapters together.
    ["src/sweep/env.ts", "../aws/grants.js", true],
    ["src/app.ts", "../github/store.js", true],
  ];
  it.each(table)("%s importing %s is allowed: %s", async (path, spec, allowed) => {
    const [found] = await lintProbe(path, [`import "${spec}";`]);
    expect(found?.length === 0).toBe(allowed);
  });

  it("adapters may read the clock", async () => {
    expect((await lintProbe("src/aws/probe.ts", ["export const t = Date.now();"])).flat()).toEqual([]);
  });
});

describe("the exceptions list only shrinks", () => {
  it("names an exception the file no longer needs", async () => {
    const [result] = await eslint.lintText("export const x = 1;\n", { filePath: "src/sweep/run.ts" });
    const messages = (result?.messages ?? []).filter((m) => m.ruleId === "layering/imports").map((m) => m.message);
    expect(messages).toEqual([expect.stringMatching(/no longer imports src\/notify\/expiring\.ts: remove the exception/)]);
  });
});
