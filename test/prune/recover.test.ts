// Recovery (compiler/prune/reprune/recover.ts) on a graph where pruning loses nothing linear
// algebra cannot restore: conv A makes channel 2 = channel 0 + channel 1 (no activation), so
// after removing channel 2 the 3x3 consumer B can be refit exactly, W'[:, j] = W[:, j] + W[:, 2].
// The ridge refit must reproduce the dense outputs on inputs it never saw; the pruned model
// without recovery must not (so the test can fail). Recalibration alone must match the dense
// per-channel mean and standard deviation of B on the calibration inputs (without the check).
// The check: a scale that raises the output error against the dense model must be rejected.
// MatMul: a head MatMul + Add refit exactly when the removed feature is linear in the kept ones.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { findChannelGroups, prepareForChannels } from '../../compiler/prune/groups.js';
import { applyChannelSelection } from '../../compiler/prune/surgery.js';
import { layerChannels } from '../../compiler/prune/reprune/channelPrune.js';
import { recoverPruned } from '../../compiler/prune/reprune/recover.js';
import { uniform } from '../../compiler/util/random.js';
import { GraphBuilder } from '../helpers/graphs.js';
import type { Graph } from '../../compiler/ir/graph.js';

function net() {
  const b = new GraphBuilder('recover');
  const x = b.input('x', [1, 2, 6, 6]);
  const wA = b.floats([1, 0, 0, 1, 1, 1]);
  const a = b.op('Conv', [x, wA], { kernel_shape: [1, 1] }, 'A');
  b.output(b.conv(a, 3, 2, 3, { name: 'B' }));
  const g = b.build();
  g.values.get(wA)!.shape = [3, 2, 1, 1];
  return prepareForChannels(g);
}

const feed = (seed: number) => ({ x: new ort.Tensor('float32', uniform(seed, 72, -1, 1), [1, 2, 6, 6]) });
async function run(model: Uint8Array, seeds: number[], feedOf: (seed: number) => Record<string, ort.Tensor> = feed): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  const out: Float32Array[] = [];
  for (const k of seeds) out.push((await s.run(feedOf(k)))[s.outputNames[0]].data as Float32Array);
  await s.release();
  return out;
}
const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));

/** On inputs recovery never saw: pruning alone moves the output, the refit graph matches the dense one. */
async function assertRestored(dense: Graph, pruned: Graph, fixed: Graph, seeds: number[], feedOf = feed): Promise<void> {
  const ref = await run(writeOnnx(dense), seeds, feedOf);
  const raw = maxDiff(await run(writeOnnx(pruned), seeds, feedOf), ref);
  const off = maxDiff(await run(writeOnnx(fixed), seeds, feedOf), ref);
  assert.ok(raw > 0.05, `pruning alone changed the output by only ${raw}`);
  assert.ok(off < 1e-4, `after reconstruction the output is off by ${off}`);
}

test('ridge reconstruction restores a consumer exactly when the removed channel is linear in the kept ones', async () => {
  const dense = net();
  const groups = findChannelGroups(dense);
  assert.ok(groups.some((gr) => gr.id === 'A' && gr.prunable));
  const keep = new Map([['A', [0, 1]]]);
  const pruned = applyChannelSelection(dense, keep, groups);
  const calib = Array.from({ length: 8 }, (_, i) => feed(100 + i));
  const { graph, steps } = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), calib, { reconstruct: true, recalibrate: false, ridge: 1e-10 });
  assert.equal(steps.map((s) => [s.node, s.action]), [['B', 'ridge']]);
  await assertRestored(dense, pruned, graph, [1, 2, 3]);
});

test('recalibration gives the pruned consumer the dense mean and std per channel', async () => {
  const dense = net();
  const groups = findChannelGroups(dense);
  const keep = new Map([['A', [0, 2]]]);
  const pruned = applyChannelSelection(dense, keep, groups);
  const seeds = Array.from({ length: 8 }, (_, i) => 200 + i);
  const { graph, steps } = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), seeds.map(feed), { reconstruct: false, recalibrate: true, checkRecalibration: false });
  assert.equal(steps.map((s) => [s.node, s.action]), [['B', 'recalibrate']]);
  const moments = (outs: Float32Array[]) => [0, 1].map((c) => {
    const v = outs.flatMap((o) => Array.from(o.subarray(c * 36, (c + 1) * 36)));
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    return [m, Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length)];
  });
  const want = moments(await run(writeOnnx(dense), seeds)), got = moments(await run(writeOnnx(graph), seeds));
  want.forEach(([m, sd], c) => {
    assert.ok(Math.abs(got[c][0] - m) < 1e-4, `channel ${c} mean ${got[c][0]} vs ${m}`);
    // the scale is clamped to [0.5, 2]; inside it the std matches
    assert.ok(Math.abs(got[c][1] - sd) < 1e-4 * Math.max(1, sd) || got[c][1] / sd < 0.51 || got[c][1] / sd > 1.99, `channel ${c} std ${got[c][1]} vs ${sd}`);
  });
});

