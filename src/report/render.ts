// Renders a Report as markdown (GitHub job summary), JSON or one self-contained HTML file
// (inline CSS and SVG; no scripts, no external fonts, stylesheets or images). Pure.
// User text (logins, account aliases, reasons) is quoted for the target: github/messages.quote
// for markdown, HTML escaping for HTML.
import { quote } from "../github/messages.js";
import type { Report, UsageRow } from "./aggregate.js";
import { humanSeconds, type Count, type Stat } from "./stats.js";
import { RISK_COLOR, barChart, columnChart, escapeHtml, palette, stackedBar, type Bar } from "./svg.js";

export type ReportFormat = "md" | "json" | "html";
export const REPORT_FORMATS: readonly ReportFormat[] = ["md", "json", "html"];

export function renderReport(report: Report, format: ReportFormat): string {
  if (format === "json") return renderJson(report);
  if (format === "html") return renderHtml(report);
  return renderMarkdown(report);
}

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + "\n";
}

const pct = (r: number | null) => (r === null ? "—" : `${Math.round(r * 100)}%`);
const hours = (s: number) => `${(s / 3600).toFixed(1)}h`;
const STATUSES = ["proposed", "scheduled", "active", "expired", "revoked", "rejected", "failed"] as const;

function statLine(s: Stat): [string, string, string] {
  return [humanSeconds(s.median), humanSeconds(s.p90), String(s.count)];
}

// ---------------------------------------------------------------------------------------------
// Markdown

function mdTable(head: string[], rows: string[][]): string {
  if (!rows.length) return "_none_\n";
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n") + "\n";
}

function mdCounts(title: string, counts: Count[], max = 10): string {
  const rows = counts.slice(0, max).map((c) => [quote(c.key, 80), String(c.count)]);
  const more = counts.length > max ? `\n…and ${counts.length - max} more\n` : "";
  return `#### ${title}\n\n${mdTable(["", "grants"], rows)}${more}`;
}

export function renderMarkdown(r: Report): string {
  const t = r.totals;
  const out: string[] = [];
  out.push(`## jit-access report`, "");
  if (r.empty) {
    out.push(`Generated ${r.generated_at}${r.since ? `, requests since ${r.since}` : ", all history"}.`, "", `**Nothing to report: ${r.empty}.**`, "");
    // Grants live now are reported whatever the period.
    if (t.active_now) out.push(...mdActive(r));
    out.push(...mdScheduled(r));
    if (t.awaiting_sweep) out.push(`${t.awaiting_sweep} grant(s) past their expiry wait for the sweep to record it.`, "");
    out.push(...mdNotes(r));
    return out.join("\n");
  }
  out.push(
    `Generated ${r.generated_at}${r.since ? `, requests since ${r.since}` : ", all history"}. ${t.requests} requests, ${t.grants} grants, **${t.active_now} active now**${t.awaiting_sweep ? ` (+${t.awaiting_sweep} past expiry awaiting the sweep)` : ""}, ${t.blocked} blocked.`,
    "",
  );
  out.push(
    mdTable(
      STATUSES.map((s) => s),
      [STATUSES.map((s) => String(t.by_status[s]))],
    ),
  );
  out.push(`### Time to access`, "");
  out.push(
    mdTable(
      ["", "median", "p90", "measured"],
      [
        ["request → approval", ...statLine(r.timing.request_to_approval)],
        ["approval → grant", ...statLine(r.timing.approval_to_grant)],
        ["request → grant", ...statLine(r.timing.request_to_grant)],
      ],
    ),
  );
  out.push(`### Grants`, "");
  out.push(mdCounts("By service", r.grants_by_service), mdCounts("By account", r.grants_by_account), mdCounts("By requester", r.grants_by_requester));
  if (r.grants_by_catalogue.length) out.push(mdCounts("By catalogue entry", r.grants_by_catalogue));
  out.push(`By risk: low ${r.grants_by_risk.low}, medium ${r.grants_by_risk.medium}, high ${r.grants_by_risk.high}.`, "");
  out.push(...mdActive(r));
  out.push(...mdScheduled(r));
  const d = r.durations;
  out.push(`### Durations asked vs used`, "");
  out.push(
    `${d.closed_grants} closed grants asked for ${hours(d.asked_seconds)} and used ${hours(d.used_seconds)} (${pct(d.used_ratio)}). ${d.early_revokes} revoked early; they used a median ${pct(d.early_revoke_used_ratio.median)} of the time asked.`,
    "",
  );
  out.push(
    mdTable(
      ["request", "requester", "asked", "used", "revoked by", "reason"],
      d.revoked.map((x) => [
        `\`${x.id}\``,
        quote(x.requester, 40),
        humanSeconds(x.asked_seconds),
        humanSeconds(x.used_seconds),
        x.by ? quote(x.by, 40) : "—",
        quote(x.reason, 120),
      ]),
    ),
  );
  out.push(...mdUsage(r));
  out.push(`### Blocked (${r.blocked.total})`, "");
  if (r.blocked.by_area.length) out.push(`By area: ${r.blocked.by_area.map((a) => `${quote(a.label, 80)} ${a.count}`).join(", ")}.`, "");
  out.push(
    mdTable(
      ["rule", "code", "requests"],
      r.blocked.by_rule.map((b) => [quote(b.label, 80), quote(b.key, 80), String(b.count)]),
    ),
  );
  if (r.blocked.recent.length)
    out.push(
      mdTable(
        ["request", "status", "rule", "reason"],
        r.blocked.recent.map((b) => [`\`${b.id}\``, b.status, b.rule, quote(b.reason, 160)]),
      ),
    );
  out.push(...mdLifecycle(r));
  out.push(`### Riskiest grants`, "");
  out.push(
    mdTable(
      ["request", "requester", "account", "risk", "dangerous", "permissions-management", "duration", "status"],
      r.riskiest.map((x) => [
        `\`${x.id}\``,
        quote(x.requester, 40),
        quote(x.account, 60),
        x.risk,
        quote(x.dangerous.join(", ") || "—", 120),
        quote(x.permissions_management.join(", ") || "—", 120),
        humanSeconds(x.duration_seconds),
        x.status,
      ]),
    ),
  );
  out.push(...mdApprovalPolicies(r));
  out.push(...mdNotes(r));
  return out.join("\n");
}

