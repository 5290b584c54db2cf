// `jit-access doctor`: what it reads from AWS, with the operator's credentials (the default
// credential chain), not the app's role — which is why these calls live outside src/aws, whose
// calls the deploy template's app role is checked against. Read-only calls only; each failure
// becomes a Read { ok: false } naming the error.
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetUserIdCommand, IdentitystoreClient, ListUsersCommand } from "@aws-sdk/client-identitystore";
import { GetScheduleGroupCommand, SchedulerClient, type SchedulerClientConfig } from "@aws-sdk/client-scheduler";
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  SSOAdminClient,
} from "@aws-sdk/client-sso-admin";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { ClientSettings } from "../aws/clients.js";
import { SCHEDULE_GROUP } from "../aws/naming.js";
import type { Config } from "../domain/types.js";
import { policyDocumentText } from "../aws/iam.js";
import { loadCatalogue } from "../iam-data.js";
import { analyseBundle, type BundleAnalysis } from "../policy/bundle.js";
import { bundleOf, type BundleRef } from "../domain/access-catalogue.js";
import type { CatalogueFacts } from "./catalogue-check.js";
import type { AwsFacts, Read } from "./checks.js";

/** sso_user principals looked up at most (one GetUserId each). */
export const MAX_USERS_LOOKED_UP = 50;

function errorName(e: unknown): string | undefined {
  const n = (e as { name?: unknown } | null)?.name;
  return typeof n === "string" ? n : undefined;
}

async function read<T>(f: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    const name = errorName(e);
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: name && name !== "Error" && !message.startsWith(name) ? `${name}: ${message}` : message };
  }
}

/** Runs f; a not-found error (the thing does not exist) is the value undefined. */
async function unlessMissing<T>(f: () => Promise<T>, missing: string[]): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (missing.includes(errorName(e) ?? "")) return undefined;
    throw e;
  }
}

/** Role name of an IAM role ARN (the part after the last "/"), or undefined. */
export function roleNameOf(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?([\w+=,.@-]{1,64})$/.exec(arn);
  return m?.[1];
}

export async function gatherAwsFacts(config: Config, settings: ClientSettings): Promise<AwsFacts> {
  const sts = new STSClient(settings);
  const caller = await read(async () => {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? "?", arn: out.Arn ?? "?" };
  });
  const facts: AwsFacts = { caller };

  const roleArn = config.aws.scheduler_role_arn;
  if (roleArn) {
    const name = roleNameOf(roleArn);
    facts.schedulerRole = name
      ? await read(() =>
          unlessMissing(async () => {
            const out = await new IAMClient(settings).send(new GetRoleCommand({ RoleName: name }));
            return { arn: out.Role?.Arn ?? roleArn, trust: out.Role?.AssumeRolePolicyDocument };
          }, ["NoSuchEntityException", "NoSuchEntity"]),
        )
      : { ok: false, error: `${roleArn} is not an IAM role ARN` };
    facts.scheduleGroup = await read(() =>
      unlessMissing(async () => {
        const out = await new SchedulerClient(settings as SchedulerClientConfig).send(new GetScheduleGroupCommand({ Name: SCHEDULE_GROUP }));
        return { state: out.State ?? "UNKNOWN" };
      }, ["ResourceNotFoundException"]),
    );
  }

  const ic = config.aws.identity_center;
  if (config.aws.mode === "identity-center" && ic) {
    facts.instances = await read(async () => {
      const sso = new SSOAdminClient(settings);
      const out: Array<{ instanceArn: string; identityStoreId: string }> = [];
      let NextToken: string | undefined;
      do {
        const page = await sso.send(new ListInstancesCommand({ ...(NextToken ? { NextToken } : {}) }));
        for (const i of page.Instances ?? [])
          if (i.InstanceArn && i.IdentityStoreId) out.push({ instanceArn: i.InstanceArn, identityStoreId: i.IdentityStoreId });
        NextToken = page.NextToken;
      } while (NextToken);
      return out;
    });
    const store = new IdentitystoreClient(settings);
    facts.identityStore = await read(async () => {
      // One cheap read proves the store answers even when no principal is an sso_user.
      await store.send(new ListUsersCommand({ IdentityStoreId: ic.identity_store_id, MaxResults: 1 }));
      const users: Record<string, boolean> = {};
      const names = [...new Set(Object.values(config.principals).flatMap((p) => ("sso_user" in p ? [p.sso_user] : [])))].slice(0, MAX_USERS_LOOKED_UP);
      for (const UserName of names) {
        const id = await unlessMissing(
          () =>
            store.send(
              new GetUserIdCommand({
                IdentityStoreId: ic.identity_store_id,
                AlternateIdentifier: { UniqueAttribute: { AttributePath: "userName", AttributeValue: UserName } },
              }),
            ),
          ["ResourceNotFoundException"],
        );
        users[UserName] = id?.UserId !== undefined;
      }
      return { users };
    });
    if (Object.values(config.catalogue ?? {}).some((e) => e.kind === "permission_set")) {
      facts.permissionSets = await read(async () => {
        const ssoAdmin = new SSOAdminClient(settings);
        const out: Array<{ arn: string; name: string }> = [];
        let NextToken: string | undefined;
        do {
          const page = await ssoAdmin.send(new ListPermissionSetsCommand({ InstanceArn: ic.instance_arn, ...(NextToken ? { NextToken } : {}) }));
          for (const arn of page.PermissionSets ?? []) {
            const d = await ssoAdmin.send(new DescribePermissionSetCommand({ InstanceArn: ic.instance_arn, PermissionSetArn: arn }));
            out.push({ arn, name: d.PermissionSet?.Name ?? "" });
          }
          NextToken = page.NextToken;
        } while (NextToken);
        return out;
      });
    }
  }
  const bundles = await bundleAnalyses(config, settings);
  if (bundles) facts.bundles = bundles;
  return facts;
}

