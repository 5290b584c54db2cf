// The one permission set of a request in several accounts (identity-center mode): its policy,
// read in any one account, allows exactly that account's own policy — no statement of another
// account applies there, and none is lost.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AccountGateError, accountGatedPolicy, PRINCIPAL_ACCOUNT_KEY } from "../src/policy/account-gate.js";
import type { AccessRequest, PolicyDocument, Statement } from "../src/domain/types.js";
import { parseConfig } from "../src/domain/config.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";

const A = "111111111111";
const B = "222222222222";
const C = "333333333333";
const doc = (...Statement: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
const queue = (account: string): Statement => ({
  Sid: "Queue",
  Effect: "Allow",
  Action: "sqs:ReceiveMessage",
  Resource: `arn:aws:sqs:us-east-1:${account}:jobs`,
});
const bucket: Statement = { Sid: "Bucket", Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*" };

/** What the policy allows and denies in `account`: the statements that apply there, gate and Sid suffix taken off. */
function inAccount(policy: PolicyDocument, account: string): string[] {
  const out = new Set<string>();
  for (const s of policy.Statement) {
    const gate = s.Condition?.StringEquals?.[PRINCIPAL_ACCOUNT_KEY];
    if (gate !== undefined && gate !== account) continue;
    if (gate === undefined) {
      out.add(JSON.stringify(s));
      continue;
    }
    const { [PRINCIPAL_ACCOUNT_KEY]: _gate, ...equals } = s.Condition?.StringEquals ?? {};
    const { StringEquals: _equals, ...rest } = s.Condition ?? {};
    const condition = Object.keys(equals).length ? { ...rest, StringEquals: equals } : rest;
    const { Condition: _c, Sid, ...plain } = s;
    const sid = Sid?.endsWith(account) ? Sid.slice(0, -account.length) : Sid;
    out.add(JSON.stringify({ ...(sid !== undefined ? { Sid: sid } : {}), ...plain, ...(Object.keys(condition).length ? { Condition: condition } : {}) }));
  }
  return [...out].sort();
}
const own = (policy: PolicyDocument) => [...new Set(policy.Statement.map((s) => JSON.stringify(s)))].sort();

describe("accountGatedPolicy (table)", () => {
  it.each<[string, Array<{ accountId: string; policy: PolicyDocument }>, number, number]>([
    ["one account: its policy as it is", [{ accountId: A, policy: doc(queue(A)) }], 1, 0],
    [
      "the same statements everywhere: kept once, ungated",
      [
        { accountId: A, policy: doc(bucket) },
        { accountId: B, policy: doc(bucket) },
      ],
      1,
      0,
    ],
    [
      "account ARNs: one gated statement per account",
      [
        { accountId: A, policy: doc(queue(A), bucket) },
        { accountId: B, policy: doc(queue(B), bucket) },
      ],
      3,
      2,
    ],
    [
      "three accounts, one with a statement of its own",
      [
        { accountId: A, policy: doc(bucket) },
        { accountId: B, policy: doc(bucket) },
        { accountId: C, policy: doc(bucket, queue(C)) },
      ],
      2,
      1,
    ],
  ])("%s", (_name, parts, statements, gated) => {
    const out = accountGatedPolicy(parts);
    expect(out.Statement).toHaveLength(statements);
    expect(out.Statement.filter((s) => s.Condition?.StringEquals?.[PRINCIPAL_ACCOUNT_KEY])).toHaveLength(gated);
    for (const p of parts) expect(inAccount(out, p.accountId), p.accountId).toEqual(own(p.policy));
  });

  it("a gated statement keeps its own StringEquals keys beside the gate, and its Sid gains the account", () => {
    const s: Statement = { ...queue(A), Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" }, Bool: { "aws:SecureTransport": "true" } } };
    const out = accountGatedPolicy([
      { accountId: A, policy: doc(s) },
      { accountId: B, policy: doc(queue(B)) },
    ]);
    expect(out.Statement[0]).toEqual({
      ...s,
      Sid: `Queue${A}`,
      Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1", [PRINCIPAL_ACCOUNT_KEY]: A }, Bool: { "aws:SecureTransport": "true" } },
    });
  });

  it.each(["StringEquals", "StringLike", "StringNotEquals", "ForAnyValue:StringEquals"])(
    "a statement that already conditions on aws:PrincipalAccount (%s, any case) is refused, naming it",
    (operator) => {
      const s: Statement = { ...queue(A), Condition: { [operator]: { "AWS:principalaccount": A } } };
      expect(() =>
        accountGatedPolicy([
          { accountId: A, policy: doc(s) },
          { accountId: B, policy: doc(queue(B)) },
        ]),
      ).toThrow(AccountGateError);
      expect(() =>
        accountGatedPolicy([
          { accountId: A, policy: doc(s) },
          { accountId: B, policy: doc(queue(B)) },
        ]),
      ).toThrow(/statement Queue already has/);
    },
  );
});

describe("accountGatedPolicy (property)", () => {
  const accountIds = fc.uniqueArray(fc.stringMatching(/^[1-9][0-9]{11}$/), { minLength: 1, maxLength: 4 });
  const statement = (account: string, sid: string | undefined) =>
    fc
      .record({
        Effect: fc.constantFrom("Allow" as const, "Deny" as const),
        Action: fc.constantFrom("s3:GetObject", "sqs:ReceiveMessage", ["ec2:Describe*", "ec2:StartInstances"]),
        local: fc.boolean(),
        region: fc.option(fc.constantFrom("us-east-1", "eu-west-1"), { nil: undefined }),
      })
      .map(({ Effect, Action, local, region }): Statement => ({
        ...(sid !== undefined ? { Sid: sid } : {}),
        Effect,
        Action,
        Resource: local ? `arn:aws:sqs:us-east-1:${account}:jobs` : "arn:aws:s3:::reports/*",
        ...(region ? { Condition: { StringEquals: { "aws:RequestedRegion": region } } } : {}),
      }));
  it("in every account the one policy allows and denies exactly that account's own policy", () => {
    fc.assert(
      fc.property(
        accountIds.chain((ids) =>
          fc.tuple(
            ...ids.map((id) =>
              fc
                .subarray(["One", "Two", "Three"], { minLength: 1 })
                .chain((sids) => fc.tuple(...sids.map((sid) => fc.boolean().chain((named) => statement(id, named ? sid : undefined)))))
                .map((Statement) => ({ accountId: id, policy: doc(...Statement) })),
            ),
          ),
        ),
        (parts) => {
          const out = accountGatedPolicy(parts);
          for (const p of parts) expect(inAccount(out, p.accountId)).toEqual(own(p.policy));
          const sids = out.Statement.flatMap((s) => (s.Sid ? [s.Sid] : []));
          expect(new Set(sids).size).toBe(sids.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("the pipeline measures the shared permission set before approval", () => {
  const ids = Array.from({ length: 10 }, (_, i) => `5555000000${10 + i}`);
  const config = (() => {
    const r = parseConfig(`aws:
  mode: identity-center
  region: us-east-1
  identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id: d-1111111111 }
  accounts:
${ids.map((id, i) => `    a${i}: "${id}"`).join("\n")}
principals:
  alice: { sso_user: alice }
`);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value;
  })();
  const verdict = (n: number) => {
    const queues = Array.from({ length: 24 }, (_, i) => `arn:aws:sqs:us-east-1:${ids[0]}:a-reasonably-long-queue-name-${i}`);
    const request: AccessRequest = {
      version: 1,
      id: "20-queues",
      requester: "alice",
      account: "a0",
      accounts: Array.from({ length: n }, (_, i) => `a${i}`),
      duration: "2h",
      reason: "Draining the queues in every account",
      request: [{ service: "sqs", access: ["read"], resources: queues }],
    };
    return planRequest(loadCatalogue(), { request, config, accountId: ids[0]!, now: new Date("2026-11-27T08:00:00Z"), durationSeconds: 7200 }).verdict;
  };
  it("two accounts fit; ten do not, and the error says the accounts share one permission set", () => {
    expect(verdict(2).errors.map((e) => e.code)).not.toContain("guardrail.policy-too-large");
    const ten = verdict(10).errors.filter((e) => e.code === "guardrail.policy-too-large");
    expect(ten.length).toBeGreaterThan(0);
    expect(ten[0]?.message).toMatch(/10 accounts share the request's one permission set/);
  });
});
