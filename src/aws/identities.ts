// The identities of identities/ in AWS: IAM users and roles under identities.path in the
// identities account, and Identity Store users. Each call is idempotent (already exists / already
// gone count as success where the state is the one asked for). No access keys, console passwords
// or other long-lived credentials are ever created: people sign in through Identity Center or
// federation, and machine roles are assumed. Removing a person deletes the credentials someone
// added by hand (access keys, console password) too, so that offboarding leaves nothing to use.
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAssumeRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateGroupMembershipCommand,
  CreateUserCommand as CreateStoreUserCommand,
  DeleteGroupMembershipCommand,
  DeleteUserCommand as DeleteStoreUserCommand,
  GetGroupIdCommand,
  type IdentitystoreClient,
  ListGroupMembershipsForMemberCommand,
  ListGroupsCommand,
  ListUsersCommand as ListStoreUsersCommand,
} from "@aws-sdk/client-identitystore";
import { resolveAccount } from "../domain/config.js";
import { MANAGED_TAG, MANAGED_VALUE } from "../domain/identities.js";
import type { ActualIdentity, DesiredIdentity, IdentityKind, IdentityUpdate } from "../domain/identities-plan.js";
import type { Config } from "../domain/types.js";
import { accountClients, assertAccount, defaultClientSettings, lazyClients, type AwsClients, type ClientSettings } from "./clients.js";
import { isError } from "./runtime.js";
import type { IdentityDirectory } from "./types.js";

/** The Identity Store user type that marks a user as created by jit-access (the store has no tags). */
export const STORE_USER_TYPE = "jit-access";

export interface IdentityDirectoryDeps {
  clients?: Partial<AwsClients>;
  clientSettings?: ClientSettings;
}

export function createIdentityDirectory(config: Config, deps: IdentityDirectoryDeps = {}): IdentityDirectory {
  const settings: ClientSettings = { ...defaultClientSettings(config.aws.region), ...deps.clientSettings };
  const home = lazyClients(settings, deps.clients);
  const path = config.identities.path;
  let made: Promise<AwsClients> | undefined;
  // Identities are made with the clients of identities.account: its role_arn when configured (the
  // identities role; the app's own role is bounded out of creating users), after checking the
  // credentials really are in that account (a wrong id must not create users elsewhere).
  const clients = (): Promise<AwsClients> =>
    (made ??= (async () => {
      const alias = config.identities.account;
      const account = alias === undefined ? undefined : resolveAccount(config, alias);
      if (!account) {
        if (alias === undefined && config.aws.mode === "identity-center") return home;
        throw new Error("identities.account is not a configured account; nothing was done");
      }
      const c = accountClients(home, settings, account, "identities");
      await assertAccount(c, account.id);
      return c;
    })());
  const iam = async (): Promise<IAMClient> => (await clients()).iam;
  const store = async (): Promise<{ client: IdentitystoreClient; id: string }> => {
    const ic = config.aws.identity_center;
    if (!ic) throw new Error("sso_user identities need aws.identity_center in the config; nothing was done");
    return { client: (await clients()).identityStore, id: ic.identity_store_id };
  };

  return {
    async list(names) {
      const out: ActualIdentity[] = [];
      const wants = (kind: IdentityKind) => names.some((n) => n.kind === kind);
      const managedIam = config.aws.mode === "iam" || wants("iam_user") || wants("iam_role");
      if (managedIam) {
        const client = await iam();
        out.push(...(await listIamUsers(client, path)), ...(await listIamRoles(client, path)));
        for (const n of names) {
          if (n.kind === "sso_user" || out.some((a) => a.kind === n.kind && a.name.toLowerCase() === n.name.toLowerCase())) continue;
          const other = n.kind === "iam_user" ? await getIamUser(client, n.name, path) : await getIamRole(client, n.name, path);
          if (other) out.push(other);
        }
      }
      if (config.aws.mode === "identity-center" || wants("sso_user")) out.push(...(await listStoreUsers(await store())));
      return out;
    },
    async create(d) {
      if (d.kind === "sso_user") return createStoreUser(await store(), d);
      const client = await iam();
      const Tags = tagList(d.tags);
      try {
        if (d.kind === "iam_user") await client.send(new CreateUserCommand({ UserName: d.name, Path: path, Tags }));
        else
          await client.send(
            new CreateRoleCommand({
              RoleName: d.name,
              Path: path,
              AssumeRolePolicyDocument: d.trust,
              Tags,
              Description: "Managed by jit-access (identities/)",
            }),
          );
      } catch (e) {
        // A lost answer retried by the SDK: ours only if it carries our tag under our path.
        if (!isError(e, "EntityAlreadyExistsException")) throw e;
        const existing = d.kind === "iam_user" ? await getIamUser(client, d.name, path) : await getIamRole(client, d.name, path);
        if (!existing?.managed) throw new Error(`${d.kind} ${d.name} already exists and is not managed by jit-access; nothing was changed`, { cause: e });
      }
      await applyIamUpdate(client, d, emptyUpdateFor(d));
    },
    async update(d, u) {
      if (d.kind === "sso_user") return updateStoreUser(await store(), d, u);
      await applyIamUpdate(await iam(), d, u);
    },
    async remove(a) {
      if (a.kind === "sso_user") return removeStoreUser(await store(), a);
      if (!a.managed) throw new Error(`${a.kind} ${a.name} is not managed by jit-access; refusing to remove it`);
      await removeIam(await iam(), a, path);
    },
  };
}

