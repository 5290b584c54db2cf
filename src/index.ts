// The GitHub App for `probot run ./dist/src/index.js` (npm start uses src/start.ts, which also
// caps the body size). `probot run` loads .env before importing this module, so the webhook
// secret it is about to use is the one checked here.
import { assertWebhookSecret, jitAccess } from "./app.js";

const check = assertWebhookSecret(process.env);
if (check.warning) console.warn(`\n*** ${check.warning} ***\n`);

export default jitAccess();
