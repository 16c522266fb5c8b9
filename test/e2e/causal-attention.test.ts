// Causal self-attention fused into one kernel (compiler/ir/patterns/causalAttention.ts,
// assembly/attention.ts): the gpt fixture dense and at --prune magnitude:2:4, and small
// hand-built attention graphs with awkward sizes (T = 13, head dim 7), each compiled and compared
// with onnxruntime-node on the same ONNX file. Graphs whose mask is not causal, whose fill is not
// negative enough, or whose intermediates are read elsewhere must compile unfused and still match.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import type { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { CAUSAL_ATTENTION_OP } from '../../compiler/ir/patterns/causalAttention.js';
import { uniform } from '../../compiler/util/random.js';
import { inspectModel } from '../../compiler/inspect.js';
import { compare, compileAndLoad, maskedModelFile, runOrt } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'sparsec-attn-'));
const fused = (manifest: Record<string, unknown>) => (manifest.layers as { op: string }[]).filter((l) => l.op === CAUSAL_ATTENTION_OP).length;

for (const prune of [undefined, 'magnitude:2:4']) {
  test(`gpt (T=128${prune ? `, ${prune}` : ''}): the 4 attention blocks run fused and match onnxruntime-node`, async () => {
    const T = 128, file = join(FIX, 'gpt.onnx');
    const model = await compileAndLoad(file, { inputShapes: { tokens: [1, T] }, prune });
    const layers = model.manifest.layers as { op: string }[];
    assert.is(fused(model.manifest), 4);
    assert.not.ok(layers.some((l) => ['Softmax', 'Where', 'Transpose'].includes(l.op)), 'attention ops left unfused');
    const text = new Uint8Array(readFileSync(join(FIX, 'data', 'sotu-heldout-64k.txt'))).subarray(4096, 4096 + T);
    const ref = await runOrt(prune ? maskedModelFile(file, prune) : file, { tokens: { data: BigInt64Array.from(text, (b) => BigInt(b)), shape: [1, T] } });
    const { maxAbs, scale } = compare(model.run({ tokens: Int32Array.from(text) }).logits, ref.logits.data);
    assert.ok(maxAbs <= 1e-4 * scale, `max error ${maxAbs} of scale ${scale}`);
  });
}

// ---- hand-built attention: Q, K, V inputs [1, T, H, D] (token-major, as after a head split)
const T = 13, H = 2, D = 7;

interface Variant {
  /** keep[i][j]: the mask's kept entries */
  keep: (i: number, j: number) => boolean;
  /** Where(mask, fill, S) with a bool mask, Where(keep, S, fill), or Add(S, 0 / fill) */
  form: 'where-masked' | 'where-kept' | 'add';
  fill: number;
  scale: 'mul' | 'div' | 'none';
  /** the softmax output is a graph output too */
  exposeSoftmax?: boolean;
}

