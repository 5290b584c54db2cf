// How a bundle grant (an existing managed policy attached, an existing permission set assigned)
// is written in a record's grant.aws.resources, and read back. The string names exactly the one
// attachment or assignment jit-access made — never the policy or permission set itself, which it
// did not create and never deletes. Pure.

/** An existing managed policy attached to an IAM user or role by a grant. */
export interface AttachedPolicy {
  kind: "attached";
  principal: { kind: "iam_user" | "iam_role"; name: string };
  policyArn: string;
}

/** An existing permission set assigned to an Identity Center user in the record's account. */
export interface AssignedPermissionSet {
  kind: "assigned";
  /** The identity store UserId. */
  principalId: string;
  permissionSetArn: string;
}

export type BundleResource = AttachedPolicy | AssignedPermissionSet;

const ATTACHED = /^attached:(user|role)\/([\w+=,.@-]{1,128}):(arn:(aws|aws-cn|aws-us-gov):iam::(aws|[0-9]{12}):policy\/[\w+=,.@/-]{1,512})$/;
const ASSIGNED =
  /^assigned:user\/([A-Za-z0-9-]{1,64}):(arn:(aws|aws-cn|aws-us-gov):sso:::permissionSet\/(?:sso)?ins-[a-zA-Z0-9.-]{16}\/ps-[a-zA-Z0-9./-]{16})$/;

/** `attached:user/<name>:<policy ARN>`, `attached:role/<name>:<policy ARN>` or `assigned:user/<UserId>:<permission set ARN>`. */
export function bundleResourceText(r: BundleResource): string {
  return r.kind === "attached"
    ? `attached:${r.principal.kind === "iam_user" ? "user" : "role"}/${r.principal.name}:${r.policyArn}`
    : `assigned:user/${r.principalId}:${r.permissionSetArn}`;
}

/** The bundle grant a resource string names, or undefined when it is not one (a policy or permission set ARN). */
export function parseBundleResource(text: string): BundleResource | undefined {
  const a = ATTACHED.exec(text);
  if (a) return { kind: "attached", principal: { kind: a[1] === "user" ? "iam_user" : "iam_role", name: a[2] as string }, policyArn: a[3] as string };
  const s = ASSIGNED.exec(text);
  if (s) return { kind: "assigned", principalId: s[1] as string, permissionSetArn: s[2] as string };
  return undefined;
}

/** Whether a resource string is written as a bundle grant (well formed or not). */
export function looksLikeBundleResource(text: string): boolean {
  return text.startsWith("attached:") || text.startsWith("assigned:");
}
