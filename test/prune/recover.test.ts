// Recovery (compiler/prune/reprune/recover.ts) on a graph where pruning loses nothing linear
// algebra cannot restore: conv A makes channel 2 = channel 0 + channel 1 (no activation), so
// after removing channel 2 the 3x3 consumer B can be refit exactly, W'[:, j] = W[:, j] + W[:, 2].
// The ridge refit must reproduce the dense outputs on inputs it never saw; the pruned model
// without recovery must not (so the test can fail). Recalibration alone must match the dense
// per-channel mean and standard deviation of B on the calibration inputs.
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
async function run(model: Uint8Array, seeds: number[]): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  const out: Float32Array[] = [];
  for (const k of seeds) out.push((await s.run(feed(k)))[s.outputNames[0]].data as Float32Array);
  await s.release();
  return out;
}
const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));

test('ridge reconstruction restores a consumer exactly when the removed channel is linear in the kept ones', async () => {
  const dense = net();
  const groups = findChannelGroups(dense);
  assert.ok(groups.some((gr) => gr.id === 'A' && gr.prunable));
  const keep = new Map([['A', [0, 1]]]);
  const pruned = applyChannelSelection(dense, keep, groups);
  const calib = Array.from({ length: 8 }, (_, i) => feed(100 + i));
  const { graph, steps } = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), calib, { reconstruct: true, recalibrate: false, ridge: 1e-10 });
  assert.equal(steps.map((s) => [s.node, s.action]), [['B', 'ridge']]);
  const seeds = [1, 2, 3];
  const ref = await run(writeOnnx(dense), seeds);
  const raw = maxDiff(await run(writeOnnx(pruned), seeds), ref);
  const fixed = maxDiff(await run(writeOnnx(graph), seeds), ref);
  assert.ok(raw > 0.05, `pruning alone changed the output by only ${raw}`);
  assert.ok(fixed < 1e-4, `after reconstruction the output is off by ${fixed}`);
});

test('recalibration gives the pruned consumer the dense mean and std per channel', async () => {
  const dense = net();
  const groups = findChannelGroups(dense);
  const keep = new Map([['A', [0, 2]]]);
  const pruned = applyChannelSelection(dense, keep, groups);
  const seeds = Array.from({ length: 8 }, (_, i) => 200 + i);
  const { graph, steps } = await recoverPruned(writeOnnx(dense), dense, pruned, layerChannels(dense, groups, keep), seeds.map(feed), { reconstruct: false, recalibrate: true });
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

test.run();
