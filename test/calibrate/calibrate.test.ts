// Calibration statistics from onnxruntime against a direct float64 computation on a tiny MLP
// written with write.ts: x [5,4] → MatMul W1 [4,6] → Relu → Transpose → Gemm(transA=1) W2 [6,3].
// It covers a graph input (x, taken from the feeds), an exposed intermediate tensor, and a
// channels-first input (Gemm transA=1 reads [K, M]).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import type { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { readOnnx } from '../../compiler/onnx/read.js';
import { uniform } from '../../compiler/util/random.js';
import { findLinearLayers } from '../../compiler/prune/linear.js';
import { calibrate } from '../../compiler/calibrate/calibrate.js';
import { ChannelStats } from '../../compiler/calibrate/stats.js';
import { heldOutIndices, sampleIndices, sampleWindows, textWindows } from '../../compiler/calibrate/data.js';
import { bitsPerByte } from '../../compiler/eval/metrics.js';

const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, op, domain: '', inputs, outputs, attrs });
const W1 = uniform(1, 24), W2 = uniform(2, 18);

function mlp(): Uint8Array {
  const values = new Map<string, Value>([
    ['x', { name: 'x', dtype: 'float32', shape: [5, 4] }],
    ['w1', { name: 'w1', dtype: 'float32', shape: [4, 6], data: W1 }],
    ['w2', { name: 'w2', dtype: 'float32', shape: [6, 3], data: W2 }],
    ['y', { name: 'y', dtype: 'float32', shape: [5, 3] }],
  ]);
  const g: Graph = {
    name: 'mlp', source: 'mlp.onnx', opset: 17, inputs: ['x'], outputs: ['y'], values,
    nodes: [node('fc1', 'MatMul', ['x', 'w1'], ['h']), node('relu', 'Relu', ['h'], ['r']), node('t', 'Transpose', ['r'], ['rt'], { perm: [1, 0] }), node('fc2', 'Gemm', ['rt', 'w2'], ['y'], { transA: 1 })],
  };
  return writeOnnx(g);
}

/** direct statistics of rows [n][C] in float64 */
function direct(rows: number[][]) {
  const C = rows[0].length, n = rows.length;
  const sum = new Array(C).fill(0), sumSq = new Array(C).fill(0), gram = new Array(C * C).fill(0);
  for (const x of rows) for (let i = 0; i < C; i++) { sum[i] += x[i]; sumSq[i] += x[i] * x[i]; for (let j = 0; j < C; j++) gram[i * C + j] += x[i] * x[j]; }
  const mean = sum.map((s) => s / n);
  const variance = mean.map((m, i) => rows.reduce((s, x) => s + (x[i] - m) ** 2, 0) / n);
  return { n, sum, sumSq, gram, mean, variance };
}

