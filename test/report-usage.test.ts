// The report's granted-vs-used section over closed records carrying `activity:`. The figures
// below are worked out by hand from the policies and events named in each test.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { activityRecord, grantedActions, summariseActivity, type ActivityEvent } from "../src/policy/activity.js";
import { buildReport, type ReportRecord } from "../src/report/aggregate.js";
import { renderReport } from "../src/report/render.js";
import { runCli } from "./support/cli.js";

const catalogue = loadCatalogue();
const NOW = new Date("2026-11-30T12:00:00Z");
// s3: 5 actions; logs: 3.
const POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:GetBucketAcl"],
      Resource: ["arn:aws:s3:::financial-reports", "arn:aws:s3:::financial-reports/*"],
    },
    {
      Effect: "Allow",
      Action: ["logs:GetLogEvents", "logs:DescribeLogStreams", "logs:FilterLogEvents"],
      Resource: "arn:aws:logs:us-east-1:111111111111:log-group:app:*",
    },
  ],
};
const S3_ONLY: PolicyDocument = { Version: "2012-10-17", Statement: [POLICY.Statement[0]!] };
const ev = (eventSource: string, eventName: string, errorCode?: string): ActivityEvent => ({
  eventTime: "2026-11-20T09:00:00.000Z",
  eventSource,
  eventName,
  ...(errorCode ? { errorCode } : {}),
});
const S3 = "s3.amazonaws.com";
const LOGS = "logs.amazonaws.com";

