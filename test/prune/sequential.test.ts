// Sequential calibration: stages group independent consecutive layers, and a later stage is
// calibrated on the model with the earlier stages already pruned (checked against a direct
// float64 computation with the pruned first-layer weights).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import type { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { uniform } from '../../compiler/util/random.js';
import { findLinearLayers } from '../../compiler/prune/linear.js';
import { pruneSequentially, stages } from '../../compiler/prune/sequential.js';

const node = (name: string, op: string, inputs: string[], outputs: string[]): Node => ({ name, op, domain: '', inputs, outputs, attrs: {} });
const weight = (name: string, shape: number[], seed: number): Value => ({ name, dtype: 'float32', shape, data: uniform(seed, shape[0] * shape[1]) });

// x [5,4] → a (W [4,8]) and b (W [4,8]) in parallel → Add → Relu → c (W [8,4]) → y
function model(): Graph {
  const consts = [weight('wa', [4, 8], 1), weight('wb', [4, 8], 2), weight('wc', [8, 4], 3)];
  const values = new Map<string, Value>(consts.map((v) => [v.name, v]));
  values.set('x', { name: 'x', dtype: 'float32', shape: [5, 4] });
  values.set('y', { name: 'y', dtype: 'float32', shape: [5, 4] });
  return {
    name: 'm', source: 'm.onnx', opset: 17, inputs: ['x'], outputs: ['y'], values,
    nodes: [node('a', 'MatMul', ['x', 'wa'], ['ha']), node('b', 'MatMul', ['x', 'wb'], ['hb']), node('add', 'Add', ['ha', 'hb'], ['h']),
      node('relu', 'Relu', ['h'], ['r']), node('c', 'MatMul', ['r', 'wc'], ['y'])],
  };
}

test('stages: parallel layers share a stage, a consumer starts a new one', () => {
  const g = model();
  assert.equal(stages(g, findLinearLayers(g, { pruneHead: true })).map((s) => s.map((l) => l.name)), [['a', 'b'], ['c']]);
});

test('the second stage is calibrated on the output of the pruned first stage', async () => {
  const g = model();
  const layers = findLinearLayers(g, { pruneHead: true });
  const xs = [0, 1].map((b) => uniform(20 + b, 20, -2, 2));
  const feeds = xs.map((x) => ({ x: new ort.Tensor('float32', x, [5, 4]) }));
  const { graph, stats } = await pruneSequentially(g, layers, feeds, { method: 'wanda', pattern: { kind: 'unstructured', sparsity: 0.5, scope: 'matrix' } });
  const wa = graph.values.get('wa')!.data as Float32Array, wb = graph.values.get('wb')!.data as Float32Array;
  assert.is(wa.filter((v) => v === 0).length, 16);
  const sumSq = (A: Float32Array, B: Float32Array) => {
    const s = new Array(8).fill(0);
    for (const x of xs) {
      for (let t = 0; t < 5; t++) {
        for (let o = 0; o < 8; o++) {
          let h = 0;
          for (let i = 0; i < 4; i++) h += x[t * 4 + i] * (A[i * 8 + o] + B[i * 8 + o]);
          s[o] += Math.max(0, h) ** 2;
        }
      }
    }
    return s;
  };
  const pruned = sumSq(wa, wb), dense = sumSq(g.values.get('wa')!.data as Float32Array, g.values.get('wb')!.data as Float32Array);
  const got = stats.get('r')!.sumSq;
  for (let o = 0; o < 8; o++) assert.ok(Math.abs(got[o] - pruned[o]) <= 1e-5 * (1 + pruned[o]), `channel ${o}: ${got[o]} vs ${pruned[o]}`);
  assert.ok(dense.some((d, o) => Math.abs(d - pruned[o]) > 1e-3 * (1 + d)), 'pruning the first stage should change the second stage\'s inputs');
  assert.is((graph.values.get('wc')!.data as Float32Array).filter((v) => v === 0).length, 16);
});

test.run();
