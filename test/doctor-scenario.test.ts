// doctor on an installation made the way docs describe it, with the real app on the fake GitHub
// and the fake AWS: before the app is installed and the branch protected, doctor names exactly
// those gaps; after the installation event (the app makes its labels) and the protection a
// person sets, every check passes.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { doctorCommand } from "../src/doctor/command.js";
import type { CheckResult } from "../src/doctor/checks.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { REPO, startHarness, type Harness } from "./support/app-harness.js";
import type { WebhookEvent } from "./support/webhooks.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }] });

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ appOwner: "acme" });
});
afterEach(async () => {
  await h.close();
});

function installationCreated(): WebhookEvent {
  const repo = h.github.repo(REPO);
  const list = [{ id: repo.id, node_id: `R_${repo.id}`, name: repo.name, full_name: REPO, private: repo.private }];
  return { name: "installation", payload: { action: "created", installation: h.github.installationJson(), repositories: list, sender: h.github.userJson("acme-admin") } };
}

async function doctor(): Promise<{ code: number; checks: CheckResult[] }> {
  let out = "";
  const io = { stdout: { write: (x: string) => (out += x) }, stderr: { write: () => true }, cwd: process.cwd() };
  const settings = h.aws.clientSettings;
  const code = await doctorCommand(["--repo", REPO, "--json"], io, { env: { GITHUB_TOKEN: h.github.tokenFor("acme-admin"), GITHUB_API_URL: h.github.url }, awsSettings: () => settings });
  return { code, checks: (JSON.parse(out) as { checks: CheckResult[] }).checks };
}

const failing = (checks: CheckResult[]) => checks.filter((c) => c.status !== "ok").map((c) => c.id);

describe("doctor on the harness installation", () => {
  it("names the missing labels, protection and scheduler role; green once the app is installed and a person did the rest", async () => {
    const before = await doctor();
    expect(before.code).toBe(1);
    expect(failing(before.checks)).toEqual(["labels", "branch-protection", "scheduler-role"]);

    expect(await h.deliver(installationCreated())).toBe(200);
    h.github.branchProtection.set(`${REPO}#main`.toLowerCase(), {
      url: `https://api.github.com/repos/${REPO}/branches/main/protection`,
      required_pull_request_reviews: { url: `https://api.github.com/repos/${REPO}/branches/main/protection/required_pull_request_reviews`, dismiss_stale_reviews: true, require_code_owner_reviews: true, required_approving_review_count: 1 },
    });
    h.aws.addRole(HOME, "jit-access-scheduler");
    const role = h.aws.account(HOME).iam.roles.get("jit-access-scheduler");
    if (role) role.trust = TRUST;

    const after = await doctor();
    expect(failing(after.checks)).toEqual([]);
    expect(after.code).toBe(0);
  });
});
