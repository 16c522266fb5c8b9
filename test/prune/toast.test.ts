// ToaSt: attention/FFN recognition in three export styles, surgery checked in onnxruntime
// against independent references (the unpruned model for zero pruning; a masked-weight model
// of the original shapes for head pruning, spec §1's exactness argument), the budget fit, and
// the solver and median score on hand-computed cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../compiler/paths.js';
import type { Graph, Node, Value } from '../../compiler/ir/graph.js';
import { readOnnx } from '../../compiler/onnx/read.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { uniform } from '../../compiler/util/random.js';
import { findAttention, type AttentionBlock } from '../../compiler/prune/toast/attention.js';
import { findFfns } from '../../compiler/prune/toast/ffn.js';
import { copyGraph, pruneHeads, pruneHiddenUnits, type HeadKeep } from '../../compiler/prune/toast/surgery.js';
import { prepareForChannels } from '../../compiler/prune/groups.js';
import { fitSchedule, graphMacs, modelCost } from '../../compiler/prune/toast/schedule.js';
import { medianDistance } from '../../compiler/prune/toast/scores.js';
import { ridgeFit } from '../../compiler/util/ridge.js';
import { pruneToast } from '../../compiler/prune/toast/toast.js';
import { parseToastSpec } from '../../compiler/prune/toast/build.js';
import { dynamicChannels } from '../../compiler/prune/toast/dynamic.js';
import { exposeValues } from '../../compiler/calibrate/expose.js';
import { imageFeeds } from '../../compiler/calibrate/images.js';

const FIX = join(packageRoot, 'test', 'fixtures');
const VIT = join(FIX, 'vit.onnx');
const { modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
const OCR: string = modelPaths()['ppocr-rec'];

const node = (name: string, op: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): Node => ({ name, op, domain: '', inputs, outputs, attrs });
const f32 = (name: string, shape: number[], seed: number, scale = 0.3): Value => ({ name, dtype: 'float32', shape, data: uniform(seed, shape.reduce((a, b) => a * b, 1), -scale, scale) });
const i64 = (name: string, nums: number[]): Value => ({ name, dtype: 'int64', shape: [nums.length], data: BigInt64Array.from(nums.map(BigInt)) });

/** A Hugging Face style block: separate q/k/v projections, Reshape [B,N,h,d] + Transpose, kᵀ
 *  folded into Transpose [0,2,3,1], Div by √d after QKᵀ, swish FFN; N = 6, C = 16, h = 2, d = 8. */
function hfBlock(runtimeScale = false): Graph {
  const N = 6, C = 16, h = 2, d = 8, H = 32;
  const consts = [
    f32('wq', [C, C], 1), f32('bq', [C], 2), f32('wk', [C, C], 3), f32('bk', [C], 4), f32('wv', [C, C], 5), f32('bv', [C], 6),
    f32('wo', [C, C], 7), f32('bo', [C], 8), f32('w1', [C, H], 9), f32('b1', [H], 10), f32('w2', [H, C], 11), f32('b2', [C], 12),
    i64('heads_q', [-1, N, h, d]), i64('heads_k', [-1, N, h, d]), i64('heads_v', [-1, N, h, d]), i64('merge', [-1, N, C]),
    { name: 'sqrt_d', dtype: 'float32', shape: [], data: new Float32Array([Math.sqrt(d)]) } as Value,
    { name: 'three', dtype: 'int64', shape: [], data: new BigInt64Array([3n]) } as Value,
  ];
  const values = new Map<string, Value>(consts.map((v) => [v.name, v]));
  values.set('x', { name: 'x', dtype: 'float32', shape: [1, N, C] });
  values.set('y', { name: 'y', dtype: 'float32', shape: [1, N, C] });
  const proj = (p: string, perm: number[]) => [
    node(`${p}/MatMul`, 'MatMul', ['x', `w${p}`], [`${p}0`]), node(`${p}/Add`, 'Add', [`${p}0`, `b${p}`], [`${p}1`]),
    node(`${p}/Reshape`, 'Reshape', [`${p}1`, `heads_${p}`], [`${p}2`]), node(`${p}/Transpose`, 'Transpose', [`${p}2`], [`${p}3`], { perm }),
  ];
  const g: Graph = {
    name: 'hf', source: 'hf.onnx', opset: 17, inputs: ['x'], outputs: ['y'], values,
    nodes: [
      ...proj('q', [0, 2, 1, 3]), ...proj('k', [0, 2, 3, 1]), ...proj('v', [0, 2, 1, 3]),
      node('qk', 'MatMul', ['q3', 'k3'], ['s0']),
      // SDPA-style exports compute √d from q's shape at run time
      ...(runtimeScale ? [node('q/Shape', 'Shape', ['q3'], ['qs']), node('q/d', 'Gather', ['qs', 'three'], ['qd'], { axis: 0 }), node('q/dcast', 'Cast', ['qd'], ['qdf'], { to: 1 }), node('q/sqrt', 'Sqrt', ['qdf'], ['sqrt_rt'])] : []),
      node('scale', 'Div', ['s0', runtimeScale ? 'sqrt_rt' : 'sqrt_d'], ['s1']),
      node('softmax', 'Softmax', ['s1'], ['p'], { axis: -1 }), node('av', 'MatMul', ['p', 'v3'], ['c0']),
      node('merge/Transpose', 'Transpose', ['c0'], ['c1'], { perm: [0, 2, 1, 3] }), node('merge/Reshape', 'Reshape', ['c1', 'merge'], ['c2']),
      node('o/MatMul', 'MatMul', ['c2', 'wo'], ['o0']), node('o/Add', 'Add', ['o0', 'bo'], ['o1']), node('res1', 'Add', ['x', 'o1'], ['r1']),
      node('fc1/MatMul', 'MatMul', ['r1', 'w1'], ['f0']), node('fc1/Add', 'Add', ['f0', 'b1'], ['f1']),
      node('sig', 'Sigmoid', ['f1'], ['f2']), node('swish', 'Mul', ['f1', 'f2'], ['f3']),
      node('fc2/MatMul', 'MatMul', ['f3', 'w2'], ['g0']), node('fc2/Add', 'Add', ['g0', 'b2'], ['g1']), node('res2', 'Add', ['r1', 'g1'], ['y']),
    ],
  };
  for (const n of g.nodes) for (const o of n.outputs) if (!values.has(o)) values.set(o, { name: o, dtype: 'float32', shape: null });
  return g;
}

async function run(model: Uint8Array, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x, shape) });
  const y = out[s.outputNames[0]].data as Float32Array;
  await s.release();
  return y;
}
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Seeded per-head kept sets of size k (different for q/k and v/o and per head). */
function keepSets(b: AttentionBlock, k: number, seed: number): HeadKeep {
  const pick = (s: number) => Array.from({ length: b.heads }, (_, j) => {
    const r = uniform(s * 31 + j, b.headDim, 0, 1);
    return Array.from({ length: b.headDim }, (_, i) => i).sort((x, y) => r[x] - r[y]).slice(0, k).sort((x, y) => x - y);
  });
  return { block: b, qk: pick(seed), vo: pick(seed + 1000) };
}

