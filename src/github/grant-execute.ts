// Merge → grant, the execution: one transaction — attach in AWS, record `active` with
// compare-and-swap, and if the record cannot be written take the grant back. What each ending
// records and tells is decided in grant-announce.ts and carried out by runEffects.
import { backoffCeiling, fullJitter } from "../backoff.js";
import { isoSeconds } from "../domain/time.js";
import type { Config } from "../domain/types.js";
import { GrantError, grantFailureCode } from "../aws/grants.js";
import type { GrantResult } from "../aws/types.js";
import { grantInAccounts } from "../lifecycle/grant-accounts.js";
import { revokeInAccounts, targetsOf } from "../lifecycle/revoke-accounts.js";
import { runEffects, type Effect, type EffectPorts } from "../lifecycle/effects.js";
import { activeRecord, failedEffects, failedRecord, grantAnnouncement, scheduledEffects, scheduledRecord } from "./grant-announce.js";
import type { ApprovedGrant, GrantDeps, GrantOutcome, MergedPr } from "./grant-types.js";

/** The effects' ports: the repository, and the config's channels when there is a config to name them. */
export type PortsFor = (config?: Config) => EffectPorts;

/**
 * The grant, one transaction: attach in AWS, then record `active` with compare-and-swap; if the
 * record cannot be written, take the grant back. Then the announcement, as effects.
 */
