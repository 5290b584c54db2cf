// The config's condition blocks written into a grant's policy, next to its expiry. Pure.
//
// Each block takes the IAM shape AWS documents for it, chosen so that the grant only ever narrows
// and the holder's other permissions are touched as little as possible:
//   secure_transport  Allow condition  Bool aws:SecureTransport true
//   mfa               Allow condition  Bool aws:MultiFactorAuthPresent true (absent key: no match)
//   region            Allow condition  StringEquals aws:RequestedRegion, except on actions of
//                                      global services (their one endpoint is in us-east-1)
//   network           Deny statement   NotIpAddress aws:SourceIp AND StringNotEqualsIfExists
//                     (source_ip/_vpc/ aws:SourceVpc/aws:SourceVpce AND BoolIfExists aws:ViaAWSService false:
//                      _vpce)          a call is refused unless it comes from one trusted network,
//                                      and calls AWS services make on the holder's behalf (which
//                                      carry the service's address) are exempt. An Allow condition
//                                      cannot say "this network OR via a service", a Deny can.
//   s3_encryption     Deny statements  s3:PutObject (PutObject, CopyObject, multipart uploads)
//                                      unless s3:x-amz-server-side-encryption is aws:kms (and,
//                                      with a key, unless the key id header is that key's ARN):
//                                      the condition only exists for uploads, so it cannot sit on
//                                      an Allow that also grants reads.
// The Deny statements cover only the grant's own resources (and its actions, or for a long list its
// services' actions), and end at the expiry.
import { hasConditions, type GrantConditions } from "../domain/conditions.js";
import type { Condition, PolicyDocument, Statement } from "../domain/types.js";
import { globCovers } from "./glob.js";

/**
 * Services with one global endpoint, whose calls carry aws:RequestedRegion us-east-1 wherever the
 * holder works: the region block leaves their actions alone (AWS's own example exempts these).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
 */
export const GLOBAL_SERVICES: readonly string[] = [
  "budgets",
  "cloudfront",
  "globalaccelerator",
  "iam",
  "importexport",
  "networkmanager",
  "organizations",
  "route53",
  "route53domains",
  "shield",
  "sts",
  "support",
  "waf",
];
const GLOBAL = new Set(GLOBAL_SERVICES);

export const CONDITION_SIDS = {
  network: "JitDenyOutsideTrustedNetworks",
  encryption: "JitDenyUploadsWithoutKms",
  encryptionKey: "JitDenyUploadsWithOtherKey",
} as const;

/** A hand-written condition that contradicts a block: stamping cannot keep both. */
export class ConditionConflict extends Error {
  override name = "ConditionConflict";
}

const list = (v: string | string[]): string[] => (typeof v === "string" ? [v] : v);

/** Whether an action entry names a global service's action (a wildcard in the service never does). */
function isGlobalAction(action: string): boolean {
  const colon = action.indexOf(":");
  if (colon <= 0) return false;
  const service = action.slice(0, colon).toLowerCase();
  return !/[*?]/.test(service) && GLOBAL.has(service);
}

/**
 * Adds `key: values` under `operator`, AND'ed with what the statement already says: an existing
 * entry for the key (in any case) under the same operator keeps only the values both allow.
 */
function addCondition(statement: Statement, operator: string, key: string, values: string[], compare: (a: string, b: string) => boolean): void {
  const condition: Condition = statement.Condition ?? {};
  const keys = condition[operator] ?? {};
  let merged = values;
  for (const existing of Object.keys(keys)) {
    if (existing.toLowerCase() !== key.toLowerCase()) continue;
    const raw = keys[existing];
    const theirs = (Array.isArray(raw) ? raw : [raw]).map(String);
    merged = merged.filter((v) => theirs.some((t) => compare(t, v)));
    delete keys[existing];
    if (merged.length === 0) {
      throw new ConditionConflict(
        `${statement.Sid ? `statement ${statement.Sid}` : "a statement"} already requires ${operator} ${existing} ${JSON.stringify(raw)}, which contradicts the configured ${JSON.stringify(values.length === 1 ? values[0] : values)}; remove that condition from the policy`,
      );
    }
  }
  keys[key] = merged.length === 1 ? (merged[0] as string) : merged;
  condition[operator] = keys;
  statement.Condition = condition;
}

const sameBool = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const sameString = (a: string, b: string) => a === b;

/** A Sid not yet used in the policy (IAM wants them unique). */
function freshSid(base: string, used: Set<string>): string {
  let sid = base;
  for (let n = 2; used.has(sid); n++) sid = `${base}${n}`;
  used.add(sid);
  return sid;
}

/**
 * The blocks of `conditions` written into `stamped`, a policy whose Allow statements already carry
 * their expiry (stampExpiry). Returns a new policy; throws ConditionConflict when a statement's own
 * condition contradicts a block.
 */
