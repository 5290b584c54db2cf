// A record's facts survive the report cache's packing whole (the cache must never change a report),
// and the report over facts equals the report over the records they came from.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildReport } from "../src/report/aggregate.js";
import { isPackedFacts, packFacts, recordFacts, unpackFacts } from "../src/report/facts.js";
import { syntheticHistory } from "../src/report/synthetic.js";

const NOW = new Date("2026-11-27T12:00:00Z");

describe("report facts", () => {
  it("pack → JSON → unpack gives the facts back, for every record of a generated history", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        for (const { file, request } of syntheticHistory(60, seed, NOW).records) {
          const facts = recordFacts(file, request);
          const packed: unknown = JSON.parse(JSON.stringify(packFacts(facts)));
          expect(isPackedFacts(packed)).toBe(true);
          if (isPackedFacts(packed)) expect(unpackFacts(file, packed)).toEqual(facts);
        }
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
    const packed: unknown = JSON.parse(JSON.stringify(packFacts(facts)));
    expect(isPackedFacts(packed) && unpackFacts(file, packed)).toEqual(facts);
  });

  it("the report over facts read back from their packed form is the report over the records", () => {
    const data = syntheticHistory(400, 11, NOW);
    const facts = data.records.map((r) => {
      const packed: unknown = JSON.parse(JSON.stringify(packFacts(recordFacts(r.file, r.request))));
      if (!isPackedFacts(packed)) throw new Error(`${r.file}: not packed facts`);
      return unpackFacts(r.file, packed);
    });
    const byRecords = buildReport({ records: data.records, commits: data.commits, mergeDates: data.mergeDates, now: NOW });
    expect(buildReport({ facts, commits: data.commits, mergeDates: data.mergeDates, now: NOW })).toEqual(byRecords);
  });
});
