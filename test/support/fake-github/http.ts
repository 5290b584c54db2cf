// The REST layer of the fake GitHub: a tiny router over node:http, auth, pagination, fault
// injection and request recording. Routes translate to FakeGitHubState operations.
import { createHash } from "node:crypto";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { GitHubError, normalizePath, type FakeGitHubState, type CheckRunState, type IssueState, type RepoState } from "./state.js";
import type { FileEntry } from "./git.js";
import { tarGz } from "./archive.js";
import { FakeGraphQL } from "./graphql.js";

export interface RecordedRequest {
  method: string;
  /** Path without the query, percent-decoded (e.g. /repos/o/r/contents/a/b.yaml). */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** Login the request authenticated as ("app" for a JWT, undefined when anonymous). */
  actor: string | undefined;
}

interface Fault {
  method: string;
  pattern: RegExp;
  status: number;
  remaining: number;
  message: string | undefined;
}

export class Faults {
  private readonly list: Fault[] = [];
  /**
   * The next `times` requests matching method ("*" for any) and path pattern answer `status`.
   * A string pattern is a glob on the decoded path: `*` matches anything (including "/"),
   * `{name}` one segment, e.g. "/repos/{owner}/{repo}/contents/*".
   */
  failNext(method: string, pathPattern: string | RegExp, status: number, times = 1, message?: string): void {
    const pattern =
      typeof pathPattern === "string"
        ? new RegExp(
            `^${pathPattern
              .split(/(\*|\{[^}]+\})/)
              .map((part) => (part === "*" ? ".*" : /^\{[^}]+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
              .join("")}$`,
          )
        : pathPattern;
    this.list.push({ method: method.toUpperCase(), pattern, status, remaining: times, message });
  }

  /** Number of injected failures not yet consumed. */
  get pending(): number {
    return this.list.reduce((n, f) => n + f.remaining, 0);
  }

  clear(): void {
    this.list.length = 0;
  }

  take(method: string, path: string): Fault | undefined {
    const f = this.list.find((x) => x.remaining > 0 && (x.method === "*" || x.method === method) && x.pattern.test(path));
    if (f) f.remaining--;
    return f;
  }
}

/**
 * GitHub's rate limits, off unless set (`fake.rateLimits = {...}`), per caller (token):
 * - primary: `limit` calls per `windowMs`, told in `x-ratelimit-limit/-remaining/-used/-reset`;
 *   a 304 Not Modified is free; over it, 403 "API rate limit exceeded …" with remaining 0;
 * - secondary: at most `writes` content-creating requests (POST, PATCH, PUT, DELETE) per
 *   `windowMs`, and (when set) at most `points` per `windowMs` where a GET costs 1 and any other
 *   request 5; over either, `status` (403, or 429) "You have exceeded a secondary rate limit …"
 *   with `retry-after` (seconds until the window frees enough).
 * `timeScale` compresses time for benches: every duration the fake advertises (retry-after, the
 * reset) is the real one × timeScale, so a client that waits advertised seconds × 1000/timeScale
 * ms waits the real time. GitHub's real numbers: 5,000 calls an hour for an installation (more
 * for large organisations), 80 content-creating requests a minute.
 */
export interface RateLimits {
  primary?: { limit: number; windowMs: number };
  secondary?: { writes: number; windowMs: number; status?: 403 | 429; points?: number };
  timeScale?: number;
}

/** What the rate limits did, for benches and tests. */
export interface RateLimitStats {
  primaryRefused: number;
  secondaryRefused: number;
}

interface Ctx {
  method: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown>;
  rawBody: unknown;
  actor: string | undefined;
  accept: string;
  req: IncomingMessage;
  url: URL;
}

interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: Buffer;
}

type Handler = (ctx: Ctx) => Reply;
interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

const DOCS = "https://docs.github.com/rest";

const fail = (status: number, message: string, extra: Record<string, unknown> = {}): never => {
  throw new GitHubError(status, message, extra);
};

export class FakeGitHubHttp {
  readonly requests: RecordedRequest[] = [];
  /** Archive downloads from the codeload host a tarball request redirects to: not API calls, not rate limited. */
  readonly downloads: Array<{ path: string; status: number }> = [];
  /** The most entries a recursive tree lists before answering `truncated: true` (GitHub: 100,000 entries or 7 MB). */
  treeLimit = 100_000;
  private readonly archiveTokens = new Map<string, { repo: RepoState; commit: string }>();
  readonly faults = new Faults();
  readonly graphql: FakeGraphQL;
  rateLimits: RateLimits | undefined;
  readonly rateLimitStats: RateLimitStats = { primaryRefused: 0, secondaryRefused: 0 };
  private readonly primaryUse = new Map<string, { used: number; start: number }>();
  private readonly writeTimes = new Map<string, number[]>();
  private readonly pointTimes = new Map<string, Array<[number, number]>>();
  private readonly routes: Route[] = [];

