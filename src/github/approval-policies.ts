// The approval policies on GitHub: auto-approval (after a passing check on the app's own request
// PR, the app merges it when an auto_approve rule covers it), break-glass (`/break-glass` on the
// request's PR by a listed requester), and their verification at the merge. Every decision is
// made by the pure core (src/domain/approvals); this module gathers the facts, at the default
// branch's current config (never the PR's), and merges only at the head it judged.
import {
  BREAK_GLASS_LABEL,
  autoApproveTeams,
  breakGlassProblems,
  claimMessage,
  isRequestFilePath,
  matchAutoApproval,
  normalizeLogin,
  parseBreakGlass,
  readClaim,
  verifyAutoApproval,
  verifyBreakGlass,
  type AutoApproveFacts,
  type MergeClaim,
  type Review,
} from "../domain/approvals.js";
import { CONFIG_PATH, resolveAccount } from "../domain/config.js";
import { fail, ok, problem, type Result } from "../domain/problems.js";
import { parseTrailers, type Trailers } from "../domain/records.js";
import { parseRequestFile, REQUESTS_DIR } from "../domain/request.js";
import { isoSeconds } from "../domain/time.js";
import type { AccessRequest, Config, GrantRecord, Problem, RiskTier } from "../domain/types.js";
import { loadCatalogue } from "../iam-data.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import type { Notifier } from "../notify/types.js";
import { planRequest } from "../policy/pipeline.js";
import { bundleOf } from "../domain/access-catalogue.js";
import type { StoredFile } from "../store/record-store.js";
import { extensionChainSeconds } from "./extend.js";
import { quote } from "./messages.js";
import { readPrRef } from "./payloads.js";
import { sameLogin } from "./octokit-helpers.js";
import { isAppRequestPr, type PrRef } from "./pr-check.js";
import { loadRepoConfig } from "./repo-config.js";

export const AUTO_APPROVE_MARKER = "<!-- jit-access:auto-approve -->";
export const BREAK_GLASS_MARKER = "<!-- jit-access:break-glass -->";

type FileReader = { read(path: string): Promise<StoredFile | undefined> };

/** The request a pull request proposes, at its head, judged by the rules at the default branch's tip. */
interface HeadRequest {
  path: string;
  blob: string;
  request: AccessRequest;
  account: { id: string; alias?: string };
  risk: RiskTier;
  durationSeconds: number;
  files: Array<{ path: string }>;
  issueAuthor: string | undefined;
}

interface Rules {
  config: Config;
  configSha: string | undefined;
}

async function rulesAtTip(access: AccessRepo): Promise<Result<Rules>> {
  const tip = await access.branchTip(access.defaultBranch);
  const store: FileReader = { read: (p) => access.readAt(p, tip) };
  const cfg = await loadRepoConfig(store);
  if (!cfg.ok) return cfg;
  return ok({ config: cfg.value, configSha: (await store.read(CONFIG_PATH))?.sha });
}

async function requestAtHead(access: AccessRepo, prNumber: number, headSha: string, rules: Rules, now: Date): Promise<Result<HeadRequest>> {
  const files = (await access.prFiles(prNumber)).map((f) => ({ path: f.path, sha: f.sha }));
  const requestFiles = files.filter((f) => isRequestFilePath(f.path));
  const first = requestFiles[0];
  if (!first || requestFiles.length > 1)
    return fail(problem("merge.extra-files", `pull request #${prNumber} must change exactly one request file; it changes ${requestFiles.length}`, "files"));
  const file = await access.readAt(first.path, headSha);
  if (!file) return fail(problem("merge.file-missing", `${first.path} is not in the head commit ${headSha.slice(0, 7)}`));
  const parsed = parseRequestFile(file.text, { file: first.path, config: rules.config });
  if (!parsed.ok) return parsed;
  const request = parsed.value.request;
  if (parsed.value.example) return fail(problem("merge.example", `${first.path} is an example; examples are never granted`));
  if ((request.status ?? "proposed") !== "proposed") return fail(problem("record.not-proposed", `${first.path} has status ${request.status}`, "status"));
  // A catalogue bundle (permission set, managed policy) is granted as it is, with no policy of its own.
  if (!request.policy && !bundleOf(rules.config, request)) return fail(problem("merge.no-policy", `${first.path} has no policy yet`, "policy"));
  const plan = planRequest(loadCatalogue(), {
    request,
    config: rules.config,
    accountId: parsed.value.account.id,
    now,
    durationSeconds: parsed.value.durationSeconds,
  });
  if (!plan.verdict.ok) return fail(...plan.verdict.errors);
  const origin = await access.issue(Number(request.id.split("-")[0]));
  return ok({
    path: first.path,
    blob: file.sha,
    request,
    account: { id: parsed.value.account.id, ...(parsed.value.account.alias ? { alias: parsed.value.account.alias } : {}) },
    risk: plan.verdict.risk,
    durationSeconds: parsed.value.durationSeconds,
    files,
    issueAuthor: origin?.author?.type === "User" ? origin.author.login : undefined,
  });
}

