// Benchmark script (not a test): ToaSt post-training pruning measured end to end.
//   vit fixture: top-1 accuracy on fmnist-test-1000 at batch 1 (onnxruntime-node) at 20/30/40%
//     MAC reduction, ToaSt with and without refits against a magnitude head/channel baseline
//     (same schedule), plus the sparsec build of the refitted models (accuracy and argmax
//     agreement with onnxruntime) and ToaSt 0.3 + CRePE 2:4; dynamic (per-image top-k) FFN units
//     at the same k (onnxruntime, and the sparsec build on its topk_ffn kernel).
//   latency: sparsec builds (dense, ToaSt, ToaSt + 2:4, and at 0.3 the same head pruning with
//     the FFNs dense or dynamic) vs onnxruntime-web and -node on the dense, pruned and dynamic
//     ONNX, one interleaved compareEngines run, medians.
//   PP-OCRv4 recognizer: CER on ocr-lines-test-300 before/after (budget over the SVTR blocks'
//     MACs, which are ~1.4% of the model's), and latency of the dense vs pruned builds.
// Calibration: all 256 images of fmnist-calib-256 (disjoint from the test slice) for the vit,
// all 100 lines of ocr-lines-calib-100 for the recognizer.
//   node dist/compiler/bench/toast.js [--out out/toast.json] [--skip-latency] [--skip-ocr] [--rounds 5]
//     [--latency-only]   (re-times the models and builds an earlier run left in <out dir>/toast/)
//     [--dynamic-only]   (static ToaSt + refit and dynamic FFN models at 20/30/40%, heads-only at
//                         30%, their accuracy and builds, then the latency table; no OCR)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { packageRoot } from '../paths.js';
import { ortSession } from '../eval/session.js';
import { buildModel } from '../compile.js';
import { calibrationFeeds } from '../calibrate/feeds.js';
import { readTextLines } from '../calibrate/lines.js';
import { pruneToast, type ToastOptions } from '../prune/toast/toast.js';
import { pruneModel } from '../prune/pipeline.js';
import { prepareForChannels } from '../prune/groups.js';
import { findFfns } from '../prune/toast/ffn.js';
import { dynamicChannels } from '../prune/toast/dynamic.js';
import { writeOnnx } from '../onnx/write.js';
import { parsePattern } from '../prune/masks.js';
import { argmax } from '../eval/metrics.js';
import { ortImageRunner, readDictionary, recognize, REC_INPUT } from '../eval/ocr.js';
import { compareEngines, ortNodeEngine, ortWebEngine, sparsecEngine, type EngineResult } from './latency.js';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'out/toast.json' },
    'skip-latency': { type: 'boolean', default: false },
    'skip-ocr': { type: 'boolean', default: false },
    rounds: { type: 'string', default: '5' },
    'latency-only': { type: 'boolean', default: false },
    'dynamic-only': { type: 'boolean', default: false },
  },
});
const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const outDir = dirname(args.out!);
const work = join(outDir, 'toast');
mkdirSync(work, { recursive: true });
const log = (m: string) => process.stderr.write(m + '\n');
const { modelPaths, assetPath } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);

// ---------------------------------------------------------------- vit accuracy
const VIT = fix('vit.onnx');
const vitBytes = readFileSync(VIT);
const images = readFileSync(fix('data/fmnist-test-1000.u8')), labels = readFileSync(fix('data/fmnist-test-1000.labels.u8'));
const testImage = (i: number) => Float32Array.from(images.subarray(i * 784, (i + 1) * 784), (b) => b / 255);

async function ortAccuracy(model: Uint8Array): Promise<{ accuracy: number; preds: number[] }> {
  const s = await ortSession(model);
  const preds: number[] = [];
  for (let i = 0; i < labels.length; i++) preds.push(argmax((await s.run({ input: new ort.Tensor('float32', testImage(i), [1, 1, 28, 28]) })).logits.data as Float32Array));
  await s.release();
  return { accuracy: preds.filter((p, i) => p === labels[i]).length / labels.length, preds };
}

