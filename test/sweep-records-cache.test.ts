// The sweep's summary cache (src/sweep/records.ts) over an in-memory store that lists blob shas as a
// git checkout does: whatever the records, the edits, renames and deletes between runs, the
// working-tree changes, the clock and the state of the cache file, the records read with the cache
// are exactly the ones a scan of every file gives — so the plan is too, and no due grant is hidden.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ManagedResource } from "../src/aws/types.js";
import { configFromObject } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import type { KnownFile, RecordStore, ScannedFile, StoredFile } from "../src/store/record-store.js";
import { parseRecords, planSweep, type RecordSummary } from "../src/sweep/plan.js";
import { decodeSummaryCache, encodeSummaryCache, readSweepRecords, SUMMARY_CACHE_FILE } from "../src/sweep/records.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const gitBlobSha = (text: string): string => {
  const data = Buffer.from(text);
  return createHash("sha1").update(`blob ${data.byteLength}\0`).update(data).digest("hex");
};

const NOW = new Date("2026-11-27T12:00:00Z");
const config: Config = (() => {
  const r = configFromObject({ aws: { mode: "iam", region: "us-east-1", accounts: { prod: HOME } }, principals: { alice: { iam_user: "alice" } } });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
})();

const KINDS = ["proposed", "due", "soon", "active", "expired", "revoked", "rejected", "scheduled", "broken", "crlf", "foreign"] as const;
type Kind = (typeof KINDS)[number];

/** A record of `kind` for id `<n>-cache`; "soon" is active and expires within the hour (due once the clock moves on). */
function recordText(n: number, kind: Kind): string {
  const id = `${100 + n}-cache`;
  if (kind === "broken") return `id: ${id}\nstatus: [active\n`;
  if (kind === "foreign") return `id: 999-other\nstatus: expired\n`;
  const base = testRequest({ id, requester: "alice", policy: testPolicy(`b-${n}`) });
  const expires =
    kind === "due" ? "2026-11-27T11:00:00Z" : kind === "soon" ? "2026-11-27T12:30:00Z" : kind === "active" ? "2026-11-28T13:00:00Z" : "2026-11-26T12:00:00Z";
  const grant = {
    approved_by: ["bob"],
    merge_commit: "c".repeat(40),
    granted_at: "2026-11-26T04:00:00Z",
    expires_at: expires,
    aws: { mode: "iam" as const, account_id: HOME, resources: [`arn:aws:iam::${HOME}:policy/jit-access/jit-${id}`] },
  };
  const status = kind === "due" || kind === "soon" || kind === "active" || kind === "crlf" ? "active" : kind;
  const r: AccessRequest =
    status === "proposed"
      ? base
      : status === "scheduled"
        ? {
            ...base,
            status,
            scheduled: {
              approved_by: ["bob"],
              merge_commit: "c".repeat(40),
              approved_at: "2026-11-26T04:00:00Z",
              starts_at: "2026-11-27T11:30:00Z",
              expires_at: "2026-11-27T13:30:00Z",
              risk: "low",
            },
          }
        : status === "rejected"
          ? { ...base, status, closed: { at: expires, reason: "no" } }
          : { ...base, status, grant, ...(status === "active" ? {} : { closed: { at: expires, reason: status } }) };
  const text = dumpRequest(r);
  return kind === "crlf" ? text.replaceAll("\n", "\r\n") : text;
}

/**
 * A checkout in memory: the working tree (path → text) and git's index (path → blob sha). listKnown
 * lists the tree's files in scan order, with the index's sha only where the file holds that blob,
 * as `git ls-files -m -d -o` tells a clean file from a changed, deleted or untracked one.
 */
