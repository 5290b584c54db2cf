// `jit-access report [--since DATE] [--format md|json|html] [--out FILE] [--config FILE]`:
// the request files of the local checkout plus `git log` of access-requests/.
import { lstatSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { join, relative, resolve } from "node:path";
import { REQUESTS_DIR } from "../domain/request.js";
import type { PolicyDocument } from "../domain/types.js";
import { UsageError, findRepoRoot, loadConfigFile, noRequestFilesWarning, readBounded, repoPath, requestFiles, type Io } from "./support.js";
import { catalogueStamp, loadCatalogue } from "../iam-data.js";
import { packageVersion } from "../package-root.js";
import { EXAMPLES_DIR, readReportRecords, type ReportDisk, type ReportRecords } from "../report/records.js";
import { GitRecordStore } from "../store/git-store.js";
import { grantUnscoped } from "../policy/guardrails.js";
import { grantedActions } from "../policy/activity.js";
import { buildReport, recordHistories } from "../report/aggregate.js";
import { gitHistorySource, gitYmlFiles, readHistory, type HistorySource } from "../report/git.js";
import { REPORT_FORMATS, renderReport, type ReportFormat } from "../report/render.js";

export const REPORT_USAGE = `  report [--since DATE] [--format md|json|html] [--out FILE] [--config FILE]
                                                access analytics from the request files and git history
`;

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
  /** How the records were read (the bench and the tests look). */
  records?: (stats: ReportRecords["stats"]) => void;
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
  const catalogue = loadCatalogue();
  const factsCatalogue = {
    accessLevelOf: (a: string) => catalogue.action(a)?.level,
    grantUnscoped: (a: string, r: string) => grantUnscoped(catalogue, a, r),
    grantedActionsOf: (p: PolicyDocument) => grantedActions(catalogue, p),
  };
  const source = deps.history?.(root) ?? gitHistorySource(root);
  const headP = source.head();
  const read = await readReportRecords(new GitRecordStore(root), checkoutDisk(root, io.cwd), {
    config: loaded.value,
    catalogue: factsCatalogue,
    catalogueStamp: catalogueStamp(),
    version: packageVersion(),
    head: headP,
  });
  const head = await headP;
  const { facts, skipped } = read;
  notes.push(...read.notes);
  deps.records?.(read.stats);
  deps.phase?.("records");
  // The records' history values as the cache kept them at HEAD; else the history read and folded whole.
  let recorded = read.recorded;
  if (!recorded) {
    const history = await readHistory(root, facts, source);
    if (history.ok) {
      recorded = { head: head ?? "", commits: history.history.commits, records: recordHistories(history.history, facts) };
      await read.save(head === undefined ? undefined : recorded);
    } else {
      notes.push(`${history.reason}; times to approval and grant are not measured`);
      await read.save();
    }
  } else await read.save();
  deps.phase?.("history");
  const report = buildReport({
    facts,
    ...(recorded ? { recorded } : {}),
    now: deps.now?.() ?? new Date(),
    ...(since ? { since } : {}),
    skipped,
    source: { dir: REQUESTS_DIR, examplesExcluded: read.examplesExcluded },
    notes: notes.slice(0, 50).concat(notes.length > 50 ? [`and ${notes.length - 50} more files that do not validate today`] : []),
  });
  deps.phase?.("aggregate");
  if (facts.length === 0 && skipped.length === 0)
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

/** The request files of the checkout at `root` as the report's walk finds and reads them. */
function checkoutDisk(root: string, cwd: string): ReportDisk {
  // Folders git lists files under that the walk would not enter (a link, a file): asked once each.
  const real = new Map<string, boolean>();
  const realFolder = (dir: string): boolean => {
    let r = real.get(dir);
    if (r === undefined) {
      const cut = dir.lastIndexOf("/");
      r = (cut < 0 || realFolder(dir.slice(0, cut))) && lstatKind(join(root, dir)) === "folder";
      real.set(dir, r);
    }
    return r;
  };
  return {
    walk: () => requestFiles(root, cwd, []).map((abs) => repoPath(root, abs)),
    listYml: () => gitYmlFiles(root),
    found: (file) => {
      const kind = lstatKind(join(root, file));
      return (kind === "file" || kind === "link") && realFolder(file.slice(0, file.lastIndexOf("/")));
    },
    read: (file) => readBounded(join(root, file)),
  };
}

function lstatKind(abs: string): "file" | "link" | "folder" | "other" | "none" {
  try {
    const s = lstatSync(abs);
    return s.isFile() ? "file" : s.isSymbolicLink() ? "link" : s.isDirectory() ? "folder" : "other";
  } catch {
    return "none";
  }
}
