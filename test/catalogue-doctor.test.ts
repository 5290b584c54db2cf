// doctor's and validate's view of the catalogue: every kind of bad entry gets a clear failure of
// the catalogue check alone (the other checks are unaffected), and the issue form's dropdown is
// compared with the config.
import { readFileSync } from "node:fs";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { catalogueFormOptions, catalogueProblems, formCatalogueOptions } from "../src/domain/access-catalogue.js";
import { configFromObject } from "../src/domain/config.js";
import type { Config } from "../src/domain/types.js";
import { catalogueCheck } from "../src/doctor/catalogue-check.js";

const FORM = yaml.load(readFileSync(new URL("../.github/ISSUE_TEMPLATE/access-request.yml", import.meta.url), "utf8"));
const PS_ARN = "arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222";

function cfg(catalogue: Record<string, unknown>, mode: "iam" | "identity-center" = "identity-center"): Config {
  const r = configFromObject({
    aws: {
      mode,
      accounts: { prod: "111122223333" },
      scheduler_role_arn: "arn:aws:iam::111122223333:role/jit-access-scheduler",
      ...(mode === "identity-center"
        ? { identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id: "d-1111111111" } }
        : {}),
    },
    catalogue,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const readOnly = { kind: "permission_set", description: "read only", accounts: ["prod"], permission_set: "ReadOnly", eligible: ["@acme/devs"] };
const formWith = (options: string[]) => ({ body: [{ type: "dropdown", id: "catalogue", attributes: { label: "Catalogue entry", options } }] });
const good = {
  form: { ok: true as const, value: formWith(["none", "read-only"]) },
  teams: { ok: true as const, value: { "@acme/devs": true } },
  permissionSets: { ok: true as const, value: [{ arn: PS_ARN, name: "ReadOnly" }] },
  bundles: { ok: true as const, value: { "read-only": { risk: "high" as const, adminLike: false, codes: ["guardrail.unscoped-resource"] } } },
};

describe("doctor's catalogue check", () => {
  it("a usable catalogue passes", () => {
    expect(catalogueCheck(cfg({ "read-only": readOnly }), good)).toMatchObject({ id: "catalogue", status: "ok" });
    expect(catalogueCheck(cfg({ "read-only": { ...readOnly, permission_set: PS_ARN } }), good).status).toBe("ok");
  });

  it.each([
    ["an unknown permission set", { "read-only": { ...readOnly, permission_set: "Admin" } }, good, /no permission set "Admin"/],
    [
      "an entry for an account that is not listed",
      { "read-only": { ...readOnly, accounts: ["prod", "dev"] } },
      good,
      /"dev" is not an alias under aws.accounts/,
    ],
    [
      "eligibility naming an unknown team",
      { "read-only": readOnly },
      { ...good, teams: { ok: true as const, value: { "@acme/devs": false } } },
      /team @acme\/devs .* does not exist/,
    ],
    [
      "a form out of step",
      { "read-only": readOnly, other: { ...readOnly, permission_set: PS_ARN } },
      good,
      /offers \["none","read-only"\], the config has \["none","other","read-only"\]/,
    ],
    ["a form without the dropdown", { "read-only": readOnly }, { ...good, form: { ok: true as const, value: { body: [] } } }, /has no catalogue dropdown/],
  ])("%s fails the catalogue check with a clear message", (_n, catalogue, facts, message) => {
    const r = catalogueCheck(cfg(catalogue), facts);
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(message);
    expect(r.fix).toBeTruthy();
  });

  it("what could not be read is a warning naming it, never a pass", () => {
    const r = catalogueCheck(cfg({ "read-only": readOnly }), { ...good, teams: { ok: false, error: "403 Forbidden" } });
    expect(r).toMatchObject({ status: "warn", message: expect.stringContaining("403 Forbidden") });
    expect(catalogueCheck(cfg({ "read-only": readOnly }), { form: good.form }).status).toBe("warn");
  });

  it.each([
    ["permission_set", "identity-center", true, "CataloguePermissionSetArns"],
    ["permission_set", "identity-center", false, "CataloguePermissionSetArns"],
    ["managed_policy", "iam", true, "CatalogueManagedPolicyArns"],
    ["managed_policy", "iam", false, "CatalogueManagedPolicyArns"],
  ] as const)(
    "a %s bundle (%s mode) that is AdministratorAccess-like (%s) names %s as a privilege decision exactly then",
    (kind, mode, adminLike, parameter) => {
      const entry =
        kind === "managed_policy"
          ? { kind, description: "admin", accounts: ["prod"], policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess" }
          : { ...readOnly, eligible: undefined };
      const facts = {
        form: { ok: true as const, value: formWith(["none", "admin"]) },
        permissionSets: good.permissionSets,
        bundles: { ok: true as const, value: { admin: { risk: "high" as const, adminLike, codes: [] } } },
      };
      const r = catalogueCheck(cfg({ admin: entry }, mode), facts);
      expect(r.status).toBe("ok");
      expect(r.message.includes(parameter)).toBe(adminLike);
      if (adminLike) expect(r.message).toMatch(/AdministratorAccess-like access \(listing it in the deploy stack's \w+ is a privilege decision/);
    },
  );

  it("no catalogue and the bundled form: ok", () => {
    expect(catalogueCheck(cfg({}, "iam"), { form: { ok: true, value: FORM } })).toMatchObject({ status: "ok", message: "no catalogue entries" });
  });
});

describe("the issue form's dropdown", () => {
  it("the bundled form offers only none, which is what a config without catalogue wants", () => {
    expect(formCatalogueOptions(FORM)).toEqual(["none"]);
    expect(catalogueFormOptions(cfg({}, "iam"))).toEqual(["none"]);
  });

  it("the options are none and the entry names, sorted", () => {
    expect(catalogueFormOptions(cfg({ b: readOnly, a: readOnly }))).toEqual(["none", "a", "b"]);
  });
});

describe("validate reports a broken catalogue and still validates every file", () => {
  it("an entry for an unlisted account: the config line fails, the request files are judged as before", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, cpSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { main } = await import("../src/cli/main.js");
    const dir = mkdtempSync(join(tmpdir(), "jit-cat-"));
    try {
      mkdirSync(join(dir, ".github"), { recursive: true });
      mkdirSync(join(dir, "access-requests/examples"), { recursive: true });
      writeFileSync(join(dir, ".git"), "gitdir: nowhere\n");
      writeFileSync(
        join(dir, ".github/jit-access.yml"),
        `aws:\n  accounts:\n    prod: "111122223333"\n    staging: "444455556666"\ncatalogue:\n  dba:\n    kind: role\n    description: dba role\n    accounts: [prod, dev]\n    role: dba\n`,
      );
      cpSync(
        new URL("../access-requests/examples/142-financial-reports.yaml", import.meta.url),
        join(dir, "access-requests/examples/142-financial-reports.yaml"),
      );
      let out = "";
      const code = await main(["validate", "--json"], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => undefined }, cwd: dir });
      const results = JSON.parse(out) as Array<{ file: string; ok: boolean; errors: Array<{ code: string; path: string }> }>;
      expect(code).toBe(1);
      expect(results[0]).toMatchObject({
        file: ".github/jit-access.yml",
        ok: false,
        errors: [{ code: "config.catalogue-unknown-account", path: "catalogue.dba.accounts[1]" }],
      });
      expect(results.slice(1)).toEqual([{ file: "access-requests/examples/142-financial-reports.yaml", ok: true, errors: [] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("doctor reads what managed-policy and permission-set entries allow (fake AWS)", () => {
  it("AdministratorAccess-like content is high; an entry that lowers it is a warning naming both", async () => {
    const { createFakeAws } = await import("./support/fake-aws/index.js");
    const { gatherAwsFacts } = await import("../src/doctor/aws-facts.js");
    const { CreatePermissionSetCommand, PutInlinePolicyToPermissionSetCommand } = await import("@aws-sdk/client-sso-admin");
    const fake = createFakeAws();
    try {
      const HOME = fake.homeAccount;
      const admin = "arn:aws:iam::aws:policy/AdministratorAccess";
      const version = { document: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }), isDefault: true };
      fake.account(HOME).iam.policies.set(admin, {
        name: "AdministratorAccess",
        path: "/",
        arn: admin,
        id: "ANPAADMIN",
        description: "",
        tags: [],
        versions: new Map([["v1", version]]),
        nextVersion: 2,
      });
      const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
      const ps = await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "Reports" }));
      const psArn = ps.PermissionSet!.PermissionSetArn!;
      await fake.clients.ssoAdmin.send(
        new PutInlinePolicyToPermissionSetCommand({
          InstanceArn: INSTANCE,
          PermissionSetArn: psArn,
          InlinePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::reports/*" }] }),
        }),
      );
      const r = configFromObject({
        aws: {
          mode: "identity-center",
          accounts: { prod: HOME },
          scheduler_role_arn: `arn:aws:iam::${HOME}:role/jit-access-scheduler`,
          identity_center: { instance_arn: INSTANCE, identity_store_id: fake.state.sso.identityStoreId },
        },
        catalogue: {
          reports: { kind: "permission_set", description: "reports", accounts: ["prod"], permission_set: "Reports" },
          admin: { kind: "permission_set", description: "break glass", accounts: ["prod"], permission_set: psArn, risk: "medium" },
        },
      });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      fake.state.sso.permissionSets.get(psArn)!.managedPolicies = [];
      const facts = await gatherAwsFacts(r.value, fake.clientSettings);
      expect(facts.bundles).toMatchObject({ ok: true, value: { reports: { risk: "low", adminLike: false }, admin: { risk: "low" } } });
      // Now the permission set carries AdministratorAccess: both entries name it.
      fake.state.sso.permissionSets.get(psArn)!.managedPolicies = [admin];
      const again = await gatherAwsFacts(r.value, fake.clientSettings);
      expect(again.bundles).toMatchObject({ ok: true, value: { reports: { risk: "high", adminLike: true }, admin: { risk: "high", adminLike: true } } });
      const check = catalogueCheck(r.value, { bundles: again.bundles!, permissionSets: again.permissionSets! });
      expect(check.status).toBe("warn");
      expect(check.message).toMatch(/catalogue.admin allows AdministratorAccess-like access.*but its risk is set to medium/);
    } finally {
      fake.restore();
    }
  });
});

describe("the catalogue example in docs/configuration.md", () => {
  it("loads, and its only problems are the kinds that need the other aws.mode", async () => {
    const { readFileSync: read } = await import("node:fs");
    const doc = read(new URL("../docs/configuration.md", import.meta.url), "utf8");
    const block = /## Access catalogue[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const example = (yaml.load(block!) as { catalogue: Record<string, unknown> }).catalogue;
    expect(Object.keys(example).sort()).toEqual(["dba-role", "read-only", "reports-read", "view-only"]);
    const byMode = (mode: "iam" | "identity-center") => {
      const r = configFromObject({
        aws: {
          mode,
          accounts: { prod: "111122223333", staging: "444455556666" },
          scheduler_role_arn: "arn:aws:iam::111122223333:role/jit-access-scheduler",
          ...(mode === "identity-center"
            ? { identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id: "d-1111111111" } }
            : {}),
        },
        catalogue: example,
      });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return catalogueProblems(r.value).map((p) => [p.code, p.path]);
    };
    expect(byMode("iam")).toEqual([["config.catalogue-mode", "catalogue.read-only.kind"]]);
    expect(byMode("identity-center")).toEqual([["config.catalogue-mode", "catalogue.view-only.kind"]]);
  });
});
