// Attacks on the deployment side, each reproduced against the real code or the real workflow and
// template files: anyone who can reach the webhook URL (body size, replays, a weak secret) and
// anyone who can push a branch (workflow secrets, AWS roles, unpinned actions). Each test is named
// after the finding; each has a table or property test over its family.
// Also run under Node 24 (NODE24 in vitest.config.ts): the Lambda function's and the server's entry points.
// @module-tag node24
import { createHmac, generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import * as yaml from "js-yaml";
import { Probot, type ApplicationFunction } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { createLambdaHandler, type LambdaHttpEvent } from "../src/lambda.js";
import { MAX_WEBHOOK_BODY_BYTES, startWebhookServer, type WebhookServer } from "../src/server.js";
import { SLACK_WEBHOOK_VARIABLE } from "../src/secrets.js";
import { loadTemplate, resolveTemplate, type Obj } from "./support/cfn-template.js";

const SECRET = "a-webhook-secret-for-deploy-attacks";
let privateKey = "";

beforeAll(() => {
  privateKey = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
});

const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Sent {
  status?: number;
  body?: string;
  error?: string;
  /** Bytes the client had handed to the socket when the answer (or an error) came. */
  sent: number;
  /** Whether the client had finished the request when the answer came. */
  ended: boolean;
}

/** POSTs `total` bytes in 1 MiB chunks (or `body`), stopping as soon as an answer arrives. */
function post(url: string, o: { headers?: Record<string, string>; total?: number; body?: string; end?: boolean }): Promise<Sent> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: "POST", headers: { "content-type": "application/json", ...o.headers } });
    let sent = 0;
    let ended = false;
    let done = false;
    const finish = (r: Omit<Sent, "sent" | "ended">) => {
      if (done) return;
      done = true;
      resolve({ ...r, sent, ended });
      req.destroy();
    };
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => finish({ status: res.statusCode, body: text }));
      res.on("error", () => finish({ status: res.statusCode, body: text }));
    });
    req.on("error", (e: NodeJS.ErrnoException) => finish({ error: e.code ?? e.message }));
    if (o.body !== undefined) {
      sent = Buffer.byteLength(o.body);
      ended = true;
      req.end(o.body);
      return;
    }
    const total = o.total ?? 0;
    req.flushHeaders();
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const pump = () => {
      while (!done && sent < total) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once("drain", pump);
          return;
        }
      }
      if (!done && o.end !== false) {
        ended = true;
        req.end();
      }
    };
    pump();
  });
}

describe("the self-hosted server buffers the whole body before checking the signature", () => {
  let server: WebhookServer;
  const seen: Array<{ name: string; id: string; bytes: number }> = [];

  beforeAll(async () => {
    const app: ApplicationFunction = (probot) => {
      probot.onAny(async (context) => {
        seen.push({ name: context.name, id: context.id, bytes: JSON.stringify(context.payload).length });
      });
    };
    const probot = new Probot({ appId: 1, privateKey, secret: SECRET, logLevel: "fatal" });
    server = await startWebhookServer({ env: { WEBHOOK_SECRET: SECRET, HOST: "127.0.0.1", PORT: "0" }, probot, app });
  });
  afterAll(() => server?.close());

  const headers = (body: string, id = randomUUID()) => ({ "x-github-event": "ping", "x-github-delivery": id, "x-hub-signature-256": sign(SECRET, body) });

  it("answers 413 to a declared 26 MB body before the client has sent more than the first megabyte", async () => {
    const r = await post(server.url, { headers: { ...headers("{}"), "content-length": String(26 * 1024 * 1024) }, total: 1 << 20, end: false });
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/larger than 26214400 bytes/);
    expect(r.sent).toBe(1 << 20);
    expect(r.ended).toBe(false);
  });

  it("answers 413 to an undeclared (chunked) 26 MB body once 25 MB have passed, before the client ends it", async () => {
    const r = await post(server.url, { headers: headers("{}"), total: 26 * 1024 * 1024, end: false });
    expect(r.status).toBe(413);
    expect(r.ended).toBe(false);
    // The server stopped reading: the client could not push the whole body into the connection
    // (the kernel buffers on both sides hold a few MB at most).
    expect(r.sent).toBeGreaterThan(MAX_WEBHOOK_BODY_BYTES - (1 << 20));
  });

  it("still delivers a normal signed body to the app, and a body just under the cap", async () => {
    const id = randomUUID();
    const body = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });
    const r = await post(server.url, { headers: headers(body, id), body });
    expect(r.status).toBe(200);
    expect(seen.find((s) => s.id === id)).toMatchObject({ name: "ping" });

    const bigId = randomUUID();
    const pad = "x".repeat(MAX_WEBHOOK_BODY_BYTES - 64);
    const big = JSON.stringify({ zen: pad });
    expect(Buffer.byteLength(big)).toBeLessThanOrEqual(MAX_WEBHOOK_BODY_BYTES);
    const rb = await post(server.url, { headers: headers(big, bigId), body: big });
    expect(rb.status).toBe(200);
    expect(seen.find((s) => s.id === bigId)?.bytes).toBe(big.length);
  });

  it("survives senders that hang up mid-body, and keeps serving", async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((done) => {
        const req = httpRequest(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", "content-length": String(1 << 20), ...headers("{}") },
        });
        req.on("error", () => done());
        req.write(Buffer.alloc(64 * 1024, 0x20), () => {
          req.destroy();
          done();
        });
      });
    }
    const body = JSON.stringify({ zen: "after aborts" });
    expect((await post(server.url, { headers: headers(body), body })).status).toBe(200);
  });

  it("refuses a forged signature (the cap does not bypass Probot's check) and answers ping and 404", async () => {
    const body = JSON.stringify({ zen: "forged" });
    const r = await post(server.url, { headers: { ...headers(body), "x-hub-signature-256": sign("development", body) }, body });
    expect(r.status).toBe(400);
    const other = await post(server.url.replace(/\/api\/github\/webhooks$/, "/elsewhere"), { body: "{}" });
    expect(other.status).toBe(404);
  });
});

