// Line charts as plain SVG text (no dependency): axes with ticks, one polyline per series with its markers,
// a legend, and a title over the whole figure.
export type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'star';

export interface Series {
  name: string;
  points: Array<[number, number]>;
  color: string;
  /** An SVG stroke-dasharray, e.g. '6,3'; solid when absent. */
  dash?: string;
  marker?: Marker;
}

/** One legend line: a short stroke (colour, dash) and/or a marker, then the label. */
export interface LegendEntry {
  label: string;
  color: string;
  dash?: string;
  marker?: Marker;
  /** Leave out the stroke (a marker-only entry). */
  noLine?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  /** Only whole-number ticks on x (depths, steps). */
  xIntegers?: boolean;
  yLabel: string;
  series: Series[];
  /** The legend, when it should not be one entry per series (e.g. colour = method, marker = depth). */
  legend?: LegendEntry[];
  /** Legend entries per row. */
  legendColumns?: number;
  width?: number;
  height?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
export const MARKERS: readonly Marker[] = ['circle', 'square', 'triangle', 'diamond', 'cross', 'star'];
export const DASHES: readonly (string | undefined)[] = [undefined, '7,3', '2,3', '8,3,2,3', '12,4'];

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

/** A marker of radius about r centred at (x, y), filled with `color` (white-edged so overlapping ones stay readable). */
export function markerSvg(marker: Marker, x: number, y: number, color: string, r = 3.5): string {
  const f = (v: number): string => v.toFixed(1);
  const style = `fill="${color}" stroke="white" stroke-width="0.8"`;
  switch (marker) {
    case 'circle': return `<circle cx="${f(x)}" cy="${f(y)}" r="${r}" ${style}/>`;
    case 'square': return `<rect x="${f(x - r)}" y="${f(y - r)}" width="${2 * r}" height="${2 * r}" ${style}/>`;
    case 'triangle': return `<polygon points="${f(x)},${f(y - 1.2 * r)} ${f(x + 1.1 * r)},${f(y + 0.8 * r)} ${f(x - 1.1 * r)},${f(y + 0.8 * r)}" ${style}/>`;
    case 'diamond': return `<polygon points="${f(x)},${f(y - 1.3 * r)} ${f(x + 1.3 * r)},${f(y)} ${f(x)},${f(y + 1.3 * r)} ${f(x - 1.3 * r)},${f(y)}" ${style}/>`;
    case 'cross': return `<path d="M${f(x - r)},${f(y - r)}L${f(x + r)},${f(y + r)}M${f(x - r)},${f(y + r)}L${f(x + r)},${f(y - r)}" stroke="${color}" stroke-width="2"/>`;
    case 'star': {
      const pts = Array.from({ length: 10 }, (_, k) => {
        const a = -Math.PI / 2 + (k * Math.PI) / 5, rr = k % 2 === 0 ? 1.4 * r : 0.6 * r;
        return `${f(x + rr * Math.cos(a))},${f(y + rr * Math.sin(a))}`;
      });
      return `<polygon points="${pts.join(' ')}" ${style}/>`;
    }
  }
}

const dashAttr = (dash: string | undefined): string => (dash ? ` stroke-dasharray="${dash}"` : '');

/** One chart as an SVG <g> element of the given size, placed at (x, y). */
export function chartGroup(spec: ChartSpec, x = 0, y = 0): string {
  const width = spec.width ?? 480, height = spec.height ?? 320;
  const legend: LegendEntry[] = spec.legend ?? spec.series.map((s) => ({ label: s.name, color: s.color, dash: s.dash, marker: s.marker }));
  const columns = spec.legendColumns ?? 3;
  const left = 56, right = 12, top = 28, bottom = 44 + 16 * Math.ceil(legend.length / columns);
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
  for (const s of spec.series) {
    const pts = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (pts.length > 1) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.8"${dashAttr(s.dash)} points="${pts.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const [a, b] of pts) out.push(markerSvg(s.marker ?? 'circle', sx(a), sy(b), s.color));
  }
  legend.forEach((e, i) => {
    const lx = left + (i % columns) * (pw / columns), ly = top + ph + 48 + 16 * Math.floor(i / columns);
    if (!e.noLine) out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${e.color}" stroke-width="1.8"${dashAttr(e.dash)}/>`);
    if (e.marker) out.push(markerSvg(e.marker, lx + 12, ly - 4, e.color));
    out.push(`<text x="${lx + 30}" y="${ly}">${esc(e.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** Several charts side by side in one SVG document, under an optional title naming the whole figure. */
export function chartsSvg(specs: ChartSpec[], title?: string): string {
  const head = title ? 30 : 0;
  const w = specs.reduce((a, s) => a + (s.width ?? 480), 0), h = head + Math.max(...specs.map((s) => s.height ?? 320));
  let x = 0;
  const groups = specs.map((s) => { const g = chartGroup(s, x, head); x += s.width ?? 480; return g; });
  const titleSvg = title ? `<text x="${w / 2}" y="21" text-anchor="middle" font-family="sans-serif" font-size="15" font-weight="bold">${esc(title)}</text>\n` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">\n<rect width="100%" height="100%" fill="white"/>\n${titleSvg}${groups.join('\n')}\n</svg>\n`;
}
