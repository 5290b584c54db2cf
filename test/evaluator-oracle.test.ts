// Differential test: our evaluator against @cloud-copilot/iam-simulate (AGPL; imported by tests
// only, never by src/). The oracle is fed ISO-8601 aws:CurrentTime in the request context: it
// ignores the key when absent and misreads epoch seconds as milliseconds.

import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { Simulation } from "@cloud-copilot/iam-simulate";
import type { Condition, PolicyDocument, Statement } from "../src/domain/types.js";
import { evaluate } from "../src/policy/evaluator.js";
import type { Decision } from "../src/policy/evaluator.js";

const ACCOUNT = "111122223333";
const S3 = "arn:aws:s3:::";
const DDB = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:`;

type Context = Record<string, string | string[]>;

/** The oracle's answer; "Unknown" when it refuses the policy as invalid (as IAM would). */
async function oracle(policy: PolicyDocument, action: string, resource: string, currentTime: string, context: Context = {}): Promise<Decision> {
  const simulation: Simulation = {
    identityPolicies: [{ name: "p", policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:user/u`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: { ...context, "aws:CurrentTime": currentTime },
    },
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === "error" && result.errors.message === "policy.errors") return "Unknown";
  if (result.resultType !== "single") {
    throw new Error(`oracle did not run: ${JSON.stringify(result.resultType === "error" ? result.errors : result)}`);
  }
  const map = { Allowed: "Allow", ExplicitlyDenied: "ExplicitDeny", ImplicitlyDenied: "ImplicitDeny" } as const;
  return map[result.overallResult];
}

function ours(policy: PolicyDocument, action: string, resource: string, currentTime: string, context: Context = {}): Decision {
  return evaluate(policy, { action, resource, currentTime, context }).decision;
}

function policy(...Statement: Statement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement };
}

/** Statements the domain type does not describe (NotAction, NotResource, a bad Effect...). */
function raw(...Statement: object[]): PolicyDocument {
  return { Version: "2012-10-17", Statement } as unknown as PolicyDocument;
}

// Valid action/resource pairs: the oracle rejects an action on a resource type it does not take.
const OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectAcl"];
const BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketLocation"];
const TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"];
const OBJECTS = [`${S3}bucket/key`, `${S3}bucket/a/b.txt`, `${S3}bucket2/key`, `${S3}bucket/Key`];
const BUCKETS = [`${S3}bucket`, `${S3}bucket2`];
const TABLES = [`${DDB}table/T`, `${DDB}table/Tab`, `${DDB}table/T/index/I`];
const PAIRS: Array<[string, string]> = [
  ...OBJECT_ACTIONS.flatMap((a) => OBJECTS.map((r): [string, string] => [a, r])),
  ...BUCKET_ACTIONS.flatMap((a) => BUCKETS.map((r): [string, string] => [a, r])),
  ...TABLE_ACTIONS.flatMap((a) => TABLES.map((r): [string, string] => [a, r])),
];

const T1 = "2026-11-27T10:00:00Z";
const T2 = "2026-11-27T12:00:00Z";
const T3 = "2026-11-27T11:00:00.500Z";
const REQUEST_TIMES = [
  "2026-11-27T09:59:59Z",
  T1,
  "2026-11-27T10:00:01Z",
  "2026-11-27T11:00:00.499Z",
  T3,
  "2026-11-27T11:00:00.501Z",
  T2,
  "2026-11-27T12:00:01Z",
];

