// The report on a hand-built history: every number below was computed by hand (see comments).
// now = 2026-11-27T12:00:00Z. Eight requests:
//   1-alpha  alice prod    s3 read           8h expired  requested 11-20 09:00, merged 09:30, granted 09:30:10
//   2-beta   bob   prod    dynamodb write    4h revoked  requested 11-21 10:00, merged 11:00, granted 11:00:20, revoked 12:00:20
//   3-gamma  alice staging iam pm + s3 read  2h active   requested 11-27 10:00, merged 10:10, granted 10:10:30 (ends 12:10)
//   4-delta  carol prod    s3 write          1h active   requested 11-27 09:00, merged 09:05, granted 09:05:05 (ended 10:05: awaiting sweep)
//   5-eps    dave  prod    failed, code guardrail.denied-action (record and Rule: trailer)  requested 11-22
//   6-zeta   erin  staging rejected, no code (an older record)                         requested 11-23
//   7-eta    bob   prod    proposed                      requested 11-26
//   8-theta  alice prod    lambda read       8h expired  requested 2025-06-01 00:00, merged 02:00, granted 02:01
import { describe, expect, it } from "vitest";
import { commitMessage } from "../src/domain/records.js";
import type { AccessRequest } from "../src/domain/types.js";
import fc from "fast-check";
import { AREA_LABELS, buildReport, codeLabel, UNCLASSIFIED, type ReportRecord } from "../src/report/aggregate.js";
import type { HistoryCommit } from "../src/report/history.js";
import { parseGitLog, parseMergeDates } from "../src/report/history.js";
import { renderReport } from "../src/report/render.js";
import { humanSeconds, quantile, stat } from "../src/report/stats.js";
import { toGitLogText } from "../src/report/synthetic.js";
import { loadCatalogue } from "../src/iam-data.js";
import { grantUnscoped } from "../src/policy/guardrails.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const sha = (n: number) => n.toString(16).padStart(40, "0");
const file = (r: AccessRequest) => `access-requests/${r.account}/${r.id.startsWith("8-") ? 2025 : 2026}/${r.id}.yaml`;

function req(
  id: string,
  requester: string,
  account: string,
  duration: string,
  items: AccessRequest["request"],
  extra: Partial<AccessRequest> = {},
): AccessRequest {
  return { version: 1, id, requester, account, duration, reason: `reason for ${id}`, request: items, ...extra };
}
const grant = (merge: number, granted: string, expires: string) => ({
  approved_by: ["zed"],
  merge_commit: sha(merge),
  granted_at: granted,
  expires_at: expires,
});