  constructor(private readonly s: FakeGitHubState) {
    this.graphql = new FakeGraphQL(s);
    this.register();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.s.apiBase);
    const method = (req.method ?? "GET").toUpperCase();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const query = Object.fromEntries(url.searchParams);
    const rawSegments = url.pathname
      .replace(/^\/api\/v3(?=\/)/, "")
      .split("/")
      .slice(1);
    const decodedPath = `/${rawSegments.map(safeDecode).join("/")}`;
    if (decodedPath.startsWith("/_codeload/")) return this.codeload(url, decodedPath, res);
    let rawBody: unknown = undefined;
    const record: RecordedRequest = { method, path: decodedPath, query, body: undefined, status: 0, actor: undefined };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, raw?: Buffer): void => {
      let payload = raw ?? (body === undefined || status === 204 ? undefined : Buffer.from(JSON.stringify(body)));
      // Conditional requests, as GitHub answers them: a GET's 200 carries an ETag of its body; the
      // same GET with If-None-Match naming it is answered 304 Not Modified, without a body.
      if (method === "GET" && status === 200 && payload) {
        const etag = `W/"${createHash("sha1").update(payload).digest("hex")}"`;
        headers = { ...headers, etag };
        const asked = String(req.headers["if-none-match"] ?? "")
          .split(",")
          .map((t) => t.trim());
        if (asked.includes(etag)) {
          status = 304;
          payload = undefined;
        }
      }
      record.status = status;
      this.requests.push(record);
      if (status === 304 && primary) primary.used = Math.max(0, primary.used - 1); // free, as on GitHub
      res.writeHead(status, {
        ...(raw ? {} : { "content-type": "application/json; charset=utf-8" }),
        "x-github-api-version-selected": "2022-11-28",
        "x-github-request-id": `FAKE:${this.requests.length}`,
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4999",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
        "x-ratelimit-resource": "core",
        ...limitHeaders,
        ...headers,
      });
      res.end(payload);
    };
    const error = (e: GitHubError, headers: Record<string, string> = {}): void =>
      send(e.status, { message: e.message, ...e.extra, documentation_url: DOCS, status: String(e.status) }, headers);
    let limitHeaders: Record<string, string> = {};
    let primary: { used: number; start: number } | undefined;
    try {
      if (text) {
        try {
          rawBody = JSON.parse(text);
        } catch {
          record.body = text;
          return error(new GitHubError(400, "Problems parsing JSON"));
        }
      }
      record.body = rawBody;
      const actor = this.authenticate(req.headers.authorization);
      record.actor = actor;
      if (this.rateLimits && actor !== undefined && actor !== "app") {
        const verdict = this.limit(method, actor);
        limitHeaders = verdict.headers;
        primary = verdict.primary;
        if (verdict.refuse) return error(verdict.refuse, verdict.refuseHeaders);
      }
      const fault = this.faults.take(method, decodedPath);
      if (fault) return error(new GitHubError(fault.status, fault.message ?? STATUS_CODES[fault.status] ?? "Error"));
      const found = this.match(method, rawSegments);
      if (!found) return error(new GitHubError(404, "Not Found"));
      const body = rawBody && typeof rawBody === "object" && !Array.isArray(rawBody) ? (rawBody as Record<string, unknown>) : {};
      const ctx: Ctx = { method, params: found.params, query, body, rawBody, actor, accept: String(req.headers.accept ?? ""), req, url };
      this.authorize(ctx, decodedPath);
      const reply = found.route.handler(ctx);
      send(reply.status ?? 200, reply.body, reply.headers, reply.raw);
    } catch (e) {
      if (e instanceof GitHubError) return error(e);
      send(500, { message: `fake-github: ${(e as Error).stack ?? String(e)}`, documentation_url: DOCS, status: "500" });
    }
  }

  /**
   * codeload.github.com, where GET /repos/{o}/{r}/tarball/{ref} redirects: the URL's token (made
   * by the redirect, for that repository and commit) is the authorization; no API call is counted.
   */
  private codeload(url: URL, path: string, res: ServerResponse): void {
    const grant = this.archiveTokens.get(url.searchParams.get("token") ?? "");
    if (!grant) {
      this.downloads.push({ path, status: 404 });
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("404: Not Found");
      return;
    }
    const commit = grant.repo.git.commit(grant.commit);
    const files = grant.repo.git.filesAt(grant.commit);
    const body = tarGz({
      top: `${grant.repo.owner}-${grant.repo.name}-${grant.commit.slice(0, 7)}`,
      commit: grant.commit,
      mtime: Math.floor(Date.parse(commit?.committer.date ?? "1970-01-01T00:00:00Z") / 1000),
      files,
      readBlob: (sha) => grant.repo.git.readBlob(sha),
    });
    this.downloads.push({ path, status: 200 });
    res.writeHead(200, {
      "content-type": "application/x-gzip",
      "content-disposition": `attachment; filename=${grant.repo.owner}-${grant.repo.name}-${grant.commit.slice(0, 7)}.tar.gz`,
    });
    res.end(body);
  }

  // ---------- rate limits ----------

  private limit(
    method: string,
    actor: string,
  ): { headers: Record<string, string>; primary?: { used: number; start: number }; refuse?: GitHubError; refuseHeaders?: Record<string, string> } {
    const limits = this.rateLimits as RateLimits;
    const scale = limits.timeScale ?? 1;
    const now = Date.now();
    const advertised = (realMs: number) => Math.max(1, Math.ceil((realMs / 1000) * scale));
    const headers: Record<string, string> = {};
    let primary: { used: number; start: number } | undefined;
    if (limits.primary) {
      const p = limits.primary;
      primary = this.primaryUse.get(actor);
      if (!primary || now - primary.start >= p.windowMs) this.primaryUse.set(actor, (primary = { used: 0, start: now }));
      const resetIn = primary.start + p.windowMs - now;
      const reset = String(Math.ceil(now / 1000 + advertised(resetIn)));
      if (primary.used >= p.limit) {
        this.rateLimitStats.primaryRefused++;
        const h = { "x-ratelimit-limit": String(p.limit), "x-ratelimit-remaining": "0", "x-ratelimit-used": String(primary.used), "x-ratelimit-reset": reset };
        return {
          headers: h,
          refuse: new GitHubError(403, `API rate limit exceeded for ${actor}. (But here's the good news: Authenticated requests get a higher rate limit.)`),
          refuseHeaders: h,
        };
      }
      primary.used++;
      Object.assign(headers, {
        "x-ratelimit-limit": String(p.limit),
        "x-ratelimit-remaining": String(p.limit - primary.used),
        "x-ratelimit-used": String(primary.used),
        "x-ratelimit-reset": reset,
      });
    }
    if (limits.secondary) {
      const w = limits.secondary;
      const write = method !== "GET" && method !== "HEAD";
      const times = (this.writeTimes.get(actor) ?? []).filter((t) => now - t < w.windowMs);
      this.writeTimes.set(actor, times);
      const spent = (this.pointTimes.get(actor) ?? []).filter(([t]) => now - t < w.windowMs);
      this.pointTimes.set(actor, spent);
      const cost = write ? 5 : 1;
      const overPoints = w.points !== undefined && spent.reduce((n, [, p]) => n + p, 0) + cost > w.points;
      const overWrites = write && times.length >= w.writes;
      if (overPoints || overWrites) {
        const oldest = overWrites ? (times[0] as number) : (spent[0]?.[0] ?? now);
        this.rateLimitStats.secondaryRefused++;
        if (primary) primary.used = Math.max(0, primary.used - 1);
        return {
          headers,
          refuse: new GitHubError(
            w.status ?? 403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
          ),
          refuseHeaders: { ...headers, "retry-after": String(advertised(oldest + w.windowMs - now)) },
        };
      }
      if (write) times.push(now);
      spent.push([now, cost]);
    }
    return { headers, ...(primary ? { primary } : {}) };
  }

  // ---------- auth ----------

  private authenticate(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
    if (!m?.[1]) fail(401, "Bad credentials");
    const token = m?.[1] ?? "";
    // any well-formed JWT is accepted as the app (signatures are not checked)
    if (/^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token)) return "app";
    const actor = this.s.tokens.get(token);
    if (!actor) fail(401, "Bad credentials");
    return actor;
  }

  private authorize(ctx: Ctx, path: string): void {
    const appRoute = path.startsWith("/app") || /^\/repos\/[^/]+\/[^/]+\/installation$/.test(path);
    if (ctx.actor === "app") {
      if (!appRoute) fail(403, "Resource not accessible by integration");
      return;
    }
    if (path.startsWith("/app")) fail(401, "A JSON web token could not be decoded");
    if (ctx.actor === undefined) {
      if (ctx.method !== "GET") fail(401, "Requires authentication");
      const owner = ctx.params.owner;
      const name = ctx.params.repo;
      if (owner && name && this.s.repo(`${owner}/${name}`).private) fail(404, "Not Found");
    }
  }

  // ---------- routing ----------

  private on(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, segments: pattern.split("/").slice(1), handler });
  }

  private match(method: string, raw: string[]): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < route.segments.length; i++) {
        const seg = route.segments[i] as string;
        if (seg.startsWith("*")) {
          params[seg.slice(1)] = raw.slice(i).map(safeDecode).join("/");
          if (raw.length <= i && seg !== "*path") ok = false;
          break;
        }
        const value = raw[i];
        if (value === undefined) {
          ok = false;
          break;
        }
        if (seg.startsWith(":")) params[seg.slice(1)] = safeDecode(value);
        else if (seg !== value) ok = false;
        if (!ok) break;
      }
      const last = route.segments[route.segments.length - 1] ?? "";
      if (ok && !last.startsWith("*") && raw.length !== route.segments.length) ok = false;
      if (ok) return { route, params };
    }
    return undefined;
  }

  private repoOf(ctx: Ctx): RepoState {
    return this.s.repo(`${ctx.params.owner}/${ctx.params.repo}`);
  }

  private full(repo: RepoState): string {
    return `${repo.owner}/${repo.name}`;
  }

  private writer(ctx: Ctx): string {
    if (!ctx.actor || ctx.actor === "app") return fail(401, "Requires authentication");
    return ctx.actor;
  }

  private paginate(ctx: Ctx, items: unknown[]): Reply {
    const perPage = Math.min(Math.max(Number(ctx.query.per_page ?? 30) || 30, 1), 100);
    const page = Math.max(Number(ctx.query.page ?? 1) || 1, 1);
    const last = Math.max(Math.ceil(items.length / perPage), 1);
    const link = (p: number, rel: string): string => {
      const u = new URL(ctx.url.toString());
      u.searchParams.set("page", String(p));
      u.searchParams.set("per_page", String(perPage));
      return `<${this.s.apiBase}${u.pathname}${u.search}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
    if (page > 1) links.push(link(1, "first"), link(page - 1, "prev"));
    return { body: items.slice((page - 1) * perPage, page * perPage), headers: links.length ? { link: links.join(", ") } : {} };
  }

  private issue(ctx: Ctx): { repo: RepoState; issue: IssueState } {
    const repo = this.repoOf(ctx);
    const issue = repo.issues.get(Number(ctx.params.number));
    if (!issue) fail(404, "Not Found");
    return { repo, issue: issue as IssueState };
  }

  private pull(ctx: Ctx): { repo: RepoState; issue: IssueState } {
    const r = this.issue(ctx);
    if (!r.issue.pull) fail(404, "Not Found");
    return r;
  }

  private resolveRef(repo: RepoState, ref: string | undefined): string {
    const r = ref ?? repo.defaultBranch;
    const sha = repo.git.resolve(r);
    if (!sha) fail(404, `No commit found for the ref ${r}`);
    return sha as string;
  }

  private refJson(repo: RepoState, name: string, sha: string): Record<string, unknown> {
    const full = this.full(repo);
    return {
      ref: `refs/${name}`,
      node_id: `REF_${Buffer.from(name).toString("base64url")}`,
      url: `${this.s.apiBase}/repos/${full}/git/refs/${name}`,
      object: { sha, type: "commit", url: `${this.s.apiBase}/repos/${full}/git/commits/${sha}` },
    };
  }

  private contentEntry(repo: RepoState, path: string, e: FileEntry, ref: string, withContent: boolean): Record<string, unknown> {
    const full = this.full(repo);
    const blob = repo.git.readBlob(e.sha) ?? Buffer.alloc(0);
    const symlink = e.mode === "120000";
    const self = `${this.s.apiBase}/repos/${full}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const git = `${this.s.apiBase}/repos/${full}/git/blobs/${e.sha}`;
    const html = `${this.s.htmlBase}/${full}/blob/${ref}/${path}`;
    return {
      type: symlink ? "symlink" : "file",
      ...(withContent && !symlink ? { encoding: "base64", content: wrap64(blob.toString("base64")) } : {}),
      ...(withContent && symlink ? { target: blob.toString("utf8") } : {}),
      size: blob.length,
      name: path.split("/").pop(),
      path,
      sha: e.sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url: `https://raw.githubusercontent.com/${full}/${ref}/${path}`,
      _links: { self, git, html },
    };
  }

  private commitFromContents(ctx: Ctx, mutate: (files: Map<string, FileEntry>, path: string) => { status: number; entry: FileEntry | undefined }): Reply {
    const repo = this.repoOf(ctx);
    const login = this.writer(ctx);
    const path = normalizePath(ctx.params.path ?? "");
    const message = ctx.body.message;
    if (typeof message !== "string" || !message) fail(422, 'Invalid request.\n\n"message" wasn\'t supplied.');
    const branch = typeof ctx.body.branch === "string" ? ctx.body.branch.replace(/^refs\/heads\//, "") : repo.defaultBranch;
    const parent = repo.git.refs.get(`heads/${branch}`);
    if (!parent) fail(404, `Branch ${branch} not found`);
    const files = new Map(repo.git.filesAt(parent as string));
    const { status, entry } = mutate(files, path);
    const sig = (v: unknown): { name?: string; email?: string } | undefined => (v && typeof v === "object" ? v : undefined);
    const sha = this.s.writeCommit(repo, files, [parent as string], message as string, login, sig(ctx.body.author) ?? sig(ctx.body.committer));
    this.s.setBranch(repo, branch, sha);
    const commit = repo.git.commit(sha);
    return {
      status,
      body: {
        content: entry ? this.contentEntry(repo, path, entry, branch, false) : null,
        commit: commit ? this.s.gitCommitJson(repo, commit) : { sha },
      },
    };
  }

  // ---------- routes ----------

  private register(): void {
    const s = this.s;

    // --- GraphQL: parsed and validated against GitHub's schema, executed over the state (graphql.ts) ---
    this.on("POST", "/graphql", (ctx) => {
      if (!ctx.actor || ctx.actor === "app") fail(401, "This endpoint requires you to be authenticated.");
      return this.graphql.answer(ctx.actor as string, ctx.body);
    });

    // --- app auth ---
    this.on("GET", "/app", () => ({ body: s.appJson() }));
    this.on("GET", "/app/installations", (ctx) => this.paginate(ctx, [s.installationJson()]));
    this.on("GET", "/app/installations/:id", (ctx) => {
      if (Number(ctx.params.id) !== s.app.installationId) fail(404, "Not Found");
      return { body: s.installationJson() };
    });
    this.on("POST", "/app/installations/:id/access_tokens", (ctx) => {
      if (Number(ctx.params.id) !== s.app.installationId) fail(404, "Not Found");
      const { token, expires_at } = s.issueInstallationToken();
      const perms = (ctx.body.permissions as Record<string, string> | undefined) ?? (s.installationJson().permissions as Record<string, string>);
      return { status: 201, body: { token, expires_at, permissions: perms, repository_selection: "all" } };
    });
    this.on("GET", "/repos/:owner/:repo/installation", (ctx) => {
      this.repoOf(ctx);
      return { body: s.installationJson() };
    });
    this.on("GET", "/installation/repositories", (ctx) => {
      const repos = [...s.repos.values()].map((r) => s.repoJson(r));
      const page = this.paginate(ctx, repos);
      return { ...page, body: { total_count: repos.length, repositories: page.body } };
    });

    // Installations an organisation's admin sees (a user token; GitHub also requires org admin, not modelled).
    this.on("GET", "/orgs/:org/installations", (ctx) => {
      if (!ctx.actor || ctx.actor === "app") fail(401, "Requires authentication");
      const org = s.user(ctx.params.org ?? "");
      if (!org || org.type !== "Organization") fail(404, "Not Found");
      const list = org?.login.toLowerCase() === s.app.owner.toLowerCase() ? [s.installationJson()] : [];
      const page = this.paginate(ctx, list);
      return { ...page, body: { total_count: list.length, installations: page.body } };
    });
    // Branch protection and rules, as stored by the test (single-segment branch names only).
    this.on("GET", "/repos/:owner/:repo/branches/:branch/protection", (ctx) => {
      const repo = this.repoOf(ctx);
      const got = s.branchProtection.get(`${this.full(repo)}#${ctx.params.branch ?? ""}`.toLowerCase());
      if (!got) fail(404, "Branch not protected");
      return { body: got };
    });
    this.on("GET", "/repos/:owner/:repo/rules/branches/:branch", (ctx) => {
      const repo = this.repoOf(ctx);
      return this.paginate(ctx, s.branchRules.get(`${this.full(repo)}#${ctx.params.branch ?? ""}`.toLowerCase()) ?? []);
    });

    // --- users, repos, branches ---
    this.on("GET", "/users/:username", (ctx) => {
      if (!s.user(ctx.params.username ?? "")) fail(404, "Not Found");
      return { body: s.userJson(ctx.params.username) };
    });
    this.on("GET", "/repos/:owner/:repo", (ctx) => ({ body: s.repoJson(this.repoOf(ctx)) }));
    this.on("GET", "/repos/:owner/:repo/branches", (ctx) => {
      const repo = this.repoOf(ctx);
      const list = [...repo.git.refs]
        .filter(([n]) => n.startsWith("heads/"))
        .map(([n, sha]) => ({ name: n.slice(6), commit: { sha, url: `${s.apiBase}/repos/${this.full(repo)}/commits/${sha}` }, protected: false }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
      return this.paginate(ctx, list);
    });
    this.on("GET", "/repos/:owner/:repo/branches/*branch", (ctx) => {
      const repo = this.repoOf(ctx);
      const name = ctx.params.branch ?? "";
      const sha = repo.git.refs.get(`heads/${name}`);
      const c = sha ? repo.git.commit(sha) : undefined;
      if (!c) return fail(404, "Branch not found");
      return {
        body: {
          name,
          commit: s.commitJson(repo, c),
          protected: false,
          _links: { self: `${s.apiBase}/repos/${this.full(repo)}/branches/${name}`, html: `${s.htmlBase}/${this.full(repo)}/tree/${name}` },
        },
      };
    });
    this.on("GET", "/repos/:owner/:repo/collaborators/:username/permission", (ctx) => {
      const repo = this.repoOf(ctx);
      const login = ctx.params.username ?? "";
      if (!s.user(login)) fail(404, "Not Found");
      const permission = s.permission(repo, login);
      const legacy = permission === "maintain" ? "write" : permission === "triage" ? "read" : permission;
      return { body: { permission: legacy, role_name: permission, user: s.userJson(login) } };
    });
    this.on("GET", "/repos/:owner/:repo/collaborators/:username", (ctx) => {
      const repo = this.repoOf(ctx);
      const p = s.permission(repo, ctx.params.username ?? "");
      if (p === "none" || (!repo.collaborators.has((ctx.params.username ?? "").toLowerCase()) && p !== "admin")) fail(404, "Not Found");
      return { status: 204 };
    });

    // --- teams ---
    const team = (ctx: Ctx) => {
      const t = s.teams.get(`${ctx.params.org}/${ctx.params.team_slug}`.toLowerCase());
      if (!t) fail(404, "Not Found");
      return t as NonNullable<typeof t>;
    };
    this.on("GET", "/orgs/:org/teams/:team_slug", (ctx) => ({ body: s.teamJson(team(ctx)) }));
    this.on("GET", "/orgs/:org/teams/:team_slug/members", (ctx) => {
      const t = team(ctx);
      const role = ctx.query.role ?? "all";
      const members = [...t.members].filter(([, m]) => m.state === "active" && (role === "all" || m.role === role)).map(([login]) => s.userJson(login));
      return this.paginate(ctx, members);
    });
    this.on("GET", "/orgs/:org/teams/:team_slug/memberships/:username", (ctx) => {
      const t = team(ctx);
      const login = ctx.params.username ?? "";
      const m = t.members.get(login.toLowerCase());
      if (!m) fail(404, "Not Found");
      return { body: { url: `${s.apiBase}/orgs/${t.org}/teams/${t.slug}/memberships/${login}`, role: m?.role, state: m?.state } };
    });

    // --- contents ---
    this.on("GET", "/repos/:owner/:repo/contents/*path", (ctx) => {
      const repo = this.repoOf(ctx);
      const ref = ctx.query.ref || repo.defaultBranch;
      const sha = this.resolveRef(repo, ref);
      const files = repo.git.filesAt(sha);
      const path = normalizePath(ctx.params.path ?? "");
      const raw = /application\/vnd\.github(?:\.v3)?\.raw/.test(ctx.accept);
      let e = files.get(path);
      let shownPath = path;
      if (e?.mode === "120000") {
        // GitHub: a symlink to a file in the repository answers with that file; otherwise the link itself
        const target = repo.git.readBlob(e.sha)?.toString("utf8") ?? "";
        const resolved = resolveLink(path, target);
        const t = resolved !== undefined ? files.get(resolved) : undefined;
        if (t && t.mode !== "120000" && resolved !== undefined) {
          e = t;
          shownPath = resolved;
        }
      }
      if (e) {
        if (raw && e.mode !== "120000")
          return { raw: repo.git.readBlob(e.sha) ?? Buffer.alloc(0), headers: { "content-type": "application/vnd.github.raw; charset=utf-8" } };
        return { body: this.contentEntry(repo, shownPath, e, ref, true) };
      }
      const prefix = path ? `${path}/` : "";
      const children = new Map<string, Record<string, unknown>>();
      const commit = repo.git.commit(sha);
      for (const [p, entry] of files) {
        if (!p.startsWith(prefix)) continue;
        const rest = p.slice(prefix.length);
        const slash = rest.indexOf("/");
        if (slash === -1) children.set(rest, this.contentEntry(repo, p, entry, ref, false));
        else {
          const name = rest.slice(0, slash);
          const dirPath = `${prefix}${name}`;
          if (!children.has(name)) {
            const treeSha = commit ? repo.git.subtreeSha(commit.tree, dirPath) : undefined;
            children.set(name, {
              type: "dir",
              size: 0,
              name,
              path: dirPath,
              sha: treeSha,
              url: `${s.apiBase}/repos/${this.full(repo)}/contents/${dirPath}?ref=${encodeURIComponent(ref)}`,
              git_url: `${s.apiBase}/repos/${this.full(repo)}/git/trees/${treeSha}`,
              html_url: `${s.htmlBase}/${this.full(repo)}/tree/${ref}/${dirPath}`,
              download_url: null,
              _links: {
                self: `${s.apiBase}/repos/${this.full(repo)}/contents/${dirPath}?ref=${encodeURIComponent(ref)}`,
                git: `${s.apiBase}/repos/${this.full(repo)}/git/trees/${treeSha}`,
                html: `${s.htmlBase}/${this.full(repo)}/tree/${ref}/${dirPath}`,
              },
            });
          }
        }
      }
      if (!children.size && path) fail(404, "Not Found");
      return { body: [...children.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v) };
    });
    this.on("PUT", "/repos/:owner/:repo/contents/*path", (ctx) =>
      this.commitFromContents(ctx, (files, path) => {
        if (!path) fail(422, "Invalid request.\n\nFor 'properties/path', nil is not a string.");
        const content = ctx.body.content;
        if (typeof content !== "string") fail(422, 'Invalid request.\n\n"content" wasn\'t supplied.');
        if (!/^[A-Za-z0-9+/=\s]*$/.test(content as string)) fail(422, "content is not valid Base64");
        const existing = files.get(path);
        if ([...files.keys()].some((p) => p.startsWith(`${path}/`))) fail(422, `Invalid request.\n\n${path} is a directory.`);
        const sha = typeof ctx.body.sha === "string" ? ctx.body.sha : undefined;
        if (existing && !sha) fail(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
        if (existing && sha !== existing.sha) fail(409, `${path} does not match ${sha}`);
        // a new path ignores any `sha` (GitHub answers 201; measured by others against github.com)
        const repo = this.repoOf(ctx);
        const entry: FileEntry = { sha: repo.git.writeBlob(Buffer.from(content as string, "base64")), mode: existing?.mode === "100755" ? "100755" : "100644" };
        files.set(path, entry);
        return { status: existing ? 200 : 201, entry };
      }),
    );
    this.on("DELETE", "/repos/:owner/:repo/contents/*path", (ctx) =>
      this.commitFromContents(ctx, (files, path) => {
        const sha = typeof ctx.body.sha === "string" ? ctx.body.sha : undefined;
        if (!sha) fail(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
        const existing = files.get(path);
        if (!existing) fail(404, "Not Found");
        if (existing?.sha !== sha) fail(409, `${path} does not match ${sha}`);
        files.delete(path);
        return { status: 200, entry: undefined };
      }),
    );

    // --- git data ---
    const refName = (ctx: Ctx): string => (ctx.params.ref ?? "").replace(/^refs\//, "");
    this.on("GET", "/repos/:owner/:repo/git/ref/*ref", (ctx) => {
      const repo = this.repoOf(ctx);
      const name = refName(ctx);
      const sha = repo.git.refs.get(name);
      if (!sha) fail(404, "Not Found");
      return { body: this.refJson(repo, name, sha as string) };
    });
    this.on("GET", "/repos/:owner/:repo/git/matching-refs/*ref", (ctx) => {
      const repo = this.repoOf(ctx);
      const prefix = refName(ctx);
      const list = [...repo.git.refs]
        .filter(([n]) => n.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, sha]) => this.refJson(repo, n, sha));
      return this.paginate(ctx, list);
    });
    this.on("POST", "/repos/:owner/:repo/git/refs", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const ref = String(ctx.body.ref ?? "");
      const sha = String(ctx.body.sha ?? "");
      if (!/^refs\/[^/]+\/.+/.test(ref)) fail(422, "Reference name must start with 'refs/' and have at least two slashes.");
      const name = ref.slice(5);
      if (repo.git.refs.has(name)) fail(422, "Reference already exists");
      if (!repo.git.commit(sha)) fail(422, "Object does not exist");
      if (name.startsWith("heads/")) s.setBranch(repo, name.slice(6), sha);
      else repo.git.refs.set(name, sha);
      return { status: 201, body: this.refJson(repo, name, sha) };
    });
    this.on("PATCH", "/repos/:owner/:repo/git/refs/*ref", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const name = refName(ctx);
      const current = repo.git.refs.get(name);
      const sha = String(ctx.body.sha ?? "");
      if (!current) fail(422, "Reference does not exist");
      if (!repo.git.commit(sha)) fail(422, "Object does not exist");
      if (ctx.body.force !== true && !repo.git.isAncestor(current as string, sha)) fail(422, "Update is not a fast forward");
      if (name.startsWith("heads/")) s.setBranch(repo, name.slice(6), sha);
      else repo.git.refs.set(name, sha);
      return { body: this.refJson(repo, name, sha) };
    });
    this.on("DELETE", "/repos/:owner/:repo/git/refs/*ref", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const name = refName(ctx);
      if (!repo.git.refs.has(name)) fail(422, "Reference does not exist");
      repo.git.refs.delete(name);
      return { status: 204 };
    });
    this.on("GET", "/repos/:owner/:repo/git/commits/:sha", (ctx) => {
      const repo = this.repoOf(ctx);
      const c = repo.git.commit(ctx.params.sha ?? "");
      if (!c) return fail(404, "Not Found");
      return { body: s.gitCommitJson(repo, c) };
    });
    this.on("GET", "/repos/:owner/:repo/git/blobs/:sha", (ctx) => {
      const repo = this.repoOf(ctx);
      const b = repo.git.readBlob(ctx.params.sha ?? "");
      if (!b) return fail(404, "Not Found");
      return {
        body: {
          sha: ctx.params.sha,
          node_id: `B_${ctx.params.sha}`,
          size: b.length,
          url: `${s.apiBase}/repos/${this.full(repo)}/git/blobs/${ctx.params.sha}`,
          content: wrap64(b.toString("base64")),
          encoding: "base64",
        },
      };
    });
    this.on("POST", "/repos/:owner/:repo/git/blobs", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      if (typeof ctx.body.content !== "string") fail(422, 'Invalid request.\n\n"content" wasn\'t supplied.');
      const sha = repo.git.writeBlob(Buffer.from(ctx.body.content as string, ctx.body.encoding === "base64" ? "base64" : "utf8"));
      return { status: 201, body: { sha, url: `${s.apiBase}/repos/${this.full(repo)}/git/blobs/${sha}` } };
    });
    this.on("GET", "/repos/:owner/:repo/git/trees/*sha", (ctx) => {
      const repo = this.repoOf(ctx);
      let sha = ctx.params.sha ?? "";
      const c = repo.git.commit(sha) ?? repo.git.commit(repo.git.resolve(sha) ?? "");
      if (c) sha = c.tree;
      const top = repo.git.treeEntries(sha);
      if (!top) return fail(404, "Not Found");
      const url = (t: string, x: string): string => `${s.apiBase}/repos/${this.full(repo)}/git/${t === "tree" ? "trees" : "blobs"}/${x}`;
      const entries: Record<string, unknown>[] = [];
      const walk = (treeSha: string, prefix: string): void => {
        for (const e of repo.git.treeEntries(treeSha) ?? []) {
          const path = `${prefix}${e.name}`;
          entries.push({
            path,
            mode: e.mode === "40000" ? "040000" : e.mode,
            type: e.type,
            sha: e.sha,
            ...(e.type === "blob" ? { size: repo.git.readBlob(e.sha)?.length ?? 0 } : {}),
            url: url(e.type, e.sha),
          });
          if (e.type === "tree" && ctx.query.recursive) walk(e.sha, `${path}/`);
        }
      };
      walk(sha, "");
      // Over the limit GitHub lists a prefix of the entries and says so; a non-recursive listing is never cut.
      const truncated = Boolean(ctx.query.recursive) && entries.length > this.treeLimit;
      return { body: { sha, url: url("tree", sha), tree: truncated ? entries.slice(0, this.treeLimit) : entries, truncated } };
    });
    // Archives: a 302 to codeload with a short-lived token in the URL (a private repository's
    // archive is reachable by that URL alone), as GitHub answers it.
    this.on("GET", "/repos/:owner/:repo/tarball/*ref", (ctx) => {
      const repo = this.repoOf(ctx);
      const ref = ctx.params.ref || repo.defaultBranch;
      const commit = repo.git.resolve(ref);
      if (!commit) return fail(404, "Not Found");
      const token = createHash("sha1").update(`${this.archiveTokens.size}:${commit}:${Math.random()}`).digest("hex");
      this.archiveTokens.set(token, { repo, commit });
      const location = `${s.apiBase}/_codeload/${this.full(repo)}/legacy.tar.gz/${encodeURIComponent(ref)}?token=${token}`;
      return { status: 302, headers: { location }, raw: Buffer.alloc(0) };
    });
    this.on("POST", "/repos/:owner/:repo/git/trees", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const baseTree = typeof ctx.body.base_tree === "string" ? ctx.body.base_tree : undefined;
      if (baseTree && !repo.git.trees.has(baseTree)) fail(422, "Invalid request.\n\nbase_tree is not a valid tree");
      const files = new Map(baseTree ? repo.git.flatten(baseTree) : []);
      const tree = Array.isArray(ctx.body.tree) ? (ctx.body.tree as Record<string, unknown>[]) : fail(422, 'Invalid request.\n\n"tree" wasn\'t supplied.');
      for (const t of tree) {
        const path = normalizePath(String(t.path ?? ""));
        const mode = String(t.mode ?? "100644");
        if (mode === "040000" || t.type === "tree") fail(422, "fake-github: sub-tree entries are not modelled; give file paths");
        if (t.sha === null) {
          files.delete(path);
          continue;
        }
        const sha = typeof t.content === "string" ? repo.git.writeBlob(t.content) : String(t.sha ?? "");
        if (!repo.git.readBlob(sha)) fail(422, `Invalid request.\n\nsha ${sha} is not a blob`);
        files.set(path, { sha, mode: mode === "120000" ? "120000" : mode === "100755" ? "100755" : "100644" });
      }
      const sha = repo.git.writeTree(files);
      ctx.query.recursive = "1";
      return {
        status: 201,
        body: {
          sha,
          url: `${s.apiBase}/repos/${this.full(repo)}/git/trees/${sha}`,
          tree: [...files].map(([path, e]) => ({ path, mode: e.mode, type: "blob", sha: e.sha })),
          truncated: false,
        },
      };
    });
    this.on("POST", "/repos/:owner/:repo/git/commits", (ctx) => {
      const repo = this.repoOf(ctx);
      const login = this.writer(ctx);
      const tree = String(ctx.body.tree ?? "");
      if (!repo.git.trees.has(tree)) fail(422, "Tree SHA does not exist");
      const parents = Array.isArray(ctx.body.parents) ? (ctx.body.parents as unknown[]).map(String) : [];
      for (const p of parents) if (!repo.git.commit(p)) fail(422, "Parent SHA does not exist or is not a commit object");
      if (typeof ctx.body.message !== "string") fail(422, 'Invalid request.\n\n"message" wasn\'t supplied.');
      const sig = ctx.body.author as { name?: string; email?: string; date?: string } | undefined;
      const author = s.signature(login, sig);
      const sha = repo.git.writeCommit({ tree, parents, message: ctx.body.message as string, author, authorLogin: login });
      return { status: 201, body: s.gitCommitJson(repo, repo.git.commit(sha) as NonNullable<ReturnType<typeof repo.git.commit>>) };
    });

    // --- commits ---
    this.on("GET", "/repos/:owner/:repo/commits", (ctx) => {
      const repo = this.repoOf(ctx);
      const from = repo.git.resolve(ctx.query.sha || repo.defaultBranch);
      if (!from) fail(404, `No commit found for SHA: ${ctx.query.sha}`);
      let list = repo.git.log(from as string, ctx.query.path ? { path: ctx.query.path } : {});
      const author = ctx.query.author?.toLowerCase();
      if (author) list = list.filter((c) => c.authorLogin?.toLowerCase() === author || c.author.email.toLowerCase() === author);
      if (ctx.query.since) list = list.filter((c) => Date.parse(c.committer.date) >= Date.parse(ctx.query.since ?? ""));
      if (ctx.query.until) list = list.filter((c) => Date.parse(c.committer.date) <= Date.parse(ctx.query.until ?? ""));
      return this.paginate(
        ctx,
        list.map((c) => s.commitJson(repo, c)),
      );
    });
    this.on("GET", "/repos/:owner/:repo/commits/*ref", (ctx) => {
      const repo = this.repoOf(ctx);
      const ref = ctx.params.ref ?? "";
      const checks = /\/check-runs$/.exec(ref);
      if (checks) return this.listCheckRuns(ctx, repo, ref.slice(0, checks.index));
      const sha = repo.git.resolve(ref);
      if (!sha) fail(422, `No commit found for SHA: ${ref}`);
      return { body: s.commitJson(repo, repo.git.commit(sha as string) as NonNullable<ReturnType<typeof repo.git.commit>>, true) };
    });
    this.on("GET", "/repos/:owner/:repo/compare/*basehead", (ctx) => {
      const repo = this.repoOf(ctx);
      const [baseRef, headRef] = (ctx.params.basehead ?? "").split("...");
      const base = repo.git.resolve(baseRef ?? "");
      const head = repo.git.resolve(headRef ?? "");
      if (!base || !head) return fail(404, "Not Found");
      const mb = repo.git.mergeBase(base, head);
      const ahead = repo.git.range(base, head);
      const behind = repo.git.range(head, base);
      const status = ahead.length && behind.length ? "diverged" : ahead.length ? "ahead" : behind.length ? "behind" : "identical";
      const mbCommit = mb ? repo.git.commit(mb) : undefined;
      const full = this.full(repo);
      const basehead = ctx.params.basehead ?? "";
      return {
        body: {
          url: `${s.apiBase}/repos/${full}/compare/${basehead}`,
          html_url: `${s.htmlBase}/${full}/compare/${basehead}`,
          permalink_url: `${s.htmlBase}/${full}/compare/${repo.owner}:${base.slice(0, 7)}...${repo.owner}:${head.slice(0, 7)}`,
          diff_url: `${s.htmlBase}/${full}/compare/${basehead}.diff`,
          patch_url: `${s.htmlBase}/${full}/compare/${basehead}.patch`,
          status,
          ahead_by: ahead.length,
          behind_by: behind.length,
          total_commits: ahead.length,
          merge_base_commit: mbCommit ? s.commitJson(repo, mbCommit) : null,
          base_commit: s.commitJson(repo, repo.git.commit(base) as NonNullable<ReturnType<typeof repo.git.commit>>),
          commits: ahead.map((c) => s.commitJson(repo, c)),
          files: repo.git.diff(mb ? repo.git.filesAt(mb) : new Map(), repo.git.filesAt(head)).map((f) => s.fileChangeJson(repo, f, head)),
        },
      };
    });

    // --- pulls ---
    this.on("POST", "/repos/:owner/:repo/pulls", (ctx) => {
      const repo = this.repoOf(ctx);
      const user = this.writer(ctx);
      const title = ctx.body.title;
      const head = ctx.body.head;
      const base = ctx.body.base;
      if (typeof head !== "string" || typeof base !== "string") return fail(422, 'Invalid request.\n\n"head" and "base" weren\'t supplied.');
      if (typeof title !== "string" && ctx.body.issue === undefined) fail(422, 'Invalid request.\n\n"title" wasn\'t supplied.');
      if (head.includes(":") && head.split(":")[0]?.toLowerCase() !== repo.owner.toLowerCase())
        fail(422, "Validation Failed", { errors: [{ resource: "PullRequest", field: "head", code: "invalid" }] });
      const n = s.openPull(this.full(repo), {
        user,
        head,
        base,
        title: String(title),
        body: typeof ctx.body.body === "string" ? ctx.body.body : null,
        draft: ctx.body.draft === true,
      });
      return { status: 201, body: s.pullJson(repo, repo.issues.get(n) as IssueState) };
    });
    this.on("GET", "/repos/:owner/:repo/pulls", (ctx) => {
      const repo = this.repoOf(ctx);
      const state = ctx.query.state ?? "open";
      const head = ctx.query.head;
      let list = [...repo.issues.values()].filter((i) => i.pull && (state === "all" || i.state === state));
      if (head) {
        const [owner, branch] = head.includes(":") ? head.split(":", 2) : [repo.owner, head];
        list = owner?.toLowerCase() === repo.owner.toLowerCase() ? list.filter((i) => i.pull?.headRef === branch) : [];
      }
      if (ctx.query.base) list = list.filter((i) => i.pull?.baseRef === ctx.query.base);
      const asc = ctx.query.direction === "asc";
      list.sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
      return this.paginate(
        ctx,
        list.map((i) => s.pullJson(repo, i)),
      );
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      return { body: s.pullJson(repo, issue) };
    });
    this.on("PATCH", "/repos/:owner/:repo/pulls/:number", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      const user = this.writer(ctx);
      if (typeof ctx.body.title === "string") issue.title = ctx.body.title;
      if (typeof ctx.body.body === "string" || ctx.body.body === null) issue.body = ctx.body.body;
      if (typeof ctx.body.base === "string") {
        if (!repo.git.refs.has(`heads/${ctx.body.base}`))
          fail(422, "Validation Failed", { errors: [{ resource: "PullRequest", field: "base", code: "invalid" }] });
        const p = issue.pull;
        if (p) {
          p.baseRef = ctx.body.base;
          p.baseTip = repo.git.refs.get(`heads/${p.baseRef}`) ?? p.baseTip;
          p.baseSha = p.baseTip; // a base change is an update of the PR
        }
      }
      if (ctx.body.state === "open" || ctx.body.state === "closed") s.setIssueState(this.full(repo), issue.number, ctx.body.state, { user });
      issue.updated_at = s.time();
      return { body: s.pullJson(repo, issue) };
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number/files", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      return this.paginate(
        ctx,
        s.pullFiles(this.full(repo), issue.number).map((f) => s.fileChangeJson(repo, f, issue.pull?.headSha ?? "")),
      );
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number/commits", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      return this.paginate(
        ctx,
        s.pullCommits(this.full(repo), issue.number).map((c) => s.commitJson(repo, c)),
      );
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number/merge", (ctx) => {
      const { issue } = this.pull(ctx);
      return issue.pull?.merged ? { status: 204 } : fail(404, "Not Found");
    });
    this.on("PUT", "/repos/:owner/:repo/pulls/:number/merge", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      const user = this.writer(ctx);
      const method = ctx.body.merge_method;
      if (method !== undefined && method !== "merge" && method !== "squash" && method !== "rebase")
        fail(422, "Invalid request.\n\nmerge_method is not a valid value.");
      const sha = s.mergePull(this.full(repo), issue.number, {
        user,
        method: (method as "merge" | "squash" | "rebase" | undefined) ?? "merge",
        ...(typeof ctx.body.commit_title === "string" ? { title: ctx.body.commit_title } : {}),
        ...(typeof ctx.body.commit_message === "string" ? { message: ctx.body.commit_message } : {}),
        ...(typeof ctx.body.sha === "string" ? { sha: ctx.body.sha } : {}),
      });
      return { body: { sha, merged: true, message: "Pull Request successfully merged" } };
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number/reviews", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      // pending reviews are visible to their author only
      const list = (issue.pull?.reviews ?? []).filter((r) => r.state !== "PENDING" || r.user.toLowerCase() === ctx.actor?.toLowerCase());
      return this.paginate(
        ctx,
        list.map((r) => s.reviewJson(repo, issue, r)),
      );
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number/reviews/:review_id", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      const r = issue.pull?.reviews.find((x) => x.id === Number(ctx.params.review_id));
      if (!r) return fail(404, "Not Found");
      return { body: s.reviewJson(repo, issue, r) };
    });
    this.on("POST", "/repos/:owner/:repo/pulls/:number/reviews", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      const user = this.writer(ctx);
      const event = ctx.body.event;
      const state = event === "APPROVE" ? "APPROVED" : event === "REQUEST_CHANGES" ? "CHANGES_REQUESTED" : event === "COMMENT" ? "COMMENTED" : "PENDING";
      if ((state === "CHANGES_REQUESTED" || state === "COMMENTED") && !ctx.body.body)
        fail(422, "Unprocessable Entity", { errors: [`Review body is required for ${String(event)}`] });
      const id = s.addReview(this.full(repo), issue.number, {
        user,
        state,
        ...(typeof ctx.body.commit_id === "string" ? { commitId: ctx.body.commit_id } : {}),
        ...(typeof ctx.body.body === "string" ? { body: ctx.body.body } : {}),
      });
      const r = issue.pull?.reviews.find((x) => x.id === id);
      return { body: r ? s.reviewJson(repo, issue, r) : {} };
    });
    this.on("PUT", "/repos/:owner/:repo/pulls/:number/reviews/:review_id/dismissals", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      this.writer(ctx);
      s.dismissReview(this.full(repo), issue.number, Number(ctx.params.review_id));
      const r = issue.pull?.reviews.find((x) => x.id === Number(ctx.params.review_id));
      return { body: r ? s.reviewJson(repo, issue, r) : {} };
    });
    this.on("GET", "/repos/:owner/:repo/pulls/:number/requested_reviewers", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      const p = issue.pull;
      return {
        body: {
          users: (p?.requestedReviewers ?? []).map((u) => s.userJson(u)),
          teams: (p?.requestedTeams ?? []).map((t) =>
            s.teamJson(s.teams.get(`${repo.owner}/${t}`.toLowerCase()) ?? { id: 0, org: repo.owner, slug: t, name: t, members: new Map() }),
          ),
        },
      };
    });
    this.on("POST", "/repos/:owner/:repo/pulls/:number/requested_reviewers", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      this.writer(ctx);
      const p = issue.pull;
      if (!p) return fail(404, "Not Found");
      const users = Array.isArray(ctx.body.reviewers) ? (ctx.body.reviewers as unknown[]).map(String) : [];
      const teams = Array.isArray(ctx.body.team_reviewers) ? (ctx.body.team_reviewers as unknown[]).map(String) : [];
      for (const u of users) {
        if (u.toLowerCase() === issue.user.toLowerCase()) fail(422, "Review cannot be requested from pull request author.");
        if (!s.user(u) || s.permission(repo, u) === "none")
          fail(
            422,
            "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the " +
              `${this.full(repo)} repository.`,
          );
      }
      for (const t of teams)
        if (!s.teams.has(`${repo.owner}/${t}`.toLowerCase()))
          fail(
            422,
            "Reviews may only be requested from collaborators. One or more of the teams you specified is not a collaborator of the " +
              `${this.full(repo)} repository.`,
          );
      for (const u of users) if (!p.requestedReviewers.some((x) => x.toLowerCase() === u.toLowerCase())) p.requestedReviewers.push(u);
      for (const t of teams) if (!p.requestedTeams.includes(t)) p.requestedTeams.push(t);
      return { status: 201, body: s.pullJson(repo, issue) };
    });
    this.on("DELETE", "/repos/:owner/:repo/pulls/:number/requested_reviewers", (ctx) => {
      const { repo, issue } = this.pull(ctx);
      this.writer(ctx);
      const p = issue.pull;
      if (!p) return fail(404, "Not Found");
      const users = new Set((Array.isArray(ctx.body.reviewers) ? (ctx.body.reviewers as unknown[]) : []).map((u) => String(u).toLowerCase()));
      const teams = new Set((Array.isArray(ctx.body.team_reviewers) ? (ctx.body.team_reviewers as unknown[]) : []).map(String));
      p.requestedReviewers = p.requestedReviewers.filter((u) => !users.has(u.toLowerCase()));
      p.requestedTeams = p.requestedTeams.filter((t) => !teams.has(t));
      return { body: s.pullJson(repo, issue) };
    });

    // --- issues ---
    this.on("POST", "/repos/:owner/:repo/issues", (ctx) => {
      const repo = this.repoOf(ctx);
      const user = this.writer(ctx);
      if (typeof ctx.body.title !== "string" || !ctx.body.title)
        fail(422, "Validation Failed", { errors: [{ resource: "Issue", code: "missing_field", field: "title" }] });
      const n = s.openIssue(this.full(repo), {
        user,
        title: ctx.body.title as string,
        body: typeof ctx.body.body === "string" ? ctx.body.body : null,
        labels: labelNames(ctx.body.labels),
        assignees: Array.isArray(ctx.body.assignees) ? (ctx.body.assignees as unknown[]).map(String) : [],
      });
      return { status: 201, body: s.issueJson(repo, repo.issues.get(n) as IssueState) };
    });
    this.on("GET", "/repos/:owner/:repo/issues", (ctx) => {
      const repo = this.repoOf(ctx);
      const state = ctx.query.state ?? "open";
      const labels = ctx.query.labels ? ctx.query.labels.split(",").map((l) => l.trim().toLowerCase()) : [];
      let list = [...repo.issues.values()].filter((i) => state === "all" || i.state === state);
      if (labels.length) list = list.filter((i) => labels.every((l) => i.labels.some((x) => x.toLowerCase() === l)));
      if (ctx.query.creator) list = list.filter((i) => i.user.toLowerCase() === ctx.query.creator?.toLowerCase());
      const asc = ctx.query.direction === "asc";
      list.sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
      return this.paginate(
        ctx,
        list.map((i) => s.issueJson(repo, i)),
      );
    });
    this.on("GET", "/repos/:owner/:repo/issues/:number", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      return { body: s.issueJson(repo, issue) };
    });
    this.on("PATCH", "/repos/:owner/:repo/issues/:number", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      const user = this.writer(ctx);
      const b = ctx.body;
      if (typeof b.title === "string") issue.title = b.title;
      if ((typeof b.body === "string" || b.body === null) && b.body !== issue.body) {
        issue.body = b.body;
        issue.editor = user;
      }
      if (b.labels !== undefined) {
        issue.labels = [];
        s.addLabels(this.full(repo), issue.number, labelNames(b.labels));
      }
      if (Array.isArray(b.assignees)) issue.assignees = (b.assignees as unknown[]).map(String);
      const reason = b.state_reason;
      if (reason !== undefined && reason !== null && reason !== "completed" && reason !== "not_planned" && reason !== "reopened")
        fail(422, "Validation Failed", { errors: [{ resource: "Issue", code: "invalid", field: "state_reason", value: reason }] });
      if (b.state !== undefined && b.state !== "open" && b.state !== "closed")
        fail(422, "Validation Failed", { errors: [{ resource: "Issue", code: "invalid", field: "state", value: b.state }] });
      if (b.state === "open" || b.state === "closed")
        s.setIssueState(this.full(repo), issue.number, b.state, {
          user,
          reason: (reason as "completed" | "not_planned" | "reopened" | null | undefined) ?? null,
        });
      issue.updated_at = s.time();
      return { body: s.issueJson(repo, issue) };
    });
    this.on("GET", "/repos/:owner/:repo/issues/:number/comments", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      return this.paginate(
        ctx,
        issue.comments.map((c) => s.commentJson(repo, issue, c)),
      );
    });
    this.on("POST", "/repos/:owner/:repo/issues/:number/comments", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      const user = this.writer(ctx);
      if (typeof ctx.body.body !== "string" || !ctx.body.body)
        fail(422, "Validation Failed", { errors: [{ resource: "IssueComment", code: "missing_field", field: "body" }] });
      if ((ctx.body.body as string).length > 65536)
        fail(422, "Validation Failed", {
          errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }],
        });
      const id = s.addComment(this.full(repo), issue.number, { user, body: ctx.body.body as string });
      const c = issue.comments.find((x) => x.id === id);
      return { status: 201, body: c ? s.commentJson(repo, issue, c) : {} };
    });
    const comment = (ctx: Ctx) => {
      const repo = this.repoOf(ctx);
      const found = s.findComment(repo, Number(ctx.params.comment_id));
      if (!found) fail(404, "Not Found");
      return { repo, ...(found as NonNullable<typeof found>) };
    };
    this.on("GET", "/repos/:owner/:repo/issues/comments/:comment_id", (ctx) => {
      const { repo, issue, comment: c } = comment(ctx);
      return { body: s.commentJson(repo, issue, c) };
    });
    this.on("PATCH", "/repos/:owner/:repo/issues/comments/:comment_id", (ctx) => {
      const { repo, issue, comment: c } = comment(ctx);
      this.writer(ctx);
      if (typeof ctx.body.body !== "string") fail(422, "Validation Failed");
      c.body = ctx.body.body as string;
      c.updated_at = s.time();
      return { body: s.commentJson(repo, issue, c) };
    });
    this.on("DELETE", "/repos/:owner/:repo/issues/comments/:comment_id", (ctx) => {
      const { issue, comment: c } = comment(ctx);
      this.writer(ctx);
      issue.comments = issue.comments.filter((x) => x !== c);
      return { status: 204 };
    });

    // --- labels ---
    const issueLabels = (repo: RepoState, issue: IssueState) => issue.labels.map((l) => s.labelJson(repo, l));
    this.on("GET", "/repos/:owner/:repo/issues/:number/labels", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      return this.paginate(ctx, issueLabels(repo, issue));
    });
    this.on("POST", "/repos/:owner/:repo/issues/:number/labels", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      this.writer(ctx);
      const names = labelNames(Array.isArray(ctx.rawBody) ? ctx.rawBody : ctx.body.labels);
      if (!names.length) fail(422, "Invalid request.\n\nNo labels given.");
      s.addLabels(this.full(repo), issue.number, names);
      return { body: issueLabels(repo, issue) };
    });
    this.on("PUT", "/repos/:owner/:repo/issues/:number/labels", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      this.writer(ctx);
      issue.labels = [];
      s.addLabels(this.full(repo), issue.number, labelNames(Array.isArray(ctx.rawBody) ? ctx.rawBody : ctx.body.labels));
      return { body: issueLabels(repo, issue) };
    });
    this.on("DELETE", "/repos/:owner/:repo/issues/:number/labels", (ctx) => {
      const { issue } = this.issue(ctx);
      this.writer(ctx);
      issue.labels = [];
      return { status: 204 };
    });
    this.on("DELETE", "/repos/:owner/:repo/issues/:number/labels/:name", (ctx) => {
      const { repo, issue } = this.issue(ctx);
      this.writer(ctx);
      const name = (ctx.params.name ?? "").toLowerCase();
      if (!issue.labels.some((l) => l.toLowerCase() === name)) fail(404, "Label does not exist");
      issue.labels = issue.labels.filter((l) => l.toLowerCase() !== name);
      return { body: issueLabels(repo, issue) };
    });
    this.on("GET", "/repos/:owner/:repo/labels", (ctx) => {
      const repo = this.repoOf(ctx);
      return this.paginate(
        ctx,
        [...repo.labels.values()].map((l) => s.labelJson(repo, l.name)),
      );
    });
    this.on("GET", "/repos/:owner/:repo/labels/:name", (ctx) => {
      const repo = this.repoOf(ctx);
      if (!repo.labels.has((ctx.params.name ?? "").toLowerCase())) fail(404, "Not Found");
      return { body: s.labelJson(repo, ctx.params.name ?? "") };
    });
    this.on("POST", "/repos/:owner/:repo/labels", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const name = ctx.body.name;
      if (typeof name !== "string" || !name) return fail(422, "Validation Failed", { errors: [{ resource: "Label", code: "missing_field", field: "name" }] });
      if (repo.labels.has(name.toLowerCase())) fail(422, "Validation Failed", { errors: [{ resource: "Label", code: "already_exists", field: "name" }] });
      const color = typeof ctx.body.color === "string" ? ctx.body.color.replace(/^#/, "") : "ededed";
      if (!/^[0-9a-fA-F]{6}$/.test(color)) fail(422, "Validation Failed", { errors: [{ resource: "Label", code: "invalid", field: "color" }] });
      repo.labels.set(name.toLowerCase(), { id: s.id(), name, color, description: typeof ctx.body.description === "string" ? ctx.body.description : null });
      return { status: 201, body: s.labelJson(repo, name) };
    });
    this.on("PATCH", "/repos/:owner/:repo/labels/:name", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const l = repo.labels.get((ctx.params.name ?? "").toLowerCase());
      if (!l) return fail(404, "Not Found");
      if (typeof ctx.body.color === "string") l.color = ctx.body.color.replace(/^#/, "");
      if (typeof ctx.body.description === "string") l.description = ctx.body.description;
      return { body: s.labelJson(repo, l.name) };
    });
    this.on("DELETE", "/repos/:owner/:repo/labels/:name", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const key = (ctx.params.name ?? "").toLowerCase();
      if (!repo.labels.delete(key)) fail(404, "Not Found");
      for (const i of repo.issues.values()) i.labels = i.labels.filter((l) => l.toLowerCase() !== key);
      return { status: 204 };
    });

    // --- checks ---
    this.on("POST", "/repos/:owner/:repo/check-runs", (ctx) => {
      const repo = this.repoOf(ctx);
      const login = this.writer(ctx);
      if (login !== s.app.botLogin) fail(403, "You must authenticate via a GitHub App.");
      const b = ctx.body;
      if (typeof b.name !== "string" || !b.name) fail(422, 'Invalid request.\n\n"name" wasn\'t supplied.');
      if (typeof b.head_sha !== "string") fail(422, 'Invalid request.\n\n"head_sha" wasn\'t supplied.');
      if (!repo.git.commit(b.head_sha as string)) fail(422, `No commit found for SHA: ${String(b.head_sha)}`);
      const run: CheckRunState = {
        id: s.id(),
        name: b.name as string,
        head_sha: b.head_sha as string,
        status: "queued",
        conclusion: null,
        started_at: s.time(),
        completed_at: null,
        output: { title: null, summary: null, text: null },
        details_url: null,
        external_id: null,
        app: s.app.slug,
      };
      applyCheckRun(run, b, s.time());
      repo.checkRuns.push(run);
      return { status: 201, body: s.checkRunJson(repo, run) };
    });
    this.on("PATCH", "/repos/:owner/:repo/check-runs/:id", (ctx) => {
      const repo = this.repoOf(ctx);
      this.writer(ctx);
      const run = repo.checkRuns.find((c) => c.id === Number(ctx.params.id));
      if (!run) return fail(404, "Not Found");
      if (typeof ctx.body.name === "string") run.name = ctx.body.name;
      applyCheckRun(run, ctx.body, s.time());
      return { body: s.checkRunJson(repo, run) };
    });
    this.on("GET", "/repos/:owner/:repo/check-runs/:id", (ctx) => {
      const repo = this.repoOf(ctx);
      const run = repo.checkRuns.find((c) => c.id === Number(ctx.params.id));
      if (!run) return fail(404, "Not Found");
      return { body: s.checkRunJson(repo, run) };
    });
  }

  private listCheckRuns(ctx: Ctx, repo: RepoState, ref: string): Reply {
    const sha = repo.git.resolve(ref);
    if (!sha) fail(422, `No commit found for SHA: ${ref}`);
    let runs = repo.checkRuns.filter((c) => c.head_sha === sha);
    if (ctx.query.check_name) runs = runs.filter((c) => c.name === ctx.query.check_name);
    if (ctx.query.status) runs = runs.filter((c) => c.status === ctx.query.status);
    if ((ctx.query.filter ?? "latest") === "latest") runs = runs.filter((c) => !runs.some((o) => o.name === c.name && o.id > c.id));
    runs = [...runs].reverse();
    const page = this.paginate(
      ctx,
      runs.map((c) => this.s.checkRunJson(repo, c)),
    );
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  }
}

