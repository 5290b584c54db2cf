// Fake IAM: managed policies and their versions, users/roles/groups, attachments, inline
// policies — with IAM's names, quotas and error codes.

import { fail } from "./errors.js";
import type { IamEntity, IamState, ManagedPolicy } from "./state.js";

type Input = Record<string, unknown>;

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
export const POLICY_SIZE = 6144;
const INLINE_TOTAL = { user: 2048, role: 10_240, group: 5120 } as const;
const MAX_VERSIONS = 5;

export function str(input: Input, key: string, code = "InvalidInputException"): string {
  const v = input[key];
  if (typeof v !== "string" || v === "")
    fail(code, `1 validation error detected: Value at '${key[0]?.toLowerCase()}${key.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
}

function nonWhitespace(s: string): number {
  return s.replace(/\s/g, "").length;
}

export function checkPolicyDocument(doc: string, limit = POLICY_SIZE): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    fail("MalformedPolicyDocumentException", "Syntax errors in policy.");
  }
  const p = parsed as { Version?: unknown; Statement?: unknown };
  if (!p || typeof p !== "object" || p.Statement === undefined) fail("MalformedPolicyDocumentException", "Policy document should have a Statement.");
  if (p.Version !== undefined && p.Version !== "2012-10-17" && p.Version !== "2008-10-17")
    fail("MalformedPolicyDocumentException", "The policy failed legacy parsing");
  if (nonWhitespace(doc) > limit) fail("LimitExceededException", `Cannot exceed quota for PolicySize: ${limit}`);
}

function checkName(value: string, max: number, what: string): void {
  if (value.length > max)
    fail(
      "InvalidInputException",
      `1 validation error detected: Value '${value}' at '${what}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  if (!NAME.test(value))
    fail(
      "InvalidInputException",
      `1 validation error detected: Value '${value}' at '${what}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
}

export function checkTags(tags: unknown): Array<{ Key: string; Value: string }> {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) fail("InvalidInputException", "Tags must be a list");
  if (tags.length > 50) fail("LimitExceededException", "Cannot exceed quota for TagsPerPolicy: 50");
  const out: Array<{ Key: string; Value: string }> = [];
  for (const t of tags as Array<{ Key?: unknown; Value?: unknown }>) {
    if (typeof t.Key !== "string" || !TAG_KEY.test(t.Key)) fail("InvalidInputException", `Invalid tag key ${String(t.Key)}`);
    if (typeof t.Value !== "string" || !TAG_VALUE.test(t.Value)) fail("InvalidInputException", `Invalid tag value ${String(t.Value)}`);
    if (out.some((o) => o.Key === t.Key)) fail("InvalidInputException", `Duplicate tag key ${t.Key}`);
    out.push({ Key: t.Key, Value: t.Value });
  }
  return out;
}

function policyOf(state: IamState, arn: string): ManagedPolicy {
  const p = state.policies.get(arn);
  if (!p) fail("NoSuchEntityException", `Policy ${arn} does not exist or is not attachable.`);
  return p;
}

function entityOf(state: IamState, kind: "user" | "role" | "group", name: string): IamEntity {
  const map = kind === "user" ? state.users : kind === "role" ? state.roles : state.groups;
  const e = map.get(name);
  if (!e) fail("NoSuchEntityException", `The ${kind} with name ${name} cannot be found.`);
  return e;
}

function attachmentCount(state: IamState, arn: string): number {
  let n = 0;
  for (const map of [state.users, state.roles, state.groups]) for (const e of map.values()) if (e.attached.includes(arn)) n++;
  return n;
}

function page<T>(items: T[], input: Input): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const max = typeof input.MaxItems === "number" ? input.MaxItems : 100;
  const start = typeof input.Marker === "string" ? Number(input.Marker) : 0;
  const slice = items.slice(start, start + max);
  const more = start + max < items.length;
  return { items: slice, IsTruncated: more, ...(more ? { Marker: String(start + max) } : {}) };
}

let policyCounter = 0;

export function handleIam(state: IamState, account: string, op: string, input: Input): Record<string, unknown> {
  switch (op) {
    case "GetRole":
      return { Role: roleOut(account, entityOf(state, "role", str(input, "RoleName"))) };
    case "CreatePolicy": {
      const name = str(input, "PolicyName");
      checkName(name, 128, "policyName");
      const path = typeof input.Path === "string" ? input.Path : "/";
      if (path.length > 512 || !PATH.test(path))
        fail(
          "InvalidInputException",
          `The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.`,
        );
      const doc = str(input, "PolicyDocument", "MalformedPolicyDocumentException");
      const description = typeof input.Description === "string" ? input.Description : "";
      if (description.length > 1000) fail("InvalidInputException", "Description too long");
      const tags = checkTags(input.Tags);
      for (const p of state.policies.values())
        if (p.name === name) fail("EntityAlreadyExistsException", `A policy called ${name} already exists. Duplicate names are not allowed.`);
      checkPolicyDocument(doc);
      const arn = `arn:aws:iam::${account}:policy${path}${name}`;
      const policy: ManagedPolicy = {
        name,
        path,
        arn,
        id: `ANPA${String(++policyCounter).padStart(17, "0")}`,
        description,
        tags,
        versions: new Map([["v1", { document: doc, isDefault: true }]]),
        nextVersion: 2,
      };
      state.policies.set(arn, policy);
      return { Policy: describe(state, policy) };
    }
    case "GetPolicy":
      return { Policy: describe(state, policyOf(state, str(input, "PolicyArn"))) };
    case "GetPolicyVersion": {
      const p = policyOf(state, str(input, "PolicyArn"));
      const vid = str(input, "VersionId");
      const v = p.versions.get(vid);
      if (!v) fail("NoSuchEntityException", `Policy ${p.arn} version ${vid} does not exist or is not attachable.`);
      // Real IAM returns the document URL-encoded (RFC 3986).
      return { PolicyVersion: { Document: encodeURIComponent(v.document), VersionId: vid, IsDefaultVersion: v.isDefault } };
    }
    case "CreatePolicyVersion": {
      const p = policyOf(state, str(input, "PolicyArn"));
      const doc = str(input, "PolicyDocument", "MalformedPolicyDocumentException");
      checkPolicyDocument(doc);
      if (p.versions.size >= MAX_VERSIONS)
        fail(
          "LimitExceededException",
          `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        );
      const vid = `v${p.nextVersion++}`;
      if (input.SetAsDefault === true) for (const v of p.versions.values()) v.isDefault = false;
      p.versions.set(vid, { document: doc, isDefault: input.SetAsDefault === true });
      return { PolicyVersion: { VersionId: vid, IsDefaultVersion: input.SetAsDefault === true } };
    }
    case "ListPolicyVersions": {
      const p = policyOf(state, str(input, "PolicyArn"));
      return { Versions: [...p.versions].map(([VersionId, v]) => ({ VersionId, IsDefaultVersion: v.isDefault })), IsTruncated: false };
    }
    case "DeletePolicyVersion": {
      const p = policyOf(state, str(input, "PolicyArn"));
      const vid = str(input, "VersionId");
      const v = p.versions.get(vid);
      if (!v) fail("NoSuchEntityException", `Policy ${p.arn} version ${vid} does not exist.`);
      if (v.isDefault) fail("DeleteConflictException", "Cannot delete the default version of a policy.");
      p.versions.delete(vid);
      return {};
    }
    case "DeletePolicy": {
      const p = policyOf(state, str(input, "PolicyArn"));
      if (attachmentCount(state, p.arn) > 0) fail("DeleteConflictException", "Cannot delete a policy attached to entities.");
      if (p.versions.size > 1)
        fail(
          "DeleteConflictException",
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      state.policies.delete(p.arn);
      return {};
    }
    case "ListPolicies": {
      const prefix = typeof input.PathPrefix === "string" ? input.PathPrefix : "/";
      const all = [...state.policies.values()].filter((p) => p.path.startsWith(prefix)).map((p) => describe(state, p));
      const { items, ...rest } = page(all, input);
      return { Policies: items, ...rest };
    }
    case "ListPolicyTags": {
      const p = policyOf(state, str(input, "PolicyArn"));
      return { Tags: p.tags.map((t) => ({ ...t })), IsTruncated: false };
    }
    case "ListEntitiesForPolicy": {
      const p = policyOf(state, str(input, "PolicyArn"));
      const of = (map: Map<string, IamEntity>) => [...map.values()].filter((e) => e.attached.includes(p.arn)).map((e) => e.name);
      return {
        PolicyUsers: of(state.users).map((UserName) => ({ UserName })),
        PolicyRoles: of(state.roles).map((RoleName) => ({ RoleName })),
        PolicyGroups: of(state.groups).map((GroupName) => ({ GroupName })),
        IsTruncated: false,
      };
    }
    case "AttachUserPolicy":
    case "AttachRolePolicy":
    case "AttachGroupPolicy": {
      const kind = op === "AttachUserPolicy" ? "user" : op === "AttachRolePolicy" ? "role" : "group";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : kind === "role" ? "RoleName" : "GroupName"));
      const arn = str(input, "PolicyArn");
      if (!state.policies.has(arn) && !arn.includes(":iam::aws:policy/")) fail("NoSuchEntityException", `Policy ${arn} does not exist or is not attachable.`);
      if (entity.attached.includes(arn)) return {};
      const quota = kind === "user" ? state.quotas.policiesPerUser : kind === "role" ? state.quotas.policiesPerRole : 10;
      if (entity.attached.length >= quota)
        fail("LimitExceededException", `Cannot exceed quota for PoliciesPer${kind === "user" ? "User" : kind === "role" ? "Role" : "Group"}: ${quota}`);
      entity.attached.push(arn);
      return {};
    }
    case "DetachUserPolicy":
    case "DetachRolePolicy":
    case "DetachGroupPolicy": {
      const kind = op === "DetachUserPolicy" ? "user" : op === "DetachRolePolicy" ? "role" : "group";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : kind === "role" ? "RoleName" : "GroupName"));
      const arn = str(input, "PolicyArn");
      const i = entity.attached.indexOf(arn);
      if (i < 0) fail("NoSuchEntityException", `Policy ${arn} was not found.`);
      entity.attached.splice(i, 1);
      return {};
    }
    case "ListAttachedUserPolicies":
    case "ListAttachedRolePolicies": {
      const kind = op === "ListAttachedUserPolicies" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      return { AttachedPolicies: entity.attached.map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split("/").pop() })), IsTruncated: false };
    }
    case "PutUserPolicy":
    case "PutRolePolicy": {
      const kind = op === "PutUserPolicy" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      const name = str(input, "PolicyName");
      checkName(name, 128, "policyName");
      const doc = str(input, "PolicyDocument", "MalformedPolicyDocumentException");
      checkPolicyDocument(doc, Number.MAX_SAFE_INTEGER);
      const others = [...entity.inline].filter(([n]) => n !== name).reduce((sum, [, d]) => sum + nonWhitespace(d), 0);
      const limit = INLINE_TOTAL[kind];
      if (others + nonWhitespace(doc) > limit) fail("LimitExceededException", `Maximum policy size of ${limit} bytes exceeded for ${kind} ${entity.name}`);
      entity.inline.set(name, doc);
      return {};
    }
    case "DeleteUserPolicy":
    case "DeleteRolePolicy": {
      const kind = op === "DeleteUserPolicy" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      const name = str(input, "PolicyName");
      if (!entity.inline.delete(name)) fail("NoSuchEntityException", `The ${kind} policy with name ${name} cannot be found.`);
      return {};
    }
    // Users and roles themselves (identities/): created under a path, tagged, listed by path prefix.
    case "CreateUser":
    case "CreateRole": {
      const kind = op === "CreateUser" ? "user" : "role";
      const name = str(input, kind === "user" ? "UserName" : "RoleName");
      checkName(name, 64, kind === "user" ? "userName" : "roleName");
      const path = typeof input.Path === "string" ? input.Path : "/";
      if (!PATH.test(path)) fail("ValidationError", `The specified value for path is invalid: ${path}`);
      const map = kind === "user" ? state.users : state.roles;
      // IAM names are unique case-insensitively.
      if ([...map.keys()].some((k) => k.toLowerCase() === name.toLowerCase()))
        fail("EntityAlreadyExistsException", `${kind === "user" ? "User" : "Role"} with name ${name} already exists.`);
      const tags = checkTags(input.Tags);
      let trust: string | undefined;
      if (kind === "role") {
        trust = str(input, "AssumeRolePolicyDocument", "MalformedPolicyDocumentException");
        checkPolicyDocument(trust, 2048);
      }
      const entity: IamEntity = { name, attached: [], inline: new Map(), path, tags, ...(trust ? { trust } : {}) };
      map.set(name, entity);
      return kind === "user" ? { User: userOut(account, entity) } : { Role: roleOut(account, entity) };
    }
    case "GetUser":
      return { User: userOut(account, entityOf(state, "user", str(input, "UserName"))) };
    case "ListUsers":
    case "ListRoles": {
      const kind = op === "ListUsers" ? "user" : "role";
      const prefix = typeof input.PathPrefix === "string" ? input.PathPrefix : "/";
      const all = [...(kind === "user" ? state.users : state.roles).values()].filter((e) => (e.path ?? "/").startsWith(prefix));
      const p = page(all, input);
      return {
        [kind === "user" ? "Users" : "Roles"]: p.items.map((e) => (kind === "user" ? userOut(account, e) : roleOut(account, e))),
        IsTruncated: p.IsTruncated,
        ...(p.Marker ? { Marker: p.Marker } : {}),
      };
    }
    case "ListUserTags":
    case "ListRoleTags": {
      const kind = op === "ListUserTags" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      return { Tags: (entity.tags ?? []).map((t) => ({ ...t })), IsTruncated: false };
    }
    case "TagUser":
    case "TagRole": {
      const kind = op === "TagUser" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      const next = new Map((entity.tags ?? []).map((t) => [t.Key, t.Value]));
      for (const t of checkTags(input.Tags)) next.set(t.Key, t.Value);
      if (next.size > 50) fail("LimitExceededException", "Cannot exceed quota for TagsPerUser: 50");
      entity.tags = [...next].map(([Key, Value]) => ({ Key, Value }));
      return {};
    }
    case "UntagUser":
    case "UntagRole": {
      const kind = op === "UntagUser" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      const keys = Array.isArray(input.TagKeys) ? (input.TagKeys as string[]) : [];
      entity.tags = (entity.tags ?? []).filter((t) => !keys.includes(t.Key));
      return {};
    }
    case "ListUserPolicies":
    case "ListRolePolicies": {
      const kind = op === "ListUserPolicies" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      return { PolicyNames: [...entity.inline.keys()].sort(), IsTruncated: false };
    }
    case "GetUserPolicy":
    case "GetRolePolicy": {
      const kind = op === "GetUserPolicy" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      const name = str(input, "PolicyName");
      const doc = entity.inline.get(name);
      if (doc === undefined) fail("NoSuchEntityException", `The ${kind} policy with name ${name} cannot be found.`);
      return { [kind === "user" ? "UserName" : "RoleName"]: entity.name, PolicyName: name, PolicyDocument: encodeURIComponent(doc) };
    }
    case "UpdateAssumeRolePolicy": {
      const role = entityOf(state, "role", str(input, "RoleName"));
      const doc = str(input, "PolicyDocument", "MalformedPolicyDocumentException");
      checkPolicyDocument(doc, 2048);
      role.trust = doc;
      return {};
    }
    case "ListAccessKeys": {
      const user = entityOf(state, "user", str(input, "UserName"));
      return { AccessKeyMetadata: (user.accessKeys ?? []).map((AccessKeyId) => ({ AccessKeyId, UserName: user.name, Status: "Active" })), IsTruncated: false };
    }
    case "DeleteAccessKey": {
      const user = entityOf(state, "user", str(input, "UserName"));
      const id = str(input, "AccessKeyId");
      if (!(user.accessKeys ?? []).includes(id)) fail("NoSuchEntityException", `The Access Key with id ${id} cannot be found.`);
      user.accessKeys = (user.accessKeys ?? []).filter((k) => k !== id);
      return {};
    }
    case "DeleteLoginProfile": {
      const user = entityOf(state, "user", str(input, "UserName"));
      if (!user.loginProfile) fail("NoSuchEntityException", `Login Profile for User ${user.name} cannot be found.`);
      user.loginProfile = false;
      return {};
    }
    case "DeleteUser":
    case "DeleteRole": {
      const kind = op === "DeleteUser" ? "user" : "role";
      const entity = entityOf(state, kind, str(input, kind === "user" ? "UserName" : "RoleName"));
      // IAM refuses to delete an identity that still has policies or credentials.
      if (entity.attached.length || entity.inline.size || (entity.accessKeys ?? []).length || entity.loginProfile)
        fail(
          "DeleteConflictException",
          `Cannot delete entity, must ${entity.attached.length ? "detach all policies" : entity.inline.size ? "delete policies" : "delete credentials"} first.`,
        );
      (kind === "user" ? state.users : state.roles).delete(entity.name);
      return {};
    }
    default:
      return fail("InvalidAction", `The fake IAM does not implement ${op}`);
  }
}

