// Where the default branch stood just before the merge: the commit whose config and CODEOWNERS
// judge the merged pull request.
import { short, validSha } from "./format.js";

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
 * commits of the merge commit's first-parent chain. `unknown`: it cannot be told; grant nothing
 * (preMergeTips always sets `code`; it is optional so that an adapter's own `unknown`, such as a
 * history that ends too early, still fits the type).
 */
export type PreMergeTips =
  | { kind: "tips"; method: "merge commit" | "squash" | "rebase"; tips: string[] }
  | { kind: "more"; need: number }
  | { kind: "unknown"; code?: "merge.tip-unknown"; reason: string };

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
export function preMergeTips(input: {
  mergeSha: string;
  headSha: string;
  prCommits: readonly CommitFacts[];
  firstParents: readonly CommitFacts[];
}): PreMergeTips {
  const { mergeSha, headSha, prCommits, firstParents } = input;
  const unknown = (why: string): PreMergeTips => ({
    kind: "unknown",
    code: "merge.tip-unknown",
    reason: `the default branch's commit before the merge cannot be determined: ${why}; nothing is granted — open a new pull request and merge it with a merge commit or squash`,
  });
  if (firstParents.length === 0) return { kind: "more", need: 1 };
  for (let i = 0; i < firstParents.length; i++) {
    const expected = i === 0 ? mergeSha : firstParents[i - 1]?.parents[0];
    if (firstParents[i]?.sha !== expected)
      return unknown(`commit ${short(validSha(firstParents[i]?.sha))} is not the first parent expected (${short(validSha(expected))})`);
  }
  const m = firstParents[0] as CommitFacts;
  if (prCommits.length === 0) return unknown(`the pull request lists no commits`);
  if (prCommits.length >= MAX_PR_COMMITS) return unknown(`the pull request has ${prCommits.length} or more commits, more than GitHub lists`);
  if (m.parents.length === 2) {
    if (m.parents[1] === headSha) return { kind: "tips", method: "merge commit", tips: [m.parents[0] as string] };
    return unknown(
      `merge commit ${short(mergeSha)} has parents ${m.parents.map((p) => short(p)).join(", ")}, and the second is not the approved head ${short(headSha)}`,
    );
  }
  if (m.parents.length !== 1) return unknown(`merge commit ${short(mergeSha)} has ${m.parents.length} parents`);
  const squashTip = m.parents[0] as string;
  // Not a replay of any PR commit → not a rebase → a squash.
  if (!prCommits.some((c) => replays(m, c))) return { kind: "tips", method: "squash", tips: [squashTip] };
  if (prCommits.some((c) => c.parents.length !== 1))
    return unknown(`the merge commit looks like a rebase of a pull request that contains merge commits, and a rebase drops those`);
  if (!replays(m, prCommits[prCommits.length - 1] as CommitFacts))
    return unknown(`merge commit ${short(mergeSha)} repeats an earlier commit of the pull request, not its last`);
  const n = prCommits.length;
  if (firstParents.length < n) return { kind: "more", need: n };
  for (let i = 0; i < n; i++) {
    const replayed = firstParents[i] as CommitFacts;
    const original = prCommits[n - 1 - i] as CommitFacts;
    if (replayed.parents.length !== 1 || !replays(replayed, original)) {
      return unknown(
        `the merge looks like a rebase of ${n} commits, but commit ${short(validSha(replayed.sha))} on the default branch is not a replay of ${short(validSha(original.sha))}`,
      );
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
