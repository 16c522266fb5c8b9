// REPrune measurements (docs/reprune.md): quality of channel-pruned models for REPrune, L1 and
// random selection at equal FLOPs, without recovery, with mean/std recalibration only, and with
// ridge reconstruction (+ recalibration); then latency of sparsec builds of the pruned models vs
// the dense build vs onnxruntime-web, side by side in interleaved rounds.
//   cnn        Fashion-MNIST accuracy on the 1000 test images (calibration: the 256-image slice)
//   ppocr-cls  0°/180° accuracy on 300 rendered lines each way (calibration: 100 other lines, both ways)
//   blazeface  agreement with the dense model on 150 LFW photos (calibration: 50 others)
// Writes out/reprune.json and out/reprune.md.
//   node dist/compiler/bench/reprune.js [--only cnn,ppocr-cls,blazeface] [--rounds 5] [--latency-only]
//     [--recovery none,recalibrate,ridge] [--no-latency] [--no-check]
// --no-check keeps every recalibration (no output-error check, the behaviour before it existed).
// --latency-only times again the pruned models a full run wrote to out/reprune/<model>-*.onnx;
// --merge writes out/reprune.json and .md from the per-model runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { packageRoot } from '../paths.js';
import { buildModel } from '../compile.js';
import { channelPrune, type ChannelMethod, type ChannelPruneResult } from '../prune/reprune/channelPrune.js';
import { imageFeeds } from '../calibrate/images.js';
import { readTextLines } from '../calibrate/lines.js';
import { calibrationFeeds } from '../calibrate/feeds.js';
import type { Feeds } from '../calibrate/calibrate.js';
import { CLS_INPUT, classifyOrientation, ortImageRunner } from '../eval/ocr.js';
import { accuracy, argmax } from '../eval/metrics.js';
import { ortSession } from '../eval/session.js';
import { compareEngines, ortWebEngine, sparsecEngine, type FeedSpec } from './latency.js';