function tagList(tags: Record<string, string>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

const tagsOf = (tags: Array<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).filter((t) => t.Key).map((t) => [t.Key as string, t.Value ?? ""]));

/** Everything a new identity gets after it exists: its policies (tags were set at creation). */
function emptyUpdateFor(d: DesiredIdentity): IdentityUpdate {
  return { attach: d.managedPolicies, detach: [], putInline: d.inlinePolicies, deleteInline: [], setTags: {}, removeTags: [], addGroups: [], removeGroups: [] };
}

async function pages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; marker: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    out.push(...page.items);
    marker = page.marker;
  } while (marker);
  return out;
}

function decodeDocument(doc: string | undefined): string | undefined {
  if (doc === undefined) return undefined;
  // IAM answers documents URL-encoded; some emulators answer plain JSON.
  return doc.trimStart().startsWith("{") ? doc : decodeURIComponent(doc);
}

async function iamDetails(client: IAMClient, kind: "iam_user" | "iam_role", name: string, path: string, tags: Record<string, string>, managedPath: string) {
  const attached = await pages(async (Marker) => {
    const r =
      kind === "iam_user"
        ? await client.send(new ListAttachedUserPoliciesCommand({ UserName: name, Marker }))
        : await client.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
    return { items: (r.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ""), marker: r.IsTruncated ? r.Marker : undefined };
  });
  const inlineNames = await pages(async (Marker) => {
    const r =
      kind === "iam_user"
        ? await client.send(new ListUserPoliciesCommand({ UserName: name, Marker }))
        : await client.send(new ListRolePoliciesCommand({ RoleName: name, Marker }));
    return { items: r.PolicyNames ?? [], marker: r.IsTruncated ? r.Marker : undefined };
  });
  const inline: Record<string, string> = {};
  for (const p of inlineNames) {
    const r =
      kind === "iam_user"
        ? await client.send(new GetUserPolicyCommand({ UserName: name, PolicyName: p }))
        : await client.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: p }));
    inline[p] = decodeDocument(r.PolicyDocument) ?? "";
  }
  return {
    kind,
    name,
    path,
    managed: tags[MANAGED_TAG] === MANAGED_VALUE && path === managedPath,
    managedPolicies: attached.filter(Boolean).sort(),
    inlinePolicies: inline,
    tags,
    groups: [],
    ...(tags["jit-access:login"] ? { login: tags["jit-access:login"] } : {}),
  } satisfies ActualIdentity;
}

async function userTags(client: IAMClient, name: string): Promise<Record<string, string>> {
  const tags = await pages(async (Marker) => {
    const r = await client.send(new ListUserTagsCommand({ UserName: name, Marker }));
    return { items: r.Tags ?? [], marker: r.IsTruncated ? r.Marker : undefined };
  });
  return tagsOf(tags);
}