/** Auto-approved grants and every break-glass use; nothing when the period has neither. */
function mdApprovalPolicies(r: Report): string[] {
  const a = r.approval_policies;
  if (!a.auto_approved && !a.break_glass.length) return [];
  const share = a.auto_approved_share === null ? "" : ` (${Math.round(a.auto_approved_share * 100)}% of grants)`;
  const out = [`### Approval policies`, "", `Auto-approved by a rule: ${a.auto_approved}${share}.`, ""];
  if (a.by_rule.length) out.push(mdCounts("By rule", a.by_rule), "");
  out.push(`#### Break-glass uses (${a.break_glass.length})`, "");
  if (a.break_glass.length)
    out.push(
      mdTable(
        ["request", "by", "account", "incident", "at", "reason", "status"],
        a.break_glass.map((b) => [`\`${b.id}\``, quote(b.by, 40), quote(b.account, 60), quote(b.incident, 100), b.at, quote(b.reason, 160), b.status]),
      ),
      "",
    );
  return out;
}

/** One sentence on what the granted-vs-used figures cover, shared by markdown and HTML. */
function usageSentence(u: Report["granted_vs_used"]): string {
  const left = [
    u.partial ? `${u.partial} with cut action lists` : "",
    u.unavailable ? `${u.unavailable} whose activity was unavailable` : "",
    u.none ? `${u.none} without an activity record` : "",
  ].filter(Boolean);
  return (
    `${u.grants} closed grant(s) with recorded activity were granted ${u.granted} action(s) and used ${u.used} (${pct(u.share)}); ${u.denied} call(s) were denied.` +
    (left.length ? ` Not counted: ${left.join(", ")}.` : "") +
    " Management events only: data actions (S3 GetObject and the like) can read as unused."
  );
}

const usageCells = (x: UsageRow): string[] => [String(x.grants), String(x.granted), String(x.used), pct(x.share), String(x.denied)];
const USAGE_HEAD = ["grants", "actions granted", "used", "share used", "denied calls"];

function mdUsage(r: Report): string[] {
  const u = r.granted_vs_used;
  const out = [`### Granted vs used`, "", usageSentence(u), ""];
  if (!u.grants) return out;
  out.push(
    `#### By service`,
    "",
    mdTable(
      ["service", ...USAGE_HEAD],
      u.by_service.map((x) => [quote(x.key, 40), ...usageCells(x)]),
    ),
  );
  out.push(
    `#### By account`,
    "",
    mdTable(
      ["account", ...USAGE_HEAD],
      u.by_account.map((x) => [quote(x.key, 60), ...usageCells(x)]),
    ),
  );
  return out;
}

