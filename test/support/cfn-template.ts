// deploy/template.yaml for tests: the CloudFormation short-form tags as their JSON shapes, and a
// resolver that turns the template into what CloudFormation would deploy for given parameters
// (Ref, Sub, GetAtt, If, Join, Split, Equals/Not/And/Or, AWS::NoValue), so that the policies can
// be evaluated by an independent IAM simulator.
import { readFileSync } from "node:fs";
import * as yaml from "js-yaml";

export type Json = unknown;
export type Obj = Record<string, Json>;

const FN_TAGS = [
  "Sub",
  "GetAtt",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "Join",
  "Select",
  "Split",
  "FindInMap",
  "ImportValue",
  "GetAZs",
  "Base64",
  "Cidr",
  "EachMemberEquals",
];

/** !Ref, !Condition and every !Fn form, in scalar, sequence and mapping form, as their JSON shapes. */
export function cfnSchema(): yaml.Schema {
  const tags = [];
  const kinds: Array<[string, string]> = [["Ref", "Ref"], ["Condition", "Condition"], ...FN_TAGS.map((t): [string, string] => [t, `Fn::${t}`])];
  for (const [tag, key] of kinds) {
    tags.push(yaml.defineScalarTag(`!${tag}`, { resolve: (s: string) => ({ [key]: tag === "GetAtt" ? s.split(".") : s }), identify: () => false }));
    tags.push(
      yaml.defineSequenceTag<unknown[], Obj>(`!${tag}`, {
        create: () => [],
        addItem: (c, item) => {
          c.push(item);
        },
        finalize: (c) => ({ [key]: c }),
        identify: () => false,
      }),
    );
    tags.push(
      yaml.defineMappingTag<Record<string, unknown>, Obj>(`!${tag}`, {
        create: () => ({}),
        addPair: (c, k, v) => {
          c[String(k)] = v;
          return "";
        },
        has: (c, k) => String(k) in c,
        keys: (r) => Object.keys(r),
        get: (r, k) => r[String(k)],
        finalize: (c) => ({ [key]: c }),
        identify: () => false,
      }),
    );
  }
  return yaml.CORE_SCHEMA.withTags(...tags);
}

export const TEMPLATE_URL = new URL("../../deploy/template.yaml", import.meta.url);

export function loadTemplate(text = readFileSync(TEMPLATE_URL, "utf8")): Obj {
  return yaml.load(text, { schema: cfnSchema() }) as Obj;
}

export interface Pseudo {
  partition?: string;
  accountId?: string;
  region?: string;
}