describe("the webhook secret fails open outside production", () => {
  const probot = () => new Probot({ appId: 1, privateKey, logLevel: "fatal" });

  it.each([
    [{}],
    [{ NODE_ENV: "development" }],
    [{ NODE_ENV: "test", WEBHOOK_SECRET: "development" }],
    [{ WEBHOOK_SECRET: "short-secret" }],
    [{ JIT_ACCESS_INSECURE_DEV: "1", HOST: "0.0.0.0" }],
    [{ JIT_ACCESS_INSECURE_DEV: "1", HOST: "::" }],
    [{ JIT_ACCESS_INSECURE_DEV: "1", NODE_ENV: "production" }],
  ] as const)("npm start's server refuses to start with %j, before it listens", async (env) => {
    await expect(startWebhookServer({ env: { PORT: "0", ...env }, probot: probot(), app: () => undefined })).rejects.toThrow(
      /WEBHOOK_SECRET|JIT_ACCESS_INSECURE_DEV/,
    );
  });

  it("starts with the explicit development flag on loopback, warns, and then accepts Probot's default secret", async () => {
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
    let server: WebhookServer | undefined;
    try {
      server = await startWebhookServer({
        env: { PORT: "0", HOST: "127.0.0.1", JIT_ACCESS_INSECURE_DEV: "1" },
        probot: new Probot({ appId: 1, privateKey, secret: "development", logLevel: "fatal" }),
        app: () => undefined,
      });
      expect(warnings.join("\n")).toMatch(/INSECURE DEVELOPMENT MODE/);
      const body = JSON.stringify({ zen: "dev" });
      const r = await post(server.url, {
        headers: { "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign("development", body) },
        body,
      });
      expect(r.status).toBe(200);
    } finally {
      console.warn = warn;
      await server?.close();
    }
  });
});

describe("body cap family: every size and framing around the limit", () => {
  const CAP = 4096;
  let server: WebhookServer;
  let delivered = 0;

  beforeAll(async () => {
    const probot = new Probot({ appId: 1, privateKey, secret: SECRET, logLevel: "fatal" });
    server = await startWebhookServer({
      env: { WEBHOOK_SECRET: SECRET, HOST: "127.0.0.1", PORT: "0" },
      probot,
      app: (p) => void p.onAny(async () => void delivered++),
      maxBodyBytes: CAP,
    });
  });
  afterAll(() => server?.close());

  it.each([
    [CAP - 1, "declared"],
    [CAP, "declared"],
    [CAP + 1, "declared"],
    [CAP - 1, "chunked"],
    [CAP, "chunked"],
    [CAP + 1, "chunked"],
    [CAP * 10, "chunked"],
  ] as const)("a %i-byte body, %s: 413 exactly when it passes the cap, else it reaches the app", async (size, framing) => {
    const before = delivered;
    const body = JSON.stringify({ zen: "y".repeat(size - 10) });
    expect(Buffer.byteLength(body)).toBe(size);
    const h = { "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": sign(SECRET, body) };
    const r =
      framing === "declared"
        ? await post(server.url, { headers: { ...h, "content-length": String(size) }, body })
        : await post(server.url, { headers: { ...h, "transfer-encoding": "chunked" }, body });
    expect(r.status).toBe(size > CAP ? 413 : 200);
    expect(delivered - before).toBe(size > CAP ? 0 : 1);
  });

  it("property: a declared length over the cap is refused whatever is actually sent", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: CAP + 1, max: CAP * 1000 }), fc.integer({ min: 0, max: CAP }), async (declared, actual) => {
        const r = await post(server.url, {
          headers: { "x-github-event": "ping", "x-github-delivery": randomUUID(), "x-hub-signature-256": "sha256=00", "content-length": String(declared) },
          total: actual,
          end: false,
        });
        expect(r.status).toBe(413);
      }),
      { numRuns: 15 },
    );
  });
});

describe("the Lambda replay protection keys on the unsigned delivery id", () => {
  function lambda() {
    const seen: Array<{ id: string; n: unknown }> = [];
    const handler = createLambdaHandler({
      secrets: { load: async () => ({ appId: "1", privateKey, webhookSecret: SECRET }) },
      app: () => (probot) => void probot.onAny(async (context) => void seen.push({ id: context.id, n: (context.payload as { n?: unknown }).n })),
      probot: { logLevel: "fatal" },
      recentDeliveries: 1000,
      env: {},
    });
    return { handler, seen };
  }
  const delivery = (body: string, id: string, name = "issues"): LambdaHttpEvent => ({
    headers: { "content-type": "application/json", "x-github-event": name, "x-github-delivery": id, "x-hub-signature-256": sign(SECRET, body) },
    body,
    requestContext: { http: { method: "POST" } },
  });

  it("processes two different signed bodies that reuse one delivery id", async () => {
    const { handler, seen } = lambda();
    expect((await handler(delivery(JSON.stringify({ action: "opened", n: 1 }), "same-id"))).body).toBe(JSON.stringify({ ok: true }));
    expect((await handler(delivery(JSON.stringify({ action: "opened", n: 2 }), "same-id"))).body).toBe(JSON.stringify({ ok: true }));
    expect(seen.map((s) => s.n)).toEqual([1, 2]);
  });

  it("refuses a captured signed body replayed under a new delivery id or another event name", async () => {
    const { handler, seen } = lambda();
    const body = JSON.stringify({ action: "opened", n: 1 });
    expect((await handler(delivery(body, "original"))).statusCode).toBe(200);
    for (const replay of [delivery(body, randomUUID()), delivery(body, "original"), delivery(body, randomUUID(), "pull_request")]) {
      const res = await handler(replay);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ ok: true, duplicate: true });
    }
    expect(seen).toHaveLength(1);
  });

  it("property: over any interleaving of bodies and delivery ids, each signed body runs the app exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom("a", "b", "c", "d")), { minLength: 1, maxLength: 25 }),
        async (sequence) => {
          const { handler, seen } = lambda();
          for (const [n, id] of sequence) expect((await handler(delivery(JSON.stringify({ n }), id))).statusCode).toBe(200);
          expect(seen.map((s) => s.n).sort()).toEqual([...new Set(sequence.map(([n]) => n))].sort());
        },
      ),
      { numRuns: 30 },
    );
  });
});

// ---- workflows: anyone who can push a branch ---------------------------------------------------

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WORKFLOW_DIR = join(ROOT, ".github", "workflows");
const WORKFLOW_FILES = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  name?: string;
}
interface Job {
  environment?: string | { name?: string };
  permissions?: Record<string, string> | string;
  steps?: Step[];
  env?: Record<string, unknown>;
  if?: string;
  needs?: string | string[];
}
interface Workflow {
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflows = new Map(WORKFLOW_FILES.map((f) => [f, yaml.load(readFileSync(join(WORKFLOW_DIR, f), "utf8"), { schema: yaml.CORE_SCHEMA }) as Workflow]));
const jobs = [...workflows].flatMap(([file, wf]) => Object.entries(wf.jobs).map(([name, job]) => ({ file, name, job, wf })));

const json = (x: unknown) => JSON.stringify(x ?? null);
/** Secrets a job can read: any `secrets.X` but the per-run GITHUB_TOKEN. */
const readsSecret = (wf: Workflow, job: Job) => [...`${json(job)}${json(wf.env)}`.matchAll(/secrets\.([A-Za-z0-9_]+)/g)].some((m) => m[1] !== "GITHUB_TOKEN");
const permissionOf = (p: Workflow["permissions"], key: string) =>
  typeof p === "string" ? (p === "write-all" ? "write" : p === "read-all" ? "read" : undefined) : p?.[key];
/** The job can get AWS credentials: an OIDC token, or the AWS credentials action. */
const holdsAws = (wf: Workflow, job: Job) =>
  permissionOf(job.permissions ?? wf.permissions, "id-token") === "write" ||
  (job.steps ?? []).some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials"));
const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);

