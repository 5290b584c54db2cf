// Does an ARN pattern leave the name of a resource unscoped (`role/*`, `secret:???*`, `snap-*`)?
// The decision behind "dangerous when unscoped" in the guardrails and "unscoped" in the access
// report, made once here. Pure.
import { authorizedOnlyOnStar, type Catalogue } from "./catalogue.js";
import { cacheOf, remember } from "./expansion.js";

/**
 * Does granting `action` on `resource` reach every resource of its types (`*`, `role/*`,
 * `secret:???*`)? The same decision the guardrails make, for readers outside a policy check (the
 * access report). An action AWS authorizes only on `*` is unscoped by nature; an unknown action or
 * a resource that is not an ARN counts as unscoped, so a doubtful case is never shown as narrow.
 */
export function grantUnscoped(catalogue: Catalogue, action: string, resource: string): boolean {
  if (resource === "*") return true;
  const info = catalogue.action(action);
  const parts = resource.split(":");
  if (!info || !resource.startsWith("arn:") || parts.length < 6) return true;
  if (authorizedOnlyOnStar(info)) return true;
  const fields = { partition: parts[1] ?? "", region: parts[3] ?? "", account: parts[4] ?? "" };
  return remember(cacheOf(catalogue).unscoped, `${info.full}\n${resource}`, () => {
    for (const t of info.resourceTypes) {
      const rt = catalogue.resourceType(info.service, t.name.toLowerCase());
      if (rt && namesUnscoped(resource, rt.arnFormat, fields)) return true;
    }
    return /^[*?/:]+$/.test(parts.slice(5).join(":"));
  });
}

/**
 * EC2 resource ids begin with a fixed prefix and a dash (`i-`, `snap-`): placeholder of the EC2
 * ARN format → prefix. The prefix is part of every name, so `snapshot/snap-*` covers every
 * snapshot; the generator reads bare ids with the same table.
 */
export const EC2_ID_PREFIXES: Readonly<Record<string, string>> = {
  InstanceId: "i",
  VolumeId: "vol",
  SecurityGroupId: "sg",
  VpcId: "vpc",
  SubnetId: "subnet",
  ImageId: "ami",
  SnapshotId: "snap",
  NetworkInterfaceId: "eni",
  RouteTableId: "rtb",
  InternetGatewayId: "igw",
  NatGatewayId: "nat",
  LaunchTemplateId: "lt",
  NaclId: "acl",
  AllocationId: "eipalloc",
  VpcEndpointId: "vpce",
  VpcPeeringConnectionId: "pcx",
  TransitGatewayId: "tgw",
  DhcpOptionsId: "dopt",
};

/** Characters that separate the parts of a name (paths, suffixes): no narrowing on their own. */
const SEPARATOR = new Set(["-", "/", ".", "_", ":"]);

/**
 * Does the ARN pattern `pattern` leave the name unscoped for resource type `format` (an ARN format
 * such as `arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`)? It does when the pattern
 * can be lined up with the format so that every literal character of the pattern falls on a
 * literal character of the format, and every name placeholder is covered by wildcards and
 * separators only (`role/*`, `secret:???*`, `secret:*-??????`, `arn:aws:s3:::*` for an object). A
 * decision, not a sample: `???*` covers every name but the shortest, and a name of wildcards and
 * separators (`-`, `/`, `.`, `_`, `:`) fits the usual shape of every name (a secret's ARN ends
 * in `-` and six characters), so each is as wide as `*`. A letter or digit in the name scopes it,
 * except an EC2 id's own prefix (`snap-*` is every snapshot: EC2_ID_PREFIXES).
 * A pattern without wildcards names one resource. Partition, region and account are
 * filled from `fields` (they are checked to be wildcard-free elsewhere). Literal characters are
 * compared case-insensitively, so a doubtful case counts as unscoped. O(|pattern|·|format|).
 */
export function namesUnscoped(pattern: string, format: string, fields: { partition: string; region: string; account: string }): boolean {
  // The format as tokens: a literal character, or PH (a name placeholder).
  const PH = null;
  const tokens: Array<string | null> = [];
  const ec2 = format.startsWith("arn:${Partition}:ec2:");
  let last = 0;
  for (const m of format.matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
    for (const ch of format.slice(last, m.index).toLowerCase()) tokens.push(ch);
    const name = m[1] ?? "";
    const fixed = name === "Partition" ? fields.partition : name === "Region" ? fields.region : name === "Account" ? fields.account : undefined;
    const idPrefix = ec2 ? EC2_ID_PREFIXES[name] : undefined;
    if (idPrefix !== undefined) for (const ch of `${idPrefix}-`) tokens.push(ch);
    if (fixed === undefined) tokens.push(PH);
    else for (const ch of fixed.toLowerCase()) tokens.push(ch);
    last = (m.index ?? 0) + m[0].length;
  }
  for (const ch of format.slice(last).toLowerCase()) tokens.push(ch);
  if (!tokens.includes(PH)) return false; // a singleton type (e.g. the account's settings): nothing to scope
  if (!/[*?]/.test(pattern)) return false; // a literal ARN
  const p = pattern.toLowerCase();
  const n = p.length;
  const m = tokens.length;
  // State (i, j, k): pattern[0..i) lined up with tokens[0..j); k = 1 when token j is a placeholder
  // already partly covered by wildcards. Forward reachability, one pattern position at a time.
  let cur = new Uint8Array(2 * (m + 1));
  let next = new Uint8Array(2 * (m + 1));
  cur[0] = 1;
  for (let i = 0; i <= n; i++) {
    const c = p[i];
    // A `*` may also cover whole tokens without moving on in the pattern (closure over j).
    if (c === "*") {
      for (let j = 0; j < m; j++) {
        if (cur[2 * j] || cur[2 * j + 1]) cur[2 * (j + 1)] = 1;
      }
    }
    if (i === n) return cur[2 * m] === 1;
    next.fill(0);
    let any = false;
    for (let j = 0; j <= m; j++) {
      const t = tokens[j];
      for (let k = 0; k < 2; k++) {
        if (!cur[2 * j + k]) continue;
        if (c === "*") {
          next[2 * j + k] = 1; // the star ends here, covering nothing more
          any = true;
        } else if (c === "?" || SEPARATOR.has(c ?? "")) {
          // A separator is a literal: it covers itself, or a character inside a name.
          if (SEPARATOR.has(c ?? "") && k === 0 && j < m && t !== PH && t === c) {
            next[2 * (j + 1)] = 1;
            any = true;
          }
          if (j < m && t === PH) {
            next[2 * j + 1] = 1; // part of the name, more may follow
            next[2 * (j + 1)] = 1; // the rest of the name
            any = true;
          } else if (c === "?" && j < m && k === 0) {
            next[2 * (j + 1)] = 1;
            any = true;
          }
        } else if (k === 0 && j < m && t !== PH && t === c) {
          next[2 * (j + 1)] = 1;
          any = true;
        }
      }
    }
    if (!any) return false;
    [cur, next] = [next, cur];
  }
  return false;
}
