// `npm run demo`: the seed's story — Alice asks for the financial-reports bucket, Bob approves,
// the grant is made, it expires, the issue is closed — run through the real jit-access code
// (Probot app, policy pipeline, AWS adapter, expiry sweep) against the in-process stand-ins for
// GitHub and AWS that the tests use, with an accelerated clock. A SIMULATION: nothing leaves
// this machine.
import * as yaml from "js-yaml";

// The AWS SDK's notice about Node 20 support is true but noise in a demo.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
import { attachedTo, issueBody, pulls, REPO, startHarness } from "../test/support/app-harness.js";
import { issuesOpened, pullRequestEvent } from "../test/support/webhooks.js";
import { runDemoExpiry } from "./demo-expiry.js";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n: number, title: string) => console.log(`\n${bold(`── ${n}. ${title} `.padEnd(78, "─"))}`);
const indent = (s: string, max = 40) => {
  const lines = s.split("\n");
  return [...lines.slice(0, max), ...(lines.length > max ? [`… (${lines.length - max} more lines)`] : [])].map((l) => `   ${l}`).join("\n");
};

const t0 = performance.now();
console.log(bold("jit-access demo — SIMULATION against in-process stand-ins for GitHub and AWS (no network)"));
const h = await startHarness();
try {
  h.clock.now = new Date("2026-11-27T09:00:00Z");
  step(1, `${h.clock.now.toISOString()} Alice opens an "AWS access request" issue`);
  const body = issueBody({
    resources: "financial-reports",
    access: "read,list,write",
    actions: "s3:GetObject\ns3:PutObject\ns3:ListBucket",
    reason: "Quarter-end reconciliation of the financial reports",
  });
  const issue = h.github.openIssue(REPO, { user: "alice", title: "Access request: financial reports", body, labels: ["access-request"] });
  console.log(indent(body, 30));
  await h.deliver(issuesOpened(h.github, REPO, issue));

  const pr = pulls(h.github).find((p) => p.head.startsWith(`jit/${issue}-`));
  if (!pr) throw new Error("the app opened no pull request");
  step(2, `The app opens pull request #${pr.number} on branch ${pr.head}`);
  console.log(indent(h.github.pullState(REPO, pr.number).body ?? "", 28));
  const file = h.github.pullFiles(REPO, pr.number)[0]!.filename;
  const proposed = yaml.load(h.github.readFile(REPO, file, pr.head) ?? "") as { policy: unknown };
  console.log(`\n   Policy in ${file}:`);
  console.log(indent(JSON.stringify(proposed.policy, null, 2), 40));
  const check = h.github.checkRuns(REPO, { name: "jit-access/validate" }).at(-1);
  console.log(`\n   Check jit-access/validate: ${check?.conclusion} — ${check?.output?.title ?? ""}`);

  h.clock.now = new Date("2026-11-27T09:20:00Z");
  step(3, `${h.clock.now.toISOString()} Bob (a code owner of access-requests/) approves and merges`);
  h.github.addReview(REPO, pr.number, { user: "bob", state: "APPROVED" });
  h.github.mergePull(REPO, pr.number, { user: "bob" });
  const callsBefore = h.aws.calls.length;
  await h.deliver(pullRequestEvent(h.github, REPO, pr.number, "closed"));
  console.log(
    indent(
      h.github
        .comments(REPO, pr.number)
        .at(-1)
        ?.body.replace(/<!--.*?-->\n?/g, "") ?? "",
      12,
    ),
  );

  step(4, "AWS calls made by the grant (fake AWS, real SDK clients)");
  for (const c of h.aws.calls.slice(callsBefore))
    console.log(
      `   ${c.service}:${c.op}${c.input.PolicyName ? ` ${String(c.input.PolicyName)}` : ""}${c.input.UserName ? ` user=${String(c.input.UserName)}` : ""}${c.input.Name ? ` ${String(c.input.Name)}` : ""}`,
    );
  console.log(`   → policies attached to IAM user alice: ${attachedTo(h.aws, "alice").join(", ") || "none"}`);

  step(5, "The grant is recorded on main: the commit is the audit log");
  const record = h.github.commits(REPO, { path: file, ref: "main" })[0];
  console.log(indent(record?.message ?? "", 20));

  await runDemoExpiry(h, { file, issue, step, indent });

  step(8, "git log access-requests/ on main");
  for (const c of h.github.commits(REPO, { path: "access-requests", ref: "main" }))
    console.log(`   ${c.sha.slice(0, 7)} ${c.date} ${c.message.split("\n")[0]}`);
  console.log(`\n${bold(`Done in ${((performance.now() - t0) / 1000).toFixed(1)} s (simulated 8 h 20 min).`)}`);
} finally {
  await h.close();
}
