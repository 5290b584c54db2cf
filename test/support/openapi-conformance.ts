// Conformance to GitHub's REST API description (@octokit/openapi, api.github.com, OpenAPI 3.0):
// every request an Octokit client sends is checked against its operation's parameters and
// request body, and every JSON answer against the response schema for its status. The fake
// GitHub is our reading of GitHub's documentation; this is GitHub's own.
//
//   const checker = new ConformanceChecker();
//   const Octokit = ProbotOctokit.plugin(checker.plugin);   // every request and answer checked
//   ... checker.mismatches / checker.assertClean()
//
// Fast: the 13 MB description is parsed only when an operation is seen for the first time, and
// each operation's schemas (with the components they use, nullable turned into JSON Schema) are
// written to node_modules/.cache so later runs read a few KB per operation. Ajv compiles only the
// operations used, once per process.
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { ProbotOctokit } from "probot";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const require = createRequire(import.meta.url);
const PKG = require.resolve("@octokit/openapi/package.json");
const VERSION = (JSON.parse(readFileSync(PKG, "utf8")) as { version: string }).version;
const SPEC = join(dirname(PKG), "generated", "api.github.com.json");
// Bump CACHE_FORMAT when buildOperation / toJsonSchema change what they write.
const CACHE_FORMAT = 1;
const CACHE = join(dirname(PKG), "..", "..", ".cache", "jit-access-openapi", `${VERSION}-f${CACHE_FORMAT}`);

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Json;
}
/** One operation, self-contained: its $refs point into its own `components`. */
interface Operation {
  id: string;
  method: string;
  template: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; schema?: Json };
  /** status ("200", "4XX", "default") → JSON schema of the body, or null when it has none / is not JSON. */
  responses: Record<string, Json | null>;
  components: Json;
}
interface IndexEntry {
  method: string;
  template: string;
  id: string;
  /** Templates' parameters that may span several segments (x-multi-segment, git refs). */
  multi: string[];
}

export interface Mismatch {
  operation: string;
  /** "request" or "response <status>". */
  part: string;
  where: string;
  problems: string[];
}

let spec: Json | undefined;
function loadSpec(): Json {
  return (spec ??= JSON.parse(readFileSync(SPEC, "utf8")) as Json);
}

function cached<T>(name: string, build: () => T): T {
  const file = join(CACHE, name);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as T;
  const value = build();
  mkdirSync(CACHE, { recursive: true });
  // Several test workers may build the same entry at once: write aside, then rename (atomic).
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
  return value;
}

const METHODS = ["get", "put", "post", "patch", "delete", "head"];

function buildIndex(): IndexEntry[] {
  const paths = loadSpec().paths as Record<string, Record<string, Json>>;
  const out: IndexEntry[] = [];
  for (const [template, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...((item.parameters as unknown as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])].map(
        (p) => resolveRef(p) as unknown as Parameter & { "x-multi-segment"?: boolean },
      );
      const multi = params.filter((p) => p.in === "path" && p["x-multi-segment"]).map((p) => p.name);
      // Git refs ("heads/main") span segments too, though the description does not mark them.
      if (/\/git\/(ref|refs|matching-refs)\/\{ref\}$/.test(template)) multi.push("ref");
      out.push({ method: method.toUpperCase(), template, id: String(op.operationId), multi });
    }
  }
  return out;
}

function resolveRef(node: Json): Json {
  let n = node;
  for (let i = 0; typeof n.$ref === "string" && i < 10; i++) {
    const [, kind, name] = /^#\/components\/([^/]+)\/(.+)$/.exec(n.$ref) ?? [];
    n = ((loadSpec().components as Json)[kind!] as Json)[name!] as Json;
  }
  return n;
}

const DROP = new Set(["example", "examples", "description", "summary", "externalDocs", "discriminator", "deprecated", "title"]);

/** OpenAPI 3.0 schema → JSON Schema (draft-07) with refs kept; collects the component schemas used. */
function toJsonSchema(node: unknown, used: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, used));
  if (!node || typeof node !== "object") return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (DROP.has(k) || k.startsWith("x-")) continue;
    if (k === "$ref" && typeof v === "string") {
      const m = /^#\/components\/schemas\/(.+)$/.exec(v);
      if (m) used.add(m[1]!);
      out.$ref = v;
      continue;
    }
    out[k] =
      k === "properties" || k === "patternProperties"
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, toJsonSchema(s, used)]))
        : toJsonSchema(v, used);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === "string" && !out.$ref && !out.allOf && !out.anyOf && !out.oneOf) {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
      return out;
    }
    return { anyOf: [out, { type: "null" }] };
  }
  delete out.nullable;
  return out;
}

