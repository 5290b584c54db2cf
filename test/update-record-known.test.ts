// updateRecord with the caller's own read as the first attempt's: the outcome is the one a fresh
// read gives, whatever happened to the file between that read and the write (the sha is the
// compare-and-swap token), and one read fewer when nothing did.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ConflictError, updateRecord, type RecordStore, type StoredFile, type Update } from "../src/store/record-store.js";

const PATH = "access-requests/prod/2026/1-x.yaml";

/** A one-file store with compare-and-swap on a content hash, counting reads. */
function store(text: string | undefined): RecordStore & { reads: number; text: string | undefined } {
  const s = {
    reads: 0,
    text,
    list: () => Promise.resolve([]),
    read: (path: string): Promise<StoredFile | undefined> => {
      s.reads++;
      return Promise.resolve(s.text === undefined ? undefined : { path, sha: `sha:${s.text}`, text: s.text });
    },
    write: (_path: string, next: string, opts: { message: string; expectedSha: string | undefined }) => {
      const current = s.text === undefined ? undefined : `sha:${s.text}`;
      if (current !== opts.expectedSha) return Promise.reject(new ConflictError("changed"));
      s.text = next;
      return Promise.resolve({ sha: `sha:${next}`, commit: "c" });
    },
  };
  return s;
}

/** Writes "expired" over an "active" record only; anything else is skipped. */
const decide = (f: StoredFile | undefined): Update =>
  f?.text === "active" ? { kind: "write", text: "expired", message: "m" } : { kind: "skip", reason: f ? `already ${f.text}` : "gone" };

const states = fc.constantFrom<string | undefined>("active", "revoked", "expired", undefined);

describe("updateRecord with a known first read", () => {
  it("ends as a fresh read would, for any record read and any record found at the write", async () => {
    await fc.assert(
      fc.asyncProperty(states, states, async (seen, now) => {
        const known = seen === undefined ? undefined : { path: PATH, sha: `sha:${seen}`, text: seen };
        const withKnown = store(now);
        const fresh = store(now);
        const a = await updateRecord(withKnown, PATH, decide, 5, { file: known });
        const b = await updateRecord(fresh, PATH, decide);
        expect({ kind: a.kind, text: withKnown.text }).toEqual({ kind: b.kind, text: fresh.text });
        if (a.kind === "skipped" && b.kind === "skipped") expect(a.reason).toBe(b.reason);
      }),
    );
  });

  it("does not read again when the known read is current", async () => {
    const s = store("active");
    const out = await updateRecord(s, PATH, decide, 5, { file: { path: PATH, sha: "sha:active", text: "active" } });
    expect(out.kind).toBe("written");
    expect(s.reads).toBe(0);
  });

  it("reads again when the record changed since the known read, and decides on what is there", async () => {
    const s = store("revoked");
    const out = await updateRecord(s, PATH, decide, 5, { file: { path: PATH, sha: "sha:active", text: "active" } });
    expect(out).toMatchObject({ kind: "skipped", reason: "already revoked", attempts: 2 });
    expect(s.reads).toBe(1);
    expect(s.text).toBe("revoked");
  });
});
