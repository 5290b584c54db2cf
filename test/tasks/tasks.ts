// The task corpus: what engineers ask jit-access for, written from AWS documentation (the
// Service Authorization Reference for each action's resource types, and the services' user
// guides for which calls a task makes), not from the generator's output. Run by test/tasks.test.ts.
//
// Each task: the request file as a requester writes it, the API calls the task needs (`allow`:
// action + resource ARN + request context) and neighbouring calls that must stay denied (`deny`).
// `refused`: the request must be refused, or granted only at high risk. `pending`: the task
// fails today because of a known gap (issue item number and reason); `fails` is how it fails.

import type { RiskTier } from "../../src/domain/types.js";

export const ACCOUNT = "111122223333";
const REGION = "us-east-1";

/** The repository's config: the default services plus the ones an admin would add for these tasks. */
export const CONFIG_YAML = `
aws:
  mode: iam
  region: ${REGION}
  accounts:
    prod: "${ACCOUNT}"
principals:
  alice: { iam_user: alice }
approvers: [bob]
allowed_services: [athena, cloudwatch, dynamodb, ec2, ec2-instance-connect, ecr, ecs, glue, kms, lambda, logs, rds, s3, secretsmanager, sns, sqs, ssm, states, sts]
`;

export interface Call {
  action: string;
  resource: string;
  /** Request context keys besides aws:CurrentTime (e.g. s3:prefix for ListBucket). */
  context?: Record<string, string | string[]>;
}

export interface Task {
  name: string;
  /** The AWS page the calls were taken from. */
  source: string;
  /** The request file, as committed under access-requests/prod/2026/. */
  request: string;
  allow: Call[];
  deny: Call[];
  risk?: RiskTier;
  /** The plan must refuse the request, or accept it only at high risk. */
  refused?: boolean;
  /** "<issue item>: <why it fails today>"; remove once the item is fixed. */
  pending?: { item: string; fails: RegExp };
  /** Actions this task's repository accepts under allowed_dangerous_actions. */
  allowedDangerous?: string[];
  /**
   * Why iam-simulate cannot judge this task's calls (its error must match `errors`): the calls are
   * then judged by the project's evaluator alone, and the test fails once iam-simulate can judge
   * them, so the mark is removed.
   */
  oracleBlind?: { why: string; errors: RegExp };
}

const call = (action: string, resource: string, context?: Call["context"]): Call => (context ? { action, resource, context } : { action, resource });
/** A regional ARN in the task account. */
const arn = (service: string, rest: string): string => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
const s3 = (rest: string): string => `arn:aws:s3:::${rest}`;

/** A request file; `items` is the `request:` list exactly as the requester writes it. */
function file(id: string, reason: string, items: string, extra = ""): string {
  return `version: 1
id: ${id}
requester: alice
account: prod
duration: 4h
reason: ${reason}
request:
${items.replace(/^\n/, "").replace(/\s+$/, "")}
${extra}`;
}

const KEY = "1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY = "0987dcba-09ba-87dc-65fe-0987654321ba";
const INSTANCE = "i-0abc1234def567890";
const OTHER_INSTANCE = "i-0fed9876cba543210";
const SG = "sg-0123456789abcdef0";
const DOCS = {
  s3: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html",
  s3prefix: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html",
  dynamodb: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html",
  kms: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html",
  secrets: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html",
  ssm: "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html",
  session: "https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-restrict-access-quickstart.html",
  ecs: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html",
  ecsExec: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html",
  ecr: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-pull.html",
  ecrPush: "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html",
  lambda: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html",
  logs: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/permissions-reference-cwl.html",
  cloudwatch: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html",
  rds: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html",
  rdsSnap: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html",
  athena: "https://docs.aws.amazon.com/athena/latest/ug/example-policies-workgroup.html",
  glue: "https://docs.aws.amazon.com/glue/latest/dg/glue-specifying-resource-arns.html",
  states: "https://docs.aws.amazon.com/step-functions/latest/dg/concept-create-iam-advanced.html",
  ec2: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html",
  eic: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-connect-configure-IAM-role.html",
  sts: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_permissions-to-switch.html",
  sqs: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html",
  sns: "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html",
};

