// Approval verification: may this merged pull request grant access? Pure — the app fetches the
// pull request, its files, reviews, all its commits, CODEOWNERS (at the default branch's tip just
// before the merge, see preMergeTips) and team memberships, and passes them in. Every rule that fails is reported with what to do about it;
// missing or ambiguous data never approves.
import { REQUESTS_DIR, checkPathShape } from "./request.js";
import { show } from "./text.js";
import type { Config, RiskTier } from "./types.js";

/** Stable ids of the rules; adapters map them to comments, labels and check conclusions. */
export type ApprovalRule =
  | "one-request-file"
  | "request-file-status"
  | "not-merged"
  | "missing-data"
  | "unknown-commit-author"
  | "blob-changed"
  | "self-approval"
  | "stale-approval"
  | "not-authorized"
  | "bot-approval"
  | "changes-requested"
  | "insufficient-approvals";

export interface ApprovalFailure {
  rule: ApprovalRule;
  /** Which rule failed, naming logins and short SHAs, and how to fix it. */
  message: string;
}

/** GitHub's pull request file statuses (pulls.listFiles). */
export type ChangedFileStatus = "added" | "modified" | "removed" | "renamed" | "copied" | "changed" | "unchanged";

export interface ChangedFile {
  path: string;
  status: ChangedFileStatus;
  /** Set for renamed (and copied) files. */
  previousPath?: string | null;
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";

/** A pull request review as GitHub returns it (pulls.listReviews), fields as named there. */
export interface Review {
  id: number;
  /** null for a deleted account ("ghost"). */
  user: { login: string; type: "User" | "Bot" | (string & {}) } | null;
  state: ReviewState | (string & {});
  /** The head commit the review was made on; null or absent is never counted as an approval. */
  commit_id?: string | null;
  /** Absent on PENDING reviews. */
  submitted_at?: string | null;
}

/** An author or committer of a commit as GitHub maps it to an account. */
export interface CommitIdentity {
  /** null when the commit e-mail is not linked to a GitHub account. */
  login: string | null;
  isBot?: boolean;
}

export interface TeamMember {
  login: string;
  state: "active" | "pending";
}

export interface ApprovalInput {
  pr: {
    number: number;
    /** null for a deleted account. */
    author: { login: string; type: "User" | "Bot" | (string & {}) } | null;
    /** The PR's final head SHA: approvals must be on it. */
    headSha: string;
    merged: boolean;
    mergeCommitSha: string | null;
    /** The SHA CODEOWNERS was read at: the pre-merge tip of the default branch. */
    baseSha: string;
    /** The PR's `changed_files` count, when known: a file list shorter than it is incomplete. */
    changedFiles?: number;
  };
  files: ChangedFile[];
  requestFile: {
    path: string;
    /** Blob sha of the request file at `pr.headSha`. */
    headBlobSha: string | null | undefined;
    /** Blob sha of the request file at `pr.mergeCommitSha`. */
    mergeBlobSha: string | null | undefined;
  };
  /** From the policy pipeline: who asks, and the risk tier of the policy. */
  request: { requester: string; risk: RiskTier };
  /** Every commit of the pull request (pulls.listCommits), not only the last: whoever wrote or
   *  committed any of them never approves, and a later commit (e.g. the app's) hides nobody. */
  commits: ReadonlyArray<{ sha?: string; author: CommitIdentity | null; committer: CommitIdentity | null }>;
  /** Logins that pushed to the head branch (e.g. `synchronize` senders), when the app knows them. */
  pushedBy?: string[];
  reviews: Review[];
  config: Pick<Config, "approvers" | "required_approvals">;
  /** CODEOWNERS owners of the request file (codeowners.ts `ownersOf`); undefined when there is no CODEOWNERS file. */
  codeowners?: { owners: string[]; line?: number; source?: string } | undefined;
  /** Memberships of the teams among the candidate approvers, keyed "@org/team" (see {@link candidateTeams}). */
  teamMembers: Record<string, TeamMember[]>;
}

export interface ApprovalDecision {
  ok: boolean;
  /** Logins whose approvals counted, sorted, distinct (case-insensitively). */
  approvedBy: string[];
  /** Approvals required for the request's risk tier. */
  required: number;
  failures: ApprovalFailure[];
  /** What was discounted and why, who may approve, and anything ignored. */
  notes: string[];
}

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const TEAM = /^@?([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const MAX_LISTED = 10;

/** A GitHub login, lower-cased for comparison; undefined for anything that is not a plain ASCII
 *  login (so a look-alike such as "bоb" with a Cyrillic о never equals "bob"). */
export function normalizeLogin(login: unknown): string | undefined {
  return typeof login === "string" && LOGIN.test(login) ? login.toLowerCase() : undefined;
}

/** "@org/team" lower-cased, or undefined. */
export function normalizeTeam(team: unknown): string | undefined {
  if (typeof team !== "string") return undefined;
  const m = TEAM.exec(team);
  return m ? `@${(m[1] ?? "").toLowerCase()}/${(m[2] ?? "").toLowerCase()}` : undefined;
}

/** Teams whose memberships the app must fetch: configured teams and CODEOWNERS owner teams. */
export function candidateTeams(config: Pick<Config, "approvers">, codeowners?: { owners: string[] }): string[] {
  const out = new Set<string>();
  for (const a of [...(config.approvers ?? []), ...(codeowners?.owners ?? [])]) {
    if (typeof a === "string" && a.includes("/")) {
      const t = normalizeTeam(a);
      if (t) out.add(t);
    }
  }
  return [...out].sort();
}

/** Whether a path has the shape of a request file: access-requests/<account>/<YYYY>/<number>-<slug>.yaml
 *  (or an example under access-requests/examples/). */
export function isRequestFilePath(path: unknown): path is string {
  return typeof path === "string" && path.startsWith(`${REQUESTS_DIR}/`) && checkPathShape(path).length === 0;
}

/**
 * The PR must add or modify exactly one request file and change nothing else. Used by the PR
 * check and by {@link verifyApproval}. `expectedCount` is the PR's `changed_files`, when known.
 */
export function checkChangedFiles(files: readonly ChangedFile[], expectedCount?: number): ApprovalFailure | undefined {
  const fail = (rule: ApprovalRule, message: string): ApprovalFailure => ({ rule, message: `${rule}: ${message}` });
  if (!Array.isArray(files) || files.length === 0) {
    return fail("one-request-file", `the pull request changes no files; it must add exactly one request file at ${REQUESTS_DIR}/<account>/<YYYY>/<number>-<slug>.yaml`);
  }
  if (typeof expectedCount === "number" && expectedCount !== files.length) {
    return fail("one-request-file", `the pull request changes ${expectedCount} files but ${files.length} were listed, so its contents cannot be checked; it must change exactly one request file and nothing else`);
  }
  const paths = files.map((f) => (f && typeof f.path === "string" ? f.path : String((f as Partial<ChangedFile> | null)?.path)));
  if (files.length > 1) {
    const requests = paths.filter(isRequestFilePath);
    const others = paths.filter((p) => !isRequestFilePath(p));
    const parts: string[] = [];
    if (requests.length > 1) parts.push(`${requests.length} request files (${list(requests)}) — open one pull request per request`);
    if (others.length) parts.push(`${others.length === 1 ? "a file" : `${others.length} files`} outside the request (${list(others)}) — move ${others.length === 1 ? "that change" : "those changes"} to a separate pull request`);
    return fail("one-request-file", `the pull request must change exactly one request file and nothing else, but it changes ${files.length} files, including ${parts.join("; and ")}`);
  }
  const file: Partial<ChangedFile> = files[0] && typeof files[0] === "object" ? files[0] : {};
  const path = paths[0] as string;
  const prev = typeof file.previousPath === "string" ? file.previousPath : undefined;
  if (file.status === "renamed") {
    return fail("request-file-status", `the pull request renames ${quote(prev ?? "?")} to ${quote(path)}; a request file is never moved (its folder decides its approvers) — restore the old path and open a new request instead`);
  }
  if (file.status === "removed") {
    return fail("request-file-status", `the pull request deletes ${quote(path)}; request files are the audit trail and are never deleted — use /revoke to end access`);
  }
  if (!isRequestFilePath(path)) {
    const why = checkPathShape(path)[0]?.message;
    return fail("one-request-file", `${quote(path)} is not a request file${why ? ` (${why})` : ""}; the pull request must add or modify exactly one file at ${REQUESTS_DIR}/<account>/<YYYY>/<number>-<slug>.yaml`);
  }
  if (file.status !== "added" && file.status !== "modified") {
    return fail("request-file-status", `${quote(path)} has status ${quote(String(file.status))}; only an added or modified request file can be approved`);
  }
  return undefined;
}

// --- where the default branch stood just before the merge -----------------------------------------

/** A commit as git.getCommit or pulls.listCommits describes it: its git author, not the account. */
export interface CommitFacts {
  sha: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string } | null;
}

/**
 * `tips`: the default branch's tip just before the merge is one of these (first: the most likely);
 * the caller judges at every one and acts only if they agree. `more`: pass the first `need`
 * commits of the merge commit's first-parent chain. `unknown`: it cannot be told; grant nothing.
 */
export type PreMergeTips =
  | { kind: "tips"; method: "merge commit" | "squash" | "rebase"; tips: string[] }
  | { kind: "more"; need: number }
  | { kind: "unknown"; reason: string };

/** pulls.listCommits answers at most this many commits; a list this long may be cut short. */
export const MAX_PR_COMMITS = 250;

/**
 * The pre-merge tip of the default branch, from the merge commit GitHub recorded. Never from the
 * payload's `base.sha`: GitHub sets that when the PR was opened or last updated, not at the merge.
 *
 * Why this is right for every merge method (GitHub's "Get a pull request" documents
 * `merge_commit_sha` as the merge commit, the squashed commit, or for a rebase "the commit that
 * the base branch was updated to"):
 * - merge commit (`--no-ff`): parents are [pre-merge tip, head]; two parents whose second is the
 *   approved head → the first parent. Any other commit with several parents → unknown.
 * - squash: one new commit whose only parent is the pre-merge tip.
 * - rebase: each PR commit is replayed in order onto the pre-merge tip; GitHub changes only the
 *   committer ("Rebase and merge on GitHub will always update the committer information and
 *   create new commit SHAs"), so every replay keeps its original's author and message.
 *   `merge_commit_sha` is the last replay, so the pre-merge tip is the parent of the N-th commit
 *   back along first parents (N = the PR's commits), not the merge commit's parent.
 * A single-parent merge commit that carries no PR commit's author and message is not a replay,
 * so it is a squash. One that does is taken as a rebase only if the N commits back
 * are replays of the PR's commits in order; otherwise (or if the PR has merge commits, which a
 * rebase drops, or too many commits to list) the tip is unknown. A squash commit can be made to
 * look like a replay (its message is chosen by whoever merges), so for a rebase both the
 * rebase reading and the squash reading are returned and must agree.
 */
export function preMergeTips(input: { mergeSha: string; headSha: string; prCommits: readonly CommitFacts[]; firstParents: readonly CommitFacts[] }): PreMergeTips {
  const { mergeSha, headSha, prCommits, firstParents } = input;
  const unknown = (why: string): PreMergeTips => ({ kind: "unknown", reason: `the default branch's commit before the merge cannot be determined: ${why}; nothing is granted — open a new pull request and merge it with a merge commit or squash` });
  if (firstParents.length === 0) return { kind: "more", need: 1 };
  for (let i = 0; i < firstParents.length; i++) {
    const expected = i === 0 ? mergeSha : firstParents[i - 1]?.parents[0];
    if (firstParents[i]?.sha !== expected) return unknown(`commit ${short(validSha(firstParents[i]?.sha))} is not the first parent expected (${short(validSha(expected))})`);
  }
  const m = firstParents[0] as CommitFacts;
  if (prCommits.length === 0) return unknown(`the pull request lists no commits`);
  if (prCommits.length >= MAX_PR_COMMITS) return unknown(`the pull request has ${prCommits.length} or more commits, more than GitHub lists`);
  if (m.parents.length === 2) {
    if (m.parents[1] === headSha) return { kind: "tips", method: "merge commit", tips: [m.parents[0] as string] };
    return unknown(`merge commit ${short(mergeSha)} has parents ${m.parents.map((p) => short(p)).join(", ")}, and the second is not the approved head ${short(headSha)}`);
  }
  if (m.parents.length !== 1) return unknown(`merge commit ${short(mergeSha)} has ${m.parents.length} parents`);
  const squashTip = m.parents[0] as string;
  // Not a replay of any PR commit → not a rebase → a squash.
  if (!prCommits.some((c) => replays(m, c))) return { kind: "tips", method: "squash", tips: [squashTip] };
  if (prCommits.some((c) => c.parents.length !== 1)) return unknown(`the merge commit looks like a rebase of a pull request that contains merge commits, and a rebase drops those`);
  if (!replays(m, prCommits[prCommits.length - 1] as CommitFacts)) return unknown(`merge commit ${short(mergeSha)} repeats an earlier commit of the pull request, not its last`);
  const n = prCommits.length;
  if (firstParents.length < n) return { kind: "more", need: n };
  for (let i = 0; i < n; i++) {
    const replayed = firstParents[i] as CommitFacts;
    const original = prCommits[n - 1 - i] as CommitFacts;
    if (replayed.parents.length !== 1 || !replays(replayed, original)) {
      return unknown(`the merge looks like a rebase of ${n} commits, but commit ${short(validSha(replayed.sha))} on the default branch is not a replay of ${short(validSha(original.sha))}`);
    }
  }
  const rebaseTip = (firstParents[n - 1] as CommitFacts).parents[0] as string;
  return { kind: "tips", method: "rebase", tips: [...new Set([rebaseTip, squashTip])] };
}

/** Whether `a` can be GitHub's replay of `b`: same author and message. The author date is not
 *  compared, so that a rebase which restamped it would still be recognised (and not be taken
 *  for a squash, whose parent is not the pre-merge tip then). */
function replays(a: CommitFacts, b: CommitFacts): boolean {
  if (!a.author || !b.author) return false;
  return a.author.name === b.author.name && a.author.email === b.author.email && a.message === b.message;
}

type Reason = "bot-approval" | "self-approval" | "not-authorized" | "stale-approval";

interface Discounted {
  login: string;
  reason: Reason;
  detail: string;
}

/** Decide whether a merged pull request's approvals allow the grant. Never throws on bad data. */
export function verifyApproval(input: ApprovalInput): ApprovalDecision {
  const failures: ApprovalFailure[] = [];
  const notes: string[] = [];
  const fail = (rule: ApprovalRule, message: string) => failures.push({ rule, message: `${rule}: ${message}` });

  // --- required count -------------------------------------------------------------------------
  const tier = input.request?.risk;
  const configured = input.config?.required_approvals?.[tier];
  let required = 1;
  if (tier !== "low" && tier !== "medium" && tier !== "high") {
    required = Math.max(1, input.config?.required_approvals?.high ?? 2);
    fail("missing-data", `the request's risk tier ${quote(String(tier))} is unknown; re-run the policy check so the tier is computed`);
  } else if (typeof configured === "number" && Number.isInteger(configured) && configured >= 1) required = configured;
  else notes.push(`required_approvals.${tier} is ${quote(String(configured))}, not a whole number of at least 1; using ${required}`);

  // --- the pull request -----------------------------------------------------------------------
  const pr = input.pr;
  const headSha = typeof pr?.headSha === "string" && SHA.test(pr.headSha) ? pr.headSha.toLowerCase() : undefined;
  if (!headSha) fail("missing-data", `the pull request's head SHA ${quote(String(pr?.headSha))} is missing or malformed, so no approval can be tied to it; retry once GitHub reports it`);
  const mergeSha = typeof pr?.mergeCommitSha === "string" && SHA.test(pr.mergeCommitSha) ? pr.mergeCommitSha.toLowerCase() : undefined;
  if (pr?.merged !== true) fail("not-merged", `pull request #${pr?.number} is not merged; access is granted only when an approved pull request is merged`);
  else if (!mergeSha) fail("not-merged", `pull request #${pr?.number} has no merge commit SHA, so the merged file cannot be checked; retry once GitHub reports it`);

  // --- exactly one request file, and it is the one verified -------------------------------------
  const filesFailure = checkChangedFiles(input.files, pr?.changedFiles);
  if (filesFailure) failures.push(filesFailure);
  else if (input.files[0]?.path !== input.requestFile?.path) {
    fail("one-request-file", `the pull request changes ${quote(String(input.files[0]?.path))} but the file verified is ${quote(String(input.requestFile?.path))}; they must be the same file`);
  }
  const filePath = String(input.requestFile?.path ?? "?");

  // --- nothing slipped in by the merge ----------------------------------------------------------
  const headBlob = validSha(input.requestFile?.headBlobSha);
  const mergeBlob = validSha(input.requestFile?.mergeBlobSha);
  if (!headBlob || !mergeBlob) {
    const missing = [!headBlob ? `at the approved head ${short(headSha)}` : "", !mergeBlob ? `at the merge commit ${short(mergeSha)}` : ""].filter(Boolean).join(" and ");
    fail("missing-data", `the blob of ${quote(filePath)} ${missing} is unknown, so the app cannot prove the merged file is the approved one; nothing is granted — retry, or open a new pull request`);
  } else if (headBlob !== mergeBlob) {
    fail("blob-changed", `${quote(filePath)} at merge commit ${short(mergeSha)} (blob ${short(mergeBlob)}) differs from the approved head ${short(headSha)} (blob ${short(headBlob)}); the merge changed the approved file — open a new pull request with the final content and have it approved`);
  }

  // --- who may not approve ----------------------------------------------------------------------
  const excluded = new Map<string, string[]>();
  const exclude = (login: string, role: string) => excluded.set(login, [...(excluded.get(login) ?? []), role]);
  const requester = normalizeLogin(input.request?.requester);
  if (requester) exclude(requester, "the requester");
  else fail("missing-data", `the request's requester ${quote(String(input.request?.requester))} is not a GitHub login; fix requester in the request file`);
  const prAuthor = normalizeLogin(pr?.author?.login);
  if (prAuthor) exclude(prAuthor, "the pull request author");
  else if (pr?.author?.type === "Bot" && typeof pr.author.login === "string" && /\[bot\]$/i.test(pr.author.login)) {
    notes.push(`the pull request was opened by ${pr.author.login}; bots never approve`);
  } else fail("missing-data", `the author of pull request #${pr?.number} is unknown (${quote(String(pr?.author?.login))}), so a self-approval cannot be ruled out`);
  const commits = Array.isArray(input.commits) ? input.commits : [];
  if (commits.length === 0) fail("missing-data", `the commits of pull request #${pr?.number} are unknown, so the app cannot tell who wrote them; retry once GitHub lists them`);
  const wrote = new Map<string, { author: string[]; committer: string[] }>();
  const unlinked = { author: [] as string[], committer: [] as string[] };
  for (const c of commits) {
    const sha = short(validSha(c?.sha));
    for (const role of ["author", "committer"] as const) {
      const who = c?.[role];
      const login = normalizeLogin(who?.login);
      if (login) {
        const w = wrote.get(login) ?? { author: [], committer: [] };
        if (!w[role].includes(sha)) w[role].push(sha);
        wrote.set(login, w);
      } else if (who?.isBot === true && typeof who.login === "string" && who.login !== "") {
        // Bot accounts ("app[bot]") never approve anyway.
      } else if (!unlinked[role].includes(sha)) unlinked[role].push(sha);
    }
  }
  const commitList = (shas: string[]) => `commit${shas.length === 1 ? "" : "s"} ${shas.slice(0, 3).join(", ")}${shas.length > 3 ? ` and ${shas.length - 3} more` : ""}`;
  for (const [login, w] of wrote) {
    if (w.author.length) exclude(login, `the author of ${commitList(w.author)}`);
    if (w.committer.length) exclude(login, `the committer of ${commitList(w.committer)}`);
  }
  for (const role of ["author", "committer"] as const) {
    if (unlinked[role].length) {
      fail("unknown-commit-author", `the ${role} of ${commitList(unlinked[role])} in the pull request is not linked to a GitHub account, so the app cannot tell whether an approver wrote it; push from an account whose e-mail is verified on GitHub (or amend those commits), then get approval again`);
    }
  }
  for (const p of input.pushedBy ?? []) {
    const login = normalizeLogin(p);
    if (login) exclude(login, "a pusher to the branch");
  }

  // --- who may approve --------------------------------------------------------------------------
  const authz = authorizedApprovers(input, notes);

  // --- reviews: each reviewer's latest decisive review -------------------------------------------
  interface Entry { review: Review; at: number; order: number }
  const byReviewer = new Map<string, { display: string; bot: boolean; invalid: boolean; entries: Entry[] }>();
  (Array.isArray(input.reviews) ? input.reviews : []).forEach((review, order) => {
    const login = review?.user?.login;
    if (!review || !review.user || typeof login !== "string" || login === "") {
      notes.push(`review ${review?.id ?? "?"} has no user (deleted account?); ignored`);
      return;
    }
    const state = review.state;
    if (state === "PENDING" || state === "COMMENTED") return;
    if (state !== "APPROVED" && state !== "CHANGES_REQUESTED" && state !== "DISMISSED") {
      notes.push(`review ${review.id} by ${display(login)} has unknown state ${quote(String(state))}; ignored`);
      return;
    }
    const parsed = typeof review.submitted_at === "string" ? Date.parse(review.submitted_at) : NaN;
    let at = parsed;
    if (Number.isNaN(parsed)) {
      if (state === "APPROVED") {
        notes.push(`approval ${review.id} by ${display(login)} has no valid submitted_at, so its order is unknown; it is not counted`);
        return;
      }
      at = Number.POSITIVE_INFINITY; // an objection of unknown time is taken as the latest word
    }
    const key = normalizeLogin(login) ?? `invalid:${login}`;
    const bot = review.user.type !== "User" || /\[bot\]$/i.test(login);
    const slot = byReviewer.get(key) ?? { display: login, bot: false, invalid: key.startsWith("invalid:"), entries: [] };
    slot.bot ||= bot;
    slot.entries.push({ review, at, order });
    byReviewer.set(key, slot);
  });

  const counted = new Map<string, string>();
  const discounted: Discounted[] = [];
  for (const [key, slot] of byReviewer) {
    const entries = [...slot.entries].sort((a, b) => a.at - b.at || (a.review.id ?? 0) - (b.review.id ?? 0) || a.order - b.order);
    const latest = entries[entries.length - 1];
    if (!latest) continue;
    if (typeof latest.review.user?.login === "string") slot.display = latest.review.user.login; // the latest spelling
    const who = display(slot.display);
    const earlierApproval = entries.slice(0, -1).some((e) => e.review.state === "APPROVED");
    if (latest.review.state === "DISMISSED") {
      notes.push(`${who}'s latest review (${latest.review.id}) was dismissed; ${earlierApproval ? "their earlier approval" : "it"} does not count`);
      continue;
    }
    if (latest.review.state === "CHANGES_REQUESTED") {
      if (!slot.bot && !slot.invalid && authz.users.has(key)) {
        fail("changes-requested", `${who}${earlierApproval ? " approved earlier but then" : ""} requested changes (review ${latest.review.id} on ${short(validSha(latest.review.commit_id))}), and that is their latest review; an authorized approver's objection blocks the grant — address it and ask ${who} to approve head ${short(headSha)}`);
      } else notes.push(`${who} requested changes but is not an authorized approver; that review does not block`);
      continue;
    }
    // APPROVED
    const commit = validSha(latest.review.commit_id);
    if (slot.bot) {
      discounted.push({ login: slot.display, reason: "bot-approval", detail: latest.review.user?.type === "Bot" || /\[bot\]$/i.test(slot.display) ? `${who} is a bot account; bots never approve access` : `${who} is a ${quote(String(latest.review.user?.type))} account, not a user; only people approve access` });
    } else if (slot.invalid) {
      discounted.push({ login: slot.display, reason: "not-authorized", detail: `${who} is not a valid GitHub login${nonAsciiNote(slot.display)} and matches no approver` });
    } else if (excluded.has(key)) {
      discounted.push({ login: slot.display, reason: "self-approval", detail: `${who} approved but is ${(excluded.get(key) ?? []).join(" and ")}; nobody approves their own access or their own change` });
    } else if (!authz.users.has(key)) {
      const pending = authz.pending.get(key);
      discounted.push({
        login: slot.display,
        reason: "not-authorized",
        detail: pending
          ? `${who}'s membership of ${pending.join(", ")} is pending, not active — accept the team invitation, then approve again`
          : `${who} approved but is not an authorized approver for ${quote(filePath)}: not in approvers of .github/jit-access.yml, not an active member of an approver team, and not a code owner of the file`,
      });
    } else if (!commit || !headSha || commit !== headSha) {
      discounted.push({
        login: slot.display,
        reason: "stale-approval",
        detail: commit
          ? `${who} approved ${short(commit)}, not the final head ${short(headSha)} (commits were pushed after the approval) — ${who} must review and approve again at ${short(headSha)}`
          : `${who}'s approval ${latest.review.id} names no commit, so it cannot be tied to the final head ${short(headSha)} — ${who} must approve again`,
      });
    } else {
      counted.set(key, slot.display);
    }
  }

  const approvedBy = [...counted.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || a.localeCompare(b));
  const enough = approvedBy.length >= required;
  const reasons: Reason[] = ["self-approval", "stale-approval", "not-authorized", "bot-approval"];
  for (const reason of reasons) {
    const items = discounted.filter((d) => d.reason === reason);
    if (!items.length) continue;
    if (enough) for (const d of items) notes.push(`not counted (${reason}): ${d.detail}`);
    else fail(reason, items.map((d) => d.detail).join("; "));
  }
  if (!enough) {
    const have = approvedBy.length ? `${approvedBy.length} (${approvedBy.join(", ")})` : "none";
    fail(
      "insufficient-approvals",
      `a ${tier}-risk request needs ${required} approval${required === 1 ? "" : "s"} from distinct authorized approvers on head ${short(headSha)}; it has ${have}. Ask ${required - approvedBy.length === 1 ? "one" : String(required - approvedBy.length)} more of: ${authz.summary}`,
    );
  }
  if (approvedBy.length) notes.push(`approved by ${approvedBy.join(", ")} at head ${short(headSha)} (${approvedBy.length} of ${required} required)`);
  notes.push(`authorized approvers for ${quote(filePath)}: ${authz.summary}`);
  return { ok: failures.length === 0, approvedBy, required, failures, notes };
}

interface Authorized {
  /** Lower-cased logins that may approve. */
  users: Set<string>;
  /** Lower-cased logins whose only way in is a pending team membership → the teams. */
  pending: Map<string, string[]>;
  /** Who may approve, for messages. */
  summary: string;
}

function authorizedApprovers(input: ApprovalInput, notes: string[]): Authorized {
  const users = new Set<string>();
  const pending = new Map<string, string[]>();
  const named: string[] = [];
  const teams = new Set<string>();
  const approvers = Array.isArray(input.config?.approvers) ? input.config.approvers : [];
  for (const a of approvers) {
    if (typeof a === "string" && a.includes("/")) {
      const t = normalizeTeam(a);
      if (t) {
        teams.add(t);
        named.push(a);
      } else notes.push(`configured approver ${quote(a)} is not @org/team; ignored`);
      continue;
    }
    const login = normalizeLogin(typeof a === "string" ? a.replace(/^@/, "") : a);
    if (login) {
      users.add(login);
      named.push(String(a).replace(/^@/, ""));
    } else notes.push(`configured approver ${quote(String(a))} is not a GitHub login; ignored`);
  }

  const co = input.codeowners;
  const filePath = String(input.requestFile?.path ?? "?");
  if (!co) notes.push(`no CODEOWNERS file; only configured approvers may approve`);
  else if (co.line === undefined) notes.push(`no line of ${co.source ?? "CODEOWNERS"} matches ${quote(filePath)}; only configured approvers may approve`);
  else if (!co.owners.length) notes.push(`${co.source ?? "CODEOWNERS"} line ${co.line} gives ${quote(filePath)} no owners; only configured approvers may approve`);
  for (const o of co?.owners ?? []) {
    if (typeof o === "string" && o.includes("/")) {
      const t = normalizeTeam(o);
      if (t) {
        teams.add(t);
        named.push(`${o} (CODEOWNERS)`);
        continue;
      }
    } else if (typeof o === "string" && o.startsWith("@")) {
      const login = normalizeLogin(o.slice(1));
      if (login) {
        users.add(login);
        named.push(`${o.slice(1)} (CODEOWNERS)`);
        continue;
      }
    }
    notes.push(`CODEOWNERS owner ${quote(String(o))} is not @login or @org/team (e-mail owners cannot be verified); ignored`);
  }

  const members = new Map<string, TeamMember[]>();
  for (const [k, v] of Object.entries(input.teamMembers ?? {})) {
    const t = normalizeTeam(k);
    if (t && Array.isArray(v)) members.set(t, [...(members.get(t) ?? []), ...v]);
  }
  for (const team of [...teams].sort()) {
    const list = members.get(team);
    if (!list) {
      notes.push(`the members of ${team} were not provided; nobody counts as an approver through that team`);
      continue;
    }
    for (const m of list) {
      const login = normalizeLogin(m?.login);
      if (!login) continue;
      if (m.state === "active") users.add(login);
      else pending.set(login, [...(pending.get(login) ?? []), team]);
    }
  }
  for (const login of users) pending.delete(login);
  const summary = named.length ? named.slice(0, MAX_LISTED).join(", ") + (named.length > MAX_LISTED ? ` and ${named.length - MAX_LISTED} more` : "") : "nobody (add approvers to .github/jit-access.yml or a CODEOWNERS line for access-requests/)";
  return { users, pending, summary };
}

function validSha(sha: unknown): string | undefined {
  return typeof sha === "string" && SHA.test(sha) ? sha.toLowerCase() : undefined;
}

function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : "(unknown)";
}

function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).map((s) => (LOGIN.test(s) || TEAM.test(s) ? s : quote(s)));
  return items.length > MAX_LISTED ? `${shown.join(", ")} and ${items.length - MAX_LISTED} more` : shown.join(", ");
}

/** A login as shown in messages: plain when it is a plain login, quoted and escaped otherwise. */
function display(login: string): string {
  return LOGIN.test(login) || /^[A-Za-z0-9-]{1,39}\[bot\]$/.test(login) ? login : quote(login);
}

function nonAsciiNote(s: string): string {
  const odd = [...s].filter((c) => !/^[\x20-\x7e]$/.test(c)).map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`);
  return odd.length ? ` (it contains non-ASCII ${[...new Set(odd)].slice(0, 5).join(", ")}, a look-alike of an ASCII login)` : "";
}

function quote(s: string): string {
  return show(s, 80);
}
