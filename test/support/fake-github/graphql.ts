// The GraphQL endpoint of the fake GitHub. Every document is parsed and validated against GitHub's
// own published schema (@octokit/graphql-schema) with graphql-js, the reference implementation, so
// a query GitHub would refuse (an unknown field, a missing argument, a wrong variable type) fails
// here as it does there: HTTP 200 with `errors` and no `data`. A valid document is executed over
// the fake's state: each type below models the fields jit-access reads, and a field it does not
// model is an error naming it, never a silent null.
import {
  buildClientSchema,
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "graphql";
import { schema as githubSchemaText } from "@octokit/graphql-schema";
import type { CommitObject } from "./git.js";
import { GitHubError, nodeId, normalizePath, type FakeGitHubState, type IssueState, type RepoState } from "./state.js";

let built: GraphQLSchema | undefined;
/** GitHub's schema, built once per process from its introspection (a fraction of a second; from the SDL it takes four times as long). */
export function githubSchema(): GraphQLSchema {
  return (built ??= buildClientSchema(githubSchemaText.json as unknown as IntrospectionQuery, { assumeValid: true }));
}

/** A mutation step made to fail, as `fake.graphqlFaults.push(...)` asks: GitHub's answer for that field is null plus an error. */
export interface MutationFault {
  /** The mutation field, e.g. "addComment". */
  field: string;
  message?: string;
  /** How many times (default 1). */
  times?: number;
}

type Obj = Record<string, unknown>;
type Args = Record<string, unknown>;

/** The fake's errors carry GitHub's `type` (NOT_FOUND, FORBIDDEN, UNPROCESSABLE) at the top level of each error. */
function gqlError(type: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type } });
}

/** A connection over a list: `first`/`last` up to 100 (GitHub refuses more, and a connection without either), `after` as an opaque cursor. */
function connection<T>(all: T[], args: Args, node: (t: T) => unknown): Obj {
  const first = args.first as number | null | undefined;
  const last = args.last as number | null | undefined;
  if (first == null && last == null)
    throw gqlError("MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to properly paginate the connection.");
  for (const [name, v] of [["first", first] as const, ["last", last] as const])
    if (v != null && (v < 0 || v > 100))
      throw gqlError("EXCESSIVE_PAGINATION", `Requesting ${v} records on the connection exceeds the \`${name}\` limit of 100 records.`);
  const after =
    typeof args.after === "string"
      ? Number(
          Buffer.from(args.after, "base64")
            .toString()
            .replace(/^cursor:/, ""),
        ) + 1
      : 0;
  let start = Number.isFinite(after) ? after : 0;
  let end = all.length;
  if (first != null) end = Math.min(end, start + first);
  if (last != null) start = Math.max(start, end - last);
  const cursor = (i: number) => Buffer.from(`cursor:${i}`).toString("base64");
  const slice = all.slice(start, end);
  return {
    totalCount: all.length,
    nodes: slice.map(node),
    edges: slice.map((t, i) => ({ cursor: cursor(start + i), node: node(t) })),
    pageInfo: {
      hasNextPage: end < all.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length ? cursor(start) : null,
      endCursor: slice.length ? cursor(end - 1) : null,
    },
  };
}

/** The numeric id inside one of the fake's node ids (see nodeId). */
function idOf(node: unknown): { prefix: string; id: number } | undefined {
  const m = /^([A-Z]+)_([A-Za-z0-9_-]+)$/.exec(String(node));
  if (!m) return undefined;
  const inner = /^fake:(\d+)$/.exec(Buffer.from(m[2] ?? "", "base64url").toString());
  return inner ? { prefix: m[1] ?? "", id: Number(inner[1]) } : undefined;
}

export class FakeGraphQL {
  readonly faults: MutationFault[] = [];
  /** Fields a query asked that the fake does not model (each also answered as an error): tests assert this stays empty. */
  readonly unmodelled: string[] = [];
  private readonly documents = new Map<string, DocumentNode | readonly GraphQLError[]>();
  /** Who the document being executed runs as (execution is synchronous): the viewer of `viewerDidAuthor`. */
  private viewer: string | undefined;

  constructor(private readonly s: FakeGitHubState) {}

  private get htmlBase(): string {
    return this.s.htmlBase;
  }