const records: AccessRequest[] = [
  req("1-alpha", "alice", "prod", "8h", [{ service: "s3", access: ["read"], resources: ["b"] }], {
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] }] },
    status: "expired",
    grant: grant(101, "2026-11-20T09:30:10Z", "2026-11-20T17:30:00Z"),
    closed: { at: "2026-11-20T17:35:00Z", reason: "expired" },
  }),
  req("2-beta", "bob", "prod", "4h", [{ service: "dynamodb", access: ["write"], resources: ["t"] }], {
    status: "revoked",
    grant: grant(102, "2026-11-21T11:00:20Z", "2026-11-21T15:00:00Z"),
    closed: { at: "2026-11-21T12:00:20Z", reason: "done <!channel> | @team", by: "bob" },
  }),
  req(
    "3-gamma",
    "alice",
    "staging",
    "2h",
    [
      { service: "iam", access: ["permissions-management"], resources: ["r"] },
      { service: "s3", access: ["read"], resources: ["b"] },
    ],
    {
      status: "active",
      grant: grant(103, "2026-11-27T10:10:30Z", "2026-11-27T12:10:00Z"),
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["iam:PutRolePolicy", "s3:GetObject"], Resource: ["*"] }] },
    },
  ),
  req("4-delta", "carol", "prod", "1h", [{ service: "s3", access: ["write"], resources: ["b"] }], {
    status: "active",
    grant: grant(104, "2026-11-27T09:05:05Z", "2026-11-27T10:05:00Z"),
  }),
  req("5-eps", "dave", "prod", "1h", [{ service: "s3", access: ["write"], resources: ["b"] }], {
    status: "failed",
    closed: {
      at: "2026-11-22T10:00:00Z",
      code: "guardrail.denied-action",
      reason: 'policy.Statement[0].Action[1]: s3:DeleteBucket is forbidden by denied_actions ("s3:Delete*") in .github/jit-access.yml; remove it',
    },
  }),
  req("6-zeta", "erin", "staging", "1h", [{ service: "sqs", access: ["write"], resources: ["q"] }], {
    status: "rejected",
    closed: { at: "2026-11-23T10:00:00Z", reason: "pull request closed without merging" },
  }),
  req("7-eta", "bob", "prod", "1h", [{ service: "s3", access: ["read"], resources: ["b"] }]),
  req("8-theta", "alice", "prod", "8h", [{ service: "lambda", access: ["read"], resources: ["f"] }], {
    status: "expired",
    grant: grant(108, "2025-06-01T02:01:00Z", "2025-06-01T10:00:00Z"),
    closed: { at: "2025-06-01T10:05:00Z", reason: "expired" },
  }),
];
const REQUESTED: Record<string, string> = {
  "1-alpha": "2026-11-20T09:00:00Z",
  "2-beta": "2026-11-21T10:00:00Z",
  "3-gamma": "2026-11-27T10:00:00Z",
  "4-delta": "2026-11-27T09:00:00Z",
  "5-eps": "2026-11-22T09:00:00Z",
  "6-zeta": "2026-11-23T09:00:00Z",
  "7-eta": "2026-11-26T09:00:00Z",
  "8-theta": "2025-06-01T00:00:00Z",
};
const MERGED: Record<number, string> = {
  101: "2026-11-20T09:30:00Z",
  102: "2026-11-21T11:00:00Z",
  103: "2026-11-27T10:10:00Z",
  104: "2026-11-27T09:05:00Z",
  108: "2025-06-01T02:00:00Z",
};
const RISK: Record<string, string> = { "1-alpha": "low", "2-beta": "medium", "3-gamma": "high", "4-delta": "medium", "8-theta": "low" };

/** The history as git prints it, parsed by the real parser. */
function history() {
  const commits = [];
  let n = 1000;
  const c = (date: string, message: string, files: Array<{ status: string; path: string }>) => {
    const body = message.trimEnd();
    return { sha: sha(n++), parents: [], authorDate: date, commitDate: date, subject: body.split("\n")[0] ?? "", body, trailers: {}, files };
  };
  for (const r of records) {
    commits.push(c(REQUESTED[r.id] as string, `jit-access: propose ${r.id} (issue #${r.id.split("-")[0]})`, [{ status: "A", path: file(r) }]));
    if (r.grant) {
      commits.push(
        c(
          r.grant.granted_at,
          commitMessage(`jit-access: grant ${r.id} until ${r.grant.expires_at}`, `Merged in ${r.grant.merge_commit}; risk ${RISK[r.id]}.`, {
            "Request-Id": r.id,
            "Approved-By": ["zed"],
            "Expires-At": r.grant.expires_at,
          }),
          [{ status: "M", path: file(r) }],
        ),
      );
    }
    if (r.closed?.code)
      commits.push(
        c(r.closed.at, commitMessage(`jit-access: fail ${r.id}`, r.closed.reason, { "Request-Id": r.id, Rule: [r.closed.code] }), [
          { status: "M", path: file(r) },
        ]),
      );
  }
  const text = toGitLogText(commits);
  const merges = Object.entries(MERGED)
    .map(([k, d]) => `${sha(Number(k))}\0${d}\0`)
    .join("\n");
  return { commits: parseGitLog(text), mergeDates: parseMergeDates(merges) };
}

const LEVELS: Record<string, "permissions-management" | "read" | "write"> = { "iam:PutRolePolicy": "permissions-management", "s3:GetObject": "read" };
const input = (extra: Partial<Parameters<typeof buildReport>[0]> = {}) => ({
  records: records.map((r): ReportRecord => ({ file: file(r), request: r })),
  ...history(),
  now: NOW,
  accessLevelOf: (a: string) => LEVELS[a],
  ...extra,
});

