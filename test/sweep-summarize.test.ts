// The sweep's raw-text summary of a record agrees with the straightforward line-by-line reading
// it is an optimised form of, on real records and on arbitrary edits of their top-level lines.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, RequestStatus } from "../src/domain/types.js";
import { loadYamlMapping } from "../src/domain/yaml.js";
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
  // A plain value continued on a more indented line is not the value on the key's line.
  const continued = (key: RegExp, indent: number) => [...text.matchAll(key)].some((m) => nextIndent(text.slice((m.index ?? 0) + m[0].length)) > indent);
  if (continued(/^id:[^\n]*/gm, 0) || continued(/^status:[^\n]*/gm, 0)) return undefined;
  if (status !== "active") return { id, status: status as RequestStatus };
  const grantAt = text.search(/^grant:$/m);
  const ts = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z`;
  const expires = [...text.matchAll(new RegExp(`^ {2}expires_at: (?:'(${ts})'|(${ts}))$`, "gm"))].filter((m) => (m.index ?? 0) > grantAt && grantAt >= 0);
  const next = grantAt >= 0 ? text.slice(grantAt + 7).search(/^\S/m) : -1;
  const inGrant = expires.filter((m) => next < 0 || (m.index ?? 0) < grantAt + 7 + next);
  if (inGrant.length !== 1 || nextIndent(text.slice((inGrant[0]?.index ?? 0) + (inGrant[0]?.[0].length ?? 0))) > 2) return undefined;
  return { id, status: "active", expires_at: (inGrant[0]?.[1] ?? inGrant[0]?.[2]) as string };
}

/** Indentation of the first line that is not blank in `rest` (which starts at a line's end); -1 if none. */
function nextIndent(rest: string): number {
  const line = rest
    .split("\n")
    .slice(1)
    .find((l) => l.trim() !== "");
  return line === undefined ? -1 : line.length - line.trimStart().length;
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

// The property the sweep relies on: whenever the raw-text summary answers, it says what the YAML
// parser says — so a record the summary reports closed (and the sweep never parses) is closed, and
// an active one's expiry is the real one. Generated over records with their top-level lines
// respelled in the ways YAML allows: quotes, comments, anchors, aliases, tags, flow style,
// block scalars, explicit keys, document markers and directives.
describe("summarize against the YAML parser", () => {
  const respell = (key: string, value: string): string[] => [
    `${key}: ${value}`,
    `${key}: '${value}'`,
    `${key}: "${value}"`,
    `${key}: ${value} # note`,
    `${key}: ${value}#x`,
    `${key}:   ${value}  `,
    `${key}: &a ${value}`,
    `${key}: !!str ${value}`,
    `${key}: [${value}]`,
    `${key}: {v: ${value}}`,
    `${key}: |-\n  ${value}`,
    `${key}: >\n  ${value}`,
    `${key}:\n  ${value}`,
    `${key}: # c\n  ${value}`,
    `? ${key}\n: ${value}`,
    `"${key}": ${value}`,
    `'${key}': ${value}`,
    `${key} : ${value}`,
    `${key}: "${value.slice(0, 2)}\\u00${value.charCodeAt(2).toString(16)}${value.slice(3)}"`,
    `${key}: "${value}\n  "`,
    `${key}: '${value}\n  x'`,
  ];
  const oddLines = [
    "---",
    "...",
    "%YAML 1.2",
    "x: &s active",
    "y: *s",
    "<<: {status: active}",
    "note: |\n  status: active\n  id: 1234-bench",
    'reason: "open\nstatus: active"',
    "reason: [a,\nstatus: active]",
    "  status: active",
    "# status: active",
    "{status: active}",
    "status: active",
    "status: expired",
    "grant: {expires_at: 2026-01-01T00:00:00Z}",
    "  expires_at: 2020-01-01T00:00:00Z",
    "closed:\n  expires_at: 2020-01-01T00:00:00Z",
  ];
  const expiresSpellings = (v: string) => [
    `  expires_at: ${v}`,
    `  expires_at: '${v}'`,
    `  expires_at: "${v}"`,
    `  expires_at: ${v} # c`,
    `  expires_at: &e ${v}`,
  ];

  const recordText = fc
    .record({
      status: fc.constantFrom(...STATUSES),
      statusSpelling: fc.nat(),
      idSpelling: fc.nat(),
      expiresSpelling: fc.nat(),
      moveStatus: fc.nat(),
      inserts: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...oddLines)), { maxLength: 2 }),
    })
    .map(({ status, statusSpelling, idSpelling, expiresSpelling, moveStatus, inserts }) => {
      const lines = record(status).split("\n");
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      // Respell only sometimes, so plain records (which the summary must answer for) stay common.
      const s = at(/^status: /);
      if (s >= 0 && statusSpelling % 3 === 0) {
        const [line] = lines.splice(s, 1);
        const spellings = respell("status", line!.slice("status: ".length));
        lines.splice(moveStatus % (lines.length + 1), 0, spellings[statusSpelling % spellings.length]!);
      }
      const i = at(/^id: /);
      if (i >= 0 && idSpelling % 3 === 0) {
        const spellings = respell("id", lines[i]!.slice("id: ".length));
        lines[i] = spellings[idSpelling % spellings.length]!;
      }
      const e = at(/^ {2}expires_at: /);
      if (e >= 0 && expiresSpelling % 2 === 0) {
        const spellings = expiresSpellings(lines[e]!.slice("  expires_at: ".length));
        lines[e] = spellings[expiresSpelling % spellings.length]!;
      }
      for (const [pos, l] of inserts) lines.splice(pos % (lines.length + 1), 0, l);
      return lines.join("\n");
    });

  it("never answers differently from the parser: same id and status, and for an active record the same expiry", () => {
    let answered = 0;
    let respelledAnswered = 0;
    fc.assert(
      fc.property(recordText, (text) => {
        const s = summarize(PATH, text);
        if (!s) return;
        answered++;
        if (text !== record(s.status)) respelledAnswered++;
        const loaded = loadYamlMapping(text);
        // A file the parser refuses may still be summarized (the sweep never acts on a closed one,
        // and parses a due one); only a file the parser reads can contradict the summary.
        if (!loaded.ok) return;
        const doc = loaded.value as { id?: unknown; status?: unknown; grant?: { expires_at?: unknown } };
        expect(s.id).toBe(doc.id);
        expect(s.status).toBe(doc.status ?? "proposed");
        if (s.status === "active") expect(s.expires_at).toBe(doc.grant?.expires_at);
      }),
      { numRuns: Number(process.env.SUMMARIZE_RUNS ?? 3000) },
    );
    // The property is not vacuous: plain and respelled records are both answered.
    expect(answered).toBeGreaterThan(500);
    expect(respelledAnswered).toBeGreaterThan(100);
  });

  it.each([
    ["a quoted status", "status: 'expired'"],
    ["a tagged status", "status: !!str expired"],
    ["an anchored status", "status: &s expired"],
    ["a flow status", "status: [expired]"],
    ["a block-scalar status", "status: |-\n  expired"],
    ["an explicit key", "? status\n: expired"],
    ["a quoted key", '"status": expired'],
    ["an escaped status", 'status: "expir\\u0065d"'],
    ["a document marker", "---\nstatus: expired"],
    ["a directive", "%YAML 1.2\n---\nstatus: expired"],
    ["a status hidden in a multi-line quoted value", 'reason: "x\nstatus: expired"'],
  ])("hands %s to the parser", (_name, statusLines) => {
    const text = record("active").replace(/^status: active$/m, statusLines);
    expect(summarize(PATH, text)).toBeUndefined();
  });

  it.each([
    ["a status continued on a more indented line", /^status: active$/m, "status: active\n  - more"],
    ["an id continued after a blank line", /^id: 1234-bench$/m, "id: 1234-bench\n\n   x"],
    ["an expiry continued on a more indented line", /^ {2}expires_at: .*$/m, "  expires_at: 2026-11-27T12:00:00Z\n    later"],
    ["an expiry with an opening quote only", /^ {2}expires_at: .*$/m, "  expires_at: '2026-11-27T12:00:00Z"],
  ])("hands %s to the parser", (_name, line, replacement) => {
    const text = record("active").replace(line, replacement);
    expect(text).not.toBe(record("active"));
    expect(summarize(PATH, text)).toBeUndefined();
  });
});
