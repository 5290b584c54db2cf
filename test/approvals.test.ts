import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  APPROVAL_CODES,
  APPROVAL_RULES,
  candidateTeams,
  changedFileProblems,
  checkChangedFiles,
  MAX_PR_COMMITS,
  normalizeLogin,
  preMergeTips,
  gatherFacts,
  verifyApproval,
  type ApprovalInput,
  type CommitFacts,
  type ApprovalCode,
  type ChangedFile,
  type Review,
} from "../src/domain/approvals.js";
import { ownersOf, parseCodeowners } from "../src/domain/codeowners.js";
import { codesOf, PROBLEM_CODE } from "../src/domain/problems.js";

const HEAD = "1111111111111111111111111111111111111111";
const OLD = "2222222222222222222222222222222222222222";
const MERGE = "3333333333333333333333333333333333333333";
const BASE = "6666666666666666666666666666666666666666";
const BLOB = "4444444444444444444444444444444444444444";
const OTHER_BLOB = "5555555555555555555555555555555555555555";
const FILE = "access-requests/prod/2026/142-financial-reports.yaml";

let nextId = 1;
function review(
  login: string | null,
  state: Review["state"],
  commit: string | null = HEAD,
  opts: { type?: string; at?: string | null; id?: number } = {},
): Review {
  const id = opts.id ?? nextId++;
  return {
    id,
    user: login === null ? null : { login, type: opts.type ?? "User" },
    state,
    commit_id: commit,
    submitted_at: opts.at === undefined ? new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString() : opts.at,
  };
}

/** A passing input: the app opened the PR for alice, bob (configured approver) approved the head. */
function base(): ApprovalInput {
  return {
    pr: { number: 7, author: { login: "jit-access[bot]", type: "Bot" }, headSha: HEAD, merged: true, mergeCommitSha: MERGE, baseSha: BASE, changedFiles: 1 },
    files: [{ path: FILE, status: "added" }],
    requestFile: { path: FILE, headBlobSha: BLOB, mergeBlobSha: BLOB },
    request: { requester: "alice", risk: "low" },
    commits: [{ sha: HEAD, author: { login: "jit-access[bot]", isBot: true }, committer: { login: "jit-access[bot]", isBot: true } }],
    reviews: [review("bob", "APPROVED")],
    config: { approvers: ["bob", "@acme/security"], required_approvals: { low: 1, medium: 1, high: 2 } },
    codeowners: { owners: ["@acme/prod-approvers"], line: 6, source: ".github/CODEOWNERS" },
    teamMembers: {
      "@acme/security": [
        { login: "carol", state: "active" },
        { login: "dave", state: "pending" },
      ],
      "@acme/prod-approvers": [
        { login: "erin", state: "active" },
        { login: "frank", state: "pending" },
      ],
    },
  };
}

interface Case {
  name: string;
  change: (i: ApprovalInput) => void;
  ok: boolean;
  /** Exactly the distinct codes of the failures (any order). */
  codes?: ApprovalCode[];
  approvedBy?: string[];
  /** Text every failure message (or, when ok, some note) must contain. */
  says?: string[];
}