describe("evaluator vs iam-simulate: hand-written policies", () => {
  const EXP = "2026-11-27T10:00:00Z";
  const cases: Array<{ name: string; policy: PolicyDocument; requests: Array<[string, string]>; times?: string[]; context?: Context }> = [
    {
      name: "stamped read grant",
      policy: policy(
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${S3}bucket/*`], Condition: { DateLessThan: { "aws:CurrentTime": EXP } } },
        { Effect: "Allow", Action: "s3:ListBucket", Resource: `${S3}bucket`, Condition: { DateLessThan: { "aws:CurrentTime": EXP } } },
      ),
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:ListBucket", `${S3}bucket`],
        ["s3:PutObject", `${S3}bucket/key`],
        ["s3:GetObject", `${S3}bucket2/key`],
        ["s3:ListBucket", `${S3}bucket2`],
      ],
    },
    {
      name: "Deny wins over a broad Allow",
      policy: policy({ Effect: "Allow", Action: "s3:*", Resource: "*" }, { Effect: "Deny", Action: ["s3:Delete*", "s3:Put*"], Resource: `${S3}bucket/*` }),
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:DeleteObject", `${S3}bucket/key`],
        ["s3:PutObject", `${S3}bucket2/key`],
      ],
    },
    {
      name: "case rules: actions fold case, resource ids do not",
      policy: policy({ Effect: "Allow", Action: ["S3:getOBJECT", "DynamoDB:get?tem"], Resource: [`${S3}bucket/key`, `${DDB}table/T`] }),
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:GetObject", `${S3}bucket/Key`],
        ["dynamodb:GetItem", `${DDB}table/T`],
        ["dynamodb:GetItem", `${DDB}table/Tab`],
      ],
    },
    {
      name: "wildcards inside the resource id span / and :",
      policy: policy({ Effect: "Allow", Action: "*", Resource: [`${S3}b*t/*`, `${DDB}table/T*`, `${S3}bucket/a/?.txt`] }),
      requests: [
        ["s3:GetObject", `${S3}bucket/a/b.txt`],
        ["s3:GetObject", `${S3}bucket2/key`],
        ["dynamodb:Query", `${DDB}table/T/index/I`],
        ["s3:ListBucket", `${S3}bucket`],
      ],
    },
    {
      name: "a time window and a time-bound Deny",
      policy: policy(
        {
          Effect: "Allow",
          Action: "dynamodb:*",
          Resource: "*",
          Condition: { DateGreaterThanEquals: { "aws:CurrentTime": T1 }, DateLessThanEquals: { "aws:CurrentTime": T2 } },
        },
        { Effect: "Deny", Action: "dynamodb:PutItem", Resource: "*", Condition: { DateEquals: { "aws:CurrentTime": [T3, T2] } } },
      ),
      requests: [
        ["dynamodb:GetItem", `${DDB}table/T`],
        ["dynamodb:PutItem", `${DDB}table/T`],
      ],
    },
    {
      name: "IfExists, DateNotEquals over several values, offsets and date-only values",
      policy: policy(
        { Effect: "Allow", Action: "s3:Get*", Resource: "*", Condition: { DateNotEqualsIfExists: { "aws:CurrentTime": [T1, T2] } } },
        { Effect: "Allow", Action: "s3:Put*", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "2026-11-27T12:00:00+01:00" } } },
        { Effect: "Allow", Action: "s3:Delete*", Resource: "*", Condition: { DateGreaterThan: { "AWS:CURRENTTIME": "2026-11-27" } } },
      ),
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:PutObject", `${S3}bucket/key`],
        ["s3:DeleteObject", `${S3}bucket/key`],
      ],
      times: [...REQUEST_TIMES, "2026-11-26T23:59:59Z", "2026-11-27T00:00:00Z"],
    },
    {
      name: "NotAction with Allow, NotAction with a time-bound Deny",
      policy: raw(
        { Effect: "Allow", NotAction: ["s3:Delete*", "dynamodb:DeleteItem"], Resource: "*" },
        { Effect: "Deny", NotAction: "s3:Get*", Resource: `${S3}bucket/*`, Condition: { DateGreaterThan: { "aws:CurrentTime": T3 } } },
      ),
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:PutObject", `${S3}bucket/key`],
        ["s3:DeleteObject", `${S3}bucket/key`],
        ["s3:PutObject", `${S3}bucket2/key`],
        ["dynamodb:DeleteItem", `${DDB}table/T`],
        ["dynamodb:GetItem", `${DDB}table/T`],
      ],
    },
    {
      name: "NotResource with Allow and with Deny",
      policy: raw(
        { Effect: "Allow", Action: ["s3:*", "dynamodb:*"], NotResource: [`${S3}bucket2/*`, `${DDB}table/T*`] },
        { Effect: "Deny", Action: "s3:PutObject", NotResource: `${S3}bucket/a/*` },
      ),
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:GetObject", `${S3}bucket2/key`],
        ["s3:PutObject", `${S3}bucket/key`],
        ["s3:PutObject", `${S3}bucket/a/b.txt`],
        ["dynamodb:GetItem", `${DDB}table/T`],
        ["dynamodb:GetItem", `${DDB}table/Other`],
      ],
    },
    {
      name: "policy variables from the context, a default, a missing key",
      policy: raw(
        { Effect: "Allow", Action: "s3:GetObject", Resource: `${S3}home/\${aws:username}/*` },
        { Effect: "Allow", Action: "s3:PutObject", Resource: `${S3}home/\${aws:PrincipalTag/missing, 'shared'}/*` },
        { Effect: "Allow", Action: "s3:DeleteObject", Resource: `${S3}home/\${aws:PrincipalTag/missing}/*` },
        { Effect: "Allow", Action: "dynamodb:*", Resource: `${DDB}table/\${aws:PrincipalTag/team}` },
        { Effect: "Deny", Action: "s3:GetObject", Resource: `${S3}home/alice/private-\${aws:PrincipalTag/team}` },
      ),
      context: { "aws:username": "alice", "aws:PrincipalTag/team": "T" },
      requests: [
        ["s3:GetObject", `${S3}home/alice/x`],
        ["s3:GetObject", `${S3}home/bob/x`],
        ["s3:GetObject", `${S3}home/alice/private-T`],
        ["s3:PutObject", `${S3}home/shared/x`],
        ["s3:PutObject", `${S3}home/alice/x`],
        ["s3:DeleteObject", `${S3}home/alice/x`],
        ["dynamodb:GetItem", `${DDB}table/T`],
        ["dynamodb:GetItem", `${DDB}table/Tab`],
      ],
      times: [T1],
    },
    {
      name: "the escapes ${*} ${?} ${$} are literal characters",
      // A request resource with * or ? is a wildcard query to the oracle, so only $ is asked for
      // literally; read as wildcards, ${*} and ${?} would match these requests.
      policy: raw(
        { Effect: "Allow", Action: "*", Resource: "*" },
        { Effect: "Deny", Action: "s3:*", Resource: [`${S3}bucket/\${$}k`, `${S3}bucket/k\${?}`, `${S3}bucket2/\${*}`] },
      ),
      requests: [
        ["s3:GetObject", `${S3}bucket/$k`],
        ["s3:GetObject", `${S3}bucket/kx`],
        ["s3:GetObject", `${S3}bucket/k`],
        ["s3:GetObject", `${S3}bucket2/key`],
      ],
      times: [T1],
    },
    {
      name: "StringLike on s3:prefix for ListBucket",
      policy: raw({ Effect: "Allow", Action: "s3:ListBucket", Resource: `${S3}bucket`, Condition: { StringLike: { "s3:prefix": ["a/*", "b/"] } } }),
      context: { "s3:prefix": "a/x/" },
      requests: [["s3:ListBucket", `${S3}bucket`]],
      times: [T1],
    },
    // The oracle drops context keys an action does not take (s3:prefix is ListBucket's only),
    // as AWS never sends them: every statement here is about ListBucket.
    ...([{ "s3:prefix": "b/" }, { "s3:prefix": "c/" }, { "s3:prefix": "B/" }, {}] as Context[]).map((context) => ({
      name: `String operators, IfExists, negation and a missing key with ${JSON.stringify(context)}`,
      policy: raw(
        { Effect: "Allow", Action: "s3:ListBucket", Resource: `${S3}b1`, Condition: { StringEquals: { "s3:prefix": "b/" } } },
        { Effect: "Allow", Action: "s3:ListBucket", Resource: `${S3}b2`, Condition: { StringEqualsIgnoreCase: { "s3:prefix": "b/" } } },
        { Effect: "Allow", Action: "s3:ListBucket", Resource: `${S3}b3`, Condition: { StringNotLike: { "s3:prefix": "c*" } } },
        { Effect: "Allow", Action: "s3:ListBucket", Resource: `${S3}b4`, Condition: { StringLikeIfExists: { "s3:prefix": "?/" } } },
        { Effect: "Allow", Action: "s3:ListBucket", Resource: [`${S3}b5`, `${S3}b6`] },
        { Effect: "Deny", Action: "s3:ListBucket", Resource: `${S3}b5`, Condition: { StringNotEquals: { "s3:prefix": "b/" } } },
        { Effect: "Deny", Action: "s3:ListBucket", Resource: `${S3}b6`, Condition: { StringLike: { "s3:prefix": ["x", "B*"] } } },
      ),
      context,
      requests: ["b1", "b2", "b3", "b4", "b5", "b6"].map((b): [string, string] => ["s3:ListBucket", `${S3}${b}`]),
      times: [T1],
    })),
    // With no aws:username at all the two part ways: see "known divergences".
    ...(
      [
        { "aws:username": "alice", "aws:SecureTransport": "true" },
        { "aws:username": "bob", "aws:SecureTransport": "false" },
      ] as Context[]
    ).map((context) => ({
      name: `a variable in a condition value, Bool and Null with ${JSON.stringify(context)}`,
      policy: raw(
        { Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/owner": "${aws:username}" } } },
        { Effect: "Allow", Action: "s3:PutObject", Resource: "*", Condition: { Bool: { "aws:SecureTransport": "true" } } },
        { Effect: "Allow", Action: "s3:DeleteObject", Resource: "*", Condition: { Null: { "aws:username": "true" } } },
        { Effect: "Allow", Action: "s3:GetObjectAcl", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalTag/owner": "${aws:username}" } } },
      ),
      context: { ...context, "aws:PrincipalTag/owner": "alice" },
      requests: [
        ["s3:GetObject", `${S3}bucket/key`],
        ["s3:PutObject", `${S3}bucket/key`],
        ["s3:DeleteObject", `${S3}bucket/key`],
        ["s3:GetObjectAcl", `${S3}bucket/key`],
      ] as Array<[string, string]>,
      times: [T1],
    })),
    {
      name: "policies IAM rejects: a mis-cased Effect, an action without a colon, Action with NotAction, a Principal",
      policy: raw({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "deny", Action: "s3:*", Resource: "*" }),
      requests: [["s3:GetObject", `${S3}bucket/key`]],
      times: [T1],
    },
    ...[
      { Effect: "ALLOW", Action: "*", Resource: "*" },
      { Effect: "Allow", Action: "s3*", Resource: "*" },
      { Effect: "Allow", Action: "GetObject", Resource: "*" },
      { Effect: "Allow", Action: "*", NotAction: "s3:Put*", Resource: "*" },
      { Effect: "Allow", Action: "*", Resource: "*", NotResource: `${S3}bucket/*` },
      { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" },
    ].map((st) => ({
      name: `rejected: ${JSON.stringify(st)}`,
      policy: raw(st),
      requests: [["s3:GetObject", `${S3}bucket/key`]] as Array<[string, string]>,
      times: [T1],
    })),
  ];

  it.each(cases)("$name", async ({ policy: p, requests, times = REQUEST_TIMES, context }) => {
    for (const [action, resource] of requests) {
      for (const time of times) {
        const expected = await oracle(p, action, resource, time, context);
        expect({ action, resource, time, decision: ours(p, action, resource, time, context) }).toEqual({
          action,
          resource,
          time,
          decision: expected,
        });
      }
    }
  });
});

// Where the two disagree on purpose. Each test pins both answers, so a change on either side
// shows up here instead of silently in the random test (whose generators avoid these shapes).
describe("evaluator vs iam-simulate: known divergences", () => {
  const allowAll = (Resource: string): PolicyDocument => policy({ Effect: "Allow", Action: "*", Resource });

  it("epoch seconds in a policy: the oracle reads them as milliseconds (oracle bug)", async () => {
    // 1795000000 s = 2026-11-18T11:06:40Z. AWS documents epoch (UNIX) time for date operators.
    const p = policy({ Effect: "Allow", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:CurrentTime": "1795000000" } } });
    const at = "2026-11-01T00:00:00Z";
    expect(ours(p, "s3:GetObject", `${S3}bucket/key`, at)).toBe("Allow");
    expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, at)).toBe("ImplicitDeny");
  });

  it("a * outside the resource id: ours spans ':' (as specified), the oracle matches segment by segment", async () => {
    const p = allowAll(`arn:aws:dynamodb:us-east-1:*/T`);
    expect(ours(p, "dynamodb:GetItem", `${DDB}table/T`, T1)).toBe("Allow");
    expect(await oracle(p, "dynamodb:GetItem", `${DDB}table/T`, T1)).toBe("ImplicitDeny");
  });

  it("a wildcard in the resource-type prefix (table/): the oracle takes that prefix literally", async () => {
    const p = allowAll(`${DDB}tab?e/*`);
    expect(ours(p, "dynamodb:GetItem", `${DDB}table/T`, T1)).toBe("Allow");
    expect(await oracle(p, "dynamodb:GetItem", `${DDB}table/T`, T1)).toBe("ImplicitDeny");
  });

  it("partition/service/region/account case: the oracle folds it, ours is case-sensitive throughout", async () => {
    const p = allowAll("arn:AWS:s3:::bucket/key");
    expect(ours(p, "s3:GetObject", `${S3}bucket/key`, T1)).toBe("ImplicitDeny");
    expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, T1)).toBe("Allow");
  });

  it("a mis-cased condition operator: the oracle folds it, ours refuses to guess (Unknown)", async () => {
    const c: Condition = { datelessthan: { "aws:CurrentTime": T2 } };
    const p = policy({ Effect: "Allow", Action: "*", Resource: "*", Condition: c });
    expect(ours(p, "s3:GetObject", `${S3}bucket/key`, T1)).toBe("Unknown");
    expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, T1)).toBe("Allow");
  });

  // AWS: "2008-10-17 ... variables such as ${aws:username} aren't recognized as variables and are
  // instead treated as literal strings", and a policy without Version is read as 2008-10-17.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
  it("variables in a 2008-10-17 (or unversioned) policy: literal for ours (AWS docs), filled in by the oracle", async () => {
    for (const Version of ["2008-10-17", undefined]) {
      const Statement = [
        { Effect: "Allow", Action: "*", Resource: "*" },
        { Effect: "Deny", Action: "s3:*", Resource: `${S3}bucket/\${aws:username}` },
      ];
      const p = (Version === undefined ? { Statement } : { Version, Statement }) as unknown as PolicyDocument;
      const ctx = { "aws:username": "key" };
      expect(ours(p, "s3:GetObject", `${S3}bucket/key`, T1, ctx)).toBe("Allow");
      expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, T1, ctx)).toBe("ExplicitDeny");
    }
  });

  it("a Deny whose NotResource uses a variable with no value: ours Unknown (undocumented), the oracle skips the Deny", async () => {
    const p = raw({ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Deny", Action: "s3:*", NotResource: `${S3}home/\${aws:username}/*` });
    expect(ours(p, "s3:GetObject", `${S3}bucket/key`, T1)).toBe("Unknown");
    expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, T1)).toBe("Allow");
  });

  it("a negated operator against a variable with no value: holds for ours (AWS docs), not for the oracle", async () => {
    // "Inverted condition operators like StringNotEquals or StringNotLike do match against a
    // null value." https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html#policy-vars-no-value
    const p = raw({ Effect: "Allow", Action: "s3:GetObject", Resource: "*", Condition: { StringNotEquals: { "aws:PrincipalTag/owner": "${aws:username}" } } });
    const ctx = { "aws:PrincipalTag/owner": "alice" };
    expect(ours(p, "s3:GetObject", `${S3}bucket/key`, T1, ctx)).toBe("Allow");
    expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, T1, ctx)).toBe("ImplicitDeny");
  });

  it("an empty Action list, an unclosed ${, a Resource that is not an ARN: ours Unknown, the oracle reads them", async () => {
    const allowAll = { Effect: "Allow", Action: "*", Resource: "*" };
    const cases: Array<[object, Decision]> = [
      [{ Effect: "Deny", Action: [], Resource: "*" }, "Allow"],
      [{ Effect: "Deny", Action: "s3:*", Resource: `${S3}bucket/\${aws:username` }, "Allow"],
      // IAM rejects a Resource that is neither "*" nor an ARN; the oracle matches it anyway.
      [{ Effect: "Deny", Action: "s3:*", Resource: "bucket/*" }, "ExplicitDeny"],
    ];
    for (const [st, theirs] of cases) {
      const p = raw(allowAll, st);
      expect(ours(p, "s3:GetObject", `${S3}bucket/key`, T1, { "aws:username": "key" })).toBe("Unknown");
      expect(await oracle(p, "s3:GetObject", `${S3}bucket/key`, T1, { "aws:username": "key" })).toBe(theirs);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Random policies

type Mutation = { kind: "star" | "qmark" | "case" | "char"; at: number; len: number; ch: string };

const mutationArb = (chars: string[]): fc.Arbitrary<Mutation> =>
  fc.record({
    kind: fc.constantFrom("star", "star", "qmark", "case", "char"),
    at: fc.nat(),
    len: fc.nat({ max: 6 }),
    ch: fc.constantFrom(...chars),
  });
// The oracle's policy validator takes only letters and digits in an action name.
const ACTION_CHARS = ["a", "e", "t", "I", "O"];
const RESOURCE_CHARS = ["a", "e", "T", "k", "/", "."];
// Half the patterns unedited, so that grants (and Deny overrides) are common enough to test.
const mutationsArb = (chars: string[]): fc.Arbitrary<Mutation[]> =>
  fc.oneof(fc.constant<Mutation[]>([]), fc.array(mutationArb(chars), { minLength: 1, maxLength: 2 }));

/** Applies wildcard/case/char edits to `s` at or after `from` (the fixed prefix stays intact). */
function mutate(s: string, from: number, mutations: Mutation[]): string {
  let out = s;
  for (const m of mutations) {
    const room = out.length - from;
    if (room <= 0) break;
    const i = from + (m.at % room);
    const c = out.charAt(i);
    switch (m.kind) {
      case "star":
        out = `${out.slice(0, i)}*${out.slice(Math.min(out.length, i + m.len))}`;
        break;
      case "qmark":
        out = `${out.slice(0, i)}?${out.slice(i + 1)}`;
        break;
      case "case":
        out = `${out.slice(0, i)}${c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()}${out.slice(i + 1)}`;
        break;
      case "char":
        out = `${out.slice(0, i)}${m.ch}${out.slice(i + 1)}`;
        break;
    }
  }
  return out;
}

const ALL_ACTIONS = [...OBJECT_ACTIONS, ...BUCKET_ACTIONS, ...TABLE_ACTIONS];

// Wildcards stay after "service:" — the oracle rejects them in the service prefix — but case
// edits may touch the prefix, which both sides fold.
const actionFrom = (action: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom("*", action.startsWith("s3:") ? "s3:*" : "dynamodb:*") },
    {
      weight: 6,
      arbitrary: fc.tuple(mutationsArb(ACTION_CHARS), fc.boolean()).map(([mutations, upperPrefix]) => {
        const colon = action.indexOf(":") + 1;
        const edited = mutate(action, colon, mutations);
        return upperPrefix ? edited.slice(0, colon).toUpperCase() + edited.slice(colon) : edited;
      }),
    },
  );
const actionPatternArb = fc.constantFrom(...ALL_ACTIONS).chain(actionFrom);

// Edits only in the resource id: before it the oracle matches segment by segment, case-folded,
// with the resource-type prefix literal (see "known divergences").
const idStart = (arn: string): number => (arn.startsWith(S3) ? S3.length : `${DDB}table/`.length);
const resourceFrom = (arn: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant("*") },
    { weight: 8, arbitrary: mutationsArb(RESOURCE_CHARS).map((mutations) => mutate(arn, idStart(arn), mutations)) },
  );
const RESOURCE_BASES = [...OBJECTS, ...BUCKETS, `${S3}other/*`, ...TABLES, `${DDB}table/Other`];
const resourcePatternArb = fc.constantFrom(...RESOURCE_BASES).chain(resourceFrom);

const DATE_OPERATORS = [
  "DateLessThan",
  "DateGreaterThan",
  "DateLessThan",
  "DateGreaterThan",
  "DateLessThanEquals",
  "DateGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThanIfExists",
  "DateNotEqualsIfExists",
];

const conditionArb: fc.Arbitrary<Condition | undefined> = fc.option(
  fc
    .uniqueArray(
      fc.tuple(
        fc.constantFrom(...DATE_OPERATORS),
        fc.constantFrom("aws:CurrentTime", "aws:currenttime"),
        fc.array(fc.constantFrom(T1, T2, T3), { minLength: 1, maxLength: 2 }),
      ),
      { minLength: 1, maxLength: 2, selector: ([op]) => op },
    )
    .map((entries) => {
      const condition: Condition = {};
      for (const [op, key, values] of entries) condition[op] = { [key]: values.length === 1 ? (values[0] as string) : values };
      return condition;
    }),
  { freq: 2, nil: undefined },
);

// Each statement is grown from a real action/resource pair, which is also offered as a request:
// otherwise almost every random request would be an implicit deny.
const statementArb: fc.Arbitrary<{ statement: Statement; base: [string, string] }> = fc.constantFrom(...PAIRS).chain((base) =>
  fc
    .record({
      Effect: fc.constantFrom<"Allow" | "Deny">("Allow", "Allow", "Deny"),
      action: actionFrom(base[0]),
      moreActions: fc.array(actionPatternArb, { maxLength: 2 }),
      resource: resourceFrom(base[1]),
      moreResources: fc.array(resourcePatternArb, { maxLength: 2 }),
      Condition: conditionArb,
    })
    .map(({ Effect, action, moreActions, resource, moreResources, Condition }) => {
      // A lone pattern is written as a string, as people do; otherwise as an array.
      const Action = moreActions.length === 0 ? action : [action, ...moreActions];
      const Resource = moreResources.length === 0 ? resource : [resource, ...moreResources];
      const statement: Statement = Condition === undefined ? { Effect, Action, Resource } : { Effect, Action, Resource, Condition };
      return { statement, base };
    }),
);

const caseArb = fc.array(statementArb, { minLength: 1, maxLength: 4 }).chain((statements) => {
  const p = policy(...statements.map((s) => s.statement));
  const request = fc.tuple(fc.oneof(fc.constantFrom(...statements.map((s) => s.base)), fc.constantFrom(...PAIRS)), fc.constantFrom(...REQUEST_TIMES));
  return fc.tuple(fc.constant(p), fc.array(request, { minLength: 4, maxLength: 8 }));
});

const RUNS = Number(process.env.ORACLE_RUNS ?? 300);

describe("evaluator vs iam-simulate: random policies", () => {
  it("agree on Allow / ExplicitDeny / ImplicitDeny", { timeout: Math.max(60_000, RUNS * 200) }, async () => {
    let allows = 0;
    let explicit = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async ([p, requests]) => {
        for (const [[action, resource], time] of requests) {
          const got = ours(p, action, resource, time);
          const expected = await oracle(p, action, resource, time);
          expect({ action, resource, time, decision: got }).toEqual({ action, resource, time, decision: expected });
          total++;
          if (got === "Allow") allows++;
          if (got === "ExplicitDeny") explicit++;
        }
      }),
      // ORACLE_RUNS=20000 for a longer hunt; the default keeps the file within a few seconds.
      { numRuns: RUNS },
    );
    // Guard against a generator that only ever produces denials.
    expect(allows / total).toBeGreaterThan(0.1);
    expect(explicit / total).toBeGreaterThan(0.05);
    if (process.env.ORACLE_STATS) console.log({ total, allows, explicit });
  });
});

// ---------------------------------------------------------------------------------------------
// Random policies with NotAction/NotResource, policy variables and escapes, and rejected shapes

const CONTEXTS: Context[] = [
  { "aws:username": "key", "aws:PrincipalTag/team": "T" },
  { "aws:username": "a", "aws:PrincipalTag/team": "t" },
  { "aws:username": "a" },
  {},
];
const VARIABLE_TOKENS = [
  "${aws:username}",
  "${aws:PrincipalTag/team}",
  "${aws:username, 'key'}",
  "${aws:PrincipalTag/none, 'T'}",
  "${aws:PrincipalTag/none}",
  "${$}",
  "${*}",
  "${?}",
];

/** Replaces a span of the resource id with a variable or an escape (the oracle reads them only there). */
const withVariable = (resource: string): fc.Arbitrary<string> =>
  resource === "*"
    ? fc.constant(resource)
    : fc.oneof(
        fc.constant(resource),
        fc.tuple(fc.nat(), fc.nat({ max: 4 }), fc.constantFrom(...VARIABLE_TOKENS)).map(([at, len, token]) => {
          const from = idStart(resource);
          const room = resource.length - from;
          if (room <= 0) return resource;
          const i = from + (at % room);
          return `${resource.slice(0, i)}${token}${resource.slice(Math.min(resource.length, i + len))}`;
        }),
      );

// String operators on global keys (the oracle drops keys an action does not take). A variable
// only in the non-negated operators: with no value, negated ones part ways (a pinned divergence).
const STRING_OPERATOR_NAMES = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"];
const PLAIN_VALUES = ["T", "t", "key", "a", "k*", "?", "*", "ke?"];
const stringConditionArb: fc.Arbitrary<Condition> = fc
  .tuple(
    fc.constantFrom(...STRING_OPERATOR_NAMES),
    fc.boolean(),
    fc.constantFrom("aws:username", "aws:PrincipalTag/team", "AWS:PrincipalTag/Team"),
    fc.array(fc.constantFrom(...PLAIN_VALUES, "${aws:username}", "${aws:PrincipalTag/team}", "x${aws:username}"), { minLength: 1, maxLength: 3 }),
  )
  .map(([op, ifExists, key, values]) => {
    const vals = op.includes("Not") ? values.map((v) => (v.includes("${") ? "T" : v)) : values;
    return { [`${op}${ifExists ? "IfExists" : ""}`]: { [key]: vals.length === 1 ? (vals[0] as string) : vals } };
  });

const extendedStatementArb: fc.Arbitrary<{ statement: object; base: [string, string] }> = statementArb.chain(({ statement, base }) =>
  fc
    .record({
      notAction: fc.boolean(),
      notResource: fc.boolean(),
      resources: fc.tuple(...[statement.Resource].flat().map(withVariable)),
      strings: fc.option(stringConditionArb, { freq: 2, nil: undefined }),
    })
    .map(({ notAction, notResource, resources, strings }) => {
      const { Action, Resource: _r, Condition: dates, ...rest } = statement;
      const Resource = resources.length === 1 ? resources[0] : resources;
      const Condition = dates === undefined && strings === undefined ? undefined : { ...dates, ...strings };
      const st = {
        ...rest,
        [notAction ? "NotAction" : "Action"]: Action,
        [notResource ? "NotResource" : "Resource"]: Resource,
        ...(Condition ? { Condition } : {}),
      };
      return { statement: st, base };
    }),
);

/** A variable without a default whose key the context lacks, inside a NotResource (a pinned divergence). */
function notResourceLacksValue(statements: object[], context: Context): boolean {
  const keys = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  return statements.some((st) =>
    [(st as { NotResource?: string | string[] }).NotResource ?? []]
      .flat()
      .some((r) =>
        [...r.matchAll(/\$\{([^},']+)\}/g)].some((m) => !["*", "?", "$"].includes(m[1] as string) && !keys.has((m[1] as string).trim().toLowerCase())),
      ),
  );
}

const DOLLAR_PAIRS: Array<[string, string]> = [
  ["s3:GetObject", `${S3}bucket/$key`],
  ["s3:PutObject", `${S3}bucket/k$y`],
  ["dynamodb:GetItem", `${DDB}table/$T`],
];

const extendedCaseArb = fc
  .tuple(fc.array(extendedStatementArb, { minLength: 1, maxLength: 4 }), fc.constantFrom(...CONTEXTS))
  .chain(([statements, context]) => {
    const p = raw(...statements.map((s) => s.statement));
    const request = fc.tuple(
      fc.oneof(fc.constantFrom(...statements.map((s) => s.base)), fc.constantFrom(...PAIRS, ...DOLLAR_PAIRS)),
      fc.constantFrom(...REQUEST_TIMES),
    );
    return fc.tuple(fc.constant(p), fc.constant(context), fc.array(request, { minLength: 4, maxLength: 8 }));
  });

// Shapes IAM rejects, each applied to one statement of an otherwise valid policy.
const CORRUPTIONS: Array<(st: Record<string, unknown>) => Record<string, unknown>> = [
  (st) => ({ ...st, Effect: String(st.Effect).toLowerCase() }),
  (st) => ({ ...st, Effect: String(st.Effect).toUpperCase() }),
  (st) => ({ ...st, Effect: `${String(st.Effect)} ` }),
  (st) => ({ ...st, Effect: "Permit" }),
  (st) => {
    const { Effect: _e, ...rest } = st;
    return rest;
  },
  (st) => ({ ...st, Action: "s3GetObject" }),
  (st) => ({ ...st, Action: ["GetObject", ...[st.Action].flat()] }),
  (st) => ({ ...st, NotAction: "s3:Delete*" }),
  (st) => ({ ...st, Principal: { AWS: "*" } }),
];

describe("evaluator vs iam-simulate: NotAction/NotResource, variables, escapes, rejected policies", () => {
  it("agree on random policies with NotAction, NotResource, variables, escapes and String conditions", { timeout: Math.max(60_000, RUNS * 200) }, async () => {
    let allows = 0;
    let total = 0;
    let negated = 0;
    await fc.assert(
      fc.asyncProperty(extendedCaseArb, async ([p, context, requests]) => {
        fc.pre(!notResourceLacksValue(p.Statement, context));
        if (JSON.stringify(p).includes("Not")) negated++;
        for (const [[action, resource], time] of requests) {
          const got = ours(p, action, resource, time, context);
          const expected = await oracle(p, action, resource, time, context);
          expect({ action, resource, time, context, decision: got }).toEqual({ action, resource, time, context, decision: expected });
          total++;
          if (got === "Allow") allows++;
        }
      }),
      { numRuns: RUNS },
    );
    expect(allows / total).toBeGreaterThan(0.1);
    expect(negated).toBeGreaterThan(RUNS / 4);
  });

  it("both refuse a policy with a mis-cased Effect, an action without a colon, Action with NotAction or a Principal", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.nat(), fc.constantFrom(...CORRUPTIONS), async ([p, requests], which, corrupt) => {
        const statements = p.Statement.map((st): Record<string, unknown> => ({ ...st }));
        const i = which % statements.length;
        statements[i] = corrupt(statements[i] as Record<string, unknown>);
        const bad = raw(...statements);
        for (const [[action, resource], time] of requests.slice(0, 2)) {
          expect(ours(bad, action, resource, time)).toBe("Unknown");
          expect(await oracle(bad, action, resource, time)).toBe("Unknown");
        }
      }),
      { numRuns: Math.max(50, Math.floor(RUNS / 3)) },
    );
  });
});
