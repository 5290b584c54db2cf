// Applying a merged extension on the in-memory AccessRepo: AWS first, then the original record with
// compare-and-swap. Failures leave the grant ending at its recorded time (never later).
import { describe, expect, it } from "vitest";
import type { Grants, GrantResult } from "../src/aws/types.js";
import { CONFIG_PATH } from "../src/domain/config.js";
import { recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { approvedMerge, blobSha, MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const ID = "7-financial-reports";
const EXT = `${ID}-ext-1`;
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const EXT_FILE = `access-requests/prod/2026/${EXT}.yaml`;
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const MERGE = "d".repeat(40);
const NOW = new Date("2026-11-27T10:00:00Z");
const CONFIG = memoryRepoConfig(HOME);
const ACTIVE = dumpRequest(
  testRequest({
    id: ID,
    duration: "8h",
    status: "active",
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      pr: 8,
      granted_at: "2026-11-27T08:00:00Z",
      expires_at: "2026-11-27T16:00:00Z",
      aws: { mode: "iam", account_id: HOME, resources: [`arn:aws:iam::${HOME}:policy/jit-access/jit-${ID}`] },
    },
  }),
  "active",
);
const PROPOSED_EXT = dumpRequest(testRequest({ id: EXT, extends: ID, duration: "2h", policy: testPolicy() }), "extension");

let merged: MergedPr;

function repoWithExtensionMerged(): MemoryAccessRepo {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [FILE]: ACTIVE, [EXT_FILE]: PROPOSED_EXT });
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG, [FILE]: ACTIVE });
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [FILE]: ACTIVE, [EXT_FILE]: PROPOSED_EXT });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:active"]);
  merged = approvedMerge(repo, {
    pr: 20,
    id: EXT,
    file: EXT_FILE,
    text: PROPOSED_EXT,
    base: BASE,
    head: HEAD,
    merge: MERGE,
    message: "jit-access: propose extending",
  });
  return repo;
}

function grantsWith(extend: NonNullable<Grants["extend"]>, calls: string[]): Grants {
  return {
    grant: async () => {
      calls.push("grant");
      return {} as GrantResult;
    },
    revoke: async (t) => {
      calls.push("revoke");
      return { requestId: t.requestId, removed: [], alreadyGone: true };
    },
    listManaged: async () => [],
    extend: async (request, target, policy, expiresAt) => {
      calls.push(`extend ${request.id} ${expiresAt}`);
      return extend(request, target, policy, expiresAt);
    },
  };
}