class MemoryCheckout implements RecordStore {
  readonly tree = new Map<string, string>();
  readonly index = new Map<string, string>();
  readonly private = new Map<string, Buffer>();
  reads = 0;
  async list(): Promise<StoredFile[]> {
    return this.ordered().map((path) => ({ path, text: this.tree.get(path)!, sha: gitBlobSha(this.tree.get(path)!) }));
  }
  async scan(visit: (f: ScannedFile) => void): Promise<void> {
    for (const path of this.ordered()) visit({ path, text: this.tree.get(path)! });
  }
  async read(path: string): Promise<StoredFile | undefined> {
    const text = this.tree.get(path);
    return text === undefined ? undefined : { path, text, sha: gitBlobSha(text) };
  }
  write(): Promise<never> {
    return Promise.reject(new Error("read only"));
  }
  async listKnown(): Promise<KnownFile[]> {
    const paths = [...new Set([...this.tree.keys(), ...this.index.keys()])].sort(byScanOrder);
    return paths.map((path) => {
      const sha = this.index.get(path);
      const text = this.tree.get(path);
      return sha !== undefined && text !== undefined && gitBlobSha(text) === sha ? { path, sha } : { path };
    });
  }
  readKnown(path: string): StoredFile | undefined {
    this.reads++;
    const text = this.tree.get(path);
    return text === undefined ? undefined : { path, text, sha: gitBlobSha(text) };
  }
  async loadPrivate(name: string): Promise<Buffer | undefined> {
    return this.private.get(name);
  }
  async savePrivate(name: string, data: string): Promise<void> {
    this.private.set(name, Buffer.from(data));
  }
  commit(path: string): void {
    const text = this.tree.get(path);
    if (text === undefined) this.index.delete(path);
    else this.index.set(path, gitBlobSha(text));
  }
  private ordered(): string[] {
    return [...this.tree.keys()].sort(byScanOrder);
  }
}

const byScanOrder = (a: string, b: string): number => {
  const x = a.replaceAll("/", "\0");
  const y = b.replaceAll("/", "\0");
  return x < y ? -1 : x > y ? 1 : 0;
};

/** AWS resources of some of the ids, so reconcile's no-record / not-active decisions are compared too. */
function managedOf(ids: number[]): ManagedResource[] {
  return ids.map((n): ManagedResource => {
    const id = `${100 + n}-cache`;
    return {
      kind: "iam-policy",
      arn: `arn:aws:iam::${HOME}:policy/jit-access/jit-${id}`,
      name: `jit-${id}`,
      requestId: id,
      accountIds: [HOME],
    };
  });
}

const FOLDERS = ["access-requests/prod/2025", "access-requests/prod/2026", "access-requests/prod-eu", "access-requests/examples"];

type Op =
  | { op: "write"; n: number; kind: Kind; folder: number; commit: boolean }
  | { op: "move"; from: number; folder: number; commit: boolean }
  | { op: "delete"; from: number; commit: boolean }
  | { op: "cache"; how: "delete" | "truncate" | "flip" | "garbage" | "foreign-version"; at: number }
  | { op: "clock"; minutes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("write" as const), n: fc.nat(12), kind: fc.constantFrom(...KINDS), folder: fc.nat(FOLDERS.length - 1), commit: fc.boolean() }),
  fc.record({ op: fc.constant("move" as const), from: fc.nat(50), folder: fc.nat(FOLDERS.length - 1), commit: fc.boolean() }),
  fc.record({ op: fc.constant("delete" as const), from: fc.nat(50), commit: fc.boolean() }),
  fc.record({ op: fc.constant("cache" as const), how: fc.constantFrom("delete", "truncate", "flip", "garbage", "foreign-version"), at: fc.nat(100_000) }),
  fc.record({ op: fc.constant("clock" as const), minutes: fc.integer({ min: 1, max: 120 }) }),
);

