// `npm run test:browser`: the HTML report opened in headless Chromium. Not part of `npm test`
// or CI (Chromium is not installed there; on Debian: `apt-get install chromium`). When
// /usr/bin/chromium (or $CHROMIUM) is missing it says so and exits 0.
// Checks: the page renders (--dump-dom has the heading, the tables and the inline SVG charts,
// and the hostile strings stay text), a screenshot is written and is a real PNG, and Chromium
// logs no console errors and makes no network requests (the file is self-contained).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { buildReport } from "../../src/report/aggregate.js";
import { renderHtml } from "../../src/report/render.js";
import { syntheticHistory } from "../../src/report/synthetic.js";

const run = promisify(execFile);
const chromium = process.env.CHROMIUM ?? "/usr/bin/chromium";

async function main(): Promise<number> {
  if (!existsSync(chromium)) {
    console.log(`test:browser skipped: ${chromium} not found (install the Debian package chromium, or set CHROMIUM=/path/to/chromium)`);
    return 0;
  }
  const data = syntheticHistory(2000);
  const first = data.records[0];
  if (first) first.request.closed = { at: "2026-01-01T00:00:00Z", reason: `<img src=x onerror=alert(1)> <script>alert(2)</script> https://evil.example` };
  const report = buildReport({ ...data, notes: ["hostile: <script>alert(3)</script>"] });
  const out = mkdtempSync(join(tmpdir(), "jit-report-browser-"));
  const html = join(out, "report.html");
  const png = join(out, "report.png");
  writeFileSync(html, renderHtml(report));
  const url = pathToFileURL(html).href;
  const common = [
    "--headless",
    "--disable-gpu",
    "--no-sandbox",
    "--no-first-run",
    "--disable-extensions",
    "--window-size=1200,2000",
    "--enable-logging=stderr",
    "--v=0",
  ];
  const failures: string[] = [];

  const shot = await run(chromium, [...common, `--screenshot=${png}`, url], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  const dom = await run(chromium, [...common, "--dump-dom", url], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  const logs = `${shot.stderr}\n${dom.stderr}`;

  if (!existsSync(png)) failures.push("no screenshot written");
  else {
    const bytes = readFileSync(png);
    if (bytes.subarray(0, 8).toString("hex") !== "89504e470d0a1a0a") failures.push("the screenshot is not a PNG");
    if (bytes.length < 10_000) failures.push(`the screenshot is suspiciously small (${bytes.length} bytes)`);
  }
  const d = dom.stdout;
  if (!d.includes("<h1>jit-access report</h1>")) failures.push("the rendered DOM has no heading");
  if ((d.match(/<svg class="chart"/g) ?? []).length < 7) failures.push("the rendered DOM has fewer than 7 charts");
  if (!d.includes("<table>")) failures.push("the rendered DOM has no tables");
  if (/<script|<img/i.test(d)) failures.push("user text became markup (script or img in the DOM)");
  const consoleErrors = logs.split("\n").filter((l) => /CONSOLE|Uncaught|ERR_[A-Z_]+|net::/i.test(l) && !/dbus|gpu|sandbox/i.test(l));
  if (consoleErrors.length) failures.push(`console or network errors:\n  ${consoleErrors.slice(0, 10).join("\n  ")}`);

  if (failures.length) {
    console.error(`test:browser FAILED (${html}):\n- ${failures.join("\n- ")}`);
    return 1;
  }
  console.log(`test:browser ok: ${report.totals.requests} requests rendered by ${chromium}; screenshot ${png}`);
  return 0;
}

process.exitCode = await main();
