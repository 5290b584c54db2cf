// Whether a merged pull request that changes identities/ may be applied. The approval rules of a
// grant apply (src/domain/approvals: authors and committers never approve, approvals on the final
// head, authorized approvers from the config and CODEOWNERS, no standing objection), at the high
// tier's count — an identity is standing access — with two differences: the pull request changes
// only the identity files, nothing else (not the config that judges it, not a request), and a
// person whose own entry the pull request adds, changes or removes does not approve it. Pure.
import { APPROVAL_RULES, verifyApproval, type ApprovalInput, type ChangedFile } from "./approvals/index.js";
import { IDENTITIES_DIR, IDENTITY_FILES, type Identities, type Person, type RoleIdentity } from "./identities.js";
import { problem } from "./problems.js";
import { show } from "./text.js";
import type { Problem } from "./types.js";

/** Every way the changed files break "identity files and nothing else"; empty when they keep it. */
export function identityFileProblems(files: readonly ChangedFile[], expectedCount?: number): Problem[] {
  if (typeof expectedCount === "number" && expectedCount !== files.length)
    return [
      problem(
        "identity.files-incomplete",
        `the pull request changes ${expectedCount} files but ${files.length} were listed, so its contents cannot be checked; nothing is applied`,
        "files",
      ),
    ];
  const known = (p: string | null | undefined) => typeof p === "string" && (IDENTITY_FILES as readonly string[]).includes(p);
  const out: Problem[] = [];
  const others = files.filter((f) => !f.path.startsWith(`${IDENTITIES_DIR}/`));
  if (others.length)
    out.push(
      problem(
        "identity.extra-files",
        `a pull request that changes identities/ must change nothing else, but it also changes ${others.map((f) => show(f.path)).join(", ")}; move ${others.length === 1 ? "that change" : "those changes"} (the config, CODEOWNERS, a request) to its own pull request`,
        "files",
      ),
    );
  for (const f of files.filter((x) => x.path.startsWith(`${IDENTITIES_DIR}/`))) {
    if (!known(f.path) || (f.previousPath && !known(f.previousPath)))
      out.push(
        problem("identity.unknown-file", `${show(f.path)} is not an identity file; identities are read from ${IDENTITY_FILES.join(" and ")} only`, "files"),
      );
  }
  return out;
}

/** Logins whose entry differs between two versions of identities/ (added, changed or removed). */
export function identitySubjects(before: Pick<Identities, "people"> | undefined, after: Pick<Identities, "people">): string[] {
  const index = (people: readonly Person[]) => new Map(people.map((p) => [p.login.toLowerCase(), JSON.stringify(p)]));
  const a = index(before?.people ?? []);
  const b = index(after.people);
  return [...new Set([...a.keys(), ...b.keys()])].filter((l) => a.get(l) !== b.get(l)).sort();
}

/** Role names whose entry differs between two versions (for the record). */
export function changedRoles(before: readonly RoleIdentity[], after: readonly RoleIdentity[]): string[] {
  const index = (roles: readonly RoleIdentity[]) => new Map(roles.map((r) => [r.name.toLowerCase(), JSON.stringify(r)]));
  const a = index(before);
  const b = index(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((n) => a.get(n) !== b.get(n)).sort();
}

/** The grant rules that are about the one request file: an identity pull request has its own. */
const FILE_RULE_NAMES = new Set(
  APPROVAL_RULES.filter((r) => r.codes.includes("merge.extra-files") || r.codes.includes("merge.blob-changed")).map((r) => r.name),
);

export interface IdentityApproval {
  ok: boolean;
  approvedBy: string[];
  required: number;
  problems: Problem[];
}

/**
 * The approval decision for an identity pull request. `input.request` is the PR author at the high
 * tier; `subjects` the logins whose entries change. Each changed identity file must be the same
 * blob at the approved head and at the merge (`blobs`).
 */
export function verifyIdentityApproval(
  input: ApprovalInput,
  subjects: readonly string[],
  blobs: ReadonlyArray<{ path: string; head: string | null | undefined; merge: string | null | undefined }>,
): IdentityApproval {
  const decision = verifyApproval(input);
  const skipped = new Set(APPROVAL_RULES.filter((r) => FILE_RULE_NAMES.has(r.name)).flatMap((r) => r.codes as readonly string[]));
  const problems: Problem[] = [...identityFileProblems(input.files, input.pr.changedFiles)];
  for (const b of blobs) {
    // Removed files have no blob at the merge; both sides must agree either way.
    if ((b.head ?? null) !== (b.merge ?? null))
      problems.push(
        problem(
          "identity.blob-changed",
          `${show(b.path)} at the merge commit differs from the approved head; the merge changed the approved file — open a new pull request with the final content`,
          "files",
        ),
      );
  }
  const failures = decision.failures.filter((f) => !skipped.has(f.code) && f.code !== "approval.insufficient");
  problems.push(...failures);
  const subjectSet = new Set(subjects.map((s) => s.toLowerCase()));
  const counted = decision.approvedBy.filter((l) => !subjectSet.has(l.toLowerCase()));
  const discounted = decision.approvedBy.filter((l) => subjectSet.has(l.toLowerCase()));
  if (counted.length < decision.required) {
    for (const l of discounted)
      problems.push(
        problem(
          "identity.subject-approval",
          `${show(l)} approved, but this pull request changes their own identity; nobody approves their own access`,
          "reviews",
        ),
      );
    problems.push(
      problem(
        "approval.insufficient",
        `a change to identities/ needs ${decision.required} approval${decision.required === 1 ? "" : "s"} (the high tier of required_approvals) from distinct authorized approvers whose own identity it does not change; it has ${counted.length}${counted.length ? ` (${counted.join(", ")})` : ""}`,
        "reviews",
      ),
    );
  }
  return { ok: problems.length === 0, approvedBy: counted, required: decision.required, problems };
}
