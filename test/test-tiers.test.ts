// Every test file belongs to exactly one tier of vitest.config.ts, and the tier fits what the file
// does: a unit file starts no server, subprocess, git, moto or fake HTTP service (directly or
// through test/support), and an e2e file does at least one of these.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import config, { NODE24, NODE24_TAG, TIERS } from "../vitest.config.js";
import node24Config from "../vitest.node24.config.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const rel = (abs: string) => relative(ROOT, abs).split(sep).join("/");

function testFiles(dir = join(ROOT, "test")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = join(dir, e.name);
    if (e.isDirectory()) return testFiles(abs);
    return e.name.endsWith(".test.ts") ? [rel(abs)] : [];
  });
}

/**
 * What a module's runtime imports reach that makes a test end to end: a server, a subprocess, git,
 * moto, a fake HTTP service or an HTTP client. Packages match the specifier; the project's own
 * modules match the resolved path. Type-only imports start nothing and do not count.
 */
const E2E_SIGNALS: Array<[RegExp, string]> = [
  [/^node:(http|https|net|child_process)$/, "a server, socket or subprocess"],
  [/^(probot|@octokit\/rest)$/, "an HTTP app or client"],
  [/^test\/support\/(app-harness|fake-github|fake-gemini|slack-receiver|moto|git-repo)\.ts$/, "a fake HTTP service, moto or git"],
  [/^src\/(lambda|server|store\/git-store)\.ts$/, "an entry point that serves, or a store that runs git"],
];

/**
 * What makes an e2e or faults file run again under Node 24 (NODE24 in vitest.config.ts): it
 * crosses a runtime boundary of what ships, where Node's own behaviour decides the outcome: a
 * subprocess or worker (bundles, the CLI, git), the entry points of the Action and the Lambda
 * function, the git store, or the AWS SDK's HTTP client against moto.
 */
const NODE24_SIGNALS: Array<[RegExp, string]> = [
  [/^node:(child_process|worker_threads)$/, "a subprocess or worker"],
  [/^test\/support\/(moto|git-repo)\.ts$/, "moto over HTTP, or git"],
  [/^src\/(action|lambda|server|start|secrets|store\/git-store)\.ts$/, "an entry point, or the git store"],
];

const IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^;]*?\sfrom\s+)?["']([^"']+)["']/gm;

function runtimeImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? "");
}

/** Signals of `file` and of the test helpers (under test/, not test files) it imports, transitively. */
function signalsOf(file: string, seen = new Set<string>(), signals = E2E_SIGNALS): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  // The live suites reach real cloud services.
  const own = signals === E2E_SIGNALS && file.startsWith("test/live/") ? [`${file} (a real cloud service)`] : [];
  return [
    ...own,
    ...runtimeImports(file).flatMap((spec) => {
      const target = spec.startsWith(".") ? rel(resolve(ROOT, dirname(file), spec)).replace(/\.js$/, ".ts") : spec;
      const hits = signals.filter(([re]) => re.test(target)).map(([, why]) => `${target} (${why})`);
      return target.startsWith("test/") ? [...hits, ...signalsOf(target, seen, signals)] : hits;
    }),
  ];
}

describe("test tiers", () => {
  const files = testFiles().sort();
  const projects = config.test?.projects ?? [];

  it("are the vitest projects unit, e2e and faults, and the root config runs them all", () => {
    const names = projects.map((p) => (typeof p === "object" && "test" in p ? p.test?.name : undefined));
    expect(names).toEqual(["unit", "e2e", "faults"]);
    expect(Object.keys(TIERS)).toEqual(["unit", "e2e", "faults"]);
  });

  it("put every test file in exactly one tier, and name no file that does not exist", () => {
    const tierOf = new Map<string, string[]>();
    for (const [tier, list] of Object.entries(TIERS)) for (const f of list) tierOf.set(f, [...(tierOf.get(f) ?? []), tier]);
    const wrong = files.filter((f) => tierOf.get(f)?.length !== 1).map((f) => `${f}: ${JSON.stringify(tierOf.get(f) ?? [])}`);
    expect(wrong, "add each file to exactly one list in TIERS (vitest.config.ts)").toEqual([]);
    expect([...tierOf.keys()].filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(TIERS.unit.map((f) => [f]))("unit: %s starts no server, subprocess, git, moto or fake HTTP service", (file) => {
    expect(signalsOf(file), "move the file to the e2e tier (vitest.config.ts)").toEqual([]);
  });

  it.each(TIERS.e2e.map((f) => [f]))("e2e: %s drives a server, subprocess, git, moto or fake HTTP service", (file) => {
    expect(signalsOf(file).length, "the file is a unit test: move it to the unit tier (vitest.config.ts)").toBeGreaterThan(0);
  });

  const tagged = (file: string) => NODE24_TAG.test(readFileSync(join(ROOT, file), "utf8"));

  it.each([...TIERS.e2e, ...TIERS.faults].map((f) => [f]))("node24: %s is tagged if it crosses a runtime boundary of what ships", (file) => {
    const why = signalsOf(file, new Set(), NODE24_SIGNALS);
    if (why.length) expect(tagged(file), `${file} reaches ${why.join(", ")}: tag it node24 (see NODE24 in vitest.config.ts)`).toBe(true);
  });

  it("the Node 24 run is the unit tier and every tagged file, and the tag is the one vitest reads", () => {
    const heavy = [...TIERS.e2e, ...TIERS.faults];
    expect(NODE24).toEqual([...TIERS.unit, ...heavy.filter(tagged).sort()]);
    // A representative of each other runtime surface, and the boundaries themselves.
    for (const f of [
      "test/app-scenarios.test.ts",
      "test/notify.test.ts",
      "test/drafter.test.ts",
      "test/sweep-octokit.test.ts",
      "test/lambda.test.ts",
      "test/sweep-action.test.ts",
    ])
      expect(NODE24, f).toContain(f);
    const p = (node24Config.test?.projects ?? []).map((x) => (typeof x === "object" && "test" in x ? x.test : undefined));
    expect(p.map((t) => t?.name)).toEqual(["unit", "node24"]);
    expect([...(p[0]?.include ?? []), ...(p[1]?.include ?? [])].sort()).toEqual([...NODE24].sort());
    expect(config.test?.tags?.map((t) => t.name)).toEqual(["node24"]);
  });

  it("the signals are found through helpers and ignore type-only imports (the detector itself)", () => {
    expect(signalsOf("test/support/scenario.ts").join("\n")).toMatch(/test\/support\/app-harness\.ts \(a fake HTTP/);
    expect(signalsOf("test/support/request-files.ts").join("\n")).toMatch(/node:http/);
    expect(signalsOf("test/support/fake-aws/fixtures.ts")).toEqual([]);
    expect(signalsOf("test/support/openapi-conformance.ts")).toEqual([]);
  });
});
