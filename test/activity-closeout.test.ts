// Close-out of a grant's activity: look up (fake LookupEvents under the real SDK), summarise,
// record with compare-and-swap, post. moto does not implement LookupEvents; the fake follows the
// API reference (test/support/fake-aws/cloudtrail.ts).
import { createHash } from "node:crypto";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { activityPort, closeoutActivity, type CloseoutDeps } from "../src/github/activity-closeout.js";
import { closeGrant } from "../src/lifecycle/close-grant.js";
import { activityLookups, createRateLimiter, type ActivityLookupsOptions } from "../src/aws/activity.js";
import { grantedActions } from "../src/policy/activity.js";
import { configFromObject } from "../src/domain/config.js";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest } from "../src/domain/request-file.js";
import type { AccessRequest, Config, PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { ConflictError, type RecordStore, type StoredFile } from "../src/store/record-store.js";
import { createFakeAws } from "./support/fake-aws/index.js";
import { fakeGrants, HOME, seed, testConfig, testRequest } from "./support/fake-aws/fixtures.js";

const fake = createFakeAws();
afterAll(() => fake.restore());
const catalogue = loadCatalogue();
const clock = { t: 0, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
const PATH = "access-requests/prod/2026/142-financial-reports.yaml";
const ID = "142-financial-reports";

class MemoryStore implements RecordStore {
  files = new Map<string, string>();
  commits: string[] = [];
  conflictsLeft = 0;
  sha = (t: string) => createHash("sha1").update(t).digest("hex");
  async list(): Promise<StoredFile[]> {
    return [...this.files].map(([path, text]) => ({ path, text, sha: this.sha(text) }));
  }
  async read(path: string): Promise<StoredFile | undefined> {
    const text = this.files.get(path);
    return text === undefined ? undefined : { path, text, sha: this.sha(text) };
  }
  async write(path: string, text: string, opts: { message: string; expectedSha: string | undefined }) {
    const cur = this.files.get(path);
    if (this.conflictsLeft > 0) {
      this.conflictsLeft--;
      // Someone else committed in between (a note in the file's header, say).
      this.files.set(path, `# touched\n${cur ?? ""}`);
      throw new ConflictError("changed");
    }
    if ((cur === undefined ? undefined : this.sha(cur)) !== opts.expectedSha) throw new ConflictError("changed");
    this.files.set(path, text);
    this.commits.push(opts.message);
    return { sha: this.sha(text), commit: `c${this.commits.length}` };
  }
}

/** 25 granted actions: 21 ecr actions, GetAuthorizationToken, and three s3 ones. */
const ECR = grantedActions(catalogue, { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }] })
  .filter((a) => a !== "ecr:GetAuthorizationToken")
  .slice(0, 21);
const POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    { Sid: "Ecr", Effect: "Allow", Action: ["ecr:GetAuthorizationToken", ...ECR], Resource: "*" },
    { Sid: "S3", Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketPolicy", "s3:GetBucketTagging"], Resource: "arn:aws:s3:::financial-reports" },
  ],
};

function closed(status: "expired" | "revoked" = "revoked"): AccessRequest {
  return {
    ...testRequest({ policy: POLICY }),
    status,
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      granted_at: "2026-11-30T08:00:00Z",
      expires_at: "2026-11-30T16:00:00Z",
      aws: { mode: "iam", account_id: HOME },
    },
    closed: { at: "2026-11-30T12:00:00Z", reason: "done", by: "alice" },
  };
}

let store: MemoryStore;
let posted: Array<{ issue: number; body: string }>;
let config: Config;
type ClientFor = NonNullable<ActivityLookupsOptions["clientFor"]>;
const deps = ({ clientFor, ...over }: Partial<CloseoutDeps> & { clientFor?: ClientFor } = {}): CloseoutDeps => ({
  config,
  catalogue,
  store,
  lookup: activityLookups(config, fake.clientSettings, {
    now: () => new Date(clock.t),
    limiter: createRateLimiter(2, clock),
    clientFor: clientFor ?? (() => new CloudTrailClient(fake.clientSettings)),
  }),
  post: async (issue, body) => void posted.push({ issue, body }),
  now: () => new Date(clock.t),
  ...over,
});

beforeEach(() => {
  fake.reset();
  clock.t = Date.parse("2026-11-30T12:01:00Z");
  fake.cloudtrail.now = clock.now;
  store = new MemoryStore();
  store.files.set(PATH, dumpRequest(closed(), "Written by jit-access."));
  posted = [];
  config = testConfig("iam");
});

