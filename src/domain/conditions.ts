// The `conditions:` of the config: the building blocks every grant is stamped with (TLS only,
// trusted networks, MFA, SSE-KMS uploads, regions), their checks beyond the schema, and the
// blocks in force for one account (the repository's, each replaced by the account's own). Pure.
// How each block is written into a policy is src/policy/grant-conditions.ts.
import { problem } from "./problems.js";
import { show } from "./text.js";
import type { AccountEntry, Config, ConditionsConfig, Problem } from "./types.js";

/** The blocks in force for one grant, read from the config; an empty list means the block is off. */
export interface GrantConditions {
  secureTransport: boolean;
  mfa: boolean;
  sourceIp: string[];
  sourceVpc: string[];
  sourceVpce: string[];
  /** Set when uploads must use SSE-KMS; `kmsKeyArn` when they must name that key. */
  s3Encryption?: { kmsKeyArn?: string };
  regions: string[];
}

/** No block in force (a fresh object each time: callers may extend it). */
export function noConditions(): GrantConditions {
  return { secureTransport: false, mfa: false, sourceIp: [], sourceVpc: [], sourceVpce: [], regions: [] };
}

/** Whether any block is on. */
export function hasConditions(c: GrantConditions): boolean {
  return c.secureTransport || c.mfa || c.sourceIp.length > 0 || c.sourceVpc.length > 0 || c.sourceVpce.length > 0 || !!c.s3Encryption || c.regions.length > 0;
}

/**
 * The blocks for a grant in the account of `alias` (resolveAccount's): the repository's
 * `conditions:`, with each block the account's entry sets replacing the repository's (`false`
 * turns it off). An account the config does not list (allow_any_account) has no alias and gets
 * the repository's blocks.
 */
export function grantConditions(config: Config, alias: string | undefined): GrantConditions {
  const entry = alias !== undefined && Object.hasOwn(config.aws.accounts, alias) ? config.aws.accounts[alias] : undefined;
  return normalise({ ...(config.conditions ?? {}), ...(ownConditions(entry) ?? {}) });
}

function ownConditions(entry: string | AccountEntry | undefined): ConditionsConfig | undefined {
  return typeof entry === "object" ? entry.conditions : undefined;
}

function normalise(c: ConditionsConfig): GrantConditions {
  const list = (v: string[] | false | undefined): string[] => (Array.isArray(v) ? [...v] : []);
  const out: GrantConditions = {
    secureTransport: c.secure_transport === true,
    mfa: c.mfa === true,
    sourceIp: list(c.source_ip),
    sourceVpc: list(c.source_vpc),
    sourceVpce: list(c.source_vpce),
    regions: list(c.region),
  };
  if (c.s3_encryption === true) out.s3Encryption = {};
  else if (typeof c.s3_encryption === "object" && c.s3_encryption !== null) {
    out.s3Encryption = c.s3_encryption.kms_key_arn !== undefined ? { kmsKeyArn: c.s3_encryption.kms_key_arn } : {};
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checks beyond the schema

const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const VPCE_ID = /^vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$/;
const KMS_KEY_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):kms:([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]):(\d{12}):key\/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** Every problem of the repository's `conditions:` and of each account's. */
export function conditionsConfigProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  if (config.conditions) out.push(...blockProblems(config, config.conditions, "conditions"));
  for (const [alias, entry] of Object.entries(config.aws.accounts)) {
    const own = ownConditions(entry);
    if (own) out.push(...blockProblems(config, own, `aws.accounts.${alias}.conditions`));
  }
  return out;
}

