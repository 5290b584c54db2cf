// `jit-access plan FILE`: draft (optionally with a model) and check the policy of one request,
// and with --write store the generated policy in the file; with --merge, print what merging its
// pull request would do (github/merge-preview.ts), nothing done.
import { parseArgs } from "node:util";
import { join, relative } from "node:path";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { setTopLevelFields } from "../domain/request-file.js";
import { loadCatalogue } from "../iam-data.js";
import { planRequest, riskLabel, validateRequestFile } from "../policy/pipeline.js";
import { draftForRequest, type Draft } from "../policy/drafter.js";
import { createDrafter } from "../ai/gemini.js";
import type { Problem } from "../domain/types.js";
import { CODEOWNERS_LOCATIONS } from "../domain/codeowners.js";
import { codesOf } from "../domain/problems.js";
import { previewMerge, type MergePreview } from "../github/merge-preview.js";
import { gitBlobSha } from "../store/git-store.js";
import { UsageError, findRepoRoot, formatProblems, loadConfigFile, readBounded, repoPath, requestFiles, type Io } from "./support.js";

export const PLAN_USAGE = `  plan FILE [--config FILE] [--json] [--now ISO] [--write] [--ai builtin|gemini]
                                                draft and check the policy for one request
                                                (--ai: who drafts; default: ai.provider of the config)
       plan FILE --merge [--approved-by LOGIN,…] [--config FILE] [--json] [--now ISO]
                                                what merging its pull request now would do:
                                                the effects, printed, nothing done
`;

