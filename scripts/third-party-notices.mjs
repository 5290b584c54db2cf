// The licence notices of the third-party packages esbuild put into a bundle, from its metafile.
// MIT, ISC, BSD and Apache-2.0 all ask that the notice travel with every copy, and a bundle is
// a copy: the bundles end with this text as a comment. Deterministic (sorted, paths relative) so
// the committed dist/sweep.js still equals a fresh build.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const LICENCE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/** Package folders (relative to root) of every bundled input under node_modules. */
function packageDirs(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) dirs.add(m[1]);
  }
  return [...dirs];
}

/** [{ name, version, license, text }] for the bundle's packages, sorted by name and version. */
export function bundledPackages(metafile, root) {
  const packages = [];
  for (const dir of packageDirs(metafile)) {
    const pkg = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
    const files = existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((f) => LICENCE_FILE.test(f))
          .sort()
      : [];
    const text = files
      .map((f) =>
        readFileSync(join(root, dir, f), "utf8")
          .replace(/\r\n/g, "\n")
          .trim(),
      )
      .join("\n\n");
    const license = typeof pkg.license === "string" ? pkg.license : (pkg.license?.type ?? "UNKNOWN");
    packages.push({ name: pkg.name, version: pkg.version, license, text });
  }
  // The same package may sit in several folders (nested copies of one version).
  const unique = new Map(packages.map((p) => [`${p.name}@${p.version}`, p]));
  return [...unique.values()].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name.localeCompare(b.name)));
}

/** The notices as a block comment to append to the bundle; packages sharing a text share it once. */
export function noticesComment(metafile, root) {
  const groups = new Map();
  for (const p of bundledPackages(metafile, root)) {
    const key = p.text || `(the package ships no licence file; package.json says ${p.license})`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const sections = [...groups.entries()].map(([text, ps]) => `${ps.map((p) => `${p.name}@${p.version} (${p.license})`).join("\n")}\n\n${text}`);
  const body = `Third-party software in this bundle and its licence notices:\n\n${sections.join("\n\n----------------------------------------\n\n")}`;
  // A "*/" inside a licence text would end the comment early.
  return `\n/*! ${body.replaceAll("*/", "* /")}\n*/\n`;
}
