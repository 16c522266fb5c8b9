// Benchmark script (not a test): held-out bits per byte of a byte-level LM pruned with
// magnitude, Wanda, RIA and CRePE at several sparsities, one calibration shared by all
// methods, every model evaluated in onnxruntime-node. Writes JSON and a markdown table.
//   node dist/compiler/bench/crepe-table.js [--model test/fixtures/gpt.onnx] [--calib ...] [--text ...]
//     [--calib-windows 128] [--seq 128] [--seed 0] [--out out/crepe-table.json] [--rows <regex on row labels>]
// CP rows: the N:M mask is chosen on channel-permuted columns and π is carried into the graph
// (absorbed into the producer or gathered, prune/permuteGraph.ts), as `sparsec prune --permute`.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../paths.js';
import { readOnnx } from '../onnx/read.js';
import { findLinearLayers } from '../prune/linear.js';
import { calibrate, tokenFeeds } from '../calibrate/calibrate.js';
import { readBytes, sampleWindows } from '../calibrate/data.js';
import { parsePattern, type Pattern } from '../prune/masks.js';
import { CREPE_DEFAULTS, type CrepeOptions, type ScoreMethod } from '../prune/scores.js';
import { pruneModel } from '../prune/pipeline.js';
import { OWL_DEFAULTS } from '../prune/owl.js';
import { DSNOT_DEFAULTS } from '../prune/dsnot.js';
import { evalTextModel } from '../eval/textModel.js';

const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: fix('gpt.onnx') },
    calib: { type: 'string', default: fix('data/sotu-calib-32k.txt') },
    text: { type: 'string', default: fix('data/sotu-heldout-64k.txt') },
    'calib-windows': { type: 'string', default: '128' },
    seq: { type: 'string', default: '128' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'out/crepe-table.json' },
    rows: { type: 'string' },
  },
});

interface Row { label: string; method: ScoreMethod; scope: 'matrix' | 'row'; crepe?: CrepeOptions; owl?: boolean; dsnot?: boolean; sequential?: boolean; permute?: boolean; lsa?: boolean; only?: string[] }
const unstructured = ['0.5', '0.6', '0.7'];
const rows: Row[] = [
  { label: 'magnitude', method: 'magnitude', scope: 'matrix' },
  { label: 'Wanda', method: 'wanda', scope: 'matrix' },
  { label: 'Wanda (per row)', method: 'wanda', scope: 'row' },
  { label: 'RIA', method: 'ria', scope: 'matrix' },
  { label: 'CRePE A (defaults)', method: 'crepe', scope: 'matrix', crepe: CREPE_DEFAULTS },
  { label: 'CRePE B (k 3, γ 0.5)', method: 'crepe', scope: 'matrix', crepe: { ...CREPE_DEFAULTS, variant: 'B' } },
  { label: 'Wanda (per row) + OWL', method: 'wanda', scope: 'row', owl: true, only: unstructured },
  { label: 'RIA + OWL', method: 'ria', scope: 'matrix', owl: true, only: unstructured },
  { label: 'CRePE A + OWL', method: 'crepe', scope: 'matrix', crepe: CREPE_DEFAULTS, owl: true, only: unstructured },
  { label: 'Wanda (per row) + DSnoT', method: 'wanda', scope: 'row', dsnot: true },
  { label: 'RIA + DSnoT', method: 'ria', scope: 'matrix', dsnot: true },
  { label: 'CRePE A + DSnoT', method: 'crepe', scope: 'matrix', crepe: CREPE_DEFAULTS, dsnot: true },
  { label: 'Wanda + CP', method: 'wanda', scope: 'matrix', permute: true, only: ['2:4', '4:8'] },
  { label: 'RIA + CP', method: 'ria', scope: 'matrix', permute: true, only: ['2:4', '4:8'] },
  { label: 'CRePE A + CP', method: 'crepe', scope: 'matrix', crepe: CREPE_DEFAULTS, permute: true, only: ['2:4', '4:8'] },
  { label: 'Wanda + CP + LSA', method: 'wanda', scope: 'matrix', permute: true, lsa: true, only: ['2:4', '4:8'] },
  { label: 'RIA + CP + LSA', method: 'ria', scope: 'matrix', permute: true, lsa: true, only: ['2:4', '4:8'] },
  { label: 'CRePE A + CP + LSA', method: 'crepe', scope: 'matrix', crepe: CREPE_DEFAULTS, permute: true, lsa: true, only: ['2:4', '4:8'] },
  { label: 'RIA, sequential calibration', method: 'ria', scope: 'matrix', sequential: true, only: ['0.5', '2:4'] },
  { label: 'CRePE A, sequential calibration', method: 'crepe', scope: 'matrix', crepe: CREPE_DEFAULTS, sequential: true, only: ['0.5', '2:4'] },
];
const patterns = ['0.5', '0.6', '0.7', '2:4', '4:8'];

