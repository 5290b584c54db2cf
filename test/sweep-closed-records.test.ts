// planSweep given the closed summaries compactly (ClosedRecords) plans exactly as given every
// record in order: over records with shared ids of every kind (summaries, parsed requests with and
// without an account, unreadable and due-scheduled ones) in any order, with resources to reconcile.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ManagedResource } from "../src/aws/types.js";
import type { RequestStatus } from "../src/domain/types.js";
import { ClosedRecords, compactRecords, planSweep, type SweepRecord } from "../src/sweep/plan.js";
import { HOME, testRequest } from "./support/fake-aws/fixtures.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const IDS = ["1-a", "2-b", "3-c"];
const OTHER = "210987654321";
const SUMMARY_STATUSES: RequestStatus[] = ["proposed", "active", "expired", "revoked", "rejected", "failed"];
const REQUEST_STATUSES: RequestStatus[] = ["proposed", "active", "expired", "revoked"];

const recordArb: fc.Arbitrary<SweepRecord> = fc.oneof(
  fc.record({ id: fc.constantFrom(...IDS), status: fc.constantFrom(...SUMMARY_STATUSES), folder: fc.nat(2) }).map(({ id, status, folder }): SweepRecord => ({
    path: `access-requests/f${folder}/${id}.yaml`,
    summary: status === "active" ? { id, status, expires_at: "2026-11-27T13:00:00Z" } : { id, status },
  })),
  fc
    .record({ id: fc.constantFrom(...IDS), status: fc.constantFrom(...REQUEST_STATUSES), account: fc.constantFrom(HOME, OTHER, undefined), due: fc.boolean() })
    .map(({ id, status, account, due }): SweepRecord => {
      const base = { ...testRequest({ id }), status };
      if (status !== "active" && account === undefined) return { path: `access-requests/r/${id}.yaml`, request: base };
      const aws = { mode: "iam" as const, account_id: account ?? HOME, resources: [`arn:aws:iam::${account ?? HOME}:policy/jit-access/jit-${id}`] };
      const expires_at = due ? "2026-11-27T11:00:00Z" : "2026-11-27T13:00:00Z";
      return {
        path: `access-requests/r/${id}.yaml`,
        request: { ...base, grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T10:00:00Z", expires_at, aws } },
      };
    }),
  fc.record({ id: fc.constantFrom(...IDS), scheduled: fc.boolean() }).map(({ id, scheduled }): SweepRecord => ({
    path: `access-requests/p/${id}.yaml`,
    problems: [{ code: "schema.type", path: "", message: "bad" }],
    id,
    ...(scheduled ? { status: "scheduled" as const, startsAt: "2026-11-27T11:30:00Z" } : {}),
  })),
);

const managedArb: fc.Arbitrary<ManagedResource[]> = fc.array(
  fc.record({ id: fc.constantFrom(...IDS), located: fc.boolean() }).map(({ id, located }): ManagedResource => ({
    kind: "iam-policy",
    arn: `arn:aws:iam::${HOME}:policy/jit-access/jit-${id}`,
    name: `jit-${id}`,
    requestId: id,
    accountIds: located ? [HOME] : [],
  })),
  { maxLength: 4 },
);

describe("ClosedRecords", () => {
  it("plans as the records in order do, over shared ids of every kind of record", () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 12 }), managedArb, (records, managed) => {
        const compact = compactRecords(records);
        expect(compact.records.every((r) => !("summary" in r) || !ClosedRecords.takes(r.summary))).toBe(true);
        for (const m of [managed, undefined]) {
          expect(planSweep(compact.records, m, NOW, { closed: compact.closed, fallbackAccountId: OTHER })).toEqual(
            planSweep(records, m, NOW, { fallbackAccountId: OTHER }),
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps the first summary of the highest rank of an id", () => {
    const c = new ClosedRecords();
    c.add("1-a", "expired", 0);
    c.add("1-a", "revoked", 1);
    c.add("1-a", "proposed", 2);
    c.add("1-a", "rejected", 3);
    expect(c.byId.get("1-a")).toBe(2 * 8 + 0);
    expect(() => c.add("1-a", "active", 4)).toThrow(/not a closed summary/);
  });

  it("takes ids by reference (made when byId is read) as it takes them by value, in any mix and before or after a read", () => {
    const CLOSED: RequestStatus[] = ["proposed", "expired", "revoked", "rejected", "failed"];
    const addArb = fc.record({
      id: fc.constantFrom(...IDS),
      status: fc.constantFrom(...CLOSED),
      byRef: fc.boolean(),
      source: fc.nat(1),
      readFirst: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(addArb, { maxLength: 20 }), (adds) => {
        const plain = new ClosedRecords();
        const mixed = new ClosedRecords();
        // Two listings, each naming ref k as the id of the k-th add.
        const names = [(k: number) => adds[k]!.id, (k: number) => adds[k]!.id];
        adds.forEach((a, k) => {
          plain.add(a.id, a.status, k);
          if (a.readFirst) void mixed.byId;
          if (a.byRef) mixed.addRef(k, a.status, k, names[a.source]!);
          else mixed.add(a.id, a.status, k);
        });
        expect([...mixed.byId].sort()).toEqual([...plain.byId].sort());
      }),
      { numRuns: 1000 },
    );
  });
});