function mdActive(r: Report): string[] {
  const out: string[] = [];
  out.push(`### Active now (${r.totals.active_now})`, "");
  out.push(
    mdTable(
      ["request", "requester", "account", "expires", "left", "risk"],
      r.active.slice(0, 25).map((a) => [`\`${a.id}\``, quote(a.requester, 40), quote(a.account, 60), a.expires_at, humanSeconds(a.minutes_left * 60), a.risk]),
    ),
  );
  if (r.active.length > 25) out.push(`…and ${r.active.length - 25} more`, "");
  return out;
}

/** Requests approved for a later start; nothing when there are none. */
function mdScheduled(r: Report): string[] {
  const rows = r.scheduled ?? [];
  if (!rows.length) return [];
  return [
    `### Scheduled to start (${rows.length})`,
    "",
    mdTable(
      ["request", "requester", "account", "starts", "ends", "approved by"],
      rows
        .slice(0, 25)
        .map((s) => [
          `\`${s.id}\``,
          quote(s.requester, 40),
          quote(s.account, 60),
          s.starts_at,
          s.expires_at,
          s.approved_by.map((a) => quote(a, 40)).join(", "),
        ]),
    ),
    ...(rows.length > 25 ? [`…and ${rows.length - 25} more`, ""] : []),
  ];
}

/** The notes (skipped files, files that no longer validate) and what is counted. */
function mdNotes(r: Report): string[] {
  const out: string[] = [];
  if (r.skipped.length || r.notes.length) {
    out.push(`### Notes`, "");
    for (const n of r.notes) out.push(`- ${quote(n, 300)}`);
    for (const s of r.skipped.slice(0, 20)) out.push(`- skipped \`${s.file.replace(/`/g, "'")}\`: ${quote(s.reason, 200)}`);
    out.push("");
  }
  out.push(`<details><summary>What is counted</summary>`, "", ...Object.entries(r.definitions).map(([k, v]) => `- **${k}**: ${v}`), "", `</details>`, "");
  return out;
}

// ---------------------------------------------------------------------------------------------
// HTML

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--card:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:16px 0 6px}
.muted{color:var(--muted);fill:#59636e}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:140px}
.kpi b{display:block;font-size:22px}
.grid{display:flex;flex-wrap:wrap;gap:24px}
.grid>section{flex:1 1 520px;min-width:0}
table{border-collapse:collapse;margin:6px 0 12px;width:100%}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--card);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--card);padding:1px 4px;border-radius:4px}
svg.chart{display:block;max-width:100%;height:auto}
svg.chart text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;fill:#1f2328}
.risk-high{color:#b42336;font-weight:600}.risk-medium{color:#9a5a12}.risk-low{color:#17785a}
details{margin:12px 0}
`;

function hTable(head: string[], rows: string[][], numeric: number[] = []): string {
  if (!rows.length) return `<p class="muted">None.</p>`;
  const th = head.map((h, i) => `<th${numeric.includes(i) ? ` class="num"` : ""}>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ` class="num"` : ""}>${c}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const e = escapeHtml;
const riskCell = (risk: string) => `<span class="risk-${e(risk)}">${e(risk)}</span>`;
const countBars = (counts: Count[], max = 10, color?: string): Bar[] =>
  counts.slice(0, max).map((c, i) => ({ label: c.key, value: c.count, color: color ?? palette(i) }));

