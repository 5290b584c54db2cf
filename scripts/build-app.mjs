// Compiles src/ to dist/src/ (tsconfig.build.json) with the project's TypeScript, a dev
// dependency. A production install (`npm ci --omit=dev`, or the packed package, which ships
// dist/src/) has no TypeScript, so the lifecycle scripts say what they do instead of failing:
//
//   node scripts/build-app.mjs               npm run build: compile, or fail without TypeScript
//   node scripts/build-app.mjs --optional    prepare: compile when TypeScript is installed, else
//                                            keep what is there and never fail the install
//   node scripts/build-app.mjs --or-shipped  start: compile when TypeScript is installed, else run
//                                            the shipped dist/src/, and fail only when there is none
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const mode = process.argv[2] ?? "";
if (!["", "--optional", "--or-shipped"].includes(mode)) {
  console.error(`build-app: unknown option ${mode} (use --optional or --or-shipped, or nothing)`);
  process.exit(2);
}

let tsc;
try {
  tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
} catch {
  tsc = undefined;
}

if (tsc) {
  execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });
  process.exit(0);
}

const shipped = existsSync(join(root, "dist", "src", "index.js"));
const how =
  "build it where the dev dependencies are installed (`npm ci && npm run build`, then `npm prune --omit=dev`), or install the packed package (`npm pack`), which ships dist/src/";
if (mode === "--or-shipped" && shipped) process.exit(0);
if (mode === "--optional") {
  console.error(
    shipped
      ? "build-app: TypeScript is not installed (a production install); using the shipped dist/src/"
      : `build-app: TypeScript is not installed (a production install), so dist/src/ was not built: ${how}`,
  );
  process.exit(0);
}
console.error(`build-app: TypeScript is not installed${shipped ? "" : " and there is no dist/src/"}: ${how}`);
process.exit(1);
