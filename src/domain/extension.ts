// Extending an active grant: `/extend <duration> <reason>`, the linked extension request it
// creates (`extends: <id>`, the original's items and policy, the extra duration), what may be
// extended, and the record of the original once an extension is applied. An extension moves the
// end only — never the access — and the whole chain stays within max_total_duration. Pure.
import { narrowestLimit } from "./access-catalogue.js";
import { normalizeLogin } from "./approvals.js";
import { parseDuration } from "./duration.js";
import { maxTotalSeconds } from "./lifecycle-config.js";
import { fail, ok, problem, type Result } from "./problems.js";
import { show } from "./text.js";
import { isoSeconds } from "./time.js";
import type { AccessRequest, Config, GrantExtension, Problem } from "./types.js";

export interface ExtendCommand {
  duration: string;
  seconds: number;
  reason: string;
}

const USAGE = "write `/extend <duration> <reason>`, e.g. `/extend 2h the migration is still running`";

/** `/extend <duration> <reason>` on the first line; undefined when the comment is not an /extend. */
export function parseExtend(body: string): Result<ExtendCommand> | undefined {
  const first = body.replace(/\r/g, "").split("\n")[0]?.trim() ?? "";
  const m = /^\/extend(?:\s+(\S+))?(?:\s+(.*))?$/.exec(first);
  if (!m) return undefined;
  const duration = m[1] ?? "";
  const reason = (m[2] ?? "").trim().slice(0, 1000);
  if (!duration) return fail(problem("github.extend-invalid", `/extend needs a duration and a reason; ${USAGE}`));
  const d = parseDuration(duration, "github.extend-invalid", "duration");
  if (!d.ok) return fail(problem("github.extend-invalid", `/extend ${show(duration)}: ${d.problems[0]?.message ?? "not a duration"}; ${USAGE}`));
  if (d.value < 15 * 60) return fail(problem("github.extend-invalid", `/extend ${show(duration)} is shorter than the 15m minimum; ${USAGE}`));
  if (reason.length < 3) return fail(problem("github.extend-invalid", `/extend ${duration} needs a reason (at least 3 characters); ${USAGE}`));
  return ok({ duration, seconds: d.value, reason });
}

/** `<id>-ext-<k>`, shortened in the slug so that it stays a valid id (at most 64 characters). */
export function extensionId(originalId: string, k: number): string {
  const suffix = `-ext-${k}`;
  const room = 64 - suffix.length;
  const base = originalId.length > room ? originalId.slice(0, room).replace(/-+$/, "") : originalId;
  return `${base}${suffix}`;
}

/** The extension request file /extend proposes: the original's access, the extra time, the reason. */
export function extensionRequest(original: AccessRequest, cmd: ExtendCommand, k: number): AccessRequest {
  return {
    version: 1,
    id: extensionId(original.id, k),
    requester: original.requester,
    account: original.account,
    ...(original.principal ? { principal: original.principal } : {}),
    // The entry keeps the extension under the entry's approvers, eligibility and max_duration.
    ...(original.catalogue !== undefined ? { catalogue: original.catalogue } : {}),
    extends: original.id,
    duration: cmd.duration,
    reason: cmd.reason,
    ...(original.catalogue ? { catalogue: original.catalogue } : {}),
    request: structuredClone(original.request),
    ...(original.generator ? { generator: original.generator } : {}),
    ...(original.policy ? { policy: structuredClone(original.policy) } : {}),
  };
}

/** The new end: the current end plus the extra time. */
export function extendedExpiry(original: AccessRequest, seconds: number): string | undefined {
  const end = Date.parse(original.grant?.expires_at ?? "");
  return Number.isNaN(end) ? undefined : isoSeconds(end + seconds * 1000);
}

const canonical = (v: unknown) => JSON.stringify(v ?? null);

/**
 * The cap on a grant's whole chain, in seconds, and the field that sets it: max_total_duration
 * (else max_duration), and no more than the account's or the catalogue entry's max_duration —
 * those say how long a grant there may last, and an extension is the same grant. A limit that
 * cannot be read caps at nothing (undefined): nothing is extended.
 */
