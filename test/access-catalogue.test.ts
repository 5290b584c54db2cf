// The access catalogue and per-account limits: config checks, what an entry grants, the request
// rules (entry, account, items, durations), eligibility, and the approvers an entry sets.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  approvalConfigFor,
  catalogueProblems,
  catalogueRequestProblems,
  catalogueTeams,
  eligibilityRules,
  eligibilityTeams,
  bundleOf,
  entryItems,
  ineligibility,
  planConfigFor,
  riskFor,
} from "../src/domain/access-catalogue.js";
import { configFromObject, resolveAccount } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { parseRequestFile } from "../src/domain/request.js";
import type { AccessRequest, Config } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { validateRequestFile } from "../src/policy/pipeline.js";

const PROD = "111122223333";
const STAGING = "444455556666";

function cfg(extra: Record<string, unknown> = {}, aws: Record<string, unknown> = {}): Config {
  const r = configFromObject({
    aws: { accounts: { prod: { id: PROD, max_duration: "4h", eligible: ["alice", "bob", "@acme/ops"] }, staging: STAGING }, ...aws },
    approvers: ["carol", "dave"],
    catalogue: {
      "dba-role": {
        kind: "role",
        description: "the DBA role for migrations",
        accounts: ["prod", "staging"],
        role: "ops/dba",
        max_duration: "2h",
        approvers: ["@acme/dba-leads"],
        required_approvals: 1,
        eligible: ["alice", "@acme/dba"],
      },
      "reports-read": {
        kind: "template",
        description: "read the reports bucket",
        accounts: ["staging"],
        request: [{ service: "s3", access: ["read"], resources: ["arn:{partition}:s3:::reports-{account_id}/{requester}/*"] }],
        risk: "low",
      },
    },
    ...extra,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function req(over: Partial<AccessRequest> = {}): AccessRequest {
  return {
    version: 1,
    id: "7-dba",
    requester: "alice",
    account: "prod",
    duration: "1h",
    reason: "tonight's migration",
    request: [{ service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${PROD}:role/ops/dba`] }],
    catalogue: "dba-role",
    ...over,
  };
}

const parse = (config: Config, r: AccessRequest) => {
  const out = parseRequestFile(dumpRequest(r), { file: `access-requests/${r.account}/2026/${r.id}.yaml`, config });
  return out.ok ? [] : codesOf(out.problems);
};

describe("catalogue config checks (validate/doctor; they block nothing else)", () => {
  it("a sound catalogue has no problems", () => {
    expect(catalogueProblems(cfg())).toEqual([]);
  });

  it.each([
    ["an entry for an account that is not listed", { accounts: ["prod", "dev"] }, "config.catalogue-unknown-account", "catalogue.dba-role.accounts[1]"],
    ["a role entry without role", { role: undefined }, "config.catalogue-kind-field", "catalogue.dba-role.role"],
    [
      "a role entry with another kind's field",
      { policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" },
      "config.catalogue-kind-field",
      "catalogue.dba-role.policy_arn",
    ],
    [
      "a permission set in iam mode",
      { kind: "permission_set", role: undefined, permission_set: "ReadOnly" },
      "config.catalogue-mode",
      "catalogue.dba-role.kind",
    ],
    ["a bad max_duration", { max_duration: "2h2h" }, "config.duration-invalid", "catalogue.dba-role.max_duration"],
  ])("%s → %s at %s; the config still loads", (_name, change, code, path) => {
    const base = cfg();
    const entry = { ...base.catalogue["dba-role"]!, ...change } as Record<string, unknown>;
    for (const k of Object.keys(entry)) if (entry[k] === undefined) delete entry[k];
    const loaded = configFromObject({
      aws: { accounts: { prod: PROD, staging: STAGING } },
      catalogue: { "dba-role": entry, "reports-read": base.catalogue["reports-read"] },
    });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const problems = catalogueProblems(loaded.value);
    expect(problems.map((p) => [p.code, p.path])).toContainEqual([code, path]);
    // Only the broken entry's requests are refused; the other entry still works.
    expect(
      parse(
        loaded.value,
        req({
          id: "8-x",
          account: "staging",
          catalogue: "dba-role",
          request: [{ service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${STAGING}:role/ops/dba`] }],
        }),
      ),
    ).toEqual(["request.catalogue-entry-invalid"]);
    const reports = entryItems(loaded.value, "reports-read", resolveAccount(loaded.value, "staging")!, "alice");
    expect(reports.ok && parse(loaded.value, req({ id: "9-r", account: "staging", catalogue: "reports-read", request: reports.value }))).toEqual([]);
  });

  it("a template placeholder that does not exist is named", () => {
    const c = cfg();
    c.catalogue["reports-read"]!.request![0]!.resources = ["arn:aws:s3:::{bucket}"];
    expect(codesOf(catalogueProblems(c))).toEqual(["config.catalogue-placeholder"]);
  });

  it("the teams of eligibility and entry approvers are listed for doctor", () => {
    expect(catalogueTeams(cfg())).toEqual(["@acme/dba", "@acme/dba-leads", "@acme/ops"]);
  });
});

