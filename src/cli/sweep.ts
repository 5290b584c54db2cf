// CLI commands over the records: sweep, list, revoke. Same conventions as validate and plan:
// strict options, UsageError → exit 2, --json for machines. Exit 0 ok, 1 something failed.
import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { ALL_STATUSES } from "../domain/lifecycle.js";
import type { RequestStatus } from "../domain/types.js";
import { UsageError, formatProblems, type Io } from "./support.js";
import { closeGrant } from "../lifecycle/close-grant.js";
import { openRecords, type Records } from "../sweep/env.js";
import { DEFAULT_CONCURRENCY } from "../sweep/execute.js";
import { parseRecords } from "../sweep/plan.js";
import { reportJson, reportText, runSweep } from "../sweep/run.js";
import { retryOnboarding } from "./identities.js";

type Env = Record<string, string | undefined>;

export const SWEEP_USAGE = `  sweep [--dry-run] [--now ISO] [--concurrency N] [--no-reconcile] [--config FILE] [--json]
                                                revoke and record grants past their expiry, then
                                                remove AWS resources without an active request
  list [--status S] [--config FILE] [--json]    the requests and their state
  revoke ID|--all --reason TEXT [--config FILE] [--json]
                                                end an active grant now
`;

export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const now = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(now.getTime()))
    throw new UsageError(`--now ${JSON.stringify(value)} is not an ISO date-time such as 2026-11-27T09:00:00Z`);
  return now;
}

export function parseConcurrency(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_CONCURRENCY;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64)
    throw new UsageError(`--concurrency ${JSON.stringify(value)}: give a whole number from 1 to 64`);
  return Number(value);
}

async function open(io: Io, env: Env, config: string | undefined): Promise<Records | number> {
  const opened = await openRecords({ cwd: io.cwd, env, ...(config !== undefined ? { configPath: config } : {}) });
  if (opened.ok) return opened.value;
  io.stderr.write(`✗ ${opened.file}\n${formatProblems(opened.problems)}`);
  return 1;
}

export async function sweepCommand(args: string[], io: Io, env: Env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
    options: {
      config: { type: "string" },
      json: { type: "boolean", default: false },
      now: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      concurrency: { type: "string" },
      reconcile: { type: "boolean", default: true },
    },
  });
  if (positionals.length) throw new UsageError(`sweep takes no file arguments (got ${positionals.join(" ")})`);
  const now = parseNow(values.now);
  const concurrency = parseConcurrency(values.concurrency);
  const records = await open(io, env, values.config);
  if (typeof records === "number") return records;
  const report = await runSweep(records, { now, dryRun: values["dry-run"], reconcile: values.reconcile, concurrency });
  io.stdout.write(values.json ? JSON.stringify(reportJson(report), null, 2) + "\n" : reportText(report));
  if (!values["dry-run"]) io.stderr.write(await retryOnboarding(records, env));
  return report.ok ? 0 : 1;
}

export async function listCommand(args: string[], io: Io, env: Env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { config: { type: "string" }, json: { type: "boolean", default: false }, status: { type: "string" } },
  });
  if (positionals.length) throw new UsageError(`list takes no arguments (got ${positionals.join(" ")})`);
  const status = values.status;
  if (status !== undefined && !ALL_STATUSES.includes(status as RequestStatus))
    throw new UsageError(`--status ${JSON.stringify(status)}: use one of ${ALL_STATUSES.join(", ")}`);
  const records = await open(io, env, values.config);
  if (typeof records === "number") return records;
  const parsed = parseRecords(await records.store.list(), records.config);
  const rows = parsed
    .flatMap((r) => ("request" in r ? [{ r: r.request, file: r.path }] : []))
    .filter(({ r }) => status === undefined || (r.status ?? "proposed") === status)
    .map(({ r, file }) => ({
      id: r.id,
      status: r.status ?? "proposed",
      requester: r.requester,
      account: r.account,
      duration: r.duration,
      granted_at: r.grant?.granted_at ?? null,
      expires_at: r.grant?.expires_at ?? null,
      closed_at: r.closed?.at ?? null,
      file,
    }));
  const errors = parsed.flatMap((r) => ("problems" in r ? [{ file: r.path, problems: r.problems }] : []));
  if (values.json) io.stdout.write(JSON.stringify({ requests: rows, errors }, null, 2) + "\n");
  else {
    for (const row of rows)
      io.stdout.write(
        `${row.status.padEnd(8)} ${row.id}  ${row.requester} → ${row.account}${row.expires_at ? `  until ${row.expires_at}` : ""}  ${row.file}\n`,
      );
    for (const e of errors) io.stdout.write(`✗ ${e.file}\n${formatProblems(e.problems)}`);
    io.stdout.write(`${rows.length} request(s)${status ? ` ${status}` : ""}${errors.length ? `, ${errors.length} unreadable` : ""}\n`);
  }
  return errors.length ? 1 : 0;
}

