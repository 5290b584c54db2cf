// A stateful in-memory AWS (IAM, STS, Identity Center admin + identity store, Scheduler, CloudTrail
// LookupEvents) under the real SDK clients.
//
// Why not aws-sdk-client-mock: it stubs Client#send, which skips the whole middleware stack —
// serialization, signing and, above all, the SDK's retry middleware. Then a throttle injected by
// the fake would surface as a failure the real SDK would have retried, and the adapter's retry
// configuration would go untested. Instead `send` of each client class is wrapped (as
// aws-sdk-client-mock does, prototype-wide, undone by restore()) to add one middleware right
// after signing: requests are really serialized and signed (the access key in the signature
// tells the fake which account and which assumed role is calling), errors go through the SDK's
// real retry strategy, and the fake answers instead of the network.

import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { IdentitystoreClient } from "@aws-sdk/client-identitystore";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SSOAdminClient } from "@aws-sdk/client-sso-admin";
import { STSClient } from "@aws-sdk/client-sts";
import { lazyClients, type AwsClients, type ClientSettings } from "../../../src/aws/clients.js";
import { emptyCloudTrail, handleCloudTrail, recordEvent, type RecordInput } from "./cloudtrail.js";
import { awsError, FakeError, internalError, throttlingError, type Service } from "./errors.js";
import { handleIam } from "./iam.js";
import { atMs, handleScheduler, UNIVERSAL } from "./scheduler.js";
import { emptySes, handleSes } from "./ses.js";
import { handleIdentityStore, handleSso, settle, type SsoRuntime } from "./sso.js";
import { emptyAccount, type AccountState, type FakeState } from "./state.js";

export type { Service } from "./errors.js";
export * from "./state.js";

export type FaultKind =
  /** Throttling error before the call takes effect (the SDK retries it). */
  | "throttle"
  /** HTTP 500 before the call takes effect (retried). */
  | "server-error"
  /** The call takes effect, then a 500 loses the response (retried; the retry meets the result). */
  | "lost-response"
  /** A non-retryable error before the call takes effect: the caller's process "crashes" here. */
  | "crash"
  /** The call takes effect, then a non-retryable error. */
  | "crash-after"
  /** ConflictException before the call takes effect (Identity Center: another change is running). */
  | "conflict"
  /** Delay the answer by latencyMs. */
  | "latency";

export interface Fault {
  kind: FaultKind;
  service?: Service;
  op?: string;
  /** Fire on the nth matching call counted from when the fault was added (1-based; default 1). */
  nth?: number;
  /** Fire on the Kth call overall (1-based, every attempt counts), whatever its operation. */
  atCall?: number;
  /** How many consecutive matching calls fail once it fires (default 1). */
  times?: number;
  latencyMs?: number;
}

export interface Call {
  index: number;
  service: Service;
  op: string;
  input: Record<string, unknown>;
  account: string;
  accessKeyId: string;
  fault?: FaultKind;
}

export interface Invocation {
  schedule: string;
  account: string;
  target: string;
  input: Record<string, unknown>;
  error?: string;
}

interface Caller {
  account: string;
  arn: string;
}

const BEFORE: FaultKind[] = ["throttle", "server-error", "crash", "conflict"];

/** Tiny-delay retry with the standard classification, so tests exercise SDK retries quickly. */
export function fastRetryStrategy(maxAttempts = 4) {
  const token = (n: number) => ({ getRetryCount: () => n, getRetryDelay: () => 1 });
  return {
    mode: "standard",
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (t: { getRetryCount(): number }, info: { errorType: string }) => {
      const next = t.getRetryCount() + 1;
      if (next >= maxAttempts || !["THROTTLING", "TRANSIENT", "SERVER_ERROR"].includes(info.errorType)) throw new Error("no more retries");
      return token(next);
    },
    recordSuccess: () => undefined,
  };
}

let active: FakeAws | undefined;

