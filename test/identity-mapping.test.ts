// Identity Center mode without hand-written principals: a GitHub login is mapped to the one
// identity-store user whose user name or e-mail matches (aws.identity_center.map_logins); none or
// several refuse with a code and nothing is created. principals stays the explicit override.
import fc from "fast-check";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { GrantError, grantFailureCode } from "../src/aws/grants.js";
import { IdentityMappingError } from "../src/aws/identity-center.js";
import { mappedValue, resolveTarget } from "../src/aws/target.js";
import { configFromObject } from "../src/domain/config.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { parseRequestFile } from "../src/domain/request.js";
import type { Config } from "../src/domain/types.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { CROSS_ROLE, EXPIRES, fakeGrants, OTHER, seed, testConfig, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());
beforeEach(() => {
  fake.reset();
  seed(fake);
});

function mapped(attribute: "user_name" | "email", format?: string, principals: Record<string, unknown> = {}): Config {
  const base = testConfig("identity-center");
  const r = configFromObject({
    aws: {
      ...base.aws,
      identity_center: { ...base.aws.identity_center, map_logins: { attribute, ...(format ? { format } : {}) } },
    },
    principals,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const dana = () => testRequest({ account: "other", requester: "Dana" });

describe("map_logins", () => {
  it("by e-mail: the one user with that address gets the assignment", async () => {
    const id = fake.addSsoUser("dana.smith", ["dana@example.com"]);
    const grants = fakeGrants(fake, mapped("email", "{login}@example.com"));
    const result = await grants.grant(dana(), testPolicy(), EXPIRES);
    expect(result.principal).toMatchObject({ kind: "sso_user", id, name: "dana@example.com" });
    expect([...fake.state.sso.assignments.values()].map((a) => a.principalId)).toEqual([id]);
  });

  it("by user name: the login (lower case) in the format", async () => {
    const id = fake.addSsoUser("dana");
    const result = await fakeGrants(fake, mapped("user_name")).grant(dana(), testPolicy(), EXPIRES);
    expect(result.principal).toMatchObject({ id });
  });

  it("reads every page of users", async () => {
    for (let i = 0; i < 230; i++) fake.addSsoUser(`user${i}`, [`user${i}@example.com`]);
    const id = fake.addSsoUser("dana.smith", ["Dana@Example.com"]);
    const result = await fakeGrants(fake, mapped("email", "{login}@example.com")).grant(dana(), testPolicy(), EXPIRES);
    expect(result.principal).toMatchObject({ id });
    expect(fake.calls.filter((c) => c.op === "ListUsers").length).toBe(3);
  });

  it.each([
    ["no user has the address", [] as string[][], "aws.identity-unmapped"],
    ["two users share the address", [["dana@example.com"], ["dana@example.com"]], "aws.identity-ambiguous"],
  ] as const)("%s → %s, and nothing is created", async (_n, users, code) => {
    users.forEach((emails, i) => fake.addSsoUser(`dana${i}`, [...emails]));
    const before = fake.snapshot();
    const grants = fakeGrants(fake, mapped("email", "{login}@example.com"));
    const error = await grants.grant(dana(), testPolicy(), EXPIRES).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrantError);
    expect((error as GrantError).cause).toBeInstanceOf(IdentityMappingError);
    expect(grantFailureCode(error)).toBe(code);
    expect(fake.snapshot()).toEqual(before);
  });

  it("a user name that does not exist → aws.identity-unmapped", async () => {
    const error = await fakeGrants(fake, mapped("user_name"))
      .grant(dana(), testPolicy(), EXPIRES)
      .catch((e: unknown) => e);
    expect(grantFailureCode(error)).toBe("aws.identity-unmapped");
  });

  it("principals stays the explicit override", async () => {
    const config = mapped("email", "{login}@example.com", { Dana: { sso_user: "alice@example.com" } });
    const target = resolveTarget(config, dana());
    expect(target.ok && target.value.principal).toEqual({ kind: "sso_user", name: "alice@example.com" });
    const result = await fakeGrants(fake, config).grant(dana(), testPolicy(), EXPIRES);
    expect(result.principal).toMatchObject({ id: fake.state.sso.users.get("alice@example.com") });
  });

  it("a requester without principals is accepted by the file rules only when logins are mapped", () => {
    const file = `access-requests/other/2026/${dana().id}.yaml`;
    const text = dumpRequest(dana());
    const withMap = mapped("email", "{login}@example.com", { alice: { sso_user: "alice@example.com" } });
    expect(parseRequestFile(text, { file, config: withMap }).ok).toBe(true);
    const without = testConfig("identity-center");
    const r = parseRequestFile(text, { file, config: without });
    expect(r.ok ? [] : r.problems.map((p) => p.code)).toEqual(["request.no-principal"]);
  });

  it("iam mode never maps (principals only)", () => {
    const base = mapped("user_name");
    const iam = { ...base, aws: { ...base.aws, mode: "iam" as const } };
    const t = resolveTarget(iam, dana());
    expect(t.ok ? [] : t.problems.map((p) => p.code)).toEqual(["aws.target-unresolved"]);
  });

  it("the value is the format with the login lower-cased, whatever the login (property)", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9](-?[A-Za-z0-9]){0,10}$/), fc.constantFrom("{login}", "{login}@example.com", "gh-{login}"), (login, format) => {
        const v = mappedValue({ attribute: "email", format }, login);
        expect(v).toBe(format.replace("{login}", login.toLowerCase()));
        expect(v).not.toMatch(/[A-Z{}]/);
      }),
    );
  });

  it("an OTHER-account grant maps the same way (the store is the app's own)", async () => {
    const id = fake.addSsoUser("dana", ["dana@example.com"]);
    const result = await fakeGrants(fake, mapped("email", "{login}@example.com")).grant(dana(), testPolicy(), EXPIRES);
    expect(result.accountId).toBe(OTHER);
    expect(result.principal).toMatchObject({ id });
  });
});

