// The closing comment about what happened during a grant: the activity summary in plain words,
// the denied calls, the unused actions, the narrower request a next time could make, a link to
// the full log in the CloudTrail console, and what Event history cannot show. Pure. Everything
// that came from CloudTrail (event names, resource names, error codes) is quoted: a resource name
// is chosen by whoever created the resource.
import type { ActivityPrincipal } from "../domain/activity.js";
import { describeProblem } from "../domain/problems.js";
import type { AccessRequest, Problem } from "../domain/types.js";
import type { ActivitySummary } from "../policy/activity.js";
import { quote } from "./messages.js";

export const ACTIVITY_MARKER = "<!-- jit-access:activity -->";

const SERVICES_SHOWN = 15;
const ACTIONS_PER_SERVICE = 5;
const DENIED_SHOWN = 10;
const RESOURCES_SHOWN = 10;
const UNUSED_SHOWN = 20;
const LISTED_SHOWN = 10;

export interface ActivityCommentInput {
  request: Pick<AccessRequest, "request">;
  principal: ActivityPrincipal;
  accountId: string;
  region: string;
  /** The CloudTrail console's Event history, filtered like the lookup. */
  consoleUrl?: string;
  /** Trails of the account that log data events; undefined when not known. */
  dataEventTrails?: string[];
  outcome:
    | {
        ok: true;
        summary: ActivitySummary;
        window: { from: string; to: string };
        truncated?: NonNullable<AccessRequest["activity"]>["truncated"];
        /** Role mode: the sessions found. */
        sessions?: number;
      }
    | { ok: false; problems: Problem[] };
}

const code = (s: string) => `\`${s.replace(/[`\r\n]/g, "'").slice(0, 300)}\``;

