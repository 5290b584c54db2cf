// The type-aware rules of eslint.config.js fire: each probe line in test/fixtures/lint/ that ends
// in `// fires: <rule>` is reported by exactly that rule, and no other line is reported.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PROBES = join(ROOT, "test/fixtures/lint");

describe("type-aware lint", () => {
  const files = readdirSync(PROBES).filter((f) => f.endsWith(".ts"));

  it.each(files)(
    "%s: exactly the marked lines are reported, by the marked rule",
    async (name) => {
      const path = join(PROBES, name);
      const expected = readFileSync(path, "utf8")
        .split("\n")
        .flatMap((line, i) => [...line.matchAll(/\/\/ fires: (@\S+)$/g)].map((m) => `${i + 1} ${m[1]}`));
      const eslint = new ESLint({ cwd: ROOT, ignore: false });
      const [result] = await eslint.lintFiles([path]);
      const fatal = (result?.messages ?? []).filter((m) => m.fatal);
      expect(fatal).toEqual([]);
      const found = (result?.messages ?? []).map((m) => `${m.line} ${m.ruleId}`);
      expect(found.sort()).toEqual(expected.sort());
      expect(expected.length).toBeGreaterThan(5);
    },
    60_000,
  );
});
