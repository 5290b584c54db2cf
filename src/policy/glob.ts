// IAM wildcards (`*`, `?`) as sets of strings: does one pattern cover another, can two meet.
// Pure; dynamic programming throughout, so hostile input cannot make a regex backtrack.

/**
 * Does glob `pattern` (IAM wildcards `*`, `?`) cover every string `subject` can stand for?
 * When `subjectHasWildcards`, the subject's own `*` and `?` are wildcards too, and are covered
 * only by a `*` of the pattern (a `?` also by a `?`): a sound, conservative inclusion test.
 * Dynamic programming, O(|pattern|·|subject|): no regex backtracking on hostile input.
 */
export function globCovers(pattern: string, subject: string, subjectHasWildcards = false): boolean {
  if (pattern === "*") return true;
  if (!/[*?]/.test(pattern)) return pattern === subject;
  const m = pattern.length;
  let prev = new Uint8Array(m + 1);
  let cur = new Uint8Array(m + 1);
  prev[0] = 1;
  for (let j = 1; j <= m; j++) prev[j] = prev[j - 1] === 1 && pattern[j - 1] === "*" ? 1 : 0;
  for (let i = 1; i <= subject.length; i++) {
    const r = subject[i - 1];
    const rStar = subjectHasWildcards && r === "*";
    const rWild = subjectHasWildcards && (r === "*" || r === "?");
    cur[0] = 0;
    let any = 0;
    for (let j = 1; j <= m; j++) {
      const a = pattern[j - 1];
      let v: number;
      if (a === "*") v = cur[j - 1] === 1 || prev[j] === 1 ? 1 : 0;
      else if (a === "?") v = prev[j - 1] === 1 && !rStar ? 1 : 0;
      else v = prev[j - 1] === 1 && !rWild && r === a ? 1 : 0;
      cur[j] = v;
      any |= v;
    }
    if (!any) return false;
    [prev, cur] = [cur, prev];
  }
  return prev[m] === 1;
}

/** Can two globs match a common string? (Used only for a warning, so approximate is fine.) */
export function globsIntersect(x: string, y: string): boolean {
  const n = x.length;
  const m = y.length;
  // reach[i][j]: x[i..] and y[j..] can still match; computed backwards.
  let next = new Uint8Array(m + 1);
  let cur = new Uint8Array(m + 1);
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      let v = 0;
      if (i === n && j === m) v = 1;
      else if (i < n && x[i] === "*") v = next[j] === 1 || (j < m && cur[j + 1] === 1) ? 1 : 0;
      else if (j < m && y[j] === "*") v = cur[j + 1] === 1 || (i < n && next[j] === 1) ? 1 : 0;
      else if (i < n && j < m && (x[i] === y[j] || x[i] === "?" || y[j] === "?")) v = next[j + 1] ?? 0;
      cur[j] = v;
    }
    [next, cur] = [cur, next];
  }
  return next[0] === 1;
}

/** Is `resource` (a literal ARN or an ARN pattern) within one of the `allowed` ARN patterns? */
export function resourceWithin(resource: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => typeof a === "string" && globCovers(a, resource, true));
}

/** An ARN format (`arn:${Partition}:s3:::${BucketName}`) as a glob: each placeholder a `*`. */
export function formatToGlob(format: string): string {
  return format.replace(/\$\{[A-Za-z0-9]+\}/g, "*");
}
