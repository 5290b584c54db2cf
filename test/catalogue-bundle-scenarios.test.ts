// Scenario: catalogue entries that grant an existing managed policy (iam mode) or permission set
// (identity-center mode), from the proposal to the end, on the in-memory AccessRepo and the
// in-memory fake AWS (real SDK clients): intake writes no policy and the PR says what is granted
// and that no time condition can be stamped; the merge attaches or assigns; the grant ends through
// the Scheduler schedule or — when it misses — the sweep; standing access is refused at merge and
// left alone; a failed attach is rolled back and recorded `failed`.
import { CreatePolicyCommand } from "@aws-sdk/client-iam";
import { CreateAccountAssignmentCommand, CreatePermissionSetCommand } from "@aws-sdk/client-sso-admin";
import { readBundle } from "../src/doctor/aws-facts.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { parseRequestFile } from "../src/domain/request.js";
import type { AccessRequest } from "../src/domain/types.js";
import { grantMergedOnce, type MergedPr } from "../src/github/grant.js";
import { proposeFromIssue } from "../src/github/intake.js";
import { executeSweep } from "../src/sweep/execute.js";
import { parseRecords, planSweep } from "../src/sweep/plan.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, SCHEDULER_ROLE, seed } from "./support/fake-aws/fixtures.js";
import { approvedMerge, MemoryAccessRepo } from "./support/memory-repo.js";

const INSTANCE = "arn:aws:sso:::instance/ssoins-1111111111111111";
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const [BASE, HEAD, MERGE] = ["b", "c", "d"].map((c) => c.repeat(40)) as [string, string, string];
const NOW = new Date("2026-11-27T10:00:00Z");
const APP = "jit-access[bot]";

type Kind = "managed_policy" | "permission_set";

function configText(kind: Kind, storeId = "d-1111111111", policyArn = READ_ONLY): string {
  const aws =
    kind === "managed_policy"
      ? `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${HOME}"
  scheduler_role_arn: ${SCHEDULER_ROLE}
principals:
  alice: { iam_user: alice }
`
      : `aws:
  mode: identity-center
  region: us-east-1
  accounts:
    prod: "${HOME}"
  scheduler_role_arn: ${SCHEDULER_ROLE}
  identity_center:
    instance_arn: ${INSTANCE}
    identity_store_id: ${storeId}
principals:
  alice: { sso_user: alice@example.com }
`;
  const entry =
    kind === "managed_policy"
      ? `    kind: managed_policy
    description: AWS ReadOnlyAccess
    policy_arn: ${policyArn}`
      : `    kind: permission_set
    description: read only
    permission_set: ReadOnly`;
  return `${aws}approvers: [bob, dave]
required_approvals: { low: 1, medium: 1, high: 1 }
catalogue:
  read-only:
${entry}
    accounts: [prod]
    risk: low
`;
}

const fake = createFakeAws();
afterAll(() => fake.restore());
let aliceId = "";
let psArn = "";
beforeEach(async () => {
  fake.reset();
  seed(fake);
  aliceId = fake.state.sso.users.get("alice@example.com")!;
  psArn = (await fake.clients.ssoAdmin.send(new CreatePermissionSetCommand({ InstanceArn: INSTANCE, Name: "ReadOnly" }))).PermissionSet!.PermissionSetArn!;
});

const holds = (kind: Kind): boolean =>
  kind === "managed_policy"
    ? fake.state.accounts.get(HOME)!.iam.users.get("alice")!.attached.includes(READ_ONLY)
    : [...fake.state.sso.assignments.values()].some((a) => a.principalId === aliceId && a.permissionSetArn === psArn);

function issueBody(duration = "1h"): string {
  return [
    "### Account\n\nprod",
    "### Catalogue entry\n\nread-only",
    "### Service\n\n_No response_",
    "### Resources\n\n_No response_",
    "### Access levels\n\n- [ ] read\n- [ ] list\n- [ ] write\n- [ ] tagging\n- [ ] permissions-management",
    "### Exact actions (optional)\n\n_No response_",
    `### Duration\n\n${duration}`,
    "### Reason\n\nIncident review",
    "### Description (optional)\n\n_No response_",
  ].join("\n\n");
}

