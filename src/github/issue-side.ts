// The issue side of the Octokit adapter: comments, labels, the state label, closing. Only
// rest.issues, so that what uses it alone (the sweep's GitHub closer) needs only the issues
// permission. OctokitAccessRepo (access-repo.ts) delegates to it.
import type { ProbotOctokit } from "probot";
import { applyState, STATE_LABEL, type IssueState } from "../domain/lifecycle.js";
import { stepByStep, type IssueSide, type IssueStep } from "../lifecycle/ports.js";
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
    // Only our own comments count: a user, or another app or workflow, posting the marker must not
    // redirect our updates or stand in for what we say. REST does not tell whose bot wrote a
    // comment, so the bot comments with the marker are asked about once.
    const candidates = comments.filter((c) => c.user?.type === "Bot" && (c.body ?? "").startsWith(marker));
    const authored = candidates.length ? await this.authoredByViewer(candidates.map((c) => c.node_id)) : new Set<string>();
    const mine = candidates.find((c) => authored.has(c.node_id));
    if (mine) {
      if (mine.body !== body) await this.octokit.rest.issues.updateComment({ ...this.at, comment_id: mine.id, body });
    } else {
      await this.octokit.rest.issues.createComment({ ...this.at, issue_number: issue, body });
    }
  }

  /** Which of these comments (node ids) the token in use wrote. Throws when GitHub cannot say: the delivery is retried rather than editing a comment that may be another's. */
  private async authoredByViewer(ids: string[]): Promise<Set<string>> {
    const graphql = (this.octokit as { graphql?: unknown }).graphql as ProbotOctokit["graphql"] | undefined;
    if (typeof graphql !== "function") throw new Error("cannot tell which comments are the app's own: this client has no GraphQL");
    const out = new Set<string>();
    for (let i = 0; i < ids.length; i += 100) {
      const data = await graphql<{ nodes: Array<{ id?: unknown; viewerDidAuthor?: unknown } | null> }>(
        `
          query ($ids: [ID!]!) {
            nodes(ids: $ids) {
              ... on IssueComment {
                id
                viewerDidAuthor
              }
            }
          }
        `,
        { ids: ids.slice(i, i + 100) },
      );
      for (const n of data.nodes) if (n && typeof n.id === "string" && n.viewerDidAuthor === true) out.add(n.id);
    }
    return out;
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

  /**
   * The steps in two GraphQL calls instead of one to three REST calls each: one query reads each
   * issue's node id, state, labels and comments and the ids of the labels to add; one mutation
   * document then makes every change (addComment / updateIssueComment, addLabelsToLabelable,
   * removeLabelsFromLabelable, closeIssue). GitHub runs a document's mutations in order and goes on
   * past one that fails: a failure is thrown after the rest ran, and a redelivery repeats the steps,
   * each of which finds what is already done (the comment by its marker, the labels as they are).
   * Anything the read cannot settle exactly (more than 100 comments or labels, a label that does not
   * exist yet — REST creates it —, closing a pull request) goes through REST as before.
   */
  async applySteps(steps: readonly IssueStep[]): Promise<void> {
    const rest = () => stepByStep(this, steps);
    const graphql = (this.octokit as { graphql?: unknown }).graphql as ProbotOctokit["graphql"] | undefined;
    if (typeof graphql !== "function") return rest();
    const plan = await this.planSteps(graphql, steps).catch(() => undefined);
    if (!plan) return rest();
    if (!plan.fields.length) return;
    await graphql(`mutation(${plan.decls.join(", ")}) { ${plan.fields.join(" ")} }`, plan.variables);
  }

  private async planSteps(
    graphql: ProbotOctokit["graphql"],
    steps: readonly IssueStep[],
  ): Promise<{ decls: string[]; fields: string[]; variables: Record<string, unknown> } | undefined> {
    const numbers = [...new Set(steps.map((s) => s.issue))];
    const wanted = [...new Set(steps.flatMap((s) => (s.kind === "state" ? [STATE_LABEL[s.state]] : [])))];
    const node = `id labels(first: 100) { totalCount nodes { id name } } comments(last: 100) { totalCount nodes { id body viewerDidAuthor } }`;
    const query = `query($owner: String!, $name: String!${numbers.map((_, i) => `, $n${i}: Int!`).join("")}${wanted.map((_, i) => `, $l${i}: String!`).join("")}) {
  repository(owner: $owner, name: $name) {
    ${numbers.map((_, i) => `i${i}: issueOrPullRequest(number: $n${i}) { __typename ... on Issue { issueState: state ${node} } ... on PullRequest { pullState: state ${node} } }`).join("\n    ")}
    ${wanted.map((_, i) => `l${i}: label(name: $l${i}) { id name }`).join("\n    ")}
  }
}`;
    type Conn<T> = { totalCount?: unknown; nodes?: Array<T | null> | null } | null | undefined;
    type Node = {
      __typename?: unknown;
      id?: unknown;
      issueState?: unknown;
      pullState?: unknown;
      labels?: Conn<{ id?: unknown; name?: unknown }>;
      comments?: Conn<{ id?: unknown; body?: unknown; viewerDidAuthor?: unknown }>;
    } | null;
    const data = await graphql<{ repository: Record<string, unknown> | null }>(query, {
      owner: this.repo.owner,
      name: this.repo.repo,
      ...Object.fromEntries(numbers.map((n, i) => [`n${i}`, n])),
      ...Object.fromEntries(wanted.map((l, i) => [`l${i}`, l])),
    });
    const complete = <T>(c: Conn<T>): T[] | undefined =>
      c && Array.isArray(c.nodes) && c.totalCount === c.nodes.length && c.nodes.every((n) => n) ? (c.nodes as T[]) : undefined;
    const labelIds = new Map<string, string>();
    for (const [i, name] of wanted.entries()) {
      const l = data.repository?.[`l${i}`] as { id?: unknown; name?: unknown } | null | undefined;
      if (typeof l?.id !== "string" || typeof l.name !== "string") return undefined;
      labelIds.set(name.toLowerCase(), l.id);
    }
    const issues = new Map<
      number,
      { id: string; isPull: boolean; open: boolean; labels: Array<{ id: string; name: string }>; comments: Array<{ id: string; body: string; mine: boolean }> }
    >();
    for (const [i, n] of numbers.entries()) {
      const o = data.repository?.[`i${i}`] as Node;
      const labels = complete(o?.labels);
      const comments = complete(o?.comments);
      if (!o || typeof o.id !== "string" || !labels || !comments) return undefined;
      if (!labels.every((l) => typeof l.id === "string" && typeof l.name === "string")) return undefined;
      if (!comments.every((c) => typeof c.id === "string" && typeof c.body === "string")) return undefined;
      const isPull = o.__typename === "PullRequest";
      issues.set(n, {
        id: o.id,
        isPull,
        open: (isPull ? o.pullState : o.issueState) === "OPEN",
        labels: labels.map((l) => ({ id: l.id as string, name: l.name as string })),
        comments: comments.map((c) => ({ id: c.id as string, body: c.body as string, mine: c.viewerDidAuthor === true })),
      });
    }
    const decls: string[] = [];
    const fields: string[] = [];
    const variables: Record<string, unknown> = {};
    const add = (field: string, input: Record<string, [string, unknown]>) => {
      const k = fields.length;
      const parts = Object.entries(input).map(([name, [type, value]], j) => {
        decls.push(`$m${k}_${j}: ${type}`);
        variables[`m${k}_${j}`] = value;
        return `${name}: $m${k}_${j}`;
      });
      fields.push(`m${k}: ${field}(input: { ${parts.join(", ")} }) { clientMutationId }`);
    };
    for (const step of steps) {
      const issue = issues.get(step.issue)!;
      switch (step.kind) {
        case "comment": {
          // Only our own comments count: anyone else posting the marker must not redirect our updates.
          const mine = issue.comments.find((c) => c.mine && c.body.startsWith(step.marker));
          if (mine?.body === step.body) break;
          if (mine) {
            add("updateIssueComment", { id: ["ID!", mine.id], body: ["String!", step.body] });
            mine.body = step.body;
          } else {
            add("addComment", { subjectId: ["ID!", issue.id], body: ["String!", step.body] });
            issue.comments.push({ id: "", body: step.body, mine: true });
          }
          break;
        }
        case "state": {
          const { add: adding, remove } = applyState(
            issue.labels.map((l) => l.name),
            step.state,
            step.onlyFrom,
          );
          const addIds = adding.map((name) => labelIds.get(name.toLowerCase())!);
          const gone = new Set(remove.map((r) => r.toLowerCase()));
          const removeIds = issue.labels.filter((l) => gone.has(l.name.toLowerCase())).map((l) => l.id);
          if (addIds.length) add("addLabelsToLabelable", { labelableId: ["ID!", issue.id], labelIds: ["[ID!]!", addIds] });
          if (removeIds.length) add("removeLabelsFromLabelable", { labelableId: ["ID!", issue.id], labelIds: ["[ID!]!", removeIds] });
          issue.labels = [...issue.labels.filter((l) => !gone.has(l.name.toLowerCase())), ...adding.map((name, j) => ({ id: addIds[j]!, name }))];
          break;
        }
        case "close-issue":
          // closeIssue takes issues only; REST closes a pull request by its number too.
          if (issue.isPull) return undefined;
          if (issue.open)
            add("closeIssue", {
              issueId: ["ID!", issue.id],
              stateReason: ["IssueClosedStateReason", step.reason === "completed" ? "COMPLETED" : "NOT_PLANNED"],
            });
          issue.open = false;
          break;
      }
    }
    return { decls, fields, variables };
  }
}
