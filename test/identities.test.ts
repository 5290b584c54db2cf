// Identities as code, the file rules: identities/people.yaml and identities/roles.yaml read,
// validated against the schema and the rules it cannot say, every refusal a code naming the field;
// principals derived from the people listed; the CSV import of the founding document's format.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { configFromObject } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { importUsersCsv, parseCsv } from "../src/domain/identities-csv.js";
import { diffIdentity, planIdentityChanges, type ActualIdentity, type DesiredIdentity } from "../src/domain/identities-plan.js";
import { loadIdentities, parseIdentitiesFile, trustPolicy, withIdentityPrincipals, type Identities } from "../src/domain/identities.js";
import type { Config } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { checkIdentities } from "../src/policy/identity-baseline.js";
import { testConfig, TEST_ACCOUNT } from "./support/config-fixtures.js";

export const IDENTITY_CONFIG: Config = testConfig({
  identities: {
    enabled: true,
    account: "prod",
    path: "/jit-access-grantees/",
    allowed_policies: ["ViewOnlyAccess", "team-readonly"],
    onboarding: { channel: "none" },
  },
});

export const PEOPLE = `version: 1
people:
  - login: alice
    email: alice@example.com
    name: Alice Example
    kind: iam_user
    policies:
      - managed: ViewOnlyAccess
      - generated:
          - service: s3
            access: [read, list]
            resources: [reports]
    tags:
      team: data
  - login: bob
    email: bob@example.com
    name: Bob Example
    kind: iam_user
`;

export const ROLES = `version: 1
roles:
  - name: ci-deployer
    trust:
      template: github-oidc
      repository: acme/app
      ref: refs/heads/main
    policies:
      - customer_managed: team-readonly
`;

const catalogue = loadCatalogue();

function check(people: string | undefined, roles?: string, config: Config = IDENTITY_CONFIG) {
  return checkIdentities(
    catalogue,
    [
      { path: "identities/people.yaml", text: people },
      { path: "identities/roles.yaml", text: roles },
    ],
    config,
  );
}

function codes(people: string | undefined, roles?: string, config?: Config): string[] {
  const r = check(people, roles, config);
  return r.ok ? [] : codesOf(r.problems);
}

