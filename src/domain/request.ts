// A request file: read safely, checked against the schema, then against the rules a schema
// cannot express (file name, durations, accounts, ARNs, status consistency).
import { looksLikeBundleResource, parseBundleResource } from "./bundle-resources.js";
import { catalogueRequestProblems } from "./access-catalogue.js";
import { accountView, requestAccounts } from "./accounts.js";
import { RESERVED_FOLDERS, knownAccountsText, resolveAccount, type ResolvedAccount } from "./config.js";
import { parseDuration } from "./duration.js";
import { fail, ok, prefixMessages } from "./problems.js";
import { validateRequestShape } from "./schema.js";
import { startsAtProblems } from "./scheduled-start.js";
import { show } from "./text.js";
import type { AccessRequest, AwsMode, Config, Problem, ProblemCode } from "./types.js";
import { loadYamlMapping } from "./yaml.js";

export const MIN_DURATION_SECONDS = 15 * 60;
export const REQUESTS_DIR = "access-requests";

/** A request file that passed every check, with what the checks worked out on the way. */
export interface CheckedRequest {
  request: AccessRequest;
  account: ResolvedAccount;
  durationSeconds: number;
  /** Under access-requests/examples/: checked, never granted. */
  example: boolean;
}

/**
 * The one Result shape, with one extra on failure: the request as read when it matched the schema
 * but broke a later rule, so the report can still count a record and the sweep can name it.
 */
export type RequestResult = { ok: true; value: CheckedRequest } | { ok: false; problems: Problem[]; request?: AccessRequest };

export interface RequestContext {
  /** Repository-relative path, e.g. access-requests/prod/2026/142-reports.yaml. */
  file: string;
  config: Config;
}

export function parseRequestFile(input: string | Uint8Array, ctx: RequestContext): RequestResult {
  const pathProblems = checkPathShape(ctx.file);
  const loaded = loadYamlMapping(input, "request file");
  if (!loaded.ok) return fail(...pathProblems, ...loaded.problems);
  return checkRequest(loaded.value, ctx, pathProblems);
}

export function checkRequest(value: unknown, ctx: RequestContext, earlier: Problem[] = checkPathShape(ctx.file)): RequestResult {
  const shape = validateRequestShape(value);
  if (shape.length) return fail(...capProblems([...earlier, ...shape, ...partialChecks(value, ctx.config, shape)]));
  const request = value as AccessRequest;
  const problems = [...earlier];
  const { config } = ctx;

  // Path: access-requests/<account>/<YYYY>/<id>.yaml, or access-requests/examples/<id>.yaml.
  const parts = ctx.file.split("/");
  const example = parts.length === 3 && parts[1] === "examples";
  const fileName = (parts[parts.length - 1] ?? "").replace(/\.yaml$/, "");
  if (earlier.length === 0 && fileName !== request.id) {
    problems.push({
      code: "request.id-mismatch",
      path: "id",
      message: `id ${show(request.id)} does not match the file name ${show(fileName + ".yaml")}; rename the file to ${request.id}.yaml or set id: ${fileName}`,
    });
  }

  const account = resolveAccount(config, request.account);
  if (!account) {
    const asId = /^\d{12}$/.test(request.account);
    problems.push({
      code: "request.unknown-account",
      path: "account",
      message: asId
        ? `account ${show(request.account)} is not listed in aws.accounts of .github/jit-access.yml; use one of: ${knownAccountsText(config)}`
        : `account ${show(request.account)} is not a known alias; use one of: ${knownAccountsText(config)} (or a listed 12-digit id)`,
    });
  } else if (earlier.length === 0 && !example && parts.length === 4) {
    const folder = parts[1] ?? "";
    const folderAccount = resolveAccount(config, folder);
    if (!folderAccount || folderAccount.id !== account.id) {
      problems.push({
        code: "request.account-folder",
        path: "account",
        message: `the file is under access-requests/${folder}/ but account is ${show(request.account)}; move it to access-requests/${account.alias ?? account.id}/ or fix account`,
      });
    }
  }

  const dur = parseDuration(request.duration, "request.duration-invalid", "duration");
  let durationSeconds = 0;
  if (!dur.ok) problems.push(...prefixMessages("duration: ", dur.problems));
  else {
    durationSeconds = dur.value;
    const max = parseDuration(config.max_duration, "config.duration-invalid", "max_duration");
    if (dur.value < MIN_DURATION_SECONDS)
      problems.push({
        code: "request.duration-too-short",
        path: "duration",
        message: `duration ${show(request.duration)} is shorter than the 15m minimum; ask for at least 15m`,
      });
    else if (max.ok && dur.value > max.value) {
      problems.push({
        code: "request.duration-too-long",
        path: "duration",
        message: `duration ${show(request.duration)} is longer than max_duration ${config.max_duration}; ask for ${config.max_duration} or less`,
      });
    }
  }

  if (request.principal !== undefined && request.principal !== request.requester) {
    problems.push({
      code: "request.principal-not-requester",
      path: "principal",
      message: `principal ${show(request.principal)} is not the requester ${show(request.requester)}; access is granted only to the person who asks — ${request.principal} should open their own request`,
    });
  }

  if (Object.keys(config.principals).length > 0 && !Object.hasOwn(config.principals, request.requester) && !mapsLogins(config)) {
    problems.push({
      code: "request.no-principal",
      path: "requester",
      message: `requester ${show(request.requester)} has no entry under principals in .github/jit-access.yml, so there is no AWS identity to grant to; ask an admin to add one`,
    });
  }

  request.request.forEach((item, i) => {
    const at = `request[${i}]`;
    if (!item.access && !item.actions) {
      problems.push({
        code: "request.no-access",
        path: at,
        message: `${at} names neither access nor actions; add access: [read] (read, list, write, tagging, permissions-management) or exact actions: [${item.service}:...]`,
      });
    }
    item.actions?.forEach((a, j) => {
      if (a.split(":")[0] !== item.service) {
        problems.push({
          code: "request.action-service-mismatch",
          path: `${at}.actions[${j}]`,
          message: `${at}.actions[${j}] ${show(a)} belongs to another service than ${show(item.service)}; move it to a request item with service: ${a.split(":")[0]}`,
        });
      }
    });
    item.resources.forEach((r, j) => {
      const p = `${at}.resources[${j}]`;
      const m = checkResource(r, account);
      if (m) problems.push({ code: m[0], path: p, message: `${p} ${show(r)} ${m[1]}` });
    });
  });

  if (dur.ok) problems.push(...catalogueRequestProblems(config, request, account, durationSeconds));
  if (account && request.accounts) problems.push(...otherAccountProblems(config, request, account, dur.ok ? durationSeconds : undefined));
  problems.push(...startsAtProblems(request));
  problems.push(...statusProblems(request, example));
  problems.push(...grantResourceProblems(request));
  if (problems.length) return { ok: false, problems: capProblems(problems), request };
  return ok({ request, account: account as ResolvedAccount, durationSeconds, example });
}