  /** GitHub's answer to one POST /graphql: always 200 once authenticated; problems are `errors`. */
  answer(actor: string, body: Record<string, unknown>): { status: number; body: unknown } {
    const query = typeof body.query === "string" ? body.query : "";
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    const doc = this.document(query);
    if (Array.isArray(doc)) return { status: 200, body: { errors: (doc as readonly GraphQLError[]).map((e) => e.toJSON()) } };
    this.viewer = this.s.user(actor)?.login ?? actor;
    const result = execute({
      schema: githubSchema(),
      document: doc as DocumentNode,
      rootValue: this.root(actor),
      variableValues: variables,
      fieldResolver: this.resolve,
    }) as { data?: unknown; errors?: readonly GraphQLError[] };
    if (result instanceof Promise) throw new Error("fake-github: GraphQL resolvers are synchronous");
    const errors = result.errors?.map((e) => {
      const { extensions, ...rest } = e.toJSON() as unknown as { extensions?: { type?: string } } & Obj;
      // A state helper's refusal is GitHub's; any other throw is a bug in the fake: fail loudly.
      if (e.originalError instanceof GitHubError) return { ...rest, type: "UNPROCESSABLE" };
      if (!extensions?.type && e.originalError && !(e.originalError instanceof GraphQLError) && !/^fake-github does not model/.test(e.message))
        throw e.originalError;
      return { ...rest, ...(extensions?.type ? { type: extensions.type } : {}) };
    });
    return { status: 200, body: { data: result.data ?? null, ...(errors?.length ? { errors } : {}) } };
  }

  private document(query: string): DocumentNode | readonly GraphQLError[] {
    let doc = this.documents.get(query);
    if (!doc) {
      try {
        const parsed = parse(query);
        const problems = validate(githubSchema(), parsed);
        doc = problems.length ? problems : parsed;
      } catch (e) {
        doc = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
      }
      this.documents.set(query, doc);
    }
    return doc;
  }

  /** Every field is a property of its parent's object (a function of the arguments when it takes any); one not there is not modelled. */
  private readonly resolve: GraphQLFieldResolver<unknown, unknown> = (source, args, _ctx, info) => {
    const o = source as Obj;
    if (!(info.fieldName in o)) {
      this.unmodelled.push(`${info.parentType.name}.${info.fieldName}`);
      throw new Error(`fake-github does not model ${info.parentType.name}.${info.fieldName}`);
    }
    const v = o[info.fieldName];
    return typeof v === "function" ? (v as (a: Args) => unknown).call(o, args) : v;
  };

