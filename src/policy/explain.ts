// Plain-language explanation of a policy for the pull request body: a markdown table (one row per
// statement and service) and a one-paragraph summary. Pure. Every policy is explained the same way,
// whoever wrote it, so action names and ARNs are treated as untrusted text and escaped.
import { blocksOf, GLOBAL_SERVICES } from "./grant-conditions.js";
import type { GrantConditions } from "../domain/conditions.js";
import type { AccessLevel, PolicyDocument, Statement } from "../domain/types.js";
import { authorizedOnlyOnStar, type Catalogue } from "./catalogue.js";
import { OUTLIVING_ACTIONS } from "./dangerous.js";
import { destructiveActionsOf } from "./destructive.js";
import { COARSE_LEVEL_EXCLUSIONS } from "./generator.js";

export interface Explanation {
  /** Markdown: | Service | Access level | Actions | Resources | */
  table: string;
  /** One plain-language paragraph; it ends with the conditions, when the config sets any. */
  summary: string;
  /** The condition blocks stamped into the grant, one plain sentence each (empty when none). */
  conditions: string[];
}

const LEVEL_ORDER: readonly AccessLevel[] = ["read", "list", "write", "tagging", "permissions-management"];
const LEVEL_TEXT: Readonly<Record<AccessLevel, string>> = {
  read: "Read",
  list: "List",
  write: "Write",
  tagging: "Tagging",
  "permissions-management": "Permissions management",
};
const MAX_ACTIONS_SHOWN = 4;
const MAX_ACTIONS_INLINE = 6;
const MAX_RESOURCES_SHOWN = 3;

interface Row {
  effect: "Allow" | "Deny";
  service: string;
  levels: string[]; // level keys in LEVEL_ORDER, then "unknown"
  actions: string[]; // names as written, without the service prefix
  fullActions: string[];
  resources: string[];
}

export function explainPolicy(catalogue: Catalogue, policy: PolicyDocument, opts: { risk?: string; conditions?: GrantConditions } = {}): Explanation {
  const rows = policy.Statement.flatMap((s) => rowsOf(catalogue, s));
  const header = ["| Service | Access level | Actions | Resources |", "|---|---|---|---|"];
  const body = rows.map((r) => `| ${escapeMarkdown(r.service)} | ${levelCell(r)} | ${actionsCell(r.actions)} | ${resourcesCell(r.resources)} |`);
  const conditions = opts.conditions ? explainConditions(catalogue, rows, opts.conditions) : [];
  const summary = summarize(catalogue, rows, opts.risk);
  return {
    table: [...header, ...body].join("\n"),
    summary: conditions.length
      ? `${summary}\n\n**Every call under this grant must also meet these conditions** (stamped into the policy at grant):\n\n${conditions.map((c) => `- ${c}`).join("\n")}`
      : summary,
    conditions,
  };
}

/** The condition blocks in plain words, saying where a block does not apply to this grant. */
function explainConditions(catalogue: Catalogue, rows: Row[], c: GrantConditions): string[] {
  const allow = rows.filter((r) => r.effect === "Allow");
  const code = (v: string) => `\`${v.replace(/`/g, "'")}\``;
  const out: string[] = [];
  for (const block of blocksOf(c)) {
    switch (block) {
      case "secure_transport":
        out.push(`Only over encrypted connections (HTTPS): requests without TLS are refused (${code("aws:SecureTransport")}).`);
        break;
      case "network": {
        const where = [
          c.sourceIp.length ? `the address range${c.sourceIp.length > 1 ? "s" : ""} ${c.sourceIp.map(code).join(", ")}` : "",
          c.sourceVpc.length ? `the VPC${c.sourceVpc.length > 1 ? "s" : ""} ${c.sourceVpc.map(code).join(", ")}` : "",
          c.sourceVpce.length ? `the VPC endpoint${c.sourceVpce.length > 1 ? "s" : ""} ${c.sourceVpce.map(code).join(", ")}` : "",
        ].filter(Boolean);
        const keys = [
          c.sourceIp.length ? code("aws:SourceIp") : "",
          c.sourceVpc.length ? code("aws:SourceVpc") : "",
          c.sourceVpce.length ? code("aws:SourceVpce") : "",
        ].filter(Boolean);
        out.push(
          `Only from trusted networks: ${joinWords(where)} (${keys.join(", ")}); calls that AWS services make on the holder's behalf, such as CloudFormation or Athena, are not refused (${code("aws:ViaAWSService")}).`,
        );
        break;
      }
      case "mfa":
        out.push(
          `Only from a session signed in with MFA (${code("aws:MultiFactorAuthPresent")}): an IAM user's access keys alone are refused — get session credentials with ${code("aws sts get-session-token --serial-number … --token-code …")}, or sign in to the console with MFA; a role only when it was assumed with MFA.`,
        );
        break;
      case "s3_encryption": {
        const key = c.s3Encryption?.kmsKeyArn;
        const uploads = allow.some((r) => r.fullActions.some((a) => coversPutObject(catalogue, a)));
        out.push(
          uploads
            ? `Object uploads (PutObject, CopyObject, multipart uploads) only with SSE-KMS encryption (${code("x-amz-server-side-encryption: aws:kms")})${key ? ` and the key ${code(key)}` : ""}; other uploads are refused.`
            : `Object uploads only with SSE-KMS — which does not apply here: this grant cannot upload objects.`,
        );
        break;
      }
      case "region": {
        const global = [...new Set(allow.map((r) => r.service).filter((s) => GLOBAL_SERVICES.includes(s)))];
        out.push(
          `Only in the region${c.regions.length > 1 ? "s" : ""} ${c.regions.map(code).join(", ")} (${code("aws:RequestedRegion")})${global.length ? `, except ${joinWords(global.map(escapeMarkdown))}, a global service whose calls always go to us-east-1` : ""}.`,
        );
        break;
      }
    }
  }
  return out;
}

