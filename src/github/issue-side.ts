// The issue side of the Octokit adapter: comments, labels, the state label, closing. Only
// rest.issues, so that what uses it alone (the sweep's GitHub closer) needs only the issues
// permission. OctokitAccessRepo (access-repo.ts) delegates to it.
import type { ProbotOctokit } from "probot";
import { applyState, STATE_LABEL, type IssueState } from "../domain/lifecycle.js";
import type { IssueSide } from "../lifecycle/ports.js";
import { status } from "./store.js";

/**
 * ProbotOctokit or @octokit/rest's Octokit (the sweep's). Their endpoint-method types come from
 * different plugin versions and do not unify; both have the same REST shape for the calls made
 * here, so the client is taken loosely and cast once.
 */
export interface AnyOctokit {
  paginate: unknown;
  rest: object;
}

export class OctokitIssueSide implements IssueSide {
  private readonly octokit: ProbotOctokit;

  constructor(
    octokit: AnyOctokit,
    private readonly repo: { owner: string; repo: string },
  ) {
    this.octokit = octokit as unknown as ProbotOctokit;
  }

  private get at() {
    return { owner: this.repo.owner, repo: this.repo.repo };
  }

  async upsertComment(issue: number, marker: string, body: string): Promise<void> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, { ...this.at, issue_number: issue, per_page: 100 });
    // Only bot comments count: a user pasting the marker must not redirect our updates.
    const mine = comments.find((c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(marker));
    if (mine) {
      if (mine.body !== body) await this.octokit.rest.issues.updateComment({ ...this.at, comment_id: mine.id, body });
    } else {
      await this.octokit.rest.issues.createComment({ ...this.at, issue_number: issue, body });
    }
  }

  async labels(issue: number): Promise<string[]> {
    const labels = (await this.octokit.paginate(this.octokit.rest.issues.listLabelsOnIssue, { ...this.at, issue_number: issue, per_page: 100 })) as Array<{
      name: string;
    }>;
    return labels.map((l) => l.name);
  }

  async addLabels(issue: number, labels: string[]): Promise<void> {
    await this.octokit.rest.issues.addLabels({ ...this.at, issue_number: issue, labels });
  }

  async removeLabel(issue: number, label: string): Promise<void> {
    try {
      await this.octokit.rest.issues.removeLabel({ ...this.at, issue_number: issue, name: label });
    } catch (e) {
      if (status(e) !== 404) throw e; // already gone
    }
  }

  async setState(issue: number, state: IssueState, onlyFrom?: readonly IssueState[]): Promise<void> {
    if (onlyFrom) {
      // Conditional on the state now: read first, write only from an allowed state.
      const { add, remove } = applyState(await this.labels(issue), state, onlyFrom);
      for (const name of remove) await this.removeLabel(issue, name);
      if (add.length) await this.addLabels(issue, add);
      return;
    }
    // Adding the label answers with every label the issue then has: the other state labels are
    // removed from that answer, one call fewer than listing them first.
    const { data } = await this.octokit.rest.issues.addLabels({ ...this.at, issue_number: issue, labels: [STATE_LABEL[state]] });
    const { remove } = applyState(
      (data as Array<{ name: string }>).map((l) => l.name),
      state,
    );
    for (const name of remove) await this.removeLabel(issue, name);
  }

  async closeIssue(issue: number, reason: "completed" | "not_planned"): Promise<void> {
    await this.octokit.rest.issues.update({ ...this.at, issue_number: issue, state: "closed", state_reason: reason });
  }
}
