// Plots as inline SVG strings (the report page needs no script, network or font): a line chart
// for series against sparsity or FLOPs, grouped horizontal bars (latency p50 with p90/p99
// whiskers, per-layer sparsity) and stacked bars (size breakdown). All labels are escaped.
import { esc, num } from './html.js';

/** Okabe–Ito colours (readable with colour blindness), then the same again dashed. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#7a5c00', '#444444'];
const FONT = 'font-family="system-ui, sans-serif" font-size="12"';

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) { const d = Math.abs(lo) || 1; lo -= d / 2; hi += d / 2; }
  const raw = (hi - lo) / count, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[0] > lo) out.unshift(Number((out[0] - step).toPrecision(12)));
  if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? ' ' + attrs : ''}>${esc(s)}</text>`;
const short = (s: string, n: number) => (s.length > n ? '…' + s.slice(s.length - n + 1) : s);

export interface Point { x: number; y: number; label?: string }
export interface Series { name: string; points: Point[] }
export interface LineChartSpec { title: string; xLabel: string; yLabel: string; series: Series[]; xPercent?: boolean; /** a horizontal reference line, e.g. the dense model */ reference?: { name: string; y: number } }

export function lineChart(spec: LineChartSpec): string {
  const W = 900, legendRows = Math.ceil(spec.series.length / 3), H = 320 + legendRows * 18;
  const L = 64, R = 40, T = 30, B = 50 + legendRows * 18, pw = W - L - R, ph = H - T - B;
  const pts = spec.series.flatMap((s) => s.points);
  const xs = niceTicks(Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x)));
  const yv = [...pts.map((p) => p.y), ...(spec.reference ? [spec.reference.y] : [])];
  const ys = niceTicks(Math.min(...yv), Math.max(...yv));
  const sx = (v: number) => L + ((v - xs[0]) / (xs[xs.length - 1] - xs[0])) * pw;
  const sy = (v: number) => T + ph - ((v - ys[0]) / (ys[ys.length - 1] - ys[0])) * ph;
  const xt = (v: number) => (spec.xPercent ? `${num(v * 100, 1)}%` : Math.abs(v) >= 1e4 ? v.toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 2 }) : num(v, 3));
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" ${FONT}>`];
  out.push(text(L, 18, spec.title, 'font-weight="600" font-size="14"'));
  for (const v of ys) out.push(`<line x1="${L}" x2="${L + pw}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#e3e6eb"/>`, text(L - 6, sy(v) + 4, num(v, 4), 'text-anchor="end" fill="#555"'));
  for (const v of xs) out.push(`<line x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${T + ph}" y2="${T + ph + 4}" stroke="#888"/>`, text(sx(v), T + ph + 17, xt(v), 'text-anchor="middle" fill="#555"'));
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(text(L + pw / 2, T + ph + 34, spec.xLabel, 'text-anchor="middle"'));
  out.push(text(14, T + ph / 2, spec.yLabel, `text-anchor="middle" transform="rotate(-90 14 ${(T + ph / 2).toFixed(1)})"`));
  if (spec.reference) {
    const y = sy(spec.reference.y).toFixed(1);
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="#222" stroke-dasharray="2 3"/>`, text(L + pw - 4, Number(y) - 5, `${spec.reference.name} ${num(spec.reference.y, 4)}`, 'text-anchor="end" fill="#222"'));
  }
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length], dash = i >= PALETTE.length ? ' stroke-dasharray="5 3"' : '';
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (sorted.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash} points="${sorted.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
    for (const p of sorted) out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${s.name}${p.label ? ` (${p.label})` : ''}: ${xt(p.x)}, ${num(p.y, 4)}`)}</title></circle>`);
    const lx = L + (i % 3) * (pw / 3), ly = T + ph + 52 + Math.floor(i / 3) * 18;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="3"${dash}/>`, text(lx + 24, ly, s.name.length > 38 ? s.name.slice(0, 37) + '…' : s.name));
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface Bar { label: string; value: number; color?: string; whiskers?: number[]; note?: string }
export interface BarGroup { label: string; bars: Bar[] }
export interface BarChartSpec { title: string; unit: string; groups: BarGroup[]; legend?: { name: string; color: string }[]; max?: number; percent?: boolean; labelWidth?: number }