const args = process.argv.slice(2);
const arg = (k: string, d: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const only = arg('--only', 'cnn,ppocr-cls,blazeface').split(',');
const rounds = Number(arg('--rounds', '5'));
/** time the builds of pruned models an earlier run left in out/reprune/ (no pruning, no quality) */
const latencyOnly = args.includes('--latency-only');
const OUT = join(packageRoot, 'out'), WORK = join(OUT, 'reprune');
mkdirSync(WORK, { recursive: true });
const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const METHODS: ChannelMethod[] = ['reprune', 'l1', 'random'];
const ALL_RECOVERY = [
  { name: 'none', reconstruct: false, recalibrate: false },
  { name: 'recalibrate', reconstruct: false, recalibrate: true },
  { name: 'ridge', reconstruct: true, recalibrate: true },
] as const;
/** --recovery: the recovery modes to measure (all by default); --no-latency: quality only */
const RECOVERY = ALL_RECOVERY.filter((r) => arg('--recovery', 'none,recalibrate,ridge').split(',').includes(r.name));
const noLatency = args.includes('--no-latency'), checkRecalibration = !args.includes('--no-check');
const log = (s: string) => process.stderr.write(s + '\n');

interface QualityRow { model: string; target: number; reduction: number; method: ChannelMethod; recovery: string; metric: Record<string, number>; seconds: number }
interface LatencyRow { model: string; engine: string; variant: string; reduction: number; p50: number; p90: number; min: number; n: number; weightsBytes?: number }
const quality: QualityRow[] = [], latency: LatencyRow[] = [];

async function prune(model: string, file: string, target: number, method: ChannelMethod, rec: typeof ALL_RECOVERY[number], feeds: readonly Feeds[], inputShapes: Record<string, number[]> = {}) {
  const t = performance.now();
  const r = await channelPrune(readFileSync(file), file, { method, flopsReduction: target, inputShapes, feeds, reconstruct: rec.reconstruct, recalibrate: rec.recalibrate, checkRecalibration });
  return { r, seconds: (performance.now() - t) / 1000 };
}

/** sparsec builds of the dense and pruned models and onnxruntime-web on the dense and the
 *  most pruned one, timed in the same interleaved rounds. */
async function timeBuilds(model: string, file: string, pruned: { variant: string; reduction: number; onnx: Uint8Array }[], feeds: Record<string, FeedSpec>, inputShapes: Record<string, number[]>) {
  if (noLatency) return;
  const engines = [], meta: { variant: string; reduction: number; engine: string; weightsBytes?: number }[] = [];
  const dense = join(WORK, `${model}-dense`);
  const d = await buildModel(file, dense, { inputShapes });
  engines.push(sparsecEngine(dense, feeds)); meta.push({ variant: 'dense', reduction: 0, engine: 'sparsec', weightsBytes: d.files.weights.length });
  for (const p of pruned) {
    const onnx = join(WORK, `${model}-${p.variant}.onnx`), dir = join(WORK, `${model}-${p.variant}`);
    if (p.onnx.length) writeFileSync(onnx, p.onnx);
    const b = await buildModel(onnx, dir, { inputShapes });
    engines.push(sparsecEngine(dir, feeds)); meta.push({ variant: p.variant, reduction: p.reduction, engine: 'sparsec', weightsBytes: b.files.weights.length });
  }
  engines.push(ortWebEngine(file, feeds, 1)); meta.push({ variant: 'dense', reduction: 0, engine: 'onnxruntime-web' });
  for (const p of pruned) { engines.push(ortWebEngine(join(WORK, `${model}-${p.variant}.onnx`), feeds, 1)); meta.push({ variant: p.variant, reduction: p.reduction, engine: 'onnxruntime-web' }); }
  const res = await compareEngines(engines, { rounds, roundMs: 300 });
  res.forEach((r, i) => latency.push({ model, ...meta[i], p50: r.stats.p50, p90: r.stats.p90, min: r.stats.min, n: r.stats.n }));
}

/** The pruned variants a full run left in out/reprune/ (MACs removed read back from the JSON). */
function earlier(model: string): { variant: string; reduction: number; onnx: Uint8Array }[] {
  const file = [join(OUT, `reprune-${model}.json`), join(OUT, 'reprune.json')].find((f) => existsSync(f));
  if (!file) throw new Error(`--latency-only: no earlier run of ${model} in out/`);
  const prev = JSON.parse(readFileSync(file, 'utf8')) as { latency: LatencyRow[] };
  return prev.latency.filter((l) => l.model === model && l.engine === 'sparsec' && l.variant !== 'dense').map((l) => ({ variant: l.variant, reduction: l.reduction, onnx: new Uint8Array() }));
}

async function cnn() {
  const file = fix('cnn.onnx');
  const calib = imageFeeds(fix('data/fmnist-calib-256.u8'), 'input', [1, 1, 28, 28], 256);
  const test = imageFeeds(fix('data/fmnist-test-1000.u8'), 'input', [1, 1, 28, 28], 1000);
  const labels = new Uint8Array(readFileSync(fix('data/fmnist-test-1000.labels.u8')));
  const acc = async (onnx: Uint8Array | string) => {
    const s = await ortSession(onnx);
    const preds: number[] = [];
    for (const f of test) preds.push(argmax((await s.run(f)).logits.data as Float32Array));
    await s.release();
    return accuracy(preds, labels);
  };
  if (latencyOnly) return timeBuilds('cnn', file, earlier('cnn'), { input: { data: test[0].input.data as Float32Array, shape: [1, 1, 28, 28] } }, {});
  quality.push({ model: 'cnn', target: 0, reduction: 0, method: 'reprune', recovery: 'dense', metric: { accuracy: await acc(file) }, seconds: 0 });
  const timed: { variant: string; reduction: number; onnx: Uint8Array }[] = [];
  for (const target of [0.3, 0.5, 0.7]) {
    for (const method of METHODS) {
      for (const rec of RECOVERY) {
        const { r, seconds } = await prune('cnn', file, target, method, rec, calib);
        const a = await acc(r.onnx);
        quality.push({ model: 'cnn', target, reduction: r.flops.reduction, method, recovery: rec.name, metric: { accuracy: a }, seconds });
        log(`cnn ${target} ${method} ${rec.name}: accuracy ${a.toFixed(3)} (${(r.flops.reduction * 100).toFixed(1)}% fewer MACs, ${seconds.toFixed(1)} s)`);
        if (method === 'reprune' && rec.name === 'ridge') timed.push({ variant: `reprune-${target * 100}`, reduction: r.flops.reduction, onnx: r.onnx });
      }
    }
  }
  await timeBuilds('cnn', file, timed, { input: { data: test[0].input.data as Float32Array, shape: [1, 1, 28, 28] } }, {});
}

async function ppocrCls(models: Record<string, string>) {
  const file = models['ppocr-cls'], shape = [1, 3, CLS_INPUT.height, CLS_INPUT.width], inputShapes = { x: shape };
  // calibration covers the task's inputs: the 100 calibration lines upright and rotated 180°, as
  // `sparsec prune --calib-rotate 180` reads them (upright only leaves the refit layers untried on
  // rotated text: 0.3 → 0.83 vs 0.5, l1, 100 lines)
  const calib = await calibrationFeeds(readFileSync(file), file, fix('data/ocr-lines-calib-100'), { count: 100, seed: 0, seq: 0, shape, rotate180: true });
  const lines = readTextLines(fix('data/ocr-lines-test-300'));
  const evalCls = async (onnx: Uint8Array | string) => {
    const runner = await ortImageRunner(onnx, CLS_INPUT);
    try { return await classifyOrientation(lines, runner.run, CLS_INPUT); } finally { await runner.release(); }
  };
  if (latencyOnly) return timeBuilds('ppocr-cls', file, earlier('ppocr-cls'), { x: { data: calib[0].x.data as Float32Array, shape } }, inputShapes);
  const d = await evalCls(file);
  quality.push({ model: 'ppocr-cls', target: 0, reduction: 0, method: 'reprune', recovery: 'dense', metric: { accuracy: d.accuracy, upright: d.upright, rotated: d.rotated }, seconds: 0 });
  const timed: { variant: string; reduction: number; onnx: Uint8Array }[] = [];
  for (const target of [0.3, 0.5]) {
    for (const method of METHODS) {
      for (const rec of RECOVERY) {
        const { r, seconds } = await prune('ppocr-cls', file, target, method, rec, calib, inputShapes);
        const c = await evalCls(r.onnx);
        quality.push({ model: 'ppocr-cls', target, reduction: r.flops.reduction, method, recovery: rec.name, metric: { accuracy: c.accuracy, upright: c.upright, rotated: c.rotated }, seconds });
        log(`ppocr-cls ${target} ${method} ${rec.name}: accuracy ${c.accuracy.toFixed(3)} (0° ${c.upright.toFixed(3)}, 180° ${c.rotated.toFixed(3)}; ${(r.flops.reduction * 100).toFixed(1)}% fewer MACs, ${seconds.toFixed(1)} s)`);
        if (method === 'reprune' && rec.name === 'ridge') timed.push({ variant: `reprune-${target * 100}`, reduction: r.flops.reduction, onnx: r.onnx });
      }
    }
  }
  await timeBuilds('ppocr-cls', file, timed, { x: { data: calib[0].x.data as Float32Array, shape } }, inputShapes);
}

// ---- BlazeFace on LFW faces ----

/** LFW crop k (25x25 gray in [0,1]) scaled to 64x64 bilinearly, centred on a mid-gray 128x128
 *  canvas, NHWC RGB mapped to [-1, 1] (the model's preprocessing). */
function faceInput(lfw: Float64Array, k: number, size = 64): Float32Array {
  const x = new Float32Array(128 * 128 * 3).fill(0);
  const o = (128 - size) >> 1, p = (yy: number, xx: number) => lfw[k * 625 + yy * 25 + xx];
  for (let y = 0; y < size; y++) for (let xx = 0; xx < size; xx++) {
    const fy = Math.min(24, Math.max(0, (y + 0.5) * 25 / size - 0.5)), fx = Math.min(24, Math.max(0, (xx + 0.5) * 25 / size - 0.5));
    const y0 = Math.floor(fy), x0 = Math.floor(fx), y1 = Math.min(24, y0 + 1), x1 = Math.min(24, x0 + 1), wy = fy - y0, wx = fx - x0;
    const v = (1 - wy) * ((1 - wx) * p(y0, x0) + wx * p(y0, x1)) + wy * ((1 - wx) * p(y1, x0) + wx * p(y1, x1));
    for (let c = 0; c < 3; c++) x[((o + y) * 128 + o + xx) * 3 + c] = v * 2 - 1;
  }
  return x;
}

/** Anchor centres of BlazeFace front: 16x16 cells x 2 anchors, then 8x8 cells x 6, row-major. */
const ANCHORS = (() => {
  const a: [number, number][] = [];
  for (const [grid, per] of [[16, 2], [8, 6]]) for (let y = 0; y < grid; y++) for (let x = 0; x < grid; x++) for (let k = 0; k < per; k++) a.push([(x + 0.5) / grid, (y + 0.5) / grid]);
  return a;
})();

interface Detection { score: number; box: [number, number, number, number] }
/** The best-scoring anchor (sigmoid score) and its decoded box [x0, y0, x1, y1] in [0, 1]. */
function topDetection(out: Record<string, ort.Tensor>): Detection {
  const scores = [...(out['Identity:0'].data as Float32Array), ...(out['Identity_1:0'].data as Float32Array)];
  const reg = (i: number) => (i < 512 ? (out['Identity_2:0'].data as Float32Array).subarray(i * 16, i * 16 + 4) : (out['Identity_3:0'].data as Float32Array).subarray((i - 512) * 16, (i - 512) * 16 + 4));
  const best = argmax(scores), r = reg(best), [ax, ay] = ANCHORS[best];
  const cx = r[0] / 128 + ax, cy = r[1] / 128 + ay, w = r[2] / 128, h = r[3] / 128;
  return { score: 1 / (1 + Math.exp(-scores[best])), box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] };
}
const iou = (a: Detection['box'], b: Detection['box']) => {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])), h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h, union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
};

