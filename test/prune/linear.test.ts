// Which layers are prunable, in which orientation, and that applying masks zeroes exactly the
// masked weights of a copy while excluded layers and the input graph stay untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { findLinearLayers, toOutIn } from '../../compiler/prune/linear.js';
import { applyMasks } from '../../compiler/prune/apply.js';
import { pruneMasks } from '../../compiler/prune/prune.js';

const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, op, domain: '', inputs, outputs, attrs });
const w = (name: string, shape: number[], offset: number): Value => ({ name, dtype: 'float32', shape, data: Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => offset + i + 1) });

// tokens → emb(Gather) → mm1 (MatMul, W1 [4,6]) → relu → g1 (Gemm transB, W2 [5,6]) → g2 (Gemm, W3 [5,4])
// → head (MatMul with W4 = embᵀ, tied) → Add bias → logits; plus a MatMul of two activations.
function model(): Graph {
  const emb: Value = { name: 'emb', dtype: 'float32', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 10) };
  const w4: Value = { name: 'w4', dtype: 'float32', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => emb.data![(i % 3) * 4 + Math.floor(i / 3)] as number) };
  const consts = [emb, w('w1', [4, 6], 0), w('w2', [5, 6], 100), w('w3', [5, 4], 200), w4, w('bias', [1, 3], 300)];
  const values = new Map<string, Value>(consts.map((v) => [v.name, v]));
  values.set('tokens', { name: 'tokens', dtype: 'int64', shape: [2] });
  values.set('logits', { name: 'logits', dtype: 'float32', shape: null, declared: [2, 3] });
  return {
    name: 'm', source: 'm.onnx', opset: 17, inputs: ['tokens'], outputs: ['logits'], values,
    nodes: [
      node('embed', 'Gather', ['emb', 'tokens'], ['e']),
      node('mm1', 'MatMul', ['e', 'w1'], ['h']),
      node('relu', 'Relu', ['h'], ['r']),
      node('g1', 'Gemm', ['r', 'w2'], ['a'], { transB: 1 }),
      node('g2', 'Gemm', ['a', 'w3'], ['b']),
      node('attn', 'MatMul', ['b', 'b'], ['bb']),
      node('head', 'MatMul', ['b', 'w4'], ['hl']),
      node('bias', 'Add', ['hl', 'bias'], ['logits']),
    ],
  };
}

test('MatMul/Gemm with a constant 2-D weight; orientation from the op and transB', () => {
  const ls = findLinearLayers(model());
  assert.equal(ls.map((l) => [l.name, l.dOut, l.dIn, l.storedOutIn]), [['mm1', 6, 4, false], ['g1', 5, 6, true], ['g2', 4, 5, false], ['head', 3, 4, false]]);
  assert.equal(ls.map((l) => l.skip), ['', '', '', 'output head']);
  assert.equal(ls.map((l) => l.input), ['e', 'r', 'a', 'b']);
});

test('toOutIn gives W[out][in]: MatMul transposed, Gemm transB as stored', () => {
  const g = model();
  const [mm1, g1] = findLinearLayers(g);
  const a = toOutIn(g, mm1); // W1 stored [in=4][out=6] = 1..24, so W[o][i] = 1 + i*6 + o
  assert.is(a[0 * 4 + 1], 1 + 1 * 6 + 0);
  assert.is(a[5 * 4 + 3], 1 + 3 * 6 + 5);
  const b = toOutIn(g, g1); // W2 stored [out=5][in=6]
  assert.is(b[2 * 6 + 3], 101 + 2 * 6 + 3);
});

test('include/ignore by node name; the head can be pruned on request; tied embedding detected', () => {
  assert.equal(findLinearLayers(model(), { ignore: /^g/ }).map((l) => l.skip), ['', 'matched by --ignore', 'matched by --ignore', 'output head']);
  assert.equal(findLinearLayers(model(), { include: /g1/ }).map((l) => l.skip), ['not matched by --include', '', 'not matched by --include', 'not matched by --include']);
  assert.equal(findLinearLayers(model(), { pruneHead: true }).map((l) => l.skip), ['', '', '', '']);
  // remove the path to the output: the head is no longer the head, but still the tied embedding
  const g = model();
  g.nodes = g.nodes.filter((n) => n.name !== 'bias');
  g.outputs = ['bb'];
  assert.equal(findLinearLayers(g).map((l) => l.skip), ['', '', '', 'tied to the embedding']);
});

test('applyMasks zeroes the masked weights in the stored layout, in a copy; excluded layers untouched', () => {
  const g = model();
  const before = new Map([...g.values].map(([k, v]) => [k, v.data ? Array.from(v.data as Float32Array) : null]));
  // g1 has d_in 6: 2:4 is refused unless it is left dense
  assert.throws(() => pruneMasks(g, findLinearLayers(g, { ignore: /g2/ }), null, { method: 'magnitude', pattern: { kind: 'nm', n: 2, m: 4 } }), /g1 \(d_in 6\)/);
  const layers = findLinearLayers(g, { ignore: /^g/ });
  const { masks, report } = pruneMasks(g, layers, null, { method: 'magnitude', pattern: { kind: 'nm', n: 2, m: 4 } });
  assert.equal(report.map((r) => r.pruned), [6 * 2, 0, 0, 0]);
  assert.equal([...masks.keys()], ['mm1']);
  const p = applyMasks(g, layers, masks);
  // mm1: W[o][i] = 1+6i+o, rising with i: each row keeps inputs 2, 3 and prunes 0, 1 → stored rows 0, 1 zero
  const w1 = p.values.get('w1')!.data as Float32Array;
  for (let i = 0; i < 4; i++) for (let o = 0; o < 6; o++) assert.is(w1[i * 6 + o] === 0, i < 2, `w1[${i}][${o}]`);
  for (const [k, v] of g.values) if (v.data) assert.equal(Array.from(v.data as Float32Array), before.get(k), `input ${k} changed`);
  for (const k of ['w2', 'w3', 'w4', 'emb']) assert.equal(Array.from(p.values.get(k)!.data as Float32Array), before.get(k), `${k} changed`);
});

test.run();