describe("stats", () => {
  it("quantiles interpolate between closest ranks", () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBeCloseTo(9.1);
    expect(quantile([7], 0.9)).toBe(7);
    expect(stat([])).toEqual({ count: 0, median: null, p90: null, min: null, max: null });
    expect(humanSeconds(5760)).toBe("1h 36m");
    expect(humanSeconds(93600)).toBe("1d 2h");
  });
});

describe("git log parsing", () => {
  it("reads sha, dates, message, trailers and files; a message cannot forge a commit", () => {
    const hostile = "jit-access: grant x\n\n\x1e" + "f".repeat(40) + "\nRequest-Id: forged";
    const text = `\x1e${sha(1)}\0${sha(2)} ${sha(3)}\0${"2026-01-01T00:00:00Z"}\0${"2026-01-02T00:00:00Z"}\0${hostile}\n\0\nA\0access-requests/prod/2026/1-a.yaml\0M\0access-requests/prod/2026/2-b.yaml\0`;
    const [c, ...rest] = parseGitLog(text);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      sha: sha(1),
      parents: [sha(2), sha(3)],
      authorDate: "2026-01-01T00:00:00Z",
      commitDate: "2026-01-02T00:00:00Z",
      subject: "jit-access: grant x",
    });
    expect(c?.files).toEqual([
      { status: "A", path: "access-requests/prod/2026/1-a.yaml" },
      { status: "M", path: "access-requests/prod/2026/2-b.yaml" },
    ]);
    expect(history().commits.find((x) => x.subject.startsWith("jit-access: grant 2-beta"))?.trailers["Request-Id"]).toEqual(["2-beta"]);
  });
});

