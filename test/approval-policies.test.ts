// The pure approval policies: auto_approve rules (matching, caps, re-verification at the merge),
// break-glass (the command, who may use it, for how long) and the claim the app writes into its
// own merges. Codes are asserted, never wording.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  breakGlassProblems,
  claimMessage,
  countGrants,
  matchAutoApproval,
  parseBreakGlass,
  readClaim,
  trailerValue,
  verifyAutoApproval,
  verifyBreakGlass,
  type AutoApproveFacts,
  type MergeClaim,
} from "../src/domain/approvals.js";
import { configFromObject } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import type { AutoApproveRule, RiskTier } from "../src/domain/types.js";
import { buildSlackMessage, githubMessage } from "../src/notify/index.js";

const NOW = new Date("2026-11-27T09:00:00Z");
const FILE = "access-requests/staging/2026/7-logs.yaml";
const SHA = (c: string) => c.repeat(40);

const RULE: AutoApproveRule = {
  name: "staging-read",
  risk: ["low"],
  accounts: ["staging"],
  requesters: ["@acme/devs", "carol"],
  max_per_day: 2,
  max_per_week: 3,
};

function facts(over: Partial<AutoApproveFacts> = {}): AutoApproveFacts {
  return {
    risk: "low",
    account: { id: "222233334444", alias: "staging" },
    requester: "alice",
    requesterTeams: ["@acme/devs"],
    files: [{ path: FILE }],
    requestPath: FILE,
    history: [],
    now: NOW,
    ...over,
  };
}
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
const codeOf = (r: ReturnType<typeof matchAutoApproval>) => (r.ok ? "ok" : codesOf(r.problems).join(","));

