// How logins, SHAs and lists are shown in approval messages. Untrusted values are quoted.
import { show } from "../text.js";

export const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
export const TEAM = /^@?([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
export const MAX_LISTED = 10;

/** A lower-cased commit SHA, or undefined for anything that is not one. */
export function validSha(sha: unknown): string | undefined {
  return typeof sha === "string" && SHA.test(sha) ? sha.toLowerCase() : undefined;
}

export function short(sha: string | undefined): string {
  return sha ? sha.slice(0, 7) : "(unknown)";
}

export function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).map((s) => (LOGIN.test(s) || TEAM.test(s) ? s : quote(s)));
  return items.length > MAX_LISTED ? `${shown.join(", ")} and ${items.length - MAX_LISTED} more` : shown.join(", ");
}

/** A login as shown in messages: plain when it is a plain login, quoted and escaped otherwise. */
export function display(login: string): string {
  return LOGIN.test(login) || /^[A-Za-z0-9-]{1,39}\[bot\]$/.test(login) ? login : quote(login);
}

/** Names the non-ASCII characters of a look-alike login, or "". */
export function nonAsciiNote(s: string): string {
  const odd = [...s].filter((c) => !/^[\x20-\x7e]$/.test(c)).map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`);
  return odd.length ? ` (it contains non-ASCII ${[...new Set(odd)].slice(0, 5).join(", ")}, a look-alike of an ASCII login)` : "";
}

export function quote(s: string): string {
  return show(s, 80);
}
