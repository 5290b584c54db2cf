// summarize reads each top-level line in place, character by character. Here it is held to the
// regular-expression reading of the same lines (TOP_KEY, String.prototype.trim, /^[&!*%@`]/ and the
// closing-bracket check) on real records edited with the characters those expressions treat
// specially: every kind of Unicode white space trim removes, the line separators `.` does not
// match, quotes, brackets, anchors and tags, at the start or end of a value.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, RequestStatus } from "../src/domain/types.js";
import { isTrimSpace, summarize, type RecordSummary } from "../src/sweep/plan.js";
import { testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const ID = /^[1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*$/;
const STATUSES: readonly RequestStatus[] = ["proposed", "active", "expired", "revoked", "rejected", "failed"];
const TOP_KEY = /^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$/;
const CLOSE: Readonly<Record<string, string>> = { '"': '"', "'": "'", "[": "]", "{": "}" };
const TIMESTAMP = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z`;
const GRANT_EXPIRES = new RegExp(`^ {2}expires_at: (?:'(${TIMESTAMP})'|(${TIMESTAMP}))$`, "gm");

/** summarize with each top-level line matched by TOP_KEY and its value trimmed and tested by regular expression. */
function byRegex(path: string, text: string): RecordSummary | undefined {
  if (text.length > 65_536 || text.includes("\t") || text.includes("\r")) return undefined;
  let ids = 0;
  let statuses = 0;
  let idValue = "";
  let statusValue = "";
  let idEnd = 0;
  let statusEnd = 0;
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    const first = text.charCodeAt(start);
    if (end > start && first !== 32 && first !== 35) {
      const m = TOP_KEY.exec(text.slice(start, end));
      if (!m) return undefined;
      const v = (m[2] ?? "").trim();
      if (/^[&!*%@`]/.test(v)) return undefined;
      const want = CLOSE[v.charAt(0)];
      if (want && (v.length < 2 || !v.endsWith(want))) return undefined;
      if (m[1] === "id") {
        ids++;
        idValue = m[2] ?? "";
        idEnd = end;
      } else if (m[1] === "status") {
        statuses++;
        statusValue = m[2] ?? "";
        statusEnd = end;
      }
    }
    start = end + 1;
  }
  const value = (raw: string): string => raw.replace(/ +#.*$/, "").trim();
  const id = ids === 1 ? value(idValue) : undefined;
  const status = statuses === 1 ? value(statusValue) : statuses === 0 ? "proposed" : undefined;
  if (!id || !ID.test(id) || !path.endsWith(`/${id}.yaml`) || !status || !STATUSES.includes(status as RequestStatus)) return undefined;
  if (continues(text, idEnd, 0) || (statuses === 1 && continues(text, statusEnd, 0))) return undefined;
  if (status !== "active") return { id, status: status as RequestStatus };
  const grantAt = text.search(/^grant:$/m);
  const expires = [...text.matchAll(GRANT_EXPIRES)].filter((m) => (m.index ?? 0) > grantAt && grantAt >= 0);
  const next = grantAt >= 0 ? text.slice(grantAt + 7).search(/^\S/m) : -1;
  const inGrant = expires.filter((m) => next < 0 || (m.index ?? 0) < grantAt + 7 + next);
  const only = inGrant.length === 1 ? inGrant[0] : undefined;
  if (!only || continues(text, (only.index ?? 0) + only[0].length, 2)) return undefined;
  return { id, status: "active", expires_at: (only[1] ?? only[2]) as string };
}

function continues(text: string, end: number, indent: number): boolean {
  for (let start = end + 1; start < text.length;) {
    const nl = text.indexOf("\n", start);
    const stop = nl < 0 ? text.length : nl;
    let spaces = 0;
    while (start + spaces < stop && text.charCodeAt(start + spaces) === 32) spaces++;
    if (start + spaces < stop) return spaces > indent;
    start = stop + 1;
  }
  return false;
}