/**
 * What each managed-policy and permission-set entry of the catalogue allows, judged by the
 * guardrails: managed policies are read with the app's own credentials (AWS managed policies are
 * the same in every account), a permission set's AWS managed policies and inline policy from
 * Identity Center. A role's permissions live in each target account and are not read here.
 */
async function bundleAnalyses(config: Config, settings: ClientSettings): Promise<CatalogueFacts["bundles"] | undefined> {
  const entries = Object.entries(config.catalogue ?? {}).filter(([, e]) => e.kind === "managed_policy" || e.kind === "permission_set");
  if (!entries.length) return undefined;
  return read(async () => {
    const out: Record<string, BundleAnalysis> = {};
    for (const [name] of entries) {
      const ref = bundleOf(config, { catalogue: name });
      const a = ref ? await readBundle(config, ref, settings) : undefined;
      if (a) out[name] = a;
    }
    return out;
  });
}

/**
 * What one bundle allows, judged by the guardrails, or undefined when its permission set does not
 * exist (the catalogue check reports that). Throws when AWS cannot be read.
 */
export async function readBundle(config: Config, ref: BundleRef, settings: ClientSettings): Promise<BundleAnalysis | undefined> {
  const iam = new IAMClient(settings);
  const managed = async (arn: string): Promise<unknown> => {
    const p = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: p.Policy?.DefaultVersionId ?? "" }));
    return JSON.parse(policyDocumentText(v.PolicyVersion?.Document ?? "")) as unknown;
  };
  const docs: unknown[] = [];
  if (ref.kind === "managed_policy") docs.push(await managed(ref.policyArn));
  else {
    if (!config.aws.identity_center) return undefined;
    const sso = new SSOAdminClient(settings);
    const InstanceArn = config.aws.identity_center.instance_arn;
    const arn = ref.permissionSet.startsWith("arn:") ? ref.permissionSet : await permissionSetArnNamed(sso, InstanceArn, ref.permissionSet);
    if (!arn) return undefined;
    let NextToken: string | undefined;
    do {
      const page = await sso.send(new ListManagedPoliciesInPermissionSetCommand({ InstanceArn, PermissionSetArn: arn, ...(NextToken ? { NextToken } : {}) }));
      for (const m of page.AttachedManagedPolicies ?? []) if (m.Arn) docs.push(await managed(m.Arn));
      NextToken = page.NextToken;
    } while (NextToken);
    const inline = await sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn, PermissionSetArn: arn }));
    if (inline.InlinePolicy) docs.push(JSON.parse(inline.InlinePolicy) as unknown);
  }
  return analyseBundle(loadCatalogue(), docs, config);
}

async function permissionSetArnNamed(sso: SSOAdminClient, InstanceArn: string, name: string): Promise<string | undefined> {
  let NextToken: string | undefined;
  do {
    const page = await sso.send(new ListPermissionSetsCommand({ InstanceArn, ...(NextToken ? { NextToken } : {}) }));
    for (const arn of page.PermissionSets ?? []) {
      const d = await sso.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn: arn }));
      if (d.PermissionSet?.Name === name) return arn;
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return undefined;
}