function holderUsed(): void {
  const alice = { type: "IAMUser" as const, userName: "alice" };
  const at = (m: number) => new Date(Date.parse("2026-11-30T08:00:00Z") + m * 60_000);
  fake.recordEvent({ account: HOME, eventName: "GetAuthorizationToken", eventSource: "ecr.amazonaws.com", eventTime: at(5), identity: alice });
  for (let i = 0; i < 4; i++)
    fake.recordEvent({
      account: HOME,
      eventName: "ListObjectsV2",
      eventSource: "s3.amazonaws.com",
      eventTime: at(10 + i),
      identity: alice,
      resources: [{ ResourceType: "AWS::S3::Bucket", ResourceName: "financial-reports" }],
    });
  fake.recordEvent({
    account: HOME,
    eventName: "GetBucketPolicy",
    eventSource: "s3.amazonaws.com",
    eventTime: at(20),
    identity: alice,
    resources: [{ ResourceType: "AWS::S3::Bucket", ResourceName: "financial-reports" }],
  });
  fake.recordEvent({
    account: HOME,
    eventName: "PutBucketPolicy",
    eventSource: "s3.amazonaws.com",
    eventTime: at(30),
    identity: alice,
    errorCode: "AccessDenied",
    resources: [{ ResourceType: "AWS::S3::Bucket", ResourceName: "financial-reports" }],
  });
  // Not the holder, and outside the window: neither counts.
  fake.recordEvent({
    account: HOME,
    eventName: "ListBuckets",
    eventSource: "s3.amazonaws.com",
    eventTime: at(40),
    identity: { type: "IAMUser", userName: "carol" },
  });
  fake.recordEvent({ account: HOME, eventName: "ListBuckets", eventSource: "s3.amazonaws.com", eventTime: at(-60), identity: alice });
}

const recorded = () => {
  const r = parseRequestFile(store.files.get(PATH) ?? "", { file: PATH, config });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value.request;
};

describe("closeoutActivity", () => {
  it("3 of 25 actions used and one AccessDenied: the record's activity and the closing comment", async () => {
    holderUsed();
    fake.cloudtrail.trails.set(HOME, [
      {
        Name: "objects",
        TrailARN: `arn:aws:cloudtrail:us-east-1:${HOME}:trail/objects`,
        EventSelectors: [{ DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] }],
      },
    ]);
    const out = await closeoutActivity(deps(), PATH, ID);
    expect(out.kind).toBe("done");
    const a = recorded().activity;
    expect(a).toMatchObject({
      status: "summarised",
      total: 7,
      denied_total: 1,
      services: { s3: 6, ecr: 1 },
      used: ["ecr:GetAuthorizationToken", "s3:GetBucketPolicy", "s3:ListBucket"],
      unused_total: 22,
      denied: [{ at: "2026-11-30T08:30:00.000Z", action: "s3:PutBucketPolicy", error: "AccessDenied", resource: "financial-reports" }],
      data_events_visible: false,
    });
    expect(recorded().status).toBe("revoked"); // the close-out's record is kept as it was
    expect(store.commits).toHaveLength(1);
    expect(store.commits[0]).toMatch(/^jit-access: activity of 142-financial-reports\n/);
    expect(posted).toHaveLength(1);
    expect(posted[0]?.issue).toBe(142);
    const body = posted[0]?.body ?? "";
    expect(body).toContain("**7 calls** to 2 services, **1 denied**");
    expect(body).toContain("`s3:PutBucketPolicy` on `financial-reports` (AccessDenied)");
    expect(body).toContain("**Granted but never used**: 22 of 25 actions");
    expect(body).toContain("- { service: s3, actions: [s3:GetBucketPolicy, s3:ListBucket], resources: [financial-reports] }");
    expect(body).toContain("- { service: ecr, actions: [ecr:GetAuthorizationToken], resources: [");
    expect(body).toContain("management events only");
    expect(body).toContain("The trail `objects` records data events");
  });

  it("a CloudTrail outage: recorded and said as unavailable; the closed record stays closed", async () => {
    holderUsed();
    fake.faults.add({ kind: "server-error", service: "cloudtrail", times: 1000 });
    const out = await closeoutActivity(deps(), PATH, ID);
    expect(out.kind).toBe("done");
    expect(recorded()).toMatchObject({ status: "revoked", activity: { status: "unavailable", code: "aws.activity-unavailable" } });
    expect(store.commits[0]).toContain("Rule: aws.activity-unavailable");
    expect(posted[0]?.body).toContain("**Activity unavailable**");
    expect(posted[0]?.body).toContain("The grant was closed all the same.");
  });

  it("throttling during the lookup is absorbed (limiter + SDK retry)", async () => {
    holderUsed();
    fake.faults.add({ kind: "throttle", service: "cloudtrail", times: 2 });
    await closeoutActivity(deps(), PATH, ID);
    expect(recorded().activity?.status).toBe("summarised");
  });

  it("a conflicting commit is retried on the new content (compare-and-swap)", async () => {
    holderUsed();
    store.conflictsLeft = 1;
    const out = await closeoutActivity(deps(), PATH, ID);
    expect(out.kind === "done" && out.commit).toBe("c1");
    expect(store.files.get(PATH)?.startsWith("# touched\n")).toBe(false);
    expect(recorded().activity?.status).toBe("summarised");
  });

  it("never writes onto a record that is no longer the closed grant", async () => {
    store.files.set(PATH, dumpRequest({ ...closed(), status: "active", closed: undefined } as unknown as AccessRequest));
    const out = await closeoutActivity(deps(), PATH, ID);
    expect(out).toEqual({ kind: "skipped", reason: "142-financial-reports is active, not closed" });
    expect(store.commits).toEqual([]);
    expect(fake.calls.filter((c) => c.service === "cloudtrail")).toEqual([]);
  });

  it("a second run does not record or post again", async () => {
    holderUsed();
    await closeoutActivity(deps(), PATH, ID);
    await closeoutActivity(deps(), PATH, ID);
    expect(store.commits).toHaveLength(1);
    expect(posted).toHaveLength(1);
  });

  it("disabled in the config: nothing is looked up, written or posted", async () => {
    const r = configFromObject({ ...JSON.parse(JSON.stringify(config)), activity: { enabled: false } });
    if (!r.ok) throw new Error("config");
    config = r.value;
    expect(await closeoutActivity(deps(), PATH, ID)).toEqual({ kind: "disabled" });
    expect(fake.calls.filter((c) => c.service === "cloudtrail")).toEqual([]);
    expect(store.commits).toEqual([]);
  });

  it("a store that cannot be read is a skipped close-out, never thrown", async () => {
    const out = await closeoutActivity(
      deps({ store: { read: async () => Promise.reject(new Error("git is down")), list: store.list.bind(store), write: store.write.bind(store) } }),
      PATH,
      ID,
    );
    expect(out).toEqual({ kind: "skipped", reason: "activity look-up failed unexpectedly: git is down" });
    expect(posted).toEqual([]);
  });

  it("a failing post or store write is reported, never thrown", async () => {
    holderUsed();
    const out = await closeoutActivity(
      deps({
        post: async () => Promise.reject(new Error("GitHub is down")),
        store: { read: store.read.bind(store), list: store.list.bind(store), write: async () => Promise.reject(new Error("git is down")) },
      }),
      PATH,
      ID,
    );
    expect(out).toMatchObject({ kind: "done", notRecorded: "git is down", notPosted: "GitHub is down" });
  });

  it("a client that cannot be made is an unavailable activity, not a crash", async () => {
    const out = await closeoutActivity(
      deps({
        clientFor: () => {
          throw new Error("role_arn in another account");
        },
      }),
      PATH,
      ID,
    );
    expect(out.kind === "done" && out.record).toMatchObject({ status: "unavailable", code: "aws.activity-unavailable" });
  });
});

