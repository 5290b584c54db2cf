// The sweep's raw-text summary of a record agrees with the straightforward line-by-line reading
// it is an optimised form of, on real records and on arbitrary edits of their top-level lines.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, RequestStatus } from "../src/domain/types.js";
import { summarize, type RecordSummary } from "../src/sweep/plan.js";
import { testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const ID = /^[1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*$/;
const STATUSES: readonly RequestStatus[] = ["proposed", "active", "expired", "revoked", "rejected", "failed"];

/** The specification: split into lines, check each top-level line, then find id/status by regex over the whole text. */
function reference(path: string, text: string): RecordSummary | undefined {
  if (text.length > 65_536 || text.includes("\t") || text.includes("\r")) return undefined;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith(" ") || line.startsWith("#")) continue;
    const m = /^[A-Za-z_][A-Za-z0-9_]*:(?: (.*))?$/.exec(line);
    if (!m) return undefined;
    const v = (m[1] ?? "").trim();
    if (/^[&!*%@`]/.test(v)) return undefined;
    const close: Record<string, string> = { '"': '"', "'": "'", "[": "]", "{": "}" };
    const want = close[v.charAt(0)];
    if (want && (v.length < 2 || !v.endsWith(want))) return undefined;
  }
  const one = (re: RegExp): string | undefined => {
    const all = [...text.matchAll(re)];
    return all.length === 1 ? (all[0]?.[1] ?? "").replace(/ +#.*$/, "").trim() : undefined;
  };
  const id = one(/^id: ?([^\n]*)$/gm);
  const status = one(/^status: ?([^\n]*)$/gm) ?? (/^status:/m.test(text) ? undefined : "proposed");
  if (!id || !ID.test(id) || !path.endsWith(`/${id}.yaml`) || !status || !STATUSES.includes(status as RequestStatus)) return undefined;
  if (status !== "active") return { id, status: status as RequestStatus };
  const grantAt = text.search(/^grant:$/m);
  const expires = [...text.matchAll(/^ {2}expires_at: '?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)'?$/gm)].filter(
    (m) => (m.index ?? 0) > grantAt && grantAt >= 0,
  );
  const next = grantAt >= 0 ? text.slice(grantAt + 7).search(/^\S/m) : -1;
  const inGrant = expires.filter((m) => next < 0 || (m.index ?? 0) < grantAt + 7 + next);
  if (inGrant.length !== 1) return undefined;
  return { id, status: "active", expires_at: inGrant[0]?.[1] as string };
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

describe("summarize", () => {
  it.each(STATUSES.filter((s) => s !== "rejected" && s !== "failed"))("reads a %s record as jit-access writes it", (status) => {
    const text = record(status);
    const s = summarize(PATH, text);
    expect(s).toEqual(reference(PATH, text));
    expect(s?.status).toBe(status);
  });

  it.each([
    ["empty", ""],
    ["only a newline", "\n"],
    ["id without a space", "id:1234-bench\nstatus: expired\n"],
    ["id with two spaces", "id:  1234-bench\nstatus: expired\n"],
    ["id with a comment", "id: 1234-bench # note\nstatus: expired\n"],
    ["no status", "id: 1234-bench\n"],
    ["empty status", "id: 1234-bench\nstatus:\n"],
    ["two ids", "id: 1234-bench\nid: 1234-bench\nstatus: expired\n"],
    ["no final newline", "id: 1234-bench\nstatus: expired"],
    ["a comment at column 0 named like a key", "# status: active\nid: 1234-bench\nstatus: expired\n"],
    ["indented status", "id: 1234-bench\n  status: active\nstatus: expired\n"],
    ["a flow value left open", "id: 1234-bench\nstatus: expired\nreason: [a\n"],
    ["a quoted value closed", "id: 1234-bench\nstatus: expired\nreason: 'a'\n"],
  ])("agrees with the line-by-line reading: %s", (_name, text) => {
    expect(summarize(PATH, text)).toEqual(reference(PATH, text));
  });

  it("agrees with the line-by-line reading on arbitrary edits of real records", () => {
    const line = fc.oneof(
      fc.constantFrom("status: active", "status: expired", "status:", "id: 1234-bench", "id: 99-other", "grant:", "# c", "", "---", "x: &a b", "y: 'open"),
      fc.constantFrom("  expires_at: 2026-11-28T00:00:00Z", "  expires_at: '2026-11-28T00:00:00.5Z'", "  - item", "status:x", "reason: {a: 1}"),
      fc.string({ unit: fc.constantFrom("a", " ", ":", "#", "'", '"', "[", "]", "\n", "i", "d", "s", "\t", "-"), maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), fc.array(fc.tuple(fc.nat(), line), { maxLength: 4 }), fc.boolean(), (status, edits, dropLast) => {
        const lines = record(status).split("\n");
        for (const [at, l] of edits) lines.splice(at % (lines.length + 1), 0, l);
        if (dropLast) lines.pop();
        const text = lines.join("\n");
        expect(summarize(PATH, text)).toEqual(reference(PATH, text));
      }),
      { numRuns: 400 },
    );
  });
});