export async function planCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      json: { type: "boolean", default: false },
      now: { type: "string" },
      write: { type: "boolean", default: false },
      ai: { type: "string" },
      merge: { type: "boolean", default: false },
      "approved-by": { type: "string", multiple: true },
    },
  });
  if (positionals.length !== 1) throw new UsageError("plan takes exactly one request file");
  if (values.ai !== undefined && values.ai !== "builtin" && values.ai !== "gemini") {
    throw new UsageError(`--ai ${JSON.stringify(values.ai)}: use builtin or gemini`);
  }
  if (values.merge && (values.write || values.ai !== undefined))
    throw new UsageError("--merge prints what a merge would do: it takes neither --write nor --ai");
  if (!values.merge && values["approved-by"]) throw new UsageError("--approved-by names the approvers of a merge: use it with --merge");
  const now = values.now === undefined ? new Date() : new Date(values.now);
  if (values.now !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(values.now) || Number.isNaN(now.getTime()))) {
    throw new UsageError(`--now ${JSON.stringify(values.now)} is not an ISO date-time such as 2026-11-27T09:00:00Z`);
  }
  const root = findRepoRoot(io.cwd);
  const loaded = loadConfigFile(root, io.cwd, values.config);
  const [abs] = requestFiles(root, io.cwd, positionals);
  if (!abs) throw new UsageError(`${positionals[0]}: no request file there`);
  const shown = relative(io.cwd, abs) || abs;
  const fail = (errors: Problem[], file: string): number => {
    if (values.json)
      io.stdout.write(JSON.stringify({ id: null, policy: null, verdict: { ok: false, risk: null, errors, warnings: [] }, explanation: null }, null, 2) + "\n");
    else io.stdout.write(`✗ ${file}\n${formatProblems(errors)}`);
    return 1;
  };
  if (!loaded.ok) return fail(loaded.problems, loaded.file);
  const bytes = readBounded(abs);
  if (!bytes.ok) return fail(bytes.problems, shown);
  const catalogue = loadCatalogue();
  const checked = validateRequestFile(catalogue, bytes.value, { file: repoPath(root, abs), config: loaded.value, now });
  if (values.merge) {
    const request = checked.parsed?.request;
    const approvedBy = (values["approved-by"] ?? [])
      .flatMap((a) => a.split(","))
      .map((a) => a.trim())
      .filter(Boolean);
    const preview = previewMerge({
      path: repoPath(root, abs),
      text: Buffer.from(bytes.value).toString("utf8"),
      blobSha: gitBlobSha(bytes.value),
      request: request ? { id: request.id, requester: request.requester } : undefined,
      config: loaded,
      codeowners: CODEOWNERS_LOCATIONS.map((p) => ({ path: p, text: existsSync(join(root, p)) ? readFileSync(join(root, p), "utf8") : undefined })),
      approvedBy: (values["approved-by"] ?? [])
        .flatMap((a) => a.split(","))
        .map((a) => a.trim())
        .filter(Boolean),
      now,
    });
    return printMergePreview(shown, preview, approvedBy, values.json, io);
  }
  // A file the file rules refuse has no plan to show (every error is listed); one that only the
  // pipeline blocks is planned and shown below, with the same errors.
  if (!checked.parsed) return fail(checked.problems, shown);
  const file = checked.parsed;

  // Step 2 (optional): a model drafts a narrowing of the built-in envelope; the pipeline below
  // judges the draft like any policy. A file that already has a policy is judged as it is.
  let request = file.request;
  let draft: Draft | undefined;
  const ai = values.ai ?? loaded.value.ai.provider;
  if (ai === "gemini") {
    const drafter = createDrafter({ ...loaded.value, ai: { ...loaded.value.ai, provider: "gemini" } }, process.env);
    ({ request, draft } = await draftForRequest(
      catalogue,
      request,
      { partition: loaded.value.aws.partition, region: loaded.value.aws.region, accountId: file.account.id },
      drafter,
    ));
  }
  const drafted = draft !== undefined && draft.fellBack === undefined;

  const plan =
    !draft && checked.plan
      ? checked.plan
      : planRequest(catalogue, {
          request,
          config: loaded.value,
          accountId: file.account.id,
          now,
          durationSeconds: file.durationSeconds,
        });
  const { verdict } = plan;

  if (values.write && (plan.generated || drafted) && verdict.ok) {
    const text = Buffer.from(bytes.value).toString("utf8");
    writeFileSync(abs, setTopLevelFields(text, { generator: plan.generator, policy: plan.policy }));
  }

  if (values.json) {
    const drafting = draft
      ? { draft: { generator: draft.generator, fell_back: draft.fellBack ?? null, warnings: draft.warnings, justifications: draft.justifications ?? [] } }
      : {};
    io.stdout.write(
      JSON.stringify(
        {
          id: plan.id,
          policy: plan.policy,
          // What AWS receives if granted now: the expiry and the config's conditions stamped in.
          attached_policy: plan.attached ?? null,
          verdict,
          explanation: plan.explanation,
          generator: plan.generator,
          expires_at: plan.expiresAt,
          ...drafting,
        },
        null,
        2,
      ) + "\n",
    );
  } else {
    const out: string[] = [];
    out.push(`${verdict.ok ? "✓" : "✗"} ${shown} — ${plan.id}: ${verdict.ok ? "ok" : "blocked"}, risk ${riskLabel(verdict.risk)}`);
    out.push("", plan.explanation.summary, "", plan.explanation.table.trimEnd(), "");
    if (plan.bundle)
      out.push(
        `No policy: the catalogue entry is granted as it is, with no time condition; the EventBridge Scheduler schedule removes it at ${plan.expiresAt} if granted now, or the sweep after it.`,
      );
    else
      out.push(
        `Policy (${plan.generated ? `generated by ${plan.generator}` : drafted ? `drafted by ${plan.generator}, narrowed to the built-in policy` : `from the file, ${plan.generator}`}; at grant every Allow gets DateLessThan aws:CurrentTime ${plan.expiresAt} if granted now${plan.explanation.conditions.length ? ", and the configured conditions" : ""}):`,
      );
    if (!plan.bundle) out.push(JSON.stringify(plan.policy, null, 2), "");
    if (plan.attached && plan.explanation.conditions.length)
      out.push("Policy as attached if granted now (expiry and conditions stamped in):", JSON.stringify(plan.attached, null, 2), "");
    out.push(
      `Simulation: ${plan.simulation.checked} asked action/resource pairs allowed before expiry and denied after; ${plan.simulation.outside} outside samples denied${plan.simulation.ok ? "" : " — FAILED"}.`,
    );
    if (verdict.errors.length) out.push("", "Errors (the request cannot be granted):", formatProblems(verdict.errors).trimEnd());
    if (verdict.warnings.length) out.push("", "Warnings:", formatProblems(verdict.warnings).trimEnd());
    if (draft?.justifications?.length) out.push("", `Why (${draft.generator}, untrusted):`, ...draft.justifications.map((j) => `  ${j.sid}: ${j.why}`));
    if (draft?.warnings.length)
      out.push(
        "",
        `Drafting warnings (${draft.fellBack === undefined ? draft.generator : "fell back to the built-in policy"}):`,
        formatProblems(draft.warnings).trimEnd(),
      );
    if (values.write)
      out.push(
        "",
        (plan.generated || drafted) && verdict.ok
          ? `Wrote policy and generator into ${shown}.`
          : `Nothing written: ${plan.bundle ? "a catalogue permission set or managed policy has no policy" : plan.generated || drafted ? "the policy is blocked" : "the file already has a policy"}.`,
      );
    io.stdout.write(out.join("\n") + "\n");
  }
  return verdict.ok ? 0 : 1;
}

/** `plan --merge`'s output; exit 0 when the merge would grant, 1 when it would be refused or ignored. */
function printMergePreview(shown: string, preview: MergePreview, approvedBy: string[], json: boolean, io: Io): number {
  const { verdict, problems, lines } = preview;
  if (json) {
    const reason = preview.reason === undefined ? {} : { reason: preview.reason };
    io.stdout.write(JSON.stringify({ file: shown, verdict, codes: codesOf(problems), ...reason, effects: lines }, null, 2) + "\n");
  } else {
    const approvals = approvedBy.length ? `approved by ${approvedBy.join(", ")}` : "with no approvals";
    const out = [`${verdict === "granted" ? "✓" : "✗"} ${shown}: merged now, ${approvals}, it would be ${verdict}`];
    if (preview.reason !== undefined) out.push(`  ${preview.reason}`);
    if (problems.length) out.push("", "Why:", formatProblems(problems).trimEnd());
    out.push("", "Effects (nothing is done):", ...lines.map((l) => `  ${l}`));
    io.stdout.write(out.join("\n") + "\n");
  }
  return verdict === "granted" ? 0 : 1;
}