export interface FakeAwsOptions {
  homeAccount?: string;
  region?: string;
  /** Status polls before an Identity Center operation completes (default 2). */
  asyncPolls?: number;
  /** SDK attempts per call, first included (default 4). */
  maxAttempts?: number;
}

export type FakeAws = ReturnType<typeof createFakeAws>;

export function createFakeAws(options: FakeAwsOptions = {}) {
  if (active) throw new Error("another fake AWS is installed; restore() it first");
  const homeAccount = options.homeAccount ?? "111111111111";
  const region = options.region ?? "us-east-1";
  const credentials = { accessKeyId: "AKIAFAKEHOME00000000", secretAccessKey: "fake-secret" };
  const clientSettings: ClientSettings = {
    region,
    credentials,
    maxAttempts: options.maxAttempts ?? 4,
    retryStrategy: fastRetryStrategy(options.maxAttempts ?? 4),
  };

  const state: FakeState = {
    accounts: new Map(),
    sso: {
      instanceArn: "arn:aws:sso:::instance/ssoins-1111111111111111",
      identityStoreId: "d-1111111111",
      permissionSets: new Map(),
      assignments: new Map(),
      users: new Map(),
    },
  };
  const cloudtrail = emptyCloudTrail();
  const ses = emptySes();
  const sso: SsoRuntime = { ops: new Map(), polls: options.asyncPolls ?? 2, failNext: new Map(), counter: 0 };
  const keys = new Map<string, Caller>([
    [credentials.accessKeyId, { account: homeAccount, arn: `arn:aws:sts::${homeAccount}:assumed-role/jit-access-app/app` }],
  ]);
  const calls: Call[] = [];
  const assumeRoleCalls: Array<{ RoleArn: string; RoleSessionName: string; caller: string; accessKeyId: string }> = [];
  let faultList: Array<Fault & { seen: number; left: number }> = [];
  const fired: Array<{ fault: Fault; call: number }> = [];
  let keyCounter = 0;

  const account = (id: string): AccountState => {
    let a = state.accounts.get(id);
    if (!a) {
      a = emptyAccount();
      state.accounts.set(id, a);
    }
    return a;
  };
  account(homeAccount);

  const faults = {
    add(fault: Fault): void {
      faultList.push({ ...fault, seen: 0, left: fault.times ?? 1 });
    },
    clear(): void {
      faultList = [];
    },
    get fired() {
      return fired;
    },
  };

  function matchFault(service: Service, op: string, index: number): Fault | undefined {
    for (const f of faultList) {
      if (f.left <= 0) continue;
      if (f.atCall !== undefined) {
        if (index >= f.atCall) {
          f.left--;
          return f;
        }
        continue;
      }
      if ((f.service && f.service !== service) || (f.op && f.op !== op)) continue;
      f.seen++;
      if (f.seen >= (f.nth ?? 1)) {
        f.left--;
        return f;
      }
    }
    return undefined;
  }

  function faultError(service: Service, kind: FaultKind): Error {
    switch (kind) {
      case "throttle":
        return throttlingError(service);
      case "server-error":
      case "lost-response":
        return internalError(service);
      case "conflict":
        return awsError(service, "ConflictException", "Another operation is in progress; try again");
      case "crash":
      case "crash-after":
      case "latency":
        return awsError(service, "InjectedCrash", `injected crash (${kind})`);
    }
  }

  function handleSts(caller: Caller, op: string, input: Record<string, unknown>, accessKeyId: string): Record<string, unknown> {
    if (op === "GetCallerIdentity") return { Account: caller.account, Arn: caller.arn, UserId: `AROAFAKE:${accessKeyId}` };
    if (op !== "AssumeRole") throw new FakeError("InvalidAction", `The fake STS does not implement ${op}`);
    const roleArn = String(input.RoleArn ?? "");
    const m = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]{1,64})$/.exec(roleArn);
    if (!m) throw new FakeError("ValidationError", `Invalid RoleArn ${roleArn}`);
    const session = String(input.RoleSessionName ?? "");
    if (!/^[\w+=,.@-]{2,64}$/.test(session)) throw new FakeError("ValidationError", `Invalid RoleSessionName ${session}`);
    const duration = typeof input.DurationSeconds === "number" ? input.DurationSeconds : 3600;
    if (duration < 900 || duration > 43_200) throw new FakeError("ValidationError", `DurationSeconds ${duration} must be between 900 and 43200`);
    const target = m[1] ?? "";
    if (!state.accounts.get(target)?.iam.roles.has(m[2] ?? "")) {
      throw new FakeError("AccessDenied", `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const key = `ASIAFAKE${String(++keyCounter).padStart(12, "0")}`;
    const arn = `arn:aws:sts::${target}:assumed-role/${m[2]}/${session}`;
    keys.set(key, { account: target, arn });
    assumeRoleCalls.push({ RoleArn: roleArn, RoleSessionName: session, caller: caller.account, accessKeyId: key });
    return {
      Credentials: { AccessKeyId: key, SecretAccessKey: "fake-secret", SessionToken: `token-${key}`, Expiration: new Date(Date.now() + duration * 1000) },
      AssumedRoleUser: { Arn: arn, AssumedRoleId: `AROAFAKE:${session}` },
    };
  }

  async function dispatch(
    service: Service,
    op: string,
    input: Record<string, unknown>,
    accessKeyId: string,
    clientToken: string | undefined,
  ): Promise<Record<string, unknown>> {
    const index = calls.length + 1;
    const caller = keys.get(accessKeyId);
    const call: Call = { index, service, op, input: structuredClone(input), account: caller?.account ?? "?", accessKeyId };
    calls.push(call);
    if (!caller)
      throw awsError(
        service,
        service === "iam" || service === "sts" ? "InvalidClientTokenId" : "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      );
    const fault = matchFault(service, op, index);
    if (fault) {
      call.fault = fault.kind;
      fired.push({ fault, call: index });
      if (fault.kind === "latency") await new Promise((r) => setTimeout(r, fault.latencyMs ?? 10));
      if (BEFORE.includes(fault.kind)) throw faultError(service, fault.kind);
    }
    let out: Record<string, unknown>;
    try {
      out = run(service, op, input, caller, accessKeyId, clientToken);
    } catch (error) {
      // A lost answer is lost whether it was a result or an error.
      if (fault && (fault.kind === "lost-response" || fault.kind === "crash-after")) throw faultError(service, fault.kind);
      if (error instanceof FakeError) throw awsError(service, error.code, error.message);
      throw error;
    }
    if (fault && (fault.kind === "lost-response" || fault.kind === "crash-after")) throw faultError(service, fault.kind);
    return structuredClone(out);
  }

  function run(
    service: Service,
    op: string,
    input: Record<string, unknown>,
    caller: Caller,
    accessKeyId: string,
    clientToken: string | undefined,
  ): Record<string, unknown> {
    switch (service) {
      case "iam":
        return handleIam(account(caller.account).iam, caller.account, op, input);
      case "scheduler":
        return handleScheduler(account(caller.account).scheduler, caller.account, op, input, clientToken);
      case "sts":
        return handleSts(caller, op, input, accessKeyId);
      case "cloudtrail":
        return handleCloudTrail(cloudtrail, caller.account, op, input);
      case "sesv2":
        return handleSes(ses, region, op, input);
      case "sso":
      case "identitystore":
        // Identity Center is administered from its own (here: the home) account only.
        if (caller.account !== homeAccount) throw new FakeError("AccessDeniedException", `Account ${caller.account} is not the Identity Center administrator`);
        return service === "sso" ? handleSso(state.sso, sso, op, input) : handleIdentityStore(state.sso, op, input);
    }
  }

  // --- plugging in under the SDK clients ---------------------------------------------------

  const CLASSES: Array<[{ prototype: { send: unknown } }, Service]> = [
    [IAMClient, "iam"],
    [SSOAdminClient, "sso"],
    [IdentitystoreClient, "identitystore"],
    [SchedulerClient, "scheduler"],
    [STSClient, "sts"],
    [CloudTrailClient, "cloudtrail"],
    [SESv2Client, "sesv2"],
  ];
  type Send = (this: unknown, ...args: unknown[]) => unknown;
  const saved: Array<{ proto: { send: unknown }; own: boolean; previous: unknown }> = [];
  for (const [cls, service] of CLASSES) {
    const proto = cls.prototype;
    const own = Object.hasOwn(proto, "send");
    const previous = proto.send;
    saved.push({ proto, own, previous });
    proto.send = function (this: { middlewareStack: MiddlewareStack }, ...args: unknown[]) {
      plug(this, service);
      return (previous as Send).apply(this, args);
    };
  }

  function restore(): void {
    for (const { proto, own, previous } of saved) {
      if (own) proto.send = previous;
      else delete (proto as { send?: unknown }).send;
    }
    if (active === fake) active = undefined;
  }

  let made: AwsClients | undefined;
  const fake = {
    homeAccount,
    region,
    credentials,
    /** Settings for SDK clients (and for createGrants' clientSettings): fake keys, fast retries. */
    clientSettings,
    /** The app's home-account clients. */
    get clients(): AwsClients {
      made ??= lazyClients(clientSettings);
      return made;
    },
    state,
    faults,
    calls,
    assumeRoleCalls,
    sso,
    /** LookupEvents' event store, rate limit and clock (see cloudtrail.ts). */
    cloudtrail,
    /** SES v2: verified identities, sandbox, messages sent (see ses.ts). */
    ses,
    /** Puts one event into `input.account`'s Event history, as if the holder had made the call. */
    recordEvent(input: RecordInput) {
      return recordEvent(cloudtrail, region, input);
    },
    dispatch,
    restore,
    account,
    addUser(accountId: string, name: string, attached: string[] = []): void {
      if (!/^[\w+=,.@-]{1,64}$/.test(name)) throw new Error(`invalid IAM user name ${name}`);
      account(accountId).iam.users.set(name, { name, attached: [...attached], inline: new Map() });
    },
    addRole(accountId: string, name: string, attached: string[] = []): void {
      if (!/^[\w+=,.@-]{1,64}$/.test(name)) throw new Error(`invalid IAM role name ${name}`);
      account(accountId).iam.roles.set(name, { name, attached: [...attached], inline: new Map() });
    },
    addGroup(accountId: string, name: string): void {
      account(accountId).iam.groups.set(name, { name, attached: [], inline: new Map() });
    },
    addSsoUser(userName: string, emails: string[] = []): string {
      const id = `9067${String(state.sso.users.size + 1).padStart(6, "0")}-aaaa-bbbb-cccc-${"d".repeat(12)}`;
      state.sso.users.set(userName, id);
      if (emails.length) (state.sso.emails ??= new Map()).set(userName, [...emails]);
      return id;
    },
    addScheduleGroup(accountId: string, name = "jit-access"): void {
      account(accountId).scheduler.groups.add(name);
    },
    /** Lets every Identity Center operation in progress finish. */
    settle(): void {
      settle(sso);
    },
    /** The durable state, for "nothing changed" comparisons (no call logs or operation records). */
    snapshot(): FakeState {
      return structuredClone(state);
    },
    /** Back to an empty home account: no state, logs, faults or operations. */
    reset(): void {
      state.accounts.clear();
      state.sso.permissionSets.clear();
      state.sso.assignments.clear();
      state.sso.users.clear();
      state.sso.emails?.clear();
      cloudtrail.events.clear();
      cloudtrail.trails.clear();
      ses.production = false;
      ses.verified.clear();
      ses.sent.length = 0;
      account(homeAccount);
      fake.resetLogs();
      sso.polls = options.asyncPolls ?? 2;
    },
    /** Drops call logs, faults and in-flight operations (state stays). */
    resetLogs(): void {
      calls.length = 0;
      assumeRoleCalls.length = 0;
      fired.length = 0;
      faultList = [];
      sso.ops.clear();
      sso.failNext.clear();
      cloudtrail.accepted.clear();
    },
    /**
     * Runs every enabled at() schedule due by `now` the way Scheduler would: its universal target
     * calls the API with Input as the parameters, as the schedule's role in the schedule's account.
     */
    fireDueSchedules(now: Date): Invocation[] {
      const out: Invocation[] = [];
      for (const [accountId, a] of state.accounts) {
        for (const [key, s] of [...a.scheduler.schedules]) {
          const at = atMs(s.ScheduleExpression);
          if (at === undefined || at > now.getTime() || s.State !== "ENABLED") continue;
          const input = JSON.parse(s.Target.Input ?? "{}") as Record<string, unknown>;
          const inv: Invocation = { schedule: key, account: accountId, target: s.Target.Arn, input };
          try {
            const m = UNIVERSAL.exec(s.Target.Arn);
            if (!m) throw new Error(`not a universal target: ${s.Target.Arn}`);
            if (s.Target.RoleArn.split(":")[4] !== accountId) throw new Error(`AccessDenied: role ${s.Target.RoleArn} is not in account ${accountId}`);
            const op = (m[3] ?? "").charAt(0).toUpperCase() + (m[3] ?? "").slice(1);
            const service = m[2] === "iam" ? "iam" : m[2] === "ssoadmin" ? "sso" : undefined;
            if (!service) throw new Error(`the fake does not run ${m[2]} targets`);
            if (service === "iam") handleIam(a.iam, accountId, op, input);
            else {
              if (accountId !== homeAccount) throw new Error(`AccessDeniedException: ${accountId} is not the Identity Center administrator`);
              handleSso(state.sso, sso, op, input);
              settle(sso);
            }
          } catch (error) {
            inv.error = error instanceof FakeError ? `${error.code}: ${error.message}` : String(error);
          }
          out.push(inv);
          if (s.ActionAfterCompletion === "DELETE") a.scheduler.schedules.delete(key);
        }
      }
      return out;
    },
  };
  active = fake;
  return fake;

  function plug(client: { middlewareStack: MiddlewareStack }, service: Service): void {
    if (plugged.has(client)) return;
    plugged.add(client);
    client.middlewareStack.addRelativeTo(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown>; request?: { headers?: Record<string, string>; body?: unknown } }) => {
          const current = active;
          if (!current) return next(args); // restored: behave like a plain client
          const auth = args.request?.headers?.authorization ?? "";
          const accessKeyId = /Credential=([^/]+)\//.exec(auth)?.[1] ?? "";
          const op = (context.commandName ?? "").replace(/Command$/, "");
          const output = await current.dispatch(service, op, args.input, accessKeyId, clientTokenOf(args.request?.body));
          return { output: { ...output, $metadata: { httpStatusCode: 200, requestId: "fake" } }, response: { statusCode: 200, headers: {} } };
        },
      { relation: "after", toMiddleware: "httpSigningMiddleware", name: "fakeAwsMiddleware" },
    );
  }
}

interface MiddlewareStack {
  addRelativeTo(middleware: unknown, options: { relation: "after" | "before"; toMiddleware: string; name: string }): void;
}

const plugged = new WeakSet<object>();

/** The idempotency token the SDK fills in (it is in the serialized body, not in the input). */
function clientTokenOf(body: unknown): string | undefined {
  try {
    const text = typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : undefined;
    if (!text || !text.startsWith("{")) return undefined;
    const token = (JSON.parse(text) as { ClientToken?: unknown }).ClientToken;
    return typeof token === "string" ? token : undefined;
  } catch {
    return undefined;
  }
}
