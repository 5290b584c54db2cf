// Scenario: a merged request in a repository whose config sets `conditions:`, through the merge
// handler on the in-memory AccessRepo and createGrants over the in-memory fake AWS (real SDK
// clients): the policy AWS stores carries every block, a call with the right context is allowed
// by it and the same call without is denied; a request whose own policy contradicts a block is
// refused at merge and nothing is attached.
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { grantConditions } from "../src/domain/conditions.js";
import { recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { PolicyDocument } from "../src/domain/types.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { evaluate } from "../src/policy/evaluator.js";
import { blocksOf, failingContexts, passingContext } from "../src/policy/grant-conditions.js";
import { stampGrant } from "../src/policy/stamp.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { approvedMerge, MemoryAccessRepo, memoryRepoConfig } from "./support/memory-repo.js";

const CONFIG = `${memoryRepoConfig(HOME)}conditions:
  secure_transport: true
  source_ip: [203.0.113.0/24]
  mfa: true
  s3_encryption: true
  region: [us-east-1]
`;
const ID = "7-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
const NOW = new Date("2026-11-27T10:00:00Z");
const EXPIRES = "2026-11-27T11:59:00Z";

let merged: MergedPr;

function repoWith(policy: PolicyDocument): MemoryAccessRepo {
  const text = dumpRequest(
    testRequest({ id: ID, duration: "2h", policy, request: [{ service: "s3", access: ["read", "write", "list"], resources: ["financial-reports"] }] }),
    "proposed",
  );
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG, [FILE]: text });
  repo.setRef(BASE, { [CONFIG_PATH]: CONFIG });
  repo.setRef(MERGE, { [CONFIG_PATH]: CONFIG, [FILE]: text });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  repo.issueLabels.set(8, ["jit:proposed"]);
  merged = approvedMerge(repo, { pr: 8, id: ID, file: FILE, text, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
  return repo;
}

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

describe("a grant in a repository with condition blocks", () => {
  const parsed = parseConfig(CONFIG);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const blocks = grantConditions(parsed.value, "prod");

  it("the attached policy carries every block; each bites on the attached document", async () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "S3ReadWrite", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: ["arn:aws:s3:::financial-reports/*"] },
        { Sid: "S3ListBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::financial-reports"] },
      ],
    };
    const repo = repoWith(policy);
    const out = await grantMergedOnce(repo, merged, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted", id: ID });
    expect(recordStatus(repo.files.get(FILE)!)).toBe("active");

    const iam = fake.state.accounts.get(HOME)!.iam;
    const [arn] = iam.users.get("alice")!.attached;
    const attached = JSON.parse(iam.policies.get(arn!)!.versions.get("v1")!.document) as PolicyDocument;
    expect(attached).toEqual(stampGrant(policy, EXPIRES, blocks));

    const put = { action: "s3:PutObject", resource: "arn:aws:s3:::financial-reports/q4.csv", currentTime: "2026-11-27T10:30:00Z" };
    expect(evaluate(attached, { ...put, context: passingContext(blocks) }).decision).toBe("Allow");
    expect(blocksOf(blocks)).toEqual(["secure_transport", "network", "mfa", "s3_encryption", "region"]);
    for (const block of blocksOf(blocks)) {
      for (const context of failingContexts(blocks, block, (a) => a.startsWith("203.0.113."))) {
        expect({ block, context, decision: evaluate(attached, { ...put, context }).decision }).toEqual({
          block,
          context,
          decision: expect.stringMatching(/Deny$/) as unknown,
        });
      }
    }
  });

  it("a policy that contradicts a block is refused at merge: nothing attached, the record says why", async () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::financial-reports/*"], Condition: { Bool: { "aws:SecureTransport": "false" } } },
      ],
    };
    const repo = repoWith(policy);
    const before = fake.snapshot();
    const out = await grantMergedOnce(repo, merged, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    expect(out).toMatchObject({ kind: "blocked", codes: ["guardrail.condition-conflict"] });
    expect(recordStatus(repo.files.get(FILE)!)).toBe("rejected");
    expect(fake.snapshot()).toEqual(before);
  });

  it("the sample policy of the fixtures grants too (no uploads: no encryption statement)", async () => {
    const out = await grantMergedOnce(repoWith(testPolicy()), merged, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    expect(out).toMatchObject({ kind: "granted" });
  });
});