const PATH = "access-requests/prod/2026/1234-bench.yaml";
function record(status: RequestStatus): string {
  const base = testRequest({ id: "1234-bench", requester: "alice", policy: testPolicy("b") });
  const grant = {
    approved_by: ["bob"],
    merge_commit: "c".repeat(40),
    granted_at: "2026-11-27T04:00:00Z",
    expires_at: "2026-11-27T12:00:00Z",
    aws: { mode: "iam" as const, account_id: "111111111111", resources: ["arn:aws:iam::111111111111:policy/jit-access/jit-1234-bench"] },
  };
  const r: AccessRequest =
    status === "proposed"
      ? base
      : { ...base, status, grant, ...(status === "active" ? {} : { closed: { at: "2026-11-27T12:00:00Z", reason: `${status} for the test` } }) };
  return dumpRequest(r, "Written by jit-access.");
}

/** Every code unit String.prototype.trim removes, a few it keeps, and the line separators. */
const SPACES = ["\u0020", "\u00a0", "\u1680", "\u2000", "\u200a", "\u202f", "\u205f", "\u3000", "\ufeff", "\u000b", "\u000c", "\u2028", "\u2029"];
const KEPT = ["\u0085", "\u180e", "\u200b", "\u0000", "é"];
const SPECIAL = ["&", "!", "*", "%", "@", "`", '"', "'", "[", "]", "{", "}", ":", "#", "-", "_", "0", "a", "Z"];

describe("summarize's in-place reading of top-level lines", () => {
  it("isTrimSpace is what String.prototype.trim removes, for every UTF-16 code unit", () => {
    const wrong: number[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isTrimSpace(c) !== (String.fromCharCode(c).trim() === "")) wrong.push(c);
    expect(wrong).toEqual([]);
  });

  it.each([
    ["a value of no-break spaces", "id: 1234-bench\nstatus: expired\nreason: \u00a0\u3000\n"],
    ["a quote closed after trailing ideographic space", "id: 1234-bench\nstatus: expired\nreason: 'x'\u3000\n"],
    ["a bracket opened after a BOM", "id: 1234-bench\nstatus: expired\nreason: \ufeff[x\n"],
    ["a tag after a no-break space", "id: 1234-bench\nstatus: expired\nreason: \u00a0!x\n"],
    ["a line separator in a value", "id: 1234-bench\nstatus: expired\nreason: a\u2028b\n"],
    ["a line separator in an indented line only", "id: 1234-bench\nstatus: expired\nreason:\n  a\u2028b\n"],
    ["a paragraph separator ending the status", "id: 1234-bench\nstatus: expired\u2029\n"],
    ["a key with a digit first", "id: 1234-bench\nstatus: expired\n1x: y\n"],
    ["a key with a dash", "id: 1234-bench\nstatus: expired\nx-y: z\n"],
    ["a colon with no space", "id: 1234-bench\nstatus: expired\nx:y\n"],
    ["a colon and one space", "id: 1234-bench\nstatus: expired\nx: \n"],
    ["a single quote alone", "id: 1234-bench\nstatus: expired\nx: '\n"],
    ["keys that start like id and status", "id: 1234-bench\nstatus: expired\nidx: 1\nstatuses: active\n"],
  ])("agrees with the regular-expression reading: %s", (_name, text) => {
    expect(summarize(PATH, text)).toEqual(byRegex(PATH, text));
  });

  it("agrees with the regular-expression reading on records edited with special and white-space characters", () => {
    const piece = fc.string({ unit: fc.constantFrom(...SPACES, ...KEPT, ...SPECIAL, " ", "\n"), maxLength: 6 });
    const line = fc.oneof(
      fc
        .tuple(
          fc.constantFrom("id", "status", "reason", "grant", "x_1", "Id", "1a"),
          fc.constantFrom(":", ": ", ":  ", " :"),
          piece,
          fc.constantFrom("", ...SPACES),
          piece,
        )
        .map(([k, colon, a, s, b]) => `${k}${colon}${a}${s}${b}`),
      fc.constantFrom("status: active", "status: expired", "id: 1234-bench", "  expires_at: 2026-11-28T00:00:00Z", "# c", ""),
      piece,
    );
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.array(fc.tuple(fc.nat(), line), { maxLength: 4 }), (status, edits) => {
        const lines = record(status).split("\n");
        for (const [at, l] of edits) lines.splice(at % (lines.length + 1), 0, l);
        const text = lines.join("\n");
        expect(summarize(PATH, text)).toEqual(byRegex(PATH, text));
      }),
      { numRuns: 2000 },
    );
  });
});
