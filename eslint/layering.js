// The import graph of src/, as data, and an ESLint rule that enforces it.
//
// An area is a folder under src/ (src/aws/x.ts is in "aws") or a top-level file (src/app.ts is in
// "app"). Each area lists the areas it may import. The pure core (domain, policy) imports only
// itself and the few pure packages named in CORE_PACKAGES: no adapter, no node: built-in, no SDK.
// Adapters reach each other only through a port module (PORTS): the interface another area
// implements. Composition roots (COMPOSITION) wire everything together and may import anything.
//
// EXCEPTIONS lists today's imports that break the graph, each with the reason it is still there;
// an exception that no longer occurs is itself reported, so the list can only shrink.

import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Modules that define an interface another area implements or consumes. */
export const PORTS = ["aws/types.ts", "notify/types.ts", "store/record-store.ts", "lifecycle/ports.ts"];

/** Areas that build the object graph (entry points, CLI commands); they may import any area. */
export const COMPOSITION = ["app", "action", "cli", "index", "lambda", "server", "start", "doctor", "init", "sweep/env.ts", "sweep/action.ts"];

/** Packages the pure core may import: parsing and validation only, no I/O. */
export const CORE_PACKAGES = ["js-yaml", "ajv", "ajv-formats", "@github/issue-parser"];

/** area → areas it may import (besides itself and the PORTS). */
export const ALLOWED = {
  domain: ["schemas"],
  policy: ["domain"],
  // Shared helpers at the top of src/.
  backoff: [],
  "iam-data": ["policy", "domain"],
  "package-root": [],
  secrets: [],
  "setup-notice": ["domain"],
  // Adapters.
  ai: ["domain", "policy"],
  aws: ["domain", "policy", "backoff"],
  github: ["domain", "policy", "iam-data", "package-root", "lifecycle", "backoff"],
  notify: ["domain", "policy", "backoff"],
  store: ["domain"],
  // Use cases that drive adapters through ports.
  lifecycle: ["domain", "policy"],
  report: ["domain", "policy", "iam-data"],
  sweep: ["domain", "policy", "lifecycle"],
};

/**
 * file → modules it imports against the graph, with the reason. Most are pure helpers that live in
 * an adapter's folder; moving them into domain/policy removes the exception.
 */
export const EXCEPTIONS = {
  "github/closer.ts": { "notify/expiring.ts": "EXPIRING_LABEL is a label name kept with the expiry notice" },
  "github/grant-announce.ts": { "aws/plan.ts": "storedAws is pure planning kept in aws/plan.ts" },
  "github/grant-execute.ts": { "aws/grants.ts": "GrantError is the Grants port's error type, defined next to the adapter" },
  "github/labels.ts": { "notify/expiring.ts": "EXPIRING_LABEL is a label name kept with the expiry notice" },
  "github/extend.ts": { "aws/plan.ts": "revokeTargetsOf is pure revoke planning kept in aws/plan.ts" },
  "lifecycle/start-grant.ts": {
    "aws/plan.ts": "storedAws is pure grant planning kept in aws/plan.ts",
  },
  "lifecycle/grant-accounts.ts": { "aws/grants.ts": "GrantError is the Grants port's error type, defined next to the adapter" },
  "lifecycle/close-grant.ts": { "aws/plan.ts": "NotOwnedError and revokeTargetsOf are pure revoke planning kept in aws/plan.ts" },
  "notify/github.ts": { "github/messages.ts": "quote() is pure Markdown quoting kept in github/messages.ts" },
  "report/render.ts": { "github/messages.ts": "quote() is pure Markdown quoting kept in github/messages.ts" },
  "sweep/plan.ts": {
    "aws/naming.ts": "resource names and their limits are pure, kept in aws/naming.ts",
    "aws/plan.ts": "revokeTargetOf is pure revoke planning kept in aws/plan.ts",
  },
  "sweep/run.ts": { "notify/expiring.ts": "EXPIRING_WINDOW_MS is a constant kept with the expiry notice" },
};

