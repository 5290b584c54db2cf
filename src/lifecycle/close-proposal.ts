// Closing a proposal that was never granted: the request file, as proposed, recorded `rejected`
// on the default branch with who closed it, why, and the code (rejected, withdrawn, expired
// unapproved). Used by the closed-PR handler and the sweep.
import { CLOSING_CODES } from "../domain/closing.js";
import { commitMessage, recordRejected, recordStatus } from "../domain/records.js";
import { dumpRequest } from "../domain/request-file.js";
import { parseRequestFile } from "../domain/request.js";
import type { AccessRequest, ClosedRecord, Config } from "../domain/types.js";
import type { AccessRepo } from "./ports.js";
import type { Effect } from "./effects.js";

/** The proposal, recorded `rejected` with who closed it and why; one `Rule:` trailer with the code. */
export function rejectedRecord(request: AccessRequest, path: string, closed: ClosedRecord & { code: string }): Effect {
  return {
    kind: "record",
    path,
    summary: `${closed.code.split(".")[1] ?? "reject"} ${request.id}`,
    bestEffort: true,
    update: (current) => {
      // Absent: the proposal never reached the default branch; it is written there as its record.
      // Present: only the same request, still proposed, is closed.
      if (current && !current.text.includes(`id: ${request.id}`)) return { kind: "skip", reason: "another request's file is at that path" };
      const status = current ? recordStatus(current.text) : "proposed";
      if (status !== "proposed") return { kind: "skip", reason: `already ${status}` };
      const next = recordRejected({ ...request, status: "proposed" }, closed);
      if (!next.ok) return { kind: "skip", reason: next.problems.map((p) => p.message).join("; ") };
      return {
        kind: "write",
        text: dumpRequest(next.value, "Written by jit-access."),
        message: commitMessage(`jit-access: ${closed.code === CLOSING_CODES.withdrawn ? "withdraw" : "reject"} ${request.id}`, closed.reason, {
          "Request-Id": request.id,
          "Closed-By": closed.by ?? "jit-access",
          Rule: [closed.code],
        }),
      };
    },
  };
}

/** The request file the PR proposes, read at its head, when it is a readable proposal of `issue`. */
export async function requestAtHead(
  access: Pick<AccessRepo, "prFiles" | "readAt">,
  pr: number,
  headSha: string,
  config: Config,
  issue: number,
): Promise<{ request: AccessRequest; path: string } | undefined> {
  const files = (await access.prFiles(pr)).filter((f) => f.path.startsWith("access-requests/") && f.path.endsWith(".yaml") && f.status !== "removed");
  if (files.length !== 1) return undefined;
  const path = files[0]!.path;
  const file = await access.readAt(path, headSha);
  if (!file) return undefined;
  const parsed = parseRequestFile(file.text, { file: path, config });
  if (!parsed.ok || parsed.value.example) return undefined;
  const request = parsed.value.request;
  if (Number(request.id.split("-")[0]) !== issue || (request.status ?? "proposed") !== "proposed" || request.grant) return undefined;
  return { request, path };
}
