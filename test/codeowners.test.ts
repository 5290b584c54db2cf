import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CODEOWNERS_LOCATIONS, MAX_CODEOWNERS_LINES, compilePattern, ownersOf, parseCodeowners, pickCodeowners } from "../src/domain/codeowners.js";

const matches = (pattern: string, path: string): boolean => {
  const c = compilePattern(pattern);
  if (!c.ok) throw new Error(`pattern ${pattern} did not compile: ${c.problems[0]?.message}`);
  return c.value(path);
};

// pattern → [path, expected] — GitHub's documented examples and the gitignore rules it keeps.
const PATTERNS: Array<[string, Array<[string, boolean]>]> = [
  [
    "foo",
    [
      ["foo", true],
      ["foo.txt", false],
      ["foo/bar", true],
      ["bar/foo", true],
      ["bar/foo.txt", false],
      ["bar/foo/baz", true],
    ],
  ],
  [
    "/foo",
    [
      ["foo", true],
      ["foo/bar", true],
      ["foo/bar/baz", true],
      ["bar/foo", false],
      ["fool", false],
    ],
  ],
  [
    "foo/",
    [
      ["foo", false],
      ["foo/bar", true],
      ["bar/foo/baz", true],
      ["bar/foo", false],
    ],
  ],
  [
    "/foo/",
    [
      ["foo", false],
      ["foo/bar", true],
      ["foo/bar/baz", true],
      ["bar/foo/baz", false],
    ],
  ],
  [
    "foo/bar",
    [
      ["foo/bar", true],
      ["foo/bar/baz", true],
      ["foo/bart", false],
      ["baz/foo/bar", false],
    ],
  ],
  [
    "foo/bar/",
    [
      ["foo/bar", false],
      ["foo/bar/baz", true],
      ["baz/foo/bar/qux", false],
    ],
  ],
  [
    "*",
    [
      ["foo", true],
      ["foo/bar", true],
      ["a/b/c/d", true],
    ],
  ],
  [
    "*.js",
    [
      ["app.js", true],
      ["src/app.js", true],
      ["src/app.jsx", false],
      ["js", false],
    ],
  ],
  [
    "f*",
    [
      ["foo", true],
      ["foo/bar", true],
      ["bar/foo", true],
      ["bar/baz", false],
      ["xfoo", false],
    ],
  ],
  [
    "/*",
    [
      ["foo", true],
      ["foo/bar", false],
    ],
  ],
  [
    "/f*",
    [
      ["foo", true],
      ["foo/bar/baz", true],
      ["bar/foo", false],
    ],
  ],
  [
    "f*/",
    [
      ["foo", false],
      ["foo/bar", true],
      ["bar/foo/baz", true],
    ],
  ],
  [
    "/*/",
    [
      ["foo", false],
      ["foo/bar", true],
      ["foo/bar/baz", true],
    ],
  ],
  [
    "docs/*",
    [
      ["docs/getting-started.md", true],
      ["docs/build-app/troubleshooting.md", false],
      ["docs", false],
      ["x/docs/a.md", false],
    ],
  ],
  [
    "foo/*.txt",
    [
      ["foo/bar.txt", true],
      ["foo/bar/baz.txt", false],
      ["qux/foo/bar.txt", false],
    ],
  ],
  [
    "foo/*/baz",
    [
      ["foo/bar/baz", true],
      ["foo/bar/baz/qux", true],
      ["foo/baz", false],
      ["foo/a/b/baz", false],
    ],
  ],
  [
    "f?o",
    [
      ["foo", true],
      ["fo", false],
      ["fooo", false],
      ["f/o", false],
    ],
  ],
  [
    "f\\*o",
    [
      ["f*o", true],
      ["foo", false],
    ],
  ],
  [
    "f\\?o",
    [
      ["f?o", true],
      ["foo", false],
    ],
  ],
  [
    "my\\ file.txt",
    [
      ["my file.txt", true],
      ["a/my file.txt", true],
      ["myxfile.txt", false],
    ],
  ],
  [
    "**/logs",
    [
      ["logs", true],
      ["build/logs", true],
      ["deeply/nested/logs/x.log", true],
      ["logsx", false],
    ],
  ],
  [
    "**/foo/bar",
    [
      ["foo/bar", true],
      ["qux/foo/bar/baz", true],
      ["foo/baz/bar", false],
    ],
  ],
  [
    "**/*bar*",
    [
      ["bar", true],
      ["foo/rebar", true],
      ["foo/barrio", true],
      ["foo/qux/bar", true],
      ["foo/baz", false],
    ],
  ],
  [
    "foo/bar/**",
    [
      ["foo/bar", false],
      ["foo/bar/baz", true],
      ["foo/bar/baz/qux", true],
      ["qux/foo/bar/baz", false],
    ],
  ],
  [
    "foo/**/bar",
    [
      ["foo/bar", true],
      ["foo/qux/bar/baz", true],
      ["foo/qux/quux/bar/baz", true],
      ["qux/foo/bar", false],
    ],
  ],
  [
    "foo/**/",
    [
      ["foo", false],
      ["foo/bar", true],
      ["foo/bar/baz", true],
    ],
  ],
  [
    "foo/**/bar/b*",
    [
      ["foo/bar/baz", true],
      ["foo/qux/bar/baz", true],
      ["foo/bar/qux", false],
      ["foo/bar", false],
    ],
  ],
  [
    "**",
    [
      ["a", true],
      ["a/b/c", true],
    ],
  ],
  [
    "/",
    [
      ["a", false],
      ["a/b", false],
    ],
  ],
  [
    "a**b",
    [
      ["ab", true],
      ["axxb", true],
      ["a/b", false],
    ],
  ],
  [
    "/access-requests/",
    [
      ["access-requests/prod/2026/1-x.yaml", true],
      ["x/access-requests/prod/1.yaml", false],
    ],
  ],
  [
    "access-requests/prod/",
    [
      ["access-requests/prod/2026/1-x.yaml", true],
      ["access-requests/production/2026/1-x.yaml", false],
      ["access-requests/prod", false],
    ],
  ],
  [
    "ünïcode/",
    [
      ["ünïcode/a", true],
      ["unicode/a", false],
    ],
  ],
  [
    "?.md",
    [
      ["é.md", true],
      ["😀.md", true],
      ["ab.md", false],
    ],
  ],
];

