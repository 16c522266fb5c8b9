// The cnn fixture pruned by REPrune to half its MACs (real surgery: smaller convs) and recovered
// from the calibration images, built by `sparsec build --prune reprune:0.5 --calib`: the build
// must match onnxruntime-node running the same pruned model written back as ONNX, and keep
// most of its accuracy.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { accuracy, argmax } from '../../compiler/eval/metrics.js';
import { imageFeeds } from '../../compiler/calibrate/images.js';
import { channelPrune } from '../../compiler/prune/reprune/channelPrune.js';
import { compileAndLoad, compare } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');
const IMAGES = 300;

test('cnn built with --prune reprune:0.5 matches onnxruntime on the pruned ONNX', async () => {
  const file = join(FIX, 'cnn.onnx'), calib = join(FIX, 'data', 'fmnist-calib-256.u8');
  const model = await compileAndLoad(file, { prune: 'reprune:0.5', calib });
  const ref = await channelPrune(readFileSync(file), file, { method: 'reprune', flopsReduction: 0.5, feeds: imageFeeds(calib, 'input', [1, 1, 28, 28], 256), reconstruct: true, recalibrate: true });
  assert.ok(ref.flops.reduction >= 0.5 && ref.flops.reduction < 0.55, `MACs reduced by ${ref.flops.reduction}`);
  const convs = ref.graph.nodes.filter((n) => n.op === 'Conv').map((n) => ref.graph.values.get(n.inputs[1])!.shape![0]);
  assert.ok(convs.reduce((a, b) => a + b, 0) < 0.8 * (32 * 3 + 64 * 4 + 128 * 3), `conv widths ${convs}`);
  const session = await ort.InferenceSession.create(ref.onnx, { intraOpNumThreads: 1, logSeverityLevel: 3 });
  const images = imageFeeds(join(FIX, 'data', 'fmnist-test-1000.u8'), 'input', [1, 1, 28, 28], 1000).slice(0, IMAGES);
  const labels = new Uint8Array(readFileSync(join(FIX, 'data', 'fmnist-test-1000.labels.u8')));
  let worst = 0;
  const ours: number[] = [], theirs: number[] = [];
  for (const feed of images) {
    const x = feed.input.data as Float32Array;
    const a = model.run({ input: x }).logits as Float32Array;
    const b = (await session.run(feed)).logits.data as Float32Array;
    const { maxAbs, scale } = compare(a, b);
    worst = Math.max(worst, maxAbs / Math.max(scale, 1e-6));
    ours.push(argmax(a)); theirs.push(argmax(b));
  }
  await session.release();
  const acc = accuracy(ours, labels.subarray(0, IMAGES));
  process.stderr.write(`  cnn reprune:0.5: ${(ref.flops.reduction * 100).toFixed(1)}% fewer MACs, accuracy ${acc} on ${IMAGES} images (dense 0.927 on 1000); max error / scale ${worst.toExponential(2)}\n`);
  assert.ok(worst <= 1e-4, `max abs error is ${worst} of the output scale`);
  assert.equal(ours, theirs);
  assert.ok(acc >= 0.75, `accuracy ${acc}`);
});

test.run();
