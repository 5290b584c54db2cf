// A record's facts survive the report cache's columns whole (the cache must never change a report),
// and the report over facts read back from them equals the report over the records.
import { isAscii } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildReport } from "../src/report/aggregate.js";
import { recordFacts, type RecordFacts } from "../src/report/facts.js";
import { encodeTable, FactsTable, type HistoryEntry } from "../src/report/facts-table.js";
import { syntheticHistory } from "../src/report/synthetic.js";

const NOW = new Date("2026-11-27T12:00:00Z");

/** Facts (with a note on every third, and history values on every other) through the columns as bytes, and back. */
function roundTrip(all: readonly RecordFacts[]): Array<{ facts: RecordFacts | undefined; note: string | undefined; history: HistoryEntry | undefined }> {
  const rows = all.map((f, i) => ({
    file: f.file,
    sha: (i + 1).toString(16).padStart(40, "0"),
    outcome: i % 3 === 2 ? { facts: f, note: `note ${i}` } : { facts: f },
    history:
      i % 2
        ? { id: f.id, merge: f.grant?.merge_commit, values: { requested: 1_700_000_000_000 + i, risk: "medium" as const, rules: ["guardrail.x"] } }
        : undefined,
  }));
  const table = FactsTable.from(Uint8Array.from(encodeTable(rows)));
  if (!table) throw new Error("the columns did not read back");
  return all.map((f) => {
    const r = table.row(f.file);
    const o = table.outcome(r, f.file);
    const facts = o && "facts" in o ? o.facts : undefined;
    return { facts, note: o && "note" in o ? o.note : undefined, history: table.history(r, facts) };
  });
}