async function roleTags(client: IAMClient, name: string): Promise<Record<string, string>> {
  const tags = await pages(async (Marker) => {
    const r = await client.send(new ListRoleTagsCommand({ RoleName: name, Marker }));
    return { items: r.Tags ?? [], marker: r.IsTruncated ? r.Marker : undefined };
  });
  return tagsOf(tags);
}

async function listIamUsers(client: IAMClient, path: string): Promise<ActualIdentity[]> {
  const users = await pages(async (Marker) => {
    const r = await client.send(new ListUsersCommand({ PathPrefix: path, Marker }));
    return { items: r.Users ?? [], marker: r.IsTruncated ? r.Marker : undefined };
  });
  const out: ActualIdentity[] = [];
  for (const u of users) {
    if (!u.UserName) continue;
    const tags = await userTags(client, u.UserName);
    if (tags[MANAGED_TAG] !== MANAGED_VALUE) continue; // in the path but not ours: listed only when asked by name
    out.push(await iamDetails(client, "iam_user", u.UserName, u.Path ?? "/", tags, path));
  }
  return out;
}

async function listIamRoles(client: IAMClient, path: string): Promise<ActualIdentity[]> {
  const roles = await pages(async (Marker) => {
    const r = await client.send(new ListRolesCommand({ PathPrefix: path, Marker }));
    return { items: r.Roles ?? [], marker: r.IsTruncated ? r.Marker : undefined };
  });
  const out: ActualIdentity[] = [];
  for (const role of roles) {
    if (!role.RoleName) continue;
    const tags = await roleTags(client, role.RoleName);
    if (tags[MANAGED_TAG] !== MANAGED_VALUE) continue;
    const trust = decodeDocument(role.AssumeRolePolicyDocument);
    out.push({ ...(await iamDetails(client, "iam_role", role.RoleName, role.Path ?? "/", tags, path)), ...(trust ? { trust } : {}) });
  }
  return out;
}

async function getIamUser(client: IAMClient, name: string, managedPath: string): Promise<ActualIdentity | undefined> {
  try {
    const r = await client.send(new GetUserCommand({ UserName: name }));
    const tags = tagsOf(r.User?.Tags);
    return await iamDetails(client, "iam_user", r.User?.UserName ?? name, r.User?.Path ?? "/", tags, managedPath);
  } catch (e) {
    if (isError(e, "NoSuchEntityException", "NoSuchEntity")) return undefined;
    throw e;
  }
}

async function getIamRole(client: IAMClient, name: string, managedPath: string): Promise<ActualIdentity | undefined> {
  try {
    const r = await client.send(new GetRoleCommand({ RoleName: name }));
    const tags = tagsOf(r.Role?.Tags);
    return await iamDetails(client, "iam_role", r.Role?.RoleName ?? name, r.Role?.Path ?? "/", tags, managedPath);
  } catch (e) {
    if (isError(e, "NoSuchEntityException", "NoSuchEntity")) return undefined;
    throw e;
  }
}

async function ignoreGone(task: Promise<unknown>): Promise<void> {
  try {
    await task;
  } catch (e) {
    if (!isError(e, "NoSuchEntityException", "NoSuchEntity", "ResourceNotFoundException")) throw e;
  }
}

async function applyIamUpdate(client: IAMClient, d: DesiredIdentity, u: IdentityUpdate): Promise<void> {
  const user = d.kind === "iam_user";
  const name = d.name;
  if (u.trust !== undefined && !user) await client.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: u.trust }));
  if (Object.keys(u.setTags).length) {
    const Tags = tagList(u.setTags);
    if (user) await client.send(new TagUserCommand({ UserName: name, Tags }));
    else await client.send(new TagRoleCommand({ RoleName: name, Tags }));
  }
  if (u.removeTags.length) {
    if (user) await client.send(new UntagUserCommand({ UserName: name, TagKeys: u.removeTags }));
    else await client.send(new UntagRoleCommand({ RoleName: name, TagKeys: u.removeTags }));
  }
  for (const arn of u.attach) {
    if (user) await client.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    else await client.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
  }
  for (const [policyName, doc] of Object.entries(u.putInline)) {
    if (user) await client.send(new PutUserPolicyCommand({ UserName: name, PolicyName: policyName, PolicyDocument: doc }));
    else await client.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: doc }));
  }
  for (const arn of u.detach) {
    if (user) await ignoreGone(client.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: arn })));
    else await ignoreGone(client.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn })));
  }
  for (const policyName of u.deleteInline) {
    if (user) await ignoreGone(client.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policyName })));
    else await ignoreGone(client.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName })));
  }
}

