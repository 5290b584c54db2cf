// Identities end to end: the real app (Probot, signed webhooks) against the fake GitHub and the
// fake AWS. A pull request adding two people and a role is checked, approved by two code owners,
// merged → created in AWS, e-mailed through SES, recorded on main; one of them then asks for
// access with no principals entry (derived from identities/) and is granted; a pull request
// removing them revokes that grant, then removes the user. A bad file fails the check and a merge
// of it applies nothing.
import { afterEach, describe, expect, it } from "vitest";
import { recordStatus } from "../src/domain/records.js";
import { IDENTITY_MARKER } from "../src/github/identities.js";
import { CONFIG, issueBody, REPO, startHarness, type Harness } from "./support/app-harness.js";
import { HOME } from "./support/fake-aws/fixtures.js";
import { approveAndMerge, handPr, jitAttachments, openRequest } from "./support/scenario.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const IDENTITY_CONFIG = `${CONFIG}identities:
  enabled: true
  account: prod
  allowed_policies: [ViewOnlyAccess]
  onboarding: { channel: ses, sender: jit-access@acme.example }
`;
const FILES = { ".github/CODEOWNERS": "access-requests/ @bob @dave\nidentities/ @bob @dave\n" };
const PEOPLE = `version: 1
people:
  - login: frank
    email: frank@example.com
    name: Frank Example
    kind: iam_user
    policies: [{ managed: ViewOnlyAccess }]
  - login: grace
    email: grace@example.com
    name: Grace Example
    kind: iam_user
`;
const ROLES = `version: 1
roles:
  - name: ci-deployer
    trust: { template: aws-service, service: lambda }
`;

const check = (hh: Harness, pr: number) => hh.github.checkRuns(REPO, { ref: hh.github.pullState(REPO, pr).pull.headSha, name: "jit-access/validate" }).at(-1);

describe("identities/ through the app", () => {
  it("added, checked, approved and merged → created, e-mailed, recorded; the new person is granted without a principals entry; removal revokes first", async () => {
    const hh = (h = await startHarness({ config: IDENTITY_CONFIG, files: FILES }));
    hh.aws.ses.verified.add("acme.example");
    hh.aws.ses.verified.add("frank@example.com");
    hh.aws.ses.verified.add("grace@example.com");

    const pr = await handPr(hh, "carol", "people", { "identities/people.yaml": PEOPLE, "identities/roles.yaml": ROLES });
    expect(check(hh, pr)).toMatchObject({ conclusion: "success" });
    expect(await approveAndMerge(hh, pr, ["bob", "dave"])).toBe(200);

    const iam = hh.aws.state.accounts.get(HOME)!.iam;
    expect(iam.users.get("frank")?.path).toBe("/jit-access-grantees/");
    expect(iam.users.get("grace")?.path).toBe("/jit-access-grantees/");
    expect(iam.roles.get("ci-deployer")?.trust).toContain("lambda.amazonaws.com");
    expect(hh.aws.ses.sent.map((m) => m.to[0]).sort()).toEqual(["frank@example.com", "grace@example.com"]);
    expect(hh.github.readFile(REPO, `identity-records/${pr}.yaml`)).toContain("status: applied");
    const body = hh.github.comments(REPO, pr).find((c) => c.body.startsWith(IDENTITY_MARKER))?.body ?? "";
    expect(body).toContain("identities/ applied");

    // frank has no principals entry: identities/ gives him one.
    const asked = await openRequest(hh, "frank", issueBody());
    expect(asked.pr).toBeDefined();
    expect(await approveAndMerge(hh, asked.pr!, ["bob"])).toBe(200);
    expect(iam.users.get("frank")!.attached.some((a) => a.includes(":policy/jit-access/"))).toBe(true);
    expect(recordStatus(hh.github.readFile(REPO, asked.file!)!)).toBe("active");

    // Removing frank: the grant is revoked (record revoked), then the user is gone.
    const onlyGrace = PEOPLE.slice(0, PEOPLE.indexOf("  - login: frank")) + PEOPLE.slice(PEOPLE.indexOf("  - login: grace"));
    const removal = await handPr(hh, "carol", "offboard-frank", { "identities/people.yaml": onlyGrace });
    expect(check(hh, removal)).toMatchObject({ conclusion: "success" });
    expect(await approveAndMerge(hh, removal, ["bob", "dave"])).toBe(200);
    expect(recordStatus(hh.github.readFile(REPO, asked.file!)!)).toBe("revoked");
    expect(iam.users.has("frank")).toBe(false);
    expect(jitAttachments(hh.aws)).toEqual([]);
  });

  it("a bad file fails the check; merged anyway, nothing is applied and the record names the rule", async () => {
    const hh = (h = await startHarness({ config: IDENTITY_CONFIG, files: FILES }));
    const bad = PEOPLE.replace("grace@example.com", "grace").replace("managed: ViewOnlyAccess", "managed: AdministratorAccess");
    const pr = await handPr(hh, "carol", "bad", { "identities/people.yaml": bad });
    const c = check(hh, pr);
    expect(c).toMatchObject({ conclusion: "failure" });
    expect(JSON.stringify(c)).toContain("people[1].email");
    const before = hh.aws.snapshot();
    expect(await approveAndMerge(hh, pr, ["bob", "dave"])).toBe(200);
    expect(hh.aws.snapshot()).toEqual(before);
    const record = hh.github.readFile(REPO, `identity-records/${pr}.yaml`)!;
    expect(record).toContain("status: refused");
    expect(record).toContain("code: identity.policy-privileged");
    expect(record).toContain("code: identity.email-invalid");
  });
});
