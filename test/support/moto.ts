// moto (https://github.com/getmoto/moto), an AWS emulator written independently of this project,
// as a server on a free loopback port for one test file. The SDK reaches it through its own
// endpoint override, AWS_ENDPOINT_URL, as a deployment against an emulator would set it. Without
// python3 and moto's server the suites that use it are skipped with a notice saying what to install.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { ClientSettings } from "../../src/aws/clients.js";

/** moto's default account: what GetCallerIdentity says for any access key. */
export const MOTO_ACCOUNT = "123456789012";

/** Is moto's server importable here? Says why not, once, naming the file that will be skipped. */
export function motoMissing(file: string): boolean {
  const probe = spawnSync("python3", ["-c", "import moto, moto.server, flask"], { encoding: "utf8", timeout: 20_000 });
  if (probe.status === 0) return false;
  const why = (probe.error?.message ?? probe.stderr ?? "").trim().split("\n").at(-1) ?? "?";
  console.warn(`${file} SKIPPED: python3 with moto's server is not available (${why}); install it with: pip install 'moto[server]'`);
  return true;
}

/** Client settings for moto: fake keys, few quick retries (its 500s for unimplemented calls are final). */
export const motoSettings = (region: string): ClientSettings => ({
  region,
  credentials: { accessKeyId: "AKIAMOTOTESTING00000", secretAccessKey: "moto-secret" },
  retryMode: "standard",
  maxAttempts: 2,
});

export interface Moto {
  endpoint: string;
  /** Forgets every resource (moto's /moto-api/reset). */
  reset(): Promise<void>;
  /** Stops the server and restores AWS_ENDPOINT_URL. */
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts moto, points AWS_ENDPOINT_URL at it, and waits until it answers (at most 20 s). */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const saved = process.env.AWS_ENDPOINT_URL;
  const server: ChildProcess = spawn("python3", ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  process.env.AWS_ENDPOINT_URL = endpoint;
  const reset = async (): Promise<void> => {
    const r = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
    if (!r.ok) throw new Error(`moto reset answered ${r.status}`);
  };
  const stop = (): void => {
    server.kill();
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = saved;
  };
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      await reset();
      return { endpoint, reset, stop };
    } catch (e) {
      if (Date.now() > until || server.exitCode !== null) {
        stop();
        throw new Error(`moto did not start on ${endpoint}: ${String(e)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
