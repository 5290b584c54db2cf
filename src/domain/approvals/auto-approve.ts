// Auto-approval: whether an `auto_approve:` rule of the config approves a request without a human.
// Pure: the adapter passes the facts (the risk the pipeline judged at the default branch's config,
// the requester's team memberships, the requester's earlier rule-approved grants from the records)
// and the clock. Every doubt is a refusal: high risk, a pull request that changes anything but its
// own request file, a fact that cannot be read, a cap reached.
import { fail, ok, problem, type Result } from "../problems.js";
import type { AutoApproveRule, Problem, RiskTier } from "../types.js";
import { display, quote } from "./format.js";
import { normalizeLogin, normalizeTeam } from "./logins.js";

export interface AutoApproveFacts {
  /** The risk tier the pipeline judged, at the rules' config. */
  risk: RiskTier | undefined;
  account: { id: string; alias?: string };
  /** The request's `accounts:` when it names several: rules approve single-account requests only. */
  accounts?: readonly string[];
  requester: string;
  /** The teams ("@org/team") named by the rules that the requester is an active member of. */
  requesterTeams: readonly string[];
  /** The catalogue entry the request names, if any. */
  catalogue?: string | undefined;
  /** Every file the pull request changes. */
  files: ReadonlyArray<{ path: string }>;
  /** The request file: the one file the pull request may change. */
  requestPath: string;
  /** The requester's earlier grants approved by a rule, read from the records (never this request). */
  history: ReadonlyArray<{ rule: string; grantedAt: string }>;
  now: Date;
}

export interface AutoMatch {
  rule: string;
  /** The facts the rule matched, for the record. */
  matched: Record<string, string>;
  /** Grants by this rule for the requester in the last 24 hours and 7 days, this one included. */
  counted: { day: number; week: number };
}

const DAY_MS = 86_400_000;

/** Teams named in the rules' requesters, normalised: the memberships the adapter must look up. */
export function autoApproveTeams(rules: readonly AutoApproveRule[]): string[] {
  const out = new Set<string>();
  for (const r of rules) for (const who of r.requesters ?? []) if (who.includes("/")) out.add(normalizeTeam(who) ?? who);
  return [...out].sort();
}

/** Why one rule does not cover the request, or undefined when it does (caps aside). */
function mismatch(rule: AutoApproveRule, f: AutoApproveFacts, risk: RiskTier): string | { matched: Record<string, string> } {
  if (!(rule.risk as string[]).includes(risk)) return `risk ${risk} is not in ${rule.risk.join(", ")}`;
  const accountName = f.account.alias ?? f.account.id;
  // Risk, rules and caps are judged per account; a rule is never stretched over several.
  if (f.accounts !== undefined) return `the request names accounts (${f.accounts.join(", ")}); auto_approve rules approve single-account requests only`;
  if (rule.accounts && !rule.accounts.some((a) => a === f.account.id || (f.account.alias !== undefined && a === f.account.alias)))
    return `account ${quote(accountName)} is not in ${rule.accounts.join(", ")}`;
  const requester = normalizeLogin(f.requester);
  if (!requester) return `requester ${quote(f.requester)} is not a GitHub login`;
  let via = "anyone";
  if (rule.requesters) {
    const teams = new Set(f.requesterTeams.map((t) => normalizeTeam(t) ?? t));
    const byLogin = rule.requesters.find((w) => !w.includes("/") && normalizeLogin(w) === requester);
    const byTeam = rule.requesters.find((w) => w.includes("/") && teams.has(normalizeTeam(w) ?? w));
    if (!byLogin && !byTeam) return `${display(f.requester)} is not one of ${rule.requesters.join(", ")} (team membership must be active)`;
    via = byLogin ? "login" : (byTeam as string);
  }
  if (rule.catalogue) {
    if (!f.catalogue) return `the request names no catalogue entry, and the rule needs one of ${rule.catalogue.join(", ")}`;
    if (!rule.catalogue.includes(f.catalogue)) return `catalogue entry ${quote(f.catalogue)} is not in ${rule.catalogue.join(", ")}`;
  }
  return {
    matched: {
      risk,
      account: accountName,
      requester: f.requester,
      ...(rule.requesters ? { via } : {}),
      ...(rule.catalogue && f.catalogue ? { catalogue: f.catalogue } : {}),
    },
  };
}

/** Grants by `rule` in the 24 hours and 7 days before `now`, plus the one being decided. */
export function countGrants(history: AutoApproveFacts["history"], rule: string, now: Date): { day: number; week: number } {
  let day = 1;
  let week = 1;
  for (const h of history) {
    if (h.rule !== rule) continue;
    const at = Date.parse(h.grantedAt);
    // An unreadable date counts against the cap: it can only lower what is approved.
    const age = Number.isNaN(at) ? 0 : now.getTime() - at;
    if (age < DAY_MS) day++;
    if (age < 7 * DAY_MS) week++;
  }
  return { day, week };
}

