// Step 1 of the policy pipeline: the built-in, deterministic, offline generator (the policy_sentry
// "CRUD" method). For each request item: expand resource names to ARNs with the service's
// resource-type ARN formats, then take every action of the asked access levels whose resource
// types match those ARNs. Actions without resource-level support go on "*" only for `list`
// (or when named exactly in `actions:`). Pure: the catalogue is handed in.
import { ACCESS_LEVELS } from "../domain/types.js";
import type { AccessLevel, PolicyDocument, Problem, ProblemCode, RequestItem, Statement } from "../domain/types.js";
import { authorizedOnlyOnStar, escapeRegExp, type ActionInfo, type Catalogue } from "./catalogue.js";
import { companionsFor, type Companion } from "./companions.js";
import { leftOutOfLevels } from "./destructive.js";
import { EC2_ID_PREFIXES } from "./scope.js";
import { closest } from "./wording.js";

export const GENERATOR_VERSION = "builtin/1";

export interface GeneratorContext {
  partition: string;
  region: string;
  accountId: string;
}

/** What one request item became: the envelope guardrails check a policy against. */
export interface ExpandedItem {
  /** Index of the item in `request`. */
  item: number;
  service: string;
  /** Every ARN the item's resources expanded to, sorted (whether or not an action used it). */
  resources: string[];
  /** Per resource as written in the request, the ARNs it expanded to. */
  byResource: Array<{ input: string; arns: string[] }>;
  /** Every action granted for this item, sorted. */
  actions: string[];
  /** Of `actions`, those granted on "*" because they support no resource-level permissions. */
  unscopedActions: string[];
}

export interface GeneratedPolicy {
  policy: PolicyDocument;
  problems: Problem[];
  /** What the request may still lack (companion permissions to add by hand), as warnings. */
  notes: Problem[];
  resources: ExpandedItem[];
}

// ---------------------------------------------------------------------------------------------
// Coarse-level exclusions

/**
 * Actions that an access level alone never grants, because the AWS level is coarser than what a
 * person asking for "read" or "write" means. Ask for them by name in `actions:` when needed.
 */
export const COARSE_LEVEL_EXCLUSIONS: ReadonlyArray<{ reason: string; actions: readonly string[] }> = [
  {
    reason: "object ACL reads: reveal who else has access, rarely needed to use the data",
    actions: ["s3:GetObjectAcl", "s3:GetObjectVersionAcl"],
  },
  {
    reason: "legacy BitTorrent downloads",
    actions: ["s3:GetObjectTorrent", "s3:GetObjectVersionTorrent"],
  },
  {
    reason: "Object Lock legal holds and retention: compliance controls; writes can make objects undeletable",
    actions: [
      "s3:GetObjectLegalHold",
      "s3:GetObjectRetention",
      "s3:PutObjectLegalHold",
      "s3:PutObjectRetention",
      "s3:PutBucketObjectLockConfiguration",
      "s3:BypassGovernanceRetention",
    ],
  },
  {
    reason: "used by the replication service, not by people",
    actions: [
      "s3:GetObjectVersionForReplication",
      "s3:GetObjectVersionAnnotationForReplication",
      "s3:InitiateReplication",
      "s3:ReplicateDelete",
      "s3:ReplicateObject",
      "s3:ReplicateObjectAnnotation",
      "s3:ReplicateTags",
      "s3:ObjectOwnerOverrideToBucketOwner",
      "dynamodb:ReadDataForReplication",
      "dynamodb:WriteDataForReplication",
      "dynamodb:ReplicateSettings",
    ],
  },
  {
    reason: "lets an AWS log delivery service write into the resource",
    actions: ["s3:AllowVendedLogDeliveryForResource", "ecs:AllowVendedLogDeliveryForResource"],
  },
  {
    reason: "reveals log data masked by a data protection policy",
    actions: ["logs:Unmask"],
  },
];

const EXCLUDED: ReadonlySet<string> = new Set(COARSE_LEVEL_EXCLUSIONS.flatMap((e) => e.actions.map((a) => a.toLowerCase())));