async function removeIam(client: IAMClient, a: ActualIdentity, path: string): Promise<void> {
  const user = a.kind === "iam_user";
  // What is there now, not what the plan saw: the grants revoked just before detached theirs. And
  // checked again: an identity of that name made by someone else is never deleted.
  const now = user ? await getIamUser(client, a.name, path) : await getIamRole(client, a.name, path);
  if (!now) return;
  if (!now.managed) throw new Error(`${a.kind} ${a.name} exists but is not managed by jit-access (tag or path); refusing to remove it`);
  await applyIamUpdate(
    client,
    { ...a, tags: {} },
    { ...emptyUpdateFor(a), attach: [], putInline: {}, detach: now.managedPolicies, deleteInline: Object.keys(now.inlinePolicies) },
  );
  if (user) {
    // Credentials added by hand would block DeleteUser, and must not outlive the person's identity.
    await ignoreGone(client.send(new DeleteLoginProfileCommand({ UserName: a.name })));
    const keys = await client.send(new ListAccessKeysCommand({ UserName: a.name }));
    for (const k of keys.AccessKeyMetadata ?? [])
      if (k.AccessKeyId) await ignoreGone(client.send(new DeleteAccessKeyCommand({ UserName: a.name, AccessKeyId: k.AccessKeyId })));
    await ignoreGone(client.send(new DeleteUserCommand({ UserName: a.name })));
  } else await ignoreGone(client.send(new DeleteRoleCommand({ RoleName: a.name })));
}

// --- Identity Store (sso_user) ----------------------------------------------------------------

type Store = { client: IdentitystoreClient; id: string };

async function groupNames(s: Store): Promise<Map<string, string>> {
  const groups = await pages(async (marker) => {
    const r = await s.client.send(new ListGroupsCommand({ IdentityStoreId: s.id, NextToken: marker }));
    return { items: r.Groups ?? [], marker: r.NextToken };
  });
  return new Map(groups.filter((g) => g.GroupId).map((g) => [g.GroupId as string, g.DisplayName ?? ""]));
}

async function listStoreUsers(s: Store): Promise<ActualIdentity[]> {
  const users = await pages(async (marker) => {
    const r = await s.client.send(new ListStoreUsersCommand({ IdentityStoreId: s.id, NextToken: marker }));
    return { items: r.Users ?? [], marker: r.NextToken };
  });
  const names = users.some((u) => u.UserType === STORE_USER_TYPE) ? await groupNames(s) : new Map<string, string>();
  const out: ActualIdentity[] = [];
  for (const u of users) {
    if (!u.UserName || !u.UserId) continue;
    const managed = u.UserType === STORE_USER_TYPE;
    const memberships = managed ? await storeMemberships(s, u.UserId) : [];
    out.push({
      kind: "sso_user",
      name: u.UserName,
      path: "",
      managed,
      managedPolicies: [],
      inlinePolicies: {},
      tags: {},
      groups: memberships.map((m) => names.get(m.groupId) ?? m.groupId).sort(),
      ...(u.Emails?.[0]?.Value ? { email: u.Emails[0].Value } : {}),
      ...(u.DisplayName ? { displayName: u.DisplayName } : {}),
    });
  }
  return out;
}

async function storeMemberships(s: Store, userId: string): Promise<Array<{ id: string; groupId: string }>> {
  return pages(async (marker) => {
    const r = await s.client.send(new ListGroupMembershipsForMemberCommand({ IdentityStoreId: s.id, MemberId: { UserId: userId }, NextToken: marker }));
    return {
      items: (r.GroupMemberships ?? []).filter((m) => m.MembershipId && m.GroupId).map((m) => ({ id: m.MembershipId as string, groupId: m.GroupId as string })),
      marker: r.NextToken,
    };
  });
}

