// What `npm start` says before handing over to Probot's setup flow, which registers the GitHub App
// from app.yml. Probot registers it under the organisation named by GH_ORG (it opens
// https://github.com/organizations/<GH_ORG>/settings/apps/new), and under the personal account
// of whoever is signed in when GH_ORG is unset — a private app there cannot be installed on the
// organisation's access repository. Pure, so it is tested without starting the flow.
import { fail, ok, problem, type Result } from "./domain/problems.js";

/** A GitHub organisation login: 1–39 letters, digits or single inner hyphens. */
const ORG_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;

/** The lines to print before the setup flow, or why it must not start (a GH_ORG that is no organisation login). */
export function setupNotice(env: Readonly<Record<string, string | undefined>>): Result<string[]> {
  const org = env.GH_ORG?.trim();
  const production = [
    "The registered app's webhook URL is a development one (a smee.io channel or this machine's address), which jit-access does not read:",
    "for production, set the webhook URL in the app's settings to your deployment (https://<host>/api/github/webhooks, or the Lambda's URL),",
    "and keep APP_ID, PRIVATE_KEY and WEBHOOK_SECRET from the written .env in your secret store, not in the repository.",
  ];
  if (org === undefined || org === "") {
    return ok([
      "GH_ORG is not set: the GitHub App will be registered under your personal account, and a private app there cannot be installed on an organisation's repositories.",
      "To register it for an organisation, stop this and run: GH_ORG=<organisation> npm start (you must be an owner or GitHub App manager of it).",
      ...production,
    ]);
  }
  if (!ORG_LOGIN.test(org)) {
    return fail(
      problem(
        "cli.gh-org",
        `GH_ORG is ${JSON.stringify(env.GH_ORG)}, which is not a GitHub organisation login (letters, digits and single inner hyphens, at most 39); set it to the organisation's login as in https://github.com/<login>, or unset it to register the app under your own account`,
        "GH_ORG",
      ),
    );
  }
  const host = env.GHE_HOST?.trim() || "github.com";
  return ok([`Registering the GitHub App for the organisation ${org} (GH_ORG): https://${host}/organizations/${org}/settings/apps/new`, ...production]);
}
