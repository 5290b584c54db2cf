// The merge's decision, pure: decideMerge over a table of merge facts gives the verdict, the rule
// codes and the effect kinds — no Octokit, no AccessRepo. It asks for each fact it lacks; filling
// those in one at a time reaches the same decision as deciding on all of them, and a merge refused
// early asks for nothing more.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { decideMerge, type MergeDecision, type MergeFacts, type Need } from "../src/github/grant-decision.js";
import { activeRecord, grantAnnouncement } from "../src/github/grant-announce.js";
import { loadCatalogue } from "../src/iam-data.js";
import { describeEffects } from "../src/lifecycle/effects.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { blobSha, memoryRepoConfig } from "./support/memory-repo.js";

const ID = "7-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const MERGE = "d".repeat(40);
const NOW = new Date("2026-11-27T10:00:00Z");
const APP = { login: "jit-access[bot]", type: "Bot" };
const PROPOSED = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy() }), "proposed");
const BLOB = blobSha(PROPOSED);
const ACTIVE = dumpRequest(
  {
    ...testRequest({ id: ID, duration: "2h", policy: testPolicy() }),
    status: "active",
    grant: { approved_by: ["bob"], merge_commit: MERGE, pr: 8, granted_at: "2026-11-27T09:59:00Z", expires_at: "2026-11-27T11:59:00Z" },
  },
  "active",
);
const catalogue = loadCatalogue();
const config = parseConfig(memoryRepoConfig(HOME));

/** A merge the app grants: alice's request, approved by bob on the head, merged with a merge commit. */
function approvedFacts(): Required<Omit<MergeFacts, "teams" | "appLogin" | "claim">> & Pick<MergeFacts, "teams" | "appLogin" | "claim"> {
  return {
    pr: {
      number: 8,
      merged: true,
      mergeCommitSha: MERGE,
      mergedAt: "2026-11-27T09:59:00Z",
      headSha: HEAD,
      headRef: `jit/${ID}`,
      baseSha: BASE,
      author: APP,
      changedFiles: 1,
    },
    now: NOW,
    catalogue,
    files: [{ path: FILE, status: "added", previousPath: null, sha: BLOB }],
    tips: {
      commits: [{ sha: HEAD, parents: [BASE], message: "jit-access: propose", gitAuthor: null, author: APP, committer: APP }],
      located: { kind: "tips", method: "merge commit", tips: [BASE] },
      fingerprints: ["rules"],
    },
    config,
    records: { before: [null], onMain: { text: PROPOSED, sha: BLOB } },
    atMerge: { text: PROPOSED, sha: BLOB },
    origin: { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false },
    approvals: {
      reviews: [{ id: 1, user: { login: "bob", type: "User" }, state: "APPROVED", commit_id: HEAD, submitted_at: "2026-11-27T09:30:00Z" }],
      codeowners: [],
    },
    eligibility: null,
  };
}

type Facts = ReturnType<typeof approvedFacts>;
const TOLD_PR = ["comment", "state"];
const RECORDED_AND_TOLD = ["record", "notify", "comment", "state", "comment", "state"];

