// The report's faster structures against the plain algorithms they replace, on random inputs:
// top-k selection against sort-then-slice, and the one-map path index against the two earliest-date
// maps (first adding commit, else first touching commit) it folds together.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessRequest } from "../src/domain/types.js";
import { buildReport, HistoryIndex, mergeCommitsOf, type ReportRecord } from "../src/report/aggregate.js";
import { parseMergeDates, type HistoryCommit } from "../src/report/history.js";
import { firstSorted, quantile, stat } from "../src/report/stats.js";

describe("firstSorted", () => {
  it("is the first k of a stable sort, for any k and ties", () => {
    const row = fc.record({ score: fc.integer({ min: 0, max: 5 }), at: fc.constantFrom("a", "b", "c"), n: fc.nat(1000) });
    const cmp = (x: { score: number; at: string }, y: { score: number; at: string }) => y.score - x.score || (x.at < y.at ? -1 : x.at > y.at ? 1 : 0);
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), fc.integer({ min: 0, max: 70 }), (rows, k) => {
        expect(firstSorted(rows, k, cmp)).toEqual([...rows].sort(cmp).slice(0, k));
      }),
      { numRuns: 1000 },
    );
  });
});

describe("stat", () => {
  it("is the count, quantiles and ends of the values sorted as numbers (as a Float64Array sorts them: -0 before 0)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -5, max: 5 })), { maxLength: 40 }), (values) => {
        const sorted = Array.from(Float64Array.from(values).sort());
        expect(stat(values)).toEqual({
          count: sorted.length,
          median: quantile(sorted, 0.5),
          p90: quantile(sorted, 0.9),
          min: sorted[0] ?? null,
          max: sorted[sorted.length - 1] ?? null,
        });
      }),
      { numRuns: 1000 },
    );
  });
});

describe("the riskiest grants", () => {
  it("are the first rows of the whole ordered list, for any number of rows shown", () => {
    const NOW = new Date("2026-11-27T12:00:00Z");
    const grant = fc.record({
      hours: fc.integer({ min: 1, max: 30 }),
      at: fc.integer({ min: 0, max: 5 }),
      level: fc.constantFrom("read", "write", "permissions-management"),
      id: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(grant, { maxLength: 25 }), fc.integer({ min: 0, max: 12 }), (gs, top) => {
        const records: ReportRecord[] = gs.map((g, i) => ({
          file: `access-requests/prod/2026/${i}.yaml`,
          request: {
            version: 1,
            id: `${g.id}-r`,
            requester: "alice",
            account: "prod",
            duration: `${g.hours}h`,
            reason: "r",
            request: [{ service: "iam", access: [g.level as "read"], resources: ["b"] }],
            status: "expired",
            grant: {
              approved_by: ["zed"],
              merge_commit: "f".repeat(40),
              granted_at: `2026-11-0${g.at + 1}T00:00:00Z`,
              expires_at: `2026-11-0${g.at + 1}T09:00:00Z`,
            },
          },
        }));
        const all = buildReport({ records, now: NOW, top: 1000 }).riskiest;
        expect(buildReport({ records, now: NOW, top }).riskiest).toEqual(all.slice(0, top));
      }),
      { numRuns: 500 },
    );
  });
});

