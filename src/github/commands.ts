// `/revoke [reason]` in a comment on a request's issue or pull request: ends an active grant now.
// Only the requester or an authorized approver may do it; anyone else gets a polite refusal.
import { isoSeconds } from "../domain/time.js";
import type { ProbotOctokit } from "probot";
import { normalizeLogin } from "../domain/approvals.js";
import { CODEOWNERS_LOCATIONS, ownersOf, parseCodeowners, pickCodeowners } from "../domain/codeowners.js";
import { commitMessage, recordRevoked } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import type { AccessRequest, Config } from "../domain/types.js";
import { NotOwnedError, revokeTargetOf } from "../aws/plan.js";
import type { Grants } from "../aws/types.js";
import type { Notifier } from "../notify/types.js";
import { updateRecord } from "../store/record-store.js";
import { LABEL } from "./intake.js";
import { MARKER, quote } from "./messages.js";
import { addLabels, removeLabel, upsertComment, type RepoRef } from "./octokit-helpers.js";
import { loadRepoConfig } from "./repo-config.js";
import { GitHubRecordStore, status } from "./store.js";

export type CommandOutcome = { kind: "ignored" } | { kind: "refused"; reason: string } | { kind: "revoked"; id: string } | { kind: "failed"; reason: string };

/** `/revoke` alone on the first line, optionally followed by a reason. */
export function parseRevoke(body: string): { reason: string } | undefined {
  const first = body.replace(/\r/g, "").split("\n")[0]?.trim() ?? "";
  const m = /^\/revoke(?:\s+(.*))?$/.exec(first);
  if (!m) return undefined;
  return { reason: (m[1] ?? "").trim().slice(0, 500) || "revoked on request" };
}

