// Identities: what AWS should hold (from identities/), what it holds, and the changes between
// them. Plan, then apply: the planner is pure; src/lifecycle/identities.ts carries the changes out
// through the IdentityDirectory port and undoes them on failure. Only identities jit-access
// manages (tagged, under identities.path) are ever updated or removed; one that exists without
// the tag, or elsewhere, is refused — never adopted.
import { LOGIN_TAG, MANAGED_TAG, MANAGED_VALUE, trustPolicy, userNameOf, type Person, type RoleIdentity } from "./identities.js";
import type { Config, PolicyDocument } from "./types.js";

export type IdentityKind = "iam_user" | "iam_role" | "sso_user";

/** An identity as AWS should hold it; policies and trust resolved to ARNs and JSON. */
export interface DesiredIdentity {
  kind: IdentityKind;
  name: string;
  /** People: their GitHub login, e-mail and display name. */
  login?: string;
  email?: string;
  displayName?: string;
  /** Attached managed policy ARNs, sorted. */
  managedPolicies: string[];
  /** Inline policy name → JSON document (the generated baselines). */
  inlinePolicies: Record<string, string>;
  tags: Record<string, string>;
  /** Roles: the trust policy, as JSON. */
  trust?: string;
  /** sso_user: Identity Center group display names, sorted. */
  groups: string[];
}

/** An identity as AWS holds it. */
export interface ActualIdentity extends DesiredIdentity {
  path: string;
  /** Carries jit-access's managed tag (sso_user: its marker) and lives under identities.path. */
  managed: boolean;
}

export interface IdentityUpdate {
  attach: string[];
  detach: string[];
  putInline: Record<string, string>;
  deleteInline: string[];
  setTags: Record<string, string>;
  removeTags: string[];
  trust?: string;
  addGroups: string[];
  removeGroups: string[];
}

export type IdentityChange =
  | { op: "create"; identity: DesiredIdentity }
  | { op: "update"; identity: DesiredIdentity; before: ActualIdentity; update: IdentityUpdate }
  | { op: "remove"; actual: ActualIdentity }
  /** The name is taken by an identity jit-access does not manage: nothing is done to it. */
  | { op: "refuse"; identity: DesiredIdentity; actual: ActualIdentity; reason: string };

/** AWS managed job-function policies live under a path; a bare name finds them. */
const AWS_POLICY_PATHS: Record<string, string> = {
  ViewOnlyAccess: "job-function/",
  Billing: "job-function/",
  DataScientist: "job-function/",
  DatabaseAdministrator: "job-function/",
  NetworkAdministrator: "job-function/",
  SupportUser: "job-function/",
  SystemAdministrator: "job-function/",
};

export const BASELINE_PREFIX = "jit-access-baseline-";

export interface DesiredContext {
  config: Config;
  /** The account of identities.account (IAM ARNs, trust). */
  accountId: string;
  /** Generated baselines: identity → index in `policies` → document. */
  generated: ReadonlyMap<Person | RoleIdentity, ReadonlyMap<number, PolicyDocument>>;
}

/** The checked identity files → what AWS should hold. */
export function desiredIdentities(ids: { people: readonly Person[]; roles: readonly RoleIdentity[] }, ctx: DesiredContext): DesiredIdentity[] {
  const partition = ctx.config.aws.partition;
  const policies = (e: Person | RoleIdentity) => {
    const managed: string[] = [];
    const inline: Record<string, string> = {};
    (e.policies ?? []).forEach((p, i) => {
      if ("managed" in p) managed.push(`arn:${partition}:iam::aws:policy/${AWS_POLICY_PATHS[p.managed] ?? ""}${p.managed}`);
      else if ("customer_managed" in p) managed.push(`arn:${partition}:iam::${ctx.accountId}:policy/${p.customer_managed}`);
      else {
        const doc = ctx.generated.get(e)?.get(i);
        if (doc) inline[`${BASELINE_PREFIX}${i}`] = JSON.stringify(doc);
      }
    });
    return { managedPolicies: [...new Set(managed)].sort(), inlinePolicies: inline };
  };
  const out: DesiredIdentity[] = [];
  for (const p of ids.people) {
    out.push({
      kind: p.kind,
      name: userNameOf(p),
      login: p.login,
      email: p.email,
      displayName: p.name,
      ...policies(p),
      // Identity Store users have no tags: their marker is the user type (src/aws/identities.ts).
      tags: p.kind === "sso_user" ? {} : { ...(p.tags ?? {}), [MANAGED_TAG]: MANAGED_VALUE, [LOGIN_TAG]: p.login },
      groups: [...(p.groups ?? [])].sort(),
    });
  }
  for (const r of ids.roles) {
    out.push({
      kind: "iam_role",
      name: r.name,
      ...policies(r),
      tags: { ...(r.tags ?? {}), [MANAGED_TAG]: MANAGED_VALUE },
      trust: JSON.stringify(trustPolicy(r.trust, { partition, accountId: ctx.accountId })),
      groups: [],
    });
  }
  return out;
}

