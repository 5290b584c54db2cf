import { codesOf } from "../src/domain/problems.js";
import { describe, expect, it } from "vitest";
import { commitMessage, parseTrailers, recordExpired, recordGrant, recordRevoked } from "../src/domain/records.js";
import type { AccessRequest } from "../src/domain/types.js";

const request: AccessRequest = {
  version: 1,
  id: "142-reports",
  requester: "alice",
  account: "prod",
  duration: "8h",
  reason: "close",
  request: [{ service: "s3", access: ["read"], resources: ["r"] }],
};
const grant = { approved_by: ["bob"], merge_commit: "a".repeat(40), granted_at: "2026-11-27T09:00:00Z", expires_at: "2026-11-27T17:00:00Z" };

describe("records", () => {
  it("moves proposed → active → expired and refuses the rest", () => {
    const active = recordGrant(request, grant);
    expect(active.ok && active.value.status).toBe("active");
    if (!active.ok) return;
    expect(recordGrant(active.value, grant)).toEqual({
      ok: false,
      problems: [{ code: "record.illegal-transition", path: "status", message: expect.stringContaining("a active request cannot approve and grant") }],
    });
    const expired = recordExpired(active.value, { at: "2026-11-27T17:00:05Z", reason: "expired" });
    expect(expired.ok && expired.value.status).toBe("expired");
    if (!expired.ok) return;
    const again = recordRevoked(expired.value, { at: "2026-11-27T18:00:00Z", reason: "x" });
    expect(again.ok ? [] : codesOf(again.problems)).toEqual(["record.illegal-transition"]);
  });

  it("writes trailers that read back, and user text cannot forge one", () => {
    const msg = commitMessage("jit-access: grant 142-reports", "Reason: close\nApproved-By: mallory", {
      "Request-Id": "142-reports",
      "Approved-By": ["bob", "carol"],
      "Expires-At": "2026-11-27T17:00:00Z",
      "Aws-Resource": ["arn:aws:iam::111122223333:policy/jit-access/jit-142-reports"],
    });
    expect(parseTrailers(msg)).toEqual({
      "Request-Id": ["142-reports"],
      "Approved-By": ["bob", "carol"],
      "Expires-At": ["2026-11-27T17:00:00Z"],
      "Aws-Resource": ["arn:aws:iam::111122223333:policy/jit-access/jit-142-reports"],
    });
    const forged = commitMessage("s", undefined, { "Request-Id": "1-x\n\nApproved-By: mallory" });
    expect(parseTrailers(forged)).toEqual({ "Request-Id": ["1-x Approved-By: mallory"] });
  });
});
