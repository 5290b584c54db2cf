// The config of the request lifecycle beyond grant and revoke: how long a proposed request may
// wait for approval (pending_ttl) and how long a grant may last over its extensions
// (max_total_duration). Pure.
import { parseDuration } from "./duration.js";
import { prefixMessages } from "./problems.js";
import type { Config, Problem } from "./types.js";

export function lifecycleConfigProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  for (const field of ["pending_ttl", "max_total_duration"] as const) {
    const value = config[field];
    if (value === undefined) continue;
    const d = parseDuration(value, "config.duration-invalid", field);
    if (!d.ok) out.push(...prefixMessages(`${field}: `, d.problems));
  }
  return out;
}

/** pending_ttl in seconds (7 days when the config cannot say). */
export function pendingTtlSeconds(config: Config): number {
  const d = parseDuration(config.pending_ttl ?? "7d", "config.duration-invalid", "pending_ttl");
  return d.ok ? d.value : 7 * 86400;
}

/** The cap on a grant's chain of extensions, in seconds: max_total_duration, else max_duration. */
export function maxTotalSeconds(config: Config): number | undefined {
  const d = parseDuration(config.max_total_duration ?? config.max_duration, "config.duration-invalid", "max_total_duration");
  return d.ok ? d.value : undefined;
}
