// `jit-access list`: the command itself is the sweep's (it reads the same records); here, the
// warning for a local run that finds no request file.
import { listCommand as listRecords } from "./sweep.js";
import { findRepoRoot, noRequestFilesWarning, requestFiles, type Io } from "./support.js";

export async function listCommand(args: string[], io: Io): Promise<number> {
  const code = await listRecords(args, io);
  warnIfNoLocalRequests(io, "nothing to list");
  return code;
}

/**
 * `list` reads the local checkout's records unless GITHUB_TOKEN and GITHUB_REPOSITORY point it at
 * the GitHub API; locally, an empty or missing access-requests/ usually means the wrong folder.
 */
function warnIfNoLocalRequests(io: Io, what: string): void {
  if (process.env.GITHUB_TOKEN && process.env.GITHUB_REPOSITORY) return;
  const root = findRepoRoot(io.cwd);
  if (requestFiles(root, io.cwd, []).length === 0) io.stderr.write(noRequestFilesWarning(root, io.cwd, [], what));
}
