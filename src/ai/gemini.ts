// The Gemini adapter: the only code that does network I/O for drafting. It sends the prompts of
// src/policy/prompt.ts (a policy) and src/policy/structured-request.ts (a request read from
// words) through @google/genai (3.x, the API's v1) with structured output at temperature 0, bounds
// the call with a timeout, and turns every failure — quota (429), server errors (5xx), a blocked
// or empty answer, a timeout, no network — into `{ ok: false, reason }`, so the caller falls back
// (to the built-in policy, or to the deterministic extractor) and says why. It never throws.
import { ApiError, GoogleGenAI, type GenerateContentResponse, type Schema } from "@google/genai";
import type { Config } from "../domain/types.js";
import { chooseModel, selectDrafter, type ModelChoice, type ModelClient, type ModelPrompt, type ModelReply, type PolicyDrafter } from "../policy/drafter.js";

export interface GeminiOptions {
  apiKey: string;
  model: string;
  /** Another endpoint than Google's (tests: a fake on 127.0.0.1). */
  baseUrl?: string;
}

/** A ModelClient for the Gemini API. */
export function geminiClient(options: GeminiOptions): ModelClient {
  const { apiKey, model } = options;
  // Explicit key and backend: the SDK's own environment lookups (GOOGLE_API_KEY,
  // GOOGLE_GENAI_USE_VERTEXAI) must not change where the request text goes.
  const ai = new GoogleGenAI({
    apiKey,
    vertexai: false,
    ...(options.baseUrl ? { httpOptions: { baseUrl: options.baseUrl } } : {}),
  });
  const generator = `gemini/${model}`;
  const redact = (s: string) => (apiKey.length >= 4 ? s.split(apiKey).join("[redacted]") : s);

  return {
    generator,
    async generate(prompt: ModelPrompt, { timeoutMs }): Promise<ModelReply> {
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<ModelReply>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve({ ok: false, reason: `${generator} gave no answer within ${seconds(timeoutMs)}` });
        }, timeoutMs);
        // The timer never keeps the process alive on its own.
        timer.unref();
      });
      const call = ai.models
        .generateContent({
          model,
          contents: [{ role: "user", parts: [{ text: prompt.text }] }],
          config: {
            systemInstruction: prompt.systemInstruction,
            temperature: prompt.config.temperature,
            responseMimeType: prompt.config.responseMimeType,
            // The schema is the API's own OpenAPI subset, written as plain data in prompt.ts.
            responseSchema: prompt.config.responseSchema as unknown as Schema,
            abortSignal: controller.signal,
          },
        })
        .then(
          (response) => interpret(generator, response),
          (e: unknown) => failure(generator, e, controller.signal.aborted, timeoutMs),
        )
        .then(
          (r) => (r.ok ? r : { ok: false as const, reason: redact(r.reason) }),
          (e: unknown) => ({ ok: false as const, reason: redact(`${generator} failed (${describe(e)})`) }),
        );
      try {
        return await Promise.race([call, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The drafter `config.ai` asks for, reading GEMINI_API_KEY from `env` (a missing key gives the
 * built-in policy with a warning). `baseUrl` points the SDK elsewhere (tests).
 */
export function createDrafter(config: Config, env: Readonly<Record<string, string | undefined>>, options: { baseUrl?: string } = {}): PolicyDrafter {
  return selectDrafter(config, env, ({ apiKey, model }) => geminiClient({ apiKey, model, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) }));
}

/**
 * The model that reads plain-language requests (src/policy/plain-request.ts), per `config.ai`:
 * none with the built-in provider, "unavailable" without GEMINI_API_KEY.
 */
export function requestModel(config: Config, env: Readonly<Record<string, string | undefined>>, options: { baseUrl?: string } = {}): ModelChoice {
  return chooseModel(config, env, ({ apiKey, model }) => geminiClient({ apiKey, model, ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) }));
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return "unknown error";
  const cause = (e as { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" && "code" in cause ? ` ${String(cause.code)}` : "";
  return `${e.message.slice(0, 200)}${code}`;
}

function failure(generator: string, e: unknown, aborted: boolean, timeoutMs: number): ModelReply {
  if (aborted) return { ok: false, reason: `${generator} gave no answer within ${seconds(timeoutMs)}` };
  if (e instanceof ApiError) {
    if (e.status === 429) return { ok: false, reason: `${generator}: quota or rate limit reached (HTTP 429)` };
    if (e.status >= 500) return { ok: false, reason: `${generator}: server error (HTTP ${e.status})` };
    return { ok: false, reason: `${generator}: the API refused the request (HTTP ${e.status}: ${e.message.slice(0, 200)})` };
  }
  return { ok: false, reason: `${generator} could not be reached (${describe(e)})` };
}

function interpret(generator: string, response: GenerateContentResponse): ModelReply {
  const blocked = response.promptFeedback?.blockReason;
  if (blocked) return { ok: false, reason: `${generator} blocked the prompt (${String(blocked)})` };
  const candidate = response.candidates?.[0];
  if (!candidate) return { ok: false, reason: `${generator} returned no answer (no candidates)` };
  const finish = candidate.finishReason === undefined ? undefined : String(candidate.finishReason);
  if (finish !== undefined && finish !== "STOP") {
    return { ok: false, reason: `${generator} stopped its answer early (finishReason ${finish})` };
  }
  const text = (candidate.content?.parts ?? [])
    .filter((p) => typeof p.text === "string" && p.thought !== true)
    .map((p) => p.text)
    .join("");
  if (text.trim() === "") return { ok: false, reason: `${generator} returned an empty answer` };
  return { ok: true, text };
}
