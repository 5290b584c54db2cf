// Webhook payloads are input too: these read what the handlers need from an untyped payload and
// say what is missing instead of letting a handler throw on `undefined`. Pure.
import { fail, problem, type Result } from "../domain/problems.js";
import type { RepoRef } from "./octokit-helpers.js";
import type { IssueInput } from "./intake-decision.js";
import type { MergedPr } from "./grant-types.js";

/** A pull request as the PR check needs it. */
export interface PrRef {
  number: number;
  headSha: string;
  headRef: string;
  /** The base branch by name; its current tip holds the rules (never the payload's stale `base.sha`). */
  baseRef: string;
  sameRepo: boolean;
  /** Who opened the pull request. */
  author: { login: string; type: string } | null;
  /** Title and body as the event saw them: rewritten only when they differ. */
  title?: string;
  body?: string | null;
  changedFiles?: number;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const posInt = (v: unknown): number | undefined => (typeof v === "number" && Number.isSafeInteger(v) && v > 0 ? v : undefined);
const sha = (v: unknown): string | undefined => (typeof v === "string" && /^[0-9a-f]{40}$/.test(v) ? v : undefined);
/** A payload without what a handler needs: one coded problem naming the fields. */
const malformed = <T>(reason: string): Result<T> => fail(problem("github.payload-invalid", reason));

export function readRepo(payload: unknown): Result<RepoRef & { fullName: string }> {
  const r = obj(obj(payload)?.repository);
  const owner = str(obj(r?.owner)?.login);
  const name = str(r?.name);
  const defaultBranch = str(r?.default_branch);
  if (!r || !owner || !name || !defaultBranch) return malformed("repository.owner.login, repository.name or repository.default_branch is missing");
  // Without an installation the app has no token for the repository: nothing it could do.
  if (!posInt(obj(obj(payload)?.installation)?.id)) return malformed("installation.id is missing");
  return { ok: true, value: { owner, repo: name, defaultBranch, fullName: str(r.full_name) ?? `${owner}/${name}` } };
}

function readUser(v: unknown): { login: string; type: string } | undefined {
  const u = obj(v);
  const login = str(u?.login);
  const type = str(u?.type);
  return login && type ? { login, type } : undefined;
}

export function readIssue(payload: unknown): Result<IssueInput & { state: string }> {
  const i = obj(obj(payload)?.issue);
  if (!i) return malformed("issue is missing");
  const number = posInt(i.number);
  const title = typeof i.title === "string" ? i.title : undefined;
  const author = readUser(i.user);
  const createdAt = str(i.created_at);
  if (!number || title === undefined || !author || !createdAt || Number.isNaN(Date.parse(createdAt))) {
    return malformed("issue.number, issue.title, issue.user or issue.created_at is missing or malformed");
  }
  if (i.body !== null && i.body !== undefined && typeof i.body !== "string") return malformed("issue.body is not text");
  if (!Array.isArray(i.labels)) return malformed("issue.labels is not a list");
  // A label entry that names no label makes the payload malformed, not merely unlabelled: an
  // unlabelled issue may still be taken as a request by the shape of its body.
  const labels = i.labels.map((l) => (typeof l === "string" ? l : str(obj(l)?.name)));
  if (!labels.every((l): l is string => typeof l === "string" && l !== "")) return malformed("issue.labels has an entry that is not a label");
  return { ok: true, value: { number, title, body: i.body ?? null, author, createdAt, labels, state: str(i.state) ?? "open" } };
}

function readPrCore(
  payload: unknown,
): Result<{ p: Obj; number: number; headSha: string; headRef: string; baseSha: string; baseRef: string; sameRepo: boolean; changedFiles?: number }> {
  const root = obj(payload);
  const p = obj(root?.pull_request);
  if (!p) return malformed("pull_request is missing");
  const head = obj(p.head);
  const base = obj(p.base);
  const number = posInt(p.number);
  const headSha = sha(head?.sha);
  const baseSha = sha(base?.sha);
  const headRef = str(head?.ref);
  const baseRef = str(base?.ref);
  if (!number || !headSha || !baseSha || !headRef || !baseRef) return malformed("pull_request.number, head.sha/ref or base.sha/ref is missing or malformed");
  const repoName = str(obj(root?.repository)?.full_name);
  const sameRepo = !!repoName && str(obj(head?.repo)?.full_name) === repoName;
  const changed = posInt(p.changed_files);
  return { ok: true, value: { p, number, headSha, headRef, baseSha, baseRef, sameRepo, ...(changed !== undefined ? { changedFiles: changed } : {}) } };
}

/**
 * What the PR check needs. The payload's `base.sha` is left out on purpose: GitHub sets it when
 * the pull request is opened or pushed, not when the base branch moves, so rules read there
 * are stale. The check resolves the base branch by name instead.
 */
export function readPrRef(payload: unknown): Result<PrRef> {
  const r = readPrCore(payload);
  if (!r.ok) return r;
  const { p, number, headSha, headRef, baseRef, sameRepo, changedFiles } = r.value;
  const title = typeof p.title === "string" ? p.title : undefined;
  const body = typeof p.body === "string" || p.body === null ? p.body : undefined;
  return {
    ok: true,
    value: {
      number,
      headSha,
      headRef,
      baseRef,
      sameRepo,
      author: readUser(p.user) ?? null,
      ...(title !== undefined ? { title } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(changedFiles !== undefined ? { changedFiles } : {}),
    },
  };
}

/** The login that caused the event (`sender`), if the payload names one. */
export function readSender(payload: unknown): { login: string; type: string } | undefined {
  return readUser(obj(payload)?.sender);
}

/** Whether an issues.edited payload says the body changed (`changes.body`). */
export function bodyChanged(payload: unknown): boolean {
  return obj(obj(obj(payload)?.changes)?.body) !== undefined;
}

export function readClosedPr(payload: unknown): Result<MergedPr & { baseRef: string; sameRepo: boolean }> {
  const r = readPrCore(payload);
  if (!r.ok) return r;
  const { p, number, headSha, headRef, baseSha, baseRef, sameRepo, changedFiles } = r.value;
  if (typeof p.merged !== "boolean") return malformed("pull_request.merged is not a boolean");
  const mergeCommitSha = p.merged ? sha(p.merge_commit_sha) : null;
  if (p.merged && !mergeCommitSha) return malformed("pull_request.merge_commit_sha is missing on a merged pull request");
  const mergedAt = str(p.merged_at);
  if (mergedAt && Number.isNaN(Date.parse(mergedAt))) return malformed("pull_request.merged_at is not a date");
  return {
    ok: true,
    value: {
      number,
      merged: p.merged,
      mergeCommitSha: mergeCommitSha ?? null,
      mergedAt: mergedAt ?? null,
      headSha,
      headRef,
      baseSha,
      baseRef,
      sameRepo,
      author: readUser(p.user) ?? null,
      mergedBy: readUser(p.merged_by)?.login ?? null,
      ...(changedFiles !== undefined ? { changedFiles } : {}),
      ...(str(p.html_url) ? { htmlUrl: str(p.html_url) } : {}),
    },
  };
}

export function readComment(payload: unknown): Result<{ issueNumber: number; body: string; author: { login: string; type: string } }> {
  const root = obj(payload);
  const c = obj(root?.comment);
  const issueNumber = posInt(obj(root?.issue)?.number);
  const author = readUser(c?.user);
  if (!c || !issueNumber || !author || typeof c.body !== "string") return malformed("comment.body, comment.user or issue.number is missing or malformed");
  return { ok: true, value: { issueNumber, body: c.body, author } };
}

/**
 * A re-run request of a check: check_run.rerequested names the run (and so its check's name),
 * check_suite.rerequested only the suite; both give the commit.
 */
export function readRerequested(event: string, payload: unknown): Result<{ headSha: string; name?: string }> {
  const root = obj(payload);
  if (event === "check_run") {
    const run = obj(root?.check_run);
    const headSha = sha(run?.head_sha);
    const name = str(run?.name);
    return headSha && name ? { ok: true, value: { headSha, name } } : malformed("check_run.head_sha or check_run.name is missing or malformed");
  }
  const headSha = sha(obj(root?.check_suite)?.head_sha);
  return headSha ? { ok: true, value: { headSha } } : malformed("check_suite.head_sha is missing or malformed");
}

/** What a handler logs for payloads it could not read: the problems of the first that failed. */
export function unreadable(...reads: ReadonlyArray<Result<unknown>>): string {
  const failed = reads.find((r) => !r.ok);
  return failed && !failed.ok ? failed.problems.map((p) => p.message).join("; ") : "";
}