const TEMPLATE = yaml.load(readFileSync(join(ROOT, "deploy", "template.yaml"), "utf8").replace(/!(\w+)/g, ""), { schema: yaml.CORE_SCHEMA }) as {
  Parameters: Record<string, { Default?: string }>;
  Resources: Record<string, { Properties: { AssumeRolePolicyDocument: { Statement: Array<{ Condition: { StringEquals: Record<string, string> } }> } } }>;
};

describe("the GitHub App private key is readable by every repository writer", () => {
  const privileged = jobs.filter(({ wf, job }) => readsSecret(wf, job) || holdsAws(wf, job));

  it("finds the sweep among the jobs that read a secret or assume an AWS role (the table below is not empty)", () => {
    expect(privileged.map((j) => `${j.file}:${j.name}`)).toContain("expire.yml:sweep");
  });

  it.each(jobs.map((j) => [`${j.file}:${j.name}`, j] as const))(
    "%s: a job that reads a secret or assumes an AWS role runs in the sweep environment",
    (_label, { wf, job }) => {
      if (!readsSecret(wf, job) && !holdsAws(wf, job)) return;
      expect(environmentOf(job)).toBe(TEMPLATE.Parameters.GitHubEnvironment?.Default);
    },
  );

  it("the AWS role trusts only that environment's OIDC subject, and no branch subject", () => {
    const env = TEMPLATE.Parameters.GitHubEnvironment?.Default;
    expect(env).toBe("jit-access-sweep");
    const sub =
      TEMPLATE.Resources.SweepRole?.Properties.AssumeRolePolicyDocument.Statement[0]?.Condition.StringEquals["token.actions.githubusercontent.com:sub"];
    expect(sub).toBe("repo:${GitHubOrg}/${GitHubRepo}:environment:${GitHubEnvironment}");
  });

  it.each([...workflows].map(([f, wf]) => [f, wf] as const))("%s: no workflow-wide id-token or write permission (each job asks for its own)", (_f, wf) => {
    for (const key of ["id-token", "contents", "issues", "pull-requests", "checks", "actions"])
      expect(permissionOf(wf.permissions, key), key).not.toBe("write");
    expect(wf.permissions).not.toBe("write-all");
  });

  // What the sweep bundle (scripts/build-sweep.mjs: src/sweep/action.ts and its imports) calls on
  // GitHub, mapped to the app permission each REST group needs.
  const PERMISSION_OF_GROUP: Record<string, string> = {
    repos: "contents",
    git: "contents",
    issues: "issues",
    pulls: "pull-requests",
    checks: "checks",
    actions: "actions",
    teams: "members",
  };
  // Organization members are read, never written: the token asks no more.
  const LEVEL_OF_PERMISSION: Record<string, string> = { members: "read" };
  function sweepRestGroups(): Set<string> {
    const seen = new Set<string>();
    const groups = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/\.rest\.(\w+)\.\w+/g)) groups.add(m[1] ?? "");
      for (const m of src.matchAll(/\.request\(\s*["'`](?:GET|POST|PUT|PATCH|DELETE) \/repos\/\{owner\}\/\{repo\}\/(\w+)/g))
        groups.add(m[1] === "contents" ? "repos" : (m[1] ?? ""));
      for (const m of src.matchAll(/from\s+"(\.{1,2}\/[^"]+)\.js"/g)) {
        const next = resolve(dirname(file), `${m[1]}.ts`);
        if (existsSync(next)) visit(next);
      }
    };
    visit(join(ROOT, "src", "sweep", "action.ts"));
    return groups;
  }

  it("requests the sweep's app token with exactly the permissions the sweep's code uses", () => {
    const groups = sweepRestGroups();
    expect(groups.size).toBeGreaterThan(0);
    for (const g of groups) expect(PERMISSION_OF_GROUP[g], `REST group ${g} has no known permission`).toBeDefined();
    const needed = new Set([...groups].map((g) => PERMISSION_OF_GROUP[g]));
    const tokenSteps = jobs.flatMap(({ file, name, job }) =>
      (job.steps ?? []).filter((st) => st.uses?.startsWith("actions/create-github-app-token")).map((st) => ({ where: `${file}:${name}`, step: st })),
    );
    expect(tokenSteps.map((t) => t.where)).toEqual(["expire.yml:sweep"]);
    for (const { step } of tokenSteps) {
      const asked = Object.entries(step.with ?? {}).filter(([k]) => k.startsWith("permission-"));
      // Without permission-* inputs the token gets every permission of the installation.
      expect(asked.length).toBeGreaterThan(0);
      expect(Object.fromEntries(asked)).toEqual(
        Object.fromEntries([...needed].sort().map((p) => [`permission-${p}`, LEVEL_OF_PERMISSION[p ?? ""] ?? "write"])),
      );
    }
  });
});

