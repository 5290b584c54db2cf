// The expiry half of the demo: AWS's own schedule fires at the expiry, then the sweep records it.
import { attachedTo, REPO, type Harness } from "../test/support/app-harness.js";

export async function runDemoExpiry(
  h: Harness,
  io: { file: string; issue: number; step: (n: number, t: string) => void; indent: (s: string, max?: number) => string },
): Promise<void> {
  h.clock.now = new Date("2026-11-27T17:20:01Z");
  io.step(6, `${h.clock.now.toISOString()} The expiry passes: the EventBridge Scheduler schedule fires in AWS`);
  for (const inv of h.aws.fireDueSchedules(h.clock.now)) console.log(`   schedule ${inv.schedule} → ${inv.target}${inv.error ? ` (error: ${inv.error})` : ""}`);
  console.log(`   → policies attached to IAM user alice: ${attachedTo(h.aws, "alice").join(", ") || "none"}`);
  io.step(7, "The expiry sweep");
  console.log("   (the sweep is not wired into the demo yet)");
  console.log(io.indent(h.github.readFile(REPO, io.file, "main") ?? "", 0));
}
