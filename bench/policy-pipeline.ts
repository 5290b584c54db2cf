// Benchmark: the whole policy pipeline (generate + envelope + guardrails + stamp + simulate +
// explain) per request over the golden set. Prints p50/p95 and requests/s, and the ratio to a
// baseline measured in the same process (the generator alone), so that figures from different
// machines can be compared. Run: npm run bench
import { defaultConfig } from "../src/domain/config.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { generatePolicy } from "../src/policy/generator.js";
import { planRequest } from "../src/policy/pipeline.js";
import { goldenCases } from "../test/support/golden.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const t0 = performance.now();
const catalogue = loadCatalogue();
const cases = goldenCases().map((g) => {
  const base = defaultConfig();
  const config: Config = {
    ...base,
    aws: { ...base.aws, partition: g.ctx.partition as Config["aws"]["partition"], region: g.ctx.region, accounts: { main: g.ctx.accountId } },
    allowed_services: [...base.allowed_services, "events"],
  };
  const request: AccessRequest = { version: 1, id: "1-bench", requester: "alice", account: "main", duration: "8h", reason: "benchmark", request: g.request };
  return { g, config, request };
});

// Every condition block on (docs/configuration.md#conditions-on-every-grant): stamped, sized,
// simulated per block and explained.
const ALL_BLOCKS: NonNullable<Config["conditions"]> = {
  secure_transport: true,
  source_ip: ["203.0.113.0/24", "2001:db8::/32"],
  source_vpc: ["vpc-0a1b2c3d"],
  source_vpce: ["vpce-0a1b2c3d4e5f60718"],
  mfa: true,
  s3_encryption: { kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
  region: ["eu-west-1", "us-east-1"],
};

function pipelineOnce(c: (typeof cases)[number], conditions?: Config["conditions"]): boolean {
  return planRequest(catalogue, {
    request: c.request,
    config: conditions ? { ...c.config, conditions } : c.config,
    accountId: c.g.ctx.accountId,
    now: new Date("2026-11-27T09:00:00Z"),
    durationSeconds: 28800,
  }).verdict.ok;
}
function generateOnce(c: (typeof cases)[number]): number {
  return generatePolicy(catalogue, c.request.request, c.g.ctx).policy.Statement.length;
}

// First run of each case loads its service data from disk: report it apart from the steady state.
const cold = performance.now();
for (const c of cases) pipelineOnce(c);
const coldMs = performance.now() - cold;
const loadMs = performance.now() - t0;

function measure(fn: (c: (typeof cases)[number]) => unknown): number[] {
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      const s = performance.now();
      fn(c);
      samples.push(performance.now() - s);
    }
  }
  return samples.sort((a, b) => a - b);
}
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const base = measure(generateOnce);
const full = measure((c) => pipelineOnce(c));
const blocks = measure((c) => pipelineOnce(c, ALL_BLOCKS));
const fmt = (n: number) => n.toFixed(3);

console.log(`policy pipeline over ${cases.length} golden requests × ${ROUNDS} rounds (Node ${process.version})`);
console.log(`  first pass (loads each service's data once): ${coldMs.toFixed(1)} ms total, ${loadMs.toFixed(1)} ms incl. catalogue index`);
console.log(`  generate only (baseline):  p50 ${fmt(pct(base, 50))} ms  p95 ${fmt(pct(base, 95))} ms`);
console.log(
  `  whole pipeline:            p50 ${fmt(pct(full, 50))} ms  p95 ${fmt(pct(full, 95))} ms  ${(full.length / (sum(full) / 1000)).toFixed(0)} requests/s`,
);
console.log(`  ratio pipeline/generate:   p50 ×${(pct(full, 50) / pct(base, 50)).toFixed(1)}  mean ×${(sum(full) / sum(base)).toFixed(1)}`);
console.log(`bench policy-generate p50_ms=${fmt(pct(base, 50))} p95_ms=${fmt(pct(base, 95))} rps=${(base.length / (sum(base) / 1000)).toFixed(0)}`);
console.log(
  `bench policy-pipeline p50_ms=${fmt(pct(full, 50))} p95_ms=${fmt(pct(full, 95))} rps=${(full.length / (sum(full) / 1000)).toFixed(0)} ratio_p50=${(pct(full, 50) / pct(base, 50)).toFixed(2)}`,
);
console.log(
  `  with every condition block:  p50 ${fmt(pct(blocks, 50))} ms  p95 ${fmt(pct(blocks, 95))} ms  (×${(pct(blocks, 50) / pct(full, 50)).toFixed(2)} the pipeline's p50)`,
);
console.log(
  `bench policy-pipeline-conditions p50_ms=${fmt(pct(blocks, 50))} p95_ms=${fmt(pct(blocks, 95))} rps=${(blocks.length / (sum(blocks) / 1000)).toFixed(0)} ratio_to_pipeline_p50=${(pct(blocks, 50) / pct(full, 50)).toFixed(2)}`,
);
console.log(`bench policy-pipeline-cold total_ms=${coldMs.toFixed(1)} requests=${cases.length}`);