/** The repository with a request for the entry merged (approved by bob), and the merge. */
function merged(kind: Kind): { repo: MemoryAccessRepo; pr: MergedPr; file: string; id: string } {
  const config = configText(kind, fake.state.sso.identityStoreId);
  const id = "7-read-only";
  const file = `access-requests/prod/2026/${id}.yaml`;
  const request: AccessRequest = {
    version: 1,
    id,
    requester: "alice",
    account: "prod",
    duration: "2h",
    reason: "Incident review",
    catalogue: "read-only",
    request: [],
  };
  const text = dumpRequest(request, "proposed");
  const repo = new MemoryAccessRepo({ [CONFIG_PATH]: config, [file]: text });
  repo.setRef(BASE, { [CONFIG_PATH]: config });
  repo.setRef(MERGE, { [CONFIG_PATH]: config, [file]: text });
  repo.issues.set(7, { number: 7, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  repo.issueLabels.set(7, ["access-request", "jit:proposed"]);
  repo.issueLabels.set(8, ["jit:proposed"]);
  const pr = approvedMerge(repo, { pr: 8, id, file, text, base: BASE, head: HEAD, merge: MERGE, message: "jit-access: propose" });
  return { repo, pr, file, id };
}

async function sweepAt(repo: MemoryAccessRepo, kind: Kind, at: Date) {
  const parsed = parseConfig(configText(kind, fake.state.sso.identityStoreId));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const grants = fakeGrants(fake, parsed.value, { now: () => at });
  const plan = planSweep(parseRecords(await repo.list(), parsed.value, { now: at }), await grants.listManaged(), at, { mode: parsed.value.aws.mode });
  return { plan, outcome: await executeSweep(plan, { store: repo, config: parsed.value, grants }) };
}

describe("intake of a bundle entry", () => {
  it.each<Kind>(["managed_policy", "permission_set"])(
    "%s: the file has no policy; the PR says what is granted and that no time condition can be stamped",
    async (kind) => {
      const config = configText(kind, fake.state.sso.identityStoreId);
      const repo = new MemoryAccessRepo({ [CONFIG_PATH]: config });
      repo.branches.set("main", BASE);
      repo.setRef(BASE, { [CONFIG_PATH]: config });
      repo.issueTexts.set(12, { body: issueBody(), editor: null });
      repo.issueLabels.set(12, ["access-request"]);
      repo.issues.set(12, { number: 12, author: { login: "alice", type: "User" }, state: "open", isPull: false });
      const out = await proposeFromIssue(
        repo,
        {
          number: 12,
          title: "Access request",
          body: issueBody(),
          author: { login: "alice", type: "User" },
          createdAt: "2026-11-27T09:00:00Z",
          labels: ["access-request"],
        },
        { now: NOW, appLogin: APP, event: { action: "opened", bodyChanged: false } },
      );
      expect(out.kind, JSON.stringify(out)).toBe("opened");
      if (out.kind !== "opened") return;
      const text = repo.refs.get(out.branch)!.get(out.file)!;
      expect(text).toContain("catalogue: read-only");
      expect(text).not.toMatch(/^policy:/m);
      expect(text).not.toMatch(/^generator:/m);
      const parsed = parseConfig(config);
      expect(parsed.ok && parseRequestFile(text, { file: out.file, config: parsed.value }).ok).toBe(true);
      const body = repo.pullUpdates.at(-1)?.body ?? repo.createdPulls.at(-1)?.body ?? "";
      expect(body).toContain("### What is granted");
      expect(body).toContain(kind === "managed_policy" ? READ_ONLY : "`ReadOnly`");
      expect(body).toContain("**No time condition can be stamped**");
      expect(body).toContain("jit-access cannot stamp a time condition into it");
      expect(body).toMatch(/\*\*Risk tier:\*\* .*low/i);
      expect(body).not.toContain("Policy JSON");
    },
  );
});

describe("the PR reads what the bundle allows, when the app can", () => {
  it("an AdministratorAccess-like managed policy under an entry that says low: shown as such, with a warning; the approvals stay the entry's", async () => {
    const admin = `arn:aws:iam::${HOME}:policy/Everything`;
    await fake.clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: "Everything",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }),
      }),
    );
    const config = configText("managed_policy", undefined, admin);
    const repo = new MemoryAccessRepo({ [CONFIG_PATH]: config });
    repo.branches.set("main", BASE);
    repo.setRef(BASE, { [CONFIG_PATH]: config });
    repo.issueTexts.set(12, { body: issueBody(), editor: null });
    repo.issueLabels.set(12, ["access-request"]);
    repo.issues.set(12, { number: 12, author: { login: "alice", type: "User" }, state: "open", isPull: false });
    const out = await proposeFromIssue(
      repo,
      {
        number: 12,
        title: "Access request",
        body: issueBody(),
        author: { login: "alice", type: "User" },
        createdAt: "2026-11-27T09:00:00Z",
        labels: ["access-request"],
      },
      { now: NOW, appLogin: APP, event: { action: "opened", bodyChanged: false }, bundles: (c, ref) => readBundle(c, ref, fake.clientSettings) },
    );
    expect(out.kind).toBe("opened");
    const body = repo.pullUpdates.at(-1)?.body ?? repo.createdPulls.at(-1)?.body ?? "";
    expect(body).toContain("Read from AWS, it allows **AdministratorAccess-like** access");
    expect(body).toContain("sets risk low; the approvals counted are the entry's");
    expect(body).toMatch(/\*\*Risk tier:\*\* .*low/i);
    expect(body).not.toContain("was not read here");
  });
});