const T = Number(args.seq);
const bytes = new Uint8Array(readFileSync(args.model!));
const text = readBytes(args.text!);
const g = readOnnx(bytes, args.model);
const layers = findLinearLayers(g).filter((l) => !l.skip);
const input = g.values.get(g.inputs[0])!;
const windows = sampleWindows(readBytes(args.calib!), T, Number(args['calib-windows']), Number(args.seed));
const t0 = performance.now();
const feeds = tokenFeeds(windows, g.inputs[0], input.dtype === 'int32' ? 'int32' : 'int64');
const stats = await calibrate(bytes, layers, feeds);
const calibSeconds = (performance.now() - t0) / 1000;

const dense = await evalTextModel(bytes, text, T);
process.stderr.write(`dense ${dense.bitsPerByte.toFixed(4)} bpb; calibrated ${windows.length} windows in ${calibSeconds.toFixed(1)} s\n`);
const results: { label: string; method: string; pattern: string; scope: string; owl: boolean; dsnot: boolean; sequential: boolean; sparsity: number; bitsPerByte: number; seconds: number; crepe?: CrepeOptions }[] = [];
const selected = rows.filter((r) => !args.rows || new RegExp(args.rows).test(r.label));
for (const row of selected) {
  for (const p of patterns.filter((x) => !row.only || row.only.includes(x))) {
    const pattern = parsePattern(p, row.scope) as Pattern;
    const t1 = performance.now();
    const r = await pruneModel(bytes, args.model!, {
      method: row.method, pattern, crepe: row.crepe, stats: row.sequential ? undefined : stats, feeds,
      owl: row.owl ? OWL_DEFAULTS : undefined, dsnot: row.dsnot ? DSNOT_DEFAULTS : undefined, sequential: row.sequential, permute: row.permute, lsa: row.lsa,
    });
    const seconds = (performance.now() - t1) / 1000;
    const e = await evalTextModel(r.onnx, text, T);
    results.push({ label: row.label, method: row.method, pattern: p, scope: row.scope, owl: !!row.owl, dsnot: !!row.dsnot, sequential: !!row.sequential, sparsity: r.sparsity, bitsPerByte: e.bitsPerByte, seconds, crepe: row.crepe });
    process.stderr.write(`${row.label.padEnd(32)} ${p.padEnd(4)} ${e.bitsPerByte.toFixed(4)}  (${(r.sparsity * 100).toFixed(1)}%, pruned in ${seconds.toFixed(1)} s)\n`);
  }
}

const head = (p: string) => (p.includes(':') ? p : `${Math.round(Number(p) * 100)}%`);
const md = [
  `| method | ${patterns.map(head).join(' | ')} |`,
  `|---|${patterns.map(() => '---:').join('|')}|`,
  `| dense | ${patterns.map(() => dense.bitsPerByte.toFixed(4)).join(' | ')} |`,
  ...selected.map((row) => `| ${row.label} | ${patterns.map((p) => results.find((r) => r.label === row.label && r.pattern === p)?.bitsPerByte.toFixed(4) ?? '–').join(' | ')} |`),
].join('\n');
const report = {
  model: args.model, modelSha256: createHash('sha256').update(bytes).digest('hex'),
  text: args.text, calib: args.calib, calibWindows: windows.length, seq: T, seed: Number(args.seed), calibSeconds,
  prunedLayers: layers.map((l) => l.name), crepeDefaults: CREPE_DEFAULTS, owlDefaults: { ...OWL_DEFAULTS, block: String(OWL_DEFAULTS.block) }, dsnotDefaults: DSNOT_DEFAULTS,
  dense: dense.bitsPerByte, results, markdown: md,
};
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify(report, null, 2) + '\n');
writeFileSync(args.out!.replace(/\.json$/, '') + '.md', md + '\n');
process.stdout.write(md + '\n');