describe("closeGrant's activity port", () => {
  function active(): void {
    const r = closed();
    store.files.set(PATH, dumpRequest({ ...r, status: "active", closed: undefined } as unknown as AccessRequest, "Written by jit-access."));
  }

  it("runs after the record is written and GitHub told, on the closed record", async () => {
    seed(fake);
    active();
    holderUsed();
    const order: string[] = [];
    const port = activityPort({ config, store, lookup: deps().lookup, now: () => new Date(clock.t) });
    const r = await closeGrant(
      {
        store,
        config,
        grants: fakeGrants(fake, config),
        github: { closed: async () => void order.push("github") },
        activity: async (file, id) => {
          order.push(`activity ${id}`);
          return port?.(file, id);
        },
      },
      { kind: "revoked", file: PATH, id: ID, at: new Date(clock.t), reason: "done", by: "alice", closedBy: "alice" },
    );
    expect(r.kind).toBe("closed");
    expect(order).toEqual(["github", `activity ${ID}`]);
    expect(recorded()).toMatchObject({ status: "revoked", activity: { status: "summarised", total: 7 } });
    expect(store.commits.map((m) => m.split("\n")[0])).toEqual([`jit-access: revoke ${ID}`, `jit-access: activity of ${ID}`]);
  });

  it("an activity port that throws does not change the close's outcome", async () => {
    seed(fake);
    active();
    const r = await closeGrant(
      { store, config, grants: fakeGrants(fake, config), activity: async () => Promise.reject(new Error("boom")) },
      { kind: "revoked", file: PATH, id: ID, at: new Date(clock.t), reason: "done", closedBy: "alice" },
    );
    expect(r.kind).toBe("closed");
    expect(recorded().status).toBe("revoked");
  });

  it("no port when the config turns activity off", () => {
    const r = configFromObject({ ...JSON.parse(JSON.stringify(config)), activity: { enabled: false } });
    if (!r.ok) throw new Error("config");
    expect(activityPort({ config: r.value, store, lookup: deps().lookup, now: () => new Date(clock.t) })).toBeUndefined();
  });
});
