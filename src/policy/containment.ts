// Resource containment: an Allow statement's ARNs stay in this repository's partition with no
// wildcard in the service, region or account, name resources instead of `*` where the actions
// allow it, and stay within what the request names. Pure.

import { authorizedOnlyOnStar, type ActionInfo, type Catalogue } from "./catalogue.js";
import { cacheOf, remember } from "./expansion.js";
import type { Arn, Check, ParsedAction, ParsedResource } from "./findings.js";
import { formatToGlob, globsIntersect, resourceWithin } from "./glob.js";
import { listSome, plural, q } from "./wording.js";

/** The fields of an Allow statement's ARN that decide where it reaches; `arn` is dropped when one is refused. */
export function checkArnFields(check: Check, r: ParsedResource & { arn: Arn }): ParsedResource {
  const { path, raw: value, arn } = r;
  const wild = (s: string) => /[*?]/.test(s);
  let ok = true;
  if (wild(arn.partition) || arn.partition !== check.cfg.partition) {
    check.error(
      "guardrail.resource-partition",
      path,
      `the resource ${q(value)} has partition ${q(arn.partition)}; this repository's AWS partition is "${check.cfg.partition}" — write arn:${check.cfg.partition}:…`,
    );
    ok = false;
  }
  if (arn.service === "" || wild(arn.service)) {
    check.error(
      "guardrail.resource-wildcard-field",
      path,
      `the resource ${q(value)} has ${arn.service === "" ? "no service" : `a wildcard in the service field (${q(arn.service)})`}; name the service, e.g. arn:aws:s3:::my-bucket`,
    );
    ok = false;
  }
  if (wild(arn.region)) {
    check.error(
      "guardrail.resource-wildcard-field",
      path,
      `the resource ${q(value)} has a wildcard in the region field (${q(arn.region)}), which covers every region; name the region (e.g. "us-east-1"), or leave the field empty where the ARN format has none (S3 buckets, IAM)`,
    );
    ok = false;
  }
  if (wild(arn.account)) {
    check.error(
      "guardrail.resource-wildcard-field",
      path,
      `the resource ${q(value)} has a wildcard in the account field (${q(arn.account)}), which covers every AWS account, including other organisations'; write the 12-digit account id`,
    );
    ok = false;
  } else if (arn.account !== "" && arn.account !== "aws" && !/^\d{12}$/.test(arn.account)) {
    check.warn("guardrail.resource-account", path, `the resource ${q(value)} has account ${q(arn.account)}; account ids are 12 digits`);
  }
  return ok ? { path, raw: value, star: false, arn } : { path, raw: value, star: false };
}

/**
 * What an Allow statement reaches: `*` only for actions that cannot be scoped, every resource
 * within what the request names, and (a warning) actions that apply to none of the resources.
 */
export function checkContainment(check: Check, path: string, actions: ParsedAction[], resources: ParsedResource[]): void {
  const star = resources.find((r) => r.star);

  // "*" only for actions that cannot be scoped to resources.
  if (star) {
    const scopable: ActionInfo[] = [];
    for (const a of actions) for (const info of a.expansion.actions) if (!authorizedOnlyOnStar(info)) scopable.push(info);
    if (scopable.length > 0) {
      const names = [...new Set(scopable.map((a) => a.full))];
      const first = scopable[0];
      // The simplest ARN format of the first such action makes the example.
      let rt: ReturnType<Catalogue["resourceType"]>;
      for (const t of first?.resourceTypes ?? []) {
        const candidate = first ? check.catalogue.resourceType(first.service, t.name.toLowerCase()) : undefined;
        if (candidate && (!rt || candidate.arnFormat.length < rt.arnFormat.length)) rt = candidate;
      }
      const example = rt ? ` (e.g. ${rt.arnFormat.replace("${Partition}", check.cfg.partition)} for ${first?.full})` : "";
      const hint =
        scopable.length < actions.reduce((n, a) => n + a.expansion.actions.length, 0)
          ? `; keep the actions without resource-level support in a statement of their own on "*"`
          : "";
      check.error(
        "guardrail.unscoped-resource",
        star.path,
        `Resource "*" is used with ${names.length === 1 ? "an action that supports" : `${plural(names.length, "action")} that support`} resource-level permissions: ${listSome(names)}; name the resources instead${example}${hint}`,
      );
    }
  }

  // Within the request.
  if (check.allowed) {
    for (const r of resources) {
      if (r.star) continue; // only reachable for actions without resource-level support (checked above)
      if (!resourceWithin(r.raw, check.allowed)) {
        check.error(
          "guardrail.resource-outside-request",
          r.path,
          `the resource ${q(r.raw)} is wider than the request: it is not within any requested resource (${
            listSome(
              check.allowed.map((a) => q(a)),
              4,
            ) || "none"
          }); narrow it, or ask for it in the request`,
        );
      }
    }
  }

  // Actions that apply to none of the statement's resources (granted on nothing: a mistake).
  const arns = resources.filter((r) => !r.star && r.arn);
  if (arns.length > 0 && !star) {
    const useless: string[] = [];
    for (const a of actions) {
      for (const info of a.expansion.actions) {
        if (authorizedOnlyOnStar(info)) continue;
        if (!arns.some((r) => applies(check, info, r.raw))) useless.push(info.full);
      }
    }
    if (useless.length > 0) {
      check.warn(
        "guardrail.action-resource-mismatch",
        `${path}.Resource`,
        `${listSome([...new Set(useless)])} ${useless.length === 1 ? "applies" : "apply"} to none of this statement's resources (${listSome(
          arns.map((r) => q(r.raw)),
          3,
        )}), so ${useless.length === 1 ? "it grants" : "they grant"} nothing here; move them to a statement with matching ARNs or drop them`,
      );
    }
  }
}

function applies(check: Check, action: ActionInfo, raw: string): boolean {
  return remember(cacheOf(check.catalogue).applies, `${action.full}\n${raw}`, () => {
    const names = new Set(action.resourceTypes.map((t) => t.name.toLowerCase()));
    if (!/[*?]/.test(raw)) {
      // A literal ARN: the catalogue's own classification (the most specific ARN format).
      const types = check.catalogue.matchResourceTypes(action.service, raw);
      return types.length === 0 ? !check.catalogue.resourceTypesOf(action.service).length : types.some((t) => names.has(t.key.toLowerCase()));
    }
    // A pattern: can it match any ARN of the action's types? (Lenient: it rarely warns.)
    let known = 0;
    for (const t of action.resourceTypes) {
      const rt = check.catalogue.resourceType(action.service, t.name.toLowerCase());
      if (!rt) continue;
      known++;
      if (globsIntersect(raw, formatToGlob(rt.arnFormat))) return true;
    }
    return known === 0; // no data to judge by: do not warn
  });
}