export function renderHtml(r: Report): string {
  const t = r.totals;
  const d = r.durations;
  const kpi = (label: string, value: string) => `<div class="kpi"><span class="muted">${e(label)}</span><b>${e(value)}</b></div>`;
  const more = (counts: Count[], max = 10) => (counts.length > max ? `<p class="muted">…and ${counts.length - max} more</p>` : "");
  const html: string[] = [];
  html.push(`<!doctype html>`, `<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`);
  html.push(`<title>jit-access report ${e(r.generated_at)}</title><style>${CSS}</style></head><body>`);
  html.push(
    `<h1>jit-access report</h1><p class="muted">Generated ${e(r.generated_at)}${r.since ? ` · requests since ${e(r.since)}` : " · all history"} · ${t.commits} commits read</p>`,
  );
  if (r.empty) {
    html.push(`<p class="empty"><b>Nothing to report:</b> ${e(r.empty)}.</p>`);
    // Grants live now are reported whatever the period.
    if (t.active_now || t.awaiting_sweep) html.push(...htmlActive(r));
    html.push(...htmlScheduled(r));
    html.push(...htmlNotes(r));
    return html.join("\n");
  }
  html.push(
    `<div class="kpis">${[
      kpi("requests", String(t.requests)),
      kpi("grants", String(t.grants)),
      kpi("active now", String(t.active_now)),
      kpi("blocked", String(t.blocked)),
      kpi("request → approval (median)", humanSeconds(r.timing.request_to_approval.median)),
      kpi("request → approval (p90)", humanSeconds(r.timing.request_to_approval.p90)),
      kpi("approval → grant (median)", humanSeconds(r.timing.approval_to_grant.median)),
      kpi("time used of asked", pct(d.used_ratio)),
    ].join("")}</div>`,
  );

  html.push(`<h2>Requests by status</h2>`);
  const statusColor: Record<string, string> = {
    proposed: "#6b7280",
    scheduled: "#5aa0b0",
    active: "#2f6fde",
    expired: "#1f9d74",
    revoked: "#8e59c9",
    rejected: "#d9822b",
    failed: "#c94a5a",
  };
  html.push(
    stackedBar(
      "Requests by status",
      STATUSES.map((s) => ({ label: s, value: t.by_status[s], color: statusColor[s] as string })),
      { width: 720 },
    ),
  );

  html.push(`<h2>Grants</h2><div class="grid">`);
  html.push(`<section><h3>By service</h3>${barChart("Grants by service", countBars(r.grants_by_service))}${more(r.grants_by_service)}</section>`);
  html.push(`<section><h3>By account</h3>${barChart("Grants by account", countBars(r.grants_by_account))}${more(r.grants_by_account)}</section>`);
  if (r.grants_by_catalogue.length)
    html.push(
      `<section><h3>By catalogue entry</h3>${barChart("Grants by catalogue entry", countBars(r.grants_by_catalogue))}${more(r.grants_by_catalogue)}</section>`,
    );
  html.push(
    `<section><h3>By requester</h3>${barChart("Grants by requester", countBars(r.grants_by_requester, 10, "#2f6fde"))}${more(r.grants_by_requester)}</section>`,
  );
  html.push(
    `<section><h3>By risk tier</h3>${barChart(
      "Grants by risk tier",
      (["high", "medium", "low"] as const).map((k) => ({ label: k, value: r.grants_by_risk[k], color: RISK_COLOR[k] as string })),
    )}</section>`,
  );
  html.push(`</div>`);

  html.push(`<h2>Time to access</h2><div class="grid"><section>`);
  html.push(
    hTable(
      ["", "median", "p90", "measured"],
      [
        ["request → approval", ...statLine(r.timing.request_to_approval)].map(e),
        ["approval → grant", ...statLine(r.timing.approval_to_grant)].map(e),
        ["request → grant", ...statLine(r.timing.request_to_grant)].map(e),
      ],
      [1, 2, 3],
    ),
  );
  html.push(
    `</section><section><h3>Request → grant, distribution</h3>${columnChart(
      "Request to grant wait",
      r.timing.request_to_grant_buckets.map((b) => ({ label: b.key, value: b.count })),
    )}</section></div>`,
  );

  html.push(...htmlActive(r));
  html.push(...htmlScheduled(r));

  html.push(`<h2>Durations asked vs used</h2><div class="grid"><section>`);
  html.push(
    `<p>${d.closed_grants} closed grants asked for <b>${hours(d.asked_seconds)}</b> and used <b>${hours(d.used_seconds)}</b> (${pct(d.used_ratio)}). <b>${d.early_revokes}</b> were revoked early, using a median ${pct(d.early_revoke_used_ratio.median)} of the time asked (p90 ${pct(d.early_revoke_used_ratio.p90)}).</p>`,
  );
  html.push(
    barChart("Hours asked and used", [
      { label: "asked", value: Math.round(d.asked_seconds / 360) / 10, text: hours(d.asked_seconds), color: "#6b7280" },
      { label: "used", value: Math.round(d.used_seconds / 360) / 10, text: hours(d.used_seconds), color: "#2f6fde" },
    ]),
  );
  html.push(`</section><section><h3>Revoked early</h3>`);
  html.push(
    hTable(
      ["request", "requester", "asked", "used", "by", "reason"],
      d.revoked.map((x) => [
        `<code>${e(x.id)}</code>`,
        e(x.requester),
        e(humanSeconds(x.asked_seconds)),
        e(humanSeconds(x.used_seconds)),
        e(x.by ?? "—"),
        e(cutText(x.reason, 160)),
      ]),
      [2, 3],
    ),
  );
  html.push(`</section></div>`);

  const u = r.granted_vs_used;
  html.push(`<h2>Granted vs used</h2>`, `<p>${e(usageSentence(u))}</p>`);
  if (u.grants) {
    html.push(`<div class="grid"><section><h3>By service</h3>`);
    html.push(
      hTable(
        ["service", ...USAGE_HEAD],
        u.by_service.map((x) => [e(x.key), ...usageCells(x).map(e)]),
        [1, 2, 3, 4, 5],
      ),
    );
    html.push(`</section><section><h3>By account</h3>`);
    html.push(
      hTable(
        ["account", ...USAGE_HEAD],
        u.by_account.map((x) => [e(x.key), ...usageCells(x).map(e)]),
        [1, 2, 3, 4, 5],
      ),
    );
    html.push(`</section></div>`);
  }

  html.push(`<h2>Blocked (${r.blocked.total})</h2><div class="grid"><section>`);
  html.push(
    barChart(
      "Blocked requests by area",
      r.blocked.by_area.map((b) => ({ label: b.label, value: b.count, color: "#c94a5a" })),
      { labelWidth: 200, width: 560 },
    ),
  );
  html.push(
    barChart(
      "Blocked requests by rule",
      r.blocked.by_rule.map((b) => ({ label: b.label, value: b.count, color: "#c94a5a" })),
      { labelWidth: 200, width: 560 },
    ),
  );
  html.push(`</section><section>`);
  html.push(
    hTable(
      ["request", "status", "rule", "reason"],
      r.blocked.recent.map((b) => [`<code>${e(b.id)}</code>`, e(b.status), e(b.rule), e(cutText(b.reason, 200))]),
    ),
  );
  html.push(`</section></div>`);

  html.push(...htmlLifecycle(r));
  html.push(`<h2>Riskiest grants</h2>`);
  html.push(
    hTable(
      ["request", "requester", "account", "risk", "dangerous actions", "permissions-management", "duration", "status"],
      r.riskiest.map((x) => [
        `<code>${e(x.id)}</code>`,
        e(x.requester),
        e(x.account),
        riskCell(x.risk),
        e(cutText(x.dangerous.join(", ") || "—", 200)),
        e(cutText(x.permissions_management.join(", ") || "—", 200)),
        e(humanSeconds(x.duration_seconds)),
        e(x.status),
      ]),
    ),
  );

  const ap = r.approval_policies;
  if (ap.auto_approved || ap.break_glass.length) {
    const share = ap.auto_approved_share === null ? "" : ` (${Math.round(ap.auto_approved_share * 100)}% of grants)`;
    html.push(`<h2>Approval policies</h2>`, `<p>Auto-approved by a rule: ${ap.auto_approved}${e(share)}.</p>`);
    if (ap.by_rule.length)
      html.push(
        hTable(
          ["rule", "grants"],
          ap.by_rule.map((c) => [e(c.key), String(c.count)]),
          [1],
        ),
      );
    html.push(`<h3>Break-glass uses (${ap.break_glass.length})</h3>`);
    html.push(
      hTable(
        ["request", "by", "account", "incident", "at", "reason", "status"],
        ap.break_glass.map((b) => [
          `<code>${e(b.id)}</code>`,
          e(b.by),
          e(b.account),
          e(cutText(b.incident, 100)),
          e(b.at),
          e(cutText(b.reason, 200)),
          e(b.status),
        ]),
      ),
    );
  }
  html.push(...htmlNotes(r));
  return html.join("\n");
}

