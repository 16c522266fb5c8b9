// Channel surgery (compiler/prune/surgery.ts) against its reference: onnxruntime-node runs the
// sliced graph and the masked graph (same sizes, channels zeroed where consumed) on the same
// input; outputs agree within 1e-5 (relative to the output scale above 1). Each case also
// checks that pruning changed the output (the test could fail) and that tensors really shrank.
// Last, the sparsec builds of a sliced cnn and PP-OCR cls match onnxruntime-node on them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Graph } from '../../compiler/ir/graph.js';
import { numel } from '../../compiler/ir/graph.js';
import { readOnnxFile } from '../../compiler/onnx/read.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { packageRoot } from '../../compiler/paths.js';
import { findChannelGroups, prepareForChannels, type ChannelGroup } from '../../compiler/prune/groups.js';
import { applyChannelSelection, maskChannels } from '../../compiler/prune/surgery.js';
import { uniform } from '../../compiler/util/random.js';
import { CHANNEL_GRAPHS, randomKeep } from '../helpers/channelGraphs.js';
import { compare, compileAndLoad, runOrt, type Feeds } from '../helpers/run.js';

const { modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
const paths: Record<string, string> = modelPaths();

const feedsOf = (g: Graph, seed: number): Feeds => Object.fromEntries(g.inputs.map((x) => {
  const shape = g.values.get(x)!.shape!;
  return [x, { data: uniform(seed, numel(shape), 0, 1), shape }];
}));
const weights = (g: Graph) => [...g.values.values()].reduce((s, v) => s + (v.data && v.dtype === 'float32' ? v.data.length : 0), 0);

async function check(name: string, g: Graph, seed: number): Promise<{ cut: Graph; groups: ChannelGroup[] }> {
  const groups = findChannelGroups(g);
  const keep = randomKeep(groups, seed);
  assert.ok(keep.size > 0, `${name}: nothing to prune`);
  const snapshot = [...g.values.values()].filter((v) => v.data).map((v) => [v.name, v.data!.slice()] as const);
  const cut = applyChannelSelection(g, keep, groups), masked = maskChannels(g, keep, groups);
  for (const [n, data] of snapshot) assert.equal(g.values.get(n)!.data, data, `${name}: the input graph's '${n}' changed`);
  assert.ok(weights(cut) < weights(g), `${name}: no tensor shrank`);
  const feeds = feedsOf(g, seed + 100);
  const [a, b, dense] = await Promise.all([runOrt(writeOnnx(cut), feeds), runOrt(writeOnnx(masked), feeds), runOrt(writeOnnx(g), feeds)]);
  let changed = false;
  for (const o of g.outputs) {
    assert.equal(a[o].shape, dense[o].shape, `${name}: ${o} shape`);
    const { maxAbs, scale } = compare(a[o].data, b[o].data);
    assert.ok(maxAbs <= 1e-5 * Math.max(1, scale), `${name}: ${o} differs from the masked model by ${maxAbs} (scale ${scale})`);
    if (compare(a[o].data, dense[o].data).maxAbs > 1e-3 * Math.max(1, scale)) changed = true;
  }
  assert.ok(changed, `${name}: pruning did not change any output`);
  return { cut, groups };
}

for (const [name, make] of Object.entries(CHANNEL_GRAPHS)) {
  test(`${name}: sliced = masked in onnxruntime (3 random selections)`, async () => {
    const g = prepareForChannels(make());
    for (const seed of [1, 2, 3]) await check(name, g, seed);
  });
}

test('depthwise: the group attribute follows the width; grouped conv keeps its group count', async () => {
  const g = prepareForChannels(CHANNEL_GRAPHS.groupedNet());
  const { cut } = await check('groupedNet', g, 4);
  const g1 = cut.nodes.find((n) => n.name === 'g1')!, dwm = cut.nodes.find((n) => n.name === 'dwm')!;
  assert.is(g1.attrs.group, 2);
  assert.is(dwm.attrs.group, 6);
  const c = prepareForChannels(CHANNEL_GRAPHS.concatNet());
  const { cut: c2 } = await check('concatNet', c, 5);
  const dw = c2.nodes.find((n) => n.name === 'dw')!;
  assert.is(dw.attrs.group, c2.values.get(dw.inputs[1])!.shape![0]);
  assert.ok((dw.attrs.group as number) < 10);
});

test('Pad amounts, Split sizes, Slice bounds, Expand shapes and Resize sizes on channels are rewritten', async () => {
  const g = prepareForChannels(CHANNEL_GRAPHS.shapeOpsNet());
  // s = [pad0 | a0..a4 | pad6 pad7] (+ side); drop a1, a3 and pad7
  const keep = new Map([['a', [0, 2, 4]], ['side@6', [0]]]);
  const cut = applyChannelSelection(g, keep);
  const ints = (name: string) => Array.from(cut.values.get(name)!.data as BigInt64Array, Number);
  const node = (name: string) => cut.nodes.find((n) => n.name === name)!;
  assert.equal(ints(node('pad').inputs[1]), [0, 1, 0, 0, 0, 1, 0, 0]);
  assert.equal(ints(node('split').inputs[1]), [2, 3]); // [pad0 a0 | a2 a4 pad6]
  assert.equal([ints(node('slice').inputs[1]), ints(node('slice').inputs[2])], [[1], [3]]); // a4, pad6
  assert.equal(cut.values.get(node('v').inputs[1])!.shape, [4, 2, 1, 1]);
  assert.equal(ints(node('expand').inputs[1]), [1, 5, 6, 6]);
  assert.equal(ints(node('resize_sizes').inputs[3]), [1, 5, 9, 9]);
  const feeds = feedsOf(g, 3);
  const [a, b] = await Promise.all([runOrt(writeOnnx(cut), feeds), runOrt(writeOnnx(maskChannels(g, keep)), feeds)]);
  for (const o of g.outputs) assert.ok(compare(a[o].data, b[o].data).maxAbs <= 1e-5, o);
});

test('bad selections are refused with the group named', () => {
  const g = prepareForChannels(CHANNEL_GRAPHS.groupedNet());
  const groups = findChannelGroups(g);
  assert.throws(() => applyChannelSelection(g, new Map([['nope', [0]]]), groups), /'nope', which does not exist/);
  assert.throws(() => applyChannelSelection(g, new Map([['g2', [0, 1]]]), groups), /'g2' is not prunable: a grouped Conv keeps one channel per group/);
  assert.throws(() => applyChannelSelection(g, new Map([['a', [0, 1, 2]]]), groups), /'a' feeds a grouped convolution: each of its 2 blocks/);
  assert.throws(() => applyChannelSelection(g, new Map([['a', [1, 0]]]), groups), /sorted, unique/);
  assert.throws(() => applyChannelSelection(g, new Map([['a', []]]), groups), /at least one channel/);
});

const REAL: [string, () => string, Record<string, number[]>][] = [
  ['cnn fixture', () => join(packageRoot, 'test', 'fixtures', 'cnn.onnx'), {}],
  ['PP-OCR cls', () => paths['ppocr-cls'], { x: [1, 3, 48, 192] }],
  ['BlazeFace', () => paths['blazeface-front'], {}],
  ['vit fixture (FFN channels)', () => join(packageRoot, 'test', 'fixtures', 'vit.onnx'), {}],
];
for (const [name, file, shapes] of REAL) {
  test(`${name}: sliced = masked in onnxruntime (2 random selections)`, async () => {
    const g = prepareForChannels(readOnnxFile(file()), shapes);
    for (const seed of [1, 2]) await check(name, g, seed);
  });
}

const BUILDS: [string, () => string, Record<string, number[]>][] = [REAL[0], REAL[1]];
for (const [name, file, shapes] of BUILDS) {
  test(`the sparsec build of a sliced ${name} matches onnxruntime-node on it`, async () => {
    const g = prepareForChannels(readOnnxFile(file()), shapes);
    const { cut } = await check(name, g, 7);
    const path = join(mkdtempSync(join(tmpdir(), 'sparsec-surgery-')), 'sliced.onnx');
    writeFileSync(path, writeOnnx(cut));
    const feeds = feedsOf(g, 9);
    const ref = await runOrt(path, feeds);
    const model = await compileAndLoad(path);
    const ours = model.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, v.data])));
    for (const o of g.outputs) {
      const { maxAbs, scale } = compare(ours[o], ref[o].data);
      assert.ok(maxAbs <= 1e-4 * Math.max(1, scale), `${o}: ${maxAbs} (scale ${scale})`);
    }
  });
}

test.run();
