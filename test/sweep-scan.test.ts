// The sweep reads its records as a stream: runSweep plans from the store's scan (never holding the
// texts), a store without scan is read through list(), and either way the plan is the one that
// parsing every listed file gives.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configFromObject } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { scanRecords, type RecordStore, type ScannedFile, type StoredFile } from "../src/store/record-store.js";
import { parseRecords, planSweep } from "../src/sweep/plan.js";
import { runSweep } from "../src/sweep/run.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

/** git's blob id (as GitHub's contents API reports it), without importing the git store (which runs git). */
const gitBlobSha = (data: Buffer): string => createHash("sha1").update(`blob ${data.byteLength}\0`).update(data).digest("hex");

const NOW = new Date("2026-11-27T12:00:00Z");
const config: Config = (() => {
  const r = configFromObject({ aws: { mode: "iam", region: "us-east-1", accounts: { prod: HOME } }, principals: { alice: { iam_user: "alice" } } });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
})();

type Kind = "proposed" | "due" | "active" | "expired" | "revoked" | "rejected" | "broken";
function file(i: number, kind: Kind): { path: string; text: string } {
  const id = `${100 + i}-scan`;
  const path = `access-requests/prod/2026/${id}.yaml`;
  if (kind === "broken") return { path, text: `id: ${id}\nstatus: [active\n` };
  const base = testRequest({ id, requester: "alice", policy: testPolicy(`b-${i}`) });
  const expires = kind === "due" ? "2026-11-27T11:00:00Z" : kind === "active" ? "2026-11-27T13:00:00Z" : "2026-11-26T12:00:00Z";
  const grant = {
    approved_by: ["bob"],
    merge_commit: "c".repeat(40),
    granted_at: "2026-11-26T04:00:00Z",
    expires_at: expires,
    aws: { mode: "iam" as const, account_id: HOME, resources: [`arn:aws:iam::${HOME}:policy/jit-access/jit-${id}`] },
  };
  const status = kind === "due" ? "active" : kind;
  const r: AccessRequest =
    status === "proposed"
      ? base
      : status === "rejected"
        ? { ...base, status, closed: { at: expires, reason: "no" } }
        : { ...base, status, grant, ...(status === "active" ? {} : { closed: { at: expires, reason: status } }) };
  return { path, text: dumpRequest(r) };
}

/** A store that only streams: list() fails, so the test fails if the sweep holds the listing. */
function streamingStore(files: ReadonlyArray<{ path: string; text: string }>): RecordStore & { scans: number } {
  return {
    scans: 0,
    list: () => Promise.reject(new Error("the sweep must not list")),
    read: async (p) => {
      const f = files.find((x) => x.path === p);
      return f ? { ...f, sha: gitBlobSha(Buffer.from(f.text)) } : undefined;
    },
    write: () => Promise.reject(new Error("read only")),
    async scan(visit: (f: ScannedFile) => void) {
      this.scans++;
      for (const f of files) visit({ path: f.path, text: f.text });
    },
  };
}

const kinds: Kind[] = ["proposed", "due", "active", "expired", "revoked", "rejected", "broken"];

describe("the sweep's streamed read", () => {
  it("plans a dry run from the store's scan, as parsing every listed file would", async () => {
    const files = kinds.map((k, i) => file(i, k));
    const store = streamingStore(files);
    const report = await runSweep(
      { store, config, grants: () => Promise.reject(new Error("no AWS in a dry run")) as never },
      { now: NOW, dryRun: true, reconcile: false, concurrency: 1 },
    );
    expect(store.scans).toBe(1);
    expect(report.plan).toEqual(planSweep(parseRecords(files, config), undefined, NOW, { mode: "iam" }));
    expect(report.plan.due.map((d) => d.id)).toEqual(["101-scan"]);
    expect(report.plan.errors.map((e) => e.id)).toEqual(["106-scan"]);
  });

  it("streams the same plan as the full parse over any mix of records", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...kinds), { maxLength: 20 }), async (mix) => {
        const files = mix.map((k, i) => file(i, k));
        const report = await runSweep(
          { store: streamingStore(files), config, grants: () => ({}) as never },
          { now: NOW, dryRun: true, reconcile: false, concurrency: 1 },
        );
        expect(report.plan).toEqual(planSweep(parseRecords(files, config), undefined, NOW, { mode: "iam" }));
      }),
      { numRuns: 40 },
    );
  });

  it("reads a store without scan through list()", async () => {
    const files: StoredFile[] = [file(0, "due"), file(1, "expired")].map((f) => ({ ...f, sha: gitBlobSha(Buffer.from(f.text)) }));
    const store: RecordStore = { list: async () => files, read: async () => undefined, write: () => Promise.reject(new Error("read only")) };
    const seen: ScannedFile[] = [];
    await scanRecords(store, (f) => seen.push(f));
    expect(seen.map((f) => f.path)).toEqual(files.map((f) => f.path));
  });
});
