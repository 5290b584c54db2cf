// Attacks on the new approval paths through the real app (fake GitHub, fake AWS): an extension
// approved by a rule or by break-glass must leave the same trace as a grant so approved — the rule's
// trailers that its caps count, the break-glass alarm — or a requester could stretch a grant by
// rule past its cap, or self-approve more time with nobody told. Codes are asserted, never wording.
import { afterEach, describe, expect, it } from "vitest";
import { parseTrailers } from "../src/domain/records.js";
import { pulls, REPO, type Harness } from "./support/app-harness.js";
import { AUTO, BREAK_GLASS_ONLY, closed, comment, commentWith, GLASS, pr, request, RULES, SHORT, startPolicies } from "./support/approval-policies.js";
import { CONFIG } from "./support/app-harness.js";
import { pullRequestEvent } from "./support/webhooks.js";
import { approveAndMerge, handPr } from "./support/scenario.js";
import { dumpRequest } from "../src/domain/request-file.js";
import { loadYamlMapping } from "../src/domain/yaml.js";
import type { AccessRequest } from "../src/domain/types.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** /extend on the issue, then the extension PR's opened event (check, then auto-approval). */
async function extend(hh: Harness, issue: number, id: string, k: number, body: string): Promise<number> {
  await comment(hh, issue, "alice", body);
  const ext = pulls(hh.github).find((p) => p.head === `jit/${id}-ext-${k}`);
  if (!ext)
    throw new Error(
      `no extension PR ${k}: ${hh.github.comments(REPO, issue).find((c) => c.body.startsWith("<!-- jit-access:extend -->"))?.body ?? ""} ${pulls(hh.github)
        .map((p) => p.head)
        .join(",")}`,
    );
  expect(await hh.deliver(pullRequestEvent(hh.github, REPO, ext.number, "opened"))).toBe(200);
  return ext.number;
}

const idOf = (file: string) => /([^/]+)\.yaml$/.exec(file)![1]!;

describe("an extension approved by a rule", () => {
  it("counts against the rule's cap like a grant: the second extension the same day waits for people (approval.auto-cap)", async () => {
    const started = await startPolicies(`${CONFIG}${RULES.replace("max_per_day: 1", "max_per_day: 2")}`);
    const hh = (h = started.hh);
    const r = await request(hh, "alice", SHORT);
    expect(pr(hh, r.pr).pull.merged).toBe(true);
    expect(await closed(hh, r.pr)).toBe(200);
    const id = idOf(r.file);

    // The first extension is the rule's second approval today: within max_per_day 2.
    const first = await extend(hh, r.issue, id, 1, "/extend 1h the reconciliation is still running");
    expect(pr(hh, first).pull.merged).toBe(true);
    expect(await closed(hh, first)).toBe(200);
    expect(hh.github.readFile(REPO, r.file, "main")).toContain(`id: ${id}-ext-1`);
    const extendCommit = hh.github.commits(REPO).find((c) => c.message.startsWith(`jit-access: extend ${id}`));
    expect(parseTrailers(extendCommit?.message ?? "")).toMatchObject({
      "Auto-Approve-Rule": ["prod-read"],
      Requester: ["alice"],
      "Approved-By": ["rule:prod-read"],
    });

    // The second would be the third today: people must approve it.
    const second = await extend(hh, r.issue, id, 2, "/extend 1h and the audit after it");
    expect(pr(hh, second).pull.merged).toBe(false);
    expect(commentWith(hh, second, AUTO)).toContain("approval.auto-cap");
  });
});