describe("a merge whose login maps ambiguously", () => {
  it("is recorded failed with closed.code aws.identity-ambiguous, and nothing is left in AWS", async () => {
    const { MemoryAccessRepo, blobSha } = await import("./support/memory-repo.js");
    const { grantMergedOnce } = await import("../src/github/grant.js");
    const { CONFIG_PATH } = await import("../src/domain/config.js");
    const { loadYamlMapping } = await import("../src/domain/yaml.js");
    fake.addSsoUser("dana1", ["dana@example.com"]);
    fake.addSsoUser("dana2", ["dana@example.com"]);
    const before = fake.snapshot();
    const config = mapped("email", "{login}@example.com");
    const configText = `aws:
  mode: identity-center
  region: us-east-1
  accounts:
    other: { id: "${OTHER}", role_arn: "${CROSS_ROLE}" }
  identity_center:
    instance_arn: ${config.aws.identity_center!.instance_arn}
    identity_store_id: ${config.aws.identity_center!.identity_store_id}
    map_logins: { attribute: email, format: "{login}@example.com" }
approvers: [bob]
`;
    const request = testRequest({ account: "other", requester: "dana", id: "7-reports", policy: testPolicy(), duration: "2h" });
    const file = "access-requests/other/2026/7-reports.yaml";
    const text = dumpRequest(request);
    const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
    const repo = new MemoryAccessRepo({ [CONFIG_PATH]: configText, [file]: text });
    repo.setRef(BASE, { [CONFIG_PATH]: configText });
    repo.setRef(MERGE, { [CONFIG_PATH]: configText, [file]: text });
    repo.issues.set(7, { number: 7, author: { login: "dana", type: "User" }, state: "open", isPull: false });
    repo.commitsBySha.set(MERGE, {
      sha: MERGE,
      parents: [BASE, HEAD],
      message: "Merge",
      author: { name: "b", email: "b@example.com", date: "2026-11-27T09:59:00Z" },
    });
    repo.pulls.set(8, {
      number: 8,
      files: [{ path: file, status: "added", previousPath: null, sha: blobSha(text) }],
      commits: [
        {
          sha: HEAD,
          parents: [BASE],
          message: "propose",
          gitAuthor: { name: "jit", email: "jit@example.com", date: "2026-11-27T09:00:00Z" },
          author: { login: "jit-access[bot]", type: "Bot" },
          committer: { login: "jit-access[bot]", type: "Bot" },
        },
      ],
      reviews: [{ id: 1, user: { login: "bob", type: "User" }, state: "APPROVED", commit_id: HEAD, submitted_at: "2026-11-27T09:30:00Z" }],
    });
    const now = new Date("2026-11-27T10:00:00Z");
    const out = await grantMergedOnce(
      repo,
      {
        number: 8,
        merged: true,
        mergeCommitSha: MERGE,
        mergedAt: "2026-11-27T09:59:00Z",
        headSha: HEAD,
        headRef: "jit/7-reports",
        baseSha: BASE,
        author: { login: "jit-access[bot]", type: "Bot" },
        changedFiles: 1,
      },
      { grantsFor: (c) => fakeGrants(fake, c), now: () => now },
    );
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "failed" });
    const record = loadYamlMapping(repo.files.get(file)!, "request file");
    expect(record.ok && record.value).toMatchObject({ status: "failed", closed: { code: "aws.identity-ambiguous" } });
    expect(fake.snapshot()).toEqual(before);
  });
});