describe("CODEOWNERS patterns", () => {
  const cases = PATTERNS.flatMap(([pattern, paths]) => paths.map(([path, want]) => [pattern, path, want] as const));
  it.each(cases)("%s vs %s → %s", (pattern, path, want) => {
    expect(matches(pattern, path)).toBe(want);
  });

  it.each([
    ["!foo", "negates"],
    ["foo/[ab].txt", "[ ]"],
    ["a//b", "empty path segment"],
    ["a***", "three or more"],
    ["foo\\", "lone \\"],
  ])("rejects %s (%s)", (pattern, why) => {
    const c = compilePattern(pattern);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.problems).toEqual([{ code: "approval.codeowners-pattern", path: "", message: expect.stringContaining(why) }]);
  });

  // An independent oracle: gitignore-style translation to a RegExp, as hmarr/codeowners does it,
  // used only on tiny generated patterns where backtracking cannot hurt.
  function oracle(pattern: string): RegExp {
    let segs = pattern.split("/");
    if (segs[0] === "") segs = segs.slice(1);
    else if ((segs.length === 1 || (segs.length === 2 && segs[1] === "")) && segs[0] !== "**") segs = ["**", ...segs];
    if (segs.length > 1 && segs[segs.length - 1] === "") segs[segs.length - 1] = "**";
    let re = "^";
    let needSlash = false;
    segs.forEach((seg, i) => {
      const last = i === segs.length - 1;
      if (seg === "**") {
        if (i === 0 && last) re += ".+";
        else if (i === 0) {
          re += "(?:.+/)?";
          needSlash = false;
        } else if (last) re += "/.*";
        else {
          re += "(?:/.+)?";
          needSlash = true;
        }
      } else if (seg === "*") {
        re += (needSlash ? "/" : "") + "[^/]+";
        needSlash = true;
      } else {
        re += needSlash ? "/" : "";
        for (const ch of seg) re += ch === "*" ? "[^/]*" : ch === "?" ? "[^/]" : ch;
        if (last) re += "(?:/.*)?";
        needSlash = true;
      }
    });
    return new RegExp(re + "$");
  }

  it("agrees with a gitignore-style regex oracle on generated patterns and paths", () => {
    const seg = fc.constantFrom("a", "b", "ab", "*", "a*", "*b", "?", "**");
    const pathSeg = fc.constantFrom("a", "b", "ab", "ba", "aa", "abb");
    const pattern = fc
      .tuple(fc.boolean(), fc.array(seg, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([lead, segs, trail]) => `${lead ? "/" : ""}${segs.join("/")}${trail ? "/" : ""}`)
      // the oracle's own quirk: adjacent `**` segments (`**/**`, and a lone `**/`) demand a slash
      // the path need not have; here they collapse into one `**`, as in gitignore
      .filter((p) => !/(^|\/)\*\*\/\*\*(\/|$)/.test(p) && !/^\/?\*\*\/$/.test(p));
    const path = fc.array(pathSeg, { minLength: 1, maxLength: 5 }).map((s) => s.join("/"));
    fc.assert(
      fc.property(pattern, path, (p, f) => {
        expect(matches(p, f)).toBe(oracle(p).test(f));
      }),
      { numRuns: 20000 },
    );
  });
});

