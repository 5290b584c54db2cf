// What an action pattern stands for in the catalogue (`s3:Get*` → the actions it matches today,
// their highest access level, whether it covers a whole service), cached per catalogue because a
// benchmark runs the guardrails thousands of times. Pure.
import type { AccessLevel } from "../domain/types.js";
import type { ActionInfo, Catalogue } from "./catalogue.js";
import { dangerousAction } from "./dangerous.js";
import { LEVEL_RANK, higherLevel } from "./risk.js";

export interface Expansion {
  actions: readonly ActionInfo[];
  maxLevel: AccessLevel | undefined;
  /** `*`, `s3:*`, or a pattern that covers every action of its service. */
  serviceWide: boolean;
  /** Computed on first use by `sample`. */
  sample?: string;
}

export interface CatalogueCache {
  expansions: Map<string, Expansion>;
  /** `${action.full}\n${resource}` → does the resource cover an arbitrary resource of the action? */
  unscoped: Map<string, boolean>;
  /** `${action.full}\n${resource}` → can the resource be one the action applies to? */
  applies: Map<string, boolean>;
  serviceNames?: string[];
}

const CACHE_LIMIT = 20000;
const caches = new WeakMap<Catalogue, CatalogueCache>();

export function cacheOf(catalogue: Catalogue): CatalogueCache {
  let c = caches.get(catalogue);
  if (!c) {
    c = { expansions: new Map(), unscoped: new Map(), applies: new Map() };
    caches.set(catalogue, c);
  }
  return c;
}

export function remember<V>(map: Map<string, V>, key: string, compute: () => V): V {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  const value = compute();
  if (map.size >= CACHE_LIMIT) map.clear(); // input-driven keys: keep memory bounded
  map.set(key, value);
  return value;
}

export function expansionOf(catalogue: Catalogue, pattern: string): Expansion {
  return remember(cacheOf(catalogue).expansions, pattern.toLowerCase(), () => {
    const wildcard = /[*?]/.test(pattern);
    let actions: ActionInfo[];
    if (!wildcard) {
      const a = catalogue.action(pattern);
      actions = a ? [a] : [];
    } else actions = catalogue.expand(pattern);
    let maxLevel: AccessLevel | undefined;
    for (const a of actions) maxLevel = higherLevel(maxLevel, a.level);
    let serviceWide = pattern === "*";
    if (!serviceWide && wildcard) {
      const colon = pattern.indexOf(":");
      const name = pattern.slice(colon + 1);
      serviceWide =
        (/^[*?]+$/.test(name) && name.includes("*")) || (actions.length > 1 && actions.length === catalogue.actionsOf(pattern.slice(0, colon)).length);
    }
    return { actions, maxLevel, serviceWide };
  });
}

export function sampleOf(e: Expansion): string {
  return (e.sample ??= sample(e.actions));
}

/** A few of the actions, the most consequential first, to say what a wildcard really grants. */
function sample(actions: readonly ActionInfo[]): string {
  const score = (a: ActionInfo) => {
    const d = dangerousAction(a.full);
    return (d ? (d.category === "privilege-escalation" ? 5 : 3) : 0) + LEVEL_RANK[a.level];
  };
  let picked: ActionInfo[] = [];
  // Partial selection: no full sort of 20,000 actions.
  for (const a of actions) {
    if (picked.length < 4) picked.push(a);
    else {
      let low = 0;
      for (let i = 1; i < picked.length; i++) if (score(picked[i] as ActionInfo) < score(picked[low] as ActionInfo)) low = i;
      if (score(a) > score(picked[low] as ActionInfo)) picked[low] = a;
    }
  }
  picked = picked.sort((x, y) => score(y) - score(x) || x.full.localeCompare(y.full));
  return `${picked.map((a) => a.full).join(", ")}${actions.length > picked.length ? ", …" : ""}`;
}
