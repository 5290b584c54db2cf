// The approvals module lives in ./approvals/ (one file per concern); this path stays for importers.
export * from "./approvals/index.js";