describe("parseCodeowners / ownersOf", () => {
  const FILE = [
    "# Default owners",
    "*                        @acme/everyone",
    "",
    "# Request files: per-account approvers",
    "/access-requests/        @acme/security  @alice",
    "access-requests/prod/    @acme/prod-approvers",
    "access-requests/examples/",
    "*.md                     docs@example.com @acme/docs",
    "/apps/ @octocat",
    "/apps/github",
  ].join("\n");
  const parsed = parseCodeowners(FILE, ".github/CODEOWNERS");

  it.each([
    ["access-requests/sandbox/2026/7-x.yaml", ["@acme/security", "@alice"], 5],
    ["access-requests/prod/2026/142-financial-reports.yaml", ["@acme/prod-approvers"], 6],
    ["access-requests/examples/142-financial-reports.yaml", [], 7],
    ["src/index.ts", ["@acme/everyone"], 2],
    ["README.md", ["@acme/docs"], 8],
    ["access-requests/README.md", ["@acme/docs"], 8],
    ["apps/main/index.js", ["@octocat"], 9],
    ["apps/github/index.js", [], 10],
  ])("%s → %j (line %i): the last matching line wins", (path, owners, line) => {
    expect(ownersOf(parsed, path)).toMatchObject({ owners, line });
  });

  it("no match: no owners and no line", () => {
    const p = parseCodeowners("/src/ @a\n");
    expect(ownersOf(p, "docs/x.md")).toEqual({ owners: [] });
  });

  it("a line without owners means no owners, not the earlier line's", () => {
    const p = parseCodeowners("access-requests/ @acme/security\naccess-requests/prod/\n");
    expect(ownersOf(p, "access-requests/prod/2026/1-a.yaml")).toEqual({ owners: [], line: 2, pattern: "access-requests/prod/" });
    expect(ownersOf(p, "access-requests/dev/2026/1-a.yaml").owners).toEqual(["@acme/security"]);
  });

  it("e-mail owners are ignored, with a warning and in the result", () => {
    const r = ownersOf(parsed, "README.md");
    expect(r.owners).toEqual(["@acme/docs"]);
    expect(r.ignoredEmails).toEqual(["docs@example.com"]);
    expect(parsed.warnings.some((w) => w.line === 8 && w.message.includes("docs@example.com"))).toBe(true);
    const only = parseCodeowners("*.yaml owner@example.com\n");
    expect(ownersOf(only, "a.yaml")).toMatchObject({ owners: [], line: 1 });
  });

  it("comments, blank lines, CRLF, a BOM, tabs and indentation", () => {
    const p = parseCodeowners("\uFEFF# c\r\n\r\n   # indented comment\r\n\t/a/\t@x \t @y\r\n   /b/ @z\r\n");
    expect(p.warnings).toEqual([]);
    expect(ownersOf(p, "a/1")).toEqual({ owners: ["@x", "@y"], line: 4, pattern: "/a/" });
    expect(ownersOf(p, "b/1").owners).toEqual(["@z"]);
    expect(p.source).toBeUndefined();
    expect(parsed.source).toBe(".github/CODEOWNERS");
  });

  it("a trailing comment is dropped with a warning", () => {
    const p = parseCodeowners("/a/ @x # the a team\n");
    expect(ownersOf(p, "a/1").owners).toEqual(["@x"]);
    expect(p.warnings[0]?.message).toContain("trailing comment");
  });

  it.each([
    ["!access-requests/prod/ @mallory", "negates"],
    ["access-requests/[p]rod/ @mallory", "[ ]"],
    ["\\#access-requests @mallory", "escaping a leading #"],
    ["access-requests/prod/ mallory", "not @login"],
    ["access-requests/prod/ @bоb", "not @login"], // Cyrillic о
    ["access-requests/prod/ @acme/prod approvers", "not @login"],
    ["access-requests/*** @mallory", "three or more"],
    ["access-requests/prod/ @x\u0007", "control characters"],
  ])("an invalid line is skipped with a warning, as GitHub does: %s", (line, why) => {
    const p = parseCodeowners(`access-requests/ @acme/security\n${line}\n`);
    expect(ownersOf(p, "access-requests/prod/2026/1-a.yaml")).toMatchObject({ owners: ["@acme/security"], line: 1 });
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]?.line).toBe(2);
    expect(p.warnings[0]?.message).toContain(why);
  });

  it("owners keep their spelling; teams and users both parse", () => {
    const p = parseCodeowners("* @Alice @Acme-Corp/Prod.Approvers_1\n");
    expect(ownersOf(p, "x").owners).toEqual(["@Alice", "@Acme-Corp/Prod.Approvers_1"]);
  });

  it("a leading slash on the looked-up path is tolerated; empty or huge paths have no owners", () => {
    const p = parseCodeowners("/a/ @x\n");
    expect(ownersOf(p, "/a/b").owners).toEqual(["@x"]);
    expect(ownersOf(p, "")).toEqual({ owners: [] });
    expect(ownersOf(p, `a/${"b".repeat(5000)}`)).toEqual({ owners: [] });
  });

  it("bounds: too large, too many lines, too long a line → the file is not used at all", () => {
    const big = parseCodeowners(`* @a\n${"#".repeat(3 * 1024 * 1024)}`);
    expect(big.rules).toEqual([]);
    expect(big.error).toContain("3 MB");
    const many = parseCodeowners("* @a\n".repeat(MAX_CODEOWNERS_LINES + 1));
    expect(many.rules).toEqual([]);
    expect(many.error).toContain("lines");
    const long = parseCodeowners(`* @a\n/x/ ${"@b ".repeat(2000)}\n`);
    expect(long.rules).toEqual([]);
    expect(long.error).toContain("line 2");
    const nul = parseCodeowners("* @a\u0000");
    expect(nul.error).toContain("NUL");
    expect(ownersOf(nul, "x")).toEqual({ owners: [] });
    expect(parseCodeowners(42).error).toContain("not text");
  });

  it("many owners on one line → not used; many warnings are capped", () => {
    const owners = Array.from({ length: 201 }, (_, i) => `@u${i}`).join(" ");
    expect(parseCodeowners(`* ${owners}\n`).error).toContain("201 owners");
    const bad = parseCodeowners("!x @a\n".repeat(500));
    expect(bad.warnings).toHaveLength(51);
    expect(bad.warnings[50]?.message).toContain("450 more");
  });

  it("never throws on garbage", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), fc.string({ maxLength: 60 }), (text, path) => {
        const p = parseCodeowners(text);
        const r = ownersOf(p, path);
        expect(Array.isArray(r.owners)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom("*", "**", "/", "?", "a", "\\", " ", "@x", "#", "\n", "!", "["), { maxLength: 40 }), (parts) => {
        const p = parseCodeowners(parts.join(""));
        ownersOf(p, "a/b/c");
      }),
      { numRuns: 2000 },
    );
  });

  it("pathological patterns match fast (no catastrophic backtracking)", () => {
    const longSeg = "a".repeat(4000);
    const longPath = Array.from({ length: 200 }, () => "a").join("/") + "/" + longSeg;
    const lines = [
      `${"*".repeat(1000)} @x`, // skipped: three or more stars
      `${"*a".repeat(500)}b @x`,
      `${"a*".repeat(500)}b @x`,
      `${"**/a/".repeat(150)}b @x`,
      `${"*/".repeat(300)}b @x`,
      `${"?".repeat(2000)}b @x`,
    ];
    const t0 = performance.now();
    const p = parseCodeowners(lines.join("\n"));
    const r = ownersOf(p, longPath);
    const elapsed = performance.now() - t0;
    expect(p.rules).toHaveLength(5);
    expect(r).toEqual({ owners: [] });
    expect(elapsed).toBeLessThan(100);

    const t1 = performance.now();
    expect(matches("*".repeat(2) + "a".repeat(3) + "*b", longSeg)).toBe(false);
    expect(matches(`${"*a".repeat(500)}*`, longSeg)).toBe(true);
    expect(performance.now() - t1).toBeLessThan(100);
  });
});