describe("identity files", () => {
  it("accept people and roles, and generate the baseline through the policy pipeline", () => {
    const r = check(PEOPLE, ROLES);
    expect(r.ok, r.ok ? "" : JSON.stringify(r.problems)).toBe(true);
    if (!r.ok) return;
    expect(r.value.people.map((p) => p.login)).toEqual(["alice", "bob"]);
    expect(r.value.roles.map((x) => x.name)).toEqual(["ci-deployer"]);
    const alice = r.value.people[0]!;
    const generated = r.value.generated.get(alice)?.get(1);
    expect(JSON.stringify(generated)).toContain("arn:aws:s3:::reports");
    // A baseline is standing access: no expiry condition is stamped into it.
    expect(JSON.stringify(generated)).not.toContain("aws:CurrentTime");
  });

  // One bad input per rule: the code, and the field it names.
  const bad: Array<[string, string | undefined, string | undefined, string, string]> = [
    ["duplicate login", PEOPLE.replace("login: bob", "login: Alice"), undefined, "identity.duplicate-login", "identities/people.yaml: people[1].login"],
    ["malformed e-mail", PEOPLE.replace("bob@example.com", "bob@@example"), undefined, "identity.email-invalid", "identities/people.yaml: people[1].email"],
    ["e-mail without a domain", PEOPLE.replace("bob@example.com", "bob"), undefined, "identity.email-invalid", "identities/people.yaml: people[1].email"],
    [
      "unknown managed policy",
      PEOPLE.replace("managed: ViewOnlyAccess", "managed: ReadOnlyAccess"),
      undefined,
      "identity.policy-not-allowed",
      "identities/people.yaml: people[0].policies[0].managed",
    ],
    [
      "AdministratorAccess",
      PEOPLE.replace("managed: ViewOnlyAccess", "managed: AdministratorAccess"),
      undefined,
      "identity.policy-privileged",
      "identities/people.yaml: people[0].policies[0].managed",
    ],
    [
      "unknown trust template",
      PEOPLE,
      ROLES.replace("template: github-oidc", "template: anyone"),
      "identity.trust-template-unknown",
      "identities/roles.yaml: roles[0].trust.template",
    ],
    ["a wildcard repository", PEOPLE, ROLES.replace("acme/app", "acme/*"), "identity.trust-invalid", "identities/roles.yaml: roles[0].trust.repository"],
    ["a wildcard ref", PEOPLE, ROLES.replace("refs/heads/main", "refs/heads/*"), "identity.trust-invalid", "identities/roles.yaml: roles[0].trust.ref"],
    ["duplicate role", PEOPLE, ROLES + ROLES.split("roles:\n")[1], "identity.duplicate-name", "identities/roles.yaml: roles[1].name"],
    [
      "same user name twice",
      PEOPLE.replace("kind: iam_user\n    policies", "kind: iam_user\n    user_name: shared\n    policies").replace(
        "name: Bob Example\n",
        "name: Bob Example\n    user_name: SHARED\n",
      ),
      undefined,
      "identity.duplicate-name",
      "identities/people.yaml: people[1].user_name",
    ],
    [
      "groups on an IAM user",
      PEOPLE.replace("kind: iam_user\n    policies", "kind: iam_user\n    groups: [devs]\n    policies"),
      undefined,
      "identity.groups-not-sso",
      "identities/people.yaml: people[0].groups",
    ],
    [
      "an sso_user in iam mode",
      PEOPLE.replace("name: Bob Example\n    kind: iam_user", "name: Bob Example\n    kind: sso_user"),
      undefined,
      "identity.kind-mode",
      "identities/people.yaml: people[1].kind",
    ],
    [
      "a generated baseline that is high risk",
      PEOPLE.replace("access: [read, list]", "access: [permissions-management]").replace("service: s3", "service: s3"),
      undefined,
      "identity.baseline-high-risk",
      "identities/people.yaml: people[0].policies[1].generated",
    ],
    [
      "a generated baseline on *",
      PEOPLE.replace("resources: [reports]", 'resources: ["*"]'),
      undefined,
      "request.resource-too-wide",
      "identities/people.yaml: people[0].policies[1].generated",
    ],
    ["a path in the name", PEOPLE.replace("login: bob\n", "login: bob\n    user_name: ../admin\n"), undefined, "schema.pattern", "people[1].user_name"],
    ["an ARN as the role name", PEOPLE, ROLES.replace("name: ci-deployer", "name: arn:aws:iam::123456789012:role/admin"), "schema.pattern", "roles[0].name"],
    ["an unknown field (a path)", PEOPLE.replace("login: bob\n", "login: bob\n    path: /\n"), undefined, "schema.unknown-field", "people[1].path"],
    ["a reserved tag", PEOPLE.replace("team: data", "jit-access:managed-by: me"), undefined, "schema.key-not-allowed", "people[0].tags"],
    ["YAML aliases", "version: 1\npeople: &p []\nroles: *p\n", undefined, "yaml.alias", ""],
  ];
  it.each(bad)("%s → a failing check naming the field", (_name, people, roles, code, path) => {
    const r = check(people, roles);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(codesOf(r.problems)).toContain(code);
    const hit = r.problems.find((p) => p.code === code)!;
    expect(hit.path).toContain(path);
    // The message names the file, so a check run over two files says which one.
    if (code.startsWith("identity.")) expect(hit.path.startsWith("identities/") || hit.message.includes("identities/")).toBe(true);
  });

  it("a privileged policy in the config's allowed list is itself refused", () => {
    const r = configFromObject({ aws: { accounts: { prod: TEST_ACCOUNT } }, identities: { allowed_policies: ["ViewOnlyAccess", "AdministratorAccess"] } });
    expect(r.ok ? [] : codesOf(r.problems)).toEqual(["config.identities-privileged-policy"]);
  });

  it("identities.account must be a configured account once identities are enabled", () => {
    const config = { ...IDENTITY_CONFIG, identities: { ...IDENTITY_CONFIG.identities, account: "staging" } };
    expect(codes(PEOPLE, undefined, config)).toContain("identity.account-unknown");
  });

  it("property: a login listed twice, in any spelling of its case and in either file, is refused", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/), fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }), fc.boolean(), (login, upper, split) => {
        const twin = [...login].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join("");
        const person = (l: string, n: number) => `  - login: ${l}\n    email: p${n}@example.com\n    name: P ${n}\n    kind: iam_user\n    user_name: u${n}\n`;
        const people = `version: 1\npeople:\n${person(login, 1)}${split ? "" : person(twin, 2)}`;
        const roles = split ? `version: 1\npeople:\n${person(twin, 2)}` : undefined;
        expect(codes(people, roles)).toContain("identity.duplicate-login");
      }),
      { numRuns: 60 },
    );
  });

  it("property: an address with one @ and a dotted domain is accepted; text without exactly one @ is refused", () => {
    const withEmail = (email: string) => codes(PEOPLE.replace("bob@example.com", () => JSON.stringify(email)));
    fc.assert(
      fc.property(
        fc.emailAddress().filter((e) => e.split("@")[1]!.includes(".")),
        (email) => {
          expect(withEmail(email)).toEqual([]);
        },
      ),
      { numRuns: 80 },
    );
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }).filter((s) => s.split("@").length !== 2),
        (text) => {
          expect(withEmail(text)).toContain("identity.email-invalid");
        },
      ),
      { numRuns: 80 },
    );
  });

  it("the files are optional: none at all is an empty set", () => {
    const r = loadIdentities([{ path: "identities/people.yaml", text: undefined }], IDENTITY_CONFIG);
    expect(r.ok && r.value.people.length + r.value.roles.length).toBe(0);
  });
});

