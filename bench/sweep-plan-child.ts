// The child process of bench/sweep.ts (c): the sweep's read-and-plan path over a checkout of
// request files, alone in a fresh process so its peak RSS is the sweep's. It imports only what the
// sweep imports for this, and reads the records as runSweep does (readSweepInput: the summary
// cache where git lists blob shas, else scanRecords + recordReader).
// Prints one JSON line. Run by bench/sweep.ts; not useful on its own.
import { readFileSync } from "node:fs";
import { configFromObject } from "../src/domain/config.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { planSweep } from "../src/sweep/plan.js";
import { readSweepInput } from "../src/sweep/records.js";

const [dir, nowIso, configJson] = process.argv.slice(2);
if (!dir || !nowIso || !configJson) throw new Error("usage: sweep-plan-child.ts <dir> <now> <config json>");
const now = new Date(nowIso);
const parsed = configFromObject(JSON.parse(configJson));
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));

/** CPU time (ms) of this process's finished children (git), from /proc: Node reports only its own. */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 (cutime, cstime) of proc(5), counted from field 3 here; in clock ticks of 10 ms.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}

const c0 = process.cpuUsage();
const k0 = childrenCpuMs();
const t0 = performance.now();
const { records, closed, stats } = await readSweepInput(new GitRecordStore(dir), parsed.value, now);
const listMs = performance.now() - t0;
const plan = planSweep(records, undefined, now, { mode: "iam", closed });
const wallMs = performance.now() - t0;
const rssMb = process.resourceUsage().maxRSS / 1024;
// CPU time (user + system) of the read and plan: on a machine other work shares, wall time is
// mostly the wait for a core; CPU time is what the sweep itself costs. gitCpuMs is git's.
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const gitCpuMs = childrenCpuMs() - k0;
console.log(
  JSON.stringify({
    wallMs,
    cpuMs,
    gitCpuMs,
    listMs,
    rssMb,
    files: stats.files,
    reads: stats.reads,
    via: stats.via,
    saved: stats.saved,
    due: plan.due.length,
    active: plan.active.length,
    errors: plan.errors.length,
  }),
);