describe("pickCodeowners", () => {
  it("uses GitHub's order: .github/, root, docs/", () => {
    expect(CODEOWNERS_LOCATIONS).toEqual([".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"]);
    const all = [
      { path: "docs/CODEOWNERS", text: "docs" },
      { path: "CODEOWNERS", text: "root" },
      { path: ".github/CODEOWNERS", text: "github" },
    ];
    expect(pickCodeowners(all)).toEqual({ path: ".github/CODEOWNERS", text: "github" });
    expect(pickCodeowners([{ path: ".github/CODEOWNERS", text: undefined }, ...all.slice(0, 2)])).toEqual({ path: "CODEOWNERS", text: "root" });
    expect(pickCodeowners([{ path: "docs/CODEOWNERS", text: "docs" }])).toEqual({ path: "docs/CODEOWNERS", text: "docs" });
  });

  it("an empty file exists and wins; other paths never count; none → undefined", () => {
    expect(
      pickCodeowners([
        { path: ".github/CODEOWNERS", text: "" },
        { path: "CODEOWNERS", text: "* @a" },
      ]),
    ).toEqual({ path: ".github/CODEOWNERS", text: "" });
    expect(
      pickCodeowners([
        { path: "src/CODEOWNERS", text: "* @a" },
        { path: ".github/codeowners", text: "* @a" },
      ]),
    ).toBeUndefined();
    expect(pickCodeowners([])).toBeUndefined();
  });
});
