// Catalogue requests end to end on the in-memory AccessRepo: the issue form picks an entry, intake
// proposes exactly what the entry grants (or refuses an ineligible requester), and the merge
// re-verifies eligibility and counts only the entry's approvers before anything is granted.
import { describe, expect, it } from "vitest";
import { iamPolicyArn } from "../src/aws/naming.js";
import type { GrantResult, Grants } from "../src/aws/types.js";
import { CONFIG_PATH } from "../src/domain/config.js";
import { recordStatus } from "../src/domain/records.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { proposeFromIssue } from "../src/github/intake.js";
import { loadYamlMapping } from "../src/domain/yaml.js";
import type { AccessRequest } from "../src/domain/types.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { blobSha, MemoryAccessRepo } from "./support/memory-repo.js";

const CONFIG = `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: { id: "${HOME}", max_duration: 4h }
principals:
  alice: { iam_user: alice }
  erin: { iam_user: erin }
  mallory: { iam_user: mallory }
approvers: [bob, dave]
catalogue:
  dba-role:
    kind: role
    description: The DBA role, for migrations
    accounts: [prod]
    role: ops/dba
    max_duration: 2h
    approvers: ["@acme/dba-leads"]
    required_approvals: 1
    eligible: [alice, "@acme/dba"]
  reports-read:
    kind: template
    description: Read the reports bucket
    accounts: [prod]
    request:
      - service: s3
        access: [read]
        resources: ["reports-{account_id}"]
`;
const NOW = new Date("2026-11-27T10:00:00Z");
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const MERGE = "d".repeat(40);
const APP = "jit-access[bot]";

function issueBody(entry: string, duration = "1h"): string {
  return [
    "### Account\n\nprod",
    `### Catalogue entry\n\n${entry}`,
    "### Service\n\n_No response_",
    "### Resources\n\n_No response_",
    "### Access levels\n\n- [ ] read\n- [ ] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
    "### Exact actions (optional)\n\n_No response_",
    `### Duration\n\n${duration}`,
    "### Reason\n\nTonight's schema migration",
    "### Description (optional)\n\n_No response_",
  ].join("\n\n");
}

function repoWithIssue(n: number, author: string, body: string): MemoryAccessRepo {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG });
  repo.branches.set("main", BASE);
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.issueTexts.set(n, { body, editor: null });
  repo.issueLabels.set(n, ["access-request"]);
  repo.issues.set(n, { number: n, author: { login: author, type: "User" }, state: "open", isPull: false });
  repo.teams.set("acme/dba", new Map([["erin", "active"]]));
  repo.teams.set("acme/dba-leads", new Map([["frank", "active"]]));
  return repo;
}

async function propose(repo: MemoryAccessRepo, n: number, author: string, body: string) {
  const issue = {
    number: n,
    title: "Access request: migration",
    body,
    author: { login: author, type: "User" },
    createdAt: "2026-11-27T09:00:00Z",
    labels: ["access-request"],
  };
  return proposeFromIssue(repo, issue, { now: NOW, appLogin: APP, event: { action: "opened", bodyChanged: false } });
}

const proposedFile = (repo: MemoryAccessRepo, out: Awaited<ReturnType<typeof propose>>): { file: string; text: string } => {
  if (out.kind !== "opened") throw new Error(JSON.stringify(out));
  const text = repo.refs.get(out.branch)?.get(out.file);
  if (!text) throw new Error("no proposed file");
  return { file: out.file, text };
};