async function buildAccuracy(file: string, dir: string, preds: number[]): Promise<{ accuracy: number; agreement: number }> {
  await buildModel(file, dir, {});
  const model = await (await import(pathToFileURL(join(dir, 'model.mjs')).href)).load();
  const mine: number[] = [];
  for (let i = 0; i < labels.length; i++) mine.push(argmax(model.run({ input: testImage(i) }).logits as Float32Array));
  model.dispose();
  return { accuracy: mine.filter((p, i) => p === labels[i]).length / labels.length, agreement: mine.filter((p, i) => p === preds[i]).length / preds.length };
}

interface Row { label: string; target: number; reduction: number; accuracy: number; build?: { accuracy: number; agreement: number }; attention: number[]; ffn: number[]; seconds: number }
const variants: { label: string; opts: Partial<ToastOptions>; data: boolean; build?: boolean }[] = [
  { label: 'magnitude heads + channels, no refit', opts: { headScore: 'magnitude', ffnScore: 'magnitude', refit: false, biasCorrection: false }, data: false },
  { label: 'magnitude heads + channels, refit', opts: { headScore: 'magnitude', ffnScore: 'magnitude', refit: true }, data: true },
  { label: 'ToaSt GM heads (data-free), no refit', opts: { headScore: 'gm', ffnScore: 'magnitude', refit: false, biasCorrection: false }, data: false },
  { label: 'ToaSt data-aware, no refit, no bias correction', opts: { refit: false, biasCorrection: false }, data: true },
  { label: 'ToaSt data-aware, no refit (bias correction)', opts: { refit: false, biasCorrection: true }, data: true },
  { label: 'ToaSt data-aware + refit', opts: {}, data: true, build: true },
];
const vitFiles: Record<string, string> = { dense: VIT, 'toast 0.3': join(work, 'vit-toast30.onnx'), 'toast 0.3 dynamic FFN': join(work, 'vit-toast30-dynamic.onnx') };
const vitRows: Row[] = [];
const latencyOnly = args['latency-only'], dynamicOnly = args['dynamic-only'];

/** Dynamic selection at a static row's schedule: the same head dims (data-aware, no refit), FFNs
 *  at full width, then k units per image (dynamic.ts); fc1 runs in full, so fewer MACs go. Its
 *  accuracy in onnxruntime and in the sparsec build (topk_ffn kernel); at 0.3 the heads-only
 *  model (FFNs dense) is built too, for the latency table. */
async function dynamicRow(st: Row, feeds: Awaited<ReturnType<typeof calibrationFeeds>>): Promise<Row> {
  const heads = await pruneToast(vitBytes, VIT, { schedule: { attention: st.attention, ffn: st.ffn.map(() => 384) }, feeds, refit: false, biasCorrection: false });
  const g = prepareForChannels(heads.graph);
  const dyn = dynamicChannels(g, findFfns(g), st.ffn);
  const ffnMacs = findFfns(g).map((f, i) => (f.fc1.dOut - st.ffn[i]) * 17 /* tokens */ * f.fc2.dOut).reduce((a, b) => a + b, 0);
  const name = `vit-toast${st.target * 100}-dynamic`, file = join(work, `${name}.onnx`);
  const onnx = writeOnnx(dyn);
  writeFileSync(file, onnx);
  const acc = await ortAccuracy(onnx);
  const build = await buildAccuracy(file, join(work, name), acc.preds);
  if (st.target === 0.3) {
    writeFileSync(join(work, 'vit-toast30-heads.onnx'), heads.onnx);
    await buildModel(join(work, 'vit-toast30-heads.onnx'), join(work, 'vit-toast30-heads'), {});
  }
  log(`${st.target} dynamic: ${acc.accuracy}, build ${build.accuracy} (agreement ${build.agreement})`);
  return { label: 'dynamic top-k FFN units per image (same k), no refit; fc2 only', target: st.target, reduction: heads.report.macs.reduction + ffnMacs / heads.report.macs.dense, accuracy: acc.accuracy, build, attention: st.attention, ffn: st.ffn, seconds: 0 };
}

