// Timestamps as records and policies carry them: UTC, whole seconds (2026-11-27T16:00:00Z).

export function isoSeconds(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z");
}
