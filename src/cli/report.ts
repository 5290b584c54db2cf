// `jit-access report [--since DATE] [--format md|json|html] [--out FILE] [--config FILE]`:
// the request files of the local checkout plus `git log` of access-requests/.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { relative, resolve } from "node:path";
import { parseRequestFile, REQUESTS_DIR } from "../domain/request.js";
import { UsageError, findRepoRoot, loadConfigFile, noRequestFilesWarning, readBounded, repoPath, requestFiles, type Io } from "./support.js";
import { loadCatalogue } from "../iam-data.js";
import { grantUnscoped } from "../policy/guardrails.js";
import { grantedActions } from "../policy/activity.js";
import { buildReport, type ReportRecord } from "../report/aggregate.js";
import { readHistory, type HistorySource } from "../report/git.js";
import { REPORT_FORMATS, renderReport, type ReportFormat } from "../report/render.js";

export const REPORT_USAGE = `  report [--since DATE] [--format md|json|html] [--out FILE] [--config FILE]
                                                access analytics from the request files and git history
`;

/** Example requests shipped with jit-access: never counted as real requests. */
const EXAMPLES_DIR = `${REQUESTS_DIR}/examples`;

export function parseSince(value: string): Date {
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--since ${JSON.stringify(value)} is not a date such as 2026-01-31 or 2026-01-31T09:00:00Z`);
  return d;
}

/** The steps of a report, in order, as `phase` names them when each one ends (the bench times them). */
export type ReportPhase = "records" | "history" | "aggregate" | "render";

export interface ReportDeps {
  now?: () => Date;
  /** The history instead of `git log` of the repository (the bench streams a generated log). */
  history?: (root: string) => HistorySource;
  phase?: (done: ReportPhase) => void;
}

export async function reportCommand(args: string[], io: Io, deps: ReportDeps = {}): Promise<number> {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    strict: true,
    options: { since: { type: "string" }, format: { type: "string", default: "md" }, out: { type: "string" }, config: { type: "string" } },
  });
  const format = values.format as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format ${JSON.stringify(values.format)}: use md, json or html`);
  const since = values.since === undefined ? undefined : parseSince(values.since);

  const root = findRepoRoot(io.cwd);
  const loaded = loadConfigFile(root, io.cwd, values.config);
  const notes: string[] = [];
  if (!loaded.ok) {
    io.stderr.write(`jit-access: ${loaded.file}: ${loaded.problems.map((p) => p.message).join("; ")}\n`);
    return 1;
  }
  const records: ReportRecord[] = [];
  const skipped: Array<{ file: string; reason: string }> = [];
  let examplesExcluded = 0;
  for (const abs of requestFiles(root, io.cwd, [])) {
    const file = repoPath(root, abs);
    if (file.startsWith(`${EXAMPLES_DIR}/`)) {
      examplesExcluded++;
      continue;
    }
    const bytes = readBounded(abs);
    if (!bytes.ok) {
      skipped.push({ file, reason: bytes.problems[0]?.message ?? "unreadable" });
      continue;
    }
    const parsed = parseRequestFile(bytes.value, { file, config: loaded.value });
    // A record that breaks a rule the schema cannot express (an account since removed from the
    // config, say) still happened: it is counted, and listed as a note.
    if (parsed.ok) records.push({ file, request: parsed.value.request });
    else if (parsed.request) {
      records.push({ file, request: parsed.request });
      notes.push(`${file} does not validate today (${parsed.problems[0]?.message ?? "invalid"}); counted as recorded`);
    } else skipped.push({ file, reason: parsed.problems[0]?.message ?? "invalid" });
  }

  deps.phase?.("records");
  const history = await readHistory(root, records, deps.history?.(root));
  deps.phase?.("history");
  if (!history.ok) notes.push(`${history.reason}; times to approval and grant are not measured`);
  const catalogue = loadCatalogue();
  const report = buildReport({
    records,
    history: history.history,
    now: deps.now?.() ?? new Date(),
    ...(since ? { since } : {}),
    accessLevelOf: (a) => catalogue.action(a)?.level,
    grantUnscoped: (a, r) => grantUnscoped(catalogue, a, r),
    grantedActionsOf: (p) => grantedActions(catalogue, p),
    skipped,
    source: { dir: REQUESTS_DIR, examplesExcluded },
    notes: notes.slice(0, 50).concat(notes.length > 50 ? [`and ${notes.length - 50} more files that do not validate today`] : []),
  });
  deps.phase?.("aggregate");
  if (records.length === 0 && skipped.length === 0)
    io.stderr.write(noRequestFilesWarning(root, io.cwd, [], `the report is empty (${EXAMPLES_DIR}/ is excluded)`));
  const text = renderReport(report, format);
  if (values.out) {
    const out = resolve(io.cwd, values.out);
    writeFileSync(out, text);
    io.stderr.write(
      `jit-access: wrote the ${format} report (${report.totals.requests} requests, ${report.totals.grants} grants) to ${relative(io.cwd, out) || out}${report.empty ? `: ${report.empty}` : ""}\n`,
    );
  } else io.stdout.write(text);
  deps.phase?.("render");
  return 0;
}