function coversPutObject(catalogue: Catalogue, action: string): boolean {
  const infos = /[*?]/.test(action) ? catalogue.expand(action) : [catalogue.action(action)].filter((x) => x !== undefined);
  return infos.some((i) => i.full.toLowerCase() === "s3:putobject");
}

function rowsOf(catalogue: Catalogue, s: Statement): Row[] {
  const actions = toList(s.Action);
  const resources = toList(s.Resource);
  const byService = new Map<string, string[]>();
  for (const a of actions) {
    const colon = a.indexOf(":");
    const service = a === "*" ? "*" : colon > 0 ? a.slice(0, colon).toLowerCase() : "?";
    const list = byService.get(service);
    if (list) list.push(a);
    else byService.set(service, [a]);
  }
  const rows: Row[] = [];
  for (const [service, full] of [...byService].sort(([a], [b]) => compare(a, b))) {
    const levels = new Set<string>();
    for (const a of full) {
      const found = /[*?]/.test(a) ? catalogue.expand(a) : [catalogue.action(a)].filter((x) => x !== undefined);
      if (found.length === 0) levels.add("unknown");
      for (const info of found) levels.add(info.level);
    }
    rows.push({
      effect: s.Effect === "Deny" ? "Deny" : "Allow",
      service,
      levels: [...LEVEL_ORDER.filter((l) => levels.has(l)), ...(levels.has("unknown") ? ["unknown"] : [])],
      actions: full.map((a) => (a.includes(":") ? a.slice(a.indexOf(":") + 1) : a)),
      fullActions: full,
      resources,
    });
  }
  return rows;
}

function levelCell(r: Row): string {
  const text = r.levels.map((l) => (l === "unknown" ? "unknown" : LEVEL_TEXT[l as AccessLevel])).join(", ");
  return r.effect === "Deny" ? `**Deny** ${text}` : text;
}