/**
 * A request in several accounts: every account is known and the mode grants several; each other
 * account's view passes the per-account rules the primary passed above (its catalogue entry and
 * max_duration), so no account is asked for under looser rules than its own.
 */
function otherAccountProblems(config: Config, request: AccessRequest, primary: ResolvedAccount, durationSeconds: number | undefined): Problem[] {
  const accounts = requestAccounts(config, request);
  if (!accounts.ok) return accounts.problems.filter((p) => p.path !== "account" || p.code !== "request.unknown-account");
  const out: Problem[] = [];
  for (const other of accounts.value.slice(1)) {
    if (durationSeconds === undefined) break;
    const name = other.alias ?? other.id;
    const found = catalogueRequestProblems(config, accountView(request, primary, other), other, durationSeconds);
    out.push(...prefixMessages(`in account ${name}: `, found).map((p) => ({ ...p, path: p.path === "account" ? "accounts" : p.path })));
  }
  // One problem said once, not once per account.
  return out.filter((p, i) => out.findIndex((q) => q.code === p.code && q.message === p.message) === i);
}

/** In identity-center mode with map_logins, a login without a principals entry is looked up in the identity store. */
function mapsLogins(config: Config): boolean {
  return config.aws.mode === "identity-center" && config.aws.identity_center?.map_logins !== undefined;
}

/**
 * When the shape is wrong, the fields that are individually usable are still checked, so the
 * author sees every problem at once (a bad duration and an unknown account in one round).
 */
function partialChecks(value: unknown, config: Config, shape: Problem[]): Problem[] {
  if (!value || typeof value !== "object") return [];
  const v = value as Record<string, unknown>;
  const flagged = new Set(shape.map((p) => p.path));
  const out: Problem[] = [];
  if (typeof v.account === "string" && !flagged.has("account") && !resolveAccount(config, v.account)) {
    out.push({
      code: "request.unknown-account",
      path: "account",
      message: `account ${show(v.account)} is not a known alias; use one of: ${knownAccountsText(config)} (or a listed 12-digit id)`,
    });
  }
  if (typeof v.duration === "string" && !flagged.has("duration")) {
    const d = parseDuration(v.duration, "request.duration-invalid", "duration");
    if (!d.ok) out.push(...prefixMessages("duration: ", d.problems));
  }
  return out;
}

