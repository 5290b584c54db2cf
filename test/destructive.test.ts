// Destructive and administrative writes (src/policy/destructive.ts): left out of the `write`
// level, risk high when named. The table below is the reviewed outcome of the rule for the
// default services; a change in the AWS data or in the rule shows up here as a diff to review.
import { describe, expect, it } from "vitest";
import type { Config, PolicyDocument } from "../src/domain/types.js";
import { loadCatalogue } from "../src/iam-data.js";
import { dangerousAction } from "../src/policy/dangerous.js";
import { DESTRUCTIVE_ACTIONS, destructiveReason, leftOutOfLevels } from "../src/policy/destructive.js";
import { generatePolicy } from "../src/policy/generator.js";
import { explainPolicy } from "../src/policy/explain.js";
import { codesOf } from "../src/domain/problems.js";
import { checkPolicy } from "../src/policy/guardrails.js";
import { TEST_ACCOUNT, testConfig } from "./support/config-fixtures.js";

const catalogue = loadCatalogue();
const ACCOUNT = TEST_ACCOUNT;
const CTX = { partition: "aws", region: "us-east-1", accountId: ACCOUNT };
const SERVICES = testConfig().allowed_services;

function config(): Config {
  return testConfig();
}

/** An ARN of each of the service's resource types, placeholders filled with plain names. */
function arnsOf(service: string): string[] {
  return catalogue
    .resourceTypesOf(service)
    .map((rt) =>
      rt.arnFormat.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, k: string) =>
        k === "Partition" ? "aws" : k === "Region" ? "us-east-1" : k === "Account" ? ACCOUNT : "jit-x",
      ),
    );
}

const destructiveOf = (service: string) =>
  catalogue
    .actionsOf(service)
    .filter((a) => destructiveReason(a) !== undefined)
    .map((a) => a.name)
    .sort();

