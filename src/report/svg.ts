// Inline SVG charts for the HTML report: no scripts, no external anything. Pure.
// Inline <svg> in HTML needs no xmlns (and an xmlns would be an http URL in the file).

export function escapeHtml(text: unknown): string {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

export interface Bar {
  label: string;
  value: number;
  /** Shown instead of the value. */
  text?: string;
  color?: string;
}

const PALETTE = ["#2f6fde", "#1f9d74", "#d9822b", "#8e59c9", "#c94a5a", "#3aa6b9", "#7a8b2b", "#6b7280"];
export const RISK_COLOR: Record<string, string> = { low: "#1f9d74", medium: "#d9822b", high: "#c94a5a" };

function cut(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : s;
}

/** Horizontal bars, one row per item, labels left, values right. */
export function barChart(title: string, bars: readonly Bar[], opts: { width?: number; labelWidth?: number; color?: string } = {}): string {
  const width = opts.width ?? 520;
  const labelW = opts.labelWidth ?? 150;
  const row = 22;
  const valueW = 60;
  const plotW = width - labelW - valueW - 10;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(1, bars.length) * row + 8;
  const parts = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>`,
  ];
  if (!bars.length) parts.push(`<text x="4" y="16" class="muted">no data</text>`);
  bars.forEach((b, i) => {
    const y = 4 + i * row;
    const w = Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * plotW));
    const color = b.color ?? opts.color ?? PALETTE[0];
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(cut(b.label, 24))}</text>`,
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${row - 8}" rx="3" fill="${color}"/>`,
      `<text x="${labelW + w + 6}" y="${y + 15}">${escapeHtml(b.text ?? String(b.value))}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Vertical bars (a histogram), labels under the bars. */
export function columnChart(title: string, bars: readonly Bar[], opts: { width?: number; height?: number; color?: string } = {}): string {
  const width = opts.width ?? 520;
  const height = opts.height ?? 200;
  const bottom = 28;
  const top = 18;
  const n = Math.max(1, bars.length);
  const slot = width / n;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const parts = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>`,
  ];
  parts.push(`<line x1="0" y1="${height - bottom}" x2="${width}" y2="${height - bottom}" stroke="#c8ccd2"/>`);
  bars.forEach((b, i) => {
    const h = Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * (height - bottom - top)));
    const x = i * slot + slot * 0.15;
    const w = slot * 0.7;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${height - bottom - h}" width="${w.toFixed(1)}" height="${h}" rx="3" fill="${b.color ?? opts.color ?? PALETTE[1]}"/>`,
      `<text x="${(x + w / 2).toFixed(1)}" y="${height - bottom - h - 4}" text-anchor="middle">${escapeHtml(b.text ?? String(b.value))}</text>`,
      `<text x="${(x + w / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle">${escapeHtml(cut(b.label, 14))}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("");
}

/** One stacked bar with a legend (wrapping onto more rows): shares of a whole. */
export function stackedBar(title: string, parts: readonly Bar[], opts: { width?: number } = {}): string {
  const width = opts.width ?? 520;
  const total = parts.reduce((s, p) => s + p.value, 0);
  const legend: string[] = [];
  let lx = 0;
  let ly = 40;
  parts.forEach((p, i) => {
    const color = p.color ?? PALETTE[i % PALETTE.length];
    const label = cut(`${p.label} ${p.text ?? p.value}`, 22);
    const w = Math.min(170, 24 + label.length * 7);
    if (lx > 0 && lx + w > width) {
      lx = 0;
      ly += 18;
    }
    legend.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly + 9}">${escapeHtml(label)}</text>`);
    lx += w;
  });
  const height = ly + 16;
  const out = [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>`,
  ];
  if (total === 0) out.push(`<rect x="0" y="4" width="${width}" height="20" rx="4" fill="#e5e7eb"/>`);
  let x = 0;
  parts.forEach((p, i) => {
    if (total > 0 && p.value > 0) {
      const w = (p.value / total) * width;
      out.push(`<rect x="${x.toFixed(1)}" y="4" width="${w.toFixed(1)}" height="20" fill="${p.color ?? PALETTE[i % PALETTE.length]}"/>`);
      x += w;
    }
  });
  out.push(...legend, "</svg>");
  return out.join("");
}

export const palette = (i: number): string => PALETTE[i % PALETTE.length] as string;
