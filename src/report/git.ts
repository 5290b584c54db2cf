// Reads the history of access-requests/ with git (argument arrays via execFile, never a shell).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { REQUESTS_DIR } from "../domain/request.js";
import { LOG_FORMAT, parseGitLog, parseMergeDates, type HistoryCommit } from "./history.js";

const run = promisify(execFile);
const OPTS = { maxBuffer: 512 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", LC_ALL: "C" } };

export type History =
  | { ok: true; commits: HistoryCommit[]; mergeDates: Map<string, string> }
  | { ok: false; reason: string; commits: HistoryCommit[]; mergeDates: Map<string, string> };

export async function readHistory(root: string): Promise<History> {
  try {
    const log = await run(
      "git",
      ["-C", root, "-c", "core.quotepath=off", "log", "-z", "--name-status", "--no-renames", "--no-color", `--format=${LOG_FORMAT}`, "--", `${REQUESTS_DIR}/`],
      OPTS,
    );
    const merges = await run("git", ["-C", root, "log", "--merges", "--no-color", "--format=%H%x00%cI%x00"], OPTS);
    return { ok: true, commits: parseGitLog(log.stdout), mergeDates: parseMergeDates(merges.stdout) };
  } catch (e) {
    const msg = e instanceof Error ? (e.message.split("\n")[0] ?? e.message) : String(e);
    return { ok: false, reason: `git history unavailable (${msg.slice(0, 200)})`, commits: [], mergeDates: new Map() };
  }
}