export function applyConditions(stamped: PolicyDocument, conditions: GrantConditions, expiresAt: string): PolicyDocument {
  if (!hasConditions(conditions)) return stamped;
  const used = new Set(stamped.Statement.map((s) => s.Sid).filter((s): s is string => typeof s === "string"));
  const statements: Statement[] = [];
  for (const original of stamped.Statement) {
    if (original.Effect !== "Allow") {
      statements.push(original);
      continue;
    }
    for (const part of splitForRegion(original, conditions, used)) {
      if (conditions.secureTransport) addCondition(part.statement, "Bool", "aws:SecureTransport", ["true"], sameBool);
      if (conditions.mfa) addCondition(part.statement, "Bool", "aws:MultiFactorAuthPresent", ["true"], sameBool);
      if (part.regional && conditions.regions.length > 0) addCondition(part.statement, "StringEquals", "aws:RequestedRegion", conditions.regions, sameString);
      statements.push(part.statement);
    }
  }
  const allows = statements.filter((s) => s.Effect === "Allow");
  const until = { DateLessThan: { "aws:CurrentTime": expiresAt } };
  const network = networkCondition(conditions);
  if (network && allows.length > 0) {
    statements.push({
      Sid: freshSid(CONDITION_SIDS.network, used),
      Effect: "Deny",
      Action: one(
        networkActions(
          unique(
            allows.flatMap((s) => list(s.Action)),
            true,
          ),
        ),
      ),
      Resource: one(
        unique(
          allows.flatMap((s) => list(s.Resource)),
          false,
        ),
      ),
      Condition: { ...network, ...until },
    });
  }
  if (conditions.s3Encryption) {
    const uploads = allows.filter((s) => list(s.Action).some((a) => globCovers(a.toLowerCase(), "s3:putobject")));
    const resources = unique(
      uploads.flatMap((s) => list(s.Resource).filter(mayBeS3)),
      false,
    );
    if (resources.length > 0) {
      statements.push({
        Sid: freshSid(CONDITION_SIDS.encryption, used),
        Effect: "Deny",
        Action: "s3:PutObject",
        Resource: one(resources),
        Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" }, ...until },
      });
      const key = conditions.s3Encryption.kmsKeyArn;
      if (key !== undefined) {
        statements.push({
          Sid: freshSid(CONDITION_SIDS.encryptionKey, used),
          Effect: "Deny",
          Action: "s3:PutObject",
          Resource: one(resources),
          Condition: { StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key }, ...until },
        });
      }
    }
  }
  return { ...stamped, Statement: statements };
}

/**
 * The actions the network Deny names: the grant's own, or — when they are more than
 * NETWORK_ACTIONS_EXACT — every action of the grant's services on the grant's resources, so that
 * the Deny does not double the policy's size (the IAM managed policy quota is 6,144 characters).
 */
export const NETWORK_ACTIONS_EXACT = 8;
function networkActions(actions: string[]): string[] {
  if (actions.length <= NETWORK_ACTIONS_EXACT) return actions;
  return unique(
    actions.map((a) => {
      const colon = a.indexOf(":");
      return colon > 0 ? `${a.slice(0, colon).toLowerCase()}:*` : a;
    }),
    true,
  );
}

/** The network Deny's condition: refused unless from a trusted range, VPC or endpoint, or via a service. */
function networkCondition(c: GrantConditions): Condition | undefined {
  if (c.sourceIp.length === 0 && c.sourceVpc.length === 0 && c.sourceVpce.length === 0) return undefined;
  const out: Condition = {};
  if (c.sourceIp.length > 0) out.NotIpAddress = { "aws:SourceIp": one(c.sourceIp) };
  const vpc: Condition[string] = {};
  if (c.sourceVpc.length > 0) vpc["aws:SourceVpc"] = one(c.sourceVpc);
  if (c.sourceVpce.length > 0) vpc["aws:SourceVpce"] = one(c.sourceVpce);
  if (Object.keys(vpc).length > 0) out.StringNotEqualsIfExists = vpc;
  // IfExists: a call whose context lacks the key is treated as the holder's own (refused).
  out.BoolIfExists = { "aws:ViaAWSService": "false" };
  return out;
}

/** An Allow statement as one or two: its regional actions (region-bound) and its global ones. */
function splitForRegion(statement: Statement, c: GrantConditions, used: Set<string>): Array<{ statement: Statement; regional: boolean }> {
  if (c.regions.length === 0) return [{ statement, regional: false }];
  const actions = list(statement.Action);
  const global = actions.filter(isGlobalAction);
  if (global.length === 0) return [{ statement, regional: true }];
  if (global.length === actions.length) return [{ statement, regional: false }];
  const regional = actions.filter((a) => !isGlobalAction(a));
  const globalPart: Statement = structuredClone(statement);
  globalPart.Action = one(global);
  if (statement.Sid) globalPart.Sid = freshSid(`${statement.Sid}Global`, used);
  return [
    { statement: { ...statement, Action: one(regional) }, regional: true },
    { statement: globalPart, regional: false },
  ];
}

