// EventBridge Scheduler: the one-time schedules that revoke in AWS even when GitHub is late.

import { CreateScheduleCommand, DeleteScheduleCommand, GetScheduleCommand, ListSchedulesCommand, type SchedulerClient } from "@aws-sdk/client-scheduler";
import { SCHEDULE_GROUP } from "./naming.js";
import type { JournalEntry } from "./rollback.js";
import { sameSchedule, type ScheduleInput } from "./schedules.js";
import { isError } from "./runtime.js";
import type { ManagedResource } from "./types.js";

/** The schedule of this name as GetSchedule answers it. */
export type ExistingSchedule = NonNullable<Awaited<ReturnType<typeof getSchedule>>>;

/**
 * Creates the schedule; an identical existing one is success, a different one an error. Looks
 * first, so that a rollback never deletes the schedule of an earlier grant of the request.
 * `replaceable` may say a different one can do nothing any more (what it would remove is gone):
 * then it is replaced, and a retry is not refused because of an earlier attempt's leftover.
 */
export async function ensureSchedule(
  client: SchedulerClient,
  input: ScheduleInput,
  entry: JournalEntry,
  replaceable?: (have: ExistingSchedule) => Promise<boolean>,
): Promise<void> {
  let have = await getSchedule(client, input.Name);
  if (have) entry.outcome = "existed";
  else {
    try {
      entry.outcome = "unknown";
      await createWithGroup(client, input);
      entry.outcome = "created";
      return;
    } catch (error) {
      if (error instanceof ScheduleGroupMissingError) entry.outcome = "none";
      // After "not found", a conflict is most likely our own create answered late: stays "unknown".
      if (!isError(error, "ConflictException")) throw error;
    }
    have = await getSchedule(client, input.Name);
    if (!have) throw new Error(`schedule ${input.GroupName}/${input.Name} was reported to exist and then not found; rerun the grant`);
  }
  if (sameSchedule(input, have)) return;
  if (entry.outcome === "existed" && replaceable && (await replaceable(have))) {
    await deleteSchedule(client, input.Name);
    entry.outcome = "unknown";
    await createWithGroup(client, input);
    entry.outcome = "created";
    return;
  }
  throw new ExistingDifferentError(
    `schedule ${input.GroupName}/${input.Name} already exists with a different time or target (${have.ScheduleExpression ?? "?"}, ${have.Target?.Arn ?? "?"}); refusing to reuse it — revoke the request to clean up, then grant again`,
  );
}

async function getSchedule(client: SchedulerClient, name: string) {
  try {
    return await client.send(new GetScheduleCommand({ Name: name, GroupName: SCHEDULE_GROUP }));
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}

async function createWithGroup(client: SchedulerClient, input: ScheduleInput): Promise<void> {
  try {
    await client.send(new CreateScheduleCommand(input));
  } catch (error) {
    // The only resource CreateSchedule refers to is its group. The app does not make the group
    // itself (that would need scheduler:CreateScheduleGroup, and an untagged group nobody owns):
    // the deployment does, and its absence is a setup fault to be fixed once, said plainly.
    if (!isError(error, "ResourceNotFoundException")) throw error;
    const region = await client.config.region().catch(() => "?");
    throw new ScheduleGroupMissingError(
      `the EventBridge Scheduler schedule group ${input.GroupName} does not exist (region ${region}, in the account that runs the schedules); ` +
        `create it once — aws scheduler create-schedule-group --name ${input.GroupName} --region ${region}, or deploy deploy/template.yaml, which makes it — then retry; ` +
        `AWS said: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** true when it was deleted now, false when it was already gone. */
export async function deleteSchedule(client: SchedulerClient, name: string): Promise<boolean> {
  try {
    await client.send(new DeleteScheduleCommand({ Name: name, GroupName: SCHEDULE_GROUP }));
    return true;
  } catch (error) {
    if (isError(error, "ResourceNotFoundException")) return false;
    throw error;
  }
}

const DESCRIPTION_ID = /^jit-access ([1-9][0-9]{0,9}-[a-z0-9-]+):/;

export async function listSchedules(client: SchedulerClient, accountIds: string[]): Promise<ManagedResource[]> {
  const out: ManagedResource[] = [];
  let NextToken: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListSchedulesCommand({ GroupName: SCHEDULE_GROUP, ...(NextToken ? { NextToken } : {}) }));
    } catch (error) {
      if (isError(error, "ResourceNotFoundException")) return out; // no group: definitely no schedules
      throw error;
    }
    for (const s of page.Schedules ?? []) {
      if (!s.Name || !s.Arn) continue;
      // The request id is in the description: hashed names cannot be turned back into ids.
      const full = await client.send(new GetScheduleCommand({ Name: s.Name, GroupName: SCHEDULE_GROUP }));
      const id = DESCRIPTION_ID.exec(full.Description ?? "")?.[1];
      // Schedules carry no tags, so a schedule left behind by a grant whose rollback failed (record
      // still `proposed`) would look in flight to reconcile forever. Its one-time at() (UTC) is its
      // expiry: once that has passed and the schedule is still there, it is drift like a policy
      // whose jit-access:expires-at tag has passed.
      const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(full.ScheduleExpression ?? "")?.[1];
      const expiresAt = at && (full.ScheduleExpressionTimezone ?? "UTC") === "UTC" ? `${at}Z` : undefined;
      out.push({ kind: "schedule", arn: s.Arn, name: s.Name, accountIds, ...(id ? { requestId: id } : {}), ...(expiresAt ? { expiresAt } : {}) });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

/** The schedule group the revocations live in is missing: the grant stops before attaching. */
export class ScheduleGroupMissingError extends Error {
  override name = "ScheduleGroupMissingError";
}

/** An existing resource of the request's name that is not what this grant would create. */
export class ExistingDifferentError extends Error {
  override name = "ExistingDifferentError";
}