function userOut(account: string, e: IamEntity): Record<string, unknown> {
  const path = e.path ?? "/";
  return {
    UserName: e.name,
    Path: path,
    Arn: `arn:aws:iam::${account}:user${path}${e.name}`,
    UserId: `AIDA${e.name
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, "")
      .slice(0, 17)}`,
    CreateDate: new Date(0),
    Tags: (e.tags ?? []).map((t) => ({ ...t })),
  };
}

function roleOut(account: string, e: IamEntity): Record<string, unknown> {
  const path = e.path ?? "/";
  return {
    RoleName: e.name,
    Path: path,
    Arn: `arn:aws:iam::${account}:role${path}${e.name}`,
    RoleId: `AROA${e.name
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, "")
      .slice(0, 17)}`,
    CreateDate: new Date(0),
    Tags: (e.tags ?? []).map((t) => ({ ...t })),
    ...(e.trust === undefined ? {} : { AssumeRolePolicyDocument: encodeURIComponent(e.trust) }),
  };
}

function describe(state: IamState, p: ManagedPolicy): Record<string, unknown> {
  const def = [...p.versions].find(([, v]) => v.isDefault)?.[0] ?? "v1";
  return {
    PolicyName: p.name,
    PolicyId: p.id,
    Arn: p.arn,
    Path: p.path,
    DefaultVersionId: def,
    AttachmentCount: attachmentCount(state, p.arn),
    IsAttachable: true,
    Description: p.description,
    Tags: p.tags.map((t) => ({ ...t })),
  };
}