function close(actual: ArrayLike<number>, expected: number[], what: string): void {
  assert.is(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-5 * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

test('per-channel sum, sum of squares, mean, variance, Gram match a direct computation', async () => {
  const bytes = mlp();
  const layers = findLinearLayers(readOnnx(bytes), { pruneHead: true });
  assert.equal(layers.map((l) => [l.name, l.input, l.dIn, l.inputChannelsFirst]), [['fc1', 'x', 4, false], ['fc2', 'rt', 6, true]]);
  const xs = [0, 1, 2].map((b) => uniform(10 + b, 20, -2, 2));
  const feeds = xs.map((x) => ({ x: new ort.Tensor('float32', x, [5, 4]) }));
  const stats = await calibrate(bytes, layers, feeds, { gram: true });

  const xRows: number[][] = [], rRows: number[][] = [];
  for (const x of xs) {
    for (let t = 0; t < 5; t++) {
      const row = Array.from(x.subarray(t * 4, t * 4 + 4));
      xRows.push(row);
      rRows.push(Array.from({ length: 6 }, (_, o) => Math.max(0, row.reduce((s, v, i) => s + v * W1[i * 6 + o], 0))));
    }
  }
  for (const [name, rows] of [['x', xRows], ['rt', rRows]] as const) {
    const s = stats.get(name)!, d = direct(rows);
    assert.is(s.count, 15, name);
    close(s.sum, d.sum, `${name} sum`);
    close(s.sumSq, d.sumSq, `${name} sumSq`);
    close(s.mean(), d.mean, `${name} mean`);
    close(s.variance(), d.variance, `${name} variance`);
    close(s.gram!, d.gram, `${name} gram`);
    close(s.norm(), d.sumSq.map(Math.sqrt), `${name} norm`);
    close(s.rms(), d.sumSq.map((v) => Math.sqrt(v / 15)), `${name} rms`);
  }
  assert.ok(rRows.some((r) => r.some((v) => v === 0)) && rRows.some((r) => r.some((v) => v > 0)), 'the relu should be active and inactive somewhere');
});

test('ChannelStats: channels-last and channels-first layouts of the same data agree', () => {
  const a = new ChannelStats(3), b = new ChannelStats(3);
  a.add([1, 2, 3, 4, 5, 6]); // rows (1,2,3), (4,5,6)
  b.add([1, 4, 2, 5, 3, 6], true); // [C=3][M=2]
  for (const s of [a, b]) {
    assert.equal(Array.from(s.sum), [5, 7, 9]);
    assert.equal(Array.from(s.sumSq), [17, 29, 45]);
    assert.equal(Array.from(s.variance()), [2.25, 2.25, 2.25]);
    assert.is(s.count, 2);
  }
});

test('text windows: non-overlapping, remainder dropped; sampling seeded, distinct, in file order', () => {
  const bytes = Uint8Array.from({ length: 43 }, (_, i) => i);
  const all = textWindows(bytes, 10);
  assert.equal(all.map((w) => w[0]), [0, 10, 20, 30]);
  assert.equal(Array.from(all[3]), [30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  const big = Uint8Array.from({ length: 1000 }, (_, i) => i % 256);
  const s1 = sampleWindows(big, 10, 7, 3).map((w) => w[0]), s2 = sampleWindows(big, 10, 7, 3).map((w) => w[0]);
  assert.equal(s1, s2);
  const starts = sampleWindows(new Uint8Array(1000).map((_, i) => Math.floor(i / 10)), 10, 7, 3).map((w) => w[0]);
  assert.is(new Set(starts).size, 7);
  assert.equal(starts, [...starts].sort((x, y) => x - y));
  assert.not.equal(starts, [0, 1, 2, 3, 4, 5, 6]);
  assert.is(sampleWindows(big, 10, 500, 3).length, 100);
});

test('held-out indices: disjoint from the sampled ones, seeded, capped, increasing', () => {
  const used = sampleIndices(20, 12, 5), held = heldOutIndices(20, 12, 5, 6);
  assert.is(held.length, 6);
  assert.ok(held.every((i) => !used.includes(i) && i >= 0 && i < 20));
  assert.equal(held, [...held].sort((a, b) => a - b));
  assert.equal(heldOutIndices(20, 12, 5, 6), held);
  assert.is(heldOutIndices(20, 12, 5, 100).length, 8);
  assert.is(heldOutIndices(20, 20, 5, 100).length, 0);
});

test('bitsPerByte on chosen windows scores only those windows (and the byte after each)', async () => {
  // a model that always says p(1) = 3/4, p(0) = 1/4 (float32 logits: 1e-6): a target 1 costs log2(4/3) bits, a 0 costs 2
  const T = 2, V = 2, text = Uint8Array.from([1, 1, 0, 1, 1, 0, 0, 0, 1]);
  const logitsOf = () => Float32Array.from([0, Math.log(3), 0, Math.log(3)]);
  const one = Math.log2(4 / 3), zero = 2;
  // windows start at 0, 2, 4, 6 and score bytes 1-2, 3-4, 5-6, 7-8: targets 1 0 | 1 1 | 0 0 | 0 1
  assert.ok(Math.abs((await bitsPerByte(text, T, V, logitsOf)) - (4 * one + 4 * zero) / 8) < 1e-6);
  assert.ok(Math.abs((await bitsPerByte(text, T, V, logitsOf, [1, 2])) - (2 * one + 2 * zero) / 4) < 1e-6);
  assert.ok(Math.abs((await bitsPerByte(text, T, V, logitsOf, [1])) - one) < 1e-6);
});

test.run();