describe("trust templates", () => {
  it("github-oidc pins the one repository and ref; aws-service the service and the account", () => {
    const oidc = trustPolicy({ template: "github-oidc", repository: "acme/app", ref: "refs/heads/main" }, { partition: "aws", accountId: TEST_ACCOUNT });
    expect(JSON.stringify(oidc)).toContain('"token.actions.githubusercontent.com:sub":"repo:acme/app:ref:refs/heads/main"');
    expect(JSON.stringify(oidc)).toContain('"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"');
    const svc = trustPolicy({ template: "aws-service", service: "lambda" }, { partition: "aws", accountId: TEST_ACCOUNT });
    expect(JSON.stringify(svc)).toContain('"Service":"lambda.amazonaws.com"');
    expect(JSON.stringify(svc)).toContain(`"aws:SourceAccount":"${TEST_ACCOUNT}"`);
    // No template can name "*" or another account as the principal.
    for (const t of [oidc, svc]) expect(JSON.stringify(t)).not.toMatch(/"Principal":"\*"|"AWS":/);
  });

  it("table: each template refuses the other template's fields and needs its own", () => {
    const roles = (trust: string) => `version: 1\nroles:\n  - name: r\n    trust: ${trust}\n`;
    const cases: Array<[string, string]> = [
      ["{ template: github-oidc, repository: acme/app }", "identity.trust-invalid"],
      ["{ template: github-oidc, repository: acme/app, ref: refs/heads/main, environment: prod }", "identity.trust-invalid"],
      ["{ template: github-oidc, repository: acme/app, ref: refs/heads/main, service: lambda }", "identity.trust-invalid"],
      ["{ template: aws-service, service: s3 }", "identity.trust-invalid"],
      ["{ template: aws-service, service: lambda, repository: acme/app }", "identity.trust-invalid"],
      ["{ template: account-root }", "identity.trust-template-unknown"],
    ];
    for (const [trust, code] of cases) expect(codes(undefined, roles(trust)), trust).toEqual([code]);
    expect(codes(undefined, roles("{ template: aws-service, service: ecs-tasks }"))).toEqual([]);
    expect(codes(undefined, roles("{ template: github-oidc, repository: acme/app, environment: prod }"))).toEqual([]);
  });
});

describe("principals derived from identities", () => {
  const ids = (text: string): Identities => {
    const r = loadIdentities([{ path: "identities/people.yaml", text }], IDENTITY_CONFIG);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.value;
  };

  it("a listed login needs no principals entry; principals stays an override", () => {
    const config = { ...IDENTITY_CONFIG, principals: { bob: { iam_role: "bob-admin-role" } } };
    const derived = withIdentityPrincipals(config, ids(PEOPLE));
    expect(derived.principals.alice).toEqual({ iam_user: "alice" });
    expect(derived.principals.bob).toEqual({ iam_role: "bob-admin-role" });
  });

  it("only people of the kind the mode grants to become principals", () => {
    const sso = { ...IDENTITY_CONFIG, aws: { ...IDENTITY_CONFIG.aws, mode: "identity-center" as const } };
    expect(withIdentityPrincipals(sso, ids(PEOPLE)).principals).toEqual({});
  });
});

