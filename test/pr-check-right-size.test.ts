// The PR check's right-sizing section: on the app's own request PR, the description names what the
// requester's last grant like this one never used, read from at most one listing and
// RIGHT_SIZE_MAX_READS record reads (in-memory AccessRepo, no HTTP).
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { CONFIG_PATH } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { checkPull, RIGHT_SIZE_MAX_READS, rightSizingSection } from "../src/github/pr-check.js";
import { loadCatalogue } from "../src/iam-data.js";
import { activityRecord, summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const CONFIG = memoryRepoConfig(HOME, ["alice", "carol"]);
const ID = "70-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const BASE = "b".repeat(40);
const HEAD = "c".repeat(40);
const NOW = new Date("2026-11-27T10:00:00Z");
const PROPOSED = dumpRequest(testRequest({ id: ID, duration: "2h", policy: testPolicy() }), "proposed");
const catalogue = loadCatalogue();
const SECTION = "### Right-sizing from the last grant";

/** A closed record whose holder made `events` under testPolicy(). */
function closed(id: string, events: ActivityEvent[], over: Partial<AccessRequest> = {}): string {
  const closedAt = "2026-11-20T16:00:00Z";
  const summary = summariseActivity(catalogue, testPolicy(), events);
  return dumpRequest({
    ...testRequest({ id, duration: "2h", policy: testPolicy() }),
    status: "expired",
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      granted_at: "2026-11-20T14:00:00Z",
      expires_at: closedAt,
      aws: { mode: "iam", account_id: HOME },
    },
    closed: { at: closedAt, reason: "expired" },
    activity: activityRecord(summary, { lookedUpAt: closedAt, window: { from: "2026-11-20T14:00:00Z", to: closedAt } }),
    ...over,
  });
}
const listed: ActivityEvent = { eventTime: "2026-11-20T15:00:00.000Z", eventSource: "s3.amazonaws.com", eventName: "ListObjectsV2" };

function repoWith(records: Record<string, string>): MemoryAccessRepo {
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [FILE]: PROPOSED, ...records });
  repo.branches.set("main", BASE);
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.setRef(HEAD, { [FILE]: PROPOSED });
  repo.pulls.set(71, { number: 71, files: [{ path: FILE, status: "added", previousPath: null, sha: null }], commits: [], reviews: [] });
  return repo;
}
const pr = {
  number: 71,
  headSha: HEAD,
  headRef: `jit/${ID}`,
  baseRef: "main",
  sameRepo: true,
  author: { login: "jit-access[bot]", type: "Bot" },
  title: "",
  body: "",
};

/** Runs the check; returns the description written and the record reads outside the PR's own file. */
async function check(repo: MemoryAccessRepo): Promise<{ body: string; reads: string[] }> {
  const read = vi.spyOn(repo, "read");
  expect(await checkPull(repo, pr, { now: NOW, appLogin: "jit-access[bot]" })).toEqual({ kind: "checked", ok: true });
  const reads = read.mock.calls.map((c) => c[0]).filter((p) => p.startsWith("access-requests/") && p !== FILE);
  return { body: repo.pullUpdates.at(-1)?.body ?? "", reads };
}

