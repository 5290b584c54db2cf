// The CODEOWNERS candidates are read in GitHub's order and no further than the first file found:
// for every combination of present files, the same file is picked as from all three, with fewer reads.
import { describe, expect, it } from "vitest";
import { CODEOWNERS_LOCATIONS, pickCodeowners } from "../src/domain/codeowners.js";
import { codeownersCandidates } from "../src/github/repo-config.js";

const combos = Array.from({ length: 2 ** CODEOWNERS_LOCATIONS.length }, (_, mask) => CODEOWNERS_LOCATIONS.filter((_, i) => mask & (1 << i)));

describe("codeownersCandidates", () => {
  it.each(combos.map((present) => [present.join(", ") || "none", present] as const))("present: %s", async (_name, present) => {
    const reads: string[] = [];
    const read = async (p: string) => {
      reads.push(p);
      return present.includes(p as (typeof present)[number]) ? { text: `* @owner-of-${p}\n` } : undefined;
    };
    const candidates = await codeownersCandidates(read);
    const all = CODEOWNERS_LOCATIONS.map((p) => ({ path: p, text: present.includes(p) ? `* @owner-of-${p}\n` : undefined }));
    expect(pickCodeowners(candidates)).toEqual(pickCodeowners(all));
    const first = CODEOWNERS_LOCATIONS.findIndex((p) => present.includes(p));
    expect(reads).toEqual(CODEOWNERS_LOCATIONS.slice(0, first < 0 ? CODEOWNERS_LOCATIONS.length : first + 1));
  });

  it("a failed read is thrown, never taken as absent", async () => {
    const read = async (p: string) => {
      if (p === ".github/CODEOWNERS") throw Object.assign(new Error("server error"), { status: 500 });
      return { text: "* @fallback\n" };
    };
    await expect(codeownersCandidates(read)).rejects.toThrow("server error");
  });
});
