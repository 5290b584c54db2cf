// doctor on an installation made the way docs describe it, with the real app on the fake GitHub
// and the fake AWS: before the app is installed and the branch protected, doctor names exactly
// those gaps; after the installation event (the app makes its labels) and the protection a
// person sets, every check passes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HOME } from "./support/fake-aws/fixtures.js";
import { startHarness, type Harness } from "./support/app-harness.js";
import { deploySchedulerRole, failingChecks as failing, installationCreated, protectDefaultBranch, runDoctor } from "./support/adoption.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ appOwner: "acme" });
});
afterEach(async () => {
  await h.close();
});

describe("doctor on the harness installation", () => {
  it("names the missing labels, protection and scheduler role; green once the app is installed and a person did the rest", async () => {
    const before = await runDoctor(h);
    expect(before.code).toBe(1);
    expect(failing(before.checks)).toEqual(["labels", "branch-protection", "scheduler-role"]);

    expect(await h.deliver(installationCreated(h))).toBe(200);
    protectDefaultBranch(h);
    deploySchedulerRole(h, HOME);

    const after = await runDoctor(h);
    expect(failing(after.checks)).toEqual([]);
    expect(after.code).toBe(0);
  });
});
