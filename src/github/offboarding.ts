// Offboarding: a person removed from identities/ loses their temporary access before their
// identity, through the one path that ends a grant (closeGrant): revoke in AWS, record `revoked`,
// tell the issue. A record that cannot be read but may be theirs blocks the removal: it is never
// assumed to be somebody else's.
import type { Grants } from "../aws/types.js";
import { parseRequestFile } from "../domain/request.js";
import type { Config } from "../domain/types.js";
import { closeGrant } from "../lifecycle/close-grant.js";
import type { AccessRepo } from "../lifecycle/ports.js";
import type { Notifier } from "../notify/types.js";
import { announceClosed } from "./closer.js";

export interface OffboardDeps {
  grantsFor: (config: Config) => Grants;
  now: () => Date;
  notifierFor?: (config: Config) => Notifier;
}

export async function revokeGrantsOf(
  access: AccessRepo,
  config: Config,
  login: string,
  pr: number,
  deps: OffboardDeps,
): Promise<{ revoked: string[]; failed: string[] }> {
  const out = { revoked: [] as string[], failed: [] as string[] };
  const who = login.toLowerCase();
  for (const f of await access.list()) {
    const parsed = parseRequestFile(f.text, { file: f.path, config });
    if (!parsed.ok) {
      const requester = /^requester:\s*['"]?([A-Za-z0-9-]+)/m.exec(f.text)?.[1];
      if (requester?.toLowerCase() === who && /^status:\s*['"]?active/m.test(f.text)) out.failed.push(`${f.path} (unreadable)`);
      continue;
    }
    const r = parsed.value.request;
    if (r.status !== "active" || r.requester.toLowerCase() !== who) continue;
    const closed = await closeGrant(
      {
        store: access,
        config,
        grants: deps.grantsFor(config),
        github: { closed: (e) => announceClosed(access, e) },
        ...(deps.notifierFor ? { alerts: deps.notifierFor(config) } : {}),
      },
      {
        kind: "revoked",
        file: f.path,
        id: r.id,
        at: deps.now(),
        reason: `offboarding: ${login} was removed from identities/ in pull request #${pr}`,
        closedBy: "jit-access",
      },
    );
    // Skipped means another writer closed it first: it is no longer active either way.
    if (closed.kind === "closed" || closed.kind === "skipped") out.revoked.push(r.id);
    else out.failed.push(r.id);
  }
  return out;
}