if (dynamicOnly) {
  const vitFeeds = await calibrationFeeds(vitBytes, VIT, fix('data/fmnist-calib-256.u8'), { count: 256, seq: 128, seed: 0 });
  const dense = await ortAccuracy(vitBytes);
  vitRows.push({ label: 'dense', target: 0, reduction: 0, accuracy: dense.accuracy, build: await buildAccuracy(VIT, join(work, 'vit-dense'), dense.preds), attention: [], ffn: [], seconds: 0 });
  for (const target of [0.2, 0.3, 0.4]) {
    const r = await pruneToast(vitBytes, VIT, { flopsReduction: target, feeds: vitFeeds });
    const file = join(work, `vit-toast${target * 100}.onnx`);
    writeFileSync(file, r.onnx);
    const acc = await ortAccuracy(r.onnx);
    const st: Row = { label: 'ToaSt data-aware + refit', target, reduction: r.report.macs.reduction, accuracy: acc.accuracy, build: await buildAccuracy(file, join(work, `vit-toast${target * 100}`), acc.preds), attention: r.report.attention.map((a) => a.kept), ffn: r.report.ffn.map((f) => f.kept), seconds: 0 };
    vitRows.push(st, await dynamicRow(st, vitFeeds));
  }
}
if (!latencyOnly && !dynamicOnly) {
  const vitFeeds = await calibrationFeeds(vitBytes, VIT, fix('data/fmnist-calib-256.u8'), { count: 256, seq: 128, seed: 0 });
  const dense = await ortAccuracy(vitBytes);
  log(`vit dense: ${dense.accuracy}`);
  vitRows.push({ label: 'dense', target: 0, reduction: 0, accuracy: dense.accuracy, build: await buildAccuracy(VIT, join(work, 'vit-dense'), dense.preds), attention: [], ffn: [], seconds: 0 });
  for (const target of [0.2, 0.3, 0.4]) {
    for (const v of variants) {
      const t0 = performance.now();
      const r = await pruneToast(vitBytes, VIT, { flopsReduction: target, feeds: v.data ? vitFeeds : undefined, ...v.opts });
      const seconds = (performance.now() - t0) / 1000;
      const acc = await ortAccuracy(r.onnx);
      const row: Row = { label: v.label, target, reduction: r.report.macs.reduction, accuracy: acc.accuracy, attention: r.report.attention.map((a) => a.kept), ffn: r.report.ffn.map((f) => f.kept), seconds };
      if (v.build) {
        const file = join(work, `vit-toast${target * 100}.onnx`);
        writeFileSync(file, r.onnx);
        vitFiles[`toast ${target}`] = file;
        row.build = await buildAccuracy(file, join(work, `vit-toast${target * 100}`), acc.preds);
        if (target === 0.3) {
          const c = await pruneModel(r.onnx, VIT, { method: 'crepe', pattern: parsePattern('2:4', 'matrix')!, feeds: vitFeeds });
          const cfile = join(work, 'vit-toast30-crepe24.onnx');
          writeFileSync(cfile, c.onnx);
          vitFiles['toast 0.3 + crepe 2:4'] = cfile;
          const cacc = await ortAccuracy(c.onnx);
          vitRows.push(row);
          log(`${target} ${v.label}: ${row.accuracy}`);
          vitRows.push({ label: 'ToaSt data-aware + refit, then CRePE 2:4', target, reduction: r.report.macs.reduction, accuracy: cacc.accuracy, build: await buildAccuracy(cfile, join(work, 'vit-toast30-crepe24'), cacc.preds), attention: row.attention, ffn: row.ffn, seconds });
          continue;
        }
      }
      log(`${target} ${v.label}: ${row.accuracy}`);
      vitRows.push(row);
    }
    // dynamic selection: the same head dims and per-FFN k as the static schedule
    vitRows.push(await dynamicRow(vitRows[vitRows.length - 1], vitFeeds));
  }
}

