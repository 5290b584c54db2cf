// Applying the identity changes a merged pull request was approved for: creates and updates first,
// each undone in reverse order if a later one fails, so a failed merge leaves AWS as it was; then
// removals, each person's active grants revoked first (offboarding). A name held in AWS by an
// identity jit-access does not manage stops everything before any change.
import type { IdentityDirectory } from "../aws/types.js";
import { describeIdentityChange, diffIdentity, type ActualIdentity, type DesiredIdentity, type IdentityChange } from "../domain/identities-plan.js";
import { problem } from "../domain/problems.js";
import type { Problem } from "../domain/types.js";

export interface IdentityApplyPorts {
  directory: IdentityDirectory;
  /** Ends every active grant of `login`; says which grants could not be ended. */
  revokeGrantsOf(login: string): Promise<{ revoked: string[]; failed: string[] }>;
}

export interface IdentityApplyOutcome {
  /** What was carried out and kept, one line per change. */
  applied: string[];
  /** The changes carried out; creates among them are the new people to onboard. */
  done: IdentityChange[];
  /** Undone after a failure. */
  rolledBack: string[];
  /** Grants ended by offboarding (request ids). */
  revoked: string[];
  /** Why the apply stopped, when it did; empty when every change was carried out. */
  problems: Problem[];
  /** What a failed rollback left behind: AWS no longer matches the pre-merge state. */
  leftOver: string[];
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function applyIdentityChanges(ports: IdentityApplyPorts, changes: readonly IdentityChange[]): Promise<IdentityApplyOutcome> {
  const out: IdentityApplyOutcome = { applied: [], done: [], rolledBack: [], revoked: [], problems: [], leftOver: [] };
  const refused = changes.filter((c) => c.op === "refuse");
  if (refused.length) {
    out.problems.push(...refused.map((c) => problem("identity.not-owned", c.reason, c.identity.name)));
    return out;
  }

  const undo: Array<{ line: string; run: () => Promise<void> }> = [];
  for (const c of changes) {
    if (c.op !== "create" && c.op !== "update") continue;
    try {
      if (c.op === "create") {
        // Registered before the call: a create that fails halfway may have made the identity.
        undo.push({ line: `remove ${c.identity.kind} ${c.identity.name}`, run: () => ports.directory.remove(asActual(c.identity)) });
        await ports.directory.create(c.identity);
      } else {
        const back = diffIdentity(asDesired(c.before), c.identity);
        if (back) undo.push({ line: `restore ${c.identity.kind} ${c.identity.name}`, run: () => ports.directory.update(asDesired(c.before), back) });
        await ports.directory.update(c.identity, c.update);
      }
      out.applied.push(describeIdentityChange(c));
      out.done.push(c);
    } catch (e) {
      out.problems.push(
        problem("identity.apply-failed", `${describeIdentityChange(c)} failed: ${errorText(e)}; every change of this merge was undone`, c.identity.name),
      );
      for (const u of undo.reverse()) {
        try {
          await u.run();
          out.rolledBack.push(u.line);
        } catch (err) {
          out.leftOver.push(`${u.line}: ${errorText(err)}`);
        }
      }
      out.applied = [];
      out.done = [];
      return out;
    }
  }

  for (const c of changes) {
    if (c.op !== "remove") continue;
    const login = c.actual.login;
    if (login) {
      // Offboarding: the person's temporary access goes before their identity, so that no grant is
      // left attached to a name that could be created again for someone else.
      const r = await ports.revokeGrantsOf(login);
      out.revoked.push(...r.revoked);
      if (r.failed.length) {
        out.problems.push(
          problem(
            "identity.offboard-blocked",
            `${c.actual.kind} ${c.actual.name} was not removed: ending ${login}'s active grants ${r.failed.join(", ")} failed; the next apply or the sweep retries`,
            c.actual.name,
          ),
        );
        continue;
      }
    }
    try {
      await ports.directory.remove(c.actual);
      out.applied.push(describeIdentityChange(c));
      out.done.push(c);
    } catch (e) {
      out.problems.push(problem("identity.remove-failed", `${describeIdentityChange(c)} failed: ${errorText(e)}`, c.actual.name));
    }
  }
  return out;
}

function asActual(d: DesiredIdentity): ActualIdentity {
  return { ...d, path: "", managed: true };
}

function asDesired(a: ActualIdentity): DesiredIdentity {
  const { path: _path, managed: _managed, ...rest } = a;
  return rest;
}