describe.each<Kind>(["managed_policy", "permission_set"])("%s: merge → grant → end", (kind) => {
  it("the merge grants and records the attachment or assignment; the schedule ends it at the expiry; the sweep records it expired", async () => {
    const { repo, pr, file } = merged(kind);
    const out = await grantMergedOnce(repo, pr, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    expect(out, JSON.stringify(out)).toMatchObject({ kind: "granted" });
    const record = repo.files.get(file)!;
    expect(recordStatus(record)).toBe("active");
    expect(record).toContain(kind === "managed_policy" ? `attached:user/alice:${READ_ONLY}` : `assigned:user/${aliceId}:${psArn}`);
    expect(holds(kind)).toBe(true);

    // The Scheduler fires at the expiry (merged 09:59 + 2h).
    const expiry = new Date("2026-11-27T11:59:00Z");
    expect(fake.fireDueSchedules(expiry).map((f) => f.error)).toEqual([undefined]);
    fake.settle();
    expect(holds(kind)).toBe(false);
    const { outcome } = await sweepAt(repo, kind, new Date("2026-11-27T12:00:00Z"));
    expect(outcome.due.map((d) => d.result)).toEqual(["expired"]);
    expect(recordStatus(repo.files.get(file)!)).toBe("expired");
  });

  it("when the schedule misses, the sweep after the expiry removes the attachment or assignment and records it expired", async () => {
    const { repo, pr, file } = merged(kind);
    await grantMergedOnce(repo, pr, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    // Before the expiry the sweep leaves it alone.
    const early = await sweepAt(repo, kind, new Date("2026-11-27T11:00:00Z"));
    expect(early.plan.due).toEqual([]);
    expect(early.plan.drift).toEqual([]);
    expect(holds(kind)).toBe(true);
    const { outcome } = await sweepAt(repo, kind, new Date("2026-11-27T12:05:00Z"));
    expect(outcome.due.map((d) => [d.result, d.removed.length > 0])).toEqual([["expired", true]]);
    expect(holds(kind)).toBe(false);
    expect(recordStatus(repo.files.get(file)!)).toBe("expired");
    // The permission set / policy itself is still there.
    if (kind === "permission_set") expect(fake.state.sso.permissionSets.has(psArn)).toBe(true);
  });

  it("standing access: the merge is refused with aws.standing-access, recorded failed, and the standing access stays", async () => {
    if (kind === "managed_policy") fake.addUser(HOME, "alice", [READ_ONLY]);
    else {
      await fake.clients.ssoAdmin.send(
        new CreateAccountAssignmentCommand({
          InstanceArn: INSTANCE,
          TargetId: HOME,
          TargetType: "AWS_ACCOUNT",
          PermissionSetArn: psArn,
          PrincipalType: "USER",
          PrincipalId: aliceId,
        }),
      );
      fake.settle();
    }
    const { repo, pr, file } = merged(kind);
    const out = await grantMergedOnce(repo, pr, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    expect(out).toMatchObject({ kind: "failed" });
    const record = repo.files.get(file)!;
    expect(recordStatus(record)).toBe("failed");
    expect(record).toContain("aws.standing-access");
    expect(holds(kind)).toBe(true);
    // Neither the sweep nor its reconcile take it away afterwards.
    await sweepAt(repo, kind, new Date("2026-11-28T12:00:00Z"));
    expect(holds(kind)).toBe(true);
  });

  it("a failed attach or assignment is rolled back: nothing held, recorded failed", async () => {
    fake.faults.add({
      kind: "crash",
      service: kind === "managed_policy" ? "iam" : "sso",
      op: kind === "managed_policy" ? "AttachUserPolicy" : "CreateAccountAssignment",
    });
    const { repo, pr, file } = merged(kind);
    const out = await grantMergedOnce(repo, pr, { grantsFor: (config) => fakeGrants(fake, config), now: () => NOW });
    expect(out).toMatchObject({ kind: "failed" });
    fake.settle();
    expect(holds(kind)).toBe(false);
    expect(recordStatus(repo.files.get(file)!)).toBe("failed");
    expect([...fake.state.accounts.get(HOME)!.scheduler.schedules.keys()]).toEqual([]);
  });
});

describe("jit-access plan on a bundle request", () => {
  it("prints what is granted and that there is no policy nor time condition; --write writes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "jit-bundle-plan-"));
    try {
      writeFileSync(join(dir, "config.yml"), configText("managed_policy"));
      const file = "access-requests/prod/2026/7-read-only.yaml";
      mkdirSync(join(dir, "access-requests/prod/2026"), { recursive: true });
      const text = dumpRequest(
        { version: 1, id: "7-read-only", requester: "alice", account: "prod", duration: "2h", reason: "Incident review", catalogue: "read-only", request: [] },
        "proposed",
      );
      writeFileSync(join(dir, file), text);
      const r = await runCli(["plan", file, "--config", "config.yml", "--write", "--now", "2026-11-27T09:00:00Z"], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`This grant attaches the managed policy \`${READ_ONLY}\` as it is`);
      expect(r.stdout).toContain("No policy: the catalogue entry is granted as it is, with no time condition");
      expect(r.stdout).toContain("Nothing written: a catalogue permission set or managed policy has no policy.");
      expect(r.stdout).not.toContain('"Statement"');
      expect(readFileSync(join(dir, file), "utf8")).toBe(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