const DAY_MS = 86_400_000;

/**
 * The requester's grants approved by a rule in the last 7 days, counted from git: the grant commits
 * on the default branch carry `Auto-Approve-Rule` and `Requester` trailers, and their commit date is
 * when the grant was recorded. One paged listing of a week's record commits, never every record;
 * read only when a rule has a cap. A commit whose date cannot be read counts as recent.
 */
async function ruleHistory(
  access: Pick<AccessRepo, "commitsSince">,
  config: Config,
  requester: string,
  requestId: string,
  now: Date,
): Promise<AutoApproveFacts["history"]> {
  if (!config.auto_approve.some((r) => r.max_per_day !== undefined || r.max_per_week !== undefined)) return [];
  const who = normalizeLogin(requester);
  const out: Array<{ rule: string; grantedAt: string }> = [];
  for (const c of await access.commitsSince(REQUESTS_DIR, isoSeconds(new Date(now.getTime() - 7 * DAY_MS)))) {
    const t = parseTrailers(c.message);
    const rule = t["Auto-Approve-Rule"];
    if (rule?.length !== 1 || t["Request-Id"]?.[0] === requestId) continue;
    if (normalizeLogin(t["Requester"]?.[0]) === who) out.push({ rule: rule[0] as string, grantedAt: c.date });
  }
  return out;
}

/** The facts an auto_approve rule is matched on, for the request at the head (exported for tests). */
export async function autoFacts(
  access: Pick<AccessRepo, "teamMembership" | "commitsSince">,
  config: Config,
  req: Pick<HeadRequest, "request" | "risk" | "account" | "files" | "path">,
  now: Date,
): Promise<AutoApproveFacts> {
  const teams: string[] = [];
  for (const team of autoApproveTeams(config.auto_approve)) {
    const [org, slug] = team.replace(/^@/, "").split("/") as [string, string];
    if ((await access.teamMembership(org, slug, req.request.requester)) === "active") teams.push(team);
  }
  return {
    risk: req.risk,
    account: req.account,
    ...(req.request.accounts !== undefined ? { accounts: req.request.accounts } : {}),
    requester: req.request.requester,
    requesterTeams: teams,
    // A rule's `catalogue` condition is matched on the entry the request names.
    ...(req.request.catalogue !== undefined ? { catalogue: req.request.catalogue } : {}),
    files: req.files,
    requestPath: req.path,
    history: await ruleHistory(access, config, req.request.requester, req.request.id, now),
    now,
  };
}

export type AutoApproveOutcome =
  | { kind: "ignored" }
  | { kind: "not-approved"; problems: Problem[] }
  | { kind: "merged"; rule: string; sha: string }
  | { kind: "merge-refused"; problems: Problem[] };

/**
 * After the check passed on one of the app's own request PRs: when an auto_approve rule of the
 * default branch's config covers the request at this head, the app merges the PR at exactly
 * this head, writing the rule, the config blob and the request blob into the merge commit. The
 * grant that follows checks all of it again. A repository without rules is left alone.
 */
