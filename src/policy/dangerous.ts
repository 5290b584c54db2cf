// The curated list of dangerous IAM actions the guardrails refuse unless the repository config
// accepts them (`allowed_dangerous_actions`, at risk high). Pure data plus tiny lookups.
//
// Sources (each entry names its own):
// - Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and Mitigation" (Spencer
//   Gietzen): https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/
// - Bishop Fox's five categories of AWS privilege escalation, as encoded in cloudsplaining's
//   PRIVILEGE_ESCALATION_METHODS (salesforce/cloudsplaining, cloudsplaining/shared/constants.py),
//   which also carries the newer paths from pathfinding.cloud (Datadog).
// - cloudsplaining's READ_ONLY_DATA_EXFILTRATION_ACTIONS (same file) for unscoped reads.
// - The credentials-exposure list used by cloudsplaining and Parliament's community auditors
//   (https://gist.github.com/kmcquade/33860a617e651104d243c324ddf7992a; its `gamelist:` typo is
//   spelled `gamelift:` here), and AWS's own "read-only but returns credentials" deny list in the
//   AWS Chatbot ReadonlyCommands policy (aws-cdk, aws-chatbot).
// - IAM Access Analyzer policy checks, security warning "PassRole with star in resource":
//   https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html
// - cloudsplaining's ResourceExposure finding (Permissions-management actions without resource
//   constraints) and the resource types IAM Access Analyzer reports external access for.
// - Code execution and interactive sessions: AWS's own warnings (Systems Manager user guide,
//   "Restricting access to root-level commands through SSM Agent"; ECS developer guide, "Monitor
//   Amazon ECS containers with ECS Exec"; Step Functions API reference, UpdateStateMachine), the
//   pathfinding.cloud paths ssm-001, ssm-002 and ecs-006, Stratus Red Team's Lambda extension
//   technique, and the master-password detection rules of Elastic and HackTricks' RDS page.
//
// Every action named here exists in the AWS service authorization data (a test checks it), so a
// rename upstream shows up as a failing test instead of a silently dead entry.

export type DangerCategory = "privilege-escalation" | "data-exposure-unscoped" | "resource-exposure" | "credentials-exposure";

/**
 * When an entry is dangerous:
 * - `always`: whatever resources it is granted on;
 * - `unscoped`: only when granted on `*` or on an ARN whose wildcard covers every resource of
 *   the type (e.g. `arn:aws:iam::123456789012:role/*`, `arn:aws:s3:::*\/*`).
 */
export type DangerScope = "always" | "unscoped";

export interface DangerousAction {
  /** service:Action as AWS spells it. */
  action: string;
  category: DangerCategory;
  scope: DangerScope;
  /** One sentence: what the holder can do with it. */
  why: string;
  source: string;
  /**
   * For an `unscoped` entry: even on named resources the request is risk high, and reviewers are
   * told this (what the holder can do there). Such an action is needed for real tasks, so it is
   * not refused on named resources; on unscoped ones it is, like any `unscoped` entry.
   */
  scopedWhy?: string;
}

/** Actions that are dangerous only together, in the same policy (any statements). */
export interface DangerousCombination {
  /** Short name, after cloudsplaining's method names. */
  name: string;
  actions: string[];
  category: DangerCategory;
  why: string;
  source: string;
}

const RHINO = "Rhino Security Labs privilege-escalation methods; cloudsplaining PRIVILEGE_ESCALATION_METHODS";
const PATHFINDING = "pathfinding.cloud (Datadog) via cloudsplaining PRIVILEGE_ESCALATION_METHODS";
const EXFIL = "cloudsplaining READ_ONLY_DATA_EXFILTRATION_ACTIONS";
const CREDS = "cloudsplaining/Parliament credentials-exposure list (gist kmcquade/33860a617e651104d243c324ddf7992a)";
const CHATBOT = "AWS Chatbot ReadonlyCommands deny list (aws-cdk aws-chatbot): read-only actions that return credentials";
const ANALYZER_PASSROLE = "IAM Access Analyzer security warning: PassRole with star in resource";
const EXPOSURE = "cloudsplaining ResourceExposure; IAM Access Analyzer external-access resource types";
const SSM_ROOT =
  "AWS Systems Manager user guide, Restricting access to root-level commands through SSM Agent (SendCommand and StartSession run as root/SYSTEM)";

