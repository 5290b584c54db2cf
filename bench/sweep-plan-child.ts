// The child process of bench/sweep.ts (c): the sweep's read-and-plan path over a directory of
// request files, alone in a fresh process so its peak RSS is the sweep's. It imports only what the
// sweep imports for this, and reads the files as runSweep does (scanRecords + recordReader).
// Prints one JSON line. Run by bench/sweep.ts; not useful on its own.
import { configFromObject } from "../src/domain/config.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { scanRecords } from "../src/store/record-store.js";
import { planSweep, recordReader, type SweepRecord } from "../src/sweep/plan.js";

const [dir, nowIso, configJson] = process.argv.slice(2);
if (!dir || !nowIso || !configJson) throw new Error("usage: sweep-plan-child.ts <dir> <now> <config json>");
const now = new Date(nowIso);
const parsed = configFromObject(JSON.parse(configJson));
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const c0 = process.cpuUsage();
const t0 = performance.now();
const records: SweepRecord[] = [];
const read = recordReader(parsed.value, { now });
let files = 0;
await scanRecords(new GitRecordStore(dir), (f) => {
  files++;
  const r = read(f);
  if (r) records.push(r);
});
const listMs = performance.now() - t0;
const plan = planSweep(records, undefined, now, { mode: "iam" });
const wallMs = performance.now() - t0;
const rssMb = process.resourceUsage().maxRSS / 1024;
// CPU time (user + system) of the read and plan: on a machine other work shares, wall time is
// mostly the wait for a core; CPU time is what the sweep itself costs.
const cpu = process.cpuUsage(c0);
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(JSON.stringify({ wallMs, cpuMs, listMs, rssMb, files, due: plan.due.length, active: plan.active.length, errors: plan.errors.length }));
