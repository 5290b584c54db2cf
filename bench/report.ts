import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildReport, HistoryIndex, type ReportRecord } from "../src/report/aggregate.js";
import { REPORT_FORMATS, renderReport } from "../src/report/render.js";
import { GitLogParser, parseGitLog, parseMergeDates } from "../src/report/history.js";
import { syntheticHistory, toGitLogText } from "../src/report/synthetic.js";

const CHILD = process.env.BENCH_REPORT_CHILD ?? "";
const DIR = process.env.BENCH_REPORT_DIR ?? "";
const BIG = Number(process.env.BENCH_REPORT_BIG ?? 100_000);
const BIG_RUNS = Number(process.env.BENCH_REPORT_BIG_RUNS ?? 5);
const N = Number(process.env.BENCH_REPORT_N ?? 10_000);
const RUNS = Number(process.env.BENCH_REPORT_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const self = fileURLToPath(import.meta.url);
const child = (mode: string, env: Record<string, string> = {}) => {
  const c = spawnSync(process.execPath, [...process.execArgv, self], {
    env: { ...process.env, BENCH_REPORT_CHILD: mode, ...env },
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (c.status !== 0) throw new Error(`the report-100k ${mode} child failed (${c.status})`);
  return c.stdout;
};

/** Starts the inspector's CPU profiler; the function returned stops it and gives the profile. */
async function startProfile(): Promise<() => Promise<unknown>> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => (await session.post("Profiler.stop")).profile;
}

if (CHILD === "") {
  const t0 = performance.now();
  const data = syntheticHistory(N);
  const genMs = performance.now() - t0;

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
    const dir = mkdtempSync(join(tmpdir(), "jit-report-100k-"));
    try {
      child("gen", { BENCH_REPORT_DIR: dir });
      const runs: Array<{
        wallMs: number;
        cpuMs: number;
        parseMs: number;
        aggregateMs: number;
        renderMs: number;
        rssMb: number;
        commits: number;
        logBytes: number;
        bytes: number;
      }> = [];
      for (let i = 0; i < BIG_RUNS; i++) runs.push(JSON.parse(child("run", { BENCH_REPORT_DIR: dir })));
      const wall = runs.map((r) => r.wallMs);
      const last = runs[runs.length - 1];
      if (last) {
        const m = median(wall);
        console.log(
          `report over ${BIG.toLocaleString("en-US")} requests (${last.commits.toLocaleString("en-US")} commits, ${(last.logBytes / 1e6).toFixed(0)} MB of git log streamed in 64 KiB chunks), ${runs.length} fresh processes: ${wall.map((w) => w.toFixed(0)).join(", ")} ms (parse+index ${median(runs.map((r) => r.parseMs)).toFixed(0)} ms, aggregate ${median(runs.map((r) => r.aggregateMs)).toFixed(0)} ms, render ${median(runs.map((r) => r.renderMs)).toFixed(0)} ms; CPU ${median(runs.map((r) => r.cpuMs)).toFixed(0)} ms), ${last.bytes} bytes of md; peak RSS ${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} MB (budget 2000 ms) — ${m < 2000 ? "ok" : "TOO SLOW"}`,
        );
        console.log(
          `bench report-100k render_ms=${m.toFixed(0)} min_ms=${Math.min(...wall).toFixed(0)} max_ms=${Math.max(...wall).toFixed(0)} cpu_ms=${median(runs.map((r) => r.cpuMs)).toFixed(0)} parse_ms=${median(runs.map((r) => r.parseMs)).toFixed(0)} aggregate_ms=${median(runs.map((r) => r.aggregateMs)).toFixed(0)} rss_mb=${Math.max(...runs.map((r) => r.rssMb)).toFixed(0)} runs=${runs.length} ratio_vs_10k=${(m / tenK).toFixed(1)}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Reported ("TOO SLOW" above), not failed: `npm run bench` chains the benches with &&, and a miss
    // here on a loaded machine would hide the benches after this one.
  }
}

if (CHILD === "gen") {
  const big = syntheticHistory(BIG);
  writeFileSync(join(DIR, "git.log"), toGitLogText(big.commits));
  // As `git log --merges --format=%H%x00%cI%x00` prints them.
  writeFileSync(join(DIR, "merges.log"), [...big.mergeDates].map(([sha, iso]) => `${sha}\0${iso}\0\n`).join(""));
  writeFileSync(join(DIR, "records.json"), JSON.stringify({ records: big.records, now: big.now.toISOString(), commits: big.commits.length }));
}

if (CHILD === "run") {
  // Untimed: the records as the CLI holds them once it has read the request files.
  const { records, now, commits } = JSON.parse(readFileSync(join(DIR, "records.json"), "utf8")) as { records: ReportRecord[]; now: string; commits: number };
  const logFile = join(DIR, "git.log");
  const mergesFile = join(DIR, "merges.log");
  // BENCH_REPORT_PROFILE=<file>: a CPU profile of the timed part only (the records' loading left out).
  const profile = process.env.BENCH_REPORT_PROFILE ? await startProfile() : undefined;
  const c0 = process.cpuUsage();
  const a = performance.now();
  const history = new HistoryIndex({ records });
  const parser = new GitLogParser((c) => history.add(c));
  // Read in 64 KiB chunks, as git's stdout arrives through a pipe: streamed, never held.
  for await (const chunk of createReadStream(logFile, { encoding: "utf8", highWaterMark: 64 * 1024 })) parser.push(chunk as string);
  parser.end();
  for (const [sha, iso] of parseMergeDates(readFileSync(mergesFile, "utf8"))) history.addMergeDate(sha, iso);
  const b = performance.now();
  const parseCpu = process.cpuUsage(c0);
  const report = buildReport({ records, history, now: new Date(now) });
  const c = performance.now();
  const text = renderReport(report, "md");
  const d = performance.now();
  // CPU time (user + system): on a machine other work shares, wall time is partly the wait for a core.
  const cpu = process.cpuUsage(c0);
  if (profile) writeFileSync(process.env.BENCH_REPORT_PROFILE as string, JSON.stringify(await profile()));
  if (history.commits !== commits) throw new Error(`streamed ${history.commits} commits of ${commits}`);
  const out = {
    wallMs: d - a,
    cpuMs: (cpu.user + cpu.system) / 1000,
    parseMs: b - a,
    parseCpuMs: (parseCpu.user + parseCpu.system) / 1000,
    aggregateMs: c - b,
    renderMs: d - c,
    rssMb: process.resourceUsage().maxRSS / 1024,
    commits,
    logBytes: statSync(logFile).size,
    bytes: Buffer.byteLength(text),
  };
  console.log(JSON.stringify(out));
}
