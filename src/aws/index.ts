// The AWS adapter: one Grants port over IAM, IAM Identity Center and EventBridge Scheduler.

export { createGrants, GrantError, DEFAULT_CONFLICT, DEFAULT_POLL, type GrantsDeps } from "./grants.js";
export { defaultClientSettings, lazyClients, DEFAULT_MAX_ATTEMPTS, type AwsClients, type ClientSettings } from "./clients.js";
export { QuotaError } from "./iam.js";
export { ExistingDifferentError, ScheduleGroupMissingError } from "./scheduler.js";
export * from "./naming.js";
export * from "./plan.js";
export type { Backoff, Sleep } from "./runtime.js";
export type * from "./types.js";
