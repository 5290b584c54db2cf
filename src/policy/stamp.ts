// Step 4 of the policy pipeline: make every grant expire on AWS's own clock. A DateLessThan on
// aws:CurrentTime is evaluated on every request, so it also cuts off sessions already issued.
// stampGrant adds the config's condition blocks next to it (grant-conditions.ts): the policy as
// it is attached.

import type { GrantConditions } from "../domain/conditions.js";
import type { Condition, PolicyDocument, Statement } from "../domain/types.js";
import { parseIamDate } from "./evaluator.js";
import { applyConditions } from "./grant-conditions.js";

const CURRENT_TIME = "aws:CurrentTime";

// Only full UTC timestamps: a date alone or a local offset makes the stored expiry ambiguous to
// people reading the policy, even though IAM would accept them.
const UTC_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

type ConditionValue = Condition[string][string];
type Scalar = string | boolean | number;

interface Bound {
  ms: number;
  value: Scalar;
}

function isCurrentTimeKey(key: string): boolean {
  // Condition keys are case-insensitive in IAM.
  return key.toLowerCase() === CURRENT_TIME.toLowerCase();
}

/**
 * The effective DateLessThan bound on aws:CurrentTime in a statement: values of one key are OR'ed
 * (the latest wins), keys are AND'ed (the earliest wins). null when there is none; throws when
 * a value is not a date, since then no one can tell which bound is earlier.
 */
function currentBound(condition: Condition | undefined, where: string): Bound | null {
  const operator = condition?.DateLessThan;
  if (operator === undefined) return null;
  let bound: Bound | null = null;
  for (const [key, raw] of Object.entries(operator)) {
    if (!isCurrentTimeKey(key)) continue;
    const values: Scalar[] = Array.isArray(raw) ? raw : [raw];
    let latest: Bound | null = null;
    for (const value of values) {
      const ms = parseIamDate(value);
      if (ms === undefined) {
        throw new Error(`${where}: DateLessThan ${key} value ${JSON.stringify(value)} is not a date`);
      }
      if (latest === null || ms > latest.ms) latest = { ms, value };
    }
    if (latest !== null && (bound === null || latest.ms < bound.ms)) bound = latest;
  }
  return bound;
}

function statementLabel(statement: Statement, index: number): string {
  return statement.Sid ? `Statement[${index}] (${statement.Sid})` : `Statement[${index}]`;
}

/** Throws unless `expiresAt` is a real UTC ISO-8601 timestamp such as 2026-11-27T10:00:00Z. */
function parseExpiry(expiresAt: string): number {
  const ms = typeof expiresAt === "string" && UTC_TIMESTAMP.test(expiresAt) ? parseIamDate(expiresAt) : undefined;
  if (ms === undefined) {
    throw new Error(`expiresAt must be a UTC ISO-8601 timestamp such as 2026-11-27T10:00:00Z, got ${JSON.stringify(expiresAt)}`);
  }
  return ms;
}

/**
 * A copy of `policy` in which every Allow statement carries
 * `DateLessThan: { "aws:CurrentTime": expiresAt }`, merged with its other conditions. An
 * existing earlier bound is kept (stamping never widens a grant). Deny statements are unchanged.
 */
export function stampExpiry(policy: PolicyDocument, expiresAt: string): PolicyDocument {
  const expiry = parseExpiry(expiresAt);
  const out = structuredClone(policy);
  out.Statement.forEach((statement, index) => {
    if (statement.Effect !== "Allow") return;
    const existing = currentBound(statement.Condition, statementLabel(statement, index));
    const value: ConditionValue = existing !== null && existing.ms < expiry ? existing.value : expiresAt;
    const condition: Condition = statement.Condition ?? {};
    const dateLessThan = condition.DateLessThan ?? {};
    // Differently-cased copies of the key would stay AND'ed with ours; fold them into one.
    for (const key of Object.keys(dateLessThan)) {
      if (isCurrentTimeKey(key)) delete dateLessThan[key];
    }
    dateLessThan[CURRENT_TIME] = value;
    condition.DateLessThan = dateLessThan;
    statement.Condition = condition;
  });
  return out;
}

/**
 * The policy as it is attached: every Allow statement expires at `expiresAt` (stampExpiry) and
 * carries the condition blocks in force; the blocks that are Deny statements end at `expiresAt`
 * too. Never widens: whatever the result allows, `policy` allowed. Throws on a bad expiry and on a
 * statement whose own condition contradicts a block (ConditionConflict).
 */
export function stampGrant(policy: PolicyDocument, expiresAt: string, conditions: GrantConditions): PolicyDocument {
  return applyConditions(stampExpiry(policy, expiresAt), conditions, expiresAt);
}

/**
 * The latest expiry stamped on the policy's Allow statements (as written in the policy), or
 * undefined when some Allow statement has none (or its value is not a date), or there is no
 * Allow statement: such a policy does not expire on its own.
 */
export function expiryOf(policy: PolicyDocument): string | undefined {
  let latest: Bound | null = null;
  let sawAllow = false;
  for (const [index, statement] of policy.Statement.entries()) {
    if (statement.Effect !== "Allow") continue;
    sawAllow = true;
    let bound: Bound | null;
    try {
      bound = currentBound(statement.Condition, statementLabel(statement, index));
    } catch {
      return undefined;
    }
    if (bound === null) return undefined;
    if (latest === null || bound.ms > latest.ms) latest = bound;
  }
  if (!sawAllow || latest === null) return undefined;
  return typeof latest.value === "string" ? latest.value : new Date(latest.ms).toISOString();
}
