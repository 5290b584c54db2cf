// The journal of a grant's steps and what to undo when the grant fails partway. Pure.

/** A step of a grant, as the journal records it. */
export type Step =
  | { kind: "iam-policy"; arn: string }
  | { kind: "iam-attachment"; policyArn: string; principal: { kind: "iam_user" | "iam_role"; name: string } }
  | { kind: "schedule"; name: string }
  | { kind: "permission-set"; name: string; arn?: string }
  | { kind: "assignment"; permissionSetArn: string; accountId: string; principalId: string };

/**
 * created: this call made it; existed: it was there before; none: the step made nothing (a
 * definite refusal); unknown: the call failed midway and may or may not have made it.
 */
export type Outcome = "created" | "existed" | "none" | "unknown";

export interface JournalEntry {
  step: Step;
  outcome: Outcome;
}

/**
 * What to undo after a failed grant, in reverse order: whatever this call created or may have
 * created. What existed before is left alone — it may belong to an earlier, recorded grant of
 * the same request, and taking it away would turn a retried grant into a revoke.
 */
export function planRollback(journal: readonly JournalEntry[]): Step[] {
  return journal
    .filter((e) => e.outcome === "created" || e.outcome === "unknown")
    .map((e) => e.step)
    .reverse();
}