describe("intake of a catalogue request", () => {
  it("a role entry is proposed as sts:AssumeRole on that role only, with the entry named in the file", async () => {
    const repo = repoWithIssue(12, "alice", issueBody("dba-role"));
    const out = await propose(repo, 12, "alice", issueBody("dba-role"));
    const { text } = proposedFile(repo, out);
    const r = loadYamlMapping(text, "request file");
    const req = (r.ok ? r.value : {}) as unknown as AccessRequest;
    expect(req.catalogue).toBe("dba-role");
    expect(req.request).toEqual([{ service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${HOME}:role/ops/dba`] }]);
    expect(req.policy?.Statement.flatMap((s) => [s.Action].flat())).toEqual(["sts:AssumeRole"]);
    expect(req.policy?.Statement.flatMap((s) => [s.Resource].flat())).toEqual([`arn:aws:iam::${HOME}:role/ops/dba`]);
    // The approvers are told what the entry is, and that the role's own permissions are not in the policy.
    const body = repo.pullUpdates.at(-1)?.body ?? repo.createdPulls.at(-1)?.body ?? "";
    expect(body).toContain("**Catalogue entry:** `dba-role`");
    expect(body).toContain("what the role itself may do is not shown here");
    expect(body).toMatch(/\*\*Risk tier:\*\* .*high/i);
  });

  it("a template entry is proposed with its placeholders filled in", async () => {
    const repo = repoWithIssue(13, "mallory", issueBody("reports-read"));
    const out = await propose(repo, 13, "mallory", issueBody("reports-read"));
    const { text } = proposedFile(repo, out);
    expect(text).toContain(`reports-${HOME}`);
    expect(text).toContain("catalogue: reports-read");
  });

  it.each([
    ["mallory, named nowhere", "mallory", undefined],
    ["erin, whose team membership is only pending", "erin", "pending" as const],
  ])("an ineligible requester (%s) is refused with approval.not-eligible and gets no pull request", async (_n, who, state) => {
    const repo = repoWithIssue(14, who, issueBody("dba-role"));
    if (state) repo.teams.set("acme/dba", new Map([[who, state]]));
    const out = await propose(repo, 14, who, issueBody("dba-role"));
    expect(out.kind).toBe("invalid");
    expect(out.kind === "invalid" && out.problems.map((p) => p.code)).toEqual(["approval.not-eligible"]);
    expect(repo.createdPulls).toEqual([]);
    expect(repo.issueLabels.get(14)).toContain("jit:invalid");
  });

  it("an active team member is eligible", async () => {
    const repo = repoWithIssue(15, "erin", issueBody("dba-role"));
    expect((await propose(repo, 15, "erin", issueBody("dba-role"))).kind).toBe("opened");
  });

  it.each([
    ["longer than the entry's max_duration", issueBody("dba-role", "3h"), "request.duration-too-long"],
    ["an entry that does not exist", issueBody("root-access"), "request.catalogue-unknown"],
  ])("%s is refused at intake (%s)", async (_n, body, code) => {
    const repo = repoWithIssue(16, "alice", body);
    const out = await propose(repo, 16, "alice", body);
    expect(out.kind === "invalid" && out.problems.map((p) => p.code)).toContain(code);
  });
});

function stubGrants(calls: string[]): Grants {
  return {
    grant: async (request, _policy, expiresAt): Promise<GrantResult> => {
      calls.push(`grant ${request.id}`);
      return {
        requestId: request.id,
        mode: "iam",
        accountId: HOME,
        resources: [iamPolicyArn("aws", HOME, request.id)],
        schedules: [],
        scheduleNote: "not scheduled in this test",
        principal: { kind: "iam_user", name: request.requester } as unknown as GrantResult["principal"],
        grantedAt: NOW.toISOString(),
        expiresAt,
        changed: true,
      };
    },
    revoke: async (t) => ({ requestId: t.requestId, removed: [], alreadyGone: false }),
    listManaged: async () => [],
  };
}

/** The file intake proposed for issue 15 (erin, dba-role), merged as PR 16 with these approvals. */
async function mergedRepo(approvers: string[]): Promise<{ repo: MemoryAccessRepo; pr: MergedPr; file: string }> {
  const repo = repoWithIssue(15, "erin", issueBody("dba-role"));
  const { file, text } = proposedFile(repo, await propose(repo, 15, "erin", issueBody("dba-role")));
  repo.files.set(file, text);
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [file]: text });
  repo.commitsBySha.set(MERGE, {
    sha: MERGE,
    parents: [BASE, HEAD],
    message: "Merge pull request #16",
    author: { name: "x", email: "x@example.com", date: "2026-11-27T09:59:00Z" },
  });
  repo.pulls.set(16, {
    number: 16,
    files: [{ path: file, status: "added", previousPath: null, sha: blobSha(text) }],
    commits: [
      {
        sha: HEAD,
        parents: [BASE],
        message: "jit-access: propose",
        gitAuthor: { name: "jit", email: "jit@example.com", date: "2026-11-27T09:00:00Z" },
        author: { login: APP, type: "Bot" },
        committer: { login: APP, type: "Bot" },
      },
    ],
    reviews: approvers.map((user, i) => ({
      id: i + 1,
      user: { login: user, type: "User" },
      state: "APPROVED",
      commit_id: HEAD,
      submitted_at: "2026-11-27T09:30:00Z",
    })),
  });
  const pr: MergedPr = {
    number: 16,
    merged: true,
    mergeCommitSha: MERGE,
    mergedAt: "2026-11-27T09:59:00Z",
    headSha: HEAD,
    headRef: "jit/15-migration",
    baseSha: BASE,
    author: { login: APP, type: "Bot" },
    changedFiles: 1,
  };
  return { repo, pr, file };
}

describe("merge of a catalogue request", () => {
  it("the entry's approver team grants; the global approvers do not count for it", async () => {
    const calls: string[] = [];
    const ok = await mergedRepo(["frank"]);
    const granted = await grantMergedOnce(ok.repo, ok.pr, { grantsFor: () => stubGrants(calls), now: () => NOW });
    expect(granted, JSON.stringify(granted)).toMatchObject({ kind: "granted" });
    expect(recordStatus(ok.repo.files.get(ok.file)!)).toBe("active");

    const other = await mergedRepo(["bob"]);
    const blocked = await grantMergedOnce(other.repo, other.pr, { grantsFor: () => stubGrants(calls), now: () => NOW });
    expect(blocked).toMatchObject({ kind: "blocked", codes: expect.arrayContaining(["approval.not-authorized", "approval.insufficient"]) });
    expect(calls).toEqual(["grant 15-migration"]);
  });

  it("eligibility is re-verified at merge: a requester who left the team since intake gets nothing", async () => {
    const calls: string[] = [];
    const { repo, pr, file } = await mergedRepo(["frank"]);
    repo.teams.set("acme/dba", new Map());
    const out = await grantMergedOnce(repo, pr, { grantsFor: () => stubGrants(calls), now: () => NOW });
    expect(out).toMatchObject({ kind: "blocked", codes: ["approval.not-eligible"] });
    expect(calls).toEqual([]);
    expect(recordStatus(repo.files.get(file)!)).toBe("rejected");
  });
});

describe("the issue form's catalogue dropdown", () => {
  it("none (or an old form without the field) means a described request; service and resources are then required", async () => {
    const body = issueBody("none");
    const repo = repoWithIssue(17, "alice", body);
    const out = await propose(repo, 17, "alice", body);
    expect(out.kind === "invalid" && out.problems.map((p) => [p.code, p.path])).toEqual([
      ["form.field-empty", "service"],
      ["form.field-empty", "resources"],
      ["form.no-access", "access"],
    ]);
  });
});

describe("who is asked to review a catalogue request", () => {
  it("the entry's approver team is requested, not the global approvers; the entry's risk tier is the plan's", async () => {
    const repo = repoWithIssue(18, "alice", issueBody("dba-role"));
    await propose(repo, 18, "alice", issueBody("dba-role"));
    expect(repo.reviewRequests).toEqual([{ pr: expect.any(Number), reviewers: [], teams: ["dba-leads"] }]);
    const tmpl = repoWithIssue(19, "alice", issueBody("reports-read"));
    const out = await propose(tmpl, 19, "alice", issueBody("reports-read"));
    expect(out.kind === "opened" && out.plan.verdict.risk).toBe("low");
    expect(tmpl.reviewRequests).toEqual([{ pr: expect.any(Number), reviewers: ["bob", "dave"], teams: [] }]);
  });
});

describe("catalogue grants in (fake) AWS", () => {
  it.each([
    ["dba-role", "alice", [`arn:aws:iam::${HOME}:role/ops/dba`], ["sts:AssumeRole"]],
    ["reports-read", "alice", [`arn:aws:s3:::reports-${HOME}`]],
  ] as const)(
    "%s: the attached jit policy holds what the entry grants, stamped with the expiry; revoke removes it",
    async (entry, who, resources, actions?) => {
      const { createFakeAws } = await import("./support/fake-aws/index.js");
      const { fakeGrants, seed } = await import("./support/fake-aws/fixtures.js");
      const { expiryOf } = await import("../src/policy/stamp.js");
      const fake = createFakeAws();
      try {
        seed(fake);
        const n = 15;
        const repo = repoWithIssue(n, who, issueBody(entry));
        const { file, text } = proposedFile(repo, await propose(repo, n, who, issueBody(entry)));
        repo.files.set(file, text);
        repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [file]: text });
        repo.commitsBySha.set(MERGE, {
          sha: MERGE,
          parents: [BASE, HEAD],
          message: "Merge",
          author: { name: "x", email: "x@example.com", date: "2026-11-27T09:59:00Z" },
        });
        const approver = entry === "dba-role" ? "frank" : "bob";
        repo.pulls.set(16, {
          number: 16,
          files: [{ path: file, status: "added", previousPath: null, sha: blobSha(text) }],
          commits: [
            {
              sha: HEAD,
              parents: [BASE],
              message: "jit-access: propose",
              gitAuthor: { name: "jit", email: "jit@example.com", date: "2026-11-27T09:00:00Z" },
              author: { login: APP, type: "Bot" },
              committer: { login: APP, type: "Bot" },
            },
          ],
          reviews: [{ id: 1, user: { login: approver, type: "User" }, state: "APPROVED", commit_id: HEAD, submitted_at: "2026-11-27T09:30:00Z" }],
        });
        const id = file
          .split("/")
          .pop()!
          .replace(/\.yaml$/, "");
        const pr: MergedPr = {
          number: 16,
          merged: true,
          mergeCommitSha: MERGE,
          mergedAt: "2026-11-27T09:59:00Z",
          headSha: HEAD,
          headRef: `jit/${id}`,
          baseSha: BASE,
          author: { login: APP, type: "Bot" },
          changedFiles: 1,
        };
        let grants: Grants | undefined;
        const out = await grantMergedOnce(repo, pr, { grantsFor: (c) => (grants = fakeGrants(fake, c)), now: () => NOW });
        expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
        const arn = iamPolicyArn("aws", HOME, id);
        const policy = fake.account(HOME).iam.policies.get(arn)!;
        const doc = JSON.parse([...policy.versions.values()].find((v) => v.isDefault)!.document) as {
          Statement: Array<{ Action: string | string[]; Resource: string | string[] }>;
        };
        expect(doc.Statement.flatMap((s) => [s.Resource].flat())).toEqual(expect.arrayContaining([...resources]));
        if (actions) expect(doc.Statement.flatMap((s) => [s.Action].flat())).toEqual([...actions]);
        expect(expiryOf(doc as never)).toBe("2026-11-27T10:59:00Z");
        expect(fake.account(HOME).iam.users.get(who)!.attached).toContain(arn);
        await grants!.revoke({ requestId: id, mode: "iam", accountId: HOME });
        expect(fake.account(HOME).iam.policies.has(arn)).toBe(false);
      } finally {
        fake.restore();
      }
    },
  );
});
