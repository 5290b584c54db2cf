// Extension of an active grant. `/extend <duration> <reason>` by the requester on the request's
// issue opens a linked extension request (a pull request adding `<id>-ext-<k>.yaml` with
// `extends: <id>`), reviewed and approved by the same rules as any request. Its merge is judged by
// the grant handler (files, rules at the pre-merge tip, approvals); then, here, the end moves: the
// AWS policy's time condition and the schedules, and a record commit on the original request. An
// extension that cannot be applied is refused with its code and changes nothing.
import type { ProbotOctokit } from "probot";
import { revokeTargetsOf } from "../aws/plan.js";
import { bundleOf } from "../domain/access-catalogue.js";
import { accountView } from "../domain/accounts.js";
import { resolveAccount } from "../domain/config.js";
import type { Config, AccessRequest, GrantExtension, Problem, ProblemCode } from "../domain/types.js";
import { extendedExpiry, extensionProblems, extensionRequest, parseExtend, recordExtended, type ExtendCommand } from "../domain/extension.js";
import { parseDuration } from "../domain/duration.js";
import { closingReason } from "../domain/closing.js";
import { codesOf, describeProblem, problem } from "../domain/problems.js";
import { commitMessage, recordExtensionApplied, recordGrantFailed, recordStatus } from "../domain/records.js";
import { parseRequestFile } from "../domain/request.js";
import { dumpRequest } from "../domain/request-file.js";
import { isoSeconds } from "../domain/time.js";
import { rejectedRecord } from "../lifecycle/close-proposal.js";
import { runEffects } from "../lifecycle/effects.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import type { Notifier } from "../notify/types.js";
import { updateRecord } from "../store/record-store.js";
import { OctokitAccessRepo } from "./access-repo.js";
import type { ApprovedGrant, GrantDeps, GrantOutcome, MergedPr } from "./grant-types.js";
import { MARKER, quote } from "./messages.js";
import { sameLogin, type RepoRef } from "./octokit-helpers.js";
import { loadRepoConfig } from "./repo-config.js";

export const EXTEND_MARKER = "<!-- jit-access:extend -->";

export type ExtendOutcome = { kind: "ignored" } | { kind: "refused"; code: ProblemCode; reason: string } | { kind: "requested"; pr: number; id: string };

export interface ExtendDeps {
  now: () => Date;
  /** Slack and other channels: the approvers are told of the extension request, as of any request. */
  notifierFor?: (config: Config) => Notifier;
}

export function handleExtendComment(
  octokit: ProbotOctokit,
  repo: RepoRef,
  comment: { issueNumber: number; body: string; author: { login: string; type: string } },
  deps: ExtendDeps,
): Promise<ExtendOutcome> {
  return extendByComment(new OctokitAccessRepo(octokit, repo), comment, deps);
}

/** `/extend` against any AccessRepo: find the thread's grant, check who asks and what, open the extension request. */
export async function extendByComment(
  access: AccessRepo,
  comment: { issueNumber: number; body: string; author: { login: string; type: string } },
  deps: ExtendDeps,
): Promise<ExtendOutcome> {
  const cmd = parseExtend(comment.body);
  if (!cmd || comment.author.type !== "User") return { kind: "ignored" };
  const reply = (text: string) => access.upsertComment(comment.issueNumber, EXTEND_MARKER, `${EXTEND_MARKER}\n${text}`);
  const refuse = async (p: Problem): Promise<ExtendOutcome> => {
    await reply(`🛑 Not extended (\`${p.code}\`): ${quote(p.message, 800)}`);
    return { kind: "refused", code: p.code, reason: p.message };
  };
  if (!cmd.ok) return refuse(cmd.problems[0]!);

  const cfg = await loadRepoConfig(access);
  if (!cfg.ok) return refuse(problem("github.config-invalid", "the repository config on the default branch cannot be read, so nothing can be extended"));
  const config = cfg.value;
  const mine = (await access.list()).flatMap((f) => {
    const r = parseRequestFile(f.text, { file: f.path, config });
    if (!r.ok || r.value.example || r.value.request.extends !== undefined) return [];
    const req = r.value.request;
    return Number(req.id.split("-")[0]) === comment.issueNumber || req.grant?.pr === comment.issueNumber ? [{ path: f.path, request: req }] : [];
  });
  const found = mine.find((m) => m.request.status === "active") ?? mine[0];
  if (!found) return refuse(problem("record.not-active", `there is no granted request for #${comment.issueNumber}, so there is nothing to extend`));
  // Who asks, before anything about the grant is said: only its requester may extend it.
  if (comment.author.login.toLowerCase() !== found.request.requester.toLowerCase())
    return refuse(problem("github.extend-not-requester", `only the requester of ${found.request.id} may extend it; ask them, or open your own request`));
  const draft = extensionRequest(found.request, cmd.value, (found.request.grant?.extensions?.length ?? 0) + 1);
  const problems = extensionProblems({ original: found.request, extension: draft, config, now: deps.now(), seconds: cmd.value.seconds });
  if (problems.length) return refuse(problems[0]!);
  return openExtension(access, config, found, cmd.value, deps.now(), deps.notifierFor?.(config));
}

