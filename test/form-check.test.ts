// doctor's issue-form check (doctor/form-check.ts): the form's Account field against the config's
// accounts and groups — a table of field shapes × configs, and the property that the form
// `jit-access init` writes always passes for the config it writes, and reads GitHub's
// comma-separated multiple selection back as every picked account.
import fc from "fast-check";
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/domain/config.js";
import { FORM_PATH, loadFormTemplate, parseIssueForm } from "../src/domain/issue-form.js";
import type { Config } from "../src/domain/types.js";
import { issueFormCheck } from "../src/doctor/form-check.js";
import { CONFIG_PATH } from "../src/domain/config.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { version } from "../src/cli/main.js";
import { checkInitFlags, type RawInitFlags } from "../src/init/options.js";
import { desiredFiles } from "../src/init/plan.js";

const BUNDLED_FORM = readFileSync(join(new URL("..", import.meta.url).pathname, ".github/ISSUE_TEMPLATE/access-request.yml"), "utf8");
const filesOf = (flags: RawInitFlags) => new Map(desiredFiles(checkInitFlags(flags, version()), BUNDLED_FORM).map((f) => [f.path, f.content]));

function config(accounts: string[], groups: Record<string, string[]> = {}): Config {
  const text = [
    "aws:",
    "  mode: iam",
    "  region: us-east-1",
    "  accounts:",
    ...accounts.map((a, i) => `    ${a}: "${String(i + 1).repeat(12)}"`),
    ...(Object.keys(groups).length ? ["  account_groups:", ...Object.entries(groups).map(([g, m]) => `    ${g}: [${m.join(", ")}]`)] : []),
    "principals:",
    "  alice: { iam_user: alice }",
    "approvers: [bob]",
  ].join("\n");
  const r = parseConfig(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const form = (field: Record<string, unknown> | undefined) => ({
  body: field ? [{ id: "account", ...field }] : [{ id: "reason", type: "textarea", attributes: {} }],
});
const dropdown = (options: string[], multiple?: boolean) =>
  form({ type: "dropdown", attributes: { label: "Account", options, ...(multiple !== undefined ? { multiple } : {}) } });

const ROWS: Array<[string, Config, unknown, "ok" | "warn" | "fail", RegExp?]> = [
  ["one account, single dropdown", config(["prod"]), dropdown(["prod"]), "ok"],
  ["two accounts, multiple dropdown", config(["prod", "staging"]), dropdown(["prod", "staging"], true), "ok"],
  ["two accounts, single dropdown", config(["prod", "staging"]), dropdown(["prod", "staging"]), "warn", /takes one option/],
  ["one account and a group, single dropdown", config(["prod"], { all: ["prod"] }), dropdown(["prod", "all"]), "warn", /takes one option/],
  ["an account left out", config(["prod", "staging"]), dropdown(["prod"], true), "warn", /does not offer \["staging"\]/],
  ["an option that is no account", config(["prod"]), dropdown(["prod", "legacy"]), "fail", /offers \["legacy"\]/],
  ["a typed field", config(["prod", "staging"]), form({ type: "input", attributes: { label: "Account" } }), "ok", /typed/],
  ["no account field", config(["prod"]), form(undefined), "fail", /no Account field/],
  ["no form in the repository", config(["prod"]), undefined, "ok", /no \.github/],
];

describe("doctor's issue-form check", () => {
  it.each(ROWS)("%s → %s", (_name, cfg, value, status, says) => {
    const r = issueFormCheck(cfg, { ok: true, value });
    expect(r.status, r.message).toBe(status);
    if (says) expect(r.message).toMatch(says);
    if (status !== "ok") expect(r.fix).toBeTruthy();
  });

  it("the form init writes passes for the config it writes, and reads any picked accounts back", () => {
    const alias = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(fc.uniqueArray(alias, { minLength: 1, maxLength: 6 }), fc.nat(), (aliases, pick) => {
        const files = filesOf({
          account: aliases.map((a, i) => `${a}=${String(i + 1).padStart(12, "0")}`),
          approver: ["bob"],
          principal: ["alice=alice"],
          region: "us-east-1",
        });
        const cfg = parseConfig(files.get(CONFIG_PATH));
        if (!cfg.ok) throw new Error(JSON.stringify(cfg.problems));
        const check = issueFormCheck(cfg.value, { ok: true, value: yaml.load(files.get(FORM_PATH)!) });
        expect(check.status, check.message).toBe("ok");

        // GitHub writes a multiple dropdown's picks comma-separated, in the options' order.
        const picked = aliases.filter((_, i) => (pick >> i) & 1);
        const chosen = picked.length ? picked : [aliases[0]!];
        const template = loadFormTemplate(files.get(FORM_PATH)!);
        if (!template.ok) throw new Error(JSON.stringify(template.problems));
        const body = issueBody({ account: chosen.join(", ") });
        const r = parseIssueForm(body, template.value, { number: 7, title: "Access request: x", author: "alice", defaultDuration: cfg.value.default_duration });
        expect(r.ok, JSON.stringify(r)).toBe(true);
        if (r.ok) {
          expect(r.value.account).toBe(chosen[0]);
          if (chosen.length > 1) expect(r.value.accounts).toEqual(chosen);
        }
      }),
      { numRuns: 40 },
    );
  });
});

/** The jit-access form's issue body as GitHub renders it, with the Account answer given. */
function issueBody(f: { account: string }): string {
  const box = (l: string) => `- [${l === "read" ? "X" : " "}] ${l}`;
  return [
    `### Account\n\n${f.account}`,
    "### Service\n\ns3",
    "### Resources\n\nfinancial-reports",
    `### Access levels\n\n${["read", "list", "write", "tagging", "permissions-management"].map(box).join("\n")}`,
    "### Exact actions (optional)\n\n_No response_",
    "### Duration\n\n8h",
    "### Reason\n\nQuarter-end reconciliation",
    "### Description (optional)\n\n_No response_",
  ].join("\n\n");
}