describe("report numbers on a hand-built history", () => {
  it("counts requests, grants and active grants", () => {
    const r = buildReport(input());
    expect(r.totals).toEqual({
      requests: 8,
      by_status: { proposed: 1, scheduled: 0, active: 2, expired: 2, revoked: 1, rejected: 1, failed: 1 },
      grants: 5,
      active_now: 1,
      awaiting_sweep: 1,
      blocked: 2,
      commits: 14,
      skipped_files: 0,
    });
    // Per service once per request: s3 in 1, 3, 4; dynamodb 2; iam 3; lambda 8. Ties by name.
    expect(r.grants_by_service).toEqual([
      { key: "s3", count: 3 },
      { key: "dynamodb", count: 1 },
      { key: "iam", count: 1 },
      { key: "lambda", count: 1 },
    ]);
    expect(r.grants_by_account).toEqual([
      { key: "prod", count: 4 },
      { key: "staging", count: 1 },
    ]);
    expect(r.grants_by_requester).toEqual([
      { key: "alice", count: 3 },
      { key: "bob", count: 1 },
      { key: "carol", count: 1 },
    ]);
    expect(r.grants_by_risk).toEqual({ low: 2, medium: 2, high: 1 });
    expect(r.active).toEqual([
      {
        id: "3-gamma",
        requester: "alice",
        account: "staging",
        granted_at: "2026-11-27T10:10:30Z",
        expires_at: "2026-11-27T12:10:00Z",
        minutes_left: 10,
        risk: "high",
      },
    ]);
  });

  it("measures request → approval and approval → grant (median, p90)", () => {
    const t = buildReport(input()).timing;
    // request → approval: 1800, 3600, 600, 300, 7200 → sorted 300 600 1800 3600 7200.
    // median 1800; p90 at rank 3.6: 3600 + 0.6 × 3600 = 5760.
    expect(t.request_to_approval).toEqual({ count: 5, median: 1800, p90: 5760, min: 300, max: 7200 });
    // approval → grant: 10, 20, 30, 5, 60 → 5 10 20 30 60; median 20; p90 30 + 0.6 × 30 = 48.
    expect(t.approval_to_grant.median).toBe(20);
    expect(t.approval_to_grant.p90).toBeCloseTo(48);
    // request → grant: 305 630 1810 3620 7260; median 1810; p90 3620 + 0.6 × 3640 = 5804.
    expect(t.request_to_grant.median).toBe(1810);
    expect(t.request_to_grant.p90).toBeCloseTo(5804);
    // Buckets: 305, 630 < 15m; 1810 in 15m–1h; 3620, 7260 in 1h–4h.
    expect(t.request_to_grant_buckets.map((b) => b.count)).toEqual([2, 1, 2, 0, 0]);
  });

  it("restricts to the period with --since (active now stays global)", () => {
    const r = buildReport(input({ since: new Date("2026-01-01T00:00:00Z") }));
    expect(r.totals.requests).toBe(7);
    expect(r.grants_by_service.find((c) => c.key === "lambda")).toBeUndefined();
    // Without 8-theta: 300 600 1800 3600; median (600 + 1800) / 2 = 1200; p90 at 2.7: 1800 + 0.7 × 1800 = 3060.
    expect(r.timing.request_to_approval.median).toBe(1200);
    expect(r.timing.request_to_approval.p90).toBeCloseTo(3060);
    expect(r.since).toBe("2026-01-01T00:00:00Z");
    expect(buildReport(input({ since: new Date("2027-01-01T00:00:00Z") })).totals.active_now).toBe(1);
  });

  it("compares durations asked and used, with early revokes", () => {
    const d = buildReport(input()).durations;
    // Closed grants: 1-alpha asked 8h, used 17:30:00 − 09:30:10 = 28790 s; 2-beta asked 4h, used
    // 12:00:20 − 11:00:20 = 3600 s; 8-theta asked 8h, used 10:00 − 02:01 = 28740 s.
    expect(d.closed_grants).toBe(3);
    expect(d.asked_seconds).toBe(72000);
    expect(d.used_seconds).toBe(61130);
    expect(d.used_ratio).toBeCloseTo(61130 / 72000);
    expect(d.early_revokes).toBe(1);
    expect(d.early_revoke_used_ratio.median).toBe(0.25);
    expect(d.revoked).toEqual([
      { id: "2-beta", requester: "bob", account: "prod", asked_seconds: 14400, used_seconds: 3600, by: "bob", reason: "done <!channel> | @team" },
    ]);
  });

  it("counts blocked requests by the code in the record; a record without one is unclassified, whatever its reason says", () => {
    const b = buildReport(input()).blocked;
    expect(b.total).toBe(2);
    expect(b.by_rule).toEqual([
      { key: "guardrail.denied-action", count: 1, label: "policy guardrails: denied-action" },
      { key: UNCLASSIFIED, count: 1, label: "unclassified: no code recorded" },
    ]);
    expect(b.by_area).toEqual([
      { key: "guardrail", count: 1, label: "policy guardrails" },
      { key: UNCLASSIFIED, count: 1, label: "unclassified: no code recorded" },
    ]);
    expect(b.recent.map((x) => [x.id, x.rule, x.rule_source, x.rules])).toEqual([
      ["6-zeta", UNCLASSIFIED, "none", []],
      ["5-eps", "guardrail.denied-action", "record", ["guardrail.denied-action"]],
    ]);
  });

  it("ranks the riskiest grants", () => {
    const top = buildReport(input()).riskiest;
    expect(top.map((x) => [x.id, x.risk, x.risk_source])).toEqual([
      ["3-gamma", "high", "grant-commit"],
      ["2-beta", "medium", "grant-commit"],
      ["4-delta", "medium", "grant-commit"],
      ["1-alpha", "low", "grant-commit"],
      ["8-theta", "low", "grant-commit"],
    ]);
    // iam:PutRolePolicy is dangerous whatever the resource; s3:GetObject only unscoped (here on "*").
    expect(top[0]).toMatchObject({ permissions_management: ["iam:PutRolePolicy"], dangerous: ["iam:PutRolePolicy", "s3:GetObject"] });
    expect(top.find((x) => x.id === "1-alpha")?.dangerous).toEqual([]);
  });

  it("derives risk from the request when the history is missing", () => {
    const r = buildReport(input({ commits: [], mergeDates: new Map() }));
    expect(r.riskiest.map((x) => [x.id, x.risk, x.risk_source])).toEqual([
      ["3-gamma", "high", "policy"],
      ["2-beta", "medium", "request"],
      ["4-delta", "medium", "request"],
      ["1-alpha", "low", "policy"],
      ["8-theta", "low", "request"],
    ]);
    expect(r.timing.request_to_approval.count).toBe(0);
  });
});

