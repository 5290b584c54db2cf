// One sweep, start to finish, for the CLI and the Action: list the records, ask AWS what it holds
// (unless reconcile is off), plan, and — unless it is a dry run — execute. Plus the renderings:
// the JSON of the dry run and of the report, text lines, and the Action's job summary.
import { accountEntry } from "../domain/config.js";
import { parseRequestFile } from "../domain/request.js";
import type { AccessRequest, Config } from "../domain/types.js";
import { EXPIRING_WINDOW_MS } from "../notify/expiring.js";
import type { Grants, ManagedResource } from "../aws/types.js";
import type { RecordStore } from "../store/record-store.js";
import { executeSweep, type Alerts, type Notifier, type SweepOutcome } from "./execute.js";
import { planSweep, type SweepPlan, type UnapprovedAction } from "./plan.js";
import { readSweepInput } from "./records.js";
import { sweepUnapproved, type UnapprovedOutcome } from "./unapproved.js";
import type { AccessRepo, UnapprovedRepo } from "../lifecycle/ports.js";
import type { Catalogue } from "../policy/catalogue.js";

export interface SweepEnv {
  store: RecordStore;
  config: Config;
  /** Made only when AWS is needed (not for `--dry-run --no-reconcile`). */
  grants: () => Grants;
  /** The IAM catalogue a scheduled start is judged with again; absent: due starts fail and wait. */
  catalogue?: () => Catalogue;
  /** Team memberships, to judge a scheduled start's approval again (GitHub mode). */
  teams?: Pick<AccessRepo, "teamMembership">;
  /** The web address of a request's pull request (GitHub mode): a scheduled start tags its grant with it, as the merge does. */
  pullUrl?: (pr: number) => string;
  notifier?: Notifier;
  /** Slack and other channels: expired grants, and a reminder 15 minutes before the end. */
  alerts?: Alerts;
  /** true the first time it is asked about a grant (GitHub mode: a label on the issue). */
  remindOnce?: (request: AccessRequest) => Promise<boolean>;
  /** Local checkouts: request files with uncommitted changes (reported as warnings). */
  uncommitted?: () => Promise<string[]>;
  /** A closed grant's activity (closeGrant's port); absent: not looked up. */
  activity?: (file: string, id: string) => Promise<unknown>;
  /** The access repository on GitHub: its open request pull requests are reminded and closed after pending_ttl. */
  requests?: UnapprovedRepo;
}

export interface SweepOptions {
  now: Date;
  dryRun: boolean;
  reconcile: boolean;
  concurrency: number;
}

export interface SweepReport {
  plan: SweepPlan;
  /** undefined for a dry run. */
  outcome: SweepOutcome | undefined;
  dryRun: boolean;
  /** Things that went wrong outside a single request (e.g. listing AWS for reconcile). */
  failures: string[];
  warnings: string[];
  ok: boolean;
  /** Requests waiting for approval (GitHub mode): the reminders and closes planned, and (unless a dry run) done. */
  unapproved?: { actions: UnapprovedAction[]; outcomes: UnapprovedOutcome[] };
}