/** The path rules that hold before the file is even read (also stops path traversal). */
export function checkPathShape(file: string): Problem[] {
  const bad = (code: ProblemCode, message: string): Problem[] => [{ code, path: "", message }];
  if (!/^[\x21-\x7e]+$/.test(file))
    return bad("request.path-invalid", `file path ${show(file)} must be plain ASCII without spaces; rename it to <number>-<slug>.yaml`);
  if (file.startsWith("/") || file.includes("\\") || file.split("/").some((s) => s === ".." || s === "." || s === "")) {
    return bad("request.path-invalid", `file path ${show(file)} must be a plain relative path under ${REQUESTS_DIR}/`);
  }
  const parts = file.split("/");
  if (parts[0] !== REQUESTS_DIR)
    return bad(
      "request.path-location",
      `file ${show(file)} is not under ${REQUESTS_DIR}/; request files live at ${REQUESTS_DIR}/<account>/<YYYY>/<number>-<slug>.yaml`,
    );
  const name = parts[parts.length - 1] ?? "";
  if (!name.endsWith(".yaml")) return bad("request.file-name", `file ${show(file)} must end in .yaml`);
  if (!/^[1-9][0-9]{0,9}-[a-z0-9]+(-[a-z0-9]+)*\.yaml$/.test(name)) {
    return bad(
      "request.file-name",
      `file name ${show(name)} must be <number>-<slug>.yaml (lower-case letters, digits and single hyphens), e.g. 142-financial-reports.yaml`,
    );
  }
  if (parts.length === 3 && RESERVED_FOLDERS.includes(parts[1] ?? "")) return [];
  if (parts.length !== 4 || !/^[a-z0-9][a-z0-9-]{0,62}$|^\d{12}$/.test(parts[1] ?? "") || !/^20\d\d$/.test(parts[2] ?? "")) {
    return bad(
      "request.path-location",
      `file ${show(file)} must be at ${REQUESTS_DIR}/<account>/<YYYY>/<number>-<slug>.yaml, e.g. ${REQUESTS_DIR}/prod/2026/${name}`,
    );
  }
  return [];
}

const PARTITIONS = new Set(["aws", "aws-cn", "aws-us-gov"]);

/**
 * ARNs must be well-formed and inside the request's account; names are left to the generator.
 * An ARN of another namespace (an EC2 instance for ssm:StartSession, an IAM role for
 * sts:AssumeRole) is fine here: the generator accepts it only when an action of the item's
 * service authorizes on that resource type, and names the right service otherwise.
 */
function checkResource(resource: string, account: ResolvedAccount | undefined): [ProblemCode, string] | undefined {
  const invalid = (message: string): [ProblemCode, string] => ["request.resource-invalid", message];
  if (resource === "*") return ["request.resource-too-wide", "grants every resource; name the resources you need"];
  if (/\s/.test(resource)) return invalid("contains whitespace; remove it");
  if (!resource.startsWith("arn:")) return undefined;
  const f = resource.split(":");
  if (f.length < 6) return invalid("is not a well-formed ARN (arn:partition:service:region:account:resource)");
  const [, partition = "", service = "", region = "", acct = ""] = f;
  if (!PARTITIONS.has(partition)) return invalid(`has partition ${show(partition)}; use aws, aws-cn or aws-us-gov`);
  if (!/^[a-z0-9-]+$/.test(service)) return invalid(`has service field ${show(service)}, which is not a service name`);
  if (region !== "" && !/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(region)) return invalid(`has region ${show(region)}; name one region (no wildcards)`);
  if (acct !== "" && !/^\d{12}$/.test(acct)) return invalid(`has account field ${show(acct)}; it must be the 12-digit account id (no wildcards)`);
  if (acct !== "" && account && acct !== account.id)
    return ["request.resource-other-account", `is in account ${acct}, not the request's account ${account.id}; ask in a request for that account`];
  if (f.slice(5).join(":") === "") return invalid("has an empty resource part");
  return undefined;
}

