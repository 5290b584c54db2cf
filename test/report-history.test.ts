// The report's git log parser agrees with the plain token-by-token reading it is an optimised
// form of: on a generated history, and on arbitrary logs built from the tokens git prints.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { parseGitLog, type FileChange, type HistoryCommit } from "../src/report/history.js";
import { syntheticHistory, toGitLogText } from "../src/report/synthetic.js";

/** The specification: split on NUL, regexes per token. */
function reference(text: string): HistoryCommit[] {
  const tokens = text.split("\0");
  const out: HistoryCommit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const head = (tokens[i] ?? "").replace(/^\n+/, "");
    if (!head.startsWith("\x1e")) {
      i++;
      continue;
    }
    const sha = head.slice(1);
    const parents = (tokens[i + 1] ?? "").split(" ").filter(Boolean);
    const authorDate = tokens[i + 2] ?? "";
    const commitDate = tokens[i + 3] ?? "";
    const message = (tokens[i + 4] ?? "").replace(/\r/g, "");
    i += 5;
    const files: FileChange[] = [];
    while (i < tokens.length) {
      const t = (tokens[i] ?? "").replace(/^\n+/, "");
      if (t.startsWith("\x1e") || !/^[ACDMRTUXB][0-9]*$/.test(t)) break;
      const path = tokens[i + 1];
      if (path === undefined) break;
      files.push({ status: t.charAt(0), path });
      i += 2;
    }
    if (!/^[0-9a-f]{40,64}$/.test(sha)) continue;
    const trimmed = message.trimEnd();
    const nl = trimmed.indexOf("\n");
    out.push({
      sha,
      parents,
      authorDate,
      commitDate,
      subject: nl < 0 ? trimmed : trimmed.slice(0, nl),
      body: trimmed,
      trailers: parseTrailers(trimmed),
      files,
    });
  }
  return out;
}

describe("parseGitLog", () => {
  it("reads a generated history as the token-by-token reading does", () => {
    const text = toGitLogText(syntheticHistory(300).commits);
    const parsed = parseGitLog(text);
    expect(parsed.length).toBeGreaterThan(300);
    expect(parsed).toEqual(reference(text));
  });

  it.each([
    ["empty", ""],
    ["a head at the very end", `\x1e${"a".repeat(40)}`],
    ["leading newlines before a head and a status", `\n\n\x1e${"b".repeat(40)}\0p1 p2\0d1\0d2\0msg\r\n\nRequest-Id: 1-a\n\0\n\nM\0access-requests/x.yaml\0`],
    ["a rename score and a status without a path", `\x1e${"c".repeat(40)}\0\0d\0d\0m\0R100\0a.yaml\0M`],
    ["a short sha is skipped", `\x1eabc\0\0d\0d\0m\0\nA\0x.yaml\0\x1e${"d".repeat(64)}\0 \0d\0d\0m\0`],
    ["a status followed by a colon ends the files", `\x1e${"e".repeat(40)}\0\0d\0d\0m\0M:\0x.yaml\0`],
    ["a lower-case status ends the files", `\x1e${"e".repeat(40)}\0\0d\0d\0m\0\nm\0x.yaml\0`],
  ])("agrees with the token-by-token reading: %s", (_n, text) => {
    expect(parseGitLog(text)).toEqual(reference(text));
  });

  it("agrees with the token-by-token reading on commit-shaped logs with odd statuses and paths", () => {
    const status = fc.oneof(fc.constantFrom("A", "M", "\nD", "\n\nT", "R100", "C75", "M:", "R9/", "m", "", "\x1eM", "X0", "B"), fc.string({ maxLength: 3 }));
    const commit = fc.tuple(
      fc.constantFrom(`\x1e${"f".repeat(40)}`, `\n\x1e${"1".repeat(64)}`, "\x1eshort"),
      fc.constantFrom("", "p1", "p1 p2", " "),
      fc.string({ maxLength: 6 }),
      fc.array(fc.tuple(status, fc.constantFrom("access-requests/a.yaml", "", "\x1ex", "\n")), { maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(commit, { maxLength: 6 }), fc.boolean(), (commits, cut) => {
        const tokens = commits.flatMap(([head, parents, msg, files]) => [head, parents, "d1", "d2", msg, ...files.flat()]);
        if (cut) tokens.pop();
        const text = tokens.join("\0");
        expect(parseGitLog(text)).toEqual(reference(text));
      }),
      { numRuns: 500 },
    );
  });

  it("agrees with the token-by-token reading on arbitrary sequences of git's tokens", () => {
    const token = fc.oneof(
      fc.constantFrom(
        `\x1e${"f".repeat(40)}`,
        `\n\x1e${"0".repeat(40)}`,
        "\x1eXYZ",
        "",
        "\n",
        "\n\nM",
        "A",
        "D",
        "R087",
        "M1x",
        "M:",
        "R9/",
        "B",
        "Z",
        "a b",
        "2026-01-01T00:00:00Z",
      ),
      fc.constantFrom("jit-access: grant 1-a\n\nrisk high.\nRequest-Id: 1-a\nRisk: high\n", "x\r\ny\n\n", "access-requests/prod/2026/1-a.yaml"),
      fc.string({ unit: fc.constantFrom("a", "\n", "\r", " ", "\x1e", "M", "1", ":"), maxLength: 8 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (tokens) => {
        const text = tokens.join("\0");
        expect(parseGitLog(text)).toEqual(reference(text));
      }),
      { numRuns: 500 },
    );
  });
});
