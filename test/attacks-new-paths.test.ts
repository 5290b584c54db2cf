// Attacks on the new approval paths, pure: an extension must stay the grant it extends — the same
// catalogue entry (so its approvers and eligibility judge it), and the whole chain within every
// max_duration that bounds the grant (global, account, entry).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { approvalConfigFor, eligibilityRules } from "../src/domain/access-catalogue.js";
import { configFromObject } from "../src/domain/config.js";
import { chainCap, extendedExpiry, extensionProblems, extensionRequest, recordExtended } from "../src/domain/extension.js";
import { codesOf } from "../src/domain/problems.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { parseRequestFile } from "../src/domain/request.js";
import type { AccessRequest, Config, RequestItem } from "../src/domain/types.js";
import { extensionChainSeconds, mayAskExtension } from "../src/github/extend.js";
import { autoFacts } from "../src/github/approval-policies.js";
import { matchAutoApproval } from "../src/domain/approvals.js";
import type { AccessRepo } from "../src/lifecycle/ports.js";

const PROD = "111122223333";
const NOW = new Date("2026-11-27T09:00:00Z");
const ITEMS: RequestItem[] = [{ service: "s3", access: ["read"], resources: [`arn:aws:s3:::reports-${PROD}/alice/*`] }];

function cfg(over: { entryMax?: string; accountMax?: string; total?: string } = {}): Config {
  const r = configFromObject({
    aws: { mode: "iam", region: "us-east-1", accounts: { prod: { id: PROD, ...(over.accountMax ? { max_duration: over.accountMax } : {}) } } },
    principals: { alice: { iam_user: "alice" } },
    approvers: ["carol", "dave"],
    ...(over.total ? { max_total_duration: over.total } : {}),
    catalogue: {
      "reports-read": {
        kind: "template",
        description: "read the reports bucket",
        accounts: ["prod"],
        request: [{ service: "s3", access: ["read"], resources: ["arn:{partition}:s3:::reports-{account_id}/{requester}/*"] }],
        approvers: ["@acme/data-leads"],
        required_approvals: 2,
        eligible: ["@acme/analysts"],
        ...(over.entryMax ? { max_duration: over.entryMax } : {}),
      },
    },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

/** A catalogue grant of 1h, granted at 08:30, ending 09:30. */
const original = (): AccessRequest => ({
  version: 1,
  id: "7-reports",
  requester: "alice",
  account: "prod",
  duration: "1h",
  reason: "quarter end",
  catalogue: "reports-read",
  request: structuredClone(ITEMS),
  policy: { Version: "2012-10-17", Statement: [{ Sid: "R", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::reports-${PROD}/alice/*`] }] },
  status: "active",
  grant: { approved_by: ["carol", "dave"], merge_commit: "d".repeat(40), granted_at: "2026-11-27T08:30:00Z", expires_at: "2026-11-27T09:30:00Z" },
});
const cmd = (seconds: number) => ({ duration: `${seconds}s`, seconds, reason: "still running" });

describe("an extension of a catalogue grant stays under the entry", () => {
  it("the extension request names the entry, so the entry's approvers and eligibility judge it at the merge", () => {
    const config = cfg();
    const ext = extensionRequest(original(), cmd(3600), 1);
    expect(ext.catalogue).toBe("reports-read");
    expect(approvalConfigFor(config, ext)).toEqual(approvalConfigFor(config, original()));
    expect(approvalConfigFor(config, ext).approvers).toEqual(["@acme/data-leads"]);
    expect(eligibilityRules(config, ext).map((r) => r.source)).toContain("catalogue.reports-read.eligible");
  });

  it.each<[string, Partial<AccessRequest>]>([
    ["the entry dropped (the global approvers would judge it)", { catalogue: undefined }],
    ["another entry", { catalogue: "other-entry" }],
  ])("a requester's own extension file with %s is refused", (_name, over) => {
    const ext = { ...extensionRequest(original(), cmd(1800), 1), ...over };
    if (over.catalogue === undefined) delete ext.catalogue;
    expect(codesOf(extensionProblems({ original: original(), extension: ext, config: cfg({ total: "24h" }), now: NOW, seconds: 1800 }))).toEqual([
      "merge.extension-scope-changed",
    ]);
  });
});

describe("the chain never outlasts any max_duration that bounds the grant", () => {
  // Granted 08:30, ends 09:30; +2h → 11:30, a 3h chain.
  it.each<[string, Parameters<typeof cfg>[0], string[]]>([
    ["no narrower limit (24h default)", {}, []],
    ["the entry's max_duration 2h", { entryMax: "2h" }, ["merge.extension-too-long"]],
    ["the account's max_duration 2h", { accountMax: "2h" }, ["merge.extension-too-long"]],
    ["the entry's 2h under a larger max_total_duration", { entryMax: "2h", total: "3d" }, ["merge.extension-too-long"]],
    ["the entry's 4h, the account's 2h", { entryMax: "4h", accountMax: "2h" }, ["merge.extension-too-long"]],
    ["the entry's and account's 4h", { entryMax: "4h", accountMax: "4h" }, []],
  ])("%s", (_name, over, codes) => {
    const ext = extensionRequest(original(), cmd(7200), 1);
    expect(codesOf(extensionProblems({ original: original(), extension: ext, config: cfg(over), now: NOW, seconds: 7200 }))).toEqual(codes);
  });

  it("names the limit that binds", () => {
    expect(chainCap(cfg({ entryMax: "3h", accountMax: "2h", total: "12h" }), original())).toEqual({
      seconds: 7200,
      field: "aws.accounts.prod.max_duration",
      limit: "2h",
    });
  });

  it("whatever the steps and limits, the chain ends within the smallest of them", () => {
    const hours = fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 900, max: 6 * 3600 }), { maxLength: 8 }), hours, hours, hours, (steps, entryH, accountH, totalH) => {
        const config = cfg({
          ...(entryH ? { entryMax: `${entryH}h` } : {}),
          ...(accountH ? { accountMax: `${accountH}h` } : {}),
          ...(totalH ? { total: `${totalH}h` } : {}),
        });
        let grant = original();
        let extended = false;
        for (const [i, seconds] of steps.entries()) {
          const extension = extensionRequest(grant, cmd(seconds), i + 1);
          if (extensionProblems({ original: grant, extension, config, now: NOW, seconds }).length) continue;
          const next = recordExtended(grant, {
            id: extension.id,
            approved_by: ["carol"],
            merge_commit: "e".repeat(40),
            at: NOW.toISOString(),
            previous_expires_at: grant.grant!.expires_at,
            expires_at: extendedExpiry(grant, seconds)!,
          });
          if (next.ok) [grant, extended] = [next.value, true];
        }
        const total = (Date.parse(grant.grant!.expires_at) - Date.parse(grant.grant!.granted_at)) / 1000;
        const limit = Math.min(...[entryH, accountH, totalH ?? 24].filter((h): h is number => h !== undefined).map((h) => h * 3600));
        if (extended) expect(total).toBeLessThanOrEqual(limit);
      }),
    );
  });
});

describe("a record stays readable whoever approved its extension", () => {
  // An unreadable record is a grant that /extend, /revoke and the sweep can no longer act on.
  const config = cfg();
  const readsWith = (approvedBy: string[], where: "grant" | "extension") => {
    const base = original();
    const grant = where === "grant" ? { ...base, grant: { ...base.grant!, approved_by: approvedBy } } : base;
    const next = recordExtended(grant, {
      id: "7-reports-ext-1",
      approved_by: where === "extension" ? approvedBy : ["carol"],
      merge_commit: "e".repeat(40),
      at: NOW.toISOString(),
      previous_expires_at: base.grant!.expires_at,
      expires_at: "2026-11-27T10:30:00Z",
    });
    if (!next.ok) throw new Error(JSON.stringify(next.problems));
    return parseRequestFile(dumpRequest(next.value, "test"), { file: "access-requests/prod/2026/7-reports.yaml", config }).ok;
  };
  it.each([[["carol"]], [["rule:prod-read"]], [["alice"]], [["carol", "dave"]]])("extension approved by %j", (approvedBy) => {
    expect(readsWith(approvedBy, "extension")).toBe(true);
  });
  it("every approver a grant's record accepts, an extension's accepts too", () => {
    const who = fc.oneof(
      fc.stringMatching(/^[a-z0-9]{1,20}(-[a-z0-9]{1,10})?$/),
      fc.stringMatching(/^rule:[a-z0-9][a-z0-9-]{0,62}$/),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(who, { minLength: 1, maxLength: 3 }), (approvedBy) => {
        expect(readsWith(approvedBy, "extension")).toBe(readsWith(approvedBy, "grant"));
      }),
    );
  });
});

describe("a self-approved extension is judged on the whole grant", () => {
  const config = cfg();
  const ext = extensionRequest(original(), cmd(3600), 1);
  const extPath = "access-requests/prod/2026/7-reports-ext-1.yaml";
  const repo = (files: Record<string, string>) =>
    ({ read: async (path: string) => (files[path] !== undefined ? { path, text: files[path], sha: "s" } : undefined) }) as unknown as AccessRepo;
  const at = "access-requests/prod/2026/7-reports.yaml";
  it.each<[string, Record<string, string>, number]>([
    // granted 08:30, ends 09:30; +1h → 10:30: 2h in all.
    ["the original found", { [at]: dumpRequest(original(), "t") }, 7200],
    ["the original in last year's folder", { "access-requests/prod/2025/7-reports.yaml": dumpRequest(original(), "t") }, 7200],
    ["no original", {}, Number.POSITIVE_INFINITY],
    ["an unreadable original", { [at]: "version: 1\nid: [" }, Number.POSITIVE_INFINITY],
    ["an original never granted", { [at]: dumpRequest({ ...original(), status: undefined, grant: undefined }, "t") }, Number.POSITIVE_INFINITY],
  ])("%s", async (_name, files, seconds) => {
    expect(await extensionChainSeconds(repo(files), extPath, ext, config, NOW)).toBe(seconds);
  });
});

describe("who may open an extension pull request", () => {
  const APP = "jit-access[bot]";
  it.each<[string, { login: string; type: string } | null, string | undefined, boolean]>([
    ["the requester", { login: "alice", type: "User" }, APP, true],
    ["the requester, other case", { login: "Alice", type: "User" }, APP, true],
    ["jit-access itself", { login: "jit-access[bot]", type: "Bot" }, APP, true],
    ["another app", { login: "ci-helper[bot]", type: "Bot" }, APP, false],
    ["a bot when the app's login is unknown", { login: "jit-access[bot]", type: "Bot" }, undefined, false],
    ["a bot named like the requester", { login: "alice", type: "Bot" }, APP, false],
    ["an approver", { login: "bob", type: "User" }, APP, false],
    ["an organization", { login: "alice", type: "Organization" }, APP, false],
    ["nobody", null, APP, false],
  ])("%s", (_name, author, appLogin, allowed) => {
    expect(mayAskExtension(author, "alice", appLogin)).toBe(allowed);
  });
});

describe("an auto_approve rule's catalogue condition sees the request's entry", () => {
  const rules = [{ name: "reports", risk: ["low" as const], catalogue: ["reports-read"] }];
  const repo = { teamMembership: async () => undefined, commitsSince: async () => [] };
  const head = (request: AccessRequest) => ({
    request,
    risk: "low" as const,
    account: { id: PROD, alias: "prod" },
    files: [{ path: "access-requests/prod/2026/7-reports.yaml" }],
    path: "access-requests/prod/2026/7-reports.yaml",
  });
  it.each<[string, AccessRequest, boolean]>([
    ["a request naming the entry", { ...original(), status: undefined, grant: undefined }, true],
    ["an extension of it", extensionRequest(original(), cmd(3600), 1), true],
    ["a request naming another entry", { ...original(), status: undefined, grant: undefined, catalogue: "other" }, false],
    ["a request naming none", { ...original(), status: undefined, grant: undefined, catalogue: undefined }, false],
  ])("%s", async (_name, request, matched) => {
    const facts = await autoFacts(repo, cfg(), head(request), NOW);
    expect(matchAutoApproval(rules, facts).ok).toBe(matched);
  });
});