export async function autoApproveAfterCheck(
  access: AccessRepo,
  pr: PrRef,
  opts: { now: Date; appLogin: string; checkPassed: boolean },
): Promise<AutoApproveOutcome> {
  if (!isAppRequestPr(pr, access, opts.appLogin)) return { kind: "ignored" };
  const rules = await rulesAtTip(access);
  if (!rules.ok || !rules.value.config.auto_approve.length) return { kind: "ignored" };
  const { config, configSha } = rules.value;
  const say = (text: string) => access.upsertComment(pr.number, AUTO_APPROVE_MARKER, `${AUTO_APPROVE_MARKER}\n${text}`);
  const notApproved = async (problems: Problem[]): Promise<AutoApproveOutcome> => {
    await say(`Not auto-approved — people must approve this request:\n\n${problems.map((p) => `- \`${p.code}\` ${quote(p.message, 600)}`).join("\n")}`);
    return { kind: "not-approved", problems };
  };
  const req = await requestAtHead(access, pr.number, pr.headSha, rules.value, opts.now);
  // A request the check refuses is said by the check; only a readable, passing request is matched.
  if (!req.ok) return opts.checkPassed ? notApproved(req.problems) : { kind: "ignored" };
  if (!configSha) return notApproved([problem("approval.auto-config-changed", `${CONFIG_PATH} has no blob on the default branch`)]);
  const r = req.value;
  if (normalizeLogin(r.issueAuthor) !== normalizeLogin(r.request.requester))
    return notApproved([problem("merge.requester-mismatch", `request ${r.request.id} names ${r.request.requester}, who did not open its issue`, "requester")]);
  const match = matchAutoApproval(config.auto_approve, await autoFacts(access, config, r, opts.now));
  if (!match.ok) return notApproved(match.problems);
  // Someone asked for changes: a rule never overrides a person's objection (the grant would refuse it too).
  const objecting = latestObjections(await access.reviews(pr.number));
  if (objecting.length)
    return notApproved([
      problem(
        "approval.changes-requested",
        `${objecting.map((l) => quote(l)).join(", ")} requested changes; address them and ask for a review — a rule never overrides an objection`,
        "reviews",
      ),
    ]);
  // The check's failure is said by the check itself; a failing request is never merged.
  if (!opts.checkPassed) return { kind: "ignored" };
  const claim: MergeClaim = { kind: "rule", requestId: r.request.id, rule: match.value.rule, configSha, blob: r.blob };
  const merged = await access.mergePull(pr.number, { sha: pr.headSha, method: "squash", ...claimMessage(claim) });
  if (merged.kind === "refused") {
    const p = problem(
      merged.status === 409 ? "approval.auto-changed" : "github.merge-refused",
      merged.status === 409
        ? `the pull request changed after rule ${match.value.rule} matched head ${pr.headSha.slice(0, 7)}; it is matched again on the new head`
        : `GitHub refused the app's merge (${merged.status}: ${merged.reason.slice(0, 200)}); allow the app to merge (branch protection or ruleset bypass, squash merges), or have people approve and merge`,
    );
    await say(`Not auto-approved: \`${p.code}\` ${quote(p.message, 600)}`);
    return { kind: "merge-refused", problems: [p] };
  }
  const facts = Object.entries(match.value.matched)
    .map(([k, v]) => `${k} ${quote(v, 100)}`)
    .join(", ");
  await say(
    `🤖 **Auto-approved** by rule \`${match.value.rule}\` of ${CONFIG_PATH} (blob ${configSha.slice(0, 7)}) on ${facts}; this is grant ${match.value.counted.day} today and ${match.value.counted.week} this week by this rule. The app merged it and verifies it again before granting.`,
  );
  return { kind: "merged", rule: match.value.rule, sha: merged.sha };
}

/** Reviewers whose latest decisive review requests changes. */
function latestObjections(reviews: Review[]): string[] {
  const latest = new Map<string, string>();
  for (const r of [...reviews].sort((a, b) => (a.submitted_at ?? "").localeCompare(b.submitted_at ?? "") || a.id - b.id)) {
    const who = r.user?.login;
    if (who && (r.state === "APPROVED" || r.state === "CHANGES_REQUESTED" || r.state === "DISMISSED"))
      latest.set(who.toLowerCase(), r.state === "CHANGES_REQUESTED" ? who : "");
  }
  return [...latest.values()].filter(Boolean).sort();
}

