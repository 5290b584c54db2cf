// readMergeFacts takes from the GraphQL answer only what REST would say exactly; any answer that
// is partial or describes something differently leaves that fact to REST.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readMergeFacts } from "../src/github/merge-facts.js";

const sha = (c: string) => c.repeat(40);
const commit = (oid: string, parents: string[], next?: unknown) => ({
  oid,
  message: "m",
  author: { name: "A", email: "a@x", date: "2026-12-02T15:00:00+01:00" },
  parents: { totalCount: parents.length, nodes: parents.map((p) => ({ oid: p })) },
  first: { nodes: next ? [next] : [] },
});
const review = (over: Record<string, unknown> = {}) => ({
  databaseId: 7,
  state: "APPROVED",
  body: "",
  submittedAt: "2026-12-02T14:00:00Z",
  commit: { oid: sha("a") },
  author: { __typename: "User", login: "bob" },
  ...over,
});
const answer = (
  reviews: unknown[],
  totalCount = reviews.length,
  origin: unknown = { __typename: "Issue", number: 3, issueState: "OPEN", author: { __typename: "User", login: "alice" } },
) => ({
  repository: {
    pullRequest: { mergeCommit: commit(sha("b"), [sha("c"), sha("a")], commit(sha("c"), [sha("d")])), reviews: { totalCount, nodes: reviews } },
    origin,
  },
});

describe("readMergeFacts", () => {
  it("reads an exact answer: commits with UTC dates, reviews as REST lists them, the origin issue", () => {
    const f = readMergeFacts(answer([review()]), 3);
    expect(f.commits.get(sha("b"))).toEqual({
      sha: sha("b"),
      parents: [sha("c"), sha("a")],
      message: "m",
      author: { name: "A", email: "a@x", date: "2026-12-02T14:00:00Z" },
    });
    expect(f.commits.get(sha("c"))?.parents).toEqual([sha("d")]);
    expect(f.reviews).toEqual([
      { id: 7, user: { login: "bob", type: "User" }, state: "APPROVED", commit_id: sha("a"), submitted_at: "2026-12-02T14:00:00Z", body: "" },
    ]);
    expect(f.origin).toEqual({ number: 3, author: { login: "alice", type: "User" }, state: "open", isPull: false });
  });

  it.each([
    ["fewer read than there are", answer([review()], 2)],
    ["a bot's review", answer([review({ author: { __typename: "Bot", login: "helper" } })])],
    ["a deleted account's review", answer([review({ author: null })])],
    ["a review without its commit", answer([review({ commit: null })])],
    ["a review without a database id", answer([review({ databaseId: null })])],
  ])("reviews are left to REST on %s", (_name, a) => {
    expect(readMergeFacts(a, 3).reviews).toBeUndefined();
  });

  it.each([
    ["no such number (null)", null],
    ["a bot author", { __typename: "Issue", number: 3, issueState: "OPEN", author: { __typename: "Bot", login: "x" } }],
    ["another number", { __typename: "Issue", number: 4, issueState: "OPEN", author: { __typename: "User", login: "alice" } }],
  ])("the origin is left to REST on %s", (_name, origin) => {
    expect(readMergeFacts(answer([], 0, origin), 3).origin).toBeUndefined();
  });

  it("a commit whose parent list is incomplete ends the chain there", () => {
    const a = answer([]);
    (a.repository.pullRequest.mergeCommit.parents as { totalCount: number }).totalCount = 3;
    expect(readMergeFacts(a, 3).commits.size).toBe(0);
  });

  it("property: any subset of reviews with one inexact node in it is never taken", () => {
    const bad = fc.constantFrom(
      { author: { __typename: "Bot", login: "b" } },
      { author: { __typename: "Mannequin", login: "m" } },
      { commit: null },
      { commit: { oid: "short" } },
      { databaseId: "7" },
      { state: null },
    );
    fc.assert(
      fc.property(fc.array(fc.constant(null), { maxLength: 5 }), bad, fc.nat(5), (goods, over, at) => {
        const nodes = goods.map(() => review());
        nodes.splice(Math.min(at, nodes.length), 0, review(over));
        expect(readMergeFacts(answer(nodes), 3).reviews).toBeUndefined();
      }),
    );
  });
});
