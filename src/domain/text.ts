// Small helpers for saying things about untrusted values in error messages.

/** A value shown in a message: JSON-ish, one line, truncated, control characters escaped. */
export function show(value: unknown, max = 60): string {
  let s: string;
  try {
    s = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    s = String(value);
  }
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** ajv's JSON pointer (`/request/0/access`) → the path people read (`request[0].access`). */
export function pointerToPath(pointer: string): string {
  if (pointer === "") return "";
  let out = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return `${base}[${JSON.stringify(key)}]`;
  return base === "" ? key : `${base}.${key}`;
}

/**
 * A copy of `s` that shares no memory with the text it was cut from. V8 represents a slice (and a
 * split token, a regex group) of 13 or more characters as a view of its parent, so a short key
 * kept in a long-lived map can keep a whole file, or a 64 KiB chunk of a streamed log, alive.
 */
export function detached(s: string): string {
  // Concatenating makes a new string; slicing that flattens it into a fresh copy of s's characters.
  return (" " + s).slice(1);
}
