// The ports the lifecycle use cases reach the outside through. AccessRepo is the access
// repository on GitHub as the use cases see it: facts (files at a ref, a pull request's files,
// commits and reviews, an issue, team membership) and effects (records written with
// compare-and-swap, comments upserted by marker, one state label, an issue closed). One Octokit
// adapter (src/github/access-repo.ts) and one in-memory implementation for tests; handlers never
// spell out owner, repo or pagination.
import type { Review } from "../domain/approvals.js";
import type { IssueState } from "../domain/lifecycle.js";
import type { RecordStore, StoredFile, WriteResult } from "../store/record-store.js";

/** A file a pull request changes (pulls.listFiles). */
export interface PrFile {
  path: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  previousPath: string | null;
  /** The blob sha at the PR's head. */
  sha: string | null;
}

/** An account as GitHub shows it on an issue, a commit or a review. */
export interface Actor {
  login: string;
  type: string;
}

/** A commit of a pull request (pulls.listCommits). */
export interface PrCommit {
  sha: string;
  parents: string[];
  message: string;
  /** The git author line (name, email, date), when complete. */
  gitAuthor: { name: string; email: string; date: string } | null;
  /** The GitHub accounts of the author and committer, when GitHub knows them. */
  author: Actor | null;
  committer: Actor | null;
}

/** A commit by sha (git.getCommit). */
export interface CommitInfo {
  sha: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string } | null;
}

export interface IssueFacts {
  number: number;
  author: Actor | null;
  state: "open" | "closed";
  /** true when the number is a pull request's. */
  isPull: boolean;
}

/** The issue side of the repository: what telling an issue or PR about an outcome needs. */
export type IssueSide = Pick<AccessRepo, "upsertComment" | "labels" | "addLabels" | "setState" | "closeIssue"> & {
  /** Several steps at once (one read and one write where the adapter can); without it, applyIssueSteps runs them one by one. */
  applySteps?(steps: readonly IssueStep[]): Promise<void>;
};

/** One step of telling an issue or PR: as upsertComment, setState and closeIssue do it. */
export type IssueStep =
  | { kind: "comment"; issue: number; marker: string; body: string }
  | { kind: "state"; issue: number; state: IssueState; onlyFrom?: readonly IssueState[] }
  | { kind: "close-issue"; issue: number; reason: "completed" | "not_planned" };

/** Carries out the steps in order: in one batch where the issue side has one, else one call each. Idempotent as each step is. */
export async function applyIssueSteps(side: IssueSide, steps: readonly IssueStep[]): Promise<void> {
  if (!steps.length) return;
  if (side.applySteps) return side.applySteps(steps);
  return stepByStep(side, steps);
}

/** The steps one call each, in order; the first failure stops the rest. */
export async function stepByStep(side: IssueSide, steps: readonly IssueStep[]): Promise<void> {
  for (const s of steps) {
    if (s.kind === "comment") await side.upsertComment(s.issue, s.marker, s.body);
    else if (s.kind === "state") await side.setState(s.issue, s.state, s.onlyFrom);
    else await side.closeIssue(s.issue, s.reason);
  }
}

