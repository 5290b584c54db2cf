// The GitHub App, as `probot run` loads it (npm start).
import { jitAccess } from "./app.js";

export default jitAccess();