async function openExtension(
  access: AccessRepo,
  config: Config,
  found: { path: string; request: AccessRequest },
  cmd: ExtendCommand,
  now: Date,
  alerts: Notifier | undefined,
): Promise<ExtendOutcome> {
  const original = found.request;
  const folder = found.path.split("/")[1] ?? original.account;
  const tip = await access.branchTip(access.defaultBranch);
  // The next free extension number: an earlier extension's branch (open or not) keeps its own.
  for (let k = (original.grant?.extensions?.length ?? 0) + 1, tries = 0; tries < 10; k++, tries++) {
    const ext = extensionRequest(original, cmd, k);
    const branch = `jit/${ext.id}`;
    const path = `access-requests/${folder}/${now.getUTCFullYear()}/${ext.id}.yaml`;
    if ((await access.read(path)) !== undefined || !(await access.createBranch(branch, tip))) continue;
    const text = dumpRequest(
      ext,
      `Written by jit-access from /extend on #${Number(original.id.split("-")[0])}. Merging this file's pull request moves the end of ${original.id}.`,
    );
    await access.writeAt(branch, path, text, { message: `jit-access: propose extending ${original.id} by ${cmd.duration}`, expectedSha: undefined });
    const title = `Extend ${original.id} by ${cmd.duration}: ${original.requester} → ${original.account}`.slice(0, 200);
    const body = [
      MARKER.intake,
      `**${quote(original.requester)}** asks to extend **${quote(original.id)}** by **${cmd.duration}** (it ends at ${original.grant?.expires_at ?? "?"}; it would end at ${extendedExpiry(original, cmd.seconds) ?? "?"}).`,
      "",
      `> ${quote(cmd.reason, 1000)}`,
      "",
      `Refs issue #${Number(original.id.split("-")[0])}. Extension request file: \`${path}\`. The access is the original's, unchanged; approve it as any request.`,
    ].join("\n");
    const pr = await access.createPull({ head: branch, base: access.defaultBranch, title, body });
    const reviewers = config.approvers.filter((a) => !a.includes("/") && a.replace(/^@/, "").toLowerCase() !== original.requester.toLowerCase());
    const teams = config.approvers.filter((a) => a.includes("/")).map((a) => a.split("/")[1] as string);
    if (reviewers.length || teams.length) await access.requestReviewers(pr, reviewers, teams);
    await access.upsertComment(
      Number(original.id.split("-")[0]),
      EXTEND_MARKER,
      `${EXTEND_MARKER}\n⏩ Extension requested: pull request #${pr} asks for ${cmd.duration} more (${quote(cmd.reason, 300)}). Once it is approved and merged, the grant ends at ${extendedExpiry(original, cmd.seconds) ?? "?"} instead of ${original.grant?.expires_at ?? "?"}.`,
    );
    await alerts?.notify({ kind: "opened", request: ext, approvers: config.approvers });
    return { kind: "requested", pr, id: ext.id };
  }
  throw new Error(`no free extension branch for ${original.id} after 10 tries; delete old jit/${original.id}-ext-* branches`);
}

