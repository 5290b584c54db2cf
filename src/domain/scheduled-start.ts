// A scheduled start (`starts_at`): approve now, grant later. Granting at the start time needs the
// merge to record an approval without attaching and the sweep to attach when due; until both exist,
// a request that asks for a later start is refused outright, because granting it at merge would
// start the access earlier than was approved.
import { show } from "./text.js";
import type { AccessRequest, Problem } from "./types.js";

/** How far ahead a start may be asked for, once scheduled starts are granted. */
export const MAX_START_AHEAD_DAYS = 30;

/**
 * Problems with `starts_at` on a request that is still being asked for (no status, or proposed).
 * Closed records keep the field as written, and an active record is never refused here: refusing to
 * read an active record would keep the sweep from ending it.
 */
export function startsAtProblems(r: AccessRequest): Problem[] {
  if (r.starts_at === undefined) return [];
  const status = r.status ?? "proposed";
  if (status !== "proposed") return [];
  return [
    {
      code: "request.starts-at-unsupported",
      path: "starts_at",
      message: `starts_at ${show(r.starts_at)} asks for a scheduled start, which this version of jit-access does not grant (it would start the access at merge, earlier than approved); remove starts_at and open the request when the access is needed`,
    },
  ];
}