function attentionGraph(v: Variant): Graph {
  const values = new Map<string, Value>(), nodes: Node[] = [];
  const val = (name: string, dtype: Value['dtype'], shape: number[] | null, data?: Value['data']) => {
    values.set(name, { name, dtype, shape, ...(data ? { data } : {}) });
    return name;
  };
  const node = (op: string, inputs: string[], out: string, attrs: Node['attrs'] = {}) => {
    nodes.push({ name: out, op, domain: '', inputs, outputs: [out], attrs });
    if (!values.has(out)) val(out, 'float32', null);
    return out;
  };
  const tokenMajor = [1, T, H, D];
  for (const n of ['q', 'k', 'v']) val(n, 'float32', tokenMajor);
  const q = node('Transpose', ['q'], 'qh', { perm: [0, 2, 1, 3] });
  const kt = node('Transpose', ['k'], 'kt', { perm: [0, 2, 3, 1] });
  const vh = node('Transpose', ['v'], 'vh', { perm: [0, 2, 1, 3] });
  let s = node('MatMul', [q, kt], 'scores');
  const sq = Math.sqrt(D);
  if (v.scale === 'mul') s = node('Mul', [s, val('scale', 'float32', [], Float32Array.of(1 / sq))], 'scaled');
  if (v.scale === 'div') s = node('Div', [s, val('scale', 'float32', [], Float32Array.of(sq))], 'scaled');
  const grid = (f: (i: number, j: number) => number) => Array.from({ length: T * T }, (_, e) => f(Math.floor(e / T), e % T));
  if (v.form === 'add') {
    s = node('Add', [s, val('mask', 'float32', [T, T], Float32Array.from(grid((i, j) => (v.keep(i, j) ? 0 : v.fill))))], 'masked');
  } else {
    const kept = v.form === 'where-kept';
    const cond = val('mask', 'bool', [1, 1, T, T], Uint8Array.from(grid((i, j) => (v.keep(i, j) === kept ? 1 : 0))));
    const fill = val('fill', 'float32', [], Float32Array.of(v.fill));
    s = node('Where', kept ? [cond, s, fill] : [cond, fill, s], 'masked');
  }
  const p = node('Softmax', [s], 'probs', { axis: -1 });
  const o = node('MatMul', [p, vh], 'heads');
  node('Transpose', [o], 'y', { perm: [0, 2, 1, 3] });
  values.get('y')!.shape = tokenMajor;
  const outputs = ['y'];
  if (v.exposeSoftmax) { values.get('probs')!.shape = [1, H, T, T]; outputs.push('probs'); }
  return { name: 'attention', source: 'attention.onnx', opset: 17, nodes, values, inputs: ['q', 'k', 'v'], outputs };
}

const causal = (diag: number) => (i: number, j: number) => j <= i + diag;
const cases: { name: string; v: Variant; fuses: boolean }[] = [
  { name: 'Where(mask, -inf, S·scale), diag 0', v: { keep: causal(0), form: 'where-masked', fill: -Infinity, scale: 'mul' }, fuses: true },
  { name: 'Add(S / sqrt(d), 0 or float32 lowest), diag 2', v: { keep: causal(2), form: 'add', fill: -3.4028234663852886e38, scale: 'div' }, fuses: true },
  { name: 'Where(keep, S, -1e4), no scale', v: { keep: causal(0), form: 'where-kept', fill: -1e4, scale: 'none' }, fuses: true },
  { name: 'sliding window mask (not causal)', v: { keep: (i, j) => j <= i && j >= i - 3, form: 'where-masked', fill: -Infinity, scale: 'mul' }, fuses: false },
  { name: 'upper-triangular mask (not causal)', v: { keep: (i, j) => j >= i, form: 'where-masked', fill: -Infinity, scale: 'mul' }, fuses: false },
  { name: 'causal mask, fill -10 (weighs after softmax)', v: { keep: causal(0), form: 'where-masked', fill: -10, scale: 'mul' }, fuses: false },
  { name: 'causal mask, softmax output also a graph output', v: { keep: causal(0), form: 'where-masked', fill: -Infinity, scale: 'mul', exposeSoftmax: true }, fuses: false },
];

cases.forEach(({ name, v, fuses }, n) => {
  test(`T=${T}, ${H} heads of ${D}: ${name} ${fuses ? 'fuses' : 'stays unfused'} and matches onnxruntime-node`, async () => {
    const file = join(tmp, `attention-${n}.onnx`);
    writeFileSync(file, writeOnnx(attentionGraph(v)));
    const shape = [1, T, H, D];
    const feeds = Object.fromEntries(['q', 'k', 'v'].map((x, i) => [x, { data: uniform(100 + 10 * n + i, T * H * D, -2, 2), shape }]));
    const ref = await runOrt(file, feeds);
    // inspect counts the model's MACs, fused or not: Q·Kᵀ and P·V over every head
    assert.is(inspectModel(file).macs, 2 * H * T * T * D);
    for (const target of ['wasm-simd128', 'wasm-mvp']) {
      const model = await compileAndLoad(file, { target });
      assert.is(fused(model.manifest), fuses ? 1 : 0, `${target}: fused layers`);
      const got = model.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, f.data])));
      for (const out of Object.keys(ref)) {
        const { maxAbs, scale } = compare(got[out], ref[out].data);
        assert.ok(maxAbs <= 1e-5 * scale, `${target} ${out}: max error ${maxAbs} of scale ${scale}`);
      }
    }
  });
});

test.run();
