// Bench: `jit-access report` aggregation and rendering over 10,000 synthetic requests (generated
// in memory with their commit history; no git, no files). Target: < 2 s per format.
// Prints one machine line per figure: `bench report-10k render_ms=<aggregate+render> format=<f> ...`.
import { performance } from "node:perf_hooks";
import { buildReport } from "../src/report/aggregate.js";
import { REPORT_FORMATS, renderReport } from "../src/report/render.js";
import { parseGitLog } from "../src/report/history.js";
import { syntheticHistory, toGitLogText } from "../src/report/synthetic.js";

const N = 10_000;
const RUNS = 5;
const t0 = performance.now();
const data = syntheticHistory(N);
const genMs = performance.now() - t0;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
// Parsing `git log` output of the same history (what the CLI does before aggregating).
const logText = toGitLogText(data.commits);
const parseRuns: number[] = [];
let parsedCount = 0;
for (let i = 0; i < RUNS; i++) {
  const a = performance.now();
  parsedCount = parseGitLog(logText).length;
  parseRuns.push(performance.now() - a);
}
if (parsedCount !== data.commits.length) throw new Error(`parsed ${parsedCount} commits of ${data.commits.length}`);
const results: Array<{ format: string; ms: number; aggMs: number; bytes: number }> = [];
for (const format of REPORT_FORMATS) {
  const total: number[] = [];
  const agg: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const a = performance.now();
    const report = buildReport({ records: data.records, commits: data.commits, mergeDates: data.mergeDates, now: data.now });
    const b = performance.now();
    const text = renderReport(report, format);
    const c = performance.now();
    bytes = Buffer.byteLength(text);
    agg.push(b - a);
    total.push(c - a);
  }
  results.push({ format, ms: median(total), aggMs: median(agg), bytes });
}
for (const r of results) {
  console.log(
    `bench report-10k render_ms=${r.ms.toFixed(1)} aggregate_ms=${r.aggMs.toFixed(1)} format=${r.format} bytes=${r.bytes} requests=${N} commits=${data.commits.length}`,
  );
}
console.log(`bench report-10k parse_git_log_ms=${median(parseRuns).toFixed(1)} commits=${parsedCount} bytes=${Buffer.byteLength(logText)}`);
const worst = Math.max(...results.map((r) => r.ms));
console.log(
  `report over ${N.toLocaleString("en-US")} requests (${data.commits.length.toLocaleString("en-US")} commits, generated in ${genMs.toFixed(0)} ms): ${results.map((r) => `${r.format} ${r.ms.toFixed(0)} ms`).join(", ")} (median of ${RUNS}; budget 2000 ms) — ${worst < 2000 ? "ok" : "TOO SLOW"}`,
);
if (worst >= 2000) process.exitCode = 1;
