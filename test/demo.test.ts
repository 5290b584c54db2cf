// `npm run demo` is the README's "run" command: it must keep showing the whole lifecycle.
// Also run under Node 24 (NODE24 in vitest.config.ts): a subprocess.
// @module-tag node24
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("the demo runs the seed's story from issue to expired record", () => {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/demo.ts"], { cwd: root, encoding: "utf8", timeout: 60_000 });
  expect(out).toContain("SIMULATION");
  expect(out).toMatch(/Check jit-access\/validate: success/);
  expect(out).toContain("Granted");
  expect(out).toContain("iam:AttachUserPolicy user=alice");
  expect(out).toContain("Request-Id: 1-financial-reports");
  expect(out).toContain("record: status: expired; issue #1: closed (completed)");
  expect(out).toContain("jit-access resources left in AWS: 0 policies");
  expect(out).toMatch(/jit-access: expire 1-financial-reports/);
});