export async function handleRevokeComment(
  octokit: ProbotOctokit,
  repo: RepoRef,
  comment: { issueNumber: number; body: string; author: { login: string; type: string } },
  deps: { grantsFor: (config: Config) => Grants; now: () => Date; notifierFor?: (config: Config) => Notifier },
): Promise<CommandOutcome> {
  const cmd = parseRevoke(comment.body);
  if (!cmd || comment.author.type !== "User") return { kind: "ignored" };
  const store = new GitHubRecordStore(octokit, { owner: repo.owner, repo: repo.repo, branch: repo.defaultBranch });
  const reply = (text: string) => upsertComment(octokit, repo, comment.issueNumber, MARKER.revoke, `${MARKER.revoke}\n${text}`);

  const cfg = await loadRepoConfig(store);
  if (!cfg.ok) {
    await reply(`Cannot revoke: the repository config is invalid.`);
    return { kind: "failed", reason: "invalid config" };
  }
  const config = cfg.config;
  const files = await store.list();
  const parsed = files.map((f) => ({ f, r: parseRequestFile(f.text, { file: f.path, config }) }));
  const found = parsed.find(({ r }) => r.ok && r.request.status === "active" && (Number(r.request.id.split("-")[0]) === comment.issueNumber || r.request.grant?.pr === comment.issueNumber));
  if (!found || !found.r.ok) {
    // A record of this issue that cannot be read (e.g. grant.aws edited to name a policy that
    // jit-access did not create) is never acted on: say so, rather than "no active grant".
    const broken = parsed.find(({ f, r }) => !r.ok && Number(/\/([1-9][0-9]*)-[^/]*\.yaml$/.exec(f.path)?.[1]) === comment.issueNumber);
    if (broken && !broken.r.ok) {
      const problems = broken.r.problems.slice(0, 5).map((p) => `- ${quote(p.message, 400)}`).join("\n");
      await reply(
        `🛑 Cannot revoke: the record ${quote(broken.f.path)} cannot be read, so nothing was removed. jit-access acts only on records it can check, and only on AWS resources it created for the request:\n${problems}\n\nAn admin must restore the record from its git history; the grant's own expiry still applies.`,
      );
      return { kind: "refused", reason: "unreadable record" };
    }
    await reply(`There is no active grant for #${comment.issueNumber}, so there is nothing to revoke.`);
    return { kind: "refused", reason: "no active grant" };
  }
  const request = found.r.request;
  const path = found.f.path;

  if (!(await mayRevoke(octokit, repo, store, config, path, request, comment.author.login))) {
    await reply(`Sorry @${quote(comment.author.login)}, only the requester or an approver of this request can revoke it.`);
    return { kind: "refused", reason: "not authorized" };
  }

  const grants = deps.grantsFor(config);
  try {
    await grants.revoke(revokeTargetOf(request.id, request.grant?.aws ?? {}, config.aws.mode));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (e instanceof NotOwnedError) {
      await reply(`🛑 Not revoked: ${quote(reason, 600)}. Trying again will not change this; an admin must look at the resource named above.`);
      return { kind: "refused", reason };
    }
    await reply(`⚠️ Revoking failed: ${quote(reason, 500)}. The grant stays active and is retried by the expiry sweep; try \`/revoke\` again.`);
    return { kind: "failed", reason };
  }
  const at = isoSeconds(deps.now());
  const by = comment.author.login;
  await updateRecord(store, path, (current) => {
    if (!current) return { kind: "skip", reason: "gone" };
    const cur = parseRequestFile(current.text, { file: path, config });
    if (!cur.ok || cur.request.status !== "active") return { kind: "skip", reason: "no longer active" };
    const next = recordRevoked(cur.request, { at, reason: cmd.reason, by });
    if (!next.ok) return { kind: "skip", reason: next.message };
    return {
      kind: "write",
      text: dumpRequest(next.request, "Written by jit-access."),
      message: commitMessage(`jit-access: revoke ${request.id}`, `Revoked early by ${by}: ${cmd.reason}`, {
        "Request-Id": request.id,
        "Aws-Resource": request.grant?.aws?.resources ?? [],
        "Closed-By": by,
      }),
    };
  });
  const issue = Number(request.id.split("-")[0]);
  for (const n of new Set([issue, comment.issueNumber, ...(request.grant?.pr ? [request.grant.pr] : [])])) {
    await removeLabel(octokit, repo, n, LABEL.active);
    await addLabels(octokit, repo, n, ["jit:revoked"]);
  }
  await reply(`🔒 Revoked by ${quote(by)} at ${at}: ${quote(cmd.reason)}. The policy is gone from AWS.`);
  await octokit.rest.issues.update({ owner: repo.owner, repo: repo.repo, issue_number: issue, state: "closed", state_reason: "completed" }).catch(() => undefined);
  await deps.notifierFor?.(config).notify({ kind: "revoked", request, at, by, reason: cmd.reason });
  return { kind: "revoked", id: request.id };
}

async function mayRevoke(octokit: ProbotOctokit, repo: RepoRef, store: GitHubRecordStore, config: Config, path: string, request: AccessRequest, login: string): Promise<boolean> {
  const who = normalizeLogin(login);
  if (!who) return false;
  if (who === normalizeLogin(request.requester)) return true;
  const owners = [...config.approvers];
  const picked = pickCodeowners(await Promise.all(CODEOWNERS_LOCATIONS.map(async (p) => ({ path: p, text: (await store.read(p))?.text }))));
  if (picked) owners.push(...ownersOf(parseCodeowners(picked.text, picked.path), path).owners);
  for (const o of owners) {
    const bare = o.replace(/^@/, "");
    if (!bare.includes("/")) {
      if (normalizeLogin(bare) === who) return true;
      continue;
    }
    const [org, team] = bare.split("/") as [string, string];
    try {
      const { data } = await octokit.rest.teams.getMembershipForUserInOrg({ org, team_slug: team, username: login });
      if (data.state === "active") return true;
    } catch (e) {
      if (status(e) !== 404) throw e;
    }
  }
  return false;
}
