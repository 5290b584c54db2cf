// CI's second run, under Node 24 (.ci/run): the unit tier and the e2e and faults files tagged
// node24. Which files those are, and why that is enough, is said at NODE24 in vitest.config.ts.
// `npm test` (vitest.config.ts) still runs every file.
import { defineConfig } from "vitest/config";
import base, { NODE24, TIERS, UNIT_PROJECT } from "./vitest.config.js";

const heavy = new Set([...TIERS.e2e, ...TIERS.faults]);

export default defineConfig({
  test: {
    ...base.test,
    projects: [UNIT_PROJECT, { extends: true, test: { name: "node24", include: NODE24.filter((f) => heavy.has(f)) } }],
  },
});