async function storeUserId(s: Store, name: string): Promise<{ id: string; type?: string } | undefined> {
  const users = await pages(async (marker) => {
    const r = await s.client.send(new ListStoreUsersCommand({ IdentityStoreId: s.id, NextToken: marker }));
    return { items: r.Users ?? [], marker: r.NextToken };
  });
  const u = users.find((x) => x.UserName?.toLowerCase() === name.toLowerCase());
  return u?.UserId ? { id: u.UserId, ...(u.UserType ? { type: u.UserType } : {}) } : undefined;
}

async function groupId(s: Store, displayName: string): Promise<string> {
  const r = await s.client.send(
    new GetGroupIdCommand({ IdentityStoreId: s.id, AlternateIdentifier: { UniqueAttribute: { AttributePath: "displayName", AttributeValue: displayName } } }),
  );
  if (!r.GroupId) throw new Error(`Identity Center group ${JSON.stringify(displayName)} was not found; create it or fix groups`);
  return r.GroupId;
}

async function createStoreUser(s: Store, d: DesiredIdentity): Promise<void> {
  const display = d.displayName ?? d.name;
  const parts = display.trim().split(/\s+/);
  const family = parts.length > 1 ? (parts.pop() as string) : display;
  const given = parts.length ? parts.join(" ") : display;
  let userId: string | undefined;
  try {
    const r = await s.client.send(
      new CreateStoreUserCommand({
        IdentityStoreId: s.id,
        UserName: d.name,
        DisplayName: display,
        Name: { GivenName: given, FamilyName: family },
        ...(d.email ? { Emails: [{ Value: d.email, Type: "work", Primary: true }] } : {}),
        UserType: STORE_USER_TYPE,
      }),
    );
    userId = r.UserId;
  } catch (e) {
    if (!isError(e, "ConflictException")) throw e;
    const existing = await storeUserId(s, d.name);
    if (existing?.type !== STORE_USER_TYPE)
      throw new Error(`Identity Center user ${d.name} already exists and is not managed by jit-access; nothing was changed`, { cause: e });
    userId = existing.id;
  }
  if (!userId) throw new Error(`Identity Center did not return an id for ${d.name}`);
  for (const g of d.groups) await addMembership(s, userId, g);
}

async function addMembership(s: Store, userId: string, group: string): Promise<void> {
  try {
    await s.client.send(new CreateGroupMembershipCommand({ IdentityStoreId: s.id, GroupId: await groupId(s, group), MemberId: { UserId: userId } }));
  } catch (e) {
    if (!isError(e, "ConflictException")) throw e; // already a member
  }
}

async function updateStoreUser(s: Store, d: DesiredIdentity, u: IdentityUpdate): Promise<void> {
  const user = await storeUserId(s, d.name);
  if (!user || user.type !== STORE_USER_TYPE) throw new Error(`Identity Center user ${d.name} is not managed by jit-access; nothing was changed`);
  for (const g of u.addGroups) await addMembership(s, user.id, g);
  if (u.removeGroups.length) {
    const names = await groupNames(s);
    for (const m of await storeMemberships(s, user.id))
      if (u.removeGroups.includes(names.get(m.groupId) ?? ""))
        await ignoreGone(s.client.send(new DeleteGroupMembershipCommand({ IdentityStoreId: s.id, MembershipId: m.id })));
  }
}

async function removeStoreUser(s: Store, a: ActualIdentity): Promise<void> {
  const user = await storeUserId(s, a.name);
  if (!user) return;
  if (user.type !== STORE_USER_TYPE) throw new Error(`Identity Center user ${a.name} is not managed by jit-access; refusing to remove it`);
  for (const m of await storeMemberships(s, user.id))
    await ignoreGone(s.client.send(new DeleteGroupMembershipCommand({ IdentityStoreId: s.id, MembershipId: m.id })));
  await ignoreGone(s.client.send(new DeleteStoreUserCommand({ IdentityStoreId: s.id, UserId: user.id })));
}