describe("CSV import (the founding document's users.csv)", () => {
  it("converts username,email,policy rows into people for review", () => {
    const csv =
      "username,email,policy_arn\nalice,alice@example.com,arn:aws:iam::aws:policy/ViewOnlyAccess\nbob,bob@example.com,arn:aws:iam::123456789012:policy/team-readonly\n";
    const r = importUsersCsv(csv, { kind: "iam_user", source: "users.csv" });
    expect(r.ok, r.ok ? "" : JSON.stringify(r.problems)).toBe(true);
    if (!r.ok) return;
    expect(r.value.file.people).toEqual([
      { login: "alice", email: "alice@example.com", name: "alice", kind: "iam_user", policies: [{ managed: "ViewOnlyAccess" }] },
      { login: "bob", email: "bob@example.com", name: "bob", kind: "iam_user", policies: [{ customer_managed: "team-readonly" }] },
    ]);
    // The output is an identities file the checks accept.
    const parsed = parseIdentitiesFile(r.value.text, "identities/people.yaml");
    expect(parsed.ok).toBe(true);
    expect(r.value.text).toMatch(/^# Imported from users\.csv/);
  });

  it.each([
    ["no e-mail column", "username,policy\nalice,ViewOnlyAccess\n", "identity.csv-header"],
    ["an unknown column", "username,email,shoe_size\nalice,a@example.com,9\n", "identity.csv-header"],
    ["a malformed e-mail", "username,email\nalice,alice-at-example\n", "identity.email-invalid"],
    ["a login that is not a GitHub login", "username,email\nalice smith,a@example.com\n", "identity.csv-row"],
    ["an unclosed quote", 'username,email\n"alice,a@example.com\n', "identity.csv-syntax"],
    ["too many cells", "username,email\nalice,a@example.com,extra\n", "identity.csv-row"],
  ])("%s → %s", (_name, csv, code) => {
    const r = importUsersCsv(csv, { kind: "iam_user", source: "users.csv" });
    expect(r.ok ? [] : codesOf(r.problems)).toContain(code);
  });

  it("property: quoted cells round-trip through the CSV reader", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (rows) => {
        const text = rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(",")).join("\r\n");
        const parsed = parseCsv(text);
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.value).toEqual(rows.filter((r) => r.some((c) => c.trim() !== "")));
      }),
      { numRuns: 100 },
    );
  });
});

describe("planning identity changes (pure)", () => {
  const identity = fc.record({
    kind: fc.constantFrom("iam_user" as const, "iam_role" as const),
    name: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
    managedPolicies: fc.uniqueArray(fc.constantFrom("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "arn:aws:iam::123456789012:policy/x"), {
      maxLength: 2,
    }),
    inlinePolicies: fc.dictionary(fc.constantFrom("jit-access-baseline-0", "jit-access-baseline-1"), fc.constantFrom('{"a":1}', '{"b":2}')),
    tags: fc.dictionary(fc.constantFrom("team", "jit-access:managed-by"), fc.constantFrom("a", "jit-access")),
    groups: fc.constant([] as string[]),
  });
  const unique = (xs: DesiredIdentity[]) => xs.filter((x, i) => xs.findIndex((y) => y.kind === x.kind && y.name === x.name) === i);

  it("property: AWS already as desired → no change; nothing there → one create each; only managed identities are updated or removed", () => {
    fc.assert(
      fc.property(fc.array(identity, { maxLength: 6 }), fc.array(identity, { maxLength: 6 }), fc.boolean(), (want, have, managed) => {
        const desired = unique(want.map((w) => ({ ...w, managedPolicies: [...w.managedPolicies].sort() })));
        const actual: ActualIdentity[] = unique(have).map((h) => ({
          ...h,
          managedPolicies: [...h.managedPolicies].sort(),
          path: "/jit-access-grantees/",
          managed,
        }));
        expect(
          planIdentityChanges(
            desired,
            desired.map((d) => ({ ...d, path: "/jit-access-grantees/", managed: true })),
          ),
        ).toEqual([]);
        expect(planIdentityChanges(desired, []).map((c) => c.op)).toEqual(desired.map(() => "create"));
        const plan = planIdentityChanges(desired, actual);
        for (const c of plan) {
          if (c.op === "update") expect(c.before.managed).toBe(true);
          if (c.op === "remove") expect(c.actual.managed).toBe(true);
          if (c.op === "refuse") expect(c.actual.managed).toBe(false);
        }
        // Removals come after every create and update.
        const ops = plan.map((c) => c.op);
        const firstRemove = ops.indexOf("remove");
        if (firstRemove >= 0) expect(ops.slice(firstRemove).every((o) => o === "remove")).toBe(true);
        // Applying an update's diff to the actual gives the desired.
        for (const c of plan)
          if (c.op === "update") {
            expect(diffIdentity(c.identity, c.identity)).toBeUndefined();
            expect(c.update.attach.every((a) => c.identity.managedPolicies.includes(a))).toBe(true);
            expect(c.update.detach.every((a) => !c.identity.managedPolicies.includes(a))).toBe(true);
          }
      }),
      { numRuns: 150 },
    );
  });
});
