// Names, ARNs and tags of what a grant creates in AWS. Pure: every name is derived from the
// request id alone, so a rerun, a revoke or the sweep finds the same resources without state.

import { createHash } from "node:crypto";
import type { Config } from "../domain/types.js";

export const NAME_PREFIX = "jit-";
/** IAM path of every managed policy we create; also the prefix listManaged() scans. */
export const IAM_POLICY_PATH = "/jit-access/";
export const SCHEDULE_GROUP = "jit-access";

export const TAG_REQUEST = "jit-access:request";
export const TAG_EXPIRES_AT = "jit-access:expires-at";
export const TAG_PR = "jit-access:pr";

/** AWS's own limits on the names we build. */
export const LIMITS = {
  iamPolicyName: 128,
  permissionSetName: 32,
  scheduleName: 64,
  roleSessionName: 64,
} as const;

const HASH_CHARS = 8;

/**
 * `text` when it fits in `max` characters, else a prefix of it plus `-` and 8 hex characters of
 * its SHA-256: deterministic, still readable, and two long ids that share a prefix stay distinct.
 */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < HASH_CHARS + 2) throw new Error(`cannot shorten a name to ${max} characters`);
  const hash = createHash("sha256").update(text).digest("hex").slice(0, HASH_CHARS);
  return `${text.slice(0, max - HASH_CHARS - 1)}-${hash}`;
}

/** Request ids are `<number>-<slug>` (schema); anything else must not reach AWS names. */
export function assertRequestId(id: string): void {
  if (!/^[1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*$/.test(id) || id.length > 64) {
    throw new Error(`request id ${JSON.stringify(id)} is not <number>-<slug>; refusing to derive AWS names from it`);
  }
}

export function iamPolicyName(id: string): string {
  return shorten(NAME_PREFIX + id, LIMITS.iamPolicyName);
}

export function permissionSetName(id: string): string {
  return shorten(NAME_PREFIX + id, LIMITS.permissionSetName);
}

export type ScheduleKind = "revoke" | "delete-policy";

/**
 * The revoke schedule is `jit-<id>`; the iam-mode clean-up schedule `jit-<id>-delete`. In
 * identity-center mode every schedule lives in the one Scheduler of the instance's account, so a
 * request granted in several accounts names the revoke schedule of each account after its first
 * `jit-<id>.<account id>`: a request id never holds a dot, so no other request's name is the same.
 */
export function scheduleName(id: string, kind: ScheduleKind, accountId?: string): string {
  const base = NAME_PREFIX + id + (kind === "delete-policy" ? "-delete" : accountId !== undefined ? `.${accountId}` : "");
  return shorten(base, LIMITS.scheduleName);
}

/** Appears in CloudTrail as the assumed-role session: leads back to the request. */
export function roleSessionName(id: string): string {
  return shorten(`jit-access-${id}`, LIMITS.roleSessionName);
}

export function iamPolicyArn(partition: Config["aws"]["partition"], accountId: string, id: string): string {
  return `arn:${partition}:iam::${accountId}:policy${IAM_POLICY_PATH}${iamPolicyName(id)}`;
}

/** The 12-digit account of an ARN such as arn:aws:iam::111122223333:role/x, or undefined. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account !== undefined && /^\d{12}$/.test(account) ? account : undefined;
}

export interface Tag {
  Key: string;
  Value: string;
}

// IAM's and Identity Center's tag value grammar; a PR URL normally fits, anything else is dropped
// rather than failing the grant over an audit nicety.
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

export function grantTags(id: string, expiresAt: string, prUrl?: string): Tag[] {
  const tags: Tag[] = [
    { Key: TAG_REQUEST, Value: id },
    { Key: TAG_EXPIRES_AT, Value: expiresAt },
  ];
  if (prUrl !== undefined && TAG_VALUE.test(prUrl)) tags.push({ Key: TAG_PR, Value: prUrl });
  return tags;
}

/** Tag list → record; undefined-safe for SDK outputs. */
export function tagMap(tags: ReadonlyArray<{ Key?: string | undefined; Value?: string | undefined }> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? "";
  return out;
}
