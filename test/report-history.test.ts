// The report's git log parser agrees with the plain token-by-token reading it is an optimised
// form of: on a generated history, and on arbitrary logs built from the tokens git prints; fed in
// chunks cut anywhere, it reads the same; and the report folded from the stream is the one built
// from the whole list of commits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { buildReport, HistoryIndex } from "../src/report/aggregate.js";
import { GitLogParser, parseGitLog, type FileChange, type HistoryCommit } from "../src/report/history.js";
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

/** The log fed to a GitLogParser in chunks cut at the given offsets. */
function streamed(text: string, cuts: number[]): HistoryCommit[] {
  const out: HistoryCommit[] = [];
  const parser = new GitLogParser((c) => out.push(c));
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)) {
    parser.push(text.slice(at, cut));
    at = cut;
  }
  parser.push(text.slice(at));
  parser.end();
  return out;
}

describe("GitLogParser (the streamed log)", () => {
  const history = syntheticHistory(200, 7);
  const text = toGitLogText(history.commits);

  it("reads a generated history cut into chunks anywhere — inside tokens, between NUL and newline — as parseGitLog reads it whole", () => {
    const whole = parseGitLog(text);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        expect(streamed(text, cuts)).toEqual(whole);
      }),
      { numRuns: 100 },
    );
    // Every boundary of the first commits, one character at a time.
    const head = text.slice(0, 2000);
    expect(
      streamed(
        head,
        [...head].map((_, i) => i),
      ),
    ).toEqual(parseGitLog(head));
  });

  it("agrees with the token-by-token reading on arbitrary token sequences cut anywhere", () => {
    const token = fc.oneof(
      fc.constantFrom(
        `\x1e${"f".repeat(40)}`,
        `\n\x1e${"0".repeat(40)}`,
        "\x1eXYZ",
        "",
        "\n",
        "\n\nM",
        "A",
        "R087",
        "M:",
        "a b",
        "jit-access: grant 1-a\n\nRisk: high\n",
      ),
      fc.string({ unit: fc.constantFrom("a", "\n", "\r", " ", "\x1e", "M", "1"), maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 8 }), (tokens, cuts) => {
        const t = tokens.join("\0");
        expect(streamed(t, cuts)).toEqual(reference(t));
      }),
      { numRuns: 300 },
    );
  });

  it("builds the same report from the streamed index as from the list of commits", () => {
    for (const seed of [1, 2, 3]) {
      const h = syntheticHistory(150, seed);
      const index = new HistoryIndex();
      const parser = new GitLogParser((c) => index.add(c));
      parser.push(toGitLogText(h.commits));
      parser.end();
      for (const [sha, iso] of h.mergeDates) index.addMergeDate(sha, iso);
      expect(index.commits).toBe(h.commits.length);
      expect(buildReport({ records: h.records, history: index, now: h.now })).toEqual(
        buildReport({ records: h.records, commits: h.commits, mergeDates: h.mergeDates, now: h.now }),
      );
    }
  });

  it("refuses commits added after the report was built from it", () => {
    const index = new HistoryIndex();
    index.indexed();
    expect(() => index.add(parseGitLog(text)[0]!)).toThrow(/after the report was built/);
  });
});
