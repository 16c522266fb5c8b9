// What `sparsec report` reads, each file recognised by its content:
//   - a `sparsec bench --json` report (schemaVersion, results[] of engines), or the
//     out/bench-models.json of `npm run bench` (rows[], each with engines[]);
//   - a build folder or its manifest.json (per-layer formats and reasons, sizes);
//   - a series file (docs/report.md): { "kind": "sparsec-series", "title", "x": { "label", "percent" },
//     "y": { "label" }, "reference"?: { "name", "y" }, "series": [{ "name", "points": [{ "x", "y", "label"? }] }] }
//     or { "kind": "sparsec-series", "plots": [ ...such objects ] };
//   - the out/crepe-table.json of compiler/bench/crepe-table.ts (bits per byte against sparsity);
//   - the out/reprune.json of compiler/bench/reprune.ts (quality against MACs removed, per model);
//   - the out/toast.json of compiler/bench/toast.ts (vit accuracy, recognizer CER against MACs
//     removed; its latency runs as bench sections).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SparsecError } from '../errors.js';
import type { Stats } from '../bench/latency.js';
import type { Series } from './svg.js';

export interface EngineRow { engine: string; loadMs: number; firstMs: number; stats: Stats; samples?: number[]; maxAbsDiffVsOrtNode?: number | null }
export interface Sizes { wasm: number; weights: number; arena: number; [k: string]: number }
export interface BenchEntry { label: string; file: string; threads?: number; seed?: number; platform?: Record<string, unknown>; versions?: Record<string, string>; sizes: { label: string; sizes: Sizes }[]; results: EngineRow[] }
export interface LayerRow { node: string; op: string; format: string; sparsity: number; weightBytes: number; kernels: string[]; reason?: string }
export interface BuildEntry { label: string; file: string; manifest: { source: string; target: string; prune: string | null; sizes: Sizes; layers: LayerRow[]; ops?: Record<string, number>; inputs?: { name: string; shape: number[] }[] } }
export interface PlotEntry { file: string; title: string; xLabel: string; yLabel: string; xPercent: boolean; reference?: { name: string; y: number }; series: Series[]; table?: { head: string[]; rows: (string | number)[][] } }
export interface ReportInputs { benches: BenchEntry[]; builds: BuildEntry[]; plots: PlotEntry[] }

const bad = (file: string, msg: string): never => { throw new SparsecError('E_FILE', msg, { file }); };
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
type Obj = Record<string, unknown>;

/** the input shapes tell apart builds of one model at several sizes (gpt T=128 and T=1) */
const shapesOf = (m: { inputs?: { name: string; shape: number[] }[] }) => (m.inputs?.length ? ` (${m.inputs.map((i) => `${i.name} ${i.shape.join('×')}`).join(', ')})` : '');
export const buildLabel = (m: { source: string; prune: string | null; inputs?: { name: string; shape: number[] }[] }) => `${m.source}${shapesOf(m)} · ${m.prune ?? 'dense'}`;