export async function revokeCommand(args: string[], io: Io, env: Env = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: { config: { type: "string" }, json: { type: "boolean", default: false }, reason: { type: "string" }, all: { type: "boolean", default: false } },
  });
  if (values.all ? positionals.length !== 0 : positionals.length !== 1) {
    throw new UsageError(
      'revoke takes exactly one request id, e.g. jit-access revoke 142-financial-reports --reason "done early", or --all (break-glass: every active grant)',
    );
  }
  const reason = (values.reason ?? "").trim();
  if (!reason) throw new UsageError("revoke needs --reason TEXT (it goes into the record and the audit trail)");
  const records = await open(io, env, values.config);
  if (typeof records === "number") return records;
  const who = env.GITHUB_ACTOR || userInfo().username;
  const login = env.GITHUB_ACTOR && /^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$/.test(env.GITHUB_ACTOR) ? env.GITHUB_ACTOR : undefined;
  const parsed = parseRecords(await records.store.list(), records.config);

  if (!values.all) {
    const id = positionals[0] as string;
    const r = await revokeOne(records, parsed, id, reason, who, login);
    io.stdout.write(values.json ? JSON.stringify({ id, ok: r.ok, ...r.fields }, null, 2) + "\n" : `${r.ok ? "✓" : "✗"} ${r.text}\n`);
    return r.ok ? 0 : 1;
  }

  // Break-glass: every active grant, one at a time so each gets its own record commit; a failure
  // never stops the rest. Then a reconcile pass removes jit-access resources without a record.
  const ids = parsed.flatMap((r) => ("request" in r && r.request.status === "active" ? [r.request.id] : []));
  const results: Array<{ id: string; ok: boolean } & Record<string, unknown>> = [];
  for (const id of ids) {
    const r = await revokeOne(records, parsed, id, reason, who, login);
    results.push({ id, ok: r.ok, ...r.fields });
    if (!values.json) io.stdout.write(`${r.ok ? "✓" : "✗"} ${r.text}\n`);
  }
  const swept = await runSweep(records, { now: new Date(), dryRun: false, reconcile: true, concurrency: DEFAULT_CONCURRENCY });
  const drift = swept.outcome?.drift ?? [];
  const ok = results.every((r) => r.ok) && swept.ok;
  if (values.json) io.stdout.write(JSON.stringify({ all: true, ok, revoked: results, drift, failures: swept.failures }, null, 2) + "\n");
  else {
    io.stdout.write(reportText(swept));
    io.stdout.write(
      `${ok ? "✓" : "✗"} revoke --all: ${results.filter((r) => r.ok).length} of ${results.length} active grants revoked; ${drift.length} resources without a record handled\n`,
    );
  }
  return ok ? 0 : 1;
}

export type Parsed = ReturnType<typeof parseRecords>;

export async function revokeOne(
  records: Records,
  parsed: Parsed,
  id: string,
  reason: string,
  who: string,
  login: string | undefined,
): Promise<{ ok: boolean; fields: Record<string, unknown>; text: string }> {
  const say = (ok: boolean, fields: Record<string, unknown>, text: string) => ({ ok, fields, text });
  const found = parsed.find((r) => ("request" in r ? r.request.id === id : "problems" in r && r.id === id));
  if (!found) return say(false, { error: "not found" }, `there is no request ${id}`);
  if ("summary" in found) throw new Error("parseRecords summarized without now"); // cannot happen
  if ("problems" in found)
    return say(
      false,
      { error: "unreadable", file: found.path, problems: found.problems },
      `refusing to revoke ${id}: ${found.path} cannot be read, so nothing was removed:\n${formatProblems(found.problems)}`,
    );
  const request = found.request;
  // A scheduled request not yet started is cancelled by a revoke (closeGrant).
  if ((request.status !== "active" || !request.grant) && request.status !== "scheduled")
    return say(false, { error: `not active`, status: request.status ?? "proposed" }, `${id} is ${request.status ?? "proposed"}, not active; nothing to revoke`);

  const r = await closeGrant(
    {
      store: records.store,
      config: records.config,
      grants: records.grants(),
      ...(records.notifier ? { github: records.notifier } : {}),
      ...(records.alerts ? { alerts: records.alerts } : {}),
      ...(records.activity ? { activity: records.activity } : {}),
    },
    { kind: "revoked", file: found.path, id, at: new Date(), reason, ...(login ? { by: login } : {}), closedBy: who },
  );
  switch (r.kind) {
    case "refused":
      return say(
        false,
        { error: "refused", code: r.problem.code, message: r.problem.message },
        `${r.problem.message}. The record stays active; running the command again will not change this.`,
      );
    case "failed":
      if (r.step === "revoke")
        return say(
          false,
          { error: "revoke failed", code: r.problem.code, message: r.problem.message },
          `revoking ${id} in AWS failed: ${r.problem.message}. The record stays active; run the command again (the sweep also retries at expiry).`,
        );
      return say(
        false,
        { error: `${r.step} failed`, code: r.problem.code, message: r.problem.message, removed: r.removed },
        `${id}: ${r.step} failed: ${r.problem.message}${r.removed.length ? ` (AWS access removed: ${r.removed.join(", ")})` : ""}`,
      );
    case "skipped":
      if (r.problem.code !== "record.conflict")
        return say(false, { error: "not active", code: r.problem.code, message: r.problem.message }, `${id}: nothing revoked: ${r.problem.message}`);
      return say(
        false,
        { error: "not recorded", code: r.problem.code, message: r.problem.message, removed: r.removed },
        `${id}: AWS access removed (${r.removed.join(", ") || "nothing was left"}), but not recorded: ${r.problem.message}`,
      );
    case "closed": {
      const notified = r.githubError;
      return say(
        notified === undefined,
        { status: "revoked", removed: r.removed, commit: r.commit, ...(notified ? { error: "notify failed", message: notified } : {}) },
        `revoked ${id}: removed ${r.removed.join(", ") || "nothing (already gone)"}; recorded in ${r.commit.slice(0, 12)}${records.kind === "github" ? (notified ? `; GitHub not updated: ${notified}` : "; issue closed") : ""}`,
      );
    }
  }
}
