// One run of the guardrails over one policy: its inputs (catalogue, config, the request's
// resources, the AWS mode) and everything found so far (problems, the facts that decide the risk
// tier, what is granted). Each guardrail module reads and adds to it; guardrails.ts composes them.
// Pure. Nothing here trusts the shape of the config either: it may come from a hand-edited file.

import type { GrantConditions } from "../domain/conditions.js";
import type { AccessLevel, Config, Problem, ProblemCode, RiskTier } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import type { Expansion } from "./expansion.js";
import { POLICY_LIMITS } from "./limits.js";
import { higherLevel, riskTier } from "./risk.js";
import { plural } from "./wording.js";

export interface Verdict {
  ok: boolean;
  risk: RiskTier;
  errors: Problem[];
  warnings: Problem[];
}

export interface GuardrailContext {
  config: Config;
  /** ARN patterns the request named; undefined skips the containment check. */
  allowedResources?: string[];
  mode: "iam" | "identity-center";
  /** The condition blocks stamped at grant: the size quota is measured with them. */
  conditions?: GrantConditions;
}

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** An action entry of an Allow or Deny statement, with what it stands for in the catalogue. */
export interface ParsedAction {
  path: string;
  raw: string;
  expansion: Expansion;
}

/** A resource entry: `*`, or an ARN (without `arn` when a field of it is refused). */
export interface ParsedResource {
  path: string;
  raw: string;
  star: boolean;
  arn?: Arn;
}

/** The parts of the config the guardrails use, read defensively. */
export interface CompiledConfig {
  services: Set<string>;
  /** [as written, lower-case] */
  denied: Array<[string, string]>;
  allowedDangerous: Array<[string, string]>;
  partition: string;
}

/** Where an action is first granted in the policy. */
export interface Granted {
  path: string;
  full: string;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An own property only: `constructor`, `__proto__` and friends never come from the prototype. */
export function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

export class Check {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];
  private readonly seen = new Set<string>();
  private readonly dropped = { errors: 0, warnings: 0 };
  /** The facts the risk tier is decided from (src/policy/risk.ts). */
  maxLevel: AccessLevel | undefined;
  dangerous = false;
  destructive = false;
  /** lower-case action → its first grant, for dangerous combinations. */
  readonly granted = new Map<string, Granted>();
  /** Sid → the statement that uses it. */
  readonly sids = new Map<string, string>();
  readonly cfg: CompiledConfig;
  readonly allowed: string[] | undefined;
  readonly mode: "iam" | "identity-center";
  readonly conditions: GrantConditions | undefined;

  constructor(
    readonly catalogue: Catalogue,
    ctx: GuardrailContext,
  ) {
    const config = (isRecord(ctx) && isRecord(ctx.config) ? ctx.config : {}) as Partial<Config>;
    const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
    this.cfg = {
      services: new Set(strings(config.allowed_services).map((s) => s.toLowerCase())),
      denied: strings(config.denied_actions).map((s) => [s, s.toLowerCase()]),
      allowedDangerous: strings(config.allowed_dangerous_actions).map((s) => [s, s.toLowerCase()]),
      partition: isRecord(config.aws) && typeof config.aws.partition === "string" ? config.aws.partition : "aws",
    };
    this.allowed = isRecord(ctx) && Array.isArray(ctx.allowedResources) ? strings(ctx.allowedResources) : undefined;
    this.mode = isRecord(ctx) && ctx.mode === "identity-center" ? "identity-center" : "iam";
    this.conditions = isRecord(ctx) && isRecord(ctx.conditions) ? ctx.conditions : undefined;
  }

  error(code: ProblemCode, path: string, message: string): void {
    this.push(this.errors, "errors", code, path, message);
  }

  warn(code: ProblemCode, path: string, message: string): void {
    this.push(this.warnings, "warnings", code, path, message);
  }

  noteLevel(level: AccessLevel | undefined): void {
    this.maxLevel = higherLevel(this.maxLevel, level);
  }

  private push(list: Problem[], kind: "errors" | "warnings", code: ProblemCode, path: string, message: string): void {
    const key = `${kind}\n${path}\n${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (list.length >= POLICY_LIMITS.maxProblems) {
      this.dropped[kind]++;
      return;
    }
    list.push({ code, path, message });
  }

  verdict(): Verdict {
    const errors = [...this.errors];
    const warnings = [...this.warnings];
    if (this.dropped.errors)
      errors.push({ code: "guardrail.too-many-problems", path: "", message: `… and ${plural(this.dropped.errors, "more error")} not shown` });
    if (this.dropped.warnings)
      warnings.push({ code: "guardrail.too-many-problems", path: "", message: `… and ${plural(this.dropped.warnings, "more warning")} not shown` });
    const risk = riskTier({ maxLevel: this.maxLevel, dangerous: this.dangerous, destructive: this.destructive });
    return { ok: errors.length === 0, risk, errors, warnings };
  }
}
