// Ending a grant has one path: the sweep (expiry), `/revoke` and `jit-access revoke` all go
// through closeGrant, so each outcome has the same effects whoever asked — on the record, in AWS,
// on Slack and on GitHub. In-memory ports: no git, no HTTP.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { iamPolicyArn } from "../src/aws/naming.js";
import { NotOwnedError } from "../src/aws/plan.js";
import type { Grants, RevokeTarget } from "../src/aws/types.js";
import { CONFIG_PATH, parseConfig } from "../src/domain/config.js";
import { codesOf } from "../src/domain/problems.js";
import { recordStatus } from "../src/domain/records.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { revokeByComment } from "../src/github/commands.js";
import { closeGrant, type ClosedEvent } from "../src/lifecycle/close-grant.js";
import type { NotificationEvent, Notifier } from "../src/notify/types.js";
import { revokeOne } from "../src/cli/sweep.js";
import type { Records } from "../src/sweep/env.js";
import { parseRecords } from "../src/sweep/plan.js";
import { runSweep } from "../src/sweep/run.js";
import { HOME, testPolicy, testRequest } from "./support/fake-aws/fixtures.js";
import { MemoryAccessRepo } from "./support/memory-repo.js";
import { announceClosed } from "../src/github/closer.js";
import { ALL_STATES, STATE_LABEL } from "../src/domain/lifecycle.js";

const stateLabels = (labels: string[]) => labels.filter((l) => ALL_STATES.some((s) => STATE_LABEL[s] === l));

const CONFIG_TEXT = `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${HOME}"
principals:
  alice: { iam_user: alice }
`;
const parsedConfig = parseConfig(CONFIG_TEXT);
if (!parsedConfig.ok) throw new Error(JSON.stringify(parsedConfig.problems));
const config = parsedConfig.value;
const ID = "142-financial-reports";
const FILE = `access-requests/prod/2026/${ID}.yaml`;
const ARN = iamPolicyArn("aws", HOME, ID);
const NOW = new Date("2026-11-27T12:00:00Z");

function record(status: "active" | "revoked" = "active"): string {
  const request: AccessRequest = {
    ...testRequest({ id: ID, policy: testPolicy() }),
    status,
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      pr: 143,
      granted_at: "2026-11-27T02:00:00Z",
      expires_at: "2026-11-27T10:00:00Z",
      aws: { mode: "iam", account_id: HOME, resources: [ARN], schedule: "not scheduled" },
    },
    ...(status === "revoked" ? { closed: { at: "2026-11-27T09:00:00Z", reason: "done", by: "alice" } } : {}),
  };
  return dumpRequest(request, "Written by jit-access.");
}

type Outcome = "closed" | "already closed" | "not owned" | "aws failure" | "cas conflict";
type Caller = "sweep" | "cli revoke" | "/revoke";

interface World {
  store: MemoryAccessRepo;
  grants: Grants;
  revokes: RevokeTarget[];
  alerts: NotificationEvent[];
  alertsPort: Notifier;
  /** The GitHub closer the sweep and the CLI get; /revoke makes its own on the same repository. */
  closer: { closed(e: ClosedEvent): Promise<void> };
}

function world(outcome: Outcome): World {
  const store = new MemoryAccessRepo({ [CONFIG_PATH]: CONFIG_TEXT, [FILE]: record(outcome === "already closed" ? "revoked" : "active") });
  store.issueLabels.set(142, ["access-request", "jit:active"]);
  store.issueLabels.set(143, ["jit:active"]);
  const revokes: RevokeTarget[] = [];
  const alerts: NotificationEvent[] = [];
  const grants: Grants = {
    grant: () => Promise.reject(new Error("not used")),
    listManaged: () => Promise.resolve([]),
    revoke: async (target) => {
      revokes.push(target);
      if (outcome === "not owned") throw new NotOwnedError(`refusing to revoke ${ID}: the record names a policy jit-access did not create`);
      if (outcome === "aws failure") throw new Error("Throttling: Rate exceeded");
      // Someone else (a second sweep, a /revoke) records the end between this revoke and our write.
      if (outcome === "cas conflict") store.beforeNextWrite = (s) => s.commitFile(FILE, record("revoked"), "jit-access: revoke by someone else");
      return { requestId: ID, removed: [ARN], alreadyGone: false };
    },
  };
  return {
    store,
    grants,
    revokes,
    alerts,
    alertsPort: { channels: ["test"], notify: async (e) => void alerts.push(e) },
    closer: { closed: (e) => announceClosed(store, e) },
  };
}

async function call(caller: Caller, w: World): Promise<void> {
  if (caller === "sweep") {
    await runSweep(
      { store: w.store, config, grants: () => w.grants, notifier: w.closer, alerts: w.alertsPort },
      { now: NOW, dryRun: false, reconcile: false, concurrency: 1 },
    );
  } else if (caller === "cli revoke") {
    const records: Records = {
      kind: "github",
      where: "acme/access@main",
      store: w.store,
      config,
      notifier: w.closer,
      alerts: w.alertsPort,
      grants: () => w.grants,
    };
    await revokeOne(records, parseRecords(await w.store.list(), config), ID, "done early", "alice", "alice");
  } else {
    await revokeByComment(
      w.store,
      { issueNumber: 142, body: "/revoke done early", author: { login: "alice", type: "User" } },
      { grantsFor: () => w.grants, now: () => NOW, notifierFor: () => w.alertsPort },
    );
  }
}

