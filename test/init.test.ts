// `jit-access init`: the planner (what is written, kept or overwritten), the flags, and the
// generated files judged by the project's own parsers and by the workflow invariants that
// test/attacks-deploy.test.ts applies to this repository's workflows.
// Also run under Node 24 (NODE24 in vitest.config.ts): the Action's entry point and the secrets source.
// @module-tag node24
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import * as yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { ownersOf, parseCodeowners } from "../src/domain/codeowners.js";
import { CONFIG_PATH, parseConfig, resolveAccount } from "../src/domain/config.js";
import { loadFormTemplate, parseIssueForm } from "../src/domain/issue-form.js";
import { checkRequest } from "../src/domain/request.js";
import { requestPath } from "../src/domain/request-file.js";
import { loadCatalogue } from "../src/iam-data.js";
import { planRequest } from "../src/policy/pipeline.js";
import { CODEOWNERS_PATH, EXPIRE_PATH, FORM_PATH, KEEP_PATH, PINNED, README_PATH, SLACK_VARIABLE, VALIDATE_PATH } from "../src/init/files.js";
import { SLACK_WEBHOOK_VARIABLE } from "../src/secrets.js";
import { checkInitFlags, DEFAULT_ACTION, InitFlagError, type InitOptions, type RawInitFlags } from "../src/init/options.js";
import { desiredFiles, planInit } from "../src/init/plan.js";
import { version } from "../src/cli/main.js";
import { INIT_USAGE } from "../src/cli/init.js";
import { ACTION_COMMANDS } from "../src/action.js";
import { issueBody } from "./support/app-harness.js";
import { runCli } from "./support/cli.js";

const ROOT = new URL("..", import.meta.url).pathname;
const BUNDLED_FORM = readFileSync(join(ROOT, ".github/ISSUE_TEMPLATE/access-request.yml"), "utf8");
const VERSION = version();

const BASE: RawInitFlags = { account: ["prod=111122223333", "staging=444455556666"], region: "eu-west-1", approver: ["bob", "@acme/aws-approvers"] };
const IC: RawInitFlags = {
  ...BASE,
  mode: "identity-center",
  "instance-arn": "arn:aws:sso:::instance/ssoins-1234567890abcdef",
  "identity-store-id": "d-1234567890",
  principal: ["alice=alice@example.com"],
};
const opts = (f: RawInitFlags = BASE) => checkInitFlags(f, VERSION);
const filesOf = (o: InitOptions) => new Map(desiredFiles(o, BUNDLED_FORM).map((f) => [f.path, f.content]));
const ALL_PATHS = [CONFIG_PATH, FORM_PATH, CODEOWNERS_PATH, VALIDATE_PATH, EXPIRE_PATH, README_PATH, KEEP_PATH];

const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), "jit-init-"));
  tmp.push(d);
  return d;
};
const flagArgs = (f: RawInitFlags) =>
  Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [`--${k}`, String(x)]) : [`--${k}`, String(v)]));

describe("the planner", () => {
  const o = opts();
  const want = filesOf(o);
  const changed = (path: string) => (p: string) => (p === path ? "# mine\n" : want.get(p));

  it.each([
    ["a fresh directory: every file is written", () => undefined, false, Object.fromEntries(ALL_PATHS.map((p) => [p, "write"]))],
    ["a re-run over its own output: nothing written", (p: string) => want.get(p), false, Object.fromEntries(ALL_PATHS.map((p) => [p, "unchanged"]))],
    [
      "a changed config without --force: kept, the rest unchanged",
      changed(CONFIG_PATH),
      false,
      { ...Object.fromEntries(ALL_PATHS.map((p) => [p, "unchanged"])), [CONFIG_PATH]: "keep" },
    ],
    [
      "a changed config with --force: overwritten",
      changed(CONFIG_PATH),
      true,
      { ...Object.fromEntries(ALL_PATHS.map((p) => [p, "unchanged"])), [CONFIG_PATH]: "overwrite" },
    ],
    [
      "a README of the repository's own, no --force: kept, the rest written",
      (p: string) => (p === README_PATH ? "# our repo\n" : undefined),
      false,
      { ...Object.fromEntries(ALL_PATHS.map((p) => [p, "write"])), [README_PATH]: "keep" },
    ],
    ["--force over identical files writes nothing", (p: string) => want.get(p), true, Object.fromEntries(ALL_PATHS.map((p) => [p, "unchanged"]))],
  ] as const)("%s", (_name, existing, force, expected) => {
    const plan = planInit(o, BUNDLED_FORM, existing, force);
    if (!plan.ok) throw new Error(JSON.stringify(plan.problems));
    expect(Object.keys(plan).sort()).toEqual(["ok", "value"]);
    expect(Object.fromEntries(plan.value.map((f) => [f.path, f.action]))).toEqual(expected);
    for (const f of plan.value) expect(f.content).toBe(want.get(f.path));
  });

  it("a form it would write that the app cannot read is refused, with the form's own code", () => {
    const plan = planInit(o, BUNDLED_FORM.replace("id: reason", "id: why"), () => undefined, false);
    expect(plan.ok ? [] : plan.problems.map((p) => [p.code, p.path])).toEqual([["form.template-field-missing", "reason"]]);
  });

  it("property: whatever exists, a file is written or overwritten exactly when it differs and (it is absent or --force)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<"absent" | "same" | "other">("absent", "same", "other"), { minLength: ALL_PATHS.length, maxLength: ALL_PATHS.length }),
        fc.boolean(),
        (states, force) => {
          const state = new Map(ALL_PATHS.map((p, i) => [p, states[i]!]));
          const plan = planInit(o, BUNDLED_FORM, (p) => (state.get(p) === "absent" ? undefined : state.get(p) === "same" ? want.get(p) : "other\n"), force);
          if (!plan.ok) return false;
          return plan.value.every((f) => {
            const s = state.get(f.path);
            const writes = f.action === "write" || f.action === "overwrite";
            return writes === (s === "absent" || (s === "other" && force)) && (s !== "same" || f.action === "unchanged");
          });
        },
      ),
    );
  });
});

