// Companion permissions: actions an everyday task needs besides the ones its access level names
// (docker pull needs a registry token, reading a log stream starts by listing the streams).
// A companion is added to the request item when it cannot widen access beyond what the item
// already grants; otherwise (it would reach other resources, or the resource is not known, like
// the KMS key of an encrypted bucket) the plan warns with the exact request lines to add.
// Pure data plus one lookup; the generator applies it. Reading SSE-KMS objects (kms:Decrypt) is
// left out on purpose: it would put a hint on nearly every S3 read.

export interface Companion {
  /** The task, as people say it. */
  task: string;
  service: string;
  /** The companion applies when the item is granted any of these actions (service:Name). */
  when: readonly string[];
  /** Only when the item names a resource of this type (e.g. an ECS service). */
  whenType?: string;
  /**
   * include: the actions are added, on the item's resources of `onType`, or on "*" when AWS
   * authorizes them only there. warn: the plan names `lines` for the author to add.
   */
  kind: "include" | "warn";
  actions: readonly string[];
  onType?: string;
  /**
   * For warn: the request item to add, one line of YAML. `${Placeholder}`s of the `whenType`
   * resource's ARN format are filled from the item (the ECS service's cluster); UPPER_CASE
   * words are for the author (KEY_ID: the KMS key's id, unknown to the request).
   */
  line?: string;
  why: string;
  source: string;
}

export const COMPANIONS: readonly Companion[] = [
  {
    task: "pull an image from ECR (docker login, then docker pull)",
    service: "ecr",
    when: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    kind: "include",
    actions: ["ecr:GetAuthorizationToken"],
    why: "docker login needs a registry token, which AWS authorizes only on *; the token carries only the caller's own ECR permissions, so it reaches no repository this grant does not",
    source: "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetAuthorizationToken.html",
  },
  {
    task: "read a log group's events",
    service: "logs",
    when: ["logs:GetLogEvents"],
    kind: "include",
    actions: ["logs:DescribeLogStreams"],
    onType: "log-group",
    why: "GetLogEvents needs a stream name, found with DescribeLogStreams on the same log group, whose events the grant already reads",
    source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html",
  },
  {
    task: "look into a named ECS service's tasks",
    service: "ecs",
    when: ["ecs:DescribeServices"],
    whenType: "service",
    kind: "warn",
    actions: ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:DescribeTaskDefinition"],
    line: "- { service: ecs, actions: [ecs:ListTasks, ecs:DescribeTasks, ecs:DescribeTaskDefinition], resources: [${ClusterName}] }",
    why: "the service's tasks are listed and described per cluster (task/CLUSTER/*), and AWS authorizes DescribeTaskDefinition only on *, which reads every task definition's environment: both reach beyond the named service",
    source:
      "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html; https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html",
  },
  {
    task: "write objects to a bucket encrypted with SSE-KMS",
    service: "s3",
    when: ["s3:PutObject"],
    kind: "warn",
    actions: ["kms:GenerateDataKey", "kms:Decrypt"],
    line: "- { service: kms, actions: [kms:GenerateDataKey, kms:Decrypt], resources: [KEY_ID] }",
    why: "uploading under SSE-KMS with a customer managed key needs GenerateDataKey (and Decrypt for multipart uploads) on that key, which the request does not name",
    source: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
  },
  {
    task: "send to an encrypted SQS queue",
    service: "sqs",
    when: ["sqs:SendMessage"],
    kind: "warn",
    actions: ["kms:GenerateDataKey", "kms:Decrypt"],
    line: "- { service: kms, actions: [kms:GenerateDataKey, kms:Decrypt], resources: [KEY_ID] }",
    why: "a queue with SSE-KMS under a customer managed key needs GenerateDataKey and Decrypt on that key from the sender",
    source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html",
  },
  {
    task: "receive from an encrypted SQS queue",
    service: "sqs",
    when: ["sqs:ReceiveMessage"],
    kind: "warn",
    actions: ["kms:Decrypt"],
    line: "- { service: kms, actions: [kms:Decrypt], resources: [KEY_ID] }",
    why: "a queue with SSE-KMS under a customer managed key needs Decrypt on that key from the receiver",
    source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html",
  },
  {
    task: "publish to an encrypted SNS topic",
    service: "sns",
    when: ["sns:Publish"],
    kind: "warn",
    actions: ["kms:GenerateDataKey", "kms:Decrypt"],
    line: "- { service: kms, actions: [kms:GenerateDataKey, kms:Decrypt], resources: [KEY_ID] }",
    why: "a topic with SSE under a customer managed key needs GenerateDataKey and Decrypt on that key from the publisher",
    source: "https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html",
  },
];

/** The companions of a service whose trigger is among `granted` (lower-case full names). */
export function companionsFor(service: string, granted: ReadonlySet<string>): Companion[] {
  return COMPANIONS.filter((c) => c.service === service && c.when.some((a) => granted.has(a.toLowerCase())));
}
