// `sparsec build --prune toast:0.3,crepe:2:4 --calib images`: the compiled build runs the
// ToaSt-pruned (smaller dense attention and FFN matrices) and then 2:4-pruned vit, and must match
// onnxruntime-node running the same two-stage pruning written back as ONNX.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { writeOnnx } from '../../compiler/onnx/write.js';
import { calibrationFeeds } from '../../compiler/calibrate/feeds.js';
import { pruneToast } from '../../compiler/prune/toast/toast.js';
import { pruneModel } from '../../compiler/prune/pipeline.js';
import { parsePattern } from '../../compiler/prune/masks.js';
import { compare, compileAndLoad, runOrt } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');

test('vit built with --prune toast:0.3,crepe:2:4 matches onnxruntime on the same pruned model', async () => {
  const file = join(FIX, 'vit.onnx'), calib = join(FIX, 'data', 'fmnist-calib-256.u8');
  const model = await compileAndLoad(file, { prune: 'toast:0.3,crepe:2:4', calib });
  const layers = model.manifest.layers as { format: string }[];
  assert.ok(layers.filter((l) => l.format === '2:4').length >= 20, 'the linear layers left by ToaSt run as 2:4');
  // the reference: the same two stages, written as ONNX, run by onnxruntime
  const bytes = readFileSync(file);
  const feeds = await calibrationFeeds(bytes, file, calib, { count: 128, seq: 128, seed: 0 });
  const toast = await pruneToast(bytes, file, { flopsReduction: 0.3, feeds });
  assert.ok(toast.report.macs.reduction >= 0.3);
  const { graph } = await pruneModel(toast.onnx, file, { method: 'crepe', pattern: parsePattern('2:4', 'matrix')!, feeds });
  const pruned = join(mkdtempSync(join(tmpdir(), 'sparsec-toast-')), 'vit-toast30-crepe24.onnx');
  writeFileSync(pruned, writeOnnx(graph));
  const images = readFileSync(join(FIX, 'data', 'fmnist-test-1000.u8'));
  for (let i = 0; i < 4; i++) {
    const x = Float32Array.from(images.subarray(i * 784, (i + 1) * 784), (b) => b / 255);
    const ref = await runOrt(pruned, { input: { data: x, shape: [1, 1, 28, 28] } });
    const { maxAbs, scale } = compare(model.run({ input: x }).logits, ref.logits.data);
    assert.ok(maxAbs <= 1e-4 * scale, `image ${i}: max error ${maxAbs} of scale ${scale}`);
  }
});

test.run();