/**
 * The first rule, in config order, that covers the request within its caps; otherwise every
 * reason, with the one code that says why (the most specific that applies to the whole request).
 */
export function matchAutoApproval(rules: readonly AutoApproveRule[], f: AutoApproveFacts): Result<AutoMatch> {
  if (!rules.length) return fail(problem("approval.auto-no-rule", "the config has no auto_approve rules; a person must approve this request", "auto_approve"));
  const others = f.files.map((x) => x.path).filter((p) => p !== f.requestPath);
  if (others.some((p) => p.startsWith(".github/") || p === "CODEOWNERS" || p.startsWith("docs/CODEOWNERS")))
    return fail(
      problem(
        "approval.auto-config-changed",
        `the pull request also changes ${others.map((p) => quote(p)).join(", ")}; a request that changes the rules it is judged by is never auto-approved — move that change to its own pull request`,
        "files",
      ),
    );
  if (others.length || f.files.length !== 1)
    return fail(
      problem(
        "approval.auto-files",
        `the pull request changes ${f.files.length} file(s) (${f.files.map((x) => quote(x.path)).join(", ") || "none"}); only a pull request that changes nothing but its own request file ${quote(f.requestPath)} can be auto-approved`,
        "files",
      ),
    );
  if (f.risk !== "low" && f.risk !== "medium")
    return fail(
      problem(
        "approval.auto-high-risk",
        `the request is ${String(f.risk ?? "of unknown")} risk; only low and medium risk requests are ever auto-approved, so people must approve it`,
        "risk",
      ),
    );
  const reasons: string[] = [];
  const capped: string[] = [];
  for (const rule of rules) {
    const m = mismatch(rule, f, f.risk);
    if (typeof m === "string") {
      reasons.push(`rule ${rule.name}: ${m}`);
      continue;
    }
    const counted = countGrants(f.history, rule.name, f.now);
    if (rule.max_per_day !== undefined && counted.day > rule.max_per_day) {
      capped.push(
        `rule ${rule.name}: ${display(f.requester)} already had ${counted.day - 1} grant(s) by it in the last 24 hours (max_per_day ${rule.max_per_day})`,
      );
      continue;
    }
    if (rule.max_per_week !== undefined && counted.week > rule.max_per_week) {
      capped.push(
        `rule ${rule.name}: ${display(f.requester)} already had ${counted.week - 1} grant(s) by it in the last 7 days (max_per_week ${rule.max_per_week})`,
      );
      continue;
    }
    return ok({ rule: rule.name, matched: m.matched, counted });
  }
  if (capped.length)
    return fail(
      problem(
        "approval.auto-cap",
        `every rule that covers this request has reached its cap: ${[...capped, ...reasons].join("; ")}; a person must approve it`,
        "auto_approve",
      ),
    );
  return fail(problem("approval.auto-no-match", `no auto_approve rule covers this request: ${reasons.join("; ")}; a person must approve it`, "auto_approve"));
}

/** The facts of a merge that claims an auto-approval, beyond those the rule judges. */
export interface AutoMergeFacts {
  /** The claim from the merge commit, written by the app when it merged. */
  claim: { rule: string; configSha: string; blob: string };
  /** The blob sha of the config at the default branch's commit before the merge. */
  configSha: string | undefined;
  headBlob: string | undefined;
  mergeBlob: string | undefined;
}

/**
 * Re-decides an auto-approval at the merge: the rules and the file must be the ones the app
 * matched (no config change, no push after the match), and the rule must still cover the request.
 */
export function verifyAutoApproval(rules: readonly AutoApproveRule[], f: AutoApproveFacts, m: AutoMergeFacts): Result<AutoMatch> {
  const problems: Problem[] = [];
  if (!m.configSha || m.configSha !== m.claim.configSha)
    problems.push(
      problem(
        "approval.auto-config-changed",
        `the rule ${m.claim.rule} was matched at config blob ${m.claim.configSha.slice(0, 7)}, but the default branch held ${m.configSha?.slice(0, 7) ?? "no config"} before the merge; the rules changed in between, so nothing is auto-approved — a person must approve`,
        "auto_approve",
      ),
    );
  if (!m.headBlob || !m.mergeBlob || m.headBlob !== m.claim.blob || m.mergeBlob !== m.claim.blob)
    problems.push(
      problem(
        "approval.auto-changed",
        `the request file was matched as blob ${m.claim.blob.slice(0, 7)} but was ${m.headBlob?.slice(0, 7) ?? "unknown"} at the head and ${m.mergeBlob?.slice(0, 7) ?? "unknown"} at the merge; a request that changes after matching is never auto-approved on the old match`,
        "requestFile",
      ),
    );
  if (problems.length) return fail(...problems);
  const rule = rules.filter((r) => r.name === m.claim.rule);
  if (!rule.length)
    return fail(
      problem("approval.auto-no-match", `the merge names rule ${quote(m.claim.rule)}, which the config does not have; a person must approve`, "auto_approve"),
    );
  return matchAutoApproval(rule, f);
}
