// Writing request files: where a request lives, and its YAML text. Reading is in request.ts.
import * as yaml from "js-yaml";
import type { AccessRequest } from "./types.js";
import { REQUESTS_DIR } from "./request.js";

/** access-requests/<account>/<YYYY>/<id>.yaml — the account folder as the request names it. */
export function requestPath(request: Pick<AccessRequest, "account" | "id">, createdAt: Date): string {
  return `${REQUESTS_DIR}/${request.account}/${createdAt.getUTCFullYear()}/${request.id}.yaml`;
}

const KEY_ORDER: Array<keyof AccessRequest> = [
  "version",
  "id",
  "requester",
  "account",
  "principal",
  "extends",
  "duration",
  "starts_at",
  "reason",
  "catalogue",
  "request",
  "description",
  "generator",
  "proposed",
  "policy",
  "status",
  "scheduled",
  "grant",
  "closed",
  "activity",
];

/** The canonical text of a request file: fixed key order, so diffs show only real changes. */
export function dumpRequest(request: AccessRequest, header?: string): string {
  const ordered: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (request[k] !== undefined) ordered[k] = request[k];
  // A field missing from KEY_ORDER is kept, after the known ones: writing never drops data.
  for (const [k, v] of Object.entries(request)) if (!Object.hasOwn(ordered, k) && v !== undefined) ordered[k] = v;
  const body = yaml.dump(ordered, { schema: yaml.CORE_SCHEMA, lineWidth: 100, noRefs: true, sortKeys: false });
  return header
    ? `${header
        .split("\n")
        .map((l) => `# ${l}`.trimEnd())
        .join("\n")}\n${body}`
    : body;
}

/**
 * Replaces (or adds) top-level fields in existing request text while keeping everything else —
 * comments, order, formatting — as the author wrote it. Only whole top-level blocks are touched.
 */
export function setTopLevelFields(text: string, fields: Partial<AccessRequest>): string {
  const names = Object.keys(fields).filter((k) => fields[k as keyof AccessRequest] !== undefined);
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    const top = /^([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(line);
    if (top) skipping = names.includes(top[1] ?? "");
    else if (skipping && line !== "" && !/^[\s#]/.test(line) && !line.startsWith("-")) skipping = false;
    if (!skipping) kept.push(line);
  }
  while (kept.length && kept[kept.length - 1] === "") kept.pop();
  const added: Record<string, unknown> = {};
  for (const n of names) added[n] = fields[n as keyof AccessRequest];
  return `${kept.join("\n")}\n${yaml.dump(added, { schema: yaml.CORE_SCHEMA, lineWidth: 100, noRefs: true })}`;
}
