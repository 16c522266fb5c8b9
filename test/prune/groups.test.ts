// Channel coupling groups (compiler/prune/groups.ts) on hand-built graphs whose coupling is
// worked out by hand in the comments, and on the cnn fixture and two real models.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Graph } from '../../compiler/ir/graph.js';
import { readOnnx, readOnnxFile } from '../../compiler/onnx/read.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { fixInputShapes } from '../../compiler/ir/passes/inputShapes.js';
import { packageRoot } from '../../compiler/paths.js';
import { findChannelGroups, groupGamma, prepareForChannels, type ChannelGroup } from '../../compiler/prune/groups.js';
import { concatNet, ffnNet, flattenNet, groupedNet, pinnedNet, residualNet, seNet } from '../helpers/channelGraphs.js';

// real models: fetched by tools/fetch-models.mjs (npm test runs it first)
const { modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
const paths: Record<string, string> = modelPaths();

const groupsOf = (g: ReturnType<typeof residualNet>) => {
  const p = prepareForChannels(g);
  return { g: p, groups: findChannelGroups(p), by: (id: string) => findChannelGroups(p).find((x) => x.id === id)! };
};
const nodesOf = (l: { node: string }[]) => [...new Set(l.map((x) => x.node))].sort();
const ids = (groups: ChannelGroup[]) => groups.map((x) => x.id);

test('Conv→BN→Relu chains and one residual stream', () => {
  const { g, groups, by } = groupsOf(residualNet());
  // stem, up1 and up2 all write the stream (x1 = stem + up1(...), x2 = up2(...) + x1)
  assert.equal(ids(groups), ['stem', 'mid', 'mid2', 'fc']);
  const stream = by('stem');
  assert.is(stream.size, 8);
  assert.ok(stream.prunable);
  assert.equal(nodesOf(stream.producers), ['stem', 'up1', 'up2']);
  assert.ok(stream.producers.every((p) => p.axis === 0 && p.role === 'producer'));
  // read by mid and mid2 (Conv input axis 1) and by fc through GAP→Flatten (Gemm transB: axis 1)
  assert.equal(nodesOf(stream.consumers), ['fc', 'mid', 'mid2']);
  const fc = stream.slices.find((s) => s.node === 'fc')!;
  assert.equal([fc.role, fc.axis, Array.from(fc.positions)], ['consumer', 1, [0, 1, 2, 3, 4, 5, 6, 7]]);
  // two BNs (stem's and up1's), up2's bias
  assert.is(stream.norms.length, 2);
  assert.ok(stream.slices.some((s) => s.node === 'up2' && s.role === 'bias'));
  const mid = by('mid');
  assert.equal([mid.size, nodesOf(mid.producers), nodesOf(mid.consumers), mid.norms.length], [6, ['mid'], ['up1'], 1]);
  // gamma of mid's BN, |γ| per channel
  const gamma = g.values.get(mid.norms[0].scale)!.data as Float32Array;
  assert.equal(Array.from(groupGamma(g, mid)!), Array.from(gamma, Math.abs));
  assert.is(groupGamma(g, by('fc')), null);
  assert.equal([by('fc').prunable, by('fc').reasons], [false, ["graph output 'fc_out0'"]]);
});

test('Concat offsets, a concatenated constant, an Add after it, depthwise', () => {
  const { by, groups } = groupsOf(concatNet());
  // cat = [a (3) | c (5) | pad (2)] + side (10): side's channels split three ways, the depthwise
  // conv and its BN follow each part, pw reads all ten
  assert.equal(ids(groups), ['a', 'c', 'side@8', 'pw', 'head']);
  const a = by('a'), c = by('c'), pad = by('side@8');
  assert.equal(nodesOf(a.producers), ['a', 'side']);
  assert.equal(Array.from(a.producers.find((p) => p.node === 'side')!.positions), [0, 1, 2]);
  assert.equal(Array.from(c.producers.find((p) => p.node === 'side')!.positions), [3, 4, 5, 6, 7]);
  assert.equal(Array.from(c.consumers.find((p) => p.node === 'pw')!.positions), [3, 4, 5, 6, 7]);
  assert.equal(Array.from(pad.consumers[0].positions), [8, 9]);
  const padSlice = pad.slices.find((s) => s.tensor === 'pad')!;
  assert.equal([padSlice.axis, Array.from(padSlice.positions)], [1, [0, 1]]);
  for (const grp of [a, c, pad]) {
    const dw = grp.slices.filter((s) => s.node === 'dw');
    assert.equal(dw.map((s) => [s.axis, s.role]), [[0, 'channelwise'], [0, 'channelwise']], grp.id);
    assert.ok(grp.prunable);
  }
});

test('grouped convs: blocks; one channel per group is unprunable', () => {
  const { by } = groupsOf(groupedNet());
  assert.equal([by('a').blocks, by('a').prunable], [2, true]); // a feeds g1 (2 groups)
  assert.equal([by('g1').blocks, by('g1').prunable], [2, true]);
  const g1In = by('a').slices.find((s) => s.node === 'g1')!;
  assert.equal([g1In.axis, g1In.convGroups], [1, 2]);
  // g2's 6 channels feed a conv with group = 6: one input channel per group
  assert.equal([by('g2').blocks, by('g2').prunable], [6, false]);
  // dwm: 12 outputs in 6 groups of 2
  assert.equal([by('dwm').blocks, by('dwm').prunable], [6, true]);
});

test('SE gating: the excite conv joins the gated tensor\'s group, the squeeze conv reads it', () => {
  const { by } = groupsOf(seNet());
  const x = by('expand');
  assert.equal(nodesOf(x.producers), ['excite', 'expand']);
  assert.equal(nodesOf(x.consumers), ['project', 'squeeze']);
  assert.ok(x.slices.some((s) => s.node === 'dw' && s.role === 'channelwise'));
  assert.ok(x.prunable);
  assert.equal([by('squeeze').size, by('squeeze').prunable, nodesOf(by('squeeze').consumers)], [4, true, ['excite']]);
  // project's output is added to the graph input: not prunable
  assert.is(by('project').prunable, false);
  assert.match(by('project').reasons.join(), /not tracked/);
});

test('Flatten into Gemm: feature c·H·W + p holds channel c; Reshape into MatMul likewise', () => {
  const { by } = groupsOf(flattenNet());
  // a: 5 channels, MaxPool to 2x2, Flatten → 20 features; Gemm without transB reads B axis 0
  const fc1 = by('a').slices.find((s) => s.node === 'fc1')!;
  assert.equal([fc1.axis, fc1.role], [0, 'consumer']);
  assert.equal(Array.from(fc1.positions), [...Array(20).keys()]);
  assert.equal(Array.from(fc1.channels), [...Array(20).keys()].map((f) => Math.floor(f / 4)));
  const fc2 = by('c').slices.find((s) => s.node === 'fc2')!;
  assert.equal(Array.from(fc2.channels), [...Array(48).keys()].map((f) => Math.floor(f / 16)));
  assert.ok(by('a').prunable && by('c').prunable);
  assert.is(by('fc1').prunable, false);
});

test('transformer FFN: fc1 columns and bias with fc2 rows; the residual stream stays', () => {
  const { by } = groupsOf(ffnNet());
  const h = by('fc1');
  assert.equal([h.size, h.prunable], [16, true]);
  assert.equal(h.slices.map((s) => [s.node, s.role, s.axis]).sort(), [['Add_5', 'channelwise', 0], ['fc1', 'producer', 1], ['fc2', 'consumer', 0]].sort());
  assert.is(by('fc2').prunable, false); // added to the graph input x
  assert.is(by('fc3').prunable, true);
});

test('unprunable: channel-splitting Reshape, softmax over channels, an op not analysed', () => {
  const { by } = groupsOf(pinnedNet());
  assert.match(by('split_heads').reasons.join(), /Reshape '.*' splits or interleaves the channel axis/);
  assert.match(by('soft').reasons.join(), /Softmax '.*' normalizes over the channels/);
  assert.match(by('lpnorm').reasons.join(), /LpNormalization '.*' is not analysed/);
  assert.is(by('free').prunable, true);
});

test('a weight shared by two convs couples their channel groups', () => {
  const g = residualNet();
  // a second conv reading mid's input with mid's weight
  const mid = g.nodes.find((n) => n.name === 'mid')!;
  const twin = { ...mid, name: 'twin', inputs: [mid.inputs[0], mid.inputs[1]], outputs: ['twin_out'] };
  g.values.set('twin_out', { name: 'twin_out', dtype: 'float32', shape: null });
  g.nodes.splice(g.nodes.indexOf(mid) + 1, 0, twin);
  g.outputs.push('twin_out');
  const groups = findChannelGroups(prepareForChannels(g));
  const grp = groups.find((x) => x.producers.some((p) => p.node === 'mid'))!;
  assert.ok(grp.producers.some((p) => p.node === 'twin'));
  assert.is(grp.prunable, false); // twin's output is a graph output
});

test('a weight also read inside an If branch stays', () => {
  const g = residualNet();
  const weight = g.nodes.find((n) => n.name === 'mid')!.inputs[1];
  const branch = (name: string): Graph => ({
    name, source: '', opset: 17, values: new Map(), inputs: [], outputs: [`${name}_out`],
    nodes: [{ name: `${name}_id`, op: 'Identity', domain: '', inputs: [weight], outputs: [`${name}_out`], attrs: {} }],
  });
  g.values.set('cond', { name: 'cond', dtype: 'bool', shape: [], data: Uint8Array.from([1]) });
  g.values.set('if_out', { name: 'if_out', dtype: 'float32', shape: null });
  g.nodes.push({ name: 'if', op: 'If', domain: '', inputs: ['cond'], outputs: ['if_out'], attrs: { then_branch: branch('then'), else_branch: branch('else') } });
  g.outputs.push('if_out');
  const mid = findChannelGroups(prepareForChannels(g)).find((x) => x.id === 'mid')!;
  assert.is(mid.prunable, false);
  assert.match(mid.reasons.join(), /read inside a subgraph/);
});

test('cnn fixture and real models: every prunable group has a producer and a consumer', () => {
  const models: [string, Record<string, number[]>][] = [[join(packageRoot, 'test', 'fixtures', 'cnn.onnx'), {}], [paths['ppocr-cls'], { x: [1, 3, 48, 192] }], [paths['blazeface-front'], {}]];
  for (const [file, shapes] of models) {
    const groups = findChannelGroups(prepareForChannels(readOnnxFile(file), shapes));
    const prunable = groups.filter((x) => x.prunable);
    assert.ok(prunable.length > 0, file);
    for (const grp of prunable) {
      assert.ok(grp.producers.length > 0 && grp.consumers.length > 0, `${file}: ${grp.id}`);
      // every channel has a producer row in some producer
      const covered = new Set(grp.producers.flatMap((p) => Array.from(p.channels)));
      assert.is(covered.size, grp.size, `${file}: ${grp.id}`);
    }
    assert.equal(new Set(ids(groups)).size, groups.length, 'ids are unique');
  }
});

test('a prepared graph declares its fixed input shapes (later passes need no --input-shape)', () => {
  const g = prepareForChannels(readOnnxFile(paths['ppocr-cls']), { x: [1, 3, 48, 192] });
  assert.equal(g.values.get('x')!.declared, [1, 3, 48, 192]);
  fixInputShapes(g, {}); // throws on a symbolic dimension
  const again = readOnnx(writeOnnx(g));
  assert.equal(again.values.get('x')!.shape, [1, 3, 48, 192]);
});

test('sparsec inspect --channels --json lists the same groups', () => {
  const file = join(packageRoot, 'test', 'fixtures', 'cnn.onnx');
  const r = spawnSync(process.execPath, [join(packageRoot, 'bin', 'sparsec.js'), 'inspect', file, '--channels', '--json'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const rows = (JSON.parse(r.stdout) as { channels: { id: string; channels: number; prunable: boolean }[] }).channels;
  const groups = findChannelGroups(prepareForChannels(readOnnxFile(file)));
  assert.equal(rows.map((x) => [x.id, x.channels, x.prunable]), groups.map((x) => [x.id, x.size, x.prunable]));
});

test.run();