export async function executeGrant(pr: MergedPr, deps: GrantDeps, g: ApprovedGrant, ports: PortsFor): Promise<GrantOutcome> {
  const { config, request, path, issueNumber, expiresAt, now } = g;
  const grants = deps.grantsFor(config);
  let result: GrantResult;
  try {
    const meta = pr.htmlUrl ? { prUrl: pr.htmlUrl } : {};
    // Several accounts: all of them or none (lifecycle/grant-accounts.ts rolls back the ones before a failure).
    result = g.accounts ? await grantInAccounts(grants, g.accounts, expiresAt, meta) : await grants.grant(request, g.policy, expiresAt, meta);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    if (e instanceof GrantError && e.leftOver.length) {
      // The rollback could not remove everything: access may exist without a record. Never answer
      // that as done: the delivery fails, so a redelivery grants and records (or rolls back again),
      // and meanwhile the policy's own expiry and the sweep's reconcile bound what is left.
      await runEffects(failedEffects([pr.number, issueNumber], `the grant in AWS failed and its rollback did not finish: ${reason}`), ports());
      throw new Error(`grant of ${request.id} failed and its rollback left resources in AWS: ${reason}`, { cause: e });
    }
    // Rolled back cleanly: the record says `failed`, final. A redelivery of this merge then
    // answers "already failed" instead of granting: the approvals were given for a grant at the
    // merge, and a failed record that a later delivery could still turn active would let access be
    // attached long after, under rules that may have changed. Once the cause is fixed, a new
    // request (and new approvals) grants it.
    // The rollback undoes only what this call created; an earlier delivery that crashed midway
    // may have left the request's policy attached. A final `failed` must mean nothing in AWS, so
    // everything of this request is removed first — and if that fails, nothing is recorded and the
    // delivery fails, to be redelivered (as when the rollback itself did not finish).
    try {
      const accountIds = (g.accounts ?? [g]).map((a) => a.account.id);
      await retried(
        () =>
          revokeInAccounts(
            grants,
            accountIds.map((accountId) => ({ requestId: request.id, mode: config.aws.mode, accountId })),
          ),
        3,
      );
    } catch (cleanup) {
      await runEffects(
        failedEffects([pr.number, issueNumber], `the grant in AWS failed and removing what earlier attempts left did not finish: ${reason}`),
        ports(),
      );
      throw new Error(`grant of ${request.id} failed and what earlier attempts left in AWS could not be removed: ${reason}`, { cause: cleanup });
    }
    const done = await runEffects(
      [
        failedRecord(pr, {
          config,
          path,
          at: isoSeconds(now),
          reason: `the grant in AWS failed and was rolled back: ${reason}`,
          code: grantFailureCode(e),
          risk: g.risk,
        }),
        ...failedEffects([pr.number, issueNumber], `the grant in AWS failed and was rolled back: ${reason}`),
        { kind: "notify", event: { kind: "failed", request, reason: "the grant in AWS failed and was rolled back" } },
      ],
      ports(config),
    );
    return { kind: "failed", reason, ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  }

  try {
    const record = activeRecord(pr, g, result);
    const done = await runEffects([record], ports());
    // Skipped because it is already recorded (a concurrent delivery) is done; any other skip is a failure to record.
    const refused = done.skipped.map((s) => s.slice(`${record.summary}: `.length)).find((r) => !r.startsWith("already"));
    if (refused) throw new Error(refused);
  } catch (e) {
    // No record, no access: take the grant back before saying anything. The revoke is retried, so
    // one throttling burst outlasting the SDK's retries does not leave the policy attached with the
    // record still `proposed`.
    await retried(() => revokeInAccounts(grants, targetsOf(result)), 3);
    const reason = `the grant could not be recorded (${e instanceof Error ? e.message : String(e)}), so it was revoked again`;
    // Best effort: the store that refused the grant's record may accept this one.
    const done = await runEffects(
      [
        failedRecord(pr, { config, path, at: isoSeconds(now), reason, code: "record.write-failed", risk: g.risk }),
        ...failedEffects([pr.number, issueNumber], reason),
        { kind: "notify", event: { kind: "failed", request, reason: "the grant could not be recorded and was revoked" } },
      ],
      ports(config),
    );
    return { kind: "failed", reason, ...(done.commits[0] ? { recorded: done.commits[0] } : {}) };
  }

  await runEffects(grantAnnouncement(pr, g, result), ports(config));
  await g.claim?.after?.({
    access: ports().access,
    expiresAt,
    prNumber: pr.number,
    ...(deps.notifierFor ? { notifierFor: deps.notifierFor } : {}),
    ...(pr.htmlUrl ? { prUrl: pr.htmlUrl } : {}),
  });
  return { kind: "granted", id: request.id, expiresAt, resources: result.resources };
}

/**
 * A merge approved for a later start: nothing in AWS, only the `scheduled` record (compare-and-swap)
 * and the announcement. The sweep grants it once starts_at has come (lifecycle/start-grant.ts).
 */
export async function scheduleGrant(pr: MergedPr, deps: GrantDeps, g: ApprovedGrant & { startsAt: string }, ports: PortsFor): Promise<GrantOutcome> {
  const record = scheduledRecord(pr, g);
  const done = await runEffects([record], ports());
  const refused = done.skipped.map((s) => s.slice(`${record.summary}: `.length)).find((r) => !r.startsWith("already"));
  if (refused) throw new Error(`the scheduled start of ${g.request.id} could not be recorded: ${refused}`);
  const announce = {
    requester: g.request.requester,
    account: (g.accounts ?? [g]).map((a) => a.account.alias ?? a.account.id).join(", "),
    startsAt: g.startsAt,
    expiresAt: g.expiresAt,
    approvedBy: g.approvedBy,
  };
  const told: Effect = {
    kind: "notify",
    event: {
      kind: "scheduled",
      request: g.request,
      approvedBy: g.approvedBy,
      startsAt: g.startsAt,
      expiresAt: g.expiresAt,
      risk: g.risk,
      ...(pr.htmlUrl ? { links: { pr: pr.htmlUrl } } : {}),
    },
  };
  await runEffects([...scheduledEffects([pr.number, g.issueNumber], announce), told], ports(g.config));
  await g.claim?.after?.({
    access: ports().access,
    expiresAt: g.expiresAt,
    prNumber: pr.number,
    ...(deps.notifierFor ? { notifierFor: deps.notifierFor } : {}),
    ...(pr.htmlUrl ? { prUrl: pr.htmlUrl } : {}),
  });
  return { kind: "scheduled", id: g.request.id, startsAt: g.startsAt, expiresAt: g.expiresAt };
}

async function retried<T>(fn: () => Promise<T>, attempts: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      // Jittered: concurrent deliveries rolling back after one throttling burst do not retry in step.
      await new Promise((r) => setTimeout(r, fullJitter(backoffCeiling(200, 2_000, i - 1))));
    }
  }
}
