// Identities as code: the people and machine roles listed in identities/people.yaml and
// identities/roles.yaml, read with the safe YAML loader, validated by schemas/identities.schema.json
// and by the rules a schema cannot say (one entry per login and per AWS name, e-mail addresses,
// the kind the account's mode can grant to, baseline policies from the allowed list and never an
// administrator-level one, trust from a small set of safe templates). Pure.
import { resolveAccount } from "./config.js";
import { fail, ok, prefixMessages, problem, type Result } from "./problems.js";
import { validateIdentitiesShape } from "./schema.js";
import { show } from "./text.js";
import type { Config, Principal, Problem, RequestItem } from "./types.js";
import { loadYamlMapping } from "./yaml.js";

export const IDENTITIES_DIR = "identities";
/** The files identities are read from; any other file under identities/ is refused in a pull request. */
export const IDENTITY_FILES = ["identities/people.yaml", "identities/roles.yaml"] as const;

/** Tags on every user and role jit-access creates: the drift check and every update look for them. */
export const MANAGED_TAG = "jit-access:managed-by";
export const MANAGED_VALUE = "jit-access";
export const LOGIN_TAG = "jit-access:login";

export type BaselinePolicy = { managed: string } | { customer_managed: string } | { generated: RequestItem[] };

export interface Person {
  login: string;
  email: string;
  name: string;
  kind: "iam_user" | "sso_user";
  /** The IAM or Identity Center user name; the login when absent. */
  user_name?: string;
  groups?: string[];
  policies?: BaselinePolicy[];
  tags?: Record<string, string>;
}

export interface TrustSpec {
  template: string;
  repository?: string;
  ref?: string;
  environment?: string;
  service?: string;
}

export interface RoleIdentity {
  name: string;
  description?: string;
  trust: TrustSpec;
  policies?: BaselinePolicy[];
  tags?: Record<string, string>;
}

export interface IdentitiesFile {
  version: 1;
  people?: Person[];
  roles?: RoleIdentity[];
}

/** Every identity file of a commit, merged. `where` names the file and index of each entry, for messages. */
export interface Identities {
  people: Person[];
  roles: RoleIdentity[];
  where: Map<Person | RoleIdentity, string>;
}

/**
 * AWS managed policies that amount to administrator access, or to changing IAM itself (and so
 * to any access): never a standing baseline, whatever the config lists. A person who needs them
 * asks for temporary access instead.
 */
export const PRIVILEGED_POLICIES: readonly string[] = [
  "AdministratorAccess",
  "AdministratorAccess-Amplify",
  "AdministratorAccess-AWSElasticBeanstalk",
  "PowerUserAccess",
  "IAMFullAccess",
  "AWSOrganizationsFullAccess",
  "AWSSSOMasterAccountAdministrator",
  "AWSSSODirectoryAdministrator",
  "AWSCloudFormationFullAccess",
  "AWSLambda_FullAccess",
  "AmazonEC2FullAccess",
  "AWSCodeBuildAdminAccess",
  "SecretsManagerReadWrite",
];

export function isPrivilegedPolicy(name: string): boolean {
  const n = name.toLowerCase();
  return PRIVILEGED_POLICIES.some((p) => p.toLowerCase() === n) || /^administratoraccess/.test(n);
}

export const TRUST_TEMPLATES = ["github-oidc", "aws-service"] as const;
export const TRUST_SERVICES = ["lambda", "ecs-tasks", "ec2"] as const;

/** A practical e-mail check: one @, a dotted domain, no spaces or quotes. */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const REPOSITORY = /^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}\/[A-Za-z0-9._-]{1,100}$/;
const GIT_REF = /^refs\/(heads|tags)\/[A-Za-z0-9._/-]{1,200}$/;
const ENVIRONMENT = /^[A-Za-z0-9._-]{1,255}$/;

