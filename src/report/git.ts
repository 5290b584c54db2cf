// Reads the history of access-requests/ with git (argument arrays, never a shell), streamed: the
// log is parsed and folded into the report's index as git prints it, so a 100,000-request history
// (~75 MB of log, ~300,000 commits) is never held as text or as commit objects.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { REQUESTS_DIR } from "../domain/request.js";
import { HistoryIndex, type HistoryKeys } from "./aggregate.js";
import { GitLogParser, LOG_FORMAT, parseMergeDates } from "./history.js";

const run = promisify(execFile);
const ENV = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", LC_ALL: "C" };

export type History = { ok: true; history: HistoryIndex } | { ok: false; reason: string; history: HistoryIndex };

/** Where the history comes from: git in the CLI; a file of the same text in the bench. */
export interface HistorySource {
  /** `git log -z --name-status --no-renames --format=LOG_FORMAT -- access-requests/`, handed over in chunks as it arrives. */
  log(onText: (text: string) => void): Promise<void>;
  /** `git log --merges --format=%H%x00%cI%x00`: one short line per merge commit, small enough to read whole. */
  merges(): Promise<string>;
  /** Names the history read (`git rev-parse HEAD`): what the records' cached history values are valid for; undefined when unknown. */
  head(): Promise<string | undefined>;
}

export function gitHistorySource(root: string): HistorySource {
  return {
    log: (onText) =>
      streamGit(
        [
          "-C",
          root,
          "-c",
          "core.quotepath=off",
          "log",
          "-z",
          "--name-status",
          "--no-renames",
          "--no-color",
          `--format=${LOG_FORMAT}`,
          "--",
          `${REQUESTS_DIR}/`,
        ],
        onText,
      ),
    merges: async () =>
      (await run("git", ["-C", root, "log", "--merges", "--no-color", "--format=%H%x00%cI%x00"], { maxBuffer: 256 * 1024 * 1024, env: ENV })).stdout,
    head: () =>
      run("git", ["-C", root, "rev-parse", "--verify", "-q", "HEAD"], { env: ENV }).then(
        ({ stdout }) => (/^[0-9a-f]{40,64}$/.test(stdout.trim()) ? stdout.trim() : undefined),
        () => undefined,
      ),
  };
}

/** The .yml files under access-requests/ git lists, tracked or not (ignored ones too); undefined when git cannot say. */
export function gitYmlFiles(root: string): Promise<string[] | undefined> {
  return run("git", ["-C", root, "-c", "core.quotepath=off", "ls-files", "-z", "-c", "-o", "--", `:(glob)${REQUESTS_DIR}/**/*.yml`], {
    maxBuffer: 64 * 1024 * 1024,
    env: ENV,
  }).then(
    ({ stdout }) => [...new Set(stdout.split("\0").filter((p) => p.length > 0))],
    () => undefined,
  );
}

/** `records`: the records the report is for; only what they look up is kept (everything when absent). */
export async function readHistory(root: string, records?: readonly HistoryKeys[], source: HistorySource = gitHistorySource(root)): Promise<History> {
  const history = new HistoryIndex(records ? { records } : {});
  const parser = new GitLogParser((c) => history.add(c));
  try {
    await source.log((chunk) => parser.push(chunk));
    parser.end();
    for (const [sha, iso] of parseMergeDates(await source.merges())) history.addMergeDate(sha, iso);
    return { ok: true, history };
  } catch (e) {
    const msg = e instanceof Error ? (e.message.split("\n")[0] ?? e.message) : String(e);
    return { ok: false, reason: `git history unavailable (${msg.slice(0, 200)})`, history: new HistoryIndex() };
  }
}

/** Runs git with args and hands its stdout to `onText` in chunks (UTF-8 decoded across chunk ends); rejects on a non-zero exit with git's message. */
function streamGit(args: string[], onText: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, { env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let failed: unknown;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      if (failed !== undefined) return;
      try {
        onText(text);
      } catch (e) {
        failed = e;
        child.kill();
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (text: string) => {
      if (stderr.length < 4096) stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (failed !== undefined) reject(failed instanceof Error ? failed : new Error(String(failed)));
      else if (code !== 0) reject(new Error(`git failed (exit ${code}): ${stderr.trim()}`));
      else resolve();
    });
  });
}
