// Break-glass: a user on the configured list approves their own urgent request with
// `/break-glass <incident-id> <reason>` on its pull request, for at most break_glass.max_duration.
// Pure: who asks, for which request, against which config; the adapter merges and the grant
// verifies the same rules again at the merge. Off unless configured.
import { parseDuration } from "../duration.js";
import { fail, ok, problem, type Result } from "../problems.js";
import { show } from "../text.js";
import type { BreakGlassConfig, Problem } from "../types.js";
import { display } from "./format.js";
import { normalizeLogin } from "./logins.js";

/** Put on the request's issue and PR, and on the review issue, of every break-glass grant. */
export const BREAK_GLASS_LABEL = "jit:break-glass";

export const BREAK_GLASS_USAGE = "/break-glass <incident-id> <reason>, e.g. /break-glass INC-1234 payments API down, restarting the queue workers";

const INCIDENT = /^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,99}$/;
/** A reason is a sentence, not a word: at least this many characters. */
export const MIN_REASON = 10;

/**
 * The command on the first line of a comment: undefined when the comment is no /break-glass
 * command; a problem when it is one but lacks its incident id or reason.
 */
export function parseBreakGlass(body: string): Result<{ incident: string; reason: string }> | undefined {
  const first = body.replace(/\r/g, "").split("\n")[0]?.trim() ?? "";
  const m = /^\/break-glass(?:\s+(\S+))?(?:\s+(.*))?$/.exec(first);
  if (!m) return undefined;
  const incident = m[1] ?? "";
  const reason = (m[2] ?? "").trim();
  if (!INCIDENT.test(incident))
    return fail(
      problem(
        "approval.break-glass-usage",
        `${incident ? `incident id ${show(incident)} is not an id (letters, digits and . _ : # / -, at most 100)` : "the incident id is missing"}; write ${BREAK_GLASS_USAGE}`,
        "incident",
      ),
    );
  if (reason.length < MIN_REASON)
    return fail(
      problem(
        "approval.break-glass-usage",
        `the reason ${reason ? `${show(reason)} is shorter than ${MIN_REASON} characters` : "is missing"}; say what is broken and why you need this access: ${BREAK_GLASS_USAGE}`,
        "reason",
      ),
    );
  return ok({ incident, reason: reason.slice(0, 500) });
}

export interface BreakGlassFacts {
  /** Who gave the command (or, at the merge, whom the app's merge names). */
  by: string;
  /** The request's requester. */
  requester: string;
  /** Who opened the request's issue: the requester, when the request is theirs. */
  issueAuthor: string | undefined;
  /** The request's duration in seconds. */
  durationSeconds: number;
}

/** Every reason break-glass may not approve this request; empty when it may. */
export function breakGlassProblems(config: BreakGlassConfig | undefined, f: BreakGlassFacts): Problem[] {
  if (!config)
    return [
      problem(
        "approval.break-glass-off",
        "break-glass is not configured in .github/jit-access.yml (break_glass.users, break_glass.max_duration); the request needs its approvals",
        "break_glass",
      ),
    ];
  const out: Problem[] = [];
  const by = normalizeLogin(f.by);
  if (!by || !config.users.some((u) => normalizeLogin(u) === by))
    out.push(
      problem(
        "approval.break-glass-not-listed",
        `${display(f.by)} is not on break_glass.users; only those users may approve their own request in an emergency — ask an approver instead`,
        "break_glass.users",
      ),
    );
  if (!by || by !== normalizeLogin(f.requester) || by !== normalizeLogin(f.issueAuthor))
    out.push(
      problem(
        "approval.break-glass-not-requester",
        `${display(f.by)} is not the requester of this request (${display(f.requester)}, issue opened by ${display(f.issueAuthor ?? "nobody")}); break-glass approves only your own request`,
        "requester",
      ),
    );
  const max = parseDuration(config.max_duration, "approval.break-glass-too-long", "break_glass.max_duration");
  if (!max.ok || f.durationSeconds > max.value)
    out.push(
      problem(
        "approval.break-glass-too-long",
        `the request asks for ${Math.round(f.durationSeconds / 60)} minutes, longer than break_glass.max_duration ${show(config.max_duration)}; shorten duration to at most ${config.max_duration} and push, then try again`,
        "duration",
      ),
    );
  return out;
}

/**
 * Re-decides a break-glass merge: the rules and the file are those the command was checked
 * against (no config change, no push after it), and the command's rules still hold.
 */
export function verifyBreakGlass(
  config: BreakGlassConfig | undefined,
  f: BreakGlassFacts,
  m: { claim: { configSha: string; blob: string }; configSha: string | undefined; headBlob: string | undefined; mergeBlob: string | undefined },
): Problem[] {
  const out: Problem[] = [];
  if (!m.configSha || m.configSha !== m.claim.configSha || !m.headBlob || m.headBlob !== m.claim.blob || m.mergeBlob !== m.claim.blob)
    out.push(
      problem(
        "approval.break-glass-changed",
        `the request file or the config changed between /break-glass and the merge (config ${m.claim.configSha.slice(0, 7)} → ${m.configSha?.slice(0, 7) ?? "none"}, file ${m.claim.blob.slice(0, 7)} → ${m.mergeBlob?.slice(0, 7) ?? "unknown"}); give /break-glass again on the request as it is now`,
        "requestFile",
      ),
    );
  out.push(...breakGlassProblems(config, f));
  return out;
}