export function isEmail(value: string): boolean {
  return EMAIL.test(value) && !value.includes("..") && value.length <= 254;
}

/** The user name an identity has in AWS. */
export function userNameOf(p: Person): string {
  return p.user_name ?? p.login;
}

/** One identity file's text → its content, or the problems (each message names the file). */
export function parseIdentitiesFile(text: string | Uint8Array, file: string): Result<IdentitiesFile> {
  const loaded = loadYamlMapping(text, file);
  if (!loaded.ok) return loaded;
  const shape = validateIdentitiesShape(loaded.value);
  if (shape.length) return fail(...prefixMessages(`${file}: `, shape));
  return ok(loaded.value as unknown as IdentitiesFile);
}

/**
 * The identity files of one commit (absent files are undefined) → every identity, checked against
 * the config. Problems name the file and the field.
 */
export function loadIdentities(files: ReadonlyArray<{ path: string; text: string | Uint8Array | undefined }>, config: Config): Result<Identities> {
  const out: Identities = { people: [], roles: [], where: new Map() };
  const problems: Problem[] = [];
  for (const f of files) {
    if (f.text === undefined) continue;
    const parsed = parseIdentitiesFile(f.text, f.path);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      continue;
    }
    (parsed.value.people ?? []).forEach((p, i) => {
      out.people.push(p);
      out.where.set(p, `${f.path}: people[${i}]`);
    });
    (parsed.value.roles ?? []).forEach((r, i) => {
      out.roles.push(r);
      out.where.set(r, `${f.path}: roles[${i}]`);
    });
  }
  if (problems.length) return fail(...problems);
  problems.push(...identityProblems(out, config));
  return problems.length ? fail(...problems) : ok(out);
}

/** The rules a schema cannot say, over every identity file together. */
export function identityProblems(ids: Identities, config: Config): Problem[] {
  const out: Problem[] = [];
  const at = (e: Person | RoleIdentity, field: string): string => `${ids.where.get(e) ?? "?"}.${field}`;
  const seenLogin = new Map<string, string>();
  const seenUser = new Map<string, string>();
  const seenRole = new Map<string, string>();
  const allowed = new Set(config.identities.allowed_policies.map((n) => n.toLowerCase()));

  for (const p of ids.people) {
    const login = p.login.toLowerCase();
    const first = seenLogin.get(login);
    if (first)
      out.push(problem("identity.duplicate-login", `login ${show(p.login)} is listed twice (first at ${first}); keep one entry per person`, at(p, "login")));
    else seenLogin.set(login, at(p, "login"));
    // IAM and Identity Store names are unique case-insensitively.
    const user = userNameOf(p).toLowerCase();
    const firstUser = seenUser.get(user);
    if (firstUser && !first)
      out.push(
        problem(
          "identity.duplicate-name",
          `user name ${show(userNameOf(p))} is used twice (first at ${firstUser}); give one of them another user_name`,
          at(p, p.user_name ? "user_name" : "login"),
        ),
      );
    else seenUser.set(user, at(p, "login"));
    if (!isEmail(p.email))
      out.push(problem("identity.email-invalid", `e-mail ${show(p.email)} is not an address such as alice@example.com; fix email`, at(p, "email")));
    const wanted = p.kind === "sso_user" ? "identity-center" : "iam";
    if (config.aws.mode !== wanted)
      out.push(
        problem(
          "identity.kind-mode",
          `kind ${p.kind} cannot be granted to while aws.mode is ${config.aws.mode}; use ${config.aws.mode === "iam" ? "iam_user" : "sso_user"}`,
          at(p, "kind"),
        ),
      );
    if (p.groups?.length && p.kind !== "sso_user")
      out.push(problem("identity.groups-not-sso", `groups are Identity Center groups, for kind sso_user only; remove groups or use sso_user`, at(p, "groups")));
    if (p.policies?.length && p.kind === "sso_user")
      out.push(
        problem(
          "identity.policies-sso",
          `an sso_user gets access through permission sets, not baseline policies; remove policies (use groups, or ask for temporary access)`,
          at(p, "policies"),
        ),
      );
    out.push(...policyProblems(p.policies ?? [], allowed, (i, k) => at(p, `policies[${i}].${k}`)));
  }

  for (const r of ids.roles) {
    const name = r.name.toLowerCase();
    const first = seenRole.get(name);
    if (first) out.push(problem("identity.duplicate-name", `role ${show(r.name)} is listed twice (first at ${first}); keep one entry per role`, at(r, "name")));
    else seenRole.set(name, at(r, "name"));
    if (config.aws.mode !== "iam")
      out.push(problem("identity.kind-mode", `roles are IAM roles; aws.mode is ${config.aws.mode}, so jit-access cannot grant to them`, at(r, "name")));
    out.push(...trustProblems(r.trust, at(r, "trust")));
    out.push(...policyProblems(r.policies ?? [], allowed, (i, k) => at(r, `policies[${i}].${k}`)));
  }

  const needsAccount = ids.roles.length > 0 || ids.people.some((p) => p.kind === "iam_user");
  if (needsAccount && config.identities.enabled) {
    const account = config.identities.account;
    if (account === undefined || !resolveAccount(config, account))
      out.push(
        problem(
          "identity.account-unknown",
          account === undefined
            ? "identities.account is not set in .github/jit-access.yml, so there is no account to create IAM users and roles in; set it to an alias of aws.accounts"
            : `identities.account ${show(account)} is not an account of aws.accounts; use one of them`,
          "identities.account",
        ),
      );
  }
  return out;
}

