// The Grants port over AWS: iam or identity-center mode, plus Scheduler revocation. Decisions
// are in plan.ts and naming.ts; this file sequences the calls, journals them and rolls back.

import { resolveAccount, type ResolvedAccount } from "../domain/config.js";
import type { AccessRequest, Config, PolicyDocument } from "../domain/types.js";
import { grantConditions } from "../domain/conditions.js";
import { expiryOf, stampGrant } from "../policy/stamp.js";
import { accountClients, assertAccount, defaultClientSettings, lazyClients, type AwsClients, type ClientSettings } from "./clients.js";
import { ensureAttached, ensurePolicy, listPolicies, ownedPolicy, removePolicy, detach } from "./iam.js";
import {
  deleteAssignment,
  ensureAssignment,
  ensurePermissionSet,
  findPermissionSet,
  isRequestsPermissionSet,
  listPermissionSets,
  ownedPermissionSet,
  permissionSetGone,
  provision,
  removePermissionSet,
  userIdOf,
  mappedUserId,
  IdentityMappingError,
  type IcContext,
} from "./identity-center.js";
import { assertRequestId, grantTags, iamPolicyArn, permissionSetName, scheduleName } from "./naming.js";
import { accountGatedPolicy } from "../policy/account-gate.js";
import { assertFutureExpiry, sessionDuration } from "./expiry.js";
import { policySizeProblem } from "./limits.js";
import { describeProblem } from "../domain/problems.js";
import { NotOwnedError, ownedTarget } from "./ownership.js";
import { policyText } from "./policy-text.js";
import { leftOverNote, planRollback, type Step } from "./rollback.js";
import { buildSchedules, type RevokeAction } from "./schedules.js";
import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import { resolveTarget, schedulePlacement } from "./target.js";
import { Journal, KeyedMutex, messageOf, realSleep, type Backoff, type Sleep } from "./runtime.js";
import { deleteSchedule, ensureSchedule, listSchedules, type ExistingSchedule } from "./scheduler.js";
import type { ExtendResult, GrantMeta, GrantResult, Grants, ManagedResource, RevokeResult, RevokeTarget } from "./types.js";
import { moveSchedule, replaceIamPolicy, replaceInlinePolicy } from "./extend.js";
import { bundleOf, type BundleRef } from "../domain/access-catalogue.js";
import { bundleResourceText, type BundleResource } from "../domain/bundle-resources.js";
import {
  attachedDirectly,
  assignedDirectly,
  bundleOfSchedule,
  bundleRemovable,
  catalogueSetArn,
  ownSchedule,
  permissionSetNameOf,
  provisionedTo,
  StandingAccessError,
} from "./bundles.js";

export interface GrantsDeps {
  /** The app's own clients (its home account; Identity Center's administering account). */
  clients?: Partial<AwsClients>;
  /** Merged over the defaults (region, adaptive retry, bounded attempts) of every client made here. */
  clientSettings?: ClientSettings;
  sleep?: Sleep;
  now?: () => Date;
  /** Status polling of Identity Center's asynchronous operations. */
  poll?: Backoff;
  /** Retries of Identity Center ConflictException (one change per account at a time). */
  conflict?: Backoff;
}

export const DEFAULT_POLL: Backoff = { initialMs: 1000, maxMs: 10_000, attempts: 40 };
export const DEFAULT_CONFLICT: Backoff = { initialMs: 1000, maxMs: 15_000, attempts: 8 };

/** A grant that failed; `leftOver` lists what the rollback could not remove (normally nothing). */
export class GrantError extends Error {
  override name = "GrantError";
  constructor(
    message: string,
    cause: unknown,
    readonly leftOver: Step[],
  ) {
    super(message, { cause });
  }
}

/** The code a failed grant is recorded with: the identity mapping's own, standing access, else aws.grant-failed. */
export function grantFailureCode(error: unknown): "aws.grant-failed" | "aws.standing-access" | IdentityMappingError["code"] {
  const cause = error instanceof GrantError ? error.cause : error;
  if (cause instanceof StandingAccessError) return "aws.standing-access";
  return cause instanceof IdentityMappingError ? cause.code : "aws.grant-failed";
}

