// The runtime the project declares, the one it is typed against, the ones its bundles target and
// the one CI runs must agree: each can drift on its own when a dependency is bumped.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";
import semver from "semver";

const root = join(import.meta.dirname, "..");
const read = (p: string) => readFileSync(join(root, p), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  files: string[];
};
const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };

const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
const major = (v: string) => Number(/^(\d+)\./.exec(v)?.[1]);
const esbuildTarget = (script: string) => /target: "node(\d+)"/.exec(read(script))?.[1];

describe("the Node.js version", () => {
  it("engines is a plain floor (>=MAJOR.MINOR) on an LTS line that is not end-of-life", () => {
    expect(floor, `engines.node ${pkg.engines.node}: write it as >=MAJOR.MINOR`).not.toBeNull();
    expect(Number(floor![1])).toBeGreaterThanOrEqual(22);
  });

  it("@types/node is the engines floor's major (APIs of a newer Node would typecheck but fail at run time)", () => {
    expect(major(pkg.devDependencies["@types/node"]!)).toBe(Number(floor![1]));
  });

  it("CI runs the engines floor's major", () => {
    const ci = read(".ci/run");
    expect(ci).toMatch(new RegExp(`scripts/with-node\\.sh ${floor![1]} `));
  });

  it("the sweep bundle targets the Node that action.yml runs it on", () => {
    const action = yaml.load(read("action.yml")) as { runs: { using: string } };
    expect(`node${esbuildTarget("scripts/build-sweep.mjs")}`).toBe(action.runs.using);
  });

  it("both bundles target a Node at or above the engines floor", () => {
    for (const script of ["scripts/build-sweep.mjs", "scripts/build-lambda.mjs"]) {
      expect(Number(esbuildTarget(script)), script).toBeGreaterThanOrEqual(Number(floor![1]));
    }
  });

  it("every installed package runs on the engines floor", () => {
    const ours = `${floor![1]}.${floor![2]}.0`;
    // A dependency that needs a newer Node than ours would install on a Node it cannot run on.
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path && entry.engines && !Array.isArray(entry.engines) && entry.engines.node)
      .map(([path, entry]) => [path, (entry.engines as { node: string }).node] as const)
      .filter(([, range]) => semver.validRange(range) !== null && !semver.satisfies(ours, range))
      .map(([path, range]) => `${path} needs node ${range}`);
    expect(refusing).toEqual([]);
  });
});

describe("dependency pins", () => {
  it("every dependency is pinned to an exact version that the lockfile installs", () => {
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      expect(version, `${name}: pin an exact version, not ${version}`).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${name}`]?.version, `${name}: package-lock.json is out of date (npm install)`).toBe(version);
    }
  });
});
