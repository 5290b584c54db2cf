// jit-access command line: validate | plan | sweep | list | revoke | report | init | doctor | identities. Exit codes: 0 ok, 1 invalid/blocked, 2 usage.
// One module per command in this folder; sweep.ts holds sweep, revoke and the records listing.
import { SWEEP_USAGE, revokeCommand, sweepCommand } from "./sweep.js";
import { packageVersion } from "../package-root.js";
import { DOCTOR_USAGE, doctorCommand } from "./doctor.js";
import { IDENTITIES_USAGE, identitiesCommand } from "./identities.js";
import { INIT_USAGE, initCommand } from "./init.js";
import { listCommand } from "./list.js";
import { PLAN_USAGE, planCommand } from "./plan.js";
import { REPORT_USAGE, reportCommand } from "./report.js";
import { UsageError, asksForHelp, commandUsages, type Io } from "./support.js";
import { VALIDATE_USAGE, validateCommand } from "./validate.js";

const USAGE = `Usage: jit-access <command> [options]

Commands:
${VALIDATE_USAGE}${PLAN_USAGE}${SWEEP_USAGE}${REPORT_USAGE}${INIT_USAGE}${DOCTOR_USAGE}${IDENTITIES_USAGE}  help                                          show this help
  --version                                     print the version

jit-access <command> --help shows one command's usage.
`;

/** Each command's own usage, for `<command> --help` and for its usage errors. */
const COMMAND_USAGE = commandUsages(USAGE);

function usageOf(command: string | undefined): string {
  const own = command === undefined ? undefined : COMMAND_USAGE.get(command);
  return own ? `Usage: jit-access ${own}\n` : USAGE;
}

export { packageVersion as version } from "../package-root.js";

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && COMMAND_USAGE.has(command) && command !== "help" && asksForHelp(rest)) {
      io.stdout.write(usageOf(command));
      return 0;
    }
    switch (command) {
      case "validate":
        return validateCommand(rest, io);
      case "plan":
        return await planCommand(rest, io);
      case "sweep":
        return await sweepCommand(rest, io);
      case "revoke":
        return await revokeCommand(rest, io);
      case "list":
        return await listCommand(rest, io);
      case "report":
        return await reportCommand(rest, io);
      case "init":
        return initCommand(rest, io, packageVersion());
      case "doctor":
        return await doctorCommand(rest, io);
      case "identities":
        return await identitiesCommand(rest, io);
      case "--version":
      case "-V":
        io.stdout.write(`${packageVersion()}\n`);
        return 0;
      case "help":
        if (rest[0] !== undefined && COMMAND_USAGE.has(rest[0]) && rest[0] !== "help") {
          io.stdout.write(usageOf(rest[0]));
          return 0;
        }
        io.stdout.write(USAGE);
        return 0;
      case undefined:
      case "--help":
      case "-h":
        io.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))) {
      io.stderr.write(`jit-access: ${e.message}\n\n${usageOf(command)}`);
      return 2;
    }
    // Anything else is our bug: say so briefly, without a stack trace for the user.
    io.stderr.write(`jit-access: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 3;
  }
}
