// Fake EventBridge Scheduler: groups and schedules with Scheduler's names, expressions and
// conflicts; universal targets are checked the way Scheduler checks them.

import { fail } from "./errors.js";
import type { Schedule, SchedulerState } from "./state.js";

type Input = Record<string, unknown>;

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;
const RATE = /^rate\(\d+ (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\(.+\)$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
export const UNIVERSAL = /^arn:aws(-[a-z]+)*:scheduler:::aws-sdk:([a-z0-9]+):([a-z][A-Za-z0-9]*)$/;
const READ_ONLY = /^(get|list|describe|head|batchGet)/;

function str(input: Input, key: string): string {
  const v = input[key];
  if (typeof v !== "string" || v === "") fail("ValidationException", `${key} is required`);
  return v;
}

/** Milliseconds of an at() expression in UTC, or undefined for other expressions. */
export function atMs(expression: string): number | undefined {
  const m = AT.exec(expression);
  return m ? Date.parse(`${m[1]}Z`) : undefined;
}

function page<T>(items: T[], input: Input): { items: T[]; NextToken?: string } {
  const max = typeof input.MaxResults === "number" ? input.MaxResults : 100;
  const start = typeof input.NextToken === "string" ? Number(input.NextToken) : 0;
  const more = start + max < items.length;
  return { items: items.slice(start, start + max), ...(more ? { NextToken: String(start + max) } : {}) };
}

export function handleScheduler(state: SchedulerState, account: string, op: string, input: Input, clientToken: string | undefined): Record<string, unknown> {
  const groupOf = (input: Input) => (typeof input.GroupName === "string" ? input.GroupName : "default");
  // Scheduler (and moto) name the group when it is the group that is missing.
  const missingGroup = (group: string) => {
    if (group !== "default" && !state.groups.has(group)) fail("ResourceNotFoundException", `Schedule group ${group} does not exist.`);
  };
  switch (op) {
    case "CreateScheduleGroup": {
      const name = str(input, "Name");
      if (!NAME.test(name)) fail("ValidationException", `Invalid schedule group name ${name}`);
      if (state.groups.has(name)) fail("ConflictException", `Schedule group ${name} already exists.`);
      state.groups.add(name);
      return { ScheduleGroupArn: `arn:aws:scheduler:us-east-1:${account}:schedule-group/${name}` };
    }
    case "GetScheduleGroup": {
      const name = str(input, "Name");
      if (!state.groups.has(name) && name !== "default") fail("ResourceNotFoundException", `Schedule group ${name} does not exist.`);
      return { Name: name, State: "ACTIVE", Arn: `arn:aws:scheduler:us-east-1:${account}:schedule-group/${name}` };
    }
    case "CreateSchedule": {
      const name = str(input, "Name");
      if (!NAME.test(name))
        fail(
          "ValidationException",
          `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 64 and satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$`,
        );
      const group = groupOf(input);
      missingGroup(group);
      const key = `${group}/${name}`;
      const existing = state.schedules.get(key);
      if (existing) {
        // A retry of the same request (same client token) is answered as the first was.
        if (clientToken !== undefined && existing.ClientToken === clientToken) return { ScheduleArn: existing.Arn };
        fail("ConflictException", `Schedule ${name} already exists.`);
      }
      const expression = str(input, "ScheduleExpression");
      if (!AT.test(expression) && !RATE.test(expression) && !CRON.test(expression)) fail("ValidationException", `Invalid Schedule Expression ${expression}.`);
      if (AT.test(expression) && Number.isNaN(atMs(expression))) fail("ValidationException", `Invalid Schedule Expression ${expression}.`);
      const tz = typeof input.ScheduleExpressionTimezone === "string" ? input.ScheduleExpressionTimezone : "UTC";
      if (tz !== "UTC" && !/^[A-Za-z]+\/[A-Za-z_]+$/.test(tz)) fail("ValidationException", `Invalid ScheduleExpressionTimezone ${tz}.`);
      const window = input.FlexibleTimeWindow as { Mode?: string; MaximumWindowInMinutes?: number } | undefined;
      if (!window || (window.Mode !== "OFF" && window.Mode !== "FLEXIBLE")) fail("ValidationException", "FlexibleTimeWindow.Mode must be OFF or FLEXIBLE");
      if (window.Mode === "FLEXIBLE" && !window.MaximumWindowInMinutes) fail("ValidationException", "MaximumWindowInMinutes is required when Mode is FLEXIBLE");
      const after = typeof input.ActionAfterCompletion === "string" ? input.ActionAfterCompletion : "NONE";
      if (after !== "NONE" && after !== "DELETE") fail("ValidationException", `Invalid ActionAfterCompletion ${after}`);
      const target = input.Target as { Arn?: string; RoleArn?: string; Input?: string } | undefined;
      if (!target?.Arn || !target.RoleArn) fail("ValidationException", "Target.Arn and Target.RoleArn are required");
      if (!ROLE_ARN.test(target.RoleArn)) fail("ValidationException", `Invalid RoleArn ${target.RoleArn}`);
      if (target.Input !== undefined && target.Input.length > 8192) fail("ValidationException", "Target.Input must be at most 8192 characters");
      const universal = UNIVERSAL.exec(target.Arn);
      if (target.Arn.includes(":aws-sdk:")) {
        if (!universal) fail("ValidationException", `Invalid universal target ARN ${target.Arn}`);
        // Universal targets refuse read-only API actions.
        if (READ_ONLY.test(universal[3] ?? ""))
          fail("ValidationException", `Target ${target.Arn} is a read-only API action; universal targets do not allow it`);
        try {
          JSON.parse(target.Input ?? "{}");
        } catch {
          fail("ValidationException", "Target.Input must be valid JSON for a universal target");
        }
      }
      const description = typeof input.Description === "string" ? input.Description : undefined;
      if (description !== undefined && description.length > 512) fail("ValidationException", "Description must be at most 512 characters");
      const schedule: Schedule = {
        Name: name,
        GroupName: group,
        Arn: `arn:aws:scheduler:us-east-1:${account}:schedule/${group}/${name}`,
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: tz,
        FlexibleTimeWindow: { Mode: window.Mode, ...(window.MaximumWindowInMinutes ? { MaximumWindowInMinutes: window.MaximumWindowInMinutes } : {}) },
        ActionAfterCompletion: after,
        State: typeof input.State === "string" ? input.State : "ENABLED",
        ...(description !== undefined ? { Description: description } : {}),
        Target: { Arn: target.Arn, RoleArn: target.RoleArn, ...(target.Input !== undefined ? { Input: target.Input } : {}) },
        ...(clientToken ? { ClientToken: clientToken } : {}),
      };
      state.schedules.set(key, schedule);
      return { ScheduleArn: schedule.Arn };
    }
    case "GetSchedule": {
      const name = str(input, "Name");
      missingGroup(groupOf(input));
      const s = state.schedules.get(`${groupOf(input)}/${name}`);
      if (!s) fail("ResourceNotFoundException", `Schedule ${name} does not exist.`);
      const { ClientToken: _token, ...view } = structuredClone(s);
      return view;
    }
    case "DeleteSchedule": {
      const name = str(input, "Name");
      missingGroup(groupOf(input));
      const key = `${groupOf(input)}/${name}`;
      if (!state.schedules.delete(key)) fail("ResourceNotFoundException", `Schedule ${name} does not exist.`);
      return {};
    }
    case "ListSchedules": {
      const group = typeof input.GroupName === "string" ? input.GroupName : undefined;
      const prefix = typeof input.NamePrefix === "string" ? input.NamePrefix : "";
      const all = [...state.schedules.values()]
        .filter((s) => (group === undefined || s.GroupName === group) && s.Name.startsWith(prefix))
        .map((s) => ({ Name: s.Name, GroupName: s.GroupName, Arn: s.Arn, State: s.State, Target: { Arn: s.Target.Arn } }));
      const { items, NextToken } = page(all, input);
      return { Schedules: items, ...(NextToken ? { NextToken } : {}) };
    }
    default:
      return fail("UnknownOperationException", `The fake Scheduler does not implement ${op}`);
  }
}