export async function runSweep(env: SweepEnv, opts: SweepOptions): Promise<SweepReport> {
  const failures: string[] = [];
  const warnings: string[] = [];
  // AWS first, then the records: a grant's file is on the default
  // branch (merged, `proposed`) before the app creates anything in AWS, so every resource in this
  // listing has its file in the records read after it. Read the other way round, a merge granted
  // between the two reads would be in AWS but not in the records, and reconcile would revoke the
  // live grant as "no-record" drift.
  let managed: ManagedResource[] | undefined;
  if (opts.reconcile) {
    try {
      managed = await env.grants().listManaged();
    } catch (e) {
      // Never read a failed listing as "nothing there": reconcile is skipped and the run fails.
      failures.push(`reconcile skipped: listing the AWS resources of jit-access failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Streamed: each file is summarized or parsed as it is read (or its summary taken from the cache), and only that is kept.
  const { records, closed } = await readSweepInput(env.store, env.config, opts.now);
  if (env.uncommitted) {
    for (const f of await env.uncommitted()) {
      warnings.push(
        `${f} has uncommitted changes; the sweep reads the working tree — commit them, or restore the file with git checkout if a sweep was interrupted while writing it`,
      );
    }
  }
  const first = Object.values(env.config.aws.accounts)[0];
  const plan = planSweep(records, managed, opts.now, {
    closed,
    mode: env.config.aws.mode,
    ...(first !== undefined ? { fallbackAccountId: accountEntry(first).id } : {}),
    accountIds: Object.values(env.config.aws.accounts).map((a) => accountEntry(a).id),
  });
  for (const u of plan.unattributed) warnings.push(u.message);
  let outcome: SweepOutcome | undefined;
  if (!opts.dryRun && (plan.due.length || plan.drift?.length || plan.starts.length)) {
    outcome = await executeSweep(plan, {
      store: env.store,
      config: env.config,
      grants: env.grants(),
      ...(env.catalogue ? { catalogue: env.catalogue } : {}),
      ...(env.teams ? { teams: env.teams } : {}),
      ...(env.pullUrl ? { pullUrl: env.pullUrl } : {}),
      concurrency: opts.concurrency,
      ...(env.notifier ? { notifier: env.notifier } : {}),
      ...(env.alerts ? { alerts: env.alerts } : {}),
      ...(env.activity ? { activity: env.activity } : {}),
    });
  } else if (!opts.dryRun) outcome = { due: [], drift: [], failures: 0 };
  if (!opts.dryRun && env.alerts && env.remindOnce) await remind(env, plan, opts.now, warnings);
  let unapproved: SweepReport["unapproved"];
  if (env.requests) {
    try {
      unapproved = await sweepUnapproved({
        access: env.requests,
        config: env.config,
        now: opts.now,
        dryRun: opts.dryRun,
        ...(env.alerts ? { alerts: env.alerts } : {}),
      });
      plan.unapproved = unapproved.actions;
      for (const o of unapproved.outcomes) if (o.result === "failed") failures.push(`${o.kind} of pull request #${o.pr} failed: ${o.message ?? ""}`);
    } catch (e) {
      // Not a failure of the sweep: nothing is granted by leaving a request open (e.g. a token
      // without pull-requests permission, which listing and closing request pull requests needs).
      warnings.push(
        `requests waiting for approval were not checked (the sweep's token needs pull-requests: write): ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const ok = failures.length === 0 && plan.errors.length === 0 && (outcome?.failures ?? 0) === 0;
  return { plan, outcome, dryRun: opts.dryRun, failures, warnings, ok, ...(unapproved ? { unapproved } : {}) };
}

/** "Expiring in 15 minutes", once per grant; a failed reminder is a warning, never a failure. */
async function remind(env: SweepEnv, plan: SweepPlan, now: Date, warnings: string[]): Promise<void> {
  const soon = plan.active.filter((a) => {
    const left = Date.parse(a.expires_at) - now.getTime();
    return left > 0 && left <= EXPIRING_WINDOW_MS;
  });
  for (const a of soon) {
    try {
      const file = await env.store.read(a.file);
      const parsed = file ? parseRequestFile(file.text, { file: a.file, config: env.config }) : undefined;
      if (!parsed?.ok || parsed.value.request.status !== "active") continue;
      if (await env.remindOnce!(parsed.value.request)) await env.alerts!.notify({ kind: "expiring", request: parsed.value.request, expiresAt: a.expires_at });
    } catch (e) {
      warnings.push(`could not send the expiry reminder for ${a.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/**
 * The dry run's JSON: `{ now, due: [{ id, expires_at, file }], active, errors }`, plus `drift`
 * when reconcile ran. `active` is the number of active grants that are not yet due (the list is
 * `jit-access list --status active --json`): it stays small at 10,000 requests.
 */
export function dryRunJson(report: SweepReport): Record<string, unknown> {
  const { plan } = report;
  return {
    now: plan.now,
    due: plan.due.map((d) => ({ id: d.id, expires_at: d.expires_at, file: d.file })),
    active: plan.active.length,
    ...startsJson(plan),
    errors: plan.errors.map((e) => ({ file: e.file, problems: e.problems })),
    ...(plan.drift ? { drift: plan.drift.map(driftJson) } : {}),
  };
}

export function reportJson(report: SweepReport): Record<string, unknown> {
  if (report.dryRun) return dryRunJson(report);
  const { plan, outcome } = report;
  return {
    now: plan.now,
    due: (outcome?.due ?? []).map((o) => {
      const d = plan.due.find((x) => x.id === o.id && x.file === o.file);
      return {
        id: o.id,
        expires_at: d?.expires_at,
        file: o.file,
        result: o.result,
        removed: o.removed,
        commit: o.commit ?? null,
        notified: o.notified,
        ...(o.step ? { failed_step: o.step } : {}),
        ...(o.message ? { message: o.message } : {}),
      };
    }),
    active: plan.active.length,
    ...startsJson(plan, outcome),
    errors: plan.errors.map((e) => ({ file: e.file, problems: e.problems })),
    drift: plan.drift
      ? (outcome?.drift ?? []).map((o) => ({
          request_id: o.requestId,
          reason: o.reason,
          result: o.result,
          removed: o.removed,
          ...(o.message ? { message: o.message } : {}),
        }))
      : null,
    failures: report.failures,
    warnings: report.warnings,
    ok: report.ok,
    ...(report.unapproved
      ? {
          unapproved: report.unapproved.actions.map((a) => {
            const o = report.unapproved?.outcomes.find((x) => x.pr === a.pull.pr);
            return {
              kind: a.kind,
              pr: a.pull.pr,
              issue: a.pull.issue,
              closes_at: a.closesAt,
              result: o?.result ?? null,
              ...(o?.message ? { message: o.message } : {}),
            };
          }),
        }
      : {}),
  };
}

/** Scheduled starts, only when there are any: `starts` (due now, with their result) and `scheduled` (waiting). */
function startsJson(plan: SweepPlan, outcome?: SweepOutcome): Record<string, unknown> {
  return {
    ...(plan.starts.length
      ? {
          starts: plan.starts.map((s) => {
            const o = outcome?.starts?.find((x) => x.id === s.id && x.file === s.file);
            return {
              id: s.id,
              starts_at: s.starts_at,
              file: s.file,
              ...(o
                ? {
                    result: o.result,
                    ...(o.expires_at ? { expires_at: o.expires_at } : {}),
                    ...(o.code ? { code: o.code } : {}),
                    ...(o.step ? { failed_step: o.step } : {}),
                    ...(o.message ? { message: o.message } : {}),
                  }
                : {}),
            };
          }),
        }
      : {}),
    ...(plan.scheduled.length ? { scheduled: plan.scheduled.map((s) => ({ id: s.id, starts_at: s.starts_at, expires_at: s.expires_at, file: s.file })) } : {}),
  };
}

function driftJson(d: NonNullable<SweepPlan["drift"]>[number]): Record<string, unknown> {
  return {
    request_id: d.requestId,
    reason: d.reason,
    ...(d.status ? { status: d.status } : {}),
    account_id: d.target.accountId,
    resources: d.resources.map((r) => ({ kind: r.kind, arn: r.arn, ...(r.expiresAt ? { expires_at: r.expiresAt } : {}) })),
  };
}

/** Human lines, one per decision. */
export function reportText(report: SweepReport): string {
  const { plan, outcome } = report;
  const out: string[] = [];
  const verb = report.dryRun ? "would expire" : "expire";
  out.push(
    `Sweep at ${plan.now}${report.dryRun ? " (dry run: nothing changed)" : ""}: ${plan.due.length} due, ${plan.active.length} active, ${plan.errors.length} unreadable${plan.drift ? `, ${plan.drift.length} drift` : ", reconcile skipped"}${plan.starts.length ? `, ${plan.starts.length} to start` : ""}${plan.scheduled.length ? `, ${plan.scheduled.length} scheduled` : ""}.`,
  );
  for (const s of plan.starts) {
    const o = outcome?.starts?.find((x) => x.id === s.id && x.file === s.file);
    out.push(
      report.dryRun || !o
        ? `  ${report.dryRun ? "would start" : "start"} ${s.id} (scheduled for ${s.starts_at}) — ${s.file}`
        : o.result === "started"
          ? `  ✓ started ${s.id} until ${o.expires_at ?? "?"}${o.step === "notify" ? ` (GitHub not updated: ${o.message ?? ""})` : ""}`
          : o.result === "expired" || o.result === "rejected"
            ? `  ✓ ${s.id} not started, recorded ${o.result} (${o.code ?? ""}): ${o.message ?? ""}`
            : o.result === "skipped"
              ? `  - skipped start of ${s.id}: ${o.message ?? ""}`
              : `  ✗ start of ${s.id}: ${o.step ?? "?"} failed: ${o.message ?? ""}`,
    );
  }
  for (const s of plan.scheduled) out.push(`  · ${s.id}: scheduled to start at ${s.starts_at}, until ${s.expires_at}`);
  if (report.dryRun) {
    for (const d of plan.due) out.push(`  ${verb} ${d.id} (expired at ${d.expires_at}) — ${d.file}`);
    for (const d of plan.drift ?? [])
      out.push(`  would remove drift of ${d.requestId} (${reasonText(d.reason, d.status)}): ${d.resources.map((r) => r.arn).join(", ")}`);
  } else {
    for (const o of outcome?.due ?? []) {
      const what =
        o.result === "expired"
          ? `✓ expired ${o.id}${o.removed.length ? `; removed ${o.removed.join(", ")}` : "; nothing was left in AWS"}`
          : o.result === "skipped"
            ? `- skipped ${o.id}: ${o.message ?? ""}`
            : `✗ ${o.id}: ${o.step} failed: ${o.message ?? ""}`;
      out.push(`  ${what}${o.result === "expired" && o.step === "notify" ? ` (GitHub not updated: ${o.message ?? ""})` : ""}`);
    }
    for (const o of outcome?.drift ?? []) {
      out.push(
        o.result === "removed"
          ? `  ✓ drift of ${o.requestId} (${reasonText(o.reason)}): removed ${o.removed.join(", ") || "nothing (already gone)"}`
          : `  ✗ drift of ${o.requestId}: ${o.message ?? ""}`,
      );
    }
  }
  for (const p of plan.pending) out.push(`  · ${p}: grant in progress (record still proposed); left alone`);
  for (const a of report.unapproved?.actions ?? []) {
    const o = report.unapproved?.outcomes.find((x) => x.pr === a.pull.pr);
    const what =
      a.kind === "remind-unapproved"
        ? `remind the approvers of #${a.pull.pr} (closes at ${a.closesAt})`
        : `close #${a.pull.pr} unapproved (due at ${a.closesAt})`;
    out.push(
      `  ${report.dryRun ? `would ${what}` : o?.result === "done" ? `✓ ${what}` : `✗ ${what}: ${o?.result ?? "not done"} ${o?.message ?? ""}`.trimEnd()}`,
    );
  }
  for (const e of plan.errors) out.push(`  ✗ cannot read ${e.file}: ${e.problems.map((p) => p.message).join("; ")}`);
  for (const f of report.failures) out.push(`  ✗ ${f}`);
  for (const w of report.warnings) out.push(`  ! ${w}`);
  if (!report.dryRun) out.push(report.ok ? "Sweep complete." : "Sweep finished with failures; they are retried on the next run.");
  return out.join("\n") + "\n";
}

/** Markdown for $GITHUB_STEP_SUMMARY. */
export function reportMarkdown(report: SweepReport): string {
  const { plan, outcome } = report;
  const md = (s: string) => s.replace(/[|`<>]/g, (c) => `\\${c}`);
  const lines = [
    `### jit-access expiry sweep${report.dryRun ? " (dry run)" : ""}`,
    "",
    `At ${plan.now}: **${plan.due.length}** due, **${plan.active.length}** active, **${plan.errors.length}** unreadable, ${plan.drift ? `**${plan.drift.length}** drift` : "reconcile skipped"}.`,
    "",
  ];
  if (plan.starts.length || plan.scheduled.length) {
    lines.push("| scheduled request | starts at | result |", "|---|---|---|");
    for (const s of plan.starts) {
      const o = outcome?.starts?.find((x) => x.id === s.id && x.file === s.file);
      lines.push(
        `| ${md(s.id)} | ${s.starts_at} | ${o ? `${o.result}${o.code ? ` (${md(o.code)})` : ""}${o.step ? ` (${o.step} failed: ${md(o.message ?? "")})` : ""}` : "would start"} |`,
      );
    }
    for (const s of plan.scheduled) lines.push(`| ${md(s.id)} | ${s.starts_at} | waiting (until ${s.expires_at}) |`);
    lines.push("");
  }
  if (plan.due.length) {
    lines.push("| request | expired at | result |", "|---|---|---|");
    for (const d of plan.due) {
      const o = outcome?.due.find((x) => x.id === d.id && x.file === d.file);
      lines.push(`| ${md(d.id)} | ${d.expires_at} | ${o ? `${o.result}${o.step ? ` (${o.step} failed: ${md(o.message ?? "")})` : ""}` : "would expire"} |`);
    }
    lines.push("");
  }
  for (const d of outcome?.drift ?? [])
    lines.push(`- drift ${md(d.requestId)} (${reasonText(d.reason)}): ${d.result}${d.message ? ` — ${md(d.message)}` : ""}`);
  if (report.dryRun)
    for (const d of plan.drift ?? [])
      lines.push(`- drift ${md(d.requestId)} (${reasonText(d.reason, d.status)}): would remove ${d.resources.length} resource(s)`);
  for (const e of plan.errors) lines.push(`- ✗ cannot read \`${md(e.file)}\`: ${md(e.problems.map((p) => p.message).join("; "))}`);
  for (const f of report.failures) lines.push(`- ✗ ${md(f)}`);
  for (const w of report.warnings) lines.push(`- ⚠️ ${md(w)}`);
  return lines.join("\n") + "\n";
}

function reasonText(reason: string, status?: string): string {
  return reason === "no-record" ? "no request file" : reason === "not-active" ? `request is ${status ?? "not active"}` : "its expiry tag has passed";
}