export function chainCap(config: Config, request: Pick<AccessRequest, "account" | "catalogue">): { seconds: number | undefined; field: string; limit: string } {
  const global = config.max_total_duration !== undefined ? "max_total_duration" : "max_duration";
  const cap = { seconds: maxTotalSeconds(config), field: global, limit: config.max_total_duration ?? config.max_duration };
  // An unreadable account or entry limit counts as 0 seconds: nothing is extended.
  const narrow = narrowestLimit(config, request);
  if (cap.seconds === undefined || !narrow || narrow.seconds >= cap.seconds) return cap;
  return { seconds: narrow.seconds, field: narrow.field, limit: narrow.max };
}

/**
 * Why `extension` may not extend `original` now (empty: it may). Checked when /extend is asked and
 * again at the merge: the original must be active and not yet past its end, the same requester,
 * account and principal; the access exactly the original's; the chain within max_total_duration.
 */
export function extensionProblems(args: {
  original: AccessRequest | undefined;
  extension: AccessRequest;
  config: Config;
  now: Date;
  seconds: number;
}): Problem[] {
  const { original, extension, config, now, seconds } = args;
  if (!original)
    return [
      problem(
        "merge.extension-target-invalid",
        `extends: ${show(extension.extends)} names no request on the default branch; extend an active request by its id`,
        "extends",
      ),
    ];
  const g = original.grant;
  if (original.status !== "active" || !g)
    return [
      problem(
        "record.not-active",
        `request ${original.id} is ${original.status ?? "proposed"}, not active: only an active grant can be extended; open a new request`,
        "extends",
      ),
    ];
  if (!(Date.parse(g.expires_at) > now.getTime()))
    return [problem("record.not-active", `request ${original.id} ended at ${g.expires_at}: an expired grant is never extended; open a new request`, "extends")];
  const out: Problem[] = [];
  if (normalizeLogin(original.requester) !== normalizeLogin(extension.requester))
    out.push(
      problem("merge.extension-target-invalid", `request ${original.id} is ${show(original.requester)}'s; only its requester may extend it`, "requester"),
    );
  if (original.account !== extension.account || (original.principal ?? original.requester) !== (extension.principal ?? extension.requester))
    out.push(
      problem(
        "merge.extension-target-invalid",
        `the extension names another account or principal than request ${original.id}; an extension changes only the end`,
        "account",
      ),
    );
  if (
    canonical(original.request) !== canonical(extension.request) ||
    canonical(original.policy) !== canonical(extension.policy) ||
    (original.catalogue ?? null) !== (extension.catalogue ?? null)
  )
    out.push(
      problem(
        "merge.extension-scope-changed",
        `the extension's request items, policy or catalogue entry differ from request ${original.id}'s; an extension changes only the end — ask for other access with a new request`,
        "request",
      ),
    );
  const cap = chainCap(config, original);
  const to = extendedExpiry(original, seconds);
  const total = to ? (Date.parse(to) - Date.parse(g.granted_at)) / 1000 : Number.POSITIVE_INFINITY;
  if (cap.seconds === undefined || !(total <= cap.seconds)) {
    out.push(
      problem(
        "merge.extension-too-long",
        `extending ${original.id} by ${extension.duration} would end it at ${to ?? "?"}, ${Math.round(total / 360) / 10}h after it was granted (${g.granted_at}); the whole chain may last at most ${cap.limit} (${cap.field}) — ask for less, or open a new request`,
        "duration",
      ),
    );
  }
  return out;
}

/** The original request with its end moved and the extension listed under grant.extensions. */
export function recordExtended(original: AccessRequest, ext: GrantExtension): Result<AccessRequest> {
  const g = original.grant;
  if (original.status !== "active" || !g)
    return fail(problem("record.not-active", `request ${original.id} is ${original.status ?? "proposed"}, not active`, "status"));
  if ((g.extensions ?? []).some((e) => e.id === ext.id))
    return fail(problem("record.illegal-transition", `extension ${ext.id} is already recorded on ${original.id}`, "grant.extensions"));
  return ok({ ...original, grant: { ...g, expires_at: ext.expires_at, extensions: [...(g.extensions ?? []), ext] } });
}