/** Horizontal bars in labelled groups; whiskers (e.g. p90, p99) are drawn as a line past the bar. */
export function barChart(spec: BarChartSpec): string {
  const W = 900, L = spec.labelWidth ?? 170, R = 90, barH = 14, gap = 4, groupGap = 12, T = 30 + (spec.legend ? 20 : 0);
  const ownRow = (g: BarGroup) => g.bars.length > 1 && g.label !== '';
  const rows = spec.groups.reduce((n, g) => n + g.bars.length + (ownRow(g) ? 1 : 0), 0);
  const ph = rows * (barH + gap) + spec.groups.length * groupGap, H = T + ph + 40, pw = W - L - R;
  // the axis covers the largest bar and the first whiskers (p90) up to 3x that bar, so that a
  // noisy tail does not flatten the bars; longer whiskers end in an arrow at the edge
  const bars = spec.groups.flatMap((g) => g.bars), most = Math.max(...bars.map((b) => b.value), 0);
  const top = spec.max ?? Math.max(most, Math.min(3 * most, Math.max(...bars.map((b) => b.whiskers?.[0] ?? 0))));
  const ticks = spec.percent ? [0, 0.25, 0.5, 0.75, 1] : niceTicks(0, top || 1);
  const sx = (v: number) => L + (Math.min(v, ticks[ticks.length - 1]) / ticks[ticks.length - 1]) * pw;
  const fmt = (v: number) => (spec.percent ? `${num(v * 100, 1)}%` : num(v, 3));
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" ${FONT}>`];
  out.push(text(8, 18, spec.title, 'font-weight="600" font-size="14"'));
  (spec.legend ?? []).forEach((e, i) => out.push(`<rect x="${L + i * 150}" y="30" width="12" height="12" fill="${e.color}"/>`, text(L + i * 150 + 17, 40, e.name)));
  for (const v of ticks) out.push(`<line x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${T}" y2="${T + ph}" stroke="#e3e6eb"/>`, text(sx(v), T + ph + 15, fmt(v), 'text-anchor="middle" fill="#555"'));
  out.push(text(L + pw / 2, T + ph + 32, spec.unit, 'text-anchor="middle"'));
  let y = T + groupGap / 2;
  for (const g of spec.groups) {
    if (spec.groups.length > 1 || g.label) out.push(text(8, y + barH - 2, short(g.label, 40), 'font-weight="600"'));
    if (ownRow(g)) y += barH + gap;
    for (const b of g.bars) {
      const color = b.color ?? PALETTE[0];
      out.push(`<g><title>${esc(`${g.label ? g.label + ' · ' : ''}${b.label}: ${fmt(b.value)}${b.note ? ` (${b.note})` : ''}`)}</title>`);
      if (b.label) out.push(text(L - 6, y + barH - 3, short(b.label, Math.floor(L / 6.5)), 'text-anchor="end"'));
      out.push(`<rect x="${L}" y="${y.toFixed(1)}" width="${Math.max(0.5, sx(b.value) - L).toFixed(1)}" height="${barH}" fill="${color}"/>`);
      let end = sx(b.value);
      for (const [k, w] of (b.whiskers ?? []).entries()) {
        out.push(`<line x1="${end.toFixed(1)}" x2="${sx(w).toFixed(1)}" y1="${(y + barH / 2).toFixed(1)}" y2="${(y + barH / 2).toFixed(1)}" stroke="#333" stroke-width="${k ? 1 : 2}"/>`,
          w > ticks[ticks.length - 1] ? `<path d="M${(sx(w) - 5).toFixed(1)} ${(y + 3).toFixed(1)}l5 ${barH / 2 - 3}l-5 ${barH / 2 - 3}" fill="none" stroke="#333"/>`
            : `<line x1="${sx(w).toFixed(1)}" x2="${sx(w).toFixed(1)}" y1="${(y + 3).toFixed(1)}" y2="${(y + barH - 3).toFixed(1)}" stroke="#333"/>`);
        end = Math.max(end, sx(w));
      }
      out.push(text(end + 5, y + barH - 3, b.note ?? fmt(b.value), 'fill="#333"'), '</g>');
      y += barH + gap;
    }
    y += groupGap;
  }
  out.push('</svg>');
  return out.join('\n');
}

export interface StackRow { label: string; parts: { name: string; value: number }[] }

/** One horizontal bar per row, split into coloured parts (same part names share a colour). */
export function stackedBars(title: string, unit: string, rows: StackRow[], fmt: (v: number) => string): string {
  const names = [...new Set(rows.flatMap((r) => r.parts.map((p) => p.name)))];
  const color = (n: string) => PALETTE[names.indexOf(n) % PALETTE.length];
  const W = 900, L = 300, R = 90, barH = 20, gap = 10, T = 52, pw = W - L - R;
  const H = T + rows.length * (barH + gap) + 36;
  const ticks = niceTicks(0, Math.max(...rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0)), 1));
  const sx = (v: number) => L + (v / ticks[ticks.length - 1]) * pw;
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" ${FONT}>`];
  out.push(text(8, 18, title, 'font-weight="600" font-size="14"'));
  names.forEach((n, i) => out.push(`<rect x="${L + i * 130}" y="30" width="12" height="12" fill="${color(n)}"/>`, text(L + i * 130 + 17, 40, n)));
  for (const v of ticks) out.push(`<line x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${T - 4}" y2="${H - 36}" stroke="#e3e6eb"/>`, text(sx(v), H - 21, fmt(v), 'text-anchor="middle" fill="#555"'));
  out.push(text(L + pw / 2, H - 5, unit, 'text-anchor="middle"'));
  rows.forEach((r, i) => {
    const y = T + i * (barH + gap);
    out.push(text(L - 6, y + barH - 5, short(r.label, Math.floor((L - 12) / 6.6)), 'text-anchor="end"'));
    let x = 0;
    for (const p of r.parts) {
      out.push(`<rect x="${sx(x).toFixed(1)}" y="${y}" width="${Math.max(0, sx(x + p.value) - sx(x)).toFixed(1)}" height="${barH}" fill="${color(p.name)}"><title>${esc(`${r.label} · ${p.name}: ${fmt(p.value)}`)}</title></rect>`);
      x += p.value;
    }
    out.push(text(sx(x) + 5, y + barH - 5, fmt(x), 'fill="#333"'));
  });
  out.push('</svg>');
  return out.join('\n');
}