/** The reference: original shapes, pruned weights zeroed (biases kept). `qkvIndex(which, head,
 *  i)` is the projection column of q (0), k (1) or v (2) written out per export style. */
function masked(g: Graph, plans: HeadKeep[], qkvIndex: (which: number, j: number, i: number, b: AttentionBlock) => number): Graph {
  const m = copyGraph(g);
  const zero = (weight: string, rows: number, cols: number, hit: (r: number, c: number) => boolean) => {
    const v = m.values.get(weight)!;
    const w = Float32Array.from(v.data as Float32Array);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (hit(r, c)) w[r * cols + c] = 0;
    m.values.set(weight, { ...v, data: w });
  };
  for (const { block: b, qk, vo } of plans) {
    const sides = [b.q, b.k, b.v];
    for (let which = 0; which < 3; which++) {
      const keep = which === 2 ? vo : qk;
      const cut = new Set<number>();
      for (let j = 0; j < b.heads; j++) for (let i = 0; i < b.headDim; i++) if (!keep[j].includes(i)) cut.add(qkvIndex(which, j, i, b));
      const p = sides[which].proj;
      zero(p.weight, p.dIn, p.dOut, (_, c) => cut.has(c));
    }
    zero(b.out.weight, b.out.dIn, b.out.dOut, (r) => !vo[Math.floor(r / b.headDim)].includes(r % b.headDim));
  }
  return m;
}