function htmlScheduled(r: Report): string[] {
  const rows = r.scheduled ?? [];
  if (!rows.length) return [];
  const html = [
    `<h2>Scheduled to start (${rows.length})</h2>`,
    hTable(
      ["request", "requester", "account", "starts", "ends", "approved by"],
      rows.slice(0, 50).map((s) => [`<code>${e(s.id)}</code>`, e(s.requester), e(s.account), e(s.starts_at), e(s.expires_at), e(s.approved_by.join(", "))]),
    ),
  ];
  if (rows.length > 50) html.push(`<p class="muted">…and ${rows.length - 50} more</p>`);
  return html;
}

function htmlActive(r: Report): string[] {
  const t = r.totals;
  const html: string[] = [];
  html.push(`<h2>Active now (${t.active_now})</h2>`);
  if (t.awaiting_sweep) html.push(`<p class="muted">${t.awaiting_sweep} more are past their expiry and wait for the sweep to record it.</p>`);
  html.push(
    hTable(
      ["request", "requester", "account", "expires", "left", "risk"],
      r.active
        .slice(0, 50)
        .map((a) => [`<code>${e(a.id)}</code>`, e(a.requester), e(a.account), e(a.expires_at), e(humanSeconds(a.minutes_left * 60)), riskCell(a.risk)]),
      [4],
    ),
  );
  if (r.active.length > 50) html.push(`<p class="muted">…and ${r.active.length - 50} more</p>`);
  return html;
}