// ---------------------------------------------------------------- latency
const rounds = Number(args.rounds);
let vitLatency: EngineResult[] = [];
const x0 = testImage(0);
if (!args['skip-latency']) {
  const feeds = { input: { data: x0, shape: [1, 1, 28, 28] } };
  const dirs: Record<string, string> = { dense: join(work, 'vit-dense'), 'toast 0.2': join(work, 'vit-toast20'), 'toast 0.3': join(work, 'vit-toast30'), 'toast 0.4': join(work, 'vit-toast40'), 'toast 0.3 + crepe 2:4': join(work, 'vit-toast30-crepe24'),
    // the same head pruning as toast 0.3 with the FFNs dense, and with dynamic top-k FFN units at toast 0.3's k
    'toast 0.3 heads only (FFN dense)': join(work, 'vit-toast30-heads'), 'toast 0.3 dynamic FFN': join(work, 'vit-toast30-dynamic') };
  const ortModels = ['dense', 'toast 0.3', 'toast 0.3 dynamic FFN'].filter((k) => existsSync(vitFiles[k]));
  // onnxruntime-web first: its wasm is tiered up by V8 during a longer warm-up
  const engines = [
    ...ortModels.map((k) => ({ ...ortWebEngine(vitFiles[k], feeds, 1), name: `onnxruntime-web ${k}` })),
    ...Object.entries(dirs).filter(([, d]) => existsSync(join(d, 'model.mjs'))).map(([k, d]) => ({ ...sparsecEngine(d, feeds), name: `sparsec ${k}` })),
    ...ortModels.map((k) => ({ ...ortNodeEngine(vitFiles[k], feeds, 1), name: `onnxruntime-node ${k}` })),
  ];
  vitLatency = await compareEngines(engines, { rounds, warmupMs: 1000 });
  for (const e of vitLatency) log(`${e.engine}: p50 ${e.stats.p50.toFixed(3)} ms`);
}

// ---------------------------------------------------------------- PP-OCRv4 recognizer
interface OcrRow { label: string; target: number; blocksReduction: number; reduction: number; cer: number; lineAccuracy: number; attention: number[]; ffn: number[] }
const ocrRows: OcrRow[] = [];
let ocrLatency: EngineResult[] = [];
if (!args['skip-ocr'] && !dynamicOnly) {
  const REC = modelPaths()['ppocr-rec'];
  const recBytes = readFileSync(REC);
  const shape = [1, 3, REC_INPUT.height, REC_INPUT.width];
  const lines = readTextLines(fix('data/ocr-lines-test-300'));
  const classes = readDictionary(assetPath('ppocr-keys'));
  const cer = async (model: Uint8Array | string) => {
    const runner = await ortImageRunner(model, REC_INPUT);
    try { return await recognize(lines, classes, runner.run); } finally { await runner.release(); }
  };
  const pruned30 = join(work, 'rec-toast30.onnx');
  if (!latencyOnly) {
    const d = await cer(REC);
    ocrRows.push({ label: 'dense', target: 0, blocksReduction: 0, reduction: 0, cer: d.cer, lineAccuracy: d.lineAccuracy, attention: [], ffn: [] });
    log(`ppocr-rec dense CER ${d.cer}`);
    const recFeeds = await calibrationFeeds(recBytes, REC, fix('data/ocr-lines-calib-100'), { count: 100, seq: 128, seed: 0, shape });
    for (const target of [0.1, 0.2, 0.3]) {
      for (const v of variants.filter((x) => x.label.startsWith('magnitude heads + channels, no') || x.label.includes('bias correction)') || x.label.endsWith('+ refit'))) {
        const r = await pruneToast(recBytes, REC, { flopsReduction: target, budgetScope: 'blocks', feeds: v.data ? recFeeds : undefined, inputShapes: { x: shape }, ...v.opts });
        const q = await cer(r.onnx);
        ocrRows.push({ label: v.label, target, blocksReduction: r.report.macs.blocksReduction, reduction: r.report.macs.reduction, cer: q.cer, lineAccuracy: q.lineAccuracy, attention: r.report.attention.map((a) => a.kept), ffn: r.report.ffn.map((f) => f.kept) });
        log(`ppocr-rec ${target} ${v.label}: CER ${q.cer}`);
        if (target === 0.3 && v.build) writeFileSync(pruned30, r.onnx);
      }
    }
  }
  if (!args['skip-latency']) {
    const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i) * 0.5);
    const feeds = { x: { data: x, shape } };
    if (!latencyOnly) {
      await buildModel(REC, join(work, 'rec-dense'), { inputShapes: { x: shape } });
      await buildModel(pruned30, join(work, 'rec-toast30'), { inputShapes: { x: shape } });
    }
    ocrLatency = await compareEngines([
      { ...ortWebEngine(REC, feeds, 1), name: 'onnxruntime-web dense' },
      { ...ortWebEngine(pruned30, feeds, 1), name: 'onnxruntime-web toast 0.3 (blocks)' },
      { ...sparsecEngine(join(work, 'rec-dense'), feeds), name: 'sparsec dense' },
      { ...sparsecEngine(join(work, 'rec-toast30'), feeds), name: 'sparsec toast 0.3 (blocks)' },
    ], { rounds, warmupMs: 1000 });
    for (const e of ocrLatency) log(`${e.engine}: p50 ${e.stats.p50.toFixed(2)} ms`);
  }
}