function d(action: string, category: DangerCategory, scope: DangerScope, why: string, source: string, extra: Partial<DangerousAction> = {}): DangerousAction {
  return { action, category, scope, why, source, ...extra };
}

export const DANGEROUS_ACTIONS: readonly DangerousAction[] = [
  // --- Privilege escalation on its own (Rhino Security Labs methods 1-21 / Bishop Fox categories)
  // 1. IAM permissions on other users
  d(
    "iam:CreateAccessKey",
    "privilege-escalation",
    "always",
    "creates long-lived access keys for another (possibly more privileged) IAM user; the keys outlive the grant",
    RHINO,
  ),
  d("iam:CreateLoginProfile", "privilege-escalation", "always", "sets a console password for another IAM user and signs in as that user", RHINO),
  d("iam:UpdateLoginProfile", "privilege-escalation", "always", "changes another IAM user's console password and signs in as that user", RHINO),
  d("iam:AddUserToGroup", "privilege-escalation", "always", "adds a user (e.g. oneself) to a more privileged group", RHINO),
  // 2. Permissions on policies
  d("iam:CreatePolicyVersion", "privilege-escalation", "always", "rewrites a managed policy (set as default) to grant anything, including to oneself", RHINO),
  d("iam:SetDefaultPolicyVersion", "privilege-escalation", "always", "switches a managed policy to an older, broader version", RHINO),
  d("iam:AttachUserPolicy", "privilege-escalation", "always", "attaches any managed policy (e.g. AdministratorAccess) to a user, including oneself", RHINO),
  d("iam:AttachGroupPolicy", "privilege-escalation", "always", "attaches any managed policy to a group, including one's own", RHINO),
  d("iam:AttachRolePolicy", "privilege-escalation", "always", "attaches any managed policy to a role one can assume or pass", RHINO),
  d("iam:PutUserPolicy", "privilege-escalation", "always", "writes an arbitrary inline policy on a user, including oneself", RHINO),
  d("iam:PutGroupPolicy", "privilege-escalation", "always", "writes an arbitrary inline policy on a group, including one's own", RHINO),
  d("iam:PutRolePolicy", "privilege-escalation", "always", "writes an arbitrary inline policy on a role one can assume or pass", RHINO),
  // 3. Updating an AssumeRole policy
  d("iam:UpdateAssumeRolePolicy", "privilege-escalation", "always", "rewrites a role's trust policy so that oneself (or anyone) can assume it", RHINO),
  // 4. iam:PassRole: alone it is dangerous on every role; its combinations are listed below
  d(
    "iam:PassRole",
    "privilege-escalation",
    "unscoped",
    "passes any role in the account to a service, which then acts with that role's permissions",
    `${ANALYZER_PASSROLE}; ${RHINO}`,
  ),
  // 5. Privilege escalation through AWS services
  d("glue:UpdateDevEndpoint", "privilege-escalation", "always", "adds an SSH key to an existing Glue dev endpoint and uses its role's credentials", RHINO),
  d(
    "lambda:UpdateFunctionCode",
    "privilege-escalation",
    "always",
    "replaces the code of an existing function, which then runs with the function's role",
    RHINO,
  ),
  d(
    "sagemaker:CreatePresignedNotebookInstanceUrl",
    "privilege-escalation",
    "always",
    "opens a Jupyter session on an existing notebook instance and uses its role's credentials",
    PATHFINDING,
  ),
  // Code execution on existing compute, which then acts with its role (and its data)
  d(
    "ssm:SendCommand",
    "privilege-escalation",
    "always",
    "runs any command as root/SYSTEM on an instance and reads its instance role's credentials; commands keep running after the grant ends",
    `${SSM_ROOT}; pathfinding.cloud ssm-002`,
  ),
  d(
    "ssm:StartSession",
    "privilege-escalation",
    "always",
    "opens a root shell (or port forwarding) on an instance and reads its instance role's credentials; a session opened before expiry stays open after it",
    `${SSM_ROOT}; pathfinding.cloud ssm-001`,
  ),
  // A State Manager association runs a document (AWS-RunShellScript …) on its targets like
  // SendCommand, and again on its schedule after the grant ends.
  d(
    "ssm:CreateAssociation",
    "privilege-escalation",
    "always",
    "runs any command as root/SYSTEM on an instance through a State Manager association (e.g. the AWS-RunShellScript document) and reads its instance role's credentials; the association keeps running on its schedule after the grant ends",
    `${SSM_ROOT}; AWS Systems Manager user guide, State Manager associations`,
  ),
  d(
    "ssm:CreateAssociationBatch",
    "privilege-escalation",
    "always",
    "runs any command as root/SYSTEM on instances through State Manager associations and reads their instance roles' credentials; the associations keep running after the grant ends",
    `${SSM_ROOT}; AWS Systems Manager user guide, State Manager associations`,
  ),
  d(
    "ssm:UpdateAssociation",
    "privilege-escalation",
    "always",
    "changes an existing State Manager association's document, parameters (the commands) or targets, so any command runs as root/SYSTEM on instances with their instance roles",
    `${SSM_ROOT}; AWS Systems Manager API reference, UpdateAssociation`,
  ),
  // An Auto Scaling group or fleet that launches `$Latest` takes a new version at once.
  d(
    "ec2:CreateLaunchTemplateVersion",
    "privilege-escalation",
    "unscoped",
    "adds a version with own user data to any launch template; groups that launch $Latest run it as root with the template's instance profile",
    "Amazon EC2 Auto Scaling user guide, launch template versions ($Latest, $Default); pathfinding.cloud via cloudsplaining (ModifyExistingEC2LaunchTemplate)",
    {
      scopedWhy:
        "adds a version with own user data to the named launch template; an Auto Scaling group or fleet that launches $Latest runs it as root with the template's instance profile, without ec2:ModifyLaunchTemplate",
    },
  ),
  // Running a task is an everyday need, but its command can be overridden: named, it is risk high.
  d(
    "ecs:RunTask",
    "privilege-escalation",
    "unscoped",
    "runs any command (containerOverrides) in a task of any task definition, with that task definition's task role",
    "AWS ECS API reference, RunTask overrides (a command override needs no iam:PassRole; only a taskRoleArn override does)",
    {
      scopedWhy:
        "can override the container command (containerOverrides) and so runs any code with the named task definition's task role, whose permissions this policy does not show — check them before approving",
    },
  ),
  d(
    "ecs:StartTask",
    "privilege-escalation",
    "unscoped",
    "runs any command (containerOverrides) in a task of any task definition, with that task definition's task role",
    "AWS ECS API reference, StartTask overrides (a command override needs no iam:PassRole; only a taskRoleArn override does)",
    {
      scopedWhy:
        "can override the container command (containerOverrides) and so runs any code with the named task definition's task role, whose permissions this policy does not show — check them before approving",
    },
  ),
  d(
    "ecs:ExecuteCommand",
    "privilege-escalation",
    "always",
    "opens a shell in a running container and reads its task role's credentials; a session opened before expiry stays open after it",
    "AWS ECS developer guide, ECS Exec (IAM permissions for ECS Exec); pathfinding.cloud ecs-006 (paired there with ecs:DescribeTasks, which only looks up a task id that ListTasks or the console also give)",
  ),
  d(
    "lambda:UpdateFunctionConfiguration",
    "privilege-escalation",
    "always",
    "adds a layer or extension, or an AWS_LAMBDA_EXEC_WRAPPER environment variable, so own code runs in an existing function with its role; the change outlives the grant",
    "Stratus Red Team aws.persistence.lambda-layer-extension (Datadog); AWS Lambda developer guide, execution environment wrapper scripts",
  ),
  d(
    "states:UpdateStateMachine",
    "privilege-escalation",
    "always",
    "rewrites an existing state machine's definition to call any AWS API through SDK integrations with the state machine's role; the change outlives the grant",
    "AWS Step Functions API reference, UpdateStateMachine (definition and roleArn); Step Functions AWS SDK service integrations",
  ),
  d(
    "rds:ModifyDBInstance",
    "privilege-escalation",
    "always",
    "resets the master user password of a database instance (MasterUserPassword) and signs in to every database on it as the administrator",
    "AWS RDS API reference, ModifyDBInstance MasterUserPassword; Elastic detection rule AWS RDS DB Instance or Cluster Password Modified; HackTricks aws-rds-privesc (rds:ModifyDBInstance)",
  ),
  d(
    "rds:ModifyDBCluster",
    "privilege-escalation",
    "always",
    "resets the master user password of a database cluster (MasterUserPassword) and signs in to every database on it as the administrator",
    "AWS RDS API reference, ModifyDBCluster MasterUserPassword; Elastic detection rule AWS RDS DB Instance or Cluster Password Modified",
  ),

  // --- Credentials exposure: the API response is (or mints) a credential
  d("iam:CreateServiceSpecificCredential", "credentials-exposure", "always", "creates a CodeCommit/Keyspaces password for an IAM user", CREDS),
  d("iam:ResetServiceSpecificCredential", "credentials-exposure", "always", "resets and returns a service-specific password of an IAM user", CREDS),
  d("iam:UpdateAccessKey", "credentials-exposure", "always", "re-activates a disabled (possibly leaked) access key", CREDS),
  d("sts:GetFederationToken", "credentials-exposure", "always", "mints federated-user credentials that outlive this grant's session", CREDS),
  d("sts:GetSessionToken", "credentials-exposure", "always", "mints session credentials for the caller", CREDS),
  d(
    "sts:AssumeRole",
    "credentials-exposure",
    "unscoped",
    "returns credentials of every role whose trust policy allows the caller",
    `${CREDS}; DESIGN.md (sts:AssumeRole on *)`,
    {
      scopedWhy:
        "receives the named role's credentials and acts with all of that role's permissions, which this policy does not show — check them before approving",
    },
  ),
  // Not ecr:GetAuthorizationToken: the token "can be used to access any Amazon ECR registry that
  // your IAM principal has access to" (ECR API reference), i.e. it carries only the caller's own
  // ECR permissions; an ECR pull needs it (src/policy/companions.ts).
  d("redshift:GetClusterCredentials", "credentials-exposure", "always", "returns a temporary database password for a Redshift user", `${CREDS}; ${CHATBOT}`),
  d("rds-db:connect", "credentials-exposure", "always", "signs in to an RDS database as a database user with IAM authentication", CREDS),
  d("cognito-identity:GetCredentialsForIdentity", "credentials-exposure", "always", "returns AWS credentials for a Cognito identity", CREDS),
  d("cognito-identity:GetOpenIdToken", "credentials-exposure", "always", "returns an OpenID token for a Cognito identity", CREDS),
  d("cognito-identity:GetOpenIdTokenForDeveloperIdentity", "credentials-exposure", "always", "returns an OpenID token for any developer identity", CREDS),
  d("cognito-idp:AssociateSoftwareToken", "credentials-exposure", "always", "returns a TOTP secret for a user's MFA", CREDS),
  d("codepipeline:PollForJobs", "credentials-exposure", "always", "returns job details including temporary artifact-store credentials", CREDS),
  d("connect:GetFederationToken", "credentials-exposure", "always", "returns a token for the Amazon Connect admin console", CREDS),
  d("gamelift:RequestUploadCredentials", "credentials-exposure", "always", "returns temporary S3 upload credentials", CREDS),
  d("gamelift:GetInstanceAccess", "credentials-exposure", "always", "returns remote-access credentials of a fleet instance", CHATBOT),
  d("lightsail:GetInstanceAccessDetails", "credentials-exposure", "always", "returns SSH keys or a password for an instance", `${CREDS}; ${CHATBOT}`),
  d("lightsail:GetRelationalDatabaseMasterUserPassword", "credentials-exposure", "always", "returns a database master password", CREDS),
  d("lightsail:DownloadDefaultKeyPair", "credentials-exposure", "always", "returns the region's default private SSH key", CHATBOT),
  d("mediapackage:RotateIngestEndpointCredentials", "credentials-exposure", "always", "returns new ingest endpoint credentials", CREDS),
  d("ec2:GetPasswordData", "credentials-exposure", "always", "returns the encrypted Windows administrator password of an instance", CHATBOT),
  d("storagegateway:DescribeChapCredentials", "credentials-exposure", "always", "returns iSCSI CHAP secrets", CHATBOT),

  // --- Data exposure when unscoped: secrets and objects of every resource in the account
  d("s3:GetObject", "data-exposure-unscoped", "unscoped", "reads every object in every bucket", EXFIL),
  d("s3:GetObjectVersion", "data-exposure-unscoped", "unscoped", "reads every version of every object in every bucket", `${EXFIL} (s3:GetObject)`),
  d("ssm:GetParameter", "data-exposure-unscoped", "unscoped", "reads every SSM parameter, including SecureStrings", EXFIL),
  d("ssm:GetParameters", "data-exposure-unscoped", "unscoped", "reads every SSM parameter, including SecureStrings", EXFIL),
  d("ssm:GetParametersByPath", "data-exposure-unscoped", "unscoped", "reads every SSM parameter, including SecureStrings", EXFIL),
  d("ssm:GetParameterHistory", "data-exposure-unscoped", "unscoped", "reads past values of every SSM parameter", `${EXFIL} (ssm:GetParameter*)`),
  d("secretsmanager:GetSecretValue", "data-exposure-unscoped", "unscoped", "reads every secret in Secrets Manager", EXFIL),

  // --- Resource exposure when unscoped: rewrite resource policies / sharing of every resource
  d("s3:PutBucketPolicy", "resource-exposure", "unscoped", "can make any bucket public or shared with another account", EXPOSURE),
  d("s3:PutBucketAcl", "resource-exposure", "unscoped", "can make any bucket public through its ACL", EXPOSURE),
  d("s3:PutObjectAcl", "resource-exposure", "unscoped", "can make any object public through its ACL", EXPOSURE),
  d("s3:PutAccessPointPolicy", "resource-exposure", "unscoped", "can open any access point to other principals", EXPOSURE),
  d("s3:PutBucketPublicAccessBlock", "resource-exposure", "unscoped", "can switch off Block Public Access on any bucket", EXPOSURE),
  d("s3:PutAccountPublicAccessBlock", "resource-exposure", "unscoped", "can switch off Block Public Access for the whole account", EXPOSURE),
  d("kms:PutKeyPolicy", "resource-exposure", "unscoped", "can hand any KMS key to another account", EXPOSURE),
  d("kms:CreateGrant", "resource-exposure", "unscoped", "can let any principal use any KMS key", EXPOSURE),
  d("lambda:AddPermission", "resource-exposure", "unscoped", "can let anyone invoke any function", EXPOSURE),
  d("lambda:AddLayerVersionPermission", "resource-exposure", "unscoped", "can share any layer publicly", EXPOSURE),
  d("sns:AddPermission", "resource-exposure", "unscoped", "can open any topic to other accounts", EXPOSURE),
  d("sns:SetTopicAttributes", "resource-exposure", "unscoped", "can rewrite the access policy of any topic", EXPOSURE),
  d("sqs:AddPermission", "resource-exposure", "unscoped", "can open any queue to other accounts", EXPOSURE),
  d("sqs:SetQueueAttributes", "resource-exposure", "unscoped", "can rewrite the access policy of any queue", EXPOSURE),
  d("secretsmanager:PutResourcePolicy", "resource-exposure", "unscoped", "can share any secret with another account", EXPOSURE),
  d("ecr:SetRepositoryPolicy", "resource-exposure", "unscoped", "can make any image repository public or cross-account", EXPOSURE),
  d("glacier:SetVaultAccessPolicy", "resource-exposure", "unscoped", "can open any vault to other accounts", EXPOSURE),
  d("ec2:ModifySnapshotAttribute", "resource-exposure", "unscoped", "can make any EBS snapshot public", EXPOSURE),
  d("ec2:ModifyImageAttribute", "resource-exposure", "unscoped", "can make any AMI public", EXPOSURE),
  // AWS files these under Write: on a named snapshot the whole database can still leave the account.
  d(
    "rds:ModifyDBSnapshotAttribute",
    "resource-exposure",
    "unscoped",
    "can share any database snapshot publicly",
    `${EXPOSURE}; AWS RDS API reference, ModifyDBSnapshotAttribute (restore: an account id, or all)`,
    {
      scopedWhy:
        "can share the named snapshot with another AWS account or make it public (restore: all), so the whole database can be restored outside this account; the sharing outlives the grant",
    },
  ),
  d(
    "rds:ModifyDBClusterSnapshotAttribute",
    "resource-exposure",
    "unscoped",
    "can share any cluster snapshot publicly",
    `${EXPOSURE}; AWS RDS API reference, ModifyDBClusterSnapshotAttribute (restore: an account id, or all)`,
    {
      scopedWhy:
        "can share the named cluster snapshot with another AWS account or make it public (restore: all), so the whole database can be restored outside this account; the sharing outlives the grant",
    },
  ),
  d("ram:CreateResourceShare", "resource-exposure", "unscoped", "can share resources with other accounts", EXPOSURE),
  d("logs:PutResourcePolicy", "resource-exposure", "unscoped", "can let other principals write to log groups", EXPOSURE),
  d("backup:PutBackupVaultAccessPolicy", "resource-exposure", "unscoped", "can open any backup vault to other accounts", EXPOSURE),
  d("elasticfilesystem:PutFileSystemPolicy", "resource-exposure", "unscoped", "can open any file system to other principals", EXPOSURE),
  d("events:PutPermission", "resource-exposure", "unscoped", "can let other accounts put events on the event bus", EXPOSURE),
  d("glue:PutResourcePolicy", "resource-exposure", "unscoped", "can share the Glue data catalog with other accounts", EXPOSURE),
];

