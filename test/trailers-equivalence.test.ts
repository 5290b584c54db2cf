// parseTrailers reads the last paragraph line by line; the reference below is the plain
// split-into-paragraphs version, compared on random messages built from the characters that
// matter (newlines, every kind of whitespace, colons, key characters).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commitMessage, parseTrailers } from "../src/domain/records.js";

function reference(message: string): Record<string, string[]> {
  const paragraphs = message
    .replace(/\r/g, "")
    .trim()
    .split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? "";
  const out: Record<string, string[]> = {};
  for (const line of last.split("\n")) {
    const m = /^([A-Za-z][A-Za-z0-9-]*): (.*)$/.exec(line);
    if (!m) return {};
    const key = m[1] as string;
    (out[key] ??= []).push(m[2] as string);
  }
  return out;
}

describe("parseTrailers", () => {
  it("agrees with the split-into-paragraphs reading on random messages", () => {
    const ch = fc.constantFrom(
      "\n",
      "\n",
      "\n",
      " ",
      "\t",
      "\r",
      "\u00a0",
      "\u2028",
      "\u2029",
      "\v",
      ":",
      ": ",
      "a",
      "K",
      "-",
      "Rule",
      "Request-Id: 1-a",
      "é",
      "1",
    );
    fc.assert(
      fc.property(fc.array(ch, { maxLength: 40 }), (parts) => {
        const m = parts.join("");
        expect(parseTrailers(m)).toEqual(reference(m));
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ["", {}],
    ["subject", {}],
    ["jit-access: grant 1-a", { "jit-access": ["grant 1-a"] }],
    ["s\n\nbody\n \t\nRequest-Id: 1-a\nRule: x.y", { "Request-Id": ["1-a"], Rule: ["x.y"] }],
    ["s\n\nRequest-Id: 1-a\n\u00a0\nnot a trailer", {}],
    ["s\r\n\r\nRisk: high\r\n", { Risk: ["high"] }],
  ])("reads %j", (m, want) => {
    expect(parseTrailers(m)).toEqual(want);
    expect(reference(m)).toEqual(want);
  });

  it("reads back what commitMessage writes", () => {
    const m = commitMessage("jit-access: revoke 1-a", "Revoked early.\n\nKey: value in the body", {
      "Request-Id": "1-a",
      "Closed-By": "bob",
      Rule: ["a.b", "c.d"],
    });
    expect(parseTrailers(m)).toEqual({ "Request-Id": ["1-a"], "Closed-By": ["bob"], Rule: ["a.b", "c.d"] });
  });
});
