// `npm start`: the webhook server of src/server.ts, configured like `probot run` (the same
// environment variables, .env in the working directory applied over the environment). Without an
// app id and key it hands over to Probot's own setup flow, which registers the app from app.yml
// and writes .env; that flow loads none of jit-access's handlers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { run } from "probot";
import { jitAccess } from "./app.js";
import { startWebhookServer } from "./server.js";
import { setupNotice } from "./setup-notice.js";

function applyDotEnv(): void {
  let text: string;
  try {
    text = readFileSync(join(process.cwd(), ".env"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  Object.assign(process.env, parseEnv(text));
}

applyDotEnv();
const hasKey = Boolean(process.env.PRIVATE_KEY || process.env.PRIVATE_KEY_PATH);
if (!process.env.APP_ID || !hasKey) {
  if (process.env.NODE_ENV === "production") {
    console.error("APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH) must be set in production");
    process.exit(1);
  }
  const notice = setupNotice(process.env);
  if (!notice.ok) {
    for (const p of notice.problems) console.error(p.message);
    process.exit(1);
  }
  for (const line of notice.value) console.warn(line);
  await run(jitAccess());
} else {
  try {
    const started = await startWebhookServer({ env: process.env });
    const stop = () =>
      void started.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