function policyProblems(policies: readonly BaselinePolicy[], allowed: ReadonlySet<string>, at: (i: number, key: string) => string): Problem[] {
  const out: Problem[] = [];
  policies.forEach((p, i) => {
    const name = "managed" in p ? p.managed : "customer_managed" in p ? p.customer_managed : undefined;
    if (name === undefined) return; // generated: judged by the policy pipeline (src/policy/identity-baseline.ts)
    const key = "managed" in p ? "managed" : "customer_managed";
    if (isPrivilegedPolicy(name))
      out.push(
        problem(
          "identity.policy-privileged",
          `${show(name)} is administrator-level access and is never a standing baseline; remove it and ask for temporary access through a request instead`,
          at(i, key),
        ),
      );
    else if (!allowed.has(name.toLowerCase()))
      out.push(
        problem(
          "identity.policy-not-allowed",
          `policy ${show(name)} is not in identities.allowed_policies of .github/jit-access.yml (allowed: ${[...allowed].join(", ") || "none"}); use an allowed policy, a generated one, or change the config in its own pull request`,
          at(i, key),
        ),
      );
  });
  return out;
}

function trustProblems(t: TrustSpec, at: string): Problem[] {
  const bad = (field: string, message: string): Problem => problem("identity.trust-invalid", message, `${at}.${field}`);
  if (!(TRUST_TEMPLATES as readonly string[]).includes(t.template))
    return [
      problem(
        "identity.trust-template-unknown",
        `trust template ${show(t.template)} is not one of the safe templates: ${TRUST_TEMPLATES.join(", ")}`,
        `${at}.template`,
      ),
    ];
  const out: Problem[] = [];
  const extra = (fields: string[]) =>
    fields.filter((f) => t[f as keyof TrustSpec] !== undefined).map((f) => bad(f, `${f} does not belong to the ${t.template} template; remove it`));
  if (t.template === "github-oidc") {
    if (!t.repository || !REPOSITORY.test(t.repository))
      out.push(bad("repository", `repository ${show(t.repository)} must name one repository as owner/name, without wildcards`));
    if ((t.ref === undefined) === (t.environment === undefined))
      out.push(bad("ref", "set exactly one of ref (e.g. refs/heads/main) or environment, so that one branch or environment can assume the role"));
    if (t.ref !== undefined && !GIT_REF.test(t.ref))
      out.push(bad("ref", `ref ${show(t.ref)} must be refs/heads/<branch> or refs/tags/<tag>, without wildcards`));
    if (t.environment !== undefined && !ENVIRONMENT.test(t.environment))
      out.push(bad("environment", `environment ${show(t.environment)} is not an environment name`));
    out.push(...extra(["service"]));
  } else {
    if (!t.service || !(TRUST_SERVICES as readonly string[]).includes(t.service))
      out.push(bad("service", `service ${show(t.service)} must be one of: ${TRUST_SERVICES.join(", ")}`));
    out.push(...extra(["repository", "ref", "environment"]));
  }
  return out;
}

