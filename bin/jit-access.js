#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm install` via
// `prepare` when TypeScript is installed; the packed package ships dist/).
let cli;
try {
  cli = await import("../dist/src/cli/main.js");
} catch (e) {
  if (e?.code !== "ERR_MODULE_NOT_FOUND" || !String(e.message).includes("dist/src/cli/main.js")) throw e;
  process.stderr.write("jit-access: dist/src/cli/main.js is missing: run `npm run build` (needs the dev dependencies: `npm ci`)\n");
  process.exit(1);
}
process.exitCode = await cli.main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