export type BreakGlassOutcome = { kind: "ignored" } | { kind: "refused"; codes: string[] } | { kind: "merged"; sha: string };

/**
 * `/break-glass <incident-id> <reason>` on a request's pull request: the requester, if on
 * break_glass.users and within break_glass.max_duration, has the app merge their own request at
 * the head it checked. The grant verifies it again and raises the alarm.
 */
export async function breakGlassByComment(
  access: AccessRepo,
  comment: { issueNumber: number; body: string; author: { login: string; type: string } },
  opts: { now: Date; appLogin: string },
): Promise<BreakGlassOutcome> {
  const cmd = parseBreakGlass(comment.body);
  if (!cmd || comment.author.type !== "User") return { kind: "ignored" };
  const reply = async (problems: Problem[]): Promise<BreakGlassOutcome> => {
    await access.upsertComment(
      comment.issueNumber,
      BREAK_GLASS_MARKER,
      `${BREAK_GLASS_MARKER}\n🛑 **Break-glass refused** for ${quote(comment.author.login)}; nothing was merged:\n\n${problems.map((p) => `- \`${p.code}\` ${quote(p.message, 600)}`).join("\n")}`,
    );
    return { kind: "refused", codes: problems.map((p) => p.code) };
  };
  if (!cmd.ok) return reply(cmd.problems);
  const rules = await rulesAtTip(access);
  if (!rules.ok) return reply(rules.problems);
  if (!rules.value.config.break_glass)
    return reply(breakGlassProblems(undefined, { by: comment.author.login, requester: "", issueAuthor: undefined, durationSeconds: 0 }));
  // On the request's issue, the command means the app's open pull request for that issue.
  const thread = await access.issue(comment.issueNumber);
  const prNumber = thread?.isPull
    ? comment.issueNumber
    : (await access.openPulls()).find(
        (p) => p.head.ref.startsWith(`jit/${comment.issueNumber}-`) && p.user?.type === "Bot" && sameLogin(p.user.login, opts.appLogin),
      )?.number;
  const pr = prNumber ? readPrRef({ pull_request: await access.pullPayload(prNumber), repository: { full_name: access.fullName } }) : undefined;
  if (!pr?.ok || !isAppRequestPr(pr.value, access, opts.appLogin))
    return reply([
      problem(
        "approval.break-glass-usage",
        `#${comment.issueNumber} is not a request pull request of jit-access; give /break-glass on the pull request of your request`,
      ),
    ]);
  const req = await requestAtHead(access, pr.value.number, pr.value.headSha, rules.value, opts.now);
  if (!req.ok) return reply(req.problems);
  const r = req.value;
  const problems = breakGlassProblems(rules.value.config.break_glass, {
    by: comment.author.login,
    requester: r.request.requester,
    issueAuthor: r.issueAuthor,
    durationSeconds: r.request.extends !== undefined ? await extensionChainSeconds(access, r.path, r.request, rules.value.config, opts.now) : r.durationSeconds,
  });
  if (r.files.length !== 1)
    problems.push(problem("merge.extra-files", `the pull request changes ${r.files.length} files; break-glass merges only a request file alone`, "files"));
  if (!rules.value.configSha) problems.push(problem("approval.break-glass-changed", `${CONFIG_PATH} has no blob on the default branch`));
  if (problems.length) return reply(problems);
  const claim: MergeClaim = {
    kind: "break-glass",
    requestId: r.request.id,
    by: comment.author.login,
    incident: cmd.value.incident,
    reason: cmd.value.reason,
    at: isoSeconds(opts.now),
    configSha: rules.value.configSha as string,
    blob: r.blob,
  };
  const merged = await access.mergePull(pr.value.number, { sha: pr.value.headSha, method: "squash", ...claimMessage(claim) });
  if (merged.kind === "refused")
    return reply([
      merged.status === 409
        ? problem("approval.break-glass-changed", "the pull request changed while it was checked; give /break-glass again on the request as it is now")
        : problem(
            "github.merge-refused",
            `GitHub refused the app's merge (${merged.status}: ${merged.reason.slice(0, 200)}); allow the app to merge (branch protection or ruleset bypass, squash merges), or ask an approver`,
          ),
    ]);
  await access.upsertComment(
    comment.issueNumber,
    BREAK_GLASS_MARKER,
    `${BREAK_GLASS_MARKER}\n🚨 **Break-glass** by ${quote(comment.author.login)} for incident ${quote(cmd.value.incident, 100)}: merged at ${pr.value.headSha.slice(0, 7)}. The grant is verified again, the security channel is alerted and the approvers get a review issue.`,
  );
  return { kind: "merged", sha: merged.sha };
}

