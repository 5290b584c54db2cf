// The tarball the fake serves for GET /repos/{o}/{r}/tarball/{ref}, shaped as `git archive
// --format=tar.gz` writes it (what codeload.github.com answers): a pax global header whose
// `comment` is the commit sha, then every directory and file under one top folder
// `<owner>-<repo>-<short sha>/`, ustar headers with a pax extended header ("x") for a path over
// 100 bytes, symlinks as links, and two zero blocks at the end. Paths a root .gitattributes marks
// `export-ignore` are left out, as git archive does (the reason a reader must check the archive
// against the tree).
import { gzipSync } from "node:zlib";
import type { FileEntry } from "./git.js";

const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(name: string, opts: { size: number; type: string; mode: number; linkname?: string; mtime: number }): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  h.write(octal(opts.mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(opts.size, 12), 124, "ascii");
  h.write(octal(opts.mtime, 12), 136, "ascii");
  h.write("        ", 148, "ascii");
  h.write(opts.type, 156, "ascii");
  if (opts.linkname) h.write(opts.linkname, 157, 100, "utf8");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write("root", 265, "ascii");
  h.write("root", 297, "ascii");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return h;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest ? [data, Buffer.alloc(BLOCK - rest)] : [data];
}

/** One pax record: "<length> <key>=<value>\n", the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const base = Buffer.byteLength(body);
  let len = base + 1;
  while (String(len).length + base !== len) len = String(len).length + base;
  return `${len}${body}`;
}

function entry(out: Buffer[], name: string, data: Buffer, opts: { type: string; mode: number; linkname?: string; mtime: number }): void {
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(opts.linkname ?? "") > 100) {
    const pax = Buffer.from(paxRecord("path", name) + (opts.linkname ? paxRecord("linkpath", opts.linkname) : ""), "utf8");
    out.push(header("pax_header", { size: pax.length, type: "x", mode: 0o644, mtime: opts.mtime }), ...padded(pax));
  }
  out.push(header(name.slice(0, 100), { size: opts.type === "0" ? data.length : 0, ...opts }), ...(opts.type === "0" ? padded(data) : []));
}

/** Patterns of a root .gitattributes marked export-ignore: exact paths, folders, and `*` globs within a segment. */
function exportIgnored(attributes: string | undefined): (path: string) => boolean {
  const patterns = (attributes ?? "")
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((p) => p.length > 1 && p.slice(1).includes("export-ignore"))
    .map((p) => (p[0] ?? "").replace(/^\//, "").replace(/\/$/, ""));
  const rx = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join("[^/]*")}(/|$)`,
      ),
  );
  return (path) => rx.some((r) => r.test(path));
}

export function tarGz(opts: {
  top: string;
  commit: string;
  mtime: number;
  files: Map<string, FileEntry>;
  readBlob: (sha: string) => Buffer | undefined;
}): Buffer {
  const out: Buffer[] = [];
  const comment = Buffer.from(paxRecord("comment", opts.commit), "utf8");
  out.push(header("pax_global_header", { size: comment.length, type: "g", mode: 0o666, mtime: opts.mtime }), ...padded(comment));
  const attributes = opts.files.get(".gitattributes");
  const ignored = exportIgnored(attributes ? opts.readBlob(attributes.sha)?.toString("utf8") : undefined);
  const paths = [...opts.files.keys()].filter((p) => !ignored(p)).sort();
  const dirs = new Set<string>();
  entry(out, `${opts.top}/`, Buffer.alloc(0), { type: "5", mode: 0o775, mtime: opts.mtime });
  for (const path of paths) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      entry(out, `${opts.top}/${dir}/`, Buffer.alloc(0), { type: "5", mode: 0o775, mtime: opts.mtime });
    }
    const e = opts.files.get(path) as FileEntry;
    const data = opts.readBlob(e.sha) ?? Buffer.alloc(0);
    if (e.mode === "120000") entry(out, `${opts.top}/${path}`, Buffer.alloc(0), { type: "2", mode: 0o777, linkname: data.toString("utf8"), mtime: opts.mtime });
    else entry(out, `${opts.top}/${path}`, data, { type: "0", mode: e.mode === "100755" ? 0o775 : 0o664, mtime: opts.mtime });
  }
  out.push(Buffer.alloc(BLOCK * 2));
  return gzipSync(Buffer.concat(out));
}