const TABLE: Array<{ name: string; change: (f: Facts) => void; kind: MergeDecision["kind"]; codes?: string[]; effects: string[] }> = [
  { name: "approved and merged", change: () => {}, kind: "approved", effects: [] },
  { name: "closed without a merge", change: (f) => Object.assign(f.pr, { merged: false, mergeCommitSha: null }), kind: "ignored", effects: [] },
  {
    name: "no request file",
    change: (f) => (f.files = [{ path: "README.md", status: "modified", previousPath: null, sha: "1".repeat(40) }]),
    kind: "ignored",
    effects: [],
  },
  {
    name: "a request file and another file",
    change: (f) => {
      f.files.push({ path: ".github/jit-access.yml", status: "modified", previousPath: null, sha: "1".repeat(40) });
      f.pr.changedFiles = 2;
    },
    kind: "blocked",
    codes: ["merge.extra-files"],
    effects: TOLD_PR,
  },
  {
    name: "the pre-merge tip cannot be told",
    change: (f) => (f.tips.located = { kind: "unknown", code: "merge.tip-unknown", reason: "no" }),
    kind: "blocked",
    codes: ["merge.tip-unknown"],
    effects: TOLD_PR,
  },
  {
    name: "two candidate tips with different rules",
    change: (f) => Object.assign(f.tips, { located: { kind: "tips", method: "rebase", tips: [BASE, "e".repeat(40)] }, fingerprints: ["a", "b"] }),
    kind: "blocked",
    codes: ["merge.rules-ambiguous"],
    effects: TOLD_PR,
  },
  {
    name: "the config at the tip does not parse",
    change: (f) => (f.config = parseConfig("max_duration: forever\n")),
    kind: "blocked",
    codes: ["schema.pattern"],
    effects: TOLD_PR,
  },
  {
    name: "an active record rewritten by the PR: restored, said on the PR",
    change: (f) => (f.records.before = [{ text: ACTIVE, sha: blobSha(ACTIVE) }]),
    kind: "blocked",
    codes: ["record.rewritten"],
    effects: ["record", ...TOLD_PR],
  },
  {
    name: "an active record rewritten, and changed again since the merge: said, not restored",
    change: (f) => Object.assign(f.records, { before: [{ text: ACTIVE, sha: blobSha(ACTIVE) }], onMain: { text: "other\n", sha: "9".repeat(40) } }),
    kind: "blocked",
    codes: ["record.rewritten"],
    effects: TOLD_PR,
  },
  {
    name: "a replayed delivery of a granted merge: Granted said again from the record",
    change: (f) => (f.records.onMain = { text: ACTIVE, sha: blobSha(ACTIVE) }),
    kind: "already",
    effects: ["comment", "state", "comment", "state"],
  },
  {
    name: "the file is not in the merge commit",
    change: (f) => (f.atMerge = null),
    kind: "blocked",
    codes: ["merge.file-missing"],
    effects: ["record", ...TOLD_PR],
  },
  {
    name: "the merged file has no policy",
    change: (f) => (f.atMerge = { text: dumpRequest(testRequest({ id: ID, duration: "2h", policy: undefined }), "proposed"), sha: BLOB }),
    kind: "blocked",
    codes: ["merge.no-policy"],
    effects: RECORDED_AND_TOLD,
  },
  {
    name: "the merged file asks for a start still ahead: approved for it, nothing attached at the merge",
    // Added to the file as the other rows leave it, so that it hides none of their changes.
    change: (f) => {
      if (f.atMerge) f.atMerge = { ...f.atMerge, text: f.atMerge.text.replace(/^duration: .*$/m, (d) => `${d}\nstarts_at: '2026-11-28T22:00:00Z'`) };
    },
    kind: "approved",
    effects: [],
  },
  {
    name: "the merged file asks for a start more than 30 days ahead of the merge",
    change: (f) =>
      (f.atMerge = {
        text: dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy(), starts_at: "2027-01-28T22:00:00Z" }), "proposed"),
        sha: BLOB,
      }),
    kind: "blocked",
    codes: ["request.starts-at-too-far"],
    effects: RECORDED_AND_TOLD,
  },
  {
    name: "the issue was opened by someone else",
    change: (f) => (f.origin = { number: 7, author: { login: "mallory", type: "User" }, state: "open", isPull: false }),
    kind: "blocked",
    codes: ["merge.requester-mismatch"],
    effects: RECORDED_AND_TOLD,
  },
  {
    name: "the requester approved her own request",
    change: (f) => (f.approvals.reviews[0]!.user = { login: "alice", type: "User" }),
    kind: "blocked",
    effects: RECORDED_AND_TOLD,
  },
  {
    name: "the approval is on an older commit",
    change: (f) => (f.approvals.reviews[0]!.commit_id = "e".repeat(40)),
    kind: "blocked",
    effects: RECORDED_AND_TOLD,
  },
  {
    name: "merged so long ago that it has expired",
    change: (f) => (f.pr.mergedAt = "2026-11-27T07:00:00Z"),
    kind: "blocked",
    codes: ["merge.too-late"],
    effects: RECORDED_AND_TOLD,
  },
  {
    name: "recorded active by another merge meanwhile",
    change: (f) => (f.records.onMain = { text: ACTIVE.replace(MERGE, "f".repeat(40)), sha: "8".repeat(40) }),
    kind: "already",
    effects: [],
  },
];

function factsOf(change: (f: Facts) => void): Facts {
  const f = approvedFacts();
  change(f);
  return f;
}

const kindsOf = (d: MergeDecision): string[] => ("effects" in d ? d.effects.map((e) => e.kind) : []);

/** Decides from nothing, giving each fact the decision asks for from `all`; the needs in order. */
function decideStepwise(all: Facts): { decision: MergeDecision; asked: Need["fact"][] } {
  const facts: MergeFacts = { pr: all.pr, now: all.now, catalogue: all.catalogue };
  const asked: Need["fact"][] = [];
  for (;;) {
    const d = decideMerge(facts);
    if (d.kind !== "need") return { decision: d, asked };
    asked.push(d.need.fact);
    if (asked.length > 10) throw new Error(`asked for ${asked.join(", ")}`);
    Object.assign(facts, { [d.need.fact]: all[d.need.fact] });
  }
}