// ---------------------------------------------------------------- report
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const md: string[] = ['## vit fixture (Fashion-MNIST, 1000 test images, batch 1, onnxruntime-node)', '',
  '| target | method | MACs removed | accuracy | sparsec build accuracy (agreement) | head dims kept | FFN units kept |', '|---|---|---|---|---|---|---|'];
for (const r of vitRows) md.push(`| ${r.target ? pct(r.target) : '—'} | ${r.label} | ${pct(r.reduction)} | ${pct(r.accuracy)} | ${r.build ? `${pct(r.build.accuracy)} (${pct(r.build.agreement)})` : ''} | ${r.attention.join(' ')} | ${r.ffn.join(' ')} |`);
const latTable = (rs: EngineResult[], base: string) => {
  const b = rs.find((e) => e.engine === base)?.stats.p50 ?? NaN;
  return ['| engine / model | p50 ms | p90 ms | vs ' + base + ' |', '|---|---|---|---|', ...rs.map((e) => `| ${e.engine} | ${e.stats.p50.toFixed(3)} | ${e.stats.p90.toFixed(3)} | ${(e.stats.p50 / b).toFixed(2)}× |`)];
};
if (vitLatency.length) md.push('', `## vit latency (1 thread, ${rounds} interleaved rounds, medians)`, '', ...latTable(vitLatency, 'sparsec dense'));
if (ocrRows.length) {
  md.push('', '## PP-OCRv4 recognizer (ocr-lines-test-300, 48x320, onnxruntime-node)', '', '| SVTR MAC target | method | SVTR MACs removed | model MACs removed | CER | line accuracy | head dims kept | FFN units kept |', '|---|---|---|---|---|---|---|---|');
  for (const r of ocrRows) md.push(`| ${r.target ? pct(r.target) : '—'} | ${r.label} | ${pct(r.blocksReduction)} | ${pct(r.reduction)} | ${pct(r.cer)} | ${pct(r.lineAccuracy)} | ${r.attention.join(' ')} | ${r.ffn.join(' ')} |`);
}
if (ocrLatency.length) md.push('', '## PP-OCRv4 recognizer latency (1 thread, medians)', '', ...latTable(ocrLatency, 'sparsec dense'));
mkdirSync(outDir, { recursive: true });
writeFileSync(args.out!, JSON.stringify({ vit: vitRows, vitLatency: vitLatency.map(({ samples, ...e }) => e), ocr: ocrRows, ocrLatency: ocrLatency.map(({ samples, ...e }) => e) }, null, 2) + '\n');
writeFileSync(args.out!.replace(/\.json$/, '.md'), md.join('\n') + '\n');
process.stdout.write(md.join('\n') + '\n');
