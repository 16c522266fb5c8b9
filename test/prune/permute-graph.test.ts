// Channel permutation carried into the graph (prune/permuteGraph.ts): the rewritten graph must
// compute what the original computes (onnxruntime-node on both), with π absorbed into the
// producing linear layer through channel-wise ops where nothing else reads the values, and a
// Gather otherwise; on the gpt fixture the permuted 2:4 model matches the masked model in the
// original layout, its stored weights are plain 2:4 along K, and the sparsec build runs them
// on the 2:4 kernels and matches onnxruntime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import type { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { valueOf } from '../../compiler/ir/graph.js';
import { readOnnx } from '../../compiler/onnx/read.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { calibrate } from '../../compiler/calibrate/calibrate.js';
import { textCalibration } from '../../compiler/calibrate/text.js';
import { findLinearLayers, toOutIn } from '../../compiler/prune/linear.js';
import { parsePattern } from '../../compiler/prune/masks.js';
import { pruneMasks } from '../../compiler/prune/prune.js';
import { applyMasks } from '../../compiler/prune/apply.js';
import { pruneModel } from '../../compiler/prune/pipeline.js';
import { permuteInputs } from '../../compiler/prune/permuteGraph.js';
import { rng, uniform } from '../../compiler/util/random.js';
import { compare, compileAndLoad } from '../helpers/run.js';

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

const constant = (name: string, shape: number[], seed: number): Value => ({ name, dtype: 'float32', shape, data: uniform(seed, shape.reduce((a, b) => a * b, 1)) });
const shuffled = (n: number, seed: number): Uint32Array => {
  const p = Uint32Array.from({ length: n }, (_, i) => i), r = rng(seed);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [p[i], p[j]] = [p[j], p[i]]; }
  return p;
};

/** x[1,3,8] → fc1 (MatMul+Add) → Relu → Mul(per-channel s) → fc2; x → side (MatMul). With
 *  `leak`, the Relu output is also a graph output, so fc2's π cannot be absorbed. */
function smallGraph(leak: boolean): Graph {
  const nodes: Node[] = [
    { name: 'fc1', op: 'MatMul', domain: '', inputs: ['x', 'w1'], outputs: ['h'], attrs: {} },
    { name: 'bias', op: 'Add', domain: '', inputs: ['b1', 'h'], outputs: ['hb'], attrs: {} },
    { name: 'act', op: 'Relu', domain: '', inputs: ['hb'], outputs: ['a'], attrs: {} },
    { name: 'scale', op: 'Mul', domain: '', inputs: ['a', 's'], outputs: ['as'], attrs: {} },
    { name: 'fc2', op: 'MatMul', domain: '', inputs: ['as', 'w2'], outputs: ['y'], attrs: {} },
    { name: 'side', op: 'MatMul', domain: '', inputs: ['x', 'w3'], outputs: ['z'], attrs: {} },
  ];
  const values = new Map<string, Value>([
    ['x', { name: 'x', dtype: 'float32', shape: [1, 3, 8] }],
    ['w1', constant('w1', [8, 8], 1)], ['b1', constant('b1', [8], 2)], ['s', constant('s', [8], 3)],
    ['w2', constant('w2', [8, 4], 4)], ['w3', constant('w3', [8, 4], 5)],
    ...['h', 'hb', 'a', 'as'].map((n) => [n, { name: n, dtype: 'float32', shape: [1, 3, 8] }] as [string, Value]),
    ['y', { name: 'y', dtype: 'float32', shape: [1, 3, 4] }], ['z', { name: 'z', dtype: 'float32', shape: [1, 3, 4] }],
  ]);
  return { name: 'small', source: 'small', opset: 17, nodes, values, inputs: ['x'], outputs: leak ? ['y', 'z', 'a'] : ['y', 'z'] };
}

for (const leak of [false, true]) {
  test(`permuteInputs keeps the function (onnxruntime) with π ${leak ? 'gathered: the activation is also a graph output' : 'absorbed into fc1 through Add, Relu, Mul'}`, async () => {
    const g = smallGraph(leak);
    const layers = findLinearLayers(g, { pruneHead: true });
    const perms = new Map([['fc2', shuffled(8, 7)], ['side', shuffled(8, 8)]]);
    const { graph, report } = permuteInputs(g, layers, perms);
    assert.equal(report.map((r) => [r.layer, r.how, r.producers]), [['fc2', leak ? 'gather' : 'absorbed', leak ? [] : ['fc1']], ['side', 'gather', []]]);
    const x = { x: new ort.Tensor('float32', uniform(9, 24), [1, 3, 8]) };
    const ref = await run(writeOnnx(g), x), got = await run(writeOnnx(graph), x);
    for (const name of g.outputs) {
      const { maxAbs, scale } = compare(got[name], ref[name]);
      assert.ok(maxAbs <= 1e-5 * Math.max(scale, 1), `${name}: ${maxAbs}`);
    }
    // the stored fc2 weight is w2 with its rows (K) permuted
    const w2 = valueOf(g, 'w2').data as Float32Array, w2p = valueOf(graph, 'w2').data as Float32Array, pi = perms.get('fc2')!;
    for (let p = 0; p < 8; p++) for (let n = 0; n < 4; n++) assert.is(w2p[p * 4 + n], w2[pi[p] * 4 + n]);
    assert.equal(Array.from(valueOf(g, 'w2').data as Float32Array), Array.from(uniform(4, 32))); // the input graph is untouched
  });
}

