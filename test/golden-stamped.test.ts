// Golden stamped policies: golden requests (test/golden/*.request.json) planned with a config's
// `conditions:` (test/golden/stamped/*.conditions.json); the policy as attached and the blocks in
// plain words are compared with test/golden/stamped/*.stamped.json (UPDATE_GOLDEN=1 rewrites them).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { configFromObject } from "../src/domain/config.js";
import type { AccessRequest, ConditionsConfig, RequestItem } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { GOLDEN_DIR } from "./support/golden.js";

const DIR = join(GOLDEN_DIR, "stamped");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const catalogue = loadCatalogue();
const names = readdirSync(DIR)
  .filter((f) => f.endsWith(".conditions.json"))
  .map((f) => f.slice(0, -".conditions.json".length))
  .sort();

describe("golden stamped policies", () => {
  it("has examples covering every block", () => {
    const blocks = new Set(
      names.flatMap((n) => Object.keys((JSON.parse(readFileSync(join(DIR, `${n}.conditions.json`), "utf8")) as { conditions: object }).conditions)),
    );
    expect([...blocks].sort()).toEqual(["mfa", "region", "s3_encryption", "secure_transport", "source_ip", "source_vpc", "source_vpce"]);
  });

  it.each(names)("%s", (name) => {
    const spec = JSON.parse(readFileSync(join(DIR, `${name}.conditions.json`), "utf8")) as { golden: string; conditions: ConditionsConfig };
    const golden = JSON.parse(readFileSync(join(GOLDEN_DIR, `${spec.golden}.request.json`), "utf8")) as {
      ctx: { partition: string; region: string; accountId: string };
      request: RequestItem[];
    };
    // Through the config loader, so the example blocks are valid config.
    const loaded = configFromObject({
      aws: { partition: golden.ctx.partition, region: golden.ctx.region, accounts: { main: golden.ctx.accountId } },
      allowed_services: [...new Set(golden.request.map((i) => i.service))],
      conditions: spec.conditions,
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const request: AccessRequest = {
      version: 1,
      id: "1-golden",
      requester: "alice",
      account: "main",
      duration: "8h",
      reason: "golden",
      request: golden.request,
    };
    const plan = planRequest(catalogue, {
      request,
      config: loaded.value,
      accountId: golden.ctx.accountId,
      now: new Date("2026-11-27T09:00:00Z"),
      durationSeconds: 8 * 3600,
    });
    expect(plan.verdict.errors).toEqual([]);
    expect(plan.simulation.ok).toBe(true);
    const actual = `${JSON.stringify({ conditions_explained: plan.explanation.conditions, attached: plan.attached }, null, 2)}\n`;
    const file = join(DIR, `${name}.stamped.json`);
    if (UPDATE) writeFileSync(file, actual);
    expect(actual).toBe(readFileSync(file, "utf8"));
  });
});