describe("report facts", () => {
  it("columns → bytes → rows gives the facts, notes and history values back, for every record of a generated history", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const all = syntheticHistory(60, seed, NOW).records.map(({ file, request }) => recordFacts(file, request));
        roundTrip(all).forEach((back, i) => {
          const f = all[i]!;
          expect(back.facts).toEqual(f);
          expect(back.note).toBe(i % 3 === 2 ? `note ${i}` : undefined);
          expect(back.history).toEqual(
            i % 2
              ? { id: f.id, merge: f.grant?.merge_commit, values: { requested: 1_700_000_000_000 + i, risk: "medium", rules: ["guardrail.x"] } }
              : undefined,
          );
        });
      }),
      { numRuns: 30 },
    );
  });

  it("rare fields (accounts, catalogue, auto-approval, break-glass, extensions, scheduled, closed.by and code) survive too", () => {
    const { file, request } = syntheticHistory(1, 3, NOW).records[0]!;
    const r = {
      ...request,
      status: "revoked" as const,
      accounts: ["prod", "dev"],
      catalogue: "read-logs",
      grant: {
        approved_by: ["bob"],
        merge_commit: "a".repeat(40),
        granted_at: "2026-11-01T00:00:00Z",
        expires_at: "2026-11-01T02:00:00Z",
        auto_approval: { rule: "low-risk", config_sha: "b".repeat(40), matched: { risk: "low" } },
        break_glass: { by: "alice", incident: "INC-1", reason: "outage", at: "2026-11-01T00:00:00Z" },
        extensions: [
          {
            id: "9-x",
            approved_by: ["bob"],
            merge_commit: "c".repeat(40),
            at: "2026-11-01T01:00:00Z",
            previous_expires_at: "2026-11-01T02:00:00Z",
            expires_at: "2026-11-01T03:00:00Z",
          },
        ],
      },
      scheduled: {
        approved_by: ["bob"],
        merge_commit: "a".repeat(40),
        approved_at: "2026-10-31T00:00:00Z",
        starts_at: "2026-11-01T00:00:00Z",
        expires_at: "2026-11-01T02:00:00Z",
        risk: "low" as const,
      },
      closed: { at: "2026-11-01T01:30:00Z", reason: "done", by: "alice", code: "approval.withdrawn" },
    };
    const facts = recordFacts(file, r);
    expect(roundTrip([facts])[0]?.facts).toEqual(facts);
  });

  it("a file not named <id>.yaml, a skipped file, text that is not ASCII, and expiry reasons other than the sweep's survive; the table reads at any byte offset", () => {
    const { file, request } = syntheticHistory(1, 5, NOW).records[0]!;
    const grant = { approved_by: ["bob"], merge_commit: "d".repeat(40), granted_at: "2026-11-01T00:00:00Z", expires_at: "2026-11-01T02:00:00Z" };
    const base = { ...request, status: "expired" as const, grant };
    const cases = [
      recordFacts(file, { ...base, closed: { at: "2026-11-01T02:05:00Z", reason: "expired at 2026-11-01T02:00:00Z" } }),
      recordFacts(file.replace(/\.yaml$/, "-copy.yaml"), { ...base, closed: { at: "2026-11-01T02:05:00Z", reason: "expired at 2026-11-01T03:00:00Z" } }),
      recordFacts(file.replace(/[^/]*$/, "renamed.yaml"), { ...base, closed: { at: "2026-11-01T02:05:00Z", reason: "expired at 2026-11-01T02:00:00Z " } }),
      recordFacts(file.replace(/[^/]*$/, "zz.yaml"), {
        ...base,
        status: "revoked",
        closed: { at: "2026-11-01T01:00:00Z", reason: "früh fertig — done ✓ \u2028", by: "jürgen" },
      }),
    ];
    const rows = [
      ...cases.map((f, i) => ({ file: f.file, sha: `${i}`.repeat(40), outcome: { facts: f }, history: undefined })),
      { file: "access-requests/dev/2026/broken.yaml", sha: "e".repeat(40), outcome: { skipped: "not YAML: ünreadable" }, history: undefined },
    ];
    const bytes = encodeTable(rows);
    for (const offset of [0, 1, 3, 8]) {
      const at = Buffer.alloc(bytes.length + offset);
      bytes.copy(at, offset);
      const table = FactsTable.from(at.subarray(offset));
      expect(table?.size).toBe(rows.length);
      rows.forEach((row, r) => {
        expect(table!.file(r)).toBe(row.file);
        expect(table!.row(row.file)).toBe(r);
        expect(table!.sha(r)).toBe(row.sha);
        expect(table!.outcome(r, row.file)).toEqual(row.outcome);
      });
    }
    // Cut short, or with a byte changed in the binary columns' lengths: not a table.
    expect(FactsTable.from(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(FactsTable.from(bytes.subarray(0, 3))).toBeUndefined();
  });

  it("a row is found in place for a listed path only when it is that path: never for another whose UTF-8 bytes spell its characters", () => {
    // Characters past ASCII, as names hold them: é, and "Ã©" whose char codes are é's UTF-8 bytes.
    const names = fc
      .array(fc.constantFrom("a", "b", "-", "\u00e9", "\u00c3", "\u00a9", "\u00fc", "\u20ac", "\ud83d\ude00", "1"), { minLength: 1, maxLength: 6 })
      .map((cs) => `${cs.join("")}.yaml`);
    // The cached name: the listed one, the listed one's UTF-8 bytes read as characters (mojibake), or another.
    const pairs = fc
      .tuple(names, names, fc.integer({ min: 0, max: 2 }))
      .map(([b, other, how]) => [how === 0 ? b : how === 1 ? Buffer.from(b, "utf8").toString("latin1") : other, b] as const);
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const file = `access-requests/dev/2026/${a}`;
        const table = FactsTable.from(encodeTable([{ file, sha: "1".repeat(40), outcome: { skipped: "x" }, history: undefined }]))!;
        const listed = Buffer.from(`access-requests/dev/2026/${b}`, "utf8");
        const found = table.rowIfAt(0, listed, 0, listed.length);
        // Not found in place (a path past ASCII is looked up by row()), or found and the same path.
        expect(found < 0 || a === b).toBe(true);
        if (isAscii(Buffer.from(a))) expect(found >= 0).toBe(a === b);
        expect(table.row(listed.toString("utf8"))).toBe(a === b ? 0 : -1);
      }),
      { numRuns: 300 },
    );
  });

  it("a table whose ids or names are not strings is not a table (its rows would be compared with listed paths)", () => {
    const bytes = encodeTable([{ file: "access-requests/dev/2026/odd.yaml", sha: "1".repeat(40), outcome: { skipped: "x" }, history: undefined }]);
    const length = bytes.readUInt32LE(0);
    const json = JSON.parse(bytes.toString("latin1", 4, 4 + length)) as { id: unknown[]; name: Record<string, unknown> };
    const rewrite = (edit: (j: typeof json) => void) => {
      const j = structuredClone(json);
      edit(j);
      const text = Buffer.from(JSON.stringify(j), "latin1");
      const start = Math.ceil((4 + text.length) / 8) * 8;
      const out = Buffer.alloc(start + bytes.length - Math.ceil((4 + length) / 8) * 8, 0x20);
      out.writeUInt32LE(text.length, 0);
      text.copy(out, 4);
      bytes.copy(out, start, Math.ceil((4 + length) / 8) * 8);
      return out;
    };
    expect(FactsTable.from(rewrite(() => undefined))?.file(0)).toBe("access-requests/dev/2026/odd.yaml");
    expect(FactsTable.from(rewrite((j) => (j.id[0] = null)))).toBeUndefined();
    expect(FactsTable.from(rewrite((j) => (j.name["0"] = 7)))).toBeUndefined();
  });

  it("the report over facts read back from their packed form is the report over the records", () => {
    const data = syntheticHistory(400, 11, NOW);
    const facts = roundTrip(data.records.map((r) => recordFacts(r.file, r.request))).map((x) => x.facts!);
    const byRecords = buildReport({ records: data.records, commits: data.commits, mergeDates: data.mergeDates, now: NOW });
    expect(buildReport({ facts, commits: data.commits, mergeDates: data.mergeDates, now: NOW })).toEqual(byRecords);
  });
});
