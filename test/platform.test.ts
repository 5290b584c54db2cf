// The runtime the project declares, the one it is typed against, the ones its bundles target and
// the one CI runs must agree: each can drift on its own when a dependency is bumped.
// Also run under Node 24 (NODE24 in vitest.config.ts): the bundles and the packaging in subprocesses.
// @module-tag node24
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
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

describe("packaging", () => {
  let packedFiles: string[] | undefined;
  const packed = (): string[] => {
    if (packedFiles) return packedFiles;
    // --ignore-scripts: list what `files` selects without rebuilding (CI's `npm ci` built dist/src).
    const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return (packedFiles = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
  };

  it("ships the app, the CLI, the sweep and what they read at run time — no Lambda build output", () => {
    const files = packed();
    for (const needed of [
      "bin/jit-access.js",
      "dist/src/index.js",
      "dist/src/cli/main.js",
      "dist/sweep.js",
      "app.yml",
      ".github/ISSUE_TEMPLATE/access-request.yml",
    ]) {
      expect(files, `${needed} is not in the package (run npm run build first if it is under dist/src)`).toContain(needed);
    }
    // dist/schemas/: the JSON schemas tsc copies next to dist/src/ (src/domain/schema.ts imports them).
    expect(files.filter((f) => f.startsWith("dist/") && !f.startsWith("dist/src/") && !f.startsWith("dist/schemas/") && f !== "dist/sweep.js")).toEqual([]);
    // `files` names what ships; a bare "dist" would take whatever a local Lambda build left there.
    expect(pkg.files.filter((f) => f === "dist" || f === "dist/" || f.startsWith("dist/lambda"))).toEqual([]);
  });

  it("every relative import of the shipped code resolves to a shipped file", () => {
    const files = packed();
    const code = files.filter((f) => /^(bin|dist\/src)\/.*\.js$/.test(f));
    expect(code.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const file of code) {
      for (const m of read(file).matchAll(/(?:from\s*|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
        const target = posix.normalize(posix.join(posix.dirname(file), m[1]!));
        if (!files.includes(target)) missing.push(`${file} → ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("every source map in the package carries its sources or points at shipped files", () => {
    const files = packed();
    const maps = files.filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    const dangling: string[] = [];
    for (const map of maps) {
      const m = JSON.parse(read(map)) as { sources: string[]; sourcesContent?: Array<string | null> };
      m.sources.forEach((s, i) => {
        const target = posix.normalize(posix.join(posix.dirname(map), s));
        if (typeof m.sourcesContent?.[i] !== "string" && !files.includes(target)) dangling.push(`${map} → ${target}`);
      });
    }
    expect(dangling).toEqual([]);
  });

  it("the install's lifecycle scripts run without dev dependencies (npm ci --omit=dev)", () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-omit-dev-"));
    try {
      mkdirSync(join(dir, "scripts"));
      copyFileSync(join(root, "scripts/build-app.mjs"), join(dir, "scripts/build-app.mjs"));
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "jit-access", type: "module" }));
      const run = (...args: string[]) => spawnSync(process.execPath, [join(dir, "scripts/build-app.mjs"), ...args], { cwd: dir, encoding: "utf8" });
      // No TypeScript reachable from the temporary folder, like a production install.
      const prepare = run("--optional");
      expect(prepare.status).toBe(0);
      expect(prepare.stderr).toMatch(/TypeScript is not installed .*dist\/src\/ was not built: .*npm run build/);
      expect(run("--or-shipped").status).toBe(1);
      expect(run().status).toBe(1);
      mkdirSync(join(dir, "dist/src"), { recursive: true });
      writeFileSync(join(dir, "dist/src/index.js"), "");
      expect(run("--or-shipped").status).toBe(0);
      expect(run("--optional").stderr).toMatch(/using the shipped dist\/src/);
      expect(run("--bogus").status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Every script npm runs on install calls only node and the project's own scripts.
    for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
      const script = pkg.scripts[hook];
      if (script !== undefined) expect(script, `${hook}: ${script}`).toMatch(/^node scripts\/[\w-]+\.mjs( --[\w-]+)?$/);
    }
    expect(pkg.scripts.start).toMatch(/^node scripts\/build-app\.mjs --or-shipped && node dist\/src\/start\.js$/);
  });
});

describe("third-party licence notices in the bundles", () => {
  const listed = (bundle: string) =>
    [...bundle.matchAll(/^((?:@[^/\s]+\/)?[^@\s]+)@(\d[^\s]*) \(([^)]+)\)$/gm)].map((m) => ({ name: m[1]!, version: m[2]!, license: m[3]! }));

  it("dist/sweep.js ends with the notices of the packages it bundles, at their installed versions", () => {
    const bundle = read("dist/sweep.js");
    const notices = bundle.slice(bundle.lastIndexOf("/*! Third-party software in this bundle"));
    const entries = listed(notices);
    expect(entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(["@octokit/core", "@octokit/plugin-retry", "@octokit/plugin-throttling", "js-yaml", "@aws-sdk/client-iam"]),
    );
    for (const e of entries) {
      const installed = Object.entries(lock.packages)
        .filter(([p]) => p.endsWith(`node_modules/${e.name}`))
        .map(([, v]) => v.version);
      expect(installed, `${e.name}@${e.version}`).toContain(e.version);
    }
    expect(notices).toMatch(/Permission is hereby granted, free of charge/);
    expect(notices).toMatch(/Apache License\s+Version 2\.0/);
  });

  it("the Lambda folder carries the notices, and the issue form next to a package.json the app finds", () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-lambda-"));
    try {
      const out = join(dir, "lambda");
      execFileSync(process.execPath, [join(root, "scripts/build-lambda.mjs"), out], { cwd: root, stdio: "pipe" });
      const bundle = readFileSync(join(out, "index.mjs"), "utf8");
      expect(listed(bundle.slice(bundle.lastIndexOf("/*! Third-party software"))).map((e) => e.name)).toEqual(
        expect.arrayContaining(["probot", "@octokit/core", "@aws-sdk/client-iam"]),
      );
      // src/package-root.ts walks up to the nearest package.json named jit-access; in Lambda that
      // must be the function's own folder, which holds the fallback issue form.
      expect(JSON.parse(readFileSync(join(out, "package.json"), "utf8"))).toMatchObject({ name: "jit-access" });
      expect(readFileSync(join(out, ".github/ISSUE_TEMPLATE/access-request.yml"), "utf8")).toBe(read(".github/ISSUE_TEMPLATE/access-request.yml"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("dependencies", () => {
  it("one copy of each Octokit core package (the app's and the sweep's clients share plugins)", () => {
    for (const name of [
      "@octokit/core",
      "@octokit/request",
      "@octokit/plugin-paginate-rest",
      "@octokit/plugin-rest-endpoint-methods",
      "@octokit/plugin-retry",
      "@octokit/plugin-throttling",
    ]) {
      const versions = new Set(
        Object.entries(lock.packages)
          .filter(([p]) => p.endsWith(`node_modules/${name}`))
          .map(([, v]) => v.version),
      );
      expect([...versions], name).toHaveLength(1);
    }
  });

  it("every dev dependency is used", () => {
    // Used without an import: type packages, vitest's peer, tools run by their command.
    const why: Record<string, string> = { "@types/node": "tsconfig types", "@types/semver": "types of semver", vite: "vitest's peer dependency" };
    const code = ["src", "test", "bench", "scripts"]
      .flatMap((d) => listFiles(join(root, d)))
      .filter((f) => /\.(ts|mjs|js)$/.test(f))
      .map((f) => readFileSync(f, "utf8"));
    code.push(read("eslint.config.js"), read("vitest.config.ts"));
    const scripts = Object.values(pkg.scripts).join("\n");
    const unused = Object.keys(pkg.devDependencies).filter((name) => {
      if (why[name]) return false;
      const imported = code.some(
        (c) => c.includes(`from "${name}"`) || c.includes(`from "${name}/`) || c.includes(`import("${name}`) || c.includes(`"${name}/`),
      );
      const command = new RegExp(`(^|[\\s&|])(npx )?${{ typescript: "tsc" }[name] ?? name}\\b`, "m").test(scripts);
      return !imported && !command;
    });
    expect(unused).toEqual([]);
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}
