// Pure decisions of the AWS adapter: what to create, with which parameters, and what to undo.
// The adapters (iam.ts, identity-center.ts, scheduler.ts, grants.ts) only carry these out. One
// module per concern; this file gathers them for callers outside src/aws.
export * from "./target.js";
export * from "./expiry.js";
export * from "./schedules.js";
export * from "./limits.js";
export * from "./policy-text.js";
export * from "./ownership.js";
export * from "./rollback.js";
export * from "./stored.js";