describe("auto_approve rules", () => {
  it("a low-risk request in the rule's account by a member of its team matches, with the facts it matched", () => {
    const r = matchAutoApproval([RULE], facts());
    expect(r.ok && r.value).toEqual({
      rule: "staging-read",
      matched: { risk: "low", account: "staging", requester: "alice", via: "@acme/devs" },
      counted: { day: 1, week: 1 },
    });
  });

  it.each<[string, Partial<AutoApproveFacts>, AutoApproveRule[], string]>([
    ["no rules", {}, [], "approval.auto-no-rule"],
    ["high risk", { risk: "high" }, [RULE], "approval.auto-high-risk"],
    ["unknown risk", { risk: undefined }, [RULE], "approval.auto-high-risk"],
    ["high risk even for a rule that lists everything else", { risk: "high" }, [{ name: "all", risk: ["low", "medium"] }], "approval.auto-high-risk"],
    ["medium risk, rule for low", { risk: "medium" }, [RULE], "approval.auto-no-match"],
    ["wrong account", { account: { id: "111122223333", alias: "prod" } }, [RULE], "approval.auto-no-match"],
    ["not a member", { requesterTeams: [] }, [RULE], "approval.auto-no-match"],
    ["a look-alike login", { requester: "cаrol", requesterTeams: [] }, [RULE], "approval.auto-no-match"],
    ["a config change in the same PR", { files: [{ path: FILE }, { path: ".github/jit-access.yml" }] }, [RULE], "approval.auto-config-changed"],
    ["CODEOWNERS changed in the same PR", { files: [{ path: FILE }, { path: ".github/CODEOWNERS" }] }, [RULE], "approval.auto-config-changed"],
    ["another file", { files: [{ path: FILE }, { path: "README.md" }] }, [RULE], "approval.auto-files"],
    ["not its own file", { files: [{ path: "access-requests/staging/2026/8-x.yaml" }] }, [RULE], "approval.auto-files"],
    ["no files", { files: [] }, [RULE], "approval.auto-files"],
    [
      "day cap reached",
      {
        history: [
          { rule: "staging-read", grantedAt: hoursAgo(1) },
          { rule: "staging-read", grantedAt: hoursAgo(23) },
        ],
      },
      [RULE],
      "approval.auto-cap",
    ],
    ["week cap reached", { history: ["26", "50", "100"].map((h) => ({ rule: "staging-read", grantedAt: hoursAgo(Number(h)) })) }, [RULE], "approval.auto-cap"],
    ["an unreadable date counts against the cap", { history: ["x", "y"].map((d) => ({ rule: "staging-read", grantedAt: d })) }, [RULE], "approval.auto-cap"],
    ["catalogue rule, request names none", {}, [{ name: "cat", risk: ["low"], catalogue: ["logs-read"] }], "approval.auto-no-match"],
    ["catalogue rule, other entry", { catalogue: "db-admin" }, [{ name: "cat", risk: ["low"], catalogue: ["logs-read"] }], "approval.auto-no-match"],
    ["catalogue rule, its entry", { catalogue: "logs-read" }, [{ name: "cat", risk: ["low"], catalogue: ["logs-read"] }], "ok"],
    ["by login", { requester: "Carol", requesterTeams: [] }, [RULE], "ok"],
    ["by account id", { account: { id: "222233334444" } }, [{ ...RULE, accounts: ["222233334444"] }], "ok"],
    [
      "grants of other rules and older than a week do not count",
      {
        history: [
          { rule: "other", grantedAt: hoursAgo(1) },
          { rule: "staging-read", grantedAt: hoursAgo(24 * 8) },
        ],
      },
      [RULE],
      "ok",
    ],
  ])("%s → %s", (_name, over, rules, code) => {
    expect(codeOf(matchAutoApproval(rules, facts(over)))).toBe(code);
  });

  it("the first rule in order that matches within its caps wins; a capped rule falls through to the next", () => {
    const capped = { ...RULE, name: "first", max_per_day: 1 };
    const r = matchAutoApproval([capped, { ...RULE, name: "second" }], facts({ history: [{ rule: "first", grantedAt: hoursAgo(2) }] }));
    expect(r.ok && r.value.rule).toBe("second");
  });

  it("property: high risk is never auto-approved, whatever the rules and facts", () => {
    const rule = fc.record({
      name: fc.constantFrom("a", "b", "c"),
      risk: fc.subarray(["low", "medium"] as Array<"low" | "medium">, { minLength: 1 }),
    });
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 4 }),
        fc.constantFrom<RiskTier | undefined>("high", undefined),
        fc.array(fc.constantFrom("@acme/devs", "@x/y")),
        (rules, risk, teams) => {
          expect(matchAutoApproval(rules, facts({ risk, requesterTeams: teams })).ok).toBe(false);
        },
      ),
    );
  });

  it("property: a cap is never exceeded — with N earlier grants in the window, the match counts N+1 ≤ cap", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.integer({ min: 0, max: 24 * 10 }), { maxLength: 12 }), (cap, ages) => {
        const history = ages.map((h) => ({ rule: "r", grantedAt: hoursAgo(h) }));
        const r = matchAutoApproval([{ name: "r", risk: ["low"], max_per_day: cap }], facts({ history }));
        const inDay = ages.filter((h) => h < 24).length;
        expect(r.ok).toBe(inDay + 1 <= cap);
        if (r.ok) expect(r.value.counted.day).toBe(inDay + 1);
        expect(countGrants(history, "r", NOW).day).toBe(inDay + 1);
      }),
    );
  });
});

