// What an existing bundle allows — a managed policy, or a permission set's managed and inline
// policies — judged by the same guardrails as a generated policy, for its risk tier. Pure: the
// documents are read by the caller (doctor). A bundle is not narrowed or refused here; only its
// tier and whether it is AdministratorAccess-like are worked out.
import type { Config, RiskTier } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import { checkPolicy } from "./guardrails.js";

export interface BundleAnalysis {
  risk: RiskTier;
  /** An Allow of every action (`*`, `*:*`) or of all of IAM on every resource. */
  adminLike: boolean;
  /** The distinct guardrail codes the documents raise (why the tier is what it is). */
  codes: string[];
}

const RANK: Record<RiskTier, number> = { low: 0, medium: 1, high: 2 };

export function riskRank(t: RiskTier): number {
  return RANK[t];
}

export function analyseBundle(catalogue: Catalogue, documents: readonly unknown[], config: Config): BundleAnalysis {
  let risk: RiskTier = "low";
  let adminLike = false;
  const codes = new Set<string>();
  for (const doc of documents) {
    // Judged as written: every service it names is allowed here, nothing is denied or pre-accepted.
    const services = servicesOf(doc);
    const ctx = { config: { ...config, allowed_services: services, denied_actions: [], allowed_dangerous_actions: [] }, mode: "iam" as const };
    const v = checkPolicy(catalogue, doc, ctx);
    if (RANK[v.risk] > RANK[risk]) risk = v.risk;
    for (const p of [...v.errors, ...v.warnings]) codes.add(p.code);
    if (isAdminLike(doc)) adminLike = true;
  }
  if (adminLike) risk = "high";
  // Nothing readable is not "nothing allowed": an empty bundle is judged high, never low.
  if (documents.length === 0) risk = "high";
  return { risk, adminLike, codes: [...codes].sort() };
}

const list = (v: unknown): string[] => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function statements(doc: unknown): Array<Record<string, unknown>> {
  const s = (doc as { Statement?: unknown } | null)?.Statement;
  const all = Array.isArray(s) ? s : s && typeof s === "object" ? [s] : [];
  return all.filter((x): x is Record<string, unknown> => !!x && typeof x === "object");
}

function servicesOf(doc: unknown): string[] {
  const out = new Set<string>();
  for (const st of statements(doc)) for (const a of list(st.Action)) if (a.includes(":")) out.add(a.split(":")[0]!.toLowerCase());
  return [...out];
}

function isAdminLike(doc: unknown): boolean {
  return statements(doc).some((st) => {
    if (st.Effect !== "Allow" || st.Condition !== undefined) return false;
    const actions = list(st.Action).map((a) => a.toLowerCase());
    const everyResource = list(st.Resource).includes("*");
    return everyResource && actions.some((a) => a === "*" || a === "*:*" || a === "iam:*");
  });
}