describe("the flags", () => {
  it.each([
    ["no --account", { ...BASE, account: undefined }, /--account is required/],
    ["no --region", { ...BASE, region: undefined }, /--region is required/],
    ["no --approver", { ...BASE, approver: undefined }, /--approver is required/],
    ["identity-center without --instance-arn", { ...IC, "instance-arn": undefined }, /--instance-arn is required/],
    ["identity-center without --identity-store-id", { ...IC, "identity-store-id": undefined }, /--identity-store-id is required/],
    ["an unknown mode", { ...BASE, mode: "sso" }, /--mode "sso": use iam or identity-center/],
    ["an account without =", { ...BASE, account: ["prod"] }, /--account "prod": write alias=account-id/],
    ["a short account id", { ...BASE, account: ["prod=1234"] }, /account id "1234" must be 12 digits/],
    ["an upper-case alias", { ...BASE, account: ["Prod=111122223333"] }, /alias "Prod" must be lower-case/],
    ["the reserved alias", { ...BASE, account: ["examples=111122223333"] }, /"examples" is reserved/],
    ["an account given twice", { ...BASE, account: ["prod=111122223333", "other=111122223333"] }, /account 111122223333 is given twice/],
    ["an approver with a space", { ...BASE, approver: ["bob smith"] }, /--approver "bob smith"/],
    ["a bad region", { ...BASE, region: "Europe" }, /--region "Europe" is not an AWS region/],
    ["an sso principal in iam mode", { ...BASE, principal: ["alice=sso_user:alice"] }, /sso_user does not fit --mode iam/],
    [
      "an instance ARN in iam mode",
      { ...BASE, "instance-arn": "arn:aws:sso:::instance/ssoins-1234567890abcdef" },
      /--instance-arn is only for --mode identity-center/,
    ],
    ["a bad scheduler role", { ...BASE, "scheduler-role-arn": "role/x" }, /--scheduler-role-arn "role\/x"/],
    ["an action ref with a space", { ...BASE, "action-ref": "v1 # x" }, /--action-ref "v1 # x": give a 40-character commit SHA or a release tag/],
    [
      "an action ref that is a branch",
      { ...BASE, "action-ref": "main" },
      /--action-ref "main": give a 40-character commit SHA or a release tag such as v\d+\.\d+\.\d+, optionally as owner\/repo@REF \(a branch is refused: it moves\)/,
    ],
    ["an action ref that is a short SHA", { ...BASE, "action-ref": "0123456" }, /--action-ref "0123456": give a 40-character commit SHA/],
    ["an upper-case SHA", { ...BASE, "action-ref": "0123456789ABCDEF0123456789ABCDEF01234567" }, /--action-ref "0123456789ABCDEF/],
    ["a pre-release tag", { ...BASE, "action-ref": "v1.2.3-rc.1" }, /--action-ref "v1.2.3-rc.1"/],
    ["a tag without v", { ...BASE, "action-ref": "1.2.3" }, /--action-ref "1.2.3"/],
    [
      "a repository that is not owner/name",
      { ...BASE, "action-ref": "jit-access@v1" },
      /--action-ref "jit-access@v1": "jit-access" is not a repository owner\/name/,
    ],
    ["a repository and a ref that is a branch", { ...BASE, "action-ref": "acme/jit-access@main" }, /--action-ref "acme\/jit-access@main": give a 40-character/],
    [
      "two different repositories",
      { ...BASE, action: "acme/fork", "action-ref": "other/fork@v1" },
      /--action-ref "other\/fork@v1" names other\/fork but --action names acme\/fork; give the repository once/,
    ],
    ["a bad --action", { ...BASE, action: "not a repo" }, /--action "not a repo": give the action's repository as owner\/name/],
  ] as const)("%s: exit 2 naming the flag", async (_name, flags, message) => {
    expect(() => checkInitFlags(flags, VERSION)).toThrow(InitFlagError);
    expect(() => checkInitFlags(flags, VERSION)).toThrow(message);
    const dir = freshDir();
    const r = await runCli(["init", dir, ...flagArgs(flags)], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/Usage: jit-access init/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("--action-ref", () => {
  const SHA40 = "0123456789abcdef0123456789abcdef01234567";
  it.each([
    ["nothing: the release tag of this version", {}, DEFAULT_ACTION, `v${VERSION}`],
    ["a commit SHA", { "action-ref": SHA40 }, DEFAULT_ACTION, SHA40],
    ["a major tag", { "action-ref": "v1" }, DEFAULT_ACTION, "v1"],
    ["a minor tag", { "action-ref": "v1.2" }, DEFAULT_ACTION, "v1.2"],
    ["a release tag", { "action-ref": "v1.2.3" }, DEFAULT_ACTION, "v1.2.3"],
    ["@ and a tag", { "action-ref": "@v2" }, DEFAULT_ACTION, "v2"],
    ["owner/repo@SHA", { "action-ref": `acme/jit-access-fork@${SHA40}` }, "acme/jit-access-fork", SHA40],
    ["owner/repo@tag with the same --action", { action: "acme/fork", "action-ref": "acme/fork@v3" }, "acme/fork", "v3"],
    ["--action alone keeps the default tag", { action: "acme/fork" }, "acme/fork", `v${VERSION}`],
  ] as const)("accepts %s", (_name, flags, action, ref) => {
    const o = opts({ ...BASE, ...flags });
    expect({ action: o.action, actionRef: o.actionRef }).toEqual({ action, actionRef: ref });
    // Every workflow step of the action names exactly that.
    for (const p of [VALIDATE_PATH, EXPIRE_PATH])
      for (const line of filesOf(o)
        .get(p)!
        .split("\n")
        .filter((l) => l.includes(`${action}@`) && /uses:/.test(l)))
        expect(line).toMatch(new RegExp(`uses: ${action}@${ref}( # v${VERSION})?$`));
  });

  it("property: a ref is accepted exactly when it is a 40-character lower-case SHA or vN[.N[.N]], and never breaks the uses: line", () => {
    const ref = fc.oneof(
      fc.stringMatching(/^[0-9a-f]{40}$/),
      fc.stringMatching(/^v[0-9]{1,3}(\.[0-9]{1,3}){0,2}$/),
      fc.string({ maxLength: 45 }),
      fc.stringMatching(/^[0-9a-fA-F]{38,42}$/),
      fc.constantFrom("main", "v1.x", "v1 ", "v1\n", "refs/tags/v1", "v1.2.3.4"),
    );
    fc.assert(
      fc.property(ref, (r) => {
        const good = /^[0-9a-f]{40}$/.test(r) || /^v[0-9]+(\.[0-9]+){0,2}$/.test(r);
        let accepted: InitOptions | undefined;
        try {
          accepted = checkInitFlags({ ...BASE, "action-ref": r }, VERSION);
        } catch (e) {
          if (!(e instanceof InitFlagError)) throw e;
          if (!e.message.startsWith(`--action-ref ${JSON.stringify(r)}`)) return false;
        }
        if (r.includes("@")) return true; // owner/repo@REF: the table above
        return (accepted !== undefined) === good && (!accepted || accepted.actionRef === r);
      }),
    );
  });
});

describe("the command", () => {
  it("writes a fresh directory, writes nothing on a re-run, keeps a changed file without --force and overwrites it with --force; exit 0 each time", async () => {
    const dir = join(freshDir(), "access");
    const args = ["init", "access", ...flagArgs(BASE)];
    const first = await runCli(args, join(dir, ".."));
    expect(first.code).toBe(0);
    for (const p of ALL_PATHS) expect(first.stdout).toContain(`wrote: ${p}`);
    expect(readFileSync(join(dir, CONFIG_PATH), "utf8")).toBe(filesOf(opts()).get(CONFIG_PATH));
    expect(existsSync(join(dir, KEEP_PATH))).toBe(true);

    const again = await runCli(args, join(dir, ".."));
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/wrote|overwrote/);
    expect(again.stdout).toMatch(/0 written, 0 kept/);

    writeFileSync(join(dir, CODEOWNERS_PATH), "* @someone-else\n");
    const kept = await runCli(args, join(dir, ".."));
    expect(kept.code).toBe(0);
    expect(kept.stdout).toContain(`kept (it differs; --force overwrites it): ${CODEOWNERS_PATH}`);
    expect(readFileSync(join(dir, CODEOWNERS_PATH), "utf8")).toBe("* @someone-else\n");

    const dry = await runCli([...args, "--force", "--dry-run"], join(dir, ".."));
    expect(dry.stdout).toContain(`would overwrite: ${CODEOWNERS_PATH}`);
    expect(readFileSync(join(dir, CODEOWNERS_PATH), "utf8")).toBe("* @someone-else\n");

    const forced = await runCli([...args, "--force"], join(dir, ".."));
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`overwrote: ${CODEOWNERS_PATH}`);
    expect(readFileSync(join(dir, CODEOWNERS_PATH), "utf8")).toBe(filesOf(opts()).get(CODEOWNERS_PATH));
  });

  it("shows its usage with --help", async () => {
    const r = await runCli(["init", "--help"], freshDir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: jit-access init \[DIR\] --account ALIAS=ID/);
  });
});

describe("the generated config", () => {
  it.each([
    ["iam", BASE],
    ["identity-center", IC],
    [
      "iam with principals and a scheduler role",
      { ...BASE, principal: ["alice=alice", "carol=iam_role:carol-dev"], "scheduler-role-arn": "arn:aws:iam::111122223333:role/jit-access-scheduler" },
    ],
  ] as const)("%s: passes the project's config validation with the values of the flags", (_name, flags) => {
    const o = opts(flags);
    const r = parseConfig(filesOf(o).get(CONFIG_PATH));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.aws.mode).toBe(o.mode);
    expect(r.value.aws.region).toBe(o.region);
    expect(r.value.aws.accounts).toEqual(Object.fromEntries(o.accounts.map((a) => [a.alias, a.id])));
    expect(r.value.approvers).toEqual(o.approvers);
    expect(Object.keys(r.value.principals)).toEqual(o.principals.map((p) => p.login));
    if (o.identityCenter)
      expect(r.value.aws.identity_center).toEqual({ instance_arn: o.identityCenter.instanceArn, identity_store_id: o.identityCenter.identityStoreId });
    if (o.schedulerRoleArn) expect(r.value.aws.scheduler_role_arn).toBe(o.schedulerRoleArn);
  });

  it("quotes an alias YAML would read as something else (a number, a boolean, null)", () => {
    for (const alias of ["00", "1e3", "0x1f", "true", "null", "false"]) {
      const r = parseConfig(filesOf(opts({ ...BASE, account: [`${alias}=111122223333`] })).get(CONFIG_PATH));
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(Object.keys(r.value.aws.accounts), alias).toEqual([alias]);
    }
    for (const login of ["123", "True", "NULL", "0x1f"]) {
      const r = parseConfig(filesOf(opts({ ...BASE, principal: [`${login}=someone`] })).get(CONFIG_PATH));
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      expect(Object.keys(r.value.principals), login).toEqual([login]);
    }
  });

  it("property: any accepted flags give a config the project accepts, with the same accounts and approvers", () => {
    const alias = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/).filter((a) => a !== "examples");
    const login = fc.stringMatching(/^[A-Za-z0-9](-?[A-Za-z0-9]){0,10}$/);
    const team = fc.tuple(login, fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/)).map(([o, t]) => `@${o}/${t}`);
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.tuple(alias, fc.stringMatching(/^[0-9]{12}$/)), { minLength: 1, maxLength: 6, selector: ([a]) => a })
          .filter((xs) => new Set(xs.map(([, id]) => id)).size === xs.length),
        fc.array(fc.oneof(login, team), { minLength: 1, maxLength: 4 }),
        fc.constantFrom("us-east-1", "eu-central-1", "us-gov-west-1"),
        (accounts, approvers, region) => {
          const o = opts({ account: accounts.map(([a, id]) => `${a}=${id}`), approver: approvers, region });
          const files = filesOf(o);
          const r = parseConfig(files.get(CONFIG_PATH));
          if (!r.ok) throw new Error(JSON.stringify(r.problems));
          expect(r.value.aws.accounts).toEqual(Object.fromEntries(accounts));
          expect(r.value.approvers).toEqual([...new Set(approvers)]);
          // The form lists exactly the aliases, and still loads.
          expect(loadFormTemplate(files.get(FORM_PATH)!).ok).toBe(true);
          const form = yaml.load(files.get(FORM_PATH)!) as { body: Array<{ id?: string; attributes: { options?: string[] } }> };
          expect(form.body.find((f) => f.id === "account")?.attributes.options).toEqual(accounts.map(([a]) => a));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the generated issue form", () => {
  const o = opts({ ...BASE, principal: ["alice=alice"] });
  const files = filesOf(o);
  const loaded = loadFormTemplate(files.get(FORM_PATH)!);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const config = parseConfig(files.get(CONFIG_PATH));
  if (!config.ok) throw new Error("config");
  const ctx = { number: 7, title: "Access request: reports", author: "alice", defaultDuration: config.value.default_duration };

  it("offers the configured accounts in a required dropdown, and keeps every other field of the bundled form", () => {
    const form = yaml.load(files.get(FORM_PATH)!) as {
      labels: string[];
      body: Array<{ type: string; id?: string; attributes: { label?: string; options?: string[] }; validations?: { required?: boolean } }>;
    };
    const account = form.body.find((f) => f.id === "account");
    expect(account).toMatchObject({ type: "dropdown", attributes: { label: "Account", options: ["prod", "staging"] }, validations: { required: true } });
    const bundled = yaml.load(BUNDLED_FORM) as typeof form;
    expect(form.labels).toEqual(bundled.labels);
    expect(form.body.filter((f) => f.id !== "account")).toEqual(bundled.body.filter((f) => f.id !== "account"));
  });

  it.each(["prod", "staging"])("a body filled in with account %s parses into a request the config and the policy pipeline accept", (alias) => {
    const r = parseIssueForm(issueBody({ account: alias }), loaded.value, ctx);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.value.account).toBe(alias);
    expect(resolveAccount(config.value, alias)?.id).toBe(o.accounts.find((a) => a.alias === alias)?.id);
    const checked = checkRequest(structuredClone(r.value), { file: requestPath(r.value, new Date("2026-11-27T08:00:00Z")), config: config.value });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const plan = planRequest(loadCatalogue(), {
      request: r.value,
      config: config.value,
      accountId: checked.value.account.id,
      now: new Date("2026-11-27T08:00:00Z"),
      durationSeconds: checked.value.durationSeconds,
    });
    expect(plan.verdict.ok).toBe(true);
  });

  it("refuses a body with no account picked", () => {
    const r = parseIssueForm(issueBody({ account: "_No response_" }), loaded.value, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain("account");
  });

  it("with several accounts the dropdown takes several: GitHub's comma-separated picks are a request in each", () => {
    const form = yaml.load(files.get(FORM_PATH)!) as { body: Array<{ id?: string; attributes: { multiple?: boolean } }> };
    expect(form.body.find((f) => f.id === "account")?.attributes.multiple).toBe(true);
    const r = parseIssueForm(issueBody({ account: "prod, staging" }), loaded.value, ctx);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) expect(r.value).toMatchObject({ account: "prod", accounts: ["prod", "staging"] });
  });

  it("with one account the dropdown takes one, and a body edited to name two is refused", () => {
    const single = filesOf(opts({ ...BASE, account: ["prod=111111111111"], principal: ["alice=alice"] }));
    const form = yaml.load(single.get(FORM_PATH)!) as { body: Array<{ id?: string; attributes: { multiple?: boolean } }> };
    expect(form.body.find((f) => f.id === "account")?.attributes.multiple).toBeUndefined();
    const template = loadFormTemplate(single.get(FORM_PATH)!);
    if (!template.ok) throw new Error(JSON.stringify(template.problems));
    const r = parseIssueForm(issueBody({ account: "prod, staging" }), template.value, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toContain("account");
  });
});

describe("the generated CODEOWNERS", () => {
  it.each([
    ["one approver", { ...BASE, approver: ["bob"] }, ["@bob"]],
    ["a login and a team", BASE, ["@bob", "@acme/aws-approvers"]],
  ] as const)("%s: owns access-requests/<alias>/ for every account and .github/", (_name, flags, owners) => {
    const o = opts(flags);
    const parsed = parseCodeowners(filesOf(o).get(CODEOWNERS_PATH), CODEOWNERS_PATH);
    expect(parsed.warnings).toEqual([]);
    for (const a of o.accounts) expect(ownersOf(parsed, `access-requests/${a.alias}/2026-11-27-7-x.yaml`).owners).toEqual(owners);
    for (const p of [CONFIG_PATH, FORM_PATH, CODEOWNERS_PATH, EXPIRE_PATH]) expect(ownersOf(parsed, p).owners).toEqual(owners);
  });
});

// ---- workflows: the invariants test/attacks-deploy.test.ts checks on this repository's ----------

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  environment?: string | { name?: string };
  permissions?: Record<string, string> | string;
  steps?: Step[];
  needs?: string | string[];
}
interface Workflow {
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const json = (x: unknown) => JSON.stringify(x ?? null);
const readsSecret = (wf: Workflow, job: Job) => [...`${json(job)}${json(wf.env)}`.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].some((m) => m[1] !== "GITHUB_TOKEN");
const permissionOf = (p: Workflow["permissions"], key: string) =>
  typeof p === "string" ? (p === "write-all" ? "write" : p === "read-all" ? "read" : undefined) : p?.[key];
const holdsAws = (wf: Workflow, job: Job) =>
  permissionOf(job.permissions ?? wf.permissions, "id-token") === "write" ||
  (job.steps ?? []).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);
const INSTALL = /\b(npm\s+(ci|install|i|add|exec)|npx\s+(-y|--yes|--package)|yarn(\s+install)?|pnpm\s+(install|i|add|dlx))\b/;
const SHA_PIN = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+(\/[^@\s]+)?@[0-9a-f]{40}$/;
const RELEASE_SHA = "0123456789abcdef0123456789abcdef01234567";

describe.each([
  ["default --action-ref", BASE],
  ["--action-ref pinned to a SHA of a fork", { ...BASE, action: "acme/jit-access-fork", "action-ref": RELEASE_SHA }],
  ["--slack", { ...BASE, slack: true }],
] as const)("the generated workflows (%s)", (_name, flags) => {
  const o = opts(flags);
  const files = filesOf(o);
  const workflows = new Map([VALIDATE_PATH, EXPIRE_PATH].map((p) => [p, yaml.load(files.get(p)!, { schema: yaml.CORE_SCHEMA }) as Workflow]));
  const jobs = [...workflows].flatMap(([file, wf]) => Object.entries(wf.jobs).map(([name, job]) => ({ file, name, job, wf })));

  it("the sweep job is found among the privileged jobs, and each privileged job runs in jit-access-sweep", () => {
    const privileged = jobs.filter(({ wf, job }) => readsSecret(wf, job) || holdsAws(wf, job));
    expect(privileged.map((j) => `${j.file}:${j.name}`)).toEqual([`${EXPIRE_PATH}:sweep`]);
    for (const { job } of privileged) expect(environmentOf(job)).toBe("jit-access-sweep");
  });

  it.each([VALIDATE_PATH, EXPIRE_PATH])("%s: no workflow-wide id-token or write permission", (p) => {
    const wf = workflows.get(p)!;
    for (const key of ["id-token", "contents", "issues", "pull-requests", "checks", "actions"])
      expect(permissionOf(wf.permissions, key), key).not.toBe("write");
    expect(wf.permissions).not.toBe("write-all");
  });

  it("asks the app token for exactly what this repository's sweep asks for, and the same environment", () => {
    const own = yaml.load(readFileSync(join(ROOT, ".github/workflows/expire.yml"), "utf8"), { schema: yaml.CORE_SCHEMA }) as Workflow;
    const tokenWith = (wf: Workflow) =>
      Object.fromEntries(
        Object.entries(wf.jobs.sweep?.steps?.find((s) => s.uses?.startsWith("actions/create-github-app-token"))?.with ?? {}).filter(([k]) =>
          k.startsWith("permission-"),
        ),
      );
    expect(tokenWith(workflows.get(EXPIRE_PATH)!)).toEqual({
      "permission-contents": "write",
      "permission-issues": "write",
      "permission-pull-requests": "write",
      "permission-members": "read",
    });
    expect(tokenWith(workflows.get(EXPIRE_PATH)!)).toEqual(tokenWith(own));
    expect(environmentOf(workflows.get(EXPIRE_PATH)!.jobs.sweep!)).toBe(environmentOf(own.jobs.sweep!));
    // Nothing checked out next to the credentials: the sweep job gets only the OIDC token.
    expect(workflows.get(EXPIRE_PATH)!.jobs.sweep!.permissions).toEqual({ "id-token": "write" });
  });

  const ownSteps = jobs.flatMap(({ file, name, job, wf }) =>
    (job.steps ?? []).filter((st) => st.uses?.startsWith(`${o.action}@`)).map((step) => ({ file, name, job, wf, step })),
  );
  const commandOf = (step: Step) => String(step.with?.command ?? "sweep");

  it("installs nothing where credentials exist, and reports in a job of its own without them", () => {
    for (const { wf, job } of jobs) {
      if (!holdsAws(wf, job) && !readsSecret(wf, job)) continue;
      for (const step of job.steps ?? []) {
        for (const line of (step.run ?? "").split("\n")) expect(line).not.toMatch(INSTALL);
        expect(step.uses ?? "").not.toMatch(/^actions\/setup-node/);
      }
    }
    const reportJobs = ownSteps.filter(({ step }) => commandOf(step) === "report");
    expect(reportJobs.map((j) => `${j.file}:${j.name}`)).toEqual([`${EXPIRE_PATH}:report`]);
    const [{ wf, job }] = reportJobs as [(typeof reportJobs)[number]];
    expect(holdsAws(wf, job) || readsSecret(wf, job)).toBe(false);
    expect(job.environment).toBeUndefined();
    expect(job.permissions).toEqual({ contents: "read" });
    expect(job.needs).toBe("sweep");
  });

  it("runs jit-access only as the versioned action, one command per job: sweep, validate, report", () => {
    expect(ownSteps.map(({ file, name, step }) => `${file}:${name}:${commandOf(step)}`).sort()).toEqual([
      `${EXPIRE_PATH}:report:report`,
      `${EXPIRE_PATH}:sweep:sweep`,
      `${VALIDATE_PATH}:validate:validate`,
    ]);
    // The validate step reads the list the step before it wrote, NUL-separated, from outside the checkout.
    const validate = workflows.get(VALIDATE_PATH)!.jobs.validate!.steps!;
    const at = validate.findIndex((st) => st.uses?.startsWith(`${o.action}@`));
    expect(validate[at]!.with).toEqual({ command: "validate", "files-from": "${{ runner.temp }}/changed-requests", "config-path": CONFIG_PATH });
    expect(validate[at - 1]!.run).toMatch(/git diff -z --name-only --diff-filter=ACMR "\$BASE_SHA"\.\.\.HEAD -- .*> "\$RUNNER_TEMP\/changed-requests"/);
  });

  it.each([VALIDATE_PATH, EXPIRE_PATH])("%s: no npx, npm, node, setup-node or path into a jit-access source tree", (p) => {
    const text = files.get(p)!;
    const wf = workflows.get(p)!;
    const runs = Object.values(wf.jobs)
      .flatMap((job) => (job.steps ?? []).map((st) => st.run ?? ""))
      .join("\n");
    for (const bad of [/\bnpx\b/, /\bnpm\b/, /\bnode\b/, /\btsx\b/, /\byarn\b/, /\bpnpm\b/, /bin\/jit-access/, /\bsrc\//, /dist\//, /scripts\//])
      expect(runs, `${p} runs ${bad}`).not.toMatch(bad);
    expect(text).not.toMatch(/setup-node|uses:\s*\.\/|npx/);
  });

  it("uses the versioned jit-access action, not uses: ./, and pins every third-party action to this repository's SHAs", () => {
    const lines = [...files.entries()]
      .filter(([p]) => p.startsWith(".github/workflows/"))
      .flatMap(([p, text]) =>
        text
          .split("\n")
          .filter((l) => /^\s*(-\s+)?uses:/.test(l))
          .map((l) => ({ p, l: l.trim() })),
      );
    const parsed = jobs.flatMap(({ job }) => (job.steps ?? []).filter((s) => s.uses).map((s) => s.uses));
    expect(lines).toHaveLength(parsed.length);
    const ours = lines.filter(({ l }) => l.includes(`${o.action}@`));
    expect(ours).toHaveLength(3);
    for (const { l } of ours)
      expect(l.replace(/^- /, "")).toBe(`uses: ${o.action}@${o.actionRef}${/^[0-9a-f]{40}$/.test(o.actionRef) ? ` # v${VERSION}` : ""}`);
    if (/^[0-9a-f]{40}$/.test(o.actionRef))
      for (const { l } of ours)
        expect(
          l
            .replace(/^- /, "")
            .replace(/^uses:\s*/, "")
            .split(" ")[0],
        ).toMatch(SHA_PIN);
    for (const { l } of lines) expect(l).not.toMatch(/uses:\s*\.\//);
    const ownText = ["expire.yml", "validate.yml", "ci.yml"].map((f) => readFileSync(join(ROOT, ".github/workflows", f), "utf8")).join("\n");
    for (const { l } of lines.filter((x) => !x.l.includes(`${o.action}@`))) {
      const m = /uses:\s*(\S+)(.*)$/.exec(l);
      expect(m?.[1]).toMatch(SHA_PIN);
      expect(m?.[2] ?? "").toMatch(/^\s+# v\d+\.\d+\.\d+$/);
      // The same commit as this repository's own workflows, so a Dependabot bump there shows here.
      expect(ownText, `${m?.[1]} is not what this repository's workflows pin`).toContain(`uses: ${m?.[1]}${m?.[2]}`);
    }
    expect(new Set(lines.map(({ l }) => l.replace(/^- /, ""))).size).toBeLessThanOrEqual(Object.keys(PINNED).length + 1);
  });

  it("passes to the action only the inputs action.yml declares, with a command it knows", () => {
    const action = yaml.load(readFileSync(join(ROOT, "action.yml"), "utf8"), { schema: yaml.CORE_SCHEMA }) as {
      inputs: Record<string, { required?: boolean }>;
    };
    expect(ownSteps.length).toBe(3);
    for (const { step } of ownSteps) {
      for (const k of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(k);
      for (const [k, v] of Object.entries(action.inputs)) if (v.required) expect(Object.keys(step.with ?? {})).toContain(k);
      expect(ACTION_COMMANDS).toContain(commandOf(step));
    }
  });
});

describe("init --slack", () => {
  // The Lambda offers its Slack secret under this name; the sweep gets the environment secret of the same name.
  const stepEnv = (o: InitOptions) =>
    (yaml.load(filesOf(o).get(EXPIRE_PATH)!, { schema: yaml.CORE_SCHEMA }) as Workflow).jobs.sweep!.steps!.find((st) => st.uses?.startsWith(`${o.action}@`))!
      .env;

  it.each([
    ["iam", BASE],
    ["identity-center", IC],
  ] as const)("%s: names JIT_SLACK_WEBHOOK in the config and passes the environment secret to the sweep step only", (_mode, flags) => {
    const o = opts({ ...flags, slack: true });
    const config = parseConfig(filesOf(o).get(CONFIG_PATH));
    if (!config.ok) throw new Error(JSON.stringify(config.problems));
    expect(config.value.notifications.slack_webhook_env).toBe(SLACK_WEBHOOK_VARIABLE);
    expect(stepEnv(o)).toEqual({ [SLACK_WEBHOOK_VARIABLE]: `\${{ secrets.${SLACK_WEBHOOK_VARIABLE} }}` });
    expect(SLACK_VARIABLE).toBe(SLACK_WEBHOOK_VARIABLE);
  });

  it("without --slack, neither the config nor the workflows mention Slack", () => {
    const o = opts();
    expect(o.slack).toBe(false);
    const config = parseConfig(filesOf(o).get(CONFIG_PATH));
    if (!config.ok) throw new Error(JSON.stringify(config.problems));
    expect(config.value.notifications.slack_webhook_env).toBeUndefined();
    expect(stepEnv(o)).toBeUndefined();
    for (const [p, text] of filesOf(o)) if (p !== README_PATH) expect(text, p).not.toMatch(/slack/i);
  });

  it("is a flag of the command, listed in its usage", async () => {
    const dir = freshDir();
    const r = await runCli(["init", ".", ...flagArgs(BASE), "--slack"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, CONFIG_PATH), "utf8")).toMatch(/^notifications:\n {2}slack_webhook_env: JIT_SLACK_WEBHOOK/m);
    expect(INIT_USAGE).toContain("[--slack]");
  });
});

describe("docs/install.md", () => {
  const doc = readFileSync(join(ROOT, "docs/install.md"), "utf8");
  const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/^ {2}/gm, ""));
  const inits = blocks.filter((b) => /npx jit-access init/.test(b));
  // The doc's placeholders, filled in as a reader would.
  const fill = (s: string) =>
    s
      .replace(/<the SchedulerRoleArn output>/g, "arn:aws:iam::111122223333:role/jit-access-SchedulerRole-ABC")
      .replace(/ssoins-…/g, "ssoins-1234567890abcdef")
      .replace(/d-…/g, "d-1234567890");
  const argv = (block: string) => fill(block).replace(/\\\n/g, " ").trim().split(/\s+/);

  it("shows an init command for each mode", () => {
    expect(inits.length).toBe(2);
    expect(inits.some((b) => b.includes("--mode identity-center"))).toBe(true);
  });

  it.each(inits.map((b, i) => [i, b] as const))("init command %i runs as written and writes a config the app accepts", async (_i, block) => {
    const args = argv(block);
    expect(args.slice(0, 3)).toEqual(["npx", "jit-access", "init"]);
    const parent = freshDir();
    const r = await runCli(args.slice(2), join(parent, "jit-access"));
    expect(r.code, r.stderr).toBe(0);
    const config = parseConfig(readFileSync(join(parent, "access", CONFIG_PATH), "utf8"));
    expect(config.ok).toBe(true);
  });

  it("uses only flags init's usage lists, and names every required one", () => {
    const used = new Set(inits.flatMap((b) => [...b.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(5);
    for (const flag of used) expect(INIT_USAGE, flag).toMatch(new RegExp(`${flag}\\b`));
    for (const required of ["--account", "--region", "--approver", "--instance-arn", "--identity-store-id"]) expect(doc).toContain(`\`${required}\``);
  });
});