/** The clock is an input: the pure core takes `now` as an argument. */
export const CLOCK_SELECTORS = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: "The pure core does not read the clock: take `now` as an argument.",
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: "The pure core does not read the clock: take `now` as an argument (new Date(now)).",
  },
  { selector: "CallExpression[callee.name='Date']", message: "The pure core does not read the clock: take `now` as an argument." },
  {
    selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']",
    message: "The pure core does not read the clock: take `now` as an argument.",
  },
];

/** "src/aws/plan.ts" → { area: "aws", module: "aws/plan.ts" }; null outside src/. */
function locate(absPath) {
  const rel = relative(ROOT, absPath).split(sep).join("/");
  if (rel.startsWith("schemas/")) return { area: "schemas", module: rel };
  if (!rel.startsWith("src/")) return null;
  const module = rel.slice("src/".length).replace(/\.js$/, ".ts");
  const slash = module.indexOf("/");
  return { area: slash === -1 ? module.replace(/\.ts$/, "") : module.slice(0, slash), module };
}

const CORE = new Set(["domain", "policy"]);

function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** Why `from` may not import `spec`, or null when it may. */
function violation(from, fromFile, spec) {
  if (!spec.startsWith(".")) {
    if (!CORE.has(from.area)) return null;
    if (spec.startsWith("node:")) return `the pure core (src/${from.area}) does no I/O: "${spec}" is not allowed; pass the data or a port in`;
    if (CORE_PACKAGES.includes(packageName(spec))) return null;
    return `the pure core (src/${from.area}) imports only ${CORE_PACKAGES.join(", ")}: "${spec}" is not allowed; put the code that needs it in an adapter`;
  }
  const target = locate(resolve(dirname(fromFile), spec));
  if (!target || target.area === from.area) return null;
  if (COMPOSITION.includes(from.area) || COMPOSITION.includes(from.module)) return null;
  if (EXCEPTIONS[from.module]?.[target.module] !== undefined) return null;
  if (!CORE.has(from.area) && PORTS.includes(target.module)) return null;
  if ((ALLOWED[from.area] ?? []).includes(target.area)) return null;
  const allowed = [...(ALLOWED[from.area] ?? [])].map((a) => (a === "schemas" ? "schemas/" : `src/${a}`));
  const ports = CORE.has(from.area) ? "" : `, or a port (${PORTS.map((p) => `src/${p}`).join(", ")})`;
  return `src/${from.module} may not import src/${target.module}: src/${from.area} may import ${allowed.length ? allowed.join(", ") : "nothing outside itself"}${ports} (eslint/layering.js)`;
}

/** @type {import("eslint").Rule.RuleModule} */
const importsRule = {
  meta: { type: "problem", schema: [], docs: { description: "Enforce the import graph of src/ (eslint/layering.js)." } },
  create(context) {
    const from = locate(context.filename);
    if (!from) return {};
    const expected = EXCEPTIONS[from.module] ?? {};
    const seen = new Set();
    const check = (node, source) => {
      if (!source || typeof source.value !== "string") return;
      const spec = source.value;
      if (spec.startsWith(".")) {
        const target = locate(resolve(dirname(context.filename), spec));
        if (target) seen.add(target.module);
      }
      const why = violation(from, context.filename, spec);
      if (why) context.report({ node: source, message: why });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => (node.source.type === "Literal" ? check(node, node.source) : undefined),
      "Program:exit"(node) {
        for (const module of Object.keys(expected)) {
          if (!seen.has(module)) {
            context.report({ node, message: `src/${from.module} no longer imports src/${module}: remove the exception from EXCEPTIONS in eslint/layering.js` });
          }
        }
      },
    };
  },
};

export const layeringPlugin = { meta: { name: "layering" }, rules: { imports: importsRule } };