describe("request dates from the history", () => {
  const NOW = new Date("2026-11-27T12:00:00Z");
  const BASE = Date.parse("2026-11-01T00:00:00Z");
  const isoAt = (h: number) => new Date(BASE + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const files = ["a", "b", "c", "d"].map((id) => `access-requests/prod/2026/${id}.yaml`);

  function record(i: number, grantedH: number): ReportRecord {
    const id = "abcd"[i] as string;
    const request: AccessRequest = {
      version: 1,
      id,
      requester: "alice",
      account: "prod",
      duration: "1h",
      reason: "r",
      request: [{ service: "s3", access: ["read"], resources: ["b"] }],
      status: "expired",
      grant: { approved_by: ["zed"], merge_commit: "f".repeat(40), granted_at: isoAt(grantedH), expires_at: isoAt(grantedH + 1) },
      closed: { at: isoAt(grantedH + 1), reason: "expired" },
    };
    return { file: files[i] as string, request };
  }

  it("request_to_grant and the period use the first adding commit, else the first touching one", () => {
    const change = fc.record({ status: fc.constantFrom("A", "M", "D"), path: fc.constantFrom(...files, "access-requests/other.yaml") });
    const commit = fc.record({ hour: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }), files: fc.array(change, { maxLength: 4 }) });
    fc.assert(
      fc.property(
        fc.array(commit, { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 400 }),
        (cs, granted, sinceH) => {
          const commits: HistoryCommit[] = cs.map((c, n) => ({
            sha: n.toString(16).padStart(40, "0"),
            parents: [],
            authorDate: c.hour === undefined ? "not a date" : isoAt(c.hour),
            commitDate: c.hour === undefined ? "" : isoAt(c.hour),
            subject: "s",
            body: "s",
            trailers: {},
            files: c.files,
          }));
          const records = granted.map((h, i) => record(i, h));
          // The reference: two maps of earliest dates, as the index was first written.
          const earliest = (status?: string) => (path: string) => {
            const ts = cs
              .filter((c) => c.hour !== undefined && c.files.some((f) => f.path === path && (!status || f.status === status)))
              .map((c) => c.hour as number);
            return ts.length ? Math.min(...ts) : undefined;
          };
          const requested = records.map((r) => earliest("A")(r.file) ?? earliest()(r.file));
          const waits = records.flatMap((r, i) => {
            const q = requested[i];
            const g = granted[i] as number;
            return q !== undefined && g >= q ? [(g - q) * 3600] : [];
          });
          const report = buildReport({ records, commits, now: NOW });
          expect(report.timing.request_to_grant).toEqual(stat(waits));
          const inPeriod = records.filter((_, i) => ((requested[i] ?? granted[i]) as number) >= sinceH).length;
          expect(buildReport({ records, commits, now: NOW, since: new Date(Date.parse(isoAt(sinceH))) }).totals.requests).toBe(inPeriod);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe("history kept for the records' merge commits only", () => {
  it("gives the same report as the history kept whole", () => {
    const NOW = new Date("2026-11-27T12:00:00Z");
    const BASE = Date.parse("2026-11-01T00:00:00Z");
    const isoAt = (h: number) => new Date(BASE + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const sha = (n: number) => n.toString(16).padStart(40, "0");
    const rec = fc.record({ merge: fc.integer({ min: 0, max: 9 }), granted: fc.integer({ min: 0, max: 300 }), withGrant: fc.boolean() });
    const commit = fc.record({ n: fc.integer({ min: 0, max: 12 }), hour: fc.integer({ min: 0, max: 300 }), file: fc.integer({ min: 0, max: 5 }) });
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 6 }), fc.array(commit, { maxLength: 10 }), fc.array(commit, { maxLength: 4 }), (rs, cs, merges) => {
        const records: ReportRecord[] = rs.map((x, i) => ({
          file: `access-requests/prod/2026/${i + 1}-r.yaml`,
          request: {
            version: 1,
            id: `${i + 1}-r`,
            requester: "alice",
            account: "prod",
            duration: "1h",
            reason: "r",
            request: [{ service: "s3", access: ["read"], resources: ["b"] }],
            ...(x.withGrant
              ? {
                  status: "expired" as const,
                  grant: { approved_by: ["zed"], merge_commit: sha(x.merge), granted_at: isoAt(x.granted), expires_at: isoAt(x.granted + 1) },
                }
              : {}),
          },
        }));
        const commits: HistoryCommit[] = cs.map((c) => ({
          sha: sha(c.n),
          parents: [],
          authorDate: isoAt(c.hour),
          commitDate: isoAt(c.hour + 1),
          subject: "s",
          body: "s",
          trailers: {},
          files: [{ status: "A", path: `access-requests/prod/2026/${c.file}-r.yaml` }],
        }));
        const fold = (index: HistoryIndex) => {
          for (const c of commits) index.add(c);
          for (const m of merges) index.addMergeDate(sha(m.n), isoAt(m.hour));
          return buildReport({ records, history: index, now: NOW });
        };
        expect(fold(new HistoryIndex({ mergeCommits: mergeCommitsOf(records) }))).toEqual(fold(new HistoryIndex()));
      }),
      { numRuns: 500 },
    );
  });
});

describe("history kept by the records' slots", () => {
  // Records (ids and merge commits shared between some) and a history of commits touching their
  // files and others, adding and modifying, with unparsable dates, repeated shas, grant commits
  // naming tiers in Risk: trailers (valid or not) and in messages, and Rule: trailers.
  const NOW = new Date("2026-11-27T12:00:00Z");
  const BASE = Date.parse("2026-11-01T00:00:00Z");
  const isoAt = (h: number) => new Date(BASE + h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  // Shas that differ in their first characters, and some that share them (n and n + 7).
  const sha = (n: number) => (((n % 7) * 0x9e3779b1) >>> 0).toString(16).padStart(8, "0") + n.toString(16).padStart(32, "0");
  const path = (n: number) => `access-requests/prod/2026/${n}-r.yaml`;
  const tier = fc.constantFrom("low", "medium", "high", "extreme");
  const rec = fc.record({
    file: fc.integer({ min: 0, max: 6 }),
    id: fc.integer({ min: 0, max: 6 }),
    merge: fc.integer({ min: 0, max: 9 }),
    granted: fc.integer({ min: 0, max: 300 }),
    status: fc.constantFrom("expired", "active", "revoked", "failed", "rejected", undefined),
    code: fc.constantFrom("guardrail.denied-action", "not a code", undefined),
  });
  const commit = fc.record({
    n: fc.integer({ min: 0, max: 12 }),
    hour: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
    files: fc.array(fc.record({ status: fc.constantFrom("A", "M", "D"), path: fc.integer({ min: 0, max: 8 }) }), { maxLength: 3 }),
    id: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
    grant: fc.boolean(),
    risk: fc.option(tier, { nil: undefined }),
    said: fc.option(tier, { nil: undefined }),
    rules: fc.array(fc.constantFrom("guardrail.dangerous-action", "approval.self", "nope"), { maxLength: 2 }),
  });
  const toRecords = (rs: Array<{ file: number; id: number; merge: number; granted: number; status?: string; code?: string }>): ReportRecord[] =>
    rs.map((x) => ({
      file: path(x.file),
      request: {
        version: 1,
        id: `${x.id}-r`,
        requester: "alice",
        account: "prod",
        duration: "1h",
        reason: "r",
        request: [{ service: "s3", access: ["read"], resources: ["b"] }],
        ...(x.status ? { status: x.status as AccessRequest["status"] } : {}),
        ...(x.status === "expired" || x.status === "active" || x.status === "revoked"
          ? { grant: { approved_by: ["zed"], merge_commit: sha(x.merge), granted_at: isoAt(x.granted), expires_at: isoAt(x.granted + 1) } }
          : {}),
        ...(x.status === "failed" || x.status === "rejected" || x.status === "revoked"
          ? { closed: { at: isoAt(x.granted + 1), reason: "r", ...(x.code ? { code: x.code } : {}) } }
          : {}),
      },
    }));

  it("gives the same report as the history kept whole, and as the commits given as a list", () => {
    fc.assert(
      fc.property(
        fc.array(rec, { maxLength: 7 }),
        fc.array(commit, { maxLength: 12 }),
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 12 }), hour: fc.integer({ min: 0, max: 300 }) }), { maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }),
        (rs, cs, merges, sinceH) => {
          const records = toRecords(rs);
          const commits: HistoryCommit[] = cs.map((c) => {
            const trailers: Record<string, string[]> = {};
            if (c.id !== undefined) trailers["Request-Id"] = [`${c.id}-r`];
            if (c.risk !== undefined) trailers["Risk"] = [c.risk];
            if (c.rules.length) trailers["Rule"] = c.rules;
            const subject = c.grant ? `jit-access: grant ${c.id ?? "x"}-r until later` : `jit-access: expire ${c.id ?? "x"}-r`;
            return {
              sha: sha(c.n),
              parents: [],
              authorDate: c.hour === undefined ? "not a date" : isoAt(c.hour),
              commitDate: c.hour === undefined ? "" : isoAt(c.hour + 1),
              subject,
              body: c.said === undefined ? subject : `${subject}\n\nMerged; risk ${c.said}.`,
              trailers,
              files: c.files.map((f) => ({ status: f.status, path: path(f.path) })),
            };
          });
          const since = sinceH === undefined ? {} : { since: new Date(Date.parse(isoAt(sinceH))) };
          const fold = (index: HistoryIndex, over = records) => {
            for (const c of commits) index.add(c);
            for (const m of merges) index.addMergeDate(sha(m.n), isoAt(m.hour));
            return buildReport({ records: over, history: index, now: NOW, ...since });
          };
          const whole = fold(new HistoryIndex());
          const keys = records.map((r) => ({ file: r.file, id: r.request.id, ...(r.request.grant ? { grant: r.request.grant } : {}) }));
          expect(fold(new HistoryIndex({ records: keys }))).toEqual(whole);
          // Records equal to those the index was made for, but other objects: found by key.
          expect(fold(new HistoryIndex({ records: keys }), structuredClone(records))).toEqual(whole);
          const mergeDates = new Map(merges.map((m) => [sha(m.n), isoAt(m.hour)]));
          expect(buildReport({ records, commits, mergeDates, now: NOW, ...since })).toEqual(whole);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("parseMergeDates", () => {
  it("reads what splitting on NUL and pairing the fields reads, for any text", () => {
    const reference = (text: string) => {
      const t = text.split("\0").map((s) => s.replace(/^\n+/, ""));
      const out = new Map<string, string>();
      for (let i = 0; i + 1 < t.length; i += 2) {
        const sha = t[i] ?? "";
        if (/^[0-9a-f]{40,64}$/.test(sha)) out.set(sha, t[i + 1] ?? "");
      }
      return out;
    };
    const piece = fc.constantFrom(
      "a".repeat(40),
      "0123456789abcdef".repeat(4),
      "A".repeat(40),
      "b".repeat(39),
      "c".repeat(65),
      "2026-11-01T00:00:00Z",
      "",
      "\n",
      "\n\n",
      "x",
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.constantFrom("\0", "", "\n")), { maxLength: 12 }), (parts) => {
        const text = parts.map(([p, sep]) => p + sep).join("");
        expect([...parseMergeDates(text)]).toEqual([...reference(text)]);
      }),
      { numRuns: 2000 },
    );
  });
});
