// Benchmark: the Lambda bundle (scripts/build-lambda.mjs). Builds it, then reports
//   - size of dist/lambda/index.mjs and of the IAM data copied next to it (and a gzip estimate of
//     the deployment zip: Lambda's limit is 50 MB zipped / 250 MB unzipped);
//   - cold import: wall time of a fresh `node` that imports the bundle, median of 5, against a
//     baseline `node -e 0` measured in the same run (ratio = import / baseline, comparable across
//     machines);
//   - first event: inside such a process, import + Probot start (stub secrets, no network) + one
//     signed `ping` through the handler — what a cold invocation costs besides the secret read.
// Run: npx tsx bench/lambda-cold-start.ts (part of npm run bench)
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const ROUNDS = Number(process.env.BENCH_ROUNDS_COLD ?? 5);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// Built outside the repository, so that nothing can resolve from its node_modules (as in Lambda).
const tmp = mkdtempSync(join(tmpdir(), "jit-lambda-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));
const outdir = join(tmp, "lambda");
const bundle = join(outdir, "index.mjs");

execFileSync(process.execPath, [join(root, "scripts", "build-lambda.mjs"), outdir], { stdio: ["ignore", "ignore", "inherit"] });

function walk(path: string): string[] {
  return statSync(path).isDirectory() ? readdirSync(path).flatMap((f) => walk(join(path, f))) : [path];
}
const bundleBytes = statSync(bundle).size;
const dataFiles = walk(join(outdir, "iam-data"));
const dataBytes = dataFiles.reduce((n, f) => n + statSync(f).size, 0);
// Zip deflates each file on its own: the sum of per-file gzip sizes is close to the zip's size.
const zippedBytes = [bundle, ...dataFiles].reduce((n, f) => n + gzipSync(readFileSync(f), { level: 6 }).byteLength, 0);

function wallMs(args: string[], env: NodeJS.ProcessEnv = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${r.stderr}`);
  return ms;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

const url = pathToFileURL(bundle).href;
const importScript = `await import(${JSON.stringify(url)});`;
// Imports, starts Probot with stub secrets and handles one signed ping; prints the in-process ms.
const firstEventScript = `
const t0 = performance.now();
const { createHmac } = await import("node:crypto");
const m = await import(${JSON.stringify(url)});
const tImport = performance.now();
const secret = "bench-webhook-secret-0123456789";
const h = m.createLambdaHandler({ secrets: { load: async () => ({ appId: "1", privateKey: process.env.BENCH_KEY, webhookSecret: secret }) }, probot: { logLevel: "fatal" } });
const body = JSON.stringify({ zen: "Design for failure.", hook_id: 1 });
const sig = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
const r = await h({ headers: { "content-type": "application/json", "x-github-event": "ping", "x-github-delivery": "bench", "x-hub-signature-256": sig }, body, isBase64Encoded: false, requestContext: { http: { method: "POST" } } });
if (r.statusCode !== 200) throw new Error("ping answered " + r.statusCode + " " + r.body);
// The deployed handler points the catalogue at the data shipped next to the bundle.
await m.handler({ requestContext: { http: { method: "GET" } } });
const dir = process.env.JIT_ACCESS_IAM_DATA_DIR;
if (!dir || !(await import("node:fs")).existsSync(dir + "/services.json")) throw new Error("JIT_ACCESS_IAM_DATA_DIR not set to the bundled data: " + dir);
console.log(JSON.stringify({ import: tImport - t0, first: performance.now() - t0 }));
`;
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});

// Warm the OS file cache once, then interleave so both series see the same machine state.
wallMs(["--input-type=module", "-e", importScript]);
const base: number[] = [];
const imp: number[] = [];
const inImport: number[] = [];
const first: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  base.push(wallMs(["-e", "0"]));
  imp.push(wallMs(["--input-type=module", "-e", importScript]));
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", firstEventScript], {
    env: { PATH: process.env.PATH, BENCH_KEY: privateKey },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`first-event run failed: ${r.stderr}`);
  const m = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { import: number; first: number };
  inImport.push(m.import);
  first.push(m.first);
}

const kb = bundleBytes / 1024;
const dataMb = dataBytes / 1024 / 1024;
const fmt = (x: number) => x.toFixed(0);
console.log(
  `Lambda bundle: index.mjs ${fmt(kb)} KiB (${bundleBytes} bytes); iam-data/ ${dataMb.toFixed(1)} MiB in ${dataFiles.length} files; zip ≈ ${(zippedBytes / 1024 / 1024).toFixed(1)} MiB`,
);
console.log(
  `Cold import (fresh node, median of ${ROUNDS}): ${fmt(median(imp))} ms wall vs node -e 0 ${fmt(median(base))} ms (import inside the process ${fmt(median(inImport))} ms)`,
);
console.log(`First event (import + Probot start with stub secrets + signed ping, in-process, median): ${fmt(median(first))} ms`);
console.log(`bench lambda-bundle size_kb=${fmt(kb)} data_mb=${dataMb.toFixed(1)} zip_mb=${(zippedBytes / 1024 / 1024).toFixed(1)}`);
console.log(
  `bench lambda-cold-start import_ms=${fmt(median(imp))} baseline_ms=${fmt(median(base))} ratio=${(median(imp) / median(base)).toFixed(2)} first_event_ms=${fmt(median(first))}`,
);
