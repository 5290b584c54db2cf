// What the app says on GitHub: PR titles and bodies, comments, check-run summaries. Pure.
// User-supplied text is quoted so it cannot mention people, close issues or inject markup.
import type { AccessRequest, Problem } from "../domain/types.js";
import type { Plan } from "../policy/pipeline.js";
import { riskLabel } from "../policy/pipeline.js";

/** Hidden markers let the app find and update its own comments instead of piling up new ones. */
export const MARKER = {
  intake: "<!-- jit-access:intake -->",
  grant: "<!-- jit-access:grant -->",
  revoke: "<!-- jit-access:revoke -->",
} as const;

/**
 * Text from issues and files, made inert for markdown: no @mentions, no #refs or closing
 * keywords, no HTML, one line unless asked.
 */
export function quote(text: string, max = 300): string {
  const cleaned = text
    // eslint-disable-next-line no-control-regex -- stripping control characters is the point
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g, "")
    .replace(/[\\`*_{}[\]<>()#+!|~]/g, (c) => `\\${c}`)
    .replace(/@/g, "@\u200b")
    .replace(/\r?\n/g, " ")
    .trim();
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}

export function problemList(problems: Problem[]): string {
  return problems.map((p) => `- ${p.path ? `\`${p.path.replace(/`/g, "'")}\`: ` : ""}${quote(p.message, 500)}`).join("\n");
}

export function prTitle(issueNumber: number, request: AccessRequest): string {
  const what = request.request.map((i) => `${i.service} ${i.access?.join("/") ?? "actions"}`).join(", ");
  return `Access request #${issueNumber}: ${request.requester} → ${request.accounts?.join(", ") ?? request.account} (${what}, ${request.duration})`.slice(
    0,
    200,
  );
}

export interface PrBodyInput {
  issueNumber: number;
  request: AccessRequest;
  plan: Plan;
  file: string;
  approvers: string[];
  required: number;
  warnings?: Problem[];
  /** CODEOWNERS owners of the request file (they may approve too). */
  codeowners?: string[];
  /** The head commit the body describes. */
  headSha?: string;
  /** What the catalogue entry the request picked is (access-catalogue.ts `catalogueSummary`). */
  catalogue?: string;
}

/** Who may approve: the configured approvers and the file's code owners, as the merge check counts them. */
export function approverList(approvers: readonly string[], codeowners: readonly string[] = []): string {
  const all = [...new Set([...approvers, ...codeowners].map((a) => a.replace(/^@(?=[^/]+$)/, "")))];
  return all.length
    ? all.map((a) => `\`${a.replace(/`/g, "'")}\``).join(", ")
    : "nobody yet (add approvers to .github/jit-access.yml or a CODEOWNERS line for the file)";
}

export function prBody(i: PrBodyInput): string {
  const { request, plan } = i;
  const v = plan.verdict;
  const lines = [
    MARKER.intake,
    request.extends !== undefined
      ? `**${quote(request.requester)}** asks to extend **${quote(request.extends)}** by **${request.duration}**: merging moves the end of that grant; the access stays exactly as granted.`
      : plan.accounts && plan.accounts.length > 1
        ? `**${quote(request.requester)}** asks for **${request.duration}** of access to ${plan.accounts.length} accounts: ${plan.accounts.map((a) => `**${quote(a.account.alias ?? a.account.id)}**`).join(", ")} — one grant in each, all or none. The policy below is ${quote(request.account)}'s; each other account gets the same with its own account id in the ARNs, and the risk tier is the highest of them.`
        : `**${quote(request.requester)}** asks for **${request.duration}** of access to account **${quote(request.account)}**${request.starts_at !== undefined ? `, starting **${quote(request.starts_at)}**` : ""}.`,
    "",
    `> ${quote(request.reason, 1000)}`,
    "",
    ...proposedLines(request),
    ...(i.catalogue ? [i.catalogue, ""] : []),
    // "Refs" (not "Closes"/"Fixes"): merging must not close the issue — the grant does that.
    `Refs issue #${i.issueNumber}. Request file: \`${i.file}\`${i.headSha ? ` at ${i.headSha.slice(0, 7)}` : ""}.`,
    "",
    ...(plan.bundle
      ? [`### What is granted`, "", plan.explanation.summary]
      : [`### What the policy allows`, "", plan.explanation.summary, "", plan.explanation.table.trimEnd()]),
    "",
    `**Risk tier:** ${riskLabel(v.risk)} · **Generator:** \`${plan.generator}\` · **Verdict:** ${v.ok ? "✅ passes the guardrails" : "⛔ blocked"}`,
    "",
    request.starts_at !== undefined
      ? `**Start and expiry:** merging approves it but attaches nothing; the expiry sweep grants it once ${quote(request.starts_at)} has come (never before; the rules are checked again then) and it ends ${request.duration} after that time however late it starts: ${plan.bundle ? `no time condition can be stamped into an existing ${plan.bundle.ref.kind === "managed_policy" ? "managed policy" : "permission set"}, so an EventBridge Scheduler schedule removes the ${plan.bundle.ref.kind === "managed_policy" ? "attachment" : "assignment"} in AWS at that end and the expiry sweep removes anything left.` : "the policy carries `DateLessThan aws:CurrentTime` at that end, an EventBridge Scheduler schedule removes it in AWS, and the expiry sweep removes anything left."}`
      : plan.bundle
        ? `**Expiry:** the grant ends ${request.duration} after the merge. **No time condition can be stamped** into an existing ${plan.bundle.ref.kind === "managed_policy" ? "managed policy" : "permission set"}: the access ends when the EventBridge Scheduler schedule removes the ${plan.bundle.ref.kind === "managed_policy" ? "attachment" : "assignment"} in AWS at that time, or — if the schedule misses — when the expiry sweep next runs.${plan.bundle.ref.kind === "permission_set" ? " Sessions already issued last until their session duration runs out." : ""}`
        : `**Expiry:** the grant ends ${request.duration} after the merge: the policy carries \`DateLessThan aws:CurrentTime\` at that time, an EventBridge Scheduler schedule removes it in AWS, and the expiry sweep removes anything left.`,
    "",
    `**Approval:** ${i.required} approval(s) on the final commit from ${approverList(i.approvers, i.codeowners)} — not from the requester, the PR author or the last committer. Merging is the approval; the app checks it again before granting.`,
  ];
  if (v.errors.length) lines.push("", "### Why it is blocked", "", problemList(v.errors));
  const warnings = [...v.warnings, ...(i.warnings ?? [])];
  if (warnings.length) lines.push("", "### Warnings", "", problemList(warnings));
  if (!plan.bundle) lines.push("", "<details><summary>Policy JSON</summary>", "", "```json", JSON.stringify(plan.policy, null, 2), "```", "", "</details>");
  // With conditions configured, what AWS receives differs from the file's policy: show it too.
  if (plan.attached && plan.explanation.conditions.length)
    lines.push(
      "",
      "<details><summary>Policy JSON as attached (conditions stamped in; the expiry is set at merge)</summary>",
      "",
      "```json",
      JSON.stringify(plan.attached, null, 2),
      "```",
      "",
      "</details>",
    );
  return lines.join("\n").slice(0, 65_000);
}