test('recognition: timm fused qkv (vit fixture), HF separate q/k/v, Paddle SVTR (Concat reshapes)', () => {
  const vit = prepareForChannels(readOnnx(readFileSync(VIT), VIT));
  const a = findAttention(vit);
  assert.equal(a.blocks.map((b) => [b.heads, b.headDim, b.q.chunk, b.k.chunk, b.v.chunk, b.q.proj.node === b.v.proj.node]), new Array(6).fill([4, 24, 0, 1, 2, true]));
  assert.equal(findFfns(vit).map((f) => [f.fc1.dOut, f.fc2.dIn]), new Array(6).fill([384, 384]));
  const hf = findAttention(hfBlock());
  assert.equal(hf.blocks.map((b) => [b.heads, b.headDim, b.q.proj.node, b.k.proj.node, b.v.proj.node, b.out.node]), [[2, 8, 'q/MatMul', 'k/MatMul', 'v/MatMul', 'o/MatMul']]);
  assert.equal(findFfns(prepareForChannels(hfBlock())).map((f) => [f.fc1.node, f.fc2.node, f.hidden]), [['fc1/MatMul', 'fc2/MatMul', 'f3']]);
  const ocr = prepareForChannels(readOnnx(readFileSync(OCR), OCR), { x: [1, 3, 48, 320] });
  assert.ok(findAttention(readOnnx(readFileSync(OCR), OCR)).blocks.length === 2, 'also before shape folding (Concat of Cast pieces)');
  const s = findAttention(ocr);
  assert.equal(s.blocks.map((b) => [b.heads, b.headDim]), [[8, 15], [8, 15]]);
  assert.equal(s.skipped.length, 1, 'the output softmax is not attention');
  assert.equal(findFfns(ocr).map((f) => f.fc1.dOut), [240, 240]);
});

test('zero pruning is exact (vit, HF block)', async () => {
  const cases: [Graph, number[]][] = [[readOnnx(readFileSync(VIT), VIT), [1, 1, 28, 28]], [hfBlock(), [1, 6, 16]]];
  for (const [g, shape] of cases) {
    const heads = copyGraph(g);
    pruneHeads(heads, findAttention(g).blocks.map((b) => keepSets(b, b.headDim, 0)));
    const shapes = { [g.inputs[0]]: shape };
    const out = pruneHiddenUnits(heads, shapes, new Map(findFfns(prepareForChannels(g, shapes)).map((f) => [f.group, Array.from({ length: f.fc1.dOut }, (_, i) => i)])));
    const x = uniform(3, shape.reduce((a, b) => a * b, 1), 0, 1);
    assert.is(maxDiff(await run(writeOnnx(out), x, shape), await run(writeOnnx(g), x, shape)), 0);
  }
});

test('head pruning equals the masked-head model in onnxruntime within 1e-5 (vit k=12, HF k=4, PP-OCRv4 rec k=8)', async () => {
  const cases: [Graph, number[], number, (w: number, j: number, i: number, b: AttentionBlock) => number][] = [
    [readOnnx(readFileSync(VIT), VIT), [1, 1, 28, 28], 12, (w, j, i, b) => w * b.heads * b.headDim + j * b.headDim + i],
    [hfBlock(), [1, 6, 16], 4, (_w, j, i, b) => j * b.headDim + i],
    [readOnnx(readFileSync(OCR), OCR), [1, 3, 48, 160], 8, (w, j, i, b) => w * b.heads * b.headDim + j * b.headDim + i],
  ];
  for (const [g, shape, k, index] of cases) {
    const plans = findAttention(g).blocks.map((b, n) => keepSets(b, k, n));
    const pruned = copyGraph(g);
    pruneHeads(pruned, plans);
    const x = uniform(5, shape.reduce((a, b) => a * b, 1), -1, 1);
    const [got, want, dense] = [await run(writeOnnx(pruned), x, shape), await run(writeOnnx(masked(g, plans, index)), x, shape), await run(writeOnnx(g), x, shape)];
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(maxDiff(got, want) <= 1e-5 * Math.max(1, scale), `${g.source}: pruned vs masked ${maxDiff(got, want)} (scale ${scale})`);
    assert.ok(maxDiff(got, dense) > 1e-3, `${g.source}: pruning changed nothing, the test would not see a wrong mask`);
    // the head-size constants were rewritten, the softmax scale was not
    const macs = graphMacs(pruned, { [g.inputs[0]]: shape }).total;
    assert.ok(macs < graphMacs(g, { [g.inputs[0]]: shape }).total);
  }
});