// ---------------------------------------------------------------------------------------------
// The merge of an extension request: judged like any request by the grant handler, applied here.

/** The original request's record on the default branch: its account folder, this year or the years before. */
async function findOriginal(
  access: AccessRepo,
  extPath: string,
  id: string,
  config: Config,
  now: Date,
): Promise<{ path: string; request: AccessRequest } | undefined> {
  const folder = extPath.split("/")[1];
  const year = now.getUTCFullYear();
  for (let y = year; y >= year - 2; y--) {
    const path = `access-requests/${folder}/${y}/${id}.yaml`;
    const file = await access.read(path);
    if (!file) continue;
    const parsed = parseRequestFile(file.text, { file: path, config });
    return parsed.ok && !parsed.value.example ? { path, request: parsed.value.request } : undefined;
  }
  return undefined;
}

/**
 * How long the grant an extension request names would last in all, from its granted_at to the end
 * the extension asks for, in seconds; infinite when the original cannot be found or read. A
 * self-approval (break-glass) is judged on this, never on the extension's own duration, so that
 * chained extensions never add up past break_glass.max_duration.
 */
export async function extensionChainSeconds(access: AccessRepo, extPath: string, ext: AccessRequest, config: Config, now: Date): Promise<number> {
  const seconds = parseDuration(ext.duration, "merge.duration-invalid");
  const found = ext.extends !== undefined ? await findOriginal(access, extPath, ext.extends, config, now) : undefined;
  const to = seconds.ok && found ? extendedExpiry(found.request, seconds.value) : undefined;
  const from = Date.parse(found?.request.grant?.granted_at ?? "");
  return to && !Number.isNaN(from) ? (Date.parse(to) - from) / 1000 : Number.POSITIVE_INFINITY;
}

/** Whether the author of an extension pull request may ask for more time: the requester, or jit-access itself. */
export function mayAskExtension(author: { login: string; type: string } | null | undefined, requester: string, appLogin: string | undefined): boolean {
  if (author?.type === "Bot") return appLogin !== undefined && sameLogin(author.login, appLogin);
  return author?.type === "User" && sameLogin(author.login, requester);
}

