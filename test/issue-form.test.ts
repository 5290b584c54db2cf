import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadFormTemplate, parseIssueForm, requestId, type FormTemplate } from "../src/domain/issue-form.js";
import { codesOf } from "../src/domain/problems.js";

const templateText = readFileSync(new URL("../.github/ISSUE_TEMPLATE/access-request.yml", import.meta.url), "utf8");
const loaded = loadFormTemplate(templateText);
if (!loaded.ok) throw new Error("template does not load");
const template: FormTemplate = loaded.value;
const ctx = { number: 142, title: "Access request: Financial reports", author: "alice", defaultDuration: "8h" };

function body(fields: Partial<Record<string, string>>): string {
  const f = {
    Account: "prod",
    Service: "s3",
    Resources: "financial-reports",
    "Access levels": "- [x] read\n- [x] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
    "Exact actions (optional)": "_No response_",
    Duration: "8h",
    Reason: "Quarter-end reconciliation",
    "Description (optional)": "_No response_",
    ...fields,
  };
  return Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `### ${k}\n\n${v}`)
    .join("\n\n");
}

describe("issue form", () => {
  it("parses the rendered form into a request", () => {
    const r = parseIssueForm(body({}), template, ctx);
    expect(r).toEqual({
      ok: true,
      value: {
        version: 1,
        id: "142-financial-reports",
        requester: "alice",
        account: "prod",
        duration: "8h",
        reason: "Quarter-end reconciliation",
        request: [{ service: "s3", access: ["read", "list"], resources: ["financial-reports"] }],
      },
    });
  });

  it("takes lists one per line, with bullets, backticks and commas, and actions", () => {
    const r = parseIssueForm(
      body({
        Resources: "- `orders`\n- invoices, refunds\n\n",
        "Exact actions (optional)": "dynamodb:GetItem\ndynamodb:Query",
        Service: "DynamoDB",
        "Access levels": "- [ ] read",
      }),
      template,
      ctx,
    );
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.value.request[0]).toEqual({
        service: "dynamodb",
        resources: ["orders", "invoices", "refunds"],
        actions: ["dynamodb:GetItem", "dynamodb:Query"],
      });
  });

  it.each([
    ["prod", "prod", undefined],
    ["prod, staging", "prod", ["prod", "staging"]],
    ["- prod\n- `staging`\n- prod", "prod", ["prod", "staging"]],
    ["staging,prod", "staging", ["staging", "prod"]],
  ])("reads the Account field %j as account %s, accounts %j", (typed, account, accounts) => {
    const r = parseIssueForm(body({ Account: typed }), template, ctx);
    expect(r.ok && [r.value.account, r.value.accounts]).toEqual([account, accounts]);
  });

  it("uses the default duration when none is given", () => {
    const r = parseIssueForm(body({ Duration: "_No response_" }), template, ctx);
    expect(r.ok && r.value.duration).toBe("8h");
  });

  it("refuses a second ### Account injected into the description", () => {
    const r = parseIssueForm(body({ "Description (optional)": "please\n\n### Account\n\nother-prod" }), template, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(codesOf(r.problems)).toEqual(["form.heading-repeated"]);
  });

  it("refuses headings that are not the form's", () => {
    const r = parseIssueForm(body({ Reason: "x ### y\n\n### Notes\n\nz" }), template, ctx);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.code)).toEqual(["form.heading-forged", "form.heading-forged"]);
      // The wording names the line, so the author can find it.
      expect(r.problems[0]?.message).toMatch(/^line \d+ .*only the form's own headings/);
    }
  });

  it("lists every missing field at once", () => {
    const r = parseIssueForm(
      body({ Account: "_No response_", Resources: "_No response_", "Access levels": "- [ ] read", Reason: "_No response_" }),
      template,
      ctx,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.path).sort()).toEqual(["access", "account", "reason", "resources"]);
      expect(codesOf(r.problems).sort()).toEqual(["form.field-empty", "form.no-access"]);
    }
  });

  it("takes the requester from the issue author, never from the body", () => {
    const r = parseIssueForm(body({ Reason: "requester: mallory" }), template, { ...ctx, author: "alice" });
    expect(r.ok && r.value.requester).toBe("alice");
  });

  it("refuses empty, non-string and oversized bodies", () => {
    for (const [b, code] of [
      ["", "form.body-empty"],
      ["   ", "form.body-empty"],
      [null, "form.body-empty"],
      [42, "form.body-empty"],
      ["x".repeat(70_000), "form.body-too-large"],
    ] as const) {
      const r = parseIssueForm(b, template, ctx);
      expect(r.ok ? [] : codesOf(r.problems), String(b).slice(0, 10)).toEqual([code]);
    }
  });

  it("form parsing and template loading give the one Result shape: a value, or form.* problems", () => {
    const shapeOf = (r: { ok: boolean }) => Object.keys(r).sort();
    expect(shapeOf(parseIssueForm(body({}), template, ctx))).toEqual(["ok", "value"]);
    expect(shapeOf(loaded)).toEqual(["ok", "value"]);
    const fields = fc.record({ Account: fc.string(), Service: fc.constantFrom("s3", "", "nope"), Duration: fc.string(), Reason: fc.string() });
    fc.assert(
      fc.property(fc.oneof(fields.map(body), fc.string(), fc.constant(null)), (input) => {
        const r = parseIssueForm(input, template, ctx);
        if (r.ok) expect(shapeOf(r)).toEqual(["ok", "value"]);
        else {
          expect(shapeOf(r)).toEqual(["ok", "problems"]);
          expect(r.problems.length).toBeGreaterThan(0);
          for (const code of codesOf(r.problems)) expect(code).toMatch(/^form\./);
        }
      }),
      { numRuns: 200 },
    );
    for (const text of ["", "body: [", "name: x\nbody: []"]) {
      const t = loadFormTemplate(text);
      expect(shapeOf(t)).toEqual(["ok", "problems"]);
      if (!t.ok) for (const code of codesOf(t.problems)) expect(code).toMatch(/^form\.template-/);
    }
  });

  it("handles a body of many headings quickly (no catastrophic regex)", () => {
    const hostile = "### Account\n\n" + "#".repeat(3).concat(" ").repeat(15_000);
    const t0 = performance.now();
    const r = parseIssueForm(hostile, template, ctx);
    expect(r.ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("makes ids of <number>-<slug>", () => {
    expect(requestId(7, "Access request: Read the ORDERS table!", "dynamodb", ["orders"])).toBe("7-read-the-orders-table");
    expect(requestId(8, "Access request: ", "s3", ["arn:aws:s3:::my-bucket"])).toBe("8-s3-my-bucket");
    expect(requestId(9, "Ünïcödé ☃", "s3", ["b"])).toBe("9-unicode");
    expect(requestId(10, "x".repeat(200), "s3", ["b"]).length).toBeLessThanOrEqual(64);
  });

  it("reports a template missing a field", () => {
    const r = loadFormTemplate(templateText.replace("id: account", "id: acct"));
    expect(r.ok ? [] : r.problems.map((p) => [p.code, p.path])).toEqual([["form.template-field-missing", "account"]]);
  });
});

describe("issue form: a later start", () => {
  it("takes an optional start with a time zone, written as UTC to the second; empty starts at the merge", () => {
    const table: Array<[string, string | undefined]> = [
      ["2026-11-28T09:00Z", "2026-11-28T09:00:00Z"],
      ["2026-11-28T10:00+01:00", "2026-11-28T09:00:00Z"],
      ["2026-11-28T09:00:30.5Z", "2026-11-28T09:00:30Z"],
      ["_No response_", undefined],
    ];
    for (const [typed, want] of table) {
      const r = parseIssueForm(body({ "Start (optional)": typed }), template, ctx);
      expect(r.ok, typed).toBe(true);
      if (r.ok) expect(r.value.starts_at, typed).toBe(want);
    }
    const without = parseIssueForm(body({}), template, ctx);
    expect(without.ok && without.value.starts_at).toBeUndefined();
  });

  it("refuses a start without a time zone or that is no date, naming the field, the value and the fix", () => {
    for (const typed of ["tomorrow 9am", "2026-11-28T09:00", "2026-11-28", "2026-13-40T09:00Z"]) {
      const r = parseIssueForm(body({ "Start (optional)": typed }), template, ctx);
      expect(r.ok, typed).toBe(false);
      if (!r.ok) {
        expect(codesOf(r.problems), typed).toEqual(["form.field-format"]);
        expect(r.problems[0]).toMatchObject({ path: "starts_at", message: expect.stringContaining(typed) as unknown });
        expect(r.problems[0]?.message).toContain("2026-11-28T09:00Z");
      }
    }
  });
});

describe("the Account field's shape decides whether it may name several accounts", () => {
  const accountField = / {2}- type: input\n {4}id: account\n {4}attributes:\n/;
  const shaped = (shape: "input" | "single" | "multiple"): FormTemplate => {
    if (shape === "input") return template;
    const dropdown = `  - type: dropdown\n    id: account\n    attributes:\n${shape === "multiple" ? "      multiple: true\n" : ""}      options: [prod, staging]\n`;
    const t = loadFormTemplate(templateText.replace(accountField, dropdown));
    if (!t.ok) throw new Error("the reshaped template does not load");
    return t.value;
  };
  it.each([
    ["input", "prod", ["prod"]],
    ["input", "prod, staging", ["prod", "staging"]],
    ["input", "prod\nstaging", ["prod", "staging"]],
    ["single", "prod", ["prod"]],
    ["single", "prod, staging", undefined],
    ["multiple", "prod", ["prod"]],
    ["multiple", "prod, staging", ["prod", "staging"]],
  ] as const)("%s field, %j → %j", (shape, value, accounts) => {
    expect(accountField.test(templateText)).toBe(true);
    const r = parseIssueForm(body({ Account: value }), shaped(shape), ctx);
    if (accounts === undefined) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => [p.code, p.path])).toEqual([["form.field-format", "account"]]);
      return;
    }
    expect(r.ok).toBe(true);
    if (r.ok) expect([r.value.account, ...(r.value.accounts ?? []).filter((a) => a !== r.value.account)]).toEqual(accounts);
  });
});
