// `conditions:` in the config: the checks beyond the schema (one code per block, the value named),
// and which blocks are in force for an account (the repository's, replaced block by block).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { configFromObject } from "../src/domain/config.js";
import { cidrContains, grantConditions, hasConditions, noConditions, parseCidr, parseIp } from "../src/domain/conditions.js";
import type { Config } from "../src/domain/types.js";

const IC = { mode: "identity-center", identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1234567890abcdef", identity_store_id: "d-1234567890" } };
const KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

function codes(raw: Record<string, unknown>): string[] {
  const r = configFromObject(raw);
  return r.ok ? [] : r.problems.map((p) => `${p.code} ${p.path}`);
}

function config(raw: Record<string, unknown>): Config {
  const r = configFromObject(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

describe("conditions: config checks", () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    [
      "every block, valid",
      {
        conditions: {
          secure_transport: true,
          source_ip: ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"],
          source_vpc: ["vpc-0a1b2c3d"],
          source_vpce: ["vpce-0a1b2c3d4e5f60718"],
          mfa: true,
          s3_encryption: { kms_key_arn: KEY },
          region: ["eu-west-1", "us-east-1"],
        },
      },
      [],
    ],
    ["s3_encryption: true", { conditions: { s3_encryption: true } }, []],
    ["blocks turned off", { conditions: { source_ip: false, region: false, mfa: false } }, []],
    ["not CIDR", { conditions: { source_ip: ["203.0.113.7"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["garbage", { conditions: { source_ip: ["office"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["octet > 255", { conditions: { source_ip: ["203.0.113.256/32"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["prefix too long", { conditions: { source_ip: ["203.0.113.0/33"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["every address", { conditions: { source_ip: ["0.0.0.0/0"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["every IPv6 address", { conditions: { source_ip: ["::/0"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["host bits set", { conditions: { source_ip: ["203.0.113.7/24"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["private range", { conditions: { source_ip: ["192.168.1.0/24"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["private IPv6", { conditions: { source_ip: ["fd00::/8"] } }, ["config.condition-source-ip conditions.source_ip[0]"]],
    ["second entry bad", { conditions: { source_ip: ["203.0.113.0/24", "10.1.0.0/16"] } }, ["config.condition-source-ip conditions.source_ip[1]"]],
    ["vpc id", { conditions: { source_vpc: ["vpc-XYZ"] } }, ["config.condition-vpc conditions.source_vpc[0]"]],
    ["vpce id in source_vpc", { conditions: { source_vpc: ["vpce-0a1b2c3d"] } }, ["config.condition-vpc conditions.source_vpc[0]"]],
    ["vpce id", { conditions: { source_vpce: ["vpc-0a1b2c3d"] } }, ["config.condition-vpc conditions.source_vpce[0]"]],
    ["region", { conditions: { region: ["eu-west"] } }, ["config.condition-region conditions.region[0]"]],
    ["key alias", { conditions: { s3_encryption: { kms_key_arn: "alias/reports" } } }, ["config.condition-kms-key conditions.s3_encryption.kms_key_arn"]],
    [
      "key id",
      { conditions: { s3_encryption: { kms_key_arn: "1234abcd-12ab-34cd-56ef-1234567890ab" } } },
      ["config.condition-kms-key conditions.s3_encryption.kms_key_arn"],
    ],
    [
      "key of another partition",
      { conditions: { s3_encryption: { kms_key_arn: KEY.replace("arn:aws:", "arn:aws-cn:") } } },
      ["config.condition-kms-key conditions.s3_encryption.kms_key_arn"],
    ],
    ["mfa in identity-center mode", { aws: IC, conditions: { mfa: true } }, ["config.condition-mfa-mode conditions.mfa"]],
    ["mfa off in identity-center mode", { aws: IC, conditions: { mfa: false } }, []],
    [
      "an account's own block is checked too",
      { aws: { accounts: { prod: { id: "111122223333", conditions: { source_ip: ["10.0.0.0/8"], region: ["moon-1"] } } } } },
      ["config.condition-source-ip aws.accounts.prod.conditions.source_ip[0]", "config.condition-region aws.accounts.prod.conditions.region[0]"],
    ],
    ["an empty list is refused by the schema (use false)", { conditions: { source_ip: [] } }, ["schema.shape conditions.source_ip"]],
    ["true is not a list", { conditions: { region: true } }, ["schema.shape conditions.region"]],
    ["unknown block", { conditions: { vpn: true } }, ["schema.unknown-field conditions.vpn"]],
  ])("%s", (_name, raw, expected) => {
    expect(codes(raw)).toEqual(expected);
  });

  it("messages name the value and the fix", () => {
    const r = configFromObject({ conditions: { source_ip: ["192.168.1.0/24"] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.message).toMatch(/"192\.168\.1\.0\/24".*source_vpc/);
  });
});

describe("conditions: the blocks in force for an account", () => {
  const cfg = config({
    aws: {
      accounts: {
        prod: { id: "111122223333", conditions: { region: ["eu-west-1"], source_ip: false } },
        sandbox: "444455556666",
      },
      allow_any_account: true,
    },
    conditions: { secure_transport: true, source_ip: ["203.0.113.0/24"], region: ["us-east-1"], s3_encryption: { kms_key_arn: KEY } },
  });

  it("the repository's blocks, each replaced by the account's own", () => {
    expect(grantConditions(cfg, "prod")).toEqual({
      secureTransport: true,
      mfa: false,
      sourceIp: [],
      sourceVpc: [],
      sourceVpce: [],
      s3Encryption: { kmsKeyArn: KEY },
      regions: ["eu-west-1"],
    });
    expect(grantConditions(cfg, "sandbox").sourceIp).toEqual(["203.0.113.0/24"]);
    expect(grantConditions(cfg, "sandbox").regions).toEqual(["us-east-1"]);
  });

  it("an unlisted account (no alias) gets the repository's blocks", () => {
    expect(grantConditions(cfg, undefined)).toEqual(grantConditions(cfg, "sandbox"));
  });

  it("an alias that is an inherited object property is no account", () => {
    expect(grantConditions(cfg, "constructor")).toEqual(grantConditions(cfg, undefined));
  });

  it("no conditions: nothing in force", () => {
    const plain = config({});
    expect(grantConditions(plain, undefined)).toEqual(noConditions());
    expect(hasConditions(noConditions())).toBe(false);
    expect(hasConditions(grantConditions(cfg, "prod"))).toBe(true);
  });
});

describe("CIDR arithmetic", () => {
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
  const value = (ip: string) => parseIp(ip)?.value ?? -1n;

  it("an address is in a range exactly when it agrees with the network on the prefix bits", () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.integer({ min: 0, max: 32 }), (a, n, prefix) => {
        const cidr = parseCidr(`${n}/${prefix}`);
        expect(cidr).toBeDefined();
        const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix);
        const expected = (value(a) & mask) === (value(n) & mask);
        expect(cidrContains(cidr!, parseIp(a)!)).toBe(expected);
      }),
    );
  });

  it.each([
    ["2001:db8::", "2001:0db8:0000:0000:0000:0000:0000:0000"],
    ["::1", "0:0:0:0:0:0:0:1"],
    ["2001:db8::8a2e:370:7334", "2001:db8:0:0:0:8a2e:370:7334"],
  ])("IPv6 %s reads as %s", (short, long) => {
    expect(parseIp(short)?.value).toBe(parseIp(long)?.value);
  });

  it.each(["1.2.3", "1.2.3.4.5", "01.2.3.4", "1::2::3", "2001:db8:::1", "12345::", "1:2:3:4:5:6:7:8:9", ""])("%s is not an address", (bad) => {
    expect(parseIp(bad)).toBeUndefined();
  });

  it("the families never contain each other", () => {
    expect(cidrContains(parseCidr("::/0")!, parseIp("203.0.113.1")!)).toBe(false);
  });
});
