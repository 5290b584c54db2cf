// The pull request must add or modify exactly one request file and change nothing else.
import { REQUESTS_DIR, checkPathShape } from "../request.js";
import { approvalFailure, type ApprovalFailure } from "./codes.js";
import { list, quote } from "./format.js";
import type { ChangedFile } from "./types.js";

/** Whether a path has the shape of a request file: access-requests/<account>/<YYYY>/<number>-<slug>.yaml
 *  (or an example under access-requests/examples/). */
export function isRequestFilePath(path: unknown): path is string {
  return typeof path === "string" && path.startsWith(`${REQUESTS_DIR}/`) && checkPathShape(path).length === 0;
}

/**
 * Every way the changed files break the one-request-file rule; empty when they keep it.
 * `expectedCount` is the PR's `changed_files`, when known.
 */
export function changedFileProblems(files: readonly ChangedFile[], expectedCount?: number): ApprovalFailure[] {
  if (!Array.isArray(files) || files.length === 0) {
    return [
      approvalFailure(
        "merge.no-files",
        "files",
        `the pull request changes no files; it must add exactly one request file at ${REQUESTS_DIR}/<account>/<YYYY>/<number>-<slug>.yaml`,
      ),
    ];
  }
  const out: ApprovalFailure[] = [];
  if (typeof expectedCount === "number" && expectedCount !== files.length) {
    out.push(
      approvalFailure(
        "merge.files-incomplete",
        "pr.changedFiles",
        `the pull request changes ${expectedCount} files but ${files.length} were listed, so its contents cannot be checked; it must change exactly one request file and nothing else`,
      ),
    );
  }
  const paths = files.map((f) => (f && typeof f.path === "string" ? f.path : String((f as Partial<ChangedFile> | null)?.path)));
  if (files.length > 1) {
    const requests = paths.filter(isRequestFilePath);
    const others = paths.filter((p) => !isRequestFilePath(p));
    const parts: string[] = [];
    if (requests.length > 1) parts.push(`${requests.length} request files (${list(requests)}) — open one pull request per request`);
    if (others.length)
      parts.push(
        `${others.length === 1 ? "a file" : `${others.length} files`} outside the request (${list(others)}) — move ${others.length === 1 ? "that change" : "those changes"} to a separate pull request`,
      );
    out.push(
      approvalFailure(
        "merge.extra-files",
        "files",
        `the pull request must change exactly one request file and nothing else, but it changes ${files.length} files, including ${parts.join("; and ")}`,
      ),
    );
    return out;
  }
  const file: Partial<ChangedFile> = files[0] && typeof files[0] === "object" ? files[0] : {};
  const path = paths[0] as string;
  const prev = typeof file.previousPath === "string" ? file.previousPath : undefined;
  if (file.status === "renamed") {
    out.push(
      approvalFailure(
        "merge.renamed",
        "files[0]",
        `the pull request renames ${quote(prev ?? "?")} to ${quote(path)}; a request file is never moved (its folder decides its approvers) — restore the old path and open a new request instead`,
      ),
    );
  } else if (file.status === "removed") {
    out.push(
      approvalFailure(
        "merge.deleted",
        "files[0]",
        `the pull request deletes ${quote(path)}; request files are the audit trail and are never deleted — use /revoke to end access`,
      ),
    );
  } else if (!isRequestFilePath(path)) {
    const why = checkPathShape(path)[0]?.message;
    out.push(
      approvalFailure(
        "merge.not-request-file",
        "files[0].path",
        `${quote(path)} is not a request file${why ? ` (${why})` : ""}; the pull request must add or modify exactly one file at ${REQUESTS_DIR}/<account>/<YYYY>/<number>-<slug>.yaml`,
      ),
    );
  } else if (file.status !== "added" && file.status !== "modified") {
    out.push(
      approvalFailure(
        "merge.file-status",
        "files[0].status",
        `${quote(path)} has status ${quote(String(file.status))}; only an added or modified request file can be approved`,
      ),
    );
  }
  return out;
}

/**
 * The first way the changed files break the one-request-file rule, or undefined. Used by the PR
 * check and, through {@link changedFileProblems}, by verifyApproval.
 */
export function checkChangedFiles(files: readonly ChangedFile[], expectedCount?: number): ApprovalFailure | undefined {
  return changedFileProblems(files, expectedCount)[0];
}