describe("an extension approved by break-glass", () => {
  it("raises the same alarm as a break-glass grant: label, review issue, security alert", async () => {
    const started = await startPolicies(BREAK_GLASS_ONLY);
    const hh = (h = started.hh);
    const r = await request(hh, "alice", SHORT);
    expect(await approveAndMerge(hh, r.pr)).toBe(200);
    const id = idOf(r.file);
    expect(started.sent.some((s) => s.event.kind === "break-glass")).toBe(false);

    const ext = await extend(hh, r.issue, id, 1, "/extend 1h the failover is still running");
    await comment(hh, ext, "alice", "/break-glass INC-9 failover still stuck, need the reports bucket longer");
    expect(pr(hh, ext).pull.merged).toBe(true);
    expect(await closed(hh, ext)).toBe(200);
    expect(hh.github.readFile(REPO, r.file, "main")).toContain(`id: ${id}-ext-1`);

    const extendCommit = hh.github.commits(REPO).find((c) => c.message.startsWith(`jit-access: extend ${id}`));
    expect(parseTrailers(extendCommit?.message ?? "")).toMatchObject({
      "Break-Glass-By": ["alice"],
      "Break-Glass-Incident": ["INC-9"],
      "Approved-By": ["alice"],
    });
    expect(hh.github.labels(REPO, ext)).toContain("jit:break-glass");
    const review = [...hh.github.repo(REPO).issues.values()].find((i) => i.title.startsWith("Break-glass review"));
    expect(review?.labels).toContain("jit:break-glass");
    const alert = started.sent.find((s) => s.event.kind === "break-glass");
    expect(alert?.env).toBe("SECURITY_SLACK");
    expect(alert?.event).toMatchObject({ by: "alice", incident: "INC-9", reviewIssue: review?.number });
    expect(hh.github.comments(REPO, ext).some((c) => c.body.startsWith(GLASS))).toBe(true);
  });

  it("chained extensions never add up past break_glass.max_duration: the whole grant is judged (approval.break-glass-too-long)", async () => {
    const started = await startPolicies(BREAK_GLASS_ONLY);
    const hh = (h = started.hh);
    const r = await request(hh, "alice", SHORT);
    expect(await approveAndMerge(hh, r.pr)).toBe(200);
    const id = idOf(r.file);
    // 1h granted + 1h: 2h in all, within max_duration 2h.
    const first = await extend(hh, r.issue, id, 1, "/extend 1h the failover is still running");
    await comment(hh, first, "alice", "/break-glass INC-9 failover still stuck, need the reports bucket longer");
    expect(pr(hh, first).pull.merged).toBe(true);
    expect(await closed(hh, first)).toBe(200);
    // One more hour would make it 3h: self-approval stops here, each step short as it is.
    const second = await extend(hh, r.issue, id, 2, "/extend 1h and a bit more");
    await comment(hh, second, "alice", "/break-glass INC-9 failover still stuck, one more hour please");
    expect(pr(hh, second).pull.merged).toBe(false);
    expect(commentWith(hh, second, GLASS)).toContain("approval.break-glass-too-long");
  });
});

describe("an extension pull request opened by another app", () => {
  it("is never applied, however approved: only the requester or jit-access itself asks for more time (merge.extension-target-invalid)", async () => {
    const started = await startPolicies(CONFIG);
    const hh = (h = started.hh);
    const r = await request(hh, "alice", SHORT);
    expect(await approveAndMerge(hh, r.pr)).toBe(200);
    const id = idOf(r.file);
    const record = hh.github.readFile(REPO, r.file, "main") ?? "";
    const loaded = loadYamlMapping(record, "record");
    if (!loaded.ok) throw new Error("the record does not load");
    const { status: _s, grant: _g, ...proposal } = loaded.value as unknown as AccessRequest;
    const extPath = r.file.replace(`${id}.yaml`, `${id}-ext-1.yaml`);
    const text = dumpRequest({ ...proposal, id: `${id}-ext-1`, extends: id, duration: "1h", reason: "keep it going" }, "an extension by another app");
    const ext = await handPr(hh, "ci-helper[bot]", "ci-extend", { [extPath]: text });
    expect(await approveAndMerge(hh, ext)).toBe(200);
    expect(hh.github.readFile(REPO, r.file, "main")).toBe(record);
    expect(hh.github.readFile(REPO, extPath, "main")).toMatch(/^ {2}code: merge\.extension-target-invalid$/m);
  });
});