/** What a merge the app made itself amounts to, judged again at the merge. */
export type ClaimDecision =
  | { kind: "none" }
  | { kind: "refused"; problems: Problem[] }
  | {
      kind: "approved";
      approvedBy: string[];
      grant: Pick<GrantRecord, "auto_approval" | "break_glass">;
      trailers: Partial<Trailers>;
      /** Raised after the grant is recorded and announced. */
      after?: (ctx: { access: AccessRepo; notifierFor?: (config: Config) => Notifier; expiresAt: string; prNumber: number; prUrl?: string }) => Promise<void>;
    };

/** What judgeMergeClaim needs besides the reader of the rules at the commit before the merge. */
export type ClaimInput = Omit<Parameters<typeof judgeMergeClaim>[1], "rules">;

/**
 * The claim of a merge made by the app (auto-approval or break-glass), verified again against the
 * rules at the default branch's commit before the merge and the file at the merge. A merge by
 * anyone else carries no claim, whatever its commit message says.
 */
export async function judgeMergeClaim(
  access: AccessRepo,
  m: {
    mergedBy: string | null | undefined;
    appLogin: string | undefined;
    mergeSha: string;
    rules: FileReader;
    config: Config;
    request: AccessRequest;
    path: string;
    risk: RiskTier;
    files: Array<{ path: string }>;
    headBlob: string | undefined;
    mergeBlob: string | undefined;
    issueAuthor: string | undefined;
    durationSeconds: number;
    now: Date;
  },
): Promise<ClaimDecision> {
  if (!m.appLogin || !m.mergedBy || m.mergedBy.toLowerCase() !== m.appLogin.toLowerCase()) return { kind: "none" };
  const claim = readClaim((await access.commit(m.mergeSha)).message);
  if (!claim) return { kind: "none" };
  const configSha = (await m.rules.read(CONFIG_PATH))?.sha;
  const account = resolveAccount(m.config, m.request.account);
  if (claim.requestId !== m.request.id || !account)
    return {
      kind: "refused",
      problems: [
        problem(
          claim.kind === "rule" ? "approval.auto-changed" : "approval.break-glass-changed",
          `the app's merge names request ${quote(claim.requestId)}, but the pull request merged ${quote(m.request.id)}`,
        ),
      ],
    };
  const merge = { configSha, headBlob: m.headBlob, mergeBlob: m.mergeBlob };
  if (claim.kind === "rule") {
    const head: HeadRequest = {
      path: m.path,
      blob: m.headBlob ?? "",
      request: m.request,
      account: { id: account.id, ...(account.alias ? { alias: account.alias } : {}) },
      risk: m.risk,
      durationSeconds: m.durationSeconds,
      files: m.files,
      issueAuthor: m.issueAuthor,
    };
    const v = verifyAutoApproval(m.config.auto_approve, await autoFacts(access, m.config, head, m.now), { ...merge, claim });
    if (!v.ok) return { kind: "refused", problems: v.problems };
    const matched = v.value.matched;
    return {
      kind: "approved",
      approvedBy: [`rule:${v.value.rule}`],
      grant: { auto_approval: { rule: v.value.rule, config_sha: claim.configSha, matched, counted: v.value.counted } },
      trailers: {
        "Auto-Approve-Rule": v.value.rule,
        Requester: m.request.requester,
        "Config-Sha": claim.configSha,
        Matched: Object.entries(matched).map(([k, x]) => `${k}=${x}`),
      },
    };
  }
  const durationSeconds = m.request.extends !== undefined ? await extensionChainSeconds(access, m.path, m.request, m.config, m.now) : m.durationSeconds;
  const problems = verifyBreakGlass(
    m.config.break_glass,
    { by: claim.by, requester: m.request.requester, issueAuthor: m.issueAuthor, durationSeconds },
    { ...merge, claim },
  );
  if (problems.length) return { kind: "refused", problems };
  const record = { by: claim.by, incident: claim.incident, reason: claim.reason, at: claim.at };
  return {
    kind: "approved",
    approvedBy: [claim.by],
    grant: { break_glass: record },
    trailers: { "Break-Glass-By": claim.by, "Break-Glass-Incident": claim.incident, "Config-Sha": claim.configSha },
    after: (ctx) => raiseBreakGlassAlarm(ctx, { config: m.config, request: m.request, ...record }),
  };
}

