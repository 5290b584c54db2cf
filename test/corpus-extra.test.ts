// Bad-input corpus, the entry points test/corpus (request files, configs, issue bodies) and
// test/webhook-corpus.test.ts (webhook payloads) do not cover: comments/commands (`/revoke` and
// look-alikes) and CLI arguments of validate, plan, sweep, list, revoke and report. Each case
// names what must happen and the message it must give. Zero crashes (exit 3 = internal error),
// zero unhandled rejections.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRevoke } from "../src/github/commands.js";
import { runCli } from "./support/cli.js";

// ---- comments / commands ------------------------------------------------------------------

/** [comment body, expected: undefined = not a command, or the reason recorded] */
const COMMENTS: Array<[string, string | undefined]> = [
  ["/revoke", "revoked on request"],
  ["/revoke done early", "done early"],
  ["/revoke   spaced   reason  ", "spaced   reason"],
  ["  /revoke indented", "indented"],
  ["/revoke\nsecond line is not the reason", "revoked on request"],
  ["/revoke\r\nwindows line end", "revoked on request"],
  ["/revoke reason\r", "reason"],
  ["/revoke\ttab reason", "tab reason"],
  [`/revoke ${"x".repeat(2000)}`, "x".repeat(500)],
  ["/revoke <!-- jit-access:grant --> @everyone #1", "<!-- jit-access:grant --> @everyone #1"],
  ["/revoke `rm -rf /`", "`rm -rf /`"],
  ["/revoke \u202eevil", "\u202eevil"],
  ["/revoke \u0000nul", "\u0000nul"],
  ["/revokeX", undefined],
  ["/revoked", undefined],
  ["/revoke-all", undefined],
  ["/Revoke", undefined],
  ["/REVOKE", undefined],
  ["revoke", undefined],
  ["//revoke", undefined],
  ["\\/revoke", undefined],
  ["> /revoke", undefined],
  ["`/revoke`", undefined],
  ["please /revoke", undefined],
  ["text first\n/revoke", undefined],
  ["", undefined],
  [" ", undefined],
  ["\n\n/revoke", undefined],
  ["/rev\u043eke", undefined], // Cyrillic о
  ["\uff0frevoke", undefined], // fullwidth solidus
  ["/re\u200bvoke", undefined], // zero-width space inside
  ["\u200b/revoke", undefined], // zero-width space before (not whitespace to trim)
  ["/revoke\u00a0nbsp", "nbsp"], // NBSP counts as whitespace
  ["/approve", undefined],
  ["/grant", undefined],
  ["/extend 24h", undefined],
  ["/revoke /revoke", "/revoke"],
  ["<!-- /revoke -->", undefined],
  ["```\n/revoke\n```", undefined],
  ["/revoke" + " ".repeat(10_000), "revoked on request"],
];

describe("comment commands", () => {
  it.each(COMMENTS.map(([body, want], i) => [i, JSON.stringify(body.slice(0, 40)), body, want] as const))("#%i %s", (_i, _shown, body, want) => {
    const r = parseRevoke(body);
    if (want === undefined) expect(r).toBeUndefined();
    else expect(r).toEqual({ reason: want });
  });
});

// ---- CLI arguments ------------------------------------------------------------------------

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jit-corpus-cli-"));
  mkdirSync(join(dir, "access-requests/prod/2026"), { recursive: true });
  mkdirSync(join(dir, ".github"), { recursive: true });
  writeFileSync(join(dir, ".github/jit-access.yml"), 'aws:\n  accounts:\n    prod: "111111111111"\nprincipals:\n  alice: { iam_user: alice }\n');
  writeFileSync(
    join(dir, "access-requests/prod/2026/7-ok.yaml"),
    "version: 1\nid: 7-ok\nrequester: alice\naccount: prod\nduration: 1h\nreason: test\nrequest:\n  - service: s3\n    access: [read]\n    resources: [b]\n",
  );
  writeFileSync(join(dir, "not-yaml.txt"), "x");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** [argv, exit code, substring of what it prints (usage errors: stderr)] */
