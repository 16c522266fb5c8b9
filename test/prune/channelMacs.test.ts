// MACs of a channel selection (compiler/prune/channelMacs.ts) equal the MACs inspect.ts counts
// on the graph surgery actually builds (its shapes inferred again), on every hand-built coupling
// graph and on the cnn fixture, PP-OCR cls and BlazeFace, for random selections.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Graph } from '../../compiler/ir/graph.js';
import { nodeMacs } from '../../compiler/inspect.js';
import { readOnnxFile } from '../../compiler/onnx/read.js';
import { packageRoot } from '../../compiler/paths.js';
import { findChannelGroups, prepareForChannels } from '../../compiler/prune/groups.js';
import { applyChannelSelection } from '../../compiler/prune/surgery.js';
import { channelMacs } from '../../compiler/prune/channelMacs.js';
import { CHANNEL_GRAPHS, randomKeep } from '../helpers/channelGraphs.js';

const { modelPaths } = await import(pathToFileURL(join(packageRoot, 'tools', 'fetch-models.mjs')).href);
const paths: Record<string, string> = modelPaths();
const macsOf = (g: Graph) => g.nodes.reduce((s, n) => s + nodeMacs(g, n), 0);

function check(name: string, g: Graph): void {
  const groups = findChannelGroups(g);
  const macs = channelMacs(g, groups);
  assert.is(macs(new Map()), macsOf(g), `${name}: dense`);
  for (const seed of [1, 2, 3]) {
    const keep = randomKeep(groups, seed);
    const cut = applyChannelSelection(g, keep, groups);
    const want = macsOf(cut);
    assert.ok(want < macsOf(g), `${name}: the selection removed no MACs`);
    assert.is(macs(keep), want, `${name}, seed ${seed}`);
  }
}

test('hand-built coupling graphs', () => {
  for (const [name, make] of Object.entries(CHANNEL_GRAPHS)) check(name, prepareForChannels(make()));
});

test('cnn fixture, PP-OCR cls, BlazeFace', () => {
  check('cnn', prepareForChannels(readOnnxFile(join(packageRoot, 'test', 'fixtures', 'cnn.onnx'))));
  check('ppocr-cls', prepareForChannels(readOnnxFile(paths['ppocr-cls']), { x: [1, 3, 48, 192] }));
  check('blazeface', prepareForChannels(readOnnxFile(paths['blazeface-front'])));
});

test.run();
