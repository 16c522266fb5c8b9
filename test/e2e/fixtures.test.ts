// The trained fixtures compiled and checked against onnxruntime-node on the same inputs:
// outputs within 1e-4 of the output's scale, the same prediction on every evaluation image,
// and the same accuracy or bits per byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../compiler/paths.js';
import { accuracy, argmax, bitsPerByte } from '../../compiler/eval/metrics.js';
import { compileAndLoad, compare } from '../helpers/run.js';

const FIX = join(packageRoot, 'test', 'fixtures');
const data = (f: string) => new Uint8Array(readFileSync(join(FIX, 'data', f)));
const IMAGES = 1000, PIXELS = 784;

async function ortSession(file: string) {
  return ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

for (const name of ['cnn', 'vit']) {
  test(`${name}: matches onnxruntime-node on all ${IMAGES} evaluation images`, async () => {
    const file = join(FIX, `${name}.onnx`);
    const model = await compileAndLoad(file);
    const session = await ortSession(file);
    const images = data('fmnist-test-1000.u8'), labels = data('fmnist-test-1000.labels.u8');
    const x = new Float32Array(PIXELS);
    const ours: number[] = [], ref: number[] = [];
    let worst = 0;
    for (let i = 0; i < IMAGES; i++) {
      for (let p = 0; p < PIXELS; p++) x[p] = images[i * PIXELS + p] / 255;
      const a = model.run({ input: x }).logits as Float32Array;
      const b = (await session.run({ input: new ort.Tensor(x.slice(), [1, 1, 28, 28]) })).logits.data as Float32Array;
      const { maxAbs, scale } = compare(a, b);
      worst = Math.max(worst, maxAbs / Math.max(scale, 1e-6));
      ours.push(argmax(a)); ref.push(argmax(b));
    }
    const mismatched = ours.flatMap((p, i) => (p !== ref[i] ? [i] : []));
    process.stderr.write(`  ${name}: accuracy ours ${accuracy(ours, labels)} vs onnxruntime ${accuracy(ref, labels)}; max error / scale ${worst.toExponential(2)}\n`);
    assert.ok(worst <= 1e-4, `max abs error is ${worst} of the output scale`);
    assert.equal(mismatched, [], `different predictions on images ${mismatched.join(', ')}`);
  });
}

test('gpt: same logits and bits per byte as onnxruntime-node on held-out text', async () => {
  const file = join(FIX, 'gpt.onnx'), T = 128, V = 256;
  const model = await compileAndLoad(file, { inputShapes: { tokens: [1, T] } });
  const session = await ortSession(file);
  const text = data('sotu-heldout-64k.txt');
  let worst = 0;
  const oursBpb = await bitsPerByte(text, T, V, (tokens) => model.run({ tokens }).logits as Float32Array);
  const refBpb = await bitsPerByte(text, T, V, async (tokens) => {
    const logits = (await session.run({ tokens: new ort.Tensor('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [1, T]) })).logits.data as Float32Array;
    const ours = model.run({ tokens }).logits as Float32Array;
    const { maxAbs, scale } = compare(ours, logits);
    worst = Math.max(worst, maxAbs / scale);
    return logits;
  });
  process.stderr.write(`  gpt: bits/byte ours ${oursBpb.toFixed(5)} vs onnxruntime ${refBpb.toFixed(5)}; max error / scale ${worst.toExponential(2)}\n`);
  assert.ok(worst <= 1e-4, `max abs error is ${worst} of the output scale`);
  assert.ok(Math.abs(oursBpb - refBpb) < 1e-4, `bits per byte differ: ${oursBpb} vs ${refBpb}`);
});

test.run();
