// Catalogue checks: is an action one AWS has, in a service this repository allows, not denied by
// its config, and not a wildcard that grants more than a person can review. Pure.

import { CONFIG_PATH } from "../domain/config.js";
import { cacheOf, expansionOf, sampleOf, type Expansion } from "./expansion.js";
import { dangerousAction } from "./dangerous.js";
import type { Check, ParsedAction } from "./findings.js";
import type { ActionName } from "./grammar.js";
import { globCovers } from "./glob.js";
import { closest, listSome, plural, q } from "./wording.js";

/**
 * What an action name stands for in the catalogue, for an Allow (errors) or a Deny (warnings: a
 * Deny of nothing narrows nothing): `*` and whole-service wildcards are refused, an unknown service
 * or action gets the nearest real one, a service outside allowed_services or an action in
 * denied_actions is refused, and a narrower wildcard is spelt out.
 */
export function catalogueAction(check: Check, name: ActionName, path: string, isAllow: boolean): ParsedAction | undefined {
  const { raw: value, service } = name;
  if (name.service === "*") {
    if (!isAllow) return undefined; // Deny "*" only narrows
    const all = expansionOf(check.catalogue, "*");
    check.noteLevel(all.maxLevel);
    check.dangerous = true;
    check.error(
      "guardrail.wildcard-action",
      path,
      `"*" grants every AWS action: the wildcard grants ${plural(all.actions.length, "action")} incl. ${sampleOf(all)}; list only the actions you need`,
    );
    return undefined;
  }
  if (!check.catalogue.hasService(service)) {
    const cache = cacheOf(check.catalogue);
    cache.serviceNames ??= check.catalogue.services();
    const guess = closest(service, cache.serviceNames);
    (isAllow ? check.error : check.warn).call(
      check,
      "guardrail.unknown-service",
      path,
      `unknown service ${q(service)} in ${q(value)}${guess ? `; did you mean "${guess}"?` : ""} — use a service prefix from the AWS Service Authorization Reference`,
    );
    return undefined;
  }
  if (isAllow && !check.cfg.services.has(service)) {
    check.error(
      "guardrail.service-not-allowed",
      path,
      `${q(value)}: service "${service}" is not in allowed_services (${listSome([...check.cfg.services], 20) || "none"}); remove the action, or ask an admin to add "${service}" to allowed_services in ${CONFIG_PATH}`,
    );
  }
  const expansion = expansionOf(check.catalogue, value);
  const wildcard = /[*?]/.test(value);
  if (expansion.actions.length === 0) {
    const guess = wildcard
      ? undefined
      : closest(
          name.name ?? "",
          check.catalogue.actionsOf(service).map((a) => a.name),
        );
    const msg = wildcard
      ? `the wildcard ${q(value)} matches no action of ${service}; check the spelling`
      : `unknown action ${q(value)}: ${service} has no action named ${q(name.name)}${guess ? `; did you mean "${service}:${guess}"?` : ""}`;
    if (isAllow) check.error("guardrail.unknown-action", path, msg);
    else check.warn("guardrail.unknown-action", path, `${msg} (this Deny has no effect for it)`);
    return undefined;
  }
  if (!isAllow) return { path, raw: value, expansion };
  check.noteLevel(expansion.maxLevel);
  if (expansion.serviceWide) {
    if (expansion.actions.some((a) => dangerousAction(a.full))) check.dangerous = true;
    check.error(
      "guardrail.wildcard-action",
      path,
      `${q(value)} grants every ${service} action: the wildcard grants ${plural(expansion.actions.length, "action")} incl. ${sampleOf(expansion)}; list only the actions you need`,
    );
    return undefined;
  }
  if (wildcard) {
    check.warn(
      "guardrail.wildcard-expands",
      path,
      `${q(value)} expands to ${plural(expansion.actions.length, "action")} (${listSome(
        expansion.actions.map((a) => a.full),
        6,
      )}); AWS actions added later that match it would be granted too — prefer listing the actions`,
    );
  }
  denied(check, path, value, expansion);
  return { path, raw: value, expansion };
}

function denied(check: Check, path: string, raw: string, expansion: Expansion): void {
  if (check.cfg.denied.length === 0) return;
  const hits: string[] = [];
  const patterns = new Set<string>();
  for (const a of expansion.actions) {
    const lower = a.full.toLowerCase();
    const p = check.cfg.denied.find(([, d]) => globCovers(d, lower));
    if (p !== undefined) {
      hits.push(a.full);
      patterns.add(p[0]);
    }
  }
  if (hits.length === 0) return;
  const what = hits.length === 1 && hits[0]?.toLowerCase() === raw.toLowerCase() ? q(raw) : `${q(raw)} grants ${listSome(hits)}, which`;
  check.error(
    "guardrail.denied-action",
    path,
    `${what} is forbidden by denied_actions (${[...patterns].map((p) => q(p)).join(", ")}) in ${CONFIG_PATH}; remove it`,
  );
}