describe("the PR description's right-sizing section", () => {
  it("a previous grant of alice's that used 1 of 2 actions: the section names the unused one and the narrower line", async () => {
    const repo = repoWith({ "access-requests/prod/2026/60-financial-reports.yaml": closed("60-financial-reports", [listed]) });
    const { body, reads } = await check(repo);
    expect(body).toContain(SECTION);
    expect(body).toContain("never used 1 of its 2 action(s): `s3:GetObject`");
    expect(body).toContain("- { service: s3, actions: [s3:ListBucket], resources: [financial-reports] }");
    // Before the policy JSON, so the policy shown is still the one granted.
    expect(body.indexOf(SECTION)).toBeLessThan(body.indexOf("Policy JSON"));
    expect(body).toContain('"s3:GetObject"');
    expect(repo.listNameCalls).toBe(1);
    expect(reads).toEqual(["access-requests/prod/2026/60-financial-reports.yaml"]);
  });

  it("no earlier record: no section, one listing, no reads", async () => {
    const repo = repoWith({});
    const { body, reads } = await check(repo);
    expect(body).toContain("Refs issue #70");
    expect(body).not.toContain(SECTION);
    expect(repo.listNameCalls).toBe(1);
    expect(reads).toEqual([]);
  });

  it.each([
    ["another requester's record", closed("60-financial-reports", [listed], { requester: "carol" })],
    ["a record without activity", closed("60-financial-reports", [listed], { activity: undefined })],
    ["a grant that used everything", closed("60-financial-reports", [listed, { ...listed, eventName: "GetObject" }])],
  ])("%s: no section", async (_, text) => {
    const { body } = await check(repoWith({ "access-requests/prod/2026/60-financial-reports.yaml": text }));
    expect(body).toContain("Refs issue #70");
    expect(body).not.toContain(SECTION);
  });

  it("last year's folder is listed too; another account's folder and older years are not", async () => {
    const repo = repoWith({ "access-requests/prod/2025/9-financial-reports.yaml": closed("9-financial-reports", [listed]) });
    expect((await check(repo)).body).toContain("request 9-financial-reports");
    const older = repoWith({ "access-requests/prod/2024/9-financial-reports.yaml": closed("9-financial-reports", [listed]) });
    expect((await check(older)).reads).toEqual([]);
  });

  it(`many earlier records: one listing and at most ${RIGHT_SIZE_MAX_READS} reads, newest number first`, async () => {
    const records: Record<string, string> = {};
    // The one with activity is the oldest: beyond the read bound, so it is not found.
    records["access-requests/prod/2026/1-financial-reports.yaml"] = closed("1-financial-reports", [listed]);
    for (let n = 10; n < 40; n++)
      records[`access-requests/prod/2026/${n}-financial-reports.yaml`] = closed(`${n}-financial-reports`, [listed], { requester: "carol" });
    const repo = repoWith(records);
    const { body, reads } = await check(repo);
    expect(repo.listNameCalls).toBe(1);
    expect(reads).toHaveLength(RIGHT_SIZE_MAX_READS);
    expect(reads[0]).toBe("access-requests/prod/2026/39-financial-reports.yaml");
    expect(reads.at(-1)).toBe("access-requests/prod/2026/20-financial-reports.yaml");
    expect(body).not.toContain(SECTION);
  });

  it("a listing that fails leaves the description without the section; the check still passes", async () => {
    const repo = repoWith({ "access-requests/prod/2026/60-financial-reports.yaml": closed("60-financial-reports", [listed]) });
    repo.listNames = async () => {
      throw new Error("502");
    };
    const { body } = await check(repo);
    expect(body).toContain("Refs issue #70");
    expect(body).not.toContain(SECTION);
  });
});

describe("rightSizingSection", () => {
  it("property: every unused action is named or counted, and nothing in a line can close the code block", () => {
    const action = fc.stringMatching(/^s3:[A-Za-z]{1,20}$/);
    fc.assert(
      fc.property(fc.uniqueArray(action, { minLength: 1, maxLength: 40 }), fc.string({ maxLength: 60 }), (unused, resource) => {
        const text = rightSizingSection([
          {
            service: "s3",
            resources: [resource],
            previousId: "5-x",
            closedAt: "2026-11-20T16:00:00Z",
            granted: unused.length + 1,
            unused,
            line: `- { resources: [${resource}] }`,
          },
        ]);
        const named = unused.filter((a) => text.includes(`\`${a}\``)).length;
        const more = /and (\d+) more/.exec(text);
        expect(named + (more ? Number(more[1]) : 0)).toBe(unused.length);
        expect(text.match(/```/g)).toHaveLength(2);
      }),
      { numRuns: 200 },
    );
  });

  it("nothing to suggest: empty", () => {
    expect(rightSizingSection([])).toBe("");
  });
});
