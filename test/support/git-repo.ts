// A real temporary git repository of request records, for the sweep and store tests: `git init`
// in a temp folder (user.name/email set locally), a config, and active grants seeded by granting
// them in the fake AWS and writing the matching request files (status active + grant block).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as yaml from "js-yaml";
import { storedAws } from "../../src/aws/plan.js";
import type { Grants } from "../../src/aws/types.js";
import { CONFIG_PATH, parseConfig } from "../../src/domain/config.js";
import { dumpRequest } from "../../src/domain/request-file.js";
import type { AccessRequest, Config } from "../../src/domain/types.js";
import { CROSS_ROLE, HOME, OTHER, SCHEDULER_ROLE, testPolicy, testRequest } from "./fake-aws/fixtures.js";

export interface GitRepo {
  dir: string;
  git(...args: string[]): string;
  write(path: string, text: string): void;
  commitAll(message: string): void;
  /** Commits whose diff touches `path` (git log --follow is not needed: records never move). */
  commitsTouching(path: string): string[];
  head(): string;
  cleanup(): void;
}

export function createGitRepo(prefix = "jit-sweep-"): GitRepo {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
  git("init", "--quiet", "--initial-branch=main");
  git("config", "user.name", "Sweep Test");
  git("config", "user.email", "sweep@example.com");
  git("config", "commit.gpgsign", "false");
  const repo: GitRepo = {
    dir,
    git,
    write(path, text) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    commitAll(message) {
      git("add", "-A");
      git("commit", "--quiet", "--allow-empty", "-m", message);
    },
    commitsTouching(path) {
      return git("log", "--format=%H", "--", path).split("\n").filter(Boolean);
    },
    head() {
      return git("rev-parse", "HEAD").trim();
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return repo;
}

/** Users u1..un (iam_user) besides alice/bob/carol, so many grants stay under IAM's 10-per-user quota. */
export function sweepConfigYaml(mode: "iam" | "identity-center" = "iam", users = 0): string {
  const principals: Record<string, unknown> =
    mode === "iam"
      ? { alice: { iam_user: "alice" }, bob: { iam_role: "bob-role" }, carol: { iam_user: "carol" } }
      : { alice: { sso_user: "alice@example.com" }, bob: { sso_user: "bob@example.com" } };
  for (let i = 1; i <= users; i++) principals[`u${i}`] = mode === "iam" ? { iam_user: `u${i}` } : { sso_user: `u${i}@example.com` };
  return yaml.dump({
    aws: {
      mode,
      region: "us-east-1",
      accounts: { prod: HOME, other: { id: OTHER, role_arn: CROSS_ROLE } },
      scheduler_role_arn: SCHEDULER_ROLE,
      ...(mode === "identity-center"
        ? { identity_center: { instance_arn: "arn:aws:sso:::instance/ssoins-1111111111111111", identity_store_id: "d-1111111111" } }
        : {}),
    },
    principals,
  });
}

export function configOf(text: string): Config {
  const r = parseConfig(text);
  if (!r.ok) throw new Error(`config: ${JSON.stringify(r.problems)}`);
  return r.value;
}

export function recordPath(id: string, account = "prod"): string {
  return `access-requests/${account}/2026/${id}.yaml`;
}

export interface Seeded {
  id: string;
  path: string;
  request: AccessRequest;
  resources: string[];
}

/** Grants in AWS (the fake) and writes the active record; the caller commits. */
export async function seedActive(
  repo: GitRepo,
  grants: Grants,
  args: { id: string; requester?: string; expiresAt: string; grantedAt?: string; pr?: number; account?: string },
): Promise<Seeded> {
  const request = testRequest({ id: args.id, requester: args.requester ?? "alice", account: args.account ?? "prod", policy: testPolicy(`bucket-${args.id}`) });
  const result = await grants.grant(request, request.policy!, args.expiresAt);
  const active: AccessRequest = {
    ...request,
    status: "active",
    grant: {
      approved_by: ["bob"],
      merge_commit: "a".repeat(40),
      ...(args.pr !== undefined ? { pr: args.pr } : {}),
      granted_at: args.grantedAt ?? result.grantedAt,
      expires_at: args.expiresAt,
      aws: storedAws(result),
    },
  };
  const path = recordPath(args.id, args.account);
  repo.write(path, dumpRequest(active, "Written by jit-access."));
  return { id: args.id, path, request: active, resources: result.resources };
}

/** A request file in another state (no AWS), e.g. proposed or revoked. */
export function writeRecord(repo: GitRepo, request: AccessRequest): string {
  const path = recordPath(request.id, request.account);
  repo.write(path, dumpRequest(request));
  return path;
}

export function writeConfig(repo: GitRepo, text: string): void {
  repo.write(CONFIG_PATH, text);
}
