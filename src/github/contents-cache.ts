// Reads of the contents API that spend less of the rate limit, for the app and the sweep:
// - at a commit sha (40 hex digits) a file never changes: the answer (a 404 too) is kept for the
//   life of the process, in a bounded table, and not asked again;
// - by branch name, the last answer is kept with its ETag and the read is a conditional request:
//   GitHub answers 304 Not Modified when the file is unchanged, and a 304 does not count against
//   the rate limit ("Conditional requests", docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
// Nothing here decides on a stale answer: a branch read always asks GitHub.
import { status, type ContentsApi } from "./store.js";

/** The Octokit call this needs: getContent with the answer's headers (ProbotOctokit and @octokit/rest both have it). */
export interface ContentsOctokit {
  rest: {
    repos: {
      getContent(params: { owner: string; repo: string; path: string; ref?: string; headers?: Record<string, string> }): Promise<{
        data: unknown;
        headers: Record<string, unknown>;
      }>;
      createOrUpdateFileContents: ContentsApi["rest"]["repos"]["createOrUpdateFileContents"];
    };
  };
}

type Kept = { ok: true; data: unknown; etag?: string } | { ok: false; error: unknown };

const MAX_ENTRIES = 500;
const atCommit = new Map<string, Kept>();
const byBranch = new Map<string, { etag: string; data: unknown }>();

/** Oldest out first: a Map iterates in insertion order, and a hit is moved to the end. */
function keep<V>(table: Map<string, V>, key: string, value: V): void {
  table.delete(key);
  table.set(key, value);
  if (table.size > MAX_ENTRIES) table.delete(table.keys().next().value as string);
}

const COMMIT = /^[0-9a-f]{40}$/;

/** Forgets every kept answer (tests). */
export function clearContentsCache(): void {
  atCommit.clear();
  byBranch.clear();
}

export class ConditionalContents implements ContentsApi {
  readonly rest: ContentsApi["rest"];

  constructor(private readonly octokit: ContentsOctokit) {
    this.rest = {
      repos: {
        getContent: (params) => this.get(params),
        createOrUpdateFileContents: (params) => this.octokit.rest.repos.createOrUpdateFileContents(params),
      },
    };
  }

  /** Keeps an answer at a commit sha learnt another way (the rules snapshot, rules-snapshot.ts), as if read here. */
  remember(params: { owner: string; repo: string; path: string; ref: string }, answer: { ok: true; data: unknown } | { ok: false; error: unknown }): void {
    if (!COMMIT.test(params.ref)) return;
    keep(atCommit, JSON.stringify([params.owner.toLowerCase(), params.repo.toLowerCase(), params.path, params.ref]), answer);
  }

  async get(params: { owner: string; repo: string; path: string; ref?: string }): Promise<{ data: unknown }> {
    const key = JSON.stringify([params.owner.toLowerCase(), params.repo.toLowerCase(), params.path, params.ref ?? ""]);
    if (params.ref !== undefined && COMMIT.test(params.ref)) {
      const kept = atCommit.get(key);
      if (kept) {
        keep(atCommit, key, kept);
        if (kept.ok) return { data: kept.data };
        throw kept.error;
      }
      try {
        const res = await this.octokit.rest.repos.getContent(params);
        keep(atCommit, key, { ok: true, data: res.data });
        return { data: res.data };
      } catch (e) {
        // Only "not there" is as lasting as the commit; any other failure is asked again.
        if (status(e) === 404) keep(atCommit, key, { ok: false, error: e });
        throw e;
      }
    }
    const known = byBranch.get(key);
    try {
      const res = await this.octokit.rest.repos.getContent({ ...params, ...(known ? { headers: { "if-none-match": known.etag } } : {}) });
      const etag = res.headers.etag;
      if (typeof etag === "string" && etag) keep(byBranch, key, { etag, data: res.data });
      else byBranch.delete(key);
      return { data: res.data };
    } catch (e) {
      if (status(e) === 304 && known) {
        keep(byBranch, key, known);
        return { data: known.data };
      }
      byBranch.delete(key);
      throw e;
    }
  }
}