const CALLERS: Caller[] = ["sweep", "cli revoke", "/revoke"];
const kindOf = (c: Caller) => (c === "sweep" ? "expired" : "revoked");

describe("closeGrant: the same effects for the sweep, CLI revoke and /revoke", () => {
  const table: Array<[Outcome, (c: Caller) => { status: string; revokes: number; alerts: string[]; github: string[]; commits: number }]> = [
    ["closed", (c) => ({ status: kindOf(c), revokes: 1, alerts: [kindOf(c)], github: [kindOf(c)], commits: 1 })],
    ["already closed", () => ({ status: "revoked", revokes: 0, alerts: [], github: [], commits: 0 })],
    ["not owned", () => ({ status: "active", revokes: 1, alerts: [], github: [], commits: 0 })],
    ["aws failure", () => ({ status: "active", revokes: 1, alerts: [], github: [], commits: 0 })],
    // The other writer's commit is the only one; it announced the end, so this caller says nothing.
    ["cas conflict", () => ({ status: "revoked", revokes: 1, alerts: [], github: [], commits: 1 })],
  ];
  for (const caller of CALLERS) {
    for (const [outcome, expected] of table) {
      it(`${caller} × ${outcome}`, async () => {
        const w = world(outcome);
        await call(caller, w);
        const e = expected(caller);
        expect(recordStatus(w.store.files.get(FILE)!)).toBe(e.status);
        expect(w.revokes).toHaveLength(e.revokes);
        expect(w.alerts.map((a) => a.kind)).toEqual(e.alerts);
        // GitHub: the issue closed once, and issue and PR each carry exactly the state's label.
        expect(w.store.closedIssues).toEqual(e.github.map(() => ({ issue: 142, reason: "completed" })));
        for (const n of [142, 143]) expect(stateLabels(w.store.issueLabels.get(n) ?? [])).toEqual([`jit:${e.github[0] ?? "active"}`]);
        expect(w.store.commits).toHaveLength(e.commits);
      });
    }
  }

  it("CLI revoke tells Slack, as /revoke does", async () => {
    const w = world("closed");
    await call("cli revoke", w);
    expect(w.alerts).toEqual([expect.objectContaining({ kind: "revoked", by: "alice", reason: "done early" })]);
  });

  it("the record commit carries the closer and the resources; the outcome carries codes", async () => {
    const w = world("closed");
    const r = await closeGrant(
      { store: w.store, config, grants: w.grants },
      { kind: "revoked", file: FILE, id: ID, at: NOW, reason: "done", by: "alice", closedBy: "alice" },
    );
    expect(r.kind).toBe("closed");
    expect(w.store.commits[0]!.message).toMatch(/^jit-access: revoke 142-financial-reports\n/);
    expect(w.store.commits[0]!.message).toContain(`Aws-Resource: ${ARN}\nClosed-By: alice\n`);
    expect(w.store.files.get(FILE)).toContain("by: alice");

    const again = await closeGrant({ store: w.store, config, grants: w.grants }, { kind: "revoked", file: FILE, at: NOW, reason: "x", closedBy: "bob" });
    expect(again.kind === "skipped" && codesOf([again.problem])).toEqual(["record.not-active"]);
    const early = world("closed");
    const notDue = await closeGrant(
      { store: early.store, config, grants: early.grants },
      { kind: "expired", file: FILE, at: new Date("2026-11-27T09:00:00Z"), reason: "x", closedBy: "sweep" },
    );
    expect(notDue.kind === "skipped" && codesOf([notDue.problem])).toEqual(["record.not-due"]);
    expect(early.revokes).toHaveLength(0);
  });

  it("a GitHub failure after the record is written is reported, never undoes the record", async () => {
    const w = world("closed");
    const r = await closeGrant(
      { store: w.store, config, grants: w.grants, alerts: w.alertsPort, github: { closed: () => Promise.reject(new Error("502")) } },
      { kind: "revoked", file: FILE, at: NOW, reason: "done", closedBy: "alice" },
    );
    expect(r).toMatchObject({ kind: "closed", told: false, githubError: "502" });
    expect(recordStatus(w.store.files.get(FILE)!)).toBe("revoked");
    expect(w.alerts).toHaveLength(1);
  });

  it("property: any set of callers racing on one grant writes one record commit, one alert, one GitHub close", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...CALLERS), { minLength: 1, maxLength: 5 }), async (callers) => {
        const w = world("closed");
        await Promise.all(callers.map((c) => call(c, w)));
        expect(w.store.commits).toHaveLength(1);
        expect(w.alerts).toHaveLength(1);
        expect(w.store.closedIssues).toHaveLength(1);
        expect(w.alerts[0]!.kind).toBe(recordStatus(w.store.files.get(FILE)!));
      }),
      { numRuns: 40 },
    );
  });
});