export interface AccessRepo extends RecordStore {
  /** "owner/name", for messages and keys. */
  readonly fullName: string;
  readonly defaultBranch: string;
  /** A file at a commit sha or branch; undefined when absent. */
  readAt(path: string, ref: string): Promise<StoredFile | undefined>;
  /**
   * The paths of the .yaml files directly in each folder on the default branch, names only (no
   * contents read); a missing folder lists nothing. For bounded look-ups, where `list` would read
   * every record.
   */
  listNames(folders: readonly string[]): Promise<string[]>;
  /**
   * A hint before reads that follow: `paths` at the default branch's tip and the listings of
   * `folders` (listNames), fetched together where the adapter can; nothing changes what they answer.
   */
  prefetch?(paths: readonly string[], folders: readonly string[]): Promise<void>;
  prFiles(pr: number): Promise<PrFile[]>;
  prCommits(pr: number): Promise<PrCommit[]>;
  reviews(pr: number): Promise<Review[]>;
  commit(sha: string): Promise<CommitInfo>;
  /** undefined when there is no such issue (404). */
  issue(number: number): Promise<IssueFacts | undefined>;
  /** The user's membership of org/team: active, pending, or undefined when not a member. */
  teamMembership(org: string, team: string, login: string): Promise<"active" | "pending" | undefined>;
  /** Creates or updates the app's own comment that starts with `marker`. */
  upsertComment(issue: number, marker: string, body: string): Promise<void>;
  labels(issue: number): Promise<string[]>;
  addLabels(issue: number, labels: string[]): Promise<void>;
  /** Puts the issue in `state`: one state label (see applyState). */
  setState(issue: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void>;
  closeIssue(issue: number, reason: "completed" | "not_planned"): Promise<void>;
  /** The commit a branch points at now. */
  branchTip(branch: string): Promise<string>;
  /** A write on another branch than the default (compare-and-swap on the blob sha, as `write`). */
  writeAt(branch: string, path: string, text: string, opts: { message: string; expectedSha: string | undefined }): Promise<WriteResult>;
  updatePull(pr: number, update: { title?: string; body?: string }): Promise<void>;
  /** A completed check run on a commit; `inputs` names what else it was judged on (kept as the run's external_id). */
  createCheck(check: {
    name: string;
    headSha: string;
    conclusion: "success" | "failure" | "neutral";
    title: string;
    summary: string;
    inputs?: string;
  }): Promise<void>;
  /** Whether the repository has the jit-access config on its default branch (an access repository). */
  hasConfig(): Promise<boolean>;
  /** Creates whichever of the app's labels the repository lacks; returns their names. */
  ensureLabels(): Promise<string[]>;
  /** An issue's body now and who last edited it (null: never edited); undefined when there is no such issue. */
  issueText(issue: number): Promise<{ body: string; editor: string | null } | undefined>;
  openPulls(): Promise<OpenPull[]>;
  /** A pull request as the REST API returns it, read fresh (for the payload reader). */
  pullPayload(pr: number): Promise<unknown>;
  /**
   * A commit this adapter made itself by writing one file on a branch: its parents and the file it
   * changed (added when the write created it), known without a call. Undefined for any other
   * commit, and where the adapter does not keep them.
   */
  ownCommit?(sha: string): { parents: string[]; files: PrFile[] } | undefined;
  /** Creates a branch at a commit; false when it exists already. */
  createBranch(branch: string, sha: string): Promise<boolean>;
  /** What `head` has beyond `base` (compare base...head). */
  compare(base: string, head: string): Promise<Comparison>;
  deleteFileAt(branch: string, path: string, sha: string, message: string): Promise<void>;
  createPull(pull: { head: string; base: string; title: string; body: string }): Promise<number>;
  /** Asks for reviews; a refusal (e.g. a reviewer who is not a collaborator) is not an error. */
  requestReviewers(pr: number, reviewers: string[], teams: string[]): Promise<void>;
  /** Merges a pull request only if its head is still `sha`; GitHub's refusal (head moved, not mergeable) is an answer, not a throw. */
  mergePull(pr: number, merge: { sha: string; method: "merge" | "squash"; title: string; message: string }): Promise<MergeAnswer>;
  /** Commits on the default branch that touch `path` (a file or folder), committed at or after `since`: sha, committer date, message. */
  commitsSince(path: string, since: string): Promise<Array<{ sha: string; date: string; message: string }>>;
  /** Opens an issue; assignees GitHub cannot assign are dropped rather than failing it. Returns its number. */
  createIssue(issue: { title: string; body: string; labels: string[]; assignees: string[] }): Promise<number>;
  /** The comments on an issue or pull request, oldest first. */
  issueComments(issue: number): Promise<IssueComment[]>;
}

/**
 * What the sweep needs of the access repository to remind about and close requests nobody
 * approved: the records, the open pull requests and their files, and the issue side. Narrower
 * than AccessRepo, so the sweep's token needs no more than contents, issues and pull-requests.
 */
export type UnapprovedRepo = Pick<
  AccessRepo,
  "fullName" | "list" | "read" | "write" | "openPulls" | "prFiles" | "readAt" | "upsertComment" | "addLabels" | "setState" | "closeIssue"
>;

/** A comment on an issue or pull request (issues.listComments). */
export interface IssueComment {
  author: Actor | null;
  body: string;
  createdAt: string;
}

export type MergeAnswer = { kind: "merged"; sha: string } | { kind: "refused"; status: number; reason: string };

export interface OpenPull {
  number: number;
  title: string;
  body: string | null;
  user: Actor | null;
  head: { ref: string; sha: string; repoFullName: string | null };
  /** When it was opened (ISO); what pending_ttl counts from. */
  createdAt?: string;
  /** Its label names. */
  labels?: string[];
}

export interface Comparison {
  aheadBy: number;
  commits: Array<{ sha: string; author: string | undefined; committer: string | undefined; authorName: string | undefined }>;
  files: Array<{ filename: string; previousFilename?: string; status: string; sha?: string }>;
}
