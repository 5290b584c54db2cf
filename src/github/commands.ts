// `/revoke [reason]` in a comment on a request's issue or pull request: ends an active grant now.
// Only the requester or an authorized approver may do it; anyone else gets a polite refusal.
import type { ProbotOctokit } from "probot";
import { normalizeLogin } from "../domain/approvals.js";
import { ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { parseRequestFile } from "../domain/request.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config, ProblemCode } from "../domain/types.js";
import type { Grants } from "../aws/types.js";
import { closeGrant } from "../lifecycle/close-grant.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import type { Notifier } from "../notify/types.js";
import { OctokitAccessRepo } from "./access-repo.js";
import { activityPort, type ActivityLookupFn } from "./activity-closeout.js";
import { announceClosed } from "./closer.js";
import { MARKER, quote } from "./messages.js";
import type { RepoRef } from "./octokit-helpers.js";
import { codeownersCandidates, loadRepoConfig } from "./repo-config.js";
import { parseExtend } from "../domain/extension.js";
import { extendByComment, type ExtendOutcome } from "./extend.js";

export type CommandOutcome =
  | { kind: "ignored" }
  | { kind: "refused"; code: ProblemCode; reason: string }
  | { kind: "revoked"; id: string }
  | { kind: "failed"; code: ProblemCode; reason: string }
  | ExtendOutcome;

/** `/revoke` alone on the first line, optionally followed by a reason. */
export function parseRevoke(body: string): { reason: string } | undefined {
  const first = body.replace(/\r/g, "").split("\n")[0]?.trim() ?? "";
  const m = /^\/revoke(?:\s+(.*))?$/.exec(first);
  if (!m) return undefined;
  return { reason: (m[1] ?? "").trim().slice(0, 500) || "revoked on request" };
}

export interface RevokeDeps {
  grantsFor: (config: Config) => Grants;
  now: () => Date;
  notifierFor?: (config: Config) => Notifier;
  /** The CloudTrail lookup for the revoked grant's activity; absent: none. */
  activityFor?: ((config: Config) => ActivityLookupFn) | null;
}

export async function handleRevokeComment(
  octokit: ProbotOctokit,
  repo: RepoRef,
  comment: { issueNumber: number; body: string; author: { login: string; type: string } },
  deps: RevokeDeps,
): Promise<CommandOutcome> {
  return revokeByComment(new OctokitAccessRepo(octokit, repo), comment, deps);
}

/** `/revoke` against any AccessRepo: find the active grant of the thread, check who asks, closeGrant. */
export async function revokeByComment(
  access: AccessRepo,
  comment: { issueNumber: number; body: string; author: { login: string; type: string } },
  deps: RevokeDeps,
): Promise<CommandOutcome> {
  if (parseExtend(comment.body)) return extendByComment(access, comment, deps);
  const cmd = parseRevoke(comment.body);
  if (!cmd || comment.author.type !== "User") return { kind: "ignored" };
  const store = access;
  const reply = (text: string) => access.upsertComment(comment.issueNumber, MARKER.revoke, `${MARKER.revoke}\n${text}`);

  const cfg = await loadRepoConfig(store);
  if (!cfg.ok) {
    await reply(`Cannot revoke: the repository config is invalid.`);
    return { kind: "failed", code: "github.config-invalid", reason: "invalid config" };
  }
  const config = cfg.value;
  const files = await store.list();
  const parsed = files.map((f) => ({ f, r: parseRequestFile(f.text, { file: f.path, config }) }));
  const found = parsed.find(
    ({ r }) =>
      r.ok &&
      (r.value.request.status === "active" || r.value.request.status === "scheduled") &&
      (Number(r.value.request.id.split("-")[0]) === comment.issueNumber ||
        r.value.request.grant?.pr === comment.issueNumber ||
        r.value.request.scheduled?.pr === comment.issueNumber),
  );
  if (!found || !found.r.ok) {
    // A record of this issue that cannot be read (e.g. grant.aws edited to name a policy that
    // jit-access did not create) is never acted on: say so, rather than "no active grant".
    const broken = parsed.find(({ f, r }) => !r.ok && Number(/\/([1-9][0-9]*)-[^/]*\.yaml$/.exec(f.path)?.[1]) === comment.issueNumber);
    if (broken && !broken.r.ok) {
      const problems = broken.r.problems
        .slice(0, 5)
        .map((p) => `- ${quote(p.message, 400)}`)
        .join("\n");
      await reply(
        `🛑 Cannot revoke: the record ${quote(broken.f.path)} cannot be read, so nothing was removed. jit-access acts only on records it can check, and only on AWS resources it created for the request:\n${problems}\n\nAn admin must restore the record from its git history; the grant's own expiry still applies.`,
      );
      return { kind: "refused", code: "record.invalid", reason: "unreadable record" };
    }
    await reply(`There is no active grant for #${comment.issueNumber}, so there is nothing to revoke.`);
    return { kind: "refused", code: "record.not-active", reason: "no active grant" };
  }
  const request = found.r.value.request;
  const path = found.f.path;

  if (!(await mayRevoke(access, config, path, request, comment.author.login))) {
    await reply(`Sorry @${quote(comment.author.login)}, only the requester or an approver of this request can revoke it.`);
    return { kind: "refused", code: "github.revoke-not-authorized", reason: "not authorized" };
  }

  const by = comment.author.login;
  const r = await closeGrant(
    {
      store,
      config,
      grants: deps.grantsFor(config),
      github: { closed: (e) => announceClosed(access, e) },
      ...(deps.notifierFor ? { alerts: deps.notifierFor(config) } : {}),
      ...activityOf(deps, config, access),
    },
    { kind: "revoked", file: path, id: request.id, at: deps.now(), reason: cmd.reason, by, closedBy: by },
  );
  switch (r.kind) {
    case "refused":
      await reply(`🛑 Not revoked: ${quote(r.problem.message, 600)}. Trying again will not change this; an admin must look at the resource named above.`);
      return { kind: "refused", code: r.problem.code, reason: r.problem.message };
    case "failed":
      if (r.step === "revoke") {
        await reply(`⚠️ Revoking failed: ${quote(r.problem.message, 500)}. The grant stays active and is retried by the expiry sweep; try \`/revoke\` again.`);
      } else {
        await reply(
          `⚠️ Revoking did not finish (${r.step}): ${quote(r.problem.message, 500)}. The grant stays active until it is recorded; try \`/revoke\` again.`,
        );
      }
      return { kind: "failed", code: r.problem.code, reason: r.problem.message };
    case "skipped":
      // Someone (the sweep, another /revoke) closed it meanwhile; they announced it.
      await reply(`Nothing to revoke: ${quote(r.problem.message, 300)}.`);
      return { kind: "refused", code: r.problem.code, reason: r.problem.message };
    case "closed":
      await reply(
        `🔒 Revoked by ${quote(by)} at ${isoSeconds(deps.now())}: ${quote(cmd.reason)}. The policy is gone from AWS.${r.githubError ? ` (The issue could not be updated: ${quote(r.githubError, 200)}.)` : ""}`,
      );
      return { kind: "revoked", id: request.id };
  }
}

async function mayRevoke(access: AccessRepo, config: Config, path: string, request: AccessRequest, login: string): Promise<boolean> {
  const who = normalizeLogin(login);
  if (!who) return false;
  if (who === normalizeLogin(request.requester)) return true;
  const owners = [...config.approvers];
  const picked = pickCodeowners(await codeownersCandidates((p) => access.read(p)));
  if (picked) owners.push(...ownersOf(parseCodeowners(picked.text, picked.path), path).owners);
  for (const o of owners) {
    const bare = o.replace(/^@/, "");
    if (!bare.includes("/")) {
      if (normalizeLogin(bare) === who) return true;
      continue;
    }
    const [org, team] = bare.split("/") as [string, string];
    if ((await access.teamMembership(org, team, login)) === "active") return true;
  }
  return false;
}

function activityOf(deps: RevokeDeps, config: Config, access: AccessRepo): { activity?: (file: string, id: string) => Promise<unknown> } {
  const port = deps.activityFor ? activityPort({ config, store: access, lookup: deps.activityFor(config), now: deps.now, github: access }) : undefined;
  return port ? { activity: port } : {};
}
