// The report page: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched)
// with latency per engine, quality against sparsity or FLOPs, per-layer sparsity and format,
// and the size breakdown, each plot followed by its numbers in a table.
import { bytes, esc, num, table } from './html.js';
import { barChart, lineChart, stackedBars, PALETTE, type BarGroup } from './svg.js';
import type { BenchEntry, BuildEntry, PlotEntry, ReportInputs } from './inputs.js';

const ENGINE_COLORS: Record<string, string> = { sparsec: PALETTE[0], 'onnxruntime-web': PALETTE[1], 'onnxruntime-node': PALETTE[2] };
const FORMAT_COLORS = [PALETTE[7], PALETTE[0], PALETTE[3], PALETTE[2], PALETTE[4], PALETTE[1]];
/** the engine family: `sparsec · cnn magnitude:2:4` and `sparsec toast 0.3` are sparsec bars */
const family = (e: string) => /^(sparsec|onnxruntime-web|onnxruntime-node)\b/.exec(e)?.[1] ?? e;
const engineColor = (e: string) => ENGINE_COLORS[family(e)] ?? PALETTE[3];
const pct = (v: number) => `${num(v * 100, 1)}%`;

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2330; background: #f6f7f9; margin: 0 auto; max-width: 1000px; padding: 16px 24px 40px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 0 0 10px; } h3 { font-size: 15px; margin: 14px 0 6px; }
.sub { color: #5b6475; margin: 0 0 16px; }
section { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #e6e9ee; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
td { font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; color: #3d5afe; margin: 4px 0; }
.note { color: #5b6475; font-size: 13px; }
code { font-size: 12px; }
svg { max-width: 100%; height: auto; }
`;

function latencySection(benches: BenchEntry[]): string {
  if (!benches.length) return '';
  const engines = [...new Set(benches.flatMap((b) => b.results.map((r) => family(r.engine))))];
  const labelWidth = Math.min(300, 40 + 6.5 * Math.max(...benches.flatMap((b) => b.results.map((r) => r.engine.length))));
  // one chart per build: a model 100x slower than another would flatten it on a shared axis
  const charts = benches.map((b, i) => barChart({
    title: `${b.label}${b.threads ? ` · ${b.threads} thread${b.threads > 1 ? 's' : ''}` : ''}`,
    unit: 'milliseconds per inference', labelWidth, legend: i === 0 ? engines.map((e) => ({ name: e, color: engineColor(e) })) : undefined,
    groups: [{ label: '', bars: b.results.map((r) => ({ label: r.engine, value: r.stats.p50, color: engineColor(r.engine), whiskers: [r.stats.p90, r.stats.p99], note: `${num(r.stats.p50)} ms` })) }],
  }));
  const chart = charts.join('\n');
  const rows = benches.flatMap((b) => {
    const base = b.results.find((r) => r.engine.startsWith('sparsec'))?.stats.p50;
    return b.results.map((r, i) => [i === 0 ? `<b>${esc(b.label)}</b>` : '', esc(r.engine), num(r.loadMs, 1), num(r.firstMs), num(r.stats.p50), num(r.stats.p90), num(r.stats.p99), String(r.stats.n),
      base ? `${num(r.stats.p50 / base, 2)}×` : '–', r.maxAbsDiffVsOrtNode == null ? '–' : esc(r.maxAbsDiffVsOrtNode.toExponential(1))]);
  });
  // the environment once per distinct line (usually one for all files of a run)
  const envs = new Map<string, string[]>();
  for (const b of benches) {
    const p = b.platform ?? {}, v = b.versions ?? {};
    const line = [p.node && `Node ${p.node}`, p.cpu, p.cores && `${p.cores} cores`, ...Object.entries(v).map(([k, x]) => `${k} ${x}`), b.seed !== undefined && `seed ${b.seed}`].filter(Boolean).join(' · ');
    if (line) envs.set(line, [...(envs.get(line) ?? []), b.file]);
  }
  const env = [...envs].map(([line, files]) => `<li>${esc(line)} <span class="note">(${files.map((f) => `<code>${esc(f)}</code>`).join(', ')})</span></li>`).join('');
  return `<section id="latency"><h2>Latency</h2><p class="note">Steady state: the bar is the median (p50), whiskers reach p90 (thick) and p99 (thin; › = beyond the axis).</p>${chart}
<p class="note">Load = fetch, compile and instantiate (with the weights); first = the first inference; p50/p90/p99 = steady state after warm-up, the engines timed in alternating rounds on the same inputs. max |Δ| = largest output difference from onnxruntime-node on those inputs.</p>
${table(['build', 'engine', 'load ms', 'first ms', 'p50 ms', 'p90 ms', 'p99 ms', 'runs', 'p50 vs first sparsec', 'max |Δ|'], rows)}
<ul class="note">${env}</ul></section>`;
}

function plotSection(plots: PlotEntry[]): string {
  if (!plots.length) return '';
  const parts = plots.map((p) => {
    const chart = lineChart({ title: p.title, xLabel: p.xLabel, yLabel: p.yLabel, series: p.series, xPercent: p.xPercent, reference: p.reference });
    const t = p.table ?? { head: ['series', 'point', p.xLabel, p.yLabel], rows: p.series.flatMap((s) => s.points.map((q) => [s.name, q.label ?? '', q.x, q.y])) };
    const cell = (c: string | number, i: number) => (typeof c === 'number' ? (p.xPercent && (t.head[i] === p.xLabel || t.head[i] === 'sparsity') ? pct(c) : num(c, 4)) : esc(c));
    return `${chart}<details><summary>values (${esc(p.file)})</summary>${table(t.head.map(esc), t.rows.map((r) => r.map(cell)))}</details>`;
  });
  return `<section id="quality"><h2>Quality against sparsity or FLOPs</h2>${parts.join('\n')}</section>`;
}

function layerSection(builds: BuildEntry[]): string {
  if (!builds.length) return '';
  const parts = builds.map((b) => {
    // the layers whose weight format was chosen (Conv, MatMul, Gemm with constant weights)
    const layers = b.manifest.layers.filter((l) => l.reason !== undefined || l.format !== 'dense');
    const formats = [...new Set(layers.map((l) => l.format))].sort((a, c) => (a === 'dense' ? -1 : c === 'dense' ? 1 : a.localeCompare(c)));
    const color = (f: string) => FORMAT_COLORS[formats.indexOf(f) % FORMAT_COLORS.length];
    const chart = layers.length
      ? barChart({ title: `${b.label}: weight sparsity and format per layer`, unit: 'fraction of zero weights', percent: true, max: 1, labelWidth: 260,
        legend: formats.map((f) => ({ name: f, color: color(f) })),
        groups: [{ label: '', bars: layers.map((l) => ({ label: l.node, value: l.sparsity, color: color(l.format), note: `${l.format} · ${pct(l.sparsity)}` })) }] })
      : '<p class="note">No layer with weights to choose a format for.</p>';
    const rows = b.manifest.layers.filter((l) => l.weightBytes > 0).map((l) => [esc(l.node), esc(l.op), esc(l.format), pct(l.sparsity), bytes(l.weightBytes), esc(l.kernels.join(', ')), esc(l.reason ?? '')]);
    return `<h3>${esc(b.label)} <span class="note">(${esc(b.file)}, target ${esc(b.manifest.target)})</span></h3>${chart}
<details><summary>every layer with weights (${rows.length})</summary>${table(['layer', 'op', 'format', 'sparsity', 'weights', 'kernels', 'why this format'], rows)}</details>`;
  });
  return `<section id="layers"><h2>Per-layer sparsity and format</h2>${parts.join('\n')}</section>`;
}

function sizeSection(builds: BuildEntry[], benches: BenchEntry[]): string {
  const seen = new Set<string>();
  const entries = [...builds.map((b) => ({ label: b.label, sizes: b.manifest.sizes })), ...benches.flatMap((b) => b.sizes)]
    .filter((e) => !seen.has(e.label) && seen.add(e.label))
    .sort((a, b) => a.label.localeCompare(b.label));
  if (!entries.length) return '';
  const chart = stackedBars('Size: code, weights and activation arena', 'KiB', entries.map((e) => ({ label: e.label, parts: [
    { name: 'model.wasm', value: e.sizes.wasm / 1024 }, { name: 'weights.bin', value: e.sizes.weights / 1024 }, { name: 'arena', value: e.sizes.arena / 1024 }] })), (v) => num(v, 1));
  const rows = entries.map((e) => [esc(e.label), bytes(e.sizes.wasm), bytes(e.sizes.weights), bytes(e.sizes.arena), e.sizes.memory ? bytes(e.sizes.memory) : '–']);
  return `<section id="size"><h2>Size</h2>${chart}${table(['build', 'model.wasm', 'weights.bin', 'arena', 'linear memory'], rows)}
<p class="note">The arena holds the activations (buffers reused once dead); linear memory = arena + weights + scratch + stack.</p></section>`;
}

export function renderReport(inputs: ReportInputs, title: string, generator: string): string {
  const body = [latencySection(inputs.benches), plotSection(inputs.plots), layerSection(inputs.builds), sizeSection(inputs.builds, inputs.benches)].filter(Boolean).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><p class="sub">${esc(generator)}</p>
${body}
</body></html>
`;
}