async function blazeface(models: Record<string, string>) {
  const file = models['blazeface-front'];
  const { ensureFaces } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-faces.mjs')).href);
  const npy = readFileSync(ensureFaces());
  const header = npy.readUInt16LE(8);
  const lfw = new Float64Array(npy.buffer.slice(npy.byteOffset + 10 + header, npy.byteOffset + npy.length));
  const feed = (k: number): Feeds => ({ 'input:0': new ort.Tensor('float32', faceInput(lfw, k), [1, 128, 128, 3]) });
  const calib = Array.from({ length: 50 }, (_, i) => feed(i * 4)); // 25 faces, 25 non-faces
  const evalIdx = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 4 !== 0);
  const detect = async (onnx: Uint8Array | string) => {
    const s = await ortSession(onnx);
    const out: Detection[] = [];
    for (const k of evalIdx) out.push(topDetection(await s.run(feed(k))));
    await s.release();
    return out;
  };
  if (latencyOnly) return timeBuilds('blazeface', file, earlier('blazeface'), { 'input:0': { data: calib[1]['input:0'].data as Float32Array, shape: [1, 128, 128, 3] } }, {});
  const dense = await detect(file);
  const faces = evalIdx.filter((k) => k < 100).length;
  const denseHits = dense.filter((d, i) => d.score >= 0.5 && evalIdx[i] < 100).length, denseFalse = dense.filter((d, i) => d.score >= 0.5 && evalIdx[i] >= 100).length;
  quality.push({ model: 'blazeface', target: 0, reduction: 0, method: 'reprune', recovery: 'dense', metric: { faceRecall: denseHits / faces, falseOnNonFaces: denseFalse / (evalIdx.length - faces) }, seconds: 0 });
  const timed: { variant: string; reduction: number; onnx: Uint8Array }[] = [];
  for (const target of [0.3, 0.5]) {
    for (const method of METHODS) {
      for (const rec of RECOVERY) {
        const { r, seconds } = await prune('blazeface', file, target, method, rec, calib);
        const p = await detect(r.onnx);
        const decided = p.filter((d, i) => (d.score >= 0.5) === (dense[i].score >= 0.5)).length / p.length;
        const both = p.map((d, i) => [d, dense[i]] as const).filter(([a, b]) => a.score >= 0.5 && b.score >= 0.5);
        const matched = both.filter(([a, b]) => iou(a.box, b.box) >= 0.5).length;
        const denseDet = dense.filter((d) => d.score >= 0.5).length;
        const metric = {
          decisionAgreement: decided,
          detectionRecall: matched / Math.max(1, denseDet),
          meanIoU: both.length ? both.reduce((s, [a, b]) => s + iou(a.box, b.box), 0) / both.length : 0,
          meanAbsScoreDiff: p.reduce((s, d, i) => s + Math.abs(d.score - dense[i].score), 0) / p.length,
        };
        quality.push({ model: 'blazeface', target, reduction: r.flops.reduction, method, recovery: rec.name, metric, seconds });
        log(`blazeface ${target} ${method} ${rec.name}: decisions ${decided.toFixed(3)}, detections kept ${metric.detectionRecall.toFixed(3)}, IoU ${metric.meanIoU.toFixed(3)} (${(r.flops.reduction * 100).toFixed(1)}% fewer MACs, ${seconds.toFixed(1)} s)`);
        if (method === 'reprune' && rec.name === 'ridge') timed.push({ variant: `reprune-${target * 100}`, reduction: r.flops.reduction, onnx: r.onnx });
      }
    }
  }
  await timeBuilds('blazeface', file, timed, { 'input:0': { data: calib[1]['input:0'].data as Float32Array, shape: [1, 128, 128, 3] } }, {});
}

