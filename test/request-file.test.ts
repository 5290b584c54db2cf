import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseRequestFile } from "../src/domain/request.js";
import { dumpRequest, requestPath, setTopLevelFields } from "../src/domain/request-file.js";
import type { AccessRequest } from "../src/domain/types.js";
import { testConfig } from "./support/config-fixtures.js";

const example = readFileSync(new URL("../access-requests/examples/142-financial-reports.yaml", import.meta.url), "utf8");
const config = testConfig({ aws: { accounts: { prod: "111122223333" } } });
const policy = {
  Version: "2012-10-17" as const,
  Statement: [{ Sid: "S3Read", Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::financial-reports/*"] }],
};

describe("request files", () => {
  it("places a request under its account and year", () => {
    expect(requestPath({ account: "prod", id: "142-x" }, new Date("2026-11-27T00:00:00Z"))).toBe("access-requests/prod/2026/142-x.yaml");
  });

  it("adds a policy while keeping the author's comments and order", () => {
    const out = setTopLevelFields(example, { policy, generator: "builtin/1" });
    expect(out.startsWith(example.trimEnd())).toBe(true);
    expect(out).toContain("# Alice needs to work");
    const r = parseRequestFile(out, { file: "access-requests/examples/142-financial-reports.yaml", config });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.request.policy).toEqual(policy);
  });

  it("replaces an existing policy block, and is idempotent", () => {
    const once = setTopLevelFields(example, { policy, generator: "builtin/1" });
    const narrower = { ...policy, Statement: [{ ...policy.Statement[0]!, Action: ["s3:ListBucket"] }] };
    const twice = setTopLevelFields(once, { policy: narrower, generator: "builtin/1" });
    expect(twice).not.toContain("s3:GetObject\n");
    expect(setTopLevelFields(twice, { policy: narrower, generator: "builtin/1" })).toBe(twice);
  });

  it("dumps in a fixed key order that reads back identically", () => {
    const r = parseRequestFile(example, { file: "access-requests/examples/142-financial-reports.yaml", config });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const shuffled = Object.fromEntries(Object.entries(r.value.request).reverse()) as unknown as AccessRequest;
    const text = dumpRequest(shuffled, "written by jit-access");
    expect(text.split("\n")[0]).toBe("# written by jit-access");
    expect(text.indexOf("version:")).toBeLessThan(text.indexOf("request:"));
    const back = parseRequestFile(text, { file: "access-requests/examples/142-financial-reports.yaml", config });
    expect(back.ok && back.value.request).toEqual(r.value.request);
  });

  it("accepts ARNs of another service's namespace; the generator judges them", () => {
    const text = (service: string, arn: string) =>
      `version: 1\nid: 9-cross\nrequester: alice\naccount: prod\nduration: 1h\nreason: Connect to the batch host for incident INC-7\nrequest:\n  - service: ${service}\n    access: [write]\n    resources: ["${arn}"]\n`;
    for (const [service, arn] of [
      ["ssm", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc1234def567890"],
      ["ec2-instance-connect", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc1234def567890"],
      ["rds-data", "arn:aws:rds:us-east-1:111122223333:cluster:orders"],
      ["sts", "arn:aws:iam::111122223333:role/deploy"],
    ]) {
      const r = parseRequestFile(text(service as string, arn as string), { file: "access-requests/prod/2026/9-cross.yaml", config });
      expect(r.ok ? [] : r.problems, `${service} ${arn}`).toEqual([]);
    }
    // The ARN rules that do not depend on the namespace still hold.
    const other = parseRequestFile(text("sts", "arn:aws:iam::999999999999:role/deploy"), { file: "access-requests/prod/2026/9-cross.yaml", config });
    expect(other.ok ? [] : other.problems).toEqual([
      { code: "request.resource-other-account", path: "request[0].resources[0]", message: expect.stringContaining("not the request's account 111122223333") },
    ]);
  });
});