/** A resource entry that can name an S3 object or bucket: "*", an s3 ARN, or a pattern over the service. */
function mayBeS3(resource: string): boolean {
  if (resource === "*") return true;
  const service = resource.split(":")[2] ?? "";
  return service === "s3" || /[*?]/.test(service);
}

function unique(values: string[], foldCase: boolean): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = foldCase ? v.toLowerCase() : v;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function one(values: string[]): string | string[] {
  return values.length === 1 ? (values[0] as string) : values;
}

// ---------------------------------------------------------------------------------------------
// Request contexts that meet, or break, each block (the pipeline's simulation and the tests)

export type BlockName = "secure_transport" | "mfa" | "network" | "s3_encryption" | "region";

/** The blocks in force, in a fixed order. */
export function blocksOf(c: GrantConditions): BlockName[] {
  const out: BlockName[] = [];
  if (c.secureTransport) out.push("secure_transport");
  if (c.sourceIp.length > 0 || c.sourceVpc.length > 0 || c.sourceVpce.length > 0) out.push("network");
  if (c.mfa) out.push("mfa");
  if (c.s3Encryption) out.push("s3_encryption");
  if (c.regions.length > 0) out.push("region");
  return out;
}

/** A request context every block in force accepts: TLS, MFA, a trusted network, SSE-KMS, a region. */
export function passingContext(c: GrantConditions): Record<string, string> {
  const out: Record<string, string> = { "aws:SecureTransport": "true", "aws:MultiFactorAuthPresent": "true", "aws:ViaAWSService": "false" };
  const ip = c.sourceIp[0];
  if (ip !== undefined) out["aws:SourceIp"] = ip.slice(0, ip.indexOf("/"));
  else if (c.sourceVpc[0] !== undefined || c.sourceVpce[0] !== undefined) {
    // From inside a VPC through an endpoint: no aws:SourceIp.
    if (c.sourceVpc[0] !== undefined) out["aws:SourceVpc"] = c.sourceVpc[0];
    if (c.sourceVpce[0] !== undefined) out["aws:SourceVpce"] = c.sourceVpce[0];
  } else out["aws:SourceIp"] = "198.51.100.10";
  out["aws:RequestedRegion"] = c.regions[0] ?? "us-east-1";
  out["s3:x-amz-server-side-encryption"] = "aws:kms";
  if (c.s3Encryption?.kmsKeyArn !== undefined) out["s3:x-amz-server-side-encryption-aws-kms-key-id"] = c.s3Encryption.kmsKeyArn;
  return out;
}

const OUTSIDE_ADDRESSES = ["192.0.2.1", "198.51.100.1", "203.0.113.1", "8.8.8.8", "1.1.1.1", "2001:db8::1", "2606:4700::1111"];

/**
 * Contexts that break `block` and nothing else (each one differs from passingContext in that
 * block's keys only). Empty for a block that is off.
 */
export function failingContexts(c: GrantConditions, block: BlockName, inRange: (address: string) => boolean): Array<Record<string, string>> {
  const pass = passingContext(c);
  const without = (...keys: string[]) => Object.fromEntries(Object.entries(pass).filter(([k]) => !keys.includes(k)));
  switch (block) {
    case "secure_transport":
      return c.secureTransport ? [{ ...pass, "aws:SecureTransport": "false" }] : [];
    case "mfa":
      return c.mfa ? [{ ...pass, "aws:MultiFactorAuthPresent": "false" }, without("aws:MultiFactorAuthPresent")] : [];
    case "network": {
      if (!blocksOf(c).includes("network")) return [];
      const base = without("aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce");
      const out: Array<Record<string, string>> = [];
      const outside = OUTSIDE_ADDRESSES.find((a) => !inRange(a));
      if (outside !== undefined) out.push({ ...base, "aws:SourceIp": outside });
      out.push({ ...base, "aws:SourceVpc": "vpc-00000000000000000", "aws:SourceVpce": "vpce-00000000000000000" });
      return out;
    }
    case "s3_encryption": {
      if (!c.s3Encryption) return [];
      const out = [
        { ...pass, "s3:x-amz-server-side-encryption": "AES256" },
        without("s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
      ];
      const key = c.s3Encryption.kmsKeyArn;
      if (key !== undefined)
        out.push({
          ...pass,
          "s3:x-amz-server-side-encryption-aws-kms-key-id": `${key.slice(0, key.lastIndexOf("/") + 1)}00000000-0000-0000-0000-000000000000`,
        });
      return out;
    }
    case "region":
      return c.regions.length > 0 ? [{ ...pass, "aws:RequestedRegion": c.regions.includes("ap-south-2") ? "sa-east-1" : "ap-south-2" }] : [];
  }
}

/** Whether a block applies to a call of `action` (region leaves global services alone; encryption is for uploads). */
export function blockApplies(block: BlockName, action: string): boolean {
  if (block === "region") return !isGlobalAction(action);
  if (block === "s3_encryption") return action.toLowerCase() === "s3:putobject";
  return true;
}