const CASES: Case[] = [
  { name: "a configured approver approves the head", change: () => {}, ok: true, approvedBy: ["bob"] },
  // --- self-approval
  {
    name: "the requester approves their own request (even when a configured approver)",
    change: (i) => {
      i.config.approvers.push("alice");
      i.reviews = [review("alice", "APPROVED")];
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    says: ["alice", "the requester"],
  },
  {
    name: "a self-approval beside enough others does not count, and a note says so",
    change: (i) => {
      i.config.approvers.push("alice");
      i.reviews = [review("alice", "APPROVED"), review("bob", "APPROVED")];
    },
    ok: true,
    approvedBy: ["bob"],
    says: ["not counted (approval.self): alice approved but is the requester"],
  },
  {
    name: "the PR author approves (a hand-made PR)",
    change: (i) => {
      i.pr.author = { login: "bob", type: "User" };
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    says: ["bob", "the pull request author"],
  },
  {
    name: "the author of the last commit approves",
    change: (i) => {
      i.commits = [{ ...i.commits[0]!, author: { login: "bob" } }];
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    says: ["the author of commit 1111111"],
  },
  {
    name: "the committer of the last commit approves",
    change: (i) => {
      i.commits = [{ ...i.commits[0]!, committer: { login: "Bob" } }];
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    says: ["the committer of commit 1111111"],
  },
  {
    name: "the author of an earlier commit approves (the app's later commit hides nobody)",
    change: (i) => {
      i.commits = [{ sha: OLD, author: { login: "bob" }, committer: { login: "web-flow" } }, ...i.commits];
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    says: ["bob approved but is the author of commit"],
  },
  {
    name: "a known pusher approves",
    change: (i) => {
      i.pushedBy = ["bob"];
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    says: ["a pusher"],
  },
  {
    name: "the requester approves via a second review (after commenting); high risk",
    change: (i) => {
      i.request.risk = "high";
      i.config.approvers.push("alice");
      i.reviews = [review("alice", "COMMENTED"), review("bob", "APPROVED"), review("alice", "APPROVED")];
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
    approvedBy: ["bob"],
  },
  {
    name: "requester matched case-insensitively",
    change: (i) => {
      i.request.requester = "Bob";
    },
    ok: false,
    codes: ["approval.self", "approval.insufficient"],
  },
  // --- stale approvals
  {
    name: "an approval on an older SHA after a push",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", OLD)];
    },
    ok: false,
    codes: ["approval.stale-review", "approval.insufficient"],
    says: ["2222222"],
  },
  {
    name: "approved an older SHA, then approved the head again",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", OLD), review("bob", "APPROVED", HEAD)];
    },
    ok: true,
    approvedBy: ["bob"],
  },
  {
    name: "approved the head, then approved an older SHA (latest decides)",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", HEAD), review("bob", "APPROVED", OLD)];
    },
    ok: false,
    codes: ["approval.stale-review", "approval.insufficient"],
  },
  {
    name: "an approval without commit_id never counts",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", null)];
    },
    ok: false,
    codes: ["approval.stale-review", "approval.insufficient"],
    says: ["names no commit"],
  },
  {
    name: "an approval with a malformed commit_id never counts",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", "1111111")];
    },
    ok: false,
    codes: ["approval.stale-review", "approval.insufficient"],
  },
  {
    name: "an upper-case head SHA still matches",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", HEAD.toUpperCase())];
    },
    ok: true,
  },
  // --- who is authorized
  {
    name: "an approval by a non-owner",
    change: (i) => {
      i.reviews = [review("mallory", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
    says: ["mallory"],
  },
  {
    name: "an active member of a configured team",
    change: (i) => {
      i.reviews = [review("carol", "APPROVED")];
    },
    ok: true,
    approvedBy: ["carol"],
  },
  {
    name: "an active member of a CODEOWNERS team",
    change: (i) => {
      i.reviews = [review("erin", "APPROVED")];
    },
    ok: true,
    approvedBy: ["erin"],
  },
  {
    name: "a CODEOWNERS user",
    change: (i) => {
      i.codeowners = { owners: ["@grace"], line: 2 };
      i.reviews = [review("grace", "APPROVED")];
    },
    ok: true,
    approvedBy: ["grace"],
  },
  {
    name: "a team member whose membership is pending",
    change: (i) => {
      i.reviews = [review("dave", "APPROVED")];
    },
    ok: false,
    codes: ["approval.membership-pending", "approval.insufficient"],
    says: ["pending"],
  },
  {
    name: "a CODEOWNERS team member whose membership is pending",
    change: (i) => {
      i.reviews = [review("frank", "APPROVED")];
    },
    ok: false,
    codes: ["approval.membership-pending", "approval.insufficient"],
    says: ["@acme/prod-approvers"],
  },
  {
    name: "a removed team member (no longer listed)",
    change: (i) => {
      i.teamMembers["@acme/security"] = [];
      i.reviews = [review("carol", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
  },
  {
    name: "team memberships not provided: nobody counts through the team",
    change: (i) => {
      i.teamMembers = {};
      i.reviews = [review("carol", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
  },
  {
    name: "team keys match case-insensitively",
    change: (i) => {
      i.teamMembers = { "@Acme/Security": [{ login: "Carol", state: "active" }] };
      i.reviews = [review("carol", "APPROVED")];
    },
    ok: true,
    approvedBy: ["carol"],
  },
  {
    name: "a CODEOWNERS line without owners gives no code owners",
    change: (i) => {
      i.codeowners = { owners: [], line: 7 };
      i.reviews = [review("erin", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
  },
  {
    name: "an e-mail CODEOWNERS owner is ignored",
    change: (i) => {
      i.codeowners = { owners: ["erin@example.com"], line: 7 };
      i.reviews = [review("erin", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
  },
  {
    name: "login comparison is case-insensitive (review BOB, config bob)",
    change: (i) => {
      i.reviews = [review("BOB", "APPROVED")];
    },
    ok: true,
    approvedBy: ["BOB"],
  },
  {
    name: "login comparison is case-insensitive (config Bob, review bob)",
    change: (i) => {
      i.config.approvers = ["Bob"];
    },
    ok: true,
    approvedBy: ["bob"],
  },
  {
    name: "a look-alike login bоb (Cyrillic о) does not match bob",
    change: (i) => {
      i.reviews = [review("b\u043eb", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
    says: ["U+043E"],
  },
  {
    name: "a look-alike configured approver does not admit the ASCII login",
    change: (i) => {
      i.config.approvers = ["b\u043eb"];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
  },
  {
    name: "a fullwidth look-alike login does not match",
    change: (i) => {
      i.reviews = [review("\uff42\uff4f\uff42", "APPROVED")];
    },
    ok: false,
    codes: ["approval.not-authorized", "approval.insufficient"],
  },
  // --- bots
  {
    name: "a bot approval",
    change: (i) => {
      i.reviews = [review("dependabot[bot]", "APPROVED", HEAD, { type: "Bot" })];
    },
    ok: false,
    codes: ["approval.bot", "approval.insufficient"],
    says: ["dependabot[bot]", "bots never approve"],
  },
  {
    name: "a bot listed as a configured approver still never approves",
    change: (i) => {
      i.config.approvers.push("ci-robot");
      i.reviews = [review("ci-robot", "APPROVED", HEAD, { type: "Bot" })];
    },
    ok: false,
    codes: ["approval.bot", "approval.insufficient"],
  },
  {
    name: "an Organization-type reviewer never approves",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", HEAD, { type: "Organization" })];
    },
    ok: false,
    codes: ["approval.bot", "approval.insufficient"],
  },
  // --- latest review wins
  {
    name: "approval then changes requested by the same reviewer",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("bob", "CHANGES_REQUESTED")];
    },
    ok: false,
    codes: ["approval.changes-requested", "approval.insufficient"],
    says: ["bob"],
  },
  {
    name: "approval then a COMMENTED review still counts",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("bob", "COMMENTED")];
    },
    ok: true,
    approvedBy: ["bob"],
  },
  {
    name: "changes requested, then approved",
    change: (i) => {
      i.reviews = [review("bob", "CHANGES_REQUESTED", OLD), review("bob", "APPROVED")];
    },
    ok: true,
    approvedBy: ["bob"],
  },
  {
    name: "a dismissed approval does not count",
    change: (i) => {
      i.reviews = [review("bob", "DISMISSED")];
    },
    ok: false,
    codes: ["approval.insufficient"],
  },
  {
    name: "approval then a later dismissed review cancels it",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("bob", "DISMISSED")];
    },
    ok: false,
    codes: ["approval.insufficient"],
  },
  {
    name: "order is by submitted_at, not by list order",
    change: (i) => {
      i.reviews = [review("bob", "CHANGES_REQUESTED", HEAD, { at: "2026-01-02T00:00:00Z" }), review("bob", "APPROVED", HEAD, { at: "2026-01-01T00:00:00Z" })];
    },
    ok: false,
    codes: ["approval.changes-requested", "approval.insufficient"],
  },
  {
    name: "an approval without submitted_at is not counted",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED", HEAD, { at: null })];
    },
    ok: false,
    codes: ["approval.insufficient"],
  },
  {
    name: "changes requested without submitted_at is taken as the latest word",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("bob", "CHANGES_REQUESTED", HEAD, { at: null, id: 0 })];
    },
    ok: false,
    codes: ["approval.changes-requested", "approval.insufficient"],
  },
  {
    name: "an outstanding objection by another authorized approver blocks",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("carol", "CHANGES_REQUESTED", OLD)];
    },
    ok: false,
    codes: ["approval.changes-requested"],
    approvedBy: ["bob"],
    says: ["carol"],
  },
  {
    name: "changes requested by someone not authorized do not block",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("mallory", "CHANGES_REQUESTED")];
    },
    ok: true,
    says: ["mallory requested changes but is not an authorized approver"],
  },
  {
    name: "a PENDING review is ignored",
    change: (i) => {
      i.reviews = [review("bob", "APPROVED"), review("bob", "PENDING", HEAD, { at: null })];
    },
    ok: true,
  },
  {
    name: "a review with a null user is ignored",
    change: (i) => {
      i.reviews = [review(null, "APPROVED")];
    },
    ok: false,
    codes: ["approval.insufficient"],
  },
  // --- counts per risk tier
  {
    name: "high risk needs two distinct approvers",
    change: (i) => {
      i.request.risk = "high";
      i.reviews = [review("bob", "APPROVED"), review("carol", "APPROVED")];
    },
    ok: true,
    approvedBy: ["bob", "carol"],
  },
  {
    name: "high risk: the same person twice counts once",
    change: (i) => {
      i.request.risk = "high";
      i.reviews = [review("bob", "APPROVED"), review("bob", "APPROVED"), review("BOB", "APPROVED")];
    },
    ok: false,
    codes: ["approval.insufficient"],
    approvedBy: ["BOB"], // one person, shown as their latest review spells the login
    says: ["needs 2 approvals", "it has 1 (BOB)"],
  },
  {
    name: "high risk: one approver counted through two routes is still one",
    change: (i) => {
      i.request.risk = "high";
      i.config.approvers.push("carol");
      i.reviews = [review("carol", "APPROVED")];
    },
    ok: false,
    codes: ["approval.insufficient"],
  },
  {
    name: "medium risk uses its own count",
    change: (i) => {
      i.request.risk = "medium";
      i.config.required_approvals.medium = 3;
      i.reviews = [review("bob", "APPROVED"), review("carol", "APPROVED"), review("erin", "APPROVED")];
    },
    ok: true,
    approvedBy: ["bob", "carol", "erin"],
  },
  {
    name: "a zero count in config is raised to one",
    change: (i) => {
      i.config.required_approvals.low = 0;
      i.reviews = [];
    },
    ok: false,
    codes: ["approval.insufficient"],
  },
  // --- files
  {
    name: "a PR touching another file",
    change: (i) => {
      i.files.push({ path: "README.md", status: "modified" });
      i.pr.changedFiles = 2;
    },
    ok: false,
    codes: ["merge.extra-files"],
    says: ["README.md"],
  },
  {
    name: "a renamed request file",
    change: (i) => {
      i.files = [{ path: FILE, status: "renamed", previousPath: "access-requests/sandbox/2026/142-financial-reports.yaml" }];
    },
    ok: false,
    codes: ["merge.renamed"],
    says: ["renames", "access-requests/sandbox/2026/142-financial-reports.yaml"],
  },
  {
    name: "a modified request file is fine",
    change: (i) => {
      i.files = [{ path: FILE, status: "modified" }];
    },
    ok: true,
  },
  {
    name: "the file list is shorter than changed_files",
    change: (i) => {
      i.pr.changedFiles = 3001;
    },
    ok: false,
    codes: ["merge.files-incomplete"],
  },
  {
    name: "the verified file is not the changed file",
    change: (i) => {
      i.requestFile.path = "access-requests/prod/2026/143-other.yaml";
    },
    ok: false,
    codes: ["merge.file-mismatch"],
  },
  // --- merge and blobs
  {
    name: "the blob changed by the merge",
    change: (i) => {
      i.requestFile.mergeBlobSha = OTHER_BLOB;
    },
    ok: false,
    codes: ["merge.blob-changed"],
    says: ["3333333", "1111111", "5555555", "4444444"],
  },
  {
    name: "a missing merge blob sha",
    change: (i) => {
      i.requestFile.mergeBlobSha = undefined;
    },
    ok: false,
    codes: ["merge.unknown-blob"],
    says: ["at the merge commit 3333333"],
  },
  {
    name: "a missing head blob sha",
    change: (i) => {
      i.requestFile.headBlobSha = null;
    },
    ok: false,
    codes: ["merge.unknown-blob"],
  },
  {
    name: "not merged",
    change: (i) => {
      i.pr.merged = false;
    },
    ok: false,
    codes: ["merge.not-merged"],
  },
  {
    name: "merged without a merge commit sha",
    change: (i) => {
      i.pr.mergeCommitSha = null;
    },
    ok: false,
    codes: ["merge.not-merged"],
  },
  {
    name: "a malformed head SHA",
    change: (i) => {
      i.pr.headSha = "HEAD";
    },
    ok: false,
    codes: ["merge.unknown-head", "approval.stale-review", "approval.insufficient"],
  },
  // --- identities
  {
    name: "the last commit's author is not linked to an account",
    change: (i) => {
      i.commits = [{ ...i.commits[0]!, author: { login: null } }];
    },
    ok: false,
    codes: ["approval.unlinked-commit"],
    says: ["author of commit 1111111"],
  },
  {
    name: "an earlier commit's committer is not linked to an account",
    change: (i) => {
      i.commits = [{ sha: OLD, author: { login: "jit-access[bot]", isBot: true }, committer: { login: null } }, ...i.commits];
    },
    ok: false,
    codes: ["approval.unlinked-commit"],
    says: ["committer of commit"],
  },
  {
    name: "no author or committer data on the commit",
    change: (i) => {
      i.commits = [{ author: null, committer: null }];
    },
    ok: false,
    codes: ["approval.unlinked-commit"],
  },
  {
    name: "no commits listed at all",
    change: (i) => {
      i.commits = [];
    },
    ok: false,
    codes: ["approval.unknown-commits"],
  },
  {
    name: "an unknown PR author",
    change: (i) => {
      i.pr.author = null;
    },
    ok: false,
    codes: ["approval.unknown-author"],
  },
  {
    name: "an unknown risk tier",
    change: (i) => {
      i.request.risk = "extreme" as never;
    },
    ok: false,
    codes: ["approval.unknown-risk", "approval.insufficient"],
  },
];

describe("verifyApproval", () => {
  it.each(CASES)("$name", ({ change, ok, codes, approvedBy, says }) => {
    const input = base();
    change(input);
    const d = verifyApproval(input);
    expect(d.ok, JSON.stringify(d.failures, null, 2)).toBe(ok);
    if (codes) expect(codesOf(d.failures).sort()).toEqual([...codes].sort());
    if (ok) expect(d.failures).toEqual([]);
    if (approvedBy) expect(d.approvedBy).toEqual(approvedBy);
    for (const f of d.failures) expect(f.message.startsWith(`${f.rule}: `)).toBe(true);
    for (const text of says ?? []) {
      const where = ok ? d.notes : d.failures.filter((f) => f.code !== "approval.insufficient").map((f) => f.message);
      const all = where.length ? where : d.failures.map((f) => f.message);
      expect(all.join("\n")).toContain(text);
    }
  });

  it("reports the required count and who may approve", () => {
    const input = base();
    input.request.risk = "high";
    input.reviews = [];
    const d = verifyApproval(input);
    expect(d.required).toBe(2);
    const msg = d.failures.find((f) => f.code === "approval.insufficient")?.message ?? "";
    expect(msg).toContain("a high-risk request needs 2 approvals");
    expect(msg).toContain("on head 1111111");
    expect(msg).toContain("it has none");
    expect(msg).toContain("bob, @acme/security, @acme/prod-approvers (CODEOWNERS)");
  });

  it("approvedBy is sorted and distinct, whatever the review order", () => {
    const input = base();
    input.request.risk = "high";
    input.reviews = [review("erin", "APPROVED"), review("Carol", "APPROVED"), review("bob", "APPROVED"), review("carol", "APPROVED")];
    const d = verifyApproval(input);
    expect(d.ok).toBe(true);
    expect(d.approvedBy).toEqual(["bob", "carol", "erin"]);
  });

  it("every discounted approval is explained in notes when enough others count", () => {
    const input = base();
    input.reviews = [
      review("bob", "APPROVED"),
      review("mallory", "APPROVED"),
      review("carol", "APPROVED", OLD),
      review("x[bot]", "APPROVED", HEAD, { type: "Bot" }),
    ];
    const d = verifyApproval(input);
    expect(d.ok).toBe(true);
    const notes = d.notes.join("\n");
    expect(notes).toContain("not counted (approval.not-authorized): mallory");
    expect(notes).toContain("not counted (approval.stale-review): carol approved 2222222");
    expect(notes).toContain("not counted (approval.bot): x[bot]");
  });

  it("several failures are reported together", () => {
    const input = base();
    input.pr.merged = false;
    input.files.push({ path: ".github/workflows/x.yml", status: "added" });
    input.pr.changedFiles = 2;
    input.requestFile.mergeBlobSha = OTHER_BLOB;
    input.reviews = [review("alice", "APPROVED")];
    expect(codesOf(verifyApproval(input).failures).sort()).toEqual([
      "approval.insufficient",
      "approval.self",
      "merge.blob-changed",
      "merge.extra-files",
      "merge.not-merged",
    ]);
  });

  it("works with codeowners.ts output end to end", () => {
    const co = parseCodeowners("access-requests/ @acme/security\naccess-requests/prod/ @acme/prod-approvers\n", ".github/CODEOWNERS");
    const input = base();
    input.config.approvers = [];
    input.codeowners = { ...ownersOf(co, FILE), source: ".github/CODEOWNERS" };
    expect(candidateTeams(input.config, input.codeowners)).toEqual(["@acme/prod-approvers"]);
    input.reviews = [review("carol", "APPROVED")];
    expect(verifyApproval(input).ok).toBe(false); // security is not an owner of prod
    input.reviews = [review("erin", "APPROVED")];
    expect(verifyApproval(input)).toMatchObject({ ok: true, approvedBy: ["erin"] });
  });

  it("never throws and never approves on garbage", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (reviews, files, team) => {
        const input = base();
        (input as unknown as Record<string, unknown>).reviews = reviews;
        if (files !== undefined) (input as unknown as Record<string, unknown>).files = files;
        (input as unknown as Record<string, unknown>).teamMembers = team;
        const d = verifyApproval(input);
        if (!Array.isArray(reviews)) expect(d.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
    expect(() => verifyApproval({} as ApprovalInput)).not.toThrow();
    expect(verifyApproval({} as ApprovalInput).ok).toBe(false);
  });

  it("property: an ok decision only rests on authorized, non-self, head-SHA latest approvals", () => {
    const logins = ["bob", "BOB", "carol", "dave", "erin", "alice", "mallory", "b\u043eb"];
    const states = ["APPROVED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"] as const;
    const arbReview = fc.record({
      login: fc.constantFrom(...logins),
      state: fc.constantFrom(...states),
      commit: fc.constantFrom(HEAD, HEAD, OLD, null),
      minute: fc.integer({ min: 0, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(arbReview, { maxLength: 8 }), fc.constantFrom<"low" | "high">("low", "high"), (rs, risk) => {
        const input = base();
        input.request.risk = risk;
        input.reviews = rs.map((r, k) => ({
          id: k + 1,
          user: { login: r.login, type: "User" },
          state: r.state,
          commit_id: r.commit,
          submitted_at: r.state === "PENDING" ? null : new Date(Date.UTC(2026, 0, 1, 0, r.minute)).toISOString(),
        }));
        const d = verifyApproval(input);
        const authorized = new Set(["bob", "carol", "erin"]);
        // The oracle: latest non-COMMENTED, non-PENDING review per lower-cased login, by (time, id).
        const latest = new Map<string, Review>();
        const decisive = input.reviews.filter((r) => r.state !== "COMMENTED" && r.state !== "PENDING");
        for (const r of decisive.sort((a, b) => Date.parse(a.submitted_at ?? "") - Date.parse(b.submitted_at ?? "") || a.id - b.id)) {
          latest.set(r.user?.login.toLowerCase() ?? "", r);
        }
        const good = [...latest.entries()].filter(([l, r]) => authorized.has(l) && r.state === "APPROVED" && r.commit_id === HEAD).map(([l]) => l);
        const objection = [...latest.entries()].some(([l, r]) => authorized.has(l) && r.state === "CHANGES_REQUESTED");
        expect(d.approvedBy.map((l) => l.toLowerCase()).sort()).toEqual(good.sort());
        expect(d.ok).toBe(good.length >= (risk === "high" ? 2 : 1) && !objection);
        expect(d.approvedBy).not.toContain("alice");
      }),
      { numRuns: 3000 },
    );
  });
});

describe("every commit's author and committer are excluded from approving", () => {
  // Who may appear on a commit: approvers, the requester, strangers, bots and the GitHub web-flow
  // committer, in any mix and order (the app's own policy commit last or not).
  const people = ["bob", "Bob", "carol", "erin", "alice", "mallory", "web-flow"];
  const arbIdentity = fc.oneof(
    fc.constantFrom(...people).map((login) => ({ login })),
    fc.constant({ login: "jit-access[bot]", isBot: true }),
  );
  const arbCommit = fc.record({ author: arbIdentity, committer: arbIdentity });

  it("property: an approver who authored or committed any commit never counts; the others still do", () => {
    fc.assert(
      fc.property(fc.array(arbCommit, { minLength: 1, maxLength: 8 }), fc.subarray(["bob", "carol", "erin"], { minLength: 1 }), (commits, approvers) => {
        const input = base();
        input.commits = commits.map((c, k) => ({ sha: k.toString(16).padStart(40, "a"), ...c }));
        input.reviews = approvers.map((a) => review(a, "APPROVED"));
        const d = verifyApproval(input);
        const touched = new Set(
          commits
            .flatMap((c) => [c.author, c.committer])
            .filter((x) => !("isBot" in x))
            .map((x) => x.login.toLowerCase()),
        );
        for (const a of approvers) expect(d.approvedBy.map((l) => l.toLowerCase()).includes(a)).toBe(!touched.has(a));
        expect(d.ok).toBe(approvers.some((a) => !touched.has(a)));
        if (approvers.some((a) => touched.has(a)) && !d.ok) expect(codesOf(d.failures)).toContain("approval.self");
      }),
      { numRuns: 2000 },
    );
  });

  it("property: wherever a human's commit sits among the app's commits, that human's approval is discounted", () => {
    fc.assert(
      fc.property(fc.nat({ max: 6 }), fc.nat({ max: 6 }), fc.constantFrom<"author" | "committer">("author", "committer"), (before, after, role) => {
        const app = { author: { login: "jit-access[bot]", isBot: true }, committer: { login: "web-flow" } };
        const human = { ...app, [role]: { login: "bob" } };
        const input = base();
        input.commits = [...Array(before).fill(app), human, ...Array(after).fill(app)].map((c, k) => ({ sha: k.toString(16).padStart(40, "b"), ...c }));
        const d = verifyApproval(input);
        expect(d.ok).toBe(false);
        expect(d.approvedBy).toEqual([]);
        expect(d.failures.map((f) => f.message).join(" ")).toContain(`bob approved but is the ${role} of commit`);
      }),
    );
  });
});

describe("preMergeTips: the default branch's commit before the merge", () => {
  const sha = (tag: string): string => (tag.length === 40 ? tag : Buffer.from(tag).toString("hex").padEnd(40, "0"));
  const who = (name: string, minute: number) => ({
    name,
    email: `${name}@users.noreply.github.com`,
    date: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  });
  const commit = (tag: string, parents: string[], message: string, author: CommitFacts["author"]): CommitFacts => ({
    sha: sha(tag),
    parents: parents.map(sha),
    message,
    author,
  });
  const TIP = "e";
  // A PR of n commits c1..cn on top of merge base "b"; the default branch moved on to TIP.
  const prOf = (n: number): CommitFacts[] =>
    Array.from({ length: n }, (_, k) => commit(`c${k + 1}`, [k === 0 ? "b" : `c${k}`], `commit ${k + 1}`, who("alice", k)));
  /** The default branch after merging with `method`: [merge commit, its first parents...]. */
  function merged(method: "merge" | "squash" | "rebase", pr: CommitFacts[]): CommitFacts[] {
    const head = pr[pr.length - 1]!;
    if (method === "merge") return [commit("m", [TIP, head.sha], "Merge pull request #7", who("bob", 59)), commit(TIP, ["d"], "earlier", who("admin", 30))];
    if (method === "squash") return [commit("s", [TIP], "Request (#7)", who("bob", 59)), commit(TIP, ["d"], "earlier", who("admin", 30))];
    const out: CommitFacts[] = [];
    pr.forEach((c, k) => out.unshift({ ...c, sha: sha(`r${k + 1}`), parents: [k === 0 ? sha(TIP) : sha(`r${k}`)] }));
    return [...out, commit(TIP, ["d"], "earlier", who("admin", 30))];
  }
  const run = (method: "merge" | "squash" | "rebase", pr: CommitFacts[], chain = merged(method, pr)) =>
    preMergeTips({ mergeSha: chain[0]!.sha, headSha: pr[pr.length - 1]!.sha, prCommits: pr, firstParents: chain });

  const TABLE: Array<[string, "merge" | "squash" | "rebase", number]> = [];
  for (const method of ["merge", "squash", "rebase"] as const) for (const n of [1, 2, 3, 7]) TABLE.push([`${method} of ${n} commit(s)`, method, n]);
  it.each(TABLE)("%s → the tip before the merge, never a replayed commit", (_name, method, n) => {
    const r = run(method, prOf(n));
    expect(r).toMatchObject({ kind: "tips" });
    if (r.kind !== "tips") return;
    expect(r.tips[0]).toBe(sha(TIP));
    // the only other candidate a rebase leaves is the squash reading (the merge commit's parent)
    expect(r.tips.slice(1)).toEqual(method === "rebase" && n > 1 ? [sha(`r${n - 1}`)] : []);
  });

  it("a rebase whose replays got new author dates is still a rebase, never read at the merge commit's parent alone", () => {
    const pr = prOf(3);
    const chain = merged("rebase", pr).map((c, k) => (k < 3 ? { ...c, author: { ...c.author!, date: "2026-06-01T00:00:00Z" } } : c));
    expect(run("rebase", pr, chain)).toMatchObject({ kind: "tips", method: "rebase", tips: [sha(TIP), sha("r2")] });
  });

  it("asks for exactly as much first-parent history as a rebase needs", () => {
    const pr = prOf(3);
    const chain = merged("rebase", pr);
    expect(preMergeTips({ mergeSha: chain[0]!.sha, headSha: pr[2]!.sha, prCommits: pr, firstParents: [] })).toEqual({ kind: "more", need: 1 });
    expect(preMergeTips({ mergeSha: chain[0]!.sha, headSha: pr[2]!.sha, prCommits: pr, firstParents: chain.slice(0, 1) })).toEqual({ kind: "more", need: 3 });
  });

  const UNKNOWN: Array<[string, () => ReturnType<typeof preMergeTips>, RegExp]> = [
    [
      "a merge commit whose second parent is not the approved head",
      () => {
        const pr = prOf(2);
        const ch = merged("merge", pr);
        ch[0] = { ...ch[0]!, parents: [sha(TIP), sha("x")] };
        return run("merge", pr, ch);
      },
      /second is not the approved head/,
    ],
    [
      "an octopus merge",
      () => {
        const pr = prOf(1);
        const ch = merged("merge", pr);
        ch[0] = { ...ch[0]!, parents: [sha(TIP), pr[0]!.sha, sha("x")] };
        return run("merge", pr, ch);
      },
      /3 parents/,
    ],
    [
      "a rebase whose earlier replay does not match",
      () => {
        const pr = prOf(3);
        const ch = merged("rebase", pr);
        ch[1] = { ...ch[1]!, message: "something else" };
        return run("rebase", pr, ch);
      },
      /is not a replay of/,
    ],
    [
      "a rebase-looking merge of a PR with a merge commit",
      () => {
        const pr = prOf(3);
        pr[1] = { ...pr[1]!, parents: [pr[0]!.sha, sha("d")] };
        return run("rebase", pr);
      },
      /contains merge commits/,
    ],
    [
      "a rebase of a PR whose last commit is a merge commit (dropped by the rebase)",
      () => {
        const pr = prOf(3);
        const mergeIn = commit("u", [pr[2]!.sha, sha("d")], "Merge branch 'main'", who("alice", 9));
        return run("rebase", [...pr, mergeIn], merged("rebase", pr));
      },
      /contains merge commits/,
    ],
    [
      "a merge commit that repeats an earlier PR commit, not the last",
      () => {
        const pr = prOf(3);
        const ch = merged("squash", pr);
        ch[0] = { ...ch[0]!, message: pr[0]!.message, author: pr[0]!.author };
        return run("squash", pr, ch);
      },
      /not its last/,
    ],
    [
      "a PR listing no commits",
      () => preMergeTips({ mergeSha: sha("s"), headSha: sha("h"), prCommits: [], firstParents: [commit("s", [TIP], "x", who("bob", 1))] }),
      /lists no commits/,
    ],
    [
      "a PR with as many commits as GitHub lists at most",
      () => {
        const pr = prOf(MAX_PR_COMMITS);
        return run("squash", pr);
      },
      /more than GitHub lists/,
    ],
    [
      "a chain that is not the merge commit's first parents",
      () => {
        const pr = prOf(2);
        const ch = merged("rebase", pr);
        ch[1] = { ...ch[1]!, sha: sha("z") };
        return run("rebase", pr, ch);
      },
      /not the first parent expected/,
    ],
  ];
  it.each(UNKNOWN)("%s → unknown, nothing granted", (_name, f, says) => {
    const r = f();
    expect(r).toMatchObject({ kind: "unknown", code: "merge.tip-unknown" });
    if (r.kind === "unknown") expect(r.reason).toMatch(says);
  });

  it("property: for any PR and any method, the true pre-merge tip is always among the tips (or the answer is unknown)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom<"merge" | "squash" | "rebase">("merge", "squash", "rebase"),
        fc.array(fc.constantFrom("alice", "bob", "jit-access[bot]"), { minLength: 12, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 12, maxLength: 12 }),
        (n, method, authors, minutes) => {
          // Commits whose metadata repeat (same author, minute and message) must not confuse it.
          const pr = Array.from({ length: n }, (_, k) =>
            commit(`c${k + 1}`, [k === 0 ? "b" : `c${k}`], `commit ${minutes[k]! % 2}`, who(authors[k]!, minutes[k]!)),
          );
          const r = run(method, pr);
          if (r.kind === "tips") expect(r.tips).toContain(sha(TIP));
          else expect(r.kind).toBe("unknown");
          if (method !== "rebase") expect(r).toMatchObject({ kind: "tips", tips: [sha(TIP)] });
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("checkChangedFiles", () => {
  const f = (path: string, status: ChangedFile["status"] = "added", previousPath?: string): ChangedFile => ({
    path,
    status,
    ...(previousPath ? { previousPath } : {}),
  });
  const TABLE: Array<[string, ChangedFile[], ApprovalCode | undefined, string?]> = [
    ["one added request file", [f(FILE)], undefined],
    ["one modified request file", [f(FILE, "modified")], undefined],
    ["an example request file", [f("access-requests/examples/142-financial-reports.yaml", "modified")], undefined],
    ["no files", [], "merge.no-files", "changes no files"],
    ["a removed request file", [f(FILE, "removed")], "merge.deleted", "deletes"],
    ["a renamed request file", [f(FILE, "renamed", "access-requests/dev/2026/142-financial-reports.yaml")], "merge.renamed", "access-requests/dev/2026"],
    ["a copied request file", [f(FILE, "copied", "access-requests/dev/2026/142-financial-reports.yaml")], "merge.file-status", "copied"],
    ["a request file plus another file", [f(FILE), f("src/index.ts", "modified")], "merge.extra-files", "src/index.ts"],
    ["two request files", [f(FILE), f("access-requests/prod/2026/143-b.yaml")], "merge.extra-files", "one pull request per request"],
    ["only a non-request file", [f("README.md", "modified")], "merge.not-request-file", "README.md"],
    ["the access-requests README", [f("access-requests/README.md", "modified")], "merge.not-request-file", "is not a request file"],
    ["a request file with a bad name", [f("access-requests/prod/2026/Reports.yaml")], "merge.not-request-file", "<number>-<slug>.yaml"],
    ["path traversal", [f("access-requests/../src/x.yaml")], "merge.not-request-file"],
    ["a look-alike folder", [f("access-requests/pr\u043ed/2026/1-a.yaml")], "merge.not-request-file"],
  ];
  it.each(TABLE)("%s", (_name, files, code, text) => {
    const r = checkChangedFiles(files);
    expect(r?.code).toBe(code);
    if (text) expect(r?.message).toContain(text);
  });

  it("a list shorter than changed_files fails; many others are listed with a count", () => {
    expect(checkChangedFiles([f(FILE)], 2)).toMatchObject({ code: "merge.files-incomplete", path: "pr.changedFiles" });
    expect(checkChangedFiles([f(FILE)], 2)?.message).toContain("changes 2 files but 1 were listed");
    const many = [f(FILE), ...Array.from({ length: 30 }, (_, k) => f(`src/f${k}.ts`))];
    expect(checkChangedFiles(many)?.message).toContain("and 20 more");
  });

  it("changedFileProblems reports every way the files fail, checkChangedFiles the first", () => {
    const files = [f(FILE), f("src/index.ts", "modified")];
    expect(codesOf(changedFileProblems(files, 3))).toEqual(["merge.files-incomplete", "merge.extra-files"]);
    expect(checkChangedFiles(files, 3)?.code).toBe("merge.files-incomplete");
    expect(changedFileProblems([f(FILE)], 1)).toEqual([]);
  });
});

describe("approval codes: one fact set per code", () => {
  // Each row changes the passing input so that exactly its code fails, plus the codes that
  // necessarily follow (a discounted approval fails only when approvals are then too few).
  const ROWS: Array<[ApprovalCode, (i: ApprovalInput) => void, ApprovalCode[]]> = [
    ["merge.not-merged", (i) => void (i.pr.merged = false), []],
    ["merge.unknown-head", (i) => void (i.pr.headSha = "HEAD"), ["approval.stale-review", "approval.insufficient"]],
    ["merge.no-files", (i) => void (i.files = []), []],
    ["merge.files-incomplete", (i) => void (i.pr.changedFiles = 2), []],
    ["merge.extra-files", (i) => void ((i.files = [...i.files, { path: "README.md", status: "modified" }]), (i.pr.changedFiles = 2)), []],
    ["merge.not-request-file", (i) => void ((i.files = [{ path: "README.md", status: "modified" }]), (i.requestFile.path = "README.md")), []],
    ["merge.renamed", (i) => void (i.files = [{ path: FILE, status: "renamed", previousPath: "access-requests/dev/2026/142-financial-reports.yaml" }]), []],
    ["merge.deleted", (i) => void (i.files = [{ path: FILE, status: "removed" }]), []],
    ["merge.file-status", (i) => void (i.files = [{ path: FILE, status: "unchanged" }]), []],
    ["merge.file-mismatch", (i) => void (i.requestFile.path = "access-requests/prod/2026/143-other.yaml"), []],
    ["merge.unknown-blob", (i) => void (i.requestFile.headBlobSha = undefined), []],
    ["merge.blob-changed", (i) => void (i.requestFile.mergeBlobSha = OTHER_BLOB), []],
    ["approval.unknown-risk", (i) => void ((i.request.risk = "extreme" as never), (i.reviews = [review("bob", "APPROVED"), review("carol", "APPROVED")])), []],
    ["approval.unknown-requester", (i) => void (i.request.requester = "al\u0456ce"), []],
    ["approval.unknown-author", (i) => void (i.pr.author = null), []],
    ["approval.unknown-commits", (i) => void (i.commits = []), []],
    ["approval.unlinked-commit", (i) => void (i.commits = [{ sha: HEAD, author: { login: null }, committer: { login: "jit-access[bot]", isBot: true } }]), []],
    [
      "approval.self",
      (i) => void ((i.config.approvers = [...i.config.approvers, "alice"]), (i.reviews = [review("alice", "APPROVED")])),
      ["approval.insufficient"],
    ],
    ["approval.stale-review", (i) => void (i.reviews = [review("bob", "APPROVED", OLD)]), ["approval.insufficient"]],
    ["approval.not-authorized", (i) => void (i.reviews = [review("mallory", "APPROVED")]), ["approval.insufficient"]],
    ["approval.membership-pending", (i) => void (i.reviews = [review("dave", "APPROVED")]), ["approval.insufficient"]],
    ["approval.bot", (i) => void (i.reviews = [review("renovate[bot]", "APPROVED", HEAD, { type: "Bot" })]), ["approval.insufficient"]],
    ["approval.changes-requested", (i) => void (i.reviews = [review("bob", "APPROVED"), review("carol", "CHANGES_REQUESTED")]), []],
    ["approval.insufficient", (i) => void (i.reviews = []), []],
    [
      "approval.not-eligible",
      (i) => void (i.eligibility = { rules: [{ source: "catalogue.dba.eligible", allowed: ["bob", "@acme/dba"] }], memberships: { "@acme/dba": "pending" } }),
      [],
    ],
  ];

  it.each(ROWS)("%s", (code, change, follow) => {
    const input = base();
    change(input);
    const d = verifyApproval(input);
    expect(d.ok).toBe(false);
    expect(codesOf(d.failures).sort()).toEqual([code, ...follow].sort());
    for (const f of d.failures) {
      expect(f.path, f.code).not.toBe("");
      expect(f.message.startsWith(`${f.rule}: `)).toBe(true);
    }
  });

  it("every code has a row (merge.tip-unknown comes from preMergeTips) and the base input passes", () => {
    expect(verifyApproval(base())).toMatchObject({ ok: true, failures: [] });
    expect([...ROWS.map((r) => r[0]), "merge.tip-unknown"].sort()).toEqual(Object.keys(APPROVAL_CODES).sort());
  });

  it("codes are well formed; each rule declares the codes it can produce and only reads the facts", () => {
    for (const code of Object.keys(APPROVAL_CODES)) expect(code).toMatch(PROBLEM_CODE);
    const declared = APPROVAL_RULES.flatMap((r) => r.codes);
    expect(new Set(declared).size).toBe(declared.length); // no code belongs to two rules
    expect([...declared, "merge.tip-unknown"].sort()).toEqual(Object.keys(APPROVAL_CODES).sort());
    const freeze = (x: unknown): void => {
      if (x === null || typeof x !== "object" || Object.isFrozen(x)) return;
      Object.freeze(x);
      for (const v of x instanceof Map || x instanceof Set ? [...x.values(), ...(x instanceof Map ? x.keys() : [])] : Object.values(x)) freeze(v);
    };
    for (const [, change] of ROWS) {
      const input = base();
      change(input);
      const facts = gatherFacts(input);
      freeze(facts); // a rule writing to the facts' objects or arrays would throw here (Sets and Maps are read-only by type)
      for (const rule of APPROVAL_RULES) for (const f of rule.check(facts)) expect(rule.codes, rule.name).toContain(f.code);
      const d = verifyApproval(input);
      expect(d.rules.map((r) => r.name)).toEqual(APPROVAL_RULES.map((r) => r.name));
      expect(d.rules.filter((r) => !r.passed).map((r) => r.name)).toEqual(
        APPROVAL_RULES.filter((r) => r.check(gatherFacts(input)).length > 0).map((r) => r.name),
      );
    }
  });
});

describe("approval rules: monotone in approvals, blind to review order", () => {
  // A small world: approvers bob (config), carol (config team), erin (CODEOWNERS team) and grace
  // (CODEOWNERS user); dave pending; alice the requester; mallory nobody; a look-alike; a bot.
  const people = ["bob", "BOB", "carol", "dave", "erin", "grace", "alice", "mallory", "b\u043eb", "ci[bot]"];
  const arbReview = fc.record({
    login: fc.oneof(fc.constantFrom(...people), fc.constant(null)),
    state: fc.constantFrom("APPROVED", "APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING", "WEIRD"),
    commit: fc.constantFrom(HEAD, HEAD, OLD, null),
    minute: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant(null)),
  });
  const arbWorld = fc.record({
    reviews: fc.array(arbReview, { maxLength: 8 }),
    risk: fc.constantFrom<"low" | "medium" | "high">("low", "medium", "high"),
    writers: fc.subarray(["bob", "carol", "erin", "grace", "mallory"]),
    pushedBy: fc.subarray(["bob", "erin", "grace"]),
  });
  /** The reviews get distinct ids in list order; times come from `minute` (null: none). */
  function world(w: {
    reviews: Array<{ login: string | null; state: string; commit: string | null; minute: number | null }>;
    risk: "low" | "medium" | "high";
    writers: string[];
    pushedBy: string[];
  }): ApprovalInput {
    const input = base();
    input.request.risk = w.risk;
    input.codeowners = { owners: ["@acme/prod-approvers", "@grace"], line: 6, source: ".github/CODEOWNERS" };
    input.commits = [
      ...w.writers.map((login, k) => ({ sha: k.toString(16).padStart(40, "c"), author: { login }, committer: { login: "web-flow" } })),
      ...input.commits,
    ];
    input.pushedBy = w.pushedBy;
    input.reviews = w.reviews.map((r, k) => ({
      id: 100 + k,
      user: r.login === null ? null : { login: r.login, type: r.login.endsWith("[bot]") ? "Bot" : "User" },
      state: r.state,
      commit_id: r.commit,
      submitted_at: r.minute === null ? null : new Date(Date.UTC(2026, 0, 1, 0, r.minute)).toISOString(),
    }));
    return input;
  }

  it("property: an approval on the head by a code owner who wrote nothing never adds a failure; removing it never removes one", () => {
    fc.assert(
      fc.property(
        arbWorld,
        fc.constantFrom("erin", "grace", "Erin"),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 20 }),
        (w, owner, minute, id) => {
          const touched = new Set([...w.writers, ...w.pushedBy]);
          fc.pre(!touched.has(owner.toLowerCase()));
          const without = world(w);
          const withIt = world(w);
          withIt.reviews = [
            ...withIt.reviews,
            {
              id: 200 + id,
              user: { login: owner, type: "User" },
              state: "APPROVED",
              commit_id: HEAD,
              submitted_at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
            },
          ];
          const a = verifyApproval(without);
          const b = verifyApproval(withIt);
          for (const code of codesOf(b.failures)) expect(codesOf(a.failures)).toContain(code);
          if (a.ok) expect(b.ok).toBe(true);
          for (const login of a.approvedBy) expect(b.approvedBy.map((l) => l.toLowerCase())).toContain(login.toLowerCase());
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("property: the decision, its failures and its notes do not depend on the order of the reviews", () => {
    const arbShuffled = arbWorld.chain((w) =>
      fc.tuple(
        fc.constant(w),
        fc.shuffledSubarray(
          w.reviews.map((r, k) => ({ ...r, k })),
          { minLength: w.reviews.length },
        ),
      ),
    );
    fc.assert(
      fc.property(arbShuffled, ([w, shuffled]) => {
        const inOrder = world(w);
        const reordered = world(w);
        // the same reviews (same ids), listed in another order
        reordered.reviews = shuffled.map(({ k }) => inOrder.reviews[k] as Review);
        const a = verifyApproval(inOrder);
        const b = verifyApproval(reordered);
        expect(b.ok).toBe(a.ok);
        expect(b.approvedBy).toEqual(a.approvedBy);
        expect(b.required).toBe(a.required);
        const sorted = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).sort();
        expect(sorted(b.failures)).toEqual(sorted(a.failures));
        expect([...b.notes].sort()).toEqual([...a.notes].sort());
      }),
      { numRuns: 1500 },
    );
  });
});

describe("helpers", () => {
  it("normalizeLogin accepts plain ASCII logins only", () => {
    expect(normalizeLogin("Bob-1")).toBe("bob-1");
    for (const bad of ["b\u043eb", "@bob", "bob[bot]", "", "-bob", "a".repeat(40), 7, null, "ｂｏｂ"]) expect(normalizeLogin(bad)).toBeUndefined();
  });

  it("candidateTeams lists configured and CODEOWNERS teams, distinct and lower-cased", () => {
    expect(candidateTeams({ approvers: ["bob", "@Acme/Security"] }, { owners: ["@acme/security", "@acme/prod", "@grace", "x@example.com"] })).toEqual([
      "@acme/prod",
      "@acme/security",
    ]);
    expect(candidateTeams({ approvers: [] })).toEqual([]);
  });
});