export const TASKS: Task[] = [
  // ------------------------------------------------------------------------------------------- S3
  {
    name: "s3: read and list one bucket",
    source: DOCS.s3,
    request: file(
      "201-financial-reports-read",
      "Quarter-end reconciliation",
      `
  - service: s3
    access: [read, list]
    resources: [financial-reports]`,
    ),
    allow: [
      call("s3:GetObject", s3("financial-reports/2026/q3/summary.csv")),
      call("s3:ListBucket", s3("financial-reports")),
      call("s3:GetObjectVersion", s3("financial-reports/2026/q3/summary.csv")),
    ],
    deny: [
      call("s3:PutObject", s3("financial-reports/2026/q3/summary.csv")),
      call("s3:DeleteObject", s3("financial-reports/2026/q3/summary.csv")),
      call("s3:GetObject", s3("financial-reports-archive/2026/q3/summary.csv")),
      call("s3:ListBucket", s3("payroll")),
      call("s3:PutBucketPolicy", s3("financial-reports")),
      call("s3:GetObjectAcl", s3("financial-reports/2026/q3/summary.csv")),
    ],
    risk: "low",
  },
  {
    name: "s3: read one object",
    source: DOCS.s3,
    request: file(
      "202-app-settings-read",
      "Check the deployed settings file",
      `
  - service: s3
    access: [read]
    resources: [config-store/app/settings.json]`,
    ),
    allow: [call("s3:GetObject", s3("config-store/app/settings.json"))],
    deny: [
      call("s3:GetObject", s3("config-store/app/secrets.json")),
      call("s3:GetObject", s3("config-store/app/settings.json.bak")),
      call("s3:PutObject", s3("config-store/app/settings.json")),
    ],
  },
  {
    name: "s3: upload under a prefix",
    source: DOCS.s3,
    request: file(
      "203-media-ingest-upload",
      "Backfill images for the catalogue",
      `
  - service: s3
    actions: [s3:PutObject, s3:AbortMultipartUpload, s3:ListMultipartUploadParts]
    resources: [media-ingest/incoming/]`,
    ),
    allow: [
      call("s3:PutObject", s3("media-ingest/incoming/2026/a.jpg")),
      call("s3:AbortMultipartUpload", s3("media-ingest/incoming/2026/big.mov")),
      call("s3:ListMultipartUploadParts", s3("media-ingest/incoming/2026/big.mov")),
    ],
    deny: [
      call("s3:PutObject", s3("media-ingest/published/a.jpg")),
      call("s3:DeleteObject", s3("media-ingest/incoming/2026/a.jpg")),
      call("s3:PutObject", s3("media-ingest-2/incoming/a.jpg")),
    ],
    risk: "medium",
  },
  {
    name: "s3: list and read under a prefix only (s3:prefix on ListBucket)",
    source: DOCS.s3prefix,
    request: file(
      "204-logs-archive-november",
      "Investigate November's access logs",
      `
  - service: s3
    access: [read, list]
    resources: [logs-archive/2026/11/]`,
    ),
    allow: [call("s3:ListBucket", s3("logs-archive"), { "s3:prefix": "2026/11/" }), call("s3:GetObject", s3("logs-archive/2026/11/27/access.log.gz"))],
    deny: [
      call("s3:GetObject", s3("logs-archive/2026/10/01/access.log.gz")),
      call("s3:ListBucket", s3("logs-archive"), { "s3:prefix": "2026/10/" }),
      call("s3:ListBucket", s3("logs-archive"), { "s3:prefix": "" }),
    ],
  },
  {
    name: "s3: tag objects",
    source: DOCS.s3,
    request: file(
      "205-assets-tagging",
      "Tag assets for the lifecycle rule",
      `
  - service: s3
    access: [tagging]
    resources: [brand-assets]`,
    ),
    allow: [call("s3:PutObjectTagging", s3("brand-assets/logo.svg")), call("s3:DeleteObjectTagging", s3("brand-assets/logo.svg"))],
    deny: [call("s3:PutObject", s3("brand-assets/logo.svg")), call("s3:PutObjectTagging", s3("other-assets/logo.svg"))],
  },
  {
    name: "s3: write objects without destructive bucket administration",
    source: DOCS.s3,
    request: file(
      "206-scratch-write",
      "Rebuild the scratch dataset",
      `
  - service: s3
    access: [read, write, list]
    resources: [scratch-data]`,
    ),
    allow: [
      call("s3:PutObject", s3("scratch-data/run-7/part-0001.parquet")),
      call("s3:DeleteObject", s3("scratch-data/run-6/part-0001.parquet")),
      call("s3:ListBucket", s3("scratch-data")),
    ],
    deny: [
      call("s3:DeleteBucket", s3("scratch-data")),
      call("s3:PutLifecycleConfiguration", s3("scratch-data")),
      call("s3:PutBucketVersioning", s3("scratch-data")),
      call("s3:PutReplicationConfiguration", s3("scratch-data")),
      call("s3:DeleteObjectVersion", s3("scratch-data/run-6/part-0001.parquet")),
    ],
  },
  {
    name: "s3: read two buckets, a third stays closed",
    source: DOCS.s3,
    request: file(
      "207-two-buckets",
      "Compare the exports of both pipelines",
      `
  - service: s3
    access: [read, list]
    resources: [exports-blue, exports-green]`,
    ),
    allow: [call("s3:GetObject", s3("exports-blue/x.csv")), call("s3:GetObject", s3("exports-green/x.csv")), call("s3:ListBucket", s3("exports-green"))],
    deny: [call("s3:GetObject", s3("exports-red/x.csv")), call("s3:ListBucket", s3("exports-red"))],
  },
  {
    name: "s3: a hand-written policy is held to each (action, resource) pair of the request",
    source: DOCS.s3,
    request: file(
      "208-pair-envelope",
      "Publish the reports",
      `
  - service: s3
    access: [read]
    resources: [reports-bucket]
  - service: s3
    access: [write]
    resources: [scratch-bucket/tmp/]`,
      `policy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Action: [s3:GetObject, s3:PutObject, s3:DeleteObject]
      Resource: ["arn:aws:s3:::reports-bucket/*", "arn:aws:s3:::scratch-bucket/tmp/*"]
`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  {
    name: "s3: one exact action on a bucket",
    source: DOCS.s3,
    request: file(
      "209-bucket-location",
      "Find which region the vendor bucket is in",
      `
  - service: s3
    actions: [s3:GetBucketLocation]
    resources: [vendor-drop]`,
    ),
    allow: [call("s3:GetBucketLocation", s3("vendor-drop"))],
    deny: [call("s3:GetObject", s3("vendor-drop/file.csv")), call("s3:GetBucketLocation", s3("vendor-drop-2"))],
  },
  // ------------------------------------------------------------------------------------- DynamoDB
  {
    name: "dynamodb: read a table and its indexes",
    source: DOCS.dynamodb,
    request: file(
      "210-orders-read",
      "Investigate missing order confirmations",
      `
  - service: dynamodb
    access: [read]
    resources: [orders]`,
    ),
    allow: [
      call("dynamodb:GetItem", arn("dynamodb", "table/orders")),
      call("dynamodb:Query", arn("dynamodb", "table/orders")),
      call("dynamodb:Query", arn("dynamodb", "table/orders/index/by-customer")),
      call("dynamodb:DescribeTable", arn("dynamodb", "table/orders")),
    ],
    deny: [
      call("dynamodb:PutItem", arn("dynamodb", "table/orders")),
      call("dynamodb:GetItem", arn("dynamodb", "table/customers")),
      call("dynamodb:GetItem", arn("dynamodb", "table/orders-archive")),
    ],
    risk: "low",
  },
  {
    name: "dynamodb: read the table's stream",
    source: DOCS.dynamodb,
    request: file(
      "211-orders-stream",
      "Replay the stream into the test consumer",
      `
  - service: dynamodb
    access: [read]
    resources: [orders]`,
    ),
    allow: [
      call("dynamodb:GetRecords", arn("dynamodb", "table/orders/stream/2026-11-01T00:00:00.000")),
      call("dynamodb:GetShardIterator", arn("dynamodb", "table/orders/stream/2026-11-01T00:00:00.000")),
    ],
    deny: [call("dynamodb:GetRecords", arn("dynamodb", "table/customers/stream/2026-11-01T00:00:00.000"))],
  },
  {
    name: "dynamodb: item writes without table administration",
    source: DOCS.dynamodb,
    request: file(
      "212-sessions-write",
      "Clean up corrupted sessions",
      `
  - service: dynamodb
    access: [read, write]
    resources: [sessions]`,
    ),
    allow: [
      call("dynamodb:PutItem", arn("dynamodb", "table/sessions")),
      call("dynamodb:UpdateItem", arn("dynamodb", "table/sessions")),
      call("dynamodb:DeleteItem", arn("dynamodb", "table/sessions")),
    ],
    deny: [
      call("dynamodb:DeleteTable", arn("dynamodb", "table/sessions")),
      call("dynamodb:ExportTableToPointInTime", arn("dynamodb", "table/sessions")),
      call("dynamodb:PutItem", arn("dynamodb", "table/users")),
    ],
  },
  {
    name: "dynamodb: Query by name only",
    source: DOCS.dynamodb,
    request: file(
      "213-events-query",
      "Look up the events of one device",
      `
  - service: dynamodb
    actions: [dynamodb:Query]
    resources: [device-events]`,
    ),
    allow: [call("dynamodb:Query", arn("dynamodb", "table/device-events")), call("dynamodb:Query", arn("dynamodb", "table/device-events/index/by-time"))],
    deny: [call("dynamodb:Scan", arn("dynamodb", "table/device-events")), call("dynamodb:GetItem", arn("dynamodb", "table/device-events"))],
  },
  {
    name: "dynamodb: a hand-written policy is held to each (action, resource) pair",
    source: DOCS.dynamodb,
    request: file(
      "214-ddb-pair-envelope",
      "Fix one order and the sessions",
      `
  - service: dynamodb
    access: [read]
    resources: [orders]
  - service: dynamodb
    access: [write]
    resources: [sessions]`,
      `policy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Action: [dynamodb:GetItem, dynamodb:PutItem]
      Resource: ["arn:aws:dynamodb:us-east-1:111122223333:table/orders", "arn:aws:dynamodb:us-east-1:111122223333:table/sessions"]
`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  // ------------------------------------------------------------------------------------------ KMS
  {
    name: "kms: decrypt with one key",
    source: DOCS.kms,
    request: file(
      "215-kms-decrypt",
      "Decrypt the exported backup",
      `
  - service: kms
    actions: [kms:Decrypt, kms:DescribeKey]
    resources: [${KEY}]`,
    ),
    allow: [call("kms:Decrypt", arn("kms", `key/${KEY}`)), call("kms:DescribeKey", arn("kms", `key/${KEY}`))],
    deny: [
      call("kms:Decrypt", arn("kms", `key/${OTHER_KEY}`)),
      call("kms:Encrypt", arn("kms", `key/${KEY}`)),
      call("kms:ScheduleKeyDeletion", arn("kms", `key/${KEY}`)),
    ],
  },
  {
    name: "kms: read a key's configuration",
    source: DOCS.kms,
    request: file(
      "216-kms-read",
      "Audit the key policy",
      `
  - service: kms
    access: [read]
    resources: [key/${KEY}]`,
    ),
    allow: [
      call("kms:DescribeKey", arn("kms", `key/${KEY}`)),
      call("kms:GetKeyPolicy", arn("kms", `key/${KEY}`)),
      call("kms:GetKeyRotationStatus", arn("kms", `key/${KEY}`)),
    ],
    deny: [call("kms:Decrypt", arn("kms", `key/${KEY}`)), call("kms:PutKeyPolicy", arn("kms", `key/${KEY}`))],
    risk: "low",
  },
  {
    name: "kms: encrypt and generate data keys without key administration",
    source: DOCS.kms,
    request: file(
      "217-kms-write",
      "Re-encrypt the archive",
      `
  - service: kms
    access: [write]
    resources: [${KEY}]`,
    ),
    allow: [
      call("kms:Encrypt", arn("kms", `key/${KEY}`)),
      call("kms:GenerateDataKey", arn("kms", `key/${KEY}`)),
      call("kms:Decrypt", arn("kms", `key/${KEY}`)),
    ],
    deny: [
      call("kms:ScheduleKeyDeletion", arn("kms", `key/${KEY}`)),
      call("kms:DisableKey", arn("kms", `key/${KEY}`)),
      call("kms:ImportKeyMaterial", arn("kms", `key/${KEY}`)),
    ],
  },
  // ------------------------------------------------------------------------------ Secrets Manager
  {
    name: "secretsmanager: read one secret (the 6-character suffix, not a longer name)",
    source: DOCS.secrets,
    request: file(
      "218-db-password-read",
      "Rotate the password by hand after the incident",
      `
  - service: secretsmanager
    access: [read]
    resources: [prod/orders/db-password]`,
    ),
    allow: [
      call("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/orders/db-password-AbCdEf")),
      call("secretsmanager:DescribeSecret", arn("secretsmanager", "secret:prod/orders/db-password-AbCdEf")),
    ],
    deny: [
      call("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/orders/db-password-old-AbCdEf")),
      call("secretsmanager:PutSecretValue", arn("secretsmanager", "secret:prod/orders/db-password-AbCdEf")),
      call("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/payments/db-password-AbCdEf")),
    ],
  },
  {
    name: "secretsmanager: write a new secret value",
    source: DOCS.secrets,
    request: file(
      "219-api-key-rotate",
      "Rotate the partner API key",
      `
  - service: secretsmanager
    actions: [secretsmanager:PutSecretValue, secretsmanager:GetSecretValue]
    resources: [staging/partner-api-key]`,
    ),
    allow: [
      call("secretsmanager:PutSecretValue", arn("secretsmanager", "secret:staging/partner-api-key-Zz9Yy8")),
      call("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:staging/partner-api-key-Zz9Yy8")),
    ],
    deny: [
      call("secretsmanager:DeleteSecret", arn("secretsmanager", "secret:staging/partner-api-key-Zz9Yy8")),
      call("secretsmanager:PutSecretValue", arn("secretsmanager", "secret:prod/partner-api-key-Zz9Yy8")),
    ],
  },
  {
    name: "secretsmanager: read the secrets under a path",
    source: DOCS.secrets,
    request: file(
      "220-payments-secrets",
      "Check the payment provider settings",
      `
  - service: secretsmanager
    access: [read]
    resources: [prod/payments/*]`,
    ),
    allow: [call("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/payments/stripe-AbCdEf"))],
    deny: [call("secretsmanager:GetSecretValue", arn("secretsmanager", "secret:prod/orders/db-password-AbCdEf"))],
  },
  {
    name: "secretsmanager: a name of wildcards only is every secret",
    source: DOCS.secrets,
    request: file(
      "221-every-secret",
      "Need to find a secret",
      `
  - service: secretsmanager
    access: [read]
    resources: ["arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:???*"]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  // -------------------------------------------------------------------------- SSM Parameter Store
  {
    name: "ssm: read one parameter",
    source: DOCS.ssm,
    request: file(
      "222-db-url-read",
      "Debug the connection string",
      `
  - service: ssm
    access: [read]
    resources: [/app/prod/db-url]`,
    ),
    allow: [call("ssm:GetParameter", arn("ssm", "parameter/app/prod/db-url")), call("ssm:GetParameters", arn("ssm", "parameter/app/prod/db-url"))],
    deny: [
      call("ssm:PutParameter", arn("ssm", "parameter/app/prod/db-url")),
      call("ssm:GetParameter", arn("ssm", "parameter/app/prod/db-url-replica")),
      call("ssm:GetParameter", arn("ssm", "parameter/app/prod/other")),
    ],
  },
  {
    name: "ssm: read a parameter path",
    source: DOCS.ssm,
    request: file(
      "223-app-config-path",
      "Compare prod settings with staging",
      `
  - service: ssm
    access: [read]
    resources: [/app/prod/]`,
    ),
    allow: [call("ssm:GetParametersByPath", arn("ssm", "parameter/app/prod")), call("ssm:GetParameter", arn("ssm", "parameter/app/prod/feature/checkout"))],
    deny: [call("ssm:GetParameter", arn("ssm", "parameter/app/production-old/x")), call("ssm:GetParametersByPath", arn("ssm", "parameter/app/staging"))],
  },
  {
    name: "ssm: write one parameter",
    source: DOCS.ssm,
    request: file(
      "224-feature-flag",
      "Turn the new checkout on in staging",
      `
  - service: ssm
    actions: [ssm:PutParameter, ssm:GetParameter]
    resources: [/app/staging/feature-flag]`,
    ),
    allow: [call("ssm:PutParameter", arn("ssm", "parameter/app/staging/feature-flag"))],
    deny: [
      call("ssm:PutParameter", arn("ssm", "parameter/app/prod/feature-flag")),
      call("ssm:DeleteParameter", arn("ssm", "parameter/app/staging/feature-flag")),
    ],
    risk: "medium",
  },
  {
    name: "ssm: Session Manager on one instance (an EC2 ARN)",
    source: DOCS.session,
    request: file(
      "225-session-bastion",
      "Inspect the stuck worker",
      `
  - service: ssm
    actions: [ssm:StartSession]
    resources:
      - arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${INSTANCE}
      - arn:aws:ssm:${REGION}:${ACCOUNT}:document/SSM-SessionManagerRunShell`,
    ),
    allow: [call("ssm:StartSession", arn("ec2", `instance/${INSTANCE}`)), call("ssm:StartSession", arn("ssm", "document/SSM-SessionManagerRunShell"))],
    deny: [call("ssm:StartSession", arn("ec2", `instance/${OTHER_INSTANCE}`)), call("ssm:SendCommand", arn("ec2", `instance/${INSTANCE}`))],
    risk: "high",
    // A shell on an instance: dangerous by default, granted where the repository accepts it.
    allowedDangerous: ["ssm:StartSession"],
  },
  {
    name: "ssm: SendCommand runs code on instances",
    source: DOCS.session,
    request: file(
      "226-run-command",
      "Restart the agent",
      `
  - service: ssm
    actions: [ssm:SendCommand]
    resources: [arn:aws:ssm:${REGION}:${ACCOUNT}:document/restart-agent]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  {
    name: "ssm: read an AWS-owned document (no account in its ARN)",
    source: "https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html",
    request: file(
      "270-ssm-aws-document",
      "Read what the patch baseline runs",
      `
  - service: ssm
    actions: [ssm:DescribeDocument, ssm:GetDocument]
    resources: [arn:aws:ssm:${REGION}::document/AWS-RunPatchBaseline]`,
    ),
    allow: [
      call("ssm:GetDocument", `arn:aws:ssm:${REGION}::document/AWS-RunPatchBaseline`),
      call("ssm:DescribeDocument", `arn:aws:ssm:${REGION}::document/AWS-RunPatchBaseline`),
    ],
    deny: [
      call("ssm:GetDocument", `arn:aws:ssm:${REGION}::document/AWS-RunShellScript`),
      call("ssm:UpdateDocument", `arn:aws:ssm:${REGION}::document/AWS-RunPatchBaseline`),
    ],
    oracleBlind: { why: "iam-simulate cannot match an ARN with an empty account (AWS-owned documents)", errors: /no\.resource\.types/ },
  },
  // ------------------------------------------------------------------------------------------ ECS
  {
    name: "ecs: read a cluster's services and tasks",
    source: DOCS.ecs,
    request: file(
      "227-ecs-cluster-read",
      "Find why the web tasks restart",
      `
  - service: ecs
    access: [read, list]
    resources: [prod]`,
    ),
    allow: [
      call("ecs:DescribeClusters", arn("ecs", "cluster/prod")),
      call("ecs:DescribeServices", arn("ecs", "service/prod/web")),
      call("ecs:DescribeTasks", arn("ecs", "task/prod/0123456789abcdef0123456789abcdef")),
      call("ecs:ListTasks", arn("ecs", "container-instance/prod/0123456789abcdef")),
    ],
    deny: [
      call("ecs:UpdateService", arn("ecs", "service/prod/web")),
      call("ecs:DescribeServices", arn("ecs", "service/staging/web")),
      call("ecs:StopTask", arn("ecs", "task/prod/0123456789abcdef0123456789abcdef")),
    ],
    risk: "low",
  },
  {
    name: "ecs: deploy one service",
    source: DOCS.ecs,
    request: file(
      "228-ecs-deploy",
      "Roll back the web service",
      `
  - service: ecs
    actions: [ecs:UpdateService, ecs:DescribeServices]
    resources: [service/prod/web]`,
    ),
    allow: [call("ecs:UpdateService", arn("ecs", "service/prod/web")), call("ecs:DescribeServices", arn("ecs", "service/prod/web"))],
    deny: [call("ecs:UpdateService", arn("ecs", "service/prod/worker")), call("ecs:DeleteService", arn("ecs", "service/prod/web"))],
  },
  {
    name: "ecs: run a named task definition revision",
    source: DOCS.ecs,
    request: file(
      "229-ecs-run-migration",
      "Run the database migration task",
      `
  - service: ecs
    actions: [ecs:RunTask]
    resources: [task-definition/db-migrate:42]`,
    ),
    allow: [call("ecs:RunTask", arn("ecs", "task-definition/db-migrate:42"))],
    deny: [call("ecs:RunTask", arn("ecs", "task-definition/db-migrate:41")), call("ecs:RunTask", arn("ecs", "task-definition/web:42"))],
  },
  {
    name: "ecs: every revision of a task definition family",
    source: DOCS.ecs,
    request: file(
      "230-ecs-family",
      "Run the report job",
      `
  - service: ecs
    actions: [ecs:RunTask]
    resources: [task-definition/reports]`,
    ),
    allow: [call("ecs:RunTask", arn("ecs", "task-definition/reports:7")), call("ecs:RunTask", arn("ecs", "task-definition/reports:8"))],
    deny: [call("ecs:RunTask", arn("ecs", "task-definition/reports-admin:1"))],
  },
  {
    name: "ecs: ExecuteCommand opens a shell in a container",
    source: DOCS.ecsExec,
    request: file(
      "231-ecs-exec",
      "Debug inside the container",
      `
  - service: ecs
    actions: [ecs:ExecuteCommand]
    resources: [prod]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  {
    name: "ecs: a named service with its tasks and task definition",
    source: DOCS.ecs,
    request: file(
      "232-ecs-service-read",
      "Read the web service's state",
      `
  - service: ecs
    access: [read]
    resources: [service/prod/web]
  # The line the plan's warning gives: the tasks and task definitions reach beyond the service.
  - { service: ecs, actions: [ecs:ListTasks, ecs:DescribeTasks, ecs:DescribeTaskDefinition], resources: [prod] }`,
    ),
    allow: [
      call("ecs:DescribeServices", arn("ecs", "service/prod/web")),
      call("ecs:DescribeTasks", arn("ecs", "task/prod/0123456789abcdef0123456789abcdef")),
      call("ecs:DescribeTaskDefinition", "*"),
    ],
    deny: [call("ecs:DescribeServices", arn("ecs", "service/prod/worker"))],
  },
  // ------------------------------------------------------------------------------------------ ECR
  {
    name: "ecr: pull an image (with the registry token)",
    source: DOCS.ecr,
    request: file(
      "233-ecr-pull",
      "Pull the release image to reproduce a bug",
      `
  - service: ecr
    access: [read]
    resources: [team/api]`,
    ),
    allow: [
      call("ecr:BatchGetImage", arn("ecr", "repository/team/api")),
      call("ecr:GetDownloadUrlForLayer", arn("ecr", "repository/team/api")),
      call("ecr:BatchCheckLayerAvailability", arn("ecr", "repository/team/api")),
      call("ecr:GetAuthorizationToken", "*"),
    ],
    deny: [call("ecr:PutImage", arn("ecr", "repository/team/api")), call("ecr:BatchGetImage", arn("ecr", "repository/team/billing"))],
  },
  {
    name: "ecr: push an image",
    source: DOCS.ecrPush,
    request: file(
      "234-ecr-push",
      "Push the hotfix image",
      `
  - service: ecr
    actions: [ecr:PutImage, ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:BatchCheckLayerAvailability]
    resources: [team/api]`,
    ),
    allow: [
      call("ecr:PutImage", arn("ecr", "repository/team/api")),
      call("ecr:UploadLayerPart", arn("ecr", "repository/team/api")),
      call("ecr:CompleteLayerUpload", arn("ecr", "repository/team/api")),
    ],
    deny: [call("ecr:PutImage", arn("ecr", "repository/team/billing")), call("ecr:BatchDeleteImage", arn("ecr", "repository/team/api"))],
  },
  {
    name: "ecr: read scan findings",
    source: DOCS.ecr,
    request: file(
      "235-ecr-scan",
      "Review the CVE findings",
      `
  - service: ecr
    actions: [ecr:DescribeImageScanFindings, ecr:DescribeImages]
    resources: [team/api]`,
    ),
    allow: [call("ecr:DescribeImageScanFindings", arn("ecr", "repository/team/api")), call("ecr:DescribeImages", arn("ecr", "repository/team/api"))],
    deny: [call("ecr:StartImageScan", arn("ecr", "repository/team/api"))],
    risk: "low",
  },
  // --------------------------------------------------------------------------------------- Lambda
  {
    name: "lambda: invoke a function, its versions and aliases",
    source: DOCS.lambda,
    request: file(
      "236-lambda-invoke",
      "Re-run the image resize for failed uploads",
      `
  - service: lambda
    actions: [lambda:InvokeFunction]
    resources: [resize-images]`,
    ),
    allow: [
      call("lambda:InvokeFunction", arn("lambda", "function:resize-images")),
      call("lambda:InvokeFunction", arn("lambda", "function:resize-images:live")),
      call("lambda:InvokeFunction", arn("lambda", "function:resize-images:7")),
    ],
    deny: [
      call("lambda:InvokeFunction", arn("lambda", "function:resize-images-admin")),
      call("lambda:UpdateFunctionCode", arn("lambda", "function:resize-images")),
    ],
  },
  {
    name: "lambda: read a function",
    source: DOCS.lambda,
    request: file(
      "237-lambda-read",
      "Check the function's settings",
      `
  - service: lambda
    access: [read]
    resources: [resize-images]`,
    ),
    allow: [
      call("lambda:GetFunction", arn("lambda", "function:resize-images")),
      call("lambda:GetFunctionConfiguration", arn("lambda", "function:resize-images")),
    ],
    deny: [call("lambda:UpdateFunctionCode", arn("lambda", "function:resize-images")), call("lambda:GetFunction", arn("lambda", "function:billing"))],
    risk: "low",
  },
  {
    // New code runs with the function's role: privilege escalation, refused unless the
    // repository lists it under allowed_dangerous_actions.
    name: "lambda: deploying new code is refused by default",
    source: DOCS.lambda,
    request: file(
      "238-lambda-deploy",
      "Ship the hotfix",
      `
  - service: lambda
    actions: [lambda:UpdateFunctionCode, lambda:PublishVersion, lambda:UpdateAlias]
    resources: [resize-images]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  {
    name: "lambda: publish a version and move the alias",
    source: DOCS.lambda,
    request: file(
      "271-lambda-release",
      "Promote version 8 to live",
      `
  - service: lambda
    actions: [lambda:PublishVersion, lambda:UpdateAlias, lambda:GetAlias]
    resources: [resize-images]`,
    ),
    allow: [
      call("lambda:PublishVersion", arn("lambda", "function:resize-images")),
      call("lambda:UpdateAlias", arn("lambda", "function:resize-images:live")),
      call("lambda:GetAlias", arn("lambda", "function:resize-images:live")),
    ],
    deny: [
      call("lambda:UpdateFunctionConfiguration", arn("lambda", "function:resize-images")),
      call("lambda:UpdateAlias", arn("lambda", "function:billing:live")),
      call("lambda:DeleteFunction", arn("lambda", "function:resize-images")),
    ],
  },
  {
    name: "lambda: invoke one alias only",
    source: DOCS.lambda,
    request: file(
      "239-lambda-alias",
      "Call the canary alias",
      `
  - service: lambda
    actions: [lambda:InvokeFunction]
    resources: [resize-images:canary]`,
    ),
    allow: [call("lambda:InvokeFunction", arn("lambda", "function:resize-images:canary"))],
    deny: [call("lambda:InvokeFunction", arn("lambda", "function:resize-images:live")), call("lambda:InvokeFunction", arn("lambda", "function:resize-images"))],
  },
  {
    name: "lambda: UpdateFunctionConfiguration can swap the role or run other code",
    source: DOCS.lambda,
    request: file(
      "240-lambda-config",
      "Raise the timeout",
      `
  - service: lambda
    actions: [lambda:UpdateFunctionConfiguration]
    resources: [resize-images]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  // ------------------------------------------------------------------------------ CloudWatch Logs
  {
    name: "logs: read a log group, with DescribeLogStreams",
    source: DOCS.logs,
    request: file(
      "241-logs-read",
      "Read the errors of last night's run",
      `
  - service: logs
    access: [read]
    resources: [/aws/lambda/resize-images]`,
    ),
    allow: [
      call("logs:GetLogEvents", arn("logs", "log-group:/aws/lambda/resize-images:log-stream:2026/11/27/[$LATEST]0123abcd")),
      call("logs:FilterLogEvents", arn("logs", "log-group:/aws/lambda/resize-images")),
      call("logs:DescribeLogStreams", arn("logs", "log-group:/aws/lambda/resize-images")),
    ],
    deny: [
      call("logs:GetLogEvents", arn("logs", "log-group:/aws/lambda/billing:log-stream:x")),
      call("logs:DeleteLogGroup", arn("logs", "log-group:/aws/lambda/resize-images")),
    ],
  },
  {
    name: "logs: read and list a log group",
    source: DOCS.logs,
    request: file(
      "242-logs-read-list",
      "Read the API logs",
      `
  - service: logs
    access: [read, list]
    resources: [/ecs/prod/web]`,
    ),
    allow: [
      call("logs:GetLogEvents", arn("logs", "log-group:/ecs/prod/web:log-stream:web/app/0123")),
      call("logs:DescribeLogStreams", arn("logs", "log-group:/ecs/prod/web")),
      call("logs:FilterLogEvents", arn("logs", "log-group:/ecs/prod/web")),
    ],
    deny: [
      call("logs:FilterLogEvents", arn("logs", "log-group:/ecs/prod/web-admin")),
      call("logs:PutLogEvents", arn("logs", "log-group:/ecs/prod/web:log-stream:web/app/0123")),
    ],
    risk: "low",
  },
  {
    name: "logs: Logs Insights queries on one group",
    source: DOCS.logs,
    request: file(
      "243-logs-insights",
      "Count the 5xx per minute",
      `
  - service: logs
    actions: [logs:StartQuery, logs:GetQueryResults, logs:StopQuery]
    resources: [/ecs/prod/web]`,
    ),
    allow: [call("logs:StartQuery", arn("logs", "log-group:/ecs/prod/web")), call("logs:GetQueryResults", arn("logs", "log-group:/ecs/prod/web"))],
    deny: [call("logs:StartQuery", arn("logs", "log-group:/ecs/prod/billing"))],
  },
  {
    name: "logs: write to a log group",
    source: DOCS.logs,
    request: file(
      "244-logs-write",
      "Backfill the audit events",
      `
  - service: logs
    actions: [logs:CreateLogStream, logs:PutLogEvents]
    resources: [/app/audit]`,
    ),
    allow: [
      call("logs:CreateLogStream", arn("logs", "log-group:/app/audit:log-stream:backfill-2026-11-27")),
      call("logs:PutLogEvents", arn("logs", "log-group:/app/audit:log-stream:backfill-2026-11-27")),
    ],
    deny: [
      call("logs:PutLogEvents", arn("logs", "log-group:/app/other:log-stream:x")),
      call("logs:DeleteLogStream", arn("logs", "log-group:/app/audit:log-stream:backfill-2026-11-27")),
    ],
  },
  // --------------------------------------------------------------------------- CloudWatch metrics
  {
    name: "cloudwatch: GetMetricData and ListMetrics (authorized on * only)",
    source: DOCS.cloudwatch,
    request: file(
      "245-metric-data",
      "Graph the latency of the last week",
      `
  - service: cloudwatch
    actions: [cloudwatch:GetMetricData, cloudwatch:ListMetrics, cloudwatch:DescribeAlarms]
    resources: [orders-high-latency]`,
    ),
    allow: [
      call("cloudwatch:GetMetricData", "*"),
      call("cloudwatch:ListMetrics", "*"),
      call("cloudwatch:DescribeAlarms", arn("cloudwatch", "alarm:orders-high-latency")),
    ],
    deny: [call("cloudwatch:PutMetricAlarm", arn("cloudwatch", "alarm:orders-high-latency"))],
  },
  {
    name: "cloudwatch: change one alarm",
    source: DOCS.cloudwatch,
    request: file(
      "246-alarm-write",
      "Raise the alarm threshold",
      `
  - service: cloudwatch
    actions: [cloudwatch:PutMetricAlarm, cloudwatch:DescribeAlarms, cloudwatch:SetAlarmState]
    resources: [alarm:orders-high-latency]`,
    ),
    allow: [
      call("cloudwatch:PutMetricAlarm", arn("cloudwatch", "alarm:orders-high-latency")),
      call("cloudwatch:SetAlarmState", arn("cloudwatch", "alarm:orders-high-latency")),
    ],
    deny: [
      call("cloudwatch:PutMetricAlarm", arn("cloudwatch", "alarm:billing-errors")),
      call("cloudwatch:DeleteAlarms", arn("cloudwatch", "alarm:orders-high-latency")),
    ],
  },
  {
    name: "cloudwatch: read a dashboard (a global ARN)",
    source: DOCS.cloudwatch,
    request: file(
      "247-dashboard-read",
      "Copy the ops dashboard",
      `
  - service: cloudwatch
    access: [read]
    resources: [dashboard/ops]`,
    ),
    allow: [call("cloudwatch:GetDashboard", `arn:aws:cloudwatch::${ACCOUNT}:dashboard/ops`)],
    deny: [
      call("cloudwatch:PutDashboard", `arn:aws:cloudwatch::${ACCOUNT}:dashboard/ops`),
      call("cloudwatch:GetDashboard", `arn:aws:cloudwatch::${ACCOUNT}:dashboard/finance`),
    ],
  },
  // ------------------------------------------------------------------------------------------ RDS
  {
    name: "rds: describe one instance",
    source: DOCS.rds,
    request: file(
      "248-rds-read",
      "Check the instance's parameter group",
      `
  - service: rds
    access: [read, list]
    resources: [orders-db]`,
    ),
    allow: [call("rds:DescribeDBInstances", arn("rds", "db:orders-db")), call("rds:ListTagsForResource", arn("rds", "db:orders-db"))],
    deny: [
      call("rds:DescribeDBInstances", arn("rds", "db:billing-db")),
      call("rds:ModifyDBInstance", arn("rds", "db:orders-db")),
      call("rds:DeleteDBInstance", arn("rds", "db:orders-db")),
    ],
  },
  {
    name: "rds: reboot one instance",
    source: DOCS.rds,
    request: file(
      "249-rds-reboot",
      "Apply the pending parameter change",
      `
  - service: rds
    actions: [rds:RebootDBInstance, rds:DescribeDBInstances]
    resources: [orders-db]`,
    ),
    allow: [call("rds:RebootDBInstance", arn("rds", "db:orders-db"))],
    deny: [call("rds:RebootDBInstance", arn("rds", "db:billing-db")), call("rds:StopDBInstance", arn("rds", "db:orders-db"))],
  },
  {
    name: "rds: a manual snapshot",
    source: DOCS.rds,
    request: file(
      "250-rds-manual-snapshot",
      "Copy the pre-migration snapshot to the test account",
      `
  - service: rds
    actions: [rds:DescribeDBSnapshots, rds:CopyDBSnapshot]
    resources: [snapshot:orders-pre-migration]`,
    ),
    allow: [
      call("rds:DescribeDBSnapshots", arn("rds", "snapshot:orders-pre-migration")),
      call("rds:CopyDBSnapshot", arn("rds", "snapshot:orders-pre-migration")),
    ],
    deny: [call("rds:DeleteDBSnapshot", arn("rds", "snapshot:orders-pre-migration")), call("rds:CopyDBSnapshot", arn("rds", "snapshot:billing-pre-migration"))],
  },
  {
    name: "rds: an automated snapshot (snapshot:rds:…)",
    source: DOCS.rdsSnap,
    request: file(
      "251-rds-automated-snapshot",
      "Restore last night's backup into staging",
      `
  - service: rds
    actions: [rds:DescribeDBSnapshots, rds:CopyDBSnapshot]
    resources: [snapshot:rds:orders-db-2026-11-26-03-10]`,
    ),
    allow: [
      call("rds:DescribeDBSnapshots", arn("rds", "snapshot:rds:orders-db-2026-11-26-03-10")),
      call("rds:CopyDBSnapshot", arn("rds", "snapshot:rds:orders-db-2026-11-26-03-10")),
    ],
    deny: [call("rds:CopyDBSnapshot", arn("rds", "snapshot:rds:billing-db-2026-11-26-03-10"))],
  },
  {
    name: "rds: ModifyDBInstance can reset the master password",
    source: DOCS.rds,
    request: file(
      "252-rds-modify",
      "Resize the instance",
      `
  - service: rds
    actions: [rds:ModifyDBInstance]
    resources: [orders-db]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  // ------------------------------------------------------------------------------- Athena and Glue
  {
    name: "athena: run queries in one workgroup",
    source: DOCS.athena,
    request: file(
      "253-athena-query",
      "Answer the finance question about refunds",
      `
  - service: athena
    actions: [athena:StartQueryExecution, athena:GetQueryExecution, athena:GetQueryResults, athena:StopQueryExecution]
    resources: [arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/analytics]`,
    ),
    allow: [call("athena:StartQueryExecution", arn("athena", "workgroup/analytics")), call("athena:GetQueryResults", arn("athena", "workgroup/analytics"))],
    deny: [call("athena:StartQueryExecution", arn("athena", "workgroup/primary")), call("athena:DeleteWorkGroup", arn("athena", "workgroup/analytics"))],
  },
  {
    name: "glue: read one database's table definitions",
    source: DOCS.glue,
    request: file(
      "254-glue-catalog-read",
      "Check the table schema behind the report",
      `
  - service: glue
    actions: [glue:GetTable, glue:GetTables, glue:GetDatabase, glue:GetPartitions]
    resources:
      - arn:aws:glue:${REGION}:${ACCOUNT}:catalog
      - arn:aws:glue:${REGION}:${ACCOUNT}:database/sales
      - arn:aws:glue:${REGION}:${ACCOUNT}:table/sales/*`,
    ),
    allow: [
      call("glue:GetTable", arn("glue", "catalog")),
      call("glue:GetTable", arn("glue", "database/sales")),
      call("glue:GetTable", arn("glue", "table/sales/orders")),
      call("glue:GetPartitions", arn("glue", "table/sales/orders")),
    ],
    deny: [call("glue:GetTable", arn("glue", "table/hr/salaries")), call("glue:DeleteTable", arn("glue", "table/sales/orders"))],
  },
  {
    name: "glue: start one job",
    source: DOCS.glue,
    request: file(
      "255-glue-job",
      "Re-run the failed ETL",
      `
  - service: glue
    actions: [glue:StartJobRun, glue:GetJobRun, glue:GetJobRuns]
    resources: [arn:aws:glue:${REGION}:${ACCOUNT}:job/nightly-etl]`,
    ),
    allow: [call("glue:StartJobRun", arn("glue", "job/nightly-etl")), call("glue:GetJobRun", arn("glue", "job/nightly-etl"))],
    deny: [call("glue:StartJobRun", arn("glue", "job/payroll-etl")), call("glue:UpdateJob", arn("glue", "job/nightly-etl"))],
  },
  {
    name: "athena + glue + s3: a query end to end",
    source: DOCS.athena,
    request: file(
      "256-athena-end-to-end",
      "Run the monthly revenue query",
      `
  - service: athena
    actions: [athena:StartQueryExecution, athena:GetQueryExecution, athena:GetQueryResults]
    resources: [arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/finance]
  - service: glue
    actions: [glue:GetTable, glue:GetDatabase, glue:GetPartitions]
    resources:
      - arn:aws:glue:${REGION}:${ACCOUNT}:catalog
      - arn:aws:glue:${REGION}:${ACCOUNT}:database/finance
      - arn:aws:glue:${REGION}:${ACCOUNT}:table/finance/*
  - service: s3
    access: [read, list]
    resources: [finance-lake]
  - service: s3
    actions: [s3:PutObject, s3:GetObject, s3:GetBucketLocation]
    resources: [athena-results-finance]`,
    ),
    allow: [
      call("athena:StartQueryExecution", arn("athena", "workgroup/finance")),
      call("glue:GetTable", arn("glue", "table/finance/revenue")),
      call("s3:GetObject", s3("finance-lake/revenue/2026/11/part-0.parquet")),
      call("s3:PutObject", s3("athena-results-finance/q/abc.csv")),
    ],
    deny: [
      call("s3:PutObject", s3("finance-lake/revenue/2026/11/part-0.parquet")),
      call("glue:GetTable", arn("glue", "table/hr/salaries")),
      call("athena:StartQueryExecution", arn("athena", "workgroup/primary")),
    ],
  },
  // ------------------------------------------------------------------------------ Step Functions
  {
    name: "states: start executions of one state machine",
    source: DOCS.states,
    request: file(
      "257-states-start",
      "Re-run the nightly ETL",
      `
  - service: states
    actions: [states:StartExecution, states:DescribeExecution]
    resources: [nightly-etl]`,
    ),
    allow: [
      call("states:StartExecution", arn("states", "stateMachine:nightly-etl")),
      call("states:DescribeExecution", arn("states", "execution:nightly-etl:rerun-2026-11-27")),
    ],
    deny: [
      call("states:StartExecution", arn("states", "stateMachine:payroll")),
      call("states:StopExecution", arn("states", "execution:nightly-etl:rerun-2026-11-27")),
    ],
  },
  {
    name: "states: read executions and their history",
    source: DOCS.states,
    request: file(
      "258-states-read",
      "Find the failed step",
      `
  - service: states
    access: [read, list]
    resources: [nightly-etl]`,
    ),
    allow: [
      call("states:DescribeExecution", arn("states", "execution:nightly-etl:run-42")),
      call("states:GetExecutionHistory", arn("states", "execution:nightly-etl:run-42")),
      call("states:DescribeStateMachine", arn("states", "stateMachine:nightly-etl")),
    ],
    deny: [
      call("states:StartExecution", arn("states", "stateMachine:nightly-etl")),
      call("states:GetExecutionHistory", arn("states", "execution:payroll:run-1")),
    ],
    risk: "low",
  },
  {
    name: "states: UpdateStateMachine can change the role and the code it runs",
    source: DOCS.states,
    request: file(
      "259-states-update",
      "Fix the retry policy",
      `
  - service: states
    actions: [states:UpdateStateMachine]
    resources: [nightly-etl]`,
    ),
    allow: [],
    deny: [],
    refused: true,
  },
  // ------------------------------------------------------------------------------------------ EC2
  {
    name: "ec2: start, stop and reboot one instance",
    source: DOCS.ec2,
    request: file(
      "260-ec2-operate",
      "Restart the stuck batch worker",
      `
  - service: ec2
    actions: [ec2:StartInstances, ec2:StopInstances, ec2:RebootInstances]
    resources: [${INSTANCE}]`,
    ),
    allow: [call("ec2:StartInstances", arn("ec2", `instance/${INSTANCE}`)), call("ec2:RebootInstances", arn("ec2", `instance/${INSTANCE}`))],
    deny: [call("ec2:TerminateInstances", arn("ec2", `instance/${INSTANCE}`)), call("ec2:StopInstances", arn("ec2", `instance/${OTHER_INSTANCE}`))],
  },
  {
    name: "ec2: list (Describe*) within the policy size quota",
    source: DOCS.ec2,
    request: file(
      "261-ec2-list",
      "Inventory the VPC",
      `
  - service: ec2
    access: [list]
    resources: [${INSTANCE}]`,
    ),
    allow: [call("ec2:DescribeInstances", "*"), call("ec2:DescribeSecurityGroups", "*"), call("ec2:DescribeVolumes", "*")],
    deny: [call("ec2:StopInstances", arn("ec2", `instance/${INSTANCE}`))],
  },
  {
    name: "ec2: open a port on one security group",
    source: DOCS.ec2,
    request: file(
      "262-ec2-sg-rule",
      "Allow the new load balancer in",
      `
  - service: ec2
    actions: [ec2:AuthorizeSecurityGroupIngress, ec2:RevokeSecurityGroupIngress]
    resources: [${SG}]`,
    ),
    allow: [
      call("ec2:AuthorizeSecurityGroupIngress", arn("ec2", `security-group/${SG}`)),
      call("ec2:RevokeSecurityGroupIngress", arn("ec2", `security-group/${SG}`)),
    ],
    deny: [
      call("ec2:AuthorizeSecurityGroupIngress", arn("ec2", "security-group/sg-0fedcba9876543210")),
      call("ec2:DeleteSecurityGroup", arn("ec2", `security-group/${SG}`)),
    ],
  },
  {
    name: "ec2-instance-connect: push an SSH key to one instance (an EC2 ARN)",
    source: DOCS.eic,
    request: file(
      "263-instance-connect",
      "SSH to the bastion",
      `
  - service: ec2-instance-connect
    actions: [ec2-instance-connect:SendSSHPublicKey]
    resources: [arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${INSTANCE}]`,
    ),
    allow: [call("ec2-instance-connect:SendSSHPublicKey", arn("ec2", `instance/${INSTANCE}`))],
    deny: [call("ec2-instance-connect:SendSSHPublicKey", arn("ec2", `instance/${OTHER_INSTANCE}`))],
  },
  // ------------------------------------------------------------------------------------------ STS
  {
    name: "sts: assume one role (an IAM ARN; high risk)",
    source: DOCS.sts,
    request: file(
      "264-assume-deploy-role",
      "Run the deploy by hand",
      `
  - service: sts
    actions: [sts:AssumeRole]
    resources: [arn:aws:iam::${ACCOUNT}:role/deploy]`,
    ),
    allow: [call("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/deploy`)],
    deny: [call("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/admin`), call("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/deploy-admin`)],
    risk: "high",
  },
  // ------------------------------------------------------------------------------------------ SQS
  {
    name: "sqs: consume one queue",
    source: DOCS.sqs,
    request: file(
      "265-sqs-consume",
      "Drain the stuck jobs by hand",
      `
  - service: sqs
    actions: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:ChangeMessageVisibility]
    resources: [jobs]`,
    ),
    allow: [call("sqs:ReceiveMessage", arn("sqs", "jobs")), call("sqs:DeleteMessage", arn("sqs", "jobs"))],
    deny: [call("sqs:ReceiveMessage", arn("sqs", "jobs-dlq")), call("sqs:SendMessage", arn("sqs", "jobs")), call("sqs:PurgeQueue", arn("sqs", "jobs"))],
  },
  {
    name: "sqs: move messages from the dead-letter queue back",
    source: DOCS.sqs,
    request: file(
      "266-sqs-redrive",
      "Redrive the failed jobs",
      `
  - service: sqs
    actions: [sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes]
    resources: [jobs-dlq]
  - service: sqs
    actions: [sqs:SendMessage]
    resources: [jobs]`,
    ),
    allow: [call("sqs:ReceiveMessage", arn("sqs", "jobs-dlq")), call("sqs:SendMessage", arn("sqs", "jobs"))],
    deny: [call("sqs:SendMessage", arn("sqs", "jobs-dlq")), call("sqs:ReceiveMessage", arn("sqs", "jobs"))],
  },
  {
    name: "sqs: read a FIFO queue's attributes",
    source: DOCS.sqs,
    request: file(
      "267-sqs-fifo-read",
      "Check the FIFO queue's backlog",
      `
  - service: sqs
    access: [read]
    resources: [orders.fifo]`,
    ),
    allow: [call("sqs:GetQueueAttributes", arn("sqs", "orders.fifo"))],
    deny: [call("sqs:GetQueueAttributes", arn("sqs", "orders")), call("sqs:SendMessage", arn("sqs", "orders.fifo"))],
  },
  // ------------------------------------------------------------------------------------------ SNS
  {
    name: "sns: publish to one topic",
    source: DOCS.sns,
    request: file(
      "268-sns-publish",
      "Send the maintenance notice",
      `
  - service: sns
    actions: [sns:Publish]
    resources: [customer-notices]`,
    ),
    allow: [call("sns:Publish", arn("sns", "customer-notices"))],
    deny: [
      call("sns:Publish", arn("sns", "customer-notices-test")),
      call("sns:Subscribe", arn("sns", "customer-notices")),
      call("sns:SetTopicAttributes", arn("sns", "customer-notices")),
    ],
  },
  {
    name: "sns: read a topic and its subscriptions",
    source: DOCS.sns,
    request: file(
      "269-sns-read",
      "Check who receives the alerts",
      `
  - service: sns
    access: [read, list]
    resources: [alerts]`,
    ),
    allow: [call("sns:GetTopicAttributes", arn("sns", "alerts")), call("sns:ListSubscriptionsByTopic", arn("sns", "alerts"))],
    deny: [call("sns:Publish", arn("sns", "alerts")), call("sns:GetTopicAttributes", arn("sns", "billing"))],
    risk: "low",
  },
];
