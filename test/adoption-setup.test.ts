// `npm start`'s setup flow: registering the GitHub App for an organisation (GH_ORG), and what it
// says when the app would land under a personal account.
import { afterEach, describe, expect, it } from "vitest";
import { setupNotice } from "../src/setup-notice.js";
// Probot does not export its manifest flow; its own file is read to pin the behaviour relied on.
import { ManifestCreation } from "../node_modules/probot/lib/manifest-creation.js";

const saved = { GH_ORG: process.env.GH_ORG, GHE_HOST: process.env.GHE_HOST };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("Probot's setup flow registers under GH_ORG", () => {
  it.each([
    [undefined, "https://github.com/settings/apps/new"],
    ["acme", "https://github.com/organizations/acme/settings/apps/new"],
  ])("GH_ORG=%s → %s", (org, url) => {
    delete process.env.GHE_HOST;
    if (org === undefined) delete process.env.GH_ORG;
    else process.env.GH_ORG = org;
    expect(new ManifestCreation({ updateEnv: () => ({}) }).createAppUrl).toBe(url);
  });
});

describe("setupNotice", () => {
  it("without GH_ORG, warns that the app lands under the personal account and how to fix it", () => {
    for (const env of [{}, { GH_ORG: "" }, { GH_ORG: "  " }]) {
      const n = setupNotice(env);
      expect(n.ok).toBe(true);
      const text = n.ok ? n.value.join("\n") : "";
      expect(text).toContain("GH_ORG is not set");
      expect(text).toContain("GH_ORG=<organisation> npm start");
      expect(text).toContain("webhook URL");
    }
  });

  it.each(["acme", "acme-corp", "A1", "a".repeat(39)])("GH_ORG=%s names the organisation's registration page", (org) => {
    const n = setupNotice({ GH_ORG: org });
    expect(n.ok && n.value[0]).toContain(`https://github.com/organizations/${org}/settings/apps/new`);
  });

  it("follows GHE_HOST like Probot does", () => {
    const n = setupNotice({ GH_ORG: "acme", GHE_HOST: "ghe.example.com" });
    expect(n.ok && n.value[0]).toContain("https://ghe.example.com/organizations/acme/settings/apps/new");
  });

  it.each(["-acme", "acme-", "ac--me", "acme/x", "acme corp", "a".repeat(40), "../x", "acme?x=1"])("GH_ORG=%s is refused with the value and the fix", (org) => {
    const n = setupNotice({ GH_ORG: org });
    expect(n.ok).toBe(false);
    expect(n.ok ? [] : n.problems.map((p) => [p.code, p.path])).toEqual([["cli.gh-org", "GH_ORG"]]);
    expect(n.ok ? "" : n.problems[0]?.message).toContain(JSON.stringify(org));
    expect(n.ok ? "" : n.problems[0]?.message).toContain("organisation login");
  });
});