function minute(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC` : quote(iso, 40);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function whoText(p: ActivityCommentInput["principal"]): string {
  if (p.kind === "iam_user") return `IAM user ${code(p.name)}`;
  if (p.kind === "sso_user") return `Identity Center user ${code(p.name)} (this grant's permission set)`;
  return `sessions of IAM role ${code(p.name)}`;
}

function listOf(items: readonly string[], shown: number): string {
  const head = items.slice(0, shown).map(code).join(", ");
  return items.length > shown ? `${head} and ${items.length - shown} more` : head;
}

/** The request line a narrower next request could use for one service: its resources, the used actions. */
function narrowerLine(service: string, actions: readonly string[], request: ActivityCommentInput["request"]): string {
  const resources = [...new Set(request.request.filter((i) => i.service === service).flatMap((i) => i.resources))];
  const res = resources.length ? resources.map((r) => r.replace(/[\r\n`]/g, "")).join(", ") : "RESOURCE";
  return `- { service: ${service}, actions: [${actions.join(", ")}], resources: [${res}] }`;
}

const BLIND_SPOT =
  "Event history holds **management events only**: data events — S3 object reads and writes (GetObject, PutObject), Lambda Invoke, DynamoDB item reads — are not in these counts; they are recorded only by a trail with data events. Events reach Event history within about 15 minutes, so the last minutes of the grant may be missing.";

function trailSentence(trails: readonly string[] | undefined): string {
  if (trails === undefined) return "Whether a trail of this account records data events could not be read.";
  if (trails.length === 0) return "No trail of this account records data events: such calls during the grant were not recorded anywhere.";
  return `${trails.length === 1 ? "The trail" : "The trails"} ${listOf(trails, 5)} ${trails.length === 1 ? "records" : "record"} data events: the object-level calls are in ${trails.length === 1 ? "its" : "their"} logs.`;
}

export function activityComment(i: ActivityCommentInput): string {
  const lines: string[] = [ACTIVITY_MARKER, "### What happened during this grant", ""];
  const link = i.consoleUrl ? `[the CloudTrail console](${i.consoleUrl})` : "the CloudTrail console";
  if (!i.outcome.ok) {
    const beyond = i.outcome.problems.some((p) => p.code === "aws.activity-beyond-horizon");
    lines.push(
      beyond
        ? `The grant ended more than 90 days ago, beyond what CloudTrail's Event history keeps, so its activity was not looked up. A trail, if the account has one, still holds it.`
        : `**Activity unavailable**: the grant's CloudTrail activity could not be read. The grant was closed all the same.`,
      "",
      ...i.outcome.problems.map((p) => `- ${quote(describeProblem(p), 500)}${p.code ? ` (${code(p.code)})` : ""}`),
      "",
      `Look the grant's window up in ${link}.`,
    );
    return `${lines.join("\n")}\n`;
  }
  const { summary: s, window } = i.outcome;
  const where = `account ${code(i.accountId)} (${quote(i.region, 40)})`;
  const sessions = i.outcome.sessions !== undefined ? ` — ${plural(i.outcome.sessions, "session")}, whoever opened them` : "";
  lines.push(
    `CloudTrail Event history for ${whoText(i.principal)}${sessions} in ${where}, ${minute(window.from)} → ${minute(window.to)}: ` +
      (s.total === 0
        ? "**no calls**."
        : `**${plural(s.total, "call")}** to ${plural(s.services.length, "service")}, **${s.deniedTotal} denied**${s.failedTotal ? `, ${s.failedTotal} failed otherwise` : ""}.`),
  );
  if (i.outcome.truncated === "max-events") lines.push("", "The lookup stopped at its event limit: the counts below are a lower bound.");
  if (i.outcome.truncated === "max-sessions") lines.push("", "The role had more sessions than are looked up: the counts below are a lower bound.");
  if (i.outcome.truncated === "horizon") lines.push("", "The grant started more than 90 days ago: only its last 90 days are counted.");
  if (i.outcome.truncated === "time-limit")
    lines.push("", "The lookup stopped at its time limit: the counts below are a lower bound; the console has the rest.");

  if (s.services.length) {
    lines.push("", "| Service | Calls | Denied | Most called |", "| --- | ---: | ---: | --- |");
    for (const svc of s.services.slice(0, SERVICES_SHOWN)) {
      const top = svc.actions
        .slice(0, ACTIONS_PER_SERVICE)
        .map((a) => `${code(a.action)} ×${a.calls}`)
        .join(", ");
      lines.push(`| ${quote(svc.service, 60)} | ${svc.calls} | ${svc.denied} | ${top}${svc.actions.length > ACTIONS_PER_SERVICE ? ", …" : ""} |`);
    }
    if (s.services.length > SERVICES_SHOWN) lines.push(`| … ${s.services.length - SERVICES_SHOWN} more | | | |`);
  }
  if (s.denied.length) {
    lines.push("", `**Denied calls** — the grant did not allow them; if they were needed, the next request should ask for them:`);
    for (const d of s.denied.slice(0, DENIED_SHOWN))
      lines.push(`- ${minute(d.at)} ${code(d.action)}${d.resource ? ` on ${code(d.resource)}` : ""} (${quote(d.errorCode, 60)})`);
    if (s.denied.length > DENIED_SHOWN) lines.push(`- … and ${s.denied.length - DENIED_SHOWN} more`);
  }
  if (s.resources.length)
    lines.push(
      "",
      `**Resources touched**: ${s.resources
        .slice(0, RESOURCES_SHOWN)
        .map((r) => `${code(r.resource)} ×${r.calls}`)
        .join(", ")}${s.resources.length > RESOURCES_SHOWN ? ` and ${s.resources.length - RESOURCES_SHOWN} more` : ""}.`,
    );
  if (s.outside.length)
    lines.push("", `**Called outside this grant** (allowed by the principal's other permissions, or denied): ${listOf(s.outside, LISTED_SHOWN)}.`);
  if (s.unmapped.length)
    lines.push("", `**Not matched to an IAM action** (sign-ins and operations the catalogue does not name): ${listOf(s.unmapped, LISTED_SHOWN)}.`);

  lines.push("");
  if (s.unused.length === 0) lines.push(`**Every granted action was used** (${plural(s.granted.length, "action")}).`);
  else lines.push(`**Granted but never used**: ${s.unused.length} of ${s.granted.length} actions — ${listOf(s.unused, UNUSED_SHOWN)}.`);
  const services = Object.keys(s.suggestion);
  if (services.length && s.unused.length) {
    lines.push(
      "",
      "**Narrower next time** — the actions used (and the companions they need), on the same resources:",
      "",
      "```yaml",
      ...services.map((svc) => narrowerLine(svc, s.suggestion[svc] ?? [], i.request)),
      "```",
    );
  } else if (!services.length && s.granted.length) {
    lines.push("", "No granted action was used: was this access needed?");
  }
  lines.push("", `The full log: ${link}.`, "", BLIND_SPOT, "", trailSentence(i.dataEventTrails));
  return `${lines.join("\n")}\n`;
}