describe("blocked panel reads codes, never English", () => {
  const blockedReq = (id: string, status: "failed" | "rejected", closed: Partial<NonNullable<AccessRequest["closed"]>> = {}): AccessRequest =>
    req(id, "dave", "prod", "1h", [{ service: "s3", access: ["read"], resources: ["b"] }], {
      status,
      closed: { at: "2026-11-22T10:00:00Z", reason: "s3:DeleteBucket is forbidden by denied_actions", ...closed },
    });
  let n = 5000;
  const commit = (path: string, trailers: Record<string, string[]>): HistoryCommit => ({
    sha: sha(n++),
    parents: [],
    authorDate: "2026-11-22T10:00:00Z",
    commitDate: "2026-11-22T10:00:00Z",
    subject: "jit-access: fail x",
    body: "",
    trailers,
    files: [{ status: "M", path }],
  });
  const run = (reqs: AccessRequest[], commits: HistoryCommit[] = []) =>
    buildReport({ records: reqs.map((r) => ({ file: file(r), request: r })), commits, now: NOW }).blocked;

  it("takes the code from the record's commit (Rule: trailers) when the record has none, and lists every code", () => {
    const r = blockedReq("20-a", "failed");
    const b = run([r], [commit(file(r), { "Request-Id": ["20-a"], Rule: ["approval.self", "approval.stale-review"] })]);
    expect(b.by_rule).toEqual([{ key: "approval.self", count: 1, label: "approval rules: self" }]);
    expect(b.recent[0]).toMatchObject({ rule: "approval.self", rule_source: "commit", rules: ["approval.self", "approval.stale-review"] });
  });

  it("the record's own code wins over its commit's trailers", () => {
    const r = blockedReq("21-a", "failed", { code: "aws.grant-failed" });
    const b = run([r], [commit(file(r), { "Request-Id": ["21-a"], Rule: ["guardrail.denied-action"] })]);
    expect(b.by_rule.map((x) => x.key)).toEqual(["aws.grant-failed"]);
    expect(b.recent[0]).toMatchObject({ rule_source: "record", rules: ["guardrail.denied-action"] });
  });

  it("the newest commit with Rule: trailers counts (git log lists newest first)", () => {
    const r = blockedReq("22-a", "rejected");
    const b = run(
      [r],
      [commit(file(r), { "Request-Id": ["22-a"], Rule: ["merge.not-merged"] }), commit(file(r), { "Request-Id": ["22-a"], Rule: ["approval.self"] })],
    );
    expect(b.by_rule.map((x) => x.key)).toEqual(["merge.not-merged"]);
  });

  it.each([
    ["a commit naming another request", (path: string) => commit(path, { "Request-Id": ["99-other"], Rule: ["approval.self"] })],
    ["a commit that did not write the file", () => commit("access-requests/prod/2026/99-other.yaml", { "Request-Id": ["23-a"], Rule: ["approval.self"] })],
    ["a commit without Request-Id", (path: string) => commit(path, { Rule: ["approval.self"] })],
    ["a malformed Rule: trailer", (path: string) => commit(path, { "Request-Id": ["23-a"], Rule: ["Approval.Self", "approval", "approval.self; rm -rf"] })],
    ["a Rule: trailer of an unknown area", (path: string) => commit(path, { "Request-Id": ["23-a"], Rule: ["bogus.rule"] })],
  ])("%s does not classify the record", (_name, make) => {
    const r = blockedReq("23-a", "failed");
    const b = run([r], [make(file(r))]);
    expect(b.by_rule.map((x) => x.key)).toEqual([UNCLASSIFIED]);
    expect(b.recent[0]?.rule_source).toBe("none");
  });

  it.each(["Guardrail.dangerous-action", "guardrail", "guardrail.", "unknown-area.rule", `guardrail.${"x".repeat(80)}`, "guardrail.a b"])(
    "a record code %j that is not <known area>.<rule> is unclassified",
    (code) => {
      const b = run([blockedReq("24-a", "failed", { code })]);
      expect(b.by_rule.map((x) => x.key)).toEqual([UNCLASSIFIED]);
    },
  );

  it("labels every code area", () => {
    for (const area of Object.keys(AREA_LABELS)) expect(codeLabel(`${area}.some-rule`)).toBe(`${AREA_LABELS[area as keyof typeof AREA_LABELS]}: some-rule`);
    expect(codeLabel(UNCLASSIFIED)).toBe("unclassified: no code recorded");
  });

  it("property: the panel counts each rejected or failed record exactly once, by rule and by area", () => {
    const areas = [...Object.keys(AREA_LABELS), "bogus", "Guardrail"];
    const code = fc.tuple(fc.constantFrom(...areas), fc.constantFrom("self", "stale", "dangerous-action", "x.y", "", "A b")).map(([a, r]) => `${a}.${r}`);
    const status = fc.constantFrom<NonNullable<AccessRequest["status"]>>("proposed", "active", "expired", "revoked", "rejected", "failed");
    const item = fc.record({ status, code: fc.option(code, { nil: undefined }), trailer: fc.array(code, { maxLength: 3 }), trailerId: fc.boolean() });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const reqs: AccessRequest[] = [];
        const commits: HistoryCommit[] = [];
        items.forEach((it, i) => {
          const id = `${i + 1}-p`;
          const closed =
            it.status === "proposed" || it.status === "active"
              ? undefined
              : { at: "2026-11-22T10:00:00Z", reason: "denied_actions approval dangerous", ...(it.code ? { code: it.code } : {}) };
          const granted = it.status === "active" || it.status === "expired" || it.status === "revoked";
          const r = req(id, "u", "prod", "1h", [{ service: "s3", access: ["read"], resources: ["b"] }], {
            status: it.status,
            ...(closed ? { closed } : {}),
            ...(granted ? { grant: grant(1, "2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z") } : {}),
          });
          reqs.push(r);
          if (it.trailer.length) commits.push(commit(file(r), { "Request-Id": [it.trailerId ? id : "0-x"], Rule: it.trailer }));
        });
        const b = run(reqs, commits);
        const expected = reqs.filter((r) => r.status === "rejected" || r.status === "failed").length;
        const sum = (xs: Array<{ count: number }>) => xs.reduce((a, x) => a + x.count, 0);
        expect(b.total).toBe(expected);
        expect(sum(b.by_rule)).toBe(expected);
        expect(sum(b.by_area)).toBe(expected);
        // Every key is a code of a known area or the unclassified bucket.
        for (const x of b.by_rule) expect(x.key === UNCLASSIFIED || Object.hasOwn(AREA_LABELS, x.key.split(".")[0] ?? "")).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("risk from the grant commit's Risk: trailer", () => {
  const r = records.find((x) => x.id === "1-alpha") as AccessRequest;
  const grantCommit = (trailers: Record<string, string[]>, body: string): HistoryCommit => ({
    sha: sha(7000),
    parents: [],
    authorDate: "2026-11-20T09:30:10Z",
    commitDate: "2026-11-20T09:30:10Z",
    subject: `jit-access: grant ${r.id} until x`,
    body,
    trailers,
    files: [{ status: "M", path: file(r) }],
  });
  const riskOf = (c: HistoryCommit) =>
    buildReport({ records: [{ file: file(r), request: r }], commits: [c], now: NOW, accessLevelOf: (a) => LEVELS[a] }).riskiest[0];

  it.each([
    ["the trailer over the sentence", { "Request-Id": [r.id], Risk: ["high"] }, "risk low.", "high", "grant-commit"],
    ["the trailer alone", { "Request-Id": [r.id], Risk: ["medium"] }, "", "medium", "grant-commit"],
    ["the sentence of an older commit", { "Request-Id": [r.id] }, "risk medium.", "medium", "grant-commit"],
    ["not an unknown tier", { "Request-Id": [r.id], Risk: ["extreme"] }, "", "low", "policy"],
    ["not another request's trailer", { "Request-Id": ["9-other"], Risk: ["high"] }, "", "low", "policy"],
  ])("takes %s", (_name, trailers, body, tier, source) => {
    expect(riskOf(grantCommit(trailers, body))).toMatchObject({ risk: tier, risk_source: source });
  });
});

describe("renderers", () => {
  const report = buildReport(input());

  it("markdown quotes user text for GitHub", () => {
    const md = renderReport(report, "md");
    expect(md).toContain("| request → approval | 30m | 1h 36m | 5 |");
    expect(md).toContain("done \\<\\!channel\\> \\| @\u200bteam");
    expect(md).not.toContain("<!channel>");
    expect(md).toContain("**1 active now** (+1 past expiry awaiting the sweep)");
  });

  it("json is the report", () => {
    expect(JSON.parse(renderReport(report, "json"))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it("html is one self-contained file with inline SVG charts", () => {
    const html = renderReport(buildReport(input({ notes: ["see https://example.com/docs <script>alert(1)</script>"] })), "html");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    expect((html.match(/<svg class="chart"/g) ?? []).length).toBeGreaterThanOrEqual(7);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(|src=|href=/i);
    // URLs appear only as escaped text inside elements, never in an attribute or tag.
    const tags = html.match(/<[^>]*>/g) ?? [];
    expect(tags.filter((t) => /https?:/.test(t))).toEqual([]);
    expect(html).toContain("see https://example.com/docs &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("done &lt;!channel&gt; | @team");
  });
});

describe("unscoped grants in the report", () => {
  // The report must call a grant on every secret dangerous whichever way the wildcard is written;
  // with the catalogue it uses the guardrails' own decision, without it a shape rule that errs wide.
  const catalogue = loadCatalogue();
  const secret = (name: string) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}`;
  const cases: Array<[resource: string, unscoped: boolean]> = [
    ["*", true],
    [secret("*"), true],
    [secret("???*"), true],
    [secret("*-??????"), true],
    [secret("prod/*"), false],
    [secret("db-??????"), false],
  ];
  const oneGrant = (resource: string): ReportRecord => ({
    file: "access-requests/prod/2026/9-s.yaml",
    request: req("9-s", "alice", "prod", "1h", [{ service: "secretsmanager", access: ["read"], resources: ["x"] }], {
      status: "active",
      grant: grant(109, "2026-11-27T11:00:00Z", "2026-11-27T13:00:00Z"),
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [resource] }] },
    }),
  });
  it.each(cases)("%s → unscoped %s, with the catalogue and by shape alone", (resource, unscoped) => {
    for (const grantUnscopedFn of [(a: string, r: string) => grantUnscoped(catalogue, a, r), undefined]) {
      const r = buildReport({
        records: [oneGrant(resource)],
        commits: [],
        mergeDates: new Map(),
        now: NOW,
        accessLevelOf: () => "read",
        grantUnscoped: grantUnscopedFn,
      });
      expect(r.riskiest[0]?.dangerous).toEqual(unscoped ? ["secretsmanager:GetSecretValue"] : []);
      expect(r.riskiest[0]?.risk).toBe(unscoped ? "high" : "low");
    }
  });
});

describe("grants per catalogue entry", () => {
  it("counts granted requests by the entry they picked; refused and described requests are not counted", () => {
    const picked: Record<string, string> = { "1-alpha": "dba", "2-beta": "dba", "3-gamma": "reports", "6-zeta": "dba", "7-eta": "dba" };
    const r = buildReport(
      input({ records: records.map((x): ReportRecord => ({ file: file(x), request: picked[x.id] ? { ...x, catalogue: picked[x.id] } : x })) }),
    );
    expect(r.grants_by_catalogue).toEqual([
      { key: "dba", count: 2 },
      { key: "reports", count: 1 },
    ]);
    expect(renderReport(r, "md")).toContain("By catalogue entry");
    expect(buildReport(input()).grants_by_catalogue).toEqual([]);
  });
});