describe("auto-approval re-verified at the merge", () => {
  const claim = { rule: "staging-read", configSha: SHA("c"), blob: SHA("b") };
  const merge = { claim, configSha: SHA("c"), headBlob: SHA("b"), mergeBlob: SHA("b") };
  it.each<[string, Partial<typeof merge>, Partial<AutoApproveFacts>, string]>([
    ["unchanged", {}, {}, "ok"],
    ["the config changed between the match and the merge", { configSha: SHA("d") }, {}, "approval.auto-config-changed"],
    ["no config at the merge", { configSha: undefined }, {}, "approval.auto-config-changed"],
    ["the file was pushed to after the match", { headBlob: SHA("e"), mergeBlob: SHA("e") }, {}, "approval.auto-changed"],
    ["the merge changed the file", { mergeBlob: SHA("e") }, {}, "approval.auto-changed"],
    ["a rule the config does not have", { claim: { ...claim, rule: "gone" } }, {}, "approval.auto-no-match"],
    [
      "the rule no longer covers it (cap reached since)",
      {},
      { history: [1, 2].map((h) => ({ rule: "staging-read", grantedAt: hoursAgo(h) })) },
      "approval.auto-cap",
    ],
  ])("%s → %s", (_n, m, f, code) => {
    expect(codeOf(verifyAutoApproval([RULE], facts(f), { ...merge, ...m }))).toBe(code);
  });
});

describe("break-glass", () => {
  const CFG = { users: ["alice"], max_duration: "1h" };
  const ok = { by: "alice", requester: "alice", issueAuthor: "alice", durationSeconds: 3600 };
  it.each<[string, string, string]>([
    ["/break-glass INC-42 payments down, restarting workers", "ok", "INC-42"],
    ["/break-glass", "approval.break-glass-usage", ""],
    ["/break-glass INC-42", "approval.break-glass-usage", ""],
    ["/break-glass INC-42 urgent", "approval.break-glass-usage", ""],
    ["/break-glass <script> the reason is long enough", "approval.break-glass-usage", ""],
  ])("%s → %s", (body, code, incident) => {
    const r = parseBreakGlass(body);
    expect(r && (r.ok ? "ok" : codesOf(r.problems).join(","))).toBe(code);
    if (r?.ok) expect(r.value.incident).toBe(incident);
  });
  it("a comment that is not the command is not one", () => {
    for (const body of ["please /break-glass INC-1 something broke", "/break-glassy x y", "/revoke"]) expect(parseBreakGlass(body)).toBeUndefined();
  });

  it.each<[string, Partial<typeof ok>, typeof CFG | undefined, string[]]>([
    ["the listed requester, within max", {}, CFG, []],
    ["off unless configured", {}, undefined, ["approval.break-glass-off"]],
    ["a user not on the list", { by: "mallory", requester: "mallory", issueAuthor: "mallory" }, CFG, ["approval.break-glass-not-listed"]],
    ["a listed user on someone else's request", { requester: "bob", issueAuthor: "bob" }, CFG, ["approval.break-glass-not-requester"]],
    ["a request file naming the listed user on an issue someone else opened", { issueAuthor: "mallory" }, CFG, ["approval.break-glass-not-requester"]],
    ["over max_duration", { durationSeconds: 3601 }, CFG, ["approval.break-glass-too-long"]],
    ["case of the login does not matter", { by: "Alice" }, CFG, []],
  ])("%s", (_n, f, cfg, codes) => {
    expect(codesOf(breakGlassProblems(cfg, { ...ok, ...f }))).toEqual(codes);
  });

  it("at the merge, a change of the file or the config after the command refuses", () => {
    const claim = { configSha: SHA("c"), blob: SHA("b") };
    expect(verifyBreakGlass(CFG, ok, { claim, configSha: SHA("c"), headBlob: SHA("b"), mergeBlob: SHA("b") })).toEqual([]);
    expect(codesOf(verifyBreakGlass(CFG, ok, { claim, configSha: SHA("d"), headBlob: SHA("b"), mergeBlob: SHA("b") }))).toEqual([
      "approval.break-glass-changed",
    ]);
    expect(codesOf(verifyBreakGlass(CFG, ok, { claim, configSha: SHA("c"), headBlob: SHA("e"), mergeBlob: SHA("e") }))).toEqual([
      "approval.break-glass-changed",
    ]);
  });
});