test('the softmax scale keeps its original constant; FFN hidden units prune to a smaller dense fc1/fc2', async () => {
  const g = prepareForChannels(hfBlock());
  const [b] = findAttention(g).blocks;
  const heads = copyGraph(g);
  pruneHeads(heads, [keepSets(b, 4, 1)]);
  const [f] = findFfns(g);
  const out = pruneHiddenUnits(heads, {}, new Map([[f.group, [0, 3, 5, 8, 13, 21, 30, 31]]]));
  assert.equal(Array.from(out.values.get(out.nodes.find((n) => n.name === 'scale')!.inputs[1])!.data as Float32Array), [Math.fround(Math.sqrt(8))]);
  assert.equal(out.values.get('wq')!.shape, [16, 8]);
  assert.equal(out.values.get('wo')!.shape, [8, 16]);
  assert.equal(out.values.get('w1')!.shape, [16, 8]);
  assert.equal(out.values.get('w2')!.shape, [8, 16]);
  // fc1 column 13 / fc2 row 13 moved to position 4 unchanged
  assert.is((out.values.get('w1')!.data as Float32Array)[2 * 8 + 4], (g.values.get('w1')!.data as Float32Array)[2 * 32 + 13]);
  assert.is((out.values.get('w2')!.data as Float32Array)[4 * 16 + 7], (g.values.get('w2')!.data as Float32Array)[13 * 16 + 7]);
  const y = await run(writeOnnx(out), uniform(9, 96, -1, 1), [1, 6, 16]);
  assert.ok(y.every(Number.isFinite));
});

test('a softmax scale computed from q\'s shape at run time keeps the original √d (folded before surgery)', async () => {
  const raw = hfBlock(true);
  const g = prepareForChannels(raw);
  const plans = findAttention(g).blocks.map((b) => keepSets(b, 4, 2));
  assert.is(plans.length, 1);
  const pruned = copyGraph(g);
  pruneHeads(pruned, plans);
  // the reference keeps the run-time scale: original shapes, so it still computes √8
  const ref = masked(raw, plans, (_w, j, i, b) => j * b.headDim + i);
  const x = uniform(11, 96, -1, 1);
  const diff = maxDiff(await run(writeOnnx(pruned), x, [1, 6, 16]), await run(writeOnnx(ref), x, [1, 6, 16]));
  assert.ok(diff <= 1e-5, `pruned vs masked ${diff}`);
});

test('dynamic selection equals fc2 with the rows outside this input\'s top-k mean |h| zeroed', async () => {
  const g = prepareForChannels(hfBlock());
  const [f] = findFfns(g);
  const k = 8, x = uniform(13, 96, -1, 1);
  const dyn = await run(writeOnnx(dynamicChannels(g, [f], [k])), x, [1, 6, 16]);
  // reference: H from the dense model, top-k by mean |h| over the 6 tokens, other fc2 rows zeroed
  const s = await ort.InferenceSession.create(exposeValues(writeOnnx(g), [f.hidden]), { logSeverityLevel: 3 });
  const H = (await s.run({ x: new ort.Tensor('float32', x, [1, 6, 16]) }))[f.hidden].data as Float32Array;
  await s.release();
  const score = Array.from({ length: 32 }, (_, j) => { let a = 0; for (let t = 0; t < 6; t++) a += Math.abs(H[t * 32 + j]); return a; });
  const top = new Set(Array.from({ length: 32 }, (_, j) => j).sort((a, b) => score[b] - score[a]).slice(0, k));
  const ref = copyGraph(g);
  const w2 = Float32Array.from(g.values.get('w2')!.data as Float32Array);
  for (let j = 0; j < 32; j++) if (!top.has(j)) w2.fill(0, j * 16, (j + 1) * 16);
  ref.values.set('w2', { ...g.values.get('w2')!, data: w2 });
  const want = await run(writeOnnx(ref), x, [1, 6, 16]);
  assert.ok(maxDiff(dyn, want) <= 1e-5, `dynamic vs masked ${maxDiff(dyn, want)}`);
  assert.ok(maxDiff(dyn, await run(writeOnnx(g), x, [1, 6, 16])) > 1e-4, 'selection changed nothing');
});

test('schedule: fitted to the MAC budget, block 0 attention dense, FFNs back-loaded, counts multiples of 4', () => {
  const g = prepareForChannels(readOnnx(readFileSync(VIT), VIT));
  const blocks = findAttention(g).blocks, ffns = findFfns(g);
  const cost = modelCost(g, blocks, ffns, {});
  assert.is(cost.total, 11689536); // 11.69 M MACs (`sparsec inspect` counts the same)
  for (const target of [0.2, 0.3, 0.4]) {
    const { schedule, reduction } = fitSchedule(cost, target);
    assert.ok(reduction >= target && reduction < target + 0.01, `${target}: ${reduction}`);
    assert.is(schedule.attention[0], 24);
    assert.ok([...schedule.attention, ...schedule.ffn].every((k) => k % 4 === 0));
    for (let i = 1; i < schedule.ffn.length; i++) assert.ok(schedule.ffn[i] <= schedule.ffn[i - 1], `FFN keeps ${schedule.ffn}`);
  }
});

