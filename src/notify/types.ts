// Notification events and the ports that deliver them. Pure types.
import type { RequestItem, RiskTier } from "../domain/types.js";

/** What a message may say about a request: the fields of AccessRequest that are not secrets. */
export interface RequestSummary {
  id: string;
  requester: string;
  account: string;
  /** A request in several accounts: all of them (`account` is the first). */
  accounts?: string[];
  duration: string;
  reason?: string;
  request?: RequestItem[];
}

/** Web links shown with a message: only https URLs are used, anything else is dropped. */
export interface Links {
  pr?: string;
  issue?: string;
}

export type NotificationEvent =
  /** A request pull request was opened; addressed to the approvers (GitHub logins, shown as text). */
  | { kind: "opened"; request: RequestSummary; approvers: string[]; required?: number; risk?: RiskTier; links?: Links }
  /** The merge was verified and the access exists in AWS; `scheduledFrom`: started by the sweep, approved for a start at that time. */
  | { kind: "granted"; request: RequestSummary; approvedBy: string[]; expiresAt: string; risk?: RiskTier; scheduledFrom?: string; links?: Links }
  /** The merge was verified for a later start: nothing is attached until the sweep starts it at `startsAt`. */
  | { kind: "scheduled"; request: RequestSummary; approvedBy: string[]; startsAt: string; expiresAt: string; risk?: RiskTier; links?: Links }
  /** Not granted: guardrails or approval checks said no (one reason per line). */
  | { kind: "blocked"; request: RequestSummary; reasons: string[]; links?: Links }
  /** The grant was attempted and failed (rolled back). */
  | { kind: "failed"; request: RequestSummary; reason: string; links?: Links }
  /** Sent by the sweep once per grant, about 15 minutes before the end. */
  | { kind: "expiring"; request: RequestSummary; expiresAt: string; links?: Links }
  | { kind: "expired"; request: RequestSummary; expiresAt: string; links?: Links }
  | { kind: "revoked"; request: RequestSummary; at: string; by?: string; reason: string; links?: Links }
  /** The requester approved their own request with /break-glass: sent to the security channel. */
  | { kind: "break-glass"; request: RequestSummary; by: string; incident: string; reason: string; expiresAt: string; reviewIssue?: number; links?: Links }
  /**
   * Closed without a grant: rejected by someone (with their reason), withdrawn by the requester,
   * or not approved in time (code approval.rejected, approval.withdrawn, approval.expired-unapproved).
   */
  | { kind: "rejected"; request: RequestSummary; code: string; reason: string; by?: string; links?: Links }
  /** A proposed request half-way to its pending_ttl, still unapproved: addressed to the approvers. */
  | { kind: "pending-reminder"; request: RequestSummary; approvers: string[]; closesAt: string; links?: Links }
  /** An approved extension moved the end of an active grant. */
  | { kind: "extended"; request: RequestSummary; previousExpiresAt: string; expiresAt: string; approvedBy: string[]; links?: Links };

export type NotificationKind = NotificationEvent["kind"];

/** One delivery channel (Slack, GitHub, ...). May throw; the Notifier catches. */
export interface NotificationChannel {
  readonly name: string;
  send(event: NotificationEvent): Promise<void>;
}

/** What the app and the sweep call. notify never throws and returns within a bounded time. */
export interface Notifier {
  /** Channels that will be tried (empty: notifications are off). */
  readonly channels: readonly string[];
  notify(event: NotificationEvent): Promise<void>;
}

export type Log = (line: string) => void;
