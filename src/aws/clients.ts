// SDK clients: the app's own (home) clients, and per-account clients that act through an assumed
// role when the account's config names one.

import { IAMClient, type IAMClientConfig } from "@aws-sdk/client-iam";
import { IdentitystoreClient, type IdentitystoreClientConfig } from "@aws-sdk/client-identitystore";
import { SchedulerClient, type SchedulerClientConfig } from "@aws-sdk/client-scheduler";
import { SSOAdminClient, type SSOAdminClientConfig } from "@aws-sdk/client-sso-admin";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type STSClientConfig } from "@aws-sdk/client-sts";
import type { ResolvedAccount } from "../domain/config.js";
import { accountOfArn, roleSessionName } from "./naming.js";

export interface AwsClients {
  iam: IAMClient;
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
  scheduler: SchedulerClient;
  sts: STSClient;
}

/** Settings shared by every client we create (the clients' config types agree on these). */
export type ClientSettings = Pick<IAMClientConfig, "region" | "credentials" | "retryMode" | "maxAttempts" | "retryStrategy" | "logger">;

/** Throttling is retried by the SDK's adaptive mode (client-side rate limiting), a bounded number of times. */
export const DEFAULT_MAX_ATTEMPTS = 6;

export function defaultClientSettings(region: string): ClientSettings {
  return { region, retryMode: "adaptive", maxAttempts: DEFAULT_MAX_ATTEMPTS };
}

/** Clients made on first use, all with the same settings. */
export function lazyClients(settings: ClientSettings, given: Partial<AwsClients> = {}): AwsClients {
  const made: Partial<AwsClients> = { ...given };
  const get = <K extends keyof AwsClients>(key: K, make: () => AwsClients[K]): AwsClients[K] => {
    const existing = made[key];
    if (existing) return existing;
    const client = make();
    made[key] = client;
    return client;
  };
  return {
    get iam() {
      return get("iam", () => new IAMClient(settings));
    },
    get ssoAdmin() {
      return get("ssoAdmin", () => new SSOAdminClient(settings as SSOAdminClientConfig));
    },
    get identityStore() {
      return get("identityStore", () => new IdentitystoreClient(settings as IdentitystoreClientConfig));
    },
    get scheduler() {
      return get("scheduler", () => new SchedulerClient(settings as SchedulerClientConfig));
    },
    get sts() {
      return get("sts", () => new STSClient(settings as STSClientConfig));
    },
  };
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };

/**
 * A credentials provider that assumes `roleArn` with the home STS client, once, and again
 * shortly before the session expires; shared by all clients of the account.
 */
export function assumeRoleCredentials(sts: STSClient, roleArn: string, requestId: string): () => Promise<Credentials> {
  let cached: Credentials | undefined;
  let pending: Promise<Credentials> | undefined;
  const fresh = (c: Credentials) => !c.expiration || c.expiration.getTime() - Date.now() > 5 * 60_000;
  return async () => {
    if (cached && fresh(cached)) return cached;
    pending ??= (async () => {
      try {
        const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: roleSessionName(requestId), DurationSeconds: 3600 }));
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn} returned no credentials`);
        cached = {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        };
        return cached;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };
}

/** Clients acting in `account`: the home clients, or new ones with the account's assumed role. */
export function accountClients(home: AwsClients, settings: ClientSettings, account: ResolvedAccount, requestId: string): AwsClients {
  if (!account.roleArn) return home;
  if (accountOfArn(account.roleArn) !== account.id) {
    throw new Error(`the role_arn ${account.roleArn} configured for account ${account.id} is in another account; fix aws.accounts`);
  }
  return lazyClients({ ...settings, credentials: assumeRoleCredentials(home.sts, account.roleArn, requestId) });
}

/**
 * Refuses to act when the credentials are not in the expected account: without a role_arn the
 * app's own credentials are used, and a misconfigured account id must not send a grant elsewhere.
 */
export async function assertAccount(clients: AwsClients, accountId: string): Promise<void> {
  const who = await clients.sts.send(new GetCallerIdentityCommand({}));
  if (who.Account !== accountId) {
    throw new Error(
      `the AWS credentials for account ${accountId} are in account ${who.Account ?? "?"} (${who.Arn ?? "?"}); refusing to act — add a role_arn for this account or fix its id`,
    );
  }
}