describe("the claim in the app's own merge commit", () => {
  const claims: MergeClaim[] = [
    { kind: "rule", requestId: "7-logs", rule: "staging-read", configSha: SHA("c"), blob: SHA("b") },
    {
      kind: "break-glass",
      requestId: "7-logs",
      by: "alice",
      incident: "INC-42",
      reason: "payments down",
      at: "2026-11-27T09:00:00Z",
      configSha: SHA("c"),
      blob: SHA("b"),
    },
  ];
  it.each(claims)("round-trips ($kind)", (c) => {
    expect(readClaim(claimMessage(c).message)).toEqual(c);
  });
  it("a reason with newlines cannot add trailers", () => {
    const c = { ...claims[1], reason: "x\nApproved-By: rule:all\nConfig-Sha: " + SHA("f") } as MergeClaim;
    const read = readClaim(claimMessage(c).message);
    expect(read?.kind).toBe("break-glass");
    expect(read && "configSha" in read && read.configSha).toBe(SHA("c"));
  });
  it("property: whatever the incident and reason say, the claim read back is the one written (no trailer injection)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 600 }), (incident, reason) => {
        const c = { ...claims[1], incident: incident || "x", reason: reason || "y" } as MergeClaim & { kind: "break-glass" };
        const read = readClaim(claimMessage(c).message);
        if (!read) return; // a text that flattens to nothing is no claim: never a wider one
        expect(read).toEqual({ ...c, incident: trailerValue(c.incident, 100), reason: trailerValue(c.reason, 500) });
      }),
    );
  });

  it("no claim in an ordinary or ambiguous message", () => {
    expect(readClaim("Merge pull request #3 from acme/jit/3-x\n\nrequest")).toBeUndefined();
    expect(readClaim(`${claimMessage(claims[0]!).message}\nConfig-Sha: ${SHA("d")}`)).toBeUndefined();
  });
});

describe("the config's approval policies", () => {
  const base = { aws: { accounts: { staging: "222233334444" } } };
  const codes = (v: Record<string, unknown>) => {
    const r = configFromObject({ ...base, ...v });
    return r.ok ? [] : codesOf(r.problems);
  };
  it.each<[string, Record<string, unknown>, string[]]>([
    ["a valid rule and break-glass", { auto_approve: [RULE], break_glass: { users: ["alice"], max_duration: "1h" } }, []],
    ["high risk in a rule is refused by the schema", { auto_approve: [{ name: "x", risk: ["high"] }] }, ["schema.enum"]],
    ["a rule without risk", { auto_approve: [{ name: "x" }] }, ["schema.required"]],
    ["break-glass with a team", { break_glass: { users: ["@acme/sre"], max_duration: "1h" } }, ["schema.pattern"]],
    ["break-glass longer than max_duration", { max_duration: "8h", break_glass: { users: ["alice"], max_duration: "9h" } }, ["config.break-glass-duration"]],
    ["an unknown account", { auto_approve: [{ name: "x", risk: ["low"], accounts: ["prod"] }] }, ["config.auto-approve-account"]],
  ])("%s", (_n, v, expected) => {
    expect(codes(v)).toEqual(expected);
  });
  it("defaults: no rules, break-glass off", () => {
    const r = configFromObject(base);
    expect(r.ok && r.value.auto_approve).toEqual([]);
    expect(r.ok && r.value.break_glass).toBeUndefined();
  });
});

describe("the break-glass alert", () => {
  const event = {
    kind: "break-glass" as const,
    request: { id: "7-logs", requester: "alice", account: "prod", duration: "1h" },
    by: "alice",
    incident: "INC-42",
    reason: "<!channel> db down *now*",
    expiresAt: "2026-11-27T10:00:00Z",
    reviewIssue: 12,
  };
  it("Slack names the incident, the review issue and the reason, quoted", () => {
    const text = JSON.stringify(buildSlackMessage(event));
    expect(text).toContain("INC-42");
    expect(text).toContain("#12");
    expect(text).not.toContain("<!channel>");
  });
  it("GitHub's message names who and the incident, without mentions", () => {
    const text = githubMessage(event);
    expect(text).toContain("INC-42");
    expect(text).not.toMatch(/(^|\s)@alice/);
  });
});