function c(name: string, actions: string[], why: string, source: string): DangerousCombination {
  return { name, actions, category: "privilege-escalation", why, source };
}

/**
 * Combinations from Rhino's iam:PassRole methods and the pathfinding.cloud paths in
 * cloudsplaining (minimal sets only: where cloudsplaining lists a superset as well, e.g.
 * `ecs:CreateCluster` + the task actions, the smaller set already covers it).
 */
export const DANGEROUS_COMBINATIONS: readonly DangerousCombination[] = [
  c("CreateEC2WithExistingIP", ["iam:PassRole", "ec2:RunInstances"], "launches an instance with a passed role and reads the role's credentials from it", RHINO),
  c(
    "PassExistingRoleToNewEC2SpotInstance",
    ["iam:PassRole", "ec2:RequestSpotInstances"],
    "launches a spot instance with a passed role and reads its credentials",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewLambdaThenInvoke",
    ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"],
    "creates a function with a passed role and runs own code with it",
    RHINO,
  ),
  c(
    "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
    ["iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
    "creates a function with a passed role and triggers it from an event source",
    RHINO,
  ),
  c(
    "PassExistingRoleToNewLambdaThenAddPermission",
    ["iam:PassRole", "lambda:CreateFunction", "lambda:AddPermission"],
    "creates a function with a passed role and lets oneself invoke it",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewGlueDevEndpoint",
    ["iam:PassRole", "glue:CreateDevEndpoint"],
    "creates a Glue dev endpoint with a passed role and logs in to it",
    RHINO,
  ),
  c(
    "PassExistingRoleToNewGlueJobThenRun",
    ["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
    "creates and runs a Glue job with a passed role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewGlueJobViaTrigger",
    ["iam:PassRole", "glue:CreateJob", "glue:CreateTrigger"],
    "creates a Glue job with a passed role and triggers it",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToUpdatedGlueJobThenRun",
    ["iam:PassRole", "glue:UpdateJob", "glue:StartJobRun"],
    "points a Glue job at a passed role and runs it",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToUpdatedGlueJobViaTrigger",
    ["iam:PassRole", "glue:UpdateJob", "glue:CreateTrigger"],
    "points a Glue job at a passed role and triggers it",
    PATHFINDING,
  ),
  c("PassExistingRoleToCloudFormation", ["iam:PassRole", "cloudformation:CreateStack"], "creates a stack that provisions anything with a passed role", RHINO),
  c(
    "PassExistingRoleToNewCloudFormationStackSet",
    ["iam:PassRole", "cloudformation:CreateStackSet", "cloudformation:CreateStackInstances"],
    "deploys a stack set with a passed administration role",
    PATHFINDING,
  ),
  c("PassRoleToUpdateCloudFormationStackSet", ["iam:PassRole", "cloudformation:UpdateStackSet"], "re-deploys a stack set with a passed role", PATHFINDING),
  c("PassExistingRoleToNewDataPipeline", ["iam:PassRole", "datapipeline:CreatePipeline"], "creates a pipeline that runs commands with a passed role", RHINO),
  c(
    "PassExistingRoleToNewCodeBuildProjectThenBuild",
    ["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"],
    "runs a build with a passed service role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewCodeBuildProjectThenBuildBatch",
    ["iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuildBatch"],
    "runs a batch build with a passed service role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewECSTaskViaRunTask",
    ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
    "runs a container with a passed task role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewECSTaskViaStartTask",
    ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:StartTask"],
    "starts a container with a passed task role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewECSService",
    ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:CreateService"],
    "runs a service with a passed task role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewSageMakerNotebookInstance",
    ["iam:PassRole", "sagemaker:CreateNotebookInstance"],
    "creates a notebook instance with a passed role",
    PATHFINDING,
  ),
  c("PassExistingRoleToNewSageMakerTrainingJob", ["iam:PassRole", "sagemaker:CreateTrainingJob"], "runs own training code with a passed role", PATHFINDING),
  c(
    "PassExistingRoleToNewSageMakerProcessingJob",
    ["iam:PassRole", "sagemaker:CreateProcessingJob"],
    "runs own processing code with a passed role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewAppRunnerService",
    ["iam:PassRole", "apprunner:CreateService"],
    "runs own code in App Runner with a passed instance role",
    PATHFINDING,
  ),
  c(
    "PassExistingRoleToNewBedrockCodeInterpreter",
    ["iam:PassRole", "bedrock-agentcore:CreateCodeInterpreter", "bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"],
    "runs own code in a code interpreter with a passed role",
    PATHFINDING,
  ),
  c(
    "AccessExistingBedrockCodeInterpreterSession",
    ["bedrock-agentcore:StartCodeInterpreterSession", "bedrock-agentcore:InvokeCodeInterpreter"],
    "runs own code in an existing code interpreter with its role",
    PATHFINDING,
  ),
  c(
    "ExecuteCloudFormationChangeSet",
    ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],
    "changes an existing stack, which acts with the stack's service role",
    PATHFINDING,
  ),
  c(
    "ModifyEC2InstanceUserDataThenRestart",
    ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],
    "replaces an instance's user data and restarts it to run own code with its role",
    PATHFINDING,
  ),
  c(
    "ModifyExistingEC2LaunchTemplate",
    ["ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"],
    "makes new instances of a launch template run own code with its role",
    PATHFINDING,
  ),
  c(
    "EC2InstanceConnectSendSSHPublicKey",
    ["ec2-instance-connect:SendSSHPublicKey", "ec2:DescribeInstances"],
    "logs in to an instance and uses its role's credentials",
    PATHFINDING,
  ),
  c(
    "UpdateSageMakerNotebookLifecycleConfig",
    [
      "sagemaker:CreateNotebookInstanceLifecycleConfig",
      "sagemaker:StopNotebookInstance",
      "sagemaker:UpdateNotebookInstance",
      "sagemaker:StartNotebookInstance",
    ],
    "makes a notebook instance run own code with its role at start",
    PATHFINDING,
  ),
];

/**
 * Actions whose effect is not cut off by the grant's time condition: AWS authorizes a session or a
 * command when it starts, and it then runs on its own (Session Manager sessions until they end or
 * idle out, ECS Exec uses the same sessions, Run Command until the command finishes). The sweep
 * and the scheduled revocation only remove the policy; neither ends such sessions or commands.
 */
export const OUTLIVING_ACTIONS: readonly string[] = ["ssm:StartSession", "ssm:SendCommand", "ecs:ExecuteCommand"];

const BY_ACTION = new Map(DANGEROUS_ACTIONS.map((e) => [e.action.toLowerCase(), e]));

/** The entry for an action (case-insensitive exact name, e.g. "iam:passrole"), if listed. */
export function dangerousAction(action: string): DangerousAction | undefined {
  return BY_ACTION.get(action.toLowerCase());
}

export const CATEGORY_LABEL: Record<DangerCategory, string> = {
  "privilege-escalation": "privilege escalation",
  "data-exposure-unscoped": "data exposure when unscoped",
  "resource-exposure": "resource exposure",
  "credentials-exposure": "credentials exposure",
};
