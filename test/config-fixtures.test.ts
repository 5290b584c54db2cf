// The shared test configs (test/support/config-fixtures.ts) are what the real loader makes of
// them: the base and every override pass through parseConfig/configFromObject.
import fc from "fast-check";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/domain/config.js";
import { BASE_CONFIG_YAML, TEST_ACCOUNT, configFromYaml, testConfig, withServices } from "./support/config-fixtures.js";

describe("shared test configs", () => {
  it("the base is the loader's reading of BASE_CONFIG_YAML", () => {
    const parsed = parseConfig(BASE_CONFIG_YAML);
    expect(parsed.ok && parsed.value).toEqual(testConfig());
    expect(testConfig().aws.accounts).toEqual({ prod: TEST_ACCOUNT });
  });

  it("an override equals the loader's reading of the same fields written in YAML (property)", () => {
    const overrides = fc.record(
      {
        allowed_services: fc.subarray(["s3", "iam", "sts", "events", "kms"], { minLength: 1 }),
        allowed_dangerous_actions: fc.subarray(["iam:PassRole", "iam:CreateAccessKey", "lambda:InvokeFunction"]),
        denied_actions: fc.subarray(["s3:DeleteBucket", "s3:PutLifecycle*"]),
        approvers: fc.subarray(["bob", "@acme/security"]),
        max_duration: fc.constantFrom("12h", "24h", "3d"),
        region: fc.constantFrom("us-east-1", "eu-west-1"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(overrides, ({ region, ...top }) => {
        const viaYaml = configFromYaml(yaml.dump({ aws: { mode: "iam", region: region ?? "us-east-1", accounts: { prod: TEST_ACCOUNT } }, ...top }));
        expect(testConfig({ ...top, ...(region ? { aws: { region } } : {}) })).toEqual(viaYaml);
      }),
      { numRuns: 60 },
    );
  });

  it("refuses an override the loader refuses, naming the field", () => {
    expect(() => testConfig({ default_duration: "48h" })).toThrow(/default_duration.*longer than max_duration/);
    expect(() => testConfig({ aws: { accounts: { prod: "12345" } } })).toThrow(/aws\.accounts\.prod/);
    expect(() => configFromYaml("aws:\n  mode: nope\n")).toThrow(/aws\.mode/);
  });

  it("returns a fresh object each time: a test that mutates its config changes no other", () => {
    const a = testConfig();
    a.allowed_services.push("iam");
    a.aws.accounts.other = "222222222222";
    expect(testConfig().allowed_services).not.toContain("iam");
    expect(testConfig().aws.accounts).toEqual({ prod: TEST_ACCOUNT });
  });

  it("withServices adds to the default services", () => {
    const c = testConfig(withServices("iam"));
    expect(c.allowed_services).toEqual([...testConfig().allowed_services, "iam"]);
  });
});