/** Whether an access level alone leaves this action out (see COARSE_LEVEL_EXCLUSIONS). */
export function isCoarseLevelExclusion(action: string): boolean {
  return EXCLUDED.has(action.toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// Resource names → ARNs: the one table of per-service naming rules

interface TypeRef {
  /** Resource type key in the service's data; its ARN format builds the ARN. */
  type: string;
  /** More resource types the same ARN stands for (e.g. a qualified Lambda function ARN). */
  also?: readonly string[];
  /** Placeholder values; `{Group}` inserts a named group of the form's regex. */
  fill?: Readonly<Record<string, string>>;
  /** Use this ARN only for these levels (e.g. DynamoDB streams only for read). */
  levels?: readonly AccessLevel[];
  /**
   * Listing this ARN is limited to keys under these `s3:prefix` patterns (templates like
   * `fill`), for the actions in PREFIX_CONDITIONED.
   */
  listPrefixes?: readonly string[];
}

interface NameForm {
  /** Named groups are ARN-format placeholders (or helpers used in `fill`); the first one names the resource. */
  match: RegExp;
  types: readonly TypeRef[];
}

interface ServiceNaming {
  /** Service name in Sids. */
  label: string;
  /** Accepted name forms, for messages. */
  hint: string;
  /** First match wins. */
  forms: readonly NameForm[];
}

/**
 * The actions that take the `s3:prefix` condition key (Service Authorization Reference, Amazon
 * S3: ListBucket and ListBucketVersions). A request for `bucket/prefix/` lists only under the
 * prefix: `StringLike s3:prefix ["prefix/", "prefix/*"]`, as in AWS's examples
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_s3_home-directory-console.html).
 * A listing without a prefix, or with a prefix outside, is then denied. The other list actions
 * on a bucket (ListBucketMultipartUploads, ListTagsForResource) have no such key and stay as they are.
 */
const PREFIX_CONDITIONED: ReadonlySet<string> = new Set(["s3:listbucket", "s3:listbucketversions"]);

/**
 * Bucket actions that list keys anywhere in the bucket and take no `s3:prefix` (Service
 * Authorization Reference, Amazon S3): an access level leaves them out of a prefix or one-object
 * request, whose listing would otherwise reach beyond what it names.
 */
const UNPREFIXABLE_LISTINGS: ReadonlySet<string> = new Set(["s3:listbucketmultipartuploads"]);

const ec2Id = (type: string, placeholder: string): NameForm => ({
  match: new RegExp(`^(?<${placeholder}>${EC2_ID_PREFIXES[placeholder] ?? placeholder}-[0-9a-f]{8,17})$`),
  types: [{ type }],
});

/** What a bare resource name means, per service. Names may use the IAM wildcards * and ?. */
const NAMING: Readonly<Record<string, ServiceNaming>> = {
  s3: {
    label: "S3",
    hint: "a bucket name (`reports`), `bucket/prefix/` for the objects under a prefix, or `bucket/key` for one object",
    forms: [
      // The whole bucket: the bucket and every object in it.
      {
        match: /^(?<BucketName>[a-z0-9*?][a-z0-9.*?-]*)$/,
        types: [{ type: "bucket" }, { type: "object", fill: { ObjectName: "*" } }],
      },
      // A prefix: its objects; the bucket only to list them (only under the prefix), never to
      // reconfigure the bucket.
      {
        match: /^(?<BucketName>[a-z0-9*?][a-z0-9.*?-]*)\/(?<Prefix>(?:[^/]+\/)*)$/,
        types: [
          { type: "bucket", levels: ["list"], listPrefixes: ["{Prefix}", "{Prefix}*"] },
          { type: "object", fill: { ObjectName: "{Prefix}*" } },
        ],
      },
      // One object (or a pattern the user wrote): listing only that key.
      {
        match: /^(?<BucketName>[a-z0-9*?][a-z0-9.*?-]*)\/(?<ObjectName>.*[^/])$/,
        types: [{ type: "bucket", levels: ["list"], listPrefixes: ["{ObjectName}"] }, { type: "object" }],
      },
    ],
  },
  dynamodb: {
    label: "DynamoDB",
    hint: "a table name (`orders`)",
    forms: [
      {
        match: /^(?<TableName>[A-Za-z0-9_.*?-]{1,255})$/,
        types: [{ type: "table" }, { type: "index", fill: { IndexName: "*" } }, { type: "stream", fill: { StreamLabel: "*" }, levels: ["read"] }],
      },
    ],
  },
  ec2: {
    label: "EC2",
    hint: "a resource id: `i-…` instance, `vol-…`, `sg-…`, `vpc-…`, `subnet-…`, `ami-…`, `snap-…`, `eni-…`, `rtb-…`, `igw-…`, `nat-…`, `lt-…`, `acl-…`, `eipalloc-…`, `vpce-…`, `pcx-…`, `tgw-…`, `dopt-…`",
    forms: [
      ec2Id("instance", "InstanceId"),
      ec2Id("volume", "VolumeId"),
      ec2Id("security-group", "SecurityGroupId"),
      ec2Id("vpc", "VpcId"),
      ec2Id("subnet", "SubnetId"),
      ec2Id("image", "ImageId"),
      ec2Id("snapshot", "SnapshotId"),
      ec2Id("network-interface", "NetworkInterfaceId"),
      ec2Id("route-table", "RouteTableId"),
      ec2Id("internet-gateway", "InternetGatewayId"),
      ec2Id("natgateway", "NatGatewayId"),
      ec2Id("launch-template", "LaunchTemplateId"),
      ec2Id("network-acl", "NaclId"),
      ec2Id("elastic-ip", "AllocationId"),
      ec2Id("vpc-endpoint", "VpcEndpointId"),
      ec2Id("vpc-peering-connection", "VpcPeeringConnectionId"),
      ec2Id("transit-gateway", "TransitGatewayId"),
      ec2Id("dhcp-options", "DhcpOptionsId"),
    ],
  },
  rds: {
    label: "RDS",
    hint: "a DB instance identifier (`orders-db`), `cluster:NAME`, `snapshot:NAME` or `cluster-snapshot:NAME` (automated snapshots: `snapshot:rds:NAME`, `cluster-snapshot:rds:NAME`)",
    forms: [
      { match: /^cluster:(?<DbClusterInstanceName>[a-z*?][a-z0-9*?-]*)$/, types: [{ type: "cluster" }] },
      // Automated snapshots are named rds:<db>-<timestamp> by RDS itself.
      { match: /^snapshot:(?<SnapshotName>(?:rds:)?[a-z*?][a-z0-9*?-]*)$/, types: [{ type: "snapshot" }] },
      {
        match: /^cluster-snapshot:(?<ClusterSnapshotName>(?:rds:)?[a-z*?][a-z0-9*?-]*)$/,
        types: [{ type: "cluster-snapshot" }],
      },
      { match: /^(?:db:)?(?<DbInstanceName>[a-z*?][a-z0-9*?-]*)$/, types: [{ type: "db" }] },
    ],
  },
  lambda: {
    label: "Lambda",
    hint: "a function name (`resize-images`), or `NAME:ALIAS` / `NAME:VERSION` for one alias or version",
    forms: [
      {
        // A qualified function: calls made with that qualifier (invoking an alias) are authorized
        // on this ARN, and function actions accept a version or alias ARN too
        // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
        match: /^(?<FunctionName>[A-Za-z0-9_*?-]{1,64}):(?<Version>[0-9]+|\$LATEST)$/,
        types: [{ type: "function version", also: ["function"] }],
      },
      {
        match: /^(?<FunctionName>[A-Za-z0-9_*?-]{1,64}):(?<Alias>[A-Za-z0-9_*?-]{1,128})$/,
        types: [{ type: "function alias", also: ["function"] }],
      },
      {
        match: /^(?<FunctionName>[A-Za-z0-9_*?-]{1,64})$/,
        // The function, and its versions and aliases (a policy on the bare ARN does not cover
        // qualified calls such as invoking an alias).
        types: [{ type: "function" }, { type: "function version", also: ["function alias", "function"], fill: { Version: "*" } }],
      },
    ],
  },
  sqs: {
    label: "SQS",
    hint: "a queue name (`jobs` or `jobs.fifo`)",
    forms: [{ match: /^(?<QueueName>[A-Za-z0-9_*?-]{1,80}(?:\.fifo)?)$/, types: [{ type: "queue" }] }],
  },
  sns: {
    label: "SNS",
    hint: "a topic name (`alerts`)",
    forms: [{ match: /^(?<TopicName>[A-Za-z0-9_*?-]{1,256}(?:\.fifo)?)$/, types: [{ type: "topic" }] }],
  },
  logs: {
    label: "Logs",
    hint: "a log group name (`/aws/lambda/resize-images`, optionally with `:*`)",
    forms: [
      {
        match: /^(?<LogGroupName>[A-Za-z0-9_./#*?-]{1,512})(?::\*)?$/,
        types: [{ type: "log-group" }, { type: "log-group", fill: { LogGroupName: "{LogGroupName}:*" } }, { type: "log-stream", fill: { LogStreamName: "*" } }],
      },
    ],
  },
  cloudwatch: {
    label: "CloudWatch",
    hint: "an alarm name (`high-cpu` or `alarm:high-cpu`) or `dashboard/NAME`",
    forms: [
      { match: /^dashboard\/(?<DashboardName>[A-Za-z0-9_*?-]{1,255})$/, types: [{ type: "dashboard" }] },
      { match: /^(?:alarm:)?(?<AlarmName>[A-Za-z0-9_./#*?-]{1,255})$/, types: [{ type: "alarm" }] },
    ],
  },
  kms: {
    label: "KMS",
    hint: "a key id (`1234abcd-12ab-34cd-56ef-1234567890ab`, `mrk-…`) or `alias/NAME` (an alias ARN only governs the alias itself, not use of the key)",
    forms: [
      {
        match: /^(?:key\/)?(?<KeyId>mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
        types: [{ type: "key" }],
      },
      { match: /^alias\/(?<Alias>[A-Za-z0-9/_*?-]{1,250})$/, types: [{ type: "alias" }] },
    ],
  },
  secretsmanager: {
    label: "SecretsManager",
    hint: "a secret name (`prod/db-password`)",
    forms: [
      {
        // AWS appends "-" and 6 random characters to every secret ARN; `??????` matches exactly
        // those, where `*` would also match other secrets (`NAME-other`).
        match: /^(?<Name>[A-Za-z0-9/_+=.@*?-]{1,512})$/,
        types: [{ type: "secret", fill: { SecretId: "{Name}-??????" } }],
      },
    ],
  },
  ssm: {
    label: "SSM",
    hint: "a parameter name (`/app/db-url`), a path ending in `/` for every parameter under it, or an instance id (`i-…`, managed `mi-…`) for Session Manager and Run Command",
    forms: [
      // An instance id is never taken for a parameter name: name such a parameter with its
      // leading slash (`/i-0abc…`).
      { match: /^(?<InstanceId>i-[0-9a-f]{8,17})$/, types: [{ type: "instance" }] },
      { match: /^(?<InstanceId>mi-[0-9a-f]{17})$/, types: [{ type: "managed-instance" }] },
      {
        match: /^\/?(?<Path>[A-Za-z0-9_.\-/*?]+)\/$/,
        types: [
          { type: "parameter", fill: { ParameterNameWithoutLeadingSlash: "{Path}" } },
          { type: "parameter", fill: { ParameterNameWithoutLeadingSlash: "{Path}/*" } },
        ],
      },
      {
        match: /^\/?(?<ParameterNameWithoutLeadingSlash>[A-Za-z0-9_.\-/*?]+)$/,
        types: [{ type: "parameter" }],
      },
    ],
  },
  ecr: {
    label: "ECR",
    hint: "a repository name (`team/api`)",
    forms: [{ match: /^(?<RepositoryName>[a-z0-9*?][a-z0-9._/*?-]{0,255})$/, types: [{ type: "repository" }] }],
  },
  ecs: {
    label: "ECS",
    hint: "a cluster name (`prod` or `cluster/prod`), `service/CLUSTER/NAME` (`service/NAME` in the default cluster), `task-definition/FAMILY[:REVISION]` or `FAMILY:REVISION`",
    forms: [
      {
        match: /^service\/(?<ClusterName>[A-Za-z0-9_*?-]{1,255})\/(?<ServiceName>[A-Za-z0-9_*?-]{1,255})$/,
        types: [
          { type: "service" },
          { type: "service-deployment", fill: { ServiceDeploymentId: "*" } },
          { type: "service-revision", fill: { ServiceRevisionId: "*" } },
        ],
      },
      {
        match: /^service\/(?<ServiceName>[A-Za-z0-9_*?-]{1,255})$/,
        types: [
          { type: "service", fill: { ClusterName: "default" } },
          { type: "service-deployment", fill: { ClusterName: "default", ServiceDeploymentId: "*" } },
          { type: "service-revision", fill: { ClusterName: "default", ServiceRevisionId: "*" } },
        ],
      },
      {
        // Cluster names have no colon, so FAMILY:REVISION is always a task definition.
        match: /^(?:task-definition\/)?(?<TaskDefinitionFamilyName>[A-Za-z0-9_*?-]{1,255}):(?<TaskDefinitionRevisionNumber>[0-9]+)$/,
        types: [{ type: "task-definition" }],
      },
      {
        match: /^task-definition\/(?<TaskDefinitionFamilyName>[A-Za-z0-9_*?-]{1,255})$/,
        types: [{ type: "task-definition", fill: { TaskDefinitionRevisionNumber: "*" } }],
      },
      {
        // A cluster and what runs in it.
        match: /^(?:cluster\/)?(?<ClusterName>[A-Za-z0-9_*?-]{1,255})$/,
        types: [
          { type: "cluster" },
          { type: "service", fill: { ServiceName: "*" } },
          { type: "task", fill: { TaskId: "*" } },
          { type: "container-instance", fill: { ContainerInstanceId: "*" } },
        ],
      },
    ],
  },
  states: {
    label: "States",
    hint: "a state machine name (`nightly-etl`) or `activity:NAME`",
    forms: [
      { match: /^activity:(?<ActivityName>[A-Za-z0-9_*?-]{1,80})$/, types: [{ type: "activity" }] },
      {
        // The state machine and its executions (standard and express).
        match: /^(?:stateMachine:)?(?<StateMachineName>[A-Za-z0-9_*?-]{1,80})$/,
        types: [{ type: "statemachine" }, { type: "execution", fill: { ExecutionId: "*" } }, { type: "express", fill: { ExecutionId: "*", ExpressId: "*" } }],
      },
    ],
  },
};

/** The services whose bare resource names the generator understands (any service takes full ARNs). */
export function servicesWithNames(): string[] {
  return Object.keys(NAMING).sort();
}

/** The naming table in plain data, for help texts and tests. */
export function resourceNaming(): Array<{ service: string; hint: string; forms: Array<{ pattern: string; types: string[] }> }> {
  return servicesWithNames().map((service) => {
    const naming = NAMING[service] as ServiceNaming;
    return {
      service,
      hint: naming.hint,
      forms: naming.forms.map((f) => ({
        pattern: f.match.source,
        types: f.types.flatMap((t) => [t.type, ...(t.also ?? [])]),
      })),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Per-catalogue index, built once

interface ServiceIndex {
  /** level → resource type (lower case) → actions, sorted by name. */
  scoped: Map<AccessLevel, Map<string, ActionInfo[]>>;
  /** level → actions without resource-level support, sorted by name. */
  unscoped: Map<AccessLevel, ActionInfo[]>;
  /** action (lower case full) → its resource types, lower case. */
  typesOf: Map<string, ReadonlySet<string>>;
}

const INDEX = new WeakMap<Catalogue, Map<string, ServiceIndex>>();

function serviceIndex(catalogue: Catalogue, service: string): ServiceIndex {
  let perCatalogue = INDEX.get(catalogue);
  if (!perCatalogue) {
    perCatalogue = new Map();
    INDEX.set(catalogue, perCatalogue);
  }
  const cached = perCatalogue.get(service);
  if (cached) return cached;
  const scoped = new Map<AccessLevel, Map<string, ActionInfo[]>>();
  const unscoped = new Map<AccessLevel, ActionInfo[]>();
  const typesOf = new Map<string, ReadonlySet<string>>();
  const actions = catalogue.actionsOf(service).sort((a, b) => compare(a.name, b.name));
  for (const a of actions) {
    const types = authorizedOnlyOnStar(a) ? new Set<string>() : new Set(a.resourceTypes.map((r) => r.name.toLowerCase()));
    typesOf.set(a.full.toLowerCase(), types);
    if (types.size === 0) {
      push(unscoped, a.level, a);
      continue;
    }
    let byType = scoped.get(a.level);
    if (!byType) scoped.set(a.level, (byType = new Map()));
    for (const t of types) push(byType, t, a);
  }
  const index = { scoped, unscoped, typesOf };
  perCatalogue.set(service, index);
  return index;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// ---------------------------------------------------------------------------------------------
// Generation

/** One ARN an item's resource expanded to. */
interface Target {
  arn: string;
  /** Resource type keys (lower case) the ARN stands for. */
  types: ReadonlySet<string>;
  /** The type named in Sids. */
  label: string;
  /** Index of the resource in the item. */
  input: number;
  levels?: readonly AccessLevel[];
  /** `s3:prefix` patterns listing is limited to (see PREFIX_CONDITIONED). */
  listPrefixes?: readonly string[];
}

interface Grant {
  info: ActionInfo;
  /** ARNs granted without a condition. */
  arns: Set<string>;
  /** ARNs granted only for listings under these `s3:prefix` patterns (unless also in `arns`). */
  prefixes: Map<string, Set<string>>;
}

const WILDCARD_ONLY = /^[*?]*$/;
const PLACEHOLDER = /\$\{([A-Za-z0-9]+)\}/g;

export function generatePolicy(catalogue: Catalogue, items: RequestItem[], ctx: GeneratorContext): GeneratedPolicy {
  const problems: Problem[] = [];
  const expanded: ExpandedItem[] = [];
  const grants = new Map<string, Grant>(); // by action full name
  const unscoped = new Map<string, ActionInfo>();
  const labels = new Map<string, Set<string>>(); // arn → type labels
  const pending: Array<{ path: string; companion: Companion; line: string }> = [];

  if (!/^[0-9]{12}$/.test(ctx.accountId)) {
    problems.push({
      code: "request.account-id",
      path: "account",
      message: `account id "${ctx.accountId}" is not 12 digits; use the account's id or a configured alias`,
    });
  }

  items.forEach((item, i) => {
    const path = `request[${i}]`;
    const service = String(item.service ?? "").toLowerCase();
    const out: ExpandedItem = { item: i, service, resources: [], byResource: [], actions: [], unscopedActions: [] };
    expanded.push(out);
    if (!catalogue.hasService(service)) {
      problems.push({ code: "request.unknown-service", path: `${path}.service`, message: unknownServiceMessage(catalogue, item.service) });
      return;
    }
    const index = serviceIndex(catalogue, service);
    const itemProblems = problems.length;

    // Access levels.
    const levels: AccessLevel[] = [];
    (item.access ?? []).forEach((level, k) => {
      if (!ACCESS_LEVELS.includes(level)) {
        problems.push({
          code: "request.unknown-access-level",
          path: `${path}.access[${k}]`,
          message: `unknown access level "${level}"; use one of ${ACCESS_LEVELS.join(", ")}`,
        });
      } else if (!levels.includes(level)) levels.push(level);
    });

    // Resources → targets.
    const targets: Target[] = [];
    const resources = item.resources ?? [];
    if (resources.length === 0) {
      problems.push({
        code: "request.no-resources",
        path: `${path}.resources`,
        message: `no resources given for ${service}; name at least one resource or ARN`,
      });
    }
    resources.forEach((resource, j) => {
      const found = expandResource(catalogue, service, String(resource), j, ctx);
      if (!Array.isArray(found)) {
        problems.push({ ...found, path: `${path}.resources[${j}]` });
        return;
      }
      out.byResource.push({ input: String(resource), arns: uniqueSorted(found.map((t) => t.arn)) });
      targets.push(...found);
    });
    out.resources = uniqueSorted(targets.map((t) => t.arn));

    // Actions.
    const itemGrants = new Map<string, Grant>();
    const itemUnscoped = new Map<string, ActionInfo>();
    const grant = (info: ActionInfo, t: Target): void => {
      let g = itemGrants.get(info.full);
      if (!g) itemGrants.set(info.full, (g = { info, arns: new Set(), prefixes: new Map() }));
      if (t.listPrefixes && PREFIX_CONDITIONED.has(info.full.toLowerCase())) addPrefixes(g, t.arn, t.listPrefixes);
      else g.arns.add(t.arn);
    };
    const allowed = (t: Target, level: AccessLevel): boolean => !t.levels || t.levels.includes(level);

    if (item.actions !== undefined) {
      item.actions.forEach((name, k) => {
        const info = checkExplicitAction(catalogue, service, String(name), item.access ? levels : undefined, problems, `${path}.actions[${k}]`);
        if (!info) return;
        const types = index.typesOf.get(info.full.toLowerCase()) ?? new Set<string>();
        if (types.size === 0) {
          itemUnscoped.set(info.full, info);
          return;
        }
        let matched = false;
        for (const t of targets) {
          if (!allowed(t, info.level) || !intersects(types, t.types)) continue;
          grant(info, t);
          matched = true;
        }
        if (!matched && targets.length > 0) {
          problems.push({
            code: "request.action-no-resource",
            path: `${path}.actions[${k}]`,
            message: `${info.full} applies to ${[...types].sort().join(", ")} resources, and none of this item's resources can take it (they are: ${describeTargets(targets)}); add a matching resource or drop the action`,
          });
        }
      });
    } else if (item.access === undefined || item.access.length === 0) {
      problems.push({
        code: "request.no-access",
        path,
        message: `give "access" (read, list, write, tagging, permissions-management) or exact "actions" for ${service}`,
      });
    } else {
      for (const level of levels) {
        const byType = index.scoped.get(level);
        if (byType) {
          for (const t of targets) {
            if (!allowed(t, level)) continue;
            for (const type of t.types) {
              for (const info of byType.get(type) ?? []) {
                if (EXCLUDED.has(info.full.toLowerCase()) || leftOutOfLevels(info)) continue;
                if (t.listPrefixes && UNPREFIXABLE_LISTINGS.has(info.full.toLowerCase())) continue;
                grant(info, t);
              }
            }
          }
        }
        if (level === "list") {
          for (const info of index.unscoped.get("list") ?? []) {
            if (!EXCLUDED.has(info.full.toLowerCase()) && !leftOutOfLevels(info)) itemUnscoped.set(info.full, info);
          }
        }
      }
    }

    // Companion permissions of what was granted (src/policy/companions.ts).
    const granted = new Set([...itemGrants.keys(), ...itemUnscoped.keys()].map((a) => a.toLowerCase()));
    for (const c of companionsFor(service, granted)) {
      const named = c.whenType ? targets.filter((t) => t.types.has(c.whenType as string)) : targets;
      if (named.length === 0) continue;
      if (c.kind === "warn") {
        for (const line of new Set(named.map((t) => fillLine(catalogue, service, c, t.arn)))) pending.push({ path, companion: c, line });
        continue;
      }
      for (const name of c.actions) {
        const info = catalogue.action(name);
        if (!info) throw new Error(`companion table: unknown action ${name}`);
        const types = index.typesOf.get(info.full.toLowerCase()) ?? new Set<string>();
        if (types.size === 0) itemUnscoped.set(info.full, info);
        else for (const t of targets) if (t.types.has(c.onType ?? "") && intersects(types, t.types)) grant(info, t);
      }
    }

    out.actions = uniqueSorted([...itemGrants.keys(), ...itemUnscoped.keys()]);
    out.unscopedActions = uniqueSorted([...itemUnscoped.keys()]);

    const asked = item.actions !== undefined || item.access !== undefined;
    // "yields no actions" only when nothing else about the item was wrong: after an unknown
    // action it would just repeat the same fault.
    if (asked && out.actions.length === 0 && targets.length > 0 && problems.length === itemProblems) {
      const what = item.actions !== undefined ? "the listed actions" : `${levels.join(", ")} access`;
      problems.push({
        code: "request.no-actions",
        path,
        message: `${what} on these ${service} resources yields no actions (resource types: ${describeTargets(targets)}); ask for another access level, name actions, or check the resource form: ${NAMING[service]?.hint ?? "full ARNs"}`,
      });
    } else if (out.actions.length > 0) {
      const used = new Set<string>();
      for (const g of itemGrants.values()) for (const arn of [...g.arns, ...g.prefixes.keys()]) used.add(arn);
      resources.forEach((resource, j) => {
        const mine = targets.filter((t) => t.input === j);
        if (mine.length > 0 && !mine.some((t) => used.has(t.arn))) {
          problems.push({
            code: "request.resource-unused",
            path: `${path}.resources[${j}]`,
            message: `none of the asked ${service} actions applies to "${resource}" (${describeTargets(mine)}); remove it or ask for an access level or action that applies to it`,
          });
        }
      });
    }

    // Merge into the whole policy.
    for (const t of targets) {
      let set = labels.get(t.arn);
      if (!set) labels.set(t.arn, (set = new Set()));
      set.add(t.label);
    }
    for (const [full, g] of itemGrants) {
      let all = grants.get(full);
      if (!all) grants.set(full, (all = { info: g.info, arns: new Set(), prefixes: new Map() }));
      for (const arn of g.arns) all.arns.add(arn);
      for (const [arn, values] of g.prefixes) addPrefixes(all, arn, [...values]);
    }
    for (const [full, info] of itemUnscoped) unscoped.set(full, info);
  });

  // A warned companion the request already grants elsewhere (its own kms item) needs no word.
  const all = new Set([...grants.keys(), ...unscoped.keys()].map((a) => a.toLowerCase()));
  const notes: Problem[] = [];
  const said = new Set<string>();
  for (const { path, companion: c, line } of pending) {
    if (c.actions.every((a) => all.has(a.toLowerCase())) || said.has(`${path}\u0000${line}`)) continue;
    said.add(`${path}\u0000${line}`);
    const filled = /\bKEY_ID\b/.test(line) ? " — KEY_ID is the key's id" : "";
    notes.push({ code: "request.companion-suggested", path, message: `to ${c.task}: ${c.why}; if that applies, add to request: ${line}${filled}` });
  }

  return { policy: buildPolicy(grants, unscoped, labels), problems, notes, resources: expanded };
}

/** A companion's line with the `${Placeholder}`s of its resource type filled from `arn`. */
function fillLine(catalogue: Catalogue, service: string, c: Companion, arn: string): string {
  const line = c.line ?? "";
  const format = c.whenType ? catalogue.resourceType(service, c.whenType)?.arnFormat : undefined;
  if (!format) return line;
  const names: string[] = [];
  const source = format
    .split(PLACEHOLDER)
    .map((part, k) =>
      k % 2 === 1 ? (names.push(part), part === "Partition" || part === "Region" || part === "Account" ? "([^:]*)" : "(.+?)") : escapeRegExp(part),
    )
    .join("");
  const m = new RegExp(`^${source}$`).exec(arn);
  return line.replace(PLACEHOLDER, (whole, k: string) => {
    const at = names.indexOf(k);
    return m && at >= 0 ? (m[at + 1] ?? whole) : whole;
  });
}

function addPrefixes(g: Grant, arn: string, values: readonly string[]): void {
  let set = g.prefixes.get(arn);
  if (!set) g.prefixes.set(arn, (set = new Set()));
  for (const v of values) set.add(v);
}

function checkExplicitAction(
  catalogue: Catalogue,
  service: string,
  name: string,
  levels: AccessLevel[] | undefined,
  problems: Problem[],
  path: string,
): ActionInfo | undefined {
  if (/[*?]/.test(name)) {
    problems.push({
      code: "request.action-wildcard",
      path,
      message: `"${name}" uses a wildcard; name each action exactly (a wildcard also grants actions AWS adds later)`,
    });
    return undefined;
  }
  const info = catalogue.action(name);
  if (!info) {
    const colon = name.indexOf(":");
    const guess =
      colon > 0 && name.slice(0, colon).toLowerCase() === service
        ? closest(
            name.slice(colon + 1),
            catalogue.actionsOf(service).map((a) => a.name),
          )
        : undefined;
    problems.push({
      code: "request.unknown-action",
      path,
      message: guess
        ? `unknown action "${name}"; did you mean "${service}:${guess}"?`
        : `unknown action "${name}"; use the IAM name as in the AWS Service Authorization Reference, e.g. ${service}:${exampleAction(catalogue, service)}`,
    });
    return undefined;
  }
  if (info.service !== service) {
    problems.push({
      code: "request.action-service-mismatch",
      path,
      message: `${info.full} belongs to ${info.service}, not ${service}; put it in its own request item with service: ${info.service}`,
    });
    return undefined;
  }
  if (levels && !levels.includes(info.level)) {
    problems.push({
      code: "request.action-level-mismatch",
      path,
      message: `${info.full} is a ${info.level} action, but this item asks for ${levels.join(", ") || "no valid level"}; add ${info.level} to access or remove the action`,
    });
    return undefined;
  }
  return info;
}

function exampleAction(catalogue: Catalogue, service: string): string {
  const first = catalogue
    .actionsOf(service)
    .map((a) => a.name)
    .sort(compare)[0];
  return first ?? "Action";
}

/** Why a resource yields no targets. */
interface Miss {
  code: ProblemCode;
  message: string;
}

function miss(code: ProblemCode, message: string): Miss {
  return { code, message };
}

/** Targets for one resource, or the problem saying why there are none. */
function expandResource(catalogue: Catalogue, service: string, resource: string, input: number, ctx: GeneratorContext): Target[] | Miss {
  const trimmed = resource.trim();
  if (trimmed !== resource || trimmed === "") {
    return miss("request.resource-invalid", `resource "${resource}" is empty or has surrounding spaces; write the name or ARN alone`);
  }
  if (WILDCARD_ONLY.test(resource)) {
    return miss("request.resource-too-wide", `"${resource}" would mean every ${service} resource; name the resources (or ARNs) you need`);
  }
  if (resource.startsWith("arn:")) return checkArn(catalogue, service, resource, input, ctx);

  const naming = NAMING[service];
  if (!naming) {
    return miss(
      "request.resource-unmapped",
      `"${resource}" is a name, and the generator only maps names to ARNs for ${servicesWithNames().join(", ")}; give the full ARN`,
    );
  }
  for (const form of naming.forms) {
    const m = form.match.exec(resource);
    if (!m) continue;
    const groups = m.groups ?? {};
    const primary = Object.values(groups).find((v) => v !== undefined) ?? "";
    if (WILDCARD_ONLY.test(primary)) {
      return miss("request.resource-too-wide", `"${resource}" names every ${service} resource of its kind; give the name (wildcards only within a name)`);
    }
    const targets: Target[] = [];
    for (const ref of form.types) {
      const rt = catalogue.resourceType(service, ref.type);
      if (!rt) throw new Error(`generator table: ${service} has no resource type "${ref.type}"`);
      const values: Record<string, string> = {
        ...definedOnly(groups),
        Partition: ctx.partition,
        Region: ctx.region,
        Account: ctx.accountId,
      };
      for (const [k, template] of Object.entries(ref.fill ?? {})) {
        values[k] = template.replace(/\{([A-Za-z0-9]+)\}/g, (_, g: string) => groups[g] ?? "");
      }
      const arn = rt.arnFormat.replace(PLACEHOLDER, (_, k: string) => {
        const v = values[k];
        if (v === undefined) throw new Error(`generator table: no value for \${${k}} in ${service}/${ref.type}`);
        return v;
      });
      const types = new Set([ref.type, ...(ref.also ?? [])].map((t) => t.toLowerCase()));
      const target: Target = { arn, types, label: ref.type, input };
      if (ref.levels) target.levels = ref.levels;
      if (ref.listPrefixes) {
        const prefixes = ref.listPrefixes.map((template) => template.replace(/\{([A-Za-z0-9]+)\}/g, (_, g: string) => groups[g] ?? ""));
        // `bucket/` or `bucket/*` asks for every key: a condition would only break plain listings.
        if (!prefixes.some((v) => WILDCARD_ONLY.test(v))) target.listPrefixes = prefixes;
      }
      targets.push(target);
    }
    return targets;
  }
  return miss("request.resource-unmapped", `cannot map "${resource}" to a ${service} resource; use ${naming.hint}, or a full ARN`);
}

function checkArn(catalogue: Catalogue, service: string, arn: string, input: number, ctx: GeneratorContext): Target[] | Miss {
  const parts = arn.split(":");
  if (parts.length < 6) return miss("request.resource-invalid", `"${arn}" is not a valid ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)`);
  const [, partition = "", , , account = ""] = parts;
  const rest = parts.slice(5).join(":");
  if (partition !== ctx.partition) {
    return miss(
      "request.resource-invalid",
      `ARN "${arn}" is in partition "${partition}", but the request's account is in "${ctx.partition}"; use arn:${ctx.partition}:…`,
    );
  }
  if (/[*?]/.test(account)) {
    return miss("request.resource-too-wide", `ARN "${arn}" has a wildcard account; use the request's account id ${ctx.accountId}`);
  }
  if (rest === "" || WILDCARD_ONLY.test(rest)) {
    return miss("request.resource-too-wide", `ARN "${arn}" names every resource; name the resources you need`);
  }
  const matched = catalogue.matchResourceTypes(service, arn);
  if (matched.length === 0) {
    // Resource types are per service, whatever the ARN's namespace (ssm lists ec2 instances,
    // sts lists IAM roles); an ARN none of them matches belongs in another item.
    const namespace = parts[2] ?? "";
    const own = namespace !== service && catalogue.hasService(namespace) ? catalogue.matchResourceTypes(namespace, arn) : [];
    if (own.length > 0) {
      return miss(
        "request.resource-wrong-service",
        `ARN "${arn}" is a ${namespace} ${own
          .map((rt) => rt.key)
          .sort(compare)
          .join("/")}, and no ${service} action authorizes on it; move it to a request item with service: ${namespace}`,
      );
    }
    const formats = catalogue
      .resourceTypesOf(service)
      .map((rt) => rt.key)
      .sort(compare);
    const shown = formats.slice(0, 8).join(", ") + (formats.length > 8 ? `, and ${formats.length - 8} more` : "");
    return miss("request.resource-wrong-service", `ARN "${arn}" is not a ${service} resource type (${shown}); check the ARN or the item's service`);
  }
  for (const rt of matched) {
    const formatAccount = rt.arnFormat.split(":")[4] ?? "";
    // An empty account names only AWS-owned resources (the SSM document
    // arn:aws:ssm:REGION::document/AWS-StartPortForwardingSession), never another account's.
    if (formatAccount.includes("${Account}") && account !== ctx.accountId && account !== "") {
      return miss(
        "request.resource-other-account",
        `ARN "${arn}" belongs to account "${account}", not the request's account ${ctx.accountId}; request access in that account separately`,
      );
    }
  }
  const keys = matched.map((rt) => rt.key).sort(compare);
  return [{ arn, types: new Set(keys.map((k) => k.toLowerCase())), label: keys[0] ?? "resource", input }];
}

function unknownServiceMessage(catalogue: Catalogue, service: unknown): string {
  const guess = closest(String(service ?? ""), catalogue.services());
  const hint = guess ? `; did you mean "${guess}"?` : "";
  return `unknown AWS service "${String(service)}"${hint} — use the IAM service prefix as in actions (s3, dynamodb, ec2, …)`;
}

function describeTargets(targets: Target[]): string {
  const seen = new Map<string, string>();
  for (const t of targets) {
    const only = t.levels ? `, ${t.levels.join("/")} only` : "";
    if (!seen.has(t.arn)) seen.set(t.arn, `${t.arn} (${t.label}${only})`);
  }
  const list = [...seen.values()];
  return list.slice(0, 4).join(", ") + (list.length > 4 ? `, and ${list.length - 4} more` : "");
}

// ---------------------------------------------------------------------------------------------
// Compression: safe action wildcards for policies over the size quota

const COMPRESSIBLE_LEVELS: ReadonlySet<string> = new Set(["list", "read"]);

/**
 * The policy with each statement's action list shortened by `service:Prefix*` wildcards, where
 * a wildcard is used only when everything it matches in the whole catalogue is already in that
 * statement's list (e.g. EC2's 189 list actions on `*` are exactly `ec2:Describe*` plus a few):
 * the compressed policy grants exactly the same actions today. Actions AWS adds later under the
 * prefix would be granted too, which is why the pipeline compresses only a policy that does not
 * fit the quota otherwise. Statements with wildcards already, a non-Allow effect, or any action
 * above the read level are kept.
 */
export function compressActions(catalogue: Catalogue, policy: PolicyDocument): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((st) => {
      const actions = typeof st.Action === "string" ? [st.Action] : st.Action;
      if (st.Effect !== "Allow" || actions.some((a) => /[*?]/.test(a))) return st;
      // Only list and read: a write, tagging or permissions action AWS adds later under a prefix
      // (`ecs:Update*`, `rds:Create*`) would be granted unseen by the dangerous and destructive lists.
      if (!actions.every((a) => COMPRESSIBLE_LEVELS.has(catalogue.action(a)?.level ?? "unknown"))) return st;
      const compressed = compressActionList(catalogue, actions);
      return compressed.length < actions.length ? { ...st, Action: compressed } : st;
    }),
  };
}

function compressActionList(catalogue: Catalogue, actions: readonly string[]): string[] {
  const byService = new Map<string, Set<string>>(); // service → lower-case names
  for (const a of actions) {
    const colon = a.indexOf(":");
    const service = a.slice(0, colon).toLowerCase();
    let set = byService.get(service);
    if (!set) byService.set(service, (set = new Set()));
    set.add(a.slice(colon + 1).toLowerCase());
  }
  const replaced = new Set<string>(); // lower-case full names now covered by a wildcard
  const out: string[] = [];
  for (const [service, names] of byService) {
    // The names a prefix matches are one run of the sorted names; `held` counts, per position,
    // how many names before it are in the list, so "all of the run are in it" is one subtraction.
    const all = catalogue.actionsOf(service).sort((x, y) => compare(x.name.toLowerCase(), y.name.toLowerCase()));
    const lower = all.map((x) => x.name.toLowerCase());
    const held = [0];
    lower.forEach((n, i) => held.push((held[i] ?? 0) + (names.has(n) ? 1 : 0)));
    const run = (prefix: string): [number, number] => [lowerBound(lower, prefix), lowerBound(lower, `${prefix}\uffff`)];
    // Every prefix of a listed name, cut where a word starts (`ec2:DescribeVpn*`, never
    // `ec2:DescribeV*`), whose whole run is listed; never the empty prefix (`ec2:*`).
    const valid = new Map<string, string>(); // lower-case prefix → as AWS spells it
    all.forEach((x, k) => {
      if (!names.has(lower[k] ?? "")) return;
      for (let n = 1; n < x.name.length; n++) {
        if (!/[A-Z0-9]/.test(x.name.charAt(n))) continue;
        const prefix = x.name.slice(0, n);
        const [from, to] = run(prefix.toLowerCase());
        if (to - from >= 2 && to - from < all.length && (held[to] ?? 0) - (held[from] ?? 0) === to - from) valid.set(prefix.toLowerCase(), prefix);
      }
    });
    // The shortest ones: two prefixes neither of which starts the other match disjoint runs.
    const shortest = [...valid.keys()].sort((x, y) => x.length - y.length || compare(x, y));
    const chosen: string[] = [];
    for (const p of shortest) if (!chosen.some((c) => p.startsWith(c))) chosen.push(p);
    for (const p of chosen) {
      const [from, to] = run(p);
      const covered = all.slice(from, to);
      const pattern = `${service}:${valid.get(p) ?? p}*`;
      // Only where it is shorter than the names it stands for.
      if (pattern.length >= covered.reduce((n, x) => n + x.full.length + 3, 0)) continue;
      for (const x of covered) replaced.add(x.full.toLowerCase());
      out.push(pattern);
    }
  }
  for (const a of actions) if (!replaced.has(a.toLowerCase())) out.push(a);
  return uniqueSorted(out);
}

/** First index in sorted `list` whose value is not below `value`. */
function lowerBound(list: readonly string[], value: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] ?? "") < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Canonical output

const LEVEL_LABEL: Readonly<Record<AccessLevel, string>> = {
  read: "Read",
  list: "List",
  write: "Write",
  tagging: "Tagging",
  "permissions-management": "PermissionsManagement",
};

function buildPolicy(grants: Map<string, Grant>, unscoped: Map<string, ActionInfo>, labels: Map<string, Set<string>>): PolicyDocument {
  interface Group {
    sid: string;
    actions: string[];
    resources: string[] | "*";
    sortKey: string;
    prefixes?: string[];
  }
  const groups = new Map<string, Group>();
  const typeSid = (resources: string[]): string =>
    uniqueSorted(resources.map((arn) => [...(labels.get(arn) ?? [])].sort(compare)[0] ?? "resource"))
      .map(pascal)
      .join("");
  for (const g of grants.values()) {
    const resources = [...g.arns].sort(compare);
    if (resources.length > 0) {
      const key = `${g.info.service}\u0000${g.info.level}\u0000${resources.join("\u0001")}`;
      let group = groups.get(key);
      if (!group) {
        group = { sid: sidOf(g.info.service, g.info.level, typeSid(resources)), actions: [], resources, sortKey: resources.join("\u0001") };
        groups.set(key, group);
      }
      group.actions.push(g.info.full);
    }
    // An unconditioned grant on the same ARN already covers every listing.
    for (const [arn, values] of g.prefixes) {
      if (g.arns.has(arn)) continue;
      const prefixes = uniqueSorted(values);
      const key = `${g.info.service}\u0000${g.info.level}\u0000${arn}\u0000${prefixes.join("\u0001")}`;
      let group = groups.get(key);
      if (!group) {
        group = {
          sid: sidOf(g.info.service, g.info.level, `${typeSid([arn])}Prefix`),
          actions: [],
          resources: [arn],
          sortKey: `${arn}\u0000${prefixes.join("\u0001")}`,
          prefixes,
        };
        groups.set(key, group);
      }
      group.actions.push(g.info.full);
    }
  }
  for (const info of unscoped.values()) {
    const key = `${info.service}\u0000${info.level}\u0000*`;
    let group = groups.get(key);
    if (!group) {
      group = { sid: sidOf(info.service, info.level, "AllResources"), actions: [], resources: "*", sortKey: "*" };
      groups.set(key, group);
    }
    group.actions.push(info.full);
  }
  const ordered = [...groups.values()].sort((a, b) => compare(a.sid, b.sid) || compare(a.sortKey, b.sortKey));
  const seen = new Map<string, number>();
  const statements: Statement[] = ordered.map((g) => {
    const n = (seen.get(g.sid) ?? 0) + 1;
    seen.set(g.sid, n);
    const st: Statement = {
      Sid: n === 1 ? g.sid : `${g.sid}${n}`,
      Effect: "Allow",
      Action: uniqueSorted(g.actions),
      Resource: g.resources,
    };
    if (g.prefixes) st.Condition = { StringLike: { "s3:prefix": g.prefixes } };
    return st;
  });
  return { Version: "2012-10-17", Statement: statements };
}

function sidOf(service: string, level: AccessLevel, types: string): string {
  const label = NAMING[service]?.label ?? pascal(service);
  return `${label}${LEVEL_LABEL[level]}${types}`.replace(/[^A-Za-z0-9]/g, "");
}

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

function definedOnly(groups: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(groups)) if (v !== undefined) out[k] = v;
  return out;
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

/** Code-unit order: independent of locale, so output is byte-identical everywhere. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compare);
}