/** Applies an approved, merged extension request (`g.request.extends`). */
export async function applyExtension(access: AccessRepo, pr: MergedPr, deps: GrantDeps, g: ApprovedGrant): Promise<GrantOutcome> {
  const { config, request: ext, path: extPath, now } = g;
  const at = isoSeconds(now);
  const alerts = deps.notifierFor ? { alerts: deps.notifierFor(config) } : {};
  const refused = async (problems: Problem[]): Promise<GrantOutcome> => {
    const reasons = problems.map(describeProblem);
    const done = await runEffects(
      [
        rejectedRecord(ext, extPath, {
          at,
          code: problems[0]!.code,
          reason: closingReason(`Extension pull request #${pr.number} was merged but not applied: ${reasons.join("; ")}`),
        }),
        {
          kind: "comment",
          issue: pr.number,
          marker: MARKER.grant,
          body: `${MARKER.grant}\n⛔ **Not extended.** ${reasons.map((r) => quote(r, 600)).join(" ")}\n\nThe grant is unchanged.`,
        },
        { kind: "state", issue: pr.number, state: "blocked" },
        { kind: "notify", event: { kind: "blocked", request: ext, reasons } },
      ],
      { access, ...alerts },
    );
    return { kind: "blocked", reasons, codes: codesOf(problems), ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  };

  // Only the requester asks for more time: through /extend (the app's own pull request, never
  // another bot's) or their own pull request.
  if (!mayAskExtension(pr.author, ext.requester, deps.appLogin))
    return refused([
      problem(
        "merge.extension-target-invalid",
        `pull request #${pr.number} was opened by ${pr.author?.login ?? "nobody"}, not by ${ext.requester}; only the requester may extend their grant`,
      ),
    ]);
  const seconds = parseDuration(ext.duration, "merge.duration-invalid");
  if (!seconds.ok) return refused(seconds.problems);
  const found = await findOriginal(access, extPath, ext.extends ?? "", config, now);
  const problems = extensionProblems({ original: found?.request, extension: ext, config, now, seconds: seconds.value });
  if (problems.length || !found) return refused(problems);
  const original = found.request;
  const grant = original.grant!;
  const expiresAt = extendedExpiry(original, seconds.value)!;
  const grants = deps.grantsFor(config);
  if (!grants.extend) return refused([problem("aws.extend-failed", "this deployment's AWS adapter cannot move a grant's end; nothing was changed")]);
  // Every account the grant holds, each with its own view of the request and its policy.
  const targets = revokeTargetsOf(original.id, grant.aws ?? {}, config.aws.mode);
  const primary = resolveAccount(config, original.account);
  // A catalogue bundle has no policy of its own: its extension moves only the revocation schedule.
  const policy = original.policy ?? (bundleOf(config, original) ? { Version: "2012-10-17" as const, Statement: [] } : undefined);
  if (!policy) return refused([problem("merge.no-policy", `the record of ${original.id} holds no policy to stamp anew`)]);
  const extendIn = grants.extend.bind(grants);
  const viewOf = (accountId: string) => {
    const account = resolveAccount(config, accountId) ?? { id: accountId };
    return primary && targets.length > 1 ? accountView(original, primary, account) : original;
  };
  // Every account's part goes with each: identity-center mode re-stamps the one permission set all of them share.
  const parts = targets.length > 1 ? targets.map((t) => viewOf(t.accountId)).map((view) => ({ request: view, policy: view.policy ?? policy })) : undefined;
  const moveEnd = async (target: (typeof targets)[number], to: string) => {
    const view = viewOf(target.accountId);
    await extendIn(view, target, view.policy ?? policy, to, parts ? { parts } : {});
  };
  const resources = targets.flatMap((t) => t.resources ?? []);

  const failed = async (reason: string, code: ProblemCode): Promise<GrantOutcome> => {
    const done = await runEffects(
      [
        {
          kind: "record",
          path: extPath,
          summary: `fail (${code})`,
          bestEffort: true,
          update: (current) => {
            if (!current || recordStatus(current.text) !== "proposed") return { kind: "skip", reason: "not a proposal" };
            const next = recordGrantFailed(ext, { at, reason: closingReason(reason), code });
            if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
            return {
              kind: "write",
              text: dumpRequest(next.value, "Written by jit-access."),
              message: commitMessage(`jit-access: fail ${ext.id}`, reason, { "Request-Id": ext.id, "Closed-By": "jit-access", Rule: [code] }),
            };
          },
        },
        {
          kind: "comment",
          issue: pr.number,
          marker: MARKER.grant,
          body: `${MARKER.grant}\n⚠️ **Extension failed.** ${quote(reason, 800)}\n\nThe grant still ends at ${grant.expires_at}.`,
        },
        { kind: "state", issue: pr.number, state: "failed" },
        { kind: "notify", event: { kind: "failed", request: ext, reason } },
      ],
      { access, ...alerts },
    );
    return { kind: "failed", reason, ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  };

  // AWS first: while the record still says the old end, the sweep and the old schedules end the
  // grant then, so a failure here, or before the record is written, never leaves more access
  // than recorded.
  try {
    for (const target of targets) await moveEnd(target, expiresAt);
  } catch (e) {
    return failed(
      `moving the end in AWS failed: ${e instanceof Error ? e.message : String(e)}; the grant still ends at ${grant.expires_at}`,
      "aws.extend-failed",
    );
  }
  const entry: GrantExtension = {
    id: ext.id,
    pr: pr.number,
    approved_by: g.approvedBy,
    merge_commit: g.mergeSha,
    at,
    previous_expires_at: grant.expires_at,
    expires_at: expiresAt,
  };
  const written = await updateRecord(access, found.path, (current) => {
    if (!current) return { kind: "skip", reason: "the original record is gone" };
    const cur = parseRequestFile(current.text, { file: found.path, config });
    if (!cur.ok) return { kind: "skip", reason: "the original record no longer reads" };
    // Compare-and-swap on what was judged: a revoke or another extension since then wins.
    if (cur.value.request.status !== "active" || cur.value.request.grant?.expires_at !== grant.expires_at)
      return { kind: "skip", reason: `the record of ${original.id} changed since the extension was judged (${cur.value.request.status})` };
    const next = recordExtended(cur.value.request, entry);
    if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
    return {
      kind: "write",
      text: dumpRequest(next.value, "Written by jit-access."),
      message: commitMessage(
        `jit-access: extend ${original.id} until ${expiresAt}`,
        `Extension ${ext.id} merged in ${g.mergeSha} (pull request #${pr.number}); it ended at ${grant.expires_at}.`,
        {
          "Request-Id": original.id,
          "Approved-By": g.approvedBy,
          "Expires-At": expiresAt,
          "Aws-Resource": resources,
          Risk: g.risk,
          // An extension by a rule or by break-glass leaves the same trace as a grant so approved:
          // the rule's caps count these trailers, and the review finds the break-glass.
          ...g.claim?.trailers,
        },
      ),
    };
  }).catch((e: unknown) => ({ kind: "skipped" as const, reason: e instanceof Error ? e.message : String(e) }));
  if (written.kind !== "written") {
    // Not recorded: put the old end back in AWS (best effort; the record's end rules either way).
    for (const target of targets) await moveEnd(target, grant.expires_at).catch(() => undefined);
    return failed(
      `the extension could not be recorded on ${original.id} (${written.reason}); the grant still ends at ${grant.expires_at}`,
      "record.write-failed",
    );
  }

  const issue = Number(original.id.split("-")[0]);
  const approved = g.approvedBy.map((a) => quote(a)).join(", ");
  const said = `⏩ **Extended**: ${quote(original.id)} now ends at **${expiresAt}** (was ${grant.expires_at}), approved by ${approved} in pull request #${pr.number}.`;
  await runEffects(
    [
      {
        kind: "record",
        path: extPath,
        summary: `apply ${ext.id}`,
        bestEffort: true,
        update: (current) => {
          if (!current || recordStatus(current.text) !== "proposed") return { kind: "skip", reason: "not a proposal" };
          const next = recordExtensionApplied(ext, { at, reason: `applied to ${original.id}: its end moved from ${grant.expires_at} to ${expiresAt}` });
          if (!next.ok) return { kind: "skip", reason: next.problems.map(describeProblem).join("; ") };
          return {
            kind: "write",
            text: dumpRequest(next.value, "Written by jit-access."),
            message: commitMessage(`jit-access: apply ${ext.id} to ${original.id}`, undefined, { "Request-Id": ext.id, "Expires-At": expiresAt }),
          };
        },
      },
      { kind: "comment", issue: pr.number, marker: MARKER.grant, body: `${MARKER.grant}\n${said}` },
      { kind: "state", issue: pr.number, state: "active" },
      { kind: "comment", issue, marker: EXTEND_MARKER, body: `${EXTEND_MARKER}\n${said}` },
      {
        kind: "notify",
        event: {
          kind: "extended",
          request: original,
          previousExpiresAt: grant.expires_at,
          expiresAt,
          approvedBy: g.approvedBy,
          ...(pr.htmlUrl ? { links: { pr: pr.htmlUrl } } : {}),
        },
      },
    ],
    { access, ...alerts },
  );
  // A self-approved extension raises the break-glass alarm as a self-approved grant does.
  await g.claim?.after?.({
    access,
    expiresAt,
    prNumber: pr.number,
    ...(deps.notifierFor ? { notifierFor: deps.notifierFor } : {}),
    ...(pr.htmlUrl ? { prUrl: pr.htmlUrl } : {}),
  });
  return { kind: "granted", id: original.id, expiresAt, resources };
}
