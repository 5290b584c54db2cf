// Record changes to request files. Every state change is one commit whose message is the audit
// log: a stable subject and trailers (Request-Id, Approved-By, Expires-At, Aws-Resource, Risk,
// Rule, Closed-By) that `git log --format=%(trailers)` and the report read back. Pure.
import { transition, type LifecycleEvent } from "./lifecycle.js";
import { fail, ok, prefixMessages, type Result } from "./problems.js";
import type { AccessRequest, ClosedRecord, GrantRecord, RequestStatus, ScheduledRecord } from "./types.js";

function move(request: AccessRequest, event: LifecycleEvent, patch: Partial<AccessRequest>): Result<AccessRequest> {
  const from: RequestStatus = request.status ?? "proposed";
  const t = transition(from, event);
  if (!t.ok) return fail(...prefixMessages(`${request.id}: `, t.problems));
  return ok({ ...request, ...patch, status: t.value });
}

export function recordGrant(request: AccessRequest, grant: GrantRecord): Result<AccessRequest> {
  return move(request, "approve-and-grant", { grant });
}

/** Approved for a later start: the approval is recorded, nothing is attached yet. */
export function recordScheduled(request: AccessRequest, scheduled: ScheduledRecord): Result<AccessRequest> {
  return move(request, "approve-and-schedule", { scheduled });
}

/** A scheduled request started by the sweep: the approval stays in `scheduled`, the grant joins it. */
export function recordStarted(request: AccessRequest, grant: GrantRecord): Result<AccessRequest> {
  return move(request, "start", { grant });
}

export function recordGrantFailed(request: AccessRequest, closed: ClosedRecord): Result<AccessRequest> {
  return move(request, "grant-failed", { closed });
}

export function recordRejected(request: AccessRequest, closed: ClosedRecord): Result<AccessRequest> {
  return move(request, "reject", { closed });
}

export function recordExpired(request: AccessRequest, closed: ClosedRecord): Result<AccessRequest> {
  return move(request, "expire", { closed });
}

/** An approved extension request, spent: it moved its grant's expiry and has no grant of its own. */
export function recordExtensionApplied(request: AccessRequest, closed: ClosedRecord): Result<AccessRequest> {
  return move(request, "apply-extension", { closed });
}

export function recordRevoked(request: AccessRequest, closed: ClosedRecord): Result<AccessRequest> {
  return move(request, "revoke", { closed });
}

export interface Trailers {
  "Request-Id": string;
  "Approved-By"?: string[];
  "Expires-At"?: string;
  /** A scheduled start: when the sweep grants it. */
  "Starts-At"?: string;
  "Aws-Resource"?: string[];
  "Closed-By"?: string;
  /** The risk tier the request was judged at (low, medium, high). */
  Risk?: string;
  /** The codes of the rules that refused or closed it (ProblemCode), one trailer each. */
  Rule?: string[];
  /** An auto-approved grant: the rule, the config blob it was read from, the facts it matched (key=value). */
  "Auto-Approve-Rule"?: string;
  /** Who an auto-approved grant is for: the caps are counted from these commits. */
  Requester?: string;
  "Config-Sha"?: string;
  Matched?: string[];
  /** A break-glass grant: who approved their own request, for which incident. */
  "Break-Glass-By"?: string;
  "Break-Glass-Incident"?: string;
  /** What a merge of identities/ changed in AWS, one trailer per change. */
  "Identity-Change"?: string[];
}

/** One line per trailer value; newlines in values are flattened so trailers cannot be forged. */
export function commitMessage(subject: string, body: string | undefined, trailers: Trailers): string {
  const flat = (v: string) => v.replace(/[\r\n]+/g, " ").trim();
  const lines: string[] = [`Request-Id: ${flat(trailers["Request-Id"])}`];
  for (const a of trailers["Approved-By"] ?? []) lines.push(`Approved-By: ${flat(a)}`);
  if (trailers["Starts-At"]) lines.push(`Starts-At: ${flat(trailers["Starts-At"])}`);
  if (trailers["Expires-At"]) lines.push(`Expires-At: ${flat(trailers["Expires-At"])}`);
  for (const r of trailers["Aws-Resource"] ?? []) lines.push(`Aws-Resource: ${flat(r)}`);
  if (trailers["Closed-By"]) lines.push(`Closed-By: ${flat(trailers["Closed-By"])}`);
  if (trailers.Risk) lines.push(`Risk: ${flat(trailers.Risk)}`);
  for (const r of trailers.Rule ?? []) lines.push(`Rule: ${flat(r)}`);
  for (const k of ["Auto-Approve-Rule", "Requester", "Config-Sha", "Break-Glass-By", "Break-Glass-Incident"] as const)
    if (trailers[k]) lines.push(`${k}: ${flat(trailers[k])}`);
  for (const m of trailers.Matched ?? []) lines.push(`Matched: ${flat(m)}`);
  for (const c of trailers["Identity-Change"] ?? []) lines.push(`Identity-Change: ${flat(c)}`);
  const text = body ? `\n\n${body.replace(/\r/g, "").replace(/^([A-Za-z-]+):/gm, "$1 -")}` : "";
  return `${flat(subject).slice(0, 100)}${text}\n\n${lines.join("\n")}\n`;
}

/** The trailer block of a commit message (the last paragraph of `Key: value` lines). */
export function parseTrailers(message: string): Record<string, string[]> {
  const text = (message.includes("\r") ? message.replace(/\r/g, "") : message).trim();
  const out: Record<string, string[]> = {};
  // Line by line from the start of the last paragraph: the report reads this for every commit of
  // a long history, so the message is not split into paragraphs first.
  let start = lastParagraphStart(text);
  for (;;) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    const colon = trailerKeyEnd(text, start, end);
    if (colon < 0) return {};
    const key = text.slice(start, colon);
    (out[key] ??= []).push(text.slice(colon + 2, end));
    if (nl < 0) return out;
    start = nl + 1;
  }
}

/**
 * Where the line text[start, end) matches /^([A-Za-z][A-Za-z0-9-]*): (.*)$/, the end of its key;
 * else -1. Checked character by character, without a match object per line.
 */
function trailerKeyEnd(text: string, start: number, end: number): number {
  if (start >= end || !isLetter(text.charCodeAt(start))) return -1;
  let k = start + 1;
  while (k < end && isKeyChar(text.charCodeAt(k))) k++;
  if (k + 1 >= end || text.charCodeAt(k) !== 58 || text.charCodeAt(k + 1) !== 32) return -1;
  // `.` matches any character but line terminators.
  for (let j = k + 2; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === 13 || c === 0x2028 || c === 0x2029) return -1;
  }
  return k;
}

const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isKeyChar = (c: number) => isLetter(c) || (c >= 48 && c <= 57) || c === 45;
const SPACE = /\s/;

/**
 * Where the last piece of `text.split(/\n\s*\n/)` starts: after the last newline that follows
 * another newline with only whitespace between them.
 */
function lastParagraphStart(text: string): number {
  for (let j = text.lastIndexOf("\n"); j > 0; j = text.lastIndexOf("\n", j - 1)) {
    let k = j - 1;
    while (k >= 0 && text.charCodeAt(k) !== 10 && SPACE.test(text.charAt(k))) k--;
    if (k >= 0 && text.charCodeAt(k) === 10) return j + 1;
  }
  return 0;
}

/**
 * The status a record's text declares at the top level ("proposed" when it has none), read
 * without a full parse: enough to tell "already handled" from "still to do".
 */
export function recordStatus(text: string): string {
  return /^status:\s*([a-z-]+)\s*$/m.exec(text)?.[1] ?? "proposed";
}