describe("destructive and administrative writes", () => {
  it("the reviewed table for the default services", () => {
    const table = Object.fromEntries(SERVICES.filter((s) => s !== "ec2").map((s) => [s, destructiveOf(s)]));
    expect(table).toEqual({
      cloudwatch: [
        "DeleteAlarmMuteRule",
        "DeleteAlarms",
        "DeleteAlert",
        "DeleteAnomalyDetector",
        "DeleteDashboards",
        "DeleteDomain",
        "DeleteDomainForOrganization",
        "DeleteIngestionEndpoint",
        "DeleteInsightRules",
        "DeleteIntegration",
        "DeleteMetricStream",
        "DeleteOmniDashboard",
        "DeleteOmniThread",
        "DeletePipelineRule",
        "DeleteServiceLevelObjective",
        "DeleteSpace",
        "DeleteView",
        "DisableAlarmActions",
        "DisableInsightRules",
      ],
      dynamodb: [
        "DeleteBackup",
        "DeleteGlobalTableWitness",
        "DeleteTable",
        "DeleteTableReplica",
        "DisableKinesisStreamingDestination",
        "ExportTableToPointInTime",
        "UpdateContinuousBackups",
        "UpdateTable",
        "UpdateTimeToLive",
      ],
      ecr: [
        "DeleteLifecyclePolicy",
        "DeletePullThroughCacheRule",
        "DeleteRepository",
        "DeleteRepositoryCreationTemplate",
        "DeleteSigningConfiguration",
        "DeregisterPullTimeUpdateExclusion",
        "PutLifecyclePolicy",
        "PutReplicationConfiguration",
      ],
      ecs: [
        "DeleteAccountSetting",
        "DeleteAttributes",
        "DeleteCapacityProvider",
        "DeleteCluster",
        "DeleteDaemon",
        "DeleteDaemonTaskDefinition",
        "DeleteExpressGatewayService",
        "DeleteService",
        "DeleteTaskDefinitions",
        "DeleteTaskSet",
        "DeregisterContainerInstance",
        "DeregisterTaskDefinition",
      ],
      kms: [
        "DeleteAlias",
        "DeleteCustomKeyStore",
        "DeleteImportedKeyMaterial",
        "DisableKey",
        "DisableKeyRotation",
        "ImportKeyMaterial",
        "ReplicateKey",
        "ScheduleKeyDeletion",
        "UpdateAlias",
        "UpdatePrimaryRegion",
      ],
      lambda: [
        "DeleteAlias",
        "DeleteCapacityProvider",
        "DeleteCodeSigningConfig",
        "DeleteEventSourceMapping",
        "DeleteFunction",
        "DeleteFunctionCodeSigningConfig",
        "DeleteFunctionConcurrency",
        "DeleteFunctionEventInvokeConfig",
        "DeleteFunctionUrlConfig",
        "DeleteLayerVersion",
        "DeleteMicrovmImage",
        "DeleteMicrovmImageVersion",
        "DeleteNetworkConnector",
        "DeleteProvisionedConcurrencyConfig",
        "TerminateMicrovm",
      ],
      logs: [
        "AssociateKmsKey",
        "CreateExportTask",
        "DeleteAccountPolicy",
        "DeleteDataProtectionPolicy",
        "DeleteDelivery",
        "DeleteDeliveryDestination",
        "DeleteDeliveryDestinationPolicy",
        "DeleteDeliverySource",
        "DeleteDestination",
        "DeleteIndexPolicy",
        "DeleteIntegration",
        "DeleteLogAnomalyDetector",
        "DeleteLogDelivery",
        "DeleteLogGroup",
        "DeleteLogStream",
        "DeleteLookupTable",
        "DeleteMetricFilter",
        "DeletePipelineRule",
        "DeleteQueryDefinition",
        "DeleteRetentionPolicy",
        "DeleteScheduledQuery",
        "DeleteSubscriptionFilter",
        "DeleteSyslogConfiguration",
        "DeleteTransformer",
        "DisassociateKmsKey",
        "PutDataProtectionPolicy",
        "PutLogGroupDeletionProtection",
        "PutRetentionPolicy",
        "PutSubscriptionFilter",
      ],
      rds: [
        "DeleteBlueGreenDeployment",
        "DeleteCustomDBEngineVersion",
        "DeleteDBCluster",
        "DeleteDBClusterAutomatedBackup",
        "DeleteDBClusterEndpoint",
        "DeleteDBClusterParameterGroup",
        "DeleteDBClusterSnapshot",
        "DeleteDBInstance",
        "DeleteDBInstanceAutomatedBackup",
        "DeleteDBParameterGroup",
        "DeleteDBProxy",
        "DeleteDBProxyEndpoint",
        "DeleteDBSecurityGroup",
        "DeleteDBShardGroup",
        "DeleteDBSnapshot",
        "DeleteDBSubnetGroup",
        "DeleteEventSubscription",
        "DeleteGlobalCluster",
        "DeleteIntegration",
        "DeleteOptionGroup",
        "DeleteTenantDatabase",
        "DeregisterDBProxyTargets",
        "DisableHttpEndpoint",
        "RemoveFromGlobalCluster",
        "RemoveRoleFromDBCluster",
        "RemoveRoleFromDBInstance",
        "RemoveSourceIdentifierFromSubscription",
        "StartExportTask",
      ],
      s3: [
        "DeleteAccessPoint",
        "DeleteAccessPointForObjectLambda",
        "DeleteBucket",
        "DeleteBucketMetadataTableConfiguration",
        "DeleteBucketWebsite",
        "DeleteMultiRegionAccessPoint",
        "DeleteObjectVersion",
        "DeleteStorageLensConfiguration",
        "DeleteStorageLensGroup",
        "PutBucketVersioning",
        "PutEncryptionConfiguration",
        "PutLifecycleConfiguration",
        "PutObjectRetention",
        "PutReplicationConfiguration",
      ],
      secretsmanager: ["DeleteSecret", "RemoveRegionsFromReplication", "ReplicateSecretToRegions", "StopReplicationToReplica", "UpdateSecret"],
      sns: ["DeleteEndpoint", "DeletePlatformApplication", "DeleteSMSSandboxPhoneNumber", "DeleteTopic", "PutDataProtectionPolicy", "Subscribe"],
      sqs: ["DeleteQueue", "PurgeQueue"],
      ssm: [
        "DeleteActivation",
        "DeleteAssociation",
        "DeleteCloudConnector",
        "DeleteDocument",
        "DeleteInventory",
        "DeleteMaintenanceWindow",
        "DeleteOpsItem",
        "DeleteOpsMetadata",
        "DeleteParameter",
        "DeleteParameters",
        "DeletePatchBaseline",
        "DeleteResourceDataSync",
        "DeregisterManagedInstance",
        "DeregisterPatchBaselineForPatchGroup",
        "DeregisterTargetFromMaintenanceWindow",
        "DeregisterTaskFromMaintenanceWindow",
        "TerminateSession",
      ],
      states: ["DeleteActivity", "DeleteStateMachine", "DeleteStateMachineAlias", "DeleteStateMachineVersion"],
    });
    // EC2: every Delete*/Terminate*/Disable*/Deregister* write, e.g.
    expect(destructiveOf("ec2")).toEqual(
      expect.arrayContaining([
        "TerminateInstances",
        "DeleteVolume",
        "DeleteSnapshot",
        "DeleteSecurityGroup",
        "DeleteVpc",
        "DisableEbsEncryptionByDefault",
        "CreateInstanceExportTask",
      ]),
    );
  });

  it("the issue's examples are destructive; everyday data writes are not", () => {
    for (const a of [
      "dynamodb:DeleteTable",
      "dynamodb:ExportTableToPointInTime",
      "kms:ScheduleKeyDeletion",
      "kms:DisableKey",
      "kms:ImportKeyMaterial",
      "s3:DeleteBucket",
      "s3:PutLifecycleConfiguration",
      "s3:PutReplicationConfiguration",
      "s3:PutBucketVersioning",
      "s3:DeleteObjectVersion",
    ]) {
      expect(destructiveReason(catalogue.action(a)!), a).toBeDefined();
    }
    for (const a of [
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "dynamodb:PutItem",
      "dynamodb:DeleteItem",
      "dynamodb:UpdateItem",
      "dynamodb:BatchWriteItem",
      "sqs:SendMessage",
      "sqs:DeleteMessage",
      "sns:Publish",
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:GenerateDataKey",
      "logs:PutLogEvents",
      "logs:CreateLogStream",
      "secretsmanager:PutSecretValue",
      "ssm:PutParameter",
      "lambda:InvokeFunction",
      "ecs:UpdateService",
      "states:StartExecution",
    ]) {
      expect(destructiveReason(catalogue.action(a)!), a).toBeUndefined();
    }
  });

  it("every named destructive action exists in the AWS data as a Write action", () => {
    for (const a of Object.keys(DESTRUCTIVE_ACTIONS)) expect(catalogue.action(a)?.level, a).toBe("write");
  });

  it.each(SERVICES)("%s: no destructive action (nor an always-dangerous one) is in the write level; each is risk high when named", (service) => {
    const arns = arnsOf(service);
    const gen = generatePolicy(catalogue, [{ service, access: ["write"], resources: arns }], CTX);
    const granted = new Set(gen.resources.flatMap((r) => r.actions.map((a) => a.toLowerCase())));
    expect(granted.size, `${service} write grants something`).toBeGreaterThan(0);
    const destructive = catalogue.actionsOf(service).filter((a) => leftOutOfLevels(a));
    for (const a of destructive) expect(granted.has(a.full.toLowerCase()), a.full).toBe(false);
    for (const a of destructive.filter((x) => destructiveReason(x) !== undefined)) {
      const rt = a.resourceTypes.map((t) => catalogue.resourceType(service, t.name.toLowerCase())).find((x) => x !== undefined);
      const resource = rt ? arns[catalogue.resourceTypesOf(service).indexOf(rt)] : "*";
      const policy: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: a.full, Resource: resource ?? "*" }] };
      const v = checkPolicy(catalogue, policy, { config: config(), mode: "iam" });
      expect(v.risk, a.full).toBe("high");
      if (!dangerousAction(a.full)) expect(codesOf(v.warnings), a.full).toContain("guardrail.destructive-action");
    }
  });
});

describe("the explanation of a write grant", () => {
  it("says the write level leaves out destructive actions, and that naming them makes the request risk high", () => {
    const gen = generatePolicy(
      catalogue,
      [
        { service: "s3", access: ["write"], resources: ["scratch/tmp/"] },
        { service: "sqs", access: ["write"], resources: ["jobs"] },
      ],
      CTX,
    );
    const summary = explainPolicy(catalogue, gen.policy).summary;
    expect(summary).toMatch(/The write level leaves out destructive and administrative actions \(such as .*s3:DeleteBucket.*sqs:(DeleteQueue|PurgeQueue)/);
    expect(summary).toMatch(/named under actions: they make the request risk high/);
  });
});
