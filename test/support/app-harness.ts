// The real jit-access Probot app on 127.0.0.1, wired to the fake GitHub and the fake AWS, with a
// controllable clock. Scenario tests deliver signed webhooks and look at both fakes afterwards.
import { activityLookups } from "../../src/aws/activity.js";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { jitAccess } from "../../src/app.js";
import { createIdentityDirectory } from "../../src/aws/identities.js";
import { createOnboarder } from "../../src/notify/onboarding.js";
import type { Config } from "../../src/domain/types.js";
import type { Notifier } from "../../src/notify/types.js";
import { createFakeAws, type FakeAws } from "./fake-aws/index.js";
import { fakeGrants, HOME, seed } from "./fake-aws/fixtures.js";
import { startFakeGitHub, type FakeGitHub } from "./fake-github.js";
import { ConformanceChecker } from "./openapi-conformance.js";
import { WebhookClient, type WebhookEvent } from "./webhooks.js";

export const REPO = "acme/access";
export const SECRET = "a-webhook-secret-for-tests";
const FORM = readFileSync(new URL("../../.github/ISSUE_TEMPLATE/access-request.yml", import.meta.url), "utf8");

export const CONFIG = `aws:
  mode: iam
  region: us-east-1
  accounts:
    prod: "${HOME}"
  scheduler_role_arn: arn:aws:iam::${HOME}:role/jit-access-scheduler
principals:
  alice: { iam_user: alice }
  carol: { iam_user: carol }
approvers: [bob, dave]
required_approvals: { low: 1, medium: 1, high: 2 }
`;

// The app's signing key: only its shape matters (the fake accepts any well-formed JWT), and an
// RSA key costs tens of milliseconds of CPU to make, so one serves every harness of the file.
let privateKey: string | undefined;
const appPrivateKey = (): string =>
  (privateKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  }).privateKey);

export interface Harness {
  github: FakeGitHub;
  aws: FakeAws;
  clock: { now: Date };
  webhooks: WebhookClient;
  url: string;
  /** The GitHub API conformance checker (undefined when the test opted out). */
  conformance: ConformanceChecker | undefined;
  deliver(event: WebhookEvent, deliveryId?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(
  opts: {
    /** Look up revoked grants' CloudTrail activity (fake LookupEvents). */ activity?: boolean;
    config?: string;
    files?: Record<string, string>;
    notifierFor?: (config: Config) => Notifier;
    conformance?: boolean;
    /** The account the app is installed on (default: the fake's "jit-org"). */ appOwner?: string;
    /** The app's Octokit class (default: retry and throttling off, so tests see every answer). */ Octokit?: typeof ProbotOctokit;
  } = {},
): Promise<Harness> {
  const clock = { now: new Date("2026-11-27T08:00:00Z") };
  const github = await startFakeGitHub({ now: () => clock.now.getTime(), ...(opts.appOwner ? { app: { owner: opts.appOwner } } : {}) });
  github.createRepo({
    owner: "acme",
    name: "access",
    files: {
      ".github/jit-access.yml": opts.config ?? CONFIG,
      ".github/ISSUE_TEMPLATE/access-request.yml": FORM,
      ".github/CODEOWNERS": "access-requests/ @bob @dave\n",
      "README.md": "access repo\n",
      ...opts.files,
    },
  });
  const aws = createFakeAws();
  seed(aws);
  // Every request the app sends and every answer of the fake, checked against GitHub's REST API
  // description unless a test opts out (conformance: false).
  const conformance = opts.conformance === false ? undefined : new ConformanceChecker();
  const Base = conformance ? ProbotOctokit.plugin(conformance.plugin) : ProbotOctokit;
  const Octokit =
    opts.Octokit ?? Base.defaults((o: { throttle?: object }) => ({ ...o, retry: { enabled: false }, throttle: { ...o.throttle, enabled: false } }));
  const probot = new Probot({ appId: github.app.id, privateKey: appPrivateKey(), secret: SECRET, baseUrl: github.url, Octokit, logLevel: "fatal" });
  const app = jitAccess({
    grantsFor: (config) => fakeGrants(aws, config, { now: () => clock.now }),
    now: () => clock.now,
    drafter: async (request) => ({ request, warnings: [] }),
    // A revoke's CloudTrail activity, against the fake's LookupEvents, only where a test asks for it.
    activityFor: opts.activity ? (config) => activityLookups(config, aws.clientSettings, { now: () => clock.now }) : null,
    notifierFor: opts.notifierFor ?? (() => ({ channels: [], notify: async () => undefined })),
    // identities/ against the fake AWS (IAM, Identity Store, SES v2).
    identityDirectoryFor: (config) => createIdentityDirectory(config, { clients: aws.clients, clientSettings: aws.clientSettings }),
    onboard: createOnboarder({ ses: new SESv2Client(aws.clientSettings) }),
  });
  const middleware = await createNodeMiddleware(app, { probot });
  const server: Server = createServer((req, res) => {
    void middleware(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
  const webhooks = new WebhookClient(url, SECRET);
  return {
    github,
    aws,
    clock,
    webhooks,
    url,
    conformance,
    async deliver(event, deliveryId) {
      const r = await webhooks.send(event, deliveryId);
      // Fails the delivering test itself, naming the exchanges.
      conformance?.assertClean(`delivering ${event.name}.${String(event.payload.action ?? "")}`);
      return r.status;
    },
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await github.close();
      aws.restore();
      // What was delivered with webhooks.send directly is checked here.
      conformance?.assertClean("at the end of the suite");
    },
  };
}

/** The rendered issue-form body GitHub produces for an access request. */
export function issueBody(
  f: Partial<Record<"account" | "service" | "resources" | "access" | "actions" | "duration" | "reason" | "description", string>> = {},
): string {
  const levels = (f.access ?? "read,list").split(",");
  const box = (l: string) => `- [${levels.includes(l) ? "X" : " "}] ${l}`;
  return [
    `### Account\n\n${f.account ?? "prod"}`,
    `### Service\n\n${f.service ?? "s3"}`,
    `### Resources\n\n${f.resources ?? "financial-reports"}`,
    `### Access levels\n\n${["read", "list", "write", "tagging", "permissions-management"].map(box).join("\n")}`,
    `### Exact actions (optional)\n\n${f.actions ?? "_No response_"}`,
    `### Duration\n\n${f.duration ?? "8h"}`,
    `### Reason\n\n${f.reason ?? "Quarter-end reconciliation"}`,
    `### Description (optional)\n\n${f.description ?? "_No response_"}`,
  ].join("\n\n");
}

/** IAM policies attached to a user in the fake account, by ARN. */
export function attachedTo(aws: FakeAws, user: string, account = HOME): string[] {
  return [...(aws.state.accounts.get(account)?.iam.users.get(user)?.attached ?? [])];
}

/** Every pull request of the repository, with its head branch. */
export function pulls(github: FakeGitHub): Array<{ number: number; head: string; body: string | null; state: string }> {
  return [...github.repo(REPO).issues.values()].filter((i) => i.pull).map((i) => ({ number: i.number, head: i.pull!.headRef, body: i.body, state: i.state }));
}