function blockProblems(config: Config, c: ConditionsConfig, at: string): Problem[] {
  const out: Problem[] = [];
  (Array.isArray(c.source_ip) ? c.source_ip : []).forEach((cidr, i) => {
    const why = cidrProblem(cidr);
    if (why) out.push(problem("config.condition-source-ip", `${at}.source_ip[${i}] ${show(cidr)} ${why}`, `${at}.source_ip[${i}]`));
  });
  for (const [key, pattern, example] of [
    ["source_vpc", VPC_ID, "vpc-0a1b2c3d"],
    ["source_vpce", VPCE_ID, "vpce-0a1b2c3d4e5f60718"],
  ] as const) {
    const values = c[key];
    (Array.isArray(values) ? values : []).forEach((id, i) => {
      if (!pattern.test(id))
        out.push(
          problem(
            "config.condition-vpc",
            `${at}.${key}[${i}] ${show(id)} is not a ${key === "source_vpc" ? "VPC" : "VPC endpoint"} id; write it as AWS shows it, e.g. ${example}`,
            `${at}.${key}[${i}]`,
          ),
        );
    });
  }
  (Array.isArray(c.region) ? c.region : []).forEach((region, i) => {
    if (!REGION.test(region))
      out.push(
        problem("config.condition-region", `${at}.region[${i}] ${show(region)} is not an AWS region; write one such as eu-west-1`, `${at}.region[${i}]`),
      );
  });
  const key = typeof c.s3_encryption === "object" && c.s3_encryption !== null ? c.s3_encryption.kms_key_arn : undefined;
  if (key !== undefined) {
    const m = KMS_KEY_ARN.exec(key);
    const path = `${at}.s3_encryption.kms_key_arn`;
    if (!m)
      out.push(
        problem(
          "config.condition-kms-key",
          `${path} ${show(key)} is not a KMS key ARN; name the key by its full ARN, e.g. arn:${config.aws.partition}:kms:${config.aws.region}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab (S3 compares the ARN, so a key id or an alias would never match)`,
          path,
        ),
      );
    else if (m[1] !== config.aws.partition)
      out.push(problem("config.condition-kms-key", `${path} ${show(key)} is in partition ${m[1]}, but aws.partition is ${config.aws.partition}`, path));
  }
  if (c.mfa === true && config.aws.mode === "identity-center")
    out.push(
      problem(
        "config.condition-mfa-mode",
        `${at}.mfa is true but aws.mode is identity-center: Identity Center sessions never carry aws:MultiFactorAuthPresent (MFA happens at sign-in, outside IAM), so every call would be denied; require MFA in Identity Center's own settings and remove mfa`,
        `${at}.mfa`,
      ),
    );
  return out;
}

// ---------------------------------------------------------------------------------------------
// CIDR ranges

/** An address as a bigint and its width in bits (32 or 128); undefined when it is not one. */
export function parseIp(text: string): { value: bigint; bits: 32 | 128 } | undefined {
  if (text.includes(":")) return parseIpv6(text);
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(p);
  }
  return { value, bits: 32 };
}

function parseIpv6(text: string): { value: bigint; bits: 128 } | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  let value = 0n;
  for (const g of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(`0x${g}`);
  }
  return { value, bits: 128 };
}

/** A CIDR range (or a single address, which is a /32 or /128); undefined when it is not one. */
export function parseCidr(text: string): { network: bigint; prefix: number; bits: 32 | 128 } | undefined {
  const slash = text.indexOf("/");
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const rawPrefix = slash === -1 ? String(ip.bits) : text.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(rawPrefix) || Number(rawPrefix) > ip.bits) return undefined;
  return { network: ip.value, prefix: Number(rawPrefix), bits: ip.bits };
}

/** Whether `address` lies in `cidr` (both already parsed); addresses of the other family never do. */
export function cidrContains(cidr: { network: bigint; prefix: number; bits: number }, address: { value: bigint; bits: number }): boolean {
  if (cidr.bits !== address.bits) return false;
  const shift = BigInt(cidr.bits - cidr.prefix);
  return address.value >> shift === cidr.network >> shift;
}

// Ranges that never appear as aws:SourceIp: a call from inside a VPC through an endpoint carries
// aws:SourceVpc/aws:SourceVpce and no aws:SourceIp, so a private range would match nothing.
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"].map(
  (c) => parseCidr(c) as NonNullable<ReturnType<typeof parseCidr>>,
);

function cidrProblem(text: string): string | undefined {
  const cidr = parseCidr(text);
  if (!cidr || !text.includes("/")) return "is not a CIDR range; write one such as 203.0.113.0/24 or 2001:db8::/32 (a single address is 203.0.113.7/32)";
  if (cidr.prefix === 0) return "is every address, which restricts nothing; remove source_ip instead";
  const shift = BigInt(cidr.bits - cidr.prefix);
  if ((cidr.network >> shift) << shift !== cidr.network)
    return `has bits set after the /${cidr.prefix} prefix, so it is unclear which range is meant; write the network address (or /${cidr.bits} for one address)`;
  if (PRIVATE.some((p) => cidrContains(p, { value: cidr.network, bits: cidr.bits }) && cidr.prefix >= p.prefix))
    return "is a private range: calls from inside a VPC carry no aws:SourceIp (they carry aws:SourceVpc), so it would match nothing; use source_vpc or source_vpce for VPCs";
  return undefined;
}
