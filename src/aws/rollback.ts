// The journal of a grant's steps and what to undo when the grant fails partway. Pure.

/** A step of a grant, as the journal records it. */
export type Step =
  | { kind: "iam-policy"; arn: string }
  | { kind: "iam-attachment"; policyArn: string; principal: { kind: "iam_user" | "iam_role"; name: string } }
  | { kind: "schedule"; name: string }
  /** made: this grant's own create made it (no ownership check needed to undo it). */
  | { kind: "permission-set"; name: string; arn?: string; made?: true }
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

export function describeStep(step: Step): string {
  switch (step.kind) {
    case "iam-policy":
      return `policy ${step.arn}`;
    case "iam-attachment":
      return `attachment of ${step.policyArn} to ${step.principal.name}`;
    case "schedule":
      return `schedule ${step.name}`;
    case "permission-set":
      return `permission set ${step.arn ?? step.name}`;
    case "assignment":
      return `assignment of ${step.permissionSetArn} in ${step.accountId}`;
  }
}

/**
 * What a failed grant's message says of its rollback. Access is left only by an attachment or an
 * assignment; what ends it is the policy's own time condition (`policy`: the request's stamped
 * policy or permission set) or, for a catalogue policy or permission set that carries none, its
 * revocation schedule, which a rollback keeps for anything it could not remove.
 */
export function leftOverNote(leftOver: readonly Step[], expiresAt: string, endedBy: "policy" | "schedule"): string {
  if (!leftOver.length) return "; rolled back, nothing is attached";
  const list = leftOver.map(describeStep).join(", ");
  const access = leftOver.some((s) => s.kind === "iam-attachment" || s.kind === "assignment");
  const why = !access
    ? "it gives no access: nothing is attached or assigned"
    : endedBy === "policy"
      ? `its policy still expires at ${expiresAt}`
      : `its schedule still removes it at ${expiresAt}`;
  return `; rollback left ${list} (${why}; rerun revoke or the sweep to remove it)`;
}
