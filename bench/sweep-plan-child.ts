// The child process of bench/sweep.ts (c): the sweep's read-and-plan path over a directory of
// request files, alone in a fresh process so its peak RSS is the sweep's. It imports only what the
// sweep imports for this. Prints one JSON line. Run by bench/sweep.ts; not useful on its own.
import { configFromObject } from "../src/domain/config.js";
import { GitRecordStore } from "../src/store/git-store.js";
import { parseRecords, planSweep } from "../src/sweep/plan.js";

const [dir, nowIso, configJson] = process.argv.slice(2);
if (!dir || !nowIso || !configJson) throw new Error("usage: sweep-plan-child.ts <dir> <now> <config json>");
const now = new Date(nowIso);
const parsed = configFromObject(JSON.parse(configJson));
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const t0 = performance.now();
const files = await new GitRecordStore(dir).list();
const listMs = performance.now() - t0;
const plan = planSweep(parseRecords(files, parsed.value, { now }), undefined, now, { mode: "iam" });
const wallMs = performance.now() - t0;
const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ wallMs, listMs, rssMb, files: files.length, due: plan.due.length, active: plan.active.length, errors: plan.errors.length }));