/** mean squared difference over all outputs of all images */
const mse = (a: Float32Array[], b: Float32Array[]) => a.reduce((s, x, i) => s + x.reduce((t, v, j) => t + (v - b[i][j]) ** 2, 0), 0) / a.reduce((s, x) => s + x.length, 0);

test('recalibration check: a scale that raises the output error is rejected, the mean shift kept', async () => {
  // A copies x (2 channels); B = 1·A0 + 3·A1 + 0.5. Without A1, B's std falls ~3x, so a = 2 (clamp)
  // doubles A0's term, which is uncorrelated with the lost 3·x1: the error grows by E[x0²].
  const b = new GraphBuilder('check');
  const x = b.input('x', [1, 2, 6, 6]);
  const a = b.op('Conv', [x, b.floats([1, 0, 0, 1])], { kernel_shape: [1, 1] }, 'A');
  const y = b.op('Conv', [a, b.floats([1, 3]), b.floats([0.5])], { kernel_shape: [1, 1] }, 'B');
  b.output(y);
  const g0 = b.build();
  const [wA, wB] = g0.nodes.map((n) => n.inputs[1]);
  g0.values.get(wA)!.shape = [2, 2, 1, 1];
  g0.values.get(wB)!.shape = [1, 2, 1, 1];
  const dense = prepareForChannels(g0);
  const groups = findChannelGroups(dense);
  const keep = new Map([['A', [0]]]);
  const pruned = applyChannelSelection(dense, keep, groups);
  const seeds = Array.from({ length: 8 }, (_, i) => 300 + i);
  const opts = { reconstruct: false, recalibrate: true };
  const checked = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), seeds.map(feed), opts);
  const forced = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), seeds.map(feed), { ...opts, checkRecalibration: false });
  const ref = await run(writeOnnx(dense), seeds);
  const none = mse(await run(writeOnnx(pruned), seeds), ref);
  const full = mse(await run(writeOnnx(forced.graph), seeds), ref);
  const kept = mse(await run(writeOnnx(checked.graph), seeds), ref);
  assert.ok(full > none * 1.05, `the forced scale should hurt here: ${full} vs ${none} without recalibration`);
  assert.equal(checked.steps.map((s) => [s.node, s.kept]), [['B', 'mean']]);
  assert.ok(kept < none, `mean shift ${kept} vs none ${none}`);
  // the mean shift alone: B's scale is untouched, only the bias moves (0.5 + dense mean − pruned mean)
  const w = checked.graph.values.get(checked.graph.nodes.find((n) => n.name === 'B')!.inputs[1])!.data as Float32Array;
  assert.equal(Array.from(w), [1]);
  // the reported error before is the pruned model's squared error over the dense output's variance
  const all = ref.flatMap((r) => Array.from(r)), mean = all.reduce((t, v) => t + v, 0) / all.length;
  const variance = all.reduce((t, v) => t + (v - mean) ** 2, 0) / all.length;
  const e = checked.steps[0].outputError!;
  assert.ok(Math.abs(e.before - none / variance) < 1e-3 * e.before, `reported error ${e.before} vs ${none / variance}`);
  assert.ok(e.after < e.before);
});

for (const withAdd of [true, false]) test(`ridge reconstruction refits a MatMul head ${withAdd ? 'and its bias Add' : 'without a bias (a new Add takes it)'}`, async () => {
  // fc1 (MatMul 4→5, first four columns of full rank) makes feature 4 linear in the others; the head MatMul 5→3 + Add reads them.
  const b = new GraphBuilder('mmhead');
  const x = b.input('x', [1, 8, 4]);
  const w1 = b.floats([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1].map((v, i) => v + (i % 5 < 4 ? 0.1 * (i % 3) : 0)));
  const h = b.op('MatMul', [x, w1], {}, 'fc1');
  const head = b.op('MatMul', [h, b.constant([5, 3], -1, 1)], {}, 'head');
  b.output(withAdd ? b.op('Add', [head, b.constant([3], -1, 1)], {}, 'head_bias') : head);
  const g0 = b.build();
  g0.values.get(w1)!.shape = [4, 5];
  const dense = prepareForChannels(g0);
  const groups = findChannelGroups(dense);
  assert.ok(groups.some((gr) => gr.id === 'fc1' && gr.prunable), groups.map((gr) => `${gr.id} ${gr.prunable} ${gr.reasons}`).join('; '));
  const keep = new Map([['fc1', [0, 1, 2, 3]]]);
  const pruned = applyChannelSelection(dense, keep, groups);
  const mmFeed = (seed: number) => ({ x: new ort.Tensor('float32', uniform(seed, 32, -1, 1), [1, 8, 4]) });
  const calib = Array.from({ length: 8 }, (_, i) => mmFeed(400 + i));
  const { graph, steps } = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), calib, { reconstruct: true, recalibrate: false, ridge: 1e-10 });
  assert.equal(steps.map((s) => [s.node, s.op, s.action]), [['head', 'MatMul', 'ridge']]);
  await assertRestored(dense, pruned, graph, [11, 12, 13], mmFeed);
  assert.equal(graph.nodes.map((n) => n.op), ['MatMul', 'MatMul', 'Add']);
});

test.run();
