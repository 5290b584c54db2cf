// Policy pipeline step 2: who drafts the policy. `builtin` returns the built-in envelope as it is;
// the model drafter asks a language model for the least-privilege subset of the envelope, keeps
// only what lies within it (narrow.ts) and falls back to the envelope, saying why, whenever the
// answer cannot be used. Pure: the model is reached through the `ModelClient` port, which
// src/ai/gemini.ts implements (the only code that does network I/O for drafting).
import { describeProblem } from "../domain/problems.js";
import type { AccessRequest, Config, PolicyDocument, Problem } from "../domain/types.js";
import type { Catalogue } from "./catalogue.js";
import { GENERATOR_VERSION, generatePolicy } from "./generator.js";
import { narrowToEnvelope, type Justification } from "./narrow.js";
import { buildPrompt, parseAnswer } from "./prompt.js";

export interface DraftInput {
  request: AccessRequest;
  /** The built-in generator's policy for the same request: the upper bound of any draft. */
  envelope: PolicyDocument;
  catalogue: Catalogue;
}

/** A drafted policy. Whatever the drafter, the pipeline's guardrails judge it afterwards. */
export interface Draft {
  policy: PolicyDocument;
  /** `builtin/<n>` or `gemini/<model>`: what the request file records as `generator`. */
  generator: string;
  /** Dropped or changed parts of a model's answer, and the reason for a fallback. */
  warnings: Problem[];
  /** Set when a model drafter was asked for but the envelope is returned: why. */
  fellBack?: string;
  /** The model's one-line reason per statement of the result (untrusted text, cleaned). */
  justifications?: Justification[];
}

export interface PolicyDrafter {
  /** "builtin", or the provider and model, e.g. "gemini/gemini-2.5-flash". */
  readonly name: string;
  /** Never rejects: every failure becomes a fallback to the envelope. */
  draft(input: DraftInput): Promise<Draft>;
}

export type ModelReply = { ok: true; text: string } | { ok: false; reason: string };

/**
 * One call with structured output: the policy prompt (prompt.ts) or the structured-request prompt
 * (structured-request.ts). The schema is the API's OpenAPI subset, as plain data.
 */
export interface ModelPrompt {
  systemInstruction: string;
  text: string;
  config: { temperature: 0; responseMimeType: "application/json"; responseSchema: object };
}

/** The port to a language model. Implementations never throw: failures are `{ ok: false }`. */
export interface ModelClient {
  /** e.g. "gemini/gemini-2.5-flash" */
  readonly generator: string;
  generate(prompt: ModelPrompt, options: { timeoutMs: number }): Promise<ModelReply>;
}

export const builtinDrafter: PolicyDrafter = {
  name: "builtin",
  draft: async ({ envelope }) => ({ policy: envelope, generator: GENERATOR_VERSION, warnings: [] }),
};

/** The envelope, with the reason why no model draft is used. */
export function fallback(envelope: PolicyDocument, reason: string, warnings: Problem[] = []): Draft {
  return {
    policy: envelope,
    generator: GENERATOR_VERSION,
    warnings: [...warnings, { code: "draft.fallback", path: "draft", message: `${reason}; the built-in policy (${GENERATOR_VERSION}) is used instead` }],
    fellBack: reason,
  };
}

/** A drafter that asks `client` and keeps only the part of its answer within the envelope. */
export function modelDrafter(client: ModelClient, options: { timeoutMs: number }): PolicyDrafter {
  return {
    name: client.generator,
    async draft({ request, envelope, catalogue }) {
      if (!envelope.Statement.some((s) => s.Effect === "Allow")) {
        return fallback(envelope, "the built-in policy grants nothing, so there is nothing to narrow");
      }
      let reply: ModelReply;
      try {
        reply = await client.generate(buildPrompt({ request, envelope }), { timeoutMs: options.timeoutMs });
      } catch (e) {
        // The port promises not to throw; if it does anyway, that is still only a fallback.
        reply = { ok: false, reason: `${client.generator} failed (${e instanceof Error ? e.message.slice(0, 200) : "unknown error"})` };
      }
      if (!reply.ok) return fallback(envelope, reply.reason);
      const parsed = parseAnswer(reply.text);
      if (!parsed.ok) return fallback(envelope, `${client.generator}: ${parsed.problems.map(describeProblem).join("; ")}`);
      const narrowed = narrowToEnvelope(catalogue, envelope, parsed.value);
      if (narrowed.allowStatements === 0) {
        return fallback(envelope, `${client.generator}: nothing in the answer lies within the built-in policy`, narrowed.warnings);
      }
      return { policy: narrowed.policy, generator: client.generator, warnings: narrowed.warnings, justifications: narrowed.justifications };
    },
  };
}

/** A drafter that returns the envelope and always says why no model was asked. */
export function unavailableDrafter(reason: string): PolicyDrafter {
  return {
    name: "builtin",
    draft: async ({ envelope }) => fallback(envelope, reason),
  };
}

export type ConnectModel = (options: { apiKey: string; model: string }) => ModelClient;

/** Whether the configuration asks for a model, and if so whether it can be reached. */
export type ModelChoice = { kind: "none" } | { kind: "unavailable"; reason: string } | { kind: "model"; client: ModelClient; timeoutMs: number };

/**
 * The model `config.ai` asks for. `ai.provider: gemini` needs GEMINI_API_KEY in the environment
 * (never in the repository); without it the choice is "unavailable", with the reason.
 */
export function chooseModel(config: Config, env: Readonly<Record<string, string | undefined>>, connect: ConnectModel): ModelChoice {
  if (config.ai.provider !== "gemini") return { kind: "none" };
  const apiKey = env.GEMINI_API_KEY?.trim();
  if (!apiKey) return { kind: "unavailable", reason: `gemini/${config.ai.model}: GEMINI_API_KEY is not set in the environment` };
  return { kind: "model", client: connect({ apiKey, model: config.ai.model }), timeoutMs: Math.max(1, config.ai.timeout_seconds || 20) * 1000 };
}

/**
 * The drafter the configuration asks for: without a usable model the built-in policy is used,
 * with a warning on every draft when a model was asked for — never a crash.
 */
export function selectDrafter(config: Config, env: Readonly<Record<string, string | undefined>>, connect: ConnectModel): PolicyDrafter {
  const choice = chooseModel(config, env, connect);
  if (choice.kind === "none") return builtinDrafter;
  if (choice.kind === "unavailable") return unavailableDrafter(choice.reason);
  return modelDrafter(choice.client, { timeoutMs: choice.timeoutMs });
}

/**
 * Step 2 of the pipeline for one request: when the file has no policy, let `drafter` narrow the
 * built-in envelope; an accepted draft becomes the request's policy (judged afterwards by the
 * pipeline like any other). Shared by `plan` and the app's intake.
 */
export async function draftForRequest(
  catalogue: Catalogue,
  request: AccessRequest,
  ctx: { partition: string; region: string; accountId: string },
  drafter: PolicyDrafter,
): Promise<{ request: AccessRequest; draft?: Draft }> {
  if (request.policy !== undefined || drafter === builtinDrafter) return { request };
  const envelope = generatePolicy(catalogue, request.request, ctx);
  if (envelope.problems.length) return { request };
  const draft = await drafter.draft({ request, envelope: envelope.policy, catalogue });
  if (draft.fellBack !== undefined) return { request, draft };
  return { request: { ...request, policy: draft.policy, generator: draft.generator }, draft };
}