const keyOf = (i: { kind: IdentityKind; name: string }) => `${i.kind}:${i.name.toLowerCase()}`;

/** What must change for `actual` to become `desired`; undefined when nothing. */
export function diffIdentity(desired: DesiredIdentity, actual: DesiredIdentity): IdentityUpdate | undefined {
  const minus = <T>(a: readonly T[], b: readonly T[]) => a.filter((x) => !b.includes(x));
  const putInline = Object.fromEntries(Object.entries(desired.inlinePolicies).filter(([k, v]) => !sameJson(actual.inlinePolicies[k], v)));
  const setTags = Object.fromEntries(Object.entries(desired.tags).filter(([k, v]) => actual.tags[k] !== v));
  const u: IdentityUpdate = {
    attach: minus(desired.managedPolicies, actual.managedPolicies),
    detach: minus(actual.managedPolicies, desired.managedPolicies),
    putInline,
    deleteInline: Object.keys(actual.inlinePolicies).filter((k) => !(k in desired.inlinePolicies)),
    setTags,
    removeTags: Object.keys(actual.tags).filter((k) => !(k in desired.tags)),
    ...(desired.trust !== undefined && !sameJson(desired.trust, actual.trust) ? { trust: desired.trust } : {}),
    addGroups: minus(desired.groups, actual.groups),
    removeGroups: minus(actual.groups, desired.groups),
  };
  const empty =
    !u.attach.length &&
    !u.detach.length &&
    !Object.keys(u.putInline).length &&
    !u.deleteInline.length &&
    !Object.keys(u.setTags).length &&
    !u.removeTags.length &&
    u.trust === undefined &&
    !u.addGroups.length &&
    !u.removeGroups.length;
  return empty ? undefined : u;
}

/**
 * The changes that make AWS hold `desired`: creates and updates first, removals last (so a failed
 * create is undone before anyone loses access). Identities AWS holds unmanaged are refused, and
 * identities neither listed nor managed are left alone.
 */
export function planIdentityChanges(desired: readonly DesiredIdentity[], actual: readonly ActualIdentity[]): IdentityChange[] {
  const byKey = new Map(actual.map((a) => [keyOf(a), a]));
  const wanted = new Set(desired.map(keyOf));
  const out: IdentityChange[] = [];
  for (const d of desired) {
    const a = byKey.get(keyOf(d));
    if (!a) out.push({ op: "create", identity: d });
    else if (!a.managed)
      out.push({
        op: "refuse",
        identity: d,
        actual: a,
        reason: `${d.kind} ${d.name} exists in AWS (path ${a.path}) but is not managed by jit-access (no ${MANAGED_TAG} tag under the identities path); jit-access never takes over an identity — rename it in identities/ or remove the other one`,
      });
    else {
      const update = diffIdentity(d, a);
      if (update) out.push({ op: "update", identity: d, before: a, update });
    }
  }
  for (const a of actual) if (a.managed && !wanted.has(keyOf(a))) out.push({ op: "remove", actual: a });
  return out;
}

/** One line per change, for the record, the commit and a dry run. */
export function describeIdentityChange(c: IdentityChange): string {
  switch (c.op) {
    case "create":
      return `create ${c.identity.kind} ${c.identity.name}${c.identity.managedPolicies.length ? ` with ${c.identity.managedPolicies.join(", ")}` : ""}`;
    case "update": {
      const u = c.update;
      const parts = [
        u.attach.length ? `attach ${u.attach.join(", ")}` : "",
        u.detach.length ? `detach ${u.detach.join(", ")}` : "",
        Object.keys(u.putInline).length ? `put ${Object.keys(u.putInline).join(", ")}` : "",
        u.deleteInline.length ? `delete ${u.deleteInline.join(", ")}` : "",
        Object.keys(u.setTags).length || u.removeTags.length ? "tags" : "",
        u.trust !== undefined ? "trust" : "",
        u.addGroups.length ? `join ${u.addGroups.join(", ")}` : "",
        u.removeGroups.length ? `leave ${u.removeGroups.join(", ")}` : "",
      ].filter(Boolean);
      return `update ${c.identity.kind} ${c.identity.name}: ${parts.join("; ")}`;
    }
    case "remove":
      return `remove ${c.actual.kind} ${c.actual.name}`;
    case "refuse":
      return `refuse ${c.identity.kind} ${c.identity.name}: not managed by jit-access`;
  }
}

function sameJson(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return JSON.stringify(sortKeys(JSON.parse(a))) === JSON.stringify(sortKeys(JSON.parse(b)));
  } catch {
    return a === b;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
