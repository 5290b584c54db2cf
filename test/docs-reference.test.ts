// The reference pages stay complete and their links resolve: every key of the config schema is
// named in docs/configuration.md, every command and flag of `jit-access --help` in docs/cli.md,
// and every relative link (and #anchor) of README.md and docs/*.md points at something that exists.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { commandUsages } from "../src/cli/support.js";
import { runCli } from "./support/cli.js";

const ROOT = join(import.meta.dirname, "..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
}

/** Every key path of a JSON schema: `a.b`; a map's entries are `a.*.c`. */
export function schemaKeys(node: SchemaNode, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(node.properties ?? {})) {
    out.push(prefix + k, ...schemaKeys(v, `${prefix}${k}.`));
  }
  if (node.additionalProperties && typeof node.additionalProperties === "object") out.push(...schemaKeys(node.additionalProperties, `${prefix}*.`));
  for (const alt of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) out.push(...schemaKeys(alt, prefix));
  return [...new Set(out)];
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) out.add(slug(m[1]!));
  }
  return out;
}

describe("docs/configuration.md", () => {
  const doc = read("docs/configuration.md");
  const keys = schemaKeys(JSON.parse(read("schemas/config.schema.json")) as SchemaNode);

  it("derives the keys from the schema (a sanity check of the walk)", () => {
    expect(keys).toEqual(
      expect.arrayContaining([
        "aws",
        "aws.mode",
        "aws.accounts",
        "aws.accounts.*.role_arn",
        "principals.*.sso_user",
        "required_approvals.high",
        "notifications.slack_webhook_env",
      ]),
    );
    expect(keys.length).toBeGreaterThan(25);
  });

  it.each(keys)("names `%s`", (key) => {
    // A map level is written as a placeholder: aws.accounts.<alias>.role_arn.
    const pattern = new RegExp(
      "`" +
        key
          .split(".")
          .map((part) => (part === "*" ? "<[a-z-]+>" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("\\.") +
        "`",
    );
    expect(doc, `docs/configuration.md does not name ${key}`).toMatch(pattern);
  });
});

describe("docs/cli.md", () => {
  const doc = read("docs/cli.md");
  const sections = new Map<string, string>();
  for (const part of doc.split(/^## /m).slice(1)) sections.set(part.split("\n")[0]!.trim(), part);

  it("has a section for every command `jit-access --help` lists, naming each of its flags", async () => {
    const help = await runCli(["--help"], ROOT);
    expect(help.code).toBe(0);
    const usages = commandUsages(help.stdout);
    expect([...usages.keys()]).toEqual(expect.arrayContaining(["validate", "plan", "sweep", "list", "revoke", "report", "init", "doctor", "help"]));
    for (const [command, usage] of usages) {
      const section = sections.get(command);
      expect(section, `docs/cli.md has no "## ${command}" section`).toBeDefined();
      for (const flag of new Set(usage.match(/--[a-z][a-z-]*/g) ?? []))
        expect(section, `docs/cli.md's ${command} section does not name ${flag}`).toContain(flag);
    }
  });

  it("documents every input of action.yml and every command of the Action", () => {
    const action = sections.get("The Action") ?? "";
    for (const input of ["command", "github-token", "config-path", "dry-run", "concurrency", "files-from"]) expect(action).toContain(`\`${input}\``);
    for (const command of ["sweep", "validate", "report"]) expect(action).toContain(`\`${command}\``);
  });
});

describe("README.md", () => {
  const readme = read("README.md");

  it("is short: what it is, the two commands, the flow, links to every page of docs/", () => {
    expect(readme.split("\n").length).toBeLessThan(100);
    expect(readme).toContain("npm ci && npm run demo\n");
    expect(readme).toContain("npm ci && npm test\n");
    expect(readme).toMatch(/```mermaid\n/);
    for (const page of DOCS.filter((p) => p.startsWith("docs/"))) expect(readme, `README.md does not link ${page}`).toContain(`](${page})`);
  });
});

describe("links", () => {
  const links = DOCS.flatMap((file) => {
    let fenced = false;
    const out: Array<[string, string]> = [];
    for (const line of read(file).split("\n")) {
      if (/^\s*```/.test(line)) fenced = !fenced;
      if (fenced) continue;
      for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s]+)\)/g)) if (!/^(https?:|mailto:)/.test(m[1]!)) out.push([file, m[1]!]);
    }
    return out;
  });

  it("there are relative links to check", () => expect(links.length).toBeGreaterThan(30));

  it.each(links)("%s → %s resolves", (file, link) => {
    const [path, anchor] = link.split("#") as [string, string | undefined];
    const target = path ? resolve(dirname(join(ROOT, file)), path) : join(ROOT, file);
    expect(existsSync(target), `${file} links ${link}, which does not exist`).toBe(true);
    if (anchor !== undefined && target.endsWith(".md"))
      expect([...anchors(readFileSync(target, "utf8"))], `${file} links ${link}: no such heading`).toContain(anchor);
  });
});