function apply(store: MemoryCheckout, o: Op, clock: { now: Date }): void {
  const nth = (k: number) => [...store.tree.keys()].sort()[k % Math.max(1, store.tree.size)];
  if (o.op === "write") {
    const path = `${FOLDERS[o.folder]}/${100 + o.n}-cache.yaml`;
    store.tree.set(path, recordText(o.n, o.kind));
    if (o.commit) store.commit(path);
  } else if (o.op === "move") {
    const from = nth(o.from);
    if (!from) return;
    const to = `${FOLDERS[o.folder]}/${from.slice(from.lastIndexOf("/") + 1)}`;
    const text = store.tree.get(from)!;
    store.tree.delete(from);
    store.tree.set(to, text);
    if (o.commit) {
      store.commit(from);
      store.commit(to);
    }
  } else if (o.op === "delete") {
    const from = nth(o.from);
    if (!from) return;
    store.tree.delete(from);
    if (o.commit) store.commit(from);
  } else if (o.op === "cache") {
    const raw = store.private.get(SUMMARY_CACHE_FILE);
    if (o.how === "delete" || !raw) store.private.delete(SUMMARY_CACHE_FILE);
    else if (o.how === "truncate") store.private.set(SUMMARY_CACHE_FILE, raw.subarray(0, o.at % raw.length));
    else if (o.how === "flip") {
      const copy = Buffer.from(raw);
      copy[o.at % copy.length] = (copy[o.at % copy.length]! + 1) % 256;
      store.private.set(SUMMARY_CACHE_FILE, copy);
    } else if (o.how === "garbage") store.private.set(SUMMARY_CACHE_FILE, Buffer.from("not a cache\n"));
    else store.private.set(SUMMARY_CACHE_FILE, Buffer.from(raw.toString("latin1").replace("sweep-cache 2", "sweep-cache 3"), "latin1"));
  } else clock.now = new Date(clock.now.getTime() + o.minutes * 60_000);
}

/** The records and plan a scan of every file gives (no cache), and the ones readSweepRecords gives. */
async function both(store: MemoryCheckout, now: Date, managed: ManagedResource[]) {
  const scanned: Array<{ path: string; text: string }> = [];
  await store.scan((f) => scanned.push(f));
  const full = parseRecords(scanned, config, { now });
  const { records, stats } = await readSweepRecords(store, config, now);
  return {
    full,
    records,
    stats,
    fullPlan: planSweep(full, managed, now, { mode: "iam" }),
    plan: planSweep(records, managed, now, { mode: "iam" }),
  };
}