function closed(
  id: string,
  account: string,
  policy: PolicyDocument,
  events: ActivityEvent[] | "unavailable" | "none",
  at = "2026-11-20T16:00:00Z",
): ReportRecord {
  const request: AccessRequest = {
    version: 1,
    id,
    requester: "alice",
    account,
    duration: "8h",
    reason: "quarter-end reconciliation",
    request: [{ service: "s3", access: ["read"], resources: ["financial-reports"] }],
    policy,
    status: "expired",
    grant: { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-20T08:00:00Z", expires_at: at },
    closed: { at, reason: "expired" },
  };
  if (events === "unavailable") request.activity = { status: "unavailable", code: "aws.activity-unavailable", looked_up_at: at, data_events_visible: false };
  else if (events !== "none")
    request.activity = activityRecord(summariseActivity(catalogue, policy, events), { lookedUpAt: at, window: { from: "2026-11-20T08:00:00Z", to: at } });
  return { file: `access-requests/${account}/2026/${id}.yaml`, request };
}
const build = (records: ReportRecord[], since?: Date) =>
  buildReport({ records, commits: [], now: NOW, ...(since ? { since } : {}), grantedActionsOf: (p) => grantedActions(catalogue, p) });

describe("report: granted vs used", () => {
  const records = [
    // prod: s3 1 of 5 used (ListObjectsV2 → s3:ListBucket), one denied PutObject; logs 1 of 3.
    closed("1-a", "prod", POLICY, [ev(S3, "ListObjectsV2"), ev(S3, "PutObject", "AccessDenied"), ev(LOGS, "GetLogEvents")]),
    // staging: s3 2 of 5 (GetBucketPolicy, GetBucketAcl), no denied.
    closed("2-b", "staging", S3_ONLY, [ev(S3, "GetBucketPolicy"), ev(S3, "GetBucketAcl"), ev(S3, "GetBucketPolicy")]),
    closed("3-c", "prod", POLICY, "unavailable"),
    closed("4-d", "prod", POLICY, "none"),
  ];

  it("sums actions granted and used per service and per account, counts denied calls, and says what was left out", () => {
    const u = build(records).granted_vs_used;
    expect(u).toMatchObject({ grants: 2, partial: 0, unavailable: 1, none: 1, granted: 13, used: 4, denied: 1 });
    expect(u.share).toBeCloseTo(4 / 13);
    expect(u.by_service).toEqual([
      { key: "s3", grants: 2, granted: 10, used: 3, share: 0.3, denied: 1 },
      { key: "logs", grants: 1, granted: 3, used: 1, share: 1 / 3, denied: 0 },
    ]);
    expect(u.by_account).toEqual([
      { key: "prod", grants: 1, granted: 8, used: 2, share: 0.25, denied: 1 },
      { key: "staging", grants: 1, granted: 5, used: 2, share: 0.4, denied: 0 },
    ]);
  });

  it("only records in the period count", () => {
    const old = closed("0-z", "prod", POLICY, [ev(S3, "ListObjectsV2")], "2026-10-01T16:00:00Z");
    old.request.grant!.granted_at = "2026-10-01T08:00:00Z";
    const u = build([old, records[1]!], new Date("2026-11-01T00:00:00Z")).granted_vs_used;
    expect(u).toMatchObject({ grants: 1, granted: 5, used: 2 });
  });

  it("without the catalogue, a record whose unused list was cut is partial, not guessed; a complete one still counts", () => {
    // s3:* expands to far more than the record's 50 unused entries.
    const wide = closed("5-e", "prod", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }, [ev(S3, "ListObjectsV2")]);
    const bare = buildReport({ records: [wide, records[1]!], commits: [], now: NOW }).granted_vs_used;
    expect(bare).toMatchObject({ grants: 1, partial: 1, granted: 5, used: 2 });
    const full = build([wide]).granted_vs_used;
    expect(full.partial).toBe(0);
    expect(full.by_service[0]).toMatchObject({ key: "s3", used: 1 });
    expect(full.by_service[0]!.granted).toBe(grantedActions(catalogue, wide.request.policy!).length);
  });

  it("md, html and json carry the section", () => {
    const report = build(records);
    const md = renderReport(report, "md");
    expect(md).toContain("### Granted vs used");
    expect(md).toContain("| s3 | 2 | 10 | 3 | 30% | 1 |");
    expect(md).toContain("| staging | 1 | 5 | 2 | 40% | 0 |");
    expect(md).toMatch(/Not counted: 1 whose activity was unavailable, 1 without an activity record/);
    const html = renderReport(report, "html");
    expect(html).toContain("<h2>Granted vs used</h2>");
    expect(html).toMatch(/<td>logs<\/td><td class="num">1<\/td><td class="num">3<\/td><td class="num">1<\/td><td class="num">33%<\/td>/);
    expect(JSON.parse(renderReport(report, "json")).granted_vs_used.by_service[0]).toEqual({
      key: "s3",
      grants: 2,
      granted: 10,
      used: 3,
      share: 0.3,
      denied: 1,
    });
  });

  it("no activity recorded: the section says so and has no tables", () => {
    const md = renderReport(build([records[3]!]), "md");
    expect(md).toContain("0 closed grant(s) with recorded activity");
    expect(md).not.toContain("#### By service\n\n| service");
  });

  it("property: used ≤ granted in every row, shares in [0, 1], and services, accounts and totals agree", () => {
    const names: Array<[string, string]> = [
      [S3, "ListObjectsV2"],
      [S3, "GetObject"],
      [S3, "GetBucketPolicy"],
      [S3, "GetBucketAcl"],
      [S3, "PutObject"],
      [LOGS, "GetLogEvents"],
      [LOGS, "FilterLogEvents"],
      [LOGS, "DeleteLogGroup"],
      ["ec2.amazonaws.com", "DescribeInstances"],
    ];
    const grantArb = fc.record({
      account: fc.constantFrom("prod", "staging", "dev"),
      wide: fc.boolean(),
      events: fc.array(fc.record({ i: fc.nat(names.length - 1), denied: fc.boolean() }), { maxLength: 12 }),
    });
    fc.assert(
      fc.property(fc.array(grantArb, { maxLength: 6 }), fc.boolean(), (grants, withCatalogue) => {
        const recs = grants.map((g, n) =>
          closed(
            `${n + 1}-g`,
            g.account,
            g.wide ? POLICY : S3_ONLY,
            g.events.map((e) => ev(names[e.i]![0], names[e.i]![1], e.denied ? "AccessDenied" : undefined)),
          ),
        );
        const u = (withCatalogue ? build(recs) : buildReport({ records: recs, commits: [], now: NOW })).granted_vs_used;
        for (const row of [...u.by_service, ...u.by_account]) {
          expect(row.used).toBeLessThanOrEqual(row.granted);
          if (row.share !== null) expect(row.share).toBeGreaterThanOrEqual(0);
          if (row.share !== null) expect(row.share).toBeLessThanOrEqual(1);
        }
        const sum = (rows: typeof u.by_service, k: "granted" | "used" | "denied") => rows.reduce((s, r) => s + r[k], 0);
        expect(sum(u.by_service, "granted")).toBe(u.granted);
        expect(sum(u.by_account, "granted")).toBe(u.granted);
        expect(sum(u.by_service, "used")).toBe(u.used);
        expect(sum(u.by_account, "used")).toBe(u.used);
        expect(sum(u.by_service, "denied")).toBe(u.denied);
        expect(u.grants + u.partial).toBe(recs.length);
      }),
      { numRuns: 100 },
    );
  });
});

describe("jit-access report: granted vs used", () => {
  it("the CLI expands wildcards with the catalogue, so a grant of s3:* is counted, not partial", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-report-usage-"));
    try {
      const wide = closed("5-e", "prod", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }, [ev(S3, "ListObjectsV2")]);
      const put = (path: string, text: string) => {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      };
      mkdirSync(join(dir, ".git"));
      put(
        ".github/jit-access.yml",
        'aws:\n  mode: iam\n  region: us-east-1\n  accounts:\n    prod: "111111111111"\nprincipals:\n  alice: { iam_user: alice }\napprovers: [bob]\n',
      );
      put(wide.file, dumpRequest(wide.request));
      const r = await runCli(["report", "--format", "json"], dir);
      expect(r.code).toBe(0);
      const u = JSON.parse(r.stdout).granted_vs_used;
      expect(u).toMatchObject({ grants: 1, partial: 0, used: 1 });
      expect(u.granted).toBe(grantedActions(catalogue, wide.request.policy!).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
