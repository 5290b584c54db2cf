// What merging a request's pull request now would do, without GitHub or AWS: the facts GitHub would
// give are made up from files (the file as merged, the config and CODEOWNERS as the rules, a PR by
// the app with one commit, the issue opened by the requester, the approvals named), the app's own
// merge decision (grant-decision.ts) judges them, and its effects are described instead of carried
// out. `jit-access plan FILE --merge` prints it.
import type { GrantResult } from "../aws/types.js";
import { activeRecord, grantAnnouncement, scheduledEffects, scheduledRecord } from "./grant-announce.js";
import { decideMerge, type MergeDecision, type MergeFacts } from "./grant-decision.js";
import type { MergedPr } from "./grant-types.js";
import { loadCatalogue } from "../iam-data.js";
import { describeEffects } from "../lifecycle/effects.js";
import type { Config, Problem } from "../domain/types.js";
import type { Result } from "../domain/problems.js";

/** A made-up pull request number: the lines name it "the PR", never a real PR's number. */
const THE_PR = 0;
const BASE = "0".repeat(40);
const HEAD = "1".repeat(40);
const MERGE = "2".repeat(40);
const APP = { login: "jit-access[bot]", type: "Bot" };

export interface MergePreviewInput {
  /** The file's path in the repository (access-requests/…), its text and its git blob sha. */
  path: string;
  text: string;
  blobSha: string;
  /** The request as the file states it, when it parses: its issue is taken as opened by its requester. */
  request: { id: string; requester: string } | undefined;
  config: Result<Config>;
  /** The CODEOWNERS candidates (CODEOWNERS_LOCATIONS) with their text where present. */
  codeowners: Array<{ path: string; text: string | undefined }>;
  approvedBy: string[];
  now: Date;
}

export interface MergePreview {
  verdict: "granted" | "refused" | "ignored" | "already";
  problems: Problem[];
  /** Why it is ignored or already done. */
  reason?: string;
  /** One line per effect; the made-up pull request is "the PR". */
  lines: string[];
}

/** The facts of a merge of this file now, as GitHub would give them for the app's own PR. */
export function mergeFacts(input: MergePreviewInput): MergeFacts {
  const sha = input.blobSha;
  const file = { text: input.text, sha };
  const pr: MergedPr = {
    number: THE_PR,
    merged: true,
    mergeCommitSha: MERGE,
    mergedAt: input.now.toISOString(),
    headSha: HEAD,
    headRef: "jit/plan",
    baseSha: BASE,
    author: APP,
    changedFiles: 1,
  };
  return {
    pr,
    now: input.now,
    catalogue: loadCatalogue(),
    files: [{ path: input.path, status: "added", previousPath: null, sha }],
    tips: {
      commits: [{ sha: HEAD, parents: [BASE], message: "jit-access: propose", gitAuthor: null, author: APP, committer: APP }],
      located: { kind: "tips", method: "merge commit", tips: [BASE] },
      fingerprints: ["the files on disk"],
    },
    config: input.config,
    records: { before: [null], onMain: file },
    atMerge: file,
    origin: input.request
      ? { number: Number(input.request.id.split("-")[0]), author: { login: input.request.requester, type: "User" }, state: "open", isPull: false }
      : null,
    approvals: {
      reviews: input.approvedBy.map((login, i) => ({
        id: i + 1,
        user: { login, type: "User" },
        state: "APPROVED",
        commit_id: HEAD,
        submitted_at: input.now.toISOString(),
      })),
      codeowners: input.codeowners,
    },
    // Team memberships are GitHub's to say: offline, an approval counts only through its login.
    teams: {},
  };
}

/** The lines a merge would produce: what is attached in AWS, then each effect (describeEffects). */
export function mergeLines(pr: MergedPr, decision: Exclude<MergeDecision, { kind: "need" }>): string[] {
  switch (decision.kind) {
    case "ignored":
      return [];
    case "already":
    case "blocked":
      return describeEffects(decision.effects);
    case "approved": {
      const g = decision.grant;
      if (g.startsAt !== undefined) {
        const announce = {
          requester: g.request.requester,
          account: g.account.alias ?? g.account.id,
          startsAt: g.startsAt,
          expiresAt: g.expiresAt,
          approvedBy: g.approvedBy,
        };
        return [
          `attach nothing in AWS now: approved for a later start, granted by the expiry sweep from ${g.startsAt} until ${g.expiresAt}`,
          ...describeEffects([scheduledRecord(pr, { ...g, startsAt: g.startsAt }), ...scheduledEffects([pr.number, g.issueNumber], announce)]),
        ];
      }
      // What AWS names at the grant (resources, schedules, the principal) is not known here; the
      // record and the announcement are the same effects whatever it is.
      const result: GrantResult = {
        requestId: g.request.id,
        mode: g.config.aws.mode,
        accountId: g.account.id,
        resources: [],
        schedules: [],
        principal: undefined as unknown as GrantResult["principal"],
        grantedAt: g.now.toISOString(),
        expiresAt: g.expiresAt,
        changed: true,
      };
      return [
        `attach in AWS (${g.config.aws.mode}): the policy for ${g.request.requester} in account ${g.account.alias ?? g.account.id}, until ${g.expiresAt}`,
        ...describeEffects([activeRecord(pr, g, result), ...grantAnnouncement(pr, g, result)]),
        "(if the attach fails, or the record cannot be written, it is rolled back and recorded failed)",
      ];
    }
  }
}

/** The verdict a merge now would get, and its effects described. */
export function previewMerge(input: MergePreviewInput): MergePreview {
  const facts = mergeFacts(input);
  const decision = decideMerge(facts);
  if (decision.kind === "need") throw new Error(`the merge preview lacks the fact ${decision.need.fact}`);
  const lines = mergeLines(facts.pr, decision).map((l) => l.replace(/#0\b/g, "the PR"));
  switch (decision.kind) {
    case "approved":
      return { verdict: "granted", problems: [], lines };
    case "blocked":
      return { verdict: "refused", problems: decision.problems, lines };
    case "already":
    case "ignored":
      return { verdict: decision.kind, problems: [], reason: decision.reason, lines };
  }
}
