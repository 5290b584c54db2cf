// The golden request set (test/golden/*.request.json), shared by tests and the benchmark.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RequestItem } from "../../src/domain/types.js";

export interface GoldenCase {
  name: string;
  ctx: { partition: string; region: string; accountId: string };
  request: RequestItem[];
}

export const GOLDEN_DIR = join(fileURLToPath(new URL(".", import.meta.url)), "..", "golden");

export function goldenCases(): GoldenCase[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith(".request.json"))
    .sort()
    .map((f) => {
      const raw = JSON.parse(readFileSync(join(GOLDEN_DIR, f), "utf8")) as Omit<GoldenCase, "name">;
      return { name: f.slice(0, -".request.json".length), ...raw };
    });
}