describe("expire.yml runs npm ci and the report with the sweep role's AWS credentials", () => {
  const INSTALL = /\b(npm\s+(ci|install|i|add|exec)|npx\s+(-y|--yes|--package)|yarn(\s+install)?|pnpm\s+(install|i|add|dlx))\b/;

  it.each(jobs.map((j) => [`${j.file}:${j.name}`, j] as const))(
    "%s: where AWS credentials or secrets exist, nothing installs with package scripts and no report runs",
    (_label, { wf, job }) => {
      if (!holdsAws(wf, job) && !readsSecret(wf, job)) return;
      for (const step of job.steps ?? []) {
        const run = step.run ?? "";
        for (const line of run.split("\n")) {
          if (INSTALL.test(line)) expect(line, "an install in a job with credentials").toMatch(/--ignore-scripts/);
          expect(line, "the report belongs in a job without credentials").not.toMatch(/jit-access\s+report/);
        }
        expect(step.uses ?? "", "setup-node's cache restores files written by other runs").not.toMatch(/^actions\/setup-node/);
      }
    },
  );

  it("runs the access report in a job of its own, after the sweep, with a read-only token and no AWS or secret", () => {
    const reportJobs = jobs.filter(({ job }) => (job.steps ?? []).some((st) => /jit-access\s+report/.test(st.run ?? "")));
    expect(reportJobs.map((j) => `${j.file}:${j.name}`)).toEqual(["expire.yml:report"]);
    const [{ wf, job }] = reportJobs as [(typeof reportJobs)[number]];
    expect(holdsAws(wf, job)).toBe(false);
    expect(readsSecret(wf, job)).toBe(false);
    expect(job.environment).toBeUndefined();
    expect(job.permissions).toEqual({ contents: "read" });
    expect(job.needs).toBe("sweep");
  });

  it("classifies the old expire.yml shape as unsafe (the checks above can fail)", () => {
    const old: Workflow = {
      permissions: { "id-token": "write", contents: "read" },
      jobs: {
        sweep: { steps: [{ uses: "aws-actions/configure-aws-credentials@v4" }, { run: "npm ci --no-audit --no-fund\nnpx jit-access report --format md" }] },
      },
    };
    const job = old.jobs.sweep as Job;
    expect(holdsAws(old, job)).toBe(true);
    expect(environmentOf(job)).toBeUndefined();
    expect((job.steps?.[1]?.run ?? "").split("\n").some((l) => INSTALL.test(l) && !/--ignore-scripts/.test(l))).toBe(true);
    expect(readsSecret(old, { steps: [{ with: { "private-key": "${{ secrets.JIT_ACCESS_APP_PRIVATE_KEY }}" } }] })).toBe(true);
    expect(readsSecret(old, { steps: [{ with: { token: "${{ secrets.GITHUB_TOKEN }}" } }] })).toBe(false);
  });
});

