// Bench: `jit-access report` aggregation and rendering over 10,000 synthetic requests (generated
// in memory with their commit history; no git, no files). Target: < 2 s per format.
// Prints one machine line per figure: `bench report-10k render_ms=<aggregate+render> format=<f> ...`.
// Then report-100k: 100,000 requests (about 285,000 commits, a 74 MB `git log`), from the log text
// (streamed from a file in 64 KiB chunks, as git's stdout arrives) to the rendered Markdown —
// parsing and folding the history as it streams, aggregating and rendering, as the CLI does. One
// timed run (the generator alone takes seconds); target ≤ 2 s.
// BENCH_REPORT_N / BENCH_REPORT_RUNS / BENCH_REPORT_BIG (100000, 0 to skip) change the sizes.
// report-100k runs in a fresh child process (this file again, with BENCH_REPORT_CHILD=1), as the
// CLI runs: in the process that just ran report-10k its parse took over a second longer (a heap
// and JIT state the CLI never has).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildReport, HistoryIndex, mergeCommitsOf } from "../src/report/aggregate.js";
import { REPORT_FORMATS, renderReport } from "../src/report/render.js";
import { GitLogParser, parseGitLog } from "../src/report/history.js";
import { syntheticHistory, toGitLogText } from "../src/report/synthetic.js";

const CHILD = process.env.BENCH_REPORT_CHILD === "1";
const BIG = Number(process.env.BENCH_REPORT_BIG ?? 100_000);
const N = Number(process.env.BENCH_REPORT_N ?? 10_000);
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 5);
if (!CHILD) {
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
  if (BIG > 0) {
    const tenK = median(parseRuns) + (results.find((r) => r.format === "md")?.ms ?? NaN);
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, BENCH_REPORT_CHILD: "1", BENCH_REPORT_10K_MS: String(tenK) },
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (child.status !== 0) throw new Error(`the report-100k child failed (${child.status})`);
  }
}

if (CHILD && BIG > 0) {
  const big = syntheticHistory(BIG);
  // The log goes to a file and is read back in 64 KiB chunks, as git's stdout arrives through a
  // pipe: the timed part streams it (GitLogParser → HistoryIndex), as the CLI does, and never holds it.
  const dir = mkdtempSync(join(tmpdir(), "jit-report-100k-"));
  const logFile = join(dir, "git.log");
  let logBytes = 0;
  {
    const bigLog = toGitLogText(big.commits);
    logBytes = Buffer.byteLength(bigLog);
    writeFileSync(logFile, bigLog);
  }
  const commitCount = big.commits.length;
  big.commits.length = 0;
  try {
    const a = performance.now();
    const history = new HistoryIndex({ mergeCommits: mergeCommitsOf(big.records) });
    const parser = new GitLogParser((c) => history.add(c));
    for await (const chunk of createReadStream(logFile, { encoding: "utf8", highWaterMark: 64 * 1024 })) parser.push(chunk as string);
    parser.end();
    for (const [sha, iso] of big.mergeDates) history.addMergeDate(sha, iso);
    const b = performance.now();
    const report = buildReport({ records: big.records, history, now: big.now });
    const c = performance.now();
    const text = renderReport(report, "md");
    const d = performance.now();
    const rssMb = process.resourceUsage().maxRSS / 1024;
    if (history.commits !== commitCount) throw new Error(`streamed ${history.commits} commits of ${commitCount}`);
    console.log(
      `report over ${BIG.toLocaleString("en-US")} requests (${history.commits.toLocaleString("en-US")} commits, ${(logBytes / 1e6).toFixed(0)} MB of git log streamed in 64 KiB chunks): parse+index ${(b - a).toFixed(0)} ms, aggregate ${(c - b).toFixed(0)} ms, render ${(d - c).toFixed(0)} ms, ${Buffer.byteLength(text)} bytes of md; peak RSS ${rssMb.toFixed(0)} MB (budget 2000 ms) — ${d - a < 2000 ? "ok" : "TOO SLOW"}`,
    );
    console.log(
      `bench report-100k render_ms=${(d - a).toFixed(0)} parse_ms=${(b - a).toFixed(0)} aggregate_ms=${(c - b).toFixed(0)} ratio_vs_10k=${((d - a) / Number(process.env.BENCH_REPORT_10K_MS)).toFixed(1)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Reported ("TOO SLOW" above), not failed: `npm run bench` chains the benches with &&, and a miss
  // here on a loaded machine would hide the benches after this one.
}