/** The trust policy of a role from its (validated) template; the only trust jit-access writes. */
export function trustPolicy(t: TrustSpec, ctx: { partition: string; accountId: string }): Record<string, unknown> {
  if (t.template === "github-oidc") {
    const host = "token.actions.githubusercontent.com";
    const sub = t.ref !== undefined ? `repo:${t.repository}:ref:${t.ref}` : `repo:${t.repository}:environment:${t.environment}`;
    return {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: `arn:${ctx.partition}:iam::${ctx.accountId}:oidc-provider/${host}` },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: { StringEquals: { [`${host}:aud`]: "sts.amazonaws.com", [`${host}:sub`]: sub } },
        },
      ],
    };
  }
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: `${t.service}.amazonaws.com` },
        Action: "sts:AssumeRole",
        ...(t.service === "ec2" ? {} : { Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } } }),
      },
    ],
  };
}

/**
 * The config with a principal for every person listed in identities/ whose login has none:
 * `principals` in the config stays an override. Only people of the kind the mode grants to.
 */
export function withIdentityPrincipals(config: Config, ids: Pick<Identities, "people">): Config {
  const principals: Record<string, Principal> = { ...config.principals };
  const taken = new Set(Object.keys(principals).map((l) => l.toLowerCase()));
  for (const p of ids.people) {
    if (taken.has(p.login.toLowerCase())) continue;
    if (config.aws.mode === "iam" && p.kind === "iam_user") principals[p.login] = { iam_user: userNameOf(p) };
    if (config.aws.mode === "identity-center" && p.kind === "sso_user") principals[p.login] = { sso_user: userNameOf(p) };
  }
  return { ...config, principals };
}

/** Semantic checks of `identities:` in the config (one call from config.ts). */
export function identitiesConfigProblems(config: Config): Problem[] {
  const out: Problem[] = [];
  config.identities.allowed_policies.forEach((name, i) => {
    if (isPrivilegedPolicy(name))
      out.push(
        problem(
          "config.identities-privileged-policy",
          `identities.allowed_policies lists ${show(name)}, administrator-level access that is never a standing baseline; remove it`,
          `identities.allowed_policies[${i}]`,
        ),
      );
  });
  const o = config.identities.onboarding;
  if (o.channel === "ses" && (o.sender === undefined || !isEmail(o.sender)))
    out.push(
      problem(
        "config.identities-sender",
        `identities.onboarding.channel is ses but sender ${show(o.sender)} is not an e-mail address; set sender to an address verified in SES`,
        "identities.onboarding.sender",
      ),
    );
  return out;
}

/**
 * The config with principals derived from the identity files of the same commit. Files that do
 * not pass the checks derive nothing (the config's own principals still apply): a broken
 * identities/ never gives anyone an AWS identity.
 */
export function deriveIdentityPrincipals(config: Config, files: ReadonlyArray<{ path: string; text: string | Uint8Array | undefined }>): Config {
  if (files.every((f) => f.text === undefined)) return config;
  const ids = loadIdentities(files, config);
  return ids.ok ? withIdentityPrincipals(config, ids.value) : config;
}
