// `jit-access plan FILE --merge`: the effects a merge of the request's PR would produce, from the
// files on disk, printed — nothing written, no AWS, no GitHub. Exit 0 it would grant, 1 it would be
// refused, 2 usage.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const FILE = "access-requests/prod/2026/7-reports.yaml";
const NOW = "2026-11-27T09:00:00Z";
const REQUEST = [
  "version: 1",
  "id: 7-reports",
  "requester: alice",
  "account: prod",
  "duration: 2h",
  "reason: Monthly close",
  "request:",
  "  - service: s3",
  "    access: [read]",
  "    resources: [reports]",
  "",
].join("\n");

interface MergeJson {
  file: string;
  verdict: string;
  codes: string[];
  effects: string[];
}

let dir = "";
const write = (text: string) => writeFileSync(join(dir, FILE), text);
/** Every file under the scratch repository with its text: what "nothing written" compares. */
const snapshot = (d = dir): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? snapshot(join(d, e.name)) : [`${join(d, e.name)}\n${readFileSync(join(d, e.name), "utf8")}`],
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "jit-merge-plan-"));
  mkdirSync(join(dir, ".github"), { recursive: true });
  cpSync(join(repoRoot, ".github/jit-access.yml"), join(dir, ".github/jit-access.yml"));
  mkdirSync(join(dir, "access-requests/prod/2026"), { recursive: true });
  write(REQUEST);
  expect((await runCli(["plan", FILE, "--write", "--now", NOW], dir)).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GRANTED = [
  "attach in AWS (iam): the policy for alice in account prod, until 2026-11-27T11:00:00Z",
  `record ${FILE}: grant until 2026-11-27T11:00:00Z`,
  "comment on the PR (<!-- jit-access:grant -->)",
  "state of the PR → active",
  "comment on #7 (<!-- jit-access:grant -->)",
  "state of #7 → active",
  "notify: granted 7-reports",
  "(if the attach fails, or the record cannot be written, it is rolled back and recorded failed)",
];
const refused = (codes: string) => [
  `record ${FILE}: reject (${codes})`,
  "notify: blocked 7-reports",
  "comment on the PR (<!-- jit-access:grant -->)",
  "state of the PR → blocked",
  "comment on #7 (<!-- jit-access:grant -->)",
  "state of #7 → blocked",
];

describe("plan --merge", () => {
  it.each([
    { approvers: ["--approved-by", "bob"], code: 0, verdict: "granted", codes: [] as string[] },
    { approvers: [], code: 1, verdict: "refused", codes: ["approval.insufficient"] },
    { approvers: ["--approved-by", "alice"], code: 1, verdict: "refused", codes: ["approval.self", "approval.insufficient"] },
    { approvers: ["--approved-by", "mallory"], code: 1, verdict: "refused", codes: ["approval.not-authorized", "approval.insufficient"] },
  ])("approved by $approvers → exit $code, $verdict $codes", async ({ approvers, code, verdict, codes }) => {
    const before = snapshot();
    const r = await runCli(["plan", FILE, "--merge", "--json", "--now", NOW, ...approvers], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(code);
    const out = JSON.parse(r.stdout) as MergeJson;
    expect(out.verdict).toBe(verdict);
    expect(new Set(out.codes)).toEqual(new Set(codes));
    expect(out.effects).toEqual(verdict === "granted" ? GRANTED : refused(out.codes.join(", ")));
    expect(snapshot()).toEqual(before);
  });

  it("a file with a later start: approved for it, nothing attached, the scheduled record and its announcement", async () => {
    const withPolicy = readFileSync(join(dir, FILE), "utf8");
    try {
      write(withPolicy.replace(/^duration: (.*)$/m, "duration: $1\nstarts_at: '2026-11-28T09:00:00Z'"));
      const before = snapshot();
      const r = await runCli(["plan", FILE, "--merge", "--json", "--now", NOW, "--approved-by", "bob"], dir);
      expect(r.stderr).toBe("");
      const out = JSON.parse(r.stdout) as MergeJson;
      expect(out.verdict).toBe("granted");
      expect(out.effects[0]).toMatch(/^attach nothing in AWS now: approved for a later start, granted by the expiry sweep from 2026-11-28T09:00:00Z until /);
      expect(out.effects.slice(1)).toEqual([
        expect.stringMatching(new RegExp(`^record ${FILE}: schedule from 2026-11-28T09:00:00Z until `)) as unknown,
        "comment on the PR (<!-- jit-access:grant -->)",
        "state of the PR → scheduled",
        "comment on #7 (<!-- jit-access:grant -->)",
        "state of #7 → scheduled",
      ]);
      expect(snapshot()).toEqual(before);
    } finally {
      write(withPolicy);
    }
  });

  it("human output: the verdict, why, and the effects, with nothing done", async () => {
    const r = await runCli(["plan", FILE, "--merge", "--now", NOW, "--approved-by", "bob,carol"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`✓ ${FILE}: merged now, approved by bob, carol, it would be granted`);
    expect(r.stdout).toContain("Effects (nothing is done):\n  attach in AWS (iam)");
    const no = await runCli(["plan", FILE, "--merge", "--now", NOW], dir);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/it would be refused\n\nWhy:\n {2}✗ /);
  });

  it("a file without a policy, or one claiming a status, is refused as the merge handler refuses it", async () => {
    const withPolicy = readFileSync(join(dir, FILE), "utf8");
    try {
      write(REQUEST);
      const r = await runCli(["plan", FILE, "--merge", "--json", "--now", NOW, "--approved-by", "bob"], dir);
      expect(r.code).toBe(1);
      expect((JSON.parse(r.stdout) as MergeJson).codes).toEqual(["merge.no-policy"]);
      write(withPolicy.replace("status: proposed", "").replace(/^id: 7-reports$/m, "id: 7-reports\nstatus: active"));
      const active = await runCli(["plan", FILE, "--merge", "--json", "--now", NOW, "--approved-by", "bob"], dir);
      expect(active.code).toBe(1);
      expect(JSON.parse(active.stdout) as MergeJson).toMatchObject({ verdict: "refused", codes: ["request.status-grant"] });
    } finally {
      write(withPolicy);
    }
  });

  it.each([
    [["plan", FILE, "--merge", "--write"], /neither --write nor --ai/],
    [["plan", FILE, "--merge", "--ai", "builtin"], /neither --write nor --ai/],
    [["plan", FILE, "--approved-by", "bob"], /use it with --merge/],
  ])("usage error %j → exit 2", async (args, message) => {
    const r = await runCli(args, dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