/**
 * The loud part of break-glass, after the grant: the label on the request's PR and issue, a review
 * issue assigned to the approvers (teams are mentioned, GitHub assigns people only), and an alert
 * to the security channel. Each step is tried even if another fails; a failure is reported.
 */
async function raiseBreakGlassAlarm(
  ctx: { access: AccessRepo; notifierFor?: (config: Config) => Notifier; expiresAt: string; prNumber: number; prUrl?: string },
  bg: { config: Config; request: AccessRequest; by: string; incident: string; reason: string; at: string },
): Promise<void> {
  const issue = Number(bg.request.id.split("-")[0]);
  const errors: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
  for (const n of new Set([ctx.prNumber, issue])) await attempt(`label #${n}`, () => ctx.access.addLabels(n, [BREAK_GLASS_LABEL]));
  const people = bg.config.approvers.filter((a) => !a.includes("/") && normalizeLogin(a) !== normalizeLogin(bg.by));
  const teams = bg.config.approvers.filter((a) => a.includes("/"));
  const review = await attempt("review issue", () =>
    ctx.access.createIssue({
      title: `Break-glass review: ${bg.request.id} by ${bg.by} (${bg.incident})`.slice(0, 200),
      body: [
        `🚨 ${quote(bg.by)} approved their own access with **break-glass** at ${bg.at}; nobody else approved it.`,
        "",
        `- Request: ${quote(bg.request.id)} (#${issue}, pull request #${ctx.prNumber}), account ${quote(bg.request.account)}, ${quote(bg.request.duration)} until ${ctx.expiresAt}`,
        `- Incident: ${quote(bg.incident, 100)}`,
        `- Reason: ${quote(bg.reason, 500)}`,
        "",
        `Approvers${teams.length ? ` (${teams.map((t) => quote(t)).join(", ")})` : ""}: review what was granted and done, then close this issue with your review in a comment. \`/revoke\` on #${issue} ends the access now.`,
      ].join("\n"),
      labels: [BREAK_GLASS_LABEL],
      assignees: people,
    }),
  );
  const bgConfig = bg.config.break_glass;
  const security = ctx.notifierFor?.({
    ...bg.config,
    notifications: { ...bg.config.notifications, ...(bgConfig?.slack_webhook_env ? { slack_webhook_env: bgConfig.slack_webhook_env } : {}) },
  });
  await security?.notify({
    kind: "break-glass",
    request: { id: bg.request.id, requester: bg.request.requester, account: bg.request.account, duration: bg.request.duration, reason: bg.request.reason },
    by: bg.by,
    incident: bg.incident,
    reason: bg.reason,
    expiresAt: ctx.expiresAt,
    ...(review !== undefined ? { reviewIssue: review } : {}),
    ...(ctx.prUrl ? { links: { pr: ctx.prUrl } } : {}),
  });
  // Never thrown: the grant is recorded, and a failed delivery would not raise the alarm again.
  if (errors.length)
    await ctx.access
      .upsertComment(
        ctx.prNumber,
        BREAK_GLASS_MARKER,
        `${BREAK_GLASS_MARKER}\n⚠️ Break-glass alarm incomplete — tell the approvers by hand: ${quote(errors.join("; "), 800)}`,
      )
      .catch(() => undefined);
}