const NO_VALUE = Symbol("AWS::NoValue");
const isObj = (x: Json): x is Obj => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * The template as deployed with `params` (over the parameters' defaults). A resource's Ref and
 * GetAtt become a recognisable ARN-like string in this account (`…:role/jit-access-deploy/<Name>`
 * for roles, else `arn:<partition>:fake:::<Name>/<Attr>`). Throws on a function it does not know.
 */
export function resolveTemplate(template: Obj, params: Record<string, string> = {}, pseudo: Pseudo = {}): Obj {
  const partition = pseudo.partition ?? "aws";
  const accountId = pseudo.accountId ?? "111122223333";
  const region = pseudo.region ?? "eu-west-1";
  const parameters = (template.Parameters ?? {}) as Record<string, Obj>;
  const resources = (template.Resources ?? {}) as Record<string, Obj>;
  const value = new Map<string, Json>();
  for (const [name, p] of Object.entries(parameters)) {
    const raw = params[name] ?? (p.Default === undefined ? undefined : String(p.Default));
    if (raw === undefined) throw new Error(`parameter ${name} has no default; pass it`);
    value.set(name, String(p.Type).startsWith("CommaDelimitedList") || String(p.Type).startsWith("List<") ? raw.split(",").map((v) => v.trim()) : raw);
  }
  value
    .set("AWS::Partition", partition)
    .set("AWS::AccountId", accountId)
    .set("AWS::Region", region)
    .set("AWS::StackName", "jit")
    .set("AWS::URLSuffix", "amazonaws.com");
  const resourceRef = (name: string, attr = "Arn") => {
    const r = resources[name];
    if (!r) throw new Error(`no resource ${name}`);
    if (r.Type === "AWS::IAM::Role") {
      // A role's own Path when it is not the stack's common /jit-access-deploy/ (the identities role's is per stack).
      const path = (r.Properties as Obj | undefined)?.Path;
      const p = path === undefined ? "/jit-access-deploy/" : String(resolve(path));
      return `arn:${partition}:iam::${accountId}:role${p}${name}`;
    }
    if (r.Type === "AWS::IAM::ManagedPolicy") return `arn:${partition}:iam::${accountId}:policy/jit-access-deploy/${name}`;
    return `arn:${partition}:fake:${region}:${accountId}:${name}/${attr}`;
  };
  const conditions = (template.Conditions ?? {}) as Record<string, Json>;
  const condCache = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    if (!condCache.has(name)) {
      if (!(name in conditions)) throw new Error(`no condition ${name}`);
      condCache.set(name, Boolean(resolve(conditions[name])));
    }
    return condCache.get(name) as boolean;
  };
  const ref = (name: string): Json => {
    if (name === "AWS::NoValue") return NO_VALUE;
    if (value.has(name)) return value.get(name);
    return resourceRef(name);
  };
  function resolve(x: Json): Json {
    if (Array.isArray(x)) return x.map(resolve).filter((v) => v !== NO_VALUE);
    if (!isObj(x)) return x;
    const keys = Object.keys(x);
    if (keys.length === 1) {
      const k = keys[0] as string;
      const a = x[k];
      switch (k) {
        case "Ref":
          return ref(String(a));
        case "Condition":
          return condition(String(a));
        case "Fn::GetAtt": {
          const [res, attr] = Array.isArray(a) ? (a as string[]) : String(a).split(".");
          return resourceRef(String(res), attr);
        }
        case "Fn::Sub": {
          const [str, vars] = Array.isArray(a) ? (a as [string, Obj]) : [String(a), {}];
          const local = Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, resolve(v)]));
          return str.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
            if (name in local) return String(local[name]);
            if (name.includes(".")) {
              const [res, attr] = name.split(".");
              return resourceRef(String(res), attr);
            }
            const v = ref(name);
            if (Array.isArray(v) || v === NO_VALUE) throw new Error(`\${${name}} is not a string in Fn::Sub`);
            return String(v);
          });
        }
        case "Fn::If": {
          const [c, then, otherwise] = a as [string, Json, Json];
          return condition(c) ? resolve(then) : resolve(otherwise);
        }
        case "Fn::Join": {
          const [delimiter, parts] = a as [string, Json];
          if (typeof delimiter !== "string") throw new Error("Fn::Join takes a literal delimiter");
          return (resolve(parts) as Json[]).map(String).join(delimiter);
        }
        case "Fn::Split": {
          const [delimiter, source] = a as [string, Json];
          return String(resolve(source)).split(delimiter);
        }
        case "Fn::Equals": {
          const [l, r] = (a as Json[]).map(resolve);
          return JSON.stringify(l) === JSON.stringify(r);
        }
        case "Fn::Not":
          return !resolve((a as Json[])[0]);
        case "Fn::And":
          return (a as Json[]).every((v) => Boolean(resolve(v)));
        case "Fn::Or":
          return (a as Json[]).some((v) => Boolean(resolve(v)));
        default:
          if (k.startsWith("Fn::")) throw new Error(`resolveTemplate does not know ${k}`);
      }
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(x)) {
      const r = resolve(v);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
  const out: Obj = { ...template, Resources: {} };
  for (const [name, r] of Object.entries(resources)) {
    if (typeof r.Condition === "string" && !condition(r.Condition)) continue;
    (out.Resources as Obj)[name] = resolve(r);
  }
  return out;
}