function applyCheckRun(run: CheckRunState, b: Record<string, unknown>, now: string): void {
  const statuses = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
  const conclusions = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
  if (b.status !== undefined && !statuses.includes(String(b.status))) fail(422, "Invalid request.\n\nstatus is not a valid value.");
  if (b.conclusion !== undefined && b.conclusion !== null && !conclusions.includes(String(b.conclusion)))
    fail(422, "Invalid request.\n\nconclusion is not a valid value.");
  if (typeof b.status === "string") run.status = b.status as CheckRunState["status"];
  if (typeof b.conclusion === "string") {
    run.conclusion = b.conclusion;
    run.status = "completed";
  }
  if (run.status === "completed" && !run.conclusion) fail(422, "Invalid request.\n\nconclusion is required when status is completed.");
  if (run.status === "completed") run.completed_at = typeof b.completed_at === "string" ? b.completed_at : (run.completed_at ?? now);
  if (typeof b.started_at === "string") run.started_at = b.started_at;
  if (typeof b.details_url === "string") run.details_url = b.details_url;
  if (typeof b.external_id === "string") run.external_id = b.external_id;
  const o = b.output as Record<string, unknown> | undefined;
  if (o && typeof o === "object") {
    if (typeof o.title !== "string" || typeof o.summary !== "string") fail(422, 'Invalid request.\n\n"title" and "summary" are required in output.');
    if (String(o.summary).length > 65535 || (typeof o.text === "string" && o.text.length > 65535))
      fail(422, "Invalid request.\n\nOnly 65535 characters are allowed; output is too long.");
    run.output = { title: o.title as string, summary: o.summary as string, text: typeof o.text === "string" ? o.text : run.output.text };
  }
}

function labelNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((x) => (x && typeof x === "object" ? String((x as { name?: unknown }).name ?? "") : String(x))).filter(Boolean);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function wrap64(b64: string): string {
  return b64.replace(/(.{60})/g, "$1\n") + (b64.length % 60 === 0 && b64.length ? "" : "\n");
}

/** Resolves a symlink target relative to the link's directory; undefined when it leaves the repo. */
function resolveLink(linkPath: string, target: string): string | undefined {
  if (target.startsWith("/")) return undefined;
  const parts = linkPath.split("/").slice(0, -1);
  for (const seg of target.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (!parts.length) return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}