const CLI: Array<[string[], number, string]> = [
  // top level
  [[], 2, "Usage: jit-access"],
  [["frobnicate"], 2, 'unknown command "frobnicate"'],
  [["--version"], 0, (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version],
  [["--versions"], 2, 'unknown command "--versions"'],
  [["VALIDATE"], 2, 'unknown command "VALIDATE"'],
  [["validate\u0000"], 2, "unknown command"],
  [[""], 2, 'unknown command ""'],
  // validate
  [["validate", "--nope"], 2, "Unknown option '--nope'"],
  [["validate", "-x"], 2, "Unknown option '-x'"],
  [["validate", "--json=yes"], 2, "--json"],
  [["validate", "--config"], 2, "--config"],
  [["validate", "--config", "missing.yml"], 2, "config file missing.yml does not exist"],
  [["validate", "nowhere.yaml"], 2, "nowhere.yaml: no such file or folder"],
  [["validate", "../../../../etc/shadow-not-here"], 2, "no such file or folder"],
  [["validate", "not-yaml.txt"], 1, "not-yaml.txt"],
  [["validate", "--config", "access-requests"], 1, "access-requests"],
  // plan
  [["plan"], 2, "plan takes exactly one request file"],
  [["plan", "a.yaml", "b.yaml"], 2, "plan takes exactly one request file"],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--ai", "gpt"], 2, '--ai "gpt": use builtin or gemini'],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--ai"], 2, "--ai"],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--now", "yesterday"], 2, '--now "yesterday" is not an ISO date-time'],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--now", "2026-13-45T99:00:00Z"], 2, "is not an ISO date-time"],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--now", "1700000000"], 2, "is not an ISO date-time"],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--write=1"], 2, "--write"],
  [["plan", "missing.yaml"], 2, "missing.yaml: no such file or folder"],
  [["plan", "access-requests/prod/2026/7-ok.yaml", "--bogus"], 2, "Unknown option '--bogus'"],
  [["plan", "--config", "missing.yml", "access-requests/prod/2026/7-ok.yaml"], 2, "config file missing.yml does not exist"],
  // sweep
  [["sweep", "extra"], 2, "sweep takes no file arguments (got extra)"],
  [["sweep", "--now", "tomorrow"], 2, '--now "tomorrow" is not an ISO date-time'],
  [["sweep", "--now", ""], 2, "is not an ISO date-time"],
  [["sweep", "--concurrency", "0"], 2, '--concurrency "0": give a whole number from 1 to 64'],
  [["sweep", "--concurrency", "65"], 2, "give a whole number from 1 to 64"],
  [["sweep", "--concurrency", "-1"], 2, "--concurrency"],
  [["sweep", "--concurrency", "1.5"], 2, "give a whole number from 1 to 64"],
  [["sweep", "--concurrency", "1e3"], 2, "give a whole number from 1 to 64"],
  [["sweep", "--concurrency", "four"], 2, "give a whole number from 1 to 64"],
  [["sweep", "--dry-run=false"], 2, "--dry-run"],
  [["sweep", "--reconcile=no"], 2, "--reconcile"],
  [["sweep", "--force"], 2, "Unknown option '--force'"],
  [["sweep", "--config", "missing.yml", "--dry-run", "--no-reconcile"], 2, "config file missing.yml does not exist"],
  // list
  [["list", "extra"], 2, "list takes no arguments (got extra)"],
  [["list", "--status", "granted"], 2, '--status "granted": use one of'],
  [["list", "--status", "ACTIVE"], 2, '--status "ACTIVE"'],
  [["list", "--status", ""], 2, '--status ""'],
  [["list", "--status"], 2, "--status"],
  [["list", "--all"], 2, "Unknown option '--all'"],
  // revoke
  [["revoke"], 2, "revoke takes exactly one request id"],
  [["revoke", "7-ok"], 2, "revoke needs --reason TEXT"],
  [["revoke", "7-ok", "--reason", "   "], 2, "revoke needs --reason TEXT"],
  [["revoke", "7-ok", "--reason"], 2, "--reason"],
  [["revoke", "7-ok", "8-ok", "--reason", "x"], 2, "revoke takes exactly one request id"],
  [["revoke", "--reason", "x"], 2, "revoke takes exactly one request id"],
  [["revoke", "7-ok", "--reason", "x", "--yes"], 2, "Unknown option '--yes'"],
  [["revoke", "../../7-ok", "--reason", "x", "--json"], 1, '"error": "not found"'],
  [["revoke", "99-missing", "--reason", "x"], 1, "there is no request 99-missing"],
  [["revoke", "7-ok", "--reason", "x"], 1, "7-ok is proposed, not active; nothing to revoke"],
  // report
  [["report", "--format", "pdf"], 2, "pdf"],
  [["report", "--since", "last week"], 2, "last week"],
  [["report", "--bogus"], 2, "Unknown option '--bogus'"],
  [["report", "--format"], 2, "--format"],
  [["report", "extra"], 2, "extra"],
];

describe("CLI arguments", () => {
  it("has a broad corpus across every command", () => {
    for (const cmd of ["validate", "plan", "sweep", "list", "revoke", "report"])
      expect(CLI.filter(([a]) => a[0] === cmd).length, cmd).toBeGreaterThanOrEqual(5);
  });

  it.each(CLI.map(([argv, code, msg], i) => [i, argv.join(" ").slice(0, 60), argv, code, msg] as const))(
    "#%i jit-access %s",
    async (_i, _shown, argv, code, msg) => {
      const rejections: unknown[] = [];
      const onRejection = (e: unknown) => rejections.push(e);
      process.on("unhandledRejection", onRejection);
      const env = { ...process.env };
      // Records from the checkout (never the GitHub API), whatever the environment says.
      delete process.env.GITHUB_TOKEN;
      delete process.env.GITHUB_REPOSITORY;
      try {
        const r = await runCli(argv, dir);
        expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code);
        expect(r.stdout + r.stderr).toContain(msg);
        expect(r.stderr).not.toContain("internal error");
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack traces
      } finally {
        process.env = env;
        process.off("unhandledRejection", onRejection);
      }
      expect(rejections).toEqual([]);
    },
  );
});

describe("corpus size", () => {
  it("counts ≥ 150 cases across every entry point (with test/corpus and test/webhook-corpus.test.ts)", () => {
    // test/corpus/expected.json: 117 request files, 35 configs, 26 issue bodies; webhook-corpus: 77.
    expect(COMMENTS.length + CLI.length).toBeGreaterThanOrEqual(90);
  });
});