test('pruneToast on the vit: the MACs of the written model meet the budget; refits keep accuracy on calibration-disjoint images', async () => {
  const bytes = readFileSync(VIT);
  const feeds = imageFeeds(join(FIX, 'data', 'fmnist-calib-256.u8'), 'input', [1, 1, 28, 28], 64);
  const r = await pruneToast(bytes, VIT, { flopsReduction: 0.3, feeds });
  assert.ok(r.report.macs.reduction >= 0.3, `${r.report.macs.reduction}`);
  const imgs = readFileSync(join(FIX, 'data', 'fmnist-test-1000.u8')), labels = readFileSync(join(FIX, 'data', 'fmnist-test-1000.labels.u8'));
  const s = await ort.InferenceSession.create(r.onnx, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  let ok = 0;
  const n = 200;
  for (let i = 0; i < n; i++) {
    const x = new ort.Tensor('float32', Float32Array.from(imgs.subarray(i * 784, (i + 1) * 784), (v) => v / 255), [1, 1, 28, 28]);
    const y = (await s.run({ input: x })).logits.data as Float32Array;
    if (y.indexOf(Math.max(...y)) === labels[i]) ok++;
  }
  await s.release();
  assert.ok(ok / n >= 0.85, `accuracy ${ok / n} on ${n} test images (dense: 0.903 on 1000)`);
});

test('ridge fit recovers an exact linear map; the median score is the distance to the element-wise median', () => {
  // y = [2x0 − x1 + 1, x1 + 3]
  const F = Float32Array.from([0, 0, 1, 0, 0, 1, 1, 1, 2, -1]), rows = 5;
  const Y = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) { Y[2 * r] = 2 * F[2 * r] - F[2 * r + 1] + 1; Y[2 * r + 1] = F[2 * r + 1] + 3; }
  const { w, b } = ridgeFit(F, Y, rows, 2, 2, 1e-9);
  [2, 0, -1, 1].forEach((v, i) => assert.ok(Math.abs(w[i] - v) < 1e-6, `w ${Array.from(w)}`));
  [1, 3].forEach((v, i) => assert.ok(Math.abs(b[i] - v) < 1e-6, `b ${Array.from(b)}`));
  // rows (0,0), (1,0), (4,3): median (1,0) → distances 1, 0, 3√2
  assert.equal(Array.from(medianDistance([Float64Array.from([0, 0]), Float64Array.from([1, 0]), Float64Array.from([4, 3])])), [1, 0, Math.sqrt(18)]);
});

test('build spec: toast:<x>[,method:pattern]', () => {
  assert.equal(parseToastSpec('toast:0.3'), { reduction: 0.3, then: null });
  assert.equal(parseToastSpec('toast:30%,crepe:2:4'), { reduction: 0.3, then: { method: 'crepe', pattern: { kind: 'nm', n: 2, m: 4 } } });
  assert.is(parseToastSpec('crepe:2:4'), null);
  assert.throws(() => parseToastSpec('toast:1.5'), /toast:<MAC reduction/);
});

test('CLI: prune --method toast writes a smaller model and reports it; bad input is one line, no stack', () => {
  const cli = (...a: string[]) => spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), 'prune', ...a], { encoding: 'utf8' });
  const out = join(mkdtempSync(join(tmpdir(), 'sparsec-toast-cli-')), 'vit-t30.onnx');
  const ok = cli(VIT, '--method', 'toast', '--flops-reduction', '30%', '-o', out, '--json', '-q');
  assert.is(ok.status, 0, ok.stderr);
  const report = JSON.parse(ok.stdout);
  assert.ok(report.macs.reduction >= 0.3 && report.headScore === 'gm' && report.refit === false, ok.stdout);
  assert.ok(readFileSync(out).length < readFileSync(VIT).length * 0.8);
  for (const [args, message] of [
    [[VIT, '--method', 'toast', '-o', out], /needs --flops-reduction/],
    [[VIT, '--method', 'toast', '--flops-reduction', '0.9', '-o', out], /removes at most \d+\.\d% of the MACs/],
    [[join(FIX, 'cnn.onnx'), '--method', 'toast', '--flops-reduction', '0.3', '-o', out], /no attention block or FFN found/],
  ] as const) {
    const r = cli(...args);
    assert.ok(r.status !== 0 && message.test(r.stderr) && r.stderr.trim().split('\n').length === 1 && !/\n\s+at /.test(r.stderr), r.stderr);
  }
});

test.run();
