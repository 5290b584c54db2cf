// dist/sweep.js (what action.yml runs) must be exactly what scripts/build-sweep.mjs builds from
// the current sources: CI fails here when someone changes the sweep and forgets `npm run build:sweep`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as yaml from "js-yaml";

const root = join(import.meta.dirname, "..");

describe("dist/sweep.js", () => {
  it("equals a fresh build (run `npm run build:sweep` and commit dist/sweep.js)", () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-bundle-"));
    try {
      const out = join(dir, "sweep.js");
      execFileSync(process.execPath, [join(root, "scripts/build-sweep.mjs"), out], { cwd: root, stdio: "pipe" });
      const fresh = readFileSync(out);
      expect(existsSync(join(root, "dist/sweep.js")), "dist/sweep.js is missing: run npm run build:sweep").toBe(true);
      const committed = readFileSync(join(root, "dist/sweep.js"));
      expect(committed.equals(fresh), "dist/sweep.js is stale: run npm run build:sweep and commit it").toBe(true);
      expect(fresh.byteLength).toBeLessThan(1_500_000);
      expect(fresh.toString("utf8")).not.toMatch(/iam-data|\/work\/|node_modules\//);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
    const action = yaml.load(readFileSync(join(root, "action.yml"), "utf8")) as { runs: { using: string; main: string }; inputs: Record<string, { description?: string }> };
    expect(action.runs).toEqual({ using: "node24", main: "dist/sweep.js" });
    expect(Object.keys(action.inputs).sort()).toEqual(["concurrency", "config-path", "dry-run", "github-token"]);
    for (const input of Object.values(action.inputs)) expect(input.description).toBeTruthy();
    const source = readFileSync(join(root, "src/sweep/action.ts"), "utf8");
    for (const name of Object.keys(action.inputs)) expect(source).toContain(`"${name}"`);
  });
});