test('permuteInputs through Gemm with transB = 1 and a bias: π goes into the producer\'s weight rows and bias', async () => {
  const nodes: Node[] = [
    { name: 'g1', op: 'Gemm', domain: '', inputs: ['x', 'w1', 'c1'], outputs: ['h'], attrs: { transB: 1 } },
    { name: 'act', op: 'Sigmoid', domain: '', inputs: ['h'], outputs: ['a'], attrs: {} },
    { name: 'g2', op: 'Gemm', domain: '', inputs: ['a', 'w2'], outputs: ['y'], attrs: { transB: 1 } },
  ];
  const values = new Map<string, Value>([
    ['x', { name: 'x', dtype: 'float32', shape: [3, 4] }], ['w1', constant('w1', [8, 4], 21)], ['c1', constant('c1', [8], 22)],
    ['w2', constant('w2', [5, 8], 23)], ['h', { name: 'h', dtype: 'float32', shape: [3, 8] }], ['a', { name: 'a', dtype: 'float32', shape: [3, 8] }],
    ['y', { name: 'y', dtype: 'float32', shape: [3, 5] }],
  ]);
  const g: Graph = { name: 'gemm', source: 'gemm', opset: 17, nodes, values, inputs: ['x'], outputs: ['y'] };
  const { graph, report } = permuteInputs(g, findLinearLayers(g, { pruneHead: true }), new Map([['g2', shuffled(8, 24)]]));
  assert.equal(report.map((r) => [r.layer, r.how, r.producers]), [['g2', 'absorbed', ['g1']]]);
  const x = { x: new ort.Tensor('float32', uniform(25, 12), [3, 4]) };
  const { maxAbs, scale } = compare((await run(writeOnnx(graph), x)).y, (await run(writeOnnx(g), x)).y);
  assert.ok(maxAbs <= 1e-5 * Math.max(scale, 1), `${maxAbs}`);
});

const FIX = join(packageRoot, 'test', 'fixtures');
const file = join(FIX, 'gpt.onnx'), T = 128;

test('gpt, RIA 2:4 with --permute: matches the masked model in the original layout, stored 2:4 along K, and the build runs it on 2:4 kernels', async () => {
  const bytes = new Uint8Array(readFileSync(file));
  const g = readOnnx(bytes, file);
  const layers = findLinearLayers(g);
  const stats = await calibrate(bytes, layers.filter((l) => !l.skip), await textCalibration(bytes, file, join(FIX, 'data', 'sotu-calib-32k.txt'), T, 32, 0));
  const pattern = parsePattern('2:4', 'matrix')!;
  const r = await pruneModel(bytes, file, { method: 'ria', pattern, stats, permute: true });
  assert.is(r.permutations!.filter((p) => p.how === 'absorbed').length, 4); // fc2 ← fc through the GELU, per block
  assert.is(r.permutations!.filter((p) => p.how === 'gather').length, 12); // qkv and fc read a LayerNorm, proj a reshape of heads
  // the reference: the same masks applied in the original column order, no permutation in the graph
  const reference = applyMasks(g, layers, pruneMasks(g, layers, stats, { method: 'ria', pattern, permute: true }).masks);
  const text = new Uint8Array(readFileSync(join(FIX, 'data', 'sotu-heldout-64k.txt'))).subarray(0, T);
  const feeds = { tokens: new ort.Tensor('int64', BigInt64Array.from(text, BigInt), [1, T]) };
  const ref = await run(writeOnnx(reference), feeds), got = await run(r.onnx, feeds);
  const { maxAbs, scale } = compare(got.logits, ref.logits);
  assert.ok(maxAbs <= 1e-4 * scale, `permuted vs original layout: max error ${maxAbs} of scale ${scale}`);
  // every pruned layer's stored weight is plain 2:4 along its input dimension
  for (const l of layers.filter((x) => !x.skip)) {
    const w = toOutIn(r.graph, l);
    for (let o = 0; o < l.dOut; o++) {
      for (let k = 0; k < l.dIn; k += 4) {
        let nz = 0;
        for (let t = 0; t < 4; t++) if (w[o * l.dIn + k + t] !== 0) nz++;
        assert.ok(nz <= 2, `${l.name}: row ${o}, group ${k / 4} keeps ${nz}`);
      }
    }
  }
  const model = await compileAndLoad(writeOnnxFile(r.onnx), { inputShapes: { tokens: [1, T] } });
  const nm = (model.manifest.layers as { format?: string }[]).filter((l) => l.format === '2:4').length;
  assert.ok(nm >= 16, `only ${nm} layers run as 2:4`);
  const built = compare(model.run({ tokens: Int32Array.from(text) }).logits, got.logits);
  assert.ok(built.maxAbs <= 1e-4 * built.scale, `build vs onnxruntime: ${built.maxAbs} of ${built.scale}`);
});

function writeOnnxFile(onnx: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sparsec-permute-')), 'gpt-ria24-cp.onnx');
  writeFileSync(path, onnx);
  return path;
}

test.run();