/** For a request asked for in words: which fields the description gave, by whom, and the description itself. */
function proposedLines(request: AccessRequest): string[] {
  if (!request.proposed) return [];
  const by = request.proposed.by === "builtin/extractor" ? "the built-in extractor" : `\`${request.proposed.by.replace(/`/g, "'")}\``;
  const fields = request.proposed.fields.map((path) => {
    if (path === "catalogue") return `\`catalogue\` = ${quote(request.catalogue ?? "", 100)}`;
    const m = /^request\[(\d+)\]\.(service|resources|access|actions)$/.exec(path);
    const item = m ? request.request[Number(m[1])] : undefined;
    const value = item && m ? [item[m[2] as "service" | "resources" | "access" | "actions"] ?? []].flat().join(", ") : "";
    return `\`${path.replace(/`/g, "'")}\`${value ? ` = ${quote(value, 200)}` : ""}`;
  });
  return [
    `**Proposed from the description** by ${by}, not typed by the requester — check them against it: ${fields.join("; ")}.`,
    "",
    ...(request.description ? [`> ${quote(request.description, 1000)}`, ""] : []),
  ];
}

/** The body of the app's pull request when the file at its head cannot be planned. */
export function prBodyInvalid(i: { issueNumber: number; headSha: string; problems: Problem[] }): string {
  return [
    MARKER.intake,
    `Refs issue #${i.issueNumber}. The request at head ${i.headSha.slice(0, 7)} is **not valid**, so there is no policy to show and nothing can be granted:`,
    "",
    problemList(i.problems),
    "",
    "Fix the request (edit the issue, or push a corrected request file); this description is rewritten on every push.",
  ].join("\n");
}

export function intakeProblemsComment(problems: Problem[]): string {
  return [
    MARKER.intake,
    "This access request cannot be turned into a pull request yet. Please edit the issue and fix:",
    "",
    problemList(problems),
    "",
    "The request is checked again each time the issue is edited.",
  ].join("\n");
}

export function intakeRefusedComment(reason: string): string {
  return [MARKER.intake, `⛔ ${reason}`].join("\n");
}

export function intakeOpenedComment(prNumber: number, blocked: boolean): string {
  return [
    MARKER.intake,
    blocked
      ? `Pull request #${prNumber} holds this request, but its policy is **blocked** by the guardrails (see the failing check). Discuss there, or edit this issue.`
      : `Pull request #${prNumber} holds the proposed policy. Access is granted when an approver approves and merges it.`,
  ].join("\n");
}

/** Where the rules came from and who may approve, as the check summary states them. */
export interface RulesNote {
  branch: string;
  sha: string;
  required: number;
  approvers: readonly string[];
  codeowners?: readonly string[];
}

export function checkSummary(plan: Plan, rules?: RulesNote): { title: string; summary: string } {
  const v = plan.verdict;
  const title = v.ok ? `Passes the guardrails (risk ${v.risk})` : `Blocked: ${v.errors.length} problem(s)`;
  const parts = [plan.explanation.summary, "", plan.explanation.table];
  if (rules) {
    parts.push(
      "",
      `Judged by the rules of \`${rules.branch.replace(/`/g, "'")}\` at ${rules.sha.slice(0, 7)}: risk ${v.risk} needs ${rules.required} approval(s) from ${approverList(rules.approvers, rules.codeowners)}.`,
    );
  }
  if (v.errors.length) parts.push("", "**Errors**", "", problemList(v.errors));
  if (v.warnings.length) parts.push("", "**Warnings**", "", problemList(v.warnings));
  return { title, summary: parts.join("\n").slice(0, 65_000) };
}