function readJson(file: string): Obj {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { return bad(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`); }
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : bad(file, 'expected a JSON object');
  } catch (e) { return bad(file, `not valid JSON (${(e as Error).message})`); }
}

function engineRows(file: string, rows: unknown): EngineRow[] {
  if (!Array.isArray(rows) || !rows.length) return bad(file, 'a bench report needs a non-empty results[] of engines');
  return rows.map((r: Obj, i) => {
    const s = r?.stats as Obj | undefined;
    if (typeof r?.engine !== 'string' || !s || !['p50', 'p90', 'p99'].every((k) => isNum(s[k]))) return bad(file, `results[${i}] needs engine and stats.p50/p90/p99`);
    return { engine: r.engine, loadMs: Number(r.loadMs), firstMs: Number(r.firstMs), stats: s as unknown as Stats, samples: r.samples as number[] | undefined, maxAbsDiffVsOrtNode: (r.maxAbsDiffVsOrtNode as number | null | undefined) ?? null };
  });
}

function manifestEntry(file: string, m: Obj): BuildEntry {
  const sizes = m.sizes as Sizes | undefined;
  if (typeof m.source !== 'string' || !sizes || !Array.isArray(m.layers)) return bad(file, 'not a sparsec manifest (needs source, sizes, layers)');
  const manifest = { source: m.source, target: String(m.target), prune: (m.prune as string | null) ?? null, sizes, layers: m.layers as LayerRow[], ops: m.ops as Record<string, number>, inputs: m.inputs as { name: string; shape: number[] }[] | undefined };
  return { label: buildLabel(manifest), file, manifest };
}

function seriesPlot(file: string, p: Obj, where: string): PlotEntry {
  const x = (p.x ?? {}) as Obj, y = (p.y ?? {}) as Obj;
  if (!Array.isArray(p.series) || !p.series.length) return bad(file, `${where}: series must be a non-empty array`);
  const series = p.series.map((s: Obj, i: number) => {
    if (typeof s?.name !== 'string' || !Array.isArray(s.points)) return bad(file, `${where}.series[${i}] needs name and points[]`);
    const points = s.points.map((q: Obj, j: number) => (isNum(q?.x) && isNum(q?.y) ? { x: q.x, y: q.y, label: q.label === undefined ? undefined : String(q.label) } : bad(file, `${where}.series[${i}].points[${j}] needs numeric x and y`)));
    return { name: s.name, points };
  });
  if (!series.some((s) => s.points.length)) return bad(file, `${where}: no points`);
  const ref = p.reference as Obj | undefined;
  if (ref !== undefined && !(typeof ref?.name === 'string' && isNum(ref.y))) return bad(file, `${where}.reference needs name and numeric y`);
  return {
    file, title: String(p.title ?? basename(file)), xLabel: String(x.label ?? 'x'), yLabel: String(y.label ?? 'y'), xPercent: x.percent === true,
    reference: ref as PlotEntry['reference'], series,
  };
}

/** compiler/bench/crepe-table.ts: unstructured rows as lines against sparsity, every row in the table. */
function crepePlot(file: string, j: Obj): PlotEntry {
  const results = j.results as { label: string; pattern: string; sparsity: number; bitsPerByte: number }[];
  const byLabel = new Map<string, Series>();
  for (const r of results) {
    if (r.pattern.includes(':')) continue;
    if (!byLabel.has(r.label)) byLabel.set(r.label, { name: r.label, points: [] });
    byLabel.get(r.label)!.points.push({ x: r.sparsity, y: r.bitsPerByte, label: r.pattern });
  }
  return {
    file, title: `${basename(String(j.model ?? 'model'))}: held-out bits per byte against sparsity (unstructured; N:M in the table)`,
    xLabel: 'sparsity of the pruned layers', yLabel: 'bits per byte (lower is better)', xPercent: true,
    reference: isNum(j.dense) ? { name: 'dense', y: j.dense } : undefined,
    series: [...byLabel.values()].filter((s) => s.points.length > 0),
    table: { head: ['method', 'pattern', 'sparsity', 'bits per byte'], rows: results.map((r) => [r.label, r.pattern, r.sparsity, r.bitsPerByte]) },
  };
}

interface RepruneRow { model: string; target: number; reduction: number; method: string; recovery: string; metric: Record<string, number> }

/** compiler/bench/reprune.ts: per model, its quality metric against the fraction of MACs removed,
 *  one line per selection method and recovery (the metric its table leads with). */
function reprunePlots(file: string, rows: RepruneRow[]): PlotEntry[] {
  return [...new Set(rows.map((r) => r.model))].map((model) => {
    const mine = rows.filter((r) => r.model === model), dense = mine.find((r) => r.recovery === 'dense');
    const pruned = mine.filter((r) => r.recovery !== 'dense');
    const keys = Object.keys(pruned[0]?.metric ?? {});
    const main = ['accuracy', 'detectionRecall'].find((k) => keys.includes(k)) ?? keys[0];
    const series = new Map<string, Series>();
    for (const r of pruned) {
      const name = `${r.method} · ${r.recovery}`;
      if (!series.has(name)) series.set(name, { name, points: [] });
      if (isNum(r.metric[main])) series.get(name)!.points.push({ x: r.reduction, y: r.metric[main], label: `target ${r.target}` });
    }
    return {
      file, title: `${model}: ${main} against MACs removed (REPrune bench)`, xLabel: 'MACs removed', yLabel: main, xPercent: true,
      reference: dense && isNum(dense.metric[main]) ? { name: 'dense', y: dense.metric[main] } : undefined,
      series: [...series.values()].filter((x) => x.points.length),
      table: { head: ['method', 'recovery', 'target', 'MACs removed', ...keys], rows: mine.map((r) => [r.method, r.recovery, r.target, r.reduction, ...keys.map((k) => r.metric[k] ?? '–')]) },
    };
  }).filter((p) => p.series.length);
}

type ToastRow = { label: string; reduction: number; blocksReduction?: number } & Record<string, unknown>;

/** compiler/bench/toast.ts: one line per variant label against MACs removed, the dense row as reference. */
function toastPlot(file: string, rows: ToastRow[], model: string, metric: string, x: 'reduction' | 'blocksReduction', xLabel: string): PlotEntry | null {
  const dense = rows.find((r) => r.label === 'dense');
  const series = new Map<string, Series>();
  for (const r of rows) {
    if (r.label === 'dense' || !isNum(r[metric]) || !isNum(r[x])) continue;
    if (!series.has(r.label)) series.set(r.label, { name: r.label, points: [] });
    series.get(r.label)!.points.push({ x: r[x] as number, y: r[metric] as number });
  }
  if (!series.size) return null;
  return {
    file, title: `${model}: ${metric} against ${xLabel} (ToaSt bench)`, xLabel, yLabel: metric, xPercent: true,
    reference: dense && isNum(dense[metric]) ? { name: 'dense', y: dense[metric] as number } : undefined,
    series: [...series.values()],
  };
}

export function readInput(path: string, into: ReportInputs): void {
  if (!existsSync(path)) bad(path, 'no such file or folder');
  if (statSync(path).isDirectory()) {
    const m = join(path, 'manifest.json');
    if (!existsSync(m)) bad(path, 'is a folder without manifest.json (not a sparsec build)');
    into.builds.push({ ...manifestEntry(m, readJson(m)), file: path });
    return;
  }
  const j = readJson(path);
  if (j.kind === 'sparsec-series') {
    const plots = Array.isArray(j.plots) ? (j.plots as Obj[]) : [j];
    plots.forEach((p, i) => into.plots.push(seriesPlot(path, p, Array.isArray(j.plots) ? `plots[${i}]` : 'series file')));
  } else if (Array.isArray(j.results) && isNum(j.dense) && (j.results as Obj[]).every((r) => isNum(r?.bitsPerByte))) {
    into.plots.push(crepePlot(path, j));
  } else if (Array.isArray(j.quality) && (j.quality as Obj[]).every((q) => typeof q?.model === 'string' && isNum(q.reduction) && q.metric && typeof q.metric === 'object')) {
    const plots = reprunePlots(path, j.quality as unknown as RepruneRow[]);
    if (!plots.length) bad(path, 'a REPrune bench result without pruned rows');
    into.plots.push(...plots);
  } else if (Array.isArray(j.vit) && Array.isArray(j.vitLatency)) {
    const plots = [toastPlot(path, j.vit as ToastRow[], 'vit', 'accuracy', 'reduction', 'MACs removed'),
      Array.isArray(j.ocr) ? toastPlot(path, j.ocr as ToastRow[], 'PP-OCRv4 recognizer', 'cer', 'blocksReduction', 'MACs removed in the SVTR blocks') : null];
    into.plots.push(...plots.filter((p): p is PlotEntry => p !== null));
    for (const [key, label] of [['vitLatency', 'vit.onnx · ToaSt bench'], ['ocrLatency', 'PP-OCRv4 recognizer · ToaSt bench']] as const) {
      if (Array.isArray(j[key]) && (j[key] as unknown[]).length) into.benches.push({ label, file: path, sizes: [], results: engineRows(path, j[key]) });
    }
  } else if (Array.isArray(j.results) && 'schemaVersion' in j) {
    // one build, or several timed in one run (variants[], schema 2 with several targets)
    type M = { source: string; prune: string | null; sizes?: Sizes; inputs?: { name: string; shape: number[] }[] };
    const ms = (Array.isArray(j.variants) ? (j.variants as { manifest: M }[]).map((v) => v.manifest) : [j.manifest as M | undefined]).filter((m): m is M => !!m?.source);
    const label = ms.length ? `${ms[0].source}${shapesOf(ms[0])} · ${ms.map((m) => m.prune ?? 'dense').join(' vs ')}` : basename(String(j.model ?? j.build ?? path));
    const sizes = ms.filter((m) => m.sizes).map((m) => ({ label: buildLabel(m), sizes: m.sizes! }));
    into.benches.push({ label, file: path, threads: j.threads as number, seed: j.seed as number, platform: j.platform as Obj, versions: j.versions as Record<string, string>, sizes, results: engineRows(path, j.results) });
  } else if (Array.isArray(j.rows) && (j.rows as Obj[]).every((r) => Array.isArray(r?.engines))) {
    for (const r of j.rows as Obj[]) into.benches.push({ label: String(r.model), file: path, threads: j.threads as number, platform: j.platform as Obj, sizes: [], results: engineRows(path, r.engines) });
  } else if (typeof j.source === 'string' && Array.isArray(j.layers)) {
    into.builds.push(manifestEntry(path, j));
  } else {
    bad(path, 'not a bench report, build manifest, series file (kind "sparsec-series"), crepe-table, reprune or toast result');
  }
}

export function readInputs(paths: string[]): ReportInputs {
  const into: ReportInputs = { benches: [], builds: [], plots: [] };
  for (const p of paths) readInput(p, into);
  return into;
}
