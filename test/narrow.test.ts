// Narrowing only: a model's policy intersected with the built-in envelope (src/policy/narrow.ts).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AccessRequest, Config, PolicyDocument, RequestItem, Statement } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { evaluate } from "../src/policy/evaluator.js";
import { generatePolicy } from "../src/policy/generator.js";
import { resourceWithin } from "../src/policy/guardrails.js";
import { narrowToEnvelope, pairsOutsideEnvelope } from "../src/policy/narrow.js";
import { planRequest } from "../src/policy/pipeline.js";
import { testConfig } from "./support/config-fixtures.js";

const catalogue = loadCatalogue();
const ACCOUNT = "111122223333";
const CTX = { partition: "aws", region: "us-east-1", accountId: ACCOUNT };
const NOW = "2026-11-27T09:00:00Z";
const BUCKET = "arn:aws:s3:::financial-reports";
const OBJECTS = "arn:aws:s3:::financial-reports/*";
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders`;

const ITEMS: RequestItem[] = [
  { service: "s3", access: ["read", "list", "write"], resources: ["financial-reports"] },
  { service: "dynamodb", access: ["read"], resources: ["orders"] },
];
const generated = generatePolicy(catalogue, ITEMS, CTX);
const ENVELOPE = generated.policy;

function config(): Config {
  return testConfig({ aws: { accounts: { prod: ACCOUNT } } });
}

function allow(Action: string[], Resource: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Sid: "Drafted", Effect: "Allow", Action, Resource, justification: "needed", ...extra };
}

const narrow = (...Statement: unknown[]) => narrowToEnvelope(catalogue, ENVELOPE, { Statement });
const pairs = (p: PolicyDocument) =>
  p.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat().flatMap((a) => [s.Resource].flat().map((r) => `${a} ${r}`)));

/** Concrete resources standing for a resource pattern (wildcards filled in several ways). */
function samples(resource: string): string[] {
  if (!/[*?]/.test(resource)) return [resource];
  return ["", "x", "a/b/c", "jit*odd?"].map((fill) => resource.replace(/\*/g, fill).replace(/\?/g, "q"));
}

/** Every (action, sample resource) the policy allows is allowed by the envelope too (the project's evaluator as oracle). */
function expectWithinEnvelope(policy: PolicyDocument, envelope: PolicyDocument = ENVELOPE): void {
  for (const st of policy.Statement) {
    if (st.Effect !== "Allow") continue;
    expect(st.Condition).toBeUndefined();
    for (const a of [st.Action].flat()) {
      expect(a).not.toMatch(/[*?]/);
      for (const r of [st.Resource].flat()) {
        for (const s of samples(r)) {
          const d = evaluate(envelope, { action: a, resource: s, currentTime: NOW }).decision;
          expect(d, `${a} on ${s} (from ${r})`).toBe("Allow");
        }
      }
    }
  }
}

describe("narrowToEnvelope", () => {
  it("the envelope used here is valid", () => {
    expect(generated.problems).toEqual([]);
    expect(pairs(ENVELOPE)).toContain(`s3:GetObject ${OBJECTS}`);
  });

  it("keeps an exact subset as it is, with its justification and a clean Sid", () => {
    const r = narrow(
      allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::financial-reports/2026/Q3/*"], {
        Sid: "Read & write Q3!",
        justification: "Reconcile\nQ3\u202e reports",
      }),
      allow(["s3:ListBucket"], [BUCKET], { Sid: "List" }),
    );
    expect(r.warnings).toEqual([]);
    expect(r.allowStatements).toBe(2);
    expect(r.policy.Statement).toEqual([
      { Sid: "ReadwriteQ3", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::financial-reports/2026/Q3/*"] },
      { Sid: "List", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [BUCKET] },
    ]);
    expect(r.justifications).toEqual([
      { sid: "ReadwriteQ3", why: "Reconcile Q3 reports" },
      { sid: "List", why: "needed" },
    ]);
    expectWithinEnvelope(r.policy);
  });

  it("canonicalises the case of action names", () => {
    const r = narrow(allow(["S3:getobject"], [OBJECTS]));
    expect(r.policy.Statement[0]?.Action).toEqual(["s3:GetObject"]);
  });

  it("drops an action of another service (iam:PassRole) and says so", () => {
    const r = narrow(allow(["s3:GetObject", "iam:PassRole"], [OBJECTS, "arn:aws:iam::111122223333:role/admin"]));
    expect(pairs(r.policy)).toEqual([`s3:GetObject ${OBJECTS}`]);
    expect(r.warnings).toContainEqual({
      code: "draft.dropped",
      path: "answer.Statement[0].Action[1]",
      message: expect.stringMatching(/iam:PassRole is in another service \(iam\)/),
    });
    expect(r.warnings).toContainEqual({
      code: "draft.dropped",
      path: "answer.Statement[0].Resource[1]",
      message: expect.stringMatching(/wider than \(or outside\) the envelope/),
    });
  });

  it("drops a new action of the same service", () => {
    const r = narrow(allow(["s3:GetObject", "s3:PutBucketPolicy", "dynamodb:DeleteTable"], [OBJECTS, BUCKET, TABLE]));
    expect(r.warnings.map((w) => w.message).join("\n")).toMatch(/s3:PutBucketPolicy is a new action/);
    expect(r.warnings.map((w) => w.message).join("\n")).toMatch(/dynamodb:DeleteTable is a new action/);
    expect(pairs(r.policy).some((p) => /PutBucketPolicy|DeleteTable/.test(p))).toBe(false);
  });

  it("drops unknown and look-alike action names", () => {
    const r = narrow(allow(["s3:GetObjects", "s3:GetОbject" /* Cyrillic O */, "s3:GetObject"], [OBJECTS]));
    expect(pairs(r.policy)).toEqual([`s3:GetObject ${OBJECTS}`]);
    expect(r.warnings.filter((w) => /not a known IAM action/.test(w.message))).toHaveLength(2);
  });

  it.each([
    ["*", /"\*" is wider than the envelope/],
    ["arn:aws:s3:::*", /wider than/],
    ["arn:aws:s3:::financial-reports*", /wider than/], // also covers financial-reports-evil
    ["arn:aws:s3:::other-bucket/*", /wider than/],
    ["arn:aws:s3:::financial-reports/${aws:username}/*", /policy variable/],
  ])("drops the resource %s", (resource, message) => {
    const r = narrow(allow(["s3:GetObject"], [resource]));
    expect(r.allowStatements).toBe(0);
    expect(r.warnings).toContainEqual({ code: "draft.dropped", path: "answer.Statement[0].Resource[0]", message: expect.stringMatching(message) });
  });

  it("keeps a narrower resource, drops the wider one beside it", () => {
    const r = narrow(allow(["s3:GetObject"], ["arn:aws:s3:::financial-reports/2026/*", "*"]));
    expect(pairs(r.policy)).toEqual(["s3:GetObject arn:aws:s3:::financial-reports/2026/*"]);
  });

  it("drops a resource already covered by another one of the same statement (no change in what is granted)", () => {
    const r = narrow(allow(["s3:GetObject"], ["arn:aws:s3:::financial-reports/2026/Q3/a.csv", "arn:aws:s3:::financial-reports/2026/*"]));
    expect(r.policy.Statement[0]?.Resource).toEqual(["arn:aws:s3:::financial-reports/2026/*"]);
    expect(r.warnings).toEqual([]);
  });

  it("checks resources per action: ListBucket on objects and GetObject on the bucket are dropped, the rest is split", () => {
    const r = narrow(allow(["s3:ListBucket", "s3:GetObject"], [BUCKET, OBJECTS]));
    expect(r.policy.Statement).toEqual([
      { Sid: "Drafted", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [BUCKET] },
      { Sid: "Drafted2", Effect: "Allow", Action: ["s3:GetObject"], Resource: [OBJECTS] },
    ]);
    expectWithinEnvelope(r.policy);
  });

  it('actions without resource-level permissions stay on "*" only', () => {
    const unscoped = [ENVELOPE.Statement.find((s) => s.Resource === "*")?.Action].flat()[0] as string;
    expect(pairs(narrow(allow([unscoped], ["*"])).policy)).toEqual([`${unscoped} *`]);
    const r = narrow(allow([unscoped], ["arn:aws:s3:::*", BUCKET]));
    expect(r.allowStatements).toBe(0);
  });

  it("replaces a wildcard action by the envelope actions it covers", () => {
    const r = narrow(allow(["s3:GetObject*"], [OBJECTS]));
    const actions = [r.policy.Statement[0]?.Action].flat();
    expect(actions).toContain("s3:GetObject");
    expect(actions).toContain("s3:GetObjectTagging");
    expect(actions).not.toContain("s3:GetObjectAcl"); // a coarse-level exclusion: not in the envelope
    expect(r.warnings[0]?.message).toMatch(
      /wildcard "s3:GetObject\*" was replaced by the \d+ envelope action\(s\) it covers; everything else it covers was dropped/,
    );
    expectWithinEnvelope(r.policy);
  });

  it("a full wildcard (*, iam:*) on * grants nothing beyond the envelope", () => {
    const r = narrow(allow(["*"], ["*"]), allow(["iam:*"], [OBJECTS]));
    // "*" on "*": only the envelope's unscoped list actions can be on "*".
    for (const st of r.policy.Statement) expect(st.Resource).toEqual("*" === st.Resource ? "*" : ["*"]);
    expect(r.warnings).toContainEqual({
      code: "draft.dropped",
      path: "answer.Statement[1].Action[0]",
      message: expect.stringMatching(/covers none of the envelope's actions/),
    });
    expectWithinEnvelope(r.policy);
  });

  it.each(["Principal", "NotPrincipal", "NotAction", "NotResource"])("drops a statement with %s", (key) => {
    const r = narrow(allow(["s3:GetObject"], [OBJECTS], { [key]: key === "Principal" || key === "NotPrincipal" ? { AWS: "*" } : ["s3:GetObject"] }));
    expect(r.allowStatements).toBe(0);
    expect(r.warnings[0]).toEqual({ code: "draft.dropped", path: `answer.Statement[0].${key}`, message: expect.stringMatching(new RegExp(`uses ${key}`)) });
  });

  it("drops a model Condition (keeping the statement) and warns", () => {
    const r = narrow(allow(["s3:GetObject"], [OBJECTS], { Condition: { StringLike: { "s3:prefix": "2026/*" } } }));
    expect(r.policy.Statement).toEqual([{ Sid: "Drafted", Effect: "Allow", Action: ["s3:GetObject"], Resource: [OBJECTS] }]);
    expect(r.warnings).toEqual([
      { code: "draft.condition-dropped", path: "answer.Statement[0].Condition", message: expect.stringMatching(/dropped the model's Condition/) },
    ]);
  });

  it("drops Deny statements of the model, and never removes the envelope's Deny statements", () => {
    const deny: Statement = { Sid: "NoDelete", Effect: "Deny", Action: ["s3:DeleteObject"], Resource: [OBJECTS] };
    const envelope: PolicyDocument = { ...ENVELOPE, Statement: [deny, ...ENVELOPE.Statement] };
    const r = narrowToEnvelope(catalogue, envelope, {
      Statement: [allow(["s3:GetObject"], [OBJECTS]), { Effect: "Deny", Action: ["s3:GetObject"], Resource: [OBJECTS] }],
    });
    expect(r.policy.Statement[0]).toEqual(deny);
    expect(r.policy.Statement).toHaveLength(2);
    expect(r.warnings).toContainEqual({ code: "draft.dropped", path: "answer.Statement[1].Effect", message: expect.stringMatching(/not add Deny statements/) });
    // An answer that leaves the Deny out still gets it.
    expect(narrowToEnvelope(catalogue, envelope, { Statement: [allow(["s3:PutObject"], [OBJECTS])] }).policy.Statement[0]).toEqual(deny);
  });

  it("does not offer grants the envelope makes only under a condition", () => {
    const envelope: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [OBJECTS], Condition: { Bool: { "aws:SecureTransport": true } } }],
    };
    const r = narrowToEnvelope(catalogue, envelope, { Statement: [allow(["s3:GetObject"], [OBJECTS])] });
    expect(r.allowStatements).toBe(0);
  });

  it("drops malformed statements one by one and keeps the good ones", () => {
    const r = narrow(
      "a string",
      null,
      { Effect: "Allow", Action: "s3:GetObject" },
      { Effect: "Allow", Action: [42], Resource: [OBJECTS] },
      { Effect: "allow", Action: ["s3:GetObject"], Resource: [OBJECTS] },
      allow([], [OBJECTS]),
      allow(["s3:GetObject"], [OBJECTS], { Sid: 7, extra: true }),
    );
    expect(r.allowStatements).toBe(1);
    expect(r.policy.Statement[0]).toEqual({ Sid: "Drafted7", Effect: "Allow", Action: ["s3:GetObject"], Resource: [OBJECTS] });
    expect(r.warnings.map((w) => w.path)).toEqual([
      "answer.Statement[0]",
      "answer.Statement[1]",
      "answer.Statement[2]",
      "answer.Statement[3]",
      "answer.Statement[4].Effect",
      "answer.Statement[5]",
      "answer.Statement[6]",
    ]);
  });

  it("an answer with nothing inside the envelope is empty", () => {
    const r = narrow(allow(["iam:AttachUserPolicy"], ["arn:aws:iam::aws:policy/AdministratorAccess"]));
    expect(r.allowStatements).toBe(0);
    expect(r.policy.Statement).toEqual([]);
  });

  it("a narrowed policy passes the pipeline as the request's policy (verdict ok)", () => {
    const r = narrow(
      allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::financial-reports/2026/*"]),
      allow(["s3:ListBucket"], [BUCKET]),
      allow(["dynamodb:GetItem", "dynamodb:Query"], [TABLE]),
    );
    const request: AccessRequest = {
      version: 1,
      id: "1-x",
      requester: "alice",
      account: "prod",
      duration: "8h",
      reason: "r",
      request: ITEMS,
      policy: r.policy,
      generator: "gemini/test",
    };
    const plan = planRequest(catalogue, { request, config: config(), accountId: ACCOUNT, now: new Date(NOW), durationSeconds: 3600 });
    expect(plan.verdict.errors).toEqual([]);
    expect(plan.verdict.ok).toBe(true);
    expect(plan.generator).toBe("gemini/test");
  });
});

describe("property: the narrowed policy never allows what the envelope does not", () => {
  const envActions = [...new Set(ENVELOPE.Statement.flatMap((s) => [s.Action].flat()))];
  const envResources = [...new Set(ENVELOPE.Statement.flatMap((s) => [s.Resource].flat()))];
  const foreignActions = [
    "iam:PassRole",
    "iam:AttachUserPolicy",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "s3:GetObjectAcl",
    "ec2:RunInstances",
    "sts:AssumeRole",
    "*",
    "s3:*",
    "s3:Get*",
    "dynamodb:*",
    "iam:*",
    "S3:GETOBJECT",
    "s3:Put*",
  ];
  const foreignResources = [
    "*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::financial-reports*",
    "arn:aws:s3:::financial-reports-evil/*",
    "arn:aws:s3:::financial-reports/2026/*",
    "arn:aws:s3:::financial-reports/a?c",
    `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/*`,
    `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/orders/index/by-date`,
    `arn:aws:dynamodb:*:${ACCOUNT}:table/orders`,
    "arn:aws:iam::111122223333:role/*",
  ];
  const action = fc.oneof(fc.constantFrom(...envActions), fc.constantFrom(...foreignActions));
  const resource = fc.oneof(fc.constantFrom(...envResources), fc.constantFrom(...foreignResources));
  const statement = fc.record(
    {
      Sid: fc.string({ maxLength: 8 }),
      Effect: fc.constantFrom("Allow", "Allow", "Allow", "Deny"),
      Action: fc.array(action, { maxLength: 6 }),
      Resource: fc.array(resource, { maxLength: 4 }),
      Condition: fc.constant({ Bool: { "aws:SecureTransport": "true" } }),
      Principal: fc.constant({ AWS: "*" }),
      justification: fc.string(),
    },
    { requiredKeys: ["Effect", "Action", "Resource"] },
  );

  it("every (action, resource) it allows is allowed by the envelope", () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 5 }), (statements) => {
        const r = narrow(...statements);
        expectWithinEnvelope(r.policy);
        // And by the guardrails' own containment test, per action.
        for (const st of r.policy.Statement) {
          for (const a of [st.Action].flat()) {
            const allowed = ENVELOPE.Statement.filter((e) => [e.Action].flat().includes(a)).flatMap((e) => [e.Resource].flat());
            for (const res of [st.Resource].flat()) expect(resourceWithin(res, allowed)).toBe(true);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("every non-empty narrowed policy passes the pipeline (verdict ok) as the request's policy", () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 4 }), (statements) => {
        const r = narrow(...statements);
        if (r.allowStatements === 0) return;
        const request: AccessRequest = {
          version: 1,
          id: "1-x",
          requester: "alice",
          account: "prod",
          duration: "8h",
          reason: "r",
          request: ITEMS,
          policy: r.policy,
        };
        const plan = planRequest(catalogue, { request, config: config(), accountId: ACCOUNT, now: new Date(NOW), durationSeconds: 3600 });
        expect(plan.verdict.errors).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it("every asked pair that the envelope grants exactly survives (narrowing does not over-drop)", () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 5 }), (statements) => {
        const r = narrow(...statements);
        for (const st of statements) {
          if (st.Effect !== "Allow" || st.Principal !== undefined) continue;
          for (const a of st.Action) {
            if (/[*?]/.test(a)) continue;
            for (const res of st.Resource) {
              if (res.includes("*") || evaluate(ENVELOPE, { action: a, resource: res, currentTime: NOW }).decision !== "Allow") continue;
              const exact = ENVELOPE.Statement.some(
                (e) => [e.Action].flat().some((x) => x.toLowerCase() === a.toLowerCase()) && [e.Resource].flat().includes(res),
              );
              if (!exact) continue;
              expect(evaluate(r.policy, { action: a, resource: res, currentTime: NOW }).decision, `${a} ${res}`).toBe("Allow");
            }
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("pairsOutsideEnvelope: hand-written policies are held to the request pair by pair", () => {
  const POOL: RequestItem[] = [
    { service: "s3", access: ["read"], resources: ["reports-bucket"] },
    { service: "s3", access: ["write"], resources: ["scratch-bucket/tmp/"] },
    { service: "s3", access: ["list"], resources: ["logs-bucket"] },
    { service: "dynamodb", access: ["read"], resources: ["orders"] },
    { service: "dynamodb", access: ["write"], resources: ["scratch"] },
    { service: "dynamodb", actions: ["dynamodb:PutItem"], resources: ["audit"] },
  ];
  const itemPolicies = POOL.map((item) => generatePolicy(catalogue, [item], CTX).policy);
  // An action granted on "*" (no resource-level support) is within the request on "*" only: an
  // ARN there grants nothing in AWS. So the oracle asks the evaluator about ARNs without those.
  const withoutStar = (p: PolicyDocument): PolicyDocument => ({ ...p, Statement: p.Statement.filter((s) => ![s.Resource].flat().includes("*")) });
  const allowsOf = (p: PolicyDocument) => p.Statement.filter((s) => s.Effect === "Allow");

  it("accepted ⇔ every pair lies inside some request item's own policy (property; the evaluator as oracle)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: POOL.length - 1 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 2 })), {
          minLength: 1,
          maxLength: 3,
        }),
        (chosen, picks) => {
          const items = chosen.map((k) => ({ label: `request[${k}]`, policy: itemPolicies[k] as PolicyDocument }));
          const actions = [...new Set(items.flatMap((it) => allowsOf(it.policy).flatMap((s) => [s.Action].flat())))].sort();
          const resources = [...new Set(items.flatMap((it) => allowsOf(it.policy).flatMap((s) => [s.Resource].flat())))].sort();
          const statements: Statement[] = picks.map(([as, rs]) => ({
            Effect: "Allow",
            Action: [...new Set(as.map((n) => actions[n % actions.length] as string))],
            Resource: [...new Set(rs.map((n) => resources[n % resources.length] as string))],
          }));
          const policy: PolicyDocument = { Version: "2012-10-17", Statement: statements };
          const inside = statements.every((s) =>
            [s.Action]
              .flat()
              .every((a) =>
                [s.Resource]
                  .flat()
                  .every((r) =>
                    items.some(
                      (it) => evaluate(r === "*" ? it.policy : withoutStar(it.policy), { action: a, resource: r, currentTime: NOW }).decision === "Allow",
                    ),
                  ),
              ),
          );
          expect(pairsOutsideEnvelope(catalogue, items, policy).length === 0).toBe(inside);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a conditional grant of an item counts only for a statement with the same condition", () => {
    const item = {
      label: "request[0]",
      policy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: BUCKET, Condition: { StringLike: { "s3:prefix": ["tmp/*"] } } }],
      } as PolicyDocument,
    };
    const bare: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:ListBucket", Resource: BUCKET }] };
    expect(pairsOutsideEnvelope(catalogue, [item], bare)[0]?.message).toMatch(/with a Condition this statement lacks/);
    const same: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ ...bare.Statement[0], Condition: { StringLike: { "s3:prefix": "tmp/*" } } } as Statement],
    };
    expect(pairsOutsideEnvelope(catalogue, [item], same)).toEqual([]);
  });
});
