// CLI basics: --version, `<command> --help` for every command, usage errors that show only the
// failing command's usage, and a warning when a command finds no request file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandUsages, asksForHelp } from "../src/cli/support.js";
import { runCli } from "./support/cli.js";

const COMMANDS = ["validate", "plan", "sweep", "list", "revoke", "report", "init", "doctor", "identities"] as const;
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "jit-cli-basics-"));
  mkdirSync(join(dir, ".git"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("--version", () => {
  it.each(["--version", "-V"])("%s prints package.json's version and exits 0", async (flag) => {
    const r = await runCli([flag], dir);
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });
});

describe("every command × --help and a bad flag", () => {
  const others = (c: string) => COMMANDS.filter((o) => o !== c);
  const cases = COMMANDS.flatMap(
    (c) =>
      [
        [c, [c, "--help"], 0, "stdout"],
        [c, [c, "-h"], 0, "stdout"],
        [c, ["help", c], 0, "stdout"],
        // Help wins over anything else on the line, even arguments that would be refused.
        [c, [c, "--no-such-flag", "--help"], 0, "stdout"],
        [c, [c, "--no-such-flag"], 2, "stderr"],
      ] as const,
  );
  it.each(cases)("%s: jit-access %j → exit %i, that command's usage only on %s", async (command, args, code, stream) => {
    const r = await runCli([...args], dir);
    expect(r.code).toBe(code);
    const out = stream === "stdout" ? r.stdout : r.stderr;
    expect(out).toContain(`Usage: jit-access ${command}`);
    for (const other of others(command)) expect(out).not.toMatch(new RegExp(`^(  |Usage: jit-access )${other}\\b`, "m"));
    expect(out).not.toContain("Commands:");
    if (code === 2) {
      expect(r.stderr).toMatch(/^jit-access: .*no-such-flag/);
      expect(r.stdout).toBe("");
    } else expect(r.stderr).toBe("");
  });

  it("-- ends the options: a --help after it is an operand, not a request for help", async () => {
    const r = await runCli(["plan", "--", "--help"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: jit-access plan");
  });

  it("an unknown command shows the whole usage (exit 2); --help alone shows it (exit 0)", async () => {
    const bad = await runCli(["frobnicate"], dir);
    expect(bad.code).toBe(2);
    for (const c of COMMANDS) expect(bad.stderr).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    const help = await runCli(["--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--version");
  });

  it("the usage lists every command the CLI dispatches", async () => {
    const usage = (await runCli(["help"], dir)).stdout;
    expect([...commandUsages(usage).keys()].sort()).toEqual([...COMMANDS, "help"].sort());
  });

  it("each module of src/cli/ besides main and support is a command the usage lists", async () => {
    const modules = readdirSync(new URL("../src/cli/", import.meta.url))
      .map((f) => f.replace(/\.ts$/, ""))
      .filter((m) => m !== "main" && m !== "support");
    const listed = commandUsages((await runCli(["help"], dir)).stdout);
    expect(modules.filter((m) => !listed.has(m))).toEqual([]);
    expect(modules.length).toBeGreaterThanOrEqual(6);
  });
});

describe("commandUsages and asksForHelp", () => {
  it("cuts each command with its continuation lines, and nothing else", () => {
    const help = "Usage: x\n\nCommands:\n  a [--f]     does a\n              more a\n  b-c FILE    does b\n  --version   v\n\ntrailer\n";
    expect(Object.fromEntries(commandUsages(help))).toEqual({ a: "a [--f]     does a\n              more a", "b-c": "b-c FILE    does b" });
  });
  it.each<[string[], boolean]>([
    [["--help"], true],
    [["x", "-h"], true],
    [["--", "--help"], false],
    [["--reason", "x"], false],
    [[], false],
  ])("%j → %s", (args, expected) => {
    expect(asksForHelp(args)).toBe(expected);
  });
});

describe("a warning when no request files were found", () => {
  const config =
    'aws:\n  mode: iam\n  region: us-east-1\n  accounts:\n    prod: "111111111111"\n  scheduler_role_arn: arn:aws:iam::111111111111:role/s\nprincipals: {}\napprovers: [bob]\n';
  let empty: string;
  beforeAll(() => {
    empty = mkdtempSync(join(tmpdir(), "jit-cli-empty-"));
    mkdirSync(join(empty, ".git"));
    mkdirSync(join(empty, ".github"));
    writeFileSync(join(empty, ".github/jit-access.yml"), config);
    mkdirSync(join(empty, "folder"));
  });
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it.each<[string, string[]]>([
    ["validate", ["validate"]],
    ["validate a named empty folder", ["validate", "folder"]],
    ["list", ["list"]],
    // report: see test/cli-report-empty.test.ts
  ])("%s warns on stderr and names where it looked", async (_name, args) => {
    const saved = { t: process.env.GITHUB_TOKEN, r: process.env.GITHUB_REPOSITORY };
    delete process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_REPOSITORY;
    try {
      const r = await runCli(args, empty);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/warning: no request files .* found in (access-requests\/|folder)/);
    } finally {
      if (saved.t !== undefined) process.env.GITHUB_TOKEN = saved.t;
      if (saved.r !== undefined) process.env.GITHUB_REPOSITORY = saved.r;
    }
  });

  it("plan with a folder holding no request file is a usage error naming it", async () => {
    const r = await runCli(["plan", "folder"], empty);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("folder: no request file there");
  });

  it("validate with files finds them and does not warn", async () => {
    mkdirSync(join(empty, "access-requests/prod"), { recursive: true });
    writeFileSync(join(empty, "access-requests/prod/x.yaml"), "version: 1\n");
    const r = await runCli(["validate"], empty);
    expect(r.stderr).not.toContain("warning");
    rmSync(join(empty, "access-requests"), { recursive: true });
  });
});