describe("what an entry grants", () => {
  it("a role is sts:AssumeRole on that role in the request's account, nothing else", () => {
    const c = cfg();
    expect(entryItems(c, "dba-role", resolveAccount(c, "staging")!, "alice")).toEqual({
      ok: true,
      value: [{ service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${STAGING}:role/ops/dba`] }],
    });
  });

  it("a template fills in account, partition and requester", () => {
    const c = cfg();
    const r = entryItems(c, "reports-read", resolveAccount(c, "staging")!, "Alice");
    expect(r.ok && r.value[0]?.resources).toEqual([`arn:aws:s3:::reports-${STAGING}/alice/*`]);
  });

  it("permission sets and managed policies have no items: they are granted as they are, never through the generator", () => {
    const r = configFromObject({
      aws: { accounts: { prod: PROD }, scheduler_role_arn: `arn:aws:iam::${PROD}:role/jit-access-scheduler` },
      catalogue: { ro: { kind: "managed_policy", description: "read only", accounts: ["prod"], policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" } },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const items = entryItems(r.value, "ro", resolveAccount(r.value, "prod")!, "alice");
    expect(items).toEqual({ ok: true, value: [] });
    expect(bundleOf(r.value, { catalogue: "ro" })).toEqual({ kind: "managed_policy", entry: "ro", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" });
    expect(catalogueProblems(r.value)).toEqual([]);
  });
});

describe("a request that picks an entry", () => {
  it("passes when it asks for exactly what the entry grants, in one of its accounts, within its limits", () => {
    expect(parse(cfg(), req())).toEqual([]);
  });

  it.each([
    ["an unknown entry", { catalogue: "nope" }, "request.catalogue-unknown"],
    ["an account the entry does not cover", { catalogue: "reports-read" }, "request.catalogue-account"],
    [
      "more than the entry grants",
      { request: [{ service: "sts", actions: ["sts:AssumeRole"], resources: [`arn:aws:iam::${PROD}:role/admin`] }] },
      "request.catalogue-items",
    ],
    ["longer than the entry's max_duration", { duration: "3h" }, "request.duration-too-long"],
  ] as const)("%s → %s", (_n, over, code) => {
    const r = req(over as Partial<AccessRequest>);
    expect(parse(cfg(), r)).toContain(code);
  });

  it("per-account max_duration applies to generated requests too", () => {
    const r = req({ catalogue: undefined, request: [{ service: "s3", access: ["read"], resources: ["reports"] }], duration: "5h" });
    delete r.catalogue;
    expect(parse(cfg(), r)).toEqual(["request.duration-too-long"]);
    expect(parse(cfg(), { ...r, duration: "4h" })).toEqual([]);
  });

  it("the shortest of the global, account and entry limits holds (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 15, max: 24 * 60 }), fc.integer({ min: 15, max: 24 * 60 }), fc.integer({ min: 15, max: 24 * 60 }), (acct, entry, asked) => {
        const c = cfg();
        (c.aws.accounts.prod as { max_duration?: string }).max_duration = `${acct}m`;
        c.catalogue["dba-role"]!.max_duration = `${entry}m`;
        const problems = catalogueRequestProblems(c, req({ duration: `${asked}m` }), resolveAccount(c, "prod"), asked * 60);
        const tooLong = problems.some((p) => p.code === "request.duration-too-long");
        expect(tooLong).toBe(asked > Math.min(acct, entry));
      }),
      { numRuns: 200 },
    );
  });

  it("the policy pipeline allows the entry's own services and grants the role's assume only", () => {
    const c = cfg();
    expect(c.allowed_services).not.toContain("sts");
    const v = validateRequestFile(loadCatalogue(), dumpRequest(req()), {
      file: "access-requests/prod/2026/7-dba.yaml",
      config: c,
      now: new Date("2026-12-01T10:00:00Z"),
    });
    expect(v.problems).toEqual([]);
    expect(v.ok).toBe(true);
    const actions = v.plan!.policy.Statement.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(["sts:AssumeRole"]);
    expect(v.plan!.policy.Statement.flatMap((s) => [s.Resource].flat())).toEqual([`arn:aws:iam::${PROD}:role/ops/dba`]);
    // A request without the entry does not get sts.
    expect(planConfigFor(c, { request: req().request }).allowed_services).not.toContain("sts");
  });
});

describe("eligibility", () => {
  const c = cfg();
  const rules = eligibilityRules(c, { account: "prod", catalogue: "dba-role" });

  it("the account's and the entry's rules both apply", () => {
    expect(rules.map((r) => r.source)).toEqual(["aws.accounts.prod.eligible", "catalogue.dba-role.eligible"]);
    expect(eligibilityTeams(rules)).toEqual(["@acme/dba", "@acme/ops"]);
  });

  it.each([
    ["alice is named in both", "alice", {}, 0],
    ["ALICE: logins compare case-insensitively", "ALICE", {}, 0],
    ["bob is eligible for the account but not the entry", "bob", {}, 1],
    ["erin is in neither", "erin", {}, 2],
    ["erin, an active member of both teams", "erin", { "@acme/dba": "active", "@acme/ops": "active" }, 0],
    ["erin, a pending member of one team", "erin", { "@acme/dba": "pending", "@acme/ops": "active" }, 1],
    ["a look-alike login never matches", "аlice", {}, 2],
  ] as const)("%s", (_n, login, teams, n) => {
    const problems = ineligibility(rules, login, teams);
    expect(problems.length).toBe(n);
    expect(problems.every((p) => p.code === "approval.not-eligible")).toBe(true);
  });

  it("no rules: everyone is eligible", () => {
    expect(eligibilityRules(c, { account: "staging" })).toEqual([]);
  });

  it("an eligible set never admits anyone outside it (property)", () => {
    const login = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
    fc.assert(
      fc.property(fc.uniqueArray(login, { minLength: 1, maxLength: 5 }), login, (allowed, who) => {
        const failed = ineligibility([{ source: "x", allowed }], who, {}).length > 0;
        expect(failed).toBe(!allowed.includes(who));
      }),
    );
  });
});

describe("approvers and risk of an entry", () => {
  it("the entry's approvers and count replace the global ones for its requests only", () => {
    const c = cfg();
    expect(approvalConfigFor(c, { catalogue: "dba-role" })).toEqual({ approvers: ["@acme/dba-leads"], required_approvals: { low: 1, medium: 1, high: 1 } });
    expect(approvalConfigFor(c, {})).toEqual({ approvers: ["carol", "dave"], required_approvals: c.required_approvals });
    expect(approvalConfigFor(c, { catalogue: "reports-read" }).approvers).toEqual(["carol", "dave"]);
  });

  it("an entry's risk overrides the derived tier; otherwise the derived tier stands", () => {
    const c = cfg();
    expect(riskFor(c, { catalogue: "reports-read" }, "high")).toBe("low");
    expect(riskFor(c, { catalogue: "dba-role" }, "high")).toBe("high");
    // A role's own permissions are not in its policy: without an entry risk it is high, whatever sts:AssumeRole scores.
    expect(riskFor(c, { catalogue: "dba-role" }, "low")).toBe("high");
    c.catalogue["dba-role"]!.risk = "medium";
    expect(riskFor(c, { catalogue: "dba-role" }, "low")).toBe("medium");
    expect(riskFor(c, {}, "low")).toBe("low");
  });
});

describe("request files keep every field when written", () => {
  it("every property of the request schema survives dumpRequest (the catalogue field included)", async () => {
    const { requestSchema } = await import("../src/domain/schema.js");
    const { loadYamlMapping } = await import("../src/domain/yaml.js");
    const keys = Object.keys((requestSchema as { properties: Record<string, unknown> }).properties);
    const full = Object.fromEntries(keys.map((k) => [k, `value-${k}`])) as unknown as AccessRequest;
    const back = loadYamlMapping(dumpRequest(full), "request file");
    expect(back.ok && Object.keys(back.value).sort()).toEqual([...keys].sort());
  });
});

describe("extensions of catalogue and limited-account grants", () => {
  const base = () => {
    const r = configFromObject({
      aws: { accounts: { prod: { id: PROD, max_duration: "10h" } } },
      principals: { alice: { iam_user: "alice" } },
      catalogue: { "dba-role": { kind: "role", description: "dba role", accounts: ["prod"], role: "ops/dba", max_duration: "9h" } },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value;
  };
  const granted = (over: Partial<AccessRequest> = {}): AccessRequest => ({
    ...req({ id: "7-dba", duration: "8h" }),
    status: "active",
    grant: { approved_by: ["bob"], merge_commit: "d".repeat(40), granted_at: "2026-11-27T08:00:00Z", expires_at: "2026-11-27T16:00:00Z" },
    ...over,
  });
  const NOW = new Date("2026-11-27T12:00:00Z");

  it("the extension names the same entry (so the entry's approvers and services apply to it)", async () => {
    const { extensionRequest } = await import("../src/domain/extension.js");
    expect(extensionRequest(granted(), { duration: "30m", seconds: 1800, reason: "more" }, 1).catalogue).toBe("dba-role");
  });

  it.each([
    ["within the entry's 9h", "dba-role", 3600, []],
    ["past the entry's 9h", "dba-role", 2 * 3600, ["merge.extension-too-long"]],
    ["a described request: past the account's 10h", undefined, 3 * 3600, ["merge.extension-too-long"]],
    ["a described request: within the account's 10h", undefined, 2 * 3600, []],
  ] as const)("%s", async (_n, catalogue, seconds, codes) => {
    const { extensionProblems, extensionRequest } = await import("../src/domain/extension.js");
    const original = granted(catalogue ? {} : { catalogue: undefined });
    if (!catalogue) delete original.catalogue;
    const extension = extensionRequest(original, { duration: `${seconds}s`, seconds, reason: "more" }, 1);
    expect(codesOf(extensionProblems({ original, extension, config: base(), now: NOW, seconds }))).toEqual(codes);
  });

  it("an extension that names another entry changes the scope", async () => {
    const { extensionProblems, extensionRequest } = await import("../src/domain/extension.js");
    const original = granted();
    const extension = { ...extensionRequest(original, { duration: "30m", seconds: 1800, reason: "more" }, 1), catalogue: "other" };
    expect(codesOf(extensionProblems({ original, extension, config: base(), now: NOW, seconds: 1800 }))).toContain("merge.extension-scope-changed");
  });

  it("no chain of extensions outlasts the narrowest limit (property)", async () => {
    const { extensionProblems, extensionRequest, extendedExpiry } = await import("../src/domain/extension.js");
    fc.assert(
      fc.property(fc.integer({ min: 900, max: 6 * 3600 }), fc.constantFrom<string | undefined>("dba-role", undefined), (seconds, catalogue) => {
        const original = granted();
        if (!catalogue) delete original.catalogue;
        const extension = extensionRequest(original, { duration: `${seconds}s`, seconds, reason: "more" }, 1);
        const ok = extensionProblems({ original, extension, config: base(), now: NOW, seconds }).length === 0;
        const total = (Date.parse(extendedExpiry(original, seconds)!) - Date.parse(original.grant!.granted_at)) / 1000;
        expect(ok).toBe(total <= (catalogue ? 9 : 10) * 3600);
      }),
      { numRuns: 100 },
    );
  });
});