describe("applying a merged extension", () => {
  it("moves the end in AWS, then on the original record; never grants anew", async () => {
    const repo = repoWithExtensionMerged();
    const calls: string[] = [];
    const out = await grantMergedOnce(repo, merged, {
      grantsFor: () => grantsWith(async (r, _t, _p, e) => ({ requestId: r.id, expiresAt: e, schedules: [] }), calls),
      now: () => NOW,
      appLogin: "jit-access[bot]",
    });
    expect(out).toMatchObject({ kind: "granted", id: ID, expiresAt: "2026-11-27T18:00:00Z" });
    expect(calls).toEqual([`extend ${ID} 2026-11-27T18:00:00Z`]);
    expect(repo.files.get(FILE)).toMatch(/^ {2}expires_at: '?2026-11-27T18:00:00Z'?$/m);
    expect(recordStatus(repo.files.get(EXT_FILE)!)).toBe("expired");
    // A replayed delivery changes nothing.
    expect(
      await grantMergedOnce(repo, merged, {
        grantsFor: () => grantsWith(async () => ({ requestId: ID, expiresAt: "", schedules: [] }), calls),
        now: () => NOW,
        appLogin: "jit-access[bot]",
      }),
    ).toMatchObject({
      kind: "already",
    });
    expect(calls).toHaveLength(1);
  });

  it("AWS refuses: the extension is recorded failed (aws.extend-failed), the original keeps its end", async () => {
    const repo = repoWithExtensionMerged();
    const calls: string[] = [];
    const out = await grantMergedOnce(repo, merged, {
      grantsFor: () =>
        grantsWith(async () => {
          throw new Error("AccessDenied");
        }, calls),
      now: () => NOW,
      appLogin: "jit-access[bot]",
    });
    expect(out.kind).toBe("failed");
    expect(repo.files.get(FILE)).toBe(ACTIVE);
    expect(recordStatus(repo.files.get(EXT_FILE)!)).toBe("failed");
    expect(repo.files.get(EXT_FILE)).toMatch(/^ {2}code: aws\.extend-failed$/m);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:active"]);
  });

  it("the original is revoked between the judgement and the record: AWS is put back to the old end, nothing recorded as extended", async () => {
    const repo = repoWithExtensionMerged();
    const calls: string[] = [];
    repo.beforeNextWrite = (store) => {
      store.files.set(
        FILE,
        ACTIVE.replace(/^status: active$/m, "status: revoked").replace(/^grant:/m, "closed:\n  at: '2026-11-27T09:59:30Z'\n  reason: done\ngrant:"),
      );
    };
    const out = await grantMergedOnce(repo, merged, {
      grantsFor: () => grantsWith(async (r, _t, _p, e) => ({ requestId: r.id, expiresAt: e, schedules: [] }), calls),
      now: () => NOW,
      appLogin: "jit-access[bot]",
    });
    expect(out.kind).toBe("failed");
    expect(calls).toEqual([`extend ${ID} 2026-11-27T18:00:00Z`, `extend ${ID} 2026-11-27T16:00:00Z`]);
    expect(repo.files.get(FILE)).toMatch(/^status: revoked$/m);
    expect(repo.files.get(EXT_FILE)).toMatch(/^ {2}code: record\.write-failed$/m);
  });

  it("refused by the approval rules (no approval): said on the extension PR only, the grant's issue untouched", async () => {
    const repo = repoWithExtensionMerged();
    repo.pulls.get(20)!.reviews = [];
    const calls: string[] = [];
    const out = await grantMergedOnce(repo, merged, {
      grantsFor: () => grantsWith(async () => ({ requestId: ID, expiresAt: "", schedules: [] }), calls),
      now: () => NOW,
      appLogin: "jit-access[bot]",
    });
    expect(out.kind).toBe("blocked");
    expect(out.kind === "blocked" && out.codes.every((c) => c.startsWith("approval."))).toBe(true);
    expect(calls).toEqual([]);
    expect(repo.files.get(FILE)).toBe(ACTIVE);
    expect(repo.issueLabels.get(7)).toEqual(["access-request", "jit:active"]);
    expect(repo.comments.get(7)).toBeUndefined();
    expect(repo.comments.get(20)?.size).toBeGreaterThan(0);
  });

  it("an extension whose duration is over the cap is refused before AWS is touched", async () => {
    const repo = repoWithExtensionMerged();
    const long = dumpRequest(testRequest({ id: EXT, extends: ID, duration: "17h", policy: testPolicy() }), "extension");
    for (const ref of [MERGE]) repo.setRef(ref, { [CONFIG_PATH]: CONFIG, [FILE]: ACTIVE, [EXT_FILE]: long });
    repo.files.set(EXT_FILE, long);
    repo.pulls.get(20)!.files = [{ path: EXT_FILE, status: "added", previousPath: null, sha: blobSha(long) }];
    const calls: string[] = [];
    const out = await grantMergedOnce(repo, merged, {
      grantsFor: () => grantsWith(async () => ({ requestId: ID, expiresAt: "", schedules: [] }), calls),
      now: () => NOW,
      appLogin: "jit-access[bot]",
    });
    expect(out).toMatchObject({ kind: "blocked", codes: ["merge.extension-too-long"] });
    expect(calls).toEqual([]);
    expect(repo.files.get(FILE)).toBe(ACTIVE);
  });
});