function table(): string {
  const out: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const model of [...new Set(quality.map((q) => q.model))]) {
    const rows = quality.filter((q) => q.model === model);
    const dense = rows.find((q) => q.recovery === 'dense')!;
    const keys = Object.keys(dense.metric).length > 1 && model === 'blazeface' ? ['decisionAgreement', 'detectionRecall', 'meanIoU'] : model === 'ppocr-cls' ? ['accuracy', 'upright', 'rotated'] : ['accuracy'];
    const main = model === 'blazeface' ? 'detectionRecall' : 'accuracy';
    out.push(`### ${model}`, '', `dense: ${Object.entries(dense.metric).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`, '');
    out.push(`${main} (recovery: none / recalibrate / ridge)`, '', '| target | MACs removed | REPrune | L1 | random |', '|---|---|---|---|---|');
    for (const target of [...new Set(rows.filter((q) => q.target > 0).map((q) => q.target))]) {
      const cell = (m: ChannelMethod) => ALL_RECOVERY.map((rec) => rows.find((q) => q.target === target && q.method === m && q.recovery === rec.name)).map((q) => (q ? pct(q.metric[main]) : '–')).join(' / ');
      const red = rows.find((q) => q.target === target)!.reduction;
      out.push(`| ${pct(target)} | ${pct(red)} | ${cell('reprune')} | ${cell('l1')} | ${cell('random')} |`);
    }
    if (keys.length > 1) {
      out.push('', `with ridge: ${keys.join(' / ')}`, '', '| target | REPrune | L1 | random |', '|---|---|---|---|');
      for (const target of [...new Set(rows.filter((q) => q.target > 0).map((q) => q.target))]) {
        const cell = (m: ChannelMethod) => { const q = rows.find((x) => x.target === target && x.method === m && x.recovery === 'ridge'); return q ? keys.map((k) => pct(q.metric[k])).join(' / ') : '–'; };
        out.push(`| ${pct(target)} | ${cell('reprune')} | ${cell('l1')} | ${cell('random')} |`);
      }
    }
    const lat = latency.filter((l) => l.model === model);
    if (lat.length) {
      const base = lat.find((l) => l.engine === 'sparsec' && l.variant === 'dense')!.p50;
      out.push('', `latency, 1 thread, median of ${rounds} interleaved rounds (ms; ratio to the dense sparsec build)`, '', '| engine | model | MACs removed | p50 ms | min ms | p90 ms | p50 vs dense sparsec | weights.bin |', '|---|---|---|---|---|---|---|---|');
      for (const l of lat) out.push(`| ${l.engine} | ${l.variant} | ${pct(l.reduction)} | ${l.p50.toFixed(3)} | ${l.min.toFixed(3)} | ${l.p90.toFixed(3)} | ${(l.p50 / base).toFixed(2)}x | ${l.weightsBytes?.toLocaleString('en-US') ?? ''} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** --merge: out/reprune.json and .md from the per-model runs (latency from a -latency rerun when there is one). */
function merge(): void {
  const read = (f: string) => (existsSync(join(OUT, f)) ? JSON.parse(readFileSync(join(OUT, f), 'utf8')) : null);
  for (const m of ['cnn', 'ppocr-cls', 'blazeface']) {
    const q = read(`reprune-${m}.json`), l = read(`reprune-${m}-latency.json`) ?? q;
    if (q) quality.push(...q.quality);
    if (l) latency.push(...l.latency);
  }
}

async function main() {
  if (args.includes('--merge')) {
    merge();
    writeFileSync(join(OUT, 'reprune.json'), JSON.stringify({ date: new Date().toISOString(), rounds, quality, latency }, null, 2) + '\n');
    const md = table();
    writeFileSync(join(OUT, 'reprune.md'), md + '\n');
    process.stdout.write(md + '\n');
    return;
  }
  const { ensureModels, modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
  if (only.some((m) => m !== 'cnn')) await ensureModels({ ids: ['ppocr-cls', 'blazeface-front'] });
  const models = modelPaths() as Record<string, string>;
  if (only.includes('cnn')) await cnn();
  if (only.includes('ppocr-cls')) await ppocrCls(models);
  if (only.includes('blazeface')) await blazeface(models);
  const json = { date: new Date().toISOString(), rounds, quality, latency };
  const suffix = (only.length === 3 ? '' : `-${only.join('-')}`) + (latencyOnly ? '-latency' : '');
  writeFileSync(join(OUT, `reprune${suffix}.json`), JSON.stringify(json, null, 2) + '\n');
  const md = table();
  writeFileSync(join(OUT, `reprune${suffix}.md`), md + '\n');
  process.stdout.write(md + '\n');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