  private root(actor: string): Obj {
    const s = this.s;
    const repoOf = (owner: unknown, name: unknown): RepoState | undefined => {
      return s.repos.get(`${String(owner)}/${String(name)}`.toLowerCase());
    };
    const mutation = (field: string, run: (input: Obj) => unknown) => (args: Args) => {
      const fault = this.faults.find((f) => f.field === field && (f.times ?? 1) > 0);
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        throw gqlError("INTERNAL", fault.message ?? `Something went wrong while executing your query (${field}).`);
      }
      return run(args.input as Obj);
    };
    const labelable = (id: unknown): { repo: RepoState; issue: IssueState } => {
      const found = this.issueByNode(id);
      if (!found) throw gqlError("NOT_FOUND", `Could not resolve to a node with the global id of '${String(id)}'`);
      return found;
    };
    const labelNames = (repo: RepoState, ids: unknown): string[] =>
      (Array.isArray(ids) ? ids : []).map((id) => {
        const l = [...repo.labels.values()].find((x) => nodeId("LA", x.id) === id);
        if (!l) throw gqlError("NOT_FOUND", `Could not resolve to a node with the global id of '${String(id)}'`);
        return l.name;
      });
    const login = actor;
    return {
      repository: (a: Args) => {
        const repo = repoOf(a.owner, a.name);
        if (!repo) throw gqlError("NOT_FOUND", `Could not resolve to a Repository with the name '${String(a.owner)}/${String(a.name)}'.`);
        return this.repository(repo);
      },
      node: (a: Args) => this.anyNode(a.id),
      // GitHub answers an id it cannot resolve with null in its place (and an error naming it).
      nodes: (a: Args) => {
        const ids = Array.isArray(a.ids) ? a.ids : [];
        if (ids.length > 100) throw gqlError("EXCESSIVE_PAGINATION", `You may not request more than 100 node ids at once.`);
        return ids.map((id) => this.anyNode(id));
      },
      addComment: mutation("addComment", (input) => {
        const { repo, issue } = labelable(input.subjectId);
        const body = String(input.body ?? "");
        if (!body.trim()) throw gqlError("UNPROCESSABLE", "Body can't be blank");
        const id = s.addComment(`${repo.owner}/${repo.name}`, issue.number, { user: login, body });
        const c = issue.comments.find((x) => x.id === id);
        return {
          clientMutationId: input.clientMutationId ?? null,
          commentEdge: { node: c ? this.commentNode(repo, issue, c) : null },
          subject: this.issueNode(repo, issue),
        };
      }),
      updateIssueComment: mutation("updateIssueComment", (input) => {
        const parsed = idOf(input.id);
        const found =
          parsed?.prefix === "IC" ? [...s.repos.values()].map((r) => ({ repo: r, hit: s.findComment(r, parsed.id) })).find((x) => x.hit) : undefined;
        if (!found?.hit) throw gqlError("NOT_FOUND", `Could not resolve to a node with the global id of '${String(input.id)}'`);
        const { issue, comment } = found.hit;
        if (comment.user.toLowerCase() !== login.toLowerCase())
          throw gqlError("FORBIDDEN", `${login} does not have the correct permissions to execute \`UpdateIssueComment\``);
        comment.body = String(input.body ?? "");
        comment.updated_at = s.time();
        return { clientMutationId: input.clientMutationId ?? null, issueComment: this.commentNode(found.repo, issue, comment) };
      }),
      addLabelsToLabelable: mutation("addLabelsToLabelable", (input) => {
        const { repo, issue } = labelable(input.labelableId);
        const names = labelNames(repo, input.labelIds);
        s.addLabels(`${repo.owner}/${repo.name}`, issue.number, names);
        issue.updated_at = s.time();
        return { clientMutationId: input.clientMutationId ?? null, labelable: this.issueNode(repo, issue) };
      }),
      removeLabelsFromLabelable: mutation("removeLabelsFromLabelable", (input) => {
        const { repo, issue } = labelable(input.labelableId);
        const names = new Set(labelNames(repo, input.labelIds).map((n) => n.toLowerCase()));
        issue.labels = issue.labels.filter((l) => !names.has(l.toLowerCase()));
        issue.updated_at = s.time();
        return { clientMutationId: input.clientMutationId ?? null, labelable: this.issueNode(repo, issue) };
      }),
      createLabel: mutation("createLabel", (input) => {
        const repo = [...s.repos.values()].find((r) => nodeId("R", r.id) === input.repositoryId);
        if (!repo) throw gqlError("NOT_FOUND", `Could not resolve to a node with the global id of '${String(input.repositoryId)}'`);
        const name = String(input.name ?? "");
        if (repo.labels.has(name.toLowerCase())) throw gqlError("UNPROCESSABLE", "Name has already been taken");
        const l = s.ensureLabel(`${repo.owner}/${repo.name}`, name);
        l.color = String(input.color ?? l.color);
        l.description = typeof input.description === "string" ? input.description : null;
        return { clientMutationId: input.clientMutationId ?? null, label: this.labelNode(repo, l.name) };
      }),
      closeIssue: mutation("closeIssue", (input) => {
        const { repo, issue } = labelable(input.issueId);
        if (issue.pull) throw gqlError("NOT_FOUND", `Could not resolve to an Issue with the global id of '${String(input.issueId)}'`);
        const reason = input.stateReason === "NOT_PLANNED" ? "not_planned" : "completed";
        if (issue.state === "open") s.setIssueState(`${repo.owner}/${repo.name}`, issue.number, "closed", { user: login, reason });
        return { clientMutationId: input.clientMutationId ?? null, issue: this.issueNode(repo, issue) };
      }),
    };
  }

  /** The issue, pull request or issue comment with this node id, or null. */
  private anyNode(id: unknown): Obj | null {
    const found = this.issueByNode(id);
    if (found) return this.issueNode(found.repo, found.issue);
    const parsed = idOf(id);
    if (parsed?.prefix !== "IC") return null;
    for (const repo of this.s.repos.values())
      for (const issue of repo.issues.values()) {
        const c = issue.comments.find((x) => x.id === parsed.id);
        if (c) return this.commentNode(repo, issue, c);
      }
    return null;
  }

  private issueByNode(id: unknown): { repo: RepoState; issue: IssueState } | undefined {
    const parsed = idOf(id);
    if (!parsed || (parsed.prefix !== "I" && parsed.prefix !== "PR")) return undefined;
    for (const repo of this.s.repos.values())
      for (const issue of repo.issues.values()) if (issue.id === parsed.id && (parsed.prefix === "PR") === Boolean(issue.pull)) return { repo, issue };
    return undefined;
  }

  private repository(repo: RepoState): Obj {
    const full = `${repo.owner}/${repo.name}`;
    return {
      id: nodeId("R", repo.id),
      name: repo.name,
      nameWithOwner: full,
      issue: (a: Args) => {
        const issue = repo.issues.get(Number(a.number));
        if (!issue || issue.pull) throw gqlError("NOT_FOUND", `Could not resolve to an Issue with the number of ${String(a.number)}.`);
        return this.issueNode(repo, issue);
      },
      pullRequest: (a: Args) => {
        const issue = repo.issues.get(Number(a.number));
        if (!issue?.pull) throw gqlError("NOT_FOUND", `Could not resolve to a PullRequest with the number of ${String(a.number)}.`);
        return this.issueNode(repo, issue);
      },
      issueOrPullRequest: (a: Args) => {
        const issue = repo.issues.get(Number(a.number));
        if (!issue) throw gqlError("NOT_FOUND", `Could not resolve to an issue or pull request with the number of ${String(a.number)}.`);
        return this.issueNode(repo, issue);
      },
      label: (a: Args) => (repo.labels.has(String(a.name).toLowerCase()) ? this.labelNode(repo, String(a.name)) : null),
      labels: (a: Args) => connection([...repo.labels.values()], a, (l) => this.labelNode(repo, l.name)),
      ref: (a: Args) => {
        const name = String(a.qualifiedName ?? "").replace(/^refs\//, "");
        const commit = repo.git.refs.get(name) ?? repo.git.refs.get(`heads/${name}`);
        if (!commit) return null;
        return { name: name.replace(/^heads\//, ""), target: this.commitNode(repo, commit) };
      },
      // object(expression: "<rev>:<path>") or object(oid): a commit, a folder or a file.
      object: (a: Args) => {
        if (typeof a.oid === "string") return repo.git.commit(a.oid) ? this.commitNode(repo, a.oid) : null;
        const expression = String(a.expression ?? "");
        const colon = expression.indexOf(":");
        const commit = repo.git.resolve(colon >= 0 ? expression.slice(0, colon) : expression);
        if (!commit) return null;
        if (colon < 0) return this.commitNode(repo, commit);
        const path = normalizePath(expression.slice(colon + 1));
        return this.entryAt(repo, commit, path)?.object ?? null;
      },
    };
  }

  /** The tree entry at a path of a commit (GraphQL's TreeEntry), or undefined. */
  private entryAt(repo: RepoState, commit: string, path: string): Obj | undefined {
    const c = repo.git.commit(commit);
    if (!c) return undefined;
    const name = path.split("/").pop() ?? "";
    const e = repo.git.filesAt(commit).get(path);
    if (e) {
      const blob = repo.git.readBlob(e.sha) ?? Buffer.alloc(0);
      const binary = blob.includes(0);
      return {
        name,
        path,
        mode: parseInt(e.mode, 8),
        oid: e.sha,
        type: "blob",
        object: { __typename: "Blob", oid: e.sha, byteSize: blob.length, isBinary: binary, isTruncated: false, text: binary ? null : blob.toString("utf8") },
      };
    }
    const tree = path ? repo.git.subtreeSha(c.tree, path) : c.tree;
    if (!tree) return undefined;
    return { name, path, mode: 0o40000, oid: tree, type: "tree", object: this.treeNode(repo, tree) };
  }

  private treeNode(repo: RepoState, tree: string): Obj {
    return {
      __typename: "Tree",
      oid: tree,
      entries: (repo.git.treeEntries(tree) ?? []).map((e) => ({
        name: e.name,
        type: e.mode === "160000" ? "commit" : e.type,
        mode: parseInt(e.mode, 8),
        oid: e.sha,
      })),
    };
  }

  private commitNode(repo: RepoState, sha: string): Obj {
    const c = repo.git.commit(sha) as CommitObject;
    const actor = (sig: CommitObject["author"], login: string | undefined) => ({
      name: sig.name,
      email: sig.email,
      date: sig.date,
      // GitActor.user is a User: a bot (or no account) is null.
      user: login && this.s.user(login)?.type === "User" ? this.userNode(login) : null,
    });
    return {
      __typename: "Commit",
      id: nodeId("C", c.seq),
      oid: c.sha,
      message: c.message,
      author: actor(c.author, c.authorLogin),
      committer: actor(c.committer, c.committerLogin),
      parents: (a: Args) => connection(c.parents, a, (p) => this.commitNode(repo, p)),
      tree: this.treeNode(repo, c.tree),
      file: (a: Args) => this.entryAt(repo, c.sha, normalizePath(String(a.path ?? ""))) ?? null,
    };
  }

  /** An Actor: a User, or a Bot whose login GraphQL gives without the "[bot]" REST shows. */
  private userNode(login: string | null | undefined): Obj | null {
    if (!login) return null;
    const u = this.s.user(login);
    if (!u) return null;
    if (u.type === "Bot") return { __typename: "Bot", id: nodeId("BOT", u.id), login: u.login.replace(/\[bot\]$/, "") };
    return { __typename: u.type === "Organization" ? "Organization" : "User", id: nodeId(u.type === "Organization" ? "O" : "U", u.id), login: u.login };
  }

  private labelNode(repo: RepoState, name: string): Obj {
    const l = repo.labels.get(name.toLowerCase());
    if (!l) throw new Error(`fake-github: no label ${name}`);
    return { __typename: "Label", id: nodeId("LA", l.id), name: l.name, color: l.color, description: l.description };
  }

  private commentNode(repo: RepoState, issue: IssueState, c: IssueState["comments"][number]): Obj {
    return {
      __typename: "IssueComment",
      id: nodeId("IC", c.id),
      databaseId: c.id,
      body: c.body,
      author: this.userNode(c.user),
      viewerDidAuthor: this.viewer !== undefined && c.user.toLowerCase() === this.viewer.toLowerCase(),
      createdAt: c.created_at,
      updatedAt: c.updated_at,
      url: `${this.htmlBase}/${repo.owner}/${repo.name}/${issue.pull ? "pull" : "issues"}/${issue.number}#issuecomment-${c.id}`,
    };
  }

  private issueNode(repo: RepoState, issue: IssueState): Obj {
    const full = `${repo.owner}/${repo.name}`;
    const common: Obj = {
      id: nodeId(issue.pull ? "PR" : "I", issue.id),
      databaseId: issue.id,
      number: issue.number,
      title: issue.title,
      body: issue.body ?? "",
      author: this.userNode(issue.user),
      editor: issue.editor ? this.userNode(issue.editor) : null,
      createdAt: issue.created_at,
      updatedAt: issue.updated_at,
      closed: issue.state === "closed",
      url: `${this.htmlBase}/${full}/${issue.pull ? "pull" : "issues"}/${issue.number}`,
      labels: (a: Args) => connection(issue.labels, a, (n) => this.labelNode(repo, n)),
      comments: (a: Args) => connection(issue.comments, a, (c) => this.commentNode(repo, issue, c)),
      repository: this.repository(repo),
    };
    const p = issue.pull;
    if (!p)
      return { ...common, __typename: "Issue", state: issue.state === "open" ? "OPEN" : "CLOSED", stateReason: issue.state_reason?.toUpperCase() ?? null };
    const changeType = { added: "ADDED", modified: "MODIFIED", removed: "DELETED", renamed: "RENAMED" } as const;
    return {
      ...common,
      __typename: "PullRequest",
      state: p.merged ? "MERGED" : issue.state === "open" ? "OPEN" : "CLOSED",
      merged: p.merged,
      mergedAt: p.merged_at,
      mergedBy: this.userNode(p.merged_by),
      mergeCommit: p.merge_commit_sha ? this.commitNode(repo, p.merge_commit_sha) : null,
      headRefName: p.headRef,
      headRefOid: p.headSha,
      baseRefName: p.baseRef,
      isDraft: p.draft,
      changedFiles: this.s.pullFiles(full, issue.number).length,
      files: (a: Args) =>
        connection(this.s.pullFiles(full, issue.number), a, (f) => {
          const { additions, deletions } = this.s.lineStats(repo, f);
          return { path: f.filename, changeType: changeType[f.status], additions, deletions };
        }),
      commits: (a: Args) =>
        connection(this.s.pullCommits(full, issue.number), a, (c) => ({
          __typename: "PullRequestCommit",
          id: nodeId("PURC", c.seq),
          commit: this.commitNode(repo, c.sha),
        })),
      reviews: (a: Args) =>
        connection(
          // GitHub lists a pending review to its author only.
          p.reviews.filter((r) => r.state !== "PENDING"),
          a,
          (r) => ({
            __typename: "PullRequestReview",
            id: nodeId("PRR", r.id),
            databaseId: r.id,
            author: this.userNode(r.user),
            authorAssociation: this.s.association(repo, r.user),
            body: r.body,
            state: r.state,
            submittedAt: r.submitted_at ?? null,
            commit: repo.git.commit(r.commit_id) ? this.commitNode(repo, r.commit_id) : null,
          }),
        ),
    };
  }
}