function statusProblems(r: AccessRequest, example: boolean): Problem[] {
  const out: Problem[] = [];
  const status = r.status ?? "proposed";
  if (example && status !== "proposed")
    out.push({ code: "request.example-status", path: "status", message: `examples must stay proposed; remove status ${show(status)}` });
  // A scheduled request closed before it started (its window missed, or revoked) has no grant.
  const needsGrant = status === "active" || ((status === "expired" || status === "revoked") && !r.scheduled);
  const mayGrant = status === "active" || status === "expired" || status === "revoked" || status === "failed";
  if (needsGrant && !r.grant)
    out.push({
      code: "request.status-grant",
      path: "grant",
      message: `status ${status} needs a grant record; status and grant are written by the app — do not edit them by hand`,
    });
  if (!mayGrant && r.grant)
    out.push({ code: "request.status-grant", path: "grant", message: `a ${status} request cannot carry a grant; remove grant (it is written by the app)` });
  const closedStates = ["expired", "revoked", "rejected"];
  if (closedStates.includes(status) && !r.closed)
    out.push({ code: "request.status-closed", path: "closed", message: `status ${status} needs closed: { at, reason }` });
  if (!closedStates.includes(status) && status !== "failed" && r.closed)
    out.push({ code: "request.status-closed", path: "closed", message: `a ${status} request cannot be closed; remove closed` });
  if (r.activity && status !== "expired" && status !== "revoked")
    out.push({
      code: "record.activity-not-closed",
      path: "activity",
      message: `a ${status} request cannot carry activity; remove activity (it is written by the app when a grant closes)`,
    });
  if (r.grant) {
    const g = Date.parse(r.grant.granted_at);
    const e = Date.parse(r.grant.expires_at);
    if (!(e > g))
      out.push({
        code: "request.grant-times",
        path: "grant.expires_at",
        message: `grant.expires_at ${show(r.grant.expires_at)} must be after grant.granted_at ${show(r.grant.granted_at)}`,
      });
  }
  return out;
}

/**
 * grant.aws.resources must name what a grant of this very request creates: revoke and the sweep
 * act on these names, so a record edited to name another request's policy (or one of the same
 * shape in another account) must not be read at all. The schema fixes the shape; this, the id
 * in the name, the account and the mode.
 */
function grantResourceProblems(r: AccessRequest): Problem[] {
  const aws = r.grant?.aws;
  // The single-account fields, then each account's part of a grant in several accounts.
  const parts = [
    { at: "grant.aws", accountId: aws?.account_id, resources: aws?.resources ?? [] },
    ...(aws?.accounts ?? []).map((a, i) => ({ at: `grant.aws.accounts[${i}]`, accountId: a.account_id, resources: a.resources ?? [] })),
  ];
  return parts.flatMap((part) => partResourceProblems(r, aws?.mode, part));
}

function partResourceProblems(
  r: AccessRequest,
  mode: AwsMode | undefined,
  part: { at: string; accountId: string | undefined; resources: string[] },
): Problem[] {
  const out: Problem[] = [];
  const fix = "jit-access removes only what it created for this request; restore grant.aws from the git history of this file";
  part.resources.forEach((arn, i) => {
    const path = `${part.at}.resources[${i}]`;
    if (looksLikeBundleResource(arn)) {
      const b = parseBundleResource(arn);
      const bundleMode = b?.kind === "attached" ? "iam" : "identity-center";
      if (!b) out.push({ code: "request.grant-resource", path, message: `${path} ${show(arn)} is not a well-formed attachment or assignment; ${fix}` });
      else if (mode !== undefined && mode !== bundleMode)
        out.push({
          code: "request.grant-resource",
          path,
          message: `${path} ${show(arn)} is ${b.kind === "attached" ? "an IAM attachment" : "an Identity Center assignment"} but grant.aws.mode is ${mode}; ${fix}`,
        });
      return;
    }
    const policy = /^arn:[^:]+:iam::(\d{12}):policy\/jit-access\/jit-(.+)$/.exec(arn);
    if (policy) {
      if (policy[2] !== r.id)
        out.push({
          code: "request.grant-resource",
          path,
          message: `${path} ${show(arn)} is the policy of request ${show(policy[2])}, not of this request ${show(r.id)}; ${fix}`,
        });
      else if (part.accountId !== undefined && policy[1] !== part.accountId)
        out.push({
          code: "request.grant-resource",
          path,
          message: `${path} ${show(arn)} is in account ${policy[1]}, not ${part.at}.account_id ${part.accountId}; ${fix}`,
        });
      else if (mode === "identity-center")
        out.push({ code: "request.grant-resource", path, message: `${path} ${show(arn)} is an IAM policy but grant.aws.mode is identity-center; ${fix}` });
    } else if (mode === "iam")
      out.push({ code: "request.grant-resource", path, message: `${path} ${show(arn)} is a permission set but grant.aws.mode is iam; ${fix}` });
  });
  return out;
}

export const MAX_PROBLEMS = 50;

/** A hostile file can have thousands of faults; the first fifty say enough. */
export function capProblems(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    { code: "request.too-many-problems", path: "", message: `and ${problems.length - MAX_PROBLEMS} more problems; fix these first` },
  ];
}
