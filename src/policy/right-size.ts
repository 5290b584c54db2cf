// Right-sizing a new request from the last grant like it: when the same requester asked for the
// same service on the same resources in the same account before, and that grant's activity was
// summarised, say which of its actions were never used and offer the narrower request item (the
// actions used plus the companions they need, within what that grant had). Pure; the records are
// read by the caller. Only app-written `activity:` on closed records is used (the schema and the
// request checks keep it off anything else).
import { RECORD_USED_MAX } from "../domain/activity.js";
import type { AccessRequest, RequestItem } from "../domain/types.js";
import { grantedActions, narrowerSuggestion } from "./activity.js";
import type { Catalogue } from "./catalogue.js";

export interface RightSizing {
  service: string;
  resources: string[];
  /** The earlier grant the suggestion comes from. */
  previousId: string;
  closedAt: string;
  /** That grant's actions of this service: how many, and which were never used. */
  granted: number;
  unused: string[];
  /** The narrower request item, one line of YAML. */
  line: string;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

function itemsOf(r: AccessRequest, service: string): RequestItem[] {
  return r.request.filter((i) => i.service === service);
}

/**
 * One suggestion per service of `next` that has an earlier closed grant of the same requester,
 * account and resources with a summarised activity (the latest such grant). None when every
 * granted action was used.
 */
export function rightSize(catalogue: Catalogue, previous: readonly AccessRequest[], next: AccessRequest): RightSizing[] {
  const out: RightSizing[] = [];
  const services = [...new Set(next.request.map((i) => i.service))].sort();
  for (const service of services) {
    const resources = [...new Set(itemsOf(next, service).flatMap((i) => i.resources))];
    const candidates = previous
      .filter(
        (p) => p.id !== next.id && p.requester === next.requester && p.account === next.account && p.activity?.status === "summarised" && p.closed && p.policy,
      )
      .filter((p) => sameSet([...new Set(itemsOf(p, service).flatMap((i) => i.resources))], resources))
      .sort((a, b) => (a.closed?.at ?? "").localeCompare(b.closed?.at ?? ""));
    const last = candidates[candidates.length - 1];
    if (!last?.policy || !last.activity || !last.closed) continue;
    // A capped list cannot tell unused from unlisted: no suggestion rather than a wrong one.
    if ((last.activity.used?.length ?? 0) >= RECORD_USED_MAX) continue;
    const granted = grantedActions(catalogue, last.policy).filter((a) => a.toLowerCase().startsWith(`${service}:`));
    if (!granted.length) continue;
    const used = new Set((last.activity.used ?? []).filter((a) => a.toLowerCase().startsWith(`${service}:`)));
    const unused = granted.filter((a) => !used.has(a));
    if (!unused.length) continue;
    const narrower = narrowerSuggestion([...used].sort(), new Map(granted.map((a) => [a.toLowerCase(), a])))[service] ?? [];
    if (!narrower.length) continue; // nothing used: the question is whether to ask at all, not how narrowly
    out.push({
      service,
      resources,
      previousId: last.id,
      closedAt: last.closed.at,
      granted: granted.length,
      unused,
      line: `- { service: ${service}, actions: [${narrower.join(", ")}], resources: [${resources.join(", ")}] }`,
    });
  }
  return out;
}
