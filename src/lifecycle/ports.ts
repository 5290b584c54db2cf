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

export interface AccessRepo extends RecordStore {
  /** "owner/name", for messages and keys. */
  readonly fullName: string;
  readonly defaultBranch: string;
  /** A file at a commit sha or branch; undefined when absent. */
  readAt(path: string, ref: string): Promise<StoredFile | undefined>;
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
  /** A completed check run on a commit. */
  createCheck(check: { name: string; headSha: string; conclusion: "success" | "failure" | "neutral"; title: string; summary: string }): Promise<void>;
  /** Whether the repository has the jit-access config on its default branch (an access repository). */
  hasConfig(): Promise<boolean>;
}
