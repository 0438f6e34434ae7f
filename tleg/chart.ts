// Line charts as plain SVG text (no dependency): axes with ticks, one polyline per series, a legend.
export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  /** Only whole-number ticks on x (depths, steps). */
  xIntegers?: boolean;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** About five round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5, integers = false): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const step = integers ? Math.max(1, Math.round(nice)) : nice;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** One chart as an SVG <g> element of the given size, placed at (x, y). */
export function chartGroup(spec: ChartSpec, x = 0, y = 0): string {
  const width = spec.width ?? 480, height = spec.height ?? 320;
  const left = 56, right = 12, top = 28, bottom = 44 + 16 * Math.ceil(spec.series.length / 3);
  const pw = width - left - right, ph = height - top - bottom;
  const all = spec.series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (all.length === 0) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const sx = (v: number): number => Math.round(10 * (left + ((v - x0) / (x1 - x0)) * pw)) / 10;
  const sy = (v: number): number => Math.round(10 * (top + ph - ((v - y0) / (y1 - y0)) * ph)) / 10;
  const out: string[] = [`<g transform="translate(${x},${y})" font-family="sans-serif" font-size="11">`];
  out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(spec.title)}</text>`);
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  for (const t of niceTicks(x0, x1, 5, spec.xIntegers)) {
    out.push(`<line x1="${sx(t)}" y1="${top + ph}" x2="${sx(t)}" y2="${top + ph + 4}" stroke="#888"/>`);
    out.push(`<text x="${sx(t)}" y="${top + ph + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${left}" y1="${sy(t)}" x2="${left + pw}" y2="${sy(t)}" stroke="#eee"/>`);
    out.push(`<text x="${left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
  }
  out.push(`<text x="${left + pw / 2}" y="${top + ph + 32}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    const dash = s.dashed ? ' stroke-dasharray="5,3"' : '';
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const [a, b] of pts) out.push(`<circle cx="${sx(a).toFixed(1)}" cy="${sy(b).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    const lx = left + (i % 3) * (pw / 3), ly = top + ph + 48 + 16 * Math.floor(i / 3);
    out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 22}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Several charts side by side in one SVG document. */
export function chartsSvg(specs: ChartSpec[]): string {
  const w = specs.reduce((a, s) => a + (s.width ?? 480), 0), h = Math.max(...specs.map((s) => s.height ?? 320));
  let x = 0;
  const groups = specs.map((s) => { const g = chartGroup(s, x, 0); x += s.width ?? 480; return g; });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n<rect width="100%" height="100%" fill="white"/>\n${groups.join('\n')}\n</svg>\n`;
}
