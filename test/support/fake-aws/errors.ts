// Errors as the SDK surfaces them: instances of the client's own exception classes (name = the
// AWS error code as SDK v3 names it), with $metadata.httpStatusCode so the SDK's retry
// middleware classifies them as it would a real response.

import * as cloudtrail from "@aws-sdk/client-cloudtrail";
import * as iam from "@aws-sdk/client-iam";
import * as ids from "@aws-sdk/client-identitystore";
import * as scheduler from "@aws-sdk/client-scheduler";
import * as ses from "@aws-sdk/client-sesv2";
import * as sso from "@aws-sdk/client-sso-admin";
import * as sts from "@aws-sdk/client-sts";

export type Service = "iam" | "sso" | "identitystore" | "scheduler" | "sts" | "cloudtrail" | "sesv2";

type Ctor = new (opts: { message: string; $metadata: { httpStatusCode?: number; requestId?: string } }) => Error;

const CLASSES: Record<Service, Record<string, Ctor>> = {
  iam: {
    NoSuchEntityException: iam.NoSuchEntityException,
    EntityAlreadyExistsException: iam.EntityAlreadyExistsException,
    LimitExceededException: iam.LimitExceededException,
    DeleteConflictException: iam.DeleteConflictException,
    MalformedPolicyDocumentException: iam.MalformedPolicyDocumentException,
    InvalidInputException: iam.InvalidInputException,
    ServiceFailureException: iam.ServiceFailureException,
  },
  sso: {
    ConflictException: sso.ConflictException,
    ResourceNotFoundException: sso.ResourceNotFoundException,
    ValidationException: sso.ValidationException,
    ThrottlingException: sso.ThrottlingException,
    InternalServerException: sso.InternalServerException,
    ServiceQuotaExceededException: sso.ServiceQuotaExceededException,
    AccessDeniedException: sso.AccessDeniedException,
  },
  identitystore: {
    ResourceNotFoundException: ids.ResourceNotFoundException,
    ValidationException: ids.ValidationException,
    ThrottlingException: ids.ThrottlingException,
    InternalServerException: ids.InternalServerException,
    ConflictException: ids.ConflictException,
  },
  scheduler: {
    ConflictException: scheduler.ConflictException as unknown as Ctor,
    ResourceNotFoundException: scheduler.ResourceNotFoundException as unknown as Ctor,
    ValidationException: scheduler.ValidationException as unknown as Ctor,
    ThrottlingException: scheduler.ThrottlingException as unknown as Ctor,
    InternalServerException: scheduler.InternalServerException as unknown as Ctor,
    ServiceQuotaExceededException: scheduler.ServiceQuotaExceededException as unknown as Ctor,
  },
  sts: {},
  cloudtrail: {
    ThrottlingException: cloudtrail.ThrottlingException,
    InvalidLookupAttributesException: cloudtrail.InvalidLookupAttributesException,
    InvalidTimeRangeException: cloudtrail.InvalidTimeRangeException,
    InvalidMaxResultsException: cloudtrail.InvalidMaxResultsException,
    InvalidNextTokenException: cloudtrail.InvalidNextTokenException,
    UnsupportedOperationException: cloudtrail.UnsupportedOperationException,
    OperationNotPermittedException: cloudtrail.OperationNotPermittedException,
    TrailNotFoundException: cloudtrail.TrailNotFoundException,
  },
  sesv2: {
    MessageRejected: ses.MessageRejected,
    NotFoundException: ses.NotFoundException,
    BadRequestException: ses.BadRequestException,
    SendingPausedException: ses.SendingPausedException,
    AccountSuspendedException: ses.AccountSuspendedException,
    TooManyRequestsException: ses.TooManyRequestsException,
  },
};

const BASES: Record<Service, new (opts: { name: string; $fault: "client" | "server"; message: string; $metadata: { httpStatusCode?: number } }) => Error> = {
  iam: iam.IAMServiceException,
  sso: sso.SSOAdminServiceException,
  identitystore: ids.IdentitystoreServiceException,
  scheduler: scheduler.SchedulerServiceException,
  sts: sts.STSServiceException,
  cloudtrail: cloudtrail.CloudTrailServiceException,
  sesv2: ses.SESv2ServiceException,
};

const STATUS: Record<string, number> = {
  ServiceFailureException: 500,
  InternalServerException: 500,
  InternalFailure: 500,
  ResourceNotFoundException: 404,
  NoSuchEntityException: 404,
  ConflictException: 409,
  EntityAlreadyExistsException: 409,
  DeleteConflictException: 409,
  AccessDenied: 403,
  AccessDeniedException: 403,
  ThrottlingException: 429,
};

/** An error of `service` with AWS error code `code`: a real exception class when the client has one. */
export function awsError(service: Service, code: string, message: string): Error {
  const httpStatusCode = STATUS[code] ?? 400;
  const Known = CLASSES[service][code];
  if (Known) return new Known({ message, $metadata: { httpStatusCode, requestId: "fake" } });
  const Base = BASES[service];
  return new Base({ name: code, $fault: httpStatusCode >= 500 ? "server" : "client", message, $metadata: { httpStatusCode } });
}

/** Throttling as each service reports it (IAM's awsQuery code is "Throttling", HTTP 400). */
export function throttlingError(service: Service): Error {
  if (service === "iam") return awsError("iam", "Throttling", "Rate exceeded");
  if (service === "sts") return awsError("sts", "Throttling", "Rate exceeded");
  return awsError(service, "ThrottlingException", "Rate exceeded");
}

export function internalError(service: Service): Error {
  const code = service === "iam" ? "ServiceFailureException" : service === "sts" ? "InternalFailure" : "InternalServerException";
  return awsError(service, code, "We encountered an internal error. Please try again.");
}

/** What handlers throw; the dispatcher turns it into the calling client's exception class. */
export class FakeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function fail(code: string, message: string): never {
  throw new FakeError(code, message);
}