describe("the sweep's summary cache", () => {
  it("gives the records and plan a full read gives, over random records, edits, renames, deletes, working-tree changes, clocks and cache damage", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ n: fc.nat(12), kind: fc.constantFrom(...KINDS), folder: fc.nat(FOLDERS.length - 1) }), { maxLength: 25 }),
        fc.array(fc.array(opArb, { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        fc.subarray([...Array(13).keys()]),
        async (initial, rounds, withResources) => {
          const store = new MemoryCheckout();
          for (const r of initial) {
            const path = `${FOLDERS[r.folder]}/${100 + r.n}-cache.yaml`;
            store.tree.set(path, recordText(r.n, r.kind));
            store.commit(path);
          }
          const clock = { now: NOW };
          const managed = managedOf(withResources);
          for (const ops of [[], ...rounds]) {
            for (const o of ops) apply(store, o, clock);
            const r = await both(store, clock.now, managed);
            expect(r.records).toEqual(r.full);
            expect(r.plan).toEqual(r.fullPlan);
            // Never hidden: every due grant of the full read is due with the cache.
            expect(r.plan.due.map((d) => d.file)).toEqual(r.fullPlan.due.map((d) => d.file));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads only the files it has no summary for on a second run, and a grant that fell due since is parsed and due", async () => {
    const store = new MemoryCheckout();
    const kinds: Kind[] = ["expired", "revoked", "rejected", "proposed", "active", "soon", "due", "scheduled"];
    kinds.forEach((k, n) => {
      const path = `access-requests/prod/2026/${100 + n}-cache.yaml`;
      store.tree.set(path, recordText(n, k));
      store.commit(path);
    });
    const first = await readSweepRecords(store, config, NOW);
    expect(first.stats).toMatchObject({ via: "cache", files: 8, reads: 8, cacheIgnored: "absent", saved: true });
    store.reads = 0;
    const second = await readSweepRecords(store, config, NOW);
    // due and scheduled are parsed every time; the other six come from the cache.
    expect(second.stats).toMatchObject({ via: "cache", files: 8, reads: 2, saved: false });
    expect(second.stats.cacheIgnored).toBeUndefined();
    // An hour later the "soon" grant (cached as active) has passed its expiry: it is read and due.
    const later = new Date(NOW.getTime() + 3_600_000);
    const third = await readSweepRecords(store, config, later);
    expect(third.stats.reads).toBe(3);
    expect(planSweep(third.records, undefined, later).due.map((d) => d.id)).toEqual(["106-cache", "105-cache"]);
  });

  it("reads a file changed in the working tree from disk, whatever the cache holds for the committed blob", async () => {
    const store = new MemoryCheckout();
    const path = "access-requests/prod/2026/100-cache.yaml";
    store.tree.set(path, recordText(0, "active"));
    store.commit(path);
    await readSweepRecords(store, config, NOW);
    store.tree.set(path, recordText(0, "due"));
    const { records } = await readSweepRecords(store, config, NOW);
    expect(planSweep(records, undefined, NOW).due.map((d) => d.id)).toEqual(["100-cache"]);
  });

  it("falls back on a scan when the store cannot list blob shas", async () => {
    const store = new MemoryCheckout();
    store.tree.set("access-requests/prod/2026/100-cache.yaml", recordText(0, "expired"));
    store.listKnown = async () => undefined as unknown as KnownFile[];
    const r = await readSweepRecords(store, config, NOW);
    expect(r.stats).toEqual({ via: "scan", files: 1, reads: 1, saved: false });
    expect(r.records).toEqual(parseRecords([{ path: "access-requests/prod/2026/100-cache.yaml", text: recordText(0, "expired") }], config, { now: NOW }));
  });
});

describe("the summary cache file", () => {
  const summaryArb: fc.Arbitrary<RecordSummary> = fc.oneof(
    fc.record({
      id: fc.tuple(fc.integer({ min: 1, max: 99_999 }), fc.stringMatching(/^[a-z0-9]{1,8}$/)).map(([n, s]) => `${n}-${s}`),
      status: fc.constantFrom("proposed" as const, "expired" as const, "revoked" as const, "rejected" as const, "failed" as const),
    }),
    fc.record({
      id: fc.tuple(fc.integer({ min: 1, max: 99_999 }), fc.stringMatching(/^[a-z0-9]{1,8}$/)).map(([n, s]) => `${n}-${s}`),
      status: fc.constant("active" as const),
      expires_at: fc
        .date({ min: new Date("2000-01-01"), max: new Date("2099-01-01"), noInvalidDate: true })
        .map((d) => d.toISOString().replace(/\.\d{3}Z$/, "Z")),
    }),
  );
  const entriesArb = fc.uniqueArray(fc.tuple(fc.stringMatching(/^[0-9a-f]{40}$/), summaryArb), { selector: ([sha]) => sha, maxLength: 30 });

  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const map = new Map(entries);
        expect(decodeSummaryCache(encodeSummaryCache(map))).toEqual(map);
      }),
    );
  });

  it("refuses a torn, edited or foreign file whole", () => {
    fc.assert(
      fc.property(entriesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (entries, at, delta) => {
        const text = Buffer.from(encodeSummaryCache(new Map(entries)));
        const cut = at % text.length;
        expect(decodeSummaryCache(text.subarray(0, cut))).toBeUndefined();
        const flipped = Buffer.from(text);
        flipped[cut] = (flipped[cut]! + delta) % 256;
        expect(decodeSummaryCache(flipped)).toBeUndefined();
      }),
    );
    expect(decodeSummaryCache(Buffer.alloc(0))).toBeUndefined();
    // Another version's file (the text format before this one, or a later one), checksum and all.
    const v1 = "jit-access sweep-cache 1\n";
    expect(decodeSummaryCache(Buffer.from(`${v1}${createHash("sha1").update(v1).digest("hex")}\n`))).toBeUndefined();
    expect(
      decodeSummaryCache(Buffer.from(encodeSummaryCache(new Map()).toString("latin1").replace("sweep-cache 2", "sweep-cache 3"), "latin1")),
    ).toBeUndefined();
  });

  /** A cache file of raw entries (sha hex, status code, text) in the documented layout, checksum right: what a foreign writer could leave. */
  const rawCache = (entries: Array<[string, number, string]>): Buffer => {
    const n = entries.length;
    const head = Buffer.alloc(25 + 4 + 25 * n);
    head.write("jit-access sweep-cache 2\n", 0, "latin1");
    head.writeUInt32LE(n, 25);
    let end = 0;
    entries.forEach(([sha, code, text], e) => {
      head.write(sha, 29 + 20 * e, "hex");
      head[29 + 20 * n + e] = code;
      end += Buffer.byteLength(text, "latin1");
      head.writeUInt32LE(end, 29 + 21 * n + 4 * e);
    });
    const body = Buffer.concat([head, ...entries.map(([, , t]) => Buffer.from(t, "latin1"))]);
    return Buffer.concat([body, createHash("sha1").update(body).digest()]);
  };

  it("refuses a well-formed file with an entry no summary can be", () => {
    const sha = "a".repeat(40);
    // Codes: proposed 0, active 1, expired 2, revoked 3, rejected 4, failed 5.
    expect(decodeSummaryCache(rawCache([[sha, 2, "100-ok"]]))?.size).toBe(1);
    expect(decodeSummaryCache(rawCache([[sha, 1, "100-ok 2026-01-01T00:00:00Z"]]))?.size).toBe(1);
    for (const [code, text] of [
      [6, "100-ok"], // no status (scheduled is never summarized)
      [1, "100-ok"],
      [1, "100-ok tomorrow"],
      [2, "100-ok 2026-01-01T00:00:00Z"],
      [2, "Not-An-Id"],
      [2, "100-ok x y"],
      [2, ""],
      [2, "00-ok"],
      [2, "100-ok-"],
      [2, "12345678901-ok"],
    ] as const)
      expect(decodeSummaryCache(rawCache([[sha, code, text]])), `${code} ${text}`).toBeUndefined();
    // Shas out of order or twice: not a file this version writes.
    expect(
      decodeSummaryCache(
        rawCache([
          ["b".repeat(40), 2, "100-ok"],
          [sha, 2, "101-ok"],
        ]),
      ),
    ).toBeUndefined();
    expect(
      decodeSummaryCache(
        rawCache([
          [sha, 2, "100-ok"],
          [sha, 2, "101-ok"],
        ]),
      ),
    ).toBeUndefined();
  });

  it("never uses an entry no summary can be: its file is read", async () => {
    const store = new MemoryCheckout();
    const path = "access-requests/prod/2026/100-cache.yaml";
    store.tree.set(path, recordText(0, "due"));
    store.commit(path);
    const sha = store.index.get(path)!;
    // Entries for the due grant's blob saying it is closed, but not as a summary can say it.
    for (const [code, text] of [
      [2, "100-Cache"],
      [6, "100-cache"],
      [1, "100-cache"],
      [2, "100-cache 2099-01-01T00:00:00Z"],
    ] as const) {
      store.private.set(SUMMARY_CACHE_FILE, rawCache([[sha, code, text]]));
      store.reads = 0;
      const { records, stats } = await readSweepRecords(store, config, NOW);
      expect(stats.reads).toBe(1);
      expect(planSweep(records, undefined, NOW).due.map((d) => d.id)).toEqual(["100-cache"]);
    }
    // A well-formed entry is used (it is the summary of that blob, as the writer vouches): only the check is the reader's.
    store.private.set(SUMMARY_CACHE_FILE, rawCache([[sha, 2, "100-cache"]]));
    expect((await readSweepRecords(store, config, NOW)).stats.reads).toBe(0);
  });
});
