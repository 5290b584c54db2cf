// A synthetic history for the bench and the browser check: `n` requests with their records and
// the commits the app would have written (propose, merge, grant, expire/revoke). Deterministic
// (a seeded generator), in memory, no I/O.
import { isoSeconds } from "../domain/time.js";
import type { AccessLevel, AccessRequest, RequestStatus } from "../domain/types.js";
import { commitMessage } from "../domain/records.js";
import type { ReportRecord } from "./aggregate.js";
import type { HistoryCommit } from "./history.js";

const SERVICES: Array<[string, AccessLevel[], string[]]> = [
  ["s3", ["read", "list"], ["s3:GetObject", "s3:ListBucket"]],
  ["dynamodb", ["read", "write"], ["dynamodb:GetItem", "dynamodb:PutItem"]],
  ["lambda", ["read"], ["lambda:GetFunction"]],
  ["sqs", ["write"], ["sqs:SendMessage"]],
  ["logs", ["read"], ["logs:GetLogEvents"]],
  ["iam", ["permissions-management"], ["iam:PassRole", "iam:PutRolePolicy"]],
  ["kms", ["read"], ["kms:Decrypt"]],
  ["ec2", ["list", "tagging"], ["ec2:DescribeInstances", "ec2:CreateTags"]],
];
const FAILURES: Array<[string, string]> = [
  ["guardrail.denied-action", "s3:DeleteBucket is forbidden by denied_actions"],
  ["guardrail.dangerous-action", "iam:PassRole on * is a dangerous action; add it to allowed_dangerous_actions"],
  ["approval.insufficient", "1 of 2 approvals"],
  ["approval.self", "the requester approved their own request"],
];
/** The accounts the requests name, with the ids a config lists them under (the ARNs in grant.aws name them). */
export const SYNTHETIC_ACCOUNTS: Readonly<Record<string, string>> = {
  prod: "111111111111",
  staging: "222222222222",
  dev: "333333333333",
  data: "444444444444",
  security: "555555555555",
};
const ACCOUNTS = Object.keys(SYNTHETIC_ACCOUNTS);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (t: number) => isoSeconds(t);
const hex = (r: () => number) => Array.from({ length: 40 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");

export interface Synthetic {
  records: ReportRecord[];
  commits: HistoryCommit[];
  mergeDates: Map<string, string>;
  now: Date;
}

export function syntheticHistory(n: number, seed = 42, now = new Date("2026-11-27T12:00:00Z")): Synthetic {
  const r = rng(seed);
  const records: ReportRecord[] = [];
  const commits: HistoryCommit[] = [];
  const mergeDates = new Map<string, string>();
  const span = 365 * 86400_000;
  const commit = (date: number, message: string, files: HistoryCommit["files"]): HistoryCommit => {
    const body = message.trimEnd();
    const trailers: Record<string, string[]> = {};
    for (const line of body.split("\n\n").pop()?.split("\n") ?? []) {
      const m = /^([A-Za-z-]+): (.*)$/.exec(line);
      if (m) (trailers[m[1] as string] ??= []).push(m[2] as string);
    }
    return { sha: hex(r), parents: [], authorDate: iso(date), commitDate: iso(date), subject: body.split("\n")[0] ?? "", body, trailers, files };
  };
  for (let i = 0; i < n; i++) {
    const [service, access, actions] = SERVICES[Math.floor(r() * SERVICES.length)] as [string, AccessLevel[], string[]];
    const account = ACCOUNTS[Math.floor(r() * ACCOUNTS.length)] as string;
    const requester = `user${Math.floor(r() * 200)}`;
    const id = `${i + 1}-req${i + 1}`;
    // The last 2% are recent, so that some grants are active now.
    const requestedAt = i >= n * 0.98 ? now.getTime() - Math.floor(r() * 4 * 3600_000) : now.getTime() - span + Math.floor(r() * span);
    const file = `access-requests/${account}/${new Date(requestedAt).getUTCFullYear()}/${id}.yaml`;
    const hours = [1, 2, 4, 8, 24][Math.floor(r() * 5)] as number;
    const roll = r();
    const request: AccessRequest = {
      version: 1,
      id,
      requester,
      account,
      duration: `${hours}h`,
      reason: `Investigate incident ${i} <!channel> & friends`,
      request: [{ service, access, resources: [`res-${i % 97}`] }],
      policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: [`arn:aws:${service}:::res-${i % 97}`] }] },
    };
    commits.push(commit(requestedAt, `jit-access: propose ${id} (issue #${i + 1})`, [{ status: "A", path: file }]));
    let status: RequestStatus = "proposed";
    if (roll < 0.1) {
      // Refusals are recorded the way the app records them: the code in closed.code and one Rule:
      // trailer per code on the commit; every fifth one is an older record without a code.
      const failed = roll < 0.06;
      status = failed ? "failed" : "rejected";
      const [code, reason] = failed ? (FAILURES[i % FAILURES.length] as [string, string]) : ["merge.not-merged", "pull request closed without merging"];
      const at = requestedAt + (failed ? 3600_000 : 7200_000);
      const coded = i % 5 !== 0;
      request.closed = { at: iso(at), reason, ...(coded ? { code } : {}) };
      commits.push(
        commit(at, commitMessage(`jit-access: ${failed ? "fail" : "reject"} ${id}`, reason, { "Request-Id": id, ...(coded ? { Rule: [code] } : {}) }), [
          { status: "M", path: file },
        ]),
      );
    } else if (roll > 0.12) {
      const mergedAt = requestedAt + Math.floor(r() * 6 * 3600_000);
      const grantedAt = mergedAt + 2000 + Math.floor(r() * 60_000);
      const expiresAt = mergedAt + hours * 3600_000;
      const mergeSha = hex(r);
      mergeDates.set(mergeSha, iso(mergedAt));
      request.grant = {
        approved_by: ["approver1"],
        merge_commit: mergeSha,
        pr: i + 1,
        granted_at: iso(grantedAt),
        expires_at: iso(expiresAt),
        aws: { mode: "iam", resources: [`arn:aws:iam::${SYNTHETIC_ACCOUNTS[account]}:policy/jit-access/jit-${id}`] },
      };
      const risk = access.includes("permissions-management") ? "high" : access.includes("write") || access.includes("tagging") ? "medium" : "low";
      commits.push(
        commit(
          grantedAt,
          commitMessage(`jit-access: grant ${id} until ${iso(expiresAt)}`, `Merged in ${mergeSha}; risk ${risk}.`, {
            "Request-Id": id,
            "Approved-By": ["approver1"],
            "Expires-At": iso(expiresAt),
            Risk: risk,
          }),
          [{ status: "M", path: file }],
        ),
      );
      if (expiresAt > now.getTime()) status = "active";
      else if (r() < 0.2) {
        status = "revoked";
        const at = grantedAt + Math.floor(r() * (expiresAt - grantedAt));
        request.closed = { at: iso(at), reason: "done early", by: requester };
        commits.push(
          commit(at, commitMessage(`jit-access: revoke ${id}`, `Revoked early by ${requester}: done early`, { "Request-Id": id, "Closed-By": requester }), [
            { status: "M", path: file },
          ]),
        );
      } else {
        status = "expired";
        request.closed = { at: iso(expiresAt + 300_000), reason: `expired at ${iso(expiresAt)}` };
        commits.push(
          commit(expiresAt + 300_000, commitMessage(`jit-access: expire ${id}`, "The grant expired.", { "Request-Id": id, "Closed-By": "jit-access sweep" }), [
            { status: "M", path: file },
          ]),
        );
      }
    }
    if (status !== "proposed") request.status = status;
    records.push({ file, request });
  }
  commits.sort((a, b) => (a.commitDate < b.commitDate ? 1 : -1));
  return { records, commits, mergeDates, now };
}

/** The commits as `git log -z --name-status --format=LOG_FORMAT` would print them. */
export function toGitLogText(commits: readonly HistoryCommit[]): string {
  return commits
    .map(
      (c) =>
        `\x1e${c.sha}\0${c.parents.join(" ")}\0${c.authorDate}\0${c.commitDate}\0${c.body}\n\0${c.files.map((f, i) => `${i === 0 ? "\n" : ""}${f.status}\0${f.path}\0`).join("")}`,
    )
    .join("");
}