describe("GitHub Actions are used by mutable tags", () => {
  const usesLines = WORKFLOW_FILES.flatMap((f) =>
    readFileSync(join(WORKFLOW_DIR, f), "utf8")
      .split("\n")
      .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
      .filter(({ line }) => /^\s*(-\s+)?uses:/.test(line)),
  );

  it("finds every uses: line the parser sees", () => {
    const parsed = jobs.flatMap(({ job }) => (job.steps ?? []).filter((st) => st.uses).map((st) => st.uses));
    expect(usesLines).toHaveLength(parsed.length);
    expect(parsed.length).toBeGreaterThan(5);
  });

  it.each(usesLines.map((u) => [u.where, u.line.trim()] as const))("%s: %s is local or pinned to a full commit SHA with its version", (_where, line) => {
    const m = /uses:\s*(\S+)(.*)$/.exec(line);
    const target = m?.[1] ?? "";
    if (target.startsWith("./")) return;
    expect(target).toMatch(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+(\/[^@\s]+)?@[0-9a-f]{40}$/);
    expect(m?.[2] ?? "").toMatch(/^\s+# v\d+\.\d+\.\d+$/);
  });

  it("uses one SHA per action across workflows (a Dependabot group moves them together)", () => {
    const byAction = new Map<string, Set<string>>();
    for (const { line } of usesLines) {
      const m = /uses:\s*([^@\s]+)@(\S+)/.exec(line);
      if (!m?.[1] || m[1].startsWith("./")) continue;
      byAction.set(m[1], (byAction.get(m[1]) ?? new Set()).add(m[2] ?? ""));
    }
    for (const [action, shas] of byAction) expect(shas.size, action).toBe(1);
  });

  it("action.yml (the sweep) is a Node 24 action that uses no other action", () => {
    const action = yaml.load(readFileSync(join(ROOT, "action.yml"), "utf8"), { schema: yaml.CORE_SCHEMA }) as {
      runs: { using: string; main: string; steps?: unknown };
    };
    expect(action.runs).toMatchObject({ using: "node24", main: "dist/sweep.js" });
    expect(action.runs.steps).toBeUndefined();
  });

  it("keeps a Dependabot config for npm and GitHub Actions, weekly and grouped", () => {
    const cfg = yaml.load(readFileSync(join(ROOT, ".github", "dependabot.yml"), "utf8"), { schema: yaml.CORE_SCHEMA }) as {
      version: number;
      updates: Array<{ "package-ecosystem": string; directory: string; schedule: { interval: string }; groups?: Record<string, unknown> }>;
    };
    expect(cfg.version).toBe(2);
    expect(cfg.updates.map((u) => u["package-ecosystem"]).sort()).toEqual(["github-actions", "npm"]);
    for (const u of cfg.updates) {
      expect(u.directory).toBe("/");
      expect(u.schedule.interval).toBe("weekly");
      expect(Object.keys(u.groups ?? {}).length).toBeGreaterThan(0);
    }
  });
});

// ---- the deploy template, evaluated by an independent IAM simulator ------------------------------

const ACCOUNT = "111122223333";
const INSTANCE = "ssoins-0123456789abcdef";
const CONFIGURED = ["444455556666", "777788889999"];
const IC_PARAMS = {
  AppSecretArn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:jit-AbCdEf`,
  GitHubOrg: "acme",
  GitHubRepo: "access",
  AccessMode: "identity-center",
  IdentityCenterInstanceId: INSTANCE,
  IdentityStoreId: "d-0123456789",
  IdentityCenterAccountIds: CONFIGURED.join(","),
};
const IAM_PARAMS = { AppSecretArn: IC_PARAMS.AppSecretArn, GitHubOrg: "acme", GitHubRepo: "access" };

type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

/** The decision for one resource of a request, under a role's policies (and its boundary, if any). */
async function decide(deployed: Obj, role: string, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
  const resources = deployed.Resources as Record<string, { Properties: Obj }>;
  const props = resources[role]?.Properties ?? {};
  const identityPolicies = (props.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }>).map((p) => ({
    name: p.PolicyName,
    policy: p.PolicyDocument,
  }));
  const boundaryName = typeof props.PermissionsBoundary === "string" ? /policy\/jit-access-deploy\/(\w+)$/.exec(props.PermissionsBoundary)?.[1] : undefined;
  const simulation: Simulation = {
    identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(boundaryName ? { permissionBoundaryPolicies: [{ name: boundaryName, policy: resources[boundaryName]?.Properties.PolicyDocument }] } : {}),
    request: {
      principal: `arn:aws:iam::${ACCOUNT}:role/jit-access-deploy/${role}`,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: context,
    },
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType !== "single") throw new Error(`simulation did not run: ${JSON.stringify(result)}`);
  return result.overallResult;
}

const permissionSet = (id: string, partition = "aws") => `arn:${partition}:sso:::permissionSet/${INSTANCE}/${id}`;
const instance = (partition = "aws") => `arn:${partition}:sso:::instance/${INSTANCE}`;
const account = (id: string, partition = "aws") => `arn:${partition}:sso:::account/${id}`;
const JIT_TAG = { "aws:ResourceTag/jit-access:request": "req-1" };

describe("the deploy template lets the app take over permission sets, act in any account and attach to anyone", () => {
  const template = loadTemplate();
  const ic = resolveTemplate(template, IC_PARAMS, { accountId: ACCOUNT });
  const iam = resolveTemplate(template, IAM_PARAMS, { accountId: ACCOUNT });

  it("refuses sso:TagResource that would put the jit tag on an existing (administrator) permission set", async () => {
    const tagAdmin = await decide(ic, "AppRole", "sso:TagResource", permissionSet("ps-admin0000000000"), {
      "aws:RequestTag/jit-access:request": "req-1",
      "aws:TagKeys": ["jit-access:request"],
    });
    expect(tagAdmin).not.toBe("Allowed");
    // ...so the admin set never "carries" the tag the change actions need.
    expect(await decide(ic, "AppRole", "sso:CreateAccountAssignment", permissionSet("ps-admin0000000000"))).not.toBe("Allowed");
    // A set the app created (tagged at creation) stays manageable.
    expect(
      await decide(ic, "AppRole", "sso:TagResource", permissionSet("ps-jit00000000000"), {
        ...JIT_TAG,
        "aws:RequestTag/jit-access:request": "req-1",
        "aws:TagKeys": ["jit-access:request"],
      }),
    ).toBe("Allowed");
    expect(await decide(ic, "AppRole", "sso:CreateAccountAssignment", permissionSet("ps-jit00000000000"), JIT_TAG)).toBe("Allowed");
    expect(
      await decide(ic, "AppRole", "sso:CreatePermissionSet", permissionSet("ps-new00000000000"), {
        "aws:RequestTag/jit-access:request": "req-1",
        "aws:TagKeys": ["jit-access:request"],
      }),
    ).toBe("Allowed");
    expect(await decide(ic, "AppRole", "sso:CreatePermissionSet", permissionSet("ps-new00000000000"))).not.toBe("Allowed");
  });

  it.each(["aws", "aws-cn", "aws-us-gov"])("reaches only the configured accounts in partition %s (app, scheduler and sweep)", async (partition) => {
    const deployed = resolveTemplate(template, IC_PARAMS, { accountId: ACCOUNT, partition });
    const cases: Array<[string, string]> = [
      ["AppRole", "sso:CreateAccountAssignment"],
      ["AppRole", "sso:ProvisionPermissionSet"],
      ["AppRole", "sso:ListAccountAssignments"],
      ["SchedulerRole", "sso:DeleteAccountAssignment"],
      ["SweepRole", "sso:DeleteAccountAssignment"],
      ["SweepRole", "sso:ListAccountAssignments"],
    ];
    for (const [role, action] of cases) {
      for (const id of CONFIGURED) expect(await decide(deployed, role, action, account(id, partition)), `${role} ${action} ${id}`).toBe("Allowed");
      expect(await decide(deployed, role, action, account("999999999999", partition)), `${role} ${action} unconfigured`).not.toBe("Allowed");
      expect(await decide(deployed, role, action, instance(partition)), `${role} ${action} instance`).toBe("Allowed");
    }
  });

  it("property: an Identity Center account is reachable exactly when it is configured", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^[0-9]{12}$/), { minLength: 1, maxLength: 4 }),
        fc.stringMatching(/^[0-9]{12}$/),
        async (configured, probe) => {
          const deployed = resolveTemplate(template, { ...IC_PARAMS, IdentityCenterAccountIds: configured.join(",") }, { accountId: ACCOUNT });
          const decision = await decide(deployed, "AppRole", "sso:CreateAccountAssignment", account(probe));
          expect(decision === "Allowed").toBe(configured.includes(probe));
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each([
    ["user/alice", false],
    ["role/Admin", false],
    ["user/people/alice", false],
    ["role/jit-access-deploy/AppRole", false],
    ["user/jit-access-grantees/alice", true],
    ["role/jit-access-grantees/team/bob", true],
  ] as const)("iam mode, default path: attaching a jit policy to %s is allowed: %s", async (principal, allowed) => {
    const action = principal.startsWith("user/") ? "iam:AttachUserPolicy" : "iam:AttachRolePolicy";
    const decision = await decide(iam, "AppRole", action, `arn:aws:iam::${ACCOUNT}:${principal}`, {
      "iam:PolicyARN": `arn:aws:iam::${ACCOUNT}:policy/jit-access/jit-req-1`,
    });
    expect(decision === "Allowed").toBe(allowed);
  });

  it("iam mode: a deployer's explicit GrantablePrincipalPath is honoured, by the role and its boundary", async () => {
    const deployed = resolveTemplate(template, { ...IAM_PARAMS, GrantablePrincipalPath: "/people/" }, { accountId: ACCOUNT });
    const ctx = { "iam:PolicyARN": `arn:aws:iam::${ACCOUNT}:policy/jit-access/jit-req-1` };
    expect(await decide(deployed, "AppRole", "iam:AttachUserPolicy", `arn:aws:iam::${ACCOUNT}:user/people/alice`, ctx)).toBe("Allowed");
    expect(await decide(deployed, "AppRole", "iam:AttachUserPolicy", `arn:aws:iam::${ACCOUNT}:user/jit-access-grantees/alice`, ctx)).not.toBe("Allowed");
    // Detach (revoke) still reaches whoever holds a jit policy.
    expect(await decide(deployed, "AppRole", "iam:DetachUserPolicy", `arn:aws:iam::${ACCOUNT}:user/alice`, ctx)).toBe("Allowed");
  });
});

describe("the deploy template's identities role creates anyone with any policy", () => {
  const template = loadTemplate();
  const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  const BASELINE = `arn:aws:iam::${ACCOUNT}:policy/team-baseline`;
  const ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess";
  const IDS_PARAMS = { ...IAM_PARAMS, CreateIdentitiesRole: "true", IdentitiesAllowedPolicyArns: `${READ_ONLY},${BASELINE}`, IdentityStoreId: "d-0123456789" };
  const ids = resolveTemplate(template, IDS_PARAMS, { accountId: ACCOUNT });
  const arn = (x: string) => `arn:aws:iam::${ACCOUNT}:${x}`;
  const attachAction = (principal: string) => (principal.startsWith("user/") ? "iam:AttachUserPolicy" : "iam:AttachRolePolicy");

  it.each([
    ["user/jit-access-grantees/alice", READ_ONLY, true],
    ["role/jit-access-grantees/ci-deployer", BASELINE, true],
    ["user/jit-access-grantees/alice", ADMIN, false],
    ["role/jit-access-grantees/ci-deployer", ADMIN, false],
    ["user/jit-access-grantees/alice", "arn:aws:iam::aws:policy/IAMFullAccess", false],
    ["user/jit-access-grantees/alice", `arn:aws:iam::${ACCOUNT}:policy/jit-access/jit-req-1`, false],
    ["user/alice", READ_ONLY, false],
    ["role/Admin", READ_ONLY, false],
    ["role/jit-access-deploy/AppRole", READ_ONLY, false],
  ] as const)("attaching to %s the policy %s is allowed: %s", async (principal, policy, allowed) => {
    const decision = await decide(ids, "IdentitiesRole", attachAction(principal), arn(principal), { "iam:PolicyARN": policy });
    expect(decision === "Allowed").toBe(allowed);
  });

  it("attaches nothing when no policy is allowed", async () => {
    const none = resolveTemplate(template, { ...IDS_PARAMS, IdentitiesAllowedPolicyArns: "" }, { accountId: ACCOUNT });
    for (const policy of [READ_ONLY, ADMIN, BASELINE])
      expect(await decide(none, "IdentitiesRole", "iam:AttachUserPolicy", arn("user/jit-access-grantees/alice"), { "iam:PolicyARN": policy })).not.toBe(
        "Allowed",
      );
  });

  it.each([
    ["iam:CreateUser", "user/jit-access-grantees/alice", true],
    ["iam:CreateRole", "role/jit-access-grantees/ci-deployer", true],
    ["iam:UpdateAssumeRolePolicy", "role/jit-access-grantees/ci-deployer", true],
    ["iam:PutRolePolicy", "role/jit-access-grantees/ci-deployer", true],
    ["iam:DeleteUser", "user/jit-access-grantees/alice", true],
    ["iam:CreateUser", "user/alice", false],
    ["iam:CreateUser", "user/people/alice", false],
    ["iam:CreateRole", "role/Admin", false],
    ["iam:CreateRole", "role/jit-access-deploy/Backdoor", false],
    ["iam:PutUserPolicy", "user/alice", false],
    ["iam:DeleteUser", "user/alice", false],
    ["iam:UpdateAssumeRolePolicy", "role/Admin", false],
    ["iam:UpdateAssumeRolePolicy", "role/jit-access-deploy/AppRole", false],
    ["iam:PutRolePolicy", "role/jit-access-deploy/identities/jit/IdentitiesRole", false],
  ] as const)("%s on %s is allowed: %s", async (action, resource, allowed) => {
    expect((await decide(ids, "IdentitiesRole", action, arn(resource))) === "Allowed").toBe(allowed);
  });

  it("property: a user or role can be created exactly under the grantee path", async () => {
    const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("user", "role"), fc.array(segment, { maxLength: 3 }), segment, async (kind, path, name) => {
        const resource = `${kind}/${[...path, name].join("/")}`;
        const decision = await decide(ids, "IdentitiesRole", kind === "user" ? "iam:CreateUser" : "iam:CreateRole", arn(resource));
        expect(decision === "Allowed").toBe(path[0] === "jit-access-grantees");
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    ["iam:CreateAccessKey", "user/jit-access-grantees/alice", {}],
    ["iam:UpdateAccessKey", "user/jit-access-grantees/alice", {}],
    ["iam:CreateLoginProfile", "user/jit-access-grantees/alice", {}],
    ["iam:UpdateLoginProfile", "user/jit-access-grantees/alice", {}],
    ["iam:CreateServiceSpecificCredential", "user/jit-access-grantees/alice", {}],
    ["iam:PassRole", "role/jit-access-grantees/ci-deployer", { "iam:PassedToService": "lambda.amazonaws.com" }],
    ["iam:PassRole", "role/jit-access-deploy/AppRole", { "iam:PassedToService": "ec2.amazonaws.com" }],
    ["iam:CreatePolicy", "policy/jit-access-grantees/anything", {}],
    ["iam:CreatePolicyVersion", `policy/team-baseline`, {}],
    ["iam:PutUserPermissionsBoundary", "user/jit-access-grantees/alice", {}],
    ["iam:DeleteRolePermissionsBoundary", "role/jit-access-grantees/ci-deployer", {}],
  ] as const)("refuses %s on %s (no credential, no passing a role, no policy writes)", async (action, resource, context) => {
    expect(await decide(ids, "IdentitiesRole", action, arn(resource), context)).toBe("ExplicitlyDenied");
  });

  it("is assumable by the app and sweep roles of the stack when created, and named as neither otherwise", async () => {
    const identitiesArn = `arn:aws:iam::${ACCOUNT}:role/jit-access-deploy/identities/jit/IdentitiesRole`;
    for (const role of ["AppRole", "SweepRole"]) expect(await decide(ids, role, "sts:AssumeRole", identitiesArn), role).toBe("Allowed");
    expect(await decide(ids, "AppRole", "sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/jit-access-deploy/identities/other-stack/IdentitiesRole`)).not.toBe(
      "Allowed",
    );
    expect(await decide(ids, "SchedulerRole", "sts:AssumeRole", identitiesArn)).not.toBe("Allowed");
    const without = resolveTemplate(template, IAM_PARAMS, { accountId: ACCOUNT });
    expect((without.Resources as Obj).IdentitiesRole).toBeUndefined();
    for (const role of ["AppRole", "SweepRole"]) expect(await decide(without, role, "sts:AssumeRole", identitiesArn), role).not.toBe("Allowed");
    // Its trust names the two roles, and its calls do not raise the out-of-band alarm.
    const res = ids.Resources as Record<string, { Properties: Obj }>;
    const trust = (res.IdentitiesRole?.Properties.AssumeRolePolicyDocument as { Statement: Obj[] }).Statement;
    expect(trust).toEqual([
      {
        Effect: "Allow",
        Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:role/jit-access-deploy/AppRole`, `arn:aws:iam::${ACCOUNT}:role/jit-access-deploy/SweepRole`] },
        Action: "sts:AssumeRole",
      },
    ]);
    expect(JSON.stringify(res.OutOfBandIdentityChangeRule?.Properties.EventPattern)).toContain(identitiesArn);
  });
});

describe("the deploy template refuses catalogue bundle grants, or a widening grants more than the listed bundles", () => {
  // CatalogueManagedPolicyArns / CataloguePermissionSetArns open exactly the listed existing
  // policies and permission sets, to the app (grant) and the scheduler and sweep (revoke), through
  // the app's boundary too. Evaluated by the simulator: a listed, an unlisted (administrator) and a
  // jit-access ARN × each action × each role, with the parameters empty and set.
  const template = loadTemplate();
  const LISTED = `arn:aws:iam::${ACCOUNT}:policy/teams/db-operator`;
  const LISTED_AWS = "arn:aws:iam::aws:policy/ReadOnlyAccess";
  const UNLISTED = "arn:aws:iam::aws:policy/AdministratorAccess";
  const JIT = `arn:aws:iam::${ACCOUNT}:policy/jit-access/jit-req-1`;
  const arn = (x: string) => `arn:aws:iam::${ACCOUNT}:${x}`;
  const iamWith = resolveTemplate(template, { ...IAM_PARAMS, CatalogueManagedPolicyArns: `${LISTED},${LISTED_AWS}` }, { accountId: ACCOUNT });
  const iamWithout = resolveTemplate(template, IAM_PARAMS, { accountId: ACCOUNT });
  const byParams = { set: iamWith, empty: iamWithout };
  const GRANTEE_USER = "user/jit-access-grantees/alice";
  const GRANTEE_ROLE = "role/jit-access-grantees/bob";

  type Row = readonly [role: string, action: string, principal: string, policy: string, whenSet: boolean, whenEmpty: boolean];
  const rows: Row[] = [];
  for (const policy of [LISTED, LISTED_AWS]) {
    rows.push(
      ["AppRole", "iam:AttachUserPolicy", GRANTEE_USER, policy, true, false],
      ["AppRole", "iam:AttachRolePolicy", GRANTEE_ROLE, policy, true, false],
      ["AppRole", "iam:DetachUserPolicy", GRANTEE_USER, policy, true, false],
      ["AppRole", "iam:DetachRolePolicy", GRANTEE_ROLE, policy, true, false],
      ["SchedulerRole", "iam:DetachUserPolicy", GRANTEE_USER, policy, true, false],
      ["SchedulerRole", "iam:DetachRolePolicy", GRANTEE_ROLE, policy, true, false],
      ["SweepRole", "iam:DetachUserPolicy", GRANTEE_USER, policy, true, false],
      ["SweepRole", "iam:DetachRolePolicy", GRANTEE_ROLE, policy, true, false],
      // Only grantees: standing attachments of anyone else stay out of reach.
      ["AppRole", "iam:AttachUserPolicy", "user/alice", policy, false, false],
      ["AppRole", "iam:AttachRolePolicy", "role/jit-access-deploy/AppRole", policy, false, false],
      ...(["AppRole", "SchedulerRole", "SweepRole"] as const).flatMap((role): Row[] => [
        [role, "iam:DetachUserPolicy", "user/alice", policy, false, false],
        [role, "iam:DetachRolePolicy", "role/Admin", policy, false, false],
      ]),
      ["AppRole", "iam:AttachGroupPolicy", "group/jit-access-grantees/team", policy, false, false],
      ["AppRole", "iam:DetachGroupPolicy", "group/admins", policy, false, false],
      ["SchedulerRole", "iam:AttachUserPolicy", GRANTEE_USER, policy, false, false],
      ["SweepRole", "iam:AttachUserPolicy", GRANTEE_USER, policy, false, false],
    );
  }
  for (const [role, action, principal] of [
    ["AppRole", "iam:AttachUserPolicy", GRANTEE_USER],
    ["AppRole", "iam:AttachRolePolicy", GRANTEE_ROLE],
    ["AppRole", "iam:DetachUserPolicy", GRANTEE_USER],
    ["SchedulerRole", "iam:DetachRolePolicy", GRANTEE_ROLE],
    ["SweepRole", "iam:DetachUserPolicy", GRANTEE_USER],
  ] as const) {
    rows.push([role, action, principal, UNLISTED, false, false]);
    rows.push([role, action, principal, `arn:aws:iam::${ACCOUNT}:policy/teams/db-operator-v2`, false, false]);
    rows.push([role, action, principal, JIT, !action.includes("Attach") || role === "AppRole", !action.includes("Attach") || role === "AppRole"]);
  }
  // Jit policies are still detached from whoever holds them, whatever the parameter.
  rows.push(["AppRole", "iam:DetachUserPolicy", "user/alice", JIT, true, true]);

  it.each(rows)("%s %s on %s with %s: allowed when listed %s, when empty %s", async (role, action, principal, policy, whenSet, whenEmpty) => {
    for (const [params, expected] of [
      ["set", whenSet],
      ["empty", whenEmpty],
    ] as const) {
      const decision = await decide(byParams[params], role, action, arn(principal), { "iam:PolicyARN": policy });
      expect(decision === "Allowed", `${params}: ${decision}`).toBe(expected);
    }
  });

  it.each(["AppRole", "SchedulerRole", "SweepRole"])("%s can never change, delete or copy a listed policy", async (role) => {
    for (const policy of [LISTED, UNLISTED]) {
      for (const action of [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ])
        expect(await decide(iamWith, role, action, policy), `${action} ${policy}`).not.toBe("Allowed");
    }
    for (const [action, principal] of [
      ["iam:PutRolePolicy", GRANTEE_ROLE],
      ["iam:PutUserPolicy", GRANTEE_USER],
      ["iam:PutUserPermissionsBoundary", GRANTEE_USER],
      ["iam:DeleteRolePermissionsBoundary", GRANTEE_ROLE],
    ] as const)
      expect(await decide(iamWith, role, action, arn(principal)), action).not.toBe("Allowed");
  });

  it("the boundary alone keeps an unlisted policy out, even if the role's own policy were widened", async () => {
    // Give the role a wide-open attach statement; the boundary still decides.
    const widened = structuredClone(iamWith);
    const roles = widened.Resources as Record<string, { Properties: { Policies: Array<{ PolicyDocument: { Statement: unknown[] } }> } }>;
    roles.AppRole?.Properties.Policies[0]?.PolicyDocument.Statement.push({ Effect: "Allow", Action: "iam:Attach*", Resource: "*" });
    const attach = (policy: string) => decide(widened, "AppRole", "iam:AttachUserPolicy", arn(GRANTEE_USER), { "iam:PolicyARN": policy });
    expect(await attach(UNLISTED)).not.toBe("Allowed");
    expect(await attach(LISTED)).toBe("Allowed");
    expect(await attach(JIT)).toBe("Allowed");
    expect(await decide(widened, "AppRole", "iam:AttachUserPolicy", arn("user/alice"), { "iam:PolicyARN": LISTED })).not.toBe("Allowed");
  });

  it("property: an existing policy can be attached to a grantee exactly when it is listed (or is jit-access's own)", async () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
    const policyArn = fc.oneof(
      name.map((n) => `arn:aws:iam::${ACCOUNT}:policy/${n}`),
      name.map((n) => `arn:aws:iam::aws:policy/${n}`),
      name.map((n) => `arn:aws:iam::${ACCOUNT}:policy/jit-access/${n}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(policyArn, { minLength: 0, maxLength: 3 }), policyArn, async (listed, probe) => {
        const catalogue = listed.filter((a) => !a.includes(":policy/jit-access/"));
        const deployed = resolveTemplate(template, { ...IAM_PARAMS, CatalogueManagedPolicyArns: catalogue.join(",") }, { accountId: ACCOUNT });
        const decision = await decide(deployed, "AppRole", "iam:AttachUserPolicy", arn(GRANTEE_USER), { "iam:PolicyARN": probe });
        expect(decision === "Allowed").toBe(catalogue.includes(probe) || probe.includes(":policy/jit-access/"));
      }),
      { numRuns: 40 },
    );
  });

  // identity-center mode: a listed existing permission set, an unlisted (administrator) one, a jit one.
  const LISTED_PS = permissionSet("ps-0123456789abcdef");
  const UNLISTED_PS = permissionSet("ps-admin0000000000");
  const JIT_PS = permissionSet("ps-jit00000000000");
  const icWith = resolveTemplate(template, { ...IC_PARAMS, CataloguePermissionSetArns: LISTED_PS }, { accountId: ACCOUNT });
  const icByParams = { set: icWith, empty: resolveTemplate(template, IC_PARAMS, { accountId: ACCOUNT }) };
  type PsRow = readonly [role: string, action: string, set: string, whenSet: boolean, whenEmpty: boolean];
  const psRows: PsRow[] = [];
  for (const action of ["sso:CreateAccountAssignment", "sso:ProvisionPermissionSet", "sso:DeleteAccountAssignment"])
    psRows.push(["AppRole", action, LISTED_PS, true, false], ["AppRole", action, UNLISTED_PS, false, false], ["AppRole", action, JIT_PS, true, true]);
  for (const role of ["SchedulerRole", "SweepRole"])
    psRows.push(
      [role, "sso:DeleteAccountAssignment", LISTED_PS, true, false],
      [role, "sso:DeleteAccountAssignment", UNLISTED_PS, false, false],
      [role, "sso:DeleteAccountAssignment", JIT_PS, true, true],
      [role, "sso:CreateAccountAssignment", LISTED_PS, false, false],
    );
  for (const action of ["sso:PutInlinePolicyToPermissionSet", "sso:DeletePermissionSet", "sso:AttachManagedPolicyToPermissionSet", "sso:UpdatePermissionSet"])
    psRows.push(["AppRole", action, LISTED_PS, false, false], ["AppRole", action, UNLISTED_PS, false, false]);

  it.each(psRows)("%s %s on %s: allowed when listed %s, when empty %s", async (role, action, set, whenSet, whenEmpty) => {
    const ctx = set === JIT_PS ? JIT_TAG : {};
    for (const [params, expected] of [
      ["set", whenSet],
      ["empty", whenEmpty],
    ] as const) {
      const decision = await decide(icByParams[params], role, action, set, ctx);
      expect(decision === "Allowed", `${params}: ${decision}`).toBe(expected);
    }
  });

  it("never lets the app tag a listed permission set (which would make it look like jit-access's own)", async () => {
    const ctx = { "aws:RequestTag/jit-access:request": "req-1", "aws:TagKeys": ["jit-access:request"] };
    expect(await decide(icWith, "AppRole", "sso:TagResource", LISTED_PS, ctx)).not.toBe("Allowed");
  });

  it("a listed permission set is assigned only in the configured accounts", async () => {
    expect(await decide(icWith, "AppRole", "sso:CreateAccountAssignment", account(CONFIGURED[0] as string))).toBe("Allowed");
    expect(await decide(icWith, "AppRole", "sso:CreateAccountAssignment", account("999999999999"))).not.toBe("Allowed");
  });

  it("a parameter of the other mode opens nothing", () => {
    const iamWithSets = resolveTemplate(template, { ...IAM_PARAMS, CataloguePermissionSetArns: LISTED_PS }, { accountId: ACCOUNT });
    const icWithPolicies = resolveTemplate(template, { ...IC_PARAMS, CatalogueManagedPolicyArns: LISTED }, { accountId: ACCOUNT });
    expect(JSON.stringify(iamWithSets.Resources)).not.toContain(LISTED_PS);
    expect(JSON.stringify(icWithPolicies.Resources)).not.toContain(LISTED);
    expect(iamWithSets.Resources).toEqual(iamWithout.Resources);
  });
});