export function createGrants(config: Config, deps: GrantsDeps = {}): Grants {
  const settings: ClientSettings = { ...defaultClientSettings(config.aws.region), ...deps.clientSettings };
  const home = lazyClients(settings, deps.clients);
  const sleep = deps.sleep ?? realSleep;
  const now = deps.now ?? (() => new Date());
  const poll = deps.poll ?? DEFAULT_POLL;
  const conflict = deps.conflict ?? DEFAULT_CONFLICT;
  // One Identity Center change per account at a time, across all grants of this process.
  const mutex = new KeyedMutex();

  const icContext = (): IcContext => {
    const ic = config.aws.identity_center;
    if (!ic) throw new Error("aws.mode is identity-center but aws.identity_center is not configured; nothing was done");
    return { sso: home.ssoAdmin, instanceArn: ic.instance_arn, sleep, poll, conflict };
  };

  const clientsFor = async (account: ResolvedAccount, requestId: string): Promise<AwsClients> => {
    const clients = accountClients(home, settings, account, requestId);
    await assertAccount(clients, account.id);
    return clients;
  };

  /**
   * The policy a grant in `account` puts in AWS: its own, stamped. In identity-center mode a request
   * in several accounts shares one permission set, so its policy is every part's stamped policy,
   * each kept to its account (policy/account-gate.ts) — the same document from every part's grant.
   */
  const stampedFor = (policy: PolicyDocument, account: ResolvedAccount, expiresAt: string, meta: GrantMeta): PolicyDocument => {
    const own = stampGrant(policy, expiresAt, grantConditions(config, account.alias));
    const parts = config.aws.mode === "identity-center" ? (meta.parts ?? []) : [];
    if (parts.length < 2) return own;
    const each = parts.map((part) => {
      const a = resolveAccount(config, part.request.account);
      if (!a) throw new Error(`account ${part.request.account} of ${part.request.id} is not configured; nothing was granted`);
      return { accountId: a.id, policy: a.id === account.id ? own : stampGrant(part.policy, expiresAt, grantConditions(config, a.alias)) };
    });
    if (!each.some((e) => e.accountId === account.id)) throw new Error(`account ${account.id} is not one of the request's accounts; nothing was granted`);
    return accountGatedPolicy(each);
  };

  /** Identity Center, a request in several accounts: the account whose revoke schedule is named for it (every one after the first). */
  const scheduleAccountOf = (meta: GrantMeta, accountId: string): string | undefined => {
    const parts = config.aws.mode === "identity-center" ? (meta.parts ?? []) : [];
    const first = parts[0];
    if (!first || parts.length < 2) return undefined;
    return resolveAccount(config, first.request.account)?.id === accountId ? undefined : accountId;
  };

  /** The request's accounts granted before this one (a request in several accounts): where its permission set already is. */
  const accountsBefore = (meta: GrantMeta, accountId: string): string[] => {
    const ids = (meta.parts ?? []).map((p) => resolveAccount(config, p.request.account)?.id ?? "");
    const at = ids.indexOf(accountId);
    return at > 0 ? ids.slice(0, at) : [];
  };

  /** The permission set an earlier account's grant of the request holds (a request in several accounts shares one). */
  const knownPermissionSet = (meta: GrantMeta): { known?: string } => {
    const arn = meta.earlier?.find((r) => r.mode === "identity-center")?.resources[0];
    return arn ? { known: arn } : {};
  };

  /** Where the schedules of this mode live: with the account's IAM, or with Identity Center. */
  const schedulerFor = (mode: Config["aws"]["mode"], accountClientsOf: AwsClients) => (mode === "iam" ? accountClientsOf.scheduler : home.scheduler);

  async function grant(request: AccessRequest, policy: PolicyDocument, expiresAt: string, meta: GrantMeta = {}): Promise<GrantResult> {
    assertRequestId(request.id);
    const nowMs = now().getTime();
    const expiresMs = assertFutureExpiry(nowMs, expiresAt);
    const target = resolveTarget(config, request);
    if (!target.ok) throw new Error(target.problems.map(describeProblem).join("; "));
    const { account, principal } = target.value;
    const mode = config.aws.mode;
    const bundle = bundleOf(config, request);
    const scheduleAccount = scheduleAccountOf(meta, account.id);
    if (bundle) return grantBundle(request, bundle, account, principal, expiresAt, nowMs, scheduleAccount);
    // Stamp here, and check, so that nothing without its expiry (and the config's condition
    // blocks for this account, as the PR showed them) is ever attached.
    const stamped = stampedFor(policy, account, expiresAt, meta);
    const stampedExpiry = expiryOf(stamped);
    if (stampedExpiry === undefined || Date.parse(stampedExpiry) > expiresMs)
      throw new Error(`the policy of ${request.id} does not expire by ${expiresAt} after stamping; nothing was granted`);
    const document = policyText(stamped);
    const sizeProblem = policySizeProblem(document, mode);
    if (sizeProblem) throw new Error(`${request.id}: ${sizeProblem}; nothing was granted`);
    const tags = grantTags(request.id, expiresAt, meta.prUrl);
    const placement = schedulePlacement(config, mode, account.id);
    const journal = new Journal();
    const grantedAt = new Date(nowMs).toISOString();

    const clients = mode === "iam" ? await clientsFor(account, request.id) : home;
    const attempt = async (): Promise<GrantResult> => {
      try {
        return mode === "iam" ? await grantIam() : await grantIdentityCenter();
      } catch (error) {
        const leftOver = await rollback(clients, journal, account.id, request.id);
        const undone = leftOverNote(leftOver, expiresAt, "policy");
        throw new GrantError(`grant of ${request.id} failed: ${messageOf(error)}${undone}`, error, leftOver);
      }
    };
    const note = placement.ok ? undefined : placement.note;

    const grantIam = async (): Promise<GrantResult> => {
      if (principal.kind === "sso_user") throw new Error("an sso_user cannot be granted in iam mode");
      const policyResult = await ensurePolicy(clients.iam, journal, {
        partition: config.aws.partition,
        accountId: account.id,
        requestId: request.id,
        document,
        tags,
      });
      const schedules = placement.ok
        ? await createSchedules(clients, journal, request.id, expiresAt, placement.roleArn, { kind: "iam-detach", principal, policyArn: policyResult.arn })
        : [];
      // Attach last: access exists only once its revocation is in place.
      await ensureAttached(clients.iam, journal, policyResult.arn, principal, account.id, policyResult.existed);
      return result({
        mode,
        requestId: request.id,
        accountId: account.id,
        resources: [policyResult.arn],
        schedules,
        principal,
        grantedAt,
        expiresAt,
        journal,
        note,
      });
    };

    const grantIdentityCenter = async (): Promise<GrantResult> => {
      const ic = icContext();
      const identityStoreId = config.aws.identity_center?.identity_store_id ?? "";
      const match = principal.kind === "sso_user" ? principal.match : undefined;
      const userId = match
        ? await mappedUserId(home.identityStore, identityStoreId, match, principal.name)
        : await userIdOf(home.identityStore, identityStoreId, principal.name);
      const ps = await ensurePermissionSet(ic, journal, {
        requestId: request.id,
        accountId: account.id,
        alsoIn: accountsBefore(meta, account.id),
        ...knownPermissionSet(meta),
        document,
        sessionDuration: sessionDuration(nowMs, expiresMs),
        tags,
      });
      await provision(ic, ps.arn, account.id);
      const schedules = placement.ok
        ? await createSchedules(
            home,
            journal,
            request.id,
            expiresAt,
            placement.roleArn,
            {
              kind: "sso-delete-assignment",
              instanceArn: ic.instanceArn,
              accountId: account.id,
              permissionSetArn: ps.arn,
              principalId: userId,
            },
            scheduleAccount,
          )
        : [];
      // Assign last: access exists only once its revocation is in place.
      await ensureAssignment(ic, journal, ps.arn, account.id, userId, ps.existed);
      const who = { kind: "sso_user" as const, name: principal.name, id: userId };
      return result({
        mode,
        requestId: request.id,
        accountId: account.id,
        resources: [ps.arn],
        schedules,
        principal: who,
        grantedAt,
        expiresAt,
        journal,
        note,
        instanceArn: ic.instanceArn,
      });
    };

    // Identity Center: the whole grant, rollback included, holds the account's lock.
    return mode === "iam" ? attempt() : mutex.run(account.id, attempt);
  }

  /**
   * What a bundle grant in `account` would attach or assign, and its revocation schedules — or the
   * refusal: no usable schedule, or standing access (the principal holds it, and not through this
   * request). Reads only; a grant in several accounts runs it for every account before any grant.
   */
  async function bundleCheck(
    request: AccessRequest,
    bundle: BundleRef,
    account: ResolvedAccount,
    principal: GrantResult["principal"],
    expiresAt: string,
    scheduleAccount: string | undefined,
    clients: AwsClients,
  ) {
    const mode = config.aws.mode;
    const placement = bundlePlacement(request, bundle, account);
    const scheduler = schedulerFor(mode, clients);
    let made: BundleResource;
    let action: RevokeAction;
    let who: GrantResult["principal"] = principal;
    const ic = mode === "identity-center" ? icContext() : undefined;
    if (bundle.kind === "managed_policy") {
      if (mode !== "iam" || principal.kind === "sso_user")
        throw new Error(`${bundle.entry} attaches a managed policy, which needs aws.mode iam and an IAM user or role; nothing was granted`);
      const owner = bundle.policyArn.split(":")[4];
      if (owner !== "aws" && owner !== account.id)
        throw new Error(`${bundle.policyArn} lives in account ${owner ?? "?"} and cannot be attached in ${account.id}; nothing was granted`);
      made = { kind: "attached", principal: { kind: principal.kind, name: principal.name }, policyArn: bundle.policyArn };
      action = { kind: "iam-detach", principal: made.principal, policyArn: bundle.policyArn, bundle: true };
    } else {
      if (!ic) throw new Error(`${bundle.entry} assigns a permission set, which needs aws.mode identity-center; nothing was granted`);
      const identityStoreId = config.aws.identity_center?.identity_store_id ?? "";
      const match = principal.kind === "sso_user" ? principal.match : undefined;
      const userId = match
        ? await mappedUserId(home.identityStore, identityStoreId, match, principal.name)
        : await userIdOf(home.identityStore, identityStoreId, principal.name);
      const psArn = await catalogueSetArn(ic, bundle.permissionSet);
      made = { kind: "assigned", principalId: userId, permissionSetArn: psArn };
      action = {
        kind: "sso-delete-assignment",
        instanceArn: ic.instanceArn,
        accountId: account.id,
        permissionSetArn: psArn,
        principalId: userId,
        bundle: true,
      };
      who = { kind: "sso_user", name: principal.name, id: userId };
    }
    const inputs = buildSchedules({
      partition: config.aws.partition,
      requestId: request.id,
      expiresAt,
      roleArn: placement.roleArn,
      action,
      ...(scheduleAccount ? { scheduleAccount } : {}),
    });
    const present =
      made.kind === "attached"
        ? await attachedDirectly(clients.iam, made.principal, made.policyArn)
        : await assignedDirectly(ic as IcContext, made.permissionSetArn, account.id, made.principalId);
    // Present and not ours (no schedule of this request targets it): standing access, never recorded as ours.
    const ours = present && (await Promise.all(inputs.map((i) => ownSchedule(scheduler, i)))).every(Boolean);
    if (present && !ours) {
      const what =
        made.kind === "attached"
          ? `${made.principal.kind === "iam_user" ? "user" : "role"} ${made.principal.name} already has ${made.policyArn} attached`
          : `user ${principal.name} already has permission set ${made.permissionSetArn} assigned in account ${account.id}`;
      throw new StandingAccessError(
        `${what}, and not through request ${request.id}: that is standing access, which jit-access neither grants again nor takes away at expiry; nothing was granted — the requester already has this access (or ask an admin to remove the standing ${made.kind === "attached" ? "attachment" : "assignment"} first)`,
      );
    }
    return { made, who, inputs, ours, ic, scheduler };
  }

  /**
   * Refuses, reading only, what the grant of this part would refuse before creating anything: a
   * catalogue bundle held as standing access. A grant in several accounts runs it in every account
   * first, so standing access in any one of them leaves every account untouched.
   */
  async function preflight(request: AccessRequest, expiresAt: string, meta: GrantMeta = {}): Promise<void> {
    const bundle = bundleOf(config, request);
    if (!bundle) return;
    assertRequestId(request.id);
    const target = resolveTarget(config, request);
    // A target that does not resolve is the grant's own refusal, said there.
    if (!target.ok) return;
    const { account, principal } = target.value;
    bundlePlacement(request, bundle, account);
    const clients = config.aws.mode === "iam" ? await clientsFor(account, request.id) : home;
    await bundleCheck(request, bundle, account, principal, expiresAt, scheduleAccountOf(meta, account.id), clients);
  }

  /**
   * A catalogue bundle: the existing managed policy attached, or the existing permission set
   * assigned, as it is (nothing to stamp). The revocation schedule is required — it is the only
   * expiry in AWS — and is made before the attachment. Standing access refuses the grant.
   */
  /** The bundle's revocation schedule's role, or the refusal: a bundle carries no time condition, the schedule is its only end in AWS. */
  function bundlePlacement(request: AccessRequest, bundle: BundleRef, account: ResolvedAccount): { ok: true; roleArn: string } {
    const placement = schedulePlacement(config, config.aws.mode, account.id);
    if (!placement.ok)
      throw new Error(
        `${request.id}: ${bundle.entry} carries no time condition, so it is granted only with a revocation schedule — ${placement.note}; nothing was granted`,
      );
    return placement;
  }

  async function grantBundle(
    request: AccessRequest,
    bundle: BundleRef,
    account: ResolvedAccount,
    principal: GrantResult["principal"],
    expiresAt: string,
    nowMs: number,
    scheduleAccount: string | undefined,
  ): Promise<GrantResult> {
    const mode = config.aws.mode;
    bundlePlacement(request, bundle, account);
    const journal = new Journal();
    const grantedAt = new Date(nowMs).toISOString();
    const clients = mode === "iam" ? await clientsFor(account, request.id) : home;

    const attempt = async (): Promise<GrantResult> => {
      const { made, who, inputs, ours, ic, scheduler } = await bundleCheck(request, bundle, account, principal, expiresAt, scheduleAccount, clients);
      try {
        const schedules: string[] = [];
        for (const input of inputs) {
          await journal.record({ kind: "schedule", name: input.Name }, (entry) => ensureSchedule(scheduler, input, entry));
          schedules.push(input.Name);
        }
        // Attach last: access exists only once its revocation is in place.
        if (made.kind === "attached") {
          const step = { kind: "iam-attachment" as const, policyArn: made.policyArn, principal: made.principal };
          if (ours) await journal.record(step, async (entry) => void (entry.outcome = "existed"));
          else await ensureAttached(clients.iam, journal, made.policyArn, made.principal, account.id, false);
        } else {
          const ctx = ic as IcContext;
          // Provisioning an already provisioned set would push its latest edits to every assignment in the account.
          if (!(await provisionedTo(ctx, made.permissionSetArn, account.id))) await provision(ctx, made.permissionSetArn, account.id);
          await ensureAssignment(ctx, journal, made.permissionSetArn, account.id, made.principalId, ours);
        }
        return result({
          mode,
          requestId: request.id,
          accountId: account.id,
          resources: [bundleResourceText(made)],
          schedules,
          principal: who,
          grantedAt,
          expiresAt,
          journal,
          note: undefined,
          ...(ic ? { instanceArn: ic.instanceArn } : {}),
        });
      } catch (error) {
        const leftOver = await rollback(clients, journal, account.id, request.id);
        const undone = leftOverNote(leftOver, expiresAt, "schedule");
        throw new GrantError(`grant of ${request.id} failed: ${messageOf(error)}${undone}`, error, leftOver);
      }
    };
    return mode === "iam" ? attempt() : mutex.run(account.id, attempt);
  }

  /**
   * Removes the bundle attachments and assignments of a revoke: those the record names and the one
   * the request's revocation schedule targets (so a revoke without a record, or a reconcile, finds
   * it too), each only when bundleRemovable says jit-access made it.
   */
  async function revokeBundles(
    clients: AwsClients,
    requestId: string,
    accountId: string,
    named: readonly BundleResource[],
    schedules: readonly string[],
  ): Promise<string[]> {
    const mode = config.aws.mode;
    // The revoke schedules that may target a bundle: iam mode's one; in identity-center mode each
    // account's of a request in several accounts too (the record's, or this account's and the first's).
    const names = mode === "iam" ? [scheduleName(requestId, "revoke")] : schedules.filter((n) => n !== scheduleName(requestId, "delete-policy"));
    const reads: Array<{ bundle: BundleResource; accountId?: string }> = [];
    // Without a usable scheduler no bundle was granted (it needs one), and the Scheduler may not even be readable.
    if (schedulePlacement(config, mode, accountId).ok)
      for (const name of names) {
        const read = await bundleOfSchedule(schedulerFor(mode, clients), requestId, name);
        if (read) reads.push(read);
      }
    const same = (a: BundleResource, b: BundleResource) => JSON.stringify(a) === JSON.stringify(b);
    const all = named.map((b) => ({ b, accountId, scheduled: reads.find((r) => same(r.bundle, b) && (r.accountId ?? accountId) === accountId)?.bundle }));
    // The schedule says where its assignment is: a reconcile may not know the account otherwise.
    for (const read of reads)
      if (!all.some((x) => same(x.b, read.bundle) && x.accountId === (read.accountId ?? accountId)))
        all.push({ b: read.bundle, accountId: read.accountId ?? accountId, scheduled: read.bundle });
    const removed: string[] = [];
    for (const { b, accountId, scheduled } of all) {
      if (b.kind === "attached") {
        const why = bundleRemovable(config, b, scheduled);
        if (why) throw new NotOwnedError(`refusing to revoke ${requestId}: ${why}; nothing was detached — remove it by hand if it really must go`);
        if (await detach(clients.iam, b.policyArn, b.principal)) removed.push(bundleResourceText(b));
      } else {
        const ic = icContext();
        const why = bundleRemovable(config, b, scheduled, await permissionSetNameOf(ic, b.permissionSetArn));
        if (why) throw new NotOwnedError(`refusing to revoke ${requestId}: ${why}; nothing was unassigned — remove it by hand if it really must go`);
        await mutex.run(accountId, async () => {
          if (await deleteAssignment(ic, b.permissionSetArn, accountId, b.principalId)) removed.push(bundleResourceText(b));
        });
      }
    }
    return removed;
  }

  async function createSchedules(
    clients: AwsClients,
    journal: Journal,
    requestId: string,
    expiresAt: string,
    roleArn: string,
    action: RevokeAction,
    scheduleAccount?: string,
  ): Promise<string[]> {
    const names: string[] = [];
    // A permission set gets a new ARN each time it is made, so the retry of a grant whose rollback
    // deleted the set but not its schedule meets that schedule pointing at the old, deleted set:
    // a schedule that can remove nothing any more, replaced rather than refusing the grant. One
    // whose set still exists is never replaced (it may be what ends an earlier grant's access).
    const replaceable =
      action.kind === "sso-delete-assignment"
        ? async (have: ExistingSchedule): Promise<boolean> => {
            const old = permissionSetArnOf(have.Target?.Input);
            return old !== undefined && old !== action.permissionSetArn && (await permissionSetGone(icContext(), old));
          }
        : undefined;
    for (const input of buildSchedules({
      partition: config.aws.partition,
      requestId,
      expiresAt,
      roleArn,
      action,
      ...(scheduleAccount ? { scheduleAccount } : {}),
    })) {
      await journal.record({ kind: "schedule", name: input.Name }, (entry) =>
        ensureSchedule(
          schedulerFor(config.aws.mode, clients),
          input,
          entry,
          replaceable && ((have) => (have.Target?.Arn === input.Target.Arn ? replaceable(have) : Promise.resolve(false))),
        ),
      );
      names.push(input.Name);
    }
    return names;
  }

  /** Undoes, in reverse, what this grant created or may have created; returns what it could not. */
  async function rollback(clients: AwsClients, journal: Journal, accountId: string, requestId: string): Promise<Step[]> {
    const leftOver: Step[] = [];
    const plan = planRollback(journal.entries);
    // Schedules last, and only once the access they end is gone: an assignment or attachment the
    // rollback cannot remove keeps its revocation schedule, which ends it at expiry and marks it
    // as this request's (not standing access) for the next attempt, the revoke and reconcile. A
    // policy or permission set left unattached and unassigned grants nothing and needs none.
    for (const step of plan.filter((s) => s.kind !== "schedule")) {
      try {
        await undo(clients, step, accountId, requestId);
      } catch {
        leftOver.push(step);
      }
    }
    const accessLeft = leftOver.some((s) => s.kind === "assignment" || s.kind === "iam-attachment");
    for (const step of plan.filter((s) => s.kind === "schedule")) {
      if (accessLeft) {
        leftOver.push(step);
        continue;
      }
      try {
        await undo(clients, step, accountId, requestId);
      } catch {
        leftOver.push(step);
      }
    }
    return leftOver;
  }

  async function undo(clients: AwsClients, step: Step, accountId: string, requestId: string): Promise<void> {
    switch (step.kind) {
      case "iam-attachment":
        await detach(clients.iam, step.policyArn, step.principal);
        return;
      case "iam-policy":
        await removePolicy(clients.iam, step.arn);
        return;
      case "schedule":
        await deleteSchedule(schedulerFor(config.aws.mode, clients), step.name);
        return;
      case "assignment":
        await deleteAssignment(icContext(), step.permissionSetArn, step.accountId, step.principalId);
        return;
      case "permission-set": {
        const ic = icContext();
        const arn = step.arn ?? (await findPermissionSet(ic, step.name));
        // A set of the request's name that jit-access did not tag for this request (made by
        // hand, or a stranger's found after a create whose answer was lost) was never this
        // grant's: removing it would unassign whoever holds it. Ours always carries the tag.
        if (arn && (step.made || (await isRequestsPermissionSet(ic, arn, requestId)))) await removePermissionSet(ic, arn, accountId);
        return;
      }
    }
  }

  async function revoke(target: RevokeTarget): Promise<RevokeResult> {
    assertRequestId(target.requestId);
    const account = resolveAccount(config, target.accountId) ?? { id: target.accountId };
    // Only what a grant of this request creates, checked by name before any call and by tag in
    // AWS before anything is removed: a record is text, and its names are not trusted.
    const owned = ownedTarget(config, target, account.id);
    if (!owned.ok) throw new NotOwnedError(owned.problems.map((p) => p.message).join("; "));
    const { schedules } = owned.value;
    const removed: string[] = [];
    if (target.mode === "iam") {
      const clients = await clientsFor(account, target.requestId);
      const policyArn = owned.value.policyArn ?? iamPolicyArn(config.aws.partition, account.id, target.requestId);
      if (await ownedPolicy(clients.iam, policyArn, target.requestId)) removed.push(...(await removePolicy(clients.iam, policyArn)));
      removed.push(...(await revokeBundles(clients, target.requestId, account.id, owned.value.bundles, schedules)));
      // Schedules last: while access remains, its scheduled revocation stays too.
      if (target.schedules?.length || schedulePlacement(config, "iam", account.id).ok) {
        for (const name of schedules) if (await deleteSchedule(clients.scheduler, name)) removed.push(`schedule:${name}`);
      }
    } else {
      const ic = icContext();
      // A bundle grant creates no permission set of its own: the record that names only bundles needs no search for one.
      const onlyBundles = owned.value.bundles.length > 0 && owned.value.permissionSetArn === undefined;
      if (!onlyBundles)
        await mutex.run(account.id, async () => {
          const arn = owned.value.permissionSetArn ?? (await findPermissionSet(ic, permissionSetName(target.requestId)));
          if (arn && (await ownedPermissionSet(ic, arn, target.requestId))) removed.push(...(await removePermissionSet(ic, arn, account.id)));
        });
      removed.push(...(await revokeBundles(home, target.requestId, account.id, owned.value.bundles, schedules)));
      if (target.schedules?.length || config.aws.scheduler_role_arn) {
        for (const name of schedules) if (await deleteSchedule(home.scheduler, name)) removed.push(`schedule:${name}`);
      }
    }
    return { requestId: target.requestId, removed, alreadyGone: removed.length === 0 };
  }

  async function extend(request: AccessRequest, target: RevokeTarget, policy: PolicyDocument, expiresAt: string, meta: GrantMeta = {}): Promise<ExtendResult> {
    assertRequestId(target.requestId);
    if (target.requestId !== request.id) throw new Error(`extend: the target ${target.requestId} is not request ${request.id}; nothing was changed`);
    const expiresMs = assertFutureExpiry(now().getTime(), expiresAt);
    const resolved = resolveTarget(config, request);
    if (!resolved.ok) throw new Error(resolved.problems.map(describeProblem).join("; "));
    const { principal } = resolved.value;
    const account = resolveAccount(config, target.accountId) ?? { id: target.accountId };
    const owned = ownedTarget(config, target, account.id);
    if (!owned.ok) throw new NotOwnedError(owned.problems.map((p) => p.message).join("; "));
    const scheduleAccount = scheduleAccountOf(meta, account.id);
    if (bundleOf(config, request)) return extendBundle(request, account, owned.value.bundles, expiresAt, scheduleAccount);
    const stamped = stampedFor(policy, account, expiresAt, meta);
    const stampedExpiry = expiryOf(stamped);
    if (stampedExpiry === undefined || Date.parse(stampedExpiry) > expiresMs)
      throw new Error(`the policy of ${request.id} does not expire by ${expiresAt} after stamping; nothing was changed`);
    const document = policyText(stamped);
    const sizeProblem = policySizeProblem(document, target.mode);
    if (sizeProblem) throw new Error(`${request.id}: ${sizeProblem}; nothing was changed`);
    const placement = schedulePlacement(config, target.mode, account.id);
    const schedules: string[] = [];
    if (target.mode === "iam") {
      if (principal.kind === "sso_user") throw new Error("an sso_user cannot hold an iam-mode grant");
      const clients = await clientsFor(account, request.id);
      const policyArn = owned.value.policyArn ?? iamPolicyArn(config.aws.partition, account.id, request.id);
      if (!(await ownedPolicy(clients.iam, policyArn, request.id)))
        throw new Error(`IAM policy ${policyArn} is gone: the grant has ended; nothing was extended`);
      await replaceIamPolicy(clients.iam, {
        partition: config.aws.partition,
        accountId: account.id,
        requestId: request.id,
        policyArn,
        principal,
        document,
        tags: grantTags(request.id, expiresAt),
      });
      if (placement.ok)
        schedules.push(
          ...(await moveSchedules(clients.scheduler, request.id, expiresAt, placement.roleArn, { kind: "iam-detach", principal, policyArn }, undefined)),
        );
    } else {
      const ic = icContext();
      const psArn = owned.value.permissionSetArn ?? (await findPermissionSet(ic, permissionSetName(request.id)));
      if (!psArn || !(await ownedPermissionSet(ic, psArn, request.id)))
        throw new Error(`the permission set of ${request.id} is gone: the grant has ended; nothing was extended`);
      await mutex.run(account.id, () => replaceInlinePolicy(ic, psArn, account.id, document, expiresAt));
      if (placement.ok) {
        const userId = await userIdOf(home.identityStore, config.aws.identity_center?.identity_store_id ?? "", principal.name);
        const action = {
          kind: "sso-delete-assignment" as const,
          instanceArn: ic.instanceArn,
          accountId: account.id,
          permissionSetArn: psArn,
          principalId: userId,
        };
        schedules.push(...(await moveSchedules(home.scheduler, request.id, expiresAt, placement.roleArn, action, scheduleAccount)));
      }
    }
    return { requestId: request.id, expiresAt, schedules, ...(placement.ok ? {} : { scheduleNote: placement.note }) };
  }

  /** An extension's schedules: the request's revoke schedules for `action`, moved to the new expiry; their names. */
  async function moveSchedules(
    scheduler: SchedulerClient,
    requestId: string,
    expiresAt: string,
    roleArn: string,
    action: RevokeAction,
    scheduleAccount: string | undefined,
  ): Promise<string[]> {
    const names: string[] = [];
    for (const input of buildSchedules({
      partition: config.aws.partition,
      requestId,
      expiresAt,
      roleArn,
      action,
      ...(scheduleAccount ? { scheduleAccount } : {}),
    })) {
      await moveSchedule(scheduler, input);
      names.push(input.Name);
    }
    return names;
  }

  /**
   * A bundle grant's extension moves its revocation schedule, nothing else: the attachment or
   * assignment stays as it is (there is no time condition to restamp).
   */
  async function extendBundle(
    request: AccessRequest,
    account: ResolvedAccount,
    bundles: readonly BundleResource[],
    expiresAt: string,
    scheduleAccount: string | undefined,
  ): Promise<ExtendResult> {
    const mode = config.aws.mode;
    const b = bundles.length === 1 ? bundles[0] : undefined;
    if (!b) throw new Error(`extend: the record of ${request.id} names ${bundles.length} attachments or assignments, not one; nothing was extended`);
    const placement = schedulePlacement(config, mode, account.id);
    if (!placement.ok) throw new Error(`extend: ${request.id} carries no time condition and ${placement.note}; nothing was extended`);
    const clients = mode === "iam" ? await clientsFor(account, request.id) : home;
    let action: RevokeAction;
    if (b.kind === "attached") {
      if (!(await attachedDirectly(clients.iam, b.principal, b.policyArn)))
        throw new Error(`${b.policyArn} is no longer attached to ${b.principal.name}: the grant has ended; nothing was extended`);
      action = { kind: "iam-detach", principal: b.principal, policyArn: b.policyArn, bundle: true };
    } else {
      const ic = icContext();
      if (!(await assignedDirectly(ic, b.permissionSetArn, account.id, b.principalId)))
        throw new Error(`permission set ${b.permissionSetArn} is no longer assigned in ${account.id}: the grant has ended; nothing was extended`);
      action = {
        kind: "sso-delete-assignment",
        instanceArn: ic.instanceArn,
        accountId: account.id,
        permissionSetArn: b.permissionSetArn,
        principalId: b.principalId,
        bundle: true,
      };
    }
    const schedules = await moveSchedules(schedulerFor(mode, clients), request.id, expiresAt, placement.roleArn, action, scheduleAccount);
    return { requestId: request.id, expiresAt, schedules };
  }

  async function listManaged(): Promise<ManagedResource[]> {
    const out: ManagedResource[] = [];
    if (config.aws.mode === "iam") {
      const seen = new Set<string>();
      for (const alias of Object.keys(config.aws.accounts)) {
        const account = resolveAccount(config, alias);
        if (!account || seen.has(account.id)) continue;
        seen.add(account.id);
        const clients = await clientsFor(account, "0-list");
        out.push(...(await listPolicies(clients, account.id)));
        if (schedulePlacement(config, "iam", account.id).ok) out.push(...(await listSchedules(clients.scheduler, [account.id])));
      }
      return out;
    }
    out.push(...(await listPermissionSets(icContext())));
    if (config.aws.scheduler_role_arn) out.push(...(await listSchedules(home.scheduler, [])));
    return out;
  }

  return { grant, revoke, listManaged, extend, preflight };
}

function result(args: {
  mode: Config["aws"]["mode"];
  requestId: string;
  accountId: string;
  resources: string[];
  schedules: string[];
  principal: GrantResult["principal"];
  grantedAt: string;
  expiresAt: string;
  journal: Journal;
  note: string | undefined;
  instanceArn?: string;
}): GrantResult {
  return {
    mode: args.mode,
    requestId: args.requestId,
    accountId: args.accountId,
    resources: args.resources,
    schedules: args.schedules,
    principal: args.principal,
    grantedAt: args.grantedAt,
    expiresAt: args.expiresAt,
    changed: args.journal.entries.some((e) => e.outcome === "created"),
    ...(args.note ? { scheduleNote: args.note } : {}),
    ...(args.instanceArn ? { instanceArn: args.instanceArn } : {}),
  };
}

/** The permission set a deleteAccountAssignment schedule's input names, or undefined. */
function permissionSetArnOf(input: string | undefined): string | undefined {
  try {
    const arn = (JSON.parse(input ?? "") as { PermissionSetArn?: unknown }).PermissionSetArn;
    return typeof arn === "string" ? arn : undefined;
  } catch {
    return undefined;
  }
}