function actionsCell(names: string[]): string {
  const shown = names.length <= MAX_ACTIONS_INLINE ? names : names.slice(0, MAX_ACTIONS_SHOWN);
  const more = names.length - shown.length;
  return `${names.length}: ${shown.map(escapeMarkdown).join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function resourcesCell(resources: string[]): string {
  if (resources.includes("*")) return "all resources (\\*)";
  const shown = resources.slice(0, MAX_RESOURCES_SHOWN);
  const more = resources.length - shown.length;
  return `${shown.map(escapeMarkdown).join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

function summarize(catalogue: Catalogue, rows: Row[], risk: string | undefined): string {
  const allow = rows.filter((r) => r.effect === "Allow");
  const deny = rows.filter((r) => r.effect === "Deny");
  const sentences: string[] = [];
  if (allow.length === 0) {
    sentences.push("This policy allows nothing.");
  } else {
    const count = new Set(allow.flatMap((r) => r.fullActions)).size;
    const services = [...new Set(allow.map((r) => r.service))];
    const parts = services.map((service) => {
      const mine = allow.filter((r) => r.service === service);
      const levels = LEVEL_ORDER.filter((l) => mine.some((r) => r.levels.includes(l))).map((l) => LEVEL_TEXT[l].toLowerCase());
      if (mine.some((r) => r.levels.includes("unknown"))) levels.push("unrecognised");
      const scoped = [...new Set(mine.flatMap((r) => r.resources.filter((x) => x !== "*")))];
      const unscoped = mine.some((r) => r.resources.includes("*"));
      const where = [
        scoped.length > 0 ? `on ${listText(scoped, MAX_RESOURCES_SHOWN)}` : "",
        unscoped ? (scoped.length > 0 ? "plus some on all resources" : "on all resources") : "",
      ]
        .filter(Boolean)
        .join(", ");
      return `${escapeMarkdown(service)} (${joinWords(levels)} ${where})`;
    });
    sentences.push(
      `This policy allows ${count} action${count === 1 ? "" : "s"} in ${services.length} service${services.length === 1 ? "" : "s"}: ${parts.join("; ")}.`,
    );
    if (allow.some((r) => r.resources.includes("*"))) {
      sentences.push("Actions on all resources are ones AWS cannot limit to a resource (mostly listing what exists in the account).");
      const optional = optionalOnStar(catalogue, allow);
      if (optional.length > 0) {
        sentences.push(
          `AWS authorizes ${listText(optional, 4)} only on all resources: ${optional.length === 1 ? "its resource types are" : "their resource types are"} optional and not named in everyday calls (e.g. CloudWatch metrics have no ARN).`,
        );
      }
    }
  }
  if (deny.length > 0) {
    const count = new Set(deny.flatMap((r) => r.fullActions)).size;
    sentences.push(`It explicitly denies ${count} action${count === 1 ? "" : "s"}.`);
  }
  const outliving = outlivingGranted(catalogue, allow);
  if (outliving.length > 0) {
    sentences.push(
      `A session or command started with ${listText(outliving, 3)} before the expiry keeps running after it: AWS checks the time condition when it starts, and neither the scheduled revocation nor the sweep ends sessions or commands (they only remove the policy) — end them with aws ssm terminate-session (ECS Exec sessions are Session Manager sessions too).`,
    );
  }
  if (risk) sentences.push(`Risk tier: ${escapeMarkdown(risk)}.`);
  // The exclusions that matter here: of a service and level the policy grants, and not granted.
  const levelsGranted = new Set(allow.flatMap((r) => r.levels.map((l) => `${r.service}:${l}`)));
  const granted = new Set(allow.flatMap((r) => r.fullActions.map((a) => a.toLowerCase())));
  const left = COARSE_LEVEL_EXCLUSIONS.flatMap((g) => g.actions).filter((a) => {
    const level = catalogue.action(a)?.level;
    return level !== undefined && levelsGranted.has(`${a.slice(0, a.indexOf(":"))}:${level}`) && !granted.has(a.toLowerCase());
  });
  if (left.length > 0) {
    sentences.push(`Access levels leave out rarely needed sensitive actions (${listText(left, 6)}); name them under actions: if you need them.`);
  }
  // Destructive writes of a service whose write actions the policy grants, and that it leaves out.
  const writeServices = [...new Set(allow.filter((r) => r.levels.includes("write")).map((r) => r.service))];
  // The shortest names first: they are the headline ones (s3:DeleteBucket, sqs:PurgeQueue).
  const byLength = (a: string, b: string) => a.length - b.length || compare(a, b);
  const destructiveLeft = writeServices.flatMap((service) =>
    destructiveActionsOf(catalogue, service)
      .filter((a) => !granted.has(a.toLowerCase()))
      .sort(byLength)
      .slice(0, 2),
  );
  if (destructiveLeft.length > 0) {
    sentences.push(
      `The write level leaves out destructive and administrative actions (such as ${listText(destructiveLeft, 4)}); named under actions: they make the request risk high.`,
    );
  }
  return sentences.join(" ");
}

/** Actions granted on "*" that the data lists with (optional) resource types: said, so nobody wonders. */
function optionalOnStar(catalogue: Catalogue, allow: Row[]): string[] {
  const found = new Set<string>();
  for (const r of allow) {
    if (!r.resources.includes("*")) continue;
    for (const a of r.fullActions) {
      const info = /[*?]/.test(a) ? undefined : catalogue.action(a);
      if (info && info.resourceTypes.length > 0 && authorizedOnlyOnStar(info)) found.add(info.full);
    }
  }
  return [...found].sort(compare);
}

/** The granted actions (wildcards expanded) whose sessions or commands outlive the grant. */
function outlivingGranted(catalogue: Catalogue, allow: Row[]): string[] {
  const wanted = new Set(OUTLIVING_ACTIONS.map((a) => a.toLowerCase()));
  const found = new Set<string>();
  for (const a of allow.flatMap((r) => r.fullActions)) {
    const infos = /[*?]/.test(a) ? catalogue.expand(a) : [catalogue.action(a)].filter((x) => x !== undefined);
    for (const info of infos) if (wanted.has(info.full.toLowerCase())) found.add(info.full);
  }
  return [...found].sort(compare);
}

function listText(items: string[], max: number): string {
  const shown = items.slice(0, max).map(escapeMarkdown);
  const more = items.length - shown.length;
  return more > 0 ? `${shown.join(", ")} and ${more} more` : joinWords(shown);
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

/** Escapes text for a markdown table cell or paragraph: no markup, links, HTML or cell breaks. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/[\\`*_{}[\]()<>#+!|~&]/g, "\\$&");
}

function toList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
