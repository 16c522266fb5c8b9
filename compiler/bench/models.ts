// Benchmark script (not a test): per model, median latency of a sparsec build vs
// onnxruntime-web (WASM) vs onnxruntime-node (native), same inputs, same thread count, and the
// .wasm code size. Writes JSON and prints a markdown table.
//   node dist/compiler/bench/models.js [--out out/bench-models.json] [--only cnn,vit] [--target wasm-simd128] [--threads 1]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildModel } from '../compile.js';
import { numel } from '../ir/graph.js';
import { packageRoot } from '../paths.js';
import { uniform } from '../util/random.js';
import { version } from '../version.js';
import { compareEngines, ortNodeEngine, ortWebEngine, sparsecEngine, type FeedSpec } from './latency.js';

interface Case { id: string; file: string; feeds: Record<string, FeedSpec>; shapes: Record<string, number[]> }

const fix = (f: string) => join(packageRoot, 'test', 'fixtures', f);

async function cases(): Promise<Case[]> {
  const image = new Uint8Array(readFileSync(fix('data/fmnist-test-1000.u8'))).subarray(0, 784);
  const x = Float32Array.from(image, (p) => p / 255);
  const text = new Uint8Array(readFileSync(fix('data/sotu-heldout-64k.txt'))).subarray(0, 128);
  const out: Case[] = [
    { id: 'cnn', file: fix('cnn.onnx'), feeds: { input: { data: x, shape: [1, 1, 28, 28] } }, shapes: {} },
    { id: 'vit', file: fix('vit.onnx'), feeds: { input: { data: x, shape: [1, 1, 28, 28] } }, shapes: {} },
    { id: 'gpt (T=128)', file: fix('gpt.onnx'), feeds: { tokens: { data: BigInt64Array.from(text, (b) => BigInt(b)), shape: [1, 128] } }, shapes: { tokens: [1, 128] } },
  ];
  const real = JSON.parse(readFileSync(fix('real-models.json'), 'utf8')).models as Record<string, { input: { name: string }; buildShape: number[]; inputRange: { range: [number, number] } }>;
  const { ensureModels, modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
  await ensureModels();
  const paths = modelPaths();
  for (const [id, m] of Object.entries(real)) {
    const data = uniform(7, numel(m.buildShape), ...m.inputRange.range);
    out.push({ id, file: paths[id], feeds: { [m.input.name]: { data, shape: m.buildShape } }, shapes: { [m.input.name]: m.buildShape } });
  }
  return out;
}

const { values: args } = parseArgs({ options: { out: { type: 'string', default: 'out/bench-models.json' }, only: { type: 'string' }, target: { type: 'string', default: 'wasm-simd128' }, threads: { type: 'string', default: '1' } } });
const threads = Number(args.threads);
const rows: Record<string, unknown>[] = [];
for (const c of await cases()) {
  if (args.only && !args.only.split(',').some((s) => c.id.startsWith(s))) continue;
  const dir = join(packageRoot, 'out', 'bench', c.id.replace(/\W+/g, '_'));
  const built = await buildModel(c.file, dir, { target: args.target, inputShapes: c.shapes });
  const results = await compareEngines([sparsecEngine(dir, c.feeds), ortWebEngine(c.file, c.feeds, threads), ortNodeEngine(c.file, c.feeds, threads)]);
  const [ours, web, native] = results;
  const row = {
    model: c.id, wasmBytes: built.files.wasm.length, weightsBytes: built.files.weights.length,
    sparsecMs: ours.stats.p50, ortWebMs: web.stats.p50, ortNodeMs: native.stats.p50,
    speedupVsOrtWeb: web.stats.p50 / ours.stats.p50, speedupVsOrtNode: native.stats.p50 / ours.stats.p50,
    engines: results.map(({ outputs: _, ...r }) => r),
  };
  rows.push(row);
  process.stderr.write(`${c.id}: sparsec ${ours.stats.p50.toFixed(3)} ms, ort-web ${web.stats.p50.toFixed(3)} ms, ort-node ${native.stats.p50.toFixed(3)} ms\n`);
}
const report = { schemaVersion: 1, tool: `sparsec ${version}`, date: new Date().toISOString(), platform: { node: process.version, arch: process.arch }, target: args.target, threads, rows };
mkdirSync(dirname(args.out!), { recursive: true });
writeFileSync(args.out!, JSON.stringify(report, null, 2));
const table = [
  '| model | sparsec ms | ort-web ms | ort-node ms | vs ort-web | vs ort-node | wasm KB |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.model} | ${(r.sparsecMs as number).toFixed(3)} | ${(r.ortWebMs as number).toFixed(3)} | ${(r.ortNodeMs as number).toFixed(3)} | ${(r.speedupVsOrtWeb as number).toFixed(2)}x | ${(r.speedupVsOrtNode as number).toFixed(2)}x | ${((r.wasmBytes as number) / 1024).toFixed(1)} |`),
];
process.stdout.write(table.join('\n') + '\n');
