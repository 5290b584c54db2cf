// The risk tier of a grant, defined once: the guardrails decide it from what a policy grants, and
// the activity report applies the same rule to recorded policies and requests. Pure.
import type { AccessLevel, RiskTier } from "../domain/types.js";

/** How far an access level reaches: list/read change nothing, write/tagging change data, permissions-management changes who may do what. */
export const LEVEL_RANK: Readonly<Record<AccessLevel, number>> = { list: 0, read: 0, tagging: 1, write: 1, "permissions-management": 2 };

/** The higher of two access levels (undefined counts as none). */
export function higherLevel(a: AccessLevel | undefined, b: AccessLevel | undefined): AccessLevel | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return LEVEL_RANK[b] > LEVEL_RANK[a] ? b : a;
}

/** What the tier is decided from. */
export interface RiskFacts {
  /** The highest access level granted (or asked for). */
  maxLevel: AccessLevel | undefined;
  /** A curated dangerous action or combination is granted (or accepted by allowed_dangerous_actions). */
  dangerous: boolean;
  /** A destructive or administrative write is granted. */
  destructive: boolean;
}

/**
 * high: permissions-management, a dangerous or a destructive action; medium: write or tagging;
 * low: list and read only. Approval needs the configured number of approvers for the tier.
 */
export function riskTier(facts: RiskFacts): RiskTier {
  if (facts.dangerous || facts.destructive || facts.maxLevel === "permissions-management") return "high";
  if (facts.maxLevel === "write" || facts.maxLevel === "tagging") return "medium";
  return "low";
}

/** The tier as shown to people, with what it means. */
export function riskLabel(risk: RiskTier): string {
  return { low: "low (read/list only)", medium: "medium (changes data)", high: "high (permissions, destructive, or escalation-capable actions)" }[risk];
}

export const RISK_TIER_RANK: Readonly<Record<RiskTier, number>> = { low: 1, medium: 2, high: 3 };