describe("decideMerge: merge facts → verdict, codes, effect kinds", () => {
  it.each(TABLE)("$name → $kind $effects", ({ change, kind, codes, effects }) => {
    const d = decideMerge(factsOf(change));
    expect(d.kind).toBe(kind);
    expect(kindsOf(d)).toEqual(effects);
    if (codes && d.kind === "blocked") expect(codesOf(d.problems)).toEqual(codes);
    if (d.kind === "blocked") expect(codesOf(d.problems).length).toBeGreaterThan(0);
  });

  it("refusals that reach the proposal record it rejected (the outcome names the commit), and only those", () => {
    for (const row of TABLE) {
      const d = decideMerge(factsOf(row.change));
      if (d.kind === "blocked") expect(d.rejects, row.name).toBe(kindsOf(d).includes("record") && !row.name.includes("restored"));
    }
  });

  it("an approval carries the grant: who approved, the expiry from the merge, the risk; its record and announcement are effects", () => {
    const d = decideMerge(approvedFacts());
    expect(d.kind).toBe("approved");
    if (d.kind !== "approved") return;
    expect(d.grant).toMatchObject({ request: { id: ID }, path: FILE, issueNumber: 7, approvedBy: ["bob"], expiresAt: "2026-11-27T11:59:00Z", mergeSha: MERGE });
    const result = {
      requestId: ID,
      mode: "iam" as const,
      accountId: HOME,
      resources: ["arn:aws:iam::111111111111:policy/x"],
      schedules: [],
      principal: { kind: "iam_user", name: "alice" },
      grantedAt: "2026-11-27T10:00:00Z",
      expiresAt: d.grant.expiresAt,
      changed: true,
    } as unknown as Parameters<typeof activeRecord>[2];
    expect(describeEffects([activeRecord(approvedFacts().pr, d.grant, result), ...grantAnnouncement(approvedFacts().pr, d.grant, result)])).toEqual([
      `record ${FILE}: grant until 2026-11-27T11:59:00Z`,
      "comment on #8 (<!-- jit-access:grant -->)",
      "state of #8 → active",
      "comment on #7 (<!-- jit-access:grant -->)",
      "state of #7 → active",
      `notify: granted ${ID}`,
    ]);
  });

  it("asked one fact at a time, it reaches the same decision, never asks twice, and a merge refused early reads nothing more", () => {
    for (const row of TABLE) {
      const all = factsOf(row.change);
      const { decision, asked } = decideStepwise(all);
      expect(decision.kind, row.name).toBe(row.kind);
      expect(kindsOf(decision), row.name).toEqual(row.effects);
      expect(new Set(asked).size, row.name).toBe(asked.length);
    }
    expect(decideStepwise(factsOf(TABLE[3]!.change)).asked).toEqual(["files"]);
    expect(decideStepwise(approvedFacts()).asked).toEqual(["files", "tips", "config", "records", "atMerge", "origin", "approvals"]);
  });

  it("a start still ahead is approved for later: the window is starts_at + duration; a start that has come is granted now, until the same end", () => {
    const at = (startsAt: string) =>
      decideMerge(
        factsOf(
          (f) => (f.atMerge = { text: dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy(), starts_at: startsAt }), "proposed"), sha: BLOB }),
        ),
      );
    const later = at("2026-11-28T22:00:00Z");
    expect(later.kind).toBe("approved");
    if (later.kind === "approved") expect([later.grant.startsAt, later.grant.expiresAt]).toEqual(["2026-11-28T22:00:00Z", "2026-11-29T00:00:00Z"]);
    // Merged late (NOW is 10:00): granted at once, ending when the approved window ends.
    const come = at("2026-11-27T09:30:00Z");
    expect(come.kind).toBe("approved");
    if (come.kind === "approved") expect([come.grant.startsAt, come.grant.expiresAt]).toEqual([undefined, "2026-11-27T11:30:00Z"]);
    // Merged after the window: nothing to grant.
    expect(at("2026-11-27T07:00:00Z")).toMatchObject({ kind: "blocked", problems: [{ code: "merge.too-late" }] });
  });

  it("over any mix of the table's changes: a grant only when every change is harmless, and the record restored only for a rewritten record", () => {
    const harmless = new Set(["approved and merged", "the merged file asks for a start still ahead: approved for it, nothing attached at the merge"]);
    fc.assert(
      fc.property(fc.subarray(TABLE, { minLength: 1, maxLength: 4 }), (rows) => {
        const d = decideMerge(factsOf((f) => rows.forEach((r) => r.change(f))));
        // A merge long ago is not late for a start still ahead: the approved window counts from the start.
        const startAhead = rows.some((r) => r.name.startsWith("the merged file asks for a start still ahead"));
        const harmlessHere = (name: string) => harmless.has(name) || (startAhead && name === "merged so long ago that it has expired");
        if (d.kind === "approved") expect(rows.every((r) => harmlessHere(r.name))).toBe(true);
        if (d.kind === "blocked" && d.effects[0]?.kind === "record" && !d.rejects) expect(codesOf(d.problems)).toEqual(["record.rewritten"]);
        // A refusal always tells the PR; never an AWS change, never a state other than blocked.
        if (d.kind === "blocked") {
          expect(d.effects.some((e) => e.kind === "comment" && e.issue === 8)).toBe(true);
          expect(d.effects.every((e) => e.kind !== "state" || e.state === "blocked")).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