describe("the deploy template's optional Slack secret opens no other secret", () => {
  // SlackSecretArn adds one GetSecretValue grant (and its boundary ceiling); the simulator checks
  // that it reaches exactly that secret, only when given, and that the app's secret stays readable.
  const template = loadTemplate();
  const SLACK = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:jit-access/slack-AbCdEf`;
  const OTHER = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:prod/db-password-AbCdEf`;
  const withSlack = resolveTemplate(template, { ...IAM_PARAMS, SlackSecretArn: SLACK }, { accountId: ACCOUNT });
  const without = resolveTemplate(template, IAM_PARAMS, { accountId: ACCOUNT });

  it("lets the app read the Slack secret only when the stack names it, and never another secret", async () => {
    expect(await decide(withSlack, "AppRole", "secretsmanager:GetSecretValue", SLACK)).toBe("Allowed");
    expect(await decide(withSlack, "AppRole", "secretsmanager:GetSecretValue", IAM_PARAMS.AppSecretArn)).toBe("Allowed");
    expect(await decide(withSlack, "AppRole", "secretsmanager:GetSecretValue", OTHER)).not.toBe("Allowed");
    expect(await decide(without, "AppRole", "secretsmanager:GetSecretValue", SLACK)).not.toBe("Allowed");
    for (const action of ["secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret"])
      expect(await decide(withSlack, "AppRole", action, SLACK), action).not.toBe("Allowed");
    expect(await decide(withSlack, "SweepRole", "secretsmanager:GetSecretValue", SLACK)).not.toBe("Allowed");
  });
});

describe("the Slack webhook secret in the workflows", () => {
  it("reaches only the sweep action's step, in the sweep environment, under the Lambda's variable name", () => {
    const steps = jobs.flatMap(({ file, name, job }) => (job.steps ?? []).map((step) => ({ where: `${file}:${name}`, job, step })));
    const slack = steps.filter(({ step }) => json(step).includes("secrets.JIT_SLACK_WEBHOOK"));
    expect(slack.map((x) => x.where)).toEqual(["expire.yml:sweep"]);
    const [{ job, step }] = slack as [(typeof slack)[number]];
    expect(step.uses).toBe("./");
    // The same name as the Lambda gives the Slack secret's URL, so one config line serves both.
    expect(step.env).toEqual({ [SLACK_WEBHOOK_VARIABLE]: "${{ secrets.JIT_SLACK_WEBHOOK }}" });
    expect(environmentOf(job)).toBe(TEMPLATE.Parameters.GitHubEnvironment?.Default);
  });
});