function buildOperation(entry: IndexEntry): Operation {
  const item = (loadSpec().paths as Record<string, Json>)[entry.template]!;
  const op = item[entry.method.toLowerCase()] as Json;
  const used = new Set<string>();
  const parameters = [...((item.parameters as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])].map((p) => {
    const r = resolveRef(p) as unknown as Parameter;
    return { name: r.name, in: r.in, required: r.required === true, ...(r.schema ? { schema: toJsonSchema(r.schema, used) as Json } : {}) };
  });
  let requestBody: Operation["requestBody"];
  if (op.requestBody) {
    const rb = resolveRef(op.requestBody as Json);
    const schema = ((rb.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
    requestBody = { required: rb.required === true, ...(schema ? { schema: toJsonSchema(schema, used) as Json } : {}) };
  }
  const responses: Record<string, Json | null> = {};
  for (const [status, raw] of Object.entries((op.responses as Json) ?? {})) {
    const r = resolveRef(raw as Json);
    const schema = ((r.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema;
    responses[status] = schema ? (toJsonSchema(schema, used) as Json) : null;
  }
  // The transitive closure of the component schemas the operation uses.
  const all = (loadSpec().components as Json).schemas as Json;
  const schemas: Json = {};
  const queue = [...used];
  while (queue.length) {
    const name = queue.pop()!;
    if (name in schemas) continue;
    const more = new Set<string>();
    schemas[name] = toJsonSchema(all[name], more);
    for (const m of more) if (!(m in schemas)) queue.push(m);
  }
  return {
    id: entry.id,
    method: entry.method,
    template: entry.template,
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
    components: { schemas },
  };
}

interface Route {
  entry: IndexEntry;
  regex: RegExp;
  names: string[];
  literals: number;
}

let routes: Route[] | undefined;
function allRoutes(): Route[] {
  if (routes) return routes;
  routes = cached<IndexEntry[]>("index.json", buildIndex).map((entry) => {
    const names: string[] = [];
    const source = entry.template
      .split("/")
      .map((seg) =>
        seg.replace(/\{([^}]+)\}|[^{}]+/g, (m, name: string | undefined) => {
          if (!name) return m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(name);
          return entry.multi.includes(name) ? "(.+)" : "([^/]+)";
        }),
      )
      .join("/");
    return { entry, regex: new RegExp(`^${source}$`), names, literals: entry.template.split("/").filter((s) => s && !s.includes("{")).length };
  });
  // The most specific template wins: /repos/{o}/{r}/pulls/{n}/files before /repos/{o}/{r}/{x}.
  routes.sort((a, b) => b.literals - a.literals || a.names.length - b.names.length);
  return routes;
}

/** The operation for a method and a decoded path, with its path parameters. */
export function findOperation(method: string, path: string): { entry: IndexEntry; params: Record<string, string> } | undefined {
  for (const r of allRoutes()) {
    if (r.entry.method !== method) continue;
    const m = r.regex.exec(path);
    if (m) return { entry: r.entry, params: Object.fromEntries(r.names.map((n, i) => [n, m[i + 1]!])) };
  }
  return undefined;
}

// Two of each: a fast validator that stops at the first error, and one that lists every error,
// compiled only when an exchange fails, for the message.
function makeAjv(allErrors: boolean, coerceTypes: boolean): Ajv {
  const a = new Ajv({ strict: false, allErrors, coerceTypes, validateFormats: true });
  addFormats(a);
  // GitHub's own format for "owner/name" (head_repo of some operations).
  a.addFormat("repo.nwo", /^[\w.-]+\/[\w.-]+$/);
  return a;
}
const ajvs = { fast: makeAjv(false, false), full: makeAjv(true, false), fastParams: makeAjv(false, true), fullParams: makeAjv(true, true) };
const operations = new Map<string, Operation>();
const validators = new Map<string, ValidateFunction>();

function operation(entry: IndexEntry): Operation {
  let op = operations.get(entry.id);
  if (!op) {
    op = cached<Operation>(`${entry.id.replace(/[^\w.-]/g, "_")}.json`, () => buildOperation(entry));
    operations.set(entry.id, op);
  }
  return op;
}

function compiled(op: Operation, part: string, schema: Json, which: keyof typeof ajvs): ValidateFunction {
  const key = `${which} ${op.id} ${part}`;
  let v = validators.get(key);
  if (!v) {
    // allOf: a root $ref with sibling keywords would be read differently by draft-07.
    v = ajvs[which].compile({ allOf: [schema], components: op.components });
    validators.set(key, v);
  }
  return v;
}

/** Validates; on failure returns the readable errors (every one, from the all-errors validator). */
function validate(op: Operation, part: string, schema: Json, data: unknown, params = false): string[] {
  if (compiled(op, part, schema, params ? "fastParams" : "fast")(data)) return [];
  const full = compiled(op, part, schema, params ? "fullParams" : "full");
  full(data);
  return describe(full);
}

function describe(v: ValidateFunction, max = 12): string[] {
  const errs = v.errors ?? [];
  // anyOf/oneOf failures repeat each branch's errors; the first few say enough.
  return errs
    .slice(0, max)
    .map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""}`);
}

/** The documented response key for a status: exact, then "4XX", then "default". */
function responseKey(op: Operation, status: number): string | undefined {
  const s = String(status);
  if (s in op.responses) return s;
  if (`${s[0]}XX` in op.responses) return `${s[0]}XX`;
  return "default" in op.responses ? "default" : undefined;
}

export interface Exchange {
  method: string;
  /** The full URL the client called. */
  url: string;
  /** Where the answer came from, when the client followed a redirect (fetch does): another host's answer, not the operation's. */
  redirectedTo?: string;
  requestBody: unknown;
  status: number;
  contentType: string;
  responseBody: unknown;
}

/** https://docs.github.com/en/graphql/guides/forming-calls-with-graphql: the request and answer envelopes. */
function graphqlProblems(x: Exchange): string[] {
  const out: string[] = [];
  if (x.method !== "POST") out.push(`GraphQL takes POST, got ${x.method}`);
  const body = x.requestBody as { query?: unknown; variables?: unknown } | null;
  if (typeof body !== "object" || body === null || typeof body.query !== "string") out.push("the body must be an object with a query string");
  else if (body.variables !== undefined && (typeof body.variables !== "object" || body.variables === null || Array.isArray(body.variables)))
    out.push("variables must be an object");
  if (x.status === 200) {
    const answer = x.responseBody as { data?: unknown; errors?: unknown } | null;
    if (typeof answer !== "object" || answer === null || (!("data" in answer) && !("errors" in answer))) out.push("a 200 answer must carry data or errors");
    else if (answer.errors !== undefined && !Array.isArray(answer.errors)) out.push("errors must be a list");
  }
  return out;
}

export class ConformanceChecker {
  readonly mismatches: Mismatch[] = [];
  /** Operations seen, for the report ("operationId" → count). */
  readonly seen = new Map<string, number>();
  /**
   * Statuses not held to the operation's list: 5xx (what tests inject on purpose), and 404,
   * which GitHub answers on every operation for what does not exist or is not visible while the
   * description lists it for only some.
   */
  readonly ignoreStatuses = new Set<number>([404, 500, 502, 503, 504]);

  check(x: Exchange): Mismatch[] {
    const found: Mismatch[] = [];
    const u = new URL(x.url);
    const path = u.pathname
      .replace(/^\/api\/v3(?=\/)/, "")
      .split("/")
      .map((s) => decodeURIComponent(s))
      .join("/");
    const where = `${x.method} ${path}${u.search}`;
    // GraphQL is outside the REST description: hold it to GraphQL's own envelope (a POST with a
    // query string and optional variables; an answer with data and/or errors).
    if (path === "/graphql") {
      const problems = graphqlProblems(x);
      if (problems.length) found.push({ operation: "graphql", part: "request", where, problems });
      this.mismatches.push(...found);
      return found;
    }
    const hit = findOperation(x.method, path);
    if (!hit) {
      found.push({ operation: "(none)", part: "request", where, problems: ["no operation in GitHub's REST API description has this method and path"] });
      this.mismatches.push(...found);
      return found;
    }
    const op = operation(hit.entry);
    this.seen.set(op.id, (this.seen.get(op.id) ?? 0) + 1);
    const problems: string[] = [];

    // Request: path and query parameters, then the JSON body.
    const query = Object.fromEntries(u.searchParams);
    for (const p of op.parameters) {
      const value = p.in === "path" ? hit.params[p.name] : p.in === "query" ? query[p.name] : undefined;
      if (p.in !== "path" && p.in !== "query") continue;
      if (value === undefined) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        continue;
      }
      if (p.schema) {
        // Parameters arrive as text: ajv coerces ("100" → 100) in place, so validate a holder object.
        const errors = validate(op, `param ${p.in} ${p.name}`, { type: "object", properties: { value: p.schema } }, { value }, true);
        if (errors.length) problems.push(`${p.in} parameter ${p.name}=${JSON.stringify(value)}: ${errors.join("; ")}`);
      }
    }
    for (const name of Object.keys(query)) {
      if (!op.parameters.some((p) => p.in === "query" && p.name === name)) problems.push(`query parameter ${name} is not documented`);
    }
    if (x.requestBody !== undefined && x.requestBody !== null && x.requestBody !== "") {
      if (!op.requestBody) problems.push("sends a body; the operation takes none");
      else if (op.requestBody.schema) {
        problems.push(...validate(op, "request", op.requestBody.schema, x.requestBody).map((e) => `body ${e}`));
      }
    } else if (op.requestBody?.required && (x.method === "POST" || x.method === "PUT" || x.method === "PATCH")) {
      problems.push("the operation requires a body; none was sent");
    }
    if (problems.length) found.push({ operation: op.id, part: "request", where, problems });

    // Response: a documented status, and the JSON body against its schema. An answer reached
    // through a redirect is the operation's only if the operation documents a redirect; its body
    // is the target's (codeload's archive for a tarball), not described here.
    if (x.redirectedTo !== undefined && x.redirectedTo !== x.url) {
      if (!Object.keys(op.responses).some((k) => /^3\d\d$/.test(k)))
        found.push({
          operation: op.id,
          part: `response ${x.status}`,
          where,
          problems: [`followed a redirect the operation does not document (to ${x.redirectedTo})`],
        });
    } else if (!this.ignoreStatuses.has(x.status)) {
      const key = responseKey(op, x.status);
      if (!key) {
        found.push({
          operation: op.id,
          part: `response ${x.status}`,
          where,
          problems: [`status ${x.status} is not documented (documented: ${Object.keys(op.responses).join(", ")})`],
        });
      } else {
        const schema = op.responses[key];
        if (schema && /json/.test(x.contentType) && x.responseBody !== undefined && x.responseBody !== "") {
          const errors = validate(op, `response ${key}`, schema, x.responseBody);
          if (errors.length) found.push({ operation: op.id, part: `response ${x.status}`, where, problems: errors });
        }
      }
    }
    this.mismatches.push(...found);
    return found;
  }

  /** An Octokit plugin: `ProbotOctokit.plugin(checker.plugin)`; checks every request and answer. */
  readonly plugin = (octokit: Pick<InstanceType<typeof ProbotOctokit>, "hook" | "request">): Record<string, never> => {
    octokit.hook.wrap("request", async (hookRequest, hookOptions) => {
      const request = hookRequest as unknown as RequestFn;
      const options = hookOptions as unknown as Json;
      // The method, the full URL and the body as they go on the wire.
      const endpoint = (octokit.request.endpoint as unknown as RequestFn["endpoint"]).parse(options);
      const body = typeof endpoint.body === "string" ? safeJson(endpoint.body) : endpoint.body;
      const record = (status: number, headers: Record<string, unknown>, data: unknown, redirectedTo?: string) => {
        // Never let the checker change what the app sees: its own failures become mismatches.
        try {
          this.check({
            method: endpoint.method,
            url: endpoint.url,
            requestBody: body,
            status,
            contentType: String(headers["content-type"] ?? ""),
            responseBody: data,
            ...(redirectedTo && redirectedTo !== endpoint.url ? { redirectedTo } : {}),
          });
        } catch (e) {
          this.mismatches.push({
            operation: "(checker)",
            part: "error",
            where: `${endpoint.method} ${endpoint.url}`,
            problems: [e instanceof Error ? (e.stack ?? e.message) : String(e)],
          });
        }
      };
      try {
        const res = await request(options);
        record(res.status, res.headers, res.data, (res as { url?: string }).url);
        return res as never;
      } catch (e) {
        const r = (e as { response?: OctokitResponse }).response;
        if (r) record(r.status, r.headers, r.data);
        throw e;
      }
    });
    return {};
  };

  /** Throws one readable error listing every mismatch (and forgets them). */
  assertClean(context = "GitHub API conformance"): void {
    if (this.mismatches.length === 0) return;
    const lines = this.mismatches.map((m) => `- ${m.where} (${m.operation}, ${m.part}):\n    ${m.problems.join("\n    ")}`);
    this.mismatches.length = 0;
    throw new Error(
      `${context}: ${lines.length} exchange(s) do not conform to GitHub's REST API description (@octokit/openapi ${VERSION}):\n${lines.join("\n")}`,
    );
  }
}

interface OctokitResponse {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}
interface RequestFn {
  (options: Json): Promise<OctokitResponse>;
  endpoint: { parse: (options: Json) => { method: string; url: string; body?: unknown } };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
