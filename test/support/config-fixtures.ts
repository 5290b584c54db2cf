// Config objects for tests. Every one is built by the real loader: the base is YAML read by
// parseConfig, and overrides go back through configFromObject, so a test cannot hold a config the
// app would reject, and defaults come from the schema rather than from each test file.
import { configFromObject, parseConfig } from "../../src/domain/config.js";
import type { Config } from "../../src/domain/types.js";

/** The account id of the alias `prod` in the base config. */
export const TEST_ACCOUNT = "123456789012";

/** The config unit tests start from: IAM mode in us-east-1, one account `prod`, the rest default. */
export const BASE_CONFIG_YAML = `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${TEST_ACCOUNT}"
`;

/** Top-level fields replace the base's; `aws` fields are merged into the base's `aws`. */
export type ConfigOverrides = Partial<Omit<Config, "aws">> & { aws?: Partial<Config["aws"]> };

function mustLoad(result: ReturnType<typeof configFromObject>, what: string): Config {
  if (result.ok) return result.value;
  const problems = result.problems.map((p) => `${p.path || "(config)"}: ${p.message}`).join("; ");
  throw new Error(`${what} does not validate: ${problems}; fix the override or the YAML`);
}

/** A config from YAML text, through the loader; throws naming each problem. */
export function configFromYaml(text: string): Config {
  return mustLoad(parseConfig(text), "test config YAML");
}

const BASE = configFromYaml(BASE_CONFIG_YAML);

/** The base config with `overrides` applied, validated again by the loader. */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  const { aws, ...rest } = overrides;
  return mustLoad(configFromObject({ ...BASE, ...rest, aws: { ...BASE.aws, ...aws } }), `test config with overrides ${JSON.stringify(overrides)}`);
}

/** The base config's allowed_services plus `services`. */
export function withServices(...services: string[]): ConfigOverrides {
  return { allowed_services: [...BASE.allowed_services, ...services] };
}
