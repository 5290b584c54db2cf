// Merge → grant, the facts: what decideMerge asks for, read through AccessRepo and nothing else.
// The loop asks the pure decision, reads exactly the fact it needs, and asks again until it has a
// verdict; no judging happens here.
import { CONFIG_PATH } from "../domain/config.js";
import { CODEOWNERS_LOCATIONS } from "../domain/codeowners.js";
import { preMergeTips, type CommitFacts, type PreMergeTips, type TeamMember } from "../domain/approvals.js";
import { loadCatalogue } from "../iam-data.js";
import { fetchEligibility } from "../lifecycle/eligibility.js";
import type { AccessRepo, PrCommit } from "../lifecycle/ports.js";
import type { StoredFile } from "../store/record-store.js";
import { judgeMergeClaim } from "./approval-policies.js";
import { decideMerge, type MergeDecision, type MergeFacts, type Need } from "./grant-decision.js";
import type { MergedPr } from "./grant-types.js";
import { codeownersCandidates, loadRepoConfig } from "./repo-config.js";

/** Reads files at one commit. */
type FileReader = { read(path: string): Promise<StoredFile | undefined> };

/** Gathers the facts of a merge as the decision asks for them, and returns its verdict. */
export async function judgeMerge(access: AccessRepo, pr: MergedPr, now: Date, appLogin?: string): Promise<Exclude<MergeDecision, { kind: "need" }>> {
  const facts: MergeFacts = { pr, now, catalogue: loadCatalogue(), ...(appLogin ? { appLogin } : {}) };
  for (;;) {
    const decision = decideMerge(facts);
    if (decision.kind !== "need") return decision;
    await gather(access, facts, decision.need);
  }
}

const at = (access: AccessRepo, sha: string): FileReader => ({ read: (p) => access.readAt(p, sha) });
const fileFact = (file: StoredFile | undefined) => (file ? { text: file.text, sha: file.sha } : null);

async function gather(access: AccessRepo, facts: MergeFacts, need: Need): Promise<void> {
  switch (need.fact) {
    case "files":
      facts.files = await access.prFiles(facts.pr.number);
      return;
    case "tips": {
      const commits = await access.prCommits(facts.pr.number);
      const located = await locatePreMergeTips(access, need.mergeSha, facts.pr.headSha, commits);
      // The rules of the candidates are compared only when there are several: one tip cannot disagree with itself.
      const fingerprints =
        located.kind === "tips" && located.tips.length > 1 ? await Promise.all(located.tips.map((sha) => rulesFingerprint(at(access, sha)))) : [];
      facts.tips = { commits, located, fingerprints };
      return;
    }
    case "config":
      facts.config = await loadRepoConfig(at(access, need.at));
      return;
    case "records":
      facts.records = {
        before: await Promise.all(need.tips.map(async (sha) => fileFact(await access.readAt(need.path, sha)))),
        onMain: fileFact(await access.read(need.path)),
      };
      return;
    case "atMerge":
      facts.atMerge = fileFact(await access.readAt(need.path, need.mergeSha));
      return;
    case "origin":
      facts.origin = (await access.issue(need.issue)) ?? null;
      return;
    case "approvals": {
      const reviews = await access.reviews(facts.pr.number);
      const codeowners = await codeownersCandidates((p) => access.readAt(p, need.at));
      facts.approvals = { reviews, codeowners };
      return;
    }
    case "teams":
      facts.teams = await teamMembers(access, need.teams, need.reviewers);
      return;
    case "eligibility":
      facts.eligibility = (await fetchEligibility(access, need.config, need.request)) ?? null;
      return;
    case "claim":
      facts.claim = await judgeMergeClaim(access, { ...need.input, rules: at(access, need.at) });
      return;
  }
}

/** Team memberships for the reviewers only: that is all verifyApproval needs to know. */
export async function teamMembers(access: AccessRepo, teams: string[], reviewers: string[]): Promise<Record<string, TeamMember[]>> {
  const out: Record<string, TeamMember[]> = {};
  for (const team of teams) {
    const [org, slug] = team.slice(1).split("/") as [string, string];
    out[team] = [];
    for (const login of reviewers) {
      const state = await access.teamMembership(org, slug, login);
      if (state) out[team].push({ login, state });
    }
  }
  return out;
}

/** Blob shas of the config and every CODEOWNERS location at a commit: equal means the same rules. */
export async function rulesFingerprint(store: FileReader): Promise<string> {
  const files = await Promise.all([CONFIG_PATH, ...CODEOWNERS_LOCATIONS].map(async (p) => (await store.read(p))?.sha ?? "-"));
  return files.join(" ");
}

/** Fetches what {@link preMergeTips} asks for: the merge commit, then first parents as needed. */
export async function locatePreMergeTips(access: AccessRepo, mergeSha: string, headSha: string, listed: PrCommit[]): Promise<PreMergeTips> {
  const prCommits: CommitFacts[] = listed.map((c) => ({ sha: c.sha, parents: c.parents, message: c.message, author: c.gitAuthor }));
  const chain: CommitFacts[] = [];
  for (;;) {
    const r = preMergeTips({ mergeSha, headSha, prCommits, firstParents: chain });
    if (r.kind !== "more") return r;
    const had = chain.length;
    while (chain.length < r.need) {
      const next = chain.length === 0 ? mergeSha : chain[chain.length - 1]?.parents[0];
      if (!next) break;
      chain.push(await access.commit(next));
    }
    if (chain.length === had)
      return {
        kind: "unknown",
        reason: `the default branch's history before merge commit ${mergeSha.slice(0, 7)} ends too early to find the commit before the merge; nothing is granted`,
      };
  }
}
