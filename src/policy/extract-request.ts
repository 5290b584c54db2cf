// The deterministic reading of a request written in words, used without a model (or when the model
// fails): it proposes only what the text states exactly — full ARNs (their service and the ARN
// itself) and exact IAM action names — and never guesses a service, a resource or an access level
// from ordinary words. Pure.
import type { Config, Problem } from "../domain/types.js";
import { show } from "../domain/text.js";
import type { Catalogue } from "./catalogue.js";
import type { ProposedItem } from "./structured-request.js";

/** Who proposed the fields, as `proposed.by` of a request file records the extractor. */
export const EXTRACTOR = "builtin/extractor";
/** The extractor, as messages name it. */
export const EXTRACTOR_NAME = "the built-in extractor";

/** Longest description read (the request file's own limit). */
export const MAX_DESCRIPTION_CHARS = 4000;

/**
 * The description as a reader of the rendered issue sees it: HTML comments (which GitHub does not
 * show) removed, invisible and direction-changing characters removed, cut to the file's limit. A
 * proposal can then rest only on text the reviewers can read.
 */
export function visibleDescription(text: string): string {
  return (
    text
      .replace(/\r\n?/g, "\n")
      // An unterminated comment hides the rest of the text too.
      .replace(/<!--[\s\S]*?(?:-->|$)/g, " ")
      // eslint-disable-next-line no-control-regex -- removing control and invisible characters is the point
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g, "")
      .slice(0, MAX_DESCRIPTION_CHARS)
  );
}

export interface ExtractContext {
  config: Config;
  /** The account the request is for (from the Account field). */
  accountId: string;
  /** The alias the request's account was given as, if any. */
  accountAlias?: string;
  catalogue: Catalogue;
}

export interface Extraction {
  items: ProposedItem[];
  /** What was seen and not taken (a wildcard, another account...), as warnings. */
  notes: Problem[];
}

/** Characters that end a token in prose or Markdown (ARNs contain none of them). */
const TOKEN_SPLIT = /[\s<>"'`()[\]{}|,;]+/;
const ARN = /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):([!-~]+)$/;
const ACTION = /^([a-z0-9-]+):([A-Za-z0-9]+)$/;

/** Strips what Markdown and prose put around a token (emphasis, a sentence's full stop). */
function bare(token: string): string {
  return token.replace(/^[*_~>]+/, "").replace(/[.!?:]+$/, "");
}

/** The words of a (visible) description as resource names are written: split on prose and Markdown, emphasis and full stops removed. */
export function descriptionTokens(text: string): Set<string> {
  return new Set(text.split(TOKEN_SPLIT).map(bare).filter(Boolean));
}

/** Full ARNs and exact action names in `text`; everything else is left for a person to fill in. */
export function extractFromDescription(description: string, ctx: ExtractContext): Extraction {
  const text = visibleDescription(description);
  const notes: Problem[] = [];
  const byService = new Map<string, ProposedItem>();
  const actions: string[] = [];
  const dropped = (message: string) => notes.push({ code: "form.proposal-dropped", path: "description", message });

  for (const raw of text.split(TOKEN_SPLIT)) {
    const token = bare(raw);
    if (token.toLowerCase().startsWith("arn:")) {
      const m = ARN.exec(token);
      if (!m) {
        // Lookalike letters, spaces or other non-ASCII text inside: not an ARN jit-access can read as written.
        dropped(`${show(token, 80)} is not a well-formed ARN; write it in full (ASCII) or fill in "Resources"`);
        continue;
      }
      const [, partition, service = "", , account = ""] = m;
      if (/[*?]/.test(token)) {
        dropped(`${show(token, 80)} is a pattern; a pattern is never taken from the description — list it under "Resources" if you need it`);
        continue;
      }
      if (partition !== ctx.config.aws.partition) {
        dropped(`${show(token, 80)} is in partition ${partition}, not ${ctx.config.aws.partition}`);
        continue;
      }
      if (/^\d{12}$/.test(account) && account !== ctx.accountId) {
        dropped(`${show(token, 80)} is in account ${account}, not the request's account ${ctx.accountId}; the account is only ever the Account field`);
        continue;
      }
      if (!ctx.catalogue.hasService(service)) {
        dropped(`${show(token, 80)} names the service ${show(service)}, which jit-access does not know`);
        continue;
      }
      const item = byService.get(service) ?? { service, access: [], resources: [] };
      if (!item.resources.includes(token)) item.resources.push(token);
      byService.set(service, item);
      continue;
    }
    const a = ACTION.exec(token);
    const info = a ? ctx.catalogue.action(token) : undefined;
    if (info && !actions.includes(info.full)) actions.push(info.full);
  }

  // An exact action goes with the ARNs of its own service; alone it says nothing about resources.
  for (const full of actions) {
    const item = byService.get(full.slice(0, full.indexOf(":")));
    if (item) (item.actions ??= []).push(full);
  }
  notes.push(...otherAccounts(text, ctx));
  return { items: [...byService.values()], notes };
}

/** A warning for each configured account other than the request's that the text names. */
function otherAccounts(text: string, ctx: ExtractContext): Problem[] {
  const out: Problem[] = [];
  for (const [alias, entry] of Object.entries(ctx.config.aws.accounts)) {
    const id = typeof entry === "string" ? entry : entry.id;
    if (id === ctx.accountId) continue;
    const aliasRe = new RegExp(`(^|[^a-z0-9-])${alias.replace(/[-]/g, "\\-")}($|[^a-z0-9-])`, "i");
    const idRe = new RegExp(`(^|\\D)${id}($|\\D)`);
    if (aliasRe.test(text) || idRe.test(text)) {
      out.push({
        code: "form.description-other-account",
        path: "description",
        message: `the description names the account ${show(alias)} (${id}); this request is for ${show(ctx.accountAlias ?? ctx.accountId)} only — the account is only ever the Account field, so open another request for ${show(alias)} if you need it`,
      });
    }
  }
  return out;
}