/** The notes, what is counted, and the end of the document. */
function htmlNotes(r: Report): string[] {
  const html: string[] = [];
  if (r.notes.length || r.skipped.length) {
    html.push(`<h2>Notes</h2><ul>`);
    for (const n of r.notes) html.push(`<li>${e(cutText(n, 300))}</li>`);
    for (const s of r.skipped.slice(0, 50)) html.push(`<li>skipped <code>${e(s.file)}</code>: ${e(cutText(s.reason, 200))}</li>`);
    html.push(`</ul>`);
  }
  html.push(
    `<details><summary>What is counted</summary><dl>${Object.entries(r.definitions)
      .map(([k, v]) => `<dt><b>${e(k)}</b></dt><dd>${e(v)}</dd>`)
      .join("")}</dl></details>`,
  );
  html.push(`</body></html>`, "");
  return html;
}

function cutText(s: string, max: number): string {
  const flat = s.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : flat;
}

/** Rejections with reasons, withdrawals, requests closed unapproved, extensions (markdown). */
function mdLifecycle(r: Report): string[] {
  const l = r.lifecycle;
  if (!l) return [];
  const c = l.counts;
  const out = [
    `### Rejected, withdrawn, closed unapproved, extended`,
    "",
    `${c.rejected} rejected with a reason, ${c.withdrawn} withdrawn by their requester, ${c.expired_unapproved} closed unapproved after pending_ttl; ${c.extensions} extension(s) moved the end of ${c.extended_grants} grant(s).`,
    "",
  ];
  if (l.rejected.length)
    out.push(
      mdTable(
        ["request", "requester", "rejected by", "reason", "at"],
        l.rejected.map((x) => [`\`${x.id}\``, quote(x.requester, 40), x.by ? quote(x.by, 40) : "—", quote(x.reason, 200), x.at]),
      ),
    );
  if (l.expired_unapproved.length)
    out.push(
      mdTable(
        ["closed unapproved", "requester", "at"],
        l.expired_unapproved.map((x) => [`\`${x.id}\``, quote(x.requester, 40), x.at]),
      ),
    );
  if (l.extensions.length)
    out.push(
      mdTable(
        ["extended grant", "requester", "extensions", "first end", "end now", "added"],
        l.extensions.map((x) => [`\`${x.id}\``, quote(x.requester, 40), String(x.count), x.first_expires_at, x.expires_at, humanSeconds(x.extended_seconds)]),
      ),
    );
  return out;
}

function htmlLifecycle(r: Report): string[] {
  const l = r.lifecycle;
  if (!l) return [];
  const c = l.counts;
  return [
    `<h2>Rejected, withdrawn, closed unapproved, extended</h2><p>${c.rejected} rejected with a reason, ${c.withdrawn} withdrawn, ${c.expired_unapproved} closed unapproved; ${c.extensions} extension(s) of ${c.extended_grants} grant(s).</p>`,
    hTable(
      ["request", "rejected by", "reason", "at"],
      l.rejected.map((x) => [`<code>${e(x.id)}</code>`, e(x.by ?? "—"), e(cutText(x.reason, 200)), e(x.at)]),
    ),
    hTable(
      ["extended grant", "extensions", "end now", "added"],
      l.extensions.map((x) => [`<code>${e(x.id)}</code>`, String(x.count), e(x.expires_at), e(humanSeconds(x.extended_seconds))]),
      [1],
    ),
  ];
}
