// How a request that was never granted ends, and why: rejected by someone (with the reason they
// gave), withdrawn by its requester, or closed by the sweep because nobody approved it in time.
// The reason is someone's text: it is kept as data (flattened, capped), never interpreted. Pure.
import { normalizeLogin } from "./approvals.js";
import type { ClosedRecord } from "./types.js";

/** The codes of a request closed unmerged (closed.code; one `Rule:` trailer). */
export const CLOSING_CODES = {
  rejected: "approval.rejected",
  withdrawn: "approval.withdrawn",
  expiredUnapproved: "approval.expired-unapproved",
} as const;

export type ClosingCode = (typeof CLOSING_CODES)[keyof typeof CLOSING_CODES];

/** A comment on the request's issue or pull request, or a review of its pull request. */
export interface ClosingText {
  author: { login: string; type: string } | null;
  body: string;
  /** ISO timestamp. */
  at: string;
  /** A review's state (CHANGES_REQUESTED, …); absent for a comment. */
  review?: string;
}

export interface ClosingFacts {
  requester: string;
  /** Who closed the pull request (the webhook's sender); null when GitHub does not say. */
  closer: { login: string; type: string } | null;
  /** Comments and reviews on the issue and the pull request, any order. */
  texts: readonly ClosingText[];
  at: string;
}

/** closed.reason holds at most 1000 characters (the schema's limit). */
export function closingReason(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 1000 ? `${flat.slice(0, 999)}…` : flat;
}

const LOGIN = /^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}$/;

/**
 * The record of a request pull request closed without merging. Closed by the requester: withdrawn.
 * Closed by anyone else: rejected, `by` them, with the reason they gave — their latest comment or
 * "changes requested" review (the closing comment), else the latest "changes requested" review of
 * someone other than the requester, else none. Comments that are commands (`/…`) or the app's own
 * (bots) are not reasons.
 */
export function closingOf(f: ClosingFacts): ClosedRecord & { code: ClosingCode } {
  const requester = normalizeLogin(f.requester);
  const closer = f.closer && f.closer.type === "User" && LOGIN.test(f.closer.login) ? f.closer.login : undefined;
  const isHuman = (t: ClosingText) => t.author?.type === "User" && t.body.trim() !== "" && !t.body.trim().startsWith("/");
  const latest = (list: ClosingText[]) => [...list].sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.body.localeCompare(a.body))[0];
  const by = (login: string | undefined) => (t: ClosingText) => login !== undefined && normalizeLogin(t.author?.login) === normalizeLogin(login);
  const changes = (t: ClosingText) => t.review === "CHANGES_REQUESTED";
  const candidates = f.texts.filter((t) => isHuman(t) && (t.review === undefined || changes(t)));

  if (closer && normalizeLogin(closer) === requester) {
    const own = latest(candidates.filter(by(closer)));
    return {
      at: f.at,
      by: closer,
      code: CLOSING_CODES.withdrawn,
      reason: closingReason(own ? `withdrawn by the requester: ${own.body}` : "withdrawn by the requester"),
    };
  }
  const fromCloser = latest(candidates.filter(by(closer)));
  const review = latest(candidates.filter((t) => changes(t) && normalizeLogin(t.author?.login) !== requester));
  const chosen = fromCloser ?? review;
  const reason = chosen
    ? chosen === fromCloser
      ? chosen.body
      : `changes requested by ${chosen.author?.login ?? "someone"}: ${chosen.body}`
    : "closed without a reason";
  return { at: f.at, ...(closer ? { by: closer } : {}), code: CLOSING_CODES.rejected, reason: closingReason(reason) };
}
